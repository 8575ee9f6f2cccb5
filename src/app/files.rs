//! `--check FILE` and `--apply FILE`: read the rule file, check it, plan
//! against the live table, apply, and report with exit statuses.

use super::ctx::Ctx;
use crate::apply::health::HealthLines;
use crate::apply::render::plural;
use crate::apply::*;
use crate::cli::rules::{parse_rules, parse_rules_health, parse_scope};
use crate::cli::settings::{parse_settings, FileSettings};
use crate::cli::ApplyArgs;
use lvs::model::*;
use lvs::netlink::{ipvs_strerror, Op, Request};
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

/// Whether the rule file can be opened (`-`, standard input, always
/// can); the error is [`read_file`]'s. Checked before the kernel is
/// opened, so that a wrong FILE is reported as such on any host.
pub(crate) fn openable(file: &str) -> Result<(), String> {
    if file == "-" {
        return Ok(());
    }
    std::fs::File::open(file)
        .map(drop)
        .map_err(|e| format!("cannot read {file}: {e}"))
}

/// Print problems as `FILE:LINE: message` and a count line.
fn report(file: &str, problems: &[Problem]) {
    for p in problems {
        eprintln!("{file}:{}: {}", p.line, p.msg);
    }
    eprintln!("{file}: {}", plural(problems.len(), "problem"));
}

/// Read and check; prints every problem as `FILE:LINE: message`. The
/// health options of the file's lines come with the services, and the
/// settings lines (`--set`, `--sysctl`).
fn load_all(program: &str, file: &str) -> Result<(Vec<Wanted>, HealthLines, FileSettings), i32> {
    let text = read_file(file).map_err(|e| {
        eprintln!("{program}: {e}");
        2
    })?;
    let (wanted, mut problems, health) = parse_rules_health(&text);
    let (settings, more) = parse_settings(&text);
    if !more.is_empty() {
        problems.extend(more);
        problems.sort_by_key(|p| p.line);
    }
    if problems.is_empty() {
        return Ok((wanted, health, settings));
    }
    report(file, &problems);
    Err(1)
}

/// The services with their health options, and the settings lines, for
/// `--supervise`.
pub(crate) fn load_supervised(
    program: &str,
    file: &str,
) -> Result<(Vec<Wanted>, HealthLines, FileSettings), i32> {
    load_all(program, file)
}

/// The settings a supervised file made: the command lines (for the log),
/// and how to put them back when the file's table is refused.
pub(crate) struct MadeSettings {
    /// `--set ...` and `--sysctl NAME=VALUE` lines, as made.
    pub lines: Vec<String>,
    undo: Vec<SetChange>,
    sys: Option<lvs::sysctl::Sysctls>,
}

impl MadeSettings {
    /// Put back the values from before; a message on failure.
    pub(crate) fn undo(&self, ctx: &mut Ctx<'_>) -> Result<(), String> {
        let mut sink = Vec::new();
        make_settings(ctx, &self.undo, self.sys.as_ref(), false, &mut sink)
    }
}

/// `--supervise`'s use of a file's `--set` and `--sysctl` lines: what
/// `--apply` does with them, only what differs from the live values, all
/// or nothing. A setting this kernel lacks is printed as `FILE:LINE:
/// message`; the error says what failed.
pub(crate) fn apply_settings(
    ctx: &mut Ctx<'_>,
    file: &str,
    fs: &FileSettings,
) -> Result<MadeSettings, String> {
    if fs.is_empty() {
        return Ok(MadeSettings {
            lines: Vec::new(),
            undo: Vec::new(),
            sys: None,
        });
    }
    let (plan, sys) = settings_plan(ctx, &input_name(file), fs)
        .map_err(|_| "the settings lines have problems (above)".to_string())?;
    let mut sink = Vec::new();
    make_settings(ctx, &plan, sys.as_ref(), false, &mut sink)
        .map_err(|e| format!("the settings were refused: {e}"))?;
    let undo = plan
        .iter()
        .map(|c| match c {
            SetChange::Timeouts(t, old) => SetChange::Timeouts(*old, *t),
            SetChange::Sysctl(n, v, old) => SetChange::Sysctl(n.clone(), old.clone(), v.clone()),
        })
        .collect();
    Ok(MadeSettings {
        lines: plan.iter().map(|c| c.command_line()).collect(),
        undo,
        sys,
    })
}

