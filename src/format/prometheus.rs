//! The Prometheus text exposition format (version 0.0.4) of a table
//! snapshot. Pure: model values in, text out.
//!
//! Every series of a family carries the same label names, and the labels
//! identify it exactly once:
//! * a service: `family` (`ipv4`/`ipv6`), `protocol` (`tcp`, `udp`,
//!   `sctp`; empty for fwmark services), `address` and `port` (empty for
//!   fwmark services) and `fwmark` (empty for address services). A TCP and a
//!   fwmark service on the same address are therefore two series;
//! * a real server: its service's labels plus `server_address`,
//!   `server_port` and `forward` (`masq`, `route`, `tunnel`, `local`,
//!   `bypass`; a real server has one method, so this adds no series);
//! * in/out pairs: a `direction` label.

use lvs::model::*;
use std::fmt::Write;

/// What one scrape read from the kernel.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// `GET_INFO`'s connection hash table size.
    pub conn_hash_size: u32,
    /// Every service with its real servers.
    pub services: Vec<(Service, Vec<Dest>)>,
    /// Running sync daemons.
    pub daemons: Vec<Daemon>,
    /// Entries of the connection table by (protocol, state), when it could
    /// be read.
    pub conns: Option<Vec<((String, String), u64)>>,
    /// The kernel's totals (`/proc/net/ip_vs_stats`), when they could be
    /// read.
    pub totals: Option<crate::format::node_exporter::Totals>,
}

/// What to leave out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RenderOptions {
    /// No per-real-server series (for tables with very many real servers).
    pub services_only: bool,
    /// node_exporter's `node_ipvs_*` series too (`--node-exporter-names`).
    pub node_names: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Counter,
    Gauge,
}

struct Family {
    name: &'static str,
    help: &'static str,
    kind: Kind,
    samples: Vec<(String, u64)>,
}

impl Family {
    fn new(name: &'static str, kind: Kind, help: &'static str) -> Family {
        Family {
            name,
            help,
            kind,
            samples: Vec::new(),
        }
    }
}

/// A label value with `\`, `"` and newlines escaped.
pub fn escape(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn labels(pairs: &[(&str, &str)]) -> String {
    let mut s = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let _ = write!(s, "{k}=\"{}\"", escape(v));
    }
    s
}

fn family_name(af: lvs::model::Family) -> &'static str {
    if af == lvs::model::Family::Inet6 {
        "ipv6"
    } else {
        "ipv4"
    }
}

fn protocol_name(p: Protocol) -> String {
    p.name()
}

/// The identifying labels of a service (without braces).
pub fn service_labels(s: &Service) -> String {
    if s.is_fwmark() {
        labels(&[
            ("family", family_name(s.family)),
            ("protocol", ""),
            ("address", ""),
            ("port", ""),
            ("fwmark", &s.fwmark.to_string()),
        ])
    } else {
        labels(&[
            ("family", family_name(s.family)),
            ("protocol", &protocol_name(s.protocol)),
            ("address", &crate::format::ntop(&s.addr)),
            ("port", &s.port.to_string()),
            ("fwmark", ""),
        ])
    }
}

/// The identifying labels of a real server of `svc_labels`' service.
pub fn dest_labels(svc_labels: &str, d: &Dest) -> String {
    format!(
        "{svc_labels},{}",
        labels(&[
            ("server_address", &crate::format::ntop(&d.addr)),
            ("server_port", &d.port.to_string()),
            ("forward", &d.forward.name()),
        ])
    )
}

fn with(l: &str, extra: &str) -> String {
    if l.is_empty() {
        extra.to_string()
    } else {
        format!("{l},{extra}")
    }
}

/// The traffic families of one level (`service` or `real_server`).
struct Traffic {
    conns: Family,
    packets: Family,
    bytes: Family,
    cps: Family,
    pps: Family,
    bps: Family,
}

