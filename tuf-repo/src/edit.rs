//! Edits: targets, delegations, succinct hash bins, keys, thresholds, expiry. Each marks the
//! roles it changes; nothing is signed or written until [`Repository::publish`] (or saved
//! for a later command by [`Repository::save`]).

use std::collections::{BTreeMap, HashMap};

use serde_json::Map;
use tuf_crypto::{KeyId, PublicKey, Scheme, Signer};
use tuf_metadata::{
    DelegatedRole, Delegations, Expires, Keys, SuccinctRoles, TOP_LEVEL_ROLE_NAMES, TargetFile,
    Targets,
};

use crate::expiry::is_top_level;
use crate::import::{self, TargetSource};
use crate::progress::Progress;
use crate::repository::{Repository, Tracked};
use crate::{Error, Storage, layout};

/// Most nested succinct delegations followed when placing a target.
const MAX_BIN_DEPTH: usize = 32;

/// Largest number of succinct hash bins (`bit_length` 14).
pub const MAX_BINS: u64 = 16384;

/// What a delegation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DelegatedPaths {
    /// Shell-style glob patterns of target paths (`*` never crosses `/`).
    Globs(Vec<String>),
    /// Lower-case hex prefixes of the SHA-256 of target paths.
    HashPrefixes(Vec<String>),
}

/// A new delegation, for [`Repository::delegate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegationOptions {
    /// The target paths delegated.
    pub paths: DelegatedPaths,
    /// Whether the search for a target stops at the new role when its paths match.
    pub terminating: bool,
    /// How many of the new role's keys must sign; that many keys are generated.
    pub threshold: u64,
    /// The scheme of the new keys.
    pub scheme: Scheme,
}

/// A change to the key ids and threshold of a role.
type KeyChange = dyn Fn(&mut Vec<KeyId>, &mut u64) -> Result<(), Error>;

/// Who lists the keys of a role.
enum KeyHolder {
    /// Root, for a top-level role.
    Root,
    /// These targets roles, for a delegated role.
    Delegators(Vec<String>),
}

impl<S: Storage> Repository<S> {
    fn tracked_mut(&mut self, role: &str) -> Result<&mut Tracked<Targets>, Error> {
        self.targets
            .get_mut(role)
            .ok_or_else(|| Error::UnknownRole {
                role: role.to_owned(),
            })
    }

    /// Whether `delegator` (current content) delegates `target_path` to `role`.
    fn delegates_path(&self, delegator: &str, role: &str, target_path: &str) -> bool {
        let Some(delegations) = self
            .targets
            .get(delegator)
            .and_then(|t| t.current.delegations.as_ref())
        else {
            return false;
        };
        if let Some(roles) = &delegations.roles {
            return roles
                .iter()
                .any(|r| r.name == role && r.is_delegated_path(target_path));
        }
        delegations
            .succinct_roles
            .as_ref()
            .is_some_and(|bins| bins.role_for_target(target_path) == role)
    }

    /// The role that gets `target_path` when it is added to `start`: `start` itself, or the
    /// bin of the path when `start` delegates to succinct hash bins. Checks that a delegated
    /// role is trusted for the path (a bin is, by construction, for the paths that hash to
    /// it). `delegators` is only computed when needed.
    fn place(
        &self,
        start: &str,
        target_path: &str,
        delegators: &dyn Fn() -> BTreeMap<String, Vec<String>>,
        cache: &mut Option<BTreeMap<String, Vec<String>>>,
    ) -> Result<String, Error> {
        if !self.targets.contains_key(start) {
            return Err(Error::UnknownRole {
                role: start.to_owned(),
            });
        }
        let mut role = start.to_owned();
        let mut binned = false;
        for _ in 0..MAX_BIN_DEPTH {
            let bins = self
                .targets
                .get(&role)
                .and_then(|t| t.current.delegations.as_ref())
                .and_then(|d| d.succinct_roles.as_ref());
            match bins {
                Some(bins) => {
                    role = bins.role_for_target(target_path);
                    binned = true;
                }
                None => break,
            }
        }
        if binned || role == "targets" {
            return Ok(role);
        }
        let delegators = cache.get_or_insert_with(delegators);
        let trusted = delegators
            .get(&role)
            .into_iter()
            .flatten()
            .any(|d| self.delegates_path(d, &role, target_path));
        if !trusted {
            return Err(Error::NotDelegated {
                role,
                path: target_path.to_owned(),
            });
        }
        Ok(role)
    }

