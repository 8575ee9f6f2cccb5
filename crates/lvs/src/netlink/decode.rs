//! Bytes to replies: netlink messages and attributes iterated in place
//! (borrowed slices of the receive buffer, no allocation per attribute,
//! because listings of 100 000 destinations are decoded in a hot loop), and
//! the IPVS attribute sets decoded into typed [`crate::model`] values.
//! Pure: no I/O. Every malformed input is a [`DecodeError`], never a panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::consts::*;
use super::wire::{secs, WireDest, WireService};
use crate::model::{Daemon, DaemonRole, Dest, Family, Info, RawAddr, Service, Stats, Timeouts};

/// A malformed or unexpected reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A netlink message header is cut short or its length is impossible.
    #[error("malformed netlink message header")]
    BadMessage,
    /// An attribute header is cut short or its length is impossible.
    #[error("malformed netlink attribute")]
    BadAttribute,
    /// A data message has no room for the generic netlink header.
    #[error("missing generic netlink header")]
    NoGenlHeader,
    /// An attribute has the wrong size for its type.
    #[error("bad size of attribute {0}")]
    BadPayload(&'static str),
    /// A required attribute is missing.
    #[error("missing attribute {0}")]
    Missing(&'static str),
    /// `NLMSG_OVERRUN` was received.
    #[error("netlink overrun")]
    Overrun,
}

/// One received netlink message, classified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reply<'a> {
    /// `NLMSG_ERROR` with error 0.
    Ack {
        /// Sequence number of the request acknowledged.
        seq: u32,
    },
    /// `NLMSG_ERROR` with a negative error (stored positive here), or a
    /// `NLMSG_DONE` carrying a negative dump status.
    Error {
        /// Sequence number of the request refused.
        seq: u32,
        /// The kernel's errno, positive.
        errno: i32,
    },
    /// `NLMSG_DONE`: a dump finished.
    Done {
        /// Sequence number of the dump request.
        seq: u32,
    },
    /// A data message (family id as type): genl command and the attribute
    /// area after the genl header, borrowed from the receive buffer.
    Message {
        /// Sequence number of the request answered.
        seq: u32,
        /// `nlmsg_flags` (`NLM_F_MULTI` for dump items).
        flags: u16,
        /// `nlmsg_type`: the generic netlink family id.
        msg_type: u16,
        /// The generic netlink command.
        cmd: u8,
        /// The attributes after the generic netlink header.
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

pub(crate) fn rd_u16(b: &[u8], at: usize) -> u16 {
    u16::from_ne_bytes([b[at], b[at + 1]])
}

pub(crate) fn rd_u32(b: &[u8], at: usize) -> u32 {
    u32::from_ne_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

const fn align4(n: usize) -> usize {
    (n + 3) & !3
}

/// Iterator over the netlink messages of one received datagram.
///
/// Yields an error (and then stops) on a malformed header.
#[derive(Debug)]
pub struct Messages<'a> {
    buf: &'a [u8],
    failed: bool,
}

/// Iterates over the messages in `buf` without allocating.
pub fn messages(buf: &[u8]) -> Messages<'_> {
    Messages { buf, failed: false }
}

impl<'a> Messages<'a> {
    fn parse_one(&mut self) -> Result<Option<Reply<'a>>, DecodeError> {
        let buf = self.buf;
        if buf.len() < NLMSG_HDRLEN {
            return Err(DecodeError::BadMessage);
        }
        let len = rd_u32(buf, 0) as usize;
        if len < NLMSG_HDRLEN || len > buf.len() {
            return Err(DecodeError::BadMessage);
        }
        let msg_type = rd_u16(buf, 4);
        let flags = rd_u16(buf, 6);
        let seq = rd_u32(buf, 8);
        let payload = &buf[NLMSG_HDRLEN..len];
        self.buf = &buf[align4(len).min(buf.len())..];
        let reply = match msg_type {
            NLMSG_NOOP => None,
            NLMSG_OVERRUN => return Err(DecodeError::Overrun),
            NLMSG_ERROR => {
                if payload.len() < 4 {
                    return Err(DecodeError::BadMessage);
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
                    return Err(DecodeError::NoGenlHeader);
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
    type Item = Result<Reply<'a>, DecodeError>;

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
pub fn parse_messages(buf: &[u8]) -> Result<Vec<Reply<'_>>, DecodeError> {
    messages(buf).collect()
}

/// Iterator over a run of attributes: yields `(type, payload)` with the
/// `NLA_F_NESTED` / `NLA_F_NET_BYTEORDER` bits stripped from the type.
#[derive(Debug)]
pub struct Attrs<'a> {
    buf: &'a [u8],
    failed: bool,
}

/// Iterates over the attributes in `buf`.
pub fn attrs(buf: &[u8]) -> Attrs<'_> {
    Attrs { buf, failed: false }
}

impl<'a> Iterator for Attrs<'a> {
    type Item = Result<(u16, &'a [u8]), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.buf.is_empty() {
            return None;
        }
        let buf = self.buf;
        if buf.len() < NLA_HDRLEN {
            self.failed = true;
            return Some(Err(DecodeError::BadAttribute));
        }
        let len = rd_u16(buf, 0) as usize;
        if len < NLA_HDRLEN || len > buf.len() {
            self.failed = true;
            return Some(Err(DecodeError::BadAttribute));
        }
        let ty = rd_u16(buf, 2) & NLA_TYPE_MASK;
        self.buf = &buf[align4(len).min(buf.len())..];
        Some(Ok((ty, &buf[NLA_HDRLEN..len])))
    }
}

/// The payload of the first attribute of type `ty` in `buf`, if any.
pub fn find_attr(buf: &[u8], ty: u16) -> Result<Option<&[u8]>, DecodeError> {
    for a in attrs(buf) {
        let (t, p) = a?;
        if t == ty {
            return Ok(Some(p));
        }
    }
    Ok(None)
}

fn get_u8(p: &[u8], what: &'static str) -> Result<u8, DecodeError> {
    p.first().copied().ok_or(DecodeError::BadPayload(what))
}

fn get_u16(p: &[u8], what: &'static str) -> Result<u16, DecodeError> {
    if p.len() < 2 {
        return Err(DecodeError::BadPayload(what));
    }
    Ok(rd_u16(p, 0))
}

fn get_be16(p: &[u8], what: &'static str) -> Result<u16, DecodeError> {
    if p.len() < 2 {
        return Err(DecodeError::BadPayload(what));
    }
    Ok(u16::from_be_bytes([p[0], p[1]]))
}

fn get_u32(p: &[u8], what: &'static str) -> Result<u32, DecodeError> {
    if p.len() < 4 {
        return Err(DecodeError::BadPayload(what));
    }
    Ok(rd_u32(p, 0))
}

/// A counter: u64 when 8 bytes are present, else u32 (STATS mixes both).
fn get_counter(p: &[u8]) -> Result<u64, DecodeError> {
    if p.len() >= 8 {
        let mut b = [0u8; 8];
        b.copy_from_slice(&p[..8]);
        Ok(u64::from_ne_bytes(b))
    } else if p.len() >= 4 {
        Ok(u64::from(rd_u32(p, 0)))
    } else {
        Err(DecodeError::BadPayload("stats counter"))
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
pub fn parse_stats(nest: &[u8]) -> Result<Stats, DecodeError> {
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
pub fn parse_service(nest: &[u8]) -> Result<Service, DecodeError> {
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
                    return Err(DecodeError::BadPayload("service FLAGS"));
                }
                flags = Some(rd_u32(p, 0) & rd_u32(p, 4));
            }
            svc_attr::TIMEOUT => timeout = Some(get_u32(p, "service TIMEOUT")?),
            svc_attr::NETMASK => {
                if p.len() < 4 {
                    return Err(DecodeError::BadPayload("service NETMASK"));
                }
                netmask = Some([p[0], p[1], p[2], p[3]]);
            }
            svc_attr::STATS => stats = Some(p),
            svc_attr::STATS64 => stats64 = Some(p),
            _ => {}
        }
    }
    let af = af.ok_or(DecodeError::Missing("service AF"))?;
    let fwmark = fwmark.unwrap_or(0);
    let (protocol, addr, port) = match (protocol, addr, port) {
        (Some(pr), Some(a), Some(po)) => (pr, a, po),
        _ if fwmark != 0 => (
            protocol.unwrap_or(0),
            addr.unwrap_or([0; 16]),
            port.unwrap_or(0),
        ),
        _ => return Err(DecodeError::Missing("service key")),
    };
    let sched = sched.ok_or(DecodeError::Missing("service SCHED_NAME"))?;
    let flags = flags.ok_or(DecodeError::Missing("service FLAGS"))?;
    let timeout = timeout.ok_or(DecodeError::Missing("service TIMEOUT"))?;
    let netmask = netmask.ok_or(DecodeError::Missing("service NETMASK"))?;
    let stats = match (stats64, stats) {
        (Some(n), _) | (None, Some(n)) => parse_stats(n)?,
        (None, None) => Stats::default(),
    };
    Ok(WireService {
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
    }
    .into_service())
}

