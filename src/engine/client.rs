//! The HTTP client: the only place `reqwest` and `hyper` are named. Transport failures are
//! classified by kind ([`ErrorClass`]), never by message.
//!
//! Two ways out, chosen per target when the run starts ([`Client::endpoint`]):
//!
//! - `http://` targets (every mock, and the usual service under test) go through our own
//!   HTTP/1.1 keep-alive pool ([`HostPool`]): hyper's connection API directly, one task per
//!   connection, idle connections kept last-in-first-out up to the profile's peak
//!   concurrency. A request needs a connection only while it is in flight, so a run opens at
//!   most as many connections as it has requests in flight at once. This is the hot path:
//!   it skips the layers of a general-purpose client (URL re-parsing, default-header
//!   merging, boxed connector services, pool bookkeeping by key), which cost more generator
//!   CPU per request than everything else the engine does (bench/README.md, efficiency).
//! - `https://` targets, and URLs that are only known per call (chaos actions), go through
//!   one shared `reqwest::Client` (rustls, HTTP/2 when the server negotiates it, no proxy
//!   from the environment).
//!
//! Requests are built once from plain parts ([`Client::prepare`]) and sent per attempt
//! ([`Client::send`]); retries resend the same bytes.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;

use crate::metrics::ErrorClass;
use crate::units::Duration;

use super::RunError;

const USER_AGENT: &str = concat!("stress/", env!("CARGO_PKG_VERSION"));

/// The shared HTTP client of one run.
#[derive(Clone, Debug)]
pub(crate) struct Client {
    /// Built on first use: most runs never need it (loading the system's root certificates
    /// for TLS takes ~10 ms of CPU).
    http: Arc<std::sync::OnceLock<Result<reqwest::Client, String>>>,
    /// One keep-alive pool per `http://` origin (`host:port`), shared by every target on it.
    pools: Arc<Mutex<HashMap<String, Arc<HostPool>>>>,
    max_idle: usize,
}

/// Where one target's requests go: its keep-alive pool for `http://`, else reqwest.
#[derive(Clone, Debug)]
pub(crate) struct Endpoint {
    /// Length of `scheme://authority` at the start of the target's base URL.
    origin_len: usize,
    h1: Option<Arc<HostPool>>,
}

impl Endpoint {
    /// An endpoint that sends every request through reqwest (URLs known only per call).
    pub(crate) fn generic() -> Endpoint {
        Endpoint {
            origin_len: 0,
            h1: None,
        }
    }

    /// Whether requests go through reqwest.
    pub(crate) fn is_generic(&self) -> bool {
        self.h1.is_none()
    }
}

/// A request ready to send (an attempt sends a copy; retries resend the same bytes).
#[derive(Debug)]
pub(crate) enum Prepared {
    H1 {
        pool: Arc<HostPool>,
        request: http::Request<Full<Bytes>>,
    },
    Generic(reqwest::Request),
}

impl Prepared {
    /// A copy for one more attempt (bodies are in memory, so this always succeeds).
    pub(crate) fn duplicate(&self) -> Prepared {
        match self {
            Prepared::H1 { pool, request } => Prepared::H1 {
                pool: pool.clone(),
                request: copy(request),
            },
            Prepared::Generic(request) => Prepared::Generic(
                request
                    .try_clone()
                    .expect("request bodies are in-memory bytes, so they can be cloned"),
            ),
        }
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
    /// `Retry-After`, as seconds or as an HTTP date (then: the time from now until it).
    pub retry_after: Option<Duration>,
    pub body: Vec<u8>,
}

impl Client {
    /// Builds the run's client; `pool` is the number of idle connections to keep per origin
    /// (the profile's peak concurrency).
    pub(crate) fn new(pool: usize) -> Self {
        Client {
            http: Arc::default(),
            pools: Arc::default(),
            max_idle: pool.max(1),
        }
    }

