//! Repository-side TUF tools: create a repository, add targets, delegate, build succinct hash
//! bins, sign with thresholds, rotate keys and refresh expiry.
//!
//! This crate currently only re-exports the layers it is built on; the repository library and
//! the `tuf-repo` command land with the repository issue (see ARCHITECTURE.md).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use tuf_crypto;
pub use tuf_metadata;
