//! The trusted-metadata state machine against every check of spec sections 5.2-5.6, on
//! repositories built in memory. Each test asserts the exact `TrustError`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeSet;
use std::sync::LazyLock;

use proptest::prelude::*;
use tuf_client::trusted::{Delivery, Intake, TrustError, TrustedMetadata};
use tuf_crypto::{KeyId, PrivateKey, Scheme, Signer};
use tuf_metadata::hashes::digest_hex;
use tuf_metadata::{
    DelegatedRole, Delegations, Error, Expires, MetaFile, Metadata, Root, Signature, Signed,
    Snapshot, TOP_LEVEL_ROLE_NAMES, Targets, Timestamp,
};

// ---------------------------------------------------------------------------------------------
// Fixture: keys, and signed metadata with chosen versions, expiry and keys.
// ---------------------------------------------------------------------------------------------

/// The reference time of every session.
const NOW: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

fn expires_at(seconds: i64) -> Expires {
    Expires::from_unix_seconds(seconds).unwrap()
}

fn future() -> Expires {
    expires_at(NOW + 365 * DAY)
}

fn past() -> Expires {
    expires_at(NOW - DAY)
}

fn new_key() -> PrivateKey {
    PrivateKey::generate(Scheme::Ed25519).unwrap()
}

fn keyids(keys: &[&PrivateKey]) -> BTreeSet<KeyId> {
    keys.iter().map(|k| k.key_id()).collect()
}

/// `signed`, signed by each of `signers`, as bytes.
fn sign<T: Signed>(signed: T, signers: &[&PrivateKey]) -> Vec<u8> {
    let mut metadata = Metadata::new(signed);
    for signer in signers {
        metadata.sign(*signer).unwrap();
    }
    metadata.to_bytes()
}

/// One key per top-level role.
struct Keys {
    root: PrivateKey,
    timestamp: PrivateKey,
    snapshot: PrivateKey,
    targets: PrivateKey,
}

impl Keys {
    fn new() -> Self {
        Keys {
            root: new_key(),
            timestamp: new_key(),
            snapshot: new_key(),
            targets: new_key(),
        }
    }

    fn for_role(&self, role: &str) -> &PrivateKey {
        match role {
            "root" => &self.root,
            "timestamp" => &self.timestamp,
            "snapshot" => &self.snapshot,
            "targets" => &self.targets,
            other => panic!("not a top-level role: {other}"),
        }
    }
}

/// Root `version` trusting `keys` (threshold 1 each).
fn root(keys: &Keys, version: u64, expires: Expires) -> Root {
    let mut root = Root::new(expires);
    root.version = version;
    for role in TOP_LEVEL_ROLE_NAMES {
        root.add_key(role, keys.for_role(role).public_key().clone())
            .unwrap();
    }
    root
}

fn timestamp(version: u64, snapshot_meta: MetaFile, expires: Expires) -> Timestamp {
    let mut timestamp = Timestamp::new(expires);
    timestamp.version = version;
    timestamp.snapshot_meta = snapshot_meta;
    timestamp
}

/// Snapshot `version` listing `<role>.json` at each version given (no length or hashes).
fn snapshot(version: u64, entries: &[(&str, u64)], expires: Expires) -> Snapshot {
    let mut snapshot = Snapshot::new(expires);
    snapshot.version = version;
    snapshot.meta = entries
        .iter()
        .map(|(role, v)| (format!("{role}.json"), MetaFile::new(*v)))
        .collect();
    snapshot
}

fn targets(version: u64, expires: Expires) -> Targets {
    let mut targets = Targets::new(expires);
    targets.version = version;
    targets
}

/// Targets `version` delegating each named role to its one key (threshold 1, all paths).
fn delegating(version: u64, roles: &[(&str, &PrivateKey)]) -> Targets {
    let mut targets = targets(version, future());
    let keys = roles
        .iter()
        .map(|(_, key)| (key.key_id(), key.public_key().clone()))
        .collect();
    let roles = roles
        .iter()
        .map(|(name, key)| {
            DelegatedRole::with_paths(name, vec![key.key_id()], 1, false, vec!["*".to_owned()])
        })
        .collect();
    targets.delegations = Some(Delegations::with_roles(keys, roles));
    targets
}

/// A repository whose trusted root (v1, not expired) trusts `keys`.
struct Repo {
    keys: Keys,
    root: Vec<u8>,
}

impl Repo {
    fn new() -> Self {
        let keys = Keys::new();
        let root = sign(root(&keys, 1, future()), &[&keys.root]);
        Repo { keys, root }
    }

    fn session(&self) -> TrustedMetadata {
        TrustedMetadata::new(&self.root, NOW).unwrap()
    }

    fn timestamp_bytes(&self, version: u64, snapshot_version: u64) -> Vec<u8> {
        sign(
            timestamp(version, MetaFile::new(snapshot_version), future()),
            &[&self.keys.timestamp],
        )
    }

    fn snapshot_bytes(&self, version: u64, entries: &[(&str, u64)]) -> Vec<u8> {
        sign(snapshot(version, entries, future()), &[&self.keys.snapshot])
    }

    /// Root, and timestamp v1 listing snapshot v`snapshot_version` (no length or hashes).
    fn at_timestamp(&self, snapshot_version: u64) -> TrustedMetadata {
        let mut trusted = self.session();
        trusted
            .update_timestamp(&self.timestamp_bytes(1, snapshot_version))
            .unwrap();
        trusted
    }

    /// Root, timestamp, and snapshot v1 listing `entries`.
    fn at_snapshot(&self, entries: &[(&str, u64)]) -> TrustedMetadata {
        let mut trusted = self.at_timestamp(1);
        trusted
            .update_snapshot(&self.snapshot_bytes(1, entries), false)
            .unwrap();
        trusted
    }
}

/// Asserts a threshold failure of `role`, with exactly these keys signed and unsigned.
fn assert_threshold(
    result: Result<impl std::fmt::Debug, TrustError>,
    role: &str,
    signed: &[&PrivateKey],
    unsigned: &[&PrivateKey],
) {
    match result {
        Err(TrustError::Metadata {
            role: refused,
            source:
                Error::ThresholdNotMet {
                    role: inner,
                    result,
                },
        }) => {
            assert_eq!(refused, role);
            assert_eq!(inner, role);
            assert!(!result.verified());
            assert_eq!(result.signed, keyids(signed));
            assert_eq!(result.unsigned, keyids(unsigned));
        }
        other => panic!("expected a threshold failure of {role}, got {other:?}"),
    }
}

fn expect_err<T: std::fmt::Debug>(result: Result<T, TrustError>) -> TrustError {
    result.expect_err("the update must be refused")
}

fn out_of_order(step: &'static str, reason: &'static str) -> TrustError {
    TrustError::OutOfOrder { step, reason }
}

// ---------------------------------------------------------------------------------------------
// A whole update.
// ---------------------------------------------------------------------------------------------

#[test]
fn full_update_loads_every_role_in_order() {
    let repo = Repo::new();
    let delegate = new_key();
    let targets_bytes = sign(delegating(1, &[("a", &delegate)]), &[&repo.keys.targets]);
    let a_bytes = sign(targets(1, future()), &[&delegate]);
    let snapshot_bytes = sign(
        snapshot(1, &[("targets", 1), ("a", 1)], future()),
        &[&repo.keys.snapshot],
    );
    let snapshot_meta = MetaFile::from_data(1, &snapshot_bytes, &["sha256", "sha512"]).unwrap();
    let timestamp_bytes = sign(
        timestamp(1, snapshot_meta, future()),
        &[&repo.keys.timestamp],
    );

    let mut trusted = repo.session();
    assert_eq!(trusted.reference_time(), NOW);
    assert_eq!(trusted.root().signed().version, 1);
    assert!(trusted.timestamp().is_none() && trusted.snapshot().is_none());
    trusted.update_timestamp(&timestamp_bytes).unwrap();
    trusted.update_snapshot(&snapshot_bytes, false).unwrap();
    assert!(trusted.targets().is_none());
    trusted.update_targets(&targets_bytes).unwrap();
    trusted
        .update_delegated_targets(&a_bytes, "a", "targets")
        .unwrap();

    assert_eq!(trusted.timestamp().unwrap().signed().version, 1);
    assert_eq!(trusted.snapshot().unwrap().signed().version, 1);
    assert!(trusted.targets().unwrap().signed().delegations.is_some());
    assert!(trusted.delegated("targets").is_some());
    assert!(trusted.delegated("a").is_some());
    assert!(trusted.delegated_by("targets", "root").is_some());
    assert!(trusted.delegated_by("a", "targets").is_some());
    assert!(trusted.delegated_by("a", "root").is_none());
    assert!(trusted.delegated("b").is_none());
}

