//! The metadata cache and target writes on a real file system.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use tuf_client::cache::{CacheError, MetadataCache, StagedTarget, persist_target, quote};

/// Values printed by `python3 -c "import urllib.parse; print(urllib.parse.quote(s, safe=''))"`.
const PYTHON_QUOTE: &[(&str, &str)] = &[
    ("a/b", "a%2Fb"),
    ("ü", "%C3%BC"),
    ("role name", "role%20name"),
    ("~._-", "~._-"),
    ("%", "%25"),
    ("targets", "targets"),
    ("a+b=c&d?e#f", "a%2Bb%3Dc%26d%3Fe%23f"),
    ("日本", "%E6%97%A5%E6%9C%AC"),
    ("", ""),
];

#[test]
fn quote_matches_python() {
    for (input, expected) in PYTHON_QUOTE {
        assert_eq!(quote(input), *expected, "quote({input:?})");
    }
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

proptest! {
    #[test]
    fn quote_is_unreserved_or_escaped_and_reversible(name in any::<String>()) {
        let quoted = quote(&name);
        let bytes = quoted.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'%' {
                prop_assert!(i + 2 < bytes.len(), "truncated escape in {}", quoted);
                let hex = &bytes[i + 1..i + 3];
                prop_assert!(hex.iter().all(|h| h.is_ascii_digit() || (b'A'..=b'F').contains(h)));
                i += 3;
            } else {
                prop_assert!(b.is_ascii_alphanumeric() || b"_.-~".contains(&b), "{quoted}");
                i += 1;
            }
        }
        prop_assert_eq!(percent_decode(&quoted), name.as_bytes());
    }
}

/// Names in `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn open_creates_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a").join("metadata");
    let cache = MetadataCache::open(&dir).unwrap();
    assert!(dir.is_dir());
    assert_eq!(cache.dir(), dir);
}

#[test]
fn store_and_load_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = MetadataCache::open(tmp.path()).unwrap();
    assert_eq!(cache.load("root", 1000).unwrap(), None);

    cache.store("root", b"{\"v\": 1}\n").unwrap();
    assert_eq!(cache.load("root", 1000).unwrap().unwrap(), b"{\"v\": 1}\n");
    assert_eq!(
        fs::read(tmp.path().join("root.json")).unwrap(),
        b"{\"v\": 1}\n"
    );

    cache.store("root", b"{\"v\": 2}").unwrap();
    assert_eq!(cache.load("root", 1000).unwrap().unwrap(), b"{\"v\": 2}");

    cache.store("targets/a b", b"delegated").unwrap();
    assert_eq!(
        fs::read(tmp.path().join("targets%2Fa%20b.json")).unwrap(),
        b"delegated"
    );
    assert_eq!(cache.load("targets/a b", 9).unwrap().unwrap(), b"delegated");

    cache.store("empty", b"").unwrap();
    assert_eq!(cache.load("empty", 0).unwrap().unwrap(), b"");
}

#[test]
fn load_refuses_files_over_the_cap() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = MetadataCache::open(tmp.path()).unwrap();
    cache.store("timestamp", &[b'x'; 100]).unwrap();
    assert_eq!(cache.load("timestamp", 100).unwrap().unwrap().len(), 100);
    match cache.load("timestamp", 99) {
        Err(CacheError::TooLarge { path, max_length }) => {
            assert_eq!(max_length, 99);
            assert_eq!(path, tmp.path().join("timestamp.json"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn stores_leave_only_role_files() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = MetadataCache::open(tmp.path()).unwrap();
    let _lock = cache.lock().unwrap();
    for round in 0..3 {
        for role in ["root", "timestamp", "snapshot", "targets", "a/b"] {
            cache
                .store(role, format!("{role} {round}").as_bytes())
                .unwrap();
        }
    }
    let names = entries(tmp.path());
    let json: Vec<&String> = names.iter().filter(|n| n.ends_with(".json")).collect();
    assert_eq!(
        json,
        [
            "a%2Fb.json",
            "root.json",
            "snapshot.json",
            "targets.json",
            "timestamp.json"
        ]
    );
    // Nothing else but the lock file.
    assert_eq!(names.len(), 6, "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with(".tmp")), "{names:?}");
}

#[test]
fn failed_store_keeps_the_old_file_and_leaves_no_temporary() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = MetadataCache::open(tmp.path()).unwrap();
    // A non-empty directory where the role file should go: the rename must fail.
    let blocker = tmp.path().join("root.json");
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("keep"), b"keep").unwrap();
    assert!(matches!(
        cache.store("root", b"new"),
        Err(CacheError::Io { .. })
    ));
    assert_eq!(entries(tmp.path()), ["root.json"]);
    assert_eq!(fs::read(blocker.join("keep")).unwrap(), b"keep");
}

#[test]
fn remove_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = MetadataCache::open(tmp.path()).unwrap();
    cache.store("snapshot", b"s").unwrap();
    cache.remove("snapshot").unwrap();
    assert_eq!(cache.load("snapshot", 10).unwrap(), None);
    cache.remove("snapshot").unwrap();
    assert!(entries(tmp.path()).is_empty());
}

/// Spawns a thread that takes the lock and reports through the channel.
fn lock_in_thread(cache: &MetadataCache) -> (mpsc::Receiver<()>, thread::JoinHandle<()>) {
    let cache = cache.clone();
    let (tx, rx) = mpsc::channel();
    let handle = thread::spawn(move || {
        let _guard = cache.lock().unwrap();
        tx.send(()).unwrap();
    });
    (rx, handle)
}

#[test]
fn lock_is_exclusive_between_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = MetadataCache::open(tmp.path()).unwrap();
    let guard = cache.lock().unwrap();
    let other = MetadataCache::open(tmp.path()).unwrap();
    let (rx, handle) = lock_in_thread(&other);
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(300)),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    drop(guard);
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    handle.join().unwrap();
    // The lock file is not metadata.
    assert!(!entries(tmp.path()).iter().any(|n| n.ends_with(".json")));
}

