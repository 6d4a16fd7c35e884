//! Where a sample falls on a test's time line, and which samples `before X`, `during X` and
//! `after X` select.
//!
//! Every sample is kept under a [`Segment`]: the flattened profile stage its iteration started
//! in, and its position relative to the test's `chaos` window. A phase qualifier is then a
//! union of segments:
//!
//! - `during X` (a named stage): the stages named `X` (with `repeat`, all repetitions).
//! - `before X`: stages earlier than the first stage named `X`; `after X`: stages later than
//!   the last one. This is by stage order, so it also holds around an `iterations` stage,
//!   whose length is not known in advance.
//! - `before/during/after chaos`: by time. An attempt is placed by its intended start, an
//!   iteration by its intended start, a dropped arrival by its time.
//!
//! The engine reports the *phase* (named stage) an iteration started in, not the stage
//! index, so the stage is found from the phase and the time: among the stages with that phase
//! (or the unnamed ones), the one whose scheduled span holds the time; failing that the last
//! one that started before it; failing that (times unknown after an `iterations` stage) the
//! first one. Scheduled spans come from the stage durations; an `iterations` stage has no
//! known length, so stages after one have no known span.
//!
//! Times are microseconds since the start of the scenario's run (each scenario of a test runs
//! the profile from its start).

use crate::ast::PhaseKind;
use crate::plan::{PhaseRef, StageKind, Test};

/// Position relative to the test's `chaos` window; `Before` when the test has none.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum ChaosPart {
    Before,
    During,
    After,
}

/// A slice of the time line: a flattened stage × chaos part.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Segment {
    /// Index into `Profile::stages`; `stages.len()` when no stage matched (empty profile).
    pub stage: usize,
    pub chaos: ChaosPart,
}

#[derive(Clone, Debug, PartialEq)]
struct StageSpan {
    phase: Option<usize>,
    /// Scheduled start and end, when every earlier stage has a known length.
    span: Option<(u64, u64)>,
}

/// The stage boundaries and chaos window of one test.
#[derive(Clone, Debug, PartialEq)]
pub struct Timeline {
    stages: Vec<StageSpan>,
    phases: Vec<String>,
    chaos: Option<(u64, u64)>,
}

/// What a phase qualifier selects.
#[derive(Clone, Debug, PartialEq)]
pub enum PhaseSelect {
    Segments(Vec<Segment>),
    /// The qualifier names no stage of this profile (and is not `chaos`).
    Unknown,
}

impl Timeline {
    pub fn new(test: &Test) -> Self {
        let mut at = Some(0u64);
        let stages = test
            .profile
            .stages
            .iter()
            .map(|stage| {
                let length = match &stage.kind {
                    StageKind::Iterations { .. } => None,
                    StageKind::Users { duration, .. }
                    | StageKind::Rate { duration, .. }
                    | StageKind::Pause { duration } => Some(duration.as_micros()),
                };
                let span = match (at, length) {
                    (Some(start), Some(len)) => Some((start, start.saturating_add(len))),
                    _ => None,
                };
                at = span.map(|(_, end)| end);
                StageSpan {
                    phase: stage.phase,
                    span,
                }
            })
            .collect();
        let chaos = test
            .chaos
            .as_ref()
            .map(|c| (c.from.as_micros(), c.to.as_micros()));
        Self {
            stages,
            phases: test.profile.phases.clone(),
            chaos,
        }
    }

    /// The segment of a sample of an iteration that started in `phase`, at `at_us`
    /// (see the module doc for the rule).
    pub fn segment(&self, phase: Option<usize>, at_us: u64) -> Segment {
        Segment {
            stage: self.stage_of(phase, at_us),
            chaos: self.chaos_part(at_us),
        }
    }

    fn stage_of(&self, phase: Option<usize>, at_us: u64) -> usize {
        // Called twice per request: no allocation here.
        let candidates = || (0..self.stages.len()).filter(move |&i| self.stages[i].phase == phase);
        let mut all = candidates();
        let (Some(first), None) = (all.next(), all.next()) else {
            return self.stage_among(candidates, at_us);
        };
        first
    }

