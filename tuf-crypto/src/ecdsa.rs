//! ECDSA on P-256 and P-384 (`ecdsa-sha2-nistp256`, `ecdsa-sha2-nistp384`).
//!
//! Public keys are PEM SubjectPublicKeyInfo, signatures ASN.1 DER `Ecdsa-Sig-Value`, as
//! securesystemslib (pyca/cryptography) makes them. The hash is fixed by the scheme: SHA-256
//! for P-256, SHA-384 for P-384.
//!
//! Verification accepts "high-S" signatures: OpenSSL does not normalise `S`, and neither do
//! the `p256`/`p384` crates (`NORMALIZE_S = false`). Like OpenSSL, it requires strict DER: no
//! trailing bytes, minimal lengths and integers.

use p256::elliptic_curve::Generate as _;
use pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, ObjectIdentifier, PrivateKeyInfoRef};
use signature::Signer as _;

use crate::{Error, Scheme, pem};

/// Algorithm OID of elliptic-curve keys (`id-ecPublicKey`, RFC 5480).
pub(crate) const OID: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// Named-curve OID of P-256 (`prime256v1` / `secp256r1`).
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// Named-curve OID of P-384 (`secp384r1`).
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// The curves this crate supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    /// NIST P-256.
    P256,
    /// NIST P-384.
    P384,
}

impl Curve {
    /// The curve of an ECDSA scheme, `None` for other schemes.
    pub(crate) fn of_scheme(scheme: Scheme) -> Option<Curve> {
        match scheme {
            Scheme::EcdsaSha2Nistp256 => Some(Curve::P256),
            Scheme::EcdsaSha2Nistp384 => Some(Curve::P384),
            _ => None,
        }
    }

    /// The ECDSA scheme on this curve.
    pub(crate) fn scheme(self) -> Scheme {
        match self {
            Curve::P256 => Scheme::EcdsaSha2Nistp256,
            Curve::P384 => Scheme::EcdsaSha2Nistp384,
        }
    }

    /// The curve named by an `id-ecPublicKey` algorithm identifier's parameters.
    fn of_parameters(algorithm: &pkcs8::spki::AlgorithmIdentifierRef<'_>) -> Result<Curve, String> {
        let oid = algorithm
            .parameters_oid()
            .map_err(|_| "EC key without a named curve")?;
        match oid {
            OID_P256 => Ok(Curve::P256),
            OID_P384 => Ok(Curve::P384),
            other => Err(format!("unsupported elliptic curve {other}")),
        }
    }

    /// How the curve is named in error messages.
    pub(crate) fn key_description(self) -> &'static str {
        match self {
            Curve::P256 => "ecdsa P-256",
            Curve::P384 => "ecdsa P-384",
        }
    }
}

/// An ECDSA public key.
#[derive(Debug, Clone)]
pub(crate) enum EcdsaPublicKey {
    /// On P-256.
    P256(p256::ecdsa::VerifyingKey),
    /// On P-384.
    P384(p384::ecdsa::VerifyingKey),
}

impl EcdsaPublicKey {
    /// The key's curve.
    pub(crate) fn curve(&self) -> Curve {
        match self {
            EcdsaPublicKey::P256(_) => Curve::P256,
            EcdsaPublicKey::P384(_) => Curve::P384,
        }
    }

    /// Decodes an EC SubjectPublicKeyInfo on either supported curve.
    pub(crate) fn from_spki(spki: &pkcs8::SubjectPublicKeyInfoRef<'_>) -> Result<Self, String> {
        let curve = Curve::of_parameters(&spki.algorithm)?;
        let bad = |err: pkcs8::spki::Error| format!("bad EC public key: {err}");
        Ok(match curve {
            Curve::P256 => EcdsaPublicKey::P256(
                p256::ecdsa::VerifyingKey::try_from(spki.clone()).map_err(bad)?,
            ),
            Curve::P384 => EcdsaPublicKey::P384(
                p384::ecdsa::VerifyingKey::try_from(spki.clone()).map_err(bad)?,
            ),
        })
    }

    /// The `keyval.public` text: PEM SubjectPublicKeyInfo with an uncompressed point, LF line
    /// endings and a final newline, byte for byte what pyca/cryptography writes.
    pub(crate) fn to_pem(&self) -> Result<String, String> {
        let der = match self {
            EcdsaPublicKey::P256(key) => key.to_public_key_der(),
            EcdsaPublicKey::P384(key) => key.to_public_key_der(),
        }
        .map_err(|err| format!("cannot encode EC public key: {err}"))?;
        pem::encode("PUBLIC KEY", der.as_bytes())
    }

