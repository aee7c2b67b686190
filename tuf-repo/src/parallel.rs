//! Running independent jobs on a few threads.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::Error;

/// Workers for jobs that hold files open (each holds at most two: a source and a
/// destination), so that at most four files are open at once however many files there are.
pub(crate) const FILE_WORKERS: usize = 2;

/// Workers for CPU-bound jobs (signing).
pub(crate) const CPU_WORKERS: usize = 8;

/// How many threads to use: the available parallelism, at most `max`.
pub(crate) fn workers(max: usize) -> usize {
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

/// Runs `job` on every item with up to `max_workers` threads, and hands each result to `sink`
/// on the calling thread as it arrives (in no particular order), so that the results can be
/// written by one thread while the others compute. Returns what `sink` returned, in the order
/// of `items`. After the first failure of a job or of `sink` no new job starts; the error of
/// the earliest failed item is returned (a failure of `sink` counts for its item).
pub(crate) fn map_into<T, R, S, F, K>(
    items: &[T],
    max_workers: usize,
    job: F,
    mut sink: K,
) -> Result<Vec<S>, Error>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> Result<R, Error> + Sync,
    K: FnMut(usize, R) -> Result<S, Error>,
{
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let threads = workers(max_workers).min(items.len()).max(1);
    let mut done: Vec<(usize, Result<S, Error>)> = Vec::with_capacity(items.len());
    let panicked = std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::channel::<(usize, Result<R, Error>)>();
        let mut handles = Vec::with_capacity(threads);
        for _ in 0..threads {
            let send = send.clone();
            let (job, next, failed) = (&job, &next, &failed);
            handles.push(scope.spawn(move || {
                while !failed.load(Ordering::Relaxed) {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else {
                        break;
                    };
                    let result = job(item);
                    if result.is_err() {
                        failed.store(true, Ordering::Relaxed);
                    }
                    if send.send((index, result)).is_err() {
                        break;
                    }
                }
            }));
        }
        drop(send);
        // Ends when every worker has finished (or panicked: its items are missing below).
        for (index, result) in receive {
            let result = result.and_then(|r| sink(index, r));
            if result.is_err() {
                failed.store(true, Ordering::Relaxed);
            }
            done.push((index, result));
        }
        handles.into_iter().any(|handle| handle.join().is_err())
    });
    if panicked {
        // A job panicked (a bug).
        return Err(Error::WorkerPanicked);
    }
    done.sort_by_key(|(index, _)| *index);
    let mut out = Vec::with_capacity(done.len());
    for (_, result) in done {
        out.push(result?);
    }
    Ok(out)
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

    #[test]
    fn sink_sees_every_result_on_the_calling_thread() {
        let items: Vec<u32> = (0..1000).collect();
        let caller = std::thread::current().id();
        let mut seen = 0;
        let out = map_into(
            &items,
            4,
            |n| Ok(n * 2),
            |index, doubled| {
                assert_eq!(std::thread::current().id(), caller);
                assert_eq!(doubled, items[index] * 2);
                seen += 1;
                Ok(doubled + 1)
            },
        )
        .unwrap();
        assert_eq!(seen, 1000);
        assert_eq!(out, items.iter().map(|n| n * 2 + 1).collect::<Vec<_>>());

        let failed = map_into(
            &items,
            2,
            |n| Ok(*n),
            |_, n| {
                if n == 500 {
                    Err(Error::UnknownRole {
                        role: n.to_string(),
                    })
                } else {
                    Ok(n)
                }
            },
        );
        assert!(matches!(failed, Err(Error::UnknownRole { role }) if role == "500"));
        assert!(
            map_into(&[] as &[u32], 2, |n| Ok(*n), |_, n| Ok(n))
                .unwrap()
                .is_empty()
        );
    }
}
