//! `--announce N` (rule files, `-A` lines): the supervisor holds each
//! virtual address it can serve as an address of a device of its own,
//! [`DEVICE`], for a routing daemon (BIRD's `direct` protocol) to announce
//! to the routers; lvsadm itself speaks no routing protocol.
//!
//! The device is a TUN device without persistence ([`lvs::vipdev`]): the
//! kernel removes it, and every address on it, when the process's
//! descriptor closes, so an address is withdrawn when the supervisor
//! exits, is killed with SIGKILL or crashes, with no code of it running.
//!
//! A service counts the real servers the supervisor lets take new
//! connections (weight above 0 in the table it wants; a `--sorry` server
//! does not count). An address is held while at least N real servers of
//! its service are up; when several announced services share it, while
//! any of them is (`--announce-when any`, the default) or all of them
//! are (`--announce-when all`). The supervisor's loop calls
//! [`Announcer::update`] after each reconciliation and [`Announcer::stop`]
//! on SIGTERM and SIGINT; each change is one log line with its reason.

use crate::apply::health::{AnnounceWhen, HealthLines};
use crate::apply::Wanted;
use lvs::vipdev::VipDev;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;

/// The device the announced addresses are on.
pub const DEVICE: &str = "lvsvip0";

/// What the file and the states want for one address: announced or not,
/// and why (each announced service's count of real servers up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the address is to be announced.
    pub announce: bool,
    /// The reason, as the log line says it.
    pub why: String,
}

/// The verdict for every address of an announced service. `wanted` is the
/// file's table, `desired` the table the supervisor wants now (the same
/// services, in the same order, with the weights the states give).
pub fn decide(
    wanted: &[Wanted],
    desired: &[Wanted],
    health: &HealthLines,
) -> BTreeMap<IpAddr, Verdict> {
    let mut per: BTreeMap<IpAddr, (AnnounceWhen, Vec<(bool, String)>)> = BTreeMap::new();
    for (w, d) in wanted.iter().zip(desired) {
        let sk = w.svc.key();
        let Some((min, when)) = health.announce(&sk) else {
            continue;
        };
        if w.svc.fwmark != 0 {
            continue;
        }
        let sorry = health.sorry(&sk);
        let up = d
            .dests
            .iter()
            .filter(|x| x.dest.weight > 0 && Some(x.dest.socket_addr()) != sorry)
            .count();
        let ok = up >= min as usize;
        let total = w.dests.len();
        let why = format!(
            "{sk} has {up} of {total} real server{} up (needs {min})",
            if total == 1 { "" } else { "s" }
        );
        let e = per.entry(w.svc.addr).or_insert((when, Vec::new()));
        e.1.push((ok, why));
    }
    per.into_iter()
        .map(|(ip, (when, svcs))| {
            let announce = match when {
                AnnounceWhen::Any => svcs.iter().any(|(ok, _)| *ok),
                AnnounceWhen::All => svcs.iter().all(|(ok, _)| *ok),
            };
            let mut why = svcs
                .iter()
                .map(|(_, w)| w.as_str())
                .collect::<Vec<_>>()
                .join(", ");
            if svcs.len() > 1 {
                why.push_str(&format!(" (--announce-when {})", when.word()));
            }
            (ip, Verdict { announce, why })
        })
        .collect()
}

/// One address the supervisor knows of.
#[derive(Debug, Clone, Default)]
struct Held {
    /// On the device now.
    on: bool,
    /// Announcements and withdrawals since the supervisor started.
    changes: u64,
}

/// The device and the addresses on it.
#[derive(Debug, Default)]
pub struct Announcer {
    dev: Option<VipDev>,
    known: BTreeMap<IpAddr, Held>,
    /// The last error said (said again only when it changes).
    said: Option<String>,
    /// The file's announcing services, for the configuration generation
    /// they were found in (found again after a reload only: a file of a
    /// thousand services was searched after every round, ten a second).
    announcing: Option<(u64, Vec<Wanted>)>,
}

impl Announcer {
    /// Make the device equal to the verdicts of the supervisor's file and
    /// states (the device is created on the first call that has an
    /// announced service). Returns log lines, one per change; `Err` when
    /// the device cannot be created or changed (said once; the next call
    /// tries again).
    pub fn update(
        &mut self,
        sup: &super::core::Supervisor,
        now: std::time::Instant,
    ) -> Vec<String> {
        // only the services that announce (after every reconciliation:
        // a file of a thousand services with none announcing pays nothing)
        self.announcing(sup);
        let announcing: &[Wanted] = match &self.announcing {
            Some((_, a)) => a,
            None => &[],
        };
        if announcing.is_empty() && self.dev.is_none() {
            return Vec::new();
        }
        let verdicts = decide(
            announcing,
            &sup.desired_of(announcing, now),
            &sup.cfg.health,
        );
        match self.apply(&verdicts) {
            Ok(logs) => {
                self.said = None;
                logs
            }
            Err((mut logs, e)) => {
                if self.said.as_deref() != Some(e.as_str()) {
                    logs.push(e.clone());
                    self.said = Some(e);
                }
                logs
            }
        }
    }

