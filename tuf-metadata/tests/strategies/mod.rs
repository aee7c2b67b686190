//! Proptest strategies shared by the property tests of this crate (`mod strategies;`): the
//! JSON values, strings, expiry times and spec versions every metadata strategy is built from.
// Each test binary uses a subset of these.
#![allow(dead_code)]

use proptest::prelude::*;
use serde_json::Value;
use tuf_metadata::{Expires, SpecVersion};

/// Strings with what needs escaping in JSON: quotes, backslashes, control characters, DEL,
/// non-ASCII, as well as plain letters and digits.
pub(crate) fn text(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just('"'),
            Just('\\'),
            Just('\n'),
            Just('\u{0}'),
            Just('\u{1f}'),
            (0u8..0x20).prop_map(char::from),
            Just('\u{7f}'),
            Just('é'),
            Just('😀'),
            Just('/'),
            any::<char>(),
            "[a-z0-9]".prop_map(|s| s.chars().next().unwrap_or('a')),
        ],
        0..max,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// A JSON scalar without floats (canonical JSON has none).
pub(crate) fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        text(10).prop_map(Value::String),
    ]
}

/// A JSON value without floats, nested up to three levels.
pub(crate) fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(text(6), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Any expiry time in the years 1 to 9999 (spec 4.2.1: `YYYY-MM-DDTHH:MM:SSZ`).
pub(crate) fn expires() -> impl Strategy<Value = Expires> {
    (-62_135_596_800i64..253_402_300_799)
        .prop_map(|s| Expires::from_unix_seconds(s).unwrap_or_else(|| panic!("{s} is in range")))
}

/// A few spec versions this crate accepts.
pub(crate) fn spec_version() -> impl Strategy<Value = SpecVersion> {
    prop_oneof![Just("1.0"), Just("1.0.31"), Just("1.0.34"), Just("1.2.3")].prop_map(|s| {
        s.parse()
            .unwrap_or_else(|e| panic!("{s} is a spec version: {e:?}"))
    })
}
