//! Every command and option of ipvsadm, defined once with clap and documented
//! where it is defined.
//!
//! clap holds the grammar (names, short letters, which options take a value,
//! the help text). ipvsadm parses with popt, whose behaviour differs from
//! clap's in ways scripts can see (the first option must be a command, the
//! first bad word stops everything, options act in the order given, `-p`
//! takes the next word only when it does not start with `-`, exit codes...),
//! so [`super::popt`] walks the command line popt's way over this clap
//! definition instead of calling `Command::get_matches`.

use clap::{Arg, ArgAction, Command};

/// How many values an option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    /// A flag.
    Nothing,
    /// Exactly one value (`-t ADDR`, `-tADDR`, `--tcp-service=ADDR`).
    Value,
    /// An optional value, taken from the next word only if that word does
    /// not start with `-` (popt's `POPT_ARGFLAG_OPTIONAL`; only `-p`).
    Optional,
    /// An optional value given only as `--name=VALUE`; the next word is
    /// never taken (lvsadm's `--drain[=SECS]`).
    Attached,
}

/// Ask clap what an argument takes (build.rs and the table's unit test).
#[allow(dead_code)]
pub fn takes(arg: &Arg) -> Takes {
    match arg.get_num_args() {
        Some(r) if r.min_values() == 0 && r.max_values() >= 1 && arg.is_require_equals_set() => {
            Takes::Attached
        }
        Some(r) if r.min_values() == 0 && r.max_values() >= 1 => Takes::Optional,
        Some(r) if r.min_values() >= 1 => Takes::Value,
        _ => {
            if arg.get_action().takes_values() {
                Takes::Value
            } else {
                Takes::Nothing
            }
        }
    }
}

fn flag(id: &'static str) -> Arg {
    Arg::new(id).action(ArgAction::SetTrue)
}

fn value(id: &'static str, name: &'static str) -> Arg {
    Arg::new(id)
        .action(ArgAction::Set)
        .num_args(1)
        .value_name(name)
}

