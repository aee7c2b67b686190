//! Property tests: parse → serialise → parse is the identity for every metadata type, and the
//! signed bytes do not depend on key order or whitespace of the received JSON.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

mod strategies;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use strategies::{expires, json_value, spec_version};
use tuf_crypto::{KeyId, PublicKey};
use tuf_metadata::{
    DelegatedRole, Delegations, EntryMap, Expires, Hashes, Keys, MapEntry, MetaFile, Metadata,
    Role, Root, Signature, Signed, Snapshot, SuccinctRoles, TOP_LEVEL_ROLE_NAMES, TargetFile,
    Targets, Timestamp,
};

/// Unrecognised fields, named so they cannot collide with a known field.
fn unknown() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map("x-[a-zé😀]{0,6}", json_value(), 0..3)
        .prop_map(|m| m.into_iter().collect())
}

fn keyid() -> impl Strategy<Value = KeyId> {
    "[0-9a-f]{1,64}|.{1,10}".prop_map(KeyId::new)
}

fn public_key() -> impl Strategy<Value = PublicKey> {
    (
        prop_oneof![
            Just("ed25519"),
            Just("ecdsa"),
            Just("rsa"),
            Just("unknown-type")
        ],
        prop_oneof![
            Just("ed25519"),
            Just("ecdsa-sha2-nistp256"),
            Just("rsassa-pss-sha256"),
            Just("x")
        ],
        ".{0,40}",
        unknown(),
        unknown(),
    )
        .prop_map(|(keytype, scheme, public, top, keyval)| {
            let mut keyval_obj = keyval;
            keyval_obj.insert("public".into(), Value::String(public));
            let mut obj = top;
            obj.insert("keytype".into(), json!(keytype));
            obj.insert("scheme".into(), json!(scheme));
            obj.insert("keyval".into(), Value::Object(keyval_obj));
            PublicKey::from_value(Value::Object(obj)).unwrap()
        })
}

fn keys() -> impl Strategy<Value = Keys> {
    prop::collection::btree_map(keyid(), public_key(), 0..3)
}

fn unique_keyids() -> impl Strategy<Value = Vec<KeyId>> {
    prop::collection::btree_set(keyid(), 0..4).prop_map(|s| s.into_iter().collect())
}

fn role() -> impl Strategy<Value = Role> {
    (unique_keyids(), 1u64..5, unknown()).prop_map(|(keyids, threshold, unrecognized_fields)| {
        Role {
            keyids,
            threshold,
            unrecognized_fields,
        }
    })
}

fn hashes() -> impl Strategy<Value = Hashes> {
    prop::collection::btree_map("sha256|sha512|[a-z0-9-]{1,8}", "[0-9a-f]{0,64}", 1..3)
        .prop_map(|map| map.into_iter().collect())
}

/// One edit of [`hashes_behave_as_a_map`].
#[derive(Debug, Clone)]
enum HashesEdit {
    Insert(String, String),
    Remove(String),
}

fn hashes_edit() -> impl Strategy<Value = HashesEdit> {
    let name = "sha224|sha256|sha384|sha512|[a-z]{1,3}";
    prop_oneof![
        (name, "[0-9a-f]{0,8}").prop_map(|(a, d)| HashesEdit::Insert(a, d)),
        name.prop_map(HashesEdit::Remove),
    ]
}

fn metafile() -> impl Strategy<Value = MetaFile> {
    (
        1u64..1 << 40,
        prop::option::of(0u64..1 << 40),
        prop::option::of(hashes()),
        unknown(),
    )
        .prop_map(|(version, length, hashes, unrecognized_fields)| MetaFile {
            version,
            length,
            hashes,
            unrecognized_fields,
        })
}

fn root() -> impl Strategy<Value = Root> {
    (
        spec_version(),
        1u64..u64::from(u32::MAX),
        expires(),
        prop::option::of(any::<bool>()),
        keys(),
        prop::collection::vec(role(), 4),
        unknown(),
    )
        .prop_map(
            |(
                spec_version,
                version,
                expires,
                consistent_snapshot,
                keys,
                roles,
                unrecognized_fields,
            )| Root {
                spec_version,
                version,
                expires,
                consistent_snapshot,
                keys,
                roles: TOP_LEVEL_ROLE_NAMES
                    .iter()
                    .map(|n| (*n).to_owned())
                    .zip(roles)
                    .collect(),
                unrecognized_fields,
            },
        )
}

