//! The trusted metadata of one update: a sans-I/O state machine for spec sections 5.2-5.6.
//!
//! [`TrustedMetadata`] holds the metadata the client currently trusts (root, timestamp,
//! snapshot, top-level targets and delegated targets roles) and decides whether new metadata
//! may join it. It takes bytes and a reference time and returns verified metadata, or a
//! [`TrustError`] naming the check of the specification that failed. It does **no I/O**: it
//! reads no clock, fetches nothing and writes nothing. The caller (the updater) fetches the
//! bytes with a length cap, reads the clock once at the start of the update (spec 5.1) and
//! persists the bytes this type accepted, exactly as received.
//!
//! This mirrors python-tuf's `TrustedMetadataSet` (`tuf/ngclient/_internal/trusted_metadata_set.py`).
//!
//! # Loading order
//!
//! Metadata is loaded in the order of the specification:
//!
//! ```text
//! root (5.2) -> newer roots (5.3) -> timestamp (5.4) -> snapshot (5.5)
//!      -> targets (5.6) -> delegated targets (5.6.7.2)
//! ```
//!
//! - Metadata is loadable only once the metadata before it is loaded **and final** (see
//!   below): a snapshot needs a non-expired timestamp, targets need a snapshot that is not
//!   expired and has the version the timestamp lists, and the final root is checked for
//!   expiry (5.3.10) when the first timestamp is loaded.
//! - Metadata is not loadable once metadata after it has been loaded: no new root after a
//!   timestamp, no timestamp after a snapshot, no snapshot after targets. Such a call is a bug
//!   of the caller and returns [`TrustError::OutOfOrder`] (python-tuf raises `RuntimeError`).
//!
//! # Intermediate metadata
//!
//! Some metadata is stored even though a last check then fails; it is *intermediate*:
//!
//! - a root may be expired while newer roots are loaded (5.3.6); only the final root must not
//!   be (5.3.10, checked by [`TrustedMetadata::update_timestamp`]);
//! - a timestamp that passed the signature and rollback checks is stored even when it is
//!   expired (5.4.4): the call returns [`TrustError::Expired`], but the stored timestamp still
//!   protects against the rollback of the next one (a newer timestamp must have a version at
//!   least as high). It cannot be used to load a snapshot;
//! - a snapshot that passed the signature and rollback checks is stored even when it is
//!   expired (5.5.6) or its version is not the one the timestamp lists (5.5.4): the call
//!   returns the error, but the stored snapshot protects the next one against the removal or
//!   rollback of its entries (5.5.5). It cannot be used to load targets.
//!
//! This lets the updater load the cached timestamp and snapshot first (for rollback
//! protection), then the remote ones.
//!
//! # Fast-forward attack recovery (5.3.11)
//!
//! This type never holds a timestamp or snapshot while roots are updated, so 5.3.11 ("delete
//! the trusted timestamp and snapshot if their keys were rotated") has nothing to delete here.
//! The caller implements it: after the root update, the cached timestamp and snapshot are
//! loaded like any other bytes, and if the new root rotated the timestamp (or snapshot) keys,
//! the cached file, signed by removed keys, fails [`TrustedMetadata::update_timestamp`]
//! (or [`TrustedMetadata::update_snapshot`]) with [`TrustError::Metadata`] (threshold not met)
//! and is simply not loaded. The fresh remote file, signed by the new keys, is then the first
//! one loaded, so its version is not compared with the fast-forwarded one. The updater also
//! deletes the cached files from disk.
//!
//! # Delegated roles
//!
//! Targets roles are stored by role name. A role can be delegated by more than one role; the
//! metadata stored under a name was verified against **the delegator it was loaded through**
//! ([`TrustedMetadata::delegated_by`] tells whether that is a given delegator), and
//! [`TrustedMetadata::update_delegated_targets`] always verifies again against the delegator
//! it is given. A caller that reaches an already loaded role through another delegator must
//! not use [`TrustedMetadata::delegated`] blindly: it must load the role again through that
//! delegator (or use [`TrustedMetadata::delegated_by`]). When a targets role is loaded again,
//! the roles that were verified through it are forgotten (they must be verified again).
//!
//! # Receiving large roles
//!
//! A caller that downloads the snapshot or a targets role can have it checked while it
//! arrives: [`TrustedMetadata::snapshot_intake`] and [`TrustedMetadata::targets_intake`] give
//! an [`Intake`] holding the listing and keys the role will be verified against; the caller
//! feeds it the bytes (it is a [`std::io::Write`]) and passes the sealed [`Delivery`] to
//! `update_snapshot` or `update_delegated_targets` as it would any bytes. The update checks
//! everything as usual and uses what the intake's thread computed only for the same listing
//! and keys, so an intake begun before the trusted state changed is merely slower, never
//! wrong. No I/O is involved here either: the caller still does the fetching.
//!
//! # Example
//!
//! See [`TrustedMetadata`].

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;
/// The bytes `update_snapshot`, `update_targets` and `update_delegated_targets` take: borrowed,
/// shared so that the trusted role keeps them and indexes its large map in them, or
/// delivered by an intake ([`TrustedMetadata::snapshot_intake`],
/// [`TrustedMetadata::targets_intake`]) that checked them while they arrived (see
/// [`tuf_metadata::Received`]).
pub use tuf_metadata::Received;
/// What [`TrustedMetadata::snapshot_intake`] and [`TrustedMetadata::targets_intake`] give: a
/// role's bytes collected as they are downloaded, checked while they arrive.
pub use tuf_metadata::intake::{Delivery, Intake};
use tuf_metadata::{
    Delegator, Error, Expires, MetaFile, Metadata, RoleKeys, Root, Signed, Snapshot, Targets,
    Timestamp,
};

