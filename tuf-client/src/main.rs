//! `tuf-client`: the TUF client command.
//!
//! Speaks the client command-line protocol that TUF conformance harnesses drive
//! (`shared/CLIENT-CLI.md` in this project): `init`, `refresh`, `download`, with exit code 0 on
//! success and 1 on any failure, never 2 and never a panic. Adds `info TARGET`, `--json` and
//! `--verbose` for people.
#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use serde_json::json;
use tuf_client::{Updater, UpdaterConfig};
use tuf_metadata::Signed;

/// A TUF client: verifies repository metadata (spec section 5) and downloads targets only
/// after checking their length and hashes.
#[derive(Debug, Parser)]
#[command(name = "tuf-client", version, about, long_about = None)]
struct Cli {
    /// Local directory of trusted metadata (`root.json`, `timestamp.json`, ...).
    #[arg(long, value_name = "DIR", global = true)]
    metadata_dir: Option<PathBuf>,
    /// Base URL of the repository's metadata (ends in `/`).
    #[arg(long, value_name = "URL", global = true)]
    metadata_url: Option<String>,
    /// Target path to download (repeatable; downloaded in order).
    #[arg(long = "target-name", value_name = "PATH", global = true)]
    target_names: Vec<String>,
    /// Directory verified targets are stored in.
    #[arg(long, value_name = "DIR", global = true)]
    target_dir: Option<PathBuf>,
    /// Base URL of the repository's targets (ends in `/`).
    #[arg(long, value_name = "URL", global = true)]
    target_base_url: Option<String>,
    /// Print what was verified and downloaded as JSON on standard output.
    #[arg(long, global = true)]
    json: bool,
    /// Log each step to standard error.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make TRUSTED_ROOT the trusted root of the metadata directory (no network, no expiry check).
    Init {
        /// The root metadata file to trust.
        trusted_root: PathBuf,
    },
    /// Update trusted metadata: root chain, timestamp, snapshot, targets (spec 5.3-5.5).
    Refresh,
    /// Refresh, then find each --target-name through the delegations and download it verified.
    Download,
    /// Refresh, then print the trusted length, hashes and custom data of TARGET.
    Info {
        /// The target path.
        target: String,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with success; every usage error exits 1.
            let code = if error.use_stderr() { 1 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    if cli.verbose {
        tracing_subscriber::fmt()
            .with_writer(std::io::stderr)
            .with_max_level(tracing::Level::DEBUG)
            .with_target(false)
            .init();
    }
    match run(&cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tuf-client: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(1)
        }
    }
}

type Failure = Box<dyn std::error::Error>;

fn require<'a, T>(value: &'a Option<T>, flag: &str) -> Result<&'a T, Failure> {
    value
        .as_ref()
        .ok_or_else(|| format!("{flag} is required for this command").into())
}

fn updater(cli: &Cli, with_targets: bool) -> Result<Updater, Failure> {
    let metadata_dir = require(&cli.metadata_dir, "--metadata-dir")?;
    let metadata_url = require(&cli.metadata_url, "--metadata-url")?;
    let mut builder = Updater::builder(metadata_dir, metadata_url).config(UpdaterConfig::default());
    if with_targets {
        builder = builder
            .target_dir(require(&cli.target_dir, "--target-dir")?)
            .target_base_url(require(&cli.target_base_url, "--target-base-url")?);
    }
    if std::io::stderr().is_terminal() && !cli.json {
        builder = builder.fetcher(Box::new(tuf_client::progress::ProgressFetcher::new(
            tuf_client::fetcher::DefaultFetcher::new(Default::default())?,
        )));
    }
    Ok(builder.build()?)
}

fn verified_roles(updater: &Updater) -> serde_json::Value {
    let trusted = updater.trusted();
    let mut roles = serde_json::Map::new();
    roles.insert("root".into(), json!(trusted.root().signed().version()));
    if let Some(t) = trusted.timestamp() {
        roles.insert("timestamp".into(), json!(t.signed().version()));
    }
    if let Some(s) = trusted.snapshot() {
        roles.insert("snapshot".into(), json!(s.signed().version()));
    }
    if let Some(t) = trusted.targets() {
        roles.insert("targets".into(), json!(t.signed().version()));
    }
    serde_json::Value::Object(roles)
}

/// The process ends right after a command: the trusted metadata (a targets role can list
/// 100,000 entries) is left to the operating system, which reclaims its pages at once, instead
/// of being freed entry by entry. Nothing of the updater needs dropping (it holds no lock and
/// no temporary file between calls).
fn exiting(updater: Updater) {
    std::mem::forget(updater);
}

fn run(cli: &Cli) -> Result<(), Failure> {
    match &cli.command {
        Command::Init { trusted_root } => {
            let metadata_dir = require(&cli.metadata_dir, "--metadata-dir")?;
            let bytes = std::fs::read(trusted_root)
                .map_err(|e| format!("reading {}: {e}", trusted_root.display()))?;
            Updater::init(metadata_dir, &bytes)?;
            if cli.json {
                println!("{}", json!({"command": "init", "root": trusted_root}));
            }
        }
        Command::Refresh => {
            let mut updater = updater(cli, false)?;
            updater.refresh()?;
            if cli.json {
                println!(
                    "{}",
                    json!({"command": "refresh", "verified": verified_roles(&updater)})
                );
            }
            exiting(updater);
        }
        Command::Download => {
            if cli.target_names.is_empty() {
                return Err("download needs at least one --target-name".into());
            }
            let mut updater = updater(cli, true)?;
            updater.refresh()?;
            let mut downloaded = Vec::new();
            for name in &cli.target_names {
                let info = updater.get_target_info(name)?;
                let (path, fetched) = match updater.find_cached_target(&info, name)? {
                    Some(path) => (path, false),
                    None => (updater.download_target(&info, name)?, true),
                };
                tracing::debug!(target = %name, path = %path.display(), fetched, "target verified");
                downloaded.push(json!({
                    "target": name, "path": path, "length": info.length,
                    "hashes": info.hashes, "downloaded": fetched,
                }));
            }
            if cli.json {
                println!(
                    "{}",
                    json!({"command": "download", "verified": verified_roles(&updater), "targets": downloaded})
                );
            }
            exiting(updater);
        }
        Command::Info { target } => {
            let mut updater = updater(cli, false)?;
            updater.refresh()?;
            let info = updater.get_target_info(target)?;
            if cli.json {
                println!(
                    "{}",
                    json!({"target": target, "length": info.length, "hashes": info.hashes, "custom": info.custom})
                );
            } else {
                println!("target:  {target}");
                println!("length:  {}", info.length);
                for (algorithm, digest) in &info.hashes {
                    println!("{:<8} {digest}", format!("{algorithm}:"));
                }
                if let Some(custom) = &info.custom {
                    println!("custom:  {}", serde_json::Value::Object(custom.clone()));
                }
            }
        }
    }
    Ok(())
}
