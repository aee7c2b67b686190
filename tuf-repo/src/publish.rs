//! Publishing: new signed versions of the changed roles, then snapshot and timestamp; adding
//! signatures by offline keys; refreshing the online roles.
//!
//! Only changed roles get a new version; unchanged roles keep their files byte for byte.
//! Every file of a publish is written first (the new versions under new names, or under
//! `staged/pending/`), then made durable, then made current: unversioned copies linked or
//! renamed into place, the timestamp last; so a client never sees metadata that refers to a
//! file not yet durable (see `Commit::finish`).
//!
//! Each role is encoded once: its canonical form (spec 4.2) is signed and re-indented into
//! the file ([`crate::encode`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use tuf_crypto::{KeyId, PrivateKey, PublicKey, Signer};
use tuf_metadata::{Encode, Expires, MetaFile, Root, Snapshot, Targets, Timestamp};

use crate::encode::{self, Encoded};
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

/// The files of one publish, written and then made current by [`Commit::finish`].
#[derive(Debug, Default)]
struct Commit {
    steps: Vec<Pending>,
    /// Files removed after every step (the unversioned copies of delegated roles that an
    /// earlier layout wrote: see [`layout::has_current_copy`]), in this order.
    removals: Vec<String>,
}

impl Commit {
    /// Writes `bytes` as version `version` of `role`: the file clients fetch when it is not the
    /// unversioned copy (with [`Storage::write_new`] when `new_version`: no published metadata
    /// lists it yet), else a file under `staged/pending/`; and records the step that updates
    /// the unversioned copy. Nothing a client can see changes until [`Commit::finish`], except
    /// a new `N.root.json`, which clients probe for and which is therefore written atomically.
    fn write_role(
        &mut self,
        storage: &dyn Storage,
        role: &str,
        version: u64,
        bytes: &[u8],
        consistent_snapshot: bool,
        new_version: bool,
    ) -> Result<(), Error> {
        let current = layout::current_metadata(role);
        let client = layout::client_metadata(role, version, consistent_snapshot);
        if client == current {
            let pending = format!("{PENDING_DIR}/{}.json", quote(role));
            storage
                .write_new(&pending, bytes)
                .map_err(Error::io(&pending))?;
            self.steps.push(Pending::Rename {
                from: pending,
                to: current,
            });
        } else {
            let written = if new_version && role != "root" {
                storage.write_new(&client, bytes)
            } else {
                storage.write(&client, bytes)
            };
            written.map_err(Error::io(&client))?;
            if layout::has_current_copy(role, consistent_snapshot) {
                self.steps.push(Pending::Link {
                    from: client,
                    to: current,
                });
            }
        }
        Ok(())
    }

    /// Writes new `bytes` for the published version `version` of `role` (a signature added):
    /// under `staged/pending/`, renamed over the file clients fetch by [`Commit::finish`].
    fn rewrite_role(
        &mut self,
        storage: &dyn Storage,
        role: &str,
        version: u64,
        bytes: &[u8],
        consistent_snapshot: bool,
    ) -> Result<(), Error> {
        let current = layout::current_metadata(role);
        let client = layout::client_metadata(role, version, consistent_snapshot);
        let pending = format!("{PENDING_DIR}/{}.json", quote(role));
        storage
            .write_new(&pending, bytes)
            .map_err(Error::io(&pending))?;
        self.steps.push(Pending::Rename {
            from: pending,
            to: client.clone(),
        });
        if client != current && layout::has_current_copy(role, consistent_snapshot) {
            self.steps.push(Pending::Link {
                from: client,
                to: current,
            });
        }
        Ok(())
    }

