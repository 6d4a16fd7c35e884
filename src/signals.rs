//! Stopping a run from outside: SIGINT (Ctrl-C) and SIGTERM (CI cancellation, `docker stop`,
//! Kubernetes) both stop the load the same way: nothing new starts, in-flight requests are
//! dropped, and the partial report and every artifact are written, marked interrupted. The
//! exit code says which signal it was: 130 (128 + SIGINT) or 143 (128 + SIGTERM), as a shell
//! reports a process killed by it. A second signal, of either kind, while the first is being
//! handled exits at once with that code: nothing more is written.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio_util::sync::CancellationToken;

/// Exit code of a run stopped by SIGINT.
pub(crate) const SIGINT_EXIT: u8 = 130;
/// Exit code of a run stopped by SIGTERM.
pub(crate) const SIGTERM_EXIT: u8 = 143;

/// The exit code of the first stop signal received (0 while none was).
#[derive(Clone, Debug, Default)]
pub(crate) struct Stopped(Arc<AtomicU8>);

impl Stopped {
    /// 130 or 143 once a signal arrived; `None` before.
    pub(crate) fn code(&self) -> Option<u8> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            code => Some(code),
        }
    }
}

/// Installs the handlers on the current runtime: the first signal cancels `cancel`, the
/// second exits the process.
pub(crate) fn install(runtime: &tokio::runtime::Runtime, cancel: CancellationToken) -> Stopped {
    let stopped = Stopped::default();
    let flag = stopped.clone();
    runtime.spawn(async move {
        #[cfg(unix)]
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
        loop {
            #[cfg(unix)]
            let code = {
                let sigterm = async {
                    match term.as_mut() {
                        Some(s) => s.recv().await,
                        None => std::future::pending().await,
                    }
                };
                tokio::select! {
                    r = tokio::signal::ctrl_c() => match r {
                        Ok(()) => SIGINT_EXIT,
                        Err(_) => return,
                    },
                    _ = sigterm => SIGTERM_EXIT,
                }
            };
            #[cfg(not(unix))]
            let code = match tokio::signal::ctrl_c().await {
                Ok(()) => SIGINT_EXIT,
                Err(_) => return,
            };
            if flag
                .0
                .compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
                .is_ok()
            {
                let name = if code == SIGTERM_EXIT { "SIGTERM" } else { "interrupted" };
                eprintln!(
                    "\n{name}: stopping the load and writing the partial report… (signal again to stop at once)"
                );
                cancel.cancel();
            } else {
                eprintln!("\nstopped at once: no report or artifacts written after this point");
                std::process::exit(i32::from(code));
            }
        }
    });
    stopped
}
