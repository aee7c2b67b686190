//! JSON text that arrives in pieces (a download), read as it comes.

use super::text::Input;

/// Held bytes are dropped only once there are this many: a text this small is held whole (as
/// a stream holds this much of the canonical form before handing any over).
const WINDOW: usize = 64 * 1024;

/// JSON text arriving in pieces (anything that is bytes: `Vec<u8>`, `&[u8]`...), from an
/// iterator that may block until the next one is there (the receiving end of a channel fed by
/// a download), with a cursor.
///
/// Only a window of the text is held: the bytes from the cursor on (and those a reader still
/// needs), so reading a text of many megabytes holds little more than one piece. Read it with
/// [`Pieces::fill`] and [`Pieces::advance`], and canonicalise the value at the cursor with
/// [`super::stream_json_value`].
///
/// ```
/// use tuf_crypto::canonical::Pieces;
/// let mut text = Pieces::new([b"[1, ".to_vec(), b"2]".to_vec()].into_iter());
/// assert_eq!(text.fill(1), b"[1, ");
/// text.advance(4);
/// assert_eq!(text.fill(3), b"2]");
/// assert_eq!(text.offset(), 4);
/// ```
#[derive(Debug)]
pub struct Pieces<I> {
    /// The bytes held, the first at offset `base` of the whole text.
    held: Vec<u8>,
    base: usize,
    /// The offset of the cursor in the whole text (at least `base`).
    cursor: usize,
    pieces: I,
    ended: bool,
}

impl<I: Iterator<Item: AsRef<[u8]>>> Pieces<I> {
    /// The text the pieces of `pieces` make, in order, with the cursor at its start.
    pub fn new(pieces: I) -> Self {
        Pieces {
            held: Vec::new(),
            base: 0,
            cursor: 0,
            pieces,
            ended: false,
        }
    }

    /// The offset of the cursor: how many bytes of the text are behind it.
    pub fn offset(&self) -> usize {
        self.cursor
    }

    /// The bytes held from the cursor on, after reading pieces until there are at least
    /// `want` of them or the text has ended (so fewer than `want` means the end is near).
    pub fn fill(&mut self, want: usize) -> &[u8] {
        let end = self.cursor.saturating_add(want);
        while self.held_end() < end && self.read_piece(self.cursor) {}
        self.held_from(self.cursor)
    }

    /// Moves the cursor `n` bytes on, at most to the end of what is held.
    pub fn advance(&mut self, n: usize) {
        self.cursor = self.cursor.saturating_add(n).min(self.held_end());
    }

    /// Moves the cursor past any JSON whitespace.
    pub fn skip_whitespace(&mut self) {
        loop {
            let held = self.fill(1);
            let length = held.len();
            if length == 0 {
                return;
            }
            match held
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            {
                Some(blank) => return self.advance(blank),
                None => self.advance(length),
            }
        }
    }

    /// Whether the text ends at the cursor (reads the next piece to find out).
    pub fn at_end(&mut self) -> bool {
        self.fill(1).is_empty()
    }

    pub(super) fn set_offset(&mut self, offset: usize) {
        self.cursor = offset.clamp(self.base, self.held_end());
    }

    /// The text held and the source of the rest, for a reader to own while it reads (its
    /// hot loop then reads a window of its own, not one behind a reference). Give it back
    /// with [`Pieces::restore`].
    pub(super) fn window(&mut self) -> Window<'_, I> {
        Window {
            held: std::mem::take(&mut self.held),
            base: self.base,
            pieces: &mut self.pieces,
            ended: &mut self.ended,
        }
    }

    /// Takes back what a reader held.
    pub(super) fn restore(&mut self, held: Vec<u8>, base: usize) {
        self.held = held;
        self.base = base;
    }

    fn held_end(&self) -> usize {
        self.base.saturating_add(self.held.len())
    }

    fn held_from(&self, at: usize) -> &[u8] {
        at.checked_sub(self.base)
            .and_then(|at| self.held.get(at..))
            .unwrap_or_default()
    }

    fn read_piece(&mut self, keep: usize) -> bool {
        read_piece(
            &mut self.held,
            &mut self.base,
            &mut self.pieces,
            &mut self.ended,
            keep,
        )
    }
}

/// Appends the next non-empty piece of `pieces` to `held` (whose first byte is at offset
/// `base`), first dropping the bytes before `keep` once at least [`WINDOW`] bytes are held and
/// those are at least half of them (so each byte is moved a bounded number of times, and a
/// small text is held whole). `false` once the text has ended.
fn read_piece<I: Iterator<Item: AsRef<[u8]>>>(
    held: &mut Vec<u8>,
    base: &mut usize,
    pieces: &mut I,
    ended: &mut bool,
    keep: usize,
) -> bool {
    if *ended {
        return false;
    }
    let drop = keep.saturating_sub(*base).min(held.len());
    if held.len() >= WINDOW && drop >= held.len() / 2 {
        held.drain(..drop);
        *base += drop;
    }
    for piece in pieces.by_ref() {
        let piece = piece.as_ref();
        if piece.is_empty() {
            continue;
        }
        held.extend_from_slice(piece);
        return true;
    }
    *ended = true;
    false
}

