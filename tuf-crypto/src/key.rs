//! Public keys in the securesystemslib JSON form, and key ids.

use std::borrow::Borrow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use serde::ser::SerializeMap as _;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::ecdsa::{Curve, EcdsaPublicKey};
use crate::{Error, Scheme, canonical, ed25519, pem, rsa};

/// Largest signature accepted for verification, in bytes: an RSA signature with the largest
/// accepted modulus. Longer signatures are refused before decoding their hex.
const MAX_SIGNATURE_LEN: usize = crate::RSA_MAX_BITS / 8;

/// A key id: the label under which a key is listed in root or targets metadata and which
/// signatures name (TUF spec section 4.2, `KEYID`; section 4.3, root `"keys"`).
///
/// It is an opaque string. The spec defines the key id as "the hexdigest of the SHA-256 hash of
/// the canonical form of the key", but clients must not rely on that, and this type never
/// checks it: compare key ids as strings. [`PublicKey::key_id`] computes the value
/// securesystemslib would assign to a new key.
///
/// ```
/// use tuf_crypto::KeyId;
///
/// let id = KeyId::new("4e777de0d275f9d28588dd9a1606cc748e548f9e22b6795b7cb3f63f98035fcb");
/// assert_eq!(id.as_str().len(), 64);
/// assert_eq!(serde_json::to_string(&id)?, format!("\"{id}\""));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct KeyId(String);

impl KeyId {
    /// Wraps a string as a key id (no validation).
    pub fn new(id: impl Into<String>) -> KeyId {
        KeyId(id.into())
    }

    /// The key id as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for KeyId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for KeyId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A public key as TUF metadata holds it (TUF spec section 4.2, "keys"; the values of root's
/// `"keys"` object, section 4.3, and of delegations' `"keys"`):
///
/// ```json
/// {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": "<hex or PEM>"}}
/// ```
///
/// This is securesystemslib's `SSlibKey` dictionary. Fields other than `keytype`, `scheme` and
/// `keyval`, and fields of `keyval` other than `public`, are kept as they are and written back,
/// so metadata round-trips exactly.
///
/// Reading a key never fails because its key type or scheme is unknown or its key material is
/// bad: metadata listing such a key must still parse, and it is [`PublicKey::verify`] that
/// fails (with [`Error::UnsupportedScheme`], [`Error::InvalidPublicKey`] or
/// [`Error::RsaKeySize`]). Reading fails only if the value is not an object or `keytype`,
/// `scheme` or `keyval.public` is missing or not a string (or `keyval` is not an object).
///
/// The decoded key material is cached on first use, so verifying many signatures with one key
/// parses its PEM once. Clones share the cache (`Clone` is a reference-count increment).
/// Equality compares the JSON form.
///
/// ```
/// use tuf_crypto::{PrivateKey, PublicKey, Scheme, Signer};
///
/// let json = r#"{"keytype": "ed25519", "scheme": "ed25519", "x-custom": 1,
///     "keyval": {"public": "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1"}}"#;
/// let key: PublicKey = serde_json::from_str(json)?;
/// assert_eq!(key.scheme(), Some(Scheme::Ed25519));
/// assert_eq!(serde_json::to_value(&key)?["x-custom"], 1);
///
/// // Keys with schemes this crate does not implement still parse.
/// let other: PublicKey = serde_json::from_str(
///     r#"{"keytype": "sphincs", "scheme": "sphincs-shake-256", "keyval": {"public": "00"}}"#,
/// )?;
/// assert_eq!(other.scheme(), None);
/// assert!(matches!(other.verify(b"msg", &[]), Err(tuf_crypto::Error::UnsupportedScheme { .. })));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct PublicKey {
    inner: Arc<KeyData>,
}

/// The shared state of a [`PublicKey`].
struct KeyData {
    /// `keytype`.
    keytype: String,
    /// `scheme`.
    scheme: String,
    /// `keyval.public`.
    public: String,
    /// The other fields of `keyval` (never holds `public`).
    keyval_rest: Map<String, Value>,
    /// The other top-level fields (never holds `keytype`, `scheme` or `keyval`).
    rest: Map<String, Value>,
    /// The key id, computed on first use.
    key_id: OnceLock<Result<KeyId, canonical::CanonicalJsonError>>,
    /// The decoded key, on first use.
    decoded: OnceLock<Result<DecodedKey, Error>>,
}

