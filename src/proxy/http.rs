//! The HTTP side of the proxy: accept loop, per-request fault decision, forwarding with a
//! pooled hyper client, and the response body pump that streams each upstream chunk as it
//! comes (and carries out `reset`, `truncate` and `bandwidth`).

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use super::{Decided, Shared, fault_kind};
use crate::eval::{EvalError, Field, Scope, Value};
use crate::plan::{Builtin, Fault};

pub(super) type UpstreamClient = Client<HttpsConnector<HttpConnector>, Incoming>;
type ProxyBody = BoxBody<Bytes, io::Error>;

/// Connection: keep-alive pool to the upstream, no Nagle; `https://` over rustls (SNI and
/// certificate checks against the upstream's host), trusting the system's roots and the
/// certificates of `ca` (a PEM file). An `http://` upstream never builds the TLS roots.
pub(super) fn client(upstream: &Upstream, ca: Option<&str>) -> Result<UpstreamClient, String> {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.enforce_http(false);
    let mut roots = rustls::RootCertStore::empty();
    if upstream.tls {
        // Unreadable system certificates are skipped: a `ca` may be all the test needs.
        let native = rustls_native_certs::load_native_certs();
        roots.add_parsable_certificates(native.certs);
        if let Some(path) = ca {
            use rustls_pki_types::pem::PemObject;
            let certs = rustls_pki_types::CertificateDer::pem_file_iter(path)
                .map_err(|e| format!("ca `{path}`: {e}"))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| format!("ca `{path}`: {e}"))?;
            if certs.is_empty() {
                return Err(format!("ca `{path}`: no PEM certificate in it"));
            }
            for cert in certs {
                roots.add(cert).map_err(|e| format!("ca `{path}`: {e}"))?;
            }
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let https = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(connector);
    Ok(Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(https))
}

/// Where requests go: `origin` + `prefix` + the request's path and query.
pub(super) struct Upstream {
    origin: String,
    authority: HeaderValue,
    prefix: String,
    /// `https://`
    tls: bool,
}

impl Upstream {
    pub(super) fn parse(text: &str) -> Result<Upstream, String> {
        let url = url::Url::parse(text).map_err(|e| format!("upstream `{text}`: {e}"))?;
        let tls = match url.scheme() {
            "http" => false,
            "https" => true,
            other => {
                return Err(format!(
                    "upstream `{text}`: `{other}://` is not HTTP (write `http://` or `https://`)"
                ));
            }
        };
        let host = url
            .host_str()
            .ok_or_else(|| format!("upstream `{text}` has no host"))?;
        let authority = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        Ok(Upstream {
            origin: format!("{}://{authority}", url.scheme()),
            authority: HeaderValue::from_str(&authority).map_err(|e| e.to_string())?,
            prefix: url.path().trim_end_matches('/').to_string(),
            tls,
        })
    }
}

/// An upstream failure in words: each cause of the chain (`client error (Connect): invalid
/// peer certificate: UnknownIssuer`), not hyper's outermost "client error (Connect)" alone.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    text
}

/// Accepts connections until cancelled; each connection is served by hyper (HTTP/1.1,
/// keep-alive) and dropped at once on cancellation.
pub(super) async fn serve(listener: TcpListener, shared: Arc<Shared>, cancel: CancellationToken) {
    loop {
        let (stream, peer) = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                // Out of file descriptors and the like: try again shortly.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        {
            let mut rec = shared.recorder();
            let slot = rec.now();
            rec.slot(slot).connections += 1;
        }
        let shared = shared.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            let ctl = Arc::new(ConnCtl::default());
            let io = TokioIo::new(CtlIo {
                inner: stream,
                ctl: ctl.clone(),
            });
            let service = service_fn(move |req| handle(shared.clone(), ctl.clone(), peer, req));
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(io, service);
            tokio::select! {
                _ = conn => {}
                () = cancel.cancelled() => {}
            }
        });
    }
}

// ── One connection ───────────────────────────────────────────────────

/// Lets a request's handling reset its connection (`reset`: SO_LINGER 0, then close).
#[derive(Default)]
struct ConnCtl {
    reset: AtomicBool,
}

