//! Requests to bytes: [`Request`] and the encoder, byte-exact with what
//! ipvsadm 1.31 sends (attribute order, 16-byte addresses, `NLA_F_NESTED`
//! on nests, padding). Pure: appends to a caller's buffer, no I/O.
//!
//! The encoder refuses what the wire or the kernel cannot carry, with an
//! [`EncodeError`] and the buffer left as it was: names longer than the
//! kernel's netlink policy accepts (15 bytes for a scheduler or an
//! interface, 16 for a persistence engine) and any attribute or nest longer than the 16-bit
//! `nla_len` field can express. Without the length check a long enough
//! name would wrap its nest's length, and the kernel would read the bytes
//! inside the name as attributes of their own.

use std::net::IpAddr;

use super::consts::*;
use super::error::Op;
use super::wire::{whole_secs, WireDest, WireService};
use crate::model::{Daemon, Dest, Service, ServiceKey, Timeouts};

/// A request the encoder refuses to put on the wire.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A name is longer than the kernel accepts (`max` bytes, without the
    /// terminating NUL).
    #[error("{what} is {len} bytes long; the kernel accepts at most {max}")]
    NameTooLong {
        /// Which name (`"scheduler name"`, `"persistence engine name"`,
        /// `"interface name"`).
        what: &'static str,
        /// Its length in bytes.
        len: usize,
        /// The kernel's limit in bytes, without the NUL.
        max: usize,
    },
    /// An attribute or a nest would be longer than the 16-bit `nla_len`
    /// field can express.
    #[error(
        "netlink attribute {ty} would be {len} bytes long; at most {} fit",
        NLA_MAX_LEN
    )]
    AttributeTooLong {
        /// The attribute type.
        ty: u16,
        /// Its length in bytes, header included.
        len: usize,
    },
    /// A timeout (persistence, connections) the kernel cannot hold: not a whole number of
    /// seconds, or 2^32 seconds or more.
    #[error("timeout {timeout:?} is not a whole number of seconds below 2^32")]
    Timeout {
        /// The timeout.
        timeout: std::time::Duration,
    },
    /// The generic netlink controller request could not be built.
    #[error("generic netlink control request cannot be built")]
    Control,
    /// A message would be longer than the 32-bit `nlmsg_len` field can
    /// express.
    #[error("netlink message would be {len} bytes long")]
    MessageTooLong {
        /// Its length in bytes.
        len: usize,
    },
}

/// One IPVS request, as ipvsadm would send it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// `IPVS_CMD_GET_INFO` (do).
    GetInfo,
    /// `IPVS_CMD_GET_SERVICE` dump: every service.
    GetServices,
    /// `IPVS_CMD_GET_SERVICE` do: one service by key (ESRCH if absent).
    GetService(ServiceKey),
    /// `IPVS_CMD_GET_DEST` dump: the destinations of one service.
    GetDests(ServiceKey),
    /// `IPVS_CMD_GET_CONFIG` (timeouts).
    GetConfig,
    /// `IPVS_CMD_GET_DAEMON` dump.
    GetDaemons,
    /// `-A`.
    NewService(Service),
    /// `-E`.
    SetService(Service),
    /// `-D`.
    DelService(ServiceKey),
    /// `-a`: the real server, in the service the key names.
    NewDest(ServiceKey, Dest),
    /// `-e`.
    SetDest(ServiceKey, Dest),
    /// `-d` (only the real server's address and port matter).
    DelDest(ServiceKey, Dest),
    /// `-Z` (all services when `None`).
    Zero(Option<ServiceKey>),
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

    /// The operation this request performs, as ipvsadm names it when it
    /// picks an error message ([`ipvs_strerror`](super::ipvs_strerror)).
    pub fn op(&self) -> Op {
        match self {
            Request::GetServices => Op::GetServices,
            Request::GetService(_) => Op::GetService,
            Request::GetDests(_) => Op::GetDests,
            Request::NewService(_) => Op::AddService,
            Request::SetService(_) => Op::EditService,
            Request::DelService(_) => Op::DelService,
            Request::Zero(Some(_)) => Op::ZeroService,
            Request::NewDest(..) => Op::AddDest,
            Request::SetDest(..) => Op::EditDest,
            Request::DelDest(..) => Op::DelDest,
            Request::NewDaemon(_) => Op::StartDaemon,
            Request::DelDaemon(_) => Op::StopDaemon,
            Request::GetInfo
            | Request::GetConfig
            | Request::GetDaemons
            | Request::Zero(None)
            | Request::Flush
            | Request::SetConfig(_) => Op::Other,
        }
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
pub(crate) struct AttrWriter<'a> {
    pub(crate) out: &'a mut Vec<u8>,
}

