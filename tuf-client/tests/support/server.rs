//! A static HTTP/1.1 file server on 127.0.0.1 for the end-to-end tests.
//!
//! - Serves `GET` (and `HEAD`) from a directory the test can swap at any time
//!   ([`Server::serve_dir`]); 404 for anything missing (or when no directory is set).
//! - Records the path of every request, in order of arrival, exactly as sent.
//! - A request path is mapped to a file first as sent (so a file named with percent
//!   escapes, like `1.projects%2Fdeep.json`, is served for `/1.projects%2Fdeep.json`), then
//!   percent-decoded segment by segment. `.`/`..` segments and decoded `/` never map.
//! - One request per connection (`Connection: close`); one thread per connection.
//! - Dropping the server stops its accept thread.

use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

const MAX_HEAD: usize = 64 * 1024;
const IO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Shared {
    dir: Mutex<Option<PathBuf>>,
    requests: Mutex<Vec<String>>,
    stop: AtomicBool,
}

pub(crate) struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// Start a server on 127.0.0.1 (a free port) serving nothing yet.
    pub(crate) fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let shared = Arc::new(Shared::default());
        let accept = {
            let shared = Arc::clone(&shared);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if shared.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let shared = Arc::clone(&shared);
                    std::thread::spawn(move || handle(stream, &shared));
                }
            })
        };
        Server {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// Start a server serving `dir`.
    pub(crate) fn serving(dir: &Path) -> Server {
        let server = Server::start();
        server.serve_dir(dir);
        server
    }

    /// Serve `dir` from now on (it holds e.g. `metadata/` and `targets/`).
    pub(crate) fn serve_dir(&self, dir: &Path) {
        *lock(&self.shared.dir) = Some(dir.to_path_buf());
    }

    /// `http://127.0.0.1:PORT/` + `path`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// Every request path so far, in order.
    pub(crate) fn requests(&self) -> Vec<String> {
        lock(&self.shared.requests).clone()
    }

    pub(crate) fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
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
    let dir = lock(&shared.dir).clone();
    let body = dir
        .and_then(|dir| resolve(&dir, target))
        .and_then(|path| std::fs::read(path).ok());
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

/// The file for a request target under `root`, if any: as sent first, then percent-decoded.
fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next()?;
    let rel = path.strip_prefix('/')?;
    let as_sent: Option<Vec<String>> = rel.split('/').map(|s| Some(s.to_owned())).collect();
    let decoded: Option<Vec<String>> = rel.split('/').map(percent_decode).collect();
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
    fn resolves_as_sent_then_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("m")).unwrap();
        std::fs::write(root.join("m/1.a%2Fb.json"), b"quoted").unwrap();
        std::fs::write(root.join("m/a b.txt"), b"spaced").unwrap();
        std::fs::write(root.join("top.txt"), b"top").unwrap();
        assert_eq!(
            resolve(root, "/m/1.a%2Fb.json"),
            Some(root.join("m/1.a%2Fb.json"))
        );
        assert_eq!(resolve(root, "/m/a%20b.txt"), Some(root.join("m/a b.txt")));
        assert_eq!(resolve(root, "/top.txt?x=1"), Some(root.join("top.txt")));
        assert_eq!(resolve(root, "/m/../top.txt"), None);
        assert_eq!(resolve(root, "/m%2F..%2Ftop.txt"), None);
        assert_eq!(resolve(root, "/m"), None);
        assert_eq!(resolve(root, "/missing"), None);
    }

    #[test]
    fn serves_records_and_stops() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("f.txt"), b"hello").unwrap();
        let server = Server::serving(dir.path());
        let get = |path: &str| {
            let mut stream = TcpStream::connect(server.addr).unwrap();
            write!(stream, "GET {path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            response
        };
        let ok = get("/f.txt");
        assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
        assert!(ok.ends_with("\r\n\r\nhello"), "{ok}");
        assert!(get("/g.txt").starts_with("HTTP/1.1 404 "));
        assert_eq!(server.take_requests(), ["/f.txt", "/g.txt"]);
        let other = tempfile::tempdir().unwrap();
        server.serve_dir(other.path());
        assert!(get("/f.txt").starts_with("HTTP/1.1 404 "));
        let addr = server.addr;
        drop(server);
        assert!(TcpStream::connect(addr).is_err(), "still listening");
    }
}