/// The client socket, with a reset switch: once `reset` is set, shutting down or dropping the
/// socket sends RST instead of FIN.
struct CtlIo {
    inner: TcpStream,
    ctl: Arc<ConnCtl>,
}

impl CtlIo {
    fn abort(&self) {
        let _ = socket2::SockRef::from(&self.inner).set_linger(Some(Duration::ZERO));
    }
}

impl Drop for CtlIo {
    fn drop(&mut self) {
        if self.ctl.reset.load(Ordering::Acquire) {
            self.abort();
        }
    }
}

impl AsyncRead for CtlIo {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for CtlIo {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.ctl.reset.load(Ordering::Acquire) {
            self.abort();
            return Poll::Ready(Err(io::ErrorKind::ConnectionReset.into()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

// ── What a proxy rule sees ───────────────────────────────────────────

/// A request as a fault rule's `when` sees it: `call`, `method`, `path`, `header("name")`,
/// `body_size` (the declared Content-Length, `none` without one); and, once answered, as a
/// proxy SLO's `count(…)` sees it: also `status` (what the proxy answered, `none` without an
/// answer), `injected` and `fault`.
#[derive(Clone)]
struct RequestScope<'a> {
    /// `proxy`, `call` and, once decided, `injected` and `fault`.
    decided: Decided<'a>,
    method: &'a str,
    path: &'a str,
    headers: &'a HeaderMap,
    body_size: Option<u64>,
    status: Option<u16>,
}

impl Scope for RequestScope<'_> {
    fn builtin(&mut self, builtin: &Builtin) -> Result<Value, EvalError> {
        self.decided.builtin(
            builtin,
            "at a proxy (a rule there sees call, method, path, header(…), body_size)",
        )
    }

    fn var(&mut self, name: &str) -> Result<Value, EvalError> {
        match name {
            "method" => Ok(Value::from(self.method)),
            "proxy" => Ok(Value::from(self.decided.proxy)),
            "path" => Ok(Value::from(self.path)),
            "body_size" => Ok(self
                .body_size
                .map_or(Value::Null, |n| Value::Number(n as f64))),
            other => Err(EvalError::UnknownVar(other.to_string())),
        }
    }

    fn response(&mut self, step: Option<&str>, field: Field<'_>) -> Result<Value, EvalError> {
        if step.is_some() {
            return Err(EvalError::NotAvailable("an earlier step's response"));
        }
        Ok(match field {
            Field::Header(name) => self
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map_or(Value::Null, Value::from),
            Field::Status => self
                .status
                .map_or(Value::Null, |s| Value::Number(f64::from(s))),
            _ => Value::Null,
        })
    }
}

/// What the proxy knows of a request once its fate is decided, for the `count(…)` conditions
/// of proxy SLOs (evaluated when its answer is known: [`Facts::answered`]).
struct Facts {
    /// The scenario it arrived in and where on its time line.
    slot: super::Slot,
    call: u64,
    method: String,
    path: String,
    /// Kept only when a condition may read them.
    headers: HeaderMap,
    body_size: Option<u64>,
    injected: bool,
    fault: Option<Fault>,
}

impl Facts {
    /// The proxy answered `status` (`None`: no answer, the connection was closed or held):
    /// counts the conditions that hold.
    fn answered(&self, shared: &Shared, status: Option<u16>) {
        shared.count_matches(
            self.slot,
            &mut RequestScope {
                decided: Decided {
                    proxy: &shared.name,
                    call: self.call,
                    injected: self.injected,
                    fault: self.fault.as_ref(),
                },
                method: &self.method,
                path: &self.path,
                headers: &self.headers,
                body_size: self.body_size,
                status,
            },
        );
    }
}

// ── One request ──────────────────────────────────────────────────────

async fn handle(
    shared: Arc<Shared>,
    ctl: Arc<ConnCtl>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<ProxyBody>, io::Error> {
    let active = shared
        .faults
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    let body_size = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let slot = shared.current_slot();
    let call = active
        .as_ref()
        .map(|a| a.shard.global(a.calls.fetch_add(1, Ordering::Relaxed)));
    let decision = active.as_ref().zip(call).and_then(|(a, call)| {
        let at_us = u64::try_from(a.t0.elapsed().as_micros()).unwrap_or(u64::MAX);
        let scope = RequestScope {
            decided: Decided {
                proxy: &shared.name,
                call,
                injected: false,
                fault: None,
            },
            method: req.method().as_str(),
            path: req.uri().path(),
            headers: req.headers(),
            body_size,
            status: None,
        };
        a.injector
            .decide_in(at_us, call, &scope)
            .map(|d| (a.labels.get(d.rule).cloned().unwrap_or_default(), d))
    });
    {
        let mut rec = shared.recorder();
        let stats = rec.slot(slot);
        stats.requests += 1;
        if let Some((label, d)) = &decision {
            stats.fault(label, fault_kind(d.fault.as_ref()));
        }
    }
    let injected = decision.is_some();
    let (delay, fault) = match decision {
        Some((_, d)) => (d.delay.to_std(), d.fault),
        None => (Duration::ZERO, None),
    };
    let facts = Facts {
        slot,
        call: call.unwrap_or(0),
        method: req.method().as_str().to_string(),
        path: req.uri().path().to_string(),
        headers: if shared.predicates.is_empty() {
            HeaderMap::new()
        } else {
            req.headers().clone()
        },
        body_size,
        injected,
        fault: fault.clone(),
    };
    if matches!(
        fault,
        Some(Fault::Hang | Fault::Timeout | Fault::ConnectionError)
    ) {
        facts.answered(&shared, None);
    }
    match &fault {
        // Read the request, never answer; the socket stays open until the client leaves or
        // the test ends.
        Some(Fault::Hang) => return std::future::pending().await,
        // Held until the client gives up; with a delay (`latency_error(P, D, timeout)`), held
        // D, then the connection is closed without an answer.
        Some(Fault::Timeout) => {
            if delay.is_zero() {
                return std::future::pending().await;
            }
            tokio::time::sleep(delay).await;
            return Err(io::Error::other("injected timeout"));
        }
        _ => {}
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut response = match fault {
        Some(Fault::Status {
            status,
            retry_after,
        }) => {
            facts.answered(&shared, Some(status));
            status_response(status, retry_after.map(|d| d.to_std()))
        }
        // hyper closes the connection without writing a response when the service fails.
        Some(Fault::ConnectionError) => {
            return Err(io::Error::other("injected connection_error"));
        }
        fault => forward(shared, ctl, peer, req, &facts, fault).await?,
    };
    // The call number at this injection point, for matching a response with the fault log.
    if let Some(call) = call {
        response
            .headers_mut()
            .insert("x-stress-call", HeaderValue::from(call));
    }
    Ok(response)
}

/// An answer made by the proxy (the upstream is not called).
fn status_response(status: u16, retry_after: Option<Duration>) -> Response<ProxyBody> {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let body = format!(
        "{{\"error\":{{\"message\":\"injected by the stress proxy\",\"status\":{status}}}}}"
    );
    let mut builder = Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::VIA, "1.1 stress");
    if let Some(d) = retry_after {
        // Retry-After takes whole seconds (RFC 9110): rounded up.
        let secs = d.as_micros().div_ceil(1_000_000);
        builder = builder.header(header::RETRY_AFTER, secs.to_string());
    }
    builder
        .body(full(body))
        .unwrap_or_else(|_| Response::new(full(String::new())))
}

fn full(text: String) -> ProxyBody {
    Full::new(Bytes::from(text))
        .map_err(|never: Infallible| match never {})
        .boxed()
}

/// Hop-by-hop headers (RFC 9110 §7.6.1), and those the Connection header names.
fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|n| HeaderName::from_bytes(n.trim().as_bytes()).ok())
        .collect();
    for name in named {
        headers.remove(name);
    }
    for name in [
        "connection",
        "keep-alive",
        "proxy-connection",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    ] {
        headers.remove(name);
    }
}

async fn forward(
    shared: Arc<Shared>,
    ctl: Arc<ConnCtl>,
    peer: SocketAddr,
    req: Request<Incoming>,
    facts: &Facts,
    fault: Option<Fault>,
) -> Result<Response<ProxyBody>, io::Error> {
    let super::Upstream::Http(upstream, client) = &shared.upstream else {
        return Err(io::Error::other("not an HTTP proxy"));
    };
    let body_size = facts.body_size;
    let (mut parts, body) = req.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let uri: Uri = format!("{}{}{}", upstream.origin, upstream.prefix, path)
        .parse()
        .map_err(io::Error::other)?;
    strip_hop_by_hop(&mut parts.headers);
    // Host names the upstream (as nginx's default `proxy_set_header Host $proxy_host`); the
    // client's Host goes on in X-Forwarded-Host.
    if let Some(host) = parts.headers.remove(header::HOST) {
        parts.headers.insert("x-forwarded-host", host);
    }
    parts
        .headers
        .insert(header::HOST, upstream.authority.clone());
    let xff = match parts
        .headers
        .get("x-forwarded-for")
        .and_then(|v| v.to_str().ok())
    {
        Some(prev) => format!("{prev}, {}", peer.ip()),
        None => peer.ip().to_string(),
    };
    if let Ok(v) = HeaderValue::from_str(&xff) {
        parts.headers.insert("x-forwarded-for", v);
    }
    parts
        .headers
        .append(header::VIA, HeaderValue::from_static("1.1 stress"));
    parts.uri = uri;
    parts.version = http::Version::HTTP_11;
    let sent = Instant::now();
    let response = client.request(Request::from_parts(parts, body)).await;
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            let why = error_chain(&e);
            shared.recorder().slot(facts.slot).upstream_error(&why);
            facts.answered(&shared, Some(502));
            let mut r = Response::new(full(format!(
                "{{\"error\":{{\"message\":\"stress proxy: upstream failed: {}\"}}}}",
                why.replace(['"', '\\'], "'")
            )));
            *r.status_mut() = StatusCode::BAD_GATEWAY;
            return Ok(r);
        }
    };
    {
        let latency = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut rec = shared.recorder();
        let stats = rec.slot(facts.slot);
        stats.forwarded += 1;
        stats.bytes_up += body_size.unwrap_or(0);
        *stats
            .upstream_status
            .entry(response.status().as_u16())
            .or_default() += 1;
        stats.upstream_latency.record(latency);
    }
    facts.answered(&shared, Some(response.status().as_u16()));
    let (mut parts, body) = response.into_parts();
    strip_hop_by_hop(&mut parts.headers);
    parts
        .headers
        .append(header::VIA, HeaderValue::from_static("1.1 stress"));
    let (tx, rx) = mpsc::channel(4);
    let progress = Arc::new(Progress::default());
    tokio::spawn(pump(
        body,
        tx,
        fault,
        ctl,
        progress.clone(),
        shared,
        facts.slot,
    ));
    Ok(Response::from_parts(
        parts,
        ChannelBody { rx, progress }.boxed(),
    ))
}

