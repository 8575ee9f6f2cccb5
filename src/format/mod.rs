//! Formatters that print exactly what ipvsadm 1.31 prints.
//!
//! Every function writes complete lines (ending in `\n`) to `out`. Name
//! resolution (without `-n`) is the caller's, passed in as [`Names`]: the
//! formatters make no look-up and no other I/O than writing to `out`.

mod addr;
mod conn;
#[cfg(test)]
pub(crate) use addr::raw_from_ip;
pub(crate) use addr::{ip_from_raw, ntop, RawAddr};
pub use addr::{Names, Resolver};
pub use conn::{read_connections, Conn};
pub mod node_exporter;
pub mod prometheus;
pub mod sort;

use std::fmt::Write as _;
use std::io::{self, Write};

use lvs::model::*;

pub use conn::{write_connections, ConnError};

/// Which listing `-L` prints. When several listing options are given,
/// ipvsadm's precedence is stats > rate > thresholds > persistent-conn >
/// tun-info > default (the command layer picks one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListMode {
    /// Plain `-L`.
    #[default]
    Default,
    /// `--stats`.
    Stats,
    /// `--rate`.
    Rate,
    /// `--thresholds`.
    Thresholds,
    /// `--persistent-conn`.
    PersistentConn,
    /// `--tun-info`.
    TunInfo,
}

/// Listing options.
#[derive(Debug, Clone, Copy, Default)]
pub struct ListOptions {
    /// The `mode` value.
    pub mode: ListMode,
    /// `-n` ([`Names::Numeric`]) or the names to print.
    pub names: Names,
    /// `--exact`: unabbreviated counters.
    pub exact: bool,
    /// `--nosort`: kernel order (the formatters do not sort; the caller does).
    pub nosort: bool,
}

/// What glibc's printf prints for a NULL `%s`.
const NULL_STR: &str = "(null)";
/// Mask of the scheduler flag bits.
const SCHED_FLAGS: ServiceFlags = ServiceFlags::SCHED;

/// ipvsadm's `print_largenum`: a counter in a 9-character column.
///
/// Without `exact`: below 10^8 as is; then in K (10^3) below 10^9, M (10^6)
/// below 10^11, G (10^9) below 10^14, else T (10^12), truncating. With
/// `exact`: the full number, width 9 or (digits + 1) when longer than 8.
pub fn largenum(n: u64, exact: bool) -> String {
    if exact {
        let digits = n.to_string();
        let width = if digits.len() <= 8 {
            9
        } else {
            digits.len() + 1
        };
        return format!("{digits:>width$}");
    }
    if n < 100_000_000 {
        format!("{n:>9}")
    } else if n < 1_000_000_000 {
        format!("{:>8}K", n / 1_000)
    } else if n < 100_000_000_000 {
        format!("{:>8}M", n / 1_000_000)
    } else if n < 100_000_000_000_000 {
        format!("{:>8}G", n / 1_000_000_000)
    } else {
        format!("{:>8}T", n / 1_000_000_000_000)
    }
}

/// `IP Virtual Server version 1.2.1 (size=4096)`.
pub fn write_banner<W: Write>(out: &mut W, info: &Info) -> io::Result<()> {
    writeln!(
        out,
        "IP Virtual Server version {}.{}.{} (size={})",
        (info.version >> 16) & 0xff,
        (info.version >> 8) & 0xff,
        info.version & 0xff,
        info.conn_tab_size as i32
    )
}

