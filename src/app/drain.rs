//! lvsadm's `--drain[=SECS]` on `-d`, `-D` and `--apply`: remove real
//! servers without breaking their connections.
//!
//! Every affected real server gets weight 0 at once (the scheduler sends it
//! no new connections), then its `ActiveConn` and `InActConn` are polled
//! every second; each is deleted as soon as both are 0, or when SECS
//! (default 300) have passed. A service deleted with `-D` (or removed by
//! the rule file) is deleted once all its real servers are. SIGINT or
//! SIGTERM stops the drain: the weights stay 0, the real servers stay in
//! the table, and the report says so. The decisions are made by
//! [`crate::drain`]; this module does the kernel requests, the waiting and the
//! printing.

use crate::apply::{self, Change};
use crate::cli::{ApplyArgs, Cmd, Parsed};
use crate::drain::{Counts, Drain, Step};
use lvs::kernel::Kernel;
use lvs::model::*;
use lvs::netlink::{ipvs_strerror, Op, Request};
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// The default deadline, in seconds.
pub const DEFAULT_SECS: u64 = 300;

/// A service whose real servers (some or all) are drained.
#[derive(Debug, Clone)]
pub struct Job {
    /// The service (its key is what requests use).
    pub svc: Service,
    /// The real servers to drain, as the kernel listed them.
    pub dests: Vec<Dest>,
    /// Delete the service once its real servers are gone.
    pub delete_service: bool,
}

/// How the drain reports.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Delete at this deadline even with connections left.
    pub deadline: Duration,
    /// Progress lines even when stderr is not a terminal.
    pub verbose: bool,
    /// The `--netns` of the run, for the commands the messages name.
    pub netns: Option<String>,
    /// `-d`/`-D --drain`: the state directory of `lvsadm --supervise`,
    /// where a hold on the drained real servers is recorded when the
    /// supervisor owns the service ([`super::hold`]); `None`: no hold.
    pub state_dir: Option<std::path::PathBuf>,
    /// The IPVS settings of the namespace, where `expire_nodest_conn` is
    /// turned on before a connectionless real server is deleted at the
    /// deadline (see [`NodestConn`]); `None` leaves them alone.
    pub sysctls: Option<lvs::sysctl::Sysctls>,
}

/// `net.ipv4.vs.expire_nodest_conn` at the deadline of a UDP, SCTP or
/// firewall-mark real server that still has connections.
///
/// A UDP flow never ends on its own: each datagram refreshes its entry, so
/// weight 0 does not move a steady client and the deadline is reached
/// with the flow still there. Once the real server is deleted, the kernel
/// (with the default 0) drops the flow's datagrams until the entry times
/// out (`--set`'s UDP timeout, 300 s by default); with 1 the next datagram
/// expires the entry and is scheduled to another real server. So before
/// such a deletion the drain turns it on (once per run) and says so with
/// the command that undoes it. An SCTP association that outlives the
/// deadline is in the same place as a UDP flow, and a firewall-mark service
/// may carry UDP. TCP services are left alone: a TCP connection cut at
/// the deadline is broken on any other real server too.
#[derive(Debug, Default)]
pub struct NodestConn {
    done: bool,
}

impl NodestConn {
    /// Whether a deadline deletion from `svc` wants the setting.
    pub fn wanted(svc: &Service) -> bool {
        svc.fwmark != 0 || matches!(svc.protocol, Protocol::Udp | Protocol::Sctp)
    }

    /// Turn the setting on in `sys` if it is 0 (the first time only).
    /// The line to print on stderr, when something was done or failed.
    pub fn ensure(
        &mut self,
        program: &str,
        netns: Option<&str>,
        sys: &lvs::sysctl::Sysctls,
    ) -> Option<String> {
        if std::mem::replace(&mut self.done, true) {
            return None;
        }
        const NAME: &str = "expire_nodest_conn";
        let cmd = match netns {
            Some(ns) => format!("{program} --netns {ns}"),
            None => program.to_string(),
        };
        match sys.get(NAME) {
            Ok(s) if s.value != "0" => None,
            Ok(_) => match sys.set(&[(NAME.to_string(), "1".to_string())]) {
                Ok(_) => Some(format!(
                    "{program}: set net.ipv4.vs.{NAME}=1 so that the flows of real servers deleted at the deadline move to the others (it was 0; to undo: {cmd} --sysctl {NAME}=0)"
                )),
                Err(e) => Some(format!(
                    "{program}: could not set net.ipv4.vs.{NAME}=1 ({e}): the flows left on deleted real servers are dropped until they time out"
                )),
            },
            Err(e) => Some(format!(
                "{program}: could not read net.ipv4.vs.{NAME} ({e}): the flows left on deleted real servers may be dropped until they time out"
            )),
        }
    }
}

