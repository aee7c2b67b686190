//! Build automation for the workspace, reached as `cargo xtask <task>`.
//!
//! Tasks:
//! - `ci`: everything CI checks (formatting, clippy, cargo-deny, vector freshness, all tests).
//! - `demo`: the main job end to end: a repository made with tuf-repo, served on 127.0.0.1,
//!   targets downloaded with tuf-client, two attacks refused.
//! - `bench-peers`: the side-by-side benchmark against python-tuf and tough; writes
//!   `BENCHMARKS.md` (not part of CI: it takes minutes).
//! - `fuzz`: build the fuzz targets of `fuzz/` (cargo-fuzz, libFuzzer) and run each for a
//!   while (`--minutes N [TARGET...]`), or rewrite their seeds from the vectors (`--seeds`).
//! - `vectors`: regenerate the spec-vectors data with the reference implementation.
#![forbid(unsafe_code)]

mod bench_peers;
mod ci;
mod demo;
mod fuzz;
mod vectors;

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("bench-peers") => bench_peers::run(&args[1..]),
        Some("ci") => ci::run(&args[1..]),
        Some("demo") => demo::run(&args[1..]),
        Some("fuzz") => fuzz::run(&args[1..]),
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
         bench-peers [--runs N] [--no-write]\n              \
         time tuf-client/tuf-repo against python-tuf and tough; write BENCHMARKS.md\n  \
         ci        run everything CI checks (fmt, clippy, deny, vector freshness, tests)\n  \
         demo      create a repository, serve it on 127.0.0.1, download with the client, refuse attacks\n  \
         fuzz      run every fuzz target for a while: `fuzz --minutes N [TARGET...]` (or\n              \
         `--seconds N`); `fuzz --seeds` rewrites fuzz/seeds from spec-vectors\n  \
         vectors   regenerate spec-vectors with the pinned reference implementation\n              \
         (`vectors --check` fails when the committed vectors are stale)"
    );
}
