//! `lvsadm -L --health-status [-j] [--state-dir DIR]`: what a running
//! `lvsadm --supervise` publishes in `DIR/supervise.json`, as a listing
//! (one line per real server: check, state, weight wanted / written, for
//! how long, last result) or as JSON (`-j`: the published object with
//! `running` and `age`). `lvsadm -L -n` is unchanged.

use crate::cli::popt::Walker;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;

/// The command line of the health listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `-j`.
    pub json: bool,
    /// `--state-dir DIR` (default `/run/lvsadm`).
    pub state_dir: PathBuf,
}

/// The health listing's command line in `args`, if it is one; `Err` is a
/// message for a wrong one (exit status 2).
pub fn parse(args: &[String]) -> Option<Result<Args, String>> {
    if !args
        .iter()
        .any(|a| a == "--health-status" || a.starts_with("--health-status="))
    {
        return None;
    }
    let mut w = Walker::new(args);
    let (mut status, mut list, mut json, mut state_dir, mut others) =
        (false, false, false, None, Vec::new());
    while let Some(ev) = w.next_opt() {
        match ev {
            Ok(ev) => match ev.id.as_str() {
                "health-status" => status = true,
                "list" => list = true,
                "json" => json = true,
                "numeric" => {}
                "state-dir" => state_dir = ev.value,
                other => others.push(other.to_string()),
            },
            Err(e) => return Some(Err(e.to_string())),
        }
    }
    if !status {
        return None;
    }
    if !list || !others.is_empty() {
        return Some(Err(
            "--health-status goes with -L, and takes only -j, -n and --state-dir DIR".into(),
        ));
    }
    if let Some(extra) = w.next_arg() {
        return Some(Err(format!("unexpected argument {extra}")));
    }
    Some(Ok(Args {
        json,
        state_dir: PathBuf::from(state_dir.unwrap_or_else(|| crate::app::hold::STATE_DIR.into())),
    }))
}

/// Print the listing; the exit status (1 when there is no state to read).
pub fn run<W: std::io::Write>(program: &str, a: &Args, out: &mut W) -> i32 {
    let path = a.state_dir.join("supervise.json");
    let v = match std::fs::read_to_string(&path)
        .map_err(|e| e.to_string())
        .and_then(|t| serde_json::from_str::<Value>(&t).map_err(|e| e.to_string()))
    {
        Ok(v) => v,
        Err(e) => {
            eprintln!(
                "{program}: no supervisor state in {}: {e} (is lvsadm --supervise running?)",
                path.display()
            );
            return 1;
        }
    };
    let running = v["pid"]
        .as_u64()
        .is_some_and(|p| std::path::Path::new(&format!("/proc/{p}")).exists());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let text = if a.json {
        json(v, running, now)
    } else {
        render(&v, running, now)
    };
    match out.write_all(text.as_bytes()) {
        Ok(()) => 0,
        Err(_) => 1,
    }
}

/// The published object with `running` and `age` (seconds since it was
/// written), on one line.
pub fn json(mut v: Value, running: bool, now: f64) -> String {
    let age = v["updated"]
        .as_f64()
        .map(|u| ((now - u).max(0.0) * 10.0).round() / 10.0);
    if let Some(o) = v.as_object_mut() {
        o.insert("running".into(), running.into());
        o.insert("age".into(), age.into());
    }
    v.to_string() + "\n"
}

/// A duration in whole units: `45s`, `5m12s`, `3h04m`, `2d03h`.
fn span(secs: f64) -> String {
    let s = secs.max(0.0) as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        3600..=86399 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{:02}h", s / 86400, s % 86400 / 3600),
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM:SS` (UTC).
fn utc(secs: f64) -> String {
    let s = secs.max(0.0) as i64;
    let (days, rem) = (s.div_euclid(86400), s.rem_euclid(86400));
    // days since 1970-01-01 to a civil date (proleptic Gregorian)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn num(v: &Value) -> String {
    v.as_i64().map_or_else(|| "-".into(), |n| n.to_string())
}

/// The text listing of a published state, as of `now` (Unix seconds).
pub fn render(v: &Value, running: bool, now: f64) -> String {
    let mut t = String::new();
    let updated = v["updated"].as_f64().unwrap_or(0.0);
    let _ = writeln!(
        t,
        "lvsadm --supervise {} (pid {}, {}), state of {} UTC, {} ago",
        v["file"].as_str().unwrap_or("?"),
        num(&v["pid"]),
        if running { "running" } else { "not running" },
        utc(updated),
        span(now - updated)
    );
    let _ = writeln!(
        t,
        "  -> RemoteAddress:Port           Check  State        Weight  Since    Last result"
    );
    for s in v["services"].as_array().into_iter().flatten() {
        let _ = write!(t, "{}", s["service"].as_str().unwrap_or("?"));
        if s["sorry_active"].as_bool() == Some(true) {
            t.push_str("  (sorry server in)");
        }
        t.push('\n');
        for r in s["servers"].as_array().into_iter().flatten() {
            let mut state = r["state"].as_str().unwrap_or("?").to_string();
            if r["hold"].as_bool() == Some(true) {
                state.push_str("+hold");
            }
            let weight = format!("{}/{}", num(&r["weight"]), num(&r["written"]));
            let since = r["since"]
                .as_f64()
                .map_or_else(|| "-".into(), |s| span(updated - s));
            let mut last = r["last"].as_str().unwrap_or("").to_string();
            if let Some(ms) = r["latency_ms"].as_f64() {
                let _ = write!(last, " ({ms:.1} ms)");
            }
            let line = format!(
                "  -> {:<28} {:<6} {:<12} {:<7} {:<8} {}",
                r["server"].as_str().unwrap_or("?"),
                r["check"].as_str().unwrap_or("?"),
                state,
                weight,
                since,
                last.trim()
            );
            let _ = writeln!(t, "{}", line.trim_end());
        }
    }
    t
}

#[cfg(test)]
#[path = "status_tests.rs"]
mod tests;
