//! Typed enums for the kernel's numbers, and the one home of every name they
//! have: in listings (`Masq`, `TCP`), in command lines (`-m`, `-t`), in
//! `/proc/net/ip_vs` and in JSON (`masq`, `tcp`).
//!
//! The wire records ([`Service`](super::Service), [`Dest`](super::Dest))
//! keep the kernel's raw numbers, because ipvsadm's output depends on them
//! even where they are out of range; these enums are the typed view.

use super::*;

/// The address family of a service or real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4 (`AF_INET`).
    Inet,
    /// IPv6 (`AF_INET6`).
    Inet6,
}

impl Family {
    /// The kernel's number (`AF_INET` = 2, `AF_INET6` = 10).
    pub fn af(self) -> u16 {
        match self {
            Family::Inet => AF_INET,
            Family::Inet6 => AF_INET6,
        }
    }

    /// The family of a kernel number; anything but `AF_INET6` is IPv4, as
    /// ipvsadm treats it.
    pub fn from_af(af: u16) -> Family {
        if af == AF_INET6 {
            Family::Inet6
        } else {
            Family::Inet
        }
    }

    /// The unspecified address of the family (`0.0.0.0`, `::`).
    pub fn unspecified(self) -> std::net::IpAddr {
        match self {
            Family::Inet => std::net::Ipv4Addr::UNSPECIFIED.into(),
            Family::Inet6 => std::net::Ipv6Addr::UNSPECIFIED.into(),
        }
    }

    /// The family of an address.
    pub fn of(ip: &std::net::IpAddr) -> Family {
        if ip.is_ipv6() {
            Family::Inet6
        } else {
            Family::Inet
        }
    }

    /// `inet` or `inet6` (JSON, metrics).
    pub fn name(self) -> &'static str {
        match self {
            Family::Inet => "inet",
            Family::Inet6 => "inet6",
        }
    }
}

/// The persistence granularity of a service (`-M`): which part of a
/// client's address picks the same real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Netmask {
    /// IPv4 services: a mask (`255.255.255.0`).
    Mask(std::net::Ipv4Addr),
    /// IPv6 services: a prefix length (1 to 128; kept as the kernel sent it).
    Prefix(u32),
}

impl Netmask {
    /// The whole address (`255.255.255.255`, or 128 bits): ipvsadm's default.
    pub fn full(family: Family) -> Netmask {
        match family {
            Family::Inet => Netmask::Mask(std::net::Ipv4Addr::BROADCAST),
            Family::Inet6 => Netmask::Prefix(128),
        }
    }

    /// Whether this is the default of its kind ([`Netmask::full`]).
    pub fn is_full(self) -> bool {
        match self {
            Netmask::Mask(m) => m == std::net::Ipv4Addr::BROADCAST,
            Netmask::Prefix(n) => n == 128,
        }
    }

    /// The value as one number: the mask as a host-order integer, or the
    /// prefix length (what `/proc/net/ip_vs` shows).
    pub fn bits(self) -> u32 {
        match self {
            Netmask::Mask(m) => m.to_bits(),
            Netmask::Prefix(n) => n,
        }
    }
}

/// The transport protocol of an address-based virtual service.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// TCP (`-t`).
    Tcp,
    /// UDP (`-u`).
    Udp,
    /// SCTP (`--sctp-service`).
    Sctp,
    /// Another IP protocol number (the kernel refuses services of these).
    Other(u16),
}

/// The protocols IPVS knows: number, listing label, option, JSON name.
const PROTOCOLS: [(Protocol, u16, &str, &str, &str); 3] = [
    (Protocol::Tcp, IPPROTO_TCP, "TCP", "-t", "tcp"),
    (Protocol::Udp, IPPROTO_UDP, "UDP", "-u", "udp"),
    (
        Protocol::Sctp,
        IPPROTO_SCTP,
        "SCTP",
        "--sctp-service",
        "sctp",
    ),
];

