//! Pure wire codec for the IPVS generic-netlink family: typed requests in,
//! bytes out; bytes in, typed replies out. No sockets, no I/O.
//!
//! The byte layout is written by hand (rather than through neli's builders)
//! for two reasons: requests must match ipvsadm 1.31 byte for byte (attribute
//! order, 16-byte addresses, `NLA_F_NESTED` on nests, padding), and replies
//! must decode without a heap allocation per attribute, because listings of
//! 100 000 destinations are decoded in a hot loop. Attribute payloads are
//! borrowed slices of the receive buffer.
//!
//! Layout reminders (all native-endian unless said otherwise):
//! * `nlmsghdr`: len u32, type u16, flags u16, seq u32, pid u32 (16 bytes);
//! * `genlmsghdr`: cmd u8, version u8, reserved u16 (4 bytes);
//! * `nlattr`: len u16 (header + payload, unpadded), type u16, payload,
//!   padding to a multiple of 4.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::model::{Daemon, Dest, Info, RawAddr, Service, Stats, Timeouts, AF_INET6};

// ---------------------------------------------------------------------------
// Netlink / generic netlink constants
// ---------------------------------------------------------------------------

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct genlmsghdr`.
pub const GENL_HDRLEN: usize = 4;
/// Size of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;

/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR` (also carries ACKs, error 0).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`.
pub const NLMSG_OVERRUN: u16 = 4;
/// First type number that carries data (family ids start here).
pub const NLMSG_MIN_TYPE: u16 = 0x10;

/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`: part of a multi-message reply (dump item).
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;

/// Set on nested attributes (libnl sets it, the kernel accepts it).
pub const NLA_F_NESTED: u16 = 0x8000;
/// Network byte order marker (never set by IPVS, tolerated).
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// Mask giving the attribute type without the two flag bits.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// The generic netlink controller's fixed family id.
pub const GENL_ID_CTRL: u16 = 0x10;
/// `CTRL_CMD_NEWFAMILY` (reply to GETFAMILY).
pub const CTRL_CMD_NEWFAMILY: u8 = 1;
/// `CTRL_CMD_GETFAMILY`.
pub const CTRL_CMD_GETFAMILY: u8 = 3;
/// `CTRL_ATTR_FAMILY_ID` (u16).
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
/// `CTRL_ATTR_FAMILY_NAME` (NUL-terminated string).
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// Generic netlink family name of IPVS.
pub const IPVS_GENL_NAME: &str = "IPVS";
/// Generic netlink version used by ipvsadm.
pub const IPVS_GENL_VERSION: u8 = 1;

// ---------------------------------------------------------------------------
// IPVS constants (include/uapi/linux/ip_vs.h)
// ---------------------------------------------------------------------------

/// `IPVS_CMD_*` command numbers.
pub mod cmd {
    pub const NEW_SERVICE: u8 = 1;
    pub const SET_SERVICE: u8 = 2;
    pub const DEL_SERVICE: u8 = 3;
    pub const GET_SERVICE: u8 = 4;
    pub const NEW_DEST: u8 = 5;
    pub const SET_DEST: u8 = 6;
    pub const DEL_DEST: u8 = 7;
    pub const GET_DEST: u8 = 8;
    pub const NEW_DAEMON: u8 = 9;
    pub const DEL_DAEMON: u8 = 10;
    pub const GET_DAEMON: u8 = 11;
    pub const SET_CONFIG: u8 = 12;
    pub const GET_CONFIG: u8 = 13;
    pub const SET_INFO: u8 = 14;
    pub const GET_INFO: u8 = 15;
    pub const ZERO: u8 = 16;
    pub const FLUSH: u8 = 17;
}

/// `IPVS_CMD_ATTR_*`: top-level attributes of IPVS messages.
pub mod cmd_attr {
    pub const SERVICE: u16 = 1;
    pub const DEST: u16 = 2;
    pub const DAEMON: u16 = 3;
    pub const TIMEOUT_TCP: u16 = 4;
    pub const TIMEOUT_TCP_FIN: u16 = 5;
    pub const TIMEOUT_UDP: u16 = 6;
}

/// `IPVS_SVC_ATTR_*`.
pub mod svc_attr {
    pub const AF: u16 = 1;
    pub const PROTOCOL: u16 = 2;
    pub const ADDR: u16 = 3;
    pub const PORT: u16 = 4;
    pub const FWMARK: u16 = 5;
    pub const SCHED_NAME: u16 = 6;
    pub const FLAGS: u16 = 7;
    pub const TIMEOUT: u16 = 8;
    pub const NETMASK: u16 = 9;
    pub const STATS: u16 = 10;
    pub const PE_NAME: u16 = 11;
    pub const STATS64: u16 = 12;
}

/// `IPVS_DEST_ATTR_*`.
pub mod dest_attr {
    pub const ADDR: u16 = 1;
    pub const PORT: u16 = 2;
    pub const FWD_METHOD: u16 = 3;
    pub const WEIGHT: u16 = 4;
    pub const U_THRESH: u16 = 5;
    pub const L_THRESH: u16 = 6;
    pub const ACTIVE_CONNS: u16 = 7;
    pub const INACT_CONNS: u16 = 8;
    pub const PERSIST_CONNS: u16 = 9;
    pub const STATS: u16 = 10;
    pub const ADDR_FAMILY: u16 = 11;
    pub const STATS64: u16 = 12;
    pub const TUN_TYPE: u16 = 13;
    pub const TUN_PORT: u16 = 14;
    pub const TUN_FLAGS: u16 = 15;
}

/// `IPVS_DAEMON_ATTR_*`.
pub mod daemon_attr {
    pub const STATE: u16 = 1;
    pub const MCAST_IFN: u16 = 2;
    pub const SYNC_ID: u16 = 3;
    pub const SYNC_MAXLEN: u16 = 4;
    pub const MCAST_GROUP: u16 = 5;
    pub const MCAST_GROUP6: u16 = 6;
    pub const MCAST_PORT: u16 = 7;
    pub const MCAST_TTL: u16 = 8;
}

/// `IPVS_STATS_ATTR_*` (inside STATS and STATS64 nests).
pub mod stats_attr {
    pub const CONNS: u16 = 1;
    pub const INPKTS: u16 = 2;
    pub const OUTPKTS: u16 = 3;
    pub const INBYTES: u16 = 4;
    pub const OUTBYTES: u16 = 5;
    pub const CPS: u16 = 6;
    pub const INPPS: u16 = 7;
    pub const OUTPPS: u16 = 8;
    pub const INBPS: u16 = 9;
    pub const OUTBPS: u16 = 10;
}

/// `IPVS_INFO_ATTR_*` (top level of the GET_INFO reply).
pub mod info_attr {
    pub const VERSION: u16 = 1;
    pub const CONN_TAB_SIZE: u16 = 2;
}

// ---------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------

/// One IPVS request, as ipvsadm would send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `IPVS_CMD_GET_INFO` (do).
    GetInfo,
    /// `IPVS_CMD_GET_SERVICE` dump: every service.
    GetServices,
    /// `IPVS_CMD_GET_SERVICE` do: one service by key (ESRCH if absent).
    GetService(Service),
    /// `IPVS_CMD_GET_DEST` dump: the destinations of one service.
    GetDests(Service),
    /// `IPVS_CMD_GET_CONFIG` (timeouts).
    GetConfig,
    /// `IPVS_CMD_GET_DAEMON` dump.
    GetDaemons,
    /// `-A`.
    NewService(Service),
    /// `-E`.
    SetService(Service),
    /// `-D`.
    DelService(Service),
    /// `-a`.
    NewDest(Service, Dest),
    /// `-e`.
    SetDest(Service, Dest),
    /// `-d`.
    DelDest(Service, Dest),
    /// `-Z` (all services when `None`).
    Zero(Option<Service>),
    /// `-C`.
    Flush,
    /// `--set tcp tcpfin udp`.
    SetConfig(Timeouts),
    /// `--start-daemon`.
    NewDaemon(Daemon),
    /// `--stop-daemon`.
    DelDaemon(Daemon),
}

impl Request {
    /// The `IPVS_CMD_*` number of this request.
    pub fn cmd(&self) -> u8 {
        match self {
            Request::GetInfo => cmd::GET_INFO,
            Request::GetServices | Request::GetService(_) => cmd::GET_SERVICE,
            Request::GetDests(_) => cmd::GET_DEST,
            Request::GetConfig => cmd::GET_CONFIG,
            Request::GetDaemons => cmd::GET_DAEMON,
            Request::NewService(_) => cmd::NEW_SERVICE,
            Request::SetService(_) => cmd::SET_SERVICE,
            Request::DelService(_) => cmd::DEL_SERVICE,
            Request::NewDest(..) => cmd::NEW_DEST,
            Request::SetDest(..) => cmd::SET_DEST,
            Request::DelDest(..) => cmd::DEL_DEST,
            Request::Zero(_) => cmd::ZERO,
            Request::Flush => cmd::FLUSH,
            Request::SetConfig(_) => cmd::SET_CONFIG,
            Request::NewDaemon(_) => cmd::NEW_DAEMON,
            Request::DelDaemon(_) => cmd::DEL_DAEMON,
        }
    }

    /// True for requests sent with `NLM_F_DUMP` (answered by `NLM_F_MULTI`
    /// items and `NLMSG_DONE`, no ACK).
    pub fn is_dump(&self) -> bool {
        matches!(
            self,
            Request::GetServices | Request::GetDests(_) | Request::GetDaemons
        )
    }

    /// The `nlmsg_flags` ipvsadm uses for this request.
    pub fn nlmsg_flags(&self) -> u16 {
        if self.is_dump() {
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP
        } else {
            NLM_F_REQUEST | NLM_F_ACK
        }
    }
}

/// Appends netlink attributes to a message under construction.
struct AttrWriter<'a> {
    out: &'a mut Vec<u8>,
}

