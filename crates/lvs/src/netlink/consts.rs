//! Kernel constants of the netlink, generic-netlink and IPVS interfaces
//! (`include/uapi/linux/netlink.h`, `genetlink.h`, `ip_vs.h`): message
//! types and flags, command numbers, attribute numbers, and the kernel's
//! limits on names. Only numbers, no code.

// ---------------------------------------------------------------------------
// Netlink / generic netlink constants
// ---------------------------------------------------------------------------

/// Size of `struct nlmsghdr`.
pub const NLMSG_HDRLEN: usize = 16;
/// Size of `struct genlmsghdr`.
pub const GENL_HDRLEN: usize = 4;
/// Size of `struct nlattr`.
pub const NLA_HDRLEN: usize = 4;

/// `NLMSG_NOOP`.
pub const NLMSG_NOOP: u16 = 1;
/// `NLMSG_ERROR` (also carries ACKs, error 0).
pub const NLMSG_ERROR: u16 = 2;
/// `NLMSG_DONE`: end of a dump.
pub const NLMSG_DONE: u16 = 3;
/// `NLMSG_OVERRUN`.
pub const NLMSG_OVERRUN: u16 = 4;
/// First type number that carries data (family ids start here).
pub const NLMSG_MIN_TYPE: u16 = 0x10;

/// `NLM_F_REQUEST`.
pub const NLM_F_REQUEST: u16 = 0x1;
/// `NLM_F_MULTI`: part of a multi-message reply (dump item).
#[cfg(test)]
pub const NLM_F_MULTI: u16 = 0x2;
/// `NLM_F_ACK`.
pub const NLM_F_ACK: u16 = 0x4;
/// `NLM_F_DUMP` (`NLM_F_ROOT | NLM_F_MATCH`).
pub const NLM_F_DUMP: u16 = 0x300;

/// Set on nested attributes (libnl sets it, the kernel accepts it).
pub const NLA_F_NESTED: u16 = 0x8000;
/// Network byte order marker (never set by IPVS, tolerated).
pub const NLA_F_NET_BYTEORDER: u16 = 0x4000;
/// Mask giving the attribute type without the two flag bits.
pub const NLA_TYPE_MASK: u16 = !(NLA_F_NESTED | NLA_F_NET_BYTEORDER);

/// The generic netlink controller's fixed family id.
#[cfg(test)]
pub const GENL_ID_CTRL: u16 = 0x10;
/// `CTRL_CMD_NEWFAMILY` (reply to GETFAMILY).
pub const CTRL_CMD_NEWFAMILY: u8 = 1;
/// `CTRL_ATTR_FAMILY_ID` (u16).
#[cfg(test)]
pub const CTRL_ATTR_FAMILY_ID: u16 = 1;
/// `CTRL_ATTR_FAMILY_NAME` (NUL-terminated string).
#[cfg(test)]
pub const CTRL_ATTR_FAMILY_NAME: u16 = 2;

/// Generic netlink family name of IPVS.
pub const IPVS_GENL_NAME: &str = "IPVS";
/// Generic netlink version used by ipvsadm.
pub const IPVS_GENL_VERSION: u8 = 1;

// ---------------------------------------------------------------------------
// IPVS constants (include/uapi/linux/ip_vs.h)
// ---------------------------------------------------------------------------

/// `IPVS_CMD_*` command numbers.
pub mod cmd {
    /// `IPVS_CMD_NEW_SERVICE`.
    pub const NEW_SERVICE: u8 = 1;
    /// `IPVS_CMD_SET_SERVICE`.
    pub const SET_SERVICE: u8 = 2;
    /// `IPVS_CMD_DEL_SERVICE`.
    pub const DEL_SERVICE: u8 = 3;
    /// `IPVS_CMD_GET_SERVICE`.
    pub const GET_SERVICE: u8 = 4;
    /// `IPVS_CMD_NEW_DEST`.
    pub const NEW_DEST: u8 = 5;
    /// `IPVS_CMD_SET_DEST`.
    pub const SET_DEST: u8 = 6;
    /// `IPVS_CMD_DEL_DEST`.
    pub const DEL_DEST: u8 = 7;
    /// `IPVS_CMD_GET_DEST`.
    pub const GET_DEST: u8 = 8;
    /// `IPVS_CMD_NEW_DAEMON`.
    pub const NEW_DAEMON: u8 = 9;
    /// `IPVS_CMD_DEL_DAEMON`.
    pub const DEL_DAEMON: u8 = 10;
    /// `IPVS_CMD_GET_DAEMON`.
    pub const GET_DAEMON: u8 = 11;
    /// `IPVS_CMD_SET_CONFIG`.
    pub const SET_CONFIG: u8 = 12;
    /// `IPVS_CMD_GET_CONFIG`.
    pub const GET_CONFIG: u8 = 13;
    /// `IPVS_CMD_SET_INFO`.
    #[cfg(test)]
    pub const SET_INFO: u8 = 14;
    /// `IPVS_CMD_GET_INFO`.
    pub const GET_INFO: u8 = 15;
    /// `IPVS_CMD_ZERO`.
    pub const ZERO: u8 = 16;
    /// `IPVS_CMD_FLUSH`.
    pub const FLUSH: u8 = 17;
}

