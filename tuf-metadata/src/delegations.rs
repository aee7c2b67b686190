//! Delegations from a targets role to other targets roles (spec section 4.5, "delegations"),
//! including succinct hash bin delegations (TAP 15).

use std::borrow::Cow;
use std::collections::BTreeSet;

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use tuf_crypto::KeyId;

use crate::fields::{Fields, as_array, object_with, string_list};
use crate::keys::{self, Keys};
use crate::role::{Role, keyids_and_threshold};
use crate::root::TOP_LEVEL_ROLE_NAMES;
use crate::threshold::RoleKeys;
use crate::{Error, path_pattern};

/// A delegation to one named targets role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DelegatedRole {
    /// The delegated role's name (not empty, not a top-level role name).
    pub name: String,
    /// Ids of the keys trusted for the role.
    pub keyids: Vec<KeyId>,
    /// How many distinct trusted keys must sign.
    pub threshold: u64,
    /// Whether the search for a target stops at this role when its paths match.
    pub terminating: bool,
    /// Glob patterns of the target paths delegated (exclusive with `path_hash_prefixes`).
    pub paths: Option<Vec<String>>,
    /// Hex prefixes of the SHA-256 of the delegated target paths (exclusive with `paths`).
    pub path_hash_prefixes: Option<Vec<String>>,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl DelegatedRole {
    /// Whether this role is trusted for `target_path` (spec section 4.5: `paths` are
    /// shell-style globs that never cross `/`; `path_hash_prefixes` match the lower-case hex
    /// SHA-256 of the path).
    ///
    /// ```
    /// # use tuf_metadata::DelegatedRole;
    /// let role = DelegatedRole::with_paths("images", vec![], 1, false, vec!["images/*.png".into()]);
    /// assert!(role.is_delegated_path("images/a.png"));
    /// assert!(!role.is_delegated_path("images/raw/a.png"));
    /// ```
    pub fn is_delegated_path(&self, target_path: &str) -> bool {
        if let Some(paths) = &self.paths {
            return paths.iter().any(|p| path_pattern::matches(p, target_path));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            let digest = hex::encode(Sha256::digest(target_path.as_bytes()));
            return prefixes.iter().any(|p| digest.starts_with(p.as_str()));
        }
        false
    }

    /// A delegation of glob `paths` to `name`.
    pub fn with_paths(
        name: &str,
        keyids: Vec<KeyId>,
        threshold: u64,
        terminating: bool,
        paths: Vec<String>,
    ) -> Self {
        DelegatedRole {
            name: name.to_owned(),
            keyids,
            threshold,
            terminating,
            paths: Some(paths),
            path_hash_prefixes: None,
            unrecognized_fields: Map::new(),
        }
    }

    fn from_value(value: Value, path: String) -> Result<Self, Error> {
        let mut fields = Fields::new(value, path)?;
        let name = fields.string("name")?;
        let (keyids, threshold) = Role::from_fields(&mut fields)?;
        let terminating = fields.bool("terminating")?;
        let paths = match fields.take_opt("paths") {
            Some(v) => Some(string_list(v, &fields.field_path("paths"))?),
            None => None,
        };
        let path_hash_prefixes = match fields.take_opt("path_hash_prefixes") {
            Some(v) => Some(string_list(v, &fields.field_path("path_hash_prefixes"))?),
            None => None,
        };
        if paths.is_some() == path_hash_prefixes.is_some() {
            return Err(Error::PathsAndPrefixes {
                path: fields.path().to_owned(),
            });
        }
        Ok(DelegatedRole {
            name,
            keyids,
            threshold,
            terminating,
            paths,
            path_hash_prefixes,
            unrecognized_fields: fields.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut known: Vec<(&'static str, Value)> =
            keyids_and_threshold(&self.keyids, self.threshold).into();
        known.push(("name", Value::String(self.name.clone())));
        known.push(("terminating", Value::Bool(self.terminating)));
        let strings =
            |v: &Vec<String>| Value::Array(v.iter().cloned().map(Value::String).collect());
        if let Some(paths) = &self.paths {
            known.push(("paths", strings(paths)));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            known.push(("path_hash_prefixes", strings(prefixes)));
        }
        object_with(&self.unrecognized_fields, known)
    }
}

/// Succinct hash bin delegations (TAP 15): `2^bit_length` bins named
/// `<name_prefix>-<hex bin number>`, all trusting the same keys, with a target assigned to the
/// bin given by the first `bit_length` bits of the SHA-256 of its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SuccinctRoles {
    /// Ids of the keys trusted for every bin.
    pub keyids: Vec<KeyId>,
    /// How many distinct trusted keys must sign each bin.
    pub threshold: u64,
    /// Number of hash bits that select the bin, 1 to 32.
    pub bit_length: u8,
    /// Prefix of the bin names.
    pub name_prefix: String,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl SuccinctRoles {
    /// `2^bit_length` bins named after `name_prefix`.
    ///
    /// # Errors
    /// [`Error::BitLength`] unless `1 <= bit_length <= 32`.
    pub fn new(
        keyids: Vec<KeyId>,
        threshold: u64,
        bit_length: u8,
        name_prefix: &str,
    ) -> Result<Self, Error> {
        if !(1..=32).contains(&bit_length) {
            return Err(Error::BitLength {
                value: i64::from(bit_length),
            });
        }
        Ok(SuccinctRoles {
            keyids,
            threshold,
            bit_length,
            name_prefix: name_prefix.to_owned(),
            unrecognized_fields: Map::new(),
        })
    }

    /// How many bins there are: `2^bit_length`.
    pub fn number_of_bins(&self) -> u64 {
        1u64 << self.bit_length
    }

    /// How many hex digits a bin number has: those of `number_of_bins - 1`.
    pub fn suffix_len(&self) -> usize {
        format!("{:x}", self.number_of_bins() - 1).len()
    }

    /// The name of bin `index`.
    pub fn bin_name(&self, index: u64) -> String {
        format!(
            "{}-{:0width$x}",
            self.name_prefix,
            index,
            width = self.suffix_len()
        )
    }

    /// The bin responsible for `target_path`: the first `bit_length` bits of the SHA-256 of
    /// the path, as a number (TAP 15).
    ///
    /// ```
    /// # use tuf_metadata::SuccinctRoles;
    /// let bins = SuccinctRoles::new(vec![], 1, 8, "bin").unwrap();
    /// // sha256("foo") starts with 2c
    /// assert_eq!(bins.role_for_target("foo"), "bin-2c");
    /// assert!(bins.is_delegated_role("bin-2c"));
    /// ```
    pub fn role_for_target(&self, target_path: &str) -> String {
        self.bin_name(self.bin_for_target(target_path))
    }

    /// The index of the bin responsible for `target_path` (its name is
    /// [`SuccinctRoles::bin_name`] of the index).
    ///
    /// ```
    /// # use tuf_metadata::SuccinctRoles;
    /// let bins = SuccinctRoles::new(vec![], 1, 8, "bin").unwrap();
    /// assert_eq!(bins.bin_for_target("foo"), 0x2c);
    /// ```
    pub fn bin_for_target(&self, target_path: &str) -> u64 {
        let digest = Sha256::digest(target_path.as_bytes());
        let first: [u8; 4] = digest
            .get(..4)
            .and_then(|bytes| bytes.try_into().ok())
            .unwrap_or_default();
        // `bit_length` is 1 to 32 when parsed; saturate for a hand-built out-of-range value.
        u64::from(u32::from_be_bytes(first)) >> 32u32.saturating_sub(u32::from(self.bit_length))
    }

    /// Whether `role_name` names one of the bins. Stricter than python-tuf, which parses the
    /// suffix with `int(suffix, 16)` and so also takes upper-case digits, `+1` or `0_1`: we
    /// accept exactly the names [`SuccinctRoles::bin_name`] produces.
    pub fn is_delegated_role(&self, role_name: &str) -> bool {
        let Some(suffix) = role_name
            .strip_prefix(self.name_prefix.as_str())
            .and_then(|rest| rest.strip_prefix('-'))
        else {
            return false;
        };
        suffix.len() == self.suffix_len()
            && suffix
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
            && u64::from_str_radix(suffix, 16).is_ok_and(|n| n < self.number_of_bins())
    }

    /// The names of all bins, in order.
    pub fn role_names(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.number_of_bins()).map(|i| self.bin_name(i))
    }

    fn from_value(value: Value, path: String) -> Result<Self, Error> {
        let mut fields = Fields::new(value, path)?;
        let (keyids, threshold) = Role::from_fields(&mut fields)?;
        let bit_length = fields.int("bit_length")?;
        let bit_length = u8::try_from(bit_length)
            .ok()
            .filter(|b| (1..=32).contains(b))
            .ok_or(Error::BitLength { value: bit_length })?;
        let name_prefix = fields.string("name_prefix")?;
        Ok(SuccinctRoles {
            keyids,
            threshold,
            bit_length,
            name_prefix,
            unrecognized_fields: fields.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut known: Vec<(&'static str, Value)> =
            keyids_and_threshold(&self.keyids, self.threshold).into();
        known.push(("bit_length", Value::from(self.bit_length)));
        known.push(("name_prefix", Value::String(self.name_prefix.clone())));
        object_with(&self.unrecognized_fields, known)
    }
}

/// The `delegations` object of targets metadata: keys, and either a list of delegated roles
/// or succinct hash bins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delegations {
    /// Keys trusted by the delegations, by key id.
    pub keys: Keys,
    /// Delegated roles in priority order (exclusive with `succinct_roles`).
    pub roles: Option<Vec<DelegatedRole>>,
    /// Succinct hash bins (exclusive with `roles`).
    pub succinct_roles: Option<SuccinctRoles>,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl Delegations {
    /// Delegations to `roles` trusting `keys`.
    pub fn with_roles(keys: Keys, roles: Vec<DelegatedRole>) -> Self {
        Delegations {
            keys,
            roles: Some(roles),
            succinct_roles: None,
            unrecognized_fields: Map::new(),
        }
    }

    /// The delegated roles trusted for `target_path`, in the order the search visits them
    /// (spec section 5.6.7.2), each with its `terminating` flag. Succinct bins yield the one
    /// bin of the path, as terminating (python-tuf does the same).
    pub fn roles_for_target<'a>(
        &'a self,
        target_path: &'a str,
    ) -> Box<dyn Iterator<Item = (Cow<'a, str>, bool)> + 'a> {
        if let Some(roles) = &self.roles {
            return Box::new(
                roles
                    .iter()
                    .filter(move |r| r.is_delegated_path(target_path))
                    .map(|r| (Cow::Borrowed(r.name.as_str()), r.terminating)),
            );
        }
        if let Some(bins) = &self.succinct_roles {
            return Box::new(std::iter::once((
                Cow::Owned(bins.role_for_target(target_path)),
                true,
            )));
        }
        Box::new(std::iter::empty())
    }

    /// The keys and threshold trusted for delegated role `role`, if it is delegated here.
    pub fn role_keys(&self, role: &str) -> Option<RoleKeys<'_>> {
        if let Some(roles) = &self.roles {
            let entry = roles.iter().find(|r| r.name == role)?;
            return Some(RoleKeys {
                keyids: &entry.keyids,
                threshold: entry.threshold,
                keys: &self.keys,
            });
        }
        let bins = self.succinct_roles.as_ref()?;
        bins.is_delegated_role(role).then_some(RoleKeys {
            keyids: &bins.keyids,
            threshold: bins.threshold,
            keys: &self.keys,
        })
    }

    pub(crate) fn from_value(value: Value, path: String) -> Result<Self, Error> {
        let mut fields = Fields::new(value, path)?;
        let keys = keys::parse(fields.take("keys")?, &fields.field_path("keys"))?;
        let roles = match fields.take_opt("roles") {
            Some(value) => {
                let roles_path = fields.field_path("roles");
                let items = as_array(value, || roles_path.clone())?;
                let mut names = BTreeSet::new();
                let mut roles = Vec::with_capacity(items.len());
                for (index, item) in items.into_iter().enumerate() {
                    let role = DelegatedRole::from_value(item, format!("{roles_path}[{index}]"))?;
                    if role.name.is_empty() || TOP_LEVEL_ROLE_NAMES.contains(&role.name.as_str()) {
                        return Err(Error::DelegatedRoleName { name: role.name });
                    }
                    if !names.insert(role.name.clone()) {
                        return Err(Error::DelegatedRoleDuplicate { name: role.name });
                    }
                    roles.push(role);
                }
                Some(roles)
            }
            None => None,
        };
        let succinct_roles = match fields.take_opt("succinct_roles") {
            Some(value) => Some(SuccinctRoles::from_value(
                value,
                fields.field_path("succinct_roles"),
            )?),
            None => None,
        };
        if roles.is_some() == succinct_roles.is_some() {
            return Err(Error::RolesAndSuccinct);
        }
        Ok(Delegations {
            keys,
            roles,
            succinct_roles,
            unrecognized_fields: fields.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut known = vec![("keys", keys::to_value(&self.keys))];
        if let Some(roles) = &self.roles {
            known.push((
                "roles",
                Value::Array(roles.iter().map(DelegatedRole::to_value).collect()),
            ));
        }
        if let Some(bins) = &self.succinct_roles {
            known.push(("succinct_roles", bins.to_value()));
        }
        object_with(&self.unrecognized_fields, known)
    }
}