    /// The succinct hash bins `start` delegates to, if any.
    fn bins_of(&self, start: &str) -> Option<&SuccinctRoles> {
        self.targets
            .get(start)?
            .current
            .delegations
            .as_ref()?
            .succinct_roles
            .as_ref()
    }

    /// Whether targets role `role` delegates to succinct hash bins.
    fn has_bins(&self, role: &str) -> bool {
        self.bins_of(role).is_some()
    }

    /// Adds (or replaces) target `target_path` described by `file` to `role` (default
    /// `targets`); when that role delegates to succinct hash bins, to the bin of the path.
    /// Returns the role it was added to. The file itself is not copied: see
    /// [`Repository::add_files`].
    ///
    /// # Errors
    /// [`Error::TargetPath`], [`Error::UnknownRole`], [`Error::NotDelegated`] if the role is
    /// not trusted for the path.
    pub fn add_target(
        &mut self,
        role: Option<&str>,
        target_path: &str,
        file: TargetFile,
    ) -> Result<String, Error> {
        let mut roles = self.add_targets(role, vec![(target_path.to_owned(), file)])?;
        Ok(roles.pop().unwrap_or_default())
    }

    /// [`Repository::add_target`] for many targets at once: all are added, or none. Returns
    /// the role each went to.
    ///
    /// # Errors
    /// As [`Repository::add_target`].
    pub fn add_targets(
        &mut self,
        role: Option<&str>,
        targets: Vec<(String, TargetFile)>,
    ) -> Result<Vec<String>, Error> {
        let start = role.unwrap_or("targets");
        // With bins under `start`, each path goes to its hash's bin (the bin is trusted for
        // it by construction), unless a bin delegates to bins again: then `place` walks.
        if let Some(bins) = self.bins_of(start).cloned() {
            let bin_of = bin_indices(&bins, &targets)?;
            let mut used = bin_of.clone();
            used.sort_unstable();
            used.dedup();
            let names: Vec<String> = used.iter().map(|&index| bins.bin_name(index)).collect();
            if !names.iter().any(|name| self.has_bins(name)) {
                return self.add_to_bins(targets, &bin_of, &used, &names);
            }
        }
        let mut delegators = None;
        let mut placed = Vec::with_capacity(targets.len());
        for (path, _) in &targets {
            layout::check_target_path(path)?;
            placed.push(self.place(start, path, &|| self.delegator_map(), &mut delegators)?);
        }
        // Grouped by role, so that a role's map is built in bulk.
        let mut per_role: HashMap<&str, Vec<(String, TargetFile)>> = HashMap::new();
        match placed.first() {
            Some(first) if placed.iter().all(|role| role == first) => {
                per_role.insert(first.as_str(), targets);
            }
            _ => {
                for (target, role) in targets.into_iter().zip(&placed) {
                    per_role.entry(role.as_str()).or_default().push(target);
                }
            }
        }
        for (role, batch) in per_role {
            add_batch(&mut self.tracked_mut(role)?.edit().targets, batch);
        }
        Ok(placed)
    }

    /// [`Repository::add_targets`] into succinct hash bins: `bin_of` is the bin index of each
    /// target, `used` the distinct indices (sorted) and `names` their role names. Returns the
    /// role of each target.
    fn add_to_bins(
        &mut self,
        targets: Vec<(String, TargetFile)>,
        bin_of: &[u64],
        used: &[u64],
        names: &[String],
    ) -> Result<Vec<String>, Error> {
        // Every bin must exist before any target is added: all are added, or none.
        for name in names {
            self.tracked_mut(name)?;
        }
        let slot = |index: u64| used.binary_search(&index).unwrap_or_else(|at| at);
        let placed: Vec<String> = bin_of
            .iter()
            .filter_map(|&index| names.get(slot(index)).cloned())
            .collect();
        // Targets in bin order, in their given order within a bin (a stable sort), so that
        // each bin's map is built in one piece and a later entry for a path wins.
        let mut order: Vec<usize> = (0..targets.len()).collect();
        order.sort_by_key(|&target| bin_of.get(target).copied().unwrap_or_default());
        let mut slots: Vec<Option<(String, TargetFile)>> = targets.into_iter().map(Some).collect();
        let index_of = |target: &usize| bin_of.get(*target).copied().unwrap_or_default();
        for run in order.chunk_by(|a, b| index_of(a) == index_of(b)) {
            let Some(name) = run.first().and_then(|t| names.get(slot(index_of(t)))) else {
                continue;
            };
            let batch: Vec<(String, TargetFile)> = run
                .iter()
                .filter_map(|&target| slots.get_mut(target).and_then(Option::take))
                .collect();
            add_batch(&mut self.tracked_mut(name)?.edit().targets, batch);
        }
        Ok(placed)
    }

