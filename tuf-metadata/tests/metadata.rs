//! Parsing, validation, serialisation and threshold verification of every metadata type, each
//! check asserting the exact error.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::{Value, json};
use tuf_crypto::{KeyId, PrivateKey, Scheme, Signer};
use tuf_metadata::{
    DelegatedRole, Delegations, Error, Expires, MetaFile, Metadata, Root, Signed, Snapshot,
    SuccinctRoles, TOP_LEVEL_ROLE_NAMES, TargetFile, Targets, Timestamp,
};

fn expires() -> Expires {
    "2030-01-01T00:00:00Z".parse().unwrap()
}

fn key() -> PrivateKey {
    PrivateKey::generate(Scheme::Ed25519).unwrap()
}

fn root_with(keys: &[&PrivateKey], threshold: u64) -> Metadata<Root> {
    let mut root = Root::new(expires());
    for role in TOP_LEVEL_ROLE_NAMES {
        for k in keys {
            root.add_key(role, k.public_key().clone()).unwrap();
        }
        root.roles.get_mut(role).unwrap().threshold = threshold;
    }
    Metadata::new(root)
}

/// Parses `value` as metadata of type `T` after applying `edit` to a valid signed document.
fn parse_edited<T: Signed>(
    valid: &Metadata<T>,
    edit: impl FnOnce(&mut Value),
) -> Result<Metadata<T>, Error> {
    let mut value = valid.to_value();
    edit(&mut value);
    Metadata::<T>::from_bytes(&serde_json::to_vec(&value).unwrap())
}

fn sample_targets() -> Metadata<Targets> {
    let k = key();
    let mut targets = Targets::new(expires());
    let mut file = TargetFile::from_data(b"data", &["sha256", "sha512"]).unwrap();
    file.custom = json!({"flavour": "vanilla", "n": [1, 2]})
        .as_object()
        .cloned();
    targets.targets.insert("files/a.txt".into(), file);
    let mut keys = tuf_metadata::Keys::new();
    keys.insert(k.key_id(), k.public_key().clone());
    targets.delegations = Some(Delegations::with_roles(
        keys,
        vec![DelegatedRole::with_paths(
            "delegated",
            vec![k.key_id()],
            1,
            true,
            vec!["files/*".into()],
        )],
    ));
    let mut metadata = Metadata::new(targets);
    metadata.sign(&k).unwrap();
    metadata
}

#[test]
fn round_trip_is_exact_for_every_role() {
    let k = key();
    let mut root = root_with(&[&k], 1);
    root.sign(&k).unwrap();
    let bytes = root.to_bytes();
    let parsed = Metadata::<Root>::from_bytes(&bytes).unwrap();
    assert_eq!(parsed.to_bytes(), bytes);
    assert_eq!(parsed.signed(), root.signed());

    let mut timestamp = Metadata::new(Timestamp::new(expires()));
    timestamp.signed_mut().snapshot_meta =
        MetaFile::from_data(3, b"snapshot", &["sha256"]).unwrap();
    timestamp.sign(&k).unwrap();
    let parsed = Metadata::<Timestamp>::from_bytes(&timestamp.to_bytes()).unwrap();
    assert_eq!(parsed.to_bytes(), timestamp.to_bytes());

    let mut snapshot = Metadata::new(Snapshot::new(expires()));
    snapshot
        .signed_mut()
        .meta
        .insert("delegated.json".into(), MetaFile::new(7));
    snapshot.sign(&k).unwrap();
    let parsed = Metadata::<Snapshot>::from_bytes(&snapshot.to_bytes()).unwrap();
    assert_eq!(parsed.signed(), snapshot.signed());
    assert_eq!(parsed.signed().role_meta("delegated").unwrap().version, 7);

    let targets = sample_targets();
    let parsed = Metadata::<Targets>::from_bytes(&targets.to_bytes()).unwrap();
    assert_eq!(parsed.to_bytes(), targets.to_bytes());
}

