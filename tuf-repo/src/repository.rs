//! The repository: every role in memory, which ones changed, and the staging of changes
//! between commands.
//!
//! Edits ([`crate::edit`]) change the in-memory content of a role and mark it changed.
//! [`Repository::save`] writes changed roles to `staged/` so that a later command (or
//! process) picks them up; [`Repository::publish`] turns them into new signed versions.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::io;

use serde_json::Value;
use tuf_crypto::{KeyId, PublicKey, Scheme, Signer};
use tuf_metadata::{Delegations, Expires, Metadata, Root, Signed, Snapshot, Targets, Timestamp};

use crate::expiry::{ExpiryPolicy, expires_in};
use crate::keystore::{KeyOptions, KeyStore};
use crate::layout::{self, METADATA_DIR, STAGED_DIR, TARGETS_DIR};
use crate::progress::NoProgress;
use crate::{Error, FsStorage, Storage};

/// Expiries chosen explicitly for the next version of roles: `{"role": "2030-01-01T00:00:00Z"}`.
/// In a subdirectory, so that no role's staged file (`staged/<quoted role>.json`) can have its
/// name.
pub(crate) const STAGED_EXPIRES: &str = "staged/state/expires.json";

/// The four role types, with the setters publishing needs.
pub(crate) trait RoleType: Signed + Clone + Send + Sync {
    fn set_version(&mut self, version: u64);
    fn set_expires(&mut self, expires: Expires);
}

macro_rules! role_type {
    ($($t:ty),*) => {$(
        impl RoleType for $t {
            fn set_version(&mut self, version: u64) {
                self.version = version;
            }
            fn set_expires(&mut self, expires: Expires) {
                self.expires = expires;
            }
        }
    )*};
}
role_type!(Root, Targets, Snapshot, Timestamp);

/// One role: its current content (edited or as published), its published version, and
/// whether it changed since.
#[derive(Debug, Clone)]
pub(crate) struct Tracked<T> {
    /// The content the next version will have (version and expiry are set at publish).
    pub(crate) current: T,
    /// The version published, if any.
    pub(crate) published: Option<u64>,
    /// Whether the next publish writes a new version.
    pub(crate) changed: bool,
    /// Whether `current` differs from what `staged/` holds.
    pub(crate) unsaved: bool,
}

impl<T> Tracked<T> {
    /// A role never published.
    pub(crate) fn new(current: T) -> Self {
        Tracked {
            current,
            published: None,
            changed: true,
            unsaved: true,
        }
    }

    /// The content, marked changed.
    pub(crate) fn edit(&mut self) -> &mut T {
        self.changed = true;
        self.unsaved = true;
        &mut self.current
    }

    /// Marks the role for a new version without editing it (re-signing with new keys).
    pub(crate) fn touch(&mut self) {
        self.changed = true;
        self.unsaved = true;
    }
}

/// How [`Repository::init`] creates a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitOptions {
    /// The scheme of the four top-level keys (one key per role).
    pub scheme: Scheme,
    /// Whether to use consistent snapshots (versioned metadata names, hash-prefixed targets).
    pub consistent_snapshot: bool,
    /// Days until the first version of every role expires (default: the [`ExpiryPolicy`]).
    pub expires_days: Option<u32>,
    /// How keys are generated.
    pub key_options: KeyOptions,
}

impl Default for InitOptions {
    fn default() -> Self {
        InitOptions {
            scheme: Scheme::Ed25519,
            consistent_snapshot: true,
            expires_days: None,
            key_options: KeyOptions::default(),
        }
    }
}

