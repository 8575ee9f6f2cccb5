//! The `ip_vs_conn` parser on arbitrary bytes: the listing writer and the
//! structured reader agree on success, and neither panics.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lvsadm::internals::{read_connections, write_connections, Names};
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("/proc/net/ip_vs_conn");
    let read = read_connections(data, path);
    let mut out = Vec::new();
    let written = write_connections(&mut out, data, path, Names::Numeric, false);
    assert_eq!(read.is_ok(), written.is_ok(), "reader and writer disagree");
    let mut out = Vec::new();
    let _ = write_connections(&mut out, data, path, Names::Numeric, true);
});
