//! Name lookups (placeholder until the NSS-backed resolver lands): numeric only.
use std::net::{IpAddr, Ipv4Addr};
pub fn host_name(_ip: IpAddr) -> Option<String> {
    None
}
pub fn service_name(_port: u16, _protocol: u16) -> Option<String> {
    None
}
pub fn host_v4(_name: &str) -> Option<Ipv4Addr> {
    None
}
pub fn service_port(_name: &str, _protocol: u16) -> Option<u16> {
    None
}
pub fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}
