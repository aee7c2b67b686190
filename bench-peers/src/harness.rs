//! `bench-peers run`: every workload, every tool, as whole processes over repeated runs; a
//! Markdown table with ratios (peer / ours), optionally written to `BENCHMARKS.md`.

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::generate::{self, WANTED};
use crate::measure::{self, Sample};
use crate::serve;

/// Where everything is, as `cargo xtask bench-peers` passes it.
#[derive(Debug)]
pub(crate) struct Config {
    /// The workspace root (for the peers' pinned versions and BENCHMARKS.md).
    pub(crate) root: PathBuf,
    /// Scratch directory for workloads and client state.
    pub(crate) work: PathBuf,
    /// Timed runs per cell.
    pub(crate) runs: usize,
    /// Our release `tuf-client`.
    pub(crate) client: PathBuf,
    /// The reference venv's interpreter.
    pub(crate) python: PathBuf,
    /// The tough peer binary.
    pub(crate) tough: PathBuf,
    /// Write the report here.
    pub(crate) write: Option<PathBuf>,
    /// The command line to print in the report.
    pub(crate) command: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tool {
    Ours,
    OursFile,
    Python,
    Tough,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    Cold,
    Warm,
}

struct Row {
    workload: String,
    tool: String,
    ours: bool,
    peer: bool,
    result: Result<Stats, String>,
}

#[derive(Debug, Clone, Copy)]
struct Stats {
    median_ms: f64,
    min_ms: f64,
    max_ms: f64,
    rss_mib: f64,
}

fn stats(samples: &[Sample]) -> Stats {
    let mut ms: Vec<f64> = samples.iter().map(|s| s.wall_ns as f64 / 1e6).collect();
    ms.sort_by(f64::total_cmp);
    let median = match ms.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => ms[n / 2],
        n => (ms[n / 2 - 1] + ms[n / 2]) / 2.0,
    };
    let rss = samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0);
    Stats {
        median_ms: median,
        min_ms: ms.first().copied().unwrap_or(f64::NAN),
        max_ms: ms.last().copied().unwrap_or(f64::NAN),
        rss_mib: rss as f64 / 1024.0,
    }
}

/// Runs `command` once under a fresh `bench-peers measure`.
fn measure_once(command: &[OsString]) -> Result<Sample, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = Command::new(me)
        .arg("measure")
        .args(command)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    match measure::parse(stdout.trim()) {
        Ok(Ok(sample)) => Ok(sample),
        Ok(Err(code)) => Err(format!(
            "exit code {code}: {}",
            stderr.lines().next().unwrap_or("(no message)")
        )),
        Err(e) => Err(format!("{e}; stderr: {stderr}")),
    }
}

fn os(items: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    items.iter().map(|i| i.as_ref().to_os_string()).collect()
}

struct Client<'a> {
    config: &'a Config,
    generator: PathBuf,
}

impl Client<'_> {
    /// A fresh metadata directory (holding the trusted root where the tool wants it there)
    /// and target directory under `state`.
    fn fresh_state(&self, tool: Tool, repo: &Path, state: &Path) -> anyhow::Result<()> {
        if state.exists() {
            std::fs::remove_dir_all(state)?;
        }
        std::fs::create_dir_all(state.join("md"))?;
        std::fs::create_dir_all(state.join("td"))?;
        if tool != Tool::Tough {
            std::fs::copy(
                repo.join("metadata/1.root.json"),
                state.join("md/root.json"),
            )?;
        }
        Ok(())
    }

    fn command(&self, tool: Tool, repo: &Path, base: &str, state: &Path) -> Vec<OsString> {
        let (md, td) = (state.join("md"), state.join("td"));
        let (murl, turl) = match tool {
            Tool::OursFile => (
                format!("file://{}/", repo.join("metadata").display()),
                format!("file://{}/", repo.join("targets").display()),
            ),
            _ => {
                let name = repo
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                (
                    format!("{base}{name}/metadata/"),
                    format!("{base}{name}/targets/"),
                )
            }
        };
        let protocol = |program: &[&dyn AsRef<std::ffi::OsStr>]| {
            let mut cmd = os(program);
            cmd.extend(os(&[
                &"--metadata-url",
                &murl,
                &"--metadata-dir",
                &md,
                &"--target-name",
                &WANTED,
                &"--target-dir",
                &td,
                &"--target-base-url",
                &turl,
                &"download",
            ]));
            cmd
        };
        match tool {
            Tool::Ours | Tool::OursFile => protocol(&[&self.config.client]),
            Tool::Python => protocol(&[&self.config.python, &self.generator]),
            Tool::Tough => os(&[
                &self.config.tough,
                &"download",
                &repo.join("metadata/1.root.json"),
                &md,
                &murl,
                &turl,
                &WANTED,
                &td,
            ]),
        }
    }

    fn bench(&self, tool: Tool, run: Run, repo: &Path, base: &str) -> Result<Stats, String> {
        let state = self.config.work.join("state");
        let err = |e: anyhow::Error| e.to_string();
        let mut samples = Vec::with_capacity(self.config.runs);
        // One untimed run first: the page cache holds the repository, and a run that fails
        // is reported instead of timed.
        self.fresh_state(tool, repo, &state).map_err(err)?;
        measure_once(&self.command(tool, repo, base, &state))?;
        let target = state.join("td").join(WANTED.replace('/', "%2F"));
        let nested = state.join("td").join(WANTED);
        if !target.is_file() && !nested.is_file() {
            return Err("exit code 0 but the target was not stored".to_owned());
        }
        for _ in 0..self.config.runs {
            if run == Run::Cold {
                self.fresh_state(tool, repo, &state).map_err(err)?;
            }
            samples.push(measure_once(&self.command(tool, repo, base, &state))?);
        }
        Ok(stats(&samples))
    }
}

