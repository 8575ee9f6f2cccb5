//! Parser tests: the messages and exit codes of docs/compatibility.md §2–§4, §9.3.

use super::*;

fn run(line: &str) -> Result<Outcome, CliError> {
    let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    parse(&args)
}

fn parsed(line: &str) -> Parsed {
    match run(line) {
        Ok(Outcome::Run(p)) => *p,
        other => panic!("{line}: {other:?}"),
    }
}

fn fatal(line: &str) -> String {
    match run(line) {
        Err(CliError::Fatal { code: 2, msg }) => msg,
        other => panic!("{line}: {other:?}"),
    }
}

#[test]
fn first_option_must_be_a_command() {
    for l in [
        "-n",
        "-s rr",
        "--bogus",
        "-V",
        "--add-serv",
        "",
        "foo",
        "--list=5",
        "--set=1 2 3",
    ] {
        assert_eq!(run(l).unwrap_err(), CliError::TryHelp, "{l}");
    }
    assert!(matches!(run("-h"), Ok(Outcome::Help)));
    assert!(matches!(run("--version --bogus"), Ok(Outcome::Version)));
}

#[test]
fn second_command_and_popt_errors() {
    assert_eq!(fatal("-L -L"), "invalid option `-L'");
    assert_eq!(fatal("-A -t 192.0.2.1:80 -L"), "invalid option `-L'");
    assert_eq!(fatal("-L -h"), "invalid option `-h'");
    assert_eq!(
        run("-L --numer").unwrap_err(),
        CliError::Popt("--numer: unknown option".into())
    );
    assert_eq!(
        run("-A -t").unwrap_err(),
        CliError::Popt("-t: missing argument".into())
    );
    assert_eq!(run("-p -5").unwrap_err(), CliError::TryHelp);
    assert_eq!(
        run("-A -t 192.0.2.1:80 -p -5").unwrap_err(),
        CliError::Popt("-5: unknown option".into())
    );
}

#[test]
fn leftovers_and_set() {
    assert_eq!(fatal("-L extra"), "unexpected argument extra");
    assert_eq!(fatal("192.0.2.1 -L"), "unexpected argument 192.0.2.1");
    assert_eq!(fatal("--set 1 2"), "--set option requires 3 timeout values");
    assert_eq!(fatal("--set a b c"), "invalid timeout value `a' specified");
    assert_eq!(fatal("--set 1 2 3 4"), "unexpected argument 4");
    let p = parsed("--set 30 5 60");
    assert_eq!(
        p.timeouts,
        Timeouts {
            tcp: std::time::Duration::from_secs(30),
            tcp_fin: std::time::Duration::from_secs(5),
            udp: std::time::Duration::from_secs(60)
        }
    );
    assert_eq!(
        fatal("--set 10 -n 20 30"),
        "Illegal 'numeric' option with the 'set' command"
    );
}

#[test]
fn matrix_messages() {
    assert_eq!(
        fatal("-A"),
        "You need to supply the 'service-address' option for the 'add-service' command"
    );
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -w 3"),
        "Illegal 'weight' option with the 'add-service' command"
    );
    assert_eq!(
        fatal("-C -n"),
        "Illegal 'numeric' option with the 'flush' command"
    );
    assert_eq!(
        fatal("-L -c --timeout"),
        "The option 'timeout' conflicts with the 'connection' option in the 'list' command"
    );
    assert_eq!(
        fatal("-L -t 192.0.2.1:80 -c"),
        "The option 'service-address' conflicts with the 'connection' option in the 'list' command"
    );
    assert_eq!(
        fatal("--stop-daemon master --mcast-interface eth1"),
        "Illegal 'mcast-interface' option with the 'stop-daemon' command"
    );
    assert_eq!(
        fatal("-L --timeout --stats"),
        "options conflicts in the list command"
    );
}

#[test]
fn service_rules() {
    assert_eq!(
        fatal("-A -t 192.0.2.3"),
        "Zero port specified for non-persistent service"
    );
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -o"),
        "One-Packet Scheduling is only for UDP virtual services"
    );
    let p = parsed("-A -t 192.0.2.1:80");
    assert_eq!(p.svc.sched_name, "wlc");
    let p = parsed("-A -t 192.0.2.1:80 -s rr -p");
    assert_eq!(
        (p.svc.flags, p.svc.timeout.as_secs()),
        (ServiceFlags::PERSISTENT, 360)
    );
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -p rr"),
        "invalid timeout value `rr' specified"
    );
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -pM 255.255.255.0"),
        "invalid timeout value `M' specified"
    );
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -p 10 20"),
        "unexpected argument 20"
    );
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -s rr -s wrr"),
        "multiple 'scheduler' options specified"
    );
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -u 192.0.2.1:53"),
        "multiple 'service-address' options specified"
    );
    let p = parsed("-A -t 192.0.2.1:80 -p 10 -M 0.0.0.24");
    assert_eq!(
        p.svc.netmask,
        Netmask::Mask(std::net::Ipv4Addr::from_bits(24))
    );
    assert_eq!(
        fatal("-A -f 5 -6 -M 129 -p"),
        "illegal ipv6 netmask specified"
    );
    let p = parsed("-A -f 5 -6 -M 64x -p");
    assert_eq!(
        (p.svc.family, p.svc.netmask),
        (Family::Inet6, Netmask::Prefix(64))
    );
    assert_eq!(fatal("-A -6 -f 5"), "-6 used before -f\n");
    assert_eq!(fatal("-A -f 0"), "invalid fwmark value `0' specified");
    assert_eq!(
        fatal("-A -f 4294967296"),
        "invalid fwmark value `4294967296' specified"
    );
    assert_eq!(parsed("-A -f 4294967295").svc.fwmark, u32::MAX);
}

