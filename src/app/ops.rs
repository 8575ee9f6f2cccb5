//! Command lines of lvsadm's operations extensions: `--drain[=SECS]` (with
//! `-d`, `-D` or `--apply`) and `--metrics [--listen ADDR:PORT]
//! [--services-only]`.
//!
//! ipvsadm rejects every one of these words (unknown options), so a command
//! line ipvsadm accepts is never taken here: [`parse`] answers `None` for it
//! and it runs as before. Only words the popt walker sees as options count
//! (`-s --drain` is a scheduler name), as for `--netns`.

use super::ctx::Ctx;
use super::drain;
use super::metrics::{self, MetricsArgs};
use crate::cli::{self, popt::Walker, Cmd, Outcome};
use crate::format::prometheus::RenderOptions;
use std::io::Write;
use std::time::Duration;

/// The longest `--drain` deadline (31 days, like ipvsadm's timeouts).
const MAX_DRAIN: u64 = 86400 * 31;

/// An operations command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `--metrics ...`.
    Metrics(MetricsArgs),
    /// `--drain`: the deadline, `-v`/`--verbose`, and the command line
    /// without those words (`-d ...`, `-D ...` or `--apply FILE ...`).
    Drain {
        /// The deadline in seconds.
        secs: u64,
        /// `-v`/`--verbose`.
        verbose: bool,
        /// The command line without those words.
        rest: Vec<String>,
        /// `--state-dir DIR`: where a supervisor publishes (holds).
        state_dir: Option<String>,
    },
    /// `-S --scope SPEC...`: save only the services in these scopes.
    SaveScoped {
        /// Every `--scope` value, as given.
        scopes: Vec<String>,
        /// The command line without the `--scope` words.
        rest: Vec<String>,
    },
}

/// The operations command in `args`, if any; `Err` is a message for a
/// command line that uses these words wrongly (exit status 2).
pub fn parse(args: &[String]) -> Option<Result<Command, String>> {
    let mut w = Walker::new(args);
    let mut drop = vec![false; args.len()];
    let (mut metrics, mut drain, mut verbose) = (false, None, false);
    let (mut listen, mut services_only, mut others) = (None, false, Vec::new());
    let mut node_names = false;
    let mut state_dir = None;
    let (mut bad, mut bad_drain) = (None, None);
    let (mut first, mut scopes, mut scope_drop) = (None, Vec::new(), vec![false; args.len()]);
    while let Some(ev) = w.next_opt() {
        let ev = match ev {
            Ok(e) => e,
            Err(e) => {
                bad = Some(e.to_string());
                break;
            }
        };
        let end = w.consumed();
        first.get_or_insert_with(|| ev.id.clone());
        match ev.id.as_str() {
            "scope" => {
                if args[end - 1].starts_with("--scope=") {
                    scope_drop[end - 1] = true;
                } else {
                    scope_drop[end - 2] = true;
                    scope_drop[end - 1] = true;
                }
                scopes.extend(ev.value.clone());
                others.push("scope".to_string());
            }
            "metrics" => metrics = true,
            "state-dir" => {
                if args[end - 1].starts_with("--state-dir=") {
                    drop[end - 1] = true;
                } else {
                    drop[end - 2] = true;
                    drop[end - 1] = true;
                }
                state_dir = ev.value.clone();
                others.push("state-dir".to_string());
            }
            "listen" => listen = ev.value,
            "services-only" => services_only = true,
            "node-exporter-names" => node_names = true,
            "drain" => {
                // `--drain` or `--drain=SECS`: one word (the next word is
                // never its value).
                drop[end - 1] = true;
                if ev.value.is_none() {
                    if let Some(n) = args.get(end).filter(|n| n.parse::<u64>().is_ok()) {
                        bad_drain = Some(format!(
                            "--drain {n}: the seconds go with an equals sign, --drain={n}"
                        ));
                    }
                }
                drain = Some(ev.value);
            }
            "verbose" | "version" if args[end - 1] == "-v" || args[end - 1] == "--verbose" => {
                drop[end - 1] = true;
                verbose = true;
            }
            other => others.push(other.to_string()),
        }
    }
    if !metrics && drain.is_none() && first.as_deref() == Some("save") && !scopes.is_empty() {
        return Some(Ok(Command::SaveScoped {
            scopes,
            rest: cli::without(args, &scope_drop),
        }));
    }
    if !metrics && drain.is_none() {
        if listen.is_some() || services_only || node_names {
            return Some(Err(
                "--listen, --services-only and --node-exporter-names go with --metrics".into(),
            ));
        }
        return None;
    }
    if metrics {
        if let Some(b) = bad {
            return Some(Err(b));
        }
        if drain.is_some() || verbose || !others.is_empty() {
            return Some(Err(
                "--metrics takes only --listen ADDR:PORT, --services-only and --node-exporter-names"
                    .into(),
            ));
        }
        if let Some(extra) = w.next_arg() {
            return Some(Err(format!("unexpected argument {extra}")));
        }
        return Some(Ok(Command::Metrics(MetricsArgs {
            listen,
            opts: RenderOptions {
                services_only,
                node_names,
            },
        })));
    }
    if listen.is_some() || services_only || node_names {
        return Some(Err(
            "--listen, --services-only and --node-exporter-names go with --metrics".into(),
        ));
    }
    if let Some(b) = bad_drain {
        return Some(Err(b));
    }
    let secs = match drain.flatten() {
        None => drain::DEFAULT_SECS,
        Some(v) => match cli::string_to_number(&v, 0, MAX_DRAIN as i64) {
            Some(n) => n as u64,
            None => {
                return Some(Err(format!(
                    "invalid --drain value `{v}' (seconds, 0 to {MAX_DRAIN})"
                )))
            }
        },
    };
    let rest = cli::without(args, &drop);
    Some(Ok(Command::Drain {
        secs,
        verbose,
        rest,
        state_dir,
    }))
}

