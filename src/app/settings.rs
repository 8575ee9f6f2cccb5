//! `--sysctl [NAME[=VALUE]...]` (with `-j`): the kernel's IPVS settings of
//! the namespace (`/proc/sys/net/ipv4/vs/*`, read and written by
//! [`lvs::sysctl`]).
//!
//! Without NAME, every setting with its value and what it means (and the
//! kernel's default when the value differs); with NAMEs, those; with
//! NAME=VALUE, each is validated (a setting this kernel has, a value in its
//! range) before any is written, and a group is all or nothing. `ip_vs`
//! is loaded with `modprobe` when the directory is missing.

use crate::cli::popt::Walker;
use lvs::sysctl::{Setting, Sysctls};
use serde::Serialize;
use std::io::Write;

/// A `--sysctl` command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SysctlArgs {
    /// `-j`.
    pub json: bool,
    /// NAME or NAME=VALUE words, in order.
    pub words: Vec<String>,
}

/// The `--sysctl` command in `args`, if it is one; `Err` is a message for
/// a command line that uses the option wrongly (exit status 2).
pub fn parse(args: &[String]) -> Option<Result<SysctlArgs, String>> {
    let mut w = Walker::new(args);
    let (mut sysctl, mut json, mut others, mut bad) = (false, false, Vec::new(), None);
    while let Some(ev) = w.next_opt() {
        match ev {
            Ok(e) if e.id == "sysctl" => sysctl = true,
            Ok(e) if e.id == "json" => json = true,
            Ok(e) => others.push(e.id),
            Err(e) => {
                bad = Some(e.to_string());
                break;
            }
        }
    }
    if !sysctl {
        return None;
    }
    if let Some(b) = bad {
        return Some(Err(b));
    }
    if !others.is_empty() {
        return Some(Err(format!(
            "--sysctl takes only -j and NAME or NAME=VALUE words (not --{})",
            others[0]
        )));
    }
    let mut words = Vec::new();
    while let Some(a) = w.next_arg() {
        words.push(a);
    }
    let sets = words.iter().filter(|x| x.contains('=')).count();
    if sets != 0 && sets != words.len() {
        return Some(Err(
            "--sysctl either shows settings (NAME...) or sets them (NAME=VALUE...), not both"
                .into(),
        ));
    }
    Some(Ok(SysctlArgs { json, words }))
}

#[derive(Serialize)]
struct JSetting<'a> {
    name: &'a str,
    value: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    default: Option<&'a str>,
    changed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    meaning: Option<&'a str>,
}

#[derive(Serialize)]
struct JDoc<'a> {
    sysctls: Vec<JSetting<'a>>,
}

/// The settings as text: `NAME VALUE MEANING`, the default after the
/// meaning when the value differs from it.
pub fn render_text(list: &[Setting]) -> String {
    let wn = list.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let wv = list.iter().map(|s| s.value.len()).max().unwrap_or(0).max(5);
    let mut t = String::new();
    for s in list {
        let mut meaning = s
            .known
            .map(|k| k.meaning)
            .unwrap_or("(lvsadm does not know this setting)")
            .to_string();
        if s.changed() {
            meaning.push_str(&format!(
                " [default {}]",
                s.known.and_then(|k| k.default).unwrap_or("")
            ));
        }
        t.push_str(&format!("{:<wn$}  {:<wv$}  {meaning}\n", s.name, s.value));
    }
    t
}

/// The settings as one line of JSON: `{"sysctls":[{name, value, default,
/// changed, meaning}...]}`.
pub fn render_json(list: &[Setting]) -> String {
    let doc = JDoc {
        sysctls: list
            .iter()
            .map(|s| JSetting {
                name: &s.name,
                value: &s.value,
                default: s.known.and_then(|k| k.default),
                changed: s.changed(),
                meaning: s.known.map(|k| k.meaning),
            })
            .collect(),
    };
    serde_json::to_string(&doc).unwrap_or_default() + "\n"
}

/// The settings of the process's namespace, with `ip_vs` loaded first
/// when the directory is missing.
pub fn open() -> Result<Sysctls, lvs::sysctl::Error> {
    let sys = Sysctls::open();
    if !sys.exists() {
        // the netlink socket was opened before, which loads it on most
        // systems; modprobe for the others
        let _ = lvs::sysctl::load_module();
        if !sys.exists() {
            return Err(lvs::sysctl::Error::NotLoaded);
        }
    }
    Ok(sys)
}

