//! A static HTTP/1.1 file server on 127.0.0.1 for a repository kept on disk: what the
//! end-to-end and interoperability tests serve a real repository directory with (a
//! repository written by `tuf-repo` or python-tuf), where [`crate::server::Server`] serves a
//! simulator's files from memory.
//!
//! - Serves `GET` (and `HEAD`) of files under mounted directories: a mount
//!   `("metadata", DIR/metadata)` serves `/metadata/1.root.json` from
//!   `DIR/metadata/1.root.json`; the mount `("", DIR)` serves all of `DIR`. Anything else is
//!   a 404 (so a repository's `keys/` are not served unless a mount holds them). The mounts
//!   can be swapped at any time ([`DirServer::mount`], [`DirServer::serve_dir`]).
//! - A request path is mapped to a file first as sent (so a file named with percent escapes,
//!   like `1.projects%2Fdeep.json`, is served for `/metadata/1.projects%2Fdeep.json`), then
//!   percent-decoded segment by segment. Empty, `.` and `..` segments and decoded `/`, `\`
//!   or NUL never map.
//! - Records the path of every request, in order of arrival, exactly as sent.
//! - Bounded: request heads over 64 KiB are dropped, reads and writes time out after 10 s, and
//!   at most [`MAX_CONNECTIONS`] connections are handled at once (more get a 503).
//! - One request per connection (`Connection: close`); one thread per connection. Dropping
//!   the server stops its accept thread.
//!
//! ```
//! use std::io::{Read as _, Write as _};
//! use tuf_conformance::dir_server::DirServer;
//!
//! let dir = tempfile::tempdir()?;
//! std::fs::create_dir(dir.path().join("metadata"))?;
//! std::fs::write(dir.path().join("metadata/1.root.json"), b"{}")?;
//! let server = DirServer::start(&[("metadata", &dir.path().join("metadata"))])?;
//!
//! let url = server.url("metadata/1.root.json");
//! let address = url.trim_start_matches("http://").split('/').next().unwrap_or_default();
//! let mut stream = std::net::TcpStream::connect(address)?;
//! write!(stream, "GET /metadata/1.root.json HTTP/1.1\r\nHost: x\r\n\r\n")?;
//! let mut response = String::new();
//! stream.read_to_string(&mut response)?;
//! assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert_eq!(server.take_requests(), ["/metadata/1.root.json"]);
//! # Ok::<(), std::io::Error>(())
//! ```

use std::io::{self, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crate::server::{
    Acceptor, IO_TIMEOUT, finish, lock, percent_decode, read_request_line, write_head,
};

/// Connections handled at once; more are answered with a 503.
pub const MAX_CONNECTIONS: usize = 64;

/// A URL prefix (one path segment, or empty for the whole server) and the directory it serves.
type Mount = (String, PathBuf);

struct Shared {
    mounts: Mutex<Vec<Mount>>,
    requests: Mutex<Vec<String>>,
    active: AtomicUsize,
    /// Set when the server is dropped (by its [`Acceptor`]).
    stop: Arc<AtomicBool>,
}

/// A running server; see the [module documentation](self).
pub struct DirServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _accept: Acceptor,
}