    /// The general-purpose client (https, and URLs known only per call), built on first use.
    pub(crate) fn generic(&self) -> Result<&reqwest::Client, RunError> {
        self.http
            .get_or_init(|| {
                reqwest::Client::builder()
                    .no_proxy()
                    .pool_max_idle_per_host(self.max_idle)
                    .pool_idle_timeout(std::time::Duration::from_secs(90))
                    .tcp_nodelay(true)
                    .user_agent(USER_AGENT)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|reason| RunError::Client {
                reason: reason.clone(),
            })
    }

    /// Checks that a base URL is an absolute http(s) URL.
    pub(crate) fn check_url(url: &str) -> Result<(), String> {
        let parsed = reqwest::Url::parse(url).map_err(|e| e.to_string())?;
        match parsed.scheme() {
            "http" | "https" => Ok(()),
            other => Err(format!("unsupported scheme `{other}` (use http or https)")),
        }
    }

    /// The endpoint for a target's base URL (checked with [`Client::check_url`]). A plain
    /// `http://host[:port][/prefix]` base gets the keep-alive pool of its origin; anything
    /// else (https, credentials in the URL, a query in the base) goes through reqwest.
    pub(crate) fn endpoint(&self, base: &str) -> Endpoint {
        let Ok(parsed) = reqwest::Url::parse(base) else {
            return Endpoint::generic();
        };
        let Some(rest) = base.strip_prefix("http://") else {
            return Endpoint::generic();
        };
        let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_len];
        let plain = parsed.scheme() == "http"
            && parsed.username().is_empty()
            && parsed.password().is_none()
            && parsed.query().is_none()
            && parsed.fragment().is_none()
            && !authority.contains('@');
        let (true, Some(port), Ok(host_header)) = (
            plain,
            parsed.port_or_known_default(),
            HeaderValue::from_str(authority),
        ) else {
            return Endpoint::generic();
        };
        let addr = match parsed.host() {
            Some(url::Host::Ipv4(ip)) => Addr::Ip(SocketAddr::from((ip, port))),
            Some(url::Host::Ipv6(ip)) => Addr::Ip(SocketAddr::from((ip, port))),
            Some(url::Host::Domain(name)) => Addr::Domain(name.to_string(), port),
            None => return Endpoint::generic(),
        };
        let key = format!("{}:{port}", parsed.host_str().unwrap_or_default());
        let pool = self
            .pools
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_insert_with(|| {
                let mut headers = HeaderMap::with_capacity(3);
                headers.insert(header::HOST, host_header);
                headers.insert(header::USER_AGENT, HeaderValue::from_static(USER_AGENT));
                headers.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
                Arc::new(HostPool {
                    addr,
                    headers,
                    idle: Mutex::new(Vec::new()),
                    max_idle: self.max_idle,
                })
            })
            .clone();
        Endpoint {
            origin_len: "http://".len() + authority_len,
            h1: Some(pool),
        }
    }

