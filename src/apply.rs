//! lvsadm's rule files: `--check FILE` and `--apply FILE [--dry-run]`.
//!
//! A rule file is what `ipvsadm-save` writes: one `-A` line per virtual
//! service followed by `-a` lines for its real servers. Blank lines and lines
//! whose first non-blank character is `#` are ignored, so is a trailing
//! comment (a word starting with `#` and the rest of its line); a leading
//! `ipvsadm` or `lvsadm` word is dropped, and each line goes through the same
//! parser as a command line ([`cli::parse`]), so names, `inet_aton` forms and
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

use crate::app::Ctx;
use crate::cli::words::restore_words;
use crate::cli::{self, ApplyArgs, CliError, Cmd, Opt, Outcome};
use crate::model::*;
use crate::netlink::{ipvs_strerror, Op, Request};
use std::collections::{HashMap, HashSet};
use std::io::{Read, Write};
use std::net::Ipv4Addr;

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

/// The schedulers of the Linux kernel (`ip_vs_*.ko`), and `none`.
pub const SCHEDULERS: [&str; 15] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
    "none",
];

/// The persistence engines of the Linux kernel.
pub const PERSISTENCE_ENGINES: [&str; 1] = ["sip"];

/// ipvsadm's wording when the kernel knows no such scheduler or engine.
const NOT_FOUND: &str = "Scheduler or persistence engine not found";

/// One problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

/// The identity of a service: what the kernel looks it up by.
pub type SvcKey = (u16, u16, RawAddr, u16, u32);
/// The identity of a destination within its service.
pub type DestKey = (u16, RawAddr, u16);

/// A service's key; fwmark services are keyed by family and mark only.
pub fn svc_key(s: &Service) -> SvcKey {
    if s.fwmark != 0 {
        (s.af, 0, [0; 16], 0, s.fwmark)
    } else {
        (s.af, s.protocol, s.addr, s.port, 0)
    }
}

/// A destination's key.
pub fn dest_key(d: &Dest) -> DestKey {
    (d.af, d.addr, d.port)
}

/// The words of one rule-file line: a trailing comment cut, blanks split
/// as `-R` splits them (every `ipvsadm` word dropped), a leading `lvsadm`
/// word dropped.
pub fn rule_words(raw: &str) -> Vec<String> {
    let mut end = raw.len();
    let mut prev_blank = true;
    for (i, c) in raw.char_indices() {
        if c == '#' && prev_blank {
            end = i;
            break;
        }
        prev_blank = matches!(c, ' ' | '\t' | '\r');
    }
    let mut words = restore_words(&raw[..end]);
    if words.first().is_some_and(|w| w == "lvsadm") {
        words.remove(0);
    }
    words
}

/// The service key named on an `-A` line that failed to parse, when its
/// service option alone parses: so that the `-a` lines of a broken `-A`
/// line are not also reported as undefined.
fn failed_add_key(words: &[String]) -> Option<SvcKey> {
    if !matches!(
        words.first().map(String::as_str),
        Some("-A" | "--add-service")
    ) {
        return None;
    }
    let mut key_words = vec!["-A".to_string()];
    let mut i = 1;
    while i < words.len() {
        let w = words[i].as_str();
        match w {
            "-t" | "--tcp-service" | "-u" | "--udp-service" | "--sctp-service" | "-f"
            | "--fwmark-service" => {
                let v = words.get(i + 1)?;
                key_words.extend([w.to_string(), v.clone()]);
                i += 1;
            }
            "-6" | "--ipv6" => key_words.push(w.to_string()),
            _ if w.starts_with("--") && w.contains('=') => {
                let (name, _) = w.split_once('=')?;
                if name.ends_with("-service") {
                    key_words.push(w.to_string());
                }
            }
            _ => {}
        }
        i += 1;
    }
    match cli::parse(&key_words) {
        Ok(Outcome::Run(p)) if p.cmd == Cmd::AddService => Some(svc_key(&p.svc)),
        _ => None,
    }
}