/// The two title lines of the listing mode.
pub fn write_title<W: Write>(out: &mut W, opts: &ListOptions) -> io::Result<()> {
    const PROT: &str = "Prot LocalAddress:Port";
    const REMOTE: &str = "  -> RemoteAddress:Port";
    match opts.mode {
        ListMode::Stats => writeln!(
            out,
            "{PROT:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{REMOTE}",
            "Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"
        ),
        ListMode::Rate => writeln!(
            out,
            "{PROT:<33} {:>8} {:>8} {:>8} {:>8} {:>8}\n{REMOTE}",
            "CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"
        ),
        ListMode::Thresholds => writeln!(
            out,
            "{PROT:<33} {:<10} {:<10} {:<10} {:<10}\n{REMOTE}",
            "Uthreshold", "Lthreshold", "ActiveConn", "InActConn"
        ),
        ListMode::PersistentConn => writeln!(
            out,
            "{PROT:<33} {:<9} {:<11} {:<10} {:<10}\n{REMOTE}",
            "Weight", "PersistConn", "ActiveConn", "InActConn"
        ),
        ListMode::TunInfo => writeln!(
            out,
            "Prot LocalAddress:Port Scheduler Flags\n\
             {REMOTE}           Forward TunnelInfo    Weight ActiveConn InActConn"
        ),
        ListMode::Default => writeln!(
            out,
            "Prot LocalAddress:Port Scheduler Flags\n\
             {REMOTE}           Forward Weight ActiveConn InActConn"
        ),
    }
}

/// Protocol column of a listing row.
fn proto_label(protocol: Protocol) -> &'static str {
    protocol.label().unwrap_or("?")
}

/// Service option of a save line.
fn proto_option(protocol: Protocol) -> &'static str {
    protocol.option().unwrap_or("--xxx-service")
}

/// The service's `addr:port` text (59-byte cut included).
fn service_addrport(svc: &Service, names: Names) -> String {
    addr::addrport(
        svc.family,
        &addr::raw_from_ip(svc.addr),
        svc.port,
        svc.protocol,
        names,
    )
}

/// Human text of a service as in listing rows: `FWM  %d`, `FWM  %d IPv6`
/// or `%-4s %s` (e.g. `TCP  192.0.2.1:80`), cut to 33 bytes unless the
/// service is IPv6. Names are those of `names`.
pub fn service_label(svc: &Service, names: Names) -> String {
    if svc.is_fwmark() {
        let v6 = if svc.family == Family::Inet6 {
            " IPv6"
        } else {
            ""
        };
        return format!("FWM  {}{v6}", svc.fwmark as i32);
    }
    let text = format!(
        "{:<4} {}",
        proto_label(svc.protocol),
        service_addrport(svc, names)
    );
    if svc.family != Family::Inet6 {
        addr::cut(text, 33)
    } else {
        text
    }
}

/// A listing label or address text: on the stack when numeric (the usual
/// case, no allocation per row), else the resolved text.
// A transient stack value, one per row: boxing the large variant would
// bring back the allocation it exists to avoid.
#[allow(clippy::large_enum_variant)]
enum Label {
    Stack(addr::Line),
    Owned(String),
}

impl Label {
    fn as_str(&self) -> &str {
        match self {
            Label::Stack(s) => s.as_str(),
            Label::Owned(s) => s,
        }
    }

    /// [`service_label`]; numeric IPv4 labels are at most 26 bytes, so the
    /// cut to 33 never applies to them.
    fn of_service(svc: &Service, names: Names) -> Label {
        if names.is_numeric() && !svc.is_fwmark() {
            let a = addr::addrport_numeric(svc.family, &addr::raw_from_ip(svc.addr), svc.port);
            let mut s = addr::Line::new();
            if write!(s, "{:<4} {}", proto_label(svc.protocol), a.as_str()).is_ok() {
                return Label::Stack(s);
            }
        }
        Label::Owned(service_label(svc, names))
    }

    /// The destination's `addr:port` as listing rows show it (IPv4 cut to
    /// 28 bytes, which numeric text never reaches).
    fn of_dest(svc: &Service, dest: &Dest, names: Names) -> Label {
        if names.is_numeric() {
            return Label::Stack(addr::addrport_numeric(
                dest.family,
                &addr::raw_from_ip(dest.addr),
                dest.port,
            ));
        }
        let name = dest_addrport(svc, dest, names);
        Label::Owned(if dest.family != Family::Inet6 {
            addr::cut(name, 28)
        } else {
            name
        })
    }
}

