//! `METAFILES` entries of timestamp and snapshot (spec sections 4.4 and 4.5).

use serde_json::{Map, Value};

use crate::Error;
use crate::fields::{Fields, object_with};
use crate::hashes::{self, Hashes};

/// What timestamp says about snapshot, or snapshot about a targets role: its version, and
/// optionally its length and hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetaFile {
    /// Version of the described metadata; at least 1.
    pub version: u64,
    /// Length in bytes, when listed.
    pub length: Option<u64>,
    /// Digests, when listed (never empty).
    pub hashes: Option<Hashes>,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl MetaFile {
    /// Describes version `version` with no length or hashes.
    pub fn new(version: u64) -> Self {
        MetaFile {
            version,
            length: None,
            hashes: None,
            unrecognized_fields: Map::new(),
        }
    }

    /// Describes `data` at `version`, with its length and the given hashes.
    ///
    /// # Errors
    /// [`Error::UnsupportedHash`] for an unknown algorithm.
    pub fn from_data(version: u64, data: &[u8], algorithms: &[&str]) -> Result<Self, Error> {
        Ok(MetaFile {
            version,
            length: Some(data.len() as u64),
            hashes: Some(hashes::compute(data, algorithms)?),
            unrecognized_fields: Map::new(),
        })
    }

    /// Checks `data` against the listed length and hashes (those that are listed).
    ///
    /// # Errors
    /// As [`hashes::verify`].
    pub fn verify_length_and_hashes(&self, data: &[u8]) -> Result<(), Error> {
        hashes::verify(data, self.length, self.hashes.as_ref())
    }

    pub(crate) fn from_value(value: Value, path: String) -> Result<Self, Error> {
        let mut fields = Fields::new(value, path)?;
        let version = fields.int("version")?;
        let version = crate::common::check_version(version, &fields.field_path("version"))?;
        let length = match fields.take_opt("length") {
            Some(v) => Some(hashes::parse_length(&v, &fields.field_path("length"))?),
            None => None,
        };
        let hashes = match fields.take_opt("hashes") {
            Some(v) => Some(hashes::parse_hashes(v, &fields.field_path("hashes"))?),
            None => None,
        };
        Ok(MetaFile {
            version,
            length,
            hashes,
            unrecognized_fields: fields.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        let mut known = vec![("version", Value::from(self.version))];
        if let Some(length) = self.length {
            known.push(("length", Value::from(length)));
        }
        if let Some(h) = &self.hashes {
            known.push(("hashes", hashes::hashes_value(h)));
        }
        object_with(&self.unrecognized_fields, known)
    }
}
