//! lvs: manage Linux IPVS (the kernel's layer-4 load balancer) from Rust.
//!
//! Open a handle on the kernel's IPVS table with [`Ipvs::open`] (or
//! [`Ipvs::open_in_netns`] for another network namespace), then use its
//! typed operations. Services and real servers are [`Service`] and
//! [`Dest`] records; [`ServiceKey`] names a service.
//!
//! ```no_run
//! use lvs::{Dest, Forward, Ipvs, Service, ServiceKey};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut ipvs = Ipvs::open()?;
//! let key = ServiceKey::tcp("192.0.2.1:80".parse()?);
//! ipvs.add_service(&Service::with_key(&key, "rr"))?;
//! for rip in ["198.51.100.1:80", "198.51.100.2:80"] {
//!     ipvs.add_dest(&key, &Dest::with_addr(rip.parse()?, Forward::Masq))?;
//! }
//! for svc in ipvs.services()? {
//!     println!("{} {} real servers", svc.key(), ipvs.dests(&svc.key())?.len());
//! }
//! ipvs.del_service(&key)?;
//! # Ok(())
//! # }
//! ```
//!
//! The same operations make the [`Kernel`] trait, which [`Ipvs`] and
//! [`StandIn`] implement: the stand-in keeps the table in memory and
//! refuses what the kernel refuses, for tests of code that drives IPVS
//! (its documentation has an example that runs without a kernel).
//!
//! # Modules, from the top
//!
//! * [`kernel`]: the [`Kernel`] trait (the operations) and [`StandIn`];
//! * [`netlink`]: the socket handle ([`Ipvs`]), with [`netns`] for other
//!   network namespaces, over the pure generic-netlink codec
//!   ([`netlink::codec`]: wire numbers, encode, decode; no I/O);
//! * [`procfs`]: the kernel's `/proc/net/ip_vs*` tables; [`sysctl`]: its
//!   settings, `/proc/sys/net/ipv4/vs/*` (per namespace, validated writes);
//! * [`model`]: the records and the typed names they carry; [`cnum`]: the
//!   C library's number parsing that the kernel's text tables follow;
//! * [`resolve`] (host and service names through the C library) and
//!   [`process`] (signals, descriptor 1 at start-up) and [`vipdev`] (a
//!   device whose addresses live as long as the process): the module `sys`,
//!   the only one with `unsafe`, with the netlink system calls.

#![deny(unsafe_code)]
#![deny(missing_docs)]
#![deny(missing_debug_implementations)]

pub mod cnum;
pub mod kernel;
pub mod model;
pub mod netlink;
pub mod netns;
pub mod procfs;
mod sys;
pub mod sysctl;

pub use kernel::{Kernel, StandIn};
pub use model::{
    Daemon, DaemonRole, Dest, Family, Forward, Info, Netmask, Protocol, Service, ServiceFlags,
    ServiceKey, Stats, Timeouts, TunnelChecksum, TunnelType,
};
pub use netlink::{Error, Ipvs};
pub use sys::{process, resolve, vipdev};