// ---------------------------------------------------------------------------------------------
// 5.2: the trusted root.
// ---------------------------------------------------------------------------------------------

#[test]
fn initial_root_expired_is_still_loaded() {
    // 5.2: the expiry of the trusted root does not matter yet.
    let keys = Keys::new();
    let bytes = sign(root(&keys, 1, past()), &[&keys.root]);
    let trusted = TrustedMetadata::new(&bytes, NOW).unwrap();
    assert_eq!(trusted.root().signed().expires, past());
}

#[test]
fn initial_root_signed_by_unlisted_key_is_refused() {
    let keys = Keys::new();
    let stranger = new_key();
    let bytes = sign(root(&keys, 1, future()), &[&stranger]);
    assert_threshold(
        TrustedMetadata::new(&bytes, NOW),
        "root",
        &[],
        &[&keys.root],
    );
}

#[test]
fn initial_root_with_invalid_signature_is_refused() {
    let keys = Keys::new();
    let mut metadata = Metadata::new(root(&keys, 1, future()));
    metadata.add_signature(Signature::new(keys.root.key_id(), "00".repeat(64)));
    assert_threshold(
        TrustedMetadata::new(&metadata.to_bytes(), NOW),
        "root",
        &[],
        &[&keys.root],
    );
}

#[test]
fn initial_root_below_threshold_is_refused() {
    let keys = Keys::new();
    let second = new_key();
    let mut signed = root(&keys, 1, future());
    signed.add_key("root", second.public_key().clone()).unwrap();
    signed.roles.get_mut("root").unwrap().threshold = 2;
    let bytes = sign(signed.clone(), &[&keys.root]);
    assert_threshold(
        TrustedMetadata::new(&bytes, NOW),
        "root",
        &[&keys.root],
        &[&second],
    );
    // Both keys: accepted.
    let bytes = sign(signed, &[&keys.root, &second]);
    TrustedMetadata::new(&bytes, NOW).unwrap();
}

#[test]
fn initial_root_that_is_not_metadata_is_refused() {
    let error = expect_err(TrustedMetadata::new(b"not json", NOW));
    assert!(
        matches!(&error, TrustError::Metadata { role, source: Error::Json { .. } } if role == "root"),
        "{error:?}"
    );
}

#[test]
fn initial_root_of_wrong_type_is_refused() {
    let repo = Repo::new();
    let error = expect_err(TrustedMetadata::new(&repo.timestamp_bytes(1, 1), NOW));
    assert_eq!(
        error,
        TrustError::Metadata {
            role: "root".into(),
            source: Error::Type {
                expected: "root",
                found: "timestamp".into()
            }
        }
    );
}

// ---------------------------------------------------------------------------------------------
// 5.3: root updates.
// ---------------------------------------------------------------------------------------------

#[test]
fn root_rotation_through_expired_intermediate_root() {
    let repo = Repo::new();
    let k2 = Keys::new();
    let k3 = Keys::new();
    // 5.3.6: v2 is expired, which does not matter while it is intermediate.
    let v2 = sign(root(&k2, 2, past()), &[&repo.keys.root, &k2.root]);
    let v3 = sign(root(&k3, 3, future()), &[&k2.root, &k3.root]);
    let mut trusted = repo.session();
    assert_eq!(trusted.update_root(&v2).unwrap().signed().version, 2);
    assert_eq!(trusted.update_root(&v3).unwrap().signed().version, 3);
    // The final root is not expired: timestamps signed by the v3 keys load.
    let ts = sign(timestamp(1, MetaFile::new(1), future()), &[&k3.timestamp]);
    trusted.update_timestamp(&ts).unwrap();
}

#[test]
fn root_update_skipping_a_version_is_refused() {
    // 5.3.5
    let repo = Repo::new();
    let v3 = sign(root(&repo.keys, 3, future()), &[&repo.keys.root]);
    let mut trusted = repo.session();
    assert_eq!(
        expect_err(trusted.update_root(&v3)),
        TrustError::RootVersion {
            expected: 2,
            found: 3
        }
    );
    assert_eq!(trusted.root().signed().version, 1);
}

#[test]
fn root_update_with_same_version_is_refused() {
    // 5.3.5: an equal version is discarded; the trusted root is kept.
    let repo = Repo::new();
    let mut trusted = repo.session();
    assert_eq!(
        expect_err(trusted.update_root(&repo.root)),
        TrustError::RootVersion {
            expected: 2,
            found: 1
        }
    );
    assert_eq!(trusted.root().signed().version, 1);
}

#[test]
fn root_update_signed_only_by_new_keys_is_refused() {
    // 5.3.4 (1): a threshold of the trusted root's keys.
    let repo = Repo::new();
    let new = Keys::new();
    let v2 = sign(root(&new, 2, future()), &[&new.root]);
    let mut trusted = repo.session();
    assert_threshold(trusted.update_root(&v2), "root", &[], &[&repo.keys.root]);
    assert_eq!(trusted.root().signed().version, 1);
}

#[test]
fn root_update_signed_only_by_old_keys_is_refused() {
    // 5.3.4 (2): a threshold of the new root's own keys.
    let repo = Repo::new();
    let new = Keys::new();
    let v2 = sign(root(&new, 2, future()), &[&repo.keys.root]);
    let mut trusted = repo.session();
    assert_threshold(trusted.update_root(&v2), "root", &[], &[&new.root]);
    assert_eq!(trusted.root().signed().version, 1);
}

#[test]
fn root_update_of_wrong_type_is_refused() {
    // A timestamp file served as the next root.
    let repo = Repo::new();
    let mut trusted = repo.session();
    assert_eq!(
        expect_err(trusted.update_root(&repo.timestamp_bytes(2, 1))),
        TrustError::Metadata {
            role: "root".into(),
            source: Error::Type {
                expected: "root",
                found: "timestamp".into()
            }
        }
    );
}

#[test]
fn final_root_expired_is_refused_at_timestamp_update() {
    // 5.3.10
    let keys = Keys::new();
    let root_bytes = sign(root(&keys, 1, past()), &[&keys.root]);
    let ts = sign(timestamp(1, MetaFile::new(1), future()), &[&keys.timestamp]);
    let mut trusted = TrustedMetadata::new(&root_bytes, NOW).unwrap();
    assert_eq!(
        expect_err(trusted.update_timestamp(&ts)),
        TrustError::Expired {
            role: "root".into(),
            expires: past()
        }
    );
    assert!(trusted.timestamp().is_none());
    // A newer, valid root makes it final and not expired.
    let v2 = sign(root(&keys, 2, future()), &[&keys.root]);
    trusted.update_root(&v2).unwrap();
    trusted.update_timestamp(&ts).unwrap();
}

#[test]
fn root_update_after_timestamp_is_out_of_order() {
    let repo = Repo::new();
    let v2 = sign(root(&repo.keys, 2, future()), &[&repo.keys.root]);
    let mut trusted = repo.at_timestamp(1);
    assert_eq!(
        expect_err(trusted.update_root(&v2)),
        out_of_order("update_root", "a timestamp is already loaded")
    );
}

