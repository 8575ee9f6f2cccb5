//! Address and port text as ipvsadm builds it (`addrport_to_anyname`).

use std::fmt;
use std::net::IpAddr;

use lvs::model::{Family, Protocol};
use std::net::{Ipv4Addr, Ipv6Addr};

/// The kernel's 16-byte address union as the proc connection table and
/// ipvsadm's comparisons see it: an IPv4 address in the first 4 bytes,
/// the rest zero.
pub(crate) type RawAddr = [u8; 16];

/// The [`RawAddr`] of an address.
pub(crate) fn raw_from_ip(ip: IpAddr) -> RawAddr {
    match ip {
        IpAddr::V4(v4) => {
            let mut raw = [0u8; 16];
            raw[..4].copy_from_slice(&v4.octets());
            raw
        }
        IpAddr::V6(v6) => v6.octets(),
    }
}

/// A [`RawAddr`] read in the family `af`.
pub(crate) fn ip_from_raw(af: Family, raw: &RawAddr) -> IpAddr {
    if af == Family::Inet6 {
        IpAddr::V6(Ipv6Addr::from(*raw))
    } else {
        IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))
    }
}
pub(crate) use lvs::model::{ntop, write_ntop6};

/// Host and service names for a listing without `-n`, looked up by the
/// caller's functions: this module makes no look-up of its own (the program
/// passes the C library's, `lvs::resolve`; a test can pass a table).
#[derive(Debug, Clone, Copy)]
pub struct Resolver {
    /// The host name of an address; `None` prints the address.
    pub host: fn(IpAddr) -> Option<String>,
    /// The service name of a port for an IP protocol number; `None` prints
    /// the port in decimal.
    pub service: fn(u16, Protocol) -> Option<String>,
}

/// How a listing writes addresses and ports.
#[derive(Debug, Clone, Copy, Default)]
pub enum Names {
    /// As numbers (`-n`).
    #[default]
    Numeric,
    /// As names where the resolver finds them.
    Resolved(Resolver),
}

impl Names {
    /// Whether addresses and ports are written as numbers.
    pub fn is_numeric(self) -> bool {
        matches!(self, Names::Numeric)
    }
}

/// ipvsadm builds `addr:port` in a 60-byte buffer with `snprintf`.
const ADDRPORT_MAX: usize = 59;

/// Cut a string to at most `max` bytes (on a character boundary; names are
/// ASCII in practice), as writing a NUL into a C buffer does.
pub(crate) fn cut(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut end = max;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
    }
    s
}

/// A short text built on the stack (numeric `addr:port`, a listing row, a
/// save line), so that rows need no heap allocation and, pushed as bytes,
/// none of the `fmt` machinery: rows are printed by the hundred thousand.
/// Text beyond the capacity sets `overflow`; the longest text built here
/// (a save line with two 59-byte names, under 220 bytes) is far shorter.
pub(crate) struct Line {
    buf: [u8; 256],
    len: usize,
    overflow: bool,
}

impl Line {
    pub(crate) fn new() -> Line {
        Line {
            buf: [0; 256],
            len: 0,
            overflow: false,
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only whole `str`s and ASCII are ever appended.
        std::str::from_utf8(&self.buf[..self.len]).unwrap_or("")
    }

    pub(crate) fn push(&mut self, b: &[u8]) {
        let end = self.len + b.len();
        if end > self.buf.len() {
            self.overflow = true;
            return;
        }
        self.buf[self.len..end].copy_from_slice(b);
        self.len = end;
    }

    /// Decimal, like `{}` of an unsigned integer.
    pub(crate) fn num(&mut self, mut n: u64) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.push(&tmp[i..]);
    }

    /// Decimal, like `{}` of a signed integer.
    pub(crate) fn signed(&mut self, n: i64) {
        if n < 0 {
            self.push(b"-");
        }
        self.num(n.unsigned_abs());
    }

    /// What `write` appends, left-justified in `width` bytes (`{:<width}`).
    pub(crate) fn column(&mut self, width: usize, write: impl FnOnce(&mut Line)) {
        let start = self.len;
        write(self);
        while self.len - start < width && !self.overflow {
            self.push(b" ");
        }
    }

