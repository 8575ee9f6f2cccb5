//! The command line, the published state and the metrics.

use super::*;
use lvs::kernel::StandIn;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(String::from).collect()
}

#[test]
fn command_lines() {
    assert_eq!(parse(&words("-L -n")), None);
    assert_eq!(parse(&words("--metrics")), None);
    assert_eq!(
        parse(&words("--supervise /etc/lvsadm.rules --listen :9000")),
        Some(Ok(Args {
            file: "/etc/lvsadm.rules".into(),
            listen: Some(":9000".into()),
            state_dir: PathBuf::from(STATE_DIR),
            drain: None,
        }))
    );
    assert_eq!(
        parse(&words("--supervise=f --state-dir /tmp/x"))
            .unwrap()
            .unwrap()
            .state_dir,
        PathBuf::from("/tmp/x")
    );
    let err = |s: &str| parse(&words(s)).unwrap().unwrap_err();
    assert_eq!(
        err("--supervise f -n"),
        "--supervise takes only --listen ADDR:PORT, --state-dir DIR and --drain[=SECS]"
    );
    assert_eq!(
        parse(&words("--supervise f --drain"))
            .unwrap()
            .unwrap()
            .drain,
        Some(Duration::from_secs(crate::app::drain::DEFAULT_SECS))
    );
    assert_eq!(
        parse(&words("--supervise f --drain=20"))
            .unwrap()
            .unwrap()
            .drain,
        Some(Duration::from_secs(20))
    );
    assert_eq!(
        err("--supervise f --drain=x"),
        "invalid --drain value `x' (seconds, 0 to 2678400)"
    );
    assert_eq!(err("--supervise f extra"), "unexpected argument extra");
    assert_eq!(
        err("--supervise -"),
        "--supervise needs a file (it is read again on SIGHUP), not standard input"
    );
    assert_eq!(
        err("--state-dir /tmp -L"),
        "--state-dir goes with --supervise"
    );
    // the words stay unknown to the ipvsadm parser
    assert!(crate::cli::parse(&words("--supervise f")).is_err());
}

#[test]
fn published_state_and_metrics() {
    let _one = crate::app::files::tests::SERIAL
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let text = "-A -t 192.0.2.1:80 -s rr --health http:/ --fall 1 --sorry 198.51.100.50:80\n\
                -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 2\n\
                -A -t 192.0.2.2:80\n\
                -a -t 192.0.2.2:80 -r 198.51.100.2:80 -m -w 1\n";
    let (wanted, problems, health) = crate::cli::rules::parse_rules_health(text);
    assert!(problems.is_empty());
    let mut k = StandIn::new();
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let t0 = Instant::now();
    let mut sup = Supervisor::start(Config { wanted, health }, &mut ctx, t0).unwrap();
    let key = (
        sup.cfg.wanted[0].svc.key(),
        sup.cfg.wanted[0].dests[0].dest.key(),
    );
    assert_eq!(
        sup.reload_logs_at_start(),
        ["-t 192.0.2.1:80 -r 198.51.100.1:80: waiting for 2 good checks"]
    );
    let j = state_json(&sup, "f.rules", t0);
    let s0 = &j["services"][0];
    assert_eq!(s0["service"], "-t 192.0.2.1:80");
    assert_eq!(s0["sorry_active"], true);
    assert_eq!(s0["servers"][0]["state"], "down");
    assert_eq!(s0["servers"][0]["weight"], 0);
    assert_eq!(s0["servers"][0]["written"], 2);
    assert_eq!(s0["servers"][0]["last"], serde_json::Value::Null);
    assert_eq!(j["services"][1]["servers"][0]["state"], "static");
    assert_eq!(j["services"][1]["servers"][0]["weight"], 1);
    for _ in 0..2 {
        sup.on_check(
            &key,
            1,
            true,
            "http status 200",
            Duration::from_millis(3),
            t0,
        );
    }
    let j = state_json(&sup, "f.rules", t0);
    let s0 = &j["services"][0];
    assert_eq!(s0["sorry_active"], false);
    assert_eq!(s0["servers"][0]["state"], "up");
    assert_eq!(s0["servers"][0]["weight"], 2);
    assert_eq!(s0["servers"][0]["last"], "http status 200");
    assert_eq!(s0["servers"][0]["last_ok"], true);
    assert_eq!(s0["servers"][0]["latency_ms"], 3.0);
    assert_eq!(s0["servers"][0]["transitions"], 1);
    // written field by field, the bytes serde_json writes for the object
    // (sorted keys, its number format), quotes escaped
    let text = state_text(&sup, "f \"quoted\".rules", t0);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v.to_string(), text);
    assert_eq!(v["file"], "f \"quoted\".rules");
    let m = health_metrics(&sup, t0);
    let l = "family=\"ipv4\",protocol=\"tcp\",address=\"192.0.2.1\",port=\"80\",fwmark=\"\",\
             server_address=\"198.51.100.1\",server_port=\"80\",check=\"http\"";
    for line in [
        format!("lvsadm_supervise_up{{{l}}} 1"),
        format!("lvsadm_supervise_state{{{l},state=\"up\"}} 1"),
        format!("lvsadm_supervise_check_latency_seconds{{{l}}} 0.003"),
        format!("lvsadm_supervise_transitions_total{{{l}}} 1"),
        "# TYPE lvsadm_supervise_transitions_total counter".to_string(),
    ] {
        assert!(m.lines().any(|x| x == line), "{line} not in\n{m}");
    }
    // the unchecked real server has no series
    assert!(!m.contains("198.51.100.2"));
}

