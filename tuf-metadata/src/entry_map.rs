//! The large maps of received metadata (spec sections 4.4 and 4.5): snapshot's `meta`
//! (`<role>.json` → [`MetaFile`]) and targets' `targets` (target path → [`TargetFile`]).
//!
//! An [`EntryMap`] is either built (a `BTreeMap`, what a repository edits) or *indexed*: read
//! from received bytes that it shares with their owner, with every entry validated once and
//! only the position of each key kept. A client looks up one or a few entries among tens of
//! thousands (spec 5.6.1, 5.7.1-5.7.2), so building 100,000 target entries, or the 16,384
//! bins of a snapshot, that it never reads costs more time and memory than anything else it
//! does with the role apart from the signature check. An indexed map keeps 8 bytes per entry
//! beside the bytes received; [`EntryMap::lookup`] reads the one entry asked for.
//!
//! Both forms behave as the same map: `Deref` to the `BTreeMap` builds it on first use (from
//! the validated entries, once, kept) and `DerefMut` turns an indexed map into a built one.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use crate::fast::FastEntry;
use crate::{MetaFile, TargetFile};

/// The entry types of an [`EntryMap`]: [`TargetFile`] and [`MetaFile`]. Sealed: it can be
/// named in bounds, not implemented outside this crate.
pub trait MapEntry: FastEntry {}

impl MapEntry for TargetFile {}
impl MapEntry for MetaFile {}

/// Target path → description: the `targets` map of [`crate::Targets`].
pub type TargetMap = EntryMap<TargetFile>;

/// `<role>.json` → what is known of it: the `meta` map of [`crate::Snapshot`].
pub type MetaMap = EntryMap<MetaFile>;

/// Name → entry, built or indexed (see the module documentation).
///
/// ```
/// use tuf_metadata::{TargetFile, TargetMap};
/// let mut map = TargetMap::new();
/// map.insert("a.txt".to_owned(), TargetFile::from_data(b"a", &["sha256"]).unwrap());
/// assert_eq!(map.len(), 1);
/// assert_eq!(map.lookup("a.txt").unwrap().length, 1);
/// assert!(map.lookup("b.txt").is_none());
/// ```
pub struct EntryMap<E> {
    /// The map when built; empty while indexed.
    built: BTreeMap<String, E>,
    /// The index, and the map built from it on first use.
    indexed: Option<Indexed<E>>,
}

/// An index and the map built from it on first use.
struct Indexed<E> {
    index: Arc<Index<E>>,
    built: OnceLock<BTreeMap<String, E>>,
}

impl<E: Clone> Clone for Indexed<E> {
    fn clone(&self) -> Self {
        Indexed {
            index: Arc::clone(&self.index),
            built: self.built.clone(),
        }
    }
}

/// The validated entries of a map inside received bytes.
pub(crate) struct Index<E> {
    /// The bytes received (the whole file).
    bytes: Arc<Vec<u8>>,
    /// Each key's text between its quotes, as (start, length) in `bytes`: keys without
    /// escapes (their text is their value), sorted by key and unique (the last of equal keys
    /// in the text kept, as everywhere else).
    keys: Vec<(u32, u32)>,
    kind: std::marker::PhantomData<fn() -> E>,
}

/// The text of a key at `(start, length)` in `bytes`, as the index records it.
pub(crate) fn key_text<'a>(bytes: &'a [u8], &(start, len): &(u32, u32)) -> Option<&'a [u8]> {
    let (start, len) = (usize::try_from(start).ok()?, usize::try_from(len).ok()?);
    bytes.get(start..start.checked_add(len)?)
}

impl<E: FastEntry> Index<E> {
    pub(crate) fn new(bytes: Arc<Vec<u8>>, keys: Vec<(u32, u32)>) -> Self {
        Index {
            bytes,
            keys,
            kind: std::marker::PhantomData,
        }
    }

    fn key(&self, span: &(u32, u32)) -> Option<&str> {
        std::str::from_utf8(key_text(&self.bytes, span)?).ok()
    }

    /// The entry after key `span`: `: value`, read again from the bytes. It was read (and
    /// found valid) when the index was built, so `None` cannot happen short of a bug; it
    /// would make the entry unknown, which refuses the role or target it describes (fail
    /// safe).
    fn entry(&self, &(start, len): &(u32, u32)) -> Option<E> {
        let after = usize::try_from(start).ok()? + usize::try_from(len).ok()? + 1;
        let rest = self.bytes.get(after..)?;
        let colon = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        if rest.get(colon) != Some(&b':') {
            return None;
        }
        let value = rest.get(colon + 1..)?;
        let mut values =
            serde_json::Deserializer::from_slice(value).into_iter::<crate::fast::Entry<E>>();
        values.next()?.ok().map(|entry| entry.0)
    }

