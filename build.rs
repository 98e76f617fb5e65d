//! Build script: records the git commit for `chatload --version`.
//!
//! `CHATLOAD_GIT_COMMIT` is the short hash of the checked-out commit (HEAD at
//! build time; uncommitted edits are not marked), or `unknown` when the source
//! is not a git checkout
//! (a crate tarball, `cargo install` from crates.io) or git is missing. A
//! packager may set `CHATLOAD_GIT_COMMIT` in the environment to override it.

use std::path::Path;
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim().to_string())
}

fn main() {
    println!("cargo:rerun-if-env-changed=CHATLOAD_GIT_COMMIT");
    if let Ok(given) = std::env::var("CHATLOAD_GIT_COMMIT") {
        println!("cargo:rustc-env=CHATLOAD_GIT_COMMIT={given}");
        return;
    }
    let commit = git(&["rev-parse", "--short=12", "HEAD"]);
    // Rebuild when HEAD moves: HEAD itself, the branch it points to, packed refs.
    for name in ["HEAD", "packed-refs"] {
        if let Some(p) = git(&["rev-parse", "--git-path", name]) {
            if Path::new(&p).exists() {
                println!("cargo:rerun-if-changed={p}");
            }
        }
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(p) = git(&["rev-parse", "--git-path", &branch]) {
            if Path::new(&p).exists() {
                println!("cargo:rerun-if-changed={p}");
            }
        }
    }
    let value = match commit {
        Some(c) if !c.is_empty() => c,
        _ => "unknown".to_string(),
    };
    println!("cargo:rustc-env=CHATLOAD_GIT_COMMIT={value}");
}
