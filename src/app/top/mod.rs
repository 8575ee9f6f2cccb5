//! `lvsadm --top [-t|-u|--sctp-service ADDR:PORT | -f MARK [-6]]
//! [--interval SECS] [--state-dir DIR]`: the table as a live full-screen
//! view (ratatui over crossterm; nothing of it runs for other commands).
//!
//! Every interval the loop makes one read of the table (the service dump
//! and the real servers' dumps, as `-Ln` does) and computes the rates from
//! the exact counters of this read and the previous one
//! ([`model::Tracker`]); it reads the supervisor's `supervise.json` from
//! the state directory when there is one. Keys act at once. The terminal
//! is given back as it was on `q`, Ctrl-C, SIGTERM, SIGINT, SIGHUP and a
//! panic.

pub mod model;
pub mod view;

use super::ctx::Ctx;
use crate::cli::popt::Walker;
use lvs::kernel::Kernel;
use lvs::model::{Dest, Service, ServiceKey};
use lvs::netlink::{ipvs_strerror, Op};
use ratatui::crossterm::event::{self, Event, KeyEventKind};
use ratatui::crossterm::{cursor, execute, terminal};
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The command line of `--top`.
#[derive(Debug, Clone, PartialEq)]
pub struct Args {
    /// Seconds between reads.
    pub interval: f64,
    /// Only this service.
    pub only: Option<ServiceKey>,
    /// Where `supervise.json` is read.
    pub state_dir: PathBuf,
}

/// The shortest and longest intervals.
const INTERVAL: (f64, f64) = (0.2, 3600.0);

/// The `--top` command line in `args`, if it is one; `Err` is a message for
/// a wrong one (exit status 2).
pub fn parse(args: &[String]) -> Option<Result<Args, String>> {
    // Most command lines have neither word: no walk for them (every
    // ipvsadm command pays this check, so it is a plain scan).
    if !args
        .iter()
        .any(|a| a.starts_with("--top") || a.starts_with("--interval"))
    {
        return None;
    }
    let mut w = Walker::new(args);
    let (mut top, mut interval, mut state_dir) = (false, None, None);
    let (mut svc_words, mut others, mut bad) = (Vec::new(), Vec::new(), None);
    while let Some(ev) = w.next_opt() {
        match ev {
            Ok(ev) => match ev.id.as_str() {
                "top" => top = true,
                "interval" => interval = ev.value,
                "state-dir" => state_dir = ev.value,
                "numeric" => {}
                id @ ("tcp-service" | "udp-service" | "sctp-service" | "fwmark-service") => {
                    svc_words.push(format!("--{id}"));
                    svc_words.extend(ev.value);
                }
                "ipv6" => svc_words.push("-6".into()),
                other => others.push(other.to_string()),
            },
            Err(e) => {
                bad = Some(e.to_string());
                break;
            }
        }
    }
    if !top {
        if interval.is_some() {
            return Some(Err("--interval goes with --top".into()));
        }
        return None;
    }
    if let Some(b) = bad {
        return Some(Err(b));
    }
    if !others.is_empty() {
        return Some(Err("--top takes only a service (-t, -u, --sctp-service ADDR:PORT or -f MARK), -n, --interval SECS and --state-dir DIR".into()));
    }
    if let Some(extra) = w.next_arg() {
        return Some(Err(format!("unexpected argument {extra}")));
    }
    let interval = match interval {
        None => 1.0,
        Some(v) => match v.parse::<f64>() {
            Ok(n) if (INTERVAL.0..=INTERVAL.1).contains(&n) => n,
            _ => {
                return Some(Err(format!(
                    "invalid --interval value `{v}' (seconds, {} to {})",
                    INTERVAL.0, INTERVAL.1
                )))
            }
        },
    };
    let only = if svc_words.is_empty() {
        None
    } else {
        let mut words = vec!["-L".to_string()];
        words.extend(svc_words);
        match crate::cli::parse(&words) {
            Ok(crate::cli::Outcome::Run(p)) => Some(p.svc.key()),
            Ok(_) => return Some(Err("--top: not a service".into())),
            Err(crate::cli::CliError::Fatal { msg, .. } | crate::cli::CliError::Popt(msg)) => {
                return Some(Err(format!("--top: {}", msg.trim_end())))
            }
            Err(crate::cli::CliError::TryHelp) => return Some(Err("--top: not a service".into())),
        }
    };
    Some(Ok(Args {
        interval,
        only,
        state_dir: PathBuf::from(
            state_dir.unwrap_or_else(|| crate::app::supervise::run::STATE_DIR.into()),
        ),
    }))
}

/// One read of the table, in `-Ln`'s order; only `only` if given.
pub fn read(
    k: &mut dyn Kernel,
    only: Option<&ServiceKey>,
) -> Result<Vec<(Service, Vec<Dest>)>, String> {
    let mut services = k
        .services()
        .map_err(|e| ipvs_strerror(Op::GetServices, e.errno()))?;
    if let Some(o) = only {
        services.retain(|s| s.key() == *o);
    }
    crate::format::sort::sort_services(&mut services);
    let dests = k
        .dests_many(&services.iter().map(|s| s.key()).collect::<Vec<_>>())
        .map_err(|e| ipvs_strerror(Op::GetDests, e.errno()))?;
    Ok(services
        .into_iter()
        .zip(dests)
        .map(|(s, mut d)| {
            crate::format::sort::sort_dests(&mut d);
            (s, d)
        })
        .collect())
}

