//! Readiness probes: `ready http "URL"` (a GET answered with a status below 400), `ready tcp
//! "HOST:PORT"` (a connection accepted), `ready log "REGEX"` (a line of output matched). Each
//! is polled every [`POLL`] until the deadline, and given up as soon as the process exits.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout};

use crate::plan::Ready;

use super::spawn::{Exit, LogBuf, Running};

/// Between two attempts of a probe.
pub(crate) const POLL: Duration = Duration::from_millis(50);
/// The longest one attempt may take.
const ATTEMPT: Duration = Duration::from_secs(2);

/// Why a service did not become ready.
pub(crate) enum NotReady {
    Timeout,
    Exited(Exit),
    Invalid(String),
}

/// The host and port of a `ready http` URL or a `ready tcp` address.
pub(crate) fn address_of(ready: &Ready) -> Result<String, String> {
    match ready.probe.as_str() {
        "http" => {
            let url = url::Url::parse(&ready.address)
                .map_err(|e| format!("`{}` is not a URL: {e}", ready.address))?;
            if url.scheme() != "http" {
                return Err(format!(
                    "`ready http` supports http:// URLs only, not `{}`",
                    ready.address
                ));
            }
            let host = url
                .host_str()
                .ok_or_else(|| format!("`{}` has no host", ready.address))?;
            let port = url.port_or_known_default().unwrap_or(80);
            Ok(format!("{host}:{port}"))
        }
        _ => Ok(ready.address.clone()),
    }
}

/// Polls until ready, the deadline, or the process's exit.
pub(crate) async fn await_ready(
    ready: &Ready,
    running: &Running,
    log: &LogBuf,
) -> Result<(), NotReady> {
    let deadline = Instant::now() + ready.within.to_std();
    let mut matched = log.matched();
    if ready.probe != "log" {
        address_of(ready).map_err(NotReady::Invalid)?;
    }
    loop {
        if let Some(exit) = running.exited() {
            // A `ready log` line may have been printed just before the exit.
            return Err(NotReady::Exited(exit));
        }
        let ok = match ready.probe.as_str() {
            "http" => http_ok(&ready.address).await,
            "tcp" => tcp_ok(&ready.address).await,
            _ => *matched.borrow_and_update(),
        };
        if ok {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(NotReady::Timeout);
        }
        let wait = POLL.min(deadline - now);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = matched.changed(), if ready.probe == "log" => {}
            _ = running.wait() => {}
        }
    }
}

async fn tcp_ok(address: &str) -> bool {
    matches!(
        timeout(ATTEMPT, TcpStream::connect(address)).await,
        Ok(Ok(_))
    )
}

/// Whether something already accepts connections at `address` (before the service starts).
pub(crate) async fn in_use(address: &str) -> bool {
    matches!(
        timeout(Duration::from_millis(500), TcpStream::connect(address)).await,
        Ok(Ok(_))
    )
}

/// A plain HTTP/1.0 GET (no client library needed for a health check): ready when the
/// status is below 400.
async fn http_ok(url: &str) -> bool {
    let Ok(parsed) = url::Url::parse(url) else {
        return false;
    };
    let Some(host) = parsed.host_str() else {
        return false;
    };
    let port = parsed.port_or_known_default().unwrap_or(80);
    let mut path = parsed.path().to_string();
    if let Some(q) = parsed.query() {
        path.push('?');
        path.push_str(q);
    }
    let attempt = async {
        let mut stream = TcpStream::connect((host, port)).await.ok()?;
        let request =
            format!("GET {path} HTTP/1.0\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.ok()?;
        let mut head = [0u8; 64];
        let mut read = 0;
        while read < 12 {
            let n = stream.read(&mut head[read..]).await.ok()?;
            if n == 0 {
                break;
            }
            read += n;
        }
        let text = std::str::from_utf8(&head[..read]).ok()?;
        let status: u16 = text.split_whitespace().nth(1)?.parse().ok()?;
        Some(status < 400)
    };
    matches!(timeout(ATTEMPT, attempt).await, Ok(Some(true)))
}