/// The delegator name of the top-level targets role.
const ROOT: &str = "root";
/// The top-level targets role.
const TARGETS: &str = "targets";

/// Which check of the specification refused the metadata.
///
/// Every variant names the role concerned; the doc of each says which spec steps produce it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TrustError {
    /// The bytes did not parse or validate (including a wrong `_type`), or were not signed by
    /// a threshold of the keys trusted for the role (5.2, 5.3.4, 5.4.2, 5.5.3, 5.6.3). The
    /// source keeps the exact [`tuf_metadata::Error`] (for example
    /// [`Error::ThresholdNotMet`] with the keys that did and did not sign).
    #[error("{role} metadata refused (invalid, or not signed by a threshold of trusted keys)")]
    Metadata {
        /// The role whose metadata was refused.
        role: String,
        /// What was wrong with it.
        #[source]
        source: Error,
    },
    /// 5.3.5: the new root's version is not the trusted version + 1.
    #[error("root version {found} refused: expected version {expected}")]
    RootVersion {
        /// The trusted version + 1.
        expected: u64,
        /// The version of the new root.
        found: u64,
    },
    /// The metadata is expired at the reference time: a possible freeze attack (final root
    /// 5.3.10, timestamp 5.4.4, snapshot 5.5.6, targets 5.6.5 and delegated targets).
    #[error("{role} metadata expired at {expires}")]
    Expired {
        /// The expired role.
        role: String,
        /// Its expiry.
        expires: Expires,
    },
    /// A version went backwards: a possible rollback attack. `role` is `timestamp` for the
    /// timestamp version (5.4.3.1), `snapshot` for the snapshot version listed by the
    /// timestamp (5.4.3.2), and the role name of a snapshot entry (its file name without
    /// `.json`) for the entries of snapshot (5.5.5).
    #[error("{role} version went back from {trusted} to {new}")]
    Rollback {
        /// The role whose version went back.
        role: String,
        /// The trusted version.
        trusted: u64,
        /// The new, lower version.
        new: u64,
    },
    /// The new timestamp has the version of the trusted one (5.4.3.1). Not an attack: the new
    /// one is discarded, the trusted one is kept, and the update may go on with it.
    #[error("{role} version {version} is the version already trusted")]
    EqualVersion {
        /// The role (`timestamp`).
        role: String,
        /// The version of both.
        version: u64,
    },
    /// A file listed by the trusted snapshot is missing from the new one (5.5.5).
    #[error("the new snapshot no longer lists `{file}`")]
    SnapshotEntryRemoved {
        /// The file name, as listed (`targets.json`, `<role>.json`).
        file: String,
    },
    /// The bytes do not have the length or hashes their parent lists for them: snapshot
    /// against the timestamp (5.5.2), targets roles against the snapshot (5.6.2).
    #[error("{role} metadata does not match the length or hashes listed for it")]
    LengthOrHash {
        /// The role whose bytes did not match.
        role: String,
        /// [`Error::LengthMismatch`], [`Error::HashMismatch`] or [`Error::UnsupportedHash`].
        #[source]
        source: Error,
    },
    /// The version is not the one the parent lists: snapshot against the timestamp (5.5.4,
    /// checked last, see the module doc), targets roles against the snapshot (5.6.4).
    #[error("{role} version {found} does not match version {expected} listed for it")]
    VersionMismatch {
        /// The role.
        role: String,
        /// The listed version.
        expected: u64,
        /// The version of the metadata.
        found: u64,
    },
    /// The trusted snapshot does not list the role, so it cannot be loaded (5.6.1, 5.6.2).
    #[error("the trusted snapshot does not list `{role}`")]
    NotInSnapshot {
        /// The role.
        role: String,
    },
    /// The delegator is not a trusted role, or does not delegate to the role (5.6.3,
    /// 5.6.7.2). `root` delegates only to `targets`, and only `root` delegates to `targets`.
    #[error("`{delegator}` is not a trusted role that delegates to `{role}`")]
    UnknownDelegator {
        /// The named delegator.
        delegator: String,
        /// The role to load.
        role: String,
    },
    /// A step was called out of order (see the module doc): a bug of the caller, not of the
    /// repository.
    #[error("{step} called out of order: {reason}")]
    OutOfOrder {
        /// The method called.
        step: &'static str,
        /// Why it may not be called now.
        reason: &'static str,
    },
}

