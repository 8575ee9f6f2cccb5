//! The kernel's IPVS settings: the files of `/proc/sys/net/ipv4/vs/`.
//!
//! They exist only while the `ip_vs` module is loaded ([`load_module`]),
//! belong to the network namespace of the thread that opens them, and are
//! lost at reboot. [`Sysctls`] reads and writes one such directory (the
//! real one, or any directory for tests); [`in_netns`] runs a closure on a
//! thread moved into another namespace, so a library user reaches that
//! namespace's settings without moving the process.
//!
//! Writes are validated against [`KNOWN`] (a name this kernel has, a value
//! in the setting's range) before anything is written; a group of writes
//! is all or nothing (what was written is put back when a later one
//! fails), and each write is read back.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Where the kernel shows the IPVS settings of the reader's namespace.
pub const DIR: &str = "/proc/sys/net/ipv4/vs";

/// The values a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// 0 or 1.
    Bool,
    /// An integer from .0 to .1.
    Int(i64, i64),
    /// A power of two from 1 to .0.
    PowerOfTwo(i64),
    /// Two integers, `A B`: 0 <= A < B, or B = 0.
    Threshold,
    /// A CPU list (`0-3,8`), checked by the kernel.
    CpuList,
}

/// A setting lvsadm knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The file name.
    pub name: &'static str,
    /// Its values.
    pub kind: Kind,
    /// The kernel's default, when it is fixed (not computed at boot).
    pub default: Option<&'static str>,
    /// When it may be missing: the kernel version or module that has it.
    pub needs: Option<&'static str>,
    /// What it does, in one line.
    pub meaning: &'static str,
}

const I32: i64 = i32::MAX as i64;

macro_rules! known {
    ($name:literal, $kind:expr, $default:expr, $needs:expr, $meaning:literal) => {
        Known {
            name: $name,
            kind: $kind,
            default: $default,
            needs: $needs,
            meaning: $meaning,
        }
    };
}

