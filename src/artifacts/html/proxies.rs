//! The proxies of a test, beside the client's scenarios: one card per `proxy NAME`, with what
//! reached it, what it forwarded, the upstream's statuses and latency, bytes, and each wire
//! fault it injected (rule, kind, count), over every scenario of the test.

use maud::{Markup, html};

use crate::report::ProxyReport;
use crate::report::format::{dur, plural};

use super::scenario::{chips, kv, status_class};

pub(super) fn proxy_section(ti: usize, proxies: &[ProxyReport]) -> Markup {
    html! {
        @if !proxies.is_empty() {
            h2.section-h { "Proxies " span.count { (proxies.len()) } }
            "\n"
            @for (pi, p) in proxies.iter().enumerate() { (proxy_card(ti, pi, p)) }
        }
    }
}

fn proxy_card(ti: usize, pi: usize, p: &ProxyReport) -> Markup {
    let injected: u64 = p.faults.iter().map(|f| f.count).sum();
    html! {
        details.card.scn.proxy id={ "t" (ti) "-p" (pi) } open {
            summary {
                span class={ "dot " (if p.upstream_errors > 0 { "fail" } else { "pass" }) } {}
                span.scn-name { "proxy " (p.name) }
                span.parts { (p.listen) " → " (p.upstream) }
                span.pills {
                    span.pill { (p.requests) " request" (plural(p.requests)) }
                    span.pill { (p.forwarded) " forwarded" }
                    @if p.upstream_errors > 0 {
                        span.pill.bad { (p.upstream_errors) " upstream error" (plural(p.upstream_errors)) }
                    }
                    @if injected > 0 { span.pill.bad { (injected) " fault" (plural(injected)) " injected" } }
                }
            }
            "\n"
            div.scn-body { div.facts {
                div.sub-card {
                    h3.hh { "Requests" }
                    dl.kv {
                        (kv("received", html! { (p.requests) }))
                        (kv("forwarded", html! { (p.forwarded) }))
                        (kv("upstream errors", html! {
                            @if p.upstream_errors > 0 { span.t-fail { (p.upstream_errors) } }
                            @else { "0" }
                        }))
                        @for c in &p.upstream_error_causes {
                            (kv(&format!("upstream error ×{}", c.count), html! { code { (c.name) } }))
                        }
                        (kv("bytes up", html! { (p.bytes_up) }))
                        (kv("bytes down", html! { (p.bytes_down) }))
                    }
                    @if !p.upstream_status.is_empty() {
                        h4 { "upstream status" } (chips(&p.upstream_status, status_class))
                    }
                }
                div.sub-card {
                    h3.hh { "Upstream latency" }
                    @match &p.upstream_latency {
                        Some(l) => dl.kv {
                            (kv("p50", html! { (dur(l.p50_us)) }))
                            (kv("p95", html! { (dur(l.p95_us)) }))
                            (kv("p99", html! { (dur(l.p99_us)) }))
                            (kv("max", html! { (dur(l.max_us)) }))
                        },
                        None => p { "nothing forwarded" },
                    }
                }
                div.sub-card.span2 {
                    h3.hh { "Faults injected" }
                    @if p.faults.is_empty() { p { "none" } }
                    @else {
                        div.tbl { table {
                            thead { tr { th { "rule" } th { "fault" } th.num { "fired" } } }
                            tbody {
                                @for f in &p.faults {
                                    tr {
                                        td.wrap { code { (f.rule) } }
                                        td { code { (f.kind) } }
                                        td.num { (f.count) }
                                    }
                                }
                            }
                        } }
                    }
                }
            } }
        }
        "\n"
    }
}
