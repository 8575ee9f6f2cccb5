//! Tests against a real IPVS kernel (the qemu guest of the test harness);
//! ignored by default: `cargo test -- --ignored live`, as root, with the
//! `ip_vs`, `ip_vs_rr` and `dummy` modules loaded and `dummy0` up.
//! `guest-live.sh` next to this file runs `live_netns` and `live_ipvs` in
//! the guest with that setup. The
//! `live_scale_*` ones are timing helpers: populate 10000 services x 4
//! destinations, then list them, printing the times.

use crate::model::*;
use crate::netlink::{Ipvs, Request};
use std::time::{Duration, Instant};

fn ip(s: &str) -> std::net::IpAddr {
    s.parse().unwrap()
}

fn svc(addr: &str, port: u16) -> Service {
    let mut s = Service::new(Family::Inet);
    s.protocol = Protocol::Tcp;
    s.addr = ip(addr);
    s.port = port;
    s.sched_name = "rr".into();
    s
}

fn dest(addr: &str, port: u16) -> Dest {
    let mut d = Dest::new(if addr.contains(':') {
        Family::Inet6
    } else {
        Family::Inet
    });
    d.addr = ip(addr);
    d.port = port;
    d
}

#[test]
#[ignore]
fn live_ipvs() {
    let mut ipvs = Ipvs::open().expect("open");
    assert_eq!(ipvs.info().version, 0x010201);
    println!("info {:?}", ipvs.info());
    ipvs.execute(&Request::Flush).unwrap();
    assert!(ipvs.services().unwrap().is_empty());

    // -A -t 192.0.2.100:80 -s rr -p 100 -M 255.255.255.0
    let mut s = svc("192.0.2.100", 80);
    s.flags = ServiceFlags::PERSISTENT;
    s.timeout = Duration::from_secs(100);
    s.netmask = Netmask::Mask(std::net::Ipv4Addr::from_bits(0xffff_ff00));
    ipvs.execute(&Request::NewService(s.clone())).unwrap();
    let e = ipvs.execute(&Request::NewService(s.clone())).unwrap_err();
    assert_eq!(e.errno(), libc::EEXIST);
    let mut bad = svc("192.0.2.101", 80);
    bad.sched_name = "nosuch".into();
    let e = ipvs.execute(&Request::NewService(bad)).unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
    let list = ipvs.services().unwrap();
    assert_eq!(list.len(), 1);
    let got = &list[0];
    assert_eq!(got.sched_name, "rr");
    assert_eq!(got.flags, ServiceFlags::PERSISTENT | ServiceFlags::HASHED);
    assert_eq!(
        (got.timeout, got.netmask, got.port),
        (
            Duration::from_secs(100),
            Netmask::Mask([255, 255, 255, 0].into()),
            80
        )
    );
    assert_eq!(got.addr, s.addr);

    // do-GET by key, and a missing key.
    let one = ipvs.service(&svc("192.0.2.100", 80).key()).unwrap();
    assert_eq!(&one, got);
    let e = ipvs.service(&svc("192.0.2.100", 81).key()).unwrap_err();
    assert_eq!(e.errno(), libc::ESRCH);

    // -a ... -m -w 2 -x 10 -y 5 and a GUE tunnel dest of another family.
    let key = svc("192.0.2.100", 80);
    let mut d = dest("198.51.100.50", 8080);
    d.forward = Forward::Masq;
    d.weight = 2;
    d.u_threshold = 10;
    d.l_threshold = 5;
    ipvs.execute(&Request::NewDest(key.key(), d.clone()))
        .unwrap();
    let e = ipvs
        .execute(&Request::NewDest(key.key(), d.clone()))
        .unwrap_err();
    assert_eq!(e.errno(), libc::EEXIST);
    let mut t = dest("2001:db8::5", 80);
    t.forward = Forward::Tunnel;
    t.tun_type = TunnelType::Gue;
    t.tun_port = 6080;
    t.tun_checksum = TunnelChecksum::Csum;
    ipvs.execute(&Request::NewDest(key.key(), t.clone()))
        .unwrap();
    let mut x = d.clone();
    x.l_threshold = 50;
    let e = ipvs.execute(&Request::SetDest(key.key(), x)).unwrap_err();
    assert_eq!(e.errno(), libc::ERANGE);
    let ds = ipvs.dests(&key.key()).unwrap();
    println!("dests {ds:?}");
    assert_eq!(ds.len(), 2);
    let m = ds.iter().find(|x| x.family == Family::Inet).unwrap();
    assert_eq!(
        (m.addr, m.port, m.forward, m.weight),
        (d.addr, 8080, Forward::Masq, 2)
    );
    assert_eq!((m.u_threshold, m.l_threshold), (10, 5));
    let g = ds.iter().find(|x| x.family == Family::Inet6).unwrap();
    assert_eq!(
        (
            g.addr,
            g.forward.method(),
            g.tun_type,
            g.tun_port,
            g.tun_checksum
        ),
        (
            t.addr,
            Forward::Tunnel,
            TunnelType::Gue,
            6080,
            TunnelChecksum::Csum
        )
    );
    // dests of a missing service: empty dump, no error.
    assert!(ipvs.dests(&svc("192.0.2.99", 1).key()).unwrap().is_empty());

    // IPv6 and fwmark services.
    let mut v6 = Service::new(Family::Inet6);
    v6.protocol = Protocol::Udp;
    v6.addr = ip("2001:db8::1");
    v6.port = 53;
    v6.sched_name = "wlc".into();
    v6.flags = ServiceFlags::PERSISTENT;
    v6.timeout = Duration::from_secs(360);
    v6.netmask = Netmask::Prefix(64);
    ipvs.execute(&Request::NewService(v6.clone())).unwrap();
    let mut fw = Service::new(Family::Inet);
    fw.fwmark = 7;
    fw.sched_name = "rr".into();
    ipvs.execute(&Request::NewService(fw.clone())).unwrap();
    let list = ipvs.services().unwrap();
    assert_eq!(list.len(), 3);
    let g6 = list.iter().find(|s| s.family == Family::Inet6).unwrap();
    assert_eq!(
        (g6.netmask, g6.port, g6.protocol),
        (Netmask::Prefix(64), 53, Protocol::Udp)
    );
    let gf = list.iter().find(|s| s.fwmark == 7).unwrap();
    assert_eq!(gf.protocol, Protocol::Other(0));
    assert_eq!(ipvs.service(&fw.key()).unwrap().fwmark, 7);

    // Set / del / zero.
    let mut e2 = svc("192.0.2.100", 80);
    e2.sched_name = "wlc".into();
    ipvs.execute(&Request::SetService(e2)).unwrap();
    assert_eq!(
        ipvs.service(&key.key()).unwrap().flags,
        ServiceFlags::HASHED
    );
    let e = ipvs
        .execute(&Request::SetService(svc("192.0.2.9", 80)))
        .unwrap_err();
    assert_eq!(e.errno(), libc::ESRCH);
    ipvs.execute(&Request::Zero(Some(key.key()))).unwrap();
    ipvs.execute(&Request::Zero(None)).unwrap();
    let e = ipvs
        .execute(&Request::Zero(Some(svc("192.0.2.9", 80).key())))
        .unwrap_err();
    assert_eq!(e.errno(), libc::ESRCH);
    ipvs.execute(&Request::DelDest(key.key(), d.clone()))
        .unwrap();
    let e = ipvs.execute(&Request::DelDest(key.key(), d)).unwrap_err();
    assert_eq!(e.errno(), libc::ENOENT);
    ipvs.execute(&Request::DelService(fw.key())).unwrap();

    // Timeouts.
    let t0 = ipvs.timeouts().unwrap();
    assert_eq!(
        t0,
        Timeouts {
            tcp: std::time::Duration::from_secs(900),
            tcp_fin: std::time::Duration::from_secs(120),
            udp: std::time::Duration::from_secs(300)
        }
    );
    ipvs.execute(&Request::SetConfig(Timeouts {
        tcp: std::time::Duration::from_secs(0),
        tcp_fin: std::time::Duration::from_secs(5),
        udp: std::time::Duration::from_secs(0),
    }))
    .unwrap();
    assert_eq!(
        ipvs.timeouts().unwrap(),
        Timeouts {
            tcp: std::time::Duration::from_secs(900),
            tcp_fin: std::time::Duration::from_secs(5),
            udp: std::time::Duration::from_secs(300)
        }
    );
    ipvs.execute(&Request::SetConfig(t0)).unwrap();

    // Sync daemons (refused with EINVAL while mixed-family dests exist).
    ipvs.execute(&Request::Flush).unwrap();
    assert!(ipvs.daemons().unwrap().is_empty());
    let master = Daemon {
        role: DaemonRole::Master,
        mcast_ifn: "dummy0".into(),
        syncid: 0,
        sync_maxlen: 0,
        mcast_group: None,
        mcast_port: 0,
        mcast_ttl: 0,
    };
    let backup = Daemon {
        role: DaemonRole::Backup,
        syncid: 7,
        sync_maxlen: 1000,
        mcast_group: Some("ff02::1234".parse().unwrap()),
        mcast_port: 9999,
        mcast_ttl: 5,
        ..master.clone()
    };
    let mut bad = master.clone();
    bad.mcast_ifn = "nosuch0".into();
    assert_eq!(
        ipvs.execute(&Request::NewDaemon(bad)).unwrap_err().errno(),
        libc::ENODEV
    );
    ipvs.execute(&Request::NewDaemon(master.clone())).unwrap();
    assert_eq!(
        ipvs.execute(&Request::NewDaemon(master.clone()))
            .unwrap_err()
            .errno(),
        libc::EEXIST
    );
    ipvs.execute(&Request::NewDaemon(backup.clone())).unwrap();
    // Let the sync threads start: stopping one that never ran makes the
    // kernel skip the ACK (reported as EINTR after the receive timeout).
    std::thread::sleep(std::time::Duration::from_secs(2));
    let ds = ipvs.daemons().unwrap();
    println!("daemons {ds:?}");
    assert_eq!(ds.len(), 2);
    assert_eq!(ds[0].role, DaemonRole::Master);
    assert_eq!(ds[0].mcast_group, Some("224.0.0.81".parse().unwrap()));
    assert_eq!(ds[0].mcast_port, 8848);
    assert_eq!(ds[1].mcast_group, backup.mcast_group);
    assert_eq!(
        (ds[1].syncid, ds[1].mcast_port, ds[1].mcast_ttl),
        (7, 9999, 5)
    );
    let mut stop = backup.clone();
    stop.mcast_ifn = String::new();
    ipvs.execute(&Request::DelDaemon(stop.clone())).unwrap();
    assert_eq!(
        ipvs.execute(&Request::DelDaemon(stop)).unwrap_err().errno(),
        libc::ESRCH
    );
    ipvs.execute(&Request::DelDaemon(master)).unwrap();

    // Pipelined batch with errors at known places.
    ipvs.execute(&Request::Flush).unwrap();
    let n_svc = 2500usize;
    let mut reqs = Vec::new();
    let mut svcs = Vec::new();
    for i in 0..n_svc {
        let s = svc(&format!("192.0.2.{}", i % 250 + 1), 1000 + (i / 250) as u16);
        reqs.push(Request::NewService(s.clone()));
        for j in 0..4u16 {
            reqs.push(Request::NewDest(
                s.key(),
                dest(&format!("198.51.100.{}", j + 1), 80),
            ));
        }
        svcs.push(s);
    }
    let dup_at = 7777;
    reqs.insert(dup_at, reqs[dup_at - 1].clone()); // a duplicate → EEXIST exactly there
    reqs.insert(
        9001,
        Request::DelDest(svc("192.0.2.9", 1).key(), dest("198.51.100.1", 80)),
    );
    let t = Instant::now();
    let res = ipvs.execute_batch(&reqs);
    println!("batch of {} in {:?}", reqs.len(), t.elapsed());
    for (i, r) in res.iter().enumerate() {
        match i {
            i if i == dup_at => assert_eq!(r.as_ref().unwrap_err().errno(), libc::EEXIST, "at {i}"),
            9001 => assert_eq!(r.as_ref().unwrap_err().errno(), libc::ESRCH, "at {i}"),
            _ => assert!(r.is_ok(), "at {i}: {r:?}"),
        }
    }
    let t = Instant::now();
    let list = ipvs.services().unwrap();
    let all = ipvs.dests_many(&ServiceKey::of_each(&list)).unwrap();
    println!(
        "listed {} services / {} dests in {:?}",
        list.len(),
        all.iter().map(Vec::len).sum::<usize>(),
        t.elapsed()
    );
    assert_eq!(list.len(), n_svc);
    assert!(all.iter().all(|d| d.len() == 4));
    let mine = ipvs.dests_many(&ServiceKey::of_each(&svcs)).unwrap();
    assert!(mine.iter().all(|d| d.len() == 4));
    ipvs.execute(&Request::Flush).unwrap();
    println!("LIVE OK");
}

