//! What is written while the load runs, one attempt at a time, in bounded memory:
//!
//! - [`RequestLog`]: `requests.jsonl`, one line per attempt as it completes (buffered).
//! - [`TestStream`]: per scenario, the attempts of each second of *intended start* gathered
//!   in one histogram per step. A second is finalized once the latest completion seen is
//!   [`GRACE_US`] past its end: each step's histogram is appended to its interval log
//!   (`histograms/<test>/<scenario>/<step>.hlog`), the second becomes a [`SeriesPoint`], and
//!   its histograms are dropped. At most `GRACE_US` + 1 s of histograms are held per step.
//!
//! An attempt whose second was already finalized (its latency exceeded the grace) re-opens
//! that second: it is written as one more interval with the same start (interval-log readers
//! add intervals up), and the point's counts and max are updated; the point's percentiles
//! keep the values computed at finalization.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::Serialize;

use crate::metrics::{Attempt, CaptureValue, Histogram, IntervalLogWriter};
use crate::plan::{Fault, Plan, StageKind};

use super::model::{PhaseSpan, ScenarioSeries, SeriesPoint};
use super::{STRESS_VERSION, path_component, rfc3339_at, rfc3339_us};

/// How long after a second ends its attempts are still awaited before it is finalized.
pub const GRACE_US: u64 = 30_000_000;
const SECOND_US: u64 = 1_000_000;

/// `requests.jsonl`: every request attempt, one JSON object per line.
pub struct RequestLog {
    path: PathBuf,
    out: Option<BufWriter<File>>,
    lines: u64,
    error: Option<String>,
}

/// One line of `requests.jsonl` (docs/artifacts.md documents every field).
#[derive(Serialize)]
struct RequestLine<'a> {
    test: &'a str,
    scenario: &'a str,
    step: &'a str,
    user: u32,
    iteration: u64,
    call: u64,
    attempt: u32,
    phase: Option<&'a str>,
    /// `before`, `during` or `after` the test's `chaos` window (by the intended start); null
    /// without one.
    chaos: Option<&'static str>,
    intended: String,
    sent: String,
    done: String,
    intended_us: u64,
    sent_us: u64,
    done_us: u64,
    latency_us: u64,
    service_us: u64,
    status: Option<u16>,
    error: Option<&'static str>,
    fault: Option<String>,
    rule: Option<&'a str>,
    outcome: &'static str,
    /// The attempt's captures by name (numbers as evaluated, money in dollars; booleans).
    captures: serde_json::Map<String, serde_json::Value>,
}

impl RequestLog {
    /// Creates (or truncates) the file.
    pub fn create(path: &Path) -> Result<Self, String> {
        let file = File::create(path).map_err(|e| format!("`{}`: {e}", path.display()))?;
        Ok(Self {
            path: path.to_path_buf(),
            out: Some(BufWriter::with_capacity(256 * 1024, file)),
            lines: 0,
            error: None,
        })
    }

    fn write(&mut self, line: &RequestLine<'_>) {
        let Some(out) = &mut self.out else { return };
        let result = serde_json::to_writer(&mut *out, line)
            .map_err(std::io::Error::from)
            .and_then(|()| out.write_all(b"\n"));
        match result {
            Ok(()) => self.lines += 1,
            Err(e) => self.fail(&e),
        }
    }

    fn fail(&mut self, e: &dyn std::fmt::Display) {
        if self.error.is_none() {
            self.error = Some(format!("`{}`: {e}", self.path.display()));
        }
        self.out = None;
    }

    /// Writes what is buffered; the first error of the whole log, if any.
    pub fn flush(&mut self) -> Result<(), String> {
        if let Some(out) = &mut self.out {
            if let Err(e) = out.flush() {
                self.fail(&e);
            }
        }
        self.error.clone().map_or(Ok(()), Err)
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }
}

/// The fault of an attempt as in the language's request record: a status as its number,
/// other faults by keyword, `delay` for a delay-only rule.
pub fn fault_text(fault: Option<&Fault>) -> String {
    match fault {
        None => "delay".into(),
        Some(Fault::Status { status, .. }) => status.to_string(),
        Some(Fault::Timeout) => "timeout".into(),
        Some(Fault::ConnectionError) => "connection_error".into(),
        Some(Fault::Reset) => "reset".into(),
        Some(Fault::Hang) => "hang".into(),
        Some(Fault::Truncate) => "truncate".into(),
        Some(Fault::Bandwidth { .. }) => "bandwidth".into(),
        Some(Fault::CloseAfter { .. }) => "close_after".into(),
    }
}

