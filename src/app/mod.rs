//! The command-line program: argv in, bytes and an exit status out.
//!
//! * this module: the process entry ([`main_entry`]), the `ipvsadm-save` /
//!   `ipvsadm-restore` entry points, the options that act before the
//!   kernel is opened (`--netns`, `--check`);
//! * [`run`]: the one place that runs a parsed command against a
//!   [`Kernel`](lvs::kernel::Kernel), with ipvsadm's exit statuses;
//! * [`listing`]: `-L`, `-S`, `-L -c`, `-j`;
//! * [`restore`]: `-R`, pipelined;
//! * [`files`]: `--check` and `--apply` (the plans are [`crate::apply`]'s).

mod ctx;
pub mod doctor;
pub mod drain;
pub mod files;
pub mod hold;
pub(crate) mod http;
pub mod listing;
pub mod lock;
pub mod metrics;
pub mod ops;
pub mod restore;
pub mod run;
pub mod settings;
pub mod supervise;
pub mod top;

pub use ctx::{Ctx, Exit};
pub use run::process;

use crate::cli::{self, Format, Outcome};
use crate::stdio::{stdout_buffering, CStdio};
use listing::list_all;
use lvs::netlink::{ipvs_strerror, Ipvs, Op};
use restore::restore_from;
use std::io::{self, Read, Write};

/// Process entry point; returns the exit status.
///
/// Invoked as `ipvsadm-save` or `ipvsadm-restore` (a symlink or a copy),
/// behaves like Debian's wrapper scripts of those names.
pub fn main_entry() -> i32 {
    lvs::process::default_sigpipe();
    let argv: Vec<String> = std::env::args_os()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let program = argv.first().cloned().unwrap_or_else(|| "lvsadm".into());
    let base = program[program
        .bytes()
        .rposition(|b| b == b'/')
        .map_or(0, |i| i + 1)..]
        .to_string();

    let wrapper = if let Some(tool) = base.strip_suffix("-save") {
        Some((Wrapper::Save, tool.to_string()))
    } else {
        base.strip_suffix("-restore")
            .map(|tool| (Wrapper::Restore, tool.to_string()))
    };
    // The plain ipvsadm command lines of scripts (`-C`, `-R`, numeric `-A`
    // and `-a` lines) carry none of lvsadm's options: run them without
    // the extensions' parsers below, which would all pass them on.
    if wrapper.is_none() {
        if let Some(p) = cli::fast::parse_plain(&argv[1..]) {
            return run_plain(program, &base, &p);
        }
    }
    if let Some((Wrapper::Save, _)) = &wrapper {
        // The script checks its arguments before running anything.
        for a in &argv[1..] {
            if a != "-n" && a.starts_with('-') {
                eprintln!("{base}: Script to save the IPVS table to stdout.");
                eprintln!("   With the -n option, prints out the table in numeric format.");
                return 1;
            }
        }
    }
    // lvsadm extensions that act before the kernel is opened: `--netns`
    // (the socket must belong to the namespace) and `--check` (needs no
    // kernel). Command lines ipvsadm accepts contain neither.
    let mut argv = argv;
    if wrapper.is_none() {
        match early_options(&program, &argv[1..]) {
            Ok(rest) => argv.splice(1.., rest).for_each(drop),
            Err(code) => return code,
        }
    }
    // One writer at a time (`--apply`, `-R`, ipvsadm-restore): the lock of
    // this network namespace, held until the process ends.
    let writer = match &wrapper {
        Some((Wrapper::Restore, _)) => Some((lock::DEFAULT_WAIT, false)),
        Some(_) => None,
        None => match writer_wait(&program, &mut argv) {
            Ok(w) => w,
            Err(code) => return code,
        },
    };
    let restore_input = if let Some((Wrapper::Restore, _)) = &wrapper {
        let mut input = Vec::new();
        let _ = io::stdin().lock().read_to_end(&mut input);
        Some(input)
    } else {
        None
    };

    if wrapper.is_none() {
        if let Err(e) = rule_file_first(&argv[1..]) {
            eprintln!("{program}: {e}");
            return 2;
        }
    }
    let _lock = match writer {
        Some((wait, verbose)) => match take_lock(&program, wait, verbose) {
            Ok(l) => l,
            Err(code) => return code,
        },
        None => None,
    };
    if wrapper.is_none() {
        if let Some(code) = doctor::early(&program, &argv[1..]) {
            return code;
        }
    }
    let mut ipvs = match open_kernel() {
        Ok(i) => i,
        Err(code) => return code,
    };
    let program = match &wrapper {
        // The wrapper scripts call the tool by its plain name.
        Some((_, tool)) => tool.clone(),
        None => program,
    };
    let mut ctx = Ctx {
        kernel: &mut ipvs,
        program,
    };
    // Buffered like C stdio, so that stdout and stderr interleave as
    // ipvsadm's do when they share a file or pipe.
    let mut out = CStdio::new(io::stdout().lock(), stdout_buffering());

    let code = match wrapper {
        Some((Wrapper::Save, _)) => {
            let numeric = argv[1..].iter().any(|a| a == "-n");
            let mut args = vec!["-S".to_string()];
            if numeric {
                args.push("-n".into());
            }
            status(process(&mut ctx, &args, false, &mut out))
        }
        Some((Wrapper::Restore, _)) => {
            let input = restore_input.unwrap_or_default();
            let kept: Vec<u8> = input
                .split(|b| *b == b'\n')
                .filter(|l| !l.starts_with(b"#"))
                .flat_map(|l| l.iter().copied().chain(std::iter::once(b'\n')))
                .collect();
            let _ = status(process(&mut ctx, &["-C".to_string()], false, &mut out));
            status(restore_from(&mut ctx, &kept, &mut out))
        }
        None if argv.len() == 1 => {
            // No arguments at all: like -L, with names resolved.
            status(list_all(&mut ctx, &Format::default(), false, &mut out).map(|_| 0))
        }
        None => match extension(&mut ctx, &argv[1..], &mut out) {
            Some(code) => code,
            None => status(process(&mut ctx, &argv[1..], false, &mut out)),
        },
    };
    crate::stdio::finish(&mut out, &base).map_or_else(|c| c, |()| code)
}

