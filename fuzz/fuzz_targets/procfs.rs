//! The `/proc/net/ip_vs` parser on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let t = lvs::procfs::parse(&text);
    let _ = t.len();
});
