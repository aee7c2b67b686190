//! `cargo xtask ci`: everything CI checks, in the order that fails fastest (formatting and
//! clippy, of the workspace and of the fuzz targets' own workspace; cargo-deny; the
//! end-to-end demo), with the test run last so that the output ends with cargo's test
//! summary lines.
//!
//! Before the tests, every fuzz target runs briefly ([`crate::fuzz::CI_SECONDS`] each, from
//! its seeds and the corpus of earlier runs), so a crash on a known input fails CI.
//!
//! It installs what it needs itself (cargo-deny and cargo-fuzz from crates.io when missing); the Python
//! reference implementation is installed into `target/pyref` by the tests that use it.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

/// The cargo-deny release installed when none is on the PATH.
const CARGO_DENY_VERSION: &str = "0.20.2";

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(extra) = args.first() {
        bail!("`cargo xtask ci` takes no arguments, got `{extra}`");
    }
    // The workspace, and the fuzz targets' workspace of their own (excluded from it).
    for manifest in ["Cargo.toml", "fuzz/Cargo.toml"] {
        step(
            &format!("formatting ({manifest})"),
            cargo(&["fmt", "--all", "--manifest-path", manifest, "--", "--check"]),
        )?;
        step(
            &format!("clippy ({manifest})"),
            cargo(&[
                "clippy",
                "--manifest-path",
                manifest,
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
    }
    ensure_cargo_deny()?;
    // The advisory database cannot be fetched on these machines: advisories are not checked.
    // The workspace, and the two workspaces of its own that it excludes (fuzz targets, the
    // tough peer of bench-peers), under the one policy of deny.toml.
    for manifest in [
        "Cargo.toml",
        "fuzz/Cargo.toml",
        "bench-peers/tough-client/Cargo.toml",
    ] {
        step(
            &format!("cargo deny ({manifest})"),
            cargo(&[
                "deny",
                "--manifest-path",
                manifest,
                "--locked",
                "check",
                "bans",
                "licenses",
                "sources",
            ]),
        )?;
    }
    // README's first command, the main job end to end, so that it cannot break unnoticed.
    eprintln!("==> demo: cargo xtask demo");
    crate::demo::run(&[]).context("`cargo xtask demo` failed")?;
    eprintln!(
        "==> fuzz: each target for {} s (cargo xtask fuzz --seconds {})",
        crate::fuzz::CI_SECONDS,
        crate::fuzz::CI_SECONDS
    );
    crate::fuzz::fuzz(crate::fuzz::CI_SECONDS, &[]).context("fuzzing")?;
    let totals = tests(cargo(&["test", "--workspace", "--locked"]))?;
    // One closing line over every test binary and doc-test run, so the summary is not the
    // last crate's alone.
    println!(
        "summary: {} passed, {} failed, {} skipped",
        totals.passed, totals.failed, totals.ignored
    );
    if totals.failed > 0 || !totals.success {
        bail!("tests failed");
    }
    Ok(())
}

#[derive(Debug, Default)]
struct Totals {
    passed: u64,
    failed: u64,
    ignored: u64,
    success: bool,
}

/// Runs cargo test, echoing its output, and adds up its `test result:` lines.
fn tests(mut command: Command) -> anyhow::Result<Totals> {
    eprintln!("==> tests (unit, integration, property, doc): {command:?}");
    let mut child = command
        .stdout(Stdio::piped())
        .spawn()
        .context("could not start cargo test")?;
    let mut totals = Totals::default();
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line.context("reading cargo test output")?;
            println!("{line}");
            if let Some(rest) = line.trim().strip_prefix("test result: ") {
                totals.passed += count(rest, "passed");
                totals.failed += count(rest, "failed");
                totals.ignored += count(rest, "ignored");
            }
        }
    }
    totals.success = child.wait().context("waiting for cargo test")?.success();
    Ok(totals)
}

/// The number before `word` in a `test result:` line (`ok. 5 passed; 0 failed; ...`).
fn count(line: &str, word: &str) -> u64 {
    line.split(';')
        .filter_map(|part| {
            let mut words = part.split_whitespace().rev();
            (words.next() == Some(word))
                .then(|| words.next().and_then(|n| n.parse::<u64>().ok()))
                .flatten()
        })
        .sum()
}

fn cargo(args: &[&str]) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    command
        .current_dir(spec_vectors::reference::workspace_root())
        .args(args);
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

#[cfg(test)]
mod tests {
    use super::count;

    #[test]
    fn counts_a_result_line() {
        let line =
            "ok. 5 passed; 2 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s";
        assert_eq!(count(line, "passed"), 5);
        assert_eq!(count(line, "failed"), 2);
        assert_eq!(count(line, "ignored"), 1);
        assert_eq!(count("FAILED. 0 passed; 3 failed;", "failed"), 3);
    }
}
