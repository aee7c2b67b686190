//! Verifies a directory of TUF metadata the way a client would, from its root, and prints a
//! table of every role: version, expiry, and which keys signed.
//!
//! ```sh
//! cargo run -p tuf-metadata --example verify_repository [-- DIR]
//! ```
//!
//! DIR holds `root.json` (or a chain `1.root.json`, `2.root.json`, ...), `timestamp.json`,
//! `snapshot.json`, `targets.json` and `<role>.json` for delegated roles. Without DIR, a
//! repository made and signed by python-tuf (from spec-vectors) is used.
//!
//! Root rotation is followed (spec 5.3: each new root signed by the old and the new
//! threshold), then each top-level role is verified by root and each delegated role by its
//! delegator; snapshot and targets are checked against the versions, lengths and hashes their
//! parents list. Expiry is reported, not enforced (this is an inspection tool).
#![allow(clippy::print_stdout)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tuf_metadata::{
    MetaFile, Metadata, Root, Signed, Snapshot, Targets, Timestamp, VerificationResult,
};

type Failure = Box<dyn std::error::Error>;

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../spec-vectors/data/repositories/threshold")
        });
    match run(&dir) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

fn read(dir: &Path, name: &str) -> Result<Vec<u8>, Failure> {
    std::fs::read(dir.join(name))
        .map_err(|e| format!("reading {}: {e}", dir.join(name).display()).into())
}

fn row<T: Signed>(role: &str, metadata: &Metadata<T>, result: &VerificationResult) {
    println!(
        "{role:<24} {:>7} {:<22} {:>2}/{:<2} verified",
        metadata.signed().version(),
        metadata.signed().expires().to_string(),
        result.signed.len(),
        result.threshold,
    );
}

fn check_meta(
    what: &str,
    meta: Option<&MetaFile>,
    version: u64,
    bytes: &[u8],
) -> Result<(), Failure> {
    let meta = meta.ok_or_else(|| format!("{what} is not listed by its parent"))?;
    if meta.version != version {
        return Err(format!(
            "{what}: parent lists version {}, file has {version}",
            meta.version
        )
        .into());
    }
    meta.verify_length_and_hashes(bytes)
        .map_err(|e| format!("{what}: {e}"))?;
    Ok(())
}

fn run(dir: &Path) -> Result<(), Failure> {
    println!("repository: {}\n", dir.display());
    println!(
        "{:<24} {:>7} {:<22} {:<5} status",
        "role", "version", "expires", "sigs"
    );

    // Root: the chain 1.root.json, 2.root.json, ... if present, else root.json trusted as is.
    let mut root = if dir.join("1.root.json").exists() {
        Metadata::<Root>::from_bytes(&read(dir, "1.root.json")?)?
    } else {
        Metadata::<Root>::from_bytes(&read(dir, "root.json")?)?
    };
    let result = root.verify_delegate("root", &root)?;
    row("root (trusted)", &root, &result);
    loop {
        let next_name = format!("{}.root.json", root.signed().version + 1);
        if !dir.join(&next_name).exists() {
            break;
        }
        let next = Metadata::<Root>::from_bytes(&read(dir, &next_name)?)?;
        if next.signed().version != root.signed().version + 1 {
            return Err(format!("{next_name} has version {}", next.signed().version).into());
        }
        root.verify_delegate("root", &next)
            .map_err(|e| format!("{next_name} by old root: {e}"))?;
        let result = next
            .verify_delegate("root", &next)
            .map_err(|e| format!("{next_name} by itself: {e}"))?;
        row(&format!("root ({next_name})"), &next, &result);
        root = next;
    }

    let ts_bytes = read(dir, "timestamp.json")?;
    let timestamp = Metadata::<Timestamp>::from_bytes(&ts_bytes)?;
    row(
        "timestamp",
        &timestamp,
        &root.verify_delegate("timestamp", &timestamp)?,
    );

    let snap_bytes = read(dir, "snapshot.json")?;
    let snapshot = Metadata::<Snapshot>::from_bytes(&snap_bytes)?;
    let result = root.verify_delegate("snapshot", &snapshot)?;
    check_meta(
        "snapshot.json",
        Some(&timestamp.signed().snapshot_meta),
        snapshot.signed().version,
        &snap_bytes,
    )?;
    row("snapshot", &snapshot, &result);

    let targets_bytes = read(dir, "targets.json")?;
    let targets = Metadata::<Targets>::from_bytes(&targets_bytes)?;
    let result = root.verify_delegate("targets", &targets)?;
    check_meta(
        "targets.json",
        snapshot.signed().role_meta("targets").as_deref(),
        targets.signed().version,
        &targets_bytes,
    )?;
    row("targets", &targets, &result);
    let mut target_count = targets.signed().targets.len();

    // Delegated roles, breadth first, each verified by the role that delegates to it.
    let mut queue: VecDeque<Metadata<Targets>> = VecDeque::from([targets]);
    let mut visited = 0usize;
    while let Some(delegator) = queue.pop_front() {
        let Some(delegations) = &delegator.signed().delegations else {
            continue;
        };
        let names: Vec<String> = match (&delegations.roles, &delegations.succinct_roles) {
            (Some(roles), _) => roles.iter().map(|r| r.name.clone()).collect(),
            (None, Some(bins)) => bins.role_names().collect(),
            (None, None) => Vec::new(),
        };
        for name in names {
            visited += 1;
            if visited > 100_000 {
                return Err("more than 100000 delegated roles: giving up".into());
            }
            let file = format!("{name}.json");
            if !dir.join(&file).exists() {
                println!("{name:<24} {:>7} {:<22} {:<5} not present", "-", "-", "-");
                continue;
            }
            let bytes = read(dir, &file)?;
            let delegate = Metadata::<Targets>::from_bytes(&bytes)?;
            let result = delegator.verify_delegate(&name, &delegate)?;
            check_meta(
                &file,
                snapshot.signed().role_meta(&name).as_deref(),
                delegate.signed().version,
                &bytes,
            )?;
            row(&name, &delegate, &result);
            target_count += delegate.signed().targets.len();
            queue.push_back(delegate);
        }
    }
    println!("\nall present metadata verified; {target_count} target(s) listed");
    Ok(())
}