/// Decodes the contents of a DEST nest. `default_af` (the service's family)
/// is used when the kernel does not send ADDR_FAMILY.
///
/// Requires ADDR, PORT, FWD_METHOD, WEIGHT, U_THRESH, L_THRESH; connection
/// counters, tunnel attributes and stats default to 0 when absent. The
/// forwarding method is kept as sent (ipvsadm masks it with 7 when printing).
pub fn parse_dest(nest: &[u8], default_af: Family) -> Result<Dest, DecodeError> {
    let mut d = WireDest::empty(default_af.af());
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
                d.weight = get_u32(p, "dest WEIGHT")?;
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
        return Err(DecodeError::Missing("dest ADDR"));
    }
    if have & PORT == 0 {
        return Err(DecodeError::Missing("dest PORT"));
    }
    if have & FWD == 0 {
        return Err(DecodeError::Missing("dest FWD_METHOD"));
    }
    if have & WEIGHT == 0 {
        return Err(DecodeError::Missing("dest WEIGHT"));
    }
    if have & UT == 0 {
        return Err(DecodeError::Missing("dest U_THRESH"));
    }
    if have & LT == 0 {
        return Err(DecodeError::Missing("dest L_THRESH"));
    }
    if let Some(n) = stats64.or(stats) {
        d.stats = parse_stats(n)?;
    }
    Ok(d.into_dest())
}

