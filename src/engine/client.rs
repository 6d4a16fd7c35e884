//! The HTTP client: the only place `reqwest` is named. One shared `reqwest::Client` per run
//! (connection pool, keep-alive, no proxy from the environment; HTTP/1.1 on `http://`, HTTP/2
//! only when an `https://` server negotiates it). Requests are built once from plain parts
//! ([`Client::prepare`]), sent per attempt ([`Client::send`]), and transport failures are
//! classified by kind ([`ErrorClass`]), never by message.

use crate::metrics::ErrorClass;
use crate::units::Duration;

use super::RunError;

/// The shared HTTP client of one run.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    http: reqwest::Client,
}

/// A request ready to send (an attempt sends a copy; retries resend the same bytes).
#[derive(Debug)]
pub(crate) struct Prepared(reqwest::Request);

impl Prepared {
    /// A copy for one more attempt (bodies are in memory, so this always succeeds).
    pub(crate) fn duplicate(&self) -> Prepared {
        Prepared(
            self.0
                .try_clone()
                .expect("request bodies are in-memory bytes, so they can be cloned"),
        )
    }
}

/// A request body with its content type.
#[derive(Debug)]
pub(crate) struct Payload {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

/// A response, fully read.
#[derive(Debug)]
pub(crate) struct Received {
    pub status: u16,
    /// Lower-case names; empty unless headers were asked for.
    pub headers: Vec<(String, String)>,
    /// `Retry-After` in seconds (HTTP dates are not read).
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Client {
    /// Builds the run's client; `pool` is the number of idle connections to keep per host
    /// (the profile's peak concurrency).
    pub(crate) fn new(pool: usize) -> Result<Self, RunError> {
        let http = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(pool.max(1))
            .pool_idle_timeout(std::time::Duration::from_secs(90))
            .tcp_nodelay(true)
            .user_agent(concat!("stress/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| RunError::Client {
                reason: e.to_string(),
            })?;
        Ok(Client { http })
    }

    /// Checks that a base URL is an absolute http(s) URL.
    pub(crate) fn check_url(url: &str) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
        match parsed.scheme() {
            "http" | "https" => Ok(()),
            other => Err(format!("unsupported scheme `{other}` (use http or https)")),
        }
    }

    /// Builds a request. `url` is the full URL without the query; `query` pairs are
    /// percent-encoded and appended. An error names what is malformed (a URL, a header).
    pub(crate) fn prepare(
        &self,
        method: &str,
        url: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        body: Option<Payload>,
    ) -> Result<Prepared, String> {
        // Lowering upper-cases methods; only a hand-built plan pays for the conversion.
        let parsed = if method.bytes().any(|b| b.is_ascii_lowercase()) {
            reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        } else {
            reqwest::Method::from_bytes(method.as_bytes())
        };
        let method = parsed.map_err(|_| format!("invalid HTTP method `{method}`"))?;
        let mut url = reqwest::Url::parse(url).map_err(|e| format!("invalid URL `{url}`: {e}"))?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        let mut request = reqwest::Request::new(method, url);
        let map = request.headers_mut();
        for (name, value) in headers {
            let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("invalid header name `{name}`"))?;
            let value = reqwest::header::HeaderValue::from_str(value)
                .map_err(|_| format!("invalid value for header `{name}`"))?;
            map.append(name, value);
        }
        if let Some(body) = body {
            if !map.contains_key(reqwest::header::CONTENT_TYPE) {
                map.insert(
                    reqwest::header::CONTENT_TYPE,
                    reqwest::header::HeaderValue::from_static(body.content_type),
                );
            }
            *request.body_mut() = Some(reqwest::Body::from(body.bytes));
        }
        Ok(Prepared(request))
    }

    /// Sends one attempt and reads the whole body, within `timeout`.
    pub(crate) async fn send(
        &self,
        prepared: Prepared,
        timeout: Duration,
        read_headers: bool,
    ) -> Result<Received, ErrorClass> {
        let mut request = prepared.0;
        *request.timeout_mut() = Some(timeout.to_std());
        let response = self.http.execute(request).await.map_err(|e| classify(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let headers = if read_headers {
            response
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_string(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let body: Vec<u8> = response.bytes().await.map_err(|e| classify(&e))?.into();
        Ok(Received {
            status,
            headers,
            retry_after,
            body,
        })
    }
}

/// `Retry-After: 2` or `Retry-After: 0.5` (seconds); dates are not supported.
fn parse_retry_after(text: &str) -> Option<Duration> {
    let secs: f64 = text.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// The kind of a transport failure.
fn classify(e: &reqwest::Error) -> ErrorClass {
    if e.is_timeout() {
        ErrorClass::Timeout
    } else if e.is_connect() {
        ErrorClass::Connect
    } else if e.is_body() || e.is_decode() {
        ErrorClass::Body
    } else {
        ErrorClass::Reset
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_millis(2000)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn prepare_encodes_the_query_and_sets_content_type() {
        let client = Client::new(1).unwrap();
        let query = vec![
            ("q".to_string(), "a b&c".to_string()),
            ("page".to_string(), "1".to_string()),
        ];
        let headers = vec![("x-tenant".to_string(), "t1".to_string())];
        let body = Payload {
            bytes: b"{}".to_vec(),
            content_type: "application/json",
        };
        let p = client
            .prepare(
                "post",
                "http://127.0.0.1:1/v1/x",
                &query,
                &headers,
                Some(body),
            )
            .unwrap();
        assert_eq!(
            p.0.url().as_str(),
            "http://127.0.0.1:1/v1/x?q=a+b%26c&page=1"
        );
        assert_eq!(p.0.method(), reqwest::Method::POST);
        assert_eq!(p.0.headers()["content-type"], "application/json");
        assert_eq!(p.0.headers()["x-tenant"], "t1");
        assert!(
            client
                .prepare(
                    "get",
                    "http://h/",
                    &[],
                    &[("bad name".into(), "v".into())],
                    None
                )
                .is_err()
        );
        assert!(Client::check_url("ftp://x").is_err());
        assert!(Client::check_url("http://127.0.0.1:8080").is_ok());
    }
}
