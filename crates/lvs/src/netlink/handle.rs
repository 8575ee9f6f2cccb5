//! The handle: [`Ipvs`], one generic-netlink socket with the `IPVS` family
//! resolved once (plus a second socket for service dumps, see
//! [`Ipvs::services`]); requests encoded by the codec and sent as raw
//! bytes, replies decoded in place.
//!
//! neli's low-level `NlSocket` is used for the socket itself (create, bind,
//! port id, `send` of byte buffers). Its typed handles are not used:
//! requests are pre-encoded by the codec (byte-exact with ipvsadm, and many
//! of them packed in one buffer for pipelining, see `batch`), and replies
//! are decoded where they were received. nix sets the socket options;
//! [`sys`](super::sys) holds the calls neither covers (`recvmmsg`: a dump's
//! data and its `NLMSG_DONE` are separate datagrams, as are a "do" reply and
//! its ACK, and pipelined ACKs; one `recvmmsg` fetches them in one system
//! call instead of one `recv` each, which matters for 10 000 dumps in a row).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use neli::consts::socket::{Msg, NlFamily};
use neli::socket::NlSocket;
use neli::utils::Groups;
use nix::sys::socket::{setsockopt, sockopt};

use super::codec::{self, DecodeError, EncodeError, Reply, Request};
use super::error::{Error, Op};
use super::{ctrl, sys};
use crate::model::{Daemon, Dest, Info, Service, ServiceKey, Timeouts};

/// Receive buffer size. The kernel builds dump skbs of at most 32 KiB
/// (`netlink_dump` caps its allocation there), and every other reply to an
/// IPVS request (an ACK, an error echoing our header, one service) is far
/// smaller, so one 64 KiB buffer always holds a whole datagram. `MSG_TRUNC`
/// is still used to detect the impossible case instead of losing data
/// silently.
pub(super) const RECV_BUF: usize = 64 * 1024;
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
pub(super) const RECV_SMALL: usize = 4096 - 320;
/// Datagrams fetched by one `recvmmsg` (each slot holds [`RECV_BUF`] bytes).
pub(super) const SLOTS: usize = sys::SLOTS_MAX;
/// Requested socket receive buffer (the kernel doubles it).
const WANT_RCVBUF: usize = 4 * 1024 * 1024;
/// Requested socket send buffer (bounds the size of one pipelined write).
const WANT_SNDBUF: usize = 1024 * 1024;
/// Assumed buffer size when it cannot be read back (the usual default).
const DEFAULT_BUF: usize = 212_992;
/// Upper bound on the bytes of one pipelined write.
pub(super) const MAX_SEND: usize = 256 * 1024;
/// No encoded IPVS request comes close to this size (names are bounded by
/// the encoder).
pub(super) const MAX_REQUEST: usize = 1024;

/// Receive timeout. Every IPVS request is processed synchronously inside
/// `send` (and each further dump part inside the `recv` that precedes it),
/// so a reply is always already queued when we read. One exception: when an
/// operation returns -EINTR the kernel sends no ACK at all (netlink_rcv_skb
/// skips it; observed when stopping a sync daemon whose thread had not run
/// yet: kthread_stop returns -EINTR). ipvsadm then blocks forever; we give up
/// after this long and report EINTR, the kernel's result.
const RECV_TIMEOUT_SECS: i64 = 5;

/// A failure inside the handle, before the operation is known: cheap to
/// copy across the results of a batch. Turned into an [`Error`] by
/// [`Fail::with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Fail {
    /// The kernel answered with this errno.
    Kernel(i32),
    /// The socket failed with, or the missing answer stands for, this errno.
    Os(i32),
    /// An answer could not be decoded.
    Decode(DecodeError),
    /// A request could not be encoded.
    Encode(EncodeError),
}

impl Fail {
    pub(super) fn io(e: &io::Error) -> Fail {
        Fail::Os(e.raw_os_error().unwrap_or(libc::EIO))
    }

    /// The public error for operation `op`.
    pub(super) fn with(self, op: Op) -> Error {
        match self {
            Fail::Kernel(errno) => Error::Kernel { op, errno },
            Fail::Os(errno) => Error::os(op, errno),
            Fail::Decode(source) => Error::Decode { op, source },
            Fail::Encode(source) => Error::Encode { op, source },
        }
    }
}

impl From<DecodeError> for Fail {
    fn from(e: DecodeError) -> Fail {
        Fail::Decode(e)
    }
}

