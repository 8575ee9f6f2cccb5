//! The supervisor against the stand-in kernel, with a fake clock.

use super::*;
use crate::apply::tests::rules;
use crate::cli::rules::parse_rules_health;
use lvs::kernel::{Kernel, StandIn};

const FILE: &str = "\
-A -t 192.0.2.1:80 -s rr --health http:/ping --rise 2 --fall 2 --interval 1
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 5
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 3 --on-failure remove
-A -t 192.0.2.2:443 -s wlc
-a -t 192.0.2.2:443 -r 198.51.100.9:443 -m -w 1
";

fn cfg(text: &str) -> Config {
    let (wanted, problems, health) = parse_rules_health(text);
    assert_eq!(problems, vec![]);
    Config { wanted, health }
}

/// The kernel as the file writes it.
fn seeded(text: &str) -> StandIn {
    let mut k = StandIn::new();
    let reqs: Vec<_> = plan(&rules(text), &[])
        .iter()
        .map(|c| c.request().0)
        .collect();
    assert!(k.execute_batch(&reqs).iter().all(|r| r.is_ok()));
    k
}

/// `ADDR:PORT weight` of every real server, in table order.
fn weights(k: &mut StandIn) -> Vec<String> {
    let mut out = Vec::new();
    for (s, ds) in k.table() {
        for d in ds {
            out.push(format!("{} {} {}", s.key(), d.socket_addr(), d.weight));
        }
    }
    out.sort();
    out
}

fn key(text: &str, svc: usize, dest: usize) -> Key {
    let w = rules(text);
    (w[svc].svc.key(), w[svc].dests[dest].dest.key())
}

/// One at a time (the apply reads the process's signal flag), with the
/// flag clear.
fn serial() -> std::sync::MutexGuard<'static, ()> {
    let g = crate::app::files::tests::SERIAL
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    lvs::process::signals::catch();
    lvs::process::signals::release();
    g
}

/// A supervisor started on FILE over `k`, with its context and start time.
fn started(k: &mut dyn Kernel) -> (Ctx<'_>, Supervisor, Instant) {
    let mut ctx = Ctx {
        kernel: k,
        program: "lvsadm".into(),
    };
    let t0 = Instant::now();
    let sup = Supervisor::start(cfg(FILE), &mut ctx, t0).unwrap();
    (ctx, sup, t0)
}

const MS: Duration = Duration::from_millis(1);

#[test]
fn healthy_restart_changes_nothing_and_failures_quiesce_or_remove() {
    let _one = serial();
    let mut k = seeded(FILE);
    let before = weights(&mut k);
    let (mut ctx, mut sup, t0) = started(&mut k);
    // a start on a healthy table: no change (no flap)
    assert_eq!(
        sup.reconcile(&mut ctx, None, t0).unwrap(),
        Vec::<String>::new()
    );
    // checks of both checked servers are due within one interval, not the
    // unchecked one's
    let due = sup.due(t0 + Duration::from_secs(1));
    assert_eq!(due.len(), 2);
    assert!(sup.due(t0 + Duration::from_secs(1)).is_empty(), "running");
    let (a, b) = (key(FILE, 0, 0), key(FILE, 0, 1));
    let gen = due[0].gen;
    let t = t0 + Duration::from_secs(2);
    assert!(sup
        .on_check(&a, gen, false, "http status 503", MS, t)
        .is_empty());
    assert_eq!(
        sup.on_check(&a, gen, false, "http status 503", MS, t),
        [(
            a,
            "-t 192.0.2.1:80 -r 198.51.100.1:80: down: http status 503, 2/2 failures".to_string()
        )]
    );
    sup.on_check(&b, gen, false, "http connect: Connection refused", MS, t);
    sup.on_check(&b, gen, false, "http connect: Connection refused", MS, t);
    let logs = sup.reconcile(&mut ctx, None, t).unwrap();
    assert_eq!(
        logs,
        [
            "table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 0",
            "table: -d -t 192.0.2.1:80 -r 198.51.100.2:80"
        ]
    );
    drop(ctx);
    assert_eq!(
        weights(&mut k),
        [
            "-t 192.0.2.1:80 198.51.100.1:80 0",
            "-t 192.0.2.2:443 198.51.100.9:443 1"
        ]
    );
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    // both recover after rise good checks: back as written
    for _ in 0..2 {
        sup.on_check(&a, gen, true, "http status 200", MS, t);
        sup.on_check(&b, gen, true, "http status 200", MS, t);
    }
    assert_eq!(sup.reconcile(&mut ctx, None, t).unwrap().len(), 2);
    drop(ctx);
    assert_eq!(weights(&mut k), before);
}

