//! A fast path for the restore lines that make up nearly every `-R` input:
//! the `-A` / `-a` lines `-S` writes (numeric addresses and ports); and one
//! for the bare `-R` / `-C` command lines themselves ([`parse_bare`]).
//!
//! [`parse_simple`] recognises a deliberately small, unambiguous subset of
//! the command line and builds the very same [`Parsed`] as [`super::parse`]
//! would, without the general parser's allocations. Anything outside the
//! subset (names, unusual option spellings, repeated options, values out of
//! range, anything that would be an error) returns `None`, and the caller
//! uses the general parser, which then does whatever ipvsadm does. The tests
//! check the equivalence on a large set of lines.

use super::{bit, Cmd, Format, Opt, Parsed};
use lvs::model::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A command line of exactly one word, `-R`/`--restore` or `-C`/`--clear`:
/// the very same [`Parsed`] as [`super::parse`] gives, without building
/// the option table from the clap definition, which is most of the parsing
/// cost of a short run (`ipvsadm -R < rules` in scripts; in the TCG test
/// guest about 3.5 ms of the 150 ms of a 1000 x 4 restore). `None` for
/// anything else.
pub fn parse_bare(args: &[String]) -> Option<Parsed> {
    let [word] = args else {
        return None;
    };
    let cmd = match word.as_str() {
        "-R" | "--restore" => Cmd::Restore,
        "-C" | "--clear" => Cmd::Flush,
        _ => return None,
    };
    // What the general parser completes an absent service and server to.
    Some(Parsed {
        cmd,
        options: 0,
        svc: Service::new(Family::Inet),
        dest: Dest::new(Family::Inet),
        timeouts: Timeouts::default(),
        daemon: Daemon::default(),
        format: Format::default(),
    })
}

/// A whole command line that is one of the plain ipvsadm commands the fast
/// parsers read: [`parse_bare`]'s `-C` / `-R`, or a `-A` / `-a` line
/// [`parse_simple`] takes (numeric addresses, ipvsadm's options only). Such
/// a line has none of lvsadm's own options, so the program can run it
/// without trying its extensions' parsers first (`None`: anything else).
pub fn parse_plain(args: &[String]) -> Option<Parsed> {
    if let Some(p) = parse_bare(args) {
        return Some(p);
    }
    match args.first().map(String::as_str) {
        Some("-A" | "-a") if args.len() <= 16 => {
            let mut words = [""; 16];
            for (w, a) in words.iter_mut().zip(args) {
                *w = a.as_str();
            }
            parse_simple(&words[..args.len()])
        }
        _ => None,
    }
}

/// Upper bound of `-p` (31 days, as the general parser).
const MAX_TIMEOUT: u32 = 86400 * 31;

use lvs::cnum::canonical_decimal as decimal;

/// Dotted quad of four decimal octets (no leading zeros: `inet_aton` would
/// read those as octal).
fn ipv4(s: &str) -> Option<Ipv4Addr> {
    let mut o = [0u8; 4];
    let mut rest = s;
    for (i, slot) in o.iter_mut().enumerate() {
        let part = if i < 3 {
            let dot = rest.bytes().position(|b| b == b'.')?;
            let (part, tail) = (&rest[..dot], &rest[dot + 1..]);
            rest = tail;
            part
        } else {
            rest
        };
        *slot = decimal(part, 255)? as u8;
    }
    Some(Ipv4Addr::from(o))
}

/// `a.b.c.d:port` or `[v6]:port`, numeric, port given: (af, addr, port).
fn addr_port(s: &str) -> Option<(Family, IpAddr, u16)> {
    if let Some(inner) = s.strip_prefix('[') {
        let (host, port) = inner.split_once("]:")?;
        // Only plain hex-and-colon text: no scope ids, no dotted tails.
        if !host.bytes().all(|c| c.is_ascii_hexdigit() || c == b':') {
            return None;
        }
        let v6: Ipv6Addr = host.parse().ok()?;
        return Some((Family::Inet6, v6.into(), decimal(port, 65535)? as u16));
    }
    let colon = s.bytes().position(|b| b == b':')?;
    let (host, port) = (&s[..colon], &s[colon + 1..]);
    let v4 = ipv4(host)?;
    Some((Family::Inet, v4.into(), decimal(port, 65535)? as u16))
}