impl From<EncodeError> for Fail {
    fn from(e: EncodeError) -> Fail {
        Fail::Encode(e)
    }
}

/// A handle on the kernel's IPVS: socket, family id, sequence counter and the
/// GET_INFO answer obtained when opening.
///
/// ```no_run
/// use lvs::netlink::Ipvs;
/// let mut ipvs = Ipvs::open()?;
/// for svc in ipvs.services()? {
///     println!("{:?} with {} destinations", svc.port, ipvs.dests(&svc.key())?.len());
/// }
/// # Ok::<(), lvs::netlink::Error>(())
/// ```
pub struct Ipvs {
    pub(super) sock: NlSocket,
    pub(super) family: u16,
    pub(super) pid: u32,
    pub(super) seq: u32,
    info: Info,
    /// `SLOTS` receive slots of `RECV_BUF` bytes each.
    pub(super) rbuf: Vec<u8>,
    /// Bytes offered per slot to `recvmmsg` ([`RECV_SMALL`] or [`RECV_BUF`]).
    pub(super) offer: usize,
    /// Lengths of the datagrams received in each slot by the last receive
    /// (0 for a truncated one).
    pub(super) rlens: [usize; SLOTS],
    /// Bit `i` set: the datagram of slot `i` of the last receive was
    /// truncated (longer than the offer); its content is not used.
    pub(super) trunc: u32,
    pub(super) wbuf: Vec<u8>,
    /// Maximum number of requests whose ACKs may be outstanding at once.
    pub(super) window: usize,
    /// Maximum bytes in one `send`.
    pub(super) max_send: usize,
    /// The socket for service dumps, when it must be made in advance: a
    /// handle opened in another network namespace cannot create one later
    /// without entering that namespace again.
    bulk: Option<Box<Ipvs>>,
    /// Set when `bulk` was made in advance: it is kept for the next dump.
    keep_bulk: bool,
}

/// The handle's identity, not its buffers.
impl std::fmt::Debug for Ipvs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ipvs")
            .field("family", &self.family)
            .field("pid", &self.pid)
            .field("seq", &self.seq)
            .field("info", &self.info)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

/// The errno ipvsadm ends up reporting when the `IPVS` generic netlink family
/// cannot be resolved: libipvs then falls back to a raw IPv4 socket and
/// `getsockopt(IP_VS_SO_GET_INFO)`. Without CAP_NET_RAW the socket fails
/// (EPERM); without IPVS the getsockopt fails (ENOPROTOOPT). lvsadm has no
/// setsockopt mode, so if that probe unexpectedly succeeds, ENOPROTOOPT is
/// reported as well.
fn sockopt_fallback_errno() -> i32 {
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockProtocol, SockType};
    let fd = match socket(
        AddressFamily::Inet,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC,
        SockProtocol::Raw,
    ) {
        Ok(fd) => fd,
        Err(e) => return e as i32,
    };
    match sys::ip_vs_get_info(fd.as_fd()) {
        Err(e) => e.raw_os_error().unwrap_or(libc::ENOPROTOOPT),
        Ok(_) => libc::ENOPROTOOPT,
    }
}

/// How many requests may await their ACK at once with a receive buffer of
/// `rcvbuf` bytes (the value `getsockopt(SO_RCVBUF)` reports).
pub(super) fn window_for(rcvbuf: usize) -> usize {
    (rcvbuf / super::batch::ACK_COST).clamp(8, super::batch::MAX_BATCH)
}

/// A new generic netlink socket in the calling thread's network namespace.
fn new_socket() -> io::Result<NlSocket> {
    NlSocket::connect(NlFamily::Generic, None, Groups::empty())
}

impl Ipvs {
    /// Opens the socket, resolves "IPVS" and sends GET_INFO, in the calling
    /// thread's network namespace.
    ///
    /// The error's [`errno`](Error::errno) is the one ipvsadm would report:
    /// if the family is not found (or the netlink socket cannot be set up)
    /// that of ipvsadm's setsockopt fallback
    /// ([`Error::Unavailable`]: ENOPROTOOPT as root without IPVS, EPERM
    /// without privileges); otherwise GET_INFO's error (EPERM as non-root).
    pub fn open() -> Result<Ipvs, Error> {
        let sock = new_socket().map_err(|_| Error::Unavailable {
            errno: sockopt_fallback_errno(),
        })?;
        Ipvs::open_on(sock, None)
    }

