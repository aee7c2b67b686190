//! Scenarios derived from hand-written ones: attacks re-run with every role signed by other
//! key types (ECDSA P-384, RSA PKCS#1 v1.5, RSASSA-PSS), and scenarios re-run without
//! consistent snapshots, their expected requests rewritten to unversioned names.

use tuf_crypto::Scheme;

use crate::scenario::{Req, Scenario, Step};

/// Attacks whose refusal depends on signature verification, re-run per key type.
const SIGNATURE_ATTACKS: [&str; 11] = [
    "arbitrary-installation/timestamp-bad-signature",
    "arbitrary-installation/snapshot-bad-signature",
    "arbitrary-installation/targets-bad-signature",
    "arbitrary-installation/delegated-bad-signature",
    "arbitrary-installation/timestamp-signed-by-untrusted-key",
    "key-compromise/timestamp-below-threshold",
    "key-compromise/root-below-threshold",
    "key-compromise/revoked-key",
    "key-compromise/duplicate-signatures-count-once",
    "root/rotation-not-signed-by-old-keys",
    "fast-forward/timestamp-key-rotated",
];

/// Key types of the variants, with the attacks each gets (RSASSA-PSS, already the most common
/// RSA scheme in the wild, gets the first three only).
const SCHEMES: [(Scheme, usize); 3] = [
    (Scheme::EcdsaSha2Nistp384, SIGNATURE_ATTACKS.len()),
    (Scheme::RsaPkcs1v15Sha256, SIGNATURE_ATTACKS.len()),
    (Scheme::RsassaPssSha256, 3),
];

/// `written` re-run with other key types: `<name>-<scheme>`.
pub(super) fn key_types(written: Vec<Scenario>) -> Vec<Scenario> {
    let mut by_name: Vec<Option<Scenario>> = written.into_iter().map(Some).collect();
    let mut out = Vec::new();
    for (scheme, count) in SCHEMES {
        for name in SIGNATURE_ATTACKS.iter().take(count) {
            // Each scheme needs its own copy: rebuild the list for every use after the first.
            let found = by_name
                .iter_mut()
                .find(|s| s.as_ref().is_some_and(|s| s.name == *name))
                .and_then(Option::take);
            let Some(mut scenario) =
                found.or_else(|| super::written().into_iter().find(|s| s.name == *name))
            else {
                continue;
            };
            scenario.name = format!("{name}-{}", scheme.as_str());
            scenario.spec_ref = format!("{}, 4.2 (KEYS: {})", scenario.spec_ref, scheme.as_str());
            scenario.description =
                format!("{} Every key is {}.", scenario.description, scheme.as_str());
            scenario.options.scheme = scheme;
            out.push(scenario);
        }
    }
    out
}

/// Scenarios re-run without consistent snapshots (one or more from every category where the
/// difference shows: request names, rollback and mix-and-match detection without version
/// prefixes, delegations, bins, encoding, caches).
const NON_CONSISTENT: [&str; 36] = [
    "basic/download-nested-path",
    "basic/download-several-targets",
    "basic/targets-updated",
    "basic/snapshot-only-update",
    "root/rotation-chain",
    "fast-forward/snapshot-key-rotated",
    "fast-forward/targets-key-rotated",
    "rollback/timestamp-version-lowered",
    "rollback/targets-version-lowered-in-snapshot",
    "rollback/delegated-role-version-lowered-in-snapshot",
    "rollback/delegated-role-served-old-version",
    "mix-and-match/delegated-version-mismatch",
    "indefinite-freeze/snapshot-expired",
    "indefinite-freeze/targets-expired",
    "indefinite-freeze/delegated-role-expired",
    "arbitrary-installation/target-wrong-hash",
    "arbitrary-installation/snapshot-hash-mismatch",
    "arbitrary-installation/targets-hash-mismatch",
    "arbitrary-installation/delegated-bad-signature",
    "extraneous-dependencies/delegated-role-signed-by-untrusted-key",
    "key-compromise/snapshot-below-threshold",
    "endless-data/target-file",
    "malicious-mirrors/truncated-target",
    "delegation/nested-terminating-stops-search",
    "delegation/pre-order-depth-first",
    "delegation/diamond",
    "delegation/delegated-role-reused",
    "bins/target-in-wrong-bin",
    "bins/two-targets-two-bins",
    "encoding/target-path-space",
    "encoding/target-path-question-mark",
    "encoding/target-path-unicode",
    "encoding/role-name-dot-dot-slash",
    "listed-meta/snapshot-longer-than-listed-length",
    "cache/corrupt-local-snapshot-refetched",
    "cache/cached-targets-invalidated-by-hash",
];

