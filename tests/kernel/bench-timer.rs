//! tests/kernel/bench-timer: a tiny timing wrapper for the benchmark guest
//! (busybox has no `time -v`). Compiled by tests/kernel/bench with rustc.
//!
//! usage: bench-timer RESULT-FILE PROGRAM [ARG...]
//!
//! Runs PROGRAM with the inherited stdin/stdout/stderr, waits for it and
//! appends one line to RESULT-FILE: `<wall ms> <max RSS KiB> <exit status> <user ms> <system ms>`.
//! The peak RSS is the child's `ru_maxrss` (getrusage(RUSAGE_CHILDREN)
//! after the only child has been waited for). Exits with the child's status.

use std::io::Write;
use std::process::Command;
use std::time::Instant;

/// `struct rusage` on Linux x86-64: two timevals, then 14 longs
/// (ru_maxrss first).
#[repr(C)]
struct Rusage {
    utime: [i64; 2],
    stime: [i64; 2],
    rest: [i64; 14],
}

extern "C" {
    fn getrusage(who: i32, usage: *mut Rusage) -> i32;
}

const RUSAGE_CHILDREN: i32 = -1;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: bench-timer RESULT-FILE PROGRAM [ARG...]");
        std::process::exit(2);
    }
    let t0 = Instant::now();
    let status = match Command::new(&args[2]).args(&args[3..]).status() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("bench-timer: {}: {e}", args[2]);
            std::process::exit(127);
        }
    };
    let ms = t0.elapsed().as_secs_f64() * 1000.0;
    let mut ru = Rusage {
        utime: [0; 2],
        stime: [0; 2],
        rest: [0; 14],
    };
    // SAFETY: getrusage writes one struct rusage into the buffer we own,
    // whose layout matches the x86-64 definition.
    unsafe { getrusage(RUSAGE_CHILDREN, &mut ru) };
    let code = status.code().unwrap_or(128);
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&args[1])
        .expect("result file");
    let tv_ms = |tv: [i64; 2]| tv[0] as f64 * 1000.0 + tv[1] as f64 / 1000.0;
    writeln!(
        f,
        "{ms:.1} {} {code} {:.1} {:.1}",
        ru.rest[0],
        tv_ms(ru.utime),
        tv_ms(ru.stime)
    )
    .expect("write result");
    std::process::exit(code);
}
