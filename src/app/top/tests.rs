use super::model::*;
use super::view::{Action, View};
use super::*;
use lvs::kernel::StandIn;
use lvs::model::Stats;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashSet;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

fn stats(conns: u64, pkts: u64, bytes: u64) -> Stats {
    Stats {
        conns,
        inpkts: pkts,
        outpkts: pkts / 2,
        inbytes: bytes,
        outbytes: bytes * 3,
        ..Stats::default()
    }
}

/// A table made with lvsadm's own command lines on the stand-in kernel.
fn table(lines: &[&str]) -> StandIn {
    let mut k = StandIn::default();
    for l in lines {
        let p = match crate::cli::parse(&words(l)) {
            Ok(crate::cli::Outcome::Run(p)) => p,
            other => panic!("{l}: {other:?}"),
        };
        let key = p.svc.key();
        match p.cmd {
            crate::cli::Cmd::AddService => k.add_service(&p.svc).unwrap(),
            crate::cli::Cmd::AddDest => k.add_dest(&key, &p.dest).unwrap(),
            c => panic!("{c:?}"),
        }
    }
    k
}

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

#[test]
fn rates_are_the_counter_differences_over_the_time() {
    let r = rates(&stats(100, 1000, 50_000), &stats(300, 5000, 90_000), 2.0);
    assert_eq!(r.conns, 100.0);
    assert_eq!(r.inpkts, 2000.0);
    assert_eq!(r.outpkts, 1000.0);
    assert_eq!(r.pkts(), 3000.0);
    assert_eq!(r.inbytes, 20_000.0);
    assert_eq!(r.outbytes, 60_000.0);
    assert_eq!(r.bytes(), 80_000.0);
    // a quarter of a second
    assert_eq!(
        rates(&stats(0, 0, 0), &stats(1, 10, 100), 0.25).inbytes,
        400.0
    );
    // zeroed counters (-Z): no negative rate
    assert_eq!(
        rates(&stats(300, 5000, 90_000), &stats(2, 4, 8), 1.0),
        Rates::default()
    );
    assert_eq!(
        rates(&stats(0, 0, 0), &stats(9, 9, 9), 0.0),
        Rates::default()
    );
    // 64-bit counters near the top
    let big = Stats {
        inbytes: u64::MAX - 10,
        ..Stats::default()
    };
    let bigger = Stats {
        inbytes: u64::MAX,
        ..Stats::default()
    };
    assert_eq!(rates(&big, &bigger, 1.0).inbytes, 10.0);
}

fn sample() -> Vec<(lvs::model::Service, Vec<lvs::model::Dest>)> {
    let mut k = table(&[
        "-A -t 192.0.2.1:80 -s wrr",
        "-a -t 192.0.2.1:80 -r 198.51.100.1:80 -w 3",
        "-a -t 192.0.2.1:80 -r 198.51.100.2:80 -w 1",
        "-a -t 192.0.2.1:80 -r 198.51.100.3:80 -w 0",
        "-A -u 192.0.2.2:53",
        "-a -u 192.0.2.2:53 -r 198.51.100.4:53",
        "-A -f 7",
    ]);
    read(&mut k, None).unwrap()
}

/// `t` with counters set: per real server (conns, in packets, in bytes)
/// in order, the services' the sums.
fn with_counters(
    mut t: Vec<(lvs::model::Service, Vec<lvs::model::Dest>)>,
    c: &[(u64, u64, u64)],
) -> Vec<(lvs::model::Service, Vec<lvs::model::Dest>)> {
    let mut it = c.iter();
    for (s, ds) in &mut t {
        let mut sum = Stats::default();
        for d in ds {
            let &(a, b, c) = it.next().unwrap();
            d.stats = stats(a, b, c);
            sum.conns += d.stats.conns;
            sum.inpkts += d.stats.inpkts;
            sum.outpkts += d.stats.outpkts;
            sum.inbytes += d.stats.inbytes;
            sum.outbytes += d.stats.outbytes;
        }
        s.stats = sum;
    }
    t
}

