//! HAProxy's agent-check text protocol: the real server's agent answers a
//! TCP connection with one line of words separated by blanks or commas,
//! and closes it.
//!
//! * `75%`: the weight is that share of the written weight (HAProxy's
//!   "relative to the configured weight"), kept until the next
//!   percentage;
//! * `ready`, `drain`, `maint`: administrative state. `drain` sets the
//!   weight to 0 and keeps established connections, `maint` takes the
//!   real server out as a failure does (`--on-failure`), `ready` ends
//!   both;
//! * `up`, `down`, `fail`, `stopped`: operational state. `down`, `fail`
//!   and `stopped` mark the real server down at once (no fall count),
//!   `up` marks it up again (its check, if any, then decides as usual);
//! * a `#` starts a description, which is kept for the log;
//! * other words (`maxconn:N`, ...) are ignored.
//!
//! An agent that cannot be reached changes nothing: its last answer stays
//! (as in HAProxy, reachability is the health check's business).

/// The administrative state an agent asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admin {
    /// `ready`.
    Ready,
    /// `drain`.
    Drain,
    /// `maint`.
    Maint,
}

/// One agent answer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgentReply {
    /// A percentage of the written weight.
    pub percent: Option<u32>,
    /// An administrative state.
    pub admin: Option<Admin>,
    /// An operational state: `Some(true)` up, `Some(false)` down.
    pub up: Option<bool>,
    /// The description after `#`.
    pub note: Option<String>,
}

/// The largest percentage taken (more is taken as this).
pub const MAX_PERCENT: u32 = 1000;

/// Parse one agent line.
pub fn parse(line: &str) -> AgentReply {
    let (words, note) = match line.split_once('#') {
        Some((w, n)) => (w, Some(n.trim().to_string()).filter(|n| !n.is_empty())),
        None => (line, None),
    };
    let mut r = AgentReply {
        note,
        ..AgentReply::default()
    };
    for w in words
        .split([' ', '\t', ',', '\r', '\n'])
        .filter(|w| !w.is_empty())
    {
        let lower = w.to_ascii_lowercase();
        if let Some(p) = lower.strip_suffix('%') {
            if let Ok(n) = p.parse::<u64>() {
                r.percent = Some(n.min(u64::from(MAX_PERCENT)) as u32);
            }
            continue;
        }
        match lower.as_str() {
            "ready" => r.admin = Some(Admin::Ready),
            "drain" => r.admin = Some(Admin::Drain),
            "maint" => r.admin = Some(Admin::Maint),
            "up" => r.up = Some(true),
            "down" | "fail" | "failed" | "stopped" => r.up = Some(false),
            _ => {}
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_haproxy_agents() {
        assert_eq!(
            parse("75%\n"),
            AgentReply {
                percent: Some(75),
                ..Default::default()
            }
        );
        assert_eq!(
            parse("up, ready 50%"),
            AgentReply {
                percent: Some(50),
                admin: Some(Admin::Ready),
                up: Some(true),
                note: None
            }
        );
        assert_eq!(parse("drain").admin, Some(Admin::Drain));
        assert_eq!(parse("MAINT").admin, Some(Admin::Maint));
        let d = parse("down #disk full");
        assert_eq!(d.up, Some(false));
        assert_eq!(d.note.as_deref(), Some("disk full"));
        assert_eq!(parse("stopped").up, Some(false));
        assert_eq!(parse("5000%").percent, Some(MAX_PERCENT));
        // unknown words and a bad percentage change nothing
        assert_eq!(parse("maxconn:30 x% hello"), AgentReply::default());
        assert_eq!(parse(""), AgentReply::default());
    }
}