impl AttrWriter<'_> {
    fn put(&mut self, ty: u16, payload: &[u8]) {
        let len = NLA_HDRLEN + payload.len();
        // Attribute payloads built here are at most a few dozen bytes; the
        // nla_len field is u16 by definition.
        let l = (len as u16).to_ne_bytes();
        let t = ty.to_ne_bytes();
        self.out.reserve(len + 3);
        self.out.extend_from_slice(&[l[0], l[1], t[0], t[1]]);
        self.out.extend_from_slice(payload);
        self.pad();
    }

    fn pad(&mut self) {
        let n = (4 - self.out.len() % 4) % 4;
        self.out.extend_from_slice(&[0u8; 3][..n]);
    }

    fn u8(&mut self, ty: u16, v: u8) {
        self.put(ty, &[v]);
    }

    fn u16(&mut self, ty: u16, v: u16) {
        self.put(ty, &v.to_ne_bytes());
    }

    fn be16(&mut self, ty: u16, v: u16) {
        self.put(ty, &v.to_be_bytes());
    }

    fn u32(&mut self, ty: u16, v: u32) {
        self.put(ty, &v.to_ne_bytes());
    }

    /// A NUL-terminated string (`NLA_PUT_STRING`).
    fn string(&mut self, ty: u16, s: &str) {
        let len = NLA_HDRLEN + s.len() + 1;
        self.out.extend_from_slice(&(len as u16).to_ne_bytes());
        self.out.extend_from_slice(&ty.to_ne_bytes());
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(0);
        self.pad();
    }

    /// Opens a nest (flagged `NLA_F_NESTED`, like libnl); returns its start.
    fn begin_nest(&mut self, ty: u16) -> usize {
        let start = self.out.len();
        self.out.extend_from_slice(&0u16.to_ne_bytes());
        self.out
            .extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
        start
    }

    fn end_nest(&mut self, start: usize) {
        let len = (self.out.len() - start) as u16;
        self.out[start..start + 2].copy_from_slice(&len.to_ne_bytes());
    }
}

/// Which parts of a service go into a SERVICE nest.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SvcForm {
    /// AF + key only (GET_SERVICE do, GET_DEST dump).
    Key,
    /// Everything ipvsadm's `ipvs_nl_fill_service_attr` sends.
    Full,
}

/// The on-wire NETMASK value: IPv4 masks travel as network-order bytes, IPv6
/// prefix lengths as a host-order u32.
fn netmask_bytes(af: u16, netmask: u32) -> [u8; 4] {
    if af == AF_INET6 {
        netmask.to_ne_bytes()
    } else {
        netmask.to_be_bytes()
    }
}

fn put_service(w: &mut AttrWriter<'_>, svc: &Service, form: SvcForm) {
    let nest = w.begin_nest(cmd_attr::SERVICE);
    w.u16(svc_attr::AF, svc.af);
    if svc.fwmark != 0 {
        w.u32(svc_attr::FWMARK, svc.fwmark);
    } else {
        w.u16(svc_attr::PROTOCOL, svc.protocol);
        w.put(svc_attr::ADDR, &svc.addr);
        w.be16(svc_attr::PORT, svc.port);
    }
    if form == SvcForm::Full {
        w.string(svc_attr::SCHED_NAME, &svc.sched_name);
        if !svc.pe_name.is_empty() {
            w.string(svc_attr::PE_NAME, &svc.pe_name);
        }
        let mut flags = [0u8; 8];
        flags[..4].copy_from_slice(&svc.flags.to_ne_bytes());
        flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
        w.put(svc_attr::FLAGS, &flags);
        w.u32(svc_attr::TIMEOUT, svc.timeout);
        w.put(svc_attr::NETMASK, &netmask_bytes(svc.af, svc.netmask));
    }
    w.end_nest(nest);
}

fn put_dest(w: &mut AttrWriter<'_>, dest: &Dest) {
    let nest = w.begin_nest(cmd_attr::DEST);
    w.u16(dest_attr::ADDR_FAMILY, dest.af);
    w.put(dest_attr::ADDR, &dest.addr);
    w.be16(dest_attr::PORT, dest.port);
    w.u32(dest_attr::FWD_METHOD, dest.fwd);
    w.u32(dest_attr::WEIGHT, dest.weight as u32);
    w.u8(dest_attr::TUN_TYPE, dest.tun_type);
    w.be16(dest_attr::TUN_PORT, dest.tun_port);
    w.u16(dest_attr::TUN_FLAGS, dest.tun_flags);
    w.u32(dest_attr::U_THRESH, dest.u_threshold);
    w.u32(dest_attr::L_THRESH, dest.l_threshold);
    w.end_nest(nest);
}

fn put_daemon_start(w: &mut AttrWriter<'_>, d: &Daemon) {
    let nest = w.begin_nest(cmd_attr::DAEMON);
    w.u32(daemon_attr::STATE, d.state);
    w.string(daemon_attr::MCAST_IFN, &d.mcast_ifn);
    w.u32(daemon_attr::SYNC_ID, d.syncid);
    if d.sync_maxlen != 0 {
        w.u16(daemon_attr::SYNC_MAXLEN, d.sync_maxlen);
    }
    if d.mcast_port != 0 {
        // Host order: the kernel applies htons() itself.
        w.u16(daemon_attr::MCAST_PORT, d.mcast_port);
    }
    if d.mcast_ttl != 0 {
        w.u8(daemon_attr::MCAST_TTL, d.mcast_ttl);
    }
    match d.mcast_group {
        Some(IpAddr::V4(g)) => w.put(daemon_attr::MCAST_GROUP, &g.octets()),
        Some(IpAddr::V6(g)) => w.put(daemon_attr::MCAST_GROUP6, &g.octets()),
        None => {}
    }
    w.end_nest(nest);
}

fn put_daemon_stop(w: &mut AttrWriter<'_>, d: &Daemon) {
    let nest = w.begin_nest(cmd_attr::DAEMON);
    w.u32(daemon_attr::STATE, d.state);
    // ipvsadm always sends an empty interface name when stopping.
    w.string(daemon_attr::MCAST_IFN, "");
    w.u32(daemon_attr::SYNC_ID, d.syncid);
    w.end_nest(nest);
}

/// Writes the netlink + generic netlink headers; returns the message start.
fn begin_message(
    out: &mut Vec<u8>,
    msg_type: u16,
    flags: u16,
    seq: u32,
    pid: u32,
    cmd: u8,
    version: u8,
) -> usize {
    let start = out.len();
    out.extend_from_slice(&0u32.to_ne_bytes()); // length, patched later
    out.extend_from_slice(&msg_type.to_ne_bytes());
    out.extend_from_slice(&flags.to_ne_bytes());
    out.extend_from_slice(&seq.to_ne_bytes());
    out.extend_from_slice(&pid.to_ne_bytes());
    out.extend_from_slice(&[cmd, version, 0, 0]);
    start
}

fn end_message(out: &mut [u8], start: usize) {
    let len = (out.len() - start) as u32;
    out[start..start + 4].copy_from_slice(&len.to_ne_bytes());
}

/// Appends one complete netlink message for `req` to `out`, encoded as
/// ipvsadm 1.31 encodes it. `out` is expected to be 4-byte aligned in length
/// (it is, if it only holds messages written by this function).
pub fn encode(req: &Request, family: u16, seq: u32, pid: u32, out: &mut Vec<u8>) {
    let start = begin_message(
        out,
        family,
        req.nlmsg_flags(),
        seq,
        pid,
        req.cmd(),
        IPVS_GENL_VERSION,
    );
    let mut w = AttrWriter { out: &mut *out };
    match req {
        Request::GetInfo
        | Request::GetServices
        | Request::GetConfig
        | Request::GetDaemons
        | Request::Flush
        | Request::Zero(None) => {}
        Request::GetService(svc) | Request::GetDests(svc) => put_service(&mut w, svc, SvcForm::Key),
        Request::NewService(svc)
        | Request::SetService(svc)
        | Request::DelService(svc)
        | Request::Zero(Some(svc)) => put_service(&mut w, svc, SvcForm::Full),
        Request::NewDest(svc, dest) | Request::SetDest(svc, dest) | Request::DelDest(svc, dest) => {
            put_service(&mut w, svc, SvcForm::Full);
            put_dest(&mut w, dest);
        }
        Request::SetConfig(t) => {
            w.u32(cmd_attr::TIMEOUT_TCP, t.tcp);
            w.u32(cmd_attr::TIMEOUT_TCP_FIN, t.tcp_fin);
            w.u32(cmd_attr::TIMEOUT_UDP, t.udp);
        }
        Request::NewDaemon(d) => put_daemon_start(&mut w, d),
        Request::DelDaemon(d) => put_daemon_stop(&mut w, d),
    }
    end_message(out, start);
}

/// Appends a GET_DEST dump request for the service `svc` (the same bytes as
/// `encode(&Request::GetDests(svc.clone()), ..)`, without the copy).
pub fn encode_get_dests(svc: &Service, family: u16, seq: u32, pid: u32, out: &mut Vec<u8>) {
    let start = begin_message(
        out,
        family,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
        seq,
        pid,
        cmd::GET_DEST,
        IPVS_GENL_VERSION,
    );
    let mut w = AttrWriter { out: &mut *out };
    put_service(&mut w, svc, SvcForm::Key);
    end_message(out, start);
}

/// Appends a `CTRL_CMD_GETFAMILY` request for `name` (as libnl sends it:
/// version 1, `NLM_F_REQUEST | NLM_F_ACK`).
pub fn encode_get_family(name: &str, seq: u32, pid: u32, out: &mut Vec<u8>) {
    let start = begin_message(
        out,
        GENL_ID_CTRL,
        NLM_F_REQUEST | NLM_F_ACK,
        seq,
        pid,
        CTRL_CMD_GETFAMILY,
        1,
    );
    AttrWriter { out: &mut *out }.string(CTRL_ATTR_FAMILY_NAME, name);
    end_message(out, start);
}

// ---------------------------------------------------------------------------
// Replies
// ---------------------------------------------------------------------------