/// A trusted targets role and the delegator it was verified against.
#[derive(Debug, Clone)]
struct TrustedTargets {
    metadata: Metadata<Targets>,
    delegator: String,
}

/// The metadata trusted during one update, and the checks new metadata must pass to join it
/// (spec sections 5.2-5.6). See the [module documentation](self) for the loading order,
/// intermediate metadata and fast-forward recovery.
///
/// ```
/// use tuf_client::trusted::{TrustError, TrustedMetadata};
/// use tuf_crypto::{PrivateKey, Scheme, Signer};
/// use tuf_metadata::{
///     Expires, MetaFile, Metadata, Root, Signed, Snapshot, Targets, Timestamp,
///     TOP_LEVEL_ROLE_NAMES,
/// };
///
/// // A tiny repository: one ed25519 key for every top-level role.
/// let expires: Expires = "2030-01-01T00:00:00Z".parse()?;
/// let key = PrivateKey::generate(Scheme::Ed25519)?;
/// let mut root = Root::new(expires);
/// for role in TOP_LEVEL_ROLE_NAMES {
///     root.add_key(role, key.public_key().clone())?;
/// }
/// let mut root = Metadata::new(root);
/// root.sign(&key)?;
/// let mut targets = Metadata::new(Targets::new(expires));
/// targets.sign(&key)?;
/// let mut snapshot = Metadata::new(Snapshot::new(expires)); // lists targets.json v1
/// snapshot.sign(&key)?;
/// let snapshot_bytes = snapshot.to_bytes();
/// let mut timestamp = Timestamp::new(expires);
/// timestamp.snapshot_meta = MetaFile::from_data(1, &snapshot_bytes, &["sha256"])?;
/// let mut timestamp = Metadata::new(timestamp);
/// timestamp.sign(&key)?;
///
/// // The client: the time is read once per update, by the caller.
/// let now = 1_700_000_000; // 2023-11-14
/// let mut trusted = TrustedMetadata::new(&root.to_bytes(), now)?;
/// // No newer root: the repository answers 404 for 2.root.json.
/// trusted.update_timestamp(&timestamp.to_bytes())?;
/// trusted.update_snapshot(&snapshot_bytes, false)?;
/// let loaded = trusted.update_targets(&targets.to_bytes())?;
/// assert_eq!(loaded.signed().version(), 1);
///
/// // The same timestamp again is not newer: rejected, the trusted one is kept.
/// let mut again = TrustedMetadata::new(&root.to_bytes(), now)?;
/// again.update_timestamp(&timestamp.to_bytes())?;
/// assert!(matches!(
///     again.update_timestamp(&timestamp.to_bytes()),
///     Err(TrustError::EqualVersion { version: 1, .. })
/// ));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct TrustedMetadata {
    reference_time: i64,
    root: Metadata<Root>,
    timestamp: Option<Metadata<Timestamp>>,
    snapshot: Option<Metadata<Snapshot>>,
    /// Top-level targets (delegated by root) and delegated targets roles, by role name.
    targets: BTreeMap<String, TrustedTargets>,
}

impl TrustedMetadata {
    /// Loads the trusted root (spec 5.2): `root_bytes` must be root metadata signed by a
    /// threshold of its own root keys. Its expiry is **not** checked here (it is checked for
    /// the final root, 5.3.10, by [`TrustedMetadata::update_timestamp`]).
    ///
    /// `reference_time` is the fixed update start time of 5.1, in Unix seconds, read once per
    /// update by the caller; every expiry check compares with it.
    ///
    /// # Errors
    /// [`TrustError::Metadata`] if the bytes are not valid root metadata or are not signed by
    /// a threshold of their own root keys.
    pub fn new(root_bytes: &[u8], reference_time: i64) -> Result<Self, TrustError> {
        let root = parse::<Root>(ROOT, root_bytes)?;
        root.verify_delegate(ROOT, &root)
            .map_err(|source| metadata_error(ROOT, source))?;
        Ok(TrustedMetadata {
            reference_time,
            root,
            timestamp: None,
            snapshot: None,
            targets: BTreeMap::new(),
        })
    }

    /// The fixed update start time (spec 5.1), in Unix seconds.
    pub fn reference_time(&self) -> i64 {
        self.reference_time
    }

    /// The trusted root (possibly an intermediate, expired one until a timestamp is loaded).
    pub fn root(&self) -> &Metadata<Root> {
        &self.root
    }

