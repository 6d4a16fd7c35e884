//! The TCP side of the proxy (`proxy NAME tcp { … }`): each accepted connection is call number
//! `k` (from 0, in the order connections are accepted, per scenario) and the scenario rules
//! decide its fate once, before anything is forwarded. Bytes are copied both ways; a fault
//! acts on the connection as a whole (docs/proxy.md, "TCP mode"):
//!
//! - `connection_error`: closed at once (FIN), the upstream is never called;
//! - `hang` (and `timeout` without a delay): accepted and held open, nothing forwarded;
//! - `timeout` with a delay: held that long, then closed;
//! - `reset`: forwarded until the upstream's first bytes; half of them reach the client, then
//!   RST (`SO_LINGER 0`);
//! - `bandwidth(R)`: each direction paced at R;
//! - `close_after(N)`: N bytes from the upstream reach the client, then both sides are closed;
//! - a delay (`latency(P, D)`): held D before the upstream is connected.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

use super::{ActiveFaults, Decided, Shared, Upstream, fault_kind};
use crate::eval::{EvalError, Field, Scope, Value};
use crate::plan::{Builtin, Fault};

/// Accepts connections until cancelled. The call number is taken here, in accept order.
pub(super) async fn serve(listener: TcpListener, shared: Arc<Shared>, cancel: CancellationToken) {
    loop {
        let stream = tokio::select! {
            () = cancel.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((s, _)) => s,
                // Out of file descriptors and the like: try again shortly.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let active = shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let call = active
            .as_ref()
            .map(|a| a.shard.global(a.calls.fetch_add(1, Ordering::Relaxed)));
        let shared = shared.clone();
        let cancel = cancel.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = connection(stream, &shared, active.as_deref(), call) => {}
                () = cancel.cancelled() => {}
            }
        });
    }
}

/// A connection as a rule sees it: `call` (the connection number) and `proxy`; once decided,
/// as a proxy SLO's `count(…)` sees it: also `injected` and `fault`.
#[derive(Clone)]
struct ConnScope<'a>(Decided<'a>);

impl Scope for ConnScope<'_> {
    fn builtin(&mut self, builtin: &Builtin) -> Result<Value, EvalError> {
        self.0
            .builtin(builtin, "at a TCP proxy (a rule there sees call and proxy)")
    }

    fn var(&mut self, name: &str) -> Result<Value, EvalError> {
        self.0
            .var(name)
            .ok_or_else(|| EvalError::UnknownVar(name.to_string()))
    }

    fn response(&mut self, _step: Option<&str>, _field: Field<'_>) -> Result<Value, EvalError> {
        Err(EvalError::NotAvailable(
            "at a TCP proxy (it sees bytes, not requests)",
        ))
    }
}

async fn connection(
    client: TcpStream,
    shared: &Shared,
    active: Option<&ActiveFaults>,
    call: Option<u64>,
) {
    let Upstream::Tcp(upstream) = &shared.upstream else {
        return;
    };
    let slot = shared.current_slot();
    let decision = active.zip(call).and_then(|(a, call)| {
        let at_us = u64::try_from(a.t0.elapsed().as_micros()).unwrap_or(u64::MAX);
        let scope = ConnScope(Decided {
            proxy: &shared.name,
            call,
            injected: false,
            fault: None,
        });
        a.injector
            .decide_in(at_us, call, &scope)
            .map(|d| (a.labels.get(d.rule).cloned().unwrap_or_default(), d))
    });
    {
        let mut rec = shared.recorder();
        let stats = rec.slot(slot);
        stats.requests += 1;
        stats.connections += 1;
        if let Some((label, d)) = &decision {
            stats.fault(label, fault_kind(d.fault.as_ref()));
        }
    }
    let (delay, fault) = match decision {
        Some((_, d)) => (d.delay.to_std(), d.fault),
        None => (Duration::ZERO, None),
    };
    count_predicates(shared, slot, call.unwrap_or(0), delay, fault.as_ref());
    match fault {
        Some(Fault::ConnectionError) => {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            return;
        }
        Some(Fault::Hang) => return hold(client).await,
        Some(Fault::Timeout) if delay.is_zero() => return hold(client).await,
        Some(Fault::Timeout) => {
            let _ = tokio::time::timeout(delay, hold(client)).await;
            return;
        }
        _ => {}
    }
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let sent = Instant::now();
    let up = match TcpStream::connect(upstream.as_str()).await {
        Ok(s) => s,
        Err(_) => {
            shared.recorder().slot(slot).upstream_errors += 1;
            return;
        }
    };
    let _ = up.set_nodelay(true);
    {
        let latency = u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut rec = shared.recorder();
        let stats = rec.slot(slot);
        stats.forwarded += 1;
        stats.upstream_latency.record(latency);
    }
    let rate = match fault {
        Some(Fault::Bandwidth { bytes_per_sec }) => Some(bytes_per_sec.max(1)),
        _ => None,
    };
    let (client_r, client_w) = client.into_split();
    let (up_r, up_w) = up.into_split();
    let upward = Pump {
        rate,
        limit: None,
        reset: false,
        down: false,
    };
    let downward = Pump {
        rate,
        limit: match fault {
            Some(Fault::CloseAfter { bytes }) => Some(bytes),
            _ => None,
        },
        reset: matches!(fault, Some(Fault::Reset)),
        down: true,
    };
    let up_task = upward.run(client_r, up_w, shared, slot);
    let down_task = downward.run(up_r, client_w, shared, slot);
    tokio::pin!(up_task, down_task);
    let (mut up_done, mut down_done) = (false, false);
    while !(up_done && down_done) {
        let end = tokio::select! {
            end = &mut up_task, if !up_done => { up_done = true; end }
            end = &mut down_task, if !down_done => { down_done = true; end }
        };
        if end == End::Abort {
            // Dropping the pumps closes both sockets (with RST when `reset` armed it).
            break;
        }
    }
}