    /// Opens a handle inside the network namespace whose file is `path`
    /// (`/run/netns/NAME`, `/proc/PID/ns/net`, ...), without moving the
    /// calling thread: a short-lived thread enters the namespace and creates
    /// the sockets there, and sockets stay bound to the namespace they were
    /// created in. Both sockets (see [`Ipvs::services`]) are made at once.
    ///
    /// Needs `CAP_SYS_ADMIN` (as `setns(2)` does). Errors: [`Error::Namespace`]
    /// if the file cannot be opened or entered; then as [`Ipvs::open`].
    pub fn open_in_netns(path: impl AsRef<Path>) -> Result<Ipvs, Error> {
        let path = path.as_ref();
        let ns_err = |source: io::Error| Error::Namespace {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(ns_err)?;
        let ns: OwnedFd = file.into();
        let made = std::thread::scope(|s| {
            s.spawn(
                || -> io::Result<(io::Result<NlSocket>, io::Result<NlSocket>)> {
                    nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET)
                        .map_err(io::Error::from)?;
                    Ok((new_socket(), new_socket()))
                },
            )
            .join()
        });
        let (main, bulk) = match made {
            Ok(r) => r.map_err(ns_err)?,
            Err(_) => return Err(ns_err(io::Error::other("namespace thread panicked"))),
        };
        let unavailable = |_| Error::Unavailable {
            errno: sockopt_fallback_errno(),
        };
        let (main, bulk) = (main.map_err(unavailable)?, bulk.map_err(unavailable)?);
        Ipvs::open_on(main, Some(bulk))
    }

    /// Opens a handle inside the network namespace `name` as `ip netns`
    /// names them (a file under [`crate::netns::NETNS_RUN_DIR`]); see
    /// [`Ipvs::open_in_netns`]. A name that is empty, `.`, `..` or contains
    /// a `/` is refused with [`Error::Namespace`] (EINVAL).
    pub fn open_in_named_netns(name: &str) -> Result<Ipvs, Error> {
        match crate::netns::named_path(name) {
            Some(path) => Ipvs::open_in_netns(path),
            None => Err(Error::Namespace {
                path: name.into(),
                source: io::Error::from_raw_os_error(libc::EINVAL),
            }),
        }
    }

    /// Sets up `sock` (and `bulk`), resolves the family, asks GET_INFO.
    fn open_on(sock: NlSocket, bulk: Option<NlSocket>) -> Result<Ipvs, Error> {
        let unavailable = || Error::Unavailable {
            errno: sockopt_fallback_errno(),
        };
        let mut ipvs = Ipvs::with_socket(sock).map_err(|_| unavailable())?;
        if ipvs.resolve_family().is_err() {
            return Err(unavailable());
        }
        let op = Op::Other;
        let mut info = None;
        ipvs.request(&Request::GetInfo, |_, attrs| {
            info.get_or_insert(codec::parse_info(attrs)?);
            Ok(())
        })
        .map_err(|f| f.with(op))?;
        ipvs.info = info.ok_or(Error::Decode {
            op,
            source: DecodeError::Missing("info"),
        })?;
        if let Some(b) = bulk {
            let mut b = Ipvs::with_socket(b).map_err(|e| Fail::io(&e).with(Op::Other))?;
            b.family = ipvs.family;
            b.offer = RECV_BUF;
            ipvs.bulk = Some(Box::new(b));
            ipvs.keep_bulk = true;
        }
        Ok(ipvs)
    }

    /// Socket options, buffer sizes, port id.
    pub(super) fn connect() -> io::Result<Ipvs> {
        Ipvs::with_socket(new_socket()?)
    }

