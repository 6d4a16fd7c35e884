//! deploy/kubernetes stays deployable and in step with itself: every manifest passes the
//! Kubernetes JSON schemas offline (`kubernetes-validate --strict`, for the oldest Kubernetes
//! the Jobs need and the newest it knows), the kustomization renders (`kubectl kustomize`) and
//! the rendered objects pass too, the shipped `load.stress` checks clean, the shard count N
//! agrees in every place it is written, the shell wrappers of the Jobs do what their comments
//! say (run by `/bin/sh` with a stand-in `stress` on PATH, no cluster), and the GitHub Actions
//! workflow of docs/scale-out.md parses and agrees with itself.
//!
//! The validators are outside tools: `.ci/deps.sh` installs them, and with
//! `STRESS_REQUIRE_REAL=1` (CI) a missing one fails the test; elsewhere the test says it was
//! skipped and passes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde::Deserialize as _;
use serde_yaml::Value;

/// podFailurePolicy is stable from 1.31; JOB_COMPLETION_INDEX is older.
const OLDEST_KUBERNETES: &str = "1.31";

/// The start instant the wrapper tests use, and the folder it names.
const START_AT: &str = "2026-12-05T10:00:00Z";
const RUN: &str = "run-2026-12-05T10-00-00Z";

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn dir() -> PathBuf {
    root().join("deploy/kubernetes")
}

fn yaml(name: &str) -> Value {
    let path = dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `value` at a path of keys (strings) and list indexes.
#[track_caller]
fn at<'v>(value: &'v Value, path: &[&str]) -> &'v Value {
    let mut v = value;
    for key in path {
        v = match key.parse::<usize>() {
            Ok(i) => &v[i],
            Err(_) => &v[*key],
        };
        assert!(!v.is_null(), "no `{}` in the manifest", path.join("."));
    }
    v
}

#[track_caller]
fn str_at<'v>(value: &'v Value, path: &[&str]) -> &'v str {
    at(value, path)
        .as_str()
        .unwrap_or_else(|| panic!("`{}` is not a string", path.join(".")))
}

#[track_caller]
fn u64_at(value: &Value, path: &[&str]) -> u64 {
    at(value, path)
        .as_u64()
        .unwrap_or_else(|| panic!("`{}` is not a number", path.join(".")))
}

/// The container (or init container) `name` of a Job.
#[track_caller]
fn container<'v>(job: &'v Value, list: &str, name: &str) -> &'v Value {
    at(job, &["spec", "template", "spec", list])
        .as_sequence()
        .unwrap()
        .iter()
        .find(|c| c["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("no {list} entry named `{name}`"))
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_sequence()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect()
}

/// The literal value of environment variable `name` of a container.
#[track_caller]
fn env_value<'v>(container: &'v Value, name: &str) -> &'v str {
    at(container, &["env"])
        .as_sequence()
        .unwrap()
        .iter()
        .find(|e| e["name"].as_str() == Some(name))
        .and_then(|e| e["value"].as_str())
        .unwrap_or_else(|| panic!("no literal env `{name}`"))
}

/// The shard count N, as the Indexed Job's `completions`.
fn shard_count() -> u64 {
    u64_at(&yaml("shards-job.yaml"), &["spec", "completions"])
}

#[test]
fn the_shipped_load_file_checks_clean() {
    let out =
        crate::support::stress(&["check", "--deny-warnings", "deploy/kubernetes/load.stress"]);
    crate::support::assert_exit(&out, 0);
}