    /// The trusted timestamp, if one is loaded. It may be intermediate (expired): see the
    /// module doc.
    pub fn timestamp(&self) -> Option<&Metadata<Timestamp>> {
        self.timestamp.as_ref()
    }

    /// The trusted snapshot, if one is loaded. It may be intermediate (expired, or not the
    /// version the timestamp lists): see the module doc.
    pub fn snapshot(&self) -> Option<&Metadata<Snapshot>> {
        self.snapshot.as_ref()
    }

    /// The trusted top-level targets, if loaded.
    pub fn targets(&self) -> Option<&Metadata<Targets>> {
        self.delegated(TARGETS)
    }

    /// The trusted targets role `role` (`"targets"` included), if loaded, whichever
    /// delegator it was verified against. A caller that reaches `role` through a delegator
    /// must check that it was verified against that one ([`TrustedMetadata::delegated_by`]),
    /// or load it again through it.
    pub fn delegated(&self, role: &str) -> Option<&Metadata<Targets>> {
        self.targets.get(role).map(|t| &t.metadata)
    }

    /// The trusted targets role `role` if it was verified against `delegator` (`"root"` for
    /// the top-level targets). `None` if it is not loaded, or was loaded through another
    /// delegator.
    pub fn delegated_by(&self, role: &str, delegator: &str) -> Option<&Metadata<Targets>> {
        self.targets
            .get(role)
            .filter(|t| t.delegator == delegator)
            .map(|t| &t.metadata)
    }

    /// Verifies `bytes` as the next root and trusts it (spec 5.3.4-5.3.7). The new root must
    /// be root metadata (`_type` root), signed by a threshold of the root keys of the trusted
    /// root **and** by a threshold of its own root keys (5.3.4), with version exactly the
    /// trusted version + 1 (5.3.5). Its expiry does not matter yet (5.3.6). Persisting it is
    /// the caller's job (5.3.8).
    ///
    /// # Errors
    /// [`TrustError::OutOfOrder`] once a timestamp is loaded; [`TrustError::Metadata`] for
    /// bytes that do not parse or are not signed as required; [`TrustError::RootVersion`].
    pub fn update_root(&mut self, bytes: &[u8]) -> Result<&Metadata<Root>, TrustError> {
        if self.timestamp.is_some() {
            return Err(TrustError::OutOfOrder {
                step: "update_root",
                reason: "a timestamp is already loaded",
            });
        }
        let new_root = parse::<Root>(ROOT, bytes)?;
        // 5.3.4 (1): signed by a threshold of the trusted root's root keys.
        self.root
            .verify_delegate(ROOT, &new_root)
            .map_err(|source| metadata_error(ROOT, source))?;
        // 5.3.5: version N+1 exactly (an equal or lower version is refused too; the caller
        // keeps the trusted root).
        let expected = self.root.signed().version().saturating_add(1);
        let found = new_root.signed().version();
        if found != expected {
            return Err(TrustError::RootVersion { expected, found });
        }
        // 5.3.4 (2): signed by a threshold of its own root keys.
        new_root
            .verify_delegate(ROOT, &new_root)
            .map_err(|source| metadata_error(ROOT, source))?;
        // 5.3.6: expiry not checked for an intermediate root. 5.3.7: trust it.
        self.root = new_root;
        Ok(&self.root)
    }

