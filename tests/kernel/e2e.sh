#!/bin/sh
# End-to-end LVS test, run inside the IPVS test guest by tests/kernel/e2e
# (as /bin/sh = dash). contrib/lvs-director and contrib/lvs-realserver are
# /usr/sbin/lvs-director and /usr/sbin/lvs-realserver, lvsadm is
# /usr/sbin/lvsadm.
#
# For each forwarding mode (NAT, DR, TUN) a topology of network namespaces is
# built: clients cl1 and cl2, a director, real servers rs1..rs3 (busybox httpd
# serving a page whose first line is the server's name), switches (bridges
# in the namespace sw) and, for TUN, a router. The scripts configure the
# director and the real servers; clients fetch http://VIP/ with busybox wget.
#
# Output: one "ok - ..." or "FAIL - ..." line per check, "# ..." lines for
# information, and last "N passed, M failed".
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

. /job/tap.sh
. /job/topology.sh

W=/tmp/e2e
rm -rf "$W"; mkdir -p "$W"
PAGE_PAD=8000     # bytes of padding after the name: replies are large, requests small

teardown() {
    for _n in $NSLIST; do
        for _p in $(ip netns pids "$_n" 2>/dev/null); do kill "$_p" 2>/dev/null; done
        ip netns del "$_n" 2>/dev/null
    done
    NSLIST=
}
# web NAME: start busybox httpd in namespace NAME serving "NAME" + padding,
# on ports 80, 81 and 82: each round of a mode uses its own port, so that it
# gets fresh real servers (a deleted real server that still has connections
# waits in IPVS's trash and is reused, with its counters, by a new service
# with the same address and port)
web() {
    mkdir -p "$W/www-$1"
    { echo "$1"; head -c $PAGE_PAD /dev/zero | tr '\0' 'x'; echo; } >"$W/www-$1/index.html"
    for _p in 80 81 82; do nsx "$1" httpd -p $_p -h "$W/www-$1" || return 1; done
}
# the director and real-server scripts, each namespace with its own run dir
# (all namespaces share the guest's /run)
director() { nsx dir env LVS_RUN_DIR="$W/run-dir" lvs-director "$@"; }
realserver() { _n=$1; shift; nsx "$_n" env LVS_RUN_DIR="$W/run-$_n" lvs-realserver "$@"; }

# fetch NS VIP N OUT: N sequential requests from NS to VIP:$P, the first
# line of each reply (or NONE) to OUT
fetch() {
    # shellcheck disable=SC2016
    nsx "$1" /bin/sh -c '
        i=0
        while [ $i -lt "$2" ]; do
            r=$(timeout 10 wget -q -O - "http://$1:$3/" 2>/dev/null | head -n 1)
            echo "${r:-NONE}"
            i=$((i + 1))
        done' sh "$2" "$3" "$P" >"$4"
}
count() { grep -c "^$2\$" "$1"; }  # FILE NAME
# counter NS IF rx_bytes|tx_bytes|...
counter() { nsx "$1" cat "/sys/class/net/$2/statistics/$3"; }
# a field of the real server RIP:$P in $W/stats (lvsadm -Ln --stats), "" if absent
stats_field() { # RIP FIELDNO (3 Conns, 4 InPkts, 5 OutPkts)
    awk -v r="$1:$P" -v f="$2" '$1 == "->" && $2 == r { print $f }' "$W/stats"
}

# all_answered FILE N
all_answered() {
    [ "$(wc -l <"$1")" -eq "$2" ] && ! grep -q '^NONE$' "$1"
}
# ratio_about A B LO HI: LO <= A/B <= HI (LO, HI in tenths)
ratio_about() {
    [ "$2" -gt 0 ] && [ $(($1 * 10)) -ge $(($2 * $3)) ] && [ $(($1 * 10)) -le $(($2 * $4)) ]
}
in_range() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
# one distinct non-NONE answer in FILE
sticky() {
    [ "$(sort -u "$1" | wc -l)" -eq 1 ] && ! grep -q '^NONE$' "$1"
}

