//! The one error type of this crate.

use tuf_crypto::KeyId;

use crate::threshold::VerificationResult;

/// Everything that can be wrong with metadata, named precisely.
///
/// Parse errors carry the JSON path of the offending field (`signed.roles.root.threshold`), so
/// a repository owner can find it. Tests assert the exact variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The bytes are not JSON (or nest deeper than the parser allows).
    #[error("metadata is not valid JSON: {reason}")]
    Json {
        /// What the JSON parser said.
        reason: String,
    },
    /// A required field is absent.
    #[error("{path}: missing field `{field}`")]
    MissingField {
        /// Path of the object that lacks the field.
        path: String,
        /// The missing field.
        field: &'static str,
    },
    /// A field has the wrong JSON type or an unusable value.
    #[error("{path}: {reason}")]
    InvalidField {
        /// Path of the field.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `signed._type` is not the expected role type.
    #[error("signed._type: expected `{expected}`, found `{found}`")]
    Type {
        /// The type the caller asked for.
        expected: &'static str,
        /// The type in the document.
        found: String,
    },
    /// `spec_version` is not `1.X` or `1.X.Y` (spec section 4.2: the major version must match).
    #[error("signed.spec_version: unsupported specification version `{value}`")]
    SpecVersion {
        /// The value found.
        value: String,
    },
    /// A version number is below 1.
    #[error("{path}: version must be at least 1, found {value}")]
    Version {
        /// Path of the field.
        path: String,
        /// The value found.
        value: i64,
    },
    /// `expires` is not a strict UTC timestamp `YYYY-MM-DDTHH:MM:SSZ`.
    #[error("signed.expires: `{value}` is not a UTC time of the form YYYY-MM-DDTHH:MM:SSZ")]
    Expires {
        /// The value found.
        value: String,
    },
    /// A threshold is below 1.
    #[error("{path}: threshold must be at least 1, found {value}")]
    Threshold {
        /// Path of the field.
        path: String,
        /// The value found.
        value: i64,
    },
    /// A length is negative.
    #[error("{path}: length must not be negative, found {value}")]
    Length {
        /// Path of the field.
        path: String,
        /// The value found.
        value: i64,
    },
    /// `hashes` is empty or holds a non-string digest.
    #[error("{path}: {reason}")]
    Hashes {
        /// Path of the hashes object.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Two signatures carry the same key id.
    #[error("signatures: more than one signature for key id {keyid}")]
    DuplicateSignature {
        /// The repeated key id.
        keyid: KeyId,
    },
    /// Root `roles` must be exactly root, targets, snapshot and timestamp (spec section 4.3).
    #[error(
        "signed.roles: must be exactly the four top-level roles (missing: {missing:?}, unexpected: {unexpected:?})"
    )]
    RootRoles {
        /// Top-level roles that are absent.
        missing: Vec<String>,
        /// Roles that are not top-level roles.
        unexpected: Vec<String>,
    },
    /// A role lists the same key id twice (python-tuf refuses this too).
    #[error("{path}: key id {keyid} is listed more than once")]
    NonuniqueKeyids {
        /// Path of the keyids list.
        path: String,
        /// The repeated key id.
        keyid: KeyId,
    },
    /// Two delegated roles share a name.
    #[error("signed.delegations.roles: role name `{name}` is used more than once")]
    DelegatedRoleDuplicate {
        /// The repeated name.
        name: String,
    },
    /// A delegated role name is empty or the name of a top-level role.
    #[error("signed.delegations.roles: `{name}` cannot name a delegated role")]
    DelegatedRoleName {
        /// The refused name.
        name: String,
    },
    /// A delegated role has both or neither of `paths` and `path_hash_prefixes`.
    #[error("{path}: exactly one of `paths` and `path_hash_prefixes` must be set")]
    PathsAndPrefixes {
        /// Path of the delegated role.
        path: String,
    },
    /// Delegations have both or neither of `roles` and `succinct_roles`.
    #[error("signed.delegations: exactly one of `roles` and `succinct_roles` must be set")]
    RolesAndSuccinct,
    /// `succinct_roles.bit_length` is outside 1..=32 (TAP 15).
    #[error(
        "signed.delegations.succinct_roles.bit_length: must be between 1 and 32, found {value}"
    )]
    BitLength {
        /// The value found.
        value: i64,
    },
    /// Timestamp `meta` does not describe `snapshot.json` (spec section 4.6).
    #[error("signed.meta: timestamp must list exactly `snapshot.json`")]
    TimestampMeta,
    /// The signed object has no canonical JSON form (for example it holds a float).
    #[error("signed: no canonical JSON form")]
    CanonicalJson(#[from] tuf_crypto::canonical::CanonicalJsonError),
    /// The delegator does not delegate to the role being verified.
    #[error("{delegator} does not delegate to `{role}`")]
    UnknownDelegate {
        /// The delegating role.
        delegator: String,
        /// The role asked about.
        role: String,
    },
    /// Fewer than threshold distinct authorised keys signed (spec section 5.3.4 and others).
    #[error("{role}: {} of {} required signatures verified", .result.signed.len(), .result.threshold)]
    ThresholdNotMet {
        /// The role whose signatures fell short.
        role: String,
        /// Which keys signed and which did not.
        result: Box<VerificationResult>,
    },
    /// A hash algorithm this crate cannot compute.
    #[error("unsupported hash algorithm `{algorithm}`")]
    UnsupportedHash {
        /// The algorithm name.
        algorithm: String,
    },
    /// Data does not have the length listed for it.
    #[error("length mismatch: expected {expected} bytes, found {found}")]
    LengthMismatch {
        /// The listed length.
        expected: u64,
        /// The observed length.
        found: u64,
    },
    /// Data does not have a hash listed for it.
    #[error("{algorithm} mismatch: expected {expected}, found {found}")]
    HashMismatch {
        /// The algorithm.
        algorithm: String,
        /// The listed digest.
        expected: String,
        /// The observed digest.
        found: String,
    },
    /// Signing failed.
    #[error("signing failed")]
    Signing(#[source] tuf_crypto::Error),
}

impl Error {
    /// A short, stable name for the kind of error, as used by the spec-vectors `error` tags
    /// (`"expires"`, `"threshold"`, `"missing_field"`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Json { .. } => "json",
            Error::MissingField { .. } => "missing_field",
            Error::InvalidField { .. } => "field_type",
            Error::Type { .. } => "type",
            Error::SpecVersion { .. } => "spec_version",
            Error::Version { .. } => "version",
            Error::Expires { .. } => "expires",
            Error::Threshold { .. } => "threshold",
            Error::Length { .. } => "length",
            Error::Hashes { .. } => "hashes",
            Error::DuplicateSignature { .. } => "duplicate_signature",
            Error::RootRoles { .. } => "root_roles",
            Error::NonuniqueKeyids { .. } => "nonunique_keyids",
            Error::DelegatedRoleDuplicate { .. } => "delegated_role_duplicate",
            Error::DelegatedRoleName { .. } => "delegated_role_name",
            Error::PathsAndPrefixes { .. } => "paths_and_prefixes",
            Error::RolesAndSuccinct => "roles_and_succinct",
            Error::BitLength { .. } => "bit_length",
            Error::TimestampMeta => "timestamp_meta",
            Error::CanonicalJson(_) => "float",
            Error::UnknownDelegate { .. } => "unknown_delegate",
            Error::ThresholdNotMet { .. } => "threshold_not_met",
            Error::UnsupportedHash { .. } => "unsupported_hash",
            Error::LengthMismatch { .. } => "length_mismatch",
            Error::HashMismatch { .. } => "hash_mismatch",
            Error::Signing(_) => "signing",
        }
    }
}
