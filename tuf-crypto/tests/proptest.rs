//! Property tests: exact JSON round trips of public keys, and canonical JSON's independence
//! from the layout of the JSON text it was parsed from.

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value};
use tuf_crypto::{PublicKey, canonical};

/// JSON scalars, without floating-point numbers (canonical JSON has none).
fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ]
}

/// Arbitrary float-free JSON values.
fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Objects of arbitrary fields, none of them named like one in `reserved`.
fn extra_fields(reserved: &'static [&'static str]) -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::btree_map(".{0,10}", json_value(), 0..5).prop_map(move |map| {
        map.into_iter()
            .filter(|(name, _)| !reserved.contains(&name.as_str()))
            .collect()
    })
}

/// Key objects in the securesystemslib form with arbitrary unknown fields.
fn key_object() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("ed25519".to_owned()), Just("rsa".to_owned()), ".{0,8}"],
        prop_oneof![
            Just("ed25519".to_owned()),
            Just("rsassa-pss-sha256".to_owned()),
            ".{0,8}"
        ],
        ".{0,70}",
        extra_fields(&["public"]),
        extra_fields(&["keytype", "scheme", "keyval"]),
    )
        .prop_map(|(keytype, scheme, public, mut keyval, mut object)| {
            keyval.insert("public".into(), Value::String(public));
            object.insert("keytype".into(), Value::String(keytype));
            object.insert("scheme".into(), Value::String(scheme));
            object.insert("keyval".into(), Value::Object(keyval));
            Value::Object(object)
        })
}

/// Writes `value` as JSON text with object members in reverse order and `space` between
/// tokens: a different text for the same JSON value.
fn write_reordered(value: &Value, space: &str, out: &mut String) {
    match value {
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(space);
                write_reordered(item, space, out);
            }
            out.push_str(space);
            out.push(']');
        }
        Value::Object(map) => {
            out.push('{');
            for (index, (name, item)) in map.iter().rev().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                out.push_str(space);
                out.push_str(&Value::String(name.clone()).to_string());
                out.push_str(space);
                out.push(':');
                out.push_str(space);
                write_reordered(item, space, out);
            }
            out.push_str(space);
            out.push('}');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        // Failing cases are kept in tests/proptest.regressions.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("regressions"))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn public_key_json_round_trip_is_exact(object in key_object()) {
        let key = PublicKey::from_value(object.clone()).unwrap();
        prop_assert_eq!(key.to_value(), object.clone());
        prop_assert_eq!(serde_json::to_value(&key).unwrap(), object.clone());

        let text = serde_json::to_string(&key).unwrap();
        let again: PublicKey = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&again, &key);
        prop_assert_eq!(again.to_value(), object);
        prop_assert_eq!(again.key_id(), key.key_id());

        let pretty: PublicKey =
            serde_json::from_str(&serde_json::to_string_pretty(&key).unwrap()).unwrap();
        prop_assert_eq!(pretty, key);
    }

    #[test]
    fn canonical_form_ignores_layout(value in json_value()) {
        let expected = canonical::to_vec(&value).unwrap();
        let compact: Value = serde_json::from_str(&serde_json::to_string(&value).unwrap()).unwrap();
        let pretty: Value =
            serde_json::from_str(&serde_json::to_string_pretty(&value).unwrap()).unwrap();
        prop_assert_eq!(&canonical::to_vec(&compact).unwrap(), &expected);
        prop_assert_eq!(&canonical::to_vec(&pretty).unwrap(), &expected);
        for space in ["", " ", "\n\t ", "\r\n"] {
            let mut text = String::new();
            write_reordered(&value, space, &mut text);
            let reordered: Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(&canonical::to_vec(&reordered).unwrap(), &expected);
        }
        // (The canonical bytes are not always JSON serde_json reads back: like securesystemslib,
        // they hold control characters unescaped.)
    }
}

