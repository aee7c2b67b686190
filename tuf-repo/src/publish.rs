//! Publishing: new signed versions of the changed roles, then snapshot and timestamp; adding
//! signatures by offline keys; refreshing the online roles.
//!
//! Only changed roles get a new version; unchanged roles keep their files byte for byte.
//! Files are written so that a client never sees metadata that refers to a file not yet
//! written: the versioned files of the roles first, then (after a sync) their unversioned
//! copies, then the snapshot that lists them, then the timestamp.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use tuf_crypto::{KeyId, PrivateKey, PublicKey, Signer};
use tuf_metadata::{Expires, MetaFile, Metadata, Root, Signed, Snapshot, Targets, Timestamp};

use crate::layout::{self, quote};
use crate::parallel::{self, CPU_WORKERS};
use crate::progress::{Progress, Unit};
use crate::repository::{RoleType, Tracked, delegated_keys, merge_keys, read_metadata, root_keys};
use crate::{Error, Repository, Storage};

/// Where files that replace a current copy are written before being renamed into place.
const PENDING_DIR: &str = "staged/pending";

/// One role written by a publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishedRole {
    /// The role.
    pub role: String,
    /// Its new version.
    pub version: u64,
    /// Its expiry.
    pub expires: Expires,
    /// The file clients fetch.
    pub file: String,
    /// Signatures made (keys found under `keys/`).
    pub signatures: usize,
    /// Signatures required.
    pub threshold: u64,
}

/// What a publish wrote, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PublishReport {
    /// The roles written.
    pub roles: Vec<PublishedRole>,
}

impl PublishReport {
    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }
}

/// What [`Repository::sign`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignReport {
    /// The role signed.
    pub role: String,
    /// Its version (unchanged).
    pub version: u64,
    /// Whether the role now has a threshold of valid signatures (for root: of the previous
    /// root's keys and of its own).
    pub verified: bool,
    /// Roles re-issued because the signed bytes changed (timestamp after snapshot).
    pub reissued: Vec<PublishedRole>,
}

/// The step that makes a written version the current copy.
#[derive(Debug)]
enum Pending {
    /// Link the versioned file to the unversioned name.
    Link { from: String, to: String },
    /// Rename a file written under `staged/pending/` to its name.
    Rename { from: String, to: String },
}

/// Files written but not yet made current: [`Commit::finish`] syncs, then links or renames
/// them into place, then syncs again.
#[derive(Debug, Default)]
struct Commit {
    steps: Vec<Pending>,
}

impl Commit {
    fn finish(self, storage: &dyn Storage) -> Result<(), Error> {
        storage.sync().map_err(Error::io("(sync)"))?;
        for step in self.steps {
            match step {
                Pending::Link { from, to } => storage.link(&from, &to).map_err(Error::io(&to))?,
                Pending::Rename { from, to } => {
                    storage.rename(&from, &to).map_err(Error::io(&to))?;
                }
            }
        }
        storage.sync().map_err(Error::io("(sync)"))
    }
}

/// Writes `bytes` as version `version` of `role`: the file clients fetch when it is not the
/// unversioned copy, and the step that updates the unversioned copy.
fn write_role(
    storage: &dyn Storage,
    role: &str,
    version: u64,
    bytes: &[u8],
    consistent_snapshot: bool,
) -> Result<Pending, Error> {
    let current = layout::current_metadata(role);
    let client = layout::client_metadata(role, version, consistent_snapshot);
    if client == current {
        let pending = format!("{PENDING_DIR}/{}.json", quote(role));
        storage
            .write(&pending, bytes)
            .map_err(Error::io(&pending))?;
        Ok(Pending::Rename {
            from: pending,
            to: current,
        })
    } else {
        storage.write(&client, bytes).map_err(Error::io(&client))?;
        Ok(Pending::Link {
            from: client,
            to: current,
        })
    }
}

/// Signs `metadata` with each signer.
fn sign_all<T: Signed>(
    metadata: &mut Metadata<T>,
    signers: &[Arc<PrivateKey>],
    role: &str,
) -> Result<(), Error> {
    for signer in signers {
        metadata
            .sign(signer.as_ref())
            .map_err(|source| Error::Signing {
                role: role.to_owned(),
                source,
            })?;
    }
    Ok(())
}

/// A targets role to sign and write.
struct Job {
    role: String,
    version: u64,
    expires: Expires,
    /// Taken by the worker that signs it (no second copy of a large role).
    content: Mutex<Option<Targets>>,
    signers: Vec<Arc<PrivateKey>>,
    threshold: u64,
}