#[test]
fn unknown_fields_survive_and_are_signed() {
    let k = key();
    let root = root_with(&[&k], 1);
    // A document whose signed part carries fields we do not know, signed by its author over
    // those fields.
    let mut value = Metadata::new(Timestamp::new(expires())).to_value();
    value["signed"]["x-custom"] = json!({"nested": ["é", 1, null]});
    value["signed"]["meta"]["snapshot.json"]["x-meta"] = json!(true);
    value["x-envelope"] = json!("kept");
    let canonical = tuf_crypto::canonical::to_vec(&value["signed"]).unwrap();
    let sig = hex_sig(&k, &canonical);
    value["signatures"] = json!([{"keyid": k.key_id().as_str(), "sig": sig, "x-sig": 1}]);
    let bytes = serde_json::to_vec(&value).unwrap();

    let parsed = Metadata::<Timestamp>::from_bytes(&bytes).unwrap();
    root.verify_delegate("timestamp", &parsed).unwrap();
    assert_eq!(parsed.to_value(), value);
    assert_eq!(
        parsed.signed().unrecognized_fields["x-custom"],
        json!({"nested": ["é", 1, null]})
    );
    assert_eq!(
        parsed.signatures()[0].unrecognized_fields["x-sig"],
        json!(1)
    );

    // An edit through signed_mut invalidates the received form: the old signature fails.
    let mut edited = parsed.clone();
    edited.signed_mut().version = 2;
    assert!(matches!(
        root.verify_delegate("timestamp", &edited),
        Err(Error::ThresholdNotMet { .. })
    ));
}

fn hex_sig(k: &PrivateKey, payload: &[u8]) -> String {
    let raw = k.try_sign(payload).unwrap();
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn verification_uses_received_bytes_not_reserialisation() {
    // The signer saw the field order and spacing of its own serialiser; canonical form makes
    // that irrelevant, but a field we drop would not be: keep everything.
    let k = key();
    let root = root_with(&[&k], 1);
    let mut value = Metadata::new(Snapshot::new(expires())).to_value();
    value["signed"]["meta"]["targets.json"]["unknown"] = json!([1, {"b": 2, "a": 1}]);
    let canonical = tuf_crypto::canonical::to_vec(&value["signed"]).unwrap();
    value["signatures"] = json!([{"keyid": k.key_id().as_str(), "sig": hex_sig(&k, &canonical)}]);
    let pretty = serde_json::to_string_pretty(&value).unwrap();
    let parsed = Metadata::<Snapshot>::from_bytes(pretty.as_bytes()).unwrap();
    let result = root.verify_delegate("snapshot", &parsed).unwrap();
    assert_eq!(result.signed.len(), 1);
    assert!(result.unsigned.is_empty());
}

#[test]
fn threshold_counts_distinct_authorised_keys() {
    let (a, b, c) = (key(), key(), key());
    let root = root_with(&[&a, &b, &c], 2);
    let mut ts = Metadata::new(Timestamp::new(expires()));
    ts.sign(&a).unwrap();
    let err = root.verify_delegate("timestamp", &ts).unwrap_err();
    let Error::ThresholdNotMet { role, result } = err else {
        panic!("{err:?}")
    };
    assert_eq!(role, "timestamp");
    assert_eq!(result.signed.len(), 1);
    assert!(result.signed.contains(&a.key_id()));
    assert_eq!(result.unsigned.len(), 2);
    ts.sign(&b).unwrap();
    let ok = root.verify_delegate("timestamp", &ts).unwrap();
    assert_eq!(ok.signed.len(), 2);
    assert_eq!(ok.unsigned, [c.key_id()].into_iter().collect());

    // A signature by a key root does not trust counts for nothing.
    let stranger = key();
    let mut ts2 = Metadata::new(Timestamp::new(expires()));
    ts2.sign(&a).unwrap();
    ts2.sign(&stranger).unwrap();
    assert!(matches!(
        root.verify_delegate("timestamp", &ts2),
        Err(Error::ThresholdNotMet { .. })
    ));
}

#[test]
fn one_key_under_two_key_ids_counts_once() {
    let a = key();
    let mut root = Root::new(expires());
    let alias = KeyId::new("alias-of-a");
    root.keys.insert(a.key_id(), a.public_key().clone());
    root.keys.insert(alias.clone(), a.public_key().clone());
    let ts_role = root.roles.get_mut("timestamp").unwrap();
    ts_role.keyids = vec![a.key_id(), alias.clone()];
    ts_role.threshold = 2;
    let root = Metadata::new(root);
    let mut ts = Metadata::new(Timestamp::new(expires()));
    ts.sign(&a).unwrap();
    let sig = ts.signatures()[0].sig.clone();
    ts.add_signature(tuf_metadata::Signature::new(alias, sig));
    let err = root.verify_delegate("timestamp", &ts).unwrap_err();
    let Error::ThresholdNotMet { result, .. } = err else {
        panic!()
    };
    assert_eq!(result.signed.len(), 2);
    assert_eq!(result.distinct_signers(), 1);
}

#[test]
fn unknown_delegate_and_delegated_verification() {
    let k = key();
    let targets = sample_targets();
    let mut delegated = Metadata::new(Targets::new(expires()));
    let err = targets.verify_delegate("nobody", &delegated).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownDelegate {
            delegator: "targets".into(),
            role: "nobody".into()
        }
    );
    assert!(matches!(
        targets.verify_delegate("delegated", &delegated),
        Err(Error::ThresholdNotMet { .. })
    ));
    // sample_targets delegates to its own signing key; sign with a different one: still no.
    delegated.sign(&k).unwrap();
    assert!(matches!(
        targets.verify_delegate("delegated", &delegated),
        Err(Error::ThresholdNotMet { .. })
    ));
}