/// A malformed or unexpected reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodecError {
    /// A netlink message header is cut short or its length is impossible.
    BadMessage,
    /// An attribute header is cut short or its length is impossible.
    BadAttribute,
    /// A data message has no room for the generic netlink header.
    NoGenlHeader,
    /// An attribute has the wrong size for its type.
    BadPayload(&'static str),
    /// A required attribute is missing.
    Missing(&'static str),
    /// `NLMSG_OVERRUN` was received.
    Overrun,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodecError::BadMessage => write!(f, "malformed netlink message header"),
            CodecError::BadAttribute => write!(f, "malformed netlink attribute"),
            CodecError::NoGenlHeader => write!(f, "missing generic netlink header"),
            CodecError::BadPayload(what) => write!(f, "bad size of attribute {what}"),
            CodecError::Missing(what) => write!(f, "missing attribute {what}"),
            CodecError::Overrun => write!(f, "netlink overrun"),
        }
    }
}

impl std::error::Error for CodecError {}

/// One received netlink message, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    /// `NLMSG_ERROR` with error 0.
    Ack { seq: u32 },
    /// `NLMSG_ERROR` with a negative error (stored positive here), or a
    /// `NLMSG_DONE` carrying a negative dump status.
    Error { seq: u32, errno: i32 },
    /// `NLMSG_DONE`: a dump finished.
    Done { seq: u32 },
    /// A data message (family id as type): genl command and the attribute
    /// area after the genl header, borrowed from the receive buffer.
    Message {
        seq: u32,
        flags: u16,
        msg_type: u16,
        cmd: u8,
        attrs: &'a [u8],
    },
}

impl Reply<'_> {
    /// The sequence number of the request this message answers.
    pub fn seq(&self) -> u32 {
        match *self {
            Reply::Ack { seq }
            | Reply::Error { seq, .. }
            | Reply::Done { seq }
            | Reply::Message { seq, .. } => seq,
        }
    }
}

fn rd_u16(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

fn rd_u32(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Iterator over the netlink messages of one received datagram.
///
/// Yields an error (and then stops) on a malformed header.
pub struct Messages<'a> {
    buf: &'a [u8],
    failed: bool,
}

/// Iterates over the messages in `buf` without allocating.
pub fn messages(buf: &[u8]) -> Messages<'_> {
    Messages { buf, failed: false }
}

impl<'a> Messages<'a> {
    fn parse_one(&mut self) -> Result<Option<Reply<'a>>, CodecError> {
        let buf = self.buf;
        if buf.len() < NLMSG_HDRLEN {
            return Err(CodecError::BadMessage);
        }
        let len = rd_u32(buf, 0) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() {
            return Err(CodecError::BadMessage);
        }
        let msg_type = rd_u16(buf, 4);
        let flags = rd_u16(buf, 6);
        let seq = rd_u32(buf, 8);
        let payload = &buf[NLMSG_HDRLEN..len];
        self.buf = &buf[align4(len).min(buf.len())..];
        let reply = match msg_type {
            NLMSG_NOOP => None,
            NLMSG_OVERRUN => return Err(CodecError::Overrun),
            NLMSG_ERROR => {
                if payload.len() < 4 {
                    return Err(CodecError::BadMessage);
                }
                let err = rd_u32(payload, 0) as i32;
                if err == 0 {
                    Some(Reply::Ack { seq })
                } else {
                    Some(Reply::Error {
                        seq,
                        errno: err.unsigned_abs().min(i32::MAX as u32) as i32,
                    })
                }
            }
            NLMSG_DONE => {
                // The payload, when present, is the dump's final status.
                let status = if payload.len() >= 4 {
                    rd_u32(payload, 0) as i32
                } else {
                    0
                };
                if status < 0 {
                    Some(Reply::Error {
                        seq,
                        errno: status.unsigned_abs().min(i32::MAX as u32) as i32,
                    })
                } else {
                    Some(Reply::Done { seq })
                }
            }
            _ if msg_type < NLMSG_MIN_TYPE => None, // reserved control types
            _ => {
                if payload.len() < GENL_HDRLEN {
                    return Err(CodecError::NoGenlHeader);
                }
                Some(Reply::Message {
                    seq,
                    flags,
                    msg_type,
                    cmd: payload[0],
                    attrs: &payload[GENL_HDRLEN..],
                })
            }
        };
        Ok(reply)
    }
}

impl<'a> Iterator for Messages<'a> {
    type Item = Result<Reply<'a>, CodecError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.failed && !self.buf.is_empty() {
            match self.parse_one() {
                Ok(Some(r)) => return Some(Ok(r)),
                Ok(None) => continue,
                Err(e) => {
                    self.failed = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }
}

/// Splits a receive buffer into its messages.
pub fn parse_messages(buf: &[u8]) -> Result<Vec<Reply<'_>>, CodecError> {
    messages(buf).collect()
}

/// Iterator over a run of attributes: yields `(type, payload)` with the
/// `NLA_F_NESTED` / `NLA_F_NET_BYTEORDER` bits stripped from the type.
pub struct Attrs<'a> {
    buf: &'a [u8],
    failed: bool,
}

/// Iterates over the attributes in `buf`.
pub fn attrs(buf: &[u8]) -> Attrs<'_> {
    Attrs { buf, failed: false }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<(u16, &'a [u8]), CodecError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        let buf = self.buf;
        if buf.len() < NLA_HDRLEN {
            self.failed = true;
            return Some(Err(CodecError::BadAttribute));
        }
        let len = rd_u16(buf, 0) as usize;
        if len < NLA_HDRLEN || len > buf.len() {
            self.failed = true;
            return Some(Err(CodecError::BadAttribute));
        }
        let ty = rd_u16(buf, 2) & NLA_TYPE_MASK;
        self.buf = &buf[align4(len).min(buf.len())..];
        Some(Ok((ty, &buf[NLA_HDRLEN..len])))
    }
}

