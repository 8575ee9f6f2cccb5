#!/bin/sh
# Real packets for every family and protocol, run inside the IPVS test guest
# by tests/kernel/e2e-proto (as /bin/sh = dash). lvsadm is /usr/sbin/lvsadm,
# the test peer (tests/kernel/proto-peer.rs) /usr/local/bin/proto-peer, and
# Debian's nft /usr/sbin/nft when the host had it.
#
# One topology of network namespaces serves every case:
#
#   cl  203.0.113.100 and .101, 2001:db8:c::100   (client)
#    |  ext
#   rt  203.0.113.254 / 192.0.2.126, 2001:db8:c::254 / 2001:db8:1::254
#    |  lan 192.0.2.0/25, 2001:db8:1::/64; rt routes the VIPs
#    |      (192.0.2.128/25, 2001:db8:f::/64) to the director
#   dir 192.0.2.2, 2001:db8:1::2 (VIPs on lo)  rs1/rs2 .11/.12, ::11/::12
#    |  int 198.51.100.0/24, 2001:db8:2::/64 (NAT real servers)
#   dir 198.51.100.254, 2001:db8:2::254         rs1/rs2 .11/.12, ::11/::12
#
# The real servers answer from their inside addresses through the director
# (a policy rule: from the int networks, table 100, default via dir: that
# is the NAT return route) and from the VIPs (on lo) straight through rt
# (DR and the tunnels). Every case is configured with lvsadm, sends short
# bursts with proto-peer and counts which real server answered; each case
# has a control that shows the check can fail (a missing return route, a
# real server without the VIP or without a decapsulating device, a missing
# mark, the option under test left out).
#
# Output: `ok - ...` / `FAIL - ...` per check, `skip - ...` for a case the
# kernel or the guest cannot run (with the reason), `# ...` information,
# and last "N passed, M failed".
PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

. /job/tap.sh
. /job/topology.sh

W=/tmp/e2e-proto
rm -rf "$W"; mkdir -p "$W"
SKIP=0
skip() { echo "skip - $*"; SKIP=$((SKIP + 1)); }

L() { nsx dir lvsadm "$@"; }
# conf LABEL LINE...: the rules (lines of lvsadm -R) into the director's table
conf() {
    _l=$1; shift
    printf '%s\n' "$@" | nsx dir lvsadm -R >"$W/err" 2>&1
    check "$_l: lvsadm -R configures the service" [ $? = 0 ] || sed 's/^/    /' "$W/err"
}
# ask NS PROTO ADDR N [OPTS]: R = proto-peer's answer line
ask() {
    _ns=$1; shift
    R=$(nsx "$_ns" timeout 120 proto-peer ask "$@" 2>&1)
}
# v KEY: KEY's count in $R (0 if absent)
v() {
    _x=$(printf ' %s \n' "$R" | sed -n "s/.* $1=\([0-9]*\) .*/\1/p")
    echo "${_x:-0}"
}
# got "rs1 rs2 none badsrc": the four counts of $R
got() { echo "$(v rs1) $(v rs2) $(v none) $(v badsrc)"; }
# the answers all came from one of the two real servers
one_server() {
    [ "$(v none) $(v badsrc)" = "0 0" ] && { [ "$(v rs1)" = 0 ] || [ "$(v rs2)" = 0 ]; } &&
        [ $(($(v rs1) + $(v rs2))) -gt 0 ]
}
both() { for _r; do nsx "$_r" true; done; }
on_rs() { for _r in rs1 rs2; do nsx $_r "$@"; done; }
# sum A B: R = the counts of the answer lines A and B added up
sum() {
    _a=$(R=$1; got) _b=$(R=$2; got)
    set -- $_a $_b
    R="rs1=$(($1 + $5)) rs2=$(($2 + $6)) none=$(($3 + $7)) badsrc=$(($4 + $8))"
}

# ------------------------------------------------------------------ setup
modprobe bridge || bad "modprobe bridge"
have_mod() { modprobe "$1" 2>"$W/modprobe.err"; }
HAVE_IP6TNL=1 HAVE_GRE=1 HAVE_FOU=1 HAVE_SCTP=1 HAVE_NFT=1
have_mod ip6_tunnel || HAVE_IP6TNL="no ip6_tunnel module: $(cat "$W/modprobe.err")"
have_mod ip_gre || HAVE_GRE="no ip_gre module: $(cat "$W/modprobe.err")"
have_mod fou || HAVE_FOU="no fou module: $(cat "$W/modprobe.err")"
have_mod sctp || HAVE_SCTP="no sctp module: $(cat "$W/modprobe.err")"
if ! command -v nft >/dev/null; then
    HAVE_NFT="no nft in the guest (the host has no nftables package)"
