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
//! all go through [`to_vec`] / [`write()`].
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

mod pieces;
mod text;

pub use pieces::Pieces;

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
    /// The input text is not JSON as Python's `json.loads` reads it.
    #[error("not valid JSON at byte {offset}: {reason}")]
    Syntax {
        /// Byte offset of the problem.
        offset: usize,
        /// What is wrong there.
        reason: &'static str,
    },
    /// A string holds a lone UTF-16 surrogate (`"\ud800"`), which has no UTF-8 form.
    #[error("a string at byte {offset} holds a lone UTF-16 surrogate")]
    LoneSurrogate {
        /// Byte offset of the escape.
        offset: usize,
    },
    /// Arrays and objects nest deeper than [`MAX_DEPTH`].
    #[error("JSON nests deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

/// The deepest nesting [`from_json_text`] accepts (serde_json's own default limit).
pub const MAX_DEPTH: usize = 128;

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
    text::write_raw_string(string.as_bytes(), out);
}

/// Encodes JSON *text* in canonical form exactly as securesystemslib does after Python's
/// `json.loads`: integers keep every digit (arbitrary size; `-0` is the integer 0), a number
/// with a fraction or exponent is a float and is refused, escapes are decoded and strings
/// re-written with only `\` and `"` escaped, duplicate keys keep the last value, and keys are
/// sorted by code point.
///
/// This is what signatures are checked against: the canonical form of `signed` as received,
/// with nothing lost to an intermediate number type. Work is linear in the input plus the
/// sorting of each object's keys; nesting is bounded by [`MAX_DEPTH`].
///
/// ```
/// let text = br#"{ "b": [1, -0, 123456789012345678901234567890], "a": "\u00e9\n" }"#;
/// let bytes = tuf_crypto::canonical::from_json_text(text).unwrap();
/// assert_eq!(bytes, "{\"a\":\"é\n\",\"b\":[1,0,123456789012345678901234567890]}".as_bytes());
/// ```
///
/// # Errors
/// [`CanonicalJsonError::Syntax`] for text that is not JSON (including invalid UTF-8 and raw
/// control characters in strings, which `json.loads` also refuses),
/// [`CanonicalJsonError::Float`], [`CanonicalJsonError::LoneSurrogate`],
/// [`CanonicalJsonError::TooDeep`].
pub fn from_json_text(text: &[u8]) -> Result<Vec<u8>, CanonicalJsonError> {
    let mut out = Vec::with_capacity(text.len());
    match text::canonicalize(text, &mut out) {
        Ok(()) => Ok(out),
        Err(text::Fail::Json(error)) => Err(error),
        // A `Vec` takes back any byte; it never asks for a restart.
        Err(text::Fail::Restart) => Err(CanonicalJsonError::Syntax {
            offset: 0,
            reason: "internal: restart requested in memory",
        }),
    }
}

/// How [`stream_json_text`] delivered the canonical form.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum Streamed {
    /// Every byte went to the consumer, in order.
    Streamed,
    /// A shallow object turned out to have keys out of order after its start had been handed
    /// over: what the consumer received is void, and here is the whole canonical form.
    Buffered(Vec<u8>),
}

/// The canonical form of JSON text, as [`from_json_text`] computes it, handed to `consumer`
/// in pieces (of about 64 KiB) instead of held in memory: the way to check signatures over a
/// large role without a second copy of it.
///
/// Objects with keys in canonical order (what python-tuf writes) are streamed; objects deep
/// in the text with keys out of order are sorted in a small held-back buffer. Only when an
/// object near the top (depth 1 or 2) has keys out of order *after* part of it was handed
/// over does this fall back to memory: it returns [`Streamed::Buffered`], and the consumer
/// must discard what it was given.
///
/// ```
/// use tuf_crypto::canonical::{Streamed, stream_json_text};
/// let mut got = Vec::new();
/// let text = br#"{"b": {"y": 1, "x": 2}, "a": null}"#;
/// let streamed = stream_json_text(text, &mut |piece| got.extend_from_slice(piece)).unwrap();
/// assert_eq!(streamed, Streamed::Streamed);
/// assert_eq!(got, br#"{"a":null,"b":{"x":2,"y":1}}"#);
/// ```
///
/// # Errors
/// As [`from_json_text`]; the consumer may have received part of the form before the error.
pub fn stream_json_text(
    text: &[u8],
    consumer: &mut dyn FnMut(&[u8]),
) -> Result<Streamed, CanonicalJsonError> {
    let mut stream = text::Stream::new(consumer);
    match text::canonicalize(text, &mut stream) {
        Ok(()) => {
            stream.finish();
            Ok(Streamed::Streamed)
        }
        Err(text::Fail::Json(error)) => Err(error),
        Err(text::Fail::Restart) => from_json_text(text).map(Streamed::Buffered),
    }
}

