//! The identities of services and real servers: the one way keys are built.

use super::*;
use std::fmt::{self, Write as _};
use std::net::{IpAddr, SocketAddr};

/// What the kernel looks a virtual service up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKey {
    /// An address-based service: protocol, virtual address and port.
    Addr {
        /// TCP, UDP or SCTP.
        protocol: Protocol,
        /// The virtual address and port.
        addr: SocketAddr,
    },
    /// A firewall-mark service: the mark and the address family.
    Fwmark {
        /// The mark (non-zero).
        mark: u32,
        /// The family of the packets it matches.
        family: Family,
    },
}

impl ServiceKey {
    /// A TCP service key.
    pub fn tcp(addr: SocketAddr) -> ServiceKey {
        ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr,
        }
    }

    /// A UDP service key.
    pub fn udp(addr: SocketAddr) -> ServiceKey {
        ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr,
        }
    }

    /// An IPv4 firewall-mark service key.
    pub fn fwmark(mark: u32) -> ServiceKey {
        ServiceKey::Fwmark {
            mark,
            family: Family::Inet,
        }
    }

    /// The key of a service record: fwmark services by family and mark
    /// only, others by protocol, address and port.
    pub fn of(s: &Service) -> ServiceKey {
        if s.fwmark != 0 {
            ServiceKey::Fwmark {
                mark: s.fwmark,
                family: s.family,
            }
        } else {
            ServiceKey::Addr {
                protocol: s.protocol,
                addr: SocketAddr::new(s.addr, s.port),
            }
        }
    }

    /// The keys of `services`, in order (what
    /// [`Kernel::dests_many`](crate::Kernel::dests_many) takes).
    pub fn of_each(services: &[Service]) -> Vec<ServiceKey> {
        services.iter().map(Service::key).collect()
    }

    /// The address family.
    pub fn family(&self) -> Family {
        match self {
            ServiceKey::Addr { addr, .. } => Family::of(&addr.ip()),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }

    /// A service record holding only this key, with ipvsadm's defaults for
    /// everything else (what delete, zero and real-server requests carry).
    pub fn to_service(&self) -> Service {
        let mut s = Service::new(self.family());
        match *self {
            ServiceKey::Addr { protocol, addr } => {
                s.protocol = protocol;
                s.addr = addr.ip();
                s.port = addr.port();
            }
            ServiceKey::Fwmark { mark, .. } => s.fwmark = mark,
        }
        s
    }
}

/// The key as command-line options: `-t 192.0.2.1:80`, `-u [2001:db8::1]:53`,
/// `-f 7`, `-f 7 -6`.
impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::Fwmark { mark, family } => {
                write!(f, "-f {mark}")?;
                if *family == Family::Inet6 {
                    f.write_str(" -6")?;
                }
                Ok(())
            }
            ServiceKey::Addr { protocol, addr } => {
                let opt = protocol.option().unwrap_or("--xxx-service");
                write!(f, "{opt} {}", AddrPort(addr.ip(), addr.port()))
            }
        }
    }
}

/// An address and port as ipvsadm writes them numerically: `192.0.2.1:80`,
/// `[2001:db8::1]:80`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddrPort(pub IpAddr, pub u16);

impl fmt::Display for AddrPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            IpAddr::V4(a) => write!(f, "{a}:{}", self.1),
            IpAddr::V6(a) => {
                f.write_char('[')?;
                write_ntop6(f, &a)?;
                write!(f, "]:{}", self.1)
            }
        }
    }
}

/// What identifies a real server within its service: family, address, port.
pub type DestKey = (Family, IpAddr, u16);

impl Dest {
    /// The key of this real server within its service.
    pub fn key(&self) -> DestKey {
        (self.family, self.addr, self.port)
    }

    /// The real server's address and port.
    pub fn socket_addr(&self) -> SocketAddr {
        SocketAddr::new(self.addr, self.port)
    }
}

impl Service {
    /// The key of this service.
    pub fn key(&self) -> ServiceKey {
        ServiceKey::of(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_their_command_line() {
        let k = ServiceKey::tcp("192.0.2.1:80".parse().unwrap());
        assert_eq!(k.to_string(), "-t 192.0.2.1:80");
        assert_eq!(ServiceKey::of(&k.to_service()), k);
        let k6 = ServiceKey::udp("[2001:db8::1]:53".parse().unwrap());
        assert_eq!(k6.to_string(), "-u [2001:db8::1]:53");
        assert_eq!(k6.to_service().netmask, Netmask::Prefix(128));
        let f = ServiceKey::Fwmark {
            mark: 7,
            family: Family::Inet6,
        };
        assert_eq!(f.to_string(), "-f 7 -6");
        let s = f.to_service();
        assert_eq!(
            (s.family, s.fwmark, s.protocol),
            (Family::Inet6, 7, Protocol::Other(0))
        );
        // a fwmark service's key ignores protocol and address
        let mut s2 = s.clone();
        s2.protocol = Protocol::Tcp;
        assert_eq!(s2.key(), f);
    }
}
