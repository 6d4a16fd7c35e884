//! The embedded mock LLM server: its configuration ([`MockConfig`]), the `stress mock llm`
//! command-line arguments ([`MockLlmArgs`]) with their small latency/token-range parsers, and the
//! standalone entry point ([`serve_standalone`]).
//!
//! The HTTP side (routes, capacity, cache, response bodies) lives in the `server` submodule,
//! reached through [`start`] and [`MockServer`].
//! This module does not read `.stress` files: the engine builds a [`MockConfig`] from a
//! `target llm mock { ... }` block itself and calls [`start`].
//!
//! Both wire shapes are always served, whatever [`MockConfig::api`] says:
//! `POST /v1/chat/completions` (OpenAI) and `POST /v1/messages` (Anthropic). The `api` setting
//! only names the shape a run is expected to use (it appears in the startup line and in plans).

mod server;

pub use server::{MockServer, start};

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::SocketAddr;

/// The largest output token count a mock response may have (bounds the memory of one answer).
pub const MAX_TOKENS: u64 = 1_000_000;

/// Which LLM wire shape a mock target speaks (both are served; see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
pub enum MockApi {
    /// OpenAI chat completions: `POST /v1/chat/completions`.
    #[serde(rename = "openai")]
    #[value(name = "openai")]
    OpenAi,
    /// Anthropic messages: `POST /v1/messages`.
    #[serde(rename = "anthropic")]
    #[value(name = "anthropic")]
    Anthropic,
}

impl MockApi {
    /// The name used in `.stress` files and on the command line: `openai` or `anthropic`.
    pub fn name(self) -> &'static str {
        match self {
            MockApi::OpenAi => "openai",
            MockApi::Anthropic => "anthropic",
        }
    }

    /// The request path of this shape: `/v1/chat/completions` or `/v1/messages`.
    pub fn path(self) -> &'static str {
        match self {
            MockApi::OpenAi => "/v1/chat/completions",
            MockApi::Anthropic => "/v1/messages",
        }
    }
}

impl fmt::Display for MockApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Everything that shapes the mock server's behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MockConfig {
    /// The shape the run is expected to use (both are served regardless).
    pub api: MockApi,
    /// Inclusive latency range in microseconds, picked uniformly per request; equal ends = fixed.
    pub latency_us: (u64, u64),
    /// Inclusive range of output tokens (words) per response, picked uniformly per request.
    pub tokens: (u64, u64),
    /// Requests allowed in flight at once; beyond it the answer is 429 with `retry-after: 1`.
    /// `None` = unlimited.
    pub capacity: Option<u32>,
    /// Remember prompts: a repeated last user message answers after 1/10 of the picked latency,
    /// with the same token count, and `x-cache: HIT`.
    pub cache: bool,
    /// Seed of every random pick (latency, tokens, filler text).
    pub seed: u64,
}

/// The latency of a mock when none is given, on the command line (`stress mock llm`) and in a
/// file (`target NAME mock { }`) alike: none, so a test measures stress and the target, not a
/// made-up delay. Give `latency 40ms..120ms` for a realistic provider.
pub const DEFAULT_LATENCY: &str = "0s";

impl Default for MockConfig {
    /// OpenAI shape, no latency, 20..200 tokens, unlimited capacity, no cache, seed 0.
    fn default() -> Self {
        MockConfig {
            api: MockApi::OpenAi,
            latency_us: parse_latency(DEFAULT_LATENCY).expect("the default latency parses"),
            tokens: (20, 200),
            capacity: None,
            cache: false,
            seed: 0,
        }
    }
}

impl MockConfig {
    /// Checks the ranges and capacity; [`start`] refuses a config that fails this.
    pub fn validate(&self) -> Result<(), String> {
        let (lo, hi) = self.latency_us;
        if lo > hi {
            return Err(format!(
                "mock latency range {lo}us..{hi}us is reversed: the low end must come first"
            ));
        }
        let (lo, hi) = self.tokens;
        if lo > hi {
            return Err(format!(
                "mock token range {lo}..{hi} is reversed: the low end must come first"
            ));
        }
        if hi > MAX_TOKENS {
            return Err(format!(
                "mock tokens {hi} is too large: at most {MAX_TOKENS} tokens per response"
            ));
        }
        if self.capacity == Some(0) {
            return Err("mock capacity must be at least 1 (leave it out for unlimited)".into());
        }
        Ok(())
    }
}

/// `stress mock llm`: run the mock LLM server on its own until Ctrl-C.
///
/// Serves OpenAI (`POST /v1/chat/completions`) and Anthropic (`POST /v1/messages`) shapes at
/// once, plus `GET /health`.
#[derive(Debug, Clone, clap::Args)]
pub struct MockLlmArgs {
    /// Address to listen on (any address is allowed; the default only accepts local clients).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Wire shape to announce; both /v1/chat/completions and /v1/messages are served anyway.
    #[arg(long, value_enum, default_value = "openai")]
    pub api: MockApi,

    /// Response latency: one duration ("80ms") or a range picked uniformly per request
    /// ("40ms..120ms"). Units: us, ms, s, m. Default: none (0s), as for a mock in a file.
    #[arg(long, default_value = DEFAULT_LATENCY)]
    pub latency: String,

