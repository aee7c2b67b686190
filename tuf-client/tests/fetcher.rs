//! The fetchers against real (tiny, hand-written) HTTP servers on 127.0.0.1 and local files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use tuf_client::fetcher::{
    DefaultFetcher, FetchError, Fetcher, FileFetcher, HttpConfig, HttpFetcher,
};

/// No server lives longer than this, whatever the client does.
const SERVER_LIFETIME: Duration = Duration::from_secs(8);

/// A one-thread HTTP server that accepts at most `max_conns` connections, one at a time, and
/// stops by itself (deadline) or when finished.
struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<usize>>,
}

/// What a connection handler gets: the connection's index, the stream and the stop flag.
type Handler = dyn Fn(usize, TcpStream, &AtomicBool) + Send + 'static;

impl Server {
    fn start(max_conns: usize, handler: Box<Handler>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = thread::spawn(move || {
            let deadline = Instant::now() + SERVER_LIFETIME;
            let mut count = 0;
            while count < max_conns && !flag.load(Ordering::SeqCst) && Instant::now() < deadline {
                match listener.accept() {
                    Ok((stream, _)) => {
                        stream.set_nonblocking(false).unwrap();
                        stream
                            .set_read_timeout(Some(Duration::from_secs(2)))
                            .unwrap();
                        stream
                            .set_write_timeout(Some(Duration::from_secs(2)))
                            .unwrap();
                        handler(count, stream, &flag);
                        count += 1;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        thread::sleep(Duration::from_millis(5));
                    }
                    Err(e) => panic!("accept: {e}"),
                }
            }
            count
        });
        Self {
            addr,
            stop,
            handle: Some(handle),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stops the server; returns how many connections it handled.
    fn finish(mut self) -> usize {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.take().unwrap().join().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Reads the request head (up to the blank line).
fn read_request(stream: &mut TcpStream) -> String {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&head).into_owned()
}

fn respond(stream: &mut TcpStream, status: &str, extra_headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
    let _ = stream.flush();
}

/// A server answering every connection with the same status and body.
fn fixed(max_conns: usize, status: &'static str, body: &'static [u8]) -> Server {
    Server::start(
        max_conns,
        Box::new(move |_, mut stream, _| {
            read_request(&mut stream);
            respond(&mut stream, status, "", body);
        }),
    )
}

fn config() -> HttpConfig {
    HttpConfig {
        connect_timeout: Duration::from_secs(2),
        read_timeout: Duration::from_secs(2),
        ..HttpConfig::default()
    }
}

fn http() -> HttpFetcher {
    HttpFetcher::new(config()).unwrap()
}

#[test]
fn default_config() {
    let config = HttpConfig::default();
    assert_eq!(config.connect_timeout, Duration::from_secs(10));
    assert_eq!(config.read_timeout, Duration::from_secs(10));
    assert_eq!(config.min_bytes_per_second, 1024);
    assert_eq!(config.slow_retrieval_grace, Duration::from_secs(5));
    assert_eq!(config.retries, 2);
    assert!(config.user_agent.starts_with("tuf-client/"));
}

#[test]
fn invalid_user_agent_is_refused() {
    let config = HttpConfig {
        user_agent: "bad\nagent".to_owned(),
        ..HttpConfig::default()
    };
    assert!(matches!(
        HttpFetcher::new(config),
        Err(FetchError::InvalidUrl { .. })
    ));
}

#[test]
fn ok_200_returns_the_body() {
    let (tx, rx) = mpsc::channel();
    let server = Server::start(
        1,
        Box::new(move |_, mut stream, _| {
            tx.send(read_request(&mut stream)).unwrap();
            respond(
                &mut stream,
                "200 OK",
                "Content-Type: text/plain\r\n",
                b"hello\xfftuf",
            );
        }),
    );
    let body = http()
        .fetch(&server.url("/metadata/1.root.json"), 100)
        .unwrap();
    assert_eq!(body, b"hello\xfftuf");
    let request = rx.recv().unwrap();
    assert!(
        request.starts_with("GET /metadata/1.root.json HTTP/1.1\r\n"),
        "{request}"
    );
    let lower = request.to_ascii_lowercase();
    assert!(lower.contains("user-agent: tuf-client/"), "{request}");
    assert!(!lower.contains("accept-encoding"), "{request}");
    assert_eq!(server.finish(), 1);
}

#[test]
fn fetch_into_streams_to_the_sink() {
    let server = fixed(1, "200 OK", b"0123456789");
    let mut sink = Vec::new();
    let n = http().fetch_into(&server.url("/x"), 10, &mut sink).unwrap();
    assert_eq!(n, 10);
    assert_eq!(sink, b"0123456789");
}

#[test]
fn invalid_url_characters_are_percent_encoded() {
    let (tx, rx) = mpsc::channel();
    let server = Server::start(
        1,
        Box::new(move |_, mut stream, _| {
            tx.send(read_request(&mut stream)).unwrap();
            respond(&mut stream, "200 OK", "", b"ok");
        }),
    );
    http()
        .fetch(&server.url("/targets/a b/ü%41.txt"), 10)
        .unwrap();
    let request = rx.recv().unwrap();
    assert!(
        request.starts_with("GET /targets/a%20b/%C3%BC%41.txt HTTP/1.1\r\n"),
        "{request}"
    );
}

#[test]
fn body_of_exactly_max_length_is_accepted() {
    let server = fixed(2, "200 OK", b"0123456789");
    assert_eq!(http().fetch(&server.url("/x"), 10).unwrap().len(), 10);
    // Content-Length over the cap is refused before reading.
    assert!(matches!(
        http().fetch(&server.url("/x"), 9),
        Err(FetchError::TooLarge { max_length: 9, .. })
    ));
}

#[test]
fn not_found_404_and_403() {
    for status in ["404 Not Found", "403 Forbidden"] {
        let server = fixed(3, status, b"nope");
        let url = server.url("/2.root.json");
        match http().fetch(&url, 100) {
            Err(FetchError::NotFound { url: u }) => assert_eq!(u, url),
            other => panic!("{status}: {other:?}"),
        }
        assert_eq!(server.finish(), 1, "{status} must not be retried");
    }
}

#[test]
fn status_500_is_a_status_error_and_not_retried() {
    let server = fixed(3, "500 Internal Server Error", b"oops");
    assert!(matches!(
        http().fetch(&server.url("/timestamp.json"), 100),
        Err(FetchError::Status { status: 500, .. })
    ));
    assert_eq!(server.finish(), 1);
}

#[test]
fn redirect_302_is_not_followed() {
    let server = Server::start(
        2,
        Box::new(|i, mut stream, _| {
            read_request(&mut stream);
            if i == 0 {
                let port = stream.local_addr().unwrap().port();
                let location = format!("Location: http://127.0.0.1:{port}/elsewhere\r\n");
                respond(&mut stream, "302 Found", &location, b"");
            } else {
                respond(&mut stream, "200 OK", "", b"escaped");
            }
        }),
    );
    assert!(matches!(
        http().fetch(&server.url("/timestamp.json"), 100),
        Err(FetchError::Status { status: 302, .. })
    ));
    assert_eq!(server.finish(), 1);
}

#[test]
fn endless_body_is_cut_off_at_the_cap() {
    let server = Server::start(
        1,
        Box::new(|_, mut stream, stop| {
            read_request(&mut stream);
            // No Content-Length: the body ends when the connection closes, i.e. never.
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
            let chunk = [b'x'; 16 * 1024];
            let deadline = Instant::now() + Duration::from_secs(5);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                if stream.write_all(&chunk).is_err() {
                    break;
                }
            }
        }),
    );
    let mut sink = Vec::new();
    let result = http().fetch_into(&server.url("/endless"), 100_000, &mut sink);
    assert!(
        matches!(
            result,
            Err(FetchError::TooLarge {
                max_length: 100_000,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(sink.len() <= 100_000);
}

#[test]
fn content_length_over_the_cap_is_refused_before_reading() {
    let server = Server::start(
        1,
        Box::new(|_, mut stream, _| {
            read_request(&mut stream);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\nConnection: close\r\n\r\nxx",
            );
        }),
    );
    let mut sink = Vec::new();
    let result = http().fetch_into(&server.url("/big"), 1000, &mut sink);
    assert!(
        matches!(
            result,
            Err(FetchError::TooLarge {
                max_length: 1000,
                ..
            })
        ),
        "{result:?}"
    );
    assert!(sink.is_empty());
}

#[test]
fn trickling_server_is_a_slow_retrieval() {
    let server = Server::start(
        1,
        Box::new(|_, mut stream, stop| {
            read_request(&mut stream);
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n");
            for _ in 0..40 {
                if stop.load(Ordering::SeqCst) || stream.write_all(b"x").is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(200));
            }
        }),
    );
    let fetcher = HttpFetcher::new(HttpConfig {
        min_bytes_per_second: 100,
        slow_retrieval_grace: Duration::from_millis(500),
        ..config()
    })
    .unwrap();
    let result = fetcher.fetch(&server.url("/slow"), 10_000);
    assert!(
        matches!(
            result,
            Err(FetchError::SlowRetrieval {
                min_bytes_per_second: 100,
                ..
            })
        ),
        "{result:?}"
    );
}

#[test]
fn silent_server_times_out() {
    let server = Server::start(
        1,
        Box::new(|_, mut stream, stop| {
            read_request(&mut stream);
            let deadline = Instant::now() + Duration::from_secs(3);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(10));
            }
        }),
    );
    let fetcher = HttpFetcher::new(HttpConfig {
        read_timeout: Duration::from_millis(300),
        retries: 0,
        ..config()
    })
    .unwrap();
    let result = fetcher.fetch(&server.url("/timestamp.json"), 100);
    assert!(
        matches!(result, Err(FetchError::Timeout { .. })),
        "{result:?}"
    );
}

#[test]
fn trickled_headers_time_out() {
    let server = Server::start(
        1,
        Box::new(|_, mut stream, stop| {
            read_request(&mut stream);
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\n");
            for _ in 0..30 {
                if stop.load(Ordering::SeqCst) || stream.write_all(b"X").is_err() {
                    break;
                }
                thread::sleep(Duration::from_millis(100));
            }
        }),
    );
    let fetcher = HttpFetcher::new(HttpConfig {
        read_timeout: Duration::from_millis(500),
        retries: 0,
        ..config()
    })
    .unwrap();
    let result = fetcher.fetch(&server.url("/timestamp.json"), 100);
    assert!(
        matches!(result, Err(FetchError::Timeout { .. })),
        "{result:?}"
    );
}

#[test]
fn connection_dropped_mid_body_is_a_connection_error() {
    let server = Server::start(
        3,
        Box::new(|_, mut stream, _| {
            read_request(&mut stream);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n0123456789",
            );
            let _ = stream.flush();
        }),
    );
    let result = http().fetch(&server.url("/targets.json"), 1000);
    match result {
        Err(FetchError::Connection { reason, .. }) => assert!(reason.contains("body cut short")),
        other => panic!("{other:?}"),
    }
    // Body bytes had reached the sink: no retry.
    assert_eq!(server.finish(), 1);
}

#[test]
fn connection_closed_without_response_is_a_connection_error() {
    let server = Server::start(
        1,
        Box::new(|_, mut stream, _| {
            read_request(&mut stream);
        }),
    );
    let fetcher = HttpFetcher::new(HttpConfig {
        retries: 0,
        ..config()
    })
    .unwrap();
    let result = fetcher.fetch(&server.url("/timestamp.json"), 100);
    assert!(
        matches!(result, Err(FetchError::Connection { .. })),
        "{result:?}"
    );
}

#[test]
fn closed_connections_are_retried_then_fail() {
    let server = Server::start(
        10,
        Box::new(|_, mut stream, _| {
            read_request(&mut stream);
        }),
    );
    let result = http().fetch(&server.url("/timestamp.json"), 100);
    assert!(
        matches!(result, Err(FetchError::Connection { .. })),
        "{result:?}"
    );
    // One attempt and the default two retries.
    assert_eq!(server.finish(), 3);
}

#[test]
fn retry_after_a_dropped_connection_succeeds() {
    let server = Server::start(
        2,
        Box::new(|i, mut stream, _| {
            read_request(&mut stream);
            if i == 1 {
                respond(&mut stream, "200 OK", "", b"second time lucky");
            }
        }),
    );
    let body = http().fetch(&server.url("/snapshot.json"), 100).unwrap();
    assert_eq!(body, b"second time lucky");
    assert_eq!(server.finish(), 2);
}

#[test]
fn https_to_a_plaintext_server_is_a_connection_error() {
    let server = Server::start(
        3,
        Box::new(|_, mut stream, _| {
            // Answer the TLS ClientHello with plain HTTP.
            respond(&mut stream, "200 OK", "", b"not tls");
        }),
    );
    let url = server.url("/root.json").replacen("http://", "https://", 1);
    let result = http().fetch(&url, 100);
    assert!(
        matches!(result, Err(FetchError::Connection { .. })),
        "{result:?}"
    );
}

#[test]
fn refused_connection_is_a_connection_error() {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let result = http().fetch(&format!("http://127.0.0.1:{port}/root.json"), 100);
    assert!(
        matches!(result, Err(FetchError::Connection { .. })),
        "{result:?}"
    );
}

/// `file://` URL of a local path, percent-encoding what must be.
fn file_url(path: &std::path::Path) -> String {
    let mut url = String::from("file://");
    for &b in path.to_str().unwrap().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            url.push(char::from(b));
        } else {
            url.push_str(&format!("%{b:02X}"));
        }
    }
    url
}

