//! Large files written with direct I/O (Linux `O_DIRECT`).
//!
//! A buffered write of a large file is mostly the kernel's work: every 4 KiB page of the page
//! cache is allocated, charged, copied into and marked for writeback, and `fsync` then waits
//! for all of it to reach the device. For a 17.6 MB `targets.json` that costs 45-50 ms of CPU
//! on the machines of BENCHMARKS.md, plus about 10 ms in `fsync`; written with direct I/O, the
//! bytes go from memory to the device (DMA) in about 14 ms of mostly idle waiting, and the
//! `fsync` that follows has only the file's metadata and the tail to flush. A client verifying
//! a large role while its cache copy is written keeps both cores for the verification.
//!
//! Direct I/O needs the memory, the file offset and the length of every write aligned to the
//! device's logical block size. A [`DirectWriter`] collects the bytes in an aligned buffer and
//! writes each full buffer directly; the last partial buffer goes through the file's ordinary
//! (buffered) handle, as does everything on a system or file system without direct I/O (the
//! open or the first direct write fails with `EINVAL` before anything was written). The two
//! handles never write the same block, and each direct write has completed before the next
//! write starts, so the file holds exactly the bytes written, in order. Durability is
//! unchanged: direct I/O does not flush the device's cache, so callers still `sync_all` the
//! file as before.