/// Every IPVS setting lvsadm knows, by name.
pub const KNOWN: &[Known] = &[
    known!("am_droprate", Kind::Int(0, I32), Some("10"), None,
        "packet drop rate (1 in N) for drop_packet mode 3 when memory is low"),
    known!("amemthresh", Kind::Int(0, I32), Some("1024"), None,
        "free memory (pages) below which the defense strategies (drop_entry, drop_packet, secure_tcp) start"),
    known!("backup_only", Kind::Bool, Some("0"), None,
        "1: no forwarding while the backup sync daemon runs (director in backup mode only)"),
    known!("cache_bypass", Kind::Bool, Some("0"), None,
        "1: with the cache schedulers, send to the original destination when no cache server is available"),
    known!("conn_reuse_mode", Kind::Int(0, 3), Some("1"), None,
        "bit 1: new connection on a reused source port is rescheduled (may delay a SYN 1 s with conntrack); bit 2: also for DR/TUN-only setups; 0: never"),
    known!("conntrack", Kind::Bool, Some("0"), None,
        "1: keep netfilter connection tracking for IPVS connections (needed by NAT/state firewall rules on them)"),
    known!("debug_level", Kind::Int(0, 12), Some("0"), Some("a kernel built with CONFIG_IP_VS_DEBUG"),
        "IPVS debug message level (0: none)"),
    known!("drop_entry", Kind::Int(0, 3), Some("0"), None,
        "defense: drop random connection entries when memory is low (0 never, 1 when low, 2 always, 3 always, stay)"),
    known!("drop_packet", Kind::Int(0, 3), Some("0"), None,
        "defense: drop 1 in am_droprate packets when memory is low (0 never, 1 when low, 2 always, 3 always, stay)"),
    known!("est_cpulist", Kind::CpuList, None, Some("Linux 6.2"),
        "CPUs on which the rate estimation threads run"),
    known!("est_nice", Kind::Int(-20, 19), Some("0"), Some("Linux 6.2"),
        "nice value of the rate estimation threads (-20..19)"),
    known!("expire_nodest_conn", Kind::Bool, Some("0"), None,
        "1: a packet of a connection whose real server was deleted expires the entry (UDP is rescheduled); 0: such packets are dropped until the entry times out"),
    known!("expire_quiescent_template", Kind::Bool, Some("0"), None,
        "1: persistence templates of a weight-0 real server expire, so persistent clients move"),
    known!("ignore_tunneled", Kind::Bool, Some("0"), None,
        "1: packets that arrived tunnelled (ipip, GRE...) are not load balanced"),
    known!("lblc_expiration", Kind::Int(0, 2147483), Some("86400"), Some("the ip_vs_lblc module (scheduler lblc)"),
        "seconds after which an unused lblc destination entry expires"),
    known!("lblcr_expiration", Kind::Int(0, 2147483), Some("86400"), Some("the ip_vs_lblcr module (scheduler lblcr)"),
        "seconds after which an unused lblcr destination set expires"),
    known!("nat_icmp_send", Kind::Bool, Some("0"), None,
        "1: send ICMP port unreachable to the client when a NAT real server's reply has no connection entry"),
    known!("pmtu_disc", Kind::Bool, Some("1"), None,
        "1: DF packets too big for a tunnel get ICMP 'fragmentation needed' (path MTU discovery); 0: fragment them"),
    known!("run_estimation", Kind::Bool, Some("1"), None,
        "1: compute the rates of --rate and metrics; 0: no rate estimation (rates stay 0)"),
    known!("schedule_icmp", Kind::Bool, Some("0"), None,
        "1: ICMP packets for a virtual service are scheduled to a real server"),
    known!("secure_tcp", Kind::Int(0, 3), Some("0"), None,
        "defense: shorter TCP state timeouts against SYN floods (0 never, 1 when memory is low, 2 always, 3 always, stay)"),
    known!("sloppy_sctp", Kind::Bool, Some("0"), None,
        "1: an SCTP association may be picked up from a packet other than INIT (after a fail-over)"),
    known!("sloppy_tcp", Kind::Bool, Some("0"), None,
        "1: a TCP connection may be picked up from a packet other than SYN (after a fail-over)"),
    known!("snat_reroute", Kind::Bool, Some("1"), None,
        "1: NAT replies are routed again after source NAT (policy routing by source address)"),
    known!("sync_persist_mode", Kind::Bool, Some("0"), None,
        "1: the sync daemon sends only persistence templates, fewer messages"),
    known!("sync_ports", Kind::PowerOfTwo(128), Some("1"), None,
        "number of sync threads and UDP ports (a power of two)"),
    known!("sync_qlen_max", Kind::Int(1, i64::MAX), None, None,
        "most sync messages queued before sending (default from memory size)"),
    known!("sync_refresh_period", Kind::Int(0, 2147483), Some("0"), None,
        "seconds between re-syncs of an unchanged connection (0: by sync_threshold)"),
    known!("sync_retries", Kind::Int(0, 3), Some("0"), None,
        "how many times a sync message is re-sent with sync_refresh_period"),
    known!("sync_sock_size", Kind::Int(0, I32), Some("0"), None,
        "socket buffer size of the sync daemon (0: system default)"),
    known!("sync_threshold", Kind::Threshold, Some("3 50"), None,
        "A B: a connection is synced after A packets, then every B packets"),
    known!("sync_version", Kind::Int(0, 1), Some("1"), None,
        "sync message format: 1 (IPv6, persistence engines) or 0 (old directors)"),
];

/// What lvsadm knows of the setting `name`.
pub fn known(name: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.name == name)
}

/// A setting as the kernel shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The file name (`expire_nodest_conn`).
    pub name: String,
    /// The value, fields separated by one space (`3 50`).
    pub value: String,
    /// What lvsadm knows of it (`None` for a setting newer than lvsadm).
    pub known: Option<&'static Known>,
}

impl Setting {
    /// Whether the value differs from the kernel's fixed default (`false`
    /// when there is none).
    pub fn changed(&self) -> bool {
        self.known
            .and_then(|k| k.default)
            .is_some_and(|d| d != self.value)
    }
}

/// Why a setting could not be read or written.
#[derive(Debug)]
pub enum Error {
    /// The directory is missing: `ip_vs` is not loaded.
    NotLoaded,
    /// No such setting, in lvsadm's list or in the kernel.
    Unknown(String),
    /// lvsadm knows it, this kernel does not have it (with what it needs).
    Unsupported(String, &'static str),
    /// The value is not one the setting takes.
    Invalid {
        /// The setting.
        name: String,
        /// The value given.
        value: String,
        /// What it takes.
        why: String,
    },
    /// The kernel refused the value or the file could not be read.
    Io {
        /// The setting.
        name: String,
        /// The error.
        err: io::Error,
    },
    /// The kernel took the value but shows another.
    Mismatch {
        /// The setting.
        name: String,
        /// Written.
        wrote: String,
        /// Read back.
        read: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NotLoaded => write!(f, "{DIR} does not exist (the ip_vs module is not loaded)"),
            Error::Unknown(n) => {
                write!(f, "unknown IPVS setting `{n}' (lvsadm --sysctl lists them)")
            }
            Error::Unsupported(n, needs) => {
                write!(
                    f,
                    "IPVS setting `{n}' is not in this kernel (it needs {needs})"
                )
            }
            Error::Invalid { name, value, why } => {
                write!(f, "invalid value `{value}' for {name}: {why}")
            }
            Error::Io { name, err } => write!(f, "{name}: {err}"),
            Error::Mismatch { name, wrote, read } => {
                write!(f, "{name}: wrote `{wrote}' but the kernel shows `{read}'")
            }
        }
    }
}