    fn find(&self, name: &str) -> Option<&(u32, u32)> {
        let found = self
            .keys
            .binary_search_by(|span| self.key(span).unwrap_or_default().cmp(name))
            .ok()?;
        self.keys.get(found)
    }

    fn build(&self) -> BTreeMap<String, E> {
        self.keys
            .iter()
            .filter_map(|span| Some((self.key(span)?.to_owned(), self.entry(span)?)))
            .collect()
    }
}

impl<E: MapEntry> EntryMap<E> {
    /// An empty (built) map.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn indexed(index: Index<E>) -> Self {
        EntryMap {
            built: BTreeMap::new(),
            indexed: Some(Indexed {
                index: Arc::new(index),
                built: OnceLock::new(),
            }),
        }
    }

    /// Whether the map is indexed and not built (yet): lookups read single entries.
    pub fn is_indexed(&self) -> bool {
        matches!(&self.indexed, Some(Indexed { built, .. }) if built.get().is_none())
    }

    /// The entry of `name`, if listed. An indexed map reads just this entry; a built map
    /// lends it.
    pub fn lookup(&self, name: &str) -> Option<Cow<'_, E>> {
        match &self.indexed {
            None => self.built.get(name).map(Cow::Borrowed),
            Some(Indexed { index, built }) => match built.get() {
                Some(map) => map.get(name).map(Cow::Borrowed),
                None => index.entry(index.find(name)?).map(Cow::Owned),
            },
        }
    }

    /// Whether `name` is listed (without building an indexed map).
    pub fn contains_key(&self, name: &str) -> bool {
        match &self.indexed {
            None => self.built.contains_key(name),
            Some(Indexed { index, .. }) => index.find(name).is_some(),
        }
    }

    /// How many entries are listed (without building an indexed map).
    pub fn len(&self) -> usize {
        match &self.indexed {
            None => self.built.len(),
            Some(Indexed { index, .. }) => index.keys.len(),
        }
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The built map, taken out.
    pub fn into_map(self) -> BTreeMap<String, E> {
        match self.indexed {
            None => self.built,
            Some(Indexed { index, built }) => built.into_inner().unwrap_or_else(|| index.build()),
        }
    }
}

impl<E> Default for EntryMap<E> {
    fn default() -> Self {
        EntryMap {
            built: BTreeMap::new(),
            indexed: None,
        }
    }
}

impl<E: Clone> Clone for EntryMap<E> {
    fn clone(&self) -> Self {
        EntryMap {
            built: self.built.clone(),
            indexed: self.indexed.clone(),
        }
    }
}

impl<E: MapEntry> Deref for EntryMap<E> {
    type Target = BTreeMap<String, E>;

    /// The map; an indexed map is built on first use and kept.
    fn deref(&self) -> &Self::Target {
        match &self.indexed {
            None => &self.built,
            Some(Indexed { index, built }) => built.get_or_init(|| index.build()),
        }
    }
}

impl<E: MapEntry> DerefMut for EntryMap<E> {
    /// The map, for editing; an indexed map becomes a built one (the bytes are let go).
    fn deref_mut(&mut self) -> &mut Self::Target {
        if let Some(Indexed { index, built }) = self.indexed.take() {
            self.built = built.into_inner().unwrap_or_else(|| index.build());
        }
        &mut self.built
    }
}

impl<E> From<BTreeMap<String, E>> for EntryMap<E> {
    fn from(built: BTreeMap<String, E>) -> Self {
        EntryMap {
            built,
            indexed: None,
        }
    }
}

impl<E> FromIterator<(String, E)> for EntryMap<E> {
    fn from_iter<I: IntoIterator<Item = (String, E)>>(iter: I) -> Self {
        BTreeMap::from_iter(iter).into()
    }
}

impl<'a, E: MapEntry> IntoIterator for &'a EntryMap<E> {
    type Item = (&'a String, &'a E);
    type IntoIter = std::collections::btree_map::Iter<'a, String, E>;

    fn into_iter(self) -> Self::IntoIter {
        self.deref().iter()
    }
}

impl<E: MapEntry> IntoIterator for EntryMap<E> {
    type Item = (String, E);
    type IntoIter = std::collections::btree_map::IntoIter<String, E>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_map().into_iter()
    }
}

impl<E: MapEntry + PartialEq> PartialEq for EntryMap<E> {
    /// Equal when they list the same entries, whatever their forms.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && **self == **other
    }
}

impl<E: MapEntry + Eq> Eq for EntryMap<E> {}

