//! `lvsadm --apply FILE` and `--supervise FILE` with a FILE that does not
//! exist: the program reports the file, exit status 2, before it takes the
//! lock or opens the kernel, so the message is the same on a host without
//! IPVS (where opening the kernel first printed "Can't initialize ipvs")
//! and on a director.

use std::process::Command;

#[test]
fn a_missing_rule_file_is_reported_before_the_kernel() {
    let exe = env!("CARGO_BIN_EXE_lvsadm");
    let missing = std::env::temp_dir().join(format!("lvsadm-absent-{}.rules", std::process::id()));
    let m = missing.to_str().unwrap();
    for opt in ["--apply", "--supervise"] {
        let out = Command::new(exe).args([opt, m]).output().unwrap();
        assert_eq!(
            String::from_utf8_lossy(&out.stderr),
            format!("{exe}: cannot read {m}: No such file or directory (os error 2)\n"),
            "{opt}"
        );
        assert_eq!(out.status.code(), Some(2), "{opt}");
        assert!(out.stdout.is_empty(), "{opt}");
    }
}
