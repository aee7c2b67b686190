//! RSA: RSASSA-PSS and RSASSA-PKCS1-v1_5 with SHA-256/384/512.
//!
//! What securesystemslib does, and so what this module does:
//! - the public key is PEM SubjectPublicKeyInfo (pyca/cryptography also reads PKCS#1
//!   `RSA PUBLIC KEY` PEM and keys with the `id-RSASSA-PSS` algorithm OID; so does this module);
//! - PSS uses MGF1 with the scheme's hash; signing uses a salt as long as the digest
//!   (`PSS.DIGEST_LENGTH` in `CryptoSigner`), verification accepts any salt length
//!   (`PSS.AUTO` in `SSlibKey`);
//! - PKCS#1 v1.5 signatures must be exactly as long as the modulus (OpenSSL refuses others);
//!   OpenSSL does accept a PSS signature shorter than the modulus (a signature whose leading
//!   zero bytes were stripped), so PSS signatures are left-padded with zeros before checking.
//!
//! The modulus must be between [`crate::RSA_MIN_BITS`] and [`crate::RSA_MAX_BITS`] bits
//! (checked before any arithmetic, when keys are read and when they are generated), and the
//! public exponent at most 2^33 - 1 (the `rsa` crate's bound against slow verification).

use ::rsa::pkcs1::{RsaPrivateKeyRef, RsaPublicKeyRef};
use ::rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
use ::rsa::traits::PublicKeyParts as _;
use ::rsa::{BoxedUint, Pkcs1v15Sign, Pss, RsaPrivateKey, RsaPublicKey, pkcs1v15, pss};
use pkcs8::der::Decode as _;
use pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, ObjectIdentifier, PrivateKeyInfoRef};
use sha2::digest::{Digest, FixedOutputReset, const_oid::AssociatedOid};
use sha2::{Sha256, Sha384, Sha512};

use crate::{Error, RSA_MAX_BITS, RSA_MIN_BITS, Scheme, pem};

/// Algorithm OID `rsaEncryption` (PKCS #1).
pub(crate) const OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// Algorithm OID `id-RSASSA-PSS` (RFC 4055), read as a plain RSA key like pyca/cryptography
/// does (its parameters are ignored: the TUF scheme decides hash and salt).
pub(crate) const OID_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");

/// How the scheme pads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Padding {
    /// RSASSA-PSS.
    Pss,
    /// RSASSA-PKCS1-v1_5.
    Pkcs1v15,
}

/// Which hash the scheme uses (for the message, and for MGF1 with PSS).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// Padding and hash of an RSA scheme; `None` for other schemes.
fn parameters(scheme: Scheme) -> Option<(Padding, Hash)> {
    Some(match scheme {
        Scheme::RsassaPssSha256 => (Padding::Pss, Hash::Sha256),
        Scheme::RsassaPssSha384 => (Padding::Pss, Hash::Sha384),
        Scheme::RsassaPssSha512 => (Padding::Pss, Hash::Sha512),
        Scheme::RsaPkcs1v15Sha256 => (Padding::Pkcs1v15, Hash::Sha256),
        Scheme::RsaPkcs1v15Sha384 => (Padding::Pkcs1v15, Hash::Sha384),
        Scheme::RsaPkcs1v15Sha512 => (Padding::Pkcs1v15, Hash::Sha512),
        Scheme::Ed25519 | Scheme::EcdsaSha2Nistp256 | Scheme::EcdsaSha2Nistp384 => return None,
    })
}

/// The hash an RSA scheme applies to the message; `None` for other schemes.
pub(crate) fn message_hash(scheme: Scheme) -> Option<Hash> {
    parameters(scheme).map(|(_, hash)| hash)
}

/// Checks a modulus size against the accepted range.
pub(crate) fn check_size(bits: usize) -> Result<(), Error> {
    if (RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(Error::RsaKeySize {
            bits,
            min: RSA_MIN_BITS,
            max: RSA_MAX_BITS,
        })
    }
}

/// Bit length of a big-endian unsigned integer.
fn bit_length(big_endian: &[u8]) -> usize {
    let mut bytes = big_endian;
    while let [0, rest @ ..] = bytes {
        bytes = rest;
    }
    match bytes.first() {
        None => 0,
        Some(first) => bytes.len() * 8 - first.leading_zeros() as usize,
    }
}