// ---------------------------------------------------------------------------------------------
// 5.4: timestamp.
// ---------------------------------------------------------------------------------------------

#[test]
fn timestamp_bad_signature_is_refused() {
    // 5.4.2: signed by the snapshot key instead of the timestamp key.
    let repo = Repo::new();
    let ts = sign(
        timestamp(1, MetaFile::new(1), future()),
        &[&repo.keys.snapshot],
    );
    let mut trusted = repo.session();
    assert_threshold(
        trusted.update_timestamp(&ts),
        "timestamp",
        &[],
        &[&repo.keys.timestamp],
    );
    assert!(trusted.timestamp().is_none());
}

#[test]
fn timestamp_of_wrong_type_is_refused() {
    let repo = Repo::new();
    let mut trusted = repo.session();
    assert_eq!(
        expect_err(trusted.update_timestamp(&repo.snapshot_bytes(1, &[]))),
        TrustError::Metadata {
            role: "timestamp".into(),
            source: Error::Type {
                expected: "timestamp",
                found: "snapshot".into()
            }
        }
    );
}

#[test]
fn timestamp_rollback_is_refused() {
    // 5.4.3.1
    let repo = Repo::new();
    let mut trusted = repo.session();
    trusted
        .update_timestamp(&repo.timestamp_bytes(3, 1))
        .unwrap();
    assert_eq!(
        expect_err(trusted.update_timestamp(&repo.timestamp_bytes(2, 1))),
        TrustError::Rollback {
            role: "timestamp".into(),
            trusted: 3,
            new: 2
        }
    );
    assert_eq!(trusted.timestamp().unwrap().signed().version, 3);
}

#[test]
fn timestamp_equal_version_keeps_trusted_one() {
    // 5.4.3.1: same version: discarded without an attack being reported.
    let repo = Repo::new();
    let mut trusted = repo.session();
    trusted
        .update_timestamp(&repo.timestamp_bytes(2, 1))
        .unwrap();
    assert_eq!(
        expect_err(trusted.update_timestamp(&repo.timestamp_bytes(2, 7))),
        TrustError::EqualVersion {
            role: "timestamp".into(),
            version: 2
        }
    );
    let kept = trusted.timestamp().unwrap().signed();
    assert_eq!((kept.version, kept.snapshot_meta.version), (2, 1));
    // The update goes on with the trusted timestamp.
    trusted
        .update_snapshot(&repo.snapshot_bytes(1, &[]), false)
        .unwrap();
}

#[test]
fn timestamp_snapshot_version_rollback_is_refused() {
    // 5.4.3.2
    let repo = Repo::new();
    let mut trusted = repo.session();
    trusted
        .update_timestamp(&repo.timestamp_bytes(1, 5))
        .unwrap();
    assert_eq!(
        expect_err(trusted.update_timestamp(&repo.timestamp_bytes(2, 4))),
        TrustError::Rollback {
            role: "snapshot".into(),
            trusted: 5,
            new: 4
        }
    );
    assert_eq!(trusted.timestamp().unwrap().signed().version, 1);
    // Same snapshot version in a newer timestamp is fine.
    trusted
        .update_timestamp(&repo.timestamp_bytes(2, 5))
        .unwrap();
}

#[test]
fn timestamp_expired_is_intermediate_and_guards_rollback() {
    // 5.4.4: refused as final, but kept for the rollback checks of the next timestamp.
    let repo = Repo::new();
    let expired = sign(
        timestamp(5, MetaFile::new(3), past()),
        &[&repo.keys.timestamp],
    );
    let mut trusted = repo.session();
    assert_eq!(
        expect_err(trusted.update_timestamp(&expired)),
        TrustError::Expired {
            role: "timestamp".into(),
            expires: past()
        }
    );
    assert_eq!(trusted.timestamp().unwrap().signed().version, 5);
    // An expired timestamp cannot be used to load a snapshot.
    assert_eq!(
        expect_err(trusted.update_snapshot(&repo.snapshot_bytes(3, &[]), false)),
        TrustError::Expired {
            role: "timestamp".into(),
            expires: past()
        }
    );
    assert!(trusted.snapshot().is_none());
    // The intermediate timestamp still protects against rollback...
    assert_eq!(
        expect_err(trusted.update_timestamp(&repo.timestamp_bytes(4, 3))),
        TrustError::Rollback {
            role: "timestamp".into(),
            trusted: 5,
            new: 4
        }
    );
    assert_eq!(
        expect_err(trusted.update_timestamp(&repo.timestamp_bytes(6, 2))),
        TrustError::Rollback {
            role: "snapshot".into(),
            trusted: 3,
            new: 2
        }
    );
    // ...and a newer valid one replaces it.
    trusted
        .update_timestamp(&repo.timestamp_bytes(6, 3))
        .unwrap();
    trusted
        .update_snapshot(&repo.snapshot_bytes(3, &[]), false)
        .unwrap();
}

#[test]
fn timestamp_expiring_at_reference_time_is_expired() {
    let repo = Repo::new();
    let ts = sign(
        timestamp(1, MetaFile::new(1), expires_at(NOW)),
        &[&repo.keys.timestamp],
    );
    let mut trusted = repo.session();
    assert_eq!(
        expect_err(trusted.update_timestamp(&ts)),
        TrustError::Expired {
            role: "timestamp".into(),
            expires: expires_at(NOW)
        }
    );
    let ts = sign(
        timestamp(2, MetaFile::new(1), expires_at(NOW + 1)),
        &[&repo.keys.timestamp],
    );
    trusted.update_timestamp(&ts).unwrap();
}

#[test]
fn timestamp_update_after_snapshot_is_out_of_order() {
    let repo = Repo::new();
    let mut trusted = repo.at_snapshot(&[("targets", 1)]);
    assert_eq!(
        expect_err(trusted.update_timestamp(&repo.timestamp_bytes(2, 1))),
        out_of_order("update_timestamp", "a snapshot is already loaded")
    );
}

// ---------------------------------------------------------------------------------------------
// 5.5: snapshot.
// ---------------------------------------------------------------------------------------------

/// A session whose timestamp v1 lists snapshot v1 with `meta`.
fn with_snapshot_meta(repo: &Repo, meta: MetaFile) -> TrustedMetadata {
    let mut trusted = repo.session();
    let ts = sign(timestamp(1, meta, future()), &[&repo.keys.timestamp]);
    trusted.update_timestamp(&ts).unwrap();
    trusted
}

#[test]
fn snapshot_hash_mismatch_is_refused() {
    // 5.5.2
    let repo = Repo::new();
    let bytes = repo.snapshot_bytes(1, &[("targets", 1)]);
    let mut meta = MetaFile::from_data(1, b"another snapshot", &["sha256"]).unwrap();
    meta.length = None;
    let mut trusted = with_snapshot_meta(&repo, meta);
    assert_eq!(
        expect_err(trusted.update_snapshot(&bytes, false)),
        TrustError::LengthOrHash {
            role: "snapshot".into(),
            source: Error::HashMismatch {
                algorithm: "sha256".into(),
                expected: digest_hex("sha256", b"another snapshot").unwrap(),
                found: digest_hex("sha256", &bytes).unwrap(),
            }
        }
    );
    assert!(trusted.snapshot().is_none());
}

#[test]
fn snapshot_length_mismatch_is_refused() {
    // 5.5.2
    let repo = Repo::new();
    let bytes = repo.snapshot_bytes(1, &[("targets", 1)]);
    let mut meta = MetaFile::from_data(1, &bytes, &["sha256"]).unwrap();
    let length = bytes.len() as u64;
    meta.length = Some(length + 1);
    let mut trusted = with_snapshot_meta(&repo, meta);
    assert_eq!(
        expect_err(trusted.update_snapshot(&bytes, false)),
        TrustError::LengthOrHash {
            role: "snapshot".into(),
            source: Error::LengthMismatch {
                expected: length + 1,
                found: length
            }
        }
    );
}

