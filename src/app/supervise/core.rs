//! The supervisor without its runtime: the file's configuration, the state
//! of every checked real server, which checks are due, and the
//! reconciliation that makes the kernel equal to the wanted table.
//!
//! The supervisor owns exactly the services of its file (its scope): each
//! full reconciliation reads them from the kernel (one dump; a state
//! change reads only the services it touched), plans the
//! difference with the table it wants ([`super::state::desired`]) and
//! makes it through the same atomic apply as `--apply` (batched, undone
//! on a refusal, never a flush), under the writer lock. A manual change to
//! one of its services is so undone at the next reconciliation, and
//! logged as each change is. Services a reload removed from the file stay
//! in scope until they are deleted.

use super::check::Target;
use super::state::{desired, in_maintenance, Key, Server};
use crate::app::Ctx;
use crate::apply::health::{CheckKind, HealthLines};
use crate::apply::{plan, Change, Wanted};
use crate::cli::ApplyArgs;
use lvs::model::{Dest, Service, ServiceKey};
use lvs::netlink::{ipvs_strerror, Op};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A rule file with its health options.
#[derive(Debug, Clone)]
pub struct Config {
    /// The services and real servers, as written.
    pub wanted: Vec<Wanted>,
    /// The health options of its lines.
    pub health: HealthLines,
}

/// Where a check or agent request stands.
#[derive(Debug, Clone, Copy, Default)]
struct Sched {
    /// When the next check is due.
    next: Option<Instant>,
    /// A check is running.
    busy: bool,
    /// When the next agent request is due.
    agent_next: Option<Instant>,
    /// An agent request is running.
    agent_busy: bool,
}

/// What one check asks: the checks of real servers with the same probe
/// get the same answer (the same address and port, the same request, the
/// same limits), so one check is made for all of them and its result
/// counts for each. A real server behind 100 services is checked once
/// an interval, not 100 times: the director makes fewer checks, the real
/// server answers fewer, and all its entries change together. Each keeps
/// its own rise and fall counts, slow start and agent.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Probe {
    addr: SocketAddr,
    check: CheckKind,
    interval: Duration,
    timeout: Duration,
    expect: (u16, u16),
    host: Option<String>,
    /// exec checks are given the virtual service: theirs is part of it
    service: Option<(Option<SocketAddr>, u32)>,
}

impl Probe {
    fn of(h: &crate::apply::health::Health, t: &Target) -> Probe {
        Probe {
            addr: super::check::checked_addr(h, t),
            check: h.check.clone(),
            interval: h.interval,
            timeout: h.timeout,
            expect: h.expect,
            host: h.host.clone(),
            service: matches!(h.check, CheckKind::Exec(_)).then_some((t.vip, t.fwmark)),
        }
    }
}

/// A checked real server's checks.
#[derive(Debug)]
struct Slot {
    key: Key,
    sched: Sched,
    /// Its configuration generation (results of an older one are
    /// dropped).
    gen: u64,
    /// What its checks connect to, and their settings, shared with every
    /// check started (not copied).
    target: Target,
    health: Arc<crate::apply::health::Health>,
    /// The slot whose check answers for this one (see [`Probe`]).
    leader: Option<u32>,
    /// The slots this one's check answers for.
    followers: Vec<u32>,
}

