//! The scenario catalogue.
//!
//! Categories are named after the attacks of spec section 1.5.2 (`arbitrary-installation`,
//! `endless-data`, `extraneous-dependencies`, `fast-forward`, `indefinite-freeze`,
//! `malicious-mirrors`, `mix-and-match`, `rollback`, `slow-retrieval`, `key-compromise`,
//! `wrong-software-installation`) or after the feature exercised (`basic`, `root`,
//! `delegation`, `bins`, `keys`, `cache`, `consistent-snapshot`). Where the specification
//! leaves a detail open (which files are stored after a failure, what is reused from the
//! metadata directory), scenarios follow python-tuf's ngclient and CLIENT-CLI.md, and say so.

mod extra;
mod limits;
mod variants;

use tuf_crypto::{KeyId, Scheme};
use tuf_metadata::{DelegatedRole, MetaFile, SuccinctRoles, hashes};

use crate::Error;
use crate::scenario::{Req, Scenario, Step, fresh_refresh, m, t};
use crate::simulator::{Behaviour, RepositorySimulator, SimOptions, TARGETS, Tamper};

const CONTENT: &[u8] = b"the target file, version 1\n";
const CONTENT_V2: &[u8] = b"the target file, version 2 (longer)\n";
const EVIL: &[u8] = b"the target file, version X\n";
const YEAR: i64 = 365 * 24 * 3600;

/// Every scenario, in a stable order: the hand-written ones, then their variants with other
/// key types and without consistent snapshots.
pub fn catalogue() -> Vec<Scenario> {
    let mut all = written();
    all.extend(variants::key_types(written()));
    all.extend(variants::non_consistent(written()));
    all
}

/// The hand-written scenarios.
fn written() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(basic());
    all.extend(root());
    all.extend(fast_forward());
    all.extend(rollback());
    all.extend(mix_and_match());
    all.extend(indefinite_freeze());
    all.extend(arbitrary_installation());
    all.extend(wrong_software());
    all.extend(extraneous_dependencies());
    all.extend(key_compromise());
    all.extend(endless_data());
    all.extend(slow_retrieval());
    all.extend(malicious_mirrors());
    all.extend(delegation());
    all.extend(bins());
    all.extend(keys());
    all.extend(cache());
    all.extend(limits::limits());
    all.extend(limits::encoding());
    all.extend(limits::listed_meta());
    all.extend(extra::roots());
    all.extend(extra::thresholds());
    all.extend(extra::delegations());
    all.extend(extra::succinct_bins());
    all.extend(extra::formats());
    all.extend(extra::mirrors());
    all.extend(extra::caches());
    all
}

fn s(name: &str, spec_ref: &str, description: &str) -> Scenario {
    Scenario::new(name, spec_ref, description)
}

fn first_key(sim: &RepositorySimulator, role: &str) -> Result<KeyId, Error> {
    sim.role_keyids(role)
        .into_iter()
        .next()
        .ok_or_else(|| Error::UnknownRole {
            role: role.to_owned(),
        })
}

/// `fresh_refresh()` followed by `more`.
fn fresh_then(more: Vec<Req>) -> Vec<Req> {
    let mut all = fresh_refresh();
    all.extend(more);
    all
}

fn unchanged() -> Vec<Req> {
    vec![m("2.root.json"), m("timestamp.json")]
}

/// The request for target `path` with content `data` listed by sha256 (consistent snapshots).
fn hashed_target(path: &str, data: &[u8]) -> Req {
    let digest = hashes::digest_hex("sha256", data).unwrap_or_default();
    let name = match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{digest}.{name}"),
        None => format!("{digest}.{path}"),
    };
    Req::Path(format!("targets/{name}"))
}

/// A repository with `targets` delegating `paths` to `role1`, which lists `file` = CONTENT.
fn with_role1(sim: &mut RepositorySimulator, paths: &[&str], file: &str) -> Result<(), Error> {
    sim.delegate(TARGETS, "role1", paths, false)?;
    sim.add_target("role1", file, CONTENT)
}

fn basic() -> Vec<Scenario> {
    vec![
        s("basic/fresh-refresh", "5.3-5.5",
          "A fresh client's refresh: root 2 (404), timestamp, snapshot 1, targets 1; exactly the four top-level roles stored. Init makes no request.")
            .init().requests(vec![])
            .refresh(true).requests(fresh_refresh())
            .trusted_top(1, 1, 1, 1)
            .metadata_files(&["root", "timestamp", "snapshot", "targets"]),
        s("basic/refresh-unchanged-reuses-metadata", "5.4, 5.5, CLIENT-CLI",
          "A second refresh of an unchanged repository fetches only root N+1 and timestamp; snapshot and targets on disk are reused.")
            .init().refresh(true).refresh(true).requests(unchanged())
            .trusted_top(1, 1, 1, 1),
        s("basic/non-consistent-refresh", "5.5.2, 5.6.1",
          "Without consistent snapshots, snapshot and targets are requested without version prefix.")
            .non_consistent().init().refresh(true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("snapshot.json"), m("targets.json")])
            .trusted_top(1, 1, 1, 1),
        s("basic/download-target", "5.7",
          "Download a target listed by top-level targets: requested as <sha256>.<name>, stored in the target directory.")
            .publish(|sim| sim.add_target(TARGETS, "file.txt", CONTENT))
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![t("file.txt")]))
            .target_dir(&[CONTENT]),
        s("basic/download-nested-path", "5.7.3",
          "A target path with directories is requested as dir/sub/<hash>.<name>.")
            .publish(|sim| sim.add_target(TARGETS, "dir/sub/app-1.0_x~.tar.gz", CONTENT))
            .init().download(&["dir/sub/app-1.0_x~.tar.gz"], true)
            .requests(fresh_then(vec![t("dir/sub/app-1.0_x~.tar.gz")]))
            .target_dir(&[CONTENT]),
        s("basic/download-non-consistent", "5.7.3",
          "Without consistent snapshots the target is requested by its path.")
            .non_consistent()
            .publish(|sim| sim.add_target(TARGETS, "dir/file.txt", CONTENT))
            .init().download(&["dir/file.txt"], true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("snapshot.json"), m("targets.json"), Req::Path("targets/dir/file.txt".into())])
            .target_dir(&[CONTENT]),
        s("basic/cached-target-not-downloaded-again", "CLIENT-CLI target directory",
          "A target already in the target directory with the listed length and hashes is not downloaded again.")
            .publish(|sim| sim.add_target(TARGETS, "file.txt", CONTENT))
            .init().download(&["file.txt"], true).download(&["file.txt"], true)
            .requests(unchanged()).target_dir(&[CONTENT]),
        s("basic/download-several-targets", "5.7",
          "Several --target-name in one call are downloaded in order.")
            .publish(|sim| { sim.add_target(TARGETS, "a.txt", CONTENT)?; sim.add_target(TARGETS, "b.txt", CONTENT_V2) })
            .init().download(&["a.txt", "b.txt"], true)
            .requests(fresh_then(vec![t("a.txt"), t("b.txt")]))
            .target_dir(&[CONTENT, CONTENT_V2]),
        s("basic/target-not-found", "5.6.7",
          "A target no role lists fails the download; nothing is stored.")
            .init().download(&["missing.txt"], false)
            .requests(fresh_refresh()).target_dir(&[]),
        s("basic/targets-updated", "5.5, 5.6",
          "A new targets version is fetched through the new snapshot.")
            .init().refresh(true)
            .publish(|sim| { sim.add_target(TARGETS, "file.txt", CONTENT)?; sim.update(TARGETS) })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("2.snapshot.json"), m("2.targets.json")])
            .trusted_top(1, 2, 2, 2),
        s("basic/new-target-version-overwrites", "CLIENT-CLI target directory",
          "A newer version of a target replaces the older file (same path, same file).")
            .publish(|sim| sim.add_target(TARGETS, "file.txt", CONTENT))
            .init().download(&["file.txt"], true)
            .publish(|sim| { sim.add_target(TARGETS, "file.txt", CONTENT_V2)?; sim.update(TARGETS) })
            .download(&["file.txt"], true)
            .target_dir(&[CONTENT_V2]),
        s("basic/snapshot-only-update", "5.5, 5.6.1",
          "A new snapshot that lists the same targets version: targets is reused from disk.")
            .init().refresh(true)
            .publish(|sim| sim.update("snapshot"))
            .refresh(true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("2.snapshot.json")])
            .trusted_top(1, 2, 2, 1),
        s("basic/timestamp-only-update", "5.4, 5.5",
          "A new timestamp listing the same snapshot: snapshot and targets are reused.")
            .init().refresh(true)
            .publish(|sim| sim.update("timestamp"))
            .refresh(true).requests(unchanged())
            .trusted_top(1, 2, 1, 1),
        s("basic/download-after-refresh", "5.7, CLIENT-CLI",
          "A download after a refresh (new process) reuses the stored metadata and fetches only the target.")
            .publish(|sim| sim.add_target(TARGETS, "file.txt", CONTENT))
            .init().refresh(true).download(&["file.txt"], true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), t("file.txt")])
            .target_dir(&[CONTENT]),
    ]
}

