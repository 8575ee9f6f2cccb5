//! ipvsadm's command line turned into a typed [`Parsed`] command.
//!
//! The order of every check follows ipvsadm 1.31 so that, given several
//! mistakes, the same message is printed first: options are acted on as they
//! are read (popt loop), then the `--set` values and leftover words, then the
//! scheduler flags, then the command × option matrix, then the per-command
//! rules. See `ipvsadm-reference.md` §2–§4.

pub mod addr;
pub mod fast;
pub mod generate;
pub mod options;
pub mod popt;
pub mod usage;

use crate::model::*;
use popt::Walker;

/// The commands, in the order of ipvsadm's command × option matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    AddService,
    EditService,
    DelService,
    Flush,
    List,
    AddDest,
    DelDest,
    EditDest,
    SetTimeout,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
}

impl Cmd {
    /// The name ipvsadm prints in matrix errors.
    pub fn name(self) -> &'static str {
        CMD_NAMES[self as usize]
    }
}

const CMD_NAMES: [&str; 14] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
];

/// Option bits, numbered like the columns of ipvsadm's matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Opt {
    Numeric,
    Connection,
    Service,
    Scheduler,
    Persistent,
    Netmask,
    Server,
    Forward,
    Weight,
    UThreshold,
    LThreshold,
    McastInterface,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    SyncId,
    Exact,
    Ops,
    Pe,
    SchedFlags,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxlen,
    TunInfo,
    TunType,
    TunPort,
    TunNocsum,
    TunCsum,
    TunRemcsum,
    /// lvsadm's `-j`/`--json` (not in ipvsadm's matrix; only with `-L`).
    Json,
}

const NUMBER_OF_OPT: usize = 35;

const OPT_NAMES: [&str; NUMBER_OF_OPT] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
    "json",
];

/// For each option (matrix row), one character per command in [`Cmd`]
/// order: `+` required, `x` illegal, `1` at most one of them, `.` optional.
///                                 AEDCLadeSsoRSZ  (S=set s=start o=stop)
const MATRIX: [&[u8; 14]; NUMBER_OF_OPT] = [
    b"xxxx.xxxxxxx.x", // numeric
    b"xxxx1xxxxxxxxx", // connection
    b"+++x1+++xxxxx.", // service-address
    b"..xxxxxxxxxxxx", // scheduler
    b"..xxxxxxxxxxxx", // persistent
    b"..xxxxxxxxxxxx", // netmask
    b"xxxxx+++xxxxxx", // real-server
    b"xxxxx.x.xxxxxx", // forwarding-method
    b"xxxxx.x.xxxxxx", // weight
    b"xxxxx.x.xxxxxx", // u-threshold
    b"xxxxx.x.xxxxxx", // l-threshold
    b"xxxxxxxxx.xxxx", // mcast-interface
    b"xxxx1xxxxxxxxx", // timeout
    b"xxxx1xxxxxxxxx", // daemon
    b"xxxx.xxxxxxxxx", // stats
    b"xxxx.xxxxxxxxx", // rate
    b"xxxx.xxxxxxxxx", // thresholds
    b"xxxx.xxxxxxxxx", // persistent-conn
    b"xxxx.xxxxxxxxx", // nosort
    b"xxxx.xxxx..xxx", // syncid
    b"xxxx.xxxxxxxxx", // exact
    b"..xxxxxxxxxxxx", // ops
    b"..xxxxxxxxxxxx", // pe
    b"..xxxxxxxxxxxx", // sched-flags
    b"xxxxxxxxx.xxxx", // mcast-group
    b"xxxxxxxxx.xxxx", // mcast-port
    b"xxxxxxxxx.xxxx", // mcast-ttl
    b"xxxxxxxxx.xxxx", // sync-maxlen
    b"xxxx.xxxxxxxxx", // tun-info
    b"xxxxx.x.xxxxxx", // tun-type
    b"xxxxx.x.xxxxxx", // tun-port
    b"xxxxx.x.xxxxxx", // tun-nocsum
    b"xxxxx.x.xxxxxx", // tun-csum
    b"xxxxx.x.xxxxxx", // tun-remcsum
    b"xxxx.xxxxxxxxx", // json (lvsadm)
];

