//! `lvsadm --supervise FILE [--listen ADDR:PORT] [--state-dir DIR]
//! [--drain[=SECS]]`: the
//! process. A current-thread tokio runtime (started here only) runs the
//! checks concurrently; this loop owns the [`Supervisor`] and the kernel
//! handle:
//!
//! * every 100 ms: the checks that are due start; when a real server's
//!   state changed, its service is read and reconciled at once (only
//!   those services: a failed real server of 1 000 services does not
//!   read the other services again for each of its entries);
//! * every second: the maintenance directory is read and systemd's
//!   watchdog is fed (`NOTIFY_SOCKET`); the state is published to
//!   `DIR/supervise.json` after a reconciliation, or every [`REPUBLISH`];
//! * every 100 ms, a slice of the file's services ([`Sweep`]) is read
//!   from the kernel and reconciled (a manual change in scope is undone
//!   and logged), so that each service is read once every [`RESYNC`]
//!   (2 s); on a director where reading them all takes long (a large
//!   table, a slow machine), once every 20 times that, so that reading
//!   takes at most a twentieth of the time ([`resync_period`]). The whole
//!   table is read at once at the start, after a reload or a maintenance
//!   switch, and each second of a slow start;
//! * the tcp and http checks run on a thread of their own
//!   ([`super::workers`], with an [`super::engine`]), their results sent
//!   back here; the others are tasks;
//! * SIGHUP re-reads FILE: a broken file is reported as `FILE:LINE:
//!   message` and the running configuration stays;
//! * SIGTERM or SIGINT: the process ends and leaves the table as it is;
//! * `--listen`: `/metrics` serves what `--metrics` serves plus each
//!   supervised real server's state, check latency and transitions.

use super::check;
use super::core::{name, Config, Supervisor};
use super::engine;
use super::state::Key;
use super::workers::{self, Workers};
use crate::app::files::MadeSettings;
use crate::app::Ctx;
use crate::cli::popt::Walker;
use crate::cli::settings::FileSettings;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// Where state is published and maintenance switches are read.
pub const STATE_DIR: &str = crate::app::hold::STATE_DIR;

/// The command line of `--supervise`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// The rule file.
    pub file: String,
    /// `--listen ADDR:PORT`.
    pub listen: Option<String>,
    /// `--state-dir DIR`.
    pub state_dir: PathBuf,
    /// `--drain[=SECS]`: real servers a reload removes are drained.
    pub drain: Option<Duration>,
}

/// The longest `--drain` deadline (31 days, as for `-d --drain`).
const MAX_DRAIN: i64 = 86400 * 31;

/// The `--supervise` command line in `args`, if it is one; `Err` is a
/// message for a wrong one (exit status 2).
pub fn parse(args: &[String]) -> Option<Result<Args, String>> {
    let mut w = Walker::new(args);
    let (mut file, mut listen, mut state_dir, mut others) = (None, None, None, Vec::new());
    let mut drain: Option<Option<String>> = None;
    let mut bad = None;
    while let Some(ev) = w.next_opt() {
        match ev {
            Ok(ev) => match ev.id.as_str() {
                "supervise" => file = ev.value,
                "listen" => listen = ev.value,
                "state-dir" => state_dir = ev.value,
                "drain" => drain = Some(ev.value),
                other => others.push(other.to_string()),
            },
            Err(e) => {
                bad = Some(e.to_string());
                break;
            }
        }
    }
    let Some(file) = file else {
        if state_dir.is_some() && drain.is_none() && !others.iter().any(|o| o == "health-status") {
            return Some(Err("--state-dir goes with --supervise".into()));
        }
        return None;
    };
    if let Some(b) = bad {
        return Some(Err(b));
    }
    if !others.is_empty() {
        return Some(Err(
            "--supervise takes only --listen ADDR:PORT, --state-dir DIR and --drain[=SECS]".into(),
        ));
    }
    if let Some(extra) = w.next_arg() {
        return Some(Err(format!("unexpected argument {extra}")));
    }
    if file == "-" {
        return Some(Err(
            "--supervise needs a file (it is read again on SIGHUP), not standard input".into(),
        ));
    }
    let drain = match drain {
        None => None,
        Some(None) => Some(Duration::from_secs(crate::app::drain::DEFAULT_SECS)),
        Some(Some(v)) => match crate::cli::string_to_number(&v, 0, MAX_DRAIN) {
            Some(n) => Some(Duration::from_secs(n as u64)),
            None => {
                return Some(Err(format!(
                    "invalid --drain value `{v}' (seconds, 0 to {MAX_DRAIN})"
                )))
            }
        },
    };
    Some(Ok(Args {
        file,
        listen,
        state_dir: PathBuf::from(state_dir.unwrap_or_else(|| STATE_DIR.into())),
        drain,
    }))
}

