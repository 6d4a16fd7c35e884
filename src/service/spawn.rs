//! One run of a service's process: `sh -c EXEC` in its own process group, its output captured
//! line by line (a ring buffer of the last lines, the `--out` log file, the `ready log`
//! pattern), its exit watched, and the whole group stopped (signal, then SIGKILL after the
//! grace) or, when the [`Running`] is dropped without a stop (panic, early return), killed.
//!
//! Nothing is left behind even when `stress` itself is killed outright (SIGKILL, no
//! destructor runs): the process `stress` spawns is a small **supervisor**, the leader of the
//! service's process group, which forks the shell and watches. It is the forked child itself,
//! before `exec` (see [`supervise`]): it ignores the signals meant for the service (the stop
//! signal, SIGINT, SIGHUP, …), closes every inherited descriptor, becomes a child subreaper,
//! reaps, and every 50 ms looks at its parent. When the shell exits, it exits the same way
//! (status or signal), so `stress` sees the service's own exit. When its parent is no longer
//! `stress`, it SIGKILLs the whole process group, itself included. Limits: a descendant that
//! left the group (`setsid`, `setpgid`) is not in that kill; a supervisor stopped by a chaos
//! `pause` cannot act until it is resumed; and it is a fork of `stress`, so its pages (shared
//! copy-on-write) are not counted in the service's samples (`sample.rs` skips it).

use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::sync::watch;
use tokio::time::Instant;

/// Lines of output kept for error messages and the report.
pub(crate) const TAIL_LINES: usize = 200;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
}

impl std::fmt::Display for Exit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.code, self.signal) {
            (Some(c), _) => write!(f, "status {c}"),
            (None, Some(s)) => write!(f, "signal {s} ({})", crate::signals::signal_name(s)),
            (None, None) => write!(f, "an unknown status"),
        }
    }
}

/// The captured output of a service, shared by every run of it (restarts append).
pub(crate) struct LogBuf {
    tail: Mutex<VecDeque<String>>,
    file: Mutex<Option<std::fs::File>>,
    /// `ready log` pattern and whether a line matched it since the last (re)start.
    pattern: Option<regex::Regex>,
    matched: watch::Sender<bool>,
}

impl LogBuf {
    pub(crate) fn new(file: Option<&Path>, pattern: Option<regex::Regex>) -> std::io::Result<Self> {
        let file = match file {
            Some(path) => Some(std::fs::File::create(path)?),
            None => None,
        };
        Ok(LogBuf {
            tail: Mutex::new(VecDeque::new()),
            file: Mutex::new(file),
            pattern,
            matched: watch::channel(false).0,
        })
    }

    fn line(&self, line: &str) {
        {
            let mut tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
            if tail.len() == TAIL_LINES {
                tail.pop_front();
            }
            tail.push_back(line.to_string());
        }
        if let Some(file) = self.file.lock().unwrap_or_else(|p| p.into_inner()).as_mut() {
            let _ = writeln!(file, "{line}");
        }
        if self.pattern.as_ref().is_some_and(|re| re.is_match(line)) {
            self.matched.send_replace(true);
        }
    }

    /// A note of `stress` itself in the log (`--- stress: restarted ---`).
    pub(crate) fn note(&self, text: &str) {
        self.line(&format!("--- stress: {text} ---"));
    }

    /// The last `n` lines.
    pub(crate) fn tail(&self, n: usize) -> Vec<String> {
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        tail.iter()
            .skip(tail.len().saturating_sub(n))
            .cloned()
            .collect()
    }

    pub(crate) fn reset_match(&self) {
        self.matched.send_replace(false);
    }

    pub(crate) fn matched(&self) -> watch::Receiver<bool> {
        self.matched.subscribe()
    }
}

/// Kills the process group when dropped while armed.
struct GroupGuard {
    pgid: i32,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if group_alive(self.pgid) {
            // SAFETY: kill(2) with a negative pid signals that process group only.
            unsafe {
                libc::kill(-self.pgid, libc::SIGKILL);
            }
        }
    }
}

/// A running (or exited, not yet stopped) process group.
pub(crate) struct Running {
    pub pgid: i32,
    exit: watch::Receiver<Option<Exit>>,
    _guard: GroupGuard,
}

/// What to start.
pub(crate) struct SpawnSpec<'a> {
    pub exec: &'a str,
    pub env: &'a [(String, String)],
    pub cwd: &'a Path,
}