#[test]
fn the_shard_count_agrees_everywhere() {
    let shards = yaml("shards-job.yaml");
    let n = shard_count();
    assert!(n >= 2, "a sharded run has at least 2 shards");
    assert_eq!(str_at(&shards, &["spec", "completionMode"]), "Indexed");
    assert_eq!(
        u64_at(&shards, &["spec", "parallelism"]),
        n,
        "parallelism == completions: every shard runs at once"
    );

    let stress = container(&shards, "containers", "stress");
    let args = strings(at(stress, &["args"]));
    assert_eq!(args[0], "/config/load.stress", "args: {args:?}");
    let after = |flag: &str| {
        let i = args
            .iter()
            .position(|a| a == flag)
            .unwrap_or_else(|| panic!("no `{flag}` in {args:?}"));
        args.get(i + 1)
            .cloned()
            .unwrap_or_else(|| panic!("`{flag}` without a value"))
    };
    assert_eq!(
        after("--shards"),
        n.to_string(),
        "`--shards` == completions"
    );
    assert_eq!(after("--start-at"), "$(START_AT)");
    assert!(
        !args.iter().any(|a| a == "--shard" || a == "--out"),
        "the index comes from JOB_COMPLETION_INDEX and --out from the wrapper: {args:?}"
    );

    let merge = yaml("merge-job.yaml");
    let wait = container(&merge, "initContainers", "wait-for-shards");
    assert_eq!(
        env_value(wait, "SHARDS"),
        n.to_string(),
        "merge-job.yaml's SHARDS == completions"
    );
}

#[test]
fn only_an_slo_failure_counts_as_a_finished_shard() {
    let shards = yaml("shards-job.yaml");
    assert_eq!(
        u64_at(&shards, &["spec", "backoffLimit"]),
        0,
        "a shard is never run again"
    );
    assert_eq!(
        str_at(&shards, &["spec", "template", "spec", "restartPolicy"]),
        "Never"
    );
    let rules = at(&shards, &["spec", "podFailurePolicy", "rules"])
        .as_sequence()
        .unwrap();
    let fail_job: BTreeSet<u64> = rules
        .iter()
        .filter(|r| r["action"].as_str() == Some("FailJob"))
        .filter(|r| r["onExitCodes"]["operator"].as_str() == Some("In"))
        .flat_map(|r| {
            r["onExitCodes"]["values"]
                .as_sequence()
                .unwrap()
                .iter()
                .map(|v| v.as_u64().unwrap())
        })
        .collect();
    for code in [2, 3, 130, 143] {
        assert!(
            fail_job.contains(&code),
            "exit {code} fails the Job: {fail_job:?}"
        );
    }
    assert!(
        !fail_job.contains(&1),
        "exit 1 (an SLO failed) is the merge's to judge"
    );
    assert!(
        rules.iter().all(|r| r["action"].as_str() != Some("Ignore")),
        "Ignore would run a shard again, later than the others"
    );
    let merge = yaml("merge-job.yaml");
    assert_eq!(
        u64_at(&merge, &["spec", "backoffLimit"]),
        0,
        "the verdict is given once"
    );
}