#[test]
fn file_urls() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a file ü.json");
    std::fs::write(&path, b"{\"signed\":{}}").unwrap();
    let url = file_url(&path);
    assert!(url.contains("%20"));

    assert_eq!(FileFetcher.fetch(&url, 100).unwrap(), b"{\"signed\":{}}");
    assert_eq!(FileFetcher.fetch(&url, 13).unwrap().len(), 13);
    assert!(matches!(
        FileFetcher.fetch(&url, 12),
        Err(FetchError::TooLarge { max_length: 12, .. })
    ));
    let localhost = url.replacen("file://", "file://localhost", 1);
    assert_eq!(FileFetcher.fetch(&localhost, 100).unwrap().len(), 13);

    let missing = file_url(&dir.path().join("missing.json"));
    assert!(matches!(
        FileFetcher.fetch(&missing, 100),
        Err(FetchError::NotFound { .. })
    ));
    assert!(matches!(
        FileFetcher.fetch("file://example.com/etc/hosts", 100),
        Err(FetchError::InvalidUrl { .. })
    ));
    assert!(matches!(
        FileFetcher.fetch(&format!("{url}%zz"), 100),
        Err(FetchError::InvalidUrl { .. })
    ));
    assert!(matches!(
        FileFetcher.fetch(&file_url(dir.path()), 100),
        Err(FetchError::Io { .. })
    ));
}