/// Why a public key could not be read: bad material, or a modulus out of range.
pub(crate) enum PublicKeyError {
    /// The key material is not a usable RSA key.
    Invalid(String),
    /// [`Error::RsaKeySize`].
    Size(Error),
}

/// Decodes a SubjectPublicKeyInfo holding an RSA key.
pub(crate) fn public_from_spki(
    spki: &pkcs8::SubjectPublicKeyInfoRef<'_>,
) -> Result<RsaPublicKey, PublicKeyError> {
    if spki.algorithm.oid != OID && spki.algorithm.oid != OID_PSS {
        return Err(PublicKeyError::Invalid(format!(
            "not an RSA key (algorithm {})",
            spki.algorithm.oid
        )));
    }
    let bits = spki.subject_public_key.as_bytes().ok_or_else(|| {
        PublicKeyError::Invalid("public key bit string is not byte-aligned".into())
    })?;
    public_from_pkcs1(bits)
}

/// Decodes a PKCS#1 `RSAPublicKey`, checking the modulus size before any arithmetic.
pub(crate) fn public_from_pkcs1(der: &[u8]) -> Result<RsaPublicKey, PublicKeyError> {
    let key = RsaPublicKeyRef::from_der(der)
        .map_err(|err| PublicKeyError::Invalid(format!("bad PKCS#1 RSA public key: {err}")))?;
    let modulus = key.modulus.as_bytes();
    check_size(bit_length(modulus)).map_err(PublicKeyError::Size)?;
    let n = BoxedUint::from_be_slice_vartime(modulus);
    let e = BoxedUint::from_be_slice_vartime(key.public_exponent.as_bytes());
    RsaPublicKey::new_with_size_limits(n, e, RSA_MIN_BITS..=RSA_MAX_BITS)
        .map_err(|err| PublicKeyError::Invalid(format!("unusable RSA public key: {err}")))
}

/// The `keyval.public` text: PEM SubjectPublicKeyInfo (`rsaEncryption`), LF line endings and
/// a final newline, byte for byte what pyca/cryptography writes.
pub(crate) fn public_to_pem(key: &RsaPublicKey) -> Result<String, String> {
    let der = key
        .to_public_key_der()
        .map_err(|err| format!("cannot encode RSA public key: {err}"))?;
    pem::encode("PUBLIC KEY", der.as_bytes())
}

/// Verifies an RSA signature of `scheme`.
pub(crate) fn verify(
    key: &RsaPublicKey,
    scheme: Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let hash = message_hash(scheme).ok_or(Error::BadSignature)?;
    let mut hasher = crate::stream::Hasher::new(hash);
    hasher.update(message);
    verify_prehashed(key, scheme, &hasher.finish(), signature)
}

/// As [`verify`], given the digest of the message by the scheme's hash ([`message_hash`]).
pub(crate) fn verify_prehashed(
    key: &RsaPublicKey,
    scheme: Scheme,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let (padding, hash) = parameters(scheme).ok_or(Error::BadSignature)?;
    let size = key.size();
    if signature.len() > size {
        return Err(Error::BadSignature);
    }
    match padding {
        Padding::Pss => {
            // OpenSSL (RSA_NO_PADDING public decrypt) accepts inputs shorter than the modulus.
            let mut padded = vec![0u8; size - signature.len()];
            padded.extend_from_slice(signature);
            match hash {
                Hash::Sha256 => verify_pss::<Sha256>(key, digest, &padded),
                Hash::Sha384 => verify_pss::<Sha384>(key, digest, &padded),
                Hash::Sha512 => verify_pss::<Sha512>(key, digest, &padded),
            }
        }
        Padding::Pkcs1v15 => match hash {
            Hash::Sha256 => verify_pkcs1v15::<Sha256>(key, digest, signature),
            Hash::Sha384 => verify_pkcs1v15::<Sha384>(key, digest, signature),
            Hash::Sha512 => verify_pkcs1v15::<Sha512>(key, digest, signature),
        },
    }
}

/// RSASSA-PSS verification of a digest by `D`, with MGF1-`D` and automatic salt length
/// detection.
fn verify_pss<D: Digest + FixedOutputReset>(
    key: &RsaPublicKey,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    let padding = Pss::<D> {
        blinded: false,
        digest: D::new(),
        salt_len: None,
    };
    key.verify(padding, digest, signature)
        .map_err(|_| Error::BadSignature)
}