/// The supervisor's state.
pub struct Supervisor {
    /// The configuration in force.
    pub cfg: Config,
    /// Every checked real server.
    pub servers: HashMap<Key, Server>,
    /// What the checks of each checked real server need, in one place (a
    /// check's start and end touch one slot, not a map lookup each for
    /// its schedule, generation and target), in file order.
    slots: Vec<Slot>,
    /// Each checked real server's slot.
    index: HashMap<Key, u32>,
    /// When checks and agent requests are due, earliest first: (time,
    /// agent request, slot). An entry whose time is no longer its slot's
    /// next (rescheduled) is skipped when it comes up, so nothing is
    /// searched for: at 10 000 real servers a wake-up looks at the few
    /// that are due, not at all of them. Rebuilt by each reload.
    queue: BinaryHeap<Reverse<(Instant, bool, u32)>>,
    /// Services removed by a reload, kept in scope until deleted.
    leaving: HashSet<ServiceKey>,
    gen: u64,
    /// `--drain SECS`: real servers a reload removes from a service that
    /// stays are drained (weight 0, deleted once they have no
    /// connections, or after SECS) instead of deleted at once.
    pub drain: Option<Duration>,
    /// Real servers being drained: the dest (weight 0), since when, and
    /// the deadline.
    draining: HashMap<Key, (Dest, Instant, Instant)>,
    /// Real servers an operator holds out ([`crate::app::hold`]): whether
    /// the kernel has shown it out (weight 0 or absent) since the hold.
    pub held: HashMap<Key, bool>,
    /// The directory of holds, once read.
    hold_dir: Option<std::path::PathBuf>,
    /// A check gave a result other than its real server's last one (the
    /// first, or a new reason) since the runner last took this: the
    /// state file is written at the next second instead of waiting for
    /// its periodic writing, so `-L --health-status` shows it.
    pub fresh: bool,
}

/// A check to start.
#[derive(Debug, Clone)]
pub struct Due {
    /// Which real server.
    pub key: Key,
    /// Its generation.
    pub gen: u64,
    /// What to run.
    pub health: Arc<crate::apply::health::Health>,
    /// On what.
    pub target: Target,
    /// An agent request rather than a check.
    pub agent: bool,
}

/// When a check (or agent request) that was due at `was` and has just
/// ended at `now`, after running for `took`, is due again: one interval
/// after it was due, so that checks start every interval whatever each
/// one takes (not an interval after each ends, which would stretch a 1 s
/// interval by every check's time). When that time has passed:
///
/// * the check itself took longer than the interval (a timeout longer
///   than the interval): at once, so that failures are counted as fast
///   as they come;
/// * it started late (the loop was held up, or at start behind the
///   first reconciliation): at its next time in its own rhythm, `was` and
///   a whole number of intervals. "At once" here made every check held up
///   together due at the same moment from then on: a loop held up for
///   more than an interval once turned checks spread over the interval
///   into a few bursts for good, and a failure was found only at the
///   next burst.
pub fn every(was: Option<Instant>, interval: Duration, now: Instant, took: Duration) -> Instant {
    let Some(t) = was else {
        return now + interval;
    };
    let next = t + interval;
    if next >= now || interval.is_zero() {
        return next.max(now);
    }
    if took >= interval {
        return now;
    }
    // the first of t + k * interval (k >= 2) at or after now
    let late = now.saturating_duration_since(t).as_nanos();
    let step = interval.as_nanos();
    let k = late.div_ceil(step);
    let ahead = step.saturating_mul(k).saturating_sub(late);
    now + Duration::from_nanos(u64::try_from(ahead).unwrap_or(u64::MAX))
}

/// What a reconciliation covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Round {
    /// The whole scope, read in one dump: the services that left the
    /// file are deleted.
    Full,
    /// A slice of the periodic read: mostly nothing to change.
    Slice,
    /// Services whose real servers changed state: nearly always a change.
    Changed,
}

/// How a real server is named in logs: `-t 192.0.2.1:80 -r 198.51.100.1:80`.
pub fn name(key: &Key) -> String {
    let (sk, dk) = key;
    format!("{sk} -r {}", SocketAddr::new(dk.1, dk.2))
}

/// The live table of the services in `scope`.
pub fn read_live(
    ctx: &mut Ctx<'_>,
    scope: &HashSet<ServiceKey>,
) -> Result<Vec<(Service, Vec<Dest>)>, String> {
    let services: Vec<Service> = ctx
        .kernel
        .services()
        .map_err(|e| ipvs_strerror(Op::GetServices, e.errno()))?
        .into_iter()
        .filter(|s| scope.contains(&s.key()))
        .collect();
    let dests = ctx
        .kernel
        .dests_many(&lvs::model::ServiceKey::of_each(&services))
        .map_err(|e| ipvs_strerror(Op::GetDests, e.errno()))?;
    Ok(services.into_iter().zip(dests).collect())
}