    /// Verifies `bytes` as the new timestamp and trusts it (spec 5.3.10, 5.4.2-5.4.4).
    ///
    /// First the final root must not be expired (5.3.10). Then the timestamp must be signed by
    /// a threshold of the root's timestamp keys (5.4.2); against the trusted timestamp, if
    /// any, its version must not be lower (5.4.3.1, [`TrustError::Rollback`]) nor equal
    /// ([`TrustError::EqualVersion`]: the trusted one is kept), and the snapshot version it
    /// lists must not be lower (5.4.3.2). The timestamp is then stored, and if it is expired
    /// (5.4.4) [`TrustError::Expired`] is returned: it stays as intermediate metadata, used
    /// for the rollback checks of the next timestamp but not to load a snapshot.
    ///
    /// # Errors
    /// [`TrustError::OutOfOrder`] once a snapshot is loaded; [`TrustError::Expired`] with role
    /// `root` (final root) or `timestamp`; [`TrustError::Metadata`]; [`TrustError::Rollback`]
    /// with role `timestamp` or `snapshot`; [`TrustError::EqualVersion`].
    pub fn update_timestamp(&mut self, bytes: &[u8]) -> Result<&Metadata<Timestamp>, TrustError> {
        const ROLE: &str = Timestamp::TYPE;
        if self.snapshot.is_some() {
            return Err(TrustError::OutOfOrder {
                step: "update_timestamp",
                reason: "a snapshot is already loaded",
            });
        }
        // 5.3.10: the final root must not be expired. (5.3.11 is the caller's: see the module
        // doc.)
        check_not_expired(ROOT, &self.root, self.reference_time)?;
        let new_timestamp = parse::<Timestamp>(ROLE, bytes)?;
        // 5.4.2: signed by a threshold of the root's timestamp keys.
        self.root
            .verify_delegate(ROLE, &new_timestamp)
            .map_err(|source| metadata_error(ROLE, source))?;
        if let Some(trusted) = &self.timestamp {
            // 5.4.3.1: the timestamp version must not go back; an equal one is discarded.
            let (trusted_version, new_version) =
                (trusted.signed().version(), new_timestamp.signed().version());
            if new_version < trusted_version {
                return Err(TrustError::Rollback {
                    role: ROLE.to_owned(),
                    trusted: trusted_version,
                    new: new_version,
                });
            }
            if new_version == trusted_version {
                return Err(TrustError::EqualVersion {
                    role: ROLE.to_owned(),
                    version: new_version,
                });
            }
            // 5.4.3.2: the snapshot version it lists must not go back.
            let trusted_snapshot = trusted.signed().snapshot_meta.version;
            let new_snapshot = new_timestamp.signed().snapshot_meta.version;
            if new_snapshot < trusted_snapshot {
                return Err(TrustError::Rollback {
                    role: Snapshot::TYPE.to_owned(),
                    trusted: trusted_snapshot,
                    new: new_snapshot,
                });
            }
        }
        // Stored before the expiry check: an expired timestamp is intermediate metadata, kept
        // for the rollback checks of the next one.
        let reference_time = self.reference_time;
        let stored = self.timestamp.insert(new_timestamp);
        // 5.4.4: a final timestamp is not expired.
        check_not_expired(ROLE, stored, reference_time)?;
        Ok(stored)
    }