    /// Verifies a DER signature, hashing `message` with the curve's hash.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), Error> {
        let mut hasher = crate::stream::Hasher::new(self.hash());
        hasher.update(message);
        self.verify_prehash(&hasher.finish(), signature)
    }

    /// Verifies a DER signature over `digest`, the message hashed with the curve's hash
    /// ([`EcdsaPublicKey::hash`]); what [`EcdsaPublicKey::verify`] does after hashing.
    pub(crate) fn verify_prehash(&self, digest: &[u8], signature: &[u8]) -> Result<(), Error> {
        use signature::hazmat::PrehashVerifier as _;
        let result = match self {
            EcdsaPublicKey::P256(key) => p256::ecdsa::DerSignature::from_bytes(signature)
                .and_then(|signature| key.verify_prehash(digest, &signature)),
            EcdsaPublicKey::P384(key) => p384::ecdsa::DerSignature::from_bytes(signature)
                .and_then(|signature| key.verify_prehash(digest, &signature)),
        };
        result.map_err(|_| Error::BadSignature)
    }

    /// The hash of the curve's scheme: SHA-256 on P-256, SHA-384 on P-384.
    pub(crate) fn hash(&self) -> crate::rsa::Hash {
        match self {
            EcdsaPublicKey::P256(_) => crate::rsa::Hash::Sha256,
            EcdsaPublicKey::P384(_) => crate::rsa::Hash::Sha384,
        }
    }
}

/// An ECDSA private key.
#[derive(Clone)]
pub(crate) enum EcdsaPrivateKey {
    /// On P-256.
    P256(p256::ecdsa::SigningKey),
    /// On P-384.
    P384(p384::ecdsa::SigningKey),
}

impl EcdsaPrivateKey {
    /// Generates a key on `curve` with the operating system's RNG.
    pub(crate) fn generate(curve: Curve) -> Result<Self, Error> {
        let failed = |err: getrandom::Error| Error::KeyGeneration {
            reason: format!("operating system RNG failed: {err}"),
        };
        let mut rng = getrandom::SysRng;
        Ok(match curve {
            Curve::P256 => EcdsaPrivateKey::P256(
                p256::ecdsa::SigningKey::try_generate_from_rng(&mut rng).map_err(failed)?,
            ),
            Curve::P384 => EcdsaPrivateKey::P384(
                p384::ecdsa::SigningKey::try_generate_from_rng(&mut rng).map_err(failed)?,
            ),
        })
    }

    /// The matching public key.
    pub(crate) fn public_key(&self) -> EcdsaPublicKey {
        match self {
            EcdsaPrivateKey::P256(key) => EcdsaPublicKey::P256(*key.verifying_key()),
            EcdsaPrivateKey::P384(key) => EcdsaPublicKey::P384(*key.verifying_key()),
        }
    }

