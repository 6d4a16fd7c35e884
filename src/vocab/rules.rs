//! The fault rules a scenario lists (`error_rate(30%, 429)`, `burst(start: 100, length: 20,
//! fault: 503)`, …) and the faults they inject (`429`, `timeout`, `bandwidth(64KiB/s)`, …).

/// What an argument of a fault rule holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgKind {
    /// A percentage: how often the rule fires (`30%`).
    Probability,
    /// A duration or a range of durations (`200ms`, `100ms..2s`).
    Delay,
    /// The call the burst starts at: a whole number, 0 or more.
    Start,
    /// How many calls a burst lasts: a whole number, 1 or more.
    Length,
    /// A list of call numbers (`[1, 5, 10]`).
    Calls,
    /// A fault (`429`, `503 retry_after 2s`, `timeout`).
    Fault,
}

/// One argument of a fault rule, by name and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuleParam {
    pub name: &'static str,
    pub kind: ArgKind,
}

/// A fault rule of a scenario.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// `error_rate(probability, fault)`
    ErrorRate,
    /// `latency(probability, delay)`
    Latency,
    /// `burst(start, length, fault)`
    Burst,
    /// `nth_call(calls, fault)`
    NthCall,
    /// `latency_error(probability, delay, fault)`
    LatencyError,
}

impl Rule {
    /// Every rule, in the order messages list them.
    pub const ALL: [Rule; 5] = [
        Rule::ErrorRate,
        Rule::Latency,
        Rule::Burst,
        Rule::NthCall,
        Rule::LatencyError,
    ];

    /// The name as written in a `.stress` file.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ErrorRate => "error_rate",
            Rule::Latency => "latency",
            Rule::Burst => "burst",
            Rule::NthCall => "nth_call",
            Rule::LatencyError => "latency_error",
        }
    }

    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Every rule's name, in [`Rule::ALL`] order ("did you mean" candidates).
    pub fn names() -> impl Iterator<Item = &'static str> {
        Rule::ALL.into_iter().map(Rule::name)
    }

    /// The arguments, in positional order; all are required.
    pub fn params(self) -> &'static [RuleParam] {
        use ArgKind::{Calls, Delay, Fault, Length, Probability, Start};
        match self {
            Rule::ErrorRate => &[
                RuleParam {
                    name: "probability",
                    kind: Probability,
                },
                RuleParam {
                    name: "fault",
                    kind: Fault,
                },
            ],
            Rule::Latency => &[
                RuleParam {
                    name: "probability",
                    kind: Probability,
                },
                RuleParam {
                    name: "delay",
                    kind: Delay,
                },
            ],
            Rule::Burst => &[
                RuleParam {
                    name: "start",
                    kind: Start,
                },
                RuleParam {
                    name: "length",
                    kind: Length,
                },
                RuleParam {
                    name: "fault",
                    kind: Fault,
                },
            ],
            Rule::NthCall => &[
                RuleParam {
                    name: "calls",
                    kind: Calls,
                },
                RuleParam {
                    name: "fault",
                    kind: Fault,
                },
            ],
            Rule::LatencyError => &[
                RuleParam {
                    name: "probability",
                    kind: Probability,
                },
                RuleParam {
                    name: "delay",
                    kind: Delay,
                },
                RuleParam {
                    name: "fault",
                    kind: Fault,
                },
            ],
        }
    }

    /// The parameter of that kind, if the rule takes one.
    pub fn param_of(self, kind: ArgKind) -> Option<usize> {
        self.params().iter().position(|p| p.kind == kind)
    }
}

/// A fault a rule injects, other than an HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The request times out.
    Timeout,
    /// The connection is refused.
    ConnectionError,
    /// At a proxy: the connection is reset mid-response.
    Reset,
    /// At a proxy: the response never comes.
    Hang,
    /// At a proxy: the body is cut short.
    Truncate,
    /// At a proxy: `bandwidth(64KiB/s)` throttles the response.
    Bandwidth,
    /// At a proxy: `close_after(1KiB)` sends that many bytes of the response, then closes.
    CloseAfter,
}

impl Fault {
    /// Every fault, in the order messages list them.
    pub const ALL: [Fault; 7] = [
        Fault::Timeout,
        Fault::ConnectionError,
        Fault::Reset,
        Fault::Hang,
        Fault::Truncate,
        Fault::Bandwidth,
        Fault::CloseAfter,
    ];

    /// The name as written in a `.stress` file.
    pub fn name(self) -> &'static str {
        match self {
            Fault::Timeout => "timeout",
            Fault::ConnectionError => "connection_error",
            Fault::Reset => "reset",
            Fault::Hang => "hang",
            Fault::Truncate => "truncate",
            Fault::Bandwidth => "bandwidth",
            Fault::CloseAfter => "close_after",
        }
    }

    pub fn from_name(name: &str) -> Option<Fault> {
        Fault::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Every fault's name, in [`Fault::ALL`] order ("did you mean" candidates).
    pub fn names() -> impl Iterator<Item = &'static str> {
        Fault::ALL.into_iter().map(Fault::name)
    }

    /// Written as a call with one argument (`bandwidth(64KiB/s)`, `close_after(1KiB)`) rather
    /// than a bare word.
    pub fn is_call(self) -> bool {
        matches!(self, Fault::Bandwidth | Fault::CloseAfter)
    }

    /// Only an HTTP proxy can inject it (a TCP proxy sees no requests nor responses).
    pub fn http_only(self) -> bool {
        matches!(self, Fault::Truncate)
    }

    /// Acts on the wire, so only a proxy can inject it (`inject at proxy NAME`).
    pub fn at_proxy_only(self) -> bool {
        matches!(
            self,
            Fault::Reset | Fault::Hang | Fault::Truncate | Fault::Bandwidth | Fault::CloseAfter
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for r in Rule::ALL {
            assert_eq!(Rule::from_name(r.name()), Some(r));
            assert!(!r.params().is_empty());
        }
        for f in Fault::ALL {
            assert_eq!(Fault::from_name(f.name()), Some(f));
        }
        assert_eq!(Rule::param_of(Rule::Burst, ArgKind::Fault), Some(2));
    }
}