fn root() -> Vec<Scenario> {
    vec![
        s("root/rotation-chain", "5.3.3-5.3.7",
          "Roots 2 and 3 are fetched in turn until 4.root.json is not found.")
            .init()
            .publish(|sim| { sim.publish_root()?; sim.publish_root() })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("3.root.json"), m("4.root.json"), m("timestamp.json"), m("1.snapshot.json"), m("1.targets.json")])
            .trusted_top(3, 1, 1, 1),
        s("root/root-key-rotated", "5.3.4",
          "Root 2 replaces the root key; signed by the old and the new key, it is trusted.")
            .init()
            .publish(|sim| { sim.rotate_keys("root")?; sim.publish_root() })
            .refresh(true).trusted("root", 2),
        s("root/rotation-not-signed-by-old-keys", "5.3.4",
          "Root 2 signed only by its new key, not by a threshold of root 1's keys, is rejected.")
            .init()
            .publish(|sim| { let new = sim.rotate_keys("root")?; sim.sign_with("root", vec![new]); sim.publish_root() })
            .refresh(false).requests(vec![m("2.root.json")])
            .trusted("root", 1).untrusted("timestamp"),
        s("root/rotation-not-signed-by-new-keys", "5.3.4",
          "Root 2 signed only by root 1's key, not by its own new key, is rejected.")
            .init()
            .publish(|sim| { let old = sim.role_keyids("root"); sim.rotate_keys("root")?; sim.sign_with("root", old); sim.publish_root() })
            .refresh(false).requests(vec![m("2.root.json")])
            .trusted("root", 1),
        s("root/version-not-sequential", "5.3.5, tough advisory 2025 (root versions not sequential)",
          "2.root.json holds a correctly signed root with version 3: the version must be exactly trusted+1.")
            .init()
            .publish(|sim| { let bytes = sim.signed_root_copy(|r| r.version = 3)?; sim.override_file("metadata/2.root.json", Some(bytes)); Ok(()) })
            .refresh(false).requests(vec![m("2.root.json")])
            .trusted("root", 1),
        s("root/intermediate-expired-ok", "5.3.10",
          "Root 2 expired, root 3 valid: only the final root's expiry matters.")
            .init()
            .publish(|sim| { sim.expire("root")?; sim.publish_root()?; sim.set_expires("root", sim.valid_expires()?)?; sim.publish_root() })
            .refresh(true).trusted("root", 3),
        s("root/start-from-expired-root", "5.2, 5.3.10",
          "The client is initialised with an expired root (2) and rotates to a valid root 3.")
            .publish(|sim| { sim.expire("root")?; sim.publish_root()?; sim.set_expires("root", sim.valid_expires()?)?; sim.publish_root() })
            .step(Step::InitRoot(2))
            .refresh(true)
            .requests(vec![m("3.root.json"), m("4.root.json"), m("timestamp.json"), m("1.snapshot.json"), m("1.targets.json")])
            .trusted("root", 3),
        s("root/consistent-snapshot-turned-off", "5.5.2, 5.6.1",
          "Root 2 turns consistent snapshots off: snapshot and targets are then requested without version.")
            .init()
            .publish(|sim| { sim.set_consistent_snapshot(false); sim.publish_root() })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("3.root.json"), m("timestamp.json"), m("snapshot.json"), m("targets.json")])
            .trusted_top(2, 1, 1, 1),
        s("root/dropped-connection-fails-refresh", "5.3.3, CLIENT-CLI requests",
          "A dropped connection for N+1.root.json is a failed fetch, not the end of the root chain.")
            .init()
            .publish(|sim| { sim.set_behaviour("metadata/2.root.json", Behaviour::Drop); Ok(()) })
            .refresh(false).requests_with_retries(vec![m("2.root.json")])
            .untrusted("timestamp"),
        s("root/server-error-fails-refresh", "5.3.3",
          "HTTP 500 for N+1.root.json fails the refresh (only 404/403 end the chain).")
            .init()
            .publish(|sim| { sim.set_behaviour("metadata/2.root.json", Behaviour::Status(500)); Ok(()) })
            .refresh(false).requests_with_retries(vec![m("2.root.json")])
            .untrusted("timestamp"),
    ]
}

fn fast_forward() -> Vec<Scenario> {
    vec![
        s("fast-forward/timestamp-key-rotated", "5.3.11, attack: fast-forward",
          "Timestamp was fast-forwarded to version 10; root 2 rotates the timestamp key and timestamp restarts at 1: the client recovers.")
            .init()
            .publish(|sim| { sim.timestamp.version = 10; Ok(()) })
            .refresh(true).trusted("timestamp", 10)
            .publish(|sim| { sim.rotate_keys("timestamp")?; sim.publish_root()?; sim.timestamp.version = 1; Ok(()) })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("3.root.json"), m("timestamp.json")])
            .trusted_top(2, 1, 1, 1),
        s("fast-forward/snapshot-key-rotated", "5.3.11, attack: fast-forward",
          "Snapshot was fast-forwarded to version 10; root 2 rotates the snapshot and timestamp keys (as python-tuf requires for snapshot recovery) and snapshot restarts at 1.")
            .init()
            .publish(|sim| { sim.snapshot.version = 10; sim.bump("timestamp") })
            .refresh(true).trusted("snapshot", 10)
            .publish(|sim| { sim.rotate_keys("snapshot")?; sim.rotate_keys("timestamp")?; sim.publish_root()?; sim.snapshot.version = 1; sim.bump("timestamp") })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("3.root.json"), m("timestamp.json"), m("1.snapshot.json")])
            .trusted_top(2, 3, 1, 1),
        s("fast-forward/targets-key-rotated", "5.3.11, attack: fast-forward",
          "Targets was fast-forwarded to version 10; root 2 rotates the targets and snapshot keys and targets restarts at 1.")
            .init()
            .publish(|sim| { sim.targets_mut(TARGETS)?.version = 10; sim.update("snapshot") })
            .refresh(true).trusted("targets", 10)
            .publish(|sim| { sim.rotate_keys(TARGETS)?; sim.rotate_keys("snapshot")?; sim.publish_root()?; sim.targets_mut(TARGETS)?.version = 1; sim.update("snapshot") })
            .refresh(true)
            .requests(vec![m("2.root.json"), m("3.root.json"), m("timestamp.json"), m("3.snapshot.json"), m("1.targets.json")])
            .trusted_top(2, 3, 3, 1),
        s("fast-forward/no-recovery-without-key-rotation", "5.4.3, attack: fast-forward",
          "After trusting timestamp 10, a timestamp 2 signed by the same key is a rollback and is rejected.")
            .init()
            .publish(|sim| { sim.timestamp.version = 10; Ok(()) })
            .refresh(true)
            .publish(|sim| { sim.timestamp.version = 2; Ok(()) })
            .refresh(false).requests(unchanged())
            .trusted("timestamp", 10),
    ]
}

