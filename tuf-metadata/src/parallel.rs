//! Two independent passes over one large received file, side by side on two cores.
//!
//! Parsing `signed`, computing its canonical form and hashing the file each read every byte;
//! none needs the others' result, so for large files (a targets role listing 100,000 targets
//! is 20 MB) they run at once. The results are combined in the order a sequential run would
//! report them, so errors are exactly those of the sequential code. No I/O is involved.

/// Inputs smaller than this are processed on the calling thread alone: starting a thread
/// costs more than it saves.
pub const PARALLEL_MIN_LEN: usize = 256 * 1024;

/// Runs `side` and `main` and returns both results; when `len` is at least
/// [`PARALLEL_MIN_LEN`], `side` runs on a scoped thread while `main` runs here. If no thread
/// can be started, `side` runs here after `main`. A panic in `side` is resumed here.
///
/// ```
/// let (a, b) = tuf_metadata::parallel::join(1 << 20, || 2 + 2, || "main");
/// assert_eq!((a, b), (4, "main"));
/// ```
pub fn join<A: Send, B>(
    len: usize,
    side: impl Fn() -> A + Sync,
    main: impl FnOnce() -> B,
) -> (A, B) {
    if len < PARALLEL_MIN_LEN {
        let b = main();
        return (side(), b);
    }
    std::thread::scope(|scope| {
        let spawned = std::thread::Builder::new().spawn_scoped(scope, &side);
        let b = main();
        let a = match spawned {
            Ok(handle) => match handle.join() {
                Ok(a) => a,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => side(),
        };
        (a, b)
    })
}

/// How many pieces [`pipe`] lets its producer run ahead of its consumer.
const PIPE_DEPTH: usize = 8;

/// Runs `produce`, which hands its output in pieces to the function it is given, with
/// `consume` taking those pieces on a scoped thread of its own: two sequential passes over
/// one stream (the canonical form of a large role is produced by one and hashed by the other
/// for its signature check) then take about as long as the slower one instead of both. The
/// pieces are copied into a few recycled buffers, so memory stays bounded whatever the
/// length. With `len` below [`PARALLEL_MIN_LEN`], or no thread to be had, everything runs
/// here in order. A panic in `consume` is resumed here.
///
/// ```
/// let mut total = Vec::new();
/// let produced = tuf_metadata::parallel::pipe(
///     1 << 20,
///     |out| {
///         for piece in [&b"canonical "[..], b"form"] {
///             out(piece);
///         }
///         "done"
///     },
///     |piece| total.extend_from_slice(piece),
/// );
/// assert_eq!((produced, total.as_slice()), ("done", &b"canonical form"[..]));
/// ```
pub fn pipe<R, C: FnMut(&[u8]) + Send>(
    len: usize,
    produce: impl FnOnce(&mut dyn FnMut(&[u8])) -> R,
    consume: C,
) -> R {
    use std::sync::{Mutex, PoisonError, mpsc};
    let consume = Mutex::new(consume);
    let lock = || consume.lock().unwrap_or_else(PoisonError::into_inner);
    if len < PARALLEL_MIN_LEN {
        let mut consume = lock();
        return produce(&mut |piece| (*consume)(piece));
    }
    std::thread::scope(|scope| {
        let (full, pieces) = mpsc::sync_channel::<Vec<u8>>(PIPE_DEPTH);
        let (recycle, empties) = mpsc::channel::<Vec<u8>>();
        let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
            let mut consume = lock();
            for piece in pieces {
                (*consume)(&piece);
                // The producer may be done and gone; the buffer is then dropped here.
                let _ = recycle.send(piece);
            }
        });
        match spawned {
            Ok(consumer) => {
                let mut send = |piece: &[u8]| {
                    let mut buffer = empties.try_recv().unwrap_or_default();
                    buffer.clear();
                    buffer.extend_from_slice(piece);
                    // Fails only if the consumer panicked; its panic is resumed below.
                    let _ = full.send(buffer);
                };
                let result = produce(&mut send);
                drop(full);
                if let Err(panic) = consumer.join() {
                    std::panic::resume_unwind(panic);
                }
                result
            }
            Err(_) => {
                let mut consume = lock();
                produce(&mut |piece| (*consume)(piece))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Produces `count` pieces of varied lengths (with empty ones) and returns what was sent.
    fn produce_pieces(count: usize, out: &mut dyn FnMut(&[u8])) -> Vec<u8> {
        let mut sent = Vec::new();
        for index in 0..count {
            let piece: Vec<u8> = (0..(index * 37) % 5000)
                .map(|b| (b + index) as u8)
                .collect();
            out(&piece);
            sent.extend_from_slice(&piece);
        }
        sent
    }

    #[test]
    fn pipe_hands_over_every_piece_in_order_on_both_paths() {
        for len in [0, PARALLEL_MIN_LEN - 1, PARALLEL_MIN_LEN, 64 << 20] {
            for count in [0, 1, PIPE_DEPTH, PIPE_DEPTH * 40 + 3] {
                let mut received = Vec::new();
                let mut calls = 0;
                let sent = pipe(
                    len,
                    |out| produce_pieces(count, out),
                    |piece| {
                        received.extend_from_slice(piece);
                        calls += 1;
                    },
                );
                assert_eq!(received, sent, "len {len}, {count} pieces");
                assert_eq!(calls, count, "len {len}");
            }
        }
    }

    #[test]
    fn pipe_returns_the_producers_error_after_the_consumer_is_done() {
        let mut received = 0;
        let result: Result<(), &str> = pipe(
            PARALLEL_MIN_LEN,
            |out| {
                out(b"before");
                Err("no canonical form")
            },
            |piece| received += piece.len(),
        );
        assert_eq!(result, Err("no canonical form"));
        assert_eq!(received, 6);
    }

    #[test]
    fn a_panic_in_the_consumer_is_resumed_in_the_caller() {
        let caught = std::panic::catch_unwind(|| {
            pipe(
                PARALLEL_MIN_LEN,
                |out| produce_pieces(PIPE_DEPTH * 4, out),
                |piece| assert!(piece.len() < 100, "consumer failed"),
            )
        });
        assert!(caught.is_err());
    }
}
