//! The snapshot role (spec section 4.5).

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::entry_map::MetaMap;
use crate::fast::{FastSigned, IndexedSigned};
use crate::fields::{Fields, as_object, object_with};
use crate::metadata::Signed;
use crate::metafile::MetaFile;
use crate::{Error, Expires, SpecVersion, common};

/// Snapshot metadata: the versions of targets and of every delegated targets role, keyed by
/// file name (`targets.json`, `<role>.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The specification version followed.
    pub spec_version: SpecVersion,
    /// The version, at least 1.
    pub version: u64,
    /// When this snapshot stops being trusted.
    pub expires: Expires,
    /// `<role>.json` → what is known of that role's metadata. Received metadata read with
    /// [`Signed::from_shared_text`] holds an indexed map (see [`crate::entry_map`]).
    pub meta: MetaMap,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl Snapshot {
    /// Version 1 of a snapshot listing `targets.json` version 1.
    pub fn new(expires: Expires) -> Self {
        let mut meta = MetaMap::new();
        meta.insert("targets.json".to_owned(), MetaFile::new(1));
        Snapshot {
            spec_version: SpecVersion::default(),
            version: 1,
            expires,
            meta,
            unrecognized_fields: Map::new(),
        }
    }

    /// The entry for role `role` (looked up as `<role>.json`; read from the index of an
    /// indexed map, see [`MetaMap::lookup`]).
    pub fn role_meta(&self, role: &str) -> Option<Cow<'_, MetaFile>> {
        self.meta.lookup(&format!("{role}.json"))
    }
}

impl Signed for Snapshot {
    const TYPE: &'static str = "snapshot";

    fn from_value(value: Value) -> Result<Self, Error> {
        Self::from_fields(Fields::new(value, "signed".to_owned())?, None)
    }

    /// The direct parse of the `meta` map (see `fast`), then the rest field by field; on any
    /// anomaly in the map, the field-by-field path reports the exact error.
    fn from_text(text: &str) -> Result<Self, Error> {
        match FastSigned::<MetaFile>::parse(text) {
            Some(FastSigned {
                map: Some(meta),
                rest,
            }) => Self::from_fields(
                Fields::new(Value::Object(rest), "signed".to_owned())?,
                Some(meta.into()),
            ),
            _ => Self::from_value(crate::metadata::parse_json(text)?),
        }
    }

    /// The `meta` map validated entry by entry and indexed in `owner` instead of built (see
    /// [`crate::entry_map`]); anything the index cannot take (a key with an escape, any
    /// anomaly) is read by [`Signed::from_text`], which names the precise error.
    fn from_shared_text(owner: &Arc<Vec<u8>>, text: &str) -> Result<Self, Error> {
        match IndexedSigned::<MetaFile>::parse(owner, text) {
            Some(IndexedSigned {
                index: Some(index),
                rest,
            }) => Self::from_fields(
                Fields::new(Value::Object(rest), "signed".to_owned())?,
                Some(MetaMap::indexed(index)),
            ),
            _ => Self::from_text(text),
        }
    }

    fn to_value(&self) -> Value {
        self.to_value_impl()
    }

    common::signed_accessors!();
}

impl Snapshot {
    fn from_fields(mut fields: Fields, parsed_meta: Option<MetaMap>) -> Result<Self, Error> {
        let common = common::read(&mut fields, <Self as Signed>::TYPE)?;
        let meta = match parsed_meta {
            Some(meta) => meta,
            None => {
                let meta_path = fields.field_path("meta");
                as_object(fields.take("meta")?, || meta_path.clone())?
                    .into_iter()
                    .map(|(name, entry)| {
                        let path = format!("{meta_path}.{name}");
                        Ok((name, MetaFile::from_value(entry, path)?))
                    })
                    .collect::<Result<_, Error>>()?
            }
        };
        Ok(Snapshot {
            spec_version: common.spec_version,
            version: common.version,
            expires: common.expires,
            meta,
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
            "meta",
            Value::Object(
                self.meta
                    .iter()
                    .map(|(name, entry)| (name.clone(), entry.to_value()))
                    .collect(),
            ),
        ));
        object_with(&self.unrecognized_fields, known)
    }
}
