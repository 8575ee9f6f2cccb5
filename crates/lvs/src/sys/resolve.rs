//! Host and service name lookups through the C library (NSS), as ipvsadm
//! does: `/etc/hosts`, DNS, `/etc/services`... whatever `nsswitch.conf` says.
//!
//! The reentrant `_r` variants are used; every string is copied out of the
//! caller-owned buffer before it goes out of scope. [`inet_aton`] is a pure
//! re-implementation of glibc's parser (no C call needed).

use std::ffi::{CStr, CString};
use std::net::{IpAddr, Ipv4Addr};

use libc::{c_char, c_int, c_void, hostent, servent, size_t, socklen_t};

use crate::model::Protocol;

extern "C" {
    fn gethostbyaddr_r(
        addr: *const c_void,
        len: socklen_t,
        af: c_int,
        ret: *mut hostent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut hostent,
        h_errnop: *mut c_int,
    ) -> c_int;
    fn gethostbyname_r(
        name: *const c_char,
        ret: *mut hostent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut hostent,
        h_errnop: *mut c_int,
    ) -> c_int;
    fn getservbyport_r(
        port: c_int,
        proto: *const c_char,
        ret: *mut servent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut servent,
    ) -> c_int;
    fn getservbyname_r(
        name: *const c_char,
        proto: *const c_char,
        ret: *mut servent,
        buf: *mut c_char,
        buflen: size_t,
        result: *mut *mut servent,
    ) -> c_int;
}

/// Largest scratch buffer tried before giving up on `ERANGE`.
const MAX_BUF: usize = 1 << 20;

/// Protocol name used by ipvsadm for service lookups; `None` for anything
/// but TCP, UDP and SCTP (fwmark services have protocol 0).
fn proto_name(protocol: Protocol) -> Option<&'static CStr> {
    match protocol {
        Protocol::Tcp => Some(c"tcp"),
        Protocol::Udp => Some(c"udp"),
        Protocol::Sctp => Some(c"sctp"),
        _ => None,
    }
}

/// Run a `_r` lookup with a growing buffer. `call` returns the C return value
/// and whether a result was produced; it must copy the result out itself.
fn with_buffer<R>(mut call: impl FnMut(&mut [c_char]) -> (c_int, Option<R>)) -> Option<R> {
    let mut len = 1024;
    loop {
        let mut buf: Vec<c_char> = vec![0; len];
        let (rc, res) = call(&mut buf);
        if rc == libc::ERANGE && len < MAX_BUF {
            len *= 2;
            continue;
        }
        return res;
    }
}

/// Copy a C string out of a lookup buffer.
///
/// # Safety
/// `p` must be null or point to a NUL-terminated string that is valid now.
unsafe fn copy_cstr(p: *const c_char) -> Option<String> {
    if p.is_null() {
        return None;
    }
    // SAFETY: guaranteed by the caller: non-null and NUL-terminated.
    let s = unsafe { CStr::from_ptr(p) };
    Some(String::from_utf8_lossy(s.to_bytes()).into_owned())
}

/// Reverse lookup of an address (`gethostbyaddr`), IPv4 or IPv6.
pub fn host_name(ip: IpAddr) -> Option<String> {
    let (bytes, af): (Vec<u8>, c_int) = match ip {
        IpAddr::V4(v4) => (v4.octets().to_vec(), libc::AF_INET),
        IpAddr::V6(v6) => (v6.octets().to_vec(), libc::AF_INET6),
    };
    with_buffer(|buf| {
        // SAFETY: hostent is a plain C struct; all-zero is a valid value.
        let mut he: hostent = unsafe { std::mem::zeroed() };
        let mut result: *mut hostent = std::ptr::null_mut();
        let mut herr: c_int = 0;
        // SAFETY: `bytes` holds `bytes.len()` readable bytes of the address;
        // `he`, `buf`, `result` and `herr` are valid for writes, `buf.len()`
        // is the buffer's real length.
        let rc = unsafe {
            gethostbyaddr_r(
                bytes.as_ptr() as *const c_void,
                bytes.len() as socklen_t,
                af,
                &mut he,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
                &mut herr,
            )
        };
        if rc != 0 || result.is_null() {
            return (rc, None);
        }
        // SAFETY: on success `result` points to `he`, whose h_name points into
        // `buf`, which is still alive; the name is copied out immediately.
        let name = unsafe { copy_cstr((*result).h_name) };
        (rc, name)
    })
}

