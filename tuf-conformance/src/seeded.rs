//! Keys derived from fixed seeds and signatures that do not vary, for a simulator whose files
//! must come out the same byte for byte on every run (the export of
//! [`crate::export`]).
//!
//! Key `n` of a scheme is the same in every frozen simulator: its secret comes from a SHA-256
//! based generator seeded with the key type and `n` (RSA keys, whose generation is slow, are
//! made once per process and kept). Ed25519, ECDSA (RFC 6979 nonces) and RSASSA-PKCS1-v1_5
//! signatures are deterministic already; RSASSA-PSS takes its salt from the same generator,
//! seeded with the key id and the message, so a PSS signature is fixed too (still a valid PSS
//! signature with a salt as long as the digest, spec 4.2 and securesystemslib's
//! `rsassa-pss-*`).
//!
//! The bytes depend on the key-generation code of the `rsa` crate (prime search from the
//! stream) and on the encodings of the other key crates: an update of those crates may change
//! the keys, and with them every exported file; `tests/export.rs` then says to regenerate.
//!
//! These keys protect nothing: their seeds are in this file.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::sync::{Mutex, OnceLock, PoisonError};

use pkcs8::EncodePrivateKey as _;
use pkcs8::LineEnding;
use rsa::signature::{RandomizedSigner as _, SignatureEncoding as _};
use sha2::{Digest as _, Sha256, Sha384, Sha512};
use tuf_crypto::{PrivateKey, PublicKey, Scheme, Signer};

use crate::Error;
use crate::simulator::RSA_BITS;

/// A deterministic byte stream: SHA-256 of the seed and a block counter, block after block.
/// Implements the `rand_core` traits the RSA crate asks for.
struct Stream {
    seed: [u8; 32],
    block: u64,
    buffer: [u8; 32],
    used: usize,
}

impl Stream {
    /// A stream seeded with `parts` (each length-prefixed, so no two lists of parts collide).
    fn new(parts: &[&[u8]]) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"tuf-conformance seeded stream v1");
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        Stream {
            seed: hasher.finalize().into(),
            block: 0,
            buffer: [0; 32],
            used: 32,
        }
    }

    fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.used == self.buffer.len() {
                let mut hasher = Sha256::new();
                hasher.update(self.seed);
                hasher.update(self.block.to_be_bytes());
                self.buffer = hasher.finalize().into();
                self.block = self.block.wrapping_add(1);
                self.used = 0;
            }
            *byte = self.buffer.get(self.used).copied().unwrap_or(0);
            self.used += 1;
        }
    }

    fn array<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0; N];
        self.fill(&mut out);
        out
    }
}

impl rand_core::TryRng for Stream {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(u32::from_le_bytes(self.array()))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(u64::from_le_bytes(self.array()))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.fill(dst);
        Ok(())
    }
}

impl rand_core::TryCryptoRng for Stream {}

fn generation_failed(reason: impl std::fmt::Display) -> Error {
    Error::Crypto(tuf_crypto::Error::KeyGeneration {
        reason: reason.to_string(),
    })
}

/// PKCS#8 PEM of RSA key `index`, made once per process.
fn rsa_pem(index: u64) -> Result<String, Error> {
    static CACHE: OnceLock<Mutex<BTreeMap<u64, String>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(BTreeMap::new()));
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(pem) = cache.get(&index) {
        return Ok(pem.clone());
    }
    let mut stream = Stream::new(&[b"rsa", &index.to_be_bytes()]);
    let key = rsa::RsaPrivateKey::new(&mut stream, RSA_BITS).map_err(generation_failed)?;
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(generation_failed)?
        .to_string();
    cache.insert(index, pem.clone());
    Ok(pem)
}

