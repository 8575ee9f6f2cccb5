//! lvsadm's rule files: `--check FILE` and `--apply FILE [--dry-run]`.
//!
//! A rule file is what `ipvsadm-save` writes: one `-A` line per virtual
//! service followed by `-a` lines for its real servers. Blank lines and lines
//! whose first non-blank character is `#` are ignored, a leading `ipvsadm`
//! word is dropped (like `-R` does), and each line goes through the same
//! parser as a command line ([`cli::parse`]), so names, `inet_aton` forms and
//! defaults mean exactly what they mean to ipvsadm.
//!
//! Only `-A` and `-a` lines are allowed: a rule file describes a state, not
//! a sequence of edits. `-x`/`-y` thresholds given on `-a` lines are applied;
//! absent means 0 (`ipvsadm-save` does not write them).
//!
//! `--apply` reads the live table, computes the difference ([`plan`]) and
//! sends only that, pipelined, in an order that keeps every kept service
//! served: new services, edited services, new and edited destinations, then
//! stale destinations, then stale services. There is no flush.

use crate::app::{restore_words, Ctx};
use crate::cli::{self, ApplyArgs, CliError, Cmd, Outcome};
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
    pub dests: Vec<Dest>,
    /// 1-based line number of the `-A` line.
    pub line: usize,
}

/// One problem found in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
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

/// Parse and check a whole rule file. Every problem is reported, in line
/// order; the services are returned in file order.
pub fn parse_rules(text: &str) -> (Vec<Wanted>, Vec<Problem>) {
    let mut wanted: Vec<Wanted> = Vec::new();
    let mut by_key: HashMap<SvcKey, usize> = HashMap::new();
    let mut dest_lines: HashMap<(SvcKey, DestKey), usize> = HashMap::new();
    let mut problems = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let trimmed = raw.trim_start_matches([' ', '\t', '\r']);
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let words = restore_words(raw);
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
            Err(CliError::Fatal { msg, .. }) | Err(CliError::Popt(msg)) => {
                problem(msg.trim_end().to_string());
                continue;
            }
            Err(CliError::TryHelp) => {
                problem("a line must start with -A or -a".into());
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
                    problem(format!(
                        "service {} is not defined (no -A line for it before this one)",
                        service_rule(&p.svc)
                    ));
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
                wanted[j].dests.push(p.dest);
            }
            other => problem(format!(
                "only -A (add-service) and -a (add-server) lines are allowed, not {}",
                other.name()
            )),
        }
    }
    (wanted, problems)
}

/// One change of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    AddService(Service),
    EditService(Service),
    AddDest(Service, Dest),
    EditDest(Service, Dest),
    DelDest(Service, Dest),
    DelService(Service),
}

/// Service flags a rule file can set (the kernel adds `HASHED`).
const SETTABLE_FLAGS: u32 =
    SVC_F_PERSISTENT | SVC_F_ONEPACKET | SVC_F_SCHED1 | SVC_F_SCHED2 | SVC_F_SCHED3;

/// Whether a live service already has every setting the file asks for.
pub fn same_service(want: &Service, live: &Service) -> bool {
    want.sched_name == live.sched_name
        && want.flags & SETTABLE_FLAGS == live.flags & SETTABLE_FLAGS
        && want.timeout == live.timeout
        && want.netmask == live.netmask
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
                    dest_changes.push(Change::AddDest(key.clone(), d.clone()));
                }
            }
            Some(&i) => {
                let (ls, ld) = &live[i];
                if !same_service(&w.svc, ls) {
                    edits.push(Change::EditService(w.svc.clone()));
                }
                let live_dests: HashMap<DestKey, &Dest> =
                    ld.iter().map(|d| (dest_key(d), d)).collect();
                for d in &w.dests {
                    match live_dests.get(&dest_key(d)) {
                        None => dest_changes.push(Change::AddDest(key.clone(), d.clone())),
                        Some(l) if !same_dest(d, l) => {
                            dest_changes.push(Change::EditDest(key.clone(), d.clone()))
                        }
                        Some(_) => {}
                    }
                }
                let wanted_dests: HashSet<DestKey> = w.dests.iter().map(dest_key).collect();
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
    let flags: Vec<&str> = generic_sched_flag_names(s.flags);
    if !flags.is_empty() {
        l.push_str(&format!(" -b {}", flags.join(",")));
    }
    l
}

