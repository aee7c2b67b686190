//! The targets role and delegated targets roles (spec section 4.5).

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::delegations::Delegations;
use crate::entry_map::TargetMap;
use crate::fast::{FastSigned, IndexedSigned};
use crate::fields::{Fields, as_object, object_with};
use crate::hashes::{self, Hashes};
use crate::metadata::Signed;
use crate::threshold::{Delegator, RoleKeys};
use crate::{Error, Expires, SpecVersion, common};

/// A target file: its length, its hashes and optional custom data (spec section 4.5,
/// "TARGETPATH").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetFile {
    /// Length in bytes.
    pub length: u64,
    /// Digests (never empty).
    pub hashes: Hashes,
    /// The `custom` object, kept as received. The spec makes it an object; python-tuf accepts
    /// any JSON value here, we refuse anything but an object.
    pub custom: Option<Map<String, Value>>,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl TargetFile {
    /// Describes `data`, hashed with `algorithms` (sha256 is what python-tuf uses by default).
    ///
    /// ```
    /// let file = tuf_metadata::TargetFile::from_data(b"hello", &["sha256"]).unwrap();
    /// assert_eq!(file.length, 5);
    /// file.verify_length_and_hashes(b"hello").unwrap();
    /// assert!(file.verify_length_and_hashes(b"hellp").is_err());
    /// ```
    ///
    /// # Errors
    /// [`Error::UnsupportedHash`] for an unknown algorithm.
    pub fn from_data(data: &[u8], algorithms: &[&str]) -> Result<Self, Error> {
        Ok(TargetFile {
            length: data.len() as u64,
            hashes: hashes::compute(data, algorithms)?,
            custom: None,
            unrecognized_fields: Map::new(),
        })
    }

    /// Checks `data` against the listed length, then every listed hash (spec section 5.7.3).
    ///
    /// # Errors
    /// As [`hashes::verify`].
    pub fn verify_length_and_hashes(&self, data: &[u8]) -> Result<(), Error> {
        hashes::verify(data, Some(self.length), Some(&self.hashes))
    }

    pub(crate) fn from_value(value: Value, path: String) -> Result<Self, Error> {
        let mut fields = Fields::new(value, path)?;
        let length_value = fields.take("length")?;
        let length = hashes::parse_length(&length_value, &fields.field_path("length"))?;
        let hashes_value = fields.take("hashes")?;
        let hashes = hashes::parse_hashes(hashes_value, &fields.field_path("hashes"))?;
        let custom = match fields.take_opt("custom") {
            Some(value) => {
                let path = fields.field_path("custom");
                Some(as_object(value, || path)?)
            }
            None => None,
        };
        Ok(TargetFile {
            length,
            hashes,
            custom,
            unrecognized_fields: fields.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut known = vec![
            ("length", Value::from(self.length)),
            ("hashes", hashes::hashes_value(&self.hashes)),
        ];
        if let Some(custom) = &self.custom {
            known.push(("custom", Value::Object(custom.clone())));
        }
        object_with(&self.unrecognized_fields, known)
    }
}

/// Targets metadata (top-level or delegated): target files and delegations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// The specification version followed.
    pub spec_version: SpecVersion,
    /// The version, at least 1.
    pub version: u64,
    /// When this metadata stops being trusted.
    pub expires: Expires,
    /// Target path → file description. Received metadata read with
    /// [`Signed::from_shared_text`] holds an indexed map (see [`crate::entry_map`]).
    pub targets: TargetMap,
    /// Delegations to other targets roles, if any.
    pub delegations: Option<Delegations>,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl Targets {
    /// Version 1 of empty targets metadata.
    pub fn new(expires: Expires) -> Self {
        Targets {
            spec_version: SpecVersion::default(),
            version: 1,
            expires,
            targets: TargetMap::new(),
            delegations: None,
            unrecognized_fields: Map::new(),
        }
    }
}

impl Delegator for Targets {
    fn role_keys(&self, role: &str) -> Option<RoleKeys<'_>> {
        self.delegations.as_ref()?.role_keys(role)
    }
}

impl Signed for Targets {
    const TYPE: &'static str = "targets";

    fn from_value(value: Value) -> Result<Self, Error> {
        Self::from_fields(Fields::new(value, "signed".to_owned())?, None)
    }

    /// The direct parse of the `targets` map (see `fast`), then the rest field by field; on
    /// any anomaly in the map, the field-by-field path reports the exact error.
    fn from_text(text: &str) -> Result<Self, Error> {
        match FastSigned::<TargetFile>::parse(text) {
            Some(FastSigned {
                map: Some(targets),
                rest,
            }) => Self::from_fields(
                Fields::new(Value::Object(rest), "signed".to_owned())?,
                Some(targets.into()),
            ),
            _ => Self::from_value(crate::metadata::parse_json(text)?),
        }
    }

    /// The `targets` map validated entry by entry and indexed in `owner` instead of built
    /// (see [`crate::entry_map`]); anything the index cannot take (a key with an escape, any
    /// anomaly) is read by [`Signed::from_text`], which names the precise error.
    fn from_shared_text(owner: &Arc<Vec<u8>>, text: &str) -> Result<Self, Error> {
        match IndexedSigned::<TargetFile>::parse(owner, text) {
            Some(IndexedSigned {
                index: Some(index),
                rest,
            }) => Self::from_fields(
                Fields::new(Value::Object(rest), "signed".to_owned())?,
                Some(TargetMap::indexed(index)),
            ),
            _ => Self::from_text(text),
        }
    }

    fn to_value(&self) -> Value {
        self.to_value_impl()
    }

    common::signed_accessors!();
}

impl Targets {
    fn from_fields(mut fields: Fields, parsed_targets: Option<TargetMap>) -> Result<Self, Error> {
        let common = common::read(&mut fields, <Self as Signed>::TYPE)?;
        let targets = match parsed_targets {
            Some(targets) => targets,
            None => {
                let targets_path = fields.field_path("targets");
                as_object(fields.take("targets")?, || targets_path.clone())?
                    .into_iter()
                    .map(|(name, entry)| {
                        let path = format!("{targets_path}.{name}");
                        Ok((name, TargetFile::from_value(entry, path)?))
                    })
                    .collect::<Result<_, Error>>()?
            }
        };
        let delegations = match fields.take_opt("delegations") {
            Some(value) => Some(Delegations::from_value(
                value,
                fields.field_path("delegations"),
            )?),
            None => None,
        };
        Ok(Targets {
            spec_version: common.spec_version,
            version: common.version,
            expires: common.expires,
            targets,
            delegations,
            unrecognized_fields: fields.rest(),
        })
    }

    fn to_value_impl(&self) -> Value {
        let mut known: Vec<(&'static str, Value)> = common::fields(
            <Self as Signed>::TYPE,
            &self.spec_version,
            self.version,
            self.expires,
        )
        .into();
        known.push((
            "targets",
            Value::Object(
                self.targets
                    .iter()
                    .map(|(name, entry)| (name.clone(), entry.to_value()))
                    .collect(),
            ),
        ));
        if let Some(delegations) = &self.delegations {
            known.push(("delegations", delegations.to_value()));
        }
        object_with(&self.unrecognized_fields, known)
    }
}
