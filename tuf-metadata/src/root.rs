//! The root role (spec section 4.3).

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use tuf_crypto::{KeyId, PublicKey};

use crate::fields::{Fields, as_object, object_with};
use crate::keys::{self, Keys};
use crate::metadata::Signed;
use crate::role::Role;
use crate::threshold::{Delegator, RoleKeys};
use crate::{Error, Expires, SpecVersion, common};

/// The names of the four top-level roles, which root must list exactly (spec section 4.3).
pub const TOP_LEVEL_ROLE_NAMES: [&str; 4] = ["root", "snapshot", "targets", "timestamp"];

/// Root metadata: the keys and thresholds of the top-level roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Root {
    /// The specification version followed.
    pub spec_version: SpecVersion,
    /// The version, at least 1.
    pub version: u64,
    /// When this root stops being trusted.
    pub expires: Expires,
    /// Whether the repository uses consistent snapshots; absent is written back as absent.
    pub consistent_snapshot: Option<bool>,
    /// Keys, by key id.
    pub keys: Keys,
    /// Exactly the four top-level roles.
    pub roles: BTreeMap<String, Role>,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl Root {
    /// Version 1 of a new root expiring at `expires`, with consistent snapshots on and the
    /// four top-level roles trusting no keys yet (threshold 1 each).
    pub fn new(expires: Expires) -> Self {
        let roles = TOP_LEVEL_ROLE_NAMES
            .iter()
            .map(|name| {
                (
                    (*name).to_owned(),
                    Role {
                        keyids: Vec::new(),
                        threshold: 1,
                        unrecognized_fields: Map::new(),
                    },
                )
            })
            .collect();
        Root {
            spec_version: SpecVersion::default(),
            version: 1,
            expires,
            consistent_snapshot: Some(true),
            keys: Keys::new(),
            roles,
            unrecognized_fields: Map::new(),
        }
    }

    /// Authorises `key` for top-level `role` (adding it to `keys` if needed).
    ///
    /// # Errors
    /// [`Error::UnknownDelegate`] if `role` is not a top-level role.
    pub fn add_key(&mut self, role: &str, key: PublicKey) -> Result<KeyId, Error> {
        let entry = self.role_mut(role)?;
        let keyid = key.key_id();
        if !entry.keyids.contains(&keyid) {
            entry.keyids.push(keyid.clone());
        }
        self.keys.insert(keyid.clone(), key);
        Ok(keyid)
    }

    /// Removes `keyid` from top-level `role`, and from `keys` once no role uses it.
    ///
    /// # Errors
    /// [`Error::UnknownDelegate`] if `role` is not a top-level role.
    pub fn revoke_key(&mut self, role: &str, keyid: &KeyId) -> Result<(), Error> {
        let entry = self.role_mut(role)?;
        entry.keyids.retain(|k| k != keyid);
        if !self.roles.values().any(|r| r.keyids.contains(keyid)) {
            self.keys.remove(keyid);
        }
        Ok(())
    }
}

impl Root {
    fn role_mut(&mut self, role: &str) -> Result<&mut Role, Error> {
        self.roles
            .get_mut(role)
            .ok_or_else(|| Error::UnknownDelegate {
                delegator: "root".to_owned(),
                role: role.to_owned(),
            })
    }
}

impl Delegator for Root {
    fn role_keys(&self, role: &str) -> Option<RoleKeys<'_>> {
        let entry = self.roles.get(role)?;
        Some(RoleKeys {
            keyids: &entry.keyids,
            threshold: entry.threshold,
            keys: &self.keys,
        })
    }
}

impl Signed for Root {
    const TYPE: &'static str = "root";

    fn from_value(value: Value) -> Result<Self, Error> {
        let mut fields = Fields::new(value, "signed".to_owned())?;
        let common = common::read(&mut fields, Self::TYPE)?;
        let consistent_snapshot = fields.opt_bool("consistent_snapshot")?;
        let keys = keys::parse(fields.take("keys")?, &fields.field_path("keys"))?;
        let roles_path = fields.field_path("roles");
        let roles_map = as_object(fields.take("roles")?, || roles_path.clone())?;
        let missing: Vec<String> = TOP_LEVEL_ROLE_NAMES
            .iter()
            .filter(|name| !roles_map.contains_key(**name))
            .map(|name| (*name).to_owned())
            .collect();
        let unexpected: Vec<String> = roles_map
            .keys()
            .filter(|name| !TOP_LEVEL_ROLE_NAMES.contains(&name.as_str()))
            .cloned()
            .collect();
        if !missing.is_empty() || !unexpected.is_empty() {
            return Err(Error::RootRoles {
                missing,
                unexpected,
            });
        }
        let roles = roles_map
            .into_iter()
            .map(|(name, role)| {
                let path = format!("{roles_path}.{name}");
                Ok((name, Role::from_value(role, path)?))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Root {
            spec_version: common.spec_version,
            version: common.version,
            expires: common.expires,
            consistent_snapshot,
            keys,
            roles,
            unrecognized_fields: fields.rest(),
        })
    }

    fn to_value(&self) -> Value {
        let mut known: Vec<(&'static str, Value)> =
            common::fields(Self::TYPE, &self.spec_version, self.version, self.expires).into();
        if let Some(cs) = self.consistent_snapshot {
            known.push(("consistent_snapshot", Value::Bool(cs)));
        }
        known.push(("keys", keys::to_value(&self.keys)));
        known.push((
            "roles",
            Value::Object(
                self.roles
                    .iter()
                    .map(|(name, role)| (name.clone(), role.to_value()))
                    .collect(),
            ),
        ));
        object_with(&self.unrecognized_fields, known)
    }

    common::signed_accessors!();
}