/// The service part of save lines: `-t addr:port`, `-f N`, `-f N -6`...
fn push_service_rule(l: &mut addr::Line, svc: &Service, names: Names) {
    if svc.is_fwmark() {
        l.push(b"-f ");
        l.signed(i64::from(svc.fwmark as i32));
        if svc.family == Family::Inet6 {
            l.push(b" -6");
        }
        return;
    }
    l.push(proto_option(svc.protocol).as_bytes());
    l.push(b" ");
    if names.is_numeric() {
        l.addrport(svc.family, &addr::raw_from_ip(svc.addr), svc.port);
    } else {
        l.push(service_addrport(svc, names).as_bytes());
    }
}

/// Scheduler flag names, comma-joined; bits a scheduler cannot name are
/// silently left out (so the text may be empty).
fn sched_flags_text(svc: &Service) -> String {
    sched_flags_named(&svc.sched_name, svc.flags).join(",")
}

/// The persistence mask text, if it differs from the default: dotted
/// (`inet_ntoa`) for IPv4, prefix length (`%i`) for IPv6.
fn mask_text(svc: &Service) -> Option<String> {
    match svc.netmask {
        m if m.is_full() => None,
        Netmask::Prefix(n) => Some((n as i32).to_string()),
        Netmask::Mask(m) => Some(m.to_string()),
    }
}

/// `Scheduler Flags` part of a default listing service row.
fn service_flags_text(svc: &Service) -> String {
    let mut s = String::new();
    if svc.flags.intersects(SCHED_FLAGS) {
        s.push_str(&format!(" ({})", sched_flags_text(svc)));
    }
    if svc.flags.intersects(ServiceFlags::PERSISTENT) {
        s.push_str(&format!(" persistent {}", svc.timeout.as_secs()));
        if let Some(mask) = mask_text(svc) {
            s.push_str(&format!(" mask {mask}"));
        }
        if !svc.pe_name.is_empty() {
            s.push_str(&format!(" pe {}", svc.pe_name));
        }
    }
    if svc.flags.intersects(ServiceFlags::ONEPACKET) {
        s.push_str(" ops");
    }
    s
}

/// The service row of the listing mode.
pub fn write_service<W: Write>(out: &mut W, svc: &Service, opts: &ListOptions) -> io::Result<()> {
    let label = Label::of_service(svc, opts.names);
    let st = &svc.stats;
    let nums = match opts.mode {
        ListMode::Stats => [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes],
        ListMode::Rate => [st.cps, st.inpps, st.outpps, st.inbps, st.outbps],
        _ => {
            return writeln!(
                out,
                "{} {}{}",
                label.as_str(),
                svc.sched_name,
                service_flags_text(svc)
            )
        }
    };
    let mut line = format!("{:<33}", label.as_str());
    for n in nums {
        line.push_str(&largenum(n, opts.exact));
    }
    writeln!(out, "{line}")
}

/// Forwarding column: `Masq`, `Local`, `Tunnel`, `Route`, else glibc's `(null)`.
fn fwd_name(fwd: Forward) -> &'static str {
    fwd.label().unwrap_or(NULL_STR)
}

/// Forwarding option of a save line (`-g` for local node too).
fn fwd_switch(fwd: Forward) -> &'static str {
    fwd.option().unwrap_or(NULL_STR)
}

/// Short tunnel checksum flag of `--tun-info` (ipvsadm indexes a 3-entry
/// array here: other values are undefined behaviour there).
fn tun_flag_short(flags: TunnelChecksum) -> &'static str {
    flags.short().unwrap_or(NULL_STR)
}

/// Tunnel checksum option of a save line.
fn tun_flag_option(flags: TunnelChecksum) -> &'static str {
    flags.option().unwrap_or(NULL_STR)
}

/// `TunnelInfo` column: `ipip`, `gue:PORT:FLAG`, `gre:FLAG`, else `n/a`
/// (built in a 16-byte buffer).
fn tun_info(dest: &Dest) -> String {
    if !dest.is_tunnel() {
        return "n/a".to_string();
    }
    let text = match dest.tun_type {
        TunnelType::Ipip => "ipip".to_string(),
        TunnelType::Gue => format!(
            "gue:{}:{}",
            dest.tun_port,
            tun_flag_short(dest.tun_checksum)
        ),
        TunnelType::Gre => format!("gre:{}", tun_flag_short(dest.tun_checksum)),
        _ => return "n/a".to_string(),
    };
    addr::cut(text, 15)
}

