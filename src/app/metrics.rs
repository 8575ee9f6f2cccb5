//! lvsadm's `--metrics`: the table as Prometheus metrics, printed once or
//! served over HTTP (`--listen ADDR:PORT`, see `app::http`).
//!
//! Each scrape reads the kernel afresh: one service dump, the destination
//! dumps, the sync daemons, and the connection table
//! (`/proc/net/ip_vs_conn`, counted by protocol and state). The text is made
//! by [`crate::format::prometheus`] from those values alone.

use crate::format::prometheus::{RenderOptions, Snapshot};
use crate::format::sort;
use lvs::kernel::{Kernel, ProcTable};
use lvs::netlink::{ipvs_strerror, Ipvs, Op};
use std::io::Write;
use std::path::Path;

/// What `--metrics` was asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsArgs {
    /// `--listen ADDR:PORT`.
    pub listen: Option<String>,
    /// What the exposition holds.
    pub opts: RenderOptions,
}

/// Read everything a scrape shows. `Err` is a message.
pub fn snapshot(ipvs: &mut dyn Kernel) -> Result<Snapshot, String> {
    let mut services = ipvs
        .services()
        .map_err(|e| ipvs_strerror(Op::GetServices, e.errno()))?;
    sort::sort_services(&mut services);
    let dests = ipvs
        .dests_many(&lvs::model::ServiceKey::of_each(&services))
        .map_err(|e| ipvs_strerror(Op::GetDests, e.errno()))?;
    let services = services
        .into_iter()
        .zip(dests)
        .map(|(s, mut d)| {
            sort::sort_dests(&mut d);
            (s, d)
        })
        .collect();
    let daemons = ipvs
        .daemons()
        .map_err(|e| format!("cannot read the sync daemons: {}", e))?;
    let path = Path::new(ProcTable::Connections.path());
    let conns = ipvs
        .read_proc(ProcTable::Connections)
        .ok()
        .and_then(|data| crate::format::read_connections(&data, path).ok())
        .map(|c| {
            crate::format::prometheus::count_conns(
                c.iter().map(|c| (c.protocol.as_str(), c.state.as_str())),
            )
        });
    // node_exporter's totals (`--node-exporter-names`): the file of the
    // network namespace the process is in, as the other tables.
    let totals = std::fs::read_to_string("/proc/net/ip_vs_stats")
        .ok()
        .and_then(|t| crate::format::node_exporter::parse_stats(&t));
    Ok(Snapshot {
        conn_hash_size: ipvs.info().conn_tab_size,
        services,
        daemons,
        conns,
        totals,
    })
}

/// One scrape on a fresh kernel handle (each HTTP request gets its own, so
/// concurrent scrapes share nothing).
pub fn scrape(opts: &RenderOptions) -> Result<String, String> {
    let mut ipvs = Ipvs::open().map_err(|e| {
        format!(
            "Can't initialize ipvs: {}",
            ipvs_strerror(Op::Other, e.errno())
        )
    })?;
    Ok(crate::format::prometheus::render(
        &snapshot(&mut ipvs)?,
        opts,
    ))
}

/// `lvsadm --metrics [--listen ADDR:PORT] [--services-only]`; returns the
/// exit status.
pub fn run<W: Write>(program: &str, ipvs: &mut dyn Kernel, a: &MetricsArgs, out: &mut W) -> i32 {
    match &a.listen {
        None => match snapshot(ipvs) {
            Ok(s) => {
                let _ = out.write_all(crate::format::prometheus::render(&s, &a.opts).as_bytes());
                0
            }
            Err(e) => {
                eprintln!("{program}: {e}");
                1
            }
        },
        Some(addr) => super::http::serve(program, addr, a.opts),
    }
}