    /// Output tokens (words) per response: one count ("100") or a range ("20..200"); a request's
    /// max_tokens caps it.
    #[arg(long, default_value = "20..200")]
    pub tokens: String,

    /// Requests allowed in flight at once; more are answered 429 with "retry-after: 1".
    /// Unlimited when left out.
    #[arg(long)]
    pub capacity: Option<u32>,

    /// Cache prompts: a repeated last user message answers in 1/10 of the latency, with the same
    /// token count, and "x-cache: HIT" (first time "x-cache: MISS").
    #[arg(long)]
    pub cache: bool,

    /// Seed of every random pick (latency, tokens, text): equal seeds give equal answers to equal
    /// request sequences.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

impl MockLlmArgs {
    /// Parses `--latency` and `--tokens` and checks the result; the error is a one-line message.
    pub fn to_config(&self) -> Result<MockConfig, String> {
        let config = MockConfig {
            api: self.api,
            latency_us: parse_latency(&self.latency).map_err(|e| format!("--latency: {e}"))?,
            tokens: parse_tokens(&self.tokens).map_err(|e| format!("--tokens: {e}"))?,
            capacity: self.capacity,
            cache: self.cache,
            seed: self.seed,
        };
        config.validate()?;
        Ok(config)
    }
}

/// Serves until Ctrl-C; prints one line "mock llm (openai) listening on http://ADDR" to stderr.
pub async fn serve_standalone(args: MockLlmArgs) -> Result<(), String> {
    let config = args.to_config()?;
    let server = start(config, args.listen)
        .await
        .map_err(|e| format!("mock llm: cannot listen on {}: {e}", args.listen))?;
    eprintln!("mock llm ({}) listening on {}", config.api, server.url());
    let waited = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    waited.map_err(|e| format!("mock llm: cannot wait for Ctrl-C: {e}"))
}

/// Parses a latency: one duration (`80ms`) or an inclusive range (`40ms..120ms`), into
/// microseconds. Units: `us` (or `µs`), `ms`, `s`, `m`, `h`, combined as in the language (`1m30s`); decimals are allowed (`1.5s`); a bare `0`
/// needs no unit, and the low end of a range may borrow the high end's unit (`40..120ms`).
pub fn parse_latency(text: &str) -> Result<(u64, u64), String> {
    let hint = "expected a duration like 80ms or a range like 40ms..120ms (units: us, ms, s, m, h; e.g. 1m30s)";
    let text = text.trim();
    let range = match text.split_once("..") {
        None => {
            let us = parse_duration(text, None).map_err(|e| format!("{e}; {hint}"))?;
            (us, us)
        }
        Some((lo, hi)) => {
            let (lo, hi) = (lo.trim(), hi.trim());
            // `40..120ms`: the low end borrows the high end's unit (when it has just one).
            let hi_unit = split_unit(hi).1;
            let hi_unit = if hi_unit.chars().all(char::is_alphabetic) {
                hi_unit
            } else {
                ""
            };
            let hi_us = parse_duration(hi, None).map_err(|e| format!("{e}; {hint}"))?;
            let lo_us = parse_duration(lo, Some(hi_unit)).map_err(|e| format!("{e}; {hint}"))?;
            (lo_us, hi_us)
        }
    };
    if range.0 > range.1 {
        return Err(format!(
            "latency range \"{text}\" is reversed: the low end must come first"
        ));
    }
    Ok(range)
}

/// Parses a token count: one number (`100`) or an inclusive range (`20..200`).
pub fn parse_tokens(text: &str) -> Result<(u64, u64), String> {
    let text = text.trim();
    let number = |s: &str| -> Result<u64, String> {
        let s = s.trim();
        s.parse::<u64>().map_err(|_| {
            format!(
                "\"{s}\" is not a token count; expected a number like 100 or a range like 20..200"
            )
        })
    };
    let range = match text.split_once("..") {
        None => {
            let n = number(text)?;
            (n, n)
        }
        Some((lo, hi)) => (number(lo)?, number(hi)?),
    };
    if range.0 > range.1 {
        return Err(format!(
            "token range \"{text}\" is reversed: the low end must come first"
        ));
    }
    if range.1 > MAX_TOKENS {
        return Err(format!(
            "{} tokens is too large: at most {MAX_TOKENS} per response",
            range.1
        ));
    }
    Ok(range)
}

/// Splits `"40ms"` into `("40", "ms")`.
fn split_unit(text: &str) -> (&str, &str) {
    let at = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    (&text[..at], text[at..].trim())
}

/// One duration in microseconds, read by the language's own parser ([`units::parse_duration`]:
/// `1m30s`, `1.5s`, `250us`); `default_unit` applies when `text` has none, and a bare `0`
/// needs no unit.
fn parse_duration(text: &str, default_unit: Option<&str>) -> Result<u64, String> {
    let text = text.trim();
    let ends_in_digit = text.ends_with(|c: char| c.is_ascii_digit() || c == '.');
    let with_unit = match default_unit {
        Some(unit) if ends_in_digit && !unit.is_empty() => format!("{text}{unit}"),
        _ if ends_in_digit && !text.is_empty() && text.bytes().all(|b| b == b'0' || b == b'.') => {
            "0s".to_string()
        }
        _ => text.to_string(),
    };
    crate::units::parse_duration(&with_unit)
        .map(crate::units::Duration::as_micros)
        .map_err(|e| format!("\"{text}\": {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: MockLlmArgs,
    }

    #[test]
    fn latency_parses_single_values_ranges_and_units() {
        assert_eq!(parse_latency("50ms"), Ok((50_000, 50_000)));
        assert_eq!(parse_latency("40ms..120ms"), Ok((40_000, 120_000)));
        assert_eq!(parse_latency(" 40ms .. 120ms "), Ok((40_000, 120_000)));
        assert_eq!(parse_latency("40..120ms"), Ok((40_000, 120_000)));
        assert_eq!(parse_latency("1s"), Ok((1_000_000, 1_000_000)));
        assert_eq!(parse_latency("1.5s"), Ok((1_500_000, 1_500_000)));
        assert_eq!(parse_latency("250us"), Ok((250, 250)));
        assert_eq!(parse_latency("2m"), Ok((120_000_000, 120_000_000)));
        assert_eq!(parse_latency("1m30s"), Ok((90_000_000, 90_000_000)));
        assert_eq!(parse_latency("1h"), Ok((3_600_000_000, 3_600_000_000)));
        assert_eq!(parse_latency("0"), Ok((0, 0)));
        assert_eq!(parse_latency("0..10ms"), Ok((0, 10_000)));
    }

    #[test]
    fn latency_errors_are_clear() {
        for bad in [
            "", "abc", "50", "50x", "ms", "..", "1..", "..2ms", "1.2.3s", "-5ms", "1e3ms",
        ] {
            let err = parse_latency(bad).expect_err(bad);
            assert!(err.contains("expected a duration"), "{bad}: {err}");
        }
        let err = parse_latency("120ms..40ms").expect_err("reversed");
        assert!(err.contains("reversed"), "{err}");
        let err = parse_latency("99999999999999999999s").expect_err("huge");
        assert!(err.contains("too large"), "{err}");
    }

    #[test]
    fn tokens_parse_and_errors() {
        assert_eq!(parse_tokens("100"), Ok((100, 100)));
        assert_eq!(parse_tokens("20..200"), Ok((20, 200)));
        assert_eq!(parse_tokens("0..5"), Ok((0, 5)));
        assert!(
            parse_tokens("200..20")
                .expect_err("rev")
                .contains("reversed")
        );
        assert!(parse_tokens("x").expect_err("x").contains("token count"));
        assert!(parse_tokens("-1").is_err());
        assert!(
            parse_tokens("1..2000000")
                .expect_err("big")
                .contains("too large")
        );
    }

    #[test]
    fn cli_defaults_give_a_loopback_openai_config() {
        let cli = Cli::try_parse_from(["mock"]).expect("defaults parse");
        assert_eq!(cli.args.listen, "127.0.0.1:8080".parse().expect("addr"));
        let config = cli.args.to_config().expect("defaults are valid");
        // One set of defaults: the command line's are a file mock's (`target x mock { }`).
        assert_eq!(config, MockConfig::default());
        assert_eq!(config.latency_us, (0, 0));
        assert_eq!(config.tokens, (20, 200));
        let cli = Cli::try_parse_from([
            "mock",
            "--api",
            "anthropic",
            "--latency",
            "10ms",
            "--tokens",
            "5",
            "--capacity",
            "3",
            "--cache",
            "--seed",
            "9",
            "--listen",
            "0.0.0.0:9000",
        ])
        .expect("flags parse");
        let config = cli.args.to_config().expect("valid");
        assert_eq!(config.api, MockApi::Anthropic);
        assert_eq!(config.latency_us, (10_000, 10_000));
        assert_eq!(config.tokens, (5, 5));
        assert_eq!(config.capacity, Some(3));
        assert!(config.cache);
        assert_eq!(config.seed, 9);
    }

    #[test]
    fn to_config_reports_the_flag() {
        let mut cli = Cli::try_parse_from(["mock", "--latency", "fast"]).expect("parse");
        assert!(
            cli.args
                .to_config()
                .expect_err("bad")
                .starts_with("--latency:")
        );
        cli.args.latency = "1ms".into();
        cli.args.tokens = "many".into();
        assert!(
            cli.args
                .to_config()
                .expect_err("bad")
                .starts_with("--tokens:")
        );
        cli.args.tokens = "1".into();
        cli.args.capacity = Some(0);
        assert!(cli.args.to_config().expect_err("zero").contains("capacity"));
    }

    #[test]
    fn api_serializes_to_its_name() {
        assert_eq!(
            serde_json::to_string(&MockApi::OpenAi).expect("json"),
            "\"openai\""
        );
        assert_eq!(
            serde_json::to_string(&MockApi::Anthropic).expect("json"),
            "\"anthropic\""
        );
        assert_eq!(MockApi::Anthropic.to_string(), "anthropic");
    }
}