/// RSASSA-PKCS1-v1_5 verification of a digest by `D`, with the `DigestInfo` prefix of `D`.
fn verify_pkcs1v15<D: Digest + AssociatedOid>(
    key: &RsaPublicKey,
    digest: &[u8],
    signature: &[u8],
) -> Result<(), Error> {
    key.verify(Pkcs1v15Sign::new::<D>(), digest, signature)
        .map_err(|_| Error::BadSignature)
}

/// Generates an RSA key with public exponent 65537.
pub(crate) fn generate(bits: usize) -> Result<RsaPrivateKey, Error> {
    check_size(bits)?;
    // The `rsa` crate's key generation wants an infallible RNG; `UnwrapErr` panics if the OS
    // RNG fails. Probe it first so that a broken RNG is an error here, not a panic later (after
    // one successful call, getrandom's backends do not start failing).
    let mut probe = [0u8; 32];
    getrandom::fill(&mut probe).map_err(|err| Error::KeyGeneration {
        reason: format!("operating system RNG failed: {err}"),
    })?;
    let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
    RsaPrivateKey::new(&mut rng, bits).map_err(|err| Error::KeyGeneration {
        reason: err.to_string(),
    })
}

/// Reads an RSA PKCS#8 key, checking the modulus size before any arithmetic.
pub(crate) fn private_from_pkcs8(info: &PrivateKeyInfoRef<'_>) -> Result<RsaPrivateKey, Error> {
    let invalid = |reason: String| Error::InvalidPrivateKey { reason };
    let key = RsaPrivateKeyRef::from_der(info.private_key.as_bytes())
        .map_err(|err| invalid(format!("bad PKCS#1 RSA private key: {err}")))?;
    check_size(bit_length(key.modulus.as_bytes()))?;
    RsaPrivateKey::try_from(key).map_err(|err| invalid(format!("unusable RSA private key: {err}")))
}

/// PKCS#8 DER of a key (`rsaEncryption`).
pub(crate) fn private_to_pkcs8(key: &RsaPrivateKey) -> Result<pkcs8::SecretDocument, Error> {
    key.to_pkcs8_der().map_err(|err| Error::InvalidPrivateKey {
        reason: format!("cannot encode RSA PKCS#8: {err}"),
    })
}

/// An RSA private key bound to one scheme.
#[derive(Clone)]
pub(crate) enum RsaSigningKey {
    /// `rsassa-pss-sha256`.
    PssSha256(pss::SigningKey<Sha256>),
    /// `rsassa-pss-sha384`.
    PssSha384(pss::SigningKey<Sha384>),
    /// `rsassa-pss-sha512`.
    PssSha512(pss::SigningKey<Sha512>),
    /// `rsa-pkcs1v15-sha256`.
    Pkcs1v15Sha256(pkcs1v15::SigningKey<Sha256>),
    /// `rsa-pkcs1v15-sha384`.
    Pkcs1v15Sha384(pkcs1v15::SigningKey<Sha384>),
    /// `rsa-pkcs1v15-sha512`.
    Pkcs1v15Sha512(pkcs1v15::SigningKey<Sha512>),
}

impl RsaSigningKey {
    /// Binds `key` to `scheme`; `None` if `scheme` is not an RSA scheme.
    ///
    /// PSS signing keys use a salt as long as the digest, as securesystemslib does.
    pub(crate) fn new(key: RsaPrivateKey, scheme: Scheme) -> Option<Self> {
        Some(match parameters(scheme)? {
            (Padding::Pss, Hash::Sha256) => RsaSigningKey::PssSha256(pss::SigningKey::new(key)),
            (Padding::Pss, Hash::Sha384) => RsaSigningKey::PssSha384(pss::SigningKey::new(key)),
            (Padding::Pss, Hash::Sha512) => RsaSigningKey::PssSha512(pss::SigningKey::new(key)),
            (Padding::Pkcs1v15, Hash::Sha256) => {
                RsaSigningKey::Pkcs1v15Sha256(pkcs1v15::SigningKey::new(key))
            }
            (Padding::Pkcs1v15, Hash::Sha384) => {
                RsaSigningKey::Pkcs1v15Sha384(pkcs1v15::SigningKey::new(key))
            }
            (Padding::Pkcs1v15, Hash::Sha512) => {
                RsaSigningKey::Pkcs1v15Sha512(pkcs1v15::SigningKey::new(key))
            }
        })
    }