/// Run `args` if it is an operations command line; `None` otherwise.
pub fn dispatch<W: Write>(ctx: &mut Ctx, args: &[String], out: &mut W) -> Option<i32> {
    let cmd = match parse(args)? {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{}: {msg}", ctx.program);
            return Some(2);
        }
    };
    Some(match cmd {
        Command::Metrics(a) => metrics::run(&ctx.program, ctx.kernel, &a, out),
        Command::SaveScoped { scopes, rest } => save_scoped(ctx, &scopes, &rest, out),
        Command::Drain {
            secs,
            verbose,
            rest,
            state_dir,
        } => {
            let mut set = drain::Settings {
                deadline: Duration::from_secs(secs),
                verbose,
                netns: super::ctx::NETNS.get().cloned(),
                state_dir: None,
                sysctls: Some(lvs::sysctl::Sysctls::open()),
            };
            match cli::parse(&rest) {
                Ok(Outcome::Run(p)) if matches!(p.cmd, Cmd::DelDest | Cmd::DelService) => {
                    set.state_dir = Some(
                        state_dir
                            .unwrap_or_else(|| super::hold::STATE_DIR.into())
                            .into(),
                    );
                    drain::run_command(&ctx.program, ctx.kernel, &p, set, out)
                }
                Ok(Outcome::Apply(_)) if state_dir.is_some() => {
                    eprintln!(
                        "{}: --state-dir goes with --supervise, or -d/-D --drain",
                        ctx.program
                    );
                    2
                }
                Ok(Outcome::Apply(mut a)) => {
                    a.verbose |= verbose;
                    if a.dry_run {
                        super::files::run_apply(ctx, &a, out)
                    } else {
                        super::files::run_apply_draining(ctx, &a, Some(set), out)
                    }
                }
                Ok(_) => {
                    eprintln!("{}: --drain goes with -d, -D or --apply", ctx.program);
                    2
                }
                // The command line's own mistakes, reported as without --drain.
                Err(_) => match super::run::process(ctx, &rest, false, out) {
                    Ok(r) | Err(super::ctx::Exit(r)) => r & 0xff,
                },
            }
        }
    })
}

