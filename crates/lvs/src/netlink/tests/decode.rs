//! The decoder: replies built the way the kernel builds them, damaged input.

use super::*;

// ---- replies ---------------------------------------------------------

/// Builds replies the way the kernel does (nests without NLA_F_NESTED).
struct Msg {
    buf: Vec<u8>,
}

impl Msg {
    fn new() -> Msg {
        Msg { buf: Vec::new() }
    }
    fn attr(&mut self, ty: u16, p: &[u8]) -> &mut Msg {
        AttrWriter { out: &mut self.buf }.put(ty, p).unwrap();
        self
    }
    fn nest(&mut self, ty: u16, inner: &Msg) -> &mut Msg {
        self.attr(ty, &inner.buf)
    }
}

fn datagram(ty: u16, flags: u16, seq: u32, cmd_: u8, attrs_: &[u8]) -> Vec<u8> {
    let mut out = header((20 + attrs_.len()) as u32, ty, flags, seq, 1234);
    out.extend_from_slice(&[cmd_, 1, 0, 0]);
    out.extend_from_slice(attrs_);
    out
}

fn ack(seq: u32, err: i32) -> Vec<u8> {
    let mut out = header(36, NLMSG_ERROR, 0x100, seq, 1234);
    out.extend_from_slice(&err.to_ne_bytes());
    out.extend_from_slice(&header(20, FAM, 5, seq, 1234));
    out
}

fn done(seq: u32) -> Vec<u8> {
    let mut out = header(20, NLMSG_DONE, NLM_F_MULTI, seq, 1234);
    out.extend_from_slice(&0i32.to_ne_bytes());
    out
}

fn stats32(base: u32) -> Msg {
    let mut m = Msg::new();
    for ty in 1..=10u16 {
        if ty == 4 || ty == 5 {
            m.attr(ty, &(u64::from(base) + u64::from(ty)).to_ne_bytes());
        } else {
            m.attr(ty, &(base + u32::from(ty)).to_ne_bytes());
        }
    }
    m
}

fn stats64(base: u64) -> Msg {
    let mut m = Msg::new();
    for ty in 1..=10u16 {
        m.attr(ty, &(base + u64::from(ty)).to_ne_bytes());
    }
    m
}

fn kernel_service_v4() -> Msg {
    let mut m = Msg::new();
    m.attr(svc_attr::AF, &2u16.to_ne_bytes())
        .attr(svc_attr::PROTOCOL, &6u16.to_ne_bytes())
        .attr(svc_attr::ADDR, &ip("192.0.2.100"))
        .attr(svc_attr::PORT, &[0, 80])
        .attr(svc_attr::SCHED_NAME, b"rr\0")
        .attr(svc_attr::FLAGS, &hex("03 00 00 00 ff ff ff ff"))
        .attr(svc_attr::TIMEOUT, &100u32.to_ne_bytes())
        .attr(svc_attr::NETMASK, &[255, 255, 255, 0])
        .nest(svc_attr::STATS, &stats32(100))
        .nest(svc_attr::STATS64, &stats64(1 << 40));
    m
}