/// Raise the limit on open files to at least `need`: every check in
/// flight holds a socket (10 000 real servers checked every second keep
/// more than the usual 1 024 open, and more than the usual hard limit of
/// 4 096). Both limits are raised to `need` when allowed (root,
/// CAP_SYS_RESOURCE), else the soft one to the hard one. Returns the
/// soft limit before and the limit now.
fn raise_nofile(need: u64) -> (u64, u64) {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) => {
            let want = need.max(hard);
            if soft >= want {
                return (soft, soft);
            }
            if setrlimit(Resource::RLIMIT_NOFILE, want, want).is_ok() {
                return (soft, want);
            }
            if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
                return (soft, hard);
            }
            (soft, soft)
        }
        Err(_) => (0, u64::MAX),
    }
}

/// The open files wanted for `checked` real servers: a check and an
/// agent request each, and some for the rest.
pub fn files_needed(checked: usize) -> u64 {
    2 * checked as u64 + 256
}

/// Read and check the rule file (problems printed as `FILE:LINE: message`):
/// the table and health options, and the settings lines.
fn load(program: &str, file: &str) -> Result<(Config, FileSettings), i32> {
    crate::app::files::load_supervised(program, file)
        .map(|(wanted, health, fs)| (Config { wanted, health }, fs))
}

/// Run the supervisor; returns the exit status (0 after SIGTERM).
pub fn run(ctx: &mut Ctx<'_>, a: &Args) -> i32 {
    let (cfg, fs) = match load(&ctx.program, &a.file) {
        Ok(c) => c,
        Err(code) => return code,
    };
    if cfg.wanted.is_empty() {
        eprintln!(
            "{}: {}: no services: refusing to supervise an empty rule file",
            ctx.program, a.file
        );
        return 1;
    }
    // the settings lines first, as --apply makes them
    let made = match crate::app::files::apply_settings(ctx, &a.file, &fs) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{}: {}: {e}; nothing changed", ctx.program, a.file);
            return 1;
        }
    };
    for l in &made.lines {
        eprintln!("{}: setting: {l}", ctx.program);
    }
    let checked = cfg.health.checked(&cfg.wanted);
    let (soft, hard) = raise_nofile(files_needed(checked));
    if hard < files_needed(checked) {
        eprintln!(
            "{}: warning: open files limited to {hard} (was {soft}) for {checked} checked real servers: \
             checks may fail with \"Too many open files\" (raise LimitNOFILE or ulimit -n)",
            ctx.program
        );
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{}: cannot start the runtime: {e}", ctx.program);
            return 1;
        }
    };
    rt.block_on(main_loop(ctx, a, cfg, made))
}

/// A log line on standard error, in one write (eprintln! makes four: the
/// program, ": ", the text, the newline), so that a line never mixes
/// with another writer's; a failed write (a closed log pipe) is not a
/// panic, as it is with eprintln!.
fn say(program: &str, l: &str) {
    use std::io::Write as _;
    let _ = std::io::stderr().write_all(format!("{program}: {l}\n").as_bytes());
}

/// What the check tasks send back.
enum Msg {
    Check(Key, u64, check::Outcome),
    /// A turn's results from a check thread.
    Checks(Vec<engine::Done>),
    Agent(Key, u64, Result<super::agent::AgentReply, String>),
}

/// systemd's notification socket (`NOTIFY_SOCKET`), if any.
struct Notify(
    Option<(
        std::os::unix::net::UnixDatagram,
        std::os::unix::net::SocketAddr,
    )>,
);

impl Notify {
    fn from_env() -> Notify {
        use std::os::linux::net::SocketAddrExt;
        let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
            return Notify(None);
        };
        let path = path.to_string_lossy().into_owned();
        let addr = match path.strip_prefix('@') {
            Some(name) => std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()),
            None => std::os::unix::net::SocketAddr::from_pathname(&path),
        };
        let sock = std::os::unix::net::UnixDatagram::unbound();
        match (sock, addr) {
            (Ok(s), Ok(a)) => Notify(Some((s, a))),
            _ => Notify(None),
        }
    }

    fn send(&self, msg: &str) {
        if let Some((s, a)) = &self.0 {
            let _ = s.send_to_addr(msg.as_bytes(), a);
        }
    }
}

