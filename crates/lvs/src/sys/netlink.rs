//! The system calls of the netlink layer that neither neli nor nix covers,
//! and the only place in it with `unsafe`:
//!
//! * `setsockopt(SOL_NETLINK, NETLINK_CAP_ACK)`: nix has no such option;
//! * `getsockopt(IPPROTO_IP, IP_VS_SO_GET_INFO)`: IPVS's own option, with a
//!   kernel structure as its value (ipvsadm's fallback probe);
//! * `recvmmsg(2)` into fixed slots of one caller-owned buffer: nix's
//!   `recvmmsg` wants its own `MultiHeaders` and slices borrowed for the
//!   whole call sequence, which does not fit a buffer reused for every
//!   receive on a hot path (10 000 dumps in a row).
//!
//! Everything else (socket creation, buffer sizes, timeouts, `setns`) goes
//! through nix or neli.

use std::io;
use std::mem::size_of;
use std::os::fd::{AsRawFd, BorrowedFd};

/// `NETLINK_CAP_ACK` socket option (`SOL_NETLINK`): error ACKs carry only
/// the request's header, not the whole request (Linux 4.3 and later).
const NETLINK_CAP_ACK: i32 = 10;
/// `IP_VS_SO_GET_INFO`: ipvsadm's older `getsockopt` interface, used only to
/// probe the errno ipvsadm reports when the netlink family is missing.
const IP_VS_SO_GET_INFO: i32 = 1153;

/// `setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)`: error ACKs then carry only
/// the request's header.
pub(crate) fn set_netlink_cap_ack(fd: BorrowedFd<'_>) -> io::Result<()> {
    let one: libc::c_int = 1;
    // SAFETY: `fd` is a valid, open descriptor for the duration of the call
    // (borrowed). The kernel reads exactly `size_of::<c_int>()` bytes from
    // `&one`, a live local of that size.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            libc::SOL_NETLINK,
            NETLINK_CAP_ACK,
            (&one as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// `getsockopt(IPPROTO_IP, IP_VS_SO_GET_INFO)` on `fd` (a raw IPv4 socket):
/// fills `struct ip_vs_getinfo { u32 version; u32 size; u32 num_services; }`.
pub(crate) fn ip_vs_get_info(fd: BorrowedFd<'_>) -> io::Result<[u32; 3]> {
    let mut info = [0u32; 3];
    let mut len = size_of::<[u32; 3]>() as libc::socklen_t;
    // SAFETY: `fd` is valid for the call (borrowed). The kernel writes at
    // most `len` bytes into `info`, which is exactly `len` bytes large and
    // lives across the call; `len` is a live local it may update.
    let rc = unsafe {
        libc::getsockopt(
            fd.as_raw_fd(),
            libc::IPPROTO_IP,
            IP_VS_SO_GET_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    if rc == 0 {
        Ok(info)
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Receives up to [`SLOTS_MAX`] datagrams with one `recvmmsg(2)` into
/// consecutive slots of `buf`, each `slot` bytes long, offering `offer`
/// bytes per slot (`offer <= slot`). `flags` is added to `MSG_WAITFORONE |
/// MSG_TRUNC` (waits for the first datagram only). For each datagram
/// received, `lens[i]` gets its full length (with `MSG_TRUNC`, netlink
/// reports the datagram's real length) and `trunc[i]` whether it was longer
/// than the offer. Returns how many were received (at least one). EINTR is
/// retried.
pub(crate) fn recv_slots(
    fd: BorrowedFd<'_>,
    buf: &mut [u8],
    slot: usize,
    offer: usize,
    flags: libc::c_int,
    lens: &mut [usize; SLOTS_MAX],
    trunc: &mut [bool; SLOTS_MAX],
) -> io::Result<usize> {
    let slots = SLOTS_MAX;
    assert!(offer <= slot && slots * slot <= buf.len());
    let base = buf.as_mut_ptr();
    // SAFETY: all-zero bit patterns are valid `iovec`s and `mmsghdr`s (null
    // pointers, zero lengths and flags).
    let mut iov: [libc::iovec; SLOTS_MAX] = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut hdrs: [libc::mmsghdr; SLOTS_MAX] = unsafe { std::mem::zeroed() };
    for (i, (v, h)) in iov.iter_mut().zip(hdrs.iter_mut()).enumerate().take(slots) {
        // SAFETY: `i * slot` is within `buf` (checked above: slots * slot <=
        // buf.len()), so the pointer stays inside the same allocation.
        v.iov_base = unsafe { base.add(i * slot) }.cast();
        v.iov_len = offer;
        h.msg_hdr.msg_iov = v;
        h.msg_hdr.msg_iovlen = 1;
    }
    let flags = flags | libc::MSG_WAITFORONE | libc::MSG_TRUNC;
    loop {
        // SAFETY: `fd` is valid for the call. Each of the first `slots`
        // headers points to one iovec describing `offer` bytes of a distinct
        // slot of `buf`; `buf`, `iov` and `hdrs` all outlive the call and
        // are not otherwise accessed during it. No sender address, no
        // control data, no timeout (null) are requested.
        let n = unsafe {
            libc::recvmmsg(
                fd.as_raw_fd(),
                hdrs.as_mut_ptr(),
                slots as libc::c_uint,
                flags,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            let e = io::Error::last_os_error();
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        let n = n as usize;
        for (i, h) in hdrs[..n].iter().enumerate() {
            let len = h.msg_len as usize;
            lens[i] = len;
            trunc[i] = h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 || len > offer;
        }
        return Ok(n);
    }
}

/// The most slots [`recv_slots`] fills in one call.
pub(crate) const SLOTS_MAX: usize = 16;

/// The descriptor of neli's socket, borrowed for as long as the socket
/// (neli's `NlSocket` implements only `AsRawFd`, nix's socket options take
/// `AsFd`).
pub(crate) fn fd_of(sock: &neli::socket::NlSocket) -> BorrowedFd<'_> {
    // SAFETY: `NlSocket` owns its descriptor and closes it only on drop; the
    // returned borrow is tied to `&sock`, so the descriptor stays open for
    // the borrow's whole lifetime.
    unsafe { BorrowedFd::borrow_raw(sock.as_raw_fd()) }
}
