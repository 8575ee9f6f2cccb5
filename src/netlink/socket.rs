//! The socket layer: one generic-netlink socket per process (plus a
//! short-lived one for each service dump, see [`Ipvs::services`]), the
//! `IPVS` family resolved once, requests encoded by [`codec`] and sent as
//! raw bytes.
//!
//! neli's low-level [`NlSocket`] is used for the socket itself (create, bind,
//! port id, `send` of byte buffers). Its typed handles are not used: requests
//! are pre-encoded by the codec (byte-exact with ipvsadm, and many of them
//! packed in one buffer for pipelining), and replies are decoded in place.
//! Through `libc` directly: socket options neli does not expose
//! (`SO_RCVBUFFORCE`, `NETLINK_CAP_ACK`, reading back buffer sizes),
//! ipvsadm's `setsockopt` fallback probe, and receiving with `recvmmsg(2)`:
//! a dump's data and its `NLMSG_DONE` are separate datagrams (the kernel
//! produces the DONE while the data is being read), as are a "do" reply and
//! its ACK, and pipelined ACKs; `recvmmsg` fetches them in one system call
//! instead of one `recv` each, which matters for 10 000 dumps in a row.

use std::io;
use std::mem::size_of;
use std::os::unix::io::{AsRawFd, RawFd};
use std::time::{SystemTime, UNIX_EPOCH};

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;

use super::codec::{self, Reply, Request};
use super::error::IpvsError;
use crate::model::{Daemon, Dest, Info, Service, Timeouts};

/// Receive buffer size. The kernel builds dump skbs of at most 32 KiB
/// (`netlink_dump` caps its allocation there), and every other reply to an
/// IPVS request (an ACK, an error echoing our header, one service) is far
/// smaller, so one 64 KiB buffer always holds a whole datagram. `MSG_TRUNC`
/// is still used to detect the impossible case instead of losing data
/// silently.
const RECV_BUF: usize = 64 * 1024;
/// Receive length offered on the main socket: the kernel's `NLMSG_GOODSIZE` on 4 KiB
/// pages (a page less the skb's shared info, 320 bytes on x86-64 Linux 6.1).
///
/// The kernel sizes every dump skb after the largest receive length it has
/// ever seen on the socket, but never below `NLMSG_GOODSIZE`, and capped
/// near 32 KiB. A dump skb of up to `NLMSG_GOODSIZE` bytes comes from the
/// 4 KiB slab; a little more takes the 8 KiB slab, and more than 8 KiB goes
/// to the page allocator, for each part of each dump, including the `DONE`
/// message. Measured in the TCG guest with 10000 services x 4 destinations,
/// one `GET_DEST` dump per service: 50 us with this offer, 60 us with 4 KiB,
/// 81 us with 8 KiB, 118 us with 16 or 64 KiB.
///
/// Datagrams are never larger than the offer on such kernels (a dump part
/// is at most `NLMSG_GOODSIZE`, every other reply is far smaller). Should a
/// kernel's `NLMSG_GOODSIZE` be larger, a dump part comes truncated: the
/// dump is read to its end with [`RECV_BUF`] offered, and then repeated
/// (see [`Ipvs::dests_into`]). The offer stays small for dumps of many
/// destinations too: they come in more parts (the kernel re-finds the
/// service and skips what it sent for each), which still costs it less
/// than large parts (2000 services x 50 destinations: `-Sn` 0.82-0.85 s
/// against 0.85-0.89 s when the offer grew to 64 KiB after the first
/// multi-part dump).
const RECV_SMALL: usize = 4096 - 320;
/// Datagrams fetched by one `recvmmsg` (each slot holds [`RECV_BUF`] bytes).
const SLOTS: usize = 16;
/// Requested socket receive buffer (the kernel doubles it).
const WANT_RCVBUF: libc::c_int = 4 * 1024 * 1024;
/// Requested socket send buffer (bounds the size of one pipelined write).
const WANT_SNDBUF: libc::c_int = 1024 * 1024;
/// Conservative estimate of the receive-buffer cost (skb truesize) of one
/// ACK; used to bound the number of requests in flight.
const ACK_COST: usize = 2048;
/// At most this many requests per `sendmsg`.
const MAX_BATCH: usize = 1000;
/// Upper bound on the bytes of one pipelined write.
const MAX_SEND: usize = 256 * 1024;
/// No encoded IPVS request comes close to this size.
const MAX_REQUEST: usize = 1024;

/// Receive timeout. Every IPVS request is processed synchronously inside
/// `send` (and each further dump part inside the `recv` that precedes it),
/// so a reply is always already queued when we read. One exception: when an
/// operation returns -EINTR the kernel sends no ACK at all (netlink_rcv_skb
/// skips it; observed when stopping a sync daemon whose thread had not run
/// yet: kthread_stop returns -EINTR). ipvsadm then blocks forever; we give up
/// after this long and report EINTR, the kernel's result.
const RECV_TIMEOUT_SECS: libc::time_t = 5;
/// `NETLINK_CAP_ACK`: error ACKs carry only our header, not the whole request.
const NETLINK_CAP_ACK: libc::c_int = 10;
/// `IP_VS_SO_GET_INFO` (ipvsadm's setsockopt interface, used only to probe
/// the errno ipvsadm reports when the netlink family is missing).
const IP_VS_SO_GET_INFO: libc::c_int = 1153;

/// A handle on the kernel's IPVS: socket, family id, sequence counter and the
/// GET_INFO answer obtained when opening.
pub struct Ipvs {
    sock: NlSocket,
    family: u16,
    pid: u32,
    seq: u32,
    info: Info,
    /// `SLOTS` receive slots of `RECV_BUF` bytes each.
    rbuf: Vec<u8>,
    /// Bytes offered per slot to `recvmmsg` ([`RECV_SMALL`] or [`RECV_BUF`]).
    offer: usize,
    /// Lengths of the datagrams received in each slot by the last receive
    /// (0 for a truncated one).
    rlens: [usize; SLOTS],
    /// Bit `i` set: the datagram of slot `i` of the last receive was
    /// truncated (longer than the offer); its content is not used.
    trunc: u32,
    wbuf: Vec<u8>,
    /// Maximum number of requests whose ACKs may be outstanding at once.
    window: usize,
    /// Maximum bytes in one `send`.
    max_send: usize,
}

