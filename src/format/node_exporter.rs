//! node_exporter's IPVS series (`--metrics --node-exporter-names`), beside
//! lvsadm's own, so that dashboards and alerts written for node_exporter's
//! ipvs collector keep working against lvsadm. Pure: values in, text out.
//!
//! The names, types and labels are node_exporter's (its ipvs collector):
//! * `node_ipvs_connections_total`, `node_ipvs_incoming_packets_total`,
//!   `node_ipvs_outgoing_packets_total`, `node_ipvs_incoming_bytes_total`,
//!   `node_ipvs_outgoing_bytes_total`: counters without labels, the
//!   kernel's totals of every service (`/proc/net/ip_vs_stats`, which keep
//!   counting what deleted services carried);
//! * `node_ipvs_backend_connections_active`,
//!   `node_ipvs_backend_connections_inactive`, `node_ipvs_backend_weight`:
//!   gauges per real server, labelled `local_address`, `local_port`,
//!   `remote_address`, `remote_port`, `proto` (`TCP`, `UDP`, `SCTP`,
//!   `FWM`) and `local_mark`.
//!
//! Where lvsadm differs on purpose: a firewall-mark service has no address
//! nor port, so `local_address` and `local_port` are empty (node_exporter
//! writes `local_port="0"`), and every series carries its service's mark
//! (`local_mark`, eight hex digits as `/proc/net/ip_vs` writes it), so the
//! real servers of two fwmark services are never one series (node_exporter
//! issue 1296: their series collided, and its sums mixed them). SCTP
//! services are labelled `SCTP` (node_exporter's parser skips their lines
//! and counts their real servers under the service before).

use crate::format::prometheus::escape;
use lvs::model::*;
use std::fmt::Write;

/// The kernel's totals (`/proc/net/ip_vs_stats`): connections, packets
/// in, packets out, bytes in, bytes out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Connections.
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

/// Read `/proc/net/ip_vs_stats`' text: the first line of five hexadecimal
/// numbers after the two title lines. `None` if it is not that.
pub fn parse_stats(text: &str) -> Option<Totals> {
    let line = text.lines().nth(2)?;
    let v: Vec<u64> = line
        .split_whitespace()
        .map(|w| u64::from_str_radix(w, 16).ok())
        .collect::<Option<_>>()?;
    match v[..] {
        [conns, inpkts, outpkts, inbytes, outbytes] => Some(Totals {
            conns,
            inpkts,
            outpkts,
            inbytes,
            outbytes,
        }),
        _ => None,
    }
}

/// The label names of the per-real-server series, in node_exporter's order.
pub const LABELS: [&str; 6] = [
    "local_address",
    "local_port",
    "remote_address",
    "remote_port",
    "proto",
    "local_mark",
];

/// The names lvsadm serves, with their types (for the tests and the
/// documentation's table).
pub const NAMES: [(&str, &str); 8] = [
    ("node_ipvs_connections_total", "counter"),
    ("node_ipvs_incoming_packets_total", "counter"),
    ("node_ipvs_outgoing_packets_total", "counter"),
    ("node_ipvs_incoming_bytes_total", "counter"),
    ("node_ipvs_outgoing_bytes_total", "counter"),
    ("node_ipvs_backend_connections_active", "gauge"),
    ("node_ipvs_backend_connections_inactive", "gauge"),
    ("node_ipvs_backend_weight", "gauge"),
];

fn proto(s: &Service) -> String {
    if s.is_fwmark() {
        return "FWM".into();
    }
    match s.protocol.label() {
        Some(label) => label.into(),
        None => s.protocol.number().to_string(),
    }
}

/// The labels of real server `d` of service `s`.
pub fn backend_labels(s: &Service, d: &Dest) -> String {
    let (addr, port, mark) = if s.is_fwmark() {
        (String::new(), String::new(), format!("{:08X}", s.fwmark))
    } else {
        (
            crate::format::ntop(&s.addr),
            s.port.to_string(),
            String::new(),
        )
    };
    let values = [
        addr,
        port,
        crate::format::ntop(&d.addr),
        d.port.to_string(),
        proto(s),
        mark,
    ];
    let mut out = String::new();
    for (i, (k, v)) in LABELS.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{k}=\"{}\"", escape(&v));
    }
    out
}