// ── The response body ────────────────────────────────────────────────

type Item = Result<Frame<Bytes>, io::Error>;

/// How far hyper has read the response body: `yielded` frames handed over, and the value of
/// `yielded` when it last found nothing more (it flushes what it holds at that point).
#[derive(Default)]
struct Progress {
    yielded: AtomicU64,
    drained_at: AtomicU64,
    notify: Notify,
}

struct ChannelBody {
    rx: mpsc::Receiver<Item>,
    progress: Arc<Progress>,
}

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        let this = self.get_mut();
        match this.rx.poll_recv(cx) {
            Poll::Ready(Some(item)) => {
                this.progress.yielded.fetch_add(1, Ordering::AcqRel);
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => {
                let n = this.progress.yielded.load(Ordering::Acquire);
                this.progress.drained_at.store(n, Ordering::Release);
                this.progress.notify.notify_waiters();
                Poll::Pending
            }
        }
    }
}

/// Streams the upstream body to the client frame by frame (each chunk is flushed as it comes),
/// carrying out a body fault on the way.
async fn pump(
    body: Incoming,
    tx: mpsc::Sender<Item>,
    fault: Option<Fault>,
    ctl: Arc<ConnCtl>,
    progress: Arc<Progress>,
    shared: Arc<Shared>,
    slot: super::Slot,
) {
    let bytes = pump_frames(body, &tx, fault, &ctl, &progress).await;
    shared.recorder().slot(slot).bytes_down += bytes;
}