fn rollback() -> Vec<Scenario> {
    vec![
        s("rollback/timestamp-version-lowered", "5.4.3.1, attack: rollback",
          "After trusting timestamp 2, the old timestamp 1 is served again: rejected, timestamp 2 stays trusted.")
            .init()
            .publish(|sim| sim.update("timestamp"))
            .refresh(true)
            .publish(|sim| sim.serve_old("timestamp", 1))
            .refresh(false).requests(unchanged())
            .trusted("timestamp", 2),
        s("rollback/timestamp-lists-older-snapshot", "5.4.3.2, attack: rollback",
          "A new timestamp 3 lists snapshot 1 while the trusted timestamp listed snapshot 2: rejected.")
            .init()
            .publish(|sim| sim.update("snapshot"))
            .refresh(true)
            .publish(|sim| { sim.bump("timestamp")?; sim.override_timestamp_meta(Some(MetaFile::new(1))); Ok(()) })
            .refresh(false).requests(unchanged())
            .trusted("timestamp", 2).trusted("snapshot", 2),
        s("rollback/root-replayed", "5.3.5, attack: rollback",
          "2.root.json holds root version 1 (a replay): rejected.")
            .init()
            .publish(|sim| { let old = sim.published_root(1).map(<[u8]>::to_vec); sim.override_file("metadata/2.root.json", old); Ok(()) })
            .refresh(false).requests(vec![m("2.root.json")])
            .trusted("root", 1),
        s("rollback/targets-version-lowered-in-snapshot", "5.5.5, attack: rollback",
          "Snapshot 3 lists targets 1 while the trusted snapshot listed targets 2: rejected; the new timestamp stays stored.")
            .init()
            .publish(|sim| sim.update(TARGETS))
            .refresh(true)
            .publish(|sim| { sim.update("snapshot")?; sim.override_snapshot_meta(TARGETS, Some(MetaFile::new(1))); Ok(()) })
            .refresh(false)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("3.snapshot.json")])
            .trusted_top(1, 3, 2, 2),
        s("rollback/snapshot-drops-role", "5.5.5, attack: rollback",
          "A new snapshot no longer lists a delegated role the trusted snapshot listed: rejected.")
            .publish(|sim| with_role1(sim, &["*"], "file.txt"))
            .init().refresh(true)
            .publish(|sim| { sim.update("snapshot")?; sim.override_snapshot_meta("role1", None); Ok(()) })
            .refresh(false).trusted("snapshot", 1),
        s("rollback/delegated-role-version-lowered-in-snapshot", "5.5.5, tough advisory 2025 (delegated rollback not detected)",
          "Snapshot 3 lists role1 version 1 while the trusted snapshot listed role1 version 2: the refresh fails.")
            .publish(|sim| with_role1(sim, &["*"], "file.txt"))
            .init()
            .publish(|sim| sim.update("role1"))
            .refresh(true)
            .publish(|sim| { sim.update("snapshot")?; sim.override_snapshot_meta("role1", Some(MetaFile::new(1))); Ok(()) })
            .refresh(false).trusted("snapshot", 2),
        s("rollback/delegated-role-served-old-version", "5.6.4, attack: rollback",
          "Role1 3 is listed but role1 1 is served at 3.role1.json: the download fails; role1 2 stays trusted.")
            .publish(|sim| with_role1(sim, &["*"], "file.txt"))
            .init().download(&["file.txt"], true)
            .publish(|sim| sim.update("role1"))
            .download(&["file.txt"], true).trusted("role1", 2)
            .publish(|sim| { sim.update("role1")?; sim.serve_old("role1", 1) })
            .download(&["file.txt"], false)
            .trusted("role1", 2).target_dir(&[CONTENT]),
        s("rollback/targets-served-old-version", "5.6.4, attack: rollback",
          "Without consistent snapshots, targets.json serves version 2 while snapshot lists 3: rejected.")
            .non_consistent().init()
            .publish(|sim| sim.update(TARGETS))
            .refresh(true)
            .publish(|sim| { sim.update(TARGETS)?; sim.serve_old(TARGETS, 2) })
            .refresh(false).trusted("targets", 2).trusted("snapshot", 3),
        s("rollback/snapshot-served-old-version", "5.5.4, attack: rollback",
          "Without consistent snapshots, snapshot.json serves version 2 while timestamp lists 3: rejected.")
            .non_consistent().init()
            .publish(|sim| sim.update("snapshot"))
            .refresh(true)
            .publish(|sim| { sim.update("snapshot")?; sim.serve_old("snapshot", 2) })
            .refresh(false).trusted("snapshot", 2).trusted("timestamp", 3),
    ]
}

fn mix_and_match() -> Vec<Scenario> {
    vec![
        s(
            "mix-and-match/snapshot-version-mismatch",
            "5.5.4, attack: mix-and-match",
            "2.snapshot.json holds snapshot version 1: the version must match timestamp's.",
        )
        .init()
        .publish(|sim| {
            sim.update("snapshot")?;
            sim.serve_old("snapshot", 1)
        })
        .refresh(false)
        .untrusted("snapshot")
        .untrusted("targets"),
        s(
            "mix-and-match/targets-version-mismatch",
            "5.6.4, attack: mix-and-match",
            "2.targets.json holds targets version 1: the version must match snapshot's.",
        )
        .init()
        .publish(|sim| {
            sim.update(TARGETS)?;
            sim.serve_old(TARGETS, 1)
        })
        .refresh(false)
        .untrusted("targets"),
        s(
            "mix-and-match/delegated-version-mismatch",
            "5.6.4, attack: mix-and-match",
            "2.role1.json holds role1 version 1: the download fails.",
        )
        .publish(|sim| with_role1(sim, &["*"], "file.txt"))
        .publish(|sim| {
            sim.update("role1")?;
            sim.serve_old("role1", 1)
        })
        .init()
        .download(&["file.txt"], false)
        .untrusted("role1")
        .target_dir(&[]),
    ]
}

