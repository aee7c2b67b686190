//! `cargo xtask ci`: everything CI checks, in the order that fails fastest, with the test run
//! last so that the output ends with cargo's test summary lines.
//!
//! It installs what it needs itself (cargo-deny from crates.io when missing); the Python
//! reference implementation is installed into `target/pyref` by the tests that use it.

use std::process::Command;

use anyhow::{Context, bail};

/// The cargo-deny release installed when none is on the PATH.
const CARGO_DENY_VERSION: &str = "0.20.2";

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(extra) = args.first() {
        bail!("`cargo xtask ci` takes no arguments, got `{extra}`");
    }
    step("formatting", cargo(&["fmt", "--all", "--", "--check"]))?;
    step(
        "clippy",
        cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--locked",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    ensure_cargo_deny()?;
    // The advisory database cannot be fetched on these machines: advisories are not checked.
    step(
        "cargo deny",
        cargo(&["deny", "--locked", "check", "bans", "licenses", "sources"]),
    )?;
    step(
        "tests (unit, integration, doc)",
        cargo(&["test", "--workspace", "--all-targets", "--locked"]),
    )?;
    step(
        "doc tests",
        cargo(&["test", "--workspace", "--doc", "--locked"]),
    )?;
    Ok(())
}

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command.args(args);
    command
}

fn step(name: &str, mut command: Command) -> anyhow::Result<()> {
    eprintln!("==> {name}: {command:?}");
    let status = command
        .status()
        .with_context(|| format!("could not start {name}"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}

fn ensure_cargo_deny() -> anyhow::Result<()> {
    let installed = cargo(&["deny", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    step(
        "install cargo-deny",
        cargo(&[
            "install",
            "cargo-deny",
            "--locked",
            "--version",
            CARGO_DENY_VERSION,
        ]),
    )
}