impl std::error::Error for Error {}

/// One change made by [`Sysctls::set`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The setting.
    pub name: String,
    /// Its value before.
    pub old: String,
    /// Its value now.
    pub new: String,
}

/// The fields of a value, separated by one space.
fn normal(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn int(v: &str) -> Option<i64> {
    let v = v.strip_prefix('+').unwrap_or(v);
    if v.is_empty()
        || !v
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    v.parse().ok()
}

/// `value` checked against `kind`, in the form written to the kernel
/// (fields separated by one space; a comma separates the two numbers of a
/// threshold too, so that rule files need no quotes).
pub fn check_value(kind: Kind, value: &str) -> Result<String, String> {
    let v = value.trim();
    match kind {
        Kind::Bool => match v {
            "0" | "1" => Ok(v.to_string()),
            _ => Err("0 or 1".into()),
        },
        Kind::Int(lo, hi) => match int(v) {
            Some(n) if (lo..=hi).contains(&n) => Ok(n.to_string()),
            _ => Err(format!("an integer from {lo} to {hi}")),
        },
        Kind::PowerOfTwo(hi) => match int(v) {
            Some(n) if n >= 1 && n <= hi && n & (n - 1) == 0 => Ok(n.to_string()),
            _ => Err(format!("a power of two from 1 to {hi}")),
        },
        Kind::Threshold => {
            let f: Vec<&str> = v
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty())
                .collect();
            let why = || "two integers A,B with 0 <= A < B, or B = 0 (as `3,50' or \"3 50\")";
            match f.as_slice() {
                [a, b] => match (int(a), int(b)) {
                    (Some(a), Some(b))
                        if a >= 0 && b >= 0 && a <= I32 && b <= I32 && (a < b || b == 0) =>
                    {
                        Ok(format!("{a} {b}"))
                    }
                    _ => Err(why().into()),
                },
                _ => Err(why().into()),
            }
        }
        Kind::CpuList => {
            let ok = !v.is_empty()
                && v.split(',').all(|r| {
                    let mut p = r.splitn(2, '-');
                    let a = p.next().unwrap_or("");
                    let b = p.next();
                    let num = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
                    num(a) && b.map_or(true, num)
                });
            if ok {
                Ok(v.to_string())
            } else {
                Err("a CPU list such as 0-3,8".into())
            }
        }
    }
}

/// The settings directory of one namespace (or a stand-in directory).
#[derive(Debug, Clone)]
pub struct Sysctls {
    root: PathBuf,
}

impl Default for Sysctls {
    fn default() -> Self {
        Self::open()
    }
}

impl Sysctls {
    /// The settings of the calling thread's network namespace.
    pub fn open() -> Self {
        Self::at(DIR)
    }