#[test]
fn snapshot_trusted_bytes_skip_length_and_hash_check() {
    // Bytes from the local cache, verified when they were stored: 5.5.2 is not repeated.
    let repo = Repo::new();
    let bytes = repo.snapshot_bytes(1, &[("targets", 1)]);
    let meta = MetaFile::from_data(1, b"the current snapshot", &["sha256"]).unwrap();
    let mut trusted = with_snapshot_meta(&repo, meta);
    trusted.update_snapshot(&bytes, true).unwrap();
    assert_eq!(trusted.snapshot().unwrap().signed().version, 1);
}

#[test]
fn snapshot_bad_signature_is_refused() {
    // 5.5.3
    let repo = Repo::new();
    let bytes = sign(
        snapshot(1, &[("targets", 1)], future()),
        &[&repo.keys.timestamp],
    );
    let mut trusted = repo.at_timestamp(1);
    assert_threshold(
        trusted.update_snapshot(&bytes, false),
        "snapshot",
        &[],
        &[&repo.keys.snapshot],
    );
    // Even from the cache.
    assert_threshold(
        trusted.update_snapshot(&bytes, true),
        "snapshot",
        &[],
        &[&repo.keys.snapshot],
    );
    assert!(trusted.snapshot().is_none());
}

/// A session whose timestamp lists snapshot v2, with the cached snapshot v1 listing `cached`
/// loaded as intermediate metadata.
fn with_cached_snapshot(repo: &Repo, cached: &[(&str, u64)]) -> TrustedMetadata {
    let mut trusted = repo.at_timestamp(2);
    assert_eq!(
        expect_err(trusted.update_snapshot(&repo.snapshot_bytes(1, cached), true)),
        TrustError::VersionMismatch {
            role: "snapshot".into(),
            expected: 2,
            found: 1
        }
    );
    assert_eq!(trusted.snapshot().unwrap().signed().version, 1);
    trusted
}

#[test]
fn snapshot_entry_removed_is_refused() {
    // 5.5.5: every file the trusted snapshot lists must still be listed.
    let repo = Repo::new();
    let mut trusted = with_cached_snapshot(&repo, &[("targets", 1), ("a", 1)]);
    assert_eq!(
        expect_err(trusted.update_snapshot(&repo.snapshot_bytes(2, &[("targets", 1)]), false)),
        TrustError::SnapshotEntryRemoved {
            file: "a.json".into()
        }
    );
    assert_eq!(trusted.snapshot().unwrap().signed().version, 1);
    // Listing it (and more) is fine.
    trusted
        .update_snapshot(
            &repo.snapshot_bytes(2, &[("targets", 1), ("a", 1), ("b", 1)]),
            false,
        )
        .unwrap();
}

#[test]
fn snapshot_entry_version_lowered_is_refused() {
    // 5.5.5: no version of a listed file may go back.
    let repo = Repo::new();
    let mut trusted = with_cached_snapshot(&repo, &[("targets", 4), ("a", 3)]);
    assert_eq!(
        expect_err(
            trusted.update_snapshot(&repo.snapshot_bytes(2, &[("targets", 4), ("a", 2)]), false)
        ),
        TrustError::Rollback {
            role: "a".into(),
            trusted: 3,
            new: 2
        }
    );
    assert_eq!(
        expect_err(
            trusted.update_snapshot(&repo.snapshot_bytes(2, &[("targets", 3), ("a", 3)]), false)
        ),
        TrustError::Rollback {
            role: "targets".into(),
            trusted: 4,
            new: 3
        }
    );
    trusted
        .update_snapshot(&repo.snapshot_bytes(2, &[("targets", 4), ("a", 4)]), false)
        .unwrap();
}

#[test]
fn snapshot_version_differing_from_timestamp_is_intermediate() {
    // 5.5.4: stored, but refused as final: targets cannot be loaded with it.
    let repo = Repo::new();
    let mut trusted = repo.at_timestamp(2);
    assert_eq!(
        expect_err(trusted.update_snapshot(&repo.snapshot_bytes(3, &[("targets", 1)]), false)),
        TrustError::VersionMismatch {
            role: "snapshot".into(),
            expected: 2,
            found: 3
        }
    );
    assert_eq!(trusted.snapshot().unwrap().signed().version, 3);
    let targets_bytes = sign(targets(1, future()), &[&repo.keys.targets]);
    assert_eq!(
        expect_err(trusted.update_targets(&targets_bytes)),
        TrustError::VersionMismatch {
            role: "snapshot".into(),
            expected: 2,
            found: 3
        }
    );
    assert!(trusted.targets().is_none());
}

#[test]
fn snapshot_expired_is_intermediate() {
    // 5.5.6
    let repo = Repo::new();
    let expired = sign(
        snapshot(1, &[("targets", 2)], past()),
        &[&repo.keys.snapshot],
    );
    let mut trusted = repo.at_timestamp(1);
    assert_eq!(
        expect_err(trusted.update_snapshot(&expired, false)),
        TrustError::Expired {
            role: "snapshot".into(),
            expires: past()
        }
    );
    assert!(trusted.snapshot().is_some());
    let targets_bytes = sign(targets(2, future()), &[&repo.keys.targets]);
    assert_eq!(
        expect_err(trusted.update_targets(&targets_bytes)),
        TrustError::Expired {
            role: "snapshot".into(),
            expires: past()
        }
    );
    // The intermediate snapshot guards the next one: targets may not go back to v1.
    assert_eq!(
        expect_err(trusted.update_snapshot(&repo.snapshot_bytes(1, &[("targets", 1)]), false)),
        TrustError::Rollback {
            role: "targets".into(),
            trusted: 2,
            new: 1
        }
    );
    trusted
        .update_snapshot(&repo.snapshot_bytes(1, &[("targets", 2)]), false)
        .unwrap();
    trusted.update_targets(&targets_bytes).unwrap();
}

#[test]
fn snapshot_before_timestamp_is_out_of_order() {
    let repo = Repo::new();
    let mut trusted = repo.session();
    assert_eq!(
        expect_err(trusted.update_snapshot(&repo.snapshot_bytes(1, &[]), false)),
        out_of_order("update_snapshot", "no timestamp is loaded")
    );
}

#[test]
fn snapshot_after_targets_is_out_of_order() {
    let repo = Repo::new();
    let mut trusted = repo.at_snapshot(&[("targets", 1)]);
    trusted
        .update_targets(&sign(targets(1, future()), &[&repo.keys.targets]))
        .unwrap();
    assert_eq!(
        expect_err(trusted.update_snapshot(&repo.snapshot_bytes(1, &[("targets", 1)]), false)),
        out_of_order("update_snapshot", "targets are already loaded")
    );
}

// ---------------------------------------------------------------------------------------------
// 5.6: top-level targets.
// ---------------------------------------------------------------------------------------------

#[test]
fn targets_not_in_snapshot_is_refused() {
    let repo = Repo::new();
    let mut trusted = repo.at_snapshot(&[("a", 1)]);
    let bytes = sign(targets(1, future()), &[&repo.keys.targets]);
    assert_eq!(
        expect_err(trusted.update_targets(&bytes)),
        TrustError::NotInSnapshot {
            role: "targets".into()
        }
    );
}

#[test]
fn targets_hash_mismatch_is_refused() {
    // 5.6.2
    let repo = Repo::new();
    let bytes = sign(targets(1, future()), &[&repo.keys.targets]);
    let mut listed = snapshot(1, &[], future());
    let mut meta = MetaFile::from_data(1, b"other targets", &["sha512"]).unwrap();
    meta.length = Some(bytes.len() as u64);
    listed.meta.insert("targets.json".into(), meta);
    let mut trusted = repo.at_timestamp(1);
    trusted
        .update_snapshot(&sign(listed, &[&repo.keys.snapshot]), false)
        .unwrap();
    assert_eq!(
        expect_err(trusted.update_targets(&bytes)),
        TrustError::LengthOrHash {
            role: "targets".into(),
            source: Error::HashMismatch {
                algorithm: "sha512".into(),
                expected: digest_hex("sha512", b"other targets").unwrap(),
                found: digest_hex("sha512", &bytes).unwrap(),
            }
        }
    );
    assert!(trusted.targets().is_none());
}

