//! The check threads against servers on loopback: results come back as
//! batches, from every thread, and the threads end when dropped.

use super::*;
use crate::app::supervise::check::tests::closed_port;
use crate::app::supervise::engine::{self, Done};
use crate::apply::health::CheckKind;
use std::collections::HashSet;
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;
use std::time::Duration;

fn due(check: CheckKind, rip: SocketAddr, gen: u64) -> Due {
    engine::tests::due(&engine::tests::health(check, 500), rip, gen)
}

fn started(n: usize) -> (Workers, mpsc::Receiver<(std::thread::ThreadId, Vec<Done>)>) {
    let (tx, rx) = mpsc::channel();
    let send = move |batch| tx.send((std::thread::current().id(), batch)).is_ok();
    (Workers::start(n, send).unwrap(), rx)
}

#[allow(clippy::type_complexity)]
fn collect(
    rx: &mpsc::Receiver<(std::thread::ThreadId, Vec<Done>)>,
    n: usize,
) -> (Vec<Done>, HashSet<std::thread::ThreadId>) {
    let (mut out, mut from) = (Vec::new(), HashSet::new());
    while out.len() < n {
        let (id, batch) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("results in time");
        assert!(!batch.is_empty(), "a turn sends no empty batch");
        from.insert(id);
        out.extend(batch);
    }
    (out, from)
}

/// Checks given out in turn run on both threads, and each result comes
/// back once: a listening port up, a closed one down. Control: the
/// closed port's check does fail.
#[test]
fn checks_run_on_every_thread_and_each_comes_back_once() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let up = l.local_addr().unwrap();
    let down = closed_port();
    let (mut w, rx) = started(2);
    assert_eq!(w.len(), 2);
    for gen in 0..8 {
        let rip = if gen % 2 == 0 { up } else { down };
        w.submit(due(CheckKind::Tcp, rip, gen));
    }
    w.flush();
    let (out, from) = collect(&rx, 8);
    assert_eq!(from.len(), 2, "both threads ran checks");
    let mut gens: Vec<u64> = out.iter().map(|d| d.1).collect();
    gens.sort_unstable();
    assert_eq!(gens, (0..8).collect::<Vec<_>>());
    for (key, gen, o) in &out {
        assert_eq!(o.up, gen % 2 == 0, "{key:?} {gen}: {}", o.why);
    }
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "no more results"
    );
}

/// Nothing starts before the flush; what was submitted starts with it.
#[test]
fn submitted_checks_wait_for_the_flush() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let (mut w, rx) = started(1);
    w.submit(due(CheckKind::Tcp, l.local_addr().unwrap(), 1));
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());
    w.flush();
    let (out, _) = collect(&rx, 1);
    assert!(out[0].2.up);
}

/// A check that gets no answer times out on its thread (the thread
/// wakes for the deadline without any other event).
#[test]
fn a_silent_server_times_out_on_the_thread() {
    let l = mute_server();
    let (mut w, rx) = started(1);
    w.submit(due(CheckKind::Http("/".into()), l, 7));
    w.flush();
    let (out, _) = collect(&rx, 1);
    assert!(!out[0].2.up);
    assert!(out[0].2.why.contains("timed out after"), "{}", out[0].2.why);
}

/// A server that accepts and never answers an http request.
fn mute_server() -> SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let a = l.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        for c in l.incoming().flatten() {
            kept.push(c);
        }
    });
    a
}

/// Dropping the threads ends them, and then the sender is gone.
#[test]
fn dropped_workers_end_their_threads() {
    let (w, rx) = started(3);
    drop(w);
    assert!(matches!(
        rx.recv_timeout(Duration::from_secs(5)),
        Err(mpsc::RecvTimeoutError::Disconnected)
    ));
}

/// Whole milliseconds, rounded up; none waits for ever.
#[test]
fn timeouts_round_up_to_the_millisecond() {
    let now = Instant::now();
    assert_eq!(timeout_until(None, now), EpollTimeout::NONE);
    assert_eq!(timeout_until(Some(now), now), EpollTimeout::ZERO);
    let t = timeout_until(Some(now + Duration::from_micros(1500)), now);
    assert_eq!(t.as_millis(), Some(2));
    let t = timeout_until(Some(now + Duration::from_millis(3)), now);
    assert_eq!(t.as_millis(), Some(3));
}
