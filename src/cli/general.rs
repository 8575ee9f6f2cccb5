//! The general parser: popt's walk over the option table, each option
//! acted on as it is read (in groups: service, real server, sync daemon,
//! listing), then the checks ipvsadm makes after the loop, in its order.

use super::matrix::{generic_opt_check, set_option, tunnel_opt_check};
use super::popt::{self, Walker};
use super::*;

/// What the option loop has gathered so far.
struct Draft {
    options: u64,
    svc: Service,
    dest: Dest,
    daemon: Daemon,
    format: Format,
    sched_flags_arg: String,
}

/// [`parse`] without the fast path.
pub(crate) fn parse_general(args: &[String]) -> Result<Outcome, CliError> {
    let mut w = Walker::new(args);
    let mut d = Draft {
        options: 0,
        // IPv4 until an address or -6 says otherwise, as ipvsadm's unset
        // family is read.
        svc: Service::new(Family::Inet),
        dest: Dest::new(Family::Inet),
        daemon: Daemon::default(),
        format: Format::default(),
        sched_flags_arg: String::new(),
    };

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
        d.options |= bit(Opt::Json);
        d.format.json = true;
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
            d.daemon.role = match first.value.as_deref().and_then(DaemonRole::from_name) {
                Some(r) => r,
                None => return Err(fail("illegal start-daemon parameter specified")),
            };
            Cmd::StartDaemon
        }
        "stop-daemon" => {
            d.daemon.role = match first.value.as_deref().and_then(DaemonRole::from_name) {
                Some(r) => r,
                None => return Err(fail("illegal start_daemon specified")),
            };
            Cmd::StopDaemon
        }
        "help" => return Ok(Outcome::Help),
        "version" => return Ok(Outcome::Version),
        _ => return Err(CliError::TryHelp),
    };

    while let Some(ev) = w.next_opt() {
        let ev = ev.map_err(|e| CliError::Popt(e.to_string()))?;
        let id = ev.id.as_str();
        let value = ev.value.as_deref();
        let handled = d.service_option(id, value)?
            || d.dest_option(id, value)?
            || d.daemon_option(id, value)?
            || d.listing_option(id)?;
        if handled {
            continue;
        }
        if id == "netns" {
            return Err(fail(
                "--netns is only allowed on the command line, before anything is done",
            ));
        }
        if id == "wait" {
            return Err(fail("--wait goes with --apply and -R, on the command line"));
        }
        // A second command, -h or -v after the first option.
        return Err(fail(format!("invalid option `{}'", w.bad_option())));
    }
    d.finish(cmd, &mut w)
}

impl Draft {
    fn set(&mut self, o: Opt) -> Result<(), CliError> {
        set_option(&mut self.options, o)
    }

