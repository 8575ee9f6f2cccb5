//! The orchestration (listing sources, the restore pipeline, apply) run
//! against the stand-in kernel: what a user sees on stdout, the exit
//! statuses, and the table left behind.

use super::ctx::Ctx;
use super::listing::list_all;
use super::restore::restore_from;
use super::run::process;
use crate::cli::Format;
use lvs::kernel::{Kernel, StandIn};
use lvs::model::*;
use lvs::netlink::Request;

fn words(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_string).collect()
}

/// Run one command line against `k`; the result and stdout.
fn run(k: &mut StandIn, line: &str) -> (Result<i32, i32>, String) {
    let mut out = Vec::new();
    let mut ctx = Ctx {
        kernel: k,
        program: "lvsadm".into(),
    };
    let r = process(&mut ctx, &words(line), false, &mut out).map_err(|e| e.0);
    (r, String::from_utf8(out).unwrap())
}

fn restore(k: &mut StandIn, input: &str) -> i32 {
    let mut ctx = Ctx {
        kernel: k,
        program: "lvsadm".into(),
    };
    restore_from(&mut ctx, input.as_bytes(), &mut Vec::new()).unwrap()
}

fn save(k: &mut StandIn) -> String {
    let mut out = Vec::new();
    let mut ctx = Ctx {
        kernel: k,
        program: "lvsadm".into(),
    };
    let f = Format {
        numeric: true,
        ..Format::default()
    };
    list_all(&mut ctx, &f, true, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

const RULES: &str = "\
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 3
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1
-A -u [2001:db8::1]:53 -s wlc -p 60
-a -u [2001:db8::1]:53 -r [2001:db8::10]:5353 -m -w 1
-A -f 7 -s sh -b sh-port
-a -f 7 -r 198.51.100.3:0 -i -w 2
";

#[test]
fn restore_then_listing_and_save_through_the_proc_table() {
    let mut k = StandIn::new();
    assert_eq!(restore(&mut k, RULES), 0);
    // one pipelined batch: every line is one request, nothing else
    assert_eq!(k.log.len(), 7);
    let (r, text) = run(&mut k, "-Ln");
    assert_eq!(r, Ok(0));
    assert_eq!(
        text,
        "IP Virtual Server version 1.2.1 (size=4096)\n\
         Prot LocalAddress:Port Scheduler Flags\n\
         \x20 -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n\
         TCP  192.0.2.1:80 rr\n\
         \x20 -> 198.51.100.1:80              Route   1      0          0         \n\
         \x20 -> 198.51.100.2:80              Masq    3      0          0         \n\
         UDP  [2001:db8::1]:53 wlc persistent 60\n\
         \x20 -> [2001:db8::10]:5353          Masq    1      0          0         \n\
         FWM  7 sh (sh-port)\n\
         \x20 -> 198.51.100.3:0               Tunnel  2      0          0         \n"
    );
    // the default listing took its real servers from /proc/net/ip_vs:
    // no destination dump went to the kernel
    assert!(!k.log.iter().any(|r| matches!(r, Request::GetDests(_))));
    let saved = save(&mut k);
    assert_eq!(
        saved,
        "-A -t 192.0.2.1:80 -s rr\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1\n\
         -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 3\n\
         -A -u [2001:db8::1]:53 -s wlc -p 60\n\
         -a -u [2001:db8::1]:53 -r [2001:db8::10]:5353 -m -w 1\n\
         -A -f 7 -s sh -b sh-port\n\
         -a -f 7 -r 198.51.100.3:0 -i -w 2 --tun-type ipip\n"
    );
    // save output restores to the same table
    let mut again = StandIn::new();
    assert_eq!(restore(&mut again, &saved), 0);
    assert_eq!(save(&mut again), saved);
}

#[test]
fn restore_reports_each_refusal_and_goes_on() {
    let mut k = StandIn::new();
    let input = "\
-A -t 192.0.2.1:80 -s rr
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.9:80 -r 198.51.100.1:80
-a -t 192.0.2.1:80 -r 198.51.100.1:80
";
    // the last line succeeded: status 0; the two refused lines changed nothing
    assert_eq!(restore(&mut k, input), 0);
    assert_eq!(k.table().len(), 1);
    assert_eq!(k.table()[0].1.len(), 1);
    // the same input again: every line refused, the last one's status is -1
    assert_eq!(restore(&mut k, input), -1);
    // a parse error ends the restore (ipvsadm's fail()): nothing after it runs
    let mut k2 = StandIn::new();
    let mut ctx = Ctx {
        kernel: &mut k2,
        program: "lvsadm".into(),
    };
    let r = restore_from(
        &mut ctx,
        b"-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.2:0 -s rr\n-A -t 192.0.2.3:80\n",
        &mut Vec::new(),
    );
    assert_eq!(r, Err(super::Exit(2)));
    assert_eq!(k2.table().len(), 1);
}

#[test]
fn single_commands_and_their_statuses() {
    let mut k = StandIn::new();
    assert_eq!(run(&mut k, "-A -t 192.0.2.1:80 -s rr").0, Ok(0));
    // a kernel refusal: -1 (exit 255), nothing changed
    assert_eq!(run(&mut k, "-A -t 192.0.2.1:80 -s wlc").0, Ok(-1));
    assert_eq!(k.table()[0].0.sched_name, "rr");
    assert_eq!(run(&mut k, "-E -t 192.0.2.1:80 -s nosuch").0, Ok(-1));
    assert_eq!(run(&mut k, "-E -t 192.0.2.1:80 -s wlc").0, Ok(0));
    assert_eq!(k.table()[0].0.sched_name, "wlc");
    // a listing of a missing service is exit 1
    assert_eq!(run(&mut k, "-L -n -t 192.0.2.2:80").0, Err(1));
    let (r, text) = run(&mut k, "-L -n --timeout");
    assert_eq!(r, Ok(0));
    assert_eq!(text, "Timeout (tcp tcpfin udp): 900 120 300\n");
    assert_eq!(run(&mut k, "--set 10 0 5").0, Ok(0));
    assert_eq!(
        k.timeouts().unwrap(),
        Timeouts {
            tcp: std::time::Duration::from_secs(10),
            tcp_fin: std::time::Duration::from_secs(120),
            udp: std::time::Duration::from_secs(5)
        }
    );
    assert_eq!(run(&mut k, "-C").0, Ok(0));
    assert!(k.table().is_empty());
    // -L -c reads the (empty) connection table through the kernel handle
    let (r, text) = run(&mut k, "-L -n -c");
    assert_eq!(r, Ok(0));
    assert_eq!(
        text,
        "IPVS connection entries\npro expire state       source             virtual            destination\n"
    );
}

#[test]
fn json_listing_matches_the_table() {
    let mut k = StandIn::new();
    restore(&mut k, RULES);
    let (r, text) = run(&mut k, "-L -j");
    assert_eq!(r, Ok(0));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let services = v["services"].as_array().unwrap();
    assert_eq!(services.len(), 3);
    assert_eq!(services[0]["destinations"][0]["address"], "198.51.100.1");
    assert_eq!(services[2]["fwmark"], 7);
    assert_eq!(services[2]["destinations"][0]["forward"], "tunnel");
}

#[test]
fn apply_reaches_the_target_and_then_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("lvsadm-app-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("rules");
    let mut k = StandIn::new();
    restore(
        &mut k,
        "-A -t 192.0.2.50:80 -s rr\n-A -t 192.0.2.1:80 -s wlc\n-a -t 192.0.2.1:80 -r 198.51.100.9:80 -g -w 1\n",
    );
    std::fs::write(&file, RULES).unwrap();
    let line = format!("--apply {}", file.display());
    let _one = crate::app::files::tests::SERIAL
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let (r, out) = run(&mut k, &line);
    assert_eq!(r, Ok(0), "{out}");
    assert!(out.ends_with("9 changes\n"), "{out}");
    let mut want = StandIn::new();
    restore(&mut want, RULES);
    assert_eq!(save(&mut k), save(&mut want));
    let (r, out) = run(&mut k, &line);
    assert_eq!((r, out.as_str()), (Ok(0), "0 changes\n"));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn wait_without_a_value_is_an_error_with_the_program_prefix() {
    let w = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
    let mut argv = w("lvsadm --apply r.rules --wait");
    assert_eq!(super::writer_wait("lvsadm", &mut argv), Err(2));
    assert_eq!(
        super::wait_without_value(&argv[1..]).as_deref(),
        Some("--wait needs a value: --wait SECS (seconds, 0 to 86400; 60 when not given)")
    );
    // the controls: with a value, and an ipvsadm command line
    let mut ok = w("lvsadm --apply r.rules --wait 5");
    assert_eq!(super::writer_wait("lvsadm", &mut ok), Ok(Some((5, false))));
    assert_eq!(ok, w("lvsadm --apply r.rules"));
    assert_eq!(super::wait_without_value(&w("-A -t 192.0.2.1:80 -s")), None);
}

#[test]
fn the_settings_words_elsewhere_are_errors_not_panics() {
    let mut k = StandIn::new();
    for line in [
        "--settings",
        "-L --settings",
        "-A -t 192.0.2.1:80 --settings",
        "--doctor",
        "-L --doctor",
    ] {
        let (r, out) = run(&mut k, line);
        assert!(matches!(r, Err(c) | Ok(c) if c != 0), "{line}: {r:?} {out}");
    }
    // --doctor on the stand-in: its table has a VIP this host lacks
    let mut ctx = crate::app::Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let _ = crate::app::process(
        &mut ctx,
        &words("-A -t 192.0.2.1:80 -s sh -p 60"),
        false,
        &mut Vec::new(),
    );
    let mut out = Vec::new();
    let code = super::doctor::dispatch(&mut ctx, &words("--doctor"), &mut out).unwrap();
    let text = String::from_utf8(out).unwrap();
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("PROBLEM persistence-with-hashing: -t 192.0.2.1:80 is persistent"),
        "{text}"
    );
    assert!(
        text.contains("PROBLEM vip-not-on-director: -t 192.0.2.1:80"),
        "{text}"
    );
    assert_eq!(k.table().len(), 1);
}

/// `--apply FILE` and `--supervise FILE` check their file before the
/// lock and the kernel: a missing one is the error, whatever the host.
#[test]
fn rule_file_is_checked_before_the_kernel() {
    let args = |s: &str| -> Vec<String> { s.split_whitespace().map(String::from).collect() };
    let missing = std::env::temp_dir().join(format!("lvsadm-missing-{}.rules", std::process::id()));
    let m = missing.to_str().unwrap();
    let want = format!("cannot read {m}: No such file or directory (os error 2)");
    for line in [
        format!("--apply {m}"),
        format!("--apply {m} --dry-run"),
        format!("--supervise {m}"),
        format!("--supervise {m} --listen 127.0.0.1:9100"),
    ] {
        assert_eq!(
            super::rule_file_first(&args(&line)),
            Err(want.clone()),
            "{line}"
        );
    }
    let here = std::env::temp_dir().join(format!("lvsadm-here-{}.rules", std::process::id()));
    std::fs::write(&here, "").unwrap();
    let h = here.to_str().unwrap();
    for line in [
        format!("--apply {h}"),
        format!("--supervise {h}"),
        "--apply -".to_string(),
        "-L -n".to_string(),
        format!("-A -t 192.0.2.1:80 {m}"),
    ] {
        assert_eq!(super::rule_file_first(&args(&line)), Ok(()), "{line}");
    }
    std::fs::remove_file(&here).unwrap();
}

/// The command lines `main_entry` runs without the extensions' parsers
/// (`cli::fast::parse_plain`) are ones every one of those parsers passes
/// on, and they do to the table what the general path does. The controls:
/// command lines with lvsadm's options are not plain, and a parser claims
/// each of them.
#[test]
fn plain_command_lines_skip_only_parsers_that_pass_them_on() {
    // Whether any step the general path takes before `process` would act
    // on `args` (or change them).
    fn claimed(args: &[String]) -> bool {
        let mut argv = vec!["lvsadm".to_string()];
        argv.extend_from_slice(args);
        // what run_plain does: the writer's lock for -R only
        let restore = args == ["-R"] || args == ["--restore"];
        let lock = restore.then_some((super::lock::DEFAULT_WAIT, false));
        crate::cli::generate::early("lvsadm", args).is_some()
            || super::early_options("lvsadm", args).as_deref() != Ok(args)
            || super::writer_wait("lvsadm", &mut argv) != Ok(lock)
            || super::rule_file_first(args).is_err()
            || super::top::parse(args).is_some()
            || super::supervise::run::parse(args).is_some()
            || super::supervise::status::parse(args).is_some()
            || super::settings::parse(args).is_some()
            || super::settings::save_settings_args(args).is_some()
            || super::doctor::parse(args).is_some()
            || super::ops::parse(args).is_some()
    }
    let plain = [
        "-C",
        "--clear",
        "-R",
        "--restore",
        "-A -t 192.0.2.1:80 -s rr",
        "-A -t 192.0.2.1:443 -s wlc -p 120",
        "-A -u [2001:db8::1]:53 -s sh",
        "-A -f 7 -s mh",
        "-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1",
        "-a -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 2",
        "-a -t 192.0.2.1:443 -r 198.51.100.1:443 -w 2",
        "-a -u [2001:db8::1]:53 -r [2001:db8::10]:53 -i -w 0",
        "-a -f 7 -r 198.51.100.3:0 -i --tun-type ipip -w 3",
    ];
    let mut fast = StandIn::new();
    let mut general = StandIn::new();
    for line in plain {
        let args = words(line);
        let p = crate::cli::fast::parse_plain(&args).unwrap_or_else(|| panic!("{line}"));
        assert!(!claimed(&args), "{line}");
        if p.cmd == crate::cli::Cmd::Restore {
            continue; // reads standard input
        }
        let mut out = Vec::new();
        let mut ctx = Ctx {
            kernel: &mut fast,
            program: "lvsadm".into(),
        };
        let r = super::run::run(&mut ctx, &p, false, &mut out).map_err(|e| e.0);
        assert_eq!((r, out), {
            let (r, out) = run(&mut general, line);
            (r, out.into_bytes())
        });
        assert_eq!(save(&mut fast), save(&mut general), "{line}");
    }
    assert!(save(&mut fast).contains("-a -f 7 -r 198.51.100.3:0 -i -w 3"));
    // not plain either: refused by the general parser
    let waits = words("-C --wait 5");
    assert!(crate::cli::fast::parse_plain(&waits).is_none());
    assert!(crate::cli::parse(&waits).is_err());
    for line in [
        "--netns blue -C",
        "-R --wait 0",
        "--apply r.rules",
        "--supervise r.rules",
        "-L --health-status",
        "--top",
        "-S --settings",
        "--sysctl",
        "--doctor",
        "--drain 30 -d -t 192.0.2.1:80 -r 198.51.100.1:80",
        "--metrics",
        "--generate no-such-kind",
        "-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1 --netns blue",
    ] {
        let args = words(line);
        assert!(crate::cli::fast::parse_plain(&args).is_none(), "{line}");
        assert!(claimed(&args), "{line}");
    }
}
