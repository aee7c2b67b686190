//! The repository simulator: any repository state, served as an exact map of files, with
//! tampering.
//!
//! The simulator holds the `signed` part of every role ([`RepositorySimulator::root`],
//! [`RepositorySimulator::timestamp`], [`RepositorySimulator::snapshot`],
//! [`RepositorySimulator::targets`] for `targets` and every delegated role) and the private key
//! of every key it made. [`RepositorySimulator::files`] signs everything and returns the files
//! a repository would serve:
//!
//! - `metadata/N.root.json` for every published root ([`RepositorySimulator::publish_root`]);
//! - `metadata/timestamp.json`;
//! - `metadata/V.snapshot.json` and `metadata/V.<quoted role>.json` with consistent snapshots
//!   (V as listed by timestamp and snapshot), `metadata/snapshot.json` and
//!   `metadata/<quoted role>.json` without;
//! - `targets/<dir>/<hash>.<name>` for every listed hash with consistent snapshots,
//!   `targets/<path>` without.
//!
//! Snapshot's `meta` is rebuilt from the targets roles on every call and timestamp's
//! `snapshot.json` entry from snapshot (unless overridden), so scenarios only bump versions.
//! Tampering happens after signing: [`Tamper`] per role, substituted bytes per served path,
//! wrong target bytes, and hostile [`Behaviour`]s the server applies per path.
//!
//! A simulator is live ([`RepositorySimulator::new`]: fresh keys, the system clock) or frozen
//! ([`RepositorySimulator::frozen`]: keys from fixed seeds, a fixed "now"), which the export
//! uses so that its data is reproducible.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::Value;
use tuf_crypto::{KeyId, PrivateKey, PublicKey, Scheme, Signer};
use tuf_metadata::{
    DelegatedRole, Delegations, Expires, MetaFile, Metadata, Root, Signed, Snapshot, SuccinctRoles,
    TOP_LEVEL_ROLE_NAMES, TargetFile, Targets, Timestamp, canonical,
};

use crate::{Error, quote};

/// The top-level targets role.
pub const TARGETS: &str = "targets";
/// The size of RSA keys the simulator makes (the smallest accepted, to keep tests fast).
pub const RSA_BITS: usize = 2048;
/// How long metadata of a live simulator ([`RepositorySimulator::new`]) is valid: a year.
pub const LIVE_LIFETIME: i64 = 365 * 24 * 3600;
/// The "now" of a frozen simulator ([`RepositorySimulator::frozen`]): 2025-01-01T00:00:00Z.
/// Expired metadata is dated before it, so it is expired for any later clock.
pub const FROZEN_NOW: i64 = 1_735_689_600;
/// How long metadata of a frozen simulator is valid: 100 years of 365 days from
/// [`FROZEN_NOW`] (until 2124-12-07), so that its files stay valid for a client reading the
/// real clock.
pub const FROZEN_LIFETIME: i64 = 100 * 365 * 24 * 3600;

/// How a repository is set up before any step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimOptions {
    /// Root's `consistent_snapshot`.
    pub consistent_snapshot: bool,
    /// The scheme of every key the simulator makes.
    pub scheme: Scheme,
    /// Timestamp lists the length and sha256 of snapshot.
    pub timestamp_lists_hashes: bool,
    /// Snapshot lists the length and sha256 of every targets role.
    pub snapshot_lists_hashes: bool,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            consistent_snapshot: true,
            scheme: Scheme::Ed25519,
            timestamp_lists_hashes: false,
            snapshot_lists_hashes: false,
        }
    }
}

/// Damage done to a role's metadata after it is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tamper {
    /// Flip one bit of every signature.
    BadSignature,
    /// Remove every signature.
    NoSignatures,
    /// Append whitespace: the signature still verifies, the length and hashes change.
    AppendWhitespace,
    /// Serve these bytes instead.
    Replace(Vec<u8>),
    /// Append this many bytes of whitespace (still valid, still verifying JSON): for size
    /// limits and listed lengths.
    Pad(usize),
    /// List every signature twice (same key id, same bytes): a threshold must count it once.
    DuplicateSignatures,
}

/// How the server answers a request for one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// 404 Not Found, even if the file exists.
    NotFound,
    /// This HTTP status with a short body.
    Status(u16),
    /// Close the connection without a response.
    Drop,
    /// 200 with no `Content-Length` and a body that never ends (the server gives up after
    /// [`crate::server::ENDLESS_LIMIT`] bytes).
    Endless,
    /// 200 declaring a huge `Content-Length`
    /// ([`crate::server::ENDLESS_DECLARED_LENGTH`]), then an endless body.
    EndlessDeclared,
    /// The file, with its `Content-Length`, sent this many bytes per second.
    Trickle {
        /// Body bytes per second.
        bytes_per_second: u32,
    },
    /// The file with a `Content-Length` 100 bytes longer than the body, then a close.
    Truncate,
    /// The whole file, but with a `Content-Length` 10 bytes shorter than it (a client reads
    /// only what is declared).
    ShortLength,
    /// `302 Found` with `Location: http://<to>/<the same path>`: a redirect to another host.
    Redirect {
        /// The host (address and port) redirected to.
        to: std::net::SocketAddr,
    },
}

