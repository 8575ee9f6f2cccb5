//! What every part of the program that acts on the kernel shares: the
//! context of a run ([`Ctx`]: the kernel handle and the program name),
//! how a command ends early ([`Exit`]) and ipvsadm's words for a refused
//! request. A leaf: it imports no other module of `app`, so that the run
//! loop ([`super::run`]), the listings, restore and the rule files all
//! depend on it and not on each other for it.

use lvs::kernel::Kernel;
use lvs::netlink::{ipvs_strerror, Op};

/// The `--netns` the process entered, for messages that name a command to
/// run on the same table.
pub static NETNS: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// How a command ends when it does not simply return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exit(pub i32);

/// Everything a run needs: the kernel handle and the program name.
pub struct Ctx<'k> {
    /// The IPVS table commands act on.
    pub kernel: &'k mut dyn Kernel,
    /// `argv[0]` as invoked, used in messages.
    pub program: String,
}

/// Print ipvsadm's message for a failed kernel operation.
pub fn print_kernel_error(op: Op, errno: i32) {
    eprintln!("{}", ipvs_strerror(op, errno));
}
