//! lvsadm: a byte-compatible replacement for `ipvsadm`, and a library for
//! programs that manage Linux IPVS (the kernel's layer-4 load balancer).
//!
//! # The library
//!
//! Open a handle on the kernel's IPVS table with [`Ipvs::open`] (or
//! [`Ipvs::open_in_netns`] for another network namespace), then use the
//! [`Kernel`] trait's typed operations. Services and real servers are
//! [`Service`] and [`Dest`] records; [`ServiceKey`] names a service.
//!
//! ```no_run
//! use lvsadm::{Dest, Forward, Ipvs, Kernel, Service, ServiceKey};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mut ipvs = Ipvs::open()?;
//! let key = ServiceKey::tcp("192.0.2.1:80".parse()?);
//! ipvs.add_service(&Service::with_key(&key, "rr"))?;
//! for rip in ["198.51.100.1:80", "198.51.100.2:80"] {
//!     ipvs.add_dest(&key, &Dest::with_addr(rip.parse()?, Forward::Masq))?;
//! }
//! for svc in ipvs.services()? {
//!     println!("{} {} real servers", svc.key(), ipvs.dests(&svc)?.len());
//! }
//! ipvs.del_service(&key)?;
//! # Ok(())
//! # }
//! ```
//!
//! [`kernel::StandIn`] implements the same trait in memory, with the
//! kernel's refusals, for tests of code that drives IPVS.
//!
//! # Layers
//!
//! From the top (each layer uses only those below it):
//! * `cli` and `app` (feature `cli`, on by default): ipvsadm's command line
//!   turned into a typed command; the one place that runs commands against
//!   a [`Kernel`]; process entry, listings, restore;
//! * pure logic: [`format`](mod@format) (ipvsadm's listings byte for byte), `json`
//!   (feature `cli`: JSON documents), `apply` (feature `cli`: rule files
//!   and desired-state plans), [`procfs`] (the kernel's proc tables);
//! * [`kernel`]: the [`Kernel`] trait and its stand-in;
//! * [`netlink`]: the IPVS generic-netlink codec (pure) and the socket
//!   ([`Ipvs`]); [`model`]: the records and typed names they carry.
//!
//! System calls that need `unsafe` live in one module (`sys`), and so do
//! the C library's name look-ups ([`resolve`]); the rest of the crate
//! denies `unsafe`.

#![deny(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "cli")]
pub mod app;
#[cfg(feature = "cli")]
pub mod apply;
#[cfg(feature = "cli")]
pub mod cli;
pub mod cnum;
pub mod drain;
pub mod format;
#[cfg(feature = "cli")]
pub mod json;
pub mod kernel;
pub mod model;
pub mod netlink;
pub mod netns;
pub mod procfs;
pub mod resolve;
#[cfg(feature = "cli")]
pub mod stdio;
#[cfg(feature = "cli")]
pub mod supervise;
mod sys;

pub use kernel::Kernel;
pub use model::{
    Daemon, DaemonRole, Dest, Family, Forward, Info, Protocol, Service, ServiceKey, Stats,
    Timeouts, TunnelChecksum, TunnelType,
};
pub use netlink::{Error, Ipvs};