/// The problem with a service's scheduler or persistence engine, if the
/// kernel knows no such name.
pub fn name_problem(s: &Service) -> Option<String> {
    if !SCHEDULERS.contains(&s.sched_name.as_str()) {
        return Some(format!(
            "{NOT_FOUND}: no scheduler {} (the kernel's are {})",
            s.sched_name,
            SCHEDULERS.join(" ")
        ));
    }
    if !s.pe_name.is_empty() && !PERSISTENCE_ENGINES.contains(&s.pe_name.as_str()) {
        return Some(format!(
            "{NOT_FOUND}: no persistence engine {} (the kernel's are {})",
            s.pe_name,
            PERSISTENCE_ENGINES.join(" ")
        ));
    }
    None
}

/// Parse and check a whole rule file. Every problem is reported, in line
/// order; the services are returned in file order.
pub fn parse_rules(text: &str) -> (Vec<Wanted>, Vec<Problem>) {
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut by_key: HashMap<SvcKey, usize> = HashMap::new();
    let mut dest_lines: HashMap<(SvcKey, DestKey), usize> = HashMap::new();
    // services whose -A line has a problem (already reported)
    let mut broken: HashSet<SvcKey> = HashSet::new();
    let mut problems = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let trimmed = raw.trim_start_matches([' ', '\t', '\r']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = rule_words(raw);
        if words.is_empty() {
            continue;
        }
        let mut problem = |msg: String| problems.push(Problem { line, msg });
        let p = match cli::parse(&words) {
            Ok(Outcome::Run(p)) => *p,
            Ok(_) => {
                problem("only -A (add-service) and -a (add-server) lines are allowed".into());
                continue;
            }
            Err(e) => {
                problem(match e {
                    CliError::Fatal { msg, .. } | CliError::Popt(msg) => msg.trim_end().to_string(),
                    CliError::TryHelp => "a line must start with -A or -a".into(),
                });
                if let Some(key) = failed_add_key(&words) {
                    broken.insert(key);
                }
                continue;
            }
        };
        match p.cmd {
            Cmd::AddService => {
                let key = svc_key(&p.svc);
                if let Some(&j) = by_key.get(&key) {
                    problem(format!(
                        "duplicate service {} (first defined on line {})",
                        service_rule(&p.svc),
                        wanted[j].line
                    ));
                    continue;
                }
                if let Some(msg) = name_problem(&p.svc) {
                    problem(msg);
                    broken.insert(key);
                    continue;
                }
                by_key.insert(key, wanted.len());
                wanted.push(Wanted {
                    svc: p.svc,
                    dests: Vec::new(),
                    line,
                });
            }
            Cmd::AddDest => {
                let key = svc_key(&p.svc);
                let Some(&j) = by_key.get(&key) else {
                    if !broken.contains(&key) {
                        problem(format!(
                            "service {} is not defined (no -A line for it before this one)",
                            service_rule(&p.svc)
                        ));
                    }
                    continue;
                };
                let dk = (key, dest_key(&p.dest));
                if let Some(first) = dest_lines.get(&dk) {
                    problem(format!(
                        "duplicate real server {} in service {} (first defined on line {first})",
                        addrport(p.dest.af, &p.dest.addr, p.dest.port),
                        service_rule(&p.svc)
                    ));
                    continue;
                }
                dest_lines.insert(dk, line);
                wanted[j].dests.push(WantedDest {
                    u_given: p.has(Opt::UThreshold),
                    l_given: p.has(Opt::LThreshold),
                    dest: p.dest,
                });
            }
            other => problem(format!(
                "only -A (add-service) and -a (add-server) lines are allowed, not {}",
                other.name()
            )),
        }
    }
    (wanted, problems)
}

