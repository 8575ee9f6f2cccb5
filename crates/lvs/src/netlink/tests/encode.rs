//! The encoder: byte captures of ipvsadm requests, and the refusals.

use super::*;

// ---- requests -------------------------------------------------------

#[test]
fn get_dests_without_copy_is_the_same() {
    for svc in [svc_tcp("192.0.2.1", 80), {
        let mut s = Service::new(crate::model::Family::Inet6);
        s.fwmark = 9;
        s
    }] {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        encode(&Request::GetDests(svc.key()), FAM, 7, 9, &mut a).unwrap();
        encode_get_dests(&svc.key(), FAM, 7, 9, &mut b).unwrap();
        assert_eq!(a, b);
    }
}

/// `ipvsadm -A -t 192.0.2.100:80 -s rr -p 100 -M 255.255.255.0`
/// (captured with strace).
#[test]
fn encode_add_service_matches_capture() {
    let mut s = svc_tcp("192.0.2.100", 80);
    s.sched_name = "rr".into();
    s.flags = ServiceFlags::PERSISTENT;
    s.timeout = Duration::from_secs(100);
    s.netmask = Netmask::Mask(std::net::Ipv4Addr::from_bits(0xffff_ff00));
    let mut out = Vec::new();
    encode(&Request::NewService(s), FAM, 7, 0xED40_0072, &mut out).unwrap();
    let payload = hex("01 01 00 00
         54 00 01 80
         06 00 01 00 02 00 00 00
         06 00 02 00 06 00 00 00
         14 00 03 00 c0 00 02 64 00 00 00 00 00 00 00 00 00 00 00 00
         06 00 04 00 00 50 00 00
         07 00 06 00 72 72 00 00
         0c 00 07 00 01 00 00 00 ff ff ff ff
         08 00 08 00 64 00 00 00
         08 00 09 00 ff ff ff 00");
    let mut want = header(16 + payload.len() as u32, FAM, 0x0005, 7, 0xED40_0072);
    want.extend_from_slice(&payload);
    assert_eq!(out.len(), 104);
    assert_eq!(out, want);
}

/// The persistence timeout goes out as whole seconds on 32 bits: the
/// largest such value is sent, a fraction of a second or 2^32 seconds is
/// refused (nothing appended), not rounded or cut.
#[test]
fn encode_refuses_a_timeout_the_kernel_cannot_hold() {
    let mut s = svc_tcp("192.0.2.100", 80);
    s.sched_name = "rr".into();
    s.flags = ServiceFlags::PERSISTENT;
    s.timeout = Duration::from_secs(u64::from(u32::MAX));
    let mut out = Vec::new();
    encode(&Request::NewService(s.clone()), FAM, 1, 0, &mut out).unwrap();
    let timeout_attr = hex("08 00 08 00 ff ff ff ff");
    assert!(out.windows(8).any(|w| w == timeout_attr.as_slice()));
    for bad in [
        Duration::from_secs(1 << 32),
        Duration::from_millis(1500),
        Duration::from_nanos(1),
    ] {
        s.timeout = bad;
        let mut out = vec![1, 2, 3];
        assert_eq!(
            encode(&Request::NewService(s.clone()), FAM, 1, 0, &mut out),
            Err(EncodeError::Timeout { timeout: bad })
        );
        assert_eq!(out, [1, 2, 3], "{bad:?}");
    }
}

/// `ipvsadm -a -t 192.0.2.100:80 -r 198.51.100.50:8080 -m -w 2 -x 10 -y 5`
#[test]
fn encode_add_dest_matches_capture() {
    let s = svc_tcp("192.0.2.100", 80); // sched "", flags 0, timeout 0, mask ~0
    let mut d = Dest::new(Family::Inet);
    d.addr = ipa("198.51.100.50");
    d.port = 8080;
    d.forward = Forward::Masq;
    d.weight = 2;
    d.u_threshold = 10;
    d.l_threshold = 5;
    let mut out = Vec::new();
    encode(&Request::NewDest(s.key(), d), FAM, 1, 2, &mut out).unwrap();
    let payload = hex("05 01 00 00
         54 00 01 80
         06 00 01 00 02 00 00 00
         06 00 02 00 06 00 00 00
         14 00 03 00 c0 00 02 64 00 00 00 00 00 00 00 00 00 00 00 00
         06 00 04 00 00 50 00 00
         05 00 06 00 00 00 00 00
         0c 00 07 00 00 00 00 00 ff ff ff ff
         08 00 08 00 00 00 00 00
         08 00 09 00 ff ff ff ff
         60 00 02 80
         06 00 0b 00 02 00 00 00
         14 00 01 00 c6 33 64 32 00 00 00 00 00 00 00 00 00 00 00 00
         06 00 02 00 1f 90 00 00
         08 00 03 00 00 00 00 00
         08 00 04 00 02 00 00 00
         05 00 0d 00 00 00 00 00
         06 00 0e 00 00 00 00 00
         06 00 0f 00 00 00 00 00
         08 00 05 00 0a 00 00 00
         08 00 06 00 05 00 00 00");
    let mut want = header(16 + payload.len() as u32, FAM, 0x0005, 1, 2);
    want.extend_from_slice(&payload);
    assert_eq!(out.len(), 200);
    assert_eq!(out, want);
}

#[test]
fn encode_dumps_and_bare_commands() {
    let cases: [(Request, u8, u16); 7] = [
        (Request::GetInfo, cmd::GET_INFO, 0x005),
        (Request::GetServices, cmd::GET_SERVICE, 0x305),
        (Request::GetConfig, cmd::GET_CONFIG, 0x005),
        (Request::GetDaemons, cmd::GET_DAEMON, 0x305),
        (Request::Flush, cmd::FLUSH, 0x005),
        (Request::Zero(None), cmd::ZERO, 0x005),
        (Request::GetInfo, cmd::GET_INFO, 0x005),
    ];
    for (req, c, flags) in cases {
        let mut out = Vec::new();
        encode(&req, FAM, 9, 0, &mut out).unwrap();
        let mut want = header(20, FAM, flags, 9, 0);
        want.extend_from_slice(&[c, 1, 0, 0]);
        assert_eq!(out, want, "{req:?}");
    }
}

#[test]
fn encode_get_dests_sends_key_only() {
    let mut s = svc_tcp("192.0.2.1", 443);
    s.sched_name = "wlc".into();
    let mut out = Vec::new();
    encode(&Request::GetDests(s.key()), FAM, 3, 0, &mut out).unwrap();
    let payload = hex("08 01 00 00
         30 00 01 80
         06 00 01 00 02 00 00 00
         06 00 02 00 06 00 00 00
         14 00 03 00 c0 00 02 01 00 00 00 00 00 00 00 00 00 00 00 00
         06 00 04 00 01 bb 00 00");
    let mut want = header(16 + payload.len() as u32, FAM, 0x305, 3, 0);
    want.extend_from_slice(&payload);
    assert_eq!(out, want);

    // fwmark service: AF, FWMARK.
    let mut f = Service::new(Family::Inet6);
    f.fwmark = 0x1234;
    out.clear();
    encode(&Request::GetDests(f.key()), FAM, 4, 0, &mut out).unwrap();
    let payload = hex("08 01 00 00
         14 00 01 80
         06 00 01 00 0a 00 00 00
         08 00 05 00 34 12 00 00");
    let mut want = header(16 + payload.len() as u32, FAM, 0x305, 4, 0);
    want.extend_from_slice(&payload);
    assert_eq!(out, want);

    // GET_SERVICE do with a fwmark key: same nest, flags 0x005.
    out.clear();
    encode(&Request::GetService(f.key()), FAM, 5, 0, &mut out).unwrap();
    assert_eq!(rd_u16(&out, 6), 0x005);
    assert_eq!(out[16], cmd::GET_SERVICE);
    assert_eq!(&out[20..], &payload[4..]);
}

#[test]
fn encode_fwmark_ipv6_service_with_pe() {
    let mut s = Service::new(Family::Inet6);
    s.fwmark = 1;
    s.sched_name = "sh".into();
    s.pe_name = "sip".into();
    s.flags = ServiceFlags::from_bits(0x18);
    s.netmask = Netmask::Prefix(64);
    let mut out = Vec::new();
    encode(&Request::SetService(s), FAM, 1, 1, &mut out).unwrap();
    let payload = hex("02 01 00 00
         40 00 01 80
         06 00 01 00 0a 00 00 00
         08 00 05 00 01 00 00 00
         07 00 06 00 73 68 00 00
         08 00 0b 00 73 69 70 00
         0c 00 07 00 18 00 00 00 ff ff ff ff
         08 00 08 00 00 00 00 00
         08 00 09 00 40 00 00 00");
    let mut want = header(16 + payload.len() as u32, FAM, 0x005, 1, 1);
    want.extend_from_slice(&payload);
    assert_eq!(out, want);
}

#[test]
fn encode_tunnel_dest_and_delete() {
    let s = svc_tcp("192.0.2.1", 80);
    let mut d = Dest::new(Family::Inet6);
    d.addr = ipa("2001:db8::5");
    d.port = 80;
    d.forward = Forward::Tunnel;
    d.tun_type = TunnelType::Gue;
    d.tun_port = 6080;
    d.tun_checksum = TunnelChecksum::Csum;
    let mut out = Vec::new();
    encode(&Request::DelDest(s.key(), d), FAM, 1, 1, &mut out).unwrap();
    assert_eq!(out[16], cmd::DEL_DEST);
    let top: Vec<_> = attrs(&out[20..]).map(|a| a.unwrap()).collect();
    assert_eq!(top.len(), 2);
    let dest = top[1].1;
    let got: Vec<(u16, Vec<u8>)> = attrs(dest)
        .map(|a| a.unwrap())
        .map(|(t, p)| (t, p.to_vec()))
        .collect();
    let types: Vec<u16> = got.iter().map(|g| g.0).collect();
    assert_eq!(types, [11, 1, 2, 3, 4, 13, 14, 15, 5, 6]);
    assert_eq!(got[0].1, 10u16.to_ne_bytes());
    assert_eq!(got[1].1, ip("2001:db8::5"));
    assert_eq!(got[5].1, [1]);
    assert_eq!(got[6].1, [0x17, 0xc0]); // 6080 big-endian
    assert_eq!(got[7].1, 1u16.to_ne_bytes());
    // Round trip through the reply decoder.
    let back = parse_dest(dest, Family::Inet).unwrap();
    assert_eq!(back.family, Family::Inet6);
    assert_eq!(back.tun_port, 6080);
    assert_eq!(back.tun_type, TunnelType::Gue);
    assert_eq!(back.tun_checksum, TunnelChecksum::Csum);
    assert_eq!(back.forward, Forward::Tunnel);
}

#[test]
fn encode_set_config() {
    let mut out = Vec::new();
    let t = Timeouts {
        tcp: std::time::Duration::from_secs(0),
        tcp_fin: std::time::Duration::from_secs(5),
        udp: std::time::Duration::from_secs(0),
    };
    encode(&Request::SetConfig(t), FAM, 2, 0, &mut out).unwrap();
    let payload = hex("0c 01 00 00
         08 00 04 00 00 00 00 00
         08 00 05 00 05 00 00 00
         08 00 06 00 00 00 00 00");
    let mut want = header(16 + payload.len() as u32, FAM, 0x005, 2, 0);
    want.extend_from_slice(&payload);
    assert_eq!(out, want);
}

/// Connection timeouts go out as whole seconds on 32 bits too: the largest
/// is sent, a fraction or 2^32 seconds in any of the three is refused with
/// nothing appended.
#[test]
fn encode_set_config_refuses_what_the_kernel_cannot_hold() {
    let most = Duration::from_secs(u64::from(u32::MAX));
    let ok = Timeouts {
        tcp: most,
        tcp_fin: most,
        udp: most,
    };
    let mut out = Vec::new();
    encode(&Request::SetConfig(ok), FAM, 2, 0, &mut out).unwrap();
    assert!(out.ends_with(&hex("08 00 06 00 ff ff ff ff")));
    for bad in [Duration::from_secs(1 << 32), Duration::from_millis(1500)] {
        for t in [
            Timeouts { tcp: bad, ..ok },
            Timeouts { tcp_fin: bad, ..ok },
            Timeouts { udp: bad, ..ok },
        ] {
            let mut out = vec![1, 2, 3];
            assert_eq!(
                encode(&Request::SetConfig(t), FAM, 2, 0, &mut out),
                Err(EncodeError::Timeout { timeout: bad })
            );
            assert_eq!(out, [1, 2, 3], "{t:?}");
        }
    }
}

fn daemon(role: DaemonRole) -> Daemon {
    Daemon {
        role,
        mcast_ifn: "eth0".into(),
        syncid: 7,
        sync_maxlen: 0,
        mcast_group: None,
        mcast_port: 0,
        mcast_ttl: 0,
    }
}

#[test]
fn encode_daemons() {
    // Minimal start: STATE, MCAST_IFN, SYNC_ID only.
    let mut out = Vec::new();
    encode(
        &Request::NewDaemon(daemon(DaemonRole::Master)),
        FAM,
        1,
        0,
        &mut out,
    )
    .unwrap();
    let payload = hex("09 01 00 00
         20 00 03 80
         08 00 01 00 01 00 00 00
         09 00 02 00 65 74 68 30 00 00 00 00
         08 00 03 00 07 00 00 00");
    let mut want = header(16 + payload.len() as u32, FAM, 0x005, 1, 0);
    want.extend_from_slice(&payload);
    assert_eq!(out, want);

    // Everything, IPv4 group.
    let mut d = daemon(DaemonRole::Backup);
    d.sync_maxlen = 1000;
    d.mcast_port = 9999;
    d.mcast_ttl = 5;
    d.mcast_group = Some("239.1.2.3".parse().unwrap());
    out.clear();
    encode(&Request::NewDaemon(d.clone()), FAM, 1, 0, &mut out).unwrap();
    let payload = hex("09 01 00 00
         40 00 03 80
         08 00 01 00 02 00 00 00
         09 00 02 00 65 74 68 30 00 00 00 00
         08 00 03 00 07 00 00 00
         06 00 04 00 e8 03 00 00
         06 00 07 00 0f 27 00 00
         05 00 08 00 05 00 00 00
         08 00 05 00 ef 01 02 03");
    let mut want = header(16 + payload.len() as u32, FAM, 0x005, 1, 0);
    want.extend_from_slice(&payload);
    assert_eq!(out, want);

    // IPv6 group.
    d.mcast_group = Some("ff02::1234".parse().unwrap());
    out.clear();
    encode(&Request::NewDaemon(d), FAM, 1, 0, &mut out).unwrap();
    let nest = find_attr(&out[20..], cmd_attr::DAEMON).unwrap().unwrap();
    let g6 = find_attr(nest, daemon_attr::MCAST_GROUP6).unwrap().unwrap();
    assert_eq!(g6, ip("ff02::1234"));
    assert!(find_attr(nest, daemon_attr::MCAST_GROUP).unwrap().is_none());

    // Stop: STATE, empty MCAST_IFN, SYNC_ID.
    out.clear();
    encode(
        &Request::DelDaemon(daemon(DaemonRole::Backup)),
        FAM,
        1,
        0,
        &mut out,
    )
    .unwrap();
    let payload = hex("0a 01 00 00
         1c 00 03 80
         08 00 01 00 02 00 00 00
         05 00 02 00 00 00 00 00
         08 00 03 00 07 00 00 00");
    let mut want = header(16 + payload.len() as u32, FAM, 0x005, 1, 0);
    want.extend_from_slice(&payload);
    assert_eq!(out, want);
}

#[test]
fn several_requests_in_one_buffer() {
    let mut out = Vec::new();
    encode(&Request::Flush, FAM, 1, 0, &mut out).unwrap();
    encode(
        &Request::NewService(svc_tcp("192.0.2.1", 80)),
        FAM,
        2,
        0,
        &mut out,
    )
    .unwrap();
    encode(
        &Request::Zero(Some(svc_tcp("192.0.2.1", 80).key())),
        FAM,
        3,
        0,
        &mut out,
    )
    .unwrap();
    let msgs = parse_messages(&out).unwrap();
    let seqs: Vec<u32> = msgs.iter().map(|m| m.seq()).collect();
    assert_eq!(seqs, [1, 2, 3]);
    match msgs[2] {
        Reply::Message {
            cmd: c, attrs: a, ..
        } => {
            assert_eq!(c, cmd::ZERO);
            let s = parse_service_msg(a).unwrap();
            assert_eq!(s.port, 80);
            assert_eq!(
                s.netmask,
                Netmask::Mask(std::net::Ipv4Addr::from_bits(0xffff_ffff))
            );
        }
        _ => panic!("not a message"),
    }
}

// ---- refusals -----------------------------------------------------------

/// A scheduler name long enough to wrap the 16-bit length of its attribute
/// and of the SERVICE nest, made of bytes that read as attributes: with
/// lengths cut to 16 bits the kernel would parse them as a FWMARK and more.
fn injecting_name() -> String {
    // Inner bytes: an 8-byte FWMARK attribute (type 5, value 0x41414141),
    // repeated; all ASCII so the name is a valid `String`.
    let one = "\u{8}\0\u{5}\0AAAA";
    let mut s = one.repeat(65539 / one.len() + 1);
    s.truncate(65539);
    s
}

#[test]
fn long_scheduler_name_is_refused_not_wrapped() {
    let mut s = svc_tcp("192.0.2.1", 80);
    s.sched_name = injecting_name();
    assert_eq!(s.sched_name.len(), 65539);
    // A message already in the buffer stays as it was.
    let mut out = Vec::new();
    encode(&Request::Flush, FAM, 1, 0, &mut out).unwrap();
    let before = out.clone();
    for req in [
        Request::NewService(s.clone()),
        Request::SetService(s.clone()),
    ] {
        assert_eq!(
            encode(&req, FAM, 2, 0, &mut out),
            Err(EncodeError::NameTooLong {
                what: "scheduler name",
                len: 65539,
                max: 15
            })
        );
        assert_eq!(out, before);
    }
}

/// The 16-bit check itself, below the name limits: an attribute or a nest
/// whose length does not fit `nla_len` is an error, never a wrapped length.
#[test]
fn attribute_and_nest_lengths_are_checked() {
    let mut out = Vec::new();
    let mut w = AttrWriter { out: &mut out };
    let name = injecting_name();
    assert_eq!(
        w.string(svc_attr::SCHED_NAME, &name),
        Err(EncodeError::AttributeTooLong {
            ty: svc_attr::SCHED_NAME,
            len: 4 + 65539 + 1
        })
    );
    assert_eq!(
        w.put(svc_attr::ADDR, &[0; 65532]),
        Err(EncodeError::AttributeTooLong {
            ty: svc_attr::ADDR,
            len: 65536
        })
    );
    // The largest attribute that fits is written with its exact length.
    let mut out = Vec::new();
    let mut w = AttrWriter { out: &mut out };
    w.put(svc_attr::ADDR, &[0; 65531]).unwrap();
    assert_eq!(rd_u16(&out, 0), 65535);
    // A nest of attributes that each fit but together do not.
    let mut out = Vec::new();
    let mut w = AttrWriter { out: &mut out };
    let nest = w.begin_nest(cmd_attr::SERVICE);
    w.put(svc_attr::ADDR, &[0; 40000]).unwrap();
    w.put(svc_attr::ADDR, &[0; 40000]).unwrap();
    assert_eq!(
        w.end_nest(nest),
        Err(EncodeError::AttributeTooLong {
            ty: cmd_attr::SERVICE,
            len: 4 + 2 * (4 + 40000)
        })
    );
}

/// Control: a name at the kernel's limit (15 bytes) encodes, and decodes
/// back as one SCHED_NAME, with no attribute of its own inside.
#[test]
fn longest_scheduler_name_round_trips() {
    let mut s = svc_tcp("192.0.2.1", 80);
    s.sched_name = "\u{8}\0\u{5}\0AAAAbcdefgh".into();
    assert_eq!(s.sched_name.len(), MAX_SCHED_NAME);
    let mut out = Vec::new();
    encode(&Request::NewService(s.clone()), FAM, 1, 0, &mut out).unwrap();
    let back = parse_service_msg(&out[20..]).unwrap();
    // The name decodes up to its first NUL, as the kernel reads it; the
    // service has no FWMARK, whatever the name holds.
    assert_eq!(back.sched_name, "\u{8}");
    assert_eq!(back.fwmark, 0);
    assert_eq!((back.port, back.addr), (80, s.addr));
    s.sched_name = "wlc-with-15-chr".into();
    out.clear();
    encode(&Request::NewService(s.clone()), FAM, 1, 0, &mut out).unwrap();
    assert_eq!(parse_service_msg(&out[20..]).unwrap(), s);
}

/// Each name's limit is the kernel policy's, which is also what the command
/// line cuts it to (so no command line ever meets these refusals).
#[test]
fn name_limits_are_the_kernels() {
    let enc = |req: Request| {
        let mut out = Vec::new();
        encode(&req, FAM, 1, 0, &mut out).map(|()| out.len())
    };
    let mut s = svc_tcp("192.0.2.1", 80);
    s.sched_name = "x".repeat(15);
    assert!(enc(Request::NewService(s.clone())).is_ok());
    s.sched_name = "x".repeat(16);
    assert_eq!(
        enc(Request::NewService(s.clone())),
        Err(EncodeError::NameTooLong {
            what: "scheduler name",
            len: 16,
            max: 15
        })
    );
    s.sched_name = "rr".into();
    s.pe_name = "p".repeat(16);
    assert!(enc(Request::NewService(s.clone())).is_ok());
    s.pe_name = "p".repeat(17);
    assert_eq!(
        enc(Request::NewService(s.clone())),
        Err(EncodeError::NameTooLong {
            what: "persistence engine name",
            len: 17,
            max: 16
        })
    );
    // Key-only requests carry no names.
    assert!(enc(Request::GetService(s.key())).is_ok());
    let mut d = daemon(DaemonRole::Master);
    d.mcast_ifn = "i".repeat(15);
    assert!(enc(Request::NewDaemon(d.clone())).is_ok());
    d.mcast_ifn = "i".repeat(16);
    assert_eq!(
        enc(Request::NewDaemon(d.clone())),
        Err(EncodeError::NameTooLong {
            what: "interface name",
            len: 16,
            max: 15
        })
    );
    // Stopping sends no interface name at all.
    assert!(enc(Request::DelDaemon(d)).is_ok());
}
