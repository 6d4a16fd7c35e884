//! `scrape "URL" every D`: one GET of a Prometheus text exposition, parsed by the
//! `prometheus-parse` crate (only here) into flat [`Series`]: a histogram comes back as its
//! `NAME_bucket{le="…"}` series, a summary as `NAME{quantile="…"}`; `_sum` and `_count` stay
//! series of their own. Failures are returned as text, to be counted, never raised.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::metrics::scraped::Series;

/// The largest exposition read (bigger ones fail as a scrape).
const MAX_BODY: usize = 32 << 20;

/// A successful scrape: the raw text (for the before/after snapshots) and its series.
pub(crate) struct Fetched {
    pub(crate) text: String,
    pub(crate) series: Vec<Series>,
}

/// The error and its causes, on one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// GETs `url` and parses the answer, within `limit`.
pub(crate) async fn fetch(url: &str, limit: Duration) -> Result<Fetched, String> {
    let uri: http::Uri = url
        .parse()
        .map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    let client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let attempt = async {
        let response = client.get(uri).await.map_err(|e| chain(&e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("status {}", status.as_u16()));
        }
        let body = Limited::new(response.into_body(), MAX_BODY)
            .collect()
            .await
            .map_err(|e| format!("reading the body: {e}"))?
            .to_bytes();
        String::from_utf8(body.to_vec()).map_err(|_| "the body is not UTF-8 text".to_string())
    };
    let text = tokio::time::timeout(limit, attempt).await.map_err(|_| {
        format!(
            "no answer within {}",
            crate::units::Duration::from_std(limit)
        )
    })??;
    let series = parse(&text)?;
    Ok(Fetched { text, series })
}

/// The series of a text exposition; an error when it has lines but no series.
pub(crate) fn parse(text: &str) -> Result<Vec<Series>, String> {
    use prometheus_parse::Value;
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .map_err(|e| format!("not a Prometheus text exposition: {e}"))?;
    let mut out = Vec::new();
    for sample in scrape.samples {
        let labels = |extra: Option<(&str, f64)>| {
            let mut l: Vec<(String, String)> = sample
                .labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            if let Some((k, v)) = extra {
                l.push((k.to_string(), go_float(v)));
            }
            l.sort();
            l
        };
        match &sample.value {
            Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => out.push(Series {
                name: sample.metric.clone(),
                labels: labels(None),
                value: *v,
            }),
            Value::Histogram(buckets) => {
                for b in buckets {
                    out.push(Series {
                        name: format!("{}_bucket", sample.metric),
                        labels: labels(Some(("le", b.less_than))),
                        value: b.count,
                    });
                }
            }
            Value::Summary(quantiles) => {
                for q in quantiles {
                    out.push(Series {
                        name: sample.metric.clone(),
                        labels: labels(Some(("quantile", q.quantile))),
                        value: q.count,
                    });
                }
            }
        }
    }
    let has_lines = text
        .lines()
        .any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    if out.is_empty() && has_lines {
        return Err("not a Prometheus text exposition: no line reads `name value`".into());
    }
    // Stable order for the snapshots' reader and for tests.
    out.sort_by(|a, b| (&a.name, &a.labels).cmp(&(&b.name, &b.labels)));
    Ok(out)
}

fn go_float(v: f64) -> String {
    if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        v.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `prometheus_client` (Python) prints for a counter, a gauge and a histogram.
    const EXPOSITION: &str = r#"# HELP jobs_total Jobs done.
# TYPE jobs_total counter
jobs_total{outcome="ok"} 7.0
jobs_total{outcome="failed"} 2.0
# HELP jobs_created Jobs done.
# TYPE jobs_created gauge
jobs_created{outcome="ok"} 1.7e+09
# HELP queue_lag_seconds Lag.
# TYPE queue_lag_seconds gauge
queue_lag_seconds 1.5
# HELP latency_seconds Latency.
# TYPE latency_seconds histogram
latency_seconds_bucket{le="0.1"} 3.0
latency_seconds_bucket{le="1.0"} 5.0
latency_seconds_bucket{le="+Inf"} 6.0
latency_seconds_count 6.0
latency_seconds_sum 2.5
"#;

    #[test]
    fn an_exposition_flattens_into_series() {
        let series = parse(EXPOSITION).unwrap();
        let find = |name: &str, labels: &[(&str, &str)]| {
            series
                .iter()
                .find(|s| {
                    s.name == name
                        && s.labels.len() == labels.len()
                        && labels
                            .iter()
                            .all(|(k, v)| s.labels.iter().any(|(a, b)| a == k && b == v))
                })
                .map(|s| s.value)
        };
        assert_eq!(find("jobs_total", &[("outcome", "ok")]), Some(7.0));
        assert_eq!(find("jobs_total", &[("outcome", "failed")]), Some(2.0));
        assert_eq!(find("queue_lag_seconds", &[]), Some(1.5));
        assert_eq!(find("latency_seconds_bucket", &[("le", "0.1")]), Some(3.0));
        assert_eq!(find("latency_seconds_bucket", &[("le", "+Inf")]), Some(6.0));
        assert_eq!(find("latency_seconds_count", &[]), Some(6.0));
        assert_eq!(find("latency_seconds_sum", &[]), Some(2.5));
        let sel = crate::metrics::scraped::Selector::parse("jobs_total").unwrap();
        let point = crate::metrics::scraped::ScrapePoint { t_us: 0, series };
        assert_eq!(sel.value(&point), Some(9.0));
    }

    #[test]
    fn html_is_not_an_exposition() {
        assert!(parse("<html><body>hello</body></html>").is_err());
        assert_eq!(parse("# only comments\n\n").unwrap(), vec![]);
    }
}
