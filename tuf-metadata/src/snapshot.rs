//! The snapshot role (spec section 4.5).

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::fast::FastSigned;
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
    /// `<role>.json` → what is known of that role's metadata.
    pub meta: BTreeMap<String, MetaFile>,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl Snapshot {
    /// Version 1 of a snapshot listing `targets.json` version 1.
    pub fn new(expires: Expires) -> Self {
        let mut meta = BTreeMap::new();
        meta.insert("targets.json".to_owned(), MetaFile::new(1));
        Snapshot {
            spec_version: SpecVersion::default(),
            version: 1,
            expires,
            meta,
            unrecognized_fields: Map::new(),
        }
    }

    /// The entry for role `role` (looked up as `<role>.json`).
    pub fn role_meta(&self, role: &str) -> Option<&MetaFile> {
        self.meta.get(&format!("{role}.json"))
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
                Some(meta),
            ),
            _ => Self::from_value(crate::metadata::parse_json(text)?),
        }
    }

    fn to_value(&self) -> Value {
        self.to_value_impl()
    }

    common::signed_accessors!();
}

impl Snapshot {
    fn from_fields(
        mut fields: Fields,
        parsed_meta: Option<BTreeMap<String, MetaFile>>,
    ) -> Result<Self, Error> {
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