/// The simulated repository.
pub struct RepositorySimulator {
    /// Root being prepared (published with [`RepositorySimulator::publish_root`]).
    pub root: Root,
    /// Timestamp; its snapshot entry is filled in by [`RepositorySimulator::files`].
    pub timestamp: Timestamp,
    /// Snapshot; its `meta` is rebuilt by [`RepositorySimulator::files`].
    pub snapshot: Snapshot,
    /// `targets` and every delegated targets role, by role name.
    pub targets: BTreeMap<String, Targets>,
    options: SimOptions,
    now: i64,
    lifetime: i64,
    seeded: bool,
    keys_made: u64,
    keyring: BTreeMap<KeyId, Box<dyn Signer>>,
    published_roots: Vec<Vec<u8>>,
    previous_root_signers: Vec<KeyId>,
    signer_overrides: BTreeMap<String, Vec<KeyId>>,
    target_data: BTreeMap<(String, String), Vec<u8>>,
    target_byte_overrides: BTreeMap<String, Vec<u8>>,
    tampers: BTreeMap<String, Vec<Tamper>>,
    file_overrides: BTreeMap<String, Option<Vec<u8>>>,
    behaviours: BTreeMap<String, Behaviour>,
    snapshot_meta_overrides: BTreeMap<String, Option<MetaFile>>,
    timestamp_meta_override: Option<MetaFile>,
    history: BTreeMap<(String, u64), Vec<u8>>,
    memo: BTreeMap<String, (Vec<u8>, Vec<u8>)>,
    served_paths: BTreeMap<String, String>,
}

/// Unix time now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// An expiry `seconds` from now by the system clock (negative: in the past); a simulator's
/// own clock is [`RepositorySimulator::expires_in`].
///
/// # Errors
/// [`Error::Time`] if the moment cannot be written as TUF metadata (before year 1 or after
/// 9999).
pub fn expires_in(seconds: i64) -> Result<Expires, Error> {
    Expires::from_unix_seconds(now().saturating_add(seconds)).ok_or(Error::Time { seconds })
}

fn expires_at(now: i64, seconds: i64) -> Result<Expires, Error> {
    Expires::from_unix_seconds(now.saturating_add(seconds)).ok_or(Error::Time { seconds })
}

impl RepositorySimulator {
    /// A repository with one key per top-level role (threshold 1), an empty `targets`, and
    /// root version 1 published. Keys are fresh from the operating system's generator, and
    /// metadata is valid for [`LIVE_LIFETIME`] from the system clock.
    ///
    /// # Errors
    /// Key generation or signing failures.
    pub fn new(options: SimOptions) -> Result<Self, Error> {
        RepositorySimulator::build(options, now(), LIVE_LIFETIME, false)
    }

    /// As [`RepositorySimulator::new`], but reproducible: key `n` of each scheme is derived
    /// from a fixed seed (the same in every frozen simulator), signatures do not vary
    /// (RSASSA-PSS salts are derived from the key and the message), "now" is [`FROZEN_NOW`] and metadata is valid for
    /// [`FROZEN_LIFETIME`]. The same steps give the same files, byte for byte, on every run.
    ///
    /// # Errors
    /// Key generation or signing failures.
    pub fn frozen(options: SimOptions) -> Result<Self, Error> {
        RepositorySimulator::build(options, FROZEN_NOW, FROZEN_LIFETIME, true)
    }

    fn build(options: SimOptions, now: i64, lifetime: i64, seeded: bool) -> Result<Self, Error> {
        let expires = expires_at(now, lifetime)?;
        let mut root = Root::new(expires);
        root.consistent_snapshot = Some(options.consistent_snapshot);
        let mut sim = RepositorySimulator {
            root,
            timestamp: Timestamp::new(expires),
            snapshot: Snapshot::new(expires),
            targets: BTreeMap::from([(TARGETS.to_owned(), Targets::new(expires))]),
            options,
            now,
            lifetime,
            seeded,
            keys_made: 0,
            keyring: BTreeMap::new(),
            published_roots: Vec::new(),
            previous_root_signers: Vec::new(),
            signer_overrides: BTreeMap::new(),
            target_data: BTreeMap::new(),
            target_byte_overrides: BTreeMap::new(),
            tampers: BTreeMap::new(),
            file_overrides: BTreeMap::new(),
            behaviours: BTreeMap::new(),
            snapshot_meta_overrides: BTreeMap::new(),
            timestamp_meta_override: None,
            history: BTreeMap::new(),
            memo: BTreeMap::new(),
            served_paths: BTreeMap::new(),
        };
        for role in TOP_LEVEL_ROLE_NAMES {
            sim.add_signing_key(role)?;
        }
        sim.publish_root()?;
        Ok(sim)
    }

