//! `Metadata::from_bytes_verified` (signatures checked while the canonical form is streamed)
//! agrees with `from_bytes` followed by `RoleKeys::verify` over the whole canonical form: same
//! struct, same verification result, same errors, for key orders that stream and key orders
//! that force the in-memory fallback, small and large (past the 64 KiB pieces).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use proptest::prelude::*;
use tuf_crypto::{PrivateKey, Scheme, Signer as _, canonical};
use tuf_metadata::{Keys, Metadata, RoleKeys, Signed, Snapshot, Targets};

/// A small deterministic shuffle (the order is what is under test, not randomness).
fn shuffled<T>(mut items: Vec<T>, seed: u64) -> Vec<T> {
    let mut state = seed | 1;
    for i in (1..items.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        items.swap(i, (state % (i as u64 + 1)) as usize);
    }
    items
}

fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap()
}

/// `signed` of a targets role, members in the order `seed` picks (or sorted for seed 0).
fn targets_text(entries: &[(String, u32)], seed: u64, pad: usize) -> String {
    let mut members: Vec<String> = entries
        .iter()
        .map(|(path, length)| {
            let mut fields = vec![
                format!(r#""length": {length}"#),
                format!(r#""hashes": {{"sha512": "{length:0128x}", "sha256": "{length:064x}"}}"#),
            ];
            if length % 3 == 0 {
                fields.push(format!(
                    r#""custom": {{"z": [1, "{}"], "a": null}}"#,
                    "x".repeat(pad)
                ));
            }
            let fields = if seed == 0 {
                fields
            } else {
                shuffled(fields, seed ^ u64::from(*length))
            };
            format!("{}: {{{}}}", quoted(path), fields.join(", "))
        })
        .collect();
    if seed != 0 {
        members = shuffled(members, seed);
    }
    let top = vec![
        r#""_type": "targets""#.to_owned(),
        r#""expires": "2030-01-01T00:00:00Z""#.to_owned(),
        r#""spec_version": "1.0.31""#.to_owned(),
        format!(r#""targets": {{{}}}"#, members.join(",\n  ")),
        r#""version": 7"#.to_owned(),
    ];
    let top = if seed % 2 == 1 {
        shuffled(top, seed)
    } else {
        top
    };
    format!("{{{}}}", top.join(",\n "))
}

struct Signers {
    keys: Keys,
    keyids: Vec<tuf_crypto::KeyId>,
    private: Vec<PrivateKey>,
}

fn signers() -> Signers {
    let private = vec![
        PrivateKey::generate(Scheme::Ed25519).unwrap(),
        PrivateKey::generate(Scheme::EcdsaSha2Nistp256).unwrap(),
        PrivateKey::generate(Scheme::Ed25519).unwrap(),
    ];
    let keys: Keys = private
        .iter()
        .map(|p| (p.public_key().key_id(), p.public_key().clone()))
        .collect();
    let keyids = private.iter().map(|p| p.public_key().key_id()).collect();
    Signers {
        keys,
        keyids,
        private,
    }
}

/// The envelope with signatures by the keys `which` picks (bit i: key i signs correctly;
/// key 2 always signs something else).
fn envelope(signers: &Signers, signed: &str, which: u8) -> Vec<u8> {
    let payload = canonical::from_json_text(signed.as_bytes()).unwrap();
    let mut signatures = Vec::new();
    for (index, private) in signers.private.iter().enumerate() {
        let message: &[u8] = if index == 2 { b"other" } else { &payload };
        if index == 2 || which & (1 << index) != 0 {
            let sig = hex::encode(private.try_sign(message).unwrap());
            signatures.push(format!(
                r#"{{"keyid": "{}", "sig": "{sig}"}}"#,
                private.public_key().key_id()
            ));
        }
    }
    format!(
        r#"{{"signatures": [{}], "signed": {signed}}}"#,
        signatures.join(", ")
    )
    .into_bytes()
}

fn check_agree<T: Signed + std::fmt::Debug + PartialEq>(
    signers: &Signers,
    bytes: &[u8],
    threshold: u64,
) -> Result<(), TestCaseError> {
    let keys = RoleKeys {
        keyids: &signers.keyids,
        threshold,
        keys: &signers.keys,
    };
    let plain = Metadata::<T>::from_bytes(bytes);
    let streamed = Metadata::<T>::from_bytes_verified(bytes, keys);
    match (plain, streamed) {
        (Ok(plain), Ok((streamed, result))) => {
            let expected = keys.verify(&plain.signed_bytes().unwrap(), plain.signatures());
            prop_assert_eq!(&result, &expected);
            prop_assert_eq!(plain.signed(), streamed.signed());
            prop_assert_eq!(plain.signatures(), streamed.signatures());
            prop_assert_eq!(
                plain.signed_bytes().unwrap(),
                streamed.signed_bytes().unwrap()
            );
        }
        (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
        (a, b) => prop_assert!(false, "disagree: {:?} / {:?}", a.err(), b.err()),
    }
    Ok(())
}

fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z/]{1,12}",
        "[a-zé\"\\\\ü/\u{1}]{1,8}",
        "pkgs/[a-z]{30,60}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn streamed_and_whole_checks_agree_on_targets(
        entries in prop::collection::vec((path(), any::<u32>()), 0..40),
        copies in prop_oneof![Just(1usize), Just(60)],
        seed in any::<u64>(),
        sorted in any::<bool>(),
        which in 0u8..4,
        threshold in 1u64..3,
        pad in prop_oneof![Just(0usize), Just(3000)],
    ) {
        let signers = signers();
        // Large cases repeat the entries under distinct prefixes: past several 64 KiB pieces.
        let entries: Vec<(String, u32)> = (0..copies)
            .flat_map(|copy| entries.iter().map(move |(p, l)| (format!("{copy:03}/{p}"), *l)))
            .collect();
        let signed = targets_text(&entries, if sorted { 0 } else { seed }, pad);
        check_agree::<Targets>(&signers, &envelope(&signers, &signed, which), threshold)?;
    }
}

#[test]
fn a_large_role_with_top_level_keys_out_of_order_falls_back_and_still_verifies() {
    let signers = signers();
    let entries: Vec<(String, u32)> = (0..3000)
        .map(|i| (format!("packages/p{i:05}.tar.gz"), i))
        .collect();
    let sorted = targets_text(&entries, 0, 0);
    // `version` and `_type` after the large `targets` map: the fallback is needed only once
    // the map has been streamed.
    let signed = sorted.replacen(r#""_type": "targets","#, "", 1).replacen(
        r#""version": 7"#,
        r#""version": 7, "_type": "targets""#,
        1,
    );
    assert!(signed.len() > 256 * 1024);
    let bytes = envelope(&signers, &signed, 0b11);
    check_agree::<Targets>(&signers, &bytes, 2).unwrap();
    let keys = RoleKeys {
        keyids: &signers.keyids,
        threshold: 2,
        keys: &signers.keys,
    };
    let (_, result) = Metadata::<Targets>::from_bytes_verified(&bytes, keys).unwrap();
    assert!(result.verified());
    assert_eq!(result.distinct_signers(), 2);
}

#[test]
fn a_snapshot_with_many_entries_verifies_streamed() {
    let signers = signers();
    let meta: Vec<String> = (0..20_000)
        .map(|i| format!(r#""bin-{i:05}.json": {{"version": {}}}"#, i + 1))
        .collect();
    let signed = format!(
        r#"{{"_type": "snapshot", "expires": "2030-01-01T00:00:00Z", "meta": {{{}}}, "spec_version": "1.0.31", "version": 3}}"#,
        meta.join(", ")
    );
    let bytes = envelope(&signers, &signed, 0b01);
    check_agree::<Snapshot>(&signers, &bytes, 1).unwrap();
    // A tampered byte inside the streamed part fails the check.
    let tampered = String::from_utf8(bytes)
        .unwrap()
        .replacen(r#""version": 9000}"#, r#""version": 9001}"#, 1)
        .into_bytes();
    let keys = RoleKeys {
        keyids: &signers.keyids,
        threshold: 1,
        keys: &signers.keys,
    };
    let (_, result) = Metadata::<Snapshot>::from_bytes_verified(&tampered, keys).unwrap();
    assert!(!result.verified());
}
