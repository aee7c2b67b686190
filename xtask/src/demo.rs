//! `cargo xtask demo`: the main job end to end, on local defaults.
//!
//! 1. `tuf-repo` creates a repository (ed25519 keys, consistent snapshots) with a target in
//!    top-level targets, a delegated role `projects`, and a role `packages` that delegates
//!    to 16 succinct hash bins; publishes and verifies it.
//! 2. The repository is served over HTTP on 127.0.0.1 (an ephemeral port).
//! 3. `tuf-client` starts from `1.root.json`, refreshes and downloads one target of each kind.
//! 4. Two attacks are staged and refused: a tampered target on the mirror, and a timestamp
//!    rolled back to an older version.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use anyhow::{Context, bail, ensure};

pub(crate) fn run(args: &[String]) -> anyhow::Result<()> {
    if let Some(extra) = args.first() {
        bail!("`cargo xtask demo` takes no arguments, got `{extra}`");
    }
    let root = spec_vectors::reference::workspace_root();
    say("building tuf-repo and tuf-client");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--quiet", "-p", "tuf-repo", "-p", "tuf-client"])
        .current_dir(&root)
        .status()
        .context("running cargo build")?;
    ensure!(status.success(), "cargo build failed");
    let target_dir = target_dir(&root);
    let bin = target_dir.join("debug");
    let repo_bin = bin.join("tuf-repo");
    let client_bin = bin.join("tuf-client");

    let work = target_dir.join("demo");
    if work.exists() {
        std::fs::remove_dir_all(&work).with_context(|| format!("clearing {}", work.display()))?;
    }
    let repo = work.join("repository");
    let files = work.join("files");
    std::fs::create_dir_all(&files)?;
    let write = |name: &str, text: &str| -> anyhow::Result<PathBuf> {
        let path = files.join(name);
        std::fs::write(&path, text)?;
        Ok(path)
    };
    let app = write("app-1.0.tar.gz", "pretend this is a release tarball\n")?;
    let plan = write("plan.txt", "a file delegated to the projects role\n")?;
    let mut packages = Vec::new();
    for i in 0..8 {
        packages.push(write(&format!("pkg-{i}.whl"), &format!("package {i}\n"))?);
    }

    say("1. creating the repository with tuf-repo");
    let r = |args: &[&str]| run_tool(&repo_bin, args);
    let repo_s = repo.to_string_lossy().into_owned();
    r(&["init", &repo_s])?;
    r(&["add", &repo_s, &app.to_string_lossy(), "--to", "releases"])?;
    r(&[
        "delegate",
        &repo_s,
        "--from",
        "targets",
        "--to",
        "projects",
        "--paths",
        "projects/*",
    ])?;
    r(&[
        "add",
        &repo_s,
        &plan.to_string_lossy(),
        "--to",
        "projects",
        "--role",
        "projects",
    ])?;
    r(&[
        "delegate",
        &repo_s,
        "--from",
        "targets",
        "--to",
        "packages",
        "--paths",
        "packages/*",
    ])?;
    r(&["bins", &repo_s, "--from", "packages", "--count", "16"])?;
    let mut add_packages = vec!["add".to_owned(), repo_s.clone()];
    add_packages.extend(packages.iter().map(|p| p.to_string_lossy().into_owned()));
    add_packages.extend([
        "--to".into(),
        "packages".into(),
        "--role".into(),
        "packages".into(),
    ]);
    let add_packages: Vec<&str> = add_packages.iter().map(String::as_str).collect();
    r(&add_packages)?;
    r(&["publish", &repo_s])?;
    r(&["verify", &repo_s])?;
    r(&["status", &repo_s])?;

    say("2. serving it on 127.0.0.1");
    let served = work.join("served");
    copy_dir(&repo.join("metadata"), &served.join("metadata"))?;
    copy_dir(&repo.join("targets"), &served.join("targets"))?;
    let server = Server::start(&served)?;
    let metadata_url = format!("{}/metadata/", server.base);
    let targets_url = format!("{}/targets/", server.base);
    println!("   metadata: {metadata_url}\n   targets:  {targets_url}");

    say("3. downloading with tuf-client");
    let md = work.join("client/metadata");
    let td = work.join("client/targets");
    std::fs::create_dir_all(&td)?;
    let md_s = md.to_string_lossy().into_owned();
    let td_s = td.to_string_lossy().into_owned();
    let trusted_root = repo.join("metadata/1.root.json");
    run_tool(
        &client_bin,
        &[
            "--metadata-dir",
            &md_s,
            "init",
            &trusted_root.to_string_lossy(),
        ],
    )?;
    let download = |names: &[&str]| -> anyhow::Result<Output> {
        let mut args = vec!["--metadata-url", &metadata_url, "--metadata-dir", &md_s];
        for name in names {
            args.extend(["--target-name", name]);
        }
        args.extend([
            "--target-dir",
            &td_s,
            "--target-base-url",
            &targets_url,
            "download",
        ]);
        Ok(Command::new(&client_bin).args(&args).output()?)
    };
    let wanted = [
        "releases/app-1.0.tar.gz",
        "projects/plan.txt",
        "packages/pkg-3.whl",
    ];
    let output = download(&wanted)?;
    show(&output);
    ensure!(
        output.status.success(),
        "the client could not download the targets"
    );
    for entry in std::fs::read_dir(&td)? {
        let entry = entry?;
        println!(
            "   verified: {} ({} bytes)",
            entry.file_name().to_string_lossy(),
            entry.metadata()?.len()
        );
    }
    server.show_requests();

    say("4a. attack: a mirror serves a tampered target");
    // The mirror serves pkg-5 under each of its hash-prefixed names: alter every copy (same
    // length, other bytes, so it is the hash check that refuses it).
    let mirror = served.join("targets/packages");
    let mut altered = 0;
    for entry in std::fs::read_dir(&mirror)? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(".pkg-5.whl") {
            std::fs::write(&path, "PACKAGE 5\n")?;
            altered += 1;
        }
    }
    ensure!(altered > 0, "no pkg-5.whl on the mirror");
    let output = download(&["packages/pkg-5.whl"])?;
    show(&output);
    ensure!(
        output.status.code() == Some(1),
        "a tampered target was accepted"
    );
    ensure!(
        !std::fs::read_dir(&td)?
            .filter_map(Result::ok)
            .any(|e| e.file_name().to_string_lossy().contains("pkg-5")),
        "a tampered target reached the target directory"
    );
    println!("   refused: nothing was written to the target directory");

    say("4b. attack: the timestamp is rolled back to an older version");
    let old_timestamp = std::fs::read(served.join("metadata/timestamp.json"))?;
    let extra = write("app-1.1.tar.gz", "the next release\n")?;
    r(&["add", &repo_s, &extra.to_string_lossy(), "--to", "releases"])?;
    r(&["publish", &repo_s])?;
    copy_dir(&repo.join("metadata"), &served.join("metadata"))?;
    copy_dir(&repo.join("targets"), &served.join("targets"))?;
    let output = download(&["releases/app-1.1.tar.gz"])?;
    show(&output);
    ensure!(
        output.status.success(),
        "the client could not follow the new release"
    );
    std::fs::write(served.join("metadata/timestamp.json"), &old_timestamp)?;
    let output = Command::new(&client_bin)
        .args([
            "--metadata-url",
            &metadata_url,
            "--metadata-dir",
            &md_s,
            "refresh",
        ])
        .output()?;
    show(&output);
    ensure!(
        output.status.code() == Some(1),
        "a rolled-back timestamp was accepted"
    );
    println!("   refused: the client keeps its newer trusted timestamp");

    say(&format!(
        "done: the repository, the served copy and the client's directories are in {}",
        work.display()
    ));
    Ok(())
}

