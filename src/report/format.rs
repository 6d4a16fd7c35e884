//! The one set of value formatters ("cells") the three report renderers share: the text
//! report ([`super::text`]), the Markdown report ([`super::markdown`]) and the HTML page
//! (`crate::artifacts::html`). Quantities arrive in base units (µs, percent 0–100, per
//! second, dollars) and leave in the user's units through `crate::units`.
//!
//! The renderers differ only in two glyphs: what an absent value shows (`-` in plain text,
//! `–` on the page) and the multiplication sign of a ratio (`x` / `×`). A [`Cells`] carries
//! those two; everything else is the same code. No escaping here: each renderer escapes for
//! its own output.

use crate::metrics::format_value;
use crate::slo::SloResult;
use crate::units::{Duration, Money, Percent, Rate, trim};

use super::{CaptureSummary, Count, Timing, TimingKind};

/// Formatters for optional values, with the renderer's two glyphs.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cells {
    /// Shown for an absent value.
    pub(crate) missing: &'static str,
    /// Follows a ratio: `1.50x`.
    pub(crate) times: &'static str,
}

/// Plain text and Markdown: ASCII glyphs.
pub(crate) const PLAIN: Cells = Cells {
    missing: "-",
    times: "x",
};

/// The HTML page: typographic glyphs.
pub(crate) const TYPESET: Cells = Cells {
    missing: "–",
    times: "×",
};

impl Cells {
    fn or_missing<T>(&self, v: Option<T>, show: impl FnOnce(T) -> String) -> String {
        v.map_or_else(|| self.missing.to_string(), show)
    }

    /// A duration in µs, in the user's units.
    pub(crate) fn dur(&self, us: Option<u64>) -> String {
        self.or_missing(us, dur)
    }

    /// A percentage (0–100).
    pub(crate) fn pct(&self, v: Option<f64>) -> String {
        self.or_missing(v, |v| Percent(v).to_string())
    }

    /// A plain number, at most two decimals.
    pub(crate) fn num(&self, v: Option<f64>) -> String {
        self.or_missing(v, |v| trim(v, 2))
    }

    /// Dollars.
    pub(crate) fn money(&self, v: Option<f64>) -> String {
        self.or_missing(v, |v| Money(v).to_string())
    }

    /// Per second.
    pub(crate) fn rate(&self, v: Option<f64>) -> String {
        self.or_missing(v, |v| Rate(v).to_string())
    }

    /// A ratio with two decimals: `1.50x`.
    pub(crate) fn ratio(&self, v: Option<f64>) -> String {
        self.or_missing(v, |v| format!("{v:.2}{}", self.times))
    }
}

/// A duration in µs, in the user's units: `250ms`, `1.5s`.
pub(crate) fn dur(us: u64) -> String {
    Duration(us).to_string()
}

/// `""` for one, `"s"` otherwise.
pub(crate) fn plural(n: u64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// What a timing row measures: `latency`, `service time`, `duration` (of an iteration) or
/// `step time`.
pub(crate) fn measure(t: &Timing) -> &'static str {
    match (t.kind, &t.step) {
        (TimingKind::Latency, _) => "latency",
        (TimingKind::Service, _) => "service time",
        (TimingKind::Duration, None) => "duration",
        (TimingKind::Duration, Some(_)) => "step time",
    }
}

/// The step a timing row belongs to; `iteration` for the whole iteration.
pub(crate) fn step_name(t: &Timing) -> &str {
    t.step.as_deref().unwrap_or("iteration")
}

/// The header of a timing table; [`timing_row`] gives its rows.
pub(crate) const TIMING_HEADER: [&str; 10] = [
    "step", "measure", "count", "min", "mean", "p50", "p90", "p95", "p99", "max",
];

/// A timing's values in µs: min, mean, p50, p90, p95, p99, max.
pub(crate) fn percentiles_us(t: &Timing) -> [u64; 7] {
    [
        t.min_us, t.mean_us, t.p50_us, t.p90_us, t.p95_us, t.p99_us, t.max_us,
    ]
}

/// The cells of a timing row under [`TIMING_HEADER`]; `step` shows the step's name (as
/// inline code, in Markdown).
pub(crate) fn timing_row(t: &Timing, step: impl Fn(&str) -> String) -> Vec<String> {
    let mut row = vec![step(step_name(t)), measure(t).into(), t.count.to_string()];
    row.extend(percentiles_us(t).map(dur));
    row
}