/// Key material decoded for verification.
#[derive(Clone)]
pub(crate) enum DecodedKey {
    /// An Ed25519 key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// An ECDSA key.
    Ecdsa(EcdsaPublicKey),
    /// An RSA key.
    Rsa(Box<::rsa::RsaPublicKey>),
}

impl PublicKey {
    /// The `keytype` field.
    pub fn keytype(&self) -> &str {
        &self.inner.keytype
    }

    /// The `scheme` field (which may name a scheme this crate does not implement).
    pub fn scheme_name(&self) -> &str {
        &self.inner.scheme
    }

    /// The `keyval.public` field: hex for Ed25519, PEM for ECDSA and RSA.
    pub fn public(&self) -> &str {
        &self.inner.public
    }

    /// The scheme this key verifies with, `None` if the `(keytype, scheme)` pair is not
    /// supported (see [`Scheme::from_pair`]).
    pub fn scheme(&self) -> Option<Scheme> {
        Scheme::from_pair(self.keytype(), self.scheme_name())
    }

    /// The key id securesystemslib gives this key: the lower-case hex SHA-256 of the canonical
    /// JSON of `{"keytype", "scheme", "keyval"}` (`keyval` as stored, unknown fields included;
    /// unknown top-level fields excluded). This is `compute_default_keyid` of
    /// securesystemslib, and the spec's `KEYID` (section 4.2).
    ///
    /// If an unknown `keyval` field holds a non-integer number, the key has no canonical form
    /// and securesystemslib could not compute a key id; this then hashes serde_json's compact
    /// (sorted-key) encoding instead, so that the method stays total. Use
    /// [`PublicKey::try_key_id`] to detect that case.
    pub fn key_id(&self) -> KeyId {
        match self.try_key_id() {
            Ok(id) => id,
            Err(_) => {
                let json = serde_json::to_vec(&self.key_id_object()).unwrap_or_default();
                KeyId(hex::encode(Sha256::digest(json)))
            }
        }
    }

    /// Like [`PublicKey::key_id`], but fails with [`Error::CanonicalJson`] if the key has no
    /// canonical JSON form.
    pub fn try_key_id(&self) -> Result<KeyId, Error> {
        self.inner
            .key_id
            .get_or_init(|| {
                canonical::to_vec(&self.key_id_object())
                    .map(|bytes| KeyId(hex::encode(Sha256::digest(bytes))))
            })
            .clone()
            .map_err(Error::from)
    }

    /// `{"keytype", "scheme", "keyval"}`: what the key id is computed over.
    fn key_id_object(&self) -> Value {
        let mut object = Map::new();
        object.insert("keytype".into(), Value::String(self.inner.keytype.clone()));
        object.insert("scheme".into(), Value::String(self.inner.scheme.clone()));
        object.insert("keyval".into(), Value::Object(self.keyval()));
        Value::Object(object)
    }

    /// The `keyval` object.
    fn keyval(&self) -> Map<String, Value> {
        let mut keyval = self.inner.keyval_rest.clone();
        keyval.insert("public".into(), Value::String(self.inner.public.clone()));
        keyval
    }