/// Forward lookup of a host name (`gethostbyname`): IPv4 only, first address.
pub fn host_v4(name: &str) -> Option<Ipv4Addr> {
    let cname = CString::new(name).ok()?;
    with_buffer(|buf| {
        // SAFETY: hostent is a plain C struct; all-zero is a valid value.
        let mut he: hostent = unsafe { std::mem::zeroed() };
        let mut result: *mut hostent = std::ptr::null_mut();
        let mut herr: c_int = 0;
        // SAFETY: `cname` is NUL-terminated; the out pointers and `buf` (with
        // its real length) are valid for writes.
        let rc = unsafe {
            gethostbyname_r(
                cname.as_ptr(),
                &mut he,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
                &mut herr,
            )
        };
        if rc != 0 || result.is_null() {
            return (rc, None);
        }
        // SAFETY: on success `result` points to `he`; h_addr_list is a
        // NULL-terminated array (inside `buf`) of h_length-byte addresses.
        // The first one is copied out immediately.
        let addr = unsafe {
            let he = &*result;
            if he.h_addrtype != libc::AF_INET || he.h_length != 4 || he.h_addr_list.is_null() {
                None
            } else {
                let first = *he.h_addr_list;
                if first.is_null() {
                    None
                } else {
                    let b = std::slice::from_raw_parts(first as *const u8, 4);
                    Some(Ipv4Addr::new(b[0], b[1], b[2], b[3]))
                }
            }
        };
        (rc, addr)
    })
}