fn say(text: &str) {
    println!("\n== {text}");
}

fn show(output: &Output) {
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        println!("   | {line}");
    }
    for line in String::from_utf8_lossy(&output.stderr).lines() {
        println!("   ! {line}");
    }
}

fn run_tool(bin: &Path, args: &[&str]) -> anyhow::Result<()> {
    let name = bin
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    println!("$ {name} {}", args.join(" "));
    let output = Command::new(bin)
        .args(args)
        .output()
        .with_context(|| format!("running {name}"))?;
    show(&output);
    ensure!(
        output.status.success(),
        "{name} {} failed",
        args.first().copied().unwrap_or_default()
    );
    Ok(())
}

/// Cargo's target directory: `CARGO_TARGET_DIR` when set (relative to the workspace root),
/// else `<root>/target`.
fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => root.join(dir),
        _ => root.join("target"),
    }
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A minimal static file server on 127.0.0.1 for the demo; stops when dropped.
struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
}

impl Server {
    fn start(dir: &Path) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        listener.set_nonblocking(true)?;
        let base = format!("http://{}", listener.local_addr()?);
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (dir, log, flag) = (dir.to_path_buf(), Arc::clone(&requests), Arc::clone(&stop));
        thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let _ = serve(stream, &dir, &log);
                    }
                    Err(_) => thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Server {
            base,
            requests,
            stop,
        })
    }

    fn show_requests(&self) {
        if let Ok(log) = self.requests.lock() {
            println!("   requests: {}", log.join(" "));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream, dir: &Path, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    if let Ok(mut log) = log.lock() {
        log.push(path.clone());
    }
    let relative = path.trim_start_matches('/');
    let safe = !relative.split('/').any(|part| part == ".." || part == ".");
    let file = dir.join(relative);
    let mut stream = stream;
    match std::fs::read(&file) {
        Ok(body) if safe && file.is_file() => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            stream.write_all(&body)
        }
        _ => stream
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    }
}
