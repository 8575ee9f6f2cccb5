//! ipvsadm's listing order.
//!
//! ipvsadm sorts with `qsort()` and comparators that subtract unsigned
//! 32-bit values and return the difference as an `int`. The subtraction wraps,
//! so the "order" is not transitive and the printed result depends on the
//! exact algorithm. glibc 2.36 implements `qsort` as a stable top-down merge
//! sort (`msort`); for elements bigger than 32 bytes it sorts an array of
//! pointers instead and permutes afterwards, which yields the very same order
//! as merging the elements directly. This module reproduces that merge sort
//! and the two comparators.

use super::addr::RawAddr;
use lvs::model::{Dest, Family, Service};

/// Stable top-down merge sort with glibc 2.36 msort's exact split
/// (`n1 = n / 2`, `n2 = n - n1`); the merge takes the left element when
/// `cmp(left, right) <= 0`. With a non-transitive comparator this yields the
/// same order as ipvsadm's `qsort`.
pub fn glibc_msort<T: Clone>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> i32) {
    if v.len() <= 1 {
        return;
    }
    let mut tmp: Vec<T> = Vec::with_capacity(v.len());
    msort_rec(v, &mut tmp, &mut cmp);
}

fn msort_rec<T: Clone>(v: &mut [T], tmp: &mut Vec<T>, cmp: &mut impl FnMut(&T, &T) -> i32) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    {
        let (left, right) = v.split_at_mut(n1);
        msort_rec(left, tmp, cmp);
        msort_rec(right, tmp, cmp);
    }
    // Merge v[..n1] and v[n1..] into tmp, then copy back.
    tmp.clear();
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&v[i], &v[j]) <= 0 {
            tmp.push(v[i].clone());
            i += 1;
        } else {
            tmp.push(v[j].clone());
            j += 1;
        }
    }
    // Whatever remains of the left run follows; a remainder of the right run
    // is already in place.
    tmp.extend_from_slice(&v[i..n1]);
    let merged = tmp.len();
    v[..merged].clone_from_slice(&tmp[..]);
}

/// `ntohl()` of the 32-bit word `i` of a raw address.
fn word(addr: &RawAddr, i: usize) -> u32 {
    u32::from_be_bytes([
        addr[4 * i],
        addr[4 * i + 1],
        addr[4 * i + 2],
        addr[4 * i + 3],
    ])
}

/// C's `int r = u1 - u2;` for two `u32`: wrapping subtraction reinterpreted as `int`.
fn wrap_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

/// Address comparison of libipvs: four words for IPv6 (first differing word
/// decides), the first word only otherwise. `af` is the LEFT operand's family.
fn cmp_addr(af: Family, a: &RawAddr, b: &RawAddr) -> i32 {
    if af == Family::Inet6 {
        (0..4)
            .map(|i| wrap_diff(word(a, i), word(b, i)))
            .find(|&r| r != 0)
            .unwrap_or(0)
    } else {
        wrap_diff(word(a, 0), word(b, 0))
    }
}

/// ipvsadm's `ipvs_cmp_services`: fwmark (wrapping `u32` difference), then
/// address family and protocol (plain differences of 16-bit values), then
/// the address in the LEFT service's family (wrapping), then the port.
pub fn cmp_services(a: &Service, b: &Service) -> i32 {
    let r = wrap_diff(a.fwmark, b.fwmark);
    if r != 0 {
        return r;
    }
    let r = i32::from(a.family.af()) - i32::from(b.family.af());
    if r != 0 {
        return r;
    }
    let r = i32::from(a.protocol.number()) - i32::from(b.protocol.number());
    if r != 0 {
        return r;
    }
    let r = cmp_addr(
        a.family,
        &super::addr::raw_from_ip(a.addr),
        &super::addr::raw_from_ip(b.addr),
    );
    if r != 0 {
        return r;
    }
    i32::from(a.port) - i32::from(b.port)
}

/// ipvsadm's `ipvs_cmp_dests`: the address in the LEFT dest's family
/// (wrapping word differences), then the port.
pub fn cmp_dests(a: &Dest, b: &Dest) -> i32 {
    let r = cmp_addr(
        a.family,
        &super::addr::raw_from_ip(a.addr),
        &super::addr::raw_from_ip(b.addr),
    );
    if r != 0 {
        return r;
    }
    i32::from(a.port) - i32::from(b.port)
}

/// Sort services exactly as `ipvsadm -L` does (unless `--nosort`).
pub fn sort_services(v: &mut [Service]) {
    glibc_msort(v, cmp_services);
}

/// Sort the destinations of one service exactly as `ipvsadm -L` does.
pub fn sort_dests(v: &mut [Dest]) {
    glibc_msort(v, cmp_dests);
}

/// [`sort_services`] on references: the same order, moving pointers only.
pub fn sort_service_refs(v: &mut [&Service]) {
    glibc_msort(v, |a, b| cmp_services(a, b));
}