const CHILD_DIR: &str = "TUF_CLIENT_TEST_LOCK_CHILD_DIR";
const CHILD_SYNC: &str = "TUF_CLIENT_TEST_LOCK_CHILD_SYNC";

/// The child side of `lock_is_exclusive_across_processes`; does nothing in a normal run.
#[test]
fn lock_child_process() {
    let (Ok(dir), Ok(sync)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_SYNC)) else {
        return;
    };
    let sync = Path::new(&sync);
    let cache = MetadataCache::open(dir).unwrap();
    let guard = cache.lock().unwrap();
    fs::write(sync.join("locked"), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sync.join("release").exists() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    drop(guard);
}

#[test]
fn lock_is_exclusive_across_processes() {
    let tmp = tempfile::tempdir().unwrap();
    let sync = tempfile::tempdir().unwrap();
    let cache = MetadataCache::open(tmp.path()).unwrap();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "lock_child_process", "--test-threads=1"])
        .env(CHILD_DIR, tmp.path())
        .env(CHILD_SYNC, sync.path())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sync.path().join("locked").exists() {
        assert!(child.try_wait().unwrap().is_none(), "child exited early");
        assert!(Instant::now() < deadline, "child never took the lock");
        thread::sleep(Duration::from_millis(10));
    }
    let (rx, handle) = lock_in_thread(&cache);
    assert_eq!(
        rx.recv_timeout(Duration::from_millis(300)),
        Err(mpsc::RecvTimeoutError::Timeout),
        "the lock was taken while another process held it"
    );
    fs::write(sync.path().join("release"), b"").unwrap();
    rx.recv_timeout(Duration::from_secs(10)).unwrap();
    handle.join().unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn persist_target_writes_atomically() {
    let tmp = tempfile::tempdir().unwrap();
    let name = quote("dir/file name.tar.gz");
    let path = persist_target(tmp.path(), &name, b"version 1").unwrap();
    assert_eq!(path, tmp.path().join("dir%2Ffile%20name.tar.gz"));
    assert_eq!(fs::read(&path).unwrap(), b"version 1");
    persist_target(tmp.path(), &name, b"version 2").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"version 2");
    assert_eq!(entries(tmp.path()), ["dir%2Ffile%20name.tar.gz"]);
}

#[test]
fn persist_target_into_a_missing_directory_fails_cleanly() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("missing");
    assert!(matches!(
        persist_target(&missing, "file", b"bytes"),
        Err(CacheError::Io { .. })
    ));
    assert!(entries(tmp.path()).is_empty());
}

#[test]
fn failed_persist_target_keeps_the_old_file_and_leaves_no_temporary() {
    let tmp = tempfile::tempdir().unwrap();
    persist_target(tmp.path(), "good", b"good").unwrap();
    // A non-empty directory in the way of the rename.
    let blocker = tmp.path().join("blocked");
    fs::create_dir(&blocker).unwrap();
    fs::write(blocker.join("inside"), b"x").unwrap();
    assert!(matches!(
        persist_target(tmp.path(), "blocked", b"new"),
        Err(CacheError::Io { .. })
    ));
    assert_eq!(entries(tmp.path()), ["blocked", "good"]);
    assert_eq!(fs::read(tmp.path().join("good")).unwrap(), b"good");
}

#[test]
fn persist_target_refuses_names_that_are_not_plain() {
    let tmp = tempfile::tempdir().unwrap();
    for name in ["", ".", "..", "a/b", "a\\b", "nul\0"] {
        assert!(
            matches!(
                persist_target(tmp.path(), name, b"x"),
                Err(CacheError::Io { .. })
            ),
            "{name:?}"
        );
    }
    assert!(entries(tmp.path()).is_empty());
    // quote() turns a target path into a single component, but leaves "." and ".." as they
    // are (dots are unreserved): those stay refused.
    persist_target(tmp.path(), &quote("../../etc/passwd"), b"x").unwrap();
    assert_eq!(entries(tmp.path()), ["..%2F..%2Fetc%2Fpasswd"]);
    assert!(persist_target(tmp.path(), &quote(".."), b"x").is_err());
}

