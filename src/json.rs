//! lvsadm's JSON output (`-L -j`): one versioned document per listing, in
//! the style of iproute2's `-j`. The schema is documented in
//! `docs/json-schema.md`; bump [`SCHEMA_VERSION`] on any incompatible change.
//!
//! Unlike ipvsadm's text, numbers are never abbreviated and counters are the
//! kernel's full 64-bit values; addresses are always numeric strings.

use crate::cli::{Opt, Parsed};
use crate::format::{self, sort};
use crate::model::*;
use crate::netlink::{ipvs_strerror, Ipvs, Op};
use serde::Serialize;
use std::io::Write;
use std::path::Path;

/// The `schema_version` of every document.
pub const SCHEMA_VERSION: u32 = 1;

/// The top-level object. Exactly one of `services`, `connections`,
/// `timeouts`, `daemons` is present, depending on the listing.
#[derive(Debug, Serialize)]
pub struct Document {
    pub schema_version: u32,
    /// The lvsadm version that wrote the document.
    pub lvsadm_version: &'static str,
    /// IPVS version as the kernel reports it, e.g. `"1.2.1"`.
    pub ipvs_version: String,
    /// The connection hash table size.
    pub conn_tab_size: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<JService>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connections: Option<Vec<JConn>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeouts: Option<JTimeouts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub daemons: Option<Vec<JDaemon>>,
}

/// Cumulative counters.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JStats {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
}

/// Rates (per second, as the kernel estimates them).
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JRate {
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    pub inbps: u64,
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
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    /// Firewall mark; absent for address services.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fwmark: Option<u32>,
    pub scheduler: String,
    pub persistent: bool,
    /// Persistence timeout in seconds (0 when not persistent).
    pub timeout: u32,
    /// IPv4 services: the persistence mask, dotted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub netmask: Option<String>,
    /// IPv6 services: the persistence prefix length.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix_len: Option<u32>,
    pub one_packet: bool,
    /// Scheduler flags set: `"flag-1"`, `"flag-2"`, `"flag-3"`.
    pub sched_flags: Vec<&'static str>,
    /// The raw `IP_VS_SVC_F_*` bits as the kernel reports them.
    pub flags: u32,
    /// Persistence engine, absent when none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe: Option<String>,
    pub stats: JStats,
    pub rate: JRate,
    pub destinations: Vec<JDest>,
}

/// Tunnel settings of a tunnelling destination.
#[derive(Debug, Serialize)]
pub struct JTunnel {
    /// `"ipip"`, `"gue"`, `"gre"`.
    #[serde(rename = "type")]
    pub kind: String,
    pub port: u16,
    /// `"nocsum"`, `"csum"`, `"remcsum"`.
    pub csum: String,
}

/// A real server.
#[derive(Debug, Serialize)]
pub struct JDest {
    pub family: &'static str,
    pub address: String,
    pub port: u16,
    /// `"masq"`, `"local"`, `"tunnel"`, `"route"`, `"bypass"`.
    pub forward: String,
    pub weight: i32,
    pub u_threshold: u32,
    pub l_threshold: u32,
    pub active_conns: u32,
    pub inactive_conns: u32,
    pub persistent_conns: u32,
    /// Present for tunnelling destinations only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel: Option<JTunnel>,
    pub stats: JStats,
    pub rate: JRate,
}

/// A connection table entry.
#[derive(Debug, Serialize)]
pub struct JConn {
    pub protocol: String,
    pub family: &'static str,
    pub client_address: String,
    pub client_port: u16,
    pub virtual_address: String,
    pub virtual_port: u16,
    pub dest_address: String,
    pub dest_port: u16,
    pub state: String,
    /// Seconds until the entry expires.
    pub expires: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pe_data: Option<String>,
}

/// Connection timeouts in seconds.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct JTimeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

/// A synchronisation daemon.
#[derive(Debug, Serialize)]
pub struct JDaemon {
    /// `"master"` or `"backup"`.
    pub state: &'static str,
    pub mcast_interface: String,
    pub syncid: u32,
    pub sync_maxlen: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mcast_group: Option<String>,
    pub mcast_port: u16,
    pub mcast_ttl: u8,
}

