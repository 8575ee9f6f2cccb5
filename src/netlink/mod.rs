//! IPVS over generic netlink.
//!
//! * [`codec`]: the pure wire codec (requests to bytes, bytes to replies and
//!   typed model values). No I/O.
//! * `socket`: [`Ipvs`], one netlink socket per process with the `IPVS`
//!   family resolved once; the only place that performs I/O.
//! * `error`: ipvsadm's error messages ([`ipvs_strerror`]).

pub mod codec;
mod error;
mod socket;

pub use codec::Request;
pub use error::{ipvs_strerror, strerror, IpvsError, Op};
pub use socket::Ipvs;
