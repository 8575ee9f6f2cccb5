//! The state machine with a fake clock.

use super::*;
use crate::app::supervise::agent::parse as agent;
use crate::apply::health::{CheckKind, Opts};
use crate::apply::tests::rules;

fn health(rise: u32, fall: u32) -> Health {
    let mut h = Health::resolve(&Opts::default(), &Opts::default());
    h.check = CheckKind::Http("/".into());
    h.rise = rise;
    h.fall = fall;
    h
}

fn secs(t0: Instant, s: u64) -> Instant {
    t0 + Duration::from_secs(s)
}

const MS: Duration = Duration::from_millis(1);

#[test]
fn fall_then_rise_with_one_line_each() {
    let t0 = Instant::now();
    let mut s = Server::new(health(2, 3), 5, Some(5), t0);
    assert_eq!(s.status, Status::Up);
    assert_eq!(s.want(t0), Want::Weight(5));
    assert_eq!(s.on_result(secs(t0, 1), false, "http status 503", MS), None);
    assert_eq!(s.on_result(secs(t0, 2), false, "http status 503", MS), None);
    // a good result in between restarts the count
    assert_eq!(s.on_result(secs(t0, 3), true, "http status 200", MS), None);
    assert_eq!(s.on_result(secs(t0, 4), false, "http status 503", MS), None);
    assert_eq!(s.on_result(secs(t0, 5), false, "http status 503", MS), None);
    assert_eq!(s.status, Status::Up);
    assert_eq!(
        s.on_result(secs(t0, 6), false, "http status 503", MS)
            .as_deref(),
        Some("down: http status 503, 3/3 failures")
    );
    assert_eq!((s.status, s.since), (Status::Down, secs(t0, 6)));
    assert_eq!(s.want(secs(t0, 6)), Want::Weight(0));
    assert_eq!(s.word(secs(t0, 6)), "down");
    assert_eq!(s.on_result(secs(t0, 7), true, "http status 200", MS), None);
    assert_eq!(
        s.on_result(secs(t0, 8), true, "http status 200", MS)
            .as_deref(),
        Some("up: http status 200, 2/2 successes")
    );
    assert_eq!(s.want(secs(t0, 8)), Want::Weight(5));
    assert_eq!(s.transitions, 2);
}

#[test]
fn start_keeps_serving_servers_and_new_ones_wait_for_rise() {
    let t0 = Instant::now();
    // in the kernel at its weight, or above 0: up, no flap
    assert_eq!(Server::new(health(2, 3), 5, Some(5), t0).status, Status::Up);
    assert_eq!(Server::new(health(2, 3), 5, Some(3), t0).status, Status::Up);
    // absent, or quiesced: down until rise good checks
    let mut s = Server::new(health(2, 3), 5, None, t0);
    assert_eq!(s.status, Status::Down);
    assert_eq!(s.want(t0), Want::Weight(0));
    s.health.on_failure = OnFailure::Remove;
    assert_eq!(s.want(t0), Want::Absent);
    assert_eq!(s.on_result(t0, true, "http status 200", MS), None);
    assert!(s.on_result(t0, true, "http status 200", MS).is_some());
    assert_eq!(s.want(t0), Want::Weight(5));
    assert_eq!(
        Server::new(health(2, 3), 5, Some(0), t0).status,
        Status::Down
    );
    // written weight 0 and in the kernel at 0: as written
    assert_eq!(Server::new(health(2, 3), 0, Some(0), t0).status, Status::Up);
    // no check: always up
    let mut h = health(2, 3);
    h.check = CheckKind::None;
    assert_eq!(Server::new(h, 5, None, t0).status, Status::Up);
}

#[test]
fn fall_one_and_rise_one_say_so() {
    let t0 = Instant::now();
    let mut s = Server::new(health(1, 1), 1, Some(1), t0);
    assert_eq!(
        s.on_result(t0, false, "tcp connect: Connection refused", MS)
            .as_deref(),
        Some("down: tcp connect: Connection refused, 1/1 failure")
    );
    assert_eq!(
        s.on_result(t0, true, "tcp connect ok", MS).as_deref(),
        Some("up: tcp connect ok, 1/1 success")
    );
}

#[test]
fn slow_start_ramps_after_recovery_only() {
    let t0 = Instant::now();
    let mut h = health(1, 1);
    h.slow_start = Some(Duration::from_secs(10));
    let mut s = Server::new(h, 100, Some(100), t0);
    // serving at start: no ramp
    assert_eq!(s.want(t0), Want::Weight(100));
    assert!(!s.ramping(t0));
    s.on_result(t0, false, "x", MS);
    s.on_result(secs(t0, 10), true, "y", MS);
    let up = secs(t0, 10);
    assert_eq!(s.want(up), Want::Weight(1));
    assert_eq!(s.word(up), "slow-start");
    assert_eq!(s.want(up + Duration::from_millis(2500)), Want::Weight(25));
    assert_eq!(s.want(secs(t0, 15)), Want::Weight(50));
    assert!(s.ramping(secs(t0, 19)));
    assert_eq!(s.want(secs(t0, 20)), Want::Weight(100));
    assert!(!s.ramping(secs(t0, 20)));
    assert_eq!(s.word(secs(t0, 20)), "up");
}

