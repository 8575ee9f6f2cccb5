//! ipvsadm's error messages: the context-dependent errno table of libipvs's
//! `ipvs_strerror`, then the C library's `strerror` text.

use std::fmt;

/// The operation that failed; selects context-specific messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    AddService,
    EditService,
    DelService,
    ZeroService,
    AddDest,
    EditDest,
    DelDest,
    StartDaemon,
    StopDaemon,
    GetServices,
    GetDests,
    GetService,
    Other,
}

/// A failed IPVS operation: a positive errno (from the kernel, or from the
/// socket layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub struct IpvsError {
    pub errno: i32,
}

impl IpvsError {
    /// Wraps a positive errno.
    pub fn new(errno: i32) -> IpvsError {
        IpvsError { errno }
    }

    /// From an I/O error (EIO if it carries no OS error).
    pub fn from_io(e: &std::io::Error) -> IpvsError {
        IpvsError {
            errno: e.raw_os_error().unwrap_or(libc::EIO),
        }
    }

    /// ipvsadm's message for this error in the context of `op`.
    pub fn message(&self, op: Op) -> String {
        ipvs_strerror(op, self.errno)
    }
}

impl fmt::Display for IpvsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&strerror(self.errno))
    }
}

/// The C library's `strerror(errno)` text (glibc wording: the standard
/// library formats OS errors through the C library's `strerror_r`).
pub fn strerror(errno: i32) -> String {
    let text = std::io::Error::from_raw_os_error(errno).to_string();
    let suffix = format!(" (os error {errno})");
    match text.strip_suffix(&suffix) {
        Some(t) => t.to_string(),
        None => text,
    }
}

/// ipvsadm's message for `errno` after `op` failed (libipvs `ipvs_strerror`).
pub fn ipvs_strerror(op: Op, errno: i32) -> String {
    let contextual = match (op, errno) {
        (Op::AddService, libc::EEXIST) => Some("Service already exists"),
        (Op::AddService | Op::EditService, libc::ENOENT) => {
            Some("Scheduler or persistence engine not found")
        }
        (
            Op::EditService
            | Op::DelService
            | Op::ZeroService
            | Op::GetServices
            | Op::GetDests
            | Op::GetService,
            libc::ESRCH,
        ) => Some("No such service"),
        (Op::AddDest | Op::EditDest | Op::DelDest, libc::ESRCH) => Some("Service not defined"),
        (Op::AddDest, libc::EEXIST) => Some("Destination already exists"),
        (Op::EditDest | Op::DelDest, libc::ENOENT) => Some("No such destination"),
        (Op::StartDaemon, libc::EEXIST) => Some("Daemon has already run"),
        (Op::StopDaemon, libc::ESRCH) => Some("No daemon is running"),
        _ => None,
    };
    if let Some(m) = contextual {
        return m.to_string();
    }
    let generic = match errno {
        libc::EPERM => Some("Permission denied (you must be root)"),
        libc::EINVAL => {
            Some("Invalid operation.  Possibly wrong module version, address not unicast, ...")
        }
        libc::ENOPROTOOPT => Some("Protocol not available"),
        libc::ENOMEM => Some("Memory allocation problem"),
        libc::EOPNOTSUPP => Some("Operation not supported with IPv6"),
        libc::EAFNOSUPPORT => Some("Operation not supported with specified address family"),
        libc::EMSGSIZE => Some("Module is wrong version"),
        _ => None,
    };
    match generic {
        Some(m) => m.to_string(),
        None => strerror(errno),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contextual_messages() {
        assert_eq!(
            ipvs_strerror(Op::AddService, libc::EEXIST),
            "Service already exists"
        );
        assert_eq!(
            ipvs_strerror(Op::AddService, libc::ENOENT),
            "Scheduler or persistence engine not found"
        );
        assert_eq!(
            ipvs_strerror(Op::EditService, libc::ENOENT),
            "Scheduler or persistence engine not found"
        );
        for op in [
            Op::EditService,
            Op::DelService,
            Op::ZeroService,
            Op::GetServices,
            Op::GetDests,
            Op::GetService,
        ] {
            assert_eq!(ipvs_strerror(op, libc::ESRCH), "No such service");
        }
        for op in [Op::AddDest, Op::EditDest, Op::DelDest] {
            assert_eq!(ipvs_strerror(op, libc::ESRCH), "Service not defined");
        }
        assert_eq!(
            ipvs_strerror(Op::AddDest, libc::EEXIST),
            "Destination already exists"
        );
        assert_eq!(
            ipvs_strerror(Op::EditDest, libc::ENOENT),
            "No such destination"
        );
        assert_eq!(
            ipvs_strerror(Op::DelDest, libc::ENOENT),
            "No such destination"
        );
        assert_eq!(
            ipvs_strerror(Op::StartDaemon, libc::EEXIST),
            "Daemon has already run"
        );
        assert_eq!(
            ipvs_strerror(Op::StopDaemon, libc::ESRCH),
            "No daemon is running"
        );
    }

    #[test]
    fn context_does_not_leak() {
        // EEXIST outside -A/-a/--start-daemon is plain strerror.
        assert_eq!(ipvs_strerror(Op::EditService, libc::EEXIST), "File exists");
        // ENOENT on -D is not a scheduler problem.
        assert_eq!(
            ipvs_strerror(Op::DelService, libc::ENOENT),
            "No such file or directory"
        );
        assert_eq!(
            ipvs_strerror(Op::StartDaemon, libc::ESRCH),
            "No such process"
        );
        assert_eq!(ipvs_strerror(Op::Other, libc::ESRCH), "No such process");
        assert_eq!(
            ipvs_strerror(Op::AddDest, libc::ENOENT),
            "No such file or directory"
        );
    }

    #[test]
    fn generic_messages() {
        for op in [Op::AddService, Op::Other, Op::StopDaemon] {
            assert_eq!(
                ipvs_strerror(op, libc::EPERM),
                "Permission denied (you must be root)"
            );
            assert_eq!(
                ipvs_strerror(op, libc::EINVAL),
                "Invalid operation.  Possibly wrong module version, address not unicast, ..."
            );
            assert_eq!(
                ipvs_strerror(op, libc::ENOPROTOOPT),
                "Protocol not available"
            );
            assert_eq!(ipvs_strerror(op, libc::ENOMEM), "Memory allocation problem");
            assert_eq!(
                ipvs_strerror(op, libc::EOPNOTSUPP),
                "Operation not supported with IPv6"
            );
            assert_eq!(
                ipvs_strerror(op, libc::EAFNOSUPPORT),
                "Operation not supported with specified address family"
            );
            assert_eq!(ipvs_strerror(op, libc::EMSGSIZE), "Module is wrong version");
        }
    }

    #[test]
    fn libc_fallback_is_glibc_text() {
        assert_eq!(
            ipvs_strerror(Op::AddDest, libc::ERANGE),
            "Numerical result out of range"
        );
        assert_eq!(
            ipvs_strerror(Op::StartDaemon, libc::ENODEV),
            "No such device"
        );
        assert_eq!(strerror(libc::ENOBUFS), "No buffer space available");
        assert_eq!(strerror(9999), "Unknown error 9999");
    }

    #[test]
    fn display_is_strerror() {
        assert_eq!(IpvsError::new(libc::ENODEV).to_string(), "No such device");
        assert_eq!(
            IpvsError::new(libc::EEXIST).message(Op::AddService),
            "Service already exists"
        );
    }
}
