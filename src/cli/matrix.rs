//! ipvsadm's option tables: the option names, the command × option matrix
//! and the tunnel-type × tunnel-option matrix, with the checks that read
//! them (in ipvsadm's order, so the first message printed is the same).

use super::{fail, CliError, Cmd, Opt};

pub(crate) const NUMBER_OF_OPT: usize = 35;

pub(crate) const OPT_NAMES: [&str; NUMBER_OF_OPT] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
    "json",
];

/// For each option (matrix row), one character per command in [`Cmd`]
/// order: `+` required, `x` illegal, `1` at most one of them, `.` optional.
///                                 AEDCLadeSsoRSZ  (S=set s=start o=stop)
const MATRIX: [&[u8; 14]; NUMBER_OF_OPT] = [
    b"xxxx.xxxxxxx.x", // numeric
    b"xxxx1xxxxxxxxx", // connection
    b"+++x1+++xxxxx.", // service-address
    b"..xxxxxxxxxxxx", // scheduler
    b"..xxxxxxxxxxxx", // persistent
    b"..xxxxxxxxxxxx", // netmask
    b"xxxxx+++xxxxxx", // real-server
    b"xxxxx.x.xxxxxx", // forwarding-method
    b"xxxxx.x.xxxxxx", // weight
    b"xxxxx.x.xxxxxx", // u-threshold
    b"xxxxx.x.xxxxxx", // l-threshold
    b"xxxxxxxxx.xxxx", // mcast-interface
    b"xxxx1xxxxxxxxx", // timeout
    b"xxxx1xxxxxxxxx", // daemon
    b"xxxx.xxxxxxxxx", // stats
    b"xxxx.xxxxxxxxx", // rate
    b"xxxx.xxxxxxxxx", // thresholds
    b"xxxx.xxxxxxxxx", // persistent-conn
    b"xxxx.xxxxxxxxx", // nosort
    b"xxxx.xxxx..xxx", // syncid
    b"xxxx.xxxxxxxxx", // exact
    b"..xxxxxxxxxxxx", // ops
    b"..xxxxxxxxxxxx", // pe
    b"..xxxxxxxxxxxx", // sched-flags
    b"xxxxxxxxx.xxxx", // mcast-group
    b"xxxxxxxxx.xxxx", // mcast-port
    b"xxxxxxxxx.xxxx", // mcast-ttl
    b"xxxxxxxxx.xxxx", // sync-maxlen
    b"xxxx.xxxxxxxxx", // tun-info
    b"xxxxx.x.xxxxxx", // tun-type
    b"xxxxx.x.xxxxxx", // tun-port
    b"xxxxx.x.xxxxxx", // tun-nocsum
    b"xxxxx.x.xxxxxx", // tun-csum
    b"xxxxx.x.xxxxxx", // tun-remcsum
    b"xxxx.xxxxxxxxx", // json (lvsadm)
];

/// Tunnel-type × tunnel-option matrix (columns tun-port, tun-nocsum,
/// tun-csum, tun-remcsum) for ipip, gue, gre.
pub(crate) const TUN_MATRIX: [(&str, &[u8; 4]); 3] =
    [("ipip", b"xxxx"), ("gue", b"+111"), ("gre", b"x11x")];
pub(crate) const TUN_OPTS: [Opt; 4] = [Opt::TunPort, Opt::TunNocsum, Opt::TunCsum, Opt::TunRemcsum];

pub(crate) fn bit(o: Opt) -> u64 {
    1u64 << (o as u32)
}

pub(crate) fn set_option(options: &mut u64, o: Opt) -> Result<(), CliError> {
    if *options & bit(o) != 0 {
        return Err(fail(format!(
            "multiple '{}' options specified",
            OPT_NAMES[o as usize]
        )));
    }
    *options |= bit(o);
    Ok(())
}

pub(crate) fn generic_opt_check(cmd: Cmd, options: u64) -> Result<(), CliError> {
    let c = cmd as usize;
    let mut last: Option<usize> = None;
    for (j, row) in MATRIX.iter().enumerate() {
        let rule = row[c];
        if options & (1u64 << j) == 0 {
            if rule == b'+' {
                return Err(fail(format!(
                    "You need to supply the '{}' option for the '{}' command",
                    OPT_NAMES[j],
                    cmd.name()
                )));
            }
        } else {
            if rule == b'x' {
                return Err(fail(format!(
                    "Illegal '{}' option with the '{}' command",
                    OPT_NAMES[j],
                    cmd.name()
                )));
            }
            if rule == b'1' {
                match last {
                    None => last = Some(j),
                    Some(l) => {
                        return Err(fail(format!(
                            "The option '{}' conflicts with the '{}' option in the '{}' command",
                            OPT_NAMES[j],
                            OPT_NAMES[l],
                            cmd.name()
                        )))
                    }
                }
            }
        }
    }
    Ok(())
}

pub(crate) fn tunnel_opt_check(tun_type: u8, options: u64) -> Result<(), CliError> {
    let (tname, row) = TUN_MATRIX[tun_type as usize];
    let mut last: Option<Opt> = None;
    for (k, o) in TUN_OPTS.iter().enumerate() {
        let name = OPT_NAMES[*o as usize];
        let rule = row[k];
        if options & bit(*o) == 0 {
            if rule == b'+' {
                return Err(fail(format!(
                    "You need to supply the '{name}' option for the '{tname}' tunnel type"
                )));
            }
        } else {
            if rule == b'x' {
                return Err(fail(format!(
                    "Illegal '{name}' option with the '{tname}' tunnel type"
                )));
            }
            if rule == b'1' {
                match last {
                    None => last = Some(*o),
                    Some(l) => {
                        return Err(fail(format!(
                            "The option '{name}' conflicts with the '{}' option in the '{tname}' tunnel type",
                            OPT_NAMES[l as usize]
                        )))
                    }
                }
            }
        }
    }
    Ok(())
}
