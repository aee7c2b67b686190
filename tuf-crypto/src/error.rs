//! The one error type of this crate.

use crate::canonical::CanonicalJsonError;

/// Everything that can go wrong with keys and signatures.
///
/// Verification failures are deliberately coarse: a wrong signature, a signature that is not
/// well-formed (malformed DER, wrong length, bad hex) and a signature over another message are
/// all [`Error::BadSignature`], so that callers cannot build an oracle out of the difference.
/// Problems with the *key* (unsupported scheme, unparsable key material, RSA modulus out of
/// range) have their own variants: they are properties of the metadata, not of the signature.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The `(keytype, scheme)` pair of a key is not one this crate implements.
    ///
    /// Metadata holding such a key still parses; only verification (or signing) with it fails.
    #[error("unsupported key type {keytype:?} with scheme {scheme:?}")]
    UnsupportedScheme {
        /// The key's `keytype`.
        keytype: String,
        /// The key's `scheme`.
        scheme: String,
    },

    /// A scheme name (for example from a configuration file) is not one of [`crate::Scheme`].
    #[error("unknown signature scheme {scheme:?}")]
    UnknownScheme {
        /// The name that was not recognised.
        scheme: String,
    },

    /// The key material in `keyval.public` does not decode to a key usable with the scheme.
    #[error("invalid public key for scheme {scheme}: {reason}")]
    InvalidPublicKey {
        /// The key's scheme.
        scheme: String,
        /// What is wrong with the key material.
        reason: String,
    },

    /// A private key could not be read.
    #[error("invalid private key: {reason}")]
    InvalidPrivateKey {
        /// What is wrong with it.
        reason: String,
    },

    /// An RSA modulus is smaller than [`crate::RSA_MIN_BITS`] or larger than
    /// [`crate::RSA_MAX_BITS`].
    #[error("RSA key of {bits} bits is outside the accepted range of {min} to {max} bits")]
    RsaKeySize {
        /// The size of the modulus.
        bits: usize,
        /// The smallest accepted size.
        min: usize,
        /// The largest accepted size.
        max: usize,
    },

    /// A signature does not verify. Covers every verification failure: wrong key, wrong
    /// message, malformed or truncated signature, undecodable hex.
    #[error("signature verification failed")]
    BadSignature,

    /// Making a signature failed (for example the operating system's random number generator
    /// failed).
    #[error("signing failed: {reason}")]
    Signing {
        /// Why.
        reason: String,
    },

    /// Generating a key failed.
    #[error("key generation failed: {reason}")]
    KeyGeneration {
        /// Why.
        reason: String,
    },

    /// A key's algorithm does not fit the requested scheme (an RSA key for `ed25519`, a P-384
    /// key for `ecdsa-sha2-nistp256`, ...).
    #[error("scheme {scheme} cannot be used with a {key} key")]
    SchemeMismatch {
        /// The requested scheme.
        scheme: String,
        /// The kind of key that was supplied, e.g. `"rsa"` or `"ecdsa P-384"`.
        key: String,
    },

    /// A JSON value is not a key object of the securesystemslib form.
    #[error("invalid key JSON: {reason}")]
    Json {
        /// What is wrong with it.
        reason: String,
    },

    /// A value has no canonical JSON form (it contains a floating-point number).
    #[error(transparent)]
    CanonicalJson(#[from] CanonicalJsonError),
}
