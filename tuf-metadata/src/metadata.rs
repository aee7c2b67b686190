//! The metadata envelope `{"signed": ..., "signatures": [...]}` (spec section 4.2).

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::value::RawValue;
use serde_json::{Map, Value};
use tuf_crypto::{Signer, canonical};

use crate::fields::{Fields, as_array};
use crate::intake::Delivery;
use crate::threshold::{Delegator, RoleKeys, VerificationResult};
use crate::{Error, Expires, Signature, SpecVersion};

/// The `signed` part of a role's metadata: [`crate::Root`], [`crate::Timestamp`],
/// [`crate::Snapshot`] or [`crate::Targets`].
pub trait Signed: Sized {
    /// The `_type` value of this role.
    const TYPE: &'static str;

    /// Reads and validates the `signed` object.
    ///
    /// # Errors
    /// The first problem found, naming its field.
    fn from_value(value: Value) -> Result<Self, Error>;

    /// Reads and validates the `signed` object from its JSON text. The default parses a
    /// `Value` and calls [`Signed::from_value`]; roles with large maps read them directly.
    ///
    /// # Errors
    /// As [`Signed::from_value`], or [`Error::Json`].
    fn from_text(text: &str) -> Result<Self, Error> {
        Self::from_value(parse_json(text)?)
    }

    /// As [`Signed::from_text`], where `text` lies inside `owner`, bytes the caller shares:
    /// a role may keep `owner` and refer to it instead of copying what it reads (the targets
    /// map of [`crate::Targets`] is indexed in it, see [`crate::entry_map`]). The default
    /// calls [`Signed::from_text`]. The result is the same either way.
    ///
    /// # Errors
    /// As [`Signed::from_text`].
    fn from_shared_text(owner: &Arc<Vec<u8>>, text: &str) -> Result<Self, Error> {
        let _ = owner;
        Self::from_text(text)
    }

    /// The JSON form, unrecognised fields included.
    fn to_value(&self) -> Value;

    /// The metadata version.
    fn version(&self) -> u64;

    /// The expiry time.
    fn expires(&self) -> Expires;

    /// The specification version.
    fn spec_version(&self) -> &SpecVersion;
}

/// Bytes of a role as received: borrowed (`&[u8]`, `&[u8; N]`, `&Vec<u8>`), shared
/// (`&Arc<Vec<u8>>`), or delivered by an [`Intake`](crate::intake::Intake) (`&Delivery`).
/// What is read from shared bytes may keep them: the large map of a [`crate::Snapshot`] or
/// [`crate::Targets`] is then indexed in them instead of built ([`crate::entry_map`]), which
/// saves most of the time and memory of reading a role that lists many entries when only a
/// few are looked up. Delivered bytes are shared, and their checks were made while they
/// arrived. The result, and every error, is the same in every case
/// ([`Metadata::from_received_verified`]).
///
/// ```
/// use std::sync::Arc;
/// use tuf_metadata::Received;
/// let shared = Arc::new(b"{}".to_vec());
/// assert!(matches!(Received::from(&shared), Received::Shared(_)));
/// assert!(matches!(Received::from(&b"{}"[..]), Received::Borrowed(_)));
/// assert_eq!(Received::from(&shared).bytes(), b"{}");
/// ```
#[derive(Debug, Clone, Copy)]
pub enum Received<'b> {
    /// Bytes that what is read from them copies from.
    Borrowed(&'b [u8]),
    /// Bytes that what is read from them may keep.
    Shared(&'b Arc<Vec<u8>>),
    /// Shared bytes that arrived through an [`Intake`](crate::intake::Intake), checked
    /// while they did.
    Delivered(&'b Delivery),
}

impl<'b> Received<'b> {
    /// The bytes.
    pub fn bytes(self) -> &'b [u8] {
        match self {
            Received::Borrowed(bytes) => bytes,
            Received::Shared(bytes) => bytes,
            Received::Delivered(delivery) => delivery.bytes(),
        }
    }

    /// The shared bytes, if they are.
    pub fn owner(self) -> Option<&'b Arc<Vec<u8>>> {
        match self {
            Received::Borrowed(_) => None,
            Received::Shared(bytes) => Some(bytes),
            Received::Delivered(delivery) => Some(delivery.bytes()),
        }
    }

    /// The delivery, if the bytes are one.
    pub fn delivery(self) -> Option<&'b Delivery> {
        match self {
            Received::Delivered(delivery) => Some(delivery),
            _ => None,
        }
    }
}

