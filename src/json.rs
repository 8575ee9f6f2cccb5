//! lvsadm's JSON output (`-L -j`): one versioned document per listing, in
//! the style of iproute2's `-j`. The schema is documented in
//! `docs/json-schema.md`; bump [`SCHEMA_VERSION`] on any incompatible change.
//!
//! Unlike ipvsadm's text, numbers are never abbreviated and counters are the
//! kernel's full 64-bit values; addresses are always numeric strings.

use crate::format;
use lvs::model::*;
use serde::Serialize;
use std::io::Write;

/// The `schema_version` of every document.
pub const SCHEMA_VERSION: u32 = 1;

/// The top-level object. Exactly one of `services`, `connections`,
/// `timeouts`, `daemons` is present, depending on the listing.
#[derive(Debug, Serialize)]
pub struct Document {
    /// The `schema_version` field (see `docs/json-schema.md`).
    pub schema_version: u32,
    /// The lvsadm version that wrote the document.
    pub lvsadm_version: &'static str,
    /// IPVS version as the kernel reports it, e.g. `"1.2.1"`.
    pub ipvs_version: String,
    /// The connection hash table size.
    pub conn_tab_size: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `services` field (see `docs/json-schema.md`).
    pub services: Option<Vec<JService>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `connections` field (see `docs/json-schema.md`).
    pub connections: Option<Vec<JConn>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `timeouts` field (see `docs/json-schema.md`).
    pub timeouts: Option<JTimeouts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `daemons` field (see `docs/json-schema.md`).
    pub daemons: Option<Vec<JDaemon>>,
}

/// Cumulative counters.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JStats {
    /// Connections scheduled.
    pub conns: u64,
    /// Packets in.
    pub inpkts: u64,
    /// Packets out.
    pub outpkts: u64,
    /// Bytes in.
    pub inbytes: u64,
    /// Bytes out.
    pub outbytes: u64,
}

/// Rates (per second, as the kernel estimates them).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JRate {
    /// Connections per second.
    pub cps: u64,
    /// Packets per second in.
    pub inpps: u64,
    /// Packets per second out.
    pub outpps: u64,
    /// Bytes per second in.
    pub inbps: u64,
    /// Bytes per second out.
    pub outbps: u64,
}

/// A virtual service with its destinations.
#[derive(Debug, Serialize)]
pub struct JService {
    /// `"inet"` or `"inet6"`.
    pub family: &'static str,
    /// `"tcp"`, `"udp"`, `"sctp"`; absent for fwmark services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `address` field (see `docs/json-schema.md`).
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `port` field (see `docs/json-schema.md`).
    pub port: Option<u16>,
    /// Firewall mark; absent for address services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
    /// The `scheduler` field (see `docs/json-schema.md`).
    pub scheduler: String,
    /// The `persistent` field (see `docs/json-schema.md`).
    pub persistent: bool,
    /// Persistence timeout in seconds (0 when not persistent).
    pub timeout: u64,
    /// IPv4 services: the persistence mask, dotted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    /// IPv6 services: the persistence prefix length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_len: Option<u32>,
    /// The `one_packet` field (see `docs/json-schema.md`).
    pub one_packet: bool,
    /// Scheduler flags set, named for the scheduler as `-L` names them:
    /// `"sh-fallback"`, `"sh-port"`, `"mh-fallback"`, `"mh-port"`,
    /// otherwise `"flag-1"`, `"flag-2"`; `"flag-3"`.
    pub sched_flags: Vec<&'static str>,
    /// The raw `IP_VS_SVC_F_*` bits as the kernel reports them.
    pub flags: u32,
    /// Persistence engine, absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe: Option<String>,
    /// `--stats`.
    pub stats: JStats,
    /// `--rate`.
    pub rate: JRate,
    /// The `destinations` field (see `docs/json-schema.md`).
    pub destinations: Vec<JDest>,
}

/// Tunnel settings of a tunnelling destination.
#[derive(Debug, Serialize)]
pub struct JTunnel {
    /// `"ipip"`, `"gue"`, `"gre"`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The `port` field (see `docs/json-schema.md`).
    pub port: u16,
    /// `"nocsum"`, `"csum"`, `"remcsum"`.
    pub csum: String,
}