/// Key `index` of `scheme`, the same in every call.
///
/// # Errors
/// [`Error::Crypto`] if the key cannot be made (an ECDSA seed outside the curve's range, which
/// SHA-256 output practically never is).
pub(crate) fn key(scheme: Scheme, index: u64) -> Result<Box<dyn Signer>, Error> {
    let counter = index.to_be_bytes();
    let pem = match scheme {
        Scheme::Ed25519 => {
            let seed = Stream::new(&[b"ed25519", &counter]).array::<32>();
            ed25519_dalek::SigningKey::from_bytes(&seed)
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(generation_failed)?
                .to_string()
        }
        Scheme::EcdsaSha2Nistp256 => {
            let seed = Stream::new(&[b"ecdsa-sha2-nistp256", &counter]).array::<32>();
            p256::SecretKey::from_slice(&seed)
                .map_err(generation_failed)?
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(generation_failed)?
                .to_string()
        }
        Scheme::EcdsaSha2Nistp384 => {
            let seed = Stream::new(&[b"ecdsa-sha2-nistp384", &counter]).array::<48>();
            p384::SecretKey::from_slice(&seed)
                .map_err(generation_failed)?
                .to_pkcs8_pem(LineEnding::LF)
                .map_err(generation_failed)?
                .to_string()
        }
        _ if scheme.keytype() == "rsa" => rsa_pem(index)?,
        _ => return Err(generation_failed(format!("no seeded keys for {scheme:?}"))),
    };
    let key = PrivateKey::from_pkcs8_pem(&pem, scheme)?;
    let pss = match scheme {
        Scheme::RsassaPssSha256 | Scheme::RsassaPssSha384 | Scheme::RsassaPssSha512 => {
            use rsa::pkcs8::DecodePrivateKey as _;
            let inner = rsa::RsaPrivateKey::from_pkcs8_pem(&pem).map_err(generation_failed)?;
            Some(match scheme {
                Scheme::RsassaPssSha384 => Pss::Sha384(rsa::pss::SigningKey::new(inner)),
                Scheme::RsassaPssSha512 => Pss::Sha512(rsa::pss::SigningKey::new(inner)),
                _ => Pss::Sha256(rsa::pss::SigningKey::new(inner)),
            })
        }
        _ => None,
    };
    Ok(match pss {
        Some(pss) => Box::new(FixedSaltPss {
            public: key.public_key().clone(),
            pss,
        }),
        None => Box::new(key),
    })
}

/// An RSASSA-PSS key bound to its hash.
enum Pss {
    Sha256(rsa::pss::SigningKey<Sha256>),
    Sha384(rsa::pss::SigningKey<Sha384>),
    Sha512(rsa::pss::SigningKey<Sha512>),
}

/// RSASSA-PSS whose salt (as long as the digest) is derived from the key id and the message.
struct FixedSaltPss {
    public: PublicKey,
    pss: Pss,
}

impl Signer for FixedSaltPss {
    fn public_key(&self) -> &PublicKey {
        &self.public
    }

    fn try_sign(&self, message: &[u8]) -> Result<Vec<u8>, tuf_crypto::Error> {
        let keyid = self.public.key_id();
        let mut stream = Stream::new(&[b"pss salt", keyid.as_str().as_bytes(), message]);
        match &self.pss {
            Pss::Sha256(key) => key.try_sign_with_rng(&mut stream, message),
            Pss::Sha384(key) => key.try_sign_with_rng(&mut stream, message),
            Pss::Sha512(key) => key.try_sign_with_rng(&mut stream, message),
        }
        .map(|signature| signature.to_vec())
        .map_err(|error| tuf_crypto::Error::Signing {
            reason: error.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_signatures_are_fixed_and_verify() {
        for scheme in [
            Scheme::Ed25519,
            Scheme::EcdsaSha2Nistp256,
            Scheme::EcdsaSha2Nistp384,
            Scheme::RsassaPssSha256,
            Scheme::RsaPkcs1v15Sha512,
        ] {
            let a = key(scheme, 3).unwrap();
            let b = key(scheme, 3).unwrap();
            let other = key(scheme, 4).unwrap();
            assert_eq!(a.key_id(), b.key_id(), "{scheme:?}");
            assert_ne!(a.key_id(), other.key_id(), "{scheme:?}");
            let signature = a.try_sign(b"payload").unwrap();
            assert_eq!(signature, b.try_sign(b"payload").unwrap(), "{scheme:?}");
            assert_ne!(signature, a.try_sign(b"another payload").unwrap());
            a.public_key().verify(b"payload", &signature).unwrap();
            assert!(other.public_key().verify(b"payload", &signature).is_err());
        }
    }
}
