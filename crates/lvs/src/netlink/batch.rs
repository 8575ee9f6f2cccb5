//! Pipelined execution ([`Ipvs::execute_batch`]): many requests per
//! `send`, answers matched to requests by sequence number, ACKs asked only
//! where they are needed, and lost answers (receive-buffer overrun)
//! attributed to exactly the requests concerned.

use super::codec::{self, Reply, Request};
use super::error::Error;
use super::handle::{Fail, Ipvs, MAX_REQUEST, RECV_BUF};

/// Conservative estimate of the receive-buffer cost (skb truesize) of one
/// ACK; used to bound the number of requests in flight.
pub(super) const ACK_COST: usize = 2048;
/// At most this many requests per `sendmsg`.
pub(super) const MAX_BATCH: usize = 1000;

/// Whether a request may go without an ACK in a pipelined batch: the
/// kernel then answers it only if it fails. Only service, destination,
/// zero, flush and timeout commands: not the sync daemon commands, which
/// can end with no answer at all (EINTR, see the handle's receive timeout),
/// so that only their own ACK tells they are done, nor GETs.
fn acks_optional(req: &Request) -> bool {
    matches!(
        req,
        Request::NewService(_)
            | Request::SetService(_)
            | Request::DelService(_)
            | Request::NewDest(..)
            | Request::SetDest(..)
            | Request::DelDest(..)
            | Request::Zero(_)
            | Request::Flush
            | Request::SetConfig(_)
    )
}

/// Sets or clears `NLM_F_ACK` in the netlink header at the start of `msg`.
fn set_ack_flag(msg: &mut [u8], ack: bool) {
    let flags = u16::from_ne_bytes([msg[6], msg[7]]);
    let flags = if ack {
        flags | codec::NLM_F_ACK
    } else {
        flags & !codec::NLM_F_ACK
    };
    msg[6..8].copy_from_slice(&flags.to_ne_bytes());
}

impl Ipvs {
    /// Many set requests, pipelined: each `send` carries up to `window`
    /// requests (bounded so that all their answers fit in the socket's
    /// receive buffer, and by the send buffer size); the kernel processes the
    /// whole buffer during `send`, then the answers are read and matched to
    /// requests by sequence number. One result per request, in order; each
    /// error names its request's operation ([`Request::op`]).
    ///
    /// Only the last request of each `send`, and requests that may end
    /// without any answer (sync daemon commands), ask for an ACK: the
    /// kernel answers the others only when they fail, and it answers in
    /// order, so once the last request's ACK is read every error of the
    /// batch has been read too, and an unanswered request succeeded. This
    /// saves the kernel building, and us reading, one ACK per request.
    ///
    /// Should the kernel still drop answers (ENOBUFS), the requests of that
    /// batch without an answer are reported as ENOBUFS (they were processed,
    /// with an unknown outcome; they are not re-sent), and the window is
    /// halved for the following batches. Dump requests are executed one by
    /// one. A request the encoder refuses ([`Error::Encode`]) is not sent;
    /// the others are.
    pub fn execute_batch(&mut self, reqs: &[Request]) -> Vec<Result<(), Error>> {
        self.execute_batch_raw(reqs)
            .into_iter()
            .zip(reqs)
            .map(|(r, req)| r.map_err(|f| f.with(req.op())))
            .collect()
    }

