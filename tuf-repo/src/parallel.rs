//! Running independent jobs on a few threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::Error;

/// Workers for jobs that hold files open (each holds at most two: a source and a
/// destination), so that at most four files are open at once however many files there are.
pub(crate) const FILE_WORKERS: usize = 2;

/// Workers for CPU-bound jobs (signing).
pub(crate) const CPU_WORKERS: usize = 8;

/// How many threads to use: the available parallelism, at most `max`.
fn workers(max: usize) -> usize {
    std::thread::available_parallelism()
        .map(std::num::NonZeroUsize::get)
        .unwrap_or(1)
        .clamp(1, max.max(1))
}

/// Runs `job` on every item with up to `max_workers` threads and returns the results in the
/// order of `items`. After the first failure no new job starts; the error of the earliest
/// failed item is returned.
pub(crate) fn map<T, R, F>(items: &[T], max_workers: usize, job: F) -> Result<Vec<R>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R, Error> + Sync,
{
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let threads = workers(max_workers).min(items.len().max(1));
    let work = || {
        let mut done = Vec::new();
        while !failed.load(Ordering::Relaxed) {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(index) else {
                break;
            };
            let result = job(item);
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((index, result));
        }
        done
    };
    let mut results: Vec<(usize, Result<R, Error>)> = if threads <= 1 {
        work()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            let mut all = Vec::with_capacity(items.len());
            for handle in handles {
                match handle.join() {
                    Ok(done) => all.extend(done),
                    // A job panicked (a bug): report it as the failure of the next item.
                    Err(_) => all.push((next.load(Ordering::Relaxed), Err(Error::WorkerPanicked))),
                }
            }
            all
        })
    };
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_reports_first_error() {
        let items: Vec<u32> = (0..1000).collect();
        let doubled = map(&items, 4, |n| Ok(n * 2)).unwrap();
        assert_eq!(doubled, items.iter().map(|n| n * 2).collect::<Vec<_>>());
        let failed = map(&items, 4, |n| {
            if *n >= 10 {
                Err(Error::UnknownRole {
                    role: n.to_string(),
                })
            } else {
                Ok(*n)
            }
        });
        assert!(matches!(failed, Err(Error::UnknownRole { role }) if role == "10"));
        assert!(map(&[] as &[u32], 2, |n| Ok(*n)).unwrap().is_empty());
    }
}
