//! Runs scenarios against a client command and judges the results.
//!
//! Each scenario gets its own simulator, its own [`Server`] and fresh temporary metadata and
//! target directories; scenarios run in parallel. The client is one executable, called as
//! the client command-line protocol says (`CMD --metadata-dir MD init ROOT`, ...), one new
//! process per step, killed if a step outlasts the step timeout.
//!
//! # Expected failures
//!
//! A client may declare the scenarios it is known to fail in a text file, one per line:
//!
//! ```text
//! # comments and blank lines are ignored
//! slow-retrieval/trickling-timestamp  # no minimum download rate
//! delegation/diamond-keys-checked-per-path: a role reached twice is not verified again
//! ```
//!
//! The scenario name comes first; the reason follows after `#` or `:` (both optional). A listed
//! scenario that fails is an *expected failure*; one that passes is an *unexpected pass*, which
//! fails the run just as an unexpected failure does, so the list stays accurate.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::scenario::{Req, Scenario, Step};
use crate::server::Server;
use crate::simulator::RepositorySimulator;
use crate::{Error, quote};

/// What [`Step::CorruptTrusted`] writes over a trusted file.
pub const CORRUPT_TRUSTED: &[u8] = b"{ not json";
/// The byte [`Step::CorruptTargetDir`] fills every target file with.
pub const CORRUPT_FILL: u8 = b'#';
/// The default of [`RunConfig::step_timeout`].
pub const DEFAULT_STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// How to run the catalogue.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The client executable.
    pub client: PathBuf,
    /// Scenario name → reason, for scenarios the client is known to fail.
    pub expected_failures: BTreeMap<String, String>,
    /// Only scenarios whose name contains this.
    pub filter: Option<String>,
    /// Scenarios run at once (at least 1).
    pub jobs: usize,
    /// Longest a single client call may take.
    pub step_timeout: Duration,
}

impl RunConfig {
    /// Defaults for `client`: no expected failures, no filter, two jobs per CPU (at least 4:
    /// scenarios mostly wait on processes and sockets), 30 s per step.
    pub fn new(client: impl Into<PathBuf>) -> Self {
        RunConfig {
            client: client.into(),
            expected_failures: BTreeMap::new(),
            filter: None,
            jobs: std::thread::available_parallelism().map_or(4, |n| (n.get() * 2).max(4)),
            step_timeout: DEFAULT_STEP_TIMEOUT,
        }
    }
}

/// How a scenario ended, judged against the expected failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Passed, as expected.
    Passed,
    /// Failed, unexpectedly.
    Failed,
    /// Failed, as listed in the expected failures.
    ExpectedFailure,
    /// Passed although listed as an expected failure.
    UnexpectedPass,
}

impl Verdict {
    /// A short label for the table.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Passed => "ok",
            Verdict::Failed => "FAIL",
            Verdict::ExpectedFailure => "xfail",
            Verdict::UnexpectedPass => "XPASS",
        }
    }
}

/// The result of one scenario.
#[derive(Debug, Clone)]
pub struct ScenarioResult {
    /// The scenario name.
    pub name: String,
    /// Its spec reference.
    pub spec_ref: String,
    /// `None` if every check held, else why not.
    pub failure: Option<String>,
    /// The verdict.
    pub verdict: Verdict,
    /// How long it took.
    pub duration: Duration,
}

/// The results of a run, in catalogue order.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// One per scenario run.
    pub results: Vec<ScenarioResult>,
    /// Names in the expected-failures list that match no scenario run.
    pub unknown_expected: Vec<String>,
}

impl Report {
    fn count(&self, verdict: Verdict) -> usize {
        self.results.iter().filter(|r| r.verdict == verdict).count()
    }

    /// Scenarios that passed and were expected to.
    pub fn passed(&self) -> usize {
        self.count(Verdict::Passed)
    }

    /// Unexpected failures plus unexpected passes.
    pub fn failed(&self) -> usize {
        self.count(Verdict::Failed) + self.count(Verdict::UnexpectedPass)
    }

    /// Expected failures.
    pub fn expected_failures(&self) -> usize {
        self.count(Verdict::ExpectedFailure)
    }

    /// No unexpected failure and no unexpected pass.
    pub fn is_success(&self) -> bool {
        self.failed() == 0
    }

    /// The result of scenario `name`.
    pub fn result(&self, name: &str) -> Option<&ScenarioResult> {
        self.results.iter().find(|r| r.name == name)
    }

