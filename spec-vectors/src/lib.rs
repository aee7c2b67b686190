//! Shared TUF test vectors whose expected outputs come from the reference implementation.
//!
//! The data lives in `spec-vectors/data/` as plain JSON, so other languages can reuse it.
//! It is produced by `spec-vectors/generator/generate.py`, run with python-tuf 7.0.1,
//! securesystemslib 1.6.0 and pyca/cryptography 50.0.2 (pinned in
//! `generator/requirements.txt`). `cargo xtask vectors` regenerates it, and
//! `cargo xtask vectors --check` (also the `fresh` test of this crate) fails when the
//! committed data is not exactly what the pinned reference produces.
//!
//! | file | accessor | what |
//! | --- | --- | --- |
//! | `canonical_json.json` | [`canonical_json`] | JSON text in, OLPC canonical JSON out (securesystemslib's `encode_canonical`), or an error |
//! | `keys.json` + `keys/*.pem` | [`keys`] | one test key per signature scheme, the reference's public key form and keyid |
//! | `signatures.json` | [`signatures`] | signatures and whether the reference's `Key.verify_signature` accepts them |
//! | `metadata.json` | [`metadata`] | whole metadata documents, valid ones and mutated invalid ones tagged with the error kind |
//! | `repositories/<name>/` | [`repositories`] | small complete repositories made and signed by python-tuf |
//!
//! The four JSON files are compiled into the crate; the PEM keys and the repositories
//! are read from [`data_dir`] at run time (this is a test-data crate).
//!
//! The private keys under `data/keys/` are TEST KEYS, published on purpose. Never use
//! them for anything else.
//!
//! # Example
//!
//! ```
//! // Keys sort by their unescaped code points: `a"` (U+0022) before `a#` (U+0023).
//! let cases = spec_vectors::canonical_json()?;
//! let case = cases.iter().find(|c| c.name == "key-order-unescaped");
//! assert_eq!(
//!     case.and_then(|c| c.expected.as_deref()),
//!     Some(r#"{"a\"":2,"a#":1}"#)
//! );
//!
//! let ed25519 = spec_vectors::keys()?.into_iter().find(|k| k.scheme == "ed25519");
//! assert!(ed25519.is_some_and(|k| k.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----")));
//! # Ok::<(), spec_vectors::Error>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub mod process;
pub mod reference;

/// Everything that can go wrong reading the vectors or running the reference.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A vector file is not what this crate expects (it does not parse, or a field is bad).
    #[error("vector file `{file}`: {message}")]
    Data {
        /// The file, relative to [`data_dir`].
        file: String,
        /// What is wrong with it.
        message: String,
    },
    /// Reading or writing a file or directory failed.
    #[error("cannot access `{path}`: {source}", path = path.display())]
    Io {
        /// The path that could not be accessed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A command (python, pip, a generator script) could not be started or failed.
    #[error("`{command}` failed: {message}")]
    Command {
        /// The command line.
        command: String,
        /// Why: the exit status and the tail of its standard error, or the start error.
        message: String,
    },
    /// `TUF_REFERENCE_PYTHON` names an interpreter that does not exist.
    #[error("TUF_REFERENCE_PYTHON is set to `{path}`, which is not a file", path = path.display())]
    BadOverride {
        /// The value of the variable.
        path: PathBuf,
    },
}

fn data_error(file: &str, message: impl Into<String>) -> Error {
    Error::Data {
        file: file.to_owned(),
        message: message.into(),
    }
}

/// The `spec-vectors/data` directory on disk (where the PEM keys and repositories are read from).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

const CANONICAL_JSON: &str = include_str!("../data/canonical_json.json");
const KEYS: &str = include_str!("../data/keys.json");
const SIGNATURES: &str = include_str!("../data/signatures.json");
const METADATA: &str = include_str!("../data/metadata.json");

fn parse<T: for<'de> Deserialize<'de>>(file: &str, text: &str) -> Result<T, Error> {
    serde_json::from_str(text).map_err(|e| data_error(file, e.to_string()))
}

/// One canonical JSON case (`canonical_json.json`).
///
/// `input` is parsed as JSON (python's `json.loads`: for duplicate keys the last one
/// wins) and encoded with securesystemslib's `encode_canonical`. Exactly one of
/// `expected` and `error` is set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanonicalCase {
    /// Unique name, e.g. `key-order-unescaped`.
    pub name: String,
    /// What the case checks.
    pub description: String,
    /// The JSON text to canonicalise (may be invalid JSON on purpose).
    pub input: String,
    /// The canonical JSON string the reference produces (its UTF-8 bytes are what gets signed).
    pub expected: Option<String>,
    /// Why the reference cannot produce canonical JSON: `invalid_json` (the input does not
    /// parse), `float` (a non-integer number: canonical JSON has no floats; python also
    /// parses `NaN`/`Infinity` as floats) or `lone_surrogate` (a `\ud800`-style escape
    /// that cannot be encoded as UTF-8). An implementation agrees when it rejects the input;
    /// the tag is informative.
    pub error: Option<String>,
}

