//! How one invocation prints: diagnostics (human, JSON, GitHub annotations), with `--set`
//! secrets redacted, and stdout that tolerates a closed pipe. Shared by the commands.

use std::io::Write;

use crate::diag::{Problem, RenderOptions};
use crate::source::SourceFile;

/// How to print for this invocation.
pub(crate) struct Ui {
    color: bool,
    json: bool,
    /// Print GitHub workflow commands for problems too.
    github: bool,
}

impl Ui {
    pub(crate) fn color(&self) -> bool {
        self.color
    }

    /// `color`: ANSI colors in diagnostics and reports; `json`: diagnostics as JSON lines;
    /// `github`: also GitHub workflow commands on stdout.
    pub(crate) fn new(color: bool, json: bool, github: bool) -> Self {
        Ui {
            color,
            json,
            github,
        }
    }

    /// Diagnostics are printed as JSON lines.
    pub(crate) fn json(&self) -> bool {
        self.json
    }

    fn width() -> usize {
        std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.parse().ok())
            .unwrap_or(100)
    }

    /// Prints problems (sorted) to stderr.
    pub(crate) fn problems(&self, file: Option<&SourceFile>, problems: &[Problem]) {
        let mut err = std::io::stderr().lock();
        const SHOWN: usize = crate::diag::MAX_SHOWN;
        if problems.len() > SHOWN && !self.json {
            let _ = writeln!(
                err,
                "({} problems; showing the first {SHOWN})",
                problems.len()
            );
        }
        // `--set` secrets are never echoed, not even in a diagnostic about their value.
        let redact = crate::secrets::redact;
        for problem in problems.iter().take(SHOWN) {
            if self.json {
                let json = crate::diag::render_json(problem, file);
                let _ = writeln!(err, "{}", redact(&json));
            } else {
                let opts = RenderOptions {
                    color: self.color,
                    unicode: true,
                    width: Self::width(),
                };
                let text = crate::diag::render(problem, file, opts);
                let _ = write!(err, "{}", redact(&text));
                let _ = writeln!(err);
            }
        }
        if self.github {
            let mut out = std::io::stdout().lock();
            for problem in problems {
                let _ = writeln!(out, "{}", crate::annotations::github(problem, file));
            }
        }
    }
}

/// Writes to stdout, ignoring failures: a reader that went away (`stress plan f | head -c1`,
/// a closed pipe) ends the output quietly instead of panicking as `print!` does.
pub(crate) fn say(text: std::fmt::Arguments<'_>) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(text).and_then(|()| out.flush());
}