/// A settings change of `--apply`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SetChange {
    /// `--set`: the timeouts to set, and those before.
    Timeouts(Timeouts, Timeouts),
    /// `--sysctl NAME=VALUE`: name, value, the value before.
    Sysctl(String, String, String),
}

impl SetChange {
    fn command_line(&self) -> String {
        match self {
            SetChange::Timeouts(t, _) => crate::cli::settings::set_line(t),
            SetChange::Sysctl(n, v, _) => crate::cli::settings::sysctl_line(n, v),
        }
    }
}

/// The settings changes `fs` asks for: only what differs from the live
/// values. An error (`FILE:LINE: ...` lines printed) when a setting is not
/// in this kernel.
fn settings_plan(
    ctx: &mut Ctx<'_>,
    file: &str,
    fs: &FileSettings,
) -> Result<(Vec<SetChange>, Option<lvs::sysctl::Sysctls>), i32> {
    let mut plan = Vec::new();
    if let Some((t, _)) = fs.timeouts {
        let live = ctx.kernel.timeouts().map_err(|e| {
            eprintln!(
                "{}: reading the timeouts: {}",
                ctx.program,
                ipvs_strerror(Op::Other, e.errno())
            );
            1
        })?;
        let pick = |want: std::time::Duration, have| if want.is_zero() { have } else { want };
        let want = Timeouts {
            tcp: pick(t.tcp, live.tcp),
            tcp_fin: pick(t.tcp_fin, live.tcp_fin),
            udp: pick(t.udp, live.udp),
        };
        if want != live {
            plan.push(SetChange::Timeouts(want, live));
        }
    }
    if fs.sysctls.is_empty() {
        return Ok((plan, None));
    }
    let sys = super::settings::open().map_err(|e| {
        eprintln!("{}: {e}", ctx.program);
        1
    })?;
    let mut problems = Vec::new();
    for (name, value, line) in &fs.sysctls {
        match sys
            .validate(name, value)
            .and_then(|v| Ok((v, sys.get(name)?.value)))
        {
            Ok((v, old)) if v != old => plan.push(SetChange::Sysctl(name.clone(), v, old)),
            Ok(_) => {}
            Err(e) => problems.push(Problem {
                line: *line,
                msg: e.to_string(),
            }),
        }
    }
    if !problems.is_empty() {
        report(file, &problems);
        return Err(1);
    }
    Ok((plan, Some(sys)))
}