#[test]
fn tracker_rates_shares_history_and_apart() {
    let t0 = with_counters(sample(), &[(0, 0, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0)]);
    let t1 = with_counters(
        sample(),
        &[(30, 300, 3000), (10, 100, 1000), (0, 0, 0), (5, 50, 500)],
    );
    let t2 = with_counters(
        sample(),
        &[(90, 900, 9000), (30, 300, 3000), (0, 0, 0), (5, 50, 500)],
    );
    let mut tr = Tracker::new(1.0);
    assert_eq!(tr.keep, 60);
    let rows = tr.update(&t0, None, &HealthMap::new());
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].rates, Rates::default());
    assert!(rows[0].history.is_empty());
    let rows = tr.update(&t1, Some(1.0), &HealthMap::new());
    let web = &rows[0];
    assert_eq!(web.label, "TCP  192.0.2.1:80");
    assert_eq!((web.weight, web.sched.as_str()), (4, "wrr"));
    assert_eq!(web.rates.conns, 40.0);
    assert_eq!(web.rates.bytes(), 16_000.0);
    assert_eq!(web.dests[0].rates.pkts(), 450.0);
    assert_eq!(web.dests[0].share, Some(0.75));
    assert_eq!(web.dests[1].share, Some(0.25));
    assert_eq!(web.dests[2].share, Some(0.0));
    assert!(web.dests[2].is_apart() && !web.dests[0].is_apart());
    // the service's share of all: 16000 of 18000 bytes per second
    assert_eq!(web.share, Some(16_000.0 / 18_000.0));
    assert_eq!(rows[2].share, Some(0.0));
    assert_eq!(rows[2].dests.len(), 0);
    // two seconds later, three times the counters' growth: rates doubled
    let rows = tr.update(&t2, Some(2.0), &HealthMap::new());
    assert_eq!(rows[0].rates.conns, 40.0);
    assert_eq!(rows[0].dests[0].rates.conns, 30.0);
    assert_eq!(rows[0].dests[0].history, vec![450.0, 450.0]);
    assert_eq!(rows[1].rates, Rates::default());
    assert_eq!(rows[1].share, Some(0.0));
    assert_eq!(rows[1].dests[0].share, None);
    // a real server that goes away is forgotten; one that comes back
    // starts again without rates
    let mut t3 = t2.clone();
    let gone = t3[0].1.remove(0);
    tr.update(&t3, Some(1.0), &HealthMap::new());
    t3[0].1.insert(0, gone);
    let rows = tr.update(&t3, Some(1.0), &HealthMap::new());
    assert_eq!(rows[0].dests[0].rates, Rates::default());
    assert!(rows[0].dests[0].history.is_empty());
}

#[test]
fn history_keeps_a_minute() {
    let mut tr = Tracker::new(0.5);
    assert_eq!(tr.keep, 120);
    let mut tr5 = Tracker::new(5.0);
    assert_eq!(tr5.keep, 12);
    let mut t = with_counters(sample(), &[(0, 0, 0); 4]);
    tr5.update(&t, None, &HealthMap::new());
    for n in 1..=20u64 {
        t = with_counters(sample(), &[(0, n * 10, 0), (0, 0, 0), (0, 0, 0), (0, 0, 0)]);
        let rows = tr5.update(&t, Some(5.0), &HealthMap::new());
        assert_eq!(rows[0].dests[0].history.len(), (n as usize).min(12));
    }
    tr.update(&t, None, &HealthMap::new());
}

const SUPERVISE_JSON: &str = r#"{"file":"/etc/x.rules","pid":1,"updated":5,"services":[
 {"service":"-t 192.0.2.1:80","sorry_active":false,"servers":[
  {"server":"198.51.100.1:80","check":"http","state":"up","weight":3,"written":3,"last":"HTTP 200","last_ok":true},
  {"server":"198.51.100.2:80","check":"tcp","state":"down","weight":0,"written":1,"last":"connect: Connection refused","last_ok":false},
  {"server":"bogus","state":"up"},
  {"server":"198.51.100.3:80","check":"none","state":"static","weight":0,"written":0}]}]}"#;

