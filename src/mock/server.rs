//! The mock LLM HTTP server: routes, capacity limiting, the prompt cache, and the OpenAI and
//! Anthropic response/error bodies.
//!
//! Routes (always all of them, whatever [`MockConfig::api`] says):
//! - `POST /v1/chat/completions`: OpenAI chat completion;
//! - `POST /v1/messages`: Anthropic message;
//! - `GET /health`: `{"status":"ok"}`;
//! - anything else: 404 (unknown path) or 405 (known path, wrong method), JSON bodies.
//!
//! Per LLM request: admit against the capacity (429 + `retry-after: 1` beyond it), read and parse
//! the body (400 on malformed JSON, in the endpoint's error shape), pick latency, tokens and a
//! filler offset from a ChaCha8 stream numbered by a per-server request counter (so equal seeds
//! and equal sequential request sequences give equal answers), consult the cache, sleep, answer.
//!
//! The hot path holds no lock across an await: the in-flight count and request counter are
//! atomics, the cache is 16 short-held mutex shards keyed by a 64-bit hash of the prompt, and the
//! filler text is generated once at start. It does not stream (`"stream": true` is ignored and a
//! whole response is returned), does not check models or API keys, and does not tokenize: a
//! token is a word.

use super::{MockApi, MockConfig};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, DefaultHasher, Hasher};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Largest request body read (a bigger one is answered 413).
const BODY_LIMIT: usize = 8 * 1024 * 1024;
/// How long [`MockServer::shutdown`] waits for connections to close before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);
/// A cache hit answers after this fraction (1/n) of the picked latency.
const CACHE_HIT_LATENCY_DIVISOR: u64 = 10;
/// Bound of the prompt cache; a full shard is cleared before inserting.
const CACHE_MAX_ENTRIES: usize = 100_000;
const CACHE_SHARDS: usize = 16;
/// Words of pre-generated filler text; responses are cut from it, wrapping around.
const FILLER_WORDS: usize = 4096;

const X_CACHE: HeaderName = HeaderName::from_static("x-cache");

const VOCABULARY: [&str; 64] = [
    "the", "model", "answer", "load", "request", "latency", "token", "stream", "server", "client",
    "queue", "cache", "window", "budget", "signal", "system", "value", "result", "error", "retry",
    "limit", "rate", "burst", "steady", "quick", "slow", "brown", "fox", "jumps", "over", "lazy",
    "dog", "and", "of", "to", "in", "is", "it", "that", "for", "with", "as", "on", "at", "by",
    "this", "from", "we", "can", "will", "should", "each", "every", "more", "less", "under",
    "above", "between", "through", "after", "before", "while", "during", "again",
];

/// A running mock server. Dropping it without [`shutdown`](MockServer::shutdown) also stops it
/// (in-flight requests are answered 503 at once), without waiting.
#[derive(Debug)]
pub struct MockServer {
    addr: SocketAddr,
    stop: CancellationToken,
    join: Option<JoinHandle<io::Result<()>>>,
}

impl MockServer {
    /// The address actually bound (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`. An unspecified bind address (`0.0.0.0`, `::`)
    /// is shown as the loopback address of the same family, which is where clients can reach it.
    pub fn url(&self) -> String {
        let ip = match self.addr.ip() {
            IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            ip => ip,
        };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }

    /// Stops accepting, answers in-flight requests 503 at once, lets connections close, and
    /// returns within about a second (connections still open then are cut).
    pub async fn shutdown(mut self) {
        self.stop.cancel();
        if let Some(mut join) = self.join.take() {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut join)
                .await
                .is_err()
            {
                join.abort();
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Starts the server on `listen` (port 0 picks a free port) and returns once it accepts.
/// Fails with `InvalidInput` when [`MockConfig::validate`] does, or with the bind error.
pub async fn start(config: MockConfig, listen: SocketAddr) -> io::Result<MockServer> {
    config
        .validate()
        .map_err(|message| io::Error::new(io::ErrorKind::InvalidInput, message))?;
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    let shared = Arc::new(Shared::new(config, stop.clone()));
    let app = router(shared);
    let listener = listener.tap_io(|tcp| {
        // Small JSON answers must not wait on Nagle; failing to set it only costs latency.
        let _ = tcp.set_nodelay(true);
    });
    let signal = stop.clone().cancelled_owned();
    let join = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(signal)
            .await
    });
    Ok(MockServer {
        addr,
        stop,
        join: Some(join),
    })
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            MockApi::OpenAi.path(),
            post(openai).fallback(method_not_allowed),
        )
        .route(
            MockApi::Anthropic.path(),
            post(anthropic).fallback(method_not_allowed),
        )
        .route("/health", get(health).fallback(method_not_allowed))
        .fallback(not_found)
        .with_state(shared)
}

/// State shared by every request of one server.
struct Shared {
    config: MockConfig,
    /// Seeded once; each request clones it and selects its own stream.
    base_rng: ChaCha8Rng,
    requests: AtomicU64,
    in_flight: AtomicU32,
    cache: Option<Cache>,
    filler: Filler,
    stop: CancellationToken,
}

impl Shared {
    fn new(config: MockConfig, stop: CancellationToken) -> Self {
        Shared {
            config,
            base_rng: ChaCha8Rng::seed_from_u64(config.seed),
            requests: AtomicU64::new(0),
            in_flight: AtomicU32::new(0),
            cache: config.cache.then(Cache::new),
            filler: Filler::new(config.seed),
            stop,
        }
    }

    /// Counts the request in flight, or `None` when that would exceed the capacity.
    fn admit(&self) -> Option<InFlight<'_>> {
        let Some(capacity) = self.config.capacity else {
            return Some(InFlight(None));
        };
        self.in_flight
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < capacity).then_some(n + 1)
            })
            .ok()
            .map(|_| InFlight(Some(&self.in_flight)))
    }
}

/// Decrements the in-flight count when the request ends, even when its future is dropped
/// because the client went away.
struct InFlight<'a>(Option<&'a AtomicU32>);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(count) = self.0 {
            count.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// What a cache entry remembers: the uncapped token count and the filler offset, so a hit
/// repeats the first answer's text.
#[derive(Clone, Copy)]
struct Picked {
    tokens: u64,
    filler_start: usize,
}

/// Prompt-hash → first answer, in short-held mutex shards.
struct Cache {
    shards: Vec<Mutex<HashMap<u64, Picked, BuildHasherDefault<IdentityHasher>>>>,
}

impl Cache {
    fn new() -> Self {
        Cache {
            shards: (0..CACHE_SHARDS)
                .map(|_| Mutex::new(HashMap::default()))
                .collect(),
        }
    }

    /// Returns `(hit, entry)`: the stored entry on a hit, else `fresh` after storing it.
    fn lookup_or_insert(&self, key: u64, fresh: Picked) -> (bool, Picked) {
        let shard = &self.shards[(key >> 32) as usize % CACHE_SHARDS];
        let mut map = shard.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(entry) = map.get(&key) {
            return (true, *entry);
        }
        if map.len() >= CACHE_MAX_ENTRIES / CACHE_SHARDS {
            map.clear();
        }
        map.insert(key, fresh);
        (false, fresh)
    }
}

/// The keys are already SipHash values; hashing them again would be wasted work.
#[derive(Default)]
struct IdentityHasher(u64);

impl Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Pre-generated words from [`VOCABULARY`], with each word's byte span.
struct Filler {
    text: String,
    spans: Vec<(usize, usize)>,
}

impl Filler {
    fn new(seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x5EED_F111_E47E_47A1);
        let mut text = String::with_capacity(FILLER_WORDS * 8);
        let mut spans = Vec::with_capacity(FILLER_WORDS);
        for _ in 0..FILLER_WORDS {
            if !text.is_empty() {
                text.push(' ');
            }
            let start = text.len();
            text.push_str(VOCABULARY[rng.random_range(0..VOCABULARY.len())]);
            spans.push((start, text.len()));
        }
        Filler { text, spans }
    }

