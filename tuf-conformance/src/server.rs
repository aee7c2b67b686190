//! An HTTP/1.1 server on 127.0.0.1 serving a simulator's file map, hostile on request.
//!
//! - [`Server::publish`] swaps the served files and per-path [`Behaviour`]s atomically.
//! - Every request path is recorded, in order of arrival, relative to the server root and
//!   exactly as sent (no decoding): `metadata/2.root.json`.
//! - A path is looked up as sent, then percent-decoded.
//! - One request per connection (`Connection: close`), one thread per connection; every loop
//!   is bounded, and dropping the server stops all of them.

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::Error;
use crate::simulator::Behaviour;

/// Most bytes an endless response sends before the server gives up (64 MiB).
pub const ENDLESS_LIMIT: u64 = 64 << 20;
/// The `Content-Length` declared for [`Behaviour::EndlessDeclared`] (1 TiB).
pub const ENDLESS_DECLARED_LENGTH: u64 = 1 << 40;
/// How many bytes more than it sends a [`Behaviour::Truncate`] response declares.
pub const TRUNCATE_EXTRA: usize = 100;
/// How many bytes less than it sends a [`Behaviour::ShortLength`] response declares.
pub const SHORT_LENGTH_MISSING: usize = 10;
/// Longest any single response may take (trickling included).
pub const RESPONSE_LIMIT: Duration = Duration::from_secs(120);
const MAX_HEAD: usize = 64 * 1024;
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Default)]
struct Content {
    files: BTreeMap<String, Vec<u8>>,
    behaviours: BTreeMap<String, Behaviour>,
}

#[derive(Default)]
struct Shared {
    content: RwLock<Arc<Content>>,
    requests: Mutex<Vec<String>>,
    /// Set when the server is dropped (by its [`Acceptor`]).
    stop: Arc<AtomicBool>,
}

/// The server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _accept: Acceptor,
}

