//! The canonical form of JSON *text*, read once, written to memory or streamed.
//!
//! See [`super::from_json_text`] for the dialect. The reader writes through [`Out`], so the
//! same code fills a `Vec` or feeds a consumer (a signature check) in pieces
//! ([`super::stream_json_text`]) without ever holding the whole canonical form.
//!
//! Objects whose keys already arrive in canonical order (what python-tuf and this workspace
//! write) are written as they are read. At the first key out of order the object is read
//! again by the general path, which sorts its members; the bytes written for it so far are
//! taken back ([`Out::rewind`]). A stream keeps such bytes back only for deep (small)
//! objects; when a shallow object must be taken back after its start was already streamed,
//! the stream reports [`Fail::Restart`] and the caller starts over in memory.

use super::{CanonicalJsonError, MAX_DEPTH};

/// Objects at this depth or deeper keep their bytes rewindable in a stream (a target entry
/// and its `hashes` in TUF: signed → targets → entry → hashes is depth 4).
const HOLD_DEPTH: usize = 3;

/// TUF's large objects sit at depth 4 or less; only those are tried on the in-order path, so
/// hostile input cannot make any byte be read more than `SORTED_ATTEMPT_DEPTH + 1` times.
const SORTED_ATTEMPT_DEPTH: usize = 4;

/// A stream hands its consumer pieces of about this size.
const CHUNK: usize = 64 * 1024;

/// Why reading stopped.
pub(super) enum Fail {
    /// The text has no canonical form.
    Json(CanonicalJsonError),
    /// Streamed bytes would have to be taken back: start over in memory.
    Restart,
}

impl From<CanonicalJsonError> for Fail {
    fn from(error: CanonicalJsonError) -> Self {
        Fail::Json(error)
    }
}

/// Where canonical bytes go.
pub(super) trait Out {
    fn push(&mut self, byte: u8);
    fn extend(&mut self, bytes: &[u8]);
    /// The current position. With `hold`, the bytes from here on stay rewindable until
    /// [`Out::release`] or [`Out::rewind`] (marks nest).
    fn mark(&mut self, hold: bool) -> usize;
    /// Takes back every byte written since `mark` (made with the same `hold`).
    fn rewind(&mut self, mark: usize, hold: bool) -> Result<(), Fail>;
    /// Ends the innermost mark without rewinding.
    fn release(&mut self, hold: bool);
}

impl Out for Vec<u8> {
    fn push(&mut self, byte: u8) {
        Vec::push(self, byte);
    }
    fn extend(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
    fn mark(&mut self, _hold: bool) -> usize {
        self.len()
    }
    fn rewind(&mut self, mark: usize, _hold: bool) -> Result<(), Fail> {
        self.truncate(mark);
        Ok(())
    }
    fn release(&mut self, _hold: bool) {}
}

/// Where the reader's text comes from: all at once (a slice), or in pieces as it arrives
/// ([`super::Pieces`]). Positions are absolute offsets in the whole text.
pub(super) trait Input {
    /// The text held, its first byte at offset [`Input::base`].
    fn held(&self) -> &[u8];
    /// The offset of the first byte held.
    fn base(&self) -> usize;
    /// Reads the next piece, keeping every byte from offset `keep` on (bytes before it may be
    /// dropped). `false` once the text has ended.
    fn more(&mut self, keep: usize) -> bool;
}

impl Input for &[u8] {
    fn held(&self) -> &[u8] {
        self
    }
    fn base(&self) -> usize {
        0
    }
    fn more(&mut self, _keep: usize) -> bool {
        false
    }
}

/// Canonical bytes handed to a consumer in pieces of about [`CHUNK`] bytes.
pub(super) struct Stream<'c> {
    buffer: Vec<u8>,
    /// Bytes already handed over.
    flushed: usize,
    /// Positions of the held marks, oldest first; nothing from the oldest on is handed over.
    holds: Vec<usize>,
    consumer: &'c mut dyn FnMut(&[u8]),
}