    /// Builds a request. `url` is the full URL without the query (the endpoint's base URL
    /// followed by the path); `query` pairs are form-encoded and appended. An error names
    /// what is malformed (a URL, a header).
    pub(crate) fn prepare(
        &self,
        endpoint: &Endpoint,
        method: &str,
        url: &str,
        query: &[(String, String)],
        headers: &[(String, String)],
        body: Option<Payload>,
    ) -> Result<Prepared, String> {
        // Lowering upper-cases methods; only a hand-built plan pays for the conversion.
        let parsed = if method.bytes().any(|b| b.is_ascii_lowercase()) {
            http::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
        } else {
            http::Method::from_bytes(method.as_bytes())
        };
        let method = parsed.map_err(|_| format!("invalid HTTP method `{method}`"))?;
        match (&endpoint.h1, url.get(..endpoint.origin_len)) {
            (Some(pool), Some(_)) => {
                let uri = origin_form(&url[endpoint.origin_len..], url, query)?;
                // Most requests set no header of their own: they copy the origin's prepared
                // set (Host, User-Agent, Accept) instead of building one.
                let mut map = if headers.is_empty() {
                    pool.headers.clone()
                } else {
                    let mut map = HeaderMap::with_capacity(headers.len() + pool.headers.len());
                    append_headers(&mut map, headers)?;
                    for (name, value) in &pool.headers {
                        if !map.contains_key(name) {
                            map.insert(name.clone(), value.clone());
                        }
                    }
                    map
                };
                let body = match body {
                    Some(body) => {
                        default_content_type(&mut map, &body);
                        Bytes::from(body.bytes)
                    }
                    None => Bytes::new(),
                };
                let mut request = http::Request::new(Full::new(body));
                *request.method_mut() = method;
                *request.uri_mut() = uri;
                *request.headers_mut() = map;
                Ok(Prepared::H1 {
                    pool: pool.clone(),
                    request,
                })
            }
            _ => {
                let url = full_url(url, query)?;
                let mut request = reqwest::Request::new(method, url);
                let map = request.headers_mut();
                append_headers(map, headers)?;
                if let Some(body) = body {
                    default_content_type(map, &body);
                    *request.body_mut() = Some(reqwest::Body::from(body.bytes));
                }
                Ok(Prepared::Generic(request))
            }
        }
    }

    /// Sends one attempt and reads the whole body, within `timeout`. Without `read_body`
    /// (nothing in the workload reads `body` or `json`) the body is still read to its end,
    /// frame by frame, but not kept: a 50 MB response costs one frame of memory.
    pub(crate) async fn send(
        &self,
        prepared: Prepared,
        timeout: Duration,
        read_headers: bool,
        read_body: bool,
    ) -> Result<Received, ErrorClass> {
        match prepared {
            Prepared::H1 { pool, request } => tokio::time::timeout(
                timeout.to_std(),
                pool.send(request, read_headers, read_body),
            )
            .await
            .unwrap_or(Err(ErrorClass::Timeout)),
            Prepared::Generic(mut request) => {
                *request.timeout_mut() = Some(timeout.to_std());
                // Built already for every target that needs it (`generic` at the run's start
                // reports a failure); a chaos action's URL gets a connect error instead.
                let http = self.generic().map_err(|_| ErrorClass::Connect)?;
                let mut response = http.execute(request).await.map_err(|e| classify(&e))?;
                let status = response.status().as_u16();
                let (retry_after, headers) = read_head(response.headers(), read_headers);
                let body: Vec<u8> = if read_body {
                    response.bytes().await.map_err(|e| classify(&e))?.into()
                } else {
                    while response.chunk().await.map_err(|e| classify(&e))?.is_some() {}
                    Vec::new()
                };
                Ok(Received {
                    status,
                    headers,
                    retry_after,
                    body,
                })
            }
        }
    }
}

/// How to reach an origin.
#[derive(Debug)]
enum Addr {
    Ip(SocketAddr),
    /// Resolved when a connection is opened.
    Domain(String, u16),
}

/// The keep-alive HTTP/1.1 connections to one `http://` origin.
#[derive(Debug)]
pub(crate) struct HostPool {
    addr: Addr,
    /// What every request carries unless it sets its own: `Host` (the authority as the
    /// base URL spells it), `User-Agent`, `Accept` (as reqwest sends them).
    headers: HeaderMap,
    /// Idle connections, the most recently used last.
    idle: Mutex<Vec<SendRequest<Full<Bytes>>>>,
    max_idle: usize,
}

impl HostPool {
    fn checkout(&self) -> Option<SendRequest<Full<Bytes>>> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        while let Some(sender) = idle.pop() {
            if !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }

    fn checkin(&self, sender: SendRequest<Full<Bytes>>) {
        if sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push(sender);
        }
    }