    /// `-t`/`-u`/`--sctp-service`/`-f`, `-s`, `-p`, `-M`, `-6`, `-o`,
    /// `--pe`, `-b`. `Ok(false)`: not one of these.
    fn service_option(&mut self, id: &str, val: Option<&str>) -> Result<bool, CliError> {
        let value = val.unwrap_or("");
        let svc = &mut self.svc;
        match id {
            "tcp-service" | "udp-service" | "sctp-service" => {
                set_option(&mut self.options, Opt::Service)?;
                svc.protocol = match id {
                    "tcp-service" => Protocol::Tcp,
                    "udp-service" => Protocol::Udp,
                    _ => Protocol::Sctp,
                };
                if addr::parse_service(value, svc).is_none() {
                    return Err(fail("illegal virtual server address[:port] specified"));
                }
            }
            "fwmark-service" => {
                set_option(&mut self.options, Opt::Service)?;
                // ipvsadm gives fwmark services a protocol for its own use
                // (port names of -r are then looked up as tcp); never sent.
                svc.family = Family::Inet;
                svc.protocol = Protocol::Tcp;
                svc.fwmark = parse_fwmark(value)?;
            }
            "netmask" => {
                set_option(&mut self.options, Opt::Netmask)?;
                if svc.family != Family::Inet6 {
                    svc.netmask = addr::parse_netmask(value)
                        .ok_or_else(|| fail("illegal virtual server persistent mask specified"))?;
                } else {
                    let n = addr::atoi(value);
                    if !(1..=128).contains(&n) {
                        return Err(fail("illegal ipv6 netmask specified"));
                    }
                    svc.netmask = Netmask::Prefix(n as u32);
                }
            }
            "scheduler" => {
                set_option(&mut self.options, Opt::Scheduler)?;
                svc.sched_name = truncate_bytes(value, 15);
            }
            "persistent" => {
                set_option(&mut self.options, Opt::Persistent)?;
                svc.flags |= ServiceFlags::PERSISTENT;
                svc.timeout =
                    std::time::Duration::from_secs(u64::from(parse_timeout(val, 1, MAX_TIMEOUT)?));
            }
            "ipv6" => {
                if svc.fwmark != 0 {
                    svc.family = Family::Inet6;
                    svc.netmask = Netmask::Prefix(128);
                } else {
                    // ipvsadm's message already ends in a newline, and fail() adds one.
                    return Err(fail("-6 used before -f\n"));
                }
            }
            "ops" => {
                set_option(&mut self.options, Opt::Ops)?;
                svc.flags |= ServiceFlags::ONEPACKET;
            }
            "pe" => {
                set_option(&mut self.options, Opt::Pe)?;
                svc.pe_name = truncate_bytes(value, 16);
            }
            "sched-flags" => {
                set_option(&mut self.options, Opt::SchedFlags)?;
                self.sched_flags_arg = value.to_string();
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `-r`, `-g`/`-i`/`-m`, `-w`, `-x`, `-y` and the tunnel options.
    fn dest_option(&mut self, id: &str, val: Option<&str>) -> Result<bool, CliError> {
        let value = val.unwrap_or("");
        let number = |max: i64, what: &str| {
            string_to_number(value, 0, max).ok_or_else(|| fail(format!("illegal {what} specified")))
        };
        match id {
            "real-server" => {
                self.set(Opt::Server)?;
                let mut t = self.svc.clone();
                let parsed = addr::parse_service(value, &mut t);
                let dest = &mut self.dest;
                dest.family = t.family;
                dest.addr = t.addr;
                dest.port = t.port;
                match parsed {
                    None => return Err(fail("illegal real server address[:port] specified")),
                    Some(false) => dest.port = self.svc.port,
                    Some(true) => {}
                }
            }
            "ipip" | "gatewaying" | "masquerading" => {
                self.set(Opt::Forward)?;
                self.dest.forward = match id {
                    "ipip" => Forward::Tunnel,
                    "gatewaying" => Forward::Route,
                    _ => Forward::Masq,
                };
            }
            "weight" => {
                self.set(Opt::Weight)?;
                self.dest.weight = number(i32::MAX as i64, "weight")? as i32;
            }
            "u-threshold" => {
                self.set(Opt::UThreshold)?;
                self.dest.u_threshold = number(i32::MAX as i64, "u_threshold")? as u32;
            }
            "l-threshold" => {
                self.set(Opt::LThreshold)?;
                self.dest.l_threshold = number(i32::MAX as i64, "l_threshold")? as u32;
            }
            "tun-type" => {
                self.set(Opt::TunType)?;
                self.dest.tun_type = TunnelType::from_name(value)
                    .ok_or_else(|| fail("illegal tunnel type specified"))?;
            }
            "tun-port" => {
                self.set(Opt::TunPort)?;
                self.dest.tun_port = string_to_number(value, 1, 65535)
                    .ok_or_else(|| fail("illegal tunnel port specified"))?
                    as u16;
            }
            "tun-nocsum" => {
                self.set(Opt::TunNocsum)?;
                self.dest.tun_checksum = TunnelChecksum::from_flags(
                    self.dest.tun_checksum.flags() | TunnelChecksum::None.flags(),
                );
            }
            "tun-csum" => {
                self.set(Opt::TunCsum)?;
                self.dest.tun_checksum = TunnelChecksum::from_flags(
                    self.dest.tun_checksum.flags() | TunnelChecksum::Csum.flags(),
                );
            }
            "tun-remcsum" => {
                self.set(Opt::TunRemcsum)?;
                self.dest.tun_checksum = TunnelChecksum::from_flags(
                    self.dest.tun_checksum.flags() | TunnelChecksum::RemCsum.flags(),
                );
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `--mcast-interface`, `--syncid` and the other sync daemon options.
    fn daemon_option(&mut self, id: &str, val: Option<&str>) -> Result<bool, CliError> {
        let value = val.unwrap_or("");
        let ranged = |min: i64, max: i64, what: &str| {
            string_to_number(value, min, max)
                .ok_or_else(|| fail(format!("illegal {what} specified")))
        };
        match id {
            "mcast-interface" => {
                self.set(Opt::McastInterface)?;
                self.daemon.mcast_ifn = truncate_bytes(value, 15);
            }
            "syncid" => {
                self.set(Opt::SyncId)?;
                self.daemon.syncid = ranged(0, 255, "syncid")? as u32;
            }
            "mcast-group" => {
                self.set(Opt::McastGroup)?;
                self.daemon.mcast_group = Some(parse_mcast_group(value)?);
            }
            "mcast-port" => {
                self.set(Opt::McastPort)?;
                self.daemon.mcast_port = ranged(1, 65535, "mcast-port")? as u16;
            }
            "mcast-ttl" => {
                self.set(Opt::McastTtl)?;
                self.daemon.mcast_ttl = ranged(1, 255, "mcast-ttl")? as u8;
            }
            "sync-maxlen" => {
                self.set(Opt::SyncMaxlen)?;
                self.daemon.sync_maxlen = ranged(1, 65535 - 20 - 8, "sync-maxlen")? as u16;
            }
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// `-c`, `-n`, `--timeout`, `--daemon` and the listing formats.
    fn listing_option(&mut self, id: &str) -> Result<bool, CliError> {
        let (opt, flag): (Opt, Option<&mut bool>) = match id {
            "connection" => (Opt::Connection, None),
            "timeout" => (Opt::Timeout, None),
            "daemon" => (Opt::Daemon, None),
            "numeric" => (Opt::Numeric, Some(&mut self.format.numeric)),
            "stats" => (Opt::Stats, Some(&mut self.format.stats)),
            "rate" => (Opt::Rate, Some(&mut self.format.rate)),
            "thresholds" => (Opt::Thresholds, Some(&mut self.format.thresholds)),
            "persistent-conn" => (Opt::PersistentConn, Some(&mut self.format.persistent_conn)),
            "nosort" => (Opt::NoSort, Some(&mut self.format.nosort)),
            "exact" => (Opt::Exact, Some(&mut self.format.exact)),
            "tun-info" => (Opt::TunInfo, Some(&mut self.format.tun_info)),
            "json" => (Opt::Json, Some(&mut self.format.json)),
            "sort" => return Ok(true),
            _ => return Ok(false),
        };
        if let Some(f) = flag {
            *f = true;
        }
        set_option(&mut self.options, opt)?;
        Ok(true)
    }

    /// After the option loop: `--set` values, leftover words, scheduler
    /// flags, the matrix, then the per-command rules, in ipvsadm's order.
    fn finish(mut self, cmd: Cmd, w: &mut Walker<'_>) -> Result<Outcome, CliError> {
        let mut timeouts = Timeouts::default();
        if cmd == Cmd::SetTimeout {
            match (w.next_arg(), w.next_arg(), w.next_arg()) {
                (Some(a), Some(b), Some(c)) => {
                    timeouts.tcp = std::time::Duration::from_secs(u64::from(parse_timeout(
                        Some(&a),
                        0,
                        MAX_TIMEOUT,
                    )?));
                    timeouts.tcp_fin = std::time::Duration::from_secs(u64::from(parse_timeout(
                        Some(&b),
                        0,
                        MAX_TIMEOUT,
                    )?));
                    timeouts.udp = std::time::Duration::from_secs(u64::from(parse_timeout(
                        Some(&c),
                        0,
                        MAX_TIMEOUT,
                    )?));
                }
                _ => return Err(fail("--set option requires 3 timeout values")),
            }
        }
        if let Some(extra) = w.next_arg() {
            return Err(fail(format!("unexpected argument {extra}")));
        }
        if !self.sched_flags_arg.is_empty() {
            self.svc.flags |= parse_sched_flags(&self.svc.sched_name, &self.sched_flags_arg)?;
        }
        generic_opt_check(cmd, self.options)?;

        let Draft {
            options,
            mut svc,
            mut dest,
            mut daemon,
            format,
            ..
        } = self;
        if matches!(cmd, Cmd::AddService | Cmd::EditService) {
            check_service(&mut svc)?;
        }
        if cmd == Cmd::StartDaemon && daemon.mcast_ifn.is_empty() {
            daemon.mcast_ifn = "eth0".to_string();
        }
        if matches!(cmd, Cmd::AddDest | Cmd::EditDest) {
            check_dest(&svc, &mut dest, options)?;
        }
        if options & bit(Opt::Server) == 0 {
            dest.family = svc.family;
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
}

/// `-A`/`-E`: a port unless persistent or fwmark, `-o` only for UDP, and
/// the default scheduler.
fn check_service(svc: &mut Service) -> Result<(), CliError> {
    if svc.fwmark == 0 && svc.port == 0 && !svc.flags.intersects(ServiceFlags::PERSISTENT) {
        return Err(fail("Zero port specified for non-persistent service"));
    }
    if svc.flags.intersects(ServiceFlags::ONEPACKET)
        && svc.fwmark == 0
        && svc.protocol != Protocol::Udp
    {
        return Err(fail(
            "One-Packet Scheduling is only for UDP virtual services",
        ));
    }
    if svc.sched_name.is_empty() {
        svc.sched_name = "wlc".to_string();
    }
    Ok(())
}

/// `-a`/`-e`: DR and tunnel ports follow the service's, families must match
/// unless tunnelling, tunnel options only with `-i` and by tunnel type.
fn check_dest(svc: &Service, dest: &mut Dest, options: u64) -> Result<(), CliError> {
    if svc.fwmark == 0 && (dest.forward == Forward::Tunnel || dest.forward == Forward::Route) {
        dest.port = svc.port;
    }
    if dest.family != svc.family && dest.forward != Forward::Tunnel {
        return Err(fail(
            "Different address family is allowed only for tunneling servers",
        ));
    }
    let tun_opts = bit(Opt::TunType)
        | bit(Opt::TunPort)
        | bit(Opt::TunNocsum)
        | bit(Opt::TunCsum)
        | bit(Opt::TunRemcsum);
    if dest.forward != Forward::Tunnel && options & tun_opts != 0 {
        return Err(fail("Tunnel options conflict with forward method"));
    }
    if dest.forward == Forward::Tunnel {
        tunnel_opt_check(dest.tun_type.number(), options)?;
    }
    Ok(())
}

/// lvsadm's `--apply`/`--check` command lines, after any leading `--dry-run`/`--verbose`.
fn parse_file_command(
    first: popt::Event,
    mut w: Walker<'_>,
    dry_run: bool,
    verbose: bool,
) -> Result<Outcome, CliError> {
    let mut a = ApplyArgs {
        file: first.value.unwrap_or_default(),
        dry_run,
        verbose,
        ..ApplyArgs::default()
    };
    let is_apply = first.id == "apply";
    while let Some(ev) = w.next_opt() {
        let ev = ev.map_err(|e| CliError::Popt(e.to_string()))?;
        match ev.id.as_str() {
            "dry-run" if is_apply => a.dry_run = true,
            "verbose" if is_apply => a.verbose = true,
            "allow-empty" if is_apply => a.allow_empty = true,
            "force" if is_apply => a.force = true,
            "max-delete" if is_apply => a.max_delete = ev.value,
            "scope" if is_apply => a.scope.extend(ev.value),
            _ => return Err(fail(format!("invalid option `{}'", w.bad_option()))),
        }
    }
    if let Some(extra) = w.next_arg() {
        return Err(fail(format!("unexpected argument {extra}")));
    }
    if is_apply {
        Ok(Outcome::Apply(a))
    } else if a.dry_run || a.verbose {
        Err(fail("--dry-run and --verbose go with --apply"))
    } else {
        Ok(Outcome::Check(a.file))
    }
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

fn parse_sched_flags(sched: &str, arg: &str) -> Result<ServiceFlags, CliError> {
    let scheduler = if sched.is_empty() { "wlc" } else { sched };
    let mut flags = ServiceFlags::EMPTY;
    let mut any = false;
    for flag in arg.split(',').filter(|f| !f.is_empty()) {
        any = true;
        let Some((bit, only)) = sched_flag_bit(flag) else {
            return Err(fail(format!("invalid scheduler flag `{flag}'")));
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
