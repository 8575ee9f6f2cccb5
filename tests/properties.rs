//! Properties over generated inputs (proptest, 256 cases each):
//!
//! * a service or real server written as an `-S` line (numeric) parses back
//!   with the command-line parser to the same rule;
//! * the `--apply` plan from a current table to a target, executed on the
//!   stand-in kernel, leaves the target; and planning the target against
//!   itself gives no change;
//! * the restore fast path agrees with the general parser on every
//!   generated `-A`/`-a` line it accepts (valid and near-valid lines), and
//!   accepts the numeric IPv4 lines `-S` writes.

use lvs::kernel::{Kernel, StandIn};
use lvs::model::*;
use lvs::netlink::Request;
use lvsadm::internals::cli::rules::parse_rules;
use lvsadm::internals::cli::{fast::parse_simple, parse, Outcome, Parsed};
use lvsadm::internals::{plan, Wanted};
use lvsadm::internals::{write_save_dest, write_save_service, Names};
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// The general parser's result for a line, if it is a command to run.
fn general(line: &str) -> Option<Parsed> {
    parsed(line).ok()
}

/// The general parser's result, or what it said instead.
fn parsed(line: &str) -> Result<Parsed, String> {
    let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    match parse(&words) {
        Ok(Outcome::Run(p)) => Ok(*p),
        other => Err(format!("{other:?}")),
    }
}

/// An address of the family, as the kernel stores it.
fn addr_of(af: Family) -> impl Strategy<Value = IpAddr> {
    if af == Family::Inet6 {
        any::<[u8; 16]>()
            .prop_map(|b| IpAddr::V6(Ipv6Addr::from(b)))
            .boxed()
    } else {
        any::<[u8; 4]>()
            .prop_map(|b| IpAddr::V4(Ipv4Addr::from(b)))
            .boxed()
    }
}

/// A service as the kernel reports it (only what `-S` can express).
fn service() -> impl Strategy<Value = Service> {
    (prop_oneof![Just(Family::Inet), Just(Family::Inet6)])
        .prop_flat_map(|af| {
            (
                Just(af),
                prop_oneof![
                    Just(Protocol::Tcp),
                    Just(Protocol::Udp),
                    Just(Protocol::Sctp)
                ],
                addr_of(af),
                any::<u16>(),
                // Marks above i32::MAX are saved negative, as ipvsadm saves
                // them (`%d`), and do not parse back, as with ipvsadm.
                prop_oneof![Just(0u32), 1u32..=i32::MAX as u32],
                prop::sample::select(SCHEDULERS),
                (
                    any::<bool>(),
                    1u32..=2_678_400,
                    any::<bool>(),
                    any::<bool>(),
                ),
                (0u32..=32, 1u32..=128),
                0u32..8,
            )
        })
        .prop_map(
            |(af, proto, addr, port, mark, sched, (pers, timeout, ops, pe), (m4, m6), sf)| {
                let mut s = Service::new(af);
                if mark != 0 {
                    s.fwmark = mark;
                } else {
                    s.protocol = proto;
                    s.addr = addr;
                    // Port 0 is for persistent services only.
                    s.port = if pers { port } else { port.max(1) };
                }
                s.sched_name = sched.to_string();
                if pers {
                    s.flags |= ServiceFlags::PERSISTENT;
                    s.timeout = std::time::Duration::from_secs(u64::from(timeout));
                    s.netmask = if af == Family::Inet6 {
                        Netmask::Prefix(m6)
                    } else {
                        Netmask::Mask(Ipv4Addr::from_bits(
                            u32::MAX.checked_shl(32 - m4).unwrap_or(0),
                        ))
                    };
                    if pe {
                        s.pe_name = "sip".into();
                    }
                }
                // One-packet scheduling is for UDP services only.
                if ops && s.fwmark == 0 && s.protocol == Protocol::Udp {
                    s.flags |= ServiceFlags::ONEPACKET;
                }
                // Scheduler flags the scheduler can name (sh/mh have no third).
                let bits = [
                    ServiceFlags::SCHED1,
                    ServiceFlags::SCHED2,
                    ServiceFlags::SCHED3,
                ];
                for (i, b) in bits.iter().enumerate() {
                    if sf & (1 << i) != 0 && !(i == 2 && matches!(sched, "sh" | "mh")) {
                        s.flags |= *b;
                    }
                }
                s
            },
        )
}