#[test]
fn decode_service_dump_item_prefers_stats64() {
    let mut top = Msg::new();
    top.nest(cmd_attr::SERVICE, &kernel_service_v4());
    let mut buf = datagram(FAM, NLM_F_MULTI, 42, cmd::NEW_SERVICE, &top.buf);
    buf.extend_from_slice(&done(42));
    let msgs = parse_messages(&buf).unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1], Reply::Done { seq: 42 });
    let Reply::Message {
        seq,
        flags,
        msg_type,
        cmd: c,
        attrs: a,
    } = msgs[0]
    else {
        panic!("not a message");
    };
    assert_eq!(
        (seq, flags, msg_type, c),
        (42, NLM_F_MULTI, FAM, cmd::NEW_SERVICE)
    );
    let s = parse_service_msg(a).unwrap();
    assert_eq!(s.family, Family::Inet);
    assert_eq!(s.protocol, Protocol::Tcp);
    assert_eq!(s.addr, ipa("192.0.2.100"));
    assert_eq!(s.port, 80);
    assert_eq!(s.fwmark, 0);
    assert_eq!(s.sched_name, "rr");
    assert_eq!(s.pe_name, "");
    assert_eq!(s.flags, ServiceFlags::from_bits(3));
    assert_eq!(s.timeout, Duration::from_secs(100));
    assert_eq!(
        s.netmask,
        Netmask::Mask(std::net::Ipv4Addr::from_bits(0xffff_ff00))
    );
    let b = 1u64 << 40;
    assert_eq!(
        s.stats,
        Stats {
            conns: b + 1,
            inpkts: b + 2,
            outpkts: b + 3,
            inbytes: b + 4,
            outbytes: b + 5,
            cps: b + 6,
            inpps: b + 7,
            outpps: b + 8,
            inbps: b + 9,
            outbps: b + 10,
        }
    );
}

#[test]
fn decode_service_stats32_only_and_flag_mask() {
    let mut m = Msg::new();
    m.attr(svc_attr::AF, &2u16.to_ne_bytes())
        .attr(svc_attr::PROTOCOL, &17u16.to_ne_bytes())
        .attr(svc_attr::ADDR, &[192, 0, 2, 7]) // short address is zero-extended
        .attr(svc_attr::PORT, &[0x00, 0x35])
        .attr(svc_attr::SCHED_NAME, b"wlc\0")
        .attr(svc_attr::PE_NAME, b"sip\0")
        .attr(svc_attr::FLAGS, &hex("23 00 00 00 0f 00 00 00"))
        .attr(svc_attr::TIMEOUT, &0u32.to_ne_bytes())
        .attr(svc_attr::NETMASK, &[255, 255, 255, 255])
        .attr(99, b"future attribute")
        .nest(svc_attr::STATS, &stats32(0));
    let s = parse_service(&m.buf).unwrap();
    assert_eq!(s.protocol, Protocol::Udp);
    assert_eq!(s.addr, ipa("192.0.2.7"));
    assert_eq!(s.port, 53);
    assert_eq!(s.pe_name, "sip");
    assert_eq!(s.flags, ServiceFlags::from_bits(0x3));
    assert_eq!(
        s.netmask,
        Netmask::Mask(std::net::Ipv4Addr::from_bits(0xffff_ffff))
    );
    assert_eq!(s.stats.conns, 1);
    assert_eq!(s.stats.inbytes, 4);
    assert_eq!(s.stats.outbps, 10);
}

#[test]
fn decode_ipv6_and_fwmark_services() {
    let mut m = Msg::new();
    m.attr(svc_attr::AF, &10u16.to_ne_bytes())
        .attr(svc_attr::PROTOCOL, &6u16.to_ne_bytes())
        .attr(svc_attr::ADDR, &ip("2001:db8::1"))
        .attr(svc_attr::PORT, &[0x1f, 0x90])
        .attr(svc_attr::SCHED_NAME, b"sh\0")
        .attr(svc_attr::FLAGS, &hex("1a 00 00 00 ff ff ff ff"))
        .attr(svc_attr::TIMEOUT, &0u32.to_ne_bytes())
        .attr(svc_attr::NETMASK, &64u32.to_ne_bytes());
    let s = parse_service(&m.buf).unwrap();
    assert_eq!(s.family, Family::Inet6);
    assert_eq!(s.addr, "2001:db8::1".parse::<IpAddr>().unwrap());
    assert_eq!(s.port, 8080);
    assert_eq!(s.netmask, Netmask::Prefix(64));
    assert_eq!(s.flags, ServiceFlags::from_bits(0x1a));
    assert_eq!(s.stats, Stats::default());

    // fwmark: the kernel sends AF + FWMARK, no protocol/addr/port.
    let mut m = Msg::new();
    m.attr(svc_attr::AF, &2u16.to_ne_bytes())
        .attr(svc_attr::FWMARK, &0xffff_fff0u32.to_ne_bytes())
        .attr(svc_attr::SCHED_NAME, b"wlc\0")
        .attr(svc_attr::FLAGS, &hex("02 00 00 00 ff ff ff ff"))
        .attr(svc_attr::TIMEOUT, &0u32.to_ne_bytes())
        .attr(svc_attr::NETMASK, &[255, 255, 255, 255]);
    let s = parse_service(&m.buf).unwrap();
    assert_eq!(s.fwmark, 0xffff_fff0);
    assert_eq!(
        (s.protocol, s.port, s.addr),
        (Protocol::Other(0), 0, Family::Inet.unspecified())
    );
}

