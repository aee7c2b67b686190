//! Large roles through the whole updater, over real sockets on 127.0.0.1 (tuf-conformance's
//! simulator and server): a snapshot and a targets role of several hundred kilobytes are
//! fetched into the core's intakes, hashed and signature-checked while they arrive (5.5.2-5.5.3,
//! 5.6.2-5.6.3), and verified. Served whole, trickled, or tampered with, each is accepted or
//! refused exactly as the bytes deserve, and a refused role never replaces the cached one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;

use tuf_client::fetcher::FetchError;
use tuf_client::trusted::TrustError;
use tuf_client::{Error, Updater};
use tuf_conformance::server::Server;
use tuf_conformance::simulator::{Behaviour, RepositorySimulator, SimOptions, Tamper};

/// Targets listed by the top-level targets role: about 600 KB of metadata.
const TARGETS: usize = 3000;
/// Succinct hash bins delegated by targets, so that snapshot lists 4,097 roles (about
/// 500 KB of metadata).
const BIN_BITS: u8 = 12;

fn target_name(index: usize) -> String {
    format!("packages/pkg-{index:05}/pkg-{index:05}-1.0.tar.gz")
}

struct Case {
    sim: RepositorySimulator,
    server: Server,
    dir: tempfile::TempDir,
}

impl Case {
    /// The repository, served; `hashed`: timestamp and snapshot list lengths and hashes.
    fn new(hashed: bool) -> Case {
        let mut sim = RepositorySimulator::new(SimOptions {
            timestamp_lists_hashes: hashed,
            snapshot_lists_hashes: hashed,
            ..SimOptions::default()
        })
        .unwrap();
        for index in 0..TARGETS {
            sim.add_target("targets", &target_name(index), index.to_string().as_bytes())
                .unwrap();
        }
        sim.add_succinct_bins("targets", BIN_BITS, "bin").unwrap();
        let server = Server::start().unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("td")).unwrap();
        let mut case = Case { sim, server, dir };
        case.publish();
        Updater::init(&case.md(), case.sim.published_root(1).unwrap()).unwrap();
        case
    }

    fn md(&self) -> std::path::PathBuf {
        self.dir.path().join("md")
    }

    fn publish(&mut self) {
        let files = self.sim.files().unwrap();
        self.server.publish(files, self.sim.behaviours().clone());
    }

    fn updater(&self) -> Updater {
        Updater::builder(self.md(), &self.server.url("metadata/"))
            .target_dir(self.dir.path().join("td"))
            .target_base_url(&self.server.url("targets/"))
            .build()
            .unwrap()
    }

    fn cached(&self, role: &str) -> Vec<u8> {
        fs::read(self.md().join(format!("{role}.json"))).unwrap()
    }

    /// The bytes of `role` as served now (its latest version).
    fn served(&mut self, role: &str) -> Vec<u8> {
        let files = self.sim.files().unwrap();
        let version = match role {
            "snapshot" => self.sim.snapshot.version,
            _ => self.sim.targets[role].version,
        };
        files[&format!("metadata/{version}.{role}.json")].clone()
    }
}

#[test]
fn large_roles_are_verified_as_they_arrive_and_stored_as_received() {
    let mut case = Case::new(true);
    let targets = case.served("targets");
    let snapshot = case.served("snapshot");
    assert!(targets.len() > 400_000, "{}", targets.len());
    assert!(snapshot.len() > 300_000, "{}", snapshot.len());
    let mut updater = case.updater();
    updater.refresh().unwrap();
    for index in [0, 1717, TARGETS - 1] {
        let name = target_name(index);
        let info = updater.get_target_info(&name).unwrap();
        let path = updater.download_target(&info, &name).unwrap();
        assert_eq!(fs::read(path).unwrap(), index.to_string().as_bytes());
    }
    assert!(matches!(
        updater.get_target_info("packages/none.tar.gz"),
        Err(Error::TargetNotFound { .. })
    ));
    assert_eq!(case.cached("targets"), targets);
    assert_eq!(case.cached("snapshot"), snapshot);
}

#[test]
fn large_roles_trickled_in_are_verified() {
    // Pieces arrive slowly (2 MB/s): the intake's thread waits for each, and keeps up.
    let mut case = Case::new(true);
    let version = case.sim.targets["targets"].version;
    let path = format!("metadata/{version}.targets.json");
    case.sim.set_behaviour(
        &path,
        Behaviour::Trickle {
            bytes_per_second: 2_000_000,
        },
    );
    case.publish();
    let mut updater = case.updater();
    updater.refresh().unwrap();
    let served = case.served("targets");
    assert_eq!(case.cached("targets"), served);
}

/// What a damaged role is refused with.
#[derive(Debug, Clone, Copy)]
enum Refusal {
    /// A missed signature threshold (5.5.3, 5.6.3).
    Threshold,
    /// Other bytes than listed, of the listed length (5.5.2, 5.6.2).
    Hash,
    /// Longer than listed: cut at the listed length by the fetcher.
    TooLarge,
}

#[test]
fn tampered_large_roles_are_refused_and_the_cache_keeps_the_old_ones() {
    // (role, damage, whether the parents list hashes, the refusal expected.)
    let cases = [
        ("targets", "bad signature", false, Refusal::Threshold),
        ("targets", "one byte changed", true, Refusal::Hash),
        ("targets", "one byte changed", false, Refusal::Threshold),
        ("targets", "whitespace appended", true, Refusal::TooLarge),
        ("snapshot", "bad signature", false, Refusal::Threshold),
        ("snapshot", "one byte changed", true, Refusal::Hash),
        ("snapshot", "whitespace appended", true, Refusal::TooLarge),
    ];
    for (role, damage, hashed, refusal) in cases {
        let mut case = Case::new(hashed);
        case.updater().refresh().unwrap();
        let before: BTreeMap<&str, Vec<u8>> = ["snapshot", "targets"]
            .into_iter()
            .map(|role| (role, case.cached(role)))
            .collect();
        // The repository moves on, and the new role is damaged after signing.
        case.sim
            .add_target("targets", "packages/new.tar.gz", b"new")
            .unwrap();
        case.sim.update("targets").unwrap();
        let tamper = match damage {
            "bad signature" => Tamper::BadSignature,
            "whitespace appended" => Tamper::AppendWhitespace,
            _ => {
                // A digit of a length deep inside `signed`, changed.
                let mut bytes = case.served(role);
                let at = bytes.len() / 2
                    + bytes[bytes.len() / 2..]
                        .iter()
                        .position(u8::is_ascii_digit)
                        .unwrap();
                bytes[at] = if bytes[at] == b'1' { b'2' } else { b'1' };
                Tamper::Replace(bytes)
            }
        };
        case.sim.tamper(role, tamper);
        case.publish();
        let error = case.updater().refresh().unwrap_err();
        let refused = match refusal {
            Refusal::Threshold => matches!(
                &error,
                Error::Trust(TrustError::Metadata {
                    source: tuf_metadata::Error::ThresholdNotMet { .. },
                    role: found,
                }) if found == role
            ),
            Refusal::Hash => matches!(
                &error,
                Error::Trust(TrustError::LengthOrHash { role: found, .. }) if found == role
            ),
            Refusal::TooLarge => matches!(error, Error::Fetch(FetchError::TooLarge { .. })),
        };
        assert!(refused, "{role}, {damage}: {error:?}");
        assert_eq!(case.cached(role), before[role], "{role}, {damage}");
    }
}