    /// Opens a connection and spawns the task that drives it (hyper's state machine for
    /// the socket); the task ends when the connection closes or its `SendRequest` is
    /// dropped. (Driving the connection from the requesting task instead, with no task per
    /// connection, measured ~8 % more instructions per request: every wake-up then polls
    /// both the request and the whole connection.)
    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, ErrorClass> {
        let stream = match &self.addr {
            Addr::Ip(addr) => tokio::net::TcpStream::connect(addr).await,
            Addr::Domain(host, port) => {
                tokio::net::TcpStream::connect((host.as_str(), *port)).await
            }
        }
        .map_err(|e| connect_error(&e))?;
        // Small requests must not wait for Nagle's algorithm; failing to set it is harmless.
        let _ = stream.set_nodelay(true);
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|_| ErrorClass::Connect)?;
        tokio::spawn(async move {
            // A connection error reaches the request that was using it.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends on an idle connection, or a new one.
    ///
    /// A kept-alive connection can be closed by the server while idle (its keep-alive
    /// timeout) just as we reuse it. A request the connection never took is sent again on
    /// another. A request that was written but lost because the connection turned out to be
    /// closed, before any byte of a response, is sent again once on a new connection when it
    /// is safe to repeat (GET, HEAD, OPTIONS, TRACE, or an `Idempotency-Key` header), as Go's
    /// `net/http` does. Any other failure is the request's.
    async fn send(
        &self,
        mut request: http::Request<Full<Bytes>>,
        read_headers: bool,
        read_body: bool,
    ) -> Result<Received, ErrorClass> {
        // After one resend on a fresh connection, nothing is resent again: only a reused
        // connection makes a copy or takes a request back.
        let replayable = replayable(&request);
        let mut fresh_only = false;
        loop {
            let idle = if fresh_only { None } else { self.checkout() };
            let (mut sender, reused) = match idle {
                Some(sender) => (sender, true),
                None => (self.connect().await?, false),
            };
            if sender.ready().await.is_err() {
                if reused {
                    continue;
                }
                return Err(ErrorClass::Reset);
            }
            let copy = (reused && replayable).then(|| copy(&request));
            match sender.try_send_request(request).await {
                Ok(response) => {
                    let (head, body) = response.into_parts();
                    let body = read_all(body, read_body).await?;
                    self.checkin(sender);
                    let (retry_after, headers) = read_head(&head.headers, read_headers);
                    return Ok(Received {
                        status: head.status.as_u16(),
                        headers,
                        retry_after,
                        body,
                    });
                }
                Err(mut failed) => match (failed.take_message(), copy) {
                    (Some(unsent), _) if reused => request = unsent,
                    (_, Some(copy)) if lost_on_stale(failed.error()) => {
                        request = copy;
                        fresh_only = true;
                    }
                    _ => return Err(classify_hyper(failed.error())),
                },
            }
        }
    }
}

/// A copy of a pooled request, to send again.
fn copy(request: &http::Request<Full<Bytes>>) -> http::Request<Full<Bytes>> {
    let mut copy = http::Request::new(request.body().clone());
    *copy.method_mut() = request.method().clone();
    *copy.uri_mut() = request.uri().clone();
    *copy.headers_mut() = request.headers().clone();
    copy
}

/// Safe to send twice (RFC 9110 §9.2.2, narrowed as Go's `net/http` narrows it).
fn replayable(request: &http::Request<Full<Bytes>>) -> bool {
    use http::Method;
    matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) || request.headers().contains_key("idempotency-key")
        || request.headers().contains_key("x-idempotency-key")
}

/// The connection was closed under the request before any response arrived.
fn lost_on_stale(e: &hyper::Error) -> bool {
    use std::error::Error as _;
    if e.is_incomplete_message() || e.is_canceled() || e.is_closed() {
        return true;
    }
    let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
    io.is_some_and(|io| {
        matches!(
            io.kind(),
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::ConnectionAborted
        )
    })
}

/// The whole body, or (`keep` false) nothing, the frames read and dropped one by one. (Most
/// bodies arrive in one frame: no intermediate buffer list, as `http_body_util`'s `collect`
/// would build.)
async fn read_all(mut body: hyper::body::Incoming, keep: bool) -> Result<Vec<u8>, ErrorClass> {
    let mut out: Option<Vec<u8>> = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| ErrorClass::Body)?;
        if !keep {
            continue;
        }
        if let Ok(data) = frame.into_data() {
            match &mut out {
                None => out = Some(Vec::from(data)),
                Some(out) => out.extend_from_slice(&data),
            }
        }
    }
    Ok(out.unwrap_or_default())
}

