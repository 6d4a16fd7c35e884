//! The fault proxy's TCP mode (`proxy NAME tcp { … }`): a tokio echo server on 127.0.0.1:0
//! behind the proxy, each per-connection fault seen from a raw socket; the same seed faults the
//! same connections; a real redis-server through the proxy when it is installed; `stress run`
//! end to end with `proxy NAME: connections` SLOs.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use stress::plan::{Fault, FaultRule, RuleWhen, Scenario};
use stress::proxy::{ActiveFaults, ProxyConfig, ProxyHandle, start};
use stress::units::Duration as StressDuration;

use crate::support::{assert_exit, stress as stress_bin, temp_file};

/// An echo server: every byte read is written back; counts the connections it accepted.
async fn echo() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let a = accepted.clone();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = listener.accept().await {
            a.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let (mut r, mut w) = s.split();
                let _ = tokio::io::copy(&mut r, &mut w).await;
            });
        }
    });
    (addr, accepted)
}

async fn tcp_proxy(upstream: SocketAddr) -> ProxyHandle {
    start(ProxyConfig {
        name: "cache".into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: upstream.to_string(),
        tcp: true,
        predicates: vec![],
        ca: None,
    })
    .await
    .unwrap()
}

fn scenario(when: RuleWhen, delay: Option<(Duration, Duration)>, fault: Option<Fault>) -> Scenario {
    let delay = delay.map(|(a, b)| (StressDuration::from_std(a), StressDuration::from_std(b)));
    Scenario {
        name: "s".into(),
        parts: vec!["s".into()],
        rules: vec![FaultRule {
            label: "rule".into(),
            when,
            delay,
            fault,
        }],
    }
}

fn always(fault: Fault) -> Scenario {
    scenario(RuleWhen::Probability(1.0), None, Some(fault))
}