async fn pump_frames(
    mut body: Incoming,
    tx: &mpsc::Sender<Item>,
    fault: Option<Fault>,
    ctl: &ConnCtl,
    progress: &Progress,
) -> u64 {
    let started = tokio::time::Instant::now();
    let mut bytes = 0u64;
    let mut items = 0u64;
    let mut cut = matches!(fault, Some(Fault::Reset | Fault::Truncate));
    // `close_after(N)`: what may still be sent before the body is cut.
    let mut left = match fault {
        Some(Fault::CloseAfter { bytes }) => Some(bytes),
        _ => None,
    };
    loop {
        let frame = match body.frame().await {
            None => break,
            Some(Ok(f)) => f,
            Some(Err(e)) => {
                let _ = tx.send(Err(io::Error::other(e))).await;
                return bytes;
            }
        };
        let data = match frame.into_data() {
            Ok(d) => d,
            Err(trailers) => {
                if tx.send(Ok(trailers)).await.is_err() {
                    return bytes;
                }
                continue;
            }
        };
        if data.is_empty() {
            continue;
        }
        if let Some(rest) = left {
            // N bytes of the body, then the same clean cut as `truncate`.
            let keep = usize::try_from(rest).unwrap_or(usize::MAX).min(data.len());
            if keep > 0 {
                if tx.send(Ok(Frame::data(data.slice(..keep)))).await.is_err() {
                    return bytes;
                }
                bytes += keep as u64;
                items += 1;
            }
            left = Some(rest - keep as u64);
            if keep < data.len() {
                cut = true;
                break;
            }
            continue;
        }
        if cut {
            // Half of the first chunk, never all of it: the declared length (or the chunked
            // stream's last chunk) is never reached.
            let keep = data.len() / 2;
            if keep > 0 {
                if tx.send(Ok(Frame::data(data.slice(..keep)))).await.is_err() {
                    return bytes;
                }
                bytes += keep as u64;
                items += 1;
            }
            break;
        }
        if let Some(Fault::Bandwidth { bytes_per_sec }) = fault {
            let rate = bytes_per_sec.max(1);
            // Pieces of about 1/20 s of the rate, each sent when the rate allows it.
            let step = usize::try_from((rate / 20).clamp(1, 16 * 1024)).unwrap_or(1024);
            let mut rest = data;
            while !rest.is_empty() {
                let piece = rest.split_to(step.min(rest.len()));
                let due = started + Duration::from_secs_f64(bytes as f64 / rate as f64);
                tokio::time::sleep_until(due).await;
                let n = piece.len() as u64;
                if tx.send(Ok(Frame::data(piece))).await.is_err() {
                    return bytes;
                }
                bytes += n;
            }
            continue;
        }
        let n = data.len() as u64;
        if tx.send(Ok(Frame::data(data))).await.is_err() {
            return bytes;
        }
        bytes += n;
    }
    if cut {
        // Let hyper flush what was sent (it does when it next finds the body empty) before
        // cutting.
        {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
            loop {
                let notified = progress.notify.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                if progress.drained_at.load(Ordering::Acquire) >= items
                    && progress.yielded.load(Ordering::Acquire) >= items
                {
                    break;
                }
                if tokio::time::timeout_at(deadline, notified).await.is_err() {
                    break;
                }
            }
        }
        if matches!(fault, Some(Fault::Reset)) {
            // Switch the socket to RST.
            ctl.reset.store(true, Ordering::Release);
            let _ = tx
                .send(Err(io::Error::new(
                    io::ErrorKind::ConnectionReset,
                    "injected reset",
                )))
                .await;
        } else {
            let _ = tx
                .send(Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "injected truncate",
                )))
                .await;
        }
    }
    bytes
}
