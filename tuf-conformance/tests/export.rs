//! The committed export in `spec-vectors/data/conformance` is what the catalogue exports now,
//! and the `export` command writes exactly that.
// Test helpers outside #[test] functions: failing loudly is the point.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use tuf_conformance::catalogue::catalogue;
use tuf_conformance::export::{self, Export};

const REGENERATE: &str = "cargo run -p tuf-conformance -- export spec-vectors/data/conformance";

fn committed() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("spec-vectors/data/conformance")
}

fn fresh() -> Export {
    export::export(&catalogue()).expect("exporting the catalogue")
}

#[test]
fn committed_export_is_up_to_date() {
    let export = fresh();
    let differences = export.differences(&committed());
    assert!(
        differences.is_empty(),
        "spec-vectors/data/conformance is stale ({} files): run `{REGENERATE}` and commit the \
         result.\n  {}",
        differences.len(),
        differences
            .iter()
            .take(20)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
    assert!(
        committed().join(export::README).is_file(),
        "the format README is missing"
    );
    // Every scenario is exported (a scenario that cannot be would be listed with a reason).
    assert_eq!(
        export.exported,
        catalogue().len(),
        "{:?}",
        export.not_exported
    );
    assert!(
        export.total_bytes() < 20 << 20,
        "the export grew to {} bytes",
        export.total_bytes()
    );
}

#[test]
fn differences_name_every_stale_file() {
    let export = fresh();
    let dir = tempfile::tempdir().unwrap();
    export.write(dir.path()).unwrap();
    std::fs::write(dir.path().join(export::README), "kept\n").unwrap();
    assert_eq!(export.differences(dir.path()), Vec::<String>::new());

    let index = dir.path().join(export::INDEX);
    let mut text = std::fs::read(&index).unwrap();
    text.push(b' ');
    std::fs::write(&index, text).unwrap();
    let scenario = dir.path().join("scenarios/basic/fresh-refresh.json");
    std::fs::remove_file(&scenario).unwrap();
    std::fs::write(dir.path().join("blobs/0000"), b"stray").unwrap();
    assert_eq!(
        export.differences(dir.path()),
        [
            "differs: index.json",
            "missing: scenarios/basic/fresh-refresh.json",
            "not in the export: blobs/0000",
        ]
    );

    // Writing again restores the export and leaves the README alone.
    export.write(dir.path()).unwrap();
    assert!(export.differences(dir.path()).is_empty());
    assert_eq!(
        std::fs::read_to_string(dir.path().join(export::README)).unwrap(),
        "kept\n"
    );
}

#[test]
fn command_line_export_writes_the_same_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("conformance");
    let output = Command::new(env!("CARGO_BIN_EXE_tuf-conformance"))
        .arg("export")
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.starts_with(&format!(
            "{} scenarios exported, 0 not exported",
            catalogue().len()
        )),
        "{stdout}"
    );
    assert!(fresh().differences(&out).is_empty());
}
