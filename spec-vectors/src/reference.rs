//! The reference implementation (python-tuf, securesystemslib, pyca/cryptography), run
//! from a Python virtual environment that this module creates on first use.
//!
//! [`python()`] returns the interpreter of a venv at `<target dir>/pyref` (the target dir
//! is `CARGO_TARGET_DIR` when set, else `<workspace root>/target`). The first call
//! creates it with `python3 -m venv` and `pip install -r spec-vectors/generator/requirements.txt`
//! (this takes about a minute and needs the package registry). A marker file in the venv
//! records the SHA-256 of `requirements.txt`; when the file changes, the venv is rebuilt.
//! Creation is guarded in-process (a mutex) and across processes (an exclusive lock on
//! `<target dir>/pyref.lock`), so concurrent test binaries share one venv.
//!
//! Environment variables:
//!
//! - `TUF_REFERENCE_PYTHON=/path/to/python`: use this interpreter instead (it must already
//!   have the pinned packages). Handy for fast iteration with a pre-made venv.
//! - `TUF_REFERENCE_BOOTSTRAP_PYTHON=/path/to/python3`: the interpreter that creates the venv
//!   (default: `python3`, then `python`).
//! - `CARGO_TARGET_DIR`: where the venv goes (relative paths are relative to the workspace root).

use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock, PoisonError};

use sha2::{Digest as _, Sha256};

use crate::Error;

/// The environment variable naming an interpreter to use instead of the managed venv.
pub const PYTHON_OVERRIDE_VAR: &str = "TUF_REFERENCE_PYTHON";
/// The environment variable naming the interpreter that creates the venv.
pub const BOOTSTRAP_PYTHON_VAR: &str = "TUF_REFERENCE_BOOTSTRAP_PYTHON";

const MARKER: &str = "spec-vectors-requirements.sha256";

/// The workspace root (the directory holding the workspace `Cargo.toml`).
pub fn workspace_root() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir).to_path_buf()
}

/// `spec-vectors/generator`: the generator and the other reference scripts.
pub fn generator_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("generator")
}

/// The `requirements.txt` pinning the reference implementation.
pub fn requirements_file() -> PathBuf {
    generator_dir().join("requirements.txt")
}

/// The cargo target directory: `CARGO_TARGET_DIR` if set, else `<workspace root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// Where the managed venv lives: `<target dir>/pyref`.
pub fn venv_dir() -> PathBuf {
    target_dir().join("pyref")
}

fn venv_python(venv: &Path) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join("python.exe")
    } else {
        venv.join("bin").join("python")
    }
}

/// The reference Python interpreter, creating its venv on first use (see the module docs).
///
/// With `TUF_REFERENCE_PYTHON` set, returns that path without touching any venv.
pub fn python() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os(PYTHON_OVERRIDE_VAR).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(Error::BadOverride { path })
        };
    }
    static READY: OnceLock<PathBuf> = OnceLock::new();
    static CREATING: Mutex<()> = Mutex::new(());
    if let Some(path) = READY.get() {
        return Ok(path.clone());
    }
    let _guard = CREATING.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(path) = READY.get() {
        return Ok(path.clone());
    }
    let path = ensure_venv(&venv_dir())?;
    Ok(READY.get_or_init(|| path).clone())
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn requirements_digest() -> Result<String, Error> {
    let path = requirements_file();
    let bytes = fs::read(&path).map_err(io_error(&path))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

/// Holds the cross-process lock until dropped.
struct LockGuard(File);

impl Drop for LockGuard {
    fn drop(&mut self) {
        // Closing the file releases the lock anyway; unlocking first is just tidy.
        let _ = fs4::FileExt::unlock(&self.0);
    }
}

fn lock(path: &Path) -> Result<LockGuard, Error> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io_error(path))?;
    fs4::FileExt::lock(&file).map_err(io_error(path))?;
    Ok(LockGuard(file))
}