#[test]
#[ignore]
fn live_scale_populate() {
    let mut ipvs = Ipvs::open().expect("open");
    ipvs.execute(&Request::Flush).unwrap();
    let mut reqs = Vec::new();
    for i in 0..10_000u32 {
        let mut s = Service::new(Family::Inet);
        s.protocol = Protocol::Tcp;
        s.addr = std::net::IpAddr::V4(std::net::Ipv4Addr::from(0x0a00_0000 + i));
        s.port = 80;
        s.sched_name = "wlc".into();
        reqs.push(Request::NewService(s.clone()));
        for j in 0..4u8 {
            let mut d = Dest::new(Family::Inet);
            d.addr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, j + 1));
            d.port = 80;
            d.forward = Forward::Masq;
            reqs.push(Request::NewDest(s.key(), d));
        }
    }
    let t = Instant::now();
    let res = ipvs.execute_batch(&reqs);
    println!("populate {} requests: {:?}", reqs.len(), t.elapsed());
    assert!(res.iter().all(|r| r.is_ok()));
}

#[test]
#[ignore]
fn live_scale_list() {
    let t = Instant::now();
    let mut ipvs = Ipvs::open().expect("open");
    let list = ipvs.services().unwrap();
    let t1 = t.elapsed();
    let all = ipvs.dests_many(&ServiceKey::of_each(&list)).unwrap();
    println!(
        "list {} services ({:?}) / {} dests: {:?}",
        list.len(),
        t1,
        all.iter().map(Vec::len).sum::<usize>(),
        t.elapsed()
    );
}

