//! Generic netlink control through neli: the same bytes as libnl sends,
//! and the family id read back from answers shaped like the kernel's.

use super::*;
use crate::netlink::ctrl;

#[test]
fn neli_request_is_libnls() {
    // Appended after what the buffer held.
    let mut neli = vec![1, 2, 3, 4];
    ctrl::encode_get_family("nlctrl", 0xdead_beef, 77, &mut neli).unwrap();
    assert_eq!(&neli[..4], &[1, 2, 3, 4]);
    assert_eq!(neli.len(), 4 + 16 + 4 + 12);
    // The capture of libnl's request: header, genl header (command 3,
    // version 1), CTRL_ATTR_FAMILY_NAME "IPVS" with its NUL, padded.
    let mut out = Vec::new();
    ctrl::encode_get_family("IPVS", 1, 0, &mut out).unwrap();
    let mut want = header(32, GENL_ID_CTRL, 0x005, 1, 0);
    want.extend_from_slice(&hex("03 01 00 00 09 00 02 00 49 50 56 53 00 00 00 00"));
    assert_eq!(out, want);
}

#[test]
fn neli_reads_the_family_id() {
    // Name, id, then a nest of operations, as the controller answers.
    let mut out = Vec::new();
    let mut w = AttrWriter { out: &mut out };
    w.string(CTRL_ATTR_FAMILY_NAME, "IPVS").unwrap();
    w.put(CTRL_ATTR_FAMILY_ID, &0x23u16.to_ne_bytes()).unwrap();
    w.put(3, &1u32.to_ne_bytes()).unwrap();
    let ops = w.begin_nest(6);
    w.put(1, &[0; 8]).unwrap();
    w.end_nest(ops).unwrap();
    assert_eq!(ctrl::parse_family_id(&out), Ok(0x23));
    // Missing id, damaged attributes.
    let mut out = Vec::new();
    AttrWriter { out: &mut out }
        .string(CTRL_ATTR_FAMILY_NAME, "IPVS")
        .unwrap();
    assert_eq!(
        ctrl::parse_family_id(&out),
        Err(DecodeError::Missing("FAMILY_ID"))
    );
    assert!(ctrl::parse_family_id(&[8, 0, 1]).is_err());
    assert!(ctrl::parse_family_id(&[0xff, 0xff, 1, 0, 0, 0, 0, 0]).is_err());
}