#[test]
fn targets_version_mismatch_is_refused() {
    // 5.6.4
    let repo = Repo::new();
    let mut trusted = repo.at_snapshot(&[("targets", 2)]);
    let bytes = sign(targets(1, future()), &[&repo.keys.targets]);
    assert_eq!(
        expect_err(trusted.update_targets(&bytes)),
        TrustError::VersionMismatch {
            role: "targets".into(),
            expected: 2,
            found: 1
        }
    );
    assert!(trusted.targets().is_none());
}

#[test]
fn targets_bad_signature_is_refused() {
    // 5.6.3
    let repo = Repo::new();
    let mut trusted = repo.at_snapshot(&[("targets", 1)]);
    let bytes = sign(targets(1, future()), &[&repo.keys.root]);
    assert_threshold(
        trusted.update_targets(&bytes),
        "targets",
        &[],
        &[&repo.keys.targets],
    );
    assert!(trusted.targets().is_none());
}

#[test]
fn targets_expired_is_refused() {
    // 5.6.5: no intermediate targets.
    let repo = Repo::new();
    let mut trusted = repo.at_snapshot(&[("targets", 1)]);
    let bytes = sign(targets(1, past()), &[&repo.keys.targets]);
    assert_eq!(
        expect_err(trusted.update_targets(&bytes)),
        TrustError::Expired {
            role: "targets".into(),
            expires: past()
        }
    );
    assert!(trusted.targets().is_none());
}

/// Targets listing `count` files, each named and described after its index.
fn listing(count: usize, expires: Expires) -> Targets {
    let mut listed = targets(1, expires);
    for index in 0..count {
        let name = format!("pkg/{index:04}.tgz");
        let file = tuf_metadata::TargetFile::from_data(name.as_bytes(), &["sha256"]).unwrap();
        listed.targets.insert(name, file);
    }
    listed
}

#[test]
fn shared_bytes_are_verified_exactly_as_borrowed_ones() {
    // 5.6.2-5.6.5 through `update_delegated_targets_shared`: same result, value or error.
    let repo = Repo::new();
    let good = sign(listing(40, future()), &[&repo.keys.targets]);
    let mut tampered = good.clone();
    let at = tampered.windows(4).position(|w| w == b"0017").unwrap();
    tampered[at + 3] = b'8';
    let cases: Vec<(&str, Vec<u8>, u64)> = vec![
        ("valid", good.clone(), 1),
        (
            "signed by another key",
            sign(listing(3, future()), &[&repo.keys.root]),
            1,
        ),
        ("an entry changed after signing", tampered, 1),
        (
            "expired",
            sign(listing(3, past()), &[&repo.keys.targets]),
            1,
        ),
        ("another version", good.clone(), 2),
        ("not targets", repo.snapshot_bytes(1, &[]), 1),
        ("not JSON", good[..good.len() / 2].to_vec(), 1),
    ];
    for (case, bytes, listed_version) in cases {
        let mut borrowed = repo.at_snapshot(&[("targets", listed_version)]);
        let mut shared = repo.at_snapshot(&[("targets", listed_version)]);
        let expected = borrowed
            .update_delegated_targets(&bytes, "targets", "root")
            .map(|m| m.signed().clone());
        let found = shared
            .update_delegated_targets(&std::sync::Arc::new(bytes), "targets", "root")
            .map(|m| m.signed().clone());
        assert_eq!(found, expected, "{case}");
        assert_eq!(found.is_ok(), case == "valid", "{case}");
    }
    // The trusted role's map is indexed, and lookups read it without building it.
    let mut trusted = repo.at_snapshot(&[("targets", 1)]);
    let loaded = trusted
        .update_delegated_targets(&std::sync::Arc::new(good), "targets", "root")
        .unwrap();
    let map = &loaded.signed().targets;
    assert!(map.is_indexed());
    assert_eq!(map.len(), 40);
    let file = map.lookup("pkg/0017.tgz").unwrap();
    file.verify_length_and_hashes(b"pkg/0017.tgz").unwrap();
    assert!(map.lookup("pkg/0040.tgz").is_none());
    assert!(map.is_indexed());
}

#[test]
fn shared_snapshot_bytes_are_verified_exactly_as_borrowed_ones() {
    // 5.5.2-5.5.6 with shared bytes: same result, value or error; rollback checks included.
    let repo = Repo::new();
    let names: Vec<String> = (0..50).map(|bin| format!("bin-{bin:02x}")).collect();
    let entries = |version: u64| -> Vec<(&str, u64)> {
        names.iter().map(|name| (name.as_str(), version)).collect()
    };
    let v1 = repo.snapshot_bytes(1, &entries(1));
    let v1_bins_at_2 = repo.snapshot_bytes(1, &entries(2));
    // (case, bytes, the snapshot trusted before).
    type Case<'a> = (&'a str, Vec<u8>, Option<&'a [u8]>);
    let cases: Vec<Case> = vec![
        ("valid", v1.clone(), None),
        (
            "signed by another key",
            sign(snapshot(1, &entries(1), future()), &[&repo.keys.root]),
            None,
        ),
        (
            "expired",
            sign(snapshot(1, &entries(1), past()), &[&repo.keys.snapshot]),
            None,
        ),
        (
            "not a snapshot",
            sign(targets(1, future()), &[&repo.keys.snapshot]),
            None,
        ),
        (
            "a bin rolled back",
            repo.snapshot_bytes(1, &entries(1)),
            Some(&v1_bins_at_2),
        ),
        (
            "a bin removed",
            repo.snapshot_bytes(1, &entries(1)[1..]),
            Some(&v1),
        ),
    ];
    for (case, bytes, before) in cases {
        let mut borrowed = repo.at_timestamp(1);
        let mut shared = repo.at_timestamp(1);
        if let Some(before) = before {
            borrowed.update_snapshot(before, true).unwrap();
            shared
                .update_snapshot(&std::sync::Arc::new(before.to_vec()), true)
                .unwrap();
        }
        let expected = borrowed
            .update_snapshot(&bytes, false)
            .map(|m| m.signed().clone());
        let found = shared
            .update_snapshot(&std::sync::Arc::new(bytes), false)
            .map(|m| m.signed().clone());
        assert_eq!(found, expected, "{case}");
        assert_eq!(found.is_ok(), case == "valid", "{case}");
    }
    let mut trusted = repo.at_timestamp(1);
    let loaded = trusted
        .update_snapshot(&std::sync::Arc::new(v1), false)
        .unwrap();
    assert!(loaded.signed().meta.is_indexed());
    assert_eq!(loaded.signed().role_meta("bin-31").unwrap().version, 1);
    assert!(loaded.signed().meta.is_indexed());
}

#[test]
fn targets_of_wrong_type_is_refused() {
    let repo = Repo::new();
    let mut trusted = repo.at_snapshot(&[("targets", 1)]);
    assert_eq!(
        expect_err(trusted.update_targets(&repo.snapshot_bytes(1, &[]))),
        TrustError::Metadata {
            role: "targets".into(),
            source: Error::Type {
                expected: "targets",
                found: "snapshot".into()
            }
        }
    );
}

#[test]
fn targets_before_snapshot_is_out_of_order() {
    let repo = Repo::new();
    let mut trusted = repo.at_timestamp(1);
    let bytes = sign(targets(1, future()), &[&repo.keys.targets]);
    assert_eq!(
        expect_err(trusted.update_targets(&bytes)),
        out_of_order("update_delegated_targets", "no snapshot is loaded")
    );
}

// ---------------------------------------------------------------------------------------------
// 5.6.7.2: delegated targets.
// ---------------------------------------------------------------------------------------------