impl Traffic {
    fn service() -> Traffic {
        Traffic {
            conns: Family::new(
                "ipvs_service_connections_total",
                Kind::Counter,
                "Connections scheduled by the virtual service.",
            ),
            packets: Family::new(
                "ipvs_service_packets_total",
                Kind::Counter,
                "Packets of the virtual service (in: from clients, out: to clients).",
            ),
            bytes: Family::new(
                "ipvs_service_bytes_total",
                Kind::Counter,
                "Bytes of the virtual service (in: from clients, out: to clients).",
            ),
            cps: Family::new(
                "ipvs_service_connection_rate",
                Kind::Gauge,
                "Connections per second scheduled by the virtual service (kernel estimate).",
            ),
            pps: Family::new(
                "ipvs_service_packet_rate",
                Kind::Gauge,
                "Packets per second of the virtual service (kernel estimate).",
            ),
            bps: Family::new(
                "ipvs_service_byte_rate",
                Kind::Gauge,
                "Bytes per second of the virtual service (kernel estimate).",
            ),
        }
    }

    fn real_server() -> Traffic {
        Traffic {
            conns: Family::new(
                "ipvs_real_server_connections_total",
                Kind::Counter,
                "Connections scheduled to the real server.",
            ),
            packets: Family::new(
                "ipvs_real_server_packets_total",
                Kind::Counter,
                "Packets of the real server's connections (in: from clients, out: to clients).",
            ),
            bytes: Family::new(
                "ipvs_real_server_bytes_total",
                Kind::Counter,
                "Bytes of the real server's connections (in: from clients, out: to clients).",
            ),
            cps: Family::new(
                "ipvs_real_server_connection_rate",
                Kind::Gauge,
                "Connections per second scheduled to the real server (kernel estimate).",
            ),
            pps: Family::new(
                "ipvs_real_server_packet_rate",
                Kind::Gauge,
                "Packets per second of the real server's connections (kernel estimate).",
            ),
            bps: Family::new(
                "ipvs_real_server_byte_rate",
                Kind::Gauge,
                "Bytes per second of the real server's connections (kernel estimate).",
            ),
        }
    }

    fn add(&mut self, l: &str, s: &Stats) {
        let (i, o) = (with(l, "direction=\"in\""), with(l, "direction=\"out\""));
        self.conns.samples.push((l.to_string(), s.conns));
        self.packets.samples.push((i.clone(), s.inpkts));
        self.packets.samples.push((o.clone(), s.outpkts));
        self.bytes.samples.push((i.clone(), s.inbytes));
        self.bytes.samples.push((o.clone(), s.outbytes));
        self.cps.samples.push((l.to_string(), s.cps));
        self.pps.samples.push((i.clone(), s.inpps));
        self.pps.samples.push((o.clone(), s.outpps));
        self.bps.samples.push((i, s.inbps));
        self.bps.samples.push((o, s.outbps));
    }

    fn into_families(self) -> [Family; 6] {
        [
            self.conns,
            self.packets,
            self.bytes,
            self.cps,
            self.pps,
            self.bps,
        ]
    }
}