    /// `words` words starting at word `start`, wrapping around the filler.
    fn words(&self, start: usize, words: u64) -> String {
        let total = self.spans.len();
        let mut remaining = usize::try_from(words).unwrap_or(usize::MAX);
        let mut at = start % total;
        let mut out = String::with_capacity(remaining.saturating_mul(7));
        while remaining > 0 {
            let take = remaining.min(total - at);
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&self.text[self.spans[at].0..self.spans[at + take - 1].1]);
            remaining -= take;
            at = 0;
        }
        out
    }
}

/// The request fields both shapes share; everything else is ignored.
#[derive(Deserialize)]
struct LlmRequest {
    #[serde(default)]
    model: serde_json::Value,
    #[serde(default)]
    messages: Vec<Message>,
    /// Anthropic's top-level system prompt (string or blocks).
    #[serde(default)]
    system: serde_json::Value,
    #[serde(default)]
    max_tokens: Option<u64>,
    /// OpenAI's newer name for `max_tokens`.
    #[serde(default)]
    max_completion_tokens: Option<u64>,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    role: serde_json::Value,
    #[serde(default)]
    content: serde_json::Value,
}

/// Calls `f` on each text of a message content: a string, or an array of strings and parts with
/// a string `text` field. Anything else has no text.
fn for_each_text(content: &serde_json::Value, mut f: impl FnMut(&str)) {
    match content {
        serde_json::Value::String(text) => f(text),
        serde_json::Value::Array(parts) => {
            for part in parts {
                match part {
                    serde_json::Value::String(text) => f(text),
                    serde_json::Value::Object(fields) => {
                        if let Some(serde_json::Value::String(text)) = fields.get("text") {
                            f(text);
                        }
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
}

impl LlmRequest {
    /// Words in the system prompt and every message, at least 1.
    fn prompt_tokens(&self) -> u64 {
        let mut words = 0usize;
        let mut count = |text: &str| words += text.split_whitespace().count();
        for_each_text(&self.system, &mut count);
        for message in &self.messages {
            for_each_text(&message.content, &mut count);
        }
        u64::try_from(words).unwrap_or(u64::MAX).max(1)
    }

    /// Hash of the last user message's text, or `None` without a user message.
    fn cache_key(&self) -> Option<u64> {
        let message = self
            .messages
            .iter()
            .rev()
            .find(|m| m.role.as_str() == Some("user"))?;
        let mut hasher = DefaultHasher::new();
        for_each_text(&message.content, |text| {
            hasher.write(text.as_bytes());
            hasher.write_u8(0xff);
        });
        Some(hasher.finish())
    }

    fn model(&self) -> &str {
        self.model.as_str().unwrap_or("mock-llm")
    }

    fn max_tokens(&self) -> Option<u64> {
        match (self.max_tokens, self.max_completion_tokens) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

async fn openai(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    complete(&shared, MockApi::OpenAi, request).await
}

async fn anthropic(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    complete(&shared, MockApi::Anthropic, request).await
}

async fn health() -> Response {
    json_response(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
}

async fn not_found(method: Method, uri: Uri) -> Response {
    let message = format!("no route for {method} {}", uri.path());
    json_response(
        StatusCode::NOT_FOUND,
        &serde_json::json!({ "error": { "message": message, "type": "not_found" } }),
    )
}

async fn method_not_allowed(method: Method, uri: Uri) -> Response {
    let allowed = if uri.path() == "/health" {
        "GET"
    } else {
        "POST"
    };
    let message = format!(
        "method {method} not allowed for {} (use {allowed})",
        uri.path()
    );
    let mut response = json_response(
        StatusCode::METHOD_NOT_ALLOWED,
        &serde_json::json!({ "error": { "message": message, "type": "method_not_allowed" } }),
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allowed));
    response
}

/// One LLM request, start to end.
async fn complete(shared: &Shared, api: MockApi, request: Request) -> Response {
    let Some(_in_flight) = shared.admit() else {
        let capacity = shared.config.capacity.unwrap_or(0);
        let mut response = api_error(
            api,
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            &format!("mock capacity of {capacity} requests in flight reached; retry later"),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return response;
    };

    let declared_length = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > BODY_LIMIT as u64) {
        return api_error(
            api,
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            &format!("request body is larger than {BODY_LIMIT} bytes"),
        );
    }
    let body: Bytes = match axum::body::to_bytes(request.into_body(), BODY_LIMIT).await {
        Ok(body) => body,
        Err(err) => {
            return api_error(
                api,
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("cannot read the request body: {err}"),
            );
        }
    };
    let parsed: LlmRequest = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(err) => {
            return api_error(
                api,
                StatusCode::BAD_REQUEST,
                "invalid_request_error",
                &format!("malformed JSON body: {err}"),
            );
        }
    };

    let number = shared.requests.fetch_add(1, Ordering::Relaxed);
    let mut rng = shared.base_rng.clone();
    rng.set_stream(number);
    let (lat_lo, lat_hi) = shared.config.latency_us;
    let (tok_lo, tok_hi) = shared.config.tokens;
    let mut latency_us = rng.random_range(lat_lo..=lat_hi);
    let mut picked = Picked {
        tokens: rng.random_range(tok_lo..=tok_hi),
        filler_start: rng.random_range(0..FILLER_WORDS),
    };

    let mut cache_header = None;
    if let Some(cache) = &shared.cache {
        let hit = match parsed.cache_key() {
            Some(key) => {
                let (hit, entry) = cache.lookup_or_insert(key, picked);
                picked = entry;
                hit
            }
            None => false,
        };
        if hit {
            latency_us /= CACHE_HIT_LATENCY_DIVISOR;
        }
        cache_header = Some(HeaderValue::from_static(if hit { "HIT" } else { "MISS" }));
    }

    if latency_us > 0 {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_micros(latency_us)) => {}
            () = shared.stop.cancelled() => {
                return api_error(
                    api,
                    StatusCode::SERVICE_UNAVAILABLE,
                    "api_error",
                    "mock server is shutting down",
                );
            }
        }
    }

    let completion_tokens = parsed
        .max_tokens()
        .map_or(picked.tokens, |cap| cap.min(picked.tokens));
    let text = shared.filler.words(picked.filler_start, completion_tokens);
    let prompt_tokens = parsed.prompt_tokens();
    let model = parsed.model();
    let mut response = match api {
        MockApi::OpenAi => json_response(
            StatusCode::OK,
            &OpenAiResponse {
                id: format!("chatcmpl-{number}"),
                object: "chat.completion",
                created: unix_now(),
                model,
                choices: [OpenAiChoice {
                    index: 0,
                    message: OpenAiMessage {
                        role: "assistant",
                        content: &text,
                    },
                    finish_reason: "stop",
                }],
                usage: OpenAiUsage {
                    prompt_tokens,
                    completion_tokens,
                    total_tokens: prompt_tokens.saturating_add(completion_tokens),
                },
            },
        ),
        MockApi::Anthropic => json_response(
            StatusCode::OK,
            &AnthropicResponse {
                id: format!("msg_{number}"),
                kind: "message",
                role: "assistant",
                model,
                content: [AnthropicText {
                    kind: "text",
                    text: &text,
                }],
                stop_reason: "end_turn",
                usage: AnthropicUsage {
                    input_tokens: prompt_tokens,
                    output_tokens: completion_tokens,
                },
            },
        ),
    };
    if let Some(value) = cache_header {
        response.headers_mut().insert(X_CACHE, value);
    }
    response
}

#[derive(Serialize)]
struct OpenAiResponse<'a> {
    id: String,
    object: &'static str,
    created: u64,
    model: &'a str,
    choices: [OpenAiChoice<'a>; 1],
    usage: OpenAiUsage,
}

#[derive(Serialize)]
struct OpenAiChoice<'a> {
    index: u32,
    message: OpenAiMessage<'a>,
    finish_reason: &'static str,
}

#[derive(Serialize)]
struct OpenAiMessage<'a> {
    role: &'static str,
    content: &'a str,
}

#[derive(Serialize)]
struct OpenAiUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    total_tokens: u64,
}

#[derive(Serialize)]
struct AnthropicResponse<'a> {
    id: String,
    #[serde(rename = "type")]
    kind: &'static str,
    role: &'static str,
    model: &'a str,
    content: [AnthropicText<'a>; 1],
    stop_reason: &'static str,
    usage: AnthropicUsage,
}

#[derive(Serialize)]
struct AnthropicText<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
struct AnthropicUsage {
    input_tokens: u64,
    output_tokens: u64,
}

/// An error in the endpoint's own shape.
fn api_error(api: MockApi, status: StatusCode, kind: &str, message: &str) -> Response {
    let body = match api {
        MockApi::OpenAi => serde_json::json!({ "error": { "message": message, "type": kind } }),
        MockApi::Anthropic => serde_json::json!({
            "type": "error",
            "error": { "type": kind, "message": message },
        }),
    };
    json_response(status, &body)
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            Body::from(bytes),
        )
            .into_response(),
        Err(err) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("mock server could not encode its answer: {err}"),
        )
            .into_response(),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use std::time::Instant;

    async fn server(config: MockConfig) -> MockServer {
        start(config, "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("mock server starts")
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("http client")
    }

    struct Reply {
        status: u16,
        headers: reqwest::header::HeaderMap,
        body: Value,
    }

    async fn send(client: &reqwest::Client, method: &str, url: String, body: Vec<u8>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let response = client
            .request(method, url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.expect("body read");
        let body = serde_json::from_slice(&bytes).expect("JSON body");
        Reply {
            status,
            headers,
            body,
        }
    }

    async fn post(
        client: &reqwest::Client,
        server: &MockServer,
        api: MockApi,
        body: Value,
    ) -> Reply {
        let bytes = serde_json::to_vec(&body).expect("encode");
        send(
            client,
            "POST",
            format!("{}{}", server.url(), api.path()),
            bytes,
        )
        .await
    }

    fn chat(prompt: &str) -> Value {
        json!({
            "model": "gpt-test",
            "messages": [
                { "role": "system", "content": "you are terse" },
                { "role": "user", "content": prompt },
            ],
        })
    }

    fn words(text: &Value) -> u64 {
        text.as_str().expect("text").split_whitespace().count() as u64
    }

    #[tokio::test]
    async fn openai_shape_with_usage_in_range() {
        let server = server(MockConfig {
            tokens: (5, 50),
            ..MockConfig::default()
        })
        .await;
        let client = client();
        let reply = post(&client, &server, MockApi::OpenAi, chat("one two three")).await;
        assert_eq!(reply.status, 200);
        assert!(reply.headers.get("x-cache").is_none());
        let body = reply.body;
        assert!(body["id"].as_str().expect("id").starts_with("chatcmpl-"));
        assert_eq!(body["object"], "chat.completion");
        assert!(body["created"].as_u64().expect("created") > 1_600_000_000);
        assert_eq!(body["model"], "gpt-test");
        let choice = &body["choices"][0];
        assert_eq!(choice["index"], 0);
        assert_eq!(choice["message"]["role"], "assistant");
        assert_eq!(choice["finish_reason"], "stop");
        let usage = &body["usage"];
        let completion = usage["completion_tokens"].as_u64().expect("completion");
        assert!((5..=50).contains(&completion), "{completion}");
        assert_eq!(words(&choice["message"]["content"]), completion);
        assert_eq!(usage["prompt_tokens"], 6);
        assert_eq!(usage["total_tokens"].as_u64(), Some(6 + completion));
        server.shutdown().await;
    }

    #[tokio::test]
    async fn anthropic_shape_with_usage_in_range() {
        let server = server(MockConfig {
            api: MockApi::Anthropic,
            tokens: (7, 9),
            ..MockConfig::default()
        })
        .await;
        let client = client();
        let request = json!({
            "model": "claude-test",
            "max_tokens": 1024,
            "system": [{ "type": "text", "text": "be brief" }],
            "messages": [{ "role": "user", "content": [{ "type": "text", "text": "hello there" }] }],
        });
        let reply = post(&client, &server, MockApi::Anthropic, request).await;
        assert_eq!(reply.status, 200);
        let body = reply.body;
        assert!(body["id"].as_str().expect("id").starts_with("msg_"));
        assert_eq!(body["type"], "message");
        assert_eq!(body["role"], "assistant");
        assert_eq!(body["model"], "claude-test");
        assert_eq!(body["content"][0]["type"], "text");
        assert_eq!(body["stop_reason"], "end_turn");
        let output = body["usage"]["output_tokens"].as_u64().expect("output");
        assert!((7..=9).contains(&output), "{output}");
        assert_eq!(words(&body["content"][0]["text"]), output);
        assert_eq!(body["usage"]["input_tokens"], 4);
        // The other shape is served too.
        let reply = post(&client, &server, MockApi::OpenAi, chat("x")).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["object"], "chat.completion");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn max_tokens_caps_the_completion() {
        let server = server(MockConfig {
            tokens: (100, 200),
            ..MockConfig::default()
        })
        .await;
        let client = client();
        let mut request = chat("cap me");
        request["max_tokens"] = json!(3);
        let reply = post(&client, &server, MockApi::OpenAi, request).await;
        assert_eq!(reply.body["usage"]["completion_tokens"], 3);
        assert_eq!(words(&reply.body["choices"][0]["message"]["content"]), 3);
        let mut request = chat("cap me");
        request["max_completion_tokens"] = json!(0);
        let reply = post(&client, &server, MockApi::OpenAi, request).await;
        assert_eq!(reply.body["usage"]["completion_tokens"], 0);
        assert_eq!(reply.body["choices"][0]["message"]["content"], "");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn capacity_answers_429_with_retry_after_beyond_it() {
        let server = server(MockConfig {
            latency_us: (200_000, 200_000),
            capacity: Some(2),
            ..MockConfig::default()
        })
        .await;
        let client = client();
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..5 {
            let client = client.clone();
            let api = if i % 2 == 0 {
                MockApi::OpenAi
            } else {
                MockApi::Anthropic
            };
            let url = format!("{}{}", server.url(), api.path());
            let body = serde_json::to_vec(&chat(&format!("prompt {i}"))).expect("encode");
            tasks.spawn(async move { (api, send(&client, "POST", url, body).await) });
        }
        let started = Instant::now();
        let replies = tasks.join_all().await;
        assert!(started.elapsed() < Duration::from_millis(600));
        let rejected: Vec<_> = replies.iter().filter(|(_, r)| r.status == 429).collect();
        let ok = replies.iter().filter(|(_, r)| r.status == 200).count();
        assert_eq!((rejected.len(), ok), (3, 2));
        for (api, reply) in rejected {
            assert_eq!(
                reply.headers.get("retry-after").map(|v| v.as_bytes()),
                Some(&b"1"[..])
            );
            match api {
                MockApi::OpenAi => {
                    assert_eq!(reply.body["error"]["type"], "rate_limit_error");
                }
                MockApi::Anthropic => {
                    assert_eq!(reply.body["type"], "error");
                    assert_eq!(reply.body["error"]["type"], "rate_limit_error");
                }
            }
        }
        // Capacity is released: a later request is admitted.
        let reply = post(&client, &server, MockApi::OpenAi, chat("later")).await;
        assert_eq!(reply.status, 200);
        server.shutdown().await;
    }

    #[tokio::test]
    async fn cache_hit_is_faster_with_the_same_tokens() {
        let server = server(MockConfig {
            latency_us: (150_000, 150_000),
            tokens: (1, 1000),
            cache: true,
            ..MockConfig::default()
        })
        .await;
        let client = client();
        let started = Instant::now();
        let first = post(&client, &server, MockApi::OpenAi, chat("same prompt")).await;
        let first_time = started.elapsed();
        let started = Instant::now();
        let second = post(&client, &server, MockApi::OpenAi, chat("same prompt")).await;
        let second_time = started.elapsed();
        assert_eq!(first.headers.get("x-cache").expect("x-cache"), "MISS");
        assert_eq!(second.headers.get("x-cache").expect("x-cache"), "HIT");
        assert!(first_time >= Duration::from_millis(150), "{first_time:?}");
        assert!(second_time < Duration::from_millis(100), "{second_time:?}");
        assert_eq!(
            first.body["usage"]["completion_tokens"],
            second.body["usage"]["completion_tokens"]
        );
        assert_eq!(
            first.body["choices"][0]["message"]["content"],
            second.body["choices"][0]["message"]["content"]
        );
        // Another prompt misses; the cache spans both shapes.
        let other = post(&client, &server, MockApi::Anthropic, chat("other prompt")).await;
        assert_eq!(other.headers.get("x-cache").expect("x-cache"), "MISS");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn health_not_found_and_wrong_method() {
        let server = server(MockConfig::default()).await;
        let client = client();
        let health = send(&client, "GET", format!("{}/health", server.url()), vec![]).await;
        assert_eq!(
            (health.status, health.body),
            (200, json!({ "status": "ok" }))
        );
        let missing = send(
            &client,
            "GET",
            format!("{}/v1/nothing", server.url()),
            vec![],
        )
        .await;
        assert_eq!(missing.status, 404);
        assert_eq!(
            missing.body,
            json!({ "error": { "message": "no route for GET /v1/nothing", "type": "not_found" } })
        );
        let wrong = send(
            &client,
            "GET",
            format!("{}/v1/messages", server.url()),
            vec![],
        )
        .await;
        assert_eq!(wrong.status, 405);
        assert_eq!(wrong.headers.get("allow").expect("allow"), "POST");
        server.shutdown().await;
    }

    #[tokio::test]
    async fn malformed_json_is_400_in_the_endpoint_shape() {
        let server = server(MockConfig::default()).await;
        let client = client();
        let base = server.url();
        for body in [
            &b"{not json"[..],
            b"",
            b"[1,2]",
            b"{\"messages\": 5}",
            b"{\"max_tokens\": -1}",
        ] {
            let openai = send(
                &client,
                "POST",
                format!("{base}/v1/chat/completions"),
                body.to_vec(),
            )
            .await;
            assert_eq!(openai.status, 400);
            assert_eq!(openai.body["error"]["type"], "invalid_request_error");
            assert!(
                openai.body["error"]["message"]
                    .as_str()
                    .expect("message")
                    .contains("JSON")
            );
            let anthropic = send(
                &client,
                "POST",
                format!("{base}/v1/messages"),
                body.to_vec(),
            )
            .await;
            assert_eq!(anthropic.status, 400);
            assert_eq!(anthropic.body["type"], "error");
            assert_eq!(anthropic.body["error"]["type"], "invalid_request_error");
        }
        // Lenient about everything that is not the shape: odd content, no model, no messages.
        let odd = json!({ "messages": [{ "role": "user", "content": [1, {"image": "x"}, "hi"] }, { "content": null }] });
        let reply = post(&client, &server, MockApi::OpenAi, odd).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.body["usage"]["prompt_tokens"], 1);
        assert_eq!(reply.body["model"], "mock-llm");
        let reply = post(&client, &server, MockApi::Anthropic, json!({})).await;
        assert_eq!(reply.status, 200);
        server.shutdown().await;
    }

    #[tokio::test]
    async fn same_seed_gives_the_same_token_counts() {
        async fn counts(seed: u64) -> Vec<(u64, Value)> {
            let server = server(MockConfig {
                tokens: (1, 1000),
                latency_us: (0, 100),
                seed,
                ..MockConfig::default()
            })
            .await;
            let client = client();
            let mut out = Vec::new();
            for i in 0..8 {
                let api = if i % 2 == 0 {
                    MockApi::OpenAi
                } else {
                    MockApi::Anthropic
                };
                let reply = post(&client, &server, api, chat(&format!("prompt {i}"))).await;
                let (tokens, text) = match api {
                    MockApi::OpenAi => (
                        &reply.body["usage"]["completion_tokens"],
                        &reply.body["choices"][0]["message"]["content"],
                    ),
                    MockApi::Anthropic => (
                        &reply.body["usage"]["output_tokens"],
                        &reply.body["content"][0]["text"],
                    ),
                };
                out.push((tokens.as_u64().expect("tokens"), text.clone()));
            }
            server.shutdown().await;
            out
        }
        let a = counts(42).await;
        assert_eq!(a, counts(42).await);
        assert_ne!(a, counts(43).await);
    }

    #[tokio::test]
    async fn shutdown_is_bounded_and_answers_in_flight_requests() {
        let server = server(MockConfig {
            latency_us: (10_000_000, 10_000_000),
            capacity: Some(1),
            ..MockConfig::default()
        })
        .await;
        let client = client();
        let url = format!("{}{}", server.url(), MockApi::OpenAi.path());
        let body = serde_json::to_vec(&chat("slow")).expect("encode");
        let slow_client = client.clone();
        let slow_url = url.clone();
        let pending = tokio::spawn(async move { send(&slow_client, "POST", slow_url, body).await });
        // A malformed probe is answered 429 once the slow request holds the only slot, 400
        // before that; it never holds the slot for more than its parse.
        loop {
            let probe = send(&client, "POST", url.clone(), b"{".to_vec()).await;
            if probe.status == 429 {
                break;
            }
            assert_eq!(probe.status, 400);
        }
        let started = Instant::now();
        server.shutdown().await;
        assert!(started.elapsed() <= Duration::from_millis(1100));
        let reply = pending.await.expect("task");
        assert_eq!(reply.status, 503);
        assert_eq!(reply.body["error"]["type"], "api_error");
    }

    #[test]
    fn filler_wraps_and_counts_words() {
        let filler = Filler::new(1);
        for (start, n) in [
            (0, 0),
            (0, 1),
            (FILLER_WORDS - 1, 3),
            (5, FILLER_WORDS as u64 * 2 + 7),
        ] {
            let text = filler.words(start, n);
            assert_eq!(text.split_whitespace().count() as u64, n);
            assert!(!text.starts_with(' ') && !text.ends_with(' '));
            assert!(!text.contains("  "));
        }
        assert_eq!(Filler::new(1).text, filler.text);
        assert_ne!(Filler::new(2).text, filler.text);
    }

    #[test]
    fn cache_is_bounded() {
        let cache = Cache::new();
        let fresh = Picked {
            tokens: 1,
            filler_start: 0,
        };
        for key in 0..(CACHE_MAX_ENTRIES as u64 * 3) {
            cache.lookup_or_insert(key.wrapping_mul(0x9E37_79B9_7F4A_7C15), fresh);
        }
        let total: usize = cache
            .shards
            .iter()
            .map(|s| s.lock().expect("not poisoned").len())
            .sum();
        assert!(total <= CACHE_MAX_ENTRIES, "{total}");
    }
}
