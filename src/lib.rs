//! lvsadm: a byte-compatible replacement for `ipvsadm`.
//!
//! Layers, each readable and testable alone:
//! * [`model`]: plain typed data (services, destinations, stats, daemons...).
//! * [`netlink`]: the IPVS generic-netlink wire codec (pure: bytes in, typed
//!   messages out) and a thin socket layer on top of it.
//! * [`cli`]: ipvsadm's command line (popt semantics) turned into a typed command.
//! * [`format`]: formatters that print exactly what ipvsadm prints.
//! * [`resolve`]: host/service name lookups through the C library (NSS), as ipvsadm does.
//! * [`app`]: runs a typed command against the kernel.
//! * lvsadm's extensions: [`json`] (`-j`), [`apply`] (`--check`, `--apply`), [`netns`] (`--netns`),
//!   [`ops`] with [`drain`] (`--drain`) and [`metrics`] (`--metrics`).
//! * [`procfs`]: the kernel's `/proc/net/ip_vs` table, for fast listings.
//! * [`stdio`]: standard output buffered like a C program's.

pub mod app;
pub mod apply;
pub mod cli;
pub mod drain;
pub mod format;
pub mod json;
pub mod metrics;
pub mod model;
pub mod netlink;
pub mod netns;
pub mod ops;
pub mod procfs;
pub mod resolve;
pub mod stdio;
