//! Work shared out over scoped threads: each thread claims the next item not yet
//! taken, so items of uneven cost keep every thread busy to the end (a fixed
//! share per thread left one finishing alone).

use std::sync::atomic::{AtomicUsize, Ordering};

/// Runs `step(acc, k)` for every `k` in `0..n` on `threads` scoped threads
/// (inline on this one when `threads` ≤ 1), each thread claiming the next
/// unclaimed `k` and folding it into its own accumulator, made by `init`. The
/// accumulators come back in thread order; which `k` lands in which one varies
/// from run to run, so the caller combines them in a way that does not depend
/// on it. A thread stops at its first error, and the first error in thread order
/// is returned; a panic in a thread is resumed on this one.
pub(crate) fn claim_each<A: Send, E: Send>(
    threads: usize,
    n: usize,
    init: impl Fn() -> A + Sync,
    step: impl Fn(&mut A, usize) -> Result<(), E> + Sync,
) -> Result<Vec<A>, E> {
    let next = AtomicUsize::new(0);
    let work = || -> Result<A, E> {
        let mut acc = init();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= n {
                return Ok(acc);
            }
            step(&mut acc, k)?;
        }
    };
    if threads <= 1 {
        return Ok(vec![work()?]);
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads).map(|_| s.spawn(work)).collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_item_is_claimed_once_whatever_the_threads() {
        // Items 0..1000 summed: 0 + 1 + … + 999 = 999·1000/2 = 499,500, and
        // 1,000 claims in all, on one thread and on three.
        for threads in [1, 3] {
            let parts = claim_each(
                threads,
                1000,
                || (0u64, 0usize),
                |(sum, seen), k| {
                    *sum += k as u64;
                    *seen += 1;
                    Ok::<(), ()>(())
                },
            )
            .unwrap();
            assert_eq!(parts.len(), threads);
            assert_eq!(parts.iter().map(|p| p.0).sum::<u64>(), 499_500);
            assert_eq!(parts.iter().map(|p| p.1).sum::<usize>(), 1000);
        }
    }

    #[test]
    fn an_error_stops_its_thread_and_is_returned() {
        let got = claim_each(2, 100, || 0, |_, k| if k == 40 { Err(k) } else { Ok(()) });
        assert_eq!(got, Err(40));
    }
}
