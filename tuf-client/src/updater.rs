//! The updater: the I/O shell around [`TrustedMetadata`] (spec section 5).
//!
//! It fetches each file with a length cap, hands the bytes to the sans-I/O core, and only
//! after the core accepts them persists them, exactly as received, to the metadata cache. The
//! order of operations follows python-tuf's `ngclient.Updater`, which this mirrors:
//!
//! 1. root chain: `N+1.root.json`, `N+2.root.json`, ... until a 404 or
//!    `max_root_rotations` (5.3);
//! 2. timestamp: the cached one is loaded first so the new one is checked for rollback against
//!    it; an equal version keeps the old one (5.4);
//! 3. snapshot: the cached one is reused when it is still the one timestamp lists (version,
//!    length, hashes), else it is kept as intermediate metadata for rollback checks and a new
//!    one is fetched (5.5);
//! 4. targets and delegated roles: loaded on demand during the pre-order depth-first search for
//!    a target (5.6, 5.6.7), each from the cache when it still matches snapshot, else fetched.
//!
//! Fast-forward recovery (5.3.11): after a root rotation that replaces the timestamp or
//! snapshot keys, the cached timestamp and snapshot are deleted as the spec says (python-tuf
//! leaves them on disk); they would not verify anyway, so they never hold back the new,
//! possibly lower, versions.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use tuf_metadata::hashes::StreamVerifier;
use tuf_metadata::{Metadata, TargetFile, Targets};

use crate::cache::{self, CacheError, MetadataCache};
use crate::config::UpdaterConfig;
use crate::error::Error;
use crate::fetcher::{DefaultFetcher, FetchError, Fetcher, HttpConfig};
use crate::trusted::{Delivery, Intake, TrustError, TrustedMetadata};

/// Builds an [`Updater`].
pub struct UpdaterBuilder {
    metadata_dir: PathBuf,
    metadata_base_url: String,
    target_dir: Option<PathBuf>,
    target_base_url: Option<String>,
    fetcher: Option<Box<dyn Fetcher>>,
    config: UpdaterConfig,
    reference_time: Option<i64>,
}

impl UpdaterBuilder {
    /// Where downloaded targets are stored.
    pub fn target_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.target_dir = Some(dir.into());
        self
    }

    /// The base URL targets are downloaded from.
    pub fn target_base_url(mut self, url: &str) -> Self {
        self.target_base_url = Some(with_slash(url));
        self
    }

    /// Fetches with `fetcher` instead of the default HTTP/`file://` fetcher.
    pub fn fetcher(mut self, fetcher: Box<dyn Fetcher>) -> Self {
        self.fetcher = Some(fetcher);
        self
    }

    /// Limits other than python-tuf's defaults.
    pub fn config(mut self, config: UpdaterConfig) -> Self {
        self.config = config;
        self
    }

    /// Judges expiry at `unix_seconds` instead of the system clock (read once, at build).
    pub fn reference_time(mut self, unix_seconds: i64) -> Self {
        self.reference_time = Some(unix_seconds);
        self
    }

    /// Loads the trusted root from the metadata directory (spec 5.2).
    ///
    /// # Errors
    /// [`Error::NoTrustedRoot`] without a `root.json`, [`Error::Trust`] if it does not verify
    /// against itself, [`Error::Cache`] or [`Error::Fetch`] for I/O setup failures.
    pub fn build(self) -> Result<Updater, Error> {
        let cache = MetadataCache::open(&self.metadata_dir)?;
        let reference_time = self.reference_time.unwrap_or_else(now);
        let fetcher = match self.fetcher {
            Some(fetcher) => fetcher,
            None => Box::new(DefaultFetcher::new(HttpConfig::default())?),
        };
        let root = {
            let _lock = cache.lock()?;
            cache.load("root", self.config.root_max_length)?
        };
        let root = root.ok_or_else(|| Error::NoTrustedRoot {
            path: self.metadata_dir.join("root.json"),
        })?;
        let trusted = TrustedMetadata::new(&root, reference_time)?;
        Ok(Updater {
            metadata_base_url: self.metadata_base_url,
            target_base_url: self.target_base_url,
            target_dir: self.target_dir,
            cache,
            fetcher,
            config: self.config,
            trusted,
            pending: Vec::new(),
        })
    }
}

