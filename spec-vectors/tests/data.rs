//! Every data file parses, is non-empty, and is internally consistent.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::collections::{BTreeMap, BTreeSet};

const SCHEMES: [&str; 9] = [
    "ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "rsassa-pss-sha256",
    "rsassa-pss-sha384",
    "rsassa-pss-sha512",
    "rsa-pkcs1v15-sha256",
    "rsa-pkcs1v15-sha384",
    "rsa-pkcs1v15-sha512",
];

fn assert_unique<'a>(what: &str, names: impl Iterator<Item = &'a str>) -> usize {
    let mut seen = BTreeSet::new();
    for name in names {
        assert!(seen.insert(name), "{what}: duplicate name {name}");
    }
    seen.len()
}

#[test]
fn canonical_json_cases() {
    let cases = spec_vectors::canonical_json().unwrap();
    assert!(cases.len() >= 40, "{} canonical cases", cases.len());
    assert_unique("canonical", cases.iter().map(|c| c.name.as_str()));
    for required in [
        "key-order-unescaped",
        "nfd-string-not-normalised",
        "duplicate-keys",
        "negative-zero-integer",
        "integer-u64-max",
        "integer-i64-min",
    ] {
        assert!(
            cases.iter().any(|c| c.name == required),
            "missing {required}"
        );
    }
    let case = |name: &str| cases.iter().find(|c| c.name == name).unwrap();
    assert_eq!(case("negative-zero-integer").expected.as_deref(), Some("0"));
    assert_eq!(case("float-negative-zero").error.as_deref(), Some("float"));
    assert_eq!(
        case("control-characters-raw").expected.as_deref(),
        Some("\"nul \u{0} soh \u{1} us \u{1f}\"")
    );
    assert_eq!(
        case("nfd-string-not-normalised").expected.as_deref(),
        Some("\"cafe\u{301} e\u{301}\"")
    );
}

#[test]
fn keys_cover_every_scheme() {
    let keys = spec_vectors::keys().unwrap();
    assert_unique("keys", keys.iter().map(|k| k.name.as_str()));
    assert_unique("keyids", keys.iter().map(|k| k.keyid.as_str()));
    for scheme in SCHEMES {
        let key = keys.iter().find(|k| k.name == scheme).unwrap();
        assert_eq!(key.scheme, scheme);
        assert_eq!(key.public_key["scheme"], scheme);
        assert_eq!(key.public_key["keytype"], key.keytype.as_str());
        assert!(key.public_key["keyval"]["public"].is_string());
    }
    for key in &keys {
        assert_eq!(key.keyid.len(), 64);
        assert!(
            key.private_key_pem
                .starts_with("-----BEGIN PRIVATE KEY-----\n")
        );
    }
    assert!(keys.iter().any(|k| k.keytype == "ecdsa-sha2-nistp256"));
    let extra = keys
        .iter()
        .find(|k| k.name == "ed25519-extra-fields")
        .unwrap();
    assert!(extra.public_key["keyval"].as_object().unwrap().len() > 1);
}

#[test]
fn signatures_cover_every_scheme_and_kind() {
    let keys = spec_vectors::keys().unwrap();
    let sigs = spec_vectors::signatures().unwrap();
    assert_unique("signatures", sigs.iter().map(|s| s.name.as_str()));
    let mut kinds: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for sig in &sigs {
        let key = keys.iter().find(|k| k.name == sig.key).unwrap();
        *kinds
            .entry((key.scheme.as_str(), sig.kind.as_str()))
            .or_default() += 1;
        assert_eq!(
            sig.valid,
            sig.kind == "valid" || sig.reference_lenient,
            "{}",
            sig.name
        );
    }
    for scheme in SCHEMES {
        for kind in [
            "valid",
            "wrong_message",
            "wrong_key",
            "malformed",
            "wrong_encoding",
        ] {
            assert!(
                kinds.contains_key(&(scheme, kind)),
                "no {kind} signature for {scheme}"
            );
        }
    }
}

#[test]
fn metadata_cases() {
    let cases = spec_vectors::metadata().unwrap();
    assert!(cases.len() >= 60);
    assert_unique("metadata", cases.iter().map(|c| c.name.as_str()));
    let tags: BTreeSet<&str> = cases.iter().filter_map(|c| c.error.as_deref()).collect();
    let expected = [
        "json",
        "type",
        "spec_version",
        "version",
        "expires",
        "threshold",
        "duplicate_signature",
        "root_roles",
        "nonunique_keyids",
        "hashes",
        "length",
        "missing_field",
        "field_type",
        "delegated_role_duplicate",
        "delegated_role_name",
        "paths_and_prefixes",
        "roles_and_succinct",
        "bit_length",
        "float",
    ];
    assert_eq!(tags, expected.into_iter().collect());
    for case in &cases {
        if case.valid {
            assert!(case.reference_error.is_none(), "{}", case.name);
            assert!(serde_json::from_str::<serde_json::Value>(&case.document).is_ok());
        } else {
            assert_eq!(
                case.reference_error.is_none(),
                case.reference_accepts,
                "{}",
                case.name
            );
        }
    }
    let unpadded = cases.iter().find(|c| c.name == "expires-unpadded").unwrap();
    assert!(unpadded.reference_accepts && unpadded.error.as_deref() == Some("expires"));
}

#[test]
fn repositories_are_complete() {
    let repos = spec_vectors::repositories().unwrap();
    let names: BTreeSet<&str> = repos.iter().map(|r| r.name.as_str()).collect();
    for name in SCHEMES
        .into_iter()
        .chain(["threshold", "succinct", "rotated"])
    {
        assert!(names.contains(name), "missing repository {name}");
    }
    for repo in &repos {
        let index = &repo.index;
        let mut referenced = vec![index["trusted_root"].as_str().unwrap()];
        for role in ["root", "timestamp", "snapshot", "targets"] {
            referenced.push(index["roles"][role].as_str().unwrap());
        }
        for update in index["root_updates"].as_array().into_iter().flatten() {
            referenced.push(update.as_str().unwrap());
        }
        for delegation in index["delegations"].as_array().unwrap() {
            referenced.push(delegation[2].as_str().unwrap());
        }
        for target in index["target_files"].as_object().unwrap().values() {
            referenced.push(target["file"].as_str().unwrap());
        }
        for file in referenced {
            assert!(repo.file(file).is_some(), "{}: {file} missing", repo.name);
        }
    }
    let succinct = repos.iter().find(|r| r.name == "succinct").unwrap();
    assert_eq!(succinct.index["delegations"].as_array().unwrap().len(), 8);
    let rotated = repos.iter().find(|r| r.name == "rotated").unwrap();
    assert_eq!(rotated.file("root.json"), rotated.file("2.root.json"));
}
