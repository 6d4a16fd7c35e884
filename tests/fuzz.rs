//! The front end's fuzzing harness (docs/fuzzing.md): an in-process mutation loop over every
//! `.stress` file in the repository, through `parse`, `check`, `lower`, `fmt` and diagnostic
//! rendering, with these invariants on every input:
//!
//! - no panic, and at most [`BOUND`] per input (parsing is linear: no input makes it hang);
//! - accepted ⇒ `lower` builds a plan without a single lossy number conversion (every numeric
//!   slot was checked against its domain, so the plan holds exactly what was written);
//! - parsed ⇒ `fmt` is idempotent, and the formatted text is accepted exactly when the original
//!   is, with the same plan (spans aside).
//!
//! `cargo test --release fuzz` runs a short, deterministic pass (a few thousand inputs). A long
//! run: `STRESS_FUZZ_SECONDS=1200 cargo test --release fuzz::mutation_loop -- --nocapture`
//! (`STRESS_FUZZ_INPUTS` bounds the count instead, `STRESS_FUZZ_SEED` picks another sequence).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use stress::diag::{Problem, RenderOptions, render};
use stress::source::SourceFile;

/// Most time one input may take through the whole front end (release build; debug builds get
/// ten times as long). Real inputs take microseconds; a hang took seconds to minutes.
const BOUND: Duration = Duration::from_secs(1);

/// [`BOUND`] per started 10 kB of input (mutations insert up to 40 kB of filler).
fn bound(len: usize) -> Duration {
    let per_size = BOUND * (1 + len / 10_000) as u32;
    if cfg!(debug_assertions) {
        per_size * 10
    } else {
        per_size
    }
}

/// splitmix64: a small deterministic generator (no crate needed, reproducible by seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// Every `.stress` file in the repository (scenarios, examples, bench, tests).
pub(crate) fn seeds() -> &'static [(PathBuf, String)] {
    static SEEDS: std::sync::OnceLock<Vec<(PathBuf, String)>> = std::sync::OnceLock::new();
    SEEDS.get_or_init(read_seeds)
}

fn read_seeds() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "stress") {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    out.push((path, text));
                }
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    for dir in ["scenarios", "examples", "bench", "tests"] {
        walk(&root.join(dir), &mut out);
    }
    out
}

const NUMBERS: &[&str] = &[
    "0",
    "-5",
    "-1",
    "1",
    "0.5",
    "-0",
    "4294967296",
    "18446744073709551616",
    "999999999999999999999999",
    "1_000_000_000_000_000",
    "1e9",
    "0.0000001",
    "65536",
    "-2147483649",
];
const UNITS: &[&str] = &[
    "", "s", "ms", "us", "m", "h", "%", "/s", "/m", "KiB", "MB/s", "xx", "users",
];
const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "{a:",
    "${",
    "\"",
    "'",
    "\"\"\"",
    ",",
    ":",
    "..",
    "-",
    "!",
    "#",
    "\n",
    "\r",
    "\r\n",
    "\u{c}",
    "\t",
    " ",
    "+",
    "*",
    "/",
    "%",
    "==",
    "=>",
    ".",
    "$",
    "\\",
    "users",
    "iterations",
    "repeat",
    "retry",
    "attempts",
    "timeout",
    "every",
    "within",
    "chaos",
    "from",
    "to",
    "burst(length: 0)",
    "capacity",
    "latency",
    "tokens",
    "hold",
    "ramp",
    "rate",
    "for",
    "over",
    "pause",
    "limit",
    "max",
    "count(status)",
    "p95(latency)",
    "slo",
    "test",
    "workload",
    "profile",
    "scenario",
    "during",
    "json.x",
    "status",
    "é",
    "\u{1F600}",
];