fn setsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int, val: libc::c_int) -> bool {
    // SAFETY: setsockopt(2) on a valid fd, reading one c_int that lives for
    // the duration of the call; the length passed is exactly its size.
    let rc = unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&val as *const libc::c_int).cast(),
            size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    rc == 0
}

fn getsockopt_int(fd: RawFd, level: libc::c_int, name: libc::c_int) -> Option<libc::c_int> {
    let mut val: libc::c_int = 0;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt(2) on a valid fd, writing at most `len` bytes into a
    // c_int we own; `len` is initialised to its size.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            level,
            name,
            (&mut val as *mut libc::c_int).cast(),
            &mut len,
        )
    };
    (rc == 0).then_some(val)
}

/// The errno ipvsadm ends up reporting when the `IPVS` generic netlink family
/// cannot be resolved: libipvs then falls back to a raw IPv4 socket and
/// `getsockopt(IP_VS_SO_GET_INFO)`. Without CAP_NET_RAW the socket fails
/// (EPERM); without IPVS the getsockopt fails (ENOPROTOOPT). lvsadm has no
/// setsockopt mode, so if that probe unexpectedly succeeds, ENOPROTOOPT is
/// reported as well.
fn sockopt_fallback_errno() -> i32 {
    // SAFETY: plain socket(2) call, no pointers.
    let fd = unsafe { libc::socket(libc::AF_INET, libc::SOCK_RAW, libc::IPPROTO_RAW) };
    if fd < 0 {
        return io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EPERM);
    }
    // struct ip_vs_getinfo { u32 version; u32 size; u32 num_services; }
    let mut info = [0u32; 3];
    let mut len = size_of::<[u32; 3]>() as libc::socklen_t;
    // SAFETY: getsockopt(2) on the fd just created, writing at most `len`
    // bytes into `info`, which is exactly that large.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::IPPROTO_IP,
            IP_VS_SO_GET_INFO,
            info.as_mut_ptr().cast(),
            &mut len,
        )
    };
    let errno = if rc < 0 {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::ENOPROTOOPT)
    } else {
        libc::ENOPROTOOPT
    };
    // SAFETY: closing the fd created above, exactly once.
    unsafe { libc::close(fd) };
    errno
}

/// How many requests may await their ACK at once with a receive buffer of
/// `rcvbuf` bytes (the value `getsockopt(SO_RCVBUF)` reports).
fn window_for(rcvbuf: libc::c_int) -> usize {
    (rcvbuf.max(0) as usize / ACK_COST).clamp(8, MAX_BATCH)
}

/// Whether a request may go without an ACK in a pipelined batch: the
/// kernel then answers it only if it fails. Only service, destination,
/// zero, flush and timeout commands: not the sync daemon commands, which
/// can end with no answer at all (EINTR, see RECV_TIMEOUT_SECS), so that
/// only their own ACK tells they are done, nor GETs.
fn acks_optional(req: &Request) -> bool {
    matches!(
        req,
        Request::NewService(_)
            | Request::SetService(_)
            | Request::DelService(_)
            | Request::NewDest(..)
            | Request::SetDest(..)
            | Request::DelDest(..)
            | Request::Zero(_)
            | Request::Flush
            | Request::SetConfig(_)
    )
}

/// Sets or clears `NLM_F_ACK` in the netlink header at the start of `msg`.
fn set_ack_flag(msg: &mut [u8], ack: bool) {
    let flags = u16::from_ne_bytes([msg[6], msg[7]]);
    let flags = if ack {
        flags | codec::NLM_F_ACK
    } else {
        flags & !codec::NLM_F_ACK
    };
    msg[6..8].copy_from_slice(&flags.to_ne_bytes());
}

fn codec_err(_: codec::CodecError) -> IpvsError {
    IpvsError::new(libc::EBADMSG)
}

