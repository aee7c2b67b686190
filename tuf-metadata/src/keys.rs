//! The `keys` maps of root and of delegations (spec sections 4.3 and 4.5): key id → public key.

use std::collections::BTreeMap;

use serde_json::Value;
use tuf_crypto::{KeyId, PublicKey};

use crate::Error;
use crate::fields::{Fields, as_object, as_string};

/// Key id → public key, as listed by a delegating role. Key ids are opaque labels: they are
/// never required to equal the hash of the key (spec section 4.2 lets a repository choose).
pub type Keys = BTreeMap<KeyId, PublicKey>;

pub(crate) fn parse(value: Value, path: &str) -> Result<Keys, Error> {
    let map = as_object(value, || path.to_owned())?;
    map.into_iter()
        .map(|(keyid, key)| {
            let key_path = format!("{path}.{keyid}");
            check_shape(&key, &key_path)?;
            let key = PublicKey::from_value(key).map_err(|e| Error::InvalidField {
                path: key_path,
                reason: e.to_string(),
            })?;
            Ok((KeyId::new(keyid), key))
        })
        .collect()
}

pub(crate) fn to_value(keys: &Keys) -> Value {
    Value::Object(
        keys.iter()
            .map(|(id, key)| (id.as_str().to_owned(), key.to_value()))
            .collect(),
    )
}

/// Checks the fields every key must have (spec section 4.2, "KEY"), so that a malformed key is
/// reported with the path of the missing or mistyped field.
fn check_shape(key: &Value, path: &str) -> Result<(), Error> {
    let mut fields = Fields::new(key.clone(), path.to_owned())?;
    as_string(fields.take("keytype")?, || format!("{path}.keytype"))?;
    as_string(fields.take("scheme")?, || format!("{path}.scheme"))?;
    let keyval_path = format!("{path}.keyval");
    let mut keyval = Fields::new(fields.take("keyval")?, keyval_path.clone())?;
    as_string(keyval.take("public")?, || format!("{keyval_path}.public"))?;
    Ok(())
}