/// One mutation of `text`, with `other` available for splices.
fn mutate(rng: &mut Rng, text: &str, other: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = |rng: &mut Rng, len: usize| rng.below(len + 1);
    match rng.below(12) {
        // byte flip
        0 => {
            if !bytes.is_empty() {
                let i = rng.below(bytes.len());
                bytes[i] = *rng.pick(b"(){}[]\"'$#,:\n\r-0123456789.%_ax\t\\=!<>+*/");
            }
        }
        // token insertion
        1 | 2 => {
            let i = at(rng, bytes.len());
            let token = rng.pick(TOKENS).as_bytes();
            bytes.splice(i..i, token.iter().copied());
        }
        // a number (with a unit) replaced by a hostile one
        3 | 4 => {
            let digits: Vec<usize> = (0..bytes.len())
                .filter(|&i| {
                    bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric())
                })
                .collect();
            let number = format!("{}{}", rng.pick(NUMBERS), rng.pick(UNITS));
            if digits.is_empty() {
                let i = at(rng, bytes.len());
                bytes.splice(i..i, number.bytes());
            } else {
                let start = *rng.pick(&digits);
                let mut end = start;
                while end < bytes.len()
                    && (bytes[end].is_ascii_alphanumeric() || b"._%/".contains(&bytes[end]))
                {
                    end += 1;
                }
                let number = if rng.below(3) == 0 {
                    // keep the unit, negate or enlarge the number
                    let word = String::from_utf8_lossy(&bytes[start..end]).to_string();
                    if rng.below(2) == 0 {
                        format!("-{word}")
                    } else {
                        format!("99999999999999999999{word}")
                    }
                } else {
                    number
                };
                bytes.splice(start..end, number.bytes());
            }
        }
        // splice from another file
        5 => {
            if !other.is_empty() {
                let a = rng.below(other.len());
                let b = (a + rng.below(200)).min(other.len());
                let i = at(rng, bytes.len());
                bytes.splice(i..i, other.as_bytes()[a..b].iter().copied());
            }
        }
        // deep nesting
        6 => {
            let opener = *rng.pick(&["(", "[", "{a:", "\"${", "{", "f(", "-", "!", ".a", "[0]"]);
            let n = 1 + rng.below(80);
            let i = at(rng, bytes.len());
            bytes.splice(i..i, opener.repeat(n).bytes());
        }
        // line endings
        7 => {
            let ending = *rng.pick(&["\r\n", "\r", "\u{c}\n", "\n\n"]);
            let s = String::from_utf8_lossy(&bytes).replace('\n', ending);
            bytes = s.into_bytes();
        }
        // a long line
        8 => {
            let filler = *rng.pick(&[" ", "\t", "x", "é", "a+", "\"x\""]);
            let n = 1000 + rng.below(40_000);
            let i = at(rng, bytes.len());
            bytes.splice(i..i, filler.repeat(n / filler.len().max(1)).bytes());
        }
        // delete a chunk
        9 => {
            if !bytes.is_empty() {
                let a = rng.below(bytes.len());
                let b = (a + 1 + rng.below(40)).min(bytes.len());
                bytes.drain(a..b);
            }
        }
        // duplicate a chunk
        10 => {
            if !bytes.is_empty() {
                let a = rng.below(bytes.len());
                let b = (a + 1 + rng.below(80)).min(bytes.len());
                let chunk = bytes[a..b].to_vec();
                bytes.splice(b..b, chunk);
            }
        }
        // everything on one line
        _ => {
            let s = String::from_utf8_lossy(&bytes).replace('\n', " ");
            bytes = s.into_bytes();
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The plan as JSON with every source position removed (they move when text is reformatted),
/// and the source text of SLOs and fault rules without its spaces and trailing commas (`a==1`
/// is shown as written).
fn plan_json(plan: &stress::plan::Plan) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(map) => {
                map.remove("origin");
                map.remove("line");
                for key in ["text", "label"] {
                    if let Some(serde_json::Value::String(text)) = map.get_mut(key) {
                        text.retain(|c| !c.is_whitespace());
                        // `fmt` drops a trailing comma (`retries_by(429,)`).
                        *text = text
                            .replace(",)", ")")
                            .replace(",]", "]")
                            .replace(",}", "}");
                    }
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(plan).expect("a plan serializes");
    strip(&mut v);
    v
}

/// Parse → check → lower; the plan (positions removed) when accepted, else the problems.
fn front_end(text: &str) -> Result<serde_json::Value, Vec<Problem>> {
    let file = SourceFile::new("fuzz.stress", text);
    let ast = stress::syntax::parse(&file)
        .map_err(|errors| errors.into_iter().map(Problem::from).collect::<Vec<_>>())?;
    let checked = stress::checker::check(&file, &ast, None)
        .map_err(|errors| errors.into_iter().map(Problem::from).collect::<Vec<_>>())?;
    // Only what lowering converts counts (the checker reports its own).
    stress::checker::take_lossy_conversions();
    let plan = stress::checker::lower(&checked);
    let lossy = stress::checker::take_lossy_conversions();
    assert!(
        lossy.is_empty(),
        "accepted, but the plan changed numbers silently: {lossy:?}"
    );
    Ok(plan_json(&plan))
}

/// Every invariant on one input; `Err` names the one broken.
fn invariants(text: &str) -> Result<(), String> {
    let original = front_end(text);
    if let Err(problems) = &original {
        let file = SourceFile::new("fuzz.stress", text);
        // As the CLI does: the first MAX_SHOWN are rendered, the rest counted.
        for p in problems.iter().take(stress::diag::MAX_SHOWN) {
            let _ = render(p, Some(&file), RenderOptions::plain());
        }
    }
    let file = SourceFile::new("fuzz.stress", text);
    let Ok(ast) = stress::syntax::parse(&file) else {
        return Ok(());
    };
    let formatted = stress::fmt::format(&file, &ast);
    if formatted == text {
        return Ok(());
    }
    let file2 = SourceFile::new("fuzz.stress", formatted.as_str());
    let ast2 = stress::syntax::parse(&file2)
        .map_err(|e| format!("fmt output does not parse: {e:?}\n--- formatted:\n{formatted}"))?;
    let twice = stress::fmt::format(&file2, &ast2);
    if twice != formatted {
        return Err(format!(
            "fmt is not idempotent\n--- once:\n{formatted}\n--- twice:\n{twice}"
        ));
    }
    let after = front_end(&formatted);
    match (&original, &after) {
        (Ok(a), Ok(b)) if a != b => Err(format!(
            "fmt changed the plan at {}\n--- formatted:\n{formatted}",
            first_difference(a, b, "")
        )),
        (Ok(_), Err(p)) => Err(format!("fmt made an accepted file fail: {p:?}")),
        (Err(_), Ok(_)) => Err("fmt made a rejected file pass".into()),
        _ => Ok(()),
    }
}

/// Runs [`invariants`] on a big-stack thread, catching a panic and timing it. An input over
/// the time bound is tried once more, so that a busy machine does not make a false alarm.
pub(crate) fn probe(text: &str) -> Result<Duration, String> {
    match probe_once(text) {
        Err(slow) if slow.starts_with("took") => probe_once(text),
        other => other,
    }
}

fn probe_once(text: &str) -> Result<Duration, String> {
    let owned = text.to_string();
    // CPU time of the thread that did the work: a machine busy with other jobs does not count.
    let (outcome, elapsed) = stress::frontend::on_big_stack(move || {
        let started = thread_cpu_time();
        let outcome = std::panic::catch_unwind(|| invariants(&owned));
        (outcome, thread_cpu_time().saturating_sub(started))
    })
    .expect("catch_unwind returns");
    match outcome {
        Err(panic) => {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            Err(format!("panic: {msg}"))
        }
        Ok(Err(broken)) => Err(broken),
        Ok(Ok(())) if elapsed > bound(text.len()) => Err(format!("took {elapsed:?}")),
        Ok(Ok(())) => Ok(elapsed),
    }
}

/// CPU time used by the calling thread.
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Where two JSON values first differ: `tests[0].slos[1].text: "a" vs "b"`.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: &str) -> String {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                let here = format!("{path}.{k}");
                match y.get(k) {
                    Some(vb) if va != vb => return first_difference(va, vb, &here),
                    None => return format!("{here}: only before fmt"),
                    _ => {}
                }
            }
            format!("{path}: keys added by fmt")
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find(|(_, (va, vb))| va != vb)
            .map_or_else(String::new, |(i, (va, vb))| {
                first_difference(va, vb, &format!("{path}[{i}]"))
            }),
        _ => format!("{path}: {a} vs {b}"),
    }
}