    /// Hashes local files (streamed; sha256 and sha512), copies them into `targets/`
    /// (hash-prefixed names with consistent snapshots) and adds them as targets of `role`
    /// (see [`Repository::add_target`]). Returns the role each went to.
    ///
    /// # Errors
    /// As [`Repository::add_target`], checked before any file is copied; [`Error::Io`] for a
    /// file that cannot be read or copied.
    pub fn add_files(
        &mut self,
        role: Option<&str>,
        sources: &[TargetSource],
        progress: &dyn Progress,
    ) -> Result<Vec<String>, Error> {
        let start = role.unwrap_or("targets");
        let mut delegators = None;
        for source in sources {
            layout::check_target_path(&source.target_path)?;
            self.place(
                start,
                &source.target_path,
                &|| self.delegator_map(),
                &mut delegators,
            )?;
        }
        let files = import::import(&self.storage, sources, self.consistent_snapshot(), progress)?;
        let targets = sources
            .iter()
            .map(|s| s.target_path.clone())
            .zip(files)
            .collect();
        self.add_targets(role, targets)
    }

    /// Removes target `target_path` from every role that lists it; returns those roles. The
    /// file stays in `targets/` (clients in the middle of an update may still fetch it).
    ///
    /// # Errors
    /// [`Error::TargetNotFound`] if no role lists it.
    pub fn remove_target(&mut self, target_path: &str) -> Result<Vec<String>, Error> {
        let roles: Vec<String> = self
            .targets
            .iter()
            .filter(|(_, t)| t.current.targets.contains_key(target_path))
            .map(|(name, _)| name.clone())
            .collect();
        if roles.is_empty() {
            return Err(Error::TargetNotFound {
                path: target_path.to_owned(),
            });
        }
        for role in &roles {
            self.tracked_mut(role)?.edit().targets.remove(target_path);
        }
        Ok(roles)
    }

    /// Checks that `name` can be a new delegated role.
    fn check_new_role(&self, name: &str) -> Result<(), Error> {
        if name.is_empty() {
            return Err(Error::RoleName {
                role: name.to_owned(),
                reason: "it is empty",
            });
        }
        if TOP_LEVEL_ROLE_NAMES.contains(&name) {
            return Err(Error::RoleName {
                role: name.to_owned(),
                reason: "it is a top-level role",
            });
        }
        if self.targets.contains_key(name) {
            return Err(Error::RoleExists {
                role: name.to_owned(),
            });
        }
        Ok(())
    }

    /// Generates a key, stores it under `keys/<dir>/` and returns its public key.
    fn new_key(&mut self, dir: &str, scheme: Scheme) -> Result<PublicKey, Error> {
        let key = self.key_options.generate(scheme)?;
        let public = key.public_key().clone();
        self.keys.store(&self.storage, dir, key)?;
        Ok(public)
    }

