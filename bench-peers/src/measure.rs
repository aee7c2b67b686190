//! One measured process: `bench-peers measure CMD ARGS...` runs CMD once and prints its wall
//! time, its peak resident set size and its exit code.
//!
//! A fresh `measure` process is started for every run, so `getrusage(RUSAGE_CHILDREN)` after
//! waiting covers exactly one child (and whatever that child itself waited for): the peak RSS is
//! that run's, not the largest of all runs so far.

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, bail};
use nix::sys::resource::{UsageWho, getrusage};

/// What one run of a process cost.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sample {
    /// Wall time from spawn to exit, in nanoseconds.
    pub(crate) wall_ns: u128,
    /// Peak resident set size in KiB (Linux reports `ru_maxrss` in KiB).
    pub(crate) max_rss_kib: u64,
}

/// `measure`: runs `command`, prints `<wall ns> <max rss KiB> <exit code>` on stdout. The
/// child's stdout is discarded, its stderr inherited.
pub(crate) fn run(command: &[String]) -> anyhow::Result<()> {
    let (program, args) = command.split_first().context("measure needs a command")?;
    let start = Instant::now();
    let status = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .with_context(|| format!("starting {program}"))?;
    let wall = start.elapsed();
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).context("getrusage")?;
    println!(
        "{} {} {}",
        wall.as_nanos(),
        usage.max_rss(),
        status.code().unwrap_or(-1)
    );
    Ok(())
}

/// Parses what [`run`] printed: the sample, or the exit code of a failed run.
pub(crate) fn parse(line: &str) -> anyhow::Result<Result<Sample, i64>> {
    let mut fields = line.split_whitespace();
    let (Some(wall), Some(rss), Some(code), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        bail!("unexpected measure output `{line}`");
    };
    let code: i64 = code.parse()?;
    if code != 0 {
        return Ok(Err(code));
    }
    Ok(Ok(Sample {
        wall_ns: wall.parse()?,
        max_rss_kib: rss.parse()?,
    }))
}