#[test]
fn health_from_supervise_json() {
    let h = parse_health(SUPERVISE_JSON).unwrap();
    assert_eq!(h.len(), 3);
    let down = &h[&(
        "-t 192.0.2.1:80".to_string(),
        "198.51.100.2:80".parse().unwrap(),
    )];
    assert_eq!(down.state, "down");
    assert_eq!(down.reason.as_deref(), Some("connect: Connection refused"));
    assert!(down.is_out());
    assert!(parse_health("not json").is_none());
    assert!(parse_health("{}").is_none());
    // the rows carry it: the down one is apart although its weight is 1
    let mut tr = Tracker::new(1.0);
    let rows = tr.update(&sample(), None, &h);
    let d = &rows[0].dests;
    assert_eq!(d[0].health.as_ref().unwrap().state, "up");
    assert!(d[1].is_apart() && d[1].weight == 1);
    assert!(rows[1].dests[0].health.is_none());
}

fn rows_for_sort() -> Vec<SvcRow> {
    let t1 = with_counters(
        sample(),
        &[(30, 300, 3000), (10, 900, 1000), (0, 0, 0), (5, 50, 50_000)],
    );
    let mut tr = Tracker::new(1.0);
    tr.update(
        &with_counters(sample(), &[(0, 0, 0); 4]),
        None,
        &HealthMap::new(),
    );
    tr.update(&t1, Some(1.0), &HealthMap::new())
}

#[test]
fn sorting_by_columns() {
    let labels = |r: &[SvcRow]| r.iter().map(|r| r.label.clone()).collect::<Vec<_>>();
    let dests = |r: &SvcRow| r.dests.iter().map(|d| d.label.clone()).collect::<Vec<_>>();
    let mut rows = rows_for_sort();
    sort_rows(&mut rows, Sort::default());
    assert_eq!(
        labels(&rows),
        ["TCP  192.0.2.1:80", "UDP  192.0.2.2:53", "FWM  7"]
    );
    assert_eq!(
        dests(&rows[0]),
        ["198.51.100.1:80", "198.51.100.2:80", "198.51.100.3:80"]
    );
    let bytes = Sort::default().press(SortKey::Bytes);
    assert!(bytes.descending);
    sort_rows(&mut rows, bytes);
    assert_eq!(
        labels(&rows),
        ["UDP  192.0.2.2:53", "TCP  192.0.2.1:80", "FWM  7"]
    );
    // within a service: by bytes, the weight-0 one last whatever the sort
    assert_eq!(
        dests(&rows[1]),
        ["198.51.100.1:80", "198.51.100.2:80", "198.51.100.3:80"]
    );
    let pkts = bytes.press(SortKey::Packets);
    sort_rows(&mut rows, pkts);
    assert_eq!(
        dests(&rows[0]),
        ["198.51.100.2:80", "198.51.100.1:80", "198.51.100.3:80"]
    );
    // pressing again reverses; the apart ones stay last
    let up = pkts.press(SortKey::Packets);
    assert!(!up.descending);
    sort_rows(&mut rows, up);
    assert_eq!(
        labels(&rows),
        ["FWM  7", "UDP  192.0.2.2:53", "TCP  192.0.2.1:80"]
    );
    assert_eq!(
        dests(&rows[2]),
        ["198.51.100.1:80", "198.51.100.2:80", "198.51.100.3:80"]
    );
    sort_rows(&mut rows, Sort::default().press(SortKey::Weight));
    assert_eq!(
        labels(&rows),
        ["TCP  192.0.2.1:80", "UDP  192.0.2.2:53", "FWM  7"]
    );
}

#[test]
fn lines_filter_collapse_and_apart() {
    let rows = rows_for_sort();
    let none = HashSet::new();
    use Line::*;
    assert_eq!(
        lines(&rows, &none, ""),
        [
            Service(0),
            Dest(0, 0),
            Dest(0, 1),
            Apart(0),
            Dest(0, 2),
            Service(1),
            Dest(1, 0),
            Service(2)
        ]
    );
    let collapsed: HashSet<_> = [rows[0].key].into();
    assert_eq!(
        lines(&rows, &collapsed, ""),
        [Service(0), Service(1), Dest(1, 0), Service(2)]
    );
    // a real server's address: its service and it alone
    assert_eq!(lines(&rows, &none, "100.2"), [Service(0), Dest(0, 1)]);
    // a service's label: all of it
    assert_eq!(lines(&rows, &none, "udp"), [Service(1), Dest(1, 0)]);
    assert_eq!(lines(&rows, &none, "fwm  7"), [Service(2)]);
    assert_eq!(lines(&rows, &none, "203.0.113."), []);
}