/// Service name of a port (`getservbyport`) for TCP, UDP or SCTP; `None` for
/// any other protocol (including 0, fwmark services).
pub fn service_name(port: u16, protocol: Protocol) -> Option<String> {
    let proto = proto_name(protocol)?;
    with_buffer(|buf| {
        // SAFETY: servent is a plain C struct; all-zero is a valid value.
        let mut se: servent = unsafe { std::mem::zeroed() };
        let mut result: *mut servent = std::ptr::null_mut();
        // SAFETY: `proto` is NUL-terminated; the out pointers and `buf` (with
        // its real length) are valid for writes. The port goes in network
        // byte order, as getservbyport expects.
        let rc = unsafe {
            getservbyport_r(
                c_int::from(port.to_be()),
                proto.as_ptr(),
                &mut se,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        if rc != 0 || result.is_null() {
            return (rc, None);
        }
        // SAFETY: on success `result` points to `se`, whose s_name points into
        // the live `buf`; it is copied out immediately.
        let name = unsafe { copy_cstr((*result).s_name) };
        (rc, name)
    })
}

/// Port of a service name (`getservbyname`) for the protocol's name
/// (`tcp`/`udp`/`sctp`); `None` for other protocols or unknown names.
pub fn service_port(name: &str, protocol: Protocol) -> Option<u16> {
    let proto = proto_name(protocol)?;
    let cname = CString::new(name).ok()?;
    with_buffer(|buf| {
        // SAFETY: servent is a plain C struct; all-zero is a valid value.
        let mut se: servent = unsafe { std::mem::zeroed() };
        let mut result: *mut servent = std::ptr::null_mut();
        // SAFETY: both strings are NUL-terminated; the out pointers and `buf`
        // (with its real length) are valid for writes.
        let rc = unsafe {
            getservbyname_r(
                cname.as_ptr(),
                proto.as_ptr(),
                &mut se,
                buf.as_mut_ptr(),
                buf.len(),
                &mut result,
            )
        };
        if rc != 0 || result.is_null() {
            return (rc, None);
        }
        // SAFETY: on success `result` points to `se`; s_port is a plain int
        // holding the port in network byte order (low 16 bits).
        let port = unsafe { u16::from_be((*result).s_port as u16) };
        (rc, Some(port))
    })
}

/// glibc `inet_aton()`: one to four parts separated by dots, each a C
/// integer literal (`0x` hex, leading `0` octal, else decimal); the last part
/// fills the remaining bytes (`1.2.3` = 1.2.0.3, `0x01020304` = 1.2.3.4).
/// Anything after the number must start with an ASCII blank (glibc ignores
/// the rest of the string then).
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    const MAX_LAST: [u32; 4] = [0xffff_ffff, 0x00ff_ffff, 0xffff, 0xff];
    let b = s.as_bytes();
    let mut pos = 0;
    let mut parts: Vec<u8> = Vec::with_capacity(3);
    let last: u32;
    loop {
        if !b.get(pos).is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let (val, next) = crate::cnum::strtoul_auto_u32(b, pos)?;
        pos = next;
        if b.get(pos) == Some(&b'.') {
            if parts.len() > 2 || val > 0xff {
                return None;
            }
            parts.push(val as u8);
            pos += 1;
        } else {
            last = val;
            break;
        }
    }
    if let Some(&c) = b.get(pos) {
        // C isspace() in the C locale.
        if !crate::cnum::is_c_space(c) {
            return None;
        }
    }
    if last > MAX_LAST[parts.len()] {
        return None;
    }
    let mut word = last;
    for (i, p) in parts.iter().enumerate() {
        word |= u32::from(*p) << (24 - 8 * i);
    }
    Some(Ipv4Addr::from(word))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(s: &str) -> Option<String> {
        inet_aton(s).map(|x| x.to_string())
    }

    #[test]
    fn inet_aton_forms() {
        assert_eq!(a("192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_eq!(a("1.2.3").as_deref(), Some("1.2.0.3"));
        assert_eq!(a("1.2").as_deref(), Some("1.0.0.2"));
        assert_eq!(a("16909060").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("0x01020304").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("0X7f.1").as_deref(), Some("127.0.0.1"));
        assert_eq!(a("010.0.0.1").as_deref(), Some("8.0.0.1"));
        assert_eq!(a("24").as_deref(), Some("0.0.0.24"));
        assert_eq!(a("0").as_deref(), Some("0.0.0.0"));
        assert_eq!(a("255.255.255.255").as_deref(), Some("255.255.255.255"));
        assert_eq!(a("4294967295").as_deref(), Some("255.255.255.255"));
        assert_eq!(a("1.2.65535").as_deref(), Some("1.2.255.255"));
        assert_eq!(a("1.16777215").as_deref(), Some("1.255.255.255"));
        // trailing blank then anything: accepted (glibc ignores the rest)
        assert_eq!(a("1.2.3.4 junk").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("1.2.3.4\tx").as_deref(), Some("1.2.3.4"));
        assert_eq!(a("1.2.3.4\n").as_deref(), Some("1.2.3.4"));
    }

    #[test]
    fn inet_aton_rejects() {
        for s in [
            "",
            "300.1.1.1",
            "1.2.3.4.5",
            "1.2.3.256",
            "1.2.65536",
            "1.16777216",
            "4294967296",
            "1.2.3.4x",
            "1..2",
            "1.2.",
            ".1.2.3",
            " 1.2.3.4",
            "+1.2.3.4",
            "08",
            "09.1.1.1",
            "0x",
            "0x.1",
            "0xg",
            "abc",
            "1.2.3.-4",
            "99999999999999999999",
        ] {
            assert_eq!(inet_aton(s), None, "{s:?}");
        }
    }

    #[test]
    fn unknown_protocol_has_no_service_names() {
        assert_eq!(service_name(80, Protocol::Other(0)), None);
        assert_eq!(service_port("http", Protocol::Other(0)), None);
        assert_eq!(service_name(80, Protocol::Other(1)), None);
    }

    #[test]
    fn loopback_lookups_do_not_crash() {
        // Results depend on the machine's NSS setup; only exercise the calls.
        let _ = host_name(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let _ = host_name("::1".parse().unwrap());
        let _ = host_v4("localhost");
        let _ = service_name(80, Protocol::Tcp);
        let _ = service_port("http", Protocol::Tcp);
        assert_eq!(host_v4("bad\0name"), None);
    }
}