/// `IPVS_CMD_ATTR_*`: top-level attributes of IPVS messages.
pub mod cmd_attr {
    /// `IPVS_CMD_ATTR_SERVICE`.
    pub const SERVICE: u16 = 1;
    /// `IPVS_CMD_ATTR_DEST`.
    pub const DEST: u16 = 2;
    /// `IPVS_CMD_ATTR_DAEMON`.
    pub const DAEMON: u16 = 3;
    /// `IPVS_CMD_ATTR_TIMEOUT_TCP`.
    pub const TIMEOUT_TCP: u16 = 4;
    /// `IPVS_CMD_ATTR_TIMEOUT_TCP_FIN`.
    pub const TIMEOUT_TCP_FIN: u16 = 5;
    /// `IPVS_CMD_ATTR_TIMEOUT_UDP`.
    pub const TIMEOUT_UDP: u16 = 6;
}

/// `IPVS_SVC_ATTR_*`.
pub mod svc_attr {
    /// `IPVS_SVC_ATTR_AF`.
    pub const AF: u16 = 1;
    /// `IPVS_SVC_ATTR_PROTOCOL`.
    pub const PROTOCOL: u16 = 2;
    /// `IPVS_SVC_ATTR_ADDR`.
    pub const ADDR: u16 = 3;
    /// `IPVS_SVC_ATTR_PORT`.
    pub const PORT: u16 = 4;
    /// `IPVS_SVC_ATTR_FWMARK`.
    pub const FWMARK: u16 = 5;
    /// `IPVS_SVC_ATTR_SCHED_NAME`.
    pub const SCHED_NAME: u16 = 6;
    /// `IPVS_SVC_ATTR_FLAGS`.
    pub const FLAGS: u16 = 7;
    /// `IPVS_SVC_ATTR_TIMEOUT`.
    pub const TIMEOUT: u16 = 8;
    /// `IPVS_SVC_ATTR_NETMASK`.
    pub const NETMASK: u16 = 9;
    /// `IPVS_SVC_ATTR_STATS`.
    pub const STATS: u16 = 10;
    /// `IPVS_SVC_ATTR_PE_NAME`.
    pub const PE_NAME: u16 = 11;
    /// `IPVS_SVC_ATTR_STATS64`.
    pub const STATS64: u16 = 12;
}

/// `IPVS_DEST_ATTR_*`.
pub mod dest_attr {
    /// `IPVS_DEST_ATTR_ADDR`.
    pub const ADDR: u16 = 1;
    /// `IPVS_DEST_ATTR_PORT`.
    pub const PORT: u16 = 2;
    /// `IPVS_DEST_ATTR_FWD_METHOD`.
    pub const FWD_METHOD: u16 = 3;
    /// `IPVS_DEST_ATTR_WEIGHT`.
    pub const WEIGHT: u16 = 4;
    /// `IPVS_DEST_ATTR_U_THRESH`.
    pub const U_THRESH: u16 = 5;
    /// `IPVS_DEST_ATTR_L_THRESH`.
    pub const L_THRESH: u16 = 6;
    /// `IPVS_DEST_ATTR_ACTIVE_CONNS`.
    pub const ACTIVE_CONNS: u16 = 7;
    /// `IPVS_DEST_ATTR_INACT_CONNS`.
    pub const INACT_CONNS: u16 = 8;
    /// `IPVS_DEST_ATTR_PERSIST_CONNS`.
    pub const PERSIST_CONNS: u16 = 9;
    /// `IPVS_DEST_ATTR_STATS`.
    pub const STATS: u16 = 10;
    /// `IPVS_DEST_ATTR_ADDR_FAMILY`.
    pub const ADDR_FAMILY: u16 = 11;
    /// `IPVS_DEST_ATTR_STATS64`.
    pub const STATS64: u16 = 12;
    /// `IPVS_DEST_ATTR_TUN_TYPE`.
    pub const TUN_TYPE: u16 = 13;
    /// `IPVS_DEST_ATTR_TUN_PORT`.
    pub const TUN_PORT: u16 = 14;
    /// `IPVS_DEST_ATTR_TUN_FLAGS`.
    pub const TUN_FLAGS: u16 = 15;
}