/// A part of the table `--apply` may touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `ADDR` (`192.0.2.1`, `2001:db8::1`, `[2001:db8::1]`): every service
    /// on that virtual address, any protocol and port.
    Addr(u16, RawAddr),
    /// `tcp:ADDR:PORT`, `udp:...`, `sctp:...`: one service (names and
    /// `inet_aton` forms as in `-t`).
    Service(SvcKey),
    /// `fwmark:N`: the fwmark services with mark N (IPv4 and IPv6).
    Fwmark(u32),
}

impl Scope {
    /// Parse one `--scope` value.
    pub fn parse(spec: &str) -> Result<Scope, String> {
        let bad = |why: &str| format!("invalid --scope {spec}: {why}");
        if let Some(n) = spec.strip_prefix("fwmark:") {
            return match n.parse::<u32>() {
                Ok(m) if m > 0 => Ok(Scope::Fwmark(m)),
                _ => Err(bad("the mark must be a number from 1 to 4294967295")),
            };
        }
        for (prefix, opt) in [("tcp:", "-t"), ("udp:", "-u"), ("sctp:", "--sctp-service")] {
            if let Some(rest) = spec.strip_prefix(prefix) {
                let words = ["-A", opt, rest].map(String::from);
                return match cli::parse(&words) {
                    Ok(Outcome::Run(p)) if p.svc.port != 0 => Ok(Scope::Service(svc_key(&p.svc))),
                    Ok(_) => Err(bad("a service needs a port")),
                    Err(CliError::Fatal { msg, .. }) | Err(CliError::Popt(msg)) => {
                        Err(bad(msg.trim_end()))
                    }
                    Err(CliError::TryHelp) => Err(bad("not a service")),
                };
            }
        }
        let bare = spec
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(spec);
        match bare.parse::<std::net::IpAddr>() {
            Ok(ip) => {
                let af = if ip.is_ipv6() { AF_INET6 } else { AF_INET };
                Ok(Scope::Addr(af, raw_from_ip(ip)))
            }
            Err(_) => Err(bad(
                "expected ADDR, tcp:ADDR:PORT, udp:ADDR:PORT, sctp:ADDR:PORT or fwmark:N",
            )),
        }
    }