/// `written` re-run without consistent snapshots: `<name>-non-consistent`.
pub(super) fn non_consistent(written: Vec<Scenario>) -> Vec<Scenario> {
    let mut out = Vec::new();
    for mut scenario in written {
        if !NON_CONSISTENT.contains(&scenario.name.as_str()) {
            continue;
        }
        scenario.name = format!("{}-non-consistent", scenario.name);
        scenario.spec_ref = format!(
            "{}, 5.5.2, 5.6.1, 5.7.3 (no consistent snapshots)",
            scenario.spec_ref
        );
        scenario.description = format!(
            "{} Without consistent snapshots: metadata other than root is requested as <role>.json and targets by their path.",
            scenario.description
        );
        scenario.options.consistent_snapshot = false;
        for step in &mut scenario.steps {
            if let Step::Requests(requests) | Step::RequestsWithRetries(requests) = step {
                for request in requests.iter_mut() {
                    *request = unversioned(request);
                }
            }
        }
        out.push(scenario);
    }
    out
}

/// `metadata/V.role.json` → `metadata/role.json` (root keeps its version);
/// `targets/dir/<hex digest>.name` → `targets/dir/name`.
fn unversioned(request: &Req) -> Req {
    let Req::Path(path) = request else {
        return request.clone();
    };
    if let Some(file) = path.strip_prefix("metadata/") {
        if let Some((version, rest)) = file.split_once('.') {
            if !version.is_empty()
                && version.bytes().all(|b| b.is_ascii_digit())
                && rest != "root.json"
            {
                return Req::Path(format!("metadata/{rest}"));
            }
        }
        return request.clone();
    }
    if let Some(target) = path.strip_prefix("targets/") {
        let (dir, name) = match target.rsplit_once('/') {
            Some((dir, name)) => (format!("{dir}/"), name),
            None => (String::new(), target),
        };
        if let Some((digest, rest)) = name.split_once('.') {
            if matches!(digest.len(), 64 | 128) && digest.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Req::Path(format!("targets/{dir}{rest}"));
            }
        }
    }
    request.clone()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::m;

    #[test]
    fn rewrites_versioned_names() {
        assert_eq!(unversioned(&m("3.snapshot.json")), m("snapshot.json"));
        assert_eq!(unversioned(&m("1.a%2Fb.json")), m("a%2Fb.json"));
        assert_eq!(unversioned(&m("2.root.json")), m("2.root.json"));
        assert_eq!(unversioned(&m("timestamp.json")), m("timestamp.json"));
        let hashed = Req::Path(format!("targets/d/{}.f.txt", "a".repeat(64)));
        assert_eq!(unversioned(&hashed), Req::Path("targets/d/f.txt".into()));
    }

    #[test]
    fn every_listed_variant_exists() {
        let all = crate::catalogue::catalogue();
        for name in NON_CONSISTENT {
            let variant = format!("{name}-non-consistent");
            assert!(all.iter().any(|s| s.name == variant), "{variant}");
        }
        for name in SIGNATURE_ATTACKS {
            assert!(
                all.iter()
                    .any(|s| s.name == format!("{name}-ecdsa-sha2-nistp384")),
                "{name}"
            );
        }
    }
}