fn indefinite_freeze() -> Vec<Scenario> {
    vec![
        s("indefinite-freeze/timestamp-expired", "5.4.4, attack: indefinite freeze",
          "An expired timestamp is rejected and not stored.")
            .publish(|sim| sim.expire("timestamp"))
            .init().refresh(false).requests(vec![m("2.root.json"), m("timestamp.json")])
            .untrusted("timestamp"),
        s("indefinite-freeze/snapshot-expired", "5.5.6, attack: indefinite freeze",
          "An expired snapshot fails the refresh; targets is never trusted. (Whether the expired snapshot is stored is left open: python-tuf stores it and checks expiry only as final metadata.)")
            .publish(|sim| sim.expire("snapshot"))
            .init().refresh(false).trusted("timestamp", 1).untrusted("targets"),
        s("indefinite-freeze/targets-expired", "5.6.5, attack: indefinite freeze",
          "An expired targets fails the refresh and is not stored.")
            .publish(|sim| sim.expire(TARGETS))
            .init().refresh(false).trusted("snapshot", 1).untrusted("targets"),
        s("indefinite-freeze/root-expired", "5.3.10, attack: indefinite freeze",
          "The newest root is expired: the refresh fails after storing it (5.3.10) and no timestamp is trusted. (Like python-tuf, a client may still request timestamp.json before noticing, so requests after the root chain are not checked.)")
            .init()
            .publish(|sim| { sim.expire("root")?; sim.publish_root() })
            .refresh(false)
            .trusted("root", 2).untrusted("timestamp"),
        s("indefinite-freeze/delegated-role-expired", "5.6.5, attack: indefinite freeze",
          "An expired delegated role fails the download; nothing is stored in the target directory.")
            .publish(|sim| { with_role1(sim, &["*"], "file.txt")?; sim.expire("role1") })
            .init().download(&["file.txt"], false)
            .untrusted("role1").target_dir(&[]),
        s("indefinite-freeze/rejected-expired-timestamp-not-stored", "5.4.4, tough advisory 2025 (rejected timestamp cached anyway)",
          "Timestamp 2 is expired: rejected, and timestamp 1 stays the trusted file; a later valid timestamp 3 is accepted.")
            .init().refresh(true)
            .publish(|sim| { sim.update("timestamp")?; sim.expire("timestamp") })
            .refresh(false).trusted("timestamp", 1)
            .publish(|sim| { sim.update("timestamp")?; sim.set_expires("timestamp", sim.valid_expires()?) })
            .refresh(true).trusted("timestamp", 3),
        s("indefinite-freeze/rejected-bad-signature-timestamp-not-stored", "5.4.2, tough advisory 2025 (rejected timestamp cached anyway)",
          "Timestamp 2 has a bad signature: rejected, timestamp 1 stays the trusted file.")
            .init().refresh(true)
            .publish(|sim| { sim.update("timestamp")?; sim.tamper("timestamp", Tamper::BadSignature); Ok(()) })
            .refresh(false).trusted("timestamp", 1),
    ]
}

fn arbitrary_installation() -> Vec<Scenario> {
    let bad_sig = |role: &'static str, name: &str, spec: &str| {
        s(name, spec, &format!("The {role} metadata carries a corrupted signature: the refresh fails and {role} is not stored."))
            .publish(move |sim| { sim.tamper(role, Tamper::BadSignature); Ok(()) })
            .init().refresh(false).untrusted(role)
    };
    vec![
        bad_sig("timestamp", "arbitrary-installation/timestamp-bad-signature", "5.4.2, attack: arbitrary installation"),
        bad_sig("snapshot", "arbitrary-installation/snapshot-bad-signature", "5.5.3, attack: arbitrary installation"),
        bad_sig("targets", "arbitrary-installation/targets-bad-signature", "5.6.3, attack: arbitrary installation"),
        s("arbitrary-installation/timestamp-unsigned", "5.4.2, attack: arbitrary installation",
          "A timestamp with no signatures is rejected.")
            .publish(|sim| { sim.tamper("timestamp", Tamper::NoSignatures); Ok(()) })
            .init().refresh(false).untrusted("timestamp"),
        s("arbitrary-installation/timestamp-signed-by-untrusted-key", "5.4.2, attack: arbitrary installation",
          "A timestamp signed by a key root does not list is rejected.")
            .publish(|sim| { let k = sim.new_key()?; sim.sign_with("timestamp", vec![k]); Ok(()) })
            .init().refresh(false).untrusted("timestamp"),
        s("arbitrary-installation/target-wrong-hash", "5.7.2, attack: arbitrary installation",
          "The served target has the listed length but other content: rejected, nothing stored.")
            .publish(|sim| { sim.add_target(TARGETS, "file.txt", CONTENT)?; sim.serve_target_bytes("file.txt", EVIL); Ok(()) })
            .init().download(&["file.txt"], false)
            .requests_with_retries(fresh_then(vec![t("file.txt")])).target_dir(&[]),
        s("arbitrary-installation/target-wrong-length", "5.7.2, attack: arbitrary installation",
          "The served target is shorter than listed: rejected, nothing stored.")
            .publish(|sim| { sim.add_target(TARGETS, "file.txt", CONTENT)?; sim.serve_target_bytes("file.txt", b"short"); Ok(()) })
            .init().download(&["file.txt"], false).target_dir(&[]),
        s("arbitrary-installation/target-not-listed", "5.6.7, attack: arbitrary installation",
          "A file the server has but no metadata lists is not downloaded.")
            .publish(|sim| { sim.override_file("targets/extra.txt", Some(EVIL.to_vec())); Ok(()) })
            .init().download(&["extra.txt"], false)
            .requests(fresh_refresh()).target_dir(&[]),
        s("arbitrary-installation/snapshot-hash-mismatch", "5.5.2, attack: arbitrary installation",
          "Timestamp lists snapshot's length and sha256; the served snapshot is validly signed but reformatted: rejected.")
            .options(SimOptions { timestamp_lists_hashes: true, ..SimOptions::default() })
            .publish(|sim| { sim.tamper("snapshot", Tamper::AppendWhitespace); Ok(()) })
            .init().refresh(false).trusted("timestamp", 1).untrusted("snapshot"),
        s("arbitrary-installation/targets-hash-mismatch", "5.6.2, attack: arbitrary installation",
          "Snapshot lists targets' length and sha256; the served targets is validly signed but reformatted: rejected.")
            .options(SimOptions { snapshot_lists_hashes: true, ..SimOptions::default() })
            .publish(|sim| { sim.tamper(TARGETS, Tamper::AppendWhitespace); Ok(()) })
            .init().refresh(false).trusted("snapshot", 1).untrusted("targets"),
        s("arbitrary-installation/metadata-hashes-listed", "5.5.2, 5.6.2",
          "Control: timestamp and snapshot list lengths and hashes of unmodified files; everything verifies.")
            .options(SimOptions { timestamp_lists_hashes: true, snapshot_lists_hashes: true, ..SimOptions::default() })
            .publish(|sim| sim.add_target(TARGETS, "file.txt", CONTENT))
            .init().download(&["file.txt"], true).target_dir(&[CONTENT]),
        s("arbitrary-installation/delegated-bad-signature", "5.6.3, attack: arbitrary installation",
          "The delegated role carries a corrupted signature: the download fails, nothing stored.")
            .publish(|sim| { with_role1(sim, &["*"], "file.txt")?; sim.tamper("role1", Tamper::BadSignature); Ok(()) })
            .init().download(&["file.txt"], false).untrusted("role1").target_dir(&[]),
        s("arbitrary-installation/good-target-kept-on-failure", "5.7.2, CLIENT-CLI target directory",
          "Version 2 of a target is served with wrong content: the download fails and version 1 stays in the target directory.")
            .publish(|sim| sim.add_target(TARGETS, "file.txt", CONTENT))
            .init().download(&["file.txt"], true)
            .publish(|sim| { sim.add_target(TARGETS, "file.txt", CONTENT_V2)?; sim.update(TARGETS)?; sim.serve_target_bytes("file.txt", b"the target file, version 2 (EVIL!)\n"); Ok(()) })
            .download(&["file.txt"], false).target_dir(&[CONTENT]),
    ]
}

