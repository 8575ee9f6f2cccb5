//! `/proc/net/ip_vs`: the kernel's text table of every service with its
//! destinations, read in one go.
//!
//! The generic-netlink API has no dump of all destinations: a listing needs
//! one `GET_DEST` dump per service, and with thousands of services the
//! kernel's per-dump work dominates. The proc table carries, for every
//! address-based service, exactly the destination fields the default listing
//! and most save lines print (address, port, forwarding method, weight,
//! active and inactive connections), so `-L`/`-S` in the default format take
//! destinations from here and ask netlink only for what the table lacks
//! (a fwmark service whose mark an IPv4 and an IPv6 service share, as the
//! table does not show a fwmark service's family, and tunnel destinations
//! in `-S`, whose tunnel type it does not show).
//!
//! The parser is pure: text in, typed destinations out.

use crate::model::*;
use std::collections::HashMap;
use std::net::Ipv6Addr;

/// Key of a service: (protocol, address family, address, port) for an
/// address-based one; (`Other(0)`, IPv4, the mark in the first four bytes,
/// 0) for a fwmark service, whose family the table does not show.
type ProcKey = (Protocol, Family, RawAddr, u16);

/// Destinations per service, in the kernel's list order.
#[derive(Debug, Default)]
pub struct ProcTable {
    services: HashMap<ProcKey, Vec<Dest>>,
    /// Marks listed more than once (an IPv4 and an IPv6 fwmark service):
    /// which destinations belong to which is unknown, so neither is served.
    shared_marks: Vec<u32>,
}

fn fwmark_key(mark: u32) -> ProcKey {
    let mut raw = [0u8; 16];
    raw[..4].copy_from_slice(&mark.to_be_bytes());
    (Protocol::Other(0), Family::Inet, raw, 0)
}

impl ProcTable {
    /// How many services the table holds (those it understood completely).
    pub fn len(&self) -> usize {
        self.services.len()
    }

    /// True when the table holds no service.
    pub fn is_empty(&self) -> bool {
        self.services.is_empty()
    }

    /// The destinations of the service `key` names, if the table has it.
    pub fn dests(&self, key: &ServiceKey) -> Option<&Vec<Dest>> {
        match *key {
            ServiceKey::Fwmark { mark, .. } => {
                if self.shared_marks.contains(&mark) {
                    return None;
                }
                self.services.get(&fwmark_key(mark))
            }
            ServiceKey::Addr { protocol, addr } => self.services.get(&(
                protocol,
                Family::of(&addr.ip()),
                raw_from_ip(addr.ip()),
                addr.port(),
            )),
        }
    }
}

/// Read `/proc/net/ip_vs` of the current network namespace.
pub fn read() -> Option<ProcTable> {
    let text = std::fs::read_to_string("/proc/net/ip_vs").ok()?;
    Some(parse(&text))
}

fn proto_number(name: &str) -> Option<Protocol> {
    Protocol::from_label(name)
}

fn fwd_number(name: &str) -> Option<Forward> {
    Forward::from_label(name)
}

/// `HHHHHHHH:PPPP` (IPv4, host-order hex) or `[v6]:PPPP`.
fn parse_addr_port(s: &str) -> Option<(Family, RawAddr, u16)> {
    let (addr, port) = s.rsplit_once(':')?;
    let port = u16::from_str_radix(port, 16).ok()?;
    let mut raw = [0u8; 16];
    if let Some(v6) = addr.strip_prefix('[').and_then(|a| a.strip_suffix(']')) {
        raw = v6.parse::<Ipv6Addr>().ok()?.octets();
        Some((Family::Inet6, raw, port))
    } else {
        if addr.len() != 8 {
            return None;
        }
        let v = u32::from_str_radix(addr, 16).ok()?;
        raw[..4].copy_from_slice(&v.to_be_bytes());
        Some((Family::Inet, raw, port))
    }
}