#[test]
fn scrolling_keeps_the_selection_in_view() {
    assert_eq!(scroll(10, 20, 5, 0), 0);
    assert_eq!(scroll(100, 20, 5, 0), 0);
    assert_eq!(scroll(100, 20, 20, 0), 1);
    assert_eq!(scroll(100, 20, 99, 0), 80);
    assert_eq!(scroll(100, 20, 50, 45), 45);
    assert_eq!(scroll(100, 20, 10, 45), 10);
    assert_eq!(scroll(100, 20, 99, 95), 80);
    assert_eq!(scroll(100, 0, 50, 7), 0);
}

#[test]
fn columns_fit_the_width() {
    let fixed: usize = FIXED.iter().sum();
    assert_eq!(fixed, 52);
    let w = widths(80, 20, 60);
    assert_eq!(
        w,
        Widths {
            name: 20,
            history: 7
        }
    );
    assert_eq!(52 + 20 + 1 + 7, 80);
    // at 80 columns a longer name leaves four bars
    assert_eq!(
        widths(80, 24, 60),
        Widths {
            name: 23,
            history: 4
        }
    );
    let w = widths(120, 24, 60);
    assert_eq!(
        w,
        Widths {
            name: 24,
            history: 43
        }
    );
    assert_eq!(52 + 24 + 1 + 43, 120);
    let w = widths(200, 24, 60);
    assert_eq!(
        w,
        Widths {
            name: 87,
            history: 60
        }
    );
    // a long name takes room from the history, up to 48 columns
    assert_eq!(
        widths(200, 60, 60),
        Widths {
            name: 87,
            history: 60
        }
    );
    assert_eq!(
        widths(120, 60, 60),
        Widths {
            name: 48,
            history: 19
        }
    );
    // too narrow for a history
    assert_eq!(
        widths(76, 24, 60),
        Widths {
            name: 24,
            history: 0
        }
    );
    assert_eq!(
        widths(70, 24, 60),
        Widths {
            name: 18,
            history: 0
        }
    );
    assert_eq!(
        widths(10, 24, 60),
        Widths {
            name: 1,
            history: 0
        }
    );
}

#[test]
fn numbers_and_sparklines() {
    let cases = [
        (0.0, "0"),
        (0.5, "0.5"),
        (1.0, "1"),
        (9.94, "9.9"),
        (9.96, "10"),
        (120.4, "120"),
        (999.4, "999"),
        (999.6, "1.0K"),
        (12_500.0, "12K"),
        (125_000.0, "125K"),
        (1_250_000.0, "1.2M"),
        (3.2e9, "3.2G"),
        (-1.0, "0"),
        (f64::NAN, "0"),
    ];
    for (v, s) in cases {
        assert_eq!(human(v), s, "{v}");
    }
    assert_eq!(count(999_999), "999999");
    assert_eq!(count(1_500_000), "1.5M");
    assert_eq!(percent(None), "-");
    assert_eq!(percent(Some(1.0)), "100%");
    assert_eq!(percent(Some(1.0 / 3.0)), "33.3%");
    assert_eq!(spark(&[0.0, 1.0, 2.0, 4.0, 8.0], 5), " ▁▂▄█");
    assert_eq!(spark(&[8.0, 4.0], 4), "  █▄");
    assert_eq!(spark(&[1.0, 2.0, 3.0, 8.0, 8.0], 2), "██");
    assert_eq!(spark(&[], 3), "   ");
    assert_eq!(spark(&[0.0, 0.0], 2), "  ");
}