fn wrong_software() -> Vec<Scenario> {
    vec![
        s("wrong-software-installation/swapped-target", "5.7.2, attack: wrong software installation",
          "Without consistent snapshots, a.txt is served with b.txt's (listed, valid) content: rejected.")
            .non_consistent()
            .publish(|sim| { sim.add_target(TARGETS, "a.txt", CONTENT)?; sim.add_target(TARGETS, "b.txt", CONTENT_V2)?; sim.serve_target_bytes("a.txt", CONTENT_V2); Ok(()) })
            .init().download(&["a.txt"], false).target_dir(&[]),
        s("wrong-software-installation/delegated-role-outside-its-paths", "5.6.7.2, attack: wrong software installation",
          "Role1 is trusted for a/* only but lists b/file.txt: the target is not found and role1 is never fetched.")
            .publish(|sim| with_role1(sim, &["a/*"], "b/file.txt"))
            .init().download(&["b/file.txt"], false)
            .requests(fresh_refresh()).target_dir(&[]),
        s("wrong-software-installation/glob-does-not-cross-directories", "5.6.7.2, attack: wrong software installation",
          "Role1 is trusted for a/* and lists a/b/file.txt: `*` does not match `/`, so the target is not found.")
            .publish(|sim| with_role1(sim, &["a/*"], "a/b/file.txt"))
            .init().download(&["a/b/file.txt"], false)
            .requests(fresh_refresh()).target_dir(&[]),
    ]
}

fn extraneous_dependencies() -> Vec<Scenario> {
    vec![
        s(
            "extraneous-dependencies/delegated-role-signed-by-untrusted-key",
            "5.6.3, attack: extraneous dependencies",
            "Role1 is signed by a key its delegation does not list: the download fails.",
        )
        .publish(|sim| {
            with_role1(sim, &["*"], "file.txt")?;
            let k = sim.new_key()?;
            sim.sign_with("role1", vec![k]);
            Ok(())
        })
        .init()
        .download(&["file.txt"], false)
        .requests(fresh_then(vec![m("1.role1.json")]))
        .untrusted("role1")
        .target_dir(&[]),
        s(
            "extraneous-dependencies/delegated-role-not-in-snapshot",
            "5.6.1, attack: extraneous dependencies",
            "Snapshot does not list role1: it cannot be fetched and the download fails.",
        )
        .publish(|sim| {
            with_role1(sim, &["*"], "file.txt")?;
            sim.override_snapshot_meta("role1", None);
            Ok(())
        })
        .init()
        .download(&["file.txt"], false)
        .requests(fresh_refresh())
        .target_dir(&[]),
    ]
}

/// Gives top-level `role` a second key and threshold 2 in root 2; signs it with `signers`
/// of the two (0: the original key, 1: the new one).
fn threshold_two(
    sim: &mut RepositorySimulator,
    role: &str,
    signers: &[usize],
) -> Result<(), Error> {
    let first = first_key(sim, role)?;
    let second = sim.add_signing_key(role)?;
    sim.set_threshold(role, 2)?;
    sim.publish_root()?;
    let keys = [first, second];
    let chosen = signers
        .iter()
        .filter_map(|i| keys.get(*i).cloned())
        .collect();
    sim.sign_with(role, chosen);
    Ok(())
}

fn key_compromise() -> Vec<Scenario> {
    let below = |role: &'static str, spec: &str| {
        s(&format!("key-compromise/{role}-below-threshold"), spec,
          &format!("{role} needs 2 of 2 keys; an attacker holding one key signs a valid-looking {role}: rejected."))
            .publish(move |sim| threshold_two(sim, role, &[0]))
            .step(Step::InitRoot(2)).refresh(false).untrusted(role)
    };
    vec![
        s("key-compromise/threshold-met", "5.4.2, 5.5.3, 5.6.3",
          "Control: timestamp, snapshot and targets each need 2 of 2 keys and carry both signatures.")
            .publish(|sim| { for role in ["timestamp", "snapshot", TARGETS] { threshold_two(sim, role, &[0, 1])?; } Ok(()) })
            .step(Step::InitRoot(4)).refresh(true).trusted_top(4, 1, 1, 1),
        below("timestamp", "5.4.2, attack: key compromise below threshold"),
        below("snapshot", "5.5.3, attack: key compromise below threshold"),
        below(TARGETS, "5.6.3, attack: key compromise below threshold"),
        s("key-compromise/root-below-threshold", "5.3.4, attack: key compromise below threshold",
          "Root 2 needs 2 of 2 root keys; root 3 is signed by one of them only: rejected.")
            .publish(|sim| threshold_two(sim, "root", &[0, 1]))
            .step(Step::InitRoot(2))
            .publish(|sim| { let k = first_key(sim, "root")?; sim.sign_with("root", vec![k]); sim.publish_root() })
            .refresh(false).requests(vec![m("3.root.json")]).trusted("root", 2),
        s("key-compromise/delegated-below-threshold", "5.6.3, attack: key compromise below threshold",
          "Role1 needs 2 of 2 keys and is signed by one: the download fails.")
            .publish(|sim| {
                let (a, b) = (sim.new_key()?, sim.new_key()?);
                sim.add_delegation(TARGETS, DelegatedRole::with_paths("role1", vec![a.clone(), b], 2, false, vec!["*".into()]))?;
                sim.add_target("role1", "file.txt", CONTENT)?;
                sim.sign_with("role1", vec![a]);
                Ok(())
            })
            .init().download(&["file.txt"], false).untrusted("role1").target_dir(&[]),
        s("key-compromise/revoked-key", "5.3.11, 5.4.2, attack: key compromise",
          "Root 2 replaces the timestamp key; a timestamp signed with the revoked key is rejected.")
            .init()
            .publish(|sim| { let old = first_key(sim, "timestamp")?; sim.rotate_keys("timestamp")?; sim.publish_root()?; sim.sign_with("timestamp", vec![old]); Ok(()) })
            .refresh(false)
            .requests(vec![m("2.root.json"), m("3.root.json"), m("timestamp.json")])
            .trusted("root", 2).untrusted("timestamp"),
    ]
}

fn endless_data() -> Vec<Scenario> {
    let endless = |name: &str,
                   spec: &str,
                   path: &'static str,
                   behaviour: Behaviour,
                   requests: Vec<Req>| {
        s(name, spec, &format!("{path} is answered with a body that never ends: the client stops reading and fails."))
            .publish(move |sim| { sim.set_behaviour(path, behaviour); Ok(()) })
            .init().refresh(false).requests_with_retries(requests)
    };
    vec![
        endless("endless-data/timestamp", "5.4.1, attack: endless data", "metadata/timestamp.json", Behaviour::Endless,
                vec![m("2.root.json"), m("timestamp.json")]),
        endless("endless-data/timestamp-declared-huge", "5.4.1, attack: endless data", "metadata/timestamp.json", Behaviour::EndlessDeclared,
                vec![m("2.root.json"), m("timestamp.json")]),
        endless("endless-data/root", "5.3.3, attack: endless data", "metadata/2.root.json", Behaviour::Endless,
                vec![m("2.root.json")]),
        endless("endless-data/snapshot", "5.5.1, attack: endless data", "metadata/1.snapshot.json", Behaviour::Endless,
                vec![m("2.root.json"), m("timestamp.json"), m("1.snapshot.json")]),
        endless("endless-data/targets", "5.6.1, attack: endless data", "metadata/1.targets.json", Behaviour::Endless,
                fresh_refresh()),
        s("endless-data/target-file", "5.7.2, attack: endless data",
          "The target is answered with an endless body: the client stops after the listed length and fails; nothing stored.")
            .publish(|sim| { sim.add_target(TARGETS, "file.txt", CONTENT)?; let p = sim.target_request_path("file.txt"); sim.set_behaviour(&p, Behaviour::Endless); Ok(()) })
            .init().download(&["file.txt"], false)
            .requests_with_retries(fresh_then(vec![t("file.txt")])).target_dir(&[]),
        s("endless-data/target-longer-than-listed", "5.7.2, attack: endless data",
          "The target is served with extra bytes after the listed content: rejected; nothing stored.")
            .publish(|sim| { sim.add_target(TARGETS, "file.txt", CONTENT)?; let mut long = CONTENT.to_vec(); long.extend_from_slice(&[b'x'; 4096]); sim.serve_target_bytes("file.txt", &long); Ok(()) })
            .init().download(&["file.txt"], false).target_dir(&[]),
    ]
}