fn create_command(config: &Config, tool: Tool, bins: bool, out: &Path) -> Vec<OsString> {
    let input = config.work.join("workloads/input");
    let hashes = input.join("hashes.tsv");
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("bench-peers"));
    match tool {
        Tool::Ours | Tool::OursFile => {
            let mut cmd = os(&[&me, &"create-ours", &hashes, &out]);
            if bins {
                cmd.extend(os(&[&"--bins", &generate::BINS.to_string()]));
            }
            cmd
        }
        Tool::Python => {
            let script = config.root.join("bench-peers/python/create_repo.py");
            let mut cmd = os(&[
                &config.python,
                &script,
                &input.join("root.json"),
                &input.join("key.pem"),
                &hashes,
                &out,
            ]);
            if bins {
                cmd.extend(os(&[&"--bins", &generate::BINS.to_string()]));
            }
            cmd
        }
        Tool::Tough => os(&[
            &config.tough,
            &"create",
            &input.join("root.json"),
            &input.join("key.pem"),
            &hashes,
            &out,
        ]),
    }
}

/// Times `tool` creating a repository, each run into a directory of its own under
/// `created/`, none removed until every create row is done ([`remove_created`]).
///
/// Why not one directory, emptied between runs: on ext4 without a journal (as on the machines
/// these figures come from) the kernel will not reuse an inode freed in the last 60 to 300
/// seconds, and checks every such inode it passes over while allocating a new one
/// (`recently_deleted` in `fs/ext4/ialloc.c`); a run creating 16,384 files just after the
/// previous run's 16,384 were removed spent 10 s of system time in that scan.
fn bench_create(config: &Config, tool: Tool, bins: bool) -> Result<Stats, String> {
    let created = config.work.join("created");
    let label = format!(
        "{}-{}",
        match tool {
            Tool::Ours | Tool::OursFile => "ours",
            Tool::Python => "python-tuf",
            Tool::Tough => "tough",
        },
        if bins { "bins" } else { "flat" }
    );
    let fresh = |run: usize| -> Result<PathBuf, String> {
        let out = created.join(format!("{label}-{run}"));
        if out.exists() {
            return Err(format!(
                "{} exists: remove {}",
                out.display(),
                created.display()
            ));
        }
        if tool != Tool::Ours {
            std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
        }
        // Write back what is unwritten before the clock starts, so that a run that syncs
        // (ours) does not pay for the previous run's files.
        flush_file_systems()?;
        Ok(out)
    };
    let out = fresh(0)?;
    measure_once(&create_command(config, tool, bins, &out))?;
    let mut samples = Vec::with_capacity(config.runs);
    for run in 1..=config.runs {
        let out = fresh(run)?;
        samples.push(measure_once(&create_command(config, tool, bins, &out))?);
    }
    Ok(stats(&samples))
}

/// Removes what the create runs wrote (and what an interrupted earlier run left).
fn remove_created(config: &Config) -> anyhow::Result<()> {
    let created = config.work.join("created");
    if created.exists() {
        std::fs::remove_dir_all(&created)
            .with_context(|| format!("removing {}", created.display()))?;
    }
    Ok(())
}

