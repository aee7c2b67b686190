//! Property tests: the direct encoders of `tuf_metadata::encode` write byte for byte what the
//! `Value` path writes, in both forms: the canonical form (`canonical::to_vec(&to_value())`,
//! what is signed) and the file form (`Metadata::to_bytes`), for arbitrary targets (unicode,
//! quotes, backslashes and control characters in paths and strings, custom data, unknown
//! fields, some named like known fields, floats, many hash algorithms) and snapshots; and the
//! targets map encoded in pieces joins to the whole.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod strategies;

use proptest::prelude::*;
use serde_json::{Map, Value};
use strategies::{expires, json_value, spec_version, text};
use tuf_metadata::encode::{self, Encode, Form};
use tuf_metadata::{
    Delegations, Hashes, Keys, MetaFile, Metadata, Signed, Snapshot, SuccinctRoles, TargetFile,
    Targets, canonical,
};

/// A value that may hold floats (zero, negative zero and others): refused in canonical form,
/// written in the file form (float zeros as `0`).
fn json_value_with_floats() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => json_value(),
        1 => prop_oneof![Just(0.0f64), Just(-0.0f64), Just(1.5f64), Just(-2.25e10f64)]
            .prop_map(Value::from),
        1 => (json_value(), prop_oneof![Just(0.0f64), Just(-0.0f64), Just(0.5f64)])
            .prop_map(|(v, f)| Value::Array(vec![v, Value::from(f)])),
    ]
}

/// Unrecognised fields: arbitrary names, some equal to the known fields of the objects they
/// sit in (the known field wins, as in `to_value`).
fn unknown(floats: bool) -> impl Strategy<Value = Map<String, Value>> {
    let name = prop_oneof![
        3 => text(6),
        1 => prop_oneof![
            Just("length"), Just("hashes"), Just("custom"), Just("version"), Just("_type"),
            Just("targets"), Just("meta"), Just("expires"), Just("spec_version"),
            Just("delegations"), Just("a"), Just("zz"), Just("_"), Just(""),
        ]
        .prop_map(str::to_owned),
    ];
    let value = if floats {
        json_value_with_floats().boxed()
    } else {
        json_value().boxed()
    };
    prop::collection::btree_map(name, value, 0..3).prop_map(|m| m.into_iter().collect())
}

fn hashes() -> impl Strategy<Value = Hashes> {
    let algorithm = prop_oneof![
        Just("sha224".to_owned()),
        Just("sha256".to_owned()),
        Just("sha384".to_owned()),
        Just("sha512".to_owned()),
        Just("blake2b-256".to_owned()),
        text(8),
    ];
    prop::collection::btree_map(algorithm, prop_oneof!["[0-9a-f]{0,64}", text(8)], 0..5)
        .prop_map(|map| map.into_iter().collect())
}

fn target_file(floats: bool) -> impl Strategy<Value = TargetFile> {
    (
        any::<u64>(),
        hashes(),
        prop::option::of(unknown(floats)),
        unknown(floats),
    )
        .prop_map(|(length, hashes, custom, unrecognized_fields)| TargetFile {
            length,
            hashes,
            custom,
            unrecognized_fields,
        })
}

fn delegations() -> impl Strategy<Value = Option<Delegations>> {
    prop_oneof![
        Just(None),
        (1u8..=16, text(6), unknown(false)).prop_map(|(bits, prefix, unrecognized_fields)| {
            let mut bins = SuccinctRoles::new(Vec::new(), 1, bits, &prefix).ok()?;
            bins.unrecognized_fields = unrecognized_fields;
            Some(Delegations {
                keys: Keys::new(),
                roles: None,
                succinct_roles: Some(bins),
                unrecognized_fields: Map::new(),
            })
        }),
    ]
}

