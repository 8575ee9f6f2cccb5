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
pub const AF_INET: u16 = 2;
/// IPv6 address family.
pub const AF_INET6: u16 = 10;

/// IP protocol numbers of virtual services.
pub const IPPROTO_TCP: u16 = 6;
/// UDP.
pub const IPPROTO_UDP: u16 = 17;
/// SCTP.
pub const IPPROTO_SCTP: u16 = 132;

/// Service flag: persistent service (`-p`).
pub const SVC_F_PERSISTENT: u32 = 0x1;
/// Service flag set by the kernel on every hashed service (reply only).
pub const SVC_F_HASHED: u32 = 0x2;
/// Service flag: one-packet scheduling (`-o`).
pub const SVC_F_ONEPACKET: u32 = 0x4;
/// Scheduler flag 1 (`flag-1`, `sh-fallback`, `mh-fallback`).
pub const SVC_F_SCHED1: u32 = 0x8;
/// Scheduler flag 2 (`flag-2`, `sh-port`, `mh-port`).
pub const SVC_F_SCHED2: u32 = 0x10;
/// Scheduler flag 3 (`flag-3`).
pub const SVC_F_SCHED3: u32 = 0x20;

/// The names of the scheduler flag bits set in `flags`, in bit order, as
/// `-S`/`-L` write them for the scheduler `sched` ([`sched_flag_names`]),
/// except that a bit the scheduler cannot name gets its generic name
/// (`flag-3` under `sh`/`mh`) instead of being left out: given back to `-b`,
/// the names set exactly these bits.
pub fn sched_flags_all_named(sched: &str, flags: u32) -> Vec<&'static str> {
    SCHED_FLAG_BITS
        .iter()
        .zip(sched_flag_names(sched))
        .zip(sched_flag_names(""))
        .filter(|((bit, _), _)| flags & **bit != 0)
        .map(|((_, name), generic)| if name.is_empty() { generic } else { name })
        .collect()
}

/// Default persistence timeout when `-p` has no value (seconds).
pub const DEFAULT_PERSISTENT_TIMEOUT: u32 = 360;

/// Forwarding methods (`IP_VS_CONN_F_*` & 7).
pub const FWD_MASQ: u32 = 0;
/// Local node.
pub const FWD_LOCALNODE: u32 = 1;
/// IP-in-IP (and GUE/GRE) tunnelling.
pub const FWD_TUNNEL: u32 = 2;
/// Direct routing (gatewaying), ipvsadm's default.
pub const FWD_DROUTE: u32 = 3;
/// Bypass (never set by ipvsadm).
pub const FWD_BYPASS: u32 = 4;
/// `IP_VS_CONN_F_FWD_MASK`: the forwarding method bits of a dest's flags.
pub const FWD_MASK: u32 = 7;

/// Tunnel types (`--tun-type`).
pub const TUN_TYPE_IPIP: u8 = 0;
/// Generic UDP encapsulation.
pub const TUN_TYPE_GUE: u8 = 1;
/// Generic routing encapsulation.
pub const TUN_TYPE_GRE: u8 = 2;

/// Tunnel flags (`--tun-nocsum` / `--tun-csum` / `--tun-remcsum`).
pub const TUN_F_NOCSUM: u16 = 0;
/// Checksum.
pub const TUN_F_CSUM: u16 = 1;
/// Remote checksum offload.
pub const TUN_F_REMCSUM: u16 = 2;

/// Sync daemon states.
pub const DAEMON_MASTER: u32 = 1;
/// Backup sync daemon.
pub const DAEMON_BACKUP: u32 = 2;

/// The kernel's 16-byte address union (`union nf_inet_addr`): an IPv4
/// address occupies the first 4 bytes, the rest are zero.
pub type RawAddr = [u8; 16];

