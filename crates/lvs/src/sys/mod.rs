//! The system calls of the crate that neither the standard library, nix
//! nor neli offers safely, and the C library's name look-ups: every
//! `unsafe` block of the crate is in this module, each with the reason it
//! is sound. The rest of the crate denies `unsafe`.
#![allow(unsafe_code)]

pub(crate) mod netlink;
pub mod process;
pub mod resolve;
pub mod vipdev;