elif ! have_mod nf_tables; then
    HAVE_NFT="no nf_tables module: $(cat "$W/modprobe.err")"
fi
info "kernel $(uname -r)"
# the fallback tunnel devices (tunl0, gre0) in every new namespace
sysctl -q -w net.core.fb_tunnels_only_for_init_net=0

# an address without duplicate address detection (IPv6) or a plain one
a6() { ip -n "$1" -6 addr add "$2" dev "$3" nodad; }
a4() { ip -n "$1" addr add "$2" dev "$3"; }
# port NS IF BR: NS's interface IF on bridge BR
port() {
    PORTN=$((PORTN + 1))
    veth "$1" "$2" sw "p$PORTN" && ip -n sw link set "p$PORTN" master "$3"
}
topology() {
    mkns sw cl rt dir rs1 rs2 || return 1
    for b in ext lan int; do
        ip -n sw link add $b type bridge mcast_snooping 0 && ip -n sw link set $b up || return 1
    done
    port cl eth0 ext && a4 cl 203.0.113.100/24 eth0 && a4 cl 203.0.113.101/24 eth0 &&
        a6 cl 2001:db8:c::100/64 eth0 || return 1
    ip -n cl route add default via 203.0.113.254 && ip -n cl -6 route add default via 2001:db8:c::254 || return 1
    port rt ext ext && a4 rt 203.0.113.254/24 ext && a6 rt 2001:db8:c::254/64 ext || return 1
    port rt lan lan && a4 rt 192.0.2.126/25 lan && a6 rt 2001:db8:1::254/64 lan || return 1
    nsx rt sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
    ip -n rt route add 192.0.2.128/25 via 192.0.2.2 && ip -n rt -6 route add 2001:db8:f::/64 via 2001:db8:1::2 || return 1
    port dir lan lan && a4 dir 192.0.2.2/25 lan && a6 dir 2001:db8:1::2/64 lan || return 1
    port dir int int && a4 dir 198.51.100.254/24 int && a6 dir 2001:db8:2::254/64 int || return 1
    ip -n dir route add default via 192.0.2.126 && ip -n dir -6 route add default via 2001:db8:1::254 || return 1
    # NAT: the director forwards the real servers' replies
    nsx dir sysctl -q -w net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 || return 1
    n=10
    for r in rs1 rs2; do
        n=$((n + 1))
        port $r eth0 lan && a4 $r 192.0.2.$n/25 eth0 && a6 $r 2001:db8:1::$n/64 eth0 || return 1
        port $r eth1 int && a4 $r 198.51.100.$n/24 eth1 && a6 $r 2001:db8:2::$n/64 eth1 || return 1
        ip -n $r route add default via 192.0.2.126 && ip -n $r -6 route add default via 2001:db8:1::254 || return 1
        nsx $r sysctl -q -w net.ipv4.ip_nonlocal_bind=1 net.ipv6.ip_nonlocal_bind=1 || return 1
        # the VIPs of the direct-routing and tunnel cases
        for x in 130 141 142 143 144 151 160 170 171 180 181 182; do a4 $r 192.0.2.$x/32 lo || return 1; done
        for x in 2 3 10; do a6 $r 2001:db8:f::$x/128 lo || return 1; done
        ip -n $r link set tunl0 up || return 1
    done
    for r in rs1 rs2; do
        ip -n $r route add default via 198.51.100.254 table 100 &&
            ip -n $r -6 route add default via 2001:db8:2::254 table 100 || return 1
    done
    return_route add || return 1
    # the servers: TCP on 80 and 443 (both families), SCTP on 3868, UDP on
    # 53 of the inside address (NAT) and of the DR VIPs
    for r in rs1 rs2; do
        case $r in rs1) n=11 ;; *) n=12 ;; esac
        s="tcp:[::]:80 tcp:[::]:443 udp:198.51.100.$n:53 udp:[2001:db8:2::$n]:53"
        for x in 141 142 143 144 180 181 182; do s="$s udp:192.0.2.$x:53"; done
        # SCTP bound to one address per socket: an association lists the
        # addresses of its socket, and the client must see only the one it
        # asked (NAT: the inside address, DR: the VIP)
        [ "$HAVE_SCTP" = 1 ] && s="$s sctp:198.51.100.$n:3868 sctp:192.0.2.151:3868"
        # shellcheck disable=SC2086 # a list of sockets
        nsx $r proto-peer serve $r $s >"$W/serve-$r" 2>&1 &
    done
    for r in rs1 rs2; do
        i=0
        while ! grep -q '^ready$' "$W/serve-$r" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        grep -q '^ready$' "$W/serve-$r" || { sed 's/^/    /' "$W/serve-$r"; return 1; }
    done
}
# return_route add|del: the real servers' replies from their inside
# addresses go back through the director (the NAT return path), or not
return_route() {
    for r in rs1 rs2; do
        ip -n $r rule "$1" from 198.51.100.0/24 table 100 &&
            ip -n $r -6 rule "$1" from 2001:db8:2::/64 table 100 || return 1
    done
}
vip_on_rs() { # add|del ADDR
    for r in rs1 rs2; do ip -n $r addr "$1" "$2" dev lo || return 1; done
}