/// Make the settings changes, all or nothing; a message on failure.
fn make_settings<W: Write>(
    ctx: &mut Ctx<'_>,
    plan: &[SetChange],
    sys: Option<&lvs::sysctl::Sysctls>,
    verbose: bool,
    out: &mut W,
) -> Result<(), String> {
    let mut old_t = None;
    for c in plan {
        if let SetChange::Timeouts(t, old) = c {
            ctx.kernel.execute(&Request::SetConfig(*t)).map_err(|e| {
                format!(
                    "{}: {}",
                    c.command_line(),
                    ipvs_strerror(Op::Other, e.errno())
                )
            })?;
            old_t = Some(*old);
        }
    }
    let wanted: Vec<(String, String)> = plan
        .iter()
        .filter_map(|c| match c {
            SetChange::Sysctl(n, v, _) => Some((n.clone(), v.clone())),
            _ => None,
        })
        .collect();
    if let (Some(sys), false) = (sys, wanted.is_empty()) {
        if let Err(e) = sys.set(&wanted) {
            if let Some(t) = old_t {
                let _ = ctx.kernel.execute(&Request::SetConfig(t));
            }
            return Err(e.to_string());
        }
    }
    if verbose {
        for c in plan {
            let _ = writeln!(out, "{}", c.command_line());
        }
    }
    Ok(())
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
    match load_all(program, file) {
        Ok((wanted, health, fs)) => {
            let dests: usize = wanted.iter().map(|w| w.dests.len()).sum();
            let checked = if health.any() {
                format!(", {} health-checked", health.checked(&wanted))
            } else {
                String::new()
            };
            let n = usize::from(fs.timeouts.is_some()) + fs.sysctls.len();
            let settings = if n > 0 {
                format!(", {}", plural(n, "setting"))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "{file}: OK, {}, {}{checked}{settings}",
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

/// `--check FILE -j`: the outcome as one JSON object on stdout, for CI
/// pipelines; the exit status is `--check`'s. `error` is set when the file
/// cannot be read (status 2); `problems` lists every problem with its line;
/// `warnings` the notes a clean file can get (no services).
///
/// ```json
/// {"file":"a.rules","ok":false,"services":1,"destinations":0,
///  "problems":[{"line":2,"message":"..."}],"warnings":[]}
/// ```
pub fn run_check_json<W: Write>(file: &str, out: &mut W) -> i32 {
    let (code, value) = match read_file(file) {
        Err(e) => (
            2,
            serde_json::json!({
                "file": file, "ok": false, "error": e,
                "problems": [], "warnings": [],
            }),
        ),
        Ok(text) => {
            let (wanted, mut problems) = parse_rules(&text);
            let (_, more) = parse_settings(&text);
            if !more.is_empty() {
                problems.extend(more);
                problems.sort_by_key(|p| p.line);
            }
            let dests: usize = wanted.iter().map(|w| w.dests.len()).sum();
            let ok = problems.is_empty();
            let mut warnings = Vec::new();
            if ok && wanted.is_empty() {
                warnings.push(
                    "no services: --apply refuses an empty rule set (it would delete every \
                     service) unless given --allow-empty",
                );
            }
            let problems: Vec<serde_json::Value> = problems
                .iter()
                .map(|p| serde_json::json!({"line": p.line, "message": p.msg}))
                .collect();
            (
                if ok { 0 } else { 1 },
                serde_json::json!({
                    "file": file, "ok": ok,
                    "services": if ok { wanted.len() } else { 0 },
                    "destinations": if ok { dests } else { 0 },
                    "problems": problems, "warnings": warnings,
                }),
            )
        }
    };
    let text = format!("{value}\n");
    match out.write_all(text.as_bytes()) {
        Ok(()) => code,
        Err(_) => 1,
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
    let (wanted, file_settings) = match load_all(&ctx.program, &a.file) {
        Ok((w, health, fs)) => {
            if health.any() {
                eprintln!(
                    "{}: note: health options are used by --supervise only; \
                     --apply sets the table as written",
                    input_name(&a.file)
                );
            }
            (w, fs)
        }
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
    let dests = match ctx.kernel.dests_many(&ServiceKey::of_each(&services)) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("{}", ipvs_strerror(Op::GetDests, e.errno()));
            return 1;
        }
    };
    let live: Vec<(Service, Vec<Dest>)> = services.into_iter().zip(dests).collect();
    let changes = plan(&wanted, &live);
    // The plan holds what is still needed of the file's rules.
    drop(wanted);
    let refused = rules
        .max_delete
        .and_then(|max| guard(&changes, live.len(), max).err());
    // the settings lines: global, so left out of a scoped run
    let (set_plan, sys) = if file_settings.is_empty() {
        (Vec::new(), None)
    } else if !rules.scopes.is_empty() {
        eprintln!(
            "{}: note: with --scope the --set and --sysctl lines of {} are left out (they are not per service)",
            ctx.program,
            input_name(&a.file)
        );
        (Vec::new(), None)
    } else {
        match settings_plan(ctx, &input_name(&a.file), &file_settings) {
            Ok(p) => p,
            Err(code) => return code,
        }
    };
    if a.dry_run {
        for c in &set_plan {
            let _ = writeln!(out, "{}", c.command_line());
        }
        for c in &changes {
            let _ = writeln!(out, "{}", c.command_line());
        }
    }
    if a.dry_run || refused.is_some() {
        let _ = out.flush();
        eprint!(
            "{}",
            plan_report(&ctx.program, &changes, &live, a.dry_run, refused.as_deref())
        );
    }
    if refused.is_some() {
        return 1;
    }
    if a.dry_run {
        return 0;
    }
    if !set_plan.is_empty() {
        if let Err(e) = make_settings(ctx, &set_plan, sys.as_ref(), a.verbose, out) {
            let _ = out.flush();
            eprintln!("{}: {e}; nothing changed", ctx.program);
            return 1;
        }
    }
    if let Some(set) = drain {
        return super::drain::apply_planned(&ctx.program, ctx.kernel, a, &changes, &live, set, out);
    }
    lvs::process::signals::catch();
    let code = make_changes(ctx, a, &changes, &live, out);
    lvs::process::signals::release();
    if code != 0 && !set_plan.is_empty() {
        // the table was rolled back: so are the settings
        let undo: Vec<SetChange> = set_plan
            .iter()
            .map(|c| match c {
                SetChange::Timeouts(t, old) => SetChange::Timeouts(*old, *t),
                SetChange::Sysctl(n, v, old) => {
                    SetChange::Sysctl(n.clone(), old.clone(), v.clone())
                }
            })
            .collect();
        match make_settings(ctx, &undo, sys.as_ref(), false, out) {
            Ok(()) => eprintln!(
                "{}: the settings of the file were put back too",
                ctx.program
            ),
            Err(e) => eprintln!(
                "{}: the settings of the file could not be put back: {e}",
                ctx.program
            ),
        }
    }
    code
}

/// What `--apply` prints on stderr when it changes nothing: the summary of
/// the plan (a dry run's, or a refused one's) and the refusal, if any.
pub(crate) fn plan_report(
    program: &str,
    changes: &[Change],
    live: &[(Service, Vec<Dest>)],
    dry_run: bool,
    refused: Option<&str>,
) -> String {
    let outcome = match (dry_run, refused) {
        (true, _) => Outcome::DryRun,
        (false, Some(_)) => Outcome::Refused,
        (false, None) => Outcome::Made,
    };
    let mut s = summary(changes, live, outcome);
    if let Some(why) = refused {
        s.push_str(&format!("{program}: {why}\n"));
    }
    s
}

/// The changes the kernel made (in order), and those it refused (with the
/// operation and errno), as indices into the changes sent: a copy of each
/// made change would double `--apply`'s memory (the plan of 200 000 rules
/// takes about 95 MB).
type Made = (Vec<usize>, Vec<(usize, Op, i32)>);

/// Send `changes` in pipelined batches of `batch` requests, stopping after
/// the first batch with a refusal, or before a batch when `stop` reports a
/// termination signal (returned). The kernel acts on each request of a
/// batch on its own, so changes after a refused one in the same batch can
/// be made: the result of every request is accounted for.
fn send(
    ctx: &mut Ctx<'_>,
    changes: &[Change],
    batch: usize,
    stop: &dyn Fn() -> Option<i32>,
    verbose: Option<&mut dyn Write>,
) -> (Made, Option<i32>) {
    let mut done = Vec::with_capacity(changes.len());
    let mut refused = Vec::new();
    let mut verbose = verbose;
    let size = batch.max(1);
    for (n, chunk) in changes.chunks(size).enumerate() {
        if let Some(sig) = stop() {
            return ((done, refused), Some(sig));
        }
        let (reqs, ops): (Vec<Request>, Vec<Op>) = chunk.iter().map(Change::request).unzip();
        let results = ctx.kernel.execute_batch(&reqs);
        drop(reqs);
        for (k, ((c, op), r)) in chunk.iter().zip(ops).zip(results).enumerate() {
            let i = n * size + k;
            if let Some(out) = verbose.as_mut() {
                let _ = writeln!(out, "{}", c.command_line());
            }
            match r {
                Ok(_) => done.push(i),
                Err(e) => {
                    if outcome_unknown(e.errno()) {
                        // maybe made: undone too (see `make_changes`)
                        done.push(i);
                    }
                    refused.push((i, op, e.errno()))
                }
            }
        }
        if !refused.is_empty() {
            return ((done, refused), None);
        }
    }
    ((done, refused), None)
}

/// Errors that say the kernel's answer was lost (answers dropped on an
/// overrun, unreadable): the request may have been made or not.
fn outcome_unknown(errno: i32) -> bool {
    matches!(errno, libc::ENOBUFS | libc::EBADMSG | libc::EMSGSIZE)
}

/// Make the changes; on a refusal or a termination signal before the last
/// one is in, undo those made (see [`undo_plan`]).
pub(crate) fn make_changes<W: Write>(
    ctx: &mut Ctx<'_>,
    a: &ApplyArgs,
    changes: &[Change],
    live: &[(Service, Vec<Dest>)],
    out: &mut W,
) -> i32 {
    let program = ctx.program.clone();
    let stop = || lvs::process::signals::caught();
    let ((done, refused), signal) = send(
        ctx,
        changes,
        BATCH,
        &stop,
        if a.verbose {
            Some(out as &mut dyn Write)
        } else {
            None
        },
    );
    if refused.is_empty() && signal.is_none() {
        // every change was made (`done` is 0..changes.len())
        let _ = write!(out, "{}", summary(changes, live, Outcome::Made));
        return 0;
    }
    let _ = out.flush();
    let done: Vec<Change> = done.into_iter().map(|i| changes[i].clone()).collect();
    let refused: Vec<(&Change, Op, i32)> = refused
        .into_iter()
        .map(|(i, op, errno)| (&changes[i], op, errno))
        .collect();
    for (c, op, errno) in &refused {
        eprintln!("{}: {}", c.command_line(), ipvs_strerror(*op, *errno));
    }
    let why = match signal {
        Some(sig) => format!("interrupted by {}", lvs::process::signals::name(sig)),
        None => format!(
            "the kernel refused {} of {} planned changes",
            refused.len(),
            changes.len()
        ),
    };
    let undo = undo_plan(&done, live);
    // The undos of changes whose outcome is unknown: "already absent" or
    // "already there" then means there was nothing to undo.
    let maybe: Vec<&Change> = refused
        .iter()
        .filter(|(_, _, errno)| outcome_unknown(*errno))
        .map(|(c, _, _)| *c)
        .collect();
    let unsure: Vec<Change> = maybe.iter().flat_map(|c| inverse(c, live)).collect();
    eprintln!(
        "{program}: {why}: undoing the {} made ({})",
        plural(done.len(), "change"),
        plural(undo.len(), "request")
    );
    let never = || None;
    let ((undone, failed), _) = send(ctx, &undo, BATCH, &never, None);
    let mut failed: Vec<(&Change, Op, i32)> = failed
        .into_iter()
        .map(|(i, op, errno)| (&undo[i], op, errno))
        .collect();
    // A refused undo does not stop the ones after it: go on with the rest.
    let mut rest_from = undone.len() + failed.len();
    while rest_from < undo.len() {
        let rest = &undo[rest_from..];
        let ((u, f), _) = send(ctx, rest, BATCH, &never, None);
        rest_from += u.len() + f.len();
        failed.extend(f.into_iter().map(|(i, op, errno)| (&rest[i], op, errno)));
    }
    failed.retain(|(c, _, errno)| {
        !(matches!(*errno, libc::EEXIST | libc::ESRCH | libc::ENOENT) && unsure.contains(c))
    });
    if a.verbose {
        for c in &undo {
            eprintln!("{program}: undo: {}", c.command_line());
        }
    }
    let status = match signal {
        Some(sig) => 128 + sig,
        None => 1,
    };
    if failed.is_empty() {
        eprintln!(
            "{program}: rolled back: the table is as it was before this apply \
             (counters of re-created entries restart at 0); nothing changed"
        );
        return status;
    }
    for (c, op, errno) in &failed {
        eprintln!(
            "{program}: ROLLBACK FAILED: {}: {}",
            c.command_line(),
            ipvs_strerror(*op, *errno)
        );
    }
    eprintln!(
        "{program}: ROLLBACK INCOMPLETE: {} of {} undo requests failed; the table is \
         neither the old one nor the new one. The table before this apply was (in scope):",
        failed.len(),
        undo.len()
    );
    for (s, ds) in live {
        eprintln!("{}", Change::AddService(s.clone()).command_line());
        for d in ds {
            eprintln!("{}", Change::AddDest(s.clone(), d.clone()).command_line());
        }
    }
    3
}

#[cfg(test)]
#[path = "files_tests.rs"]
pub(crate) mod tests;