# the connections lvsadm counted equal the replies each server gave
# stats_match LABEL FILE RIP NAME [RIP NAME]...
stats_match() {
    _l=$1 _f=$2; shift 2
    # the kernel folds its per-CPU counters into what it reports every 2 s
    # (the rate estimator's tick): poll until the service's Conns reach the
    # number of requests, for at most about 4 s
    _want=$(wc -l <"$_f") _i=0
    while :; do
        nsx dir lvsadm -Ln --stats >"$W/stats" 2>&1
        _got=$(awk -v s="$V:$P" '$1 == "TCP" && $2 == s { print $3 }' "$W/stats")
        if [ "$_got" = "$_want" ] || [ $_i -ge 16 ]; then break; fi
        sleep 0.25; _i=$((_i + 1))
    done
    _okm=1 _txt='' _sum=0
    while [ $# -ge 2 ]; do
        _c=$(stats_field "$1" 3)
        _e=$(count "$_f" "$2")
        _txt="$_txt $2=$_c/$_e"
        [ "$_c" = "$_e" ] || _okm=
        _sum=$((_sum + _e))
        shift 2
    done
    # and every request was answered by one of them
    [ "$_sum" -gt 0 ] && [ "$_sum" = "$(wc -l <"$_f")" ] || _okm=
    check "$_l: lvsadm -Ln --stats Conns equal the replies per server (conns/replies:$_txt)" [ -n "$_okm" ]
}
# OutPkts of every listed real server is 0 (DR/TUN: the director sees no reply)
outpkts_zero() {
    for _r; do [ "$(stats_field "$_r" 5)" = 0 ] || return 1; done
}

# bytes the clients received and the director received meanwhile
bytes_before() { # DIRIF...
    B_CL=$(($(counter cl1 eth0 rx_bytes) + $(counter cl2 eth0 rx_bytes)))
    B_DIR=0
    for _i; do B_DIR=$((B_DIR + $(counter dir "$_i" rx_bytes))); done
}
bytes_after() { # DIRIF...
    D_CL=$(($(counter cl1 eth0 rx_bytes) + $(counter cl2 eth0 rx_bytes) - B_CL))
    D_DIR=0
    for _i; do D_DIR=$((D_DIR + $(counter dir "$_i" rx_bytes))); done
    D_DIR=$((D_DIR - B_DIR))
}

# director_clean LABEL VIP: no rules, no VIP, no lock file, status says stopped
director_clean() {
    check "$1: lvs-director stop leaves no rules (lvsadm -Sn empty)" \
        [ -z "$(nsx dir lvsadm -Sn)" ]
    check "$1: lvs-director stop removes VIP $2 from the director" \
        sh -c "! ip -n dir -o -4 addr | grep -q ' $2/'"
    check "$1: lvs-director stop removes its lock and state files" [ -z "$(ls -A "$W/run-dir")" ]
    director status >/dev/null 2>&1
    check "$1: lvs-director status exits 3 when stopped" [ $? = 3 ]
}
# rs_clean LABEL NS: no VIP on lo/tunl0, ARP settings 0/0 on all and lo
rs_clean() {
    _v=$(nsx "$2" sh -c 'ip -o -4 addr show dev lo; ip -o -4 addr show dev tunl0' 2>/dev/null |
        grep -v ' 127\.')
    _a=$(nsx "$2" sh -c 'cd /proc/sys/net/ipv4/conf &&
        cat all/arp_ignore all/arp_announce lo/arp_ignore lo/arp_announce' | tr '\n' ' ')
    check "$1: lvs-realserver stop on $2 leaves no VIP and ARP settings 0 0 0 0 (all, lo: $_a)" \
        [ -z "$_v" -a "$_a" = "0 0 0 0 " ]
}

# ------------------------------------------------------------------ setup
modprobe bridge || bad "modprobe bridge"
# tunl0 in every new namespace (the harness's init sets 2: init_net only)
sysctl -q -w net.core.fb_tunnels_only_for_init_net=0
mkdir -p "$W/run-dir"

start_rs_web() { for _r in rs1 rs2 rs3; do web "$_r" || bad "httpd in $_r"; done; }

# weighted_spread MODE FLAG IFACE: wlc with weights 3:1 over rs1 and rs2
# (rs3 left out); 32 requests from cl1 spread about 3:1, the kernel's
# counters agree with what the clients saw
weighted_spread() {
    _m=$1 _f=$2 _i=$3
    P=$((P + 1))
    director -P $P $_f -s wlc -I $_i start $V $R1:3 $R2:1 >"$W/log" 2>&1
    check "$_m: lvs-director $_f -s wlc start with weights 3:1" [ $? = 0 ]
    fetch cl1 $V 32 "$W/c1"
    check "$_m wlc: all 32 requests answered" all_answered "$W/c1" 32
    a=$(count "$W/c1" rs1) b=$(count "$W/c1" rs2) c=$(count "$W/c1" rs3)
    check "$_m wlc 3:1: spread about 3:1 (rs1=$a rs2=$b rs3=$c)" \
        sh -c "[ $c = 0 ] && [ $b -gt 0 ] && [ \$(($a * 10)) -ge \$(($b * 20)) ] && [ \$(($a * 10)) -le \$(($b * 45)) ]"
    stats_match "$_m wlc" "$W/c1" $R1 rs1 $R2 rs2
    director stop $V >/dev/null 2>&1
}

# persistence MODE "FLAGS" IFACE: -p 60 over rs1..rs3; each of two clients
# sticks to one server for 8 requests; then the director cleans up
persistence() {
    _m=$1 _f=$2 _i=$3
    P=$((P + 1))
    # shellcheck disable=SC2086 # FLAGS is a list of options
    director -P $P $_f -p 60 -I $_i start $V $R1 $R2 $R3 >"$W/log" 2>&1
    check "$_m: lvs-director ${_f:+$_f }-p 60 start" [ $? = 0 ]
    fetch cl1 $V 8 "$W/c1"; fetch cl2 $V 8 "$W/c2"
    cat "$W/c1" "$W/c2" >"$W/c12"
    check "$_m -p: all 16 requests of 2 clients answered" all_answered "$W/c12" 16
    check "$_m -p: client 1 sticks to one server ($(sort -u "$W/c1" | tr '\n' ' '))" sticky "$W/c1"
    check "$_m -p: client 2 sticks to one server ($(sort -u "$W/c2" | tr '\n' ' '))" sticky "$W/c2"
    stats_match "$_m -p" "$W/c12" $R1 rs1 $R2 rs2 $R3 rs3
    director stop $V >/dev/null 2>&1
    director_clean "$_m -p" $V
}

# ================================================================== NAT
# cl1 203.0.113.100, cl2 .101, dir ext .254 --[br ext]--, VIP 203.0.113.1
# dir int 198.51.100.254 --[br int]-- rs1..3 198.51.100.11..13, default via dir
nat_topology() {
    mkns sw cl1 cl2 dir rs1 rs2 rs3 || return 1
    switch ext && switch int || return 1
    plug cl1 eth0 ext 203.0.113.100/24 && plug cl2 eth0 ext 203.0.113.101/24 &&
        plug dir ext ext 203.0.113.254/24 && plug dir int int 198.51.100.254/24 || return 1
    n=10
    for r in rs1 rs2 rs3; do
        n=$((n + 1))
        plug $r eth0 int 198.51.100.$n/24 && ip -n $r route add default via 198.51.100.254 || return 1
    done
    start_rs_web
}

nat_tests() {
    V=203.0.113.1 P=79 R1=198.51.100.11 R2=198.51.100.12 R3=198.51.100.13
    check "NAT: topology (namespaces, bridges, httpd)" nat_topology || return

    # rr over three servers
    P=$((P + 1))
    director -P $P -m -s rr -I ext start $V $R1 $R2 $R3 >"$W/log" 2>&1
    check "NAT: lvs-director -m -s rr start" [ $? = 0 ]
    check "NAT: ip_forward enabled on the director" [ "$(nsx dir cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
    director status >/dev/null 2>&1
    check "NAT: lvs-director status exits 0 while running" [ $? = 0 ]
    bytes_before int
    fetch cl1 $V 30 "$W/c1"
    bytes_after int
    check "NAT rr: all 30 requests answered" all_answered "$W/c1" 30
    a=$(count "$W/c1" rs1) b=$(count "$W/c1" rs2) c=$(count "$W/c1" rs3)
    check "NAT rr: equal spread over 3 servers (rs1=$a rs2=$b rs3=$c, want 10 each)" \
        [ "$a $b $c" = "10 10 10" ]
    stats_match "NAT rr" "$W/c1" $R1 rs1 $R2 rs2 $R3 rs3
    check "NAT rr: replies pass the director (its inside rx $D_DIR bytes >= 90% of the clients' rx $D_CL)" \
        [ $((D_DIR * 10)) -ge $((D_CL * 9)) ]
    check "NAT rr: lvsadm --stats OutPkts > 0 (the director rewrites replies)" \
        [ "$(stats_field $R1 5)" != 0 ]
    director stop $V >"$W/log" 2>&1
    check "NAT: lvs-director stop" [ $? = 0 ]
    director_clean "NAT" $V
    check "NAT: stop restores ip_forward 0" [ "$(nsx dir cat /proc/sys/net/ipv4/ip_forward)" = 0 ]

    # wlc, weights 3:1
    weighted_spread NAT --nat ext

    # persistence
    persistence NAT "-m -s rr" ext
}

# ================================================================== DR
# one segment 192.0.2.0/24 (br lan): cl1 .100, cl2 .101, dir .2, rs1..3
# .11..13, VIP .1. The servers reply straight to the clients.
dr_topology() {
    mkns sw cl1 cl2 dir rs1 rs2 rs3 || return 1
    switch lan || return 1
    plug cl1 eth0 lan 192.0.2.100/24 && plug cl2 eth0 lan 192.0.2.101/24 &&
        plug dir eth0 lan 192.0.2.2/24 || return 1
    n=10
    for r in rs1 rs2 rs3; do
        n=$((n + 1))
        plug $r eth0 lan 192.0.2.$n/24 || return 1
    done
    start_rs_web
}
mac() { nsx "$1" cat "/sys/class/net/$2/address"; }
# arp_macs NS VIP: the MACs that answer a broadcast ARP request for VIP
arp_macs() {
    nsx "$1" ip neigh flush dev eth0 >/dev/null 2>&1
    nsx "$1" arping -b -c 2 -w 3 -I eth0 "$2" 2>/dev/null |
        sed -n 's/.*reply from [0-9.]* \[\([0-9a-f:]*\)\].*/\1/p' | sort -u | tr '\n' ' '
}

dr_tests() {
    V=192.0.2.1 P=79 R1=192.0.2.11 R2=192.0.2.12 R3=192.0.2.13
    check "DR: topology (one segment, httpd)" dr_topology || return
    m_dir=$(mac dir eth0) m_rs1=$(mac rs1 eth0)

    # ARP: the problem the real-server script solves
    ip -n rs1 addr add $V/32 dev lo
    got=$(arp_macs cl1 $V)
    check "DR ARP: without arp_ignore, rs1 with the VIP on lo answers ARP for it (replies from: $got; rs1 is $m_rs1)" \
        [ "$got" = "$m_rs1 " ]
    ip -n rs1 addr del $V/32 dev lo
    okrs=1
    for r in rs1 rs2 rs3; do
        realserver $r start $V >"$W/log" 2>&1 || { okrs=; cat "$W/log"; }
    done
    check "DR: lvs-realserver start on rs1..rs3" [ -n "$okrs" ]
    info "lvs-realserver start $V (on rs3):" "$(cat "$W/log")"
    a=$(nsx rs1 sh -c 'cd /proc/sys/net/ipv4/conf && cat all/arp_ignore all/arp_announce lo/arp_ignore lo/arp_announce' | tr '\n' ' ')
    check "DR: real server has VIP on lo and arp_ignore/arp_announce 1 2 1 2 ($a)" \
        sh -c "ip -n rs1 -o -4 addr show dev lo | grep -q ' $V/32' && [ '$a' = '1 2 1 2 ' ]"
    realserver rs1 status >"$W/log" 2>&1
    check "DR: lvs-realserver status exits 0 while set up" [ $? = 0 ]
    info "lvs-realserver status (on rs1):" "$(cat "$W/log")"
    got=$(arp_macs cl1 $V)
    check "DR ARP: with lvs-realserver and no director, nobody answers ARP for the VIP (replies from: ${got:-none})" \
        [ -z "$got" ]

    # wrr, weights 3:1
    P=$((P + 1))
    director -P $P -s wrr -I eth0 start $V $R1:3 $R2:1 >"$W/log" 2>&1
    check "DR: lvs-director -s wrr start (DR is the default)" [ $? = 0 ]
    info "lvs-director -s wrr -I eth0 start $V $R1:3 $R2:1:" "$(cat "$W/log")"
    got=$(arp_macs cl1 $V)
    check "DR ARP: only the director answers ARP for the VIP (replies from: $got; director is $m_dir)" \
        [ "$got" = "$m_dir " ]
    nsx dir lvsadm -Ln >"$W/listing.dr"
    info "lvsadm -Ln on the DR director:"
    info "$(cat "$W/listing.dr")"
    bytes_before eth0
    fetch cl1 $V 32 "$W/c1"
    bytes_after eth0
    check "DR wrr: all 32 requests answered" all_answered "$W/c1" 32
    a=$(count "$W/c1" rs1) b=$(count "$W/c1" rs2) c=$(count "$W/c1" rs3)
    check "DR wrr 3:1: spread 24/8/0 (rs1=$a rs2=$b rs3=$c)" [ "$a $b $c" = "24 8 0" ]
    stats_match "DR wrr" "$W/c1" $R1 rs1 $R2 rs2
    check "DR wrr: lvsadm --stats OutPkts = 0 (no reply through the director)" outpkts_zero $R1 $R2
    check "DR wrr: replies bypass the director (it received $D_DIR bytes, the clients $D_CL)" \
        [ $((D_DIR * 4)) -lt "$D_CL" ]
    director status >"$W/log" 2>&1
    info "lvs-director status:" "$(cat "$W/log")"
    nsx dir lvsadm -Ln --stats >"$W/stats.dr"
    info "lvsadm -Ln --stats after the requests:"
    info "$(cat "$W/stats.dr")"
    director stop $V >"$W/log" 2>&1
    check "DR: lvs-director stop" [ $? = 0 ]
    info "lvs-director stop $V:" "$(cat "$W/log")"
    director_clean "DR" $V

    # lc over three servers
    P=$((P + 1))
    director -P $P -g -s lc -I eth0 start $V $R1 $R2 $R3 >"$W/log" 2>&1
    check "DR: lvs-director -g -s lc start" [ $? = 0 ]
    fetch cl1 $V 30 "$W/c1"
    check "DR lc: all 30 requests answered" all_answered "$W/c1" 30
    a=$(count "$W/c1" rs1) b=$(count "$W/c1" rs2) c=$(count "$W/c1" rs3)
    check "DR lc: balanced over 3 servers (rs1=$a rs2=$b rs3=$c, want 9..11 each)" \
        sh -c "[ $a -ge 9 ] && [ $a -le 11 ] && [ $b -ge 9 ] && [ $b -le 11 ] && [ $c -ge 9 ] && [ $c -le 11 ]"
    stats_match "DR lc" "$W/c1" $R1 rs1 $R2 rs2 $R3 rs3
    director stop $V >/dev/null 2>&1

    # persistence (default scheduler wlc)
    persistence DR "" eth0

    okrs=1
    for r in rs1 rs2 rs3; do realserver $r stop $V >"$W/log" 2>&1 || { okrs=; cat "$W/log"; }; done
    check "DR: lvs-realserver stop on rs1..rs3" [ -n "$okrs" ]
    info "lvs-realserver stop $V (on rs3):" "$(cat "$W/log")"
    for r in rs1 rs2 rs3; do rs_clean "DR" $r; done
    realserver rs1 status >/dev/null 2>&1
    check "DR: lvs-realserver status exits 3 when stopped" [ $? = 3 ]
}

# ================================================================== TUN
# cl1 203.0.113.100, cl2 .101 --[br ext]-- rt 203.0.113.254
# rt 192.0.2.254 ---- dir 192.0.2.2, VIP 192.0.2.1
# rt 198.51.100.254 --[br rsnet]-- rs1..3 198.51.100.11..13
# The director reaches the servers through the router, encapsulated; the
# servers answer through the router.
tun_topology() {
    mkns sw rt cl1 cl2 dir rs1 rs2 rs3 || return 1
    switch ext && switch rsnet || return 1
    nsx rt sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward' || return 1
    plug cl1 eth0 ext 203.0.113.100/24 && plug cl2 eth0 ext 203.0.113.101/24 &&
        plug rt ext ext 203.0.113.254/24 || return 1
    ip -n cl1 route add default via 203.0.113.254 && ip -n cl2 route add default via 203.0.113.254 || return 1
    veth rt dirnet dir eth0 && ip -n rt addr add 192.0.2.254/24 dev dirnet &&
        ip -n dir addr add 192.0.2.2/24 dev eth0 && ip -n dir route add default via 192.0.2.254 || return 1
    plug rt rsnet rsnet 198.51.100.254/24 || return 1
    n=10
    for r in rs1 rs2 rs3; do
        n=$((n + 1))
        plug $r eth0 rsnet 198.51.100.$n/24 && ip -n $r route add default via 198.51.100.254 || return 1
    done
    start_rs_web
}

tun_tests() {
    V=192.0.2.1 P=79 R1=198.51.100.11 R2=198.51.100.12 R3=198.51.100.13
    check "TUN: topology (router, three networks, httpd)" tun_topology || return
    okrs=1
    for r in rs1 rs2 rs3; do
        realserver $r -i start $V >"$W/log" 2>&1 || { okrs=; cat "$W/log"; }
    done
    check "TUN: lvs-realserver -i start on rs1..rs3" [ -n "$okrs" ]
    a=$(nsx rs1 sh -c 'cd /proc/sys/net/ipv4/conf && cat all/arp_ignore all/arp_announce lo/arp_ignore lo/arp_announce all/rp_filter tunl0/rp_filter' | tr '\n' ' ')
    check "TUN: real server has VIP on tunl0 (up), arp 1 2 1 2, rp_filter 0 0 ($a)" \
        sh -c "ip -n rs1 -o -4 addr show dev tunl0 | grep -q ' $V/32' && ip -n rs1 -o link show dev tunl0 | grep -q '[<,]UP[,>]' && [ '$a' = '1 2 1 2 0 0 ' ]"

    # rr over three servers
    P=$((P + 1))
    director -P $P -i -s rr -I eth0 start $V $R1 $R2 $R3 >"$W/log" 2>&1
    check "TUN: lvs-director -i -s rr start" [ $? = 0 ]
    bytes_before eth0
    fetch cl1 $V 30 "$W/c1"
    bytes_after eth0
    check "TUN rr: all 30 requests answered" all_answered "$W/c1" 30
    a=$(count "$W/c1" rs1) b=$(count "$W/c1" rs2) c=$(count "$W/c1" rs3)
    check "TUN rr: equal spread over 3 servers (rs1=$a rs2=$b rs3=$c, want 10 each)" \
        [ "$a $b $c" = "10 10 10" ]
    stats_match "TUN rr" "$W/c1" $R1 rs1 $R2 rs2 $R3 rs3
    check "TUN rr: lvsadm --stats OutPkts = 0 (no reply through the director)" outpkts_zero $R1 $R2 $R3
    check "TUN rr: replies bypass the director (it received $D_DIR bytes, the clients $D_CL)" \
        [ $((D_DIR * 4)) -lt "$D_CL" ]
    director stop $V >"$W/log" 2>&1
    check "TUN: lvs-director stop" [ $? = 0 ]
    director_clean "TUN" $V

    # wlc, weights 3:1
    weighted_spread TUN --tun eth0

    # persistence
    persistence TUN "-i -s rr" eth0

    okrs=1
    for r in rs1 rs2 rs3; do realserver $r stop $V >"$W/log" 2>&1 || { okrs=; cat "$W/log"; }; done
    check "TUN: lvs-realserver stop on rs1..rs3" [ -n "$okrs" ]
    for r in rs1 rs2 rs3; do rs_clean "TUN" $r; done
    a=$(nsx rs1 sh -c 'cd /proc/sys/net/ipv4/conf && cat all/rp_filter tunl0/rp_filter' | tr '\n' ' ')
    check "TUN: lvs-realserver stop restores rp_filter ($a) and takes tunl0 down" \
        sh -c "[ '$a' = '0 0 ' ] && ! ip -n rs1 -o link show dev tunl0 | grep -q '[<,]UP[,>]'"
}

# ================================================================== usage
usage_tests() {
    lvs-director >/dev/null 2>&1; r1=$?
    lvs-director start 192.0.2.1 >/dev/null 2>&1; r2=$?
    lvs-director start 192.0.2.300 192.0.2.11 >/dev/null 2>&1; r3=$?
    lvs-director --mode foo start 192.0.2.1 192.0.2.11 >/dev/null 2>&1; r4=$?
    lvs-realserver start >/dev/null 2>&1; r5=$?
    lvs-realserver start 192.0.2 >/dev/null 2>&1; r6=$?
    check "usage: bad input exits 2 (no command, no RIP, bad VIP, bad mode, rs without VIP, rs bad VIP: $r1 $r2 $r3 $r4 $r5 $r6)" \
        [ "$r1 $r2 $r3 $r4 $r5 $r6" = "2 2 2 2 2 2" ]
    lvs-director stop 192.0.2.1 >/dev/null 2>&1; r1=$?
    check "usage: stop of a VIP that is not set up fails ($r1)" [ "$r1" = 1 ]
}

# ================================================================== cleanup
# The scripts undo what they did (issue 15): a failed start leaves nothing
# behind, one VIP carries several services, timeouts only when asked and
# restored, real-server settings restored to what they were, foreign
# addresses left alone. No traffic: one director and one real server.
arp4() { # NS: arp_ignore arp_announce of all and lo
    nsx "$1" sh -c 'cd /proc/sys/net/ipv4/conf && cat all/arp_ignore all/arp_announce lo/arp_ignore lo/arp_announce' | tr '\n' ' '
}
d15() { nsx d15 env LVS_RUN_DIR="$W/run-d15" lvs-director "$@"; }
r15() { nsx r15 env LVS_RUN_DIR="$W/run-r15" lvs-realserver "$@"; }
has_vip() { ip -n "$1" -o -4 addr show dev "$2" | grep -q " inet $3/32 "; }

cleanup_tests() {
    V=203.0.113.1
    mkns d15 r15 || return
    modprobe dummy 2>/dev/null
    if ! { ip -n d15 link add ext type dummy && ip -n d15 link set ext up &&
        ip -n d15 addr add 203.0.113.254/24 dev ext; }; then
        bad "cleanup: dummy interface"
        teardown
        return
    fi
    nsx d15 lvsadm --set 1000 100 200
    tmo() { nsx d15 lvsadm -L --timeout; }
    T_BEFORE=$(tmo)

    # a failed start (unknown scheduler) in NAT mode undoes the VIP and ip_forward
    d15 -m -s nosuch -I ext start $V 198.51.100.11 >"$W/log" 2>&1; r=$?
    check "cleanup: start with -s nosuch fails ($r)" [ "$r" = 1 ]
    check "cleanup: failed start removed the VIP" sh -c "! ip -n d15 -o -4 addr show dev ext | grep -q ' $V/'"
    check "cleanup: failed start restored ip_forward 0" [ "$(nsx d15 cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
    check "cleanup: failed start says what it undid" \
        grep -q "undone: $V removed from ext, ip_forward restored to 0" "$W/log"
    check "cleanup: failed start leaves no rules and no files" \
        sh -c "[ -z \"\$(ip netns exec d15 lvsadm -Sn)\" ] && [ -z \"\$(ls -A '$W/run-d15' 2>/dev/null)\" ]"
    info "failed start:" "$(cat "$W/log")"
    # a real server that cannot be added: the service goes too
    d15 -s rr -I ext start $V 198.51.100.11 198.51.100.11 >"$W/log" 2>&1; r=$?
    check "cleanup: start with a duplicate real server fails ($r)" [ "$r" = 1 ]
    check "cleanup: ... and removes the service and the VIP" \
        sh -c "[ -z \"\$(ip netns exec d15 lvsadm -Sn)\" ] && ! ip -n d15 -o -4 addr show dev ext | grep -q ' $V/'"
    check "cleanup: ... and says so" grep -q "undone: service tcp $V:80 removed, $V removed from ext" "$W/log"
    # the service exists already (someone else's): nothing is touched
    nsx d15 lvsadm -A -t $V:80 -s rr
    d15 -s wlc -I ext start $V 198.51.100.11 >"$W/log" 2>&1; r=$?
    check "cleanup: start on an existing service fails ($r)" [ "$r" = 1 ]
    check "cleanup: ... leaves that service and adds no VIP" \
        sh -c "[ \"\$(ip netns exec d15 lvsadm -Sn)\" = '-A -t $V:80 -s rr' ] && ! ip -n d15 -o -4 addr show dev ext | grep -q ' $V/'"
    nsx d15 lvsadm -D -t $V:80
    check "cleanup: the timeouts were never touched" [ "$(tmo)" = "$T_BEFORE" ]

    # several services on one VIP; timeouts only when asked, restored on stop
    d15 -s rr -I ext start $V 198.51.100.11 >"$W/log" 2>&1; r1=$?
    check "cleanup: start without -T leaves the timeouts" [ "$(tmo)" = "$T_BEFORE" ]
    d15 -P 443 -s rr -T "30 5 60" -I ext start $V 198.51.100.11 >>"$W/log" 2>&1; r2=$?
    d15 -u -P 53 -m -s rr -I ext start $V 198.51.100.11 >>"$W/log" 2>&1; r3=$?
    check "cleanup: three services on one VIP start ($r1 $r2 $r3)" [ "$r1 $r2 $r3" = "0 0 0" ]
    check "cleanup: three services in the table" [ "$(nsx d15 lvsadm -Sn | grep -c '^-A')" = 3 ]
    check "cleanup: -T sets the timeouts" [ "$(tmo)" = "Timeout (tcp tcpfin udp): 30 5 60" ]
    d15 status >"$W/log" 2>&1; r=$?
    n=$(grep -c "^[tu][cd]p $V:" "$W/log")
    check "cleanup: status exits 0 ($r) and lists the three ($n)" [ "$r $n" = "0 3" ]
    d15 -P 443 stop $V >"$W/log" 2>&1; r=$?
    n=$(nsx d15 lvsadm -Sn | grep -c '^-A')
    check "cleanup: stop -P 443 stops that one ($r, $n services left)" [ "$r $n" = "0 2" ]
    check "cleanup: ... the VIP stays for the others" has_vip d15 ext $V
    check "cleanup: ... ip_forward stays for the NAT service" [ "$(nsx d15 cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
    d15 stop $V >"$W/log" 2>&1; r=$?
    n=$(nsx d15 lvsadm -Sn | grep -c '^-A')
    check "cleanup: stop VIP stops the rest ($r, $n services left)" [ "$r $n" = "0 0" ]
    check "cleanup: ... removes the VIP" sh -c "! ip -n d15 -o -4 addr show dev ext | grep -q ' $V/'"
    check "cleanup: ... restores ip_forward 0" [ "$(nsx d15 cat /proc/sys/net/ipv4/ip_forward)" = 0 ]
    check "cleanup: ... restores the timeouts ($(tmo))" [ "$(tmo)" = "$T_BEFORE" ]
    check "cleanup: ... leaves no files" [ -z "$(ls -A "$W/run-d15" 2>/dev/null)" ]
    # a VIP that was there before start stays after stop
    ip -n d15 addr add $V/32 dev ext
    d15 -s rr -I ext start $V 198.51.100.11 >/dev/null 2>&1 && d15 stop $V >/dev/null 2>&1
    check "cleanup: a VIP that was already there stays" has_vip d15 ext $V

    # real server: ARP settings restored to what they were
    for k in all/arp_ignore all/arp_announce lo/arp_ignore lo/arp_announce; do
        nsx r15 sh -c "echo 1 >/proc/sys/net/ipv4/conf/$k"
    done
    ip -n r15 addr add 203.0.113.9/32 dev lo      # someone else's
    r15 status >"$W/log" 2>&1; r=$?
    n=$(grep -c 203.0.113.9 "$W/log")
    check "cleanup: rs status ignores a foreign /32 on lo (exit $r, listed $n times)" [ "$r $n" = "3 0" ]
    r15 start $V >"$W/log" 2>&1; r=$?
    a=$(arp4 r15)
    check "cleanup: rs start ($r), ARP 1 2 1 2 ($a)" [ "$r $a" = "0 1 2 1 2 " ]
    r15 status >"$W/log" 2>&1
    check "cleanup: rs status lists only its VIP" sh -c "grep -q 'VIP $V on lo' '$W/log' && ! grep -q 203.0.113.9 '$W/log'"
    r15 stop 203.0.113.9 >"$W/log" 2>&1; r=$?
    check "cleanup: rs stop of a foreign address fails ($r)" [ "$r" = 1 ]
    check "cleanup: ... and leaves it" has_vip r15 lo 203.0.113.9
    r15 start 203.0.113.9 >"$W/log" 2>&1; r=$?
    check "cleanup: rs start of a foreign address fails ($r)" [ "$r" = 1 ]
    check "cleanup: ... saying it is not its own" grep -q 'not added by' "$W/log"
    r15 stop $V >"$W/log" 2>&1; r=$?
    a=$(arp4 r15)
    check "cleanup: rs stop ($r) restores ARP 1 1 1 1 ($a)" [ "$r $a" = "0 1 1 1 1 " ]
    check "cleanup: rs stop removed its VIP, kept the foreign one" \
        sh -c "! ip -n r15 -o -4 addr show dev lo | grep -q ' $V/' && ip -n r15 -o -4 addr show dev lo | grep -q ' 203.0.113.9/32 '"
    check "cleanup: rs stop leaves no files" [ -z "$(ls -A "$W/run-r15" 2>/dev/null)" ]
    teardown
}

T0=$(cut -d' ' -f1 /proc/uptime)
usage_tests
cleanup_tests
info "cleanup done at $(cut -d' ' -f1 /proc/uptime)s uptime"
nat_tests; teardown
info "NAT done at $(cut -d' ' -f1 /proc/uptime)s uptime"
dr_tests; teardown
info "DR done at $(cut -d' ' -f1 /proc/uptime)s uptime"
tun_tests; teardown
info "TUN done at $(cut -d' ' -f1 /proc/uptime)s uptime"
T1=$(cut -d' ' -f1 /proc/uptime)
info "guest time for the tests: ${T0}s .. ${T1}s uptime"
tap_done
