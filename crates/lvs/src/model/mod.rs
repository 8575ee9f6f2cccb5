//! Plain typed data shared by every layer: what the kernel holds and what the
//! command line asks for. No I/O here.
//!
//! Values are kept as close to the kernel's representation as is useful,
//! because ipvsadm's output depends on raw details (the 16-byte address union
//! used by its sort, signed printing of fwmarks, flag bits...).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

mod key;
mod names;
mod ntop;
pub use key::*;
pub use names::*;
pub use ntop::{ntop, ntop6, write_ntop6};

/// Address family numbers as the kernel uses them.
pub(crate) const AF_INET: u16 = 2;
/// IPv6 address family.
pub(crate) const AF_INET6: u16 = 10;

/// IP protocol numbers of virtual services.
pub(crate) const IPPROTO_TCP: u16 = 6;
/// UDP.
pub(crate) const IPPROTO_UDP: u16 = 17;
/// SCTP.
pub(crate) const IPPROTO_SCTP: u16 = 132;

/// The flags of a virtual service (`IP_VS_SVC_F_*`), as a set of bits.
///
/// Bits without a name here are kept as the kernel sent them (listings
/// and JSON show the raw value); [`ServiceFlags::bits`] gives it.
///
/// ```
/// use lvs::ServiceFlags;
///
/// let f = ServiceFlags::PERSISTENT | ServiceFlags::SCHED2;
/// assert!(f.contains(ServiceFlags::PERSISTENT) && !f.intersects(ServiceFlags::ONEPACKET));
/// assert_eq!(f.bits(), 0x11);
/// // An unknown bit is kept.
/// assert_eq!((ServiceFlags::from_bits(0x40) | f).bits(), 0x51);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ServiceFlags(u32);

impl ServiceFlags {
    /// No flag.
    pub const EMPTY: ServiceFlags = ServiceFlags(0);
    /// Persistent service (`-p`).
    pub const PERSISTENT: ServiceFlags = ServiceFlags(0x1);
    /// Set by the kernel on every hashed service (replies only).
    pub const HASHED: ServiceFlags = ServiceFlags(0x2);
    /// One-packet scheduling (`-o`).
    pub const ONEPACKET: ServiceFlags = ServiceFlags(0x4);
    /// Scheduler flag 1 (`flag-1`, `sh-fallback`, `mh-fallback`).
    pub const SCHED1: ServiceFlags = ServiceFlags(0x8);
    /// Scheduler flag 2 (`flag-2`, `sh-port`, `mh-port`).
    pub const SCHED2: ServiceFlags = ServiceFlags(0x10);
    /// Scheduler flag 3 (`flag-3`).
    pub const SCHED3: ServiceFlags = ServiceFlags(0x20);
    /// The three scheduler flags (`-b`).
    pub const SCHED: ServiceFlags = ServiceFlags(0x8 | 0x10 | 0x20);

    /// The set of these bits, named or not.
    pub const fn from_bits(bits: u32) -> ServiceFlags {
        ServiceFlags(bits)
    }

    /// The bits, named or not.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Both sets' bits.
    pub const fn union(self, other: ServiceFlags) -> ServiceFlags {
        ServiceFlags(self.0 | other.0)
    }