/// A command line [`cli::fast::parse_plain`] read: what the general path
/// does with it (no extension takes it; `-R` holds the writer's lock),
/// without the parsers that would pass it on.
fn run_plain(program: String, base: &str, p: &cli::Parsed) -> i32 {
    let _lock = if p.cmd == cli::Cmd::Restore {
        match take_lock(&program, lock::DEFAULT_WAIT, false) {
            Ok(l) => l,
            Err(code) => return code,
        }
    } else {
        None
    };
    let mut ipvs = match open_kernel() {
        Ok(i) => i,
        Err(code) => return code,
    };
    let mut ctx = Ctx {
        kernel: &mut ipvs,
        program,
    };
    let mut out = CStdio::new(io::stdout().lock(), stdout_buffering());
    let code = status(run::run(&mut ctx, p, false, &mut out));
    crate::stdio::finish(&mut out, base).map_or_else(|c| c, |()| code)
}

/// The exit status of a run (ipvsadm's: the low byte).
fn status(r: Result<i32, Exit>) -> i32 {
    match r {
        Ok(r) => r & 0xff,
        Err(Exit(c)) => c & 0xff,
    }
}

/// The writer's lock of this network namespace; `Err` is the exit status
/// when it could not be had.
fn take_lock(program: &str, wait: u64, verbose: bool) -> Result<Option<lock::WriterLock>, i32> {
    lock::acquire(program, wait, verbose).map_err(|e| {
        eprintln!("{program}: {e}");
        lock::TIMED_OUT
    })
}

/// [`init`], with ipvsadm's message and exit status when it fails.
fn open_kernel() -> Result<Ipvs, i32> {
    init().map_err(|errno| {
        eprintln!(
            "Can't initialize ipvs: {}\nAre you sure that IP Virtual Server is built in the kernel or as module?",
            ipvs_strerror(Op::Other, errno)
        );
        2
    })
}

/// lvsadm's own commands, which ipvsadm's grammar does not have (`--top`,
/// `--supervise`, `-L --health-status`, `--sysctl`, `--doctor`, then the
/// ones of `ops`: `--apply`, `--drain`, `--metrics`...), tried in this
/// order; `None`: the command line is ipvsadm's.
fn extension<W: Write>(ctx: &mut Ctx, args: &[String], out: &mut W) -> Option<i32> {
    fn failed(program: &str, msg: String) -> i32 {
        eprintln!("{program}: {msg}");
        2
    }
    if let Some(r) = top::parse(args) {
        return Some(match r {
            Ok(a) => top::run(ctx, &a),
            Err(msg) => failed(&ctx.program, msg),
        });
    }
    if let Some(r) = supervise::run::parse(args) {
        return Some(match r {
            Ok(a) => supervise::run::run(ctx, &a),
            Err(msg) => failed(&ctx.program, msg),
        });
    }
    if let Some(r) = supervise::status::parse(args) {
        return Some(match r {
            Ok(a) => supervise::status::run(&ctx.program, &a, out),
            Err(msg) => failed(&ctx.program, msg),
        });
    }
    settings::dispatch(ctx, args, out)
        .or_else(|| doctor::dispatch(ctx, args, out))
        .or_else(|| ops::dispatch(ctx, args, out))
}

