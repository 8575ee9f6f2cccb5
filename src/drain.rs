//! The drain state machine, without I/O: given the connection counts polled
//! for each real server and the time elapsed, what to do next, and what to
//! tell the user.

use std::time::Duration;

/// A real server's connection counts (`ActiveConn`, `InActConn`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Active connections.
    pub active: u32,
    /// Inactive connections (e.g. in TIME_WAIT).
    pub inactive: u32,
}

impl Counts {
    /// Whether no connection is left.
    pub fn is_empty(&self) -> bool {
        self.active == 0 && self.inactive == 0
    }
}

/// Why a real server is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// It has no connections left.
    Empty,
    /// The deadline passed first.
    Deadline,
}

/// What to do with a real server after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Keep waiting.
    Wait,
    /// Delete it now.
    Delete(Why),
    /// It is no longer in the table (someone else deleted it).
    Gone,
}

/// The decision for one real server: `counts` is `None` when it was not
/// found in the table.
pub fn decide(counts: Option<Counts>, elapsed: Duration, deadline: Duration) -> Step {
    match counts {
        None => Step::Gone,
        Some(c) if c.is_empty() => Step::Delete(Why::Empty),
        Some(_) if elapsed >= deadline => Step::Delete(Why::Deadline),
        Some(_) => Step::Wait,
    }
}

/// How a real server's drain ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Emptied and deleted.
    Drained {
        /// How long it took.
        after: Duration,
    },
    /// Deleted at the deadline with connections left (they are broken).
    Deadline {
        /// How long it took.
        after: Duration,
        /// The connections it still had.
        left: Counts,
    },
    /// Vanished from the table before lvsadm deleted it.
    Gone {
        /// When it was noticed.
        after: Duration,
    },
    /// Setting the weight to 0 or deleting failed (message).
    Failed(String),
    /// Interrupted: weight left at 0, not deleted.
    Interrupted {
        /// The connections it still had.
        left: Counts,
    },
}

impl Outcome {
    /// Whether the real server is out of the table.
    pub fn removed(&self) -> bool {
        matches!(
            self,
            Outcome::Drained { .. } | Outcome::Deadline { .. } | Outcome::Gone { .. }
        )
    }

    /// The outcome in words.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Drained { after } => format!("drained after {} s, deleted", secs(*after)),
            Outcome::Deadline { after, left } => format!(
                "deadline reached after {} s with {}, deleted",
                secs(*after),
                conns(*left)
            ),
            Outcome::Gone { after } => {
                format!(
                    "gone from the table after {} s (deleted by someone else)",
                    secs(*after)
                )
            }
            Outcome::Failed(m) => format!("not deleted: {m}"),
            Outcome::Interrupted { left } => format!(
                "interrupted with {}; weight left at 0, not deleted",
                conns(*left)
            ),
        }
    }
}

/// Whole seconds, rounded to nearest.
pub fn secs(d: Duration) -> u64 {
    (d.as_millis() as u64 + 500) / 1000
}

fn conns(c: Counts) -> String {
    format!(
        "{} active and {} inactive connection{}",
        c.active,
        c.inactive,
        if c.inactive == 1 { "" } else { "s" }
    )
}

/// One real server being drained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// How it is named to the user (`-t 192.0.2.1:80 -r 198.51.100.1:80`).
    pub label: String,
    /// The counts of the last poll.
    pub last: Option<Counts>,
    /// How it ended, once it has.
    pub outcome: Option<Outcome>,
}

/// Every real server of one drain run.
#[derive(Debug, Clone)]
pub struct Drain {
    /// The real servers.
    pub entries: Vec<Entry>,
    /// How long to wait at most.
    pub deadline: Duration,
}

/// How often the counts are polled.
pub const POLL: Duration = Duration::from_secs(1);

impl Drain {
    /// A drain of the real servers named `labels`.
    pub fn new(labels: Vec<String>, deadline: Duration) -> Drain {
        Drain {
            entries: labels
                .into_iter()
                .map(|label| Entry {
                    label,
                    last: None,
                    outcome: None,
                })
                .collect(),
            deadline,
        }
    }

