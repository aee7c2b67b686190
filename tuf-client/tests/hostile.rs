//! Hostile servers against the whole updater (real sockets on 127.0.0.1, tuf-conformance's
//! simulator and server): endless responses, oversized metadata, a server trickling one byte
//! a second, dropped connections, redirects to another host, and wrong content lengths. Each
//! is refused within the configured bound with its typed error, and the metadata directory
//! keeps exactly what it trusted before.
//!
//! The client's bounds are set low (caps of a few kilobytes, a one-second grace for the
//! slow-retrieval floor), so that every case ends in about a second at most; nothing here
//! measures time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::Duration;

use tuf_client::fetcher::{FetchError, HttpConfig, HttpFetcher};
use tuf_client::trusted::TrustError;
use tuf_client::{Error, Updater, UpdaterConfig};
use tuf_conformance::server::Server;
use tuf_conformance::simulator::{Behaviour, RepositorySimulator, SimOptions};

const TARGET: &str = "file.txt";
const CONTENT: &[u8] = b"the target file\n";

/// The bounds of every case.
fn http_config() -> HttpConfig {
    HttpConfig {
        read_timeout: Duration::from_secs(3),
        min_bytes_per_second: 100,
        slow_retrieval_grace: Duration::from_secs(1),
        retries: 1,
        ..HttpConfig::default()
    }
}

fn updater_config() -> UpdaterConfig {
    UpdaterConfig {
        root_max_length: 8_192,
        timestamp_max_length: 4_096,
        snapshot_max_length: 8_192,
        targets_max_length: 8_192,
        ..UpdaterConfig::default()
    }
}

/// A repository with one target, served, and a client that has already refreshed once.
struct Case {
    sim: RepositorySimulator,
    server: Server,
    /// Another host serving the same files, without misbehaving (for redirects).
    mirror: Server,
    dir: tempfile::TempDir,
}

impl Case {
    fn new(options: SimOptions) -> Case {
        let mut sim = RepositorySimulator::new(options).unwrap();
        sim.add_target("targets", TARGET, CONTENT).unwrap();
        let server = Server::start().unwrap();
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("td")).unwrap();
        let mirror = Server::start().unwrap();
        let mut case = Case {
            sim,
            server,
            mirror,
            dir,
        };
        case.publish();
        Updater::init(&case.md(), case.sim.published_root(1).unwrap()).unwrap();
        case.updater().refresh().unwrap();
        case
    }

    fn md(&self) -> std::path::PathBuf {
        self.dir.path().join("md")
    }

    fn publish(&mut self) {
        let files = self.sim.files().unwrap();
        self.mirror.publish(files.clone(), BTreeMap::new());
        self.server.publish(files, self.sim.behaviours().clone());
    }

    /// A redirect to the same path on the mirror.
    fn redirect(&self) -> Behaviour {
        let to = self
            .mirror
            .url("")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .unwrap();
        Behaviour::Redirect { to }
    }

    fn updater(&self) -> Updater {
        Updater::builder(self.md(), &self.server.url("metadata/"))
            .target_dir(self.dir.path().join("td"))
            .target_base_url(&self.server.url("targets/"))
            .fetcher(Box::new(HttpFetcher::new(http_config()).unwrap()))
            .config(updater_config())
            .build()
            .unwrap()
    }

    /// The repository moves on (new targets, snapshot, timestamp), `path` misbehaves, and a
    /// refresh and a download run; returns the error of the download (after checking that the
    /// refresh failed the same way, unless `path` is the target's).
    fn misbehave(&mut self, path: &str, behaviour: Behaviour) -> Error {
        self.sim.update("targets").unwrap();
        self.sim.set_behaviour(path, behaviour);
        self.publish();
        let before = snapshot_dir(&self.md());
        let mut updater = self.updater();
        let result = if path.starts_with("targets/") {
            updater.refresh().unwrap();
            let info = updater.get_target_info(TARGET).unwrap();
            updater.download_target(&info, TARGET).map(|_| ())
        } else {
            updater.refresh()
        };
        let error = result.expect_err("the hostile server must be refused");
        if !path.starts_with("targets/") {
            // Nothing the failed role sent reached the metadata directory.
            let after = snapshot_dir(&self.md());
            for (name, bytes) in &before {
                if path.contains(name.trim_end_matches(".json")) {
                    assert_eq!(after.get(name), Some(bytes), "{name} changed");
                }
            }
        }
        assert!(
            !self.dir.path().join("td").join(TARGET).exists(),
            "an unverified target reached the target directory"
        );
        error
    }

    fn target_path(&self) -> String {
        self.sim.target_request_path(TARGET)
    }
}

