//! `report.html`: one self-contained page for all tests of a run. Inline CSS, a few lines of
//! inline JS for hover tooltips, and charts drawn here as inline SVG: nothing is loaded from
//! the network, and every piece of user text (test, scenario, step and stage names, SLO
//! text, file names) goes through [`esc`].
//!
//! Per test, top to bottom:
//! - a header: PASSED/FAILED badge, test name, file, seed, run length, SLO tally;
//! - the SLO table (✓/✗, scenario, assertion, measured, bound, `file:line`);
//! - the scenario comparison: table, then bars of p95 iteration time (× baseline) and
//!   success rate;
//! - one card per scenario: latency percentiles over time and throughput/errors over time
//!   (named stages and the chaos window shaded and labelled, SLO latency bounds drawn), the
//!   latency spectrum per step (p50 … max on a log-ish axis), then the numbers.
//!
//! Charts are drawn in a fixed coordinate box (`viewBox`) and scale with their column; the
//! page is a responsive grid that holds from 800 px up. Colours are CSS variables, so the
//! charts follow the light/dark theme. Output is deterministic: same records, same bytes.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::metrics::format_value;
use crate::plan::Unit;
use crate::report::{
    CaptureSummary, ComparisonRow, Count, Report, ScenarioReport, Timing, TimingKind,
};
use crate::slo::{AssertionKind, SloResult, Status};
use crate::units::{Duration, Money, Percent, Rate, trim};

use super::model::{PhaseSpan, ScenarioSeries, TestRecord};

/// `write!` into a `String`, which cannot fail.
macro_rules! w {
    ($dst:expr, $($arg:tt)*) => {{
        let _ = write!($dst, $($arg)*);
    }};
}

/// One self-contained HTML page for all tests of a run: no network, no CDN, inline CSS and JS
/// (or pure inline SVG).
pub fn render(records: &[crate::artifacts::model::TestRecord]) -> String {
    let mut s = String::with_capacity(128 * 1024);
    let failed = records.iter().filter(|r| !r.report.passed).count();
    let title = match records {
        [one] => format!(
            "{} · {} · stress",
            verdict_word(one.report.passed),
            one.report.test
        ),
        _ => format!("stress: {} tests, {failed} failed", records.len()),
    };
    w!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"generator\" content=\"stress {}\">\n<title>{}</title>\n<style>\n{CSS}</style>\n\
         </head>\n<body>\n",
        env!("CARGO_PKG_VERSION"),
        esc(&title)
    );
    top_bar(&mut s, records);
    s.push_str("<main>\n");
    if records.len() > 1 {
        index(&mut s, records);
    }
    if records.is_empty() {
        s.push_str("<p class=\"card empty\">No test ran.</p>\n");
    }
    for (i, r) in records.iter().enumerate() {
        test_section(&mut s, i, r);
    }
    s.push_str("</main>\n<div id=\"tip\" hidden></div>\n<script>\n");
    s.push_str(JS);
    s.push_str("</script>\n</body>\n</html>\n");
    s
}

// ── text helpers ──────────────────────────────────────────────────────

/// Escapes text for HTML content and (double or single quoted) attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("&#10;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// [`esc`], with a line-break opportunity after `_`, `-`, `.`, `/` and `:` so that long
/// identifiers wrap at their joints in narrow table cells.
fn esc_wbr(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut run = 0;
    for ch in text.chars() {
        let mut buf = [0u8; 4];
        out.push_str(&esc(ch.encode_utf8(&mut buf)));
        run += 1;
        if matches!(ch, '_' | '-' | '.' | '/' | ':') && run > 2 {
            out.push_str("<wbr>");
            run = 0;
        }
    }
    out
}

/// The last component of a path, for narrow `file:line` cells.
fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

fn verdict_word(passed: bool) -> &'static str {
    if passed { "PASSED" } else { "FAILED" }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn dur(us: u64) -> String {
    Duration(us).to_string()
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| Percent(v).to_string())
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| trim(v, 2))
}

fn money(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| Money(v).to_string())
}

fn rate(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| Rate(v).to_string())
}

fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{v:.2}×"))
}

