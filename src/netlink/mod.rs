#![deny(missing_docs)]
//! IPVS over generic netlink.
//!
//! * [`Ipvs`]: the handle (open, also inside another network namespace;
//!   listings; single and pipelined commands). Its modules: `handle` (the
//!   socket and single requests), `batch` (pipelining), `sys` (the system
//!   calls neither neli nor nix covers; the only `unsafe` here), `ctrl`
//!   (generic netlink control through neli: the family id).
//! * [`codec`]: the pure wire codec, in three modules: [`consts`] (kernel
//!   numbers and limits), [`encode`] (requests to bytes, refusing what the
//!   kernel cannot carry) and [`decode`] (bytes to replies and model
//!   values). No I/O.
//! * [`Error`]: what failed, typed; [`Error::errno`] and [`ipvs_strerror`]
//!   give ipvsadm's messages.

mod batch;
pub mod codec;
pub mod consts;
mod ctrl;
pub mod decode;
pub mod encode;
mod error;
mod handle;
mod sys;
#[cfg(test)]
mod tests;

pub use decode::DecodeError;
pub use encode::{EncodeError, Request};
pub use error::{ipvs_strerror, strerror, Error, IpvsError, Op};
pub use handle::Ipvs;