    /// The file's announcing services, found again only when the
    /// configuration's generation has changed (a reload).
    pub fn announcing(&mut self, sup: &super::core::Supervisor) -> &[Wanted] {
        let gen = sup.generation();
        if self.announcing.as_ref().map(|(g, _)| *g) != Some(gen) {
            let found = sup
                .cfg
                .wanted
                .iter()
                .filter(|w| sup.cfg.health.announce(&w.svc.key()).is_some())
                .cloned()
                .collect();
            self.announcing = Some((gen, found));
        }
        match &self.announcing {
            Some((_, a)) => a,
            None => &[],
        }
    }

    /// Create the device if the file announces anything; `Err` is the
    /// message (for the start, which then fails).
    pub fn open(&mut self, sup: &super::core::Supervisor) -> Result<(), String> {
        let any = sup
            .cfg
            .wanted
            .iter()
            .any(|w| sup.cfg.health.announce(&w.svc.key()).is_some());
        if any && self.dev.is_none() {
            self.dev = Some(create()?);
        }
        Ok(())
    }

    fn apply(
        &mut self,
        verdicts: &BTreeMap<IpAddr, Verdict>,
    ) -> Result<Vec<String>, (Vec<String>, String)> {
        let mut logs = Vec::new();
        if verdicts.is_empty() && self.dev.is_none() {
            return Ok(logs);
        }
        if self.dev.is_none() {
            self.dev = Some(create().map_err(|e| (Vec::new(), e))?);
        }
        let Some(dev) = self.dev.as_mut() else {
            return Ok(logs);
        };
        let gone: Vec<IpAddr> = self
            .known
            .iter()
            .filter(|(ip, h)| h.on && !verdicts.contains_key(ip))
            .map(|(ip, _)| *ip)
            .collect();
        let mut changes: Vec<(IpAddr, bool, String)> = gone
            .into_iter()
            .map(|ip| (ip, false, "no service announces it any more".to_string()))
            .collect();
        for (ip, v) in verdicts {
            let on = self.known.get(ip).is_some_and(|h| h.on);
            if v.announce != on {
                changes.push((*ip, v.announce, v.why.clone()));
            } else {
                self.known.entry(*ip).or_default();
            }
        }
        for (ip, announce, why) in changes {
            let addr = lvs::model::ntop(&ip);
            let r = if announce {
                dev.add(ip)
            } else {
                dev.remove(ip)
            };
            if let Err(e) = r {
                let verb = if announce { "announce" } else { "withdraw" };
                return Err((logs, format!("cannot {verb} {addr} (device {DEVICE}): {e}")));
            }
            let h = self.known.entry(ip).or_default();
            h.on = announce;
            h.changes += 1;
            logs.push(if announce {
                format!("announce {addr} (on {DEVICE}): {why}")
            } else {
                format!("withdraw {addr} (from {DEVICE}): {why}")
            });
        }
        Ok(logs)
    }

    /// Withdraw every address and close the device (SIGTERM, SIGINT):
    /// `why` is the reason the log lines give.
    pub fn stop(&mut self, why: &str) -> Vec<String> {
        let mut logs = Vec::new();
        if let Some(dev) = self.dev.as_mut() {
            for (ip, h) in self.known.iter_mut().filter(|(_, h)| h.on) {
                let addr = lvs::model::ntop(ip);
                match dev.remove(*ip) {
                    Ok(()) => logs.push(format!("withdraw {addr} (from {DEVICE}): {why}")),
                    // closing the device below takes it off anyway
                    Err(e) => logs.push(format!(
                        "withdraw {addr}: {e}; closing {DEVICE} takes it off"
                    )),
                }
                h.on = false;
                h.changes += 1;
            }
        }
        self.dev = None;
        logs
    }

