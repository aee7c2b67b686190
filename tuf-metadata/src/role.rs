//! Role key assignments: `keyids` and `threshold` (spec section 4.3, "roles").

use std::collections::BTreeSet;

use serde_json::{Map, Value};
use tuf_crypto::KeyId;

use crate::Error;
use crate::fields::{Fields, object_with};

/// The keys trusted for a role and how many of them must sign.
///
/// Key ids must be unique within a role (python-tuf refuses duplicates; so do we), and the
/// threshold is at least 1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Role {
    /// Ids of the keys authorised to sign for the role, in listed order.
    pub keyids: Vec<KeyId>,
    /// How many distinct authorised keys must sign.
    pub threshold: u64,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl Role {
    /// A role trusting `keyids` with `threshold`.
    ///
    /// # Errors
    /// [`Error::Threshold`] if `threshold` is 0, [`Error::NonuniqueKeyids`] on a repeated id.
    pub fn new(keyids: Vec<KeyId>, threshold: u64) -> Result<Self, Error> {
        let path = "role";
        check_threshold(threshold_as_i64(threshold), path)?;
        check_unique(&keyids, &format!("{path}.keyids"))?;
        Ok(Role {
            keyids,
            threshold,
            unrecognized_fields: Map::new(),
        })
    }

    pub(crate) fn from_fields(fields: &mut Fields) -> Result<(Vec<KeyId>, u64), Error> {
        let keyids_path = fields.field_path("keyids");
        let keyids: Vec<KeyId> = fields
            .string_list("keyids")?
            .into_iter()
            .map(KeyId::new)
            .collect();
        check_unique(&keyids, &keyids_path)?;
        let threshold = fields.int("threshold")?;
        let threshold = check_threshold(threshold, &fields.field_path("threshold"))?;
        Ok((keyids, threshold))
    }

    pub(crate) fn from_value(value: Value, path: String) -> Result<Self, Error> {
        let mut fields = Fields::new(value, path)?;
        let (keyids, threshold) = Self::from_fields(&mut fields)?;
        Ok(Role {
            keyids,
            threshold,
            unrecognized_fields: fields.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        object_with(
            &self.unrecognized_fields,
            keyids_and_threshold(&self.keyids, self.threshold),
        )
    }
}

pub(crate) fn keyids_and_threshold(keyids: &[KeyId], threshold: u64) -> [(&'static str, Value); 2] {
    [
        (
            "keyids",
            Value::Array(
                keyids
                    .iter()
                    .map(|k| Value::String(k.as_str().to_owned()))
                    .collect(),
            ),
        ),
        ("threshold", Value::from(threshold)),
    ]
}

fn threshold_as_i64(threshold: u64) -> i64 {
    i64::try_from(threshold).unwrap_or(i64::MAX)
}

pub(crate) fn check_threshold(threshold: i64, path: &str) -> Result<u64, Error> {
    u64::try_from(threshold)
        .ok()
        .filter(|t| *t >= 1)
        .ok_or_else(|| Error::Threshold {
            path: path.to_owned(),
            value: threshold,
        })
}

pub(crate) fn check_unique(keyids: &[KeyId], path: &str) -> Result<(), Error> {
    let mut seen = BTreeSet::new();
    for keyid in keyids {
        if !seen.insert(keyid) {
            return Err(Error::NonuniqueKeyids {
                path: path.to_owned(),
                keyid: keyid.clone(),
            });
        }
    }
    Ok(())
}