/// A coordinate, one decimal, no trailing `.0`.
fn c(v: f64) -> String {
    let v = if v.is_finite() { v } else { 0.0 };
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

/// Rough width of `text` in SVG units at `size` px (system sans-serif).
fn text_w(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * 0.6
}

/// `text` cut with `…` to fit `max` units, or `None` when not even two characters fit.
fn fit(text: &str, max: f64, size: f64) -> Option<String> {
    if text_w(text, size) <= max {
        return Some(text.to_string());
    }
    let n = (max / (size * 0.6)).floor() as usize;
    if n < 3 {
        return None;
    }
    Some(text.chars().take(n - 1).collect::<String>() + "…")
}

/// `text` cut in the middle with `…` to fit `max` units, keeping its end (where generated
/// names differ: `generated_s…_07`); `None` when not even three characters fit.
fn fit_mid(text: &str, max: f64, size: f64) -> Option<String> {
    if text_w(text, size) <= max {
        return Some(text.to_string());
    }
    let n = (max / (size * 0.6)).floor() as usize;
    if n < 4 {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let tail = (n - 1) / 2;
    let head = n - 1 - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push('…');
    out.extend(&chars[chars.len() - tail..]);
    Some(out)
}

// ── page structure ────────────────────────────────────────────────────

fn top_bar(s: &mut String, records: &[TestRecord]) {
    let n = records.len();
    let failed = records.iter().filter(|r| !r.report.passed).count();
    let passed = n - failed;
    w!(
        s,
        "<header class=\"top\"><span class=\"brand\">stress</span><span class=\"top-sum\">\
         {n} test{}",
        plural(n)
    );
    if failed > 0 {
        w!(s, " · <b class=\"t-fail\">{failed} failed</b>");
    }
    if passed > 0 {
        w!(s, " · <span class=\"t-pass\">{passed} passed</span>");
    }
    s.push_str("</span></header>\n");
}

fn index(s: &mut String, records: &[TestRecord]) {
    s.push_str(
        "<nav class=\"card index\"><h2 class=\"h\">Tests</h2><div class=\"tbl\"><table>\
         <thead><tr><th>verdict</th><th>test</th><th class=\"num\">scenarios</th>\
         <th class=\"num\">SLO checks held</th><th>file</th></tr></thead><tbody>\n",
    );
    for (i, rec) in records.iter().enumerate() {
        let r = &rec.report;
        let held = r.slos.iter().filter(|x| x.status == Status::Pass).count();
        let cls = if r.passed { "pass" } else { "fail" };
        w!(
            s,
            "<tr><td><span class=\"badge sm {cls}\">{}</span></td>\
             <td class=\"wrap\"><a href=\"#t{i}\">{}</a></td><td class=\"num\">{}</td>\
             <td class=\"num\">{held} of {}</td><td class=\"loc\">{}</td></tr>\n",
            verdict_word(r.passed),
            esc(&r.test),
            r.scenarios.len(),
            r.slos.len(),
            esc(&rec.file)
        );
    }
    s.push_str("</tbody></table></div></nav>\n");
}

fn meta(s: &mut String, label: &str, value_html: &str) {
    w!(s, "<div><dt>{label}</dt><dd>{value_html}</dd></div>");
}

fn test_section(s: &mut String, ti: usize, rec: &TestRecord) {
    let r = &rec.report;
    let total = r.slos.len();
    let bad = r.slos.iter().filter(|x| x.status != Status::Pass).count();
    let cls = if r.passed { "pass" } else { "fail" };
    w!(
        s,
        "<section class=\"test\" id=\"t{ti}\">\n<header class=\"card test-head {cls}\">\
         <div class=\"title-row\"><span class=\"badge {cls}\">{}</span><h1>{}</h1></div>\
         <dl class=\"meta\">",
        verdict_word(r.passed),
        esc(&r.test)
    );
    meta(
        s,
        "file",
        &format!("<span class=\"loc\">{}</span>", esc(&rec.file)),
    );
    meta(s, "seed", &r.seed.to_string());
    meta(s, "ran", &dur(r.duration_us));
    meta(s, "scenarios", &r.scenarios.len().to_string());
    let requests: u64 = r.scenarios.iter().map(|x| x.requests.count).sum();
    let failed: u64 = r.scenarios.iter().map(|x| x.requests.failed).sum();
    meta(s, "requests", &requests.to_string());
    let fail_html = if failed > 0 {
        format!("<span class=\"t-fail\">{failed}</span>")
    } else {
        "0".into()
    };
    meta(s, "failed requests", &fail_html);
    let checks = if total == 0 {
        "none".to_string()
    } else if bad == 0 {
        format!("<span class=\"t-pass\">all {total} held</span>")
    } else {
        format!("<span class=\"t-fail\">{bad} of {total} failed</span>")
    };
    meta(s, "SLO checks", &checks);
    s.push_str("</dl>");
    if r.interrupted {
        s.push_str("<p class=\"warn\">Interrupted (Ctrl-C): the numbers cover only what ran.</p>");
    }
    if let Some(m) = &r.merged_from {
        let seeds: Vec<String> = m.seeds.iter().map(u64::to_string).collect();
        w!(
            s,
            "<p class=\"note\">Merged from {} runs (seeds {}).</p>",
            m.runs,
            esc(&seeds.join(", "))
        );
    }
    s.push_str("</header>\n");

    let anchors: BTreeMap<&str, usize> = r
        .scenarios
        .iter()
        .enumerate()
        .map(|(i, sc)| (sc.name.as_str(), i))
        .rev()
        .collect();
    slo_section(s, ti, &rec.file, &r.slos, &anchors);
    comparison_section(s, ti, r, &anchors);

    if !r.scenarios.is_empty() {
        w!(
            s,
            "<h2 class=\"section-h\">Scenarios <span class=\"count\">{}</span></h2>\n",
            r.scenarios.len()
        );
    }
    let many = r.scenarios.len() > 10;
    for (si, sc) in r.scenarios.iter().enumerate() {
        let series = rec.series.iter().find(|x| x.scenario == sc.name);
        let slos: Vec<&SloResult> = r.slos.iter().filter(|x| x.scenario == sc.name).collect();
        let failing = slos.iter().any(|x| x.status != Status::Pass);
        scenario_card(s, ti, si, sc, series, &slos, !many || failing);
    }
    s.push_str("</section>\n");
}

// ── SLOs ──────────────────────────────────────────────────────────────

fn slo_section(
    s: &mut String,
    ti: usize,
    file: &str,
    slos: &[SloResult],
    anchors: &BTreeMap<&str, usize>,
) {
    let bad = slos.iter().filter(|x| x.status != Status::Pass).count();
    s.push_str("<section class=\"card\"><h2 class=\"h\">SLOs ");
    if slos.is_empty() {
        s.push_str("</h2><p class=\"muted\">This test declares no SLO.</p></section>\n");
        return;
    }
    if bad == 0 {
        w!(
            s,
            "<span class=\"count pass\">all {} checks held</span></h2>",
            slos.len()
        );
    } else {
        w!(
            s,
            "<span class=\"count fail\">{bad} of {} checks failed</span></h2>",
            slos.len()
        );
    }
    s.push_str(
        "<div class=\"tbl\"><table class=\"slo\"><thead><tr><th class=\"mark\"></th>\
         <th>assertion</th><th>scenario: measured</th><th>bound</th><th>where</th></tr></thead>\
         <tbody>\n",
    );
    // One row per assertion; an SLO evaluated for every scenario has one result each,
    // shown side by side (✓/✗, scenario, measured) so that 7 scenarios × 8 SLOs stay 8 rows.
    let mut i = 0;
    while i < slos.len() {
        let first = &slos[i];
        let n = slos[i..]
            .iter()
            .take_while(|r| {
                r.kind == first.kind
                    && r.slo == first.slo
                    && r.line == first.line
                    && r.text == first.text
            })
            .count()
            .max(1);
        let group: Vec<&SloResult> = slos[i..i + n].iter().collect();
        slo_row(s, ti, file, &group, anchors);
        i += n;
    }
    s.push_str("</tbody></table></div></section>\n");
}

/// One assertion and its results (one per scenario it was evaluated for).
fn slo_row(
    s: &mut String,
    ti: usize,
    file: &str,
    group: &[&SloResult],
    anchors: &BTreeMap<&str, usize>,
) {
    let first = group[0];
    let failed = group.iter().filter(|r| r.status != Status::Pass).count();
    let (cls, mark, word) = if failed == 0 {
        ("ok", "✓", "held")
    } else {
        ("bad", "✗", "failed")
    };
    w!(
        s,
        "<tr class=\"{cls}\"><td class=\"mark\" title=\"{word}\">{mark}</td><td class=\"assert\">"
    );
    if first.kind == AssertionKind::Abort {
        s.push_str("<span class=\"tag\">abort if</span> ");
    }
    w!(s, "<code>{}</code>", esc(&first.text));
    if let Some(expr) = &first.bound_expr {
        w!(s, "<div class=\"note\">bound: {}</div>", esc(expr));
    }
    if group.len() > 1 && failed > 0 {
        w!(
            s,
            "<div class=\"note t-fail\">failed for {failed} of {} scenarios</div>",
            group.len()
        );
    }
    s.push_str("</td><td class=\"res\">");
    // The bound goes in its own column when it is the same for every scenario (a relative
    // bound differs per scenario: then each result carries its own).
    let same_bound = group
        .iter()
        .all(|r| r.rhs_display == first.rhs_display && r.op == first.op);
    for r in group {
        let ok = r.status == Status::Pass;
        let measured = match r.status {
            Status::NoData => "no data".to_string(),
            Status::NotMeasured => "not measured".to_string(),
            _ => r.lhs_display.clone(),
        };
        let mut tip = format!(
            "{}: {} {} {} {}",
            r.scenario,
            r.metric,
            measured,
            r.op.symbol(),
            r.rhs_display
        );
        if let Some((start, value)) = r.worst_window {
            w!(
                tip,
                "\nworst window from {}: {}",
                dur(start),
                format_value(value, r.unit)
            );
        }
        if let Some(m) = &r.message {
            w!(tip, "\n{m}");
        }
        let href = anchors
            .get(r.scenario.as_str())
            .map(|si| format!(" href=\"#t{ti}-s{si}\""))
            .unwrap_or_default();
        w!(
            s,
            "<a class=\"res-chip {}\"{href} title=\"{}\"><i>{}</i><span class=\"sn\">{}</span> \
             <b>{}</b>",
            if ok { "ok" } else { "bad" },
            esc(&tip),
            if ok { "✓" } else { "✗" },
            esc(&r.scenario),
            esc(&measured)
        );
        if !same_bound {
            w!(
                s,
                " <span class=\"bd\">{} {}</span>",
                esc(r.op.symbol()),
                esc(&r.rhs_display)
            );
        }
        s.push_str("</a>");
    }
    // Why a check failed, under the results: its worst window, or why there was no value.
    for r in group.iter().filter(|r| r.status != Status::Pass) {
        let mut why = Vec::new();
        if let Some((start, value)) = r.worst_window {
            why.push(format!(
                "worst window from {}: {}",
                dur(start),
                format_value(value, r.unit)
            ));
        }
        if let Some(m) = &r.message {
            why.push(m.clone());
        }
        if !why.is_empty() {
            w!(
                s,
                "<div class=\"note why\"><b>{}</b>: {}</div>",
                esc(&r.scenario),
                esc(&why.join("; "))
            );
        }
    }
    s.push_str("</td><td class=\"nowrap\">");
    if same_bound {
        w!(s, "{} {}", esc(first.op.symbol()), esc(&first.rhs_display));
    } else {
        s.push_str("<span class=\"muted\">per scenario</span>");
    }
    w!(
        s,
        "</td><td class=\"loc\" title=\"{}:{}\">{}:{}</td></tr>\n",
        esc(file),
        first.line,
        esc(base_name(file)),
        first.line
    );
}

// ── comparison ────────────────────────────────────────────────────────

fn comparison_section(s: &mut String, ti: usize, r: &Report, anchors: &BTreeMap<&str, usize>) {
    let rows = &r.comparison;
    if rows.is_empty() {
        return;
    }
    let base = rows.iter().find(|x| x.scenario == "baseline");
    let with_base = rows
        .iter()
        .any(|x| x.duration_vs_baseline.is_some() || x.cost_vs_baseline.is_some());
    let with_cost = rows.iter().any(|x| x.p95_cost.is_some());
    s.push_str("<section class=\"card\"><h2 class=\"h\">Scenario comparison");
    if base.is_some() {
        s.push_str(" <span class=\"count\">vs baseline</span>");
    }
    s.push_str(
        "</h2><div class=\"tbl\"><table class=\"cmp\"><thead><tr><th>scenario</th>\
         <th class=\"num\">requests</th><th class=\"num\">errors</th><th class=\"num\">success</th>\
         <th class=\"num\">p95 retries</th>",
    );
    if with_cost {
        s.push_str("<th class=\"num\">p95 cost</th>");
    }
    s.push_str("<th class=\"num\">p95 time</th>");
    if with_base {
        s.push_str("<th class=\"num\">time ÷ baseline</th>");
        if with_cost {
            s.push_str("<th class=\"num\">cost ÷ baseline</th>");
        }
    }
    s.push_str("</tr></thead><tbody>\n");
    for row in rows {
        let sc = r.scenarios.iter().find(|x| x.name == row.scenario);
        let is_base = base.is_some_and(|b| b.scenario == row.scenario);
        w!(
            s,
            "<tr{}><td class=\"wrap\">",
            if is_base { " class=\"base\"" } else { "" }
        );
        match anchors.get(row.scenario.as_str()) {
            Some(si) => w!(s, "<a href=\"#t{ti}-s{si}\">{}</a>", esc_wbr(&row.scenario)),
            None => s.push_str(&esc_wbr(&row.scenario)),
        }
        let (req, err, err_cls) = match sc {
            Some(sc) => (
                sc.requests.count.to_string(),
                pct(sc.requests.error_rate_pct),
                if sc.requests.failed > 0 {
                    " t-fail"
                } else {
                    ""
                },
            ),
            None => ("–".into(), "–".into(), ""),
        };
        let succ_cls = if row.success_rate_pct.is_some_and(|v| v < 100.0) {
            " t-warn"
        } else {
            ""
        };
        w!(
            s,
            "</td><td class=\"num\">{req}</td><td class=\"num{err_cls}\">{err}</td>\
             <td class=\"num{succ_cls}\">{}</td><td class=\"num\">{}</td>",
            pct(row.success_rate_pct),
            num(row.p95_retries)
        );
        if with_cost {
            w!(s, "<td class=\"num\">{}</td>", money(row.p95_cost));
        }
        w!(
            s,
            "<td class=\"num\">{}</td>",
            row.p95_duration_us.map_or_else(|| "–".into(), dur)
        );
        if with_base {
            w!(
                s,
                "<td class=\"num{}\">{}</td>",
                ratio_class(row.duration_vs_baseline),
                ratio(row.duration_vs_baseline)
            );
            if with_cost {
                w!(
                    s,
                    "<td class=\"num{}\">{}</td>",
                    ratio_class(row.cost_vs_baseline),
                    ratio(row.cost_vs_baseline)
                );
            }
        }
        s.push_str("</tr>\n");
    }
    s.push_str("</tbody></table></div><div class=\"grid2\">");
    let time_caption = if base.is_some() {
        "p95 iteration time <span class=\"sub\">× baseline</span>"
    } else {
        "p95 iteration time"
    };
    w!(
        s,
        "<figure class=\"chart\"><figcaption>{time_caption}</figcaption>{}</figure>",
        time_bars(rows, base)
    );
    w!(
        s,
        "<figure class=\"chart\"><figcaption>Success rate <span class=\"sub\">iterations that \
         succeeded</span></figcaption>{}</figure>",
        success_bars(rows)
    );
    s.push_str("</div></section>\n");
}

fn ratio_class(v: Option<f64>) -> &'static str {
    match v {
        Some(v) if v >= 2.0 => " t-fail",
        Some(v) if v > 1.1 => " t-warn",
        _ => "",
    }
}

// ── scenario card ─────────────────────────────────────────────────────

fn scenario_card(
    s: &mut String,
    ti: usize,
    si: usize,
    sc: &ScenarioReport,
    series: Option<&ScenarioSeries>,
    slos: &[&SloResult],
    open: bool,
) {
    let bad = slos.iter().filter(|x| x.status != Status::Pass).count();
    let dot = match (slos.is_empty(), bad) {
        (true, _) => "none",
        (false, 0) => "pass",
        _ => "fail",
    };
    w!(
        s,
        "<details class=\"card scn\" id=\"t{ti}-s{si}\"{}><summary><span class=\"dot {dot}\"></span>\
         <span class=\"scn-name\">{}</span>",
        if open { " open" } else { "" },
        esc(&sc.name)
    );
    if !sc.parts.is_empty() {
        w!(
            s,
            "<span class=\"parts\">= {}</span>",
            esc(&sc.parts.join(" + "))
        );
    }
    s.push_str("<span class=\"pills\">");
    let rq = &sc.requests;
    w!(
        s,
        "<span class=\"pill\">{} request{}</span>",
        rq.count,
        plural(rq.count as usize)
    );
    if rq.count > 0 {
        let cls = if rq.failed > 0 { " bad" } else { "" };
        w!(
            s,
            "<span class=\"pill{cls}\">{} errors</span><span class=\"pill\">{}</span>",
            pct(rq.error_rate_pct),
            rate(rq.throughput_per_s)
        );
    }
    if let Some(t) = sc
        .timings
        .iter()
        .find(|t| t.kind == TimingKind::Duration && t.step.is_none())
    {
        w!(
            s,
            "<span class=\"pill\">p95 iteration {}</span>",
            dur(t.p95_us)
        );
    }
    w!(s, "<span class=\"pill\">ran {}</span>", dur(sc.duration_us));
    if bad > 0 {
        w!(
            s,
            "<span class=\"pill bad strong\">{bad} SLO{} failed</span>",
            plural(bad)
        );
    } else if !slos.is_empty() {
        w!(s, "<span class=\"pill good\">SLOs held</span>");
    }
    s.push_str("</span></summary>\n<div class=\"scn-body\"><div class=\"grid2\">");

    match series {
        Some(series) => {
            let ts = TimeSeries::new(series, sc.duration_us);
            let bounds = latency_bounds(slos);
            latency_figure(s, &ts, &bounds);
            throughput_figure(s, &ts);
        }
        None => s.push_str(
            "<p class=\"muted nodata\">No time series was recorded for this scenario.</p>",
        ),
    }
    spectrum_figure(s, &sc.timings);
    timings_table(s, &sc.timings);
    s.push_str("</div>");
    facts(s, sc);
    s.push_str("</div></details>\n");
}

fn timings_table(s: &mut String, timings: &[Timing]) {
    s.push_str("<div class=\"sub-card\"><h3 class=\"hh\">Latency per step</h3>");
    if timings.is_empty() {
        s.push_str("<p class=\"muted\">No requests.</p></div>");
        return;
    }
    s.push_str(
        "<div class=\"tbl\"><table class=\"timings\"><thead><tr><th>step</th><th>measure</th>\
         <th class=\"num\">count</th><th class=\"num\">p50</th><th class=\"num\">p90</th>\
         <th class=\"num\">p95</th><th class=\"num\">p99</th><th class=\"num\">max</th></tr>\
         </thead><tbody>",
    );
    for t in timings {
        let kind = match (t.kind, &t.step) {
            (TimingKind::Latency, _) => "latency",
            (TimingKind::Service, _) => "service time",
            (TimingKind::Duration, None) => "duration",
            (TimingKind::Duration, Some(_)) => "step time",
        };
        let name = t.step.as_deref().unwrap_or("iteration");
        let cls = if t.kind == TimingKind::Latency {
            " class=\"lat\""
        } else {
            ""
        };
        w!(
            s,
            "<tr{cls}><td class=\"wrap\">{}</td><td>{kind}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(name),
            t.count,
            dur(t.p50_us),
            dur(t.p90_us),
            dur(t.p95_us),
            dur(t.p99_us),
            dur(t.max_us)
        );
    }
    s.push_str(
        "</tbody></table></div><p class=\"foot\">latency: from the intended start (what SLOs \
         read) · service time: from the send</p></div>",
    );
}

fn chips(s: &mut String, counts: &[Count], class_of: impl Fn(&str) -> &'static str) {
    s.push_str("<div class=\"chips\">");
    for c in counts {
        w!(
            s,
            "<span class=\"chip{}\"><b>{}</b> {}",
            class_of(&c.name),
            esc(&c.name),
            c.count
        );
        if let Some(p) = c.pct {
            w!(s, " <i>{}</i>", Percent(p));
        }
        s.push_str("</span>");
    }
    s.push_str("</div>");
}

fn kv(s: &mut String, key: &str, value: &str) {
    w!(s, "<div><dt>{key}</dt><dd>{value}</dd></div>");
}

fn facts(s: &mut String, sc: &ScenarioReport) {
    let r = &sc.requests;
    s.push_str("<div class=\"facts\">");

    s.push_str("<div class=\"sub-card\"><h3 class=\"hh\">Requests</h3><dl class=\"kv\">");
    kv(s, "total", &r.count.to_string());
    let failed = format!("{} ({})", r.failed, pct(r.error_rate_pct));
    kv(
        s,
        "failed",
        &if r.failed > 0 {
            format!("<span class=\"t-fail\">{failed}</span>")
        } else {
            failed
        },
    );
    kv(s, "throughput", &rate(r.throughput_per_s));
    kv(s, "iterations", &sc.iterations.to_string());
    kv(s, "late sends", &r.late.to_string());
    kv(s, "dropped arrivals", &r.dropped.to_string());
    kv(s, "injected faults", &r.injected.to_string());
    s.push_str("</dl>");
    if !r.statuses.is_empty() {
        s.push_str("<h4>status</h4>");
        chips(s, &r.statuses, |name| match name.as_bytes().first() {
            Some(b'2') => " good",
            Some(b'4') => " warn",
            Some(b'5') | Some(b'n') => " bad",
            _ => "",
        });
    }
    if !r.errors.is_empty() {
        s.push_str("<h4>errors</h4>");
        chips(s, &r.errors, |_| " bad");
    }
    s.push_str("</div>");

    if sc.iterations > 0 {
        s.push_str("<div class=\"sub-card\"><h3 class=\"hh\">Iterations</h3>");
        if !sc.outcomes.is_empty() {
            s.push_str("<h4>outcomes</h4>");
            chips(s, &sc.outcomes, |name| {
                if name == "success" { " good" } else { " bad" }
            });
        }
        let rt = &sc.retries;
        s.push_str("<h4>retries per iteration</h4><dl class=\"kv\">");
        kv(s, "p50", &num(rt.p50));
        kv(s, "p95", &num(rt.p95));
        kv(s, "max", &num(rt.max));
        kv(
            s,
            "budget exceeded during retry",
            &format!(
                "{} ({})",
                rt.budget_exceeded_during_retry,
                pct(rt.budget_exceeded_during_retry_pct)
            ),
        );
        s.push_str("</dl>");
        if !rt.by_reason.is_empty() {
            s.push_str("<h4>retries by reason</h4>");
            chips(s, &rt.by_reason, |_| "");
        }
        if let Some(cost) = &sc.cost {
            s.push_str("<h4>cost per iteration</h4><dl class=\"kv\">");
            kv(s, "p50", &Money(cost.p50).to_string());
            kv(s, "p95", &Money(cost.p95).to_string());
            kv(s, "p99", &Money(cost.p99).to_string());
            s.push_str("</dl>");
        }
        s.push_str("</div>");
    }

    if !sc.captures.is_empty() || !sc.faults.is_empty() {
        s.push_str("<div class=\"sub-card\">");
        if !sc.faults.is_empty() {
            s.push_str(
                "<h3 class=\"hh\">Fault rules</h3><div class=\"tbl\"><table><thead><tr>\
                 <th>rule</th><th class=\"num\">fired</th><th class=\"num\">of requests</th>\
                 </tr></thead><tbody>",
            );
            for f in &sc.faults {
                w!(
                    s,
                    "<tr><td class=\"wrap\"><code>{}</code></td><td class=\"num\">{}</td>\
                     <td class=\"num\">{}</td></tr>",
                    esc(&f.name),
                    f.count,
                    pct(f.pct)
                );
            }
            s.push_str("</tbody></table></div>");
        }
        if !sc.captures.is_empty() {
            s.push_str(
                "<h3 class=\"hh\">Captures</h3><div class=\"tbl\"><table><thead><tr>\
                 <th>capture</th><th>summary</th></tr></thead><tbody>",
            );
            for cap in &sc.captures {
                match cap {
                    CaptureSummary::Number {
                        name,
                        count,
                        p50,
                        p95,
                        max,
                        ..
                    } => w!(
                        s,
                        "<tr><td class=\"wrap\">{}</td><td>count {count} · p50 {} · p95 {} · \
                         max {}</td></tr>",
                        esc(name),
                        esc(&cap.show(*p50)),
                        esc(&cap.show(*p95)),
                        esc(&cap.show(*max))
                    ),
                    CaptureSummary::Flag {
                        name,
                        true_count,
                        total,
                        true_pct,
                    } => w!(
                        s,
                        "<tr><td class=\"wrap\">{}</td><td>true {true_count} of {total} ({})</td></tr>",
                        esc(name),
                        Percent(*true_pct)
                    ),
                }
            }
            s.push_str("</tbody></table></div>");
        }
        s.push_str("</div>");
    }

    if !sc.phases.is_empty() {
        s.push_str(
            "<div class=\"sub-card span2\"><h3 class=\"hh\">By phase</h3><div class=\"tbl\"><table>\
             <thead><tr><th>phase</th><th class=\"num\">requests</th><th class=\"num\">errors</th>\
             <th class=\"num\">throughput</th><th class=\"num\">p95 latency</th></tr></thead><tbody>",
        );
        for p in &sc.phases {
            let p95 = p
                .timings
                .iter()
                .filter(|t| t.kind == TimingKind::Latency)
                .map(|t| t.p95_us)
                .max()
                .map_or_else(|| "–".into(), dur);
            w!(
                s,
                "<tr><td class=\"ph\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{p95}</td></tr>",
                esc_wbr(&p.name),
                p.requests,
                if p.failed > 0 { " t-fail" } else { "" },
                pct(p.error_rate_pct),
                rate(p.throughput_per_s)
            );
        }
        s.push_str(
            "</tbody></table></div><p class=\"foot\">p95 latency: the slowest step's</p></div>",
        );
    }
    s.push_str("</div>");
}

// ── charts: shared ────────────────────────────────────────────────────

/// Width of every chart's coordinate box; charts scale to their column.
const CW: f64 = 640.0;
const PLOT_H: f64 = 176.0;
const ML: f64 = 58.0;
const MR: f64 = 22.0;
const LANE: f64 = 18.0;
/// Time charts show at most this many buckets (bars, hover targets, line points).
const MAX_BUCKETS: u64 = 180;
const FONT: f64 = 11.0;

/// A step of 1, 2, 2.5 or 5 × 10ⁿ giving about `n` ticks up to `max`; returns (step, top).
fn nice_axis(max: f64, n: usize) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, n as f64);
    }
    let raw = max / n as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let f = raw / mag;
    let m = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .find(|m| f <= m + 1e-9)
        .unwrap_or(10.0);
    let step = m * mag;
    let top = ((max / step) - 1e-9).ceil().max(1.0) * step;
    (step, top)
}