/// A TUF client for one repository: refreshes trusted metadata and downloads verified targets.
///
/// ```no_run
/// # fn main() -> Result<(), tuf_client::Error> {
/// // `tuf-client --metadata-dir md init root.json` (or `Updater::init`) stored the trusted root.
/// let mut updater = tuf_client::Updater::builder("md", "https://example.org/metadata/")
///     .target_dir("downloads")
///     .target_base_url("https://example.org/targets/")
///     .build()?;
/// updater.refresh()?;
/// let info = updater.get_target_info("app/v1.2.tar.gz")?;
/// let path = match updater.find_cached_target(&info, "app/v1.2.tar.gz")? {
///     Some(path) => path,
///     None => updater.download_target(&info, "app/v1.2.tar.gz")?,
/// };
/// println!("verified target at {}", path.display());
/// # Ok(())
/// # }
/// ```
pub struct Updater {
    metadata_base_url: String,
    target_base_url: Option<String>,
    target_dir: Option<PathBuf>,
    cache: MetadataCache,
    fetcher: Box<dyn Fetcher>,
    config: UpdaterConfig,
    trusted: TrustedMetadata,
    /// Roles verified since the last [`Updater::finish_stores`], each being staged in the
    /// cache by a thread of its own; committed in this order.
    pending: Vec<PendingStore>,
}