#[test]
fn unsupported_schemes_and_invalid_urls() {
    let fetcher = DefaultFetcher::new(config()).unwrap();
    assert!(matches!(
        fetcher.fetch("ftp://example.com/root.json", 100),
        Err(FetchError::UnsupportedScheme { .. })
    ));
    assert!(matches!(
        fetcher.fetch("no scheme here", 100),
        Err(FetchError::InvalidUrl { .. })
    ));
    assert!(matches!(
        http().fetch("file:///etc/hosts", 100),
        Err(FetchError::UnsupportedScheme { .. })
    ));
    assert!(matches!(
        FileFetcher.fetch("http://127.0.0.1/x", 100),
        Err(FetchError::UnsupportedScheme { .. })
    ));
    assert!(matches!(
        http().fetch("http:///no-host", 100),
        Err(FetchError::InvalidUrl { .. })
    ));
}

#[test]
fn default_fetcher_dispatches_on_the_scheme() {
    let fetcher = DefaultFetcher::new(config()).unwrap();
    let server = fixed(1, "200 OK", b"over http");
    assert_eq!(fetcher.fetch(&server.url("/a"), 100).unwrap(), b"over http");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, b"from a file").unwrap();
    assert_eq!(
        fetcher.fetch(&file_url(&path), 100).unwrap(),
        b"from a file"
    );

    // Usable as a trait object.
    let dynamic: &dyn Fetcher = &fetcher;
    assert_eq!(dynamic.fetch(&file_url(&path), 100).unwrap().len(), 11);
}