fn svg_open(s: &mut String, h: f64, label: &str) {
    w!(
        s,
        "<svg viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"{}\">",
        c(CW),
        c(h),
        esc(label)
    );
}

fn message(s: &mut String, x0: f64, x1: f64, top: f64, bottom: f64, text: &str) {
    w!(
        s,
        "<text class=\"msg\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        c((x0 + x1) / 2.0),
        c((top + bottom) / 2.0 + 4.0),
        esc(text)
    );
}

/// Horizontal grid lines and left-hand labels for `ticks` (value, label).
fn y_grid(s: &mut String, x0: f64, x1: f64, ticks: &[(f64, String)]) {
    s.push_str("<g class=\"grid\">");
    for (y, _) in ticks {
        w!(
            s,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
            c(x0),
            c(x1),
            c(*y),
            c(*y)
        );
    }
    s.push_str("</g><g class=\"ylab\">");
    for (y, label) in ticks {
        w!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            c(x0 - 6.0),
            c(y + 3.5),
            esc(label)
        );
    }
    s.push_str("</g>");
}

// ── charts: over time ─────────────────────────────────────────────────

/// One bucket of whole seconds.
#[derive(Clone, Debug, Default)]
struct Agg {
    requests: u64,
    errors: u64,
    /// Worst second of the bucket, over seconds with requests.
    p50: u64,
    p90: u64,
    p99: u64,
    max: u64,
}

/// A scenario's points in buckets of `bucket_s` seconds, over `[0, end_s)`.
struct TimeSeries<'a> {
    end_s: u64,
    bucket_s: u64,
    buckets: Vec<Agg>,
    phases: &'a [PhaseSpan],
}

impl<'a> TimeSeries<'a> {
    fn new(series: &'a ScenarioSeries, duration_us: u64) -> Self {
        let last = series.points.iter().map(|p| p.t_s + 1).max().unwrap_or(0);
        let end_s = last.max(duration_us.div_ceil(1_000_000)).max(1);
        let bucket_s = end_s.div_ceil(MAX_BUCKETS).max(1);
        let n = end_s.div_ceil(bucket_s) as usize;
        let mut buckets = vec![Agg::default(); n];
        for p in &series.points {
            let i = ((p.t_s / bucket_s) as usize).min(n - 1);
            let a = &mut buckets[i];
            a.requests += p.requests;
            a.errors += p.errors;
            if p.requests > 0 {
                a.p50 = a.p50.max(p.p50_us);
                a.p90 = a.p90.max(p.p90_us);
                a.p99 = a.p99.max(p.p99_us);
                a.max = a.max.max(p.max_us);
            }
        }
        TimeSeries {
            end_s,
            bucket_s,
            buckets,
            phases: &series.phases,
        }
    }

    /// Start and end second of bucket `i`.
    fn span(&self, i: usize) -> (u64, u64) {
        let a = i as u64 * self.bucket_s;
        (a, (a + self.bucket_s).min(self.end_s))
    }

    fn stages(&self) -> impl Iterator<Item = &PhaseSpan> {
        self.phases.iter().filter(|p| p.name != "chaos")
    }

    fn chaos(&self) -> impl Iterator<Item = &PhaseSpan> {
        self.phases.iter().filter(|p| p.name == "chaos")
    }

    fn lanes(&self) -> usize {
        usize::from(self.stages().next().is_some()) + usize::from(self.chaos().next().is_some())
    }

    fn has_requests(&self) -> bool {
        self.buckets.iter().any(|b| b.requests > 0)
    }
}

/// The plot box of a time chart: x maps seconds, lanes for stages/chaos sit above the plot.
struct TimeFrame {
    end_s: f64,
    x0: f64,
    x1: f64,
    top: f64,
    bottom: f64,
    height: f64,
}

impl TimeFrame {
    fn new(ts: &TimeSeries) -> Self {
        let lanes = ts.lanes();
        let top = if lanes > 0 {
            10.0 + lanes as f64 * LANE + 4.0
        } else {
            12.0
        };
        let bottom = top + PLOT_H;
        TimeFrame {
            end_s: ts.end_s as f64,
            x0: ML,
            x1: CW - MR,
            top,
            bottom,
            height: bottom + 26.0,
        }
    }

    fn x(&self, t_s: f64) -> f64 {
        self.x0 + (t_s / self.end_s).clamp(0.0, 1.0) * (self.x1 - self.x0)
    }

    fn x_us(&self, us: u64) -> f64 {
        self.x(us as f64 / 1e6)
    }
}

fn time_step(end_s: u64, max_ticks: u64) -> u64 {
    const STEPS: [u64; 20] = [
        1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600,
        43200, 86400,
    ];
    STEPS
        .into_iter()
        .find(|st| end_s / st <= max_ticks)
        .unwrap_or_else(|| end_s.div_ceil(max_ticks).max(1))
}