/// The accept thread of a server: hands every connection to a handler until dropped. Dropping
/// it sets `stop` (which the connection handlers also watch), wakes the accept loop with a
/// connection of its own and joins the thread.
pub(crate) struct Acceptor {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Acceptor {
    /// Accepts on `listener` (bound to `addr`), calling `on_connection` for each connection
    /// until `stop` is set.
    pub(crate) fn spawn(
        listener: TcpListener,
        addr: SocketAddr,
        stop: Arc<AtomicBool>,
        on_connection: impl Fn(TcpStream) + Send + 'static,
    ) -> Acceptor {
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    on_connection(stream);
                }
            })
        };
        Acceptor {
            addr,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Server {
    /// Starts serving nothing on a free port of 127.0.0.1.
    ///
    /// # Errors
    /// [`Error::Io`] if no socket can be bound.
    pub fn start() -> Result<Server, Error> {
        let listener =
            TcpListener::bind("127.0.0.1:0").map_err(|e| Error::io("binding 127.0.0.1:0", e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Error::io("local address", e))?;
        let shared = Arc::new(Shared::default());
        let accept = {
            let shared = Arc::clone(&shared);
            Acceptor::spawn(listener, addr, Arc::clone(&shared.stop), move |stream| {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || handle(stream, &shared));
            })
        };
        Ok(Server {
            addr,
            shared,
            _accept: accept,
        })
    }

    /// Serves `files` (by path relative to the server root) with `behaviours` from now on.
    pub fn publish(
        &self,
        files: BTreeMap<String, Vec<u8>>,
        behaviours: BTreeMap<String, Behaviour>,
    ) {
        let content = Arc::new(Content { files, behaviours });
        *self
            .shared
            .content
            .write()
            .unwrap_or_else(PoisonError::into_inner) = content;
    }

    /// `http://127.0.0.1:PORT/` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{path}", self.addr)
    }

    /// The requests so far (paths relative to the root), clearing the record.
    pub fn take_requests(&self) -> Vec<String> {
        std::mem::take(&mut *lock(&self.shared.requests))
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Sets the I/O timeouts of a new connection and reads its request line: the method and,
/// if present, the target. `None` when no request head arrives.
pub(crate) fn read_request_line(stream: &mut TcpStream) -> Option<(String, Option<String>)> {
    let _ = stream.set_read_timeout(Some(IO_TIMEOUT));
    let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
    let head = read_head(stream)?;
    let request_line = head.lines().next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    Some((method, parts.next().map(str::to_owned)))
}

fn handle(mut stream: TcpStream, shared: &Shared) {
    let Some((method, target)) = read_request_line(&mut stream) else {
        return;
    };
    let method = method.as_str();
    let target = target.as_deref();
    if shared.stop.load(Ordering::SeqCst) {
        return;
    }
    let Some(target) = target else {
        respond(&mut stream, "400 Bad Request", None, b"bad request\n");
        return;
    };
    let path = target
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned();
    lock(&shared.requests).push(path.clone());
    if method != "GET" {
        respond(&mut stream, "405 Method Not Allowed", None, b"");
        return;
    }
    let content = Arc::clone(
        &shared
            .content
            .read()
            .unwrap_or_else(PoisonError::into_inner),
    );
    let decoded = percent_decode(&path);
    let key = if content.files.contains_key(&path) || content.behaviours.contains_key(&path) {
        Some(path.clone())
    } else {
        decoded.filter(|d| content.files.contains_key(d) || content.behaviours.contains_key(d))
    };
    let behaviour = key
        .as_ref()
        .and_then(|k| content.behaviours.get(k))
        .copied();
    let body = key.as_ref().and_then(|k| content.files.get(k));
    match (behaviour, body) {
        (Some(Behaviour::NotFound), _) | (None, None) => {
            respond(&mut stream, "404 Not Found", None, b"not found\n");
        }
        (Some(Behaviour::Status(code)), _) => {
            respond(&mut stream, &format!("{code} Error"), None, b"error\n");
        }
        (Some(Behaviour::Drop), _) => {
            let _ = stream.shutdown(Shutdown::Both);
        }
        (Some(Behaviour::Endless), _) => endless(&mut stream, shared, None),
        (Some(Behaviour::EndlessDeclared), _) => {
            endless(&mut stream, shared, Some(ENDLESS_DECLARED_LENGTH));
        }
        (Some(Behaviour::Trickle { bytes_per_second }), body) => {
            trickle(
                &mut stream,
                shared,
                body.map_or(&b"not found\n"[..], Vec::as_slice),
                bytes_per_second,
            );
        }
        (Some(Behaviour::Truncate), body) => {
            let body = body.map_or(&b""[..], Vec::as_slice);
            let declared = body.len() + TRUNCATE_EXTRA;
            respond(&mut stream, "200 OK", Some(declared), body);
        }
        (Some(Behaviour::ShortLength), body) => {
            let body = body.map_or(&b""[..], Vec::as_slice);
            respond(
                &mut stream,
                "200 OK",
                Some(body.len().saturating_sub(SHORT_LENGTH_MISSING)),
                body,
            );
        }
        (Some(Behaviour::Redirect { to }), _) => {
            let head = format!(
                "HTTP/1.1 302 Found\r\nLocation: http://{to}/{path}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.write_all(head.as_bytes());
            finish(&mut stream);
        }
        (None, Some(body)) => respond(&mut stream, "200 OK", Some(body.len()), body),
    }
}

/// The request head (request line and headers), up to the blank line; `None` past 64 KiB.
pub(crate) fn read_head(stream: &mut TcpStream) -> Option<String> {
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
        head.extend_from_slice(buf.get(..n)?);
    }
    String::from_utf8(head).ok()
}

/// Writes the response head (`Connection: close`); whether it was sent.
pub(crate) fn write_head(stream: &mut TcpStream, status: &str, length: Option<usize>) -> bool {
    let length = length.map_or(String::new(), |l| format!("Content-Length: {l}\r\n"));
    let head = format!(
        "HTTP/1.1 {status}\r\n{length}Content-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).is_ok()
}

fn respond(stream: &mut TcpStream, status: &str, length: Option<usize>, body: &[u8]) {
    let length = length.or(Some(body.len()));
    if write_head(stream, status, length) {
        let _ = stream.write_all(body);
    }
    finish(stream);
}

/// Flushes and half-closes the connection, then drains what the client still sends (at
/// most a second) so that closing does not reset it.
pub(crate) fn finish(stream: &mut TcpStream) {
    let _ = stream.flush();
    let _ = stream.shutdown(Shutdown::Write);
    // Let the client read everything before the socket closes (an early close with unread
    // input could reset the connection).
    let mut rest = [0u8; 1024];
    let _ = stream.set_read_timeout(Some(Duration::from_millis(200)));
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline && matches!(stream.read(&mut rest), Ok(n) if n > 0) {}
}

fn endless(stream: &mut TcpStream, shared: &Shared, declared: Option<u64>) {
    let length = declared.and_then(|d| usize::try_from(d).ok());
    if !write_head(stream, "200 OK", length) {
        return;
    }
    let chunk = vec![b' '; 64 * 1024];
    let started = Instant::now();
    let mut sent = 0u64;
    while sent < ENDLESS_LIMIT
        && started.elapsed() < RESPONSE_LIMIT
        && !shared.stop.load(Ordering::SeqCst)
    {
        if stream.write_all(&chunk).is_err() {
            return;
        }
        sent += chunk.len() as u64;
    }
    let _ = stream.shutdown(Shutdown::Both);
}

fn trickle(stream: &mut TcpStream, shared: &Shared, body: &[u8], bytes_per_second: u32) {
    if !write_head(stream, "200 OK", Some(body.len())) {
        return;
    }
    // A hundredth of a second's worth at a time (one byte at a time below 100 bytes a
    // second), then a pause as long as sending it should take.
    let rate = bytes_per_second.max(1);
    let chunk = (rate / 100).max(1);
    let pause = Duration::from_secs(1) * chunk / rate;
    let started = Instant::now();
    for piece in body.chunks(chunk as usize) {
        if shared.stop.load(Ordering::SeqCst) || started.elapsed() > RESPONSE_LIMIT {
            let _ = stream.shutdown(Shutdown::Both);
            return;
        }
        if stream.write_all(piece).is_err() || stream.flush().is_err() {
            return;
        }
        std::thread::sleep(pause);
    }
    finish(stream);
}

/// Decodes `%XX` escapes; `None` if an escape is malformed or the result is not UTF-8.
pub(crate) fn percent_decode(segment: &str) -> Option<String> {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(server: &Server, path: &str) -> Vec<u8> {
        let mut stream = TcpStream::connect(server.addr).unwrap();
        write!(stream, "GET /{path} HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        response
    }

    #[test]
    fn serves_behaves_and_records() {
        let server = Server::start().unwrap();
        let files = BTreeMap::from([
            ("a/b.json".to_owned(), b"hello".to_vec()),
            ("gone".to_owned(), b"x".to_vec()),
        ]);
        let behaviours = BTreeMap::from([("gone".to_owned(), Behaviour::Drop)]);
        server.publish(files, behaviours);
        let ok = get(&server, "a/b.json");
        assert!(ok.starts_with(b"HTTP/1.1 200 OK\r\n"));
        assert!(ok.ends_with(b"\r\n\r\nhello"));
        assert!(get(&server, "a%2Fb.json").starts_with(b"HTTP/1.1 200 OK"));
        assert!(get(&server, "missing").starts_with(b"HTTP/1.1 404"));
        assert!(get(&server, "gone").is_empty());
        assert_eq!(
            server.take_requests(),
            ["a/b.json", "a%2Fb.json", "missing", "gone"]
        );
    }
}
