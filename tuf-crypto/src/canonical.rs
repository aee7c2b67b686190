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
    write_raw_string(string.as_bytes(), out);
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
    let mut reader = TextReader {
        text,
        pos: 0,
        sorted_attempts: true,
        key_buffer: Vec::new(),
    };
    let mut out = Vec::with_capacity(text.len());
    reader.skip_whitespace();
    reader.value(&mut out, 0)?;
    reader.skip_whitespace();
    if reader.pos != text.len() {
        return Err(reader.error("trailing characters after the JSON value"));
    }
    Ok(out)
}

struct TextReader<'a> {
    text: &'a [u8],
    pos: usize,
    /// Whether objects may be tried on the in-order fast path (off inside a fallback
    /// re-parse, so that fallbacks never nest).
    sorted_attempts: bool,
    /// Reused buffer for decoded keys on the fast path.
    key_buffer: Vec<u8>,
}

impl TextReader<'_> {
    fn error(&self, reason: &'static str) -> CanonicalJsonError {
        CanonicalJsonError::Syntax {
            offset: self.pos,
            reason,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &'static [u8]) -> Result<(), CanonicalJsonError> {
        if self.text.get(self.pos..self.pos + literal.len()) == Some(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(self.error("unexpected characters"))
        }
    }

    fn value(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), CanonicalJsonError> {
        match self.peek() {
            Some(b'{') => self.object_in_order(out, depth + 1),
            Some(b'[') => self.array(out, depth + 1),
            Some(b'"') => {
                let mut decoded = Vec::new();
                self.string(&mut decoded)?;
                write_raw_string(&decoded, out);
                Ok(())
            }
            Some(b't') => {
                self.expect_literal(b"true")?;
                out.extend_from_slice(b"true");
                Ok(())
            }
            Some(b'f') => {
                self.expect_literal(b"false")?;
                out.extend_from_slice(b"false");
                Ok(())
            }
            Some(b'n') => {
                self.expect_literal(b"null")?;
                out.extend_from_slice(b"null");
                Ok(())
            }
            // Python's json.loads reads these as floats; canonical JSON has none.
            Some(b'N') | Some(b'I') => Err(self.float_literal()),
            Some(b'-') if self.text.get(self.pos + 1) == Some(&b'I') => Err(self.float_literal()),
            Some(b'-' | b'0'..=b'9') => self.number(out),
            Some(_) => Err(self.error("expected a JSON value")),
            None => Err(self.error("unexpected end of input")),
        }
    }

    fn float_literal(&mut self) -> CanonicalJsonError {
        for literal in [&b"NaN"[..], b"Infinity", b"-Infinity"] {
            if self.text.get(self.pos..self.pos + literal.len()) == Some(literal) {
                return CanonicalJsonError::Float {
                    number: String::from_utf8_lossy(literal).into_owned(),
                };
            }
        }
        self.error("expected a JSON value")
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, as Python's json scanner reads it.
    fn number(&mut self, out: &mut Vec<u8>) -> Result<(), CanonicalJsonError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let digits_start = self.pos;
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => {
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pos += 1;
                }
            }
            _ => return Err(self.error("expected digits")),
        }
        let digits_end = self.pos;
        let mut is_float = false;
        if self.peek() == Some(b'.') && matches!(self.text.get(self.pos + 1), Some(b'0'..=b'9')) {
            is_float = true;
            self.pos += 1;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mut look = self.pos + 1;
            if matches!(self.text.get(look), Some(b'+' | b'-')) {
                look += 1;
            }
            if matches!(self.text.get(look), Some(b'0'..=b'9')) {
                is_float = true;
                self.pos = look;
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pos += 1;
                }
            }
        }
        let digits = self.text.get(digits_start..digits_end).unwrap_or_default();
        if is_float {
            return Err(CanonicalJsonError::Float {
                number: String::from_utf8_lossy(self.text.get(start..self.pos).unwrap_or_default())
                    .into_owned(),
            });
        }
        // Python prints int(-0) as 0.
        if negative && digits != b"0" {
            out.push(b'-');
        }
        out.extend_from_slice(digits);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32, CanonicalJsonError> {
        let mut value = 0u32;
        for _ in 0..4 {
            let digit = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.error("invalid \\u escape")),
            };
            value = value * 16 + u32::from(digit);
            self.pos += 1;
        }
        Ok(value)
    }

    /// Reads a string, appending its decoded UTF-8 to `decoded`.
    fn string(&mut self, decoded: &mut Vec<u8>) -> Result<(), CanonicalJsonError> {
        self.pos += 1; // opening quote
        loop {
            let run_start = self.pos;
            while let Some(c) = self.peek() {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            let run = self.text.get(run_start..self.pos).unwrap_or_default();
            if std::str::from_utf8(run).is_err() {
                return Err(CanonicalJsonError::Syntax {
                    offset: run_start,
                    reason: "invalid UTF-8 in a string",
                });
            }
            decoded.extend_from_slice(run);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let escape_at = self.pos;
                    self.pos += 1;
                    let simple = match self.peek() {
                        Some(b'"') => Some(b'"'),
                        Some(b'\\') => Some(b'\\'),
                        Some(b'/') => Some(b'/'),
                        Some(b'b') => Some(0x08),
                        Some(b'f') => Some(0x0c),
                        Some(b'n') => Some(b'\n'),
                        Some(b'r') => Some(b'\r'),
                        Some(b't') => Some(b'\t'),
                        Some(b'u') => None,
                        _ => return Err(self.error("invalid escape")),
                    };
                    self.pos += 1;
                    if let Some(byte) = simple {
                        decoded.push(byte);
                        continue;
                    }
                    let first = self.hex4()?;
                    let code = match first {
                        0xD800..=0xDBFF => {
                            let pair = self.text.get(self.pos..self.pos + 2) == Some(b"\\u");
                            if !pair {
                                return Err(CanonicalJsonError::LoneSurrogate {
                                    offset: escape_at,
                                });
                            }
                            self.pos += 2;
                            let second = self.hex4()?;
                            if !(0xDC00..=0xDFFF).contains(&second) {
                                return Err(CanonicalJsonError::LoneSurrogate {
                                    offset: escape_at,
                                });
                            }
                            0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                        }
                        0xDC00..=0xDFFF => {
                            return Err(CanonicalJsonError::LoneSurrogate { offset: escape_at });
                        }
                        other => other,
                    };
                    let Some(ch) = char::from_u32(code) else {
                        return Err(CanonicalJsonError::LoneSurrogate { offset: escape_at });
                    };
                    let mut buffer = [0u8; 4];
                    decoded.extend_from_slice(ch.encode_utf8(&mut buffer).as_bytes());
                }
                Some(_) => return Err(self.error("control character in a string")),
                None => return Err(self.error("unterminated string")),
            }
        }
    }

    fn array(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), CanonicalJsonError> {
        if depth > MAX_DEPTH {
            return Err(CanonicalJsonError::TooDeep);
        }
        self.pos += 1;
        out.push(b'[');
        self.skip_whitespace();
        if self.peek() == Some(b']') {
            self.pos += 1;
            out.push(b']');
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            self.value(out, depth)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    out.push(b',');
                }
                Some(b']') => {
                    self.pos += 1;
                    out.push(b']');
                    return Ok(());
                }
                _ => return Err(self.error("expected `,` or `]`")),
            }
        }
    }

    /// Objects whose keys already arrive in canonical order (what python-tuf and this crate
    /// write) are copied straight through, with no per-member buffers. At the first key out of
    /// order (or a key needing an escape) the object is parsed again by the general path, with
    /// no fast attempts inside it. Only shallow objects are tried, so hostile input cannot
    /// make any byte be read more than `SORTED_ATTEMPT_DEPTH + 1` times.
    fn object_in_order(
        &mut self,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<(), CanonicalJsonError> {
        /// TUF's large objects sit at depth 4 or less (signed → targets → entry → hashes).
        const SORTED_ATTEMPT_DEPTH: usize = 4;
        if depth > SORTED_ATTEMPT_DEPTH || !self.sorted_attempts {
            return self.object(out, depth);
        }
        let (start_pos, start_out) = (self.pos, out.len());
        if self.object_if_sorted(out, depth)? {
            return Ok(());
        }
        self.pos = start_pos;
        out.truncate(start_out);
        self.sorted_attempts = false;
        let result = self.object(out, depth);
        self.sorted_attempts = true;
        result
    }

    /// Writes the object if its keys are strictly increasing and escape-free; `Ok(false)`
    /// (with `out` and the position to be reset by the caller) otherwise.
    fn object_if_sorted(
        &mut self,
        out: &mut Vec<u8>,
        depth: usize,
    ) -> Result<bool, CanonicalJsonError> {
        if depth > MAX_DEPTH {
            return Err(CanonicalJsonError::TooDeep);
        }
        self.pos += 1;
        out.push(b'{');
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            out.push(b'}');
            return Ok(true);
        }
        let mut previous: Option<(usize, usize)> = None;
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            if previous.is_some() {
                out.push(b',');
            }
            let key_start = out.len();
            let mut key = std::mem::take(&mut self.key_buffer);
            key.clear();
            self.string(&mut key)?;
            if key.contains(&b'\\') || key.contains(&b'"') {
                return Ok(false);
            }
            write_raw_string(&key, out);
            self.key_buffer = key;
            // The key's bytes without its quotes: with no escapes, they are the decoded key,
            // and byte order is code-point order.
            let key_range = (key_start + 1, out.len() - 1);
            if let Some((a, b)) = previous {
                let (Some(prev), Some(cur)) = (out.get(a..b), out.get(key_range.0..key_range.1))
                else {
                    return Ok(false);
                };
                if prev >= cur {
                    return Ok(false);
                }
            }
            previous = Some(key_range);
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:`"));
            }
            self.pos += 1;
            out.push(b':');
            self.skip_whitespace();
            self.value(out, depth)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    out.push(b'}');
                    return Ok(true);
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }

    fn object(&mut self, out: &mut Vec<u8>, depth: usize) -> Result<(), CanonicalJsonError> {
        if depth > MAX_DEPTH {
            return Err(CanonicalJsonError::TooDeep);
        }
        self.pos += 1;
        // (decoded key, canonical value); sorted and de-duplicated (last wins) at the end.
        let mut members: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            out.extend_from_slice(b"{}");
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let mut key = Vec::new();
            self.string(&mut key)?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:`"));
            }
            self.pos += 1;
            self.skip_whitespace();
            let mut value = Vec::new();
            self.value(&mut value, depth)?;
            members.push((key, value));
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
        // Stable sort keeps input order among equal keys; the last of each run wins, as in a
        // Python dict built from the pairs.
        members.sort_by(|a, b| a.0.cmp(&b.0));
        out.push(b'{');
        let mut first = true;
        let mut index = 0;
        while index < members.len() {
            let mut last = index;
            while members
                .get(last + 1)
                .is_some_and(|next| members.get(index).is_some_and(|cur| cur.0 == next.0))
            {
                last += 1;
            }
            if let Some((key, value)) = members.get(last) {
                if !first {
                    out.push(b',');
                }
                first = false;
                write_raw_string(key, out);
                out.push(b':');
                out.extend_from_slice(value);
            }
            index = last + 1;
        }
        out.push(b'}');
        Ok(())
    }
}

/// Writes decoded UTF-8 bytes as a canonical string.
fn write_raw_string(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'"' || byte == b'\\' {
            out.extend_from_slice(bytes.get(start..index).unwrap_or_default());
            out.push(b'\\');
            out.push(byte);
            start = index + 1;
        }
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
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
