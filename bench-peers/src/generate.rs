//! The reference workloads, and our side of repository creation.
//!
//! Inputs (`<dir>/input/`), shared by the three repository writers:
//! - `hashes.tsv`: 100,000 targets as `path<TAB>length<TAB>sha256` (known hashes: creation is
//!   timed without hashing files);
//! - `key.pem`: one ed25519 key (PKCS#8 PEM) and `root.json`: version 1 of root, consistent
//!   snapshots, that key for every top-level role (python-tuf's and tough's writers start from
//!   a signed root; ours makes its own keys and root with `Repository::init`).
//!
//! Client workloads, made with our tuf-metadata library (ed25519, consistent snapshots, every
//! role signed by the input key), which python-tuf's ngclient, tough and our client all read:
//! - `flat/`: the 100,000 targets in `targets.json` (about 20 MB);
//! - `bins/`: the same targets in 16,384 succinct hash bins (TAP 15), as PyPI plans it;
//!   snapshot lists each bin's version only, as RSTUF (PyPI's repository service) and
//!   python-tuf's repository examples write it and `tuf-repo` does by default;
//! - `bins-hashed/`: the same, with snapshot also listing each bin's length and sha256
//!   (a snapshot of 2.8 MB instead of 0.7 MB).
//!
//! Snapshot lists the length and sha256 of `targets.json` in every workload: the flat one
//! (17.6 MB) exceeds the clients' default 5 MB cap for a targets role listed without a length.
//!
//! Each has `metadata/` and `targets/`; the one target downloaded ([`WANTED`]) is stored under
//! both consistent-snapshot names: `dir/<sha256>.name` (spec, python-tuf, ours) and
//! `<sha256>.dir/name` (tough).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Context, bail};
use std::collections::BTreeMap;
use tuf_crypto::{PrivateKey, Scheme, Signer};

use tuf_metadata::{
    Delegations, Keys, MetaFile, Metadata, Root, Signed, Snapshot, SuccinctRoles,
    TOP_LEVEL_ROLE_NAMES, TargetFile, Targets, Timestamp,
};
use tuf_repo::{ExpiryPolicy, FsStorage, InitOptions, NoProgress, Repository};

/// Targets in every workload.
pub(crate) const TARGETS: usize = 100_000;
/// Succinct hash bins of the PyPI-like workload.
pub(crate) const BINS: u64 = 16_384;
/// The target every client run downloads.
pub(crate) const WANTED: &str = "packages/pkg-77777/pkg-77777-1.0.tar.gz";
const WANTED_INDEX: usize = 77_777;
/// Every role of every workload expires a year after it is made.
const DAYS: u32 = 365;

fn target_path(i: usize) -> String {
    format!("packages/pkg-{i}/pkg-{i}-1.0.tar.gz")
}

fn content(i: usize) -> String {
    format!("content of target {i}\n")
}

/// Writes the inputs and both client workloads under `dir` (replacing what was there).
pub(crate) fn generate(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    let input = dir.join("input");
    std::fs::create_dir_all(&input)?;
    let mut tsv = String::with_capacity(TARGETS * 100);
    for i in 0..TARGETS {
        let file = TargetFile::from_data(content(i).as_bytes(), &["sha256"])?;
        let sha256 = file.hashes.get("sha256").context("sha256 computed")?;
        writeln!(tsv, "{}\t{}\t{sha256}", target_path(i), file.length)?;
    }
    std::fs::write(input.join("hashes.tsv"), tsv)?;

    let key = PrivateKey::generate(Scheme::Ed25519)?;
    std::fs::write(input.join("key.pem"), key.to_pkcs8_pem()?)?;
    let expires = tuf_repo::expires_in(now(), DAYS)?;
    let mut root = Root::new(expires);
    root.consistent_snapshot = Some(true);
    for role in TOP_LEVEL_ROLE_NAMES {
        root.add_key(role, key.public_key().clone())?;
    }
    let mut root = Metadata::new(root);
    root.sign(&key)?;
    std::fs::write(input.join("root.json"), root.to_bytes())?;

    let known = read_hashes(&input.join("hashes.tsv"))?;
    for (name, bins, hashed_bins) in [
        ("flat", None, false),
        ("bins", Some(BINS), false),
        ("bins-hashed", Some(BINS), true),
    ] {
        let repo = dir.join(name);
        client_repository(&repo, &key, &root, &known, bins, hashed_bins)?;
        let targets = repo.join("targets");
        let sha256 = TargetFile::from_data(content(WANTED_INDEX).as_bytes(), &["sha256"])?
            .hashes
            .get("sha256")
            .map(str::to_owned)
            .context("sha256 computed")?;
        let (parent, file) = WANTED.rsplit_once('/').context("WANTED has a directory")?;
        for path in [
            targets.join(parent).join(format!("{sha256}.{file}")),
            targets.join(format!("{sha256}.{WANTED}")),
        ] {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, content(WANTED_INDEX))?;
        }
    }
    Ok(())
}

fn write_metadata<T: Signed>(
    dir: &Path,
    name: &str,
    metadata: &mut Metadata<T>,
    key: &PrivateKey,
) -> anyhow::Result<Vec<u8>> {
    metadata.sign(key)?;
    let bytes = metadata.to_bytes();
    std::fs::write(dir.join(name), &bytes)?;
    Ok(bytes)
}

