//! How bytes are fetched: HTTP(S) over rustls, `file://` URLs, always with a length cap.
//!
//! Everything the client downloads is untrusted until verified, so a [`Fetcher`] defends only
//! against the attacks that happen before verification can start (spec 1.5.2):
//!
//! - **Endless data**: every fetch takes a `max_length` and stops reading at `max_length + 1`
//!   bytes with [`FetchError::TooLarge`]; a `Content-Length` above the cap fails before any
//!   body byte is read.
//! - **Slow retrieval**: each read has a timeout, and after a grace period the average rate of
//!   the body must stay above a floor ([`HttpConfig::min_bytes_per_second`]), or the fetch
//!   fails with [`FetchError::SlowRetrieval`]. A server trickling one byte per read timeout
//!   cannot hold the client forever.
//! - **Mirror escape**: HTTP redirects are never followed: a 3xx is a
//!   [`FetchError::Status`]. A redirect could send the client to a host it was never told to
//!   trust as a mirror (and the request rules of the client contract name every URL exactly).
//! - **Truncation**: a body shorter than its `Content-Length`, or a connection dropped
//!   mid-body, is a [`FetchError::Connection`], never a silently short body.
//!
//! Bodies are passed through byte for byte: no `Accept-Encoding` is sent and no
//! `Content-Encoding` is undone (ureq is built without gzip/brotli/charset), because metadata
//! and targets are hashed exactly as served.

use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// HTTP 404 or 403, or a `file://` path that does not exist. Python-tuf treats 403 and 404
    /// alike (e.g. as the end of the root chain), and so do we.
    #[error("{url}: not found")]
    NotFound {
        /// The URL requested.
        url: String,
    },
    /// Any other non-2xx HTTP status, including every 3xx (redirects are not followed).
    #[error("{url}: HTTP status {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status code received.
        status: u16,
    },
    /// The body is longer than the cap (endless data attack, spec 1.5.2), announced by
    /// `Content-Length` or found while reading.
    #[error("{url}: response exceeds the maximum length of {max_length} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The cap that was exceeded.
        max_length: u64,
    },
    /// After the grace period, the body arrived slower on average than the configured floor
    /// (slow retrieval attack).
    #[error("{url}: download slower than {min_bytes_per_second} bytes per second")]
    SlowRetrieval {
        /// The URL requested.
        url: String,
        /// The floor that was not met.
        min_bytes_per_second: u64,
    },
    /// A connect or read timeout expired.
    #[error("{url}: timed out")]
    Timeout {
        /// The URL requested.
        url: String,
    },
    /// The connection was refused, reset or dropped (with or without a partial response),
    /// the host could not be resolved, the response was not valid HTTP, or TLS failed.
    #[error("{url}: connection failed: {reason}")]
    Connection {
        /// The URL requested.
        url: String,
        /// What went wrong, for humans.
        reason: String,
    },
    /// The URL's scheme is not one this fetcher handles.
    #[error("{url}: unsupported URL scheme")]
    UnsupportedScheme {
        /// The URL requested.
        url: String,
    },
    /// The URL could not be parsed (or the fetcher's configuration is unusable; `url` is then
    /// empty).
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL requested.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A local I/O error: reading a `file://` URL or writing to the sink.
    #[error("{url}: I/O error: {reason}")]
    Io {
        /// The URL requested.
        url: String,
        /// What went wrong, for humans.
        reason: String,
    },
}

impl FetchError {
    /// Whether a fresh attempt might succeed: connection failures and timeouts only. Never a
    /// status (4xx or 5xx), a cap, a slow retrieval or a local error.
    fn is_transient(&self) -> bool {
        matches!(self, Self::Connection { .. } | Self::Timeout { .. })
    }
}

/// How much room to reserve for a body of at most `max_length` bytes: up to the cap at once
/// (bounded), so the body never moves while it grows; large reservations are mapped lazily,
/// so unused room costs no memory.
pub(crate) fn reservation(max_length: u64) -> usize {
    const MAX_RESERVE: u64 = 256 << 20;
    usize::try_from(max_length.saturating_add(1).min(MAX_RESERVE)).unwrap_or(0)
}

