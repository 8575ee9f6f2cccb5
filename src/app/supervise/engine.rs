//! The supervisor's tcp and http checks without a task each: one
//! non-blocking socket per check in a slab, each registered once
//! (edge-triggered, in and out) in an epoll set of its own; the request
//! sent as soon as the connection is made; deadlines in a first-in,
//! first-out queue per timeout value (a check started later with the
//! same timeout ends later, so each queue is in order without sorting).
//!
//! A check thread ([`super::workers`]) waits on the set's descriptor and
//! calls [`Engine::ready`] when it is readable and [`Engine::expire`] at
//! [`Engine::next_deadline`]. A check's result is
//! the same as [`check::run`]'s for the same check (its tests compare
//! them): https, dns, exec and the agent keep their futures, which have
//! more to do per check than the runtime's own costs.
//!
//! Why: at 10 000 real servers a second, the runtime's work per check (a
//! task, a timer, its readiness registered and removed, a message back)
//! cost as much CPU as the check's own system calls. Here a check is a
//! slot, one registration (removed by the close), and a queue entry.

use super::check::{self, io_text, secs, Outcome};
use super::core::Due;
use super::state::Key;
use crate::apply::health::{CheckKind, Health};
use nix::errno::Errno;
use nix::sys::epoll::{Epoll, EpollCreateFlags, EpollEvent, EpollFlags, EpollTimeout};
use nix::sys::socket::{self, sockopt, MsgFlags, SockaddrStorage};
use std::borrow::Cow;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::Arc;
use std::time::{Duration, Instant};

use check::MAX_HEAD;

/// Events taken from the set per system call.
const BATCH: usize = 1024;

/// What a step of a check says: `None` while it goes on, else its end
/// (the reason it passed, or why it failed).
type Step = Option<Result<Cow<'static, str>, String>>;

/// A finished check: which real server, its generation, the result.
pub type Done = (Key, u64, Outcome);

/// Where a check is.
enum Stage {
    /// Connecting.
    Connect,
    /// Connected, the request (http) partly sent: the bytes still to go.
    Send(Vec<u8>),
    /// The request sent, the answer read until its status line.
    Read(Vec<u8>),
}

/// One check in flight.
struct Conn {
    fd: OwnedFd,
    key: Key,
    gen: u64,
    health: Arc<Health>,
    /// The address checked.
    addr: SocketAddr,
    stage: Stage,
    started: Instant,
    /// When the current step (the connection, then the request and its
    /// answer) times out.
    deadline: Instant,
    /// Tells this check from an earlier one in the same slot.
    serial: u32,
}

impl Conn {
    /// `tcp` or `http`.
    fn what(&self) -> &'static str {
        self.health.check.name()
    }
}

/// Deadlines of one timeout value: (deadline, slot, serial), oldest
/// first.
type Queue = VecDeque<(Instant, usize, u32)>;

/// The checks in flight and their epoll set.
pub struct Engine {
    epoll: Epoll,
    slots: Vec<Option<Conn>>,
    free: Vec<usize>,
    /// A queue per timeout value. An entry whose slot has moved on
    /// (ended, or its next step has its own entry) is dropped when it
    /// comes up.
    deadlines: Vec<(Duration, Queue)>,
    serial: u32,
    events: Vec<EpollEvent>,
    /// Room to read an answer into before it is kept (most answers'
    /// status lines come in their first segment, and are never copied).
    scratch: Box<[u8]>,
}

/// Whether the engine runs this check (tcp and http).
pub fn handles(h: &Health) -> bool {
    matches!(h.check, CheckKind::Tcp | CheckKind::Http(_))
}

impl Engine {
    /// A new engine with an epoll set of its own.
    pub fn new() -> std::io::Result<Engine> {
        let epoll = Epoll::new(EpollCreateFlags::EPOLL_CLOEXEC)?;
        Ok(Engine {
            epoll,
            slots: Vec::new(),
            free: Vec::new(),
            deadlines: Vec::new(),
            serial: 0,
            events: vec![EpollEvent::empty(); BATCH],
            scratch: vec![0u8; MAX_HEAD + 512].into_boxed_slice(),
        })
    }