impl Protocol {
    fn row(self) -> Option<&'static (Protocol, u16, &'static str, &'static str, &'static str)> {
        PROTOCOLS.iter().find(|r| r.0 == self)
    }

    /// The IP protocol number.
    pub fn number(self) -> u16 {
        match self {
            Protocol::Other(n) => n,
            p => p.row().map_or(0, |r| r.1),
        }
    }

    /// The protocol of an IP protocol number.
    pub fn from_number(n: u16) -> Protocol {
        PROTOCOLS
            .iter()
            .find(|r| r.1 == n)
            .map_or(Protocol::Other(n), |r| r.0)
    }

    /// The listing label: `TCP`, `UDP`, `SCTP` (also `/proc/net/ip_vs`'s);
    /// `None` for other protocols.
    pub fn label(self) -> Option<&'static str> {
        self.row().map(|r| r.2)
    }

    /// The protocol of a listing label.
    pub fn from_label(label: &str) -> Option<Protocol> {
        PROTOCOLS.iter().find(|r| r.2 == label).map(|r| r.0)
    }

    /// The command-line option naming a service of this protocol.
    pub fn option(self) -> Option<&'static str> {
        self.row().map(|r| r.3)
    }

    /// `tcp`, `udp`, `sctp`, or the number (JSON, metrics).
    pub fn name(self) -> String {
        match self.row() {
            Some(r) => r.4.to_string(),
            None => self.number().to_string(),
        }
    }
}

/// How a real server is reached (the kernel's `IP_VS_CONN_F_FWD_MASK` bits).
///
/// Every number the kernel can send has a value: the five methods it
/// defines, and [`Forward::Other`] for the rest, kept as sent (listings
/// print them as ipvsadm does, from the low three bits).
///
/// ```
/// use lvs::Forward;
///
/// assert_eq!(Forward::from_number(0), Forward::Masq);
/// // An undefined number survives a round trip...
/// let odd = Forward::from_number(0x102);
/// assert_eq!((odd, odd.number()), (Forward::Other(0x102), 0x102));
/// // ...and reads as ipvsadm reads it: the low three bits.
/// assert_eq!((odd.method(), odd.label()), (Forward::Tunnel, Some("Tunnel")));
/// assert_eq!(Forward::from_number(5).name(), "5");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Forward {
    /// NAT (`-m`, `Masq`).
    Masq,
    /// The director itself (`Local`; set by the kernel for local addresses).
    Local,
    /// IP-in-IP, GUE or GRE tunnelling (`-i`, `Tunnel`).
    Tunnel,
    /// Direct routing (`-g`, `Route`), ipvsadm's default.
    Route,
    /// Bypass (never set by ipvsadm).
    Bypass,
    /// A number none of the above has, as the kernel sent it.
    /// [`Forward::from_number`] gives this only for such numbers.
    Other(u32),
}

/// Forwarding methods: kernel number, listing column, save option, JSON name.
const FORWARDS: [(Forward, u32, &str, &str, &str); 5] = [
    (Forward::Masq, FWD_MASQ, "Masq", "-m", "masq"),
    (Forward::Local, FWD_LOCALNODE, "Local", "-g", "local"),
    (Forward::Tunnel, FWD_TUNNEL, "Tunnel", "-i", "tunnel"),
    (Forward::Route, FWD_DROUTE, "Route", "-g", "route"),
    (Forward::Bypass, FWD_BYPASS, "", "", "bypass"),
];