/// Tunnel-type × tunnel-option matrix (columns tun-port, tun-nocsum,
/// tun-csum, tun-remcsum) for ipip, gue, gre.
const TUN_MATRIX: [(&str, &[u8; 4]); 3] = [("ipip", b"xxxx"), ("gue", b"+111"), ("gre", b"x11x")];
const TUN_OPTS: [Opt; 4] = [Opt::TunPort, Opt::TunNocsum, Opt::TunCsum, Opt::TunRemcsum];

/// Which listing the user asked for, and how.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Format {
    pub numeric: bool,
    pub stats: bool,
    pub rate: bool,
    pub thresholds: bool,
    pub persistent_conn: bool,
    pub tun_info: bool,
    pub nosort: bool,
    pub exact: bool,
    /// lvsadm's `-j`: JSON instead of ipvsadm's text.
    pub json: bool,
}

/// A fully parsed and checked command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub cmd: Cmd,
    /// Option bits (`1 << Opt as u32`).
    pub options: u64,
    /// The virtual service, completed with ipvsadm's defaults.
    pub svc: Service,
    /// The real server (for `-a`/`-e`/`-d`).
    pub dest: Dest,
    /// `--set` values.
    pub timeouts: Timeouts,
    /// `--start-daemon`/`--stop-daemon` parameters.
    pub daemon: Daemon,
    pub format: Format,
}

impl Parsed {
    /// Whether an option was given.
    pub fn has(&self, o: Opt) -> bool {
        self.options & bit(o) != 0
    }
}

/// What a command line asks for.
#[derive(Debug, Clone)]
pub enum Outcome {
    Run(Box<Parsed>),
    /// `-h`: print the usage to stdout, exit 0.
    Help,
    /// `-v`: print the version, exit 0.
    Version,
    /// lvsadm's `--apply FILE [--dry-run] [--verbose]`.
    Apply(ApplyArgs),
    /// lvsadm's `--check FILE`.
    Check(String),
}

/// The arguments of `--apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyArgs {
    /// The rule file, `-` for standard input.
    pub file: String,
    pub dry_run: bool,
    pub verbose: bool,
}

/// Split the `--netns NAME` / `--netns=NAME` options off a command line.
///
/// Only words the popt walker sees as options count (a value such as
/// `-s --netns` stays the scheduler's), and the walk stops at the first
/// error, so a command line ipvsadm accepts is returned unchanged.
/// Returns the namespace names found and the remaining words.
pub fn split_netns(args: &[String]) -> (Vec<String>, Vec<String>) {
    let mut w = Walker::new(args);
    let mut names = Vec::new();
    let mut drop = vec![false; args.len()];
    while let Some(Ok(ev)) = w.next_opt() {
        if ev.id != "netns" {
            continue;
        }
        let end = w.consumed();
        if args[end - 1].starts_with("--netns=") {
            drop[end - 1] = true;
        } else {
            drop[end - 2] = true;
            drop[end - 1] = true;
        }
        names.push(ev.value.unwrap_or_default());
    }
    let rest = args
        .iter()
        .zip(drop)
        .filter(|(_, d)| !d)
        .map(|(a, _)| a.clone())
        .collect();
    (names, rest)
}

/// lvsadm's `--apply`/`--check` command lines, after any leading `--dry-run`/`--verbose`.
fn parse_file_command(
    first: popt::Event,
    mut w: Walker<'_>,
    dry_run: bool,
    verbose: bool,
) -> Result<Outcome, CliError> {
    let (mut dry_run, mut verbose) = (dry_run, verbose);
    let file = first.value.unwrap_or_default();
    let is_apply = first.id == "apply";
    while let Some(ev) = w.next_opt() {
        let ev = ev.map_err(|e| CliError::Popt(e.to_string()))?;
        match ev.id.as_str() {
            "dry-run" if is_apply => dry_run = true,
            "verbose" if is_apply => verbose = true,
            _ => return Err(fail(format!("invalid option `{}'", w.bad_option()))),
        }
    }
    if let Some(extra) = w.next_arg() {
        return Err(fail(format!("unexpected argument {extra}")));
    }
    if is_apply {
        Ok(Outcome::Apply(ApplyArgs {
            file,
            dry_run,
            verbose,
        }))
    } else if dry_run || verbose {
        Err(fail("--dry-run and --verbose go with --apply"))
    } else {
        Ok(Outcome::Check(file))
    }
}

