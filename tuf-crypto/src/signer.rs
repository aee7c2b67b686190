//! Signing: the [`Signer`] trait and in-memory [`PrivateKey`]s.

use std::fmt;

use pkcs8::PrivateKeyInfoRef;
use pkcs8::der::Decode as _;

use crate::ecdsa::{Curve, EcdsaPrivateKey};
use crate::key::DecodedKey;
use crate::rsa::RsaSigningKey;
use crate::{Error, KeyId, PublicKey, RSA_DEFAULT_BITS, Scheme, ed25519, pem, rsa};

/// Something that signs with one key: an in-memory [`PrivateKey`], or (implemented elsewhere)
/// a hardware token or a cloud KMS. Object-safe, so signers can be held as `Box<dyn Signer>`.
///
/// ```
/// use tuf_crypto::{PrivateKey, Scheme, Signer};
///
/// let signers: Vec<Box<dyn Signer>> = vec![
///     Box::new(PrivateKey::generate(Scheme::Ed25519)?),
///     Box::new(PrivateKey::generate(Scheme::EcdsaSha2Nistp384)?),
/// ];
/// for signer in &signers {
///     let signature = signer.try_sign(b"payload")?;
///     signer.public_key().verify(b"payload", &signature)?;
///     assert_eq!(signer.key_id(), signer.public_key().key_id());
/// }
/// # Ok::<(), tuf_crypto::Error>(())
/// ```
pub trait Signer: Send + Sync {
    /// The public key of the signing key, in the form it is listed in metadata.
    fn public_key(&self) -> &PublicKey;

    /// The key id signatures are labelled with; by default the securesystemslib key id of
    /// [`Signer::public_key`].
    fn key_id(&self) -> KeyId {
        self.public_key().key_id()
    }

    /// Signs `message`, returning the raw signature bytes in the encoding of the key's scheme
    /// (ASN.1 DER for ECDSA), ready to be hex-encoded into a TUF signature object.
    ///
    /// # Errors
    /// [`Error::Signing`] if signing fails (for example if the OS random number generator
    /// fails); implementations may add their own.
    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, Error>;
}

/// A private key held in memory, bound to one [`Scheme`].
///
/// Signs like securesystemslib's `CryptoSigner`: Ed25519 per RFC 8032; ECDSA with the scheme's
/// hash, deterministic nonces (RFC 6979) and DER output; RSASSA-PSS with MGF1 of the scheme's
/// hash and a salt as long as the digest; RSASSA-PKCS1-v1_5 with the scheme's hash.
///
/// Keys are read from and written to unencrypted PKCS#8 PEM, the format of securesystemslib's
/// `CryptoSigner.private_bytes` and `file2:` private key URIs.
///
/// `Debug` shows the scheme and the public key, never secret material.
///
/// ```
/// use tuf_crypto::{PrivateKey, Scheme, Signer};
///
/// let key = PrivateKey::generate(Scheme::Ed25519)?;
/// let pem = key.to_pkcs8_pem()?;
/// let again = PrivateKey::from_pkcs8_pem(&pem, Scheme::Ed25519)?;
/// assert_eq!(again.public_key(), key.public_key());
///
/// let signature = again.try_sign(b"payload")?;
/// key.public_key().verify(b"payload", &signature)?;
/// # Ok::<(), tuf_crypto::Error>(())
/// ```
pub struct PrivateKey {
    /// The scheme the key signs with.
    scheme: Scheme,
    /// The secret key.
    secret: SecretKey,
    /// Its public key in securesystemslib form.
    public: PublicKey,
}

/// Secret key material.
enum SecretKey {
    /// Ed25519.
    Ed25519(ed25519_dalek::SigningKey),
    /// ECDSA.
    Ecdsa(EcdsaPrivateKey),
    /// RSA, bound to its scheme.
    Rsa(RsaSigningKey),
}

