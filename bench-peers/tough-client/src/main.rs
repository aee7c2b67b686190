//! tough (pinned) behind the two operations `cargo xtask bench-peers` times:
//!
//!     bench-tough-client download ROOT DATASTORE METADATA_URL TARGETS_URL TARGET OUT_DIR
//!     bench-tough-client create ROOT KEY_PEM HASHES_TSV OUT_DIR
//!
//! `download` loads the repository from the trusted ROOT (datastore DATASTORE, kept between
//! runs for the warm case) and saves TARGET into OUT_DIR. `create` signs and writes targets,
//! snapshot and timestamp for the targets listed in HASHES_TSV (`path<TAB>length<TAB>sha256`)
//! with tough's `RepositoryEditor`, every role signed by the ed25519 key KEY_PEM (PKCS#8).
#![forbid(unsafe_code)]

use std::error::Error;
use std::num::NonZeroU64;
use std::path::PathBuf;

use tough::editor::RepositoryEditor;
use tough::key_source::KeySource;
use tough::schema::{Hashes, Target};
use tough::sign::{parse_keypair, Sign};
use tough::{Limits, Prefix, RepositoryLoader, TargetName};

type BoxError = Box<dyn Error + Send + Sync + 'static>;

/// A PKCS#8 PEM key file (tough's `LocalKeySource` wants DER for ed25519).
#[derive(Debug)]
struct PemKey(Vec<u8>);

#[tough::async_trait]
impl KeySource for PemKey {
    async fn as_sign(&self) -> Result<Box<dyn Sign>, BoxError> {
        Ok(Box::new(parse_keypair(&self.0)?))
    }

    async fn write(&self, _value: &str, _key_id_hex: &str) -> Result<(), BoxError> {
        Err("read-only key".into())
    }
}

fn url_of(dir: &str) -> Result<url::Url, BoxError> {
    let mut text = dir.to_owned();
    if !text.ends_with('/') {
        text.push('/');
    }
    Ok(url::Url::parse(&text)?)
}

async fn download(args: &[String]) -> Result<(), BoxError> {
    let [root, datastore, metadata_url, targets_url, target, out] = args else {
        return Err("download ROOT DATASTORE METADATA_URL TARGETS_URL TARGET OUT_DIR".into());
    };
    let root = std::fs::read(root)?;
    let limits = Limits {
        // The flat workload's targets.json is about 20 MB; tough's default cap is 10 MiB.
        max_targets_size: 256 * 1024 * 1024,
        max_snapshot_size: 64 * 1024 * 1024,
        ..Limits::default()
    };
    let repository = RepositoryLoader::new(&root, url_of(metadata_url)?, url_of(targets_url)?)
        .datastore(PathBuf::from(datastore))
        .limits(limits)
        .load()
        .await?;
    repository
        .save_target(&TargetName::new(target.as_str())?, out, Prefix::None)
        .await?;
    Ok(())
}

async fn create(args: &[String]) -> Result<(), BoxError> {
    let [root, key, hashes, out] = args else {
        return Err("create ROOT KEY_PEM HASHES_TSV OUT_DIR".into());
    };
    let key = pem::parse(std::fs::read(key)?)?.into_contents();
    let keys: Vec<Box<dyn KeySource>> = vec![Box::new(PemKey(key))];
    let expires = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 365);
    let one = NonZeroU64::MIN;
    let mut editor = RepositoryEditor::new(root).await?;
    editor
        .targets_version(one)?
        .targets_expires(expires)?
        .snapshot_version(one)
        .snapshot_expires(expires)
        .timestamp_version(one)
        .timestamp_expires(expires);
    let text = std::fs::read_to_string(hashes)?;
    for line in text.lines() {
        let mut fields = line.split('\t');
        let (Some(path), Some(length), Some(sha256)) =
            (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("bad line in {hashes}: {line}").into());
        };
        let target = Target {
            length: length.parse()?,
            hashes: Hashes {
                sha256: hex::decode(sha256)?.into(),
                _extra: Default::default(),
            },
            custom: Default::default(),
            _extra: Default::default(),
        };
        editor.add_target(path, target)?;
    }
    let signed = editor.sign(&keys).await?;
    signed.write(out).await?;
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("download") => download(&args[1..]).await,
        Some("create") => create(&args[1..]).await,
        _ => Err("usage: bench-tough-client download|create ...".into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bench-tough-client: {error}");
            let mut source = error.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            std::process::ExitCode::FAILURE
        }
    }
}
