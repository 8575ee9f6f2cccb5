//! `lvsadm --supervise FILE`: keep the table equal to a rule file, minus
//! the real servers whose health checks fail.
//!
//! * [`spec`]: the health options of rule files (`--health`, `--rise`, ...),
//!   taken off each line before the ipvsadm parser sees it.

pub mod spec;