    /// The options the repository was made with.
    pub fn options(&self) -> SimOptions {
        self.options
    }

    /// The simulator's "now" in Unix seconds: the system clock when it was made, or
    /// [`FROZEN_NOW`].
    pub fn now(&self) -> i64 {
        self.now
    }

    /// How long new metadata is valid: [`LIVE_LIFETIME`] or [`FROZEN_LIFETIME`].
    pub fn lifetime(&self) -> i64 {
        self.lifetime
    }

    /// An expiry `seconds` after the simulator's "now" (negative: before it).
    ///
    /// # Errors
    /// [`Error::Time`] if the moment cannot be written as TUF metadata.
    pub fn expires_in(&self, seconds: i64) -> Result<Expires, Error> {
        expires_at(self.now, seconds)
    }

    /// The expiry of new metadata: [`RepositorySimulator::lifetime`] after "now".
    ///
    /// # Errors
    /// [`Error::Time`].
    pub fn valid_expires(&self) -> Result<Expires, Error> {
        self.expires_in(self.lifetime)
    }

    /// Switches consistent snapshots on or off, in root (publish it afterwards) and in how
    /// files are served.
    pub fn set_consistent_snapshot(&mut self, consistent: bool) {
        self.root.consistent_snapshot = Some(consistent);
        self.options.consistent_snapshot = consistent;
    }

    /// Makes a new key of the repository's scheme and keeps its private half.
    ///
    /// # Errors
    /// Key generation failures.
    pub fn new_key(&mut self) -> Result<KeyId, Error> {
        self.new_key_with(self.options.scheme)
    }

    /// Makes a new key of `scheme` (RSA keys have [`RSA_BITS`] bits).
    ///
    /// # Errors
    /// Key generation failures.
    pub fn new_key_with(&mut self, scheme: Scheme) -> Result<KeyId, Error> {
        let index = self.keys_made;
        self.keys_made += 1;
        let key: Box<dyn Signer> = if self.seeded {
            crate::seeded::key(scheme, index)?
        } else if scheme.keytype() == "rsa" {
            Box::new(PrivateKey::generate_rsa(scheme, RSA_BITS)?)
        } else {
            Box::new(PrivateKey::generate(scheme)?)
        };
        let keyid = key.key_id();
        self.keyring.insert(keyid.clone(), key);
        Ok(keyid)
    }

    /// The public key of `keyid`.
    ///
    /// # Errors
    /// [`Error::UnknownKey`].
    pub fn public_key(&self, keyid: &KeyId) -> Result<PublicKey, Error> {
        self.keyring
            .get(keyid)
            .map(|k| k.public_key().clone())
            .ok_or_else(|| Error::UnknownKey {
                keyid: keyid.as_str().to_owned(),
            })
    }

    /// Adds a new key to top-level `role` in root (not yet published); it signs by default.
    ///
    /// # Errors
    /// Key generation failures, [`Error::UnknownRole`].
    pub fn add_signing_key(&mut self, role: &str) -> Result<KeyId, Error> {
        let keyid = self.new_key()?;
        self.authorize(role, &keyid)?;
        Ok(keyid)
    }

    /// Adds the existing `keyid` to top-level `role` in root (not yet published).
    ///
    /// # Errors
    /// [`Error::UnknownKey`], [`Error::UnknownRole`].
    pub fn authorize(&mut self, role: &str, keyid: &KeyId) -> Result<(), Error> {
        let public = self.public_key(keyid)?;
        self.root.add_key(role, public)?;
        Ok(())
    }

    /// Sets the threshold of a top-level role in root, or of a delegated role in its
    /// delegator(s).
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn set_threshold(&mut self, role: &str, threshold: u64) -> Result<(), Error> {
        if let Some(entry) = self.root.roles.get_mut(role) {
            entry.threshold = threshold;
            return Ok(());
        }
        let mut found = false;
        for targets in self.targets.values_mut() {
            if let Some(roles) = targets.delegations.as_mut().and_then(|d| d.roles.as_mut()) {
                for entry in roles.iter_mut().filter(|r| r.name == role) {
                    entry.threshold = threshold;
                    found = true;
                }
            }
        }
        found.then_some(()).ok_or_else(|| unknown(role))
    }

