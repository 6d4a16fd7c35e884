//! Resource use of a service's whole process tree, read from procfs: every process in the
//! service's process group plus every descendant of its leader (a worker that moved to its
//! own group still counts). RSS is summed (shared pages count once per process, as `ps`
//! shows them), CPU is user + system time of the live processes plus what they reaped from
//! their exited children, as a share of one core between two samples. The root itself is
//! `stress`'s supervisor (`spawn.rs`), a fork of `stress`: it is walked, never counted.

use std::collections::{HashMap, HashSet};

/// Totals over a process tree at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct Usage {
    pub rss: u64,
    /// Clock ticks of CPU time.
    pub ticks: u64,
    pub fds: u64,
    pub threads: u64,
    pub procs: u64,
}

/// Reads the usage of the tree rooted at `root` (also its group `root`); `None` when no live
/// process is left.
pub(crate) fn usage(root: i32) -> Option<Usage> {
    let page = procfs::page_size();
    let all: Vec<_> = procfs::process::all_processes()
        .ok()?
        .flatten()
        .filter_map(|p| p.stat().ok().map(|s| (p, s)))
        .collect();
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for (_, s) in &all {
        children.entry(s.ppid).or_default().push(s.pid);
    }
    let mut members: HashSet<i32> = all
        .iter()
        .filter(|(_, s)| s.pgrp == root)
        .map(|(_, s)| s.pid)
        .collect();
    let mut stack = vec![root];
    while let Some(pid) = stack.pop() {
        if members.insert(pid) || pid == root {
            if let Some(kids) = children.get(&pid) {
                stack.extend(kids.iter().copied().filter(|k| !members.contains(k)));
            }
        }
    }
    let mut u = Usage::default();
    for (p, s) in &all {
        if !members.contains(&s.pid)
            || s.pid == root
            || matches!(s.state().ok(), Some(procfs::process::ProcState::Zombie))
        {
            continue;
        }
        u.procs += 1;
        u.rss += s.rss * page;
        u.ticks += s.utime + s.stime + s.cutime.max(0) as u64 + s.cstime.max(0) as u64;
        u.threads += s.num_threads.max(0) as u64;
        u.fds += p.fd_count().map_or(0, |n| n as u64);
    }
    (u.procs > 0).then_some(u)
}

/// Clock ticks per second of CPU time.
pub(crate) fn ticks_per_second() -> u64 {
    procfs::ticks_per_second().max(1)
}
