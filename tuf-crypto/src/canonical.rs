//! Canonical JSON, byte for byte as securesystemslib's `encode_canonical` writes it.
//!
//! TUF signs and hashes the canonical form of JSON objects (spec section 4.2, "Metadata
//! format": "canonical JSON"). The reference implementation's dialect is OLPC canonical JSON as
//! securesystemslib implements it:
//!
//! - object keys sorted by Unicode code point (Python's `sorted` on `str`; UTF-8 byte order is
//!   the same order), compared *unescaped*;
//! - no insignificant whitespace;
//! - strings written as raw UTF-8 with only `\` and `"` escaped (control characters are written
//!   as they are, and no Unicode normalisation is applied);
//! - integers in plain decimal; floating-point numbers are refused.
//!
//! This is the one encoder of the workspace: key ids, signatures made and signatures verified
//! all go through [`to_vec`] / [`write`].
//!
//! # Why not `olpc-cjson`
//! The `olpc-cjson` crate differs from securesystemslib in two ways that change signed bytes:
//! it applies Unicode NFC normalisation to every string (so `"e\u{301}"` becomes `"é"`), and it
//! sorts object keys by their *escaped* form (so `a"` sorts after `a#`, while Python sorts it
//! before). The spec-vectors cases `nfd-string-not-normalised` and `key-order-unescaped` show
//! both differences.
//!
//! # Example
//! ```
//! let value = serde_json::json!({"b": [1, "x\"y"], "a": null});
//! let bytes = tuf_crypto::canonical::to_vec(&value).unwrap();
//! assert_eq!(bytes, br#"{"a":null,"b":[1,"x\"y"]}"#);
//! ```

use serde_json::Value;

/// Why a JSON value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CanonicalJsonError {
    /// Canonical JSON has no floating-point numbers; `number` is the offending value as
    /// serde_json prints it.
    #[error("canonical JSON cannot encode the non-integer number {number}")]
    Float {
        /// The number that was refused.
        number: String,
    },
}

/// Encodes `value` in canonical JSON.
///
/// # Errors
/// [`CanonicalJsonError::Float`] if the value holds a number that is not an integer.
pub fn to_vec(value: &Value) -> Result<Vec<u8>, CanonicalJsonError> {
    let mut out = Vec::with_capacity(256);
    write(value, &mut out)?;
    Ok(out)
}

/// Appends the canonical JSON encoding of `value` to `out`.
///
/// On error, `out` holds a partial encoding that must be discarded.
///
/// # Errors
/// [`CanonicalJsonError::Float`] if the value holds a number that is not an integer.
pub fn write(value: &Value, out: &mut Vec<u8>) -> Result<(), CanonicalJsonError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => {
            if number.is_i64() || number.is_u64() {
                // serde_json prints integers in plain decimal, as Python's `str(int)` does.
                out.extend_from_slice(number.to_string().as_bytes());
            } else {
                return Err(CanonicalJsonError::Float {
                    number: number.to_string(),
                });
            }
        }
        Value::String(string) => write_string(string, out),
        Value::Array(items) => {
            out.push(b'[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write(item, out)?;
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sort explicitly: serde_json's map is ordered by key only while no crate in the
            // build enables its `preserve_order` feature. Byte order of UTF-8 keys is code-point
            // order, as Python sorts `str`.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (index, (key, item)) in entries.into_iter().enumerate() {
                if index > 0 {
                    out.push(b',');
                }
                write_string(key, out);
                out.push(b':');
                write(item, out)?;
            }
            out.push(b'}');
        }
    }
    Ok(())
}

/// Writes a string with only `\` and `"` escaped, as securesystemslib's
/// `_canonical_string_encoder` does.
fn write_string(string: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = string.as_bytes();
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'"' || byte == b'\\' {
            out.extend_from_slice(&bytes[start..index]);
            out.push(b'\\');
            out.push(byte);
            start = index + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_only_quote_and_backslash() {
        let value = json!("a\"b\\c\n\u{1}é");
        assert_eq!(to_vec(&value).unwrap(), "\"a\\\"b\\\\c\n\u{1}é\"".as_bytes());
    }

    #[test]
    fn sorts_keys_unescaped() {
        let value: Value = serde_json::from_str(r#"{"a#":1,"a\"":2}"#).unwrap();
        assert_eq!(to_vec(&value).unwrap(), br#"{"a\"":2,"a#":1}"#);
    }

    #[test]
    fn refuses_floats() {
        let value: Value = serde_json::from_str("[1.0]").unwrap();
        assert_eq!(
            to_vec(&value),
            Err(CanonicalJsonError::Float {
                number: "1.0".into()
            })
        );
    }

    #[test]
    fn integers_at_the_edges() {
        let value = json!([i64::MIN, u64::MAX, 0, -1]);
        assert_eq!(
            to_vec(&value).unwrap(),
            format!("[{},{},0,-1]", i64::MIN, u64::MAX).as_bytes()
        );
    }
}