async fn main_loop(ctx: &mut Ctx<'_>, a: &Args, cfg: Config, made: MadeSettings) -> i32 {
    use tokio::signal::unix::{signal, SignalKind};
    let program = ctx.program.clone();
    let log = |l: &str| say(&program, l);
    let (mut hup, mut term, mut int) = match (
        signal(SignalKind::hangup()),
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) {
        (Ok(h), Ok(t), Ok(i)) => (h, t, i),
        _ => {
            log("cannot catch SIGHUP, SIGTERM and SIGINT");
            return 1;
        }
    };
    let listener = match &a.listen {
        None => None,
        Some(l) => {
            let addr = crate::app::http::listen_addr(l);
            match tokio::net::TcpListener::bind(addr.as_str()).await {
                Ok(l) => Some(l),
                Err(e) => {
                    log(&format!("cannot listen on {addr}: {e}"));
                    return 1;
                }
            }
        }
    };
    let start = Instant::now();
    let mut sup = match Supervisor::start(cfg, ctx, start) {
        Ok(mut s) => {
            s.drain = a.drain;
            s
        }
        Err(e) => {
            log(&e);
            put_back(&made, ctx, &log);
            return 1;
        }
    };
    let dests: usize = sup.cfg.wanted.iter().map(|w| w.dests.len()).sum();
    log(&format!(
        "supervising {}: {} service{}, {} real server{}, {} checked{}",
        a.file,
        sup.cfg.wanted.len(),
        if sup.cfg.wanted.len() == 1 { "" } else { "s" },
        dests,
        if dests == 1 { "" } else { "s" },
        sup.servers.len(),
        shared(&sup)
    ));
    for l in sup.reload_logs_at_start() {
        log(&l);
    }
    let mut announcer = super::announce::Announcer::default();
    if let Err(e) = announcer.open(&sup) {
        log(&e);
        return 1;
    }
    let notify = Notify::from_env();
    let tls = check::tls_config();
    let (tx, mut rx) = mpsc::unbounded_channel::<Msg>();
    // the tcp and http checks: no task each, on threads (see workers)
    let mut workers = {
        let tx = tx.clone();
        let send = move |batch| tx.send(Msg::Checks(batch)).is_ok();
        match Workers::start(workers::THREADS, send) {
            Ok(w) => w,
            Err(e) => {
                log(&format!("cannot start the check threads: {e}"));
                return 1;
            }
        }
    };
    // results to take, from the check threads and the tasks
    let mut done: Vec<engine::Done> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let maint_dir = a.state_dir.join("maintenance");
    let hold_dir = crate::app::hold::dir(&a.state_dir);
    let lock_dir = PathBuf::from(crate::app::lock::LOCK_DIR);
    let published = Arc::new(Mutex::new(String::new()));
    let mut last_second: Option<Instant> = None;
    let mut sweep = Sweep::new(Instant::now());
    let mut last_publish: Option<Instant> = None;
    let mut unpublished = true;
    let mut was_ramping = false;
    // services whose real servers changed state since the last round
    let mut touched: HashSet<lvs::model::ServiceKey> = HashSet::new();
    let mut dirty = true;
    let mut ready = false;
    let soon = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(soon);
    let mut soon_armed = false;
    // the next check's time: the timer is moved only when it changes
    let wake = tokio::time::sleep(Duration::ZERO);
    tokio::pin!(wake);
    let mut wake_at: Option<Instant> = None;
    // checks and agent requests running; ticks (100 ms) spent with the
    // most running, since full_since
    let mut in_flight = 0usize;
    let mut full_ticks = 0u64;
    let mut full_since = Instant::now();
    loop {
        // no wake-up for due checks while as many as can run are running:
        // the next result to come back starts the next one
        let next = if in_flight < MAX_IN_FLIGHT {
            sup.next_due()
        } else {
            None
        };
        if next != wake_at {
            if let Some(t) = next {
                wake.as_mut().reset(t.into());
            }
            wake_at = next;
        }
        tokio::select! {
            _ = &mut wake, if wake_at.is_some() => {
                // checks due now, and those due within SLACK (one wake-up
                // for them, not one each)
                let room = MAX_IN_FLIGHT - in_flight;
                in_flight += launch(&mut sup, Instant::now() + SLACK, room, &mut workers, &tx, &tls);
                wake_at = None;
            }
            _ = tick.tick() => {
                let now = Instant::now();
                // (due checks are started by the wake timer, not here)
                if in_flight >= MAX_IN_FLIGHT {
                    full_ticks += 1;
                }
                if now.duration_since(full_since) >= FULL_REPORT {
                    if full_ticks > 0 {
                        log(&format!(
                            "checks running late: {MAX_IN_FLIGHT} in flight (the most that run at once) for {} ms of the last {} s; each real server is checked less often than its interval",
                            full_ticks * 100,
                            FULL_REPORT.as_secs()
                        ));
                    }
                    full_ticks = 0;
                    full_since = now;
                }
                let second = match last_second {
                    None => true,
                    Some(t) => now.duration_since(t) >= Duration::from_secs(1),
                };
                if second {
                    for l in sup.maintenance(&maint_dir) {
                        log(&l);
                        dirty = true;
                    }
                    // slow start raises weights between checks (and its
                    // last step is taken once it has ended)
                    let ramping = sup.servers.values().any(|s| s.ramping(now));
                    if ramping || was_ramping {
                        dirty = true;
                    }
                    was_ramping = ramping;
                }
                if dirty || !touched.is_empty() {
                    let what = if dirty { What::Full } else { What::Changed(&touched) };
                    let round = Round { lock_dir: &lock_dir, hold_dir: &hold_dir, now };
                    let began = Instant::now();
                    let lines = round.run(&mut sup, ctx, &mut announcer, what);
                    lines.iter().for_each(|l| log(l));
                    if dirty {
                        // the whole table was read: the periodic read
                        // starts over, paced by what this read took
                        sweep.restart(began.elapsed(), now);
                    }
                    if !lines.is_empty() || !touched.is_empty() || dirty {
                        unpublished = true;
                    }
                    dirty = false;
                    touched.clear();
                    soon_armed = false;
                }
                // the periodic read: the next slice of the file's services
                let n = sup.cfg.wanted.len();
                let part = sweep.slice(n, now);
                if !part.is_empty() {
                    let slice: HashSet<lvs::model::ServiceKey> =
                        sup.cfg.wanted[part].iter().map(|w| w.svc.key()).collect();
                    let round = Round { lock_dir: &lock_dir, hold_dir: &hold_dir, now };
                    let began = Instant::now();
                    let lines = round.run(&mut sup, ctx, &mut announcer, What::Slice(&slice));
                    lines.iter().for_each(|l| log(l));
                    // a slice that changed nothing (most of them) leaves
                    // the state file to its every-REPUBLISH writing
                    if !lines.is_empty() {
                        unpublished = true;
                    }
                    sweep.took(began.elapsed(), n);
                }
                if second {
                    last_second = Some(now);
                    if unpublished || publish_due(last_publish, now) {
                        publish(&sup, a, now, &program);
                        last_publish = Some(now);
                        unpublished = false;
                    }
                    // the series only when something can scrape them
                    if a.listen.is_some() {
                        if let Ok(mut p) = published.lock() {
                            *p = health_metrics(&sup, now) + &announcer.metrics();
                        }
                    }
                    if !ready {
                        notify.send("READY=1\nSTATUS=supervising");
                        ready = true;
                    }
                    notify.send("WATCHDOG=1");
                }
            }
            Some(msg) = rx.recv() => {
                let now = Instant::now();
                match msg {
                    Msg::Check(key, gen, o) => done.push((key, gen, o)),
                    Msg::Checks(batch) => done.extend(batch),
                    Msg::Agent(key, gen, r) => {
                        in_flight = in_flight.saturating_sub(1);
                        for l in sup.on_agent(&key, gen, r, now) {
                            log(&l);
                            touched.insert(key.0);
                        }
                    }
                }
                if !touched.is_empty() && !soon_armed {
                    soon.as_mut().reset(tokio::time::Instant::now() + SOON);
                    soon_armed = true;
                }
            }
            _ = &mut soon, if soon_armed => {
                // a state change, not left waiting for the next tick
                soon_armed = false;
                if !touched.is_empty() {
                    let round = Round { lock_dir: &lock_dir, hold_dir: &hold_dir, now: Instant::now() };
                    round.run(&mut sup, ctx, &mut announcer, What::Changed(&touched))
                        .iter()
                        .for_each(|l| log(l));
                    unpublished = true;
                    touched.clear();
                }
            }
            _ = hup.recv() => {
                notify.send("RELOADING=1");
                log(&format!("SIGHUP: reading {} again", a.file));
                match load(&program, &a.file) {
                    Err(_) => log("the file has problems (above): the running configuration stays"),
                    Ok((cfg, _)) if cfg.wanted.is_empty() => {
                        log("the file has no services: the running configuration stays")
                    }
                    Ok((cfg, fs)) => match crate::app::files::apply_settings(ctx, &a.file, &fs) {
                        Err(e) => log(&format!("{e}: the running configuration stays")),
                        Ok(made) => {
                            made.lines.iter().for_each(|l| log(&format!("setting: {l}")));
                            match sup.reload(cfg, ctx, Instant::now()) {
                                Ok(logs) => {
                                    logs.iter().for_each(|l| log(l));
                                    log("reloaded");
                                    dirty = true;
                                }
                                Err(e) => {
                                    log(&format!("{e}: the running configuration stays"));
                                    put_back(&made, ctx, &log);
                                }
                            }
                        }
                    },
                }
                notify.send("READY=1");
            }
            _ = term.recv() => {
                announcer.stop("SIGTERM: the supervisor stops").iter().for_each(|l| log(l));
                log("SIGTERM: exiting; the table stays as it is");
                notify.send("STOPPING=1");
                return 0;
            }
            _ = int.recv() => {
                announcer.stop("SIGINT: the supervisor stops").iter().for_each(|l| log(l));
                log("SIGINT: exiting; the table stays as it is");
                notify.send("STOPPING=1");
                return 0;
            }
            conn = accept(&listener) => {
                if let Ok((conn, _)) = conn {
                    let published = published.clone();
                    let program = program.clone();
                    tokio::spawn(serve(conn, published, program));
                }
            }
        }
        // the checks that ended
        if !done.is_empty() {
            let now = Instant::now();
            for (key, gen, o) in done.drain(..) {
                in_flight = in_flight.saturating_sub(1);
                for (k, l) in sup.on_check(&key, gen, o.up, &o.why, o.latency, now) {
                    log(&l);
                    touched.insert(k.0);
                }
            }
            if std::mem::take(&mut sup.fresh) {
                unpublished = true;
            }
            if !touched.is_empty() && !soon_armed {
                soon.as_mut().reset(tokio::time::Instant::now() + SOON);
                soon_armed = true;
            }
        }
    }
}