/// Decodes the top-level attributes of a GET_INFO reply (both required).
pub fn parse_info(attrs_buf: &[u8]) -> Result<Info, DecodeError> {
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
        version: version.ok_or(DecodeError::Missing("info VERSION"))?,
        conn_tab_size: size.ok_or(DecodeError::Missing("info CONN_TAB_SIZE"))?,
    })
}

/// Decodes the top-level attributes of a GET_CONFIG reply (absent = 0).
pub fn parse_config(attrs_buf: &[u8]) -> Result<Timeouts, DecodeError> {
    let mut t = Timeouts::default();
    for a in attrs(attrs_buf) {
        let (ty, p) = a?;
        match ty {
            cmd_attr::TIMEOUT_TCP => t.tcp = secs(get_u32(p, "TIMEOUT_TCP")?),
            cmd_attr::TIMEOUT_TCP_FIN => t.tcp_fin = secs(get_u32(p, "TIMEOUT_TCP_FIN")?),
            cmd_attr::TIMEOUT_UDP => t.udp = secs(get_u32(p, "TIMEOUT_UDP")?),
            _ => {}
        }
    }
    Ok(t)
}

/// Decodes the contents of a DAEMON nest (STATE, MCAST_IFN and SYNC_ID are
/// required; the rest default to 0 / no group). `None` for a state with
/// neither the master nor the backup bit, an entry ipvsadm prints nothing
/// for.
pub fn parse_daemon(nest: &[u8]) -> Result<Option<Daemon>, DecodeError> {
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
                    return Err(DecodeError::BadPayload("daemon MCAST_GROUP"));
                }
                d.mcast_group = Some(IpAddr::V4(Ipv4Addr::new(p[0], p[1], p[2], p[3])));
            }
            daemon_attr::MCAST_GROUP6 => {
                if p.len() < 16 {
                    return Err(DecodeError::BadPayload("daemon MCAST_GROUP6"));
                }
                d.mcast_group = Some(IpAddr::V6(Ipv6Addr::from(get_addr(p))));
            }
            daemon_attr::MCAST_PORT => d.mcast_port = get_u16(p, "daemon MCAST_PORT")?,
            daemon_attr::MCAST_TTL => d.mcast_ttl = get_u8(p, "daemon MCAST_TTL")?,
            _ => {}
        }
    }
    let state = state.ok_or(DecodeError::Missing("daemon STATE"))?;
    d.mcast_ifn = get_string(ifn.ok_or(DecodeError::Missing("daemon MCAST_IFN"))?);
    d.syncid = syncid.ok_or(DecodeError::Missing("daemon SYNC_ID"))?;
    Ok(DaemonRole::from_state(state).map(|role| Daemon { role, ..d }))
}

/// The SERVICE nest of a service reply message's attributes, decoded.
pub fn parse_service_msg(attrs_buf: &[u8]) -> Result<Service, DecodeError> {
    let nest = find_attr(attrs_buf, cmd_attr::SERVICE)?.ok_or(DecodeError::Missing("SERVICE"))?;
    parse_service(nest)
}

/// The DEST nest of a destination reply message's attributes, decoded.
pub fn parse_dest_msg(attrs_buf: &[u8], default_af: Family) -> Result<Dest, DecodeError> {
    let nest = find_attr(attrs_buf, cmd_attr::DEST)?.ok_or(DecodeError::Missing("DEST"))?;
    parse_dest(nest, default_af)
}

/// The DAEMON nest of a daemon reply message's attributes, decoded.
pub fn parse_daemon_msg(attrs_buf: &[u8]) -> Result<Option<Daemon>, DecodeError> {
    let nest = find_attr(attrs_buf, cmd_attr::DAEMON)?.ok_or(DecodeError::Missing("DAEMON"))?;
    parse_daemon(nest)
}
