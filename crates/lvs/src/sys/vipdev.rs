//! A network device that holds addresses for exactly as long as the
//! process lives: a TUN device created without persistence.
//!
//! `lvsadm --supervise` keeps on it the virtual addresses it wants routers
//! to learn (a routing daemon exports the device's addresses). The kernel
//! destroys a non-persistent TUN device, and the addresses on it, when the
//! last descriptor attached to it closes: at a clean exit, but also when
//! the process is killed with SIGKILL or crashes, with no code of this
//! process running. That is the point of the device: an announcement can
//! never outlive the process that decided it.
//!
//! System calls: `open("/dev/net/tun")` (std), `ioctl(TUNSETIFF)` and
//! `if_nametoindex(3)` (the two `unsafe` blocks, below), and route netlink
//! requests (`RTM_NEWLINK`, `RTM_NEWADDR`, `RTM_DELADDR`) on a socket made
//! through nix, with messages encoded here (a handful of fixed fields).

use std::ffi::CString;
use std::fs::{File, OpenOptions};
use std::io;
use std::net::IpAddr;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;

/// The longest interface name (`IFNAMSIZ` less the terminating NUL).
pub const NAME_MAX: usize = 15;

/// `struct ifreq` as `TUNSETIFF` reads it: the name, then the flags (a
/// `short`) at the start of the union, padded to the structure's size.
#[repr(C)]
struct IfReq {
    name: [u8; 16],
    flags: libc::c_short,
    _pad: [u8; 22],
}

/// Whether `name` is a valid interface name for the kernel: 1 to 15
/// bytes, printable, no `/`, no blank, not `.` or `..`.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name != "."
        && name != ".."
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'/' && b != b':')
}

/// The device: its descriptor (the device lives while it is open), its
/// name and index, and a route netlink socket to change its addresses.
#[derive(Debug)]
pub struct VipDev {
    tun: File,
    nl: OwnedFd,
    name: String,
    index: u32,
    seq: u32,
}

impl VipDev {
    /// Create the TUN device `name` (not persistent), bring it up.
    /// Fails with `EBUSY` when a device of that name is held by another
    /// process, `EPERM` without `CAP_NET_ADMIN`.
    pub fn create(name: &str) -> io::Result<VipDev> {
        if !valid_name(name) {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let tun = OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_CLOEXEC)
            .open("/dev/net/tun")?;
        let mut req = IfReq {
            name: [0; 16],
            flags: (libc::IFF_TUN | libc::IFF_NO_PI) as libc::c_short,
            _pad: [0; 22],
        };
        req.name[..name.len()].copy_from_slice(name.as_bytes());
        // SAFETY: `tun` is an open descriptor of /dev/net/tun for the whole
        // call; TUNSETIFF reads (and may write back the chosen name into)
        // one `struct ifreq`, and `req` is a live, writable `repr(C)` value
        // of that layout and size (40 bytes: 16 of name, the flags, the
        // rest of the union). No persistence is asked for (no TUNSETPERSIST),
        // so the device goes away with the descriptor.
        let rc = unsafe { libc::ioctl(tun.as_raw_fd(), libc::TUNSETIFF, &mut req as *mut IfReq) };
        if rc < 0 {
            return Err(io::Error::last_os_error());
        }
        let cname = CString::new(name).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: `cname` is a NUL-terminated string that outlives the
        // call; the function only reads it.
        let index = unsafe { libc::if_nametoindex(cname.as_ptr()) };
        if index == 0 {
            return Err(io::Error::last_os_error());
        }
        use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};
        let nl = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkRoute,
        )
        .map_err(io::Error::from)?;
        let mut dev = VipDev {
            tun,
            nl,
            name: name.to_string(),
            index,
            seq: 0,
        };
        dev.up()?;
        Ok(dev)
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device's interface index.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// Put `addr` on the device (a host address: /32 or /128). An address
    /// already there is no error.
    pub fn add(&mut self, addr: IpAddr) -> io::Result<()> {
        let flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
        match self.request(RTM_NEWADDR, flags, &addr_body(self.index, addr)) {
            Err(e) if e.raw_os_error() == Some(libc::EEXIST) => Ok(()),
            r => r,
        }
    }

    /// Take `addr` off the device. An address not there is no error.
    pub fn remove(&mut self, addr: IpAddr) -> io::Result<()> {
        match self.request(
            RTM_DELADDR,
            NLM_F_REQUEST | NLM_F_ACK,
            &addr_body(self.index, addr),
        ) {
            Err(e) if e.raw_os_error() == Some(libc::EADDRNOTAVAIL) => Ok(()),
            r => r,
        }
    }

    fn up(&mut self) -> io::Result<()> {
        // struct ifinfomsg: family, pad, type, index, flags, change.
        let mut b = Vec::with_capacity(16);
        b.extend_from_slice(&[libc::AF_UNSPEC as u8, 0]);
        b.extend_from_slice(&0u16.to_ne_bytes());
        b.extend_from_slice(&(self.index as i32).to_ne_bytes());
        b.extend_from_slice(&(libc::IFF_UP as u32).to_ne_bytes());
        b.extend_from_slice(&(libc::IFF_UP as u32).to_ne_bytes());
        self.request(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, &b)
    }

    /// Send one request and wait for its acknowledgement.
    fn request(&mut self, kind: u16, flags: u16, body: &[u8]) -> io::Result<()> {
        use nix::sys::socket::{recv, sendto, MsgFlags, NetlinkAddr};
        self.seq = self.seq.wrapping_add(1);
        let msg = message(kind, flags, self.seq, body);
        let kernel = NetlinkAddr::new(0, 0);
        sendto(self.nl.as_raw_fd(), &msg, &kernel, MsgFlags::empty()).map_err(io::Error::from)?;
        let mut buf = [0u8; 4096];
        loop {
            let n = match recv(self.nl.as_raw_fd(), &mut buf, MsgFlags::empty()) {
                Ok(n) => n,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(e.into()),
            };
            if let Some(r) = ack(&buf[..n], self.seq) {
                return r;
            }
        }
    }
}