/// Targets delegate `a` to key A and `b` to key B; `b` delegates `a` to key C.
struct Delegated {
    repo: Repo,
    a: PrivateKey,
    b: PrivateKey,
    c: PrivateKey,
    trusted: TrustedMetadata,
}

impl Delegated {
    fn new() -> Self {
        let repo = Repo::new();
        let (a, b, c) = (new_key(), new_key(), new_key());
        let mut trusted = repo.at_snapshot(&[("targets", 1), ("a", 1), ("b", 1), ("x", 1)]);
        let top = sign(
            delegating(1, &[("a", &a), ("b", &b)]),
            &[&repo.keys.targets],
        );
        trusted.update_targets(&top).unwrap();
        Delegated {
            repo,
            a,
            b,
            c,
            trusted,
        }
    }

    fn load_b(&mut self) {
        let b_bytes = sign(delegating(1, &[("a", &self.c)]), &[&self.b]);
        self.trusted
            .update_delegated_targets(&b_bytes, "b", "targets")
            .unwrap();
    }

    /// A diamond: `b` loaded (trusting only C for `a`), and `a` signed by A loaded through
    /// targets; returns `a`'s bytes.
    fn diamond_with_a_via_targets() -> (Delegated, Vec<u8>) {
        let mut d = Delegated::new();
        d.load_b();
        let by_a = sign(targets(1, future()), &[&d.a]);
        d.trusted
            .update_delegated_targets(&by_a, "a", "targets")
            .unwrap();
        (d, by_a)
    }
}

#[test]
fn delegated_role_is_verified_by_delegator_keys() {
    let mut d = Delegated::new();
    // Signed by the top-level targets key, which targets does not trust for `a`.
    let wrong = sign(targets(1, future()), &[&d.repo.keys.targets]);
    assert_threshold(
        d.trusted.update_delegated_targets(&wrong, "a", "targets"),
        "a",
        &[],
        &[&d.a],
    );
    assert!(d.trusted.delegated("a").is_none());
    let right = sign(targets(1, future()), &[&d.a]);
    d.trusted
        .update_delegated_targets(&right, "a", "targets")
        .unwrap();
    assert!(d.trusted.delegated_by("a", "targets").is_some());
}

#[test]
fn delegated_role_checks_snapshot_version_and_expiry() {
    let mut d = Delegated::new();
    let v2 = sign(targets(2, future()), &[&d.a]);
    assert_eq!(
        expect_err(d.trusted.update_delegated_targets(&v2, "a", "targets")),
        TrustError::VersionMismatch {
            role: "a".into(),
            expected: 1,
            found: 2
        }
    );
    let expired = sign(targets(1, past()), &[&d.a]);
    assert_eq!(
        expect_err(d.trusted.update_delegated_targets(&expired, "a", "targets")),
        TrustError::Expired {
            role: "a".into(),
            expires: past()
        }
    );
    assert!(d.trusted.delegated("a").is_none());
}

#[test]
fn delegated_role_not_in_snapshot_is_refused() {
    let repo = Repo::new();
    let a = new_key();
    let mut trusted = repo.at_snapshot(&[("targets", 1)]);
    let top = sign(delegating(1, &[("a", &a)]), &[&repo.keys.targets]);
    trusted.update_targets(&top).unwrap();
    let bytes = sign(targets(1, future()), &[&a]);
    assert_eq!(
        expect_err(trusted.update_delegated_targets(&bytes, "a", "targets")),
        TrustError::NotInSnapshot { role: "a".into() }
    );
}

#[test]
fn delegated_role_with_unknown_delegator_is_refused() {
    let mut d = Delegated::new();
    let bytes = sign(targets(1, future()), &[&d.a]);
    // Not a role at all.
    assert_eq!(
        expect_err(d.trusted.update_delegated_targets(&bytes, "a", "nobody")),
        TrustError::UnknownDelegator {
            delegator: "nobody".into(),
            role: "a".into()
        }
    );
    // A delegator that does exist but is not loaded yet.
    assert_eq!(
        expect_err(d.trusted.update_delegated_targets(&bytes, "a", "b")),
        TrustError::UnknownDelegator {
            delegator: "b".into(),
            role: "a".into()
        }
    );
    assert!(d.trusted.delegated("a").is_none());
}

#[test]
fn delegator_that_does_not_delegate_the_role_is_refused() {
    // `x` is listed by snapshot, but targets does not delegate to it.
    let mut d = Delegated::new();
    let bytes = sign(targets(1, future()), &[&d.a]);
    assert_eq!(
        expect_err(d.trusted.update_delegated_targets(&bytes, "x", "targets")),
        TrustError::UnknownDelegator {
            delegator: "targets".into(),
            role: "x".into()
        }
    );
}

#[test]
fn root_delegates_only_the_top_level_targets() {
    let mut d = Delegated::new();
    // Root trusts the snapshot key for "snapshot", but never as a targets role.
    let as_snapshot = sign(targets(1, future()), &[&d.repo.keys.snapshot]);
    assert_eq!(
        expect_err(
            d.trusted
                .update_delegated_targets(&as_snapshot, "snapshot", "root")
        ),
        TrustError::UnknownDelegator {
            delegator: "root".into(),
            role: "snapshot".into()
        }
    );
    let bytes = sign(targets(1, future()), &[&d.a]);
    assert_eq!(
        expect_err(d.trusted.update_delegated_targets(&bytes, "a", "root")),
        TrustError::UnknownDelegator {
            delegator: "root".into(),
            role: "a".into()
        }
    );
    // And only root delegates the top-level targets.
    assert_eq!(
        expect_err(
            d.trusted
                .update_delegated_targets(&bytes, "targets", "targets")
        ),
        TrustError::UnknownDelegator {
            delegator: "targets".into(),
            role: "targets".into()
        }
    );
}

#[test]
fn role_reached_via_other_delegator_is_verified_against_it() {
    // `a` signed by A: trusted through targets...
    let (mut d, by_a) = Delegated::diamond_with_a_via_targets();
    assert!(d.trusted.delegated_by("a", "targets").is_some());
    assert!(d.trusted.delegated_by("a", "b").is_none());
    // ...but not through b, which trusts only key C for `a`.
    assert_threshold(
        d.trusted.update_delegated_targets(&by_a, "a", "b"),
        "a",
        &[],
        &[&d.c],
    );
    // The failure keeps what targets verified.
    assert!(d.trusted.delegated_by("a", "targets").is_some());
    // `a` signed by C: trusted through b, and now recorded as such.
    let by_c = sign(targets(1, future()), &[&d.c]);
    d.trusted.update_delegated_targets(&by_c, "a", "b").unwrap();
    assert!(d.trusted.delegated_by("a", "b").is_some());
    assert!(d.trusted.delegated_by("a", "targets").is_none());
    assert!(d.trusted.delegated("a").is_some());
}

/// The check the updater makes when the search reaches a loaded role through a second
/// delegator (a diamond): the trusted state is checked, not changed.
#[test]
fn loaded_role_is_checked_against_a_second_delegator() {
    let (d, _) = Delegated::diamond_with_a_via_targets();
    // Through targets (which trusts A) it verifies; through b (which trusts only C) not.
    assert_eq!(
        d.trusted
            .verify_delegated_via("a", "targets")
            .unwrap()
            .signed()
            .version(),
        1
    );
    assert_threshold(d.trusted.verify_delegated_via("a", "b"), "a", &[], &[&d.c]);
    // Delegators that do not delegate `a`, and a role not loaded.
    for (role, delegator) in [
        ("a", "root"),
        ("a", "nobody"),
        ("targets", "b"),
        ("x", "targets"),
    ] {
        assert_eq!(
            expect_err(d.trusted.verify_delegated_via(role, delegator)),
            TrustError::UnknownDelegator {
                delegator: delegator.into(),
                role: role.into()
            },
            "{role} via {delegator}"
        );
    }
    assert!(d.trusted.verify_delegated_via("targets", "root").is_ok());
    // Nothing changed: `a` is still recorded as loaded through targets.
    assert!(d.trusted.delegated_by("a", "targets").is_some());
    assert!(d.trusted.delegated_by("a", "b").is_none());
}