/// How [`stream_json_value`] delivered the canonical form.
#[derive(Debug, PartialEq, Eq)]
#[must_use]
pub enum StreamedValue {
    /// Every byte went to the consumer, in order.
    Streamed,
    /// A shallow object turned out to have keys out of order after its start was handed over
    /// and no longer held: what the consumer received is void; canonicalise the whole text
    /// (held by the caller) with [`stream_json_text`] or [`from_json_text`] instead.
    Restart,
}

/// [`stream_json_text`] of the JSON value at the cursor of text arriving in pieces
/// (whitespace before it skipped): its canonical form is handed to `consumer` while the
/// pieces are read, and the cursor is left just after the value. Only a window of the text is
/// held ([`Pieces`]), so a download can be canonicalised (and its signatures checked) as it
/// arrives.
///
/// ```
/// use tuf_crypto::canonical::{Pieces, StreamedValue, stream_json_value};
/// let pieces = [&br#"{"b": {"y": 1, "#[..], br#""x": 2}, "a": null} ,"#].map(|p| p.to_vec());
/// let mut text = Pieces::new(pieces.into_iter());
/// let mut got = Vec::new();
/// let streamed = stream_json_value(&mut text, &mut |piece| got.extend_from_slice(piece));
/// assert_eq!(streamed.unwrap(), StreamedValue::Streamed);
/// assert_eq!(got, br#"{"a":null,"b":{"x":2,"y":1}}"#);
/// assert_eq!(text.fill(2), b" ,");
/// ```
///
/// # Errors
/// As [`from_json_text`] for the value, which need not be the whole text (what follows it is
/// left unread). The consumer may have received part of the form before the error.
pub fn stream_json_value<I: Iterator<Item: AsRef<[u8]>>>(
    input: &mut Pieces<I>,
    consumer: &mut dyn FnMut(&[u8]),
) -> Result<StreamedValue, CanonicalJsonError> {
    let at = input.offset();
    let mut stream = text::Stream::new(consumer);
    let (window, read) = text::canonicalize_value(input.window(), at, &mut stream);
    let (held, base) = (window.held, window.base);
    input.restore(held, base);
    match read {
        Ok(end) => {
            stream.finish();
            input.set_offset(end);
            Ok(StreamedValue::Streamed)
        }
        Err(text::Fail::Json(error)) => Err(error),
        Err(text::Fail::Restart) => Ok(StreamedValue::Restart),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn escapes_only_quote_and_backslash() {
        let value = json!("a\"b\\c\n\u{1}é");
        assert_eq!(
            to_vec(&value).unwrap(),
            "\"a\\\"b\\\\c\n\u{1}é\"".as_bytes()
        );
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
    fn text_form_matches_python_semantics() {
        let cases: &[(&str, Result<&str, ()>)] = &[
            ("-0", Ok("0")),
            ("[-0, 0, -10]", Ok("[0,0,-10]")),
            (
                "123456789012345678901234567890",
                Ok("123456789012345678901234567890"),
            ),
            (r#"{"a":1,"a":2}"#, Ok(r#"{"a":2}"#)),
            // The empty key sorts first, whatever follows a quote in the escaped form.
            ("{\"\\u0000\":1,\"\":2}", Ok("{\"\":2,\"\u{0}\":1}")),
            (
                r#"{"b":{"y":1,"x":2},"a":[{"d":1,"c":2}]}"#,
                Ok(r#"{"a":[{"c":2,"d":1}],"b":{"x":2,"y":1}}"#),
            ),
            (r#""\ud83d\ude00\/\b""#, Ok("\"😀/\u{8}\"")),
            (r#"{"a\"":1,"a#":2}"#, Ok(r#"{"a\"":1,"a#":2}"#)),
            ("1.0", Err(())),
            ("1e2", Err(())),
            ("-0.0", Err(())),
            ("NaN", Err(())),
            ("-Infinity", Err(())),
            (r#""\ud800""#, Err(())),
            ("\"a\u{1}\"", Err(())),
            ("01", Err(())),
            ("[1,]", Err(())),
            ("{} x", Err(())),
            ("", Err(())),
        ];
        for (input, expected) in cases {
            let result = from_json_text(input.as_bytes());
            match expected {
                Ok(canonical) => assert_eq!(
                    String::from_utf8(result.unwrap()).unwrap(),
                    *canonical,
                    "{input}"
                ),
                Err(()) => assert!(result.is_err(), "{input}"),
            }
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(
            from_json_text(deep.as_bytes()),
            Err(CanonicalJsonError::TooDeep)
        );
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(from_json_text(ok.as_bytes()).is_ok());
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