/// Render a snapshot. Services and real servers come in the order given
/// (the caller sorts them as the listings do).
pub fn render(snap: &Snapshot, opts: &RenderOptions) -> String {
    let mut fams: Vec<Family> = Vec::new();

    let mut svc_traffic = Traffic::service();
    let mut svc_active = Family::new(
        "ipvs_service_active_connections",
        Kind::Gauge,
        "Active (established) connections of the virtual service, summed over its real servers.",
    );
    let mut svc_inactive = Family::new(
        "ipvs_service_inactive_connections",
        Kind::Gauge,
        "Inactive connections of the virtual service, summed over its real servers.",
    );
    let mut svc_dests = Family::new(
        "ipvs_service_real_servers",
        Kind::Gauge,
        "Real servers of the virtual service.",
    );
    let mut rs_traffic = Traffic::real_server();
    let mut rs_active = Family::new(
        "ipvs_real_server_active_connections",
        Kind::Gauge,
        "Active (established) connections of the real server (ActiveConn).",
    );
    let mut rs_inactive = Family::new(
        "ipvs_real_server_inactive_connections",
        Kind::Gauge,
        "Inactive connections of the real server (InActConn).",
    );
    let mut rs_persist = Family::new(
        "ipvs_real_server_persistent_connections",
        Kind::Gauge,
        "Persistence templates bound to the real server.",
    );
    let mut rs_weight = Family::new(
        "ipvs_real_server_weight",
        Kind::Gauge,
        "Weight of the real server (0: no new connections).",
    );

    for (svc, dests) in &snap.services {
        let sl = service_labels(svc);
        svc_traffic.add(&sl, &svc.stats);
        let active: u64 = dests.iter().map(|d| d.active_conns as u64).sum();
        let inactive: u64 = dests.iter().map(|d| d.inact_conns as u64).sum();
        svc_active.samples.push((sl.clone(), active));
        svc_inactive.samples.push((sl.clone(), inactive));
        svc_dests.samples.push((sl.clone(), dests.len() as u64));
        if opts.services_only {
            continue;
        }
        for d in dests {
            let dl = dest_labels(&sl, d);
            rs_traffic.add(&dl, &d.stats);
            rs_active.samples.push((dl.clone(), d.active_conns as u64));
            rs_inactive.samples.push((dl.clone(), d.inact_conns as u64));
            rs_persist
                .samples
                .push((dl.clone(), d.persist_conns as u64));
            // The kernel keeps a signed weight; ipvsadm refuses negatives.
            rs_weight.samples.push((dl, d.weight.max(0) as u64));
        }
    }
    fams.extend(svc_traffic.into_families());
    fams.extend([svc_active, svc_inactive, svc_dests]);
    if !opts.services_only {
        fams.extend(rs_traffic.into_families());
        fams.extend([rs_active, rs_inactive, rs_persist, rs_weight]);
    }

    let mut hash = Family::new(
        "ipvs_connection_hash_table_size",
        Kind::Gauge,
        "Buckets of the kernel's connection hash table (not a limit on connections).",
    );
    hash.samples
        .push((String::new(), snap.conn_hash_size as u64));
    fams.push(hash);

    if let Some(conns) = &snap.conns {
        let mut c = Family::new(
            "ipvs_connections",
            Kind::Gauge,
            "Entries of the connection table (/proc/net/ip_vs_conn) by protocol and state, persistence templates included.",
        );
        let mut total = Family::new(
            "ipvs_connection_entries",
            Kind::Gauge,
            "All entries of the connection table (/proc/net/ip_vs_conn).",
        );
        let mut sum = 0;
        for ((proto, state), n) in conns {
            let l = labels(&[("protocol", &proto.to_ascii_lowercase()), ("state", state)]);
            c.samples.push((l, *n));
            sum += n;
        }
        total.samples.push((String::new(), sum));
        fams.push(total);
        fams.push(c);
    }

    let mut running = Family::new(
        "ipvs_sync_daemon_running",
        Kind::Gauge,
        "Whether a connection synchronisation daemon of this role runs (1) or not (0).",
    );
    let mut info = Family::new(
        "ipvs_sync_daemon_info",
        Kind::Gauge,
        "A running connection synchronisation daemon and its settings (value 1).",
    );
    for (role, want) in [
        ("master", DaemonRole::Master),
        ("backup", DaemonRole::Backup),
    ] {
        let d = snap.daemons.iter().find(|d| d.role == want);
        running
            .samples
            .push((labels(&[("role", role)]), d.is_some() as u64));
        if let Some(d) = d {
            let group = d
                .mcast_group
                .as_ref()
                .map(crate::format::ntop)
                .unwrap_or_default();
            let l = labels(&[
                ("role", role),
                ("interface", &d.mcast_ifn),
                ("syncid", &d.syncid.to_string()),
                ("maxlen", &d.sync_maxlen.to_string()),
                ("group", &group),
                ("port", &d.mcast_port.to_string()),
                ("ttl", &d.mcast_ttl.to_string()),
            ]);
            info.samples.push((l, 1));
        }
    }
    fams.push(running);
    fams.push(info);

    let mut out = String::new();
    for f in &fams {
        if f.samples.is_empty() {
            continue;
        }
        let kind = match f.kind {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
        };
        let _ = writeln!(out, "# HELP {} {}", f.name, f.help);
        let _ = writeln!(out, "# TYPE {} {kind}", f.name);
        for (l, v) in &f.samples {
            if l.is_empty() {
                let _ = writeln!(out, "{} {v}", f.name);
            } else {
                let _ = writeln!(out, "{}{{{l}}} {v}", f.name);
            }
        }
    }
    if opts.node_names {
        let backends: &[(Service, Vec<Dest>)] = if opts.services_only {
            &[]
        } else {
            &snap.services
        };
        out.push_str(&crate::format::node_exporter::render(
            backends,
            snap.totals.as_ref(),
        ));
    }
    out
}