impl<S: Storage> Repository<S> {
    /// The private keys available under `keys/` for `candidates`.
    fn signers(&self, candidates: &[(KeyId, PublicKey)]) -> Result<Vec<Arc<PrivateKey>>, Error> {
        let mut signers = Vec::new();
        for (keyid, public) in candidates {
            if let Some(key) = self.keys.signer(&self.storage, keyid, public)? {
                signers.push(key);
            }
        }
        Ok(signers)
    }

    /// The threshold of `role` in the current content of its delegator.
    fn current_threshold(&self, role: &str, delegators: &BTreeMap<String, Vec<String>>) -> u64 {
        if crate::expiry::is_top_level(role) {
            return self.root.current.roles.get(role).map_or(1, |r| r.threshold);
        }
        delegators
            .get(role)
            .into_iter()
            .flatten()
            .find_map(|d| {
                let delegations = self.targets.get(d)?.current.delegations.as_ref()?;
                Some(delegations.role_keys(role)?.threshold)
            })
            .unwrap_or(1)
    }

    /// Publishes every change: a new version of each changed role, signed with the keys
    /// found under `keys/` (fewer than the threshold is allowed: complete with
    /// [`Repository::sign`]); a new root version is signed by the keys of the previous root
    /// and of the new one. Then a new snapshot (if any targets role version changed) and a
    /// new timestamp. Unchanged roles are not rewritten.
    ///
    /// # Errors
    /// Signing and storage errors. A failure leaves the previous versions current.
    pub fn publish(&mut self, progress: &dyn Progress) -> Result<PublishReport, Error> {
        // Target files and keys written by earlier edits must be on disk first.
        self.storage.sync().map_err(Error::io("(sync)"))?;
        let consistent = self.consistent_snapshot();
        if self.published_root.is_some() && self.published_consistent_snapshot() != consistent {
            self.relayout(consistent)?;
        }
        let mut report = PublishReport::default();
        let mut commit = Commit::default();
        let storage: &dyn Storage = &self.storage;

        // Root, signed by the previous root's keys and its own.
        let mut new_root = None;
        if self.root.changed {
            let mut content = self.root.current.clone();
            let version = self.root.published.map_or(1, |v| v.saturating_add(1));
            let expires = self.next_expires("root")?;
            content.set_version(version);
            content.set_expires(expires);
            let mut candidates = root_keys(&content, "root");
            if let Some(previous) = &self.published_root {
                merge_keys(&mut candidates, root_keys(previous, "root"));
            }
            let signers = self.signers(&candidates)?;
            let threshold = content.roles.get("root").map_or(1, |r| r.threshold);
            let mut metadata = Metadata::new(content);
            sign_all(&mut metadata, &signers, "root")?;
            let bytes = metadata.to_bytes();
            commit
                .steps
                .push(write_role(storage, "root", version, &bytes, consistent)?);
            report.roles.push(PublishedRole {
                role: "root".to_owned(),
                version,
                expires,
                file: layout::client_metadata("root", version, consistent),
                signatures: signers.len(),
                threshold,
            });
            new_root = Some(metadata.into_signed());
        }

        // Changed targets roles, signed in parallel.
        let delegators = self.delegator_map();
        let mut jobs = Vec::new();
        for (name, tracked) in self.targets.iter().filter(|(_, t)| t.changed) {
            let mut content = tracked.current.clone();
            let version = tracked.published.map_or(1, |v| v.saturating_add(1));
            let expires = self.next_expires(name)?;
            content.set_version(version);
            content.set_expires(expires);
            jobs.push(Job {
                role: name.clone(),
                version,
                expires,
                content: Mutex::new(Some(content)),
                signers: self.signers(&self.current_trusted_keys(name, &delegators))?,
                threshold: self.current_threshold(name, &delegators),
            });
        }
        progress.start("signing", jobs.len() as u64, Unit::Items);
        let written = parallel::map(&jobs, CPU_WORKERS, |job| {
            let content = job
                .content
                .lock()
                .ok()
                .and_then(|mut slot| slot.take())
                .ok_or_else(|| Error::UnknownRole {
                    role: job.role.clone(),
                })?;
            let mut metadata = Metadata::new(content);
            sign_all(&mut metadata, &job.signers, &job.role)?;
            let bytes = metadata.to_bytes();
            let pending = write_role(storage, &job.role, job.version, &bytes, consistent)?;
            progress.advance(1);
            Ok((pending, metadata.into_signed()))
        });
        progress.finish();
        let mut signed = Vec::with_capacity(jobs.len());
        for (pending, content) in written? {
            commit.steps.push(pending);
            signed.push(content);
        }
        commit.finish(storage)?;

        if let Some(root) = new_root {
            self.root.published = Some(root.version);
            self.root.current = root.clone();
            self.root.changed = false;
            self.published_root = Some(root);
        }
        for (job, content) in jobs.into_iter().zip(signed) {
            report.roles.push(PublishedRole {
                file: layout::client_metadata(&job.role, job.version, consistent),
                role: job.role.clone(),
                version: job.version,
                expires: job.expires,
                signatures: job.signers.len(),
                threshold: job.threshold,
            });
            if let Some(tracked) = self.targets.get_mut(&job.role) {
                tracked.published = Some(job.version);
                tracked.current = content;
                tracked.changed = false;
            }
        }

        let snapshot_expires = self.next_expires("snapshot")?;
        let snapshot = self.issue_snapshot(self.snapshot.changed, snapshot_expires)?;
        let timestamp_expires = self.next_expires("timestamp")?;
        let force_timestamp = self.timestamp.changed;
        if let Some((published, _)) = &snapshot {
            report.roles.push(published.clone());
        }
        if let Some(published) =
            self.issue_timestamp(snapshot.map(|(_, b)| b), force_timestamp, timestamp_expires)?
        {
            report.roles.push(published);
        }
        self.clear_staged()?;
        for tracked in self.targets.values_mut() {
            tracked.unsaved = false;
        }
        self.root.unsaved = false;
        Ok(report)
    }