    /// Whether the service is in this scope.
    pub fn contains(&self, s: &Service) -> bool {
        match self {
            Scope::Addr(af, addr) => s.fwmark == 0 && s.af == *af && s.addr == *addr,
            Scope::Service(key) => s.fwmark == 0 && svc_key(s) == *key,
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
const SETTABLE_FLAGS: u32 =
    SVC_F_PERSISTENT | SVC_F_ONEPACKET | SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3;

/// Whether a live service already has every setting the file asks for.
/// The timeout and the mask count only for a persistent service, and flag 3
/// of `sh`/`mh` (which `-S` cannot name) only when the file sets it: so a
/// saved table applies as 0 changes.
pub fn same_service(want: &Service, live: &Service) -> bool {
    let mut mask = SETTABLE_FLAGS;
    if matches!(want.sched_name.as_str(), "sh" | "mh") && want.flags & SVC_F_SCHED3 == 0 {
        mask &= !SVC_F_SCHED3;
    }
    let persistent = want.flags & SVC_F_PERSISTENT != 0;
    want.sched_name == live.sched_name
        && want.flags & mask == live.flags & mask
        && (!persistent || (want.timeout == live.timeout && want.netmask == live.netmask))
        && want.pe_name == live.pe_name
}

/// Whether a live destination already has every setting the file asks for.
pub fn same_dest(want: &Dest, live: &Dest) -> bool {
    let tunnel = want.fwd & 7 == FWD_TUNNEL;
    want.fwd & 7 == live.fwd & 7
        && want.weight == live.weight
        && want.u_threshold == live.u_threshold
        && want.l_threshold == live.l_threshold
        && (!tunnel
            || (want.tun_type == live.tun_type
                && want.tun_port == live.tun_port
                && want.tun_flags == live.tun_flags))
}

/// The service part of a request: its key and ipvsadm's defaults.
fn key_only(s: &Service) -> Service {
    Service {
        af: s.af,
        protocol: s.protocol,
        addr: s.addr,
        port: s.port,
        fwmark: s.fwmark,
        ..Service::new(s.af)
    }
}

/// The changes that turn `live` into `wanted`, in the order they must be
/// made (see the module documentation).
pub fn plan(wanted: &[Wanted], live: &[(Service, Vec<Dest>)]) -> Vec<Change> {
    let live_by_key: HashMap<SvcKey, usize> = live
        .iter()
        .enumerate()
        .map(|(i, (s, _))| (svc_key(s), i))
        .collect();
    let mut adds = Vec::new();
    let mut edits = Vec::new();
    let mut dest_changes = Vec::new();
    let mut dest_dels = Vec::new();
    for w in wanted {
        let key = key_only(&w.svc);
        match live_by_key.get(&svc_key(&w.svc)) {
            None => {
                adds.push(Change::AddService(w.svc.clone()));
                for d in &w.dests {
                    dest_changes.push(Change::AddDest(key.clone(), d.dest.clone()));
                }
            }
            Some(&i) => {
                let (ls, ld) = &live[i];
                if !same_service(&w.svc, ls) {
                    edits.push(Change::EditService(w.svc.clone()));
                }
                let live_dests: HashMap<DestKey, &Dest> =
                    ld.iter().map(|d| (dest_key(d), d)).collect();
                for wd in &w.dests {
                    match live_dests.get(&dest_key(&wd.dest)) {
                        None => dest_changes.push(Change::AddDest(key.clone(), wd.dest.clone())),
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
                                dest_changes.push(Change::EditDest(key.clone(), d, l.clone()));
                            }
                        }
                    }
                }
                let wanted_dests: HashSet<DestKey> =
                    w.dests.iter().map(|d| dest_key(&d.dest)).collect();
                for d in ld {
                    if !wanted_dests.contains(&dest_key(d)) {
                        dest_dels.push(Change::DelDest(key_only(ls), d.clone()));
                    }
                }
            }
        }
    }
    let wanted_keys: HashSet<SvcKey> = wanted.iter().map(|w| svc_key(&w.svc)).collect();
    let svc_dels = live
        .iter()
        .filter(|(s, _)| !wanted_keys.contains(&svc_key(s)))
        .map(|(s, _)| Change::DelService(key_only(s)));
    let mut all = adds;
    all.extend(edits);
    all.extend(dest_changes);
    all.extend(dest_dels);
    all.extend(svc_dels);
    all
}

fn addrport(af: u16, addr: &RawAddr, port: u16) -> String {
    let ip = crate::format::ntop(&ip_from_raw(af, addr));
    if af == AF_INET6 {
        format!("[{ip}]:{port}")
    } else {
        format!("{ip}:{port}")
    }
}

/// `-t 192.0.2.1:80`, `-u [2001:db8::1]:53`, `-f 7`, `-f 7 -6`.
pub fn service_rule(s: &Service) -> String {
    if s.fwmark != 0 {
        let v6 = if s.af == AF_INET6 { " -6" } else { "" };
        return format!("-f {}{v6}", s.fwmark);
    }
    let opt = match s.protocol {
        IPPROTO_UDP => "-u",
        IPPROTO_SCTP => "--sctp-service",
        _ => "-t",
    };
    format!("{opt} {}", addrport(s.af, &s.addr, s.port))
}

fn service_line(cmd: &str, s: &Service) -> String {
    let mut l = format!("{cmd} {} -s {}", service_rule(s), s.sched_name);
    if s.flags & SVC_F_PERSISTENT != 0 {
        l.push_str(&format!(" -p {}", s.timeout));
    }
    if s.af == AF_INET6 {
        if s.netmask != 128 {
            l.push_str(&format!(" -M {}", s.netmask));
        }
    } else if s.netmask != 0xffff_ffff {
        l.push_str(&format!(" -M {}", Ipv4Addr::from(s.netmask)));
    }
    if !s.pe_name.is_empty() {
        l.push_str(&format!(" --pe {}", s.pe_name));
    }
    if s.flags & SVC_F_ONEPACKET != 0 {
        l.push_str(" -o");
    }
    let flags: Vec<&str> = sched_flags_all_named(&s.sched_name, s.flags);
    if !flags.is_empty() {
        l.push_str(&format!(" -b {}", flags.join(",")));
    }
    l
}

/// An `-a`/`-e` line; `live` (for `-e`) makes a threshold that changes to 0
/// show as `-x 0`/`-y 0`.
fn dest_line(cmd: &str, s: &Service, d: &Dest, live: Option<&Dest>) -> String {
    let fwd = match d.fwd & 7 {
        FWD_MASQ => "-m",
        FWD_TUNNEL => "-i",
        _ => "-g",
    };
    let mut l = format!(
        "{cmd} {} -r {} {fwd} -w {}",
        service_rule(s),
        addrport(d.af, &d.addr, d.port),
        d.weight
    );
    let show = |v: u32, old: Option<u32>| v != 0 || old.is_some_and(|o| o != v);
    if show(d.u_threshold, live.map(|l| l.u_threshold)) {
        l.push_str(&format!(" -x {}", d.u_threshold));
    }
    if show(d.l_threshold, live.map(|l| l.l_threshold)) {
        l.push_str(&format!(" -y {}", d.l_threshold));
    }
    if d.fwd & 7 == FWD_TUNNEL {
        match d.tun_type {
            TUN_TYPE_GUE => l.push_str(&format!(" --tun-type gue --tun-port {}", d.tun_port)),
            TUN_TYPE_GRE => l.push_str(" --tun-type gre"),
            _ => {}
        }
        match d.tun_flags {
            TUN_F_CSUM => l.push_str(" --tun-csum"),
            TUN_F_REMCSUM => l.push_str(" --tun-remcsum"),
            _ => {}
        }
    }
    l
}

impl Change {
    /// The change as an ipvsadm command line (without the program name),
    /// which `ipvsadm -R` accepts.
    pub fn command_line(&self) -> String {
        match self {
            Change::AddService(s) => service_line("-A", s),
            Change::EditService(s) => service_line("-E", s),
            Change::AddDest(s, d) => dest_line("-a", s, d, None),
            Change::EditDest(s, d, live) => dest_line("-e", s, d, Some(live)),
            Change::DelDest(s, d) => format!(
                "-d {} -r {}",
                service_rule(s),
                addrport(d.af, &d.addr, d.port)
            ),
            Change::DelService(s) => format!("-D {}", service_rule(s)),
        }
    }

