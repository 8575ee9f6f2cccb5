//! The tcp and http checks on threads of their own: each thread owns an
//! [`Engine`] and blocks in an epoll set of its own watching two things,
//! the engine's sockets and an eventfd that says new checks are waiting
//! in its inbox. The supervisor's loop hands out due checks in turn
//! ([`Workers::submit`], then one wake-up per thread and batch with
//! [`Workers::flush`]) and takes the results back as messages, one batch
//! per turn of a thread.
//!
//! Why: each check's system calls (connect, send, receive, close) cost
//! far more than the supervisor's own work on its result, and on a
//! director whose real servers share the CPU (the benchmark's guest) a
//! thousand http checks a second kept a single loop busy nearly all the
//! time: the checks due while it handled the last batch's results
//! started late, and a failure was found late. On a thread of their own
//! the checks run beside the loop (on another core when there is one),
//! and the loop's work on results and reconciliations no longer holds
//! them up.

use super::core::Due;
use super::engine::{Done, Engine};
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::eventfd::{EfdFlags, EventFd};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How many check threads the supervisor starts: one, beside its loop.
/// In the benchmark's guest (2 vCPUs, the real servers on the same
/// vCPUs), http checks with a path per service at 1 000 real servers,
/// medians of three runs: one thread cost 609 ms of CPU per 1 000 checks
/// (keepalived 659 in the same boot), two threads 860 (keepalived 685;
/// the whole guest was busier, so the kernel's work per check cost more,
/// likely from the sockets' work moving between the vCPUs, which was not
/// measured). One thread kept up
/// with every check (1 000 a second) where the single loop had fallen
/// behind (983 a second, started up to 350 ms late).
pub const THREADS: usize = 1;

/// The epoll data of a thread's eventfd (its engine's set is 0).
const WAKE: u64 = 1;

/// The least time between the starts of two turns of a check thread:
/// what comes meanwhile (answers, new checks) waits for the next turn,
/// at most this long, and is handled with the rest, so that the thread
/// (and the loop its results wake) turns at most 50 times a second
/// however many checks run, instead of once for every event or two. The
/// loop starts checks in the same steps (its `SLACK`). A step of a check
/// may end up to this much later than its answer came, and a check's
/// latency (shown and exported) is its time to within this much. In the
/// benchmark's guest (http checks a path per service, 1 000 real
/// servers, one thread, medians of three runs, each boot against
/// keepalived): CPU per check 0.85x keepalived's with 20 ms, 0.92x and
/// 1.02x with 5 ms (two boots), 0.96x with none.
const GAP: Duration = Duration::from_millis(20);

/// What the loop leaves for a thread.
#[derive(Default)]
struct Inbox {
    due: Vec<Due>,
    stop: bool,
}

/// One check thread, as the loop sees it.
struct Worker {
    inbox: Arc<Mutex<Inbox>>,
    wake: Arc<EventFd>,
    thread: Option<JoinHandle<()>>,
}

/// The check threads.
pub struct Workers {
    each: Vec<Worker>,
    /// Checks submitted since the last flush, per thread.
    pending: Vec<Vec<Due>>,
    /// The thread the next check goes to.
    next: usize,
}

impl Workers {
    /// `n` threads (at least one), each passing its results to `send`,
    /// which says `false` once nobody takes them (the thread then ends).
    pub fn start<F>(n: usize, send: F) -> std::io::Result<Workers>
    where
        F: Fn(Vec<Done>) -> bool + Send + Clone + 'static,
    {
        let mut each = Vec::new();
        for i in 0..n.max(1) {
            let engine = Engine::new()?;
            let set = engine.watch()?;
            let wake = Arc::new(EventFd::from_flags(
                EfdFlags::EFD_CLOEXEC | EfdFlags::EFD_NONBLOCK,
            )?);
            let waits = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
            // (the registration outlives `set`, a duplicate: the engine
            // keeps its own descriptor of the same set open)
            waits.add(&set, EpollEvent::new(EpollFlags::EPOLLIN, 0))?;
            waits.add(wake.as_ref(), EpollEvent::new(EpollFlags::EPOLLIN, WAKE))?;
            let inbox = Arc::new(Mutex::new(Inbox::default()));
            let thread = {
                let (inbox, wake, send) = (inbox.clone(), wake.clone(), send.clone());
                std::thread::Builder::new()
                    .name(format!("checks-{i}"))
                    .spawn(move || work(engine, waits, &inbox, &wake, send))?
            };
            each.push(Worker {
                inbox,
                wake,
                thread: Some(thread),
            });
        }
        let pending = each.iter().map(|_| Vec::new()).collect();
        Ok(Workers {
            each,
            pending,
            next: 0,
        })
    }