fn time_axis(s: &mut String, f: &TimeFrame, end_s: u64) {
    let step = time_step(end_s, 8);
    w!(
        s,
        "<line class=\"axis\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/><g class=\"xlab\">",
        c(f.x0),
        c(f.x1),
        c(f.bottom),
        c(f.bottom)
    );
    let mut t = 0;
    while t <= end_s {
        let x = f.x(t as f64);
        let anchor = if x > f.x1 - 14.0 { "end" } else { "middle" };
        w!(
            s,
            "<line class=\"tick\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
            c(x),
            c(x),
            c(f.bottom),
            c(f.bottom + 4.0),
            c(x),
            c(f.bottom + 16.0),
            dur(t * 1_000_000)
        );
        t += step;
    }
    s.push_str("</g>");
}

/// Stage bands (alternate shading, dashed boundaries) and the chaos window, behind the data.
fn phase_bands(s: &mut String, f: &TimeFrame, ts: &TimeSeries) {
    for (i, p) in ts.stages().enumerate() {
        let (a, b) = (f.x_us(p.start_us), f.x_us(p.end_us));
        if b - a < 0.5 {
            continue;
        }
        if i % 2 == 1 {
            w!(
                s,
                "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
                c(a),
                c(f.top),
                c(b - a),
                c(f.bottom - f.top)
            );
        }
        if p.start_us > 0 && a > f.x0 + 0.5 {
            w!(
                s,
                "<line class=\"sep\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
                c(a),
                c(a),
                c(f.top - 4.0 - LANE * ts.lanes() as f64),
                c(f.bottom)
            );
        }
    }
    for p in ts.chaos() {
        let (a, b) = (f.x_us(p.start_us), f.x_us(p.end_us));
        if b - a < 0.5 {
            continue;
        }
        w!(
            s,
            "<rect class=\"band-chaos\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"/>",
            c(a),
            c(f.top),
            c(b - a),
            c(f.bottom - f.top)
        );
    }
}

/// The labelled lanes above the plot: named stages, then the chaos window.
fn phase_lanes(s: &mut String, f: &TimeFrame, ts: &TimeSeries) {
    let mut lane = 0.0;
    let draw = |s: &mut String, spans: Vec<&PhaseSpan>, lane: f64, chaos: bool| {
        let y = 10.0 + lane * LANE;
        for (i, p) in spans.into_iter().enumerate() {
            let (a, b) = (f.x_us(p.start_us), f.x_us(p.end_us));
            if b - a < 0.5 {
                continue;
            }
            let cls = if chaos {
                "lane-chaos"
            } else if i % 2 == 1 {
                "lane lane2"
            } else {
                "lane"
            };
            let what = if chaos { "chaos window" } else { "stage" };
            let tip = format!("{what} {}: {} – {}", p.name, dur(p.start_us), dur(p.end_us));
            w!(
                s,
                "<rect class=\"{cls}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"3\" \
                 data-tip=\"{}\"/>",
                c(a + 0.5),
                c(y),
                c((b - a - 1.0).max(0.5)),
                c(LANE - 3.0),
                esc(&tip)
            );
            if let Some(label) = fit(&p.name, b - a - 8.0, 10.5) {
                w!(
                    s,
                    "<text class=\"lane-t\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    c((a + b) / 2.0),
                    c(y + 11.5),
                    esc(&label)
                );
            }
        }
    };
    let stages: Vec<&PhaseSpan> = ts.stages().collect();
    if !stages.is_empty() {
        draw(s, stages, lane, false);
        lane += 1.0;
    }
    let chaos: Vec<&PhaseSpan> = ts.chaos().collect();
    if !chaos.is_empty() {
        draw(s, chaos, lane, true);
    }
}

/// Transparent columns over the plot, one per bucket, carrying the tooltip.
fn hover_columns(s: &mut String, f: &TimeFrame, ts: &TimeSeries) {
    s.push_str("<g>");
    for (i, b) in ts.buckets.iter().enumerate() {
        let (t0, t1) = ts.span(i);
        let (a, z) = (f.x(t0 as f64), f.x(t1 as f64));
        let mut tip = format!(
            "{} – {}\n{} request{}",
            dur(t0 * 1_000_000),
            dur(t1 * 1_000_000),
            b.requests,
            plural(b.requests as usize)
        );
        if b.errors > 0 {
            w!(tip, ", {} failed", b.errors);
        }
        if t1 > t0 + 1 {
            w!(
                tip,
                " ({}/s)",
                trim(b.requests as f64 / (t1 - t0) as f64, 2)
            );
        }
        if b.requests > 0 {
            w!(
                tip,
                "\np50 {} · p90 {} · p99 {} · max {}",
                dur(b.p50),
                dur(b.p90),
                dur(b.p99),
                dur(b.max)
            );
            if t1 > t0 + 1 {
                tip.push_str("\n(latency: worst second)");
            }
        }
        w!(
            s,
            "<rect class=\"hov\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" data-tip=\"{}\"/>",
            c(a),
            c(f.top),
            c((z - a).max(0.5)),
            c(f.bottom - f.top),
            esc(&tip)
        );
    }
    s.push_str("</g>");
}

/// An SLO bound on latency, drawn as a horizontal line on the latency chart.
struct Bound {
    us: f64,
    label: String,
    held: bool,
    /// `(before|during|after, phase)` when the SLO reads one phase only.
    phase: Option<(String, String)>,
}

/// `p95(latency)`, `step chat: max(latency) during chaos`: a latency statistic, optionally
/// of one step and one phase; `None` for anything else (`p95(latency) - p50(latency)`, …).
fn latency_metric(metric: &str) -> Option<Option<(String, String)>> {
    let rest = match metric.strip_prefix("step ") {
        Some(r) => r.split_once(": ")?.1,
        None => metric,
    };
    let (stat, tail) = rest.split_once("(latency)")?;
    let stat_ok = matches!(stat, "max" | "min" | "mean")
        || stat
            .strip_prefix('p')
            .is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
    if !stat_ok {
        return None;
    }
    if tail.is_empty() {
        return Some(None);
    }
    let (when, name) = tail.trim_start().split_once(' ')?;
    if !matches!(when, "before" | "during" | "after") || name.is_empty() || name.contains(' ') {
        return None;
    }
    Some(Some((when.to_string(), name.to_string())))
}

/// Where on the time line a phase qualifier applies; `None` when the phase is not drawn.
fn phase_spans(ts: &TimeSeries, when: &str, name: &str) -> Option<Vec<(u64, u64)>> {
    let spans: Vec<&PhaseSpan> = ts.phases.iter().filter(|p| p.name == name).collect();
    let end = ts.end_s * 1_000_000;
    let first = spans.iter().map(|p| p.start_us).min()?;
    let last = spans.iter().map(|p| p.end_us).max()?;
    Some(match when {
        "before" => vec![(0, first)],
        "after" => vec![(last, end)],
        _ => spans.iter().map(|p| (p.start_us, p.end_us)).collect(),
    })
}

/// Latency SLOs of the scenario with a duration bound (`p95(latency) < 500ms`).
fn latency_bounds(slos: &[&SloResult]) -> Vec<Bound> {
    let mut out: Vec<Bound> = Vec::new();
    for r in slos {
        if r.kind != AssertionKind::Slo
            || r.unit != Unit::Duration
            || !r.bound.is_finite()
            || r.bound <= 0.0
        {
            continue;
        }
        let Some(phase) = latency_metric(&r.metric) else {
            continue;
        };
        if out
            .iter()
            .any(|b| (b.us - r.bound).abs() < 1.0 && b.phase == phase)
        {
            continue;
        }
        out.push(Bound {
            us: r.bound,
            label: format!("{} {} {}", r.metric, r.op.symbol(), r.rhs_display),
            held: r.status == Status::Pass,
            phase,
        });
    }
    out
}

fn legend_item(s: &mut String, class: &str, label: &str) {
    w!(
        s,
        "<span class=\"lg\"><i class=\"sw {class}\"></i>{}</span>",
        esc(label)
    );
}

fn phase_legend(s: &mut String, ts: &TimeSeries) {
    if ts.chaos().next().is_some() {
        legend_item(s, "sw-chaos", "chaos");
    }
}

fn latency_figure(s: &mut String, ts: &TimeSeries, bounds: &[Bound]) {
    s.push_str("<figure class=\"chart\"><figcaption>Latency over time<span class=\"legend\">");
    legend_item(s, "sw-p50", "p50");
    legend_item(s, "sw-p90", "p90");
    legend_item(s, "sw-p99", "p99");
    let data_max = ts.buckets.iter().map(|b| b.p99).max().unwrap_or(0) as f64;
    // A bound far above the data would flatten it: draw only those near the data.
    let shown: Vec<&Bound> = bounds
        .iter()
        .filter(|b| ts.has_requests() && b.us <= data_max * 2.5)
        .collect();
    if !shown.is_empty() {
        legend_item(s, "sw-bound", "SLO bound");
    }
    phase_legend(s, ts);
    s.push_str("</span></figcaption>");
    let f = TimeFrame::new(ts);
    svg_open(s, f.height, "latency percentiles over time");
    phase_bands(s, &f, ts);
    let ymax = shown.iter().map(|b| b.us).fold(data_max, f64::max);
    let (step, top) = nice_axis(ymax * 1.04, 4);
    let y = |v: f64| f.bottom - (v / top).clamp(0.0, 1.0) * (f.bottom - f.top);
    let ticks: Vec<(f64, String)> = (0..)
        .map(|k| k as f64 * step)
        .take_while(|v| *v <= top + step * 1e-6)
        .filter(|_| ts.has_requests())
        .map(|v| (y(v), dur(v.round() as u64)))
        .collect();
    y_grid(s, f.x0, f.x1, &ticks);
    time_axis(s, &f, ts.end_s);
    if !ts.has_requests() {
        message(s, f.x0, f.x1, f.top, f.bottom, "no requests");
    } else {
        let xs: Vec<f64> = (0..ts.buckets.len())
            .map(|i| {
                let (a, b) = ts.span(i);
                f.x((a + b) as f64 / 2.0)
            })
            .collect();
        let dots = ts.buckets.len() <= 40;
        // A few long buckets read better as steps: each value holds for its whole second.
        let steps = ts.buckets.len() <= 12;
        for (class, get) in [
            ("p50", (|b: &Agg| b.p50) as fn(&Agg) -> u64),
            ("p90", |b: &Agg| b.p90),
            ("p99", |b: &Agg| b.p99),
        ] {
            if steps {
                let mut d = String::new();
                let mut prev = false;
                for (i, b) in ts.buckets.iter().enumerate() {
                    if b.requests == 0 {
                        prev = false;
                        continue;
                    }
                    let (t0, t1) = ts.span(i);
                    let yy = y(get(b) as f64);
                    if prev {
                        w!(d, "V{}H{}", c(yy), c(f.x(t1 as f64)));
                    } else {
                        w!(d, "M{} {}H{}", c(f.x(t0 as f64)), c(yy), c(f.x(t1 as f64)));
                    }
                    prev = true;
                }
                w!(s, "<path class=\"l l-{class}\" d=\"{d}\"/>");
                continue;
            }
            let pts: Vec<Option<(f64, f64)>> = ts
                .buckets
                .iter()
                .zip(&xs)
                .map(|(b, x)| (b.requests > 0).then(|| (*x, y(get(b) as f64))))
                .collect();
            line(
                s,
                &format!("l l-{class}"),
                &format!("d-{class}"),
                &pts,
                dots,
            );
        }
        for b in &shown {
            let spans = match &b.phase {
                None => vec![(0, ts.end_s * 1_000_000)],
                Some((when, name)) => match phase_spans(ts, when, name) {
                    Some(spans) => spans,
                    None => continue,
                },
            };
            let yy = y(b.us);
            let ok = if b.held { "ok" } else { "bad" };
            let mut last = None;
            for (a, z) in spans {
                let (xa, xz) = (f.x_us(a), f.x_us(z));
                if xz - xa < 1.0 {
                    continue;
                }
                w!(
                    s,
                    "<line class=\"thr {ok}\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
                    c(xa),
                    c(xz),
                    c(yy),
                    c(yy)
                );
                last = Some((xa, xz));
            }
            // The label ends where the line ends, or starts where it starts when that
            // leaves more room.
            let Some((xa, xz)) = last else { continue };
            let (x, anchor, room) = if xz - f.x0 >= f.x1 - xa {
                (xz - 4.0, "end", xz - f.x0 - 8.0)
            } else {
                (xa + 4.0, "start", f.x1 - xa - 8.0)
            };
            if let Some(label) = fit(&b.label, room, 10.0) {
                w!(
                    s,
                    "<text class=\"thr-t {ok}\" x=\"{}\" y=\"{}\" text-anchor=\"{anchor}\">{}</text>",
                    c(x),
                    c(yy - 4.0),
                    esc(&label)
                );
            }
        }
    }
    hover_columns(s, &f, ts);
    phase_lanes(s, &f, ts);
    s.push_str("</svg>");
    if ts.bucket_s > 1 {
        w!(
            s,
            "<p class=\"foot\">one point per {}: the worst second's percentiles</p>",
            dur(ts.bucket_s * 1_000_000)
        );
    }
    s.push_str("</figure>");
}