    /// Makes the written files current, with two durability barriers
    /// ([`Storage::sync`]):
    ///
    /// 1. after every file of the new versions is written (targets roles, root, snapshot and
    ///    timestamp, plus the target files and keys written by earlier edits): nothing a
    ///    client can reach refers to them yet (with consistent snapshots the new versions have
    ///    new names and are listed only by the new snapshot, which only the new timestamp
    ///    lists; without, they wait under `staged/pending/`);
    /// 2. after the unversioned copies are linked or renamed into place, in the order roles,
    ///    snapshot, timestamp (always last), and the removals done, so that the publish is
    ///    durable when this returns.
    ///
    /// So a published timestamp never lists a snapshot, nor a snapshot a role, nor a role a
    /// target file that is not durable: a crash loses the publish, or leaves it complete, or
    /// (without consistent snapshots) leaves some current copies ahead of the timestamp,
    /// which the next publish repairs.
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
        // Last, once every step is durable: until the new snapshot is, `Repository::open`
        // may still read an unversioned copy (the previous layout had no versioned files).
        if !self.removals.is_empty() {
            storage.sync().map_err(Error::io("(sync)"))?;
            for path in self.removals {
                storage.remove(&path).map_err(Error::io(&path))?;
            }
        }
        storage.sync().map_err(Error::io("(sync)"))
    }

    /// Writes the new snapshot and timestamp (timestamp last), then [`Commit::finish`].
    fn finish_with_online(
        mut self,
        storage: &dyn Storage,
        snapshot: Option<&Issued<Snapshot>>,
        timestamp: Option<&Issued<Timestamp>>,
        consistent: bool,
    ) -> Result<(), Error> {
        if let Some(snapshot) = snapshot {
            let version = snapshot.published.version;
            self.write_role(
                storage,
                "snapshot",
                version,
                &snapshot.bytes,
                consistent,
                true,
            )?;
        }
        if let Some(timestamp) = timestamp {
            let version = timestamp.published.version;
            self.write_role(storage, "timestamp", version, &timestamp.bytes, false, true)?;
        }
        self.finish(storage)
    }
}

/// A new version of snapshot or timestamp, signed and encoded, not yet written.
struct Issued<T> {
    published: PublishedRole,
    bytes: Vec<u8>,
    content: T,
}

/// What snapshot lists about one file of `bytes` at `version`: its length, and its sha256
/// when `hashes` (spec 4.4, METAFILES: both optional; python-tuf's client caps a role
/// without a listed length at 5,000,000 bytes, so the length is always listed).
fn meta_file(version: u64, bytes: &[u8], hashes: bool, role: &str) -> Result<MetaFile, Error> {
    if hashes {
        return MetaFile::from_data(version, bytes, META_HASHES).map_err(|source| Error::Signing {
            role: role.to_owned(),
            source,
        });
    }
    let mut meta = MetaFile::new(version);
    meta.length = Some(bytes.len() as u64);
    Ok(meta)
}

/// The hash algorithms listed in snapshot (with [`Repository::set_snapshot_hashes`]) and in
/// timestamp.
const META_HASHES: &[&str] = &["sha256"];

/// Signs `signed` with `signers` and lays out its file.
fn encode_role<T: Encode + Sync>(
    role: &str,
    signed: &T,
    signers: &[Arc<PrivateKey>],
) -> Result<Encoded, Error> {
    let canonical = encode::canonical_of(role, signed)?;
    encode::sign_and_lay_out(role, &canonical, signers, &encode::body_of(signed))
}

/// A changed targets role to sign and write.
struct Plan {
    role: String,
    version: u64,
    expires: Expires,
    signers: Vec<Arc<PrivateKey>>,
    threshold: u64,
}

/// A targets role being signed: its plan and its content (version and expiry already set).
struct Job<'a> {
    plan: &'a Plan,
    content: &'a Targets,
}

/// What the signing part of a publish produced, before the repository state is updated.
struct Outcome {
    /// Root, then the targets roles (in plan order).
    roles: Vec<PublishedRole>,
    root: Option<Root>,
    snapshot: Option<Issued<Snapshot>>,
    timestamp: Option<Issued<Timestamp>>,
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

    /// Whether snapshot lists the sha256 of every targets role besides its length (spec 4.4
    /// makes both optional; python-tuf's client needs only the length). By default, as the
    /// published snapshot does (no for a new repository). The timestamp always lists
    /// snapshot's length and sha256.
    pub fn set_snapshot_hashes(&mut self, hashes: bool) {
        self.snapshot_hashes = hashes;
    }

