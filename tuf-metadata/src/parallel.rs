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
