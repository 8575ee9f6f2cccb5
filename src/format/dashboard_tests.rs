//! contrib/grafana/lvsadm.json refers only to metrics and labels that
//! `lvsadm --metrics` exports: the names are taken from the text the
//! exporter renders for a table that has every kind of series.

use super::node_exporter::Totals;
use super::prometheus::{render, RenderOptions, Snapshot};
use lvs::model::*;
use std::collections::BTreeSet;

const DASHBOARD: &str = include_str!("../../contrib/grafana/lvsadm.json");

/// The families and label names of a full exposition.
fn exported() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut tcp = Service::new(Family::Inet);
    tcp.protocol = Protocol::Tcp;
    tcp.addr = "192.0.2.1".parse().unwrap();
    tcp.port = 80;
    let mut fwm = Service::new(Family::Inet6);
    fwm.fwmark = 5;
    let mut d = Dest::new(Family::Inet);
    d.addr = "198.51.100.1".parse().unwrap();
    d.port = 80;
    let daemon = Daemon {
        role: DaemonRole::Master,
        mcast_ifn: "eth0".into(),
        ..Daemon::default()
    };
    let snap = Snapshot {
        conn_hash_size: 4096,
        services: vec![(tcp, vec![d.clone()]), (fwm, vec![d])],
        daemons: vec![daemon],
        conns: Some(vec![(("TCP".into(), "ESTABLISHED".into()), 1)]),
        totals: Some(Totals::default()),
    };
    let text = render(
        &snap,
        &RenderOptions {
            services_only: false,
            node_names: true,
        },
    );
    let mut names = BTreeSet::new();
    let mut labels = BTreeSet::new();
    for l in text.lines() {
        if let Some(t) = l.strip_prefix("# TYPE ") {
            names.insert(t.split(' ').next().unwrap().to_string());
        } else if let Some((_, rest)) = l.split_once('{') {
            for kv in rest.split("\",") {
                labels.insert(kv.split('=').next().unwrap().to_string());
            }
        }
    }
    // added by Prometheus to every series it scrapes
    labels.insert("instance".into());
    labels.insert("job".into());
    (names, labels)
}

/// Every string under a key `key` in the document.
fn strings(v: &serde_json::Value, key: &str, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                match x {
                    serde_json::Value::String(s) if k == key => out.push(s.clone()),
                    _ => strings(x, key, out),
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, key, out)),
        _ => {}
    }
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// The metric names the dashboard's queries use.
fn metrics_used(doc: &serde_json::Value) -> BTreeSet<String> {
    let mut exprs = Vec::new();
    strings(doc, "expr", &mut exprs);
    strings(doc, "definition", &mut exprs);
    exprs
        .iter()
        .flat_map(|e| words(e))
        .filter(|w| {
            w.starts_with("ipvs_") || w.starts_with("node_ipvs_") || w.starts_with("lvsadm_")
        })
        .collect()
}

/// The label names the queries group or match by and the legends show.
fn labels_used(doc: &serde_json::Value) -> BTreeSet<String> {
    let mut exprs = Vec::new();
    strings(doc, "expr", &mut exprs);
    let mut out = BTreeSet::new();
    for e in &exprs {
        for kw in ["by (", "on (", "without ("] {
            for part in e.split(kw).skip(1) {
                let list = part.split(')').next().unwrap();
                out.extend(list.split(',').map(|w| w.trim().to_string()));
            }
        }
        // selectors: {label=~"..."}
        for part in e.split('{').skip(1) {
            let sel = part.split('}').next().unwrap();
            for m in sel.split(',') {
                if let Some(i) = m.find(['=', '!']) {
                    out.insert(m[..i].trim().to_string());
                }
            }
        }
    }
    let mut legends = Vec::new();
    strings(doc, "legendFormat", &mut legends);
    for l in &legends {
        for part in l.split("{{").skip(1) {
            out.insert(part.split("}}").next().unwrap().trim().to_string());
        }
    }
    out.retain(|l| !l.is_empty());
    out
}

/// What the dashboard uses that lvsadm does not export.
fn unknown(text: &str) -> (Vec<String>, Vec<String>) {
    let doc: serde_json::Value = serde_json::from_str(text).expect("the dashboard is JSON");
    let (names, labels) = exported();
    (
        metrics_used(&doc)
            .into_iter()
            .filter(|m| !names.contains(m))
            .collect(),
        labels_used(&doc)
            .into_iter()
            .filter(|l| !labels.contains(l))
            .collect(),
    )
}

#[test]
fn the_dashboard_uses_only_exported_metrics_and_labels() {
    let doc: serde_json::Value = serde_json::from_str(DASHBOARD).unwrap();
    let used = metrics_used(&doc);
    assert!(used.len() >= 8, "{used:?}");
    assert!(labels_used(&doc).contains("server_address"));
    assert_eq!(unknown(DASHBOARD), (vec![], vec![]));
}

#[test]
fn control_a_renamed_metric_or_label_fails() {
    let renamed = DASHBOARD.replace(
        "ipvs_real_server_bytes_total",
        "ipvs_realserver_bytes_total",
    );
    assert_ne!(renamed, DASHBOARD);
    assert_eq!(
        unknown(&renamed).0,
        vec!["ipvs_realserver_bytes_total".to_string()]
    );
    let relabelled = DASHBOARD.replace("server_address", "rs_address");
    assert_eq!(unknown(&relabelled).1, vec!["rs_address".to_string()]);
}
