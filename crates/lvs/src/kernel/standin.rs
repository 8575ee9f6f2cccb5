//! A stand-in for the kernel's IPVS table, in memory.

use super::{Kernel, ProcTable};
use crate::model::*;
use crate::netlink::{Error, Op, Request};
use std::fmt::Write as _;

type Refusal = Box<dyn FnMut(&Request) -> Option<i32>>;

/// An IPVS table in memory that answers like the kernel does.
///
/// It keeps services (in the order they were added) with their real
/// servers, the timeouts and the sync daemons, and refuses requests with
/// the errno values the kernel uses: `EEXIST` for a service or real server
/// that exists, `ESRCH` for a missing service, `ENOENT` for a missing real
/// server or an unknown scheduler or persistence engine, `ERANGE` for a
/// negative weight or a lower threshold above the upper one,
/// `EAFNOSUPPORT` for a real server of another family that is not a tunnel.
/// Counters stay zero (there is no traffic) and the connection table is
/// empty. [`StandIn::refuse_when`] makes it refuse chosen requests, to test
/// how callers handle failures.
///
/// ```
/// use lvs::{Dest, Forward, Kernel, Service, ServiceKey, StandIn};
///
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mut kernel = StandIn::new();
/// let key = ServiceKey::tcp("192.0.2.1:80".parse()?);
/// kernel.add_service(&Service::with_key(&key, "rr"))?;
/// let mut dest = Dest::with_addr("198.51.100.1:80".parse()?, Forward::Masq);
/// dest.weight = 2;
/// kernel.add_dest(&key, &dest)?;
///
/// // What the kernel would answer: the service with its real server...
/// let services = kernel.services()?;
/// assert_eq!(services.len(), 1);
/// assert_eq!(services[0].key().to_string(), "-t 192.0.2.1:80");
/// assert_eq!(kernel.dests(&services[0].key())?[0].weight, 2);
/// // ...and the kernel's refusal of the same service twice (EEXIST),
/// // worded as ipvsadm words it.
/// let again = kernel.add_service(&Service::with_key(&key, "rr")).unwrap_err();
/// assert_eq!(again.errno(), libc::EEXIST);
/// assert_eq!(again.to_string(), "Service already exists");
/// # Ok(())
/// # }
/// ```
pub struct StandIn {
    services: Vec<(Service, Vec<Dest>)>,
    timeouts: Timeouts,
    daemons: Vec<Daemon>,
    refusal: Option<Refusal>,
    /// Every request executed (accepted or refused), in order.
    pub log: Vec<Request>,
}

/// The table and the log; a refusal rule shows only as present or not.
impl std::fmt::Debug for StandIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StandIn")
            .field("services", &self.services)
            .field("timeouts", &self.timeouts)
            .field("daemons", &self.daemons)
            .field("refusal", &self.refusal.is_some())
            .field("log", &self.log)
            .finish()
    }
}

impl Default for StandIn {
    fn default() -> Self {
        StandIn::new()
    }
}

impl StandIn {
    /// An empty table with the kernel's default timeouts (900 120 300).
    pub fn new() -> StandIn {
        StandIn {
            services: Vec::new(),
            timeouts: Timeouts {
                tcp: std::time::Duration::from_secs(900),
                tcp_fin: std::time::Duration::from_secs(120),
                udp: std::time::Duration::from_secs(300),
            },
            daemons: Vec::new(),
            refusal: None,
            log: Vec::new(),
        }
    }

    /// Refuse every request for which `f` returns an errno (checked before
    /// the request's own rules).
    pub fn refuse_when(&mut self, f: impl FnMut(&Request) -> Option<i32> + 'static) {
        self.refusal = Some(Box::new(f));
    }

    /// The table as (service, real servers) pairs, in the order listed.
    pub fn table(&self) -> &[(Service, Vec<Dest>)] {
        &self.services
    }

    fn find(&self, k: &ServiceKey) -> Option<usize> {
        self.services.iter().position(|(s, _)| s.key() == *k)
    }