    fn with_socket(sock: NlSocket) -> io::Result<Ipvs> {
        let fd = sys::fd_of(&sock);
        // Large buffers: SO_*BUFFORCE works as root (CAP_NET_ADMIN) beyond
        // the sysctl maxima; otherwise the capped variant. If that fails
        // too, the default size stays: the pipelining window and the send
        // size are derived from the sizes read back below, so any size
        // works, only more slowly (ipvsadm sets no size at all).
        if setsockopt(&fd, sockopt::RcvBufForce, &WANT_RCVBUF).is_err() {
            let _ = setsockopt(&fd, sockopt::RcvBuf, &WANT_RCVBUF);
        }
        if setsockopt(&fd, sockopt::SndBufForce, &WANT_SNDBUF).is_err() {
            let _ = setsockopt(&fd, sockopt::SndBuf, &WANT_SNDBUF);
        }
        // Smaller error ACKs (Linux 4.3 and later). Refused by older
        // kernels, which then echo whole requests: larger answers, same
        // meaning; deliberately ignored.
        let _ = sys::set_netlink_cap_ack(fd);
        // See RECV_TIMEOUT_SECS. Without it (never seen to fail on a
        // netlink socket), a missing ACK blocks as it blocks ipvsadm:
        // deliberately ignored.
        let tv = nix::sys::time::TimeVal::new(RECV_TIMEOUT_SECS, 0);
        let _ = setsockopt(&fd, sockopt::ReceiveTimeout, &tv);
        let rcvbuf = nix::sys::socket::getsockopt(&fd, sockopt::RcvBuf).unwrap_or(DEFAULT_BUF);
        let sndbuf = nix::sys::socket::getsockopt(&fd, sockopt::SndBuf).unwrap_or(DEFAULT_BUF);
        let window = window_for(rcvbuf);
        // netlink_sendmsg refuses messages longer than sk_sndbuf - 32.
        let max_send = sndbuf.saturating_sub(32).clamp(MAX_REQUEST * 4, MAX_SEND);
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
            bulk: None,
            keep_bulk: false,
        })
    }

    /// `CTRL_CMD_GETFAMILY` "IPVS" → family id (once per handle).
    fn resolve_family(&mut self) -> Result<(), Fail> {
        self.family = self.family_id(codec::IPVS_GENL_NAME)?;
        Ok(())
    }

    /// The id of the generic netlink family `name` (ENOENT if absent).
    pub(super) fn family_id(&mut self, name: &str) -> Result<u16, Fail> {
        let seq = self.next_seq();
        self.wbuf.clear();
        ctrl::encode_get_family(name, seq, self.pid, &mut self.wbuf)?;
        self.send_wbuf()?;
        let mut family = None;
        self.wait_for(seq, |cmd, attrs| {
            if cmd == codec::CTRL_CMD_NEWFAMILY {
                family = Some(ctrl::parse_family_id(attrs)?);
            }
            Ok(())
        })?;
        family.ok_or(Fail::Kernel(libc::ENOENT))
    }

    /// The kernel's IPVS version and connection table size (from `open`).
    pub fn info(&self) -> Info {
        self.info
    }

    /// All services (dump), in kernel order.
    ///
    /// Read from a socket of its own, with 64 KiB offered per datagram: the kernel
    /// walks its service table from the start for each part of the dump, so
    /// with thousands of services few large parts are much cheaper than
    /// many small ones; and the main socket's offer stays small for the
    /// per-service destination dumps that usually follow (one page's worth
    /// is offered there). The family id is already known. That socket is made
    /// for the call, or, for a handle opened in another namespace, made
    /// when opening and kept.
    pub fn services(&mut self) -> Result<Vec<Service>, Error> {
        let op = Op::GetServices;
        let mut bulk = match self.bulk.take() {
            Some(b) => b,
            None => {
                let mut b = Ipvs::connect().map_err(|e| Fail::io(&e).with(op))?;
                b.family = self.family;
                b.offer = RECV_BUF;
                Box::new(b)
            }
        };
        let mut out = Vec::new();
        let r = bulk.request(&Request::GetServices, |_, attrs| {
            out.push(codec::parse_service_msg(attrs)?);
            Ok(())
        });
        if self.keep_bulk {
            self.bulk = Some(bulk);
        }
        r.map_err(|f| f.with(op))?;
        Ok(out)
    }

    /// One service by key (do-GET); ESRCH if absent.
    pub fn service(&mut self, key: &ServiceKey) -> Result<Service, Error> {
        let op = Op::GetService;
        let mut found = None;
        self.request(&Request::GetService(*key), |_, attrs| {
            if found.is_none() {
                found = Some(codec::parse_service_msg(attrs)?);
            }
            Ok(())
        })
        .map_err(|f| f.with(op))?;
        found.ok_or(Error::Kernel {
            op,
            errno: libc::ESRCH,
        })
    }

    /// The destinations of one service (dump), in kernel order.
    pub fn dests(&mut self, key: &ServiceKey) -> Result<Vec<Dest>, Error> {
        let mut out = Vec::new();
        self.dests_into(key, &mut out)?;
        Ok(out)
    }

    /// The destinations of one service (dump), in kernel order, into `out`
    /// (cleared first; its allocation is reused from one service to the next).
    ///
    /// If a part of the dump came truncated (a kernel whose dump parts are
    /// larger than the one page offered), the offer has grown
    /// by then and the dump is run once more.
    pub fn dests_into(&mut self, key: &ServiceKey, out: &mut Vec<Dest>) -> Result<(), Error> {
        let small = self.offer < RECV_BUF;
        match self.dump_dests(key, out) {
            Err(Fail::Os(libc::EMSGSIZE)) if small => self.dump_dests(key, out),
            r => r,
        }
        .map_err(|f| f.with(Op::GetDests))
    }

    fn dump_dests(&mut self, key: &ServiceKey, out: &mut Vec<Dest>) -> Result<(), Fail> {
        out.clear();
        let af = key.family();
        let seq = self.next_seq();
        self.wbuf.clear();
        codec::encode_get_dests(key, self.family, seq, self.pid, &mut self.wbuf)?;
        self.send_wbuf()?;
        self.wait_for(seq, |_, attrs| {
            out.push(codec::parse_dest_msg(attrs, af)?);
            Ok(())
        })?;
        drop_repeated_dests(out);
        Ok(())
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
    pub fn dests_many(&mut self, keys: &[ServiceKey]) -> Result<Vec<Vec<Dest>>, Error> {
        keys.iter().map(|k| self.dests(k)).collect()
    }

    /// Connection timeouts (GET_CONFIG).
    pub fn timeouts(&mut self) -> Result<Timeouts, Error> {
        let op = Op::Other;
        let mut out = None;
        self.request(&Request::GetConfig, |_, attrs| {
            out = Some(codec::parse_config(attrs)?);
            Ok(())
        })
        .map_err(|f| f.with(op))?;
        out.ok_or(Error::Decode {
            op,
            source: DecodeError::Missing("config"),
        })
    }

    /// Running sync daemons (dump; the kernel lists the master first).
    pub fn daemons(&mut self) -> Result<Vec<Daemon>, Error> {
        let mut out = Vec::new();
        self.request(&Request::GetDaemons, |_, attrs| {
            out.extend(codec::parse_daemon_msg(attrs)?);
            Ok(())
        })
        .map_err(|f| f.with(Op::Other))?;
        Ok(out)
    }

    /// One command; waits for its ACK (or, for a dump, its DONE). Reply data
    /// of GET requests is read and discarded. The error names the operation
    /// ([`Request::op`]).
    pub fn execute(&mut self, req: &Request) -> Result<(), Error> {
        self.execute_raw(req).map_err(|f| f.with(req.op()))
    }

    pub(super) fn execute_raw(&mut self, req: &Request) -> Result<(), Fail> {
        self.request(req, |_, _| Ok(()))
    }

    // -- plumbing -----------------------------------------------------------

    pub(super) fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1);
        self.seq
    }

    /// Sends one request and feeds the data messages answering it to
    /// `on_msg(cmd, attrs)` until its ACK / DONE / error.
    fn request<F>(&mut self, req: &Request, on_msg: F) -> Result<(), Fail>
    where
        F: FnMut(u8, &[u8]) -> Result<(), DecodeError>,
    {
        let seq = self.next_seq();
        self.wbuf.clear();
        codec::encode(req, self.family, seq, self.pid, &mut self.wbuf)?;
        self.send_wbuf()?;
        self.wait_for(seq, on_msg)
    }

    /// Reads until the request `seq` is answered: ACK or error for "do"
    /// requests, DONE or error for dumps. Messages of other sequence numbers
    /// are skipped. A decoding failure in `on_msg` does not stop the reading
    /// (the socket stays in step); it is reported at the end.
    pub(super) fn wait_for<F>(&mut self, seq: u32, mut on_msg: F) -> Result<(), Fail>
    where
        F: FnMut(u8, &[u8]) -> Result<(), DecodeError>,
    {
        let mut first_err: Option<Fail> = None;
        let mut truncated = false;
        loop {
            let count = match self.recv_many(0) {
                Ok(count) => count,
                // No answer at all: see RECV_TIMEOUT_SECS.
                Err(Fail::Os(libc::EAGAIN)) => return Err(Fail::Os(libc::EINTR)),
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
                    let m = m?;
                    if m.seq() != seq || finished {
                        continue;
                    }
                    match m {
                        Reply::Message { cmd, attrs, .. } => {
                            if first_err.is_none() {
                                if let Err(e) = on_msg(cmd, attrs) {
                                    first_err = Some(Fail::Decode(e));
                                }
                            }
                        }
                        Reply::Ack { .. } => finished = true,
                        Reply::Done { .. } => finished = true,
                        Reply::Error { errno, .. } => {
                            // A kernel error wins over a local decoding problem.
                            first_err = Some(Fail::Kernel(errno));
                            finished = true;
                        }
                    }
                }
            }
            if finished {
                return match first_err {
                    Some(e) => Err(e),
                    None if truncated => Err(Fail::Os(libc::EMSGSIZE)),
                    None => Ok(()),
                };
            }
        }
    }

    pub(super) fn send_wbuf(&self) -> Result<(), Fail> {
        loop {
            match self.sock.send(&self.wbuf, Msg::empty()) {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Fail::io(&e)),
            }
        }
    }

    /// Receives up to `SLOTS` datagrams (waiting for the first one only,
    /// unless `flags` has `MSG_DONTWAIT`) into the slots of `rbuf`; their
    /// lengths go to `rlens`, truncated ones are flagged in `trunc` (length
    /// 0). Returns how many were received (at least one); EAGAIN when
    /// nothing came (timeout, or nothing queued with `MSG_DONTWAIT`).
    pub(super) fn recv_many(&mut self, flags: libc::c_int) -> Result<usize, Fail> {
        let mut lens = [0usize; SLOTS];
        let mut trunc = [false; SLOTS];
        let n = sys::recv_slots(
            sys::fd_of(&self.sock),
            &mut self.rbuf,
            RECV_BUF,
            self.offer,
            flags,
            &mut lens,
            &mut trunc,
        )
        .map_err(|e| match e.raw_os_error() {
            Some(libc::EWOULDBLOCK) => Fail::Os(libc::EAGAIN),
            _ => Fail::io(&e),
        })?;
        self.trunc = 0;
        for i in 0..n {
            if trunc[i] {
                self.trunc |= 1 << i;
                self.rlens[i] = 0;
            } else {
                self.rlens[i] = lens[i];
            }
        }
        Ok(n)
    }
}