fn slow_retrieval() -> Vec<Scenario> {
    vec![
        s("slow-retrieval/trickling-timestamp", "5.4.1, attack: slow retrieval",
          "timestamp.json is sent at 5 bytes per second (over a minute in all): the client must give up and fail well within the step timeout.")
            .publish(|sim| { sim.set_behaviour("metadata/timestamp.json", Behaviour::Trickle { bytes_per_second: 5 }); Ok(()) })
            .init().refresh(false).untrusted("timestamp"),
        s("slow-retrieval/trickling-root", "5.3.3, attack: slow retrieval",
          "2.root.json is sent at 5 bytes per second: the client must give up and fail within the step timeout.")
            .init()
            .publish(|sim| { sim.publish_root()?; sim.set_behaviour("metadata/2.root.json", Behaviour::Trickle { bytes_per_second: 5 }); Ok(()) })
            .refresh(false).trusted("root", 1),
        s("slow-retrieval/trickling-target", "5.7, attack: slow retrieval",
          "A 4 KiB target is sent at 5 bytes per second: the client must give up and fail; nothing stored.")
            .publish(|sim| { sim.add_target(TARGETS, "big.bin", &[b'z'; 4096])?; let p = sim.target_request_path("big.bin"); sim.set_behaviour(&p, Behaviour::Trickle { bytes_per_second: 5 }); Ok(()) })
            .init().download(&["big.bin"], false).target_dir(&[]),
    ]
}

fn malicious_mirrors() -> Vec<Scenario> {
    let failing =
        |name: &str, spec: &str, description: &str, path: &'static str, behaviour: Behaviour| {
            s(name, spec, description)
                .publish(move |sim| {
                    sim.set_behaviour(path, behaviour);
                    Ok(())
                })
                .init()
                .refresh(false)
        };
    vec![
        failing(
            "malicious-mirrors/dropped-connection-timestamp",
            "5.4.1, CLIENT-CLI requests",
            "The connection for timestamp.json is closed without a response: the refresh fails.",
            "metadata/timestamp.json",
            Behaviour::Drop,
        )
        .requests_with_retries(vec![m("2.root.json"), m("timestamp.json")])
        .untrusted("timestamp"),
        failing(
            "malicious-mirrors/truncated-timestamp",
            "5.4.1",
            "timestamp.json declares 100 bytes more than it sends: the refresh fails.",
            "metadata/timestamp.json",
            Behaviour::Truncate,
        )
        .untrusted("timestamp"),
        failing(
            "malicious-mirrors/timestamp-missing",
            "5.4.1",
            "timestamp.json is not found: the refresh fails.",
            "metadata/timestamp.json",
            Behaviour::NotFound,
        )
        .requests(vec![m("2.root.json"), m("timestamp.json")]),
        failing(
            "malicious-mirrors/server-error-snapshot",
            "5.5.1",
            "1.snapshot.json answers HTTP 500: the refresh fails; the new timestamp stays stored.",
            "metadata/1.snapshot.json",
            Behaviour::Status(500),
        )
        .trusted("timestamp", 1)
        .untrusted("snapshot"),
        failing(
            "malicious-mirrors/dropped-connection-targets",
            "5.6.1",
            "The connection for 1.targets.json is dropped: the refresh fails.",
            "metadata/1.targets.json",
            Behaviour::Drop,
        )
        .requests_with_retries(fresh_refresh())
        .untrusted("targets"),
        s(
            "malicious-mirrors/truncated-target",
            "5.7.2",
            "The target declares more bytes than it sends: the download fails; nothing stored.",
        )
        .publish(|sim| {
            sim.add_target(TARGETS, "file.txt", CONTENT)?;
            let p = sim.target_request_path("file.txt");
            sim.set_behaviour(&p, Behaviour::Truncate);
            Ok(())
        })
        .init()
        .download(&["file.txt"], false)
        .target_dir(&[]),
        s(
            "malicious-mirrors/target-missing",
            "5.7",
            "The listed target is not on the server: the download fails.",
        )
        .publish(|sim| {
            sim.add_target(TARGETS, "file.txt", CONTENT)?;
            let p = sim.target_request_path("file.txt");
            sim.set_behaviour(&p, Behaviour::NotFound);
            Ok(())
        })
        .init()
        .download(&["file.txt"], false)
        .requests(fresh_then(vec![t("file.txt")]))
        .target_dir(&[]),
        s(
            "malicious-mirrors/dropped-connection-target",
            "5.7, CLIENT-CLI requests",
            "The connection for the target is dropped: the download fails; nothing stored.",
        )
        .publish(|sim| {
            sim.add_target(TARGETS, "file.txt", CONTENT)?;
            let p = sim.target_request_path("file.txt");
            sim.set_behaviour(&p, Behaviour::Drop);
            Ok(())
        })
        .init()
        .download(&["file.txt"], false)
        .requests_with_retries(fresh_then(vec![t("file.txt")]))
        .target_dir(&[]),
    ]
}