impl<'c> Stream<'c> {
    pub(super) fn new(consumer: &'c mut dyn FnMut(&[u8])) -> Self {
        Stream {
            buffer: Vec::with_capacity(CHUNK + CHUNK / 2),
            flushed: 0,
            holds: Vec::new(),
            consumer,
        }
    }

    #[inline]
    fn maybe_flush(&mut self) {
        if self.buffer.len() < CHUNK {
            return;
        }
        self.flush();
    }

    #[cold]
    fn flush(&mut self) {
        let limit = self
            .holds
            .first()
            .map_or(self.buffer.len(), |&hold| hold.saturating_sub(self.flushed));
        if limit < CHUNK / 2 {
            return;
        }
        let limit = limit.min(self.buffer.len());
        (self.consumer)(self.buffer.get(..limit).unwrap_or_default());
        self.buffer.drain(..limit);
        self.flushed += limit;
    }

    /// Hands over what is left.
    pub(super) fn finish(self) {
        if !self.buffer.is_empty() {
            (self.consumer)(&self.buffer);
        }
    }
}

impl Out for Stream<'_> {
    #[inline]
    fn push(&mut self, byte: u8) {
        self.buffer.push(byte);
        self.maybe_flush();
    }
    #[inline]
    fn extend(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        self.maybe_flush();
    }
    fn mark(&mut self, hold: bool) -> usize {
        let position = self.flushed + self.buffer.len();
        if hold {
            self.holds.push(position);
        }
        position
    }
    fn rewind(&mut self, mark: usize, hold: bool) -> Result<(), Fail> {
        if hold {
            self.holds.pop();
        }
        if mark < self.flushed {
            return Err(Fail::Restart);
        }
        self.buffer.truncate(mark - self.flushed);
        Ok(())
    }
    fn release(&mut self, hold: bool) {
        if hold {
            self.holds.pop();
        }
    }
}

/// Reads one JSON value from `text` (whitespace around it allowed) and writes its canonical
/// form to `out`.
pub(super) fn canonicalize<O: Out>(text: &[u8], out: &mut O) -> Result<(), Fail> {
    let mut reader = TextReader::new(text, 0);
    reader.skip_whitespace();
    reader.value(out, 0)?;
    reader.skip_whitespace();
    if reader.pos != text.len() {
        return Err(reader
            .error("trailing characters after the JSON value")
            .into());
    }
    Ok(())
}

/// Reads one JSON value from `input` at offset `at` (whitespace before it skipped) and writes
/// its canonical form to `out`.
/// Returns the input back, with the offset just after the value.
pub(super) fn canonicalize_value<I: Input, O: Out>(
    input: I,
    at: usize,
    out: &mut O,
) -> (I, Result<usize, Fail>) {
    let mut reader = TextReader::new(input, at);
    reader.skip_whitespace();
    let read = reader.value(out, 0).map(|()| reader.pos);
    (reader.input, read)
}