# ================================================================== IPv6
ipv6_tests() {
    # NAT
    conf "IPv6 NAT" '-A -t [2001:db8:f::1]:80 -s rr' \
        '-a -t [2001:db8:f::1]:80 -r [2001:db8:2::11]:80 -m' \
        '-a -t [2001:db8:f::1]:80 -r [2001:db8:2::12]:80 -m'
    nsx dir ip -6 addr add 2001:db8:f::1/128 dev lo
    ask cl tcp '[2001:db8:f::1]:80' 10
    check "IPv6 NAT rr: 10 TCP connections to [2001:db8:f::1]:80 answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]
    return_route del
    ask cl tcp '[2001:db8:f::1]:80' 2 --timeout 1000
    check "IPv6 NAT control: without the return route through the director nothing is answered ($R)" [ "$(v none)" = 2 ]
    return_route add

    # DR
    conf "IPv6 DR" '-A -t [2001:db8:f::2]:80 -s rr' \
        '-a -t [2001:db8:f::2]:80 -r [2001:db8:1::11]:80 -g' \
        '-a -t [2001:db8:f::2]:80 -r [2001:db8:1::12]:80 -g'
    nsx dir ip -6 addr add 2001:db8:f::2/128 dev lo
    ask cl tcp '[2001:db8:f::2]:80' 10
    check "IPv6 DR rr: 10 connections answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]
    # the kernel folds its per-CPU counters every 2 s: wait for InPkts
    _i=0
    while :; do
        L -Ln --stats >"$W/stats"
        io=$(awk '$1 == "->" && $2 ~ /2001:db8:1::1[12]/ { i += $4; o += $5 } END { print i + 0, o + 0 }' "$W/stats")
        [ "${io% *}" -gt 0 ] || [ $_i -ge 16 ] && break
        sleep 0.25; _i=$((_i + 1))
    done
    check "IPv6 DR: the director forwarded requests but saw no reply (InPkts OutPkts: $io)" \
        sh -c "[ ${io% *} -gt 0 ] && [ ${io#* } = 0 ]"
    vip_on_rs del 2001:db8:f::2/128
    ask cl tcp '[2001:db8:f::2]:80' 2 --timeout 1000
    check "IPv6 DR control: real servers without the VIP answer nothing ($R)" [ "$(v none)" = 2 ]
    for r in rs1 rs2; do a6 $r 2001:db8:f::2/128 lo; done

    # TUN, ip6ip6
    if [ "$HAVE_IP6TNL" != 1 ]; then
        skip "IPv6 TUN (ip6ip6): $HAVE_IP6TNL"
        skip "mixed-family tunnel: $HAVE_IP6TNL"
        return
    fi
    for r in rs1 rs2; do
        case $r in rs1) n=11 ;; *) n=12 ;; esac
        ip -n $r -6 tunnel add t6 mode any local 2001:db8:1::$n && ip -n $r link set t6 up
    done
    check "TUN6: real servers decapsulate with an ip6_tunnel device (mode any)" \
        sh -c 'ip -n rs1 -d link show t6 | grep -q ip6tnl && ip -n rs2 -d link show t6 | grep -q ip6tnl'
    conf "IPv6 TUN" '-A -t [2001:db8:f::3]:80 -s rr' \
        '-a -t [2001:db8:f::3]:80 -r [2001:db8:1::11]:80 -i' \
        '-a -t [2001:db8:f::3]:80 -r [2001:db8:1::12]:80 -i'
    nsx dir ip -6 addr add 2001:db8:f::3/128 dev lo
    c0=$(nsx rs1 cat /sys/class/net/t6/statistics/rx_packets)
    ask cl tcp '[2001:db8:f::3]:80' 10
    c1=$(nsx rs1 cat /sys/class/net/t6/statistics/rx_packets)
    check "IPv6 TUN (ip6ip6) rr: 10 connections answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]
    check "IPv6 TUN: rs1's tunnel device received the packets ($((c1 - c0)))" [ $((c1 - c0)) -ge 10 ]
    on_rs ip link set t6 down
    ask cl tcp '[2001:db8:f::3]:80' 2 --timeout 1000
    check "IPv6 TUN control: with the tunnel devices down nothing is answered ($R)" [ "$(v none)" = 2 ]
    on_rs ip link set t6 up

    # mixed family: IPv4 VIP, IPv6 real servers, IPv4 in IPv6
    L -A -t 192.0.2.130:80 -s rr
    if ! L -a -t 192.0.2.130:80 -r '[2001:db8:1::11]:80' -i >"$W/err" 2>&1; then
        skip "mixed-family tunnel (IPv4 VIP, IPv6 real servers): the kernel refuses it: $(cat "$W/err")"
        return
    fi
    L -a -t 192.0.2.130:80 -r '[2001:db8:1::12]:80' -i
    nsx dir ip addr add 192.0.2.130/32 dev lo
    ask cl tcp 192.0.2.130:80 10
    check "mixed TUN (IPv4 VIP 192.0.2.130, IPv6 real servers): 10 connections answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]
    on_rs ip link set t6 down
    ask cl tcp 192.0.2.130:80 2 --timeout 1000
    check "mixed TUN control: with the tunnel devices down nothing is answered ($R)" [ "$(v none)" = 2 ]
    on_rs ip link set t6 up
}