    /// The kernel request, and the operation naming its errors.
    pub fn request(&self) -> (Request, Op) {
        match self {
            Change::AddService(s) => (Request::NewService(s.clone()), Op::AddService),
            Change::EditService(s) => (Request::SetService(s.clone()), Op::EditService),
            Change::AddDest(s, d) => (Request::NewDest(s.clone(), d.clone()), Op::AddDest),
            Change::EditDest(s, d, _) => (Request::SetDest(s.clone(), d.clone()), Op::EditDest),
            Change::DelDest(s, d) => (Request::DelDest(s.clone(), d.clone()), Op::DelDest),
            Change::DelService(s) => (Request::DelService(s.clone()), Op::DelService),
        }
    }
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

/// How many deleted services the summary names one by one.
const LISTED_DELETIONS: usize = 20;

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// The human summary of `changes` (those made, or with `dry_run` those
/// planned): an aligned table (when anything changes), one line per deleted
/// service with the number of destinations it takes along (from `live`),
/// and a last line `N changes` (`1 change`).
pub fn summary(changes: &[Change], live: &[(Service, Vec<Dest>)], dry_run: bool) -> String {
    let mut s = String::new();
    if !changes.is_empty() {
        let t = tally(changes);
        let mut tw = tabwriter::TabWriter::new(Vec::new()).padding(2);
        let _ = writeln!(tw, "\tadded\tedited\tdeleted");
        let _ = writeln!(tw, "services\t{}\t{}\t{}", t[0][0], t[0][1], t[0][2]);
        let _ = writeln!(tw, "destinations\t{}\t{}\t{}", t[1][0], t[1][1], t[1][2]);
        if let Ok(b) = tw.into_inner() {
            s.push_str(&String::from_utf8_lossy(&b));
        }
    }
    let dests: HashMap<SvcKey, usize> = live.iter().map(|(l, d)| (svc_key(l), d.len())).collect();
    let deleted: Vec<&Service> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DelService(d) => Some(d),
            _ => None,
        })
        .collect();
    let verb = if dry_run { "would delete" } else { "deleted" };
    for d in deleted.iter().take(LISTED_DELETIONS) {
        let n = dests.get(&svc_key(d)).copied().unwrap_or(0);
        s.push_str(&format!(
            "{verb} service {} ({})\n",
            service_rule(d),
            plural(n, "destination")
        ));
    }
    if deleted.len() > LISTED_DELETIONS {
        s.push_str(&format!(
            "{verb} {} more\n",
            plural(deleted.len() - LISTED_DELETIONS, "service")
        ));
    }
    s.push_str(&plural(changes.len(), "change"));
    if dry_run {
        s.push_str(" (dry run, nothing changed)");
    }
    s.push('\n');
    s
}