    /// Verifies `bytes` as the new snapshot and trusts it (spec 5.5.2-5.5.6).
    ///
    /// The trusted timestamp must be final (not expired, 5.4.4). Unless `trusted` is set, the
    /// bytes must have the length and hashes the timestamp lists for the snapshot, if any
    /// (5.5.2). The snapshot must be signed by a threshold of the root's snapshot keys
    /// (5.5.3). Against the trusted snapshot, if any, no file it lists may be missing, and no
    /// version may go back (5.5.5). The snapshot is then stored, and the final checks run: not
    /// expired (5.5.6), and the version the timestamp lists (5.5.4). If they fail the error is
    /// returned and the snapshot stays as intermediate metadata: used for the rollback checks
    /// of the next snapshot, but not to load targets.
    ///
    /// `trusted = true` is for bytes this type verified before (the local cache): the length
    /// and hashes of 5.5.2 are not checked, so that a cached snapshot that is no longer the
    /// current one can still be loaded as intermediate metadata for rollback protection.
    ///
    /// # Errors
    /// [`TrustError::OutOfOrder`] without a timestamp or once targets are loaded;
    /// [`TrustError::Expired`] with role `timestamp` or `snapshot`;
    /// [`TrustError::LengthOrHash`]; [`TrustError::Metadata`];
    /// [`TrustError::SnapshotEntryRemoved`]; [`TrustError::Rollback`] with the role of an
    /// entry; [`TrustError::VersionMismatch`] with role `snapshot`.
    pub fn update_snapshot<'b>(
        &mut self,
        bytes: impl Into<Received<'b>>,
        trusted: bool,
    ) -> Result<&Metadata<Snapshot>, TrustError> {
        const ROLE: &str = Snapshot::TYPE;
        let received = bytes.into();
        let (keys, snapshot_meta) = self.snapshot_expectations()?;
        // 5.5.2: length and hashes listed by the timestamp, if any; checked before anything
        // parsed is used (the parse runs alongside on large files).
        let expected_version = snapshot_meta.version;
        let listing = (!trusted).then_some(snapshot_meta);
        // 5.5.3: signed by a threshold of the root's snapshot keys (checked in the same pass).
        let new_snapshot = check_parse_verify::<Snapshot>(ROLE, received, keys, listing)?;
        // 5.5.5: no entry of the trusted snapshot removed, no version gone back.
        if let Some(trusted_snapshot) = &self.snapshot {
            // (Both maps are built here, whatever their forms: every entry is compared.)
            for (file, trusted_meta) in &trusted_snapshot.signed().meta {
                let Some(new_meta) = new_snapshot.signed().meta.get(file) else {
                    return Err(TrustError::SnapshotEntryRemoved { file: file.clone() });
                };
                if new_meta.version < trusted_meta.version {
                    return Err(TrustError::Rollback {
                        role: file.strip_suffix(".json").unwrap_or(file).to_owned(),
                        trusted: trusted_meta.version,
                        new: new_meta.version,
                    });
                }
            }
        }
        // Stored before the final checks: intermediate metadata for the next rollback checks.
        let reference_time = self.reference_time;
        let stored = self.snapshot.insert(new_snapshot);
        check_final_snapshot(stored, expected_version, reference_time)?;
        Ok(stored)
    }

    /// An [`Intake`] for the bytes of the snapshot as they are downloaded: it checks them
    /// against the timestamp's listing (5.5.2) and the root's snapshot keys (5.5.3) while they
    /// arrive. Pass its [`Delivery`] to
    /// [`TrustedMetadata::update_snapshot`], which verifies it as it would any bytes (those
    /// checks are used only if the trusted state still gives the same listing and keys).
    ///
    /// # Errors
    /// Those of [`TrustedMetadata::update_snapshot`] that come before the bytes are read.
    pub fn snapshot_intake(&self) -> Result<Intake, TrustError> {
        let (keys, listing) = self.snapshot_expectations()?;
        Ok(Intake::new(keys, Some(listing)))
    }

    /// What a new snapshot is verified against: the root's snapshot keys, and the final
    /// timestamp's listing for it (5.4.4, 5.5.2, 5.5.3).
    fn snapshot_expectations(&self) -> Result<(RoleKeys<'_>, &MetaFile), TrustError> {
        let Some(timestamp) = &self.timestamp else {
            return Err(TrustError::OutOfOrder {
                step: "update_snapshot",
                reason: "no timestamp is loaded",
            });
        };
        if !self.targets.is_empty() {
            return Err(TrustError::OutOfOrder {
                step: "update_snapshot",
                reason: "targets are already loaded",
            });
        }
        // A snapshot is loaded only with a final timestamp (5.4.4).
        check_not_expired(Timestamp::TYPE, timestamp, self.reference_time)?;
        let keys = delegated_keys(self.root.signed(), Root::TYPE, Snapshot::TYPE)?;
        Ok((keys, &timestamp.signed().snapshot_meta))
    }

    /// Verifies `bytes` as the top-level targets and trusts it (spec 5.6.2-5.6.5):
    /// [`TrustedMetadata::update_delegated_targets`] with role `targets` and delegator `root`.
    ///
    /// # Errors
    /// As [`TrustedMetadata::update_delegated_targets`].
    pub fn update_targets<'b>(
        &mut self,
        bytes: impl Into<Received<'b>>,
    ) -> Result<&Metadata<Targets>, TrustError> {
        self.update_delegated_targets(bytes, TARGETS, ROOT)
    }

    /// Verifies `bytes` as the metadata of targets role `role`, delegated by `delegator`, and
    /// trusts it (spec 5.6.2-5.6.5, and 5.6.7.2 for delegated roles).
    ///
    /// The trusted snapshot must be final: not expired (5.5.6) and of the version the
    /// timestamp lists (5.5.4). `delegator` must be `root` for `role` `targets`, or else a
    /// trusted targets role that delegates to `role`. The snapshot must list `role`; the bytes
    /// must have the length and hashes it lists, if any (5.6.2), be targets metadata signed
    /// by a threshold of the keys the delegator trusts for `role` (5.6.3), have the version the
    /// snapshot lists (5.6.4) and not be expired (5.6.5).
    ///
    /// The role is always verified against the delegator given, even when the role is
    /// already loaded (possibly through another delegator): on success it replaces the stored
    /// one, and the roles verified through the replaced one are forgotten. On failure the
    /// stored one, if any, is kept.
    ///
    /// # Errors
    /// [`TrustError::OutOfOrder`] without a snapshot; [`TrustError::Expired`] (role
    /// `snapshot`, or `role`) or [`TrustError::VersionMismatch`] (role `snapshot`, or `role`);
    /// [`TrustError::UnknownDelegator`]; [`TrustError::NotInSnapshot`];
    /// [`TrustError::LengthOrHash`]; [`TrustError::Metadata`].
    pub fn update_delegated_targets<'b>(
        &mut self,
        bytes: impl Into<Received<'b>>,
        role: &str,
        delegator: &str,
    ) -> Result<&Metadata<Targets>, TrustError> {
        let received = bytes.into();
        let (keys, meta) = self.targets_expectations(role, delegator)?;
        let new_targets = check_parse_verify::<Targets>(role, received, keys, Some(&meta))?;
        // 5.6.4: the version the snapshot lists.
        let (expected, found) = (meta.version, new_targets.signed().version());
        drop(meta);
        if found != expected {
            return Err(TrustError::VersionMismatch {
                role: role.to_owned(),
                expected,
                found,
            });
        }
        // 5.6.5: not expired.
        check_not_expired(role, &new_targets, self.reference_time)?;
        self.forget_delegates_of(role);
        let trusted = TrustedTargets {
            metadata: new_targets,
            delegator: delegator.to_owned(),
        };
        let stored = match self.targets.entry(role.to_owned()) {
            Entry::Occupied(mut entry) => {
                entry.insert(trusted);
                entry.into_mut()
            }
            Entry::Vacant(entry) => entry.insert(trusted),
        };
        Ok(&stored.metadata)
    }

    /// An [`Intake`] for the bytes of targets role `role` (delegated by `delegator`) as they
    /// are downloaded: it checks them against the snapshot's listing (5.6.2) and the
    /// delegator's keys for the role (5.6.3) while they arrive. Pass its
    /// [`Delivery`] to
    /// [`TrustedMetadata::update_delegated_targets`] (or `update_targets`), which verifies it
    /// as it would any bytes (those checks are used only if the trusted state still gives the
    /// same listing and keys).
    ///
    /// # Errors
    /// Those of [`TrustedMetadata::update_delegated_targets`] that come before the bytes are
    /// read.
    pub fn targets_intake(&self, role: &str, delegator: &str) -> Result<Intake, TrustError> {
        let (keys, listing) = self.targets_expectations(role, delegator)?;
        Ok(Intake::new(keys, Some(&listing)))
    }

    /// What targets role `role`, delegated by `delegator`, is verified against: the
    /// delegator's keys for it, and the final snapshot's listing (5.5.4, 5.5.6, 5.6.1-5.6.3,
    /// 5.6.7.2).
    fn targets_expectations(
        &self,
        role: &str,
        delegator: &str,
    ) -> Result<(RoleKeys<'_>, Cow<'_, MetaFile>), TrustError> {
        let (Some(snapshot), Some(timestamp)) = (&self.snapshot, &self.timestamp) else {
            return Err(TrustError::OutOfOrder {
                step: "update_delegated_targets",
                reason: "no snapshot is loaded",
            });
        };
        // Targets are loaded only with a final snapshot.
        check_final_snapshot(
            snapshot,
            timestamp.signed().snapshot_meta.version,
            self.reference_time,
        )?;
        let unknown_delegator = || TrustError::UnknownDelegator {
            delegator: delegator.to_owned(),
            role: role.to_owned(),
        };
        // The delegator: root for the top-level targets only, else a trusted targets role
        // that delegates to `role` (its keys are looked up here; the caller checks the
        // signatures).
        let delegating: Option<&Metadata<Targets>> = if role == TARGETS || delegator == ROOT {
            if role != TARGETS || delegator != ROOT {
                return Err(unknown_delegator());
            }
            None
        } else {
            match self.targets.get(delegator) {
                Some(trusted) if trusted.metadata.signed().role_keys(role).is_some() => {
                    Some(&trusted.metadata)
                }
                _ => return Err(unknown_delegator()),
            }
        };
        // 5.6.1/5.6.2: the snapshot lists the role, with its version and maybe length/hashes.
        let meta = snapshot
            .signed()
            .role_meta(role)
            .ok_or_else(|| TrustError::NotInSnapshot {
                role: role.to_owned(),
            })?;
        // 5.6.3 / 5.6.7.2: signed by a threshold of the delegator's keys for the role
        // (checked in the same pass as the parse).
        let keys = match delegating {
            None => self.root.signed().role_keys(role),
            Some(delegating) => delegating.signed().role_keys(role),
        }
        .ok_or_else(unknown_delegator)?;
        Ok((keys, meta))
    }

    /// Checks that the trusted targets role `role`, loaded through another delegator, is also
    /// signed by a threshold of the keys `delegator` trusts for it (spec 5.6.7.2: each
    /// delegation on the search path is verified with its own keys; a role reached through a
    /// second delegator in a diamond must satisfy that one too). The trusted state does not
    /// change: `role` stays recorded with the delegator it was loaded through.
    ///
    /// python-tuf reuses a role already loaded through any delegator without checking it
    /// again; this is stricter on purpose (the client issue asks for it).
    ///
    /// # Errors
    /// [`TrustError::UnknownDelegator`] if `delegator` is not a trusted targets role that
    /// delegates to `role`, or `role` is not loaded; [`TrustError::Metadata`] if the
    /// signatures do not reach the delegator's threshold.
    pub fn verify_delegated_via(
        &self,
        role: &str,
        delegator: &str,
    ) -> Result<&Metadata<Targets>, TrustError> {
        let unknown_delegator = || TrustError::UnknownDelegator {
            delegator: delegator.to_owned(),
            role: role.to_owned(),
        };
        let delegate = self.delegated(role).ok_or_else(unknown_delegator)?;
        if role == TARGETS || delegator == ROOT {
            // Only root delegates the top-level targets, and it delegates nothing else.
            return if role == TARGETS && delegator == ROOT {
                self.root
                    .verify_delegate(role, delegate)
                    .map(|_| delegate)
                    .map_err(|source| metadata_error(role, source))
            } else {
                Err(unknown_delegator())
            };
        }
        let delegating = match self.targets.get(delegator) {
            Some(trusted) if trusted.metadata.signed().role_keys(role).is_some() => {
                &trusted.metadata
            }
            _ => return Err(unknown_delegator()),
        };
        delegating
            .verify_delegate(role, delegate)
            .map(|_| delegate)
            .map_err(|source| match source {
                Error::UnknownDelegate { .. } => unknown_delegator(),
                source => metadata_error(role, source),
            })
    }

    /// Forgets every role verified, directly or not, through `role` (except `role` itself):
    /// they were verified against metadata about to be replaced.
    fn forget_delegates_of(&mut self, role: &str) {
        let mut replaced = vec![role.to_owned()];
        while let Some(delegator) = replaced.pop() {
            let stale: Vec<String> = self
                .targets
                .iter()
                .filter(|(name, t)| t.delegator == delegator && name.as_str() != role)
                .map(|(name, _)| name.clone())
                .collect();
            for name in stale {
                self.targets.remove(&name);
                replaced.push(name);
            }
        }
    }
}