/// The settings a file's lines made, put back after the kernel refused its
/// table (logged either way).
fn put_back(made: &MadeSettings, ctx: &mut Ctx<'_>, log: &dyn Fn(&str)) {
    if made.lines.is_empty() {
        return;
    }
    match made.undo(ctx) {
        Ok(()) => log("the settings of the file were put back"),
        Err(e) => log(&format!(
            "the settings of the file could not be put back: {e}"
        )),
    }
}

/// How long after a state change its service is reconciled: the results
/// that arrive meanwhile are made in the same round (a real server of a
/// hundred services fails a hundred checks within an interval).
pub const SOON: Duration = Duration::from_millis(10);

/// What a round reconciles.
#[derive(Clone, Copy)]
enum What<'a> {
    /// All the file's services (and those that left it), one dump.
    Full,
    /// The services whose real servers changed state.
    Changed(&'a HashSet<lvs::model::ServiceKey>),
    /// A slice of the periodic read.
    Slice(&'a HashSet<lvs::model::ServiceKey>),
}

/// One reconciliation: the operator holds read, the kernel made equal to
/// the wanted table (all of it, or the `touched` services), the
/// announcements updated. Returns log lines.
struct Round<'a> {
    lock_dir: &'a std::path::Path,
    hold_dir: &'a std::path::Path,
    now: Instant,
}