fn dest_text(d: &Dest) -> String {
    let ip = crate::format::ntop(&d.addr);
    if d.family == Family::Inet6 {
        format!("[{ip}]:{}", d.port)
    } else {
        format!("{ip}:{}", d.port)
    }
}

fn same_dest(a: &Dest, b: &Dest) -> bool {
    a.family == b.family && a.addr == b.addr && a.port == b.port
}

/// Block SIGINT and SIGTERM in this thread (and the threads it starts)
/// and deliver them on a channel from a thread of their own.
fn signal_channel() -> Option<std::sync::mpsc::Receiver<&'static str>> {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal};
    let mut set = SigSet::empty();
    set.add(Signal::SIGTERM);
    set.add(Signal::SIGINT);
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None).ok()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if let Ok(sig) = set.wait() {
            let _ = tx.send(if sig == Signal::SIGINT {
                "SIGINT"
            } else {
                "SIGTERM"
            });
        }
    });
    Some(rx)
}

/// What to tell the user about a real server left at weight 0 by an
/// interrupted drain: its old weight and the command that gives it back
/// (`-e` with every setting it had, as ipvsadm's `-e` replaces them all),
/// with the `--netns` the run was given.
pub fn restore_hint(program: &str, netns: Option<&str>, svc: &Service, d: &Dest) -> String {
    let zero = Dest {
        weight: 0,
        ..d.clone()
    };
    let edit = Change::EditDest(apply::key_only(svc), d.clone(), zero).command_line();
    format!(
        "{program}: {} -r {} had weight {}; to restore it: {} {edit}",
        apply::service_rule(svc),
        dest_text(d),
        d.weight,
        match netns {
            Some(ns) => format!("{program} --netns {ns}"),
            None => program.to_string(),
        },
    )
}

/// Drain `jobs`; prints the outcome per real server (and per deleted
/// service) on `out`, progress on stderr. Returns 0 when every deletion
/// happened, 1 otherwise.
pub fn run<W: Write>(
    program: &str,
    ipvs: &mut dyn Kernel,
    jobs: &[Job],
    set: Settings,
    out: &mut W,
) -> i32 {
    run_jobs(program, ipvs, jobs, set, out).0
}