# ================================================================== UDP
udp_tests() {
    # a DNS-like service through NAT, weights 3:1
    conf "UDP NAT" '-A -u 192.0.2.140:53 -s wrr' \
        '-a -u 192.0.2.140:53 -r 198.51.100.11:53 -m -w 3' \
        '-a -u 192.0.2.140:53 -r 198.51.100.12:53 -m -w 1'
    nsx dir ip addr add 192.0.2.140/32 dev lo
    ask cl udp 192.0.2.140:53 40
    check "UDP NAT wrr 3:1: 40 queries from 40 source ports, all answered from 192.0.2.140:53, 30/10 ($R)" \
        [ "$(got)" = "30 10 0 0" ]
    n=$(L -Lnc | grep -c ' 192\.0\.2\.140:53 ')
    check "UDP NAT: the kernel holds one entry per source port (lvsadm -Lnc: $n)" [ "$n" = 40 ]
    return_route del
    ask cl udp 192.0.2.140:53 4 --timeout 1000
    check "UDP NAT control: without the return route the replies come from the real servers' addresses ($R)" \
        [ "$(v badsrc)" = 4 ]
    return_route add

    # the same over IPv6
    conf "UDP6 NAT" '-A -u [2001:db8:f::53]:53 -s rr' \
        '-a -u [2001:db8:f::53]:53 -r [2001:db8:2::11]:53 -m' \
        '-a -u [2001:db8:f::53]:53 -r [2001:db8:2::12]:53 -m'
    nsx dir ip -6 addr add 2001:db8:f::53/128 dev lo
    ask cl udp '[2001:db8:f::53]:53' 10
    check "UDP IPv6 NAT rr: 10 queries answered from the VIP, 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]
    return_route del
    ask cl udp '[2001:db8:f::53]:53' 2 --timeout 1000
    check "UDP IPv6 NAT control: without the return route the replies come from the real servers ($R)" \
        [ "$(v badsrc)" = 2 ]
    return_route add

    # one-packet scheduling, DR: 20 datagrams from one source port
    conf "UDP -o" '-A -u 192.0.2.141:53 -s rr -o' \
        '-a -u 192.0.2.141:53 -r 192.0.2.11:53 -g' \
        '-a -u 192.0.2.141:53 -r 192.0.2.12:53 -g' \
        '-A -u 192.0.2.144:53 -s rr' \
        '-a -u 192.0.2.144:53 -r 192.0.2.11:53 -g' \
        '-a -u 192.0.2.144:53 -r 192.0.2.12:53 -g'
    nsx dir ip addr add 192.0.2.141/32 dev lo
    nsx dir ip addr add 192.0.2.144/32 dev lo
    ask cl udp 192.0.2.141:53 20 --one-port
    check "UDP DR -o: 20 datagrams from one source port spread 10/10, answered from the VIP ($R)" \
        [ "$(got)" = "10 10 0 0" ]
    n=$(L -Lnc | grep -c ' 192\.0\.2\.141:53 ')
    info "UDP DR -o: $n connection entries for 192.0.2.141:53"
    ask cl udp 192.0.2.144:53 20 --one-port
    check "UDP DR control: without -o the 20 datagrams of one source port stay on one server ($R)" one_server

    # persistence with a netmask: two clients of one /24 share a server
    conf "UDP -M" '-A -u 192.0.2.142:53 -s rr -p 60 -M 255.255.255.0' \
        '-a -u 192.0.2.142:53 -r 192.0.2.11:53 -g' \
        '-a -u 192.0.2.142:53 -r 192.0.2.12:53 -g' \
        '-A -u 192.0.2.143:53 -s rr -p 60' \
        '-a -u 192.0.2.143:53 -r 192.0.2.11:53 -g' \
        '-a -u 192.0.2.143:53 -r 192.0.2.12:53 -g'
    nsx dir ip addr add 192.0.2.142/32 dev lo
    nsx dir ip addr add 192.0.2.143/32 dev lo
    ask cl udp 192.0.2.142:53 10 --from 203.0.113.100; a=$R
    ask cl udp 192.0.2.142:53 10 --from 203.0.113.101; b=$R
    sum "$a" "$b"
    check "UDP DR -p -M 255.255.255.0: 10+10 queries from 203.0.113.100 and .101 all on one server ($a | $b)" one_server
    ask cl udp 192.0.2.143:53 10 --from 203.0.113.100; a=$(got)
    ask cl udp 192.0.2.143:53 10 --from 203.0.113.101; b=$(got)
    check "UDP DR -p control: with the default mask (/32) the two clients are on different servers ($a | $b)" \
        sh -c "[ '$a $b' = '10 0 0 0 0 10 0 0' ] || [ '$a $b' = '0 10 0 0 10 0 0 0' ]"
}