/// The message for a standard output or input that is not a terminal.
pub const NOT_A_TERMINAL: &str = "--top needs a terminal; in a script or pipe use `lvsadm -Ln --rate` (or -Ln --stats --exact), and for monitoring `lvsadm --metrics [--listen ADDR:PORT]`";

/// Give the terminal back: main screen, cursor, cooked mode.
fn restore() {
    let _ = terminal::disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
}

/// Restores the terminal when dropped (also while unwinding from a panic).
struct Screen;

impl Drop for Screen {
    fn drop(&mut self) {
        restore();
    }
}

/// SIGTERM, SIGINT and SIGHUP blocked in this thread and its threads, and
/// reported on a channel by a thread of their own.
fn signals() -> Option<std::sync::mpsc::Receiver<()>> {
    use nix::sys::signal::{SigSet, SigmaskHow, Signal};
    let mut set = SigSet::empty();
    for s in [Signal::SIGTERM, Signal::SIGINT, Signal::SIGHUP] {
        set.add(s);
    }
    nix::sys::signal::pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None).ok()?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        if set.wait().is_ok() {
            let _ = tx.send(());
        }
    });
    Some(rx)
}

/// Run the view; returns the exit status.
pub fn run(ctx: &mut Ctx, a: &Args) -> i32 {
    let program = ctx.program.clone();
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        eprintln!("{program}: {NOT_A_TERMINAL}");
        return 1;
    }
    let mut tracker = model::Tracker::new(a.interval);
    let health_path = a.state_dir.join("supervise.json");
    let health = || {
        std::fs::read_to_string(&health_path)
            .ok()
            .and_then(|t| model::parse_health(&t))
            .unwrap_or_default()
    };
    // The first read before the screen changes: a kernel that refuses is
    // reported on a plain terminal.
    let first = match read(ctx.kernel, a.only.as_ref()) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{program}: {e}");
            return 1;
        }
    };
    let mut last = Instant::now();
    let mut v = view::View {
        interval: a.interval,
        only: a.only.map(|k| k.to_string()),
        ..view::View::default()
    };
    v.set_rows(tracker.update(&first, None, &health()));
    let sigs = signals();
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        hook(info);
    }));
    if let Err(e) = terminal::enable_raw_mode() {
        eprintln!("{program}: cannot set up the terminal: {e}");
        return 1;
    }
    let _screen = Screen;
    if let Err(e) = execute!(
        std::io::stdout(),
        terminal::EnterAlternateScreen,
        cursor::Hide
    ) {
        drop(_screen);
        eprintln!("{program}: cannot set up the terminal: {e}");
        return 1;
    }
    let backend = ratatui::backend::CrosstermBackend::new(std::io::stdout());
    let mut term = match ratatui::Terminal::new(backend) {
        Ok(t) => t,
        Err(e) => {
            drop(_screen);
            eprintln!("{program}: cannot set up the terminal: {e}");
            return 1;
        }
    };
    let period = Duration::from_secs_f64(a.interval);
    let mut dirty = true;
    loop {
        if dirty {
            if let Err(e) = term.draw(|f| v.draw(f)) {
                drop(_screen);
                eprintln!("{program}: {e}");
                return 1;
            }
            dirty = false;
        }
        if sigs.as_ref().is_some_and(|r| r.try_recv().is_ok()) {
            return 0;
        }
        let due = last + period;
        let now = Instant::now();
        let mut refresh = !v.paused && now >= due;
        if !refresh {
            let wait = if v.paused {
                Duration::from_millis(100)
            } else {
                (due - now).min(Duration::from_millis(100))
            };
            match event::poll(wait) {
                Ok(true) => match event::read() {
                    Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => {
                        let height = term.size().map_or(20, |s| s.height.saturating_sub(3));
                        match v.key(k, height as usize) {
                            view::Action::Quit => return 0,
                            view::Action::Refresh => refresh = true,
                            view::Action::Redraw => {}
                        }
                        dirty = true;
                    }
                    Ok(Event::Resize(..)) => {
                        let _ = term.autoresize();
                        dirty = true;
                    }
                    Ok(_) => {}
                    Err(e) => {
                        drop(_screen);
                        eprintln!("{program}: {e}");
                        return 1;
                    }
                },
                Ok(false) => {}
                Err(e) => {
                    drop(_screen);
                    eprintln!("{program}: {e}");
                    return 1;
                }
            }
        }
        if refresh {
            let now = Instant::now();
            match read(ctx.kernel, a.only.as_ref()) {
                Ok(t) => {
                    let secs = now.duration_since(last).as_secs_f64();
                    v.set_rows(tracker.update(&t, Some(secs), &health()));
                    v.error = None;
                }
                Err(e) => v.error = Some(e),
            }
            last = now;
            dirty = true;
        }
    }
}

#[cfg(test)]
mod tests;