/// Writes back every file system's unwritten data (`sync(1)`), outside any timed run.
fn flush_file_systems() -> Result<(), String> {
    let status = std::process::Command::new("sync")
        .status()
        .map_err(|e| format!("sync: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("sync: {status}"))
    }
}

/// The version pinned on the line of `path` starting with `prefix`: the first run of digits
/// and dots after it (`tuf==7.0.1`, `tough = { version = "=0.24.0", ... }`).
fn pinned(path: &Path, prefix: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.trim().strip_prefix(prefix).map(str::to_owned))
        })
        .and_then(|rest| {
            let start = rest.find(|c: char| c.is_ascii_digit())?;
            let version: String = rest[start..]
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            Some(version)
        })
        .unwrap_or_else(|| "?".to_owned())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("model name")
                    .map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned())
            })
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines().find_map(|l| {
                l.strip_prefix("MemTotal:")
                    .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
            })
        })
        .map_or_else(String::new, |kib| {
            format!(", {} GiB RAM", kib / (1024 * 1024))
        });
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    let date = Command::new("date")
        .args(["-u", "+%Y-%m-%d %H:%M UTC"])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    format!("{cpu}, {cores} cores{memory}, Linux {kernel}; {date}; load average at start {load}")
}

/// `bench-peers run`.
pub(crate) fn run(config: &Config) -> anyhow::Result<()> {
    if config.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let python_tuf = pinned(
        &config.root.join("spec-vectors/generator/requirements.txt"),
        "tuf==",
    );
    let tough = pinned(
        &config.root.join("bench-peers/tough-client/Cargo.toml"),
        "tough =",
    );
    let machine = machine();
    eprintln!("bench-peers: generating the workloads (100,000 targets; flat and in 16,384 bins)");
    let workloads = config.work.join("workloads");
    generate::generate(&workloads)?;
    let base = serve::start(&workloads)?;
    let client = Client {
        config,
        generator: config
            .root
            .join("spec-vectors/generator/python_tuf_client.py"),
    };
    let names = |tool: Tool, writer: bool| match (tool, writer) {
        (Tool::Ours, false) => "tuf-rs tuf-client".to_owned(),
        (Tool::Ours | Tool::OursFile, true) => "tuf-rs tuf-repo library".to_owned(),
        (Tool::OursFile, false) => "tuf-rs tuf-client, file://".to_owned(),
        (Tool::Python, false) => format!("python-tuf {python_tuf} ngclient"),
        (Tool::Python, true) => format!("python-tuf {python_tuf} Metadata API"),
        (Tool::Tough, false) => format!("tough {tough}"),
        (Tool::Tough, true) => format!("tough {tough} RepositoryEditor"),
    };
    let mut rows = Vec::new();
    const NO_SUCCINCT_IN_TOUGH: &str = "not supported: tough has no succinct hash bins (TAP 15)";
    let mut record = |workload: &str, tool: Tool, writer: bool, result: Result<Stats, String>| {
        let name = names(tool, writer);
        match &result {
            Ok(s) => eprintln!(
                "  {workload} / {name}: median {:.1} ms, peak RSS {:.1} MiB",
                s.median_ms, s.rss_mib
            ),
            Err(e) => eprintln!("  {workload} / {name}: failed: {e}"),
        }
        rows.push(Row {
            workload: workload.to_owned(),
            tool: name,
            ours: matches!(tool, Tool::Ours),
            peer: matches!(tool, Tool::Python | Tool::Tough),
            result,
        });
    };
    for (label, dir) in [
        ("100,000 targets, flat", "flat"),
        ("16,384 succinct bins, 100,000 targets", "bins"),
        (
            "16,384 succinct bins, 100,000 targets, bins hashed in snapshot",
            "bins-hashed",
        ),
    ] {
        let repo = workloads.join(dir);
        for (run, kind) in [(Run::Cold, "cold download"), (Run::Warm, "warm download")] {
            let workload = format!("{kind}: {label}");
            for tool in [Tool::Ours, Tool::OursFile, Tool::Python, Tool::Tough] {
                // tough 0.24 cannot read a targets role that delegates with `succinct_roles`
                // (it requires `roles`), so it is not run on the bins repository.
                let result = if dir != "flat" && tool == Tool::Tough {
                    Err(NO_SUCCINCT_IN_TOUGH.to_owned())
                } else {
                    client.bench(tool, run, &repo, &base)
                };
                record(&workload, tool, false, result);
            }
        }
    }
    remove_created(config)?;
    for (label, bins) in [
        ("create: 100,000 targets, flat", false),
        ("create: 16,384 succinct bins, 100,000 targets", true),
    ] {
        for tool in [Tool::Ours, Tool::Python, Tool::Tough] {
            let result = if bins && tool == Tool::Tough {
                Err(NO_SUCCINCT_IN_TOUGH.to_owned())
            } else {
                bench_create(config, tool, bins)
            };
            record(label, tool, true, result);
        }
    }
    remove_created(config)?;
    let table = table(&rows);
    println!("{table}");
    if let Some(path) = &config.write {
        let report = report(config, &machine, &table);
        std::fs::write(path, report).with_context(|| format!("writing {}", path.display()))?;
        eprintln!("bench-peers: wrote {}", path.display());
    }
    Ok(())
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| workload | tool | median ms | min ms | max ms | peak RSS MiB | time, peer / ours | RSS, peer / ours |\n\
         | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let mut ours: Option<Stats> = None;
    for row in rows {
        if row.ours {
            ours = row.result.as_ref().ok().copied();
        }
        match &row.result {
            Ok(s) => {
                let ratio = |peer: f64, base: Option<f64>| match base {
                    _ if row.ours => "1".to_owned(),
                    _ if !row.peer => "–".to_owned(),
                    Some(b) if b > 0.0 => format!("{:.1}×", peer / b),
                    _ => "–".to_owned(),
                };
                let _ = writeln!(
                    out,
                    "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {} |",
                    row.workload,
                    row.tool,
                    s.median_ms,
                    s.min_ms,
                    s.max_ms,
                    s.rss_mib,
                    ratio(s.median_ms, ours.map(|o| o.median_ms)),
                    ratio(s.rss_mib, ours.map(|o| o.rss_mib)),
                );
            }
            Err(e) => {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | | | | | |",
                    row.workload,
                    row.tool,
                    e.replace('|', "\\|")
                );
            }
        }
    }
    out
}