impl<'b> From<&'b [u8]> for Received<'b> {
    fn from(bytes: &'b [u8]) -> Self {
        Received::Borrowed(bytes)
    }
}

impl<'b, const N: usize> From<&'b [u8; N]> for Received<'b> {
    fn from(bytes: &'b [u8; N]) -> Self {
        Received::Borrowed(bytes)
    }
}

impl<'b> From<&'b Vec<u8>> for Received<'b> {
    fn from(bytes: &'b Vec<u8>) -> Self {
        Received::Borrowed(bytes)
    }
}

impl<'b> From<&'b Arc<Vec<u8>>> for Received<'b> {
    fn from(bytes: &'b Arc<Vec<u8>>) -> Self {
        Received::Shared(bytes)
    }
}

impl<'b> From<&'b Delivery> for Received<'b> {
    fn from(delivery: &'b Delivery) -> Self {
        Received::Delivered(delivery)
    }
}

/// Signed metadata of one role.
///
/// Parsed from untrusted bytes with [`Metadata::from_bytes`]. The canonical form of `signed`
/// *as received* (unrecognised fields included) is kept, and signatures are checked against
/// it, never against a re-serialised struct. Mutating through [`Metadata::signed_mut`] drops
/// it; the canonical form is then computed from the struct.
///
/// ```
/// use tuf_metadata::{Expires, Metadata, Signed, Targets};
/// let expires: Expires = "2030-01-01T00:00:00Z".parse().unwrap();
/// let metadata = Metadata::new(Targets::new(expires));
/// let bytes = metadata.to_bytes();
/// let parsed = Metadata::<Targets>::from_bytes(&bytes).unwrap();
/// assert_eq!(parsed.signed().version(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Metadata<T> {
    signed: T,
    signatures: Vec<Signature>,
    unrecognized_fields: Map<String, Value>,
    received_canonical: Option<Vec<u8>>,
}

impl<T: Signed> Metadata<T> {
    /// Unsigned metadata around `signed`.
    pub fn new(signed: T) -> Self {
        Metadata {
            signed,
            signatures: Vec::new(),
            unrecognized_fields: Map::new(),
            received_canonical: None,
        }
    }