#[test]
fn service_round_trip_through_request_encoding() {
    for s in [
        {
            let mut s = svc_tcp("203.0.113.9", 65535);
            s.sched_name = "wrr".into();
            s.flags = ServiceFlags::PERSISTENT;
            s.timeout = Duration::from_secs(360);
            s.netmask = Netmask::Mask(std::net::Ipv4Addr::from_bits(0xffff_0000));
            s
        },
        {
            let mut s = Service::new(Family::Inet6);
            s.protocol = Protocol::Sctp;
            s.addr = ipa("2001:db8::ff");
            s.port = 1;
            s.sched_name = "mh".into();
            s.pe_name = "sip".into();
            s.netmask = Netmask::Prefix(96);
            s
        },
    ] {
        let mut out = Vec::new();
        encode(&Request::NewService(s.clone()), FAM, 1, 0, &mut out).unwrap();
        let back = parse_service_msg(&out[20..]).unwrap();
        assert_eq!(back, s);
    }
}

fn kernel_dest(with_af: Option<u16>, addr: &str) -> Msg {
    let mut m = Msg::new();
    m.attr(dest_attr::ADDR, &ip(addr))
        .attr(dest_attr::PORT, &[0x1f, 0x90])
        .attr(dest_attr::FWD_METHOD, &2u32.to_ne_bytes())
        .attr(dest_attr::WEIGHT, &(-1i32).to_ne_bytes())
        .attr(dest_attr::TUN_TYPE, &[2])
        .attr(dest_attr::TUN_PORT, &[0, 0])
        .attr(dest_attr::TUN_FLAGS, &2u16.to_ne_bytes())
        .attr(dest_attr::U_THRESH, &10u32.to_ne_bytes())
        .attr(dest_attr::L_THRESH, &5u32.to_ne_bytes())
        .attr(dest_attr::ACTIVE_CONNS, &3u32.to_ne_bytes())
        .attr(dest_attr::INACT_CONNS, &4u32.to_ne_bytes())
        .attr(dest_attr::PERSIST_CONNS, &5u32.to_ne_bytes());
    if let Some(af) = with_af {
        m.attr(dest_attr::ADDR_FAMILY, &af.to_ne_bytes());
    }
    m.nest(dest_attr::STATS, &stats32(7))
        .nest(dest_attr::STATS64, &stats64(u64::from(u32::MAX)));
    m
}