/// A real server.
#[derive(Debug, Serialize)]
pub struct JDest {
    /// The `family` field (see `docs/json-schema.md`).
    pub family: &'static str,
    /// The `address` field (see `docs/json-schema.md`).
    pub address: String,
    /// The `port` field (see `docs/json-schema.md`).
    pub port: u16,
    /// `"masq"`, `"local"`, `"tunnel"`, `"route"`, `"bypass"`.
    pub forward: String,
    /// The `weight` field (see `docs/json-schema.md`).
    pub weight: i32,
    /// Upper connection threshold (`-x`), 0 for none.
    pub u_threshold: u32,
    /// Lower connection threshold (`-y`), 0 for none.
    pub l_threshold: u32,
    /// The `active_conns` field (see `docs/json-schema.md`).
    pub active_conns: u32,
    /// The `inactive_conns` field (see `docs/json-schema.md`).
    pub inactive_conns: u32,
    /// The `persistent_conns` field (see `docs/json-schema.md`).
    pub persistent_conns: u32,
    /// Present for tunnelling destinations only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<JTunnel>,
    /// `--stats`.
    pub stats: JStats,
    /// `--rate`.
    pub rate: JRate,
}

/// A connection table entry.
#[derive(Debug, Serialize)]
pub struct JConn {
    /// The `protocol` field (see `docs/json-schema.md`).
    pub protocol: String,
    /// The `family` field (see `docs/json-schema.md`).
    pub family: &'static str,
    /// The `client_address` field (see `docs/json-schema.md`).
    pub client_address: String,
    /// Client port.
    pub client_port: u16,
    /// The `virtual_address` field (see `docs/json-schema.md`).
    pub virtual_address: String,
    /// Virtual port.
    pub virtual_port: u16,
    /// The `dest_address` field (see `docs/json-schema.md`).
    pub dest_address: String,
    /// Real server port.
    pub dest_port: u16,
    /// Connection state (`ESTABLISHED`...).
    pub state: String,
    /// Seconds until the entry expires.
    pub expires: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `pe_name` field (see `docs/json-schema.md`).
    pub pe_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The `pe_data` field (see `docs/json-schema.md`).
    pub pe_data: Option<String>,
}

/// Connection timeouts in seconds.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JTimeouts {
    /// TCP timeout in seconds.
    pub tcp: u32,
    /// TCP FIN_WAIT timeout in seconds.
    pub tcp_fin: u32,
    /// UDP timeout in seconds.
    pub udp: u32,
}

/// A synchronisation daemon.
#[derive(Debug, Serialize)]
pub struct JDaemon {
    /// `"master"` or `"backup"`.
    pub state: &'static str,
    /// The `mcast_interface` field (see `docs/json-schema.md`).
    pub mcast_interface: String,
    /// Sync ID (`--syncid`).
    pub syncid: u32,
    /// Largest sync message (`--sync-maxlen`).
    pub sync_maxlen: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Multicast group (`--mcast-group`).
    pub mcast_group: Option<String>,
    /// Multicast port (`--mcast-port`).
    pub mcast_port: u16,
    /// Multicast TTL (`--mcast-ttl`).
    pub mcast_ttl: u8,
}

fn family(af: Family) -> &'static str {
    af.name()
}

fn addr_text(af: Family, raw: &format::RawAddr) -> String {
    format::ntop(&format::ip_from_raw(af, raw))
}

fn protocol_name(p: Protocol) -> String {
    p.name()
}

fn stats(s: &Stats) -> (JStats, JRate) {
    (
        JStats {
            conns: s.conns,
            inpkts: s.inpkts,
            outpkts: s.outpkts,
            inbytes: s.inbytes,
            outbytes: s.outbytes,
        },
        JRate {
            cps: s.cps,
            inpps: s.inpps,
            outpps: s.outpps,
            inbps: s.inbps,
            outbps: s.outbps,
        },
    )
}

/// A destination as JSON.
pub fn dest(d: &Dest) -> JDest {
    let (st, rate) = stats(&d.stats);
    let tunnel = d.is_tunnel().then(|| JTunnel {
        kind: d.tun_type.name(),
        port: d.tun_port,
        csum: d.tun_checksum.name(),
    });
    JDest {
        family: family(d.family),
        address: format::ntop(&d.addr),
        port: d.port,
        forward: d.forward.name(),
        weight: d.weight,
        u_threshold: d.u_threshold,
        l_threshold: d.l_threshold,
        active_conns: d.active_conns,
        inactive_conns: d.inact_conns,
        persistent_conns: d.persist_conns,
        tunnel,
        stats: st,
        rate,
    }
}