    /// Parses metadata from untrusted bytes. The caller bounds the length of `bytes`.
    ///
    /// # Errors
    /// [`Error::Json`] for bytes that are not JSON, [`Error::DuplicateSignature`] for two
    /// signatures by one key id, [`Error::CanonicalJson`] when `signed` has no canonical form,
    /// or the first problem in `signed`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        if let Some((fields, text)) = signed_last(bytes) {
            if let Ok(metadata) = Self::from_envelope(fields, text) {
                return Ok(metadata);
            }
        }
        let (fields, text) = envelope(bytes)?;
        Self::from_envelope(fields, text)
    }

    /// [`Metadata::from_bytes`] after the envelope is split.
    fn from_envelope(fields: Fields, text: &str) -> Result<Self, Error> {
        // The canonical form and the parse each read all of `signed`: side by side for large
        // roles (see [`crate::parallel`]); `assemble` reports errors in the sequential order.
        let (canonical, signed) = crate::parallel::join(
            text.len(),
            || canonical::from_json_text(text.as_bytes()),
            || T::from_text(text),
        );
        Self::assemble(fields, signed, canonical)
    }

    /// Parses metadata from untrusted bytes as [`Metadata::from_bytes`] does, and checks its
    /// signatures against `keys` (the delegator's keys and threshold for this role) in the
    /// same pass, without holding the canonical form of `signed`: it is fed to the signature
    /// checks in pieces as it is produced ([`canonical::stream_json_text`],
    /// [`RoleKeys::stream`]), beside the parse. This is how a client reads a role of many
    /// megabytes (spec 5.6.3) with one copy of it in memory, the bytes received.
    ///
    /// The result is what `from_bytes` then [`RoleKeys::verify`] over
    /// [`Metadata::signed_bytes`] give, threshold not judged. The canonical form is not kept:
    /// [`Metadata::signed_bytes`] of the result computes it from the parsed struct, which is
    /// the form received except where an unrecognised field holds an integer a JSON value
    /// cannot represent exactly (`-0`, or beyond 64 bits); there it fails (an error, never a
    /// different payload).
    ///
    /// # Errors
    /// As [`Metadata::from_bytes`].
    pub fn from_bytes_verified(
        bytes: &[u8],
        keys: RoleKeys<'_>,
    ) -> Result<(Self, VerificationResult), Error> {
        Self::from_received_verified(Received::Borrowed(bytes), keys)
    }

    /// [`Metadata::from_bytes_verified`] of bytes the caller shares: `signed` is read with
    /// [`Signed::from_shared_text`], so a role may keep the bytes instead of copying what it
    /// reads from them (the targets map of [`crate::Targets`] is then indexed, not built).
    /// The result is the same.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use tuf_crypto::{PrivateKey, Scheme, Signer};
    /// use tuf_metadata::{Expires, Metadata, Root, TargetFile, Targets};
    ///
    /// let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
    /// let mut root = Root::new("2030-01-01T00:00:00Z".parse().unwrap());
    /// root.add_key("targets", key.public_key().clone()).unwrap();
    /// let mut targets = Targets::new("2030-01-01T00:00:00Z".parse().unwrap());
    /// let file = TargetFile::from_data(b"hello", &["sha256"]).unwrap();
    /// targets.targets.insert("hello.txt".to_owned(), file.clone());
    /// let mut targets = Metadata::new(targets);
    /// targets.sign(&key).unwrap();
    ///
    /// let received = Arc::new(targets.to_bytes());
    /// let keys = tuf_metadata::Delegator::role_keys(&root, "targets").unwrap();
    /// let (parsed, result) = Metadata::<Targets>::from_shared_bytes_verified(&received, keys).unwrap();
    /// assert!(result.verified());
    /// assert!(parsed.signed().targets.is_indexed());
    /// assert_eq!(parsed.signed().targets.lookup("hello.txt").unwrap().into_owned(), file);
    /// ```
    ///
    /// # Errors
    /// As [`Metadata::from_bytes`].
    pub fn from_shared_bytes_verified(
        bytes: &Arc<Vec<u8>>,
        keys: RoleKeys<'_>,
    ) -> Result<(Self, VerificationResult), Error> {
        Self::from_received_verified(Received::Shared(bytes), keys)
    }

    /// [`Metadata::from_bytes_verified`] or [`Metadata::from_shared_bytes_verified`], as
    /// `received` is borrowed or shared.
    ///
    /// # Errors
    /// As [`Metadata::from_bytes`].
    pub fn from_received_verified(
        received: Received<'_>,
        keys: RoleKeys<'_>,
    ) -> Result<(Self, VerificationResult), Error> {
        let (bytes, owner) = (received.bytes(), received.owner());
        if let Some(delivery) = received.delivery() {
            if let Some(verified) = Self::from_delivery(delivery, keys) {
                return Ok(verified);
            }
        }
        if let Some((fields, text)) = signed_last(bytes) {
            if let Ok(verified) = Self::from_envelope_verified(fields, text, owner, keys) {
                return Ok(verified);
            }
        }
        let (fields, text) = envelope(bytes)?;
        Self::from_envelope_verified(fields, text, owner, keys)
    }

    /// [`Metadata::from_received_verified`] of a delivery whose signatures were checked
    /// while it arrived, with keys that check as `keys` do; `None` if they were not, or if
    /// anything differs from what the whole bytes read (the caller then verifies them from
    /// scratch, which also names any error exactly). `signed` is parsed here while the
    /// delivery's thread finishes.
    fn from_delivery(
        delivery: &Delivery,
        keys: RoleKeys<'_>,
    ) -> Option<(Self, VerificationResult)> {
        if !delivery.threaded() {
            return None;
        }
        let bytes = delivery.bytes();
        let (mut fields, range, text) = signed_last_range(bytes)?;
        let signed = T::from_shared_text(bytes, text).ok()?;
        let signatures = parse_signatures(fields.take("signatures").ok()?).ok()?;
        let checked = delivery.checked_with(keys)?;
        if checked.signed != range || checked.signatures != signatures {
            return None;
        }
        Some((
            Metadata {
                signed,
                signatures,
                unrecognized_fields: fields.rest(),
                received_canonical: None,
            },
            checked.result.clone(),
        ))
    }

    /// [`Metadata::from_bytes_verified`] after the envelope is split.
    fn from_envelope_verified(
        mut fields: Fields,
        text: &str,
        owner: Option<&Arc<Vec<u8>>>,
        keys: RoleKeys<'_>,
    ) -> Result<(Self, VerificationResult), Error> {
        let signatures = parse_signatures(fields.take("signatures")?)?;
        let check =
            || -> Result<(VerificationResult, Option<Vec<u8>>), canonical::CanonicalJsonError> {
                let mut stream = keys.stream(&signatures);
                match canonical::stream_json_text(text.as_bytes(), &mut |piece| {
                    stream.update(piece)
                })? {
                    canonical::Streamed::Streamed => Ok((stream.finish(), None)),
                    // Keys of `signed` or of a large map out of order: checked over the whole form.
                    canonical::Streamed::Buffered(form) => {
                        Ok((keys.verify(&form, &signatures), Some(form)))
                    }
                }
            };
        let parse = || match owner {
            Some(owner) => T::from_shared_text(owner, text),
            None => T::from_text(text),
        };
        let (checked, signed) = crate::parallel::join(text.len(), check, parse);
        // Field errors of `signed` first, as in `assemble`.
        let signed = signed?;
        let (result, received_canonical) = checked?;
        let metadata = Metadata {
            signed,
            signatures,
            unrecognized_fields: fields.rest(),
            received_canonical,
        };
        Ok((metadata, result))
    }

    /// Builds received metadata from the envelope's other fields, the `signed` value and the
    /// canonical form of `signed` as received.
    fn assemble(
        mut fields: Fields,
        signed: Result<T, Error>,
        canonical: Result<Vec<u8>, canonical::CanonicalJsonError>,
    ) -> Result<Self, Error> {
        let signatures = parse_signatures(fields.take("signatures")?)?;
        // A float where an integer belongs is better reported as that field's error, so the
        // field errors of `signed` come first.
        let signed = signed?;
        let received_canonical = canonical?;
        Ok(Metadata {
            signed,
            signatures,
            unrecognized_fields: fields.rest(),
            received_canonical: Some(received_canonical),
        })
    }

    /// Parses metadata from an already parsed JSON value. Prefer [`Metadata::from_bytes`] for
    /// received metadata: a `Value` has lost the integer `-0` and integers beyond 64 bits, so
    /// the canonical form computed here can differ from the reference's in those corners.
    ///
    /// # Errors
    /// As [`Metadata::from_bytes`].
    pub fn from_value(value: Value) -> Result<Self, Error> {
        let mut fields = Fields::new(value, String::new())?;
        let signed_value = fields.take("signed")?;
        let canonical = canonical::to_vec(&signed_value);
        Self::assemble(fields, T::from_value(signed_value), canonical)
    }

    /// The `signed` part.
    pub fn signed(&self) -> &T {
        &self.signed
    }

    /// The `signed` part, for editing. Existing signatures no longer match after an edit:
    /// sign again.
    pub fn signed_mut(&mut self) -> &mut T {
        self.received_canonical = None;
        &mut self.signed
    }

    /// Takes the `signed` part out.
    pub fn into_signed(self) -> T {
        self.signed
    }

    /// The signatures, in order.
    pub fn signatures(&self) -> &[Signature] {
        &self.signatures
    }

    /// Removes every signature.
    pub fn clear_signatures(&mut self) {
        self.signatures.clear();
    }

    /// Adds `signature`, replacing any signature by the same key id.
    pub fn add_signature(&mut self, signature: Signature) {
        match self
            .signatures
            .iter_mut()
            .find(|s| s.keyid == signature.keyid)
        {
            Some(existing) => *existing = signature,
            None => self.signatures.push(signature),
        }
    }

    /// Unrecognised top-level fields of the envelope.
    pub fn unrecognized_fields(&self) -> &Map<String, Value> {
        &self.unrecognized_fields
    }

    /// The bytes signatures are made over: the canonical JSON of `signed` as received, or of
    /// the struct once edited or when built locally.
    ///
    /// # Errors
    /// [`Error::CanonicalJson`] if an unrecognised field holds a float.
    pub fn signed_bytes(&self) -> Result<Cow<'_, [u8]>, Error> {
        match &self.received_canonical {
            Some(bytes) => Ok(Cow::Borrowed(bytes)),
            None => Ok(Cow::Owned(canonical::to_vec(&self.signed.to_value())?)),
        }
    }

    /// Signs with `signer` and adds the signature (replacing one by the same key id). Uses
    /// [`Signer::try_sign`]; the key id recorded is [`Signer::key_id`].
    ///
    /// # Errors
    /// [`Error::Signing`] if the signer fails, [`Error::CanonicalJson`] as
    /// [`Metadata::signed_bytes`].
    pub fn sign(&mut self, signer: &dyn Signer) -> Result<Signature, Error> {
        // The canonical form of a locally built or edited `signed` is computed once and kept
        // (until `signed_mut` drops it, as it drops a received form), so that signing with
        // several keys encodes `signed` once (spec 4.2: every signature is over these bytes).
        if self.received_canonical.is_none() {
            self.received_canonical = Some(canonical::to_vec(&self.signed.to_value())?);
        }
        let payload = self.signed_bytes()?;
        let raw = signer.try_sign(&payload).map_err(Error::Signing)?;
        let signature = Signature::new(signer.key_id(), hex::encode(raw));
        self.add_signature(signature.clone());
        Ok(signature)
    }

    /// The JSON form of the whole envelope.
    pub fn to_value(&self) -> Value {
        let mut map = self.unrecognized_fields.clone();
        map.insert("signed".to_owned(), self.signed.to_value());
        map.insert(
            "signatures".to_owned(),
            Value::Array(self.signatures.iter().map(Signature::to_value).collect()),
        );
        Value::Object(map)
    }

    /// The envelope as python-tuf writes it by default: sorted keys, one-space indentation.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
        let mut value = self.to_value();
        // serde_json reads the integer `-0` (which Python reads as 0) as the float -0.0; write
        // it as 0 so that the output parses again (`signed` admits no floats). Found by the
        // fuzz target `metadata_snapshot`.
        zero_negative_zeros(&mut value);
        // Writing a `Value` to memory cannot fail: its keys are strings and numbers finite.
        if serde::Serialize::serialize(&value, &mut serializer).is_err() {
            out.clear();
        }
        out
    }
}

