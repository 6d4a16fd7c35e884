//! Runs a profile's stages in order for one scenario: the one loop behind every load shape.
//!
//! - `users N, iterations M`: N VU tasks, each running exactly M iterations; the stage ends
//!   when all have finished.
//! - `hold`/`ramp … users`: VU tasks follow a target count over time (`schedule::closed_targets`);
//!   a VU above the target waits, and at the stage's end every VU stops *after* finishing the
//!   iteration it is in (a stage ending mid-iteration never cuts a request; that iteration
//!   keeps the phase it started in). The next stage starts on time regardless.
//! - `rate`: iterations start at intended instants (`schedule::Pacer`), at most `max users` in
//!   flight; an arrival that finds none free is reported as dropped, never skipped silently.
//! - `pause`: nothing starts.
//! - `limit R`: a token bucket on the stage's iteration starts.
//!
//! VU state (`eval::Env`: `set` variables, RNG) lives in a [`VuStore`] for the whole
//! scenario, so VU `u` keeps its variables from one stage to the next. Cancellation stops new
//! starts at once and drops in-flight iterations (see `worker::iteration`).
//!
//! On a shard (`--shard I/N`, see `shard.rs`) the same loop runs the shard's part: the VUs
//! `u` with `u mod N = I` (indexes stay global), every N-th arrival of the test's `rate`
//! stages, `max users` and `limit` split so that the shards' parts add up to the whole.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, sleep_until};
use tokio_util::sync::CancellationToken;

use crate::eval::Env;
use crate::plan::StageKind;

use super::pacing::Pacing;
use super::schedule::{Limiter, Pacer, arrivals, closed_targets};
use super::{Ctx, LATE_START_US, LiveUser, RunError, Shard, worker};

/// Runs every stage, then waits for in-flight iterations.
pub(crate) async fn run_profile(ctx: Arc<Ctx>, cancel: CancellationToken) -> Result<(), RunError> {
    let shard = ctx.shard;
    let store = Arc::new(VuStore::new(shard));
    let mut tasks = JoinSet::new();
    let mut panics = Vec::new();
    let mut stage_start = ctx.t0;
    // Open-model arrivals of the earlier `rate` stages (all shards), to stripe the next.
    let mut arrivals_before = 0u64;
    for stage in &ctx.profile().stages {
        if cancel.is_cancelled() {
            break;
        }
        while let Some(joined) = tasks.try_join_next() {
            note(joined, &mut panics);
        }
        // Slots at or after a timed stage's end are refused (the stage lasts what it says).
        let deadline = match &stage.kind {
            StageKind::Users { duration, .. } | StageKind::Rate { duration, .. } => {
                Some(stage_start + duration.to_std())
            }
            StageKind::Iterations { .. } | StageKind::Pause { .. } => None,
        };
        let limiter = stage
            .limit
            .and_then(|r| Limiter::new(shard.rate(r), deadline))
            .map(Arc::new);
        let phase = stage.phase;
        match &stage.kind {
            StageKind::Iterations { users, iterations } => {
                let mut group = JoinSet::new();
                for user in (0..*users).filter(|u| shard.owns(u64::from(*u))) {
                    let vu = FixedVu {
                        user,
                        iterations: *iterations,
                    };
                    group.spawn(vu.run(
                        ctx.clone(),
                        store.clone(),
                        phase,
                        limiter.clone(),
                        cancel.clone(),
                    ));
                }
                while let Some(joined) = group.join_next().await {
                    note(joined, &mut panics);
                }
                stage_start = Instant::now();
            }
            StageKind::Users { from, to, duration } => {
                let end = stage_start + duration.to_std();
                let (control, watcher) = watch::channel(Control {
                    target: *from,
                    stop: false,
                });
                let mut spawned = 0;
                for (offset, target) in closed_targets(*from, *to, *duration) {
                    if !sleep_or_cancel(
                        stage_start + std::time::Duration::from_micros(offset),
                        &cancel,
                    )
                    .await
                    {
                        break;
                    }
                    control.send_replace(Control {
                        target,
                        stop: false,
                    });
                    while spawned < target {
                        if shard.owns(u64::from(spawned)) {
                            let vu = ClosedVu {
                                user: spawned,
                                control: watcher.clone(),
                            };
                            tasks.spawn(vu.run(
                                ctx.clone(),
                                store.clone(),
                                phase,
                                limiter.clone(),
                                cancel.clone(),
                            ));
                        }
                        spawned += 1;
                    }
                }
                sleep_or_cancel(end, &cancel).await;
                control.send_replace(Control {
                    target: 0,
                    stop: true,
                });
                stage_start = end;
            }
            StageKind::Rate {
                from,
                to,
                duration,
                max_users,
            } => {
                let end = stage_start + duration.to_std();
                let permits = Arc::new(Semaphore::new(shard.share_u32(*max_users) as usize));
                let schedule = arrivals(*from, *to, *duration);
                let total = schedule.total();
                let mine = schedule.striped(
                    arrivals_before,
                    u64::from(shard.index),
                    u64::from(shard.count),
                );
                arrivals_before = arrivals_before.saturating_add(total);
                let mut pacer = Pacer::new(stage_start, mine);
                loop {
                    let at = tokio::select! {
                        biased;
                        _ = cancel.cancelled() => break,
                        at = pacer.next() => match at {
                            Some(at) => at,
                            None => break,
                        },
                    };
                    if let Some(limiter) = &limiter {
                        // An arrival whose token falls at or after the stage's end is not
                        // started (the limiter refuses it): the stage lasts what it says.
                        tokio::select! {
                            biased;
                            _ = cancel.cancelled() => break,
                            started = limiter.acquire() => if !started { break },
                        }
                    }
                    match permits.clone().try_acquire_owned() {
                        Ok(permit) => {
                            let arrival = Arrival { at, permit };
                            tasks.spawn(arrival.run(
                                ctx.clone(),
                                store.clone(),
                                phase,
                                cancel.clone(),
                            ));
                        }
                        Err(_) => ctx.dropped(phase, at),
                    }
                    while let Some(joined) = tasks.try_join_next() {
                        note(joined, &mut panics);
                    }
                }
                sleep_or_cancel(end, &cancel).await;
                stage_start = end;
            }
            StageKind::Pause { duration } => {
                let end = stage_start + duration.to_std();
                sleep_or_cancel(end, &cancel).await;
                stage_start = end;
            }
        }
    }
    while let Some(joined) = tasks.join_next().await {
        note(joined, &mut panics);
    }
    match panics.first() {
        None => Ok(()),
        Some(first) => Err(RunError::Internal {
            reason: format!("{} VU task(s) panicked: {first}", panics.len()),
        }),
    }
}

