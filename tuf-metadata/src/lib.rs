//! TUF metadata: the types of the specification's section 4, their validation, canonical
//! JSON, and threshold verification of a delegate by its delegator. No I/O.
//!
//! Every type keeps the fields it does not know and writes them back, and parsing from
//! untrusted bytes never panics: it returns an [`Error`] that names the offending field.
//! Signatures are verified over the canonical JSON of `signed` exactly as received.
//!
//! ```
//! use tuf_crypto::{PrivateKey, Scheme, Signer};
//! use tuf_metadata::{Expires, Metadata, Root, Signed, Timestamp};
//!
//! let expires: Expires = "2030-01-01T00:00:00Z".parse().unwrap();
//! let key = PrivateKey::generate(Scheme::Ed25519).unwrap();
//! let mut root = Root::new(expires);
//! for role in tuf_metadata::TOP_LEVEL_ROLE_NAMES {
//!     root.add_key(role, key.public_key().clone()).unwrap();
//! }
//! let mut root = Metadata::new(root);
//! root.sign(&key).unwrap();
//!
//! let mut timestamp = Metadata::new(Timestamp::new(expires));
//! timestamp.sign(&key).unwrap();
//! // What a client receives is bytes:
//! let received = Metadata::<Timestamp>::from_bytes(&timestamp.to_bytes()).unwrap();
//! let result = root.verify_delegate("timestamp", &received).unwrap();
//! assert_eq!(result.signed.len(), 1);
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

mod common;
pub mod delegations;
pub mod encode;
pub mod entry_map;
mod error;
pub mod expires;
mod fast;
mod fields;
pub mod hashes;
pub mod intake;
pub mod keys;
pub mod metadata;
pub mod metafile;
pub mod parallel;
pub mod path_pattern;
pub mod role;
pub mod root;
pub mod signature;
pub mod snapshot;
pub mod spec_version;
pub mod targets;
pub mod threshold;
pub mod timestamp;

pub use delegations::{DelegatedRole, Delegations, SuccinctRoles};
pub use encode::{Encode, Form};
pub use entry_map::{EntryMap, MapEntry, MetaMap, TargetMap};
pub use error::Error;
pub use expires::Expires;
pub use hashes::Hashes;
pub use keys::Keys;
pub use metadata::{Metadata, Received, Signed};
pub use metafile::MetaFile;
pub use role::Role;
pub use root::{Root, TOP_LEVEL_ROLE_NAMES};
pub use signature::Signature;
pub use snapshot::Snapshot;
pub use spec_version::SpecVersion;
pub use targets::{TargetFile, Targets};
pub use threshold::{Delegator, RoleKeys, VerificationResult};
pub use timestamp::Timestamp;
/// Canonical JSON, as securesystemslib writes it (re-exported from `tuf-crypto`, the one place
/// it is implemented).
pub use tuf_crypto::canonical;
