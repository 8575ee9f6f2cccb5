//! Operator holds: a real server drained on purpose (`-d --drain` or
//! `-D --drain`) in a service that `lvsadm --supervise` owns is recorded
//! as a file in the supervisor's state directory (`DIR/hold/NAME`), so
//! that the supervisor keeps it out instead of undoing the drain.
//!
//! The supervisor reads the directory every second. While a hold is on,
//! it leaves that real server as the kernel has it (weight 0 while the
//! drain runs, absent once it deleted it). The hold ends when its file is
//! removed, or when an operator puts the real server back by hand with a
//! weight above 0 (`lvsadm -a ... -w N` after the drain deleted it, or
//! `lvsadm -e ... -w N`); the supervisor then removes the file.
//!
//! NAME is the service and the real server in one word:
//! `t_192.0.2.1:80,198.51.100.1:80`, `u_[2001:db8::1]:53,[2001:db8::2]:53`,
//! `f_7,198.51.100.1:0` (`f_7_-6,...` for an IPv6 mark).

use lvs::model::{DestKey, ServiceKey};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default state directory of `lvsadm --supervise`.
pub const STATE_DIR: &str = "/run/lvsadm";

/// The directory of holds under a state directory.
pub fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("hold")
}

/// The file name of the hold on `dest` in `svc`.
pub fn file_name(svc: &ServiceKey, dest: &DestKey) -> String {
    let ip = dest.1;
    let s = svc.to_string();
    format!(
        "{},{}",
        s.trim_start_matches('-').replace(' ', "_"),
        SocketAddr::new(ip, dest.2)
    )
}

/// The services a supervisor publishing in `state_dir` owns, as their
/// `-t ADDR:PORT` words (empty when none publishes there).
pub fn supervised(state_dir: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(state_dir.join("supervise.json")) else {
        return Vec::new();
    };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    v["services"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s["service"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Record holds on `dests` of `svc` when a supervisor publishing in
/// `state_dir` owns `svc`: the paths written (none when it does not).
/// The file holds the time (Unix seconds) and why.
pub fn record(
    state_dir: &Path,
    svc: &ServiceKey,
    dests: &[DestKey],
    why: &str,
) -> std::io::Result<Vec<PathBuf>> {
    if !supervised(state_dir).contains(&svc.to_string()) {
        return Ok(Vec::new());
    }
    let d = dir(state_dir);
    std::fs::create_dir_all(&d)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|t| t.as_secs())
        .unwrap_or(0);
    let mut made = Vec::new();
    for dk in dests {
        let p = d.join(file_name(svc, dk));
        std::fs::write(&p, format!("{now} {why}\n"))?;
        made.push(p);
    }
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvs::model::Protocol;

    fn key(a: &str) -> DestKey {
        let sa: SocketAddr = a.parse().unwrap();
        (lvs::model::Family::of(&sa.ip()), sa.ip(), sa.port())
    }

    #[test]
    fn names() {
        let svc = ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "192.0.2.1:80".parse().unwrap(),
        };
        assert_eq!(
            file_name(&svc, &key("198.51.100.1:80")),
            "t_192.0.2.1:80,198.51.100.1:80"
        );
        let svc6 = ServiceKey::Addr {
            protocol: Protocol::Udp,
            addr: "[2001:db8::1]:53".parse().unwrap(),
        };
        assert_eq!(
            file_name(&svc6, &key("[2001:db8::2]:53")),
            "u_[2001:db8::1]:53,[2001:db8::2]:53"
        );
    }

    #[test]
    fn only_for_a_supervised_service() {
        let dir = std::env::temp_dir().join(format!("lvsadm-hold-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let svc = ServiceKey::Addr {
            protocol: Protocol::Tcp,
            addr: "192.0.2.1:80".parse().unwrap(),
        };
        let dk = key("198.51.100.1:80");
        // no supervisor publishes there: nothing recorded
        assert!(record(&dir, &svc, &[dk], "x").unwrap().is_empty());
        std::fs::write(
            dir.join("supervise.json"),
            r#"{"services":[{"service":"-t 192.0.2.9:80","servers":[]}]}"#,
        )
        .unwrap();
        // another service: nothing
        assert!(record(&dir, &svc, &[dk], "x").unwrap().is_empty());
        std::fs::write(
            dir.join("supervise.json"),
            r#"{"services":[{"service":"-t 192.0.2.1:80","servers":[]}]}"#,
        )
        .unwrap();
        let made = record(&dir, &svc, &[dk], "-d --drain").unwrap();
        assert_eq!(made, [dir.join("hold/t_192.0.2.1:80,198.51.100.1:80")]);
        assert!(std::fs::read_to_string(&made[0])
            .unwrap()
            .ends_with(" -d --drain\n"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