/// Reads and discards what the client sends until it leaves (or the test ends): the
/// connection is open, nothing is forwarded, nothing comes back.
async fn hold(mut client: TcpStream) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = client.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

/// Counts the `count(…)` conditions of the test's proxy SLOs for one connection.
fn count_predicates(
    shared: &Shared,
    slot: super::Slot,
    call: u64,
    delay: Duration,
    fault: Option<&Fault>,
) {
    shared.count_matches(
        slot,
        &mut ConnScope(Decided {
            proxy: &shared.name,
            call,
            injected: fault.is_some() || !delay.is_zero(),
            fault,
        }),
    );
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum End {
    /// The reader reached EOF (or failed): the writer was shut down, the other direction goes on.
    Eof,
    /// A fault ended the connection: both sides close now.
    Abort,
}

/// One direction of a connection.
struct Pump {
    /// Bytes per second (`bandwidth`).
    rate: Option<u64>,
    /// Bytes to let through before closing (`close_after`).
    limit: Option<u64>,
    /// `reset`: half of the first read reaches the writer, then RST.
    reset: bool,
    /// Upstream → client (counted in `bytes_down`).
    down: bool,
}

impl Pump {
    async fn run(
        self,
        mut from: OwnedReadHalf,
        mut to: OwnedWriteHalf,
        shared: &Shared,
        slot: super::Slot,
    ) -> End {
        let started = tokio::time::Instant::now();
        let piece = self
            .rate
            .map_or(16 * 1024, |r| (r / 20).clamp(1, 16 * 1024) as usize);
        let mut buf = vec![0u8; piece];
        let mut sent = 0u64;
        loop {
            let want = match self.limit {
                Some(limit) if sent >= limit => {
                    let _ = to.shutdown().await;
                    return End::Abort;
                }
                Some(limit) => buf
                    .len()
                    .min(usize::try_from(limit - sent).unwrap_or(usize::MAX)),
                None => buf.len(),
            };
            let n = match from.read(&mut buf[..want]).await {
                Ok(0) | Err(_) => {
                    let _ = to.shutdown().await;
                    return End::Eof;
                }
                Ok(n) => n,
            };
            if self.reset {
                let half = n / 2;
                let _ = to.write_all(&buf[..half]).await;
                let _ = to.flush().await;
                self.count(shared, slot, half as u64);
                let _ = socket2::SockRef::from(to.as_ref()).set_linger(Some(Duration::ZERO));
                // Dropping a write half would send FIN first: forget it, the socket closes
                // (RST) when its read half is dropped with the connection.
                to.forget();
                return End::Abort;
            }
            if let Some(rate) = self.rate {
                let due = started + Duration::from_secs_f64(sent as f64 / rate as f64);
                tokio::time::sleep_until(due).await;
            }
            if to.write_all(&buf[..n]).await.is_err() {
                return End::Abort;
            }
            sent += n as u64;
            self.count(shared, slot, n as u64);
        }
    }

    fn count(&self, shared: &Shared, slot: super::Slot, n: u64) {
        let mut rec = shared.recorder();
        let stats = rec.slot(slot);
        if self.down {
            stats.bytes_down += n;
        } else {
            stats.bytes_up += n;
        }
    }
}