fn timestamp() -> impl Strategy<Value = Timestamp> {
    (
        spec_version(),
        1u64..1 << 50,
        expires(),
        metafile(),
        unknown(),
    )
        .prop_map(
            |(spec_version, version, expires, snapshot_meta, unrecognized_fields)| Timestamp {
                spec_version,
                version,
                expires,
                snapshot_meta,
                other_meta: Map::new(),
                unrecognized_fields,
            },
        )
}

fn snapshot() -> impl Strategy<Value = Snapshot> {
    (
        spec_version(),
        1u64..1 << 50,
        expires(),
        prop::collection::btree_map("[a-z/]{1,10}\\.json", metafile(), 0..4),
        unknown(),
    )
        .prop_map(
            |(spec_version, version, expires, meta, unrecognized_fields)| Snapshot {
                spec_version,
                version,
                expires,
                meta: meta.into(),
                unrecognized_fields,
            },
        )
}

fn target_file() -> impl Strategy<Value = TargetFile> {
    (
        0u64..1 << 50,
        hashes(),
        prop::option::of(unknown()),
        unknown(),
    )
        .prop_map(|(length, hashes, custom, unrecognized_fields)| TargetFile {
            length,
            hashes,
            custom,
            unrecognized_fields,
        })
}

fn delegated_role() -> impl Strategy<Value = DelegatedRole> {
    (
        "[a-z][a-z0-9/-]{0,10}",
        unique_keyids(),
        1u64..4,
        any::<bool>(),
        prop_oneof![
            prop::collection::vec(".{0,10}", 0..3).prop_map(|p| (Some(p), None)),
            prop::collection::vec("[0-9a-f]{0,4}", 0..3).prop_map(|p| (None, Some(p))),
        ],
        unknown(),
    )
        .prop_map(
            |(
                name,
                keyids,
                threshold,
                terminating,
                (paths, path_hash_prefixes),
                unrecognized_fields,
            )| {
                DelegatedRole {
                    name: format!("d-{name}"),
                    keyids,
                    threshold,
                    terminating,
                    paths,
                    path_hash_prefixes,
                    unrecognized_fields,
                }
            },
        )
}

fn delegations() -> impl Strategy<Value = Delegations> {
    let roles = prop::collection::vec(delegated_role(), 0..4).prop_map(|roles| {
        // Names must be unique.
        let mut seen = std::collections::BTreeSet::new();
        roles
            .into_iter()
            .filter(|r| seen.insert(r.name.clone()))
            .collect::<Vec<_>>()
    });
    let succinct = (unique_keyids(), 1u64..4, 1u8..=32, ".{0,8}", unknown()).prop_map(
        |(keyids, threshold, bit_length, name_prefix, unrecognized_fields)| SuccinctRoles {
            keyids,
            threshold,
            bit_length,
            name_prefix,
            unrecognized_fields,
        },
    );
    (
        keys(),
        prop_oneof![
            roles.prop_map(|r| (Some(r), None)),
            succinct.prop_map(|s| (None, Some(s)))
        ],
        unknown(),
    )
        .prop_map(
            |(keys, (roles, succinct_roles), unrecognized_fields)| Delegations {
                keys,
                roles,
                succinct_roles,
                unrecognized_fields,
            },
        )
}

fn targets() -> impl Strategy<Value = Targets> {
    (
        spec_version(),
        1u64..1 << 50,
        expires(),
        prop::collection::btree_map(".{0,16}", target_file(), 0..4),
        prop::option::of(delegations()),
        unknown(),
    )
        .prop_map(
            |(spec_version, version, expires, targets, delegations, unrecognized_fields)| Targets {
                spec_version,
                version,
                expires,
                targets: targets.into(),
                delegations,
                unrecognized_fields,
            },
        )
}