#[test]
fn sched_flags() {
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -b sh-port"),
        "incompatible scheduler flag `sh-port'"
    );
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -b bogus"),
        "invalid scheduler flag `bogus'"
    );
    let p = parsed("-A -t 192.0.2.1:80 -s mh -b mh-fallback,mh-port");
    assert_eq!(p.svc.flags, ServiceFlags::SCHED1 | ServiceFlags::SCHED2);
    // validated before the matrix
    assert_eq!(
        fatal("-a -t 192.0.2.1:80 -b bogus"),
        "invalid scheduler flag `bogus'"
    );
}

#[test]
fn dest_rules() {
    let p = parsed("-a -t 192.0.2.1:80 -r 198.51.100.4:81 -i");
    assert_eq!(p.dest.port, 80);
    let p = parsed("-a -t 192.0.2.1:80 -r 198.51.100.4:81 -m");
    assert_eq!(
        (p.dest.port, p.dest.forward, p.dest.weight),
        (81, Forward::Masq, 1)
    );
    let p = parsed("-a -t 192.0.2.1:80 -r 198.51.100.4 -m");
    assert_eq!(p.dest.port, 80);
    assert_eq!(
        fatal("-a -t [2001:db8::1]:80 -r 198.51.100.9 -g"),
        "Different address family is allowed only for tunneling servers"
    );
    assert_eq!(
        parsed("-a -t [2001:db8::1]:80 -r 198.51.100.9 -i")
            .dest
            .family,
        Family::Inet
    );
    assert_eq!(
        fatal("-a -t 192.0.2.1:80 -r 198.51.100.4 -m --tun-type gre"),
        "Tunnel options conflict with forward method"
    );
    assert_eq!(
        fatal("-a -t 192.0.2.1:80 -r 198.51.100.4 -i --tun-type gue"),
        "You need to supply the 'tun-port' option for the 'gue' tunnel type"
    );
    assert_eq!(
        fatal("-a -t 192.0.2.1:80 -r 198.51.100.4 -i --tun-port 5"),
        "Illegal 'tun-port' option with the 'ipip' tunnel type"
    );
    assert_eq!(
        fatal("-a -t 192.0.2.1:80 -r 198.51.100.4 -i --tun-type gue --tun-port 6080 --tun-csum --tun-remcsum"),
        "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type"
    );
    assert_eq!(
        fatal("-a -t 192.0.2.1:80 -r 198.51.100.4 -w -1"),
        "illegal weight specified"
    );
    assert_eq!(
        parsed("-a -t 192.0.2.1:80 -r 198.51.100.4 -w 2147483647")
            .dest
            .weight,
        i32::MAX
    );
    assert_eq!(
        fatal("-a -t 192.0.2.1:80 -r 198.51.100.1:99999"),
        "illegal real server address[:port] specified"
    );
}

#[test]
fn daemons() {
    assert_eq!(
        fatal("--start-daemon foo"),
        "illegal start-daemon parameter specified"
    );
    assert_eq!(fatal("--stop-daemon foo"), "illegal start_daemon specified");
    assert_eq!(run("--start-daemon").unwrap_err(), CliError::TryHelp);
    let p = parsed("--start-daemon master");
    assert_eq!(
        (p.daemon.role, p.daemon.mcast_ifn.as_str()),
        (DaemonRole::Master, "eth0")
    );
    let p = parsed(
        "--start-daemon backup --mcast-interface dummy0 --syncid 7 --mcast-group ff02::1234",
    );
    assert_eq!(p.daemon.mcast_group.unwrap().to_string(), "ff02::1234");
    assert_eq!(
        fatal("--start-daemon master --mcast-group 192.0.2.1"),
        "invalid IPv4 mcast-group `192.0.2.1'"
    );
    assert_eq!(
        fatal("--start-daemon master --syncid 256"),
        "illegal syncid specified"
    );
}

// ---- lvsadm extensions: only words ipvsadm rejects gain a meaning ----