use std::fs::File;
use std::io::{self, Seek as _, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Files of at least this many bytes are written with direct I/O by [`write_all`] where it is
/// available (smaller ones never fill a buffer of [`DirectWriter`]).
pub const DIRECT_MIN_LEN: usize = CHUNK;

/// Alignment of memory, offsets and lengths of direct writes: a multiple of the logical
/// block size of common devices (512 or 4096 bytes).
const ALIGN: usize = 4096;

/// Bytes per direct write, and the size of a [`DirectWriter`]'s buffer (a multiple of
/// [`ALIGN`]).
const CHUNK: usize = 1 << 20;

/// Writes all of `bytes` to `file`, a new, empty file just opened for writing at `path`, as
/// `file.write_all(bytes)` would. Files of [`DIRECT_MIN_LEN`] bytes or more go through
/// direct I/O: straight from `bytes` when it is aligned in memory (large allocations usually
/// are), else through a [`DirectWriter`]. The file position of `file` is left unspecified.
/// Callers that need the bytes durable still call `file.sync_all()`.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("large.json");
/// let bytes = vec![b'x'; 3 << 20];
/// let mut file = std::fs::File::create_new(&path)?;
/// tuf_client::cache::direct::write_all(&mut file, &path, &bytes)?;
/// file.sync_all()?;
/// assert_eq!(std::fs::read(&path)?, bytes);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// The first write error (an unsupported direct write is not one: it falls back).
pub fn write_all(file: &mut File, path: &Path, bytes: &[u8]) -> io::Result<()> {
    if bytes.len() < DIRECT_MIN_LEN {
        return file.write_all(bytes);
    }
    #[cfg(target_os = "linux")]
    if bytes.as_ptr().align_offset(ALIGN) == 0 {
        // Already aligned in memory (large allocations usually are): written from where it
        // lies, without a buffer.
        if let Some(mut direct) = linux::open_direct(path)? {
            let done = linux::write_aligned_prefix(&mut direct, bytes)?;
            file.seek(SeekFrom::Start(done as u64))?;
            return file.write_all(bytes.get(done..).unwrap_or_default());
        }
        return file.write_all(bytes);
    }
    let mut writer = DirectWriter::new(file.try_clone()?, path);
    writer.write_all(bytes)?;
    writer.finish().map(drop)
}

/// How a [`DirectWriter`] sends full buffers.
#[derive(Debug)]
enum Mode {
    /// Direct I/O not tried yet (nothing written yet).
    Untried,
    /// Through this handle, opened with `O_DIRECT`.
    #[cfg(target_os = "linux")]
    Direct(File),
    /// Through the ordinary handle, at its current position.
    Buffered,
}

/// A writer of a new file, buffering in an aligned buffer of 1 MiB and writing every full
/// buffer with direct I/O where the system and file system have it (see the module
/// documentation), else through the file's ordinary handle. [`DirectWriter::finish`] writes
/// what is left and hands the file back, to be synced; [`Write::flush`] writes nothing, so
/// that the direct writes stay aligned. Dropped without `finish`, the buffered bytes are lost.
///
/// ```
/// use std::io::Write as _;
/// # fn main() -> std::io::Result<()> {
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("download");
/// let file = std::fs::File::create_new(&path)?;
/// let mut writer = tuf_client::cache::direct::DirectWriter::new(file, &path);
/// for _ in 0..40 {
///     writer.write_all(&[7u8; 100_000])?;
/// }
/// writer.finish()?.sync_all()?;
/// assert_eq!(std::fs::read(&path)?, vec![7u8; 4_000_000]);
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct DirectWriter {
    file: File,
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    path: PathBuf,
    mode: Mode,
    /// Capacity `CHUNK + ALIGN`, never exceeded (so never moved, and the window stays
    /// aligned); the window is `buffer[start..]`, at most `CHUNK` bytes. Bytes are written
    /// into it only as they arrive: a small file touches only the memory it needs.
    buffer: Vec<u8>,
    start: usize,
    /// Bytes in the file so far (all through the direct handle while the mode is `Direct`).
    written: u64,
}

impl DirectWriter {
    /// Writes to `file`, a new, empty file opened for writing at `path` (which a direct-I/O
    /// handle is opened on when the first buffer is full).
    pub fn new(file: File, path: &Path) -> Self {
        let mut buffer: Vec<u8> = Vec::with_capacity(CHUNK + ALIGN);
        // Always below ALIGN (`align_offset` of a byte pointer).
        let start = buffer.as_ptr().align_offset(ALIGN).min(ALIGN);
        buffer.resize(start, 0);
        DirectWriter {
            file,
            path: path.to_path_buf(),
            mode: if cfg!(target_os = "linux") {
                Mode::Untried
            } else {
                Mode::Buffered
            },
            buffer,
            start,
            written: 0,
        }
    }

    /// The bytes waiting in the window.
    fn window(&self) -> &[u8] {
        self.buffer.get(self.start..).unwrap_or_default()
    }

    /// Writes what is left through the ordinary handle and returns it.
    ///
    /// # Errors
    /// The write error, if any.
    pub fn finish(mut self) -> io::Result<File> {
        if !matches!(self.mode, Mode::Buffered) {
            // The ordinary handle has written nothing: the tail goes after the direct part.
            self.file.seek(SeekFrom::Start(self.written))?;
        }
        let rest = self.buffer.get(self.start..).unwrap_or_default();
        self.file.write_all(rest)?;
        Ok(self.file)
    }

    /// Writes the full window.
    fn send(&mut self) -> io::Result<()> {
        #[cfg(target_os = "linux")]
        if matches!(self.mode, Mode::Untried) {
            self.mode = match linux::open_direct(&self.path)? {
                Some(direct) => Mode::Direct(direct),
                None => Mode::Buffered,
            };
        }
        let chunk = self.buffer.get(self.start..).unwrap_or_default();
        match &mut self.mode {
            #[cfg(target_os = "linux")]
            Mode::Direct(direct) => {
                let sent = linux::write_aligned_prefix(direct, chunk)?;
                if sent < chunk.len() {
                    // Refused or short: from here on through the ordinary handle, placed
                    // after what the direct handle wrote.
                    self.file
                        .seek(SeekFrom::Start(self.written + sent as u64))?;
                    self.file.write_all(chunk.get(sent..).unwrap_or_default())?;
                    self.mode = Mode::Buffered;
                }
            }
            _ => self.file.write_all(chunk)?,
        }
        self.written += chunk.len() as u64;
        self.buffer.truncate(self.start);
        Ok(())
    }
}

impl Write for DirectWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.window().len() == CHUNK {
            self.send()?;
        }
        let n = buf.len().min(CHUNK - self.window().len());
        self.buffer
            .extend_from_slice(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    /// Writes nothing: bytes reach the file when a buffer fills and at
    /// [`DirectWriter::finish`].
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::{File, OpenOptions};
    use std::io::{self, Write as _};
    use std::os::unix::fs::OpenOptionsExt as _;
    use std::path::Path;

    use super::{ALIGN, CHUNK};

    fn unsupported(error: &io::Error) -> bool {
        error.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error())
    }

    /// `path` opened for writing with `O_DIRECT`, or `None` where that is refused.
    pub(super) fn open_direct(path: &Path) -> io::Result<Option<File>> {
        let flags = i32::try_from(rustix::fs::OFlags::DIRECT.bits()).map_err(io::Error::other)?;
        match OpenOptions::new()
            .write(true)
            .custom_flags(flags)
            .open(path)
        {
            Ok(file) => Ok(Some(file)),
            Err(error) if unsupported(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Writes the longest prefix of `bytes` (aligned in memory) that is a multiple of
    /// [`ALIGN`] long with direct writes of at most [`CHUNK`] times 8 bytes, and returns how
    /// much was written: less after a short or refused write (the caller writes the rest).
    pub(super) fn write_aligned_prefix(direct: &mut File, bytes: &[u8]) -> io::Result<usize> {
        let aligned = bytes.len() / ALIGN * ALIGN;
        let mut done = 0;
        while done < aligned {
            let length = (aligned - done).min(8 * CHUNK);
            let Some(piece) = bytes.get(done..done + length) else {
                break;
            };
            match write_direct(direct, piece)? {
                Some(written) if written == length => done += written,
                Some(written) => return Ok(done + written),
                None => break,
            }
        }
        Ok(done)
    }

    /// Writes the aligned `chunk` with one direct write (retried when interrupted): the bytes
    /// written, or `None` if the write was refused as unsupported (nothing written).
    fn write_direct(direct: &mut File, chunk: &[u8]) -> io::Result<Option<usize>> {
        loop {
            match direct.write(chunk) {
                Ok(written) => return Ok(Some(written)),
                Err(error) if unsupported(&error) => return Ok(None),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    fn new_file() -> (tempfile::TempDir, PathBuf, File) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        let file = File::create_new(&path).unwrap();
        (dir, path, file)
    }

    #[test]
    fn write_all_writes_every_size_around_the_boundaries_exactly() {
        for len in [
            0,
            1,
            ALIGN - 1,
            ALIGN,
            DIRECT_MIN_LEN - 1,
            DIRECT_MIN_LEN,
            DIRECT_MIN_LEN + 1,
            DIRECT_MIN_LEN + ALIGN,
            3 * CHUNK + 123,
            4 * CHUNK,
        ] {
            let (_dir, path, mut file) = new_file();
            let bytes = pattern(len);
            write_all(&mut file, &path, &bytes).unwrap();
            file.sync_all().unwrap();
            assert!(std::fs::read(&path).unwrap() == bytes, "length {len}");
        }
    }

    #[test]
    fn a_writer_fed_in_uneven_pieces_writes_them_in_order() {
        let (_dir, path, file) = new_file();
        let bytes = pattern(2 * CHUNK + 12_345);
        let mut writer = DirectWriter::new(file, &path);
        for piece in bytes.chunks(7_777) {
            writer.write_all(piece).unwrap();
            writer.flush().unwrap();
        }
        writer.finish().unwrap().sync_all().unwrap();
        assert!(std::fs::read(&path).unwrap() == bytes);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn full_buffers_go_through_direct_io_where_the_file_system_has_it() {
        let (_dir, path, file) = new_file();
        let bytes = pattern(2 * CHUNK + 7);
        let mut writer = DirectWriter::new(file, &path);
        writer.write_all(&bytes).unwrap();
        // Two full buffers went out as the next bytes arrived; 7 bytes wait for `finish`.
        assert_eq!(
            (writer.written, writer.window().len()),
            (2 * CHUNK as u64, 7)
        );
        let direct = matches!(writer.mode, Mode::Direct(_));
        // Buffered only where the file system refuses O_DIRECT (then that path is tested).
        if direct {
            assert!(std::fs::read(&path).unwrap() == bytes[..2 * CHUNK]);
        }
        writer.finish().unwrap().sync_all().unwrap();
        assert!(std::fs::read(&path).unwrap() == bytes);
    }

    #[test]
    fn a_writer_that_falls_back_writes_the_same_file() {
        let (_dir, path, file) = new_file();
        let bytes = pattern(3 * CHUNK + 5);
        let mut writer = DirectWriter::new(file, &path);
        writer.mode = Mode::Buffered;
        writer.write_all(&bytes).unwrap();
        writer.finish().unwrap().sync_all().unwrap();
        assert!(std::fs::read(&path).unwrap() == bytes);
    }
}