/// A source of bytes for URLs.
pub trait Fetcher: Send + Sync {
    /// Streams the body of `url` into `sink`, refusing more than `max_length` bytes. Returns the
    /// number of bytes written.
    ///
    /// On error, some bytes may already have been written to `sink`: callers must discard them.
    fn fetch_into(
        &self,
        url: &str,
        max_length: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, FetchError>;

    /// The whole body of `url` in memory, at most `max_length` bytes.
    fn fetch(&self, url: &str, max_length: u64) -> Result<Vec<u8>, FetchError> {
        let mut body = Vec::with_capacity(reservation(max_length));
        self.fetch_into(url, max_length, &mut body)?;
        Ok(body)
    }
}

/// Settings of [`HttpFetcher`].
///
/// A zero `connect_timeout` or `read_timeout` disables that timeout; a zero
/// `min_bytes_per_second` disables the slow-retrieval guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Budget for establishing a connection (DNS of a proxy, TCP, TLS handshake). Default 10 s.
    pub connect_timeout: Duration,
    /// Budget for each single read from the network, headers and body alike; it restarts with
    /// every read. The response headers must also arrive within it in all (a server trickling
    /// its headers is cut off too). Default 10 s.
    pub read_timeout: Duration,
    /// The slowest average body rate accepted once `slow_retrieval_grace` has passed since the
    /// response headers arrived. Default 1024 bytes per second: far below any working link
    /// (legacy python-tuf used 8 KiB/s after 30 s), yet a server trickling a byte per read
    /// timeout is cut off within seconds instead of hours.
    pub min_bytes_per_second: u64,
    /// How long a body may take before its average rate is checked (TCP slow start, a busy
    /// server). Downloads that finish within it are never checked. Default 5 s.
    pub slow_retrieval_grace: Duration,
    /// How many times a request is tried again after a connection error or a timeout that
    /// happened before any body byte was passed on. Retries are immediate; statuses (4xx, 5xx)
    /// are never retried. Default 2 (three attempts in all).
    pub retries: u32,
    /// The `User-Agent` header. Default `tuf-client/<crate version>`.
    pub user_agent: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(10),
            min_bytes_per_second: 1024,
            slow_retrieval_grace: Duration::from_secs(5),
            retries: 2,
            user_agent: concat!("tuf-client/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// Fetches `http://` and `https://` URLs with ureq over rustls (ring, Mozilla's root
/// certificates from webpki-roots).
///
/// Proxies come from the environment (`ALL_PROXY`, `HTTPS_PROXY`, `HTTP_PROXY`, lower-case
/// variants, `NO_PROXY`), except that loopback hosts (`localhost`, `127.0.0.0/8`, `::1`) are
/// always reached directly, as Go's `net/http` does. Redirects are not followed.
///
/// Characters that may not appear in a URL (space, `"`, `<`, `>`, `\`, `^`, `` ` ``, `{`,
/// `|`, `}`, `[` and `]` in the path, control characters and non-ASCII) are percent-encoded
/// before sending, as urllib3 does for python-tuf; everything else, `%` included, is sent as
/// given. A fragment (`#...`) is never sent.
#[derive(Debug)]
pub struct HttpFetcher {
    agent: ureq::Agent,
    config: HttpConfig,
}

fn non_zero(duration: Duration) -> Option<Duration> {
    (!duration.is_zero()).then_some(duration)
}

impl HttpFetcher {
    /// A fetcher with these settings.
    ///
    /// # Errors
    /// [`FetchError::InvalidUrl`] (with an empty `url`) if `config.user_agent` is not a valid
    /// HTTP header value.
    pub fn new(config: HttpConfig) -> Result<Self, FetchError> {
        if let Err(e) = ureq::http::HeaderValue::from_str(&config.user_agent) {
            return Err(FetchError::InvalidUrl {
                url: String::new(),
                reason: format!("invalid User-Agent {:?}: {e}", config.user_agent),
            });
        }
        let agent_config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(config.user_agent.as_str())
            .accept_encoding("")
            .timeout_connect(non_zero(config.connect_timeout))
            .timeout_per_read(non_zero(config.read_timeout))
            .timeout_recv_response(non_zero(config.read_timeout))
            .build();
        Ok(Self {
            agent: ureq::Agent::new_with_config(agent_config),
            config,
        })
    }

    /// The settings in use.
    pub fn config(&self) -> &HttpConfig {
        &self.config
    }

    /// One request, streaming the body into `sink`; `written` counts what reached it.
    fn attempt(
        &self,
        target: &HttpTarget,
        url: &str,
        max_length: u64,
        sink: &mut dyn Write,
        written: &mut u64,
    ) -> Result<(), FetchError> {
        let mut request = self.agent.get(target.uri.clone());
        if target.loopback {
            request = request.config().proxy(None).build();
        }
        let response = request.call().map_err(|e| classify(url, e))?;
        let status = response.status().as_u16();
        match status {
            200..=299 => {}
            403 | 404 => {
                return Err(FetchError::NotFound {
                    url: url.to_owned(),
                });
            }
            _ => {
                return Err(FetchError::Status {
                    url: url.to_owned(),
                    status,
                });
            }
        }
        let body = response.into_body();
        if body.content_length().is_some_and(|len| len > max_length) {
            return Err(FetchError::TooLarge {
                url: url.to_owned(),
                max_length,
            });
        }
        let reader = body.into_with_config().lossy_utf8(false).reader();
        let guard = RateGuard {
            start: Instant::now(),
            grace: self.config.slow_retrieval_grace,
            min_bytes_per_second: self.config.min_bytes_per_second,
        };
        copy_capped(
            reader,
            url,
            max_length,
            sink,
            written,
            Some(guard),
            |e| match classify(url, ureq::Error::from(e)) {
                FetchError::Connection { url, reason } => FetchError::Connection {
                    url,
                    reason: format!("body cut short: {reason}"),
                },
                other => other,
            },
        )
    }
}

impl Fetcher for HttpFetcher {
    fn fetch_into(
        &self,
        url: &str,
        max_length: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, FetchError> {
        let target = HttpTarget::parse(url)?;
        let mut retries_left = self.config.retries;
        loop {
            let mut written = 0;
            match self.attempt(&target, url, max_length, sink, &mut written) {
                Ok(()) => return Ok(written),
                Err(e) if e.is_transient() && written == 0 && retries_left > 0 => {
                    retries_left -= 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// A parsed `http(s)://` URL ready for ureq.
struct HttpTarget {
    uri: ureq::http::Uri,
    loopback: bool,
}

impl HttpTarget {
    fn parse(url: &str) -> Result<Self, FetchError> {
        let invalid = |reason: String| FetchError::InvalidUrl {
            url: url.to_owned(),
            reason,
        };
        let scheme = scheme_of(url)?;
        if !(scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https")) {
            return Err(FetchError::UnsupportedScheme {
                url: url.to_owned(),
            });
        }
        let uri: ureq::http::Uri = encode_invalid_chars(url)
            .parse()
            .map_err(|e| invalid(format!("{e}")))?;
        let host = match uri.host() {
            Some(host) if !host.is_empty() => host,
            _ => return Err(invalid("no host".to_owned())),
        };
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let loopback = bare.eq_ignore_ascii_case("localhost")
            || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
        Ok(Self { uri, loopback })
    }
}

/// The scheme of `url` (before the first `:`), or `InvalidUrl` if it has none.
fn scheme_of(url: &str) -> Result<&str, FetchError> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some(s)
            if s.starts_with(|c: char| c.is_ascii_alphabetic())
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) =>
        {
            Ok(s)
        }
        _ => Err(FetchError::InvalidUrl {
            url: url.to_owned(),
            reason: "no scheme".to_owned(),
        }),
    }
}

/// Percent-encodes the bytes that may not appear in the path or query of a URL, and drops the
/// fragment. The scheme and authority are left alone (the URI parser judges them).
fn encode_invalid_chars(url: &str) -> String {
    let (head, rest) = match url.split_once("://") {
        Some((scheme, after)) => {
            let authority_end = after.find(['/', '?', '#']).unwrap_or(after.len());
            let (authority, rest) = after.split_at(authority_end);
            (format!("{scheme}://{authority}"), rest)
        }
        None => (String::new(), url),
    };
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let mut out = head;
    for &b in rest.as_bytes() {
        let allowed = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b':'
                    | b'@'
                    | b'/'
                    | b'?'
                    | b'%'
            );
        if allowed {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Maps a ureq error to ours.
fn classify(url: &str, error: ureq::Error) -> FetchError {
    let url = url.to_owned();
    let connection = |url: String, reason: String| FetchError::Connection { url, reason };
    match error {
        ureq::Error::Timeout(_) => FetchError::Timeout { url },
        ureq::Error::Io(e) => match e.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => FetchError::Timeout { url },
            _ => connection(url, e.to_string()),
        },
        ureq::Error::BadUri(reason) => FetchError::InvalidUrl { url, reason },
        ureq::Error::Http(e) => FetchError::InvalidUrl {
            url,
            reason: e.to_string(),
        },
        ureq::Error::StatusCode(status) => FetchError::Status { url, status },
        ureq::Error::HostNotFound => connection(url, "host not found".to_owned()),
        other => connection(url, other.to_string()),
    }
}

/// The slow-retrieval guard: the average body rate since `start` must not fall below
/// `min_bytes_per_second` once `grace` has passed.
struct RateGuard {
    start: Instant,
    grace: Duration,
    min_bytes_per_second: u64,
}

impl RateGuard {
    fn too_slow(&self, bytes: u64) -> bool {
        if self.min_bytes_per_second == 0 {
            return false;
        }
        let elapsed = self.start.elapsed();
        if elapsed <= self.grace {
            return false;
        }
        // bytes / elapsed < min  <=>  bytes * 1000 < min * elapsed_ms (no float, no overflow)
        let elapsed_ms = elapsed.as_millis();
        u128::from(bytes) * 1000 < u128::from(self.min_bytes_per_second) * elapsed_ms
    }
}

/// Copies `reader` into `sink`, failing once more than `max_length` bytes arrive (reading at
/// most `max_length + 1`). `written` counts the bytes passed to the sink.
fn copy_capped<R: Read>(
    mut reader: R,
    url: &str,
    max_length: u64,
    sink: &mut dyn Write,
    written: &mut u64,
    guard: Option<RateGuard>,
    read_error: impl Fn(io::Error) -> FetchError,
) -> Result<(), FetchError> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        // Ask for one byte more than the cap allows, so an over-long body is noticed without
        // reading (much) more of it.
        let room = max_length.saturating_add(1).saturating_sub(*written);
        let want = usize::try_from(room).map_or(buf.len(), |room| room.min(buf.len()));
        let Some(chunk) = buf.get_mut(..want) else {
            return Err(FetchError::Io {
                url: url.to_owned(),
                reason: "internal buffer error".to_owned(),
            });
        };
        let n = match reader.read(chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        };
        let received = written.saturating_add(n as u64);
        if received > max_length {
            return Err(FetchError::TooLarge {
                url: url.to_owned(),
                max_length,
            });
        }
        let data = chunk.get(..n).unwrap_or_default();
        sink.write_all(data).map_err(|e| FetchError::Io {
            url: url.to_owned(),
            reason: format!("writing the body: {e}"),
        })?;
        *written = received;
        if let Some(guard) = &guard {
            if guard.too_slow(received) {
                return Err(FetchError::SlowRetrieval {
                    url: url.to_owned(),
                    min_bytes_per_second: guard.min_bytes_per_second,
                });
            }
        }
    }
}

/// Fetches `file://` URLs: `file:///absolute/path` or `file://localhost/absolute/path`, the
/// path percent-decoded. Same length cap as HTTP; a missing file is [`FetchError::NotFound`].
#[derive(Debug, Clone, Copy, Default)]
pub struct FileFetcher;

impl FileFetcher {
    fn path_of(url: &str) -> Result<PathBuf, FetchError> {
        let invalid = |reason: &str| FetchError::InvalidUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let scheme = scheme_of(url)?;
        if !scheme.eq_ignore_ascii_case("file") {
            return Err(FetchError::UnsupportedScheme {
                url: url.to_owned(),
            });
        }
        let after = url.get(scheme.len() + 3..).unwrap_or_default();
        let (host, path) = after.find('/').map_or((after, ""), |i| after.split_at(i));
        if !(host.is_empty() || host.eq_ignore_ascii_case("localhost")) {
            return Err(invalid("file URLs must name a local path (no host)"));
        }
        if path.is_empty() {
            return Err(invalid("no path"));
        }
        let bytes = percent_decode(path).ok_or_else(|| invalid("bad percent-encoding"))?;
        path_from_bytes(bytes).ok_or_else(|| invalid("path is not valid on this platform"))
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStringExt;
    if bytes.contains(&0) {
        return None;
    }
    Some(PathBuf::from(std::ffi::OsString::from_vec(bytes)))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: Vec<u8>) -> Option<PathBuf> {
    let s = String::from_utf8(bytes).ok()?;
    if s.contains('\0') {
        return None;
    }
    // `file:///C:/dir/file` names `C:/dir/file`.
    let s = match s.strip_prefix('/') {
        Some(rest) if rest.get(1..2) == Some(":") => rest.to_owned(),
        _ => s,
    };
    Some(PathBuf::from(s))
}

/// Decodes `%XX` escapes; `None` if a `%` is not followed by two hex digits.
fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b);
            i += 1;
        }
    }
    Some(out)
}

impl Fetcher for FileFetcher {
    fn fetch_into(
        &self,
        url: &str,
        max_length: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, FetchError> {
        let path = Self::path_of(url)?;
        let io_error = |e: io::Error| {
            if e.kind() == io::ErrorKind::NotFound {
                FetchError::NotFound {
                    url: url.to_owned(),
                }
            } else {
                FetchError::Io {
                    url: url.to_owned(),
                    reason: format!("{}: {e}", path.display()),
                }
            }
        };
        let file = std::fs::File::open(&path).map_err(io_error)?;
        let metadata = file.metadata().map_err(io_error)?;
        if metadata.is_dir() {
            return Err(FetchError::Io {
                url: url.to_owned(),
                reason: format!("{} is a directory", path.display()),
            });
        }
        if metadata.len() > max_length {
            return Err(FetchError::TooLarge {
                url: url.to_owned(),
                max_length,
            });
        }
        let mut written = 0;
        copy_capped(file, url, max_length, sink, &mut written, None, io_error)?;
        Ok(written)
    }
}

/// Dispatches on the URL scheme: `http`/`https` to an [`HttpFetcher`], `file` to a
/// [`FileFetcher`]; any other scheme is [`FetchError::UnsupportedScheme`].
#[derive(Debug)]
pub struct DefaultFetcher {
    http: HttpFetcher,
    file: FileFetcher,
}

impl DefaultFetcher {
    /// A fetcher whose HTTP side uses `config`.
    ///
    /// # Errors
    /// As [`HttpFetcher::new`].
    pub fn new(config: HttpConfig) -> Result<Self, FetchError> {
        Ok(Self {
            http: HttpFetcher::new(config)?,
            file: FileFetcher,
        })
    }
}

impl Fetcher for DefaultFetcher {
    fn fetch_into(
        &self,
        url: &str,
        max_length: u64,
        sink: &mut dyn Write,
    ) -> Result<u64, FetchError> {
        let scheme = scheme_of(url)?;
        if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") {
            self.http.fetch_into(url, max_length, sink)
        } else if scheme.eq_ignore_ascii_case("file") {
            self.file.fetch_into(url, max_length, sink)
        } else {
            Err(FetchError::UnsupportedScheme {
                url: url.to_owned(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_chars_are_encoded() {
        assert_eq!(
            encode_invalid_chars("http://h:1/a b/ü?q=\"x\"#frag"),
            "http://h:1/a%20b/%C3%BC?q=%22x%22"
        );
        assert_eq!(
            encode_invalid_chars("http://h/%41[1]"),
            "http://h/%41%5B1%5D"
        );
    }

    #[test]
    fn rate_guard() {
        let guard = RateGuard {
            start: Instant::now() - Duration::from_secs(10),
            grace: Duration::from_secs(5),
            min_bytes_per_second: 100,
        };
        assert!(guard.too_slow(999));
        assert!(!guard.too_slow(1001));
    }
}
