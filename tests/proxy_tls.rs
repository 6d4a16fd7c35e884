//! Issue 13: the proxy in front of an `https://` upstream. The upstream is a hyper server
//! behind tokio-rustls on 127.0.0.1:0 with an rcgen self-signed certificate for `localhost`;
//! a plain client (raw socket, HTTP/1.1) talks to the proxy, which talks TLS upstream.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use hyper::body::Incoming;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use stress::plan::{Fault, FaultRule, RuleWhen, Scenario};
use stress::proxy::{ActiveFaults, ProxyConfig, ProxyHandle, start};

use crate::support::temp_file;

/// A TLS upstream: answers every request with the SNI it was reached by and the `Host` it was
/// sent. Returns its address and its certificate (PEM).
async fn tls_upstream() -> (SocketAddr, String) {
    let key = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert_pem = key.cert.pem();
    let certs = vec![key.cert.der().clone()];
    let private = rustls_pki_types::PrivateKeyDer::Pkcs8(key.signing_key.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, private)
    .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A client that does not trust the certificate fails the handshake here.
                let Ok(tls) = acceptor.accept(stream).await else {
                    return;
                };
                let sni = tls.get_ref().1.server_name().unwrap_or("-").to_string();
                let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
                    let host = req
                        .headers()
                        .get("host")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-")
                        .to_string();
                    let body = format!("tls upstream; sni={sni}; host={host}");
                    async move {
                        Ok::<_, Infallible>(hyper::Response::new(http_body_util::Full::new(
                            Bytes::from(body),
                        )))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    (addr, cert_pem)
}

async fn proxy_to(upstream: SocketAddr, ca: Option<String>) -> ProxyHandle {
    start(ProxyConfig {
        name: "p".into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: format!("https://localhost:{}", upstream.port()),
        tcp: false,
        predicates: vec![],
        ca,
    })
    .await
    .unwrap()
}

/// One plain HTTP/1.1 request (`Connection: close`) through the proxy; the whole answer.
async fn get(addr: SocketAddr) -> String {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(b"GET /v1/models HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(5);
    let left = deadline.saturating_duration_since(Instant::now());
    tokio::time::timeout(left, s.read_to_end(&mut out))
        .await
        .expect("the proxy answered within 5 s")
        .unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwards_to_an_https_upstream_with_sni_and_still_injects() {
    let (up, pem) = tls_upstream().await;
    let ca = temp_file("proxy_tls", "ca.pem", &pem);
    let proxy = proxy_to(up, Some(ca.display().to_string())).await;

    let answer = get(proxy.addr()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("sni=localhost;"), "{answer}");
    assert!(
        answer.contains(&format!("host=localhost:{}", up.port())),
        "{answer}"
    );

    // A fault rule still applies: answered by the proxy, the upstream not called.
    let scenario = Scenario {
        name: "s".into(),
        parts: vec!["s".into()],
        rules: vec![FaultRule {
            label: "down".into(),
            when: RuleWhen::Probability(1.0),
            delay: None,
            fault: Some(Fault::Status {
                status: 503,
                retry_after: None,
            }),
        }],
    };
    proxy.set_faults(Some(ActiveFaults::new(0, &scenario, None)));
    let answer = get(proxy.addr()).await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("injected by the stress proxy"), "{answer}");

    let stats = proxy.stats();
    assert_eq!((stats.requests, stats.forwarded), (2, 1));
    assert_eq!(stats.upstream_status.get(&200), Some(&1));
    assert_eq!(stats.fault_count("503"), 1);
    assert_eq!(stats.upstream_errors, 0);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_upstream_certificate_is_a_502_and_an_upstream_error() {
    let (up, _) = tls_upstream().await;
    // No `ca`: the self-signed certificate is in no root store.
    let proxy = proxy_to(up, None).await;
    let answer = get(proxy.addr()).await;
    assert!(answer.starts_with("HTTP/1.1 502"), "{answer}");
    assert!(answer.contains("invalid peer certificate"), "{answer}");
    let stats = proxy.stats();
    assert_eq!((stats.requests, stats.forwarded), (1, 0));
    assert_eq!(stats.upstream_errors, 1);
    let causes: Vec<_> = stats.upstream_error_kinds.iter().collect();
    assert_eq!(causes.len(), 1, "{causes:?}");
    assert!(causes[0].0.contains("UnknownIssuer"), "{causes:?}");
    assert_eq!(*causes[0].1, 1);
    proxy.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ca_file_that_is_not_pem_stops_the_proxy_at_start() {
    let ca = temp_file("proxy_tls", "not.pem", "hello\n");
    let Err(e) = start(ProxyConfig {
        name: "p".into(),
        listen: "127.0.0.1:0".parse().unwrap(),
        upstream: "https://localhost:1".into(),
        tcp: false,
        predicates: vec![],
        ca: Some(ca.display().to_string()),
    })
    .await
    else {
        panic!("a proxy started with a CA file holding no certificate");
    };
    assert!(e.contains("no PEM certificate"), "{e}");
}

/// End to end: `ca "ca.pem"` beside the file (paths are relative to it), `stress run` through
/// the proxy to the TLS upstream, and the proxy's SLOs see the forwarded requests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stress_run_trusts_the_ca_named_in_the_file() {
    let (up, pem) = tls_upstream().await;
    let ca = temp_file("proxy_tls", "run-ca.pem", &pem);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        r#"target via = "http://127.0.0.1:{port}"
proxy provider {{
  listen "127.0.0.1:{port}"
  upstream "https://localhost:{up}"
  ca "run-ca.pem"
}}
workload w {{
  request models: get via "/v1/models" {{
    check status == 200
    check contains(body, "sni=localhost")
  }}
}}
test "tls upstream" {{
  workload w
  profile {{ users 1, iterations 3 }}
  slo {{
    success_rate == 100%
    proxy provider: forwarded == 3
    proxy provider: upstream_errors == 0
  }}
}}
"#,
        up = up.port()
    );
    let path = ca.with_file_name("tls_run.stress");
    std::fs::write(&path, text).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        crate::support::stress(&["run", "--color", "never", path.to_str().unwrap()])
    })
    .await
    .unwrap();
    crate::support::assert_exit(&out, 0);
}

