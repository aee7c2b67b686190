//! Checking a whole repository as a client would (spec section 5), starting from
//! `metadata/1.root.json`: the root chain, timestamp, snapshot, every targets role reachable
//! through the delegations (signatures, thresholds, versions, hashes, expiry, with the
//! client's own trusted-metadata core), then every listed target file (present, with the
//! listed length and hashes). Also checks that the unversioned copies are the current
//! versions.

use std::collections::{BTreeSet, VecDeque};
use std::io::{self, Read};

use tuf_client::trusted::{TrustError, TrustedMetadata};
use tuf_metadata::hashes::StreamVerifier;
use tuf_metadata::{Signed, TargetFile};

use crate::layout;
use crate::parallel::{self, FILE_WORKERS};
use crate::progress::{Progress, Unit};
use crate::repository::delegated_names;
use crate::{Error, Storage};

/// What [`verify`] checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// The final root version (after the chain from version 1).
    pub root_version: u64,
    /// The timestamp version.
    pub timestamp_version: u64,
    /// The snapshot version.
    pub snapshot_version: u64,
    /// How many targets roles were verified (`targets` included).
    pub targets_roles: usize,
    /// How many target files were checked.
    pub target_files: usize,
    /// Whether the repository uses consistent snapshots.
    pub consistent_snapshot: bool,
}

/// Reads `path`, `None` if it does not exist.
fn read_optional(storage: &dyn Storage, path: &str) -> Result<Option<Vec<u8>>, Error> {
    match storage.read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Reads `path`, which must exist.
fn read_required(storage: &dyn Storage, path: &str, reason: &str) -> Result<Vec<u8>, Error> {
    read_optional(storage, path)?.ok_or_else(|| Error::Missing {
        path: path.to_owned(),
        reason: reason.to_owned(),
    })
}

/// Checks that the unversioned copy `copy` has the bytes of `current`.
fn check_copy(storage: &dyn Storage, copy: &str, current: &str, bytes: &[u8]) -> Result<(), Error> {
    if copy == current {
        return Ok(());
    }
    let copied = read_required(storage, copy, "the unversioned copy of the current version")?;
    if copied != bytes {
        return Err(Error::StaleCopy {
            copy: copy.to_owned(),
            current: current.to_owned(),
        });
    }
    Ok(())
}

/// Verifies the repository in `storage` as a client would, at the current time, starting
/// from `metadata/1.root.json`: the root chain, timestamp, snapshot, every targets role
/// reachable through the delegations (signatures, thresholds, versions, hashes, expiry, with
/// the client's own trusted-metadata core, `tuf_client::trusted`), then every listed target
/// file (present, with the listed length and hashes). Also checks that the unversioned
/// copies are the current versions (those the layout keeps: [`layout::has_current_copy`]).
///
/// # Errors
/// The first problem found: [`Error::Untrusted`] (with the client check that failed),
/// [`Error::Missing`], [`Error::TargetMismatch`], [`Error::StaleCopy`].
pub fn verify(storage: &dyn Storage, progress: &dyn Progress) -> Result<VerifyReport, Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    verify_at(storage, now, progress)
}

