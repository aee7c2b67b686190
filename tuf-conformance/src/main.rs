//! `tuf-conformance`: runs the conformance catalogue against a TUF client speaking the client
//! command-line protocol (`shared/CLIENT-CLI.md`).
//!
//! ```text
//! tuf-conformance run --client CMD [--expected-failures FILE] [--filter PAT] [--jobs N] [--step-timeout SECS]
//! tuf-conformance list [--filter PAT]
//! tuf-conformance export DIR
//! ```
//!
//! `run` prints one line per scenario, then `N passed, N failed, N expected failures`, then
//! `N passed, N failed` alone on the last line; it exits 0 only if no scenario failed
//! unexpectedly and no expected failure passed. `export` writes the whole catalogue as JSON
//! data and blobs into DIR (normally `spec-vectors/data/conformance`; see its README.md).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use tuf_conformance::catalogue::catalogue;
use tuf_conformance::runner::{self, RunConfig};

/// Conformance suite for TUF clients.
#[derive(Debug, Parser)]
#[command(name = "tuf-conformance", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the catalogue against a client.
    Run {
        /// The client executable (called as `CMD --metadata-dir MD init ROOT`, ...).
        #[arg(long, value_name = "CMD")]
        client: PathBuf,
        /// Scenarios the client is known to fail: `name  # reason` or `name: reason` per line.
        #[arg(long, value_name = "FILE")]
        expected_failures: Option<PathBuf>,
        /// Only scenarios whose name contains PAT.
        #[arg(long, value_name = "PAT")]
        filter: Option<String>,
        /// Scenarios run in parallel (default: one per CPU).
        #[arg(long, value_name = "N")]
        jobs: Option<usize>,
        /// Longest a single client call may take, in seconds.
        #[arg(long, value_name = "SECS", default_value_t = runner::DEFAULT_STEP_TIMEOUT.as_secs())]
        step_timeout: u64,
    },
    /// List the scenarios: name, spec reference and description.
    List {
        /// Only scenarios whose name contains PAT.
        #[arg(long, value_name = "PAT")]
        filter: Option<String>,
    },
    /// Write the whole catalogue as language-neutral JSON data and blobs into DIR (normally
    /// spec-vectors/data/conformance), replacing the index.json, scenarios/ and blobs/ there.
    Export {
        /// The export directory.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::List { filter } => {
            for s in catalogue()
                .iter()
                .filter(|s| filter.as_ref().is_none_or(|f| s.name.contains(f)))
            {
                println!("{}\t{}\t{}", s.name, s.spec_ref, s.description);
            }
            ExitCode::SUCCESS
        }
        Command::Export { dir } => {
            let written = tuf_conformance::export::export(&catalogue())
                .and_then(|export| export.write(&dir).map(|()| export));
            match written {
                Ok(export) => {
                    println!(
                        "{} scenarios exported, {} not exported, {} files, {} bytes in {}",
                        export.exported,
                        export.not_exported.len(),
                        export.files.len(),
                        export.total_bytes(),
                        dir.display()
                    );
                    for (name, reason) in &export.not_exported {
                        println!("not exported: {name}: {reason}");
                    }
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("tuf-conformance: export: {error}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Run {
            client,
            expected_failures,
            filter,
            jobs,
            step_timeout,
        } => {
            let mut config = RunConfig::new(client);
            if let Some(path) = expected_failures {
                match runner::load_expected_failures(&path) {
                    Ok(list) => config.expected_failures = list,
                    Err(error) => {
                        eprintln!("tuf-conformance: {error}");
                        return ExitCode::from(2);
                    }
                }
            }
            config.filter = filter;
            if let Some(jobs) = jobs {
                config.jobs = jobs;
            }
            config.step_timeout = Duration::from_secs(step_timeout);
            let report = runner::run(catalogue(), &config);
            print!("{}", report.render());
            if report.is_success() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