/// `STRESS_FUZZ_REPLAY=DIR_OR_FILE cargo test --release --test tests fuzz::replay -- --nocapture`
/// probes saved inputs again (e.g. target/tmp/fuzz-failures/) and prints what each breaks.
#[test]
fn replay() {
    let Some(path) = std::env::var_os("STRESS_FUZZ_REPLAY") else {
        return;
    };
    let path = PathBuf::from(path);
    let files: Vec<PathBuf> = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(&path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        v.sort();
        v
    } else {
        vec![path]
    };
    let mut broken = 0;
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        match probe(&text) {
            Ok(t) => eprintln!("{}: ok ({t:?})", file.display()),
            Err(e) => {
                broken += 1;
                let e: String = e.chars().take(600).collect();
                eprintln!("{}: {e}", file.display());
            }
        }
    }
    assert_eq!(broken, 0, "{broken} input(s) still break an invariant");
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

#[test]
fn mutation_loop() {
    let seeds = seeds();
    assert!(
        seeds.len() >= 40,
        "expected the repo's .stress files, found {}",
        seeds.len()
    );
    let default_inputs = if cfg!(debug_assertions) { 300 } else { 3000 };
    let seconds = env_number("STRESS_FUZZ_SECONDS");
    let inputs = env_number("STRESS_FUZZ_INPUTS").unwrap_or(if seconds.is_some() {
        u64::MAX
    } else {
        default_inputs
    });
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let mut rng = Rng(env_number("STRESS_FUZZ_SEED").unwrap_or(14));
    // Silence the default hook: a caught panic is reported below with its input.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures: Vec<String> = Vec::new();
    let (mut done, mut slowest) = (0u64, Duration::ZERO);
    for (path, text) in seeds {
        if let Err(broken) = probe(text) {
            failures.push(format!("{}: {broken}", path.display()));
        }
    }
    while done < inputs && deadline.is_none_or(|d| Instant::now() < d) && failures.len() < 5 {
        let (_, base) = rng.pick(seeds);
        let (_, other) = rng.pick(seeds);
        let mut text = base.clone();
        for _ in 0..1 + rng.below(4) {
            text = mutate(&mut rng, &text, other);
        }
        match probe(&text) {
            Ok(t) if t > slowest => {
                slowest = t;
                // The slowest input so far, to profile it: target/tmp/fuzz-slowest.stress.
                let path =
                    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-slowest.stress");
                let _ = std::fs::write(path, &text);
            }
            Ok(_) => {}
            Err(broken) => {
                // The whole input, to reproduce it: target/fuzz-failures/N.stress.
                let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
                let saved = dir.join(format!("{}.stress", failures.len()));
                let _ = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&saved, &text));
                let broken: String = broken.chars().take(2000).collect();
                let shown: String = text.chars().take(300).collect();
                failures.push(format!(
                    "{broken}\n--- input ({} bytes, saved to {}), starting:\n{shown:?}",
                    text.len(),
                    saved.display()
                ));
            }
        }
        done += 1;
    }
    std::panic::set_hook(hook);
    eprintln!(
        "fuzz: {done} mutated inputs + {} seeds, slowest {slowest:?} (saved to target/tmp/fuzz-slowest.stress), {} failures",
        seeds.len(),
        failures.len()
    );
    for failure in &failures {
        eprintln!("{failure}\n");
    }
    assert!(failures.is_empty(), "{} failures (above)", failures.len());
}