#[test]
fn decode_dest_with_and_without_addr_family() {
    let mut top = Msg::new();
    top.nest(cmd_attr::DEST, &kernel_dest(Some(AF_INET6), "2001:db8::7"));
    let d = parse_dest_msg(&top.buf, Family::Inet).unwrap();
    assert_eq!(d.family, Family::Inet6);
    assert_eq!(d.addr, "2001:db8::7".parse::<IpAddr>().unwrap());
    assert_eq!(d.port, 8080);
    assert_eq!(d.forward, Forward::Tunnel);
    assert_eq!(d.weight, -1);
    assert_eq!((d.u_threshold, d.l_threshold), (10, 5));
    assert_eq!((d.active_conns, d.inact_conns, d.persist_conns), (3, 4, 5));
    assert_eq!(
        (d.tun_type, d.tun_port, d.tun_checksum),
        (TunnelType::Gre, 0, TunnelChecksum::RemCsum)
    );
    // Full 64-bit values from STATS64 (no display truncation here).
    assert_eq!(d.stats.conns, u64::from(u32::MAX) + 1);
    assert_eq!(d.stats.outbps, u64::from(u32::MAX) + 10);

    // No ADDR_FAMILY (kernel < 3.18): the service's family.
    let d = parse_dest(&kernel_dest(None, "198.51.100.2").buf, Family::Inet).unwrap();
    assert_eq!(d.family, Family::Inet);
    assert_eq!(d.addr, "198.51.100.2".parse::<IpAddr>().unwrap());
}

#[test]
fn decode_dest_old_kernel_defaults() {
    // No TUN_*, no conns, no stats: zeros.
    let mut m = Msg::new();
    m.attr(dest_attr::ADDR, &ip("198.51.100.3"))
        .attr(dest_attr::PORT, &[0, 80])
        .attr(dest_attr::FWD_METHOD, &0u32.to_ne_bytes())
        .attr(dest_attr::WEIGHT, &1u32.to_ne_bytes())
        .attr(dest_attr::U_THRESH, &0u32.to_ne_bytes())
        .attr(dest_attr::L_THRESH, &0u32.to_ne_bytes());
    let d = parse_dest(&m.buf, Family::Inet).unwrap();
    assert_eq!(
        (d.tun_type, d.tun_port, d.tun_checksum),
        (TunnelType::Ipip, 0, TunnelChecksum::None)
    );
    assert_eq!((d.active_conns, d.inact_conns, d.persist_conns), (0, 0, 0));
    assert_eq!(d.stats, Stats::default());
    assert_eq!(d.forward, Forward::Masq);
    assert_eq!(d.weight, 1);
}

#[test]
fn decode_daemons() {
    let mut v4 = Msg::new();
    v4.attr(daemon_attr::STATE, &1u32.to_ne_bytes())
        .attr(daemon_attr::MCAST_IFN, b"dummy0\0")
        .attr(daemon_attr::SYNC_ID, &0u32.to_ne_bytes())
        .attr(daemon_attr::SYNC_MAXLEN, &1472u16.to_ne_bytes())
        .attr(daemon_attr::MCAST_PORT, &8848u16.to_ne_bytes())
        .attr(daemon_attr::MCAST_TTL, &[1])
        .attr(daemon_attr::MCAST_GROUP, &[224, 0, 0, 81]);
    let mut v6 = Msg::new();
    v6.attr(daemon_attr::STATE, &2u32.to_ne_bytes())
        .attr(daemon_attr::MCAST_IFN, b"dummy0\0")
        .attr(daemon_attr::SYNC_ID, &7u32.to_ne_bytes())
        .attr(daemon_attr::SYNC_MAXLEN, &1452u16.to_ne_bytes())
        .attr(daemon_attr::MCAST_PORT, &9999u16.to_ne_bytes())
        .attr(daemon_attr::MCAST_TTL, &[5])
        .attr(daemon_attr::MCAST_GROUP6, &ip("ff02::1234"));
    let mut buf = Vec::new();
    for (d, seq) in [(&v4, 5), (&v6, 5)] {
        let mut top = Msg::new();
        top.nest(cmd_attr::DAEMON, d);
        buf.extend_from_slice(&datagram(FAM, NLM_F_MULTI, seq, cmd::NEW_DAEMON, &top.buf));
    }
    buf.extend_from_slice(&done(5));
    let daemons: Vec<Daemon> = parse_messages(&buf)
        .unwrap()
        .iter()
        .filter_map(|m| match m {
            Reply::Message { attrs: a, .. } => parse_daemon_msg(a).unwrap(),
            _ => None,
        })
        .collect();
    assert_eq!(
        daemons,
        [
            Daemon {
                role: DaemonRole::Master,
                mcast_ifn: "dummy0".into(),
                syncid: 0,
                sync_maxlen: 1472,
                mcast_group: Some("224.0.0.81".parse().unwrap()),
                mcast_port: 8848,
                mcast_ttl: 1,
            },
            Daemon {
                role: DaemonRole::Backup,
                mcast_ifn: "dummy0".into(),
                syncid: 7,
                sync_maxlen: 1452,
                mcast_group: Some("ff02::1234".parse().unwrap()),
                mcast_port: 9999,
                mcast_ttl: 5,
            },
        ]
    );
}