    /// Delegates `options.paths` from targets role `from` to a new role `to`, with
    /// `options.threshold` new keys (stored under `keys/<to>/`). The new role starts empty.
    /// Returns the new key ids.
    ///
    /// # Errors
    /// [`Error::UnknownRole`] for `from`; [`Error::RoleExists`] or [`Error::RoleName`] for
    /// `to`; [`Error::Delegation`] if `from` delegates to hash bins, or for invalid paths,
    /// prefixes or threshold.
    pub fn delegate(
        &mut self,
        from: &str,
        to: &str,
        options: &DelegationOptions,
    ) -> Result<Vec<KeyId>, Error> {
        self.check_new_role(to)?;
        let from_targets = &self
            .targets
            .get(from)
            .ok_or_else(|| Error::UnknownRole {
                role: from.to_owned(),
            })?
            .current;
        let refuse = |reason: String| Error::Delegation {
            role: from.to_owned(),
            reason,
        };
        if from_targets
            .delegations
            .as_ref()
            .is_some_and(|d| d.succinct_roles.is_some())
        {
            return Err(refuse(
                "it delegates to succinct hash bins, which cannot be combined with other delegations"
                    .to_owned(),
            ));
        }
        if options.threshold == 0 || options.threshold > 64 {
            return Err(refuse(format!(
                "threshold {} must be between 1 and 64",
                options.threshold
            )));
        }
        match &options.paths {
            DelegatedPaths::Globs(globs) => {
                if globs.is_empty() || globs.iter().any(String::is_empty) {
                    return Err(refuse("delegated paths must not be empty".to_owned()));
                }
            }
            DelegatedPaths::HashPrefixes(prefixes) => {
                let valid = |p: &String| {
                    !p.is_empty()
                        && p.len() <= 64
                        && p.bytes()
                            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                };
                if prefixes.is_empty() || !prefixes.iter().all(valid) {
                    return Err(refuse(
                        "hash prefixes must be lower-case hexadecimal, 1 to 64 digits".to_owned(),
                    ));
                }
            }
        }
        let mut keys = Keys::new();
        for _ in 0..options.threshold {
            let public = self.new_key(to, options.scheme)?;
            keys.insert(public.key_id(), public);
        }
        let keyids: Vec<KeyId> = keys.keys().cloned().collect();
        let (paths, path_hash_prefixes) = match &options.paths {
            DelegatedPaths::Globs(globs) => (Some(globs.clone()), None),
            DelegatedPaths::HashPrefixes(prefixes) => (None, Some(prefixes.clone())),
        };
        let role = DelegatedRole {
            name: to.to_owned(),
            keyids: keyids.clone(),
            threshold: options.threshold,
            terminating: options.terminating,
            paths,
            path_hash_prefixes,
            unrecognized_fields: Map::new(),
        };
        let expires = self.next_expires(to)?;
        let delegations = self
            .tracked_mut(from)?
            .edit()
            .delegations
            .get_or_insert_with(|| Delegations::with_roles(Keys::new(), Vec::new()));
        delegations.keys.extend(keys);
        delegations.roles.get_or_insert_with(Vec::new).push(role);
        self.targets
            .insert(to.to_owned(), Tracked::new(Targets::new(expires)));
        Ok(keyids)
    }

    /// Delegates everything from targets role `from` to `count` succinct hash bins (TAP 15)
    /// named `<prefix>-<hex>`, all trusting one new key (stored under `keys/<prefix>-bins/`).
    /// Targets added to `from` afterwards go to their bin. Returns the key id.
    ///
    /// # Errors
    /// [`Error::BinCount`] unless `count` is a power of two from 2 to [`MAX_BINS`];
    /// [`Error::Delegation`] if `from` already delegates; [`Error::RoleExists`] if a bin name
    /// is taken.
    pub fn add_bins(
        &mut self,
        from: &str,
        count: u64,
        prefix: &str,
        scheme: Scheme,
    ) -> Result<KeyId, Error> {
        if !count.is_power_of_two() || !(2..=MAX_BINS).contains(&count) {
            return Err(Error::BinCount { count });
        }
        let bit_length =
            u8::try_from(count.trailing_zeros()).map_err(|_| Error::BinCount { count })?;
        let from_targets = &self
            .targets
            .get(from)
            .ok_or_else(|| Error::UnknownRole {
                role: from.to_owned(),
            })?
            .current;
        let delegates = from_targets.delegations.as_ref().is_some_and(|d| {
            d.succinct_roles.is_some() || d.roles.as_ref().is_some_and(|r| !r.is_empty())
        });
        if delegates {
            return Err(Error::Delegation {
                role: from.to_owned(),
                reason: "it already delegates; hash bins must be its only delegation".to_owned(),
            });
        }
        if prefix.is_empty() {
            return Err(Error::RoleName {
                role: prefix.to_owned(),
                reason: "the bin prefix is empty",
            });
        }
        let mut bins = SuccinctRoles::new(Vec::new(), 1, bit_length, prefix).map_err(|source| {
            Error::Metadata {
                path: layout::current_metadata(from),
                source,
            }
        })?;
        let names: Vec<String> = bins.role_names().collect();
        for name in &names {
            self.check_new_role(name)?;
        }
        let public = self.new_key(&format!("{prefix}-bins"), scheme)?;
        let keyid = public.key_id();
        bins.keyids.push(keyid.clone());
        let expires = self.next_expires(names.first().map_or(prefix, String::as_str))?;
        self.tracked_mut(from)?.edit().delegations = Some(Delegations {
            keys: Keys::from([(keyid.clone(), public)]),
            roles: None,
            succinct_roles: Some(bins),
            unrecognized_fields: Map::new(),
        });
        for name in names {
            self.targets
                .insert(name, Tracked::new(Targets::new(expires)));
        }
        Ok(keyid)
    }