#[test]
fn staged_target_moves_into_place_and_leaves_nothing_behind() {
    use std::io::Write as _;
    let staging = tempfile::tempdir().unwrap();
    let td = tempfile::tempdir().unwrap();
    persist_target(td.path(), "app", b"old").unwrap();
    let mut staged = StagedTarget::create(staging.path()).unwrap();
    let temp = staged.path().to_path_buf();
    assert!(temp.starts_with(staging.path()));
    assert!(!temp.to_string_lossy().ends_with(".json"));
    staged.write_all(b"new ").unwrap();
    staged.write_all(b"release").unwrap();
    // Nothing of it is in TD before persist.
    assert_eq!(fs::read(td.path().join("app")).unwrap(), b"old");
    let path = staged.persist(td.path(), "app").unwrap();
    assert_eq!(fs::read(&path).unwrap(), b"new release");
    assert_eq!(entries(td.path()), ["app"]);
    assert!(entries(staging.path()).is_empty());
}

/// Bytes no two offsets of which a misplaced block would leave unchanged.
fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 131 % 253) as u8).collect()
}

#[test]
fn large_roles_and_targets_are_stored_exactly() {
    // Above a megabyte, files go through direct I/O where the file system has it: an aligned
    // part and a tail through two handles, which must make exactly the bytes given.
    let md = tempfile::tempdir().unwrap();
    let td = tempfile::tempdir().unwrap();
    let cache = MetadataCache::open(md.path()).unwrap();
    for len in [(1 << 20) - 1, 1 << 20, (3 << 20) + 4097, 8 << 20] {
        let bytes = pattern(len);
        cache.store("targets", &bytes).unwrap();
        assert!(
            cache.load("targets", len as u64).unwrap().unwrap() == bytes,
            "{len}"
        );
        let path = persist_target(td.path(), "whole", &bytes).unwrap();
        assert!(fs::read(&path).unwrap() == bytes, "{len}");

        use std::io::Write as _;
        let mut staged = StagedTarget::create(md.path()).unwrap();
        for piece in bytes.chunks(65_521) {
            staged.write_all(piece).unwrap();
        }
        staged.flush().unwrap();
        let path = staged.persist(td.path(), "streamed").unwrap();
        assert!(fs::read(&path).unwrap() == bytes, "{len}");
    }
    assert_eq!(entries(td.path()), ["streamed", "whole"]);
    assert_eq!(entries(md.path()), ["targets.json"]);
}

#[test]
fn staged_target_dropped_or_refused_is_removed() {
    use std::io::Write as _;
    let staging = tempfile::tempdir().unwrap();
    let td = tempfile::tempdir().unwrap();
    // Dropped without persist (the bytes failed verification): removed.
    let mut staged = StagedTarget::create(staging.path()).unwrap();
    staged.write_all(b"unverified").unwrap();
    drop(staged);
    assert!(entries(staging.path()).is_empty());
    // Names that are not one plain component, and a missing target directory: refused, and
    // neither directory keeps anything.
    for name in ["", "..", "a/b"] {
        let staged = StagedTarget::create(staging.path()).unwrap();
        assert!(
            matches!(staged.persist(td.path(), name), Err(CacheError::Io { .. })),
            "{name:?}"
        );
    }
    let staged = StagedTarget::create(staging.path()).unwrap();
    assert!(matches!(
        staged.persist(&td.path().join("missing"), "app"),
        Err(CacheError::Io { .. })
    ));
    assert!(entries(staging.path()).is_empty());
    assert!(entries(td.path()).is_empty());
}

/// A process id that runs no process now: a child that has exited and been reaped.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn temporaries_of_dead_writers_are_swept_and_live_ones_kept() {
    let md = tempfile::tempdir().unwrap();
    let td = tempfile::tempdir().unwrap();
    let dead = dead_pid();
    // pid 1 always runs; its files must survive.
    for (dir, name) in [
        (md.path(), format!(".download-{dead}-0")),
        (md.path(), ".download-1-0".to_owned()),
        (td.path(), format!(".tmp-{dead}-7+partial")),
        (td.path(), ".tmp-1-7+partial".to_owned()),
        (td.path(), format!(".tmp-{dead}-x+partial")),
    ] {
        fs::write(dir.join(name), b"left behind").unwrap();
    }
    let mut staged = StagedTarget::create(md.path()).unwrap();
    std::io::Write::write_all(&mut staged, b"new").unwrap();
    staged.persist(td.path(), "t").unwrap();
    assert_eq!(entries(md.path()), [".download-1-0"]);
    // Only names of the exact shape `<pid>-<n>` are the client's; anything else is left alone.
    assert_eq!(
        entries(td.path()),
        [".tmp-1-7+partial", &format!(".tmp-{dead}-x+partial"), "t"]
    );
}