#[test]
fn decode_info_config_and_family() {
    let mut m = Msg::new();
    m.attr(info_attr::VERSION, &0x010201u32.to_ne_bytes())
        .attr(info_attr::CONN_TAB_SIZE, &4096u32.to_ne_bytes());
    let buf = datagram(FAM, 0, 1, cmd::SET_INFO, &m.buf);
    let msgs = parse_messages(&buf).unwrap();
    let Reply::Message {
        cmd: c, attrs: a, ..
    } = msgs[0]
    else {
        panic!()
    };
    assert_eq!(c, cmd::SET_INFO);
    assert_eq!(
        parse_info(a).unwrap(),
        Info {
            version: 0x010201,
            conn_tab_size: 4096
        }
    );
    let mut half = Msg::new();
    half.attr(info_attr::VERSION, &1u32.to_ne_bytes());
    assert_eq!(
        parse_info(&half.buf),
        Err(DecodeError::Missing("info CONN_TAB_SIZE"))
    );

    let mut m = Msg::new();
    m.attr(cmd_attr::TIMEOUT_TCP, &900u32.to_ne_bytes())
        .attr(cmd_attr::TIMEOUT_TCP_FIN, &120u32.to_ne_bytes())
        .attr(cmd_attr::TIMEOUT_UDP, &300u32.to_ne_bytes());
    assert_eq!(
        parse_config(&m.buf).unwrap(),
        Timeouts {
            tcp: std::time::Duration::from_secs(900),
            tcp_fin: std::time::Duration::from_secs(120),
            udp: std::time::Duration::from_secs(300)
        }
    );

    let mut m = Msg::new();
    m.attr(CTRL_ATTR_FAMILY_NAME, b"IPVS\0")
        .attr(CTRL_ATTR_FAMILY_ID, &0x20u16.to_ne_bytes());
    assert_eq!(crate::netlink::ctrl::parse_family_id(&m.buf), Ok(0x20));
}

#[test]
fn decode_ack_error_done() {
    let mut buf = ack(10, 0);
    buf.extend_from_slice(&ack(11, -libc::EEXIST));
    buf.extend_from_slice(&done(12));
    // DONE carrying a failed dump status.
    let mut bad_done = header(20, NLMSG_DONE, NLM_F_MULTI, 13, 1);
    bad_done.extend_from_slice(&(-libc::EPERM).to_ne_bytes());
    buf.extend_from_slice(&bad_done);
    // A bare DONE without payload and a NOOP are tolerated.
    buf.extend_from_slice(&header(16, NLMSG_DONE, 0, 14, 1));
    buf.extend_from_slice(&header(16, NLMSG_NOOP, 0, 15, 1));
    assert_eq!(
        parse_messages(&buf).unwrap(),
        [
            Reply::Ack { seq: 10 },
            Reply::Error {
                seq: 11,
                errno: libc::EEXIST
            },
            Reply::Done { seq: 12 },
            Reply::Error {
                seq: 13,
                errno: libc::EPERM
            },
            Reply::Done { seq: 14 },
        ]
    );
}

