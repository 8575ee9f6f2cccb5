#![deny(missing_docs)]
#![deny(unsafe_code)]
//! `--netns NAME`: run the command inside a network namespace, as
//! `ip netns exec NAME` would, without the extra process.
//!
//! NAME is a name under `/run/netns` (what `ip netns add` creates) or, when
//! it contains a `/`, the path of any namespace file (`/proc/PID/ns/net`).
//! The switch happens before the IPVS socket is opened, so the socket, the
//! netlink family lookup and `/proc/net/ip_vs_conn` all belong to that
//! namespace. This moves the whole (single-threaded) process, because the
//! command line also reads `/proc/net/ip_vs*` of that namespace. A library
//! user opens a handle in a namespace without moving any thread with
//! [`crate::netlink::Ipvs::open_in_netns`].

use nix::sched::{setns, CloneFlags};
use std::fs::File;
use std::path::PathBuf;

/// Where `ip netns` keeps named namespaces.
pub const NETNS_RUN_DIR: &str = "/run/netns";

/// The namespace file for NAME.
pub fn path_of(name: &str) -> PathBuf {
    if name.contains('/') {
        PathBuf::from(name)
    } else {
        PathBuf::from(NETNS_RUN_DIR).join(name)
    }
}

/// The namespace file of the `ip netns` name `name`, or `None` if `name`
/// cannot be such a name (empty, `.`, `..`, or containing a `/`). The
/// library's way, see [`crate::netlink::Ipvs::open_in_named_netns`]; the
/// command line's `--netns` takes paths too (see [`path_of`]).
pub fn named_path(name: &str) -> Option<PathBuf> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') {
        None
    } else {
        Some(PathBuf::from(NETNS_RUN_DIR).join(name))
    }
}

/// Move the calling thread (the whole process: call it before any other
/// thread exists) into the network namespace whose file is `path`.
pub fn enter(path: &std::path::Path) -> std::io::Result<()> {
    let file = File::open(path)?;
    setns(&file, CloneFlags::CLONE_NEWNET).map_err(std::io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!(path_of("blue"), PathBuf::from("/run/netns/blue"));
        assert_eq!(path_of("/proc/1/ns/net"), PathBuf::from("/proc/1/ns/net"));
        assert!(enter(std::path::Path::new("/nonexistent/lvsadm-test")).is_err());
    }

    #[test]
    fn library_names() {
        assert_eq!(named_path("blue"), Some(PathBuf::from("/run/netns/blue")));
        assert_eq!(
            named_path("a.b-c_1"),
            Some(PathBuf::from("/run/netns/a.b-c_1"))
        );
        for bad in ["", ".", "..", "a/b", "/proc/1/ns/net", "../etc"] {
            assert_eq!(named_path(bad), None, "{bad:?}");
        }
    }
}