/// A TUF repository being managed: all roles in memory, with the changes not yet published.
///
/// ```
/// use tuf_repo::{FsStorage, InitOptions, NoProgress, Repository};
/// use tuf_metadata::TargetFile;
///
/// let dir = tempfile::tempdir()?;
/// let mut repo = Repository::init(FsStorage::new(dir.path()), &InitOptions::default())?;
/// let info = TargetFile::from_data(b"hello", &["sha256"])?;
/// repo.add_target(None, "greetings/hello.txt", info)?;
/// let report = repo.publish(&NoProgress)?;
/// // targets v2, then snapshot v2 and timestamp v2; root is unchanged.
/// assert_eq!(report.roles.len(), 3);
///
/// // Another process sees the published state.
/// let repo = Repository::open(FsStorage::new(dir.path()))?;
/// assert!(repo.targets("targets").unwrap().targets.contains_key("greetings/hello.txt"));
/// assert!(repo.status()?.iter().all(|role| role.verified));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Repository<S: Storage = FsStorage> {
    pub(crate) storage: S,
    pub(crate) keys: KeyStore,
    pub(crate) key_options: KeyOptions,
    pub(crate) policy: ExpiryPolicy,
    pub(crate) now: i64,
    /// The `signed` part of the published root (its keys sign the next root too).
    pub(crate) published_root: Option<Root>,
    pub(crate) root: Tracked<Root>,
    pub(crate) timestamp: Tracked<Timestamp>,
    pub(crate) snapshot: Tracked<Snapshot>,
    /// `targets` and every delegated targets role, by name.
    pub(crate) targets: BTreeMap<String, Tracked<Targets>>,
    /// Expiries set explicitly for the next version of a role.
    pub(crate) explicit_expires: BTreeMap<String, Expires>,
    /// Files under `staged/` that exist on disk.
    pub(crate) staged_files: BTreeSet<String>,
    /// Whether snapshot lists the hashes of the targets roles (their length always).
    pub(crate) snapshot_hashes: bool,
    /// Whether unversioned copies of delegated roles may be on disk that the layout with
    /// consistent snapshots no longer keeps ([`layout::has_current_copy`]): written by an
    /// earlier tuf-repo, or before consistent snapshots were switched on. The next publish
    /// with consistent snapshots removes them.
    pub(crate) old_copies: bool,
}

