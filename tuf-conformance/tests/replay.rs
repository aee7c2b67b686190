//! Proof that the export is enough to test a client: a small harness that reads only the JSON
//! and blobs in `spec-vectors/data/conformance` (none of the simulator, server or runner of
//! this crate), serves each step's files from its own static HTTP server on 127.0.0.1, runs
//! our `tuf-client` binary, and checks every recorded outcome, as its README says a harness in
//! another language would.
// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;
use sha2::{Digest as _, Sha256};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("spec-vectors/data/conformance")
}

fn read_json(path: &Path) -> Value {
    let text = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The export: its index and its blobs.
struct Data {
    dir: PathBuf,
    index: Value,
}

impl Data {
    fn load() -> Data {
        let dir = data_dir();
        let index = read_json(&dir.join("index.json"));
        assert_eq!(index["format_version"], 1);
        Data { dir, index }
    }

    /// The body with SHA-256 `digest` (a blob, or a padded blob), checked against its digest.
    fn blob(&self, digest: &str) -> Vec<u8> {
        let path = self.dir.join("blobs").join(digest);
        let bytes = if path.is_file() {
            fs::read(&path).unwrap()
        } else {
            let padded = &self.index["padded_blobs"][digest];
            assert!(padded.is_object(), "no blob {digest}");
            let mut bytes = self.blob(padded["prefix"].as_str().unwrap());
            let byte = u8::try_from(padded["pad_byte"].as_u64().unwrap()).unwrap();
            let count = usize::try_from(padded["pad_count"].as_u64().unwrap()).unwrap();
            bytes.resize(bytes.len() + count, byte);
            bytes
        };
        assert_eq!(hex::encode(Sha256::digest(&bytes)), digest);
        bytes
    }

    fn scenario(&self, entry: &Value) -> Value {
        read_json(&self.dir.join(entry["file"].as_str().unwrap()))
    }
}

// --- the static server --------------------------------------------------------------------

#[derive(Default)]
struct Served {
    files: BTreeMap<String, Vec<u8>>,
    behaviours: BTreeMap<String, Value>,
}

#[derive(Default)]
struct Shared {
    served: Mutex<Arc<Served>>,
    requests: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// Serves one step's files over HTTP/1.1 on 127.0.0.1, one request per connection, misbehaving
/// as the step's `behaviours` say, and records request paths.
struct StaticServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl StaticServer {
    fn start() -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let shared = Arc::clone(&shared);
                        std::thread::spawn(move || answer(stream, &shared));
                    }
                }
            })
        };
        StaticServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    fn serve(&self, served: Served) {
        *self.shared.served.lock().unwrap() = Arc::new(served);
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *self.shared.requests.lock().unwrap())
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn head(stream: &mut TcpStream, status: &str, length: Option<u64>) -> bool {
    let length = length.map_or(String::new(), |l| format!("Content-Length: {l}\r\n"));
    let text = format!("HTTP/1.1 {status}\r\n{length}Connection: close\r\n\r\n");
    stream.write_all(text.as_bytes()).is_ok()
}

/// Lets the client read everything, then closes.
fn close(stream: &mut TcpStream) {
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let mut rest = [0u8; 1024];
    let until = Instant::now() + Duration::from_secs(1);
    while Instant::now() < until && matches!(stream.read(&mut rest), Ok(n) if n > 0) {}
}

fn reply(stream: &mut TcpStream, status: &str, length: u64, body: &[u8]) {
    if head(stream, status, Some(length)) {
        let _ = stream.write_all(body);
    }
    close(stream);
}