/// An interval log written for one step.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HlogRef {
    pub test: String,
    pub scenario: String,
    pub step: String,
    /// Relative to the output folder, `/`-separated.
    pub path: String,
}

/// The attempts of one second of intended start.
#[derive(Default)]
struct Second {
    requests: u64,
    errors: u64,
    max_us: u64,
    steps: BTreeMap<usize, Histogram>,
    users: u64,
    classes: [u64; 5],
    /// Send − intended start of each attempt.
    lag: Histogram,
}

/// Open seconds of one scenario (see the module doc).
#[derive(Default)]
struct Seconds {
    open: BTreeMap<u64, Second>,
    watermark_us: u64,
}

impl Seconds {
    fn add(&mut self, a: &Attempt) {
        let latency = a.latency_us();
        let s = self.open.entry(a.intended_us / SECOND_US).or_default();
        s.requests += 1;
        s.errors += u64::from(a.failed);
        s.max_us = s.max_us.max(latency);
        s.steps.entry(a.step).or_default().record(latency);
        s.users = s.users.max(u64::from(a.active_users));
        s.classes[super::model::status_class(a.status)] += 1;
        s.lag.record(a.sent_us.saturating_sub(a.intended_us));
        self.watermark_us = self.watermark_us.max(a.done_us);
    }

    /// Seconds ready to finalize, in order (all of them when `all`).
    fn ready(&mut self, all: bool) -> BTreeMap<u64, Second> {
        if all {
            return std::mem::take(&mut self.open);
        }
        let limit = self.watermark_us.saturating_sub(GRACE_US) / SECOND_US;
        if self.open.first_key_value().is_none_or(|(t, _)| *t >= limit) {
            return BTreeMap::new();
        }
        let rest = self.open.split_off(&limit);
        std::mem::replace(&mut self.open, rest)
    }
}

struct ScenarioState {
    start: SystemTime,
    seconds: Seconds,
    points: Vec<SeriesPoint>,
    hlogs: BTreeMap<usize, IntervalLogWriter<BufWriter<File>>>,
    /// Per phase index: first intended start and last end seen (for untimed stages).
    seen: BTreeMap<usize, (u64, u64)>,
    duration_us: Option<u64>,
}

/// Streams one test's attempts to the request log, the interval logs and the series.
pub struct TestStream {
    test: String,
    scenarios: Vec<String>,
    steps: Vec<String>,
    /// Capture names, by the index the engine gives them.
    captures: Vec<String>,
    phases: Vec<String>,
    rules: Vec<Vec<String>>,
    /// (phase, length) per profile stage; `None` length for `users N, iterations M`.
    stages: Vec<(Option<usize>, Option<u64>)>,
    chaos: Option<(u64, u64)>,
    /// `DIR/histograms/<test>` and its path relative to DIR.
    dir: Option<(PathBuf, String)>,
    state: BTreeMap<usize, ScenarioState>,
    order: Vec<usize>,
    hlogs: Vec<HlogRef>,
    /// Per folder (`""`: the test's), the names given: (scenario or step index, name).
    used: BTreeMap<String, Vec<(usize, String)>>,
    error: Option<String>,
}

impl TestStream {
    /// `hist_dir`: the output folder and this test's folder name under `histograms/` (unique
    /// in the run); `None` to keep only the series.
    pub fn new(plan: &Plan, test: usize, hist_dir: Option<(&Path, &str)>) -> Self {
        let t = &plan.tests[test];
        let workload = plan.workloads.get(t.workload);
        Self {
            test: t.name.clone(),
            scenarios: t.scenarios.iter().map(|s| s.name.clone()).collect(),
            steps: workload.map(|w| w.step_names.clone()).unwrap_or_default(),
            captures: workload.map(|w| w.captures.clone()).unwrap_or_default(),
            phases: t.profile.phases.clone(),
            // As the engine numbers them: the scenario's rules, then the chaos window's.
            rules: t
                .scenarios
                .iter()
                .map(|s| {
                    let chaos = t.chaos.iter().flat_map(|c| &c.scenarios);
                    s.rules
                        .iter()
                        .chain(chaos.flat_map(|c| &c.rules))
                        .map(|r| r.label.clone())
                        .collect()
                })
                .collect(),
            stages: t
                .profile
                .stages
                .iter()
                .map(|s| {
                    let len = match &s.kind {
                        StageKind::Iterations { .. } => None,
                        StageKind::Users { duration, .. }
                        | StageKind::Rate { duration, .. }
                        | StageKind::Pause { duration } => Some(duration.as_micros()),
                    };
                    (s.phase, len)
                })
                .collect(),
            chaos: t
                .chaos
                .as_ref()
                .map(|c| (c.from.as_micros(), c.to.as_micros())),
            dir: hist_dir.map(|(out, name)| {
                (
                    out.join("histograms").join(name),
                    format!("histograms/{name}"),
                )
            }),
            state: BTreeMap::new(),
            order: Vec::new(),
            hlogs: Vec::new(),
            used: BTreeMap::new(),
            error: None,
        }
    }