impl<D: Signed + Delegator> Metadata<D> {
    /// Which of the keys `self` trusts for `role` signed `delegate`, without judging the
    /// threshold.
    ///
    /// # Errors
    /// [`Error::UnknownDelegate`] if `self` does not delegate to `role`,
    /// [`Error::CanonicalJson`] as [`Metadata::signed_bytes`].
    pub fn delegate_verification<T: Signed>(
        &self,
        role: &str,
        delegate: &Metadata<T>,
    ) -> Result<VerificationResult, Error> {
        let keys = self
            .signed
            .role_keys(role)
            .ok_or_else(|| Error::UnknownDelegate {
                delegator: D::TYPE.to_owned(),
                role: role.to_owned(),
            })?;
        let payload = delegate.signed_bytes()?;
        Ok(keys.verify(&payload, delegate.signatures()))
    }

    /// Verifies that `delegate` is signed by a threshold of the distinct keys `self` trusts for
    /// `role` (spec sections 5.3.4, 5.4.3, 5.5.3, 5.6.3).
    ///
    /// # Errors
    /// [`Error::ThresholdNotMet`] with the keys that did and did not sign, or as
    /// [`Metadata::delegate_verification`].
    pub fn verify_delegate<T: Signed>(
        &self,
        role: &str,
        delegate: &Metadata<T>,
    ) -> Result<VerificationResult, Error> {
        let result = self.delegate_verification(role, delegate)?;
        if result.verified() {
            Ok(result)
        } else {
            Err(Error::ThresholdNotMet {
                role: role.to_owned(),
                result: Box::new(result),
            })
        }
    }
}