/// [`read_live`] of a few services of a large table: each read by its key
/// (a `GET_SERVICE` and its real servers), where a full dump would read
/// every service of the table to keep a handful. A service the kernel
/// does not have is absent from the result, as from a dump.
pub fn read_some(
    ctx: &mut Ctx<'_>,
    scope: &HashSet<ServiceKey>,
) -> Result<Vec<(Service, Vec<Dest>)>, String> {
    let absent = |e: &lvs::netlink::Error| e.errno() == nix::libc::ESRCH;
    let mut keys: Vec<&ServiceKey> = scope.iter().collect();
    keys.sort();
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
        let svc = match ctx.kernel.service(key) {
            Ok(s) => s,
            Err(e) if absent(&e) => continue,
            Err(e) => return Err(ipvs_strerror(Op::GetService, e.errno())),
        };
        match ctx.kernel.dests(key) {
            Ok(ds) => out.push((svc, ds)),
            // deleted between the two requests
            Err(e) if absent(&e) => continue,
            Err(e) => return Err(ipvs_strerror(Op::GetDests, e.errno())),
        }
    }
    Ok(out)
}

/// Whether `some` services of a table of `all` are read by key rather
/// than by a dump of all ([`read_some`]): two requests per service
/// against one dump whose every service costs a message.
pub fn read_by_key(some: usize, all: usize) -> bool {
    some.saturating_mul(8) <= all
}

fn live_weights(live: &[(Service, Vec<Dest>)]) -> HashMap<Key, i32> {
    live.iter()
        .flat_map(|(s, ds)| {
            let sk = s.key();
            ds.iter().map(move |d| ((sk, d.key()), d.weight))
        })
        .collect()
}

fn target(w: &Wanted, d: &Dest) -> Target {
    Target {
        vip: (w.svc.fwmark == 0).then(|| SocketAddr::new(w.svc.addr, w.svc.port)),
        fwmark: w.svc.fwmark,
        rip: d.socket_addr(),
    }
}

impl Supervisor {
    /// Supervision begins: each checked real server's state from the
    /// kernel's table (see [`Server::new`]).
    pub fn start(cfg: Config, ctx: &mut Ctx<'_>, now: Instant) -> Result<Supervisor, String> {
        let mut s = Supervisor {
            cfg: Config {
                wanted: Vec::new(),
                health: HealthLines::default(),
            },
            servers: HashMap::new(),
            slots: Vec::new(),
            index: HashMap::new(),
            queue: BinaryHeap::new(),
            leaving: HashSet::new(),
            gen: 0,
            drain: None,
            draining: HashMap::new(),
            held: HashMap::new(),
            hold_dir: None,
            fresh: false,
        };
        s.reload(cfg, ctx, now)?;
        Ok(s)
    }

    /// The services in scope: the file's, and those leaving it.
    pub fn scope(&self) -> HashSet<ServiceKey> {
        self.cfg
            .wanted
            .iter()
            .map(|w| w.svc.key())
            .chain(self.leaving.iter().copied())
            .collect()
    }