    /// Who lists the keys of `role`.
    fn key_holder(&self, role: &str) -> Result<KeyHolder, Error> {
        if is_top_level(role) {
            return Ok(KeyHolder::Root);
        }
        if !self.targets.contains_key(role) {
            return Err(Error::UnknownRole {
                role: role.to_owned(),
            });
        }
        let delegators = self.delegator_map().remove(role).unwrap_or_default();
        Ok(KeyHolder::Delegators(delegators))
    }

    /// The key ids and threshold of `role` (for a delegated role, as its first delegator
    /// lists them).
    pub fn role_keys(&self, role: &str) -> Result<(Vec<KeyId>, u64), Error> {
        self.role_keys_with(role, &self.delegator_map())
    }

    /// [`Repository::role_keys`] with the delegator map at hand.
    pub(crate) fn role_keys_with(
        &self,
        role: &str,
        delegators: &BTreeMap<String, Vec<String>>,
    ) -> Result<(Vec<KeyId>, u64), Error> {
        let holder = if is_top_level(role) {
            KeyHolder::Root
        } else {
            KeyHolder::Delegators(delegators.get(role).cloned().unwrap_or_default())
        };
        match holder {
            KeyHolder::Root => self
                .root
                .current
                .roles
                .get(role)
                .map(|r| (r.keyids.clone(), r.threshold))
                .ok_or_else(|| Error::UnknownRole {
                    role: role.to_owned(),
                }),
            KeyHolder::Delegators(delegators) => delegators
                .iter()
                .find_map(|d| {
                    let delegations = self.targets.get(d)?.current.delegations.as_ref()?;
                    let keys = delegations.role_keys(role)?;
                    Some((keys.keyids.to_vec(), keys.threshold))
                })
                .ok_or_else(|| Error::UnknownRole {
                    role: role.to_owned(),
                }),
        }
    }

    /// Marks `role` for a new version (for succinct bins: every bin, as they share keys).
    fn touch_role(&mut self, role: &str) {
        match role {
            "root" => self.root.touch(),
            "timestamp" => self.timestamp.touch(),
            "snapshot" => self.snapshot.touch(),
            _ => {
                let siblings = self.bin_siblings(role);
                for name in siblings {
                    if let Some(tracked) = self.targets.get_mut(&name) {
                        tracked.touch();
                    }
                }
            }
        }
    }

    /// `role` and, if it is a succinct bin, every bin of its set.
    fn bin_siblings(&self, role: &str) -> Vec<String> {
        for tracked in self.targets.values() {
            if let Some(bins) = tracked
                .current
                .delegations
                .as_ref()
                .and_then(|d| d.succinct_roles.as_ref())
            {
                if bins.is_delegated_role(role) {
                    return bins.role_names().collect();
                }
            }
        }
        vec![role.to_owned()]
    }

