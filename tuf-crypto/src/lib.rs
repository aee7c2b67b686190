//! TUF signature schemes: public keys in the securesystemslib JSON form, key ids, signature
//! verification and signing, compatible byte for byte with the reference implementation
//! (python-tuf on securesystemslib and pyca/cryptography).
//!
//! - [`PublicKey`]: a key as TUF metadata lists it (spec section 4.2, "keys"; section 4.3,
//!   root's `"keys"`), with [`PublicKey::key_id`] and [`PublicKey::verify`];
//! - [`KeyId`]: the opaque key id label;
//! - [`Scheme`]: the nine supported schemes (Ed25519, ECDSA P-256/P-384, RSASSA-PSS and
//!   RSA PKCS#1 v1.5 with SHA-256/384/512);
//! - [`Signer`] and [`PrivateKey`]: signing, with keys in PKCS#8 PEM;
//! - [`canonical`]: the canonical JSON that TUF signs and hashes.
//!
//! Built on the RustCrypto crates (`ed25519-dalek`, `p256`, `p384`, `rsa`), which stay out of
//! the public API.
//!
//! ```
//! use tuf_crypto::{PrivateKey, PublicKey, Scheme, Signer};
//!
//! let key = PrivateKey::generate(Scheme::Ed25519)?;
//! let signed = tuf_crypto::canonical::to_vec(&serde_json::json!({"_type": "timestamp"}))?;
//! let signature = hex::encode(key.try_sign(&signed)?);
//!
//! // The verifier only has the metadata's JSON.
//! let listed: PublicKey = serde_json::from_value(key.public_key().to_value())?;
//! listed.verify_hex(&signed, &signature)?;
//! assert_eq!(listed.key_id(), key.key_id());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]
// Panic freedom (ARCHITECTURE.md, invariant 4): library code never unwraps, expects, panics or
// indexes out of bounds; tests are exempt (clippy.toml), exceptions carry an `#[allow]` with
// the reason.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
#![warn(missing_docs)]

pub mod canonical;
mod ecdsa;
mod ed25519;
mod error;
mod hex_text;
mod key;
mod pem;
mod rsa;
mod scheme;
mod signer;
mod stream;

pub use error::Error;
pub use key::{KeyId, PublicKey};
pub use scheme::Scheme;
pub use signer::{PrivateKey, Signer};
pub use stream::StreamVerifier;

/// Smallest RSA modulus accepted, in bits, for verification, loading and generation.
pub const RSA_MIN_BITS: usize = 2048;

/// Largest RSA modulus accepted, in bits. Bounds the cost of verifying with a key taken from
/// (not yet trusted) metadata; 16384 bits is far above what any TUF deployment uses.
pub const RSA_MAX_BITS: usize = 16384;

/// Size of RSA keys made by [`PrivateKey::generate`], as securesystemslib's
/// `CryptoSigner.generate_rsa`.
pub const RSA_DEFAULT_BITS: usize = 3072;

/// Largest `keyval.public` PEM text accepted, in bytes (64 KiB): longer key material is
/// [`Error::InvalidPublicKey`] without being parsed. Private key PEM has the same bound.
pub const MAX_PEM_LEN: usize = pem::MAX_PEM_LEN;