    /// After consistent snapshots were switched: every targets role gets a new version (under
    /// the new names), and every target file is linked to its new name.
    fn relayout(&mut self, consistent: bool) -> Result<(), Error> {
        let storage: &dyn Storage = &self.storage;
        for tracked in self.targets.values() {
            for (path, file) in &tracked.current.targets {
                let old = layout::target_files(path, &file.hashes, !consistent);
                let new = layout::target_files(path, &file.hashes, consistent);
                // Names may hold other content (a plain name is reused by every version of a
                // target): only files with the listed length and hashes are linked.
                let mut source = None;
                for candidate in new.iter().chain(&old) {
                    if crate::verify::matches_listing(storage, candidate, file)? {
                        source = Some(candidate.clone());
                        break;
                    }
                }
                let Some(source) = source else {
                    continue;
                };
                for name in &new {
                    if *name != source && !crate::verify::matches_listing(storage, name, file)? {
                        storage.link(&source, name).map_err(Error::io(name))?;
                    }
                }
            }
        }
        storage.sync().map_err(Error::io("(sync)"))?;
        for tracked in self.targets.values_mut() {
            tracked.touch();
        }
        self.snapshot.touch();
        Ok(())
    }

    /// Writes a new snapshot (listing the published version of every targets role) if one
    /// of them changed or `force`. Returns what was written and its bytes.
    fn issue_snapshot(
        &mut self,
        force: bool,
        expires: Expires,
    ) -> Result<Option<(PublishedRole, Vec<u8>)>, Error> {
        let meta: BTreeMap<String, MetaFile> = self
            .targets
            .iter()
            .filter_map(|(name, t)| {
                t.published
                    .map(|v| (format!("{name}.json"), MetaFile::new(v)))
            })
            .collect();
        let listed: BTreeMap<&String, u64> = self
            .snapshot
            .current
            .meta
            .iter()
            .map(|(name, m)| (name, m.version))
            .collect();
        let wanted: BTreeMap<&String, u64> =
            meta.iter().map(|(name, m)| (name, m.version)).collect();
        if !force && listed == wanted && self.snapshot.published.is_some() {
            return Ok(None);
        }
        let consistent = self.published_consistent_snapshot();
        let mut content = self.snapshot.current.clone();
        let version = self.snapshot.published.map_or(1, |v| v.saturating_add(1));
        content.meta = meta;
        content.set_version(version);
        content.set_expires(expires);
        // The published root (refresh leaves a staged root alone).
        let root = self.published_root.as_ref().unwrap_or(&self.root.current);
        let threshold = root.roles.get("snapshot").map_or(1, |r| r.threshold);
        let signers = self.signers(&root_keys(root, "snapshot"))?;
        let mut metadata = Metadata::new(content);
        sign_all(&mut metadata, &signers, "snapshot")?;
        let bytes = metadata.to_bytes();
        let mut commit = Commit::default();
        commit.steps.push(write_role(
            &self.storage,
            "snapshot",
            version,
            &bytes,
            consistent,
        )?);
        commit.finish(&self.storage)?;
        let content = metadata.into_signed();
        let published = PublishedRole {
            role: "snapshot".to_owned(),
            version,
            expires,
            file: layout::client_metadata("snapshot", version, consistent),
            signatures: signers.len(),
            threshold,
        };
        self.snapshot = Tracked {
            current: content,
            published: Some(version),
            changed: false,
            unsaved: false,
        };
        Ok(Some((published, bytes)))
    }