/// The whole ipvsadm command line, as clap arguments. Argument ids are
/// ipvsadm's long option names (with `list-l` for the second `-l` entry).
pub fn command() -> Command {
    Command::new("ipvsadm")
        .about("Linux Virtual Server administration (ipvsadm-compatible)")
        .disable_help_flag(true)
        .disable_version_flag(true)
        // ---- commands: exactly one, and it must come first ----
        .arg(flag("add-service").short('A').long("add-service")
            .help("Add a virtual service (with -t|-u|--sctp-service|-f and service options)"))
        .arg(flag("edit-service").short('E').long("edit-service")
            .help("Edit a virtual service: every setting is replaced, unspecified ones take their defaults"))
        .arg(flag("delete-service").short('D').long("delete-service")
            .help("Delete a virtual service and its real servers"))
        .arg(flag("clear").short('C').long("clear")
            .help("Clear the whole table (all services)"))
        .arg(flag("restore").short('R').long("restore")
            .help("Restore rules from standard input, one ipvsadm command line per line"))
        .arg(flag("save").short('S').long("save")
            .help("Save rules to standard output in a form -R accepts (-n for numeric)"))
        .arg(flag("add-server").short('a').long("add-server")
            .help("Add a real server to a virtual service"))
        .arg(flag("edit-server").short('e').long("edit-server")
            .help("Edit a real server: every setting is replaced, unspecified ones take their defaults"))
        .arg(flag("delete-server").short('d').long("delete-server")
            .help("Delete a real server from a virtual service"))
        .arg(flag("list").short('L').long("list")
            .help("List the table, or one service when one is given"))
        .arg(flag("list-l").short('l')
            .help("Same as -L"))
        .arg(flag("zero").short('Z').long("zero")
            .help("Zero the counters of one service or of all services"))
        .arg(flag("set").long("set")
            .help("Set connection timeouts: --set TCP TCPFIN UDP (seconds, 0 keeps the current value)"))
        .arg(value("start-daemon", "master|backup").long("start-daemon")
            .help("Start a connection synchronisation daemon"))
        .arg(value("stop-daemon", "master|backup").long("stop-daemon")
            .help("Stop a connection synchronisation daemon"))
        .arg(flag("help").short('h').long("help")
            .help("Print ipvsadm's usage text"))
        .arg(flag("version").short('v').long("version")
            .help("Print the version"))
        // ---- virtual service ----
        .arg(value("tcp-service", "host[:port]").short('t').long("tcp-service")
            .help("TCP virtual service: IPv4 host[:port] or [IPv6]:port; names and service names are resolved"))
        .arg(value("udp-service", "host[:port]").short('u').long("udp-service")
            .help("UDP virtual service"))
        .arg(value("sctp-service", "host[:port]").long("sctp-service")
            .help("SCTP virtual service"))
        .arg(value("fwmark-service", "fwmark").short('f').long("fwmark-service")
            .help("Firewall-mark virtual service (1..4294967295)"))
        // ---- options ----
        .arg(flag("ipv6").short('6').long("ipv6")
            .help("The fwmark service (-f, given before) is IPv6"))
        .arg(value("scheduler", "scheduler").short('s').long("scheduler")
            .help("Scheduler: rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh|twos (default wlc)"))
        .arg(value("pe", "engine").long("pe")
            .help("Alternate persistence engine (sip)"))
        .arg(Arg::new("persistent").short('p').long("persistent")
            .action(ArgAction::Set).num_args(0..=1).value_name("timeout")
            .help("Persistent service, timeout in seconds (default 360) taken from the next word unless it starts with '-'"))
        .arg(value("netmask", "netmask").short('M').long("netmask")
            .help("Persistence granularity: IPv4 mask (dotted) or IPv6 prefix length"))
        .arg(value("real-server", "host[:port]").short('r').long("real-server")
            .help("Real server address (port defaults to the service port)"))
        .arg(flag("gatewaying").short('g').long("gatewaying")
            .help("Direct routing (the default)"))
        .arg(flag("ipip").short('i').long("ipip")
            .help("IP-in-IP encapsulation (tunnelling)"))
        .arg(flag("masquerading").short('m').long("masquerading")
            .help("Masquerading (NAT)"))
        .arg(value("tun-type", "ipip|gue|gre").long("tun-type")
            .help("Tunnel type for -i (default ipip)"))
        .arg(value("tun-port", "port").long("tun-port")
            .help("Tunnel destination port (gue)"))
        .arg(flag("tun-nocsum").long("tun-nocsum")
            .help("Tunnel encapsulation without checksum"))
        .arg(flag("tun-csum").long("tun-csum")
            .help("Tunnel encapsulation with checksum"))
        .arg(flag("tun-remcsum").long("tun-remcsum")
            .help("Tunnel encapsulation with remote checksum offload"))
        .arg(value("weight", "weight").short('w').long("weight")
            .help("Real server weight (0..2147483647, default 1)"))
        .arg(value("u-threshold", "uthreshold").short('x').long("u-threshold")
            .help("Upper connection threshold of a real server"))
        .arg(value("l-threshold", "lthreshold").short('y').long("l-threshold")
            .help("Lower connection threshold of a real server"))
        .arg(flag("connection").short('c').long("connection")
            .help("List current IPVS connections (/proc/net/ip_vs_conn)"))
        .arg(flag("timeout").long("timeout")
            .help("List connection timeouts (tcp tcpfin udp)"))
        .arg(flag("daemon").long("daemon")
            .help("List running synchronisation daemons"))
        .arg(flag("stats").long("stats")
            .help("List counters"))
        .arg(flag("rate").long("rate")
            .help("List rates"))
        .arg(flag("exact").short('X').long("exact")
            .help("Print exact numbers instead of K/M/G/T abbreviations"))
        .arg(flag("thresholds").long("thresholds")
            .help("List real server thresholds"))
        .arg(flag("persistent-conn").long("persistent-conn")
            .help("List persistent connection counts"))
        .arg(flag("tun-info").long("tun-info")
            .help("List tunnel information of real servers"))
        .arg(flag("nosort").long("nosort")
            .help("Keep the kernel's order instead of sorting"))
        .arg(flag("sort").long("sort")
            .help("Does nothing (backwards compatibility)"))
        .arg(flag("ops").short('o').long("ops")
            .help("One-packet scheduling (UDP and fwmark services)"))
        .arg(flag("numeric").short('n').long("numeric")
            .help("Numeric addresses and ports"))
        .arg(value("sched-flags", "flags").short('b').long("sched-flags")
            .help("Scheduler flags, comma-separated: flag-1,flag-2,flag-3,sh-fallback,sh-port,mh-fallback,mh-port"))
        // ---- lvsadm extensions (words ipvsadm rejects as unknown options) ----
        .arg(flag("json").short('j').long("json")
            .help("lvsadm: with -L, print the listing as JSON (its schema: /usr/share/doc/lvsadm/json-schema.md; docs/json-schema.md in the source); with --check, the problems as JSON; may also come first"))
        .arg(value("apply", "FILE").long("apply")
            .help("lvsadm: make the table match a rule file (ipvsadm-save format, '-' for stdin) by applying only the differences, without a flush"))
        .arg(value("check", "FILE").long("check")
            .help("lvsadm: check a rule file (syntax, options, duplicates, undefined services) and report every problem; touches nothing"))
        .arg(flag("dry-run").long("dry-run")
            .help("lvsadm: with --apply, print the changes as ipvsadm command lines instead of making them"))
        .arg(flag("verbose").long("verbose")
            .help("lvsadm: with --apply, print each change as it is made"))
        .arg(flag("allow-empty").long("allow-empty")
            .help("lvsadm: with --apply, accept a rule file without services (otherwise refused)"))
        .arg(value("scope", "SPEC").long("scope")
            .help("lvsadm: with --apply, touch only these services: ADDR, tcp|udp|sctp:ADDR:PORT or fwmark:N (repeatable); with -S, save only these"))
        .arg(value("max-delete", "PCT").long("max-delete")
            .help("lvsadm: with --apply, refuse to delete more than PCT% of the live services in scope (default 50)"))
        .arg(flag("force").long("force")
            .help("lvsadm: with --apply, no limit on deletions"))
        .arg(Arg::new("drain").long("drain").action(ArgAction::Set).num_args(0..=1).require_equals(true).value_name("SECS")
            .help("lvsadm: with -d, -D or --apply, set the weights to 0 and delete each real server once it has no connections left, or after SECS seconds (default 300); the seconds only as --drain=SECS (the next word is never taken); -v shows progress in scripts"))
        .arg(flag("metrics").long("metrics")
            .help("lvsadm: print the table as Prometheus metrics (text exposition format)"))
        .arg(value("listen", "ADDR:PORT").long("listen")
            .help("lvsadm: with --metrics or --supervise, serve the metrics over HTTP on /metrics until SIGTERM"))
        .arg(flag("services-only").long("services-only")
            .help("lvsadm: with --metrics, leave out the per-real-server series"))
        .arg(flag("node-exporter-names").long("node-exporter-names")
            .help("lvsadm: with --metrics, also node_exporter's IPVS series (node_ipvs_*, labels local_address, local_port, remote_address, remote_port, proto, local_mark), for dashboards built on them; fwmark services are told apart by local_mark"))
        .arg(value("wait", "SECS").long("wait")
            .help("lvsadm: with --apply or -R, wait up to SECS seconds (default 60) for another --apply or -R on the same network namespace to finish"))
        .arg(value("supervise", "FILE").long("supervise")
            .help("lvsadm: stay in the foreground keeping the table equal to a rule file minus the real servers whose health checks fail (health options on its lines); SIGHUP re-reads it, SIGTERM exits leaving the table"))
        .arg(value("state-dir", "DIR").long("state-dir")
            .help("lvsadm: with --supervise, where the state is published (supervise.json), maintenance switches are read (maintenance/ADDR or maintenance/ADDR:PORT) and operator holds (hold/NAME, recorded by -d/-D --drain of a supervised real server); with -d/-D --drain, -L --health-status or --top, the supervisor's directory; default /run/lvsadm"))
        .arg(flag("top").long("top")
            .help("lvsadm: a live full-screen view of the table on a terminal: per service and real server the connection, packet and byte rates, connections, weight, share and the last minute, weight 0 and unhealthy real servers apart; keys sort, filter, collapse and pause (? lists them), q leaves; with -t|-u|--sctp-service ADDR:PORT or -f MARK only that service"))
        .arg(value("interval", "SECS").long("interval")
            .help("lvsadm: with --top, seconds between reads of the table (default 1, 0.2 to 3600)"))
        .arg(flag("health-status").long("health-status")
            .help("lvsadm: with -L (and -j for JSON), list what lvsadm --supervise publishes: each supervised real server's check, state, weight wanted/written, since when and last result"))
        .arg(Arg::new("sysctl").long("sysctl").action(ArgAction::SetTrue).value_name("[NAME[=VALUE]...]")
            .help("lvsadm: list the kernel's IPVS settings (/proc/sys/net/ipv4/vs/*) with their values and meanings (-j for JSON), show the NAMEs given, or set NAME=VALUE (validated, all or nothing; loads ip_vs if needed)"))
        .arg(flag("settings").long("settings")
            .help("lvsadm: with -S, write the timeouts (a --set line) and the IPVS settings that differ from the kernel's defaults (--sysctl lines) before the table, so that --apply restores them too (ipvsadm -R does not take --sysctl lines)"))
        .arg(Arg::new("doctor").long("doctor").action(ArgAction::SetTrue).value_name("[VIP...]")
            .help("lvsadm: look for the classic mistakes around the table (NAT without ip_forward, a NAT real server in a /run/netns namespace routing around the director, a VIP not on the director, conn_reuse_mode traps by kernel version, no MTU room for tunnelling, persistence with sh/mh, a weight-0 real server left idle, a sync daemon on a missing interface) and print each with what breaks and the fixing command; with --real-server VIP, check this host as a DR/TUN real server (VIP on lo, ARP settings, tunl0, rp_filter); changes nothing, exit 0 when clean"))
        .arg(value("netns", "NAME").long("netns")
            .help("lvsadm: run the command in a network namespace (a name under /run/netns, or a path); command line only"))
        // ---- sync daemon ----
        .arg(value("syncid", "sid").long("syncid")
            .help("Sync daemon id (0..255, default 0)"))
        .arg(value("sync-maxlen", "length").long("sync-maxlen")
            .help("Maximum sync message length"))
        .arg(value("mcast-interface", "interface").long("mcast-interface")
            .help("Multicast interface of the sync daemon (default eth0)"))
        .arg(value("mcast-group", "address").long("mcast-group")
            .help("IPv4 or IPv6 multicast group of the sync daemon"))
        .arg(value("mcast-port", "port").long("mcast-port")
            .help("UDP port of the sync daemon"))
        .arg(value("mcast-ttl", "ttl").long("mcast-ttl")
            .help("Multicast TTL of the sync daemon"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn value_kinds() {
        let cmd = command();
        let get = |id: &str| cmd.get_arguments().find(|a| a.get_id() == id).unwrap();
        assert_eq!(takes(get("persistent")), Takes::Optional);
        assert_eq!(takes(get("tcp-service")), Takes::Value);
        assert_eq!(takes(get("numeric")), Takes::Nothing);
        assert_eq!(takes(get("start-daemon")), Takes::Value);
        assert_eq!(takes(get("drain")), Takes::Attached);
    }
}