/// Run `--sysctl` on `sys`; returns the exit status (0, or 1 when a
/// setting could not be shown or set: then nothing was changed).
pub fn run_on<W: Write>(program: &str, sys: &Sysctls, a: &SysctlArgs, out: &mut W) -> i32 {
    let fail = |e: lvs::sysctl::Error| {
        eprintln!("{program}: --sysctl: {e}");
        1
    };
    let list = if a.words.is_empty() {
        match sys.list() {
            Ok(l) => l,
            Err(e) => return fail(e),
        }
    } else if a.words[0].contains('=') {
        let wanted: Vec<(String, String)> = a
            .words
            .iter()
            .map(|w| {
                let (n, v) = w.split_once('=').unwrap_or((w, ""));
                (n.trim().to_string(), v.to_string())
            })
            .collect();
        let changes = match sys.set(&wanted) {
            Ok(c) => c,
            Err(e) => return fail(e),
        };
        if !a.json {
            for (n, _) in &wanted {
                let now = sys.get(n).map(|s| s.value).unwrap_or_default();
                match changes.iter().find(|c| &c.name == n) {
                    Some(c) => {
                        let _ = writeln!(out, "{n} = {now} (was {})", c.old);
                    }
                    None => {
                        let _ = writeln!(out, "{n} = {now} (unchanged)");
                    }
                }
            }
            return 0;
        }
        let mut l = Vec::new();
        for (n, _) in &wanted {
            match sys.get(n) {
                Ok(s) => l.push(s),
                Err(e) => return fail(e),
            }
        }
        l
    } else {
        let mut l = Vec::new();
        for n in &a.words {
            match sys.get(n) {
                Ok(s) => l.push(s),
                Err(e) => return fail(e),
            }
        }
        l
    };
    let text = if a.json {
        render_json(&list)
    } else {
        render_text(&list)
    };
    let _ = out.write_all(text.as_bytes());
    0
}

/// `-S [-n] --settings`: the command line without `--settings`, if it is
/// one.
pub fn save_settings_args(args: &[String]) -> Option<Vec<String>> {
    let mut w = Walker::new(args);
    let (mut first, mut settings) = (None, false);
    while let Some(Ok(ev)) = w.next_opt() {
        first.get_or_insert_with(|| ev.id.clone());
        settings |= ev.id == "settings";
    }
    if !settings || first.as_deref() != Some("save") {
        return None;
    }
    Some(
        args.iter()
            .filter(|a| *a != "--settings")
            .cloned()
            .collect(),
    )
}

/// The settings lines `-S --settings` writes: `--set` with the current
/// timeouts, then a `--sysctl` line for each setting that differs from the
/// kernel's fixed default (settings without one, computed at boot, are
/// left out).
pub fn settings_lines(t: &lvs::model::Timeouts, list: &[Setting]) -> String {
    let mut s = crate::cli::settings::set_line(t) + "\n";
    for x in list.iter().filter(|x| x.changed()) {
        s.push_str(&crate::cli::settings::sysctl_line(&x.name, &x.value));
        s.push('\n');
    }
    s
}