    fn apply(&mut self, req: &Request) -> Result<(), i32> {
        match req {
            Request::NewService(s) => {
                check_service(s)?;
                if self.find(&s.key()).is_some() {
                    return Err(libc::EEXIST);
                }
                let mut s = s.clone();
                s.flags |= ServiceFlags::HASHED;
                s.stats = Stats::default();
                self.services.push((s, Vec::new()));
            }
            Request::SetService(s) => {
                let i = self.find(&s.key()).ok_or(libc::ESRCH)?;
                check_service(s)?;
                let live = &mut self.services[i].0;
                live.sched_name = s.sched_name.clone();
                live.pe_name = s.pe_name.clone();
                live.flags = s.flags | ServiceFlags::HASHED;
                live.timeout = s.timeout;
                live.netmask = s.netmask;
            }
            Request::DelService(s) => {
                let i = self.find(s).ok_or(libc::ESRCH)?;
                self.services.remove(i);
            }
            Request::Flush => self.services.clear(),
            Request::Zero(None) => {
                for (s, ds) in &mut self.services {
                    s.stats = Stats::default();
                    ds.iter_mut().for_each(|d| d.stats = Stats::default());
                }
            }
            Request::Zero(Some(s)) => {
                let i = self.find(s).ok_or(libc::ESRCH)?;
                let (s, ds) = &mut self.services[i];
                s.stats = Stats::default();
                ds.iter_mut().for_each(|d| d.stats = Stats::default());
            }
            Request::NewDest(s, d) => {
                let i = self.find(s).ok_or(libc::ESRCH)?;
                check_dest(&self.services[i].0, d)?;
                let ds = &mut self.services[i].1;
                if ds.iter().any(|x| x.key() == d.key()) {
                    return Err(libc::EEXIST);
                }
                let mut d = d.clone();
                d.active_conns = 0;
                d.inact_conns = 0;
                d.persist_conns = 0;
                d.stats = Stats::default();
                ds.push(d);
            }
            Request::SetDest(s, d) => {
                let i = self.find(s).ok_or(libc::ESRCH)?;
                check_dest(&self.services[i].0, d)?;
                let live = self.services[i]
                    .1
                    .iter_mut()
                    .find(|x| x.key() == d.key())
                    .ok_or(libc::ENOENT)?;
                live.forward = d.forward;
                live.weight = d.weight;
                live.u_threshold = d.u_threshold;
                live.l_threshold = d.l_threshold;
                live.tun_type = d.tun_type;
                live.tun_port = d.tun_port;
                live.tun_checksum = d.tun_checksum;
            }
            Request::DelDest(s, d) => {
                let i = self.find(s).ok_or(libc::ESRCH)?;
                let ds = &mut self.services[i].1;
                let j = ds
                    .iter()
                    .position(|x| x.key() == d.key())
                    .ok_or(libc::ENOENT)?;
                ds.remove(j);
            }
            Request::SetConfig(t) => {
                if !t.tcp.is_zero() {
                    self.timeouts.tcp = t.tcp;
                }
                if !t.tcp_fin.is_zero() {
                    self.timeouts.tcp_fin = t.tcp_fin;
                }
                if !t.udp.is_zero() {
                    self.timeouts.udp = t.udp;
                }
            }
            Request::NewDaemon(d) => {
                if self.daemons.iter().any(|x| x.role == d.role) {
                    return Err(libc::EEXIST);
                }
                let mut d = d.clone();
                if d.sync_maxlen == 0 {
                    d.sync_maxlen = 1472;
                }
                if d.mcast_port == 0 {
                    d.mcast_port = 8848;
                }
                if d.mcast_ttl == 0 {
                    d.mcast_ttl = 1;
                }
                self.daemons.push(d);
            }
            Request::DelDaemon(d) => {
                let i = self
                    .daemons
                    .iter()
                    .position(|x| x.role == d.role)
                    .ok_or(libc::ESRCH)?;
                self.daemons.remove(i);
            }
            Request::GetInfo
            | Request::GetServices
            | Request::GetService(_)
            | Request::GetDests(_)
            | Request::GetConfig
            | Request::GetDaemons => {}
        }
        Ok(())
    }
}

fn check_service(s: &Service) -> Result<(), i32> {
    if s.fwmark == 0 && matches!(s.protocol, Protocol::Other(_)) {
        return Err(libc::EPROTONOSUPPORT);
    }
    if !SCHEDULERS.contains(&s.sched_name.as_str()) {
        return Err(libc::ENOENT);
    }
    if !s.pe_name.is_empty() && !PERSISTENCE_ENGINES.contains(&s.pe_name.as_str()) {
        return Err(libc::ENOENT);
    }
    Ok(())
}

fn check_dest(svc: &Service, d: &Dest) -> Result<(), i32> {
    if d.weight < 0 {
        return Err(libc::ERANGE);
    }
    if d.l_threshold > d.u_threshold {
        return Err(libc::ERANGE);
    }
    if d.family != svc.family && !d.is_tunnel() {
        return Err(libc::EAFNOSUPPORT);
    }
    Ok(())
}

/// `%08X:%04X` or `[full IPv6]:%04X`, as the kernel's proc table writes.
fn proc_addr(af: Family, raw: &RawAddr, port: u16, out: &mut String) {
    if af == Family::Inet6 {
        out.push('[');
        for (i, pair) in raw.chunks(2).enumerate() {
            if i > 0 {
                out.push(':');
            }
            let _ = write!(out, "{:02x}{:02x}", pair[0], pair[1]);
        }
        let _ = write!(out, "]:{port:04X}");
    } else {
        let _ = write!(
            out,
            "{:08X}:{port:04X}",
            u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]])
        );
    }
}

impl Kernel for StandIn {
    fn info(&self) -> Info {
        Info {
            version: 0x010201,
            conn_tab_size: 4096,
        }
    }

    fn services(&mut self) -> Result<Vec<Service>, Error> {
        Ok(self.services.iter().map(|(s, _)| s.clone()).collect())
    }

    fn service(&mut self, key: &ServiceKey) -> Result<Service, Error> {
        let i = self
            .find(key)
            .ok_or(Error::kernel(Op::GetService, libc::ESRCH))?;
        Ok(self.services[i].0.clone())
    }