/// Read a rule file (`-` is standard input).
fn read_file(file: &str) -> Result<String, String> {
    let mut buf = Vec::new();
    let r = if file == "-" {
        std::io::stdin().lock().read_to_end(&mut buf).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut buf).map(|_| ()))
    };
    r.map_err(|e| format!("cannot read {file}: {e}"))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Print problems as `FILE:LINE: message` and a count line.
fn report(file: &str, problems: &[Problem]) {
    for p in problems {
        eprintln!("{file}:{}: {}", p.line, p.msg);
    }
    eprintln!("{file}: {}", plural(problems.len(), "problem"));
}

/// Read and check; prints every problem as `FILE:LINE: message`.
fn load(program: &str, file: &str) -> Result<Vec<Wanted>, i32> {
    let text = read_file(file).map_err(|e| {
        eprintln!("{program}: {e}");
        2
    })?;
    let (wanted, problems) = parse_rules(&text);
    if problems.is_empty() {
        return Ok(wanted);
    }
    report(file, &problems);
    Err(1)
}

/// How `--apply` names its input in messages.
fn input_name(file: &str) -> String {
    if file == "-" {
        "standard input".into()
    } else {
        file.into()
    }
}

/// `--check FILE`: exit status 0 when clean, 1 with problems, 2 when the
/// file cannot be read. Needs no kernel. A file without services is clean
/// but gets a warning (`--apply` refuses it without `--allow-empty`).
pub fn run_check<W: Write>(program: &str, file: &str, out: &mut W) -> i32 {
    match load(program, file) {
        Ok(wanted) => {
            let dests: usize = wanted.iter().map(|w| w.dests.len()).sum();
            let _ = writeln!(
                out,
                "{file}: OK, {}, {}",
                plural(wanted.len(), "service"),
                plural(dests, "destination")
            );
            if wanted.is_empty() {
                let _ = out.flush();
                eprintln!(
                    "{file}: warning: no services: --apply refuses an empty rule set \
                     (it would delete every service) unless given --allow-empty"
                );
            }
            0
        }
        Err(code) => code,
    }
}

/// How many requests go to the kernel in one pipelined batch.
const BATCH: usize = 4096;

