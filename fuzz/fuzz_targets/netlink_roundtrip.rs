//! decode(encode(x)) == x: a request built from arbitrary records, encoded
//! as ipvsadm encodes it, read back by the reply decoder gives the same
//! records (the fields the request carries; counters are not sent). A
//! request the encoder refuses (a name over the kernel's limit) is fine.
#![no_main]
use arbitrary::{Arbitrary, Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use lvs::model::{
    Daemon, DaemonRole, Dest, Family, Forward, Netmask, Protocol, Service, ServiceFlags, Stats, Timeouts,
    TunnelChecksum, TunnelType,
};
use lvs::netlink::decode::{
    messages, parse_config, parse_daemon_msg, parse_dest_msg, parse_service_msg, Reply,
};
use lvs::netlink::encode::encode;
use lvs::netlink::Request;
use std::net::IpAddr;
use std::time::Duration;

/// Family id used for the messages (any value a kernel may hand out).
const FAM: u16 = 0x24;

/// A name as the command line can give it: no NUL (the wire form is a C
/// string), at most 20 bytes over the longest limit so refusals happen too.
fn name(u: &mut Unstructured<'_>) -> Result<String> {
    let len = u.int_in_range(0..=36)?;
    let mut s = String::new();
    for _ in 0..len {
        let c = char::arbitrary(u)?;
        if c != '\0' {
            s.push(c);
        }
    }
    Ok(s)
}

fn af(u: &mut Unstructured<'_>) -> Result<Family> {
    Ok(if bool::arbitrary(u)? {
        Family::Inet6
    } else {
        Family::Inet
    })
}

fn addr(u: &mut Unstructured<'_>, af: Family) -> Result<IpAddr> {
    Ok(if af == Family::Inet6 {
        IpAddr::from(<[u8; 16]>::arbitrary(u)?)
    } else {
        IpAddr::from(<[u8; 4]>::arbitrary(u)?)
    })
}

fn service(u: &mut Unstructured<'_>) -> Result<Service> {
    let af = af(u)?;
    let mut s = Service::new(af);
    s.fwmark = if bool::arbitrary(u)? {
        u32::arbitrary(u)?
    } else {
        0
    };
    if s.fwmark == 0 {
        s.protocol = Protocol::from_number(u16::arbitrary(u)?);
        s.addr = addr(u, af)?;
        s.port = u16::arbitrary(u)?;
    }
    s.sched_name = name(u)?;
    s.pe_name = name(u)?;
    s.flags = ServiceFlags::from_bits(u32::arbitrary(u)?);
    s.timeout = std::time::Duration::from_secs(u64::from(u32::arbitrary(u)?));
    s.netmask = if af == Family::Inet6 {
        Netmask::Prefix(u32::arbitrary(u)?)
    } else {
        Netmask::Mask(u32::arbitrary(u)?.into())
    };
    Ok(s)
}

fn dest(u: &mut Unstructured<'_>) -> Result<Dest> {
    let af = af(u)?;
    Ok(Dest {
        family: af,
        addr: addr(u, af)?,
        port: u16::arbitrary(u)?,
        forward: Forward::from_number(u32::arbitrary(u)?),
        weight: i32::arbitrary(u)?,
        u_threshold: u32::arbitrary(u)?,
        l_threshold: u32::arbitrary(u)?,
        active_conns: 0,
        inact_conns: 0,
        persist_conns: 0,
        tun_type: TunnelType::from_number(u8::arbitrary(u)?),
        tun_port: u16::arbitrary(u)?,
        tun_checksum: TunnelChecksum::from_flags(u16::arbitrary(u)?),
        stats: Stats::default(),
    })
}

fn daemon(u: &mut Unstructured<'_>) -> Result<Daemon> {
    let group = match u.int_in_range(0..=2)? {
        0 => None,
        1 => Some(IpAddr::V4(<[u8; 4]>::arbitrary(u)?.into())),
        _ => Some(IpAddr::V6(<[u8; 16]>::arbitrary(u)?.into())),
    };
    Ok(Daemon {
        role: if bool::arbitrary(u)? {
            DaemonRole::Master
        } else {
            DaemonRole::Backup
        },
        mcast_ifn: name(u)?,
        syncid: u32::arbitrary(u)?,
        sync_maxlen: u16::arbitrary(u)?,
        mcast_group: group,
        mcast_port: u16::arbitrary(u)?,
        mcast_ttl: u8::arbitrary(u)?,
    })
}

fn request(u: &mut Unstructured<'_>) -> Result<Request> {
    Ok(match u.int_in_range(0..=8)? {
        0 => Request::NewService(service(u)?),
        1 => Request::SetService(service(u)?),
        2 => Request::DelService(service(u)?.key()),
        3 => Request::NewDest(service(u)?.key(), dest(u)?),
        4 => Request::SetDest(service(u)?.key(), dest(u)?),
        5 => Request::DelDest(service(u)?.key(), dest(u)?),
        6 => Request::SetConfig(Timeouts {
            tcp: Duration::from_secs(u64::from(u32::arbitrary(u)?)),
            tcp_fin: Duration::from_secs(u64::from(u32::arbitrary(u)?)),
            udp: Duration::from_secs(u64::from(u32::arbitrary(u)?)),
        }),
        7 => Request::NewDaemon(daemon(u)?),
        _ => Request::DelDaemon(daemon(u)?),
    })
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let Ok(req) = request(&mut u) else {
        return;
    };
    let (seq, pid) = (u32::arbitrary(&mut u).unwrap_or(1), 0);
    let mut out = Vec::new();
    if encode(&req, FAM, seq, pid, &mut out).is_err() {
        assert!(out.is_empty(), "a refused request left bytes behind");
        return;
    }
    let msgs: Vec<_> = messages(&out).collect();
    assert_eq!(msgs.len(), 1, "{req:?}");
    let Ok(Reply::Message {
        seq: s,
        msg_type,
        cmd,
        attrs,
        ..
    }) = msgs[0]
    else {
        panic!("{req:?} decoded as {:?}", msgs[0]);
    };
    assert_eq!((s, msg_type, cmd), (seq, FAM, req.cmd()));
    match &req {
        Request::NewService(svc) | Request::SetService(svc) => {
            assert_eq!(&parse_service_msg(attrs).unwrap(), svc);
        }
        Request::DelService(key) => assert_eq!(parse_service_msg(attrs).unwrap().key(), *key),
        Request::NewDest(key, d) | Request::SetDest(key, d) | Request::DelDest(key, d) => {
            assert_eq!(parse_service_msg(attrs).unwrap().key(), *key);
            assert_eq!(&parse_dest_msg(attrs, key.family()).unwrap(), d);
        }
        Request::SetConfig(t) => assert_eq!(&parse_config(attrs).unwrap(), t),
        // Zero fields are not sent, and absent ones decode as zero.
        Request::NewDaemon(d) => assert_eq!(parse_daemon_msg(attrs).unwrap().as_ref(), Some(d)),
        Request::DelDaemon(d) => {
            let want = Daemon {
                role: d.role,
                syncid: d.syncid,
                ..Daemon::default()
            };
            assert_eq!(parse_daemon_msg(attrs).unwrap(), Some(want));
        }
        _ => unreachable!(),
    }
});
