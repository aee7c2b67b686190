//! Build automation for the workspace, reached as `cargo xtask <task>`.
//!
//! Tasks:
//! - `ci`: everything CI checks (formatting, clippy, cargo-deny, vector freshness, all tests).
//! - `vectors`: regenerate the spec-vectors data with the reference implementation.
#![forbid(unsafe_code)]

mod ci;
mod vectors;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("ci") => ci::run(&args[1..]),
        Some("vectors") => vectors::run(&args[1..]),
        Some("help") | Some("--help") | Some("-h") | None => {
            print_help();
            Ok(())
        }
        Some(other) => Err(anyhow::anyhow!(
            "unknown task `{other}` (try `cargo xtask help`)"
        )),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn print_help() {
    println!(
        "cargo xtask <task>\n\n\
         tasks:\n  \
         ci        run everything CI checks (fmt, clippy, deny, vector freshness, tests)\n  \
         vectors   regenerate spec-vectors with the pinned reference implementation\n              \
         (`vectors --check` fails when the committed vectors are stale)"
    );
}