/// [`envelope`] for the form python-tuf and tuf-repo write, members in sorted order with
/// `signed` last: `{"signatures": [...], "signed": {...}}` with any JSON whitespace, and no
/// other member. `signed` is then everything between its colon and the final `}` (trimmed),
/// so it is found without scanning its text, which is all but a few hundred bytes of a
/// large role.
///
/// The text so found is only *presumed* to be one JSON value: `None` when the envelope is
/// not of this form, and a caller must treat any failure to read the result as a reason to
/// start again from [`envelope`], which reads every form and names the precise error. When
/// reading succeeds the two agree: the strict readers of `signed` (the parse and the
/// canonical form both refuse trailing characters) accepted the text as exactly one value,
/// so the document was exactly this two-member object.
fn signed_last(bytes: &[u8]) -> Option<(Fields, &str)> {
    signed_last_range(bytes).map(|(fields, _, text)| (fields, text))
}

/// [`signed_last`], with where `signed` is in `bytes`.
fn signed_last_range(bytes: &[u8]) -> Option<(Fields, std::ops::Range<usize>, &str)> {
    const SIGNATURES: &[u8] = b"\"signatures\"";
    const SIGNED: &[u8] = b"\"signed\"";
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r');
    let skip_space = |at: usize| {
        bytes
            .get(at..)
            .and_then(|rest| rest.iter().position(|b| !is_space(b)))
            .map(|n| at + n)
    };
    let expect = |at: usize, token: &[u8]| -> Option<usize> {
        let at = skip_space(at)?;
        (bytes.get(at..at.checked_add(token.len())?)? == token).then_some(at + token.len())
    };
    let at = expect(0, b"{")?;
    let at = expect(at, SIGNATURES)?;
    let at = expect(at, b":")?;
    let at = skip_space(at)?;
    // One value, and where it ends.
    let mut values = serde_json::Deserializer::from_slice(bytes.get(at..)?).into_iter::<Value>();
    let signatures = values.next()?.ok()?;
    let at = at.checked_add(values.byte_offset())?;
    let at = expect(at, b",")?;
    let at = expect(at, SIGNED)?;
    let at = expect(at, b":")?;
    let start = skip_space(at)?;
    let close = bytes.iter().rposition(|b| !is_space(b))?;
    if bytes.get(close) != Some(&b'}') || close <= start {
        return None;
    }
    let end = start
        + bytes
            .get(start..close)?
            .iter()
            .rposition(|b| !is_space(b))?
        + 1;
    let text = std::str::from_utf8(bytes.get(start..end)?).ok()?;
    let mut rest = Map::new();
    rest.insert("signatures".to_owned(), signatures);
    let fields = Fields::new(Value::Object(rest), String::new()).ok()?;
    Some((fields, start..end, text))
}