impl Forward {
    /// The row of the method in the low three bits (`None`: 5, 6, 7).
    fn row(self) -> Option<&'static (Forward, u32, &'static str, &'static str, &'static str)> {
        let n = self.number() & FWD_MASK;
        FORWARDS.iter().find(|r| r.1 == n)
    }

    /// The value of a kernel number, without loss: the defined numbers
    /// give their method, any other gives [`Forward::Other`].
    pub fn from_number(n: u32) -> Forward {
        FORWARDS
            .iter()
            .find(|r| r.1 == n)
            .map_or(Forward::Other(n), |r| r.0)
    }

    /// The kernel's number.
    pub fn number(self) -> u32 {
        match self {
            Forward::Other(n) => n,
            f => FORWARDS.iter().find(|r| r.0 == f).map_or(0, |r| r.1),
        }
    }

    /// The method as ipvsadm reads it: the low three bits of the number
    /// (so `Other(0x102)` is [`Forward::Tunnel`]; 5, 6 and 7 stay `Other`).
    pub fn method(self) -> Forward {
        Forward::from_number(self.number() & FWD_MASK)
    }

    /// Whether the method (the low three bits) is tunnelling.
    pub fn is_tunnel(self) -> bool {
        self.method() == Forward::Tunnel
    }

    /// The listing column (`Masq`, `Local`, `Tunnel`, `Route`); `None` for
    /// bypass and undefined numbers, which ipvsadm cannot name.
    pub fn label(self) -> Option<&'static str> {
        self.row().map(|r| r.2).filter(|s| !s.is_empty())
    }

    /// The method of a listing label.
    pub fn from_label(label: &str) -> Option<Forward> {
        FORWARDS
            .iter()
            .find(|r| !r.2.is_empty() && r.2 == label)
            .map(|r| r.0)
    }

    /// The save-line option (`-m`, `-i`, `-g`; local node saves as `-g`).
    pub fn option(self) -> Option<&'static str> {
        self.row().map(|r| r.3).filter(|s| !s.is_empty())
    }

    /// `masq`, `local`, `tunnel`, `route`, `bypass`, or the number of the
    /// low three bits when they name no method (JSON, metrics).
    pub fn name(self) -> String {
        match self.row() {
            Some(r) => r.4.to_string(),
            None => (self.number() & FWD_MASK).to_string(),
        }
    }
}

/// The encapsulation of a tunnelling real server (`--tun-type`).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TunnelType {
    /// IP in IP (the default).
    Ipip,
    /// Generic UDP encapsulation (needs `--tun-port`).
    Gue,
    /// Generic routing encapsulation.
    Gre,
    /// A number none of the above has, as the kernel sent it.
    Other(u8),
}

const TUNNEL_TYPES: [(TunnelType, u8, &str); 3] = [
    (TunnelType::Ipip, TUN_TYPE_IPIP, "ipip"),
    (TunnelType::Gue, TUN_TYPE_GUE, "gue"),
    (TunnelType::Gre, TUN_TYPE_GRE, "gre"),
];

impl TunnelType {
    /// The kernel's number.
    pub fn number(self) -> u8 {
        match self {
            TunnelType::Other(n) => n,
            t => TUNNEL_TYPES.iter().find(|r| r.0 == t).map_or(0, |r| r.1),
        }
    }

    /// The type of a kernel number, without loss ([`TunnelType::Other`]
    /// for the numbers without a name).
    pub fn from_number(n: u8) -> TunnelType {
        TUNNEL_TYPES
            .iter()
            .find(|r| r.1 == n)
            .map_or(TunnelType::Other(n), |r| r.0)
    }

    /// `ipip`, `gue`, `gre`, or the number (JSON).
    pub fn name(self) -> String {
        match TUNNEL_TYPES.iter().find(|r| r.0 == self) {
            Some(r) => r.2.to_string(),
            None => self.number().to_string(),
        }
    }

    /// The type of a `--tun-type` word.
    pub fn from_name(s: &str) -> Option<TunnelType> {
        TUNNEL_TYPES.iter().find(|r| r.2 == s).map(|r| r.0)
    }
}

/// The checksum setting of a GUE or GRE tunnel (the kernel's tunnel flags).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TunnelChecksum {
    /// No checksum (`--tun-nocsum`, the default).
    None,
    /// Checksum (`--tun-csum`).
    Csum,
    /// Remote checksum offload (`--tun-remcsum`).
    RemCsum,
    /// Flags none of the above has, as the kernel sent them.
    Other(u16),
}

