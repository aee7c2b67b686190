//! Ed25519 (`ed25519` scheme): public keys as 64 hex characters, 64-byte signatures.

use ed25519_dalek::pkcs8::{EncodePrivateKey, KeypairBytes};
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use pkcs8::PrivateKeyInfoRef;
use pkcs8::der::zeroize::Zeroizing;

use crate::{Error, hex_text};

/// Algorithm OID of Ed25519 keys (RFC 8410).
pub(crate) const OID: pkcs8::ObjectIdentifier = pkcs8::ObjectIdentifier::new_unwrap("1.3.101.112");

/// Length of a raw public key.
const PUBLIC_KEY_LEN: usize = 32;

/// Decodes `keyval.public`: the hex of the raw 32-byte key, decoded like Python's
/// `bytes.fromhex` as securesystemslib does.
pub(crate) fn decode_public(text: &str) -> Result<VerifyingKey, String> {
    let bytes =
        hex_text::decode(text, PUBLIC_KEY_LEN).ok_or("public key is not the hex of 32 bytes")?;
    let bytes: [u8; PUBLIC_KEY_LEN] = bytes
        .try_into()
        .map_err(|_| "public key is not the hex of 32 bytes")?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| "public key is not a curve point".to_owned())
}

/// Decodes an Ed25519 SubjectPublicKeyInfo.
pub(crate) fn decode_spki(
    spki: &pkcs8::SubjectPublicKeyInfoRef<'_>,
) -> Result<VerifyingKey, String> {
    VerifyingKey::try_from(spki.clone()).map_err(|err| format!("bad Ed25519 public key: {err}"))
}

/// The `keyval.public` text of a key: lower-case hex of the raw key, as securesystemslib
/// writes it.
pub(crate) fn encode_public(key: &VerifyingKey) -> String {
    hex::encode(key.as_bytes())
}

/// Verifies an Ed25519 signature.
///
/// Uses the ordinary (cofactorless, non-"strict") RFC 8032 check of `ed25519-dalek`, which is
/// what OpenSSL (behind pyca/cryptography and so securesystemslib) implements: it refuses a
/// non-canonical `S` and compares the encoding of `R`, but accepts small-order public keys and
/// non-canonical public key encodings. `verify_strict` would refuse those, so a signature the
/// reference implementation counts would not count here; the unit tests pin both cases.
pub(crate) fn verify(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> Result<(), Error> {
    let signature = Signature::from_slice(signature).map_err(|_| Error::BadSignature)?;
    key.verify(message, &signature)
        .map_err(|_| Error::BadSignature)
}

/// Generates a key from 32 bytes of the operating system's RNG.
pub(crate) fn generate() -> Result<SigningKey, Error> {
    let mut seed = Zeroizing::new([0u8; 32]);
    getrandom::fill(seed.as_mut()).map_err(|err| Error::KeyGeneration {
        reason: format!("operating system RNG failed: {err}"),
    })?;
    Ok(SigningKey::from_bytes(&seed))
}

/// Signs `message` (deterministic, RFC 8032).
pub(crate) fn sign(key: &SigningKey, message: &[u8]) -> Result<Vec<u8>, Error> {
    key.try_sign(message)
        .map(|signature| signature.to_bytes().to_vec())
        .map_err(|err| Error::Signing {
            reason: err.to_string(),
        })
}

/// Reads an Ed25519 PKCS#8 key (v1, or v2 with a matching public key).
pub(crate) fn decode_pkcs8(info: PrivateKeyInfoRef<'_>) -> Result<SigningKey, Error> {
    SigningKey::try_from(info).map_err(|err| Error::InvalidPrivateKey {
        reason: format!("bad Ed25519 PKCS#8 key: {err}"),
    })
}

/// PKCS#8 DER of a key, in the v1 form (no public key) that OpenSSL and so
/// pyca/cryptography write: `ed25519-dalek` would write v2.
pub(crate) fn encode_pkcs8(key: &SigningKey) -> Result<pkcs8::SecretDocument, Error> {
    KeypairBytes {
        secret_key: key.to_bytes(),
        public_key: None,
    }
    .to_pkcs8_der()
    .map_err(|err| Error::InvalidPrivateKey {
        reason: format!("cannot encode Ed25519 PKCS#8: {err}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The identity point: a small-order public key.
    const IDENTITY: [u8; 32] = {
        let mut bytes = [0u8; 32];
        bytes[0] = 1;
        bytes
    };

    /// OpenSSL 4.0.3 (pyca/cryptography 50.0.2) accepts `R = identity, S = 0` under the
    /// small-order public key `identity` for any message: checked with
    /// `Ed25519PublicKey.from_public_bytes(identity).verify(identity + bytes(32), b"x")`.
    #[test]
    fn accepts_small_order_key_like_openssl() {
        let key = decode_public(&hex::encode(IDENTITY)).unwrap();
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&IDENTITY);
        assert_eq!(verify(&key, b"x", &signature), Ok(()));
    }

    /// OpenSSL also accepts the non-canonical encoding `p + 1` of `y = 1` as public key.
    #[test]
    fn accepts_non_canonical_key_encoding_like_openssl() {
        // p + 1 = 2^255 - 18, little endian.
        let mut non_canonical = [0xffu8; 32];
        non_canonical[0] = 0xee;
        non_canonical[31] = 0x7f;
        let key = decode_public(&hex::encode(non_canonical)).unwrap();
        let mut signature = [0u8; 64];
        signature[..32].copy_from_slice(&IDENTITY);
        assert_eq!(verify(&key, b"x", &signature), Ok(()));
    }

    /// OpenSSL refuses `S + L` in place of `S`; so does this crate.
    #[test]
    fn refuses_non_canonical_s() {
        let key = generate().unwrap();
        let mut signature = key.sign(b"x").to_bytes();
        // Add L = 2^252 + 27742317777372353535851937790883648493 to S (little endian).
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (byte, add) in signature[32..].iter_mut().zip(L) {
            let sum = u16::from(*byte) + u16::from(add) + carry;
            *byte = (sum & 0xff) as u8;
            carry = sum >> 8;
        }
        assert_eq!(
            verify(&key.verifying_key(), b"x", &signature),
            Err(Error::BadSignature)
        );
    }

    #[test]
    fn public_key_text() {
        assert!(decode_public("00").is_err());
        assert!(decode_public(&"0".repeat(66)).is_err());
        assert!(decode_public(&"g".repeat(64)).is_err());
        let key = generate().unwrap().verifying_key();
        let text = encode_public(&key);
        assert_eq!(text.len(), 64);
        assert_eq!(decode_public(&text.to_uppercase()).unwrap(), key);
    }
}