fn signatures() -> impl Strategy<Value = Vec<Signature>> {
    prop::collection::btree_map(keyid(), ("[0-9a-f]{0,16}", unknown()), 0..3).prop_map(|m| {
        m.into_iter()
            .map(|(keyid, (sig, unrecognized_fields))| Signature {
                keyid,
                sig,
                unrecognized_fields,
            })
            .collect()
    })
}

/// parse(serialise(m)) == m, serialise is a fixed point, and the signed bytes of the parsed
/// document equal those of the original, whatever the formatting of the received JSON.
fn check_round_trip<T: Signed + std::fmt::Debug + PartialEq + Clone>(
    signed: T,
    sigs: Vec<Signature>,
) -> Result<(), TestCaseError> {
    let mut metadata = Metadata::new(signed.clone());
    for s in sigs {
        metadata.add_signature(s);
    }
    let bytes = metadata.to_bytes();
    let parsed =
        Metadata::<T>::from_bytes(&bytes).map_err(|e| TestCaseError::fail(format!("{e}")))?;
    prop_assert_eq!(parsed.signed(), &signed);
    prop_assert_eq!(parsed.signatures(), metadata.signatures());
    prop_assert_eq!(parsed.to_bytes(), bytes.clone());
    let expected = metadata.signed_bytes().unwrap().into_owned();
    prop_assert_eq!(
        parsed.signed_bytes().unwrap().into_owned(),
        expected.clone()
    );
    // Compact, differently formatted input gives the same signed bytes.
    let compact = serde_json::to_vec(&metadata.to_value()).unwrap();
    let reparsed = Metadata::<T>::from_bytes(&compact).unwrap();
    prop_assert_eq!(reparsed.signed_bytes().unwrap().into_owned(), expected);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn root_round_trip(signed in root(), sigs in signatures()) {
        check_round_trip(signed, sigs)?;
    }

    #[test]
    fn timestamp_round_trip(signed in timestamp(), sigs in signatures()) {
        check_round_trip(signed, sigs)?;
    }

    #[test]
    fn snapshot_round_trip(signed in snapshot(), sigs in signatures()) {
        check_round_trip(signed, sigs)?;
    }

    #[test]
    fn targets_round_trip(signed in targets(), sigs in signatures()) {
        check_round_trip(signed, sigs)?;
    }

    #[test]
    fn expires_round_trip(e in expires()) {
        let text = e.to_string();
        prop_assert_eq!(text.parse::<Expires>().unwrap(), e);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = Metadata::<Root>::from_bytes(&bytes);
        let _ = Metadata::<Targets>::from_bytes(&bytes);
    }

    #[test]
    fn arbitrary_json_never_panics(signed in json_value()) {
        let doc = json!({"signed": signed, "signatures": []});
        let bytes = serde_json::to_vec(&doc).unwrap();
        let _ = Metadata::<Root>::from_bytes(&bytes);
        let _ = Metadata::<Timestamp>::from_bytes(&bytes);
        let _ = Metadata::<Snapshot>::from_bytes(&bytes);
        let _ = Metadata::<Targets>::from_bytes(&bytes);
    }

    #[test]
    fn glob_star_never_crosses_slash(a in "[a-z]{0,5}", b in "[a-z]{0,5}") {
        let path = format!("{a}/{b}");
        prop_assert!(!tuf_metadata::path_pattern::matches("*", &path));
        prop_assert!(tuf_metadata::path_pattern::matches("*/*", &path));
    }
}

/// The direct parse of large maps (`Signed::from_text`) and the field-by-field path
/// (`Signed::from_value`) give the same result, value or exact error, on any input.
fn check_paths_agree<T: Signed + std::fmt::Debug + PartialEq>(
    text: &str,
) -> Result<(), TestCaseError> {
    let fast = T::from_text(text);
    let slow = serde_json::from_str::<Value>(text)
        .map_err(|e| tuf_metadata::Error::Json {
            reason: e.to_string(),
        })
        .and_then(T::from_value);
    prop_assert_eq!(fast, slow);
    Ok(())
}