impl DirServer {
    /// Starts a server on 127.0.0.1 (a free port) serving each directory under its prefix
    /// (a single URL path segment such as `metadata`, or `""` for the server's root).
    ///
    /// # Errors
    /// The socket cannot be bound.
    pub fn start(mounts: &[(&str, &Path)]) -> io::Result<DirServer> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            mounts: Mutex::new(owned(mounts)),
            requests: Mutex::new(Vec::new()),
            active: AtomicUsize::new(0),
            stop: Arc::new(AtomicBool::new(false)),
        });
        let accept = {
            let shared = Arc::clone(&shared);
            Acceptor::spawn(listener, addr, Arc::clone(&shared.stop), move |stream| {
                connection(stream, &shared);
            })
        };
        Ok(DirServer {
            addr,
            shared,
            _accept: accept,
        })
    }

    /// Starts a server serving all of `dir` (the mount `("", dir)`).
    ///
    /// # Errors
    /// The socket cannot be bound.
    pub fn serving(dir: &Path) -> io::Result<DirServer> {
        DirServer::start(&[("", dir)])
    }

    /// Serves all of `dir` from now on (the mount `("", dir)`), in place of the earlier mounts.
    pub fn serve_dir(&self, dir: &Path) {
        self.mount(&[("", dir)]);
    }

    /// Serves `mounts` from now on, in place of the earlier ones.
    pub fn mount(&self, mounts: &[(&str, &Path)]) {
        *lock(&self.shared.mounts) = owned(mounts);
    }

    /// `http://127.0.0.1:PORT/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// Every request path so far, in order.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.shared.requests).clone()
    }

    /// The requests so far, clearing the record.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.shared.requests))
    }
}

fn owned(mounts: &[(&str, &Path)]) -> Vec<Mount> {
    mounts
        .iter()
        .map(|(prefix, dir)| ((*prefix).to_owned(), dir.to_path_buf()))
        .collect()
}

/// One accepted connection: handled on a thread of its own, or answered with a 503 past
/// [`MAX_CONNECTIONS`].
fn connection(mut stream: TcpStream, shared: &Arc<Shared>) {
    if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
        shared.active.fetch_sub(1, Ordering::SeqCst);
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        respond(&mut stream, "503 Service Unavailable", b"busy\n", true);
        return;
    }
    let shared = Arc::clone(shared);
    std::thread::spawn(move || {
        handle(stream, &shared);
        shared.active.fetch_sub(1, Ordering::SeqCst);
    });
}

fn handle(mut stream: TcpStream, shared: &Shared) {
    let Some((method, target)) = read_request_line(&mut stream) else {
        return;
    };
    let method = method.as_str();
    let Some(target) = target.as_deref() else {
        respond(&mut stream, "400 Bad Request", b"bad request\n", true);
        return;
    };
    if shared.stop.load(Ordering::SeqCst) {
        return;
    }
    lock(&shared.requests).push(target.to_owned());
    if method != "GET" && method != "HEAD" {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            b"method not allowed\n",
            true,
        );
        return;
    }
    let file = resolve(&lock(&shared.mounts), target);
    match file.and_then(|path| std::fs::read(path).ok()) {
        Some(body) => respond(&mut stream, "200 OK", &body, method == "GET"),
        None => respond(
            &mut stream,
            "404 Not Found",
            b"not found\n",
            method == "GET",
        ),
    }
}

fn respond(stream: &mut TcpStream, status: &str, body: &[u8], with_body: bool) {
    if write_head(stream, status, Some(body.len())) && with_body {
        let _ = stream.write_all(body);
    }
    finish(stream);
}

/// The file for a request target, if any: the first mount whose prefix is the target's
/// first path segment (or is empty) holds it, looked up as sent first, then percent-decoded.
fn resolve(mounts: &[Mount], target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let rel = path.strip_prefix('/')?;
    mounts.iter().find_map(|(prefix, root)| {
        let rest = if prefix.is_empty() {
            rel
        } else {
            rel.strip_prefix(prefix.as_str())?.strip_prefix('/')?
        };
        lookup(root, rest)
    })
}

