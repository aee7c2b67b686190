//! Concurrency: 16 `tuf-client` processes share one metadata directory and one target
//! directory, refreshing and downloading over and over while the repository changes
//! underneath them (real HTTP on 127.0.0.1). Every run must succeed (the repository keeps its
//! old versions, so nothing but another process could make one fail), and a watcher that
//! reads both directories the whole time must never see a corrupt or partial file.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/changing.rs"]
mod changing;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use changing::{ChangingRepository, assert_success, client};

const PROCESSES: usize = 16;
/// Runs of `tuf-client` per process slot (alternating download and refresh).
const RUNS: usize = 6;

#[test]
fn sixteen_processes_share_one_metadata_and_one_target_directory() {
    let mut repo = ChangingRepository::start(Duration::from_millis(20));
    let dir = tempfile::tempdir().unwrap();
    let (md, td) = (dir.path().join("md"), dir.path().join("td"));
    std::fs::create_dir_all(&td).unwrap();
    let root = dir.path().join("root.json");
    std::fs::write(&root, repo.root_v1()).unwrap();
    assert_success(
        &client([
            "--metadata-dir".as_ref(),
            md.as_os_str(),
            "init".as_ref(),
            root.as_os_str(),
        ]),
        "init",
    );
    let common = vec![
        "--metadata-url".to_owned(),
        repo.metadata_url(),
        "--metadata-dir".to_owned(),
        md.display().to_string(),
    ];

    // The watcher: reads both directories without any lock until the clients are done.
    let done = Arc::new(AtomicBool::new(false));
    let scans = Arc::new(AtomicU64::new(0));
    let watcher = {
        let (md, td, done, scans) = (
            md.clone(),
            td.clone(),
            Arc::clone(&done),
            Arc::clone(&scans),
        );
        std::thread::spawn(move || -> Result<(), String> {
            while !done.load(Ordering::SeqCst) {
                changing::check_metadata_dir(&md).map_err(|p| format!("metadata: {p}"))?;
                changing::check_target_dir(&td).map_err(|p| format!("targets: {p}"))?;
                scans.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        })
    };

    let workers: Vec<_> = (0..PROCESSES)
        .map(|worker| {
            let mut download = common.clone();
            download.extend([
                "--target-dir".to_owned(),
                td.display().to_string(),
                "--target-base-url".to_owned(),
                repo.targets_url(),
            ]);
            // Each worker asks for the targets in its own order.
            for i in 0..changing::TARGETS.len() {
                let target = changing::TARGETS[(worker + i) % changing::TARGETS.len()];
                download.extend(["--target-name".to_owned(), target.to_owned()]);
            }
            download.push("download".to_owned());
            let mut refresh = common.clone();
            refresh.push("refresh".to_owned());
            std::thread::spawn(move || {
                for run in 0..RUNS {
                    let args = if (worker + run) % 3 == 2 {
                        &refresh
                    } else {
                        &download
                    };
                    assert_success(&client(args), &format!("worker {worker}, run {run}"));
                }
            })
        })
        .collect();
    let mut failures = Vec::new();
    for (i, worker) in workers.into_iter().enumerate() {
        if worker.join().is_err() {
            failures.push(i);
        }
    }
    done.store(true, Ordering::SeqCst);
    let watched = watcher.join().unwrap();
    let generations = repo.freeze();
    eprintln!(
        "{} runs by {PROCESSES} processes, {} watcher scans, {generations} repository generations",
        PROCESSES * RUNS,
        scans.load(Ordering::SeqCst)
    );
    assert_eq!(failures, Vec::<usize>::new(), "workers whose runs failed");
    watched.unwrap();
    assert!(scans.load(Ordering::SeqCst) > 0);
    changing::assert_settled(&md, &td);
    for target in changing::TARGETS {
        assert!(
            td.join(tuf_client::cache::quote(target)).is_file(),
            "{target}"
        );
    }
}
