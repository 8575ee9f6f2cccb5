//! The typed operations of the handle, as inherent methods of [`Ipvs`]
//! (the same operations as the [`Kernel`](crate::kernel::Kernel) trait's,
//! which [`StandIn`](crate::kernel::StandIn) also has), and the requests
//! they send, built from a [`ServiceKey`] in one place for both.

use std::net::SocketAddr;

use super::{Error, Ipvs, Request};
use crate::model::{Daemon, DaemonRole, Dest, Forward, Service, ServiceKey, Timeouts};

impl Request {
    /// `-D`: delete the service `key` names.
    pub fn del_service(key: &ServiceKey) -> Request {
        Request::DelService(*key)
    }

    /// `-a`: add `dest` to the service `key` names.
    pub fn new_dest(key: &ServiceKey, dest: &Dest) -> Request {
        Request::NewDest(*key, dest.clone())
    }

    /// `-e`: replace the settings of `dest` in the service `key` names.
    pub fn set_dest(key: &ServiceKey, dest: &Dest) -> Request {
        Request::SetDest(*key, dest.clone())
    }

    /// `-d`: delete the real server `addr` of the service `key` names.
    pub fn del_dest(key: &ServiceKey, addr: SocketAddr) -> Request {
        Request::DelDest(*key, Dest::with_addr(addr, Forward::Route))
    }

    /// `-Z`: zero the counters of one service, or of all (`None`).
    pub fn zero(key: Option<&ServiceKey>) -> Request {
        Request::Zero(key.copied())
    }

    /// `--stop-daemon`.
    pub fn del_daemon(role: DaemonRole) -> Request {
        Request::DelDaemon(Daemon {
            role,
            ..Daemon::default()
        })
    }
}

impl Ipvs {
    /// `-A`: add a service (`EEXIST` if it exists, `ENOENT` for an unknown
    /// scheduler or persistence engine).
    pub fn add_service(&mut self, svc: &Service) -> Result<(), Error> {
        self.execute(&Request::NewService(svc.clone()))
    }

    /// `-E`: replace every setting of a service.
    pub fn edit_service(&mut self, svc: &Service) -> Result<(), Error> {
        self.execute(&Request::SetService(svc.clone()))
    }

    /// `-D`: delete a service and its real servers.
    pub fn del_service(&mut self, key: &ServiceKey) -> Result<(), Error> {
        self.execute(&Request::del_service(key))
    }

    /// `-a`: add a real server to a service.
    pub fn add_dest(&mut self, key: &ServiceKey, dest: &Dest) -> Result<(), Error> {
        self.execute(&Request::new_dest(key, dest))
    }

    /// `-e`: replace every setting of a real server.
    pub fn edit_dest(&mut self, key: &ServiceKey, dest: &Dest) -> Result<(), Error> {
        self.execute(&Request::set_dest(key, dest))
    }

    /// `-d`: delete a real server.
    pub fn del_dest(&mut self, key: &ServiceKey, addr: SocketAddr) -> Result<(), Error> {
        self.execute(&Request::del_dest(key, addr))
    }

    /// `-Z`: zero the counters of one service, or of all (`None`).
    pub fn zero(&mut self, key: Option<&ServiceKey>) -> Result<(), Error> {
        self.execute(&Request::zero(key))
    }

    /// `-C`: delete every service.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.execute(&Request::Flush)
    }

    /// `--set`: change the timeouts (0 keeps a value).
    pub fn set_timeouts(&mut self, t: &Timeouts) -> Result<(), Error> {
        self.execute(&Request::SetConfig(*t))
    }

    /// `--start-daemon`.
    pub fn start_daemon(&mut self, d: &Daemon) -> Result<(), Error> {
        self.execute(&Request::NewDaemon(d.clone()))
    }

    /// `--stop-daemon`.
    pub fn stop_daemon(&mut self, role: DaemonRole) -> Result<(), Error> {
        self.execute(&Request::del_daemon(role))
    }
}