impl Ipvs {
    /// Opens the socket, resolves "IPVS" and sends GET_INFO.
    ///
    /// The error carries the errno ipvsadm would report: if the family is
    /// not found (or the netlink socket cannot be set up) that of the
    /// setsockopt fallback, i.e. ENOPROTOOPT as root without IPVS and EPERM
    /// without privileges; otherwise GET_INFO's error (EPERM as non-root).
    pub fn open() -> Result<Ipvs, IpvsError> {
        let mut ipvs = match Ipvs::connect() {
            Ok(i) => i,
            Err(_) => return Err(IpvsError::new(sockopt_fallback_errno())),
        };
        if ipvs.resolve_family().is_err() {
            return Err(IpvsError::new(sockopt_fallback_errno()));
        }
        let mut info = None;
        let mut first_err = None;
        ipvs.request(&Request::GetInfo, |_, attrs| {
            match codec::parse_info(attrs) {
                Ok(i) => info = Some(i),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
            Ok(())
        })?;
        if let Some(e) = first_err {
            return Err(codec_err(e));
        }
        ipvs.info = info.ok_or(IpvsError::new(libc::EBADMSG))?;
        Ok(ipvs)
    }

    /// Socket creation, buffer sizes, port id.
    fn connect() -> io::Result<Ipvs> {
        let sock = NlSocket::connect(NlFamily::Generic, None, Groups::empty())?;
        let fd = sock.as_raw_fd();
        // Large buffers: SO_*BUFFORCE works as root (CAP_NET_ADMIN) beyond
        // the sysctl maxima; otherwise fall back to the capped variant.
        if !setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, WANT_RCVBUF) {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, WANT_RCVBUF);
        }
        if !setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUFFORCE, WANT_SNDBUF) {
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF, WANT_SNDBUF);
        }
        // Smaller error ACKs (kernel >= 4.3); harmless if refused.
        setsockopt_int(fd, libc::SOL_NETLINK, NETLINK_CAP_ACK, 1);
        let tv = libc::timeval {
            tv_sec: RECV_TIMEOUT_SECS,
            tv_usec: 0,
        };
        // SAFETY: setsockopt(2) on a valid fd, reading one timeval that lives
        // for the duration of the call; the length passed is its size.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&tv as *const libc::timeval).cast(),
                size_of::<libc::timeval>() as libc::socklen_t,
            )
        };
        let rcvbuf = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF).unwrap_or(212_992);
        let sndbuf = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_SNDBUF).unwrap_or(212_992);
        let window = window_for(rcvbuf);
        // netlink_sendmsg refuses messages longer than sk_sndbuf - 32.
        let max_send = (sndbuf.max(0) as usize)
            .saturating_sub(32)
            .clamp(MAX_REQUEST * 4, MAX_SEND);
        let pid = sock.pid()?;
        let seq = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as u32)
            .unwrap_or(1);
        Ok(Ipvs {
            sock,
            family: 0,
            pid,
            seq,
            info: Info {
                version: 0,
                conn_tab_size: 0,
            },
            rbuf: vec![0; SLOTS * RECV_BUF],
            offer: RECV_SMALL,
            rlens: [0; SLOTS],
            trunc: 0,
            wbuf: Vec::with_capacity(MAX_SEND),
            window,
            max_send,
        })
    }

    /// `CTRL_CMD_GETFAMILY` "IPVS" → family id (once per process).
    fn resolve_family(&mut self) -> Result<(), IpvsError> {
        let seq = self.next_seq();
        self.wbuf.clear();
        codec::encode_get_family(codec::IPVS_GENL_NAME, seq, self.pid, &mut self.wbuf);
        self.send_wbuf()?;
        let mut family = None;
        self.wait_for(seq, |cmd, attrs| {
            if cmd == codec::CTRL_CMD_NEWFAMILY {
                family = Some(codec::parse_family_id(attrs)?);
            }
            Ok(())
        })?;
        self.family = family.ok_or(IpvsError::new(libc::ENOENT))?;
        Ok(())
    }

    /// The kernel's IPVS version and connection table size (from `open`).
    pub fn info(&self) -> Info {
        self.info
    }

    /// All services (dump), in kernel order.
    ///
    /// Read from a socket of its own, with [`RECV_BUF`] offered: the kernel
    /// walks its service table from the start for each part of the dump, so
    /// with thousands of services few large parts are much cheaper than
    /// many small ones; and the main socket's offer stays small for the
    /// per-service destination dumps that usually follow (see
    /// [`RECV_SMALL`]). The family id is already known.
    pub fn services(&mut self) -> Result<Vec<Service>, IpvsError> {
        let mut bulk = Ipvs::connect().map_err(|e| IpvsError::from_io(&e))?;
        bulk.family = self.family;
        bulk.offer = RECV_BUF;
        let mut out = Vec::new();
        bulk.request(&Request::GetServices, |_, attrs| {
            out.push(codec::parse_service_msg(attrs)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// One service by key (do-GET); ESRCH if absent.
    pub fn service(&mut self, key: &Service) -> Result<Service, IpvsError> {
        let mut found = None;
        self.request(&Request::GetService(key.clone()), |_, attrs| {
            if found.is_none() {
                found = Some(codec::parse_service_msg(attrs)?);
            }
            Ok(())
        })?;
        found.ok_or(IpvsError::new(libc::ESRCH))
    }

    /// The destinations of one service (dump), in kernel order.
    pub fn dests(&mut self, svc: &Service) -> Result<Vec<Dest>, IpvsError> {
        let mut out = Vec::new();
        self.dests_into(svc, &mut out)?;
        Ok(out)
    }

    /// The destinations of one service (dump), in kernel order, into `out`
    /// (cleared first; its allocation is reused from one service to the next).
    ///
    /// If a part of the dump came truncated (a kernel whose dump parts are
    /// larger than the small offer, see [`RECV_SMALL`]), the offer has grown
    /// by then and the dump is run once more.
    pub fn dests_into(&mut self, svc: &Service, out: &mut Vec<Dest>) -> Result<(), IpvsError> {
        let small = self.offer < RECV_BUF;
        match self.dump_dests(svc, out) {
            Err(e) if e.errno == libc::EMSGSIZE && small => self.dump_dests(svc, out),
            r => r,
        }
    }

    fn dump_dests(&mut self, svc: &Service, out: &mut Vec<Dest>) -> Result<(), IpvsError> {
        out.clear();
        let af = svc.af;
        let seq = self.next_seq();
        self.wbuf.clear();
        codec::encode_get_dests(svc, self.family, seq, self.pid, &mut self.wbuf);
        self.send_wbuf()?;
        self.wait_for(seq, |_, attrs| {
            out.push(codec::parse_dest_msg(attrs, af)?);
            Ok(())
        })?;
        drop_repeated_dests(out);
        Ok(())
    }

    /// Connection timeouts (GET_CONFIG).
    pub fn timeouts(&mut self) -> Result<Timeouts, IpvsError> {
        let mut out = None;
        self.request(&Request::GetConfig, |_, attrs| {
            out = Some(codec::parse_config(attrs)?);
            Ok(())
        })?;
        out.ok_or(IpvsError::new(libc::EBADMSG))
    }

    /// Running sync daemons (dump; the kernel lists the master first).
    pub fn daemons(&mut self) -> Result<Vec<Daemon>, IpvsError> {
        let mut out = Vec::new();
        self.request(&Request::GetDaemons, |_, attrs| {
            out.push(codec::parse_daemon_msg(attrs)?);
            Ok(())
        })?;
        Ok(out)
    }

    /// One command; waits for its ACK (or, for a dump, its DONE). Reply data
    /// of GET requests is read and discarded.
    pub fn execute(&mut self, req: &Request) -> Result<(), IpvsError> {
        self.request(req, |_, _| Ok(()))
    }

    /// Many set requests, pipelined: each `send` carries up to `window`
    /// requests (bounded so that all their answers fit in the socket's
    /// receive buffer, and by the send buffer size); the kernel processes the
    /// whole buffer during `send`, then the answers are read and matched to
    /// requests by sequence number. One result per request, in order.
    ///
    /// Only the last request of each `send`, and requests that may end
    /// without any answer (see [`acks_optional`]), ask for an ACK: the
    /// kernel answers the others only when they fail, and it answers in
    /// order, so once the last request's ACK is read every error of the
    /// batch has been read too, and an unanswered request succeeded. This
    /// saves the kernel building, and us reading, one ACK per request.
    ///
    /// Should the kernel still drop answers (ENOBUFS), the requests of that
    /// batch without an answer are reported as ENOBUFS (they were processed,
    /// with an unknown outcome; they are not re-sent), and the window is
    /// halved for the following batches. Dump requests are executed one by
    /// one.
    pub fn execute_batch(&mut self, reqs: &[Request]) -> Vec<Result<(), IpvsError>> {
        let mut results = Vec::with_capacity(reqs.len());
        let mut i = 0;
        while i < reqs.len() {
            if reqs[i].is_dump() {
                results.push(self.execute(&reqs[i]));
                i += 1;
                continue;
            }
            let start = i;
            let first_seq = self.seq.wrapping_add(1);
            self.wbuf.clear();
            // Start of the last encoded message, to give it back its ACK.
            let mut last_at = 0;
            let mut acked: Vec<bool> = Vec::with_capacity(self.window.min(reqs.len() - i));
            while i < reqs.len()
                && !reqs[i].is_dump()
                && i - start < self.window
                && (i == start || self.wbuf.len() + MAX_REQUEST <= self.max_send)
            {
                let seq = self.next_seq();
                last_at = self.wbuf.len();
                codec::encode(&reqs[i], self.family, seq, self.pid, &mut self.wbuf);
                let ack = !acks_optional(&reqs[i]);
                if !ack {
                    set_ack_flag(&mut self.wbuf[last_at..], false);
                }
                acked.push(ack);
                i += 1;
            }
            let n = i - start;
            set_ack_flag(&mut self.wbuf[last_at..], true);
            acked[n - 1] = true;
            if let Err(e) = self.send_wbuf() {
                // Nothing of this buffer reached the kernel's handlers.
                results.extend((0..n).map(|_| Err(e)));
                continue;
            }
            let batch = self.collect_acks(first_seq, &acked);
            results.extend(batch);
        }
        results
    }

    /// Reads the answers to `acked.len()` requests with consecutive
    /// sequence numbers starting at `first_seq`, all already processed by
    /// the kernel; `acked[i]` tells whether request `i` asked for an ACK (the
    /// last one always did). Reading stops at the last request's answer.
    fn collect_acks(&mut self, first_seq: u32, acked: &[bool]) -> Vec<Result<(), IpvsError>> {
        let n = acked.len();
        let mut res: Vec<Option<Result<(), IpvsError>>> = vec![None; n];
        // Set when ACKs may be missing (dropped by the kernel, or unreadable
        // in a damaged datagram): from then on, only what is already queued
        // is read, so a missing ACK cannot make us wait forever.
        let mut lost: Option<i32> = None;
        while res[n - 1].is_none() {
            let flags = if lost.is_some() {
                Msg::DONTWAIT
            } else {
                Msg::empty()
            };
            let count = match self.recv_many(flags) {
                // No ACK or error is anywhere near the offer; a truncated
                // datagram cannot be read, so the rest stays unknown.
                Ok(_) if self.trunc != 0 => {
                    for r in res.iter_mut().filter(|r| r.is_none()) {
                        *r = Some(Err(IpvsError::new(libc::EMSGSIZE)));
                    }
                    break;
                }
                Ok(count) => count,
                Err(e) if e.errno == libc::ENOBUFS => {
                    // ACKs were dropped; what is still queued is readable.
                    lost = Some(libc::ENOBUFS);
                    self.window = (self.window / 2).max(8);
                    continue;
                }
                Err(e) if e.errno == libc::EAGAIN => {
                    // Queue drained after an overrun, or the receive timeout:
                    // the missing ACKs will not come (see RECV_TIMEOUT_SECS).
                    lost.get_or_insert(libc::EINTR);
                    break;
                }
                Err(e) => {
                    for r in res.iter_mut().filter(|r| r.is_none()) {
                        *r = Some(Err(e));
                    }
                    break;
                }
            };
            for slot in 0..count {
                let off = slot * RECV_BUF;
                let datagram = &self.rbuf[off..off + self.rlens[slot]];
                for m in codec::messages(datagram) {
                    let Ok(m) = m else {
                        lost.get_or_insert(libc::EBADMSG);
                        break;
                    };
                    let idx = m.seq().wrapping_sub(first_seq) as usize;
                    if idx >= n {
                        continue;
                    }
                    let outcome = match m {
                        Reply::Ack { .. } | Reply::Done { .. } => Ok(()),
                        Reply::Error { errno, .. } => Err(IpvsError::new(errno)),
                        Reply::Message { .. } => continue,
                    };
                    if res[idx].is_none() {
                        res[idx] = Some(outcome);
                    }
                }
            }
        }
        // Without an answer: a request that asked for none succeeded, unless
        // answers may have been dropped or were unreadable (outcome unknown);
        // one that asked for an ACK got none (see RECV_TIMEOUT_SECS).
        let unknown = matches!(lost, Some(e) if e != libc::EINTR);
        res.into_iter()
            .zip(acked)
            .map(|(r, &ack)| match r {
                Some(r) => r,
                None if !ack && !unknown => Ok(()),
                None => Err(IpvsError::new(lost.unwrap_or(libc::ENOBUFS))),
            })
            .collect()
    }

    /// The destinations of many services, one result list per service, in
    /// order.
    ///
    /// The dumps are run one after the other on the one socket: a second
    /// dump request arriving while a dump is still in progress on the same
    /// socket is refused by the kernel with EBUSY, and a dump is only
    /// finished once its last part has been read (checked on Linux 6.18 with
    /// three controller dumps packed in one `send`: the first one was
    /// answered, the other two got EBUSY). So dump requests cannot be
    /// pipelined; each dump still costs only one `send` and two `recv`s
    /// (data, then DONE) on an already open socket with the family known.
    pub fn dests_many(&mut self, svcs: &[Service]) -> Result<Vec<Vec<Dest>>, IpvsError> {
        svcs.iter().map(|s| self.dests(s)).collect()
    }

    // -- plumbing -----------------------------------------------------------

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends one request and feeds the data messages answering it to
    /// `on_msg(cmd, attrs)` until its ACK / DONE / error.
    fn request<F>(&mut self, req: &Request, on_msg: F) -> Result<(), IpvsError>
    where
        F: FnMut(u8, &[u8]) -> Result<(), codec::CodecError>,
    {
        let seq = self.next_seq();
        self.wbuf.clear();
        codec::encode(req, self.family, seq, self.pid, &mut self.wbuf);
        self.send_wbuf()?;
        self.wait_for(seq, on_msg)
    }

    /// Reads until the request `seq` is answered: ACK or error for "do"
    /// requests, DONE or error for dumps. Messages of other sequence numbers
    /// are skipped. A decoding failure in `on_msg` does not stop the reading
    /// (the socket stays in step); it is reported at the end as EBADMSG.
    fn wait_for<F>(&mut self, seq: u32, mut on_msg: F) -> Result<(), IpvsError>
    where
        F: FnMut(u8, &[u8]) -> Result<(), codec::CodecError>,
    {
        let mut first_err: Option<IpvsError> = None;
        let mut truncated = false;
        loop {
            let count = match self.recv_many(Msg::empty()) {
                Ok(count) => count,
                // No answer at all: see RECV_TIMEOUT_SECS.
                Err(e) if e.errno == libc::EAGAIN => return Err(IpvsError::new(libc::EINTR)),
                Err(e) => return Err(e),
            };
            let mut finished = false;
            if self.trunc != 0 {
                // Lost content: read the rest whole, report EMSGSIZE at
                // the end (the socket stays in step).
                truncated = true;
                self.offer = RECV_BUF;
            }
            for slot in 0..count {
                let off = slot * RECV_BUF;
                let datagram = &self.rbuf[off..off + self.rlens[slot]];
                for m in codec::messages(datagram) {
                    let m = m.map_err(codec_err)?;
                    if m.seq() != seq || finished {
                        continue;
                    }
                    match m {
                        Reply::Message { cmd, attrs, .. } => {
                            if first_err.is_none() {
                                if let Err(e) = on_msg(cmd, attrs) {
                                    first_err = Some(codec_err(e));
                                }
                            }
                        }
                        Reply::Ack { .. } => finished = true,
                        Reply::Done { .. } => finished = true,
                        Reply::Error { errno, .. } => {
                            // A kernel error wins over a local decoding problem.
                            first_err = Some(IpvsError::new(errno));
                            finished = true;
                        }
                    }
                }
            }
            if finished {
                return match first_err {
                    Some(e) => Err(e),
                    None if truncated => Err(IpvsError::new(libc::EMSGSIZE)),
                    None => Ok(()),
                };
            }
        }
    }

    fn send_wbuf(&self) -> Result<(), IpvsError> {
        loop {
            match self.sock.send(&self.wbuf, Msg::empty()) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(IpvsError::from_io(&e)),
            }
        }
    }

    /// Receives up to `SLOTS` datagrams (waiting for the first one only,
    /// unless `flags` has DONTWAIT) into the slots of `rbuf`; their lengths
    /// go to `rlens`, truncated ones are flagged in `trunc` (length 0).
    /// Returns how many were received (at least one).
    fn recv_many(&mut self, flags: Msg) -> Result<usize, IpvsError> {
        let fd = self.sock.as_raw_fd();
        let base = self.rbuf.as_mut_ptr();
        // SAFETY: an all-zero iovec is a valid value (null pointer, length 0).
        let mut iov: [libc::iovec; SLOTS] = unsafe { std::mem::zeroed() };
        // SAFETY: likewise for mmsghdr (null pointers, zero lengths/flags).
        let mut hdrs: [libc::mmsghdr; SLOTS] = unsafe { std::mem::zeroed() };
        for (i, (v, h)) in iov.iter_mut().zip(hdrs.iter_mut()).enumerate() {
            // SAFETY: slot i lies inside `rbuf` (SLOTS * RECV_BUF bytes).
            v.iov_base = unsafe { base.add(i * RECV_BUF) }.cast();
            v.iov_len = self.offer;
            h.msg_hdr.msg_iov = v;
            h.msg_hdr.msg_iovlen = 1;
        }
        let flags = flags.bits() as libc::c_int | libc::MSG_WAITFORONE | libc::MSG_TRUNC;
        loop {
            // SAFETY: recvmmsg(2) on our socket; every header points to one
            // iovec describing a distinct RECV_BUF-byte slot of `rbuf`, all
            // of which outlive the call; no sender address is requested; no
            // timeout.
            let n = unsafe {
                libc::recvmmsg(
                    fd,
                    hdrs.as_mut_ptr(),
                    SLOTS as libc::c_uint,
                    flags,
                    std::ptr::null_mut(),
                )
            };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.raw_os_error() {
                    Some(libc::EINTR) => continue,
                    Some(libc::EWOULDBLOCK) => return Err(IpvsError::new(libc::EAGAIN)),
                    _ => return Err(IpvsError::from_io(&e)),
                }
            }
            let n = n as usize;
            self.trunc = 0;
            for (i, (len, h)) in self.rlens.iter_mut().zip(&hdrs[..n]).enumerate() {
                // With MSG_TRUNC netlink reports the datagram's full length.
                if h.msg_hdr.msg_flags & libc::MSG_TRUNC != 0 || h.msg_len as usize > self.offer {
                    self.trunc |= 1 << i;
                    *len = 0;
                } else {
                    *len = h.msg_len as usize;
                }
            }
            return Ok(n);
        }
    }
}

/// Drops the later of two entries for the same real server (family,
/// address, port) in one service's dump. The kernel resumes a dump that
/// takes several messages by position in the service's list, and adds new
/// real servers at the head of that list: one added between two parts
/// pushes the previous part's last entries into the next part, which lists
/// them again (seen with writers adding real servers during `-Ln -j`).
fn drop_repeated_dests(dests: &mut Vec<Dest>) {
    if dests.len() < 2 {
        return;
    }
    let mut seen = std::collections::HashSet::with_capacity(dests.len());
    dests.retain(|d| seen.insert((d.af, d.addr, d.port)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_server_listed_twice_in_a_dump_is_listed_once() {
        let dest = |last: u8, port: u16, weight: i32| Dest {
            af: libc::AF_INET as u16,
            addr: crate::model::raw_from_ip([198, 51, 100, last].into()),
            port,
            fwd: 0,
            weight,
            u_threshold: 0,
            l_threshold: 0,
            active_conns: 0,
            inact_conns: 0,
            persist_conns: 0,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
            stats: Default::default(),
        };
        let mut v = vec![
            dest(1, 80, 1),
            dest(2, 80, 1),
            dest(1, 81, 1),
            dest(2, 80, 5),
            dest(3, 80, 1),
        ];
        drop_repeated_dests(&mut v);
        let keys: Vec<(u8, u16, i32)> = v.iter().map(|d| (d.addr[3], d.port, d.weight)).collect();
        assert_eq!(keys, vec![(1, 80, 1), (2, 80, 1), (1, 81, 1), (3, 80, 1)]);
    }

    /// Runs against the host kernel: either IPVS is there (and GET_INFO
    /// answers), or `open` reports what ipvsadm reports (ENOPROTOOPT as root
    /// without IPVS, EPERM without privileges).
    #[test]
    fn open_reports_ipvsadm_errno() {
        match Ipvs::open() {
            Ok(ipvs) => assert!(ipvs.info().version > 0),
            Err(e) => assert!(
                e.errno == libc::ENOPROTOOPT || e.errno == libc::EPERM,
                "unexpected errno {}",
                e.errno
            ),
        }
    }

    /// The family lookup itself works on any kernel: "nlctrl" always exists.
    #[test]
    fn resolves_a_family_that_exists() {
        let mut ipvs = Ipvs::connect().unwrap();
        let seq = ipvs.next_seq();
        ipvs.wbuf.clear();
        codec::encode_get_family("nlctrl", seq, ipvs.pid, &mut ipvs.wbuf);
        ipvs.send_wbuf().unwrap();
        let mut id = None;
        ipvs.wait_for(seq, |cmd, attrs| {
            assert_eq!(cmd, codec::CTRL_CMD_NEWFAMILY);
            id = Some(codec::parse_family_id(attrs)?);
            Ok(())
        })
        .unwrap();
        assert_eq!(id, Some(codec::GENL_ID_CTRL));
        // And a missing one is an error, not a hang.
        let seq = ipvs.next_seq();
        ipvs.wbuf.clear();
        codec::encode_get_family("NO-SUCH-FAMILY", seq, ipvs.pid, &mut ipvs.wbuf);
        ipvs.send_wbuf().unwrap();
        let err = ipvs.wait_for(seq, |_, _| Ok(())).unwrap_err();
        assert_eq!(err.errno, libc::ENOENT);
    }

    /// The pipelining machinery against the always-present controller
    /// family: IPVS command numbers the controller does not implement are
    /// each answered by an error ACK, and every answer must land on its own
    /// request, in order, across many send batches.
    #[test]
    fn batch_results_match_requests() {
        let mut ipvs = Ipvs::connect().unwrap();
        ipvs.family = codec::GENL_ID_CTRL;
        let reqs: Vec<Request> = (0..5000)
            .map(|i| {
                if i % 2 == 0 {
                    Request::Flush
                } else {
                    Request::NewService(crate::model::Service::new(crate::model::AF_INET))
                }
            })
            .collect();
        let res = ipvs.execute_batch(&reqs);
        assert_eq!(res.len(), reqs.len());
        for r in &res {
            let e = r.unwrap_err();
            assert_eq!(e.errno, libc::EOPNOTSUPP, "{e:?}");
        }
        // The socket is still in step: a lookup right after works.
        let seq = ipvs.next_seq();
        ipvs.wbuf.clear();
        codec::encode_get_family("nlctrl", seq, ipvs.pid, &mut ipvs.wbuf);
        ipvs.send_wbuf().unwrap();
        ipvs.wait_for(seq, |_, _| Ok(())).unwrap();
    }

    /// Forced overrun: a tiny receive buffer and a window far too large.
    /// Lost ACKs must surface as ENOBUFS on exactly the requests concerned,
    /// never hang, never shift other results; the window shrinks.
    #[test]
    fn overrun_is_reported_not_misattributed() {
        let mut ipvs = Ipvs::connect().unwrap();
        ipvs.family = codec::GENL_ID_CTRL;
        let fd = ipvs.sock.as_raw_fd();
        assert!(
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, 4096)
                || setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 4096)
        );
        ipvs.window = MAX_BATCH;
        let reqs = vec![Request::Flush; 3000];
        let res = ipvs.execute_batch(&reqs);
        assert_eq!(res.len(), reqs.len());
        let lost = res
            .iter()
            .filter(|r| r.unwrap_err().errno == libc::ENOBUFS)
            .count();
        let answered = res
            .iter()
            .filter(|r| r.unwrap_err().errno == libc::EOPNOTSUPP)
            .count();
        assert_eq!(lost + answered, reqs.len());
        assert!(lost > 0, "expected an overrun with a 4 KiB buffer");
        assert!(ipvs.window < MAX_BATCH);
    }

    /// With the window derived from the actual receive buffer, a modest
    /// buffer loses nothing.
    #[test]
    fn computed_window_avoids_overrun() {
        let mut ipvs = Ipvs::connect().unwrap();
        ipvs.family = codec::GENL_ID_CTRL;
        let fd = ipvs.sock.as_raw_fd();
        assert!(
            setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUFFORCE, 32768)
                || setsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF, 32768)
        );
        let rcvbuf = getsockopt_int(fd, libc::SOL_SOCKET, libc::SO_RCVBUF).unwrap();
        ipvs.window = window_for(rcvbuf);
        let reqs = vec![Request::Zero(None); 3000];
        let res = ipvs.execute_batch(&reqs);
        assert!(res.iter().all(|r| r.unwrap_err().errno == libc::EOPNOTSUPP));
    }
}