    /// Replaces every key of `role` by one new key: in root for a top-level role (publish a
    /// new root afterwards), in every delegator for a delegated role. The next root is still
    /// signed by the old root keys as well (spec 5.3.4).
    ///
    /// # Errors
    /// Key generation failures, [`Error::UnknownRole`].
    pub fn rotate_keys(&mut self, role: &str) -> Result<KeyId, Error> {
        let keyid = self.new_key()?;
        let public = self.public_key(&keyid)?;
        if TOP_LEVEL_ROLE_NAMES.contains(&role) {
            let old: Vec<KeyId> = self
                .root
                .roles
                .get(role)
                .map(|r| r.keyids.clone())
                .unwrap_or_default();
            for id in &old {
                self.root.revoke_key(role, id)?;
            }
            self.root.add_key(role, public)?;
            return Ok(keyid);
        }
        let mut found = false;
        for targets in self.targets.values_mut() {
            let Some(delegations) = targets.delegations.as_mut() else {
                continue;
            };
            let Some(roles) = delegations.roles.as_mut() else {
                continue;
            };
            for entry in roles.iter_mut().filter(|r| r.name == role) {
                entry.keyids = vec![keyid.clone()];
                found = true;
            }
            if found {
                delegations.keys.insert(keyid.clone(), public.clone());
            }
        }
        self.signer_overrides.remove(role);
        found.then_some(keyid).ok_or_else(|| unknown(role))
    }

    /// Signs `role` with exactly these keys from now on (whether trusted or not).
    pub fn sign_with(&mut self, role: &str, keyids: Vec<KeyId>) {
        self.signer_overrides.insert(role.to_owned(), keyids);
    }

    /// Goes back to signing `role` with the keys trusted for it.
    pub fn sign_with_trusted(&mut self, role: &str) {
        self.signer_overrides.remove(role);
    }

    /// Signs root as it stands now and publishes it as the next version (the version field is
    /// set to the number of published roots plus one). It is signed by the current root keys
    /// and by the keys of the previous root.
    ///
    /// # Errors
    /// Signing failures.
    pub fn publish_root(&mut self) -> Result<(), Error> {
        let version = self.published_roots.len() as u64 + 1;
        self.root.version = version;
        let current = self.role_keyids("root");
        let signers = match self.signer_overrides.get("root") {
            Some(keys) => keys.clone(),
            None => {
                let mut all = self.previous_root_signers.clone();
                for k in &current {
                    if !all.contains(k) {
                        all.push(k.clone());
                    }
                }
                all
            }
        };
        let bytes = self.sign(self.root.clone(), &signers)?;
        self.history
            .insert(("root".to_owned(), version), bytes.clone());
        self.published_roots.push(bytes);
        self.previous_root_signers = current;
        Ok(())
    }

    /// A copy of the current root, changed by `edit` and signed by the keys that would sign
    /// the next published root; for serving malformed roots with
    /// [`RepositorySimulator::override_file`].
    ///
    /// # Errors
    /// Signing failures.
    pub fn signed_root_copy(&self, edit: impl FnOnce(&mut Root)) -> Result<Vec<u8>, Error> {
        let mut root = self.root.clone();
        edit(&mut root);
        let mut signers = self.previous_root_signers.clone();
        for k in self.role_keyids("root") {
            if !signers.contains(&k) {
                signers.push(k);
            }
        }
        self.sign(root, &signers)
    }

    /// The bytes of published root `version`.
    pub fn published_root(&self, version: u64) -> Option<&[u8]> {
        let index = usize::try_from(version.checked_sub(1)?).ok()?;
        self.published_roots.get(index).map(Vec::as_slice)
    }

    /// How many roots are published.
    pub fn root_count(&self) -> u64 {
        self.published_roots.len() as u64
    }

    /// The targets role `role`.
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn targets_mut(&mut self, role: &str) -> Result<&mut Targets, Error> {
        self.targets.get_mut(role).ok_or_else(|| unknown(role))
    }

    /// Adds target `path` with content `data` to targets role `role` (listed with its sha256).
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn add_target(&mut self, role: &str, path: &str, data: &[u8]) -> Result<(), Error> {
        self.add_target_hashed(role, path, data, &["sha256"])
    }

    /// Adds target `path` listed with the hashes of `algorithms`.
    ///
    /// # Errors
    /// [`Error::UnknownRole`], unsupported algorithms.
    pub fn add_target_hashed(
        &mut self,
        role: &str,
        path: &str,
        data: &[u8],
        algorithms: &[&str],
    ) -> Result<(), Error> {
        let file = TargetFile::from_data(data, algorithms)?;
        self.targets_mut(role)?
            .targets
            .insert(path.to_owned(), file);
        self.target_data
            .insert((role.to_owned(), path.to_owned()), data.to_vec());
        Ok(())
    }