impl Round<'_> {
    fn run(
        &self,
        sup: &mut Supervisor,
        ctx: &mut Ctx<'_>,
        announcer: &mut super::announce::Announcer,
        what: What<'_>,
    ) -> Vec<String> {
        // read before each reconciliation: a drain records its hold just
        // before it sets the weight to 0
        let mut logs = sup.holds(self.hold_dir);
        let (dir, now) = (Some(self.lock_dir), self.now);
        let r = match what {
            What::Full => sup.reconcile(ctx, dir, now),
            // a check's state change: only its services are read
            What::Changed(some) => sup.reconcile_only(ctx, dir, now, some),
            What::Slice(some) => sup.reconcile_part(ctx, dir, now, some, super::core::Round::Slice),
        };
        match r {
            Ok(l) => logs.extend(l),
            Err(e) => logs.push(e),
        }
        logs.extend(announcer.update(sup, self.now));
        logs
    }
}

/// Checks due this soon after a wake-up are started with it: one
/// wake-up of the loop for the checks of the next 20 ms, not one for
/// every check or two. A check started early keeps its rhythm (its next
/// time is counted from when it was due, see [`super::core::every`]).
/// With 2 ms, a thousand real servers with a check each, every second,
/// woke the loop about 500 times a second; each wake-up is a sleep, a
/// context switch and the runtime's and the engine's epoll waits, and
/// the supervisor used about a third more CPU on the host's profiling
/// run (`supervise_for_profiling`) than with 20 ms.
const SLACK: Duration = Duration::from_millis(20);

/// The most checks and agent requests that run at once. A director too
/// slow for its checks (thousands of real servers, little CPU) then
/// checks each real server less often than its interval, instead of
/// opening connections faster than it can follow them, which made
/// checks of healthy real servers time out by the thousand and quiesce
/// them. Natively 10 000 checks a second keep a few dozen in flight; a
/// thousand real servers that time out at once all fit.
pub const MAX_IN_FLIGHT: usize = 1024;

/// How often a log line says that checks ran late for want of room.
const FULL_REPORT: Duration = Duration::from_secs(60);

/// The start line's note on checks made once for several real servers
/// (see [`super::core`]'s `Probe`), empty when there are none.
fn shared(sup: &Supervisor) -> String {
    let n = sup.probes();
    if n == sup.with_checks() {
        return String::new();
    }
    format!(" ({n} check{} a round: a real server behind several services with the same check is checked once for all)", if n == 1 { "" } else { "s" })
}