#[test]
fn the_kustomization_lists_every_manifest_and_both_jobs_share_one_rwx_volume() {
    let kustomization = yaml("kustomization.yaml");
    let listed: BTreeSet<String> = strings(at(&kustomization, &["resources"]))
        .into_iter()
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".yaml") && n != "kustomization.yaml")
        .collect();
    assert_eq!(
        listed, on_disk,
        "kustomization.yaml's resources are the folder's manifests"
    );

    let generators = at(&kustomization, &["configMapGenerator"])
        .as_sequence()
        .unwrap();
    let generator = |name: &str| {
        generators
            .iter()
            .find(|g| g["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("no configMapGenerator `{name}`"))
    };
    assert_eq!(strings(&generator("stress-load")["files"]), ["load.stress"]);
    assert_eq!(generator("stress-run")["env"].as_str(), Some("run.env"));
    let run_env = std::fs::read_to_string(dir().join("run.env")).unwrap();
    assert!(
        run_env.lines().any(|l| l.starts_with("START_AT=")),
        "run.env sets START_AT"
    );

    let pvc = yaml("pvc.yaml");
    let claim = str_at(&pvc, &["metadata", "name"]);
    assert_eq!(
        strings(at(&pvc, &["spec", "accessModes"])),
        ["ReadWriteMany"]
    );
    for file in ["shards-job.yaml", "merge-job.yaml"] {
        let job = yaml(file);
        let volumes = at(&job, &["spec", "template", "spec", "volumes"])
            .as_sequence()
            .unwrap();
        let results = volumes
            .iter()
            .find(|v| v["name"].as_str() == Some("results"))
            .expect("a `results` volume");
        assert_eq!(
            str_at(results, &["persistentVolumeClaim", "claimName"]),
            claim,
            "{file}"
        );
    }
    let shards = yaml("shards-job.yaml");
    let volumes = at(&shards, &["spec", "template", "spec", "volumes"])
        .as_sequence()
        .unwrap();
    let config = volumes
        .iter()
        .find(|v| v["name"].as_str() == Some("config"))
        .expect("a `config` volume");
    assert_eq!(str_at(config, &["configMap", "name"]), "stress-load");
    let mounts = at(
        container(&shards, "containers", "stress"),
        &["volumeMounts"],
    )
    .as_sequence()
    .unwrap();
    assert!(mounts.iter().any(
        |m| m["name"].as_str() == Some("config") && m["mountPath"].as_str() == Some("/config")
    ));
}

// ── Schemas ──────────────────────────────────────────────────────────────────

/// How to run kubernetes-validate: its script on PATH, or the module through python3.
fn kubernetes_validate() -> Option<Vec<String>> {
    let candidates: [&[&str]; 2] = [
        &["kubernetes-validate"],
        &["python3", "-m", "kubernetes_validate"],
    ];
    let found = candidates.iter().find(|cmd| {
        Command::new(cmd[0])
            .args(&cmd[1..])
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("STRESS_REQUIRE_REAL").is_none(),
            "`kubernetes-validate` is required (STRESS_REQUIRE_REAL is set) but not installed; run `bash .ci/deps.sh`"
        );
        eprintln!(
            "skipped: `kubernetes-validate` is not installed (`bash .ci/deps.sh` installs it)"
        );
    }
    found.map(|cmd| cmd.iter().map(|s| (*s).to_string()).collect())
}

#[track_caller]
fn validate(validator: &[String], version: Option<&str>, files: &[PathBuf]) {
    let mut cmd = Command::new(&validator[0]);
    cmd.args(&validator[1..]).args(["--strict", "--quiet"]);
    if let Some(version) = version {
        cmd.args(["--kubernetes-version", version]);
    }
    let out = cmd.args(files).output().unwrap();
    assert!(
        out.status.success(),
        "kubernetes-validate (Kubernetes {}) rejects the manifests:\n{}{}",
        version.unwrap_or("newest"),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_manifests_and_the_rendered_kustomization_match_the_kubernetes_schemas() {
    let Some(validator) = kubernetes_validate() else {
        return;
    };
    let manifests: Vec<PathBuf> = ["pvc.yaml", "shards-job.yaml", "merge-job.yaml"]
        .iter()
        .map(|f| dir().join(f))
        .collect();
    for version in [Some(OLDEST_KUBERNETES), None] {
        validate(&validator, version, &manifests);
    }

    let Some(kubectl) = crate::support::real_binary("kubectl") else {
        return;
    };
    let out = Command::new(kubectl)
        .arg("kustomize")
        .arg(dir())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "kubectl kustomize:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rendered = String::from_utf8(out.stdout).unwrap();
    let path = crate::support::temp_file("deploy", "rendered.yaml", &rendered);
    for version in [Some(OLDEST_KUBERNETES), None] {
        validate(&validator, version, std::slice::from_ref(&path));
    }

    let objects: Vec<Value> = serde_yaml::Deserializer::from_str(&rendered)
        .map(|d| Value::deserialize(d).unwrap())
        .collect();
    let kinds: BTreeSet<String> = objects
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    let load = objects
        .iter()
        .find(|o| o["kind"].as_str() == Some("ConfigMap") && o["data"]["load.stress"].is_string())
        .unwrap_or_else(|| panic!("no ConfigMap with load.stress among {kinds:?}"));
    let shipped = std::fs::read_to_string(dir().join("load.stress")).unwrap();
    assert_eq!(load["data"]["load.stress"].as_str(), Some(shipped.as_str()));
    // The generated names carry a content hash, and the Jobs refer to them by it.
    let load_name = load["metadata"]["name"].as_str().unwrap();
    assert!(
        rendered.contains(&format!("name: {load_name}\n"))
            && rendered.matches(load_name).count() >= 2
    );
    assert_eq!(
        objects.len(),
        5,
        "two ConfigMaps, the claim, two Jobs: {kinds:?}"
    );
}

// ── The wrappers, run with a stand-in `stress` ───────────────────────────────

/// The shell script of a container's `command: [/bin/sh, -c, SCRIPT, …]`.
#[track_caller]
fn script(container: &Value) -> String {
    let command = strings(at(container, &["command"]));
    assert_eq!(command[..2], ["/bin/sh", "-c"]);
    command[2].clone()
}

/// A scratch folder with a stand-in `stress` that records its arguments in `args` (one a
/// line) and exits with `$FAKE_EXIT`; with FAKE_HANG set it waits for SIGTERM and exits 143.
fn scratch(name: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let base = std::env::temp_dir().join(format!("stress-deploy-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(base.join("bin")).unwrap();
    std::fs::create_dir_all(base.join("results")).unwrap();
    let fake = base.join("bin/stress");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{args}'\n\
             if [ -n \"${{FAKE_HANG:-}}\" ]; then\n\
               trap 'exit 143' TERM\n  echo $$ > '{pid}'\n  while :; do sleep 0.01; done\nfi\n\
             exit \"${{FAKE_EXIT:-0}}\"\n",
            args = base.join("args").display(),
            pid = base.join("pid").display(),
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    base
}

/// `/bin/sh -c SCRIPT $0 ARGS…` as the kubelet would run it: `$(START_AT)` in the args
/// expanded, the stand-in first on PATH, the results folder in `base`.
fn wrapper(base: &Path, script: &str, args: &[String], env: &[(&str, &str)]) -> Command {
    let path = format!(
        "{}:{}",
        base.join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut cmd = Command::new("/bin/sh");
    cmd.arg("-c").arg(script).arg("wrapper");
    cmd.args(args.iter().map(|a| a.replace("$(START_AT)", START_AT)));
    cmd.env("PATH", path)
        .env("RESULTS_DIR", base.join("results"))
        .env("START_AT", START_AT)
        .env_remove("FAKE_EXIT")
        .env_remove("FAKE_HANG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

fn recorded_args(base: &Path) -> Vec<String> {
    std::fs::read_to_string(base.join("args"))
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[track_caller]
fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn shard_wrapper() -> (String, Vec<String>) {
    let shards = yaml("shards-job.yaml");
    let stress = container(&shards, "containers", "stress");
    let mut command = strings(at(stress, &["command"]));
    assert_eq!(command.len(), 4, "/bin/sh -c SCRIPT NAME: {command:?}");
    (command.swap_remove(2), strings(at(stress, &["args"])))
}

#[test]
fn the_shard_wrapper_passes_an_slo_failure_as_done_and_fails_on_the_rest() {
    let (script, args) = shard_wrapper();
    for (stress_exit, wrapper_exit) in [(0, 0), (1, 0), (2, 2), (3, 3)] {
        let base = scratch(&format!("shard{stress_exit}"));
        let code = stress_exit.to_string();
        let out = wrapper(
            &base,
            &script,
            &args,
            &[("JOB_COMPLETION_INDEX", "2"), ("FAKE_EXIT", &code)],
        )
        .output()
        .unwrap();
        assert_code(&out, wrapper_exit);
        let run = base.join("results").join(RUN);
        let mut expected = vec!["run".to_string()];
        expected.extend(args.iter().map(|a| a.replace("$(START_AT)", START_AT)));
        expected.extend([
            "--out".to_string(),
            run.join("shard-2").display().to_string(),
        ]);
        assert_eq!(recorded_args(&base), expected);
        assert_eq!(
            std::fs::read_to_string(run.join("shard-2.exit"))
                .unwrap()
                .trim(),
            code,
            "the exit code is left for the merge"
        );
    }

    let base = scratch("shard-no-start");
    let out = wrapper(
        &base,
        &script,
        &args,
        &[("JOB_COMPLETION_INDEX", "0"), ("START_AT", "")],
    )
    .output()
    .unwrap();
    assert_code(&out, 2);
    assert!(String::from_utf8_lossy(&out.stderr).contains("START_AT is empty"));
    assert!(!base.join("args").exists(), "nothing ran");
}

#[test]
fn the_shard_wrapper_passes_sigterm_on_and_records_the_interruption() {
    let (script, args) = shard_wrapper();
    let base = scratch("shard-term");
    let mut child = wrapper(
        &base,
        &script,
        &args,
        &[("JOB_COMPLETION_INDEX", "1"), ("FAKE_HANG", "1")],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !base.join("pid").exists() {
        assert!(Instant::now() < deadline, "the stand-in never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: kill(2) on the pid of a child this test owns and has not yet waited for.
    let sent = unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGTERM) };
    assert_eq!(sent, 0);
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(143),
        "the wrapper exits with stress's code"
    );
    let marker = base.join("results").join(RUN).join("shard-1.exit");
    assert_eq!(std::fs::read_to_string(marker).unwrap().trim(), "143");
}

/// Results of a run where `exits[i]` is shard i's `.exit` (None: not finished) and
/// `summaries` the shards whose folder has a summary.json.
fn results(base: &Path, exits: &[Option<u8>], summaries: &[usize]) -> PathBuf {
    let run = base.join("results").join(RUN);
    std::fs::create_dir_all(&run).unwrap();
    for (i, code) in exits.iter().enumerate() {
        std::fs::create_dir_all(run.join(format!("shard-{i}"))).unwrap();
        if let Some(code) = code {
            std::fs::write(run.join(format!("shard-{i}.exit")), format!("{code}\n")).unwrap();
        }
    }
    for i in summaries {
        std::fs::write(run.join(format!("shard-{i}/summary.json")), "{}").unwrap();
    }
    run
}

#[test]
fn the_merge_waits_for_every_shard_then_merges_those_that_ran() {
    let merge = yaml("merge-job.yaml");
    let wait = script(container(&merge, "initContainers", "wait-for-shards"));
    let merge_script = script(container(&merge, "containers", "merge"));
    // Four shards here, whatever N the manifests use: this is about the scripts.
    let shards = "4";

    // Every shard finished: no waiting, the codes are listed. Shard 2 could not run (exit 3,
    // though it wrote a summary.json) and shard 3 was interrupted: 2 is left out of the merge,
    // 3 is merged (stress merge warns about it).
    let base = scratch("merge");
    let mut exits = vec![Some(1); 4];
    exits[2] = Some(3);
    exits[3] = Some(143);
    let all: Vec<usize> = (0..exits.len()).collect();
    let run = results(&base, &exits, &all);
    let started = Instant::now();
    let out = wrapper(
        &base,
        &wait,
        &[],
        &[("SHARDS", shards), ("WAIT_SECONDS", "3600")],
    )
    .output()
    .unwrap();
    assert_code(&out, 0);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "nothing to wait for"
    );
    let log = String::from_utf8_lossy(&out.stdout);
    assert!(
        log.contains("shard-2 exited with 3") && log.contains("shard-0 exited with 1"),
        "{log}"
    );
    let summaries: Vec<usize> = all.iter().copied().filter(|i| *i != 2).collect();

    let dirs: Vec<String> = summaries
        .iter()
        .map(|i| run.join(format!("shard-{i}")).display().to_string())
        .collect();
    let merged = run.join("merged").display().to_string();
    for (allow, exit) in [("false", 2), ("true", 0)] {
        let code = exit.to_string();
        let out = wrapper(
            &base,
            &merge_script,
            &[],
            &[("ALLOW_PARTIAL", allow), ("FAKE_EXIT", &code)],
        )
        .output()
        .unwrap();
        assert_code(&out, exit);
        let mut expected = vec!["merge".to_string()];
        expected.extend(dirs.iter().cloned());
        if allow == "true" {
            expected.push("--allow-partial".into());
        }
        expected.extend(["--out".to_string(), merged.clone()]);
        assert_eq!(recorded_args(&base), expected, "ALLOW_PARTIAL={allow}");
    }

    // A shard that never finished is waited for until WAIT_SECONDS, then left out.
    let base = scratch("merge-timeout");
    results(&base, &[Some(0), None], &[0]);
    let out = wrapper(&base, &wait, &[], &[("SHARDS", "2"), ("WAIT_SECONDS", "0")])
        .output()
        .unwrap();
    assert_code(&out, 0);
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 of 2 shards finished"));

    // No shard ran to the end: nothing to merge.
    let base = scratch("merge-empty");
    results(&base, &[Some(2), Some(3)], &[1]);
    let out = wrapper(&base, &merge_script, &[], &[("ALLOW_PARTIAL", "true")])
        .output()
        .unwrap();
    assert_code(&out, 3);
    assert!(!base.join("args").exists(), "stress merge was not called");
}

// ── The documented GitHub Actions workflow ───────────────────────────────────

/// The workflow of docs/scale-out.md parses, and its parts agree: the matrix has one job per
/// shard of `--shard I/N`, the start instant flows from the first job into every shard, and
/// the merge downloads exactly what the shards upload.
#[test]
fn the_documented_workflow_is_consistent() {
    let doc = std::fs::read_to_string(root().join("docs/scale-out.md")).unwrap();
    let start = doc
        .find("```yaml\n# .github/workflows/load-sharded.yml")
        .expect("docs/scale-out.md has the sharded workflow");
    let body = &doc[start + "```yaml\n".len()..];
    let body = &body[..body.find("\n```").unwrap()];
    let workflow: Value = serde_yaml::from_str(body).expect("the workflow is YAML");
    let jobs = at(&workflow, &["jobs"]);

    let steps = |job: &str| at(jobs, &[job, "steps"]).as_sequence().unwrap().clone();
    let step_with = |job: &str, key: &str, needle: &str| {
        steps(job)
            .into_iter()
            .find(|s| s[key].as_str().is_some_and(|v| v.contains(needle)))
            .unwrap_or_else(|| panic!("no step of `{job}` whose {key} has `{needle}`"))
    };

    assert_eq!(
        str_at(jobs, &["start", "outputs", "at"]),
        "${{ steps.at.outputs.at }}"
    );
    assert!(str_at(&step_with("start", "id", "at"), &["run"]).contains(">> \"$GITHUB_OUTPUT\""));

    assert_eq!(str_at(jobs, &["shard", "needs"]), "start");
    let run = step_with("shard", "run", "stress run");
    let script = str_at(&run, &["run"]);
    let n: usize = script
        .split("--shard ${{ matrix.shard }}/")
        .nth(1)
        .expect("`--shard ${{ matrix.shard }}/N`")
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap();
    let matrix: Vec<u64> = at(jobs, &["shard", "strategy", "matrix", "shard"])
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    assert_eq!(
        matrix,
        (0..n as u64).collect::<Vec<_>>(),
        "one job per shard of {n}"
    );
    assert!(script.contains("--start-at ${{ needs.start.outputs.at }}"));
    assert!(script.contains("--out shard-${{ matrix.shard }}"));
    let upload = step_with("shard", "uses", "actions/upload-artifact");
    assert_eq!(
        str_at(&upload, &["with", "name"]),
        "stress-shard-${{ matrix.shard }}"
    );
    assert_eq!(
        str_at(&upload, &["with", "path"]),
        "shard-${{ matrix.shard }}"
    );

    assert_eq!(str_at(jobs, &["merge", "needs"]), "shard");
    let download = step_with("merge", "uses", "actions/download-artifact");
    assert_eq!(str_at(&download, &["with", "pattern"]), "stress-shard-*");
    let path = str_at(&download, &["with", "path"]);
    let merge = step_with("merge", "run", "stress merge");
    assert!(str_at(&merge, &["run"]).starts_with(&format!("stress merge {path}/* --out ")));
}