    /// Publishes every change: a new version of each changed role, signed with the keys
    /// found under `keys/` (fewer than the threshold is allowed: complete with
    /// [`Repository::sign`]); a new root version is signed by the keys of the previous root
    /// and of the new one. Then a new snapshot (if any targets role version changed), listing
    /// the version and length of every targets role, and a new timestamp, listing the
    /// snapshot's version, length and sha256. Unchanged roles are not rewritten.
    ///
    /// Files are made durable in dependency order (see `Commit::finish` in the source): a
    /// crash never leaves a published snapshot or timestamp listing a file not yet on disk.
    ///
    /// # Errors
    /// Signing and storage errors. A failure leaves the previous versions current.
    pub fn publish(&mut self, progress: &dyn Progress) -> Result<PublishReport, Error> {
        let consistent = self.consistent_snapshot();
        if self.published_root.is_some() && self.published_consistent_snapshot() != consistent {
            self.relayout(consistent)?;
        }

        // The changed targets roles: their next version and signers.
        let delegators = self.delegator_map();
        let mut plans = Vec::new();
        for (name, tracked) in self.targets.iter().filter(|(_, t)| t.changed) {
            plans.push(Plan {
                role: name.clone(),
                version: tracked.published.map_or(1, |v| v.saturating_add(1)),
                expires: self.next_expires(name)?,
                signers: self.signers(&self.current_trusted_keys(name, &delegators))?,
                threshold: self.current_threshold(name, &delegators),
            });
        }
        // Version and expiry are set in place (no copy of a large role); put back on failure.
        let mut previous = Vec::with_capacity(plans.len());
        for plan in &plans {
            if let Some(tracked) = self.targets.get_mut(&plan.role) {
                let content = &mut tracked.current;
                previous.push((content.version, content.expires));
                content.set_version(plan.version);
                content.set_expires(plan.expires);
            }
        }

        let outcome = self.sign_and_write(&plans, consistent, progress);
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(e) => {
                for (plan, (version, expires)) in plans.iter().zip(previous) {
                    if let Some(tracked) = self.targets.get_mut(&plan.role) {
                        tracked.current.set_version(version);
                        tracked.current.set_expires(expires);
                    }
                }
                return Err(e);
            }
        };

