//! Issue 13: the embedded fault proxy. Each wire fault is seen from a plain client (a raw
//! tokio socket) through the proxy, in front of a small hyper upstream on 127.0.0.1:0; then
//! `stress run` end to end with a mock behind a proxy.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use http_body_util::combinators::BoxBody;
use hyper::body::{Body, Frame, Incoming};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc};

use stress::plan::{Fault, FaultRule, RuleWhen, Scenario};
use stress::proxy::{ActiveFaults, ProxyConfig, ProxyHandle, start};

use crate::support::{assert_exit, stress as stress_bin, temp_file};

// ── An upstream ───────────────────────────────────────────────────────

struct Upstream {
    addr: SocketAddr,
    hits: Arc<AtomicU64>,
    /// `/chunks` sends `first`, waits for this, then sends `second` and ends.
    release: Arc<Notify>,
}

struct ChanBody(mpsc::Receiver<Bytes>);

impl Body for ChanBody {
    type Data = Bytes;
    type Error = Infallible;
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .0
            .poll_recv(cx)
            .map(|o| o.map(|b| Ok(Frame::data(b))))
    }
}

const BODY_LEN: usize = 1000;

async fn upstream() -> Upstream {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicU64::new(0));
    let release = Arc::new(Notify::new());
    let (h, r) = (hits.clone(), release.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (h, r) = (h.clone(), r.clone());
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let (h, r) = (h.clone(), r.clone());
                    async move {
                        h.fetch_add(1, Ordering::SeqCst);
                        let body: BoxBody<Bytes, Infallible> = match req.uri().path() {
                            "/chunks" => {
                                let (tx, rx) = mpsc::channel(1);
                                tokio::spawn(async move {
                                    let _ = tx.send(Bytes::from_static(b"first")).await;
                                    r.notified().await;
                                    let _ = tx.send(Bytes::from_static(b"second")).await;
                                });
                                ChanBody(rx).boxed()
                            }
                            "/echo" => {
                                let mut text = String::new();
                                for (k, v) in req.headers() {
                                    text.push_str(&format!("{k}: {}\n", v.to_str().unwrap_or("")));
                                }
                                http_body_util::Full::new(Bytes::from(text)).boxed()
                            }
                            _ => {
                                http_body_util::Full::new(Bytes::from(vec![b'x'; BODY_LEN])).boxed()
                            }
                        };
                        Ok::<_, Infallible>(hyper::Response::new(body))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Upstream {
        addr,
        hits,
        release,
    }
}

async fn proxy_to(up: &Upstream) -> ProxyHandle {
    start(ProxyConfig {
        name: "p".into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: format!("http://{}", up.addr),
        tcp: false,
        predicates: vec![],
        ca: None,
    })
    .await
    .unwrap()
}

fn rules(rules: Vec<(RuleWhen, Option<Fault>)>) -> Scenario {
    Scenario {
        name: "s".into(),
        parts: vec!["s".into()],
        rules: rules
            .into_iter()
            .enumerate()
            .map(|(i, (when, fault))| FaultRule {
                label: format!("rule{i}"),
                when,
                delay: None,
                fault,
            })
            .collect(),
    }
}

fn always(fault: Fault) -> Scenario {
    rules(vec![(RuleWhen::Probability(1.0), Some(fault))])
}

/// Sends one request (`Connection: close`) and reads until EOF, an error or 3 s.
async fn raw(addr: SocketAddr, path: &str) -> (Vec<u8>, Option<std::io::ErrorKind>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {path} HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return (out, Some(std::io::ErrorKind::TimedOut)),
            Ok(Ok(0)) => return (out, None),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return (out, Some(e.kind())),
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_lowercase()
}

fn body_of(bytes: &[u8]) -> &[u8] {
    let at = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(bytes.len(), |p| p + 4);
    &bytes[at..]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_and_rewrites_proxy_headers() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    s.write_all(
        b"GET /echo HTTP/1.1\r\nHost: example.test\r\nConnection: close, x-drop\r\nX-Drop: 1\r\nTE: trailers\r\nX-Keep: 2\r\n\r\n",
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let t = text(&out);
    assert!(t.starts_with("http/1.1 200"), "{t}");
    let body = text(body_of(&out));
    assert!(body.contains(&format!("host: {}\n", up.addr)), "{body}");
    assert!(body.contains("x-forwarded-host: example.test\n"), "{body}");
    assert!(body.contains("x-forwarded-for: 127.0.0.1\n"), "{body}");
    assert!(body.contains("via: 1.1 stress\n"), "{body}");
    assert!(body.contains("x-keep: 2\n"), "{body}");
    assert!(!body.contains("x-drop"), "{body}");
    assert!(!body.contains("te: trailers"), "{body}");
    let stats = proxy.stats();
    assert_eq!((stats.requests, stats.forwarded), (1, 1));
    assert_eq!(stats.upstream_status.get(&200), Some(&1));
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_serves_two_requests_on_one_connection() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    for _ in 0..2 {
        s.write_all(b"GET /body HTTP/1.1\r\nHost: a\r\n\r\n")
            .await
            .unwrap();
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while body_of(&got).len() < BODY_LEN {
            let n = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf))
                .await
                .unwrap()
                .unwrap();
            assert!(n > 0, "the proxy closed a keep-alive connection");
            got.extend_from_slice(&buf[..n]);
        }
        assert!(text(&got).contains("content-length: 1000"));
    }
    assert_eq!(up.hits.load(Ordering::SeqCst), 2);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_fault_answers_with_retry_after_and_never_calls_upstream() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &always(Fault::Status {
            status: 429,
            retry_after: Some(stress::units::Duration::from_millis(2000)),
        }),
        None,
    )));
    let (out, err) = raw(proxy.addr(), "/body").await;
    assert_eq!(err, None);
    let t = text(&out);
    assert!(t.starts_with("http/1.1 429"), "{t}");
    assert!(t.contains("retry-after: 2\r\n"), "{t}");
    assert!(t.contains("x-stress-call: 0\r\n"), "{t}");
    assert_eq!(up.hits.load(Ordering::SeqCst), 0);
    let stats = proxy.stats();
    assert_eq!(stats.fault_count("429"), 1);
    assert_eq!(stats.forwarded, 0);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_error_closes_without_an_answer() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &always(Fault::ConnectionError),
        None,
    )));
    let (out, err) = raw(proxy.addr(), "/body").await;
    assert!(out.is_empty(), "{}", text(&out));
    assert!(
        err.is_none() || err == Some(std::io::ErrorKind::ConnectionReset),
        "{err:?}"
    );
    assert_eq!(up.hits.load(Ordering::SeqCst), 0);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_sends_rst_mid_body() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    proxy.set_faults(Some(ActiveFaults::new(0, &always(Fault::Reset), None)));
    let (out, err) = raw(proxy.addr(), "/body").await;
    assert_eq!(
        err,
        Some(std::io::ErrorKind::ConnectionReset),
        "{}",
        text(&out)
    );
    // The status line may or may not have been read before the RST arrived; what did arrive
    // is the start of a 200 and never the whole body.
    assert!(body_of(&out).len() < BODY_LEN);
    assert_eq!(up.hits.load(Ordering::SeqCst), 1);
    assert_eq!(proxy.stats().fault_count("reset"), 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_ends_before_the_declared_length() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    proxy.set_faults(Some(ActiveFaults::new(0, &always(Fault::Truncate), None)));
    let (out, err) = raw(proxy.addr(), "/body").await;
    assert_eq!(err, None, "a clean close, not a reset");
    let t = text(&out);
    assert!(t.starts_with("http/1.1 200"), "{t}");
    assert!(t.contains("content-length: 1000\r\n"), "{t}");
    assert_eq!(body_of(&out).len(), BODY_LEN / 2);
    // A chunked stream ends without its last chunk.
    let (out, _) = raw(proxy.addr(), "/chunks").await;
    let t = text(&out);
    assert!(t.contains("transfer-encoding: chunked"), "{t}");
    assert!(!t.ends_with("0\r\n\r\n"), "{t}");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_after_cuts_the_body_after_n_bytes() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &always(Fault::CloseAfter { bytes: 300 }),
        None,
    )));
    let (out, err) = raw(proxy.addr(), "/body").await;
    assert_eq!(err, None, "a clean close, not a reset");
    let t = text(&out);
    assert!(t.contains("content-length: 1000\r\n"), "{t}");
    assert_eq!(body_of(&out).len(), 300);
    // A body no longer than N is not cut: "first" + "second" is 11 bytes.
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &always(Fault::CloseAfter { bytes: 1 << 20 }),
        None,
    )));
    // A stored permit: the upstream sends its second chunk without waiting.
    up.release.notify_one();
    let (out, _) = raw(proxy.addr(), "/chunks").await;
    assert!(text(&out).ends_with("0\r\n\r\n"), "{}", text(&out));
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_reads_the_request_and_never_answers() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    proxy.set_faults(Some(ActiveFaults::new(0, &always(Fault::Hang), None)));
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    s.write_all(b"GET /body HTTP/1.1\r\nHost: a\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await;
    assert!(
        read.is_err(),
        "the client gives up: nothing came, the socket stayed open"
    );
    assert_eq!(proxy.stats().fault_count("hang"), 1);
    assert_eq!(up.hits.load(Ordering::SeqCst), 0);
    // The test's end drops the held connection.
    proxy.shutdown().await;
    let end = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await;
    assert!(matches!(end, Ok(Ok(0)) | Ok(Err(_))), "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bandwidth_throttles_the_body() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    // 1000 bytes at 2000 B/s: 10 pieces of 100 bytes, the last due at 450 ms.
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &always(Fault::Bandwidth {
            bytes_per_sec: 2000,
        }),
        None,
    )));
    let t0 = Instant::now();
    let (out, err) = raw(proxy.addr(), "/body").await;
    let took = t0.elapsed();
    assert_eq!(err, None);
    assert_eq!(body_of(&out).len(), BODY_LEN);
    assert!(took >= Duration::from_millis(440), "{took:?}");
    assert!(took < Duration::from_secs(2), "{took:?}");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chunks_stream_through_as_they_come() {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    s.write_all(b"GET /chunks HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    // The upstream holds its second chunk until the first has reached the client.
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !text(&got).contains("first") {
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
            .await
            .expect("the first chunk came through before the upstream's second")
            .unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert!(!text(&got).contains("second"));
    up.release.notify_one();
    s.read_to_end(&mut got).await.unwrap();
    let t = text(&got);
    assert!(t.contains("second") && t.ends_with("0\r\n\r\n"), "{t}");
    proxy.shutdown().await;
}

/// The call numbers answered 503 after `total` requests by `clients` concurrent clients.
async fn faulted_calls(clients: usize, total: usize) -> BTreeSet<u64> {
    let up = upstream().await;
    let proxy = proxy_to(&up).await;
    let scenario = rules(vec![(
        RuleWhen::Probability(0.3),
        Some(Fault::Status {
            status: 503,
            retry_after: None,
        }),
    )]);
    proxy.set_faults(Some(ActiveFaults::new(42, &scenario, None)));
    let addr = proxy.addr();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        tasks.push(tokio::spawn(async move {
            let mut out = Vec::new();
            for _ in 0..total / clients {
                let (bytes, _) = raw(addr, "/body").await;
                let t = text(&bytes);
                let call: u64 = t
                    .split("x-stress-call: ")
                    .nth(1)
                    .and_then(|r| r.split("\r\n").next())
                    .and_then(|n| n.parse().ok())
                    .expect("every answer names its call");
                if t.starts_with("http/1.1 503") {
                    out.push(call);
                }
            }
            out
        }));
    }
    let mut calls = BTreeSet::new();
    for t in tasks {
        calls.extend(t.await.unwrap());
    }
    assert_eq!(
        proxy.stats().fault_count("503"),
        calls.len() as u64,
        "the proxy's count agrees with what the clients saw"
    );
    proxy.shutdown().await;
    calls
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_calls_faulted_with_1_and_50_clients() {
    let one = faulted_calls(1, 200).await;
    let fifty = faulted_calls(50, 200).await;
    assert_eq!(one, fifty);
    // The very decisions the client-side injector makes for (seed 42, scenario s, call k).
    let inj = stress::engine::fault::FaultInjector::new(
        42,
        &rules(vec![(
            RuleWhen::Probability(0.3),
            Some(Fault::Status {
                status: 503,
                retry_after: None,
            }),
        )]),
        None,
    );
    let expected: BTreeSet<u64> = (0..200)
        .filter(|&k| {
            let record = stress::eval::Record {
                call: k,
                attempt: 0,
                user: 0,
                iteration: 0,
                step: "",
                status: None,
                latency_us: 0,
                injected: false,
                fault: None,
                captures: &[],
                capture_names: &[],
            };
            inj.decide(0, &record).is_some()
        })
        .collect();
    assert_eq!(one, expected);
    assert!((40..80).contains(&one.len()), "about 30%: {}", one.len());
}

// ── `stress run` ──────────────────────────────────────────────────────

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn e2e_file(port: u16, when: &str) -> String {
    format!(
        r#"target llm mock {{ api openai, latency 1ms..2ms }}
target gw = "http://127.0.0.1:{port}"
proxy provider {{
  listen "127.0.0.1:{port}"
  upstream "llm"
}}
workload chat {{
  request chat: post gw "/v1/chat/completions" {{
    json {{ model: "m", messages: [{{ role: "user", content: "hi" }}] }}
    timeout 2s
  }}
}}
scenario flaky {{ {when} }}
test "through the proxy" {{
  workload chat
  profile {{ users 1, iterations 6 }}
  scenarios flaky
  inject at proxy provider
  seed 7
  slo {{
    count(status == 503) == 2
    count(status == 200) == 4
  }}
}}
"#
    )
}

#[test]
fn stress_run_injects_at_the_proxy_and_reports_it() {
    let port = free_port();
    let path = temp_file(
        "proxy",
        "e2e.stress",
        &e2e_file(
            port,
            r#"when method == "POST" && path == "/v1/chat/completions" && (call == 1 || call == 4) => 503"#,
        ),
    );
    let out = stress_bin(&["run", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_exit(&out, 0);
    assert!(stdout.contains("proxy provider (127.0.0.1:"), "{stdout}");
    assert!(
        stdout.contains("requests 6  forwarded 4  upstream status 200×4"),
        "{stdout}"
    );
    let fault_line = stdout
        .lines()
        .rev()
        .find(|l| l.contains("call == 4") && l.contains("503"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(fault_line.trim_end().ends_with(" 2"), "{fault_line}");
}

#[test]
fn a_busy_proxy_port_stops_the_run_before_load() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let path = temp_file(
        "proxy",
        "busy.stress",
        &e2e_file(port, "nth_call([1], 503)"),
    );
    let out = stress_bin(&["run", path.to_str().unwrap()]);
    assert_exit(&out, 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("stress::run::proxy") && stderr.contains("cannot listen"),
        "{stderr}"
    );
    drop(busy);
}

/// The shipped gateway example against real nginx (Debian), started by the file itself as a
/// service: with provider `a` answering 503 at its proxy, nginx fails over to `b` and every
/// client request succeeds; proxy a's report section proves the fault fired. With `b` broken
/// too (its upstream a closed port), nothing can fail over and the SLO fails: exit 1.
#[test]
fn nginx_fails_over_around_a_provider_faulted_at_the_proxy() {
    if crate::support::real_binary("nginx").is_none() {
        return;
    }
    let run = stress_bin(&["run", "--quiet", "scenarios/nginx_failover.stress"]);
    assert_exit(&run, 0);
    let stdout = String::from_utf8_lossy(&run.stdout);
    let section = |name: &str| {
        let start = stdout
            .find(&format!("proxy {name} ("))
            .expect("a proxy section");
        stdout[start..]
            .lines()
            .take(6)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let a = section("a");
    assert!(a.contains("forwarded 0"), "{a}");
    let injected: u64 = a
        .lines()
        .find(|l| l.contains("error_rate(100%, 503)"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|n| n.parse().ok())
        .expect("a count of injected 503s");
    assert!(injected >= 1, "{a}");
    let b = section("b");
    // 2 users × 10 iterations: every request ends at b.
    assert!(b.contains("forwarded 20"), "{b}");
    assert!(b.contains("upstream status 200×20"), "{b}");

    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nginx_failover.stress"),
    )
    .unwrap();
    let both_down = text.replacen(
        "listen \"127.0.0.1:9102\"\n  upstream \"llm\"",
        "listen \"127.0.0.1:9102\"\n  upstream \"http://127.0.0.1:1\"",
        1,
    );
    assert_ne!(both_down, text);
    // Beside a copy of the nginx config, which the file's service reads from its folder.
    let path = temp_file("nginx-failover", "both_down.stress", &both_down);
    let conf =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/nginx_failover.conf");
    std::fs::copy(conf, path.with_file_name("nginx_failover.conf")).unwrap();
    let run = stress_bin(&["run", "--quiet", path.to_str().unwrap()]);
    assert_exit(&run, 1);
}

/// `chaos from A to B { faults outage at proxy a }`: the outage is in force at proxy `a` only,
/// and only inside the window. Deterministic without sleeps: a window that covers the whole
/// run (during), one that starts an hour in (before), one that ends 1 µs in (after).
#[test]
fn chaos_faults_at_one_proxy_only_inside_the_window() {
    let (pa, pb) = (free_port(), free_port());
    let window = |from: &str, to: &str, slos: &str| {
        format!(
            r#"target llm mock {{ api openai, latency 1ms..2ms }}
target via_a = "http://127.0.0.1:{pa}"
target via_b = "http://127.0.0.1:{pb}"
proxy a {{
  listen "127.0.0.1:{pa}"
  upstream "llm"
}}
proxy b {{
  listen "127.0.0.1:{pb}"
  upstream "llm"
}}
workload w {{
  request ra: post via_a "/v1/chat/completions" {{
    json {{ model: "m", messages: [{{ role: "user", content: "hi" }}] }}
    on failure continue
  }}
  request rb: post via_b "/v1/chat/completions" {{
    json {{ model: "m", messages: [{{ role: "user", content: "hi" }}] }}
  }}
}}
scenario outage {{ error_rate(100%, 503) }}
test "window" {{
  workload w
  profile {{ users 1, iterations 4 }}
  inject at proxy a, b
  chaos from {from} to {to} {{ faults outage at proxy a }}
  slo {{
{slos}
  }}
}}
"#
        )
    };
    let cases = [
        (
            "during",
            window(
                "0s",
                "1h",
                "    proxy a: count(fault == 503) == 4\n    proxy b: count(fault != none) == 0\n    proxy b: forwarded == 4",
            ),
        ),
        (
            "before",
            window(
                "1h",
                "2h",
                "    proxy a: count(fault != none) == 0\n    proxy a: forwarded == 4",
            ),
        ),
        (
            "after",
            window(
                "0s",
                "1us",
                "    proxy a: count(fault != none) == 0\n    proxy a: forwarded == 4",
            ),
        ),
    ];
    for (name, text) in cases {
        let path = temp_file("proxy", &format!("chaos_{name}.stress"), &text);
        let out = stress_bin(&["run", path.to_str().unwrap()]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