#[test]
fn command_lines() {
    let ok = |s: &str| parse(&words(s)).unwrap().unwrap();
    let a = ok("--top");
    assert_eq!(a.interval, 1.0);
    assert_eq!(a.only, None);
    assert_eq!(a.state_dir, PathBuf::from("/run/lvsadm"));
    let a = ok("--top -t 192.0.2.1:80 --interval 0.5 --state-dir /tmp/s -n");
    assert_eq!(a.interval, 0.5);
    assert_eq!(a.only.unwrap().to_string(), "-t 192.0.2.1:80");
    assert_eq!(a.state_dir, PathBuf::from("/tmp/s"));
    assert_eq!(ok("--top -f 7 -6").only.unwrap().to_string(), "-f 7 -6");
    assert_eq!(parse(&words("-Ln")), None);
    assert_eq!(parse(&words("-Ln --rate")), None);
    let err = |s: &str| parse(&words(s)).unwrap().unwrap_err();
    assert_eq!(err("--interval 2"), "--interval goes with --top");
    assert!(err("--top --interval 0").contains("invalid --interval value `0'"));
    assert!(err("--top --interval x").contains("invalid --interval"));
    assert!(err("--top --interval 4000").contains("0.2 to 3600"));
    assert!(err("--top -L").starts_with("--top takes only"));
    assert!(err("--top --metrics").starts_with("--top takes only"));
    assert_eq!(err("--top extra"), "unexpected argument extra");
    assert!(err("--top -t 192.0.2.1:99999").starts_with("--top: "));
    assert!(err("--top --bogus").contains("bogus"));
}

#[test]
fn read_filters_one_service() {
    let mut k = table(&[
        "-A -t 192.0.2.1:80",
        "-a -t 192.0.2.1:80 -r 198.51.100.1:80",
        "-A -t 192.0.2.1:443",
    ]);
    let a = ok_args("--top -t 192.0.2.1:443");
    let t = read(&mut k, a.only.as_ref()).unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].0.port, 443);
    assert_eq!(read(&mut k, None).unwrap().len(), 2);
}

fn ok_args(s: &str) -> Args {
    parse(&words(s)).unwrap().unwrap()
}

/// The screen as text, one string per line, trailing spaces dropped.
fn screen(v: &mut View, w: u16, h: u16) -> Vec<String> {
    let backend = ratatui::backend::TestBackend::new(w, h);
    let mut term = ratatui::Terminal::new(backend).unwrap();
    term.draw(|f| v.draw(f)).unwrap();
    let buf = term.backend().buffer().clone();
    (0..h)
        .map(|y| {
            let line: String = (0..w).map(|x| buf[(x, y)].symbol().to_string()).collect();
            line.trim_end().to_string()
        })
        .collect()
}

fn view() -> View {
    let mut v = View {
        interval: 1.0,
        ..View::default()
    };
    v.set_rows(rows_for_sort());
    v
}

#[test]
fn the_screen_at_80_by_24() {
    let mut v = view();
    let s = screen(&mut v, 80, 24);
    assert_eq!(
        s[0],
        "lvsadm --top  1s  sort name↑  3 services, 4 real servers (1 apart)"
    );
    assert_eq!(
        s[1],
        "Service/real server↑ Weight Active  InAct   CPS   PPS   BPS Share State  PPS, la"
    );
    assert_eq!(
        s[2],
        "- TCP  192.0.2.1:80       4      0      0    40  1.8K   16K  7.4%              █"
    );
    assert_eq!(
        s[3],
        "  -> 198.51.100.1:80      3      0      0    30   450   12K 75.0%              █"
    );
    assert_eq!(
        s[4],
        "  -> 198.51.100.2:80      1      0      0    10  1.4K  4.0K 25.0%              █"
    );
    assert_eq!(s[5], "    weight 0 or out of service:");
    assert_eq!(
        s[6],
        "  -> 198.51.100.3:80      0      0      0     0     0     0  0.0%"
    );
    assert!(s[7].starts_with("- UDP  192.0.2.2:53"), "{}", s[7]);
    assert!(s[9].starts_with("- FWM  7  "), "{}", s[9]);
    assert_eq!(s[10], "");
    assert_eq!(
        s[23],
        "TCP 192.0.2.1:80 wrr  packets in/out 1.2K/600 per s  bytes in/out 4.0K/12K per s"
    );
    for l in &s {
        assert!(l.chars().count() <= 80);
    }
}