impl PrivateKey {
    /// Generates a new key for `scheme` with the operating system's random number generator.
    /// RSA keys have [`RSA_DEFAULT_BITS`] (3072) bits, like securesystemslib's default.
    ///
    /// # Errors
    /// [`Error::KeyGeneration`] if the random number generator fails.
    pub fn generate(scheme: Scheme) -> Result<Self, Error> {
        match scheme {
            Scheme::Ed25519 => {
                PrivateKey::from_secret(scheme, SecretKey::Ed25519(ed25519::generate()?))
            }
            Scheme::EcdsaSha2Nistp256 | Scheme::EcdsaSha2Nistp384 => {
                let curve = Curve::of_scheme(scheme).ok_or_else(|| mismatch(scheme, "ecdsa"))?;
                PrivateKey::from_secret(scheme, SecretKey::Ecdsa(EcdsaPrivateKey::generate(curve)?))
            }
            Scheme::RsassaPssSha256
            | Scheme::RsassaPssSha384
            | Scheme::RsassaPssSha512
            | Scheme::RsaPkcs1v15Sha256
            | Scheme::RsaPkcs1v15Sha384
            | Scheme::RsaPkcs1v15Sha512 => PrivateKey::generate_rsa(scheme, RSA_DEFAULT_BITS),
        }
    }

    /// Generates a new RSA key with a modulus of `bits` bits (public exponent 65537).
    ///
    /// # Errors
    /// [`Error::SchemeMismatch`] if `scheme` is not an RSA scheme; [`Error::RsaKeySize`] if
    /// `bits` is outside [`crate::RSA_MIN_BITS`]`..=`[`crate::RSA_MAX_BITS`];
    /// [`Error::KeyGeneration`].
    pub fn generate_rsa(scheme: Scheme, bits: usize) -> Result<Self, Error> {
        if !scheme.is_rsa() {
            return Err(mismatch(scheme, "rsa"));
        }
        PrivateKey::from_rsa(rsa::generate(bits)?, scheme)
    }

    /// Reads an unencrypted PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`) to sign
    /// with `scheme`.
    ///
    /// # Errors
    /// [`Error::SchemeMismatch`] if the key's algorithm (or curve) does not fit `scheme`;
    /// [`Error::InvalidPrivateKey`] if the PEM or key cannot be read (encrypted keys are not
    /// supported); [`Error::RsaKeySize`].
    pub fn from_pkcs8_pem(pem: &str, scheme: Scheme) -> Result<Self, Error> {
        PrivateKey::read_pkcs8_pem(pem, Some(scheme))
    }

    /// Reads an unencrypted PKCS#8 PEM private key, choosing the scheme from the key as
    /// securesystemslib's `SSlibKey.from_crypto` does: Ed25519 keys get `ed25519`, P-256 keys
    /// `ecdsa-sha2-nistp256`, P-384 keys `ecdsa-sha2-nistp384`, and RSA keys
    /// `rsassa-pss-sha256`.
    ///
    /// # Errors
    /// As [`PrivateKey::from_pkcs8_pem`], without the mismatch.
    pub fn from_pkcs8_pem_auto(pem: &str) -> Result<Self, Error> {
        PrivateKey::read_pkcs8_pem(pem, None)
    }

    /// Reads a PKCS#8 PEM key for `want`, or for the key's default scheme.
    fn read_pkcs8_pem(text: &str, want: Option<Scheme>) -> Result<Self, Error> {
        let invalid = |reason: String| Error::InvalidPrivateKey { reason };
        let block = pem::decode(text).map_err(invalid)?;
        match block.label.as_str() {
            "PRIVATE KEY" => {}
            "ENCRYPTED PRIVATE KEY" => {
                return Err(invalid("encrypted PKCS#8 keys are not supported".into()));
            }
            other => {
                return Err(invalid(format!(
                    "expected a PKCS#8 PRIVATE KEY PEM block, not {other:?}"
                )));
            }
        }
        let info = PrivateKeyInfoRef::from_der(&block.der)
            .map_err(|err| invalid(format!("bad PKCS#8 structure: {err}")))?;
        let oid = info.algorithm.oid;
        if oid == ed25519::OID {
            let scheme = want.unwrap_or(Scheme::Ed25519);
            if scheme != Scheme::Ed25519 {
                return Err(mismatch(scheme, "ed25519"));
            }
            PrivateKey::from_secret(scheme, SecretKey::Ed25519(ed25519::decode_pkcs8(info)?))
        } else if oid == crate::ecdsa::OID {
            let curve = EcdsaPrivateKey::pkcs8_curve(&info)?;
            let scheme = want.unwrap_or(curve.scheme());
            if Curve::of_scheme(scheme) != Some(curve) {
                return Err(mismatch(scheme, curve.key_description()));
            }
            PrivateKey::from_secret(scheme, SecretKey::Ecdsa(EcdsaPrivateKey::from_pkcs8(info)?))
        } else if oid == rsa::OID || oid == rsa::OID_PSS {
            let scheme = want.unwrap_or(Scheme::RsassaPssSha256);
            if !scheme.is_rsa() {
                return Err(mismatch(scheme, "rsa"));
            }
            PrivateKey::from_rsa(rsa::private_from_pkcs8(&info)?, scheme)
        } else {
            Err(invalid(format!("unsupported private key algorithm {oid}")))
        }
    }

