//! The scenario comparison as horizontal bars, one row per scenario: p95 iteration time
//! (with the baseline as a dashed reference line) and success rate (on a track from 0, 50, 90,
//! 99 or 99.9 % to 100 %, whichever resolves the rates).

use maud::{Markup, html};

use crate::report::ComparisonRow;
use crate::report::format::{TYPESET, dur};

use super::{CW, FONT, c, fit_mid, svg, text_w};

struct HBar {
    name: String,
    value: Option<f64>,
    label: String,
    tip: String,
    emph: bool,
}

const BAR_ROW: f64 = 22.0;
const BAR_VALUE_W: f64 = 104.0;

/// Horizontal bars, one row per scenario; `track` draws the rest of the scale behind each
/// bar; `reference` draws a dashed line at a value (the baseline).
fn hbars(
    bars: &[HBar],
    (xmin, xmax): (f64, f64),
    track: bool,
    reference: Option<(f64, &str)>,
    label: &str,
) -> Markup {
    let top = if reference.is_some() { 18.0 } else { 6.0 };
    let height = top + bars.len() as f64 * BAR_ROW + 6.0;
    // Room for the longest name, within limits; longer ones are cut in the middle.
    let label_w = bars
        .iter()
        .map(|b| text_w(&b.name, FONT) + 16.0)
        .fold(64.0, f64::max)
        .min(210.0);
    let (x0, x1) = (label_w, CW - BAR_VALUE_W);
    let xv = |v: f64| x0 + ((v - xmin) / (xmax - xmin)).clamp(0.0, 1.0) * (x1 - x0);
    let rows = html! {
        @for (i, b) in bars.iter().enumerate() {
            @let yr = top + i as f64 * BAR_ROW;
            @let yb = yr + 4.0;
            @let em = if b.emph { " em" } else { "" };
            text class={ "bar-n" (em) } x=(c(x0 - 8.0)) y=(c(yr + 15.0)) text-anchor="end" {
                (fit_mid(&b.name, label_w - 14.0, FONT).unwrap_or_default())
            }
            @if track {
                rect.track x=(c(x0)) y=(c(yb)) width=(c(x1 - x0)) height="14" rx="2" {}
            }
            @if let Some(v) = b.value {
                rect class={ "bar" (em) } x=(c(x0)) y=(c(yb)) width=(c((xv(v) - x0).max(1.0)))
                    height="14" rx="2" {}
            }
            @let end = match b.value {
                Some(_) if track => x1,
                Some(v) => xv(v),
                None => x0,
            };
            text.bar-v x=(c(end + 6.0)) y=(c(yr + 15.0)) { (b.label) }
            rect.hov x="0" y=(c(yr)) width=(c(CW)) height=(c(BAR_ROW)) data-tip=(b.tip) {}
        }
        @if let Some((v, name)) = reference {
            @let x = xv(v);
            line.ref x1=(c(x)) x2=(c(x)) y1=(c(top - 2.0)) y2=(c(height - 4.0)) {}
            text.ref-t x=(c(x)) y="12" text-anchor="middle" { (name) }
        }
    };
    svg(height, label, rows)
}

/// p95 iteration time per scenario, `× baseline` in the labels when there is one.
pub(in crate::artifacts::html) fn time_bars(
    rows: &[ComparisonRow],
    base: Option<&ComparisonRow>,
) -> Markup {
    let xmax = rows
        .iter()
        .filter_map(|r| r.p95_duration_us)
        .max()
        .unwrap_or(0) as f64;
    let is_base = |r: &ComparisonRow| base.is_some_and(|b| b.scenario == r.scenario);
    let bars: Vec<HBar> = rows
        .iter()
        .map(|r| {
            let v = r.p95_duration_us;
            let mut label = v.map_or_else(|| "no data".into(), dur);
            if r.duration_vs_baseline.is_some() && base.is_some() && !is_base(r) {
                label = format!("{label} · {}", TYPESET.ratio(r.duration_vs_baseline));
            }
            HBar {
                name: r.scenario.clone(),
                value: v.map(|v| v as f64),
                tip: format!("{}\np95 iteration time {label}", r.scenario),
                label,
                emph: is_base(r),
            }
        })
        .collect();
    let reference = base
        .and_then(|b| b.p95_duration_us)
        .map(|v| (v as f64, "baseline"));
    hbars(
        &bars,
        (0.0, if xmax > 0.0 { xmax } else { 1.0 }),
        false,
        reference,
        "p95 iteration time per scenario",
    )
}

/// Where the success-rate track starts: the highest of 0, 50, 90, 99, 99.9 % below every
/// rate, so that 97.75 % and 100 % are told apart.
pub(in crate::artifacts::html) fn success_floor(rows: &[ComparisonRow]) -> f64 {
    let lowest = rows
        .iter()
        .filter_map(|r| r.success_rate_pct)
        .fold(100.0, f64::min);
    [99.9, 99.0, 90.0, 50.0]
        .into_iter()
        .find(|f| *f < lowest)
        .unwrap_or(0.0)
}

/// Success rate per scenario, on a track from [`success_floor`] to 100%.
pub(in crate::artifacts::html) fn success_bars(rows: &[ComparisonRow]) -> Markup {
    let floor = success_floor(rows);
    let bars: Vec<HBar> = rows
        .iter()
        .map(|r| {
            let label = TYPESET.pct(r.success_rate_pct);
            HBar {
                name: r.scenario.clone(),
                value: r.success_rate_pct,
                tip: format!("{}\nsuccess rate {label}", r.scenario),
                label,
                emph: r.scenario == "baseline",
            }
        })
        .collect();
    hbars(
        &bars,
        (floor, 100.0),
        true,
        None,
        "success rate per scenario",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(rates: &[f64]) -> Vec<ComparisonRow> {
        rates
            .iter()
            .map(|r| ComparisonRow {
                scenario: format!("s{r}"),
                success_rate_pct: Some(*r),
                p95_retries: None,
                p95_cost: None,
                p95_duration_us: None,
                duration_vs_baseline: None,
                cost_vs_baseline: None,
            })
            .collect()
    }

    #[test]
    fn the_success_track_resolves_the_top_percent() {
        assert_eq!(success_floor(&rows(&[100.0, 97.75])), 90.0);
        assert_eq!(success_floor(&rows(&[100.0, 99.95])), 99.9);
        assert_eq!(success_floor(&rows(&[100.0, 99.5])), 99.0);
        assert_eq!(success_floor(&rows(&[100.0])), 99.9);
        assert_eq!(success_floor(&rows(&[70.0, 100.0])), 50.0);
        assert_eq!(success_floor(&rows(&[20.0])), 0.0);
    }
}