/// A verified role on its way to the cache.
enum PendingStore {
    /// Being written and flushed by its own thread.
    Staging(std::thread::JoinHandle<Result<cache::StagedRole, CacheError>>),
    /// Written (no thread could be started, so it was staged in place).
    Staged(Result<cache::StagedRole, CacheError>),
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Percent-encodes the bytes of a target path that a URL path cannot carry as they are (spec
/// 4.5: TARGETPATH is a path relative to the targets base URL). RFC 3986 `pchar` and `/` pass
/// through, so ordinary paths are sent unchanged; `?`, `#`, `%`, spaces and non-ASCII are
/// escaped, so `a?b` names the file `a?b`, not `a` with a query. python-tuf sends the path
/// as it is (a `?` or `#` in a path then names another resource).
fn encode_target_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

impl Updater {
    /// Starts building an updater over the metadata directory `metadata_dir` (which must hold
    /// the trusted `root.json`) and the repository's metadata at `metadata_base_url`.
    pub fn builder(metadata_dir: impl Into<PathBuf>, metadata_base_url: &str) -> UpdaterBuilder {
        UpdaterBuilder {
            metadata_dir: metadata_dir.into(),
            metadata_base_url: with_slash(metadata_base_url),
            target_dir: None,
            target_base_url: None,
            fetcher: None,
            config: UpdaterConfig::default(),
            reference_time: None,
        }
    }

    /// Makes `root_bytes` the trusted root of `metadata_dir` (stored as `root.json`), after
    /// checking that it parses and is signed by its own threshold (spec 5.2). No expiry check:
    /// a client may start from a root that expired long ago and rotate forward.
    ///
    /// # Errors
    /// [`Error::Trust`] if the root does not verify, [`Error::Cache`] if it cannot be stored.
    pub fn init(metadata_dir: &Path, root_bytes: &[u8]) -> Result<(), Error> {
        TrustedMetadata::new(root_bytes, now())?;
        let cache = MetadataCache::open(metadata_dir)?;
        let _lock = cache.lock()?;
        cache.store("root", root_bytes)?;
        Ok(())
    }

    /// The trusted metadata so far.
    pub fn trusted(&self) -> &TrustedMetadata {
        &self.trusted
    }

    /// The top-level client workflow: root chain, timestamp, snapshot, targets (spec 5.3-5.6).
    /// The metadata directory is locked for the duration, so several processes can share it.
    ///
    /// # Errors
    /// The first refusal or I/O failure; roles verified before it stay stored.
    pub fn refresh(&mut self) -> Result<(), Error> {
        let _lock = self.cache.lock()?;
        let result = self
            .load_root()
            .and_then(|()| self.load_timestamp())
            .and_then(|()| self.load_snapshot())
            .and_then(|()| self.load_targets("targets", "root"));
        // Also when a later step failed: the roles verified before it stay stored.
        let stored = self.finish_stores();
        result.and(stored)
    }

    /// Verifies the freshly fetched `bytes` of `role` with `verify` while a thread of its own
    /// stages them in the cache (writes them to a temporary file and flushes it to disk: the
    /// flush waits on the disk, the verification on the CPU). Accepted bytes join the roles
    /// [`Updater::finish_stores`] commits; rejected bytes never replace the role's file (the
    /// staging is waited for and its temporary file removed).
    fn verify_and_stage(
        &mut self,
        role: &str,
        bytes: impl Into<Arc<Vec<u8>>>,
        verify: impl FnOnce(&mut TrustedMetadata, &Arc<Vec<u8>>) -> Result<(), TrustError>,
    ) -> Result<(), Error> {
        let bytes = bytes.into();
        let (cache, name, shared) = (self.cache.clone(), role.to_owned(), Arc::clone(&bytes));
        let writer = std::thread::Builder::new().spawn(move || cache.stage(&name, &shared));
        let verified = verify(&mut self.trusted, &bytes);
        match (writer, verified) {
            (Ok(handle), Ok(())) => self.pending.push(PendingStore::Staging(handle)),
            (Err(_), Ok(())) => {
                // No thread to be had: staged here, after the verification.
                self.pending
                    .push(PendingStore::Staged(self.cache.stage(role, &bytes)));
            }
            (writer, Err(error)) => {
                if let Ok(handle) = writer {
                    // Waited for, so that its temporary file is gone under the lock.
                    drop(handle.join());
                }
                return Err(error.into());
            }
        }
        Ok(())
    }

    /// Commits the roles verified since the last call, in the order they were verified (each
    /// renamed over its file once its staging thread has written and flushed it), then flushes
    /// the directory once. The staging of several roles overlaps, and overlaps the
    /// verification of the roles after them; a crash at any point leaves each role's file old
    /// or new, never partial (see [`MetadataCache::stage`]). Called before the lock is
    /// released.
    ///
    /// # Errors
    /// The first staging or rename failure (the roles after it are not committed).
    fn finish_stores(&mut self) -> Result<(), Error> {
        let mut result = Ok(());
        let mut committed = false;
        for pending in std::mem::take(&mut self.pending) {
            let staged = match pending {
                PendingStore::Staging(handle) => handle
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
                PendingStore::Staged(staged) => staged,
            };
            // After a failure the rest is only waited for (and removed when dropped).
            if result.is_ok() {
                result = staged.and_then(cache::StagedRole::commit);
                committed |= result.is_ok();
            }
        }
        if committed {
            let synced = self.cache.sync();
            result = result.and(synced);
        }
        result.map_err(Error::from)
    }

    /// Fetches `url` (at most `max_length` bytes) into `intake`, whose checks run while the
    /// bytes arrive.
    fn fetch_checked(
        &self,
        url: &str,
        max_length: u64,
        mut intake: Intake,
    ) -> Result<Delivery, Error> {
        intake.reserve(crate::fetcher::reservation(max_length));
        let length = self.fetcher.fetch_into(url, max_length, &mut intake)?;
        tracing::debug!(url, length, "fetched");
        Ok(intake.seal())
    }

    fn metadata_url(&self, role: &str, version: Option<u64>) -> String {
        match version {
            Some(v) => format!("{}{v}.{}.json", self.metadata_base_url, cache::quote(role)),
            None => format!("{}{}.json", self.metadata_base_url, cache::quote(role)),
        }
    }

    fn consistent_snapshot(&self) -> bool {
        self.trusted
            .root()
            .signed()
            .consistent_snapshot
            .unwrap_or(false)
    }

    /// 5.3: fetch `N+1.root.json`, ... until not found, each checked by the core; then 5.3.11.
    fn load_root(&mut self) -> Result<(), Error> {
        let before = online_role_keys(self.trusted.root().signed());
        let result = self.fetch_roots();
        // 5.3.11, fast-forward attack recovery, once the roots that verified are trusted
        // (even when a later one failed). Rotated timestamp keys: the cached timestamp is
        // deleted. Rotated snapshot keys: the cached snapshot and the cached timestamp (whose
        // snapshot version would refuse the restarted snapshot, 5.4.3.2) are deleted. The spec
        // says "delete the trusted timestamp and snapshot metadata files" for either; a
        // snapshot whose keys did not change still verifies and is kept, so the requests are
        // those of python-tuf's ngclient (which deletes nothing but loads only what verifies).
        let [timestamp_before, snapshot_before] = before;
        let [timestamp_now, snapshot_now] = online_role_keys(self.trusted.root().signed());
        let snapshot_rotated = snapshot_now != snapshot_before;
        if snapshot_rotated || timestamp_now != timestamp_before {
            tracing::debug!(
                snapshot_rotated,
                "5.3.11: online keys rotated, cache cleared"
            );
            self.cache.remove("timestamp")?;
        }
        if snapshot_rotated {
            self.cache.remove("snapshot")?;
        }
        result
    }

    fn fetch_roots(&mut self) -> Result<(), Error> {
        let lower = self.trusted.root().signed().version.saturating_add(1);
        let upper = lower.saturating_add(u64::from(self.config.max_root_rotations));
        for version in lower..upper {
            let url = self.metadata_url("root", Some(version));
            let bytes = match self.fetcher.fetch(&url, self.config.root_max_length) {
                Ok(bytes) => bytes,
                Err(FetchError::NotFound { .. }) => break,
                Err(error) => return Err(error.into()),
            };
            self.verify_and_stage("root", bytes, |trusted, bytes| {
                trusted.update_root(bytes).map(|_| ())
            })?;
            tracing::debug!(version, "5.3: root rotated");
        }
        Ok(())
    }

    /// 5.4: the cached timestamp first (for rollback checks), then the new one.
    fn load_timestamp(&mut self) -> Result<(), Error> {
        if let Ok(Some(local)) = self
            .cache
            .load("timestamp", self.config.timestamp_max_length)
        {
            // A cached timestamp that is not valid as final metadata (expired, or signed by
            // keys root no longer trusts) is simply not used as final.
            if let Err(error) = self.trusted.update_timestamp(&local) {
                tracing::debug!(%error, "cached timestamp not used as final");
            }
        }
        let url = self.metadata_url("timestamp", None);
        let bytes = self.fetcher.fetch(&url, self.config.timestamp_max_length)?;
        let verified = self.verify_and_stage("timestamp", bytes, |trusted, bytes| {
            trusted.update_timestamp(bytes).map(|_| ())
        });
        match verified {
            Ok(()) => {}
            // The same version again: keep the trusted one, store nothing.
            Err(Error::Trust(TrustError::EqualVersion { version, .. })) => {
                tracing::debug!(version, "5.4: timestamp unchanged");
                return Ok(());
            }
            Err(error) => return Err(error),
        }
        tracing::debug!(url, "5.4: timestamp verified");
        Ok(())
    }

    /// 5.5: reuse the cached snapshot if it is still the one timestamp lists, else fetch.
    fn load_snapshot(&mut self) -> Result<(), Error> {
        let snapshot_meta = self
            .trusted
            .timestamp()
            .map(|t| t.signed().snapshot_meta.clone())
            .ok_or(TrustError::OutOfOrder {
                step: "snapshot",
                reason: "no trusted timestamp",
            })?;
        let max_length = snapshot_meta
            .length
            .unwrap_or(self.config.snapshot_max_length);
        if let Ok(Some(local)) = self.cache.load("snapshot", max_length) {
            let local = Arc::new(local);
            // Loaded as trusted (no hash check) so that even a stale cached snapshot serves
            // as intermediate metadata for the rollback checks of 5.5.5; reused only if it is
            // final and still matches what timestamp lists.
            if self.trusted.update_snapshot(&local, true).is_ok()
                && snapshot_meta.verify_length_and_hashes(&local).is_ok()
            {
                tracing::debug!("5.5: cached snapshot still current");
                return Ok(());
            }
        }
        let version = self.consistent_snapshot().then_some(snapshot_meta.version);
        let url = self.metadata_url("snapshot", version);
        // Checked while it arrives (5.5.2, 5.5.3), then verified.
        let intake = self.trusted.snapshot_intake()?;
        let delivery = self.fetch_checked(&url, max_length, intake)?;
        self.verify_and_stage("snapshot", Arc::clone(delivery.bytes()), |trusted, _| {
            trusted.update_snapshot(&delivery, false).map(|_| ())
        })?;
        tracing::debug!(url, "5.5: snapshot verified");
        Ok(())
    }

    /// 5.6: a targets role, verified against `delegator`; from the cache when it still matches
    /// snapshot, else fetched. A role already loaded through another delegator is verified
    /// again against this one.
    fn load_targets(&mut self, role: &str, delegator: &str) -> Result<(), Error> {
        if self.trusted.delegated_by(role, delegator).is_some() {
            return Ok(());
        }
        if self.trusted.delegated(role).is_some() {
            // Already trusted through another delegator: it must satisfy this one too.
            self.trusted.verify_delegated_via(role, delegator)?;
            return Ok(());
        }
        let meta = self
            .trusted
            .snapshot()
            .and_then(|s| s.signed().role_meta(role).map(std::borrow::Cow::into_owned))
            .ok_or_else(|| TrustError::NotInSnapshot {
                role: role.to_owned(),
            })?;
        let max_length = meta.length.unwrap_or(self.config.targets_max_length);
        let from_cache = match self.cache.load(role, max_length) {
            Ok(Some(local)) => self
                .trusted
                .update_delegated_targets(&Arc::new(local), role, delegator)
                .is_ok(),
            _ => false,
        };
        if !from_cache {
            let version = self.consistent_snapshot().then_some(meta.version);
            let url = self.metadata_url(role, version);
            // Checked while it arrives (5.6.2, 5.6.3), then verified.
            let intake = self.trusted.targets_intake(role, delegator)?;
            let delivery = self.fetch_checked(&url, max_length, intake)?;
            self.verify_and_stage(role, Arc::clone(delivery.bytes()), |trusted, _| {
                trusted
                    .update_delegated_targets(&delivery, role, delegator)
                    .map(|_| ())
            })?;
            tracing::debug!(role, delegator, url, "5.6: targets role verified");
        } else {
            tracing::debug!(role, delegator, "5.6: cached targets role still current");
        }
        Ok(())
    }

    /// Finds the trusted description of `target_path`: a pre-order depth-first search of the
    /// delegation graph in listed order, honouring terminating delegations, visiting each
    /// (role, delegator) pair once and at most `max_delegations` roles (spec 5.6.7). Refreshes
    /// first if that has not happened yet.
    ///
    /// # Errors
    /// [`Error::TargetNotFound`] if no visited role lists the target, or the refusal of a
    /// role met on the way.
    pub fn get_target_info(&mut self, target_path: &str) -> Result<TargetFile, Error> {
        if self.trusted.targets().is_none() {
            self.refresh()?;
        }
        // The metadata directory is locked only once a role has to be read from it or
        // fetched: a lookup among roles already trusted touches no file.
        let mut lock = None;
        let found = self.search_target(target_path, &mut lock);
        if lock.is_some() {
            // Roles verified on the way stored before the lock is released.
            let stored = self.finish_stores();
            return found.and_then(|info| stored.map(|()| info));
        }
        found
    }

    /// The search of [`Updater::get_target_info`]; takes the lock into `lock` before the
    /// first role that has to be read or fetched.
    fn search_target(
        &mut self,
        target_path: &str,
        lock: &mut Option<cache::CacheLock>,
    ) -> Result<TargetFile, Error> {
        let mut to_visit: Vec<(String, String)> = vec![("targets".to_owned(), "root".to_owned())];
        let mut visited: Vec<(String, String)> = Vec::new();
        while let Some((role, delegator)) = to_visit.pop() {
            if visited.len() > self.config.max_delegations as usize {
                break;
            }
            if visited.contains(&(role.clone(), delegator.clone())) {
                continue;
            }
            if lock.is_none() && self.trusted.delegated(&role).is_none() {
                *lock = Some(self.cache.lock()?);
            }
            self.load_targets(&role, &delegator)?;
            let targets: &Metadata<Targets> =
                self.trusted
                    .delegated(&role)
                    .ok_or_else(|| TrustError::UnknownDelegator {
                        delegator: delegator.clone(),
                        role: role.clone(),
                    })?;
            // 5.7.1/5.7.2: one entry read from the role's index, the map never built.
            if let Some(info) = targets.signed().targets.lookup(target_path) {
                return Ok(info.into_owned());
            }
            let mut children = Vec::new();
            if let Some(delegations) = &targets.signed().delegations {
                for (child, terminating) in delegations.roles_for_target(target_path) {
                    children.push((child.into_owned(), role.clone()));
                    if terminating {
                        to_visit.clear();
                        break;
                    }
                }
            }
            visited.push((role, delegator));
            children.reverse();
            to_visit.extend(children);
        }
        Err(Error::TargetNotFound {
            path: target_path.to_owned(),
        })
    }

    fn target_file_path(&self, target_path: &str) -> Result<PathBuf, Error> {
        let dir = self.target_dir.as_ref().ok_or_else(|| Error::Config {
            reason: "no target directory configured".to_owned(),
        })?;
        Ok(dir.join(cache::quote(target_path)))
    }

    /// The local copy of `target_path` if it exists and matches `info` (length, then every
    /// hash, streamed), so it need not be downloaded again.
    ///
    /// # Errors
    /// [`Error::Config`] without a target directory.
    pub fn find_cached_target(
        &self,
        info: &TargetFile,
        target_path: &str,
    ) -> Result<Option<PathBuf>, Error> {
        let path = self.target_file_path(target_path)?;
        let Ok(file) = std::fs::File::open(&path) else {
            return Ok(None);
        };
        if file.metadata().map(|m| m.len()).ok() != Some(info.length) {
            return Ok(None);
        }
        let Ok(mut verifier) = StreamVerifier::new(Some(info.length), &info.hashes) else {
            return Ok(None);
        };
        let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
        let mut buffer = vec![0u8; 1 << 16];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    verifier.update(buffer.get(..n).unwrap_or_default());
                    if verifier.exceeded() {
                        return Ok(None);
                    }
                }
                Err(_) => return Ok(None),
            }
        }
        Ok(verifier.finish().is_ok().then_some(path))
    }

    /// Downloads `target_path`, verifies its length and every listed hash (spec 5.7.3), and
    /// only then stores it in the target directory (atomically). With consistent snapshots the
    /// file is requested as `<dir>/<hash>.<name>`.
    ///
    /// # Errors
    /// [`Error::Fetch`], [`Error::TargetVerification`], [`Error::Cache`], or
    /// [`Error::Config`] without a target directory or base URL.
    pub fn download_target(
        &mut self,
        info: &TargetFile,
        target_path: &str,
    ) -> Result<PathBuf, Error> {
        let base = self.target_base_url.as_ref().ok_or_else(|| Error::Config {
            reason: "no target base URL configured".to_owned(),
        })?;
        let dir = self.target_dir.clone().ok_or_else(|| Error::Config {
            reason: "no target directory configured".to_owned(),
        })?;
        let remote = match (
            self.consistent_snapshot() && self.config.prefix_targets_with_hash,
            info.hashes.values().next(),
        ) {
            (true, Some(digest)) => match target_path.rsplit_once('/') {
                Some((dir, name)) => format!("{dir}/{digest}.{name}"),
                None => format!("{digest}.{target_path}"),
            },
            _ => target_path.to_owned(),
        };
        let url = format!("{base}{}", encode_target_path(&remote));
        tracing::debug!(url, length = info.length, "5.7: downloading target");
        let failed = |source| Error::TargetVerification {
            path: target_path.to_owned(),
            source,
        };
        // Streamed into a temporary file in the metadata directory and hashed as it arrives,
        // capped at the trusted length: memory stays bounded whatever the target's size.
        let staged = cache::StagedTarget::create(self.cache.dir()).map_err(Error::Cache)?;
        // A listed hash algorithm we cannot compute fails the check (as in python-tuf), but
        // only after the download, as python-tuf's ngclient does, so that the requests made
        // are the same.
        let (verifier, unsupported) = match StreamVerifier::new(Some(info.length), &info.hashes) {
            Ok(verifier) => (Some(verifier), None),
            Err(e) => (None, Some(e)),
        };
        let mut sink = VerifyingSink {
            staged,
            verifier,
            written: 0,
        };
        self.fetcher.fetch_into(&url, info.length, &mut sink)?;
        sink.flush_to_disk()?;
        let VerifyingSink {
            staged,
            verifier: running,
            written,
        } = sink;
        match (running, unsupported) {
            (Some(running), _) => running.finish().map_err(failed)?,
            // Length first, then the unsupported algorithm, as `hashes::verify` reports them.
            (None, Some(unsupported)) if written == info.length => {
                return Err(failed(unsupported));
            }
            (None, _) => {
                return Err(failed(tuf_metadata::Error::LengthMismatch {
                    expected: info.length,
                    found: written,
                }));
            }
        }
        let stored = staged
            .persist(&dir, &cache::quote(target_path))
            .map_err(|e: CacheError| Error::Cache(e))?;
        Ok(stored)
    }
}