/// Run `args` if it is a `--sysctl` or `-S --settings` command line;
/// `None` otherwise.
pub fn dispatch<W: Write>(ctx: &mut super::ctx::Ctx, args: &[String], out: &mut W) -> Option<i32> {
    let program = ctx.program.clone();
    let program = program.as_str();
    if let Some(rest) = save_settings_args(args) {
        if rest
            .iter()
            .any(|a| a == "--scope" || a.starts_with("--scope="))
        {
            eprintln!(
                "{program}: --settings does not go with --scope (the settings are not per service)"
            );
            return Some(2);
        }
        let t = match ctx.kernel.timeouts() {
            Ok(t) => t,
            Err(e) => {
                eprintln!(
                    "{}",
                    lvs::netlink::ipvs_strerror(lvs::netlink::Op::Other, e.errno())
                );
                return Some(1);
            }
        };
        let list = match open().and_then(|s| s.list()) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("{program}: --settings: {e}");
                return Some(1);
            }
        };
        let _ = out.write_all(settings_lines(&t, &list).as_bytes());
        return Some(match super::run::process(ctx, &rest, false, out) {
            Ok(r) | Err(super::ctx::Exit(r)) => r & 0xff,
        });
    }
    let a = match parse(args)? {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{program}: {msg}");
            return Some(2);
        }
    };
    Some(match open() {
        Ok(sys) => run_on(program, &sys, &a, out),
        Err(e) => {
            eprintln!("{program}: --sysctl: {e}");
            1
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn save_with_settings() {
        assert_eq!(
            save_settings_args(&words("-S -n --settings")),
            Some(words("-S -n"))
        );
        assert_eq!(save_settings_args(&words("-S -n")), None);
        assert_eq!(save_settings_args(&words("-L --settings")), None);
        let (d, s) = fake();
        let t = lvs::model::Timeouts {
            tcp: std::time::Duration::from_secs(900),
            tcp_fin: std::time::Duration::from_secs(120),
            udp: std::time::Duration::from_secs(300),
        };
        assert_eq!(
            settings_lines(&t, &s.list().unwrap()),
            "--set 900 120 300\n--sysctl conn_reuse_mode=2\n"
        );
        std::fs::write(d.join("sync_threshold"), "4\t60\n").unwrap();
        assert_eq!(
            settings_lines(&t, &s.list().unwrap()),
            "--set 900 120 300\n--sysctl conn_reuse_mode=2\n--sysctl sync_threshold=4,60\n"
        );
        std::fs::remove_dir_all(&d).ok();
    }

    #[test]
    fn command_lines() {
        assert_eq!(parse(&words("-L -n")), None);
        assert_eq!(
            parse(&words("--sysctl")),
            Some(Ok(SysctlArgs {
                json: false,
                words: vec![]
            }))
        );
        assert_eq!(
            parse(&words("-j --sysctl a=1 b=2")),
            Some(Ok(SysctlArgs {
                json: true,
                words: words("a=1 b=2")
            }))
        );
        assert!(matches!(parse(&words("--sysctl a b=1")), Some(Err(_))));
        assert!(matches!(parse(&words("--sysctl -n")), Some(Err(_))));
        assert!(matches!(parse(&words("--sysctl --bogus")), Some(Err(_))));
    }

    fn fake() -> (std::path::PathBuf, Sysctls) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let d = std::env::temp_dir().join(format!(
            "lvsadm-sysctl-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("expire_nodest_conn"), "0\n").unwrap();
        std::fs::write(d.join("sync_threshold"), "3\t50\n").unwrap();
        std::fs::write(d.join("conn_reuse_mode"), "2\n").unwrap();
        let s = Sysctls::at(&d);
        (d, s)
    }

    fn run(sys: &Sysctls, line: &str) -> (i32, String) {
        let a = parse(&words(line)).unwrap().unwrap();
        let mut out = Vec::new();
        let r = run_on("lvsadm", sys, &a, &mut out);
        (r, String::from_utf8(out).unwrap())
    }

    #[test]
    fn lists_shows_and_sets() {
        let (d, s) = fake();
        let (r, out) = run(&s, "--sysctl");
        assert_eq!(r, 0);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[0].starts_with("conn_reuse_mode     2      bit 1:"),
            "{out}"
        );
        assert!(lines[0].ends_with("[default 1]"), "{out}");
        assert!(
            lines[2].starts_with("sync_threshold      3 50   A B:"),
            "{out}"
        );
        assert!(!lines[2].contains("[default"), "{out}");

        let (r, out) = run(&s, "-j --sysctl sync_threshold");
        assert_eq!(r, 0);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(v["sysctls"][0]["value"], "3 50");
        assert_eq!(v["sysctls"][0]["changed"], false);

        let (r, out) = run(&s, "--sysctl expire_nodest_conn=1 sync_threshold=3,50");
        assert_eq!(
            (r, out.as_str()),
            (
                0,
                "expire_nodest_conn = 1 (was 0)\nsync_threshold = 3 50 (unchanged)\n"
            )
        );
        // a bad value after a good one: nothing changes
        let (r, out) = run(&s, "--sysctl expire_nodest_conn=0 sync_threshold=60,50");
        assert_eq!((r, out.as_str()), (1, ""));
        assert_eq!(
            std::fs::read_to_string(d.join("expire_nodest_conn")).unwrap(),
            "1\n"
        );
        let (r, _) = run(&s, "--sysctl no_such=1");
        assert_eq!(r, 1);
        let (r, _) = run(&s, "--sysctl no_such");
        assert_eq!(r, 1);
        std::fs::remove_dir_all(&d).ok();
    }
}