/// 5.5.2 / 5.6.2, then parsing with the threshold signature check of 5.5.3 / 5.6.3 in the same
/// pass ([`Metadata::from_received_verified`]: the canonical form is checked as it is
/// produced, never held). The length and hashes of `listing` (if any) are reported first when
/// they do not match, then parse errors, then a missed threshold, as if each ran alone in that
/// order. On large files the checks run side by side ([`tuf_metadata::parallel`]); a delivery
/// ([`Intake`]) had them run while it arrived, so only the parse is left.
fn check_parse_verify<T: Signed>(
    role: &str,
    received: Received<'_>,
    keys: RoleKeys<'_>,
    listing: Option<&MetaFile>,
) -> Result<Metadata<T>, TrustError> {
    let check = || match listing {
        None => Ok(()),
        Some(listing) => received
            .delivery()
            .and_then(|delivery| delivery.listing_checked(listing))
            .unwrap_or_else(|| listing.verify_length_and_hashes(received.bytes())),
    };
    let parse = || Metadata::<T>::from_received_verified(received, keys);
    let (checked, parsed) = match received.delivery() {
        // Parsed while the delivery's thread finishes, then its checks are collected.
        Some(delivery) if delivery.threaded() => {
            let parsed = parse();
            (check(), parsed)
        }
        _ => tuf_metadata::parallel::join(received.bytes().len(), check, parse),
    };
    checked.map_err(|source| TrustError::LengthOrHash {
        role: role.to_owned(),
        source,
    })?;
    let (metadata, result) = parsed.map_err(|source| metadata_error(role, source))?;
    if !result.verified() {
        return Err(metadata_error(
            role,
            Error::ThresholdNotMet {
                role: role.to_owned(),
                result: Box::new(result),
            },
        ));
    }
    Ok(metadata)
}