/// The destination's `addr:port` text, in the DEST's family, with the port
/// named after the SERVICE's protocol.
fn dest_addrport(svc: &Service, dest: &Dest, names: Names) -> String {
    addr::addrport(
        dest.family,
        &addr::raw_from_ip(dest.addr),
        dest.port,
        svc.protocol,
        names,
    )
}

/// A destination row of the listing mode.
///
/// `--stats`/`--rate` reproduce libipvs reading the dest's 64-bit counters
/// with a 32-bit getter: every counter but the byte counts is cut to its low
/// 32 bits.
pub fn write_dest<W: Write>(
    out: &mut W,
    svc: &Service,
    dest: &Dest,
    opts: &ListOptions,
) -> io::Result<()> {
    if opts.names.is_numeric() && opts.mode == ListMode::Default {
        // `"  -> {name:<28} {fwd:<7} {weight:<6} {active:<10} {inact:<10}"`
        let mut l = addr::Line::new();
        l.push(b"  -> ");
        l.column(28, |l| {
            l.addrport(dest.family, &addr::raw_from_ip(dest.addr), dest.port)
        });
        l.push(b" ");
        l.column(7, |l| l.push(fwd_name(dest.forward).as_bytes()));
        l.push(b" ");
        l.column(6, |l| l.signed(i64::from(dest.weight)));
        l.push(b" ");
        l.column(10, |l| l.num(u64::from(dest.active_conns)));
        l.push(b" ");
        l.column(10, |l| l.num(u64::from(dest.inact_conns)));
        l.push(b"\n");
        if let Some(b) = l.bytes() {
            return out.write_all(b);
        }
    }
    let label = Label::of_dest(svc, dest, opts.names);
    let name = label.as_str();
    let low32 = |n: u64| u64::from(n as u32);
    let st = &dest.stats;
    let ex = opts.exact;
    match opts.mode {
        ListMode::Stats => writeln!(
            out,
            "  -> {name:<28}{}{}{}{}{}",
            largenum(low32(st.conns), ex),
            largenum(low32(st.inpkts), ex),
            largenum(low32(st.outpkts), ex),
            largenum(st.inbytes, ex),
            largenum(st.outbytes, ex)
        ),
        ListMode::Rate => writeln!(
            out,
            "  -> {name:<28} {:>8} {:>8} {:>8}{}{}",
            low32(st.cps),
            low32(st.inpps),
            low32(st.outpps),
            largenum(low32(st.inbps), ex),
            largenum(low32(st.outbps), ex)
        ),
        ListMode::Thresholds => writeln!(
            out,
            "  -> {name:<28} {:<10} {:<10} {:<10} {:<10}",
            dest.u_threshold, dest.l_threshold, dest.active_conns, dest.inact_conns
        ),
        ListMode::PersistentConn => writeln!(
            out,
            "  -> {name:<28} {:<9} {:<11} {:<10} {:<10}",
            dest.weight as u32, dest.persist_conns, dest.active_conns, dest.inact_conns
        ),
        ListMode::TunInfo => writeln!(
            out,
            "  -> {name:<28} {:<7} {:<13} {:<6} {:<10} {:<10}",
            fwd_name(dest.forward),
            tun_info(dest),
            dest.weight,
            dest.active_conns,
            dest.inact_conns
        ),
        ListMode::Default => writeln!(
            out,
            "  -> {name:<28} {:<7} {:<6} {:<10} {:<10}",
            fwd_name(dest.forward),
            dest.weight,
            dest.active_conns,
            dest.inact_conns
        ),
    }
}