#[test]
fn tampered_signature_or_payload_fails() {
    let k = key();
    let root = root_with(&[&k], 1);
    let mut ts = Metadata::new(Timestamp::new(expires()));
    ts.sign(&k).unwrap();
    let mut value = ts.to_value();
    value["signed"]["version"] = json!(2);
    let tampered = Metadata::<Timestamp>::from_bytes(&serde_json::to_vec(&value).unwrap()).unwrap();
    assert!(root.verify_delegate("timestamp", &tampered).is_err());
    let mut value = ts.to_value();
    value["signatures"][0]["sig"] = json!("zz-not-hex");
    let garbled = Metadata::<Timestamp>::from_bytes(&serde_json::to_vec(&value).unwrap()).unwrap();
    assert!(root.verify_delegate("timestamp", &garbled).is_err());
}

#[test]
fn validation_errors_are_exact() {
    let targets = sample_targets();
    let root = {
        let k = key();
        root_with(&[&k], 1)
    };
    let cases: Vec<(&str, Result<(), Error>)> = vec![
        (
            "type",
            parse_edited(&targets, |v| v["signed"]["_type"] = json!("root")).map(drop),
        ),
        (
            "spec_version",
            parse_edited(&targets, |v| v["signed"]["spec_version"] = json!("2.0.0")).map(drop),
        ),
        (
            "version",
            parse_edited(&targets, |v| v["signed"]["version"] = json!(0)).map(drop),
        ),
        (
            "expires",
            parse_edited(&targets, |v| v["signed"]["expires"] = json!("2030-01-01")).map(drop),
        ),
        (
            "length",
            parse_edited(&targets, |v| {
                v["signed"]["targets"]["files/a.txt"]["length"] = json!(-1)
            })
            .map(drop),
        ),
        (
            "hashes",
            parse_edited(&targets, |v| {
                v["signed"]["targets"]["files/a.txt"]["hashes"] = json!({})
            })
            .map(drop),
        ),
        (
            "hashes",
            parse_edited(&targets, |v| {
                v["signed"]["targets"]["files/a.txt"]["hashes"] = json!({"sha256": 1})
            })
            .map(drop),
        ),
        (
            "missing_field",
            parse_edited(&targets, |v| {
                v["signed"].as_object_mut().unwrap().remove("targets");
            })
            .map(drop),
        ),
        (
            "field_type",
            parse_edited(&targets, |v| v["signed"]["version"] = json!("1")).map(drop),
        ),
        (
            "field_type",
            parse_edited(&targets, |v| v["signed"]["version"] = json!(1.5)).map(drop),
        ),
        (
            "duplicate_signature",
            parse_edited(&targets, |v| {
                let sig = v["signatures"][0].clone();
                v["signatures"].as_array_mut().unwrap().push(sig);
            })
            .map(drop),
        ),
        (
            "delegated_role_duplicate",
            parse_edited(&targets, |v| {
                let role = v["signed"]["delegations"]["roles"][0].clone();
                v["signed"]["delegations"]["roles"]
                    .as_array_mut()
                    .unwrap()
                    .push(role);
            })
            .map(drop),
        ),
        (
            "delegated_role_name",
            parse_edited(&targets, |v| {
                v["signed"]["delegations"]["roles"][0]["name"] = json!("snapshot")
            })
            .map(drop),
        ),
        (
            "delegated_role_name",
            parse_edited(&targets, |v| {
                v["signed"]["delegations"]["roles"][0]["name"] = json!("")
            })
            .map(drop),
        ),
        (
            "paths_and_prefixes",
            parse_edited(&targets, |v| {
                v["signed"]["delegations"]["roles"][0]["path_hash_prefixes"] = json!(["ab"])
            })
            .map(drop),
        ),
        (
            "paths_and_prefixes",
            parse_edited(&targets, |v| {
                v["signed"]["delegations"]["roles"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("paths");
            })
            .map(drop),
        ),
        (
            "roles_and_succinct",
            parse_edited(&targets, |v| {
                v["signed"]["delegations"]
                    .as_object_mut()
                    .unwrap()
                    .remove("roles");
            })
            .map(drop),
        ),
        (
            "roles_and_succinct",
            parse_edited(
                &targets,
                |v| {
                    v["signed"]["delegations"]["succinct_roles"] =
                        json!({"keyids": [], "threshold": 1, "bit_length": 2, "name_prefix": "b"})
                },
            )
            .map(drop),
        ),
        (
            "threshold",
            parse_edited(&targets, |v| {
                v["signed"]["delegations"]["roles"][0]["threshold"] = json!(0)
            })
            .map(drop),
        ),
        (
            "nonunique_keyids",
            parse_edited(&targets, |v| {
                let id = v["signed"]["delegations"]["roles"][0]["keyids"][0].clone();
                v["signed"]["delegations"]["roles"][0]["keyids"]
                    .as_array_mut()
                    .unwrap()
                    .push(id);
            })
            .map(drop),
        ),
        (
            "float",
            parse_edited(&targets, |v| {
                v["signed"]["targets"]["files/a.txt"]["custom"] = json!({"ratio": 0.5})
            })
            .map(drop),
        ),
        (
            "root_roles",
            parse_edited(&root, |v| {
                v["signed"]["roles"]
                    .as_object_mut()
                    .unwrap()
                    .remove("snapshot");
            })
            .map(drop),
        ),
        (
            "root_roles",
            parse_edited(&root, |v| {
                v["signed"]["roles"]["mirrors"] = json!({"keyids": [], "threshold": 1})
            })
            .map(drop),
        ),
        (
            "threshold",
            parse_edited(&root, |v| {
                v["signed"]["roles"]["root"]["threshold"] = json!(-1)
            })
            .map(drop),
        ),
        (
            "json",
            Metadata::<Root>::from_bytes(b"{\"signed\": ").map(drop),
        ),
        (
            "json",
            Metadata::<Root>::from_bytes(&[0xff, 0xfe]).map(drop),
        ),
    ];
    for (index, (expected, result)) in cases.into_iter().enumerate() {
        let err = result.expect_err(&format!("case {index} ({expected}) parsed"));
        assert_eq!(err.kind(), expected, "case {index}: {err}");
    }
}

#[test]
fn errors_name_the_field() {
    let targets = sample_targets();
    let err = parse_edited(&targets, |v| {
        v["signed"]["targets"]["files/a.txt"]["length"] = json!("ten")
    })
    .unwrap_err();
    assert_eq!(
        err,
        Error::InvalidField {
            path: "signed.targets.files/a.txt.length".into(),
            reason: "expected an integer, found a string".into()
        }
    );
    let err = parse_edited(&targets, |v| {
        v["signed"]["delegations"]["roles"][0]
            .as_object_mut()
            .unwrap()
            .remove("terminating");
    })
    .unwrap_err();
    assert_eq!(
        err,
        Error::MissingField {
            path: "signed.delegations.roles[0]".into(),
            field: "terminating"
        }
    );
}

#[test]
fn spec_versions_accepted() {
    let targets = sample_targets();
    for version in ["1.0", "1.0.31", "1.0.34"] {
        let parsed =
            parse_edited(&targets, |v| v["signed"]["spec_version"] = json!(version)).unwrap();
        assert_eq!(parsed.signed().spec_version.as_str(), version);
    }
}

#[test]
fn succinct_bins_cover_every_path_once() {
    let bins = SuccinctRoles::new(vec![], 1, 5, "bin").unwrap();
    assert_eq!(bins.number_of_bins(), 32);
    assert_eq!(bins.suffix_len(), 2);
    let names: Vec<String> = bins.role_names().collect();
    assert_eq!(names.first().unwrap(), "bin-00");
    assert_eq!(names.last().unwrap(), "bin-1f");
    for path in ["a", "b/c.txt", "ünïcode/😀", ""] {
        let bin = bins.role_for_target(path);
        assert!(bins.is_delegated_role(&bin), "{bin}");
        assert!(names.contains(&bin));
    }
    for not_a_bin in [
        "bin-20", "bin-1F", "bin-0", "bin-000", "bin_00", "bins-00", "bin-+1", "bin-",
    ] {
        assert!(!bins.is_delegated_role(not_a_bin), "{not_a_bin}");
    }
    let one_bit = SuccinctRoles::new(vec![], 1, 1, "b").unwrap();
    assert_eq!(one_bit.role_names().collect::<Vec<_>>(), ["b-0", "b-1"]);
    let full = SuccinctRoles::new(vec![], 1, 32, "b").unwrap();
    assert_eq!(full.suffix_len(), 8);
    assert!(SuccinctRoles::new(vec![], 1, 0, "b").is_err());
    assert!(SuccinctRoles::new(vec![], 1, 33, "b").is_err());
}

#[test]
fn hash_prefix_delegation() {
    // sha256("foo") = 2c26b46b...
    let mut role = DelegatedRole::with_paths("r", vec![], 1, false, vec![]);
    role.paths = None;
    role.path_hash_prefixes = Some(vec!["2c2".into()]);
    assert!(role.is_delegated_path("foo"));
    assert!(!role.is_delegated_path("bar"));
}

#[test]
fn roles_for_target_in_listed_order() {
    let delegations = Delegations::with_roles(
        Default::default(),
        vec![
            DelegatedRole::with_paths("first", vec![], 1, false, vec!["a/*".into()]),
            DelegatedRole::with_paths("skip", vec![], 1, true, vec!["b/*".into()]),
            DelegatedRole::with_paths("second", vec![], 1, true, vec!["*/x".into()]),
        ],
    );
    let found: Vec<(String, bool)> = delegations
        .roles_for_target("a/x")
        .map(|(n, t)| (n.into_owned(), t))
        .collect();
    assert_eq!(
        found,
        [("first".to_owned(), false), ("second".to_owned(), true)]
    );
}

#[test]
fn target_file_verification() {
    let file = TargetFile::from_data(b"payload", &["sha256", "sha512"]).unwrap();
    file.verify_length_and_hashes(b"payload").unwrap();
    assert_eq!(
        file.verify_length_and_hashes(b"payloa"),
        Err(Error::LengthMismatch {
            expected: 7,
            found: 6
        })
    );
    assert!(matches!(
        file.verify_length_and_hashes(b"pAyload"),
        Err(Error::HashMismatch { .. })
    ));
    let mut odd = file.clone();
    odd.hashes.insert("md5".into(), "00".into());
    assert_eq!(
        odd.verify_length_and_hashes(b"payload"),
        Err(Error::UnsupportedHash {
            algorithm: "md5".into()
        })
    );
}

#[test]
fn root_key_management() {
    let (a, b) = (key(), key());
    let mut root = Root::new(expires());
    root.add_key("root", a.public_key().clone()).unwrap();
    root.add_key("targets", a.public_key().clone()).unwrap();
    root.add_key("root", b.public_key().clone()).unwrap();
    assert_eq!(root.roles["root"].keyids, [a.key_id(), b.key_id()]);
    root.revoke_key("root", &a.key_id()).unwrap();
    assert!(root.keys.contains_key(&a.key_id()), "still used by targets");
    root.revoke_key("targets", &a.key_id()).unwrap();
    assert!(!root.keys.contains_key(&a.key_id()));
    assert!(matches!(
        root.add_key("mirrors", a.public_key().clone()),
        Err(Error::UnknownDelegate { .. })
    ));
}

#[test]
fn expiry_boundary() {
    let e = expires();
    assert!(!e.is_expired_at(e.unix_seconds() - 1));
    assert!(e.is_expired_at(e.unix_seconds()));
}

/// Signing with several keys signs the same bytes (computed once and kept), and an edit
/// through `signed_mut` makes the next signature cover the edited content.
#[test]
fn signing_again_after_an_edit_signs_the_new_bytes() {
    let (a, b) = (key(), key());
    let root = root_with(&[&a, &b], 2);
    let mut targets = Metadata::new(Targets::new(expires()));
    targets.sign(&a).unwrap();
    targets.sign(&b).unwrap();
    let first = targets.signed_bytes().unwrap().into_owned();
    assert_eq!(
        first,
        tuf_metadata::canonical::to_vec(&targets.signed().to_value()).unwrap()
    );
    root.verify_delegate("targets", &targets).unwrap();

    targets.signed_mut().version = 2;
    let edited = targets.signed_bytes().unwrap().into_owned();
    assert_ne!(edited, first);
    assert!(root.verify_delegate("targets", &targets).is_err());
    targets.sign(&a).unwrap();
    targets.sign(&b).unwrap();
    assert_eq!(targets.signed_bytes().unwrap().as_ref(), edited.as_slice());
    let received = Metadata::<Targets>::from_bytes(&targets.to_bytes()).unwrap();
    root.verify_delegate("targets", &received).unwrap();
}