    /// A new configuration (start or SIGHUP): real servers kept keep their
    /// state (their checks as the new file says), new ones start from the
    /// kernel's table, services no longer in the file stay in scope until
    /// deleted. Returns log lines.
    pub fn reload(
        &mut self,
        cfg: Config,
        ctx: &mut Ctx<'_>,
        now: Instant,
    ) -> Result<Vec<String>, String> {
        let new_keys: HashSet<ServiceKey> = cfg.wanted.iter().map(|w| w.svc.key()).collect();
        let mut scope = self.scope();
        scope.extend(new_keys.iter().copied());
        let live = read_live(ctx, &scope)?;
        let weights = live_weights(&live);
        self.gen += 1;
        let mut logs = Vec::new();
        let mut servers = HashMap::new();
        let mut slots: Vec<Slot> = Vec::new();
        let mut index = HashMap::new();
        let mut probes: HashMap<Probe, u32> = HashMap::new();
        let total: usize = cfg.wanted.iter().map(|w| w.dests.len()).sum();
        let mut i = 0u32;
        for w in &cfg.wanted {
            let sk = w.svc.key();
            for d in &w.dests {
                let key = (sk, d.dest.key());
                let health = cfg.health.health(&sk, &key.1);
                i += 1;
                if !health.is_checked() {
                    continue;
                }
                let mut kept = None;
                let server = match self.servers.remove(&key) {
                    Some(mut old) => {
                        let same = old.health == health && old.written == d.dest.weight;
                        old.health = health.clone();
                        old.written = d.dest.weight;
                        if same {
                            kept = self
                                .index
                                .get(&key)
                                .and_then(|&j| self.slots.get(j as usize))
                                .map(|o| (o.sched, o.gen));
                        }
                        old
                    }
                    None => {
                        let s = Server::new(
                            health.clone(),
                            d.dest.weight,
                            weights.get(&key).copied(),
                            now,
                        );
                        if s.status == super::state::Status::Down {
                            logs.push(format!(
                                "{}: waiting for {} good check{}",
                                name(&key),
                                health.rise,
                                if health.rise == 1 { "" } else { "s" }
                            ));
                        }
                        s
                    }
                };
                let (mut e, gen) = kept.unwrap_or((Sched::default(), self.gen));
                // first checks spread over one interval
                let offset = health
                    .interval
                    .mul_f64(f64::from(i) / (total.max(1) as f64));
                let t = target(w, &d.dest);
                let at = slots.len() as u32;
                let first = match health.check {
                    CheckKind::None => None,
                    _ => match probes.entry(Probe::of(&health, &t)) {
                        std::collections::hash_map::Entry::Occupied(o) => Some(*o.get()),
                        std::collections::hash_map::Entry::Vacant(v) => {
                            v.insert(at);
                            None
                        }
                    },
                };
                if let Some(first) = first {
                    // another's check answers for it: none of its own
                    // (one it has in flight still ends, and counts)
                    e.next = None;
                    slots[first as usize].followers.push(at);
                } else if e.next.is_none() && health.check != CheckKind::None {
                    e.next = Some(now + offset);
                }
                if e.agent_next.is_none() && health.agent.is_some() {
                    e.agent_next = Some(now + offset);
                }
                slots.push(Slot {
                    key,
                    sched: e,
                    gen,
                    target: t,
                    health: Arc::new(health.clone()),
                    leader: first,
                    followers: Vec::new(),
                });
                index.insert(key, at);
                servers.insert(key, server);
            }
        }
        if let Some(secs) = self.drain {
            let kept: HashSet<Key> = cfg
                .wanted
                .iter()
                .flat_map(|w| {
                    let sk = w.svc.key();
                    w.dests.iter().map(move |d| (sk, d.dest.key()))
                })
                .collect();
            for (s, ds) in &live {
                let sk = s.key();
                if !new_keys.contains(&sk) {
                    continue;
                }
                for d in ds {
                    let key = (sk, d.key());
                    let removed = !kept.contains(&key)
                        && self.cfg.wanted.iter().any(|w| {
                            w.svc.key() == sk && w.dests.iter().any(|x| x.dest.key() == key.1)
                        });
                    if removed && !self.draining.contains_key(&key) {
                        let mut z = d.clone();
                        z.weight = 0;
                        self.draining.insert(key, (z, now, now + secs));
                        logs.push(format!("{}: removed from the file: draining", name(&key)));
                    }
                }
            }
            self.draining.retain(|k, _| !kept.contains(k));
        }
        let old_scope = self.scope();
        self.leaving = old_scope.difference(&new_keys).copied().collect();
        self.servers = servers;
        // the queue anew: the slots' numbers are this configuration's
        self.queue = slots
            .iter()
            .enumerate()
            .flat_map(|(j, sl)| {
                let j = j as u32;
                [
                    sl.sched.next.map(|t| Reverse((t, false, j))),
                    sl.sched.agent_next.map(|t| Reverse((t, true, j))),
                ]
            })
            .flatten()
            .collect();
        self.slots = slots;
        self.index = index;
        self.cfg = cfg;
        Ok(logs)
    }