#[test]
fn reloading_a_delegator_forgets_its_delegates() {
    let mut d = Delegated::new();
    d.load_b();
    let by_c = sign(targets(1, future()), &[&d.c]);
    d.trusted.update_delegated_targets(&by_c, "a", "b").unwrap();
    // Loading b again: `a`, verified against the replaced b, is forgotten.
    d.load_b();
    assert!(d.trusted.delegated("b").is_some());
    assert!(d.trusted.delegated("a").is_none());
    d.trusted.update_delegated_targets(&by_c, "a", "b").unwrap();
    // Loading the top-level targets again forgets b and, through it, `a`.
    let top = sign(
        delegating(1, &[("a", &d.a), ("b", &d.b)]),
        &[&d.repo.keys.targets],
    );
    d.trusted.update_targets(&top).unwrap();
    assert!(d.trusted.delegated("b").is_none());
    assert!(d.trusted.delegated("a").is_none());
    assert!(d.trusted.targets().is_some());
}

// ---------------------------------------------------------------------------------------------
// 5.3.11: fast-forward attack recovery, done by the caller.
// ---------------------------------------------------------------------------------------------

/// Root v2 of `repo` with the key of top-level `role` replaced by `new_key`.
fn rotate(repo: &Repo, role: &str, new_key: &PrivateKey) -> Vec<u8> {
    let mut v2 = root(&repo.keys, 2, future());
    v2.revoke_key(role, &repo.keys.for_role(role).key_id())
        .unwrap();
    v2.add_key(role, new_key.public_key().clone()).unwrap();
    sign(v2, &[&repo.keys.root])
}

#[test]
fn fast_forward_recovery_after_timestamp_key_rotation() {
    let repo = Repo::new();
    // An attacker with the timestamp key fast-forwarded the client to timestamp v1000, which
    // the client cached.
    let cached = repo.timestamp_bytes(1000, 1000);
    let mut first = repo.session();
    first.update_timestamp(&cached).unwrap();
    // Without a key rotation, the repository's real timestamp is now a rollback.
    assert_eq!(
        expect_err(first.update_timestamp(&repo.timestamp_bytes(1, 1))),
        TrustError::Rollback {
            role: "timestamp".into(),
            trusted: 1000,
            new: 1
        }
    );

    // The repository recovers: root v2 rotates the timestamp key; timestamps restart at 1.
    let new_timestamp_key = new_key();
    let root_v2 = rotate(&repo, "timestamp", &new_timestamp_key);
    let fresh = sign(
        timestamp(1, MetaFile::new(1), future()),
        &[&new_timestamp_key],
    );

    // Next update: the new root, then the cached timestamp, signed by the removed key, fails...
    let mut next = repo.session();
    next.update_root(&root_v2).unwrap();
    assert_threshold(
        next.update_timestamp(&cached),
        "timestamp",
        &[],
        &[&new_timestamp_key],
    );
    assert!(next.timestamp().is_none());
    // ...so it is not loaded, and the fresh timestamp with a lower version is accepted.
    assert_eq!(next.update_timestamp(&fresh).unwrap().signed().version, 1);
    next.update_snapshot(&repo.snapshot_bytes(1, &[]), false)
        .unwrap();
}

#[test]
fn fast_forward_recovery_after_snapshot_key_rotation() {
    let repo = Repo::new();
    // Cached: a snapshot fast-forwarded to v1000 listing targets v1000.
    let cached_snapshot = repo.snapshot_bytes(1000, &[("targets", 1000)]);

    let new_snapshot_key = new_key();
    let root_v2 = rotate(&repo, "snapshot", &new_snapshot_key);
    let fresh = sign(
        snapshot(1, &[("targets", 1)], future()),
        &[&new_snapshot_key],
    );

    let mut trusted = repo.session();
    trusted.update_root(&root_v2).unwrap();
    trusted
        .update_timestamp(&repo.timestamp_bytes(1001, 1))
        .unwrap();
    // The cached snapshot, signed by the removed snapshot key, is not loaded...
    assert_threshold(
        trusted.update_snapshot(&cached_snapshot, true),
        "snapshot",
        &[],
        &[&new_snapshot_key],
    );
    assert!(trusted.snapshot().is_none());
    // ...so its fast-forwarded entries do not block the fresh one.
    trusted.update_snapshot(&fresh, false).unwrap();
    trusted
        .update_targets(&sign(targets(1, future()), &[&repo.keys.targets]))
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// Untrusted bytes never panic.
// ---------------------------------------------------------------------------------------------

struct States {
    root: Vec<u8>,
    timestamp: Vec<u8>,
    snapshot: Vec<u8>,
    targets: Vec<u8>,
    delegated: Vec<u8>,
    fresh: TrustedMetadata,
    at_timestamp: TrustedMetadata,
    at_snapshot: TrustedMetadata,
    at_targets: TrustedMetadata,
}

static STATES: LazyLock<States> = LazyLock::new(|| {
    let repo = Repo::new();
    let a = new_key();
    let delegated = sign(targets(1, future()), &[&a]);
    let top = sign(delegating(1, &[("a", &a)]), &[&repo.keys.targets]);
    let snapshot_bytes = repo.snapshot_bytes(1, &[("targets", 1), ("a", 1)]);
    let meta = MetaFile::from_data(1, &snapshot_bytes, &["sha256"]).unwrap();
    let timestamp_bytes = sign(timestamp(2, meta, future()), &[&repo.keys.timestamp]);
    let fresh = repo.session();
    let mut at_timestamp = repo.session();
    at_timestamp.update_timestamp(&timestamp_bytes).unwrap();
    let mut at_snapshot = at_timestamp.clone();
    at_snapshot.update_snapshot(&snapshot_bytes, false).unwrap();
    let mut at_targets = at_snapshot.clone();
    at_targets.update_targets(&top).unwrap();
    States {
        root: repo.root.clone(),
        timestamp: timestamp_bytes,
        snapshot: snapshot_bytes,
        targets: top,
        delegated,
        fresh,
        at_timestamp,
        at_snapshot,
        at_targets,
    }
});

/// Feeds `bytes` to every entry point in every state where it does real work.
fn feed_everywhere(bytes: &[u8]) {
    let s = &*STATES;
    let _ = TrustedMetadata::new(bytes, NOW);
    let _ = s.fresh.clone().update_root(bytes);
    let _ = s.fresh.clone().update_timestamp(bytes);
    let _ = s.at_timestamp.clone().update_timestamp(bytes);
    let _ = s.at_timestamp.clone().update_snapshot(bytes, false);
    let _ = s.at_timestamp.clone().update_snapshot(bytes, true);
    let _ = s.at_snapshot.clone().update_targets(bytes);
    let _ = s.at_targets.clone().update_targets(bytes);
    let _ = s
        .at_targets
        .clone()
        .update_delegated_targets(bytes, "a", "targets");
    let _ = s
        .at_targets
        .clone()
        .update_delegated_targets(bytes, "b", "a");
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        feed_everywhere(&bytes);
    }

    #[test]
    fn mutated_metadata_never_panics(
        which in 0usize..5,
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
    ) {
        let s = &*STATES;
        let mut bytes = [&s.root, &s.timestamp, &s.snapshot, &s.targets, &s.delegated][which].clone();
        for (index, byte) in edits {
            let at = index.index(bytes.len());
            bytes[at] = byte;
        }
        feed_everywhere(&bytes);
    }

    #[test]
    fn truncated_metadata_never_panics(which in 0usize..5, cut in any::<prop::sample::Index>()) {
        let s = &*STATES;
        let bytes = [&s.root, &s.timestamp, &s.snapshot, &s.targets, &s.delegated][which];
        feed_everywhere(&bytes[..cut.index(bytes.len())]);
    }
}