/// `rest` (segments separated by `/`) under `root`, as sent or else decoded, if it is a file.
fn lookup(root: &Path, rest: &str) -> Option<PathBuf> {
    let as_sent: Option<Vec<String>> = rest.split('/').map(|s| Some(s.to_owned())).collect();
    let decoded: Option<Vec<String>> = rest.split('/').map(percent_decode).collect();
    [as_sent, decoded]
        .into_iter()
        .flatten()
        .find_map(|segments| {
            let ok = segments
                .iter()
                .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0']));
            let file = segments.iter().fold(root.to_path_buf(), |p, s| p.join(s));
            (ok && file.is_file()).then_some(file)
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Read as _;

    use super::*;

    fn mounts(list: &[(&str, &Path)]) -> Vec<Mount> {
        owned(list)
    }

    #[test]
    fn resolves_mounts_as_sent_then_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("m/sub")).unwrap();
        std::fs::create_dir_all(root.join("keys")).unwrap();
        std::fs::write(root.join("m/1.a%2Fb.json"), b"quoted").unwrap();
        std::fs::write(root.join("m/sub/a b.txt"), b"spaced").unwrap();
        std::fs::write(root.join("keys/secret"), b"key").unwrap();
        let m = root.join("m");
        let mounts = mounts(&[("meta", &m)]);
        assert_eq!(
            resolve(&mounts, "/meta/1.a%2Fb.json"),
            Some(m.join("1.a%2Fb.json"))
        );
        assert_eq!(
            resolve(&mounts, "/meta/sub/a%20b.txt"),
            Some(m.join("sub/a b.txt"))
        );
        assert_eq!(
            resolve(&mounts, "/meta/sub/a%20b.txt?x=1"),
            Some(m.join("sub/a b.txt"))
        );
        assert_eq!(resolve(&mounts, "/meta/../keys/secret"), None);
        assert_eq!(resolve(&mounts, "/meta/..%2Fkeys%2Fsecret"), None);
        assert_eq!(resolve(&mounts, "/keys/secret"), None);
        assert_eq!(resolve(&mounts, "/metasub/a%20b.txt"), None);
        assert_eq!(resolve(&mounts, "/meta/sub"), None);
        assert_eq!(resolve(&mounts, "/meta/missing"), None);
        assert_eq!(resolve(&mounts, "/meta"), None);
    }

    #[test]
    fn the_empty_prefix_serves_the_whole_directory() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("m")).unwrap();
        std::fs::write(root.join("m/a b.txt"), b"spaced").unwrap();
        std::fs::write(root.join("top.txt"), b"top").unwrap();
        let mounts = mounts(&[("", root)]);
        assert_eq!(
            resolve(&mounts, "/m/a%20b.txt"),
            Some(root.join("m/a b.txt"))
        );
        assert_eq!(resolve(&mounts, "/top.txt?x=1"), Some(root.join("top.txt")));
        assert_eq!(resolve(&mounts, "/m/../top.txt"), None);
        assert_eq!(resolve(&mounts, "/m%2F..%2Ftop.txt"), None);
        assert_eq!(resolve(&mounts, "/m"), None);
        assert_eq!(resolve(&mounts, "/missing"), None);
        assert_eq!(resolve(&[], "/top.txt"), None);
    }

    #[test]
    fn serves_records_swaps_and_stops() {
        let one = tempfile::tempdir().unwrap();
        let two = tempfile::tempdir().unwrap();
        std::fs::write(one.path().join("f.txt"), b"hello").unwrap();
        std::fs::write(two.path().join("f.txt"), b"other").unwrap();
        let server = DirServer::start(&[("d", one.path())]).unwrap();
        let get = |path: &str| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            response
        };
        let ok = get("/d/f.txt");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.ends_with("\r\n\r\nhello"), "{ok}");
        assert!(get("/d/g.txt").starts_with("HTTP/1.1 404 "));
        assert!(get("/f.txt").starts_with("HTTP/1.1 404 "));
        assert_eq!(server.requests(), ["/d/f.txt", "/d/g.txt", "/f.txt"]);
        assert_eq!(server.take_requests().len(), 3);
        assert!(server.requests().is_empty());
        server.serve_dir(two.path());
        assert!(get("/f.txt").ends_with("\r\n\r\nother"));
        assert!(get("/d/f.txt").starts_with("HTTP/1.1 404 "));
        let addr = server.addr;
        drop(server);
        assert!(TcpStream::connect(addr).is_err(), "still listening");
    }
}