/// Kernel number, `--tun-info` short form, save option, JSON name.
const TUNNEL_CSUMS: [(TunnelChecksum, u16, &str, &str, &str); 3] = [
    (
        TunnelChecksum::None,
        TUN_F_NOCSUM,
        "-c",
        "--tun-nocsum",
        "nocsum",
    ),
    (TunnelChecksum::Csum, TUN_F_CSUM, "+c", "--tun-csum", "csum"),
    (
        TunnelChecksum::RemCsum,
        TUN_F_REMCSUM,
        "r+c",
        "--tun-remcsum",
        "remcsum",
    ),
];

impl TunnelChecksum {
    #[allow(clippy::type_complexity)]
    fn row(
        self,
    ) -> Option<&'static (
        TunnelChecksum,
        u16,
        &'static str,
        &'static str,
        &'static str,
    )> {
        TUNNEL_CSUMS.iter().find(|r| r.0 == self)
    }

    /// The setting of the kernel's tunnel flags, without loss
    /// ([`TunnelChecksum::Other`] for flags without a name).
    pub fn from_flags(flags: u16) -> TunnelChecksum {
        TUNNEL_CSUMS
            .iter()
            .find(|r| r.1 == flags)
            .map_or(TunnelChecksum::Other(flags), |r| r.0)
    }

    /// The kernel's flags.
    pub fn flags(self) -> u16 {
        match self {
            TunnelChecksum::Other(n) => n,
            c => c.row().map_or(0, |r| r.1),
        }
    }

    /// `-c`, `+c`, `r+c` (the `--tun-info` column); `None` for other flags.
    pub fn short(self) -> Option<&'static str> {
        self.row().map(|r| r.2)
    }

    /// `--tun-nocsum`, `--tun-csum`, `--tun-remcsum`; `None` for other flags.
    pub fn option(self) -> Option<&'static str> {
        self.row().map(|r| r.3)
    }

    /// `nocsum`, `csum`, `remcsum`, or the number (JSON).
    pub fn name(self) -> String {
        match self.row() {
            Some(r) => r.4.to_string(),
            None => self.flags().to_string(),
        }
    }
}

/// The scheduler flag bits (`-b`): `SVC_F_SCHED1` to `SVC_F_SCHED3`.
pub const SCHED_FLAG_BITS: [ServiceFlags; 3] = [
    ServiceFlags::SCHED1,
    ServiceFlags::SCHED2,
    ServiceFlags::SCHED3,
];

/// The names of the three scheduler flag bits for a scheduler: `sh` and `mh`
/// name two of them (`sh-fallback`, `sh-port`...), every scheduler accepts
/// the generic `flag-1`..`flag-3`. An empty name: the bit has none there.
pub fn sched_flag_names(scheduler: &str) -> [&'static str; 3] {
    match scheduler {
        "sh" => ["sh-fallback", "sh-port", ""],
        "mh" => ["mh-fallback", "mh-port", ""],
        _ => ["flag-1", "flag-2", "flag-3"],
    }
}

/// The scheduler flag bits set in `flags`, by the names ipvsadm's listings
/// use for `scheduler` (bits the scheduler cannot name are left out).
pub fn sched_flags_named(scheduler: &str, flags: ServiceFlags) -> Vec<&'static str> {
    let names = sched_flag_names(scheduler);
    SCHED_FLAG_BITS
        .iter()
        .zip(names)
        .filter(|(bit, name)| flags.intersects(**bit) && !name.is_empty())
        .map(|(_, name)| name)
        .collect()
}

/// The bit of a `-b` word, and the scheduler it is restricted to (`None`
/// for the generic `flag-N` names).
pub fn sched_flag_bit(word: &str) -> Option<(ServiceFlags, Option<&'static str>)> {
    for sched in ["sh", "mh"] {
        for (bit, name) in SCHED_FLAG_BITS.iter().zip(sched_flag_names(sched)) {
            if !name.is_empty() && name == word {
                return Some((*bit, Some(sched)));
            }
        }
    }
    SCHED_FLAG_BITS
        .iter()
        .zip(sched_flag_names(""))
        .find(|(_, n)| *n == word)
        .map(|(bit, _)| (*bit, None))
}