/// [`verify`] at `reference_time` (Unix seconds).
///
/// # Errors
/// As [`verify`].
pub fn verify_at(
    storage: &dyn Storage,
    reference_time: i64,
    progress: &dyn Progress,
) -> Result<VerifyReport, Error> {
    let untrusted = |role: &str, path: &str| {
        let (role, path) = (role.to_owned(), path.to_owned());
        move |source: TrustError| Error::Untrusted {
            role,
            path,
            source: Box::new(source),
        }
    };

    // Root chain from version 1 (spec 5.2, 5.3).
    let mut path = layout::versioned_metadata("root", 1);
    let mut bytes = read_required(storage, &path, "the root clients start from")?;
    let mut trusted =
        TrustedMetadata::new(&bytes, reference_time).map_err(untrusted("root", &path))?;
    loop {
        let next = layout::versioned_metadata("root", trusted.root().signed().version() + 1);
        let Some(next_bytes) = read_optional(storage, &next)? else {
            break;
        };
        trusted
            .update_root(&next_bytes)
            .map_err(untrusted("root", &next))?;
        (path, bytes) = (next, next_bytes);
    }
    check_copy(storage, &layout::current_metadata("root"), &path, &bytes)?;
    let root_version = trusted.root().signed().version();
    let consistent = trusted.root().signed().consistent_snapshot.unwrap_or(false);

    // Timestamp (5.4).
    let path = layout::current_metadata("timestamp");
    let bytes = read_required(storage, &path, "clients fetch it first")?;
    let timestamp = trusted
        .update_timestamp(&bytes)
        .map_err(untrusted("timestamp", &path))?;
    let timestamp_version = timestamp.signed().version();
    let snapshot_version = timestamp.signed().snapshot_meta.version;

    // Snapshot (5.5).
    let path = layout::client_metadata("snapshot", snapshot_version, consistent);
    let bytes = read_required(storage, &path, "the timestamp lists it")?;
    trusted
        .update_snapshot(&bytes, false)
        .map_err(untrusted("snapshot", &path))?;
    check_copy(
        storage,
        &layout::current_metadata("snapshot"),
        &path,
        &bytes,
    )?;

    // Targets roles (5.6), through every delegation.
    let mut queue = VecDeque::from([("targets".to_owned(), "root".to_owned())]);
    let mut visited = BTreeSet::new();
    let mut targets: Vec<(String, String, TargetFile)> = Vec::new();
    let mut roles = BTreeSet::new();
    while let Some((role, delegator)) = queue.pop_front() {
        if !visited.insert((role.clone(), delegator.clone())) {
            continue;
        }
        let listed = trusted
            .snapshot()
            .and_then(|s| s.signed().role_meta(&role))
            .map(|m| m.version);
        let path = match listed {
            Some(version) => layout::client_metadata(&role, version, consistent),
            None => layout::current_metadata(&role),
        };
        let reason = format!("role `{role}` is delegated by `{delegator}`");
        let bytes = read_required(storage, &path, &reason)?;
        let metadata = trusted
            .update_delegated_targets(&bytes, &role, &delegator)
            .map_err(untrusted(&role, &path))?;
        for (target, file) in &metadata.signed().targets {
            targets.push((role.clone(), target.clone(), file.clone()));
        }
        if let Some(delegations) = &metadata.signed().delegations {
            for child in delegated_names(delegations) {
                queue.push_back((child, role.clone()));
            }
        }
        if layout::has_current_copy(&role, consistent) {
            check_copy(storage, &layout::current_metadata(&role), &path, &bytes)?;
        }
        roles.insert(role);
    }

    // Target files.
    targets.sort_by(|a, b| (&a.1, &a.0).cmp(&(&b.1, &b.0)));
    targets.dedup_by(|a, b| a.1 == b.1 && a.2 == b.2);
    progress.start(
        "verifying",
        targets.iter().map(|(_, _, f)| f.length).sum(),
        Unit::Bytes,
    );
    let checked = parallel::map(&targets, FILE_WORKERS, |(role, target, file)| {
        verify_target(storage, role, target, file, consistent, progress)
    });
    progress.finish();
    checked?;
    Ok(VerifyReport {
        root_version,
        timestamp_version,
        snapshot_version,
        targets_roles: roles.len(),
        target_files: targets.len(),
        consistent_snapshot: consistent,
    })
}

/// Whether `path` exists with the length and hashes of `file`.
pub(crate) fn matches_listing(
    storage: &dyn Storage,
    path: &str,
    file: &TargetFile,
) -> Result<bool, Error> {
    match stream_check(storage, path, file, &crate::progress::NoProgress) {
        Ok(()) => Ok(true),
        Err(Error::Missing { .. } | Error::TargetMismatch { .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Streams `path` against the length and every hash of `file`.
fn stream_check(
    storage: &dyn Storage,
    path: &str,
    file: &TargetFile,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let missing = |e: io::Error| {
        if e.kind() == io::ErrorKind::NotFound {
            Error::Missing {
                path: path.to_owned(),
                reason: "a target file".to_owned(),
            }
        } else {
            Error::Io {
                path: path.to_owned(),
                source: e,
            }
        }
    };
    let mismatch = |source| Error::TargetMismatch {
        target: String::new(),
        path: path.to_owned(),
        source,
    };
    let mut reader = storage.open(path).map_err(missing)?;
    let mut verifier = StreamVerifier::new(Some(file.length), &file.hashes).map_err(mismatch)?;
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(missing(e)),
        };
        verifier.update(buffer.get(..n).unwrap_or_default());
        progress.advance(n as u64);
        if verifier.exceeded() {
            break;
        }
    }
    verifier.finish().map_err(mismatch)
}

/// Checks the file(s) of one target: the first streamed against the length and every hash,
/// any other hash-prefixed copy by its length.
fn verify_target(
    storage: &dyn Storage,
    role: &str,
    target: &str,
    file: &TargetFile,
    consistent: bool,
    progress: &dyn Progress,
) -> Result<(), Error> {
    let reason = || format!("target `{target}` of role `{role}`");
    let paths = layout::target_files(target, &file.hashes, consistent);
    let mismatch = |path: &str, source| Error::TargetMismatch {
        target: target.to_owned(),
        path: path.to_owned(),
        source,
    };
    for (index, path) in paths.iter().enumerate() {
        let missing = |e: io::Error| {
            if e.kind() == io::ErrorKind::NotFound {
                Error::Missing {
                    path: path.clone(),
                    reason: reason(),
                }
            } else {
                Error::Io {
                    path: path.clone(),
                    source: e,
                }
            }
        };
        if index > 0 {
            let size = storage.size(path).map_err(missing)?;
            if size != file.length {
                return Err(mismatch(
                    path,
                    tuf_metadata::Error::LengthMismatch {
                        expected: file.length,
                        found: size,
                    },
                ));
            }
            continue;
        }
        stream_check(storage, path, file, progress).map_err(|e| match e {
            Error::Missing { path, .. } => Error::Missing {
                path,
                reason: reason(),
            },
            Error::TargetMismatch { path, source, .. } => mismatch(&path, source),
            other => other,
        })?;
    }
    Ok(())
}
