//! `lower` for declarations: targets (URL or mock), data sets, proxies, services.

use super::Lowerer;
use crate::ast::{self, ExprKind};
use crate::checker::domains;
use crate::checker::read::{self, MockKey};
use crate::plan::{self};
use crate::units::Duration;

impl Lowerer<'_> {
    pub(super) fn target(&self, t: &ast::Target) -> plan::Target {
        let kind = match &t.kind {
            ast::TargetKind::Url(url) => {
                plan::TargetKind::Url(self.string(url).trim_end_matches('/').to_string())
            }
            ast::TargetKind::Mock(settings) => {
                let mut spec = plan::MockSpec {
                    api: "openai".into(),
                    latency: (Duration::ZERO, Duration::ZERO),
                    tokens: (20, 200),
                    capacity: None,
                    cache: false,
                };
                // Unknown keys were refused by check.
                let typed = settings
                    .iter()
                    .filter_map(|s| Some((MockKey::from_name(&s.key.text)?, &s.value)));
                for (key, value) in typed {
                    match key {
                        MockKey::Api => spec.api = self.string(value),
                        MockKey::Latency => spec.latency = self.duration_range(value),
                        MockKey::Tokens => {
                            let (a, b) = self.range(value);
                            spec.tokens = (
                                domains::exact_u64(a, u64::MAX, "tokens"),
                                domains::exact_u64(b, u64::MAX, "tokens"),
                            );
                        }
                        MockKey::Capacity => spec.capacity = Some(self.count32(value)),
                        MockKey::Cache => spec.cache = self.string(value) == "on",
                    }
                }
                plan::TargetKind::Mock(spec)
            }
        };
        let scrape = t.scrapes.first().map(|s| {
            let mut spec = self.scrape(s);
            // A path is read from the target's own origin.
            if let (plan::TargetKind::Url(base), true) = (&kind, spec.url.starts_with('/')) {
                spec.url = crate::plan::scrape::join_url(base, &spec.url);
            }
            spec
        });
        plan::Target {
            name: t.name.text.clone(),
            kind,
            scrape,
        }
    }

    /// A data set; `None` for a source check refused.
    pub(super) fn data(&self, d: &ast::Data) -> Option<plan::DataSet> {
        let (format, path) = read::data_source(&d.source)?;
        let full = match self.base_dir {
            Some(dir) if !dir.as_os_str().is_empty() => dir.join(&path).display().to_string(),
            _ => path,
        };
        Some(plan::DataSet {
            name: d.name.text.clone(),
            format: format.name().to_string(),
            path: full,
        })
    }

    pub(super) fn proxy(&self, p: &ast::Proxy) -> plan::Proxy {
        let mut proxy = plan::Proxy {
            name: p.name.text.clone(),
            listen: String::new(),
            upstream: String::new(),
            tcp: p.tcp.is_some(),
            ca: None,
        };
        for s in &p.settings {
            match s.key.text.as_str() {
                "listen" => proxy.listen = self.string(&s.value),
                "upstream" => proxy.upstream = self.string(&s.value),
                // Relative to the file, as a data set's path.
                "ca" => {
                    let path = self.string(&s.value);
                    proxy.ca = Some(match self.base_dir {
                        Some(dir) if !dir.as_os_str().is_empty() => {
                            dir.join(&path).display().to_string()
                        }
                        _ => path,
                    });
                }
                _ => {}
            }
        }
        proxy
    }

    pub(super) fn service(&self, s: &ast::Service) -> plan::Service {
        let mut service = plan::Service {
            name: s.name.text.clone(),
            exec: String::new(),
            env: vec![],
            cwd: None,
            ready: None,
            stop_signal: "SIGTERM".into(),
            grace: Duration(5_000_000),
            sample_every: Duration(1_000_000),
            scrape: None,
        };
        for stmt in &s.stmts {
            match &stmt.kind {
                ast::ServiceStmtKind::Exec(e) => service.exec = self.string(e),
                ast::ServiceStmtKind::Env(e) => {
                    if let ExprKind::Object(entries) = &e.kind {
                        service.env = entries
                            .iter()
                            .map(|en| (en.key.text.clone(), self.string(&en.value)))
                            .collect();
                    }
                }
                ast::ServiceStmtKind::Ready {
                    probe,
                    address,
                    within,
                } => {
                    service.ready = Some(plan::Ready {
                        probe: match probe {
                            ast::ProbeKind::Http => "http".into(),
                            ast::ProbeKind::Tcp => "tcp".into(),
                            ast::ProbeKind::Log => "log".into(),
                        },
                        address: self.string(address),
                        within: self.duration(within),
                    });
                }
                ast::ServiceStmtKind::Cwd(e) => {
                    let dir = self.string(e);
                    service.cwd = Some(match self.base_dir {
                        Some(base) if !base.as_os_str().is_empty() => {
                            base.join(&dir).display().to_string()
                        }
                        _ => dir,
                    });
                }
                ast::ServiceStmtKind::Stop { signal, grace } => {
                    if let Some(sig) = signal {
                        service.stop_signal = crate::signals::canonical_signal(&sig.text);
                    }
                    if let Some(g) = grace {
                        service.grace = self.duration(g);
                    }
                }
                ast::ServiceStmtKind::Sample(e) => service.sample_every = self.duration(e),
                ast::ServiceStmtKind::Scrape(s) => service.scrape = Some(self.scrape(s)),
            }
        }
        service
    }

    fn scrape(&self, s: &ast::Scrape) -> plan::ScrapeSpec {
        plan::ScrapeSpec {
            url: self.string(&s.url),
            every: s
                .every
                .as_ref()
                .map_or(plan::ScrapeSpec::DEFAULT_EVERY, |e| self.duration(e)),
        }
    }
}