#[test]
fn agent_scales_drains_and_marks_down() {
    let t0 = Instant::now();
    let mut s = Server::new(health(2, 3), 10, Some(10), t0);
    assert_eq!(s.on_agent(t0, &agent("50%")), ["agent weight 50%"]);
    assert_eq!(s.want(t0), Want::Weight(5));
    assert!(s.on_agent(t0, &agent("50%")).is_empty());
    assert_eq!(s.on_agent(t0, &agent("1%")), ["agent weight 1%"]);
    assert_eq!(
        s.want(t0),
        Want::Weight(1),
        "never 0 from a percentage above 0"
    );
    assert_eq!(s.on_agent(t0, &agent("drain")), ["agent: drain"]);
    assert_eq!(s.want(t0), Want::Weight(0));
    assert_eq!(s.word(t0), "drain");
    assert_eq!(
        s.on_agent(t0, &agent("ready 100%")),
        ["agent weight 100%", "agent: ready"]
    );
    assert_eq!(s.want(t0), Want::Weight(10));
    assert_eq!(
        s.on_agent(secs(t0, 1), &agent("down #disk full")),
        ["down: agent says down (disk full)"]
    );
    assert_eq!(s.want(t0), Want::Weight(0));
    s.health.on_failure = OnFailure::Remove;
    assert_eq!(s.want(t0), Want::Absent);
    assert_eq!(s.on_agent(secs(t0, 2), &agent("up")), ["agent says up"]);
    assert_eq!(s.want(t0), Want::Weight(10));
    assert_eq!(s.on_agent(t0, &agent("maint")), ["agent: maint"]);
    assert_eq!(s.want(t0), Want::Absent);
    assert_eq!(s.word(t0), "maint");
}

#[test]
fn maintenance_overrides_checks_until_released() {
    let t0 = Instant::now();
    let mut s = Server::new(health(1, 1), 3, Some(3), t0);
    s.health.on_failure = OnFailure::Remove;
    assert_eq!(
        s.set_maint(true).as_deref(),
        Some("maintenance: weight 0 until released")
    );
    assert_eq!(s.set_maint(true), None);
    s.on_result(t0, true, "ok", MS);
    assert_eq!(s.want(t0), Want::Weight(0));
    assert_eq!(s.set_maint(false).as_deref(), Some("maintenance released"));
    assert_eq!(s.want(t0), Want::Weight(3));
    let names: std::collections::HashSet<String> =
        ["198.51.100.1".to_string(), "[2001:db8::1]:80".to_string()].into();
    assert!(in_maintenance(&names, "198.51.100.1:8080".parse().unwrap()));
    assert!(in_maintenance(&names, "[2001:db8::1]:80".parse().unwrap()));
    assert!(!in_maintenance(&names, "[2001:db8::1]:81".parse().unwrap()));
    assert!(!in_maintenance(&names, "198.51.100.2:80".parse().unwrap()));
}

#[test]
fn desired_table_with_sorry_server() {
    let t0 = Instant::now();
    let w = rules(
        "-A -t 192.0.2.1:80 -s rr\n\
         -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 2\n\
         -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 3\n",
    );
    let sk = w[0].svc.key();
    let mut servers = HashMap::new();
    for d in &w[0].dests {
        let mut h = health(1, 1);
        h.on_failure = OnFailure::Remove;
        servers.insert(
            (sk, d.dest.key()),
            Server::new(h, d.dest.weight, Some(d.dest.weight), t0),
        );
    }
    let sorry_addr: SocketAddr = "127.0.0.1:8080".parse().unwrap();
    let sorry = |_: &ServiceKey| Some(sorry_addr);
    let weights = |servers: &HashMap<Key, Server>| -> Vec<(String, i32)> {
        desired(&w, servers, &sorry, t0)[0]
            .dests
            .iter()
            .map(|d| (d.dest.socket_addr().to_string(), d.dest.weight))
            .collect()
    };
    assert_eq!(
        weights(&servers),
        [("198.51.100.1:80".into(), 2), ("198.51.100.2:80".into(), 3)]
    );
    let keys: Vec<Key> = w[0].dests.iter().map(|d| (sk, d.dest.key())).collect();
    servers
        .get_mut(&keys[0])
        .unwrap()
        .on_result(t0, false, "x", MS);
    assert_eq!(weights(&servers), [("198.51.100.2:80".into(), 3)]);
    servers
        .get_mut(&keys[1])
        .unwrap()
        .on_result(t0, false, "x", MS);
    let all_down = desired(&w, &servers, &sorry, t0);
    assert_eq!(all_down[0].dests.len(), 1);
    let d = &all_down[0].dests[0].dest;
    assert_eq!(
        (d.socket_addr(), d.weight, d.forward),
        (sorry_addr, 1, Forward::Masq)
    );
    // one back: the sorry server leaves
    servers
        .get_mut(&keys[1])
        .unwrap()
        .on_result(t0, true, "y", MS);
    assert_eq!(weights(&servers), [("198.51.100.2:80".into(), 3)]);
    // quiesced (weight 0) counts as not up: the sorry server comes
    for k in &keys {
        let s = servers.get_mut(k).unwrap();
        s.health.on_failure = OnFailure::Quiesce;
        s.on_result(t0, false, "x", MS);
    }
    assert_eq!(
        weights(&servers),
        [
            ("198.51.100.1:80".into(), 0),
            ("198.51.100.2:80".into(), 0),
            ("127.0.0.1:8080".into(), 1)
        ]
    );
}
