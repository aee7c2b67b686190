//! The canonical form and the file form of the large roles, written straight from their
//! fields: no `serde_json::Value` tree is built for the targets map of [`Targets`] or the meta
//! map of [`Snapshot`], which can list hundreds of thousands of entries.
//!
//! Two forms, each byte for byte what the `Value` path writes:
//!
//! - [`Form::Canonical`]: the canonical JSON that signatures are made over (spec section 4.2,
//!   "canonical JSON"), equal to `tuf_crypto::canonical::to_vec(&signed.to_value())`: keys
//!   sorted by code point, only `"` and `\` escaped, integers in decimal, floats refused;
//! - [`Form::Pretty`]: the file form, equal to what [`crate::Metadata::to_bytes`] writes for
//!   `signed` (python-tuf's default: `json.dumps(sort_keys=True, indent=1)`; here serde_json's
//!   pretty printer with a one-space indent, control characters escaped, floats that are zero
//!   written as `0`).
//!
//! Known fields are written from the struct; unrecognised fields and `custom` values are
//! merged in key order, each value through the one canonical encoder
//! ([`tuf_crypto::canonical::write`]) or through serde_json's pretty printer. A known field
//! replaces an unrecognised one of the same name, as in `to_value`. The property tests in
//! `tests/proptest_encode.rs` compare both forms with the `Value` path.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use tuf_crypto::canonical::{self, CanonicalJsonError};

use crate::{Hashes, MetaFile, Root, Signed, Snapshot, TargetFile, Targets, Timestamp};

/// Which of the two forms to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// Canonical JSON, as signed.
    Canonical,
    /// The pretty file form, as [`crate::Metadata::to_bytes`] writes `signed`.
    Pretty,
}

/// A value written straight from its fields in either [`Form`].
pub trait Encode {
    /// Appends this value in `form`, as if it were nested `depth` levels deep (the depth only
    /// matters for [`Form::Pretty`]; `signed` in a file is at depth 1).
    ///
    /// # Errors
    /// [`CanonicalJsonError::Float`] in [`Form::Canonical`] when an unrecognised field or a
    /// `custom` value holds a non-integer number (the pretty form writes it).
    fn encode(&self, form: Form, depth: usize, out: &mut Vec<u8>)
    -> Result<(), CanonicalJsonError>;

    /// The canonical form (spec section 4.2), equal to `canonical::to_vec(&self.to_value())`.
    ///
    /// # Errors
    /// As [`Encode::encode`].
    fn to_canonical(&self) -> Result<Vec<u8>, CanonicalJsonError> {
        let mut out = Vec::with_capacity(256);
        self.encode(Form::Canonical, 0, &mut out)?;
        Ok(out)
    }
}