/// The keys `delegator` (named `delegator_name`) trusts for `role`.
fn delegated_keys<'d>(
    delegator: &'d impl Delegator,
    delegator_name: &str,
    role: &str,
) -> Result<RoleKeys<'d>, TrustError> {
    delegator.role_keys(role).ok_or_else(|| {
        metadata_error(
            role,
            Error::UnknownDelegate {
                delegator: delegator_name.to_owned(),
                role: role.to_owned(),
            },
        )
    })
}

/// Parses `bytes` as metadata of `role` (its `_type` is checked by the parser).
fn parse<T: Signed>(role: &str, bytes: &[u8]) -> Result<Metadata<T>, TrustError> {
    Metadata::<T>::from_bytes(bytes).map_err(|source| metadata_error(role, source))
}

fn metadata_error(role: &str, source: Error) -> TrustError {
    TrustError::Metadata {
        role: role.to_owned(),
        source,
    }
}

/// Freeze attack checks (5.3.10, 5.4.4, 5.5.6, 5.6.5): expired once `expires <= now`.
fn check_not_expired<T: Signed>(
    role: &str,
    metadata: &Metadata<T>,
    reference_time: i64,
) -> Result<(), TrustError> {
    let expires = metadata.signed().expires();
    if expires.is_expired_at(reference_time) {
        return Err(TrustError::Expired {
            role: role.to_owned(),
            expires,
        });
    }
    Ok(())
}

/// The final snapshot checks, deferred so that a snapshot can be intermediate: not expired
/// (5.5.6), then the version the timestamp lists (5.5.4).
fn check_final_snapshot(
    snapshot: &Metadata<Snapshot>,
    expected_version: u64,
    reference_time: i64,
) -> Result<(), TrustError> {
    check_not_expired(Snapshot::TYPE, snapshot, reference_time)?;
    let found = snapshot.signed().version();
    if found != expected_version {
        return Err(TrustError::VersionMismatch {
            role: Snapshot::TYPE.to_owned(),
            expected: expected_version,
            found,
        });
    }
    Ok(())
}
