//! Signatures in the metadata envelope (spec section 4.2, "signatures").

use serde_json::{Map, Value};
use tuf_crypto::KeyId;

use crate::Error;
use crate::fields::{Fields, object_with};

/// One signature over the canonical form of `signed`: the signing key's id and the signature in
/// lower-case hex. Unrecognised fields are kept and written back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    /// The id of the key that made the signature.
    pub keyid: KeyId,
    /// The signature, hex-encoded.
    pub sig: String,
    /// Fields this crate does not know, kept as received.
    pub unrecognized_fields: Map<String, Value>,
}

impl Signature {
    /// A signature by `keyid` with hex signature `sig`.
    pub fn new(keyid: KeyId, sig: String) -> Self {
        Signature {
            keyid,
            sig,
            unrecognized_fields: Map::new(),
        }
    }

    pub(crate) fn from_value(value: Value, path: String) -> Result<Self, Error> {
        let mut fields = Fields::new(value, path)?;
        let keyid = KeyId::new(fields.string("keyid")?);
        let sig = fields.string("sig")?;
        Ok(Signature {
            keyid,
            sig,
            unrecognized_fields: fields.rest(),
        })
    }

    /// The JSON form.
    pub fn to_value(&self) -> Value {
        object_with(
            &self.unrecognized_fields,
            [
                ("keyid", Value::String(self.keyid.as_str().to_owned())),
                ("sig", Value::String(self.sig.clone())),
            ],
        )
    }
}