/// `Retry-After`, and the headers as text pairs when asked for.
fn read_head(map: &HeaderMap, read_headers: bool) -> (Option<Duration>, Vec<(String, String)>) {
    let retry_after = map
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(parse_retry_after);
    let headers = if read_headers {
        map.iter()
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
    (retry_after, headers)
}

fn append_headers(map: &mut HeaderMap, headers: &[(String, String)]) -> Result<(), String> {
    for (name, value) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name `{name}`"))?;
        let value = HeaderValue::from_str(value)
            .map_err(|_| format!("invalid value for header `{name}`"))?;
        map.append(name, value);
    }
    Ok(())
}

/// A body's content type, unless the file set one.
fn default_content_type(map: &mut HeaderMap, body: &Payload) {
    if !map.contains_key(header::CONTENT_TYPE) {
        map.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(body.content_type),
        );
    }
}

/// The request target (`/path?query`) for the part of the URL after the origin. A path
/// with characters a URI cannot carry as they are (spaces, non-ASCII) is percent-encoded
/// the way a browser would, through the `url` crate.
fn origin_form(path: &str, url: &str, query: &[(String, String)]) -> Result<http::Uri, String> {
    let mut target = String::with_capacity(path.len() + 1 + 32 * query.len());
    if !path.starts_with('/') {
        target.push('/');
    }
    target.push_str(path);
    if !query.is_empty() {
        target.push(if path.contains('?') { '&' } else { '?' });
        let start = target.len();
        target = url::form_urlencoded::Serializer::for_suffix(target, start)
            .extend_pairs(query)
            .finish();
    }
    match http::Uri::try_from(target) {
        Ok(uri) => Ok(uri),
        Err(_) => {
            let full = full_url(url, query)?;
            let origin_len = full[..url::Position::BeforePath].len();
            http::Uri::try_from(&full.as_str()[origin_len..])
                .map_err(|e| format!("invalid URL `{url}`: {e}"))
        }
    }
}

/// `url` parsed, with `query` appended (form-encoded).
fn full_url(url: &str, query: &[(String, String)]) -> Result<reqwest::Url, String> {
    let mut parsed = reqwest::Url::parse(url).map_err(|e| format!("invalid URL `{url}`: {e}"))?;
    if !query.is_empty() {
        let mut pairs = parsed.query_pairs_mut();
        for (k, v) in query {
            pairs.append_pair(k, v);
        }
    }
    Ok(parsed)
}

/// `application/x-www-form-urlencoded`, as `url`'s `append_pair` writes it: unreserved
/// bytes as they are, space as `+`, everything else `%XX`.
pub(crate) fn form_encode(fields: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// The kind of a failure on a pooled connection (after it was made).
fn classify_hyper(e: &hyper::Error) -> ErrorClass {
    if e.is_timeout() {
        ErrorClass::Timeout
    } else {
        ErrorClass::Reset
    }
}

/// `Retry-After: 2`, `Retry-After: 0.5` (seconds) or an HTTP date (RFC 9110 §10.2.3: the wait
/// is the time from now until that instant; a date in the past means no wait).
fn parse_retry_after(text: &str) -> Option<Duration> {
    parse_retry_after_at(text, std::time::SystemTime::now())
}

fn parse_retry_after_at(text: &str, now: std::time::SystemTime) -> Option<Duration> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(Duration::from_std(
        at.duration_since(now).unwrap_or_default(),
    ))
}