/// Starts `sh -c EXEC` in a new process group, output into `log`.
pub(crate) fn spawn(spec: &SpawnSpec<'_>, log: &Arc<LogBuf>) -> std::io::Result<Running> {
    let mut cmd = tokio::process::Command::new("sh");
    cmd.arg("-c")
        .arg(spec.exec)
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .current_dir(spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(false);
    // SAFETY: between fork and exec the closure calls only async-signal-safe functions
    // (fork, getppid; in the supervisor: signal, prctl, close_range/close, waitpid, kill,
    // nanosleep, _exit), and allocates nothing.
    unsafe {
        cmd.pre_exec(|| {
            let parent = libc::getppid();
            match libc::fork() {
                -1 => Err(std::io::Error::last_os_error()),
                // The shell: on to `exec`, in the supervisor's process group.
                0 => Ok(()),
                shell => supervise(shell, parent),
            }
        });
    }
    log.reset_match();
    let mut child = cmd.spawn()?;
    let pid = child
        .id()
        .and_then(|p| i32::try_from(p).ok())
        .ok_or_else(|| std::io::Error::other("the child has no pid"))?;
    let guard = GroupGuard { pgid: pid };
    if let Some(out) = child.stdout.take() {
        tokio::spawn(pump(out, log.clone()));
    }
    if let Some(err) = child.stderr.take() {
        tokio::spawn(pump(err, log.clone()));
    }
    let (tx, rx) = watch::channel(None);
    tokio::spawn(async move {
        use std::os::unix::process::ExitStatusExt;
        let exit = match child.wait().await {
            Ok(status) => Exit {
                code: status.code(),
                signal: status.signal(),
            },
            Err(_) => Exit {
                code: None,
                signal: None,
            },
        };
        tx.send_replace(Some(exit));
    });
    Ok(Running {
        pgid: pid,

        exit: rx,
        _guard: guard,
    })
}

/// The supervisor (see the module doc): runs in the forked child between fork and exec, so
/// only async-signal-safe calls and no allocation. Never returns.
unsafe fn supervise(shell: libc::pid_t, parent: libc::pid_t) -> ! {
    // SAFETY: every call is a plain system call wrapper, async-signal-safe.
    unsafe {
        for sig in [
            libc::SIGTERM,
            libc::SIGINT,
            libc::SIGHUP,
            libc::SIGQUIT,
            libc::SIGUSR1,
            libc::SIGUSR2,
            libc::SIGPIPE,
        ] {
            libc::signal(sig, libc::SIG_IGN);
        }
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1 as libc::c_ulong);
        // Every descriptor: std's exec-error pipe (else `spawn` waits for this process),
        // the output pipes (else the log never ends), the load's sockets.
        if libc::syscall(libc::SYS_close_range, 0u32, u32::MAX, 0u32) != 0 {
            let mut lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            let max = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
                lim.rlim_cur.min(1 << 20) as libc::c_int
            } else {
                4096
            };
            for fd in 0..max {
                libc::close(fd);
            }
        }
        let nap = libc::timespec {
            tv_sec: 0,
            tv_nsec: 50_000_000,
        };
        loop {
            loop {
                let mut status = 0;
                let pid = libc::waitpid(-1, &mut status, libc::WNOHANG);
                if pid == shell {
                    if libc::WIFSIGNALED(status) {
                        let sig = libc::WTERMSIG(status);
                        libc::signal(sig, libc::SIG_DFL);
                        libc::kill(libc::getpid(), sig);
                        libc::_exit(128 + sig);
                    }
                    libc::_exit(libc::WEXITSTATUS(status));
                }
                if pid <= 0 {
                    break;
                }
            }
            if libc::getppid() != parent {
                // `stress` is gone: the whole group, this process included.
                libc::kill(0, libc::SIGKILL);
                libc::_exit(137);
            }
            libc::nanosleep(&nap, std::ptr::null_mut());
        }
    }
}

async fn pump(stream: impl AsyncRead + Unpin, log: Arc<LogBuf>) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {
                let text = String::from_utf8_lossy(&buf);
                log.line(text.trim_end_matches(['\n', '\r']));
            }
        }
    }
}

impl Running {
    /// The exit of the group's leader, once it happened.
    pub(crate) fn exited(&self) -> Option<Exit> {
        *self.exit.borrow()
    }

    /// Waits for the leader to exit.
    pub(crate) async fn wait(&self) -> Exit {
        let mut rx = self.exit.clone();
        loop {
            if let Some(exit) = *rx.borrow_and_update() {
                return exit;
            }
            if rx.changed().await.is_err() {
                return self.exited().unwrap_or(Exit {
                    code: None,
                    signal: None,
                });
            }
        }
    }

    /// Sends `signal` to the whole group.
    pub(crate) fn signal(&self, signal: i32) {
        if group_alive(self.pgid) {
            // SAFETY: kill(2) with a negative pid signals that process group only.
            unsafe {
                libc::kill(-self.pgid, signal);
            }
        }
    }

    /// Stops the group: `signal` (and SIGCONT, in case it is paused), then SIGKILL when a
    /// live member remains after `grace`. Returns whether SIGKILL was needed.
    pub(crate) async fn stop(&self, signal: i32, grace: Duration) -> bool {
        self.signal(signal);
        self.signal(libc::SIGCONT);
        if wait_gone(self.pgid, grace).await {
            return false;
        }
        self.signal(libc::SIGKILL);
        wait_gone(self.pgid, Duration::from_secs(5)).await;
        true
    }
}

/// Polls until no live (non-zombie) process is left in the group, or the time is up.
async fn wait_gone(pgid: i32, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    loop {
        if !group_alive(pgid) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Whether the group has a member that is not a zombie. `kill(-pgid, 0)` says whether it has
/// any member; a zombie (exited, not yet reaped by its parent) cannot be signalled or run,
/// so it does not count.
pub(crate) fn group_alive(pgid: i32) -> bool {
    // SAFETY: signal 0 only checks that the group exists.
    if unsafe { libc::kill(-pgid, 0) } != 0 {
        return false;
    }
    match procfs::process::all_processes() {
        Ok(all) => all.flatten().filter_map(|p| p.stat().ok()).any(|s| {
            s.pgrp == pgid && !matches!(s.state().ok(), Some(procfs::process::ProcState::Zombie))
        }),
        Err(_) => true,
    }
}
