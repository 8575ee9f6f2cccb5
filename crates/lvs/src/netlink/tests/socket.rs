//! The handle's machinery against the host kernel: family lookup, and
//! pipelining against the always-present controller family.

use crate::netlink::codec::{self, Request};
use crate::netlink::handle::{window_for, Fail, Ipvs};
use crate::netlink::{batch, sys};
use nix::sys::socket::{getsockopt, setsockopt, sockopt};

/// Shrinks the socket's receive buffer (SO_RCVBUFFORCE as root, else the
/// capped SO_RCVBUF).
fn set_rcvbuf(ipvs: &Ipvs, size: usize) {
    let fd = sys::fd_of(&ipvs.sock);
    assert!(
        setsockopt(&fd, sockopt::RcvBufForce, &size).is_ok()
            || setsockopt(&fd, sockopt::RcvBuf, &size).is_ok()
    );
}

/// Runs against the host kernel: either IPVS is there (and GET_INFO
/// answers), or `open` reports what ipvsadm reports (ENOPROTOOPT as root
/// without IPVS, EPERM without privileges).
#[test]
fn open_reports_ipvsadm_errno() {
    match Ipvs::open() {
        Ok(ipvs) => assert!(ipvs.info().version > 0),
        Err(e) => assert!(
            e.errno() == libc::ENOPROTOOPT || e.errno() == libc::EPERM,
            "unexpected errno {}",
            e.errno()
        ),
    }
}

/// The family lookup itself works on any kernel: "nlctrl" always exists.
#[test]
fn resolves_a_family_that_exists() {
    let mut ipvs = Ipvs::connect().unwrap();
    assert_eq!(ipvs.family_id("nlctrl"), Ok(codec::GENL_ID_CTRL));
    // And a missing one is an error, not a hang.
    assert_eq!(
        ipvs.family_id("NO-SUCH-FAMILY"),
        Err(Fail::Kernel(libc::ENOENT))
    );
    // The socket stays in step.
    assert_eq!(ipvs.family_id("nlctrl"), Ok(codec::GENL_ID_CTRL));
}

/// The pipelining machinery against the always-present controller
/// family: IPVS command numbers the controller does not implement are
/// each answered by an error ACK, and every answer must land on its own
/// request, in order, across many send batches.
#[test]
fn batch_results_match_requests() {
    let mut ipvs = Ipvs::connect().unwrap();
    ipvs.family = codec::GENL_ID_CTRL;
    let reqs: Vec<Request> = (0..5000)
        .map(|i| {
            if i % 2 == 0 {
                Request::Flush
            } else {
                Request::NewService(crate::model::Service::new(crate::model::Family::Inet))
            }
        })
        .collect();
    let res = ipvs.execute_batch(&reqs);
    assert_eq!(res.len(), reqs.len());
    for r in &res {
        let e = r.as_ref().unwrap_err();
        assert_eq!(e.errno(), libc::EOPNOTSUPP, "{e:?}");
    }
    // The socket is still in step: a lookup right after works.
    let seq = ipvs.next_seq();
    ipvs.wbuf.clear();
    super::super::ctrl::encode_get_family("nlctrl", seq, ipvs.pid, &mut ipvs.wbuf).unwrap();
    ipvs.send_wbuf().unwrap();
    ipvs.wait_for(seq, |_, _| Ok(())).unwrap();
}

/// Forced overrun: a tiny receive buffer and a window far too large.
/// Lost ACKs must surface as ENOBUFS on exactly the requests concerned,
/// never hang, never shift other results; the window shrinks.
#[test]
fn overrun_is_reported_not_misattributed() {
    let mut ipvs = Ipvs::connect().unwrap();
    ipvs.family = codec::GENL_ID_CTRL;
    set_rcvbuf(&ipvs, 4096);
    ipvs.window = batch::MAX_BATCH;
    let reqs = vec![Request::Flush; 3000];
    let res = ipvs.execute_batch(&reqs);
    assert_eq!(res.len(), reqs.len());
    let lost = res
        .iter()
        .filter(|r| r.as_ref().unwrap_err().errno() == libc::ENOBUFS)
        .count();
    let answered = res
        .iter()
        .filter(|r| r.as_ref().unwrap_err().errno() == libc::EOPNOTSUPP)
        .count();
    assert_eq!(lost + answered, reqs.len());
    assert!(lost > 0, "expected an overrun with a 4 KiB buffer");
    assert!(ipvs.window < batch::MAX_BATCH);
}

/// With the window derived from the actual receive buffer, a modest
/// buffer loses nothing.
#[test]
fn computed_window_avoids_overrun() {
    let mut ipvs = Ipvs::connect().unwrap();
    ipvs.family = codec::GENL_ID_CTRL;
    set_rcvbuf(&ipvs, 32768);
    let rcvbuf = getsockopt(&sys::fd_of(&ipvs.sock), sockopt::RcvBuf).unwrap();
    ipvs.window = window_for(rcvbuf);
    let reqs = vec![Request::Zero(None); 3000];
    let res = ipvs.execute_batch(&reqs);
    assert!(res
        .iter()
        .all(|r| r.as_ref().unwrap_err().errno() == libc::EOPNOTSUPP));
}

/// A request the encoder refuses, in the middle of a batch: it gets its
/// own encode error (with its operation), is not sent, and the requests
/// around it keep their own answers.
#[test]
fn batch_keeps_encode_errors_in_place() {
    use crate::model::{Family, Service};
    use crate::netlink::{EncodeError, Error, Op};
    let mut ipvs = Ipvs::connect().unwrap();
    ipvs.family = codec::GENL_ID_CTRL;
    let mut bad = Service::new(Family::Inet);
    bad.sched_name = "s".repeat(70_000);
    let mut reqs = vec![Request::Flush; 5];
    reqs.insert(2, Request::NewService(bad.clone()));
    reqs.push(Request::SetService(bad));
    let res = ipvs.execute_batch(&reqs);
    assert_eq!(res.len(), reqs.len());
    for (i, r) in res.iter().enumerate() {
        match (i, r) {
            (2 | 6, Err(Error::Encode { op, source })) => {
                assert_eq!(
                    *op,
                    if i == 2 {
                        Op::AddService
                    } else {
                        Op::EditService
                    }
                );
                assert!(matches!(
                    source,
                    EncodeError::NameTooLong { len: 70_000, .. }
                ));
                assert_eq!(r.as_ref().unwrap_err().errno(), libc::EINVAL);
            }
            (0 | 1 | 3 | 4 | 5, Err(Error::Kernel { op, errno })) => {
                assert_eq!((*op, *errno), (Op::Other, libc::EOPNOTSUPP));
            }
            _ => panic!("request {i}: {r:?}"),
        }
    }
    // The socket is still in step.
    assert_eq!(ipvs.family_id("nlctrl"), Ok(codec::GENL_ID_CTRL));
}