    /// The stage among several of the same phase (or none) that `at_us` falls in.
    fn stage_among<I: DoubleEndedIterator<Item = usize>>(
        &self,
        candidates: impl Fn() -> I,
        at_us: u64,
    ) -> usize {
        let span = |i: usize| self.stages[i].span;
        if let Some(i) =
            candidates().find(|&i| span(i).is_some_and(|(s, e)| s <= at_us && at_us < e))
        {
            return i;
        }
        if let Some(i) = candidates()
            .rev()
            .find(|&i| span(i).is_some_and(|(s, _)| s <= at_us))
        {
            return i;
        }
        candidates().next().unwrap_or(self.stages.len())
    }

    fn chaos_part(&self, at_us: u64) -> ChaosPart {
        match self.chaos {
            Some((_, to)) if at_us >= to => ChaosPart::After,
            Some((from, _)) if at_us >= from => ChaosPart::During,
            _ => ChaosPart::Before,
        }
    }

    /// The segment of a sample placed by time alone (a service sample): the stage whose
    /// scheduled span holds `at_us`, else the last one that started before it.
    pub fn segment_at(&self, at_us: u64) -> Segment {
        let all = || 0..self.stages.len();
        Segment {
            stage: self.stage_among(all, at_us),
            chaos: self.chaos_part(at_us),
        }
    }

    /// The scheduled span of the first stage named `name`, when it is known.
    pub fn phase_span(&self, name: &str) -> Option<(u64, u64)> {
        let p = self.phases.iter().position(|n| n == name)?;
        self.stages.iter().find(|s| s.phase == Some(p))?.span
    }

    /// The scheduled time the segments `keep` selects cover, within the run's first `run_us`
    /// µs: each selected stage's span, cut to its chaos part (before, during or after the
    /// window). `None` when a selected stage has no known span (after an `iterations` stage)
    /// or nothing is selected.
    pub fn scheduled_us(&self, keep: &impl Fn(Segment) -> bool, run_us: u64) -> Option<u64> {
        let parts = [ChaosPart::Before, ChaosPart::During, ChaosPart::After];
        let mut total = 0u64;
        let mut any = false;
        for (stage, st) in self.stages.iter().enumerate() {
            for chaos in parts {
                if !keep(Segment { stage, chaos }) {
                    continue;
                }
                let (start, end) = st.span?;
                let (lo, hi) = match (self.chaos, chaos) {
                    (None, ChaosPart::Before) => (0, u64::MAX),
                    (None, _) => (0, 0),
                    (Some((from, _)), ChaosPart::Before) => (0, from),
                    (Some((from, to)), ChaosPart::During) => (from, to),
                    (Some((_, to)), ChaosPart::After) => (to, u64::MAX),
                };
                let lo = start.max(lo);
                let hi = end.min(hi).min(run_us);
                total = total.saturating_add(hi.saturating_sub(lo));
                any = true;
            }
        }
        any.then_some(total)
    }

