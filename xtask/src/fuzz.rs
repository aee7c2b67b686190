//! `cargo xtask fuzz`: the fuzz targets of `fuzz/` (cargo-fuzz, libFuzzer), on stable Rust.
//!
//! ```text
//! cargo xtask fuzz --minutes N [TARGET...]   run each target (default: all) for N minutes
//! cargo xtask fuzz --seconds N [TARGET...]   the same in seconds (CI runs each briefly)
//! cargo xtask fuzz --seeds                   rewrite fuzz/seeds/ from spec-vectors/data
//! ```
//!
//! cargo-fuzz is installed (pinned, `cargo install --locked`) when missing. Targets are built
//! with `--sanitizer none`: the address sanitizer needs a nightly compiler, and every crate of
//! ours forbids `unsafe`, so libFuzzer's coverage guidance, Rust's own bounds and overflow
//! checks (debug assertions are on) and the targets' checks are what find bugs. Each target
//! reads the committed seeds in `fuzz/seeds/TARGET` and adds what it finds to
//! `fuzz/corpus/TARGET` (not committed); a crash is written to `fuzz/artifacts/TARGET/` and
//! fails the task. Each run's libFuzzer output is kept in `target/fuzz-logs/TARGET.log`.

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context as _, bail};

/// The cargo-fuzz release installed when `cargo fuzz` is missing.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Seconds each target runs in `cargo xtask ci`.
pub(crate) const CI_SECONDS: u64 = 5;

/// Largest input libFuzzer generates, in bytes (the seeds are smaller than this).
const MAX_LEN: &str = "16384";

/// What one target's run did, from libFuzzer's final statistics.
#[derive(Debug, Default)]
struct RunStats {
    executions: Option<u64>,
    seconds: Option<u64>,
    coverage: Option<u64>,
    features: Option<u64>,
    corpus: Option<u64>,
}

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    let usage = "usage: cargo xtask fuzz (--minutes N | --seconds N) [TARGET...] | --seeds";
    let (seconds, targets) = match args {
        [flag] if flag == "--seeds" => return write_seeds(),
        [flag, n, targets @ ..] if flag == "--minutes" || flag == "--seconds" => {
            let n: u64 = n
                .parse()
                .with_context(|| format!("{usage}: bad number {n:?}"))?;
            let seconds = if flag == "--minutes" {
                n.saturating_mul(60)
            } else {
                n
            };
            (seconds, targets)
        }
        _ => bail!("{usage}"),
    };
    if seconds == 0 {
        bail!("{usage}: the time must be at least one second");
    }
    fuzz(seconds, targets)
}

/// Builds every target and runs `targets` (all when empty) for `seconds` each.
pub(crate) fn fuzz(seconds: u64, targets: &[String]) -> anyhow::Result<()> {
    let root = spec_vectors::reference::workspace_root();
    let all = list_targets(&root)?;
    let chosen: Vec<String> = if targets.is_empty() {
        all.clone()
    } else {
        for target in targets {
            if !all.contains(target) {
                bail!(
                    "unknown fuzz target `{target}` (targets: {})",
                    all.join(", ")
                );
            }
        }
        targets.to_vec()
    };
    ensure_cargo_fuzz()?;
    let mut build = cargo_fuzz(&root, "build");
    eprintln!("==> fuzz build: {build:?}");
    let status = build.status().context("could not start cargo fuzz build")?;
    if !status.success() {
        bail!("cargo fuzz build failed ({status})");
    }
    let logs = root.join("target").join("fuzz-logs");
    fs::create_dir_all(&logs).with_context(|| format!("creating {}", logs.display()))?;
    let mut failed = Vec::new();
    for target in &chosen {
        let (ok, stats) = run_target(&root, &logs, target, seconds)?;
        println!(
            "fuzz {target}: {} in {} s, {} executions, cov {}, ft {}, corpus {}{}",
            if ok { "ok" } else { "CRASH" },
            show(stats.seconds),
            show(stats.executions),
            show(stats.coverage),
            show(stats.features),
            show(stats.corpus),
            if ok {
                String::new()
            } else {
                format!(" (see fuzz/artifacts/{target}/ and target/fuzz-logs/{target}.log)")
            },
        );
        if !ok {
            failed.push(target.clone());
        }
    }
    if !failed.is_empty() {
        bail!("fuzz targets crashed: {}", failed.join(", "));
    }
    Ok(())
}

fn show(value: Option<u64>) -> String {
    value.map_or_else(|| "?".to_owned(), |v| v.to_string())
}

