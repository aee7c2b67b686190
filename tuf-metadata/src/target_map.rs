//! The `targets` map of a targets role (spec section 4.5): target path → [`TargetFile`].
//!
//! A [`TargetMap`] is either built (a `BTreeMap`, what a repository edits) or *indexed*: read
//! from received bytes that it shares with their owner, with every entry validated once and
//! only the position of each key kept. A client looks up one or a few targets among tens of
//! thousands (spec 5.7.1-5.7.2), so building 100,000 entries it never reads costs more time
//! and memory than anything else it does with the role apart from the signature check. An
//! indexed map keeps 8 bytes per entry beside the bytes received; [`TargetMap::lookup`] reads
//! the one entry asked for.
//!
//! Both forms behave as the same map: `Deref` to the `BTreeMap` builds it on first use (from
//! the validated entries, once, kept) and `DerefMut` turns an indexed map into a built one.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, OnceLock};

use crate::TargetFile;

/// Target path → description, built or indexed (see the module documentation).
///
/// ```
/// use tuf_metadata::{TargetFile, target_map::TargetMap};
/// let mut map = TargetMap::new();
/// map.insert("a.txt".to_owned(), TargetFile::from_data(b"a", &["sha256"]).unwrap());
/// assert_eq!(map.len(), 1);
/// assert_eq!(map.lookup("a.txt").unwrap().length, 1);
/// assert!(map.lookup("b.txt").is_none());
/// ```
#[derive(Clone, Default)]
pub struct TargetMap {
    /// The map when built; empty while indexed.
    built: BTreeMap<String, TargetFile>,
    /// The index, and the map built from it on first use.
    indexed: Option<(Arc<Index>, OnceLock<Built>)>,
}

/// The built form.
type Built = BTreeMap<String, TargetFile>;

/// The validated entries of a map inside received bytes.
pub(crate) struct Index {
    /// The bytes received (the whole file).
    pub(crate) bytes: Arc<Vec<u8>>,
    /// Each key's text between its quotes, as (start, length) in `bytes`: keys without
    /// escapes (their text is their value), sorted by key and unique (the last of equal keys
    /// in the text kept, as everywhere else).
    pub(crate) keys: Vec<(u32, u32)>,
}

impl Index {
    fn key(&self, &(start, len): &(u32, u32)) -> Option<&str> {
        let (start, len) = (usize::try_from(start).ok()?, usize::try_from(len).ok()?);
        std::str::from_utf8(self.bytes.get(start..start.checked_add(len)?)?).ok()
    }

    /// The entry after key `span`: `: value`, read again from the bytes. It was read (and
    /// found valid) when the index was built, so `None` cannot happen short of a bug; it
    /// would make the target unknown, which refuses its download (fail safe).
    fn entry(&self, &(start, len): &(u32, u32)) -> Option<TargetFile> {
        let after = usize::try_from(start).ok()? + usize::try_from(len).ok()? + 1;
        let rest = self.bytes.get(after..)?;
        let colon = rest.iter().position(|b| !b.is_ascii_whitespace())?;
        if rest.get(colon) != Some(&b':') {
            return None;
        }
        let value = rest.get(colon + 1..)?;
        let mut values = serde_json::Deserializer::from_slice(value)
            .into_iter::<crate::fast::Entry<TargetFile>>();
        values.next()?.ok().map(|entry| entry.0)
    }

    fn find(&self, path: &str) -> Option<&(u32, u32)> {
        let found = self
            .keys
            .binary_search_by(|span| self.key(span).unwrap_or_default().cmp(path))
            .ok()?;
        self.keys.get(found)
    }

    fn build(&self) -> BTreeMap<String, TargetFile> {
        self.keys
            .iter()
            .filter_map(|span| Some((self.key(span)?.to_owned(), self.entry(span)?)))
            .collect()
    }
}

impl TargetMap {
    /// An empty (built) map.
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn indexed(index: Index) -> Self {
        TargetMap {
            built: BTreeMap::new(),
            indexed: Some((Arc::new(index), OnceLock::new())),
        }
    }

    /// Whether the map is indexed and not built (yet): lookups read single entries.
    pub fn is_indexed(&self) -> bool {
        matches!(&self.indexed, Some((_, built)) if built.get().is_none())
    }

    /// The description of `path`, if listed. An indexed map reads just this entry; a built
    /// map lends it.
    pub fn lookup(&self, path: &str) -> Option<Cow<'_, TargetFile>> {
        match &self.indexed {
            None => self.built.get(path).map(Cow::Borrowed),
            Some((index, built)) => match built.get() {
                Some(map) => map.get(path).map(Cow::Borrowed),
                None => index.entry(index.find(path)?).map(Cow::Owned),
            },
        }
    }

    /// Whether `path` is listed (without building an indexed map).
    pub fn contains_key(&self, path: &str) -> bool {
        match &self.indexed {
            None => self.built.contains_key(path),
            Some((index, _)) => index.find(path).is_some(),
        }
    }

    /// How many targets are listed (without building an indexed map).
    pub fn len(&self) -> usize {
        match &self.indexed {
            None => self.built.len(),
            Some((index, _)) => index.keys.len(),
        }
    }

    /// Whether no target is listed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The built map, taken out.
    pub fn into_map(self) -> BTreeMap<String, TargetFile> {
        match self.indexed {
            None => self.built,
            Some((index, built)) => built.into_inner().unwrap_or_else(|| index.build()),
        }
    }
}

impl Deref for TargetMap {
    type Target = BTreeMap<String, TargetFile>;

    /// The map; an indexed map is built on first use and kept.
    fn deref(&self) -> &Self::Target {
        match &self.indexed {
            None => &self.built,
            Some((index, built)) => built.get_or_init(|| index.build()),
        }
    }
}

impl DerefMut for TargetMap {
    /// The map, for editing; an indexed map becomes a built one (the bytes are let go).
    fn deref_mut(&mut self) -> &mut Self::Target {
        if let Some((index, built)) = self.indexed.take() {
            self.built = built.into_inner().unwrap_or_else(|| index.build());
        }
        &mut self.built
    }
}

impl From<BTreeMap<String, TargetFile>> for TargetMap {
    fn from(built: BTreeMap<String, TargetFile>) -> Self {
        TargetMap {
            built,
            indexed: None,
        }
    }
}

impl FromIterator<(String, TargetFile)> for TargetMap {
    fn from_iter<I: IntoIterator<Item = (String, TargetFile)>>(iter: I) -> Self {
        BTreeMap::from_iter(iter).into()
    }
}

impl<'a> IntoIterator for &'a TargetMap {
    type Item = (&'a String, &'a TargetFile);
    type IntoIter = std::collections::btree_map::Iter<'a, String, TargetFile>;

    fn into_iter(self) -> Self::IntoIter {
        self.deref().iter()
    }
}

impl IntoIterator for TargetMap {
    type Item = (String, TargetFile);
    type IntoIter = std::collections::btree_map::IntoIter<String, TargetFile>;

    fn into_iter(self) -> Self::IntoIter {
        self.into_map().into_iter()
    }
}

impl PartialEq for TargetMap {
    /// Equal when they list the same targets, whatever their forms.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && **self == **other
    }
}

impl Eq for TargetMap {}

impl fmt::Debug for TargetMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{Expires, Metadata, Signed, Targets};

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