#[test]
fn valid_bytes_in_each_state_load() {
    // The fixture of the property tests is itself consistent.
    let s = &*STATES;
    let mut trusted = s.at_targets.clone();
    trusted
        .update_delegated_targets(&s.delegated, "a", "targets")
        .unwrap();
    let mut fresh = TrustedMetadata::new(&s.root, NOW).unwrap();
    fresh.update_timestamp(&s.timestamp).unwrap();
    fresh.update_snapshot(&s.snapshot, false).unwrap();
    fresh.update_targets(&s.targets).unwrap();
}

/// Root, timestamp, and snapshot v1 whose entry for `targets` (version 1) gives the length
/// and hashes of `listed`.
fn at_snapshot_listing(repo: &Repo, listed: &[u8]) -> TrustedMetadata {
    let mut listing = snapshot(1, &[], future());
    let meta = MetaFile::from_data(1, listed, &["sha256", "sha512"]).unwrap();
    listing.meta.insert("targets.json".to_owned(), meta);
    let mut trusted = repo.at_timestamp(1);
    trusted
        .update_snapshot(&sign(listing, &[&repo.keys.snapshot]), false)
        .unwrap();
    trusted
}

/// `bytes` fed to an intake in pieces of `piece` bytes, as a download arrives.
fn delivered(mut intake: Intake, bytes: &[u8], piece: usize) -> Delivery {
    for part in bytes.chunks(piece) {
        std::io::Write::write_all(&mut intake, part).unwrap();
    }
    intake.seal()
}

#[test]
fn delivered_bytes_are_verified_exactly_as_borrowed_ones() {
    // 5.6.2-5.6.5 through `targets_intake` (checks made while the bytes arrive), against the
    // same update of the whole bytes: same result, value or error. The roles are large enough
    // (about 400 KB) for the intake to check them beside.
    let repo = Repo::new();
    let good = sign(listing(2500, future()), &[&repo.keys.targets]);
    assert!(good.len() > 300_000);
    let mut tampered = good.clone();
    let at = tampered.windows(4).position(|w| w == b"0017").unwrap();
    tampered[at + 3] = b'8';
    let reordered = {
        let value: serde_json::Value = serde_json::from_slice(&good).unwrap();
        format!(
            r#"{{"signed": {}, "signatures": {}}}"#,
            value["signed"], value["signatures"]
        )
        .into_bytes()
    };
    let other_key = sign(listing(2500, future()), &[&repo.keys.root]);
    let expired = sign(listing(2500, past()), &[&repo.keys.targets]);
    let mut longer = good.clone();
    longer.push(b' ');
    // (case, bytes received, bytes the snapshot lists).
    let cases: Vec<(&str, &[u8], &[u8])> = vec![
        ("valid", &good, &good),
        ("signatures after signed", &reordered, &reordered),
        ("hashes listed for other bytes", &good, &other_key),
        ("one byte more than listed", &longer, &good),
        ("signed by another key", &other_key, &other_key),
        ("an entry changed after signing", &tampered, &tampered),
        ("expired", &expired, &expired),
        (
            "cut short",
            &good[..good.len() / 2],
            &good[..good.len() / 2],
        ),
    ];
    for (case, bytes, listed) in cases {
        let mut whole = at_snapshot_listing(&repo, listed);
        let expected = whole.update_targets(bytes).map(|m| m.signed().clone());
        for piece in [1000, 64 * 1024, bytes.len()] {
            let mut trusted = at_snapshot_listing(&repo, listed);
            let intake = trusted.targets_intake("targets", "root").unwrap();
            let delivery = delivered(intake, bytes, piece);
            assert_eq!(delivery.bytes().as_slice(), bytes, "{case}");
            let found = trusted
                .update_targets(&delivery)
                .map(|m| m.signed().clone());
            assert_eq!(found, expected, "{case}, pieces of {piece}");
        }
        assert_eq!(
            expected.is_ok(),
            matches!(case, "valid" | "signatures after signed"),
            "{case}"
        );
    }
    // The valid role was hashed while it arrived.
    let mut trusted = at_snapshot_listing(&repo, &good);
    let delivery = delivered(
        trusted.targets_intake("targets", "root").unwrap(),
        &good,
        4096,
    );
    let listing = MetaFile::from_data(1, &good, &["sha256", "sha512"]).unwrap();
    assert_eq!(delivery.listing_checked(&listing), Some(Ok(())));
    let loaded = trusted.update_targets(&delivery).unwrap();
    assert!(loaded.signed().targets.is_indexed());
    assert_eq!(loaded.signed().targets.len(), 2500);
}

#[test]
fn a_delivery_checked_against_other_keys_is_verified_again() {
    // An intake begun for one delegation and handed to another update: its checks were made
    // with other keys (and listing), so the bytes are verified from scratch, and refused.
    let repo = Repo::new();
    let good = sign(listing(2500, future()), &[&repo.keys.targets]);
    let mut trusted = at_snapshot_listing(&repo, &good);
    let intake = trusted.targets_intake("targets", "root").unwrap();
    let delivery = delivered(intake, &good, 8192);
    // A state whose root trusts other targets keys.
    let other = Repo::new();
    let mut elsewhere = at_snapshot_listing(&other, &good);
    let refused = elsewhere.update_targets(&delivery).map(|_| ());
    assert_eq!(
        refused,
        elsewhere.update_targets(good.as_slice()).map(|_| ())
    );
    assert!(matches!(
        refused,
        Err(TrustError::Metadata {
            source: tuf_metadata::Error::ThresholdNotMet { .. },
            ..
        })
    ));
    // The state it was begun for accepts it.
    trusted.update_targets(&delivery).unwrap();
}

#[test]
fn a_delivered_snapshot_is_verified_exactly_as_a_borrowed_one() {
    // 5.5.2-5.5.6 through `snapshot_intake`, rollback checks included.
    let repo = Repo::new();
    let names: Vec<String> = (0..12_000).map(|bin| format!("bin-{bin:04x}")).collect();
    let entries = |version: u64| -> Vec<(&str, u64)> {
        names.iter().map(|name| (name.as_str(), version)).collect()
    };
    let v2 = sign(snapshot(2, &entries(2), future()), &[&repo.keys.snapshot]);
    assert!(v2.len() > 300_000);
    let rolled_back = sign(snapshot(2, &entries(1), future()), &[&repo.keys.snapshot]);
    let other_key = sign(snapshot(2, &entries(2), future()), &[&repo.keys.root]);
    let trusted_v1 = repo.snapshot_bytes(1, &entries(2));
    for (case, bytes) in [
        ("valid", &v2),
        ("a bin rolled back", &rolled_back),
        ("signed by another key", &other_key),
    ] {
        // A timestamp listing snapshot v2 with the length and hashes of `bytes`, and the
        // cached snapshot v1 loaded as intermediate metadata for the rollback checks.
        let meta = MetaFile::from_data(2, bytes, &["sha256"]).unwrap();
        let timestamp = sign(timestamp(2, meta, future()), &[&repo.keys.timestamp]);
        let state = || {
            let mut trusted = repo.session();
            trusted.update_timestamp(&timestamp).unwrap();
            let intermediate = trusted.update_snapshot(&trusted_v1, true);
            assert!(matches!(
                intermediate,
                Err(TrustError::VersionMismatch { .. })
            ));
            trusted
        };
        let expected = state()
            .update_snapshot(bytes, false)
            .map(|m| m.signed().clone());
        let mut trusted = state();
        let delivery = delivered(trusted.snapshot_intake().unwrap(), bytes, 4096);
        let found = trusted
            .update_snapshot(&delivery, false)
            .map(|m| m.signed().clone());
        assert_eq!(found, expected, "{case}");
        assert_eq!(found.is_ok(), case == "valid", "{case}");
    }
}