fn note(joined: Result<(), tokio::task::JoinError>, panics: &mut Vec<String>) {
    if let Err(e) = joined {
        if e.is_panic() {
            panics.push(e.to_string());
        }
    }
}

/// Sleeps until `at`; false when cancelled first.
async fn sleep_or_cancel(at: Instant, cancel: &CancellationToken) -> bool {
    tokio::select! {
        biased;
        _ = cancel.cancelled() => false,
        _ = sleep_until(at) => true,
    }
}

/// The target VU count of a closed stage, and whether the stage is over.
#[derive(Clone, Copy, Debug)]
struct Control {
    target: u32,
    stop: bool,
}

impl Control {
    /// Whether VU `user` runs now.
    fn active(&self, user: u32) -> bool {
        !self.stop && user < self.target
    }
}

/// A VU of `users N, iterations M`.
struct FixedVu {
    user: u32,
    iterations: u64,
}

impl FixedVu {
    async fn run(
        self,
        ctx: Arc<Ctx>,
        store: Arc<VuStore>,
        phase: Option<usize>,
        limiter: Option<Arc<Limiter>>,
        cancel: CancellationToken,
    ) {
        // Cancellation drops the whole loop, mid-iteration included (the state is not put
        // back: the scenario is over). The same for `ClosedVu`.
        let work = async {
            let mut env = store.take(&ctx, self.user).await;
            let _live = LiveUser::new(&ctx);
            let mut pacing = Pacing::default();
            for _ in 0..self.iterations {
                // An `iterations` stage has no end to refuse a slot at.
                wait_limit(limiter.as_deref()).await;
                let ended = worker::iteration(&ctx, &mut env, phase, None).await;
                tokio::time::sleep(pacing.after(&ended)).await;
            }
            store.put(env);
        };
        cancel.run_until_cancelled(work).await;
    }
}

/// A VU of a `hold`/`ramp` stage.
struct ClosedVu {
    user: u32,
    control: watch::Receiver<Control>,
}

impl ClosedVu {
    async fn run(
        mut self,
        ctx: Arc<Ctx>,
        store: Arc<VuStore>,
        phase: Option<usize>,
        limiter: Option<Arc<Limiter>>,
        cancel: CancellationToken,
    ) {
        let user = self.user;
        let work = async {
            let mut env = store.take(&ctx, user).await;
            let mut pacing = Pacing::default();
            let mut live = None;
            loop {
                if !self.control.borrow().active(user) {
                    live = None;
                }
                let active = self
                    .control
                    .wait_for(|c| c.stop || user < c.target)
                    .await
                    .is_ok_and(|c| !c.stop);
                if !active {
                    break;
                }
                live.get_or_insert_with(|| LiveUser::new(&ctx));
                // A VU waiting for a `limit` token stops when its stage ends, as an idle one
                // does: the stage lasts what it says. One whose slot would fall at or after the
                // end stays (idle, counted active) until the end.
                match until_stop(&mut self.control, wait_limit(limiter.as_deref())).await {
                    None => break,
                    Some(false) => {
                        let _ = self.control.wait_for(|c| c.stop).await;
                        break;
                    }
                    Some(true) => {}
                }
                let ended = worker::iteration(&ctx, &mut env, phase, None).await;
                let pause = tokio::time::sleep(pacing.after(&ended));
                if until_stop(&mut self.control, pause).await.is_none() {
                    break;
                }
            }
            store.put(env);
        };
        cancel.run_until_cancelled(work).await;
    }
}

