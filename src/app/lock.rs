//! One writer at a time: `--apply`, `-R` and `ipvsadm-restore` hold an
//! advisory lock (`flock`) on a file named after the network namespace
//! they change, so that two runs on the same table serialise instead of
//! interleaving their requests. Single commands take no lock (as ipvsadm).
//!
//! The file is `/run/lvsadm/lock.<dev>.<ino>`, the device and inode of
//! `/proc/self/ns/net` (the namespace's identity, whatever its name). The
//! holder writes its pid into it, so that a waiting run can name it. When
//! the directory cannot be created or the file opened (no /run, read-only,
//! no permission), the run goes on without a lock.

use nix::errno::Errno;
use nix::fcntl::{Flock, FlockArg};
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the lock files live.
pub const LOCK_DIR: &str = "/run/lvsadm";

/// Default of `--wait`, in seconds.
pub const DEFAULT_WAIT: u64 = 60;

/// Exit status of a run that gave up waiting for the lock.
pub const TIMED_OUT: i32 = 4;

/// A held lock; released when dropped (or when the process ends).
#[derive(Debug)]
pub struct WriterLock {
    _file: Flock<File>,
}

/// Parse `--wait SECS` (a whole number of seconds, 0 = do not wait).
pub fn parse_wait(v: &str) -> Result<u64, String> {
    v.parse::<u64>()
        .ok()
        .filter(|n| *n <= 86_400)
        .ok_or_else(|| format!("invalid --wait {v}: a number of seconds from 0 to 86400"))
}

/// The lock file of the current network namespace, under `dir`.
pub fn lock_path(dir: &Path) -> std::io::Result<PathBuf> {
    let m = std::fs::metadata("/proc/self/ns/net")?;
    Ok(dir.join(format!("lock.{}.{}", m.dev(), m.ino())))
}

/// The pid written in the lock file by its holder, if any.
fn holder(f: &mut File) -> Option<u32> {
    let mut s = String::new();
    f.rewind().ok()?;
    f.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

/// Take the lock of the current namespace in [`LOCK_DIR`]; see [`acquire_in`].
pub fn acquire(program: &str, wait: u64, verbose: bool) -> Result<Option<WriterLock>, String> {
    acquire_in(Path::new(LOCK_DIR), program, wait, verbose)
}

/// Take the lock, waiting up to `wait` seconds for its holder. Silent when
/// the lock is free; while waiting, says on stderr which file and which
/// pid it waits for. `Ok(None)`: no lock could be set up (the run goes
/// on; a warning with `verbose`). `Err`: the wait ran out (the message).
pub fn acquire_in(
    dir: &Path,
    program: &str,
    wait: u64,
    verbose: bool,
) -> Result<Option<WriterLock>, String> {
    let unlocked = |why: String| {
        if verbose {
            eprintln!("{program}: warning: going on without the writer lock: {why}");
        }
        Ok(None)
    };
    let path = match lock_path(dir) {
        Ok(p) => p,
        Err(e) => return unlocked(format!("/proc/self/ns/net: {e}")),
    };
    if let Err(e) = std::fs::create_dir_all(dir) {
        return unlocked(format!("{}: {e}", dir.display()));
    }
    let file = match OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) => return unlocked(format!("{}: {e}", path.display())),
    };
    let deadline = Instant::now() + Duration::from_secs(wait);
    let mut file = file;
    let mut said = false;
    let mut pid = None;
    loop {
        match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
            Ok(mut held) => {
                let me = std::process::id();
                let _ = held.set_len(0);
                let _ = held.rewind();
                let _ = writeln!(held, "{me}");
                let _ = held.flush();
                if said {
                    eprintln!("{program}: got the lock {}", path.display());
                }
                return Ok(Some(WriterLock { _file: held }));
            }
            Err((f, Errno::EWOULDBLOCK)) => {
                file = f;
                let now_holder = holder(&mut file);
                let by = |p: Option<u32>| match p {
                    Some(p) => format!(" (held by pid {p})"),
                    None => String::new(),
                };
                if !said || now_holder != pid {
                    pid = now_holder;
                    eprintln!(
                        "{program}: waiting for the lock {}{}: another lvsadm --apply or -R \
                         is changing this network namespace's table (up to {wait}s, --wait)",
                        path.display(),
                        by(pid)
                    );
                    said = true;
                }
                if Instant::now() >= deadline {
                    return Err(format!(
                        "gave up after {wait}s waiting for the lock {}{}; nothing was changed",
                        path.display(),
                        by(pid)
                    ));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err((_, e)) => return unlocked(format!("{}: flock: {e}", path.display())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_writer_waits_then_gives_up() {
        let dir = std::env::temp_dir().join(format!("lvsadm-lock-{}", std::process::id()));
        let first = acquire_in(&dir, "lvsadm", 0, false).unwrap();
        assert!(first.is_some());
        let path = lock_path(&dir).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
        // flock locks belong to the open file: a second open conflicts
        let t = Instant::now();
        let e = acquire_in(&dir, "lvsadm", 1, false).unwrap_err();
        assert!(t.elapsed() >= Duration::from_secs(1));
        assert!(
            e.contains(&format!("(held by pid {})", std::process::id())),
            "{e}"
        );
        assert!(
            e.starts_with("gave up after 1s waiting for the lock "),
            "{e}"
        );
        drop(first);
        // released: the control, taken at once
        let again = acquire_in(&dir, "lvsadm", 0, false).unwrap();
        assert!(again.is_some());
        drop(again);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn no_lock_directory_means_no_lock() {
        let r = acquire_in(Path::new("/proc/lvsadm-no-such-dir"), "lvsadm", 0, false);
        assert!(matches!(r, Ok(None)));
    }

    #[test]
    fn wait_values() {
        assert_eq!(parse_wait("0"), Ok(0));
        assert_eq!(parse_wait("60"), Ok(60));
        assert!(parse_wait("-1").is_err());
        assert!(parse_wait("1s").is_err());
    }
}
