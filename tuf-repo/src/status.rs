//! Per-role status of the published metadata: version, expiry, threshold, which keys signed
//! and which are missing, and whether the role verifies against its delegator.

use std::cell::RefCell;
use std::collections::BTreeMap;

use tuf_crypto::KeyId;
use tuf_metadata::{
    Expires, Metadata, Root, Signed, Snapshot, Targets, Timestamp, VerificationResult,
};

use crate::layout;
use crate::repository::read_metadata;
use crate::{Error, Repository, Storage};

/// The state of one role's published metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleStatus {
    /// The role.
    pub role: String,
    /// The published version (`None`: never published).
    pub version: Option<u64>,
    /// Its expiry.
    pub expires: Option<Expires>,
    /// Whether it is expired now.
    pub expired: bool,
    /// Signatures required.
    pub threshold: u64,
    /// Trusted keys that signed it.
    pub signed: Vec<KeyId>,
    /// Trusted keys that did not.
    pub missing: Vec<KeyId>,
    /// Whether a threshold of trusted keys signed it (root: of its own keys and of the
    /// previous root's).
    pub verified: bool,
    /// Whether the role has changes not yet published.
    pub pending: bool,
}

/// Published delegators, parsed once.
type DelegatorCache = RefCell<BTreeMap<String, Option<Metadata<Targets>>>>;

impl<S: Storage> Repository<S> {
    /// The status of every role: root, timestamp, snapshot, targets, then the delegated
    /// roles by name.
    ///
    /// # Errors
    /// Storage errors, or a published file that does not parse.
    pub fn status(&self) -> Result<Vec<RoleStatus>, Error> {
        let cache = DelegatorCache::default();
        let delegators = self.delegator_map();
        let mut roles: Vec<&str> = vec!["root", "timestamp", "snapshot", "targets"];
        roles.extend(
            self.targets
                .keys()
                .map(String::as_str)
                .filter(|r| *r != "targets"),
        );
        let mut statuses = Vec::with_capacity(roles.len());
        for role in roles {
            if let Some(status) = self.status_of(role, &delegators, &cache)? {
                statuses.push(status);
            }
        }
        Ok(statuses)
    }

    /// The status of one role; `None` for an unknown role.
    ///
    /// # Errors
    /// As [`Repository::status`].
    pub fn role_status(&self, role: &str) -> Result<Option<RoleStatus>, Error> {
        self.status_of(role, &self.delegator_map(), &DelegatorCache::default())
    }

