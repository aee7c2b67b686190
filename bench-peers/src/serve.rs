//! A static file server on 127.0.0.1 for the client runs (python-tuf's ngclient fetches over
//! HTTP only, so every client is timed over the same loopback HTTP). One thread per
//! connection, `Connection: close`, files sent from the page cache.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::thread;
use std::time::Duration;

/// Serves `dir` until the process exits; returns the base URL (`http://127.0.0.1:PORT/`).
pub(crate) fn start(dir: &Path) -> anyhow::Result<String> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}/", listener.local_addr()?);
    let dir = dir.to_path_buf();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            thread::spawn(move || {
                let _ = serve(stream, &dir);
            });
        }
    });
    Ok(base)
}

fn serve(stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
    }
    let path = request_line.split_whitespace().nth(1).unwrap_or("/");
    let relative = path.trim_start_matches('/');
    let safe = !relative.split('/').any(|part| part == ".." || part == ".");
    let file = dir.join(relative);
    let mut stream = stream;
    let opened = std::fs::File::open(&file).and_then(|f| Ok((f.metadata()?, f)));
    match opened {
        Ok((meta, mut body)) if safe && meta.is_file() => {
            let length = meta.len();
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Length: {length}\r\nContent-Type: application/octet-stream\r\nConnection: close\r\n\r\n"
            )?;
            // File to socket in the kernel (`sendfile` on Linux): the server's share of the
            // two cores stays small, whichever client is measured.
            std::io::copy(&mut body, &mut stream)?;
        }
        _ => stream.write_all(
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?,
    }
    stream.flush()
}