    /// Signs `message` (hashed with the curve's hash; deterministic nonce per RFC 6979),
    /// returning the ASN.1 DER signature.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        let failed = |err: signature::Error| Error::Signing {
            reason: err.to_string(),
        };
        Ok(match self {
            EcdsaPrivateKey::P256(key) => {
                let signature: p256::ecdsa::DerSignature = key.try_sign(message).map_err(failed)?;
                signature.as_bytes().to_vec()
            }
            EcdsaPrivateKey::P384(key) => {
                let signature: p384::ecdsa::DerSignature = key.try_sign(message).map_err(failed)?;
                signature.as_bytes().to_vec()
            }
        })
    }

    /// The curve of an EC PKCS#8 key, read from its algorithm identifier.
    pub(crate) fn pkcs8_curve(info: &PrivateKeyInfoRef<'_>) -> Result<Curve, Error> {
        Curve::of_parameters(&info.algorithm).map_err(|reason| Error::InvalidPrivateKey { reason })
    }

    /// Reads an EC PKCS#8 key on either supported curve.
    pub(crate) fn from_pkcs8(info: PrivateKeyInfoRef<'_>) -> Result<Self, Error> {
        let bad = |err: pkcs8::Error| Error::InvalidPrivateKey {
            reason: format!("bad EC PKCS#8 key: {err}"),
        };
        Ok(match Self::pkcs8_curve(&info)? {
            Curve::P256 => {
                EcdsaPrivateKey::P256(p256::ecdsa::SigningKey::try_from(info).map_err(bad)?)
            }
            Curve::P384 => {
                EcdsaPrivateKey::P384(p384::ecdsa::SigningKey::try_from(info).map_err(bad)?)
            }
        })
    }

    /// PKCS#8 DER of the key (RFC 5915 `ECPrivateKey` inside, with the public key).
    pub(crate) fn to_pkcs8(&self) -> Result<pkcs8::SecretDocument, Error> {
        match self {
            EcdsaPrivateKey::P256(key) => key.to_pkcs8_der(),
            EcdsaPrivateKey::P384(key) => key.to_pkcs8_der(),
        }
        .map_err(|err| Error::InvalidPrivateKey {
            reason: format!("cannot encode EC PKCS#8: {err}"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Group order of P-256, big endian.
    const N_P256: [u8; 32] = [
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63,
        0x25, 0x51,
    ];
    /// Group order of P-384, big endian.
    const N_P384: [u8; 48] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xc7, 0x63, 0x4d, 0x81, 0xf4, 0x37,
        0x2d, 0xdf, 0x58, 0x1a, 0x0d, 0xb2, 0x48, 0xb0, 0xa7, 0x7a, 0xec, 0xec, 0x19, 0x6a, 0xcc,
        0xc5, 0x29, 0x73,
    ];

    /// Splits a short-form DER ECDSA signature into big-endian `r` and `s` (leading zero
    /// bytes stripped).
    fn split_der(der: &[u8]) -> (Vec<u8>, Vec<u8>) {
        // SEQUENCE (possibly 0x81-prefixed length for P-384) { INTEGER r, INTEGER s }
        let body = if der[1] == 0x81 { &der[3..] } else { &der[2..] };
        assert_eq!(body[0], 0x02);
        let r_len = body[1] as usize;
        let r = &body[2..2 + r_len];
        let rest = &body[2 + r_len..];
        assert_eq!(rest[0], 0x02);
        let s = &rest[2..2 + rest[1] as usize];
        let strip = |x: &[u8]| {
            x.iter()
                .skip_while(|&&b| b == 0)
                .copied()
                .collect::<Vec<u8>>()
        };
        (strip(r), strip(s))
    }

    /// DER-encodes `r` and `s` (big endian, no leading zeros) minimally.
    fn join_der(r: &[u8], s: &[u8]) -> Vec<u8> {
        let integer = |x: &[u8]| {
            let mut out = vec![0x02];
            let pad = x[0] & 0x80 != 0;
            out.push((x.len() + usize::from(pad)) as u8);
            if pad {
                out.push(0);
            }
            out.extend_from_slice(x);
            out
        };
        let mut body = integer(r);
        body.extend(integer(s));
        let mut out = vec![0x30];
        if body.len() >= 0x80 {
            out.push(0x81);
        }
        out.push(body.len() as u8);
        out.extend(body);
        out
    }

    /// `n - s` for big-endian numbers (`s < n`), leading zeros stripped.
    fn negate(n: &[u8], s: &[u8]) -> Vec<u8> {
        let mut s_padded = vec![0u8; n.len() - s.len()];
        s_padded.extend_from_slice(s);
        let mut out = vec![0u8; n.len()];
        let mut borrow = 0i16;
        for index in (0..n.len()).rev() {
            let mut digit = i16::from(n[index]) - i16::from(s_padded[index]) - borrow;
            borrow = 0;
            if digit < 0 {
                digit += 256;
                borrow = 1;
            }
            out[index] = digit as u8;
        }
        out.into_iter().skip_while(|&b| b == 0).collect()
    }

    #[test]
    fn high_s_accepted_like_openssl() {
        for (curve, n) in [(Curve::P256, &N_P256[..]), (Curve::P384, &N_P384[..])] {
            let key = EcdsaPrivateKey::generate(curve).unwrap();
            let public = key.public_key();
            let der = key.sign(b"message").unwrap();
            let (r, s) = split_der(&der);
            assert_eq!(join_der(&r, &s), der, "test helper round trip");
            let flipped = join_der(&r, &negate(n, &s));
            assert_ne!(flipped, der);
            // pyca/cryptography 50.0.2 accepts the (r, n - s) twin of a signature.
            assert_eq!(public.verify(b"message", &flipped), Ok(()), "{curve:?}");
            assert_eq!(
                public.verify(b"massage", &flipped),
                Err(Error::BadSignature)
            );
        }
    }

    #[test]
    fn strict_der_like_openssl() {
        let key = EcdsaPrivateKey::generate(Curve::P256).unwrap();
        let public = key.public_key();
        let der = key.sign(b"message").unwrap();
        let (r, s) = split_der(&der);
        // Each of these is refused by pyca/cryptography 50.0.2 too.
        let mut trailing = der.clone();
        trailing.push(0);
        let mut long_length = vec![0x30, 0x81];
        long_length.extend_from_slice(&der[1..]);
        let mut raw = vec![0u8; 64 - r.len() - s.len()];
        raw.splice(0..0, r.iter().copied());
        raw.extend_from_slice(&s);
        for bad in [trailing, long_length, raw] {
            assert_eq!(public.verify(b"message", &bad), Err(Error::BadSignature));
        }
    }

    #[test]
    fn public_pem_is_uncompressed_spki() {
        let public = EcdsaPrivateKey::generate(Curve::P256).unwrap().public_key();
        let pem = public.to_pem().unwrap();
        assert!(
            pem.starts_with("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")
        );
        assert!(pem.ends_with("\n-----END PUBLIC KEY-----\n"));
        let public = EcdsaPrivateKey::generate(Curve::P384).unwrap().public_key();
        let pem = public.to_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE"));
    }
}
