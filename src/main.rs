//! The `stress` binary: parse the command line, run it, map the outcome to an exit code.
//!
//! A panic is a bug in stress, never the user's fault: it is reported as an internal error
//! (one clear line, no backtrace noise) and ends with exit 2 (3 for `run`). Writing to a closed
//! pipe (`stress plan f.stress | head -c1`) ends quietly.

use std::process::ExitCode;

use stress::exit::Exit;

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("a panic");
        if message.contains("Broken pipe") || message.contains("failed printing to std") {
            std::process::exit(0);
        }
        let at = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        eprintln!(
            "error: internal error in stress: {message}{at}\n\
             This is a bug in stress, not in your input: please report it with the file that caused it."
        );
    }));
    match std::panic::catch_unwind(stress::cli::main) {
        Ok(code) => code,
        Err(_) => panic_exit().into(),
    }
}

/// "Could not run" for `stress run`, "invalid input" for every other command.
fn panic_exit() -> Exit {
    let command = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if command.as_deref() == Some("run") {
        Exit::CouldNotRun
    } else {
        Exit::Invalid
    }
}