    fn state(&mut self, scenario: usize) -> &mut ScenarioState {
        if !self.state.contains_key(&scenario) {
            self.order.push(scenario);
        }
        self.state.entry(scenario).or_insert_with(|| ScenarioState {
            start: SystemTime::now(),
            seconds: Seconds::default(),
            points: Vec::new(),
            hlogs: BTreeMap::new(),
            seen: BTreeMap::new(),
            duration_us: None,
        })
    }

    /// The scenario's clock starts now.
    pub fn scenario_started(&mut self, scenario: usize) {
        let s = self.state(scenario);
        s.start = SystemTime::now();
    }

    /// One finished attempt: a line in `log`, a sample in its second.
    pub fn attempt(&mut self, a: &Attempt, log: &mut RequestLog) {
        let start = self.state(a.scenario).start;
        fn name(v: &[String], i: usize) -> &str {
            v.get(i).map_or("", String::as_str)
        }
        let rule = a
            .injected
            .as_ref()
            .and_then(|i| self.rules.get(a.scenario).and_then(|r| r.get(i.rule)))
            .map(String::as_str);
        log.write(&RequestLine {
            test: &self.test,
            scenario: name(&self.scenarios, a.scenario),
            step: name(&self.steps, a.step),
            user: a.user,
            iteration: a.iteration,
            call: a.call,
            attempt: a.attempt,
            phase: a.phase.and_then(|p| self.phases.get(p)).map(String::as_str),
            chaos: self.chaos.map(|(from, to)| {
                if a.intended_us < from {
                    "before"
                } else if a.intended_us < to {
                    "during"
                } else {
                    "after"
                }
            }),
            intended: rfc3339_at(start, a.intended_us),
            sent: rfc3339_at(start, a.sent_us),
            done: rfc3339_at(start, a.done_us),
            intended_us: a.intended_us,
            sent_us: a.sent_us,
            done_us: a.done_us,
            latency_us: a.latency_us(),
            service_us: a.service_us(),
            status: a.status,
            error: a.error.map(crate::report::error_name),
            fault: a.injected.as_ref().map(|i| fault_text(i.fault.as_ref())),
            rule,
            outcome: if a.failed { "failed" } else { "ok" },
            captures: a
                .captures
                .iter()
                .filter_map(|(index, value)| {
                    let value = match value {
                        // Whole numbers as JSON integers (`3`, not `3.0`).
                        CaptureValue::Number(n) if n.fract() == 0.0 && n.abs() < 9.0e15 => {
                            serde_json::Value::from(*n as i64)
                        }
                        CaptureValue::Number(n) => serde_json::Number::from_f64(*n)?.into(),
                        CaptureValue::Bool(b) => serde_json::Value::Bool(*b),
                    };
                    Some((self.captures.get(*index)?.clone(), value))
                })
                .collect(),
        });
        let s = self.state(a.scenario);
        if let Some(p) = a.phase {
            let e = s.seen.entry(p).or_insert((a.intended_us, a.done_us));
            *e = (e.0.min(a.intended_us), e.1.max(a.done_us));
        }
        s.seconds.add(a);
        let ready = s.seconds.ready(false);
        self.finalize(a.scenario, ready);
    }

    /// The scenario's run ended: every open second is finalized, the logs flushed.
    pub fn scenario_finished(&mut self, scenario: usize, duration_us: u64) {
        let s = self.state(scenario);
        s.duration_us = Some(duration_us);
        let ready = s.seconds.ready(true);
        self.finalize(scenario, ready);
        let s = self.state(scenario);
        let seconds = duration_us.div_ceil(SECOND_US);
        while (s.points.len() as u64) < seconds {
            let t_s = s.points.len() as u64;
            s.points.push(empty_point(t_s));
        }
        let mut failed = None;
        for log in s.hlogs.values_mut() {
            if let Err(e) = log.flush() {
                failed = Some(e.to_string());
            }
        }
        if let Some(e) = failed {
            self.fail(format!("histograms of test `{}`: {e}", self.test));
        }
    }

