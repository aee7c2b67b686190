//! The one error type of the client crate, with typed sub-enums per layer (as rustls nests
//! `PeerMisbehaved` in its `Error`).

use std::path::PathBuf;

use crate::cache::CacheError;
use crate::fetcher::FetchError;
use crate::trusted::TrustError;

/// Why an update or a target download failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Metadata was refused by a spec check: the variant says which.
    #[error("metadata refused")]
    Trust(#[from] TrustError),
    /// Fetching failed (HTTP status, too large, too slow, connection).
    #[error("fetch failed")]
    Fetch(#[from] FetchError),
    /// The local metadata directory or target directory could not be read or written.
    #[error("local storage")]
    Cache(#[from] CacheError),
    /// The metadata directory holds no trusted `root.json` (run `init` first).
    #[error("no trusted root at {path}")]
    NoTrustedRoot {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// No trusted targets role lists the target (spec 5.6.7: the search ended, or reached the
    /// delegation limit, without finding it).
    #[error("target `{path}` not found in trusted metadata")]
    TargetNotFound {
        /// The target path asked for.
        path: String,
    },
    /// Downloaded target bytes do not match the trusted length or hashes (spec 5.7.3).
    #[error("target `{path}` failed verification")]
    TargetVerification {
        /// The target path.
        path: String,
        /// Which check failed.
        #[source]
        source: tuf_metadata::Error,
    },
    /// The updater was asked for something its configuration does not allow.
    #[error("{reason}")]
    Config {
        /// What is missing or wrong.
        reason: String,
    },
}
