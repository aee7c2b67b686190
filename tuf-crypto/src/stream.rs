//! Signature checks over a message that arrives in pieces.
//!
//! TUF signs the canonical form of `signed` (spec section 4.2); for a large role that form is
//! as large as the file. Checking signatures while the form is produced
//! ([`crate::canonical::stream_json_text`]) means it is never held in memory. Every scheme
//! hashes the message first, so each check here keeps a hash state and nothing else: Ed25519
//! its SHA-512 over `R || A || message` (`ed25519-dalek`'s stream verifier), ECDSA and RSA
//! the scheme's digest, checked at the end exactly as [`PublicKey::verify`] checks it.

use sha2::{Digest as _, Sha256, Sha384, Sha512};

use crate::ecdsa::EcdsaPublicKey;
use crate::key::DecodedKey;
use crate::rsa::Hash;
use crate::{Error, PublicKey, Scheme};

/// A message digest of one of the SHA-2 functions the schemes use.
#[derive(Clone)]
pub(crate) enum Hasher {
    Sha256(Sha256),
    Sha384(Sha384),
    Sha512(Sha512),
}

impl Hasher {
    pub(crate) fn new(hash: Hash) -> Self {
        match hash {
            Hash::Sha256 => Hasher::Sha256(Sha256::new()),
            Hash::Sha384 => Hasher::Sha384(Sha384::new()),
            Hash::Sha512 => Hasher::Sha512(Sha512::new()),
        }
    }

    pub(crate) fn update(&mut self, piece: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(piece),
            Hasher::Sha384(h) => h.update(piece),
            Hasher::Sha512(h) => h.update(piece),
        }
    }

    pub(crate) fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(h) => h.finalize().to_vec(),
            Hasher::Sha384(h) => h.finalize().to_vec(),
            Hasher::Sha512(h) => h.finalize().to_vec(),
        }
    }
}

/// One signature being checked over a message fed in pieces; made by
/// [`PublicKey::stream_verifier_hex`].
///
/// ```
/// use tuf_crypto::{PrivateKey, Scheme, Signer as _};
/// let private = PrivateKey::generate(Scheme::Ed25519).unwrap();
/// let signature = hex::encode(private.try_sign(b"hello world").unwrap());
/// let public = private.public_key();
/// let mut check = public.stream_verifier_hex(&signature);
/// check.update(b"hello ");
/// check.update(b"world");
/// assert_eq!(check.finish(), Ok(()));
/// ```
pub struct StreamVerifier<'k> {
    state: State<'k>,
}

enum State<'k> {
    Ed25519(Box<ed25519_dalek::StreamVerifier>),
    Ecdsa {
        key: &'k EcdsaPublicKey,
        hasher: Hasher,
        signature: Vec<u8>,
    },
    Rsa {
        key: &'k ::rsa::RsaPublicKey,
        scheme: Scheme,
        hasher: Hasher,
        signature: Vec<u8>,
    },
    /// The check cannot succeed; `finish` reports why.
    Failed(Error),
}

impl<'k> StreamVerifier<'k> {
    /// A check of `signature` (raw bytes) by `key`, of `scheme`.
    pub(crate) fn new(key: &'k DecodedKey, scheme: Scheme, signature: Vec<u8>) -> Self {
        let state = match key {
            DecodedKey::Ed25519(key) => match ed25519_dalek::Signature::from_slice(&signature)
                .and_then(|signature| key.verify_stream(&signature))
            {
                Ok(verifier) => State::Ed25519(Box::new(verifier)),
                Err(_) => State::Failed(Error::BadSignature),
            },
            DecodedKey::Ecdsa(key) => State::Ecdsa {
                key,
                hasher: Hasher::new(key.hash()),
                signature,
            },
            DecodedKey::Rsa(key) => match crate::rsa::message_hash(scheme) {
                Some(hash) => State::Rsa {
                    key,
                    scheme,
                    hasher: Hasher::new(hash),
                    signature,
                },
                None => State::Failed(Error::BadSignature),
            },
        };
        StreamVerifier { state }
    }

    /// A check that fails with `error`.
    pub(crate) fn failed(error: Error) -> Self {
        StreamVerifier {
            state: State::Failed(error),
        }
    }

    /// Feeds the next piece of the message.
    pub fn update(&mut self, piece: &[u8]) {
        match &mut self.state {
            State::Ed25519(verifier) => verifier.update(piece),
            State::Ecdsa { hasher, .. } | State::Rsa { hasher, .. } => hasher.update(piece),
            State::Failed(_) => {}
        }
    }

    /// Whether the signature is valid over everything fed, with the errors of
    /// [`PublicKey::verify_hex`].
    ///
    /// # Errors
    /// [`Error::BadSignature`] for a signature that does not verify; the key errors of
    /// [`PublicKey::verify`].
    pub fn finish(self) -> Result<(), Error> {
        match self.state {
            State::Ed25519(verifier) => verifier
                .finalize_and_verify()
                .map_err(|_| Error::BadSignature),
            State::Ecdsa {
                key,
                hasher,
                signature,
            } => key.verify_prehash(&hasher.finish(), &signature),
            State::Rsa {
                key,
                scheme,
                hasher,
                signature,
            } => crate::rsa::verify_prehashed(key, scheme, &hasher.finish(), &signature),
            State::Failed(error) => Err(error),
        }
    }
}

impl PublicKey {
    /// Starts checking the hex-encoded `signature_hex` (decoded as [`PublicKey::verify_hex`]
    /// decodes it) over a message that will be fed in pieces. Any problem with the key or the
    /// signature is reported by [`StreamVerifier::finish`].
    pub fn stream_verifier_hex(&self, signature_hex: &str) -> StreamVerifier<'_> {
        match self.decoded_for_stream(signature_hex) {
            Ok((key, scheme, signature)) => StreamVerifier::new(key, scheme, signature),
            Err(error) => StreamVerifier::failed(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{PrivateKey, Scheme, Signer as _};

    #[test]
    fn a_stream_check_agrees_with_the_one_shot_check_for_every_scheme() {
        let message: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        for scheme in Scheme::ALL {
            let private = if scheme.is_rsa() {
                PrivateKey::generate_rsa(scheme, 2048).unwrap()
            } else {
                PrivateKey::generate(scheme).unwrap()
            };
            let public = private.public_key();
            let signature = hex::encode(private.try_sign(&message).unwrap());
            let mut other = message.clone();
            other[5_000] ^= 1;
            let mut truncated = signature.clone();
            truncated.truncate(signature.len() - 2);
            let cases = [
                (&message, &signature),
                (&other, &signature),
                (&message, &truncated),
                (&message, &"zz".to_owned()),
            ];
            for (index, (input, sig)) in cases.into_iter().enumerate() {
                let expected = public.verify_hex(input, sig);
                assert_eq!(expected.is_ok(), index == 0, "{scheme:?} case {index}");
                for piece in [1, 7, 4096, input.len()] {
                    let mut check = public.stream_verifier_hex(sig);
                    input.chunks(piece).for_each(|p| check.update(p));
                    assert_eq!(
                        check.finish(),
                        expected,
                        "{scheme:?} case {index} by {piece}"
                    );
                }
            }
        }
    }
}