/// Without `ca`, `stress run` through the proxy gets 502s, and every artifact names the cause:
/// the text report, summary.json (valid against the schema) and report.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reports_name_the_cause_of_upstream_errors() {
    let (up, _) = tls_upstream().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = format!(
        r#"target via = "http://127.0.0.1:{port}"
proxy provider {{
  listen "127.0.0.1:{port}"
  upstream "https://localhost:{up}"
}}
workload w {{
  request models: get via "/v1/models"
}}
test "untrusted upstream" {{
  workload w
  profile {{ users 1, iterations 3 }}
  slo {{ proxy provider: upstream_errors == 0 }}
}}
"#,
        up = up.port()
    );
    let path = temp_file("proxy_tls", "untrusted_run.stress", &text);
    let out_dir = path.with_file_name("untrusted_out");
    let _ = std::fs::remove_dir_all(&out_dir);
    let args = [
        "run".to_string(),
        "--color".into(),
        "never".into(),
        "--out".into(),
        out_dir.display().to_string(),
        path.display().to_string(),
    ];
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::support::stress(&args)
    })
    .await
    .unwrap();
    crate::support::assert_exit(&out, 1);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find(|l| l.contains("upstream error ×3:"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains("UnknownIssuer"), "{line}");
    let summary = crate::artifacts::read_json(&out_dir.join("summary.json"));
    crate::artifacts::schema::validate_summary(&summary);
    let cause = &summary["tests"][0]["proxies"][0]["upstream_error_causes"][0];
    assert_eq!(cause["count"], 3, "{cause}");
    assert!(
        cause["name"]
            .as_str()
            .unwrap()
            .contains("invalid peer certificate"),
        "{cause}"
    );
    let md = std::fs::read_to_string(out_dir.join("report.md")).unwrap();
    assert!(md.contains("upstream error"), "{md}");
    let html = std::fs::read_to_string(out_dir.join("report.html")).unwrap();
    assert!(html.contains("upstream error ×3"), "report.html");
    let _ = std::fs::remove_dir_all(&out_dir);
}