    /// How many threads.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.each.len()
    }

    /// Give the check `d` to the next thread in turn (it starts at the
    /// next [`Workers::flush`]).
    pub fn submit(&mut self, d: Due) {
        let i = self.next % self.pending.len().max(1);
        self.next = i + 1;
        if let Some(p) = self.pending.get_mut(i) {
            p.push(d);
        }
    }

    /// Hand the submitted checks over, one wake-up per thread that has
    /// some.
    pub fn flush(&mut self) {
        for (w, p) in self.each.iter().zip(self.pending.iter_mut()) {
            if p.is_empty() {
                continue;
            }
            if let Ok(mut inbox) = w.inbox.lock() {
                inbox.due.append(p);
            }
            // a full counter (never: it is read at each wake-up) still
            // wakes the thread
            let _ = w.wake.write(1);
        }
    }
}

impl Drop for Workers {
    /// The threads end (checks in flight are dropped, their sockets
    /// closed).
    fn drop(&mut self) {
        for w in &self.each {
            if let Ok(mut inbox) = w.inbox.lock() {
                inbox.stop = true;
            }
            let _ = w.wake.write(1);
        }
        for w in &mut self.each {
            if let Some(t) = w.thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// A check thread: start what the inbox holds, take what the sockets
/// say, time out what is late; the results of each turn in one batch.
fn work<F>(mut engine: Engine, waits: Epoll, inbox: &Mutex<Inbox>, wake: &EventFd, send: F)
where
    F: Fn(Vec<Done>) -> bool,
{
    let mut events = [EpollEvent::empty(); 2];
    let mut due = Vec::new();
    let mut out = Vec::new();
    let mut last = Instant::now();
    loop {
        let since = last.elapsed();
        if since < GAP {
            std::thread::sleep(GAP - since);
        }
        let deadline = engine.next_deadline();
        let n = match waits.wait(&mut events, timeout_until(deadline, Instant::now())) {
            Ok(n) => n,
            Err(Errno::EINTR) => 0,
            // (the set and the eventfd are this thread's own: no other
            // error can come, and this one would come again)
            Err(_) => return,
        };
        let now = Instant::now();
        last = now;
        let (mut woken, mut sockets) = (false, false);
        for ev in &events[..n] {
            if ev.data() == WAKE {
                woken = true;
            } else {
                sockets = true;
            }
        }
        if woken {
            let _ = wake.read();
            let stop = match inbox.lock() {
                Ok(mut inbox) => {
                    std::mem::swap(&mut inbox.due, &mut due);
                    inbox.stop
                }
                Err(_) => true,
            };
            if stop {
                return;
            }
            for d in due.drain(..) {
                out.extend(engine.start(d, now));
            }
        }
        let late = deadline.is_some_and(|t| t <= now);
        // what the sockets said first: a thread late for the timeouts
        // does not count answers that came in time as timeouts
        if sockets || late {
            engine.ready(now, &mut out);
        }
        if late {
            engine.expire(now, &mut out);
        }
        if !out.is_empty() && !send(std::mem::take(&mut out)) {
            return;
        }
    }
}

/// The wait until `deadline`, in whole milliseconds rounded up (so that
/// the thread does not wake just before it and wait again); no deadline
/// waits for ever.
pub fn timeout_until(deadline: Option<Instant>, now: Instant) -> EpollTimeout {
    let Some(t) = deadline else {
        return EpollTimeout::NONE;
    };
    let left = t.saturating_duration_since(now);
    let ms = left.as_nanos().div_ceil(1_000_000);
    EpollTimeout::try_from(ms).unwrap_or(EpollTimeout::MAX)
}

#[cfg(test)]
#[path = "workers_tests.rs"]
mod tests;
