//! The timestamp role (spec section 4.6).

use serde_json::{Map, Value};

use crate::fields::{Fields, as_object, object_with};
use crate::metadata::Signed;
use crate::metafile::MetaFile;
use crate::{Error, Expires, SpecVersion, common};

/// Timestamp metadata: the current version (and optionally length and hashes) of snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    /// The specification version followed.
    pub spec_version: SpecVersion,
    /// The version, at least 1.
    pub version: u64,
    /// When this timestamp stops being trusted.
    pub expires: Expires,
    /// The `snapshot.json` entry of `meta`.
    pub snapshot_meta: MetaFile,
    /// Any other entries of `meta`, kept as received (python-tuf drops them; the spec lists
    /// only `snapshot.json`).
    pub other_meta: Map<String, Value>,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl Timestamp {
    /// Version 1 of a timestamp pointing at snapshot version 1.
    pub fn new(expires: Expires) -> Self {
        Timestamp {
            spec_version: SpecVersion::default(),
            version: 1,
            expires,
            snapshot_meta: MetaFile::new(1),
            other_meta: Map::new(),
            unrecognized_fields: Map::new(),
        }
    }
}

impl Signed for Timestamp {
    const TYPE: &'static str = "timestamp";

    fn from_value(value: Value) -> Result<Self, Error> {
        let mut fields = Fields::new(value, "signed".to_owned())?;
        let common = common::read(&mut fields, Self::TYPE)?;
        let meta_path = fields.field_path("meta");
        let mut meta = as_object(fields.take("meta")?, || meta_path.clone())?;
        let snapshot = meta.remove("snapshot.json").ok_or(Error::TimestampMeta)?;
        let snapshot_meta = MetaFile::from_value(snapshot, format!("{meta_path}.snapshot.json"))?;
        Ok(Timestamp {
            spec_version: common.spec_version,
            version: common.version,
            expires: common.expires,
            snapshot_meta,
            other_meta: meta,
            unrecognized_fields: fields.rest(),
        })
    }

    fn to_value(&self) -> Value {
        let mut meta = self.other_meta.clone();
        meta.insert("snapshot.json".to_owned(), self.snapshot_meta.to_value());
        let mut known: Vec<(&'static str, Value)> =
            common::fields(Self::TYPE, &self.spec_version, self.version, self.expires).into();
        known.push(("meta", Value::Object(meta)));
        object_with(&self.unrecognized_fields, known)
    }

    common::signed_accessors!();
}
