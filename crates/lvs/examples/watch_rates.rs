//! Watch one TCP service's counters and rates.
//!
//! ```text
//! watch_rates VIP:PORT [SECONDS [COUNT]]
//! ```
//!
//! Prints one line per interval (default every 2 s, the kernel's estimator
//! period, until interrupted; COUNT lines when given):
//! `conns=N inpkts=N outpkts=N cps=N inpps=N outpps=N inbps=N outbps=N`.

use lvs::{Ipvs, ServiceKey};
use std::time::Duration;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(vip) = args.first().and_then(|a| a.parse().ok()) else {
        eprintln!("usage: watch_rates VIP:PORT [SECONDS [COUNT]]");
        std::process::exit(2);
    };
    let secs: u64 = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2);
    let count: Option<u64> = args.get(2).and_then(|a| a.parse().ok());
    let key = ServiceKey::tcp(vip);
    let mut ipvs = match Ipvs::open() {
        Ok(i) => i,
        Err(e) => {
            eprintln!("watch_rates: cannot open IPVS: {e}");
            std::process::exit(1);
        }
    };
    let mut n = 0;
    loop {
        match ipvs.service(&key) {
            Ok(s) => {
                let t = s.stats;
                println!(
                    "conns={} inpkts={} outpkts={} cps={} inpps={} outpps={} inbps={} outbps={}",
                    t.conns, t.inpkts, t.outpkts, t.cps, t.inpps, t.outpps, t.inbps, t.outbps
                );
            }
            Err(e) => {
                eprintln!("watch_rates: {}: {e}", ServiceKey::tcp(vip));
                std::process::exit(1);
            }
        }
        n += 1;
        if count.is_some_and(|c| n >= c) {
            break;
        }
        std::thread::sleep(Duration::from_secs(secs));
    }
}