/// Every canonical JSON case.
pub fn canonical_json() -> Result<Vec<CanonicalCase>, Error> {
    let cases: Vec<CanonicalCase> = parse("canonical_json.json", CANONICAL_JSON)?;
    for case in &cases {
        if case.expected.is_some() == case.error.is_some() {
            return Err(data_error(
                "canonical_json.json",
                format!(
                    "{}: exactly one of expected and error must be set",
                    case.name
                ),
            ));
        }
    }
    Ok(cases)
}

/// One test key (`keys.json`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCase {
    /// Unique name. The main key of each scheme is named after the scheme
    /// (`ed25519`, `ecdsa-sha2-nistp256`, …, `rsa-pkcs1v15-sha512`); the others are
    /// `ecdsa-sha2-nistp256-legacy-keytype` / `ecdsa-sha2-nistp384-legacy-keytype`
    /// (keytype equal to the scheme, deprecated but accepted by the reference),
    /// `ed25519-extra-fields` (an unknown field inside `keyval` and at top level; the keyid
    /// covers the whole `keyval`) and `ed25519-rotated`.
    pub name: String,
    /// The signature scheme.
    pub scheme: String,
    /// The key type (`ed25519`, `ecdsa`, `rsa`, or a legacy ecdsa keytype).
    pub keytype: String,
    /// The public key as securesystemslib writes it: `{keytype, scheme, keyval: {public}}`
    /// (plus any unknown fields). Ed25519 `public` is hex, the others SPKI PEM.
    pub public_key: serde_json::Value,
    /// securesystemslib's keyid: hex SHA-256 of the canonical JSON of
    /// `{keytype, scheme, keyval}`.
    pub keyid: String,
    /// Path of the private key, relative to [`data_dir`] (`keys/<name>.pem`).
    pub private_key_file: String,
    /// The private key, PKCS#8 PEM (the file's contents). TEST KEY ONLY.
    pub private_key_pem: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    name: String,
    scheme: String,
    keytype: String,
    public_key: serde_json::Value,
    keyid: String,
    private_key_file: String,
}

/// Every test key, with its private key read from [`data_dir`].
pub fn keys() -> Result<Vec<KeyCase>, Error> {
    let raw: Vec<RawKey> = parse("keys.json", KEYS)?;
    raw.into_iter()
        .map(|k| {
            let path = data_dir().join(&k.private_key_file);
            let private_key_pem =
                std::fs::read_to_string(&path).map_err(|source| Error::Io { path, source })?;
            Ok(KeyCase {
                name: k.name,
                scheme: k.scheme,
                keytype: k.keytype,
                public_key: k.public_key,
                keyid: k.keyid,
                private_key_file: k.private_key_file,
                private_key_pem,
            })
        })
        .collect()
}

/// One signature case (`signatures.json`).
///
/// The key (a [`KeyCase`] name) verifies `signature` over `message`; `valid` is what
/// securesystemslib's `Key.verify_signature` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureCase {
    /// Unique name, `<key name>-<kind>-<detail>`.
    pub name: String,
    /// The name of the verifying key in [`keys`].
    pub key: String,
    /// The signed message.
    pub message: Vec<u8>,
    /// The signature as it appears in metadata: hex, except for the `wrong_encoding` cases
    /// that are about the hex itself (non-hex, odd length, base64). May be empty.
    pub signature: String,
    /// `valid`, `wrong_message` (a good signature over another message), `wrong_key` (by a
    /// different key of the same algorithm), `malformed` (truncated, bit-flipped, empty,
    /// all-zero, extra byte) or `wrong_encoding` (ECDSA raw `r||s` instead of DER,
    /// non-minimal DER, RSA signature left-padded or with its leading zero byte removed,
    /// the other RSA padding, non-canonical Ed25519 `s`, non-hex text).
    pub kind: String,
    /// Whether the reference accepts the signature.
    pub valid: bool,
    /// The reference accepts it although `kind` says its encoding is wrong (see
    /// `description`); a stricter implementation may reject it. `valid` is then `true`.
    pub reference_lenient: bool,
    /// Notes on the case (empty for most).
    pub description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignature {
    name: String,
    key: String,
    message: String,
    signature: String,
    kind: String,
    valid: bool,
    #[serde(default)]
    reference_lenient: bool,
    #[serde(default)]
    description: String,
}

/// Every signature case.
pub fn signatures() -> Result<Vec<SignatureCase>, Error> {
    let raw: Vec<RawSignature> = parse("signatures.json", SIGNATURES)?;
    raw.into_iter()
        .map(|s| {
            let message = hex::decode(&s.message)
                .map_err(|e| data_error("signatures.json", format!("{}: message: {e}", s.name)))?;
            Ok(SignatureCase {
                name: s.name,
                key: s.key,
                message,
                signature: s.signature,
                kind: s.kind,
                valid: s.valid,
                reference_lenient: s.reference_lenient,
                description: s.description,
            })
        })
        .collect()
}

