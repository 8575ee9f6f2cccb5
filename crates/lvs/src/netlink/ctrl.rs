//! Generic netlink control through neli: the `CTRL_CMD_GETFAMILY` request
//! that resolves a family name (`"IPVS"`) to its id, built with neli's
//! typed message builders, and the id read from the controller's answer
//! with neli's attribute parser. neli's router is not used: it starts a
//! processing thread per socket, which a single command cannot afford at
//! start-up; the request goes out on the handle's own socket and the answer
//! is framed by the handle like any other.
//!
//! The bytes are the ones libnl (and so ipvsadm) sends: version 1,
//! `NLM_F_REQUEST | NLM_F_ACK`, one NUL-terminated `CTRL_ATTR_FAMILY_NAME`
//! (checked against a capture in the unit tests). This is the crate's one
//! family look-up: the codec has no hand-written version of it.

use std::io::Cursor;
use std::iter::once;

use neli::consts::genl::{CtrlAttr, CtrlCmd};
use neli::consts::nl::{GenlId, NlmF};
use neli::genl::{AttrTypeBuilder, GenlmsghdrBuilder, NlattrBuilder};
use neli::nl::{NlPayload, NlmsghdrBuilder};
use neli::types::{Buffer, GenlBuffer};
use neli::{FromBytesWithInput, ToBytes};

use super::decode::DecodeError;
use super::encode::EncodeError;

/// Appends a `CTRL_CMD_GETFAMILY` request for `name` to `out`. On error
/// `out` is left as it was.
pub(crate) fn encode_get_family(
    name: &str,
    seq: u32,
    pid: u32,
    out: &mut Vec<u8>,
) -> Result<(), EncodeError> {
    let refused = |_| EncodeError::Control;
    let attr = NlattrBuilder::default()
        .nla_type(
            AttrTypeBuilder::default()
                .nla_type(CtrlAttr::FamilyName)
                .build()
                .map_err(refused)?,
        )
        .nla_payload(name)
        .build()
        .map_err(|_| EncodeError::Control)?;
    let genl = GenlmsghdrBuilder::<CtrlCmd, CtrlAttr>::default()
        .cmd(CtrlCmd::Getfamily)
        .version(1)
        .attrs(once(attr).collect::<GenlBuffer<_, _>>())
        .build()
        .map_err(|_| EncodeError::Control)?;
    let msg = NlmsghdrBuilder::default()
        .nl_type(GenlId::Ctrl)
        .nl_flags(NlmF::REQUEST | NlmF::ACK)
        .nl_seq(seq)
        .nl_pid(pid)
        .nl_payload(NlPayload::Payload(genl))
        .build()
        .map_err(|_| EncodeError::Control)?;
    let start = out.len();
    let mut cursor = Cursor::new(std::mem::take(out));
    cursor.set_position(start as u64);
    let written = msg.to_bytes(&mut cursor);
    *out = cursor.into_inner();
    if written.is_err() {
        out.truncate(start);
        return Err(EncodeError::Control);
    }
    Ok(())
}

/// The family id in the attributes of a `CTRL_CMD_NEWFAMILY` answer
/// (through neli's attribute parser; no I/O).
pub fn parse_family_id(attrs: &[u8]) -> Result<u16, DecodeError> {
    let buf =
        GenlBuffer::<CtrlAttr, Buffer>::from_bytes_with_input(&mut Cursor::new(attrs), attrs.len())
            .map_err(|_| DecodeError::BadAttribute)?;
    buf.get_attr_handle()
        .get_attr_payload_as::<u16>(CtrlAttr::FamilyId)
        .map_err(|_| DecodeError::Missing("FAMILY_ID"))
}