    /// [`Ipvs::execute_batch`] before the errors get their operation.
    pub(super) fn execute_batch_raw(&mut self, reqs: &[Request]) -> Vec<Result<(), Fail>> {
        let mut results: Vec<Result<(), Fail>> = Vec::with_capacity(reqs.len());
        let mut i = 0;
        while i < reqs.len() {
            if reqs[i].is_dump() {
                results.push(self.execute_raw(&reqs[i]));
                i += 1;
                continue;
            }
            let first_seq = self.seq.wrapping_add(1);
            self.wbuf.clear();
            // Start of the last encoded message, to give it back its ACK.
            let mut last_at = 0;
            // For each request of this send, whether it asks for an ACK;
            // `sent[k]` is the index in `results` of the k-th one sent.
            let mut acked: Vec<bool> = Vec::with_capacity(self.window.min(reqs.len() - i));
            let mut sent: Vec<usize> = Vec::with_capacity(acked.capacity());
            while i < reqs.len()
                && !reqs[i].is_dump()
                && acked.len() < self.window
                && (acked.is_empty() || self.wbuf.len() + MAX_REQUEST <= self.max_send)
            {
                let at = self.wbuf.len();
                // The sequence number is taken only for a request sent, so
                // that those of one send stay consecutive.
                let seq = self.seq.wrapping_add(1);
                match codec::encode(&reqs[i], self.family, seq, self.pid, &mut self.wbuf) {
                    Ok(()) => {
                        self.next_seq();
                        last_at = at;
                        let ack = !acks_optional(&reqs[i]);
                        if !ack {
                            set_ack_flag(&mut self.wbuf[at..], false);
                        }
                        acked.push(ack);
                        sent.push(results.len());
                        results.push(Ok(()));
                    }
                    Err(e) => results.push(Err(Fail::Encode(e))),
                }
                i += 1;
            }
            let n = acked.len();
            if n == 0 {
                continue;
            }
            set_ack_flag(&mut self.wbuf[last_at..], true);
            acked[n - 1] = true;
            let outcomes = match self.send_wbuf() {
                // Nothing of this buffer reached the kernel's handlers.
                Err(e) => vec![Err(e); n],
                Ok(()) => self.collect_acks(first_seq, &acked),
            };
            for (k, r) in sent.into_iter().zip(outcomes) {
                results[k] = r;
            }
        }
        results
    }

    /// Reads the answers to `acked.len()` requests with consecutive
    /// sequence numbers starting at `first_seq`, all already processed by
    /// the kernel; `acked[i]` tells whether request `i` asked for an ACK (the
    /// last one always did). Reading stops at the last request's answer.
    fn collect_acks(&mut self, first_seq: u32, acked: &[bool]) -> Vec<Result<(), Fail>> {
        let n = acked.len();
        let mut res: Vec<Option<Result<(), Fail>>> = vec![None; n];
        // Set when ACKs may be missing (dropped by the kernel, or unreadable
        // in a damaged datagram): from then on, only what is already queued
        // is read, so a missing ACK cannot make us wait forever.
        let mut lost: Option<i32> = None;
        while res[n - 1].is_none() {
            let flags = if lost.is_some() {
                libc::MSG_DONTWAIT
            } else {
                0
            };
            let count = match self.recv_many(flags) {
                // No ACK or error is anywhere near the offer; a truncated
                // datagram cannot be read, so the rest stays unknown.
                Ok(_) if self.trunc != 0 => {
                    for r in res.iter_mut().filter(|r| r.is_none()) {
                        *r = Some(Err(Fail::Os(libc::EMSGSIZE)));
                    }
                    break;
                }
                Ok(count) => count,
                Err(Fail::Os(libc::ENOBUFS)) => {
                    // ACKs were dropped; what is still queued is readable.
                    lost = Some(libc::ENOBUFS);
                    self.window = (self.window / 2).max(8);
                    continue;
                }
                Err(Fail::Os(libc::EAGAIN)) => {
                    // Queue drained after an overrun, or the receive timeout:
                    // the missing ACKs will not come (see the handle's
                    // receive timeout).
                    lost.get_or_insert(libc::EINTR);
                    break;
                }
                Err(e) => {
                    for r in res.iter_mut().filter(|r| r.is_none()) {
                        *r = Some(Err(e.clone()));
                    }
                    break;
                }
            };
            for slot in 0..count {
                let off = slot * RECV_BUF;
                let datagram = &self.rbuf[off..off + self.rlens[slot]];
                for m in codec::messages(datagram) {
                    let Ok(m) = m else {
                        lost.get_or_insert(libc::EBADMSG);
                        break;
                    };
                    let idx = m.seq().wrapping_sub(first_seq) as usize;
                    if idx >= n {
                        continue;
                    }
                    let outcome = match m {
                        Reply::Ack { .. } | Reply::Done { .. } => Ok(()),
                        Reply::Error { errno, .. } => Err(Fail::Kernel(errno)),
                        Reply::Message { .. } => continue,
                    };
                    if res[idx].is_none() {
                        res[idx] = Some(outcome);
                    }
                }
            }
        }
        // Without an answer: a request that asked for none succeeded, unless
        // answers may have been dropped or were unreadable (outcome unknown);
        // one that asked for an ACK got none (see the receive timeout).
        let unknown = matches!(lost, Some(e) if e != libc::EINTR);
        res.into_iter()
            .zip(acked)
            .map(|(r, &ack)| match r {
                Some(r) => r,
                None if !ack && !unknown => Ok(()),
                None => Err(Fail::Os(lost.unwrap_or(libc::ENOBUFS))),
            })
            .collect()
    }
}