const PROXY_CHILD: &str = "TUF_CLIENT_TEST_PROXY_CHILD";

/// The child side of `proxies_come_from_the_environment_except_for_loopback`: runs with
/// `HTTP_PROXY` set; does nothing in a normal run.
#[test]
fn proxy_child_process() {
    let Ok(origin) = std::env::var(PROXY_CHILD) else {
        return;
    };
    let fetcher = HttpFetcher::new(config()).unwrap();
    assert_eq!(fetcher.fetch(&origin, 100).unwrap(), b"direct");
    assert_eq!(
        fetcher
            .fetch("http://tuf-test.invalid/metadata/timestamp.json", 100)
            .unwrap(),
        b"via proxy"
    );
}

#[test]
fn proxies_come_from_the_environment_except_for_loopback() {
    let origin = fixed(1, "200 OK", b"direct");
    let (tx, rx) = mpsc::channel();
    let proxy = Server::start(
        1,
        Box::new(move |_, mut stream, _| {
            let mut head = read_request(&mut stream);
            if head.starts_with("CONNECT ") {
                tx.send(head).unwrap();
                let _ = stream.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
                head = read_request(&mut stream);
            }
            tx.send(head).unwrap();
            respond(&mut stream, "200 OK", "", b"via proxy");
        }),
    );
    let proxy_url = format!("http://{}", proxy.addr);
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "proxy_child_process", "--test-threads=1"])
        .env(PROXY_CHILD, origin.url("/metadata/root.json"))
        .env("HTTP_PROXY", &proxy_url)
        .env("HTTPS_PROXY", &proxy_url)
        .env_remove("ALL_PROXY")
        .env_remove("all_proxy")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(origin.finish(), 1);
    assert_eq!(proxy.finish(), 1);
    let heads: Vec<String> = rx.try_iter().collect();
    assert!(
        heads.iter().any(|h| h.contains("tuf-test.invalid")),
        "{heads:?}"
    );
}
