//! Reading PEM text, as leniently as the reference implementation does.
//!
//! securesystemslib hands `keyval.public` to pyca/cryptography's `load_pem_public_key`, which
//! ignores text around the PEM block, accepts CRLF line endings, any line width and a missing
//! final newline. The RFC 7468 "strict" decoder of the RustCrypto crates accepts none of that,
//! so the block is located and its base64 body re-wrapped here before strict decoding. PEM
//! headers (`Proc-Type: ...`, i.e. legacy encrypted keys) are refused.

use pkcs8::der::pem;
use pkcs8::der::zeroize::Zeroizing;

/// Longest PEM text accepted, in bytes (64 KiB), checked before any parsing. A 16384-bit RSA
/// private key is about 13 KiB of PEM.
pub(crate) const MAX_PEM_LEN: usize = 64 * 1024;

/// Base64 characters per line of the re-wrapped body (what the strict decoder expects).
const LINE_WIDTH: usize = 64;

/// A decoded PEM block: its label and the DER bytes (wiped on drop, they may be secret).
pub(crate) struct Pem {
    /// The type label, e.g. `PUBLIC KEY`.
    pub(crate) label: String,
    /// The decoded body.
    pub(crate) der: Zeroizing<Vec<u8>>,
}

/// Decodes the first PEM block found in `text`.
///
/// Errors are human-readable reasons, for the callers to wrap into their error variant.
pub(crate) fn decode(text: &str) -> Result<Pem, String> {
    if text.len() > MAX_PEM_LEN {
        return Err(format!(
            "PEM text is {} bytes long, more than the {MAX_PEM_LEN} accepted",
            text.len()
        ));
    }
    const BEGIN: &str = "-----BEGIN ";
    const DASHES: &str = "-----";
    let start = text.find(BEGIN).ok_or("no PEM BEGIN line")?;
    let after_begin = text.get(start + BEGIN.len()..).unwrap_or_default();
    let label_len = after_begin
        .find(DASHES)
        .ok_or("unterminated PEM BEGIN line")?;
    let label = after_begin.get(..label_len).unwrap_or_default();
    if label.is_empty() || label.contains(['\r', '\n']) {
        return Err("malformed PEM label".into());
    }
    let body_and_rest = after_begin
        .get(label_len + DASHES.len()..)
        .unwrap_or_default();
    let end_line = format!("-----END {label}-----");
    let body_len = body_and_rest
        .find(&end_line)
        .ok_or_else(|| format!("no PEM END line for {label:?}"))?;
    let body = body_and_rest.get(..body_len).unwrap_or_default();

    let mut base64 = Zeroizing::new(String::with_capacity(body.len()));
    for character in body.chars() {
        if character.is_ascii_alphanumeric() || matches!(character, '+' | '/' | '=') {
            base64.push(character);
        } else if !character.is_ascii_whitespace() {
            return Err(format!(
                "unexpected character {character:?} in PEM body (PEM headers are not supported)"
            ));
        }
    }

    let mut strict = Zeroizing::new(String::with_capacity(base64.len() + 2 * label.len() + 64));
    strict.push_str(BEGIN);
    strict.push_str(label);
    strict.push_str(DASHES);
    strict.push('\n');
    // Base64 is ASCII, so byte chunks are character chunks.
    for line in base64.as_bytes().chunks(LINE_WIDTH) {
        strict.push_str(std::str::from_utf8(line).map_err(|_| "non-ASCII base64")?);
        strict.push('\n');
    }
    strict.push_str(&end_line);
    strict.push('\n');

    let (_, der) =
        pem::decode_vec(strict.as_bytes()).map_err(|err| format!("bad PEM encoding: {err}"))?;
    Ok(Pem {
        label: label.to_owned(),
        der: Zeroizing::new(der),
    })
}

/// Encodes DER bytes as PEM with LF line endings and a final newline, as pyca/cryptography
/// writes it (64-character lines).
pub(crate) fn encode(label: &str, der: &[u8]) -> Result<String, String> {
    pem::encode_string(label, pem::LineEnding::LF, der).map_err(|err| err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPKI: &str = "-----BEGIN PUBLIC KEY-----\n\
        MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n\
        -----END PUBLIC KEY-----\n";

    fn der_of(text: &str) -> Vec<u8> {
        decode(text).unwrap().der.to_vec()
    }

    #[test]
    fn strict_form() {
        let pem = decode(SPKI).unwrap();
        assert_eq!(pem.label, "PUBLIC KEY");
        assert_eq!(pem.der.len(), 44);
        assert_eq!(encode("PUBLIC KEY", &pem.der).unwrap(), SPKI);
    }

    #[test]
    fn lenient_like_pyca_cryptography() {
        let expected = der_of(SPKI);
        assert_eq!(der_of(&SPKI.replace('\n', "\r\n")), expected);
        assert_eq!(der_of(SPKI.trim_end()), expected);
        assert_eq!(der_of(&format!("junk before\n{SPKI}junk after")), expected);
        assert_eq!(der_of(&format!("  {SPKI}")), expected);
        let rewrapped = SPKI.replacen("MCowBQYDK2Vw", "MCowBQYDK2Vw\n", 1);
        assert_eq!(der_of(&rewrapped), expected);
    }

    #[test]
    fn refuses() {
        assert!(decode("").is_err());
        assert!(decode("-----BEGIN PUBLIC KEY-----\nAAAA\n").is_err());
        assert!(decode(&SPKI.replace("END PUBLIC", "END PRIVATE")).is_err());
        assert!(decode(&SPKI.replace("MCow", "MC*w")).is_err());
        assert!(decode(&SPKI.replace("MCow", "Proc-Type: 4,ENCRYPTED\nMCow")).is_err());
        assert!(decode(&SPKI.replace("MCow", "MCo")).is_err());
        let huge = format!("{SPKI}{}", " ".repeat(MAX_PEM_LEN));
        assert!(decode(&huge).err().unwrap().contains("more than"));
    }
}