    /// The settings in `root` (a copy of the directory, for tests).
    pub fn at(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the directory exists (`ip_vs` loaded).
    pub fn exists(&self) -> bool {
        self.root.is_dir()
    }

    fn io(name: &str, err: io::Error) -> Error {
        Error::Io {
            name: name.to_string(),
            err,
        }
    }

    /// Every setting of the directory, sorted by name.
    pub fn list(&self) -> Result<Vec<Setting>, Error> {
        let dir = match std::fs::read_dir(&self.root) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::NotLoaded),
            Err(e) => return Err(Self::io(DIR, e)),
        };
        let mut names: Vec<String> = dir
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let value = self.read(&name)?;
                Ok(Setting {
                    known: known(&name),
                    name,
                    value,
                })
            })
            .collect()
    }

    fn read(&self, name: &str) -> Result<String, Error> {
        std::fs::read_to_string(self.root.join(name))
            .map(|t| normal(&t))
            .map_err(|e| Self::io(name, e))
    }

    /// The file of `name`, or why there is none.
    fn file(&self, name: &str) -> Result<PathBuf, Error> {
        if !self.exists() {
            return Err(Error::NotLoaded);
        }
        let plain =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let path = self.root.join(name);
        if plain && path.is_file() {
            return Ok(path);
        }
        match known(name) {
            Some(k) => Err(Error::Unsupported(
                name.to_string(),
                k.needs.unwrap_or("a kernel that has it"),
            )),
            None => Err(Error::Unknown(name.to_string())),
        }
    }

    /// The setting `name`.
    pub fn get(&self, name: &str) -> Result<Setting, Error> {
        self.file(name)?;
        Ok(Setting {
            name: name.to_string(),
            value: self.read(name)?,
            known: known(name),
        })
    }

    /// `value` for `name` in the form the kernel is given, or why not: the
    /// setting must exist in this kernel and, when lvsadm knows it, the
    /// value must be in its range. Nothing is written.
    pub fn validate(&self, name: &str, value: &str) -> Result<String, Error> {
        self.file(name)?;
        match known(name) {
            Some(k) => check_value(k.kind, value).map_err(|why| Error::Invalid {
                name: name.to_string(),
                value: value.to_string(),
                why,
            }),
            None if !value.trim().is_empty() => Ok(normal(value)),
            None => Err(Error::Invalid {
                name: name.to_string(),
                value: value.to_string(),
                why: "a value".into(),
            }),
        }
    }

    fn write(&self, name: &str, value: &str) -> Result<(), Error> {
        let text = format!("{}\n", value.replace(' ', "\t"));
        std::fs::write(self.root.join(name), text).map_err(|e| Self::io(name, e))
    }

    /// Set every `(name, value)`: all are validated first (nothing is
    /// written when one is wrong), then written in order and read back;
    /// when a write fails, the settings already written get their old
    /// values back. Settings that already have the value are not written.
    /// Returns what changed.
    pub fn set(&self, wanted: &[(String, String)]) -> Result<Vec<Change>, Error> {
        let mut plan = Vec::new();
        for (name, value) in wanted {
            let v = self.validate(name, value)?;
            let old = self.read(name)?;
            plan.push((name.clone(), old, v));
        }
        let mut done: Vec<Change> = Vec::new();
        for (name, old, new) in plan {
            if old == new {
                continue;
            }
            let r = self.write(&name, &new).and_then(|()| {
                let read = self.read(&name)?;
                let same = match known(&name).map(|k| k.kind) {
                    // the kernel prints a CPU list its own way
                    Some(Kind::CpuList) => true,
                    _ => read == new,
                };
                if same {
                    Ok(())
                } else {
                    Err(Error::Mismatch {
                        name: name.clone(),
                        wrote: new.clone(),
                        read,
                    })
                }
            });
            if let Err(e) = r {
                // the failed one may have changed (a mismatch): put it back
                let _ = self.write(&name, &old);
                for c in done.iter().rev() {
                    let _ = self.write(&c.name, &c.old);
                }
                return Err(e);
            }
            done.push(Change { name, old, new });
        }
        Ok(done)
    }
}

/// Load the `ip_vs` module with `modprobe` (the settings directory
/// appears with it).
pub fn load_module() -> io::Result<()> {
    let st = std::process::Command::new("modprobe")
        .arg("ip_vs")
        .stdin(std::process::Stdio::null())
        .status()?;
    if st.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("modprobe ip_vs: {st}")))
    }
}