/// Runs one target, teeing libFuzzer's output (stderr) to its log, and reads the statistics.
fn run_target(
    root: &Path,
    logs: &Path,
    target: &str,
    seconds: u64,
) -> anyhow::Result<(bool, RunStats)> {
    let corpus = root.join("fuzz").join("corpus").join(target);
    let seeds = root.join("fuzz").join("seeds").join(target);
    for dir in [&corpus, &seeds] {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let mut command = cargo_fuzz(root, "run");
    command
        .arg(target)
        .arg(&corpus)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={MAX_LEN}"))
        .arg("-timeout=20")
        .arg("-rss_limit_mb=2048")
        .arg("-print_final_stats=1")
        .stderr(Stdio::piped());
    eprintln!("==> fuzz {target} for {seconds} s: {command:?}");
    let log_path = logs.join(format!("{target}.log"));
    let mut log =
        fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    let mut child = command
        .spawn()
        .with_context(|| format!("could not start cargo fuzz run {target}"))?;
    let mut stats = RunStats::default();
    let mut last_status = String::new();
    if let Some(stderr) = child.stderr.take() {
        for line in BufReader::new(stderr).lines() {
            let line = line.context("reading libFuzzer output")?;
            writeln!(log, "{line}").context("writing the fuzz log")?;
            read_stats(&line, &mut stats);
            if line.starts_with('#') {
                last_status = line;
            } else if line.contains("ERROR")
                || line.contains("panicked")
                || line.contains("SUMMARY")
            {
                eprintln!("{line}");
            }
        }
    }
    let status = child.wait().context("waiting for cargo fuzz run")?;
    if !last_status.is_empty() {
        eprintln!("{last_status}");
    }
    Ok((status.success(), stats))
}

/// Picks the numbers out of libFuzzer's status lines (`#123 DONE cov: 45 ft: 67 corp: 8/..`)
/// and final statistics (`stat::number_of_executed_units: 123`, `Done 123 runs in 4 second(s)`).
fn read_stats(line: &str, stats: &mut RunStats) {
    let number_after = |key: &str| -> Option<u64> {
        let rest = line.split(key).nth(1)?;
        let digits: String = rest
            .trim_start()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    };
    if let Some(n) = number_after("stat::number_of_executed_units:") {
        stats.executions = Some(n);
    }
    if let Some(rest) = line.strip_prefix("Done ") {
        let mut words = rest.split_whitespace();
        if let Some(runs) = words.next().and_then(|w| w.parse().ok()) {
            stats.executions = Some(runs);
        }
        if let Some(s) = words.nth(2).and_then(|w| w.parse().ok()) {
            stats.seconds = Some(s);
        }
    }
    if line.starts_with('#') {
        if let Some(n) = number_after(" cov:") {
            stats.coverage = Some(n);
        }
        if let Some(n) = number_after(" ft:") {
            stats.features = Some(n);
        }
        if let Some(n) = number_after(" corp:") {
            stats.corpus = Some(n);
        }
    }
}

/// `cargo fuzz SUBCOMMAND` for the `fuzz/` workspace, on stable Rust.
fn cargo_fuzz(root: &Path, subcommand: &str) -> Command {
    let mut command = Command::new(cargo_bin());
    command.current_dir(root).args([
        "fuzz",
        subcommand,
        "--fuzz-dir",
        "fuzz",
        "--sanitizer",
        "none",
    ]);
    command
}

fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn ensure_cargo_fuzz() -> anyhow::Result<()> {
    let installed = Command::new(cargo_bin())
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if installed {
        return Ok(());
    }
    let mut install = Command::new(cargo_bin());
    install.args([
        "install",
        "cargo-fuzz",
        "--locked",
        "--version",
        CARGO_FUZZ_VERSION,
    ]);
    eprintln!("==> install cargo-fuzz: {install:?}");
    let status = install.status().context("could not start cargo install")?;
    if !status.success() {
        bail!("installing cargo-fuzz failed ({status})");
    }
    Ok(())
}

/// The workspace root (the parent of `xtask/`).
/// The targets: the files of `fuzz/fuzz_targets/`, sorted.
fn list_targets(root: &Path) -> anyhow::Result<Vec<String>> {
    let dir = root.join("fuzz").join("fuzz_targets");
    let mut targets = Vec::new();
    for entry in fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry.context("reading fuzz_targets")?.path();
        if path.extension().is_some_and(|e| e == "rs") {
            if let Some(stem) = path.file_stem() {
                targets.push(stem.to_string_lossy().into_owned());
            }
        }
    }
    targets.sort();
    Ok(targets)
}