        if let Some(root) = outcome.root {
            self.root.published = Some(root.version);
            self.root.current = root.clone();
            self.root.changed = false;
            self.published_root = Some(root);
        }
        for plan in &plans {
            if let Some(tracked) = self.targets.get_mut(&plan.role) {
                tracked.published = Some(plan.version);
                tracked.changed = false;
            }
        }
        let mut report = PublishReport {
            roles: outcome.roles,
        };
        if let Some(snapshot) = outcome.snapshot {
            report.roles.push(snapshot.published.clone());
            self.snapshot = Tracked {
                published: Some(snapshot.published.version),
                current: snapshot.content,
                changed: false,
                unsaved: false,
            };
        }
        if let Some(timestamp) = outcome.timestamp {
            report.roles.push(timestamp.published.clone());
            self.timestamp = Tracked {
                published: Some(timestamp.published.version),
                current: timestamp.content,
                changed: false,
                unsaved: false,
            };
        }
        // Without consistent snapshots every delegated role has its unversioned copy; with
        // them, this publish removed any.
        self.old_copies = !consistent;
        self.clear_staged()?;
        for tracked in self.targets.values_mut() {
            tracked.unsaved = false;
        }
        self.root.unsaved = false;
        Ok(report)
    }

    /// The signing and writing of [`Repository::publish`], which changes nothing in memory:
    /// root if changed, the planned targets roles (signed on several threads, written by this
    /// one as they come), snapshot and timestamp; then the commit.
    fn sign_and_write(
        &self,
        plans: &[Plan],
        consistent: bool,
        progress: &dyn Progress,
    ) -> Result<Outcome, Error> {
        let storage: &dyn Storage = &self.storage;
        let mut commit = Commit::default();
        let mut roles = Vec::new();

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
            let encoded = encode_role("root", &content, &signers)?;
            commit.write_role(storage, "root", version, encoded.file(), consistent, true)?;
            roles.push(PublishedRole {
                role: "root".to_owned(),
                version,
                expires,
                file: layout::client_metadata("root", version, consistent),
                signatures: encoded.signatures,
                threshold,
            });
            new_root = Some(content);
        }

        // The targets roles: encoded and signed on worker threads, written here. (Writing on
        // the workers was tried: creating thousands of files in one directory from two
        // threads made the kernel's inode allocation contend, and publishing 16,384 bins
        // slower on ext4.)
        let mut jobs = Vec::with_capacity(plans.len());
        for plan in plans {
            let content = self
                .targets
                .get(&plan.role)
                .map(|t| &t.current)
                .ok_or_else(|| Error::UnknownRole {
                    role: plan.role.clone(),
                })?;
            jobs.push(Job { plan, content });
        }
        let hashes = self.snapshot_hashes;
        let pieces = parallel::workers(CPU_WORKERS);
        progress.start("signing", jobs.len() as u64, Unit::Items);
        let listed = parallel::map_into(
            &jobs,
            CPU_WORKERS,
            |job| {
                let role = job.plan.role.as_str();
                let canonical = if job.content.targets.len() >= encode::PIECEWISE_TARGETS {
                    encode::canonical_targets(role, job.content, pieces)?
                } else {
                    encode::canonical_of(role, job.content)?
                };
                let encoded = encode::sign_and_lay_out(
                    role,
                    &canonical,
                    &job.plan.signers,
                    &encode::body_of(job.content),
                )?;
                drop(canonical);
                let meta = meta_file(job.plan.version, encoded.file(), hashes, role)?;
                Ok((encoded, meta))
            },
            |index, (encoded, meta)| {
                let plan = jobs
                    .get(index)
                    .map(|job| job.plan)
                    .ok_or(Error::WorkerPanicked)?;
                commit.write_role(
                    storage,
                    &plan.role,
                    plan.version,
                    encoded.file(),
                    consistent,
                    true,
                )?;
                progress.advance(1);
                Ok((format!("{}.json", plan.role), meta, encoded.signatures))
            },
        );
        progress.finish();
        let mut fresh = BTreeMap::new();
        for (plan, (name, meta, signatures)) in plans.iter().zip(listed?) {
            roles.push(PublishedRole {
                file: layout::client_metadata(&plan.role, plan.version, consistent),
                role: plan.role.clone(),
                version: plan.version,
                expires: plan.expires,
                signatures,
                threshold: plan.threshold,
            });
            fresh.insert(name, meta);
        }

        // Snapshot and timestamp, signed with the keys of the root being published.
        let root = new_root
            .as_ref()
            .or(self.published_root.as_ref())
            .unwrap_or(&self.root.current);
        let meta = self.snapshot_meta(fresh, consistent)?;
        let snapshot_expires = self.next_expires("snapshot")?;
        let snapshot = self.prepare_snapshot(
            meta,
            self.snapshot.changed,
            snapshot_expires,
            consistent,
            root,
        )?;
        // A crash between snapshot and timestamp leaves the timestamp behind: catch up.
        let behind = self.timestamp.published.is_some()
            && self.snapshot.published != Some(self.timestamp.current.snapshot_meta.version);
        let timestamp_expires = self.next_expires("timestamp")?;
        let timestamp = self.prepare_timestamp(
            snapshot
                .as_ref()
                .map(|s| (s.published.version, s.bytes.as_slice())),
            self.timestamp.changed || behind,
            timestamp_expires,
            consistent,
            root,
        )?;
        if consistent && self.old_copies {
            // The roles published before this publish, in reverse order: `Repository::open`
            // looks for the first one's copy.
            commit.removals = self
                .targets
                .iter()
                .rev()
                .filter(|(name, tracked)| {
                    tracked.published.is_some() && !layout::has_current_copy(name, consistent)
                })
                .map(|(name, _)| layout::current_metadata(name))
                .collect();
        }
        commit.finish_with_online(storage, snapshot.as_ref(), timestamp.as_ref(), consistent)?;
        Ok(Outcome {
            roles,
            root: new_root,
            snapshot,
            timestamp,
        })
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

    /// What the next snapshot lists for every targets role: `fresh` for the roles published
    /// now, else what the current snapshot lists for the published version (its length, and
    /// its sha256 with [`Repository::set_snapshot_hashes`]), else read from the file.
    fn snapshot_meta(
        &self,
        mut fresh: BTreeMap<String, MetaFile>,
        consistent: bool,
    ) -> Result<BTreeMap<String, MetaFile>, Error> {
        let hashes = self.snapshot_hashes;
        let mut meta = BTreeMap::new();
        for (name, tracked) in &self.targets {
            let key = format!("{name}.json");
            if let Some(listed) = fresh.remove(&key) {
                meta.insert(key, listed);
                continue;
            }
            let Some(version) = tracked.published else {
                continue;
            };
            let listed = self
                .snapshot
                .current
                .meta
                .get(&key)
                .filter(|m| m.version == version && m.length.is_some())
                .filter(|m| !hashes || m.hashes.is_some());
            let listed = match listed {
                Some(listed) => {
                    let mut listed = listed.clone();
                    if !hashes {
                        listed.hashes = None;
                    }
                    listed
                }
                None => {
                    let path = layout::client_metadata(name, version, consistent);
                    if hashes {
                        let bytes = self.storage.read(&path).map_err(Error::io(&path))?;
                        meta_file(version, &bytes, true, name)?
                    } else {
                        let mut listed = MetaFile::new(version);
                        listed.length = Some(self.storage.size(&path).map_err(Error::io(&path))?);
                        listed
                    }
                }
            };
            meta.insert(key, listed);
        }
        Ok(meta)
    }

    /// A new snapshot listing `meta`, signed by the snapshot keys of `root`, if a listed
    /// version or length differs from the current snapshot's, or `force`.
    fn prepare_snapshot(
        &self,
        meta: BTreeMap<String, MetaFile>,
        force: bool,
        expires: Expires,
        consistent: bool,
        root: &Root,
    ) -> Result<Option<Issued<Snapshot>>, Error> {
        let same = |a: &MetaFile, b: &MetaFile| a.version == b.version && a.length == b.length;
        let unchanged = self.snapshot.current.meta.len() == meta.len()
            && self
                .snapshot
                .current
                .meta
                .iter()
                .zip(&meta)
                .all(|((a, x), (b, y))| a == b && same(x, y));
        if !force && unchanged && self.snapshot.published.is_some() {
            return Ok(None);
        }
        let mut content = self.snapshot.current.clone();
        let version = self.snapshot.published.map_or(1, |v| v.saturating_add(1));
        content.meta = meta.into();
        content.set_version(version);
        content.set_expires(expires);
        let threshold = root.roles.get("snapshot").map_or(1, |r| r.threshold);
        let signers = self.signers(&root_keys(root, "snapshot"))?;
        let encoded = encode_role("snapshot", &content, &signers)?;
        Ok(Some(Issued {
            published: PublishedRole {
                role: "snapshot".to_owned(),
                version,
                expires,
                file: layout::client_metadata("snapshot", version, consistent),
                signatures: encoded.signatures,
                threshold,
            },
            bytes: encoded.into_file(),
            content,
        }))
    }

    /// A new timestamp listing `snapshot` (version and bytes), or the published snapshot when
    /// `force`, signed by the timestamp keys of `root`.
    fn prepare_timestamp(
        &self,
        snapshot: Option<(u64, &[u8])>,
        force: bool,
        expires: Expires,
        consistent: bool,
        root: &Root,
    ) -> Result<Option<Issued<Timestamp>>, Error> {
        let read;
        let (snapshot_version, bytes) = match snapshot {
            Some(snapshot) => snapshot,
            None if force => {
                let version = self.snapshot.published.unwrap_or(1);
                let path = layout::client_metadata("snapshot", version, consistent);
                read = self.storage.read(&path).map_err(Error::io(&path))?;
                (version, read.as_slice())
            }
            None => return Ok(None),
        };
        let mut content = self.timestamp.current.clone();
        let version = self.timestamp.published.map_or(1, |v| v.saturating_add(1));
        content.snapshot_meta =
            MetaFile::from_data(snapshot_version, bytes, META_HASHES).map_err(|source| {
                Error::Signing {
                    role: "timestamp".to_owned(),
                    source,
                }
            })?;
        content.set_version(version);
        content.set_expires(expires);
        let threshold = root.roles.get("timestamp").map_or(1, |r| r.threshold);
        let signers = self.signers(&root_keys(root, "timestamp"))?;
        let encoded = encode_role("timestamp", &content, &signers)?;
        Ok(Some(Issued {
            published: PublishedRole {
                role: "timestamp".to_owned(),
                version,
                expires,
                file: layout::current_metadata("timestamp"),
                signatures: encoded.signatures,
                threshold,
            },
            bytes: encoded.into_file(),
            content,
        }))
    }

    /// Adds `snapshot` and `timestamp` (either may be absent) to `commit`, finishes it and
    /// makes them the repository state; returns what was written.
    fn commit_online(
        &mut self,
        commit: Commit,
        snapshot: Option<Issued<Snapshot>>,
        timestamp: Option<Issued<Timestamp>>,
        consistent: bool,
    ) -> Result<Vec<PublishedRole>, Error> {
        let storage: &dyn Storage = &self.storage;
        commit.finish_with_online(storage, snapshot.as_ref(), timestamp.as_ref(), consistent)?;
        let mut written = Vec::new();
        if let Some(snapshot) = snapshot {
            written.push(snapshot.published.clone());
            self.snapshot = Tracked {
                published: Some(snapshot.published.version),
                current: snapshot.content,
                changed: false,
                unsaved: false,
            };
        }
        if let Some(timestamp) = timestamp {
            written.push(timestamp.published.clone());
            self.timestamp = Tracked {
                published: Some(timestamp.published.version),
                current: timestamp.content,
                changed: false,
                unsaved: false,
            };
        }
        Ok(written)
    }

    /// A new snapshot (forced) and timestamp for the published roles, signed with the
    /// published root's keys; written and made current.
    fn reissue_online(
        &mut self,
        fresh: BTreeMap<String, MetaFile>,
        snapshot_expires: Expires,
        timestamp_expires: Expires,
    ) -> Result<Vec<PublishedRole>, Error> {
        let consistent = self.published_consistent_snapshot();
        // The published root (refresh leaves a staged root alone).
        let root = self.published_root.as_ref().unwrap_or(&self.root.current);
        let meta = self.snapshot_meta(fresh, consistent)?;
        let snapshot = self.prepare_snapshot(meta, true, snapshot_expires, consistent, root)?;
        let timestamp = self.prepare_timestamp(
            snapshot
                .as_ref()
                .map(|s| (s.published.version, s.bytes.as_slice())),
            true,
            timestamp_expires,
            consistent,
            root,
        )?;
        self.commit_online(Commit::default(), snapshot, timestamp, consistent)
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
        let roles = self.reissue_online(BTreeMap::new(), snapshot_expires, timestamp_expires)?;
        if let Some(mut staged) = staged_snapshot {
            staged.published = self.snapshot.published;
            self.snapshot = staged;
        }
        if let Some(mut staged) = staged_timestamp {
            staged.published = self.timestamp.published;
            self.timestamp = staged;
        }
        Ok(PublishReport { roles })
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
                    let path = self.published_file(delegator);
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
    /// its content or version, and rewrites that version's files. The lengths and hashes
    /// that list the rewritten file change, so signing a targets role re-issues snapshot and
    /// timestamp, and signing snapshot re-issues the timestamp; all are made current in one
    /// commit (see [`Repository::publish`]).
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
        let (version, bytes) = match role {
            "root" => self.add_signature::<Root>(role, signer)?,
            "timestamp" => self.add_signature::<Timestamp>(role, signer)?,
            "snapshot" => self.add_signature::<Snapshot>(role, signer)?,
            _ => self.add_signature::<Targets>(role, signer)?,
        };
        let consistent = self.published_consistent_snapshot();
        let mut commit = Commit::default();
        commit.rewrite_role(&self.storage, role, version, &bytes, consistent)?;
        let root = self.published_root.as_ref().unwrap_or(&self.root.current);
        let (snapshot, timestamp) = match role {
            "root" | "timestamp" => (None, None),
            "snapshot" => {
                let expires = self.next_expires("timestamp")?;
                let timestamp = self.prepare_timestamp(
                    Some((version, &bytes)),
                    true,
                    expires,
                    consistent,
                    root,
                )?;
                (None, timestamp)
            }
            _ => {
                let listed = meta_file(version, &bytes, self.snapshot_hashes, role)?;
                let fresh = BTreeMap::from([(format!("{role}.json"), listed)]);
                let meta = self.snapshot_meta(fresh, consistent)?;
                let expires = self.next_expires("snapshot")?;
                let snapshot = self.prepare_snapshot(meta, true, expires, consistent, root)?;
                let expires = self.next_expires("timestamp")?;
                let timestamp = self.prepare_timestamp(
                    snapshot
                        .as_ref()
                        .map(|s| (s.published.version, s.bytes.as_slice())),
                    true,
                    expires,
                    consistent,
                    root,
                )?;
                (snapshot, timestamp)
            }
        };
        let reissued = self.commit_online(commit, snapshot, timestamp, consistent)?;
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

    /// The published files of `role` with `signer`'s signature added: its version and the new
    /// bytes (not written).
    fn add_signature<T: RoleType>(
        &self,
        role: &str,
        signer: &dyn Signer,
    ) -> Result<(u64, Vec<u8>), Error> {
        let path = self.published_file(role);
        let mut metadata =
            read_metadata::<T>(&self.storage, &path)?.ok_or_else(|| Error::NotPublished {
                role: role.to_owned(),
            })?;
        metadata.sign(signer).map_err(|source| Error::Signing {
            role: role.to_owned(),
            source,
        })?;
        Ok((metadata.signed().version(), metadata.to_bytes()))
    }
}
