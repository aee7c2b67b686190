//! Where each file of a repository lives, relative to the repository root.
//!
//! ```text
//! metadata/N.root.json          every root version (clients update root through these)
//! metadata/root.json            the current root
//! metadata/timestamp.json       the timestamp (never versioned)
//! metadata/V.snapshot.json      consistent snapshots: every snapshot version
//! metadata/V.<role>.json        consistent snapshots: every version of each targets role
//! metadata/<role>.json          the current version of root, timestamp, snapshot and
//!                               targets always; of delegated roles without consistent
//!                               snapshots only (see `has_current_copy`)
//! targets/<dir>/<hash>.<name>   consistent snapshots: one name per listed hash (hard links)
//! targets/<path>                without consistent snapshots
//! keys/<role>/<keyid>.pem       private keys, PKCS#8 PEM, mode 0600
//! staged/<role>.json            edits not yet published (the `signed` part)
//! ```
//!
//! `<role>` is the role name quoted like Python's `urllib.parse.quote(role, safe="")`, as
//! python-tuf clients request it.

use tuf_metadata::Hashes;

use crate::Error;

/// The directory of metadata, served to clients.
pub const METADATA_DIR: &str = "metadata";
/// The directory of target files, served to clients.
pub const TARGETS_DIR: &str = "targets";
/// The directory of private keys (never served).
pub const KEYS_DIR: &str = "keys";
/// The directory of edits not yet published (never served).
pub const STAGED_DIR: &str = "staged";

/// Quotes a role name for a file name like Python's `urllib.parse.quote(name, safe="")`.
///
/// ```
/// assert_eq!(tuf_repo::layout::quote("a/b c"), "a%2Fb%20c");
/// ```
pub fn quote(role: &str) -> String {
    tuf_client::cache::quote(role)
}

/// `metadata/<role>.json`: the current version of `role`.
pub fn current_metadata(role: &str) -> String {
    format!("{METADATA_DIR}/{}.json", quote(role))
}

/// `metadata/<version>.<role>.json`.
pub fn versioned_metadata(role: &str, version: u64) -> String {
    format!("{METADATA_DIR}/{version}.{}.json", quote(role))
}

/// The file clients fetch for version `version` of `role`: `N.root.json` for root always,
/// `timestamp.json` always, versioned names for the others with consistent snapshots.
pub fn client_metadata(role: &str, version: u64, consistent_snapshot: bool) -> String {
    match role {
        "root" => versioned_metadata(role, version),
        "timestamp" => current_metadata(role),
        _ if consistent_snapshot => versioned_metadata(role, version),
        _ => current_metadata(role),
    }
}

/// Whether `metadata/<role>.json` holds the current version of `role`: always for the
/// top-level roles; for a delegated targets role only without consistent snapshots.
///
/// With consistent snapshots a client fetches `V.<role>.json` at the version snapshot lists
/// (spec 5.6.1), and [`crate::Repository::open`] reads the same file, so an unversioned copy
/// of a delegated role has no reader; writing one per role would double the entries of the
/// metadata directory (16,384 more links for 16,384 hash bins) and the work of every
/// publish. The top-level roles keep theirs: one file each, and what people and other
/// tools look for.
///
/// ```
/// use tuf_repo::layout::has_current_copy;
/// assert!(has_current_copy("targets", true));
/// assert!(!has_current_copy("bins-00", true));
/// assert!(has_current_copy("bins-00", false));
/// ```
pub fn has_current_copy(role: &str, consistent_snapshot: bool) -> bool {
    !consistent_snapshot || tuf_metadata::TOP_LEVEL_ROLE_NAMES.contains(&role)
}

/// `staged/<role>.json`.
pub fn staged_metadata(role: &str) -> String {
    format!("{STAGED_DIR}/{}.json", quote(role))
}

/// `keys/<dir>/<keyid>.pem`.
pub fn key_file(dir: &str, keyid: &str) -> String {
    format!("{KEYS_DIR}/{}/{keyid}.pem", quote(dir))
}

/// The files that hold target `target_path`: with consistent snapshots
/// `targets/<dir>/<digest>.<name>` for each digest of `hashes` (sha256 first, as python-tuf
/// clients use the first listed hash), else `targets/<target_path>`.
pub fn target_files(target_path: &str, hashes: &Hashes, consistent_snapshot: bool) -> Vec<String> {
    if !consistent_snapshot {
        return vec![format!("{TARGETS_DIR}/{target_path}")];
    }
    let (dir, name) = match target_path.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), target_path),
    };
    let mut files: Vec<String> = hashes
        .values()
        .map(|digest| format!("{TARGETS_DIR}/{dir}{digest}.{name}"))
        .collect();
    if let Some(sha256) = hashes.get("sha256") {
        let first = format!("{TARGETS_DIR}/{dir}{sha256}.{name}");
        files.retain(|f| *f != first);
        files.insert(0, first);
    }
    files
}

