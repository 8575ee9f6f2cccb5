//! The `--check`/`--apply` runner against the stand-in kernel.

use super::*;
use crate::apply::tests::{rules, saved};
use crate::cli::ApplyArgs;

#[test]
fn check_grammar_and_empty_warning() {
    let dir = std::env::temp_dir();
    let f1 = dir.join(format!("lvsadm-check-{}-1.rules", std::process::id()));
    std::fs::write(
        &f1,
        "-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 198.51.100.1\n",
    )
    .unwrap();
    let mut out = Vec::new();
    assert_eq!(run_check("lvsadm", f1.to_str().unwrap(), &mut out), 0);
    assert!(String::from_utf8(out)
        .unwrap()
        .ends_with(": OK, 1 service, 1 destination\n"));
    std::fs::write(&f1, "# nothing\n").unwrap();
    let mut out = Vec::new();
    assert_eq!(run_check("lvsadm", f1.to_str().unwrap(), &mut out), 0);
    assert!(String::from_utf8(out)
        .unwrap()
        .ends_with(": OK, 0 services, 0 destinations\n"));
    std::fs::remove_file(&f1).unwrap();
}

use crate::app::Ctx;
use crate::kernel::{Kernel, StandIn};

/// A stand-in kernel holding the rules of `text`.
fn seeded(text: &str) -> StandIn {
    let mut k = StandIn::new();
    let reqs: Vec<Request> = plan(&rules(text), &[])
        .iter()
        .map(|c| c.request().0)
        .collect();
    assert!(k.execute_batch(&reqs).iter().all(|r| r.is_ok()));
    k
}

/// Run `--apply` of `text` with `a` (its file replaced); status and stdout.
fn apply_text(k: &mut StandIn, text: &str, a: ApplyArgs) -> (i32, String) {
    static SEQ: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let seq = SEQ.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let f = std::env::temp_dir().join(format!("lvsadm-apply-{}-{seq}.rules", std::process::id()));
    std::fs::write(&f, text).unwrap();
    let a = ApplyArgs {
        file: f.to_str().unwrap().into(),
        ..a
    };
    let mut out = Vec::new();
    let mut ctx = Ctx {
        kernel: k,
        program: "lvsadm".into(),
    };
    let r = run_apply(&mut ctx, &a, &mut out);
    std::fs::remove_file(&f).ok();
    (r, String::from_utf8(out).unwrap())
}

fn table_text(k: &StandIn) -> String {
    saved(k.table())
}

const FOUR: &str = "\
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1
-A -u 192.0.2.1:53 -s rr
-A -t 192.0.2.9:80 -s rr
-a -t 192.0.2.9:80 -r 198.51.100.9:80 -g -w 1
-A -f 5 -s rr
";

#[test]
fn runner_refuses_an_empty_rule_set() {
    let mut k = seeded(FOUR);
    let before = table_text(&k);
    for text in ["", "# only a comment\n\n"] {
        let (r, out) = apply_text(&mut k, text, ApplyArgs::default());
        assert_eq!((r, out.as_str()), (1, ""));
        assert_eq!(table_text(&k), before);
        let dry = ApplyArgs {
            dry_run: true,
            ..ApplyArgs::default()
        };
        assert_eq!(apply_text(&mut k, text, dry).0, 1);
    }
    // --allow-empty alone: 4 of 4 deletions, stopped by the guard
    let allow = ApplyArgs {
        allow_empty: true,
        ..ApplyArgs::default()
    };
    assert_eq!(apply_text(&mut k, "", allow.clone()).0, 1);
    assert_eq!(table_text(&k), before);
    let (r, out) = apply_text(
        &mut k,
        "",
        ApplyArgs {
            force: true,
            ..allow
        },
    );
    assert_eq!(r, 0);
    assert!(
        out.contains("deleted service -t 192.0.2.9:80 (1 destination)\n"),
        "{out}"
    );
    assert!(out.ends_with("\n4 changes\n"), "{out}");
    assert_eq!(table_text(&k), "");
}

