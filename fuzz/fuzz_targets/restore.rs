//! `-R` input against the stand-in kernel: every line run, no panic, and the
//! table left behind is one the stand-in's own invariants allow.
#![no_main]
use libfuzzer_sys::fuzz_target;
use lvs::kernel::StandIn;
use lvsadm::internals::{restore_from, Ctx};

fuzz_target!(|data: &[u8]| {
    let mut k = StandIn::new();
    let mut ctx = Ctx {
        kernel: &mut k,
        program: "lvsadm".into(),
    };
    let mut out = Vec::new();
    let _ = restore_from(&mut ctx, data, &mut out);
    // Every service in the table is unique by key.
    let keys: std::collections::HashSet<_> = k.table().iter().map(|(s, _)| s.key()).collect();
    assert_eq!(keys.len(), k.table().len());
});