/// One metadata document case (`metadata.json`).
///
/// Documents are signed by the [`keys`] key `ed25519` (root documents list it for every
/// role). The signature is over the canonical form of `signed` as the reference computes it
/// (for a document with a float, it is stale: nothing can canonicalise it).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetadataCase {
    /// Unique name.
    pub name: String,
    /// `root`, `timestamp`, `snapshot`, `targets`, or a delegated role name.
    pub role: String,
    /// The exact JSON text of the document.
    pub document: String,
    /// Whether the document is valid (`error` is `None`).
    pub valid: bool,
    /// For an invalid document, the one kind of error it has: `json`, `type`,
    /// `spec_version`, `version`, `expires`, `threshold`, `duplicate_signature`,
    /// `root_roles`, `nonunique_keyids`, `hashes`, `length`, `missing_field`,
    /// `field_type`, `delegated_role_duplicate`, `delegated_role_name`,
    /// `paths_and_prefixes`, `roles_and_succinct`, `bit_length` or `float`.
    pub error: Option<String>,
    /// What the reference raised (`Type: message <- cause…`) from `Metadata.from_bytes`,
    /// canonicalisation (`signed_bytes`) or verification of the signature; `None` when it
    /// accepted the document.
    pub reference_error: Option<String>,
    /// The document is invalid for us but the reference ACCEPTS it (we are deliberately
    /// stricter: e.g. `"2030-1-1T0:0:0Z"`, a lowercase `z`, or non-ASCII digits).
    #[serde(default)]
    pub reference_accepts: bool,
    /// Notes on the case (empty for most).
    #[serde(default)]
    pub description: String,
}

/// Every metadata case.
pub fn metadata() -> Result<Vec<MetadataCase>, Error> {
    let cases: Vec<MetadataCase> = parse("metadata.json", METADATA)?;
    for case in &cases {
        if case.valid != case.error.is_none() {
            return Err(data_error(
                "metadata.json",
                format!("{}: valid must be error == null", case.name),
            ));
        }
    }
    Ok(cases)
}

/// A complete repository made and signed by python-tuf (`repositories/<name>/`).
///
/// `index` (the parsed `index.json`) says how to walk it:
///
/// ```json
/// {
///   "trusted_root": "1.root.json",
///   "root_updates": ["2.root.json"],
///   "roles": {"root": "root.json", "timestamp": "timestamp.json",
///             "snapshot": "snapshot.json", "targets": "targets.json"},
///   "delegations": [["targets", "delegated", "delegated.json"]],
///   "target_files": {"files/hello.txt": {"role": "delegated", "file": "targets/files/hello.txt"}}
/// }
/// ```
///
/// `root_updates` (optional) are newer roots, each signed by the previous root's and its
/// own root threshold; `roles.root` is the newest root. `delegations` are
/// `[delegator, delegated role, file]`, in an order where each delegator comes first.
/// `target_files` maps target paths to the role listing them and the file's content.
///
/// Repositories: one per scheme (named after it, plus `ecdsa-sha2-nistp256-legacy-keytype`)
/// where that scheme's key signs every role; `threshold` (root threshold 2 of 3 keys of
/// mixed schemes, signed by 2); `succinct` (hash bins `bin-0`…`bin-7`, bit_length 3);
/// `rotated` (root key rotated: `1.root.json`, `2.root.json`, `root.json` = version 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// The directory name.
    pub name: String,
    /// The directory on disk.
    pub path: PathBuf,
    /// The parsed `index.json`.
    pub index: serde_json::Value,
    /// Every file of the repository (including `index.json` and the target files), by
    /// path relative to the repository directory, with `/` separators.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Repository {
    /// The contents of the file at `relative` (e.g. `"root.json"`), if present.
    pub fn file(&self, relative: &str) -> Option<&[u8]> {
        self.files.get(relative).map(Vec::as_slice)
    }
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<PathBuf>, Error> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut entries = std::fs::read_dir(dir)
        .map_err(io)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(io)?;
    entries.sort();
    Ok(entries)
}

fn collect_files(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, Vec<u8>>,
) -> Result<(), Error> {
    for path in read_dir_sorted(dir)? {
        if path.is_dir() {
            collect_files(root, &path, files)?;
        } else {
            let relative = path
                .strip_prefix(root)
                .map_err(|e| data_error("repositories", e.to_string()))?
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            let data = std::fs::read(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            files.insert(relative, data);
        }
    }
    Ok(())
}

/// Every repository, sorted by name, read from [`data_dir`]`/repositories`.
pub fn repositories() -> Result<Vec<Repository>, Error> {
    let mut out = Vec::new();
    for path in read_dir_sorted(&data_dir().join("repositories"))? {
        if !path.is_dir() {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files = BTreeMap::new();
        collect_files(&path, &path, &mut files)?;
        let file = format!("repositories/{name}/index.json");
        let index_bytes = files
            .get("index.json")
            .ok_or_else(|| data_error(&file, "missing"))?;
        let index =
            serde_json::from_slice(index_bytes).map_err(|e| data_error(&file, e.to_string()))?;
        out.push(Repository {
            name,
            path,
            index,
            files,
        });
    }
    Ok(out)
}
