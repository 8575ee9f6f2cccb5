//! ipvsadm's error messages: the context-dependent errno table of libipvs's
//! `ipvs_strerror`, then the C library's `strerror` text.

use super::decode::DecodeError;
use super::encode::EncodeError;

/// The operation that failed; selects ipvsadm's context-specific messages
/// (see [`ipvs_strerror`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Op {
    /// `-A`: add a service.
    AddService,
    /// `-E`: edit a service.
    EditService,
    /// `-D`: delete a service.
    DelService,
    /// `-Z` of one service.
    ZeroService,
    /// `-a`: add a destination.
    AddDest,
    /// `-e`: edit a destination.
    EditDest,
    /// `-d`: delete a destination.
    DelDest,
    /// `--start-daemon`.
    StartDaemon,
    /// `--stop-daemon`.
    StopDaemon,
    /// Listing all services.
    GetServices,
    /// Listing the destinations of a service.
    GetDests,
    /// Looking up one service.
    GetService,
    /// Anything else (flush, zero all, timeouts, info, opening).
    Other,
}

/// An error of the IPVS handle: what failed, and the errno ipvsadm bases
/// its message on ([`Error::errno`]; [`Error::message`] gives that
/// message).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The kernel refused the operation (an `NLMSG_ERROR` answer, or a
    /// dump ending with an error status). Displayed in ipvsadm's wording.
    #[error("{}", ipvs_strerror(*op, *errno))]
    Kernel {
        /// The operation refused.
        op: Op,
        /// The kernel's errno, positive.
        errno: i32,
    },
    /// The socket failed, or the kernel's answer is missing: ENOBUFS when
    /// answers were dropped (outcome unknown), EINTR when no answer came
    /// within the receive timeout, EMSGSIZE for a truncated datagram.
    #[error("{op:?}: {source}")]
    Io {
        /// The operation under way.
        op: Op,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The kernel's answer could not be decoded.
    #[error("{op:?}: malformed answer: {source}")]
    Decode {
        /// The operation under way.
        op: Op,
        /// What was wrong.
        #[source]
        source: DecodeError,
    },
    /// The request was refused before it was sent: the wire or the kernel
    /// cannot carry it. Nothing reached the kernel.
    #[error("{op:?}: {source}")]
    Encode {
        /// The operation refused.
        op: Op,
        /// What was wrong.
        #[source]
        source: EncodeError,
    },
    /// The kernel's IPVS cannot be reached (no `IPVS` generic netlink
    /// family, or the netlink socket cannot be set up). `errno` is what
    /// ipvsadm reports in that case: ENOPROTOOPT as root without IPVS, EPERM
    /// without privileges.
    #[error("{}", strerror(*errno))]
    Unavailable {
        /// ipvsadm's errno for the failure.
        errno: i32,
    },
    /// A network namespace could not be opened or entered.
    #[error("network namespace {}: {source}", path.display())]
    Namespace {
        /// The namespace file.
        path: std::path::PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// A kernel refusal of `op` with `errno`.
    pub fn kernel(op: Op, errno: i32) -> Error {
        Error::Kernel { op, errno }
    }

    /// An I/O failure of `op` with a raw OS errno.
    pub fn os(op: Op, errno: i32) -> Error {
        Error::Io {
            op,
            source: std::io::Error::from_raw_os_error(errno),
        }
    }

    /// The errno ipvsadm would base its message on: the kernel's for a
    /// refusal, the OS error for I/O (EIO if there is none), EBADMSG for an
    /// undecodable answer, EINVAL for a request the encoder refused (what
    /// the kernel's attribute policy answers to an over-long name).
    pub fn errno(&self) -> i32 {
        match self {
            Error::Kernel { errno, .. } | Error::Unavailable { errno } => *errno,
            Error::Io { source, .. } | Error::Namespace { source, .. } => {
                source.raw_os_error().unwrap_or(libc::EIO)
            }
            Error::Decode { .. } => libc::EBADMSG,
            Error::Encode { .. } => libc::EINVAL,
        }
    }

    /// The operation that failed ([`Op::Other`] for opening the handle).
    pub fn op(&self) -> Op {
        match self {
            Error::Kernel { op, .. }
            | Error::Io { op, .. }
            | Error::Decode { op, .. }
            | Error::Encode { op, .. } => *op,
            Error::Unavailable { .. } | Error::Namespace { .. } => Op::Other,
        }
    }

    /// ipvsadm's message for this error in the context of `op` (the
    /// command line picks `op` itself, as ipvsadm does).
    pub fn message(&self, op: Op) -> String {
        ipvs_strerror(op, self.errno())
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

    /// Checks each (operation, errno, message) of a table.
    fn check(cases: &[(Op, i32, &str)]) {
        for &(op, errno, want) in cases {
            assert_eq!(ipvs_strerror(op, errno), want, "{op:?}, errno {errno}");
        }
    }

    #[test]
    fn contextual_messages() {
        use libc::{EEXIST, ENOENT, ESRCH};
        check(&[
            (Op::AddService, EEXIST, "Service already exists"),
            (
                Op::AddService,
                ENOENT,
                "Scheduler or persistence engine not found",
            ),
            (
                Op::EditService,
                ENOENT,
                "Scheduler or persistence engine not found",
            ),
            (Op::AddDest, EEXIST, "Destination already exists"),
            (Op::EditDest, ENOENT, "No such destination"),
            (Op::DelDest, ENOENT, "No such destination"),
            (Op::StartDaemon, EEXIST, "Daemon has already run"),
            (Op::StopDaemon, ESRCH, "No daemon is running"),
        ]);
        for op in [
            Op::EditService,
            Op::DelService,
            Op::ZeroService,
            Op::GetServices,
            Op::GetDests,
            Op::GetService,
        ] {
            check(&[(op, ESRCH, "No such service")]);
        }
        for op in [Op::AddDest, Op::EditDest, Op::DelDest] {
            check(&[(op, ESRCH, "Service not defined")]);
        }
    }

    #[test]
    fn context_does_not_leak() {
        // EEXIST outside -A/-a/--start-daemon is plain strerror; ENOENT on
        // -D is not a scheduler problem.
        use libc::{EEXIST, ENOENT, ESRCH};
        check(&[
            (Op::EditService, EEXIST, "File exists"),
            (Op::DelService, ENOENT, "No such file or directory"),
            (Op::StartDaemon, ESRCH, "No such process"),
            (Op::Other, ESRCH, "No such process"),
            (Op::AddDest, ENOENT, "No such file or directory"),
        ]);
    }

    #[test]
    fn generic_messages() {
        for op in [Op::AddService, Op::Other, Op::StopDaemon] {
            check(&[
                (op, libc::EPERM, "Permission denied (you must be root)"),
                (
                    op,
                    libc::EINVAL,
                    "Invalid operation.  Possibly wrong module version, address not unicast, ...",
                ),
                (op, libc::ENOPROTOOPT, "Protocol not available"),
                (op, libc::ENOMEM, "Memory allocation problem"),
                (op, libc::EOPNOTSUPP, "Operation not supported with IPv6"),
                (
                    op,
                    libc::EAFNOSUPPORT,
                    "Operation not supported with specified address family",
                ),
                (op, libc::EMSGSIZE, "Module is wrong version"),
            ]);
        }
    }

    #[test]
    fn libc_fallback_is_glibc_text() {
        check(&[
            (Op::AddDest, libc::ERANGE, "Numerical result out of range"),
            (Op::StartDaemon, libc::ENODEV, "No such device"),
        ]);
        assert_eq!(strerror(libc::ENOBUFS), "No buffer space available");
        assert_eq!(strerror(9999), "Unknown error 9999");
    }

    #[test]
    fn display_and_errno() {
        let e = Error::kernel(Op::AddService, libc::EEXIST);
        assert_eq!(e.to_string(), "Service already exists");
        assert_eq!(e.errno(), libc::EEXIST);
        assert_eq!(e.message(Op::Other), "File exists");
        assert_eq!(
            Error::Unavailable {
                errno: libc::ENODEV
            }
            .to_string(),
            "No such device"
        );
        assert_eq!(Error::os(Op::Other, libc::ENOBUFS).errno(), libc::ENOBUFS);
        let d = Error::Decode {
            op: Op::GetServices,
            source: DecodeError::BadAttribute,
        };
        assert_eq!(d.errno(), libc::EBADMSG);
        assert_eq!(d.op(), Op::GetServices);
        let e = Error::Encode {
            op: Op::AddService,
            source: EncodeError::NameTooLong {
                what: "scheduler name",
                len: 20,
                max: 15,
            },
        };
        assert_eq!(e.errno(), libc::EINVAL);
        assert!(e.to_string().contains("scheduler name is 20 bytes long"));
    }
}