    /// Serves `data` for target `path` (at every URL of it) instead of the listed content.
    pub fn serve_target_bytes(&mut self, path: &str, data: &[u8]) {
        self.target_byte_overrides
            .insert(path.to_owned(), data.to_vec());
    }

    /// Bumps the version of `role` (for root use [`RepositorySimulator::publish_root`]).
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn bump(&mut self, role: &str) -> Result<(), Error> {
        match role {
            "timestamp" => self.timestamp.version += 1,
            "snapshot" => self.snapshot.version += 1,
            "root" => self.root.version += 1,
            _ => self.targets_mut(role)?.version += 1,
        }
        Ok(())
    }

    /// Bumps `role` and every role above it: a targets role, then snapshot, then timestamp,
    /// as a repository does on every change.
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn update(&mut self, role: &str) -> Result<(), Error> {
        match role {
            "timestamp" => self.bump("timestamp"),
            "snapshot" => {
                self.bump("snapshot")?;
                self.bump("timestamp")
            }
            _ => {
                self.bump(role)?;
                self.bump("snapshot")?;
                self.bump("timestamp")
            }
        }
    }

    /// Makes `role` expire a day ago (root: publish it afterwards).
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn expire(&mut self, role: &str) -> Result<(), Error> {
        self.set_expires(role, self.expires_in(-24 * 3600)?)
    }

    /// Sets the expiry of `role`.
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn set_expires(&mut self, role: &str, expires: Expires) -> Result<(), Error> {
        match role {
            "timestamp" => self.timestamp.expires = expires,
            "snapshot" => self.snapshot.expires = expires,
            "root" => self.root.expires = expires,
            _ => self.targets_mut(role)?.expires = expires,
        }
        Ok(())
    }

    /// Delegates `paths` from `delegator` to a new role `name` with one new key (threshold 1).
    /// If `name` already exists (a diamond), its metadata is kept and only the delegation is
    /// added.
    ///
    /// # Errors
    /// [`Error::UnknownRole`], key generation failures.
    pub fn delegate(
        &mut self,
        delegator: &str,
        name: &str,
        paths: &[&str],
        terminating: bool,
    ) -> Result<KeyId, Error> {
        let keyid = self.new_key()?;
        let role = DelegatedRole::with_paths(
            name,
            vec![keyid.clone()],
            1,
            terminating,
            paths.iter().map(|p| (*p).to_owned()).collect(),
        );
        self.add_delegation(delegator, role)?;
        Ok(keyid)
    }

    /// Adds `role` (its keys must be in the keyring) to `delegator`'s delegations and creates
    /// its metadata if it does not exist yet.
    ///
    /// # Errors
    /// [`Error::UnknownRole`], [`Error::UnknownKey`].
    pub fn add_delegation(&mut self, delegator: &str, role: DelegatedRole) -> Result<(), Error> {
        let keys: Vec<(KeyId, PublicKey)> = role
            .keyids
            .iter()
            .map(|k| Ok((k.clone(), self.public_key(k)?)))
            .collect::<Result<_, Error>>()?;
        let name = role.name.clone();
        let expires = self.valid_expires()?;
        let parent = self.targets_mut(delegator)?;
        let delegations = parent
            .delegations
            .get_or_insert_with(|| Delegations::with_roles(BTreeMap::new(), Vec::new()));
        delegations.keys.extend(keys);
        delegations.roles.get_or_insert_with(Vec::new).push(role);
        self.targets
            .entry(name)
            .or_insert_with(|| Targets::new(expires));
        Ok(())
    }

    /// Delegates from `delegator` to `2^bit_length` succinct hash bins named
    /// `<prefix>-<hex>`, all trusting one new key; creates the metadata of every bin.
    ///
    /// # Errors
    /// [`Error::UnknownRole`], a bit length outside 1..=32, key generation failures.
    pub fn add_succinct_bins(
        &mut self,
        delegator: &str,
        bit_length: u8,
        prefix: &str,
    ) -> Result<KeyId, Error> {
        let keyid = self.new_key()?;
        let public = self.public_key(&keyid)?;
        let bins = SuccinctRoles::new(vec![keyid.clone()], 1, bit_length, prefix)?;
        let names: Vec<String> = bins.role_names().collect();
        let expires = self.valid_expires()?;
        let parent = self.targets_mut(delegator)?;
        parent.delegations = Some(Delegations {
            keys: BTreeMap::from([(keyid.clone(), public)]),
            roles: None,
            succinct_roles: Some(bins),
            unrecognized_fields: serde_json::Map::new(),
        });
        for name in names {
            self.targets.insert(name, Targets::new(expires));
        }
        Ok(keyid)
    }

