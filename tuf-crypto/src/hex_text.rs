//! Hex decoding with the rules of Python's `bytes.fromhex`.
//!
//! securesystemslib decodes both Ed25519 public keys (`keyval.public`) and signatures with
//! `bytes.fromhex`, which accepts upper- and lower-case digits and ASCII whitespace *between*
//! bytes (not inside one). Decoding the same way keeps "does this verify" identical to the
//! reference implementation. (The hex text is not covered by any signature, so accepting more
//! than one spelling of the same bytes gives an attacker nothing.)

/// Decodes `text`, or returns `None` if it is not hex by `bytes.fromhex` rules or would decode
/// to more than `max_len` bytes (checked before allocating).
pub(crate) fn decode(text: &str, max_len: usize) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    // Every decoded byte takes at least two input characters.
    let mut out = Vec::with_capacity((bytes.len() / 2).min(max_len));
    let mut index = 0;
    loop {
        while bytes.get(index).is_some_and(|&b| is_python_space(b)) {
            index += 1;
        }
        if index == bytes.len() {
            return Some(out);
        }
        let high = digit(*bytes.get(index)?)?;
        let low = digit(*bytes.get(index + 1)?)?;
        if out.len() == max_len {
            return None;
        }
        out.push(high << 4 | low);
        index += 2;
    }
}

/// CPython's `Py_ISSPACE`: space, `\t`, `\n`, `\v`, `\f`, `\r`.
fn is_python_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// The value of one hex digit of either case.
fn digit(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::decode;

    #[test]
    fn like_bytes_fromhex() {
        // Cases checked against CPython 3.11's bytes.fromhex.
        assert_eq!(decode("", 8), Some(vec![]));
        assert_eq!(decode("abCD", 8), Some(vec![0xab, 0xcd]));
        assert_eq!(decode(" ab \n cd\x0b\x0c", 8), Some(vec![0xab, 0xcd]));
        assert_eq!(decode("a b", 8), None);
        assert_eq!(decode("abc", 8), None);
        assert_eq!(decode("0x12", 8), None);
        assert_eq!(decode("zz", 8), None);
        assert_eq!(decode("\u{a0}12", 8), None);
    }

    #[test]
    fn length_limit() {
        assert_eq!(decode("0102", 2), Some(vec![1, 2]));
        assert_eq!(decode("010203", 2), None);
    }
}
