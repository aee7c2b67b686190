//! Repository-side TUF tools: create a repository, add targets, delegate, build succinct hash
//! bins, sign with thresholds (also by several key holders), rotate keys, refresh expiry and
//! verify the result as a client would.
//!
//! - [`Repository`]: every role in memory; edits mark roles changed;
//!   [`Repository::publish`] gives each changed role a new signed version, then writes a new
//!   snapshot and timestamp. Unchanged roles are not rewritten. Root changes are signed by
//!   the previous root's keys and the new ones (spec 5.3.4).
//! - [`Storage`] / [`FsStorage`]: where the files live (atomic writes, batched syncs).
//! - [`layout`]: the file names (consistent snapshots on by default).
//! - [`verify()`]: the client's checks over the whole repository.
//!
//! The `tuf-repo` command is a thin layer over this library.
//!
//! ```
//! use tuf_repo::{DelegatedPaths, DelegationOptions, InitOptions, NoProgress, Repository};
//! use tuf_repo::{FsStorage, TargetSource};
//! use tuf_crypto::Scheme;
//!
//! let dir = tempfile::tempdir()?;
//! let mut repo = Repository::init(FsStorage::new(dir.path().join("repo")), &InitOptions::default())?;
//!
//! // Delegate `images/*` to a new role with its own key, and add a file there.
//! repo.delegate("targets", "images", &DelegationOptions {
//!     paths: DelegatedPaths::Globs(vec!["images/*".into()]),
//!     terminating: true,
//!     threshold: 1,
//!     scheme: Scheme::Ed25519,
//! })?;
//! let file = dir.path().join("logo.png");
//! std::fs::write(&file, b"not really a png")?;
//! let source = TargetSource::for_file(&file, Some("images"))?;
//! repo.add_files(Some("images"), &[source], &NoProgress)?;
//! repo.publish(&NoProgress)?;
//!
//! let report = tuf_repo::verify(repo.storage(), &NoProgress)?;
//! assert_eq!(report.targets_roles, 2);
//! assert_eq!(report.target_files, 1);
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

mod edit;
mod encode;
mod error;
mod expiry;
mod import;
mod keystore;
pub mod layout;
mod parallel;
pub mod progress;
mod publish;
mod repository;
mod status;
mod storage;
mod verify;

pub use edit::{DelegatedPaths, DelegationOptions, MAX_BINS};
pub use error::Error;
pub use expiry::{ExpiryPolicy, expires_in};
pub use import::{TARGET_HASH_ALGORITHMS, TargetSource, hash_file};
pub use keystore::{KeyOptions, key_for};
pub use progress::{NoProgress, Progress};
pub use publish::{PublishReport, PublishedRole, SignReport};
pub use repository::{InitOptions, Repository};
pub use status::RoleStatus;
pub use storage::{Durability, FSYNC_FILES_MAX, FsStorage, Storage};
pub use verify::{VerifyReport, verify, verify_at};

pub use tuf_crypto;
pub use tuf_metadata;