/// [`run`], and the deletions it made, as changes (real servers, then
/// services, in the order of `jobs`).
fn run_jobs<W: Write>(
    program: &str,
    ipvs: &mut dyn Kernel,
    jobs: &[Job],
    set: Settings,
    out: &mut W,
) -> (i32, Vec<Change>) {
    let signals = signal_channel();
    let tty = std::io::stderr().is_terminal();
    // entry index -> (job, dest)
    let mut index: Vec<(usize, usize)> = Vec::new();
    let mut labels = Vec::new();
    for (j, job) in jobs.iter().enumerate() {
        for (k, d) in job.dests.iter().enumerate() {
            index.push((j, k));
            labels.push(format!(
                "{} -r {}",
                apply::service_rule(&job.svc),
                dest_text(d)
            ));
        }
    }
    let mut drain = Drain::new(labels, set.deadline);
    let mut nodest = NodestConn::default();
    let start = Instant::now();

    // Weight 0 for every real server first: no new connections anywhere.
    for (i, &(j, k)) in index.iter().enumerate() {
        let d = &jobs[j].dests[k];
        if d.weight == 0 {
            continue;
        }
        let zero = Dest {
            weight: 0,
            ..d.clone()
        };
        if let Err(e) = ipvs.execute(&Request::SetDest(jobs[j].svc.key(), zero)) {
            drain.failed(i, ipvs_strerror(Op::EditDest, e.errno()));
        }
    }

    let mut svc_done: Vec<Option<Result<(), String>>> = vec![None; jobs.len()];
    let mut interrupted: Option<&str> = None;
    let mut shown = String::new();
    loop {
        let elapsed = start.elapsed();
        for (j, job) in jobs.iter().enumerate() {
            let mine: Vec<usize> = drain
                .pending()
                .into_iter()
                .filter(|&i| index[i].0 == j)
                .collect();
            if !mine.is_empty() {
                let key = job.svc.key();
                let live = match ipvs.service(&key) {
                    Ok(_) => ipvs.dests(&key).ok(),
                    Err(_) => Some(Vec::new()),
                };
                let Some(live) = live else { continue };
                for i in mine {
                    let d = &job.dests[index[i].1];
                    let counts = live.iter().find(|l| same_dest(l, d)).map(|l| Counts {
                        active: l.active_conns,
                        inactive: l.inact_conns,
                    });
                    if let Step::Delete(why) = drain.observe(i, counts, elapsed) {
                        if why == crate::drain::Why::Deadline && NodestConn::wanted(&job.svc) {
                            if let Some(sys) = &set.sysctls {
                                if let Some(line) =
                                    nodest.ensure(program, set.netns.as_deref(), sys)
                                {
                                    if tty {
                                        eprint!("\r\x1b[K");
                                    }
                                    eprintln!("{line}");
                                }
                            }
                        }
                        let r = ipvs
                            .execute(&Request::DelDest(job.svc.key(), d.clone()))
                            .map_err(|e| ipvs_strerror(Op::DelDest, e.errno()));
                        drain.deleted(i, why, start.elapsed(), r);
                    }
                }
            }
            let all_out = drain
                .entries
                .iter()
                .zip(&index)
                .filter(|(_, ix)| ix.0 == j)
                .all(|(e, _)| {
                    e.outcome
                        .as_ref()
                        .is_some_and(crate::drain::Outcome::removed)
                });
            if job.delete_service && svc_done[j].is_none() && all_out {
                svc_done[j] = Some(
                    ipvs.execute(&Request::DelService(job.svc.key()))
                        .map_err(|e| ipvs_strerror(Op::DelService, e.errno())),
                );
            }
        }
        if drain.done() {
            break;
        }
        let line = drain.progress(start.elapsed());
        if tty {
            eprint!("\r{line}\x1b[K");
        } else if set.verbose {
            // Only when something changed (the seconds left aside).
            let key = line.split_once(':').map(|x| x.1).unwrap_or("").to_string();
            if key != shown {
                eprintln!("{program}: {line}");
                shown = key;
            }
        }
        let wait = drain.wait(start.elapsed());
        match &signals {
            Some(rx) => {
                if let Ok(sig) = rx.recv_timeout(wait) {
                    interrupted = Some(sig);
                    drain.interrupt();
                    break;
                }
            }
            None => std::thread::sleep(wait),
        }
    }
    if tty {
        eprint!("\r\x1b[K");
    }

    let mut ok = drain.all_removed();
    for line in drain.report() {
        let _ = writeln!(out, "{line}");
    }
    // What this run deleted, counted as `--apply` without `--drain` counts
    // it: the real servers of a deleted service go with it (the summary
    // line of the service says how many). A real server that vanished on
    // its own (`Gone`) was deleted by someone else.
    let mut made = Vec::new();
    for (e, &(j, k)) in drain.entries.iter().zip(&index) {
        if !jobs[j].delete_service
            && matches!(
                e.outcome,
                Some(
                    crate::drain::Outcome::Drained { .. } | crate::drain::Outcome::Deadline { .. }
                )
            )
        {
            made.push(Change::DelDest(
                apply::key_only(&jobs[j].svc),
                jobs[j].dests[k].clone(),
            ));
        }
    }
    for (j, job) in jobs.iter().enumerate() {
        if matches!(svc_done[j], Some(Ok(()))) {
            made.push(Change::DelService(apply::key_only(&job.svc)));
        }
    }
    for (j, job) in jobs.iter().enumerate() {
        if !job.delete_service {
            continue;
        }
        let what = match &svc_done[j] {
            Some(Ok(())) => "deleted".to_string(),
            Some(Err(m)) => {
                ok = false;
                format!("not deleted: {m}")
            }
            None => {
                ok = false;
                "not deleted (real servers left)".to_string()
            }
        };
        let _ = writeln!(out, "{}: {what}", apply::service_rule(&job.svc));
    }
    let _ = out.flush();
    if let Some(sig) = interrupted {
        let left = drain
            .entries
            .iter()
            .filter(|e| matches!(e.outcome, Some(crate::drain::Outcome::Interrupted { .. })))
            .count();
        eprintln!(
            "{program}: drain interrupted by {sig}: weights left at 0, {left} real server{} not deleted",
            if left == 1 { "" } else { "s" }
        );
        for (e, &(j, k)) in drain.entries.iter().zip(&index) {
            if matches!(e.outcome, Some(crate::drain::Outcome::Interrupted { .. })) {
                let d = &jobs[j].dests[k];
                if d.weight != 0 {
                    eprintln!(
                        "{}",
                        restore_hint(program, set.netns.as_deref(), &jobs[j].svc, d)
                    );
                }
            }
        }
    }
    (if ok { 0 } else { 1 }, made)
}