/// `-S [-n] --scope SPEC...`: the save format of the services in scope
/// only, for a rules file of a director where another program (keepalived)
/// owns the other services. The scopes are `--apply`'s.
fn save_scoped<W: Write>(ctx: &mut Ctx, scopes: &[String], rest: &[String], out: &mut W) -> i32 {
    let scopes = match scopes
        .iter()
        .map(|s| crate::cli::rules::parse_scope(s))
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{}: {e}", ctx.program);
            return 2;
        }
    };
    match cli::parse(rest) {
        Ok(Outcome::Run(p)) if p.cmd == Cmd::Save => {
            let keep = |s: &lvs::model::Service| crate::apply::in_scope(&scopes, s);
            match super::run::save_some(ctx, &p.format, &keep, out) {
                Ok(()) => 0,
                Err(super::ctx::Exit(c)) => c & 0xff,
            }
        }
        Ok(_) => {
            eprintln!("{}: --scope goes with --apply and -S", ctx.program);
            2
        }
        // The command line's own mistakes, reported as without --scope.
        Err(_) => match super::run::process(ctx, rest, false, out) {
            Ok(r) | Err(super::ctx::Exit(r)) => r & 0xff,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn drain_of(s: &str) -> (u64, bool, String) {
        match parse(&words(s)) {
            Some(Ok(Command::Drain {
                secs,
                verbose,
                rest,
                ..
            })) => (secs, verbose, rest.join(" ")),
            other => panic!("{s}: {other:?}"),
        }
    }

    #[test]
    fn ipvsadm_command_lines_are_not_taken() {
        for s in [
            "-d -t 192.0.2.1:80 -r 198.51.100.1",
            "-D -t 192.0.2.1:80",
            "-Ln --stats",
            "-A -t 192.0.2.1:80 -s --drain",
            "-L --nosuch --drain",
        ] {
            assert_eq!(parse(&words(s)), None, "{s}");
        }
    }

    #[test]
    fn drain_words_are_taken_off() {
        assert_eq!(
            drain_of("-d -t 192.0.2.1:80 -r 198.51.100.1 --drain"),
            (300, false, "-d -t 192.0.2.1:80 -r 198.51.100.1".into())
        );
        assert_eq!(
            drain_of("-d -t 192.0.2.1:80 --drain=30 -r 198.51.100.1 -v"),
            (30, true, "-d -t 192.0.2.1:80 -r 198.51.100.1".into())
        );
        assert_eq!(
            drain_of("--drain=5 -D -t 192.0.2.1:80"),
            (5, false, "-D -t 192.0.2.1:80".into())
        );
        // `--drain[=SECS]`: a number after a space is not taken, and said so
        assert_eq!(
            parse(&words("-D -t 192.0.2.1:80 --drain 5")),
            Some(Err(
                "--drain 5: the seconds go with an equals sign, --drain=5".into()
            ))
        );
        assert_eq!(
            drain_of("--drain -D -t 192.0.2.1:80"),
            (300, false, "-D -t 192.0.2.1:80".into())
        );
        assert_eq!(
            drain_of("--apply rules --drain=0 --verbose"),
            (0, true, "--apply rules".into())
        );
        assert!(matches!(
            parse(&words("-d -t 192.0.2.1:80 -r 198.51.100.1 --drain=x")),
            Some(Err(_))
        ));
        assert!(matches!(
            parse(&words("-D -t 192.0.2.1:80 --drain=2678401")),
            Some(Err(_))
        ));
    }

    #[test]
    fn save_with_scopes() {
        match parse(&words("-S -n --scope tcp:192.0.2.1:80 --scope=fwmark:5")) {
            Some(Ok(Command::SaveScoped { scopes, rest })) => {
                assert_eq!(scopes, ["tcp:192.0.2.1:80", "fwmark:5"]);
                assert_eq!(rest, ["-S", "-n"]);
            }
            other => panic!("{other:?}"),
        }
        // the controls: ipvsadm's -S, and --scope of --apply, are not taken
        assert_eq!(parse(&words("-S -n")), None);
        assert_eq!(parse(&words("--apply f --scope 192.0.2.1")), None);
    }

    #[test]
    fn scoped_save_leaves_out_the_other_services() {
        use lvs::kernel::{Kernel, StandIn};
        let mut k = StandIn::new();
        let (w, p) = crate::cli::rules::parse_rules(
            "-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1\n\
             -A -t 192.0.2.2:80 -s wlc\n-a -t 192.0.2.2:80 -r 198.51.100.2:80 -g -w 1\n\
             -A -f 5 -s rr\n",
        );
        assert!(p.is_empty());
        let reqs: Vec<_> = crate::apply::plan(&w, &[])
            .iter()
            .map(|c| c.request().0)
            .collect();
        assert!(k.execute_batch(&reqs).iter().all(|r| r.is_ok()));
        let mut run = |line: &str| {
            let mut ctx = Ctx {
                kernel: &mut k,
                program: "lvsadm".into(),
            };
            let mut out = Vec::new();
            let r = dispatch(&mut ctx, &words(line), &mut out);
            (r, String::from_utf8(out).unwrap())
        };
        assert_eq!(
            run("-S -n --scope 192.0.2.1 --scope fwmark:5"),
            (
                Some(0),
                "-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1\n\
                 -A -f 5 -s rr\n"
                    .into()
            )
        );
        assert_eq!(run("-S -n --scope nonsense"), (Some(2), String::new()));
        // the control: without --scope, everything (and not taken here)
        assert_eq!(run("-S -n").0, None);
    }

    #[test]
    fn metrics_lines() {
        assert_eq!(
            parse(&words("--metrics")),
            Some(Ok(Command::Metrics(MetricsArgs {
                listen: None,
                opts: RenderOptions::default()
            })))
        );
        assert_eq!(
            parse(&words("--metrics --listen 127.0.0.1:9100 --services-only")),
            Some(Ok(Command::Metrics(MetricsArgs {
                listen: Some("127.0.0.1:9100".into()),
                opts: RenderOptions {
                    services_only: true,
                    node_names: false,
                }
            })))
        );
        assert_eq!(
            parse(&words("--metrics --node-exporter-names")),
            Some(Ok(Command::Metrics(MetricsArgs {
                listen: None,
                opts: RenderOptions {
                    services_only: false,
                    node_names: true,
                }
            })))
        );
        for s in [
            "--metrics -n",
            "--metrics extra",
            "--metrics --drain",
            "--metrics --listen",
            "--metrics --bogus",
            "--listen :9100",
            "-L --services-only",
            "-L --node-exporter-names",
            "--node-exporter-names",
        ] {
            assert!(matches!(parse(&words(s)), Some(Err(_))), "{s}");
        }
    }
}
