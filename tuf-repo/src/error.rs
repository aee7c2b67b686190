//! The one error type of this crate.

use std::io;

use tuf_client::trusted::TrustError;
use tuf_crypto::{KeyId, Scheme};

/// What failed, naming the file, role, key or target concerned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading, writing, listing, renaming or removing a file of the repository failed.
    #[error("I/O error on {path}")]
    Io {
        /// The file or directory, relative to the repository root (or as given).
        path: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// A file is not valid JSON.
    #[error("{path}: not valid JSON")]
    Json {
        /// The file.
        path: String,
        /// What the parser said.
        #[source]
        source: serde_json::Error,
    },
    /// A metadata file does not parse or validate.
    #[error("{path}: invalid metadata")]
    Metadata {
        /// The file.
        path: String,
        /// The first problem found.
        #[source]
        source: tuf_metadata::Error,
    },
    /// A private key file cannot be read, or does not hold the key its name says.
    #[error("{path}: unusable private key")]
    PrivateKey {
        /// The key file.
        path: String,
        /// Why.
        #[source]
        source: tuf_crypto::Error,
    },
    /// A private key file holds another key than the one its name says.
    #[error("{path} does not hold key {keyid}")]
    KeyMismatch {
        /// The key file.
        path: String,
        /// The key id its name says.
        keyid: KeyId,
    },
    /// Generating a key failed.
    #[error("generating a {scheme} key")]
    KeyGeneration {
        /// The scheme of the key.
        scheme: Scheme,
        /// Why.
        #[source]
        source: tuf_crypto::Error,
    },
    /// Signing the metadata of a role failed.
    #[error("signing {role}")]
    Signing {
        /// The role.
        role: String,
        /// Why.
        #[source]
        source: tuf_metadata::Error,
    },
    /// `init` was pointed at a directory that already holds files.
    #[error("{path} is not empty: refusing to create a repository there")]
    NotEmpty {
        /// The directory.
        path: String,
    },
    /// The directory holds no repository (no `metadata/root.json`).
    #[error("{path} is not a repository (no metadata/root.json)")]
    NotARepository {
        /// The directory.
        path: String,
    },
    /// No role of that name exists.
    #[error("unknown role `{role}`")]
    UnknownRole {
        /// The role name.
        role: String,
    },
    /// A role of that name exists already.
    #[error("role `{role}` already exists")]
    RoleExists {
        /// The role name.
        role: String,
    },
    /// A name cannot be used for a delegated role or a bin prefix.
    #[error("`{role}` cannot name a delegated role: {reason}")]
    RoleName {
        /// The refused name.
        role: String,
        /// Why.
        reason: &'static str,
    },
    /// A delegation cannot be made or changed as asked.
    #[error("role `{role}`: {reason}")]
    Delegation {
        /// The delegating role.
        role: String,
        /// Why.
        reason: String,
    },
    /// A target path was given to a role that is not trusted for it: clients would never find
    /// it there.
    #[error("target `{path}` is not delegated to role `{role}`")]
    NotDelegated {
        /// The role.
        role: String,
        /// The target path.
        path: String,
    },
    /// A target path that cannot be stored or served safely.
    #[error("invalid target path `{path}`: {reason}")]
    TargetPath {
        /// The target path.
        path: String,
        /// Why.
        reason: &'static str,
    },
    /// No role lists the target.
    #[error("no role lists target `{path}`")]
    TargetNotFound {
        /// The target path.
        path: String,
    },
    /// Succinct hash bins come in powers of two from 2 to 16384.
    #[error("bin count {count} is not a power of two between 2 and 16384")]
    BinCount {
        /// The requested count.
        count: u64,
    },
    /// A threshold outside `1..=` the number of keys of the role.
    #[error("threshold {threshold} of role `{role}` must be between 1 and its {keys} key(s)")]
    Threshold {
        /// The role.
        role: String,
        /// The requested threshold.
        threshold: u64,
        /// How many keys the role has.
        keys: usize,
    },
    /// A key was offered for a role that does not trust it.
    #[error("key {keyid} is not trusted for role `{role}`")]
    UntrustedKey {
        /// The role.
        role: String,
        /// The key.
        keyid: KeyId,
    },
    /// The key is not one of the role's keys.
    #[error("role `{role}` has no key {keyid}")]
    UnknownKey {
        /// The role.
        role: String,
        /// The key.
        keyid: KeyId,
    },
    /// The role has never been published, so there is nothing to sign yet.
    #[error("role `{role}` has not been published yet: run publish first")]
    NotPublished {
        /// The role.
        role: String,
    },
    /// An expiry that cannot be represented (beyond year 9999).
    #[error("an expiry {days} days from now is out of range")]
    ExpiryRange {
        /// The requested number of days.
        days: u64,
    },
    /// Verification: metadata refused by the client checks (spec section 5).
    #[error("{path}: {role} metadata does not verify")]
    Untrusted {
        /// The role.
        role: String,
        /// The file.
        path: String,
        /// The check that failed.
        #[source]
        source: Box<TrustError>,
    },
    /// Verification: a file that must exist does not.
    #[error("{path} is missing ({reason})")]
    Missing {
        /// The file.
        path: String,
        /// Why it should exist.
        reason: String,
    },
    /// Verification: a target file does not have the length or hashes its role lists.
    #[error("target `{target}`: {path} does not match its metadata")]
    TargetMismatch {
        /// The target path.
        target: String,
        /// The file.
        path: String,
        /// The mismatch.
        #[source]
        source: tuf_metadata::Error,
    },
    /// A worker thread panicked (a bug of this crate).
    #[error("a worker thread panicked")]
    WorkerPanicked,
    /// Verification: the unversioned copy of a role differs from its current version.
    #[error("{copy} differs from {current}, the current version")]
    StaleCopy {
        /// The unversioned file.
        copy: String,
        /// The versioned file.
        current: String,
    },
}

impl Error {
    /// An [`Error::Io`] for `path`.
    pub(crate) fn io(path: impl Into<String>) -> impl FnOnce(io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}