/// Starts the checks and agent requests due by `by`, at most `room` of
/// them: tcp and http checks on the check threads, the others each a
/// task; their results come back on `tx`. How many.
fn launch(
    sup: &mut Supervisor,
    by: Instant,
    room: usize,
    workers: &mut Workers,
    tx: &mpsc::UnboundedSender<Msg>,
    tls: &Arc<rustls::ClientConfig>,
) -> usize {
    let due = sup.due_at_most(by, room);
    let n = due.len();
    for d in due {
        if !d.agent && engine::handles(&d.health) {
            workers.submit(d);
            continue;
        }
        let tx = tx.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let msg = if d.agent {
                let port = d.health.agent.unwrap_or(0);
                let r = check::ask_agent(d.target.rip.ip(), port, d.health.timeout).await;
                Msg::Agent(d.key, d.gen, r)
            } else {
                Msg::Check(d.key, d.gen, check::run(&d.health, &d.target, &tls).await)
            };
            let _ = tx.send(msg);
        });
    }
    workers.flush();
    n
}

/// How often the kernel's table is read and reconciled when no state
/// changed: often enough to undo a manual change in scope within two
/// seconds, rarely enough that the steady state does not dump 10 000
/// real servers every second. A state change, an agent's weight, a
/// maintenance switch, a reload and slow start reconcile at once.
pub const RESYNC: Duration = Duration::from_secs(2);

/// How often the state file is written when nothing was reconciled
/// (its check results and latencies age by at most this much).
pub const REPUBLISH: Duration = Duration::from_secs(5);

/// The periodic read of the table, a slice at each tick: each of the
/// file's services is read once per `period` ([`RESYNC`], or twenty times
/// what a whole pass's reads took, see [`resync_period`]), a few at a
/// time. Read all at once, the table held the loop for as long as the
/// read took, and the checks that fell due meanwhile, and the failures
/// they would have found, waited (in the test guest at 1 000 real
/// servers, a failed real server's last entry went out 1.39 s after the
/// kill with the whole read every 2 s, 1.03 s with it every 60 s).
#[derive(Debug, Clone)]
pub struct Sweep {
    /// Where the next slice begins, in the file's services.
    next: usize,
    /// When the last slice was taken.
    last: Instant,
    /// Services owed since then (a fraction carried over).
    owed: f64,
    /// How long a pass over all the services takes.
    pub period: Duration,
    /// What this pass's reads took so far.
    took: Duration,
}

impl Sweep {
    /// A sweep beginning at `now`, at the pace of [`RESYNC`].
    pub fn new(now: Instant) -> Sweep {
        Sweep {
            next: 0,
            last: now,
            owed: 0.0,
            period: RESYNC,
            took: Duration::ZERO,
        }
    }

    /// The table was read whole at `now`, in `took`: the next pass begins
    /// from the first service, paced by that.
    pub fn restart(&mut self, took: Duration, now: Instant) {
        *self = Sweep::new(now);
        self.period = resync_period(took);
    }

    /// The slice to read at `now`, of a file of `n` services (indices):
    /// as many as keep a pass to its period since the last slice; empty
    /// when none is due yet. A slice ends at the last service (the pass's
    /// end); a loop held up for longer than a pass owes one pass at most.
    pub fn slice(&mut self, n: usize, now: Instant) -> std::ops::Range<usize> {
        if self.next >= n {
            // a reload left fewer services
            self.next = 0;
        }
        let since = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        let per_pass = self.period.as_secs_f64().max(1e-3);
        self.owed = (self.owed + n as f64 * since / per_pass).min(n as f64);
        let k = (self.owed.floor() as usize).min(n - self.next);
        self.owed -= k as f64;
        let r = self.next..self.next + k;
        self.next += k;
        r
    }

    /// The last slice's reads took `d`; after the pass's last slice (of a
    /// file of `n` services) the next pass's period is set from them.
    pub fn took(&mut self, d: Duration, n: usize) {
        self.took += d;
        if self.next >= n {
            self.next = 0;
            self.period = resync_period(self.took);
            self.took = Duration::ZERO;
        }
    }
}

/// How long a pass of the periodic read lasts when reading the whole
/// table took `took`: [`RESYNC`], or twenty times `took` when that is
/// longer, so that reading 10 000 real servers on a slow director does
/// not take a tenth of its time (a state change still reconciles its
/// services at once).
pub fn resync_period(took: Duration) -> Duration {
    RESYNC.max(took.saturating_mul(20))
}

/// Whether the state file is due to be written again (never: yes).
pub fn publish_due(last: Option<Instant>, now: Instant) -> bool {
    match last {
        None => true,
        Some(t) => now.saturating_duration_since(t) >= REPUBLISH,
    }
}

