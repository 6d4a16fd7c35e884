//! The functions a `.stress` expression may call: `env("X")`, `uuid()`, `header("h")`, …

/// The kind of value a function takes or returns, as far as the checker can tell before the
/// run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueType {
    /// Anything: known only at run time.
    Any,
    Str,
    Number,
    List,
    Bool,
}

/// One parameter of a function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param {
    pub name: &'static str,
    pub ty: ValueType,
}

/// How a function is called and what it gives back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Signature {
    /// Every parameter, required ones first.
    pub params: &'static [Param],
    /// How many of `params` must be given.
    pub required: usize,
    pub result: ValueType,
    /// Draws on a virtual user's state (its RNG, its place in a data set): only in a workload.
    pub per_request: bool,
    /// Reads the current response: not in a constant.
    pub reads_response: bool,
}

impl Signature {
    /// The fewest arguments a call may pass.
    pub fn min_args(&self) -> usize {
        self.required
    }

    /// The most arguments a call may pass.
    pub fn max_args(&self) -> usize {
        self.params.len()
    }
}

/// A function of the language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Builtin {
    /// `env("NAME")`, `env("NAME", "default")`
    Env,
    /// `pick(list)`: a seeded random item
    Pick,
    /// `next(list)`: the items in turn
    Next,
    /// `uniform(1, 10)`: a seeded random number
    Uniform,
    /// `words(20)`: filler text
    Words,
    /// `uuid()`: a seeded version 4 UUID
    Uuid,
    /// `len(x)`: characters, items or entries
    Len,
    /// `header("name")`: a header of the current response
    Header,
    /// `contains(text, part)`: whether a string holds a part (a list: an item)
    Contains,
    /// `starts_with(text, prefix)`
    StartsWith,
    /// `ends_with(text, suffix)`
    EndsWith,
    /// `number("42")`: a string's number
    Number,
}

impl Builtin {
    /// Every function, in the order messages list them.
    pub const ALL: [Builtin; 12] = [
        Builtin::Env,
        Builtin::Pick,
        Builtin::Next,
        Builtin::Uniform,
        Builtin::Words,
        Builtin::Uuid,
        Builtin::Len,
        Builtin::Header,
        Builtin::Contains,
        Builtin::StartsWith,
        Builtin::EndsWith,
        Builtin::Number,
    ];

    /// The name as written in a `.stress` file.
    pub fn name(self) -> &'static str {
        match self {
            Builtin::Env => "env",
            Builtin::Pick => "pick",
            Builtin::Next => "next",
            Builtin::Uniform => "uniform",
            Builtin::Words => "words",
            Builtin::Uuid => "uuid",
            Builtin::Len => "len",
            Builtin::Header => "header",
            Builtin::Contains => "contains",
            Builtin::StartsWith => "starts_with",
            Builtin::EndsWith => "ends_with",
            Builtin::Number => "number",
        }
    }

    pub fn from_name(name: &str) -> Option<Builtin> {
        Builtin::ALL.into_iter().find(|b| b.name() == name)
    }

    /// Every function's name, in [`Builtin::ALL`] order ("did you mean" candidates).
    pub fn names() -> impl Iterator<Item = &'static str> {
        Builtin::ALL.into_iter().map(Builtin::name)
    }

    pub fn signature(self) -> Signature {
        use ValueType::{Any, Bool, List, Number, Str};
        let (params, required, result): (&'static [Param], usize, ValueType) = match self {
            Builtin::Env => (
                &[
                    Param {
                        name: "name",
                        ty: Str,
                    },
                    Param {
                        name: "default",
                        ty: Any,
                    },
                ],
                1,
                Any,
            ),
            Builtin::Pick => (
                &[Param {
                    name: "items",
                    ty: List,
                }],
                1,
                Any,
            ),
            Builtin::Next => (
                &[Param {
                    name: "items",
                    ty: List,
                }],
                1,
                Any,
            ),
            Builtin::Uniform => (
                &[
                    Param {
                        name: "low",
                        ty: Number,
                    },
                    Param {
                        name: "high",
                        ty: Number,
                    },
                ],
                2,
                Number,
            ),
            Builtin::Words => (
                &[Param {
                    name: "count",
                    ty: Number,
                }],
                1,
                Str,
            ),
            Builtin::Uuid => (&[], 0, Str),
            Builtin::Len => (
                &[Param {
                    name: "value",
                    ty: Any,
                }],
                1,
                Number,
            ),
            Builtin::Header => (
                &[Param {
                    name: "name",
                    ty: Str,
                }],
                1,
                Any,
            ),
            Builtin::Contains => (
                &[
                    Param {
                        name: "value",
                        ty: Any,
                    },
                    Param {
                        name: "part",
                        ty: Any,
                    },
                ],
                2,
                Bool,
            ),
            Builtin::StartsWith => (
                &[
                    Param {
                        name: "text",
                        ty: Str,
                    },
                    Param {
                        name: "prefix",
                        ty: Str,
                    },
                ],
                2,
                Bool,
            ),
            Builtin::EndsWith => (
                &[
                    Param {
                        name: "text",
                        ty: Str,
                    },
                    Param {
                        name: "suffix",
                        ty: Str,
                    },
                ],
                2,
                Bool,
            ),
            Builtin::Number => (
                &[Param {
                    name: "text",
                    ty: Any,
                }],
                1,
                Number,
            ),
        };
        Signature {
            params,
            required,
            result,
            per_request: matches!(
                self,
                Builtin::Pick | Builtin::Next | Builtin::Uniform | Builtin::Words | Builtin::Uuid
            ),
            reads_response: matches!(self, Builtin::Header),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for b in Builtin::ALL {
            assert_eq!(Builtin::from_name(b.name()), Some(b));
            let s = b.signature();
            assert!(s.min_args() <= s.max_args());
        }
        assert_eq!(Builtin::from_name("p95"), None);
    }
}
