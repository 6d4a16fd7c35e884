//! The keep-alive pool for `http://` targets against raw TCP servers that behave in one
//! controlled way each: keep-alive, `Connection: close`, closing without saying so, cutting a
//! body short, answering garbage, never answering. Each counts the connections it accepted.

use std::sync::atomic::{AtomicU64, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// How the raw server treats each connection.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Behaviour {
    /// Answers every request on the connection (HTTP/1.1 keep-alive).
    KeepAlive,
    /// Answers one request with `Connection: close`, then closes.
    Close,
    /// Answers one request as if keeping the connection, then closes it without a word.
    SilentClose,
    /// Promises 100 body bytes, sends 10, closes.
    ShortBody,
    /// Answers with bytes that are not HTTP.
    Garbage,
    /// Reads the request and never answers.
    Hang,
}

struct Raw {
    url: String,
    connections: Arc<AtomicU64>,
    requests: Arc<AtomicU64>,
}

async fn raw(behaviour: Behaviour) -> Raw {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = Arc::new(AtomicU64::new(0));
    let requests = Arc::new(AtomicU64::new(0));
    let (c, r) = (connections.clone(), requests.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(serve(stream, behaviour, r.clone()));
        }
    });
    Raw {
        url,
        connections,
        requests,
    }
}

/// Reads requests (GET, no body: up to the blank line) and answers per `behaviour`.
async fn serve(mut stream: TcpStream, behaviour: Behaviour, requests: Arc<AtomicU64>) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let end = loop {
            if let Some(i) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => pending.extend_from_slice(&buf[..n]),
            }
        };
        pending.drain(..end);
        requests.fetch_add(1, Ordering::SeqCst);
        let answer: &[u8] = match behaviour {
            Behaviour::KeepAlive | Behaviour::SilentClose => {
                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
            }
            Behaviour::Close => {
                b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
            }
            Behaviour::ShortBody => b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n0123456789",
            Behaviour::Garbage => b"HELLO THERE\r\n\r\n",
            Behaviour::Hang => {
                // Hold the connection open until the client gives up.
                let _ = stream.read(&mut buf).await;
                return;
            }
        };
        if stream.write_all(answer).await.is_err() {
            return;
        }
        if behaviour != Behaviour::KeepAlive {
            let _ = stream.shutdown().await;
            return;
        }
    }
}

async fn run_against(url: &str, users: u32, per_user: u64, timeout_ms: u64) -> Collect {
    run_method(url, "GET", users, per_user, timeout_ms).await
}

async fn run_method(
    url: &str,
    method: &str,
    users: u32,
    per_user: u64,
    timeout_ms: u64,
) -> Collect {
    let mut r = request("r", 0, "/x");
    r.method = method.into();
    r.timeout = Duration::from_millis(timeout_ms);
    let w = workload(vec![Step::Request(r)], &["r"], &[]);
    let (result, c) = go(&plan(
        url,
        w,
        iterations(users, per_user),
        vec![scenario("baseline", vec![])],
    ))
    .await;
    result.unwrap();
    assert_eq!(c.attempts.len() as u64, u64::from(users) * per_user);
    c
}

#[track_caller]
fn assert_all_ok(c: &Collect) {
    let bad: Vec<_> = c
        .attempts
        .iter()
        .filter(|a| a.status != Some(200) || a.failed)
        .collect();
    assert!(bad.is_empty(), "{bad:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_kept_alive_and_never_outnumber_the_vus() {
    let s = raw(Behaviour::KeepAlive).await;
    let c = run_against(&s.url, 4, 25, 5000).await;
    assert_all_ok(&c);
    assert_eq!(s.requests.load(Ordering::SeqCst), 100);
    let opened = s.connections.load(Ordering::SeqCst);
    assert!((1..=4).contains(&opened), "{opened} connections for 4 VUs");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_close_opens_a_new_connection_per_request() {
    let s = raw(Behaviour::Close).await;
    let c = run_against(&s.url, 2, 10, 5000).await;
    assert_all_ok(&c);
    assert_eq!(s.connections.load(Ordering::SeqCst), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_closing_idle_connections_silently_costs_no_request() {
    let s = raw(Behaviour::SilentClose).await;
    let c = run_against(&s.url, 1, 20, 5000).await;
    assert_all_ok(&c);
    assert_eq!(s.requests.load(Ordering::SeqCst), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_the_closed_connection_never_took_goes_to_a_new_one() {
    // POST is not repeated once written; but a connection seen closed before the write hands
    // the request back, and it must go out on a new connection, never hang.
    let s = raw(Behaviour::SilentClose).await;
    let c = run_method(&s.url, "POST", 1, 20, 5000).await;
    for a in &c.attempts {
        assert!(
            a.status == Some(200) || a.error == Some(ErrorClass::Reset),
            "{a:?}"
        );
    }
    let ok = c.attempts.iter().filter(|a| !a.failed).count();
    assert!(ok >= 1, "none of 20 succeeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_responses_are_classified_by_kind() {
    let short = raw(Behaviour::ShortBody).await;
    let c = run_against(&short.url, 1, 3, 5000).await;
    assert!(
        c.attempts.iter().all(|a| a.error == Some(ErrorClass::Body)),
        "{:?}",
        c.attempts
    );
    let garbage = raw(Behaviour::Garbage).await;
    let c = run_against(&garbage.url, 1, 3, 5000).await;
    assert!(
        c.attempts
            .iter()
            .all(|a| a.error == Some(ErrorClass::Reset)),
        "{:?}",
        c.attempts
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_at_the_request_timeout() {
    let s = raw(Behaviour::Hang).await;
    let c = run_against(&s.url, 2, 2, 150).await;
    for a in &c.attempts {
        assert_eq!(a.error, Some(ErrorClass::Timeout), "{a:?}");
        assert!(a.done_us - a.sent_us >= 150_000, "{a:?}");
    }
    // A timed-out request leaves its connection unusable: each attempt opened its own.
    assert_eq!(s.connections.load(Ordering::SeqCst), 4);
}
