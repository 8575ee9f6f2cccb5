//! Command lines of lvsadm's operations extensions: `--metrics [--listen
//! ADDR:PORT] [--services-only]`.
//!
//! ipvsadm rejects every one of these words (unknown options), so a command
//! line ipvsadm accepts is never taken here: [`parse`] answers `None` for it
//! and it runs as before. Only words the popt walker sees as options count
//! (`-s --drain` is a scheduler name), as for `--netns`.

use crate::app::Ctx;
use crate::cli::popt::Walker;
use crate::metrics::{self, render::RenderOptions, MetricsArgs};
use std::io::Write;

/// An operations command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Metrics(MetricsArgs),
}

/// The operations command in `args`, if any; `Err` is a message for a
/// command line that uses these words wrongly (exit status 2).
pub fn parse(args: &[String]) -> Option<Result<Command, String>> {
    let mut w = Walker::new(args);
    let mut metrics = false;
    let (mut listen, mut services_only, mut others) = (None, false, Vec::new());
    let mut bad = None;
    while let Some(ev) = w.next_opt() {
        let ev = match ev {
            Ok(e) => e,
            Err(e) => {
                bad = Some(e.to_string());
                break;
            }
        };
        match ev.id.as_str() {
            "metrics" => metrics = true,
            "listen" => listen = ev.value,
            "services-only" => services_only = true,
            other => others.push(other.to_string()),
        }
    }
    if !metrics {
        if listen.is_some() || services_only {
            return Some(Err("--listen and --services-only go with --metrics".into()));
        }
        return None;
    }
    if !others.is_empty() || bad.is_some() {
        return Some(Err(
            "--metrics takes only --listen ADDR:PORT and --services-only".into(),
        ));
    }
    if let Some(extra) = w.next_arg() {
        return Some(Err(format!("unexpected argument {extra}")));
    }
    Some(Ok(Command::Metrics(MetricsArgs {
        listen,
        opts: RenderOptions { services_only },
    })))
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
        Command::Metrics(a) => metrics::run(&ctx.program, &mut ctx.ipvs, &a, out),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn ipvsadm_command_lines_are_not_taken() {
        for s in [
            "-d -t 192.0.2.1:80 -r 198.51.100.1",
            "-Ln --stats",
            "-A -t 192.0.2.1:80 -s --metrics",
            "-L --nosuch --metrics",
        ] {
            assert_eq!(parse(&words(s)), None, "{s}");
        }
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
                    services_only: true
                }
            })))
        );
        for s in [
            "--metrics -n",
            "--metrics extra",
            "--listen :9100",
            "-L --services-only",
        ] {
            assert!(matches!(parse(&words(s)), Some(Err(_))), "{s}");
        }
    }
}