/// A handle opened in another network namespace, without moving the
/// calling thread (run in the guest by `guest-live.sh`, as root, with the
/// namespace `lvsadm-nltest` holding the one service `-t 192.0.2.77:80`
/// and the initial namespace holding none).
#[test]
#[ignore]
fn live_netns() {
    let me = || std::fs::read_link("/proc/thread-self/ns/net").unwrap();
    let before = me();
    let key = svc("192.0.2.77", 80);
    let mut inside = Ipvs::open_in_named_netns("lvsadm-nltest").expect("open in netns");
    assert_eq!(me(), before, "the calling thread moved");
    // Twice: the dump socket made in the namespace is kept and reused.
    for _ in 0..2 {
        let list = inside.services().unwrap();
        assert_eq!(list.len(), 1, "{list:?}");
        assert_eq!((list[0].addr, list[0].port), (key.addr, 80));
    }
    // Control: the initial namespace does not have it.
    let mut outside = Ipvs::open().expect("open");
    assert!(outside.services().unwrap().is_empty());
    assert_eq!(
        outside.service(&key.key()).unwrap_err().errno(),
        libc::ESRCH
    );
    // Changes through the handle land in its namespace.
    let mut d = dest("198.51.100.77", 8080);
    d.forward = Forward::Masq;
    inside.execute(&Request::NewDest(key.key(), d)).unwrap();
    assert_eq!(inside.dests(&key.key()).unwrap().len(), 1);
    let mut other = svc("192.0.2.78", 443);
    other.sched_name = "rr".into();
    let res = inside.execute_batch(&[Request::NewService(other.clone())]);
    assert!(res[0].is_ok(), "{res:?}");
    assert_eq!(inside.services().unwrap().len(), 2);
    assert!(outside.services().unwrap().is_empty());
    // By path too; a missing namespace and a bad name are errors.
    let mut by_path = Ipvs::open_in_netns("/run/netns/lvsadm-nltest").unwrap();
    assert_eq!(by_path.services().unwrap().len(), 2);
    assert!(matches!(
        Ipvs::open_in_named_netns("lvsadm-no-such-ns"),
        Err(crate::netlink::Error::Namespace { .. })
    ));
    assert!(matches!(
        Ipvs::open_in_named_netns("../x"),
        Err(crate::netlink::Error::Namespace { .. })
    ));
    assert_eq!(me(), before);
    println!("NETNS OK");
}