/// A polyline through the present points, broken at gaps; a dot where a point stands alone
/// (or at every point when `dots`).
fn line(s: &mut String, class: &str, dot_class: &str, pts: &[Option<(f64, f64)>], dots: bool) {
    let mut d = String::new();
    let mut lone = Vec::new();
    for (i, p) in pts.iter().enumerate() {
        let Some((x, y)) = p else { continue };
        let prev = i > 0 && pts[i - 1].is_some();
        let next = pts.get(i + 1).is_some_and(Option::is_some);
        if prev {
            w!(d, "L{} {}", c(*x), c(*y));
        } else {
            w!(d, "M{} {}", c(*x), c(*y));
        }
        if dots || (!prev && !next) {
            lone.push((*x, *y));
        }
    }
    if !d.is_empty() {
        w!(s, "<path class=\"{class}\" d=\"{d}\"/>");
    }
    for (x, y) in lone {
        w!(
            s,
            "<circle class=\"{dot_class}\" cx=\"{}\" cy=\"{}\" r=\"2.6\"/>",
            c(x),
            c(y)
        );
    }
}

fn throughput_figure(s: &mut String, ts: &TimeSeries) {
    s.push_str("<figure class=\"chart\"><figcaption>Throughput and errors<span class=\"legend\">");
    legend_item(s, "sw-ok", "succeeded");
    legend_item(s, "sw-err", "failed");
    phase_legend(s, ts);
    s.push_str("</span></figcaption>");
    let f = TimeFrame::new(ts);
    svg_open(s, f.height, "requests and errors per second over time");
    phase_bands(s, &f, ts);
    let per_s = |i: usize, n: u64| {
        let (a, b) = ts.span(i);
        n as f64 / (b - a).max(1) as f64
    };
    let ymax = (0..ts.buckets.len())
        .map(|i| per_s(i, ts.buckets[i].requests))
        .fold(0.0, f64::max);
    let (step, top) = nice_axis(ymax, 4);
    let y = |v: f64| f.bottom - (v / top).clamp(0.0, 1.0) * (f.bottom - f.top);
    let ticks: Vec<(f64, String)> = (0..)
        .map(|k| k as f64 * step)
        .take_while(|v| *v <= top + step * 1e-6)
        .filter(|_| ts.has_requests())
        .map(|v| (y(v), format!("{}/s", trim(v, 2))))
        .collect();
    y_grid(s, f.x0, f.x1, &ticks);
    if !ts.has_requests() {
        message(s, f.x0, f.x1, f.top, f.bottom, "no requests");
    } else {
        let mut ok = String::new();
        let mut err = String::new();
        for (i, b) in ts.buckets.iter().enumerate() {
            if b.requests == 0 {
                continue;
            }
            let (t0, t1) = ts.span(i);
            let (a, z) = (f.x(t0 as f64), f.x(t1 as f64));
            let gap = if z - a > 4.0 { 1.0 } else { 0.0 };
            let (x, wd) = (a + gap / 2.0, (z - a - gap).max(0.6));
            let y_all = y(per_s(i, b.requests));
            let y_err = y(per_s(i, b.errors));
            let h_err = f.bottom - y_err;
            let h_ok = (y_err - y_all).max(0.0);
            if h_ok > 0.0 {
                w!(
                    ok,
                    "M{} {}h{}v{}h-{}Z",
                    c(x),
                    c(y_all),
                    c(wd),
                    c(h_ok),
                    c(wd)
                );
            }
            if b.errors > 0 {
                w!(
                    err,
                    "M{} {}h{}v{}h-{}Z",
                    c(x),
                    c(y_err),
                    c(wd),
                    c(h_err.max(1.0)),
                    c(wd)
                );
            }
        }
        if !ok.is_empty() {
            w!(s, "<path class=\"b-ok\" d=\"{ok}\"/>");
        }
        if !err.is_empty() {
            w!(s, "<path class=\"b-err\" d=\"{err}\"/>");
        }
    }
    time_axis(s, &f, ts.end_s);
    hover_columns(s, &f, ts);
    phase_lanes(s, &f, ts);
    s.push_str("</svg>");
    if ts.bucket_s > 1 {
        w!(
            s,
            "<p class=\"foot\">one bar per {}: mean requests per second</p>",
            dur(ts.bucket_s * 1_000_000)
        );
    }
    s.push_str("</figure>");
}

// ── charts: latency spectrum ──────────────────────────────────────────

/// The percentiles of a `Timing`, placed at −log10(1 − q); `max` in the p99.9 slot.
const QUANTILES: [(&str, f64); 5] = [
    ("p50", std::f64::consts::LOG10_2),
    ("p90", 1.0),
    ("p95", 1.0 + std::f64::consts::LOG10_2),
    ("p99", 2.0),
    ("max", 3.0),
];

fn timing_values(t: &Timing) -> [u64; 5] {
    [t.p50_us, t.p90_us, t.p95_us, t.p99_us, t.max_us]
}

/// The 1-2-5 values from `lo` to `hi` (both such values).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    let mut mag = 10f64.powf(lo.log10().floor());
    while mag <= hi * 1.000_001 {
        for m in [1.0, 2.0, 5.0] {
            let v = m * mag;
            if v >= lo * 0.999_999 && v <= hi * 1.000_001 {
                out.push(v);
            }
        }
        mag *= 10.0;
    }
    if out.len() > 7 {
        out.retain(|v| {
            let m = v / 10f64.powf(v.log10().floor());
            (m - 1.0).abs() < 1e-6
        });
    }
    out
}

fn snap_down(v: f64) -> f64 {
    let mag = 10f64.powf(v.log10().floor());
    [5.0, 2.0, 1.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|x| *x <= v * 1.000_001)
        .unwrap_or(mag)
}

fn snap_up(v: f64) -> f64 {
    let mag = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|x| *x >= v * 0.999_999)
        .unwrap_or(10.0 * mag)
}

fn spectrum_figure(s: &mut String, timings: &[Timing]) {
    // Each step's latency (what SLOs read), then the whole iteration's duration, dashed.
    let mut lines: Vec<(String, &Timing, bool)> = timings
        .iter()
        .filter(|t| t.kind == TimingKind::Latency)
        .take(8)
        .map(|t| (t.step.clone().unwrap_or_else(|| "request".into()), t, false))
        .collect();
    let steps = lines.len();
    if let Some(t) = timings
        .iter()
        .find(|t| t.kind == TimingKind::Duration && t.step.is_none())
    {
        lines.push(("iteration".into(), t, true));
    }
    s.push_str(
        "<figure class=\"chart\"><figcaption>Latency spectrum per step<span class=\"legend\">",
    );
    for (i, (name, _, dashed)) in lines.iter().enumerate() {
        let class = if *dashed {
            "sw-iter".to_string()
        } else {
            format!("sw-k{}", i % 8)
        };
        legend_item(s, &class, name);
    }
    s.push_str("</span></figcaption>");
    let (top, bottom) = (12.0, 12.0 + PLOT_H);
    let height = bottom + 26.0;
    let (x0, x1) = (ML, CW - MR);
    let xq = |pos: f64| {
        x0 + 16.0
            + (pos - std::f64::consts::LOG10_2) / (3.0 - std::f64::consts::LOG10_2)
                * (x1 - x0 - 32.0)
    };
    svg_open(s, height, "latency percentiles per step");
    let values: Vec<f64> = lines
        .iter()
        .flat_map(|(_, t, _)| timing_values(t))
        .map(|v| v as f64)
        .collect();
    let vmax = values.iter().copied().fold(0.0, f64::max);
    let vmin = values
        .iter()
        .copied()
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let log = vmin.is_finite() && vmax / vmin >= 20.0;
    let (ticks, y): (Vec<f64>, Box<dyn Fn(f64) -> f64>) = if log {
        let (lo, hi) = (snap_down(vmin), snap_up(vmax));
        let (llo, lhi) = (lo.log10(), hi.log10());
        let y = move |v: f64| {
            let l = v.max(lo).log10();
            bottom - ((l - llo) / (lhi - llo)).clamp(0.0, 1.0) * (bottom - top)
        };
        (log_ticks(lo, hi), Box::new(y))
    } else {
        let (step, topv) = nice_axis(vmax * 1.04, 4);
        let y = move |v: f64| bottom - (v / topv).clamp(0.0, 1.0) * (bottom - top);
        let t = (0..)
            .map(|k| k as f64 * step)
            .take_while(|v| *v <= topv + step * 1e-6)
            .collect();
        (t, Box::new(y))
    };
    let labelled: Vec<(f64, String)> = ticks
        .iter()
        .filter(|_| !lines.is_empty())
        .map(|v| (y(*v), dur(v.round() as u64)))
        .collect();
    y_grid(s, x0, x1, &labelled);
    s.push_str("<g class=\"grid\">");
    for (_, pos) in QUANTILES {
        w!(
            s,
            "<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>",
            c(xq(pos)),
            c(xq(pos)),
            c(top),
            c(bottom)
        );
    }
    w!(
        s,
        "</g><line class=\"axis\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/><g class=\"xlab\">",
        c(x0),
        c(x1),
        c(bottom),
        c(bottom)
    );
    for (name, pos) in QUANTILES {
        w!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{name}</text>",
            c(xq(pos)),
            c(bottom + 16.0)
        );
    }
    s.push_str("</g>");
    if lines.is_empty() {
        message(s, x0, x1, top, bottom, "no requests");
    }
    for (i, (name, t, dashed)) in lines.iter().enumerate() {
        let (lc, dc) = if *dashed {
            ("l l-iter".to_string(), "d-iter".to_string())
        } else {
            (format!("l k{}", i % 8), format!("d-k{}", i % 8))
        };
        let pts: Vec<Option<(f64, f64)>> = QUANTILES
            .iter()
            .zip(timing_values(t))
            .map(|((_, pos), v)| Some((xq(*pos), y(v as f64))))
            .collect();
        line(s, &lc, &dc, &pts, false);
        for (((q, pos), v), _) in QUANTILES.iter().zip(timing_values(t)).zip(0..) {
            w!(
                s,
                "<circle class=\"{dc} pt\" cx=\"{}\" cy=\"{}\" r=\"3.2\" data-tip=\"{}\"/>",
                c(xq(*pos)),
                c(y(v as f64)),
                esc(&format!(
                    "{name} {}: {q} {}\n{} sample{}",
                    if *dashed { "duration" } else { "latency" },
                    dur(v),
                    t.count,
                    plural(t.count as usize)
                ))
            );
        }
    }
    s.push_str("</svg>");
    let mut foot = String::from("x: percentile on a log scale of 1 − q");
    if log {
        foot.push_str(" · y: log scale");
    }
    if steps == 8
        && timings
            .iter()
            .filter(|t| t.kind == TimingKind::Latency)
            .count()
            > 8
    {
        foot.push_str(" · first 8 steps shown");
    }
    w!(s, "<p class=\"foot\">{foot}</p></figure>");
}