/// `IPVS_DAEMON_ATTR_*`.
pub mod daemon_attr {
    /// `IPVS_DAEMON_ATTR_STATE`.
    pub const STATE: u16 = 1;
    /// `IPVS_DAEMON_ATTR_MCAST_IFN`.
    pub const MCAST_IFN: u16 = 2;
    /// `IPVS_DAEMON_ATTR_SYNC_ID`.
    pub const SYNC_ID: u16 = 3;
    /// `IPVS_DAEMON_ATTR_SYNC_MAXLEN`.
    pub const SYNC_MAXLEN: u16 = 4;
    /// `IPVS_DAEMON_ATTR_MCAST_GROUP`.
    pub const MCAST_GROUP: u16 = 5;
    /// `IPVS_DAEMON_ATTR_MCAST_GROUP6`.
    pub const MCAST_GROUP6: u16 = 6;
    /// `IPVS_DAEMON_ATTR_MCAST_PORT`.
    pub const MCAST_PORT: u16 = 7;
    /// `IPVS_DAEMON_ATTR_MCAST_TTL`.
    pub const MCAST_TTL: u16 = 8;
}

/// `IPVS_STATS_ATTR_*` (inside STATS and STATS64 nests).
pub mod stats_attr {
    /// `IPVS_STATS_ATTR_CONNS`.
    pub const CONNS: u16 = 1;
    /// `IPVS_STATS_ATTR_INPKTS`.
    pub const INPKTS: u16 = 2;
    /// `IPVS_STATS_ATTR_OUTPKTS`.
    pub const OUTPKTS: u16 = 3;
    /// `IPVS_STATS_ATTR_INBYTES`.
    pub const INBYTES: u16 = 4;
    /// `IPVS_STATS_ATTR_OUTBYTES`.
    pub const OUTBYTES: u16 = 5;
    /// `IPVS_STATS_ATTR_CPS`.
    pub const CPS: u16 = 6;
    /// `IPVS_STATS_ATTR_INPPS`.
    pub const INPPS: u16 = 7;
    /// `IPVS_STATS_ATTR_OUTPPS`.
    pub const OUTPPS: u16 = 8;
    /// `IPVS_STATS_ATTR_INBPS`.
    pub const INBPS: u16 = 9;
    /// `IPVS_STATS_ATTR_OUTBPS`.
    pub const OUTBPS: u16 = 10;
}

/// `IPVS_INFO_ATTR_*` (top level of the GET_INFO reply).
pub mod info_attr {
    /// `IPVS_INFO_ATTR_VERSION`.
    pub const VERSION: u16 = 1;
    /// `IPVS_INFO_ATTR_CONN_TAB_SIZE`.
    pub const CONN_TAB_SIZE: u16 = 2;
}

// ---------------------------------------------------------------------------
// Kernel limits and socket-level numbers
// ---------------------------------------------------------------------------

/// `IP_VS_SCHEDNAME_MAXLEN`: size of the kernel's scheduler name buffer,
/// including the terminating NUL.
pub const IP_VS_SCHEDNAME_MAXLEN: usize = 16;
/// `IP_VS_PENAME_MAXLEN`: size of the kernel's persistence-engine name
/// buffer, including the terminating NUL.
pub const IP_VS_PENAME_MAXLEN: usize = 16;
/// `IP_VS_IFNAME_MAXLEN`: size of the kernel's interface name buffer
/// (`IFNAMSIZ`), including the terminating NUL.
pub const IP_VS_IFNAME_MAXLEN: usize = 16;

/// Longest scheduler name the kernel accepts, in bytes without the NUL:
/// its buffer holds 16 bytes with the NUL (recent kernels' netlink policy
/// says so, `len = IP_VS_SCHEDNAME_MAXLEN - 1`; older ones let a 16th byte
/// through, but no registered scheduler can have such a name, so the
/// answer is ENOENT). The command line cuts `-s` to this length, as
/// ipvsadm's `strncpy` does.
pub const MAX_SCHED_NAME: usize = IP_VS_SCHEDNAME_MAXLEN - 1;
/// Longest persistence-engine name the kernel's netlink policy accepts, in
/// bytes without the NUL (`NLA_NUL_STRING` with `len = IP_VS_PENAME_MAXLEN`:
/// the policy lets one more byte through than the buffer holds; such a name
/// then matches no engine, ENOENT). The command line cuts `--pe` to this
/// length.
pub const MAX_PE_NAME: usize = IP_VS_PENAME_MAXLEN;
/// Longest sync-daemon interface name the kernel's netlink policy accepts,
/// in bytes without the NUL (`len = IP_VS_IFNAME_MAXLEN - 1`). The command
/// line cuts `--mcast-interface` to this length.
pub const MAX_IFNAME: usize = IP_VS_IFNAME_MAXLEN - 1;

/// Largest value of the 16-bit `nla_len` field (header included).
pub const NLA_MAX_LEN: usize = u16::MAX as usize;
