//! glibc's `inet_ntop`: the address text ipvsadm prints (the standard
//! library's IPv6 text differs for IPv4-compatible addresses).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// glibc `inet_ntop(AF_INET6)`: the longest run (first one on ties) of two
/// or more zero words becomes `::`; `::a.b.c.d` and `::ffff:a.b.c.d` keep the
/// dotted IPv4 tail.
pub fn ntop6(addr: &Ipv6Addr) -> String {
    let mut out = String::new();
    let _ = write_ntop6(&mut out, addr);
    out
}

/// [`ntop6`] into any `fmt::Write`.
pub fn write_ntop6<W: fmt::Write>(out: &mut W, addr: &Ipv6Addr) -> fmt::Result {
    let w = addr.segments();
    // Longest run of zero words.
    let (mut best_base, mut best_len) = (None::<usize>, 0usize);
    let mut i = 0;
    while i < 8 {
        if w[i] == 0 {
            let start = i;
            while i < 8 && w[i] == 0 {
                i += 1;
            }
            let len = i - start;
            if len > best_len {
                best_base = Some(start);
                best_len = len;
            }
        } else {
            i += 1;
        }
    }
    if best_len < 2 {
        best_base = None;
    }
    let mut i = 0;
    while i < 8 {
        if let Some(base) = best_base {
            if i >= base && i < base + best_len {
                if i == base {
                    out.write_char(':')?;
                }
                i += 1;
                continue;
            }
        }
        if i != 0 {
            out.write_char(':')?;
        }
        if i == 6 && best_base == Some(0) && (best_len == 6 || (best_len == 5 && w[5] == 0xffff)) {
            let o = addr.octets();
            return write!(out, "{}", Ipv4Addr::new(o[12], o[13], o[14], o[15]));
        }
        write!(out, "{:x}", w[i])?;
        i += 1;
    }
    if best_base.is_some_and(|b| b + best_len == 8) {
        out.write_char(':')?;
    }
    Ok(())
}

/// `inet_ntop` text of an address.
pub fn ntop(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => ntop6(v6),
    }
}