/// The text of [`Pieces`] as a reader holds it while it reads.
pub(super) struct Window<'p, I> {
    pub(super) held: Vec<u8>,
    pub(super) base: usize,
    pieces: &'p mut I,
    ended: &'p mut bool,
}

impl<I: Iterator<Item: AsRef<[u8]>>> Input for Window<'_, I> {
    #[inline]
    fn held(&self) -> &[u8] {
        &self.held
    }
    #[inline]
    fn base(&self) -> usize {
        self.base
    }
    fn more(&mut self, keep: usize) -> bool {
        read_piece(
            &mut self.held,
            &mut self.base,
            self.pieces,
            self.ended,
            keep,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{StreamedValue, from_json_text, stream_json_value};

    /// A text like the `signed` of a targets role of many entries, some with keys out of
    /// order (deep objects).
    fn targets_text(entries: usize) -> Vec<u8> {
        let entries: Vec<String> = (0..entries)
            .map(|i| {
                let hashes = if i % 3 == 0 {
                    r#"{"sha512": "cd", "sha256": "ab"}"#
                } else {
                    r#"{"sha256": "ab", "sha512": "cd"}"#
                };
                format!(r#""t{i:06}": {{"hashes": {hashes}, "length": {i}}}"#)
            })
            .collect();
        format!(r#"{{"targets": {{{}}}, "version": 1}}"#, entries.join(", ")).into_bytes()
    }

    /// Pieces that record the largest window their reader held.
    fn read(text: &[u8], piece: usize) -> (Result<StreamedValue, String>, Vec<u8>, usize) {
        let mut pieces = Pieces::new(text.chunks(piece).map(<[u8]>::to_vec));
        let mut got = Vec::new();
        let mut largest = 0;
        let streamed = {
            let mut consumer = |bytes: &[u8]| got.extend_from_slice(bytes);
            let result = stream_json_value(&mut pieces, &mut consumer).map_err(|e| e.to_string());
            largest = largest.max(pieces.held.capacity());
            result
        };
        (streamed, got, largest)
    }

    #[test]
    fn a_large_text_streams_in_a_small_window() {
        let text = targets_text(50_000);
        assert!(text.len() > 3_000_000);
        let expected = from_json_text(&text).unwrap();
        for piece in [1 << 16, 1000, 7] {
            let (streamed, got, largest) = read(&text, piece);
            assert_eq!(streamed, Ok(StreamedValue::Streamed), "pieces of {piece}");
            assert_eq!(got, expected, "pieces of {piece}");
            assert!(
                largest < 4 * (1 << 16),
                "pieces of {piece}: window {largest}"
            );
        }
    }

    #[test]
    fn a_shallow_object_out_of_order_restarts_once_its_start_is_dropped() {
        // `a` after `version`: found out of order at the end, after the window moved on.
        let mut text = targets_text(20_000);
        text.pop();
        text.extend_from_slice(b", \"a\": 0}");
        let (streamed, _, _) = read(&text, 1 << 16);
        assert_eq!(streamed, Ok(StreamedValue::Restart));
        // Out of order while its start is still held (and nothing was handed over): sorted.
        let (streamed, got, _) = read(br#"{"b": 1, "a": {"y": 2, "x": 1}}"#, 1000);
        assert_eq!(streamed, Ok(StreamedValue::Streamed));
        assert_eq!(got, br#"{"a":{"x":1,"y":2},"b":1}"#);
    }

    #[test]
    fn the_cursor_stops_after_the_value() {
        let text = b"  [1, {\"a\": \"x\\n\"}]  , \"rest\"";
        for piece in 1..text.len() {
            let mut pieces = Pieces::new(text.chunks(piece).map(<[u8]>::to_vec));
            let mut got = Vec::new();
            let streamed = stream_json_value(&mut pieces, &mut |b| got.extend_from_slice(b));
            assert_eq!(streamed, Ok(StreamedValue::Streamed));
            assert_eq!(got, b"[1,{\"a\":\"x\n\"}]");
            assert_eq!(pieces.offset(), 19);
            pieces.skip_whitespace();
            assert_eq!(pieces.fill(100), b", \"rest\"");
            pieces.advance(8);
            assert!(pieces.at_end());
        }
    }
}