fn report(config: &Config, machine: &str, table: &str) -> String {
    format!(
        "# Benchmarks\n\n\
         Produced by `{command}` ({runs} timed runs per row after one untimed run; every run a\n\
         whole process, measured from a fresh intermediate process: wall time from spawn to exit,\n\
         peak RSS from `getrusage(RUSAGE_CHILDREN)`; the RSS column is the largest of the runs).\n\n\
         Machine: {machine}.\n\n\
         **Caveat**: the machine is shared with other builds; wall-clock figures are noisy (min is\n\
         the least disturbed run). Instruction counts (`valgrind --tool=callgrind`) are the stable\n\
         measure used while optimising.\n\n\
         {table}\n\
         ## What is measured\n\n\
         - Workloads (made by `bench-peers` with our tuf-metadata library, read by all three\n  \
           clients): ed25519, consistent snapshots, 100,000 targets either flat in one\n  \
           `targets.json` (about 20 MB) or in 16,384 succinct hash bins (TAP 15). Snapshot lists\n  \
           the length and sha256 of `targets.json` (the flat one exceeds the clients' default\n  \
           5 MB cap otherwise) and each bin's version; the bins are listed as RSTUF and\n  \
           python-tuf's repository examples write them, version only (snapshot: 0.7 MB), and,\n  \
           in the *bins hashed* rows, with their length and sha256 too (snapshot: 2.8 MB).\n  \
           One target is downloaded.\n\
         - Client runs are served over HTTP on 127.0.0.1 (python-tuf's ngclient has no `file://`);\n  \
           the `file://` row is our client reading the repository directly, as the criterion\n  \
           benchmark `cargo bench -p tuf-client --bench client` does.\n\
         - **cold**: a fresh metadata directory holding only the trusted root (tough: an empty\n  \
           datastore and the root given as a file); **warm**: the same again, nothing changed.\n  \
           tough has no target cache, so its warm run downloads the target again.\n\
         - **create**: from known hashes (`path, length, sha256`), sign with ed25519 and write\n  \
           root, targets (or the 16,384 bins), snapshot and timestamp. Ours: `Repository::init`\n  \
           (new keys), `add_bins`, `add_targets`, `publish`, with the `tuf-repo` command's\n  \
           allocator (mimalloc) and, as the command does, the repository left to the\n  \
           operating system at exit; it also syncs what it writes to disk\n  \
           (the peers do not). python-tuf: the Metadata API (as in its hash-bin example). tough:\n  \
           `RepositoryEditor` from a signed root. tough has no succinct hash bins. Every create\n  \
           run writes a new directory, after a `sync(1)`; they are removed after the last\n  \
           create row (ext4 without a journal, as here, is slow to allocate files just after\n  \
           many were removed: it skips inodes freed in the last minutes).\n\
         - Goals (issues 3, 4): cold 100k flat download ≤ 60 ms and ≤ 60 MiB; bins download\n  \
           ≤ 8 ms; create 100k ≤ 100 ms; create 16,384 bins ≤ 150 ms.\n",
        command = config.command,
        runs = config.runs,
    )
}