#[test]
fn extension_words_in_value_positions_keep_their_meaning() {
    let p = parsed("-A -t 192.0.2.1:80 -s --json");
    assert_eq!(p.svc.sched_name, "--json");
    assert!(!p.format.json);
    let p = parsed("-A -t 192.0.2.1:80 --pe --netns");
    assert_eq!(p.svc.pe_name, "--netns");
    let p = parsed("-A -t 192.0.2.1:80 -s -j");
    assert_eq!(p.svc.sched_name, "-j");
    let p = parsed("-A -t 192.0.2.1:80 -s --apply");
    assert_eq!(p.svc.sched_name, "--apply");
}

#[test]
fn json_option() {
    for l in [
        "-L -j",
        "-Lnj",
        "-j -L",
        "--json -L --stats",
        "-L -c -j",
        "-L --json -t 192.0.2.1:80",
    ] {
        assert!(parsed(l).format.json, "{l}");
    }
    assert!(!parsed("-L -n").format.json);
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 -j"),
        "Illegal 'json' option with the 'add-service' command"
    );
    assert_eq!(fatal("-L -j -j"), "multiple 'json' options specified");
    assert_eq!(
        fatal("-j -S"),
        "Illegal 'json' option with the 'save' command"
    );
    assert_eq!(run("-j").unwrap_err(), CliError::TryHelp);
}

#[test]
fn apply_and_check_commands() {
    let a = |f: &str, d, v| {
        Outcome::Apply(ApplyArgs {
            file: f.into(),
            dry_run: d,
            verbose: v,
            ..ApplyArgs::default()
        })
    };
    let eq = |l: &str, o: Outcome| {
        assert_eq!(
            format!("{:?}", run(l)),
            format!("{:?}", Ok::<_, CliError>(o)),
            "{l}"
        )
    };
    eq("--apply rules", a("rules", false, false));
    eq("--apply=- --dry-run", a("-", true, false));
    eq("--dry-run --verbose --apply r", a("r", true, true));
    eq("--check r", Outcome::Check("r".into()));
    eq(
        "--apply r --scope 192.0.2.1 --allow-empty --scope=fwmark:5 --max-delete 30 --force",
        Outcome::Apply(ApplyArgs {
            file: "r".into(),
            allow_empty: true,
            force: true,
            max_delete: Some("30".into()),
            scope: vec!["192.0.2.1".into(), "fwmark:5".into()],
            ..ApplyArgs::default()
        }),
    );
    assert_eq!(fatal("--check r --force"), "invalid option `--force'");
    assert_eq!(
        fatal("-A -t 192.0.2.1:80 --allow-empty"),
        "invalid option `--allow-empty'"
    );
    assert_eq!(fatal("--check r --dry-run"), "invalid option `--dry-run'");
    assert_eq!(fatal("--apply r -n"), "invalid option `-n'");
    assert_eq!(fatal("--apply r extra"), "unexpected argument extra");
    assert_eq!(
        fatal("--dry-run -L"),
        "--dry-run and --verbose go with --apply"
    );
    assert_eq!(fatal("-L --apply r"), "invalid option `r'");
    assert!(matches!(run("--apply"), Err(CliError::TryHelp)));
}

#[test]
fn netns_is_split_off_only_in_option_positions() {
    let v = |l: &str| -> Vec<String> { l.split_whitespace().map(str::to_string).collect() };
    assert_eq!(
        split_netns(&v("--netns blue -L -n")),
        (v("blue"), v("-L -n"))
    );
    assert_eq!(
        split_netns(&v("-Ln --netns=/proc/1/ns/net")),
        (v("/proc/1/ns/net"), v("-Ln"))
    );
    // ipvsadm-accepted lines are untouched
    for l in [
        "-A -t 192.0.2.1:80 -s --netns",
        "-A -t 192.0.2.1:80 --pe --netns=x",
        "-L -- --netns x",
    ] {
        assert_eq!(split_netns(&v(l)), (vec![], v(l)), "{l}");
    }
    // the walk stops at the first error, as ipvsadm does
    assert_eq!(
        split_netns(&v("-L --bogus --netns x")).0,
        Vec::<String>::new()
    );
    assert_eq!(
        fatal("-L --netns x"),
        "--netns is only allowed on the command line, before anything is done"
    );
}

#[test]
fn wait_is_split_off_and_refused_elsewhere() {
    let v = |l: &str| -> Vec<String> { l.split_whitespace().map(str::to_string).collect() };
    assert_eq!(split_long(&v("-R --wait 5"), "wait"), (v("5"), v("-R")));
    assert_eq!(
        split_long(&v("--apply f --wait=0 --force"), "wait"),
        (v("0"), v("--apply f --force"))
    );
    assert_eq!(
        split_long(&v("-A -t 192.0.2.1:80 -s --wait"), "wait"),
        (vec![], v("-A -t 192.0.2.1:80 -s --wait"))
    );
    assert_eq!(
        fatal("-L --wait 5"),
        "--wait goes with --apply and -R, on the command line"
    );
}
