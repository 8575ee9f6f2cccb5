use super::*;

fn rules(text: &str) -> Vec<Wanted> {
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
            s.flags |= SVC_F_HASHED;
            if s.fwmark != 0 {
                s.protocol = IPPROTO_TCP;
            }
            (s, w.dests.clone())
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
    assert_eq!(summary(&[], ""), "0 changes\n");
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
            "-A --sctp-service [2001:db8::1]:9 -s sh -b flag-2",
            "-E -t 192.0.2.1:80 -s wrr",
            "-e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 5 -x 100 -y 10",
            "-a -t 192.0.2.1:80 -r 198.51.100.4:80 -g -w 1",
            "-d -t 192.0.2.1:80 -r 198.51.100.9:80",
            "-D -u 192.0.2.2:53",
        ]
    );
    assert_eq!(tally(&p), [[1, 1, 1], [1, 1, 1]]);
    assert!(summary(&p, "").ends_with("\n6 changes\n"));
    // Requests carry the key only for dests and deletions.
    let (req, op) = p[4].request();
    assert_eq!(op, Op::DelDest);
    match req {
        Request::DelDest(s, d) => {
            assert!(s.sched_name.is_empty());
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
    live[0].1[0].tun_flags = TUN_F_NOCSUM;
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