/// A service and its destinations as JSON.
pub fn service(s: &Service, dests: &[Dest]) -> JService {
    let (st, rate) = stats(&s.stats);
    let fw = s.is_fwmark();
    let sched_flags = sched_flags_all_named(&s.sched_name, s.flags);
    JService {
        family: family(s.family),
        protocol: (!fw).then(|| protocol_name(s.protocol)),
        address: (!fw).then(|| format::ntop(&s.addr)),
        port: (!fw).then_some(s.port),
        fwmark: fw.then_some(s.fwmark),
        scheduler: s.sched_name.clone(),
        persistent: s.flags.intersects(ServiceFlags::PERSISTENT),
        timeout: s.timeout.as_secs(),
        netmask: match s.netmask {
            Netmask::Mask(m) => Some(m.to_string()),
            Netmask::Prefix(_) => None,
        },
        prefix_len: match s.netmask {
            Netmask::Prefix(n) => Some(n),
            Netmask::Mask(_) => None,
        },
        one_packet: s.flags.intersects(ServiceFlags::ONEPACKET),
        sched_flags,
        flags: s.flags.bits(),
        pe: (!s.pe_name.is_empty()).then(|| s.pe_name.clone()),
        stats: st,
        rate,
        destinations: dests.iter().map(dest).collect(),
    }
}

/// A connection entry as JSON.
pub fn conn(c: &format::Conn) -> JConn {
    JConn {
        protocol: c.protocol.clone(),
        family: family(c.family),
        client_address: addr_text(c.family, &c.client),
        client_port: c.client_port,
        virtual_address: addr_text(c.family, &c.virtual_addr),
        virtual_port: c.virtual_port,
        dest_address: addr_text(c.family, &c.dest),
        dest_port: c.dest_port,
        state: c.state.clone(),
        expires: c.expires,
        pe_name: c.pe.as_ref().map(|p| p.0.clone()),
        pe_data: c.pe.as_ref().map(|p| p.1.clone()),
    }
}

/// A daemon as JSON.
pub fn daemon(d: &Daemon) -> JDaemon {
    let state = d.role.name();
    JDaemon {
        state,
        mcast_interface: d.mcast_ifn.clone(),
        syncid: d.syncid,
        sync_maxlen: d.sync_maxlen,
        mcast_group: d.mcast_group.as_ref().map(format::ntop),
        mcast_port: d.mcast_port,
        mcast_ttl: d.mcast_ttl,
    }
}

/// An empty document carrying the banner's information.
pub fn document(info: &Info) -> Document {
    let v = info.version;
    Document {
        schema_version: SCHEMA_VERSION,
        lvsadm_version: env!("CARGO_PKG_VERSION"),
        ipvs_version: format!("{}.{}.{}", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff),
        conn_tab_size: info.conn_tab_size,
        services: None,
        connections: None,
        timeouts: None,
        daemons: None,
    }
}

/// Write a document as one line of compact JSON.
pub fn write<W: Write>(out: &mut W, doc: &Document) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, doc)?;
    writeln!(out)
}