/// Scheduler names as ipvsadm would send them unchanged.
fn sched_name(s: &str) -> bool {
    !s.is_empty() && s.len() <= 15 && s.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Parse one restore line given as words (the `ipvsadm` words already
/// dropped), if it is a plain `-A` or `-a` line; see the module comment.
pub fn parse_simple(words: &[&str]) -> Option<Parsed> {
    let cmd = match *words.first()? {
        "-A" => Cmd::AddService,
        "-a" => Cmd::AddDest,
        _ => return None,
    };
    let add_service = cmd == Cmd::AddService;
    let mut svc = Service::new(Family::Inet);
    let mut dest = Dest::new(Family::Inet);
    let mut options: u64 = 0;
    let mut once = |o: Opt| -> Option<()> {
        let b = bit(o);
        if options & b != 0 {
            return None;
        }
        options |= b;
        Some(())
    };
    let mut sched: Option<&str> = None;
    let mut have_dest = false;
    let mut tun_ipip = false;
    let mut i = 1;
    while i < words.len() {
        let opt = words[i];
        let val = words.get(i + 1).copied();
        i += 2;
        match opt {
            "-t" | "-u" => {
                once(Opt::Service)?;
                let (af, addr, port) = addr_port(val?)?;
                svc.protocol = if opt == "-t" {
                    Protocol::Tcp
                } else {
                    Protocol::Udp
                };
                svc.family = af;
                svc.addr = addr;
                svc.port = port;
                if af == Family::Inet6 {
                    svc.netmask = Netmask::Prefix(128);
                }
            }
            "-f" => {
                once(Opt::Service)?;
                let mark = decimal(val?, u64::from(u32::MAX))?;
                if mark == 0 {
                    return None;
                }
                svc.family = Family::Inet;
                svc.protocol = Protocol::Tcp;
                svc.fwmark = mark as u32;
            }
            "-s" if add_service => {
                once(Opt::Scheduler)?;
                let s = val?;
                if !sched_name(s) {
                    return None;
                }
                sched = Some(s);
            }
            "-p" if add_service => {
                once(Opt::Persistent)?;
                let t = decimal(val?, u64::from(MAX_TIMEOUT))?;
                if t == 0 {
                    return None;
                }
                svc.flags |= ServiceFlags::PERSISTENT;
                svc.timeout = std::time::Duration::from_secs(t);
            }
            "-r" if !add_service => {
                once(Opt::Server)?;
                let (af, addr, port) = addr_port(val?)?;
                dest.family = af;
                dest.addr = addr;
                dest.port = port;
                have_dest = true;
            }
            "-w" if !add_service => {
                once(Opt::Weight)?;
                dest.weight = decimal(val?, i32::MAX as u64)? as i32;
            }
            "--tun-type" if !add_service => {
                once(Opt::TunType)?;
                if val? != "ipip" {
                    return None;
                }
                tun_ipip = true;
            }
            "-m" | "-g" | "-i" if !add_service => {
                once(Opt::Forward)?;
                dest.forward = match opt {
                    "-m" => Forward::Masq,
                    "-g" => Forward::Route,
                    _ => Forward::Tunnel,
                };
                i -= 1; // no value
            }
            _ => return None,
        }
    }
    if options & bit(Opt::Service) == 0 {
        return None;
    }
    if add_service {
        if svc.fwmark == 0 && svc.port == 0 && !svc.flags.intersects(ServiceFlags::PERSISTENT) {
            return None;
        }
        svc.sched_name = sched.unwrap_or("wlc").to_string();
    } else {
        if !have_dest || dest.family != svc.family || (tun_ipip && dest.forward != Forward::Tunnel)
        {
            return None;
        }
        if svc.fwmark == 0 && (dest.forward == Forward::Tunnel || dest.forward == Forward::Route) {
            dest.port = svc.port;
        }
    }
    if !have_dest {
        dest.family = svc.family;
    }
    Some(Parsed {
        cmd,
        options,
        svc,
        dest,
        timeouts: Timeouts::default(),
        daemon: Daemon {
            role: DaemonRole::Master,
            mcast_ifn: String::new(),
            syncid: 0,
            sync_maxlen: 0,
            mcast_group: None,
            mcast_port: 0,
            mcast_ttl: 0,
        },
        format: Format::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{parse, Outcome};

    fn slow(words: &[&str]) -> Option<Parsed> {
        let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        match parse(&args) {
            Ok(Outcome::Run(p)) => Some(*p),
            _ => None,
        }
    }

    #[test]
    fn bare_commands_same_as_general_parser() {
        for words in [["-R"], ["--restore"], ["-C"], ["--clear"]] {
            let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            let general = match crate::cli::parse_general(&args) {
                Ok(Outcome::Run(p)) => *p,
                other => panic!("{words:?}: {other:?}"),
            };
            assert_eq!(parse_bare(&args), Some(general), "{words:?}");
        }
        for words in [&["-R", "-n"][..], &["-L"], &["-Rn"], &["--restore="], &[]] {
            let args: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            assert!(parse_bare(&args).is_none(), "{words:?}");
        }
    }

    /// Every line the fast path accepts parses to the same thing with the
    /// general parser; and the lines `-S` writes are accepted.
    #[test]
    fn same_as_general_parser() {
        let keys = [
            "-t 192.0.2.1:80",
            "-u 198.51.100.7:0",
            "-t 203.0.113.255:65535",
            "-t 192.0.2.1:65536",
            "-t 192.0.2.01:80",
            "-t 256.0.2.1:80",
            "-t 192.0.2.1",
            "-t 192.0.2.1:http",
            "-t 192.0.2:80",
            "-t 192.0.2.1.5:80",
            "-t 192.0.2.1.:80",
            "-t .192.0.2:80",
            "-t 192.0..2:80",
            "-t 192.0.2.1::80",
            "-t [2001:db8::1]:443",
            "-u [2001:db8::a:b]:0",
            "-t [::ffff:1.2.3.4]:5",
            "-t [2001:db8::1]",
            "-t 2001:db8::1",
            "-f 1",
            "-f 4294967295",
            "-f 4294967296",
            "-f 0",
            "-f 07",
            "-f 12 -6",
            "--tcp-service 192.0.2.1:80",
        ];
        let svc_opts = [
            "",
            "-s rr",
            "-s wlc -p 300",
            "-p",
            "-p 0",
            "-p 2678400",
            "-p 2678401",
            "-p 300 -s sh",
            "-s averyveryverylongname",
            "-s rr -s wlc",
            "-s rr -o",
            "-p 1 -M 255.255.255.0",
            "-s mh -b mh-port",
            "-w 1",
            "-s",
        ];
        let dest_opts = [
            "-r 198.51.100.1:8080 -m -w 1",
            "-r 198.51.100.1:8080 -g -w 0",
            "-r 198.51.100.1:8080 -i -w 2147483647 --tun-type ipip",
            "-r 198.51.100.1:8080 -i --tun-type gue --tun-port 5",
            "-r 198.51.100.1:8080 -m --tun-type ipip",
            "-r 198.51.100.1:8080 -w 2147483648",
            "-r 198.51.100.1:8080 -w 01",
            "-r 198.51.100.1 -m",
            "-r 198.51.100.1:0 -m -w 3",
            "-r [2001:db8::5]:80 -i -w 1",
            "-r [2001:db8::5]:80 -m -w 1",
            "-w 5 -m -r 198.51.100.2:81",
            "-r 198.51.100.1:8080 -m -g",
            "-r 198.51.100.1:8080 -m -x 10 -y 5",
            "-r 198.51.100.1:8080 -w 1 -w 2",
            "-r 198.51.100.1:8080 -m -s rr",
            "-m",
            "-r",
        ];
        let mut accepted = 0;
        let mut total = 0;
        for key in keys {
            for (cmd, opts) in [("-A", &svc_opts[..]), ("-a", &dest_opts[..])] {
                for o in opts {
                    for line in [format!("{cmd} {key} {o}"), format!("{cmd} {o} {key}")] {
                        let words: Vec<&str> = line.split_whitespace().collect();
                        total += 1;
                        if let Some(p) = parse_simple(&words) {
                            accepted += 1;
                            assert_eq!(Some(p), slow(&words), "{line}");
                        }
                    }
                }
            }
        }
        assert!(accepted > 50, "{accepted} of {total}");
        // What -Sn writes goes the fast way.
        for line in [
            "-A -t 192.0.2.1:80 -s wlc",
            "-A -u 198.51.100.3:53 -s rr -p 300",
            "-A -f 7 -s wrr",
            "-A -t [2001:db8::1]:443 -s wlc -p 360",
            "-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1",
            "-a -f 7 -r 198.51.100.1:0 -i -w 3 --tun-type ipip",
            "-a -t [2001:db8::1]:443 -r [2001:db8:1::2]:8443 -m -w 5",
        ] {
            let words: Vec<&str> = line.split_whitespace().collect();
            let p = parse_simple(&words).unwrap_or_else(|| panic!("not fast: {line}"));
            assert_eq!(Some(p), slow(&words), "{line}");
        }
    }
}
