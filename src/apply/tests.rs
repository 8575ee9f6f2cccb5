use super::*;
use crate::cli::rules::*;

pub(crate) fn rules(text: &str) -> Vec<Wanted> {
    let (w, p) = parse_rules(text);
    assert_eq!(p, vec![], "unexpected problems");
    w
}

/// The live table as the kernel would report the rules: HASHED set,
/// scheduler kept, key-only service fields otherwise.
fn live_of(w: &[Wanted]) -> Vec<(Service, Vec<Dest>)> {
    w.iter()
        .map(|w| {
            let mut s = w.svc.clone();
            s.flags |= ServiceFlags::HASHED;
            if s.fwmark != 0 {
                s.protocol = Protocol::Tcp;
            }
            (s, w.dests.iter().map(|d| d.dest.clone()).collect())
        })
        .collect()
}

fn lines(c: &[Change]) -> Vec<String> {
    c.iter().map(Change::command_line).collect()
}

const BASE: &str = "\
# web
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -g -w 1

ipvsadm -A -f 7 -6 -s wlc -p 60
-a -f 7 -6 -r [2001:db8::10]:0 -m -w 2
";

#[test]
fn same_state_plans_nothing() {
    let w = rules(BASE);
    assert_eq!(w.len(), 2);
    assert_eq!(w[1].line, 6);
    assert_eq!(plan(&w, &live_of(&w)), vec![]);
    assert_eq!(summary(&[], &[], Outcome::Made), "0 changes\n");
}

#[test]
fn names_and_inet_aton_forms_normalise() {
    let w = rules("-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1 -g\n");
    let same = rules("-A -t 3221225985:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:8080 -w 1\n");
    // DR forces the service port, and -g/-w 1 are the defaults.
    assert_eq!(plan(&same, &live_of(&w)), vec![]);
}

#[test]
fn from_empty_adds_services_before_dests() {
    let w = rules(BASE);
    let p = plan(&w, &[]);
    assert_eq!(
        lines(&p),
        vec![
            "-A -t 192.0.2.1:80 -s rr",
            "-A -f 7 -6 -s wlc -p 60",
            "-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1",
            "-a -t 192.0.2.1:80 -r 198.51.100.2:80 -g -w 1",
            "-a -f 7 -6 -r [2001:db8::10]:0 -m -w 2",
        ]
    );
    // Every planned line is itself a valid rule (round trip).
    let again = rules(&lines(&p).join("\n"));
    assert_eq!(plan(&again, &live_of(&w)), vec![]);
}