    /// Verifies `signature` (raw bytes: DER for ECDSA) over `message`.
    ///
    /// # Errors
    /// - [`Error::UnsupportedScheme`]: the `(keytype, scheme)` pair is not supported;
    /// - [`Error::InvalidPublicKey`]: `keyval.public` is not a key of the scheme (bad hex or
    ///   PEM, wrong algorithm, a P-384 key under `ecdsa-sha2-nistp256`, ...);
    /// - [`Error::RsaKeySize`]: the RSA modulus is out of range;
    /// - [`Error::BadSignature`]: the signature does not verify, whatever the reason.
    ///
    /// ```
    /// use tuf_crypto::{PrivateKey, Scheme, Signer};
    ///
    /// let key = PrivateKey::generate(Scheme::EcdsaSha2Nistp256)?;
    /// let signature = key.try_sign(b"message")?;
    /// key.public_key().verify(b"message", &signature)?;
    /// assert!(key.public_key().verify(b"massage", &signature).is_err());
    /// # Ok::<(), tuf_crypto::Error>(())
    /// ```
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        let scheme = self.supported_scheme()?;
        match self.decoded()? {
            DecodedKey::Ed25519(key) => ed25519::verify(key, message, signature),
            DecodedKey::Ecdsa(key) => key.verify(message, signature),
            DecodedKey::Rsa(key) => rsa::verify(key, scheme, message, signature),
        }
    }

    /// Verifies a hex-encoded signature (the `"sig"` field of TUF metadata, spec section 4.2).
    ///
    /// The hex is decoded as securesystemslib does (Python's `bytes.fromhex`: either case,
    /// whitespace between bytes allowed). Undecodable hex is [`Error::BadSignature`]; other
    /// errors as for [`PublicKey::verify`].
    pub fn verify_hex(&self, message: &[u8], signature_hex: &str) -> Result<(), Error> {
        // Key problems are reported even when the signature hex is bad too.
        let (_, _, signature) = self.decoded_for_stream(signature_hex)?;
        self.verify(message, &signature)
    }

    /// What a stream check needs, with the errors of [`PublicKey::verify_hex`] in its order.
    pub(crate) fn decoded_for_stream(
        &self,
        signature_hex: &str,
    ) -> Result<(&DecodedKey, Scheme, Vec<u8>), Error> {
        let scheme = self.supported_scheme()?;
        let key = self.decoded()?;
        let signature =
            crate::hex_text::decode(signature_hex, MAX_SIGNATURE_LEN).ok_or(Error::BadSignature)?;
        Ok((key, scheme, signature))
    }

    /// The supported scheme, or [`Error::UnsupportedScheme`].
    fn supported_scheme(&self) -> Result<Scheme, Error> {
        self.scheme().ok_or_else(|| Error::UnsupportedScheme {
            keytype: self.inner.keytype.clone(),
            scheme: self.inner.scheme.clone(),
        })
    }

    /// The decoded key material (decoded once, then cached, errors included).
    fn decoded(&self) -> Result<&DecodedKey, Error> {
        let scheme = self.supported_scheme()?;
        self.inner
            .decoded
            .get_or_init(|| decode_public(scheme, &self.inner.public))
            .as_ref()
            .map_err(Clone::clone)
    }

    /// The JSON form of the key.
    pub fn to_value(&self) -> Value {
        let mut object = self.inner.rest.clone();
        object.insert("keytype".into(), Value::String(self.inner.keytype.clone()));
        object.insert("scheme".into(), Value::String(self.inner.scheme.clone()));
        object.insert("keyval".into(), Value::Object(self.keyval()));
        Value::Object(object)
    }

    /// Reads a key from its JSON form.
    ///
    /// # Errors
    /// [`Error::Json`] if `value` is not an object, or `keytype`, `scheme` or `keyval.public`
    /// is missing or not a string, or `keyval` is not an object. Nothing else is checked.
    pub fn from_value(value: Value) -> Result<Self, Error> {
        match value {
            Value::Object(object) => PublicKey::from_object(object),
            _ => Err(json_error("a key must be a JSON object")),
        }
    }

    /// Reads a key from a JSON object.
    fn from_object(mut object: Map<String, Value>) -> Result<Self, Error> {
        let keytype = take_string(&mut object, "keytype")?;
        let scheme = take_string(&mut object, "scheme")?;
        let mut keyval = match object.remove("keyval") {
            Some(Value::Object(keyval)) => keyval,
            Some(_) => return Err(json_error("\"keyval\" must be an object")),
            None => return Err(json_error("missing \"keyval\"")),
        };
        let public = match keyval.remove("public") {
            Some(Value::String(public)) => public,
            Some(_) => return Err(json_error("\"keyval\".\"public\" must be a string")),
            None => return Err(json_error("missing \"keyval\".\"public\"")),
        };
        Ok(PublicKey::from_parts(
            keytype, scheme, public, keyval, object, None,
        ))
    }

    /// Builds a key from its parts, optionally with the decoded key already known.
    fn from_parts(
        keytype: String,
        scheme: String,
        public: String,
        keyval_rest: Map<String, Value>,
        rest: Map<String, Value>,
        decoded: Option<DecodedKey>,
    ) -> Self {
        let cache = OnceLock::new();
        if let Some(decoded) = decoded {
            // A fresh cell cannot be full yet.
            let _ = cache.set(Ok(decoded));
        }
        PublicKey {
            inner: Arc::new(KeyData {
                keytype,
                scheme,
                public,
                keyval_rest,
                rest,
                key_id: OnceLock::new(),
                decoded: cache,
            }),
        }
    }

    /// The securesystemslib form of decoded key material for `scheme` (key type
    /// [`Scheme::keytype`], `keyval` holding only `public`), as `SSlibKey.from_crypto` builds
    /// it.
    pub(crate) fn from_decoded(scheme: Scheme, decoded: DecodedKey) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidPublicKey {
            scheme: scheme.as_str().to_owned(),
            reason,
        };
        let public = match &decoded {
            DecodedKey::Ed25519(key) => ed25519::encode_public(key),
            DecodedKey::Ecdsa(key) => key.to_pem().map_err(invalid)?,
            DecodedKey::Rsa(key) => rsa::public_to_pem(key).map_err(invalid)?,
        };
        Ok(PublicKey::from_parts(
            scheme.keytype().to_owned(),
            scheme.as_str().to_owned(),
            public,
            Map::new(),
            Map::new(),
            Some(decoded),
        ))
    }

    /// Builds the securesystemslib form of a PEM SubjectPublicKeyInfo public key for `scheme`,
    /// as securesystemslib's `SSlibKey.from_crypto(public_key, scheme=...)` does: key type
    /// [`Scheme::keytype`], and `keyval.public` the lower-case hex of the raw key for Ed25519,
    /// or the key re-encoded as PEM SubjectPublicKeyInfo (LF line endings, final newline,
    /// uncompressed EC point) for ECDSA and RSA. The key id of the result is then the one
    /// securesystemslib computes for the same key.
    ///
    /// PKCS#1 `RSA PUBLIC KEY` PEM is accepted for RSA schemes too.
    ///
    /// # Errors
    /// [`Error::SchemeMismatch`] if the key's algorithm (or curve) does not fit `scheme`;
    /// [`Error::InvalidPublicKey`] if the PEM or key cannot be read; [`Error::RsaKeySize`].
    ///
    /// ```
    /// use tuf_crypto::{PublicKey, Scheme};
    ///
    /// let pem = "-----BEGIN PUBLIC KEY-----\n\
    ///            MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n\
    ///            -----END PUBLIC KEY-----\n";
    /// let key = PublicKey::from_spki_pem(pem, Scheme::Ed25519)?;
    /// assert_eq!(key.keytype(), "ed25519");
    /// assert_eq!(key.public(), "19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1");
    /// assert!(PublicKey::from_spki_pem(pem, Scheme::RsassaPssSha256).is_err());
    /// # Ok::<(), tuf_crypto::Error>(())
    /// ```
    pub fn from_spki_pem(pem: &str, scheme: Scheme) -> Result<Self, Error> {
        let decoded = decode_pem_for_scheme(scheme, pem)?;
        PublicKey::from_decoded(scheme, decoded)
    }
}

