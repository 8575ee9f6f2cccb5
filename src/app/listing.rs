//! Listings: `-L` (every mode), `-S`, `-L -c`, and `-L -j` (JSON).

use super::ctx::{print_kernel_error, Ctx, Exit};
use crate::cli::{Format, Opt, Parsed};
use crate::format::{self, sort, ListMode, ListOptions};
use crate::json;
use lvs::kernel::ProcTable;
use lvs::model::*;
use lvs::netlink::Op;
use std::io::Write;
use std::path::Path;

/// Names as ipvsadm finds them: the C library's look-ups (NSS).
const LIBC_NAMES: format::Resolver = format::Resolver {
    host: lvs::resolve::host_name,
    service: lvs::resolve::service_name,
};

/// `-n` or the C library's names.
pub(crate) fn names(numeric: bool) -> format::Names {
    if numeric {
        format::Names::Numeric
    } else {
        format::Names::Resolved(LIBC_NAMES)
    }
}

fn list_options(f: &Format) -> ListOptions {
    let mode = if f.stats {
        ListMode::Stats
    } else if f.rate {
        ListMode::Rate
    } else if f.thresholds {
        ListMode::Thresholds
    } else if f.persistent_conn {
        ListMode::PersistentConn
    } else if f.tun_info {
        ListMode::TunInfo
    } else {
        ListMode::Default
    };
    ListOptions {
        mode,
        names: names(f.numeric),
        exact: f.exact,
        nosort: f.nosort,
    }
}

/// `-L`, `-S` and no arguments: banner, every service with its destinations.
///
/// Streams like ipvsadm: the services are fetched and sorted, then each
/// service's destinations are fetched, sorted and printed before the next
/// service's are asked for (one reused buffer, sorting moves only indices).
/// A failing destination dump ends the listing there with status 1, after
/// what was printed so far, as in ipvsadm.
pub fn list_all<W: Write>(
    ctx: &mut Ctx<'_>,
    f: &Format,
    rule: bool,
    out: &mut W,
) -> Result<(), Exit> {
    list_some(ctx, f, rule, &|_| true, out)
}

/// [`list_all`] of the services `keep` accepts (`-S --scope SPEC`).
pub fn list_some<W: Write>(
    ctx: &mut Ctx<'_>,
    f: &Format,
    rule: bool,
    keep: &dyn Fn(&Service) -> bool,
    out: &mut W,
) -> Result<(), Exit> {
    let opts = list_options(f);
    if !rule {
        let _ = format::write_banner(out, &ctx.kernel.info());
    }
    let services = match ctx.kernel.services() {
        Ok(s) => s,
        Err(e) => {
            print_kernel_error(Op::GetServices, e.errno());
            return Err(Exit(1));
        }
    };
    let mut order: Vec<&Service> = services.iter().filter(|s| keep(s)).collect();
    if !f.nosort {
        sort::sort_service_refs(&mut order);
    }
    if !rule {
        let _ = format::write_title(out, &opts);
    }
    // The default listing and the save format need only what the kernel's
    // proc table shows (see `procfs`): take the destinations from one read
    // of it, and ask netlink per service only for what it lacks.
    let mut source = if opts.mode != ListMode::Default {
        Source::Netlink
    } else if rule {
        Source::Probe {
            left: SAVE_PROBE.min(order.len()),
            no_tunnel: 0,
        }
    } else {
        Source::proc_table(ctx)
    };
    let mut dests: Vec<Dest> = Vec::new();
    let mut idx: Vec<usize> = Vec::new();
    for svc in order {
        let from_proc = match &source {
            Source::Proc(t) => t
                .dests(&svc.key())
                .filter(|d| !rule || !d.iter().any(Dest::is_tunnel)),
            _ => None,
        };
        let list: &[Dest] = match from_proc {
            Some(d) => d,
            None => {
                if let Err(e) = ctx.kernel.dests_into(&svc.key(), &mut dests) {
                    print_kernel_error(Op::GetDests, e.errno());
                    return Err(Exit(1));
                }
                &dests
            }
        };
        print_service(svc, list, &mut idx, &opts, rule, out);
        let tunnel_free = !list.iter().any(Dest::is_tunnel);
        if let Source::Probe { left, no_tunnel } = &mut source {
            if tunnel_free {
                *no_tunnel += 1;
            }
            *left -= 1;
            if *left == 0 {
                // Worth a read of the whole table only if it can serve
                // many of the remaining services.
                source = if *no_tunnel * 2 >= SAVE_PROBE {
                    Source::proc_table(ctx)
                } else {
                    Source::Netlink
                };
            }
        }
    }
    Ok(())
}

/// Services whose destinations `-S` takes from netlink before it decides
/// whether to read `/proc/net/ip_vs` for the rest.
///
/// A save line of a tunnel destination needs its tunnel type, which only
/// netlink gives (one `GET_DEST` dump per service); the proc table serves
/// only services without tunnel destinations. Reading the whole table costs
/// about what the dumps of a third to a half of the services cost (TCG
/// guest: 10000 services x 4 destinations, table 250 ms, dumps 780 ms;
/// 2000 x 50: 330 ms and 740 ms). So the first services are dumped, and
/// the table is read only if at least half of them had no tunnel
/// destination; otherwise the rest is dumped too.
const SAVE_PROBE: usize = 64;

/// Where a listing takes its destinations from.
enum Source {
    /// One `GET_DEST` dump per service.
    Netlink,
    /// Dumps, counting services without tunnel destinations; after `left`
    /// more services, switch to the proc table or stay with netlink.
    Probe { left: usize, no_tunnel: usize },
    /// `/proc/net/ip_vs`, netlink for what it lacks.
    Proc(lvs::procfs::ProcTable),
}