async fn accept(
    l: &Option<tokio::net::TcpListener>,
) -> std::io::Result<(tokio::net::TcpStream, SocketAddr)> {
    match l {
        Some(l) => l.accept().await,
        None => std::future::pending().await,
    }
}

/// Answer one HTTP connection: `/metrics` is the `--metrics` exposition
/// (a fresh kernel read) followed by the supervisor's series.
async fn serve(mut conn: tokio::net::TcpStream, published: Arc<Mutex<String>>, program: String) {
    use crate::app::http::{parse_head, response, route, Head, Route, MAX_REQUEST};
    const TEXT: &str = "text/plain; charset=utf-8";
    const EXPOSITION: &str = "text/plain; version=0.0.4; charset=utf-8";
    let mut buf = vec![0u8; MAX_REQUEST];
    let mut len = 0;
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match conn.read(&mut buf[len..]).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => len += n,
            }
            match parse_head(&buf[..len]) {
                Head::Incomplete => continue,
                h => return Some(h),
            }
        }
    })
    .await;
    let Ok(Some(head)) = read else {
        return;
    };
    let reply = match head {
        Head::Bad(code) => response(code, TEXT, b"bad request\n", false),
        Head::Incomplete => return,
        Head::Request { method, path } => match route(&method, &path) {
            Route::MethodNotAllowed => response(405, TEXT, b"only GET and HEAD\n", false),
            Route::NotFound => response(404, TEXT, b"not found; metrics are at /metrics\n", false),
            Route::Metrics { head } => {
                let opts = crate::format::prometheus::RenderOptions::default();
                let scraped =
                    tokio::task::spawn_blocking(move || crate::app::metrics::scrape(&opts)).await;
                match scraped {
                    Ok(Ok(mut text)) => {
                        if let Ok(p) = published.lock() {
                            text.push_str(&p);
                        }
                        response(200, EXPOSITION, text.as_bytes(), head)
                    }
                    Ok(Err(e)) => {
                        say(&program, &format!("scrape failed: {e}"));
                        response(500, TEXT, format!("{e}\n").as_bytes(), head)
                    }
                    Err(_) => response(500, TEXT, b"scrape failed\n", head),
                }
            }
        },
    };
    let _ = conn.write_all(&reply).await;
    let _ = conn.shutdown().await;
}

/// The published state: each real server of the file, its state, weight,
/// last result and since when (parsed from [`state_text`]).
#[cfg(test)]
pub fn state_json(sup: &Supervisor, file: &str, now: Instant) -> serde_json::Value {
    serde_json::from_str(&state_text(sup, file, now)).unwrap_or_default()
}

/// JSON scalars appended to a buffer, as serde_json writes them.
struct Out(Vec<u8>);

impl Out {
    fn raw(&mut self, s: &str) {
        self.0.extend_from_slice(s.as_bytes());
    }
    fn val<T: serde::Serialize + ?Sized>(&mut self, v: &T) {
        let _ = serde_json::to_writer(&mut self.0, v);
    }
    /// `"key":value`, after a comma unless first.
    fn field<T: serde::Serialize + ?Sized>(&mut self, first: bool, key: &str, v: &T) {
        if !first {
            self.raw(",");
        }
        self.val(key);
        self.raw(":");
        self.val(v);
    }
}

/// The published state as one line of JSON, written field by field (no
/// value tree: 10 000 real servers are written every second); the keys
/// in sorted order, the bytes serde_json gives for the same object.
pub fn state_text(sup: &Supervisor, file: &str, now: Instant) -> String {
    let wall = SystemTime::now();
    let unix = |at: Instant| -> f64 {
        (wall - now.saturating_duration_since(at))
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| (d.as_millis() as f64) / 1000.0)
            .unwrap_or(0.0)
    };
    let want = sup.desired(now);
    let mut o = Out(Vec::with_capacity(256 * sup.servers.len() + 1024));
    o.raw("{");
    o.field(true, "file", file);
    o.field(false, "pid", &std::process::id());
    o.raw(",\"services\":[");
    for (i, (w, d)) in sup.cfg.wanted.iter().zip(&want).enumerate() {
        let sk = w.svc.key();
        if i > 0 {
            o.raw(",");
        }
        o.raw("{\"servers\":[");
        for (j, wd) in w.dests.iter().enumerate() {
            if j > 0 {
                o.raw(",");
            }
            let key = (sk, wd.dest.key());
            let weight = d
                .dests
                .iter()
                .find(|x| x.dest.key() == key.1)
                .map(|x| x.dest.weight);
            let addr = wd.dest.socket_addr().to_string();
            let hold = sup.held.contains_key(&key);
            o.raw("{");
            match sup.servers.get(&key) {
                None => {
                    o.field(true, "check", "none");
                    o.field(false, "hold", &hold);
                    o.field(false, "server", &addr);
                    o.field(false, "state", "static");
                    o.field(false, "weight", &weight);
                    o.field(false, "written", &wd.dest.weight);
                }
                Some(s) => {
                    o.field(true, "agent_percent", &s.percent);
                    o.field(false, "check", s.health.check.name());
                    o.field(false, "hold", &hold);
                    o.field(false, "last", &s.last.as_ref().map(|(_, why)| why));
                    o.field(false, "last_ok", &s.last.as_ref().map(|(ok, _)| *ok));
                    o.field(
                        false,
                        "latency_ms",
                        &s.latency.map(|l| (l.as_micros() as f64) / 1000.0),
                    );
                    o.field(false, "maintenance", &s.maint);
                    o.field(false, "server", &addr);
                    o.field(false, "since", &unix(s.since));
                    o.field(false, "state", s.word(now));
                    o.field(false, "transitions", &s.transitions);
                    o.field(false, "weight", &weight);
                    o.field(false, "written", &wd.dest.weight);
                }
            }
            o.raw("}");
        }
        let sorry = d
            .dests
            .iter()
            .any(|x| Some(x.dest.socket_addr()) == sup.cfg.health.sorry(&sk));
        o.raw("]");
        o.field(false, "service", &sk.to_string());
        o.field(false, "sorry_active", &sorry);
        o.raw("}");
    }
    o.raw("]");
    o.field(false, "updated", &unix(now));
    o.raw("}");
    String::from_utf8(o.0).unwrap_or_default()
}