fn answer(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(10)));
    let mut request = Vec::new();
    let mut buf = [0u8; 4096];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(n) if n > 0 && request.len() < 65536 => request.extend_from_slice(&buf[..n]),
            _ => return,
        }
    }
    let text = String::from_utf8_lossy(&request).into_owned();
    let mut words = text.lines().next().unwrap_or_default().split(' ');
    let (method, target) = (
        words.next().unwrap_or_default(),
        words.next().unwrap_or("/"),
    );
    let path = target
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned();
    shared.requests.lock().unwrap().push(path.clone());
    if method != "GET" {
        reply(&mut stream, "405 Method Not Allowed", 0, b"");
        return;
    }
    let served = Arc::clone(&shared.served.lock().unwrap());
    let known = |p: &str| served.files.contains_key(p) || served.behaviours.contains_key(p);
    let key = if known(&path) {
        Some(path)
    } else {
        percent_decode(&path).filter(|p| known(p))
    };
    let body = key.as_ref().and_then(|k| served.files.get(k));
    let behaviour = key.as_ref().and_then(|k| served.behaviours.get(k));
    let Some(behaviour) = behaviour else {
        match body {
            Some(body) => reply(&mut stream, "200 OK", body.len() as u64, body),
            None => reply(&mut stream, "404 Not Found", 10, b"not found\n"),
        }
        return;
    };
    let body_len = body.map_or(0, |b| b.len() as u64);
    match behaviour["kind"].as_str().unwrap() {
        "not-found" => reply(&mut stream, "404 Not Found", 10, b"not found\n"),
        "status" => {
            let status = format!("{} Error", behaviour["status"]);
            reply(&mut stream, &status, 6, b"error\n");
        }
        "drop" => {
            let _ = stream.shutdown(Shutdown::Both);
        }
        "endless" => {
            if head(&mut stream, "200 OK", behaviour["content_length"].as_u64()) {
                let chunk = vec![b' '; 65536];
                let mut sent = 0u64;
                while sent < 64 << 20 && !shared.stop.load(Ordering::SeqCst) {
                    if stream.write_all(&chunk).is_err() {
                        break;
                    }
                    sent += chunk.len() as u64;
                }
            }
            let _ = stream.shutdown(Shutdown::Both);
        }
        "trickle" => {
            let body = body.map_or(&b"not found\n"[..], Vec::as_slice);
            let rate = behaviour["bytes_per_second"].as_u64().unwrap().max(1);
            if head(&mut stream, "200 OK", Some(body.len() as u64)) {
                for byte in body {
                    if shared.stop.load(Ordering::SeqCst)
                        || stream.write_all(std::slice::from_ref(byte)).is_err()
                    {
                        let _ = stream.shutdown(Shutdown::Both);
                        return;
                    }
                    std::thread::sleep(Duration::from_secs(1) / u32::try_from(rate).unwrap());
                }
            }
            close(&mut stream);
        }
        "truncate" => {
            let extra = behaviour["declared_extra"].as_u64().unwrap();
            reply(
                &mut stream,
                "200 OK",
                body_len + extra,
                body.map_or(&[][..], |b| b),
            );
        }
        "short-length" => {
            let missing = behaviour["declared_missing"].as_u64().unwrap();
            let length = body_len.saturating_sub(missing);
            reply(&mut stream, "200 OK", length, body.map_or(&[][..], |b| b));
        }
        other => panic!("unknown behaviour {other}"),
    }
}

// --- the harness --------------------------------------------------------------------------

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn prepare(action: &Value, md: &Path, td: &Path) {
    match action["action"].as_str().unwrap() {
        "corrupt-trusted" => {
            let content = action["content"].as_str().unwrap();
            fs::write(md.join(action["file"].as_str().unwrap()), content).unwrap();
        }
        "delete-trusted" => fs::remove_file(md.join(action["file"].as_str().unwrap())).unwrap(),
        "corrupt-target-dir" => {
            let byte = u8::try_from(action["fill_byte"].as_u64().unwrap()).unwrap();
            let mut files = Vec::new();
            files_under(td, &mut files);
            for file in files {
                let length = usize::try_from(fs::metadata(&file).unwrap().len()).unwrap();
                fs::write(&file, vec![byte; length]).unwrap();
            }
        }
        other => panic!("unknown action {other}"),
    }
}