/// The envelope's members other than `signed` as fields, and the raw text of `signed`, so
/// that `signed` is canonicalised from the bytes as received (python-tuf:
/// `encode_canonical(json.loads(...)["signed"])`), with no number lost to an intermediate
/// type. Duplicate members: the last wins, as in Python's `json.loads`.
fn envelope(bytes: &[u8]) -> Result<(Fields, &str), Error> {
    let json_error = |e: serde_json::Error| Error::Json {
        reason: e.to_string(),
    };
    let envelope: BTreeMap<String, &RawValue> =
        serde_json::from_slice(bytes).map_err(|e| match e.classify() {
            // Well-formed JSON, but not an object.
            serde_json::error::Category::Data => Error::InvalidField {
                path: "(top level)".to_owned(),
                reason: "metadata must be a JSON object".to_owned(),
            },
            _ => json_error(e),
        })?;
    let mut rest = Map::new();
    let mut signed_text = None;
    for (name, raw) in envelope {
        if name == "signed" {
            signed_text = Some(raw);
        } else {
            rest.insert(name, serde_json::from_str(raw.get()).map_err(json_error)?);
        }
    }
    let fields = Fields::new(Value::Object(rest), String::new())?;
    let signed_text = signed_text.ok_or(Error::MissingField {
        path: "(top level)".to_owned(),
        field: "signed",
    })?;
    Ok((fields, signed_text.get()))
}

pub(crate) fn parse_signatures(value: Value) -> Result<Vec<Signature>, Error> {
    let items = as_array(value, || "signatures".to_owned())?;
    let mut seen = BTreeSet::new();
    let mut signatures = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let signature = Signature::from_value(item, format!("signatures[{index}]"))?;
        if !seen.insert(signature.keyid.clone()) {
            return Err(Error::DuplicateSignature {
                keyid: signature.keyid,
            });
        }
        signatures.push(signature);
    }
    Ok(signatures)
}