/// A member value of an object being written.
enum Field<'a> {
    /// A string.
    Str(&'a str),
    /// An owned string (a formatted expiry).
    String(String),
    /// An unsigned integer.
    U64(u64),
    /// A JSON value (delegations).
    OwnedValue(Value),
    /// A JSON object held as a map (`custom`).
    Map(&'a Map<String, Value>),
    /// Digests by algorithm.
    Hashes(&'a Hashes),
    /// The targets map of a targets role.
    Targets(&'a BTreeMap<String, TargetFile>),
    /// The meta map of snapshot.
    Meta(&'a BTreeMap<String, MetaFile>),
}

/// The length of the longest prefix of `bytes` holding no byte for which `special` is true;
/// checked 16 bytes at a time (a branch-free test per block) while no block holds one.
#[inline]
fn plain_prefix(bytes: &[u8], special: impl Fn(u8) -> bool) -> usize {
    let mut at = 0;
    for block in bytes.chunks_exact(16) {
        if block.iter().fold(false, |found, &b| found | special(b)) {
            break;
        }
        at += 16;
    }
    let rest = bytes.get(at..).unwrap_or_default();
    at + rest.iter().position(|&b| special(b)).unwrap_or(rest.len())
}

/// Appends `string` in canonical form: only `"` and `\` escaped.
pub fn canonical_string(string: &str, out: &mut Vec<u8>) {
    let mut rest = string.as_bytes();
    out.reserve(rest.len().saturating_add(2));
    out.push(b'"');
    loop {
        let plain = plain_prefix(rest, |b| b == b'"' || b == b'\\');
        let Some((run, tail)) = rest.split_at_checked(plain) else {
            break;
        };
        out.extend_from_slice(run);
        let Some((&byte, tail)) = tail.split_first() else {
            break;
        };
        out.push(b'\\');
        out.push(byte);
        rest = tail;
    }
    out.push(b'"');
}

/// Appends `string` as serde_json writes it: `"`, `\` and control characters escaped
/// (`\b \t \n \f \r`, else `\u00XX` in lower-case hex), everything else as it is.
fn pretty_string(string: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut rest = string.as_bytes();
    out.reserve(rest.len().saturating_add(2));
    out.push(b'"');
    loop {
        let plain = plain_prefix(rest, |b| b == b'"' || b == b'\\' || b < 0x20);
        let Some((run, tail)) = rest.split_at_checked(plain) else {
            break;
        };
        out.extend_from_slice(run);
        let Some((&byte, tail)) = tail.split_first() else {
            break;
        };
        rest = tail;
        match byte {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0a => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            0x0d => out.extend_from_slice(b"\\r"),
            _ => {
                let digit = |n: u8| HEX.get(usize::from(n & 0x0f)).copied().unwrap_or(b'0');
                out.extend_from_slice(&[b'\\', b'u', b'0', b'0', digit(byte >> 4), digit(byte)]);
            }
        }
    }
    out.push(b'"');
}

fn string(form: Form, value: &str, out: &mut Vec<u8>) {
    match form {
        Form::Canonical => canonical_string(value, out),
        Form::Pretty => pretty_string(value, out),
    }
}

/// Appends `n` in decimal.
fn decimal(mut n: u64, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            // n % 10 < 10: the cast keeps the value.
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(at..).unwrap_or_default());
}

fn new_line(out: &mut Vec<u8>, depth: usize) {
    out.push(b'\n');
    out.resize(out.len().saturating_add(depth), b' ');
}

/// What separates the members of an object (or the items of an array) nested `depth` deep.
fn separator(form: Form, depth: usize, out: &mut Vec<u8>) {
    out.push(b',');
    if form == Form::Pretty {
        new_line(out, depth.saturating_add(1));
    }
}

/// `{`, and in pretty form the line break before the first member.
fn open(form: Form, depth: usize, out: &mut Vec<u8>) {
    out.push(b'{');
    if form == Form::Pretty {
        new_line(out, depth.saturating_add(1));
    }
}

/// `}`, after the line break that follows the last member in pretty form.
fn close(form: Form, depth: usize, out: &mut Vec<u8>) {
    if form == Form::Pretty {
        new_line(out, depth);
    }
    out.push(b'}');
}

/// `"key":` or `"key": `.
fn key(form: Form, name: &str, out: &mut Vec<u8>) {
    string(form, name, out);
    match form {
        Form::Canonical => out.push(b':'),
        Form::Pretty => out.extend_from_slice(b": "),
    }
}

/// Whether `value` holds a number that is not an integer.
fn has_float(value: &Value) -> bool {
    match value {
        Value::Number(n) => !(n.is_i64() || n.is_u64()),
        Value::Array(items) => items.iter().any(has_float),
        Value::Object(map) => map.values().any(has_float),
        _ => false,
    }
}

/// Replaces every float 0.0 or -0.0 by the integer 0, as [`crate::Metadata::to_bytes`] does.
fn zero_float_zeros(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() && n.as_f64() == Some(0.0) => *value = Value::from(0u8),
        Value::Array(items) => items.iter_mut().for_each(zero_float_zeros),
        Value::Object(map) => map.values_mut().for_each(zero_float_zeros),
        _ => {}
    }
}

/// Appends `value` in `form` nested `depth` deep: canonical through [`canonical::write`],
/// pretty through serde_json's pretty printer, its lines indented by `depth`.
fn value(
    form: Form,
    depth: usize,
    value: &Value,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    match (form, value) {
        (Form::Canonical, _) => canonical::write(value, out),
        (Form::Pretty, Value::String(s)) => {
            pretty_string(s, out);
            Ok(())
        }
        (Form::Pretty, _) => {
            let zeroed;
            let value = if has_float(value) {
                let mut copy = value.clone();
                zero_float_zeros(&mut copy);
                zeroed = copy;
                &zeroed
            } else {
                value
            };
            let mut text = Vec::with_capacity(64);
            let formatter = serde_json::ser::PrettyFormatter::with_indent(b" ");
            let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
            // Writing a `Value` to memory cannot fail: its keys are strings and numbers finite.
            if serde::Serialize::serialize(value, &mut serializer).is_err() {
                text.clear();
            }
            // JSON text holds no raw line break inside a string, so every line break starts
            // a new line of the value: indent it by `depth` more.
            for (index, line) in text.split(|&b| b == b'\n').enumerate() {
                if index > 0 {
                    new_line(out, depth);
                }
                out.extend_from_slice(line);
            }
            Ok(())
        }
    }
}

/// Appends a JSON object held as a map.
fn map(
    form: Form,
    depth: usize,
    entries: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    if entries.is_empty() {
        out.extend_from_slice(b"{}");
        return Ok(());
    }
    open(form, depth, out);
    for (index, (name, item)) in entries.iter().enumerate() {
        if index > 0 {
            separator(form, depth, out);
        }
        key(form, name, out);
        value(form, depth.saturating_add(1), item, out)?;
    }
    close(form, depth, out);
    Ok(())
}

fn hashes(form: Form, depth: usize, digests: &Hashes, out: &mut Vec<u8>) {
    if digests.is_empty() {
        out.extend_from_slice(b"{}");
        return;
    }
    open(form, depth, out);
    for (index, (algorithm, digest)) in digests.iter().enumerate() {
        if index > 0 {
            separator(form, depth, out);
        }
        key(form, algorithm, out);
        string(form, digest, out);
    }
    close(form, depth, out);
}

/// Appends the entries of a sorted map of `Encode` values as members of an object nested
/// `depth` deep, preceded by a separator unless `first` (no braces).
fn members<'a, T: Encode + 'a>(
    form: Form,
    depth: usize,
    entries: impl IntoIterator<Item = (&'a String, &'a T)>,
    first: bool,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    for (index, (name, entry)) in entries.into_iter().enumerate() {
        if index > 0 || !first {
            separator(form, depth, out);
        }
        key(form, name, out);
        entry.encode(form, depth.saturating_add(1), out)?;
    }
    Ok(())
}

/// Appends a whole map of `Encode` values.
fn encode_map<T: Encode>(
    form: Form,
    depth: usize,
    entries: &BTreeMap<String, T>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    if entries.is_empty() {
        out.extend_from_slice(b"{}");
        return Ok(());
    }
    open(form, depth, out);
    members(form, depth, entries, true, out)?;
    close(form, depth, out);
    Ok(())
}

fn field(
    form: Form,
    depth: usize,
    item: &Field<'_>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    match item {
        Field::Str(s) => string(form, s, out),
        Field::String(s) => string(form, s, out),
        Field::U64(n) => decimal(*n, out),
        Field::OwnedValue(v) => value(form, depth, v, out)?,
        Field::Map(m) => map(form, depth, m, out)?,
        Field::Hashes(h) => hashes(form, depth, h, out),
        Field::Targets(t) => encode_map(form, depth, *t, out)?,
        Field::Meta(m) => encode_map(form, depth, *m, out)?,
    }
    Ok(())
}

/// Writes the value of the known field at an index.
type KnownWriter<'a> = dyn FnMut(usize, &mut Vec<u8>) -> Result<(), CanonicalJsonError> + 'a;

/// Appends an object made of `known` (sorted by name, as bytes) and the unrecognised fields
/// (a sorted map) merged in key order; a known field replaces an unrecognised one of the same
/// name. `write_known` writes the value of the known field at an index (for fields, such as a
/// large map, that a caller writes itself).
fn object(
    form: Form,
    depth: usize,
    known: &[(&str, Field<'_>)],
    unrecognized: &Map<String, Value>,
    write_known: &mut KnownWriter<'_>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    let mut extra = unrecognized
        .iter()
        .filter(|(name, _)| !known.iter().any(|(k, _)| *k == name.as_str()))
        .peekable();
    let mut known_items = known.iter().enumerate().peekable();
    if known_items.peek().is_none() && extra.peek().is_none() {
        out.extend_from_slice(b"{}");
        return Ok(());
    }
    open(form, depth, out);
    let mut first = true;
    loop {
        let take_known = match (known_items.peek(), extra.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some((_, (k, _))), Some((name, _))) => k.as_bytes() < name.as_bytes(),
        };
        if !first {
            separator(form, depth, out);
        }
        first = false;
        if take_known {
            if let Some((index, (name, _))) = known_items.next() {
                key(form, name, out);
                write_known(index, out)?;
            }
        } else if let Some((name, item)) = extra.next() {
            key(form, name, out);
            value(form, depth.saturating_add(1), item, out)?;
        }
    }
    close(form, depth, out);
    Ok(())
}

/// [`object`] with every known field written from its [`Field`].
fn plain_object(
    form: Form,
    depth: usize,
    known: &[(&str, Field<'_>)],
    unrecognized: &Map<String, Value>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    object(
        form,
        depth,
        known,
        unrecognized,
        &mut |index, out| match known.get(index) {
            Some((_, item)) => field(form, depth.saturating_add(1), item, out),
            None => Ok(()),
        },
        out,
    )
}

impl Encode for TargetFile {
    fn encode(
        &self,
        form: Form,
        depth: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), CanonicalJsonError> {
        if self.unrecognized_fields.is_empty() && self.custom.is_none() {
            // The common entry, `{"hashes": {...}, "length": N}`, without the general merge.
            open(form, depth, out);
            key(form, "hashes", out);
            hashes(form, depth.saturating_add(1), &self.hashes, out);
            separator(form, depth, out);
            key(form, "length", out);
            decimal(self.length, out);
            close(form, depth, out);
            return Ok(());
        }
        let mut known = Vec::with_capacity(3);
        if let Some(custom) = &self.custom {
            known.push(("custom", Field::Map(custom)));
        }
        known.push(("hashes", Field::Hashes(&self.hashes)));
        known.push(("length", Field::U64(self.length)));
        plain_object(form, depth, &known, &self.unrecognized_fields, out)
    }
}

impl Encode for MetaFile {
    fn encode(
        &self,
        form: Form,
        depth: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), CanonicalJsonError> {
        let mut known = Vec::with_capacity(3);
        if let Some(h) = &self.hashes {
            known.push(("hashes", Field::Hashes(h)));
        }
        if let Some(length) = self.length {
            known.push(("length", Field::U64(length)));
        }
        known.push(("version", Field::U64(self.version)));
        plain_object(form, depth, &known, &self.unrecognized_fields, out)
    }
}

/// The fields of a role's `signed` object, in key order, with `(name, field)` for its own
/// map inserted in place.
fn common<'a>(
    type_name: &'static str,
    role: &'a impl Signed,
    expires: String,
    own: Vec<(&'static str, Field<'a>)>,
) -> Vec<(&'static str, Field<'a>)> {
    let mut known = vec![
        ("_type", Field::Str(type_name)),
        ("expires", Field::String(expires)),
        ("spec_version", Field::Str(role.spec_version().as_str())),
        ("version", Field::U64(role.version())),
    ];
    known.extend(own);
    known.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    known
}

fn targets_known(targets: &Targets) -> Vec<(&'static str, Field<'_>)> {
    let mut own = vec![("targets", Field::Targets(&targets.targets))];
    if let Some(delegations) = &targets.delegations {
        own.push(("delegations", Field::OwnedValue(delegations.to_value())));
    }
    common(
        <Targets as Signed>::TYPE,
        targets,
        targets.expires.to_string(),
        own,
    )
}

impl Encode for Targets {
    fn encode(
        &self,
        form: Form,
        depth: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), CanonicalJsonError> {
        plain_object(
            form,
            depth,
            &targets_known(self),
            &self.unrecognized_fields,
            out,
        )
    }
}

impl Encode for Snapshot {
    fn encode(
        &self,
        form: Form,
        depth: usize,
        out: &mut Vec<u8>,
    ) -> Result<(), CanonicalJsonError> {
        let known = common(
            <Snapshot as Signed>::TYPE,
            self,
            self.expires.to_string(),
            vec![("meta", Field::Meta(&self.meta))],
        );
        plain_object(form, depth, &known, &self.unrecognized_fields, out)
    }
}

/// Small roles go through their `Value`.
macro_rules! encode_through_value {
    ($($role:ty),*) => {$(
        impl Encode for $role {
            fn encode(
                &self,
                form: Form,
                depth: usize,
                out: &mut Vec<u8>,
            ) -> Result<(), CanonicalJsonError> {
                value(form, depth, &self.to_value(), out)
            }
        }
    )*};
}
encode_through_value!(Root, Timestamp);

/// Appends `targets` in `form` at `depth`, its targets map written by `write_members`: the
/// members of the map (as [`write_target_members`] writes them), to be called only when the
/// map is not empty. For encoding a large map in pieces, on several threads.
///
/// # Errors
/// As [`Encode::encode`], or what `write_members` returns.
pub fn encode_targets_with(
    targets: &Targets,
    form: Form,
    depth: usize,
    write_members: &mut dyn FnMut(&mut Vec<u8>) -> Result<(), CanonicalJsonError>,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    let known = targets_known(targets);
    let inner = depth.saturating_add(1);
    object(
        form,
        depth,
        &known,
        &targets.unrecognized_fields,
        &mut |index, out| match known.get(index) {
            Some((_, Field::Targets(map))) if !map.is_empty() => {
                open(form, inner, out);
                write_members(out)?;
                close(form, inner, out);
                Ok(())
            }
            Some((_, item)) => field(form, inner, item, out),
            None => Ok(()),
        },
        out,
    )
}

/// Appends `entries` (consecutive entries of the targets map of a role nested `depth` deep,
/// in key order) as members of the map, each preceded by a separator except the first when
/// `first`: the pieces of a map made by several calls join by concatenation.
///
/// # Errors
/// As [`Encode::encode`].
pub fn write_target_members<'a>(
    form: Form,
    depth: usize,
    entries: impl IntoIterator<Item = (&'a String, &'a TargetFile)>,
    first: bool,
    out: &mut Vec<u8>,
) -> Result<(), CanonicalJsonError> {
    members(form, depth.saturating_add(1), entries, first, out)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn decimal_matches_display() {
        for n in [0, 1, 9, 10, 99, 100, 12345, u64::MAX - 1, u64::MAX] {
            let mut out = Vec::new();
            decimal(n, &mut out);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn strings_match_serde_json_and_canonical() {
        let text: String = (0u8..0x80).map(char::from).chain("é😀".chars()).collect();
        let mut pretty = Vec::new();
        pretty_string(&text, &mut pretty);
        assert_eq!(pretty, serde_json::to_vec(&text).unwrap());
        let mut canonical_form = Vec::new();
        canonical_string(&text, &mut canonical_form);
        assert_eq!(
            canonical_form,
            canonical::to_vec(&Value::String(text)).unwrap()
        );
    }
}