/// How a command line can fail, with ipvsadm's consequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// ipvsadm's `fail()`: message on stderr, exit immediately with `code`
    /// (also inside `-R`, aborting the restore).
    Fatal { code: i32, msg: String },
    /// The first option is not a command (or popt failed on it): the
    /// "Try ... -h" line, exit 255 (also aborts a restore).
    TryHelp,
    /// popt failed on a later option: `"<word>: <error>"` on stderr; the
    /// command returns -1 (exit 255), and a restore goes on with the next line.
    Popt(String),
}

fn fail(msg: impl Into<String>) -> CliError {
    CliError::Fatal {
        code: 2,
        msg: msg.into(),
    }
}

fn bit(o: Opt) -> u64 {
    1u64 << (o as u32)
}

fn set_option(options: &mut u64, o: Opt) -> Result<(), CliError> {
    if *options & bit(o) != 0 {
        return Err(fail(format!(
            "multiple '{}' options specified",
            OPT_NAMES[o as usize]
        )));
    }
    *options |= bit(o);
    Ok(())
}

/// C `strtol(s, &end, 10)` requiring the whole string to be a number.
/// Values beyond `i64` saturate, as strtol's do.
pub fn strtol_full(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let mut neg = false;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        neg = b[i] == b'-';
        i += 1;
    }
    let start = i;
    let mut v: i128 = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        v = (v * 10 + (b[i] - b'0') as i128).min(i64::MAX as i128 + 1);
        i += 1;
    }
    if i == start || i != b.len() {
        return None;
    }
    let v = if neg { -v } else { v };
    Some(v.clamp(i64::MIN as i128, i64::MAX as i128) as i64)
}

/// ipvsadm's `string_to_number`: a whole decimal number within `min..=max`.
pub fn string_to_number(s: &str, min: i64, max: i64) -> Option<i64> {
    strtol_full(s).filter(|n| (min..=max).contains(n))
}

const MAX_TIMEOUT: i64 = 86400 * 31;

fn parse_timeout(v: Option<&str>, min: i64, max: i64) -> Result<u32, CliError> {
    match v {
        None => Ok(DEFAULT_PERSISTENT_TIMEOUT),
        Some(s) => string_to_number(s, min, max)
            .map(|n| n as u32)
            .ok_or_else(|| fail(format!("invalid timeout value `{s}' specified"))),
    }
}

fn parse_fwmark(s: &str) -> Result<u32, CliError> {
    match strtol_full(s) {
        Some(n) if n > 0 && n <= u32::MAX as i64 => Ok(n as u32),
        _ => Err(fail(format!("invalid fwmark value `{s}' specified"))),
    }
}

/// Copy at most `max` bytes of `s`, as `strncpy` into a fixed buffer does.
fn truncate_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        s.to_string()
    } else {
        String::from_utf8_lossy(&s.as_bytes()[..max]).into_owned()
    }
}

fn parse_sched_flags(sched: &str, arg: &str) -> Result<u32, CliError> {
    let scheduler = if sched.is_empty() { "wlc" } else { sched };
    let mut flags = 0;
    let mut any = false;
    for flag in arg.split(',').filter(|f| !f.is_empty()) {
        any = true;
        let (bit, only) = match flag {
            "flag-1" => (SVC_F_SCHED1, None),
            "flag-2" => (SVC_F_SCHED2, None),
            "flag-3" => (SVC_F_SCHED3, None),
            "sh-fallback" => (SVC_F_SCHED1, Some("sh")),
            "sh-port" => (SVC_F_SCHED2, Some("sh")),
            "mh-fallback" => (SVC_F_SCHED1, Some("mh")),
            "mh-port" => (SVC_F_SCHED2, Some("mh")),
            _ => return Err(fail(format!("invalid scheduler flag `{flag}'"))),
        };
        flags |= bit;
        if let Some(s) = only {
            if scheduler != s {
                return Err(fail(format!("incompatible scheduler flag `{flag}'")));
            }
        }
    }
    if !any {
        // ipvsadm dereferences a NULL token here and crashes; say something useful instead.
        return Err(fail(format!("invalid scheduler flag `{arg}'")));
    }
    Ok(flags)
}

