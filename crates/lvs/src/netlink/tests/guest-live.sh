#!/bin/sh
# The ignored live tests of the netlink layer, in the IPVS test guest:
#   cargo test --lib --no-run     # prints the unit-test binary's path
#   tests/kernel/shell --lvsadm target/debug/deps/lvsadm-HASH src/netlink/tests/guest-live.sh
# (the unit-test binary stands in for /usr/sbin/lvsadm). Prints ok/FAIL per
# check and "N passed, M failed".
modprobe ip_vs 2>/dev/null
modprobe ip_vs_rr 2>/dev/null
. /job/tap.sh
ipvsadm -C
ip netns add lvsadm-nltest
# A namespace without any address has no local routing table: the kernel
# then takes every IPv4 address for a broadcast one and refuses NAT
# destinations (EINVAL), ipvsadm as well.
ip -n lvsadm-nltest link set lo up
ip netns exec lvsadm-nltest ipvsadm -A -t 192.0.2.77:80 -s rr
if lvsadm --ignored --exact netlink::tests::live::live_netns --nocapture --test-threads 1; then
    ok "library handle opened in a namespace (live_netns)"
else
    bad "library handle opened in a namespace (live_netns)"
fi
inside=$(ip netns exec lvsadm-nltest ipvsadm -Ln)
echo "$inside"
listed() { # PATTERN WHAT
    if echo "$inside" | grep -q "$1"; then ok "$2"; else bad "$2"; fi
}
listed '192.0.2.78:443' "service added by the handle is in the namespace"
listed '198.51.100.77:8080' "destination added by the handle is in the namespace"
if ipvsadm -Ln | grep -q '192.0.2.7'; then bad "initial namespace untouched"; else ok "initial namespace untouched"; fi
# Control: the check above can fail.
ipvsadm -A -t 192.0.2.79:80
if ipvsadm -Ln | grep -q '192.0.2.7'; then ok "control: a service in the initial namespace is seen"; else bad "control: a service in the initial namespace is seen"; fi
ipvsadm -C
# The handle against the real kernel: services, destinations, errors,
# timeouts, sync daemons, a pipelined batch with errors at known places.
modprobe ip_vs_wlc 2>/dev/null
modprobe dummy 2>/dev/null
ip link add dummy0 type dummy 2>/dev/null
ip link set dummy0 up
if lvsadm --ignored --exact netlink::tests::live::live_ipvs --nocapture --test-threads 1; then
    ok "handle against the kernel (live_ipvs)"
else
    bad "handle against the kernel (live_ipvs)"
fi
ipvsadm -C
tap_done
