//! Small pools of dedicated threads for CPU-heavy work (password hashes, photo decoding), apart
//! from the HTTP workers and from the blocking pool that database calls use: at most `threads`
//! jobs run at once, a job that cannot start within the queue timeout is refused (the caller
//! answers 503 with `Retry-After`) instead of waiting without bound, and the threads may run at
//! a lower CPU priority so that, on a busy machine, short requests are served first.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, oneshot};

type Job = Box<dyn FnOnce() + Send>;

/// Why a job did not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Every thread stayed busy for the whole queue timeout.
    Busy,
    /// The job panicked (its thread goes on), or the pool's threads are gone (they could not
    /// be started).
    Stopped,
}

/// A fixed pool of named threads with bounded admission.
#[derive(Clone)]
pub struct Workers {
    slots: Arc<Semaphore>,
    jobs: mpsc::Sender<Job>,
    queue_timeout: Duration,
}

impl Workers {
    /// `threads` threads named `fangpin-{name}-{i}`; `nice` (Linux, 0–19) lowers their CPU
    /// priority against the rest of the process (0 keeps it).
    pub fn new(name: &str, threads: usize, queue_timeout: Duration, nice: i32) -> Self {
        let threads = threads.max(1);
        let (tx, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..threads {
            let rx = rx.clone();
            let spawned = std::thread::Builder::new().name(format!("fangpin-{name}-{i}")).spawn(move || {
                lower_priority(nice);
                loop {
                    let job = match rx.lock() {
                        Ok(guard) => guard.recv(),
                        Err(_) => return,
                    };
                    match job {
                        // A job that panics (a bug met by crafted input) fails alone: its caller
                        // is answered, the thread goes on serving the pool.
                        Ok(job) => {
                            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(job)).is_err() {
                                tracing::error!(pool = %thread_name(), "a job panicked: its request failed, the worker goes on");
                            }
                        }
                        Err(_) => return,
                    }
                }
            });
            if let Err(e) = spawned {
                tracing::error!(error = %e, pool = name, "could not start a worker thread");
            }
        }
        Self { slots: Arc::new(Semaphore::new(threads)), jobs: tx, queue_timeout }
    }

    /// Runs `f` on a worker once a slot is free within the queue timeout.
    pub async fn run<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Result<T, Refused> {
        let permit = tokio::time::timeout(self.queue_timeout, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| Refused::Busy)?
            .map_err(|_| Refused::Stopped)?;
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
            drop(permit);
        });
        self.jobs.send(job).map_err(|_| Refused::Stopped)?;
        rx.await.map_err(|_| Refused::Stopped)
    }
}

/// Memory that uploads may hold at once (bodies received into memory instead of a file on
/// disk, until their objects are stored). Reservations never wait: an upload that finds too
/// little free is spooled to disk as before, so the budget bounds memory, not throughput.
#[derive(Clone)]
pub struct MemoryBudget {
    kib: Arc<Semaphore>,
}

/// A part of the [`MemoryBudget`], given back when dropped.
#[derive(Debug)]
pub struct Reserved {
    _permit: OwnedSemaphorePermit,
}

impl MemoryBudget {
    /// A budget of `bytes` (counted in whole KiB; 0: every upload goes to disk).
    pub fn new(bytes: usize) -> Self {
        Self { kib: Arc::new(Semaphore::new((bytes / 1024).min(Semaphore::MAX_PERMITS))) }
    }

    /// Reserves `bytes` (rounded up to KiB) if that much is free now.
    pub fn try_reserve(&self, bytes: usize) -> Option<Reserved> {
        let kib = u32::try_from(bytes.div_ceil(1024)).ok()?;
        self.kib.clone().try_acquire_many_owned(kib).ok().map(|p| Reserved { _permit: p })
    }
}

fn thread_name() -> String {
    std::thread::current().name().unwrap_or_default().to_owned()
}

/// Lowers this thread's CPU priority (Linux gives each thread its own nice value).
#[cfg(target_os = "linux")]
fn lower_priority(nice: i32) {
    if nice <= 0 {
        return;
    }
    // SAFETY: plain system calls on this thread's id; no memory is shared with them.
    let done = unsafe {
        let tid = libc::syscall(libc::SYS_gettid) as libc::id_t;
        libc::setpriority(libc::PRIO_PROCESS, tid, nice.min(19))
    };
    if done != 0 {
        tracing::warn!(nice, "could not lower a worker thread's priority");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_priority(_nice: i32) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_job_runs_on_a_named_worker() {
        let pool = Workers::new("test", 1, Duration::from_secs(1), 5);
        let name = pool.run(|| std::thread::current().name().map(str::to_owned)).await.unwrap();
        assert_eq!(name.as_deref(), Some("fangpin-test-0"));
    }

    #[tokio::test]
    async fn a_full_pool_refuses_after_the_queue_timeout_then_serves_again() {
        let pool = Workers::new("test", 1, Duration::from_millis(50), 0);
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = oneshot::channel();
        let holder = {
            let pool = pool.clone();
            tokio::spawn(async move {
                pool.run(move || {
                    let _ = started_tx.send(());
                    let _ = wait.recv();
                })
                .await
            })
        };
        started.await.unwrap();
        assert_eq!(pool.run(|| 1).await, Err(Refused::Busy));
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
        assert_eq!(pool.run(|| 2).await, Ok(2));
    }

    #[tokio::test]
    async fn a_job_that_panics_fails_alone_and_the_pool_goes_on() {
        let pool = Workers::new("test", 1, Duration::from_secs(5), 0);
        let failed = pool.run(|| -> u32 { panic!("crafted input") }).await;
        assert_eq!(failed, Err(Refused::Stopped));
        // The one thread is still there, and its slot was given back.
        for i in 0..3 {
            assert_eq!(pool.run(move || i * 2).await, Ok(i * 2));
        }
    }

    #[test]
    fn the_memory_budget_gives_what_is_free_and_takes_it_back_when_dropped() {
        let budget = MemoryBudget::new(3 * 1024);
        let a = budget.try_reserve(2 * 1024).expect("2 KiB of 3");
        assert!(budget.try_reserve(1025).is_none(), "1025 bytes are 2 KiB: only 1 is free");
        let b = budget.try_reserve(1024).expect("the last KiB");
        assert!(budget.try_reserve(1).is_none());
        drop(a);
        assert!(budget.try_reserve(2048).is_some());
        drop(b);
        assert!(MemoryBudget::new(0).try_reserve(1).is_none(), "a budget of 0 keeps nothing in memory");
        assert!(MemoryBudget::new(usize::MAX).try_reserve(usize::MAX).is_none(), "more than a u32 of KiB is never reserved");
    }
}
