//! lvsadm's rule files: `--check FILE` and `--apply FILE [--dry-run]`.
//!
//! A rule file is what `ipvsadm-save` writes: one `-A` line per virtual
//! service followed by `-a` lines for its real servers. Blank lines and lines
//! whose first non-blank character is `#` are ignored, so is a trailing
//! comment (a word starting with `#` and the rest of its line); a leading
//! `ipvsadm` or `lvsadm` word is dropped, and each line goes through the same
//! parser as a command line (`cli::parse`), so names, `inet_aton` forms and
//! defaults mean exactly what they mean to ipvsadm. Scheduler and
//! persistence-engine names are checked against the kernel's.
//!
//! Only `-A` and `-a` lines are allowed: a rule file describes a state, not
//! a sequence of edits. `-x`/`-y` thresholds given on `-a` lines are applied;
//! absent means "keep": a destination that exists keeps its thresholds, a
//! new one gets 0 (`ipvsadm-save` does not write them, so a saved table
//! applies as 0 changes). An `-e` line of a plan shows every threshold it
//! sets that is not 0 or that changes.
//!
//! `--apply` reads the live table, computes the difference ([`plan`]) and
//! sends only that, pipelined, in an order that keeps every kept service
//! served: new services, edited services, new and edited destinations, then
//! stale destinations, then stale services. There is no flush.
//!
//! Safety rules of `--apply` (also with `--dry-run`):
//! * a rule file without services is refused unless `--allow-empty`;
//! * `--scope SPEC` (repeatable) limits the apply to part of the table:
//!   live services outside every scope are left alone, and a file service
//!   outside every scope is a problem ([`Scope`]);
//! * deleting more than `--max-delete PCT` percent (default 50) of the live
//!   services in scope is refused unless `--force`.
//!
//! The summary lists every service deleted, and counts what was done.

//!
//! This module is the pure part: the desired state ([`Wanted`]), scopes,
//! the deletion guard and the plan ([`plan`]); [`render`] writes plans as
//! command lines and summaries. The rule-file parser is `cli::rules`; the
//! runner that reads files, talks to the kernel and prints is in the
//! program (`app::files`).

pub mod health;
pub mod render;

use lvs::model::*;
use lvs::netlink::{Op, Request};
use std::collections::{HashMap, HashSet};

pub use render::{service_rule, summary, Outcome};

/// A service wanted by the rule file, with its destinations.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// As parsed from the `-A` line (scheduler default applied).
    pub svc: Service,
    /// The real servers.
    pub dests: Vec<WantedDest>,
    /// 1-based line number of the `-A` line.
    pub line: usize,
}

/// A destination wanted by the rule file.
#[derive(Debug, Clone)]
pub struct WantedDest {
    /// As parsed from the `-a` line.
    pub dest: Dest,
    /// Whether the line gave `-x` (else the live upper threshold is kept).
    pub u_given: bool,
    /// Whether the line gave `-y` (else the live lower threshold is kept).
    pub l_given: bool,
}

/// One problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

/// A part of the table `--apply` may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `ADDR` (`192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`): every service
    /// on that virtual address, any protocol and port.
    Addr(std::net::IpAddr),
    /// `tcp:ADDR:PORT`, `udp:...`, `sctp:...`: one service (names and
    /// `inet_aton` forms as in `-t`).
    Service(ServiceKey),
    /// `fwmark:N`: the fwmark services with mark N (IPv4 and IPv6).
    Fwmark(u32),
}

impl Scope {
    /// Whether the service is in this scope.
    pub fn contains(&self, s: &Service) -> bool {
        match self {
            Scope::Addr(addr) => s.fwmark == 0 && s.addr == *addr,
            Scope::Service(key) => s.fwmark == 0 && s.key() == *key,
            Scope::Fwmark(m) => s.fwmark == *m,
        }
    }
}

/// Whether a service is inside at least one scope (everything is when
/// there is none).
pub fn in_scope(scopes: &[Scope], s: &Service) -> bool {
    scopes.is_empty() || scopes.iter().any(|sc| sc.contains(s))
}

/// The file's services outside every scope, as problems.
pub fn scope_problems(wanted: &[Wanted], scopes: &[Scope]) -> Vec<Problem> {
    wanted
        .iter()
        .filter(|w| !in_scope(scopes, &w.svc))
        .map(|w| Problem {
            line: w.line,
            msg: format!("service {} is outside every --scope", service_rule(&w.svc)),
        })
        .collect()
}

/// The deletion guard: `Err` with the reason when the plan deletes more than
/// `max_pct` percent of the `live` services it may touch.
pub fn guard(changes: &[Change], live: usize, max_pct: u32) -> Result<(), String> {
    let dels = changes
        .iter()
        .filter(|c| matches!(c, Change::DelService(_)))
        .count();
    if dels == 0 || dels * 100 <= max_pct as usize * live {
        return Ok(());
    }
    let need = (dels * 100).div_ceil(live.max(1));
    Err(format!(
        "refusing to delete {dels} of {live} live service{} ({need}%, more than the {max_pct}% \
         allowed): give --force, or --max-delete {need}",
        if live == 1 { "" } else { "s" }
    ))
}