    /// A descriptor of the epoll set (a duplicate, owned by what it
    /// returns), readable when a check has something to do.
    pub fn watch(&self) -> std::io::Result<SetFd> {
        self.epoll.0.try_clone().map(SetFd)
    }

    /// How many checks are in flight.
    #[cfg(test)]
    pub fn running(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Start the check `d` (one [`handles`] takes); its result now when
    /// it ends at once (no socket, an unreachable network).
    pub fn start(&mut self, d: Due, now: Instant) -> Option<Done> {
        let addr = check::checked_addr(&d.health, &d.target);
        let what = d.health.check.name();
        let fd = match check::connecting(addr) {
            Ok(fd) => fd,
            Err(e) => {
                let why = check::connect_failed(what, &e.into());
                return Some((d.key, d.gen, Outcome::of(Err(why), Duration::ZERO)));
            }
        };
        let slot = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slots.push(None);
                self.slots.len() - 1
            }
        };
        self.serial = self.serial.wrapping_add(1);
        let serial = self.serial;
        let flags = EpollFlags::EPOLLIN
            | EpollFlags::EPOLLOUT
            | EpollFlags::EPOLLRDHUP
            | EpollFlags::EPOLLET;
        if let Err(e) = self
            .epoll
            .add(&fd, EpollEvent::new(flags, token(slot, serial)))
        {
            self.free.push(slot);
            let why = check::connect_failed(what, &e.into());
            return Some((d.key, d.gen, Outcome::of(Err(why), Duration::ZERO)));
        }
        let deadline = now + d.health.timeout;
        self.slots[slot] = Some(Conn {
            fd,
            key: d.key,
            gen: d.gen,
            addr,
            stage: Stage::Connect,
            started: now,
            deadline,
            serial,
            health: d.health,
        });
        self.queue(deadline, slot, serial);
        None
    }

    fn queue(&mut self, at: Instant, slot: usize, serial: u32) {
        let timeout = match &self.slots[slot] {
            Some(c) => c.health.timeout,
            None => return,
        };
        match self.deadlines.iter_mut().find(|(t, _)| *t == timeout) {
            Some((_, q)) => q.push_back((at, slot, serial)),
            None => self
                .deadlines
                .push((timeout, VecDeque::from([(at, slot, serial)]))),
        }
    }

    /// When the next check in flight times out. The entries of checks
    /// that have ended or moved on to their next step are dropped from
    /// the queues' fronts first: most checks end long before their
    /// timeout, and a wake-up for each of their deadlines would double
    /// the loop's wake-ups for nothing.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        let slots = &self.slots;
        for (_, q) in self.deadlines.iter_mut() {
            while let Some(&entry) = q.front() {
                if current(slots, entry).is_some() {
                    break;
                }
                q.pop_front();
            }
        }
        self.deadlines.retain(|(_, q)| !q.is_empty());
        self.deadlines
            .iter()
            .filter_map(|(_, q)| q.front().map(|e| e.0))
            .min()
    }

    /// Take what the sockets have to say: the checks that end, into
    /// `out`. Call when the set's descriptor is readable, until it is
    /// not (this reads the set until it is empty).
    pub fn ready(&mut self, now: Instant, out: &mut Vec<Done>) {
        loop {
            let n = match self.epoll.wait(&mut self.events, EpollTimeout::ZERO) {
                Ok(n) => n,
                Err(Errno::EINTR) => continue,
                Err(_) => 0,
            };
            for i in 0..n {
                let ev = self.events[i];
                let (slot, serial) = untoken(ev.data());
                let live = matches!(self.slots.get(slot), Some(Some(c)) if c.serial == serial);
                if live {
                    if let Some(o) = self.step(slot, ev.events(), now) {
                        self.end(slot, o, out);
                    }
                }
            }
            if n < self.events.len() {
                return;
            }
        }
    }

    /// The checks whose step has not ended by `now`: timeouts into `out`
    /// (a connection the kernel made meanwhile goes on: the socket is
    /// asked, not only this loop's view of it).
    pub fn expire(&mut self, now: Instant, out: &mut Vec<Done>) {
        for q in 0..self.deadlines.len() {
            while let Some(&(at, slot, serial)) = self.deadlines[q].1.front() {
                if at > now {
                    break;
                }
                self.deadlines[q].1.pop_front();
                let Some(c) = current(&self.slots, (at, slot, serial)) else {
                    continue;
                };
                let connected = matches!(c.stage, Stage::Connect)
                    && socket::getpeername::<SockaddrStorage>(c.fd.as_raw_fd()).is_ok();
                if connected {
                    if let Some(o) = self.connected(slot, EpollFlags::empty(), now) {
                        self.end(slot, o, out);
                    }
                    continue;
                }
                let what = c.what();
                let limit = secs(c.health.timeout);
                let why = match c.stage {
                    Stage::Connect => format!("{what} connect timed out after {limit}"),
                    _ => format!("{what} timed out after {limit}"),
                };
                self.end(slot, Err(why), out);
            }
        }
        self.deadlines.retain(|(_, q)| !q.is_empty());
    }

    /// The check in `slot` ends with `r`: its socket closed (with a
    /// reset when it was made, see [`check`]'s connect), its slot freed.
    fn end(&mut self, slot: usize, r: Result<Cow<'static, str>, String>, out: &mut Vec<Done>) {
        let Some(c) = self.slots.get_mut(slot).and_then(Option::take) else {
            return;
        };
        self.free.push(slot);
        out.push((c.key, c.gen, Outcome::of(r, c.started.elapsed())));
    }

    /// What the events `ev` on the check in `slot` do: `Some` when it
    /// ends.
    fn step(&mut self, slot: usize, ev: EpollFlags, now: Instant) -> Step {
        let c = self.slots[slot].as_mut()?;
        match c.stage {
            Stage::Connect => {
                if ev.intersects(EpollFlags::EPOLLERR | EpollFlags::EPOLLHUP) {
                    let what = c.what();
                    match socket::getsockopt(&c.fd, sockopt::SocketError) {
                        Ok(0) => {}
                        Ok(e) => {
                            let e = std::io::Error::from_raw_os_error(e);
                            return Some(Err(check::connect_failed(what, &e)));
                        }
                        Err(e) => return Some(Err(check::connect_failed(what, &e.into()))),
                    }
                }
                if ev.contains(EpollFlags::EPOLLOUT) {
                    return self.connected(slot, ev, now);
                }
                None
            }
            Stage::Send(_) => {
                if ev.intersects(EpollFlags::EPOLLOUT | EpollFlags::EPOLLERR | EpollFlags::EPOLLHUP)
                {
                    return self.send(slot, ev);
                }
                None
            }
            Stage::Read(_) => {
                if readable(ev) {
                    return self.read(slot);
                }
                None
            }
        }
    }

    /// The connection of `slot` is made: a tcp check passes; an http
    /// check sends its request, within a timeout of its own.
    fn connected(&mut self, slot: usize, ev: EpollFlags, now: Instant) -> Step {
        let c = self.slots[slot].as_mut()?;
        // without it the check still works, with a normal close
        let _ = socket::setsockopt(
            &c.fd,
            sockopt::Linger,
            &nix::libc::linger {
                l_onoff: 1,
                l_linger: 0,
            },
        );
        let CheckKind::Http(path) = &c.health.check else {
            return Some(Ok("tcp connect ok".into()));
        };
        let req = check::http_request(path, &c.health, c.addr);
        c.stage = Stage::Send(req.into_bytes());
        c.deadline = now + c.health.timeout;
        let (at, serial) = (c.deadline, c.serial);
        self.queue(at, slot, serial);
        self.send(slot, ev)
    }

    /// Send what is left of the request; then read when the events say
    /// that something came.
    fn send(&mut self, slot: usize, ev: EpollFlags) -> Option<Result<Cow<'static, str>, String>> {
        let c = self.slots[slot].as_mut()?;
        let Stage::Send(left) = &mut c.stage else {
            return None;
        };
        while !left.is_empty() {
            match socket::send(c.fd.as_raw_fd(), left, MsgFlags::MSG_NOSIGNAL) {
                Ok(n) => {
                    left.drain(..n);
                }
                Err(Errno::EAGAIN) => return None,
                Err(Errno::EINTR) => {}
                Err(e) => return Some(Err(format!("http send: {}", io_text(&e.into())))),
            }
        }
        c.stage = Stage::Read(Vec::new());
        // an answer (or a close) that came with this event has had its
        // edge already
        if readable(ev) {
            return self.read(slot);
        }
        None
    }

    /// Read the answer until its status line, the end or nothing more
    /// for now.
    fn read(&mut self, slot: usize) -> Step {
        let c = self.slots[slot].as_mut()?;
        let Stage::Read(kept) = &mut c.stage else {
            return None;
        };
        loop {
            let n = match socket::recv(c.fd.as_raw_fd(), &mut self.scratch, MsgFlags::empty()) {
                Ok(0) => return Some(Err("http: connection closed before a status line".into())),
                Ok(n) => n,
                Err(Errno::EAGAIN) => return None,
                Err(Errno::EINTR) => continue,
                Err(e) => return Some(Err(format!("http receive: {}", io_text(&e.into())))),
            };
            let got = &self.scratch[..n];
            let head: &[u8] = if kept.is_empty() {
                got
            } else {
                kept.extend_from_slice(got);
                kept
            };
            if let Some(i) = head.windows(2).position(|w| w == b"\r\n") {
                return Some(check::judge_status("http", &head[..i], &c.health));
            }
            if head.len() > MAX_HEAD {
                return Some(Err(format!(
                    "http: no status line in the first {MAX_HEAD} bytes"
                )));
            }
            if kept.is_empty() {
                kept.extend_from_slice(got);
            }
        }
    }
}