    /// Wraps an RSA key for an RSA `scheme`.
    fn from_rsa(key: ::rsa::RsaPrivateKey, scheme: Scheme) -> Result<Self, Error> {
        let signing_key = RsaSigningKey::new(key, scheme).ok_or_else(|| mismatch(scheme, "rsa"))?;
        PrivateKey::from_secret(scheme, SecretKey::Rsa(signing_key))
    }

    /// Completes a key with its public key in securesystemslib form.
    fn from_secret(scheme: Scheme, secret: SecretKey) -> Result<Self, Error> {
        let decoded = match &secret {
            SecretKey::Ed25519(key) => DecodedKey::Ed25519(key.verifying_key()),
            SecretKey::Ecdsa(key) => DecodedKey::Ecdsa(key.public_key()),
            SecretKey::Rsa(key) => DecodedKey::Rsa(Box::new(key.private_key().to_public_key())),
        };
        Ok(PrivateKey {
            scheme,
            secret,
            public: PublicKey::from_decoded(scheme, decoded)?,
        })
    }

    /// Writes the key as unencrypted PKCS#8 PEM with LF line endings, the form
    /// pyca/cryptography's `load_pem_private_key` (and so securesystemslib's `file2:` signer)
    /// reads. Ed25519 keys are written in PKCS#8 v1 form, as OpenSSL writes them.
    ///
    /// The returned string holds the secret key: handle it accordingly.
    ///
    /// # Errors
    /// [`Error::InvalidPrivateKey`] if encoding fails (not expected for keys made by this
    /// crate).
    pub fn to_pkcs8_pem(&self) -> Result<String, Error> {
        let der = match &self.secret {
            SecretKey::Ed25519(key) => ed25519::encode_pkcs8(key)?,
            SecretKey::Ecdsa(key) => key.to_pkcs8()?,
            SecretKey::Rsa(key) => rsa::private_to_pkcs8(key.private_key())?,
        };
        pem::encode("PRIVATE KEY", der.as_bytes())
            .map_err(|reason| Error::InvalidPrivateKey { reason })
    }

    /// The scheme the key signs with.
    pub fn scheme(&self) -> Scheme {
        self.scheme
    }
}

/// An [`Error::SchemeMismatch`].
fn mismatch(scheme: Scheme, key: &str) -> Error {
    Error::SchemeMismatch {
        scheme: scheme.as_str().to_owned(),
        key: key.to_owned(),
    }
}

impl Signer for PrivateKey {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        match &self.secret {
            SecretKey::Ed25519(key) => ed25519::sign(key, message),
            SecretKey::Ecdsa(key) => key.sign(message),
            SecretKey::Rsa(key) => key.sign(message),
        }
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("scheme", &self.scheme)
            .field("public", &self.public)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;

    use super::*;

