//! Crash safety: `tuf-client` processes are killed with SIGKILL at random points of their
//! updates while the repository changes underneath them (real HTTP on 127.0.0.1). After every
//! kill the metadata directory must still hold a trusted state that verifies and the target
//! directory only complete files; uninterrupted updates in between, and the last one, must
//! succeed.
//!
//! The kill delays are drawn below the time an uninterrupted download takes here, so they
//! land in the root chain, the timestamp/snapshot/targets writes and the target download
//! alike. The seed is printed (set `TUF_CRASH_SEED` to replay a run).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/changing.rs"]
mod changing;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use changing::{ChangingRepository, Rng, assert_success, client};

/// How many processes are killed.
const KILLS: usize = 60;

fn download_args(
    repo: &ChangingRepository,
    md: &std::path::Path,
    td: &std::path::Path,
) -> Vec<String> {
    let mut args = vec![
        "--metadata-url".to_owned(),
        repo.metadata_url(),
        "--metadata-dir".to_owned(),
        md.display().to_string(),
        "--target-dir".to_owned(),
        td.display().to_string(),
        "--target-base-url".to_owned(),
        repo.targets_url(),
    ];
    for target in changing::TARGETS {
        args.push("--target-name".to_owned());
        args.push(target.to_owned());
    }
    args.push("download".to_owned());
    args
}

#[test]
fn sigkill_at_random_points_leaves_a_trusted_state_and_the_next_update_succeeds() {
    let seed = std::env::var("TUF_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
        });
    eprintln!("TUF_CRASH_SEED={seed}");
    let mut rng = Rng::new(seed);
    let mut repo = ChangingRepository::start(Duration::from_millis(15));
    let dir = tempfile::tempdir().unwrap();
    let (md, td) = (dir.path().join("md"), dir.path().join("td"));
    std::fs::create_dir_all(&td).unwrap();
    let root = dir.path().join("root.json");
    std::fs::write(&root, repo.root_v1()).unwrap();
    let init = client([
        "--metadata-dir".as_ref(),
        md.as_os_str(),
        "init".as_ref(),
        root.as_os_str(),
    ]);
    assert_success(&init, "init");
    let args = download_args(&repo, &md, &td);

    // How long one uninterrupted download takes here (only to spread the kills over it).
    let started = Instant::now();
    assert_success(&client(&args), "first download");
    let span = started.elapsed().as_micros().max(1_000) as u64;

    let mut killed_running = 0;
    for round in 0..KILLS {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tuf-client"))
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(span)));
        // std::process::Child::kill sends SIGKILL on Unix.
        let _ = child.kill();
        let status = child.wait().unwrap();
        if status.code().is_none() {
            killed_running += 1;
        } else {
            // It finished before the kill: it must have succeeded.
            assert_eq!(status.code(), Some(0), "round {round}: {status}");
        }
        if let Err(problem) = changing::check_metadata_dir(&md) {
            panic!("round {round} (seed {seed}): metadata directory: {problem}");
        }
        if let Err(problem) = changing::check_target_dir(&td) {
            panic!("round {round} (seed {seed}): target directory: {problem}");
        }
        if round % 6 == 5 {
            assert_success(
                &client(&args),
                &format!("round {round}: update after a kill"),
            );
        }
    }
    let generations = repo.freeze();
    eprintln!(
        "{KILLS} processes, {killed_running} killed while running, {generations} repository generations"
    );

    // The next update succeeds, brings everything up to date, and leaves no temporary file.
    assert_success(&client(&args), "final update");
    changing::assert_settled(&md, &td);
    for target in changing::TARGETS {
        let bytes = std::fs::read(td.join(tuf_client::cache::quote(target))).unwrap();
        assert_eq!(
            bytes,
            changing::content(target, generations - 1),
            "{target} is not the newest"
        );
    }
    // Some kills must have hit a running process, or the test tested nothing.
    assert!(
        killed_running > KILLS / 4,
        "only {killed_running} of {KILLS} kills hit a running process"
    );
}
