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
    /// `net.ipv4.conf.IF.arp_ignore`, ...); a missing one is absent.
    pub sysctls: BTreeMap<String, String>,
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
}
