//! A new user's first hour (issue 14), through the binary: one error form for every
//! scenario and `serve --config` error, consistent flags (short flags, aliases,
//! environment variables, `--json`), `init`, `completions`, `man`, `--version`, JUnit
//! times, the HTML p99 line, and the packaging facts (licences, rust-version, docs).

use std::path::Path;
use std::process::{Command, Output};

#[path = "ux/commands.rs"]
mod commands;
#[path = "ux/errors.rs"]
mod errors;
#[path = "ux/flags.rs"]
mod flags;
#[path = "ux/packaging.rs"]
mod packaging;

/// The crate root (README.md, Cargo.toml, scenarios/).
pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// Run the binary with `args` and extra environment variables, in `dir`.
pub fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_chatload"));
    cmd.args(args).current_dir(dir);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run chatload")
}

/// Run the binary in a fresh temporary directory's parent-free context (the crate root).
pub fn run(args: &[&str]) -> Output {
    run_in(Path::new(ROOT), args, &[])
}

/// (exit code, stdout, stderr) as text.
pub fn text(out: &Output) -> (i32, String, String) {
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