/// Count connection-table entries by (protocol, state), sorted.
pub fn count_conns<'a>(
    entries: impl Iterator<Item = (&'a str, &'a str)>,
) -> Vec<((String, String), u64)> {
    let mut m: std::collections::BTreeMap<(String, String), u64> = Default::default();
    for (p, s) in entries {
        *m.entry((p.to_string(), s.to_string())).or_default() += 1;
    }
    m.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc_tcp() -> Service {
        let mut s = Service::new(lvs::model::Family::Inet);
        s.protocol = Protocol::Tcp;
        s.addr = "192.0.2.1".parse().unwrap();
        s.port = 80;
        s.sched_name = "rr".into();
        s.stats = Stats {
            conns: u64::MAX,
            inpkts: 10,
            outpkts: 11,
            inbytes: 1 << 40,
            outbytes: 13,
            cps: 1,
            inpps: 2,
            outpps: 3,
            inbps: 4,
            outbps: 5,
        };
        s
    }

    fn svc_fwmark() -> Service {
        let mut s = Service::new(lvs::model::Family::Inet);
        s.fwmark = 7;
        s
    }

    fn dest(a: &str, w: i32) -> Dest {
        let mut d = Dest::new(lvs::model::Family::Inet);
        d.addr = a.parse().unwrap();
        d.port = 8080;
        d.forward = Forward::Masq;
        d.weight = w;
        d.active_conns = 3;
        d.inact_conns = 4;
        d.stats.conns = 9;
        d
    }

    fn sample_lines(text: &str, name: &str) -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn counters_are_full_64_bit_and_labels_identify_the_service() {
        let snap = Snapshot {
            conn_hash_size: 4096,
            services: vec![(svc_tcp(), vec![dest("198.51.100.1", 2)])],
            ..Default::default()
        };
        let t = render(&snap, &RenderOptions::default());
        assert!(t.contains(
            "ipvs_service_connections_total{family=\"ipv4\",protocol=\"tcp\",address=\"192.0.2.1\",port=\"80\",fwmark=\"\"} 18446744073709551615\n"
        ));
        assert!(t.contains(
            "ipvs_service_bytes_total{family=\"ipv4\",protocol=\"tcp\",address=\"192.0.2.1\",port=\"80\",fwmark=\"\",direction=\"in\"} 1099511627776\n"
        ));
        assert!(t.contains(
            "ipvs_real_server_weight{family=\"ipv4\",protocol=\"tcp\",address=\"192.0.2.1\",port=\"80\",fwmark=\"\",server_address=\"198.51.100.1\",server_port=\"8080\",forward=\"masq\"} 2\n"
        ));
        assert!(t.contains("ipvs_service_active_connections{family=\"ipv4\",protocol=\"tcp\",address=\"192.0.2.1\",port=\"80\",fwmark=\"\"} 3\n"));
        assert!(t.contains("# TYPE ipvs_service_connections_total counter\n"));
        assert!(t.contains("# TYPE ipvs_real_server_active_connections gauge\n"));
        assert!(t.contains("ipvs_connection_hash_table_size 4096\n"));
        assert!(t.contains("ipvs_sync_daemon_running{role=\"master\"} 0\n"));
        // no connection-table read: no such family
        assert!(!t.contains("ipvs_connections"));
    }

    #[test]
    fn every_family_has_help_and_type_once_and_samples_together() {
        let snap = Snapshot {
            services: vec![
                (
                    svc_tcp(),
                    vec![dest("198.51.100.1", 1), dest("198.51.100.2", 0)],
                ),
                (svc_fwmark(), vec![dest("198.51.100.1", 1)]),
            ],
            conns: Some(count_conns(
                [
                    ("TCP", "ESTABLISHED"),
                    ("TCP", "FIN_WAIT"),
                    ("TCP", "ESTABLISHED"),
                ]
                .into_iter(),
            )),
            ..Default::default()
        };
        let t = render(&snap, &RenderOptions::default());
        let mut seen: Vec<String> = Vec::new();
        let mut current = String::new();
        for l in t.lines() {
            if let Some(rest) = l.strip_prefix("# HELP ") {
                let name = rest.split(' ').next().unwrap().to_string();
                assert!(!seen.contains(&name), "{name} twice");
                seen.push(name.clone());
                current = name;
            } else if let Some(rest) = l.strip_prefix("# TYPE ") {
                assert!(rest.starts_with(&format!("{current} ")));
            } else {
                let name = l.split(['{', ' ']).next().unwrap();
                assert_eq!(name, current, "{l}");
            }
        }
        // every sample line unique (name + labels)
        let samples: Vec<&str> = t
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.rsplit_once(' ').unwrap().0)
            .collect();
        let mut dedup = samples.clone();
        dedup.sort();
        dedup.dedup();
        assert_eq!(dedup.len(), samples.len());
        assert!(t.contains("ipvs_connections{protocol=\"tcp\",state=\"ESTABLISHED\"} 2\n"));
        assert!(t.contains("ipvs_connection_entries 3\n"));
    }

    #[test]
    fn tcp_and_fwmark_services_on_one_address_are_distinct_series() {
        let mut fw = svc_fwmark();
        fw.addr = svc_tcp().addr;
        let snap = Snapshot {
            services: vec![(svc_tcp(), vec![]), (fw, vec![])],
            ..Default::default()
        };
        let t = render(&snap, &RenderOptions::default());
        let lines = sample_lines(&t, "ipvs_service_connections_total");
        assert_eq!(lines.len(), 2);
        assert!(lines[1].starts_with(
            "ipvs_service_connections_total{family=\"ipv4\",protocol=\"\",address=\"\",port=\"\",fwmark=\"7\"}"
        ));
    }

    #[test]
    fn services_only_leaves_out_real_servers() {
        let snap = Snapshot {
            services: vec![(svc_tcp(), vec![dest("198.51.100.1", 1)])],
            ..Default::default()
        };
        let t = render(
            &snap,
            &RenderOptions {
                services_only: true,
                node_names: false,
            },
        );
        assert!(!t.contains("ipvs_real_server"));
        assert!(t.contains("ipvs_service_real_servers{"));
    }

    #[test]
    fn daemons_and_escaping() {
        let snap = Snapshot {
            daemons: vec![Daemon {
                role: DaemonRole::Backup,
                mcast_ifn: "e\"th\\0".into(),
                syncid: 3,
                ..Default::default()
            }],
            ..Default::default()
        };
        let t = render(&snap, &RenderOptions::default());
        assert!(t.contains("ipvs_sync_daemon_running{role=\"backup\"} 1\n"));
        assert!(t.contains("ipvs_sync_daemon_running{role=\"master\"} 0\n"));
        assert!(t.contains(
            "ipvs_sync_daemon_info{role=\"backup\",interface=\"e\\\"th\\\\0\",syncid=\"3\",maxlen=\"0\",group=\"\",port=\"0\",ttl=\"0\"} 1\n"
        ));
        assert_eq!(escape("a\nb"), "a\\nb");
    }

    #[test]
    fn ipv6_service_labels() {
        let mut s = Service::new(lvs::model::Family::Inet6);
        s.protocol = Protocol::Udp;
        s.addr = "2001:db8::1".parse().unwrap();
        s.port = 53;
        assert_eq!(
            service_labels(&s),
            "family=\"ipv6\",protocol=\"udp\",address=\"2001:db8::1\",port=\"53\",fwmark=\"\""
        );
        let mut f = Service::new(lvs::model::Family::Inet6);
        f.fwmark = 1;
        assert!(service_labels(&f).starts_with("family=\"ipv6\",protocol=\"\""));
    }
}