/// The payload of the first attribute of type `ty` in `buf`, if any.
pub fn find_attr(buf: &[u8], ty: u16) -> Result<Option<&[u8]>, CodecError> {
    for a in attrs(buf) {
        let (t, p) = a?;
        if t == ty {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

fn get_u8(p: &[u8], what: &'static str) -> Result<u8, CodecError> {
    p.first().copied().ok_or(CodecError::BadPayload(what))
}

fn get_u16(p: &[u8], what: &'static str) -> Result<u16, CodecError> {
    if p.len() < 2 {
        return Err(CodecError::BadPayload(what));
    }
    Ok(rd_u16(p, 0))
}

fn get_be16(p: &[u8], what: &'static str) -> Result<u16, CodecError> {
    if p.len() < 2 {
        return Err(CodecError::BadPayload(what));
    }
    Ok(u16::from_be_bytes([p[0], p[1]]))
}

fn get_u32(p: &[u8], what: &'static str) -> Result<u32, CodecError> {
    if p.len() < 4 {
        return Err(CodecError::BadPayload(what));
    }
    Ok(rd_u32(p, 0))
}

/// A counter: u64 when 8 bytes are present, else u32 (STATS mixes both).
fn get_counter(p: &[u8]) -> Result<u64, CodecError> {
    if p.len() >= 8 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&p[..8]);
        Ok(u64::from_ne_bytes(b))
    } else if p.len() >= 4 {
        Ok(u64::from(rd_u32(p, 0)))
    } else {
        Err(CodecError::BadPayload("stats counter"))
    }
}

/// Up to 16 bytes of address; shorter payloads are zero-extended.
fn get_addr(p: &[u8]) -> RawAddr {
    let mut a = [0u8; 16];
    let n = p.len().min(16);
    a[..n].copy_from_slice(&p[..n]);
    a
}

/// A NUL-terminated string (everything up to the first NUL).
fn get_string(p: &[u8]) -> String {
    let end = p.iter().position(|&b| b == 0).unwrap_or(p.len());
    String::from_utf8_lossy(&p[..end]).into_owned()
}

/// Decodes a STATS or STATS64 nest (counters of either width).
pub fn parse_stats(nest: &[u8]) -> Result<Stats, CodecError> {
    let mut s = Stats::default();
    for a in attrs(nest) {
        let (ty, p) = a?;
        let field = match ty {
            stats_attr::CONNS => &mut s.conns,
            stats_attr::INPKTS => &mut s.inpkts,
            stats_attr::OUTPKTS => &mut s.outpkts,
            stats_attr::INBYTES => &mut s.inbytes,
            stats_attr::OUTBYTES => &mut s.outbytes,
            stats_attr::CPS => &mut s.cps,
            stats_attr::INPPS => &mut s.inpps,
            stats_attr::OUTPPS => &mut s.outpps,
            stats_attr::INBPS => &mut s.inbps,
            stats_attr::OUTBPS => &mut s.outbps,
            _ => continue, // PAD and anything newer
        };
        *field = get_counter(p)?;
    }
    Ok(s)
}

/// Decodes the contents of a SERVICE nest.
///
/// Requires what libipvs requires (AF, key, SCHED_NAME, FLAGS, TIMEOUT,
/// NETMASK); `flags` is stored as `flags & mask`; STATS64 is preferred over
/// STATS.
pub fn parse_service(nest: &[u8]) -> Result<Service, CodecError> {
    let mut af = None;
    let mut protocol = None;
    let mut addr = None;
    let mut port = None;
    let mut fwmark = None;
    let mut sched = None;
    let mut pe = None;
    let mut flags = None;
    let mut timeout = None;
    let mut netmask = None;
    let mut stats = None;
    let mut stats64 = None;
    for a in attrs(nest) {
        let (ty, p) = a?;
        match ty {
            svc_attr::AF => af = Some(get_u16(p, "service AF")?),
            svc_attr::PROTOCOL => protocol = Some(get_u16(p, "service PROTOCOL")?),
            svc_attr::ADDR => addr = Some(get_addr(p)),
            svc_attr::PORT => port = Some(get_be16(p, "service PORT")?),
            svc_attr::FWMARK => fwmark = Some(get_u32(p, "service FWMARK")?),
            svc_attr::SCHED_NAME => sched = Some(p),
            svc_attr::PE_NAME => pe = Some(p),
            svc_attr::FLAGS => {
                if p.len() < 8 {
                    return Err(CodecError::BadPayload("service FLAGS"));
                }
                flags = Some(rd_u32(p, 0) & rd_u32(p, 4));
            }
            svc_attr::TIMEOUT => timeout = Some(get_u32(p, "service TIMEOUT")?),
            svc_attr::NETMASK => {
                if p.len() < 4 {
                    return Err(CodecError::BadPayload("service NETMASK"));
                }
                netmask = Some([p[0], p[1], p[2], p[3]]);
            }
            svc_attr::STATS => stats = Some(p),
            svc_attr::STATS64 => stats64 = Some(p),
            _ => {}
        }
    }
    let af = af.ok_or(CodecError::Missing("service AF"))?;
    let fwmark = fwmark.unwrap_or(0);
    let (protocol, addr, port) = match (protocol, addr, port) {
        (Some(pr), Some(a), Some(po)) => (pr, a, po),
        _ if fwmark != 0 => (
            protocol.unwrap_or(0),
            addr.unwrap_or([0; 16]),
            port.unwrap_or(0),
        ),
        _ => return Err(CodecError::Missing("service key")),
    };
    let sched = sched.ok_or(CodecError::Missing("service SCHED_NAME"))?;
    let flags = flags.ok_or(CodecError::Missing("service FLAGS"))?;
    let timeout = timeout.ok_or(CodecError::Missing("service TIMEOUT"))?;
    let netmask = netmask.ok_or(CodecError::Missing("service NETMASK"))?;
    let netmask = if af == AF_INET6 {
        u32::from_ne_bytes(netmask)
    } else {
        u32::from_be_bytes(netmask)
    };
    let stats = match (stats64, stats) {
        (Some(n), _) | (None, Some(n)) => parse_stats(n)?,
        (None, None) => Stats::default(),
    };
    Ok(Service {
        af,
        protocol,
        addr,
        port,
        fwmark,
        sched_name: get_string(sched),
        pe_name: pe.map(get_string).unwrap_or_default(),
        flags,
        timeout,
        netmask,
        stats,
    })
}

/// Decodes the contents of a DEST nest. `default_af` (the service's family)
/// is used when the kernel does not send ADDR_FAMILY.
///
/// Requires ADDR, PORT, FWD_METHOD, WEIGHT, U_THRESH, L_THRESH; connection
/// counters, tunnel attributes and stats default to 0 when absent. The
/// forwarding method is kept as sent (ipvsadm masks it with 7 when printing).
pub fn parse_dest(nest: &[u8], default_af: u16) -> Result<Dest, CodecError> {
    let mut d = Dest::new(default_af);
    d.fwd = 0;
    d.weight = 0;
    let mut have = 0u8;
    const ADDR: u8 = 1;
    const PORT: u8 = 2;
    const FWD: u8 = 4;
    const WEIGHT: u8 = 8;
    const UT: u8 = 16;
    const LT: u8 = 32;
    let mut stats = None;
    let mut stats64 = None;
    for a in attrs(nest) {
        let (ty, p) = a?;
        match ty {
            dest_attr::ADDR => {
                d.addr = get_addr(p);
                have |= ADDR;
            }
            dest_attr::PORT => {
                d.port = get_be16(p, "dest PORT")?;
                have |= PORT;
            }
            dest_attr::FWD_METHOD => {
                d.fwd = get_u32(p, "dest FWD_METHOD")?;
                have |= FWD;
            }
            dest_attr::WEIGHT => {
                d.weight = get_u32(p, "dest WEIGHT")? as i32;
                have |= WEIGHT;
            }
            dest_attr::U_THRESH => {
                d.u_threshold = get_u32(p, "dest U_THRESH")?;
                have |= UT;
            }
            dest_attr::L_THRESH => {
                d.l_threshold = get_u32(p, "dest L_THRESH")?;
                have |= LT;
            }
            dest_attr::ACTIVE_CONNS => d.active_conns = get_u32(p, "dest ACTIVE_CONNS")?,
            dest_attr::INACT_CONNS => d.inact_conns = get_u32(p, "dest INACT_CONNS")?,
            dest_attr::PERSIST_CONNS => d.persist_conns = get_u32(p, "dest PERSIST_CONNS")?,
            dest_attr::ADDR_FAMILY => d.af = get_u16(p, "dest ADDR_FAMILY")?,
            dest_attr::TUN_TYPE => d.tun_type = get_u8(p, "dest TUN_TYPE")?,
            dest_attr::TUN_PORT => d.tun_port = get_be16(p, "dest TUN_PORT")?,
            dest_attr::TUN_FLAGS => d.tun_flags = get_u16(p, "dest TUN_FLAGS")?,
            dest_attr::STATS => stats = Some(p),
            dest_attr::STATS64 => stats64 = Some(p),
            _ => {}
        }
    }
    if have & ADDR == 0 {
        return Err(CodecError::Missing("dest ADDR"));
    }
    if have & PORT == 0 {
        return Err(CodecError::Missing("dest PORT"));
    }
    if have & FWD == 0 {
        return Err(CodecError::Missing("dest FWD_METHOD"));
    }
    if have & WEIGHT == 0 {
        return Err(CodecError::Missing("dest WEIGHT"));
    }
    if have & UT == 0 {
        return Err(CodecError::Missing("dest U_THRESH"));
    }
    if have & LT == 0 {
        return Err(CodecError::Missing("dest L_THRESH"));
    }
    if let Some(n) = stats64.or(stats) {
        d.stats = parse_stats(n)?;
    }
    Ok(d)
}

/// Decodes the top-level attributes of a GET_INFO reply (both required).
pub fn parse_info(attrs_buf: &[u8]) -> Result<Info, CodecError> {
    let mut version = None;
    let mut size = None;
    for a in attrs(attrs_buf) {
        let (ty, p) = a?;
        match ty {
            info_attr::VERSION => version = Some(get_u32(p, "info VERSION")?),
            info_attr::CONN_TAB_SIZE => size = Some(get_u32(p, "info CONN_TAB_SIZE")?),
            _ => {}
        }
    }
    Ok(Info {
        version: version.ok_or(CodecError::Missing("info VERSION"))?,
        conn_tab_size: size.ok_or(CodecError::Missing("info CONN_TAB_SIZE"))?,
    })
}

/// Decodes the top-level attributes of a GET_CONFIG reply (absent = 0).
pub fn parse_config(attrs_buf: &[u8]) -> Result<Timeouts, CodecError> {
    let mut t = Timeouts::default();
    for a in attrs(attrs_buf) {
        let (ty, p) = a?;
        match ty {
            cmd_attr::TIMEOUT_TCP => t.tcp = get_u32(p, "TIMEOUT_TCP")?,
            cmd_attr::TIMEOUT_TCP_FIN => t.tcp_fin = get_u32(p, "TIMEOUT_TCP_FIN")?,
            cmd_attr::TIMEOUT_UDP => t.udp = get_u32(p, "TIMEOUT_UDP")?,
            _ => {}
        }
    }
    Ok(t)
}

/// Decodes the contents of a DAEMON nest (STATE, MCAST_IFN and SYNC_ID are
/// required; the rest default to 0 / no group).
pub fn parse_daemon(nest: &[u8]) -> Result<Daemon, CodecError> {
    let mut state = None;
    let mut ifn = None;
    let mut syncid = None;
    let mut d = Daemon::default();
    for a in attrs(nest) {
        let (ty, p) = a?;
        match ty {
            daemon_attr::STATE => state = Some(get_u32(p, "daemon STATE")?),
            daemon_attr::MCAST_IFN => ifn = Some(p),
            daemon_attr::SYNC_ID => syncid = Some(get_u32(p, "daemon SYNC_ID")?),
            daemon_attr::SYNC_MAXLEN => d.sync_maxlen = get_u16(p, "daemon SYNC_MAXLEN")?,
            daemon_attr::MCAST_GROUP => {
                if p.len() < 4 {
                    return Err(CodecError::BadPayload("daemon MCAST_GROUP"));
                }
                d.mcast_group = Some(IpAddr::V4(Ipv4Addr::new(p[0], p[1], p[2], p[3])));
            }
            daemon_attr::MCAST_GROUP6 => {
                if p.len() < 16 {
                    return Err(CodecError::BadPayload("daemon MCAST_GROUP6"));
                }
                d.mcast_group = Some(IpAddr::V6(Ipv6Addr::from(get_addr(p))));
            }
            daemon_attr::MCAST_PORT => d.mcast_port = get_u16(p, "daemon MCAST_PORT")?,
            daemon_attr::MCAST_TTL => d.mcast_ttl = get_u8(p, "daemon MCAST_TTL")?,
            _ => {}
        }
    }
    d.state = state.ok_or(CodecError::Missing("daemon STATE"))?;
    d.mcast_ifn = get_string(ifn.ok_or(CodecError::Missing("daemon MCAST_IFN"))?);
    d.syncid = syncid.ok_or(CodecError::Missing("daemon SYNC_ID"))?;
    Ok(d)
}

/// The SERVICE nest of a service reply message's attributes, decoded.
pub fn parse_service_msg(attrs_buf: &[u8]) -> Result<Service, CodecError> {
    let nest = find_attr(attrs_buf, cmd_attr::SERVICE)?.ok_or(CodecError::Missing("SERVICE"))?;
    parse_service(nest)
}

/// The DEST nest of a destination reply message's attributes, decoded.
pub fn parse_dest_msg(attrs_buf: &[u8], default_af: u16) -> Result<Dest, CodecError> {
    let nest = find_attr(attrs_buf, cmd_attr::DEST)?.ok_or(CodecError::Missing("DEST"))?;
    parse_dest(nest, default_af)
}

/// The DAEMON nest of a daemon reply message's attributes, decoded.
pub fn parse_daemon_msg(attrs_buf: &[u8]) -> Result<Daemon, CodecError> {
    let nest = find_attr(attrs_buf, cmd_attr::DAEMON)?.ok_or(CodecError::Missing("DAEMON"))?;
    parse_daemon(nest)
}

/// The family id from a `CTRL_CMD_NEWFAMILY` reply's attributes.
pub fn parse_family_id(attrs_buf: &[u8]) -> Result<u16, CodecError> {
    let p = find_attr(attrs_buf, CTRL_ATTR_FAMILY_ID)?.ok_or(CodecError::Missing("FAMILY_ID"))?;
    get_u16(p, "FAMILY_ID")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        raw_from_ip, AF_INET, DAEMON_BACKUP, DAEMON_MASTER, FWD_MASQ, FWD_TUNNEL, IPPROTO_TCP,
        IPPROTO_UDP, SVC_F_PERSISTENT, TUN_F_CSUM, TUN_TYPE_GUE,
    };

    /// Bytes from a whitespace-separated hex dump.
    fn hex(s: &str) -> Vec<u8> {
        s.split_whitespace()
            .map(|b| u8::from_str_radix(b, 16).unwrap())
            .collect()
    }

    fn ip(s: &str) -> RawAddr {
        raw_from_ip(s.parse().unwrap())
    }

    const FAM: u16 = 0x20;

    /// The 16-byte nlmsghdr + the rest, as the encoder must produce it.
    fn header(len: u32, ty: u16, flags: u16, seq: u32, pid: u32) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&len.to_ne_bytes());
        v.extend_from_slice(&ty.to_ne_bytes());
        v.extend_from_slice(&flags.to_ne_bytes());
        v.extend_from_slice(&seq.to_ne_bytes());
        v.extend_from_slice(&pid.to_ne_bytes());
        v
    }

    fn svc_tcp(addr: &str, port: u16) -> Service {
        let mut s = Service::new(AF_INET);
        s.protocol = IPPROTO_TCP;
        s.addr = ip(addr);
        s.port = port;
        s
    }

    // ---- requests -------------------------------------------------------

    #[test]
    fn get_dests_without_copy_is_the_same() {
        for svc in [svc_tcp("192.0.2.1", 80), {
            let mut s = Service::new(crate::model::AF_INET6);
            s.fwmark = 9;
            s
        }] {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            encode(&Request::GetDests(svc.clone()), FAM, 7, 9, &mut a);
            encode_get_dests(&svc, FAM, 7, 9, &mut b);
            assert_eq!(a, b);
        }
    }

    /// `ipvsadm -A -t 192.0.2.100:80 -s rr -p 100 -M 255.255.255.0`
    /// (reference §10.4, captured with strace).
    #[test]
    fn encode_add_service_matches_capture() {
        let mut s = svc_tcp("192.0.2.100", 80);
        s.sched_name = "rr".into();
        s.flags = SVC_F_PERSISTENT;
        s.timeout = 100;
        s.netmask = 0xffff_ff00;
        let mut out = Vec::new();
        encode(&Request::NewService(s), FAM, 7, 0xED40_0072, &mut out);
        let payload = hex("01 01 00 00
             54 00 01 80
             06 00 01 00 02 00 00 00
             06 00 02 00 06 00 00 00
             14 00 03 00 c0 00 02 64 00 00 00 00 00 00 00 00 00 00 00 00
             06 00 04 00 00 50 00 00
             07 00 06 00 72 72 00 00
             0c 00 07 00 01 00 00 00 ff ff ff ff
             08 00 08 00 64 00 00 00
             08 00 09 00 ff ff ff 00");
        let mut want = header(16 + payload.len() as u32, FAM, 0x0005, 7, 0xED40_0072);
        want.extend_from_slice(&payload);
        assert_eq!(out.len(), 104);
        assert_eq!(out, want);
    }

    /// `ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.50:8080 -m -w 2 -x 10 -y 5`
    #[test]
    fn encode_add_dest_matches_capture() {
        let s = svc_tcp("192.0.2.100", 80); // sched "", flags 0, timeout 0, mask ~0
        let mut d = Dest::new(AF_INET);
        d.addr = ip("198.51.100.50");
        d.port = 8080;
        d.fwd = FWD_MASQ;
        d.weight = 2;
        d.u_threshold = 10;
        d.l_threshold = 5;
        let mut out = Vec::new();
        encode(&Request::NewDest(s, d), FAM, 1, 2, &mut out);
        let payload = hex("05 01 00 00
             54 00 01 80
             06 00 01 00 02 00 00 00
             06 00 02 00 06 00 00 00
             14 00 03 00 c0 00 02 64 00 00 00 00 00 00 00 00 00 00 00 00
             06 00 04 00 00 50 00 00
             05 00 06 00 00 00 00 00
             0c 00 07 00 00 00 00 00 ff ff ff ff
             08 00 08 00 00 00 00 00
             08 00 09 00 ff ff ff ff
             60 00 02 80
             06 00 0b 00 02 00 00 00
             14 00 01 00 c6 33 64 32 00 00 00 00 00 00 00 00 00 00 00 00
             06 00 02 00 1f 90 00 00
             08 00 03 00 00 00 00 00
             08 00 04 00 02 00 00 00
             05 00 0d 00 00 00 00 00
             06 00 0e 00 00 00 00 00
             06 00 0f 00 00 00 00 00
             08 00 05 00 0a 00 00 00
             08 00 06 00 05 00 00 00");
        let mut want = header(16 + payload.len() as u32, FAM, 0x0005, 1, 2);
        want.extend_from_slice(&payload);
        assert_eq!(out.len(), 200);
        assert_eq!(out, want);
    }

    #[test]
    fn encode_dumps_and_bare_commands() {
        let cases: [(Request, u8, u16); 7] = [
            (Request::GetInfo, cmd::GET_INFO, 0x005),
            (Request::GetServices, cmd::GET_SERVICE, 0x305),
            (Request::GetConfig, cmd::GET_CONFIG, 0x005),
            (Request::GetDaemons, cmd::GET_DAEMON, 0x305),
            (Request::Flush, cmd::FLUSH, 0x005),
            (Request::Zero(None), cmd::ZERO, 0x005),
            (Request::GetInfo, cmd::GET_INFO, 0x005),
        ];
        for (req, c, flags) in cases {
            let mut out = Vec::new();
            encode(&req, FAM, 9, 0, &mut out);
            let mut want = header(20, FAM, flags, 9, 0);
            want.extend_from_slice(&[c, 1, 0, 0]);
            assert_eq!(out, want, "{req:?}");
        }
    }

    #[test]
    fn encode_get_dests_sends_key_only() {
        let mut s = svc_tcp("192.0.2.1", 443);
        s.sched_name = "wlc".into();
        let mut out = Vec::new();
        encode(&Request::GetDests(s), FAM, 3, 0, &mut out);
        let payload = hex("08 01 00 00
             30 00 01 80
             06 00 01 00 02 00 00 00
             06 00 02 00 06 00 00 00
             14 00 03 00 c0 00 02 01 00 00 00 00 00 00 00 00 00 00 00 00
             06 00 04 00 01 bb 00 00");
        let mut want = header(16 + payload.len() as u32, FAM, 0x305, 3, 0);
        want.extend_from_slice(&payload);
        assert_eq!(out, want);

        // fwmark service: AF, FWMARK.
        let mut f = Service::new(AF_INET6);
        f.fwmark = 0x1234;
        out.clear();
        encode(&Request::GetDests(f.clone()), FAM, 4, 0, &mut out);
        let payload = hex("08 01 00 00
             14 00 01 80
             06 00 01 00 0a 00 00 00
             08 00 05 00 34 12 00 00");
        let mut want = header(16 + payload.len() as u32, FAM, 0x305, 4, 0);
        want.extend_from_slice(&payload);
        assert_eq!(out, want);

        // GET_SERVICE do with a fwmark key: same nest, flags 0x005.
        out.clear();
        encode(&Request::GetService(f), FAM, 5, 0, &mut out);
        assert_eq!(rd_u16(&out, 6), 0x005);
        assert_eq!(out[16], cmd::GET_SERVICE);
        assert_eq!(&out[20..], &payload[4..]);
    }

    #[test]
    fn encode_fwmark_ipv6_service_with_pe() {
        let mut s = Service::new(AF_INET6);
        s.fwmark = 1;
        s.sched_name = "sh".into();
        s.pe_name = "sip".into();
        s.flags = 0x18;
        s.netmask = 64;
        let mut out = Vec::new();
        encode(&Request::SetService(s), FAM, 1, 1, &mut out);
        let payload = hex("02 01 00 00
             40 00 01 80
             06 00 01 00 0a 00 00 00
             08 00 05 00 01 00 00 00
             07 00 06 00 73 68 00 00
             08 00 0b 00 73 69 70 00
             0c 00 07 00 18 00 00 00 ff ff ff ff
             08 00 08 00 00 00 00 00
             08 00 09 00 40 00 00 00");
        let mut want = header(16 + payload.len() as u32, FAM, 0x005, 1, 1);
        want.extend_from_slice(&payload);
        assert_eq!(out, want);
    }

    #[test]
    fn encode_tunnel_dest_and_delete() {
        let s = svc_tcp("192.0.2.1", 80);
        let mut d = Dest::new(AF_INET6);
        d.addr = ip("2001:db8::5");
        d.port = 80;
        d.fwd = FWD_TUNNEL;
        d.tun_type = TUN_TYPE_GUE;
        d.tun_port = 6080;
        d.tun_flags = TUN_F_CSUM;
        let mut out = Vec::new();
        encode(&Request::DelDest(s, d), FAM, 1, 1, &mut out);
        assert_eq!(out[16], cmd::DEL_DEST);
        let top: Vec<_> = attrs(&out[20..]).map(|a| a.unwrap()).collect();
        assert_eq!(top.len(), 2);
        let dest = top[1].1;
        let got: Vec<(u16, Vec<u8>)> = attrs(dest)
            .map(|a| a.unwrap())
            .map(|(t, p)| (t, p.to_vec()))
            .collect();
        let types: Vec<u16> = got.iter().map(|g| g.0).collect();
        assert_eq!(types, [11, 1, 2, 3, 4, 13, 14, 15, 5, 6]);
        assert_eq!(got[0].1, 10u16.to_ne_bytes());
        assert_eq!(got[1].1, ip("2001:db8::5"));
        assert_eq!(got[5].1, [1]);
        assert_eq!(got[6].1, [0x17, 0xc0]); // 6080 big-endian
        assert_eq!(got[7].1, 1u16.to_ne_bytes());
        // Round trip through the reply decoder.
        let back = parse_dest(dest, AF_INET).unwrap();
        assert_eq!(back.af, AF_INET6);
        assert_eq!(back.tun_port, 6080);
        assert_eq!(back.tun_type, TUN_TYPE_GUE);
        assert_eq!(back.tun_flags, TUN_F_CSUM);
        assert_eq!(back.fwd, FWD_TUNNEL);
    }

    #[test]
    fn encode_set_config() {
        let mut out = Vec::new();
        let t = Timeouts {
            tcp: 0,
            tcp_fin: 5,
            udp: 0,
        };
        encode(&Request::SetConfig(t), FAM, 2, 0, &mut out);
        let payload = hex("0c 01 00 00
             08 00 04 00 00 00 00 00
             08 00 05 00 05 00 00 00
             08 00 06 00 00 00 00 00");
        let mut want = header(16 + payload.len() as u32, FAM, 0x005, 2, 0);
        want.extend_from_slice(&payload);
        assert_eq!(out, want);
    }

    fn daemon(state: u32) -> Daemon {
        Daemon {
            state,
            mcast_ifn: "eth0".into(),
            syncid: 7,
            sync_maxlen: 0,
            mcast_group: None,
            mcast_port: 0,
            mcast_ttl: 0,
        }
    }

    #[test]
    fn encode_daemons() {
        // Minimal start: STATE, MCAST_IFN, SYNC_ID only.
        let mut out = Vec::new();
        encode(
            &Request::NewDaemon(daemon(DAEMON_MASTER)),
            FAM,
            1,
            0,
            &mut out,
        );
        let payload = hex("09 01 00 00
             20 00 03 80
             08 00 01 00 01 00 00 00
             09 00 02 00 65 74 68 30 00 00 00 00
             08 00 03 00 07 00 00 00");
        let mut want = header(16 + payload.len() as u32, FAM, 0x005, 1, 0);
        want.extend_from_slice(&payload);
        assert_eq!(out, want);

        // Everything, IPv4 group.
        let mut d = daemon(DAEMON_BACKUP);
        d.sync_maxlen = 1000;
        d.mcast_port = 9999;
        d.mcast_ttl = 5;
        d.mcast_group = Some("239.1.2.3".parse().unwrap());
        out.clear();
        encode(&Request::NewDaemon(d.clone()), FAM, 1, 0, &mut out);
        let payload = hex("09 01 00 00
             40 00 03 80
             08 00 01 00 02 00 00 00
             09 00 02 00 65 74 68 30 00 00 00 00
             08 00 03 00 07 00 00 00
             06 00 04 00 e8 03 00 00
             06 00 07 00 0f 27 00 00
             05 00 08 00 05 00 00 00
             08 00 05 00 ef 01 02 03");
        let mut want = header(16 + payload.len() as u32, FAM, 0x005, 1, 0);
        want.extend_from_slice(&payload);
        assert_eq!(out, want);

        // IPv6 group.
        d.mcast_group = Some("ff02::1234".parse().unwrap());
        out.clear();
        encode(&Request::NewDaemon(d), FAM, 1, 0, &mut out);
        let nest = find_attr(&out[20..], cmd_attr::DAEMON).unwrap().unwrap();
        let g6 = find_attr(nest, daemon_attr::MCAST_GROUP6).unwrap().unwrap();
        assert_eq!(g6, ip("ff02::1234"));
        assert!(find_attr(nest, daemon_attr::MCAST_GROUP).unwrap().is_none());

        // Stop: STATE, empty MCAST_IFN, SYNC_ID.
        out.clear();
        encode(
            &Request::DelDaemon(daemon(DAEMON_BACKUP)),
            FAM,
            1,
            0,
            &mut out,
        );
        let payload = hex("0a 01 00 00
             1c 00 03 80
             08 00 01 00 02 00 00 00
             05 00 02 00 00 00 00 00
             08 00 03 00 07 00 00 00");
        let mut want = header(16 + payload.len() as u32, FAM, 0x005, 1, 0);
        want.extend_from_slice(&payload);
        assert_eq!(out, want);
    }

    #[test]
    fn encode_get_family_request() {
        let mut out = Vec::new();
        encode_get_family("IPVS", 1, 0, &mut out);
        let payload = hex("03 01 00 00
             09 00 02 00 49 50 56 53 00 00 00 00");
        let mut want = header(32, GENL_ID_CTRL, 0x005, 1, 0);
        want.extend_from_slice(&payload);
        assert_eq!(out, want);
    }

    #[test]
    fn several_requests_in_one_buffer() {
        let mut out = Vec::new();
        encode(&Request::Flush, FAM, 1, 0, &mut out);
        encode(
            &Request::NewService(svc_tcp("192.0.2.1", 80)),
            FAM,
            2,
            0,
            &mut out,
        );
        encode(
            &Request::Zero(Some(svc_tcp("192.0.2.1", 80))),
            FAM,
            3,
            0,
            &mut out,
        );
        let msgs = parse_messages(&out).unwrap();
        let seqs: Vec<u32> = msgs.iter().map(|m| m.seq()).collect();
        assert_eq!(seqs, [1, 2, 3]);
        match msgs[2] {
            Reply::Message {
                cmd: c, attrs: a, ..
            } => {
                assert_eq!(c, cmd::ZERO);
                let s = parse_service_msg(a).unwrap();
                assert_eq!(s.port, 80);
                assert_eq!(s.netmask, 0xffff_ffff);
            }
            _ => panic!("not a message"),
        }
    }

    // ---- replies ---------------------------------------------------------

    /// Builds replies the way the kernel does (nests without NLA_F_NESTED).
    struct Msg {
        buf: Vec<u8>,
    }

    impl Msg {
        fn new() -> Msg {
            Msg { buf: Vec::new() }
        }
        fn attr(&mut self, ty: u16, p: &[u8]) -> &mut Msg {
            AttrWriter { out: &mut self.buf }.put(ty, p);
            self
        }
        fn nest(&mut self, ty: u16, inner: &Msg) -> &mut Msg {
            self.attr(ty, &inner.buf)
        }
    }

    fn datagram(ty: u16, flags: u16, seq: u32, cmd_: u8, attrs_: &[u8]) -> Vec<u8> {
        let mut out = header((20 + attrs_.len()) as u32, ty, flags, seq, 1234);
        out.extend_from_slice(&[cmd_, 1, 0, 0]);
        out.extend_from_slice(attrs_);
        out
    }

    fn ack(seq: u32, err: i32) -> Vec<u8> {
        let mut out = header(36, NLMSG_ERROR, 0x100, seq, 1234);
        out.extend_from_slice(&err.to_ne_bytes());
        out.extend_from_slice(&header(20, FAM, 5, seq, 1234));
        out
    }

    fn done(seq: u32) -> Vec<u8> {
        let mut out = header(20, NLMSG_DONE, NLM_F_MULTI, seq, 1234);
        out.extend_from_slice(&0i32.to_ne_bytes());
        out
    }

    fn stats32(base: u32) -> Msg {
        let mut m = Msg::new();
        for ty in 1..=10u16 {
            if ty == 4 || ty == 5 {
                m.attr(ty, &(u64::from(base) + u64::from(ty)).to_ne_bytes());
            } else {
                m.attr(ty, &(base + u32::from(ty)).to_ne_bytes());
            }
        }
        m
    }

    fn stats64(base: u64) -> Msg {
        let mut m = Msg::new();
        for ty in 1..=10u16 {
            m.attr(ty, &(base + u64::from(ty)).to_ne_bytes());
        }
        m
    }

    fn kernel_service_v4() -> Msg {
        let mut m = Msg::new();
        m.attr(svc_attr::AF, &2u16.to_ne_bytes())
            .attr(svc_attr::PROTOCOL, &6u16.to_ne_bytes())
            .attr(svc_attr::ADDR, &ip("192.0.2.100"))
            .attr(svc_attr::PORT, &[0, 80])
            .attr(svc_attr::SCHED_NAME, b"rr\0")
            .attr(svc_attr::FLAGS, &hex("03 00 00 00 ff ff ff ff"))
            .attr(svc_attr::TIMEOUT, &100u32.to_ne_bytes())
            .attr(svc_attr::NETMASK, &[255, 255, 255, 0])
            .nest(svc_attr::STATS, &stats32(100))
            .nest(svc_attr::STATS64, &stats64(1 << 40));
        m
    }

    #[test]
    fn decode_service_dump_item_prefers_stats64() {
        let mut top = Msg::new();
        top.nest(cmd_attr::SERVICE, &kernel_service_v4());
        let mut buf = datagram(FAM, NLM_F_MULTI, 42, cmd::NEW_SERVICE, &top.buf);
        buf.extend_from_slice(&done(42));
        let msgs = parse_messages(&buf).unwrap();
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[1], Reply::Done { seq: 42 });
        let Reply::Message {
            seq,
            flags,
            msg_type,
            cmd: c,
            attrs: a,
        } = msgs[0]
        else {
            panic!("not a message");
        };
        assert_eq!(
            (seq, flags, msg_type, c),
            (42, NLM_F_MULTI, FAM, cmd::NEW_SERVICE)
        );
        let s = parse_service_msg(a).unwrap();
        assert_eq!(s.af, AF_INET);
        assert_eq!(s.protocol, IPPROTO_TCP);
        assert_eq!(s.addr, ip("192.0.2.100"));
        assert_eq!(s.port, 80);
        assert_eq!(s.fwmark, 0);
        assert_eq!(s.sched_name, "rr");
        assert_eq!(s.pe_name, "");
        assert_eq!(s.flags, 3);
        assert_eq!(s.timeout, 100);
        assert_eq!(s.netmask, 0xffff_ff00);
        let b = 1u64 << 40;
        assert_eq!(
            s.stats,
            Stats {
                conns: b + 1,
                inpkts: b + 2,
                outpkts: b + 3,
                inbytes: b + 4,
                outbytes: b + 5,
                cps: b + 6,
                inpps: b + 7,
                outpps: b + 8,
                inbps: b + 9,
                outbps: b + 10,
            }
        );
    }

    #[test]
    fn decode_service_stats32_only_and_flag_mask() {
        let mut m = Msg::new();
        m.attr(svc_attr::AF, &2u16.to_ne_bytes())
            .attr(svc_attr::PROTOCOL, &17u16.to_ne_bytes())
            .attr(svc_attr::ADDR, &[192, 0, 2, 7]) // short address is zero-extended
            .attr(svc_attr::PORT, &[0x00, 0x35])
            .attr(svc_attr::SCHED_NAME, b"wlc\0")
            .attr(svc_attr::PE_NAME, b"sip\0")
            .attr(svc_attr::FLAGS, &hex("23 00 00 00 0f 00 00 00"))
            .attr(svc_attr::TIMEOUT, &0u32.to_ne_bytes())
            .attr(svc_attr::NETMASK, &[255, 255, 255, 255])
            .attr(99, b"future attribute")
            .nest(svc_attr::STATS, &stats32(0));
        let s = parse_service(&m.buf).unwrap();
        assert_eq!(s.protocol, IPPROTO_UDP);
        assert_eq!(s.addr, ip("192.0.2.7"));
        assert_eq!(s.port, 53);
        assert_eq!(s.pe_name, "sip");
        assert_eq!(s.flags, 0x3);
        assert_eq!(s.netmask, 0xffff_ffff);
        assert_eq!(s.stats.conns, 1);
        assert_eq!(s.stats.inbytes, 4);
        assert_eq!(s.stats.outbps, 10);
    }

    #[test]
    fn decode_ipv6_and_fwmark_services() {
        let mut m = Msg::new();
        m.attr(svc_attr::AF, &10u16.to_ne_bytes())
            .attr(svc_attr::PROTOCOL, &6u16.to_ne_bytes())
            .attr(svc_attr::ADDR, &ip("2001:db8::1"))
            .attr(svc_attr::PORT, &[0x1f, 0x90])
            .attr(svc_attr::SCHED_NAME, b"sh\0")
            .attr(svc_attr::FLAGS, &hex("1a 00 00 00 ff ff ff ff"))
            .attr(svc_attr::TIMEOUT, &0u32.to_ne_bytes())
            .attr(svc_attr::NETMASK, &64u32.to_ne_bytes());
        let s = parse_service(&m.buf).unwrap();
        assert_eq!(s.af, AF_INET6);
        assert_eq!(s.ip(), "2001:db8::1".parse::<IpAddr>().unwrap());
        assert_eq!(s.port, 8080);
        assert_eq!(s.netmask, 64);
        assert_eq!(s.flags, 0x1a);
        assert_eq!(s.stats, Stats::default());

        // fwmark: the kernel sends AF + FWMARK, no protocol/addr/port.
        let mut m = Msg::new();
        m.attr(svc_attr::AF, &2u16.to_ne_bytes())
            .attr(svc_attr::FWMARK, &0xffff_fff0u32.to_ne_bytes())
            .attr(svc_attr::SCHED_NAME, b"wlc\0")
            .attr(svc_attr::FLAGS, &hex("02 00 00 00 ff ff ff ff"))
            .attr(svc_attr::TIMEOUT, &0u32.to_ne_bytes())
            .attr(svc_attr::NETMASK, &[255, 255, 255, 255]);
        let s = parse_service(&m.buf).unwrap();
        assert_eq!(s.fwmark, 0xffff_fff0);
        assert_eq!((s.protocol, s.port, s.addr), (0, 0, [0; 16]));
    }

    #[test]
    fn service_round_trip_through_request_encoding() {
        for s in [
            {
                let mut s = svc_tcp("203.0.113.9", 65535);
                s.sched_name = "wrr".into();
                s.flags = SVC_F_PERSISTENT;
                s.timeout = 360;
                s.netmask = 0xffff_0000;
                s
            },
            {
                let mut s = Service::new(AF_INET6);
                s.protocol = 132;
                s.addr = ip("2001:db8::ff");
                s.port = 1;
                s.sched_name = "mh".into();
                s.pe_name = "sip".into();
                s.netmask = 96;
                s
            },
        ] {
            let mut out = Vec::new();
            encode(&Request::NewService(s.clone()), FAM, 1, 0, &mut out);
            let back = parse_service_msg(&out[20..]).unwrap();
            assert_eq!(back, s);
        }
    }

    fn kernel_dest(with_af: Option<u16>, addr: &str) -> Msg {
        let mut m = Msg::new();
        m.attr(dest_attr::ADDR, &ip(addr))
            .attr(dest_attr::PORT, &[0x1f, 0x90])
            .attr(dest_attr::FWD_METHOD, &2u32.to_ne_bytes())
            .attr(dest_attr::WEIGHT, &(-1i32).to_ne_bytes())
            .attr(dest_attr::TUN_TYPE, &[2])
            .attr(dest_attr::TUN_PORT, &[0, 0])
            .attr(dest_attr::TUN_FLAGS, &2u16.to_ne_bytes())
            .attr(dest_attr::U_THRESH, &10u32.to_ne_bytes())
            .attr(dest_attr::L_THRESH, &5u32.to_ne_bytes())
            .attr(dest_attr::ACTIVE_CONNS, &3u32.to_ne_bytes())
            .attr(dest_attr::INACT_CONNS, &4u32.to_ne_bytes())
            .attr(dest_attr::PERSIST_CONNS, &5u32.to_ne_bytes());
        if let Some(af) = with_af {
            m.attr(dest_attr::ADDR_FAMILY, &af.to_ne_bytes());
        }
        m.nest(dest_attr::STATS, &stats32(7))
            .nest(dest_attr::STATS64, &stats64(u64::from(u32::MAX)));
        m
    }

    #[test]
    fn decode_dest_with_and_without_addr_family() {
        let mut top = Msg::new();
        top.nest(cmd_attr::DEST, &kernel_dest(Some(AF_INET6), "2001:db8::7"));
        let d = parse_dest_msg(&top.buf, AF_INET).unwrap();
        assert_eq!(d.af, AF_INET6);
        assert_eq!(d.ip(), "2001:db8::7".parse::<IpAddr>().unwrap());
        assert_eq!(d.port, 8080);
        assert_eq!(d.fwd, FWD_TUNNEL);
        assert_eq!(d.weight, -1);
        assert_eq!((d.u_threshold, d.l_threshold), (10, 5));
        assert_eq!((d.active_conns, d.inact_conns, d.persist_conns), (3, 4, 5));
        assert_eq!((d.tun_type, d.tun_port, d.tun_flags), (2, 0, 2));
        // Full 64-bit values from STATS64 (no display truncation here).
        assert_eq!(d.stats.conns, u64::from(u32::MAX) + 1);
        assert_eq!(d.stats.outbps, u64::from(u32::MAX) + 10);

        // No ADDR_FAMILY (kernel < 3.18): the service's family.
        let d = parse_dest(&kernel_dest(None, "198.51.100.2").buf, AF_INET).unwrap();
        assert_eq!(d.af, AF_INET);
        assert_eq!(d.ip(), "198.51.100.2".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn decode_dest_old_kernel_defaults() {
        // No TUN_*, no conns, no stats: zeros.
        let mut m = Msg::new();
        m.attr(dest_attr::ADDR, &ip("198.51.100.3"))
            .attr(dest_attr::PORT, &[0, 80])
            .attr(dest_attr::FWD_METHOD, &0u32.to_ne_bytes())
            .attr(dest_attr::WEIGHT, &1u32.to_ne_bytes())
            .attr(dest_attr::U_THRESH, &0u32.to_ne_bytes())
            .attr(dest_attr::L_THRESH, &0u32.to_ne_bytes());
        let d = parse_dest(&m.buf, AF_INET).unwrap();
        assert_eq!((d.tun_type, d.tun_port, d.tun_flags), (0, 0, 0));
        assert_eq!((d.active_conns, d.inact_conns, d.persist_conns), (0, 0, 0));
        assert_eq!(d.stats, Stats::default());
        assert_eq!(d.fwd, FWD_MASQ);
        assert_eq!(d.weight, 1);
    }

    #[test]
    fn decode_daemons() {
        let mut v4 = Msg::new();
        v4.attr(daemon_attr::STATE, &1u32.to_ne_bytes())
            .attr(daemon_attr::MCAST_IFN, b"dummy0\0")
            .attr(daemon_attr::SYNC_ID, &0u32.to_ne_bytes())
            .attr(daemon_attr::SYNC_MAXLEN, &1472u16.to_ne_bytes())
            .attr(daemon_attr::MCAST_PORT, &8848u16.to_ne_bytes())
            .attr(daemon_attr::MCAST_TTL, &[1])
            .attr(daemon_attr::MCAST_GROUP, &[224, 0, 0, 81]);
        let mut v6 = Msg::new();
        v6.attr(daemon_attr::STATE, &2u32.to_ne_bytes())
            .attr(daemon_attr::MCAST_IFN, b"dummy0\0")
            .attr(daemon_attr::SYNC_ID, &7u32.to_ne_bytes())
            .attr(daemon_attr::SYNC_MAXLEN, &1452u16.to_ne_bytes())
            .attr(daemon_attr::MCAST_PORT, &9999u16.to_ne_bytes())
            .attr(daemon_attr::MCAST_TTL, &[5])
            .attr(daemon_attr::MCAST_GROUP6, &ip("ff02::1234"));
        let mut buf = Vec::new();
        for (d, seq) in [(&v4, 5), (&v6, 5)] {
            let mut top = Msg::new();
            top.nest(cmd_attr::DAEMON, d);
            buf.extend_from_slice(&datagram(FAM, NLM_F_MULTI, seq, cmd::NEW_DAEMON, &top.buf));
        }
        buf.extend_from_slice(&done(5));
        let daemons: Vec<Daemon> = parse_messages(&buf)
            .unwrap()
            .iter()
            .filter_map(|m| match m {
                Reply::Message { attrs: a, .. } => Some(parse_daemon_msg(a).unwrap()),
                _ => None,
            })
            .collect();
        assert_eq!(
            daemons,
            [
                Daemon {
                    state: DAEMON_MASTER,
                    mcast_ifn: "dummy0".into(),
                    syncid: 0,
                    sync_maxlen: 1472,
                    mcast_group: Some("224.0.0.81".parse().unwrap()),
                    mcast_port: 8848,
                    mcast_ttl: 1,
                },
                Daemon {
                    state: DAEMON_BACKUP,
                    mcast_ifn: "dummy0".into(),
                    syncid: 7,
                    sync_maxlen: 1452,
                    mcast_group: Some("ff02::1234".parse().unwrap()),
                    mcast_port: 9999,
                    mcast_ttl: 5,
                },
            ]
        );
    }

    #[test]
    fn decode_info_config_and_family() {
        let mut m = Msg::new();
        m.attr(info_attr::VERSION, &0x010201u32.to_ne_bytes())
            .attr(info_attr::CONN_TAB_SIZE, &4096u32.to_ne_bytes());
        let buf = datagram(FAM, 0, 1, cmd::SET_INFO, &m.buf);
        let msgs = parse_messages(&buf).unwrap();
        let Reply::Message {
            cmd: c, attrs: a, ..
        } = msgs[0]
        else {
            panic!()
        };
        assert_eq!(c, cmd::SET_INFO);
        assert_eq!(
            parse_info(a).unwrap(),
            Info {
                version: 0x010201,
                conn_tab_size: 4096
            }
        );
        let mut half = Msg::new();
        half.attr(info_attr::VERSION, &1u32.to_ne_bytes());
        assert_eq!(
            parse_info(&half.buf),
            Err(CodecError::Missing("info CONN_TAB_SIZE"))
        );

        let mut m = Msg::new();
        m.attr(cmd_attr::TIMEOUT_TCP, &900u32.to_ne_bytes())
            .attr(cmd_attr::TIMEOUT_TCP_FIN, &120u32.to_ne_bytes())
            .attr(cmd_attr::TIMEOUT_UDP, &300u32.to_ne_bytes());
        assert_eq!(
            parse_config(&m.buf).unwrap(),
            Timeouts {
                tcp: 900,
                tcp_fin: 120,
                udp: 300
            }
        );

        let mut m = Msg::new();
        m.attr(CTRL_ATTR_FAMILY_NAME, b"IPVS\0")
            .attr(CTRL_ATTR_FAMILY_ID, &0x20u16.to_ne_bytes());
        assert_eq!(parse_family_id(&m.buf), Ok(0x20));
    }

    #[test]
    fn decode_ack_error_done() {
        let mut buf = ack(10, 0);
        buf.extend_from_slice(&ack(11, -libc::EEXIST));
        buf.extend_from_slice(&done(12));
        // DONE carrying a failed dump status.
        let mut bad_done = header(20, NLMSG_DONE, NLM_F_MULTI, 13, 1);
        bad_done.extend_from_slice(&(-libc::EPERM).to_ne_bytes());
        buf.extend_from_slice(&bad_done);
        // A bare DONE without payload and a NOOP are tolerated.
        buf.extend_from_slice(&header(16, NLMSG_DONE, 0, 14, 1));
        buf.extend_from_slice(&header(16, NLMSG_NOOP, 0, 15, 1));
        assert_eq!(
            parse_messages(&buf).unwrap(),
            [
                Reply::Ack { seq: 10 },
                Reply::Error {
                    seq: 11,
                    errno: libc::EEXIST
                },
                Reply::Done { seq: 12 },
                Reply::Error {
                    seq: 13,
                    errno: libc::EPERM
                },
                Reply::Done { seq: 14 },
            ]
        );
    }

    #[test]
    fn nested_flag_bits_tolerated() {
        // Nests flagged NLA_F_NESTED (as libnl writes them) decode the same.
        let mut out = Vec::new();
        let mut s = svc_tcp("192.0.2.1", 80);
        s.sched_name = "rr".into();
        encode(&Request::NewService(s.clone()), FAM, 1, 0, &mut out);
        assert_eq!(rd_u16(&out, 22), 0x8001);
        assert_eq!(parse_service_msg(&out[20..]).unwrap(), s);
        let mut m = Msg::new();
        m.attr(
            info_attr::VERSION | NLA_F_NET_BYTEORDER,
            &1u32.to_ne_bytes(),
        )
        .attr(info_attr::CONN_TAB_SIZE, &2u32.to_ne_bytes());
        assert_eq!(parse_info(&m.buf).unwrap().version, 1);
    }

    #[test]
    fn malformed_buffers_are_errors() {
        // Shorter than a header.
        assert_eq!(parse_messages(&[0; 8]), Err(CodecError::BadMessage));
        // Length field beyond the buffer.
        let mut b = ack(1, 0);
        b.truncate(30);
        assert_eq!(parse_messages(&b), Err(CodecError::BadMessage));
        // Length field below the header size.
        let mut b = ack(1, 0);
        b[0] = 8;
        assert_eq!(parse_messages(&b), Err(CodecError::BadMessage));
        // Error message without its error code.
        assert_eq!(
            parse_messages(&header(16, NLMSG_ERROR, 0, 1, 1)),
            Err(CodecError::BadMessage)
        );
        // Data message without a genl header.
        assert_eq!(
            parse_messages(&header(16, FAM, 0, 1, 1)),
            Err(CodecError::NoGenlHeader)
        );
        // Overrun.
        assert_eq!(
            parse_messages(&header(16, NLMSG_OVERRUN, 0, 1, 1)),
            Err(CodecError::Overrun)
        );
        // A good message followed by garbage: the iterator yields the good
        // one, then the error, then stops.
        let mut b = ack(1, 0);
        b.extend_from_slice(&[1, 2, 3]);
        let items: Vec<_> = messages(&b).collect();
        assert_eq!(items.len(), 2);
        assert!(items[1].is_err());

        // Attributes: header cut, length too small, length too large.
        assert_eq!(find_attr(&[8, 0], 1), Err(CodecError::BadAttribute));
        assert_eq!(find_attr(&[2, 0, 1, 0], 1), Err(CodecError::BadAttribute));
        assert_eq!(
            find_attr(&[12, 0, 1, 0, 0, 0], 1),
            Err(CodecError::BadAttribute)
        );
        // Payload too short for its type.
        let mut m = kernel_service_v4();
        m.attr(svc_attr::PORT, &[1]);
        let mut short = Msg::new();
        short
            .attr(svc_attr::AF, &[2])
            .attr(svc_attr::FWMARK, &1u32.to_ne_bytes());
        assert_eq!(
            parse_service(&short.buf),
            Err(CodecError::BadPayload("service AF"))
        );
        assert_eq!(
            parse_service(&m.buf),
            Err(CodecError::BadPayload("service PORT"))
        );
        // Required attributes missing.
        let mut no_key = Msg::new();
        no_key
            .attr(svc_attr::AF, &2u16.to_ne_bytes())
            .attr(svc_attr::SCHED_NAME, b"rr\0");
        assert_eq!(
            parse_service(&no_key.buf),
            Err(CodecError::Missing("service key"))
        );
        let mut no_w = Msg::new();
        no_w.attr(dest_attr::ADDR, &ip("198.51.100.3"))
            .attr(dest_attr::PORT, &[0, 80])
            .attr(dest_attr::FWD_METHOD, &0u32.to_ne_bytes());
        assert_eq!(
            parse_dest(&no_w.buf, AF_INET),
            Err(CodecError::Missing("dest WEIGHT"))
        );
        assert_eq!(parse_service_msg(&[]), Err(CodecError::Missing("SERVICE")));
        let mut d = Msg::new();
        d.attr(daemon_attr::STATE, &1u32.to_ne_bytes())
            .attr(daemon_attr::MCAST_GROUP6, &[0xff, 2]);
        assert_eq!(
            parse_daemon(&d.buf),
            Err(CodecError::BadPayload("daemon MCAST_GROUP6"))
        );
    }

    /// Every truncation and many single-byte corruptions of a realistic
    /// receive buffer decode to values or errors, never a panic.
    #[test]
    fn never_panics_on_damaged_input() {
        let mut buf = Vec::new();
        let mut top = Msg::new();
        top.nest(cmd_attr::SERVICE, &kernel_service_v4());
        buf.extend_from_slice(&datagram(FAM, NLM_F_MULTI, 1, cmd::NEW_SERVICE, &top.buf));
        let mut top = Msg::new();
        top.nest(cmd_attr::DEST, &kernel_dest(Some(AF_INET), "198.51.100.1"));
        buf.extend_from_slice(&datagram(FAM, NLM_F_MULTI, 1, cmd::NEW_DEST, &top.buf));
        buf.extend_from_slice(&ack(2, -1));
        buf.extend_from_slice(&done(1));

        fn exercise(b: &[u8]) {
            for m in messages(b) {
                if let Ok(Reply::Message { attrs: a, .. }) = m {
                    let _ = parse_service_msg(a);
                    let _ = parse_dest_msg(a, AF_INET);
                    let _ = parse_daemon_msg(a);
                    let _ = parse_info(a);
                    let _ = parse_config(a);
                    let _ = parse_family_id(a);
                    for x in attrs(a).flatten() {
                        let _ = parse_service(x.1);
                        let _ = parse_dest(x.1, AF_INET6);
                        let _ = parse_daemon(x.1);
                        let _ = parse_stats(x.1);
                    }
                }
            }
        }
        for n in 0..=buf.len() {
            exercise(&buf[..n]);
        }
        for i in 0..buf.len() {
            for v in [0u8, 1, 3, 4, 0x7f, 0xff] {
                let mut b = buf.clone();
                b[i] = v;
                exercise(&b);
            }
        }
    }

    /// Decoding 100 000 destination records must be cheap (no allocation per
    /// attribute); this is a smoke test of the hot path, not a benchmark.
    #[test]
    fn decode_many_dests() {
        let mut top = Msg::new();
        top.nest(cmd_attr::DEST, &kernel_dest(None, "198.51.100.1"));
        let one = datagram(FAM, NLM_F_MULTI, 1, cmd::NEW_DEST, &top.buf);
        let per = 32 * 1024 / one.len();
        let mut chunk = Vec::new();
        for _ in 0..per {
            chunk.extend_from_slice(&one);
        }
        let mut total = 0;
        while total < 100_000 {
            for m in messages(&chunk) {
                if let Reply::Message { attrs: a, .. } = m.unwrap() {
                    let d = parse_dest_msg(a, AF_INET).unwrap();
                    assert_eq!(d.port, 8080);
                    total += 1;
                }
            }
        }
    }
}
