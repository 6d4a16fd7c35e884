//! `stress lsp` driven over stdio as an editor drives it: open a file with errors and get the
//! same diagnostics `stress check` prints, at the right ranges; hover; definition; references;
//! completion; formatting; shutdown.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value, json};

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: mpsc::Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_stress"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("stress lsp starts");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, messages) = mpsc::channel();
        std::thread::spawn(move || read_messages(stdout, &tx));
        let mut client = Client {
            child,
            stdin,
            messages,
            next_id: 1,
        };
        let init = client.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {} }),
        );
        assert!(init["result"]["capabilities"]["hoverProvider"].as_bool() == Some(true));
        client.notify("initialized", json!({}));
        client
    }

    fn send(&mut self, message: &Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its response (notifications in between are skipped).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive();
            if message["id"] == json!(id) {
                return message;
            }
        }
    }

    /// The next notification with this method.
    fn notification(&mut self, method: &str) -> Value {
        loop {
            let message = self.receive();
            if message["method"] == method {
                return message["params"].clone();
            }
        }
    }

    fn receive(&mut self) -> Value {
        self.messages
            .recv_timeout(Duration::from_secs(20))
            .expect("the server answers within 20 s")
    }

    fn finish(mut self) {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null);
        self.notify("exit", Value::Null);
        let status = self.child.wait().expect("wait");
        assert!(status.success(), "stress lsp exited with {status}");
    }
}

fn read_messages(stdout: ChildStdout, tx: &mpsc::Sender<Value>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(n) = line.strip_prefix("Content-Length: ") {
                length = n.parse::<usize>().ok();
            }
        }
        let Some(length) = length else { return };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let Ok(value) = serde_json::from_slice(&body) else {
            return;
        };
        if tx.send(value).is_err() {
            return;
        }
    }
}

const URI: &str = "file:///tmp/stress-lsp-test/load.stress";

const BROKEN: &str = "target llm mock { api openai }

workload chat {
  request complete: post llm \"/v1/chat/completions\" {
    timeout 5
    check status == 200
  }
}

test \"smoke\" {
  workload chta
  profile { users 1, iterations 1 }
}
";

#[test]
fn diagnostics_match_stress_check_at_the_right_ranges() {
    let mut client = Client::start();
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "stress", "version": 1, "text": BROKEN } }),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["uri"], URI);
    let diagnostics = published["diagnostics"].as_array().expect("array");
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        codes,
        ["stress::check::missing_unit", "stress::check::unknown_name"]
    );
    // `timeout 5`: line 5 (0-based 4), the `5` at column 12.
    assert_eq!(
        diagnostics[0]["range"],
        json!({ "start": { "line": 4, "character": 12 }, "end": { "line": 4, "character": 13 } })
    );
    assert_eq!(diagnostics[0]["severity"], 1);
    // `workload chta`: line 11 (0-based 10), columns 11..15, with "did you mean" in the help.
    assert_eq!(
        diagnostics[1]["range"],
        json!({ "start": { "line": 10, "character": 11 }, "end": { "line": 10, "character": 15 } })
    );
    let message = diagnostics[1]["message"].as_str().expect("message");
    assert!(message.contains("`chat`"), "{message}");

    // The same codes from `stress check` on the same text.
    let dir = std::env::temp_dir().join(format!("stress-lsp-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("load.stress");
    std::fs::write(&path, BROKEN).expect("write");
    let out = crate::support::stress(&[
        "--diagnostics",
        "json",
        "check",
        path.to_str().expect("utf-8"),
    ]);
    let cli_codes: Vec<String> = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter_map(|v| v["code"].as_str().map(str::to_string))
        .collect();
    assert_eq!(cli_codes, codes);

    // A fix clears them.
    let fixed = BROKEN
        .replace("timeout 5", "timeout 5s")
        .replace("chta", "chat");
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": URI, "version": 2 }, "contentChanges": [{ "text": fixed }] }),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["diagnostics"], json!([]));
    assert_eq!(published["version"], 2);
    client.finish();
}

const GOOD: &str = "target llm mock { api openai }

workload chat {
  request complete: post llm \"/v1/chat/completions\" {
    timeout 5s
    capture tokens = json.usage.completion_tokens
  }
}

test \"smoke\" {
  workload chat
  profile {   users 1, iterations 1 }
  slo { p95(tokens) < 500 }
}
";

fn open_good(client: &mut Client) {
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": URI, "languageId": "stress", "version": 1, "text": GOOD } }),
    );
    let published = client.notification("textDocument/publishDiagnostics");
    assert_eq!(published["diagnostics"], json!([]), "{published}");
}

fn at(line: u32, character: u32) -> Value {
    json!({ "textDocument": { "uri": URI }, "position": { "line": line, "character": character } })
}

#[test]
fn hover_definition_references_completion_and_formatting() {
    let mut client = Client::start();
    open_good(&mut client);

    // Hover on a metric: `p95` on line 13 (0-based 12), column 8.
    let hover = client.request("textDocument/hover", at(12, 8));
    let text = hover["result"]["contents"]["value"]
        .as_str()
        .expect("hover");
    assert!(text.contains("95th percentile"), "{text}");
    // Hover on a declared name says what declares it.
    let hover = client.request("textDocument/hover", at(10, 12));
    let text = hover["result"]["contents"]["value"]
        .as_str()
        .expect("hover");
    assert!(
        text.contains("`workload chat`, declared on line 3"),
        "{text}"
    );
    // Hover on a unit inside a literal.
    let hover = client.request("textDocument/hover", at(4, 13));
    let text = hover["result"]["contents"]["value"]
        .as_str()
        .expect("hover");
    assert_eq!(
        text,
        "Seconds (a duration), or per second after `/` (a rate)."
    );

    // Definition of `chat` (used in the test) is its declaration on line 3 (0-based 2).
    let definition = client.request("textDocument/definition", at(10, 12));
    assert_eq!(
        definition["result"]["range"],
        json!({ "start": { "line": 2, "character": 9 }, "end": { "line": 2, "character": 13 } })
    );
    // Definition of the capture `tokens` used in the SLO.
    let definition = client.request("textDocument/definition", at(12, 12));
    assert_eq!(
        definition["result"]["range"]["start"],
        json!({ "line": 5, "character": 12 })
    );

    // References of `llm`: the declaration and the request's target.
    let mut params = at(3, 26);
    params["context"] = json!({ "includeDeclaration": true });
    let references = client.request("textDocument/references", params);
    let lines: Vec<u64> = references["result"]
        .as_array()
        .expect("array")
        .iter()
        .map(|l| l["range"]["start"]["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, [0, 3]);

    // Completion offers declared names, keywords, metrics and units.
    let completion = client.request("textDocument/completion", at(12, 8));
    let labels: Vec<&str> = completion["result"]
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    for expected in [
        "chat",
        "tokens",
        "llm",
        "workload",
        "p95",
        "error_rate",
        "ms",
    ] {
        assert!(
            labels.contains(&expected),
            "{expected} missing from {labels:?}"
        );
    }

    // Formatting is `stress fmt`: the extra spaces in `profile {   users` go.
    let formatting = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": URI }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = formatting["result"].as_array().expect("edits");
    assert_eq!(edits.len(), 1);
    let new_text = edits[0]["newText"].as_str().expect("text");
    assert!(
        new_text.contains("  profile { users 1, iterations 1 }"),
        "{new_text}"
    );
    client.finish();
}