/// The node_exporter series of a table (services with their real servers,
/// in the order given) and the kernel's totals, if read.
pub fn render(services: &[(Service, Vec<Dest>)], totals: Option<&Totals>) -> String {
    let mut out = String::new();
    let head = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} {kind}");
    };
    if let Some(t) = totals {
        for (name, help, v) in [
            (NAMES[0].0, "Connections scheduled by every virtual service since IPVS started (node_exporter's name).", t.conns),
            (NAMES[1].0, "Packets from clients to every virtual service (node_exporter's name).", t.inpkts),
            (NAMES[2].0, "Packets to clients from every virtual service (node_exporter's name).", t.outpkts),
            (NAMES[3].0, "Bytes from clients to every virtual service (node_exporter's name).", t.inbytes),
            (NAMES[4].0, "Bytes to clients from every virtual service (node_exporter's name).", t.outbytes),
        ] {
            head(&mut out, name, "counter", help);
            let _ = writeln!(out, "{name} {v}");
        }
    }
    let backends: Vec<(String, &Dest)> = services
        .iter()
        .flat_map(|(s, ds)| ds.iter().map(move |d| (backend_labels(s, d), d)))
        .collect();
    if backends.is_empty() {
        return out;
    }
    type Value = fn(&Dest) -> u64;
    let gauges: [(&str, &str, Value); 3] = [
        (
            NAMES[5].0,
            "Active connections of the real server (ActiveConn; node_exporter's name).",
            |d| u64::from(d.active_conns),
        ),
        (
            NAMES[6].0,
            "Inactive connections of the real server (InActConn; node_exporter's name).",
            |d| u64::from(d.inact_conns),
        ),
        (
            NAMES[7].0,
            "Weight of the real server (node_exporter's name).",
            |d| d.weight.max(0) as u64,
        ),
    ];
    for (name, help, value) in gauges {
        head(&mut out, name, "gauge", help);
        for (l, d) in &backends {
            let _ = writeln!(out, "{name}{{{l}}} {}", value(d));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::prometheus::{RenderOptions, Snapshot};

    fn service(proto: Protocol, addr: &str, port: u16, mark: u32) -> Service {
        let ip: std::net::IpAddr = addr.parse().unwrap();
        let mut s = Service::new(Family::of(&ip));
        if mark != 0 {
            s.fwmark = mark;
        } else {
            s.protocol = proto;
            s.addr = ip;
            s.port = port;
        }
        s
    }

    fn dest(addr: &str, port: u16, weight: i32, active: u32, inactive: u32) -> Dest {
        let ip: std::net::IpAddr = addr.parse().unwrap();
        let mut d = Dest::new(Family::of(&ip));
        d.addr = ip;
        d.port = port;
        d.weight = weight;
        d.active_conns = active;
        d.inact_conns = inactive;
        d
    }

    /// The names, types and label names node_exporter's ipvs collector
    /// documents (its collector source and end-to-end fixture), written
    /// out here: the test compares lvsadm's text with them, not with
    /// lvsadm's own constants.
    const DOCUMENTED: [(&str, &str, bool); 8] = [
        ("node_ipvs_connections_total", "counter", false),
        ("node_ipvs_incoming_packets_total", "counter", false),
        ("node_ipvs_outgoing_packets_total", "counter", false),
        ("node_ipvs_incoming_bytes_total", "counter", false),
        ("node_ipvs_outgoing_bytes_total", "counter", false),
        ("node_ipvs_backend_connections_active", "gauge", true),
        ("node_ipvs_backend_connections_inactive", "gauge", true),
        ("node_ipvs_backend_weight", "gauge", true),
    ];
    const DOCUMENTED_LABELS: [&str; 6] = [
        "local_address",
        "local_mark",
        "local_port",
        "proto",
        "remote_address",
        "remote_port",
    ];

    fn table() -> Vec<(Service, Vec<Dest>)> {
        vec![
            (
                service(Protocol::Tcp, "192.0.2.1", 80, 0),
                vec![
                    dest("198.51.100.1", 80, 3, 5, 7),
                    dest("198.51.100.2", 80, 0, 1, 2),
                ],
            ),
            (
                service(Protocol::Udp, "2001:db8::1", 53, 0),
                vec![dest("2001:db8::10", 53, 1, 0, 9)],
            ),
            (
                service(Protocol::Other(0), "192.0.2.1", 0, 7),
                vec![dest("198.51.100.1", 443, 1, 2, 0)],
            ),
            (
                service(Protocol::Other(0), "192.0.2.1", 0, 0x3da3),
                vec![dest("198.51.100.1", 443, 1, 4, 0)],
            ),
        ]
    }

    /// Sample names with their label names; TYPE lines as (name, type).
    type Shape = (Vec<(String, Vec<String>)>, Vec<(String, String)>);

    /// Every sample line's name and its label names, and the TYPE lines.
    fn shape(text: &str) -> Shape {
        let mut samples = Vec::new();
        let mut types = Vec::new();
        for l in text.lines() {
            if let Some(t) = l.strip_prefix("# TYPE ") {
                let (n, k) = t.split_once(' ').unwrap();
                types.push((n.to_string(), k.to_string()));
                continue;
            }
            if l.starts_with('#') {
                continue;
            }
            let (head, _) = l.rsplit_once(' ').unwrap();
            let (name, labels) = match head.split_once('{') {
                Some((n, rest)) => {
                    let mut names: Vec<String> = rest
                        .trim_end_matches('}')
                        .split(',')
                        .map(|kv| kv.split('=').next().unwrap().to_string())
                        .collect();
                    names.sort();
                    (n.to_string(), names)
                }
                None => (head.to_string(), Vec::new()),
            };
            samples.push((name, labels));
        }
        (samples, types)
    }

    #[test]
    fn names_types_and_labels_are_node_exporters() {
        let totals = Totals {
            conns: 1,
            inpkts: 2,
            outpkts: 3,
            inbytes: 4,
            outbytes: 5,
        };
        let text = render(&table(), Some(&totals));
        let (samples, types) = shape(&text);
        for (name, kind, labelled) in DOCUMENTED {
            assert!(
                types.contains(&(name.to_string(), kind.to_string())),
                "{name} {kind}"
            );
            let own: Vec<_> = samples.iter().filter(|(n, _)| n == name).collect();
            assert!(!own.is_empty(), "{name}");
            for (_, labels) in own {
                if labelled {
                    assert_eq!(labels, &DOCUMENTED_LABELS, "{name}");
                } else {
                    assert!(labels.is_empty(), "{name}");
                }
            }
        }
        // nothing else
        for (n, _) in &samples {
            assert!(
                DOCUMENTED.iter().any(|(d, _, _)| d == n),
                "{n} is not node_exporter's"
            );
        }
        assert_eq!(types.len(), 8);
        // the control: a renamed series is caught by the same comparison
        let renamed = text.replace("node_ipvs_backend_weight", "node_ipvs_backend_weights");
        let (samples, _) = shape(&renamed);
        assert!(!samples
            .iter()
            .all(|(n, _)| DOCUMENTED.iter().any(|(d, _, _)| d == n)));
    }

    #[test]
    fn values_and_the_fwmark_services() {
        let text = render(&table(), None);
        let want = [
            "node_ipvs_backend_connections_active{local_address=\"192.0.2.1\",local_port=\"80\",remote_address=\"198.51.100.1\",remote_port=\"80\",proto=\"TCP\",local_mark=\"\"} 5",
            "node_ipvs_backend_connections_inactive{local_address=\"192.0.2.1\",local_port=\"80\",remote_address=\"198.51.100.2\",remote_port=\"80\",proto=\"TCP\",local_mark=\"\"} 2",
            "node_ipvs_backend_weight{local_address=\"192.0.2.1\",local_port=\"80\",remote_address=\"198.51.100.2\",remote_port=\"80\",proto=\"TCP\",local_mark=\"\"} 0",
            "node_ipvs_backend_weight{local_address=\"2001:db8::1\",local_port=\"53\",remote_address=\"2001:db8::10\",remote_port=\"53\",proto=\"UDP\",local_mark=\"\"} 1",
            // the fwmark services: no address nor port, the mark as
            // /proc/net/ip_vs writes it, one series each
            "node_ipvs_backend_connections_active{local_address=\"\",local_port=\"\",remote_address=\"198.51.100.1\",remote_port=\"443\",proto=\"FWM\",local_mark=\"00000007\"} 2",
            "node_ipvs_backend_connections_active{local_address=\"\",local_port=\"\",remote_address=\"198.51.100.1\",remote_port=\"443\",proto=\"FWM\",local_mark=\"00003DA3\"} 4",
        ];
        for w in want {
            assert!(text.lines().any(|l| l == w), "missing {w}\n{text}");
        }
        // without totals: no counters
        assert!(!text.contains("node_ipvs_connections_total"));
        // every series once: the two fwmark services do not collide
        let series: Vec<&str> = text
            .lines()
            .filter(|l| !l.starts_with('#'))
            .map(|l| l.rsplit_once(' ').unwrap().0)
            .collect();
        let mut unique = series.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(series.len(), unique.len());
        assert_eq!(series.len(), 3 * 5);
    }

    #[test]
    fn totals_from_ip_vs_stats() {
        let text = "   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n      1F      3E8        0             FFFF         10000000\n\n Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n       0        0        0                0                0\n";
        assert_eq!(
            parse_stats(text),
            Some(Totals {
                conns: 31,
                inpkts: 1000,
                outpkts: 0,
                inbytes: 65535,
                outbytes: 1 << 28,
            })
        );
        assert_eq!(parse_stats(""), None);
        assert_eq!(parse_stats("a\nb\n1 2 3\n"), None);
        assert_eq!(parse_stats("a\nb\n1 2 3 4 zz\n"), None);
        let t = render(&[], parse_stats(text).as_ref());
        assert!(
            t.contains("\nnode_ipvs_incoming_packets_total 1000\n"),
            "{t}"
        );
        assert!(t.contains("# TYPE node_ipvs_outgoing_bytes_total counter\n"));
    }

    #[test]
    fn served_with_the_option_only() {
        let snap = Snapshot {
            services: table(),
            ..Default::default()
        };
        let plain = crate::format::prometheus::render(&snap, &RenderOptions::default());
        assert!(!plain.contains("node_ipvs_"));
        let both = crate::format::prometheus::render(
            &snap,
            &RenderOptions {
                node_names: true,
                ..Default::default()
            },
        );
        assert!(both.starts_with(&plain));
        assert!(both.contains("node_ipvs_backend_weight{"));
        let few = crate::format::prometheus::render(
            &snap,
            &RenderOptions {
                node_names: true,
                services_only: true,
            },
        );
        assert!(!few.contains("node_ipvs_backend_"));
    }
}
