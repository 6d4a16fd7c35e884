//! The file's symbol table: every declaration by name (one namespace, as in LANGUAGE.md §1),
//! duplicates, and lookups with "did you mean".

use std::collections::HashMap;

use super::error::CheckError;
use crate::ast::{self, Item};
use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Let,
    Data,
    Target,
    Service,
    Proxy,
    Workload,
    Scenario,
    Profile,
}

impl Kind {
    pub(crate) fn noun(self) -> &'static str {
        match self {
            Kind::Let => "constant",
            Kind::Data => "data set",
            Kind::Target => "target",
            Kind::Service => "service",
            Kind::Proxy => "proxy",
            Kind::Workload => "workload",
            Kind::Scenario => "scenario",
            Kind::Profile => "profile",
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Def {
    pub(crate) kind: Kind,
    /// Index into `ast::File::items`.
    pub(crate) item: usize,
    pub(crate) span: Span,
}

#[derive(Debug, Default)]
pub(crate) struct Scope {
    defs: HashMap<String, Def>,
}

impl Scope {
    /// Collects every top-level name, reporting duplicates.
    pub(crate) fn build(file: &ast::File, problems: &mut Vec<CheckError>) -> Scope {
        let mut scope = Scope::default();
        for (index, item) in file.items.iter().enumerate() {
            let (kind, name) = match item {
                Item::Let(x) => (Kind::Let, &x.name),
                Item::Data(x) => (Kind::Data, &x.name),
                Item::Target(x) => (Kind::Target, &x.name),
                Item::Service(x) => (Kind::Service, &x.name),
                Item::Proxy(x) => (Kind::Proxy, &x.name),
                Item::Workload(x) => (Kind::Workload, &x.name),
                Item::Scenario(x) => (Kind::Scenario, &x.name),
                Item::Profile(x) => (Kind::Profile, &x.name),
                Item::Test(_) => continue,
            };
            if let Some(first) = scope.defs.get(&name.text) {
                problems.push(CheckError::DuplicateName {
                    name: name.text.clone(),
                    second: name.span.into(),
                    first: first.span.into(),
                });
                continue;
            }
            scope.defs.insert(
                name.text.clone(),
                Def {
                    kind,
                    item: index,
                    span: name.span,
                },
            );
        }
        scope
    }

    pub(crate) fn get(&self, name: &str) -> Option<&Def> {
        self.defs.get(name)
    }

    /// Looks up a name that must be of `kind`, reporting unknown or wrong-kind names.
    pub(crate) fn expect(
        &self,
        name: &ast::Name,
        kind: Kind,
        problems: &mut Vec<CheckError>,
    ) -> Option<Def> {
        match self.defs.get(&name.text) {
            Some(def) if def.kind == kind => Some(*def),
            Some(def) => {
                problems.push(CheckError::WrongKind {
                    name: name.text.clone(),
                    expected: kind.noun(),
                    found: def.kind.noun(),
                    span: name.span.into(),
                    defined: def.span.into(),
                    help: self
                        .suggest(&name.text, kind)
                        .map(|s| format!("did you mean the {} `{s}`?", kind.noun())),
                });
                None
            }
            None => {
                problems.push(CheckError::UnknownName {
                    kind: kind.noun(),
                    name: name.text.clone(),
                    span: name.span.into(),
                    help: self
                        .suggest(&name.text, kind)
                        .map(|s| format!("did you mean `{s}`?")),
                });
                None
            }
        }
    }

    /// The closest name of a kind.
    pub(crate) fn suggest(&self, word: &str, kind: Kind) -> Option<String> {
        let names = self
            .defs
            .iter()
            .filter(|(_, d)| d.kind == kind)
            .map(|(n, _)| n.as_str());
        let mut sorted: Vec<&str> = names.collect();
        sorted.sort_unstable();
        crate::suggest::did_you_mean(word, sorted).map(str::to_string)
    }

    pub(crate) fn names_of(&self, kind: Kind) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .defs
            .iter()
            .filter(|(_, d)| d.kind == kind)
            .map(|(n, _)| n.as_str())
            .collect();
        names.sort_unstable();
        names
    }
}
