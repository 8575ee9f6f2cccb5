//! Address, port and netmask parsing with ipvsadm's rules (docs/compatibility.md §4).

use lvs::model::*;
use lvs::resolve;
use std::net::Ipv6Addr;

/// ipvsadm's `parse_service`: parse `host[:port]` / `[v6]:port` into the
/// address fields of `svc`, resolving names (IPv4 only) and service names by
/// `svc.protocol`.
///
/// Returns `None` when the text is not an address (ipvsadm's
/// `SERVICE_NONE`), `Some(false)` for an address without a port and
/// `Some(true)` for an address with a port.
pub fn parse_service(text: &str, svc: &mut Service) -> Option<bool> {
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // `host` is the address part, `port` the text after the separating colon.
    let mut host: &str = text;
    let mut port: Option<&str> = None;
    if let Some(inner) = text.strip_prefix('[') {
        let close = inner.find(']')?;
        let after = &inner[close + 1..];
        if !after.starts_with(':') {
            return None;
        }
        host = &inner[..close];
        port = Some(&after[1..]);
    }
    if let Ok(v6) = host.parse::<Ipv6Addr>() {
        svc.addr = v6.into();
        svc.family = Family::Inet6;
        svc.netmask = Netmask::Prefix(128);
    } else {
        // The colon search restarts inside the (possibly bracketed) host:
        // for `[name]:80` it finds none and the port is lost, as in ipvsadm.
        port = None;
        if let Some(i) = host.rfind(':') {
            port = Some(&host[i + 1..]);
            host = &host[..i];
        }
        let v4 = resolve::inet_aton(host).or_else(|| resolve::host_v4(host))?;
        svc.addr = v4.into();
        svc.family = Family::Inet;
    }
    match port {
        None => Some(false),
        Some(p) => {
            let n = match super::string_to_number(p, 0, 65535) {
                Some(n) => n as u16,
                None => resolve::service_port(p, svc.protocol)?,
            };
            svc.port = n;
            Some(true)
        }
    }
}

/// ipvsadm's IPv4 `-M` parsing: anything `inet_aton` takes, else a host name.
/// Returns the mask as a host-order integer.
pub fn parse_netmask(text: &str) -> Option<Netmask> {
    let a = resolve::inet_aton(text).or_else(|| resolve::host_v4(text))?;
    Some(Netmask::Mask(a))
}

pub use lvs::cnum::atoi;

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(proto: Protocol) -> Service {
        let mut s = Service::new(Family::Inet);
        s.protocol = proto;
        s
    }

    #[test]
    fn ipv4_with_and_without_port() {
        let mut s = svc(Protocol::Tcp);
        assert_eq!(parse_service("192.0.2.1:80", &mut s), Some(true));
        assert_eq!(
            (s.family, s.addr, s.port),
            (Family::Inet, "192.0.2.1".parse().unwrap(), 80)
        );
        let mut s = svc(Protocol::Tcp);
        assert_eq!(parse_service("192.0.2.1", &mut s), Some(false));
        assert_eq!(s.port, 0);
    }

    #[test]
    fn ipv6_forms() {
        let mut s = svc(Protocol::Tcp);
        assert_eq!(parse_service("[2001:db8::1]:443", &mut s), Some(true));
        assert_eq!(
            (s.family, s.port, s.netmask),
            (Family::Inet6, 443, Netmask::Prefix(128))
        );
        // An unbracketed IPv6 literal has no port.
        let mut s = svc(Protocol::Tcp);
        assert_eq!(parse_service("2001:db8::1:80", &mut s), Some(false));
        assert_eq!(s.addr.to_string(), "2001:db8::1:80");
        for bad in [
            "[2001:db8::1]",
            "[2001:db8::1]:",
            "[2001:db8::1:85",
            "12345",
            "",
            "300.1.1.1:80",
        ] {
            let mut s = svc(Protocol::Tcp);
            assert_eq!(parse_service(bad, &mut s), None, "{bad}");
        }
    }

    #[test]
    fn port_range() {
        for bad in ["192.0.2.1:99999", "192.0.2.1:-1", "192.0.2.1:"] {
            let mut s = svc(Protocol::Tcp);
            assert_eq!(parse_service(bad, &mut s), None, "{bad}");
        }
    }

    #[test]
    fn atoi_like_c() {
        assert_eq!(atoi("64x"), 64);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi(" -3"), -3);
    }
}
