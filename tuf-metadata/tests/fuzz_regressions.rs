//! Inputs the fuzz targets (`fuzz/`, `cargo xtask fuzz`) found crashing, kept as regression
//! tests. Each file in `tests/fuzz-regressions/` is the input exactly as libFuzzer wrote it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use tuf_metadata::{Error, Metadata, Snapshot, Targets, canonical};

/// `metadata_snapshot`: an unknown field holding the integer `-0` (Python reads 0). serde_json
/// keeps it as the float -0.0, and `to_bytes` wrote `-0.0`, which has no canonical form, so the
/// written metadata could not be read back.
#[test]
fn negative_zero_in_an_unknown_field_round_trips() {
    let input = include_bytes!("fuzz-regressions/snapshot-negative-zero.json");
    let parsed = Metadata::<Snapshot>::from_bytes(input).unwrap();
    let written = parsed.to_bytes();
    let again = Metadata::<Snapshot>::from_bytes(&written).unwrap();
    assert_eq!(again.to_bytes(), written);
    assert_eq!(
        again.signed_bytes().unwrap(),
        parsed.signed_bytes().unwrap()
    );
}

/// `metadata_targets`: an integer beyond 64 bits in `custom`. Received metadata keeps its
/// exact text for verification (as Python's arbitrary-precision integers would); written back
/// from the parsed value it becomes a float, which reading refuses with a typed error instead
/// of accepting a changed document (a known limitation, see fuzz/README.md).
#[test]
fn integer_beyond_64_bits_is_exact_when_received_and_refused_when_rewritten() {
    let input = include_bytes!("fuzz-regressions/targets-integer-beyond-64-bits.json");
    let parsed = Metadata::<Targets>::from_bytes(input).unwrap();
    let canonical = parsed.signed_bytes().unwrap();
    assert!(
        String::from_utf8_lossy(&canonical).contains("\"big\":18446744073709599137"),
        "{}",
        String::from_utf8_lossy(&canonical)
    );
    let written = parsed.to_bytes();
    assert!(matches!(
        Metadata::<Targets>::from_bytes(&written),
        Err(Error::CanonicalJson(
            canonical::CanonicalJsonError::Float { .. }
        ))
    ));
}

/// `metadata_timestamp`: the same class as above, in a snapshot entry's unknown field
/// (`l@ength`): parsed, and refused with a typed error once rewritten.
#[test]
fn timestamp_with_an_integer_beyond_64_bits_is_refused_when_rewritten() {
    let input = include_bytes!("fuzz-regressions/timestamp-integer-beyond-64-bits.json");
    let parsed = Metadata::<tuf_metadata::Timestamp>::from_bytes(input).unwrap();
    assert!(matches!(
        Metadata::<tuf_metadata::Timestamp>::from_bytes(&parsed.to_bytes()),
        Err(Error::CanonicalJson(
            canonical::CanonicalJsonError::Float { .. }
        ))
    ));
}