/// The timeouts as JSON.
pub fn timeouts(t: &Timeouts) -> JTimeouts {
    JTimeouts {
        tcp: t.tcp.as_secs() as u32,
        tcp_fin: t.tcp_fin.as_secs() as u32,
        udp: t.udp.as_secs() as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn sample() -> (Service, Vec<Dest>) {
        let mut s = Service::new(Family::Inet);
        s.protocol = Protocol::Tcp;
        s.addr = "192.0.2.1".parse().unwrap();
        s.port = 80;
        s.sched_name = "rr".into();
        s.flags = ServiceFlags::PERSISTENT | ServiceFlags::HASHED | ServiceFlags::SCHED2;
        s.timeout = std::time::Duration::from_secs(360);
        s.netmask = Netmask::Mask(std::net::Ipv4Addr::from_bits(0xffff_ff00));
        s.stats.inbytes = 1 << 40;
        s.stats.conns = u32::MAX as u64 + 7;
        let mut d = Dest::new(Family::Inet);
        d.addr = "198.51.100.1".parse().unwrap();
        d.port = 80;
        d.weight = 3;
        d.u_threshold = 10;
        let mut t = Dest::new(Family::Inet6);
        t.addr = "2001:db8::5".parse().unwrap();
        t.port = 80;
        t.forward = Forward::Tunnel;
        t.tun_type = TunnelType::Gue;
        t.tun_port = 6080;
        t.tun_checksum = TunnelChecksum::Csum;
        (s, vec![d, t])
    }

    #[test]
    fn service_shape() {
        let (s, d) = sample();
        let mut doc = document(&Info {
            version: 0x010201,
            conn_tab_size: 4096,
        });
        doc.services = Some(vec![service(&s, &d)]);
        let mut buf = Vec::new();
        write(&mut buf, &doc).unwrap();
        assert_eq!(buf.iter().filter(|b| **b == b'\n').count(), 1);
        let v: Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["ipvs_version"], "1.2.1");
        assert_eq!(v["conn_tab_size"], 4096);
        assert!(v.get("connections").is_none());
        let s = &v["services"][0];
        assert_eq!(s["family"], "inet");
        assert_eq!(s["protocol"], "tcp");
        assert_eq!(s["address"], "192.0.2.1");
        assert_eq!(s["port"], 80);
        assert!(s.get("fwmark").is_none());
        assert_eq!(s["scheduler"], "rr");
        assert_eq!(s["persistent"], true);
        assert_eq!(s["timeout"], 360);
        assert_eq!(s["netmask"], "255.255.255.0");
        assert!(s.get("prefix_len").is_none());
        assert_eq!(s["sched_flags"], serde_json::json!(["flag-2"]));
        assert_eq!(s["stats"]["inbytes"], 1u64 << 40);
        assert_eq!(s["stats"]["conns"], u32::MAX as u64 + 7);
        assert_eq!(s["rate"]["cps"], 0);
        let d0 = &s["destinations"][0];
        assert_eq!(d0["address"], "198.51.100.1");
        assert_eq!(d0["forward"], "route");
        assert_eq!(d0["weight"], 3);
        assert_eq!(d0["u_threshold"], 10);
        assert!(d0.get("tunnel").is_none());
        let d1 = &s["destinations"][1];
        assert_eq!(d1["family"], "inet6");
        assert_eq!(d1["address"], "2001:db8::5");
        assert_eq!(d1["tunnel"]["type"], "gue");
        assert_eq!(d1["tunnel"]["port"], 6080);
        assert_eq!(d1["tunnel"]["csum"], "csum");
    }

    #[test]
    fn sched_flags_named_for_the_scheduler() {
        let mut s = Service::new(Family::Inet);
        s.flags = ServiceFlags::SCHED1 | ServiceFlags::SCHED2;
        s.sched_name = "sh".into();
        assert_eq!(service(&s, &[]).sched_flags, vec!["sh-fallback", "sh-port"]);
        s.sched_name = "mh".into();
        s.flags = ServiceFlags::SCHED2;
        assert_eq!(service(&s, &[]).sched_flags, vec!["mh-port"]);
        s.sched_name = "rr".into();
        s.flags = ServiceFlags::SCHED1 | ServiceFlags::SCHED3;
        assert_eq!(service(&s, &[]).sched_flags, vec!["flag-1", "flag-3"]);
    }

    #[test]
    fn fwmark_v6_service() {
        let mut s = Service::new(Family::Inet6);
        s.fwmark = 3_000_000_000;
        s.protocol = Protocol::Tcp;
        s.sched_name = "wlc".into();
        let v = serde_json::to_value(service(&s, &[])).unwrap();
        assert_eq!(v["fwmark"], 3_000_000_000u64);
        assert_eq!(v["family"], "inet6");
        assert_eq!(v["prefix_len"], 128);
        assert!(v.get("address").is_none() && v.get("protocol").is_none());
        assert_eq!(v["destinations"], serde_json::json!([]));
    }

    #[test]
    fn daemons_and_conns() {
        let d = Daemon {
            role: DaemonRole::Backup,
            mcast_ifn: "dummy0".into(),
            syncid: 7,
            sync_maxlen: 1024,
            mcast_group: Some("239.1.2.3".parse().unwrap()),
            mcast_port: 9999,
            mcast_ttl: 5,
        };
        let v = serde_json::to_value(daemon(&d)).unwrap();
        assert_eq!(v["state"], "backup");
        assert_eq!(v["mcast_group"], "239.1.2.3");
        let c = format::Conn {
            protocol: "TCP".into(),
            family: Family::Inet,
            client: format::raw_from_ip("203.0.113.9".parse().unwrap()),
            client_port: 40000,
            virtual_addr: format::raw_from_ip("192.0.2.1".parse().unwrap()),
            virtual_port: 80,
            dest: format::raw_from_ip("198.51.100.1".parse().unwrap()),
            dest_port: 8080,
            state: "ESTABLISHED".into(),
            expires: 899,
            pe: None,
        };
        let v = serde_json::to_value(conn(&c)).unwrap();
        assert_eq!(v["client_address"], "203.0.113.9");
        assert_eq!(v["dest_port"], 8080);
        assert_eq!(v["expires"], 899);
        assert!(v.get("pe_name").is_none());
    }
}