/// Tests against a real IPVS kernel (the qemu guest of the test harness);
/// ignored by default: `cargo test -- --ignored live`, as root, with the
/// `ip_vs`, `ip_vs_rr` and `dummy` modules loaded and `dummy0` up.
#[cfg(test)]
mod live {
    use super::*;
    use crate::model::*;
    use std::time::Instant;

    fn ip(s: &str) -> RawAddr {
        raw_from_ip(s.parse().unwrap())
    }

    fn svc(addr: &str, port: u16) -> Service {
        let mut s = Service::new(AF_INET);
        s.protocol = IPPROTO_TCP;
        s.addr = ip(addr);
        s.port = port;
        s.sched_name = "rr".into();
        s
    }

    fn dest(addr: &str, port: u16) -> Dest {
        let mut d = Dest::new(if addr.contains(':') {
            AF_INET6
        } else {
            AF_INET
        });
        d.addr = ip(addr);
        d.port = port;
        d
    }

    #[test]
    #[ignore]
    fn live_ipvs() {
        let mut ipvs = Ipvs::open().expect("open");
        assert_eq!(ipvs.info().version, 0x010201);
        println!("info {:?}", ipvs.info());
        ipvs.execute(&Request::Flush).unwrap();
        assert!(ipvs.services().unwrap().is_empty());

        // -A -t 192.0.2.100:80 -s rr -p 100 -M 255.255.255.0
        let mut s = svc("192.0.2.100", 80);
        s.flags = SVC_F_PERSISTENT;
        s.timeout = 100;
        s.netmask = 0xffff_ff00;
        ipvs.execute(&Request::NewService(s.clone())).unwrap();
        let e = ipvs.execute(&Request::NewService(s.clone())).unwrap_err();
        assert_eq!(e.errno, libc::EEXIST);
        let mut bad = svc("192.0.2.101", 80);
        bad.sched_name = "nosuch".into();
        let e = ipvs.execute(&Request::NewService(bad)).unwrap_err();
        assert_eq!(e.errno, libc::ENOENT);
        let list = ipvs.services().unwrap();
        assert_eq!(list.len(), 1);
        let got = &list[0];
        assert_eq!(got.sched_name, "rr");
        assert_eq!(got.flags, SVC_F_PERSISTENT | SVC_F_HASHED);
        assert_eq!((got.timeout, got.netmask, got.port), (100, 0xffff_ff00, 80));
        assert_eq!(got.addr, s.addr);

        // do-GET by key, and a missing key.
        let one = ipvs.service(&svc("192.0.2.100", 80)).unwrap();
        assert_eq!(&one, got);
        let e = ipvs.service(&svc("192.0.2.100", 81)).unwrap_err();
        assert_eq!(e.errno, libc::ESRCH);

        // -a ... -m -w 2 -x 10 -y 5 and a GUE tunnel dest of another family.
        let key = svc("192.0.2.100", 80);
        let mut d = dest("198.51.100.50", 8080);
        d.fwd = FWD_MASQ;
        d.weight = 2;
        d.u_threshold = 10;
        d.l_threshold = 5;
        ipvs.execute(&Request::NewDest(key.clone(), d.clone()))
            .unwrap();
        let e = ipvs
            .execute(&Request::NewDest(key.clone(), d.clone()))
            .unwrap_err();
        assert_eq!(e.errno, libc::EEXIST);
        let mut t = dest("2001:db8::5", 80);
        t.fwd = FWD_TUNNEL;
        t.tun_type = TUN_TYPE_GUE;
        t.tun_port = 6080;
        t.tun_flags = TUN_F_CSUM;
        ipvs.execute(&Request::NewDest(key.clone(), t.clone()))
            .unwrap();
        let mut x = d.clone();
        x.l_threshold = 50;
        let e = ipvs.execute(&Request::SetDest(key.clone(), x)).unwrap_err();
        assert_eq!(e.errno, libc::ERANGE);
        let ds = ipvs.dests(&key).unwrap();
        println!("dests {ds:?}");
        assert_eq!(ds.len(), 2);
        let m = ds.iter().find(|x| x.af == AF_INET).unwrap();
        assert_eq!(
            (m.addr, m.port, m.fwd, m.weight),
            (d.addr, 8080, FWD_MASQ, 2)
        );
        assert_eq!((m.u_threshold, m.l_threshold), (10, 5));
        let g = ds.iter().find(|x| x.af == AF_INET6).unwrap();
        assert_eq!(
            (g.addr, g.fwd & 7, g.tun_type, g.tun_port, g.tun_flags),
            (t.addr, FWD_TUNNEL, TUN_TYPE_GUE, 6080, TUN_F_CSUM)
        );
        // dests of a missing service: empty dump, no error.
        assert!(ipvs.dests(&svc("192.0.2.99", 1)).unwrap().is_empty());

        // IPv6 and fwmark services.
        let mut v6 = Service::new(AF_INET6);
        v6.protocol = IPPROTO_UDP;
        v6.addr = ip("2001:db8::1");
        v6.port = 53;
        v6.sched_name = "wlc".into();
        v6.flags = SVC_F_PERSISTENT;
        v6.timeout = 360;
        v6.netmask = 64;
        ipvs.execute(&Request::NewService(v6.clone())).unwrap();
        let mut fw = Service::new(AF_INET);
        fw.fwmark = 7;
        fw.sched_name = "rr".into();
        ipvs.execute(&Request::NewService(fw.clone())).unwrap();
        let list = ipvs.services().unwrap();
        assert_eq!(list.len(), 3);
        let g6 = list.iter().find(|s| s.af == AF_INET6).unwrap();
        assert_eq!((g6.netmask, g6.port, g6.protocol), (64, 53, IPPROTO_UDP));
        let gf = list.iter().find(|s| s.fwmark == 7).unwrap();
        assert_eq!(gf.protocol, 0);
        assert_eq!(ipvs.service(&fw).unwrap().fwmark, 7);

        // Set / del / zero.
        let mut e2 = svc("192.0.2.100", 80);
        e2.sched_name = "wlc".into();
        ipvs.execute(&Request::SetService(e2)).unwrap();
        assert_eq!(ipvs.service(&key).unwrap().flags, SVC_F_HASHED);
        let e = ipvs
            .execute(&Request::SetService(svc("192.0.2.9", 80)))
            .unwrap_err();
        assert_eq!(e.errno, libc::ESRCH);
        ipvs.execute(&Request::Zero(Some(key.clone()))).unwrap();
        ipvs.execute(&Request::Zero(None)).unwrap();
        let e = ipvs
            .execute(&Request::Zero(Some(svc("192.0.2.9", 80))))
            .unwrap_err();
        assert_eq!(e.errno, libc::ESRCH);
        ipvs.execute(&Request::DelDest(key.clone(), d.clone()))
            .unwrap();
        let e = ipvs.execute(&Request::DelDest(key.clone(), d)).unwrap_err();
        assert_eq!(e.errno, libc::ENOENT);
        ipvs.execute(&Request::DelService(fw)).unwrap();

        // Timeouts.
        let t0 = ipvs.timeouts().unwrap();
        assert_eq!(
            t0,
            Timeouts {
                tcp: 900,
                tcp_fin: 120,
                udp: 300
            }
        );
        ipvs.execute(&Request::SetConfig(Timeouts {
            tcp: 0,
            tcp_fin: 5,
            udp: 0,
        }))
        .unwrap();
        assert_eq!(
            ipvs.timeouts().unwrap(),
            Timeouts {
                tcp: 900,
                tcp_fin: 5,
                udp: 300
            }
        );
        ipvs.execute(&Request::SetConfig(t0)).unwrap();

        // Sync daemons (refused with EINVAL while mixed-family dests exist).
        ipvs.execute(&Request::Flush).unwrap();
        assert!(ipvs.daemons().unwrap().is_empty());
        let master = Daemon {
            state: DAEMON_MASTER,
            mcast_ifn: "dummy0".into(),
            syncid: 0,
            sync_maxlen: 0,
            mcast_group: None,
            mcast_port: 0,
            mcast_ttl: 0,
        };
        let backup = Daemon {
            state: DAEMON_BACKUP,
            syncid: 7,
            sync_maxlen: 1000,
            mcast_group: Some("ff02::1234".parse().unwrap()),
            mcast_port: 9999,
            mcast_ttl: 5,
            ..master.clone()
        };
        let mut bad = master.clone();
        bad.mcast_ifn = "nosuch0".into();
        assert_eq!(
            ipvs.execute(&Request::NewDaemon(bad)).unwrap_err().errno,
            libc::ENODEV
        );
        ipvs.execute(&Request::NewDaemon(master.clone())).unwrap();
        assert_eq!(
            ipvs.execute(&Request::NewDaemon(master.clone()))
                .unwrap_err()
                .errno,
            libc::EEXIST
        );
        ipvs.execute(&Request::NewDaemon(backup.clone())).unwrap();
        // Let the sync threads start: stopping one that never ran makes the
        // kernel skip the ACK (reported as EINTR after the receive timeout).
        std::thread::sleep(std::time::Duration::from_secs(2));
        let ds = ipvs.daemons().unwrap();
        println!("daemons {ds:?}");
        assert_eq!(ds.len(), 2);
        assert_eq!(ds[0].state, DAEMON_MASTER);
        assert_eq!(ds[0].mcast_group, Some("224.0.0.81".parse().unwrap()));
        assert_eq!(ds[0].mcast_port, 8848);
        assert_eq!(ds[1].mcast_group, backup.mcast_group);
        assert_eq!(
            (ds[1].syncid, ds[1].mcast_port, ds[1].mcast_ttl),
            (7, 9999, 5)
        );
        let mut stop = backup.clone();
        stop.mcast_ifn = String::new();
        ipvs.execute(&Request::DelDaemon(stop.clone())).unwrap();
        assert_eq!(
            ipvs.execute(&Request::DelDaemon(stop)).unwrap_err().errno,
            libc::ESRCH
        );
        ipvs.execute(&Request::DelDaemon(master)).unwrap();

        // Pipelined batch with errors at known places.
        ipvs.execute(&Request::Flush).unwrap();
        let n_svc = 2500usize;
        let mut reqs = Vec::new();
        let mut svcs = Vec::new();
        for i in 0..n_svc {
            let s = svc(&format!("192.0.2.{}", i % 250 + 1), 1000 + (i / 250) as u16);
            reqs.push(Request::NewService(s.clone()));
            for j in 0..4u16 {
                reqs.push(Request::NewDest(
                    s.clone(),
                    dest(&format!("198.51.100.{}", j + 1), 80),
                ));
            }
            svcs.push(s);
        }
        let dup_at = 7777;
        reqs.insert(dup_at, reqs[dup_at - 1].clone()); // a duplicate → EEXIST exactly there
        reqs.insert(
            9001,
            Request::DelDest(svc("192.0.2.9", 1), dest("198.51.100.1", 80)),
        );
        let t = Instant::now();
        let res = ipvs.execute_batch(&reqs);
        println!("batch of {} in {:?}", reqs.len(), t.elapsed());
        for (i, r) in res.iter().enumerate() {
            match i {
                i if i == dup_at => assert_eq!(r.unwrap_err().errno, libc::EEXIST, "at {i}"),
                9001 => assert_eq!(r.unwrap_err().errno, libc::ESRCH, "at {i}"),
                _ => assert!(r.is_ok(), "at {i}: {r:?}"),
            }
        }
        let t = Instant::now();
        let list = ipvs.services().unwrap();
        let all = ipvs.dests_many(&list).unwrap();
        println!(
            "listed {} services / {} dests in {:?}",
            list.len(),
            all.iter().map(Vec::len).sum::<usize>(),
            t.elapsed()
        );
        assert_eq!(list.len(), n_svc);
        assert!(all.iter().all(|d| d.len() == 4));
        let mine = ipvs.dests_many(&svcs).unwrap();
        assert!(mine.iter().all(|d| d.len() == 4));
        ipvs.execute(&Request::Flush).unwrap();
        println!("LIVE OK");
    }
}