/// Runs `work` unless the stage ends first (`None`).
async fn until_stop<F: std::future::Future>(
    control: &mut watch::Receiver<Control>,
    work: F,
) -> Option<F::Output> {
    tokio::select! {
        biased;
        _ = control.wait_for(|c| c.stop) => None,
        out = work => Some(out),
    }
}

/// Waits for a `limit` slot.
/// Waits for a `limit` slot: `false` when the stage ends before it.
async fn wait_limit(limiter: Option<&Limiter>) -> bool {
    match limiter {
        Some(limiter) => limiter.acquire().await,
        None => true,
    }
}

/// One open-model iteration, holding one of the stage's `max users` permits.
struct Arrival {
    at: Instant,
    permit: OwnedSemaphorePermit,
}

impl Arrival {
    async fn run(
        self,
        ctx: Arc<Ctx>,
        store: Arc<VuStore>,
        phase: Option<usize>,
        cancel: CancellationToken,
    ) {
        let mut env = store.take_any(&ctx);
        let _live = LiveUser::new(&ctx);
        let lateness = Instant::now().saturating_duration_since(self.at);
        if lateness.as_micros() > u128::from(LATE_START_US) {
            ctx.counters.late_starts.fetch_add(1, Ordering::Relaxed);
        }
        let iteration = worker::iteration(&ctx, &mut env, phase, Some(self.at));
        if cancel.run_until_cancelled(iteration).await.is_none() {
            return;
        }
        store.put(env);
        drop(self.permit);
    }
}

/// Every VU's state for one scenario run, by the VU's local index on this shard (global index
/// `I + local·N`). A state is either in the store or held by exactly one task.
#[derive(Debug, Default)]
pub(crate) struct VuStore {
    inner: Mutex<Slots>,
    returned: Notify,
    shard: Shard,
}

#[derive(Debug, Default)]
struct Slots {
    slots: Vec<Slot>,
    /// Indices whose slot is `Fresh` or `Idle`.
    free: BTreeSet<u32>,
}

#[derive(Debug)]
enum Slot {
    /// Never used: created on first take.
    Fresh,
    Idle(Box<Env>),
    Busy,
}

impl Slots {
    fn ensure(&mut self, index: u32) {
        while self.slots.len() <= index as usize {
            self.free.insert(self.slots.len() as u32);
            self.slots.push(Slot::Fresh);
        }
    }

    /// Takes local slot `index` if it is not busy.
    fn claim(&mut self, ctx: &Ctx, shard: Shard, index: u32) -> Option<Env> {
        self.ensure(index);
        match std::mem::replace(&mut self.slots[index as usize], Slot::Busy) {
            Slot::Busy => None,
            Slot::Fresh => {
                self.free.remove(&index);
                Some(ctx.new_env(global_user(shard, index)))
            }
            Slot::Idle(env) => {
                self.free.remove(&index);
                Some(*env)
            }
        }
    }
}

/// The global VU index of local slot `index`.
fn global_user(shard: Shard, index: u32) -> u32 {
    u32::try_from(shard.global(u64::from(index))).unwrap_or(u32::MAX)
}

/// The local slot of global VU `user` (one of this shard's).
fn local_slot(shard: Shard, user: u32) -> u32 {
    u32::try_from(shard.local(u64::from(user))).unwrap_or(u32::MAX)
}

impl VuStore {
    pub(crate) fn new(shard: Shard) -> Self {
        VuStore {
            shard,
            ..VuStore::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slots> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Global VU `user`'s state, waiting while another task still holds it (a VU of the
    /// previous stage finishing its last iteration).
    pub(crate) async fn take(&self, ctx: &Ctx, user: u32) -> Env {
        let index = local_slot(self.shard, user);
        loop {
            let returned = self.returned.notified();
            tokio::pin!(returned);
            returned.as_mut().enable();
            if let Some(env) = self.lock().claim(ctx, self.shard, index) {
                return env;
            }
            returned.await;
        }
    }

    /// The free VU with the lowest index, or a new one.
    pub(crate) fn take_any(&self, ctx: &Ctx) -> Env {
        let mut slots = self.lock();
        let index = slots
            .free
            .first()
            .copied()
            .unwrap_or(slots.slots.len() as u32);
        slots
            .claim(ctx, self.shard, index)
            .unwrap_or_else(|| ctx.new_env(global_user(self.shard, index)))
    }

    pub(crate) fn put(&self, env: Env) {
        let index = local_slot(self.shard, env.user);
        {
            let mut slots = self.lock();
            slots.ensure(index);
            slots.slots[index as usize] = Slot::Idle(Box::new(env));
            slots.free.insert(index);
        }
        self.returned.notify_waiters();
    }
}