/// Runs the client with `args`; its exit code, or an error if it outlasts `timeout`.
fn run_client(client: &Path, args: &[String], timeout: Duration) -> Result<Option<i32>, String> {
    let mut child = Command::new(client)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .env("NO_PROXY", "127.0.0.1")
        .env("no_proxy", "127.0.0.1")
        .spawn()
        .map_err(|e| format!("cannot start the client: {e}"))?;
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return Ok(status.code());
        }
        if started.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the client outlasted {} s", timeout.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn check_requests(actual: &[String], expected: &Value) -> Result<(), String> {
    if expected.is_null() {
        return Ok(());
    }
    let mut actual = actual.to_vec();
    if expected["collapse_repeats"].as_bool().unwrap() {
        actual.dedup();
    }
    let wanted = expected["expected"].as_array().unwrap();
    let matches = actual.len() == wanted.len()
        && actual.iter().zip(wanted).all(|(a, w)| {
            let path = w["path"].as_str().unwrap();
            match w["compare"].as_str().unwrap() {
                "exact" => a == path,
                "percent-decoded" => a == path || percent_decode(a).as_deref() == Some(path),
                other => panic!("unknown comparison {other}"),
            }
        });
    if matches {
        Ok(())
    } else {
        let wanted: Vec<&str> = wanted.iter().map(|w| w["path"].as_str().unwrap()).collect();
        Err(format!("requests {actual:?}, expected {wanted:?}"))
    }
}

fn check_trusted(md: &Path, trusted: &Value) -> Result<(), String> {
    for entry in trusted.as_array().unwrap() {
        let file = md.join(entry["file"].as_str().unwrap());
        let found = fs::read(&file).ok().map(|bytes| {
            serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|v| v["signed"]["version"].as_u64())
        });
        let wanted = entry["version"].as_u64();
        let ok = match (&found, wanted) {
            (None, None) => true,
            (Some(Some(version)), Some(wanted)) => *version == wanted,
            _ => false,
        };
        if !ok {
            return Err(format!(
                "trusted {}: found {found:?}, expected {wanted:?}",
                entry["role"]
            ));
        }
    }
    Ok(())
}

fn check_metadata_files(md: &Path, expected: &Value) -> Result<(), String> {
    if expected.is_null() {
        return Ok(());
    }
    let mut names: Vec<String> = fs::read_dir(md)
        .unwrap()
        .flatten()
        .filter(|e| e.path().is_file())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    let wanted: Vec<&str> = expected
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    if names == wanted {
        Ok(())
    } else {
        Err(format!("metadata files {names:?}, expected {wanted:?}"))
    }
}

fn check_target_dir(td: &Path, expected: &Value) -> Result<(), String> {
    if expected.is_null() {
        return Ok(());
    }
    let mut files = Vec::new();
    files_under(td, &mut files);
    let mut digests: Vec<String> = files
        .iter()
        .map(|f| hex::encode(Sha256::digest(fs::read(f).unwrap())))
        .collect();
    digests.sort();
    let wanted: Vec<&str> = expected
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    if digests == wanted {
        Ok(())
    } else {
        Err(format!("target directory {digests:?}, expected {wanted:?}"))
    }
}