    /// The table, then `N passed, N failed, N expected failures`, then the closing line
    /// `N passed, N failed` on its own.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let width = self.results.iter().map(|r| r.name.len()).max().unwrap_or(8);
        for r in &self.results {
            let _ = write!(
                out,
                "{:<6} {:<width$}  {:>6.2}s  {}",
                r.verdict.label(),
                r.name,
                r.duration.as_secs_f64(),
                r.spec_ref
            );
            if let Some(failure) = &r.failure {
                let _ = write!(out, "\n         {}", failure.replace('\n', "\n         "));
            }
            out.push('\n');
        }
        for name in &self.unknown_expected {
            let _ = writeln!(
                out,
                "warning: expected failure {name:?} matches no scenario run"
            );
        }
        let _ = writeln!(
            out,
            "{} passed, {} failed, {} expected failures",
            self.passed(),
            self.failed(),
            self.expected_failures()
        );
        let _ = writeln!(out, "{} passed, {} failed", self.passed(), self.failed());
        out
    }
}

/// Parses an expected-failures list (see the module docs): name → reason.
pub fn parse_expected_failures(text: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let end = line
            .find(|c: char| c.is_whitespace() || c == ':' || c == '#')
            .unwrap_or(line.len());
        let (name, rest) = line.split_at(end);
        let reason = rest
            .trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '#')
            .trim();
        out.insert(name.to_owned(), reason.to_owned());
    }
    out
}

/// Reads an expected-failures file.
///
/// # Errors
/// [`Error::ExpectedFailures`] if it cannot be read.
pub fn load_expected_failures(path: &Path) -> Result<BTreeMap<String, String>, Error> {
    let text = fs::read_to_string(path).map_err(|e| Error::ExpectedFailures {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    Ok(parse_expected_failures(&text))
}

/// Runs the scenarios matching the filter, in parallel, and judges them.
pub fn run(scenarios: Vec<Scenario>, config: &RunConfig) -> Report {
    let selected: Vec<(usize, Scenario)> = scenarios
        .into_iter()
        .filter(|s| config.filter.as_ref().is_none_or(|f| s.name.contains(f)))
        .enumerate()
        .collect();
    let names: Vec<String> = selected.iter().map(|(_, s)| s.name.clone()).collect();
    let queue = Mutex::new(selected.into_iter());
    let results = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..config.jobs.max(1) {
            scope.spawn(|| {
                loop {
                    let next = queue
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next();
                    let Some((index, scenario)) = next else { break };
                    let started = Instant::now();
                    let failure =
                        run_scenario(&scenario, &config.client, config.step_timeout).err();
                    let expected = config.expected_failures.contains_key(&scenario.name);
                    let verdict = match (failure.is_some(), expected) {
                        (false, false) => Verdict::Passed,
                        (true, false) => Verdict::Failed,
                        (true, true) => Verdict::ExpectedFailure,
                        (false, true) => Verdict::UnexpectedPass,
                    };
                    let result = ScenarioResult {
                        name: scenario.name.clone(),
                        spec_ref: scenario.spec_ref.clone(),
                        failure,
                        verdict,
                        duration: started.elapsed(),
                    };
                    results
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push((index, result));
                }
            });
        }
    });
    let mut results = results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    results.sort_by_key(|(i, _)| *i);
    let unknown_expected = config
        .expected_failures
        .keys()
        .filter(|k| !names.contains(k))
        .cloned()
        .collect();
    Report {
        results: results.into_iter().map(|(_, r)| r).collect(),
        unknown_expected,
    }
}