/// Drops the later of two entries for the same real server (family,
/// address, port) in one service's dump. The kernel resumes a dump that
/// takes several messages by position in the service's list, and adds new
/// real servers at the head of that list: one added between two parts
/// pushes the previous part's last entries into the next part, which lists
/// them again (seen with writers adding real servers during `-Ln -j`).
/// Only a dump in several parts can repeat; small lists are checked
/// without allocating.
pub(crate) fn drop_repeated_dests(dests: &mut Vec<Dest>) {
    if dests.len() < 2 {
        return;
    }
    if dests.len() <= 32 {
        let mut i = 1;
        while i < dests.len() {
            if dests[..i].iter().any(|d| d.key() == dests[i].key()) {
                dests.remove(i);
            } else {
                i += 1;
            }
        }
        return;
    }
    let mut seen = std::collections::HashSet::with_capacity(dests.len());
    dests.retain(|d| seen.insert(d.key()));
}

#[cfg(test)]
mod dedup_tests {
    use super::*;

    #[test]
    fn a_real_server_listed_twice_in_a_dump_is_listed_once() {
        let dest = |last: u8, port: u16, weight: i32| Dest {
            family: crate::model::Family::Inet,
            addr: [198, 51, 100, last].into(),
            port,
            forward: crate::model::Forward::Masq,
            weight,
            u_threshold: 0,
            l_threshold: 0,
            active_conns: 0,
            inact_conns: 0,
            persist_conns: 0,
            tun_type: crate::model::TunnelType::Ipip,
            tun_port: 0,
            tun_checksum: crate::model::TunnelChecksum::None,
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
        let keys: Vec<(u8, u16, i32)> = v
            .iter()
            .map(|d| (crate::model::raw_from_ip(d.addr)[3], d.port, d.weight))
            .collect();
        assert_eq!(keys, vec![(1, 80, 1), (2, 80, 1), (1, 81, 1), (3, 80, 1)]);
    }

    #[test]
    fn a_long_dump_is_deduplicated_too() {
        let mut v: Vec<Dest> = (0..40u16)
            .chain(0..5)
            .map(|p| Dest::with_addr(([198, 51, 100, 1], p).into(), crate::model::Forward::Masq))
            .collect();
        drop_repeated_dests(&mut v);
        assert_eq!(v.len(), 40);
    }
}
