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
//! device's logical block size: the bytes pass through an aligned buffer, the aligned prefix
//! of the file is written directly, and the last partial block through the caller's ordinary
//! (buffered) handle, as are whole files below [`DIRECT_MIN_LEN`] and every file on a system
//! or file system without direct I/O (the open or the first write fails with `EINVAL`, and
//! nothing has been written yet). The two handles never write the same block, and each direct
//! write has completed before the next write starts, so the file holds exactly `bytes`.
//! Durability is unchanged: direct I/O does not flush the device's cache, so callers still
//! `sync_all` the file as before.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

/// Files of at least this many bytes are written with direct I/O where it is available.
pub const DIRECT_MIN_LEN: usize = 1 << 20;

/// Alignment of memory, offsets and lengths of direct writes: a multiple of the logical
/// block size of common devices (512 or 4096 bytes).
#[cfg(target_os = "linux")]
const ALIGN: usize = 4096;

/// Bytes per direct write (a multiple of [`ALIGN`]).
#[cfg(target_os = "linux")]
const CHUNK: usize = 1 << 20;

/// Writes all of `bytes` to `file`, a new, empty file just opened for writing at `path`.
/// Large files are written with direct I/O on Linux (see the module documentation); the
/// result is the same file as `file.write_all(bytes)` gives. The file position of `file` is
/// left unspecified. Callers that need the bytes durable still call `file.sync_all()`.
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
    #[cfg(target_os = "linux")]
    if bytes.len() >= DIRECT_MIN_LEN {
        let done = linux::write_prefix(path, bytes, usize::MAX)?;
        return finish(file, bytes, done);
    }
    let _ = path;
    file.write_all(bytes)
}

/// Writes `bytes[done..]` at offset `done` through the buffered handle.
#[cfg(target_os = "linux")]
fn finish(file: &mut File, bytes: &[u8], done: usize) -> io::Result<()> {
    use std::os::unix::fs::FileExt as _;
    let rest = bytes.get(done..).unwrap_or_default();
    if rest.is_empty() {
        return Ok(());
    }
    let offset = u64::try_from(done).map_err(io::Error::other)?;
    file.write_all_at(rest, offset)
}

#[cfg(target_os = "linux")]
mod linux {
    use std::fs::OpenOptions;
    use std::io::{self, Write as _};
    use std::os::unix::fs::OpenOptionsExt as _;
    use std::path::Path;

    use super::{ALIGN, CHUNK};

    fn unsupported(error: &io::Error) -> bool {
        error.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error())
    }

    /// Writes the longest aligned prefix of `bytes`, at most `limit` bytes of it, to `path`
    /// with direct I/O, and returns its length: 0 when direct I/O is not available there.
    pub(super) fn write_prefix(path: &Path, bytes: &[u8], limit: usize) -> io::Result<usize> {
        let aligned_len = bytes.len().min(limit) / ALIGN * ALIGN;
        if aligned_len == 0 {
            return Ok(0);
        }
        let flags = i32::try_from(rustix::fs::OFlags::DIRECT.bits()).map_err(io::Error::other)?;
        let mut direct = match OpenOptions::new()
            .write(true)
            .custom_flags(flags)
            .open(path)
        {
            Ok(file) => file,
            Err(error) if unsupported(&error) => return Ok(0),
            Err(error) => return Err(error),
        };
        // An aligned window into a buffer one alignment longer than a chunk.
        let mut buffer = vec![0u8; CHUNK + ALIGN];
        let start = buffer.as_ptr().align_offset(ALIGN);
        let window = buffer
            .get_mut(start..start + CHUNK)
            .ok_or_else(|| io::Error::other("no aligned window in the buffer"))?;
        let mut done = 0;
        while done < aligned_len {
            let length = (aligned_len - done).min(CHUNK);
            let (Some(chunk), Some(source)) =
                (window.get_mut(..length), bytes.get(done..done + length))
            else {
                break;
            };
            chunk.copy_from_slice(source);
            match direct.write(chunk) {
                // A short write leaves the offset unaligned: the caller writes the rest.
                Ok(written) if written == length => done += written,
                Ok(written) => return Ok(done + written),
                // Refused before anything was written (alignment the device does not take):
                // everything goes through the buffered handle.
                Err(error) if done == 0 && unsupported(&error) => return Ok(0),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
#[cfg(target_os = "linux")]
mod tests {
    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    fn written(bytes: &[u8]) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        let mut file = File::create_new(&path).unwrap();
        write_all(&mut file, &path, bytes).unwrap();
        file.sync_all().unwrap();
        drop(file);
        std::fs::read(&path).unwrap()
    }

    #[test]
    fn every_size_around_the_boundaries_is_written_exactly() {
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
            let bytes = pattern(len);
            assert!(written(&bytes) == bytes, "length {len}");
        }
    }

    #[test]
    fn large_files_go_through_direct_io_where_the_file_system_has_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        File::create_new(&path).unwrap();
        let bytes = pattern(2 * CHUNK + 7);
        let done = linux::write_prefix(&path, &bytes, usize::MAX).unwrap();
        // 0 only where the file system refuses O_DIRECT (then the buffered path is tested).
        assert!(
            done == 0 || done == 2 * CHUNK,
            "direct prefix of {done} bytes"
        );
        if done > 0 {
            let on_disk = std::fs::read(&path).unwrap();
            assert_eq!(on_disk.len(), done);
            assert!(on_disk == bytes[..done]);
        }
    }

    #[test]
    fn a_direct_prefix_and_a_buffered_rest_make_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        let mut file = File::create_new(&path).unwrap();
        let bytes = pattern(3 * CHUNK + 5);
        // The direct part stops after one chunk, as after a short write.
        let done = linux::write_prefix(&path, &bytes, CHUNK + 100).unwrap();
        assert!(done == 0 || done == CHUNK, "direct prefix of {done} bytes");
        finish(&mut file, &bytes, done).unwrap();
        file.sync_all().unwrap();
        assert!(std::fs::read(&path).unwrap() == bytes);
    }
}