fn targets(floats: bool) -> impl Strategy<Value = Targets> {
    (
        spec_version(),
        any::<u64>(),
        expires(),
        prop::collection::btree_map(text(16), target_file(floats), 0..12),
        delegations(),
        unknown(floats),
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

fn meta_file(floats: bool) -> impl Strategy<Value = MetaFile> {
    (
        any::<u64>(),
        prop::option::of(any::<u64>()),
        prop::option::of(hashes()),
        unknown(floats),
    )
        .prop_map(|(version, length, hashes, unrecognized_fields)| MetaFile {
            version,
            length,
            hashes,
            unrecognized_fields,
        })
}

fn snapshot(floats: bool) -> impl Strategy<Value = Snapshot> {
    (
        spec_version(),
        any::<u64>(),
        expires(),
        prop::collection::btree_map(text(12), meta_file(floats), 0..8),
        unknown(floats),
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

/// The file of `signed` with no signatures, as the direct encoder lays it out.
fn direct_file<T: Encode>(signed: &T) -> Vec<u8> {
    let mut out = b"{\n \"signatures\": [],\n \"signed\": ".to_vec();
    signed.encode(Form::Pretty, 1, &mut out).unwrap();
    out.extend_from_slice(b"\n}");
    out
}

/// Both forms of `signed` equal the `Value` path's.
fn check_same<T: Signed + Encode + Clone>(signed: &T) -> Result<(), TestCaseError> {
    let expected = canonical::to_vec(&signed.to_value());
    let direct = signed.to_canonical();
    match (&expected, &direct) {
        (Ok(a), Ok(b)) => prop_assert_eq!(String::from_utf8_lossy(a), String::from_utf8_lossy(b)),
        (Err(a), Err(b)) => prop_assert_eq!(a, b),
        _ => prop_assert!(false, "{:?} vs {:?}", expected, direct),
    }
    let file = Metadata::new(signed.clone()).to_bytes();
    let direct = direct_file(signed);
    prop_assert_eq!(
        String::from_utf8_lossy(&direct),
        String::from_utf8_lossy(&file)
    );
    Ok(())
}

/// The targets map written in `cuts`-separated pieces joins to the whole, in both forms.
fn check_pieces(targets: &Targets, cuts: &[usize]) -> Result<(), TestCaseError> {
    let entries: Vec<(&String, &TargetFile)> = targets.targets.iter().collect();
    let mut bounds: Vec<usize> = cuts.iter().map(|c| c % (entries.len() + 1)).collect();
    bounds.push(0);
    bounds.push(entries.len());
    bounds.sort_unstable();
    for (form, depth) in [(Form::Canonical, 0), (Form::Pretty, 1)] {
        let mut whole = Vec::new();
        let whole_result = targets.encode(form, depth, &mut whole);
        let mut joined = Vec::new();
        let joined_result = encode::encode_targets_with(
            targets,
            form,
            depth,
            &mut |out| {
                for pair in bounds.windows(2) {
                    let run = entries.get(pair[0]..pair[1]).unwrap_or_default();
                    let mut piece = Vec::new();
                    encode::write_target_members(
                        form,
                        depth,
                        run.iter().copied(),
                        pair[0] == 0,
                        &mut piece,
                    )?;
                    out.extend_from_slice(&piece);
                }
                Ok(())
            },
            &mut joined,
        );
        prop_assert_eq!(whole_result.is_ok(), joined_result.is_ok());
        if whole_result.is_ok() {
            prop_assert_eq!(
                String::from_utf8_lossy(&whole),
                String::from_utf8_lossy(&joined)
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn targets_encode_as_the_value_path(targets in targets(false)) {
        check_same(&targets)?;
    }

    #[test]
    fn targets_with_floats_encode_as_the_value_path(targets in targets(true)) {
        check_same(&targets)?;
    }

    #[test]
    fn target_files_encode_as_the_value_path(file in target_file(true)) {
        let expected = canonical::to_vec(&file.to_value());
        prop_assert_eq!(file.to_canonical(), expected);
    }

    #[test]
    fn snapshots_encode_as_the_value_path(snapshot in snapshot(false)) {
        check_same(&snapshot)?;
    }

    #[test]
    fn snapshots_with_floats_encode_as_the_value_path(snapshot in snapshot(true)) {
        check_same(&snapshot)?;
    }

    #[test]
    fn targets_in_pieces_join_to_the_whole(
        targets in targets(false),
        cuts in prop::collection::vec(any::<usize>(), 0..5),
    ) {
        check_pieces(&targets, &cuts)?;
    }
}