/// Connects, writes `data`, half-closes, reads until EOF, an error or 3 s.
async fn exchange(addr: SocketAddr, data: &[u8]) -> (Vec<u8>, Option<ErrorKind>) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    let mut out = Vec::new();
    if let Err(e) = s.write_all(data).await {
        return (out, Some(e.kind()));
    }
    let _ = s.shutdown().await;
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await {
            Err(_) => return (out, Some(ErrorKind::TimedOut)),
            Ok(Ok(0)) => return (out, None),
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => return (out, Some(e.kind())),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_bytes_both_ways_and_counts_them() {
    let (up, _) = echo().await;
    let proxy = tcp_proxy(up).await;
    let data = vec![b'a'; 10_000];
    let (out, err) = exchange(proxy.addr(), &data).await;
    assert_eq!(err, None);
    assert_eq!(out, data);
    let stats = proxy.stats();
    assert_eq!((stats.connections, stats.forwarded), (1, 1));
    assert_eq!((stats.bytes_up, stats.bytes_down), (10_000, 10_000));
    assert_eq!(stats.upstream_latency.count(), 1);
    assert!(stats.upstream.starts_with("tcp://"), "{}", stats.upstream);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_sends_rst_after_the_first_bytes() {
    let (up, _) = echo().await;
    let proxy = tcp_proxy(up).await;
    proxy.set_faults(Some(ActiveFaults::new(0, &always(Fault::Reset), None)));
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    s.write_all(b"hello world").await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 64];
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await {
            Ok(Ok(0)) => break None,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => break Some(e.kind()),
            Err(_) => break Some(ErrorKind::TimedOut),
        }
    };
    assert_eq!(end, Some(ErrorKind::ConnectionReset), "{got:?}");
    assert!(got.len() < 11, "never the whole echo: {got:?}");
    assert_eq!(proxy.stats().fault_count("reset"), 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_error_closes_at_once_without_calling_upstream() {
    let (up, accepted) = echo().await;
    let proxy = tcp_proxy(up).await;
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &always(Fault::ConnectionError),
        None,
    )));
    let (out, err) = exchange(proxy.addr(), b"ping").await;
    assert!(out.is_empty(), "{out:?}");
    assert!(
        matches!(err, None | Some(ErrorKind::ConnectionReset)),
        "{err:?}"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
    let stats = proxy.stats();
    assert_eq!((stats.connections, stats.forwarded), (1, 0));
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hang_keeps_the_connection_open_and_forwards_nothing() {
    let (up, accepted) = echo().await;
    let proxy = tcp_proxy(up).await;
    proxy.set_faults(Some(ActiveFaults::new(0, &always(Fault::Hang), None)));
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    s.write_all(b"PING\r\n").await.unwrap();
    let mut buf = [0u8; 64];
    let read = tokio::time::timeout(Duration::from_millis(300), s.read(&mut buf)).await;
    assert!(read.is_err(), "nothing came back, the socket stayed open");
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
    assert_eq!(proxy.stats().fault_count("hang"), 1);
    // The test's end drops the held connection.
    proxy.shutdown().await;
    let end = tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await;
    assert!(matches!(end, Ok(Ok(0)) | Ok(Err(_))), "{end:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_after_lets_exactly_n_bytes_through_then_eof() {
    let (up, _) = echo().await;
    let proxy = tcp_proxy(up).await;
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &always(Fault::CloseAfter { bytes: 1024 }),
        None,
    )));
    let mut s = TcpStream::connect(proxy.addr()).await.unwrap();
    s.write_all(&[b'z'; 5000]).await.unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 8192];
    let end = loop {
        match tokio::time::timeout(Duration::from_secs(3), s.read(&mut buf)).await {
            Ok(Ok(0)) => break None,
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Ok(Err(e)) => break Some(e.kind()),
            Err(_) => break Some(ErrorKind::TimedOut),
        }
    };
    assert_eq!(end, None, "a clean EOF");
    assert_eq!(got.len(), 1024);
    assert_eq!(proxy.stats().bytes_down, 1024);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bandwidth_paces_the_bytes() {
    let (up, _) = echo().await;
    let proxy = tcp_proxy(up).await;
    // 4000 bytes at 8000 B/s, pieces of 400 B: up and down are each paced, the last piece
    // due at 450 ms.
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &always(Fault::Bandwidth {
            bytes_per_sec: 8000,
        }),
        None,
    )));
    let t0 = Instant::now();
    let (out, err) = exchange(proxy.addr(), &[b'b'; 4000]).await;
    let took = t0.elapsed();
    assert_eq!(err, None);
    assert_eq!(out.len(), 4000);
    assert!(took >= Duration::from_millis(440), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_holds_the_connection_before_connecting_upstream() {
    let (up, _) = echo().await;
    let proxy = tcp_proxy(up).await;
    let d = Duration::from_millis(300);
    proxy.set_faults(Some(ActiveFaults::new(
        0,
        &scenario(RuleWhen::Probability(1.0), Some((d, d)), None),
        None,
    )));
    let t0 = Instant::now();
    let (out, err) = exchange(proxy.addr(), b"ping").await;
    assert_eq!((out.as_slice(), err), (&b"ping"[..], None));
    assert!(
        t0.elapsed() >= Duration::from_millis(290),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(proxy.stats().fault_count("delay"), 1);
    proxy.shutdown().await;
}

/// Opens `total` connections from `clients` concurrent clients through a proxy that faults
/// 30% of connections (`connection_error`, seed 42): the numbers faulted (in the order the
/// connections were opened; meaningful with one client) and how many were.
async fn faulted_connections(clients: usize, total: usize) -> (BTreeSet<u64>, u64) {
    let (up, _) = echo().await;
    let proxy = tcp_proxy(up).await;
    let s = scenario(
        RuleWhen::Probability(0.3),
        None,
        Some(Fault::ConnectionError),
    );
    proxy.set_faults(Some(ActiveFaults::new(42, &s, None)));
    let addr = proxy.addr();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        tasks.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            for k in 0..(total / clients) as u64 {
                let mut s = TcpStream::connect(addr).await.unwrap();
                let _ = s.write_all(b"x").await;
                // The echo, or EOF when the proxy closed it at once.
                let mut b = [0u8; 1];
                let got = tokio::time::timeout(Duration::from_secs(3), s.read(&mut b)).await;
                if !matches!(got, Ok(Ok(1))) {
                    mine.push(k);
                }
            }
            mine
        }));
    }
    let mut faulted = BTreeSet::new();
    let mut count = 0;
    for t in tasks {
        let mine = t.await.unwrap();
        count += mine.len() as u64;
        faulted.extend(mine);
    }
    let stats = proxy.stats();
    assert_eq!(stats.connections, total as u64);
    assert_eq!(stats.fault_count("connection_error"), count);
    proxy.shutdown().await;
    (faulted, count)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_same_connections_faulted() {
    let (one, n1) = faulted_connections(1, 40).await;
    let (again, _) = faulted_connections(1, 40).await;
    let (_, n8) = faulted_connections(8, 40).await;
    assert!(n1 > 0 && n1 < 40, "{one:?}");
    // One client: the same connection numbers each run.
    assert_eq!(one, again);
    // Eight at once: the interleaving differs, the number of connections faulted does not.
    assert_eq!(n1, n8);
}

