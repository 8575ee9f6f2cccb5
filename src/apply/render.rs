//! Plans as ipvsadm command lines, and the summary of an apply: the one
//! place that writes rules as command lines for lvsadm's own output.

use super::{tally, Change};
use lvs::model::*;
use std::collections::HashMap;
use std::io::Write as _;

/// `192.0.2.1:80`, `[2001:db8::1]:80` (numeric).
pub(crate) fn addrport(addr: std::net::IpAddr, port: u16) -> String {
    AddrPort(addr, port).to_string()
}

/// `-t 192.0.2.1:80`, `-u [2001:db8::1]:53`, `-f 7`, `-f 7 -6`.
pub fn service_rule(s: &Service) -> String {
    s.key().to_string()
}

fn service_line(cmd: &str, s: &Service) -> String {
    let mut l = format!("{cmd} {} -s {}", service_rule(s), s.sched_name);
    if s.flags.intersects(ServiceFlags::PERSISTENT) {
        l.push_str(&format!(" -p {}", s.timeout.as_secs()));
    }
    match s.netmask {
        m if m.is_full() => {}
        Netmask::Prefix(n) => l.push_str(&format!(" -M {n}")),
        Netmask::Mask(m) => l.push_str(&format!(" -M {m}")),
    }
    if !s.pe_name.is_empty() {
        l.push_str(&format!(" --pe {}", s.pe_name));
    }
    if s.flags.intersects(ServiceFlags::ONEPACKET) {
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
    let fwd = d.forward.option().unwrap_or("-g");
    let mut l = format!(
        "{cmd} {} -r {} {fwd} -w {}",
        service_rule(s),
        addrport(d.addr, d.port),
        d.weight
    );
    let show = |v: u32, old: Option<u32>| v != 0 || old.is_some_and(|o| o != v);
    if show(d.u_threshold, live.map(|l| l.u_threshold)) {
        l.push_str(&format!(" -x {}", d.u_threshold));
    }
    if show(d.l_threshold, live.map(|l| l.l_threshold)) {
        l.push_str(&format!(" -y {}", d.l_threshold));
    }
    if d.forward.is_tunnel() {
        match d.tun_type {
            TunnelType::Gue => l.push_str(&format!(" --tun-type gue --tun-port {}", d.tun_port)),
            TunnelType::Gre => l.push_str(" --tun-type gre"),
            _ => {}
        }
        if let c @ (TunnelChecksum::Csum | TunnelChecksum::RemCsum) = d.tun_checksum {
            l.push(' ');
            l.push_str(c.option().unwrap_or_default());
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
            Change::DelDest(s, d) => {
                format!("-d {} -r {}", service_rule(s), addrport(d.addr, d.port))
            }
            Change::DelService(s) => format!("-D {}", service_rule(s)),
        }
    }
}

/// How many deleted services the summary names one by one.
const LISTED_DELETIONS: usize = 20;

/// `1 change`, `2 changes`.
pub fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// What a summary reports on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Changes the kernel made: `deleted service ...`, `N changes`.
    Made,
    /// A `--dry-run` plan: `would delete service ...`,
    /// `N changes (dry run, nothing changed)`.
    DryRun,
    /// A plan a safety rule refused (no `--dry-run`): `would delete
    /// service ...`, `N changes planned (refused, nothing changed)`.
    Refused,
}

/// The human summary of `changes` (those made, or those planned, as
/// `outcome` says): an aligned table (when anything changes), one line per
/// deleted service with the number of destinations it takes along (from
/// `live`), and a last line `N changes` (`1 change`).
pub fn summary(changes: &[Change], live: &[(Service, Vec<Dest>)], outcome: Outcome) -> String {
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
    let dests: HashMap<ServiceKey, usize> = live.iter().map(|(l, d)| (l.key(), d.len())).collect();
    let deleted: Vec<&Service> = changes
        .iter()
        .filter_map(|c| match c {
            Change::DelService(d) => Some(d),
            _ => None,
        })
        .collect();
    let verb = match outcome {
        Outcome::Made => "deleted",
        Outcome::DryRun | Outcome::Refused => "would delete",
    };
    for d in deleted.iter().take(LISTED_DELETIONS) {
        let n = dests.get(&d.key()).copied().unwrap_or(0);
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
    match outcome {
        Outcome::Made => {}
        Outcome::DryRun => s.push_str(" (dry run, nothing changed)"),
        Outcome::Refused => s.push_str(" planned (refused, nothing changed)"),
    }
    s.push('\n');
    s
}