    /// Applies `change` to the key ids and threshold of `role` wherever they are listed,
    /// with `new_keys` added to the key table. Keys no role uses any more leave the table.
    fn change_role_keys(
        &mut self,
        role: &str,
        new_keys: &[PublicKey],
        change: &KeyChange,
    ) -> Result<(), Error> {
        match self.key_holder(role)? {
            KeyHolder::Root => {
                let root = self.root.edit();
                for key in new_keys {
                    root.keys.insert(key.key_id(), key.clone());
                }
                let entry = root.roles.get_mut(role).ok_or_else(|| Error::UnknownRole {
                    role: role.to_owned(),
                })?;
                change(&mut entry.keyids, &mut entry.threshold)?;
                let used: Vec<KeyId> = root
                    .roles
                    .values()
                    .flat_map(|r| r.keyids.iter().cloned())
                    .collect();
                root.keys.retain(|id, _| used.contains(id));
            }
            KeyHolder::Delegators(delegators) => {
                if delegators.is_empty() {
                    return Err(Error::UnknownRole {
                        role: role.to_owned(),
                    });
                }
                for delegator in delegators {
                    let Some(delegations) =
                        self.tracked_mut(&delegator)?.edit().delegations.as_mut()
                    else {
                        continue;
                    };
                    for key in new_keys {
                        delegations.keys.insert(key.key_id(), key.clone());
                    }
                    if let Some(roles) = delegations.roles.as_mut() {
                        for entry in roles.iter_mut().filter(|r| r.name == role) {
                            change(&mut entry.keyids, &mut entry.threshold)?;
                        }
                    }
                    if let Some(bins) = delegations.succinct_roles.as_mut() {
                        if bins.is_delegated_role(role) {
                            change(&mut bins.keyids, &mut bins.threshold)?;
                        }
                    }
                    let mut used: Vec<KeyId> = Vec::new();
                    for entry in delegations.roles.iter().flatten() {
                        used.extend(entry.keyids.iter().cloned());
                    }
                    if let Some(bins) = &delegations.succinct_roles {
                        used.extend(bins.keyids.iter().cloned());
                    }
                    delegations.keys.retain(|id, _| used.contains(id));
                }
            }
        }
        Ok(())
    }

    /// Trusts `key` for `role` (in root for a top-level role, else in its delegator(s)).
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn add_key(&mut self, role: &str, key: PublicKey) -> Result<KeyId, Error> {
        let keyid = key.key_id();
        let id = keyid.clone();
        self.change_role_keys(role, &[key], &move |keyids, _| {
            if !keyids.contains(&id) {
                keyids.push(id.clone());
            }
            Ok(())
        })?;
        Ok(keyid)
    }

    /// Generates a new key for `role`, stores it under `keys/` and trusts it.
    ///
    /// # Errors
    /// As [`Repository::add_key`], and key generation errors.
    pub fn generate_key(&mut self, role: &str, scheme: Scheme) -> Result<KeyId, Error> {
        self.key_holder(role)?;
        let public = self.new_key(&self.key_dir(role), scheme)?;
        self.add_key(role, public)
    }

    /// The directory under `keys/` for new keys of `role`.
    fn key_dir(&self, role: &str) -> String {
        for tracked in self.targets.values() {
            if let Some(bins) = tracked
                .current
                .delegations
                .as_ref()
                .and_then(|d| d.succinct_roles.as_ref())
            {
                if bins.is_delegated_role(role) {
                    return format!("{}-bins", bins.name_prefix);
                }
            }
        }
        role.to_owned()
    }

    /// Stops trusting `keyid` for `role`; the role gets a new version signed without it.
    ///
    /// # Errors
    /// [`Error::UnknownKey`]; [`Error::Threshold`] if fewer keys than the threshold would
    /// remain.
    pub fn revoke_key(&mut self, role: &str, keyid: &KeyId) -> Result<(), Error> {
        let name = role.to_owned();
        let id = keyid.clone();
        self.change_role_keys(role, &[], &move |keyids, threshold| {
            if !keyids.contains(&id) {
                return Err(Error::UnknownKey {
                    role: name.clone(),
                    keyid: id.clone(),
                });
            }
            let remaining = keyids.len() - 1;
            if remaining == 0 || (remaining as u64) < *threshold {
                return Err(Error::Threshold {
                    role: name.clone(),
                    threshold: *threshold,
                    keys: remaining,
                });
            }
            keyids.retain(|k| *k != id);
            Ok(())
        })?;
        self.touch_role(role);
        Ok(())
    }