/// Write the state to `DIR/supervise.json` (a new file renamed over the
/// old one, so readers never see half of it).
fn publish(sup: &Supervisor, a: &Args, now: Instant, program: &str) {
    let text = state_text(sup, &a.file, now) + "\n";
    let path = a.state_dir.join("supervise.json");
    let tmp = a
        .state_dir
        .join(format!(".supervise.json.{}", std::process::id()));
    let r = std::fs::create_dir_all(&a.state_dir)
        .and_then(|_| std::fs::write(&tmp, text))
        .and_then(|_| std::fs::rename(&tmp, &path));
    if let Err(e) = r {
        static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
        if !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
            say(
                program,
                &format!("cannot publish the state to {}: {e}", path.display()),
            );
        }
    }
}

/// The supervisor's Prometheus series.
pub fn health_metrics(sup: &Supervisor, now: Instant) -> String {
    use crate::format::prometheus::{escape, service_labels};
    let mut rows: Vec<(String, &super::state::Server)> = Vec::new();
    for w in &sup.cfg.wanted {
        let sk = w.svc.key();
        let sl = service_labels(&w.svc);
        for d in &w.dests {
            if let Some(s) = sup.servers.get(&(sk, d.dest.key())) {
                let l = format!(
                    "{sl},server_address=\"{}\",server_port=\"{}\",check=\"{}\"",
                    escape(&crate::format::ntop(&d.dest.addr)),
                    d.dest.port,
                    s.health.check.name()
                );
                rows.push((l, s));
            }
        }
    }
    let mut t = String::new();
    let series: [(&str, &str, &str); 4] = [
        (
            "lvsadm_supervise_up",
            "gauge",
            "Whether the real server passes its checks and may serve (1) or not (0)",
        ),
        (
            "lvsadm_supervise_state",
            "gauge",
            "The real server's state (1 for the state named by the label)",
        ),
        (
            "lvsadm_supervise_check_latency_seconds",
            "gauge",
            "How long the last check took",
        ),
        (
            "lvsadm_supervise_transitions_total",
            "counter",
            "How many times the real server went up or down since the supervisor started",
        ),
    ];
    for (name, kind, help) in series {
        let _ = writeln!(t, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (l, s) in &rows {
            let _ = match name {
                "lvsadm_supervise_up" => {
                    writeln!(t, "{name}{{{l}}} {}", u8::from(s.is_up() && !s.maint))
                }
                "lvsadm_supervise_state" => {
                    writeln!(t, "{name}{{{l},state=\"{}\"}} 1", s.word(now))
                }
                "lvsadm_supervise_check_latency_seconds" => match s.latency {
                    Some(d) => writeln!(t, "{name}{{{l}}} {}", d.as_secs_f64()),
                    None => Ok(()),
                },
                _ => writeln!(t, "{name}{{{l}}} {}", s.transitions),
            };
        }
    }
    t
}

impl Supervisor {
    /// The real servers waiting for their first good checks, as log
    /// lines (said once at start).
    fn reload_logs_at_start(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .servers
            .iter()
            .filter(|(_, s)| s.status == super::state::Status::Down)
            .map(|(k, s)| {
                format!(
                    "{}: waiting for {} good check{}",
                    name(k),
                    s.health.rise,
                    if s.health.rise == 1 { "" } else { "s" }
                )
            })
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
