//! The whole catalogue against our `tuf-client`, a deliberately broken client, and the
//! `tuf-conformance` command line.

mod support;

use std::collections::BTreeSet;
use std::process::Command;

use tuf_conformance::catalogue::catalogue;
use tuf_conformance::runner::{self, RunConfig, Verdict};
use tuf_conformance::scenario::Step;

#[test]
fn catalogue_is_large_and_names_are_unique() {
    let all = catalogue();
    assert!(all.len() >= 200, "{} scenarios", all.len());
    let names: BTreeSet<&str> = all.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), all.len(), "duplicate scenario names");
    for s in &all {
        assert!(s.name.contains('/'), "{}", s.name);
        assert!(
            !s.spec_ref.is_empty() && !s.description.is_empty(),
            "{}",
            s.name
        );
        assert!(
            s.steps
                .iter()
                .any(|step| matches!(step, Step::Refresh { .. } | Step::Download { .. })),
            "{} runs no client step",
            s.name
        );
    }
}

#[test]
fn tuf_client_passes_the_catalogue() {
    let client = support::tuf_client();
    let mut config = RunConfig::new(client);
    config.expected_failures =
        runner::load_expected_failures(&support::expected_failures("tuf-client")).unwrap();
    let report = runner::run(catalogue(), &config);
    let rendered = report.render();
    println!("{rendered}");
    assert!(report.is_success(), "{rendered}");
    assert_eq!(report.results.len(), catalogue().len());
    assert!(rendered.ends_with(&format!("{} passed, 0 failed\n", report.passed())));
}

#[test]
fn a_client_that_swallows_failures_is_caught() {
    let client = support::tuf_client();
    let dir = tempfile::tempdir().unwrap();
    let broken = support::script(
        dir.path(),
        "always-ok",
        &format!("\"{}\" \"$@\"\nexit 0", client.display()),
    );
    let scenarios = catalogue();
    // Every scenario in which the client must refuse something.
    let attacks: Vec<String> = scenarios
        .iter()
        .filter(|s| !s.name.starts_with("slow-retrieval/"))
        .filter(|s| {
            s.steps.iter().any(|step| {
                matches!(
                    step,
                    Step::Refresh { expect_ok: false }
                        | Step::Download {
                            expect_ok: false,
                            ..
                        }
                )
            })
        })
        .map(|s| s.name.clone())
        .collect();
    assert!(attacks.len() > 40, "{}", attacks.len());
    let report = runner::run(
        scenarios
            .into_iter()
            .filter(|s| attacks.contains(&s.name) || s.name == "basic/fresh-refresh")
            .collect(),
        &RunConfig::new(broken),
    );
    assert!(!report.is_success());
    for name in &attacks {
        let result = report.result(name).unwrap();
        assert_eq!(
            result.verdict,
            Verdict::Failed,
            "{name} passed with a broken client"
        );
    }
    assert_eq!(
        report.result("basic/fresh-refresh").unwrap().verdict,
        Verdict::Passed
    );
    assert_eq!(report.failed(), attacks.len());
}

#[test]
fn command_line_reports_and_judges_expected_failures() {
    let client = support::tuf_client();
    let run = |extra: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_tuf-conformance"))
            .args(["run", "--client"])
            .arg(&client)
            .args(["--filter", "basic/fresh"])
            .args(extra)
            .output()
            .unwrap();
        (
            output.status.code(),
            String::from_utf8(output.stdout).unwrap(),
        )
    };
    let (code, out) = run(&[]);
    assert_eq!(code, Some(0), "{out}");
    assert_eq!(out.lines().last(), Some("1 passed, 0 failed"), "{out}");

    // Listing a passing scenario as an expected failure is an unexpected pass: the run fails.
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("xfail.txt");
    std::fs::write(&list, "basic/fresh-refresh  # pretend it fails\n").unwrap();
    let (code, out) = run(&["--expected-failures", list.to_str().unwrap()]);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("XPASS"), "{out}");
    assert_eq!(out.lines().last(), Some("0 passed, 1 failed"), "{out}");

    // A failing scenario listed as expected: skipped, the run succeeds.
    let broken = support::script(
        dir.path(),
        "always-ok",
        &format!("\"{}\" \"$@\"\nexit 0", client.display()),
    );
    std::fs::write(
        &list,
        "arbitrary-installation/timestamp-unsigned: broken on purpose\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_tuf-conformance"))
        .args(["run", "--client"])
        .arg(&broken)
        .args(["--filter", "arbitrary-installation/timestamp-unsigned"])
        .args(["--expected-failures", list.to_str().unwrap()])
        .output()
        .unwrap();
    let out = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("0 passed, 0 failed, 1 expected failures"),
        "{out}"
    );
    assert_eq!(out.lines().last(), Some("0 passed, 0 failed"), "{out}");
}
