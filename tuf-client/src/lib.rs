//! The TUF client workflow of specification section 5.
//!
//! This crate will hold the sans-I/O trusted-metadata state machine, the updater over a
//! pluggable fetcher, the local metadata cache and the `tuf-client` command (see
//! ARCHITECTURE.md). It currently only re-exports the layers it is built on; the client itself
//! lands with the client issue.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use tuf_crypto;
pub use tuf_metadata;