#[test]
fn keys_sort_filter_collapse_pause_and_quit() {
    let mut v = view();
    assert_eq!(v.key(key('b'), 20), Action::Redraw);
    assert_eq!(
        v.sort,
        Sort {
            key: SortKey::Bytes,
            descending: true
        }
    );
    assert!(screen(&mut v, 80, 24)[2].starts_with("- UDP"));
    let t = screen(&mut v, 80, 24);
    assert!(t[1].contains("   PPS  BPS↓ Share "), "{}", t[1]);
    v.key(key('r'), 20);
    assert!(screen(&mut v, 80, 24)[2].starts_with("- FWM"));
    // filter: typed after /, applied by Enter, cleared by Esc
    v.key(key('/'), 20);
    for c in "100.4".chars() {
        v.key(key(c), 20);
    }
    assert!(screen(&mut v, 80, 24)[23].starts_with("filter: 100.4_"));
    v.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), 20);
    let s = screen(&mut v, 80, 24);
    assert!(
        s[0].starts_with("lvsadm --top  1s  filter \"100.4\"  sort BPS↑"),
        "{}",
        s[0]
    );
    assert!(s[2].starts_with("- UDP") && s[3].starts_with("  -> 198.51.100.4:53"));
    assert_eq!(s[4], "");
    v.key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE), 20);
    assert_eq!(v.lines.len(), 8);
    // collapse the selected service, then all, then none
    v.key(key('n'), 20);
    v.key(KeyCode::Home.into(), 20);
    v.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE), 20);
    let s = screen(&mut v, 80, 24);
    assert!(
        s[2].starts_with("+ TCP") && s[3].starts_with("- UDP"),
        "{s:?}"
    );
    v.key(key('x'), 20);
    assert_eq!(v.lines.len(), 8);
    v.key(key('x'), 20);
    assert_eq!(v.lines.len(), 3);
    // pause, and the key that ends it asks for a read
    assert_eq!(v.key(key(' '), 20), Action::Redraw);
    assert!(screen(&mut v, 80, 24)[0].starts_with("lvsadm --top  1s  PAUSED  sort"));
    assert_eq!(v.key(key(' '), 20), Action::Refresh);
    assert_eq!(v.key(key('q'), 20), Action::Quit);
    assert_eq!(
        v.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL), 20),
        Action::Quit
    );
}

#[test]
fn health_and_reason_of_the_selected_real_server() {
    let mut tr = Tracker::new(1.0);
    let rows = tr.update(&sample(), None, &parse_health(SUPERVISE_JSON).unwrap());
    let mut v = View::default();
    v.set_rows(rows);
    let s = screen(&mut v, 100, 12);
    // the down one is with the weight-0 one, apart
    assert_eq!(s[4], "    weight 0 or out of service:");
    assert!(
        s[5].starts_with("  -> 198.51.100.2:80") && s[5].contains(" down"),
        "{s:?}"
    );
    assert!(s[6].starts_with("  -> 198.51.100.3:80") && s[6].contains(" static"));
    for _ in 0..3 {
        v.key(KeyCode::Down.into(), 20);
    }
    let s = screen(&mut v, 100, 12);
    assert!(
        s[11].starts_with("198.51.100.2:80 down: connect: Connection refused  packets in/out 0/0"),
        "{}",
        s[11]
    );
}

#[test]
fn a_thousand_services_scroll() {
    let mut k = StandIn::default();
    for n in 0..1000u32 {
        let l = format!("-A -t 192.0.2.{}:{}", n % 250 + 1, 1000 + n / 250);
        let p = match crate::cli::parse(&words(&l)) {
            Ok(crate::cli::Outcome::Run(p)) => p,
            _ => unreachable!(),
        };
        k.add_service(&p.svc).unwrap();
    }
    let mut tr = Tracker::new(1.0);
    let mut v = View::default();
    v.set_rows(tr.update(&read(&mut k, None).unwrap(), None, &HashMap::new()));
    assert_eq!(v.lines.len(), 1000);
    let s = screen(&mut v, 80, 24);
    assert!(s[2].starts_with("- TCP  192.0.2.1:1000"), "{}", s[2]);
    v.key(KeyCode::End.into(), 21);
    let s = screen(&mut v, 80, 24);
    assert!(s[22].starts_with("- TCP  192.0.2.250:1003"), "{}", s[22]);
    assert_eq!(v.top, 1000 - 21);
    v.key(KeyCode::PageUp.into(), 21);
    v.key(KeyCode::PageUp.into(), 21);
    assert_eq!(v.selected, 999 - 42);
    let s = screen(&mut v, 80, 24);
    assert_eq!(v.top, 999 - 42);
    assert!(s[2].contains("192.0.2."));
}

use std::collections::HashMap;