impl<E: MapEntry + fmt::Debug> fmt::Debug for EntryMap<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{Expires, Metadata, Signed, Snapshot, Targets};

    fn expires() -> Expires {
        "2030-01-01T00:00:00Z".parse().unwrap()
    }

    fn file(data: &[u8]) -> TargetFile {
        TargetFile::from_data(data, &["sha256", "sha512"]).unwrap()
    }

    /// A role as a repository writes it, read back from shared bytes.
    fn received(paths: &[&str]) -> (Targets, Targets) {
        let mut targets = Targets::new(expires());
        for path in paths {
            targets
                .targets
                .insert((*path).to_owned(), file(path.as_bytes()));
        }
        let bytes = Arc::new(Metadata::new(targets.clone()).to_bytes());
        let text = std::str::from_utf8(&bytes).unwrap();
        let start = text.find("\"signed\": ").unwrap() + 10;
        let signed = &text[start..text.len() - 2];
        (Targets::from_shared_text(&bytes, signed).unwrap(), targets)
    }

    #[test]
    fn a_received_map_is_indexed_and_reads_like_the_built_one() {
        let (read, written) = received(&["b/2.tgz", "a/1.tgz", "c/3.tgz"]);
        assert!(read.targets.is_indexed());
        assert_eq!(read.targets.len(), 3);
        assert_eq!(
            read.targets.lookup("a/1.tgz").unwrap().into_owned(),
            file(b"a/1.tgz")
        );
        assert!(read.targets.lookup("a/2.tgz").is_none());
        assert!(read.targets.lookup("").is_none());
        assert!(read.targets.contains_key("c/3.tgz"));
        assert!(!read.targets.contains_key("c/3.tg"));
        assert!(read.targets.is_indexed(), "lookups read single entries");
        // Used as a map, it is built once and equal to what was written.
        assert_eq!(&*read.targets, &*written.targets);
        assert!(!read.targets.is_indexed());
        assert!(matches!(
            read.targets.lookup("b/2.tgz"),
            Some(Cow::Borrowed(_))
        ));
        assert_eq!(read, written);
        assert_eq!(read.targets.clone().into_map(), written.targets.into_map());
    }

    #[test]
    fn an_empty_map_is_indexed_too() {
        let (read, written) = received(&[]);
        assert!(read.targets.is_indexed());
        assert!(read.targets.is_empty());
        assert_eq!(read, written);
    }

    #[test]
    fn a_key_with_an_escape_is_read_into_a_built_map() {
        let (read, written) = received(&["plain", "quote\"d", "back\\slash"]);
        assert!(!read.targets.is_indexed());
        assert_eq!(
            read.targets.lookup("quote\"d").unwrap().into_owned(),
            file(b"quote\"d")
        );
        assert_eq!(read, written);
    }

    #[test]
    fn editing_an_indexed_map_builds_it_and_keeps_every_entry() {
        let (mut read, _) = received(&["a", "b"]);
        let copy = read.targets.clone();
        read.targets.insert("c".to_owned(), file(b"c"));
        assert!(!read.targets.is_indexed());
        assert_eq!(read.targets.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        // The clone taken before is still indexed and unchanged.
        assert!(copy.is_indexed());
        assert_eq!(copy.len(), 2);
        assert_ne!(copy, read.targets);
    }

    #[test]
    fn a_received_snapshot_indexes_its_meta() {
        let mut snapshot = Snapshot::new(expires());
        for bin in 0..300 {
            snapshot
                .meta
                .insert(format!("bin-{bin:03x}.json"), MetaFile::new(bin + 1));
        }
        let bytes = Arc::new(Metadata::new(snapshot.clone()).to_bytes());
        let text = std::str::from_utf8(&bytes).unwrap();
        let start = text.find("\"signed\": ").unwrap() + 10;
        let read = Snapshot::from_shared_text(&bytes, &text[start..text.len() - 2]).unwrap();
        assert!(read.meta.is_indexed());
        assert_eq!(read.meta.len(), 301);
        assert_eq!(read.role_meta("bin-12b").unwrap().version, 300);
        assert_eq!(read.role_meta("targets").unwrap().version, 1);
        assert!(read.role_meta("bin-12c").is_none());
        assert!(read.meta.is_indexed());
        assert_eq!(read, snapshot);
    }

    #[test]
    fn text_outside_the_owner_is_read_directly() {
        let (_, written) = received(&["a"]);
        let bytes = Metadata::new(written.clone()).to_bytes();
        let text = std::str::from_utf8(&bytes).unwrap();
        let start = text.find("\"signed\": ").unwrap() + 10;
        let signed = &text[start..text.len() - 2];
        let unrelated = Arc::new(b"{}".to_vec());
        let read = Targets::from_shared_text(&unrelated, signed).unwrap();
        assert!(!read.targets.is_indexed());
        assert_eq!(read, written);
    }
}