impl AsFd for VipDev {
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.tun.as_fd()
    }
}

const RTM_NEWLINK: u16 = 16;
const RTM_NEWADDR: u16 = 20;
const RTM_DELADDR: u16 = 21;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 0x1;
const NLM_F_ACK: u16 = 0x4;
const NLM_F_REPLACE: u16 = 0x100;
const NLM_F_CREATE: u16 = 0x400;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const IFA_FLAGS: u16 = 8;
const IFA_F_NODAD: u32 = 0x02;

/// A netlink message: the 16-byte header, then `body`.
fn message(kind: u16, flags: u16, seq: u32, body: &[u8]) -> Vec<u8> {
    let len = 16 + body.len();
    let mut m = Vec::with_capacity(len);
    m.extend_from_slice(&(len as u32).to_ne_bytes());
    m.extend_from_slice(&kind.to_ne_bytes());
    m.extend_from_slice(&flags.to_ne_bytes());
    m.extend_from_slice(&seq.to_ne_bytes());
    m.extend_from_slice(&0u32.to_ne_bytes());
    m.extend_from_slice(body);
    m
}

/// One route attribute, padded to 4 bytes.
fn attr(out: &mut Vec<u8>, kind: u16, data: &[u8]) {
    out.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
    out.extend_from_slice(&kind.to_ne_bytes());
    out.extend_from_slice(data);
    while out.len() % 4 != 0 {
        out.push(0);
    }
}

/// `struct ifaddrmsg` and the attributes of a host address on `index`.
fn addr_body(index: u32, addr: IpAddr) -> Vec<u8> {
    let (family, plen, bytes): (u8, u8, Vec<u8>) = match addr {
        IpAddr::V4(a) => (libc::AF_INET as u8, 32, a.octets().to_vec()),
        IpAddr::V6(a) => (libc::AF_INET6 as u8, 128, a.octets().to_vec()),
    };
    // family, prefix length, flags, scope (universe), index
    let mut b = vec![family, plen, 0, 0];
    b.extend_from_slice(&index.to_ne_bytes());
    attr(&mut b, IFA_LOCAL, &bytes);
    attr(&mut b, IFA_ADDRESS, &bytes);
    if addr.is_ipv6() {
        // no duplicate address detection: the address is usable at once
        attr(&mut b, IFA_FLAGS, &IFA_F_NODAD.to_ne_bytes());
    }
    b
}

/// The answer to request `seq` in `buf`, if `buf` holds it: `Ok` for an
/// acknowledgement, the error the kernel gave otherwise.
fn ack(buf: &[u8], seq: u32) -> Option<io::Result<()>> {
    let mut at = 0;
    while at + 16 <= buf.len() {
        let word = |o: usize| u32::from_ne_bytes([buf[o], buf[o + 1], buf[o + 2], buf[o + 3]]);
        let len = word(at) as usize;
        let kind = u16::from_ne_bytes([buf[at + 4], buf[at + 5]]);
        if len < 16 || at + len > buf.len() {
            return None;
        }
        if kind == NLMSG_ERROR && word(at + 8) == seq && len >= 20 {
            let errno =
                i32::from_ne_bytes([buf[at + 16], buf[at + 17], buf[at + 18], buf[at + 19]]);
            return Some(if errno == 0 {
                Ok(())
            } else {
                Err(io::Error::from_raw_os_error(-errno))
            });
        }
        at += (len + 3) & !3;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(valid_name("lvsvip0"));
        assert!(valid_name("abcdefghijklmno"));
        assert!(!valid_name("abcdefghijklmnop"));
        assert!(!valid_name(""));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(".."));
    }

    #[test]
    fn address_messages() {
        let b = addr_body(7, "192.0.2.1".parse().unwrap());
        assert_eq!(&b[..4], &[libc::AF_INET as u8, 32, 0, 0]);
        assert_eq!(&b[4..8], &7u32.to_ne_bytes());
        assert_eq!(b.len(), 8 + 8 + 8);
        assert_eq!(&b[12..16], &[192, 0, 2, 1]);
        let b6 = addr_body(7, "2001:db8::1".parse().unwrap());
        assert_eq!(b6[1], 128);
        assert_eq!(b6.len(), 8 + 20 + 20 + 8);
        let m = message(RTM_NEWADDR, NLM_F_REQUEST, 9, &b);
        assert_eq!(
            u32::from_ne_bytes([m[0], m[1], m[2], m[3]]) as usize,
            m.len()
        );
    }

    #[test]
    fn acknowledgements() {
        let mut e = message(NLMSG_ERROR, 0, 3, &(-libc::EEXIST).to_ne_bytes());
        e.extend_from_slice(&[0u8; 16]);
        let len = e.len() as u32;
        e[..4].copy_from_slice(&len.to_ne_bytes());
        let r = ack(&e, 3).unwrap();
        assert_eq!(r.unwrap_err().raw_os_error(), Some(libc::EEXIST));
        assert!(ack(&e, 4).is_none());
        let ok = message(NLMSG_ERROR, 0, 5, &0i32.to_ne_bytes());
        assert!(ack(&ok, 5).unwrap().is_ok());
        assert!(ack(&ok[..10], 5).is_none());
    }
}