impl Source {
    fn proc_table(ctx: &mut Ctx<'_>) -> Source {
        match ctx.kernel.read_proc(ProcTable::Services) {
            Ok(text) => Source::Proc(lvs::procfs::parse(&String::from_utf8_lossy(&text))),
            Err(_) => Source::Netlink,
        }
    }
}

/// Print one service and its destinations (sorted unless `--nosort`), as
/// listing rows or, with `rule`, as save lines. `idx` is scratch space for
/// the sort, reused from one service to the next (only indices move).
fn print_service<W: Write>(
    svc: &Service,
    dests: &[Dest],
    idx: &mut Vec<usize>,
    opts: &ListOptions,
    rule: bool,
    out: &mut W,
) {
    idx.clear();
    idx.extend(0..dests.len());
    if !opts.nosort {
        sort::glibc_msort(idx, |&a, &b| sort::cmp_dests(&dests[a], &dests[b]));
    }
    if rule {
        let _ = format::write_save_service(out, svc, opts.names);
        for &i in idx.iter() {
            let _ = format::write_save_dest(out, svc, &dests[i], opts.names);
        }
    } else {
        let _ = format::write_service(out, svc, opts);
        for &i in idx.iter() {
            let _ = format::write_dest(out, svc, &dests[i], opts);
        }
    }
}

/// `-L <service>`: no banner; a missing service is an error with status 1.
pub fn list_service<W: Write>(
    ctx: &mut Ctx<'_>,
    key: &Service,
    f: &Format,
    out: &mut W,
) -> Result<(), Exit> {
    let opts = list_options(f);
    let svc = match ctx.kernel.service(&key.key()) {
        Ok(s) => s,
        Err(e) => {
            print_kernel_error(Op::GetService, e.errno());
            return Err(Exit(1));
        }
    };
    let dests = match ctx.kernel.dests(&svc.key()) {
        Ok(d) => d,
        Err(e) => {
            print_kernel_error(Op::GetDests, e.errno());
            return Err(Exit(1));
        }
    };
    let _ = format::write_title(out, &opts);
    print_service(&svc, &dests, &mut Vec::new(), &opts, false, out);
    Ok(())
}

/// The connection table's text, or ipvsadm's failure for it.
fn connection_table(ctx: &mut Ctx<'_>) -> Result<Vec<u8>, format::ConnError> {
    let path = Path::new(ProcTable::Connections.path());
    ctx.kernel
        .read_proc(ProcTable::Connections)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied => {
                format::ConnError::Open(path.to_path_buf())
            }
            _ => format::ConnError::Unexpected(path.to_path_buf()),
        })
}

/// `-L -c`: the connection table.
pub fn list_connections<W: Write>(
    ctx: &mut Ctx<'_>,
    f: &Format,
    persistent_conn: bool,
    out: &mut W,
) -> Result<(), Exit> {
    let path = Path::new(ProcTable::Connections.path());
    let written = connection_table(ctx).and_then(|data| {
        format::write_connections(out, &data, path, names(f.numeric), persistent_conn)
    });
    match written {
        Ok(()) => Ok(()),
        Err(format::ConnError::SilentExit) => Err(Exit(1)),
        Err(e) => {
            eprintln!("{e}");
            Err(Exit(1))
        }
    }
}

/// `-L -j ...`: every listing as JSON. The listing-mode options (`--stats`,
/// `--rate`, `--thresholds`, `--persistent-conn`, `--tun-info`, `--exact`,
/// `-n`) change nothing: the document always holds every field. `--nosort`
/// keeps the kernel's order.
pub fn list_json<W: Write>(ctx: &mut Ctx<'_>, p: &Parsed, out: &mut W) -> Result<(), Exit> {
    let failed = |op: Op, errno: i32| {
        print_kernel_error(op, errno);
        Exit(1)
    };
    let mut doc = json::document(&ctx.kernel.info());
    if p.has(Opt::Connection) {
        let path = Path::new(ProcTable::Connections.path());
        let conns = match connection_table(ctx).and_then(|d| format::read_connections(&d, path)) {
            Ok(c) => c,
            Err(format::ConnError::SilentExit) => return Err(Exit(1)),
            Err(e) => {
                eprintln!("{e}");
                return Err(Exit(1));
            }
        };
        doc.connections = Some(conns.iter().map(json::conn).collect());
    } else if p.has(Opt::Timeout) {
        let t = ctx.kernel.timeouts().map_err(|_| Exit(1))?;
        doc.timeouts = Some(json::timeouts(&t));
    } else if p.has(Opt::Daemon) {
        let d = ctx.kernel.daemons().map_err(|_| Exit(1))?;
        doc.daemons = Some(d.iter().map(json::daemon).collect());
    } else {
        let mut services = if p.has(Opt::Service) {
            vec![ctx
                .kernel
                .service(&p.svc.key())
                .map_err(|e| failed(Op::GetService, e.errno()))?]
        } else {
            ctx.kernel
                .services()
                .map_err(|e| failed(Op::GetServices, e.errno()))?
        };
        if !p.format.nosort {
            sort::sort_services(&mut services);
        }
        let all = ctx
            .kernel
            .dests_many(&ServiceKey::of_each(&services))
            .map_err(|e| failed(Op::GetDests, e.errno()))?;
        let mut list = Vec::with_capacity(services.len());
        for (s, mut d) in services.iter().zip(all) {
            if !p.format.nosort {
                sort::sort_dests(&mut d);
            }
            list.push(json::service(s, &d));
        }
        doc.services = Some(list);
    }
    json::write(out, &doc).map_err(|_| Exit(1))
}
