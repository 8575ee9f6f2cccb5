//! The pure wire codec for the IPVS generic-netlink family: typed requests
//! in, bytes out; bytes in, typed replies out. No sockets, no I/O.
//!
//! One path for three modules: `consts` (the kernel's numbers: the wire
//! layer, private to the crate), [`encode`](super::encode) (requests to bytes) and
//! [`decode`](super::decode) (bytes to replies and model values).
//!
//! The byte layout is written by hand (rather than through neli's builders)
//! for two reasons: requests must match ipvsadm 1.31 byte for byte
//! (attribute order, 16-byte addresses, `NLA_F_NESTED` on nests, padding),
//! and replies must decode without a heap allocation per attribute.
//!
//! Layout reminders (all native-endian unless said otherwise):
//! * `nlmsghdr`: len u32, type u16, flags u16, seq u32, pid u32 (16 bytes);
//! * `genlmsghdr`: cmd u8, version u8, reserved u16 (4 bytes);
//! * `nlattr`: len u16 (header + payload, unpadded), type u16, payload,
//!   padding to a multiple of 4.

pub(crate) use super::consts::*;
pub use super::decode::*;
pub use super::encode::*;