fn parse_mcast_group(s: &str) -> Result<std::net::IpAddr, CliError> {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    if s.contains(':') {
        match s.parse::<Ipv6Addr>() {
            Ok(a) if a.is_multicast() => Ok(IpAddr::V6(a)),
            _ => Err(fail(format!("invalid IPv6 mcast-group `{s}'"))),
        }
    } else {
        match s.parse::<Ipv4Addr>() {
            Ok(a) if a.is_multicast() => Ok(IpAddr::V4(a)),
            _ => Err(fail(format!("invalid IPv4 mcast-group `{s}'"))),
        }
    }
}

/// Parse one ipvsadm command line. `args` excludes the program name.
pub fn parse(args: &[String]) -> Result<Outcome, CliError> {
    if let Some(p) = fast::parse_bare(args) {
        return Ok(Outcome::Run(Box::new(p)));
    }
    parse_general(args)
}

/// [`parse`] without the fast path.
pub(crate) fn parse_general(args: &[String]) -> Result<Outcome, CliError> {
    let mut w = Walker::new(args);

    let mut svc = Service::new(AF_INET);
    svc.af = 0;
    let mut dest = Dest::new(0);
    let mut daemon = Daemon::default();
    let mut format = Format::default();
    let mut options: u64 = 0;
    let mut sched_flags_arg = String::new();

    // The first option must be a command. lvsadm: `-j`, `--dry-run` and
    // `--verbose` may come before it (ipvsadm rejects them anywhere).
    let (mut json, mut dry_run, mut verbose) = (false, false, false);
    let first = loop {
        match w.next_opt() {
            Some(Ok(e)) if e.id == "json" => json = true,
            Some(Ok(e)) if e.id == "dry-run" => dry_run = true,
            Some(Ok(e)) if e.id == "verbose" => verbose = true,
            Some(Ok(e)) => break e,
            _ => return Err(CliError::TryHelp),
        }
    };
    if first.id == "apply" || first.id == "check" {
        if json {
            return Err(fail("--json goes with -L"));
        }
        return parse_file_command(first, w, dry_run, verbose);
    }
    if dry_run || verbose {
        return Err(fail("--dry-run and --verbose go with --apply"));
    }
    if json {
        options |= bit(Opt::Json);
        format.json = true;
    }
    let cmd = match first.id.as_str() {
        "add-service" => Cmd::AddService,
        "edit-service" => Cmd::EditService,
        "delete-service" => Cmd::DelService,
        "clear" => Cmd::Flush,
        "restore" => Cmd::Restore,
        "save" => Cmd::Save,
        "add-server" => Cmd::AddDest,
        "edit-server" => Cmd::EditDest,
        "delete-server" => Cmd::DelDest,
        "list" | "list-l" => Cmd::List,
        "zero" => Cmd::Zero,
        "set" => Cmd::SetTimeout,
        "start-daemon" => {
            daemon.state = match first.value.as_deref() {
                Some("master") => DAEMON_MASTER,
                Some("backup") => DAEMON_BACKUP,
                _ => return Err(fail("illegal start-daemon parameter specified")),
            };
            Cmd::StartDaemon
        }
        "stop-daemon" => {
            daemon.state = match first.value.as_deref() {
                Some("master") => DAEMON_MASTER,
                Some("backup") => DAEMON_BACKUP,
                _ => return Err(fail("illegal start_daemon specified")),
            };
            Cmd::StopDaemon
        }
        "help" => return Ok(Outcome::Help),
        "version" => return Ok(Outcome::Version),
        _ => return Err(CliError::TryHelp),
    };

    while let Some(ev) = w.next_opt() {
        let ev = ev.map_err(|e| CliError::Popt(e.to_string()))?;
        let val = ev.value.as_deref();
        let value = || val.unwrap_or("");
        match ev.id.as_str() {
            "tcp-service" | "udp-service" | "sctp-service" => {
                set_option(&mut options, Opt::Service)?;
                svc.protocol = match ev.id.as_str() {
                    "tcp-service" => IPPROTO_TCP,
                    "udp-service" => IPPROTO_UDP,
                    _ => IPPROTO_SCTP,
                };
                if addr::parse_service(value(), &mut svc).is_none() {
                    return Err(fail("illegal virtual server address[:port] specified"));
                }
            }
            "fwmark-service" => {
                set_option(&mut options, Opt::Service)?;
                // ipvsadm gives fwmark services a protocol for its own use
                // (port names of -r are then looked up as tcp); never sent.
                svc.af = AF_INET;
                svc.protocol = IPPROTO_TCP;
                svc.fwmark = parse_fwmark(value())?;
            }
            "netmask" => {
                set_option(&mut options, Opt::Netmask)?;
                let s = value();
                if svc.af != AF_INET6 {
                    svc.netmask = addr::parse_netmask(s)
                        .ok_or_else(|| fail("illegal virtual server persistent mask specified"))?;
                } else {
                    let n = addr::atoi(s);
                    if !(1..=128).contains(&n) {
                        return Err(fail("illegal ipv6 netmask specified"));
                    }
                    svc.netmask = n as u32;
                }
            }
            "scheduler" => {
                set_option(&mut options, Opt::Scheduler)?;
                svc.sched_name = truncate_bytes(value(), 15);
            }
            "persistent" => {
                set_option(&mut options, Opt::Persistent)?;
                svc.flags |= SVC_F_PERSISTENT;
                svc.timeout = parse_timeout(val, 1, MAX_TIMEOUT)?;
            }
            "real-server" => {
                set_option(&mut options, Opt::Server)?;
                let mut t = svc.clone();
                let parsed = addr::parse_service(value(), &mut t);
                dest.af = t.af;
                dest.addr = t.addr;
                dest.port = t.port;
                match parsed {
                    None => return Err(fail("illegal real server address[:port] specified")),
                    Some(false) => dest.port = svc.port,
                    Some(true) => {}
                }
            }
            "ipip" | "gatewaying" | "masquerading" => {
                set_option(&mut options, Opt::Forward)?;
                dest.fwd = match ev.id.as_str() {
                    "ipip" => FWD_TUNNEL,
                    "gatewaying" => FWD_DROUTE,
                    _ => FWD_MASQ,
                };
            }
            "weight" => {
                set_option(&mut options, Opt::Weight)?;
                dest.weight = string_to_number(value(), 0, i32::MAX as i64)
                    .ok_or_else(|| fail("illegal weight specified"))?
                    as i32;
            }
            "u-threshold" => {
                set_option(&mut options, Opt::UThreshold)?;
                dest.u_threshold = string_to_number(value(), 0, i32::MAX as i64)
                    .ok_or_else(|| fail("illegal u_threshold specified"))?
                    as u32;
            }
            "l-threshold" => {
                set_option(&mut options, Opt::LThreshold)?;
                dest.l_threshold = string_to_number(value(), 0, i32::MAX as i64)
                    .ok_or_else(|| fail("illegal l_threshold specified"))?
                    as u32;
            }
            "connection" => set_option(&mut options, Opt::Connection)?,
            "numeric" => {
                set_option(&mut options, Opt::Numeric)?;
                format.numeric = true;
            }
            "mcast-interface" => {
                set_option(&mut options, Opt::McastInterface)?;
                daemon.mcast_ifn = truncate_bytes(value(), 15);
            }
            "syncid" => {
                set_option(&mut options, Opt::SyncId)?;
                daemon.syncid = string_to_number(value(), 0, 255)
                    .ok_or_else(|| fail("illegal syncid specified"))?
                    as u32;
            }
            "timeout" => set_option(&mut options, Opt::Timeout)?,
            "daemon" => set_option(&mut options, Opt::Daemon)?,
            "stats" => {
                set_option(&mut options, Opt::Stats)?;
                format.stats = true;
            }
            "rate" => {
                set_option(&mut options, Opt::Rate)?;
                format.rate = true;
            }
            "thresholds" => {
                set_option(&mut options, Opt::Thresholds)?;
                format.thresholds = true;
            }
            "persistent-conn" => {
                set_option(&mut options, Opt::PersistentConn)?;
                format.persistent_conn = true;
            }
            "nosort" => {
                set_option(&mut options, Opt::NoSort)?;
                format.nosort = true;
            }
            "sort" => {}
            "exact" => {
                set_option(&mut options, Opt::Exact)?;
                format.exact = true;
            }
            "ipv6" => {
                if svc.fwmark != 0 {
                    svc.af = AF_INET6;
                    svc.netmask = 128;
                } else {
                    // ipvsadm's message already ends in a newline, and fail() adds one.
                    return Err(fail("-6 used before -f\n"));
                }
            }
            "ops" => {
                set_option(&mut options, Opt::Ops)?;
                svc.flags |= SVC_F_ONEPACKET;
            }
            "pe" => {
                set_option(&mut options, Opt::Pe)?;
                svc.pe_name = truncate_bytes(value(), 16);
            }
            "sched-flags" => {
                set_option(&mut options, Opt::SchedFlags)?;
                sched_flags_arg = value().to_string();
            }
            "mcast-group" => {
                set_option(&mut options, Opt::McastGroup)?;
                daemon.mcast_group = Some(parse_mcast_group(value())?);
            }
            "mcast-port" => {
                set_option(&mut options, Opt::McastPort)?;
                daemon.mcast_port = string_to_number(value(), 1, 65535)
                    .ok_or_else(|| fail("illegal mcast-port specified"))?
                    as u16;
            }
            "mcast-ttl" => {
                set_option(&mut options, Opt::McastTtl)?;
                daemon.mcast_ttl = string_to_number(value(), 1, 255)
                    .ok_or_else(|| fail("illegal mcast-ttl specified"))?
                    as u8;
            }
            "sync-maxlen" => {
                set_option(&mut options, Opt::SyncMaxlen)?;
                daemon.sync_maxlen = string_to_number(value(), 1, 65535 - 20 - 8)
                    .ok_or_else(|| fail("illegal sync-maxlen specified"))?
                    as u16;
            }
            "tun-info" => {
                set_option(&mut options, Opt::TunInfo)?;
                format.tun_info = true;
            }
            "tun-type" => {
                set_option(&mut options, Opt::TunType)?;
                dest.tun_type = match value() {
                    "ipip" => TUN_TYPE_IPIP,
                    "gue" => TUN_TYPE_GUE,
                    "gre" => TUN_TYPE_GRE,
                    _ => return Err(fail("illegal tunnel type specified")),
                };
            }
            "tun-port" => {
                set_option(&mut options, Opt::TunPort)?;
                dest.tun_port = string_to_number(value(), 1, 65535)
                    .ok_or_else(|| fail("illegal tunnel port specified"))?
                    as u16;
            }
            "tun-nocsum" => {
                set_option(&mut options, Opt::TunNocsum)?;
                dest.tun_flags |= TUN_F_NOCSUM;
            }
            "tun-csum" => {
                set_option(&mut options, Opt::TunCsum)?;
                dest.tun_flags |= TUN_F_CSUM;
            }
            "tun-remcsum" => {
                set_option(&mut options, Opt::TunRemcsum)?;
                dest.tun_flags |= TUN_F_REMCSUM;
            }
            "json" => {
                set_option(&mut options, Opt::Json)?;
                format.json = true;
            }
            "netns" => {
                return Err(fail(
                    "--netns is only allowed on the command line, before anything is done",
                ))
            }
            // A second command, -h or -v after the first option.
            _ => return Err(fail(format!("invalid option `{}'", w.bad_option()))),
        }
    }

    let mut timeouts = Timeouts::default();
    if cmd == Cmd::SetTimeout {
        match (w.next_arg(), w.next_arg(), w.next_arg()) {
            (Some(a), Some(b), Some(c)) => {
                timeouts.tcp = parse_timeout(Some(&a), 0, MAX_TIMEOUT)?;
                timeouts.tcp_fin = parse_timeout(Some(&b), 0, MAX_TIMEOUT)?;
                timeouts.udp = parse_timeout(Some(&c), 0, MAX_TIMEOUT)?;
            }
            _ => return Err(fail("--set option requires 3 timeout values")),
        }
    }
    if let Some(extra) = w.next_arg() {
        return Err(fail(format!("unexpected argument {extra}")));
    }

    if !sched_flags_arg.is_empty() {
        svc.flags |= parse_sched_flags(&svc.sched_name, &sched_flags_arg)?;
    }

    generic_opt_check(cmd, options)?;

    if svc.af == 0 {
        svc.af = AF_INET;
    }
    if matches!(cmd, Cmd::AddService | Cmd::EditService) {
        if svc.fwmark == 0 && svc.port == 0 && svc.flags & SVC_F_PERSISTENT == 0 {
            return Err(fail("Zero port specified for non-persistent service"));
        }
        if svc.flags & SVC_F_ONEPACKET != 0 && svc.fwmark == 0 && svc.protocol != IPPROTO_UDP {
            return Err(fail(
                "One-Packet Scheduling is only for UDP virtual services",
            ));
        }
        if svc.sched_name.is_empty() {
            svc.sched_name = "wlc".to_string();
        }
    }
    if cmd == Cmd::StartDaemon && daemon.mcast_ifn.is_empty() {
        daemon.mcast_ifn = "eth0".to_string();
    }
    if matches!(cmd, Cmd::AddDest | Cmd::EditDest) {
        if svc.fwmark == 0 && (dest.fwd == FWD_TUNNEL || dest.fwd == FWD_DROUTE) {
            dest.port = svc.port;
        }
        if dest.af != svc.af && dest.fwd != FWD_TUNNEL {
            return Err(fail(
                "Different address family is allowed only for tunneling servers",
            ));
        }
        let tun_opts = bit(Opt::TunType)
            | bit(Opt::TunPort)
            | bit(Opt::TunNocsum)
            | bit(Opt::TunCsum)
            | bit(Opt::TunRemcsum);
        if dest.fwd != FWD_TUNNEL && options & tun_opts != 0 {
            return Err(fail("Tunnel options conflict with forward method"));
        }
        if dest.fwd == FWD_TUNNEL {
            tunnel_opt_check(dest.tun_type, options)?;
        }
    }
    if dest.af == 0 {
        dest.af = svc.af;
    }

    if cmd == Cmd::List {
        let any = |os: &[Opt]| os.iter().any(|o| options & bit(*o) != 0);
        if (any(&[Opt::Connection, Opt::Timeout, Opt::Daemon])
            && any(&[Opt::Stats, Opt::Rate, Opt::Thresholds]))
            || (any(&[Opt::Timeout, Opt::Daemon]) && any(&[Opt::PersistentConn]))
        {
            return Err(fail("options conflicts in the list command"));
        }
    }

    Ok(Outcome::Run(Box::new(Parsed {
        cmd,
        options,
        svc,
        dest,
        timeouts,
        daemon,
        format,
    })))
}