    /// The checks and agent requests due at `now` (marked running).
    #[cfg(test)]
    pub fn due(&mut self, now: Instant) -> Vec<Due> {
        self.due_at_most(now, usize::MAX)
    }

    /// As [`Supervisor::due`], but at most `room` of them; the others stay
    /// due, in their order.
    pub fn due_at_most(&mut self, now: Instant, room: usize) -> Vec<Due> {
        let mut out = Vec::new();
        while let Some(&Reverse((at, agent, j))) = self.queue.peek() {
            if out.len() >= room {
                break;
            }
            if at > now {
                break;
            }
            self.queue.pop();
            let Some(sl) = self.slots.get_mut(j as usize) else {
                continue;
            };
            let sc = &mut sl.sched;
            let (next, busy) = if agent {
                (sc.agent_next, &mut sc.agent_busy)
            } else {
                (sc.next, &mut sc.busy)
            };
            if *busy || next != Some(at) {
                continue;
            }
            *busy = true;
            out.push(Due {
                key: sl.key,
                gen: sl.gen,
                health: sl.health.clone(),
                target: sl.target.clone(),
                agent,
            });
        }
        out
    }

    /// When the next check or agent request is due (perhaps one since
    /// rescheduled: then [`Supervisor::due`] finds nothing and this moves
    /// on).
    /// The configuration's generation: it changes with each reload.
    pub fn generation(&self) -> u64 {
        self.gen
    }