/// The key ids of the timestamp and snapshot roles, sorted (5.3.11 compares them across a root
/// update; a reordering or a threshold change alone is not a key rotation).
fn online_role_keys(root: &tuf_metadata::Root) -> [Vec<tuf_crypto::KeyId>; 2] {
    ["timestamp", "snapshot"].map(|name| {
        let mut keyids = root
            .roles
            .get(name)
            .map(|role| role.keyids.clone())
            .unwrap_or_default();
        keyids.sort();
        keyids
    })
}

/// The sink of a target download: each piece goes to the staged file and to the running
/// length and hash check.
struct VerifyingSink {
    staged: cache::StagedTarget,
    verifier: Option<StreamVerifier>,
    written: u64,
}

impl VerifyingSink {
    fn flush_to_disk(&mut self) -> Result<(), Error> {
        self.staged.flush().map_err(|source| {
            Error::Cache(CacheError::Io {
                path: self.staged.path().to_path_buf(),
                source,
            })
        })
    }
}

impl Write for VerifyingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.staged.write(buf)?;
        let piece = buf.get(..n).unwrap_or_default();
        if let Some(verifier) = self.verifier.as_mut() {
            verifier.update(piece);
        }
        self.written = self.written.saturating_add(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.staged.flush()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn target_paths_are_encoded_only_where_needed() {
        assert_eq!(
            super::encode_target_path("dir/a-1.0_x~.tar.gz"),
            "dir/a-1.0_x~.tar.gz"
        );
        assert_eq!(
            super::encode_target_path("d/what?#1 100%"),
            "d/what%3F%231%20100%25"
        );
        assert_eq!(super::encode_target_path("ü"), "%C3%BC");
    }
}