fn ensure_venv(venv: &Path) -> Result<PathBuf, Error> {
    let python = venv_python(venv);
    let marker = venv.join(MARKER);
    let digest = requirements_digest()?;
    let ready =
        || python.is_file() && fs::read_to_string(&marker).is_ok_and(|m| m.trim() == digest);
    if ready() {
        return Ok(python);
    }

    let parent = venv.parent().unwrap_or(venv);
    fs::create_dir_all(parent).map_err(io_error(parent))?;
    let lock_path = parent.join("pyref.lock");
    let _lock = lock(&lock_path)?;
    // Another process may have finished the job while we waited for the lock.
    if ready() {
        return Ok(python);
    }

    if venv.exists() {
        fs::remove_dir_all(venv).map_err(io_error(venv))?;
    }
    let bootstrap = bootstrap_python()?;
    let mut create = Command::new(&bootstrap);
    create.arg("-m").arg("venv").arg(venv);
    run_checked(&mut create)?;

    let mut install = Command::new(&python);
    install
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
        ])
        .args(["--no-input", "-r"])
        .arg(requirements_file());
    run_checked(&mut install)?;

    let mut file = File::create(&marker).map_err(io_error(&marker))?;
    writeln!(file, "{digest}").map_err(io_error(&marker))?;
    Ok(python)
}

fn bootstrap_python() -> Result<PathBuf, Error> {
    if let Some(path) = std::env::var_os(BOOTSTRAP_PYTHON_VAR).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    for candidate in ["python3", "python"] {
        let works = Command::new(candidate)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if works {
            return Ok(PathBuf::from(candidate));
        }
    }
    Err(Error::Command {
        command: "python3 --version".to_owned(),
        message: format!("no python3 or python found on PATH (set {BOOTSTRAP_PYTHON_VAR})"),
    })
}

fn command_line(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(OsStr::to_string_lossy)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last `max_lines` lines of `bytes`, as text.
fn tail(bytes: &[u8], max_lines: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(max_lines)..].join("\n")
}

fn run(command: &mut Command) -> Result<Output, Error> {
    command
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONUTF8", "1")
        .output()
        .map_err(|e| Error::Command {
            command: command_line(command),
            message: format!("cannot start: {e}"),
        })
}

fn run_checked(command: &mut Command) -> Result<Output, Error> {
    let output = run(command)?;
    if output.status.success() {
        Ok(output)
    } else {
        Err(Error::Command {
            command: command_line(command),
            message: format!("{}; stderr:\n{}", output.status, tail(&output.stderr, 40)),
        })
    }
}

/// Run `generator/<script>` with the reference interpreter, from the workspace root.
///
/// Returns the output whatever the exit status; fails only when the interpreter cannot
/// be had or started.
pub fn run_script<I, S>(script: &str, args: I) -> Result<Output, Error>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(python()?);
    command
        .arg(generator_dir().join(script))
        .args(args)
        .current_dir(workspace_root());
    run(&mut command)
}

/// Run the generator: `check == false` rewrites `spec-vectors/data`; `check == true` only
/// compares, exiting 1 and listing the stale files on stderr when they differ.
pub fn run_generator(check: bool) -> Result<Output, Error> {
    let args: &[&str] = if check { &["--check"] } else { &[] };
    run_script("generate.py", args)
}

/// Verify a repository directory with python-tuf (`generator/verify_repository.py DIR`).
///
/// Its stdout is one JSON line `{"ok": bool, "errors": [...]}`; it exits 0 iff ok.
pub fn verify_repository(dir: &Path) -> Result<Output, Error> {
    run_script("verify_repository.py", [dir])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert!(workspace_root().join("Cargo.toml").is_file());
        assert!(requirements_file().is_file());
        assert!(generator_dir().join("generate.py").is_file());
    }

    #[test]
    fn tail_keeps_last_lines() {
        assert_eq!(tail(b"a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail(b"", 2), "");
    }
}
