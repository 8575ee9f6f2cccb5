//! `--doctor`'s rules, without I/O: given what was read of the table and
//! the network state ([`Facts`]), the problems that make an LVS lose
//! packets, each with what breaks and the command that fixes it.

use crate::apply::render::service_rule;
use lvs::model::*;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// What `--doctor` read of the system.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// The table.
    pub table: Vec<(Service, Vec<Dest>)>,
    /// The running sync daemons.
    pub daemons: Vec<Daemon>,
    /// Each network interface and whether it is up.
    pub links: BTreeMap<String, bool>,
    /// Each address and its interface.
    pub addrs: Vec<(String, IpAddr)>,
    /// Sysctls as read (`net.ipv4.ip_forward`,
    /// `net.ipv4.conf.IF.arp_ignore`, `net.ipv4.vs.conntrack`, ...); a
    /// missing one is absent.
    pub sysctls: BTreeMap<String, String>,
    /// The kernel's release (`uname -r`: `6.1.0-18-amd64`); empty when
    /// unknown.
    pub kernel: String,
    /// This namespace's routes (the main table).
    pub routes: Vec<Route>,
    /// Each interface's MTU, when it could be read.
    pub mtus: BTreeMap<String, u32>,
    /// The other network namespaces read (those of `/run/netns`), where a
    /// NAT real server may live.
    pub netns: Vec<Netns>,
    /// Current connections (from the connection table) as (real server,
    /// client) addresses, each pair once.
    pub clients: Vec<(IpAddr, IpAddr)>,
}

/// A route of a main routing table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The destination network.
    pub dst: IpAddr,
    /// Its prefix length.
    pub len: u8,
    /// The next hop; `None` for a directly connected network.
    pub gateway: Option<IpAddr>,
    /// The interface.
    pub dev: String,
    /// Its metric (of two routes to the same network the lower is used).
    pub metric: u32,
}

impl Route {
    fn contains(&self, ip: IpAddr) -> bool {
        match (self.dst, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let m = u32::MAX.checked_shl(32 - u32::from(self.len)).unwrap_or(0);
                self.len <= 32 && u32::from(n) & m == u32::from(a) & m
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let m = u128::MAX
                    .checked_shl(128 - u32::from(self.len))
                    .unwrap_or(0);
                self.len <= 128 && u128::from(n) & m == u128::from(a) & m
            }
            _ => false,
        }
    }
}

/// The route `routes` give `ip`: the longest matching prefix (policy
/// routing rules are not considered).
pub fn route_to(routes: &[Route], ip: IpAddr) -> Option<&Route> {
    routes
        .iter()
        .filter(|r| r.contains(ip))
        .min_by_key(|r| (std::cmp::Reverse(r.len), r.metric))
}

/// What was read in another network namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Netns {
    /// Its name under `/run/netns`.
    pub name: String,
    /// Each address and its interface.
    pub addrs: Vec<(String, IpAddr)>,
    /// Its routes (the main table).
    pub routes: Vec<Route>,
}

/// A hex word of `/proc/net/route`: the address's bytes as the kernel
/// keeps them (network order), printed as a native integer.
fn hex_be32(s: &str) -> Option<u32> {
    u32::from_str_radix(s, 16).ok().map(u32::from_be)
}

/// The routes of `/proc/net/route` (IPv4, the main table): `Iface
/// Destination Gateway Flags RefCnt Use Metric Mask ...`, addresses in
/// hex in the kernel's (network) byte order. Routes that are not up or are
/// rejects are left out.
pub fn parse_routes_v4(text: &str) -> Vec<Route> {
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 8 {
            continue;
        }
        let (Some(dst), Some(gw), Ok(flags), Some(mask)) = (
            hex_be32(w[1]),
            hex_be32(w[2]),
            u32::from_str_radix(w[3], 16),
            hex_be32(w[7]),
        ) else {
            continue;
        };
        // RTF_UP 0x1, RTF_GATEWAY 0x2, RTF_REJECT 0x200
        if flags & 0x1 == 0
            || flags & 0x200 != 0
            || mask.leading_ones() + mask.trailing_zeros() != 32
        {
            continue;
        }
        out.push(Route {
            dst: IpAddr::V4(dst.into()),
            len: mask.leading_ones() as u8,
            gateway: (flags & 0x2 != 0).then(|| IpAddr::V4(gw.into())),
            dev: w[0].to_string(),
            metric: w[6].parse().unwrap_or(0),
        });
    }
    out
}