/// `-d ... --drain` and `-D ... --drain`. Errors finding what to drain are
/// ipvsadm's messages for `-d`/`-D`, with its status 255.
pub fn run_command<W: Write>(
    program: &str,
    ipvs: &mut dyn Kernel,
    p: &Parsed,
    set: Settings,
    out: &mut W,
) -> i32 {
    let (op, delete_service) = match p.cmd {
        Cmd::DelDest => (Op::DelDest, false),
        _ => (Op::DelService, true),
    };
    let key = p.svc.key();
    let fail = |errno| {
        eprintln!("{}", ipvs_strerror(op, errno));
        255
    };
    let svc = match ipvs.service(&key) {
        Ok(s) => s,
        Err(e) => return fail(e.errno()),
    };
    let live = match ipvs.dests(&key) {
        Ok(d) => d,
        Err(e) => return fail(e.errno()),
    };
    let dests = if delete_service {
        live
    } else {
        match live.into_iter().find(|d| same_dest(d, &p.dest)) {
            Some(d) => vec![d],
            None => return fail(libc::ENOENT),
        }
    };
    if let Some(dir) = &set.state_dir {
        let keys: Vec<DestKey> = dests.iter().map(|d| d.key()).collect();
        let why = if delete_service {
            "-D --drain"
        } else {
            "-d --drain"
        };
        match super::hold::record(dir, &svc.key(), &keys, why) {
            Ok(made) => {
                for p in made {
                    eprintln!(
                        "{program}: held out of the supervisor's table until released \
                         (a weight above 0 set by hand, or rm {})",
                        p.display()
                    );
                }
            }
            Err(e) => {
                eprintln!(
                    "{program}: cannot record the hold in {}: {e}; not draining (the supervisor would undo it)",
                    super::hold::dir(dir).display()
                );
                return 1;
            }
        }
    }
    let job = Job {
        svc,
        dests,
        delete_service,
    };
    run(program, ipvs, &[job], set, out)
}