#[test]
fn nested_flag_bits_tolerated() {
    // Nests flagged NLA_F_NESTED (as libnl writes them) decode the same.
    let mut out = Vec::new();
    let mut s = svc_tcp("192.0.2.1", 80);
    s.sched_name = "rr".into();
    encode(&Request::NewService(s.clone()), FAM, 1, 0, &mut out).unwrap();
    assert_eq!(rd_u16(&out, 22), 0x8001);
    assert_eq!(parse_service_msg(&out[20..]).unwrap(), s);
    let mut m = Msg::new();
    m.attr(
        info_attr::VERSION | NLA_F_NET_BYTEORDER,
        &1u32.to_ne_bytes(),
    )
    .attr(info_attr::CONN_TAB_SIZE, &2u32.to_ne_bytes());
    assert_eq!(parse_info(&m.buf).unwrap().version, 1);
}

#[test]
fn malformed_buffers_are_errors() {
    // Shorter than a header.
    assert_eq!(parse_messages(&[0; 8]), Err(DecodeError::BadMessage));
    // Length field beyond the buffer.
    let mut b = ack(1, 0);
    b.truncate(30);
    assert_eq!(parse_messages(&b), Err(DecodeError::BadMessage));
    // Length field below the header size.
    let mut b = ack(1, 0);
    b[0] = 8;
    assert_eq!(parse_messages(&b), Err(DecodeError::BadMessage));
    // Error message without its error code.
    assert_eq!(
        parse_messages(&header(16, NLMSG_ERROR, 0, 1, 1)),
        Err(DecodeError::BadMessage)
    );
    // Data message without a genl header.
    assert_eq!(
        parse_messages(&header(16, FAM, 0, 1, 1)),
        Err(DecodeError::NoGenlHeader)
    );
    // Overrun.
    assert_eq!(
        parse_messages(&header(16, NLMSG_OVERRUN, 0, 1, 1)),
        Err(DecodeError::Overrun)
    );
    // A good message followed by garbage: the iterator yields the good
    // one, then the error, then stops.
    let mut b = ack(1, 0);
    b.extend_from_slice(&[1, 2, 3]);
    let items: Vec<_> = messages(&b).collect();
    assert_eq!(items.len(), 2);
    assert!(items[1].is_err());

    // Attributes: header cut, length too small, length too large.
    assert_eq!(find_attr(&[8, 0], 1), Err(DecodeError::BadAttribute));
    assert_eq!(find_attr(&[2, 0, 1, 0], 1), Err(DecodeError::BadAttribute));
    assert_eq!(
        find_attr(&[12, 0, 1, 0, 0, 0], 1),
        Err(DecodeError::BadAttribute)
    );
    // Payload too short for its type.
    let mut m = kernel_service_v4();
    m.attr(svc_attr::PORT, &[1]);
    let mut short = Msg::new();
    short
        .attr(svc_attr::AF, &[2])
        .attr(svc_attr::FWMARK, &1u32.to_ne_bytes());
    assert_eq!(
        parse_service(&short.buf),
        Err(DecodeError::BadPayload("service AF"))
    );
    assert_eq!(
        parse_service(&m.buf),
        Err(DecodeError::BadPayload("service PORT"))
    );
    // Required attributes missing.
    let mut no_key = Msg::new();
    no_key
        .attr(svc_attr::AF, &2u16.to_ne_bytes())
        .attr(svc_attr::SCHED_NAME, b"rr\0");
    assert_eq!(
        parse_service(&no_key.buf),
        Err(DecodeError::Missing("service key"))
    );
    let mut no_w = Msg::new();
    no_w.attr(dest_attr::ADDR, &ip("198.51.100.3"))
        .attr(dest_attr::PORT, &[0, 80])
        .attr(dest_attr::FWD_METHOD, &0u32.to_ne_bytes());
    assert_eq!(
        parse_dest(&no_w.buf, Family::Inet),
        Err(DecodeError::Missing("dest WEIGHT"))
    );
    assert_eq!(parse_service_msg(&[]), Err(DecodeError::Missing("SERVICE")));
    let mut d = Msg::new();
    d.attr(daemon_attr::STATE, &1u32.to_ne_bytes())
        .attr(daemon_attr::MCAST_GROUP6, &[0xff, 2]);
    assert_eq!(
        parse_daemon(&d.buf),
        Err(DecodeError::BadPayload("daemon MCAST_GROUP6"))
    );
}