impl AttrWriter<'_> {
    /// One attribute with `payload`; refused if `nla_len` cannot hold it.
    pub(crate) fn put(&mut self, ty: u16, payload: &[u8]) -> Result<(), EncodeError> {
        let len = NLA_HDRLEN + payload.len();
        let l = u16::try_from(len)
            .map_err(|_| EncodeError::AttributeTooLong { ty, len })?
            .to_ne_bytes();
        let t = ty.to_ne_bytes();
        self.out.reserve(len + 3);
        self.out.extend_from_slice(&[l[0], l[1], t[0], t[1]]);
        self.out.extend_from_slice(payload);
        self.pad();
        Ok(())
    }

    fn pad(&mut self) {
        let n = (4 - self.out.len() % 4) % 4;
        self.out.extend_from_slice(&[0u8; 3][..n]);
    }

    fn u8(&mut self, ty: u16, v: u8) -> Result<(), EncodeError> {
        self.put(ty, &[v])
    }

    fn u16(&mut self, ty: u16, v: u16) -> Result<(), EncodeError> {
        self.put(ty, &v.to_ne_bytes())
    }

    fn be16(&mut self, ty: u16, v: u16) -> Result<(), EncodeError> {
        self.put(ty, &v.to_be_bytes())
    }

    fn u32(&mut self, ty: u16, v: u32) -> Result<(), EncodeError> {
        self.put(ty, &v.to_ne_bytes())
    }

    /// A NUL-terminated string (`NLA_PUT_STRING`).
    pub(crate) fn string(&mut self, ty: u16, s: &str) -> Result<(), EncodeError> {
        let len = NLA_HDRLEN + s.len() + 1;
        let l = u16::try_from(len).map_err(|_| EncodeError::AttributeTooLong { ty, len })?;
        self.out.extend_from_slice(&l.to_ne_bytes());
        self.out.extend_from_slice(&ty.to_ne_bytes());
        self.out.extend_from_slice(s.as_bytes());
        self.out.push(0);
        self.pad();
        Ok(())
    }

    /// A string attribute whose value the kernel limits to `max` bytes.
    fn name(
        &mut self,
        ty: u16,
        s: &str,
        what: &'static str,
        max: usize,
    ) -> Result<(), EncodeError> {
        if s.len() > max {
            return Err(EncodeError::NameTooLong {
                what,
                len: s.len(),
                max,
            });
        }
        self.string(ty, s)
    }

    /// Opens a nest (flagged `NLA_F_NESTED`, like libnl); returns its start.
    pub(crate) fn begin_nest(&mut self, ty: u16) -> usize {
        let start = self.out.len();
        self.out.extend_from_slice(&0u16.to_ne_bytes());
        self.out
            .extend_from_slice(&(ty | NLA_F_NESTED).to_ne_bytes());
        start
    }

    /// Closes the nest opened at `start`; refused if it grew too long.
    pub(crate) fn end_nest(&mut self, start: usize) -> Result<(), EncodeError> {
        let len = self.out.len() - start;
        let l = u16::try_from(len).map_err(|_| EncodeError::AttributeTooLong {
            ty: u16::from_ne_bytes([self.out[start + 2], self.out[start + 3]]) & NLA_TYPE_MASK,
            len,
        })?;
        self.out[start..start + 2].copy_from_slice(&l.to_ne_bytes());
        Ok(())
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

fn put_service(w: &mut AttrWriter<'_>, svc: &Service, form: SvcForm) -> Result<(), EncodeError> {
    let svc = match form {
        SvcForm::Key => WireService::key(svc),
        SvcForm::Full => WireService::of(svc)?,
    };
    let nest = w.begin_nest(cmd_attr::SERVICE);
    w.u16(svc_attr::AF, svc.af)?;
    if svc.fwmark != 0 {
        w.u32(svc_attr::FWMARK, svc.fwmark)?;
    } else {
        w.u16(svc_attr::PROTOCOL, svc.protocol)?;
        w.put(svc_attr::ADDR, &svc.addr)?;
        w.be16(svc_attr::PORT, svc.port)?;
    }
    if form == SvcForm::Full {
        w.name(
            svc_attr::SCHED_NAME,
            &svc.sched_name,
            "scheduler name",
            MAX_SCHED_NAME,
        )?;
        if !svc.pe_name.is_empty() {
            w.name(
                svc_attr::PE_NAME,
                &svc.pe_name,
                "persistence engine name",
                MAX_PE_NAME,
            )?;
        }
        let mut flags = [0u8; 8];
        flags[..4].copy_from_slice(&svc.flags.to_ne_bytes());
        flags[4..].copy_from_slice(&u32::MAX.to_ne_bytes());
        w.put(svc_attr::FLAGS, &flags)?;
        w.u32(svc_attr::TIMEOUT, svc.timeout)?;
        w.put(svc_attr::NETMASK, &svc.netmask)?;
    }
    w.end_nest(nest)
}

fn put_dest(w: &mut AttrWriter<'_>, dest: &Dest) -> Result<(), EncodeError> {
    let dest = WireDest::of(dest);
    let nest = w.begin_nest(cmd_attr::DEST);
    w.u16(dest_attr::ADDR_FAMILY, dest.af)?;
    w.put(dest_attr::ADDR, &dest.addr)?;
    w.be16(dest_attr::PORT, dest.port)?;
    w.u32(dest_attr::FWD_METHOD, dest.fwd)?;
    w.u32(dest_attr::WEIGHT, dest.weight)?;
    w.u8(dest_attr::TUN_TYPE, dest.tun_type)?;
    w.be16(dest_attr::TUN_PORT, dest.tun_port)?;
    w.u16(dest_attr::TUN_FLAGS, dest.tun_flags)?;
    w.u32(dest_attr::U_THRESH, dest.u_threshold)?;
    w.u32(dest_attr::L_THRESH, dest.l_threshold)?;
    w.end_nest(nest)
}

fn put_daemon_start(w: &mut AttrWriter<'_>, d: &Daemon) -> Result<(), EncodeError> {
    let nest = w.begin_nest(cmd_attr::DAEMON);
    w.u32(daemon_attr::STATE, d.role.state())?;
    w.name(
        daemon_attr::MCAST_IFN,
        &d.mcast_ifn,
        "interface name",
        MAX_IFNAME,
    )?;
    w.u32(daemon_attr::SYNC_ID, d.syncid)?;
    if d.sync_maxlen != 0 {
        w.u16(daemon_attr::SYNC_MAXLEN, d.sync_maxlen)?;
    }
    if d.mcast_port != 0 {
        // Host order: the kernel applies htons() itself.
        w.u16(daemon_attr::MCAST_PORT, d.mcast_port)?;
    }
    if d.mcast_ttl != 0 {
        w.u8(daemon_attr::MCAST_TTL, d.mcast_ttl)?;
    }
    match d.mcast_group {
        Some(IpAddr::V4(g)) => w.put(daemon_attr::MCAST_GROUP, &g.octets())?,
        Some(IpAddr::V6(g)) => w.put(daemon_attr::MCAST_GROUP6, &g.octets())?,
        None => {}
    }
    w.end_nest(nest)
}

fn put_daemon_stop(w: &mut AttrWriter<'_>, d: &Daemon) -> Result<(), EncodeError> {
    let nest = w.begin_nest(cmd_attr::DAEMON);
    w.u32(daemon_attr::STATE, d.role.state())?;
    // ipvsadm always sends an empty interface name when stopping.
    w.string(daemon_attr::MCAST_IFN, "")?;
    w.u32(daemon_attr::SYNC_ID, d.syncid)?;
    w.end_nest(nest)
}

fn put_timeouts(w: &mut AttrWriter<'_>, t: &Timeouts) -> Result<(), EncodeError> {
    let (tcp, tcp_fin, udp) = (
        whole_secs(t.tcp)?,
        whole_secs(t.tcp_fin)?,
        whole_secs(t.udp)?,
    );
    w.u32(cmd_attr::TIMEOUT_TCP, tcp)?;
    w.u32(cmd_attr::TIMEOUT_TCP_FIN, tcp_fin)?;
    w.u32(cmd_attr::TIMEOUT_UDP, udp)
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

/// Patches the length of the message begun at `start`, or, if `body`
/// failed or the message is too long, removes the message from `out`.
fn end_message(
    out: &mut Vec<u8>,
    start: usize,
    body: Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let len = out.len() - start;
    let checked =
        body.and_then(|()| u32::try_from(len).map_err(|_| EncodeError::MessageTooLong { len }));
    match checked {
        Ok(l) => {
            out[start..start + 4].copy_from_slice(&l.to_ne_bytes());
            Ok(())
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}

/// Appends one complete netlink message for `req` to `out`, encoded as
/// ipvsadm 1.31 encodes it. `out` is expected to be 4-byte aligned in length
/// (it is, if it only holds messages written by this function).
///
/// On error `out` is left as it was.
pub fn encode(
    req: &Request,
    family: u16,
    seq: u32,
    pid: u32,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
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
    let body = match req {
        Request::GetInfo
        | Request::GetServices
        | Request::GetConfig
        | Request::GetDaemons
        | Request::Flush
        | Request::Zero(None) => Ok(()),
        Request::GetService(key) | Request::GetDests(key) => {
            put_service(&mut w, &key.to_service(), SvcForm::Key)
        }
        Request::NewService(svc) | Request::SetService(svc) => {
            put_service(&mut w, svc, SvcForm::Full)
        }
        // The kernel reads only the key of these; the rest is what ipvsadm
        // sends beside it (its defaults), so the bytes stay ipvsadm's.
        Request::DelService(key) | Request::Zero(Some(key)) => {
            put_service(&mut w, &key.to_service(), SvcForm::Full)
        }
        Request::NewDest(key, dest) | Request::SetDest(key, dest) | Request::DelDest(key, dest) => {
            put_service(&mut w, &key.to_service(), SvcForm::Full)
                .and_then(|()| put_dest(&mut w, dest))
        }
        Request::SetConfig(t) => put_timeouts(&mut w, t),
        Request::NewDaemon(d) => put_daemon_start(&mut w, d),
        Request::DelDaemon(d) => put_daemon_stop(&mut w, d),
    };
    end_message(out, start, body)
}

/// Appends a GET_DEST dump request for the service `key` names (the same
/// bytes as `encode(&Request::GetDests(*key), ..)`).
pub fn encode_get_dests(
    key: &ServiceKey,
    family: u16,
    seq: u32,
    pid: u32,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let start = begin_message(
        out,
        family,
        NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP,
        seq,
        pid,
        cmd::GET_DEST,
        IPVS_GENL_VERSION,
    );
    let body = put_service(
        &mut AttrWriter { out: &mut *out },
        &key.to_service(),
        SvcForm::Key,
    );
    end_message(out, start, body)
}