/// The current Unix time in seconds.
fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Reads and parses metadata at `path`, `None` if the file does not exist.
pub(crate) fn read_metadata<T: Signed>(
    storage: &dyn Storage,
    path: &str,
) -> Result<Option<Metadata<T>>, Error> {
    match storage.read(path) {
        Ok(bytes) => Metadata::from_bytes(&bytes)
            .map(Some)
            .map_err(|source| Error::Metadata {
                path: path.to_owned(),
                source,
            }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Reads a JSON file.
pub(crate) fn read_json(storage: &dyn Storage, path: &str) -> Result<Value, Error> {
    let bytes = storage.read(path).map_err(Error::io(path))?;
    serde_json::from_slice(&bytes).map_err(|source| Error::Json {
        path: path.to_owned(),
        source,
    })
}

/// Reads the published version of targets role `role`, which the published snapshot lists at
/// `listed`: the file clients fetch for it (spec 5.6.1, [`layout::client_metadata`]), or its
/// unversioned copy when snapshot does not list it.
///
/// When the file clients fetch is missing, the other layout's name is read instead and the
/// second value is `true`: a publish that switched consistent snapshots on or off stopped
/// after the new root was made current and before the new snapshot, so the published
/// snapshot lists a version that clients of the new root cannot fetch. The role needs a new
/// version.
fn read_published_targets(
    storage: &dyn Storage,
    role: &str,
    listed: Option<u64>,
    consistent: bool,
) -> Result<(Option<Metadata<Targets>>, bool), Error> {
    let current = layout::current_metadata(role);
    let Some(version) = listed else {
        return Ok((read_metadata::<Targets>(storage, &current)?, false));
    };
    let client = layout::client_metadata(role, version, consistent);
    if let Some(found) = read_metadata::<Targets>(storage, &client)? {
        return Ok((Some(found), false));
    }
    let other = if client == current {
        layout::versioned_metadata(role, version)
    } else {
        current
    };
    Ok((read_metadata::<Targets>(storage, &other)?, true))
}

/// Loads role `role`: its published version `published` (if any) and its staged edit.
fn load_role<T: RoleType>(
    storage: &dyn Storage,
    staged: &BTreeSet<String>,
    role: &str,
    published: Option<Metadata<T>>,
) -> Result<Option<Tracked<T>>, Error> {
    let staged_path = layout::staged_metadata(role);
    let edited = if staged.contains(&staged_path) {
        let value = read_json(storage, &staged_path)?;
        Some(T::from_value(value).map_err(|source| Error::Metadata {
            path: staged_path,
            source,
        })?)
    } else {
        None
    };
    Ok(match (published, edited) {
        (published, Some(current)) => Some(Tracked {
            current,
            published: published.map(|m| m.signed().version()),
            changed: true,
            unsaved: false,
        }),
        (Some(published), None) => Some(Tracked {
            published: Some(published.signed().version()),
            current: published.into_signed(),
            changed: false,
            unsaved: false,
        }),
        (None, None) => None,
    })
}

/// The names of the roles `delegations` delegates to.
pub(crate) fn delegated_names(delegations: &Delegations) -> Vec<String> {
    if let Some(roles) = &delegations.roles {
        return roles.iter().map(|r| r.name.clone()).collect();
    }
    match &delegations.succinct_roles {
        Some(bins) => bins.role_names().collect(),
        None => Vec::new(),
    }
}

/// The keys `root` trusts for top-level `role`, with their public keys.
pub(crate) fn root_keys(root: &Root, role: &str) -> Vec<(KeyId, PublicKey)> {
    root.roles
        .get(role)
        .map(|r| {
            r.keyids
                .iter()
                .filter_map(|id| root.keys.get(id).map(|k| (id.clone(), k.clone())))
                .collect()
        })
        .unwrap_or_default()
}

/// The keys `delegator` trusts for delegated `role`, with their public keys.
pub(crate) fn delegated_keys(delegator: &Targets, role: &str) -> Vec<(KeyId, PublicKey)> {
    delegator
        .delegations
        .as_ref()
        .and_then(|d| d.role_keys(role))
        .map(|rk| {
            rk.keyids
                .iter()
                .filter_map(|id| rk.keys.get(id).map(|k| (id.clone(), k.clone())))
                .collect()
        })
        .unwrap_or_default()
}

/// Adds the keys of `more` not in `keys`.
pub(crate) fn merge_keys(keys: &mut Vec<(KeyId, PublicKey)>, more: Vec<(KeyId, PublicKey)>) {
    for (id, key) in more {
        if !keys.iter().any(|(k, _)| *k == id) {
            keys.push((id, key));
        }
    }
}

impl Repository<FsStorage> {
    /// Opens the repository in directory `dir`.
    ///
    /// # Errors
    /// As [`Repository::open`].
    pub fn open_dir(dir: impl Into<std::path::PathBuf>) -> Result<Self, Error> {
        Repository::open(FsStorage::new(dir))
    }
}

impl<S: Storage> Repository<S> {
    /// Creates a repository in empty `storage`: one new key per top-level role (stored under
    /// `keys/<role>/`), and version 1 of root, targets, snapshot and timestamp, published.
    ///
    /// # Errors
    /// [`Error::NotEmpty`] if the storage holds files; key generation, signing and storage
    /// errors.
    pub fn init(storage: S, options: &InitOptions) -> Result<Self, Error> {
        let existing = storage.list("").map_err(Error::io("."))?;
        if !existing.is_empty() {
            return Err(Error::NotEmpty {
                path: storage_name(&storage),
            });
        }
        let now = unix_now();
        let placeholder = expires_in(now, 1)?;
        let mut repo = Repository {
            keys: KeyStore::default(),
            key_options: options.key_options,
            policy: ExpiryPolicy::default(),
            now,
            published_root: None,
            root: Tracked::new(Root::new(placeholder)),
            timestamp: Tracked::new(Timestamp::new(placeholder)),
            snapshot: Tracked::new(Snapshot::new(placeholder)),
            targets: BTreeMap::from([(
                "targets".to_owned(),
                Tracked::new(Targets::new(placeholder)),
            )]),
            explicit_expires: BTreeMap::new(),
            staged_files: BTreeSet::new(),
            snapshot_hashes: false,
            old_copies: false,
            storage,
        };
        repo.root.current.consistent_snapshot = Some(options.consistent_snapshot);
        for role in tuf_metadata::TOP_LEVEL_ROLE_NAMES {
            let key = repo.key_options.generate(options.scheme)?;
            let public = key.public_key().clone();
            repo.keys.store(&repo.storage, role, key)?;
            repo.root
                .current
                .add_key(role, public)
                .map_err(|source| Error::Metadata {
                    path: layout::current_metadata("root"),
                    source,
                })?;
            if let Some(days) = options.expires_days {
                repo.explicit_expires
                    .insert(role.to_owned(), expires_in(now, days)?);
            }
        }
        for dir in [METADATA_DIR, TARGETS_DIR] {
            repo.storage.create_dir(dir).map_err(Error::io(dir))?;
        }
        repo.publish(&NoProgress)?;
        Ok(repo)
    }

    /// Opens the repository in `storage`: the published metadata of every role (walking the
    /// delegations from `targets`), the staged edits, and the index of `keys/`.
    ///
    /// # Errors
    /// [`Error::NotARepository`] without `metadata/root.json`; [`Error::Metadata`] for an
    /// invalid file; [`Error::Missing`] for a delegated role with no metadata.
    pub fn open(storage: S) -> Result<Self, Error> {
        let root_path = layout::current_metadata("root");
        let Some(published_root) = read_metadata::<Root>(&storage, &root_path)? else {
            return Err(Error::NotARepository {
                path: storage_name(&storage),
            });
        };
        let mut staged: BTreeSet<String> = storage
            .list(STAGED_DIR)
            .map_err(Error::io(STAGED_DIR))?
            .into_iter()
            .filter(|name| name.ends_with(".json"))
            .map(|name| format!("{STAGED_DIR}/{name}"))
            .collect();
        let missing = |role: &str| Error::Missing {
            path: layout::current_metadata(role),
            reason: format!("role `{role}` has no metadata"),
        };
        let consistent = published_root.signed().consistent_snapshot.unwrap_or(false);
        let root = load_role(&storage, &staged, "root", Some(published_root.clone()))?
            .ok_or_else(|| missing("root"))?;
        let published_timestamp =
            read_metadata::<Timestamp>(&storage, &layout::current_metadata("timestamp"))?;
        let timestamp = load_role(&storage, &staged, "timestamp", published_timestamp)?
            .ok_or_else(|| missing("timestamp"))?;
        // The published snapshot names the published version of every targets role.
        let published_snapshot =
            read_metadata::<Snapshot>(&storage, &layout::current_metadata("snapshot"))?;
        let mut targets = BTreeMap::new();
        let mut queue = VecDeque::from(["targets".to_owned()]);
        while let Some(name) = queue.pop_front() {
            if targets.contains_key(&name) {
                continue;
            }
            let listed = published_snapshot
                .as_ref()
                .and_then(|s| s.signed().role_meta(&name))
                .map(|m| m.version);
            let (published, unreachable) =
                read_published_targets(&storage, &name, listed, consistent)?;
            let mut tracked =
                load_role(&storage, &staged, &name, published)?.ok_or_else(|| missing(&name))?;
            if unreachable {
                tracked.touch();
            }
            if let Some(delegations) = &tracked.current.delegations {
                queue.extend(
                    delegated_names(delegations)
                        .into_iter()
                        .filter(|child| !targets.contains_key(child)),
                );
            }
            targets.insert(name, tracked);
        }
        // Snapshot needs no such check: a switch stopped before the new snapshot leaves every
        // targets role unreachable (so snapshot changes), and one stopped after it leaves the
        // timestamp behind, which the next publish catches up.
        let snapshot = load_role(&storage, &staged, "snapshot", published_snapshot)?
            .ok_or_else(|| missing("snapshot"))?;
        // Copies are written for every published delegated role or for none, and removed
        // last-first after a sync (see `Commit::finish`), so the first published one tells.
        // (A copy left by a removal that stopped half way is harmless: this and clients read
        // the versioned file, and `verify` does not look at it.)
        let first_published = targets
            .iter()
            .find(|(name, tracked)| *name != "targets" && tracked.published.is_some())
            .map(|(name, _)| name);
        let old_copies = match first_published {
            Some(first) if consistent => {
                let path = layout::current_metadata(first);
                storage.exists(&path).map_err(Error::io(&path))?
            }
            Some(_) => true,
            None => false,
        };
        let mut explicit_expires = BTreeMap::new();
        if storage
            .exists(STAGED_EXPIRES)
            .map_err(Error::io(STAGED_EXPIRES))?
        {
            staged.insert(STAGED_EXPIRES.to_owned());
            if let Value::Object(map) = read_json(&storage, STAGED_EXPIRES)? {
                for (role, value) in map {
                    let expires = value
                        .as_str()
                        .and_then(|s| s.parse::<Expires>().ok())
                        .ok_or_else(|| Error::Metadata {
                            path: STAGED_EXPIRES.to_owned(),
                            source: tuf_metadata::Error::Expires {
                                value: value.to_string(),
                            },
                        })?;
                    explicit_expires.insert(role, expires);
                }
            }
        }
        // Snapshot keeps listing hashes if it does.
        let snapshot_hashes = !snapshot.current.meta.is_empty()
            && snapshot.current.meta.values().all(|m| m.hashes.is_some());
        Ok(Repository {
            keys: KeyStore::load(&storage)?,
            key_options: KeyOptions::default(),
            policy: ExpiryPolicy::default(),
            now: unix_now(),
            published_root: Some(published_root.into_signed()),
            root,
            timestamp,
            snapshot,
            targets,
            explicit_expires,
            staged_files: staged,
            snapshot_hashes,
            old_copies,
            storage,
        })
    }

    /// Writes the changes not yet published to `staged/`, for a later command to publish.
    /// Only roles edited since they were last saved are written.
    ///
    /// # Errors
    /// Storage errors.
    pub fn save(&mut self) -> Result<(), Error> {
        let storage: &dyn Storage = &self.storage;
        let mut write = |role: &str, value: Value| -> Result<(), Error> {
            let path = layout::staged_metadata(role);
            let bytes = serde_json::to_vec_pretty(&value).map_err(|source| Error::Json {
                path: path.clone(),
                source,
            })?;
            storage.write(&path, &bytes).map_err(Error::io(&path))?;
            self.staged_files.insert(path);
            Ok(())
        };
        if self.root.unsaved && self.root.changed {
            write("root", self.root.current.to_value())?;
        }
        if self.timestamp.unsaved && self.timestamp.changed {
            write("timestamp", self.timestamp.current.to_value())?;
        }
        if self.snapshot.unsaved && self.snapshot.changed {
            write("snapshot", self.snapshot.current.to_value())?;
        }
        for (name, tracked) in &self.targets {
            if tracked.unsaved && tracked.changed {
                write(name, tracked.current.to_value())?;
            }
        }
        if !self.explicit_expires.is_empty() {
            let map: serde_json::Map<String, Value> = self
                .explicit_expires
                .iter()
                .map(|(role, e)| (role.clone(), Value::String(e.to_string())))
                .collect();
            let bytes =
                serde_json::to_vec_pretty(&Value::Object(map)).map_err(|source| Error::Json {
                    path: STAGED_EXPIRES.to_owned(),
                    source,
                })?;
            storage
                .write(STAGED_EXPIRES, &bytes)
                .map_err(Error::io(STAGED_EXPIRES))?;
            self.staged_files.insert(STAGED_EXPIRES.to_owned());
        }
        storage.sync().map_err(Error::io("(sync)"))?;
        self.root.unsaved = false;
        self.timestamp.unsaved = false;
        self.snapshot.unsaved = false;
        for tracked in self.targets.values_mut() {
            tracked.unsaved = false;
        }
        Ok(())
    }

    /// Removes every file under `staged/` (after a publish).
    pub(crate) fn clear_staged(&mut self) -> Result<(), Error> {
        for path in std::mem::take(&mut self.staged_files) {
            self.storage.remove(&path).map_err(Error::io(&path))?;
        }
        self.explicit_expires.clear();
        Ok(())
    }

    /// The storage.
    pub fn storage(&self) -> &S {
        &self.storage
    }

    /// Sets how new keys are generated (RSA key size).
    pub fn set_key_options(&mut self, options: KeyOptions) {
        self.key_options = options;
    }

    /// Sets how long new versions stay valid.
    pub fn set_expiry_policy(&mut self, policy: ExpiryPolicy) {
        self.policy = policy;
    }

    /// Sets the time (Unix seconds) that expiries are counted from and status judges expiry
    /// by; by default the time the repository was opened.
    pub fn set_time(&mut self, unix_seconds: i64) {
        self.now = unix_seconds;
    }

    /// The current root content (with edits not yet published).
    pub fn root(&self) -> &Root {
        &self.root.current
    }

    /// The current content of targets role `role` (`targets` or a delegated role).
    pub fn targets(&self, role: &str) -> Option<&Targets> {
        self.targets.get(role).map(|t| &t.current)
    }

    /// The names of all targets roles: `targets` and every delegated role.
    pub fn targets_roles(&self) -> impl Iterator<Item = &str> {
        self.targets.keys().map(String::as_str)
    }

    /// The published version of `role`, if it has been published.
    pub fn published_version(&self, role: &str) -> Option<u64> {
        match role {
            "root" => self.root.published,
            "timestamp" => self.timestamp.published,
            "snapshot" => self.snapshot.published,
            _ => self.targets.get(role).and_then(|t| t.published),
        }
    }

    /// The roles with changes not yet published.
    pub fn changed_roles(&self) -> Vec<String> {
        let mut changed = Vec::new();
        for (name, flag) in [
            ("root", self.root.changed),
            ("timestamp", self.timestamp.changed),
            ("snapshot", self.snapshot.changed),
        ] {
            if flag {
                changed.push(name.to_owned());
            }
        }
        changed.extend(
            self.targets
                .iter()
                .filter(|(_, t)| t.changed)
                .map(|(name, _)| name.clone()),
        );
        changed
    }

    /// Whether the current root uses consistent snapshots.
    pub fn consistent_snapshot(&self) -> bool {
        self.root.current.consistent_snapshot.unwrap_or(false)
    }

    /// The file holding the published version of `role`: for a targets role, the file
    /// clients fetch ([`layout::client_metadata`]); else its unversioned copy.
    pub(crate) fn published_file(&self, role: &str) -> String {
        match self.targets.get(role).and_then(|t| t.published) {
            Some(version) => {
                layout::client_metadata(role, version, self.published_consistent_snapshot())
            }
            None => layout::current_metadata(role),
        }
    }

    /// Whether the published root uses consistent snapshots (the layout on disk now).
    pub(crate) fn published_consistent_snapshot(&self) -> bool {
        self.published_root
            .as_ref()
            .and_then(|r| r.consistent_snapshot)
            .unwrap_or(false)
    }

    /// The expiry of the next version of `role`.
    pub(crate) fn next_expires(&self, role: &str) -> Result<Expires, Error> {
        match self.explicit_expires.get(role) {
            Some(expires) => Ok(*expires),
            None => expires_in(self.now, self.policy.days_for(role)),
        }
    }

    /// Role → the targets roles that delegate to it (from the current content). `targets`
    /// itself is delegated by root and not listed.
    pub(crate) fn delegator_map(&self) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, tracked) in &self.targets {
            if let Some(delegations) = &tracked.current.delegations {
                for child in delegated_names(delegations) {
                    map.entry(child).or_default().push(name.clone());
                }
            }
        }
        map
    }

    /// The keys trusted for `role` by its current delegator(s), with their public keys.
    pub(crate) fn current_trusted_keys(
        &self,
        role: &str,
        delegators: &BTreeMap<String, Vec<String>>,
    ) -> Vec<(KeyId, PublicKey)> {
        if crate::expiry::is_top_level(role) {
            return root_keys(&self.root.current, role);
        }
        let mut keys = Vec::new();
        for delegator in delegators.get(role).into_iter().flatten() {
            if let Some(tracked) = self.targets.get(delegator) {
                merge_keys(&mut keys, delegated_keys(&tracked.current, role));
            }
        }
        keys
    }
}

/// How to name `storage` in messages.
fn storage_name(storage: &dyn Storage) -> String {
    storage.describe()
}