/// A timing row of [`collapsed_timing_rows`].
pub(crate) struct CollapsedRow {
    /// Under [`TIMING_HEADER`]; the measure cell names every member:
    /// `latency = service time = step time`.
    pub cells: Vec<String>,
    /// The measure of the group's first timing (`latency`).
    pub first_measure: &'static str,
    /// More than one timing had these numbers.
    pub merged: bool,
}

/// Timing rows with identical numbers folded into one (a one-request step has the same
/// latency, service time and step time): each row is the first timing of its group and the
/// measure cell names every member; a member of another step is named with its step
/// (`iteration duration`).
pub(crate) fn collapsed_timing_rows(
    timings: &[Timing],
    step: impl Fn(&str) -> String,
) -> Vec<CollapsedRow> {
    let mut groups: Vec<(&Timing, Vec<&Timing>)> = Vec::new();
    for t in timings {
        let same = |g: &Timing| g.count == t.count && percentiles_us(g) == percentiles_us(t);
        match groups.iter_mut().find(|(first, _)| same(first)) {
            Some((_, members)) => members.push(t),
            None => groups.push((t, vec![t])),
        }
    }
    groups
        .into_iter()
        .map(|(first, members)| {
            let mut cells = timing_row(first, &step);
            cells[1] = members
                .iter()
                .map(|m| {
                    if m.step == first.step {
                        measure(m).to_string()
                    } else {
                        format!("{} {}", step_name(m), measure(m))
                    }
                })
                .collect::<Vec<_>>()
                .join(" = ");
            CollapsedRow {
                cells,
                first_measure: measure(first),
                merged: members.len() > 1,
            }
        })
        .collect()
}

/// The iteration's duration among a scenario's timings (the row `p95 iteration` reads).
pub(crate) fn iteration_timing(timings: &[Timing]) -> Option<&Timing> {
    timings
        .iter()
        .find(|t| t.kind == TimingKind::Duration && t.step.is_none())
}

/// `429: 12 (30%)`, or `429: 12` when the count has no share; `name` is shown as given
/// (already escaped by the caller when its output needs it).
pub(crate) fn count_item(name: &str, c: &Count) -> String {
    match c.pct {
        Some(p) => format!("{name}: {} ({})", c.count, Percent(p)),
        None => format!("{name}: {}", c.count),
    }
}

/// The values of a capture, with `sep` between the parts: `count 20 · p50 3 · p95 7 · max 9`
/// or `true 4 of 20 (20%)`.
pub(crate) fn capture_values(c: &CaptureSummary, sep: &str) -> String {
    match c {
        CaptureSummary::Number {
            count,
            p50,
            p95,
            max,
            ..
        } => format!(
            "count {count}{sep}p50 {}{sep}p95 {}{sep}max {}",
            c.show(*p50),
            c.show(*p95),
            c.show(*max)
        ),
        CaptureSummary::Flag {
            true_count,
            total,
            true_pct,
            ..
        } => format!("true {true_count} of {total} ({})", Percent(*true_pct)),
    }
}

/// The name of a capture.
pub(crate) fn capture_name(c: &CaptureSummary) -> &str {
    match c {
        CaptureSummary::Number { name, .. } | CaptureSummary::Flag { name, .. } => name,
    }
}

/// `worst window from 10s: 612ms` for an SLO checked in windows, in the SLO's unit.
pub(crate) fn worst_window(r: &SloResult) -> Option<String> {
    r.worst_window.map(|(start, value)| {
        format!(
            "worst window from {}: {}",
            dur(start),
            format_value(value, r.unit)
        )
    })
}

/// `p95(latency) < 500ms`'s right side: `< 500ms`.
pub(crate) fn bound(r: &SloResult) -> String {
    format!("{} {}", r.op.symbol(), r.rhs_display)
}

/// `PASSED` or `FAILED`.
pub(crate) fn verdict_word(passed: bool) -> &'static str {
    if passed { "PASSED" } else { "FAILED" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_values_and_ratios_use_the_renderers_glyphs() {
        assert_eq!(PLAIN.pct(None), "-");
        assert_eq!(TYPESET.pct(None), "–");
        assert_eq!(PLAIN.ratio(Some(1.5)), "1.50x");
        assert_eq!(TYPESET.ratio(Some(1.5)), "1.50×");
        assert_eq!(PLAIN.dur(Some(250_000)), "250ms");
        assert_eq!(PLAIN.num(Some(1.256)), "1.26");
    }
}