/// A real server of the service's family, as the kernel reports it.
fn dest_for(svc: &Service) -> impl Strategy<Value = Dest> {
    let (af, svc_port, mark) = (svc.family, svc.port, svc.fwmark);
    (
        addr_of(af),
        any::<u16>(),
        prop_oneof![
            Just(Forward::Masq),
            Just(Forward::Route),
            Just(Forward::Tunnel)
        ],
        0i32..=i32::MAX,
        (
            prop_oneof![
                Just(TunnelType::Ipip),
                Just(TunnelType::Gue),
                Just(TunnelType::Gre)
            ],
            1u16..=u16::MAX,
            prop_oneof![
                Just(TunnelChecksum::None),
                Just(TunnelChecksum::Csum),
                Just(TunnelChecksum::RemCsum)
            ],
        ),
    )
        .prop_map(move |(addr, port, fwd, weight, (tt, tport, tflags))| {
            let mut d = Dest::new(af);
            d.addr = addr;
            // Direct routing and tunnels keep the virtual port.
            d.port = if mark == 0 && fwd != Forward::Masq {
                svc_port
            } else {
                port
            };
            d.forward = fwd;
            d.weight = weight;
            if fwd == Forward::Tunnel {
                d.tun_type = tt;
                if tt == TunnelType::Gue {
                    d.tun_port = tport;
                }
                // Remote checksum offload is for GUE only.
                if tt == TunnelType::Gue
                    || (tt == TunnelType::Gre && tflags != TunnelChecksum::RemCsum)
                {
                    d.tun_checksum = tflags;
                }
            }
            d
        })
}

fn service_and_dest() -> impl Strategy<Value = (Service, Dest)> {
    service().prop_flat_map(|s| {
        let d = dest_for(&s);
        (Just(s), d)
    })
}

fn save_line(svc: &Service, dest: Option<&Dest>) -> String {
    let mut out = Vec::new();
    match dest {
        None => write_save_service(&mut out, svc, Names::Numeric).unwrap(),
        Some(d) => write_save_dest(&mut out, svc, d, Names::Numeric).unwrap(),
    }
    String::from_utf8(out).unwrap()
}

