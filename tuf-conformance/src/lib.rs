//! The TUF conformance suite: a repository simulator, a catalogue of attack scenarios, and a
//! runner that drives any client speaking the client command-line protocol.
//!
//! This crate currently only re-exports the layers it is built on; the suite lands with the
//! conformance issue (see ARCHITECTURE.md).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use tuf_crypto;
pub use tuf_metadata;