/// Timing helpers for the qemu guest (ignored by default): populate
/// 10000 services x 4 destinations, then list them, printing the times.
#[cfg(test)]
mod live_scale {
    use super::*;
    use crate::model::*;
    use std::time::Instant;

    #[test]
    #[ignore]
    fn live_scale_populate() {
        let mut ipvs = Ipvs::open().expect("open");
        ipvs.execute(&Request::Flush).unwrap();
        let mut reqs = Vec::new();
        for i in 0..10_000u32 {
            let mut s = Service::new(AF_INET);
            s.protocol = IPPROTO_TCP;
            s.addr = raw_from_ip(std::net::IpAddr::V4(std::net::Ipv4Addr::from(
                0x0a00_0000 + i,
            )));
            s.port = 80;
            s.sched_name = "wlc".into();
            reqs.push(Request::NewService(s.clone()));
            for j in 0..4u8 {
                let mut d = Dest::new(AF_INET);
                d.addr = raw_from_ip(std::net::IpAddr::V4(std::net::Ipv4Addr::new(
                    198,
                    51,
                    100,
                    j + 1,
                )));
                d.port = 80;
                d.fwd = FWD_MASQ;
                reqs.push(Request::NewDest(s.clone(), d));
            }
        }
        let t = Instant::now();
        let res = ipvs.execute_batch(&reqs);
        println!("populate {} requests: {:?}", reqs.len(), t.elapsed());
        assert!(res.iter().all(|r| r.is_ok()));
    }

    #[test]
    #[ignore]
    fn live_scale_list() {
        let t = Instant::now();
        let mut ipvs = Ipvs::open().expect("open");
        let list = ipvs.services().unwrap();
        let t1 = t.elapsed();
        let all = ipvs.dests_many(&list).unwrap();
        println!(
            "list {} services ({:?}) / {} dests: {:?}",
            list.len(),
            t1,
            all.iter().map(Vec::len).sum::<usize>(),
            t.elapsed()
        );
    }
}