/// A [`Error::Json`] with `reason`.
fn json_error(reason: &str) -> Error {
    Error::Json {
        reason: reason.to_owned(),
    }
}

/// Removes a string field from a key object.
fn take_string(object: &mut Map<String, Value>, field: &str) -> Result<String, Error> {
    match object.remove(field) {
        Some(Value::String(value)) => Ok(value),
        Some(_) => Err(json_error(&format!("{field:?} must be a string"))),
        None => Err(json_error(&format!("missing {field:?}"))),
    }
}

/// Decodes `keyval.public` for `scheme` (verification-time decoding).
fn decode_public(scheme: Scheme, public: &str) -> Result<DecodedKey, Error> {
    if scheme == Scheme::Ed25519 {
        return ed25519::decode_public(public)
            .map(DecodedKey::Ed25519)
            .map_err(|reason| Error::InvalidPublicKey {
                scheme: scheme.as_str().to_owned(),
                reason,
            });
    }
    // A key of the wrong algorithm under this scheme is bad key material here, not a caller's
    // mistake: report it as an invalid public key.
    decode_pem_for_scheme(scheme, public).map_err(|err| match err {
        Error::SchemeMismatch { key, .. } => Error::InvalidPublicKey {
            scheme: scheme.as_str().to_owned(),
            reason: format!("a {key} key cannot be used with this scheme"),
        },
        other => other,
    })
}