// ── charts: comparison bars ───────────────────────────────────────────

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
    s: &mut String,
    bars: &[HBar],
    xmax: f64,
    track: bool,
    reference: Option<(f64, &str)>,
    label: &str,
) {
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
    svg_open(s, height, label);
    for (i, b) in bars.iter().enumerate() {
        let yr = top + i as f64 * BAR_ROW;
        let yb = yr + 4.0;
        let name = fit_mid(&b.name, label_w - 14.0, FONT).unwrap_or_default();
        w!(
            s,
            "<text class=\"{}\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            if b.emph { "bar-n em" } else { "bar-n" },
            c(x0 - 8.0),
            c(yr + 15.0),
            esc(&name)
        );
        if track {
            w!(
                s,
                "<rect class=\"track\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" rx=\"2\"/>",
                c(x0),
                c(yb),
                c(x1 - x0)
            );
        }
        let end = match b.value {
            Some(v) => {
                let xe = xv(v);
                let cls = if b.emph { "bar em" } else { "bar" };
                w!(
                    s,
                    "<rect class=\"{cls}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"14\" rx=\"2\"/>",
                    c(x0),
                    c(yb),
                    c((xe - x0).max(1.0))
                );
                if track { x1 } else { xe }
            }
            None => x0,
        };
        w!(
            s,
            "<text class=\"bar-v\" x=\"{}\" y=\"{}\">{}</text>",
            c(end + 6.0),
            c(yr + 15.0),
            esc(&b.label)
        );
        w!(
            s,
            "<rect class=\"hov\" x=\"0\" y=\"{}\" width=\"{}\" height=\"{}\" data-tip=\"{}\"/>",
            c(yr),
            c(CW),
            c(BAR_ROW),
            esc(&b.tip)
        );
    }
    if let Some((v, name)) = reference {
        let x = xv(v);
        w!(
            s,
            "<line class=\"ref\" x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\"/>\
             <text class=\"ref-t\" x=\"{}\" y=\"12\" text-anchor=\"middle\">{}</text>",
            c(x),
            c(x),
            c(top - 2.0),
            c(height - 4.0),
            c(x),
            esc(name)
        );
    }
    s.push_str("</svg>");
}

fn time_bars(rows: &[ComparisonRow], base: Option<&ComparisonRow>) -> String {
    let xmax = rows
        .iter()
        .filter_map(|r| r.p95_duration_us)
        .max()
        .unwrap_or(0) as f64;
    let bars: Vec<HBar> = rows
        .iter()
        .map(|r| {
            let v = r.p95_duration_us;
            let mut label = v.map_or_else(|| "no data".into(), dur);
            if let Some(x) = r.duration_vs_baseline
                && base.is_some_and(|b| b.scenario != r.scenario)
            {
                w!(label, " · {x:.2}×");
            }
            HBar {
                name: r.scenario.clone(),
                value: v.map(|v| v as f64),
                tip: format!("{}\np95 iteration time {label}", r.scenario),
                label,
                emph: base.is_some_and(|b| b.scenario == r.scenario),
            }
        })
        .collect();
    let mut s = String::new();
    let reference = base
        .and_then(|b| b.p95_duration_us)
        .map(|v| (v as f64, "baseline"));
    hbars(
        &mut s,
        &bars,
        if xmax > 0.0 { xmax } else { 1.0 },
        false,
        reference,
        "p95 iteration time per scenario",
    );
    s
}

fn success_bars(rows: &[ComparisonRow]) -> String {
    let bars: Vec<HBar> = rows
        .iter()
        .map(|r| {
            let label = pct(r.success_rate_pct);
            HBar {
                name: r.scenario.clone(),
                value: r.success_rate_pct,
                tip: format!("{}\nsuccess rate {label}", r.scenario),
                label,
                emph: r.scenario == "baseline",
            }
        })
        .collect();
    let mut s = String::new();
    hbars(
        &mut s,
        &bars,
        100.0,
        true,
        None,
        "success rate per scenario",
    );
    s
}

// ── style and script ──────────────────────────────────────────────────