    /// Whether every bit of `other` is set.
    pub const fn contains(self, other: ServiceFlags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set.
    pub const fn intersects(self, other: ServiceFlags) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether no bit is set.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::BitOr for ServiceFlags {
    type Output = ServiceFlags;
    fn bitor(self, rhs: ServiceFlags) -> ServiceFlags {
        ServiceFlags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for ServiceFlags {
    fn bitor_assign(&mut self, rhs: ServiceFlags) {
        self.0 |= rhs.0;
    }
}

impl std::ops::BitAnd for ServiceFlags {
    type Output = ServiceFlags;
    fn bitand(self, rhs: ServiceFlags) -> ServiceFlags {
        ServiceFlags(self.0 & rhs.0)
    }
}

impl std::ops::BitAndAssign for ServiceFlags {
    fn bitand_assign(&mut self, rhs: ServiceFlags) {
        self.0 &= rhs.0;
    }
}

impl std::ops::Not for ServiceFlags {
    type Output = ServiceFlags;
    fn not(self) -> ServiceFlags {
        ServiceFlags(!self.0)
    }
}

/// The names of the scheduler flag bits set in `flags`, in bit order, as
/// `-S`/`-L` write them for the scheduler `sched` ([`sched_flag_names`]),
/// except that a bit the scheduler cannot name gets its generic name
/// (`flag-3` under `sh`/`mh`) instead of being left out: given back to `-b`,
/// the names set exactly these bits.
pub fn sched_flags_all_named(sched: &str, flags: ServiceFlags) -> Vec<&'static str> {
    SCHED_FLAG_BITS
        .iter()
        .zip(sched_flag_names(sched))
        .zip(sched_flag_names(""))
        .filter(|((bit, _), _)| flags.intersects(**bit))
        .map(|((_, name), generic)| if name.is_empty() { generic } else { name })
        .collect()
}

/// Default persistence timeout when `-p` has no value (seconds).
pub const DEFAULT_PERSISTENT_TIMEOUT: u32 = 360;

/// Forwarding methods (`IP_VS_CONN_F_*` & 7).
pub(crate) const FWD_MASQ: u32 = 0;
/// Local node.
pub(crate) const FWD_LOCALNODE: u32 = 1;
/// IP-in-IP (and GUE/GRE) tunnelling.
pub(crate) const FWD_TUNNEL: u32 = 2;
/// Direct routing (gatewaying), ipvsadm's default.
pub(crate) const FWD_DROUTE: u32 = 3;
/// Bypass (never set by ipvsadm).
pub(crate) const FWD_BYPASS: u32 = 4;
/// `IP_VS_CONN_F_FWD_MASK`: the forwarding method bits of a dest's flags.
pub(crate) const FWD_MASK: u32 = 7;

/// Tunnel types (`--tun-type`).
pub(crate) const TUN_TYPE_IPIP: u8 = 0;
/// Generic UDP encapsulation.
pub(crate) const TUN_TYPE_GUE: u8 = 1;
/// Generic routing encapsulation.
pub(crate) const TUN_TYPE_GRE: u8 = 2;

/// Tunnel flags (`--tun-nocsum` / `--tun-csum` / `--tun-remcsum`).
pub(crate) const TUN_F_NOCSUM: u16 = 0;
/// Checksum.
pub(crate) const TUN_F_CSUM: u16 = 1;
/// Remote checksum offload.
pub(crate) const TUN_F_REMCSUM: u16 = 2;

/// The kernel's sync daemon state bits (`IP_VS_STATE_MASTER`, `_BACKUP`).
pub(crate) const DAEMON_MASTER: u32 = 1;
pub(crate) const DAEMON_BACKUP: u32 = 2;

/// The kernel's 16-byte address union (`union nf_inet_addr`): an IPv4
/// address occupies the first 4 bytes, the rest are zero.
pub(crate) type RawAddr = [u8; 16];

/// Build a [`RawAddr`] from an IP address.
pub(crate) fn raw_from_ip(ip: IpAddr) -> RawAddr {
    let mut raw = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => raw[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => raw = v6.octets(),
    }
    raw
}

/// Interpret a [`RawAddr`] in the given address family.
pub(crate) fn ip_from_raw(af: Family, raw: &RawAddr) -> IpAddr {
    if af == Family::Inet6 {
        IpAddr::V6(Ipv6Addr::from(*raw))
    } else {
        IpAddr::V4(Ipv4Addr::new(raw[0], raw[1], raw[2], raw[3]))
    }
}

/// Traffic counters and rates of a service or destination.
///
/// Holds what the kernel reported (64-bit counters when the kernel sends
/// `STATS64`); ipvsadm's display quirks are applied by the formatters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub inpkts: u64,
    /// Packets out.
    pub outpkts: u64,
    /// Bytes in.
    pub inbytes: u64,
    /// Bytes out.
    pub outbytes: u64,
    /// Connections per second.
    pub cps: u64,
    /// Packets per second in.
    pub inpps: u64,
    /// Packets per second out.
    pub outpps: u64,
    /// Bytes per second in.
    pub inbps: u64,
    /// Bytes per second out.
    pub outbps: u64,
}

/// A virtual service, as sent to or received from the kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The address family (of the virtual address, or of the packets a
    /// fwmark service matches).
    pub family: Family,
    /// The protocol; `Protocol::Other(0)` for fwmark services.
    pub protocol: Protocol,
    /// Virtual address (the family's unspecified address for fwmark
    /// services).
    pub addr: IpAddr,
    /// Virtual port in host byte order.
    pub port: u16,
    /// Firewall mark; 0 for address-based services.
    pub fwmark: u32,
    /// Scheduler name (`wlc`, `rr`, ...). Empty in destination requests, as ipvsadm sends.
    pub sched_name: String,
    /// Persistence engine name (`sip`), empty when none.
    pub pe_name: String,
    /// The flags (already masked with the kernel's flag mask on replies).
    pub flags: ServiceFlags,
    /// Persistence timeout. The kernel counts it in whole seconds on 32
    /// bits: a value with a fraction of a second or of 2^32 seconds or more
    /// is refused when a request is encoded.
    pub timeout: Duration,
    /// Persistence granularity: a mask (IPv4) or a prefix length (IPv6).
    pub netmask: Netmask,
    /// Counters (replies only).
    pub stats: Stats,
}

impl Service {
    /// An empty service of the given family with ipvsadm's defaults for a key:
    /// netmask all ones (IPv4) or 128 (IPv6), everything else zero.
    pub fn new(af: Family) -> Service {
        Service {
            family: af,
            protocol: Protocol::Other(0),
            addr: af.unspecified(),
            port: 0,
            fwmark: 0,
            sched_name: String::new(),
            pe_name: String::new(),
            flags: ServiceFlags::EMPTY,
            timeout: Duration::ZERO,
            netmask: Netmask::full(af),
            stats: Stats::default(),
        }
    }