    /// One 2048-bit RSA key shared by the RSA tests (generation is the slow part).
    fn rsa_pem() -> &'static str {
        static PEM: OnceLock<String> = OnceLock::new();
        PEM.get_or_init(|| {
            PrivateKey::generate_rsa(Scheme::RsassaPssSha256, 2048)
                .unwrap()
                .to_pkcs8_pem()
                .unwrap()
        })
    }

    /// A key for `scheme`: fresh for Ed25519 and ECDSA, the shared RSA key otherwise.
    fn key_for(scheme: Scheme) -> PrivateKey {
        if scheme.is_rsa() {
            PrivateKey::from_pkcs8_pem(rsa_pem(), scheme).unwrap()
        } else {
            PrivateKey::generate(scheme).unwrap()
        }
    }

    /// Another key of the same scheme (for RSA, freshly generated).
    fn other_key_for(scheme: Scheme) -> PrivateKey {
        if scheme.is_rsa() {
            PrivateKey::generate_rsa(scheme, 2048).unwrap()
        } else {
            PrivateKey::generate(scheme).unwrap()
        }
    }

    #[test]
    fn sign_and_verify_every_scheme() {
        for scheme in Scheme::ALL {
            let key = key_for(scheme);
            assert_eq!(key.scheme(), scheme);
            let public = key.public_key();
            assert_eq!(public.scheme(), Some(scheme));
            assert_eq!(public.keytype(), scheme.keytype());
            assert_eq!(public.scheme_name(), scheme.as_str());

            let message = b"the signed bytes";
            let signature = key.try_sign(message).unwrap();
            assert_eq!(public.verify(message, &signature), Ok(()), "{scheme}");
            assert_eq!(public.verify_hex(message, &hex::encode(&signature)), Ok(()));

            // Wrong message.
            assert_eq!(
                public.verify(b"the signed bytez", &signature),
                Err(Error::BadSignature)
            );
            assert_eq!(public.verify(b"", &signature), Err(Error::BadSignature));
            // Wrong key.
            let other = other_key_for(scheme);
            assert_eq!(
                other.public_key().verify(message, &signature),
                Err(Error::BadSignature),
                "{scheme}"
            );
            // Truncated, extended, empty, garbled signatures.
            for cut in [1, 2, signature.len() / 2, signature.len()] {
                let truncated = &signature[..signature.len() - cut];
                assert_eq!(
                    public.verify(message, truncated),
                    Err(Error::BadSignature),
                    "{scheme} cut {cut}"
                );
            }
            let mut extended = signature.clone();
            extended.push(0);
            assert_eq!(public.verify(message, &extended), Err(Error::BadSignature));
            for index in [0, signature.len() / 2, signature.len() - 1] {
                for bit in [0x01, 0x80] {
                    let mut garbled = signature.clone();
                    garbled[index] ^= bit;
                    assert_eq!(
                        public.verify(message, &garbled),
                        Err(Error::BadSignature),
                        "{scheme} byte {index} bit {bit}"
                    );
                }
            }
            assert_eq!(public.verify_hex(message, "zz"), Err(Error::BadSignature));
        }
    }

    #[test]
    fn signature_sizes() {
        for scheme in Scheme::ALL {
            let signature = key_for(scheme).try_sign(b"x").unwrap();
            match scheme {
                Scheme::Ed25519 => assert_eq!(signature.len(), 64),
                // DER SEQUENCE of two INTEGERs.
                Scheme::EcdsaSha2Nistp256 => assert!((8..=72).contains(&signature.len())),
                Scheme::EcdsaSha2Nistp384 => assert!((8..=104).contains(&signature.len())),
                _ => assert_eq!(signature.len(), 256, "{scheme}"),
            }
            if !matches!(scheme, Scheme::Ed25519) && !scheme.is_rsa() {
                assert_eq!(signature[0], 0x30, "{scheme}: DER SEQUENCE");
            }
        }
    }

    #[test]
    fn pkcs8_round_trip_every_scheme() {
        for scheme in Scheme::ALL {
            let key = key_for(scheme);
            let pem = key.to_pkcs8_pem().unwrap();
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{pem}");
            assert!(pem.ends_with("\n-----END PRIVATE KEY-----\n"), "{pem}");
            assert!(!pem.contains('\r'));
            let again = PrivateKey::from_pkcs8_pem(&pem, scheme).unwrap();
            assert_eq!(again.public_key(), key.public_key());
            assert_eq!(again.key_id(), key.key_id());
            assert_eq!(again.to_pkcs8_pem().unwrap(), pem);
            // A signature of the reloaded key verifies under the original public key.
            let signature = again.try_sign(b"m").unwrap();
            assert_eq!(key.public_key().verify(b"m", &signature), Ok(()));
        }
    }

    #[test]
    fn ed25519_pkcs8_is_v1_like_openssl() {
        let pem = key_for(Scheme::Ed25519).to_pkcs8_pem().unwrap();
        // 48-byte DER: version 0, no public key; base64 begins like OpenSSL's output.
        assert!(
            pem.starts_with("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEI"),
            "{pem}"
        );
    }

    #[test]
    fn automatic_scheme() {
        for (scheme, expected) in [
            (Scheme::Ed25519, Scheme::Ed25519),
            (Scheme::EcdsaSha2Nistp256, Scheme::EcdsaSha2Nistp256),
            (Scheme::EcdsaSha2Nistp384, Scheme::EcdsaSha2Nistp384),
            (Scheme::RsaPkcs1v15Sha512, Scheme::RsassaPssSha256),
        ] {
            let pem = key_for(scheme).to_pkcs8_pem().unwrap();
            let key = PrivateKey::from_pkcs8_pem_auto(&pem).unwrap();
            assert_eq!(key.scheme(), expected);
            assert_eq!(key.public_key().scheme(), Some(expected));
        }
    }

    #[test]
    fn wrong_scheme_family_is_a_mismatch() {
        let pems: Vec<(Scheme, String)> = [
            Scheme::Ed25519,
            Scheme::EcdsaSha2Nistp256,
            Scheme::EcdsaSha2Nistp384,
            Scheme::RsassaPssSha256,
        ]
        .into_iter()
        .map(|scheme| (scheme, key_for(scheme).to_pkcs8_pem().unwrap()))
        .collect();
        for (key_scheme, pem) in &pems {
            for scheme in Scheme::ALL {
                let fits = if key_scheme.is_rsa() {
                    scheme.is_rsa()
                } else {
                    scheme == *key_scheme
                };
                let result = PrivateKey::from_pkcs8_pem(pem, scheme);
                if fits {
                    assert!(result.is_ok(), "{key_scheme} key for {scheme}");
                } else {
                    let err = result.unwrap_err();
                    assert!(
                        matches!(&err, Error::SchemeMismatch { scheme: s, .. } if s == scheme.as_str()),
                        "{key_scheme} key for {scheme}: {err:?}"
                    );
                }
            }
        }
        assert_eq!(
            PrivateKey::from_pkcs8_pem(&pems[2].1, Scheme::EcdsaSha2Nistp256).unwrap_err(),
            Error::SchemeMismatch {
                scheme: "ecdsa-sha2-nistp256".into(),
                key: "ecdsa P-384".into()
            }
        );
    }

    #[test]
    fn generate_rsa_checks() {
        assert_eq!(
            PrivateKey::generate_rsa(Scheme::RsassaPssSha256, 1024).unwrap_err(),
            Error::RsaKeySize {
                bits: 1024,
                min: 2048,
                max: 16384
            }
        );
        assert!(matches!(
            PrivateKey::generate_rsa(Scheme::RsassaPssSha256, 16385),
            Err(Error::RsaKeySize { bits: 16385, .. })
        ));
        assert!(matches!(
            PrivateKey::generate_rsa(Scheme::Ed25519, 2048),
            Err(Error::SchemeMismatch { .. })
        ));
    }

    #[test]
    fn default_rsa_size_is_3072() {
        let key = PrivateKey::generate(Scheme::RsaPkcs1v15Sha256).unwrap();
        let signature = key.try_sign(b"m").unwrap();
        assert_eq!(signature.len(), 3072 / 8);
        assert_eq!(key.public_key().verify(b"m", &signature), Ok(()));
    }

    #[test]
    fn unreadable_private_keys() {
        let invalid = |pem: &str| {
            let err = PrivateKey::from_pkcs8_pem_auto(pem).unwrap_err();
            assert!(matches!(err, Error::InvalidPrivateKey { .. }), "{err:?}");
        };
        invalid("");
        invalid("not a key");
        let public = key_for(Scheme::EcdsaSha2Nistp256)
            .public_key()
            .public()
            .to_owned();
        invalid(&public);
        let pem = key_for(Scheme::Ed25519).to_pkcs8_pem().unwrap();
        invalid(&pem.replace("PRIVATE KEY", "ENCRYPTED PRIVATE KEY"));
        invalid(&pem.replace("PRIVATE KEY", "EC PRIVATE KEY"));
        invalid(&pem.replace("MC4CAQAw", "MC4CAQEw"));
        invalid(&format!("{}{}", pem, " ".repeat(crate::MAX_PEM_LEN)));
    }

    #[test]
    fn debug_hides_secrets() {
        for scheme in Scheme::ALL {
            let key = key_for(scheme);
            // Exactly the scheme and the public key: nothing else is printed.
            assert_eq!(
                format!("{key:?}"),
                format!(
                    "PrivateKey {{ scheme: {scheme:?}, public: {:?}, .. }}",
                    key.public_key()
                )
            );
        }
    }

    #[test]
    fn signers_are_object_safe_and_shareable() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PrivateKey>();
        let signer: Box<dyn Signer> = Box::new(key_for(Scheme::Ed25519));
        assert_eq!(signer.key_id(), signer.public_key().key_id());
        let signature = signer.try_sign(b"m").unwrap();
        assert_eq!(signer.public_key().verify(b"m", &signature), Ok(()));
    }
}
