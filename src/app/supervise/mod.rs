//! `lvsadm --supervise FILE`: keep the table equal to a rule file, minus
//! the real servers whose health checks fail.
//!
//! * the health options of rule files (`--health`, `--rise`, ...) are
//!   parsed with the rule files, in `crate::apply::health`.
//! * [`check`]: the checks, futures on a current-thread tokio runtime that
//!   exists only in a supervising process; [`engine`]: the supervisor's
//!   tcp and http checks, sockets in an epoll set without a task each,
//!   run on a thread of their own by [`workers`]; [`agent`]: HAProxy's
//!   agent protocol.
//! * [`state`]: each real server's state machine (rise, fall, slow start,
//!   agent, maintenance) and the table it makes, pure.
//! * [`core`]: the supervisor without its runtime (configuration, states,
//!   due checks, reconciliation through the atomic apply); [`run`]: the
//!   process (`--supervise FILE`), its runtime, signals, published state
//!   and metrics; [`status`]: `lvsadm -L --health-status`, what it
//!   publishes as a listing;
//!   [`announce`]: `--announce`, the virtual addresses it
//!   can serve held on a device for a routing daemon to announce.

pub mod agent;
pub mod announce;
pub mod check;
pub mod core;
pub mod engine;
pub mod run;
pub mod state;
pub mod status;
pub mod workers;