fn dest_line(cmd: &str, s: &Service, d: &Dest) -> String {
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
    if d.u_threshold != 0 {
        l.push_str(&format!(" -x {}", d.u_threshold));
    }
    if d.l_threshold != 0 {
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
            Change::AddDest(s, d) => dest_line("-a", s, d),
            Change::EditDest(s, d) => dest_line("-e", s, d),
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
            Change::EditDest(s, d) => (Request::SetDest(s.clone(), d.clone()), Op::EditDest),
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

/// The human summary: an aligned table (when anything changes) and a last
/// line `N changes` (`1 change`).
pub fn summary(changes: &[Change], verb: &str) -> String {
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
    let n = changes.len();
    s.push_str(&format!(
        "{n} change{}{verb}\n",
        if n == 1 { "" } else { "s" }
    ));
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

/// Read and check; prints every problem as `FILE:LINE: message`.
pub(crate) fn load(program: &str, file: &str) -> Result<Vec<Wanted>, i32> {
    let text = read_file(file).map_err(|e| {
        eprintln!("{program}: {e}");
        2
    })?;
    let (wanted, problems) = parse_rules(&text);
    if problems.is_empty() {
        return Ok(wanted);
    }
    for p in &problems {
        eprintln!("{file}:{}: {}", p.line, p.msg);
    }
    eprintln!(
        "{file}: {} problem{}",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    Err(1)
}

/// `--check FILE`: exit status 0 when clean, 1 with problems, 2 when the
/// file cannot be read. Needs no kernel.
pub fn run_check<W: Write>(program: &str, file: &str, out: &mut W) -> i32 {
    match load(program, file) {
        Ok(wanted) => {
            let dests: usize = wanted.iter().map(|w| w.dests.len()).sum();
            let _ = writeln!(
                out,
                "{file}: OK, {} services, {dests} destinations",
                wanted.len()
            );
            0
        }
        Err(code) => code,
    }
}

/// How many requests go to the kernel in one pipelined batch.
const BATCH: usize = 4096;

/// `--apply FILE`: exit status 0 when the table now matches, 1 when the
/// file fails the check (nothing is changed) or the kernel refused a change,
/// 2 when the file cannot be read.
pub fn run_apply<W: Write>(ctx: &mut Ctx, a: &ApplyArgs, out: &mut W) -> i32 {
    let wanted = match load(&ctx.program, &a.file) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let services = match ctx.ipvs.services() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", ipvs_strerror(Op::GetServices, e.errno));
            return 1;
        }
    };
    let dests = match ctx.ipvs.dests_many(&services) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}", ipvs_strerror(Op::GetDests, e.errno));
            return 1;
        }
    };
    let live: Vec<(Service, Vec<Dest>)> = services.into_iter().zip(dests).collect();
    let changes = plan(&wanted, &live);
    if a.dry_run {
        for c in &changes {
            let _ = writeln!(out, "{}", c.command_line());
        }
        let _ = out.flush();
        eprint!("{}", summary(&changes, " (dry run, nothing changed)"));
        return 0;
    }
    let mut failed = 0;
    for chunk in changes.chunks(BATCH) {
        let (reqs, ops): (Vec<Request>, Vec<Op>) = chunk.iter().map(Change::request).unzip();
        let results = ctx.ipvs.execute_batch(&reqs);
        for ((c, op), r) in chunk.iter().zip(ops).zip(results) {
            if a.verbose {
                let _ = writeln!(out, "{}", c.command_line());
            }
            if let Err(e) = r {
                let _ = out.flush();
                eprintln!("{}: {}", c.command_line(), ipvs_strerror(op, e.errno));
                failed += 1;
            }
        }
    }
    let _ = write!(out, "{}", summary(&changes, ""));
    if failed > 0 {
        let _ = out.flush();
        eprintln!(
            "{}: {failed} of {} changes failed",
            ctx.program,
            changes.len()
        );
        return 1;
    }
    0
}

#[cfg(test)]
mod tests;
