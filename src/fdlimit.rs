//! Enough file descriptors for the declared users, checked before any load.
//!
//! Each closed-model user holds up to one connection at a time; a mock target started by
//! `stress` holds the other end in the same process. A test needs at most
//! `users × (2 with a mock target, else 1) + MARGIN` descriptors (the margin covers the
//! runtime, the output files and the listeners). When the soft `RLIMIT_NOFILE` is lower, it is
//! raised towards the hard limit first, as load tools do; when even that is too low, the run
//! stops before load with `stress::run::fd_limit` (exit 3), instead of turning most requests
//! into failures. Open-model stages (`rate`) are not counted: `max users` bounds them but is
//! not what they use; a connection they cannot open for want of descriptors is recorded as
//! `fd_limit`, not `connect`.

use crate::plan::{Plan, StageKind, TargetKind};

/// Descriptors kept for everything that is not a user's connection.
pub(crate) const MARGIN: u64 = 64;

/// The descriptors test `test` of `plan` needs on shard `index` of `count` (0 of 1: the
/// whole test), and the users that shard runs (VUs are striped: `u mod count = index`).
pub(crate) fn needed(plan: &Plan, test: usize, (index, count): (u32, u32)) -> (u64, u64) {
    let t = &plan.tests[test];
    let users = t
        .profile
        .stages
        .iter()
        .map(|s| match &s.kind {
            StageKind::Iterations { users, .. } => u64::from(*users),
            StageKind::Users { from, to, .. } => u64::from((*from).max(*to)),
            StageKind::Rate { .. } | StageKind::Pause { .. } => 0,
        })
        .max()
        .unwrap_or(0);
    let count = u64::from(count.max(1));
    let users = users / count + u64::from(users % count > u64::from(index));
    let mock = plan
        .targets
        .iter()
        .any(|t| matches!(t.kind, TargetKind::Mock(_)));
    let per_user = if mock { 2 } else { 1 };
    (users.saturating_mul(per_user).saturating_add(MARGIN), users)
}

/// Makes sure `need` descriptors can be open at once, raising the soft limit if it can.
/// Err: the limit after trying.
// `rlim_t` is `u64` on Linux but not everywhere.
#[allow(clippy::useless_conversion)]
pub(crate) fn ensure(need: u64) -> Result<(), u64> {
    #[cfg(unix)]
    {
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit with a valid pointer to a local.
        if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
            return Ok(());
        }
        let soft = u64::try_from(lim.rlim_cur).unwrap_or(u64::MAX);
        if soft >= need || lim.rlim_cur == libc::RLIM_INFINITY {
            return Ok(());
        }
        if lim.rlim_max > lim.rlim_cur {
            let raised = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            // SAFETY: as above.
            if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &raised) } == 0 {
                let hard = u64::try_from(lim.rlim_max).unwrap_or(u64::MAX);
                if hard >= need || lim.rlim_max == libc::RLIM_INFINITY {
                    return Ok(());
                }
                return Err(hard);
            }
        }
        Err(soft)
    }
    #[cfg(not(unix))]
    {
        let _ = need;
        Ok(())
    }
}
