//! Client benchmarks on the reference workloads (issue: cold download ≤ 60 ms / ≤ 60 MiB for
//! 100,000 targets; ≤ 8 ms for 16,384 succinct bins with 100,000 targets).
//!
//! - `cold_download/*`: a whole `tuf-client download` process (fresh metadata directory
//!   holding only the trusted root, one target) against a repository read over `file://`,
//!   which is what a user waits for, start-up included.
//! - `updater/*`: the same work in-process, without process start-up.
//!
//! The repositories are generated once under `target/bench-repos/` (ed25519, consistent
//! snapshots) and reused. Run: `cargo bench -p tuf-client --bench client`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, criterion_group, criterion_main};
use tuf_crypto::{PrivateKey, Scheme, Signer};
use tuf_metadata::{
    Delegations, Expires, Keys, MetaFile, Metadata, Root, Snapshot, SuccinctRoles,
    TOP_LEVEL_ROLE_NAMES, TargetFile, Targets, Timestamp,
};

const TARGETS: usize = 100_000;
const WANTED: &str = "packages/pkg-77777/pkg-77777-1.0.tar.gz";

fn target_path(i: usize) -> String {
    format!("packages/pkg-{i}/pkg-{i}-1.0.tar.gz")
}

fn write_metadata<T: tuf_metadata::Signed>(dir: &Path, name: &str, md: &Metadata<T>) -> Vec<u8> {
    let bytes = md.to_bytes();
    std::fs::write(dir.join(name), &bytes).unwrap();
    bytes
}

/// Builds a repository with `TARGETS` targets, flat or spread over `2^bits` succinct bins.
fn make_repo(dir: &Path, bins: Option<u8>) {
    let metadata = dir.join("metadata");
    let targets_dir = dir.join("targets");
    std::fs::create_dir_all(&metadata).unwrap();
    std::fs::create_dir_all(targets_dir.join("packages/pkg-77777")).unwrap();
    let expires: Expires = "2099-01-01T00:00:00Z".parse().unwrap();
    let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    let mut root = Root::new(expires);
    for role in TOP_LEVEL_ROLE_NAMES {
        root.add_key(role, key.public_key().clone()).unwrap();
    }
    let mut root = Metadata::new(root);
    root.sign(&key).unwrap();
    write_metadata(&metadata, "1.root.json", &root);

    let mut files: Vec<(String, TargetFile)> = (0..TARGETS)
        .map(|i| {
            let content = format!("content of target {i}\n");
            (
                target_path(i),
                TargetFile::from_data(content.as_bytes(), &["sha256"]).unwrap(),
            )
        })
        .collect();
    let wanted = files.iter().find(|(p, _)| p == WANTED).unwrap().1.clone();
    let digest = wanted.hashes["sha256"].to_owned();
    std::fs::write(
        targets_dir.join(format!("packages/pkg-77777/{digest}.pkg-77777-1.0.tar.gz")),
        "content of target 77777\n",
    )
    .unwrap();

    let mut snapshot = Snapshot::new(expires);
    let mut top = Targets::new(expires);
    match bins {
        None => top.targets = files.drain(..).collect(),
        Some(bits) => {
            let succinct = SuccinctRoles::new(vec![key.key_id()], 1, bits, "bin").unwrap();
            let mut per_bin: std::collections::BTreeMap<String, Targets> = succinct
                .role_names()
                .map(|name| (name, Targets::new(expires)))
                .collect();
            for (path, file) in files.drain(..) {
                per_bin
                    .get_mut(&succinct.role_for_target(&path))
                    .unwrap()
                    .targets
                    .insert(path, file);
            }
            for (name, bin) in per_bin {
                let mut md = Metadata::new(bin);
                md.sign(&key).unwrap();
                write_metadata(&metadata, &format!("1.{name}.json"), &md);
                snapshot
                    .meta
                    .insert(format!("{name}.json"), MetaFile::new(1));
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
    let mut top = Metadata::new(top);
    top.sign(&key).unwrap();
    let top_bytes = write_metadata(&metadata, "1.targets.json", &top);
    snapshot.meta.insert(
        "targets.json".into(),
        MetaFile::from_data(1, &top_bytes, &["sha256"]).unwrap(),
    );
    let mut snapshot = Metadata::new(snapshot);
    snapshot.sign(&key).unwrap();
    let snapshot_bytes = write_metadata(&metadata, "1.snapshot.json", &snapshot);
    let mut timestamp = Timestamp::new(expires);
    timestamp.snapshot_meta = MetaFile::from_data(1, &snapshot_bytes, &["sha256"]).unwrap();
    let mut timestamp = Metadata::new(timestamp);
    timestamp.sign(&key).unwrap();
    write_metadata(&metadata, "timestamp.json", &timestamp);
}

fn repo(name: &str, bins: Option<u8>) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/bench-repos")
        .join(name);
    if !dir.join("metadata/timestamp.json").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        make_repo(&dir, bins);
    }
    dir
}

fn url(dir: &Path) -> String {
    format!("file://{}/", dir.display())
}

fn fresh_client_dirs(repo: &Path) -> tempfile::TempDir {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join("md")).unwrap();
    std::fs::create_dir_all(work.path().join("td")).unwrap();
    std::fs::copy(
        repo.join("metadata/1.root.json"),
        work.path().join("md/root.json"),
    )
    .unwrap();
    work
}

fn cold_download_process(repo: &Path) {
    let work = fresh_client_dirs(repo);
    let status = Command::new(env!("CARGO_BIN_EXE_tuf-client"))
        .arg("--metadata-url")
        .arg(url(&repo.join("metadata")))
        .arg("--metadata-dir")
        .arg(work.path().join("md"))
        .arg("--target-name")
        .arg(WANTED)
        .arg("--target-dir")
        .arg(work.path().join("td"))
        .arg("--target-base-url")
        .arg(url(&repo.join("targets")))
        .arg("download")
        .status()
        .unwrap();
    assert!(status.success());
}

fn cold_download_in_process(repo: &Path) {
    let work = fresh_client_dirs(repo);
    let mut updater =
        tuf_client::Updater::builder(work.path().join("md"), &url(&repo.join("metadata")))
            .target_dir(work.path().join("td"))
            .target_base_url(&url(&repo.join("targets")))
            .build()
            .unwrap();
    updater.refresh().unwrap();
    let info = updater.get_target_info(WANTED).unwrap();
    updater.download_target(&info, WANTED).unwrap();
}

fn benches(c: &mut Criterion) {
    let flat = repo("flat-100k", None);
    let bins = repo("bins-16384-100k", Some(14));
    let mut group = c.benchmark_group("cold_download");
    group.sample_size(10);
    group.bench_function("flat_100k_targets", |b| {
        b.iter(|| cold_download_process(&flat))
    });
    group.bench_function("succinct_16384_bins_100k_targets", |b| {
        b.iter(|| cold_download_process(&bins))
    });
    group.finish();
    let mut group = c.benchmark_group("updater");
    group.sample_size(10);
    group.bench_function("flat_100k_targets", |b| {
        b.iter(|| cold_download_in_process(&flat))
    });
    group.bench_function("succinct_16384_bins_100k_targets", |b| {
        b.iter(|| cold_download_in_process(&bins))
    });
    group.finish();
}

criterion_group!(client, benches);
criterion_main!(client);