    /// Every segment a sample can fall in.
    pub fn all_segments(&self) -> impl Iterator<Item = Segment> + '_ {
        let parts = [ChaosPart::Before, ChaosPart::During, ChaosPart::After];
        (0..=self.stages.len())
            .flat_map(move |stage| parts.into_iter().map(move |chaos| Segment { stage, chaos }))
    }

    /// Whether a segment is selected by a phase qualifier; `None` when the qualifier names
    /// nothing in this test.
    pub fn selects(&self, phase: &PhaseRef, seg: Segment) -> Option<bool> {
        if phase.name == "chaos" && self.chaos.is_some() {
            let want = match phase.when {
                PhaseKind::Before => ChaosPart::Before,
                PhaseKind::During => ChaosPart::During,
                PhaseKind::After => ChaosPart::After,
            };
            return Some(seg.chaos == want);
        }
        let p = self.phases.iter().position(|n| *n == phase.name)?;
        let named: Vec<usize> = (0..self.stages.len())
            .filter(|&i| self.stages[i].phase == Some(p))
            .collect();
        let (first, last) = (*named.first()?, *named.last()?);
        if seg.stage >= self.stages.len() {
            return Some(false);
        }
        Some(match phase.when {
            PhaseKind::Before => seg.stage < first,
            PhaseKind::During => self.stages[seg.stage].phase == Some(p),
            PhaseKind::After => seg.stage > last,
        })
    }

    /// The segments a phase qualifier selects.
    pub fn select(&self, phase: &PhaseRef) -> PhaseSelect {
        let mut out = Vec::new();
        for seg in self.all_segments() {
            match self.selects(phase, seg) {
                None => return PhaseSelect::Unknown,
                Some(true) => out.push(seg),
                Some(false) => {}
            }
        }
        PhaseSelect::Segments(out)
    }

    /// Which times (µs on a scenario's clock) a phase qualifier and an `in every` window keep;
    /// `None` when the qualifier names no stage of this profile.
    pub fn keeper<'a>(
        &'a self,
        phase: Option<&PhaseRef>,
        window: Option<(u64, u64)>,
    ) -> Option<impl Fn(u64) -> bool + 'a> {
        let segments = match phase.map(|p| self.select(p)) {
            None => None,
            Some(PhaseSelect::Segments(s)) => Some(s),
            Some(PhaseSelect::Unknown) => return None,
        };
        Some(move |at_us: u64| {
            window.is_none_or(|(a, b)| a <= at_us && at_us < b)
                && segments
                    .as_ref()
                    .is_none_or(|list| list.contains(&self.segment_at(at_us)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Profile, Stage};
    use crate::units::Duration;

    fn hold(secs: u64, phase: Option<usize>) -> Stage {
        let duration = Duration::from_millis(secs * 1000);
        Stage {
            kind: StageKind::Users {
                from: 1,
                to: 1,
                duration,
            },
            phase,
            limit: None,
        }
    }

    pub(crate) fn test_with(stages: Vec<Stage>, phases: &[&str]) -> Test {
        Test {
            name: "t".into(),
            workload: 0,
            profile: Profile {
                stages,
                phases: phases.iter().map(|s| s.to_string()).collect(),
            },
            scenarios: vec![],
            inject: crate::plan::Inject::Client,
            seed: None,
            services: vec![],
            chaos: None,
            slos: vec![],
            aborts: vec![],
        }
    }

    fn phase(when: PhaseKind, name: &str) -> PhaseRef {
        PhaseRef {
            when,
            name: name.into(),
        }
    }

    #[test]
    fn stages_are_found_by_phase_and_time() {
        // hold 5s as overload, pause 2s, hold 5s as calm, repeat: overload again
        let test = test_with(
            vec![
                hold(5, Some(0)),
                hold(2, None),
                hold(5, Some(1)),
                hold(5, Some(0)),
            ],
            &["overload", "calm"],
        );
        let t = Timeline::new(&test);
        assert_eq!(t.segment(Some(0), 1_000_000).stage, 0);
        assert_eq!(t.segment(Some(0), 13_000_000).stage, 3);
        // an iteration that started in stage 0 and whose request ran into stage 1
        assert_eq!(t.segment(Some(0), 6_000_000).stage, 0);
        assert_eq!(t.segment(None, 9_000_000).stage, 1);
        assert_eq!(t.segment(Some(1), 0).stage, 2);
        let seg = |stage| Segment {
            stage,
            chaos: ChaosPart::Before,
        };
        assert_eq!(
            t.selects(&phase(PhaseKind::During, "overload"), seg(3)),
            Some(true)
        );
        assert_eq!(
            t.selects(&phase(PhaseKind::Before, "calm"), seg(1)),
            Some(true)
        );
        assert_eq!(
            t.selects(&phase(PhaseKind::After, "calm"), seg(3)),
            Some(true)
        );
        assert_eq!(
            t.selects(&phase(PhaseKind::After, "overload"), seg(2)),
            Some(false)
        );
        assert_eq!(
            t.select(&phase(PhaseKind::During, "nope")),
            PhaseSelect::Unknown
        );
    }

    #[test]
    fn chaos_splits_by_time() {
        let mut test = test_with(vec![hold(60, None)], &[]);
        test.chaos = Some(crate::plan::Chaos {
            from: Duration::from_millis(10_000),
            to: Duration::from_millis(20_000),
            scenarios: vec![],
            start: vec![],
            stop: vec![],
            at_proxy: None,
        });
        let t = Timeline::new(&test);
        assert_eq!(t.segment(None, 9_999_999).chaos, ChaosPart::Before);
        assert_eq!(t.segment(None, 10_000_000).chaos, ChaosPart::During);
        assert_eq!(t.segment(None, 20_000_000).chaos, ChaosPart::After);
        let during = phase(PhaseKind::During, "chaos");
        assert_eq!(t.selects(&during, t.segment(None, 15_000_000)), Some(true));
    }
}