/// The routes of `/proc/net/ipv6_route`: `DST DSTLEN SRC SRCLEN NEXTHOP
/// METRIC REFCNT USE FLAGS IFACE`, hex. Every table is listed there: only
/// unicast routes that are up, not rejects and not the local table's host
/// routes (`RTF_LOCAL`) are kept.
pub fn parse_routes_v6(text: &str) -> Vec<Route> {
    let mut out = Vec::new();
    for line in text.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        if w.len() < 10 {
            continue;
        }
        let (Ok(dst), Ok(len), Ok(gw), Ok(flags)) = (
            u128::from_str_radix(w[0], 16),
            u8::from_str_radix(w[1], 16),
            u128::from_str_radix(w[4], 16),
            u32::from_str_radix(w[8], 16),
        ) else {
            continue;
        };
        // RTF_UP 0x1, RTF_GATEWAY 0x2, RTF_REJECT 0x200, RTF_LOCAL 0x80000000
        if flags & 0x1 == 0 || flags & 0x200 != 0 || flags & 0x8000_0000 != 0 || len > 128 {
            continue;
        }
        let dst = std::net::Ipv6Addr::from(dst);
        if dst.segments()[0] & 0xff00 == 0xff00 {
            continue; // multicast
        }
        out.push(Route {
            dst: IpAddr::V6(dst),
            len,
            gateway: (flags & 0x2 != 0).then(|| IpAddr::V6(gw.into())),
            dev: w[9].to_string(),
            metric: u32::from_str_radix(w[5], 16).unwrap_or(0),
        });
    }
    out
}

/// The kernel version `(major, minor)` of a release string (`5.8.0-63`).
pub fn kernel_version(release: &str) -> Option<(u32, u32)> {
    let mut it = release.split(|c: char| !c.is_ascii_digit());
    let major = it.next()?.parse().ok()?;
    let minor = it.next()?.parse().ok()?;
    Some((major, minor))
}

impl Facts {
    fn num(&self, name: &str) -> Option<i64> {
        self.sysctls.get(name).and_then(|v| v.trim().parse().ok())
    }

    /// The value of `net.ipv4.conf.{all,IF}.KEY` that applies: the larger.
    fn conf_max(&self, iface: &str, key: &str) -> i64 {
        let a = self.num(&format!("net.ipv4.conf.all.{key}")).unwrap_or(0);
        let i = self
            .num(&format!("net.ipv4.conf.{iface}.{key}"))
            .unwrap_or(0);
        a.max(i)
    }

    fn has_addr(&self, ip: IpAddr) -> bool {
        self.addrs.iter().any(|(_, a)| *a == ip)
    }
}

/// One problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Its name (stable, for scripts): `nat-without-forwarding`, ...
    pub name: &'static str,
    /// What it is about, in one line.
    pub what: String,
    /// What breaks.
    pub breaks: String,
    /// The command that fixes it.
    pub fix: String,
}

fn ip_text(ip: IpAddr) -> String {
    crate::format::ntop(&ip)
}

fn host_prefix(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(_) => format!("{}/32", ip_text(ip)),
        IpAddr::V6(_) => format!("{}/128", ip_text(ip)),
    }
}

/// The director's problems; `vips` (when not empty) limits them to the
/// services of those addresses.
pub fn director(f: &Facts, vips: &[IpAddr]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mine = |s: &Service| vips.is_empty() || (s.fwmark == 0 && vips.contains(&s.addr));
    let table: Vec<&(Service, Vec<Dest>)> = f.table.iter().filter(|(s, _)| mine(s)).collect();

    // NAT needs forwarding, per family
    for (af, key, fix) in [
        (
            Family::Inet,
            "net.ipv4.ip_forward",
            "sysctl -w net.ipv4.ip_forward=1",
        ),
        (
            Family::Inet6,
            "net.ipv6.conf.all.forwarding",
            "sysctl -w net.ipv6.conf.all.forwarding=1",
        ),
    ] {
        let nat: Vec<String> = table
            .iter()
            .filter(|(s, d)| {
                s.family == af && d.iter().any(|d| d.forward.method() == Forward::Masq)
            })
            .map(|(s, _)| service_rule(s))
            .collect();
        if !nat.is_empty() && f.num(key) == Some(0) {
            out.push(Finding {
                name: "nat-without-forwarding",
                what: format!("{key} is 0 and {} has NAT real servers", nat.join(", ")),
                breaks: "the real servers' replies are not forwarded back through the director: \
                         clients get no answer"
                    .into(),
                fix: fix.into(),
            });
        }
    }
    // every address-based VIP must be local
    for (s, _) in &table {
        if s.fwmark != 0 {
            continue;
        }
        let ip = s.addr;
        if ip.is_unspecified() || f.has_addr(ip) {
            continue;
        }
        out.push(Finding {
            name: "vip-not-on-director",
            what: format!(
                "{} has no address {} on any interface",
                service_rule(s),
                ip_text(ip)
            ),
            breaks: "packets for the VIP are routed past IPVS (not delivered locally): \
                     nothing is load balanced"
                .into(),
            fix: format!("ip addr add {} dev lo", host_prefix(ip)),
        });
    }
    // persistence on top of a hashing scheduler
    for (s, _) in &table {
        if s.is_persistent() && (s.sched_name == "sh" || s.sched_name == "mh") {
            out.push(Finding {
                name: "persistence-with-hashing",
                what: format!(
                    "{} is persistent (-p) with the {} scheduler",
                    service_rule(s),
                    s.sched_name
                ),
                breaks: "the persistence templates override the hash: clients stay where the \
                         template says, not where the hash (the same on every director) puts them, \
                         and weight changes do not move them"
                    .into(),
                fix: format!(
                    "lvsadm -E {} -s {} (without -p)",
                    service_rule(s),
                    s.sched_name
                ),
            });
        }
    }
    // real servers left at weight 0 with nothing on them
    for (s, ds) in &table {
        for d in ds {
            if d.weight == 0 && d.active_conns == 0 && d.inact_conns == 0 {
                let rs = crate::apply::render::addrport(d.addr, d.port);
                out.push(Finding {
                    name: "weight-0-idle",
                    what: format!(
                        "{} -r {rs} has weight 0 and no connections left",
                        service_rule(s)
                    ),
                    breaks: "a drained real server that was never deleted or given its weight \
                             back: capacity is missing, and it hides a failed maintenance"
                        .into(),
                    fix: format!(
                        "lvsadm -d {} -r {rs}   (or lvsadm -e {} -r {rs} -w WEIGHT)",
                        service_rule(s),
                        service_rule(s)
                    ),
                });
            }
        }
    }
    // NAT real servers must send their replies back through the director
    out.extend(nat_routes(f, &table));
    // the conn_reuse_mode traps, by kernel version
    out.extend(conn_reuse(f, &table));
    // tunnelled packets must fit the way to the real server
    out.extend(tunnel_mtu(f, &table));
    // the sync daemon's interface
    for d in &f.daemons {
        if !f.links.contains_key(&d.mcast_ifn) {
            let role = d.role.name();
            out.push(Finding {
                name: "sync-daemon-interface-missing",
                what: format!(
                    "the {role} sync daemon (syncid {}) uses interface {}, which does not exist",
                    d.syncid, d.mcast_ifn
                ),
                breaks: "no connection is synchronised: a fail-over breaks every connection"
                    .into(),
                fix: format!(
                    "lvsadm --stop-daemon {role}; lvsadm --start-daemon {role} --mcast-interface IFACE --syncid {}",
                    d.syncid
                ),
            });
        }
    }
    out
}

