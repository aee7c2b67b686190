//! The catalogue against python-tuf's ngclient (the reference), through
//! `spec-vectors/generator/python_tuf_client.py`; its known failures are listed in
//! `expected-failures/python-tuf.txt`.

mod support;

use std::path::Path;
use std::time::Duration;

use tuf_conformance::catalogue::catalogue;
use tuf_conformance::runner::{self, RunConfig};

#[test]
fn python_tuf_matches_its_expected_failures() {
    let python = spec_vectors::reference::python().expect("reference python");
    let wrapper = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("spec-vectors/generator/python_tuf_client.py");
    let dir = tempfile::tempdir().unwrap();
    let client = support::script(
        dir.path(),
        "python-tuf-client",
        &format!(
            "exec \"{}\" \"{}\" \"$@\"",
            python.display(),
            wrapper.display()
        ),
    );
    let mut config = RunConfig::new(client);
    config.expected_failures =
        runner::load_expected_failures(&support::expected_failures("python-tuf")).unwrap();
    // Python starts slowly and the slow-retrieval scenarios wait for the step timeout.
    config.step_timeout = Duration::from_secs(15);
    config.jobs = config.jobs.max(8);
    let report = runner::run(catalogue(), &config);
    let rendered = report.render();
    println!("{rendered}");
    assert!(report.unknown_expected.is_empty(), "{rendered}");
    assert!(report.is_success(), "{rendered}");
}