/// redis-server from Debian (`.ci/deps.sh`) behind the TCP proxy: `redis-cli PING` answers
/// PONG through it, and fails with a `reset` in force.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_through_the_tcp_proxy() {
    let (Some(server), Some(cli_bin)) = (
        crate::support::real_binary("redis-server"),
        crate::support::real_binary("redis-cli"),
    ) else {
        return;
    };
    let port = free_port();
    let mut redis = std::process::Command::new(server)
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let upstream: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    // Ready when it answers PING directly.
    let deadline = Instant::now() + Duration::from_secs(10);
    while ping(upstream).await.as_deref() != Some("+PONG\r\n") {
        assert!(Instant::now() < deadline, "redis-server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let proxy = tcp_proxy(upstream).await;
    let cli = move |addr: SocketAddr| {
        std::process::Command::new(&cli_bin)
            .args(["-h", "127.0.0.1", "-p", &addr.port().to_string(), "PING"])
            .output()
    };
    let through = tokio::task::spawn_blocking({
        let addr = proxy.addr();
        move || cli(addr)
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&through.stdout).trim(), "PONG");
    proxy.set_faults(Some(ActiveFaults::new(0, &always(Fault::Reset), None)));
    assert_eq!(ping(proxy.addr()).await, None, "reset: no PONG");
    let stats = proxy.stats();
    assert_eq!(stats.connections, 2);
    assert_eq!(stats.fault_count("reset"), 1);
    proxy.shutdown().await;
    let _ = redis.kill();
    let _ = redis.wait();
}

/// One inline PING on a raw socket: the whole answer, or `None` on an error or EOF first.
async fn ping(addr: SocketAddr) -> Option<String> {
    let mut s = TcpStream::connect(addr).await.ok()?;
    s.write_all(b"PING\r\n").await.ok()?;
    let mut buf = [0u8; 64];
    let mut got = Vec::new();
    while !got.ends_with(b"\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(2), s.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        got.extend_from_slice(&buf[..n]);
    }
    Some(String::from_utf8_lossy(&got).into_owned())
}

fn e2e_file(echo: SocketAddr, port: u16) -> String {
    format!(
        r#"target app = "http://127.0.0.1:{port}"
proxy cache tcp {{
  listen "127.0.0.1:{port}"
  upstream "{echo}"
}}
workload w {{
  request r: get app "/" {{ timeout 2s }}
}}
scenario drops {{ when call == 1 || call == 3 => connection_error }}
test "through a tcp proxy" {{
  workload w
  profile {{ users 1, iterations 4 }}
  scenarios drops
  inject at proxy cache
  seed 1
  slo {{
    proxy cache: connections >= 4
    proxy cache: count(fault == connection_error) == 2
    proxy cache: bytes_up > 0B
  }}
}}
"#
    )
}

/// `stress run` with a `proxy NAME tcp` in front of an echo server (an HTTP request echoed
/// back is no HTTP answer, so every request fails; the SLOs read what the proxy saw).
#[test]
fn stress_run_counts_connections_at_a_tcp_proxy() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (up, _) = rt.block_on(echo());
    let port = free_port();
    let path = temp_file("proxy_tcp", "e2e.stress", &e2e_file(up, port));
    let out = stress_bin(&["run", path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_exit(&out, 0);
    assert!(stdout.contains("proxy cache (127.0.0.1:"), "{stdout}");
    assert!(stdout.contains("tcp://"), "{stdout}");
    drop(rt);
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