/// The kernel refuses a round's change: the round reports it, the table
/// is left as it was, and the supervisor keeps running; the next round,
/// once the kernel accepts, makes the change (the control that the
/// refusal is what held it back).
#[test]
fn a_kernel_refusal_leaves_the_table_and_the_next_round_applies() {
    let _one = serial();
    let mut k = seeded(FILE);
    let before = weights(&mut k);
    let refusing = std::rc::Rc::new(std::cell::Cell::new(true));
    let r = refusing.clone();
    k.refuse_when(move |_| r.get().then_some(12));
    let (mut ctx, mut sup, t0) = started(&mut k);
    let gen = sup.due(t0 + Duration::from_secs(1))[0].gen;
    let a = key(FILE, 0, 0);
    let t = t0 + Duration::from_secs(2);
    for _ in 0..2 {
        sup.on_check(&a, gen, false, "http status 503", MS, t);
    }
    let refused = sup.reconcile(&mut ctx, None, t);
    assert!(refused.is_err(), "{refused:?}");
    drop(ctx);
    assert_eq!(weights(&mut k), before);
    refusing.set(false);
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    assert_eq!(
        sup.reconcile(&mut ctx, None, t).unwrap(),
        ["table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 0"]
    );
}

/// A result that changes no state but is not the last one shown (the
/// first, or a new reason) asks for the state file to be written; the
/// same result again does not (the control: 10 000 real servers giving
/// their usual answer write nothing more than the periodic file).
#[test]
fn a_new_result_marks_the_state_fresh_and_the_same_one_does_not() {
    let _one = serial();
    let mut k = seeded(FILE);
    let (_ctx, mut sup, t0) = started(&mut k);
    assert!(!sup.fresh);
    let gen = sup.due(t0 + Duration::from_secs(1))[0].gen;
    let a = key(FILE, 0, 0);
    let t = t0 + Duration::from_secs(1);
    // (each call: no state change, so no log line)
    let mut marks = Vec::new();
    for why in [
        "http status 200",
        "http status 200",
        "http status 204",
        "http status 204",
    ] {
        assert!(sup.on_check(&a, gen, true, why, MS, t).is_empty());
        marks.push(std::mem::take(&mut sup.fresh));
    }
    assert_eq!(marks, [true, false, true, false]);
}

#[test]
fn manual_changes_in_scope_are_undone_and_others_left_alone() {
    let _one = serial();
    let mut k = seeded(FILE);
    let before = weights(&mut k);
    let other = "-A -u 203.0.113.1:53 -s rr\n-a -u 203.0.113.1:53 -r 198.51.100.20:53 -m\n";
    let o = rules(other);
    let reqs: Vec<_> = plan(&o, &[]).iter().map(|c| c.request().0).collect();
    assert!(k.execute_batch(&reqs).iter().all(|r| r.is_ok()));
    let (mut ctx, mut sup, t0) = started(&mut k);
    // an operator deletes a real server, and edits another's weight
    let w = rules(FILE);
    ctx.kernel
        .del_dest(&w[1].svc.key(), w[1].dests[0].dest.socket_addr())
        .unwrap();
    let mut d = w[0].dests[0].dest.clone();
    d.weight = 9;
    ctx.kernel.edit_dest(&w[0].svc.key(), &d).unwrap();
    let logs = sup.reconcile(&mut ctx, None, t0).unwrap();
    assert_eq!(
        logs,
        [
            "table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 5",
            "table: -a -t 192.0.2.2:443 -r 198.51.100.9:443 -m -w 1"
        ]
    );
    drop(ctx);
    let mut all = weights(&mut k);
    all.retain(|l| !l.starts_with("-u "));
    assert_eq!(all, before);
    // the service outside the file is untouched
    assert!(weights(&mut k)
        .iter()
        .any(|l| l == "-u 203.0.113.1:53 198.51.100.20:53 1"));
}