/// Rewrites `fuzz/seeds/` from the spec vectors: metadata documents by role, canonical-JSON
/// inputs, public keys, private key PEM files, and signature cases in the layout of the
/// `verify_signature` target. The structured targets (`path_match`, `trusted_sequence`) take
/// `arbitrary` input and start from an empty corpus.
fn write_seeds() -> anyhow::Result<()> {
    let root = spec_vectors::reference::workspace_root();
    let seeds = root.join("fuzz").join("seeds");
    if seeds.exists() {
        fs::remove_dir_all(&seeds).with_context(|| format!("removing {}", seeds.display()))?;
    }
    let mut written = 0usize;
    let mut put = |target: &str, name: &str, bytes: &[u8]| -> anyhow::Result<()> {
        let dir = seeds.join(target);
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let file: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let path = dir.join(file);
        fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))?;
        written += 1;
        Ok(())
    };

    for case in spec_vectors::metadata()? {
        // Delegated targets roles are targets metadata.
        let role = if case.role == "delegated" {
            "targets"
        } else {
            case.role.as_str()
        };
        put(
            &format!("metadata_{role}"),
            &case.name,
            case.document.as_bytes(),
        )?;
    }
    for repository in spec_vectors::repositories()? {
        for (relative, bytes) in &repository.files {
            let Some(role) = role_of_file(bytes) else {
                continue;
            };
            put(
                &format!("metadata_{role}"),
                &format!("repo-{}-{relative}", repository.name),
                bytes,
            )?;
        }
    }
    for case in spec_vectors::canonical_json()? {
        put("canonical_json", &case.name, case.input.as_bytes())?;
    }
    let keys = spec_vectors::keys()?;
    for key in &keys {
        put(
            "public_key",
            &key.name,
            key.public_key.to_string().as_bytes(),
        )?;
        put("private_key_pem", &key.name, key.private_key_pem.as_bytes())?;
    }
    for case in spec_vectors::signatures()? {
        let Some(index) = keys.iter().position(|k| k.name == case.key) else {
            bail!(
                "signature case {} names unknown key {}",
                case.name,
                case.key
            );
        };
        let (Ok(index), Ok(length)) = (u8::try_from(index), u16::try_from(case.signature.len()))
        else {
            continue;
        };
        let mut input = vec![index, 1];
        input.extend_from_slice(&length.to_be_bytes());
        input.extend_from_slice(case.signature.as_bytes());
        input.extend_from_slice(&case.message);
        put("verify_signature", &case.name, &input)?;
    }
    for target in ["path_match", "trusted_sequence"] {
        put(target, "empty", b"")?;
    }
    println!("wrote {written} seed files under {}", seeds.display());
    Ok(())
}

/// The `_type` of a metadata file (`root`, `timestamp`, `snapshot`, `targets`), if it is one.
fn role_of_file(bytes: &[u8]) -> Option<&'static str> {
    let text = std::str::from_utf8(bytes).ok()?;
    ["root", "timestamp", "snapshot", "targets"]
        .into_iter()
        .find(|role| {
            text.contains(&format!("\"_type\":\"{role}\""))
                || text.contains(&format!("\"_type\": \"{role}\""))
        })
}

#[cfg(test)]
mod tests {
    use super::{RunStats, list_targets, read_stats};

    #[test]
    fn reads_libfuzzer_statistics() {
        let mut stats = RunStats::default();
        for line in [
            "#2048\tpulse  cov: 10 ft: 11 corp: 3/40b exec/s: 1024 rss: 40Mb",
            "#98765\tDONE   cov: 1234 ft: 5678 corp: 321/20Kb lim: 4096 exec/s: 3292 rss: 70Mb",
            "Done 98765 runs in 30 second(s)",
            "stat::number_of_executed_units: 98765",
        ] {
            read_stats(line, &mut stats);
        }
        assert_eq!(stats.executions, Some(98765));
        assert_eq!(stats.seconds, Some(30));
        assert_eq!(stats.coverage, Some(1234));
        assert_eq!(stats.features, Some(5678));
        assert_eq!(stats.corpus, Some(321));
    }

    #[test]
    fn every_target_has_seeds_and_a_manifest_entry() {
        let root = spec_vectors::reference::workspace_root();
        let targets = list_targets(&root).unwrap();
        assert!(targets.len() >= 10, "{targets:?}");
        let manifest = std::fs::read_to_string(root.join("fuzz/Cargo.toml")).unwrap();
        for target in &targets {
            assert!(
                manifest.contains(&format!("name = \"{target}\"")),
                "{target} missing from fuzz/Cargo.toml"
            );
            assert!(
                root.join("fuzz/seeds").join(target).is_dir(),
                "{target} has no seeds (cargo xtask fuzz --seeds)"
            );
        }
    }
}