    /// Writes a new timestamp for the snapshot `snapshot_bytes` (or the published one) if a
    /// snapshot was written or `force`.
    fn issue_timestamp(
        &mut self,
        snapshot_bytes: Option<Vec<u8>>,
        force: bool,
        expires: Expires,
    ) -> Result<Option<PublishedRole>, Error> {
        let snapshot_version = self.snapshot.published.unwrap_or(1);
        let bytes = match snapshot_bytes {
            Some(bytes) => bytes,
            None if force => {
                let path = layout::client_metadata(
                    "snapshot",
                    snapshot_version,
                    self.published_consistent_snapshot(),
                );
                self.storage.read(&path).map_err(Error::io(&path))?
            }
            None => return Ok(None),
        };
        let mut content = self.timestamp.current.clone();
        let version = self.timestamp.published.map_or(1, |v| v.saturating_add(1));
        content.snapshot_meta = MetaFile::from_data(snapshot_version, &bytes, &["sha256"])
            .map_err(|source| Error::Signing {
                role: "timestamp".to_owned(),
                source,
            })?;
        content.set_version(version);
        content.set_expires(expires);
        let root = self.published_root.as_ref().unwrap_or(&self.root.current);
        let threshold = root.roles.get("timestamp").map_or(1, |r| r.threshold);
        let signers = self.signers(&root_keys(root, "timestamp"))?;
        let mut metadata = Metadata::new(content);
        sign_all(&mut metadata, &signers, "timestamp")?;
        let bytes = metadata.to_bytes();
        let mut commit = Commit::default();
        commit.steps.push(write_role(
            &self.storage,
            "timestamp",
            version,
            &bytes,
            false,
        )?);
        commit.finish(&self.storage)?;
        let published = PublishedRole {
            role: "timestamp".to_owned(),
            version,
            expires,
            file: layout::current_metadata("timestamp"),
            signatures: signers.len(),
            threshold,
        };
        self.timestamp = Tracked {
            current: metadata.into_signed(),
            published: Some(version),
            changed: false,
            unsaved: false,
        };
        Ok(Some(published))
    }

    /// Re-signs the online roles with new expiries: a new snapshot (listing the published
    /// versions; staged changes stay staged) expiring in `snapshot_days`, and a new timestamp
    /// expiring in `timestamp_days`. For a cron job.
    ///
    /// # Errors
    /// As [`Repository::publish`].
    pub fn refresh(
        &mut self,
        timestamp_days: u32,
        snapshot_days: u32,
    ) -> Result<PublishReport, Error> {
        let snapshot_expires = crate::expires_in(self.now, snapshot_days)?;
        let timestamp_expires = crate::expires_in(self.now, timestamp_days)?;
        // Staged edits of snapshot or timestamp stay staged; refresh starts from what is
        // published.
        let staged_snapshot = self.snapshot.changed.then(|| self.snapshot.clone());
        let staged_timestamp = self.timestamp.changed.then(|| self.timestamp.clone());
        let mut report = PublishReport::default();
        let snapshot = self.issue_snapshot(true, snapshot_expires)?;
        if let Some((published, _)) = &snapshot {
            report.roles.push(published.clone());
        }
        if let Some(published) =
            self.issue_timestamp(snapshot.map(|(_, b)| b), true, timestamp_expires)?
        {
            report.roles.push(published);
        }
        if let Some(mut staged) = staged_snapshot {
            staged.published = self.snapshot.published;
            self.snapshot = staged;
        }
        if let Some(mut staged) = staged_timestamp {
            staged.published = self.timestamp.published;
            self.timestamp = staged;
        }
        Ok(report)
    }