    fn status_of(
        &self,
        role: &str,
        delegators: &BTreeMap<String, Vec<String>>,
        cache: &DelegatorCache,
    ) -> Result<Option<RoleStatus>, Error> {
        let storage: &dyn Storage = &self.storage;
        let pending = match role {
            "root" => self.root.changed,
            "timestamp" => self.timestamp.changed,
            "snapshot" => self.snapshot.changed,
            _ => match self.targets.get(role) {
                Some(tracked) => tracked.changed,
                None => return Ok(None),
            },
        };
        let path = self.published_file(role);
        let root_path = layout::current_metadata("root");
        let published_root = || -> Result<Metadata<Root>, Error> {
            read_metadata::<Root>(storage, &root_path)?.ok_or_else(|| Error::NotARepository {
                path: storage.describe(),
            })
        };
        let found: Option<(u64, Expires, Option<VerificationResult>)> = match role {
            "root" => match read_metadata::<Root>(storage, &path)? {
                None => None,
                Some(root) => {
                    let own = verification(&root, "root", &root)?;
                    let version = root.signed().version();
                    let mut result = own;
                    if version > 1 {
                        let previous_path = layout::versioned_metadata("root", version - 1);
                        let previous = read_metadata::<Root>(storage, &previous_path)?;
                        let by_previous = match &previous {
                            Some(previous) => verification(previous, "root", &root)?,
                            None => None,
                        };
                        // Without the previous root the chain cannot be checked.
                        result = combine(result, by_previous);
                    }
                    Some((version, root.signed().expires(), result))
                }
            },
            "timestamp" => match read_metadata::<Timestamp>(storage, &path)? {
                None => None,
                Some(m) => Some((
                    m.signed().version(),
                    m.signed().expires(),
                    verification(&published_root()?, role, &m)?,
                )),
            },
            "snapshot" => match read_metadata::<Snapshot>(storage, &path)? {
                None => None,
                Some(m) => Some((
                    m.signed().version(),
                    m.signed().expires(),
                    verification(&published_root()?, role, &m)?,
                )),
            },
            _ => match read_metadata::<Targets>(storage, &path)? {
                None => None,
                Some(m) => {
                    let result = if role == "targets" {
                        verification(&published_root()?, role, &m)?
                    } else {
                        let mut found = None;
                        for delegator in delegators.get(role).into_iter().flatten() {
                            let mut cache = cache.borrow_mut();
                            let entry = match cache.get(delegator) {
                                Some(entry) => entry,
                                None => {
                                    let parsed = read_metadata::<Targets>(
                                        storage,
                                        &self.published_file(delegator),
                                    )?;
                                    cache.entry(delegator.clone()).or_insert(parsed)
                                }
                            };
                            if let Some(published) = entry {
                                found = verification(published, role, &m)?;
                                if found.is_some() {
                                    break;
                                }
                            }
                        }
                        found
                    };
                    Some((m.signed().version(), m.signed().expires(), result))
                }
            },
        };
        let (current_keys, current_threshold) =
            self.role_keys_with(role, delegators).unwrap_or_default();
        let status = match found {
            None => RoleStatus {
                role: role.to_owned(),
                version: None,
                expires: None,
                expired: false,
                threshold: current_threshold,
                signed: Vec::new(),
                missing: current_keys,
                verified: false,
                pending,
            },
            Some((version, expires, result)) => {
                let (threshold, signed, missing, verified) = match result {
                    Some(result) => (
                        result.threshold,
                        result.signed.iter().cloned().collect(),
                        result.unsigned.iter().cloned().collect(),
                        result.verified(),
                    ),
                    None => (current_threshold, Vec::new(), current_keys, false),
                };
                RoleStatus {
                    role: role.to_owned(),
                    version: Some(version),
                    expires: Some(expires),
                    expired: expires.is_expired_at(self.now),
                    threshold,
                    signed,
                    missing,
                    verified,
                    pending,
                }
            }
        };
        Ok(Some(status))
    }
}

/// Which keys `delegator` trusts for `role` signed `delegate`; `None` if it does not
/// delegate to `role`.
fn verification<D, T>(
    delegator: &Metadata<D>,
    role: &str,
    delegate: &Metadata<T>,
) -> Result<Option<VerificationResult>, Error>
where
    D: Signed + tuf_metadata::Delegator,
    T: Signed,
{
    match delegator.delegate_verification(role, delegate) {
        Ok(result) => Ok(Some(result)),
        Err(tuf_metadata::Error::UnknownDelegate { .. }) => Ok(None),
        Err(source) => Err(Error::Metadata {
            path: layout::current_metadata(role),
            source,
        }),
    }
}

/// A root verified by its own keys and by the previous root's: signed by either, verified
/// only if both thresholds are met.
fn combine(
    own: Option<VerificationResult>,
    previous: Option<VerificationResult>,
) -> Option<VerificationResult> {
    match (own, previous) {
        (Some(mut own), Some(previous)) => {
            if !previous.verified() {
                // Report the previous root's threshold as the one not met.
                let mut result = previous;
                result.signed.extend(own.signed);
                result.unsigned.extend(own.unsigned);
                let signed = result.signed.clone();
                result.unsigned.retain(|k| !signed.contains(k));
                return Some(result);
            }
            own.signed.extend(previous.signed);
            own.unsigned.extend(previous.unsigned);
            let signed = own.signed.clone();
            own.unsigned.retain(|k| !signed.contains(k));
            Some(own)
        }
        // The previous root is missing: the chain cannot be checked.
        _ => None,
    }
}