fn delegation() -> Vec<Scenario> {
    vec![
        s("delegation/download-from-delegated-role", "5.6.7",
          "The target is listed by role1 (delegated `*`): role1 is fetched and stored, then the target.")
            .publish(|sim| with_role1(sim, &["*"], "file.txt"))
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.role1.json"), t("file.txt")]))
            .trusted("role1", 1)
            .metadata_files(&["root", "timestamp", "snapshot", "targets", "role1"])
            .target_dir(&[CONTENT]),
        s("delegation/delegated-role-reused", "5.6.1, CLIENT-CLI",
          "A second download through role1 (unchanged) reuses role1 from the metadata directory.")
            .publish(|sim| { with_role1(sim, &["*"], "a.txt")?; sim.add_target("role1", "b.txt", CONTENT_V2) })
            .init().download(&["a.txt"], true).download(&["b.txt"], true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), t("b.txt")])
            .target_dir(&[CONTENT, CONTENT_V2]),
        s("delegation/terminating-stops-search", "5.6.7.2.1",
          "targets delegates `*` to A (terminating) then B; only B lists the target: the search stops at A and fails.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["*"], true)?; sim.delegate(TARGETS, "B", &["*"], false)?; sim.add_target("B", "file.txt", CONTENT) })
            .init().download(&["file.txt"], false)
            .requests(fresh_then(vec![m("1.A.json")])).target_dir(&[]),
        s("delegation/non-terminating-continues", "5.6.7.2",
          "targets delegates `*` to A (not terminating) then B; only B lists the target: found in B.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["*"], false)?; sim.delegate(TARGETS, "B", &["*"], false)?; sim.add_target("B", "file.txt", CONTENT) })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.A.json"), m("1.B.json"), t("file.txt")])).target_dir(&[CONTENT]),
        s("delegation/nested-terminating-stops-search", "5.6.7.2.1, tough advisory 2025 (terminating delegations ignored)",
          "targets → A, B; A → C (terminating). Only B lists the target: after C the whole search stops, B is never visited.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["*"], false)?; sim.delegate(TARGETS, "B", &["*"], false)?; sim.delegate("A", "C", &["*"], true)?; sim.add_target("B", "file.txt", CONTENT) })
            .init().download(&["file.txt"], false)
            .requests(fresh_then(vec![m("1.A.json"), m("1.C.json")])).target_dir(&[]),
        s("delegation/pre-order-depth-first", "5.6.7",
          "targets → A, B; A → C. C and B both list the target with different content: C's (met first in pre-order) is downloaded.")
            .publish(|sim| { sim.delegate(TARGETS, "A", &["*"], false)?; sim.delegate(TARGETS, "B", &["*"], false)?; sim.delegate("A", "C", &["*"], false)?; sim.add_target("B", "file.txt", CONTENT_V2)?; sim.add_target("C", "file.txt", CONTENT) })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.A.json"), m("1.C.json"), hashed_target("file.txt", CONTENT)]))
            .target_dir(&[CONTENT]),
        s("delegation/top-level-wins", "5.6.7",
          "targets and its delegate role1 both list the target: the top-level entry wins and role1 is never fetched.")
            .publish(|sim| { sim.add_target(TARGETS, "file.txt", CONTENT)?; sim.delegate(TARGETS, "role1", &["*"], false)?; sim.add_target("role1", "file.txt", CONTENT_V2) })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![hashed_target("file.txt", CONTENT)])).target_dir(&[CONTENT]),
        s("delegation/diamond", "5.6.7",
          "targets → A, B; both A and B delegate to C with the same key. C lists the target: found through A.")
            .publish(|sim| {
                sim.delegate(TARGETS, "A", &["*"], false)?; sim.delegate(TARGETS, "B", &["*"], false)?;
                let k = sim.delegate("A", "C", &["*"], false)?;
                sim.add_delegation("B", DelegatedRole::with_paths("C", vec![k], 1, false, vec!["*".into()]))?;
                sim.add_target("C", "file.txt", CONTENT)
            })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.A.json"), m("1.C.json"), t("file.txt")])).target_dir(&[CONTENT]),
        s("delegation/diamond-keys-checked-per-path", "5.6.3, 5.6.7 (diamond delegations)",
          "targets → A (a/*), B (b/*); A → C with key K1, B → C with key K2; C is signed by K1 only and lists a/x.txt and b/y.txt. a/x.txt is found through A; b/y.txt, reached through B, must be refused because C is not signed by B's key for it, even though C was already verified through A. (Requests are not checked: python-tuf fetches C again after its copy fails B's keys.)")
            .publish(|sim| {
                sim.delegate(TARGETS, "A", &["a/*"], false)?; sim.delegate(TARGETS, "B", &["b/*"], false)?;
                let k1 = sim.delegate("A", "C", &["*/*"], false)?;
                let k2 = sim.new_key()?;
                sim.add_delegation("B", DelegatedRole::with_paths("C", vec![k2], 1, false, vec!["*/*".into()]))?;
                sim.sign_with("C", vec![k1]);
                sim.add_target("C", "a/x.txt", CONTENT)?;
                sim.add_target("C", "b/y.txt", EVIL)
            })
            .init().download(&["a/x.txt", "b/y.txt"], false)
            .target_dir(&[CONTENT]),
        s("delegation/cycle-terminates", "5.6.7",
          "A delegates to B and B back to A; no role lists the target: the search ends (each role visited once) and fails.")
            .publish(|sim| {
                let ka = sim.delegate(TARGETS, "A", &["*"], false)?;
                sim.delegate("A", "B", &["*"], false)?;
                sim.add_delegation("B", DelegatedRole::with_paths("A", vec![ka], 1, false, vec!["*".into()]))
            })
            .init().download(&["file.txt"], false)
            .requests(fresh_then(vec![m("1.A.json"), m("1.B.json")])).target_dir(&[]),
        s("delegation/path-hash-prefixes", "5.6.7.2 (path_hash_prefixes)",
          "role1 is delegated by path_hash_prefixes including the target path's sha256 prefix: found.")
            .publish(|sim| {
                let k = sim.new_key()?;
                let digest = hashes::digest_hex("sha256", b"file.txt")?;
                let mut role = DelegatedRole::with_paths("role1", vec![k], 1, false, Vec::new());
                role.paths = None;
                role.path_hash_prefixes = Some(vec![digest.get(..2).unwrap_or_default().to_owned(), "ffff".into()]);
                sim.add_delegation(TARGETS, role)?;
                sim.add_target("role1", "file.txt", CONTENT)
            })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.role1.json"), t("file.txt")])).target_dir(&[CONTENT]),
        s("delegation/path-hash-prefixes-mismatch", "5.6.7.2 (path_hash_prefixes)",
          "role1's path_hash_prefixes do not match the target path's hash: role1 is not consulted and the download fails.")
            .publish(|sim| {
                let k = sim.new_key()?;
                let digest = hashes::digest_hex("sha256", b"file.txt")?;
                let other = if digest.starts_with('0') { "1" } else { "0" };
                let mut role = DelegatedRole::with_paths("role1", vec![k], 1, false, Vec::new());
                role.paths = None;
                role.path_hash_prefixes = Some(vec![other.to_owned()]);
                sim.add_delegation(TARGETS, role)?;
                sim.add_target("role1", "file.txt", CONTENT)
            })
            .init().download(&["file.txt"], false)
            .requests(fresh_refresh()).target_dir(&[]),
        s("delegation/role-name-quoted", "CLIENT-CLI requests and metadata directory",
          "A role named `team/app tools` is requested as 1.team%2Fapp%20tools.json and stored as team%2Fapp%20tools.json.")
            .publish(|sim| { sim.delegate(TARGETS, "team/app tools", &["*"], false)?; sim.add_target("team/app tools", "file.txt", CONTENT) })
            .init().download(&["file.txt"], true)
            .requests(fresh_then(vec![m("1.team%2Fapp%20tools.json"), t("file.txt")]))
            .metadata_files(&["root", "timestamp", "snapshot", "targets", "team/app tools"])
            .target_dir(&[CONTENT]),
        s("delegation/threshold-two", "5.6.3",
          "role1 needs 2 of 2 keys and carries both signatures: found.")
            .publish(|sim| {
                let (a, b) = (sim.new_key()?, sim.new_key()?);
                sim.add_delegation(TARGETS, DelegatedRole::with_paths("role1", vec![a, b], 2, false, vec!["*".into()]))?;
                sim.add_target("role1", "file.txt", CONTENT)
            })
            .init().download(&["file.txt"], true).target_dir(&[CONTENT]),
        s("delegation/non-consistent", "5.6.1, 5.7.3",
          "Without consistent snapshots a delegated role is requested as role1.json.")
            .non_consistent()
            .publish(|sim| with_role1(sim, &["*"], "file.txt"))
            .init().download(&["file.txt"], true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("snapshot.json"), m("targets.json"), m("role1.json"), Req::Path("targets/file.txt".into())])
            .target_dir(&[CONTENT]),
    ]
}