    /// Replaces the keys of `role` with as many new keys as its threshold (or, with
    /// `keep_old`, adds one new key). The role gets a new version signed with the new
    /// key(s). For root, the next root version is signed by the old keys and the new ones.
    /// Returns the new key ids.
    ///
    /// # Errors
    /// [`Error::UnknownRole`], key generation errors.
    pub fn rotate_keys(
        &mut self,
        role: &str,
        scheme: Scheme,
        keep_old: bool,
    ) -> Result<Vec<KeyId>, Error> {
        let (_, threshold) = self.role_keys(role)?;
        let count = if keep_old { 1 } else { threshold.max(1) };
        let dir = self.key_dir(role);
        let mut new_keys = Vec::new();
        for _ in 0..count {
            new_keys.push(self.new_key(&dir, scheme)?);
        }
        let new_ids: Vec<KeyId> = new_keys.iter().map(PublicKey::key_id).collect();
        let ids = new_ids.clone();
        self.change_role_keys(role, &new_keys, &move |keyids, _| {
            if !keep_old {
                keyids.clear();
            }
            for id in &ids {
                if !keyids.contains(id) {
                    keyids.push(id.clone());
                }
            }
            Ok(())
        })?;
        self.touch_role(role);
        Ok(new_ids)
    }

    /// The scheme of the first key of `role`, if known.
    pub fn role_scheme(&self, role: &str) -> Option<Scheme> {
        let delegators = self.delegator_map();
        self.current_trusted_keys(role, &delegators)
            .first()
            .and_then(|(_, key)| key.scheme())
    }

    /// Sets how many keys must sign `role`.
    ///
    /// # Errors
    /// [`Error::Threshold`] unless `1 <= threshold <=` the number of keys of the role.
    pub fn set_threshold(&mut self, role: &str, threshold: u64) -> Result<(), Error> {
        let name = role.to_owned();
        self.change_role_keys(role, &[], &move |keyids, value| {
            if threshold == 0 || threshold > keyids.len() as u64 {
                return Err(Error::Threshold {
                    role: name.clone(),
                    threshold,
                    keys: keyids.len(),
                });
            }
            *value = threshold;
            Ok(())
        })
    }

    /// Sets the expiry of the next version of `role` (which gets a new version at the next
    /// publish).
    ///
    /// # Errors
    /// [`Error::UnknownRole`].
    pub fn set_expires(&mut self, role: &str, expires: Expires) -> Result<(), Error> {
        if !is_top_level(role) && !self.targets.contains_key(role) {
            return Err(Error::UnknownRole {
                role: role.to_owned(),
            });
        }
        self.explicit_expires.insert(role.to_owned(), expires);
        if let Some(tracked) = self.targets.get_mut(role) {
            tracked.touch();
        } else {
            self.touch_role(role);
        }
        Ok(())
    }

    /// Turns consistent snapshots on or off (a new root version; at publish every targets
    /// role gets a new version under the new names and target files are linked to their new
    /// names).
    pub fn set_consistent_snapshot(&mut self, on: bool) {
        if self.root.current.consistent_snapshot != Some(on) {
            self.root.edit().consistent_snapshot = Some(on);
        }
    }

    /// Whether `signer` holds one of the keys trusted for `role` (as currently edited).
    pub fn trusts(&self, role: &str, signer: &dyn Signer) -> bool {
        let delegators = self.delegator_map();
        let id = signer.key_id();
        self.current_trusted_keys(role, &delegators)
            .iter()
            .any(|(k, _)| *k == id)
    }
}

/// Adds `batch` to `map`; a later entry for a path replaces an earlier one, as `insert` would.
fn add_batch(map: &mut BTreeMap<String, TargetFile>, batch: Vec<(String, TargetFile)>) {
    if batch.len() < map.len() / 8 {
        map.extend(batch);
    } else {
        // Sorted once and built in bulk (`collect` keeps the last of equal keys).
        let mut added: BTreeMap<String, TargetFile> = batch.into_iter().collect();
        map.append(&mut added);
    }
}

/// Paths of one piece of [`bin_indices`]' work: a SHA-256 each.
const BIN_CHUNK: usize = 4096;

/// Checks every target path ([`layout::check_target_path`]) and computes its bin (TAP 15:
/// the leading bits of the SHA-256 of the path), on every core.
fn bin_indices(bins: &SuccinctRoles, targets: &[(String, TargetFile)]) -> Result<Vec<u64>, Error> {
    let chunks: Vec<&[(String, TargetFile)]> = targets.chunks(BIN_CHUNK).collect();
    let indices = crate::parallel::map(&chunks, crate::parallel::CPU_WORKERS, |chunk| {
        chunk
            .iter()
            .map(|(path, _)| {
                layout::check_target_path(path)?;
                Ok(bins.bin_for_target(path))
            })
            .collect::<Result<Vec<u64>, Error>>()
    })?;
    Ok(indices.concat())
}