/// Replays one scenario file against `client`: `Err` names the first step and check that
/// failed.
fn replay(data: &Data, scenario: &Value, client: &Path) -> Result<(), String> {
    let server = StaticServer::start();
    let work = tempfile::tempdir().unwrap();
    let (md, td) = (work.path().join("md"), work.path().join("td"));
    fs::create_dir(&md).unwrap();
    fs::create_dir(&td).unwrap();
    let timeout = Duration::from_secs(
        data.index["client"]["step_timeout_seconds"]
            .as_u64()
            .unwrap(),
    );
    let metadata_url = server.url(data.index["client"]["metadata_url"].as_str().unwrap());
    let target_url = server.url(data.index["client"]["target_base_url"].as_str().unwrap());
    for (number, step) in scenario["steps"].as_array().unwrap().iter().enumerate() {
        let files = step["serve"]["files"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(path, digest)| (path.clone(), data.blob(digest.as_str().unwrap())))
            .collect();
        let behaviours = step["serve"]["behaviours"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(path, b)| (path.clone(), b.clone()))
            .collect();
        server.serve(Served { files, behaviours });
        for action in step["prepare"].as_array().unwrap() {
            prepare(action, &md, &td);
        }
        let md_arg = md.display().to_string();
        let mut args: Vec<String> = vec!["--metadata-dir".into(), md_arg];
        match step["command"].as_str().unwrap() {
            "init" => {
                let root = work.path().join("trusted-root.json");
                fs::write(&root, data.blob(step["root"].as_str().unwrap())).unwrap();
                args.extend(["init".into(), root.display().to_string()]);
            }
            "refresh" => args.extend([
                "--metadata-url".into(),
                metadata_url.clone(),
                "refresh".into(),
            ]),
            "download" => {
                args.extend(["--metadata-url".into(), metadata_url.clone()]);
                for target in step["targets"].as_array().unwrap() {
                    args.extend(["--target-name".into(), target.as_str().unwrap().to_owned()]);
                }
                args.extend([
                    "--target-dir".into(),
                    td.display().to_string(),
                    "--target-base-url".into(),
                    target_url.clone(),
                    "download".into(),
                ]);
            }
            other => panic!("unknown command {other}"),
        }
        server.take_requests();
        let code = run_client(client, &args, timeout);
        let requests = server.take_requests();
        let expect = &step["expect"];
        let context = |e: String| format!("step {} ({}): {e}", number + 1, step["command"]);
        let code = code.map_err(context)?;
        let wanted = expect["exit_code"]
            .as_i64()
            .and_then(|c| i32::try_from(c).ok());
        if code != wanted {
            return Err(context(format!(
                "exit code {code:?}, expected {wanted:?}; requests {requests:?}"
            )));
        }
        check_requests(&requests, &expect["requests"]).map_err(context)?;
        check_trusted(&md, &expect["trusted"]).map_err(context)?;
        check_metadata_files(&md, &expect["metadata_files"]).map_err(context)?;
        check_target_dir(&td, &expect["target_dir"]).map_err(context)?;
    }
    Ok(())
}

/// Replays the scenarios named in `entries` in parallel; the failures, by name.
fn replay_all(data: &Data, entries: &[Value], client: &Path) -> BTreeMap<String, String> {
    let queue = Mutex::new(entries.iter());
    let failures = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..6 {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().next();
                    let Some(entry) = next else { break };
                    let scenario = data.scenario(entry);
                    if let Err(e) = replay(data, &scenario, client) {
                        let name = entry["name"].as_str().unwrap().to_owned();
                        failures.lock().unwrap().insert(name, e);
                    }
                }
            });
        }
    });
    failures.into_inner().unwrap()
}

#[test]
fn tuf_client_passes_every_exported_scenario() {
    let data = Data::load();
    let client = support::tuf_client();
    let entries = data.index["scenarios"].as_array().unwrap().clone();
    assert!(entries.len() >= 300, "{} scenarios", entries.len());
    assert_eq!(data.index["not_exported"], Value::Array(Vec::new()));
    let started = Instant::now();
    let failures = replay_all(&data, &entries, &client);
    println!(
        "replayed {} scenarios in {:.1} s",
        entries.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} exported scenarios failed:\n{}",
        failures.len(),
        entries.len(),
        failures
            .iter()
            .map(|(n, e)| format!("{n}: {e}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_client_that_swallows_failures_fails_the_replay() {
    let data = Data::load();
    let client = support::tuf_client();
    let dir = tempfile::tempdir().unwrap();
    let broken = support::script(
        dir.path(),
        "always-ok",
        &format!("\"{}\" \"$@\"\nexit 0", client.display()),
    );
    let names = [
        "arbitrary-installation/timestamp-unsigned",
        "rollback/timestamp-version-lowered",
        "limits/targets-over-max-length",
        "endless-data/targets-declared-huge",
    ];
    let entries: Vec<Value> = data.index["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| names.contains(&e["name"].as_str().unwrap()))
        .cloned()
        .collect();
    assert_eq!(entries.len(), names.len());
    let failures = replay_all(&data, &entries, &broken);
    for name in names {
        let failure = failures
            .get(name)
            .unwrap_or_else(|| panic!("{name} passed with a broken client"));
        assert!(
            failure.contains("exit code Some(0), expected Some(1)"),
            "{failure}"
        );
    }
    // The same scenarios pass with the real client.
    assert!(replay_all(&data, &entries, &client).is_empty());
}