    /// The Prometheus series: each address's state and changes.
    pub fn metrics(&self) -> String {
        let mut t = String::new();
        if self.known.is_empty() {
            return t;
        }
        let _ = writeln!(
            t,
            "# HELP lvsadm_supervise_announced Whether the virtual address is on {DEVICE}, announced (1) or withdrawn (0)\n\
             # TYPE lvsadm_supervise_announced gauge"
        );
        for (ip, h) in &self.known {
            let _ = writeln!(
                t,
                "lvsadm_supervise_announced{{address=\"{}\"}} {}",
                lvs::model::ntop(ip),
                u8::from(h.on)
            );
        }
        let _ = writeln!(
            t,
            "# HELP lvsadm_supervise_announce_changes_total How many times the virtual address was announced or withdrawn since the supervisor started\n\
             # TYPE lvsadm_supervise_announce_changes_total counter"
        );
        for (ip, h) in &self.known {
            let _ = writeln!(
                t,
                "lvsadm_supervise_announce_changes_total{{address=\"{}\"}} {}",
                lvs::model::ntop(ip),
                h.changes
            );
        }
        t
    }
}

fn create() -> Result<VipDev, String> {
    VipDev::create(DEVICE).map_err(|e| {
        let hint = match e.raw_os_error() {
            Some(libc::EBUSY) => " (another process holds it: is a second supervisor running?)",
            Some(libc::ENOENT) | Some(libc::ENODEV) | Some(libc::EPERM) => {
                " (is /dev/net/tun there and allowed? the tun module; under systemd, contrib/bird/lvsadm-supervise-announce.conf)"
            }
            _ => "",
        };
        format!("cannot create the device {DEVICE} for --announce: {e}{hint}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::rules::parse_rules_health;

    /// The verdicts when the weights of `desired` are those of `now`.
    fn verdicts(file: &str, now: &str) -> Vec<String> {
        let (wanted, p, health) = parse_rules_health(file);
        assert_eq!(p, vec![]);
        let (desired, p, _) = parse_rules_health(now);
        assert_eq!(p, vec![]);
        decide(&wanted, &desired, &health)
            .into_iter()
            .map(|(ip, v)| format!("{ip} {} {}", v.announce, v.why))
            .collect()
    }

    const FILE: &str = "\
-A -t 192.0.2.1:80 -s mh --health tcp --announce 2 --sorry 127.0.0.1:80
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -g
-a -t 192.0.2.1:80 -r 198.51.100.3:80 -g
-A -t 192.0.2.2:80 -s mh --announce 1 --announce-when all
-a -t 192.0.2.2:80 -r 198.51.100.1:80 -g
-A -t 192.0.2.2:443 -s mh --announce 1 --announce-when all
-a -t 192.0.2.2:443 -r 198.51.100.1:443 -g
-A -t 192.0.2.3:80 -s mh
-a -t 192.0.2.3:80 -r 198.51.100.1:80 -g
";

    #[test]
    fn at_least_n_up_and_any_or_all() {
        // everything up: both announced addresses; the unannounced
        // service has no verdict
        assert_eq!(
            verdicts(FILE, FILE),
            [
                "192.0.2.1 true -t 192.0.2.1:80 has 3 of 3 real servers up (needs 2)",
                "192.0.2.2 true -t 192.0.2.2:80 has 1 of 1 real server up (needs 1), \
                 -t 192.0.2.2:443 has 1 of 1 real server up (needs 1) (--announce-when all)",
            ]
        );
        // one of three quiesced, one removed, the sorry server in: 1 < 2;
        // one of the two services of 192.0.2.2 down: all is not met
        let now = "\
-A -t 192.0.2.1:80 -s mh
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -g -w 0
-a -t 192.0.2.1:80 -r 127.0.0.1:80 -g
-A -t 192.0.2.2:80 -s mh
-a -t 192.0.2.2:80 -r 198.51.100.1:80 -g
-A -t 192.0.2.2:443 -s mh
-a -t 192.0.2.2:443 -r 198.51.100.1:443 -g -w 0
-A -t 192.0.2.3:80 -s mh
";
        assert_eq!(
            verdicts(FILE, now),
            [
                "192.0.2.1 false -t 192.0.2.1:80 has 1 of 3 real servers up (needs 2)",
                "192.0.2.2 false -t 192.0.2.2:80 has 1 of 1 real server up (needs 1), \
                 -t 192.0.2.2:443 has 0 of 1 real server up (needs 1) (--announce-when all)",
            ]
        );
        // control: with any, one service up is enough
        let any = FILE.replace("--announce-when all", "--announce-when any");
        assert!(verdicts(&any, now)[1].starts_with("192.0.2.2 true "));
    }

    #[test]
    fn nothing_announced_needs_no_device() {
        let mut a = Announcer::default();
        assert_eq!(a.apply(&BTreeMap::new()), Ok(Vec::new()));
        assert!(a.dev.is_none());
        assert_eq!(a.metrics(), "");
        assert_eq!(a.stop("SIGTERM"), Vec::<String>::new());
    }
}