/// Writes decoded UTF-8 bytes as a canonical string: only `\` and `"` escaped, as
/// securesystemslib's `_canonical_string_encoder` does.
pub(super) fn write_raw_string<O: Out>(bytes: &[u8], out: &mut O) {
    out.push(b'"');
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        if byte == b'"' || byte == b'\\' {
            out.extend(bytes.get(start..index).unwrap_or_default());
            out.push(b'\\');
            out.push(byte);
            start = index + 1;
        }
    }
    out.extend(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

/// Whether the 8 bytes of `word` include `"`, `\` or a control character (below 0x20).
fn has_special(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    // Bytes below 0x20 (exact for bytes below 0x80; bytes at or above 0x80 never match).
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    (quote | backslash | control) != 0
}

/// The index of the first `"`, `\` or control character in `bytes` (or its length), and
/// whether any byte before it is not ASCII.
fn special_position(bytes: &[u8]) -> (usize, bool) {
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut offset = 0;
    let mut high = 0u64;
    for chunk in bytes.chunks_exact(8) {
        let Ok(word) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let word = u64::from_le_bytes(word);
        if has_special(word) {
            break;
        }
        high |= word;
        offset += 8;
    }
    let tail = bytes.get(offset..).unwrap_or_default();
    let length = tail
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(tail.len());
    let non_ascii = high & HIGH != 0 || tail.get(..length).is_some_and(|t| !t.is_ascii());
    (offset + length, non_ascii)
}

/// Whether `run` (found by [`special_position`]) is valid UTF-8.
fn valid_utf8(run: &[u8], non_ascii: bool) -> bool {
    !non_ascii || std::str::from_utf8(run).is_ok()
}

struct TextReader<I> {
    input: I,
    /// The offset of the next byte to read.
    pos: usize,
    /// Where the token being read (a string or a number) starts: held while more text is
    /// read, since its bytes are copied out once it ends.
    token: usize,
    /// Where the held objects being read on the in-order path start (outermost first): held,
    /// since such an object may have to be read again.
    pins: Vec<usize>,
    /// Whether objects may be tried on the in-order path (off inside a fallback re-parse, so
    /// that fallbacks never nest).
    sorted_attempts: bool,
    /// Reused buffer for strings with escapes.
    scratch: Vec<u8>,
    /// Reused key buffers of the in-order path.
    key_pool: Vec<Vec<u8>>,
}

impl<I: Input> TextReader<I> {
    fn new(input: I, pos: usize) -> Self {
        TextReader {
            input,
            pos,
            token: pos,
            pins: Vec::new(),
            sorted_attempts: true,
            scratch: Vec::new(),
            key_pool: Vec::new(),
        }
    }

    fn error(&self, reason: &'static str) -> CanonicalJsonError {
        CanonicalJsonError::Syntax {
            offset: self.pos,
            reason,
        }
    }

    // Offsets before the held bytes are never read (`pins` and `token` keep what is still
    // needed); were one asked for, the wrapped index is out of range and reads as absent.

    /// The held bytes in `range` (offsets in the whole text), if all are held.
    #[inline]
    fn get(&self, range: std::ops::Range<usize>) -> Option<&[u8]> {
        let base = self.input.base();
        self.input
            .held()
            .get(range.start.wrapping_sub(base)..range.end.wrapping_sub(base))
    }

    /// The held bytes from offset `at` on.
    #[inline]
    fn held_from(&self, at: usize) -> &[u8] {
        self.input
            .held()
            .get(at.wrapping_sub(self.input.base())..)
            .unwrap_or_default()
    }

    /// Reads more of the text until every byte before offset `end` is held; `false` if the
    /// text ends first. A slice holds all of it, so this reads nothing there.
    #[cold]
    fn fill_to(&mut self, end: usize) -> bool {
        loop {
            if self.input.base().saturating_add(self.input.held().len()) >= end {
                return true;
            }
            let keep = self
                .pins
                .first()
                .map_or(self.token, |&pin| pin.min(self.token))
                .min(self.pos);
            if !self.input.more(keep) {
                return false;
            }
        }
    }

    /// The byte at offset `at`, reading more of the text if needed.
    #[inline]
    fn at(&mut self, at: usize) -> Option<u8> {
        if let Some(&byte) = self.input.held().get(at.wrapping_sub(self.input.base())) {
            return Some(byte);
        }
        if !self.fill_to(at.saturating_add(1)) {
            return None;
        }
        self.get(at..at.saturating_add(1))
            .and_then(|b| b.first().copied())
    }

    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.at(self.pos)
    }

    /// Whether the text at the cursor is `literal` (read as far as needed).
    fn looking_at(&mut self, literal: &[u8]) -> bool {
        let end = self.pos.saturating_add(literal.len());
        self.fill_to(end);
        self.get(self.pos..end) == Some(literal)
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect_literal(&mut self, literal: &'static [u8]) -> Result<(), CanonicalJsonError> {
        if self.looking_at(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(self.error("unexpected characters"))
        }
    }

    fn value<O: Out>(&mut self, out: &mut O, depth: usize) -> Result<(), Fail> {
        match self.peek() {
            Some(b'{') => self.object_in_order(out, depth + 1),
            Some(b'[') => self.array(out, depth + 1),
            Some(b'"') => self.string_value(out),
            Some(b't') => {
                self.expect_literal(b"true")?;
                out.extend(b"true");
                Ok(())
            }
            Some(b'f') => {
                self.expect_literal(b"false")?;
                out.extend(b"false");
                Ok(())
            }
            Some(b'n') => {
                self.expect_literal(b"null")?;
                out.extend(b"null");
                Ok(())
            }
            // Python's json.loads reads these as floats; canonical JSON has none.
            Some(b'N') | Some(b'I') => Err(self.float_literal().into()),
            Some(b'-') if self.at(self.pos + 1) == Some(b'I') => Err(self.float_literal().into()),
            Some(b'-' | b'0'..=b'9') => Ok(self.number(out)?),
            Some(_) => Err(self.error("expected a JSON value").into()),
            None => Err(self.error("unexpected end of input").into()),
        }
    }

    fn float_literal(&mut self) -> CanonicalJsonError {
        for literal in [&b"NaN"[..], b"Infinity", b"-Infinity"] {
            if self.looking_at(literal) {
                return CanonicalJsonError::Float {
                    number: String::from_utf8_lossy(literal).into_owned(),
                };
            }
        }
        self.error("expected a JSON value")
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, as Python's json scanner reads it.
    fn number<O: Out>(&mut self, out: &mut O) -> Result<(), CanonicalJsonError> {
        let start = self.pos;
        self.token = start;
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
        if self.peek() == Some(b'.') && matches!(self.at(self.pos + 1), Some(b'0'..=b'9')) {
            is_float = true;
            self.pos += 1;
            while matches!(self.peek(), Some(b'0'..=b'9')) {
                self.pos += 1;
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mut look = self.pos + 1;
            if matches!(self.at(look), Some(b'+' | b'-')) {
                look += 1;
            }
            if matches!(self.at(look), Some(b'0'..=b'9')) {
                is_float = true;
                self.pos = look;
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.pos += 1;
                }
            }
        }
        if is_float {
            return Err(CanonicalJsonError::Float {
                number: String::from_utf8_lossy(self.get(start..self.pos).unwrap_or_default())
                    .into_owned(),
            });
        }
        // Python prints int(-0) as 0.
        let digits = self.get(digits_start..digits_end).unwrap_or_default();
        if negative && digits != b"0" {
            out.push(b'-');
        }
        out.extend(digits);
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

    /// The length of the run from offset `start` up to the first `"`, `\` or control
    /// character (or the end of the text), and whether the run has a byte that is not ASCII.
    /// Reads more of the text while the run reaches the end of what is held.
    #[inline]
    fn run_from(&mut self, start: usize) -> (usize, bool) {
        let (mut length, mut non_ascii) = (0, false);
        loop {
            let rest = self.held_from(start + length);
            let (found, high) = special_position(rest);
            let ended_inside = found < rest.len();
            length += found;
            non_ascii |= high;
            if ended_inside || !self.fill_to(start + length + 1) {
                return (length, non_ascii);
            }
        }
    }

    /// The string at the cursor when it has no escape: the text between its quotes (valid
    /// UTF-8, no control character), with the cursor moved past it. `None` (cursor unmoved)
    /// when it has an escape or is not well-formed; [`TextReader::string`] then reads it.
    #[inline]
    fn plain_string(&mut self) -> Result<Option<std::ops::Range<usize>>, CanonicalJsonError> {
        self.token = self.pos;
        let start = self.pos + 1;
        let (length, non_ascii) = self.run_from(start);
        if self.at(start + length) != Some(b'"') {
            return Ok(None);
        }
        let run = self.get(start..start + length).unwrap_or_default();
        if !valid_utf8(run, non_ascii) {
            return Err(CanonicalJsonError::Syntax {
                offset: start,
                reason: "invalid UTF-8 in a string",
            });
        }
        self.pos = start + length + 1;
        Ok(Some(start..start + length))
    }

    /// A string value: text without escapes is already canonical (it holds no `"` or `\`)
    /// and is copied; otherwise it is decoded and written again.
    fn string_value<O: Out>(&mut self, out: &mut O) -> Result<(), Fail> {
        let start = self.pos;
        if self.plain_string()?.is_some() {
            out.extend(self.get(start..self.pos).unwrap_or_default());
            return Ok(());
        }
        let mut decoded = std::mem::take(&mut self.scratch);
        decoded.clear();
        self.string(&mut decoded)?;
        write_raw_string(&decoded, out);
        self.scratch = decoded;
        Ok(())
    }

    /// Reads a string, appending its decoded UTF-8 to `decoded`.
    fn string(&mut self, decoded: &mut Vec<u8>) -> Result<(), CanonicalJsonError> {
        self.pos += 1; // opening quote
        loop {
            let run_start = self.pos;
            self.token = run_start;
            let (length, non_ascii) = self.run_from(run_start);
            self.pos += length;
            let run = self.get(run_start..self.pos).unwrap_or_default();
            if !valid_utf8(run, non_ascii) {
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
                            if !self.looking_at(b"\\u") {
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

    fn array<O: Out>(&mut self, out: &mut O, depth: usize) -> Result<(), Fail> {
        if depth > MAX_DEPTH {
            return Err(CanonicalJsonError::TooDeep.into());
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
                _ => return Err(self.error("expected `,` or `]`").into()),
            }
        }
    }

    /// An object, on the in-order path when its depth allows (see the module documentation),
    /// else, or at the first key out of order, on the general path.
    fn object_in_order<O: Out>(&mut self, out: &mut O, depth: usize) -> Result<(), Fail> {
        if depth > SORTED_ATTEMPT_DEPTH || !self.sorted_attempts {
            return self.object(out, depth);
        }
        let hold = depth >= HOLD_DEPTH;
        let start_pos = self.pos;
        let mark = out.mark(hold);
        // A held object keeps its text too, to be read again.
        if hold {
            self.pins.push(start_pos);
        }
        let sorted = self.object_if_sorted(out, depth);
        if hold {
            self.pins.pop();
        }
        if sorted? {
            out.release(hold);
            return Ok(());
        }
        out.rewind(mark, hold)?;
        if start_pos < self.input.base() {
            // A shallow object of text read in pieces, whose start is no longer held.
            return Err(Fail::Restart);
        }
        self.pos = start_pos;
        self.sorted_attempts = false;
        let result = self.object(out, depth);
        self.sorted_attempts = true;
        result
    }

    /// Writes the object if its keys are strictly increasing and decode to strings without
    /// `"` or `\`; `Ok(false)` (the caller rewinds) otherwise.
    fn object_if_sorted<O: Out>(&mut self, out: &mut O, depth: usize) -> Result<bool, Fail> {
        if depth > MAX_DEPTH {
            return Err(CanonicalJsonError::TooDeep.into());
        }
        self.pos += 1;
        out.push(b'{');
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            out.push(b'}');
            return Ok(true);
        }
        // The previous key, decoded; with no escapes, byte order is code-point order.
        let mut previous = self.key_pool.pop().unwrap_or_default();
        previous.clear();
        let mut first = true;
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key").into());
            }
            if !first {
                out.push(b',');
            }
            let key_start = self.pos;
            let in_order = if let Some(key) = self.plain_string()? {
                let key = self.get(key).unwrap_or_default();
                let in_order = first || previous.as_slice() < key;
                previous.clear();
                previous.extend_from_slice(key);
                out.extend(self.get(key_start..self.pos).unwrap_or_default());
                in_order
            } else {
                let mut key = self.key_pool.pop().unwrap_or_default();
                key.clear();
                self.string(&mut key)?;
                if key.contains(&b'\\') || key.contains(&b'"') {
                    return Ok(false);
                }
                let in_order = first || previous < key;
                write_raw_string(&key, out);
                self.key_pool.push(std::mem::replace(&mut previous, key));
                in_order
            };
            if !in_order {
                return Ok(false);
            }
            first = false;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:`").into());
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
                    self.key_pool.push(previous);
                    return Ok(true);
                }
                _ => return Err(self.error("expected `,` or `}`").into()),
            }
        }
    }

    /// The general path: members collected, sorted by decoded key (stable, so the last of
    /// equal keys wins, as in a Python dict built from the pairs), then written.
    fn object<O: Out>(&mut self, out: &mut O, depth: usize) -> Result<(), Fail> {
        if depth > MAX_DEPTH {
            return Err(CanonicalJsonError::TooDeep.into());
        }
        self.pos += 1;
        // (decoded key, canonical value).
        let mut members: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        self.skip_whitespace();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            out.extend(b"{}");
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key").into());
            }
            let mut key = Vec::new();
            self.string(&mut key)?;
            self.skip_whitespace();
            if self.peek() != Some(b':') {
                return Err(self.error("expected `:`").into());
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
                _ => return Err(self.error("expected `,` or `}`").into()),
            }
        }
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
                out.extend(value);
            }
            index = last + 1;
        }
        out.push(b'}');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_bytes_are_found_in_every_position() {
        for special in [b'"', b'\\', 0x00, 0x1f] {
            for length in 0..20 {
                for at in 0..=length {
                    let mut bytes = vec![b'a'; length];
                    bytes.extend_from_slice("é~\u{7f}".as_bytes());
                    if at < length {
                        bytes[at] = special;
                    }
                    let expected = bytes
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .unwrap_or(bytes.len());
                    let non_ascii = !bytes[..expected].is_ascii();
                    assert_eq!(
                        special_position(&bytes),
                        (expected, non_ascii),
                        "{special} {length} {at}"
                    );
                }
            }
        }
        assert_eq!(special_position(&[0x20; 16]), (16, false));
        assert_eq!(special_position(&[0xff; 16]), (16, true));
        assert_eq!(special_position(&[0xff, b'"']), (1, true));
        assert_eq!(special_position(&[b'a', b'"', 0xff]), (1, false));
    }

    /// Streams `text` and returns what the consumer got (`None` if the stream restarted).
    fn streamed(text: &[u8]) -> Option<Vec<u8>> {
        let mut got = Vec::new();
        let mut consumer = |piece: &[u8]| got.extend_from_slice(piece);
        let mut stream = Stream::new(&mut consumer);
        match canonicalize(text, &mut stream) {
            Ok(()) => {
                stream.finish();
                Some(got)
            }
            Err(Fail::Restart) => None,
            Err(Fail::Json(error)) => panic!("{error}"),
        }
    }

    #[test]
    fn a_stream_hands_over_the_same_bytes_in_pieces() {
        let entries: String = (0..20_000)
            .map(|i| format!(r#""t{i:06}": {{"length": {i}, "hashes": {{"sha256": "ab"}}}}"#))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(r#"{{"signed": {{"a": 1, "targets": {{{entries}}}}}}}"#);
        let mut expected = Vec::new();
        canonicalize(text.as_bytes(), &mut expected).ok().unwrap();
        assert!(expected.len() > 4 * CHUNK);
        assert_eq!(streamed(text.as_bytes()).unwrap(), expected);
    }

    #[test]
    fn deep_objects_out_of_order_are_rewound_inside_a_stream() {
        // Entries whose keys are out of order, after many streamed bytes: taken back from the
        // held part of the buffer, never a restart.
        let entries: String = (0..20_000)
            .map(|i| {
                format!(
                    r#""t{i:06}": {{"length": {i}, "hashes": {{"sha512": "cd", "sha256": "ab"}}}}"#
                )
            })
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(r#"{{"targets": {{{entries}}}}}"#);
        let mut expected = Vec::new();
        canonicalize(text.as_bytes(), &mut expected).ok().unwrap();
        assert_eq!(streamed(text.as_bytes()).unwrap(), expected);
    }

    #[test]
    fn a_shallow_object_out_of_order_after_streaming_restarts() {
        let entries: String = (0..20_000)
            .map(|i| format!(r#""t{i:06}": {i}"#))
            .collect::<Vec<_>>()
            .join(", ");
        let text = format!(r#"{{"targets": {{{entries}}}, "a": 1}}"#);
        assert_eq!(streamed(text.as_bytes()), None);
        // Out of order before anything was handed over: no restart.
        assert_eq!(
            streamed(br#"{"b": 1, "a": {"y": 2, "x": 1}}"#).unwrap(),
            br#"{"a":{"x":1,"y":2},"b":1}"#
        );
    }
}