/// Decodes a PEM public key (SPKI; PKCS#1 for RSA schemes) for `scheme`. A key of another
/// algorithm or curve is [`Error::SchemeMismatch`].
fn decode_pem_for_scheme(scheme: Scheme, text: &str) -> Result<DecodedKey, Error> {
    let invalid = |reason: String| Error::InvalidPublicKey {
        scheme: scheme.as_str().to_owned(),
        reason,
    };
    let mismatch = |key: &str| Error::SchemeMismatch {
        scheme: scheme.as_str().to_owned(),
        key: key.to_owned(),
    };
    let block = pem::decode(text).map_err(invalid)?;
    let rsa_error = |err: rsa::PublicKeyError| match err {
        rsa::PublicKeyError::Invalid(reason) => invalid(reason),
        rsa::PublicKeyError::Size(size) => size,
    };
    match block.label.as_str() {
        "PUBLIC KEY" => {}
        "RSA PUBLIC KEY" if scheme.is_rsa() => {
            return rsa::public_from_pkcs1(&block.der)
                .map(|key| DecodedKey::Rsa(Box::new(key)))
                .map_err(rsa_error);
        }
        "RSA PUBLIC KEY" => return Err(mismatch("rsa")),
        other => {
            return Err(invalid(format!(
                "expected a PUBLIC KEY PEM block, not {other:?}"
            )));
        }
    }
    let spki = pkcs8::SubjectPublicKeyInfoRef::try_from(block.der.as_slice())
        .map_err(|err| invalid(format!("bad SubjectPublicKeyInfo: {err}")))?;
    let oid = spki.algorithm.oid;
    if oid == ed25519::OID {
        if scheme != Scheme::Ed25519 {
            return Err(mismatch("ed25519"));
        }
        ed25519::decode_spki(&spki)
            .map(DecodedKey::Ed25519)
            .map_err(invalid)
    } else if oid == crate::ecdsa::OID {
        let key = EcdsaPublicKey::from_spki(&spki).map_err(invalid)?;
        if Curve::of_scheme(scheme) != Some(key.curve()) {
            return Err(mismatch(key.curve().key_description()));
        }
        Ok(DecodedKey::Ecdsa(key))
    } else if oid == rsa::OID || oid == rsa::OID_PSS {
        if !scheme.is_rsa() {
            return Err(mismatch("rsa"));
        }
        rsa::public_from_spki(&spki)
            .map(|key| DecodedKey::Rsa(Box::new(key)))
            .map_err(rsa_error)
    } else {
        Err(invalid(format!("unsupported key algorithm {oid}")))
    }
}

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
            || (self.inner.keytype == other.inner.keytype
                && self.inner.scheme == other.inner.scheme
                && self.inner.public == other.inner.public
                && self.inner.keyval_rest == other.inner.keyval_rest
                && self.inner.rest == other.inner.rest)
    }
}

impl Eq for PublicKey {}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("PublicKey");
        debug
            .field("keytype", &self.inner.keytype)
            .field("scheme", &self.inner.scheme)
            .field("public", &self.inner.public);
        if !self.inner.keyval_rest.is_empty() {
            debug.field("keyval_unknown", &self.inner.keyval_rest);
        }
        if !self.inner.rest.is_empty() {
            debug.field("unknown", &self.inner.rest);
        }
        debug.finish()
    }
}

