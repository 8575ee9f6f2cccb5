//! The one place that runs a parsed command line against a kernel handle,
//! with ipvsadm's messages and exit statuses.

use super::listing::{list_all, list_connections, list_json, list_service};
use super::restore::restore;
use crate::cli::{self, CliError, Cmd, Outcome, Parsed};
use crate::format;
use lvs::netlink::{Op, Request};
use std::io::Write;

use super::ctx::{print_kernel_error, Ctx, Exit};

/// ipvsadm's `process_options`: parse, check and run one command line.
///
/// `Ok(0)` on success, `Ok(-1)` when the kernel refused the request or popt
/// failed on a later option (ipvsadm goes on with the next line of a
/// restore); `Err(Exit(code))` where ipvsadm calls `exit()` (parse errors,
/// listing failures, `-h`...), which also ends a restore.
pub fn process<W: Write>(
    ctx: &mut Ctx<'_>,
    args: &[String],
    reading_stdin: bool,
    out: &mut W,
) -> Result<i32, Exit> {
    let parsed = match cli::parse(args) {
        Ok(Outcome::Run(p)) => *p,
        Ok(Outcome::Help) => {
            let _ = out.write_all(cli::usage::usage(&ctx.program).as_bytes());
            return Err(Exit(0));
        }
        Ok(Outcome::Version) => {
            let _ = out.write_all(cli::usage::VERSION.as_bytes());
            return Err(Exit(0));
        }
        Ok(Outcome::Apply(a)) => return Ok(super::files::run_apply(ctx, &a, out)),
        Ok(Outcome::Check(file)) => return Ok(super::files::run_check(&ctx.program, &file, out)),
        Err(CliError::TryHelp) => {
            try_help(&ctx.program);
            return Err(Exit(255));
        }
        Err(CliError::Fatal { code, msg }) => {
            eprintln!("{msg}");
            return Err(Exit(code));
        }
        Err(CliError::Popt(msg)) => {
            eprintln!("{msg}");
            return Ok(-1);
        }
    };
    run(ctx, &parsed, reading_stdin, out)
}

pub(crate) fn try_help(program: &str) {
    eprintln!("Try `{program} -h' or '{program} --help' for more information.");
}

/// The kernel request of a set command, with the operation that decides the
/// wording of its error message.
pub fn request_of(p: &Parsed) -> Option<(Request, Op)> {
    request_from(p.clone())
}

/// [`request_of`], consuming the parsed line (no copies).
pub fn request_from(p: Parsed) -> Option<(Request, Op)> {
    let svc = p.svc;
    Some(match p.cmd {
        Cmd::Flush => (Request::Flush, Op::Other),
        Cmd::AddService => (Request::NewService(svc), Op::AddService),
        Cmd::EditService => (Request::SetService(svc), Op::EditService),
        Cmd::DelService => (Request::DelService(svc.key()), Op::DelService),
        Cmd::Zero => {
            let keyless = svc.fwmark == 0 && svc.addr.is_unspecified() && svc.port == 0;
            (
                Request::Zero(if keyless { None } else { Some(svc.key()) }),
                Op::ZeroService,
            )
        }
        Cmd::AddDest => (Request::NewDest(svc.key(), p.dest), Op::AddDest),
        Cmd::EditDest => (Request::SetDest(svc.key(), p.dest), Op::EditDest),
        Cmd::DelDest => (Request::DelDest(svc.key(), p.dest), Op::DelDest),
        Cmd::SetTimeout => (Request::SetConfig(p.timeouts), Op::Other),
        Cmd::StartDaemon => (Request::NewDaemon(p.daemon), Op::StartDaemon),
        Cmd::StopDaemon => (Request::DelDaemon(p.daemon), Op::StopDaemon),
        Cmd::List | Cmd::Save | Cmd::Restore => return None,
    })
}

pub(crate) fn run<W: Write>(
    ctx: &mut Ctx<'_>,
    p: &Parsed,
    reading_stdin: bool,
    out: &mut W,
) -> Result<i32, Exit> {
    match p.cmd {
        Cmd::List if p.format.json => {
            list_json(ctx, p, out)?;
            Ok(0)
        }
        Cmd::List => {
            if p.has(cli::Opt::Connection) {
                list_connections(ctx, &p.format, p.has(cli::Opt::PersistentConn), out)?;
            } else if p.has(cli::Opt::Service) {
                list_service(ctx, &p.svc, &p.format, out)?;
            } else if p.has(cli::Opt::Timeout) {
                let t = ctx.kernel.timeouts().map_err(|_| Exit(1))?;
                let _ = format::write_timeouts(out, &t);
            } else if p.has(cli::Opt::Daemon) {
                let d = ctx.kernel.daemons().map_err(|_| Exit(1))?;
                let _ = format::write_daemons(out, &d);
            } else {
                list_all(ctx, &p.format, false, out)?;
            }
            Ok(0)
        }
        Cmd::Save => {
            list_all(ctx, &p.format, true, out)?;
            Ok(0)
        }
        Cmd::Restore => {
            if reading_stdin {
                try_help(&ctx.program);
                return Err(Exit(255));
            }
            restore(ctx, out)
        }
        _ => {
            let (req, op) = request_of(p).expect("set command");
            match ctx.kernel.execute(&req) {
                Ok(()) => Ok(0),
                Err(e) => {
                    print_kernel_error(op, e.errno());
                    Ok(-1)
                }
            }
        }
    }
}

/// `-S` of the services `keep` accepts (`-S --scope SPEC`, from
/// [`super::ops`]).
pub fn save_some<W: Write>(
    ctx: &mut Ctx<'_>,
    f: &cli::Format,
    keep: &dyn Fn(&lvs::model::Service) -> bool,
    out: &mut W,
) -> Result<(), Exit> {
    super::listing::list_some(ctx, f, true, keep, out)
}
