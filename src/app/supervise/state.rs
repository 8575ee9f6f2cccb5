//! The state of each supervised real server, and the table it makes:
//! pure, driven by check results, agent replies and the maintenance
//! switch, with the time passed in (tests use a fake clock).
//!
//! * A real server is up or down. `fall` failed checks in a row take an
//!   up one down, `rise` good checks in a row bring a down one up. One
//!   log line per change, with the reason
//!   (`down: http status 503, 3/3 failures`).
//! * At start, a real server the kernel already has with a weight above 0
//!   or at its written weight is taken as up until its checks decide (a
//!   restart of the supervisor changes nothing on a healthy table); one
//!   the kernel does not have, or has at weight 0 while the file says
//!   more, starts down and joins after `rise` good checks.
//! * Down: `--on-failure quiesce` keeps it at weight 0 (connections go
//!   on), `remove` deletes it (added again when it is up).
//! * `--slow-start SECS`: after it comes up (not at start when already
//!   serving) its weight climbs linearly from 1 to the written weight.
//! * The agent: `N%` scales the written weight, `drain` sets 0, `maint`
//!   takes it out as a failure does, `down` marks it down at once, `up`
//!   and `ready` end those.
//! * The maintenance switch (a file named after the real server in the
//!   maintenance directory) sets its weight to 0 and keeps it there,
//!   whatever its checks say, until the file is removed.
//! * `--sorry ADDR:PORT`: added to a service none of whose real servers
//!   has a weight above 0, removed as soon as one has.

use super::agent::{Admin, AgentReply};
use crate::apply::health::{CheckKind, Health, OnFailure};
use crate::apply::{Wanted, WantedDest};
use lvs::model::{Dest, DestKey, Forward, ServiceKey};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// Up or down, as the checks say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Passing.
    Up,
    /// Failing (or not yet `rise` good checks).
    Down,
}

/// What the table should hold for a real server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    /// Not in the service.
    Absent,
    /// In the service with this weight.
    Weight(i32),
}

/// One supervised real server.
#[derive(Debug, Clone)]
pub struct Server {
    /// Its checks.
    pub health: Health,
    /// The weight the file gives it.
    pub written: i32,
    /// Up or down.
    pub status: Status,
    /// Results in a row that disagree with `status`.
    pub streak: u32,
    /// When `status` last changed (or supervision began).
    pub since: Instant,
    /// The last check: passed, and what was seen.
    pub last: Option<(bool, String)>,
    /// The last check's duration.
    pub latency: Option<Duration>,
    /// When it came up (for slow start); `None` when it was up at start.
    pub up_at: Option<Instant>,
    /// The agent's percentage.
    pub percent: Option<u32>,
    /// The agent's administrative state.
    pub admin: Admin,
    /// The agent said `down`/`fail`/`stopped` (with its description).
    pub agent_down: Option<String>,
    /// The maintenance switch is on.
    pub maint: bool,
    /// How many times `status` changed.
    pub transitions: u64,
}

impl Server {
    /// A real server as supervision begins, given its weight in the
    /// kernel (`None`: the kernel does not have it).
    pub fn new(health: Health, written: i32, live: Option<i32>, now: Instant) -> Server {
        let serving = matches!(live, Some(w) if w == written || w > 0);
        let status = if serving || health.check == CheckKind::None {
            // not checked by a check (none, or an agent only): up
            Status::Up
        } else {
            Status::Down
        };
        Server {
            health,
            written,
            status,
            streak: 0,
            since: now,
            last: None,
            latency: None,
            up_at: None,
            percent: None,
            admin: Admin::Ready,
            agent_down: None,
            maint: false,
            transitions: 0,
        }
    }

    /// Whether `up` and `why` are the last result already kept.
    pub fn shows(&self, up: bool, why: &str) -> bool {
        matches!(&self.last, Some((u, w)) if *u == up && w == why)
    }

    /// A check result; the log line (without the real server's name) when
    /// it changes the status.
    pub fn on_result(
        &mut self,
        now: Instant,
        up: bool,
        why: &str,
        latency: Duration,
    ) -> Option<String> {
        // the same result as last time (most checks): no new string
        if !self.shows(up, why) {
            match &mut self.last {
                Some((u, w)) => {
                    *u = up;
                    w.clear();
                    w.push_str(why);
                }
                None => self.last = Some((up, why.to_string())),
            }
        }
        self.latency = Some(latency);
        let (need, word) = match (self.status, self.health.fall, self.health.rise) {
            (Status::Up, 1, _) => (1, "failure"),
            (Status::Up, n, _) => (n, "failures"),
            (Status::Down, _, 1) => (1, "success"),
            (Status::Down, _, n) => (n, "successes"),
        };
        if up == (self.status == Status::Up) {
            self.streak = 0;
            return None;
        }
        self.streak += 1;
        if self.streak < need {
            return None;
        }
        self.streak = 0;
        self.set_status(now, if up { Status::Up } else { Status::Down });
        Some(format!(
            "{}: {why}, {need}/{need} {word}",
            if up { "up" } else { "down" },
        ))
    }

    fn set_status(&mut self, now: Instant, s: Status) {
        self.status = s;
        self.since = now;
        self.transitions += 1;
        if s == Status::Up {
            self.up_at = Some(now);
        }
    }