/// Default of `--max-delete`.
pub const DEFAULT_MAX_DELETE: u32 = 50;

/// Parse `--max-delete PCT` (0..=100, an optional `%`).
pub fn parse_max_delete(v: &str) -> Result<u32, String> {
    match v.strip_suffix('%').unwrap_or(v).parse::<u32>() {
        Ok(n) if n <= 100 => Ok(n),
        _ => Err(format!(
            "invalid --max-delete {v}: a percentage from 0 to 100"
        )),
    }
}

/// One change of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The `AddService` case.
    AddService(Service),
    /// The `EditService` case.
    EditService(Service),
    /// The `AddDest` case.
    AddDest(Service, Dest),
    /// The `EditDest` case: the destination as it will be, and as it is
    /// (to show what changes).
    EditDest(Service, Dest, Dest),
    /// The `DelDest` case.
    DelDest(Service, Dest),
    /// The `DelService` case.
    DelService(Service),
}

/// Service flags a rule file can set (the kernel adds `HASHED`).
const SETTABLE_FLAGS: ServiceFlags = ServiceFlags::PERSISTENT
    .union(ServiceFlags::ONEPACKET)
    .union(ServiceFlags::SCHED);

/// Whether a live service already has every setting the file asks for.
/// The timeout and the mask count only for a persistent service, and flag 3
/// of `sh`/`mh` (which `-S` cannot name) only when the file sets it: so a
/// saved table applies as 0 changes.
pub fn same_service(want: &Service, live: &Service) -> bool {
    let mut mask = SETTABLE_FLAGS;
    if matches!(want.sched_name.as_str(), "sh" | "mh")
        && !want.flags.intersects(ServiceFlags::SCHED3)
    {
        mask &= !ServiceFlags::SCHED3;
    }
    let persistent = want.flags.intersects(ServiceFlags::PERSISTENT);
    want.sched_name == live.sched_name
        && want.flags & mask == live.flags & mask
        && (!persistent || (want.timeout == live.timeout && want.netmask == live.netmask))
        && want.pe_name == live.pe_name
}

/// Whether a live destination already has every setting the file asks for.
pub fn same_dest(want: &Dest, live: &Dest) -> bool {
    let tunnel = want.forward.is_tunnel();
    want.forward.method() == live.forward.method()
        && want.weight == live.weight
        && want.u_threshold == live.u_threshold
        && want.l_threshold == live.l_threshold
        && (!tunnel
            || (want.tun_type == live.tun_type
                && want.tun_port == live.tun_port
                && want.tun_checksum == live.tun_checksum))
}

/// The service part of a request: its key and ipvsadm's defaults.
pub fn key_only(s: &Service) -> Service {
    Service {
        family: s.family,
        protocol: s.protocol,
        addr: s.addr,
        port: s.port,
        fwmark: s.fwmark,
        ..Service::new(s.family)
    }
}

/// The changes that turn `live` into `wanted`, in the order they must be
/// made (see the module documentation).
pub fn plan(wanted: &[Wanted], live: &[(Service, Vec<Dest>)]) -> Vec<Change> {
    let live_by_key: HashMap<ServiceKey, usize> = live
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (s.key(), i))
        .collect();
    let live_of = |w: &Wanted| live_by_key.get(&w.svc.key()).map(|&i| &live[i]);
    // One vector, filled in the plan's order pass by pass: separate lists
    // joined at the end had the real-server changes twice in memory for a
    // moment (200 000 rules: about 90 MB more at --apply's peak).
    let mut all = Vec::new();
    for w in wanted {
        if live_of(w).is_none() {
            all.push(Change::AddService(w.svc.clone()));
        }
    }
    for w in wanted {
        if let Some((ls, _)) = live_of(w) {
            if !same_service(&w.svc, ls) {
                all.push(Change::EditService(w.svc.clone()));
            }
        }
    }
    for w in wanted {
        let key = key_only(&w.svc);
        let Some((_, ld)) = live_of(w) else {
            for d in &w.dests {
                all.push(Change::AddDest(key.clone(), d.dest.clone()));
            }
            continue;
        };
        let live_dests: HashMap<DestKey, &Dest> = ld.iter().map(|d| (d.key(), d)).collect();
        for wd in &w.dests {
            match live_dests.get(&wd.dest.key()) {
                None => all.push(Change::AddDest(key.clone(), wd.dest.clone())),
                Some(&l) => {
                    // absent -x/-y: keep the live thresholds
                    let mut d = wd.dest.clone();
                    if !wd.u_given {
                        d.u_threshold = l.u_threshold;
                    }
                    if !wd.l_given {
                        d.l_threshold = l.l_threshold;
                    }
                    if !same_dest(&d, l) {
                        all.push(Change::EditDest(key.clone(), d, l.clone()));
                    }
                }
            }
        }
    }
    for w in wanted {
        if let Some((ls, ld)) = live_of(w) {
            let wanted_dests: HashSet<DestKey> = w.dests.iter().map(|d| d.dest.key()).collect();
            for d in ld {
                if !wanted_dests.contains(&d.key()) {
                    all.push(Change::DelDest(key_only(ls), d.clone()));
                }
            }
        }
    }
    let wanted_keys: HashSet<ServiceKey> = wanted.iter().map(|w| w.svc.key()).collect();
    // The kernel lists services in its hash order: deletions come sorted
    // by key (family, protocol, address, port; fwmarks last), so plans and
    // summaries read the same on every run.
    let mut svc_dels: Vec<&Service> = live
        .iter()
        .map(|(s, _)| s)
        .filter(|s| !wanted_keys.contains(&s.key()))
        .collect();
    svc_dels.sort_by_key(|s| s.key());
    all.extend(
        svc_dels
            .into_iter()
            .map(|s| Change::DelService(key_only(s))),
    );
    all
}

