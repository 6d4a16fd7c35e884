//! The scenario comparison as horizontal bars, one row per scenario: p95 iteration time
//! (with the baseline as a dashed reference line) and success rate (on a 0–100% track).

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
    xmax: f64,
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
    let xv = |v: f64| x0 + (v / xmax).clamp(0.0, 1.0) * (x1 - x0);
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
        if xmax > 0.0 { xmax } else { 1.0 },
        false,
        reference,
        "p95 iteration time per scenario",
    )
}

/// Success rate per scenario, on a 0–100% track.
pub(in crate::artifacts::html) fn success_bars(rows: &[ComparisonRow]) -> Markup {
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
    hbars(&bars, 100.0, true, None, "success rate per scenario")
}