/// The state word is read bit by bit as ipvsadm reads it: the master bit
/// wins, and a word with neither bit is an entry nobody is shown.
#[test]
fn daemon_state_bits() {
    let role = |state: u32| {
        let mut d = Msg::new();
        d.attr(daemon_attr::STATE, &state.to_ne_bytes())
            .attr(daemon_attr::MCAST_IFN, b"eth0\0")
            .attr(daemon_attr::SYNC_ID, &7u32.to_ne_bytes());
        parse_daemon(&d.buf).unwrap().map(|d| (d.role, d.syncid))
    };
    assert_eq!(role(1), Some((DaemonRole::Master, 7)));
    assert_eq!(role(2), Some((DaemonRole::Backup, 7)));
    assert_eq!(role(3), Some((DaemonRole::Master, 7)));
    assert_eq!(role(0), None);
    assert_eq!(role(4), None);
}

/// Every truncation and many single-byte corruptions of a realistic
/// receive buffer decode to values or errors, never a panic.
#[test]
fn never_panics_on_damaged_input() {
    let mut buf = Vec::new();
    let mut top = Msg::new();
    top.nest(cmd_attr::SERVICE, &kernel_service_v4());
    buf.extend_from_slice(&datagram(FAM, NLM_F_MULTI, 1, cmd::NEW_SERVICE, &top.buf));
    let mut top = Msg::new();
    top.nest(cmd_attr::DEST, &kernel_dest(Some(AF_INET), "198.51.100.1"));
    buf.extend_from_slice(&datagram(FAM, NLM_F_MULTI, 1, cmd::NEW_DEST, &top.buf));
    buf.extend_from_slice(&ack(2, -1));
    buf.extend_from_slice(&done(1));

    fn exercise(b: &[u8]) {
        for m in messages(b) {
            if let Ok(Reply::Message { attrs: a, .. }) = m {
                let _ = parse_service_msg(a);
                let _ = parse_dest_msg(a, Family::Inet);
                let _ = parse_daemon_msg(a);
                let _ = parse_info(a);
                let _ = parse_config(a);
                let _ = crate::netlink::ctrl::parse_family_id(a);
                for x in attrs(a).flatten() {
                    let _ = parse_service(x.1);
                    let _ = parse_dest(x.1, Family::Inet6);
                    let _ = parse_daemon(x.1);
                    let _ = parse_stats(x.1);
                }
            }
        }
    }
    for n in 0..=buf.len() {
        exercise(&buf[..n]);
    }
    for i in 0..buf.len() {
        for v in [0u8, 1, 3, 4, 0x7f, 0xff] {
            let mut b = buf.clone();
            b[i] = v;
            exercise(&b);
        }
    }
}

/// Decoding 100 000 destination records must be cheap (no allocation per
/// attribute); this is a smoke test of the hot path, not a benchmark.
#[test]
fn decode_many_dests() {
    let mut top = Msg::new();
    top.nest(cmd_attr::DEST, &kernel_dest(None, "198.51.100.1"));
    let one = datagram(FAM, NLM_F_MULTI, 1, cmd::NEW_DEST, &top.buf);
    let per = 32 * 1024 / one.len();
    let mut chunk = Vec::new();
    for _ in 0..per {
        chunk.extend_from_slice(&one);
    }
    let mut total = 0;
    while total < 100_000 {
        for m in messages(&chunk) {
            if let Reply::Message { attrs: a, .. } = m.unwrap() {
                let d = parse_dest_msg(a, Family::Inet).unwrap();
                assert_eq!(d.port, 8080);
                total += 1;
            }
        }
    }
}