/// Runs one scenario against `client`: `Ok` if every check held, else the first failure.
///
/// # Errors
/// The first failed check, or a harness failure, as text.
pub fn run_scenario(
    scenario: &Scenario,
    client: &Path,
    step_timeout: Duration,
) -> Result<(), String> {
    let harness = |e: Error| format!("harness error: {e}");
    let mut sim = RepositorySimulator::new(scenario.options).map_err(harness)?;
    let server = Server::start().map_err(harness)?;
    server.publish(sim.files().map_err(harness)?, sim.behaviours().clone());
    let dir =
        tempfile::tempdir().map_err(|e| format!("harness error: temporary directory: {e}"))?;
    let md = dir.path().join("md");
    let td = dir.path().join("td");
    for d in [&md, &td] {
        fs::create_dir_all(d).map_err(|e| format!("harness error: {}: {e}", d.display()))?;
    }
    let client_call = ClientCall {
        client,
        md: &md,
        td: &td,
        metadata_url: server.url("metadata/"),
        target_url: server.url("targets/"),
        log_dir: dir.path(),
        timeout: step_timeout,
    };
    let mut last_requests: Vec<String> = Vec::new();
    for (index, step) in scenario.steps.iter().enumerate() {
        let context = |message: String| format!("step {} {step:?}: {message}", index + 1);
        match step {
            Step::Publish(change) => {
                change(&mut sim).map_err(harness)?;
                server.publish(sim.files().map_err(harness)?, sim.behaviours().clone());
            }
            Step::Init | Step::InitRoot(_) => {
                let version = match step {
                    Step::InitRoot(v) => *v,
                    _ => 1,
                };
                let bytes = sim
                    .published_root(version)
                    .ok_or_else(|| context(format!("no published root {version}")))?;
                let root = dir.path().join("trusted-root.json");
                fs::write(&root, bytes).map_err(|e| context(format!("harness error: {e}")))?;
                server.take_requests();
                let root_arg = root.display().to_string();
                client_call
                    .run(index, &["init", &root_arg], false, true)
                    .map_err(context)?;
                last_requests = server.take_requests();
            }
            Step::Refresh { expect_ok } => {
                server.take_requests();
                let result = client_call.run(index, &["refresh"], false, *expect_ok);
                last_requests = server.take_requests();
                result.map_err(|e| context(with_requests(e, &last_requests)))?;
            }
            Step::Download { targets, expect_ok } => {
                server.take_requests();
                let mut args = Vec::new();
                for target in targets {
                    args.push("--target-name");
                    args.push(target.as_str());
                }
                args.push("download");
                let result = client_call.run(index, &args, true, *expect_ok);
                last_requests = server.take_requests();
                result.map_err(|e| context(with_requests(e, &last_requests)))?;
            }
            Step::Requests(expected) | Step::RequestsWithRetries(expected) => {
                let mut actual = last_requests.clone();
                if matches!(step, Step::RequestsWithRetries(_)) {
                    actual.dedup();
                }
                let matches = actual.len() == expected.len()
                    && actual
                        .iter()
                        .zip(expected)
                        .all(|(a, e)| request_matches(&sim, a, e));
                if !matches {
                    let expected: Vec<String> = expected.iter().map(|r| resolve(&sim, r)).collect();
                    return Err(context(format!(
                        "requests were\n  {actual:?}\nexpected\n  {expected:?}"
                    )));
                }
            }
            Step::Trusted { role, version } => {
                let found = trusted_version(&md, role);
                if found != *version {
                    return Err(context(format!(
                        "trusted {role} version is {found:?}, expected {version:?}"
                    )));
                }
            }
            Step::MetadataFiles(roles) => {
                let mut expected: Vec<String> =
                    roles.iter().map(|r| format!("{}.json", quote(r))).collect();
                expected.sort();
                let actual = json_files(&md);
                if actual != expected {
                    return Err(context(format!(
                        "metadata directory holds {actual:?}, expected {expected:?}"
                    )));
                }
            }
            Step::TargetDir(contents) => {
                let mut expected = contents.clone();
                expected.sort();
                let mut actual = Vec::new();
                collect_files(&td, &mut actual);
                actual.sort();
                if actual != expected {
                    let show = |v: &[Vec<u8>]| {
                        v.iter()
                            .map(|c| String::from_utf8_lossy(c.get(..40).unwrap_or(c)).into_owned())
                            .collect::<Vec<_>>()
                    };
                    return Err(context(format!(
                        "target directory holds {:?}, expected {:?}",
                        show(&actual),
                        show(&expected)
                    )));
                }
            }
            Step::CorruptTrusted(role) => {
                let path = md.join(format!("{}.json", quote(role)));
                fs::write(&path, CORRUPT_TRUSTED)
                    .map_err(|e| context(format!("harness error: {e}")))?;
            }
            Step::DeleteTrusted(role) => {
                let path = md.join(format!("{}.json", quote(role)));
                fs::remove_file(&path).map_err(|e| context(format!("harness error: {e}")))?;
            }
            Step::CorruptTargetDir => corrupt_files(&td).map_err(context)?,
        }
    }
    Ok(())
}

fn with_requests(error: String, requests: &[String]) -> String {
    format!("{error}\nrequests: {requests:?}")
}

fn resolve(sim: &RepositorySimulator, req: &Req) -> String {
    match req {
        Req::Path(p) => p.clone(),
        Req::Target(path) => sim.target_request_path(path),
    }
}