    /// The succinct bin of `delegator` responsible for `target_path`.
    ///
    /// # Errors
    /// [`Error::UnknownRole`] if `delegator` has no succinct bins.
    pub fn bin_for(&self, delegator: &str, target_path: &str) -> Result<String, Error> {
        self.targets
            .get(delegator)
            .and_then(|t| t.delegations.as_ref())
            .and_then(|d| d.succinct_roles.as_ref())
            .map(|bins| bins.role_for_target(target_path))
            .ok_or_else(|| unknown(delegator))
    }

    /// Damages `role`'s metadata after signing (cumulative until
    /// [`RepositorySimulator::clear_tampers`]).
    pub fn tamper(&mut self, role: &str, tamper: Tamper) {
        self.tampers
            .entry(role.to_owned())
            .or_default()
            .push(tamper);
    }

    /// Removes every tamper of `role`.
    pub fn clear_tampers(&mut self, role: &str) {
        self.tampers.remove(role);
    }

    /// Serves, in place of `role`'s current metadata, the bytes it had at `version` (as
    /// generated by an earlier [`RepositorySimulator::files`]): a rollback or replay.
    ///
    /// # Errors
    /// [`Error::NoSuchVersion`].
    pub fn serve_old(&mut self, role: &str, version: u64) -> Result<(), Error> {
        let bytes = self
            .history
            .get(&(role.to_owned(), version))
            .cloned()
            .ok_or_else(|| Error::NoSuchVersion {
                role: role.to_owned(),
                version,
            })?;
        self.tamper(role, Tamper::Replace(bytes));
        Ok(())
    }

    /// Serves `bytes` at `path` (relative to the server root), or a 404 with `None`, whatever
    /// the repository holds.
    pub fn override_file(&mut self, path: &str, bytes: Option<Vec<u8>>) {
        self.file_overrides.insert(path.to_owned(), bytes);
    }

    /// Overrides what snapshot lists for `role` (`None`: leave it out).
    pub fn override_snapshot_meta(&mut self, role: &str, meta: Option<MetaFile>) {
        self.snapshot_meta_overrides.insert(role.to_owned(), meta);
    }

    /// Overrides what timestamp lists for snapshot.
    pub fn override_timestamp_meta(&mut self, meta: Option<MetaFile>) {
        self.timestamp_meta_override = meta;
    }

    /// Answers requests for `path` with `behaviour`.
    pub fn set_behaviour(&mut self, path: &str, behaviour: Behaviour) {
        self.behaviours.insert(path.to_owned(), behaviour);
    }

    /// Serves `path` normally again.
    pub fn clear_behaviour(&mut self, path: &str) {
        self.behaviours.remove(path);
    }

    /// The behaviours set per path.
    pub fn behaviours(&self) -> &BTreeMap<String, Behaviour> {
        &self.behaviours
    }

    /// Where `role`'s metadata was served by the last [`RepositorySimulator::files`]
    /// (`metadata/...`).
    pub fn served_path(&self, role: &str) -> Option<&str> {
        self.served_paths.get(role).map(String::as_str)
    }

    /// The URL path (relative to the server root) a client requests target `path` at: with
    /// consistent snapshots `targets/<dir>/<hash>.<name>` with the first listed hash of the
    /// first role listing it.
    pub fn target_request_path(&self, path: &str) -> String {
        let digest = self
            .targets
            .values()
            .find_map(|t| t.targets.get(path))
            .and_then(|f| f.hashes.values().next().map(str::to_owned));
        match (self.options.consistent_snapshot, digest) {
            (true, Some(digest)) => format!("targets/{}", hash_prefixed(path, &digest)),
            _ => format!("targets/{path}"),
        }
    }