#[test]
fn new_servers_join_after_rise_and_reloads_keep_state() {
    let _one = serial();
    let mut k = StandIn::new();
    let (mut ctx, mut sup, t0) = started(&mut k);
    sup.reconcile(&mut ctx, None, t0).unwrap();
    drop(ctx);
    // quiesce-mode server added at 0, remove-mode one absent until up
    assert_eq!(
        weights(&mut k),
        [
            "-t 192.0.2.1:80 198.51.100.1:80 0",
            "-t 192.0.2.2:443 198.51.100.9:443 1"
        ]
    );
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let (a, b) = (key(FILE, 0, 0), key(FILE, 0, 1));
    let gen = sup.due(t0 + Duration::from_secs(1))[0].gen;
    for _ in 0..2 {
        sup.on_check(&a, gen, true, "http status 200", MS, t0);
    }
    sup.reconcile(&mut ctx, None, t0).unwrap();
    // a reload that changes the other server's options: a keeps its state
    let changed = FILE.replace("-w 3 --on-failure remove", "-w 3 --on-failure quiesce");
    let logs = sup.reload(cfg(&changed), &mut ctx, t0).unwrap();
    assert_eq!(logs, Vec::<String>::new());
    assert_eq!(sup.servers[&a].status, super::super::state::Status::Up);
    // results of a check started before the reload count for a (same
    // options) and not for b (changed options)
    assert!(sup
        .on_check(&b, gen, true, "http status 200", MS, t0)
        .is_empty());
    assert_eq!(sup.servers[&b].streak, 0);
    let logs = sup.reconcile(&mut ctx, None, t0).unwrap();
    assert_eq!(
        logs,
        ["table: -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 0"]
    );
    // a reload that removes a service and a real server deletes them
    let smaller = "-A -t 192.0.2.1:80 -s rr --health http:/ping\n\
                   -a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 5\n";
    sup.reload(cfg(smaller), &mut ctx, t0).unwrap();
    assert_eq!(sup.servers.len(), 1);
    let logs = sup.reconcile(&mut ctx, None, t0).unwrap();
    assert_eq!(
        logs,
        [
            "table: -d -t 192.0.2.1:80 -r 198.51.100.2:80",
            "table: -D -t 192.0.2.2:443"
        ]
    );
    drop(ctx);
    assert_eq!(weights(&mut k), ["-t 192.0.2.1:80 198.51.100.1:80 5"]);
}