/// The worst shapes found so far, each about 10 kB: every one is answered well under a second.
#[test]
fn worst_shapes_parse_in_linear_time() {
    let ten_k = |unit: &str| unit.repeat(10_000 / unit.len().max(1));
    let deep = |opener: &str| opener.repeat(60);
    let mut shapes: Vec<(String, String)> = Vec::new();
    for opener in [
        "(", "[", "{a:", "f(", "\"${", "{", "[(", "{a:[", "\"${(", "p95(",
    ] {
        for context in [
            "let x = ",
            "workload w { think ",
            "workload w { request r: get t \"/\" { json ",
            "test \"t\" { slo { p95(latency) < ",
            "scenario s { error_rate(",
            "profile p { users ",
            "target t mock { latency ",
            "bogus ",
            "workload w { bogus ",
        ] {
            // unclosed at the end, and unclosed followed by 10 kB of text
            shapes.push((
                format!("{context}/{opener}"),
                format!("{context}{}", deep(opener)),
            ));
            shapes.push((
                format!("{context}/{opener} + filler"),
                format!("{context}{}\n{}", deep(opener), ten_k("let a = 1\n")),
            ));
        }
    }
    for (name, unit) in [
        ("operators", "1 + "),
        ("unary", "-"),
        ("not", "!"),
        ("fields", ".a"),
        ("calls", "()"),
        ("bad statements", "workload w { bogus (\n"),
        ("CR comments", "# (((\r"),
        ("CR strings", "let a = \"(((\r"),
        ("form feeds", "\u{c}"),
        ("tabs", "\t"),
        ("balanced parens", "(1)+"),
        ("objects", "{a: 1, b: [1, 2]} + "),
        ("interpolations", "\"${\"${1}\"}\" + "),
    ] {
        shapes.push((name.to_string(), format!("let x = {}1\n", ten_k(unit))));
    }
    // `let`s that each read the one before twice (2^80 paths through the chain), and a `let`
    // of itself, read by a capture (fuzz seed 22: the capture's unit walked every path).
    let doubling: String = (1..=80)
        .map(|i| format!("let a{i} = a{} + a{}\n", i - 1, i - 1))
        .collect();
    let workload = |value: &str| {
        format!(
            "target llm mock {{ api openai }}\nworkload w {{ request r: get llm \"/\" {{ capture t = {value} }} }}\n\
             test \"t\" {{ workload w  profile {{ users 1, iterations 1 }} }}\n"
        )
    };
    shapes.push((
        "a doubling chain of lets".into(),
        format!("let a0 = 1s\n{doubling}{}", workload("a80")),
    ));
    shapes.push((
        "a let of itself".into(),
        format!("let a = a + a * a - a\n{}", workload("a")),
    ));
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let mut failures = Vec::new();
    for (name, text) in &shapes {
        if let Err(broken) = probe(text) {
            failures.push(format!("{name}: {broken}"));
        }
    }
    std::panic::set_hook(hook);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig {
        cases: if cfg!(debug_assertions) { 40 } else { 300 },
        failure_persistence: None,
        ..proptest::prelude::ProptestConfig::default()
    })]

    /// `fmt` is idempotent and keeps the plan, on shipped files mutated one to four times.
    #[test]
    fn fmt_is_idempotent_and_keeps_the_plan(pick in 0usize..1000, seed in proptest::prelude::any::<u64>(), rounds in 1usize..5) {
        let seeds = seeds();
        let (_, base) = &seeds[pick % seeds.len()];
        let (_, other) = &seeds[(pick / 7) % seeds.len()];
        let mut rng = Rng(seed);
        let mut text = base.clone();
        for _ in 0..rounds {
            text = mutate(&mut rng, &text, other);
        }
        if let Err(broken) = probe(&text) {
            proptest::prop_assert!(false, "{}\n--- input:\n{:?}", broken, text);
        }
    }
}