    fn fail(&mut self, e: String) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn finalize(&mut self, scenario: usize, ready: BTreeMap<u64, Second>) {
        for (t, second) in ready {
            for (step, h) in &second.steps {
                if let Err(e) = self.interval(scenario, *step, t, h) {
                    self.fail(e);
                }
            }
            let mut all = Histogram::new();
            for h in second.steps.values() {
                all.merge(h);
            }
            let q = |q: f64| all.percentile(q).unwrap_or(0);
            let lag_p99 = second.lag.percentile(0.99).unwrap_or(0);
            let lag_max = second.lag.max().unwrap_or(0);
            let s = self.state(scenario);
            while (s.points.len() as u64) < t {
                let t_s = s.points.len() as u64;
                s.points.push(empty_point(t_s));
            }
            match s.points.get_mut(t as usize) {
                Some(p) => {
                    // A late attempt re-opened this second.
                    if p.requests == 0 {
                        (p.p50_us, p.p90_us, p.p99_us) = (q(0.5), q(0.9), q(0.99));
                    }
                    p.requests += second.requests;
                    p.errors += second.errors;
                    p.max_us = p.max_us.max(second.max_us);
                    p.users = p.users.max(second.users);
                    for (a, b) in p.classes.iter_mut().zip(second.classes) {
                        *a += b;
                    }
                    p.lag_p99_us = p.lag_p99_us.max(lag_p99);
                    p.lag_max_us = p.lag_max_us.max(lag_max);
                }
                None => s.points.push(SeriesPoint {
                    t_s: t,
                    requests: second.requests,
                    errors: second.errors,
                    p50_us: q(0.5),
                    p90_us: q(0.9),
                    p99_us: q(0.99),
                    max_us: second.max_us,
                    users: second.users,
                    classes: second.classes,
                    lag_p99_us: lag_p99,
                    lag_max_us: lag_max,
                }),
            }
        }
    }

    /// Appends one second of one step to its interval log, creating the log on first use.
    fn interval(
        &mut self,
        scenario: usize,
        step: usize,
        t: u64,
        h: &Histogram,
    ) -> Result<(), String> {
        let Some((dir, rel)) = self.dir.clone() else {
            return Ok(());
        };
        if !self.state(scenario).hlogs.contains_key(&step) {
            let scenario_name = self.scenarios.get(scenario).cloned().unwrap_or_default();
            let step_name = self
                .steps
                .get(step)
                .cloned()
                .unwrap_or_else(|| format!("step {step}"));
            let sdir = self.unique("", &path_component(&scenario_name), scenario);
            let file = self.unique(&sdir, &path_component(&step_name), step);
            let folder = dir.join(&sdir);
            let path = folder.join(format!("{file}.hlog"));
            let start = self.state(scenario).start;
            let comments = [
                format!(
                    "stress {STRESS_VERSION}: test \"{}\", scenario \"{scenario_name}\", step \"{step_name}\"",
                    self.test
                ),
                "latency from the intended start in microseconds; one interval per second of intended start, from the scenario's start (BaseTime)".to_string(),
            ];
            let log = std::fs::create_dir_all(&folder)
                .and_then(|()| File::create(&path))
                .and_then(|f| {
                    IntervalLogWriter::begin(
                        BufWriter::new(f),
                        start,
                        &rfc3339_us(start),
                        &comments,
                    )
                })
                .map_err(|e| format!("`{}`: {e}", path.display()))?;
            self.hlogs.push(HlogRef {
                test: self.test.clone(),
                scenario: scenario_name,
                step: step_name,
                path: format!("{rel}/{sdir}/{file}.hlog"),
            });
            self.state(scenario).hlogs.insert(step, log);
        }
        let Some(log) = self.state(scenario).hlogs.get_mut(&step) else {
            return Ok(());
        };
        log.interval(h, Duration::from_secs(t), Duration::from_secs(1), None)
            .map_err(|e| format!("histograms of test `{}`: {e}", self.test))
    }

