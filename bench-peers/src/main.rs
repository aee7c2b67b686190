//! The side-by-side benchmark of `cargo xtask bench-peers`: our `tuf-client` and tuf-repo
//! against python-tuf (ngclient, Metadata API) and tough, as whole processes.
//!
//! ```text
//! bench-peers run --root WS --work DIR --runs N --client TUF_CLIENT --python PY --tough BIN
//!                 [--write BENCHMARKS.md] [--command TEXT]
//! bench-peers generate DIR                    the workloads alone (see `generate`)
//! bench-peers create-ours HASHES OUT [--bins N]
//! bench-peers measure CMD ARGS...             one measured process (see `measure`)
//! bench-peers serve DIR                       serve DIR on 127.0.0.1 as `run` does, until killed
//! ```
//!
//! `cargo xtask bench-peers` builds everything (release), installs the pinned peers and calls
//! `run`; see `xtask/src/bench_peers.rs`.
#![forbid(unsafe_code)]

mod generate;
mod harness;
mod measure;
mod serve;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match dispatch(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-peers: {error}");
            for cause in error.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}

fn dispatch(args: &[String]) -> anyhow::Result<()> {
    match args.first().map(String::as_str) {
        Some("measure") => measure::run(&args[1..]),
        Some("generate") => {
            // A flag (`--help`) is not a directory to write the workloads into.
            let [dir] = &args[1..] else {
                bail!("generate DIR");
            };
            if dir.starts_with('-') {
                bail!("generate DIR");
            }
            generate::generate(&PathBuf::from(dir))
        }
        Some("create-ours") => {
            let (hashes, out, bins) = match &args[1..] {
                [hashes, out] => (hashes, out, None),
                [hashes, out, flag, count] if flag == "--bins" => {
                    (hashes, out, Some(count.parse().context("--bins N")?))
                }
                _ => bail!("create-ours HASHES OUT [--bins N]"),
            };
            if hashes.starts_with('-') || out.starts_with('-') {
                bail!("create-ours HASHES OUT [--bins N]");
            }
            generate::create(&PathBuf::from(hashes), &PathBuf::from(out), bins)
        }
        Some("serve") => {
            let [dir] = &args[1..] else {
                bail!("serve DIR");
            };
            if dir.starts_with('-') {
                bail!("serve DIR");
            }
            let base = serve::start(&PathBuf::from(dir))?;
            println!("{base}");
            // Until interrupted: the server runs on its own thread.
            loop {
                std::thread::park();
            }
        }
        Some("run") => harness::run(&run_config(&args[1..])?),
        _ => bail!(
            "usage: bench-peers run|generate|create-ours|measure|serve ... (see the crate docs)"
        ),
    }
}

fn run_config(args: &[String]) -> anyhow::Result<harness::Config> {
    let mut get = std::collections::BTreeMap::new();
    let mut iter = args.iter();
    while let Some(flag) = iter.next() {
        let name = flag
            .strip_prefix("--")
            .with_context(|| format!("unexpected argument `{flag}`"))?;
        let value = iter
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        get.insert(name.to_owned(), value.clone());
    }
    let mut take = |name: &str| {
        get.remove(name)
            .with_context(|| format!("--{name} is required"))
    };
    let config = harness::Config {
        root: take("root")?.into(),
        work: take("work")?.into(),
        runs: take("runs")?.parse().context("--runs N")?,
        client: take("client")?.into(),
        python: take("python")?.into(),
        tough: take("tough")?.into(),
        write: take("write").ok().map(PathBuf::from),
        command: take("command").unwrap_or_else(|_| "bench-peers run".to_owned()),
    };
    if let Some(name) = get.keys().next() {
        bail!("unknown option --{name}");
    }
    Ok(config)
}