#[test]
fn the_open_files_limit_is_raised_to_what_the_checks_need() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    let (_, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    // the usual soft limit first (the test process may have more)
    let low = hard.min(1024);
    setrlimit(Resource::RLIMIT_NOFILE, low, hard).unwrap();
    assert_eq!(raise_nofile(16), (low, hard));
    assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap(), (hard, hard));
    // more than the hard limit: both raised where allowed (root), else
    // the soft one still to the hard one
    setrlimit(Resource::RLIMIT_NOFILE, low, hard).unwrap();
    let (before, now) = raise_nofile(hard + 1);
    assert_eq!(before, low);
    assert!(now == hard + 1 || now == hard, "{now}");
    assert_eq!(getrlimit(Resource::RLIMIT_NOFILE).unwrap(), (now, now));
    assert_eq!(files_needed(10_000), 20_256);
}

#[test]
fn the_table_is_read_every_two_seconds_and_the_state_written_every_five() {
    let t0 = Instant::now();
    let ms = |n: u64| t0 + Duration::from_millis(n);
    // 100 services, a tick every 100 ms: 5 a tick, each once a pass of 2 s
    let mut sw = Sweep::new(t0);
    let mut seen = vec![0; 100];
    for tick in 1..=20 {
        let r = sw.slice(100, ms(tick * 100));
        assert_eq!(r.len(), 5, "tick {tick}");
        r.for_each(|i| seen[i] += 1);
        sw.took(Duration::from_millis(1), 100);
    }
    assert!(seen.iter().all(|&n| n == 1), "{seen:?}");
    // the next pass begins at the first service again
    assert_eq!(sw.slice(100, ms(2100)), 0..5);
    // a small file: 3 services read once each in 2 s, not one a tick
    let mut sw = Sweep::new(t0);
    let reads: usize = (1..=20).map(|t| sw.slice(3, ms(t * 100)).len()).sum();
    assert_eq!(reads, 3);
    // nothing due at once
    let mut sw = Sweep::new(t0);
    assert!(sw.slice(100, t0).is_empty());
    // a loop held up for 10 s owes one pass at most, and a slice ends at
    // the pass's end
    let mut sw = Sweep::new(t0);
    assert_eq!(sw.slice(100, ms(500)), 0..25);
    assert_eq!(sw.slice(100, ms(10_500)), 25..100);
    sw.took(Duration::from_millis(10), 100);
    // (of the pass owed, 25 were left over, and 5 more came due)
    assert_eq!(sw.slice(100, ms(10_600)), 0..30);
    // reads that take long are made less often: at most a twentieth
    assert_eq!(resync_period(Duration::from_millis(30)), RESYNC);
    assert_eq!(resync_period(Duration::from_millis(100)), RESYNC);
    assert_eq!(
        resync_period(Duration::from_millis(250)),
        Duration::from_secs(5)
    );
    let mut sw = Sweep::new(t0);
    for tick in 1..=20 {
        sw.slice(100, ms(tick * 100));
        sw.took(Duration::from_millis(12), 100);
    }
    assert_eq!(sw.period, Duration::from_millis(4800));
    assert_eq!(sw.slice(100, ms(2100)).len(), 2);
    // a full read restarts the pass, paced by what it took
    sw.restart(Duration::from_millis(500), ms(3000));
    assert_eq!(sw.period, Duration::from_secs(10));
    assert_eq!(sw.slice(100, ms(3100)), 0..1);
    // a reload that left fewer services than the pass had reached
    let mut sw = Sweep::new(t0);
    sw.slice(100, ms(1000));
    assert_eq!(sw.slice(10, ms(2000)), 0..5);
    assert!(publish_due(None, t0));
    assert!(!publish_due(Some(t0), t0 + Duration::from_millis(4900)));
    assert!(publish_due(Some(t0), t0 + Duration::from_secs(5)));
}

/// Not a check: the supervisor's own CPU, on the host, for profiling
/// (`perf record -p`). The kernel is the in-memory stand-in, so what is
/// measured is lvsadm's side of the checks and reconciliations. Run in a
/// network namespace whose `lo` holds the real servers' addresses, with
/// servers listening (tests/kernel/bench-peer):
/// `LVSADM_PROFILE_RULES=FILE cargo test --release --lib -- --ignored
/// --exact app::supervise::run::tests::supervise_for_profiling`; SIGTERM
/// ends it.
#[test]
#[ignore]
fn supervise_for_profiling() {
    let Ok(file) = std::env::var("LVSADM_PROFILE_RULES") else {
        return;
    };
    let mut k = StandIn::new();
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let dir = std::env::temp_dir().join(format!("lvsadm-profile-{}", std::process::id()));
    let a = Args {
        file,
        listen: None,
        state_dir: dir,
        drain: None,
    };
    assert_eq!(run(&mut ctx, &a), 0);
}
