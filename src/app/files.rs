//! `--check FILE` and `--apply FILE`: read the rule file, check it, plan
//! against the live table, apply, and report with exit statuses.

use super::Ctx;
use crate::apply::render::plural;
use crate::apply::*;
use crate::cli::rules::{parse_rules, parse_scope};
use crate::cli::ApplyArgs;
use crate::model::*;
use crate::netlink::{ipvs_strerror, Op, Request};
use std::io::{Read, Write};

/// Read a rule file (`-` is standard input).
fn read_file(file: &str) -> Result<String, String> {
    let mut buf = Vec::new();
    let r = if file == "-" {
        std::io::stdin().lock().read_to_end(&mut buf).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut buf).map(|_| ()))
    };
    r.map_err(|e| format!("cannot read {file}: {e}"))?;
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Print problems as `FILE:LINE: message` and a count line.
fn report(file: &str, problems: &[Problem]) {
    for p in problems {
        eprintln!("{file}:{}: {}", p.line, p.msg);
    }
    eprintln!("{file}: {}", plural(problems.len(), "problem"));
}

/// Read and check; prints every problem as `FILE:LINE: message`.
pub(crate) fn load(program: &str, file: &str) -> Result<Vec<Wanted>, i32> {
    let text = read_file(file).map_err(|e| {
        eprintln!("{program}: {e}");
        2
    })?;
    let (wanted, problems) = parse_rules(&text);
    if problems.is_empty() {
        return Ok(wanted);
    }
    report(file, &problems);
    Err(1)
}

/// How `--apply` names its input in messages.
fn input_name(file: &str) -> String {
    if file == "-" {
        "standard input".into()
    } else {
        file.into()
    }
}

/// `--check FILE`: exit status 0 when clean, 1 with problems, 2 when the
/// file cannot be read. Needs no kernel. A file without services is clean
/// but gets a warning (`--apply` refuses it without `--allow-empty`).
pub fn run_check<W: Write>(program: &str, file: &str, out: &mut W) -> i32 {
    match load(program, file) {
        Ok(wanted) => {
            let dests: usize = wanted.iter().map(|w| w.dests.len()).sum();
            let _ = writeln!(
                out,
                "{file}: OK, {}, {}",
                plural(wanted.len(), "service"),
                plural(dests, "destination")
            );
            if wanted.is_empty() {
                let _ = out.flush();
                eprintln!(
                    "{file}: warning: no services: --apply refuses an empty rule set \
                     (it would delete every service) unless given --allow-empty"
                );
            }
            0
        }
        Err(code) => code,
    }
}

/// How many requests go to the kernel in one pipelined batch.
const BATCH: usize = 4096;

/// The safety options of `--apply`, checked.
struct Safety {
    scopes: Vec<Scope>,
    max_delete: Option<u32>,
}

fn safety(a: &ApplyArgs) -> Result<Safety, String> {
    let scopes = a
        .scope
        .iter()
        .map(|s| parse_scope(s))
        .collect::<Result<Vec<_>, _>>()?;
    let max_delete = match (&a.max_delete, a.force) {
        (_, true) => None,
        (Some(v), false) => Some(parse_max_delete(v)?),
        (None, false) => Some(DEFAULT_MAX_DELETE),
    };
    if a.force {
        if let Some(v) = &a.max_delete {
            parse_max_delete(v)?;
        }
    }
    Ok(Safety { scopes, max_delete })
}

/// `--apply FILE`: exit status 0 when the table now matches, 1 when the
/// file fails the check, a safety rule refuses it (nothing is changed) or
/// the kernel refused a change, 2 when the file cannot be read or an
/// option value is invalid.
pub fn run_apply<W: Write>(ctx: &mut Ctx<'_>, a: &ApplyArgs, out: &mut W) -> i32 {
    run_apply_draining(ctx, a, None, out)
}

/// [`run_apply`]; with `drain`, the real servers and services the file
/// removes are drained first (`--drain`).
pub fn run_apply_draining<W: Write>(
    ctx: &mut Ctx<'_>,
    a: &ApplyArgs,
    drain: Option<super::drain::Settings>,
    out: &mut W,
) -> i32 {
    let rules = match safety(a) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{}: {e}", ctx.program);
            return 2;
        }
    };
    let wanted = match load(&ctx.program, &a.file) {
        Ok(w) => w,
        Err(code) => return code,
    };
    let outside = scope_problems(&wanted, &rules.scopes);
    if !outside.is_empty() {
        report(&a.file, &outside);
        return 1;
    }
    if wanted.is_empty() && !a.allow_empty {
        eprintln!(
            "{}: {}: no services: refusing to apply an empty rule set, which would delete \
             every live service{}; give --allow-empty if that is what you want",
            ctx.program,
            input_name(&a.file),
            if rules.scopes.is_empty() {
                ""
            } else {
                " in scope"
            }
        );
        return 1;
    }
    let services = match ctx.kernel.services() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}", ipvs_strerror(Op::GetServices, e.errno()));
            return 1;
        }
    };
    let services: Vec<Service> = services
        .into_iter()
        .filter(|s| in_scope(&rules.scopes, s))
        .collect();
    let dests = match ctx.kernel.dests_many(&services) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}", ipvs_strerror(Op::GetDests, e.errno()));
            return 1;
        }
    };
    let live: Vec<(Service, Vec<Dest>)> = services.into_iter().zip(dests).collect();
    let changes = plan(&wanted, &live);
    let refused = rules
        .max_delete
        .and_then(|max| guard(&changes, live.len(), max).err());
    if a.dry_run {
        for c in &changes {
            let _ = writeln!(out, "{}", c.command_line());
        }
    }
    if a.dry_run || refused.is_some() {
        let _ = out.flush();
        eprint!("{}", summary(&changes, &live, true));
    }
    if let Some(why) = refused {
        eprintln!("{}: {why}", ctx.program);
        return 1;
    }
    if a.dry_run {
        return 0;
    }
    if let Some(set) = drain {
        return super::drain::apply_planned(&ctx.program, ctx.kernel, a, &changes, &live, set, out);
    }
    let mut done = Vec::with_capacity(changes.len());
    let mut failed = 0;
    for chunk in changes.chunks(BATCH) {
        let (reqs, ops): (Vec<Request>, Vec<Op>) = chunk.iter().map(Change::request).unzip();
        let results = ctx.kernel.execute_batch(&reqs);
        for ((c, op), r) in chunk.iter().zip(ops).zip(results) {
            if a.verbose {
                let _ = writeln!(out, "{}", c.command_line());
            }
            match r {
                Ok(_) => done.push(c.clone()),
                Err(e) => {
                    let _ = out.flush();
                    eprintln!("{}: {}", c.command_line(), ipvs_strerror(op, e.errno()));
                    failed += 1;
                }
            }
        }
    }
    let _ = write!(out, "{}", summary(&done, &live, false));
    if failed > 0 {
        let _ = out.flush();
        eprintln!(
            "{}: {failed} of {} planned changes failed",
            ctx.program,
            changes.len()
        );
        return 1;
    }
    0
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
