//! The wire layer: services and real servers as the kernel's attributes
//! carry them (address family and protocol numbers, the 16-byte address
//! union, the forwarding and tunnel numbers, the netmask's four bytes,
//! whole seconds), and the conversions from and to the typed records of
//! [`crate::model`]. [`encode`](super::encode) writes these structs and
//! [`decode`](super::decode) fills them; nothing outside the codec sees
//! them.

use std::net::Ipv4Addr;
use std::time::Duration;

use super::encode::EncodeError;
use crate::model::{
    ip_from_raw, raw_from_ip, Dest, Family, Forward, Netmask, Protocol, RawAddr, Service,
    ServiceFlags, Stats, TunnelChecksum, TunnelType,
};

/// A virtual service's attributes (`IPVS_SVC_ATTR_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireService {
    pub af: u16,
    pub protocol: u16,
    pub addr: RawAddr,
    pub port: u16,
    pub fwmark: u32,
    pub sched_name: String,
    pub pe_name: String,
    pub flags: u32,
    pub timeout: u32,
    /// IPv4: the mask in network order; IPv6: the prefix length, host order.
    pub netmask: [u8; 4],
    pub stats: Stats,
}

/// A timeout as the kernel's whole seconds on 32 bits, or the refusal.
pub(crate) fn whole_secs(timeout: Duration) -> Result<u32, EncodeError> {
    match u32::try_from(timeout.as_secs()) {
        Ok(secs) if timeout.subsec_nanos() == 0 => Ok(secs),
        _ => Err(EncodeError::Timeout { timeout }),
    }
}

/// Whole seconds the kernel sent, as a duration.
pub(crate) fn secs(n: u32) -> Duration {
    Duration::from_secs(u64::from(n))
}

impl WireService {
    /// The attributes of `svc`; refused when its timeout does not fit.
    pub fn of(svc: &Service) -> Result<WireService, EncodeError> {
        Ok(WireService {
            timeout: whole_secs(svc.timeout)?,
            ..WireService::key(svc)
        })
    }

    /// The attributes that name `svc` (what lookups and deletions carry);
    /// the settings are left at zero and not checked.
    pub fn key(svc: &Service) -> WireService {
        WireService {
            af: svc.family.af(),
            protocol: svc.protocol.number(),
            addr: raw_from_ip(svc.addr),
            port: svc.port,
            fwmark: svc.fwmark,
            sched_name: svc.sched_name.clone(),
            pe_name: svc.pe_name.clone(),
            flags: svc.flags.bits(),
            timeout: 0,
            netmask: match svc.netmask {
                Netmask::Prefix(n) => n.to_ne_bytes(),
                Netmask::Mask(m) => m.octets(),
            },
            stats: svc.stats,
        }
    }

    /// The typed record: the address and the netmask read in the family.
    pub fn into_service(self) -> Service {
        let family = Family::from_af(self.af);
        Service {
            family,
            protocol: Protocol::from_number(self.protocol),
            addr: ip_from_raw(family, &self.addr),
            port: self.port,
            fwmark: self.fwmark,
            sched_name: self.sched_name,
            pe_name: self.pe_name,
            flags: ServiceFlags::from_bits(self.flags),
            timeout: secs(self.timeout),
            netmask: match family {
                Family::Inet6 => Netmask::Prefix(u32::from_ne_bytes(self.netmask)),
                Family::Inet => Netmask::Mask(Ipv4Addr::from(self.netmask)),
            },
            stats: self.stats,
        }
    }
}

/// A real server's attributes (`IPVS_DEST_ATTR_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WireDest {
    pub af: u16,
    pub addr: RawAddr,
    pub port: u16,
    pub fwd: u32,
    pub weight: u32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub active_conns: u32,
    pub inact_conns: u32,
    pub persist_conns: u32,
    pub tun_type: u8,
    pub tun_port: u16,
    pub tun_flags: u16,
    pub stats: Stats,
}

impl WireDest {
    /// The attributes of `dest`.
    pub fn of(dest: &Dest) -> WireDest {
        WireDest {
            af: dest.family.af(),
            addr: raw_from_ip(dest.addr),
            port: dest.port,
            fwd: dest.forward.number(),
            weight: dest.weight as u32,
            u_threshold: dest.u_threshold,
            l_threshold: dest.l_threshold,
            active_conns: dest.active_conns,
            inact_conns: dest.inact_conns,
            persist_conns: dest.persist_conns,
            tun_type: dest.tun_type.number(),
            tun_port: dest.tun_port,
            tun_flags: dest.tun_checksum.flags(),
            stats: dest.stats,
        }
    }

    /// What a reply starts from: family `af`, every number zero.
    pub fn empty(af: u16) -> WireDest {
        WireDest {
            af,
            addr: [0; 16],
            port: 0,
            fwd: 0,
            weight: 0,
            u_threshold: 0,
            l_threshold: 0,
            active_conns: 0,
            inact_conns: 0,
            persist_conns: 0,
            tun_type: 0,
            tun_port: 0,
            tun_flags: 0,
            stats: Stats::default(),
        }
    }

    /// The typed record: the address read in the family; numbers without
    /// a name kept as `Other`.
    pub fn into_dest(self) -> Dest {
        let family = Family::from_af(self.af);
        Dest {
            family,
            addr: ip_from_raw(family, &self.addr),
            port: self.port,
            forward: Forward::from_number(self.fwd),
            weight: self.weight as i32,
            u_threshold: self.u_threshold,
            l_threshold: self.l_threshold,
            active_conns: self.active_conns,
            inact_conns: self.inact_conns,
            persist_conns: self.persist_conns,
            tun_type: TunnelType::from_number(self.tun_type),
            tun_port: self.tun_port,
            tun_checksum: TunnelChecksum::from_flags(self.tun_flags),
            stats: self.stats,
        }
    }
}
