//! The one error type of the suite's infrastructure (a failing client is a scenario result,
//! not an error).

use std::path::PathBuf;

/// Why the simulator, the server or the runner could not do its job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Building or signing metadata failed.
    #[error("metadata: {0}")]
    Metadata(#[from] tuf_metadata::Error),
    /// Generating a key failed.
    #[error("key: {0}")]
    Crypto(#[from] tuf_crypto::Error),
    /// A role the simulator does not have.
    #[error("unknown role {role:?}")]
    UnknownRole {
        /// The role asked for.
        role: String,
    },
    /// A key id the simulator holds no private key for.
    #[error("no private key for key id {keyid}")]
    UnknownKey {
        /// The key id.
        keyid: String,
    },
    /// A version of a role that was never generated.
    #[error("no version {version} of role {role:?} was ever served")]
    NoSuchVersion {
        /// The role.
        role: String,
        /// The version asked for.
        version: u64,
    },
    /// An I/O failure (sockets, temporary directories, processes).
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The failure.
        source: std::io::Error,
    },
    /// The expected-failures file could not be read or parsed.
    #[error("{path}: {reason}")]
    ExpectedFailures {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A time that metadata cannot express.
    #[error("cannot express a time {seconds} s from now")]
    Time {
        /// The offset from now.
        seconds: i64,
    },
    /// Invalid JSON where the simulator re-reads its own output.
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
}

impl Error {
    /// An [`Error::Io`] with context.
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}
