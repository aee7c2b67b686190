//! Fast-forward attack recovery (spec 5.3.11) through the whole updater over HTTP on
//! 127.0.0.1: when a new root rotates the timestamp keys, the cached timestamp is deleted; when
//! it rotates the snapshot keys, the cached snapshot and timestamp are; even if the update
//! fails right after the root.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use tuf_client::trusted::TrustError;
use tuf_client::{Error, Updater};
use tuf_conformance::server::Server;
use tuf_conformance::simulator::{RepositorySimulator, SimOptions};

struct Case {
    sim: RepositorySimulator,
    server: Server,
    dir: tempfile::TempDir,
}

impl Case {
    /// A repository with one target and a client that has refreshed once.
    fn new() -> Case {
        let mut sim = RepositorySimulator::new(SimOptions::default()).unwrap();
        sim.add_target("targets", "file.txt", b"content").unwrap();
        let mut case = Case {
            sim,
            server: Server::start().unwrap(),
            dir: tempfile::tempdir().unwrap(),
        };
        case.publish();
        Updater::init(&case.md(), case.sim.published_root(1).unwrap()).unwrap();
        case.refresh().unwrap();
        case
    }

    fn md(&self) -> PathBuf {
        self.dir.path().join("md")
    }

    fn publish(&mut self) {
        let files = self.sim.files().unwrap();
        self.server.publish(files, BTreeMap::new());
    }

    fn refresh(&self) -> Result<(), Error> {
        Updater::builder(self.md(), &self.server.url("metadata/"))
            .build()
            .unwrap()
            .refresh()
    }

    fn cached(&self) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(self.md())
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".json"))
            .collect();
        names.sort();
        names
    }

    /// Root v2 (rotating `rotated`, if any) is published with an expired timestamp, so the
    /// update fails after the root; returns what is left cached.
    fn new_root_then_expired_timestamp(&mut self, rotated: Option<&str>) -> Vec<String> {
        if let Some(role) = rotated {
            self.sim.rotate_keys(role).unwrap();
        }
        self.sim.publish_root().unwrap();
        self.sim.update("timestamp").unwrap();
        self.sim.expire("timestamp").unwrap();
        self.publish();
        let error = self.refresh().unwrap_err();
        assert!(
            matches!(&error, Error::Trust(TrustError::Expired { role, .. }) if role == "timestamp"),
            "the update fails at the timestamp: {error:?}"
        );
        let root: serde_json::Value =
            serde_json::from_slice(&fs::read(self.md().join("root.json")).unwrap()).unwrap();
        assert_eq!(root["signed"]["version"], 2, "root v2 is trusted");
        self.cached()
    }
}

const ALL: [&str; 4] = [
    "root.json",
    "snapshot.json",
    "targets.json",
    "timestamp.json",
];

#[test]
fn rotated_timestamp_keys_delete_the_cached_timestamp() {
    let mut case = Case::new();
    assert_eq!(case.cached(), ALL);
    let left = case.new_root_then_expired_timestamp(Some("timestamp"));
    assert_eq!(left, ["root.json", "snapshot.json", "targets.json"]);
    // The repository recovers: the next update trusts the new timestamp from scratch.
    case.sim
        .set_expires(
            "timestamp",
            tuf_conformance::simulator::expires_in(86_400).unwrap(),
        )
        .unwrap();
    case.publish();
    case.refresh().unwrap();
    assert_eq!(case.cached(), ALL);
}

#[test]
fn rotated_snapshot_keys_delete_the_cached_timestamp_and_snapshot() {
    let mut case = Case::new();
    let left = case.new_root_then_expired_timestamp(Some("snapshot"));
    assert_eq!(left, ["root.json", "targets.json"]);
}

#[test]
fn a_root_that_rotates_no_online_key_keeps_the_cache() {
    let mut case = Case::new();
    let left = case.new_root_then_expired_timestamp(Some("targets"));
    assert_eq!(left, ALL);
    let mut case = Case::new();
    assert_eq!(case.new_root_then_expired_timestamp(None), ALL);
}
