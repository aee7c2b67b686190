//! `cargo xtask bench-peers [--runs N] [--no-write]`: the side-by-side benchmark against
//! python-tuf and tough (see `bench-peers/src/main.rs` for what is measured).
//!
//! 1. builds our `tuf-client` and `bench-peers` (release, `--locked`);
//! 2. builds the tough peer `bench-peers/tough-client` (release, its own `Cargo.lock`, pinned
//!    tough from crates.io) into `target/tough-client/`;
//! 3. makes the pinned python-tuf venv (`target/pyref`, as the spec-vectors tests do);
//! 4. runs `bench-peers run`, which generates the workloads under `target/bench-peers/`,
//!    prints the Markdown table and (unless `--no-write`) writes `BENCHMARKS.md`.
//!
//! Not part of CI: a full run takes several minutes.

use std::process::Command;

use anyhow::{Context, bail, ensure};

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let mut runs = "10".to_owned();
    let mut write = true;
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--runs" => runs = iter.next().context("--runs needs a number")?.clone(),
            "--no-write" => write = false,
            other => {
                bail!("unknown argument `{other}` (usage: bench-peers [--runs N] [--no-write])")
            }
        }
    }
    let root = spec_vectors::reference::workspace_root();
    let target = spec_vectors::reference::target_dir();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());

    eprintln!("bench-peers: building tuf-client and bench-peers (release)");
    let status = Command::new(&cargo)
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "tuf-client",
            "-p",
            "bench-peers",
        ])
        .current_dir(&root)
        .status()
        .context("running cargo build")?;
    ensure!(status.success(), "cargo build failed");

    eprintln!("bench-peers: building the tough peer (release, pinned)");
    let tough_target = target.join("tough-client");
    let status = Command::new(&cargo)
        .args(["build", "--release", "--locked", "--manifest-path"])
        .arg(root.join("bench-peers/tough-client/Cargo.toml"))
        .env("CARGO_TARGET_DIR", &tough_target)
        .current_dir(&root)
        .status()
        .context("running cargo build for the tough peer")?;
    ensure!(status.success(), "building the tough peer failed");

    eprintln!("bench-peers: the pinned python-tuf venv (target/pyref)");
    let python = spec_vectors::reference::python().context("making the python-tuf venv")?;

    let release = target.join("release");
    let mut command = Command::new(release.join("bench-peers"));
    command
        .arg("run")
        .arg("--root")
        .arg(&root)
        .arg("--work")
        .arg(target.join("bench-peers"))
        .args(["--runs", &runs])
        .arg("--client")
        .arg(release.join("tuf-client"))
        .arg("--python")
        .arg(&python)
        .arg("--tough")
        .arg(tough_target.join("release/bench-tough-client"))
        .args(["--command", &command_line(&runs)]);
    if write {
        command.arg("--write").arg(root.join("BENCHMARKS.md"));
    }
    let status = command.status().context("running bench-peers")?;
    ensure!(status.success(), "bench-peers failed");
    Ok(())
}

fn command_line(runs: &str) -> String {
    if runs == "10" {
        "cargo xtask bench-peers".to_owned()
    } else {
        format!("cargo xtask bench-peers --runs {runs}")
    }
}