/// Parse the table. Services whose lines cannot be understood completely
/// are left out (the caller then asks netlink for them); so are marks that
/// two fwmark services share.
pub fn parse(text: &str) -> ProcTable {
    let mut table = ProcTable::default();
    // The service being filled, or None while skipping one.
    let mut current: Option<(ProcKey, Vec<Dest>)> = None;
    let mut skipping = false;
    let finish = |cur: &mut Option<(ProcKey, Vec<Dest>)>, table: &mut ProcTable| {
        if let Some((k, d)) = cur.take() {
            if table.services.insert(k, d).is_some() {
                // Only a fwmark key can repeat.
                table
                    .shared_marks
                    .push(u32::from_be_bytes([k.2[0], k.2[1], k.2[2], k.2[3]]));
            }
        }
    };
    for line in text.lines().skip(3) {
        if let Some(rest) = line.strip_prefix("  -> ") {
            if skipping {
                continue;
            }
            let Some((_, dests)) = current.as_mut() else {
                continue;
            };
            let mut f = rest.split_ascii_whitespace();
            let parsed = (|| {
                let (af, addr, port) = parse_addr_port(f.next()?)?;
                let fwd = fwd_number(f.next()?)?;
                let weight: i32 = f.next()?.parse().ok()?;
                let active: i32 = f.next()?.parse().ok()?;
                let inact: i32 = f.next()?.parse().ok()?;
                let mut d = Dest::new(af);
                d.addr = ip_from_raw(af, &addr);
                d.port = port;
                d.forward = fwd;
                d.weight = weight;
                d.active_conns = active as u32;
                d.inact_conns = inact as u32;
                Some(d)
            })();
            match parsed {
                Some(d) => dests.push(d),
                None => {
                    // Not understood: drop the service, netlink will be asked.
                    current = None;
                    skipping = true;
                }
            }
            continue;
        }
        finish(&mut current, &mut table);
        skipping = true;
        let mut f = line.split_ascii_whitespace();
        let (Some(proto), Some(addr)) = (f.next(), f.next()) else {
            continue;
        };
        if proto == "FWM" {
            if let Ok(mark) = u32::from_str_radix(addr, 16) {
                skipping = false;
                current = Some((fwmark_key(mark), Vec::new()));
            }
            continue;
        }
        let (Some(protocol), Some((af, raw, port))) = (proto_number(proto), parse_addr_port(addr))
        else {
            continue;
        };
        skipping = false;
        current = Some(((protocol, af, raw, port), Vec::new()));
    }
    finish(&mut current, &mut table);
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = concat!(
        "IP Virtual Server version 1.2.1 (size=4096)\n",
        "Prot LocalAddress:Port Scheduler Flags\n",
        "  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n",
        "TCP  C0000201:0050 rr \n",
        "  -> [2001:0db8:0000:0000:0000:0000:0000:0012]:0050      Tunnel  1      0          0         \n",
        "  -> C6336402:1F90      Masq    5      2          3         \n",
        "UDP  C0000201:0035 wrr ops \n",
        "  -> C6336401:14E9      Masq    1      0          0         \n",
        "TCP  [2001:0db8:0000:0000:0000:0000:0000:0001]:0050 wlc \n",
        "  -> C6336409:0050      Tunnel  1      0          0         \n",
        "TCP  C0000202:0000 wlc persistent 360 FFFFFFFF\n",
        "FWM  00000001 rr \n",
        "  -> C6336401:0000      Masq    1      0          0         \n",
        "TCP  C0000203:0050 rr \n",
        "  -> C6336401:0050      Weird   1      0          0         \n",
    );

    fn key(proto: Protocol, ip: &str, port: u16) -> Service {
        let mut s = Service::new(Family::Inet);
        s.protocol = proto;
        let ip: std::net::IpAddr = ip.parse().unwrap();
        s.family = if ip.is_ipv6() {
            Family::Inet6
        } else {
            Family::Inet
        };
        s.addr = ip;
        s.port = port;
        s
    }

    #[test]
    fn parses_services_and_dests() {
        let t = parse(SAMPLE);
        let d = t.dests(&key(Protocol::Tcp, "192.0.2.1", 80).key()).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].family, Family::Inet6);
        assert_eq!(d[0].addr.to_string(), "2001:db8::12");
        assert_eq!((d[0].forward, d[0].weight), (Forward::Tunnel, 1));
        assert_eq!(d[1].addr.to_string(), "198.51.100.2");
        assert_eq!(
            (d[1].port, d[1].forward, d[1].weight),
            (8080, Forward::Masq, 5)
        );
        assert_eq!((d[1].active_conns, d[1].inact_conns), (2, 3));
        let d = t.dests(&key(Protocol::Udp, "192.0.2.1", 53).key()).unwrap();
        assert_eq!(d[0].port, 5353);
        let d = t
            .dests(&key(Protocol::Tcp, "2001:db8::1", 80).key())
            .unwrap();
        assert_eq!(d[0].addr.to_string(), "198.51.100.9");
        assert!(t
            .dests(&key(Protocol::Tcp, "192.0.2.2", 0).key())
            .unwrap()
            .is_empty());
    }

    #[test]
    fn fwmark_services_by_mark() {
        let t = parse(SAMPLE);
        for af in [Family::Inet, Family::Inet6] {
            let mut fwm = Service::new(af);
            fwm.fwmark = 1;
            let d = t.dests(&fwm.key()).unwrap();
            assert_eq!(d.len(), 1);
            assert_eq!(d[0].addr.to_string(), "198.51.100.1");
        }
        // A mark listed twice (IPv4 and IPv6 service): left to netlink.
        let t = parse(&format!(
            "{SAMPLE}FWM  00000001 wlc \n  -> [2001:0db8:0000:0000:0000:0000:0000:0001]:0000      Masq    1      0          0         \n"
        ));
        let mut fwm = Service::new(Family::Inet);
        fwm.fwmark = 1;
        assert!(t.dests(&fwm.key()).is_none());
        fwm.fwmark = 2;
        assert!(t.dests(&fwm.key()).is_none());
    }

    #[test]
    fn unknown_lines_are_left_to_netlink() {
        let t = parse(SAMPLE);
        assert!(t
            .dests(&key(Protocol::Tcp, "192.0.2.3", 80).key())
            .is_none());
        assert!(t
            .dests(&key(Protocol::Tcp, "192.0.2.9", 80).key())
            .is_none());
    }
}
