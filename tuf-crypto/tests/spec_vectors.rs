//! The shared reference vectors of the `spec-vectors` crate (made by python-tuf 7.0.1 /
//! securesystemslib 1.6.0 / pyca/cryptography 50.0.2): this crate must agree with the
//! reference on every key id, every signature verdict and every canonical JSON encoding.

// Test code: helper functions outside `#[test]` may unwrap too.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use tuf_crypto::{KeyId, PrivateKey, PublicKey, Scheme, Signer, canonical};

fn keys() -> BTreeMap<String, (spec_vectors::KeyCase, PublicKey)> {
    spec_vectors::keys()
        .unwrap()
        .into_iter()
        .map(|case| {
            let key = PublicKey::from_value(case.public_key.clone()).unwrap();
            (case.name.clone(), (case, key))
        })
        .collect()
}

#[test]
fn key_ids_and_forms() {
    let keys = keys();
    assert!(keys.len() >= Scheme::ALL.len());
    for (name, (case, key)) in &keys {
        assert_eq!(key.key_id(), KeyId::new(&case.keyid), "{name}");
        assert_eq!(&key.to_value(), &case.public_key, "{name}");
        assert_eq!(key.keytype(), case.keytype);
        let scheme: Scheme = case.scheme.parse().unwrap();
        assert_eq!(key.scheme(), Some(scheme), "{name}");

        let private = PrivateKey::from_pkcs8_pem(&case.private_key_pem, scheme).unwrap();
        let signature = private.try_sign(b"spec-vectors").unwrap();
        assert_eq!(key.verify(b"spec-vectors", &signature), Ok(()), "{name}");
        if name.as_str() == scheme.as_str() || name.starts_with("ed25519-rotated") {
            // Main keys: the securesystemslib form is exactly what this crate builds.
            assert_eq!(private.public_key(), key, "{name}");
            assert_eq!(private.key_id().as_str(), case.keyid);
            assert_eq!(
                private.to_pkcs8_pem().unwrap(),
                case.private_key_pem,
                "{name}"
            );
        }
    }
}

#[test]
fn signature_verdicts() {
    let keys = keys();
    let cases = spec_vectors::signatures().unwrap();
    assert!(!cases.is_empty());
    for case in cases {
        let (_, key) = &keys[&case.key];
        let verdict = key.verify_hex(&case.message, &case.signature);
        // This crate follows the reference even where it is lenient.
        assert_eq!(verdict.is_ok(), case.valid, "{}: {verdict:?}", case.name);
        if !case.valid {
            assert_eq!(
                verdict,
                Err(tuf_crypto::Error::BadSignature),
                "{}",
                case.name
            );
        }
    }
}

/// Cases where parsing through `serde_json::Value` cannot agree with the reference, whatever
/// the canonical encoder does: serde_json reads the integer `-0` as the float `-0.0` (the same
/// `Value` as the text `-0.0`, which the reference refuses as a float), while Python's
/// `json.loads` reads it as the integer `0`. Received metadata does not go through this path:
/// it is canonicalised from its text by `canonical::from_json_text`, which agrees on every
/// case (`canonical_json_text_cases`).
const KNOWN_DISAGREEMENTS: &[&str] = &["negative-zero-integer", "integers-in-array"];

#[test]
fn canonical_json_cases() {
    let mut disagreements = Vec::new();
    for case in spec_vectors::canonical_json().unwrap() {
        let encoded = serde_json::from_str::<serde_json::Value>(&case.input)
            .ok()
            .and_then(|value| canonical::to_vec(&value).ok())
            .map(|bytes| String::from_utf8(bytes).unwrap());
        if encoded != case.expected {
            disagreements.push((case.name, case.input, case.expected, encoded));
        }
    }
    let names: Vec<&str> = disagreements.iter().map(|d| d.0.as_str()).collect();
    assert_eq!(names, KNOWN_DISAGREEMENTS, "{disagreements:#?}");
    for (name, input, _, here) in &disagreements {
        assert!(input.contains("-0") && here.is_none(), "{name}");
    }
}

/// The text canonicaliser, which received metadata goes through, agrees with the reference on
/// every case: the encoding where the reference has one, and a refusal where it refuses.
#[test]
fn canonical_json_text_cases() {
    let cases = spec_vectors::canonical_json().unwrap();
    assert!(cases.len() >= 40);
    for case in cases {
        let ours = canonical::from_json_text(case.input.as_bytes())
            .ok()
            .map(|bytes| String::from_utf8(bytes).unwrap());
        assert_eq!(ours, case.expected, "{}: {}", case.name, case.description);
    }
}