fn snapshot_dir(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".json"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn endless_timestamp_is_cut_at_the_timestamp_cap() {
    let mut case = Case::new(SimOptions::default());
    let error = case.misbehave("metadata/timestamp.json", Behaviour::Endless);
    assert!(
        matches!(
            error,
            Error::Fetch(FetchError::TooLarge {
                max_length: 4_096,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn endless_snapshot_with_a_huge_declared_length_is_refused_at_the_snapshot_cap() {
    let mut case = Case::new(SimOptions::default());
    let error = case.misbehave("metadata/2.snapshot.json", Behaviour::EndlessDeclared);
    assert!(
        matches!(
            error,
            Error::Fetch(FetchError::TooLarge {
                max_length: 8_192,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn endless_target_is_cut_at_its_trusted_length() {
    let mut case = Case::new(SimOptions::default());
    let path = case.target_path();
    let error = case.misbehave(&path, Behaviour::Endless);
    let expected = CONTENT.len() as u64;
    assert!(
        matches!(error, Error::Fetch(FetchError::TooLarge { max_length, .. }) if max_length == expected),
        "{error:?}"
    );
}

#[test]
fn oversized_targets_metadata_is_refused_at_the_targets_cap() {
    let mut case = Case::new(SimOptions::default());
    // A genuine, correctly signed targets role, just larger than the client accepts.
    for i in 0..200 {
        case.sim
            .add_target("targets", &format!("bulk/file-{i}.bin"), &[b'x'; 8])
            .unwrap();
    }
    case.sim.update("targets").unwrap();
    case.publish();
    let error = case.updater().refresh().unwrap_err();
    assert!(
        matches!(
            error,
            Error::Fetch(FetchError::TooLarge {
                max_length: 8_192,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn oversized_root_is_refused_at_the_root_cap() {
    let mut case = Case::new(SimOptions::default());
    for _ in 0..80 {
        let keyid = case.sim.new_key().unwrap();
        case.sim.authorize("targets", &keyid).unwrap();
    }
    case.sim.publish_root().unwrap();
    case.publish();
    let error = case.updater().refresh().unwrap_err();
    assert!(
        matches!(
            error,
            Error::Fetch(FetchError::TooLarge {
                max_length: 8_192,
                ..
            })
        ),
        "{error:?}"
    );
    let root = fs::read(case.md().join("root.json")).unwrap();
    assert_eq!(
        root,
        case.sim.published_root(1).unwrap(),
        "root.json changed"
    );
}

#[test]
fn one_byte_a_second_is_a_slow_retrieval() {
    let mut case = Case::new(SimOptions::default());
    let error = case.misbehave(
        "metadata/timestamp.json",
        Behaviour::Trickle {
            bytes_per_second: 1,
        },
    );
    assert!(
        matches!(
            error,
            Error::Fetch(FetchError::SlowRetrieval {
                min_bytes_per_second: 100,
                ..
            })
        ),
        "{error:?}"
    );
}

#[test]
fn trickled_target_is_a_slow_retrieval() {
    let mut case = Case::new(SimOptions::default());
    let path = case.target_path();
    let error = case.misbehave(
        &path,
        Behaviour::Trickle {
            bytes_per_second: 1,
        },
    );
    assert!(
        matches!(error, Error::Fetch(FetchError::SlowRetrieval { .. })),
        "{error:?}"
    );
}

#[test]
fn dropped_connections_are_a_connection_error() {
    for path in [
        "metadata/timestamp.json",
        "metadata/2.snapshot.json",
        "metadata/2.targets.json",
    ] {
        let mut case = Case::new(SimOptions::default());
        let error = case.misbehave(path, Behaviour::Drop);
        assert!(
            matches!(error, Error::Fetch(FetchError::Connection { .. })),
            "{path}: {error:?}"
        );
    }
    let mut case = Case::new(SimOptions::default());
    let path = case.target_path();
    let error = case.misbehave(&path, Behaviour::Drop);
    assert!(
        matches!(error, Error::Fetch(FetchError::Connection { .. })),
        "{error:?}"
    );
}

#[test]
fn redirects_to_another_host_are_not_followed() {
    // The other host serves the same repository, so following the redirect would succeed.
    for path in [
        "metadata/timestamp.json",
        "metadata/2.snapshot.json",
        "target",
    ] {
        let mut case = Case::new(SimOptions::default());
        let path = if path == "target" {
            case.target_path()
        } else {
            path.to_owned()
        };
        case.mirror.take_requests();
        let redirect = case.redirect();
        let error = case.misbehave(&path, redirect);
        assert!(
            matches!(error, Error::Fetch(FetchError::Status { status: 302, .. })),
            "{path}: {error:?}"
        );
        assert_eq!(
            case.mirror.take_requests(),
            Vec::<String>::new(),
            "{path}: the other host was asked"
        );
    }
}

#[test]
fn content_length_longer_than_the_body_is_a_connection_error() {
    let mut case = Case::new(SimOptions::default());
    let error = case.misbehave("metadata/2.targets.json", Behaviour::Truncate);
    match error {
        Error::Fetch(FetchError::Connection { reason, .. }) => {
            assert!(reason.contains("body cut short"), "{reason}");
        }
        other => panic!("{other:?}"),
    }
    let mut case = Case::new(SimOptions::default());
    let path = case.target_path();
    // The declared length exceeds the target's trusted length: refused before reading.
    let error = case.misbehave(&path, Behaviour::Truncate);
    let expected = CONTENT.len() as u64;
    assert!(
        matches!(error, Error::Fetch(FetchError::TooLarge { max_length, .. }) if max_length == expected),
        "{error:?}"
    );
}

#[test]
fn content_length_shorter_than_the_body_fails_verification() {
    // Timestamp lists the snapshot's length and hash: the short read is caught there.
    let mut case = Case::new(SimOptions {
        timestamp_lists_hashes: true,
        ..SimOptions::default()
    });
    let error = case.misbehave("metadata/2.snapshot.json", Behaviour::ShortLength);
    assert!(
        matches!(&error, Error::Trust(TrustError::LengthOrHash { role, .. }) if role == "snapshot"),
        "{error:?}"
    );
    // Without a listed length, what was read is not valid metadata.
    let mut case = Case::new(SimOptions::default());
    let error = case.misbehave("metadata/timestamp.json", Behaviour::ShortLength);
    assert!(
        matches!(&error, Error::Trust(TrustError::Metadata { role, .. }) if role == "timestamp"),
        "{error:?}"
    );
    // A target is checked against its trusted length and hashes.
    let mut case = Case::new(SimOptions::default());
    let path = case.target_path();
    let error = case.misbehave(&path, Behaviour::ShortLength);
    assert!(
        matches!(&error, Error::TargetVerification { path, .. } if path == TARGET),
        "{error:?}"
    );
}