    pub fn next_due(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _, _))| *at)
    }

    /// How many checks are made each round: one per distinct [`Probe`].
    pub fn probes(&self) -> usize {
        self.with_check().filter(|sl| sl.leader.is_none()).count()
    }

    /// How many real servers have a check (not only an agent).
    pub fn with_checks(&self) -> usize {
        self.with_check().count()
    }

    fn with_check(&self) -> impl Iterator<Item = &Slot> {
        self.slots
            .iter()
            .filter(|sl| sl.health.check != CheckKind::None)
    }

    /// The end of a check: its result counts for the real server and for
    /// every one whose checks it makes (see [`Probe`]). Returns a log
    /// line for each whose state changed.
    pub fn on_check(
        &mut self,
        key: &Key,
        gen: u64,
        up: bool,
        why: &str,
        latency: Duration,
        now: Instant,
    ) -> Vec<(Key, String)> {
        let mut out = Vec::new();
        let Some(&j) = self.index.get(key) else {
            return out;
        };
        let sl = &mut self.slots[j as usize];
        sl.sched.busy = false;
        if sl.leader.is_none() {
            let next = every(sl.sched.next, sl.health.interval, now, latency);
            sl.sched.next = Some(next);
            self.queue.push(Reverse((next, false, j)));
        }
        if sl.gen != gen {
            return out;
        }
        let sl = &self.slots[j as usize];
        for k in
            std::iter::once(key).chain(sl.followers.iter().map(|&f| &self.slots[f as usize].key))
        {
            let Some(s) = self.servers.get_mut(k) else {
                continue;
            };
            if !s.shows(up, why) {
                self.fresh = true;
            }
            if let Some(l) = s.on_result(now, up, why, latency) {
                out.push((*k, format!("{}: {l}", name(k))));
            }
        }
        out
    }

    /// The end of an agent request; log lines of what it changed.
    pub fn on_agent(
        &mut self,
        key: &Key,
        gen: u64,
        r: Result<super::agent::AgentReply, String>,
        now: Instant,
    ) -> Vec<String> {
        let Some(&j) = self.index.get(key) else {
            return Vec::new();
        };
        let sl = &mut self.slots[j as usize];
        sl.sched.agent_busy = false;
        // (an agent request's time is not measured: one that ends late
        // keeps its rhythm)
        let next = every(sl.sched.agent_next, sl.health.interval, now, Duration::ZERO);
        sl.sched.agent_next = Some(next);
        self.queue.push(Reverse((next, true, j)));
        if sl.gen != gen {
            return Vec::new();
        }
        let Some(s) = self.servers.get_mut(key) else {
            return Vec::new();
        };
        match r {
            Ok(reply) => s
                .on_agent(now, &reply)
                .into_iter()
                .map(|l| format!("{}: {l}", name(key)))
                .collect(),
            // unreachable agent: its last answer stays
            Err(_) => Vec::new(),
        }
    }

    /// The maintenance switches: the names in `dir` (absent: none).
    pub fn maintenance(&mut self, dir: &Path) -> Vec<String> {
        let names = dir_names(dir);
        let mut logs = Vec::new();
        // the usual case, every second: no switch and none in maintenance
        if names.is_empty() && !self.servers.values().any(|s| s.maint) {
            return logs;
        }
        for (key, s) in self.servers.iter_mut() {
            if let Some(l) =
                s.set_maint(in_maintenance(&names, SocketAddr::new(key.1 .1, key.1 .2)))
            {
                logs.push(format!("{}: {l}", name(key)));
            }
        }
        logs.sort();
        logs
    }

    /// The operator holds: the files in `dir` (absent: none) that name a
    /// real server of the file. Returns log lines.
    pub fn holds(&mut self, dir: &Path) -> Vec<String> {
        let names = dir_names(dir);
        self.hold_dir = Some(dir.to_path_buf());
        // the usual case: no hold recorded and none in force
        if names.is_empty() && self.held.is_empty() {
            return Vec::new();
        }
        let keys: HashSet<Key> = self
            .cfg
            .wanted
            .iter()
            .flat_map(|w| {
                let sk = w.svc.key();
                w.dests.iter().map(move |d| (sk, d.dest.key()))
            })
            .collect();
        let mut logs = Vec::new();
        for key in &keys {
            let on = names.contains(&crate::app::hold::file_name(&key.0, &key.1));
            match (on, self.held.contains_key(key)) {
                (true, false) => {
                    self.held.insert(*key, false);
                    logs.push(format!(
                        "{}: held out by an operator's drain: left as the kernel has it until released",
                        name(key)
                    ));
                }
                (false, true) => {
                    self.held.remove(key);
                    logs.push(format!(
                        "{}: hold released (its file was removed)",
                        name(key)
                    ));
                }
                _ => {}
            }
        }
        self.held.retain(|k, _| keys.contains(k));
        logs.sort();
        logs
    }

    /// The table wanted against `live`: the desired table, the real
    /// servers being drained, and the held ones as the kernel has them
    /// (absent when it has not). A held real server the kernel showed
    /// out and now has at a weight above 0 was put back by hand: its
    /// hold ends (its file is removed) and it is wanted as its checks say.
    fn wanted_against(
        &mut self,
        live: &[(Service, Vec<Dest>)],
        scope: &HashSet<ServiceKey>,
        now: Instant,
        logs: &mut Vec<String>,
    ) -> Vec<Wanted> {
        // only the services read: a state change in one service of a
        // thousand does not rebuild the other 999
        let mut want = self.desired_of(
            self.cfg
                .wanted
                .iter()
                .filter(|w| scope.contains(&w.svc.key())),
            now,
        );
        for (key, (d, _, _)) in &self.draining {
            if let Some(w) = want.iter_mut().find(|w| w.svc.key() == key.0) {
                w.dests.push(crate::apply::WantedDest {
                    dest: d.clone(),
                    u_given: false,
                    l_given: false,
                });
            }
        }
        let mut released = Vec::new();
        for (key, seen_out) in self.held.iter_mut() {
            if !scope.contains(&key.0) {
                // not read this time
                continue;
            }
            let there = live
                .iter()
                .find(|(s, _)| s.key() == key.0)
                .and_then(|(_, ds)| ds.iter().find(|d| d.key() == key.1));
            match there {
                Some(d) if d.weight > 0 && *seen_out => {
                    released.push((*key, d.weight));
                    continue;
                }
                Some(d) if d.weight > 0 => {}
                _ => *seen_out = true,
            }
            if let Some(w) = want.iter_mut().find(|w| w.svc.key() == key.0) {
                w.dests.retain(|x| x.dest.key() != key.1);
                if let Some(d) = there {
                    w.dests.push(crate::apply::WantedDest {
                        dest: d.clone(),
                        u_given: true,
                        l_given: true,
                    });
                }
            }
        }
        released.sort();
        for (key, weight) in released {
            self.held.remove(&key);
            if let Some(dir) = &self.hold_dir {
                let _ = std::fs::remove_file(dir.join(crate::app::hold::file_name(&key.0, &key.1)));
            }
            logs.push(format!(
                "{}: hold released: weight {weight} set by hand; checked again",
                name(&key)
            ));
        }
        want
    }

    /// The table wanted now.
    pub fn desired(&self, now: Instant) -> Vec<Wanted> {
        let health = &self.cfg.health;
        desired(&self.cfg.wanted, &self.servers, &|k| health.sorry(k), now)
    }

    /// [`Supervisor::desired`] of some of the file's services.
    pub fn desired_of<'a>(
        &self,
        wanted: impl IntoIterator<Item = &'a Wanted>,
        now: Instant,
    ) -> Vec<Wanted> {
        let health = &self.cfg.health;
        desired(wanted, &self.servers, &|k| health.sorry(k), now)
    }

    /// Make the kernel equal to the wanted table: read the services in
    /// scope, plan, and apply under the writer lock (`lock_dir`; `None`:
    /// no lock, for tests). Returns log lines, one per change made;
    /// `Err` when the kernel cannot be read or the apply failed (it was
    /// undone; the next reconciliation tries again).
    pub fn reconcile(
        &mut self,
        ctx: &mut Ctx<'_>,
        lock_dir: Option<&Path>,
        now: Instant,
    ) -> Result<Vec<String>, String> {
        let scope = self.scope();
        self.reconcile_in(ctx, lock_dir, now, &scope, Round::Full)
    }

    /// [`Supervisor::reconcile`] of the services in `only` (those in
    /// scope): what a state change needs, without reading the other
    /// services of a large file from the kernel. Services leaving the
    /// file are left to the next full reconciliation.
    pub fn reconcile_only(
        &mut self,
        ctx: &mut Ctx<'_>,
        lock_dir: Option<&Path>,
        now: Instant,
        only: &HashSet<ServiceKey>,
    ) -> Result<Vec<String>, String> {
        self.reconcile_part(ctx, lock_dir, now, only, Round::Changed)
    }

    /// [`Supervisor::reconcile_only`] as a round of the kind given: a
    /// slice of the periodic read ([`Round::Slice`], see `run`'s `Sweep`)
    /// reads its services without the writer lock first and takes the
    /// lock only when they differ from the wanted table (most slices find
    /// nothing to change).
    pub fn reconcile_part(
        &mut self,
        ctx: &mut Ctx<'_>,
        lock_dir: Option<&Path>,
        now: Instant,
        only: &HashSet<ServiceKey>,
        round: Round,
    ) -> Result<Vec<String>, String> {
        let scope: HashSet<ServiceKey> = self
            .cfg
            .wanted
            .iter()
            .map(|w| w.svc.key())
            .filter(|k| only.contains(k))
            .collect();
        if scope.is_empty() {
            return Ok(Vec::new());
        }
        self.reconcile_in(ctx, lock_dir, now, &scope, round)
    }

    fn reconcile_in(
        &mut self,
        ctx: &mut Ctx<'_>,
        lock_dir: Option<&Path>,
        now: Instant,
        scope: &HashSet<ServiceKey>,
        round: Round,
    ) -> Result<Vec<String>, String> {
        let full = round == Round::Full;
        let optimistic = round != Round::Changed;
        let by_key = !full && read_by_key(scope.len(), self.cfg.wanted.len());
        let read = |ctx: &mut Ctx<'_>| {
            if by_key {
                read_some(ctx, scope)
            } else {
                read_live(ctx, scope)
            }
        };
        // the periodic rounds (full, or a slice) mostly find nothing to
        // change: they read without the lock first and take it only for a
        // change; a state
        // change's round nearly always changes its service, and goes
        // straight to the read under the lock (two requests to the
        // kernel fewer per round, a hundred rounds when a real server
        // behind a hundred services fails)
        let mut logs = Vec::new();
        if optimistic {
            let live = read(ctx)?;
            logs = self.drained(&live, scope, now);
            let want = self.wanted_against(&live, scope, now, &mut logs);
            if plan(&want, &live).is_empty() {
                if full {
                    self.leaving.clear();
                }
                return Ok(logs);
            }
        }
        let _lock = match lock_dir {
            Some(dir) => match crate::app::lock::acquire_in(dir, &ctx.program, 0, false) {
                Ok(l) => l,
                Err(e) => return Err(format!("table not updated this time: {e}")),
            },
            None => None,
        };
        // (again, for a full round) under the lock
        let live = read(ctx)?;
        if !optimistic {
            logs = self.drained(&live, scope, now);
        }
        let want = self.wanted_against(&live, scope, now, &mut logs);
        let changes = plan(&want, &live);
        if changes.is_empty() {
            if full {
                self.leaving.clear();
            }
            return Ok(logs);
        }
        let mut sink = Vec::new();
        let code =
            crate::app::files::make_changes(ctx, &ApplyArgs::default(), &changes, &live, &mut sink);
        if code != 0 {
            return Err(format!(
                "applying {} change{} failed and was undone (exit status {code}); trying again",
                changes.len(),
                if changes.len() == 1 { "" } else { "s" }
            ));
        }
        if full {
            self.leaving.clear();
        }
        logs.extend(changes.iter().map(describe));
        Ok(logs)
    }

    /// Drop the drained real servers that have no connections left or
    /// reached their deadline (the plan then deletes them); log lines.
    fn drained(
        &mut self,
        live: &[(Service, Vec<Dest>)],
        scope: &HashSet<ServiceKey>,
        now: Instant,
    ) -> Vec<String> {
        let mut logs = Vec::new();
        let conns: HashMap<Key, u32> = live
            .iter()
            .flat_map(|(s, ds)| {
                let sk = s.key();
                ds.iter()
                    .map(move |d| ((sk, d.key()), d.active_conns + d.inact_conns))
            })
            .collect();
        self.draining.retain(|key, (_, since, deadline)| {
            if !scope.contains(&key.0) {
                // not read this time
                return true;
            }
            let waited = now.saturating_duration_since(*since).as_secs();
            match conns.get(key) {
                None => false,
                Some(0) => {
                    logs.push(format!("{}: drained after {waited} s, deleted", name(key)));
                    false
                }
                Some(n) if now >= *deadline => {
                    logs.push(format!(
                        "{}: drain deadline reached after {waited} s with {n} connections, deleted",
                        name(key)
                    ));
                    false
                }
                Some(_) => true,
            }
        });
        logs.sort();
        logs
    }
}

/// A change as a log line: the command line that makes it.
fn describe(c: &Change) -> String {
    format!("table: {}", c.command_line())
}

#[cfg(test)]
#[path = "core_tests.rs"]
mod tests;

/// The names of the entries of `dir` (none when it is absent or unreadable):
/// the maintenance switches and the operator holds are both directories of
/// names.
fn dir_names(dir: &Path) -> HashSet<String> {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}