/// `--apply FILE --drain`, once `files::run_apply` has read, checked and
/// planned (with every safety rule of `--apply`): everything but deletions
/// at once, then the real servers and services the file removes are
/// drained.
pub fn apply_planned<W: Write>(
    program: &str,
    ipvs: &mut dyn Kernel,
    a: &ApplyArgs,
    changes: &[Change],
    live: &[(Service, Vec<Dest>)],
    set: Settings,
    out: &mut W,
) -> i32 {
    let (now, later): (Vec<Change>, Vec<Change>) = changes
        .iter()
        .cloned()
        .partition(|c| !matches!(c, Change::DelDest(..) | Change::DelService(..)));
    let mut failed = 0;
    let mut made = Vec::new();
    let (reqs, ops): (Vec<Request>, Vec<Op>) = now.iter().map(Change::request).unzip();
    for ((c, op), r) in now.iter().zip(ops).zip(ipvs.execute_batch(&reqs)) {
        if a.verbose {
            let _ = writeln!(out, "{}", c.command_line());
        }
        match r {
            Ok(()) => made.push(c.clone()),
            Err(e) => {
                let _ = out.flush();
                eprintln!("{}: {}", c.command_line(), ipvs_strerror(op, e.errno()));
                failed += 1;
            }
        }
    }
    let mut jobs: Vec<Job> = Vec::new();
    for c in &later {
        let (s, d) = match c {
            Change::DelDest(s, d) => (s, Some(d)),
            Change::DelService(s) => (s, None),
            _ => continue,
        };
        let Some((ls, ld)) = live.iter().find(|(l, _)| l.key() == s.key()) else {
            continue;
        };
        let j = match jobs.iter().position(|j| j.svc.key() == s.key()) {
            Some(j) => j,
            None => {
                jobs.push(Job {
                    svc: ls.clone(),
                    dests: Vec::new(),
                    delete_service: false,
                });
                jobs.len() - 1
            }
        };
        match d {
            Some(d) => jobs[j].dests.push(d.clone()),
            None => {
                jobs[j].dests = ld.clone();
                jobs[j].delete_service = true;
            }
        }
    }
    // The changes made so far are out before the wait; the summary, after
    // it, counts everything the run did: those changes and the deletions
    // of the drain.
    let _ = out.flush();
    let status = if jobs.is_empty() {
        0
    } else {
        let (status, deleted) = run_jobs(program, ipvs, &jobs, set, out);
        made.extend(deleted);
        status
    };
    let _ = write!(out, "{}", apply::summary(&made, live, apply::Outcome::Made));
    if failed > 0 {
        let _ = out.flush();
        eprintln!("{program}: {failed} of {} changes failed", now.len());
        return 1;
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expire_nodest_conn_is_turned_on_once_for_connectionless_services() {
        let svc = |p: &str| {
            let (_, parsed) = crate::cli::parse(
                &format!("-A {p}")
                    .split(' ')
                    .map(String::from)
                    .collect::<Vec<_>>(),
            )
            .map(|o| match o {
                crate::cli::Outcome::Run(p) => ((), p),
                _ => panic!("not a run"),
            })
            .unwrap();
            parsed.svc
        };
        assert!(NodestConn::wanted(&svc("-u 192.0.2.1:53")));
        assert!(NodestConn::wanted(&svc("--sctp-service 192.0.2.1:3868")));
        assert!(NodestConn::wanted(&svc("-f 7")));
        assert!(!NodestConn::wanted(&svc("-t 192.0.2.1:80")));

        let dir = std::env::temp_dir().join(format!("lvsadm-nodest-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("expire_nodest_conn");
        std::fs::write(&file, "0\n").unwrap();
        let sys = lvs::sysctl::Sysctls::at(&dir);
        let mut n = NodestConn::default();
        assert_eq!(
            n.ensure("lvsadm", Some("blue"), &sys).as_deref(),
            Some(
                "lvsadm: set net.ipv4.vs.expire_nodest_conn=1 so that the flows of real servers \
                 deleted at the deadline move to the others (it was 0; to undo: \
                 lvsadm --netns blue --sysctl expire_nodest_conn=0)"
            )
        );
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "1\n");
        // once per run
        std::fs::write(&file, "0\n").unwrap();
        assert_eq!(n.ensure("lvsadm", None, &sys), None);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "0\n");
        // already on: nothing said, nothing written
        std::fs::write(&file, "1\n").unwrap();
        assert_eq!(NodestConn::default().ensure("lvsadm", None, &sys), None);
        // ip_vs without the file: said, not fatal
        std::fs::remove_file(&file).unwrap();
        let line = NodestConn::default().ensure("lvsadm", None, &sys).unwrap();
        assert!(
            line.starts_with("lvsadm: could not read net.ipv4.vs.expire_nodest_conn"),
            "{line}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn interrupted_drain_names_the_old_weight_and_the_undo() {
        let (_, p) = crate::cli::parse(
            &"-a -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 7 -x 100"
                .split(' ')
                .map(String::from)
                .collect::<Vec<_>>(),
        )
        .map(|o| match o {
            crate::cli::Outcome::Run(p) => ((), p),
            _ => panic!("not a run"),
        })
        .unwrap();
        assert_eq!(
            restore_hint("lvsadm", None, &p.svc, &p.dest),
            "lvsadm: -t 192.0.2.1:80 -r 198.51.100.2:8080 had weight 7; to restore it: \
             lvsadm -e -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 7 -x 100"
        );
    }
}