/// A role read from shared bytes (`Signed::from_shared_text`: its large map indexed in them,
/// not built) agrees with the direct parse, value or exact error; every lookup,
/// `contains_key` and `len` answers as the built map does, `probes` (maybe unlisted)
/// included, without building the indexed map. The text sits inside its owner after a
/// prefix, as `signed` does in a file.
fn check_index_agrees<T, E>(
    text: &str,
    probes: &[String],
    map: impl Fn(&T) -> &EntryMap<E>,
) -> Result<(), TestCaseError>
where
    T: Signed + PartialEq + std::fmt::Debug,
    E: MapEntry + PartialEq + std::fmt::Debug,
{
    let owner = Arc::new(format!("{{\"signed\": {text}}}").into_bytes());
    let inner = std::str::from_utf8(&owner[11..owner.len() - 1]).unwrap();
    prop_assert_eq!(inner, text);
    let shared = T::from_shared_text(&owner, inner);
    let direct = T::from_text(text);
    if let (Ok(shared), Ok(direct)) = (&shared, &direct) {
        let (shared, direct) = (map(shared), map(direct));
        let indexed = shared.is_indexed();
        prop_assert_eq!(shared.len(), direct.len());
        prop_assert_eq!(shared.is_empty(), direct.is_empty());
        let listed = direct.keys().cloned();
        for name in listed.chain(probes.iter().cloned()) {
            prop_assert_eq!(
                shared.lookup(&name).map(Cow::into_owned),
                direct.get(&name).cloned()
            );
            prop_assert_eq!(shared.contains_key(&name), direct.contains_key(&name));
        }
        prop_assert_eq!(shared.is_indexed(), indexed, "lookups built the map");
    }
    prop_assert_eq!(shared, direct);
    Ok(())
}

fn targets_map(targets: &Targets) -> &EntryMap<TargetFile> {
    &targets.targets
}

fn meta_map(snapshot: &Snapshot) -> &EntryMap<MetaFile> {
    &snapshot.meta
}

fn mutated_entry(mut entry: Value, field: &str, replacement: Option<Value>) -> Value {
    if let Value::Object(map) = &mut entry {
        match replacement {
            Some(value) => {
                map.insert(field.to_owned(), value);
            }
            None => {
                map.remove(field);
            }
        }
    }
    entry
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn fast_and_field_paths_agree_on_targets(
        signed in targets(),
        field in prop_oneof![Just("length"), Just("hashes"), Just("custom"), Just("x-other")],
        replacement in prop::option::of(json_value()),
        mutate in any::<bool>(),
    ) {
        let mut value = signed.to_value();
        if mutate {
            if let Some(Value::Object(targets)) = value.get_mut("targets") {
                if let Some(first) = targets.keys().next().cloned() {
                    let entry = targets.remove(&first).unwrap();
                    targets.insert(first, mutated_entry(entry, field, replacement));
                }
            }
        }
        let text = serde_json::to_string(&value).unwrap();
        check_paths_agree::<Targets>(&text)?;
        check_index_agrees(&text, &[field.to_owned(), String::new()], targets_map)?;
        // As a repository writes it (indented; sorted keys).
        check_index_agrees(&serde_json::to_string_pretty(&value).unwrap(), &[], targets_map)?;
    }

    #[test]
    fn fast_and_field_paths_agree_on_snapshot(
        signed in snapshot(),
        field in prop_oneof![Just("version"), Just("length"), Just("hashes"), Just("x-other")],
        replacement in prop::option::of(json_value()),
        mutate in any::<bool>(),
    ) {
        let mut value = signed.to_value();
        if mutate {
            if let Some(Value::Object(meta)) = value.get_mut("meta") {
                if let Some(first) = meta.keys().next().cloned() {
                    let entry = meta.remove(&first).unwrap();
                    meta.insert(first, mutated_entry(entry, field, replacement));
                }
            }
        }
        let text = serde_json::to_string(&value).unwrap();
        check_paths_agree::<Snapshot>(&text)?;
        check_index_agrees(&text, &[field.to_owned(), "targets.json".to_owned()], meta_map)?;
        check_index_agrees(&serde_json::to_string_pretty(&value).unwrap(), &[], meta_map)?;
    }
}

