//! `tuf-repo`: create and maintain a TUF repository in a directory.
//!
//! Layout of a repository directory DIR: `metadata/` and `targets/` are what a web server
//! serves; `keys/` holds the private keys (keep it private, move offline keys out of it);
//! `staged/` holds edits not yet published. Every command prints what it did; errors are one
//! line plus their causes on standard error, with exit code 1.
#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use clap::{ArgAction, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use tuf_crypto::{Scheme, Signer};
use tuf_repo::progress::Unit;
use tuf_repo::{
    DelegatedPaths, DelegationOptions, FsStorage, InitOptions, KeyOptions, Progress, PublishReport,
    Repository, Storage, TargetSource,
};

/// The nine signature schemes, for help texts.
const SCHEMES: &str = "ed25519, ecdsa-sha2-nistp256, ecdsa-sha2-nistp384, rsassa-pss-sha256, \
rsassa-pss-sha384, rsassa-pss-sha512, rsa-pkcs1v15-sha256, rsa-pkcs1v15-sha384, rsa-pkcs1v15-sha512";

/// Create and maintain a TUF repository: keys, targets, delegations, hash bins, threshold
/// signing, key rotation and expiry refresh.
///
/// DIR/metadata/ and DIR/targets/ are what a web server serves; DIR/keys/ holds private keys
/// (never serve it); DIR/staged/ holds edits not yet published. Clients start from
/// DIR/metadata/1.root.json.
#[derive(Debug, Parser)]
#[command(name = "tuf-repo", version, about, long_about)]
struct Cli {
    /// Size in bits of new RSA keys (testing aid; default 3072).
    #[arg(long, global = true, hide = true, value_name = "BITS")]
    rsa_bits: Option<usize>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a repository (keys and version 1 of every role)
    ///
    /// DIR must not exist or be empty. Makes one new key per top-level role under
    /// DIR/keys/<role>/, version 1 of root, targets, snapshot and timestamp under
    /// DIR/metadata/, and an empty DIR/targets/. Clients trust DIR/metadata/1.root.json.
    Init {
        /// The repository directory.
        dir: PathBuf,
        /// Signature scheme of the new keys: one of ed25519 (default), ecdsa-sha2-nistp256,
        /// ecdsa-sha2-nistp384, rsassa-pss-sha256, rsassa-pss-sha384, rsassa-pss-sha512,
        /// rsa-pkcs1v15-sha256, rsa-pkcs1v15-sha384, rsa-pkcs1v15-sha512.
        #[arg(long, value_name = "SCHEME", default_value = "ed25519", value_parser = parse_scheme)]
        key_type: Scheme,
        /// Use consistent snapshots: versioned metadata file names and hash-prefixed target
        /// files (`true`, the default), or plain names (`false`).
        #[arg(long, value_name = "true|false", default_value_t = true, action = ArgAction::Set)]
        consistent_snapshot: bool,
        /// Days until the first version of every role expires (default: root and targets
        /// 365, snapshot 7, timestamp 1).
        #[arg(long, value_name = "N")]
        expires_days: Option<u32>,
    },
    /// Add local files as targets (publish afterwards)
    ///
    /// Hashes each file (sha256 and sha512, streamed), copies it into DIR/targets/
    /// (as <dir>/<sha256>.<name> and <dir>/<sha512>.<name> with consistent snapshots) and
    /// lists it in a targets role. Does not publish: run `publish` next.
    Add {
        /// The repository directory.
        dir: PathBuf,
        /// The files to add.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        /// Target path prefix: each target is PATH_PREFIX/<file name> (default: the file
        /// name alone).
        #[arg(long, value_name = "PATH_PREFIX")]
        to: Option<String>,
        /// The targets role to list them in (default `targets`). A role that delegates to
        /// hash bins places each target in its bin.
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
    },
    /// Remove targets (publish afterwards)
    ///
    /// Removes each target path from every role that lists it. The files stay in
    /// DIR/targets/ for clients in the middle of an update. Does not publish.
    Remove {
        /// The repository directory.
        dir: PathBuf,
        /// The target paths to remove.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<String>,
    },
    /// Delegate target paths to a new role with new keys (publish afterwards)
    ///
    /// The new role gets as many new keys as its threshold, stored under DIR/keys/<ROLE>/.
    /// Does not publish.
    Delegate {
        /// The repository directory.
        dir: PathBuf,
        /// The delegating role (`targets` or a delegated role).
        #[arg(long, value_name = "ROLE")]
        from: String,
        /// The new role.
        #[arg(long, value_name = "ROLE")]
        to: String,
        /// Glob patterns of the delegated target paths (`*` does not cross `/`).
        #[arg(long, value_name = "GLOB", num_args = 1.., required_unless_present = "hash_prefixes", conflicts_with = "hash_prefixes")]
        paths: Vec<String>,
        /// Lower-case hex prefixes of the SHA-256 of the delegated target paths.
        #[arg(long, value_name = "P", num_args = 1..)]
        hash_prefixes: Vec<String>,
        /// Stop the search for a target at this role when its paths match.
        #[arg(long)]
        terminating: bool,
        /// Signature scheme of the new keys (see `init --help`).
        #[arg(long, value_name = "SCHEME", default_value = "ed25519", value_parser = parse_scheme)]
        key_type: Scheme,
        /// How many of the new role's keys must sign (that many keys are made).
        #[arg(long, value_name = "N", default_value_t = 1)]
        threshold: u64,
    },
    /// Delegate everything from a role to succinct hash bins (publish afterwards)
    ///
    /// Makes COUNT bins (TAP 15) named PREFIX-<hex>, all trusting one new key stored under
    /// DIR/keys/PREFIX-bins/. Targets added to the delegating role afterwards go to their
    /// bin. Does not publish.
    Bins {
        /// The repository directory.
        dir: PathBuf,
        /// The delegating role.
        #[arg(long, value_name = "ROLE")]
        from: String,
        /// Number of bins: a power of two from 2 to 16384.
        #[arg(long, value_name = "N")]
        count: u64,
        /// Prefix of the bin names.
        #[arg(long, value_name = "NAME", default_value = "bin")]
        prefix: String,
        /// Signature scheme of the new key (see `init --help`).
        #[arg(long, value_name = "SCHEME", default_value = "ed25519", value_parser = parse_scheme)]
        key_type: Scheme,
    },
    /// Sign and write what changed, then a new snapshot and timestamp
    ///
    /// Each changed role gets a new version signed with the keys found under DIR/keys/
    /// (fewer than the threshold is allowed: complete it with `sign`); a new root version is
    /// signed by the previous root's keys and its own. Unchanged roles are not rewritten.
    Publish {
        /// The repository directory.
        dir: PathBuf,
        /// List the sha256 of every targets role in snapshot, besides its length (`false`:
        /// lengths only). Later publishes keep what the published snapshot does.
        #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
        snapshot_hashes: Option<bool>,
    },
    /// Add a signature by an offline key to the current version of a role
    ///
    /// The content and version of ROLE do not change. Signing a targets role also re-issues
    /// snapshot and timestamp (snapshot lists the role's length), signing snapshot the
    /// timestamp (it lists the snapshot's length and hash).
    Sign {
        /// The repository directory.
        dir: PathBuf,
        /// The role to sign.
        role: String,
        /// The private key: unencrypted PKCS#8 PEM.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Show version, expiry, threshold, signatures and state of every role
    ///
    /// For each role: published version, expiry, threshold, trusted keys that signed and
    /// that did not, whether it verifies against its delegator (root: against the previous
    /// root too), and whether it has unpublished changes. Always exits 0.
    Status {
        /// The repository directory.
        dir: PathBuf,
        /// Print JSON: {"consistent_snapshot": bool, "roles": {ROLE: {"version", "expires",
        /// "expired", "threshold", "signed", "missing", "verified", "pending"}}}.
        #[arg(long)]
        json: bool,
    },
    /// Replace a role's keys, then publish
    ///
    /// ROLE's keys are replaced by new ones (as many as its threshold), or with --keep-old
    /// one new key is added. For a top-level role a new root version is written (for root,
    /// signed by the old and the new root keys); for a delegated role its delegator is
    /// updated; the role is re-signed with the new key. Old key files stay under DIR/keys/.
    Rotate {
        /// The repository directory.
        dir: PathBuf,
        /// The role whose keys to rotate (any bin rotates the shared key of all bins).
        role: String,
        /// Signature scheme of the new key (default: the scheme of the current key).
        #[arg(long, value_name = "SCHEME", value_parser = parse_scheme)]
        key_type: Option<Scheme>,
        /// Keep the current keys and add the new one.
        #[arg(long)]
        keep_old: bool,
    },
    /// Manage the keys trusted for a role (publish afterwards)
    ///
    /// For a top-level role the keys are listed in root (the next root version is signed by
    /// the previous root's keys and its own); for a delegated role in its delegator. Adding a
    /// key held elsewhere is how several holders share a threshold: each signs with
    /// `tuf-repo sign` after `publish`.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Set how many keys must sign a role (publish afterwards)
    ///
    /// THRESHOLD must be between 1 and the number of keys trusted for ROLE.
    Threshold {
        /// The repository directory.
        dir: PathBuf,
        /// The role (top-level or delegated).
        role: String,
        /// The new threshold.
        threshold: u64,
    },
    /// Re-sign snapshot and timestamp with new expiries (for a cron job)
    ///
    /// Writes a new snapshot (expiring in 7 days by default) and a new timestamp (1 day),
    /// listing what is published. Unpublished edits stay staged.
    Refresh {
        /// The repository directory.
        dir: PathBuf,
        /// Days until both the new snapshot and the new timestamp expire.
        #[arg(long, value_name = "N")]
        days: Option<u32>,
        /// As for `publish`.
        #[arg(long, value_name = "BOOL", num_args = 0..=1, default_missing_value = "true")]
        snapshot_hashes: Option<bool>,
    },
    /// Check the whole repository as a client would
    ///
    /// Starts from DIR/metadata/1.root.json: root chain, signatures and thresholds of every
    /// role, versions and hashes in snapshot and timestamp, expiry, and every listed target
    /// file (present, length and hashes). Exits 1 with the first problem.
    Verify {
        /// The repository directory.
        dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum KeyAction {
    /// Trust a key held elsewhere for ROLE
    ///
    /// FILE is the public key: either securesystemslib JSON
    /// ({"keytype", "scheme", "keyval": {"public"}}, as `tuf-repo key public` prints it) or a
    /// PEM SubjectPublicKeyInfo, which needs --scheme. Prints the new key id.
    Add {
        /// The repository directory.
        dir: PathBuf,
        /// The role that is to trust the key.
        role: String,
        /// The public key file.
        #[arg(long, value_name = "FILE")]
        public: PathBuf,
        /// Signature scheme of a PEM public key (see `init --help`).
        #[arg(long, value_name = "SCHEME", value_parser = parse_scheme)]
        scheme: Option<Scheme>,
    },
    /// Make a new key for ROLE, store it under DIR/keys/<role>/ and trust it
    Generate {
        /// The repository directory.
        dir: PathBuf,
        /// The role that is to trust the key.
        role: String,
        /// Signature scheme of the new key (see `init --help`).
        #[arg(long, value_name = "SCHEME", default_value = "ed25519", value_parser = parse_scheme)]
        key_type: Scheme,
    },
    /// Stop trusting the key KEYID for ROLE
    ///
    /// Refused when fewer keys than the role's threshold would remain. The key file, if any,
    /// stays under DIR/keys/.
    Revoke {
        /// The repository directory.
        dir: PathBuf,
        /// The role.
        role: String,
        /// The key id to revoke (as `tuf-repo status` lists it).
        keyid: String,
    },
    /// Print the public key of a private key file, as securesystemslib JSON
    ///
    /// A key holder runs this on their own key and hands the output to the repository
    /// owner, who runs `tuf-repo key add`. No repository is needed.
    Public {
        /// The private key: unencrypted PKCS#8 PEM.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
}

/// Reads a public key from `path`: securesystemslib JSON, or PEM SubjectPublicKeyInfo with
/// `scheme`.
fn read_public_key(path: &Path, scheme: Option<Scheme>) -> Result<tuf_crypto::PublicKey, Failure> {
    /// Public key files are a few kilobytes at most (RSA 16384-bit PEM is under 3 KiB).
    const MAX_KEY_FILE: u64 = 64 * 1024;
    let shown = path.display();
    let size = std::fs::metadata(path)
        .map_err(|e| format!("reading {shown}: {e}"))?
        .len();
    if size > MAX_KEY_FILE {
        return Err(format!("{shown}: {size} bytes is too large for a public key file").into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("reading {shown}: {e}"))?;
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        let value: serde_json::Value = serde_json::from_str(trimmed)
            .map_err(|e| format!("{shown}: not a JSON public key: {e}"))?;
        let key = tuf_crypto::PublicKey::from_value(value)
            .map_err(|e| format!("{shown}: not a public key: {e}"))?;
        if let Some(expected) = scheme {
            if key.scheme() != Some(expected) {
                return Err(format!(
                    "{shown}: the key's scheme is {}, not {expected}",
                    key.scheme_name()
                )
                .into());
            }
        }
        return Ok(key);
    }
    if trimmed.starts_with("-----BEGIN PUBLIC KEY-----") {
        let scheme = scheme.ok_or_else(|| {
            format!("{shown}: a PEM public key needs --scheme (one of {SCHEMES})")
        })?;
        return tuf_crypto::PublicKey::from_spki_pem(&text, scheme)
            .map_err(|e| format!("{shown}: not a {scheme} public key: {e}").into());
    }
    if trimmed.starts_with("-----BEGIN") && trimmed.contains("PRIVATE KEY") {
        return Err(format!(
            "{shown} is a private key: hand over only its public part (`tuf-repo key public --key {shown}`)"
        )
        .into());
    }
    Err(format!("{shown}: expected a JSON public key or a PEM \"PUBLIC KEY\"").into())
}

fn parse_scheme(name: &str) -> Result<Scheme, String> {
    name.parse()
        .map_err(|_| format!("unknown scheme `{name}`; expected one of {SCHEMES}"))
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with success; every usage error exits 1.
            let code = if error.use_stderr() { 1 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("tuf-repo: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::from(1)
        }
    }
}

type Failure = Box<dyn std::error::Error>;

/// Progress bars on standard error when it is a terminal.
struct Bars {
    enabled: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Bars {
    fn new() -> Self {
        Bars {
            enabled: std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
        }
    }
}

impl Progress for Bars {
    fn start(&self, task: &str, total: u64, unit: Unit) {
        if !self.enabled || total == 0 {
            return;
        }
        let bar = ProgressBar::new(total);
        let template = match unit {
            Unit::Bytes => "{msg:9} [{bar:25}] {bytes}/{total_bytes} {bytes_per_sec}",
            Unit::Items => "{msg:9} [{bar:25}] {pos}/{len} {per_sec}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(task.to_owned());
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, amount: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.inc(amount);
            }
        }
    }

    fn finish(&self) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        }
    }
}

/// The file whose advisory lock a command holds while it reads and changes the repository,
/// so that two commands never interleave their edits.
const LOCK_FILE: &str = ".lock";

/// A repository opened under its lock (released when dropped).
///
/// The repository itself is never freed: the process ends right after the command, and the
/// operating system reclaims its pages at once, where freeing 100,000 targets entry by entry
/// takes tens of milliseconds (6% of publishing 16,384 bins). It holds nothing that needs
/// dropping: every write is synced before the command returns.
struct Locked {
    repo: std::mem::ManuallyDrop<Repository>,
    _lock: std::fs::File,
}

impl std::ops::Deref for Locked {
    type Target = Repository;
    fn deref(&self) -> &Repository {
        &self.repo
    }
}

impl std::ops::DerefMut for Locked {
    fn deref_mut(&mut self) -> &mut Repository {
        &mut self.repo
    }
}

fn open(dir: &Path, key_options: KeyOptions) -> Result<Locked, Failure> {
    if !dir.join("metadata/root.json").is_file() {
        return Err(tuf_repo::Error::NotARepository {
            path: dir.display().to_string(),
        }
        .into());
    }
    let path = dir.join(LOCK_FILE);
    let lock = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| format!("opening {}: {e}", path.display()))?;
    fs4::FileExt::lock(&lock).map_err(|e| format!("locking {}: {e}", path.display()))?;
    let mut repo = Repository::open(FsStorage::new(dir))?;
    repo.set_key_options(key_options);
    Ok(Locked {
        repo: std::mem::ManuallyDrop::new(repo),
        _lock: lock,
    })
}

/// Prints what a publish wrote; long lists of delegated roles are summarised.
fn print_report(report: &PublishReport) {
    if report.is_empty() {
        println!("nothing to publish: no role changed");
        return;
    }
    const SHOWN: usize = 20;
    let mut delegated_shown = 0;
    let mut hidden = 0;
    let mut short = 0;
    for role in &report.roles {
        let top = matches!(
            role.role.as_str(),
            "root" | "targets" | "snapshot" | "timestamp"
        );
        let incomplete = (role.signatures as u64) < role.threshold;
        if incomplete {
            short += 1;
        }
        if !top {
            if delegated_shown >= SHOWN && !incomplete {
                hidden += 1;
                continue;
            }
            delegated_shown += 1;
        }
        let note = if incomplete {
            format!(
                " ({} of {} signatures: add more with `tuf-repo sign`)",
                role.signatures, role.threshold
            )
        } else {
            String::new()
        };
        println!(
            "published {} v{} -> {} (expires {}){note}",
            role.role, role.version, role.file, role.expires
        );
    }
    if hidden > 0 {
        println!("published {hidden} more delegated roles");
    }
    if short > 0 {
        println!("{short} role(s) need more signatures before clients accept them");
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    let bars = Bars::new();
    let mut key_options = KeyOptions::default();
    if let Some(bits) = cli.rsa_bits {
        key_options.rsa_bits = bits;
    }
    match cli.command {
        Command::Init {
            dir,
            key_type,
            consistent_snapshot,
            expires_days,
        } => {
            let options = InitOptions {
                scheme: key_type,
                consistent_snapshot,
                expires_days,
                key_options,
            };
            if dir.exists() && !dir.is_dir() {
                return Err(format!("{} exists and is not a directory", dir.display()).into());
            }
            Repository::init(FsStorage::new(&dir), &options)?;
            let d = dir.display();
            println!("created repository in {d}");
            println!("  keys:      {d}/keys/<role>/ ({key_type}, one key per top-level role)");
            println!(
                "  metadata:  {d}/metadata/ (consistent snapshots {})",
                if consistent_snapshot { "on" } else { "off" }
            );
            println!("  targets:   {d}/targets/");
            println!("trusted root for clients: {d}/metadata/1.root.json");
        }
        Command::Add {
            dir,
            files,
            to,
            role,
        } => {
            let mut repo = open(&dir, key_options)?;
            let sources = files
                .iter()
                .map(|file| TargetSource::for_file(file, to.as_deref()))
                .collect::<Result<Vec<_>, _>>()?;
            let roles = repo.add_files(role.as_deref(), &sources, &bars)?;
            repo.save()?;
            if sources.len() <= 20 {
                for (source, role) in sources.iter().zip(&roles) {
                    println!("added {} to {role}", source.target_path);
                }
            } else {
                let mut per_role = std::collections::BTreeMap::<&str, usize>::new();
                for role in &roles {
                    *per_role.entry(role).or_default() += 1;
                }
                println!(
                    "added {} targets to {} role(s)",
                    sources.len(),
                    per_role.len()
                );
            }
            println!("run `tuf-repo publish {}` to publish", dir.display());
        }
        Command::Remove { dir, paths } => {
            let mut repo = open(&dir, key_options)?;
            for path in &paths {
                let roles = repo.remove_target(path)?;
                println!("removed {path} from {}", roles.join(", "));
            }
            repo.save()?;
            println!("run `tuf-repo publish {}` to publish", dir.display());
        }
        Command::Delegate {
            dir,
            from,
            to,
            paths,
            hash_prefixes,
            terminating,
            key_type,
            threshold,
        } => {
            let mut repo = open(&dir, key_options)?;
            let paths = if hash_prefixes.is_empty() {
                DelegatedPaths::Globs(paths)
            } else {
                DelegatedPaths::HashPrefixes(hash_prefixes)
            };
            let keyids = repo.delegate(
                &from,
                &to,
                &DelegationOptions {
                    paths,
                    terminating,
                    threshold,
                    scheme: key_type,
                },
            )?;
            repo.save()?;
            println!("delegated from {from} to {to} (threshold {threshold})");
            for keyid in keyids {
                println!(
                    "  new key {keyid}: {}/keys/{}/{keyid}.pem",
                    dir.display(),
                    tuf_repo::layout::quote(&to)
                );
            }
            println!("run `tuf-repo publish {}` to publish", dir.display());
        }
        Command::Bins {
            dir,
            from,
            count,
            prefix,
            key_type,
        } => {
            let mut repo = open(&dir, key_options)?;
            let keyid = repo.add_bins(&from, count, &prefix, key_type)?;
            repo.save()?;
            println!("delegated from {from} to {count} hash bins {prefix}-*");
            println!(
                "  new key {keyid}: {}/keys/{}-bins/{keyid}.pem",
                dir.display(),
                tuf_repo::layout::quote(&prefix)
            );
            println!("run `tuf-repo publish {}` to publish", dir.display());
        }
        Command::Publish {
            dir,
            snapshot_hashes,
        } => {
            let mut repo = open(&dir, key_options)?;
            if let Some(hashes) = snapshot_hashes {
                repo.set_snapshot_hashes(hashes);
            }
            let report = repo.publish(&bars)?;
            print_report(&report);
        }
        Command::Sign { dir, role, key } => {
            let mut repo = open(&dir, key_options)?;
            let pem = std::fs::read_to_string(&key)
                .map_err(|e| format!("reading {}: {e}", key.display()))?;
            let signer = repo.key_for_role(&role, &pem, &key.display().to_string())?;
            let report = repo.sign(&role, &signer)?;
            println!(
                "signed {} v{} with key {}",
                report.role,
                report.version,
                signer.key_id()
            );
            for role in &report.reissued {
                println!(
                    "published {} v{} -> {} (expires {})",
                    role.role, role.version, role.file, role.expires
                );
            }
            if report.verified {
                println!(
                    "{} v{} now has enough signatures",
                    report.role, report.version
                );
            } else {
                println!(
                    "{} v{} still needs more signatures",
                    report.role, report.version
                );
            }
        }
        Command::Status { dir, json } => {
            let repo = open(&dir, key_options)?;
            let statuses = repo.status()?;
            if json {
                let roles: serde_json::Map<String, serde_json::Value> = statuses
                    .iter()
                    .map(|s| {
                        (
                            s.role.clone(),
                            json!({
                                "version": s.version,
                                "expires": s.expires.map(|e| e.to_string()),
                                "expired": s.expired,
                                "threshold": s.threshold,
                                "signed": s.signed.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                                "missing": s.missing.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
                                "verified": s.verified,
                                "pending": s.pending,
                            }),
                        )
                    })
                    .collect();
                println!(
                    "{}",
                    json!({"consistent_snapshot": repo.consistent_snapshot(), "roles": roles})
                );
            } else {
                print_status(&statuses);
            }
        }
        Command::Rotate {
            dir,
            role,
            key_type,
            keep_old,
        } => {
            let mut repo = open(&dir, key_options)?;
            let scheme = key_type
                .or_else(|| repo.role_scheme(&role))
                .unwrap_or(Scheme::Ed25519);
            let keyids = repo.rotate_keys(&role, scheme, keep_old)?;
            for keyid in &keyids {
                println!("new {scheme} key {keyid} for {role}");
            }
            let report = repo.publish(&bars)?;
            print_report(&report);
        }
        Command::Key { action } => run_key(action, key_options)?,
        Command::Threshold {
            dir,
            role,
            threshold,
        } => {
            let mut repo = open(&dir, key_options)?;
            repo.set_threshold(&role, threshold)?;
            repo.save()?;
            println!("threshold of {role} set to {threshold}");
            println!("run `tuf-repo publish {}` to publish", dir.display());
        }
        Command::Refresh {
            dir,
            days,
            snapshot_hashes,
        } => {
            let mut repo = open(&dir, key_options)?;
            if let Some(hashes) = snapshot_hashes {
                repo.set_snapshot_hashes(hashes);
            }
            let report = repo.refresh(days.unwrap_or(1), days.unwrap_or(7))?;
            print_report(&report);
        }
        Command::Verify { dir } => {
            let storage = FsStorage::new(&dir);
            if !storage.exists("metadata/1.root.json")? {
                return Err(tuf_repo::Error::NotARepository {
                    path: dir.display().to_string(),
                }
                .into());
            }
            let report = tuf_repo::verify(&storage, &bars)?;
            println!(
                "repository OK: root v{}, timestamp v{}, snapshot v{}, {} targets role(s), {} target file(s), consistent snapshots {}",
                report.root_version,
                report.timestamp_version,
                report.snapshot_version,
                report.targets_roles,
                report.target_files,
                if report.consistent_snapshot {
                    "on"
                } else {
                    "off"
                }
            );
        }
    }
    Ok(())
}

fn run_key(action: KeyAction, key_options: KeyOptions) -> Result<(), Failure> {
    let (dir, role, keyid, verb) = match action {
        KeyAction::Public { key } => {
            let pem = std::fs::read_to_string(&key)
                .map_err(|e| format!("reading {}: {e}", key.display()))?;
            let signer = tuf_crypto::PrivateKey::from_pkcs8_pem_auto(&pem)
                .map_err(|e| format!("{}: not a PKCS#8 private key: {e}", key.display()))?;
            println!("{}", signer.public_key().to_value());
            return Ok(());
        }
        KeyAction::Add {
            dir,
            role,
            public,
            scheme,
        } => {
            let key = read_public_key(&public, scheme)?;
            let mut repo = open(&dir, key_options)?;
            let keyid = repo.add_key(&role, key)?;
            repo.save()?;
            (dir, role, keyid, "now trusts")
        }
        KeyAction::Generate {
            dir,
            role,
            key_type,
        } => {
            let mut repo = open(&dir, key_options)?;
            let keyid = repo.generate_key(&role, key_type)?;
            repo.save()?;
            (dir, role, keyid, "now trusts new key")
        }
        KeyAction::Revoke { dir, role, keyid } => {
            let keyid = tuf_crypto::KeyId::new(keyid);
            let mut repo = open(&dir, key_options)?;
            repo.revoke_key(&role, &keyid)?;
            repo.save()?;
            (dir, role, keyid, "no longer trusts")
        }
    };
    println!("{role} {verb} {keyid}");
    println!("run `tuf-repo publish {}` to publish", dir.display());
    Ok(())
}

fn print_status(statuses: &[tuf_repo::RoleStatus]) {
    let width = statuses
        .iter()
        .map(|s| s.role.len())
        .max()
        .unwrap_or(4)
        .max(4);
    println!(
        "{:width$}  {:>7}  {:20}  {:>9}  {:>6}  {:>7}  {:8}  PENDING",
        "ROLE", "VERSION", "EXPIRES", "THRESHOLD", "SIGNED", "MISSING", "VERIFIED"
    );
    for s in statuses {
        let version = s.version.map_or("-".to_owned(), |v| v.to_string());
        let expires = match s.expires {
            Some(e) if s.expired => format!("{e} (expired)"),
            Some(e) => e.to_string(),
            None => "-".to_owned(),
        };
        println!(
            "{:width$}  {:>7}  {:20}  {:>9}  {:>6}  {:>7}  {:8}  {}",
            s.role,
            version,
            expires,
            s.threshold,
            s.signed.len(),
            s.missing.len(),
            if s.verified { "yes" } else { "no" },
            if s.pending { "yes" } else { "" }
        );
    }
    let short: Vec<_> = statuses.iter().filter(|s| !s.missing.is_empty()).collect();
    if !short.is_empty() {
        println!();
        println!("keys that have not signed:");
        for s in short {
            for keyid in &s.missing {
                println!("  {}: {keyid}", s.role);
            }
        }
    }
}