    /// Numeric `addr:port` / `[addr]:port`: what [`addrport`] gives with
    /// `numeric` (at most 47 bytes, so never cut).
    pub(crate) fn addrport(&mut self, af: Family, addr: &RawAddr, port: u16) {
        match ip_from_raw(af, addr) {
            IpAddr::V4(v4) => {
                for (i, o) in v4.octets().into_iter().enumerate() {
                    if i > 0 {
                        self.push(b".");
                    }
                    self.num(u64::from(o));
                }
            }
            IpAddr::V6(v6) => {
                self.push(b"[");
                let _ = write_ntop6(self, &v6);
                self.push(b"]");
            }
        }
        self.push(b":");
        self.num(u64::from(port));
    }

    /// The text, unless it overflowed.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        (!self.overflow).then_some(&self.buf[..self.len])
    }
}

impl fmt::Write for Line {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s.as_bytes());
        if self.overflow {
            Err(fmt::Error)
        } else {
            Ok(())
        }
    }
}

/// [`Line::addrport`] on its own.
pub(crate) fn addrport_numeric(af: Family, addr: &RawAddr, port: u16) -> Line {
    let mut l = Line::new();
    l.addrport(af, addr, port);
    l
}

/// `addr:port` (IPv4) or `[addr]:port` (IPv6). Numeric: `inet_ntop` and
/// decimal port. Otherwise the host name (`gethostbyaddr`, falling back to
/// the numeric text) and the service name of the port for `protocol`
/// (`getservbyport`, falling back to decimal; protocols other than
/// TCP/UDP/SCTP always give decimal). The whole text is cut to 59 bytes.
pub(crate) fn addrport(
    af: Family,
    addr: &RawAddr,
    port: u16,
    protocol: Protocol,
    names: Names,
) -> String {
    let ip = ip_from_raw(af, addr);
    let (host, serv) = match names {
        Names::Numeric => (ntop(&ip), port.to_string()),
        Names::Resolved(r) => (
            (r.host)(ip).unwrap_or_else(|| ntop(&ip)),
            (r.service)(port, protocol).unwrap_or_else(|| port.to_string()),
        ),
    };
    let text = if af == Family::Inet6 {
        format!("[{host}]:{serv}")
    } else {
        format!("{host}:{serv}")
    };
    cut(text, ADDRPORT_MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvs::model::ntop6;
    use std::net::Ipv6Addr;

    fn t(s: &str) -> String {
        ntop6(&s.parse().unwrap())
    }

    #[test]
    fn ntop6_like_glibc() {
        assert_eq!(t("::"), "::");
        assert_eq!(t("::1"), "::1");
        assert_eq!(t("2001:db8::1"), "2001:db8::1");
        assert_eq!(t("2001:db8:0:1::1"), "2001:db8:0:1::1");
        assert_eq!(t("2001:db8::1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(t("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
        assert_eq!(t("1::"), "1::");
        assert_eq!(t("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
        assert_eq!(t("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
        assert_eq!(t("::1.2.3.4"), "::1.2.3.4");
        assert_eq!(t("::2"), "::2");
        assert_eq!(t("fe80::1:2:3:4"), "fe80::1:2:3:4");
        assert_eq!(t("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
        assert_eq!(t("2001:db8::1:80"), "2001:db8::1:80");
    }

    #[test]
    fn addrport_numeric_and_cut() {
        let mut raw = [0u8; 16];
        raw[..4].copy_from_slice(&[192, 0, 2, 1]);
        assert_eq!(
            addrport(Family::Inet, &raw, 80, Protocol::Tcp, Names::Numeric),
            "192.0.2.1:80"
        );
        let v6: Ipv6Addr = "2001:db8::12".parse().unwrap();
        assert_eq!(
            addrport(
                Family::Inet6,
                &v6.octets(),
                0,
                Protocol::Other(0),
                Names::Numeric
            ),
            "[2001:db8::12]:0"
        );
        assert_eq!(cut("x".repeat(70), 59).len(), 59);
        for (af, a) in [
            (Family::Inet, "192.0.2.1"),
            (Family::Inet, "255.255.255.255"),
            (Family::Inet6, "2001:db8::12"),
            (Family::Inet6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
            (Family::Inet6, "::ffff:1.2.3.4"),
        ] {
            let raw = raw_from_ip(a.parse().unwrap());
            for port in [0, 80, 65535] {
                assert_eq!(
                    addrport_numeric(af, &raw, port).as_str(),
                    addrport(af, &raw, port, Protocol::Tcp, Names::Numeric)
                );
            }
        }
    }
}
