//! The settings lines of a rule file: `--set TCP TCPFIN UDP` (ipvsadm's
//! command, which `ipvsadm -R` accepts too) and `--sysctl NAME=VALUE...`
//! (lvsadm's: the kernel's IPVS settings, see `lvs::sysctl`). `--check`
//! validates them, `--apply` makes them (the table lines are
//! [`super::rules`]'s, which skips these), `lvsadm -S --settings` writes
//! them.

use super::rules::rule_words;
use super::{CliError, Cmd, Outcome};
use crate::apply::Problem;
use lvs::model::Timeouts;

/// The settings a rule file asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSettings {
    /// The `--set` line's timeouts (0 keeps the current value) and its line.
    pub timeouts: Option<(Timeouts, usize)>,
    /// Each `--sysctl NAME=VALUE`: name, value (as the kernel is given it),
    /// line.
    pub sysctls: Vec<(String, String, usize)>,
}

impl FileSettings {
    /// Whether the file has no settings lines.
    pub fn is_empty(&self) -> bool {
        self.timeouts.is_none() && self.sysctls.is_empty()
    }
}

/// Whether the line's words are a settings line (`--set`, `--sysctl`).
pub fn is_settings_line(words: &[String]) -> bool {
    matches!(
        words.first().map(String::as_str),
        Some("--set" | "--sysctl")
    )
}

/// `--sysctl NAME=VALUE` in the form `lvsadm -S --settings` writes it
/// (the two numbers of a threshold joined by a comma, no blanks).
pub fn sysctl_line(name: &str, value: &str) -> String {
    format!(
        "--sysctl {name}={}",
        value.split_whitespace().collect::<Vec<_>>().join(",")
    )
}

/// `--set TCP TCPFIN UDP`.
pub fn set_line(t: &Timeouts) -> String {
    format!(
        "--set {} {} {}",
        t.tcp.as_secs(),
        t.tcp_fin.as_secs(),
        t.udp.as_secs()
    )
}

/// The settings lines of `text`, and their problems (each with its line).
/// Names and values are checked against what lvsadm knows; whether this
/// kernel has the setting is checked by `--apply`.
pub fn parse_settings(text: &str) -> (FileSettings, Vec<Problem>) {
    let mut s = FileSettings::default();
    let mut problems = Vec::new();
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let t = raw.trim_start_matches([' ', '\t', '\r']);
        if !(t.starts_with("--set")
            || t.starts_with("--sysctl")
            || t.starts_with("lvsadm")
            || t.starts_with("ipvsadm"))
        {
            continue;
        }
        let words = rule_words(raw);
        if !is_settings_line(&words) {
            continue;
        }
        let mut problem = |msg: String| problems.push(Problem { line, msg });
        if words[0] == "--set" {
            match super::parse(&words) {
                Ok(Outcome::Run(p)) if p.cmd == Cmd::SetTimeout => {
                    if let Some((_, first)) = s.timeouts {
                        problem(format!("a second --set line (the first is line {first})"));
                    } else {
                        s.timeouts = Some((p.timeouts, line));
                    }
                }
                Ok(_) => problem("--set takes three timeouts: --set TCP TCPFIN UDP".into()),
                Err(CliError::Fatal { msg, .. }) | Err(CliError::Popt(msg)) => {
                    problem(msg.trim_end().to_string())
                }
                Err(CliError::TryHelp) => {
                    problem("--set takes three timeouts: --set TCP TCPFIN UDP".into())
                }
            }
            continue;
        }
        if words.len() == 1 {
            problem("--sysctl needs NAME=VALUE words".into());
            continue;
        }
        for w in &words[1..] {
            let Some((name, value)) = w.split_once('=') else {
                problem(format!("--sysctl {w}: NAME=VALUE expected"));
                continue;
            };
            let Some(k) = lvs::sysctl::known(name) else {
                problem(format!(
                    "unknown IPVS setting `{name}' (lvsadm --sysctl lists them)"
                ));
                continue;
            };
            match lvs::sysctl::check_value(k.kind, value) {
                Ok(v) => {
                    if let Some((_, first)) = seen.iter().find(|(n, _)| n == name) {
                        problem(format!("{name} set twice (first on line {first})"));
                        continue;
                    }
                    seen.push((name.to_string(), line));
                    s.sysctls.push((name.to_string(), v, line));
                }
                Err(why) => problem(format!("invalid value `{value}' for {name}: {why}")),
            }
        }
    }
    (s, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_lines_and_their_problems() {
        let text = "# a saved table\n\
                    --set 900 120 300\n\
                    --sysctl expire_nodest_conn=1 sync_threshold=4,60\n\
                    -A -t 192.0.2.1:80 -s rr\n\
                    lvsadm --sysctl conn_reuse_mode=0 # comment\n";
        let (s, p) = parse_settings(text);
        assert_eq!(p, []);
        assert_eq!(
            s.timeouts,
            Some((
                Timeouts {
                    tcp: std::time::Duration::from_secs(900),
                    tcp_fin: std::time::Duration::from_secs(120),
                    udp: std::time::Duration::from_secs(300)
                },
                2
            ))
        );
        assert_eq!(
            s.sysctls,
            [
                ("expire_nodest_conn".to_string(), "1".to_string(), 3),
                ("sync_threshold".to_string(), "4 60".to_string(), 3),
                ("conn_reuse_mode".to_string(), "0".to_string(), 5),
            ]
        );
        assert_eq!(
            sysctl_line("sync_threshold", "4 60"),
            "--sysctl sync_threshold=4,60"
        );
        assert_eq!(set_line(&s.timeouts.unwrap().0), "--set 900 120 300");

        let bad = "--set 900 120\n--sysctl expire_nodest_conn=2\n--sysctl nope=1 pmtu_disc\n\
                   --set 1 2 3\n--set 4 5 6\n--sysctl\n--sysctl pmtu_disc=0 pmtu_disc=1\n";
        let (_, p) = parse_settings(bad);
        let lines: Vec<usize> = p.iter().map(|p| p.line).collect();
        assert_eq!(lines, [1, 2, 3, 3, 5, 6, 7], "{p:?}");
        assert!(p[1]
            .msg
            .contains("invalid value `2' for expire_nodest_conn: 0 or 1"));
        assert!(p[2].msg.starts_with("unknown IPVS setting `nope'"));
        assert!(p[4].msg.contains("the first is line 4"));
    }
}