/// The check a deadline entry is for, if that check is still in flight
/// and at the step the entry times (not ended, its slot not taken by a
/// later check, its deadline not moved on by its next step).
fn current(slots: &[Option<Conn>], (at, slot, serial): (Instant, usize, u32)) -> Option<&Conn> {
    match slots.get(slot) {
        Some(Some(c)) if c.serial == serial && c.deadline == at => Some(c),
        _ => None,
    }
}

/// Whether the events say an answer, or its end, may be there to read.
fn readable(ev: EpollFlags) -> bool {
    ev.intersects(
        EpollFlags::EPOLLIN | EpollFlags::EPOLLRDHUP | EpollFlags::EPOLLHUP | EpollFlags::EPOLLERR,
    )
}

/// The epoll data of a check: its slot and serial.
fn token(slot: usize, serial: u32) -> u64 {
    (u64::from(serial) << 32) | (slot as u64 & 0xffff_ffff)
}

fn untoken(t: u64) -> (usize, u32) {
    ((t & 0xffff_ffff) as usize, (t >> 32) as u32)
}

/// The engine's epoll set as a descriptor another epoll set (or the
/// tests' runtime) can watch: its own duplicate, open as long as this
/// lives.
pub struct SetFd(OwnedFd);

impl AsFd for SetFd {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}

impl AsRawFd for SetFd {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

/// The set in the runtime's reactor, readable when a check has something
/// to do (the tests drive the engine this way). (tokio deprecates this
/// constructor for a descriptor that could be closed while watched, and
/// offers an `unsafe` one instead, which this crate forbids; a [`SetFd`]
/// owns its descriptor, so it stays open while watched.)
#[cfg(test)]
#[allow(deprecated)]
pub fn watched(fd: SetFd) -> std::io::Result<tokio::io::unix::AsyncFd<SetFd>> {
    tokio::io::unix::AsyncFd::with_interest(fd, tokio::io::Interest::READABLE)
}

#[cfg(test)]
#[path = "engine_tests.rs"]
pub(super) mod tests;