impl Change {
    /// The kernel request, and the operation naming its errors.
    pub fn request(&self) -> (Request, Op) {
        match self {
            Change::AddService(s) => (Request::NewService(s.clone()), Op::AddService),
            Change::EditService(s) => (Request::SetService(s.clone()), Op::EditService),
            Change::AddDest(s, d) => (Request::NewDest(s.key(), d.clone()), Op::AddDest),
            Change::EditDest(s, d, _) => (Request::SetDest(s.key(), d.clone()), Op::EditDest),
            Change::DelDest(s, d) => (Request::DelDest(s.key(), d.clone()), Op::DelDest),
            Change::DelService(s) => (Request::DelService(s.key()), Op::DelService),
        }
    }
}

/// The changes that undo `change` once the kernel has made it, given the
/// table `live` read before the plan: an added service or real server is
/// deleted; an edited one gets back every setting it had; a deleted real
/// server is added again with its settings (forwarding, weight, thresholds,
/// tunnel); a deleted service is added again with its settings, followed by
/// its real servers. Counters of re-created entries restart at zero.
///
/// Empty when `live` does not hold what the change replaced (it cannot
/// happen for a plan made from `live`).
pub fn inverse(change: &Change, live: &[(Service, Vec<Dest>)]) -> Vec<Change> {
    let find = |s: &Service| live.iter().find(|(l, _)| l.key() == s.key());
    match change {
        Change::AddService(s) => vec![Change::DelService(key_only(s))],
        Change::EditService(s) => match find(s) {
            Some((old, _)) => vec![Change::EditService(restorable(old))],
            None => vec![],
        },
        Change::AddDest(s, d) => vec![Change::DelDest(key_only(s), d.clone())],
        Change::EditDest(s, d, old) => {
            vec![Change::EditDest(
                key_only(s),
                restorable_dest(old),
                d.clone(),
            )]
        }
        Change::DelDest(s, d) => {
            let old = find(s)
                .and_then(|(_, ds)| ds.iter().find(|x| x.key() == d.key()))
                .unwrap_or(d);
            vec![Change::AddDest(key_only(s), restorable_dest(old))]
        }
        Change::DelService(s) => match find(s) {
            Some((old, ds)) => std::iter::once(Change::AddService(restorable(old)))
                .chain(
                    ds.iter()
                        .map(|d| Change::AddDest(key_only(old), restorable_dest(d))),
                )
                .collect(),
            None => vec![],
        },
    }
}

/// A live service as a request that recreates its settings (without the
/// kernel's own flag and the counters).
fn restorable(s: &Service) -> Service {
    let mut s = s.clone();
    s.flags &= !ServiceFlags::HASHED;
    s.stats = Stats::default();
    s
}

/// A live real server as a request that recreates its settings.
fn restorable_dest(d: &Dest) -> Dest {
    let mut d = d.clone();
    d.active_conns = 0;
    d.inact_conns = 0;
    d.persist_conns = 0;
    d.stats = Stats::default();
    d
}

/// The changes that undo `done` (changes the kernel made, in the order it
/// made them), in the order to make them: the inverses in reverse.
pub fn undo_plan(done: &[Change], live: &[(Service, Vec<Dest>)]) -> Vec<Change> {
    done.iter().rev().flat_map(|c| inverse(c, live)).collect()
}

/// Counts of a plan: `[services, destinations]` × `[added, edited, deleted]`.
pub fn tally(changes: &[Change]) -> [[usize; 3]; 2] {
    let mut t = [[0; 3]; 2];
    for c in changes {
        let (row, col) = match c {
            Change::AddService(_) => (0, 0),
            Change::EditService(_) => (0, 1),
            Change::DelService(_) => (0, 2),
            Change::AddDest(..) => (1, 0),
            Change::EditDest(..) => (1, 1),
            Change::DelDest(..) => (1, 2),
        };
        t[row][col] += 1;
    }
    t
}

#[cfg(test)]
pub(crate) mod tests;