    /// `name`, or `name-2`, … : a name not yet used in `folder` by another index; the same
    /// index gets the same name back.
    fn unique(&mut self, folder: &str, name: &str, index: usize) -> String {
        let taken = self.used.entry(folder.to_string()).or_default();
        if let Some((_, n)) = taken.iter().find(|(i, _)| *i == index) {
            return n.clone();
        }
        let mut candidate = name.to_string();
        let mut k = 2;
        while taken.iter().any(|(_, n)| *n == candidate) {
            candidate = format!("{name}-{k}");
            k += 1;
        }
        taken.push((index, candidate.clone()));
        candidate
    }

    /// The series of every scenario that ran (in run order), the interval logs written, and
    /// the first write error.
    pub fn finish(mut self) -> (Vec<ScenarioSeries>, Vec<HlogRef>, Option<String>) {
        for s in self.order.clone() {
            if self
                .state
                .get(&s)
                .is_some_and(|st| st.duration_us.is_none())
            {
                // Not finished by the engine (an error stopped it): keep what was measured.
                let end = self.state[&s].seconds.watermark_us;
                self.scenario_finished(s, end);
            }
        }
        let series = self
            .order
            .iter()
            .filter_map(|i| {
                let st = self.state.get(i)?;
                Some(ScenarioSeries {
                    scenario: self.scenarios.get(*i).cloned().unwrap_or_default(),
                    started_at: Some(rfc3339_us(st.start)),
                    points: st.points.clone(),
                    phases: self.spans(st),
                })
            })
            .collect();
        (series, self.hlogs, self.error)
    }

    /// Named stages (from the profile's durations; from the attempts seen for a stage
    /// without one) and the chaos window, clipped to the scenario's run.
    fn spans(&self, st: &ScenarioState) -> Vec<PhaseSpan> {
        let end = st.duration_us.unwrap_or(u64::MAX);
        let mut out: Vec<PhaseSpan> = Vec::new();
        let mut observed = BTreeSet::new();
        let mut at = Some(0u64);
        for (phase, len) in &self.stages {
            let span = at.zip(*len).map(|(s, l)| (s, s.saturating_add(l)));
            at = span.map(|(_, e)| e);
            let Some(p) = *phase else { continue };
            let name = self.phases.get(p).cloned().unwrap_or_default();
            let (start, stop) = match span {
                Some(s) => s,
                None if observed.insert(p) => match st.seen.get(&p) {
                    Some(s) => *s,
                    None => continue,
                },
                None => continue,
            };
            if start >= end {
                continue;
            }
            let stop = stop.min(end);
            match out.last_mut() {
                Some(last) if last.name == name && last.end_us == start => last.end_us = stop,
                _ => out.push(PhaseSpan {
                    name,
                    start_us: start,
                    end_us: stop,
                }),
            }
        }
        if let Some((from, to)) = self.chaos {
            if from < end {
                out.push(PhaseSpan {
                    name: "chaos".into(),
                    start_us: from,
                    end_us: to.min(end),
                });
            }
        }
        out
    }
}