# ================================================================== SCTP
sctp_tests() {
    if [ "$HAVE_SCTP" != 1 ]; then
        skip "SCTP: $HAVE_SCTP"
        return
    fi
    conf "SCTP NAT" '-A --sctp-service 192.0.2.150:3868 -s rr' \
        '-a --sctp-service 192.0.2.150:3868 -r 198.51.100.11:3868 -m' \
        '-a --sctp-service 192.0.2.150:3868 -r 198.51.100.12:3868 -m'
    nsx dir ip addr add 192.0.2.150/32 dev lo
    ask cl sctp 192.0.2.150:3868 10
    check "SCTP NAT rr: 10 associations to 192.0.2.150:3868 answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ] ||
        info "lvsadm -Lnc:" "$(L -Lnc)"
    return_route del
    ask cl sctp 192.0.2.150:3868 2 --timeout 1000
    check "SCTP NAT control: without the return route no association is answered ($R)" [ "$(v none)" = 2 ]
    return_route add

    conf "SCTP DR" '-A --sctp-service 192.0.2.151:3868 -s rr' \
        '-a --sctp-service 192.0.2.151:3868 -r 192.0.2.11:3868 -g' \
        '-a --sctp-service 192.0.2.151:3868 -r 192.0.2.12:3868 -g'
    nsx dir ip addr add 192.0.2.151/32 dev lo
    ask cl sctp 192.0.2.151:3868 10
    check "SCTP DR rr: 10 associations answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]
    vip_on_rs del 192.0.2.151/32
    ask cl sctp 192.0.2.151:3868 2 --timeout 1000
    check "SCTP DR control: real servers without the VIP answer no association ($R)" [ "$(v none)" = 2 ]
    vip_on_rs add 192.0.2.151/32
}

# ================================================================== fwmark
fwmark_tests() {
    if [ "$HAVE_NFT" != 1 ]; then
        skip "firewall marks (IPv4, IPv6): $HAVE_NFT"
        return
    fi
    nsx dir nft -f - <<'EOF' 2>"$W/err"
table inet lvs {
    chain pre {
        type filter hook prerouting priority mangle;
        ip daddr 192.0.2.160 tcp dport { 80, 443 } meta mark set 1
        ip6 daddr 2001:db8:f::10 tcp dport 80 meta mark set 2
    }
}
EOF
    check "fwmark: nft marks 192.0.2.160 ports 80 and 443 with 1, [2001:db8:f::10]:80 with 2" [ $? = 0 ] ||
        sed 's/^/    /' "$W/err"
    nsx dir ip addr add 192.0.2.160/32 dev lo
    nsx dir ip -6 addr add 2001:db8:f::10/128 dev lo
    conf "fwmark -p" '-A -f 1 -s rr -p 60' \
        '-a -f 1 -r 192.0.2.11 -g' '-a -f 1 -r 192.0.2.12 -g'
    ask cl tcp 192.0.2.160:80 4; a=$(got)
    ask cl tcp 192.0.2.160:443 4; b=$(got)
    check "fwmark -f 1 -p: 4 connections to port 80 and 4 to 443 all on one server ($a | $b)" \
        sh -c "[ '$a $b' = '4 0 0 0 4 0 0 0' ] || [ '$a $b' = '0 4 0 0 0 4 0 0' ]"
    conf "fwmark without -p" '-D -f 1' '-A -f 1 -s rr' \
        '-a -f 1 -r 192.0.2.11 -g' '-a -f 1 -r 192.0.2.12 -g'
    ask cl tcp 192.0.2.160:80 4; a=$R
    ask cl tcp 192.0.2.160:443 4; b=$R
    sum "$a" "$b"
    check "fwmark control: without -p the client's 8 connections spread over both servers ($(got))" \
        sh -c "[ $(v rs1) -gt 0 ] && [ $(v rs2) -gt 0 ] && [ $(($(v rs1) + $(v rs2))) = 8 ]"

    # IPv6
    conf "IPv6 fwmark" '-A -f 2 -6 -s rr' \
        '-a -f 2 -6 -r [2001:db8:1::11]:0 -g' '-a -f 2 -6 -r [2001:db8:1::12]:0 -g'
    ask cl tcp '[2001:db8:f::10]:80' 10
    check "IPv6 fwmark -f 2 -6: 10 connections to [2001:db8:f::10]:80 answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]

    nsx dir nft flush chain inet lvs pre
    ask cl tcp 192.0.2.160:80 2 --timeout 1000; a=$R
    ask cl tcp '[2001:db8:f::10]:80' 2 --timeout 1000; b=$R
    check "fwmark control: without the marks nothing is answered ($a | $b)" \
        sh -c "echo '$a' | grep -q 'none=2' && echo '$b' | grep -q 'none=2'"
}