const CSS: &str = r#":root{
--bg:#f4f5f7;--card:#fff;--fg:#1b2130;--muted:#5c6676;--faint:#8b94a3;--line:#d9dde4;--grid:#eceef2;
--pass:#13794a;--pass-bg:#dcf2e5;--fail:#c8322b;--fail-bg:#fde6e4;--warn:#955f00;--warn-bg:#fff1d1;
--link:#2456b5;--p50:#2f6fdb;--p90:#e08a1e;--p99:#c2255c;--ok:#9fb7e6;--err:#e0483f;
--stage:#e8ebf1;--stage2:#dde2ea;--band:#f1f3f7;--chaos:#e0483f;--iter:#4b5565;
--k0:#2f6fdb;--k1:#e08a1e;--k2:#1f9d8b;--k3:#c2255c;--k4:#7c5cd6;--k5:#6f8f1f;--k6:#b0602a;--k7:#5c6676;
--shadow:0 1px 2px rgba(16,24,40,.06),0 1px 3px rgba(16,24,40,.08);--on:#fff;
}
@media (prefers-color-scheme:dark){:root{
--bg:#0e1116;--card:#161a21;--fg:#e3e7ee;--muted:#9aa4b3;--faint:#707a8a;--line:#2c323d;--grid:#222832;
--pass:#4cc38a;--pass-bg:#11301f;--fail:#ff6a60;--fail-bg:#3b1715;--warn:#e8b44a;--warn-bg:#33280d;
--link:#86b0ff;--p50:#6fa2ff;--p90:#f2a54a;--p99:#ff6b9b;--ok:#3f5e98;--err:#ff6a60;
--stage:#232a35;--stage2:#2c3441;--band:#1b2029;--chaos:#ff6a60;--iter:#c3cad5;
--k0:#6fa2ff;--k1:#f2a54a;--k2:#3fcfb8;--k3:#ff6b9b;--k4:#a98bff;--k5:#a6c94a;--k6:#e09060;--k7:#9aa4b3;
--shadow:none;--on:#0e1116;
}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,"Noto Sans",sans-serif;overflow-wrap:break-word}
code,.loc{font-family:ui-monospace,SFMono-Regular,"SF Mono",Menlo,Consolas,"Liberation Mono",monospace;font-size:12.5px}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
.top{display:flex;align-items:baseline;gap:16px;padding:10px 24px;background:var(--card);border-bottom:1px solid var(--line)}
.brand{font-weight:700;letter-spacing:.02em}
.top-sum{color:var(--muted)}
main{max-width:1440px;margin:0 auto;padding:16px 24px 48px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;box-shadow:var(--shadow);padding:14px 18px;margin:0 0 14px;min-width:0}
.test{margin-bottom:36px}
.test-head{border-left:5px solid var(--pass)}
.test-head.fail{border-left-color:var(--fail)}
.title-row{display:flex;align-items:center;gap:12px;min-width:0}
h1{font-size:22px;line-height:1.25;margin:0;overflow-wrap:anywhere;min-width:0}
.h{font-size:16px;margin:0 0 10px;display:flex;align-items:baseline;gap:10px;flex-wrap:wrap}
.section-h{font-size:17px;margin:22px 0 10px;display:flex;align-items:baseline;gap:10px}
.hh{font-size:13px;margin:0 0 8px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
h4{font-size:12px;margin:10px 0 4px;color:var(--muted);font-weight:600}
.count{font-size:13px;font-weight:500;color:var(--muted)}
.count.pass{color:var(--pass)}.count.fail{color:var(--fail)}
.badge{display:inline-block;flex:none;font-weight:700;font-size:13px;letter-spacing:.06em;padding:4px 10px;border-radius:6px;color:var(--on)}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
.badge.sm{font-size:11px;padding:2px 7px}
.meta{display:flex;flex-wrap:wrap;gap:6px 28px;margin:12px 0 0}
.meta div{min-width:0}
.meta dt{font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--faint)}
.meta dd{margin:0;font-weight:600;overflow-wrap:anywhere}
.warn{background:var(--warn-bg);color:var(--warn);padding:6px 10px;border-radius:6px;margin:12px 0 0}
.note{color:var(--muted);font-size:12px;margin-top:2px}
.muted{color:var(--muted)}
.t-fail{color:var(--fail);font-weight:600}.t-pass{color:var(--pass);font-weight:600}.t-warn{color:var(--warn);font-weight:600}
.tbl{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%;font-size:13px}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;border-bottom:1px solid var(--line);padding:6px 10px;white-space:nowrap}
td{padding:6px 10px;border-bottom:1px solid var(--grid);vertical-align:top}
tr:last-child td{border-bottom:0}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.nowrap{white-space:nowrap}
.wrap{overflow-wrap:break-word;min-width:5em}
.loc{color:var(--muted);white-space:nowrap}
table.slo td{padding-top:7px;padding-bottom:7px}
table.slo td.mark{width:28px;font-weight:700;font-size:15px;text-align:center}
table.slo tr.ok td.mark{color:var(--pass)}
table.slo tr.bad td.mark{color:var(--fail)}
table.slo tr.bad td.mark{box-shadow:inset 3px 0 var(--fail)}
table.slo td.assert{overflow-wrap:break-word;min-width:16em;max-width:30em}
table.slo td.assert code{white-space:normal}
table.slo td.res{min-width:14em}
.res-chip{display:inline-flex;align-items:baseline;gap:4px;max-width:100%;margin:1px 6px 1px 0;padding:1px 7px;border-radius:5px;font-size:12.5px;color:var(--fg);background:var(--card);border:1px solid var(--grid);white-space:nowrap;text-decoration:none}
a.res-chip:hover{text-decoration:none;border-color:var(--link)}
.res-chip i{font-style:normal;font-weight:700}
.res-chip.ok i{color:var(--pass)}
.res-chip.bad{border-color:var(--fail);background:var(--fail-bg)}
.res-chip.bad i,.res-chip.bad b{color:var(--fail)}
.res-chip .sn{overflow:hidden;text-overflow:ellipsis;color:var(--muted)}
.res-chip b{font-weight:600;font-variant-numeric:tabular-nums}
.res-chip .bd{color:var(--faint)}
.note.why{color:var(--fail)}
.tag{display:inline-block;font-size:11px;padding:0 6px;border-radius:4px;background:var(--stage);color:var(--muted);white-space:nowrap}
.tag.bad{background:var(--fail);color:var(--on)}
table.cmp tr.base td{background:var(--band)}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,540px),1fr));gap:14px 22px;margin-top:12px}
.chart{margin:0;min-width:0}
.chart figcaption{font-weight:600;font-size:13px;margin:0 0 4px;display:flex;flex-wrap:wrap;align-items:baseline;gap:4px 14px}
.sub{font-weight:400;color:var(--muted)}
.legend{display:flex;flex-wrap:wrap;gap:2px 12px;font-weight:400;font-size:12px;color:var(--muted)}
.lg{display:inline-flex;align-items:center;gap:5px;max-width:22em;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.sw{display:inline-block;width:14px;height:3px;border-radius:2px;flex:none}
.sw-p50{background:var(--p50)}.sw-p90{background:var(--p90)}.sw-p99{background:var(--p99)}
.sw-ok{background:var(--ok);height:10px;width:10px}.sw-err{background:var(--err);height:10px;width:10px}
.sw-chaos{background:var(--chaos);opacity:.3;height:10px;width:14px}
.sw-bound{height:0;border-top:2px dashed var(--faint)}
.sw-iter{height:0;border-top:2px dashed var(--iter)}
.sw-k0{background:var(--k0)}.sw-k1{background:var(--k1)}.sw-k2{background:var(--k2)}.sw-k3{background:var(--k3)}
.sw-k4{background:var(--k4)}.sw-k5{background:var(--k5)}.sw-k6{background:var(--k6)}.sw-k7{background:var(--k7)}
svg{display:block;width:100%;height:auto;overflow:visible;font-family:inherit}
svg text{font-size:11px;fill:var(--muted);pointer-events:none}
.grid line{stroke:var(--grid);stroke-width:1}
.axis,.tick{stroke:var(--line);stroke-width:1}
.l{fill:none;stroke-width:2;stroke-linejoin:round;stroke-linecap:round}
.l-p50{stroke:var(--p50)}.l-p90{stroke:var(--p90)}.l-p99{stroke:var(--p99)}
.d-p50{fill:var(--p50)}.d-p90{fill:var(--p90)}.d-p99{fill:var(--p99)}
.l-iter{stroke:var(--iter);stroke-dasharray:6 4;stroke-width:1.6}.d-iter{fill:var(--iter)}
.k0{stroke:var(--k0)}.k1{stroke:var(--k1)}.k2{stroke:var(--k2)}.k3{stroke:var(--k3)}.k4{stroke:var(--k4)}.k5{stroke:var(--k5)}.k6{stroke:var(--k6)}.k7{stroke:var(--k7)}
.d-k0{fill:var(--k0)}.d-k1{fill:var(--k1)}.d-k2{fill:var(--k2)}.d-k3{fill:var(--k3)}.d-k4{fill:var(--k4)}.d-k5{fill:var(--k5)}.d-k6{fill:var(--k6)}.d-k7{fill:var(--k7)}
.pt{stroke:var(--card);stroke-width:1.5}.pt:hover{stroke:var(--fg)}
.b-ok{fill:var(--ok)}.b-err{fill:var(--err)}
.band{fill:var(--band)}
.band-chaos{fill:var(--chaos);fill-opacity:.1}
.sep{stroke:var(--faint);stroke-dasharray:3 3;stroke-width:1}
.lane{fill:var(--stage)}.lane2{fill:var(--stage2)}
.lane-chaos{fill:var(--chaos);fill-opacity:.22}
svg .lane-t{fill:var(--fg);font-size:10.5px}
.thr{stroke-width:1.3;stroke-dasharray:6 4}.thr.ok{stroke:var(--pass)}.thr.bad{stroke:var(--fail)}
svg .thr-t{font-size:10px;font-weight:600;paint-order:stroke;stroke:var(--card);stroke-width:3px;stroke-linejoin:round}svg .thr-t.ok{fill:var(--pass)}svg .thr-t.bad{fill:var(--fail)}
svg .msg{font-size:13px;fill:var(--faint)}
.hov{fill:transparent}.hov:hover{fill:var(--fg);fill-opacity:.05}
.bar{fill:var(--p50);fill-opacity:.75}.bar.em{fill:var(--iter);fill-opacity:.6}
.track{fill:var(--fail-bg)}
svg .bar-n{fill:var(--fg)}svg .bar-n.em{font-weight:700}
svg .bar-v{fill:var(--fg);font-variant-numeric:tabular-nums}
.ref{stroke:var(--fg);stroke-dasharray:4 3;stroke-width:1;opacity:.6}
svg .ref-t{font-size:10px}
.foot{color:var(--faint);font-size:11.5px;margin:4px 0 0}
details.scn{padding:0}
details.scn>summary{list-style:none;cursor:pointer;display:flex;flex-wrap:wrap;align-items:center;gap:6px 12px;padding:12px 18px}
details.scn>summary::-webkit-details-marker{display:none}
details.scn>summary::before{content:"▸";color:var(--faint);font-size:12px;width:10px}
details.scn[open]>summary::before{content:"▾"}
details.scn[open]>summary{border-bottom:1px solid var(--grid)}
.scn-body{padding:4px 18px 16px}
.scn-name{font-weight:700;font-size:16px;overflow-wrap:anywhere;min-width:0}
.parts{color:var(--muted);font-size:13px}
.pills{display:flex;flex-wrap:wrap;gap:6px;margin-left:auto}
.pill{font-size:12px;padding:2px 9px;border-radius:999px;background:var(--band);color:var(--muted);white-space:nowrap;border:1px solid var(--grid)}
.pill.bad{color:var(--fail)}.pill.strong{background:var(--fail);color:var(--on);border-color:var(--fail);font-weight:600}
.pill.good{color:var(--pass)}
.dot{width:10px;height:10px;border-radius:50%;flex:none;background:var(--faint)}
.dot.pass{background:var(--pass)}.dot.fail{background:var(--fail)}
.nodata{grid-column:1/-1;margin:6px 0}
.sub-card{min-width:0}
.facts{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,260px),1fr));gap:14px 22px;margin-top:18px;padding-top:14px;border-top:1px solid var(--grid)}
.kv{display:grid;grid-template-columns:auto 1fr;gap:2px 14px;margin:0;font-size:13px;max-width:340px}
td.ph{white-space:nowrap}
.span2{grid-column:span 2}
.kv div{display:contents}
.kv dt{color:var(--muted)}.kv dd{margin:0;font-variant-numeric:tabular-nums;text-align:right}
.chips{display:flex;flex-wrap:wrap;gap:5px}
.chip{font-size:12px;padding:1px 8px;border-radius:5px;background:var(--band);border:1px solid var(--grid);white-space:nowrap;max-width:100%;overflow:hidden;text-overflow:ellipsis}
.sub-card .tbl+.hh{margin-top:16px}
.chip b{font-weight:600}.chip i{font-style:normal;color:var(--muted)}
.chip.good b{color:var(--pass)}.chip.warn b{color:var(--warn)}.chip.bad b{color:var(--fail)}
table.timings tr.lat td:first-child{font-weight:600}
.index table td{vertical-align:middle}
#tip{position:fixed;z-index:10;pointer-events:none;background:var(--fg);color:var(--bg);font-size:12px;line-height:1.4;padding:6px 9px;border-radius:6px;white-space:pre;max-width:420px;box-shadow:0 4px 14px rgba(0,0,0,.2)}
#tip[hidden]{display:none}
@media (max-width:900px){.span2{grid-column:1/-1}th,td{padding:5px 6px}th.num{white-space:normal}main{padding:12px 12px 32px}.card{padding:12px 12px}.scn-body{padding:4px 12px 12px}details.scn>summary{padding:10px 12px}.pills{margin-left:0}}
@media print{#tip{display:none}details.scn>summary::before{content:none}}
"#;

/// Tooltips for chart elements carrying `data-tip`.
const JS: &str = r#"(function(){
var tip=document.getElementById('tip');
function hide(){tip.hidden=true;}
document.addEventListener('mousemove',function(e){
var el=e.target&&e.target.closest?e.target.closest('[data-tip]'):null;
if(!el){hide();return;}
tip.textContent=el.getAttribute('data-tip');tip.hidden=false;
var x=e.clientX+14,y=e.clientY+14,w=tip.offsetWidth,h=tip.offsetHeight;
if(x+w>window.innerWidth-8)x=e.clientX-w-14;
if(y+h>window.innerHeight-8)y=e.clientY-h-14;
tip.style.left=Math.max(4,x)+'px';tip.style.top=Math.max(4,y)+'px';
});
document.addEventListener('mouseleave',hide);
window.addEventListener('scroll',hide,{passive:true});
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::model::{PhaseSpan, ScenarioSeries, SeriesPoint, TestRecord};
    use crate::ast::PhaseKind;
    use crate::metrics::testkit::*;
    use crate::metrics::{Collector, ErrorClass, Injected};
    use crate::plan::{Chaos, CmpOp, Metric, Outcome, Plan, Quantity, SloExpr};

    /// splitmix64: deterministic noise for synthetic samples.
    struct Noise(u64);

    impl Noise {
        fn next(&mut self) -> f64 {
            self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) as f64 / u64::MAX as f64
        }
    }

    /// One synthetic request attempt.
    struct Shot {
        scenario: usize,
        step: usize,
        at_us: u64,
        latency_us: u64,
        status: Option<u16>,
        error: Option<ErrorClass>,
    }

    const STAGES: [(&str, u64, u64); 3] =
        [("warm", 0, 10), ("steady", 10, 50), ("cooldown", 50, 60)];
    const CHAOS: (u64, u64) = (25, 40);

    fn stage_of(at_us: u64) -> usize {
        STAGES
            .iter()
            .position(|(_, a, b)| at_us >= a * S && at_us < b * S)
            .unwrap_or(STAGES.len() - 1)
    }

    /// Requests of five scenarios over 60s: ramp up, steady, cool down; a chaos window.
    fn shots(scenarios: &[&str]) -> Vec<Shot> {
        let mut n = Noise(42);
        let mut out = Vec::new();
        for (si, name) in scenarios.iter().enumerate() {
            for sec in 0..60u64 {
                let rps = match sec {
                    0..10 => 4 + sec * 2,
                    10..50 => 24,
                    _ => 24 - (sec - 50) * 2,
                };
                let chaos = (CHAOS.0..CHAOS.1).contains(&sec);
                for k in 0..rps {
                    let at_us = sec * S + k * S / rps;
                    let base = 60.0 + 90.0 * n.next() + 250.0 * n.next().powi(8);
                    let roll = n.next();
                    let (mut ms, mut status, mut error) = (base, Some(200), None);
                    match *name {
                        "high_429s" if roll < 0.3 => {
                            ms = 8.0 + 10.0 * n.next();
                            status = Some(429);
                            error = Some(ErrorClass::Status);
                        }
                        "slow_provider" if roll < 0.5 => ms += 2000.0 * (0.8 + 0.4 * n.next()),
                        "outage" if chaos && roll < 0.7 => {
                            ms = 20.0 + 30.0 * n.next();
                            status = Some(503);
                            error = Some(ErrorClass::Status);
                        }
                        "outage" if chaos => ms *= 3.0,
                        "stalls" if roll < 0.2 => {
                            ms = 1000.0;
                            status = None;
                            error = Some(ErrorClass::Timeout);
                        }
                        _ => {}
                    }
                    let step = usize::from(k % 3 == 2);
                    if step == 1 {
                        ms *= 0.6;
                    }
                    out.push(Shot {
                        scenario: si,
                        step,
                        at_us,
                        latency_us: (ms * 1000.0) as u64,
                        status,
                        error,
                    });
                }
            }
        }
        out
    }

    fn bad_day_plan(scenarios: &[&str]) -> Plan {
        let stages = STAGES
            .iter()
            .enumerate()
            .map(|(i, (_, a, b))| hold(b - a, Some(i)))
            .collect();
        let names: Vec<&str> = STAGES.iter().map(|s| s.0).collect();
        let mut p = plan(scenarios, stages, &names);
        let t = &mut p.tests[0];
        t.name = "bad day at the provider".into();
        t.chaos = Some(Chaos {
            from: Duration(CHAOS.0 * S),
            to: Duration(CHAOS.1 * S),
            scenarios: vec![],
            start: vec![],
            stop: vec![],
        });
        let mut success = slo(
            "success_rate >= 90%",
            metric(Metric::SuccessRate),
            CmpOp::Ge,
            konst(90.0, Unit::Percent),
        );
        success.line = 45;
        let mut every = slo(
            "p95(latency) < 500ms in every 10s",
            p95(Quantity::Latency),
            CmpOp::Lt,
            konst(500_000.0, Unit::Duration),
        );
        every.every = Some(Duration(10 * S));
        every.line = 46;
        let mut chaos = slo(
            "p95(latency) during chaos < 3 * p95(latency) before chaos",
            during(p95(Quantity::Latency), PhaseKind::During, "chaos"),
            CmpOp::Lt,
            SloExpr::Mul(
                Box::new(konst(3.0, Unit::Number)),
                Box::new(during(p95(Quantity::Latency), PhaseKind::Before, "chaos")),
            ),
        );
        chaos.line = 47;
        let mut base = slo(
            "success_rate == 100%",
            metric(Metric::SuccessRate),
            CmpOp::Eq,
            konst(100.0, Unit::Percent),
        );
        base.scenario = Some("baseline".into());
        base.line = 48;
        t.slos = vec![success, every, chaos, base];
        p
    }

    /// Per second percentile of sorted `v`.
    fn q(v: &[u64], q: f64) -> u64 {
        if v.is_empty() {
            return 0;
        }
        let i = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1;
        v[i]
    }

    fn series_of(shots: &[Shot], scenarios: &[&str]) -> Vec<ScenarioSeries> {
        let mut phases: Vec<PhaseSpan> = STAGES
            .iter()
            .map(|(name, a, b)| PhaseSpan {
                name: name.to_string(),
                start_us: a * S,
                end_us: b * S,
            })
            .collect();
        phases.push(PhaseSpan {
            name: "chaos".into(),
            start_us: CHAOS.0 * S,
            end_us: CHAOS.1 * S,
        });
        scenarios
            .iter()
            .enumerate()
            .map(|(si, name)| {
                let points = (0..60u64)
                    .map(|sec| {
                        let these: Vec<&Shot> = shots
                            .iter()
                            .filter(|s| s.scenario == si && s.at_us / S == sec)
                            .collect();
                        let mut lat: Vec<u64> = these.iter().map(|s| s.latency_us).collect();
                        lat.sort_unstable();
                        SeriesPoint {
                            t_s: sec,
                            requests: these.len() as u64,
                            errors: these.iter().filter(|s| s.error.is_some()).count() as u64,
                            p50_us: q(&lat, 0.5),
                            p90_us: q(&lat, 0.9),
                            p99_us: q(&lat, 0.99),
                            max_us: q(&lat, 1.0),
                        }
                    })
                    .collect();
                ScenarioSeries {
                    scenario: name.to_string(),
                    started_at: None,
                    points,
                    phases: phases.clone(),
                }
            })
            .collect()
    }

    /// A realistic record: five scenarios of a bad day at an LLM provider over 60s.
    fn bad_day() -> TestRecord {
        let scenarios = ["baseline", "high_429s", "slow_provider", "outage", "stalls"];
        let p = bad_day_plan(&scenarios);
        let shots = shots(&scenarios);
        let mut c = Collector::new(&p, 0);
        for si in 0..scenarios.len() {
            c.scenario_started(si);
        }
        for s in &shots {
            let mut a = attempt(s.scenario, s.step, s.at_us, s.latency_us);
            a.phase = Some(stage_of(s.at_us));
            a.status = s.status;
            a.error = s.error;
            a.failed = s.error.is_some();
            if a.failed {
                a.injected = Some(Injected {
                    rule: 0,
                    fault: None,
                });
            }
            c.attempt(a);
            if s.step == 1 {
                let mut it = iteration(s.scenario, s.at_us, s.latency_us * 3);
                it.phase = Some(stage_of(s.at_us));
                it.cost = 0.0004 + s.latency_us as f64 * 1e-9;
                if s.error.is_some() {
                    it.retries = 2;
                    it.outcome = if s.scenario == 3 {
                        Outcome::BudgetExceeded
                    } else {
                        Outcome::Success
                    };
                }
                c.iteration(it);
            }
        }
        for si in 0..scenarios.len() {
            c.scenario_finished(si, 60 * S);
        }
        let m = c.finish();
        let v = crate::slo::evaluate(&p, 0, &m);
        TestRecord {
            file: "scenarios/bad_day.stress".into(),
            report: crate::report::build(&p, 0, &m, &v, 42, false),
            series: series_of(&shots, &scenarios),
        }
    }

    /// A small passing test: one scenario, no stages.
    fn smoke() -> TestRecord {
        let mut p = plan(&["quickstart"], vec![hold(20, None)], &[]);
        p.tests[0].name = "smoke: checkout".into();
        let mut ok = slo(
            "p95(latency) < 300ms",
            p95(Quantity::Latency),
            CmpOp::Lt,
            konst(300_000.0, Unit::Duration),
        );
        ok.line = 9;
        p.tests[0].slos = vec![ok];
        let mut c = Collector::new(&p, 0);
        let mut n = Noise(7);
        let mut points = Vec::new();
        for sec in 0..20u64 {
            let mut lat = Vec::new();
            for k in 0..10 {
                let l = (40.0 + 60.0 * n.next()) as u64 * MS;
                c.attempt(attempt(0, 0, sec * S + k * 100 * MS, l));
                lat.push(l);
            }
            lat.sort_unstable();
            points.push(SeriesPoint {
                t_s: sec,
                requests: 10,
                errors: 0,
                p50_us: q(&lat, 0.5),
                p90_us: q(&lat, 0.9),
                p99_us: q(&lat, 0.99),
                max_us: q(&lat, 1.0),
            });
        }
        c.scenario_finished(0, 20 * S);
        let m = c.finish();
        let v = crate::slo::evaluate(&p, 0, &m);
        TestRecord {
            file: "scenarios/quickstart.stress".into(),
            report: crate::report::build(&p, 0, &m, &v, 7, false),
            series: vec![ScenarioSeries {
                scenario: "quickstart".into(),
                started_at: None,
                points,
                phases: vec![],
            }],
        }
    }

    fn charts(html: &str) -> usize {
        html.matches("<figure class=\"chart\">").count()
    }

    /// Charts the page should hold: per test, 2 comparison bars (when compared), and per
    /// scenario latency + throughput over time (when it has a series) and the spectrum.
    fn expected_charts(records: &[TestRecord]) -> usize {
        records
            .iter()
            .map(|r| {
                let cmp = if r.report.comparison.is_empty() { 0 } else { 2 };
                let per: usize = r
                    .report
                    .scenarios
                    .iter()
                    .map(|sc| {
                        let series = r.series.iter().any(|x| x.scenario == sc.name);
                        1 + if series { 2 } else { 0 }
                    })
                    .sum();
                cmp + per
            })
            .sum()
    }

    #[test]
    fn loads_nothing_from_the_network() {
        let html = render(&[bad_day(), smoke()]);
        let rest = html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
        assert!(!rest.contains("http://"), "http:// in the page");
        assert!(!rest.contains("https://"), "https:// in the page");
        assert!(!rest.contains("<link"));
        assert!(!rest.contains(" src="));
        assert!(!rest.contains("@import"));
        assert!(!rest.contains("url("));
    }

    #[test]
    fn escapes_user_text() {
        let mut r = smoke();
        r.report.test = "<script>alert(1)</script> & \"friends\"".into();
        r.report.scenarios[0].name = "<b>x</b>".into();
        r.series[0].scenario = "<b>x</b>".into();
        r.report.slos[0].text = "p95(latency) < 300ms <img onerror=x>".into();
        r.report.slos[0].scenario = "<b>x</b>".into();
        let html = render(&[r]);
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the page's own script"
        );
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;friends&quot;"));
        assert!(!html.contains("<b>x</b>"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img onerror=x&gt;"));
    }

    #[test]
    fn one_svg_per_chart() {
        let records = [bad_day(), smoke()];
        let html = render(&records);
        let expected = expected_charts(&records);
        assert_eq!(expected, 5 * 3 + 2 + 3);
        assert_eq!(charts(&html), expected);
        assert_eq!(html.matches("<svg").count(), expected);
        assert_eq!(html.matches("</svg>").count(), expected);
    }

    #[test]
    fn same_input_same_output() {
        let records = [bad_day(), smoke()];
        let a = render(&records);
        let b = render(&records.clone());
        assert_eq!(a, b);
        assert_eq!(a, render(&[bad_day(), smoke()]));
    }

    #[test]
    fn shows_verdict_slos_and_units() {
        let html = render(&[bad_day()]);
        assert!(html.contains("<span class=\"badge fail\">FAILED</span>"));
        assert!(html.contains("scenarios/bad_day.stress:46"));
        assert!(html.contains(">✗</td>") && html.contains(">✓</td>"));
        assert!(html.contains("500ms"));
        for stage in ["warm", "steady", "cooldown", "chaos"] {
            assert!(
                html.contains(&format!(">{stage}</text>")),
                "{stage} lane label"
            );
        }
        assert!(!html.contains("NaN") && !html.contains("inf\""));
    }

    #[test]
    fn edge_cases_render() {
        let base = bad_day();
        // Zero requests, one point, no series, a very long name.
        let mut r = base.clone();
        let mut empty = r.report.scenarios[0].clone();
        empty.name = "idle".into();
        empty.requests.count = 0;
        empty.requests.failed = 0;
        empty.requests.error_rate_pct = None;
        empty.requests.throughput_per_s = None;
        empty.requests.statuses.clear();
        empty.timings.clear();
        empty.iterations = 0;
        empty.outcomes.clear();
        r.report.scenarios.push(empty);
        r.series.push(ScenarioSeries {
            scenario: "idle".into(),
            started_at: None,
            points: vec![SeriesPoint {
                t_s: 0,
                requests: 0,
                errors: 0,
                p50_us: 0,
                p90_us: 0,
                p99_us: 0,
                max_us: 0,
            }],
            phases: vec![],
        });
        r.series[1].points.truncate(1);
        r.series[1].phases.clear();
        r.series.remove(2);
        r.report.test = "x".repeat(400);
        let html = render(&[r.clone()]);
        assert_eq!(charts(&html), expected_charts(&[r]));
        assert!(html.contains("no requests"));
        assert!(html.contains("No time series"));
        assert!(!html.contains("NaN"));

        // 50 scenarios.
        let mut r = base.clone();
        let proto = r.report.scenarios[1].clone();
        let row = r.report.comparison[1].clone();
        let series = r.series[1].clone();
        r.report.scenarios.clear();
        r.report.comparison.clear();
        r.series.clear();
        for i in 0..50 {
            let name = format!("scenario_{i:02}_with_a_rather_long_name");
            let mut sc = proto.clone();
            sc.name = name.clone();
            r.report.scenarios.push(sc);
            let mut cr = row.clone();
            cr.scenario = name.clone();
            r.report.comparison.push(cr);
            let mut se = series.clone();
            se.scenario = name;
            r.series.push(se);
        }
        let html = render(&[r.clone()]);
        assert_eq!(charts(&html), expected_charts(&[r]));

        // Nothing at all.
        let html = render(&[]);
        assert!(html.contains("No test ran."));
        assert_eq!(html.matches("<svg").count(), 0);
    }

    #[test]
    fn latency_bounds_read_step_and_phase() {
        assert_eq!(latency_metric("p95(latency)"), Some(None));
        assert_eq!(latency_metric("step chat: max(latency)"), Some(None));
        assert_eq!(
            latency_metric("p99.9(latency) during chaos"),
            None,
            "p999 is written without the dot"
        );
        assert_eq!(
            latency_metric("p95(latency) before chaos"),
            Some(Some(("before".into(), "chaos".into())))
        );
        assert_eq!(latency_metric("p95(latency) - p50(latency)"), None);
        assert_eq!(latency_metric("p95(duration)"), None);
        assert_eq!(esc_wbr("slow_provider"), "slow_<wbr>provider");
        assert_eq!(base_name("scenarios/bad_day.stress"), "bad_day.stress");
        assert_eq!(
            fit_mid("generated_scenario_number_07", 13.0 * 6.6, 11.0).as_deref(),
            Some("genera…ber_07")
        );
    }

    /// Writes the edge cases (a very long name, an idle scenario, 50 scenarios) to
    /// /tmp/stress-shot/edge.html, to look at.
    #[test]
    #[ignore]
    fn write_edge_html() {
        let mut r = bad_day();
        r.report.test = format!("{} <b>not bold</b>", "a_very_long_test_name_".repeat(12));
        let proto = r.report.scenarios[1].clone();
        let row = r.report.comparison[1].clone();
        let series = r.series[1].clone();
        for i in 0..45 {
            let name = format!("generated_scenario_number_{i:02}");
            let mut sc = proto.clone();
            sc.name = name.clone();
            r.report.scenarios.push(sc);
            let mut cr = row.clone();
            cr.scenario = name.clone();
            cr.p95_duration_us = cr.p95_duration_us.map(|v| v + i * 37_000);
            r.report.comparison.push(cr);
            let mut se = series.clone();
            se.scenario = name;
            se.points.truncate(1 + i as usize);
            r.series.push(se);
        }
        r.report.scenarios[2].timings.clear();
        r.report.scenarios[2].requests.count = 0;
        r.series[2].points.iter_mut().for_each(|p| {
            *p = SeriesPoint {
                t_s: p.t_s,
                requests: 0,
                errors: 0,
                p50_us: 0,
                p90_us: 0,
                p99_us: 0,
                max_us: 0,
            }
        });
        r.series.remove(3);
        std::fs::create_dir_all("/tmp/stress-shot").expect("mkdir");
        std::fs::write("/tmp/stress-shot/edge.html", render(&[r])).expect("write");
    }

    /// Writes the text and Markdown reports of the sample records to /tmp/stress-shot/, to
    /// compare the three renderers side by side.
    #[test]
    #[ignore]
    fn write_sample_text_and_markdown() {
        let dir = std::path::Path::new("/tmp/stress-shot");
        std::fs::create_dir_all(dir).expect("create /tmp/stress-shot");
        let (mut text, mut md) = (String::new(), String::new());
        for r in [bad_day(), smoke()] {
            text.push_str(&crate::report::render_text(&r.report, false));
            md.push_str(&crate::report::render_markdown(&r.report));
        }
        std::fs::write(dir.join("report.txt"), text).expect("write report.txt");
        std::fs::write(dir.join("report.md"), md).expect("write report.md");
    }

    /// Writes a realistic page to /tmp/stress-shot/report.html for `scripts/screenshot.sh`.
    #[test]
    #[ignore]
    fn write_sample_html() {
        let dir = std::path::Path::new("/tmp/stress-shot");
        std::fs::create_dir_all(dir).expect("create /tmp/stress-shot");
        let html = render(&[bad_day(), smoke()]);
        std::fs::write(dir.join("report.html"), html).expect("write report.html");
    }
}