/// Build a [`RawAddr`] from an IP address.
pub fn raw_from_ip(ip: IpAddr) -> RawAddr {
    let mut raw = [0u8; 16];
    match ip {
        IpAddr::V4(v4) => raw[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => raw = v6.octets(),
    }
    raw
}

/// Interpret a [`RawAddr`] in the given address family.
pub fn ip_from_raw(af: u16, raw: &RawAddr) -> IpAddr {
    if af == AF_INET6 {
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
    /// [`AF_INET`] or [`AF_INET6`].
    pub af: u16,
    /// IP protocol; 0 for fwmark services.
    pub protocol: u16,
    /// Virtual address (all zero for fwmark services).
    pub addr: RawAddr,
    /// Virtual port in host byte order.
    pub port: u16,
    /// Firewall mark; 0 for address-based services.
    pub fwmark: u32,
    /// Scheduler name (`wlc`, `rr`, ...). Empty in destination requests, as ipvsadm sends.
    pub sched_name: String,
    /// Persistence engine name (`sip`), empty when none.
    pub pe_name: String,
    /// `SVC_F_*` bits (already masked with the kernel's flag mask on replies).
    pub flags: u32,
    /// Persistence timeout. The kernel counts it in whole seconds on 32
    /// bits: a value with a fraction of a second or of 2^32 seconds or more
    /// is refused when a request is encoded.
    pub timeout: Duration,
    /// IPv4: the mask as a host-order integer (255.255.255.0 = 0xffff_ff00).
    /// IPv6: the prefix length (1..=128).
    pub netmask: u32,
    /// Counters (replies only).
    pub stats: Stats,
}

impl Service {
    /// An empty service of the given family with ipvsadm's defaults for a key:
    /// netmask all ones (IPv4) or 128 (IPv6), everything else zero.
    pub fn new(af: u16) -> Service {
        Service {
            af,
            protocol: 0,
            addr: [0; 16],
            port: 0,
            fwmark: 0,
            sched_name: String::new(),
            pe_name: String::new(),
            flags: 0,
            timeout: Duration::ZERO,
            netmask: if af == AF_INET6 { 128 } else { 0xffff_ffff },
            stats: Stats::default(),
        }
    }

    /// The virtual address as an [`IpAddr`].
    pub fn ip(&self) -> IpAddr {
        ip_from_raw(self.af, &self.addr)
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
    pub af: u16,
    /// The address (the kernel's 16-byte union).
    pub addr: RawAddr,
    /// Port in host byte order.
    pub port: u16,
    /// `FWD_*` forwarding method.
    pub fwd: u32,
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
    /// `TUN_TYPE_*`.
    pub tun_type: u8,
    /// Tunnel port (GUE), host byte order.
    pub tun_port: u16,
    /// `TUN_F_*`.
    pub tun_flags: u16,
    /// Counters (replies only).
    pub stats: Stats,
}

impl Dest {
    /// Whether the destination is reached by tunnelling (`-i`).
    pub fn is_tunnel(&self) -> bool {
        self.fwd & FWD_MASK == FWD_TUNNEL
    }

    /// A destination with ipvsadm's defaults: direct routing, weight 1.
    pub fn new(af: u16) -> Dest {
        Dest {
            af,
            addr: [0; 16],
            port: 0,
            fwd: FWD_DROUTE,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            active_conns: 0,
            inact_conns: 0,
            persist_conns: 0,
            tun_type: TUN_TYPE_IPIP,
            tun_port: 0,
            tun_flags: TUN_F_NOCSUM,
            stats: Stats::default(),
        }
    }

    /// The real server address as an [`IpAddr`].
    pub fn ip(&self) -> IpAddr {
        ip_from_raw(self.af, &self.addr)
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

/// Connection timeouts (`--set tcp tcpfin udp`); 0 means "keep" when setting.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timeouts {
    /// TCP timeout in seconds.
    pub tcp: u32,
    /// TCP FIN_WAIT timeout in seconds.
    pub tcp_fin: u32,
    /// UDP timeout in seconds.
    pub udp: u32,
}

/// A connection synchronisation daemon (to start, stop or as listed).
///
/// When starting, zero / `None` optional fields are not sent, as ipvsadm does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Daemon {
    /// [`DAEMON_MASTER`] or [`DAEMON_BACKUP`].
    pub state: u32,
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

    /// The address family.
    pub fn family(&self) -> Family {
        Family::from_af(self.af)
    }

    /// The protocol (meaningless for fwmark services).
    pub fn protocol(&self) -> Protocol {
        Protocol::from_number(self.protocol)
    }

    /// The virtual address and port (unspecified for fwmark services).
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.ip(), self.port)
    }

    /// Whether connections stick to a real server (`-p`).
    pub fn is_persistent(&self) -> bool {
        self.flags & SVC_F_PERSISTENT != 0
    }
}

impl Dest {
    /// A real server at `addr` reached by `forward`, weight 1.
    pub fn with_addr(addr: SocketAddr, forward: Forward) -> Dest {
        let mut d = Dest::new(Family::of(&addr.ip()).af());
        d.addr = raw_from_ip(addr.ip());
        d.port = addr.port();
        d.fwd = forward.flags();
        d
    }

    /// The address family.
    pub fn family(&self) -> Family {
        Family::from_af(self.af)
    }

    /// The forwarding method, `None` for a value the kernel does not define.
    pub fn forward(&self) -> Option<Forward> {
        Forward::from_flags(self.fwd)
    }

    /// The tunnel type (meaningful for tunnelling real servers only).
    pub fn tunnel_type(&self) -> Option<TunnelType> {
        TunnelType::from_number(self.tun_type)
    }

    /// The tunnel checksum setting (GUE and GRE only).
    pub fn tunnel_checksum(&self) -> Option<TunnelChecksum> {
        TunnelChecksum::from_flags(self.tun_flags)
    }
}

impl Daemon {
    /// The daemon's role, `None` for a state the kernel does not define.
    pub fn role(&self) -> Option<DaemonRole> {
        DaemonRole::from_state(self.state)
    }
}