/// `--netns` (entered now, removed from the command line) and `--check`
/// (run now); `Err` is the exit status of a finished run.
fn early_options(program: &str, args: &[String]) -> Result<Vec<String>, i32> {
    // `--help-extensions` and `--generate KIND`, as the first argument only.
    if let Some(code) = cli::generate::early(program, args) {
        return Err(code);
    }
    let (names, rest) = cli::split_netns(args);
    enter_netns(&names).map_err(|e| {
        eprintln!("{program}: {e:#}");
        2
    })?;
    if rest
        .iter()
        .any(|a| a == "--check" || a.starts_with("--check="))
    {
        // `-j`/`--json` (before or after): the problems as JSON
        let json = rest.iter().any(|a| a == "-j" || a == "--json");
        let words: Vec<String> = rest
            .iter()
            .filter(|a| *a != "-j" && *a != "--json")
            .cloned()
            .collect();
        if let Ok(Outcome::Check(file)) = cli::parse(&words) {
            let mut out = io::stdout().lock();
            let code = if json {
                files::run_check_json(&file, &mut out)
            } else {
                files::run_check(program, &file, &mut out)
            };
            let _ = out.flush();
            return Err(code);
        }
    }
    Ok(rest)
}

/// Whether the command line changes the table as a whole (`--apply`
/// without `--dry-run`, `-R`), and then how long it waits for the lock
/// and whether it is verbose. Takes `--wait SECS` off such a command line
/// (other commands keep it, and their parser refuses it).
fn writer_wait(program: &str, argv: &mut Vec<String>) -> Result<Option<(u64, bool)>, i32> {
    if let Some(msg) = wait_without_value(&argv[1..]) {
        eprintln!("{program}: {msg}");
        return Err(2);
    }
    let (waits, rest) = cli::split_long(&argv[1..], "wait");
    let writer = match cli::parse(&rest) {
        Ok(Outcome::Apply(a)) if !a.dry_run => Some(a.verbose),
        Ok(Outcome::Apply(_)) => None,
        Ok(Outcome::Run(p)) if p.cmd == cli::Cmd::Restore => Some(false),
        _ => return Ok(None),
    };
    let wait = match waits.last() {
        None => lock::DEFAULT_WAIT,
        Some(v) => lock::parse_wait(v).map_err(|e| {
            eprintln!("{program}: {e}");
            2
        })?,
    };
    argv.splice(1.., rest).for_each(drop);
    Ok(writer.map(|verbose| (wait, verbose)))
}

/// `--apply FILE` and `--supervise FILE`: the file must open before the
/// lock is taken and the kernel opened (on a host without IPVS a missing
/// file would otherwise be reported as the missing kernel module). Other
/// command lines pass.
fn rule_file_first(args: &[String]) -> Result<(), String> {
    let file = match cli::parse(args) {
        Ok(Outcome::Apply(a)) => a.file,
        _ => match supervise::run::parse(args) {
            Some(Ok(a)) => a.file,
            _ => return Ok(()),
        },
    };
    files::openable(&file)
}

/// The message for a `--wait` that ends the command line without its
/// value (the walk over an ipvsadm command line never meets one).
fn wait_without_value(args: &[String]) -> Option<String> {
    let mut w = cli::popt::Walker::new(args);
    while let Some(ev) = w.next_opt() {
        if let Err(cli::popt::PoptError::MissingArgument(word)) = ev {
            if word == "--wait" {
                return Some(format!(
                    "--wait needs a value: --wait SECS (seconds, 0 to 86400; {} when not given)",
                    lock::DEFAULT_WAIT
                ));
            }
            return None;
        }
    }
    None
}

/// `--netns NAME`: move the process into that namespace before anything
/// else is opened. Errors carry their context to the program's edge.
fn enter_netns(names: &[String]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    match names {
        [] => Ok(()),
        [name] if name.is_empty() => anyhow::bail!("--netns needs a namespace name"),
        [name] => {
            let path = lvs::netns::path_of(name);
            lvs::netns::enter(&path).with_context(|| {
                format!(
                    "cannot enter network namespace \"{name}\" ({})",
                    path.display()
                )
            })?;
            let _ = ctx::NETNS.set(name.clone());
            Ok(())
        }
        _ => anyhow::bail!("--netns given more than once"),
    }
}

enum Wrapper {
    Save,
    Restore,
}

/// Open the kernel interface; on failure load the module the way ipvsadm
/// does (`/sbin/modprobe -- ip_vs`) and try once more.
fn init() -> Result<Ipvs, i32> {
    match Ipvs::open() {
        Ok(i) => Ok(i),
        Err(first) => {
            let loaded = std::process::Command::new("/sbin/modprobe")
                .args(["--", "ip_vs"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !loaded {
                return Err(first.errno());
            }
            Ipvs::open().map_err(|e| e.errno())
        }
    }
}

#[cfg(test)]
mod tests;
