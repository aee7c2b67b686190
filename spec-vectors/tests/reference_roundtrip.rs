//! The reference (python-tuf) verifies every committed repository, and rejects a tampered
//! copy, so `verify_repository.py` is a working oracle for repositories we produce.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers

use std::path::Path;

use spec_vectors::reference;

/// Runs verify_repository.py on `dir`; returns (ok, the JSON report line).
fn verify(dir: &Path) -> (bool, serde_json::Value) {
    let output = reference::verify_repository(dir).unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| {
        panic!(
            "{}: not a JSON report ({e}):\n{stdout}\nstderr:\n{}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    let ok = report["ok"].as_bool().unwrap();
    assert_eq!(
        ok,
        output.status.success(),
        "exit status disagrees with report"
    );
    (ok, report)
}

#[test]
fn reference_verifies_committed_repositories() {
    for repo in spec_vectors::repositories().unwrap() {
        let (ok, report) = verify(&repo.path);
        assert!(ok, "{}: {report}", repo.name);
    }
}

/// Flip one hex digit of the first signature in `file` of a copy of `repo`.
fn tampered_copy(repo: &spec_vectors::Repository, file: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (relative, data) in &repo.files {
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let mut data = data.clone();
        if relative == file {
            let needle = b"\"sig\":\"";
            let at = data
                .windows(needle.len())
                .position(|w| w == needle)
                .unwrap()
                + needle.len()
                + 10;
            data[at] = if data[at] == b'0' { b'1' } else { b'0' };
        }
        std::fs::write(path, data).unwrap();
    }
    dir
}

#[test]
fn reference_rejects_tampered_signatures() {
    for repo in spec_vectors::repositories().unwrap() {
        for file in ["timestamp.json", "root.json"] {
            let copy = tampered_copy(&repo, file);
            let (ok, report) = verify(copy.path());
            assert!(!ok, "{}: tampered {file} accepted: {report}", repo.name);
            assert!(!report["errors"].as_array().unwrap().is_empty());
        }
    }
}

#[test]
fn reference_rejects_missing_delegated_signature() {
    let repos = spec_vectors::repositories().unwrap();
    let repo = repos.iter().find(|r| r.name == "succinct").unwrap();
    let copy = tampered_copy(repo, "bin-5.json");
    let (ok, report) = verify(copy.path());
    assert!(!ok);
    let errors = report["errors"].to_string();
    assert!(errors.contains("bin-5"), "{errors}");
}