    /// True for firewall-mark services.
    pub fn is_fwmark(&self) -> bool {
        self.fwmark != 0
    }
}

/// A real server (destination) of a virtual service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dest {
    /// Address family of the destination (may differ from the service's for tunnels).
    pub family: Family,
    /// The real server's address.
    pub addr: IpAddr,
    /// Port in host byte order.
    pub port: u16,
    /// How the real server is reached.
    pub forward: Forward,
    /// Weight (the kernel keeps a signed int).
    pub weight: i32,
    /// Upper connection threshold (`-x`), 0 for none.
    pub u_threshold: u32,
    /// Lower connection threshold (`-y`), 0 for none.
    pub l_threshold: u32,
    /// Reply only.
    pub active_conns: u32,
    /// Reply only.
    pub inact_conns: u32,
    /// Reply only.
    pub persist_conns: u32,
    /// The tunnel's encapsulation (tunnelling real servers).
    pub tun_type: TunnelType,
    /// Tunnel port (GUE), host byte order.
    pub tun_port: u16,
    /// The tunnel's checksum setting (GUE and GRE).
    pub tun_checksum: TunnelChecksum,
    /// Counters (replies only).
    pub stats: Stats,
}

impl Dest {
    /// Whether the destination is reached by tunnelling (`-i`).
    pub fn is_tunnel(&self) -> bool {
        self.forward.is_tunnel()
    }

    /// A destination with ipvsadm's defaults: direct routing, weight 1.
    pub fn new(af: Family) -> Dest {
        Dest {
            family: af,
            addr: af.unspecified(),
            port: 0,
            forward: Forward::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            active_conns: 0,
            inact_conns: 0,
            persist_conns: 0,
            tun_type: TunnelType::Ipip,
            tun_port: 0,
            tun_checksum: TunnelChecksum::None,
            stats: Stats::default(),
        }
    }
}

/// `IPVS_CMD_GET_INFO` reply: the banner's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    /// e.g. 0x010201 for 1.2.1.
    pub version: u32,
    /// Connection hash table size.
    pub conn_tab_size: u32,
}

/// Connection timeouts (`--set tcp tcpfin udp`); zero means "keep" when
/// setting. The kernel counts them in whole seconds on 32 bits: a value
/// with a fraction of a second or of 2^32 seconds or more is refused when a
/// request is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP timeout.
    pub tcp: Duration,
    /// TCP FIN_WAIT timeout.
    pub tcp_fin: Duration,
    /// UDP timeout.
    pub udp: Duration,
}

/// A connection synchronisation daemon (to start, stop or as listed).
///
/// When starting, zero / `None` optional fields are not sent, as ipvsadm does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Daemon {
    /// Master (sends) or backup (receives).
    pub role: DaemonRole,
    /// Multicast interface name.
    pub mcast_ifn: String,
    /// Sync ID (`--syncid`).
    pub syncid: u32,
    /// Largest sync message (`--sync-maxlen`).
    pub sync_maxlen: u16,
    /// Multicast group (`--mcast-group`).
    pub mcast_group: Option<IpAddr>,
    /// Multicast port (`--mcast-port`).
    pub mcast_port: u16,
    /// Multicast TTL (`--mcast-ttl`).
    pub mcast_ttl: u8,
}

impl Service {
    /// A service for `key` with scheduler `scheduler` and ipvsadm's defaults
    /// for the rest (not persistent, full netmask).
    pub fn with_key(key: &ServiceKey, scheduler: &str) -> Service {
        let mut s = key.to_service();
        s.sched_name = scheduler.to_string();
        s
    }

    /// The virtual address and port (unspecified for fwmark services).
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.addr, self.port)
    }

    /// Whether connections stick to a real server (`-p`).
    pub fn is_persistent(&self) -> bool {
        self.flags.intersects(ServiceFlags::PERSISTENT)
    }
}

impl Dest {
    /// A real server at `addr` reached by `forward`, weight 1.
    pub fn with_addr(addr: SocketAddr, forward: Forward) -> Dest {
        let mut d = Dest::new(Family::of(&addr.ip()));
        d.addr = addr.ip();
        d.port = addr.port();
        d.forward = forward;
        d
    }
}
