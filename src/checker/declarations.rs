//! `check` for declarations: `let`, `data`, `target` (URL or mock), `service`, `proxy`.

use std::collections::HashMap;

use super::check::{Checker, Place};
use super::error::CheckError;
use super::read::MockKey;
use super::scope::Kind;
use super::types::Ty;
use crate::ast::*;
use crate::source::Span;
use crate::vocab::DataFormat;

impl<'a> Checker<'a> {
    /// The type of a `let`, computed once, with cycle detection.
    pub(crate) fn let_type(&mut self, name: &str) -> Ty {
        if let Some(ty) = self.let_types.get(name) {
            return ty.clone();
        }
        let Some(def) = self.scope.get(name).copied() else {
            return Ty::Any;
        };
        let Item::Let(l) = &self.ast.items[def.item] else {
            return Ty::Any;
        };
        if self.let_stack.iter().any(|n| n == name) {
            return Ty::Any;
        }
        self.let_stack.push(name.to_string());
        let ty = self.expr(&l.value, &Place::Const);
        self.let_stack.pop();
        self.let_types.insert(name.to_string(), ty.clone());
        ty
    }

    pub(crate) fn data(&mut self, d: &Data) {
        let ExprKind::Call { callee, args } = &d.source.kind else {
            return self.bad_value(
                d.source.span,
                "a data set is read from a file",
                "not `lines(\"…\")`, `csv(\"…\")`, `jsonl(\"…\")` or `yaml(\"…\")`",
                None,
            );
        };
        let Some(func) = callee.as_name() else {
            return self.bad_value(
                callee.span,
                "a data set is read from a file",
                "expected a format",
                None,
            );
        };
        if DataFormat::from_name(&func.text).is_none() {
            self.problems.push(CheckError::UnknownSetting {
                context: "data format",
                name: func.text.clone(),
                span: func.span.into(),
                help: Some(
                    match crate::suggest::did_you_mean(&func.text, DataFormat::names()) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => "formats are `lines`, `csv`, `jsonl` and `yaml`".into(),
                    },
                ),
            });
            return;
        }
        let [arg] = args.as_slice() else {
            return self.bad_args(
                d.source.span,
                format!("`{}` takes one path", func.text),
                "expected one argument",
                None,
            );
        };
        let Some(path) = arg.value.as_plain_str() else {
            return self.bad_value(
                arg.value.span,
                "a data file path is a plain string",
                "expected a string",
                None,
            );
        };
        if let Some(dir) = self.base_dir {
            let full = dir.join(&path);
            if let Err(err) = std::fs::metadata(&full) {
                self.problems.push(CheckError::MissingDataFile {
                    path,
                    reason: match err.kind() {
                        std::io::ErrorKind::NotFound => "no such file".to_string(),
                        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
                        _ => err.to_string(),
                    },
                    span: arg.value.span.into(),
                });
            }
        }
    }

    pub(crate) fn target(&mut self, t: &Target) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        for s in &t.scrapes {
            self.once(&mut seen, "scrape", s.span);
            self.scrape(s, true);
        }
        match &t.kind {
            TargetKind::Url(url) => {
                let ty = self.expr(url, &Place::Const);
                self.expect_ty(url, &ty, &Ty::Str);
                if let Some(text) = url.as_plain_str() {
                    if !(text.starts_with("http://") || text.starts_with("https://")) {
                        self.bad_value(
                            url.span,
                            "a target is an http:// or https:// URL",
                            "not a URL",
                            Some(format!("write `\"http://{text}\"`")),
                        );
                    }
                }
            }
            TargetKind::Mock(settings) => {
                let mut seen: HashMap<String, Span> = HashMap::new();
                for s in settings {
                    self.once(&mut seen, &s.key.text, s.key.span);
                    match MockKey::from_name(&s.key.text) {
                        Some(MockKey::Api) => {
                            self.word(&s.value, &["openai", "anthropic"], "mock api")
                        }
                        Some(MockKey::Latency) => self.duration_or_range(&s.value, "`latency`"),
                        Some(MockKey::Tokens) => self.count_or_range(&s.value, "`tokens`"),
                        Some(MockKey::Capacity) => self.positive_int(&s.value, "capacity", false),
                        Some(MockKey::Cache) => {
                            self.word(&s.value, &["on", "off"], "cache setting")
                        }
                        None => self.unknown_setting(
                            "mock setting",
                            &s.key.text,
                            s.key.span,
                            &MockKey::ALL.map(MockKey::name),
                        ),
                    }
                }
            }
        }
    }

    pub(crate) fn service(&mut self, s: &Service) {
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut has_exec = false;
        for stmt in &s.stmts {
            match &stmt.kind {
                ServiceStmtKind::Exec(e) => {
                    has_exec = true;
                    let ty = self.expr(e, &Place::Const);
                    self.expect_ty(e, &ty, &Ty::Str);
                }
                ServiceStmtKind::Env(e) => {
                    if !matches!(e.kind, ExprKind::Object(_)) {
                        self.bad_value(
                            e.span,
                            "`env` takes an object",
                            "expected `{ NAME: \"value\" }`",
                            None,
                        );
                    } else {
                        self.expr(e, &Place::Const);
                    }
                }
                ServiceStmtKind::Ready {
                    probe,
                    address,
                    within,
                } => {
                    let ty = self.expr(address, &Place::Const);
                    self.expect_ty(address, &ty, &Ty::Str);
                    self.positive_duration(within, "`within`");
                    if let (ProbeKind::Log, ExprKind::Str(parts)) = (probe, &address.kind) {
                        if let [StrPart::Text(text)] = parts.as_slice() {
                            if let Err(e) = regex::Regex::new(text) {
                                self.bad_value(
                                    address.span,
                                    "`ready log` takes a regular expression",
                                    "not a valid regular expression",
                                    Some(e.to_string()),
                                );
                            }
                        }
                    }
                }
                ServiceStmtKind::Cwd(e) => {
                    let ty = self.expr(e, &Place::Const);
                    self.expect_ty(e, &ty, &Ty::Str);
                }
                ServiceStmtKind::Stop { signal, grace } => {
                    if let Some(sig) = signal {
                        if crate::signals::signal_number(&sig.text).is_none() {
                            self.unknown_setting(
                                "signal",
                                &sig.text,
                                sig.span,
                                crate::signals::SIGNALS,
                            );
                        }
                    }
                    if let Some(g) = grace {
                        self.positive_duration(g, "a stop grace");
                    }
                }
                ServiceStmtKind::Sample(e) => self.positive_duration(e, "`sample every`"),
                ServiceStmtKind::Scrape(sc) => {
                    self.once(&mut seen, "scrape", sc.span);
                    self.scrape(sc, false);
                }
            }
        }
        if !has_exec {
            self.bad_value(
                s.name.span,
                &format!("service `{}` has no `exec`", s.name.text),
                "needs `exec \"command\"`",
                None,
            );
        }
    }

    /// `scrape "URL" every D`: an http:// URL (for a target, also a path on its origin).
    fn scrape(&mut self, s: &Scrape, of_target: bool) {
        let ty = self.expr(&s.url, &Place::Const);
        self.expect_ty(&s.url, &ty, &Ty::Str);
        if let Some(every) = &s.every {
            self.positive_duration(every, "`scrape every`");
        }
        let Some(text) = s.url.as_plain_str() else {
            return;
        };
        if of_target && text.starts_with('/') {
            return;
        }
        let why = match url::Url::parse(&text) {
            Ok(u) if u.scheme() != "http" => Some(format!(
                "`{}://` is not supported: scrapes use plain http://",
                u.scheme()
            )),
            Ok(u) if u.host_str().is_none_or(str::is_empty) => Some("the URL has no host".into()),
            Ok(_) => None,
            Err(e) => Some(format!("not a URL: {e}")),
        };
        if let Some(why) = why {
            let help = if of_target {
                "write a path on the target, `\"/metrics\"`, or a URL like `\"http://127.0.0.1:9100/metrics\"`"
            } else {
                "write a URL like `\"http://127.0.0.1:9100/metrics\"`"
            };
            self.bad_value(
                s.url.span,
                "`scrape` reads an http:// URL",
                &why,
                Some(help.into()),
            );
        }
    }

    pub(crate) fn proxy(&mut self, p: &Proxy) {
        // Every proxy of a file runs during each test, so none is unused.
        self.mark(&p.name.text);
        let mut seen: HashMap<String, Span> = HashMap::new();
        for s in &p.settings {
            self.once(&mut seen, &s.key.text, s.key.span);
            match s.key.text.as_str() {
                "listen" | "upstream" => {
                    let ty = self.expr(&s.value, &Place::Const);
                    self.expect_ty(&s.value, &ty, &Ty::Str);
                    if p.tcp.is_some() && s.key.text == "upstream" {
                        // A TCP proxy forwards bytes to `host:port`.
                        let text = s.value.as_plain_str();
                        let ok = text.as_deref().is_some_and(|t| {
                            !t.contains("://")
                                && t.rsplit_once(':').is_some_and(|(h, port)| {
                                    !h.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0)
                                })
                        });
                        if text.is_some() && !ok {
                            self.bad_value(
                                s.value.span,
                                "a tcp proxy's upstream is `host:port`",
                                "not `host:port`",
                                Some("write e.g. `upstream \"127.0.0.1:6379\"` (no scheme)".into()),
                            );
                        }
                        continue;
                    }
                    // `upstream "llm"` names a target (e.g. a mock started on port 0).
                    let name = s.value.as_plain_str().filter(|t| !t.contains("://"));
                    if let (Some(name), "upstream") = (name, s.key.text.as_str()) {
                        if self
                            .scope
                            .get(&name)
                            .is_some_and(|d| d.kind == Kind::Target)
                        {
                            self.mark(&name);
                        } else {
                            let targets = self.scope.names_of(Kind::Target);
                            let help = crate::suggest::did_you_mean(&name, targets.iter().copied())
                                .map(|t| format!("did you mean `{t}`?"))
                                .or_else(|| {
                                    Some(
                                        "write a URL, `http://127.0.0.1:9200`, or a target's name"
                                            .into(),
                                    )
                                });
                            self.bad_value(
                                s.value.span,
                                &format!("proxy upstream `{name}` is neither a URL nor a target"),
                                "not `http://host:port` nor a target's name",
                                help,
                            );
                        }
                    }
                }
                // `ca "certs/ca.pem"`: PEM certificates trusted for an `https://` upstream (on
                // top of the system's roots), e.g. a test's self-signed one.
                "ca" => {
                    let ty = self.expr(&s.value, &Place::Const);
                    self.expect_ty(&s.value, &ty, &Ty::Str);
                    let upstream = p
                        .settings
                        .iter()
                        .find(|u| u.key.text == "upstream")
                        .and_then(|u| u.value.as_plain_str());
                    if p.tcp.is_some() {
                        self.bad_value(
                            s.key.span,
                            "a tcp proxy forwards bytes: it has no TLS to trust a `ca` for",
                            "not at a tcp proxy",
                            Some("remove `ca`; a tcp proxy passes TLS through untouched".into()),
                        );
                    } else if upstream
                        .as_deref()
                        .is_some_and(|u| u.starts_with("http://"))
                    {
                        self.bad_value(
                            s.key.span,
                            "`ca` trusts the certificate of an `https://` upstream; this one is `http://`",
                            "needs an `https://` upstream",
                            Some("write `upstream \"https://…\"`, or remove `ca`".into()),
                        );
                    } else if let (Some(path), Some(dir)) = (s.value.as_plain_str(), self.base_dir)
                    {
                        if let Err(err) = std::fs::metadata(dir.join(&path)) {
                            let reason = match err.kind() {
                                std::io::ErrorKind::NotFound => "no such file".to_string(),
                                std::io::ErrorKind::PermissionDenied => {
                                    "permission denied".to_string()
                                }
                                _ => err.to_string(),
                            };
                            self.bad_value(
                                s.value.span,
                                &format!("CA file `{path}` cannot be read: {reason}"),
                                "not a readable file",
                                Some("paths are relative to the .stress file's folder".into()),
                            );
                        }
                    }
                }
                other => self.unknown_setting(
                    "proxy setting",
                    other,
                    s.key.span,
                    &["listen", "upstream", "ca"],
                ),
            }
        }
        for needed in ["listen", "upstream"] {
            if !seen.contains_key(needed) {
                self.bad_value(
                    p.name.span,
                    &format!("proxy `{}` has no `{needed}`", p.name.text),
                    &format!("needs `{needed}`"),
                    None,
                );
            }
        }
    }
}