# ================================================================== GRE, GUE
gre_gue_tests() {
    if [ "$HAVE_GRE" != 1 ]; then
        skip "GRE tunnel: $HAVE_GRE"
    else
        on_rs ip link set gre0 up
        L -A -t 192.0.2.170:80 -s rr
        if ! L -a -t 192.0.2.170:80 -r 192.0.2.11:80 -i --tun-type gre >"$W/err" 2>&1; then
            skip "GRE tunnel: the kernel refuses --tun-type gre: $(cat "$W/err")"
        else
            L -a -t 192.0.2.170:80 -r 192.0.2.12:80 -i --tun-type gre
            nsx dir ip addr add 192.0.2.170/32 dev lo
            c0=$(nsx rs1 cat /sys/class/net/gre0/statistics/rx_packets)
            ask cl tcp 192.0.2.170:80 10
            c1=$(nsx rs1 cat /sys/class/net/gre0/statistics/rx_packets)
            check "GRE (--tun-type gre) rr: 10 connections answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]
            check "GRE: rs1's gre0 received the packets ($((c1 - c0)))" [ $((c1 - c0)) -ge 10 ]
            on_rs ip link set gre0 down
            ask cl tcp 192.0.2.170:80 2 --timeout 1000
            check "GRE control: real servers without a GRE device up answer nothing ($R)" [ "$(v none)" = 2 ]
        fi
    fi
    if [ "$HAVE_FOU" != 1 ]; then
        skip "GUE tunnel: $HAVE_FOU"
        return
    fi
    L -A -t 192.0.2.171:80 -s rr
    if ! L -a -t 192.0.2.171:80 -r 192.0.2.11:80 -i --tun-type gue --tun-port 6080 >"$W/err" 2>&1; then
        skip "GUE tunnel: the kernel refuses --tun-type gue: $(cat "$W/err")"
        return
    fi
    L -a -t 192.0.2.171:80 -r 192.0.2.12:80 -i --tun-type gue --tun-port 6080
    nsx dir ip addr add 192.0.2.171/32 dev lo
    on_rs ip fou add port 6080 gue
    c0=$(nsx rs1 cat /sys/class/net/tunl0/statistics/rx_packets)
    ask cl tcp 192.0.2.171:80 10
    c1=$(nsx rs1 cat /sys/class/net/tunl0/statistics/rx_packets)
    check "GUE (--tun-type gue --tun-port 6080) rr: 10 connections answered 5/5 ($R)" [ "$(got)" = "5 5 0 0" ]
    check "GUE: rs1 decapsulated the packets (fou port 6080 to tunl0: $((c1 - c0)))" [ $((c1 - c0)) -ge 10 ]
    on_rs ip fou del port 6080
    ask cl tcp 192.0.2.171:80 2 --timeout 1000
    check "GUE control: real servers without the fou receive port answer nothing ($R)" [ "$(v none)" = 2 ]
}