/// A client workload: `root` (every top-level role trusting `key`), the `known` targets in
/// `targets.json` or in `bins` succinct hash bins (also trusting `key`); snapshot lists the
/// length and sha256 of each targets role and timestamp those of snapshot, so that every
/// client fetches them with an exact cap (python-tuf's default cap for a targets role whose
/// length is not listed, 5 MB, is below the flat targets.json).
fn client_repository(
    dir: &Path,
    key: &PrivateKey,
    root: &Metadata<Root>,
    known: &[(String, TargetFile)],
    bins: Option<u64>,
    hashed_bins: bool,
) -> anyhow::Result<()> {
    let metadata = dir.join("metadata");
    std::fs::create_dir_all(&metadata)?;
    std::fs::create_dir_all(dir.join("targets"))?;
    std::fs::write(metadata.join("1.root.json"), root.to_bytes())?;
    let expires = root.signed().expires;
    let mut snapshot = Snapshot::new(expires);
    let mut top = Targets::new(expires);
    // The length and sha256 of `bytes` with `hashed`, else the version alone.
    let mut listed = |name: String, bytes: &[u8], hashed: bool| -> anyhow::Result<()> {
        let meta = if hashed {
            MetaFile::from_data(1, bytes, &["sha256"])?
        } else {
            MetaFile::new(1)
        };
        snapshot.meta.insert(name, meta);
        Ok(())
    };
    match bins {
        None => top.targets = known.iter().cloned().collect(),
        Some(count) => {
            let bits = u8::try_from(count.trailing_zeros())?;
            let succinct = SuccinctRoles::new(vec![key.key_id()], 1, bits, "bin")?;
            let mut per_bin: BTreeMap<String, Targets> = succinct
                .role_names()
                .map(|name| (name, Targets::new(expires)))
                .collect();
            for (path, file) in known {
                per_bin
                    .get_mut(&succinct.role_for_target(path))
                    .context("every path has a bin")?
                    .targets
                    .insert(path.clone(), file.clone());
            }
            for (name, bin) in per_bin {
                let bytes = write_metadata(
                    &metadata,
                    &format!("1.{name}.json"),
                    &mut Metadata::new(bin),
                    key,
                )?;
                listed(format!("{name}.json"), &bytes, hashed_bins)?;
            }
            let mut keys = Keys::new();
            keys.insert(key.key_id(), key.public_key().clone());
            top.delegations = Some(Delegations {
                keys,
                roles: None,
                succinct_roles: Some(succinct),
                unrecognized_fields: Default::default(),
            });
        }
    }
    let bytes = write_metadata(&metadata, "1.targets.json", &mut Metadata::new(top), key)?;
    listed("targets.json".to_owned(), &bytes, true)?;
    let snapshot_bytes = write_metadata(
        &metadata,
        "1.snapshot.json",
        &mut Metadata::new(snapshot),
        key,
    )?;
    let mut timestamp = Timestamp::new(expires);
    timestamp.snapshot_meta = MetaFile::from_data(1, &snapshot_bytes, &["sha256"])?;
    write_metadata(
        &metadata,
        "timestamp.json",
        &mut Metadata::new(timestamp),
        key,
    )?;
    Ok(())
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Reads `path<TAB>length<TAB>sha256` lines. (Reading the two halves side by side saved
/// 8 ms of 150 and cost 15 MiB of peak RSS: not worth it.)
fn read_hashes(path: &Path) -> anyhow::Result<Vec<(String, TargetFile)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut targets = Vec::with_capacity(TARGETS);
    for line in text.lines() {
        let mut fields = line.split('\t');
        let (Some(target), Some(length), Some(sha256), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            bail!("{}: bad line `{line}`", path.display());
        };
        let file = TargetFile {
            length: length.parse()?,
            hashes: [("sha256", sha256)].into(),
            custom: None,
            unrecognized_fields: Default::default(),
        };
        targets.push((target.to_owned(), file));
    }
    Ok(targets)
}

/// Our repository creation, as `bench-peers create-ours` times it: `Repository::init` (new
/// ed25519 keys, version 1 of every role), optionally `bins` succinct hash bins, every target of
/// `hashes` added from its known hashes, then `publish` (sign and write what changed, a new
/// snapshot and timestamp) into `out`.
pub(crate) fn create(hashes: &Path, out: &Path, bins: Option<u64>) -> anyhow::Result<()> {
    let targets = read_hashes(hashes)?;
    let options = InitOptions {
        expires_days: Some(DAYS),
        ..InitOptions::default()
    };
    let mut repo = Repository::init(FsStorage::new(out), &options)?;
    repo.set_expiry_policy(ExpiryPolicy {
        root_days: DAYS,
        targets_days: DAYS,
        delegated_days: DAYS,
        snapshot_days: DAYS,
        timestamp_days: DAYS,
    });
    if let Some(count) = bins {
        repo.add_bins("targets", count, "bin", Scheme::Ed25519)?;
    }
    repo.add_targets(None, targets)?;
    repo.publish(&NoProgress)?;
    // As the `tuf-repo` command does: the process ends here, and the operating system
    // reclaims the repository's memory at once, where freeing it entry by entry costs tens of
    // milliseconds. Every write is synced by `publish`.
    std::mem::forget(repo);
    Ok(())
}
