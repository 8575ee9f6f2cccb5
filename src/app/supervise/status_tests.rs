//! The health listing: its command lines and its exact bytes.

use super::*;

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[test]
fn command_lines() {
    assert_eq!(parse(&words("-L -n")), None);
    assert_eq!(
        parse(&words("-L --health-status")),
        Some(Ok(Args {
            json: false,
            state_dir: "/run/lvsadm".into()
        }))
    );
    assert_eq!(
        parse(&words("-Ln --health-status -j --state-dir /tmp/s")),
        Some(Ok(Args {
            json: true,
            state_dir: "/tmp/s".into()
        }))
    );
    for bad in [
        "--health-status",
        "-L --health-status -c",
        "-a --health-status",
    ] {
        assert_eq!(
            parse(&words(bad)),
            Some(Err(
                "--health-status goes with -L, and takes only -j, -n and --state-dir DIR".into()
            )),
            "{bad}"
        );
    }
    assert_eq!(
        parse(&words("-L --health-status extra")),
        Some(Err("unexpected argument extra".into()))
    );
}

const PUBLISHED: &str = r#"{"file":"/etc/lvsadm/rules","pid":4242,"updated":1765000000.5,
 "services":[
  {"service":"-t 192.0.2.1:80","sorry_active":false,"servers":[
   {"server":"198.51.100.1:80","check":"http","state":"up","weight":2,"written":2,
    "last":"http status 200","last_ok":true,"latency_ms":0.84,"since":1764999688.0,
    "transitions":1,"agent_percent":null,"maintenance":false,"hold":false},
   {"server":"198.51.100.2:80","check":"http","state":"down","weight":0,"written":1,
    "last":"http status 503","last_ok":false,"latency_ms":1.26,"since":1764999988.0,
    "transitions":2,"agent_percent":null,"maintenance":false,"hold":false},
   {"server":"198.51.100.3:80","check":"tcp","state":"up","weight":1,"written":1,
    "last":"connected","last_ok":true,"latency_ms":0.2,"since":1764990000.0,
    "transitions":0,"agent_percent":null,"maintenance":false,"hold":true}]},
  {"service":"-u [2001:db8::1]:53","sorry_active":true,"servers":[
   {"server":"[2001:db8::2]:53","check":"none","state":"static","weight":1,"written":1,"hold":false}]}]}"#;

#[test]
fn listing_bytes() {
    let v: Value = serde_json::from_str(PUBLISHED).unwrap();
    assert_eq!(
        render(&v, true, 1765000003.0),
        "\
lvsadm --supervise /etc/lvsadm/rules (pid 4242, running), state of 2025-12-06 05:46:40 UTC, 2s ago
  -> RemoteAddress:Port           Check  State        Weight  Since    Last result
-t 192.0.2.1:80
  -> 198.51.100.1:80              http   up           2/2     5m12s    http status 200 (0.8 ms)
  -> 198.51.100.2:80              http   down         0/1     12s      http status 503 (1.3 ms)
  -> 198.51.100.3:80              tcp    up+hold      1/1     2h46m    connected (0.2 ms)
-u [2001:db8::1]:53  (sorry server in)
  -> [2001:db8::2]:53             none   static       1/1     -
"
    );
    // a state a supervisor left behind says so
    assert!(render(&v, false, 1765090000.0)
        .starts_with("lvsadm --supervise /etc/lvsadm/rules (pid 4242, not running), state of 2025-12-06 05:46:40 UTC, 1d00h ago\n"));
}

#[test]
fn json_adds_running_and_age() {
    let v: Value =
        serde_json::from_str(r#"{"file":"f","pid":1,"updated":100.0,"services":[]}"#).unwrap();
    assert_eq!(
        json(v, false, 112.34),
        "{\"age\":12.3,\"file\":\"f\",\"pid\":1,\"running\":false,\"services\":[],\"updated\":100.0}\n"
    );
}

#[test]
fn dates() {
    assert_eq!(utc(0.0), "1970-01-01 00:00:00");
    assert_eq!(utc(951_782_400.0), "2000-02-29 00:00:00");
    assert_eq!(utc(4_107_542_399.0), "2100-02-28 23:59:59");
}