/// `signed` text whose `targets` / `meta` map lists `entries` in the given order, duplicates
/// included (which a `Value` cannot hold, so the text is written by hand).
fn text_with_entries(kind: &str, field: &str, entries: &[(u8, u64)]) -> String {
    let listed: Vec<String> = entries
        .iter()
        .map(|(name, n)| {
            let entry = if kind == "targets" {
                format!(r#"{{"length": {n}, "hashes": {{"sha256": "{n:064x}"}}}}"#)
            } else {
                format!(r#"{{"version": {}}}"#, n + 1)
            };
            format!(r#""f{name}.json": {entry}"#)
        })
        .collect();
    format!(
        r#"{{"_type": "{kind}", "spec_version": "1.0.31", "version": 1, "expires": "2030-01-01T00:00:00Z", "{field}": {{{}}}}}"#,
        listed.join(", ")
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Unsorted and duplicate map keys: the direct parse (which bulk-builds its map) and the
    /// field-by-field path agree, the last duplicate winning in both.
    #[test]
    fn fast_and_field_paths_agree_on_unsorted_and_duplicate_keys(
        entries in prop::collection::vec((0u8..8, 0u64..1000), 0..24),
    ) {
        let targets = text_with_entries("targets", "targets", &entries);
        check_paths_agree::<Targets>(&targets)?;
        let probes: Vec<String> = (0..9).map(|name| format!("f{name}.json")).collect();
        check_index_agrees(&targets, &probes, targets_map)?;
        let snapshot = text_with_entries("snapshot", "meta", &entries);
        check_paths_agree::<Snapshot>(&snapshot)?;
        check_index_agrees(&snapshot, &probes, meta_map)?;
        if let Some((name, n)) = entries.iter().rev().find(|(name, _)| *name == entries[0].0) {
            let parsed = Targets::from_text(&targets).unwrap();
            prop_assert_eq!(parsed.targets[&format!("f{name}.json")].length, *n);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `Hashes` is a compact list, but behaves exactly as the `BTreeMap<String, String>` it
    /// replaced: same lookups, same order, same replaced values.
    #[test]
    fn hashes_behave_as_a_map(edits in prop::collection::vec(hashes_edit(), 0..24)) {
        let mut model = BTreeMap::new();
        let mut hashes = Hashes::new();
        for edit in edits {
            match edit {
                HashesEdit::Insert(a, d) => {
                    prop_assert_eq!(hashes.insert(a.clone(), d.clone()), model.insert(a, d));
                }
                HashesEdit::Remove(a) => prop_assert_eq!(hashes.remove(&a), model.remove(&a)),
            }
            let pairs: Vec<(&str, &str)> = hashes.iter().collect();
            let expected: Vec<(&str, &str)> =
                model.iter().map(|(a, d)| (a.as_str(), d.as_str())).collect();
            prop_assert_eq!(pairs, expected);
            prop_assert_eq!(hashes.len(), model.len());
        }
        for name in ["sha224", "sha256", "sha384", "sha512", "a", "zz"] {
            prop_assert_eq!(hashes.get(name), model.get(name).map(String::as_str));
            prop_assert_eq!(hashes.contains_key(name), model.contains_key(name));
        }
    }

    /// Collected or read from JSON (members in any order, repeated names), the last digest
    /// given for a name is the one kept, as Python's `json.loads` keeps it, and writing it
    /// back gives the sorted object.
    #[test]
    fn hashes_from_pairs_and_json_keep_the_last(
        pairs in prop::collection::vec(("sha256|sha512|[a-c]{1,2}", "[0-9a-f]{0,8}"), 0..8)
    ) {
        let model: BTreeMap<String, String> = pairs.iter().cloned().collect();
        let collected: Hashes = pairs.iter().cloned().collect();
        let text = format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(a, d)| format!("{a:?}:{d:?}"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let parsed: Hashes = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&parsed, &collected);
        let back = serde_json::to_string(&parsed).unwrap();
        prop_assert_eq!(back, serde_json::to_string(&model).unwrap());
    }
}