/// Parses JSON text into a `Value`, as an [`Error::Json`] on failure.
/// Replaces every float -0.0 (and 0.0) in `value` by the integer 0.
fn zero_negative_zeros(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() && n.as_f64() == Some(0.0) => {
            *value = Value::from(0u8);
        }
        Value::Array(items) => items.iter_mut().for_each(zero_negative_zeros),
        Value::Object(map) => map.values_mut().for_each(zero_negative_zeros),
        _ => {}
    }
}

pub(crate) fn parse_json(text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::Json {
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Keys, MetaFile, RoleKeys, TargetFile, Targets};

    /// What the general reader of the envelope gives, as text to compare.
    fn general(bytes: &[u8]) -> String {
        let read = envelope(bytes).and_then(|(f, t)| Metadata::<Targets>::from_envelope(f, t));
        format!("{read:?}")
    }

    fn sample() -> String {
        let mut targets = Targets::new("2030-01-01T00:00:00Z".parse().unwrap());
        let file = TargetFile::from_data(b"data", &["sha256"]).unwrap();
        targets.targets.insert("a}b\"c.txt".to_owned(), file);
        let mut metadata = Metadata::new(targets);
        metadata.add_signature(Signature {
            keyid: tuf_crypto::KeyId::new("ab".repeat(32)),
            sig: "cd".repeat(64),
            unrecognized_fields: Map::new(),
        });
        String::from_utf8(metadata.to_bytes()).unwrap()
    }

    /// Every variant reads as the general reader reads it, through both entry points;
    /// `fast` says whether the signed-last form is expected to be recognised.
    fn agrees(text: &str, fast: bool) {
        assert_eq!(signed_last(text.as_bytes()).is_some(), fast, "{text}");
        agrees_either_way(text.as_bytes());
    }

    fn agrees_either_way(bytes: &[u8]) {
        let shown = String::from_utf8_lossy(bytes);
        let read = Metadata::<Targets>::from_bytes(bytes);
        assert_eq!(format!("{read:?}"), general(bytes), "{shown}");
        let keys = Keys::new();
        let role_keys = RoleKeys {
            keyids: &[],
            threshold: 1,
            keys: &keys,
        };
        let verified = Metadata::<Targets>::from_bytes_verified(bytes, role_keys);
        let expected = envelope(bytes)
            .and_then(|(f, t)| Metadata::<Targets>::from_envelope_verified(f, t, None, role_keys));
        assert_eq!(format!("{verified:?}"), format!("{expected:?}"), "{shown}");
        // Shared bytes (the targets map indexed, not built) read the same.
        let shared = Metadata::<Targets>::from_shared_bytes_verified(
            &std::sync::Arc::new(bytes.to_vec()),
            role_keys,
        );
        assert_eq!(format!("{shared:?}"), format!("{expected:?}"), "{shown}");
        // Delivered in pieces, checked beside while they arrive: the same again. The listing
        // hashed as the pieces are fed vouches for exactly these bytes, and for no other
        // listing (here one a byte longer).
        let listing = MetaFile::from_data(1, bytes, &["sha256", "sha512"]).unwrap();
        let mut longer = listing.clone();
        longer.length = Some(bytes.len() as u64 + 1);
        for (start_at, piece, feed) in [(0, 1, 7), (0, 64, 1000), (100, 5, 3)] {
            for given in [None, Some(&listing), Some(&longer)] {
                let mut intake =
                    crate::intake::Intake::new(role_keys, given).tuned(start_at, piece);
                for part in bytes.chunks(feed) {
                    intake.feed(part);
                }
                let delivery = intake.seal();
                let vouched = given == Some(&listing) && delivery.threaded();
                assert_eq!(
                    delivery.listing_checked(&listing),
                    vouched.then_some(Ok(())),
                    "{shown}"
                );
                assert_eq!(delivery.listing_checked(&longer), None, "{shown}");
                let delivered = Metadata::<Targets>::from_received_verified(
                    Received::from(&delivery),
                    role_keys,
                );
                assert_eq!(format!("{delivered:?}"), format!("{expected:?}"), "{shown}");
            }
        }
    }

    proptest::proptest! {
        /// Any few bytes inserted into or removed from a written envelope: both readers
        /// agree, in result or in error.
        #[test]
        fn signed_last_agrees_on_edited_envelopes(
            edits in proptest::collection::vec(
                (0.0f64..1.0, proptest::sample::select(&b"{}[],:\" \n\\x0-"[..]), proptest::bool::ANY),
                1..4,
            ),
        ) {
            let mut bytes = sample().into_bytes();
            for (at, byte, insert) in edits {
                // Most edits land near the envelope's own members, at either end.
                let n = bytes.len();
                let index = ((at * 400.0) as usize).min(n.saturating_sub(1));
                let index = if at < 0.5 { index } else { n.saturating_sub(1 + index % 200) };
                if insert {
                    bytes.insert(index, byte);
                } else if index < bytes.len() {
                    bytes.remove(index);
                }
            }
            agrees_either_way(&bytes);
        }
    }

    #[test]
    fn a_delivery_is_checked_beside_in_any_pieces() {
        let bytes = sample().into_bytes();
        let keys = Keys::new();
        let role_keys = RoleKeys {
            keyids: &[],
            threshold: 1,
            keys: &keys,
        };
        for feed in [1, 2, 3, 50, bytes.len()] {
            let mut intake = crate::intake::Intake::new(role_keys, None).tuned(0, 16);
            for part in bytes.chunks(feed) {
                intake.feed(part);
            }
            let delivery = intake.seal();
            let checked = delivery.checked_with(role_keys).unwrap();
            let text = signed_last(&bytes).unwrap().1;
            assert_eq!(&bytes[checked.signed.clone()], text.as_bytes());
        }
    }

    #[test]
    fn signed_last_reads_as_the_general_envelope() {
        let written = sample();
        assert!(written.find("\"signatures\"") < written.find("\"signed\""));
        agrees(&written, true);
        let compact: String = {
            let value: Value = serde_json::from_str(&written).unwrap();
            serde_json::to_string(&value).unwrap()
        };
        agrees(&compact, true);
        agrees(&format!(" \r\n\t{written} \n\t"), true);
        let signed_at = written.find("\"signed\"").unwrap();
        let (head, tail) = written.split_at(signed_at);
        let body = tail.trim_start_matches("\"signed\": ").trim_end();
        let body = body.strip_suffix('}').unwrap().trim_end();
        let signatures = head
            .trim_start_matches('{')
            .trim()
            .trim_start_matches("\"signatures\": ")
            .trim_end()
            .trim_end_matches(',');

        // Other orders and members go to the general reader, which gives the answer.
        agrees(
            &format!("{{\"signed\": {body}, \"signatures\": {signatures}}}"),
            false,
        );
        agrees(
            &format!("{{\"signatures\": {signatures}, \"signed\": {body}, \"x\": 1}}"),
            true,
        );
        agrees(
            &format!("{{\"signatures\": {signatures}, \"signed\": {{}}, \"signed\": {body}}}"),
            true,
        );
        agrees(
            &format!("{{\"signatures\": [], \"signatures\": {signatures}, \"signed\": {body}}}"),
            false,
        );
        agrees(
            &format!("{{\"\\u0073ignatures\": {signatures}, \"signed\": {body}}}"),
            false,
        );
        // Malformed: the same error either way (the first two look like the form, and
        // their `signed` text is refused).
        agrees(
            &format!("{{\"signatures\": {signatures}, \"signed\": {body}"),
            true,
        );
        agrees(
            &format!("{{\"signatures\": {signatures}, \"signed\": {body}}}}}"),
            true,
        );
        agrees(
            &format!("{{\"signatures\": {signatures}, \"signed\": {body}}} x"),
            false,
        );
        agrees(
            &format!("{{\"signatures\": {signatures}, \"signed\": }}"),
            false,
        );
        agrees(
            &format!("{{\"signatures\": {signatures} \"signed\": {body}}}"),
            false,
        );
        agrees(
            &format!("{{\"signatures\": {{}}, \"signed\": {body}}}"),
            true,
        );
        agrees(
            &format!("{{\"signatures\": {signatures}, \"signed\": [{body}]}}"),
            true,
        );
        agrees(
            &format!("{{\"signatures\": {signatures}, \"signed\": {body}, }}"),
            true,
        );
        agrees("{}", false);
        agrees("", false);
        agrees("{\"signatures\": [", false);
    }
}