fn family(af: u16) -> &'static str {
    if af == AF_INET6 {
        "inet6"
    } else {
        "inet"
    }
}

fn addr_text(af: u16, raw: &RawAddr) -> String {
    format::ntop(&ip_from_raw(af, raw))
}

fn protocol_name(p: u16) -> String {
    match p {
        IPPROTO_TCP => "tcp".into(),
        IPPROTO_UDP => "udp".into(),
        IPPROTO_SCTP => "sctp".into(),
        n => n.to_string(),
    }
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

/// The name of a forwarding method.
pub fn forward_name(fwd: u32) -> String {
    match fwd & 7 {
        FWD_MASQ => "masq".into(),
        FWD_LOCALNODE => "local".into(),
        FWD_TUNNEL => "tunnel".into(),
        FWD_DROUTE => "route".into(),
        FWD_BYPASS => "bypass".into(),
        n => n.to_string(),
    }
}

/// A destination as JSON.
pub fn dest(d: &Dest) -> JDest {
    let (st, rate) = stats(&d.stats);
    let tunnel = (d.fwd & 7 == FWD_TUNNEL).then(|| JTunnel {
        kind: match d.tun_type {
            TUN_TYPE_IPIP => "ipip".into(),
            TUN_TYPE_GUE => "gue".into(),
            TUN_TYPE_GRE => "gre".into(),
            n => n.to_string(),
        },
        port: d.tun_port,
        csum: match d.tun_flags {
            TUN_F_NOCSUM => "nocsum".into(),
            TUN_F_CSUM => "csum".into(),
            TUN_F_REMCSUM => "remcsum".into(),
            n => n.to_string(),
        },
    });
    JDest {
        family: family(d.af),
        address: addr_text(d.af, &d.addr),
        port: d.port,
        forward: forward_name(d.fwd),
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
    let sched_flags = generic_sched_flag_names(s.flags);
    JService {
        family: family(s.af),
        protocol: (!fw).then(|| protocol_name(s.protocol)),
        address: (!fw).then(|| addr_text(s.af, &s.addr)),
        port: (!fw).then_some(s.port),
        fwmark: fw.then_some(s.fwmark),
        scheduler: s.sched_name.clone(),
        persistent: s.flags & SVC_F_PERSISTENT != 0,
        timeout: s.timeout,
        netmask: (s.af != AF_INET6).then(|| std::net::Ipv4Addr::from(s.netmask).to_string()),
        prefix_len: (s.af == AF_INET6).then_some(s.netmask),
        one_packet: s.flags & SVC_F_ONEPACKET != 0,
        sched_flags,
        flags: s.flags,
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
        family: family(c.af),
        client_address: addr_text(c.af, &c.client),
        client_port: c.client_port,
        virtual_address: addr_text(c.af, &c.virtual_addr),
        virtual_port: c.virtual_port,
        dest_address: addr_text(c.af, &c.dest),
        dest_port: c.dest_port,
        state: c.state.clone(),
        expires: c.expires,
        pe_name: c.pe.as_ref().map(|p| p.0.clone()),
        pe_data: c.pe.as_ref().map(|p| p.1.clone()),
    }
}

/// A daemon as JSON; `None` for entries with neither state bit.
pub fn daemon(d: &Daemon) -> Option<JDaemon> {
    let state = if d.state & DAEMON_MASTER != 0 {
        "master"
    } else if d.state & DAEMON_BACKUP != 0 {
        "backup"
    } else {
        return None;
    };
    Some(JDaemon {
        state,
        mcast_interface: d.mcast_ifn.clone(),
        syncid: d.syncid,
        sync_maxlen: d.sync_maxlen,
        mcast_group: d.mcast_group.as_ref().map(format::ntop),
        mcast_port: d.mcast_port,
        mcast_ttl: d.mcast_ttl,
    })
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

fn kernel_error(op: Op, errno: i32) -> i32 {
    eprintln!("{}", ipvs_strerror(op, errno));
    1
}

/// `-L -j ...`: every listing as JSON. The listing-mode options (`--stats`,
/// `--rate`, `--thresholds`, `--persistent-conn`, `--tun-info`, `--exact`,
/// `-n`) change nothing: the document always holds every field. `--nosort`
/// keeps the kernel's order. `Err` is the exit status.
pub fn list<W: Write>(ipvs: &mut Ipvs, p: &Parsed, out: &mut W) -> Result<(), i32> {
    let mut doc = document(&ipvs.info());
    if p.has(Opt::Connection) {
        let conns = match format::read_connections(Path::new("/proc/net/ip_vs_conn")) {
            Ok(c) => c,
            Err(format::ConnError::SilentExit) => return Err(1),
            Err(e) => {
                eprintln!("{e}");
                return Err(1);
            }
        };
        doc.connections = Some(conns.iter().map(conn).collect());
    } else if p.has(Opt::Timeout) {
        let t = ipvs.timeouts().map_err(|_| 1)?;
        doc.timeouts = Some(JTimeouts {
            tcp: t.tcp,
            tcp_fin: t.tcp_fin,
            udp: t.udp,
        });
    } else if p.has(Opt::Daemon) {
        let d = ipvs.daemons().map_err(|_| 1)?;
        doc.daemons = Some(d.iter().filter_map(daemon).collect());
    } else {
        let mut services = if p.has(Opt::Service) {
            vec![ipvs
                .service(&p.svc)
                .map_err(|e| kernel_error(Op::GetService, e.errno()))?]
        } else {
            ipvs.services()
                .map_err(|e| kernel_error(Op::GetServices, e.errno()))?
        };
        if !p.format.nosort {
            sort::sort_services(&mut services);
        }
        let all = ipvs
            .dests_many(&services)
            .map_err(|e| kernel_error(Op::GetDests, e.errno()))?;
        let mut list = Vec::with_capacity(services.len());
        for (s, mut d) in services.iter().zip(all) {
            if !p.format.nosort {
                sort::sort_dests(&mut d);
            }
            list.push(service(s, &d));
        }
        doc.services = Some(list);
    }
    write(out, &doc).map_err(|_| 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn sample() -> (Service, Vec<Dest>) {
        let mut s = Service::new(AF_INET);
        s.protocol = IPPROTO_TCP;
        s.addr = raw_from_ip("192.0.2.1".parse().unwrap());
        s.port = 80;
        s.sched_name = "rr".into();
        s.flags = SVC_F_PERSISTENT | SVC_F_HASHED | SVC_F_SCHED2;
        s.timeout = 360;
        s.netmask = 0xffff_ff00;
        s.stats.inbytes = 1 << 40;
        s.stats.conns = u32::MAX as u64 + 7;
        let mut d = Dest::new(AF_INET);
        d.addr = raw_from_ip("198.51.100.1".parse().unwrap());
        d.port = 80;
        d.weight = 3;
        d.u_threshold = 10;
        let mut t = Dest::new(AF_INET6);
        t.addr = raw_from_ip("2001:db8::5".parse().unwrap());
        t.port = 80;
        t.fwd = FWD_TUNNEL;
        t.tun_type = TUN_TYPE_GUE;
        t.tun_port = 6080;
        t.tun_flags = TUN_F_CSUM;
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
    fn fwmark_v6_service() {
        let mut s = Service::new(AF_INET6);
        s.fwmark = 3_000_000_000;
        s.protocol = IPPROTO_TCP;
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
            state: DAEMON_BACKUP,
            mcast_ifn: "dummy0".into(),
            syncid: 7,
            sync_maxlen: 1024,
            mcast_group: Some("239.1.2.3".parse().unwrap()),
            mcast_port: 9999,
            mcast_ttl: 5,
        };
        let v = serde_json::to_value(daemon(&d).unwrap()).unwrap();
        assert_eq!(v["state"], "backup");
        assert_eq!(v["mcast_group"], "239.1.2.3");
        assert!(daemon(&Daemon { state: 0, ..d }).is_none());
        let c = format::Conn {
            protocol: "TCP".into(),
            af: AF_INET,
            client: raw_from_ip("203.0.113.9".parse().unwrap()),
            client_port: 40000,
            virtual_addr: raw_from_ip("192.0.2.1".parse().unwrap()),
            virtual_port: 80,
            dest: raw_from_ip("198.51.100.1".parse().unwrap()),
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