fn generic_opt_check(cmd: Cmd, options: u64) -> Result<(), CliError> {
    let c = cmd as usize;
    let mut last: Option<usize> = None;
    for (j, row) in MATRIX.iter().enumerate() {
        let rule = row[c];
        if options & (1u64 << j) == 0 {
            if rule == b'+' {
                return Err(fail(format!(
                    "You need to supply the '{}' option for the '{}' command",
                    OPT_NAMES[j],
                    cmd.name()
                )));
            }
        } else {
            if rule == b'x' {
                return Err(fail(format!(
                    "Illegal '{}' option with the '{}' command",
                    OPT_NAMES[j],
                    cmd.name()
                )));
            }
            if rule == b'1' {
                match last {
                    None => last = Some(j),
                    Some(l) => {
                        return Err(fail(format!(
                            "The option '{}' conflicts with the '{}' option in the '{}' command",
                            OPT_NAMES[j],
                            OPT_NAMES[l],
                            cmd.name()
                        )))
                    }
                }
            }
        }
    }
    Ok(())
}

fn tunnel_opt_check(tun_type: u8, options: u64) -> Result<(), CliError> {
    let (tname, row) = TUN_MATRIX[tun_type as usize];
    let mut last: Option<Opt> = None;
    for (k, o) in TUN_OPTS.iter().enumerate() {
        let name = OPT_NAMES[*o as usize];
        let rule = row[k];
        if options & bit(*o) == 0 {
            if rule == b'+' {
                return Err(fail(format!(
                    "You need to supply the '{name}' option for the '{tname}' tunnel type"
                )));
            }
        } else {
            if rule == b'x' {
                return Err(fail(format!(
                    "Illegal '{name}' option with the '{tname}' tunnel type"
                )));
            }
            if rule == b'1' {
                match last {
                    None => last = Some(*o),
                    Some(l) => {
                        return Err(fail(format!(
                            "The option '{name}' conflicts with the '{}' option in the '{tname}' tunnel type",
                            OPT_NAMES[l as usize]
                        )))
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
