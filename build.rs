//! Records the git commit that `stress --version` prints (`unknown` when not built from a git
//! checkout, e.g. from a crates.io package or a source tarball).

use std::path::Path;
use std::process::Command;

fn main() {
    let commit = Command::new("git")
        .args(["rev-parse", "--short=10", "HEAD"])
        .output()
        .ok()
        .filter(|out| out.status.success())
        .and_then(|out| String::from_utf8(out.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    // Always set, so that the crate builds the same from a git checkout, a crate tarball or a
    // source archive: "unknown" when there is no git (or no repository).
    let commit = commit.unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=STRESS_GIT_COMMIT={commit}");
    println!(
        "cargo:rustc-env=STRESS_VERSION={} ({commit})",
        std::env::var("CARGO_PKG_VERSION").unwrap_or_default()
    );
    // Re-run when HEAD moves: HEAD itself (a checkout) and the branch it points at (a commit).
    let head = Path::new(".git/HEAD");
    if head.is_file() {
        println!("cargo:rerun-if-changed=.git/HEAD");
        if let Some(reference) = std::fs::read_to_string(head)
            .ok()
            .and_then(|h| h.strip_prefix("ref: ").map(|r| r.trim().to_string()))
        {
            let path = Path::new(".git").join(reference);
            if path.is_file() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