#[test]
fn maintenance_files_and_sorry_server() {
    let _one = serial();
    let text = "-A -t 192.0.2.1:80 -s rr --health tcp --fall 1 --sorry 198.51.100.50:80\n\
                -a -t 192.0.2.1:80 -r 198.51.100.1:80 -w 2\n";
    let mut k = seeded(text);
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let t0 = Instant::now();
    let mut sup = Supervisor::start(cfg(text), &mut ctx, t0).unwrap();
    let dir = std::env::temp_dir().join(format!("lvsadm-maint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    assert!(sup.maintenance(&dir).is_empty());
    std::fs::write(dir.join("198.51.100.1:80"), "").unwrap();
    assert_eq!(
        sup.maintenance(&dir),
        ["-t 192.0.2.1:80 -r 198.51.100.1:80: maintenance: weight 0 until released"]
    );
    let logs = sup.reconcile(&mut ctx, None, t0).unwrap();
    assert_eq!(
        logs,
        [
            "table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 0",
            "table: -a -t 192.0.2.1:80 -r 198.51.100.50:80 -g -w 1"
        ]
    );
    std::fs::remove_file(dir.join("198.51.100.1:80")).unwrap();
    assert_eq!(
        sup.maintenance(&dir),
        ["-t 192.0.2.1:80 -r 198.51.100.1:80: maintenance released"]
    );
    let logs = sup.reconcile(&mut ctx, None, t0).unwrap();
    assert_eq!(
        logs,
        [
            "table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 2",
            "table: -d -t 192.0.2.1:80 -r 198.51.100.50:80"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The stand-in kernel, with connections on chosen real servers; counts
/// the reads of services and of their real servers.
struct WithConns {
    k: StandIn,
    conns: HashMap<std::net::SocketAddr, u32>,
    reads: usize,
}

impl Kernel for WithConns {
    fn info(&self) -> lvs::model::Info {
        self.k.info()
    }
    fn services(&mut self) -> Result<Vec<Service>, lvs::netlink::Error> {
        self.reads += 1;
        self.k.services()
    }
    fn service(&mut self, key: &ServiceKey) -> Result<Service, lvs::netlink::Error> {
        self.reads += 1;
        self.k.service(key)
    }
    fn dests_into(
        &mut self,
        key: &ServiceKey,
        out: &mut Vec<Dest>,
    ) -> Result<(), lvs::netlink::Error> {
        self.reads += 1;
        self.k.dests_into(key, out)?;
        for d in out.iter_mut() {
            d.active_conns = self.conns.get(&d.socket_addr()).copied().unwrap_or(0);
        }
        Ok(())
    }
    fn timeouts(&mut self) -> Result<lvs::model::Timeouts, lvs::netlink::Error> {
        self.k.timeouts()
    }
    fn daemons(&mut self) -> Result<Vec<lvs::model::Daemon>, lvs::netlink::Error> {
        self.k.daemons()
    }
    fn execute(&mut self, req: &lvs::netlink::Request) -> Result<(), lvs::netlink::Error> {
        self.k.execute(req)
    }
    fn read_proc(&mut self, table: lvs::kernel::ProcTable) -> std::io::Result<Vec<u8>> {
        self.k.read_proc(table)
    }
}

#[test]
fn drain_of_real_servers_a_reload_removes() {
    let _one = serial();
    let mut k = WithConns {
        k: seeded(FILE),
        conns: HashMap::new(),
        reads: 0,
    };
    let busy: std::net::SocketAddr = "198.51.100.1:80".parse().unwrap();
    k.conns.insert(busy, 3);
    let (mut ctx, mut sup, t0) = started(&mut k);
    sup.drain = Some(Duration::from_secs(60));
    // both real servers of the first service leave the file
    let smaller = "-A -t 192.0.2.1:80 -s rr\n-A -t 192.0.2.2:443 -s wlc\n\
                   -a -t 192.0.2.2:443 -r 198.51.100.9:443 -m -w 1\n";
    let logs = sup.reload(cfg(smaller), &mut ctx, t0).unwrap();
    assert_eq!(
        logs,
        [
            "-t 192.0.2.1:80 -r 198.51.100.1:80: removed from the file: draining",
            "-t 192.0.2.1:80 -r 198.51.100.2:80: removed from the file: draining"
        ]
    );
    // the idle one is deleted at once, the busy one set to 0 and kept
    let logs = sup.reconcile(&mut ctx, None, t0).unwrap();
    assert_eq!(
        logs,
        [
            "-t 192.0.2.1:80 -r 198.51.100.2:80: drained after 0 s, deleted",
            "table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 0",
            "table: -d -t 192.0.2.1:80 -r 198.51.100.2:80"
        ]
    );
    assert_eq!(
        sup.reconcile(&mut ctx, None, t0).unwrap(),
        Vec::<String>::new()
    );
    // its connections end: deleted
    drop(ctx);
    k.conns.clear();
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let t1 = t0 + Duration::from_secs(5);
    assert_eq!(
        sup.reconcile(&mut ctx, None, t1).unwrap(),
        [
            "-t 192.0.2.1:80 -r 198.51.100.1:80: drained after 5 s, deleted",
            "table: -d -t 192.0.2.1:80 -r 198.51.100.1:80"
        ]
    );
    // control: without --drain a reload deletes at once; and the deadline
    let mut k2 = WithConns {
        k: seeded(FILE),
        conns: [(busy, 3)].into(),
        reads: 0,
    };
    let mut ctx = Ctx {
        kernel: &mut k2,
        program: "lvsadm".into(),
    };
    let mut sup = Supervisor::start(cfg(FILE), &mut ctx, t0).unwrap();
    sup.drain = Some(Duration::from_secs(10));
    sup.reload(cfg(smaller), &mut ctx, t0).unwrap();
    sup.reconcile(&mut ctx, None, t0).unwrap();
    assert_eq!(
        sup.reconcile(&mut ctx, None, t0 + Duration::from_secs(10))
            .unwrap(),
        [
            "-t 192.0.2.1:80 -r 198.51.100.1:80: drain deadline reached after 10 s with 3 connections, deleted",
            "table: -d -t 192.0.2.1:80 -r 198.51.100.1:80"
        ]
    );
    let mut sup = Supervisor::start(cfg(FILE), &mut ctx, t0).unwrap();
    let logs = sup.reload(cfg(FILE), &mut ctx, t0).unwrap();
    assert!(logs.is_empty());
    let smaller2 = "-A -t 192.0.2.1:80 -s rr --health http:/ping --rise 2 --fall 2 --interval 1\n\
                    -a -t 192.0.2.1:80 -r 198.51.100.2:80 -m -w 3 --on-failure remove\n\
                    -A -t 192.0.2.2:443 -s wlc\n-a -t 192.0.2.2:443 -r 198.51.100.9:443 -m -w 1\n";
    drop(ctx);
    let mut k3 = WithConns {
        k: seeded(FILE),
        conns: [(busy, 3)].into(),
        reads: 0,
    };
    let mut ctx = Ctx {
        kernel: &mut k3,
        program: "lvsadm".into(),
    };
    let mut sup = Supervisor::start(cfg(FILE), &mut ctx, t0).unwrap();
    sup.reload(cfg(smaller2), &mut ctx, t0).unwrap();
    assert_eq!(
        sup.reconcile(&mut ctx, None, t0).unwrap(),
        ["table: -d -t 192.0.2.1:80 -r 198.51.100.1:80"]
    );
}

/// Make one change to the kernel, as an operator's command would.
fn by_hand(k: &mut StandIn, c: Change) {
    assert!(k.execute_batch(&[c.request().0]).iter().all(|r| r.is_ok()));
}

#[test]
fn a_drain_on_hold_is_kept_out_until_released() {
    let _one = serial();
    let text = "-A -t 192.0.2.1:80 -s rr\n\
                -a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 2\n\
                -a -t 192.0.2.1:80 -r 198.51.100.2:80 -g -w 1\n";
    let w = rules(text);
    let (svc, d1) = (w[0].svc.clone(), w[0].dests[0].dest.clone());
    let mut k = seeded(text);
    let dir = std::env::temp_dir().join(format!("lvsadm-hold-sup-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let t0 = Instant::now();
    let mut sup = {
        let mut ctx = Ctx {
            kernel: &mut k,
            program: "lvsadm".into(),
        };
        Supervisor::start(cfg(text), &mut ctx, t0).unwrap()
    };
    let round = |k: &mut StandIn, sup: &mut Supervisor| {
        let mut logs = sup.holds(&dir);
        let mut ctx = Ctx {
            kernel: k,
            program: "lvsadm".into(),
        };
        logs.extend(sup.reconcile(&mut ctx, None, t0).unwrap());
        logs
    };
    // control: without a hold, a manual -d is undone
    by_hand(&mut k, Change::DelDest(svc.clone(), d1.clone()));
    assert_eq!(
        round(&mut k, &mut sup),
        ["table: -a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 2"]
    );
    // the drain records its hold, sets the weight to 0, later deletes
    let name = crate::app::hold::file_name(&svc.key(), &d1.key());
    std::fs::write(dir.join(&name), "0 -d --drain\n").unwrap();
    let mut zero = d1.clone();
    zero.weight = 0;
    by_hand(
        &mut k,
        Change::EditDest(svc.clone(), zero.clone(), d1.clone()),
    );
    assert_eq!(
        round(&mut k, &mut sup),
        ["-t 192.0.2.1:80 -r 198.51.100.1:80: held out by an operator's drain: left as the kernel has it until released"]
    );
    assert!(round(&mut k, &mut sup).is_empty());
    by_hand(&mut k, Change::DelDest(svc.clone(), zero.clone()));
    assert!(round(&mut k, &mut sup).is_empty());
    assert_eq!(
        weights(&mut k),
        ["-t 192.0.2.1:80 198.51.100.2:80 1"],
        "kept out"
    );
    // put back by hand with a weight: the hold ends, its file goes
    let mut four = d1.clone();
    four.weight = 4;
    by_hand(&mut k, Change::AddDest(svc.clone(), four));
    assert_eq!(
        round(&mut k, &mut sup),
        [
            "-t 192.0.2.1:80 -r 198.51.100.1:80: hold released: weight 4 set by hand; checked again",
            "table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 2"
        ]
    );
    assert!(!dir.join(&name).exists());
    // a hold released by removing its file
    std::fs::write(dir.join(&name), "0 -d --drain\n").unwrap();
    by_hand(&mut k, Change::EditDest(svc.clone(), zero, d1.clone()));
    assert_eq!(round(&mut k, &mut sup).len(), 1);
    std::fs::remove_file(dir.join(&name)).unwrap();
    assert_eq!(
        round(&mut k, &mut sup),
        [
            "-t 192.0.2.1:80 -r 198.51.100.1:80: hold released (its file was removed)",
            "table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 2"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_state_change_reconciles_only_its_service_and_the_full_round_the_rest() {
    let _one = serial();
    let mut k = seeded(FILE);
    let (mut ctx, mut sup, t0) = started(&mut k);
    // an operator deletes the second service's real server
    let w = rules(FILE);
    ctx.kernel
        .del_dest(&w[1].svc.key(), w[1].dests[0].dest.socket_addr())
        .unwrap();
    // and the first service's first real server fails its checks
    let a = key(FILE, 0, 0);
    let gen = sup.due(t0 + Duration::from_secs(1))[0].gen;
    let t = t0 + Duration::from_secs(2);
    sup.on_check(&a, gen, false, "http status 503", MS, t);
    assert!(!sup
        .on_check(&a, gen, false, "http status 503", MS, t)
        .is_empty());
    let only: HashSet<ServiceKey> = [a.0].into_iter().collect();
    assert_eq!(
        sup.reconcile_only(&mut ctx, None, t, &only).unwrap(),
        ["table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 0"]
    );
    // a service outside the file is not read nor touched
    let none: HashSet<ServiceKey> = [rules("-A -t 203.0.113.9:80 -s rr\n")[0].svc.key()]
        .into_iter()
        .collect();
    assert_eq!(
        sup.reconcile_only(&mut ctx, None, t, &none).unwrap(),
        Vec::<String>::new()
    );
    // control: the full round undoes the manual change
    assert_eq!(
        sup.reconcile(&mut ctx, None, t).unwrap(),
        ["table: -a -t 192.0.2.2:443 -r 198.51.100.9:443 -m -w 1"]
    );
    drop(ctx);
    assert!(weights(&mut k)
        .iter()
        .any(|l| l == "-t 192.0.2.2:443 198.51.100.9:443 1"));
}

/// A table of `n` services of one real server each, every one checked.
fn many(n: usize) -> String {
    let mut f = String::new();
    for i in 0..n {
        f += &format!("-A -t 192.0.2.1:{} -s rr --health tcp --fall 1\n", 1000 + i);
        f += &format!("-a -t 192.0.2.1:{} -r 198.51.100.1:80 -g -w 1\n", 1000 + i);
    }
    f
}

/// What `f` returns with `k` as the kernel, and how many reads it made.
fn counted<R>(k: &mut WithConns, f: impl FnOnce(&mut Ctx<'_>) -> R) -> (R, usize) {
    let before = k.reads;
    let mut ctx = Ctx {
        kernel: k,
        program: "lvsadm".into(),
    };
    let r = f(&mut ctx);
    drop(ctx);
    (r, k.reads - before)
}

#[test]
fn a_state_change_round_reads_its_service_once() {
    let _one = serial();
    let file = many(20);
    let with = |file: &str| WithConns {
        k: seeded(file),
        conns: HashMap::new(),
        reads: 0,
    };
    let mut k = with(&file);
    let t0 = Instant::now();
    let (sup, _) = counted(&mut k, |ctx| Supervisor::start(cfg(&file), ctx, t0));
    let mut sup = sup.unwrap();
    let a = key(&file, 3, 0);
    let gen = sup.due(t0 + Duration::from_secs(1))[0].gen;
    let t = t0 + Duration::from_secs(2);
    assert!(!sup
        .on_check(&a, gen, false, "tcp connect: Connection refused", MS, t)
        .is_empty());
    let only: HashSet<ServiceKey> = [a.0].into_iter().collect();
    let (logs, reads) = counted(&mut k, |ctx| sup.reconcile_only(ctx, None, t, &only));
    assert_eq!(
        logs.unwrap(),
        ["table: -e -t 192.0.2.1:1003 -r 198.51.100.1:1003 -g -w 0"]
    );
    // the service and its real servers, once
    assert_eq!(reads, 2);
    // control: the full round that finds the same change to make reads
    // the table twice (without the lock, then under it): twenty
    // services and their real servers, and the list of services, each time
    let mut k2 = with(&file);
    let (logs, before) = counted(&mut k2, |ctx| sup.reconcile(ctx, None, t));
    assert_eq!(
        logs.unwrap(),
        ["table: -e -t 192.0.2.1:1003 -r 198.51.100.1:1003 -g -w 0"]
    );
    // and the next one, with nothing to change, once
    let (logs, after) = counted(&mut k2, |ctx| sup.reconcile(ctx, None, t));
    assert_eq!(logs.unwrap(), Vec::<String>::new());
    assert_eq!(before, 2 * 21);
    assert_eq!(after, 21);
}

/// A slice of the periodic read: a manual change in its services is
/// undone, with one read when nothing changed; a change outside it waits
/// for its own slice (control: that slice undoes it).
#[test]
fn a_slice_of_the_periodic_read_undoes_changes_in_its_services_only() {
    let _one = serial();
    let file = many(20);
    let mut k = WithConns {
        k: seeded(&file),
        conns: HashMap::new(),
        reads: 0,
    };
    let t0 = Instant::now();
    let (sup, _) = counted(&mut k, |ctx| Supervisor::start(cfg(&file), ctx, t0));
    let mut sup = sup.unwrap();
    let w = rules(&file);
    let slice = |from: usize| -> HashSet<ServiceKey> {
        w[from..from + 2].iter().map(|x| x.svc.key()).collect()
    };
    // nothing to change: each service and its real servers read once
    let (logs, reads) = counted(&mut k, |ctx| {
        sup.reconcile_part(ctx, None, t0, &slice(0), Round::Slice)
    });
    assert_eq!(logs.unwrap(), Vec::<String>::new());
    assert_eq!(reads, 2 * 2);
    // an operator sets weights by hand in services 1 and 7
    for i in [1, 7] {
        let mut d = w[i].dests[0].dest.clone();
        d.weight = 5;
        k.k.edit_dest(&w[i].svc.key(), &d).unwrap();
    }
    let (logs, reads) = counted(&mut k, |ctx| {
        sup.reconcile_part(ctx, None, t0, &slice(0), Round::Slice)
    });
    assert_eq!(
        logs.unwrap(),
        ["table: -e -t 192.0.2.1:1001 -r 198.51.100.1:1001 -g -w 1"]
    );
    // read without the lock, then again under it
    assert_eq!(reads, 2 * 2 * 2);
    assert!(weights(&mut k.k)
        .iter()
        .any(|l| l == "-t 192.0.2.1:1007 198.51.100.1:1007 5"));
    let (logs, _) = counted(&mut k, |ctx| {
        sup.reconcile_part(ctx, None, t0, &slice(6), Round::Slice)
    });
    assert_eq!(
        logs.unwrap(),
        ["table: -e -t 192.0.2.1:1007 -r 198.51.100.1:1007 -g -w 1"]
    );
}

#[test]
fn a_few_services_are_read_by_key_and_match_the_dump() {
    let mut k = seeded(FILE);
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let w = rules(FILE);
    let one: HashSet<ServiceKey> = [w[1].svc.key()].into();
    let dumped = read_live(&mut ctx, &one).unwrap();
    let by_key = read_some(&mut ctx, &one).unwrap();
    assert_eq!(by_key.len(), 1);
    assert_eq!(format!("{by_key:?}"), format!("{dumped:?}"));
    // a service the kernel does not have is absent, as from the dump
    let gone: ServiceKey = rules("-A -t 192.0.2.9:80\n")[0].svc.key();
    let both: HashSet<ServiceKey> = [w[0].svc.key(), gone].into();
    let by_key = read_some(&mut ctx, &both).unwrap();
    assert_eq!(by_key.len(), 1);
    assert_eq!(by_key[0].0.key(), w[0].svc.key());
    assert_eq!(read_live(&mut ctx, &both).unwrap().len(), 1);
    // by key up to an eighth of the file's services, else one dump
    assert!(read_by_key(1, 8));
    assert!(read_by_key(125, 1000));
    assert!(!read_by_key(126, 1000));
    assert!(!read_by_key(1, 2));
}

#[test]
fn checks_start_every_interval_whatever_each_takes() {
    let t0 = Instant::now();
    let s = Duration::from_secs(1);
    // a check due at t0 that took 300 ms: the next starts at t0 + 1 s
    assert_eq!(every(Some(t0), s, t0 + 300 * MS, 300 * MS), t0 + s);
    // one that took longer than the interval: again at once
    assert_eq!(
        every(Some(t0), s, t0 + 1500 * MS, 1500 * MS),
        t0 + 1500 * MS
    );
    // one that started 1.4 s late (the loop held up) and took 100 ms:
    // at t0 + 2 s, in its rhythm, not at once
    assert_eq!(every(Some(t0), s, t0 + 1500 * MS, 100 * MS), t0 + 2 * s);
    assert_eq!(every(Some(t0), s, t0 + 2000 * MS, 100 * MS), t0 + 2 * s);
    assert_eq!(every(Some(t0), s, t0 + 3001 * MS, 100 * MS), t0 + 4 * s);
    // none was due (never scheduled): one interval from now
    assert_eq!(every(None, s, t0, MS), t0 + s);
}

/// Checks spread over the interval at start, held up together for more
/// than an interval (a long first reconciliation, a busy director), stay
/// spread: each keeps its rhythm. Control: the rule without the rhythm
/// ("at once when late") leaves them all due at the same moment.
#[test]
fn checks_held_up_together_stay_spread_over_the_interval() {
    let t0 = Instant::now();
    let s = Duration::from_secs(1);
    let due: Vec<Instant> = (0..10).map(|i| t0 + i * 100 * MS).collect();
    // all run together 1.5 s after t0 + 0.9 s, each taking 20 ms
    let ended = t0 + 2400 * MS + 20 * MS;
    let next: std::collections::BTreeSet<Instant> = due
        .iter()
        .map(|&d| every(Some(d), s, ended, 20 * MS))
        .collect();
    assert_eq!(next.len(), 10, "still ten distinct times");
    assert!(next.iter().all(|&n| n >= ended && n < ended + s));
    let at_once: std::collections::BTreeSet<Instant> =
        due.iter().map(|&d| (d + s).max(ended)).collect();
    assert_eq!(at_once.len(), 1);
}

#[test]
fn each_due_check_is_started_once_and_rescheduled_from_its_due_time() {
    let _one = serial();
    let mut k = seeded(FILE);
    let (mut ctx, mut sup, t0) = started(&mut k);
    // nothing before the first check's time, which is the earliest queued
    let first = sup.next_due().unwrap();
    assert!(first >= t0 && first <= t0 + Duration::from_secs(1));
    assert!(sup.due(first - MS).is_empty());
    // with room for one, one starts and the other stays due
    let mut due = sup.due_at_most(t0 + Duration::from_secs(1), 1);
    assert_eq!(due.len(), 1);
    due.extend(sup.due(t0 + Duration::from_secs(1)));
    assert_eq!(due.len(), 2);
    assert_ne!(due[0].key, due[1].key);
    assert!(sup.due(t0 + Duration::from_secs(5)).is_empty(), "running");
    // (due at a third and two thirds of the first interval) both end at
    // t0 + 0.9 s: due again one interval after each was due, not after
    // each ended
    let end = t0 + Duration::from_millis(900);
    let gen = due[0].gen;
    for d in &due {
        sup.on_check(&d.key, gen, true, "", MS, end);
    }
    let again = sup.next_due().unwrap();
    assert!(again < end + Duration::from_secs(1), "{:?}", again - end);
    assert!(sup.due(end).is_empty());
    assert_eq!(sup.due(t0 + Duration::from_millis(1700)).len(), 2);
    // a reload that changes a server's check starts it afresh: the queued
    // time of its old schedule starts nothing
    let changed = FILE.replacen("--interval 1", "--interval 5", 1);
    sup.reload(cfg(&changed), &mut ctx, end).unwrap();
    let n: usize = (0..10)
        .map(|i| sup.due(end + Duration::from_secs(i)).len())
        .sum();
    assert!(n >= 1, "the reloaded checks run");
}

/// Three services on one real server with the same http check, one with
/// another path, and two exec checks (given the virtual service).
const SHARED: &str = "\
-A -t 192.0.2.1:80 -s rr --health http:/ping --fall 2 --interval 1
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1
-A -t 192.0.2.2:80 -s rr --health http:/ping --fall 2 --interval 1
-a -t 192.0.2.2:80 -r 198.51.100.1:80 -g -w 1
-A -t 192.0.2.3:80 -s rr --health http:/ping --fall 2 --interval 1
-a -t 192.0.2.3:80 -r 198.51.100.1:80 -g -w 1
-A -t 192.0.2.4:80 -s rr --health http:/other --fall 2 --interval 1
-a -t 192.0.2.4:80 -r 198.51.100.1:80 -g -w 1
-A -t 192.0.2.5:80 -s rr --health exec:/bin/true --fall 2 --interval 1
-a -t 192.0.2.5:80 -r 198.51.100.1:80 -g -w 1
-A -t 192.0.2.6:80 -s rr --health exec:/bin/true --fall 2 --interval 1
-a -t 192.0.2.6:80 -r 198.51.100.1:80 -g -w 1
";

#[test]
fn one_check_answers_for_every_real_server_with_the_same_probe() {
    let _one = serial();
    let mut k = seeded(SHARED);
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let t0 = Instant::now();
    let mut sup = Supervisor::start(cfg(SHARED), &mut ctx, t0).unwrap();
    // /ping once for the three services, /other, and each exec: 4 checks
    // for 6 real servers
    assert_eq!(sup.probes(), 4);
    let due = sup.due(t0 + Duration::from_secs(1));
    assert_eq!(
        due.len(),
        4,
        "{:?}",
        due.iter().map(|d| d.key).collect::<Vec<_>>()
    );
    let ping = key(SHARED, 0, 0);
    assert!(due.iter().any(|d| d.key == ping));
    let gen = due[0].gen;
    // the /ping check fails twice: the three services' entries go down
    // together, the others stay up
    let t = t0 + Duration::from_secs(2);
    assert!(sup
        .on_check(&ping, gen, false, "http status 503", MS, t)
        .is_empty());
    let logs: Vec<Key> = sup
        .on_check(&ping, gen, false, "http status 503", MS, t)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        logs,
        [key(SHARED, 0, 0), key(SHARED, 1, 0), key(SHARED, 2, 0)]
    );
    assert_eq!(
        sup.reconcile(&mut ctx, None, t).unwrap(),
        [
            "table: -e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 0",
            "table: -e -t 192.0.2.2:80 -r 198.51.100.1:80 -g -w 0",
            "table: -e -t 192.0.2.3:80 -r 198.51.100.1:80 -g -w 0"
        ]
    );
    // control: without sharing (a path per service) each has its own
    let apart = SHARED
        .replacen("http:/ping", "http:/a", 1)
        .replacen("http:/ping", "http:/b", 1);
    sup.reload(cfg(&apart), &mut ctx, t).unwrap();
    assert_eq!(sup.probes(), 6);
    // the one that made the check leaves the file: the next one makes it
    let without_first: String = SHARED.lines().skip(2).map(|l| format!("{l}\n")).collect();
    sup.reload(cfg(&without_first), &mut ctx, t).unwrap();
    assert_eq!(sup.probes(), 4);
    let due: Vec<Key> = (1..=3)
        .flat_map(|i| sup.due(t + Duration::from_secs(i)))
        .map(|d| d.key)
        .collect();
    assert!(due.contains(&key(SHARED, 1, 0)), "{due:?}");
    assert!(!due.contains(&key(SHARED, 2, 0)), "{due:?}");
}

/// The announcer finds the announcing services once per configuration,
/// and again after a reload that changed them (control: before the
/// reload, none).
#[test]
fn the_announcing_services_follow_a_reload() {
    let _one = serial();
    let mut k = seeded(FILE);
    let (mut ctx, mut sup, t0) = started(&mut k);
    let mut a = super::super::announce::Announcer::default();
    assert!(a.announcing(&sup).is_empty());
    assert!(a.announcing(&sup).is_empty());
    let file = FILE.replace(
        "-A -t 192.0.2.2:443 -s wlc",
        "-A -t 192.0.2.2:443 -s wlc --announce 1",
    );
    sup.reload(cfg(&file), &mut ctx, t0).unwrap();
    let found: Vec<String> = a
        .announcing(&sup)
        .iter()
        .map(|w| w.svc.key().to_string())
        .collect();
    assert_eq!(found, ["-t 192.0.2.2:443"]);
}