    /// The underlying key.
    pub(crate) fn private_key(&self) -> &RsaPrivateKey {
        match self {
            RsaSigningKey::PssSha256(key) => key.as_ref(),
            RsaSigningKey::PssSha384(key) => key.as_ref(),
            RsaSigningKey::PssSha512(key) => key.as_ref(),
            RsaSigningKey::Pkcs1v15Sha256(key) => key.as_ref(),
            RsaSigningKey::Pkcs1v15Sha384(key) => key.as_ref(),
            RsaSigningKey::Pkcs1v15Sha512(key) => key.as_ref(),
        }
    }

    /// Signs `message`. The OS RNG provides the PSS salt and the blinding of the private-key
    /// operation; an RNG failure is an error, never a panic.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let mut rng = getrandom::SysRng;
        match self {
            RsaSigningKey::PssSha256(key) => {
                key.try_sign_with_rng(&mut rng, message).map(|s| s.to_vec())
            }
            RsaSigningKey::PssSha384(key) => {
                key.try_sign_with_rng(&mut rng, message).map(|s| s.to_vec())
            }
            RsaSigningKey::PssSha512(key) => {
                key.try_sign_with_rng(&mut rng, message).map(|s| s.to_vec())
            }
            RsaSigningKey::Pkcs1v15Sha256(key) => {
                key.try_sign_with_rng(&mut rng, message).map(|s| s.to_vec())
            }
            RsaSigningKey::Pkcs1v15Sha384(key) => {
                key.try_sign_with_rng(&mut rng, message).map(|s| s.to_vec())
            }
            RsaSigningKey::Pkcs1v15Sha512(key) => {
                key.try_sign_with_rng(&mut rng, message).map(|s| s.to_vec())
            }
        }
        .map_err(|err| Error::Signing {
            reason: err.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bit_lengths() {
        assert_eq!(bit_length(&[]), 0);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[1]), 1);
        assert_eq!(bit_length(&[0, 0x80, 0]), 16);
        assert_eq!(bit_length(&[0x7f, 0xff]), 15);
    }

    #[test]
    fn size_bounds() {
        assert!(check_size(2048).is_ok());
        assert!(check_size(16384).is_ok());
        assert_eq!(
            check_size(2047),
            Err(Error::RsaKeySize {
                bits: 2047,
                min: 2048,
                max: 16384
            })
        );
        assert!(check_size(16385).is_err());
        assert_eq!(generate(1024).unwrap_err(), check_size(1024).unwrap_err());
    }

    #[test]
    fn every_rsa_scheme_has_parameters() {
        for scheme in Scheme::ALL {
            assert_eq!(parameters(scheme).is_some(), scheme.is_rsa(), "{scheme}");
        }
    }
}

#[cfg(test)]
mod leading_zero_tests {
    use super::*;

    /// Signs varying messages until a signature starts with a zero byte.
    fn signature_with_leading_zero(key: &RsaSigningKey) -> (Vec<u8>, Vec<u8>) {
        for counter in 0u32..20_000 {
            let message = counter.to_be_bytes().to_vec();
            let signature = key.sign(&message).unwrap();
            if signature[0] == 0 {
                return (message, signature);
            }
        }
        unreachable!("no signature with a leading zero byte in 20000 tries");
    }

    /// pyca/cryptography 50.0.2 (OpenSSL 4) accepts an RSASSA-PSS signature with its leading
    /// zero byte removed, and refuses the same for PKCS#1 v1.5: checked by hand with
    /// `SSlibKey.verify_signature` on such signatures.
    #[test]
    fn short_signatures_like_openssl() {
        let key = generate(2048).unwrap();
        let public = key.to_public_key();
        for (scheme, accept_short) in [
            (Scheme::RsassaPssSha256, true),
            (Scheme::RsaPkcs1v15Sha256, false),
        ] {
            let signer = RsaSigningKey::new(key.clone(), scheme).unwrap();
            let (message, signature) = signature_with_leading_zero(&signer);
            assert_eq!(verify(&public, scheme, &message, &signature), Ok(()));
            let short = verify(&public, scheme, &message, &signature[1..]);
            assert_eq!(short.is_ok(), accept_short, "{scheme}");
            // Two leading zeros more than the signature has never verify.
            assert!(verify(&public, scheme, &message, &signature[2..]).is_err());
        }
    }
}