/// The safety options of `--apply`, checked.
struct Safety {
    scopes: Vec<Scope>,
    max_delete: Option<u32>,
}

fn safety(a: &ApplyArgs) -> Result<Safety, String> {
    let scopes = a
        .scope
        .iter()
        .map(|s| Scope::parse(s))
        .collect::<Result<Vec<_>, _>>()?;
    let max_delete = match (&a.max_delete, a.force) {
        (_, true) => None,
        (Some(v), false) => Some(parse_max_delete(v)?),
        (None, false) => Some(DEFAULT_MAX_DELETE),
    };
    if a.force {
        if let Some(v) = &a.max_delete {
            parse_max_delete(v)?;
        }
    }
    Ok(Safety { scopes, max_delete })
}

/// `--apply FILE`: exit status 0 when the table now matches, 1 when the
/// file fails the check, a safety rule refuses it (nothing is changed) or
/// the kernel refused a change, 2 when the file cannot be read or an
/// option value is invalid.
pub fn run_apply<W: Write>(ctx: &mut Ctx<'_>, a: &ApplyArgs, out: &mut W) -> i32 {
    let rules = match safety(a) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: {e}", ctx.program);
            return 2;
        }
    };
    let wanted = match load(&ctx.program, &a.file) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let outside = scope_problems(&wanted, &rules.scopes);
    if !outside.is_empty() {
        report(&a.file, &outside);
        return 1;
    }
    if wanted.is_empty() && !a.allow_empty {
        eprintln!(
            "{}: {}: no services: refusing to apply an empty rule set, which would delete \
             every live service{}; give --allow-empty if that is what you want",
            ctx.program,
            input_name(&a.file),
            if rules.scopes.is_empty() {
                ""
            } else {
                " in scope"
            }
        );
        return 1;
    }
    let services = match ctx.kernel.services() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", ipvs_strerror(Op::GetServices, e.errno()));
            return 1;
        }
    };
    let services: Vec<Service> = services
        .into_iter()
        .filter(|s| in_scope(&rules.scopes, s))
        .collect();
    let dests = match ctx.kernel.dests_many(&services) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}", ipvs_strerror(Op::GetDests, e.errno()));
            return 1;
        }
    };
    let live: Vec<(Service, Vec<Dest>)> = services.into_iter().zip(dests).collect();
    let changes = plan(&wanted, &live);
    let refused = rules
        .max_delete
        .and_then(|max| guard(&changes, live.len(), max).err());
    if a.dry_run {
        for c in &changes {
            let _ = writeln!(out, "{}", c.command_line());
        }
    }
    if a.dry_run || refused.is_some() {
        let _ = out.flush();
        eprint!("{}", summary(&changes, &live, true));
    }
    if let Some(why) = refused {
        eprintln!("{}: {why}", ctx.program);
        return 1;
    }
    if a.dry_run {
        return 0;
    }
    let mut done = Vec::with_capacity(changes.len());
    let mut failed = 0;
    for chunk in changes.chunks(BATCH) {
        let (reqs, ops): (Vec<Request>, Vec<Op>) = chunk.iter().map(Change::request).unzip();
        let results = ctx.kernel.execute_batch(&reqs);
        for ((c, op), r) in chunk.iter().zip(ops).zip(results) {
            if a.verbose {
                let _ = writeln!(out, "{}", c.command_line());
            }
            match r {
                Ok(_) => done.push(c.clone()),
                Err(e) => {
                    let _ = out.flush();
                    eprintln!("{}: {}", c.command_line(), ipvs_strerror(op, e.errno()));
                    failed += 1;
                }
            }
        }
    }
    let _ = write!(out, "{}", summary(&done, &live, false));
    if failed > 0 {
        let _ = out.flush();
        eprintln!(
            "{}: {failed} of {} planned changes failed",
            ctx.program,
            changes.len()
        );
        return 1;
    }
    0
}

#[cfg(test)]
mod tests;