/// Whether the request `actual` (as sent) is the expected one: metadata paths exactly (role
/// names must be quoted as CLIENT-CLI.md says), target paths after percent-decoding.
fn request_matches(sim: &RepositorySimulator, actual: &str, expected: &Req) -> bool {
    let wanted = resolve(sim, expected);
    match expected {
        Req::Path(_) => actual == wanted,
        Req::Target(_) => {
            actual == wanted || crate::server::percent_decode(actual).as_deref() == Some(&wanted)
        }
    }
}

fn trusted_version(md: &Path, role: &str) -> Option<u64> {
    let bytes = fs::read(md.join(format!("{}.json", quote(role)))).ok()?;
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        // Unparseable: report an impossible version so the check fails visibly.
        Err(_) => return Some(0),
    };
    Some(value.get("signed")?.get("version")?.as_u64().unwrap_or(0))
}

fn json_files(md: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(md)
        .into_iter()
        .flatten()
        .flatten()
        // Follows symbolic links: python-tuf 7 keeps `root.json` as a link into `root_history/`.
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    out.sort();
    out
}

fn corrupt_files(dir: &Path) -> Result<(), String> {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            corrupt_files(&path)?;
        } else {
            let length = fs::metadata(&path).map_or(0, |m| m.len());
            let garbage = vec![CORRUPT_FILL; usize::try_from(length).unwrap_or(0)];
            fs::write(&path, garbage).map_err(|e| format!("harness error: {e}"))?;
        }
    }
    Ok(())
}

fn collect_files(dir: &Path, out: &mut Vec<Vec<u8>>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_files(&path, out);
        } else if let Ok(bytes) = fs::read(&path) {
            out.push(bytes);
        }
    }
}

struct ClientCall<'a> {
    client: &'a Path,
    md: &'a Path,
    td: &'a Path,
    metadata_url: String,
    target_url: String,
    log_dir: &'a Path,
    timeout: Duration,
}

impl ClientCall<'_> {
    /// Runs the client with the options for `command_args` (the last of which is the command
    /// word, possibly followed by its argument) and checks its exit code.
    fn run(
        &self,
        index: usize,
        command_args: &[&str],
        with_targets: bool,
        expect_ok: bool,
    ) -> Result<(), String> {
        let mut command = Command::new(self.client);
        command.arg("--metadata-dir").arg(self.md);
        let is_init = command_args.first() == Some(&"init");
        if !is_init {
            command.arg("--metadata-url").arg(&self.metadata_url);
        }
        if with_targets {
            command
                .arg("--target-dir")
                .arg(self.td)
                .arg("--target-base-url")
                .arg(&self.target_url);
        }
        command.args(command_args);
        let out_path = self.log_dir.join(format!("step{index}.out"));
        let err_path = self.log_dir.join(format!("step{index}.err"));
        let stdout = fs::File::create(&out_path).map_err(|e| format!("harness error: {e}"))?;
        let stderr = fs::File::create(&err_path).map_err(|e| format!("harness error: {e}"))?;
        command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .env("no_proxy", "127.0.0.1,localhost");
        let mut child = command
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.client.display()))?;
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if started.elapsed() > self.timeout => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "client did not finish within {} s",
                        self.timeout.as_secs()
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(5)),
                Err(e) => return Err(format!("harness error: waiting for the client: {e}")),
            }
        };
        let expected = if expect_ok { 0 } else { 1 };
        if status.code() == Some(expected) {
            return Ok(());
        }
        let stderr = fs::read_to_string(&err_path).unwrap_or_default();
        let tail: String = {
            let lines: Vec<&str> = stderr.lines().collect();
            lines
                .get(lines.len().saturating_sub(4)..)
                .unwrap_or_default()
                .join("\n")
        };
        Err(format!(
            "client exited with {}, expected {expected}\nstderr: {tail}",
            status
                .code()
                .map_or_else(|| "a signal".to_owned(), |c| c.to_string()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_expected_failures() {
        let list = parse_expected_failures(
            "# comment\n\nfoo/bar  # reason one\nbaz/qux: reason two\nplain\n",
        );
        assert_eq!(list.get("foo/bar").map(String::as_str), Some("reason one"));
        assert_eq!(list.get("baz/qux").map(String::as_str), Some("reason two"));
        assert_eq!(list.get("plain").map(String::as_str), Some(""));
        assert_eq!(list.len(), 3);
    }
}