/// The schedulers of the Linux kernel (`ip_vs_*.ko`), and `none`.
pub const SCHEDULERS: [&str; 15] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
    "none",
];

/// The persistence engines of the Linux kernel.
pub const PERSISTENCE_ENGINES: [&str; 1] = ["sip"];

/// The role of a connection synchronisation daemon.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DaemonRole {
    /// Sends the director's connections.
    #[default]
    Master,
    /// Receives a master's connections.
    Backup,
}

impl DaemonRole {
    /// The kernel's state number.
    pub(crate) fn state(self) -> u32 {
        match self {
            DaemonRole::Master => DAEMON_MASTER,
            DaemonRole::Backup => DAEMON_BACKUP,
        }
    }

    /// The role of a kernel state word, tested bit by bit as ipvsadm
    /// does (the master bit first); `None` when neither bit is set.
    pub(crate) fn from_state(state: u32) -> Option<DaemonRole> {
        if state & DAEMON_MASTER != 0 {
            Some(DaemonRole::Master)
        } else if state & DAEMON_BACKUP != 0 {
            Some(DaemonRole::Backup)
        } else {
            None
        }
    }

    /// `master` or `backup`.
    pub fn name(self) -> &'static str {
        match self {
            DaemonRole::Master => "master",
            DaemonRole::Backup => "backup",
        }
    }

    /// The role of a `--start-daemon` word.
    pub fn from_name(s: &str) -> Option<DaemonRole> {
        match s {
            "master" => Some(DaemonRole::Master),
            "backup" => Some(DaemonRole::Backup),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in [Protocol::Tcp, Protocol::Udp, Protocol::Sctp] {
            assert_eq!(Protocol::from_number(p.number()), p);
            assert_eq!(Protocol::from_label(p.label().unwrap()), Some(p));
        }
        for f in [
            Forward::Masq,
            Forward::Local,
            Forward::Tunnel,
            Forward::Route,
        ] {
            assert_eq!(Forward::from_number(f.number()), f);
            assert_eq!(Forward::from_label(f.label().unwrap()), Some(f));
        }
        let odd = Forward::from_number(0x100 | FWD_TUNNEL);
        assert_eq!(odd, Forward::Other(0x102));
        assert_eq!(
            (odd.method(), odd.label()),
            (Forward::Tunnel, Some("Tunnel"))
        );
        assert_eq!(odd.number(), 0x102);
        assert_eq!(Forward::from_number(5), Forward::Other(5));
        assert_eq!(Forward::Other(5).name(), "5");
        assert_eq!(Forward::Other(5).label(), None);
        assert_eq!(Forward::Bypass.label(), None);
        assert_eq!(Forward::Bypass.name(), "bypass");
        for t in [TunnelType::Ipip, TunnelType::Gue, TunnelType::Gre] {
            assert_eq!(TunnelType::from_name(&t.name()), Some(t));
            assert_eq!(TunnelType::from_number(t.number()), t);
        }
        assert_eq!(Protocol::from_number(47), Protocol::Other(47));
        assert_eq!(Protocol::Other(47).name(), "47");
        assert_eq!(Family::from_af(Family::Inet6.af()), Family::Inet6);
    }

    #[test]
    fn sched_flags_by_scheduler() {
        let f = ServiceFlags::SCHED1 | ServiceFlags::SCHED2 | ServiceFlags::SCHED3;
        assert_eq!(sched_flags_named("sh", f), ["sh-fallback", "sh-port"]);
        assert_eq!(sched_flags_named("mh", ServiceFlags::SCHED2), ["mh-port"]);
        assert_eq!(sched_flags_named("rr", f), ["flag-1", "flag-2", "flag-3"]);
        assert_eq!(
            sched_flag_bit("mh-port"),
            Some((ServiceFlags::SCHED2, Some("mh")))
        );
        assert_eq!(sched_flag_bit("flag-3"), Some((ServiceFlags::SCHED3, None)));
        assert_eq!(sched_flag_bit("flag-4"), None);
    }
}