# ================================================================== UDP drain
# --drain with a steady UDP client (each datagram refreshes its connection
# entry, counted as inactive): the client sends from one source port every
# 100 ms while its real server (rs1) gets weight 0 and, 3 s later, is
# deleted. The weight 0 does not move the flow. Then, with
# net.ipv4.vs.expire_nodest_conn=0 (the default), the kernel drops the
# flow's datagrams (the entry is not refreshed and lives out its UDP
# timeout); with 1 the next datagram expires the entry and is scheduled to
# rs2. lvsadm's drain turns the setting on before it deletes a UDP real
# server at the deadline, and says so on stderr with the undo command.
# wait_for N COMMAND...: until COMMAND succeeds, at most N times 0.1 s
wait_for() {
    _n=$1; shift
    while ! "$@" && [ "$_n" -gt 0 ]; do sleep 0.1; _n=$((_n - 1)); done
}
weight0() { # VIP: rs1 of VIP has weight 0
    ip netns exec dir lvsadm -Ln -u "$1:53" | awk '$2 == "192.0.2.11:53" { w = $4 } END { exit w != "0" }'
}
# udp_drain_case HOW EXPIRE VIP: HOW is drain (lvsadm -d --drain=3) or
# plain (lvsadm -e -w 0, 3 s, lvsadm -d: what a script without the drain
# does); sets seq (the client's answers) and fresh (a new client's)
udp_drain_case() {
    nsx dir sysctl -q -w net.ipv4.vs.expire_nodest_conn=$2
    conf "UDP drain ($1, expire_nodest_conn=$2)" "-A -u $3:53 -s rr" "-a -u $3:53 -r 192.0.2.11:53 -g"
    nsx dir ip addr add $3/32 dev lo
    nsx cl proto-peer ask udp $3:53 60 --one-port --interval 100 --timeout 300 >"$W/stream" 2>&1 &
    sp=$!
    # the client's flow is on rs1 (the only real server) before rs2 comes
    wait_for 20 sh -c "ip netns exec dir lvsadm -Lnc | grep -q ' $3:53 '"
    L -a -u $3:53 -r 192.0.2.12:53 -g
    if [ "$1" = drain ]; then
        L -d -u $3:53 -r 192.0.2.11:53 --drain=3 >"$W/drain" 2>"$W/drain.err" &
        dp=$!
    else
        L -e -u $3:53 -r 192.0.2.11:53 -g -w 0
        (sleep 3; ip netns exec dir lvsadm -d -u $3:53 -r 192.0.2.11:53) >"$W/drain" 2>"$W/drain.err" &
        dp=$!
    fi
    # a new client once rs1 has weight 0
    wait_for 20 weight0 $3
    ask cl udp $3:53 1; fresh=$R
    wait $dp; drc=$?
    wait $sp
    R=$(cat "$W/stream")
    seq=${R##*seq=}
    nodest=$(nsx dir cat /proc/sys/net/ipv4/vs/expire_nodest_conn)
    info "$1, expire_nodest_conn=$2 (now $nodest): exit $drc: $(cat "$W/drain" "$W/drain.err")" \
        "the client's answers, one per datagram (1 rs1, 2 rs2, . none): $seq"
    check "UDP drain ($1, expire_nodest_conn=$2): rs1 deleted after 3 s, the client still sending (exit $drc)" \
        sh -c "[ $drc = 0 ] && ! ip netns exec dir lvsadm -Ln -u $3:53 | grep -q 192.0.2.11:53"
    check "UDP drain ($1): a new client during the drain goes to rs2 ($fresh)" [ "$(R=$fresh; got)" = "0 1 0 0" ]
}
udp_drain_tests() {
    # the control: without lvsadm's drain (weight 0, then -d), the default
    # setting loses the flow
    udp_drain_case plain 0 192.0.2.180
    check "UDP drain control (weight 0 + -d, expire_nodest_conn=0): the flow stays on rs1 at weight 0, then gets no answer at all (${seq})" \
        sh -c "echo '$seq' | grep -Eq '^1{5,}[.]{5,}\$'"
    check "UDP drain control: expire_nodest_conn stays 0 ($nodest)" [ "$nodest" = 0 ]
    # lvsadm -d --drain: the setting is turned on, the flow moves
    udp_drain_case drain 0 192.0.2.181
    check "UDP --drain (expire_nodest_conn was 0): the flow stays on rs1 at weight 0, then moves to rs2 losing at most 2 datagrams (${seq})" \
        sh -c "echo '$seq' | grep -Eq '^1{5,}[.]{0,2}2{5,}\$'"
    check "UDP --drain: lvsadm turned expire_nodest_conn on ($nodest)" [ "$nodest" = 1 ]
    check "UDP --drain: one stderr line says so, with the undo command ($(cat "$W/drain.err"))" \
        sh -c "[ \$(wc -l <'$W/drain.err') = 1 ] && grep -q 'set net.ipv4.vs.expire_nodest_conn=1 .*(it was 0; to undo: lvsadm --sysctl expire_nodest_conn=0)' '$W/drain.err'"
    check "UDP --drain: stdout names the deadline deletion ($(cat "$W/drain"))" grep -q 'deadline reached' "$W/drain"
    L --sysctl expire_nodest_conn=0 >"$W/undo" 2>&1
    check "UDP --drain: the undo command puts it back ($(cat "$W/undo"))" \
        [ "$(nsx dir cat /proc/sys/net/ipv4/vs/expire_nodest_conn)" = 0 ]
    # already on (kube-proxy's way): nothing said, the flow moves
    udp_drain_case drain 1 192.0.2.182
    check "UDP --drain (expire_nodest_conn already 1): the flow moves to rs2 losing at most 2 datagrams (${seq})" \
        sh -c "echo '$seq' | grep -Eq '^1{5,}[.]{0,2}2{5,}\$'"
    check "UDP --drain (already 1): nothing on stderr ($(cat "$W/drain.err"))" [ ! -s "$W/drain.err" ]
    nsx dir sysctl -q -w net.ipv4.vs.expire_nodest_conn=0
}

# ================================================================== SCTP drain
# Associations end (SHUTDOWN) like TCP connections, and their entries
# leave the table a minute later (CLOSED, shown as 01:00 by -Lnc on 6.1
# and 6.12), so the drain's wait for
# ActiveConn and InActConn to reach 0 ends on its own: a client opening an
# association every 200 ms keeps being answered, by rs2 once rs1 has
# weight 0, and rs1 is deleted long before the deadline.
sctp_drain_tests() {
    if [ "$HAVE_SCTP" != 1 ]; then
        skip "SCTP drain: $HAVE_SCTP"
        return
    fi
    # NAT (the director sees both directions of each association), a VIP
    # of its own so that only this client's entries count
    V=192.0.2.152:3868
    conf "SCTP drain" "-A --sctp-service $V -s rr" \
        "-a --sctp-service $V -r 198.51.100.11:3868 -m" "-a --sctp-service $V -r 198.51.100.12:3868 -m"
    nsx dir ip addr add ${V%:*}/32 dev lo
    nsx cl proto-peer ask sctp $V 60 --interval 200 --timeout 2000 >"$W/sstream" 2>&1 &
    sp=$!
    wait_for 50 sh -c "ip netns exec dir lvsadm -Lnc | grep -q ' 198.51.100.11:3868\$'"
    L -Lnc | grep ' 198.51.100.11:3868$' >"$W/sconn0"
    n1=$(wc -l <"$W/sconn0")
    t0=$(cut -d' ' -f1 /proc/uptime)
    L -d --sctp-service $V -r 198.51.100.11:3868 --drain=90 >"$W/sdrain" 2>"$W/sdrain.err"
    drc=$?
    t1=$(cut -d' ' -f1 /proc/uptime)
    wait $sp
    R=$(cat "$W/sstream")
    seq=${R##*seq=}
    info "SCTP drain: rs1's entries when the drain began:" "$(cat "$W/sconn0")" \
        "lvsadm -d --drain=90 (exit $drc, $t0..$t1 s): $(cat "$W/sdrain" "$W/sdrain.err")" \
        "the client's associations (1 rs1, 2 rs2, . none): $seq" "entries left: $(L -Lnc | grep ' 192.0.2.152:3868 ')"
    check "SCTP drain: rs1 had associations when the drain began ($n1)" [ "$n1" -gt 0 ]
    check "SCTP drain: rs1 drained (no association left) and deleted before the 90 s deadline ($(cat "$W/sdrain"))" \
        sh -c "[ $drc = 0 ] && grep -q 'drained after' '$W/sdrain'"
    check "SCTP drain: every association answered, by rs2 once the drain began (${seq})" \
        sh -c "[ '$(v none)' = 0 ] && echo '$seq' | grep -Eq '^[12]*1[2]{5,}\$'"
    check "SCTP drain: emptied before the deadline, expire_nodest_conn left alone, nothing on stderr ($(cat "$W/sdrain.err"))" \
        sh -c "[ ! -s '$W/sdrain.err' ] && [ \$(ip netns exec dir cat /proc/sys/net/ipv4/vs/expire_nodest_conn) = 0 ]"
}

T0=$(cut -d' ' -f1 /proc/uptime)
if check "topology (namespaces, bridges, routes, tunnel devices, servers)" topology; then
    ipv6_tests
    info "IPv6 done at $(cut -d' ' -f1 /proc/uptime)s uptime"
    udp_tests
    info "UDP done at $(cut -d' ' -f1 /proc/uptime)s uptime"
    sctp_tests
    info "SCTP done at $(cut -d' ' -f1 /proc/uptime)s uptime"
    fwmark_tests
    info "fwmark done at $(cut -d' ' -f1 /proc/uptime)s uptime"
    gre_gue_tests
    info "GRE/GUE done at $(cut -d' ' -f1 /proc/uptime)s uptime"
    udp_drain_tests
    info "UDP drain done at $(cut -d' ' -f1 /proc/uptime)s uptime"
    sctp_drain_tests
    info "SCTP drain done at $(cut -d' ' -f1 /proc/uptime)s uptime"
fi
T1=$(cut -d' ' -f1 /proc/uptime)
info "guest time for the tests: ${T0}s .. ${T1}s uptime"
info "$SKIP skipped"
tap_done
