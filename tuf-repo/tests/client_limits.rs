//! Large repositories made by tuf-repo are downloadable by our client (`tuf_client::Updater`,
//! over `file://`) with its default limits, which are python-tuf's: a targets role whose length
//! snapshot does not list is capped at 5,000,000 bytes and a snapshot whose length timestamp
//! does not list at 2,000,000 (spec 5.5.4 and 5.6.2 leave the cap to the client). A flat
//! `targets.json` of 100,000 targets is about 17 MB, so the client only accepts it because
//! snapshot lists its length (spec 4.4, METAFILES).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use tuf_crypto::Scheme;
use tuf_metadata::{Metadata, Snapshot, TargetFile, Timestamp};
use tuf_repo::{FsStorage, InitOptions, NoProgress, Repository};

const TARGETS: usize = 100_000;

/// `count` targets with known length and sha256 (no files: only the metadata is fetched).
fn known_targets(count: usize) -> Vec<(String, TargetFile)> {
    (0..count)
        .map(|i| {
            let content = format!("content of target {i}\n");
            (
                format!("packages/pkg-{i}/pkg-{i}-1.0.tar.gz"),
                TargetFile::from_data(content.as_bytes(), &["sha256"]).unwrap(),
            )
        })
        .collect()
}

fn file_url(path: &Path) -> String {
    format!("file://{}/", path.display())
}

/// Refreshes a new client of the repository in `dir` with the default limits and looks up
/// `wanted`.
fn client_finds(dir: &Path, wanted: &str) -> TargetFile {
    let md = tempfile::tempdir().unwrap();
    let root = std::fs::read(dir.join("metadata/1.root.json")).unwrap();
    tuf_client::Updater::init(md.path(), &root).unwrap();
    let mut updater = tuf_client::Updater::builder(md.path(), &file_url(&dir.join("metadata")))
        .target_base_url(&file_url(&dir.join("targets")))
        .build()
        .unwrap();
    updater.refresh().unwrap();
    updater.get_target_info(wanted).unwrap()
}

fn published_snapshot(dir: &Path) -> Snapshot {
    let timestamp = std::fs::read(dir.join("metadata/timestamp.json")).unwrap();
    let timestamp = Metadata::<Timestamp>::from_bytes(&timestamp).unwrap();
    let version = timestamp.signed().snapshot_meta.version;
    let path = dir.join(format!("metadata/{version}.snapshot.json"));
    let bytes = std::fs::read(&path).unwrap();
    // Timestamp lists snapshot's length (and sha256).
    assert_eq!(
        timestamp.signed().snapshot_meta.length,
        Some(bytes.len() as u64)
    );
    Metadata::<Snapshot>::from_bytes(&bytes)
        .unwrap()
        .into_signed()
}

/// Every role snapshot lists has its length listed, and it is the length of the file.
fn assert_lengths_listed(dir: &Path, snapshot: &Snapshot) {
    for (name, meta) in &snapshot.meta {
        let file = dir.join(format!("metadata/{}.{name}", meta.version));
        let length = std::fs::metadata(&file).unwrap().len();
        assert_eq!(meta.length, Some(length), "{name}");
    }
}

#[test]
fn flat_100k_targets_within_default_limits() {
    let dir = tempfile::tempdir().unwrap();
    let options = InitOptions {
        scheme: Scheme::Ed25519,
        ..InitOptions::default()
    };
    let mut repo = Repository::init(FsStorage::new(dir.path()), &options).unwrap();
    let targets = known_targets(TARGETS);
    let wanted = targets[77_777].clone();
    repo.add_targets(None, targets).unwrap();
    repo.publish(&NoProgress).unwrap();
    assert_eq!(client_finds(dir.path(), &wanted.0), wanted.1);

    let snapshot = published_snapshot(dir.path());
    let targets_meta = &snapshot.meta["targets.json"];
    // Larger than the client's cap for an unlisted length: the listed length is what lets
    // the client take it.
    assert!(targets_meta.length.unwrap() > 5_000_000);
    assert_lengths_listed(dir.path(), &snapshot);
}

#[test]
fn bins_list_their_lengths_and_are_downloadable() {
    let dir = tempfile::tempdir().unwrap();
    let options = InitOptions {
        scheme: Scheme::Ed25519,
        ..InitOptions::default()
    };
    let mut repo = Repository::init(FsStorage::new(dir.path()), &options).unwrap();
    repo.add_bins("targets", 256, "bin", Scheme::Ed25519)
        .unwrap();
    let targets = known_targets(10_000);
    let wanted = targets[4_321].clone();
    repo.add_targets(None, targets).unwrap();
    repo.publish(&NoProgress).unwrap();
    let snapshot = published_snapshot(dir.path());
    assert_eq!(snapshot.meta.len(), 257);
    assert_lengths_listed(dir.path(), &snapshot);
    assert_eq!(client_finds(dir.path(), &wanted.0), wanted.1);

    // A second publish that changes one bin: the unchanged bins keep their listed lengths.
    let extra = known_targets(10_001).pop().unwrap();
    let bin = repo.add_target(None, &extra.0, extra.1.clone()).unwrap();
    repo.publish(&NoProgress).unwrap();
    let snapshot = published_snapshot(dir.path());
    assert_eq!(snapshot.meta[&format!("{bin}.json")].version, 2);
    assert_lengths_listed(dir.path(), &snapshot);
    assert_eq!(client_finds(dir.path(), &extra.0), extra.1);
}
