//! lvsadm: a byte-compatible replacement for `ipvsadm`, built on the
//! [`lvs`] library (IPVS records, codec, socket, stand-in kernel).
//!
//! This library target exists for the `lvsadm` binary (src/main.rs), the
//! fuzz targets and the property tests; its modules are private. See
//! ARCHITECTURE.md for the layers and how a command flows through them.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod app;
mod apply;
mod cli;
mod doctor;
mod drain;
mod format;
mod json;
mod stdio;

/// Runs lvsadm with the process's arguments and returns its exit status.
pub fn main_entry() -> i32 {
    app::main_entry()
}

/// NOT API: what the fuzz targets (fuzz/), the property tests
/// (tests/properties.rs) and the program's examples reach inside the
/// program. No stability, no documentation promise; a program that wants
/// IPVS uses the `lvs` crate.
#[doc(hidden)]
pub mod internals {
    pub use crate::app::{restore::restore_from, Ctx};
    pub use crate::apply::{plan, Wanted};
    /// The command line's parsers.
    pub mod cli {
        pub use crate::cli::{fast, parse, rules, words, Cmd, Outcome, Parsed};
    }
    pub use crate::format::{
        read_connections, write_connections, write_save_dest, write_save_service, Names,
    };
    /// The JSON documents of `-L -j`.
    pub mod json {
        pub use crate::json::{document, service, write};
    }
}