    /// Signs every role and returns the files the repository serves, by path relative to the
    /// server root. Also records each role's bytes by version for
    /// [`RepositorySimulator::serve_old`].
    ///
    /// # Errors
    /// Signing failures.
    pub fn files(&mut self) -> Result<BTreeMap<String, Vec<u8>>, Error> {
        let consistent = self.options.consistent_snapshot;
        let mut out = BTreeMap::new();
        for (index, bytes) in self.published_roots.iter().enumerate() {
            out.insert(format!("metadata/{}.root.json", index + 1), bytes.clone());
        }
        self.served_paths.clear();

        // Targets roles.
        let mut snapshot = self.snapshot.clone();
        snapshot.meta.clear();
        let roles: Vec<(String, Targets)> = self
            .targets
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut role_files = Vec::new();
        for (name, targets) in roles {
            let version = targets.version;
            let (clean, served) = self.render(&name, targets)?;
            let meta = match self.snapshot_meta_overrides.get(&name) {
                Some(over) => over.clone(),
                None if self.options.snapshot_lists_hashes => {
                    Some(MetaFile::from_data(version, &clean, &["sha256"])?)
                }
                None => Some(MetaFile::new(version)),
            };
            let listed = meta.as_ref().map_or(version, |m| m.version);
            if let Some(meta) = meta {
                snapshot.meta.insert(format!("{name}.json"), meta);
            }
            role_files.push((name, listed, served));
        }
        for (name, listed, served) in role_files {
            let path = metadata_path(&name, consistent.then_some(listed));
            self.served_paths.insert(name, path.clone());
            out.insert(path, served);
        }

        // Snapshot and timestamp.
        let snapshot_version = snapshot.version;
        let (clean, served) = self.render("snapshot", snapshot)?;
        let meta = match &self.timestamp_meta_override {
            Some(meta) => meta.clone(),
            None if self.options.timestamp_lists_hashes => {
                MetaFile::from_data(snapshot_version, &clean, &["sha256"])?
            }
            None => MetaFile::new(snapshot_version),
        };
        let path = metadata_path("snapshot", consistent.then_some(meta.version));
        self.served_paths
            .insert("snapshot".to_owned(), path.clone());
        out.insert(path, served);
        let mut timestamp = self.timestamp.clone();
        timestamp.snapshot_meta = meta;
        let (_, served) = self.render("timestamp", timestamp)?;
        self.served_paths
            .insert("timestamp".to_owned(), "metadata/timestamp.json".to_owned());
        out.insert("metadata/timestamp.json".to_owned(), served);

        // Target files.
        for ((role, path), data) in &self.target_data {
            let Some(file) = self.targets.get(role).and_then(|t| t.targets.get(path)) else {
                continue;
            };
            let body = self.target_byte_overrides.get(path).unwrap_or(data);
            if consistent {
                for digest in file.hashes.values() {
                    out.insert(
                        format!("targets/{}", hash_prefixed(path, digest)),
                        body.clone(),
                    );
                }
            } else {
                out.insert(format!("targets/{path}"), body.clone());
            }
        }

        for (path, bytes) in &self.file_overrides {
            match bytes {
                Some(bytes) => out.insert(path.clone(), bytes.clone()),
                None => out.remove(path),
            };
        }
        Ok(out)
    }

    /// Signs `signed` as `role` (memoised, so unchanged metadata keeps its bytes even with
    /// randomised signature schemes), records it in the history, and applies the tampers.
    /// Returns the clean and the served bytes.
    fn render<T: Signed>(&mut self, role: &str, signed: T) -> Result<(Vec<u8>, Vec<u8>), Error> {
        let version = signed.version();
        let signers = self.role_signers(role);
        let mut fingerprint = canonical::to_vec(&signed.to_value())
            .map_err(|e| Error::Metadata(tuf_metadata::Error::CanonicalJson(e)))?;
        for k in &signers {
            fingerprint.extend_from_slice(b"\0");
            fingerprint.extend_from_slice(k.as_str().as_bytes());
        }
        let clean = match self.memo.get(role) {
            Some((f, bytes)) if *f == fingerprint => bytes.clone(),
            _ => {
                let bytes = self.sign(signed, &signers)?;
                self.memo
                    .insert(role.to_owned(), (fingerprint, bytes.clone()));
                bytes
            }
        };
        self.history
            .insert((role.to_owned(), version), clean.clone());
        let mut served = clean.clone();
        for tamper in self.tampers.get(role).into_iter().flatten() {
            served = apply(tamper, &served)?;
        }
        Ok((clean, served))
    }

    fn sign<T: Signed>(&self, signed: T, signers: &[KeyId]) -> Result<Vec<u8>, Error> {
        let mut metadata = Metadata::new(signed);
        for keyid in signers {
            let key = self.keyring.get(keyid).ok_or_else(|| Error::UnknownKey {
                keyid: keyid.as_str().to_owned(),
            })?;
            metadata.sign(key.as_ref())?;
        }
        Ok(metadata.to_bytes())
    }

