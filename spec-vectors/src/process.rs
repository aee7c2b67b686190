//! Running a command under test as a real process with a deadline: the one runner the
//! workspace's process tests share (`tuf-client`, `tuf-repo` and the reference clients they
//! drive), so that a hung process fails its test instead of hanging CI.

use std::io::{self, Read};
use std::process::{Child, Command, Output, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often a running process is polled for its exit.
const POLL: Duration = Duration::from_millis(5);

/// Runs `command` with no stdin and its stdout and stderr captured, as
/// [`Command::output`] does, but kills it (and reaps it) once `timeout` has passed.
///
/// Both pipes are drained while it runs, so a process that writes a lot never blocks on a
/// full pipe.
///
/// # Errors
/// The error of [`Command::spawn`] or of waiting; [`io::ErrorKind::TimedOut`] when the
/// process was killed at the deadline.
///
/// # Example
/// ```
/// # #[cfg(unix)] {
/// use std::process::Command;
/// use std::time::Duration;
///
/// let out = spec_vectors::process::output_within(
///     Command::new("sh").args(["-c", "echo hi"]),
///     Duration::from_secs(10),
/// )?;
/// assert!(out.status.success());
/// assert_eq!(out.stdout, b"hi\n");
///
/// let slow = spec_vectors::process::output_within(
///     Command::new("sleep").arg("5"),
///     Duration::from_millis(50),
/// );
/// assert_eq!(slow.map_err(|e| e.kind()).err(), Some(std::io::ErrorKind::TimedOut));
/// # }
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn output_within(command: &mut Command, timeout: Duration) -> io::Result<Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let status = wait_within(&mut child, timeout)?;
    Ok(Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}

/// Reads `pipe` to its end on a thread of its own.
fn drain(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            // A read error ends the capture; what was read is kept.
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}

/// Waits for `child`, killing and reaping it once `timeout` has passed.
fn wait_within(child: &mut Child, timeout: Duration) -> io::Result<std::process::ExitStatus> {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if started.elapsed() > timeout {
            // Already exited between the two calls: the wait below reaps it either way.
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                format!("killed after {timeout:?}"),
            ));
        }
        std::thread::sleep(POLL);
    }
}