    /// Indices of the real servers still draining.
    pub fn pending(&self) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| self.entries[i].outcome.is_none())
            .collect()
    }

    /// Whether every real server has an outcome.
    pub fn done(&self) -> bool {
        self.entries.iter().all(|e| e.outcome.is_some())
    }

    /// Record a poll of entry `i`; returns what to do. A vanished entry is
    /// finished here; a deletion is finished by [`Drain::deleted`].
    pub fn observe(&mut self, i: usize, counts: Option<Counts>, elapsed: Duration) -> Step {
        let step = decide(counts, elapsed, self.deadline);
        let e = &mut self.entries[i];
        if counts.is_some() {
            e.last = counts;
        }
        if step == Step::Gone {
            e.outcome = Some(Outcome::Gone { after: elapsed });
        }
        step
    }

    /// Record the result of deleting entry `i`.
    pub fn deleted(&mut self, i: usize, why: Why, elapsed: Duration, result: Result<(), String>) {
        let e = &mut self.entries[i];
        e.outcome = Some(match (result, why) {
            (Err(m), _) => Outcome::Failed(m),
            (Ok(()), Why::Empty) => Outcome::Drained { after: elapsed },
            (Ok(()), Why::Deadline) => Outcome::Deadline {
                after: elapsed,
                left: e.last.unwrap_or_default(),
            },
        });
    }

    /// Mark entry `i` as failed before it started draining.
    pub fn failed(&mut self, i: usize, msg: String) {
        self.entries[i].outcome = Some(Outcome::Failed(msg));
    }

    /// Stop: every real server still draining stays, with weight 0.
    pub fn interrupt(&mut self) {
        for e in &mut self.entries {
            if e.outcome.is_none() {
                e.outcome = Some(Outcome::Interrupted {
                    left: e.last.unwrap_or_default(),
                });
            }
        }
    }

    /// How long to wait before the next poll.
    pub fn wait(&self, elapsed: Duration) -> Duration {
        match self.deadline.checked_sub(elapsed) {
            Some(left) if !left.is_zero() => left.min(POLL),
            _ => POLL,
        }
    }

    /// Whether every real server left the table.
    pub fn all_removed(&self) -> bool {
        self.entries
            .iter()
            .all(|e| e.outcome.as_ref().is_some_and(Outcome::removed))
    }

    /// One status line: what is left per real server, and the time left.
    pub fn progress(&self, elapsed: Duration) -> String {
        let pending = self.pending();
        let left = self.deadline.saturating_sub(elapsed);
        let mut s = format!(
            "draining {} real server{}, {} s left:",
            pending.len(),
            if pending.len() == 1 { "" } else { "s" },
            secs(left)
        );
        for i in pending {
            let e = &self.entries[i];
            let c = e.last.unwrap_or_default();
            s.push_str(&format!(
                " [{}: {} active, {} inactive]",
                e.label, c.active, c.inactive
            ));
        }
        s
    }

    /// One line per real server, for the end.
    pub fn report(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| {
                let o = e
                    .outcome
                    .as_ref()
                    .map(Outcome::describe)
                    .unwrap_or_else(|| "still draining".into());
                format!("{}: {o}", e.label)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn c(active: u32, inactive: u32) -> Option<Counts> {
        Some(Counts { active, inactive })
    }

    #[test]
    fn decisions() {
        assert_eq!(decide(c(0, 0), S(0), S(300)), Step::Delete(Why::Empty));
        assert_eq!(decide(c(1, 0), S(10), S(300)), Step::Wait);
        assert_eq!(decide(c(0, 1), S(10), S(300)), Step::Wait);
        assert_eq!(decide(c(0, 1), S(300), S(300)), Step::Delete(Why::Deadline));
        assert_eq!(decide(c(0, 0), S(400), S(300)), Step::Delete(Why::Empty));
        assert_eq!(decide(None, S(1), S(300)), Step::Gone);
        // a zero deadline deletes at once
        assert_eq!(decide(c(5, 5), S(0), S(0)), Step::Delete(Why::Deadline));
    }

    #[test]
    fn a_run_with_two_servers() {
        let mut d = Drain::new(vec!["a".into(), "b".into()], S(30));
        assert_eq!(d.observe(0, c(2, 1), S(0)), Step::Wait);
        assert_eq!(d.observe(1, c(1, 0), S(0)), Step::Wait);
        assert!(d
            .progress(S(0))
            .starts_with("draining 2 real servers, 30 s left:"));
        assert!(d.progress(S(0)).contains("[a: 2 active, 1 inactive]"));
        assert_eq!(d.observe(1, c(0, 0), S(5)), Step::Delete(Why::Empty));
        d.deleted(1, Why::Empty, S(5), Ok(()));
        assert_eq!(d.pending(), vec![0]);
        assert_eq!(d.observe(0, c(1, 0), S(30)), Step::Delete(Why::Deadline));
        d.deleted(0, Why::Deadline, S(30), Ok(()));
        assert!(d.done());
        assert!(d.all_removed());
        assert_eq!(
            d.report(),
            vec![
                "a: deadline reached after 30 s with 1 active and 0 inactive connections, deleted",
                "b: drained after 5 s, deleted"
            ]
        );
    }

    #[test]
    fn interrupt_and_failures_are_not_removals() {
        let mut d = Drain::new(vec!["a".into(), "b".into(), "c".into()], S(30));
        d.observe(0, c(1, 1), S(1));
        d.failed(2, "No such destination".into());
        d.observe(1, None, S(1));
        d.interrupt();
        assert!(d.done());
        assert!(!d.all_removed());
        let r = d.report();
        assert_eq!(
            r[0],
            "a: interrupted with 1 active and 1 inactive connection; weight left at 0, not deleted"
        );
        assert!(r[1].starts_with("b: gone from the table"));
        assert_eq!(r[2], "c: not deleted: No such destination");
        let mut e = Drain::new(vec!["x".into()], S(3));
        e.observe(0, c(0, 0), S(0));
        e.deleted(0, Why::Empty, S(0), Err("Operation not permitted".into()));
        assert!(!e.all_removed());
    }

    #[test]
    fn polls_at_most_every_second_and_at_the_deadline() {
        let d = Drain::new(vec!["a".into()], Duration::from_millis(2500));
        assert_eq!(d.wait(S(0)), S(1));
        assert_eq!(d.wait(S(2)), Duration::from_millis(500));
        assert_eq!(d.wait(S(3)), S(1));
    }
}