/// `-S` service line: `-A <svc> -s <sched> [-p T [-M mask]] [--pe X] [-o] [-b flags]`.
pub fn write_save_service<W: Write>(out: &mut W, svc: &Service, names: Names) -> io::Result<()> {
    let mut l = addr::Line::new();
    l.push(b"-A ");
    push_service_rule(&mut l, svc, names);
    out.write_all(l.as_str().as_bytes())?;
    write!(out, " -s {}", svc.sched_name)?;
    if svc.flags.intersects(ServiceFlags::PERSISTENT) {
        write!(out, " -p {}", svc.timeout.as_secs())?;
        if let Some(mask) = mask_text(svc) {
            write!(out, " -M {mask}")?;
        }
    }
    if !svc.pe_name.is_empty() {
        write!(out, " --pe {}", svc.pe_name)?;
    }
    if svc.flags.intersects(ServiceFlags::ONEPACKET) {
        out.write_all(b" -o")?;
    }
    if svc.flags.intersects(SCHED_FLAGS) {
        write!(out, " -b {}", sched_flags_text(svc))?;
    }
    out.write_all(b"\n")
}

/// `-S` destination line: `-a <svc> -r <addr:port> -m|-i|-g -w W` plus the
/// tunnel options of tunnel destinations.
pub fn write_save_dest<W: Write>(
    out: &mut W,
    svc: &Service,
    dest: &Dest,
    names: Names,
) -> io::Result<()> {
    // `-a <rule> -r <addr:port> <fwd> -w <weight>[ <tunnel options>]`
    let mut l = addr::Line::new();
    l.push(b"-a ");
    push_service_rule(&mut l, svc, names);
    l.push(b" -r ");
    if names.is_numeric() {
        l.addrport(dest.family, &addr::raw_from_ip(dest.addr), dest.port);
    } else {
        l.push(dest_addrport(svc, dest, names).as_bytes());
    }
    l.push(b" ");
    l.push(fwd_switch(dest.forward).as_bytes());
    l.push(b" -w ");
    l.signed(i64::from(dest.weight));
    if dest.is_tunnel() {
        match dest.tun_type {
            TunnelType::Gue => {
                l.push(b" --tun-type gue --tun-port ");
                l.num(u64::from(dest.tun_port));
                l.push(b" ");
                l.push(tun_flag_option(dest.tun_checksum).as_bytes());
            }
            TunnelType::Gre => {
                l.push(b" --tun-type gre ");
                l.push(tun_flag_option(dest.tun_checksum).as_bytes());
            }
            TunnelType::Ipip => l.push(b" --tun-type ipip"),
            _ => {}
        }
    }
    l.push(b"\n");
    out.write_all(l.as_str().as_bytes())
}

/// `Timeout (tcp tcpfin udp): 900 120 300`.
pub fn write_timeouts<W: Write>(out: &mut W, t: &Timeouts) -> io::Result<()> {
    writeln!(
        out,
        "Timeout (tcp tcpfin udp): {} {} {}",
        secs_i32(t.tcp),
        secs_i32(t.tcp_fin),
        secs_i32(t.udp)
    )
}

/// One line per running daemon, in the given order (master first as the
/// kernel dumps them); entries with neither state bit print nothing.
pub fn write_daemons<W: Write>(out: &mut W, daemons: &[Daemon]) -> io::Result<()> {
    for d in daemons {
        let kind = d.role.name();
        let mut line = format!(
            "{kind} sync daemon (mcast={}, syncid={}",
            d.mcast_ifn, d.syncid as i32
        );
        if d.sync_maxlen != 0 {
            line.push_str(&format!(", maxlen={}", d.sync_maxlen));
        }
        if let Some(group) = &d.mcast_group {
            line.push_str(&format!(", group={}", addr::ntop(group)));
        }
        if d.mcast_port != 0 {
            line.push_str(&format!(", port={}", d.mcast_port));
        }
        if d.mcast_ttl != 0 {
            line.push_str(&format!(", ttl={}", d.mcast_ttl));
        }
        writeln!(out, "{line})")?;
    }
    Ok(())
}

#[cfg(test)]
mod dashboard_tests;
#[cfg(test)]
mod tests;

/// A kernel timeout as ipvsadm prints it: its 32-bit seconds, signed.
fn secs_i32(d: std::time::Duration) -> i32 {
    d.as_secs() as u32 as i32
}
