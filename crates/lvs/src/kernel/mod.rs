//! The kernel's IPVS table behind one trait.
//!
//! [`Kernel`] is every operation lvsadm performs on the kernel: the
//! listings, the requests, and the two proc tables
//! (`/proc/net/ip_vs`, `/proc/net/ip_vs_conn`) that some listings read.
//! [`Ipvs`](crate::netlink::Ipvs) implements it over generic netlink;
//! [`StandIn`] implements it in memory with the kernel's rules (the same
//! refusals with the same errno values), so that listing, restore and apply
//! are tested without a kernel.
//!
//! The typed operations ([`Kernel::add_service`], [`Kernel::del_dest`]...)
//! are provided methods built on [`Kernel::execute`]; they take typed keys
//! ([`ServiceKey`]) rather than hand-built requests.

mod standin;

pub use standin::StandIn;

use crate::model::*;
use crate::netlink::{Error, Request};
use std::net::SocketAddr;

/// One of the kernel's IPVS proc tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcTable {
    /// `/proc/net/ip_vs`: services with their real servers and counts.
    Services,
    /// `/proc/net/ip_vs_conn`: the connection table.
    Connections,
}

impl ProcTable {
    /// The file's path (of the calling thread's network namespace).
    pub fn path(self) -> &'static str {
        match self {
            ProcTable::Services => "/proc/net/ip_vs",
            ProcTable::Connections => "/proc/net/ip_vs_conn",
        }
    }
}

/// A handle on an IPVS table: the kernel's, or a [`StandIn`].
///
/// Errors are [`Error`]s carrying the errno the kernel returned;
/// [`crate::netlink::ipvs_strerror`] words them as ipvsadm does.
pub trait Kernel {
    /// The IPVS version and connection hash table size.
    fn info(&self) -> Info;

    /// Every virtual service, in the kernel's order.
    fn services(&mut self) -> Result<Vec<Service>, Error>;

    /// One service by its key (`ESRCH` when there is none).
    fn service(&mut self, key: &ServiceKey) -> Result<Service, Error>;

    /// The real servers of the service `key` names, into `out` (cleared first).
    fn dests_into(&mut self, key: &ServiceKey, out: &mut Vec<Dest>) -> Result<(), Error>;

    /// The real servers of each service of `keys`, in order.
    fn dests_many(&mut self, keys: &[ServiceKey]) -> Result<Vec<Vec<Dest>>, Error> {
        keys.iter().map(|k| self.dests(k)).collect()
    }

    /// The real servers of the service `key` names.
    fn dests(&mut self, key: &ServiceKey) -> Result<Vec<Dest>, Error> {
        let mut v = Vec::new();
        self.dests_into(key, &mut v)?;
        Ok(v)
    }

    /// The connection timeouts (`--set`).
    fn timeouts(&mut self) -> Result<Timeouts, Error>;

    /// The running sync daemons.
    fn daemons(&mut self) -> Result<Vec<Daemon>, Error>;

    /// Send one request and wait for its acknowledgement.
    fn execute(&mut self, req: &Request) -> Result<(), Error>;

    /// Send several requests; one result per request, in order. The
    /// kernel acts on each independently (a refused request does not stop
    /// the ones after it).
    fn execute_batch(&mut self, reqs: &[Request]) -> Vec<Result<(), Error>> {
        reqs.iter().map(|r| self.execute(r)).collect()
    }

    /// The text of one of the proc tables.
    fn read_proc(&mut self, table: ProcTable) -> std::io::Result<Vec<u8>>;

    /// `-A`: add a service (`EEXIST` if it exists, `ENOENT` for an unknown
    /// scheduler or persistence engine).
    fn add_service(&mut self, svc: &Service) -> Result<(), Error> {
        self.execute(&Request::NewService(svc.clone()))
    }

    /// `-E`: replace every setting of a service.
    fn edit_service(&mut self, svc: &Service) -> Result<(), Error> {
        self.execute(&Request::SetService(svc.clone()))
    }

    /// `-D`: delete a service and its real servers.
    fn del_service(&mut self, key: &ServiceKey) -> Result<(), Error> {
        self.execute(&Request::del_service(key))
    }

    /// `-a`: add a real server to a service.
    fn add_dest(&mut self, key: &ServiceKey, dest: &Dest) -> Result<(), Error> {
        self.execute(&Request::new_dest(key, dest))
    }

    /// `-e`: replace every setting of a real server.
    fn edit_dest(&mut self, key: &ServiceKey, dest: &Dest) -> Result<(), Error> {
        self.execute(&Request::set_dest(key, dest))
    }

    /// `-d`: delete a real server.
    fn del_dest(&mut self, key: &ServiceKey, addr: SocketAddr) -> Result<(), Error> {
        self.execute(&Request::del_dest(key, addr))
    }

    /// `-Z`: zero the counters of one service, or of all (`None`).
    fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), Error> {
        self.execute(&Request::zero(key))
    }

    /// `-C`: delete every service.
    fn flush(&mut self) -> Result<(), Error> {
        self.execute(&Request::Flush)
    }

    /// `--set`: change the timeouts (0 keeps a value).
    fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), Error> {
        self.execute(&Request::SetConfig(*t))
    }

    /// `--start-daemon`.
    fn start_daemon(&mut self, d: &Daemon) -> Result<(), Error> {
        self.execute(&Request::NewDaemon(d.clone()))
    }

    /// `--stop-daemon`.
    fn stop_daemon(&mut self, role: DaemonRole) -> Result<(), Error> {
        self.execute(&Request::del_daemon(role))
    }
}

impl Kernel for crate::netlink::Ipvs {
    fn info(&self) -> Info {
        crate::netlink::Ipvs::info(self)
    }
    fn services(&mut self) -> Result<Vec<Service>, Error> {
        crate::netlink::Ipvs::services(self)
    }
    fn service(&mut self, key: &ServiceKey) -> Result<Service, Error> {
        crate::netlink::Ipvs::service(self, key)
    }
    fn dests_into(&mut self, key: &ServiceKey, out: &mut Vec<Dest>) -> Result<(), Error> {
        crate::netlink::Ipvs::dests_into(self, key, out)
    }
    fn dests_many(&mut self, keys: &[ServiceKey]) -> Result<Vec<Vec<Dest>>, Error> {
        crate::netlink::Ipvs::dests_many(self, keys)
    }
    fn timeouts(&mut self) -> Result<Timeouts, Error> {
        crate::netlink::Ipvs::timeouts(self)
    }
    fn daemons(&mut self) -> Result<Vec<Daemon>, Error> {
        crate::netlink::Ipvs::daemons(self)
    }
    fn execute(&mut self, req: &Request) -> Result<(), Error> {
        crate::netlink::Ipvs::execute(self, req)
    }
    fn execute_batch(&mut self, reqs: &[Request]) -> Vec<Result<(), Error>> {
        crate::netlink::Ipvs::execute_batch(self, reqs)
    }
    fn read_proc(&mut self, table: ProcTable) -> std::io::Result<Vec<u8>> {
        std::fs::read(table.path())
    }
}
