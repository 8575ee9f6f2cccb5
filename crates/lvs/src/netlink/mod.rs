#![deny(missing_docs)]
#![deny(unsafe_code)]
//! IPVS over generic netlink.
//!
//! * [`Ipvs`]: the handle (open, also inside another network namespace;
//!   listings; single and pipelined commands). Its modules: `handle` (the
//!   socket and single requests), `batch` (pipelining), `crate::sys::netlink`
//!   (the system calls neither neli nor nix covers), `ctrl`
//!   (generic netlink control through neli: the family id).
//! * [`codec`]: the pure wire codec, in three modules: `consts` (kernel
//!   numbers and limits; the wire layer, private to the crate), [`encode`] (requests to bytes, refusing what the
//!   kernel cannot carry) and [`decode`] (bytes to replies and model
//!   values). No I/O.
//! * [`Error`]: what failed, typed; [`Error::errno`] and [`ipvs_strerror`]
//!   give ipvsadm's messages.
//!
//! ```no_run
//! use lvs::model::{Service, ServiceKey};
//! use lvs::netlink::{Error, Ipvs, Request};
//!
//! // In the network namespace `ip netns add blue` made; this thread stays
//! // where it is.
//! let mut ipvs = Ipvs::open_in_named_netns("blue")?;
//! let key = ServiceKey::tcp(([192, 0, 2, 1], 80).into());
//! let svc = Service::with_key(&key, "rr");
//! match ipvs.execute(&Request::NewService(svc)) {
//!     Ok(()) => {}
//!     // Displayed as ipvsadm words it: "Service already exists".
//!     Err(e @ Error::Kernel { .. }) if e.errno() == libc::EEXIST => eprintln!("{e}"),
//!     Err(e) => return Err(e),
//! }
//! println!("{} services", ipvs.services()?.len());
//! # Ok::<(), Error>(())
//! ```

mod batch;
pub mod codec;
pub(crate) mod consts;
mod ctrl;
pub mod decode;
pub mod encode;
mod error;
mod handle;
mod ops;
mod wire;
use crate::sys::netlink as sys;
#[cfg(test)]
mod tests;

pub use ctrl::parse_family_id;
pub use decode::DecodeError;
pub use encode::{EncodeError, Request};
pub use error::{ipvs_strerror, strerror, Error, Op};
pub use handle::Ipvs;