fn bin_name(bits: u8, path: &str) -> String {
    SuccinctRoles::new(Vec::new(), 1, bits, "bins")
        .map_or_else(|_| String::new(), |b| b.role_for_target(path))
}

fn bins() -> Vec<Scenario> {
    let bin = bin_name(3, "pkg/file.txt");
    let bin_req = m(&format!("1.{bin}.json"));
    let other_bin = bin_name(3, "pkg/other-1.txt");
    vec![
        s("bins/download-from-bin", "TAP 15 (succinct hash bins), 5.6.7",
          "targets delegates to 8 succinct hash bins; the target is listed by its bin, which alone is fetched.")
            .publish(|sim| { sim.add_succinct_bins(TARGETS, 3, "bins")?; let b = sim.bin_for(TARGETS, "pkg/file.txt")?; sim.add_target(&b, "pkg/file.txt", CONTENT) })
            .init().download(&["pkg/file.txt"], true)
            .requests(fresh_then(vec![bin_req.clone(), t("pkg/file.txt")]))
            .trusted(&bin, 1).target_dir(&[CONTENT]),
        s("bins/target-in-wrong-bin", "TAP 15, attack: wrong software installation",
          "The target is listed by a bin other than the one its hash selects: not found; only the right bin is fetched.")
            .publish(move |sim| {
                sim.add_succinct_bins(TARGETS, 3, "bins")?;
                let right = sim.bin_for(TARGETS, "pkg/file.txt")?;
                let wrong = sim.targets.keys().find(|n| n.starts_with("bins-") && **n != right).cloned().unwrap_or_default();
                sim.add_target(&wrong, "pkg/file.txt", CONTENT)
            })
            .init().download(&["pkg/file.txt"], false)
            .requests(fresh_then(vec![bin_req.clone()])).target_dir(&[]),
        s("bins/bin-bad-signature", "TAP 15, 5.6.3",
          "The bin's signature is corrupted: the download fails.")
            .publish(|sim| { sim.add_succinct_bins(TARGETS, 3, "bins")?; let b = sim.bin_for(TARGETS, "pkg/file.txt")?; sim.add_target(&b, "pkg/file.txt", CONTENT)?; sim.tamper(&b, Tamper::BadSignature); Ok(()) })
            .init().download(&["pkg/file.txt"], false).untrusted(&bin).target_dir(&[]),
        s("bins/two-targets-two-bins", "TAP 15",
          "Two targets in different bins (or the same one): each is found in its bin.")
            .publish(|sim| {
                sim.add_succinct_bins(TARGETS, 3, "bins")?;
                for (path, data) in [("pkg/file.txt", CONTENT), ("pkg/other-1.txt", CONTENT_V2)] {
                    let b = sim.bin_for(TARGETS, path)?;
                    sim.add_target(&b, path, data)?;
                }
                Ok(())
            })
            .init().download(&["pkg/file.txt", "pkg/other-1.txt"], true)
            .trusted(&other_bin, 1).target_dir(&[CONTENT, CONTENT_V2]),
        s("bins/non-consistent", "TAP 15, 5.6.1",
          "Without consistent snapshots the bin is requested as <bin>.json.")
            .non_consistent()
            .publish(|sim| { sim.add_succinct_bins(TARGETS, 3, "bins")?; let b = sim.bin_for(TARGETS, "pkg/file.txt")?; sim.add_target(&b, "pkg/file.txt", CONTENT) })
            .init().download(&["pkg/file.txt"], true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("snapshot.json"), m("targets.json"), m(&format!("{bin}.json")), Req::Path("targets/pkg/file.txt".into())])
            .target_dir(&[CONTENT]),
        s("bins/bin-not-in-snapshot", "TAP 15, 5.6.1",
          "Snapshot does not list the target's bin: the download fails without fetching it.")
            .publish(|sim| { sim.add_succinct_bins(TARGETS, 3, "bins")?; let b = sim.bin_for(TARGETS, "pkg/file.txt")?; sim.add_target(&b, "pkg/file.txt", CONTENT)?; sim.override_snapshot_meta(&b, None); Ok(()) })
            .init().download(&["pkg/file.txt"], false)
            .requests(fresh_refresh()).target_dir(&[]),
    ]
}

fn keys() -> Vec<Scenario> {
    let schemes = [
        Scheme::Ed25519,
        Scheme::EcdsaSha2Nistp256,
        Scheme::EcdsaSha2Nistp384,
        Scheme::RsassaPssSha256,
        Scheme::RsassaPssSha384,
        Scheme::RsassaPssSha512,
        Scheme::RsaPkcs1v15Sha256,
        Scheme::RsaPkcs1v15Sha384,
        Scheme::RsaPkcs1v15Sha512,
    ];
    let mut out: Vec<Scenario> = schemes
        .iter()
        .map(|scheme| {
            s(
                &format!("keys/{}", scheme.as_str()),
                "4.2 (KEYS), 5.3-5.7",
                &format!(
                    "Every role (top-level and a delegated role) is signed with a {} key.",
                    scheme.as_str()
                ),
            )
            .options(SimOptions {
                scheme: *scheme,
                ..SimOptions::default()
            })
            .publish(|sim| with_role1(sim, &["*"], "file.txt"))
            .init()
            .download(&["file.txt"], true)
            .trusted("role1", 1)
            .target_dir(&[CONTENT])
        })
        .collect();
    out.push(
        s("keys/mixed-schemes-threshold", "4.2, 5.4.2",
          "Timestamp needs 2 keys of different types (ed25519 and ecdsa-sha2-nistp256) and carries both signatures.")
            .publish(|sim| {
                let k = sim.new_key_with(Scheme::EcdsaSha2Nistp256)?;
                sim.authorize("timestamp", &k)?;
                sim.set_threshold("timestamp", 2)?;
                sim.publish_root()
            })
            .step(Step::InitRoot(2)).refresh(true).trusted("timestamp", 1),
    );
    out
}

fn cache() -> Vec<Scenario> {
    vec![
        s("cache/corrupt-local-timestamp-ignored", "5.4, CLIENT-CLI metadata directory",
          "The stored timestamp is garbage: it is ignored, a new one is fetched; snapshot and targets are still reused.")
            .init().refresh(true)
            .step(Step::CorruptTrusted("timestamp".into()))
            .refresh(true).requests(unchanged()).trusted("timestamp", 1),
        s("cache/corrupt-local-snapshot-refetched", "5.5, CLIENT-CLI metadata directory",
          "The stored snapshot is garbage: it is fetched again; targets is still reused.")
            .init().refresh(true)
            .step(Step::CorruptTrusted("snapshot".into()))
            .refresh(true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("1.snapshot.json")])
            .trusted("snapshot", 1),
        s("cache/corrupt-local-targets-refetched", "5.6, CLIENT-CLI metadata directory",
          "The stored targets is garbage: it is fetched again.")
            .init().refresh(true)
            .step(Step::CorruptTrusted(TARGETS.into()))
            .refresh(true)
            .requests(vec![m("2.root.json"), m("timestamp.json"), m("1.targets.json")])
            .trusted(TARGETS, 1),
        s("consistent-snapshot/target-with-several-hashes", "5.7.3",
          "A target listed with sha256 and sha512 is served under both hash prefixes; the client may use either.")
            .publish(|sim| sim.add_target_hashed(TARGETS, "file.txt", CONTENT, &["sha256", "sha512"]))
            .init().download(&["file.txt"], true).target_dir(&[CONTENT]),
    ]
}