/// Checks that `path` can be a target path: not empty, relative, `/`-separated, no empty, `.`
/// or `..` component, no backslash or control character (it becomes both a file path and part
/// of a URL).
///
/// # Errors
/// [`Error::TargetPath`].
pub fn check_target_path(path: &str) -> Result<(), Error> {
    let refuse = |reason| {
        Err(Error::TargetPath {
            path: path.to_owned(),
            reason,
        })
    };
    if path.is_empty() {
        return refuse("it is empty");
    }
    if path.starts_with('/') {
        return refuse("it must be relative");
    }
    // One pass over the bytes. `char::is_control` is C0, DEL and C1; C1 (U+0080 to U+009F)
    // is 0xC2 0x80..=0x9F in UTF-8. Problems are reported in this order: characters, then
    // components, then reserved names.
    let mut control = false;
    let mut bad_component = false;
    let mut temporary = false;
    let mut component_start = 0;
    let mut check_component = |component: &[u8]| {
        bad_component |= matches!(component, b"" | b"." | b"..");
        temporary |= component.starts_with(b".tmp-");
    };
    let bytes = path.as_bytes();
    let mut previous = 0u8;
    for (index, &byte) in bytes.iter().enumerate() {
        control |= byte < 0x20
            || byte == 0x7f
            || byte == b'\\'
            || (previous == 0xc2 && (0x80..=0x9f).contains(&byte));
        if byte == b'/' {
            check_component(bytes.get(component_start..index).unwrap_or_default());
            component_start = index.saturating_add(1);
        }
        previous = byte;
    }
    check_component(bytes.get(component_start..).unwrap_or_default());
    if control {
        return refuse("backslashes and control characters are not allowed");
    }
    if bad_component {
        return refuse("empty, `.` and `..` components are not allowed");
    }
    if temporary {
        return refuse("names starting with `.tmp-` are reserved for temporary files");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(current_metadata("a/b"), "metadata/a%2Fb.json");
        assert_eq!(versioned_metadata("targets", 3), "metadata/3.targets.json");
        assert_eq!(client_metadata("root", 2, false), "metadata/2.root.json");
        assert_eq!(
            client_metadata("timestamp", 2, true),
            "metadata/timestamp.json"
        );
        assert_eq!(
            client_metadata("snapshot", 2, false),
            "metadata/snapshot.json"
        );
        assert_eq!(client_metadata("bin-0", 2, true), "metadata/2.bin-0.json");
        let hashes: Hashes = [("sha512", "bb"), ("sha256", "aa")]
            .into_iter()
            .map(|(a, d)| (a.to_owned(), d.to_owned()))
            .collect();
        assert_eq!(
            target_files("d/e/f.txt", &hashes, true),
            vec!["targets/d/e/aa.f.txt", "targets/d/e/bb.f.txt"]
        );
        assert_eq!(target_files("f.txt", &hashes, true)[0], "targets/aa.f.txt");
        assert_eq!(
            target_files("d/f.txt", &hashes, false),
            vec!["targets/d/f.txt"]
        );
    }

    #[test]
    fn target_paths() {
        for good in ["a", "a/b.txt", "ünï/cödé", "a b"] {
            check_target_path(good).unwrap();
        }
        for bad in [
            "",
            "/a",
            "a//b",
            "a/./b",
            "../a",
            "a/..",
            "a\\b",
            "a\nb",
            "a/",
            ".tmp-1",
            "a\u{7f}",
            "ü\u{85}",
            "a/.tmp-x/b",
        ] {
            assert!(check_target_path(bad).is_err(), "{bad:?}");
        }
        // The same verdicts and reasons as the rules stated with chars and splits.
        let reference = |path: &str| -> Option<&'static str> {
            if path.is_empty() {
                Some("it is empty")
            } else if path.starts_with('/') {
                Some("it must be relative")
            } else if path.contains('\\') || path.chars().any(char::is_control) {
                Some("backslashes and control characters are not allowed")
            } else if path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
            {
                Some("empty, `.` and `..` components are not allowed")
            } else if path.split('/').any(|c| c.starts_with(".tmp-")) {
                Some("names starting with `.tmp-` are reserved for temporary files")
            } else {
                None
            }
        };
        let pieces = [
            "a", "/", ".", "..", ".tmp-", "\\", "\n", "\u{7f}", "\u{85}", "\u{9f}", "\u{a0}",
            "\u{c2}", "é", "b c", "\u{2028}",
        ];
        let mut paths = vec![String::new()];
        for _ in 0..3 {
            let longer: Vec<String> = paths
                .iter()
                .flat_map(|p| pieces.iter().map(move |q| format!("{p}{q}")))
                .collect();
            paths.extend(longer);
        }
        for path in &paths {
            let ours = match check_target_path(path) {
                Ok(()) => None,
                Err(Error::TargetPath { reason, .. }) => Some(reason),
                Err(other) => panic!("{other}"),
            };
            assert_eq!(ours, reference(path), "{path:?}");
        }
    }
}
