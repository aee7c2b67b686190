//! A small static HTTP/1.1 file server on 127.0.0.1 for the interoperability tests.
//!
//! - Serves `GET` (and `HEAD`) of files under mounted directories: [`Server::start`] takes
//!   `(url prefix, directory)` pairs, so `("metadata", DIR/metadata)` serves
//!   `/metadata/1.root.json` from `DIR/metadata/1.root.json`. Anything else is a 404 (so the
//!   repository's `keys/` are never served).
//! - A request path is mapped to a file first as sent (so a file named with percent escapes,
//!   like `1.projects%2Fdeep.json`, is served for `/metadata/1.projects%2Fdeep.json`), then
//!   percent-decoded segment by segment. Empty, `.` and `..` segments and decoded `/`, `\`
//!   or NUL never map.
//! - Records the path of every request, in order of arrival, exactly as sent.
//! - Bounded: request heads over 64 KiB are dropped, reads and writes time out after 10 s, and
//!   at most [`MAX_CONNECTIONS`] connections are handled at once (more get a 503).
//! - One request per connection (`Connection: close`); one thread per connection. Dropping
//!   the server stops its accept thread.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

const MAX_HEAD: usize = 64 * 1024;
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections handled at once; more are answered with a 503.
pub(crate) const MAX_CONNECTIONS: usize = 64;

struct Shared {
    mounts: Vec<(String, PathBuf)>,
    requests: Mutex<Vec<String>>,
    active: AtomicUsize,
    stop: AtomicBool,
}

pub(crate) struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Start a server on 127.0.0.1 (a free port) serving each directory under its prefix
    /// (a single URL path segment, e.g. `metadata`).
    pub(crate) fn start(mounts: &[(&str, &Path)]) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared {
            mounts: mounts
                .iter()
                .map(|(prefix, dir)| ((*prefix).to_owned(), dir.to_path_buf()))
                .collect(),
            requests: Mutex::new(Vec::new()),
            active: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
        });
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut stream) = stream else { continue };
                    if shared.active.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
                        shared.active.fetch_sub(1, Ordering::SeqCst);
                        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
                        respond(&mut stream, "503 Service Unavailable", b"busy\n", true);
                        continue;
                    }
                    let shared = Arc::clone(&shared);
                    std::thread::spawn(move || {
                        handle(stream, &shared);
                        shared.active.fetch_sub(1, Ordering::SeqCst);
                    });
                }
            })
        };
        Server {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT/` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// Every request path so far, in order.
    pub(crate) fn requests(&self) -> Vec<String> {
        lock(&self.shared.requests).clone()
    }

    /// The requests so far, clearing the record.
    pub(crate) fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.shared.requests))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn handle(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let Some(head) = read_head(&mut stream) else {
        return;
    };
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (method, target) = (parts.next().unwrap_or_default(), parts.next());
    let Some(target) = target else {
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
    let body = resolve(&shared.mounts, target).and_then(|path| std::fs::read(path).ok());
    match body {
        Some(body) => respond(&mut stream, "200 OK", &body, method == "GET"),
        None => respond(
            &mut stream,
            "404 Not Found",
            b"not found\n",
            method == "GET",
        ),
    }
}

/// The request head (request line and headers), up to the blank line.
fn read_head(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 4096];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        if head.len() > MAX_HEAD {
            return None;
        }
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(head).ok()
}

fn respond(stream: &mut TcpStream, status: &str, body: &[u8], with_body: bool) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    if with_body {
        let _ = stream.write_all(body);
    }
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Let the client read everything before the socket closes (an early close with unread
    // input could reset the connection).
    let mut rest = [0u8; 1024];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    while matches!(stream.read(&mut rest), Ok(n) if n > 0) {}
}

/// The file for a request target, if any: its first path segment names the mount, the rest
/// is looked up under the mount's directory as sent first, then percent-decoded.
fn resolve(mounts: &[(String, PathBuf)], target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let rel = path.strip_prefix('/')?;
    let (prefix, rest) = rel.split_once('/')?;
    let root = mounts
        .iter()
        .find(|(mount, _)| mount == prefix)
        .map(|(_, dir)| dir)?;
    let as_sent: Option<Vec<String>> = rest.split('/').map(|s| Some(s.to_owned())).collect();
    let decoded: Option<Vec<String>> = rest.split('/').map(percent_decode).collect();
    [as_sent, decoded]
        .into_iter()
        .flatten()
        .find_map(|segments| {
            let ok = segments
                .iter()
                .all(|s| !s.is_empty() && s != "." && s != ".." && !s.contains(['/', '\\', '\0']));
            let file = segments.iter().fold(root.clone(), |p, s| p.join(s));
            (ok && file.is_file()).then_some(file)
        })
}

fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("a%2Fb%20c").as_deref(), Some("a/b c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%2"), None);
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
        let mounts = vec![("meta".to_owned(), root.join("m"))];
        let m = root.join("m");
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
        assert_eq!(resolve(&mounts, "/meta/sub"), None);
        assert_eq!(resolve(&mounts, "/meta/missing"), None);
        assert_eq!(resolve(&mounts, "/meta"), None);
    }

    #[test]
    fn serves_records_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.txt"), b"hello").unwrap();
        let server = Server::start(&[("d", dir.path())]);
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
        let addr = server.addr;
        drop(server);
        assert!(TcpStream::connect(addr).is_err(), "still listening");
    }
}
