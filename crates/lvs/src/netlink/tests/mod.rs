//! Unit tests of the netlink layer: the codec against byte captures and
//! hand-built kernel replies, the socket machinery against the host
//! kernel's always-present controller family, and (ignored by default) a
//! real IPVS kernel.

mod ctrl;
mod decode;
mod encode;
mod live;
mod socket;

use super::codec::*;
use super::decode::rd_u16;
use super::encode::AttrWriter;
use crate::model::{
    raw_from_ip, DaemonRole, Family, Forward, Protocol, ServiceFlags, TunnelChecksum, TunnelType,
};
use crate::model::{
    Daemon, Dest, Info, Netmask, RawAddr, Service, Stats, Timeouts, AF_INET, AF_INET6,
};
use std::net::IpAddr;
use std::time::Duration;

/// Bytes from a whitespace-separated hex dump.
fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

fn ip(s: &str) -> RawAddr {
    raw_from_ip(s.parse().unwrap())
}

/// An address of a record.
fn ipa(s: &str) -> IpAddr {
    s.parse().unwrap()
}

const FAM: u16 = 0x20;

/// The 16-byte nlmsghdr + the rest, as the encoder must produce it.
fn header(len: u32, ty: u16, flags: u16, seq: u32, pid: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&len.to_ne_bytes());
    v.extend_from_slice(&ty.to_ne_bytes());
    v.extend_from_slice(&flags.to_ne_bytes());
    v.extend_from_slice(&seq.to_ne_bytes());
    v.extend_from_slice(&pid.to_ne_bytes());
    v
}

fn svc_tcp(addr: &str, port: u16) -> Service {
    let mut s = Service::new(Family::Inet);
    s.protocol = Protocol::Tcp;
    s.addr = ipa(addr);
    s.port = port;
    s
}