#[test]
fn differences_in_order() {
    let live = live_of(&rules(
        "-A -t 192.0.2.1:80 -s rr\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1 -g\n\
         -a -t 192.0.2.1:80 -r 198.51.100.9 -g\n\
         -A -u 192.0.2.2:53 -s rr\n\
         -a -u 192.0.2.2:53 -r 198.51.100.3 -m\n",
    ));
    let want = rules(
        "-A -t 192.0.2.1:80 -s wrr\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1 -g -w 5 -x 100 -y 10\n\
         -a -t 192.0.2.1:80 -r 198.51.100.4 -g\n\
         -A --sctp-service [2001:db8::1]:9 -s sh -b sh-port\n",
    );
    let p = plan(&want, &live);
    assert_eq!(
        lines(&p),
        vec![
            "-A --sctp-service [2001:db8::1]:9 -s sh -b sh-port",
            "-E -t 192.0.2.1:80 -s wrr",
            "-e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 5 -x 100 -y 10",
            "-a -t 192.0.2.1:80 -r 198.51.100.4:80 -g -w 1",
            "-d -t 192.0.2.1:80 -r 198.51.100.9:80",
            "-D -u 192.0.2.2:53",
        ]
    );
    assert_eq!(tally(&p), [[1, 1, 1], [1, 1, 1]]);
    assert!(summary(&p, &live, Outcome::Made)
        .ends_with("\ndeleted service -u 192.0.2.2:53 (1 destination)\n6 changes\n"));
    // Requests for real servers and deletions carry the service's key.
    let (req, op) = p[4].request();
    assert_eq!(op, Op::DelDest);
    match req {
        Request::DelDest(s, d) => {
            assert_eq!(s, ServiceKey::tcp("192.0.2.1:80".parse().unwrap()));
            assert_eq!(d.port, 80);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn kernel_only_flags_and_tunnel_fields() {
    let w = rules(
        "-A -t 192.0.2.1:80 -s rr -p\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1 -i --tun-type gue --tun-port 6080 --tun-csum\n",
    );
    let mut live = live_of(&w);
    assert_eq!(plan(&w, &live), vec![]);
    live[0].1[0].tun_checksum = TunnelChecksum::None;
    assert_eq!(
        lines(&plan(&w, &live)),
        vec!["-e -t 192.0.2.1:80 -r 198.51.100.1:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum"]
    );
    // tunnel fields of non-tunnel dests are not compared
    let w = rules("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 198.51.100.1 -m\n");
    let mut live = live_of(&w);
    live[0].1[0].tun_port = 9;
    assert_eq!(plan(&w, &live), vec![]);
}

#[test]
fn check_reports_every_problem() {
    let text = "\
-A -t 192.0.2.1:80 -s rr
-A -t 192.0.2.1:80 -s wlc
-a -t 192.0.2.9:80 -r 198.51.100.1
-a -t 192.0.2.1:80 -r 198.51.100.1
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -w 3
  # comment
-E -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r [2001:db8::1]:80 -m
-A -t 192.0.2.300:80
-L -n
-A -t 192.0.2.5:80 --bogus
-a -t 192.0.2.1:80 -r [2001:db8::1]:80 -i
192.0.2.1
";
    let (w, p) = parse_rules(text);
    let got: Vec<(usize, &str)> = p.iter().map(|p| (p.line, p.msg.as_str())).collect();
    assert_eq!(
        got,
        vec![
            (2, "duplicate service -t 192.0.2.1:80 (first defined on line 1)"),
            (3, "service -t 192.0.2.9:80 is not defined (no -A line for it before this one)"),
            (5, "duplicate real server 198.51.100.1:80 in service -t 192.0.2.1:80 (first defined on line 4)"),
            (7, "only -A (add-service) and -a (add-server) lines are allowed, not edit-service"),
            (8, "Different address family is allowed only for tunneling servers"),
            (9, "illegal virtual server address[:port] specified"),
            (10, "only -A (add-service) and -a (add-server) lines are allowed, not list"),
            (11, "--bogus: unknown option"),
            (13, "a line must start with -A or -a"),
        ]
    );
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].dests.len(), 2);
}

#[test]
fn sched_flags_by_name_in_plan_lines() {
    let w = rules(
        "-A -t 192.0.2.1:80 -s sh -b sh-fallback,sh-port\n\
         -A -t 192.0.2.2:80 -s mh -b mh-port\n\
         -A -t 192.0.2.3:80 -s rr -b flag-1,flag-3\n",
    );
    assert_eq!(
        lines(&plan(&w, &[])),
        vec![
            "-A -t 192.0.2.1:80 -s sh -b sh-fallback,sh-port",
            "-A -t 192.0.2.2:80 -s mh -b mh-port",
            "-A -t 192.0.2.3:80 -s rr -b flag-1,flag-3",
        ]
    );
    assert_eq!(
        sched_flags_all_named("mh", ServiceFlags::SCHED1 | ServiceFlags::SCHED3),
        vec!["mh-fallback", "flag-3"]
    );
}

#[test]
fn rule_file_words_lvsadm_and_trailing_comments() {
    let (w, p) = parse_rules(
        "lvsadm -A -t 192.0.2.1:80 -s rr   # the web service\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1 -g -w 2 #no blank after the hash\n\
         ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.2\t# tab\n",
    );
    assert_eq!(p, vec![]);
    assert_eq!(w.len(), 1);
    assert_eq!(w[0].dests.len(), 2);
    assert_eq!(w[0].dests[0].dest.weight, 2);
    // only a word that starts with # begins a comment; lvsadm only leads
    assert_eq!(rule_words("-A -t a#b:80"), vec!["-A", "-t", "a#b:80"]);
    let (_, p) = parse_rules("-A -t 192.0.2.1:80 lvsadm\n");
    assert_eq!(p.len(), 1);
}

#[test]
fn broken_add_line_does_not_cascade() {
    let text = "\
-A -t 192.0.2.1:80 -s rr --bogus
-a -t 192.0.2.1:80 -r 198.51.100.1
-A -t 192.0.2.2:80 -s wrrr
-a -t 192.0.2.2:80 -r 198.51.100.2
-A -f 7 -6 -p 1000000000
-a -f 7 -6 -r [2001:db8::1]:80 -m
-a -t 192.0.2.3:80 -r 198.51.100.3
";
    let (_, p) = parse_rules(text);
    let got: Vec<usize> = p.iter().map(|p| p.line).collect();
    // the -a lines of broken -A lines are quiet; a truly undefined one is not
    assert_eq!(got, vec![1, 3, 5, 7], "{p:?}");
    assert!(p[3].msg.contains("is not defined"));
}

#[test]
fn kernel_scheduler_and_engine_names() {
    for s in SCHEDULERS {
        let (_, p) = parse_rules(&format!("-A -t 192.0.2.1:80 -s {s}\n"));
        assert_eq!(p, vec![], "{s}");
    }
    let (_, p) = parse_rules("-A -u 192.0.2.1:5060 -s rr -p --pe sip\n");
    assert_eq!(p, vec![]);
    let (_, p) = parse_rules(
        "-A -t 192.0.2.1:80 -s wrrr\n-A -u 192.0.2.1:53 -s rr -p --pe nosuch\n-A -t 192.0.2.2:80 -s RR\n",
    );
    let got: Vec<(usize, &str)> = p.iter().map(|p| (p.line, p.msg.as_str())).collect();
    assert_eq!(got.len(), 3);
    assert_eq!(
        got[0],
        (
            1,
            "Scheduler or persistence engine not found: no scheduler wrrr \
             (the kernel's are rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh twos none)"
        )
    );
    assert_eq!(
        got[1],
        (
            2,
            "Scheduler or persistence engine not found: no persistence engine nosuch \
             (the kernel's are sip)"
        )
    );
    assert!(got[2].1.contains("no scheduler RR"));
}

fn dest_with(w: &[Wanted], x: u32, y: u32) -> Vec<(Service, Vec<Dest>)> {
    let mut live = live_of(w);
    live[0].1[0].u_threshold = x;
    live[0].1[0].l_threshold = y;
    live
}

#[test]
fn absent_thresholds_are_kept_and_changes_show() {
    let w = rules("-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3\n");
    let live = dest_with(&w, 500, 100);
    assert_eq!(plan(&w, &live), vec![]);
    // an edit for another reason carries (and shows) the kept thresholds
    let w5 = rules("-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 5\n");
    let p = plan(&w5, &live);
    assert_eq!(
        lines(&p),
        vec!["-e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 5 -x 500 -y 100"]
    );
    match p[0].request().0 {
        Request::SetDest(_, d) => assert_eq!((d.u_threshold, d.l_threshold), (500, 100)),
        other => panic!("{other:?}"),
    }
    // given thresholds are applied, a change to 0 shows as -x 0
    let w0 =
        rules("-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3 -x 0\n");
    assert_eq!(
        lines(&plan(&w0, &live)),
        vec!["-e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3 -x 0 -y 100"]
    );
    let wy =
        rules("-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3 -y 7\n");
    assert_eq!(
        lines(&plan(&wy, &live)),
        vec!["-e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3 -x 500 -y 7"]
    );
    // every plan line applies as 0 changes afterwards (what it shows is what it sets)
    for w in [&w5, &w0, &wy] {
        let p = plan(w, &live);
        let Change::EditDest(_, d, _) = &p[0] else {
            panic!()
        };
        let after = dest_with(w, d.u_threshold, d.l_threshold);
        let again = rules(&format!(
            "-A -t 192.0.2.1:80 -s rr\n{}\n",
            lines(&p)[0].replacen("-e", "-a", 1)
        ));
        assert_eq!(plan(&again, &after), vec![]);
    }
}

/// What `-Sn` writes for a live table.
pub(crate) fn saved(live: &[(Service, Vec<Dest>)]) -> String {
    let mut out = Vec::new();
    for (s, ds) in live {
        crate::format::write_save_service(&mut out, s, crate::format::Names::Numeric).unwrap();
        for d in ds {
            crate::format::write_save_dest(&mut out, s, d, crate::format::Names::Numeric).unwrap();
        }
    }
    String::from_utf8(out).unwrap()
}

#[test]
fn save_then_apply_is_no_change_whatever_the_table_holds() {
    let w = rules(
        "-A -t 192.0.2.1:80 -s rr\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3\n\
         -A -t 192.0.2.2:80 -s mh -b mh-port\n\
         -a -t 192.0.2.2:80 -r 198.51.100.2:80 -i --tun-type gue --tun-port 6080 --tun-nocsum\n\
         -A -u 192.0.2.3:53 -s wlc\n\
         -A -f 9 -6 -s sh -p 60 -M 64 -b sh-fallback\n\
         -a -f 9 -6 -r [2001:db8::9]:0 -m -w 2\n",
    );
    let mut live = live_of(&w);
    // what -S does not write: thresholds, flag 3 of mh, the timeout and
    // mask of a service that is not persistent
    live[0].1[0].u_threshold = 500;
    live[0].1[0].l_threshold = 100;
    live[1].0.flags |= ServiceFlags::SCHED3;
    live[2].0.timeout = std::time::Duration::from_secs(300);
    live[2].0.netmask = Netmask::Mask(std::net::Ipv4Addr::from_bits(0xffff_ff00));
    let text = saved(&live);
    let back = rules(&text);
    assert_eq!(plan(&back, &live), vec![], "{text}");
}

#[test]
fn scopes_parse_and_match() {
    let svc = |l: &str| rules(l).remove(0).svc;
    let web = svc("-A -t 192.0.2.1:80\n");
    let dns = svc("-A -u 192.0.2.1:53\n");
    let other = svc("-A -t 192.0.2.2:80\n");
    let v6 = svc("-A -t [2001:db8::1]:80\n");
    let mark = svc("-A -f 5\n");
    let mark6 = svc("-A -f 5 -6\n");
    let one = |spec: &str| parse_scope(spec).unwrap();
    let ip = one("192.0.2.1");
    assert!(ip.contains(&web) && ip.contains(&dns) && !ip.contains(&other) && !ip.contains(&mark));
    let t = one("tcp:192.0.2.1:80");
    assert!(t.contains(&web) && !t.contains(&dns));
    assert!(one("tcp:192.0.2.1:http").contains(&web));
    assert!(one("udp:192.0.2.1:53").contains(&dns));
    assert!(one("[2001:db8::1]").contains(&v6) && one("2001:db8::1").contains(&v6));
    assert!(one("tcp:[2001:db8::1]:80").contains(&v6));
    let f = one("fwmark:5");
    assert!(f.contains(&mark) && f.contains(&mark6) && !f.contains(&web));
    assert!(in_scope(&[], &other));
    assert!(in_scope(&[t.clone(), f.clone()], &mark));
    assert!(!in_scope(&[t, f], &other));
    for bad in [
        "",
        "fwmark:0",
        "fwmark:x",
        "tcp:192.0.2.1",
        "tcp:192.0.2.300:80",
        "192.0.2",
        "web",
    ] {
        assert!(
            parse_scope(bad)
                .unwrap_err()
                .starts_with("invalid --scope "),
            "{bad}"
        );
    }
    let w = rules("-A -t 192.0.2.1:80\n-A -t 192.0.2.2:80\n");
    assert_eq!(
        scope_problems(&w, &[one("192.0.2.1")]),
        vec![Problem {
            line: 2,
            msg: "service -t 192.0.2.2:80 is outside every --scope".into()
        }]
    );
    assert_eq!(scope_problems(&w, &[]), vec![]);
}

#[test]
fn deletion_guard() {
    let live = live_of(&rules(
        "-A -t 192.0.2.1:80\n-A -t 192.0.2.2:80\n-A -t 192.0.2.3:80\n-A -t 192.0.2.4:80\n",
    ));
    let keep = |n: usize| {
        rules(
            &live[..n]
                .iter()
                .map(|(s, _)| format!("-A {} -s wlc\n", service_rule(s)))
                .collect::<String>(),
        )
    };
    let p2 = plan(&keep(2), &live);
    assert_eq!(guard(&p2, 4, 50), Ok(()));
    let p1 = plan(&keep(1), &live);
    assert_eq!(
        guard(&p1, 4, 50),
        Err(
            "refusing to delete 3 of 4 live services (75%, more than the 50% allowed): \
             give --force, or --max-delete 75"
                .into()
        )
    );
    assert_eq!(guard(&p1, 4, 75), Ok(()));
    assert!(guard(&plan(&[], &live), 4, 99).is_err());
    assert_eq!(guard(&plan(&[], &live), 4, 100), Ok(()));
    assert_eq!(guard(&[], 0, 0), Ok(()));
    assert_eq!(parse_max_delete("30"), Ok(30));
    assert_eq!(parse_max_delete("100%"), Ok(100));
    assert!(parse_max_delete("101").is_err() && parse_max_delete("-1").is_err());
    // the summary names what goes
    let s = summary(&p1, &live, Outcome::DryRun);
    assert!(
        s.contains("would delete service -t 192.0.2.2:80 (0 destinations)\n"),
        "{s}"
    );
    assert!(s.ends_with("3 changes (dry run, nothing changed)\n"));
}

#[test]
fn inverses_give_back_every_setting() {
    let old = live_of(&rules(
        "-A -t 192.0.2.1:80 -s wlc -p 300\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 3 -x 500 -y 100\n\
         -a -t 192.0.2.1:80 -r 198.51.100.2:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum\n\
         -A -u 192.0.2.2:53 -s rr\n\
         -a -u 192.0.2.2:53 -r 198.51.100.3:53 -m -w 4 -x 9 -y 1\n",
    ));
    let new = rules(
        "-A -t 192.0.2.1:80 -s rr\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 1 -x 0 -y 0\n\
         -A -t 192.0.2.7:80 -s rr\n\
         -a -t 192.0.2.7:80 -r 198.51.100.7:80 -m\n",
    );
    let p = plan(&new, &old);
    let undo: Vec<String> = undo_plan(&p, &old)
        .iter()
        .map(Change::command_line)
        .collect();
    assert_eq!(
        undo,
        vec![
            "-A -u 192.0.2.2:53 -s rr",
            "-a -u 192.0.2.2:53 -r 198.51.100.3:53 -m -w 4 -x 9 -y 1",
            "-a -t 192.0.2.1:80 -r 198.51.100.2:80 -i -w 2 --tun-type gue --tun-port 6080 --tun-csum",
            "-d -t 192.0.2.7:80 -r 198.51.100.7:80",
            "-e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 3 -x 500 -y 100",
            "-E -t 192.0.2.1:80 -s wlc -p 300",
            "-D -t 192.0.2.7:80",
        ]
    );
    for c in &p {
        assert!(!inverse(c, &old).is_empty(), "{c:?}");
    }
    // the kernel's HASHED flag is not sent back
    let Change::EditService(s) = &inverse(&p[1], &old)[0] else {
        panic!("{:?}", p[1]);
    };
    assert!(!s.flags.intersects(ServiceFlags::HASHED));
}
