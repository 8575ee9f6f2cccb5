//! `lvsadm --doctor [VIP...]` (a director) and `lvsadm --doctor
//! --real-server VIP` (a direct-routing or tunnelling real server): read
//! the table, the sync daemons, the interfaces, their addresses and the
//! sysctls that matter, and report what [`crate::doctor`] finds. Changes
//! nothing; exit status 0 when nothing is wrong, 1 with problems, 2 for a
//! bad command line.

use super::ctx::Ctx;
use crate::cli::popt::Walker;
use crate::doctor::{self, Facts};
use std::io::Write;
use std::net::IpAddr;

/// A `--doctor` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoctorArgs {
    /// `--real-server VIP`: check this host as a real server of VIP.
    pub real_server: Option<IpAddr>,
    /// The VIPs to look at (all when empty).
    pub vips: Vec<IpAddr>,
}

fn ip(word: &str) -> Result<IpAddr, String> {
    word.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .map_err(|_| format!("--doctor: `{word}' is not an IP address"))
}

/// The `--doctor` command in `args`, if it is one.
pub fn parse(args: &[String]) -> Option<Result<DoctorArgs, String>> {
    let mut w = Walker::new(args);
    let (mut doctor, mut rs, mut bad, mut others) = (false, None, None, Vec::new());
    while let Some(ev) = w.next_opt() {
        match ev {
            Ok(e) if e.id == "doctor" => doctor = true,
            Ok(e) if e.id == "real-server" => rs = e.value,
            Ok(e) => others.push(e.id),
            Err(e) => {
                bad = Some(e.to_string());
                break;
            }
        }
    }
    if !doctor {
        return None;
    }
    if let Some(b) = bad {
        return Some(Err(b));
    }
    if let Some(o) = others.first() {
        return Some(Err(format!(
            "--doctor takes only VIPs, or --real-server VIP (not --{o})"
        )));
    }
    let mut vips = Vec::new();
    while let Some(a) = w.next_arg() {
        match ip(&a) {
            Ok(v) => vips.push(v),
            Err(e) => return Some(Err(e)),
        }
    }
    let real_server = match rs.as_deref().map(ip) {
        None => None,
        Some(Ok(v)) => Some(v),
        Some(Err(e)) => return Some(Err(e)),
    };
    if real_server.is_some() && !vips.is_empty() {
        return Some(Err("--doctor --real-server takes one VIP".into()));
    }
    Some(Ok(DoctorArgs { real_server, vips }))
}

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The interfaces, addresses and sysctls of this namespace.
fn network(f: &mut Facts) {
    if let Ok(list) = nix::ifaddrs::getifaddrs() {
        for ifa in list {
            let up = ifa.flags.contains(nix::net::if_::InterfaceFlags::IFF_UP);
            f.links.insert(ifa.interface_name.clone(), up);
            let Some(a) = ifa.address else { continue };
            let ip = if let Some(v4) = a.as_sockaddr_in() {
                IpAddr::V4(v4.ip())
            } else if let Some(v6) = a.as_sockaddr_in6() {
                IpAddr::V6(v6.ip())
            } else {
                continue;
            };
            f.addrs.push((ifa.interface_name.clone(), ip));
        }
    }
    let mut names = vec![
        "net.ipv4.ip_forward".to_string(),
        "net.ipv6.conf.all.forwarding".to_string(),
        "net.ipv4.vs.conn_reuse_mode".to_string(),
        "net.ipv4.vs.conntrack".to_string(),
        "net.ipv4.vs.pmtu_disc".to_string(),
    ];
    let ifaces: Vec<String> = std::iter::once("all".to_string())
        .chain(f.links.keys().cloned())
        .collect();
    for i in &ifaces {
        for k in ["arp_ignore", "arp_announce", "rp_filter"] {
            names.push(format!("net.ipv4.conf.{i}.{k}"));
        }
    }
    for n in names {
        let path = format!("/proc/sys/{}", n.replace('.', "/"));
        if let Some(v) = read(&path) {
            f.sysctls.insert(n, v);
        }
    }
    // what `uname -r` prints
    f.kernel = read("/proc/sys/kernel/osrelease").unwrap_or_default();
    f.routes = routes();
    // /sys/class/net shows the namespace sysfs was mounted in, which need
    // not be this thread's (`--netns` does not remount it): an MTU is
    // taken only when the interface's index there is the one this
    // namespace gives its name
    for name in f.links.keys() {
        let dir = format!("/sys/class/net/{name}");
        let index = read(&format!("{dir}/ifindex")).and_then(|v| v.parse::<u32>().ok());
        let here = nix::net::if_::if_nametoindex(name.as_str()).ok();
        if index.is_some() && index == here {
            if let Some(m) = read(&format!("{dir}/mtu")).and_then(|v| v.parse().ok()) {
                f.mtus.insert(name.clone(), m);
            }
        }
    }
}

/// The calling thread's namespace's routes (main table).
fn routes() -> Vec<doctor::Route> {
    let mut r = doctor::parse_routes_v4(&read("/proc/thread-self/net/route").unwrap_or_default());
    r.extend(doctor::parse_routes_v6(
        &read("/proc/thread-self/net/ipv6_route").unwrap_or_default(),
    ));
    r
}