    /// An agent reply; the log lines of what it changes.
    pub fn on_agent(&mut self, now: Instant, r: &AgentReply) -> Vec<String> {
        let mut logs = Vec::new();
        if let Some(p) = r.percent {
            if self.percent != Some(p) {
                logs.push(format!("agent weight {p}%"));
                self.percent = Some(p);
            }
        }
        if let Some(a) = r.admin {
            if a != self.admin {
                logs.push(format!(
                    "agent: {}",
                    match a {
                        Admin::Ready => "ready",
                        Admin::Drain => "drain",
                        Admin::Maint => "maint",
                    }
                ));
                self.admin = a;
            }
        }
        match r.up {
            Some(false) if self.agent_down.is_none() => {
                let note = r.note.clone().unwrap_or_default();
                logs.push(if note.is_empty() {
                    "down: agent says down".into()
                } else {
                    format!("down: agent says down ({note})")
                });
                self.agent_down = Some(note);
                self.since = now;
                self.transitions += 1;
            }
            Some(true) if self.agent_down.is_some() => {
                logs.push("agent says up".into());
                self.agent_down = None;
                self.since = now;
                self.transitions += 1;
                if self.status == Status::Up {
                    self.up_at = Some(now);
                }
            }
            _ => {}
        }
        logs
    }

    /// The maintenance switch; the log line when it changes.
    pub fn set_maint(&mut self, on: bool) -> Option<String> {
        if on == self.maint {
            return None;
        }
        self.maint = on;
        Some(if on {
            "maintenance: weight 0 until released".into()
        } else {
            "maintenance released".into()
        })
    }

    /// Whether the checks and the agent let it serve.
    pub fn is_up(&self) -> bool {
        self.status == Status::Up && self.agent_down.is_none() && self.admin != Admin::Maint
    }

    /// The state's word, as published (`up`, `down`, `maint`, `drain`,
    /// `slow-start`).
    pub fn word(&self, now: Instant) -> &'static str {
        if self.maint || self.admin == Admin::Maint {
            "maint"
        } else if !self.is_up() {
            "down"
        } else if self.admin == Admin::Drain {
            "drain"
        } else if self.ramping(now) {
            "slow-start"
        } else {
            "up"
        }
    }

    /// Whether slow start is still raising the weight.
    pub fn ramping(&self, now: Instant) -> bool {
        match (self.health.slow_start, self.up_at) {
            (Some(ss), Some(t)) => self.is_up() && now.saturating_duration_since(t) < ss,
            _ => false,
        }
    }

    /// What the table should hold for it now.
    pub fn want(&self, now: Instant) -> Want {
        if self.maint {
            return Want::Weight(0);
        }
        if !self.is_up() {
            return match self.health.on_failure {
                OnFailure::Quiesce => Want::Weight(0),
                OnFailure::Remove => Want::Absent,
            };
        }
        if self.admin == Admin::Drain {
            return Want::Weight(0);
        }
        let mut w = i64::from(self.written);
        if let Some(p) = self.percent {
            let scaled = w * i64::from(p) / 100;
            w = if scaled == 0 && w > 0 && p > 0 {
                1
            } else {
                scaled
            };
        }
        if let (Some(ss), Some(t)) = (self.health.slow_start, self.up_at) {
            let done = now.saturating_duration_since(t);
            if done < ss && w > 1 {
                let ramped = w * done.as_millis() as i64 / ss.as_millis().max(1) as i64;
                w = ramped.max(1);
            }
        }
        Want::Weight(w.clamp(0, i64::from(i32::MAX)) as i32)
    }
}

/// The key of a supervised real server.
pub type Key = (ServiceKey, DestKey);

/// Whether the maintenance directory's names put `rip` in maintenance:
/// a file named `ADDR` (every port) or `ADDR:PORT` (`[ADDR6]:PORT`).
pub fn in_maintenance(names: &std::collections::HashSet<String>, rip: SocketAddr) -> bool {
    names.contains(&rip.ip().to_string()) || names.contains(&rip.to_string())
}

/// The table the supervisor wants: the file's services, each real server
/// as its state wants it (servers without state as written), and a
/// service's sorry server when none of its real servers has a weight
/// above 0. The sorry server takes the forwarding of the service's first
/// real server (direct routing without one), weight 1.
pub fn desired<'a>(
    wanted: impl IntoIterator<Item = &'a Wanted>,
    servers: &HashMap<Key, Server>,
    sorry: &dyn Fn(&ServiceKey) -> Option<SocketAddr>,
    now: Instant,
) -> Vec<Wanted> {
    wanted
        .into_iter()
        .map(|w| {
            let sk = w.svc.key();
            let mut dests: Vec<WantedDest> = Vec::with_capacity(w.dests.len() + 1);
            for d in &w.dests {
                let want = servers
                    .get(&(sk, d.dest.key()))
                    .map_or(Want::Weight(d.dest.weight), |s| s.want(now));
                if let Want::Weight(weight) = want {
                    let mut d = d.clone();
                    d.dest.weight = weight;
                    dests.push(d);
                }
            }
            if let Some(addr) = sorry(&sk) {
                if !dests.iter().any(|d| d.dest.weight > 0) {
                    let forward = w
                        .dests
                        .first()
                        .and_then(|d| match d.dest.forward.method() {
                            Forward::Other(_) => None,
                            f => Some(f),
                        })
                        .unwrap_or(Forward::Route);
                    let mut d = Dest::with_addr(addr, forward);
                    if forward != Forward::Masq && w.svc.port != 0 {
                        // as ipvsadm: only NAT changes the port
                        d.port = w.svc.port;
                    }
                    dests.push(WantedDest {
                        dest: d,
                        u_given: true,
                        l_given: true,
                    });
                }
            }
            Wanted {
                svc: w.svc.clone(),
                dests,
                line: w.line,
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "state_tests.rs"]
mod tests;