    /// The keys that may sign the published version of `role`, as the published metadata of
    /// its delegator(s) lists them (for root: its own keys and the previous root's).
    pub(crate) fn published_trusted_keys(
        &self,
        role: &str,
    ) -> Result<Vec<(KeyId, PublicKey)>, Error> {
        let storage: &dyn Storage = &self.storage;
        match role {
            "root" => {
                let root = self
                    .published_root
                    .as_ref()
                    .ok_or_else(|| Error::NotPublished {
                        role: role.to_owned(),
                    })?;
                let mut keys = root_keys(root, "root");
                if root.version > 1 {
                    let path = layout::versioned_metadata("root", root.version - 1);
                    if let Some(previous) = read_metadata::<Root>(storage, &path)? {
                        merge_keys(&mut keys, root_keys(previous.signed(), "root"));
                    }
                }
                Ok(keys)
            }
            "timestamp" | "snapshot" | "targets" => Ok(self
                .published_root
                .as_ref()
                .map(|root| root_keys(root, role))
                .unwrap_or_default()),
            _ => {
                let delegators = self.delegator_map();
                let mut keys = Vec::new();
                for delegator in delegators.get(role).into_iter().flatten() {
                    let path = layout::current_metadata(delegator);
                    if let Some(published) = read_metadata::<Targets>(storage, &path)? {
                        merge_keys(&mut keys, delegated_keys(published.signed(), role));
                    }
                }
                Ok(keys)
            }
        }
    }

    /// Reads a PKCS#8 PEM private key (from `path`, for messages) that must be one of the
    /// keys trusted for the published version of `role`.
    ///
    /// # Errors
    /// [`Error::PrivateKey`] for unreadable PEM, [`Error::UntrustedKey`] for another key.
    pub fn key_for_role(&self, role: &str, pem: &str, path: &str) -> Result<PrivateKey, Error> {
        let trusted = self.published_trusted_keys(role)?;
        match crate::keystore::key_for(pem, path, &trusted)? {
            Some(key) => Ok(key),
            None => {
                let keyid = PrivateKey::from_pkcs8_pem_auto(pem)
                    .map(|k| k.key_id())
                    .map_err(|source| Error::PrivateKey {
                        path: path.to_owned(),
                        source,
                    })?;
                Err(Error::UntrustedKey {
                    role: role.to_owned(),
                    keyid,
                })
            }
        }
    }

    /// Adds a signature by `signer` to the published version of `role`, without changing
    /// its content or version, and rewrites that version's files. Signing snapshot re-issues
    /// the timestamp (it lists the snapshot's hash). Snapshot lists only the versions of
    /// targets roles, so signing one of them changes nothing else.
    ///
    /// # Errors
    /// [`Error::NotPublished`], [`Error::UntrustedKey`], signing and storage errors.
    pub fn sign(&mut self, role: &str, signer: &dyn Signer) -> Result<SignReport, Error> {
        if self.published_version(role).is_none() {
            return Err(
                if crate::expiry::is_top_level(role) || self.targets.contains_key(role) {
                    Error::NotPublished {
                        role: role.to_owned(),
                    }
                } else {
                    Error::UnknownRole {
                        role: role.to_owned(),
                    }
                },
            );
        }
        let keyid = signer.key_id();
        if !self
            .published_trusted_keys(role)?
            .iter()
            .any(|(id, _)| *id == keyid)
        {
            return Err(Error::UntrustedKey {
                role: role.to_owned(),
                keyid,
            });
        }
        let version = match role {
            "root" => self.add_signature::<Root>(role, signer)?,
            "timestamp" => self.add_signature::<Timestamp>(role, signer)?,
            "snapshot" => self.add_signature::<Snapshot>(role, signer)?,
            _ => self.add_signature::<Targets>(role, signer)?,
        };
        let mut reissued = Vec::new();
        if role == "snapshot" {
            let expires = self.next_expires("timestamp")?;
            let path =
                layout::client_metadata("snapshot", version, self.published_consistent_snapshot());
            let bytes = self.storage.read(&path).map_err(Error::io(&path))?;
            if let Some(published) = self.issue_timestamp(Some(bytes), true, expires)? {
                reissued.push(published);
            }
        }
        let verified = self
            .role_status(role)?
            .is_some_and(|status| status.verified);
        Ok(SignReport {
            role: role.to_owned(),
            version,
            verified,
            reissued,
        })
    }

    /// Adds `signer`'s signature to the published files of `role`; returns its version.
    fn add_signature<T: RoleType>(
        &mut self,
        role: &str,
        signer: &dyn Signer,
    ) -> Result<u64, Error> {
        let consistent = self.published_consistent_snapshot();
        let path = layout::current_metadata(role);
        let mut metadata =
            read_metadata::<T>(&self.storage, &path)?.ok_or_else(|| Error::NotPublished {
                role: role.to_owned(),
            })?;
        metadata.sign(signer).map_err(|source| Error::Signing {
            role: role.to_owned(),
            source,
        })?;
        let version = metadata.signed().version();
        let bytes = metadata.to_bytes();
        let mut commit = Commit::default();
        commit.steps.push(write_role(
            &self.storage,
            role,
            version,
            &bytes,
            consistent,
        )?);
        commit.finish(&self.storage)?;
        Ok(version)
    }
}