    fn dests_into(&mut self, key: &ServiceKey, out: &mut Vec<Dest>) -> Result<(), Error> {
        let i = self
            .find(key)
            .ok_or(Error::kernel(Op::GetDests, libc::ESRCH))?;
        out.clear();
        out.extend(self.services[i].1.iter().cloned());
        Ok(())
    }

    fn timeouts(&mut self) -> Result<Timeouts, Error> {
        Ok(self.timeouts)
    }

    fn daemons(&mut self) -> Result<Vec<Daemon>, Error> {
        Ok(self.daemons.clone())
    }

    fn execute(&mut self, req: &Request) -> Result<(), Error> {
        self.log.push(req.clone());
        if let Some(f) = self.refusal.as_mut() {
            if let Some(errno) = f(req) {
                return Err(Error::kernel(req.op(), errno));
            }
        }
        self.apply(req)
            .map_err(|errno| Error::kernel(req.op(), errno))
    }

    fn read_proc(&mut self, table: ProcTable) -> std::io::Result<Vec<u8>> {
        let mut t = String::new();
        match table {
            ProcTable::Connections => {
                t.push_str("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n");
            }
            ProcTable::Services => {
                t.push_str("IP Virtual Server version 1.2.1 (size=4096)\n");
                t.push_str("Prot LocalAddress:Port Scheduler Flags\n");
                t.push_str("  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n");
                for (s, ds) in &self.services {
                    if s.fwmark != 0 {
                        let _ = write!(t, "FWM  {:08X} {} ", s.fwmark, s.sched_name);
                    } else {
                        let label = s.protocol.label().unwrap_or("?");
                        let _ = write!(t, "{label}  ");
                        proc_addr(s.family, &raw_from_ip(s.addr), s.port, &mut t);
                        let _ = write!(t, " {} ", s.sched_name);
                    }
                    if s.is_persistent() {
                        let _ = write!(
                            t,
                            "persistent {} {:08X}",
                            s.timeout.as_secs(),
                            s.netmask.bits()
                        );
                    }
                    t.push('\n');
                    for d in ds {
                        t.push_str("  -> ");
                        proc_addr(d.family, &raw_from_ip(d.addr), d.port, &mut t);
                        let fwd = d.forward.label().unwrap_or("?");
                        let _ = writeln!(
                            t,
                            "      {fwd:<7} {:<6} {:<10} {:<10}",
                            d.weight, d.active_conns, d.inact_conns
                        );
                    }
                }
            }
        }
        Ok(t.into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(addr: &str) -> Service {
        Service::with_key(&ServiceKey::tcp(addr.parse().unwrap()), "rr")
    }

    #[test]
    fn refuses_like_the_kernel() {
        let mut k = StandIn::new();
        let s = svc("192.0.2.1:80");
        k.add_service(&s).unwrap();
        assert_eq!(k.add_service(&s).unwrap_err().errno(), libc::EEXIST);
        let mut bad = svc("192.0.2.2:80");
        bad.sched_name = "wrrr".into();
        assert_eq!(k.add_service(&bad).unwrap_err().errno(), libc::ENOENT);
        let key = s.key();
        let d = Dest::with_addr("198.51.100.1:80".parse().unwrap(), Forward::Masq);
        k.add_dest(&key, &d).unwrap();
        assert_eq!(k.add_dest(&key, &d).unwrap_err().errno(), libc::EEXIST);
        let other = ServiceKey::tcp("192.0.2.9:80".parse().unwrap());
        assert_eq!(k.add_dest(&other, &d).unwrap_err().errno(), libc::ESRCH);
        let mut t = d.clone();
        t.l_threshold = 5;
        assert_eq!(k.edit_dest(&key, &t).unwrap_err().errno(), libc::ERANGE);
        assert_eq!(
            k.del_dest(&key, "198.51.100.7:80".parse().unwrap())
                .unwrap_err()
                .errno(),
            libc::ENOENT
        );
        k.del_dest(&key, d.socket_addr()).unwrap();
        k.del_service(&key).unwrap();
        assert_eq!(k.del_service(&key).unwrap_err().errno(), libc::ESRCH);
    }

    #[test]
    fn proc_table_parses_back() {
        let mut k = StandIn::new();
        let s = svc("192.0.2.1:80");
        k.add_service(&s).unwrap();
        let d6 = {
            let mut d = Dest::with_addr("[2001:db8::12]:80".parse().unwrap(), Forward::Tunnel);
            d.weight = 3;
            d
        };
        k.add_dest(&s.key(), &d6).unwrap();
        let f = Service::with_key(&ServiceKey::fwmark(9), "wlc");
        k.add_service(&f).unwrap();
        let text = String::from_utf8(k.read_proc(ProcTable::Services).unwrap()).unwrap();
        let t = crate::procfs::parse(&text);
        let d = t.dests(&s.key()).unwrap();
        assert_eq!(
            (d[0].addr, d[0].forward, d[0].weight),
            (d6.addr, Forward::Tunnel, 3)
        );
        assert!(t.dests(&f.key()).unwrap().is_empty());
    }
}