/// The service key fields the parser gives for the saved service.
fn assert_same_key(got: &Service, want: &Service, line: &str) {
    assert_eq!(got.family, want.family, "af: {line}");
    assert_eq!(got.fwmark, want.fwmark, "fwmark: {line}");
    if want.fwmark == 0 {
        assert_eq!(
            (got.protocol, got.addr, got.port),
            (want.protocol, want.addr, want.port),
            "key: {line}"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `-S` service line → parse → the same service.
    #[test]
    fn saved_service_parses_back(svc in service()) {
        let line = save_line(&svc, None);
        let p = parsed(&line).unwrap_or_else(|e| panic!("not parsed: {line}: {e}"));
        prop_assert_eq!(p.cmd, lvsadm::internals::cli::Cmd::AddService);
        let got = &p.svc;
        assert_same_key(got, &svc, &line);
        prop_assert_eq!(&got.sched_name, &svc.sched_name, "{}", line);
        prop_assert_eq!(got.flags, svc.flags, "flags: {}", line);
        prop_assert_eq!(&got.pe_name, &svc.pe_name, "{}", line);
        if svc.flags.intersects(ServiceFlags::PERSISTENT) {
            prop_assert_eq!((got.timeout, got.netmask), (svc.timeout, svc.netmask), "{}", line);
        }
    }

    /// `-S` real-server line → parse → the same real server.
    #[test]
    fn saved_dest_parses_back((svc, dest) in service_and_dest()) {
        let line = save_line(&svc, Some(&dest));
        let p = parsed(&line).unwrap_or_else(|e| panic!("not parsed: {line}: {e}"));
        prop_assert_eq!(p.cmd, lvsadm::internals::cli::Cmd::AddDest);
        assert_same_key(&p.svc, &svc, &line);
        let got = &p.dest;
        prop_assert_eq!(
            (got.family, got.addr, got.port, got.forward.method(), got.weight),
            (dest.family, dest.addr, dest.port, dest.forward, dest.weight),
            "{}", line
        );
        if dest.forward == Forward::Tunnel {
            prop_assert_eq!(
                (got.tun_type, got.tun_port, got.tun_checksum),
                (dest.tun_type, dest.tun_port, dest.tun_checksum),
                "{}", line
            );
        }
    }
}

// ---- apply: plan(current, target) executed on the stand-in gives target.

/// A small universe of services and servers, so that current and target
/// overlap in every way (same, edited, added, removed).
const KEYS: &[&str] = &[
    "-t 192.0.2.1:80",
    "-t 192.0.2.2:443",
    "-u [2001:db8::1]:53",
    "-f 7",
    "-f 9 -6",
];
const SERVERS_V4: &[&str] = &["198.51.100.1:80", "198.51.100.2:80", "198.51.100.3:8080"];
const SERVERS_V6: &[&str] = &[
    "[2001:db8::10]:53",
    "[2001:db8::11]:53",
    "[2001:db8::12]:5353",
];

#[derive(Debug, Clone)]
struct RuleDest {
    server: usize,
    fwd: &'static str,
    weight: u32,
    thresholds: Option<(u32, u32)>,
}

#[derive(Debug, Clone)]
struct RuleSvc {
    sched: &'static str,
    persistent: Option<u32>,
    dests: Vec<RuleDest>,
}

/// A rule file over the universe: each key present or not.
fn rule_file() -> impl Strategy<Value = String> {
    let dest = (
        0..3usize,
        prop::sample::select(&["-m", "-g", "-i"][..]),
        0u32..4,
        // The kernel refuses a lower threshold above the upper one.
        prop::option::of((0u32..3, 0u32..3).prop_map(|(x, y)| (x, y.min(x)))),
    )
        .prop_map(|(server, fwd, weight, thresholds)| RuleDest {
            server,
            fwd,
            weight,
            thresholds,
        });
    let svc = (
        prop::sample::select(&["rr", "wlc", "sh", "wrr"][..]),
        prop::option::of(prop_oneof![Just(60u32), Just(300)]),
        prop::collection::vec(dest, 0..4),
    )
        .prop_map(|(sched, persistent, dests)| RuleSvc {
            sched,
            persistent,
            dests,
        });
    prop::collection::vec(prop::option::of(svc), KEYS.len()).prop_map(|svcs| {
        let mut text = String::new();
        for (key, s) in KEYS.iter().zip(svcs) {
            let Some(s) = s else { continue };
            text.push_str(&format!("-A {key} -s {}", s.sched));
            if let Some(p) = s.persistent {
                text.push_str(&format!(" -p {p}"));
            }
            text.push('\n');
            let servers = if key.contains("2001") || key.ends_with("-6") {
                SERVERS_V6
            } else {
                SERVERS_V4
            };
            let mut seen = [false; 3];
            for d in s.dests {
                if std::mem::replace(&mut seen[d.server], true) {
                    continue;
                }
                text.push_str(&format!(
                    "-a {key} -r {} {} -w {}",
                    servers[d.server], d.fwd, d.weight
                ));
                if let Some((x, y)) = d.thresholds {
                    text.push_str(&format!(" -x {x} -y {y}"));
                }
                text.push('\n');
            }
        }
        text
    })
}

fn rules(text: &str) -> Vec<Wanted> {
    let (w, problems) = parse_rules(text);
    assert!(problems.is_empty(), "{problems:?} in\n{text}");
    w
}

/// The table holds exactly the wanted services and servers, with the
/// settings the rule file gives.
fn assert_table_is(k: &StandIn, want: &[Wanted], text: &str) {
    let table = k.table();
    assert_eq!(table.len(), want.len(), "services:\n{text}\n{table:#?}");
    for w in want {
        let (live, dests) = table
            .iter()
            .find(|(s, _)| s.key() == w.svc.key())
            .unwrap_or_else(|| panic!("{:?} missing\n{text}", w.svc.key()));
        assert_eq!(live.sched_name, w.svc.sched_name, "{text}");
        let mask = ServiceFlags::PERSISTENT | ServiceFlags::ONEPACKET;
        assert_eq!(live.flags & mask, w.svc.flags & mask, "{text}");
        if w.svc.flags.intersects(ServiceFlags::PERSISTENT) {
            assert_eq!(live.timeout, w.svc.timeout, "{text}");
        }
        assert_eq!(
            dests.len(),
            w.dests.len(),
            "servers of {:?}:\n{text}",
            w.svc.key()
        );
        for wd in &w.dests {
            let d = dests
                .iter()
                .find(|d| d.key() == wd.dest.key())
                .unwrap_or_else(|| panic!("{:?} missing\n{text}", wd.dest.key()));
            assert_eq!(
                (d.forward.method(), d.weight),
                (wd.dest.forward.method(), wd.dest.weight),
                "{text}"
            );
            if wd.u_given {
                assert_eq!(d.u_threshold, wd.dest.u_threshold, "{text}");
            }
            if wd.l_given {
                assert_eq!(d.l_threshold, wd.dest.l_threshold, "{text}");
            }
        }
    }
}

/// Load a rule file into an empty stand-in, request by request.
fn load(text: &str) -> StandIn {
    let mut k = StandIn::new();
    for w in rules(text) {
        k.execute(&Request::NewService(w.svc.clone())).unwrap();
        for d in &w.dests {
            k.execute(&Request::NewDest(w.svc.key(), d.dest.clone()))
                .unwrap();
        }
    }
    k
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn plan_applied_gives_target(current in rule_file(), target in rule_file()) {
        let mut k = load(&current);
        let want = rules(&target);
        let live = k.table().to_vec();
        for c in plan(&want, &live) {
            let (req, _) = c.request();
            if let Err(e) = k.execute(&req) {
                panic!("{} refused ({e:?})\ncurrent:\n{current}target:\n{target}", c.command_line());
            }
        }
        assert_table_is(&k, &want, &format!("current:\n{current}target:\n{target}"));
        // Nothing left to do: the target planned against itself.
        let again = plan(&want, k.table());
        prop_assert!(again.is_empty(), "{:?}", again.iter().map(|c| c.command_line()).collect::<Vec<_>>());
    }

    #[test]
    fn plan_of_target_against_itself_is_empty(target in rule_file()) {
        let k = load(&target);
        let again = plan(&rules(&target), k.table());
        prop_assert!(again.is_empty(), "{:?}", again.iter().map(|c| c.command_line()).collect::<Vec<_>>());
    }
}

// ---- the restore fast path against the general parser.

/// Words of `-A`/`-a` lines: valid forms, and the near misses around them
/// (leading zeros, out-of-range numbers, names, repeated or unknown options).
fn line_words() -> impl Strategy<Value = String> {
    let cmd = prop::sample::select(&["-A", "-a", "-E", "-A", "-a"][..]);
    let host4 = prop_oneof![
        any::<[u8; 4]>().prop_map(|b| Ipv4Addr::from(b).to_string()),
        prop::sample::select(
            &[
                "192.0.2.01",
                "256.0.2.1",
                "192.0.2",
                "192.0.2.1.5",
                "0x7f.1",
                "localhost",
                "1e2.0.0.1"
            ][..]
        )
        .prop_map(str::to_string),
    ];
    let host6 = prop_oneof![
        any::<[u8; 16]>().prop_map(|b| format!("[{}]", Ipv6Addr::from(b))),
        prop::sample::select(&["[2001:db8::1", "2001:db8::1", "[::ffff:192.0.2.1]", "[]"][..])
            .prop_map(str::to_string),
    ];
    let port = prop_oneof![
        any::<u16>().prop_map(|p| p.to_string()),
        prop::sample::select(&["", "65536", "080", "http", "-1", "+5", "99999999999"][..])
            .prop_map(str::to_string),
    ];
    let addrport = (prop_oneof![host4, host6], prop::option::of(port)).prop_map(|(h, p)| match p {
        Some(p) => format!("{h}:{p}"),
        None => h,
    });
    let number = prop_oneof![
        any::<u32>().prop_map(|n| n.to_string()),
        (0u32..100).prop_map(|n| n.to_string()),
        prop::sample::select(&["0", "-1", "07", "2147483648", "4294967296", "1x", ""][..])
            .prop_map(str::to_string),
    ];
    let opt = prop_oneof![
        (
            prop::sample::select(&["-t", "-u", "--tcp-service", "-f"][..]),
            addrport.clone()
        )
            .prop_map(|(o, a)| format!("{o} {a}")),
        (Just("-f"), number.clone()).prop_map(|(o, n)| format!("{o} {n}")),
        (Just("-r"), addrport).prop_map(|(o, a)| format!("{o} {a}")),
        (
            prop::sample::select(&["-w", "-p", "-x", "-y", "--weight"][..]),
            number
        )
            .prop_map(|(o, n)| format!("{o} {n}")),
        prop::sample::select(SCHEDULERS).prop_map(|s| format!("-s {s}")),
        prop::sample::select(
            &[
                "-m",
                "-g",
                "-i",
                "-6",
                "-o",
                "-s",
                "-p",
                "-s RR",
                "--tun-type ipip",
                "--tun-type gue",
                "-M 255.0.0.0",
                "-n"
            ][..]
        )
        .prop_map(str::to_string),
    ];
    (cmd, prop::collection::vec(opt, 0..6)).prop_map(|(c, opts)| {
        let mut line = c.to_string();
        for o in opts {
            line.push(' ');
            line.push_str(&o);
        }
        line
    })
}

fn fast(line: &str) -> Option<Parsed> {
    let words: Vec<&str> = line.split_whitespace().collect();
    parse_simple(&words)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    #[test]
    fn fast_path_agrees_with_general_parser(line in line_words()) {
        if let Some(f) = fast(&line) {
            let g = general(&line);
            prop_assert_eq!(g.as_ref(), Some(&f), "{}", line);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The IPv4 and IPv6 `-A`/`-a` lines `-S` writes for plain services take
    /// the fast path, with the general parser's result.
    #[test]
    fn saved_lines_take_the_fast_path((mut svc, mut dest) in service_and_dest()) {
        // The subset the fast path covers: TCP/UDP, no persistence extras.
        if svc.protocol == Protocol::Sctp {
            svc.protocol = Protocol::Tcp;
        }
        svc.flags = ServiceFlags::from_bits(0);
        svc.pe_name.clear();
        if svc.fwmark != 0 && svc.family == Family::Inet6 {
            svc.family = Family::Inet;
            svc.netmask = Netmask::Mask(std::net::Ipv4Addr::from_bits(u32::MAX));
            dest = Dest { family: Family::Inet, addr: Ipv4Addr::new(198, 51, 100, 1).into(), ..dest };
        }
        if dest.forward == Forward::Tunnel {
            dest.tun_type = TunnelType::Ipip;
            dest.tun_port = 0;
            dest.tun_checksum = TunnelChecksum::None;
        }
        for line in [save_line(&svc, None), save_line(&svc, Some(&dest))] {
            if svc.fwmark == 0 && svc.port == 0 && line.starts_with("-A") {
                continue; // a port-0 service without persistence is an error
            }
            let f = fast(&line);
            prop_assert!(f.is_some(), "fast path refused {}", line);
            prop_assert_eq!(general(&line), f, "{}", line);
        }
    }
}
