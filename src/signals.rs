//! Stopping a run from outside: SIGINT (Ctrl-C) and SIGTERM (CI cancellation, `docker stop`,
//! Kubernetes) both stop the load the same way: nothing new starts, in-flight requests are
//! dropped, and the partial report and every artifact are written, marked interrupted. The
//! exit code says which signal it was: 130 (128 + SIGINT) or 143 (128 + SIGTERM), as a shell
//! reports a process killed by it. A second signal, of either kind, while the first is being
//! handled exits at once with that code: nothing more is written.
//!
//! Also the signal names a service may be stopped with (`stop signal SIGINT`), for the checker
//! and the service runner.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use crate::exit::Exit;

/// Stop signals a service may name (`stop signal SIGINT`); `SIG` may be left out.
pub const SIGNALS: &[&str] = &[
    "SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGKILL", "SIGUSR1", "SIGUSR2",
];

/// The number of a signal name (`SIGTERM`, `term`, `TERM`).
pub fn signal_number(name: &str) -> Option<i32> {
    Some(match canonical_signal(name).as_str() {
        "SIGTERM" => libc::SIGTERM,
        "SIGINT" => libc::SIGINT,
        "SIGQUIT" => libc::SIGQUIT,
        "SIGHUP" => libc::SIGHUP,
        "SIGKILL" => libc::SIGKILL,
        "SIGUSR1" => libc::SIGUSR1,
        "SIGUSR2" => libc::SIGUSR2,
        _ => return None,
    })
}

/// `term` → `SIGTERM`.
pub fn canonical_signal(name: &str) -> String {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("SIG") {
        upper
    } else {
        format!("SIG{upper}")
    }
}

/// The name of a signal number, for messages (`signal 9 (SIGKILL)`).
pub fn signal_name(n: i32) -> &'static str {
    match n {
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGHUP => "SIGHUP",
        libc::SIGPIPE => "SIGPIPE",
        _ => "signal",
    }
}

/// Prints a message about a signal.
type Printer = Box<dyn Fn(&str) + Send>;

/// Who prints the signal messages: the live view registers itself while it draws, so that a
/// message does not land in the middle of its line and no stale line stays on screen.
static PRINTER: Mutex<Option<Printer>> = Mutex::new(None);

/// Routes signal messages through `printer` until [`clear_printer`].
pub fn set_printer(printer: Printer) {
    *PRINTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(printer);
}

/// Signal messages go straight to stderr again.
pub fn clear_printer() {
    *PRINTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
}

/// Stops the run as Ctrl-C in a terminal would (SIGINT to this process): the live view calls
/// it for `q` and for Ctrl-C, which raw mode delivers as a key instead of a signal. Going
/// through the signal keeps one stop path: partial report, exit 130, and a second one stops
/// at once.
pub fn interrupt() {
    #[cfg(unix)]
    // SAFETY: kill(2) with this process's own id and a valid signal number has no memory
    // effects; the handler installed by [`install`] receives it.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGINT);
    }
}

fn say(message: &str) {
    match PRINTER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_ref()
    {
        Some(print) => print(message),
        None => eprintln!("\n{message}"),
    }
}

/// The exit code of the first stop signal received (0 while none was).
#[derive(Clone, Debug, Default)]
pub(crate) struct Stopped(Arc<AtomicU8>);

impl Stopped {
    /// [`Exit::Interrupted`] or [`Exit::Terminated`] once a signal arrived; `None` before.
    pub(crate) fn exit(&self) -> Option<Exit> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            code if code == Exit::Terminated.code() => Some(Exit::Terminated),
            _ => Some(Exit::Interrupted),
        }
    }
}

/// Installs the handlers on the current runtime: the first signal cancels `cancel`, the
/// second exits the process.
pub(crate) fn install(runtime: &tokio::runtime::Runtime, cancel: CancellationToken) -> Stopped {
    let stopped = Stopped::default();
    let flag = stopped.clone();
    // The handlers are registered here, before this returns (and so before the run says
    // "running test"): registered inside the task, a signal that came before the task first
    // ran took the default action and killed the process without a report.
    let _entered = runtime.enter();
    #[cfg(unix)]
    let (mut int, mut term) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    #[cfg(unix)]
    async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
        let received = match s.as_mut() {
            Some(s) => s.recv().await.is_some(),
            None => false,
        };
        if !received {
            std::future::pending::<()>().await;
        }
    }
    runtime.spawn(async move {
        loop {
            #[cfg(unix)]
            let exit = tokio::select! {
                _ = next(&mut int) => Exit::Interrupted,
                _ = next(&mut term) => Exit::Terminated,
            };
            #[cfg(not(unix))]
            let exit = match tokio::signal::ctrl_c().await {
                Ok(()) => Exit::Interrupted,
                Err(_) => return,
            };
            if flag
                .0
                .compare_exchange(0, exit.code(), Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                let name = if exit == Exit::Terminated { "SIGTERM" } else { "interrupted" };
                say(&format!(
                        "{name}: stopping the load and writing the partial report… (signal again to stop at once)"
                ));
                cancel.cancel();
            } else {
                say("stopped at once: no report or artifacts written after this point");
                std::process::exit(i32::from(exit.code()));
            }
        }
    });
    stopped
}