fn empty_point(t_s: u64) -> SeriesPoint {
    SeriesPoint {
        t_s,
        ..SeriesPoint::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::testkit::{MS, S, attempt, hold, plan};

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("stress-stream-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn seconds_become_points_and_interval_logs_in_bounded_memory() {
        let dir = temp_dir("points");
        let p = plan(
            &["baseline"],
            vec![hold(2, Some(0)), hold(100, Some(1))],
            &["warm", "steady"],
        );
        let mut log = RequestLog::create(&dir.join("requests.jsonl")).unwrap();
        let mut stream = TestStream::new(&p, 0, Some((&dir, "t")));
        stream.scenario_started(0);
        let mut max_open = 0;
        // 10 requests per second for 90 s, none in second 5; 10% failed.
        for i in 0..900u64 {
            if i / 10 == 5 {
                continue;
            }
            let mut a = attempt(0, (i % 2) as usize, i * 100 * MS, (i % 10 + 1) * 10 * MS);
            a.failed = i % 10 == 0;
            a.phase = Some(usize::from(i >= 20));
            stream.attempt(&a, &mut log);
            max_open = max_open.max(stream.state[&0].seconds.open.len());
        }
        assert!(max_open <= 32, "{max_open} seconds open");
        // A late attempt for second 3, after second 3 was finalized.
        stream.attempt(&attempt(0, 0, 3 * S + 5 * MS, 70 * S), &mut log);
        stream.scenario_finished(0, 90 * S + 500 * MS);
        log.flush().unwrap();
        assert_eq!(log.lines(), 891);
        let (series, hlogs, error) = stream.finish();
        assert_eq!(error, None);
        let points = &series[0].points;
        assert_eq!(points.len(), 91, "90.5 s of run: 91 seconds");
        assert!(points.iter().enumerate().all(|(i, p)| p.t_s == i as u64));
        assert_eq!(points[5].requests, 0);
        assert_eq!(points[3].requests, 11);
        assert_eq!(points[3].max_us, 70 * S);
        assert_eq!(points[7].errors, 1);
        assert_eq!(points[7].max_us, 100 * MS);
        assert!(points[7].p50_us >= 50 * MS && points[7].p50_us <= 60 * MS);
        assert_eq!(points[90].requests, 0);
        assert_eq!(
            series[0].phases,
            vec![
                PhaseSpan {
                    name: "warm".into(),
                    start_us: 0,
                    end_us: 2 * S
                },
                PhaseSpan {
                    name: "steady".into(),
                    start_us: 2 * S,
                    end_us: 90 * S + 500 * MS
                },
            ]
        );
        // Both steps' logs add up to every attempt, the late one included.
        assert_eq!(hlogs.len(), 2);
        let mut total = 0;
        for h in &hlogs {
            assert_eq!(h.path, format!("histograms/t/baseline/{}.hlog", h.step));
            let bytes = std::fs::read(dir.join(&h.path)).unwrap();
            let intervals = crate::metrics::read_interval_log(&bytes).unwrap().intervals;
            total += intervals.iter().map(|i| i.histogram.count()).sum::<u64>();
        }
        assert_eq!(total, 891);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn points_carry_users_status_classes_and_generator_lag() {
        let dir = temp_dir("classes");
        let p = plan(&["baseline"], vec![hold(3, None)], &[]);
        let mut log = RequestLog::create(&dir.join("requests.jsonl")).unwrap();
        let mut stream = TestStream::new(&p, 0, None);
        stream.scenario_started(0);
        // Second 0: 200, 302, 404, 503, no answer; sent 0, 1, 2, 3, 4 ms late by 1–5 VUs.
        // Second 1: one 201 sent 40 ms late by 2 VUs.
        let statuses = [Some(200), Some(302), Some(404), Some(503), None];
        for (i, status) in statuses.into_iter().enumerate() {
            let i = i as u64;
            let mut a = attempt(0, 0, i * 100 * MS, 10 * MS);
            a.sent_us = a.intended_us + i * MS;
            a.status = status;
            a.active_users = i as u32 + 1;
            stream.attempt(&a, &mut log);
        }
        let mut a = attempt(0, 0, S + 100 * MS, 10 * MS);
        a.sent_us = a.intended_us + 40 * MS;
        a.status = Some(201);
        a.active_users = 2;
        stream.attempt(&a, &mut log);
        stream.scenario_finished(0, 2 * S);
        let (series, _, error) = stream.finish();
        assert_eq!(error, None);
        let points = &series[0].points;
        assert_eq!(points[0].classes, [1, 1, 1, 1, 1]);
        assert_eq!(points[0].users, 5);
        // HdrHistogram, 3 significant digits: 4 ms reads back as 4.001 ms.
        let close = |v: u64, want: u64| v.abs_diff(want) * 1000 <= want;
        assert!(
            close(points[0].lag_p99_us, 4 * MS),
            "{}",
            points[0].lag_p99_us
        );
        assert!(
            close(points[0].lag_max_us, 4 * MS),
            "{}",
            points[0].lag_max_us
        );
        assert_eq!(points[1].classes, [1, 0, 0, 0, 0]);
        assert_eq!(points[1].users, 2);
        assert!(
            close(points[1].lag_max_us, 40 * MS),
            "{}",
            points[1].lag_max_us
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn names_that_clash_after_sanitizing_get_distinct_files() {
        let p = plan(&["a b", "a_b"], vec![], &[]);
        let mut s = TestStream::new(&p, 0, None);
        assert_eq!(s.unique("", "a_b", 0), "a_b");
        assert_eq!(s.unique("", "a_b", 1), "a_b-2");
        assert_eq!(s.unique("", "a_b", 0), "a_b");
        assert_eq!(s.unique("a_b", "x", 0), "x");
        assert_eq!(s.unique("a_b-2", "x", 0), "x");
    }

    #[test]
    fn faults_read_as_in_the_language() {
        assert_eq!(
            fault_text(Some(&Fault::Status {
                status: 429,
                retry_after: None
            })),
            "429"
        );
        assert_eq!(fault_text(Some(&Fault::Timeout)), "timeout");
        assert_eq!(fault_text(None), "delay");
    }
}