/// Serialises `value` with object keys in *reverse* order (and a space after each separator),
/// so the text canonicaliser must sort instead of copying through.
fn reversed_text(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let members: Vec<String> = map
                .iter()
                .rev()
                .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), reversed_text(v)))
                .collect();
            format!("{{ {} }}", members.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(reversed_text).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::with_cases(256)
    })]

    /// Canonicalising the text equals canonicalising the parsed value, whether the keys arrive
    /// sorted (the copy-through path), reversed (the sorting path) or pretty-printed.
    #[test]
    fn text_canonicaliser_matches_value_encoder(value in json_value()) {
        let expected = canonical::to_vec(&value).unwrap();
        for text in [
            serde_json::to_string(&value).unwrap(),
            serde_json::to_string_pretty(&value).unwrap(),
            reversed_text(&value),
        ] {
            prop_assert_eq!(&canonical::from_json_text(text.as_bytes()).unwrap(), &expected, "{}", text);
        }
    }
}

/// Splits `text` into pieces of the given sizes (cycled; a zero makes an empty piece).
fn split(text: &[u8], sizes: &[usize]) -> Vec<Vec<u8>> {
    let (mut pieces, mut at) = (Vec::new(), 0);
    let progress = sizes.iter().any(|&size| size > 0);
    for &size in sizes.iter().cycle() {
        if at >= text.len() {
            break;
        }
        let size = if progress { size } else { 1 };
        let end = (at + size).min(text.len());
        pieces.push(text[at..end].to_vec());
        at = end;
    }
    pieces
}

/// JSON text for `value` in one of three layouts, maybe after 60-120 KiB of another member
/// (so that text read in pieces is no longer held whole when `value` is read), then edited byte
/// by byte (so that much of it is not JSON, or not canonicalisable, any more).
fn edited_text() -> impl Strategy<Value = Vec<u8>> {
    (
        json_value(),
        0..3usize,
        prop::option::of(3000..6000usize),
        prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0..3u8), 0..3),
    )
        .prop_map(|(value, layout, padded, edits)| {
            let text = match layout {
                0 => serde_json::to_string(&value).unwrap_or_default(),
                1 => serde_json::to_string_pretty(&value).unwrap_or_default(),
                _ => reversed_text(&value),
            };
            let mut text = match padded {
                Some(n) => format!(
                    r#"{{"a": [{}], "b": {text}}}"#,
                    vec!["\"0123456789abcdef\""; n].join(", ")
                ),
                None => text,
            }
            .into_bytes();
            text.push(b' ');
            for (at, byte, kind) in edits {
                let at = at.index(text.len());
                match kind {
                    0 => text[at] = byte,
                    1 => text.insert(at, byte),
                    _ => drop(text.remove(at)),
                }
                if text.is_empty() {
                    text.push(byte);
                }
            }
            text
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::with_cases(512)
    })]

    /// Text read in pieces of any sizes is canonicalised exactly as the whole text: the same
    /// bytes, the same error (offset included), or a restart; and the cursor ends just after
    /// the value, so what follows it is what the whole-text reader calls trailing.
    #[test]
    fn pieces_canonicalise_as_the_whole_text(
        text in edited_text(),
        sizes in prop::collection::vec(0..2000usize, 1..6),
    ) {
        let whole = canonical::from_json_text(&text);
        let mut pieces = canonical::Pieces::new(split(&text, &sizes).into_iter());
        let mut got = Vec::new();
        let streamed = canonical::stream_json_value(&mut pieces, &mut |piece| {
            got.extend_from_slice(piece)
        });
        match streamed {
            Ok(canonical::StreamedValue::Streamed) => {
                pieces.skip_whitespace();
                match &whole {
                    Ok(form) => {
                        prop_assert!(pieces.at_end());
                        prop_assert_eq!(&got, form);
                    }
                    Err(canonical::CanonicalJsonError::Syntax { offset, reason }) => {
                        prop_assert_eq!(*reason, "trailing characters after the JSON value");
                        prop_assert_eq!(pieces.offset(), *offset);
                        prop_assert!(!pieces.at_end());
                        // The value before the trailing characters, alone, is what was streamed.
                        let value = canonical::from_json_text(&text[..*offset]);
                        prop_assert_eq!(value.as_ref(), Ok(&got));
                    }
                    Err(other) => prop_assert!(false, "streamed, but the whole text: {other}"),
                }
            }
            Ok(canonical::StreamedValue::Restart) => {}
            Err(error) => prop_assert_eq!(Err(error), whole),
        }
    }
}