/// A connection that could not be opened: `fd_limit` when the process ran out of file
/// descriptors (EMFILE, ENFILE), which says nothing about the target, else `connect`.
fn connect_error(e: &std::io::Error) -> ErrorClass {
    if fd_exhausted(e) {
        ErrorClass::FdLimit
    } else {
        ErrorClass::Connect
    }
}

/// Whether `e` or an error under it is EMFILE or ENFILE.
pub(crate) fn fd_exhausted(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut next: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = next {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(io.raw_os_error(), Some(libc::EMFILE | libc::ENFILE)) {
                return true;
            }
            // An `io::Error` wrapping another error hides it from `source()`.
            if let Some(inner) = io.get_ref() {
                next = Some(inner);
                continue;
            }
        }
        next = err.source();
    }
    false
}

/// The kind of a transport failure.
fn classify(e: &reqwest::Error) -> ErrorClass {
    if e.is_timeout() {
        ErrorClass::Timeout
    } else if fd_exhausted(e) {
        ErrorClass::FdLimit
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
    fn running_out_of_descriptors_is_its_own_class() {
        let emfile = std::io::Error::from_raw_os_error(libc::EMFILE);
        assert_eq!(connect_error(&emfile), ErrorClass::FdLimit);
        let enfile = std::io::Error::from_raw_os_error(libc::ENFILE);
        assert_eq!(connect_error(&enfile), ErrorClass::FdLimit);
        let refused = std::io::Error::from_raw_os_error(libc::ECONNREFUSED);
        assert_eq!(connect_error(&refused), ErrorClass::Connect);
        // Under another error, as hyper and reqwest wrap it.
        let wrapped = std::io::Error::other(std::io::Error::from_raw_os_error(libc::EMFILE));
        assert!(fd_exhausted(&wrapped));
    }

    #[test]
    fn retry_after_reads_seconds() {
        assert_eq!(parse_retry_after("2"), Some(Duration::from_millis(2000)));
        assert_eq!(parse_retry_after(" 0.5 "), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("soon"), None);
    }

    #[test]
    fn retry_after_reads_http_dates() {
        let now = httpdate::parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT").expect("date");
        let wait = |t: &str| parse_retry_after_at(t, now);
        assert_eq!(
            wait("Wed, 21 Oct 2015 07:28:03 GMT"),
            Some(Duration::from_millis(3000))
        );
        // A date in the past: retry at once.
        assert_eq!(wait("Wed, 21 Oct 2015 07:27:00 GMT"), Some(Duration::ZERO));
    }

    type Pairs = Vec<(String, String)>;

    fn parts() -> (Pairs, Pairs, Payload) {
        let query = vec![
            ("q".to_string(), "a b&c".to_string()),
            ("page".to_string(), "1".to_string()),
        ];
        let headers = vec![("x-tenant".to_string(), "t1".to_string())];
        let body = Payload {
            bytes: b"{}".to_vec(),
            content_type: "application/json",
        };
        (query, headers, body)
    }

    #[test]
    fn generic_requests_encode_the_query_and_set_content_type() {
        let client = Client::new(1);
        let (query, headers, body) = parts();
        let url = "https://127.0.0.1:1/v1/x";
        let endpoint = client.endpoint("https://127.0.0.1:1");
        assert!(endpoint.h1.is_none(), "https goes through reqwest");
        let p = client
            .prepare(&endpoint, "post", url, &query, &headers, Some(body))
            .unwrap();
        let Prepared::Generic(r) = p else {
            panic!("expected a reqwest request")
        };
        assert_eq!(
            r.url().as_str(),
            "https://127.0.0.1:1/v1/x?q=a+b%26c&page=1"
        );
        assert_eq!(r.method(), reqwest::Method::POST);
        assert_eq!(r.headers()["content-type"], "application/json");
        assert_eq!(r.headers()["x-tenant"], "t1");
        assert!(
            client
                .prepare(
                    &endpoint,
                    "get",
                    "https://h/",
                    &[],
                    &[("bad name".into(), "v".into())],
                    None
                )
                .is_err()
        );
        assert!(Client::check_url("ftp://x").is_err());
        assert!(Client::check_url("http://127.0.0.1:8080").is_ok());
    }

    #[test]
    fn pooled_requests_match_what_reqwest_would_send() {
        let client = Client::new(1);
        let (query, headers, body) = parts();
        let endpoint = client.endpoint("http://127.0.0.1:1/v1");
        assert!(endpoint.h1.is_some(), "plain http uses the keep-alive pool");
        let p = client
            .prepare(
                &endpoint,
                "post",
                "http://127.0.0.1:1/v1/x",
                &query,
                &headers,
                Some(body),
            )
            .unwrap();
        let Prepared::H1 { request, .. } = p else {
            panic!("expected a pooled request")
        };
        let (head, body) = request.into_parts();
        let headers = head.headers;
        assert_eq!(head.uri, "/v1/x?q=a+b%26c&page=1");
        assert_eq!(head.method, http::Method::POST);
        assert_eq!(headers["host"], "127.0.0.1:1");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(headers["x-tenant"], "t1");
        assert_eq!(headers["accept"], "*/*");
        assert!(
            headers["user-agent"]
                .to_str()
                .unwrap()
                .starts_with("stress/")
        );
        let body = futures_body(body);
        assert_eq!(&body[..], b"{}");
        // The file's headers win over the defaults.
        let own = vec![("User-Agent".to_string(), "me".to_string())];
        let Prepared::H1 { request, .. } = client
            .prepare(&endpoint, "GET", "http://127.0.0.1:1/v1", &[], &own, None)
            .unwrap()
        else {
            panic!("expected a pooled request")
        };
        let headers = request.headers();
        assert_eq!(headers.get_all("user-agent").iter().count(), 1);
        assert_eq!(headers["user-agent"], "me");
    }

    /// The bytes of a full body (it is ready at once).
    fn futures_body(body: Full<Bytes>) -> Bytes {
        use http_body_util::BodyExt;
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(body.collect()).unwrap().to_bytes()
    }

    #[test]
    fn pooled_paths_are_percent_encoded_like_urls() {
        let client = Client::new(1);
        let endpoint = client.endpoint("http://localhost:8080");
        let uri = |url: &str, query: &[(String, String)]| match client
            .prepare(&endpoint, "GET", url, query, &[], None)
            .unwrap()
        {
            Prepared::H1 { request, .. } => request.uri().to_string(),
            Prepared::Generic(_) => panic!("expected a pooled request"),
        };
        assert_eq!(uri("http://localhost:8080", &[]), "/");
        assert_eq!(uri("http://localhost:8080/a b/é", &[]), "/a%20b/%C3%A9");
        let q = [("k".to_string(), "v w".to_string())];
        assert_eq!(uri("http://localhost:8080/s?x=1", &q), "/s?x=1&k=v+w");
        assert_eq!(uri("http://localhost:8080/a b", &q), "/a%20b?k=v+w");
    }

    #[test]
    fn only_plain_http_bases_use_the_pool() {
        let client = Client::new(4);
        assert!(client.endpoint("http://user:pw@127.0.0.1:1").h1.is_none());
        assert!(client.endpoint("http://127.0.0.1:1/?k=v").h1.is_none());
        assert!(client.endpoint("http://[::1]:9").h1.is_some());
        let a = client.endpoint("http://127.0.0.1:7/a").h1.unwrap();
        let b = client.endpoint("http://127.0.0.1:7/b").h1.unwrap();
        assert!(Arc::ptr_eq(&a, &b), "one pool per origin");
        assert_eq!(a.max_idle, 4);
    }
}
