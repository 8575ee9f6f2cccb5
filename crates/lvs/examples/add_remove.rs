//! Add a virtual service with two real servers, or remove it.
//!
//! ```text
//! add_remove add VIP:PORT RIP:PORT RIP:PORT   # rr, masquerading, weights 1 and 2
//! add_remove remove VIP:PORT
//! ```
//!
//! Errors are the library's typed errors, worded as ipvsadm words them.

use lvs::netlink::{ipvs_strerror, Op};
use lvs::{Dest, Forward, Ipvs, Service, ServiceKey};
use std::net::SocketAddr;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("add_remove: {e}");
        std::process::exit(1);
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let addr =
        |s: &String| -> Result<SocketAddr, String> { s.parse().map_err(|e| format!("{s}: {e}")) };
    let mut ipvs = Ipvs::open().map_err(|e| format!("cannot open IPVS: {e}"))?;
    match args {
        [cmd, vip, rips @ ..] if cmd == "add" && rips.len() == 2 => {
            let key = ServiceKey::tcp(addr(vip)?);
            ipvs.add_service(&Service::with_key(&key, "rr"))
                .map_err(|e| ipvs_strerror(Op::AddService, e.errno()))?;
            for (i, rip) in rips.iter().enumerate() {
                let mut d = Dest::with_addr(addr(rip)?, Forward::Masq);
                d.weight = i as i32 + 1;
                if let Err(e) = ipvs.add_dest(&key, &d) {
                    // leave nothing half-made behind
                    let _ = ipvs.del_service(&key);
                    return Err(ipvs_strerror(Op::AddDest, e.errno()));
                }
            }
            let svc = ipvs
                .service(&key)
                .map_err(|e| ipvs_strerror(Op::GetService, e.errno()))?;
            let dests = ipvs
                .dests(&svc.key())
                .map_err(|e| ipvs_strerror(Op::GetDests, e.errno()))?;
            println!("added {key} with {} real servers", dests.len());
            Ok(())
        }
        [cmd, vip] if cmd == "remove" => {
            let key = ServiceKey::tcp(addr(vip)?);
            ipvs.del_service(&key)
                .map_err(|e| ipvs_strerror(Op::DelService, e.errno()))?;
            println!("removed {key}");
            Ok(())
        }
        _ => Err("usage: add_remove add VIP:PORT RIP:PORT RIP:PORT | remove VIP:PORT".into()),
    }
}