fn ip_cmd(ip: IpAddr) -> &'static str {
    if ip.is_ipv4() {
        "ip"
    } else {
        "ip -6"
    }
}

/// `nat-route-bypasses-director`: a NAT real server found (its address
/// local) in another namespace whose default route is not via one of the
/// director's addresses.
fn nat_routes(f: &Facts, table: &[&(Service, Vec<Dest>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (s, ds) in table {
        for d in ds.iter().filter(|d| d.forward.method() == Forward::Masq) {
            for ns in f
                .netns
                .iter()
                .filter(|n| n.addrs.iter().any(|(_, a)| *a == d.addr))
            {
                if seen.contains(&(ns.name.clone(), d.addr)) {
                    continue;
                }
                seen.push((ns.name.clone(), d.addr));
                let default = ns
                    .routes
                    .iter()
                    .filter(|r| r.len == 0 && r.dst.is_ipv4() == d.addr.is_ipv4())
                    .min_by_key(|r| r.metric)
                    .map(|r| (r.gateway, r.dev.as_str()));
                // a route back is right when it goes via the director, or
                // straight to a client that is the director itself
                let mut bad_client = None;
                let right = |gw: Option<IpAddr>, to: Option<IpAddr>| match gw {
                    Some(g) => f.has_addr(g),
                    None => to.is_some_and(|c| f.has_addr(c)),
                };
                let now = match default {
                    Some((gw, _)) if right(gw, None) => {
                        // the default is right: a client of a current
                        // connection may still have a route of its own
                        let wrong: Vec<(IpAddr, &Route)> = f
                            .clients
                            .iter()
                            .filter(|(rs, _)| *rs == d.addr)
                            .filter_map(|(_, c)| route_to(&ns.routes, *c).map(|r| (*c, r)))
                            .filter(|(c, r)| !right(r.gateway, Some(*c)))
                            .collect();
                        let Some(&(c, r)) = wrong.first() else {
                            continue;
                        };
                        bad_client = Some(c);
                        let via = match r.gateway {
                            Some(g) => format!("via {}", ip_text(g)),
                            None => "direct".to_string(),
                        };
                        let more = match wrong.len() {
                            1 => String::new(),
                            n => format!(" (and {} more clients)", n - 1),
                        };
                        format!(
                            "is via the director, but its route to the client {} of a current \
                             connection is {via} (dev {}, {}/{}){more}",
                            ip_text(c),
                            r.dev,
                            ip_text(r.dst),
                            r.len
                        )
                    }
                    Some((Some(gw), dev)) => format!("is via {} (dev {dev})", ip_text(gw)),
                    Some((None, dev)) => format!("is directly on dev {dev}, via no router"),
                    None => "is missing".to_string(),
                };
                // the director's address on a network the real server is on
                let via = f
                    .addrs
                    .iter()
                    .map(|(_, a)| *a)
                    .filter(|a| a.is_ipv4() == d.addr.is_ipv4() && !a.is_loopback())
                    .find(|a| {
                        ns.routes
                            .iter()
                            .any(|r| r.gateway.is_none() && r.len > 0 && r.contains(*a))
                    });
                let fix = match (via, bad_client) {
                    (Some(a), Some(c)) => format!(
                        "{} -n {} route add {} via {}   (and net.ipv4.conf.all.send_redirects=0 \
                         on the director; or keep clients off the real servers' networks)",
                        ip_cmd(d.addr),
                        ns.name,
                        host_prefix(c),
                        ip_text(a)
                    ),
                    (Some(a), None) => format!(
                        "{} -n {} route replace default via {}",
                        ip_cmd(d.addr),
                        ns.name,
                        ip_text(a)
                    ),
                    (None, _) => format!(
                        "{} -n {} route replace default via DIRECTOR-ADDRESS (an address of \
                         this director on the real server's network)",
                        ip_cmd(d.addr),
                        ns.name
                    ),
                };
                out.push(Finding {
                    name: "nat-route-bypasses-director",
                    what: format!(
                        "NAT real server {} of {} (namespace {}): its default route {now}, \
                         not via the director",
                        ip_text(d.addr),
                        service_rule(s),
                        ns.name
                    ),
                    breaks: "its replies to clients do not pass the director, so they are not \
                             translated back to the VIP: clients drop them and never connect"
                        .into(),
                    fix,
                });
            }
        }
    }
    out
}

/// The two `conn_reuse_mode` traps. Before Linux 5.9, with IPVS
/// connections tracked (`conntrack=1`), rescheduling a new connection that
/// reuses the client port of an old one drops its first SYN: a 1 s delay.
/// The usual cure, `conn_reuse_mode=0`, sends such connections to the old
/// real server even when it is drained or deleted; from 5.9 on it is no
/// longer needed.
fn conn_reuse(f: &Facts, table: &[&(Service, Vec<Dest>)]) -> Vec<Finding> {
    let (Some(mode), Some(ver)) = (
        f.num("net.ipv4.vs.conn_reuse_mode"),
        kernel_version(&f.kernel),
    ) else {
        return Vec::new();
    };
    if table.is_empty() {
        return Vec::new();
    }
    let ct = f.num("net.ipv4.vs.conntrack").unwrap_or(0);
    if ver < (5, 9) && mode != 0 && ct != 0 {
        return vec![Finding {
            name: "conn-reuse-syn-delay",
            what: format!(
                "Linux {}.{} with conn_reuse_mode={mode} and conntrack=1",
                ver.0, ver.1
            ),
            breaks: "a new connection from a client port that an old connection used (common \
                     with many short connections) has its first SYN dropped: it waits 1 s for \
                     the retransmission"
                .into(),
            fix: "upgrade to Linux 5.9 or later; or lvsadm --sysctl conntrack=0 if no \
                  firewall or NAT rule needs IPVS connections tracked; or lvsadm --sysctl \
                  conn_reuse_mode=0 (then such connections stay on the old real server)"
                .into(),
        }];
    }
    if ver >= (5, 9) && mode == 0 {
        return vec![Finding {
            name: "conn-reuse-off",
            what: format!(
                "conn_reuse_mode=0 on Linux {}.{}, which no longer needs it",
                ver.0, ver.1
            ),
            breaks: "a new connection from a client port that an old connection used goes to \
                     the old connection's real server without being scheduled: one drained to \
                     weight 0 still gets it (before Linux 5.16 even with expire_nodest_conn=1), \
                     one deleted drops it until the old entry expires, and new real servers get \
                     less than their share"
                .into(),
            fix: "lvsadm --sysctl conn_reuse_mode=1".into(),
        }];
    }
    Vec::new()
}

/// The bytes a tunnelling real server's encapsulation adds.
fn tunnel_overhead(d: &Dest) -> u32 {
    let outer = if d.addr.is_ipv4() { 20 } else { 40 };
    match d.tun_type {
        // UDP header and the GUE header
        TunnelType::Gue => outer + 8 + 4,
        // the GRE header, its checksum field when asked for
        TunnelType::Gre => {
            outer
                + if d.tun_checksum == TunnelChecksum::None {
                    4
                } else {
                    8
                }
        }
        _ => outer,
    }
}

/// `tunnel-mtu`: a tunnelling real server reached through an interface
/// whose MTU has no room for the encapsulation of a full-size client
/// packet: as large as the MTU of the clients' side (the interface of the
/// default route, or else the VIP's own when it is not `lo`), but at most
/// 1500 bytes, Ethernet's and the Internet's usual size (a one-armed
/// director's single interface then needs 1500 plus the overhead).
fn tunnel_mtu(f: &Facts, table: &[&(Service, Vec<Dest>)]) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut seen = Vec::new();
    for (s, ds) in table {
        for d in ds.iter().filter(|d| d.is_tunnel()) {
            let Some(r) = route_to(&f.routes, d.addr) else {
                continue;
            };
            let Some(&out_mtu) = f.mtus.get(&r.dev) else {
                continue;
            };
            let in_dev = f
                .routes
                .iter()
                .find(|r| r.len == 0 && r.dst.is_ipv4() == s.addr.is_ipv4())
                .map(|r| r.dev.clone())
                .or_else(|| {
                    f.addrs
                        .iter()
                        .find(|(i, a)| *a == s.addr && i != "lo")
                        .map(|(i, _)| i.clone())
                });
            let Some(in_dev) = in_dev else { continue };
            // clients' packets: at most what that interface takes, and at
            // most Ethernet's (and the Internet's usual) 1500 bytes
            let Some(in_mtu) = f.mtus.get(&in_dev).map(|m| (*m).min(1500)) else {
                continue;
            };
            let need = in_mtu + tunnel_overhead(d);
            if need <= out_mtu || seen.contains(&(d.addr, r.dev.clone())) {
                continue;
            }
            seen.push((d.addr, r.dev.clone()));
            let pmtu = f.num("net.ipv4.vs.pmtu_disc").unwrap_or(1);
            let breaks = if pmtu != 0 {
                format!(
                    "a client's full-size packet ({in_mtu} bytes, DF set as TCP sends it) no \
                     longer fits once encapsulated: IPVS drops it and answers ICMP \
                     'fragmentation needed'; clients (or firewalls) that drop that ICMP hang \
                     on every large request"
                )
            } else {
                format!(
                    "with pmtu_disc=0 a client's full-size packet ({in_mtu} bytes) is \
                     fragmented after encapsulation, DF or not: every large packet costs the \
                     real server a reassembly, and is lost where fragments are dropped"
                )
            };
            out.push(Finding {
                name: "tunnel-mtu",
                what: format!(
                    "tunnelling real server {} of {} is reached via {} (MTU {out_mtu}); a \
                     {in_mtu}-byte packet from {in_dev} needs {need} once encapsulated",
                    ip_text(d.addr),
                    service_rule(s),
                    r.dev
                ),
                breaks,
                fix: format!(
                    "ip link set {} mtu {need} (and the same MTU on the way to the real \
                     server); or lower the MSS the real servers announce to {} (ip route \
                     change ... advmss {} on them)",
                    r.dev,
                    mss(out_mtu, d),
                    mss(out_mtu, d)
                ),
            });
        }
    }
    out
}

/// The TCP MSS that fits `mtu` less the tunnel's overhead.
fn mss(mtu: u32, d: &Dest) -> u32 {
    let hdrs = if d.addr.is_ipv4() { 40 } else { 60 };
    mtu.saturating_sub(tunnel_overhead(d) + hdrs)
}

/// A direct-routing or tunnelling real server's problems for `vip`.
pub fn real_server(f: &Facts, vip: IpAddr) -> Vec<Finding> {
    let mut out = Vec::new();
    let on: Vec<&str> = f
        .addrs
        .iter()
        .filter(|(_, a)| *a == vip)
        .map(|(i, _)| i.as_str())
        .collect();
    let v = ip_text(vip);
    if on.is_empty() {
        out.push(Finding {
            name: "vip-not-on-lo",
            what: format!("the VIP {v} is on no interface"),
            breaks: "packets the director forwards to the VIP (DR) or decapsulates (TUN) are \
                     not local here: they are dropped or routed away"
                .into(),
            fix: format!("ip addr add {} dev lo", host_prefix(vip)),
        });
    }
    for i in on.iter().filter(|i| **i != "lo") {
        out.push(Finding {
            name: "vip-on-shared-interface",
            what: format!("the VIP {v} is on {i}, not on lo"),
            breaks: "the real server answers ARP for the VIP on the LAN: clients' traffic \
                     bypasses the director"
                .into(),
            fix: format!(
                "ip addr del {} dev {i}; ip addr add {} dev lo",
                host_prefix(vip),
                host_prefix(vip)
            ),
        });
    }
    if vip.is_ipv4() {
        let lan: Vec<&String> = f
            .links
            .iter()
            .filter(|(n, up)| **up && n.as_str() != "lo" && !n.starts_with("tunl"))
            .map(|(n, _)| n)
            .collect();
        let ignore: Vec<&str> = lan
            .iter()
            .filter(|n| f.conf_max(n, "arp_ignore") < 1)
            .map(|n| n.as_str())
            .collect();
        let announce: Vec<&str> = lan
            .iter()
            .filter(|n| f.conf_max(n, "arp_announce") < 2)
            .map(|n| n.as_str())
            .collect();
        if !ignore.is_empty() || !announce.is_empty() {
            let mut what = Vec::new();
            if !ignore.is_empty() {
                what.push(format!("arp_ignore < 1 on {}", ignore.join(" ")));
            }
            if !announce.is_empty() {
                what.push(format!("arp_announce < 2 on {}", announce.join(" ")));
            }
            out.push(Finding {
                name: "arp-not-hidden",
                what: what.join(", "),
                breaks: format!(
                    "the real server answers ARP requests for {v} (or announces it): the LAN's \
                     traffic for the VIP can come here instead of the director"
                ),
                fix: "sysctl -w net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2"
                    .into(),
            });
        }
        match f.links.get("tunl0") {
            Some(false) => out.push(Finding {
                name: "tunl0-down",
                what: "tunl0 exists (ipip loaded) but is down".into(),
                breaks: "IP-in-IP packets from a tunnelling director (-i) are not \
                         decapsulated: dropped"
                    .into(),
                fix: "ip link set tunl0 up".into(),
            }),
            Some(true) if f.conf_max("tunl0", "rp_filter") == 1 => out.push(Finding {
                name: "rp-filter-on-tunl0",
                what: "strict reverse-path filtering (rp_filter=1) applies to tunl0".into(),
                breaks: "decapsulated packets arrive on tunl0 but the route back to the client \
                         is another interface: the strict filter drops them"
                    .into(),
                fix: "sysctl -w net.ipv4.conf.tunl0.rp_filter=0 net.ipv4.conf.all.rp_filter=0"
                    .into(),
            }),
            _ => {}
        }
    }
    out
}

/// The report: one block per finding, and a last line.
pub fn render(findings: &[Finding]) -> String {
    let mut s = String::new();
    for x in findings {
        s.push_str(&format!(
            "PROBLEM {}: {}\n  breaks: {}\n  fix: {}\n",
            x.name, x.what, x.breaks, x.fix
        ));
    }
    match findings.len() {
        0 => s.push_str("no problems found\n"),
        1 => s.push_str("1 problem found\n"),
        n => s.push_str(&format!("{n} problems found\n")),
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(line: &str) -> (Service, Dest) {
        let w: Vec<String> = line.split(' ').map(String::from).collect();
        match crate::cli::parse(&w) {
            Ok(crate::cli::Outcome::Run(p)) => (p.svc, p.dest),
            _ => panic!("{line}"),
        }
    }

    fn facts() -> Facts {
        let mut f = Facts::default();
        f.links.insert("lo".into(), true);
        f.links.insert("eth0".into(), true);
        f.addrs.push(("eth0".into(), "192.0.2.2".parse().unwrap()));
        f.addrs.push(("lo".into(), "192.0.2.10".parse().unwrap()));
        f.sysctls.insert("net.ipv4.ip_forward".into(), "1".into());
        f
    }

    fn names(v: &[Finding]) -> Vec<&'static str> {
        v.iter().map(|x| x.name).collect()
    }

    #[test]
    fn director_traps_and_a_clean_control() {
        let mut f = facts();
        let (s, mut d) = svc("-a -t 192.0.2.10:80 -r 198.51.100.1:80 -m");
        d.weight = 1;
        f.table.push((s.clone(), vec![d.clone()]));
        assert_eq!(director(&f, &[]), []);
        assert_eq!(render(&[]), "no problems found\n");
        f.sysctls.insert("net.ipv4.ip_forward".into(), "0".into());
        assert_eq!(names(&director(&f, &[])), ["nat-without-forwarding"]);
        // another VIP asked for: not this service's problem
        assert_eq!(director(&f, &["192.0.2.99".parse().unwrap()]), []);
        f.sysctls.insert("net.ipv4.ip_forward".into(), "1".into());
        let (mut s2, _) = svc("-A -u 192.0.2.53:53 -s sh -p 60");
        s2.sched_name = "sh".into();
        f.table.push((s2, vec![]));
        let mut d0 = d.clone();
        d0.weight = 0;
        f.table[0].1.push(Dest { port: 81, ..d0 });
        f.daemons.push(Daemon {
            role: DaemonRole::Master,
            mcast_ifn: "eth9".into(),
            ..Daemon::default()
        });
        let r = director(&f, &[]);
        assert_eq!(
            names(&r),
            [
                "vip-not-on-director",
                "persistence-with-hashing",
                "weight-0-idle",
                "sync-daemon-interface-missing"
            ]
        );
        assert_eq!(r[0].fix, "ip addr add 192.0.2.53/32 dev lo");
        assert!(render(&r).ends_with("4 problems found\n"));
    }

    #[test]
    fn real_server_traps_and_a_clean_control() {
        let vip: IpAddr = "192.0.2.10".parse().unwrap();
        let mut f = facts();
        f.sysctls
            .insert("net.ipv4.conf.all.arp_ignore".into(), "1".into());
        f.sysctls
            .insert("net.ipv4.conf.all.arp_announce".into(), "2".into());
        assert_eq!(real_server(&f, vip), []);
        f.sysctls
            .insert("net.ipv4.conf.all.arp_ignore".into(), "0".into());
        f.sysctls
            .insert("net.ipv4.conf.eth0.arp_ignore".into(), "1".into());
        assert_eq!(real_server(&f, vip), []);
        f.sysctls
            .insert("net.ipv4.conf.eth0.arp_ignore".into(), "0".into());
        assert_eq!(names(&real_server(&f, vip)), ["arp-not-hidden"]);
        f.sysctls
            .insert("net.ipv4.conf.all.arp_ignore".into(), "1".into());
        f.links.insert("tunl0".into(), false);
        assert_eq!(names(&real_server(&f, vip)), ["tunl0-down"]);
        f.links.insert("tunl0".into(), true);
        f.sysctls
            .insert("net.ipv4.conf.tunl0.rp_filter".into(), "1".into());
        assert_eq!(names(&real_server(&f, vip)), ["rp-filter-on-tunl0"]);
        f.sysctls
            .insert("net.ipv4.conf.tunl0.rp_filter".into(), "0".into());
        f.addrs.retain(|(_, a)| *a != vip);
        assert_eq!(names(&real_server(&f, vip)), ["vip-not-on-lo"]);
        f.addrs.push(("eth0".into(), vip));
        assert_eq!(names(&real_server(&f, vip)), ["vip-on-shared-interface"]);
    }

    const ROUTE_V4: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
eth0\t00000000\tFE6433C6\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
eth0\t006433C6\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
eth1\t007100CB\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";

    const ROUTE_V6: &str = "\
20010db8000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db8000000000000000000000001 00000400 00000003 00000000 00000003     eth0
20010db8000000000000000000000005 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo
ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
";

    fn route(dst: &str, len: u8, gw: Option<&str>, dev: &str) -> Route {
        Route {
            dst: dst.parse().unwrap(),
            len,
            gateway: gw.map(|g| g.parse().unwrap()),
            dev: dev.into(),
            metric: 0,
        }
    }

    #[test]
    fn routes_are_parsed_and_looked_up() {
        let v4 = parse_routes_v4(ROUTE_V4);
        assert_eq!(
            v4,
            [
                route("0.0.0.0", 0, Some("198.51.100.254"), "eth0"),
                route("198.51.100.0", 24, None, "eth0"),
            ]
        );
        let v6 = parse_routes_v6(ROUTE_V6);
        assert_eq!(
            v6,
            [
                Route {
                    metric: 256,
                    ..route("2001:db8::", 64, None, "eth0")
                },
                Route {
                    metric: 1024,
                    ..route("::", 0, Some("2001:db8::1"), "eth0")
                },
            ]
        );
        let near = route_to(&v4, "198.51.100.7".parse().unwrap()).unwrap();
        assert_eq!(near.len, 24);
        let far = route_to(&v4, "203.0.113.9".parse().unwrap()).unwrap();
        assert_eq!(far.len, 0);
        assert_eq!(route_to(&v4, "2001:db8::9".parse().unwrap()), None);
        assert_eq!(
            route_to(&v6, "2001:db8::9".parse().unwrap()).unwrap().len,
            64
        );
        assert_eq!(parse_routes_v4("header\ngarbage line\n"), []);
        assert_eq!(kernel_version("5.8.0-63-generic"), Some((5, 8)));
        assert_eq!(kernel_version("6.12.9+bpo-amd64"), Some((6, 12)));
        assert_eq!(kernel_version(""), None);
    }

    /// A NAT director (198.51.100.1 on the real servers' side) and a real
    /// server 198.51.100.11 in the namespace `nrs`.
    fn nat_facts(gw: Option<&str>) -> Facts {
        let mut f = facts();
        f.addrs
            .push(("int".into(), "198.51.100.1".parse().unwrap()));
        let (s, mut d) = svc("-a -t 192.0.2.10:80 -r 198.51.100.11:80 -m");
        d.weight = 1;
        d.active_conns = 1;
        f.table.push((s, vec![d]));
        let mut routes = vec![route("198.51.100.0", 24, None, "eth0")];
        if let Some(g) = gw {
            routes.push(route("0.0.0.0", 0, Some(g), "eth0"));
        }
        f.netns.push(Netns {
            name: "other".into(),
            addrs: vec![("eth0".into(), "198.51.100.99".parse().unwrap())],
            routes: vec![],
        });
        f.netns.push(Netns {
            name: "nrs".into(),
            addrs: vec![("eth0".into(), "198.51.100.11".parse().unwrap())],
            routes,
        });
        f
    }

    #[test]
    fn nat_real_servers_route_through_the_director() {
        // the control: the default route is via the director
        assert_eq!(director(&nat_facts(Some("198.51.100.1")), &[]), []);
        // via another router
        let r = director(&nat_facts(Some("198.51.100.254")), &[]);
        assert_eq!(names(&r), ["nat-route-bypasses-director"]);
        assert!(
            r[0].what
                .contains("198.51.100.11 of -t 192.0.2.10:80 (namespace nrs)"),
            "{}",
            r[0].what
        );
        assert!(r[0].what.contains("is via 198.51.100.254 (dev eth0)"));
        assert_eq!(r[0].fix, "ip -n nrs route replace default via 198.51.100.1");
        // two default routes: the one with the lower metric counts
        let mut f = nat_facts(Some("198.51.100.1"));
        f.netns[1].routes.push(Route {
            metric: 0,
            ..route("0.0.0.0", 0, Some("198.51.100.254"), "eth0")
        });
        f.netns[1].routes[1].metric = 100;
        assert_eq!(names(&director(&f, &[])), ["nat-route-bypasses-director"]);
        f.netns[1].routes[2].metric = 200;
        assert_eq!(director(&f, &[]), []);
        // the default route is right, but a client of a current connection
        // is on the real server's own network: replies go to it directly
        let mut f = nat_facts(Some("198.51.100.1"));
        f.clients.push((
            "198.51.100.11".parse().unwrap(),
            "203.0.113.7".parse().unwrap(),
        ));
        assert_eq!(director(&f, &[]), []);
        f.clients.push((
            "198.51.100.11".parse().unwrap(),
            "198.51.100.50".parse().unwrap(),
        ));
        // the director itself as a client is right
        f.clients.push((
            "198.51.100.11".parse().unwrap(),
            "198.51.100.1".parse().unwrap(),
        ));
        let r = director(&f, &[]);
        assert_eq!(names(&r), ["nat-route-bypasses-director"]);
        assert!(
            r[0].what.contains("its route to the client 198.51.100.50 of a current connection is direct (dev eth0, 198.51.100.0/24)"),
            "{}",
            r[0].what
        );
        assert!(!r[0].what.contains("more clients"));
        assert!(
            r[0].fix
                .starts_with("ip -n nrs route add 198.51.100.50/32 via 198.51.100.1   ("),
            "{}",
            r[0].fix
        );
        // no default route at all
        let r = director(&nat_facts(None), &[]);
        assert!(r[0].what.contains("its default route is missing"));
        // the real server found nowhere: nothing to say
        let mut f = nat_facts(Some("198.51.100.254"));
        f.netns.retain(|n| n.name != "nrs");
        assert_eq!(director(&f, &[]), []);
        // a direct-routing real server's route is not the director's business
        let mut f = nat_facts(Some("198.51.100.254"));
        f.table[0].1[0].forward = Forward::Route;
        assert_eq!(director(&f, &[]), []);
    }

    #[test]
    fn conn_reuse_mode_by_kernel_version() {
        let with = |kernel: &str, mode: &str, ct: &str| {
            let mut f = nat_facts(Some("198.51.100.1"));
            f.kernel = kernel.into();
            f.sysctls
                .insert("net.ipv4.vs.conn_reuse_mode".into(), mode.into());
            f.sysctls.insert("net.ipv4.vs.conntrack".into(), ct.into());
            names(&director(&f, &[]))
        };
        assert_eq!(
            with("5.4.0-150-generic", "1", "1"),
            ["conn-reuse-syn-delay"]
        );
        assert_eq!(with("4.19.0-26-amd64", "2", "1"), ["conn-reuse-syn-delay"]);
        // controls: no conntrack, the workaround, a fixed kernel
        assert!(with("5.4.0-150-generic", "1", "0").is_empty());
        assert!(with("5.4.0-150-generic", "0", "1").is_empty());
        assert!(with("5.9.0", "1", "1").is_empty());
        assert!(with("6.1.0-18-amd64", "1", "1").is_empty());
        // the workaround left on a kernel that does not need it
        assert_eq!(with("6.1.0-18-amd64", "0", "1"), ["conn-reuse-off"]);
        assert_eq!(with("5.10.0", "0", "0"), ["conn-reuse-off"]);
        // an unknown kernel: nothing said
        assert!(with("", "0", "1").is_empty());
    }

    #[test]
    fn tunnel_mtu_leaves_room_for_the_encapsulation() {
        let at = |lan: u32, gre: bool, pmtu: &str| {
            let mut f = facts();
            f.routes = vec![
                route("0.0.0.0", 0, Some("192.0.2.1"), "eth0"),
                route("198.51.100.0", 24, None, "eth1"),
            ];
            f.mtus.insert("eth0".into(), 1500);
            f.mtus.insert("eth1".into(), lan);
            f.sysctls
                .insert("net.ipv4.vs.pmtu_disc".into(), pmtu.into());
            let (s, mut d) = svc("-a -t 192.0.2.10:80 -r 198.51.100.5:80 -i");
            if gre {
                d.tun_type = TunnelType::Gre;
            }
            f.table.push((s, vec![d]));
            director(&f, &[])
        };
        let r = at(1500, false, "1");
        assert_eq!(names(&r), ["tunnel-mtu"]);
        assert!(
            r[0].what
                .contains("via eth1 (MTU 1500); a 1500-byte packet from eth0 needs 1520"),
            "{}",
            r[0].what
        );
        assert!(r[0].breaks.contains("fragmentation needed"));
        assert!(r[0].fix.starts_with("ip link set eth1 mtu 1520"));
        assert!(r[0].fix.contains("advmss 1440"), "{}", r[0].fix);
        assert!(at(1500, false, "0")[0].breaks.contains("pmtu_disc=0"));
        // the controls: room for IP-in-IP, and then not for GRE
        assert_eq!(at(1520, false, "1"), []);
        // a one-armed director: the clients' packets are taken as 1500 bytes
        let mut one = facts();
        one.routes = vec![route("192.0.2.0", 24, None, "eth0")];
        one.addrs
            .push(("eth0".into(), "192.0.2.10".parse().unwrap()));
        one.mtus.insert("eth0".into(), 1500);
        let (s, d) = svc("-a -t 192.0.2.10:80 -r 192.0.2.11:80 -i");
        one.table.push((s, vec![d]));
        assert_eq!(names(&director(&one, &[])), ["tunnel-mtu"]);
        one.mtus.insert("eth0".into(), 1520);
        assert_eq!(director(&one, &[]), []);
        assert_eq!(names(&at(1520, true, "1")), ["tunnel-mtu"]);
        assert_eq!(at(1524, true, "1"), []);
    }
}