/// Run `f` on a new thread moved into the network namespace whose file is
/// `netns` (`/run/netns/NAME`, `/proc/PID/ns/net`): the settings it opens
/// (with [`Sysctls::open`]) are that namespace's. The calling thread does
/// not move.
pub fn in_netns<T: Send + 'static>(
    netns: &Path,
    f: impl FnOnce() -> T + Send + 'static,
) -> io::Result<T> {
    let netns = netns.to_path_buf();
    std::thread::spawn(move || {
        crate::netns::enter(&netns)?;
        Ok(f())
    })
    .join()
    .map_err(|_| io::Error::other("the namespace thread panicked"))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(files: &[(&str, &str)]) -> (tempdir::Dir, Sysctls) {
        let d = tempdir::Dir::new();
        for (n, v) in files {
            std::fs::write(d.0.join(n), v).unwrap();
        }
        let s = Sysctls::at(&d.0);
        (d, s)
    }

    mod tempdir {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Self {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "lvs-sysctl-test-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    fn content(s: &Sysctls, n: &str) -> String {
        std::fs::read_to_string(s.root().join(n)).unwrap()
    }

    #[test]
    fn lists_with_meanings_and_defaults() {
        let (_d, s) = fake(&[
            ("expire_nodest_conn", "1\n"),
            ("sync_threshold", "3\t50\n"),
            ("brand_new", "7\n"),
        ]);
        let l = s.list().unwrap();
        let names: Vec<&str> = l.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(names, ["brand_new", "expire_nodest_conn", "sync_threshold"]);
        assert!(l[0].known.is_none() && !l[0].changed());
        assert_eq!(l[1].value, "1");
        assert!(l[1].changed());
        assert_eq!(l[2].value, "3 50");
        assert!(!l[2].changed());
        assert!(matches!(
            Sysctls::at("/nonexistent/lvs").list(),
            Err(Error::NotLoaded)
        ));
    }

    #[test]
    fn sets_validated_all_or_nothing() {
        let (_d, s) = fake(&[
            ("expire_nodest_conn", "0\n"),
            ("sync_threshold", "3\t50\n"),
            ("sync_ports", "1\n"),
        ]);
        let w = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        // a bad value anywhere: nothing written
        for bad in [
            w(&[("expire_nodest_conn", "1"), ("sync_ports", "3")]),
            w(&[("expire_nodest_conn", "1"), ("sync_threshold", "50,3")]),
            w(&[("expire_nodest_conn", "1"), ("no_such_thing", "1")]),
            w(&[("expire_nodest_conn", "1"), ("est_nice", "0")]),
            w(&[("expire_nodest_conn", "2")]),
            w(&[("../x", "1")]),
        ] {
            let e = s.set(&bad).unwrap_err();
            assert!(!e.to_string().is_empty());
            assert_eq!(content(&s, "expire_nodest_conn"), "0\n", "{bad:?}");
        }
        assert!(matches!(
            s.set(&w(&[("est_nice", "0")])),
            Err(Error::Unsupported(_, "Linux 6.2"))
        ));
        assert!(matches!(
            s.set(&w(&[("nope", "0")])),
            Err(Error::Unknown(_))
        ));
        let c = s
            .set(&w(&[
                ("expire_nodest_conn", "1"),
                ("sync_threshold", "4,60"),
                ("sync_ports", "1"),
            ]))
            .unwrap();
        assert_eq!(c.len(), 2, "{c:?}");
        assert_eq!(c[0].old, "0");
        assert_eq!(content(&s, "expire_nodest_conn"), "1\n");
        assert_eq!(content(&s, "sync_threshold"), "4\t60\n");
        assert_eq!(s.get("sync_threshold").unwrap().value, "4 60");
    }

    #[test]
    fn a_directory_is_not_a_setting() {
        let (d, s) = fake(&[("expire_nodest_conn", "0\n"), ("sloppy_tcp", "0\n")]);
        std::fs::remove_file(d.0.join("sloppy_tcp")).unwrap();
        std::fs::create_dir(d.0.join("sloppy_tcp")).unwrap();
        let e = s.set(&[
            ("expire_nodest_conn".to_string(), "1".to_string()),
            ("sloppy_tcp".to_string(), "1".to_string()),
        ]);
        // a directory is not a setting
        assert!(matches!(e, Err(Error::Unsupported(..))), "{e:?}");
        assert_eq!(content(&s, "expire_nodest_conn"), "0\n");
    }

    #[test]
    fn values() {
        assert_eq!(check_value(Kind::Bool, " 1 "), Ok("1".into()));
        assert!(check_value(Kind::Bool, "2").is_err());
        assert!(check_value(Kind::Bool, "").is_err());
        assert_eq!(check_value(Kind::Int(-20, 19), "-20"), Ok("-20".into()));
        assert!(check_value(Kind::Int(-20, 19), "20").is_err());
        assert!(check_value(Kind::Int(0, 3), "0x1").is_err());
        assert!(check_value(Kind::Int(0, 3), "99999999999999999999999").is_err());
        assert_eq!(check_value(Kind::PowerOfTwo(128), "64"), Ok("64".into()));
        for bad in ["0", "3", "256", "-2"] {
            assert!(check_value(Kind::PowerOfTwo(128), bad).is_err(), "{bad}");
        }
        assert_eq!(check_value(Kind::Threshold, "3 50"), Ok("3 50".into()));
        assert_eq!(check_value(Kind::Threshold, "5,0"), Ok("5 0".into()));
        for bad in ["50 3", "-1 5", "3", "1 2 3", "a b"] {
            assert!(check_value(Kind::Threshold, bad).is_err(), "{bad}");
        }
        assert_eq!(check_value(Kind::CpuList, "0-3,8"), Ok("0-3,8".into()));
        for bad in ["", "a", "0-", ",1"] {
            assert!(check_value(Kind::CpuList, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_default_is_valid() {
        for k in KNOWN {
            if let Some(d) = k.default {
                assert_eq!(check_value(k.kind, d).as_deref(), Ok(d), "{}", k.name);
            }
        }
        let mut names: Vec<&str> = KNOWN.iter().map(|k| k.name).collect();
        names.sort();
        assert_eq!(names, KNOWN.iter().map(|k| k.name).collect::<Vec<_>>());
    }
}