/// The addresses of the calling thread's namespace.
fn addresses() -> Vec<(String, IpAddr)> {
    let mut out = Vec::new();
    if let Ok(list) = nix::ifaddrs::getifaddrs() {
        for ifa in list {
            let Some(a) = ifa.address else { continue };
            if let Some(v4) = a.as_sockaddr_in() {
                out.push((ifa.interface_name.clone(), IpAddr::V4(v4.ip())));
            } else if let Some(v6) = a.as_sockaddr_in6() {
                out.push((ifa.interface_name.clone(), IpAddr::V6(v6.ip())));
            }
        }
    }
    out
}

/// The (real server, client) address pairs of the connection table, each
/// once, at most 4096 of them; none when the table cannot be read.
fn clients(ctx: &mut Ctx) -> Vec<(IpAddr, IpAddr)> {
    use lvs::kernel::ProcTable;
    let path = std::path::Path::new(ProcTable::Connections.path());
    let Some(conns) = ctx
        .kernel
        .read_proc(ProcTable::Connections)
        .ok()
        .and_then(|data| crate::format::read_connections(&data, path).ok())
    else {
        return Vec::new();
    };
    let ip = |af: lvs::model::Family, raw: &[u8; 16]| match af {
        lvs::model::Family::Inet6 => IpAddr::V6(std::net::Ipv6Addr::from(*raw)),
        _ => IpAddr::V4(std::net::Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3])),
    };
    let mut seen = std::collections::BTreeSet::new();
    for c in conns {
        seen.insert((ip(c.family, &c.dest), ip(c.family, &c.client)));
        if seen.len() >= 4096 {
            break;
        }
    }
    seen.into_iter().collect()
}

/// The other namespaces of `/run/netns` (not this one): their addresses
/// and routes, read from a thread moved there; nothing is changed. One
/// that cannot be entered is left out.
fn other_namespaces() -> Vec<doctor::Netns> {
    use std::os::unix::fs::MetadataExt;
    let here = std::fs::metadata("/proc/thread-self/ns/net")
        .ok()
        .map(|m| (m.dev(), m.ino()));
    let Ok(dir) = std::fs::read_dir(lvs::netns::NETNS_RUN_DIR) else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut out = Vec::new();
    for name in names {
        let path = lvs::netns::path_of(&name);
        let id = std::fs::metadata(&path).ok().map(|m| (m.dev(), m.ino()));
        if id.is_none() || id == here {
            continue;
        }
        if let Ok((addrs, routes)) = lvs::sysctl::in_netns(&path, || (addresses(), routes())) {
            out.push(doctor::Netns {
                name,
                addrs,
                routes,
            });
        }
    }
    out
}

/// `--doctor --real-server VIP` (and `--doctor` mistakes) before IPVS is
/// opened: a real server need not have the `ip_vs` module, and the doctor
/// must not load it. `None` for every other command line.
pub fn early(program: &str, args: &[String]) -> Option<i32> {
    let a = match parse(args)? {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{program}: {msg}");
            return Some(2);
        }
    };
    let vip = a.real_server?;
    let mut f = Facts::default();
    network(&mut f);
    let findings = doctor::real_server(&f, vip);
    print!("{}", doctor::render(&findings));
    Some(if findings.is_empty() { 0 } else { 1 })
}

/// Run `args` if it is a `--doctor` command line; `None` otherwise.
pub fn dispatch<W: Write>(ctx: &mut Ctx, args: &[String], out: &mut W) -> Option<i32> {
    let a = match parse(args)? {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{}: {msg}", ctx.program);
            return Some(2);
        }
    };
    let mut f = Facts::default();
    network(&mut f);
    let findings = match a.real_server {
        Some(vip) => doctor::real_server(&f, vip),
        None => {
            let services = match ctx.kernel.services() {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{}: --doctor: reading the table: {e}", ctx.program);
                    return Some(1);
                }
            };
            let dests = match ctx
                .kernel
                .dests_many(&services.iter().map(|s| s.key()).collect::<Vec<_>>())
            {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("{}: --doctor: reading the table: {e}", ctx.program);
                    return Some(1);
                }
            };
            f.table = services.into_iter().zip(dests).collect();
            let nat = f.table.iter().any(|(_, ds)| {
                ds.iter()
                    .any(|d| d.forward.method() == lvs::model::Forward::Masq)
            });
            if nat {
                f.netns = other_namespaces();
                f.clients = clients(ctx);
            }
            f.daemons = ctx.kernel.daemons().unwrap_or_default();
            doctor::director(&f, &a.vips)
        }
    };
    let _ = out.write_all(doctor::render(&findings).as_bytes());
    Some(if findings.is_empty() { 0 } else { 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn command_lines() {
        assert_eq!(parse(&words("-L -n")), None);
        assert_eq!(
            parse(&words("--doctor 192.0.2.1 2001:db8::1")),
            Some(Ok(DoctorArgs {
                real_server: None,
                vips: vec!["192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap()]
            }))
        );
        assert_eq!(
            parse(&words("--doctor --real-server 192.0.2.1")),
            Some(Ok(DoctorArgs {
                real_server: Some("192.0.2.1".parse().unwrap()),
                vips: vec![]
            }))
        );
        for bad in [
            "--doctor nonsense",
            "--doctor -n",
            "--doctor --real-server x",
            "--doctor --real-server 192.0.2.1 192.0.2.2",
        ] {
            assert!(matches!(parse(&words(bad)), Some(Err(_))), "{bad}");
        }
    }
}