impl serde::Serialize for PublicKey {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        /// `keyval`, serialised without building a map.
        struct Keyval<'a>(&'a KeyData);
        impl serde::Serialize for Keyval<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(self.0.keyval_rest.len() + 1))?;
                map.serialize_entry("public", &self.0.public)?;
                for (name, value) in &self.0.keyval_rest {
                    map.serialize_entry(name, value)?;
                }
                map.end()
            }
        }

        let data = &*self.inner;
        let mut map = serializer.serialize_map(Some(data.rest.len() + 3))?;
        map.serialize_entry("keytype", &data.keytype)?;
        map.serialize_entry("keyval", &Keyval(data))?;
        map.serialize_entry("scheme", &data.scheme)?;
        for (name, value) in &data.rest {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for PublicKey {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = Map::<String, Value>::deserialize(deserializer)?;
        PublicKey::from_object(object).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{PrivateKey, Signer as _};

    fn key(value: Value) -> PublicKey {
        PublicKey::from_value(value).unwrap()
    }

    fn signed_with(scheme: Scheme) -> (PrivateKey, Vec<u8>) {
        let private = if scheme.is_rsa() {
            PrivateKey::generate_rsa(scheme, 2048).unwrap()
        } else {
            PrivateKey::generate(scheme).unwrap()
        };
        let signature = private.try_sign(b"message").unwrap();
        (private, signature)
    }

    /// The JSON of `private`'s public key with `edit` applied.
    fn edited(private: &PrivateKey, edit: impl FnOnce(&mut Value)) -> PublicKey {
        let mut value = private.public_key().to_value();
        edit(&mut value);
        key(value)
    }

    #[test]
    fn json_shape_errors() {
        let bad = |value: Value| {
            let err = PublicKey::from_value(value.clone()).unwrap_err();
            assert!(matches!(err, Error::Json { .. }), "{value}: {err:?}");
            assert!(serde_json::from_value::<PublicKey>(value).is_err());
        };
        bad(json!([]));
        bad(json!("ed25519"));
        bad(json!(null));
        bad(json!({"scheme": "ed25519", "keyval": {"public": "00"}}));
        bad(json!({"keytype": 1, "scheme": "ed25519", "keyval": {"public": "00"}}));
        bad(json!({"keytype": "ed25519", "keyval": {"public": "00"}}));
        bad(json!({"keytype": "ed25519", "scheme": null, "keyval": {"public": "00"}}));
        bad(json!({"keytype": "ed25519", "scheme": "ed25519"}));
        bad(json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": "00"}));
        bad(json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {}}));
        bad(json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": 0}}));
        bad(json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": ["00"]}}));
    }

    #[test]
    fn unknown_fields_round_trip() {
        let value = json!({
            "keytype": "ed25519",
            "scheme": "ed25519",
            "keyval": {"public": "abcd", "private": "", "x": [1, {"y": null}]},
            "keyid_hash_algorithms": ["sha256", "sha512"],
            "x-float": 1.5,
        });
        let parsed = key(value.clone());
        assert_eq!(parsed.to_value(), value);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), value);
        let text = serde_json::to_string(&parsed).unwrap();
        assert_eq!(serde_json::from_str::<PublicKey>(&text).unwrap(), parsed);
        assert_eq!(parsed.public(), "abcd");
        // The key id covers unknown keyval fields but not unknown top-level fields.
        let mut without_top = value.clone();
        without_top
            .as_object_mut()
            .unwrap()
            .remove("keyid_hash_algorithms");
        assert_eq!(key(without_top).key_id(), parsed.key_id());
        let mut without_keyval_field = value;
        without_keyval_field["keyval"]
            .as_object_mut()
            .unwrap()
            .remove("private");
        assert_ne!(key(without_keyval_field).key_id(), parsed.key_id());
    }

    #[test]
    fn equality_is_json_equality() {
        let a = key(json!({"keytype": "t", "scheme": "s", "keyval": {"public": "p"}, "x": 1}));
        let b = key(json!({"x": 1, "keyval": {"public": "p"}, "scheme": "s", "keytype": "t"}));
        let c = key(json!({"keytype": "t", "scheme": "s", "keyval": {"public": "p"}, "x": 2}));
        let d = key(json!({"keytype": "t", "scheme": "s", "keyval": {"public": "p", "x": 1}}));
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_ne!(a, d);
        assert_eq!(a.clone(), a);
    }

    #[test]
    fn key_id_of_a_known_key() {
        // Key id computed by securesystemslib 1.6.0 for this key dict:
        // /tmp/pyref/bin/python -c 'from securesystemslib.signer._utils import
        //   compute_default_keyid as k; print(k("ed25519", "ed25519", {"public":
        //   "4f66dabebcf30628963786001984c0b75c175cdcf3bc4855933a2628f0cd0a0f"}))'
        let parsed = key(
            json!({"keytype": "ed25519", "scheme": "ed25519", "keyval": {
            "public": "4f66dabebcf30628963786001984c0b75c175cdcf3bc4855933a2628f0cd0a0f"}}),
        );
        assert_eq!(
            parsed.key_id().as_str(),
            "c6d8bf2e4f48b41ac2ce8eca21415ca8ef68c133b47fc33df03d4070a7e1e9cc"
        );
    }

    #[test]
    fn key_id_without_canonical_form() {
        let parsed =
            key(json!({"keytype": "t", "scheme": "s", "keyval": {"public": "p", "f": 0.5}}));
        assert!(matches!(parsed.try_key_id(), Err(Error::CanonicalJson(_))));
        let id = parsed.key_id();
        assert_eq!(id.as_str().len(), 64);
        assert_eq!(parsed.key_id(), id);
    }

    #[test]
    fn unsupported_scheme_parses_but_does_not_verify() {
        for (keytype, scheme) in [
            ("ed25519", "ed448"),
            ("rsa", "rsassa-pss-sha224"),
            ("ecdsa", "ecdsa-sha2-nistp521"),
            ("ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256"),
            ("rsa", "ed25519"),
            ("", ""),
        ] {
            let parsed =
                key(json!({"keytype": keytype, "scheme": scheme, "keyval": {"public": ""}}));
            assert_eq!(parsed.scheme(), None);
            let expected = Error::UnsupportedScheme {
                keytype: keytype.into(),
                scheme: scheme.into(),
            };
            assert_eq!(parsed.verify(b"m", &[0; 64]), Err(expected.clone()));
            assert_eq!(parsed.verify_hex(b"m", "not hex"), Err(expected));
        }
    }

    #[test]
    fn legacy_ecdsa_keytype_verifies() {
        for scheme in [Scheme::EcdsaSha2Nistp256, Scheme::EcdsaSha2Nistp384] {
            let (private, signature) = signed_with(scheme);
            let legacy = edited(&private, |value| value["keytype"] = json!(scheme.as_str()));
            assert_eq!(legacy.scheme(), Some(scheme));
            assert_eq!(legacy.verify(b"message", &signature), Ok(()));
            assert_ne!(legacy.key_id(), private.key_id());
        }
    }

    #[test]
    fn bad_key_material_is_invalid_public_key() {
        let invalid = |parsed: &PublicKey, signature: &[u8]| {
            let err = parsed.verify(b"message", signature).unwrap_err();
            assert!(
                matches!(err, Error::InvalidPublicKey { .. }),
                "{parsed:?}: {err:?}"
            );
            // Cached: the second call gives the same answer.
            assert_eq!(parsed.verify(b"message", signature), Err(err.clone()));
            assert_eq!(parsed.verify_hex(b"message", "zz"), Err(err));
        };
        let (ed, ed_sig) = signed_with(Scheme::Ed25519);
        for public in ["", "00", &"0".repeat(62), &"g".repeat(64), &"00".repeat(33)] {
            invalid(
                &edited(&ed, |value| value["keyval"]["public"] = json!(public)),
                &ed_sig,
            );
        }
        let (p256, p256_sig) = signed_with(Scheme::EcdsaSha2Nistp256);
        let (p384, _) = signed_with(Scheme::EcdsaSha2Nistp384);
        let (rsa, rsa_sig) = signed_with(Scheme::RsassaPssSha256);
        // P-384 key under a P-256 scheme, and the other way round.
        let p384_pem = p384.public_key().public().to_owned();
        invalid(
            &edited(&p256, |value| value["keyval"]["public"] = json!(p384_pem)),
            &p256_sig,
        );
        invalid(
            &edited(&p256, |value| {
                value["scheme"] = json!("ecdsa-sha2-nistp384")
            }),
            &p256_sig,
        );
        // RSA key under ECDSA and the other way round; Ed25519 hex under RSA.
        let rsa_pem = rsa.public_key().public().to_owned();
        invalid(
            &edited(&p256, |value| value["keyval"]["public"] = json!(rsa_pem)),
            &p256_sig,
        );
        let p256_pem = p256.public_key().public().to_owned();
        invalid(
            &edited(&rsa, |value| value["keyval"]["public"] = json!(p256_pem)),
            &rsa_sig,
        );
        let ed_hex = ed.public_key().public().to_owned();
        invalid(
            &edited(&rsa, |value| value["keyval"]["public"] = json!(ed_hex)),
            &rsa_sig,
        );
        // Garbage PEM, truncated PEM, a private key, oversized PEM.
        let rsa_pem = rsa.public_key().public().to_owned();
        for public in [
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n".to_owned(),
            rsa_pem.replacen("MII", "MIJ", 1),
            rsa_pem[..rsa_pem.len() / 2].to_owned(),
            rsa.to_pkcs8_pem().unwrap(),
            format!("{rsa_pem}{}", " ".repeat(crate::MAX_PEM_LEN)),
        ] {
            invalid(
                &edited(&rsa, |value| value["keyval"]["public"] = json!(public)),
                &rsa_sig,
            );
        }
    }

    #[test]
    fn rsa_pkcs1_public_pem_accepted() {
        // pyca/cryptography's load_pem_public_key reads "RSA PUBLIC KEY" (PKCS#1) PEM too.
        let (rsa, signature) = signed_with(Scheme::RsaPkcs1v15Sha512);
        let spki = pem::decode(rsa.public_key().public()).unwrap();
        let info = pkcs8::SubjectPublicKeyInfoRef::try_from(spki.der.as_slice()).unwrap();
        let pkcs1 = pem::encode("RSA PUBLIC KEY", info.subject_public_key.raw_bytes()).unwrap();
        let parsed = edited(&rsa, |value| value["keyval"]["public"] = json!(pkcs1));
        assert_eq!(parsed.verify(b"message", &signature), Ok(()));
        // from_spki_pem normalises it to the SubjectPublicKeyInfo form.
        let normalised = PublicKey::from_spki_pem(&pkcs1, Scheme::RsaPkcs1v15Sha512).unwrap();
        assert_eq!(&normalised, rsa.public_key());
    }

    #[test]
    fn verify_hex_decodes_like_python() {
        let (private, signature) = signed_with(Scheme::Ed25519);
        let public = private.public_key();
        let lower = hex::encode(&signature);
        assert_eq!(public.verify_hex(b"message", &lower), Ok(()));
        assert_eq!(public.verify_hex(b"message", &lower.to_uppercase()), Ok(()));
        assert_eq!(
            public.verify_hex(b"message", &format!(" {lower}\n")),
            Ok(())
        );
        assert_eq!(
            public.verify_hex(b"message", &lower[1..]),
            Err(Error::BadSignature)
        );
        assert_eq!(
            public.verify_hex(b"message", &format!("0x{lower}")),
            Err(Error::BadSignature)
        );
        assert_eq!(public.verify_hex(b"message", ""), Err(Error::BadSignature));
        let huge = "00".repeat(MAX_SIGNATURE_LEN + 1);
        assert_eq!(
            public.verify_hex(b"message", &huge),
            Err(Error::BadSignature)
        );
    }

    #[test]
    fn from_spki_pem_checks_the_scheme() {
        for scheme in Scheme::ALL {
            let (private, _) = signed_with(scheme);
            let decoded = pem::decode(private.public_key().public()).ok();
            let spki_pem = match scheme {
                // Ed25519 keys are hex in metadata; build their SPKI PEM.
                Scheme::Ed25519 => {
                    let mut der = hex::decode("302a300506032b6570032100").unwrap();
                    der.extend(hex::decode(private.public_key().public()).unwrap());
                    pem::encode("PUBLIC KEY", &der).unwrap()
                }
                _ => {
                    assert!(decoded.is_some());
                    private.public_key().public().to_owned()
                }
            };
            let rebuilt = PublicKey::from_spki_pem(&spki_pem, scheme).unwrap();
            assert_eq!(&rebuilt, private.public_key(), "{scheme}");
            for other in Scheme::ALL {
                let same_family = other == scheme || (other.is_rsa() && scheme.is_rsa());
                let result = PublicKey::from_spki_pem(&spki_pem, other);
                assert_eq!(result.is_ok(), same_family, "{scheme} key as {other}");
                if !same_family {
                    assert!(matches!(result, Err(Error::SchemeMismatch { .. })));
                }
            }
        }
        assert!(matches!(
            PublicKey::from_spki_pem("nonsense", Scheme::Ed25519),
            Err(Error::InvalidPublicKey { .. })
        ));
    }

    #[test]
    fn clones_share_the_decoded_key() {
        let (private, signature) = signed_with(Scheme::EcdsaSha2Nistp256);
        let parsed = key(private.public_key().to_value());
        assert!(parsed.inner.decoded.get().is_none());
        let clone = parsed.clone();
        assert_eq!(parsed.verify(b"message", &signature), Ok(()));
        assert!(clone.inner.decoded.get().is_some());
        assert!(Arc::ptr_eq(&parsed.inner, &clone.inner));
    }

    #[test]
    fn key_id_type() {
        let id = KeyId::new("abc");
        assert_eq!(id.to_string(), "abc");
        assert_eq!(<KeyId as AsRef<str>>::as_ref(&id), "abc");
        let set: std::collections::BTreeSet<KeyId> = [KeyId::new("b"), id.clone()].into();
        assert!(set.contains("abc"));
        assert_eq!(serde_json::to_value(&id).unwrap(), json!("abc"));
        assert_eq!(serde_json::from_value::<KeyId>(json!("abc")).unwrap(), id);
    }
}