    /// Signs an arbitrary `signed` object (malformed or of the wrong type, as the scenario
    /// needs) with the keys that sign `role`, in the envelope a repository serves.
    ///
    /// # Errors
    /// Canonicalisation or signing failures, [`Error::UnknownKey`].
    pub fn sign_json(&self, role: &str, signed: Value) -> Result<Vec<u8>, Error> {
        let payload = canonical::to_vec(&signed)
            .map_err(|e| Error::Metadata(tuf_metadata::Error::CanonicalJson(e)))?;
        let mut signatures = Vec::new();
        for keyid in self.role_signers(role) {
            let key = self.keyring.get(&keyid).ok_or_else(|| Error::UnknownKey {
                keyid: keyid.as_str().to_owned(),
            })?;
            let raw = key.try_sign(&payload)?;
            signatures.push(serde_json::json!({"keyid": keyid.as_str(), "sig": hex::encode(raw)}));
        }
        Ok(pretty(
            &serde_json::json!({"signatures": signatures, "signed": signed}),
        ))
    }

    /// The bytes of `role` at `version` as last signed by [`RepositorySimulator::files`]
    /// (before any tampering).
    pub fn signed_bytes(&self, role: &str, version: u64) -> Option<&[u8]> {
        self.history
            .get(&(role.to_owned(), version))
            .map(Vec::as_slice)
    }

    /// Makes `alias` a second key id for the key material of `keyid` (what a client must not
    /// count twice towards a threshold); signatures by either carry the alias only when
    /// copied by hand.
    ///
    /// # Errors
    /// [`Error::UnknownKey`].
    pub fn alias_key(&mut self, keyid: &KeyId, alias: &str) -> Result<KeyId, Error> {
        let public = self.public_key(keyid)?;
        let alias = KeyId::new(alias);
        self.root.keys.insert(alias.clone(), public);
        Ok(alias)
    }

    /// The keys trusted for `role`: from root, or from the first delegator listing it.
    pub fn role_keyids(&self, role: &str) -> Vec<KeyId> {
        if let Some(entry) = self.root.roles.get(role) {
            return entry.keyids.clone();
        }
        self.targets
            .values()
            .filter_map(|t| t.delegations.as_ref())
            .find_map(|d| d.role_keys(role).map(|k| k.keyids.to_vec()))
            .unwrap_or_default()
    }

    fn role_signers(&self, role: &str) -> Vec<KeyId> {
        self.signer_overrides
            .get(role)
            .cloned()
            .unwrap_or_else(|| self.role_keyids(role))
    }
}

fn unknown(role: &str) -> Error {
    Error::UnknownRole {
        role: role.to_owned(),
    }
}

/// `metadata/V.<quoted role>.json` or `metadata/<quoted role>.json`.
fn metadata_path(role: &str, version: Option<u64>) -> String {
    match version {
        Some(v) => format!("metadata/{v}.{}.json", quote(role)),
        None => format!("metadata/{}.json", quote(role)),
    }
}

/// `dir/<digest>.name` for target path `dir/name`.
fn hash_prefixed(path: &str, digest: &str) -> String {
    match path.rsplit_once('/') {
        Some((dir, name)) => format!("{dir}/{digest}.{name}"),
        None => format!("{digest}.{path}"),
    }
}

fn apply(tamper: &Tamper, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(match tamper {
        Tamper::Replace(new) => new.clone(),
        Tamper::AppendWhitespace => {
            let mut out = bytes.to_vec();
            out.extend_from_slice(b"\n   \n");
            out
        }
        Tamper::Pad(count) => {
            let mut out = bytes.to_vec();
            out.resize(bytes.len().saturating_add(*count), b' ');
            out
        }
        Tamper::DuplicateSignatures => {
            let mut value: Value = serde_json::from_slice(bytes)?;
            if let Some(signatures) = value.get_mut("signatures").and_then(Value::as_array_mut) {
                let copy = signatures.clone();
                signatures.extend(copy);
            }
            pretty(&value)
        }
        Tamper::BadSignature | Tamper::NoSignatures => {
            let mut value: Value = serde_json::from_slice(bytes)?;
            if let Some(signatures) = value.get_mut("signatures").and_then(Value::as_array_mut) {
                if *tamper == Tamper::NoSignatures {
                    signatures.clear();
                }
                for signature in signatures.iter_mut() {
                    if let Some(Value::String(sig)) = signature.get_mut("sig") {
                        *sig = flip_last_hex(sig);
                    }
                }
            }
            pretty(&value)
        }
    })
}

fn flip_last_hex(sig: &str) -> String {
    let mut chars: Vec<char> = sig.chars().collect();
    if let Some(last) = chars.last_mut() {
        *last = match last.to_digit(16) {
            Some(d) => char::from_digit(d ^ 1, 16).unwrap_or('0'),
            None => '0',
        };
    }
    chars.into_iter().collect()
}

/// JSON as python-tuf writes it (sorted keys, one-space indentation).
fn pretty(value: &Value) -> Vec<u8> {
    let mut out = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    if serde::Serialize::serialize(value, &mut serializer).is_err() {
        out.clear();
    }
    out
}