#[test]
fn runner_guard_and_scope() {
    let mut k = seeded(FOUR);
    let before = table_text(&k);
    let web = "-A -t 192.0.2.1:80 -s wrr\n-a -t 192.0.2.1:80 -r 198.51.100.7:80 -g -w 4\n";
    // 3 of 4 deleted: refused, nothing changed
    assert_eq!(apply_text(&mut k, web, ApplyArgs::default()).0, 1);
    assert_eq!(table_text(&k), before);
    let m = |v: &str| ApplyArgs {
        max_delete: Some(v.into()),
        ..ApplyArgs::default()
    };
    assert_eq!(apply_text(&mut k, web, m("74")).0, 1);
    // a dry run shows the plan, and fails the same way
    let (r, plan_out) = apply_text(
        &mut k,
        web,
        ApplyArgs {
            dry_run: true,
            ..ApplyArgs::default()
        },
    );
    assert_eq!(r, 1);
    assert!(
        plan_out.ends_with("-D -t 192.0.2.9:80\n-D -f 5\n"),
        "{plan_out}"
    );
    assert_eq!(table_text(&k), before);
    assert_eq!(apply_text(&mut k, web, m("x")).0, 2);
    // in scope: only that service changes
    let scoped = |s: &[&str]| ApplyArgs {
        scope: s.iter().map(|s| s.to_string()).collect(),
        ..ApplyArgs::default()
    };
    let (r, out) = apply_text(&mut k, web, scoped(&["tcp:192.0.2.1:80"]));
    assert_eq!(r, 0, "{out}");
    let after = table_text(&k);
    let others = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| !l.contains("192.0.2.1:80 "))
            .map(String::from)
            .collect()
    };
    assert_eq!(others(&after), others(&before));
    assert!(after
        .contains("-A -t 192.0.2.1:80 -s wrr\n-a -t 192.0.2.1:80 -r 198.51.100.7:80 -g -w 4\n"));
    // a file service outside the scope is refused; a bad scope is a usage error
    assert_eq!(apply_text(&mut k, web, scoped(&["fwmark:5"])).0, 1);
    assert_eq!(apply_text(&mut k, web, scoped(&["nonsense"])).0, 2);
    assert_eq!(table_text(&k), after);
    // the address scope takes in the UDP service of the same VIP: 1 of 2
    let (r, out) = apply_text(&mut k, web, scoped(&["192.0.2.1"]));
    assert_eq!(r, 0);
    assert!(
        out.contains("deleted service -u 192.0.2.1:53 (0 destinations)\n"),
        "{out}"
    );
    assert_eq!(k.table().len(), 3);
    // --max-delete 100 = --force
    assert_eq!(apply_text(&mut k, web, m("100")).0, 0);
    assert_eq!(k.table().len(), 1);
}

#[test]
fn runner_summary_counts_what_was_done() {
    let mut k = StandIn::new();
    k.refuse_when(|r| match r {
        Request::NewService(s) if s.port == 81 => Some(libc::ENOENT),
        _ => None,
    });
    let text = "-A -t 192.0.2.1:81 -s rr\n-a -t 192.0.2.1:81 -r 198.51.100.1\n\
                -A -t 192.0.2.2:80 -s rr\n-a -t 192.0.2.2:80 -r 198.51.100.2\n";
    let (r, out) = apply_text(&mut k, text, ApplyArgs::default());
    assert_eq!(r, 1);
    assert_eq!(
        out,
        "              added  edited  deleted\n\
         services      1      0       0\n\
         destinations  1      0       0\n\
         2 changes\n"
    );
}

#[test]
fn runner_save_apply_round_trip_keeps_thresholds() {
    let mut k = seeded(
        "-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3 -x 500 -y 100\n\
         -A -t 192.0.2.2:80 -s mh -b mh-port,flag-3\n",
    );
    let before = k.table().to_vec();
    let saved_text = table_text(&k);
    let (r, out) = apply_text(&mut k, &saved_text, ApplyArgs::default());
    assert_eq!((r, out.as_str()), (0, "0 changes\n"));
    assert_eq!(k.table()[0].1[0].u_threshold, 500);
    assert_eq!(k.table()[0].1[0].l_threshold, 100);
    assert_eq!(k.table()[1].0.flags, before[1].0.flags);
}
