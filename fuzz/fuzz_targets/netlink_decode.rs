//! The netlink reply decoder on arbitrary bytes: every message and every
//! attribute decoder, on every nest found. Values or errors, never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lvs::model::Family;
use lvs::netlink::decode::*;
use lvs::netlink::parse_family_id;

fn exercise_attrs(a: &[u8]) {
    let _ = parse_service_msg(a);
    let _ = parse_dest_msg(a, Family::Inet);
    let _ = parse_dest_msg(a, Family::Inet6);
    let _ = parse_daemon_msg(a);
    let _ = parse_info(a);
    let _ = parse_config(a);
    let _ = parse_family_id(a);
    for (_, p) in attrs(a).flatten() {
        let _ = parse_service(p);
        let _ = parse_dest(p, Family::Inet6);
        let _ = parse_daemon(p);
        let _ = parse_stats(p);
    }
}

fuzz_target!(|data: &[u8]| {
    let _ = parse_messages(data);
    for m in messages(data) {
        if let Ok(Reply::Message { attrs: a, .. }) = m {
            exercise_attrs(a);
        }
    }
    // The bytes as a bare attribute area too (the decoders' own input).
    exercise_attrs(data);
});
