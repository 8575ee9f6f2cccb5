#!/bin/sh
# Active/active directors that announce their virtual address over BGP, run
# inside the IPVS test guest by tests/kernel/bgp (as /bin/sh = dash).
# lvsadm is /usr/sbin/lvsadm, Debian's BIRD /usr/sbin/bird and birdc;
# contrib/bird's configurations and sysctls are in /etc/lvs.
#
# Namespaces: a client cl (198.51.100.100) behind a router rt, which runs
# BIRD with contrib/bird/bird-router.conf (BGP, BFD, kernel protocol with
# merge paths); on the LAN 192.0.2.0/24 (bridge lan in sw): the router
# (.254), three directors d1 d2 d3 (.2 .3 .4) and three DR real servers
# rs1 rs2 rs3 (.11 .12 .13). Each director has the sysctls of
# contrib/bird/sysctl-lvs-bgp-director.conf, the VIP on lo, BIRD with
# contrib/bird/bird-director.conf and `lvsadm --supervise` of a rule file
# with --announce 1: the VIP is on the director's lvsvip0 while at least
# one real server passes its checks, and BIRD exports it to the router.
# Health checks every 1 s (fall 2, rise 1). The BGP hold time is shortened
# to 10 s (keepalive 3 s) and BFD to 1 s x 3 (not shorter: under qemu
# without KVM on a loaded machine BIRD is not always scheduled for hundreds
# of milliseconds), and a session that drops comes back after 1 to 3 s
# instead of BIRD's 60 s (see bird_conf). Each failover is timed, in
# milliseconds, polling every 0.2 s (the first poll at once).
#
# Real servers and client flows: see directors-lib.sh.
#
# Output: one "ok - ..." or "FAIL - ..." line per check, "# ..." lines for
# information, and last "N passed, M failed".
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

. /job/tap.sh
. /job/topology.sh

W=/tmp/bgp
rm -rf "$W"; mkdir -p "$W"
P=7000              # the service port (the echo servers listen on it)
NET=192.0.2
VIP=203.0.113.1
DIRS="d1 d2 d3"
. /job/directors-lib.sh

# ---------------------------------------------------------------- timing
# ms: the uptime in milliseconds (/proc/uptime has two decimals; read by the
# shell itself, so that polling does not start a process for it)
ms() {
    read -r _u _x </proc/uptime
    _f=${_u#*.}; _f=${_f#0}
    echo $((${_u%.*} * 1000 + ${_f:-0} * 10))
}
# wait_fast SECS COMMAND...: poll COMMAND every 0.2 s for SECS seconds
wait_fast() { wait_every 0.2 "$@"; }

# ---------------------------------------------------------------- pieces
dirip() { case $1 in d1) echo $NET.2 ;; d2) echo $NET.3 ;; d3) echo $NET.4 ;; esac; }
# hops: the directors the router's route to the VIP goes through ("d1 d3"),
# in the order of DIRS; one process (ip) per call, as it is polled
hops() {
    # (each next hop is "via ADDR dev ...", in a line of its own or not)
    _rt=$(ip -n rt route show "$VIP/32" 2>/dev/null) _h=
    for _d in $DIRS; do
        case $_d in d1) _a=$NET.2 ;; d2) _a=$NET.3 ;; d3) _a=$NET.4 ;; esac
        case $_rt in *" via $_a "*) _h="$_h $_d" ;; esac
    done
    echo "${_h# }"
}
hops_are() { [ "$(hops)" = "$1" ]; }
# announced NS: the VIP is on NS's lvsvip0
announced() { ip -n "$1" -o addr show dev lvsvip0 2>/dev/null | grep -q " inet $VIP/32"; }
withdrawn() { ! announced "$1"; }
nodev() { ! ip -n "$1" link show lvsvip0 >/dev/null 2>&1; }

# rules NS SCHED: the director's rule file (mh with mh-port, or rr)
rules() {
    _b=; [ "$2" = mh ] && _b="-b mh-port"
    {
        echo "-A -t $VIP:$P -s $2 $_b --health tcp --interval 1 --health-timeout 0.8 --fall 2 --rise 1 --announce 1"
        for _r in rs1 rs2 rs3; do echo "-a -t $VIP:$P -r $(rsip $_r):$P -g -w 1"; done
    } >"$W/rules-$1"
}
# sup_start NS: the supervisor of NS (its pid in $W/sup-NS.pid; metrics on
# 127.0.0.1:9100 of the namespace)
sup_start() {
    ip netns exec "$1" lvsadm --supervise "$W/rules-$1" --state-dir "$W/st-$1" \
        --listen 127.0.0.1:9100 >>"$W/sup-$1.log" 2>&1 &
    echo $! >"$W/sup-$1.pid"
}
sup_pid() { cat "$W/sup-$1.pid"; }
metrics() { nsx "$1" wget -q -O - http://127.0.0.1:9100/metrics 2>/dev/null; }
# metric_is NS NAME VALUE: the series NAME{address="VIP"} of NS is VALUE
metric_is() { metrics "$1" | grep -qx "$2{address=\"$VIP\"} $3"; }
# bird_conf NS ROLE: contrib/bird's configuration for NS (director or
# router) with this test's addresses, log file and short timers. Besides
# the shorter hold, keepalive and BFD times, each BGP session gets back
# within seconds after an error (BFD down, hold timer) instead of BIRD's
# defaults (first connection after 5 s, retry after 120 s, restart after
# an error after 60 to 300 s): a guest that qemu without KVM does not get
# the CPU for a few seconds drops its sessions, and the checks after it
# must not find no route for a minute. The log says each session's state
# changes and events (so that a run says when sessions dropped).
bird_conf() {
    _ip=$(dirip "$1")
    sed -e "s/^router id 192.0.2.2;/router id $_ip;/" -e "s/local 192.0.2.2 as/local $_ip as/" \
        -e "s#^log syslog all;#log \"$W/bird-$1.log\" all;#" \
        -e 's/hold time 90;/hold time 10;/' -e 's/keepalive time 30;/keepalive time 3;/' \
        -e 's/interval 300 ms;/interval 1000 ms;/' -e 's/interface "eth1"/interface "lan"/' \
        "/etc/lvs/bird-$2.conf" |
        awk '{ print } /^log / { print "debug protocols { states, events };" } /^ *bfd on;$/ {
            print "    connect delay time 1;"
            print "    connect retry time 2;"
            print "    error wait time 1, 3;"
            print "    error forget time 10;"
        }' >"$W/bird-$1.conf"
}
bird_start() { # NS
    ip netns exec "$1" bird -f -c "$W/bird-$1.conf" -s "$W/bird-$1.ctl" -P "$W/bird-$1.pid" \
        >>"$W/bird-$1.out" 2>&1 &
}
birdc_() { _n=$1; shift; nsx "$_n" birdc -s "$W/bird-$_n.ctl" "$@"; }

topology() {
    mkns sw cl rt d1 d2 d3 rs1 rs2 rs3 || return 1
    switch lan || return 1
    veth cl eth0 rt cl && ip -n cl addr add 198.51.100.100/24 dev eth0 &&
        ip -n rt addr add 198.51.100.254/24 dev cl && ip -n cl route add default via 198.51.100.254 || return 1
    plug rt lan lan $NET.254/24 || return 1
    nsx rt sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 || return 1
    for d in $DIRS; do
        plug $d eth0 lan "$(dirip $d)/24" && ip -n $d route add default via $NET.254 &&
            ip -n $d addr add $VIP/32 dev lo &&
            nsx $d sysctl -q -p /etc/lvs/sysctl-lvs-bgp-director.conf >"$W/sysctl-$d" 2>&1 || return 1
    done
    for r in rs1 rs2 rs3; do
        plug $r eth0 lan "$(rsip $r)/24" && ip -n $r route add default via $NET.254 &&
            realserver $r $VIP || return 1
    done
}
# open_flows PREFIX DIR COUNT MAX: flows PREFIX1.. from cl until DIR holds
# COUNT of them and every director at least one (at most MAX flows);
# PREFIXi.dir is the director whose table has it. Sets NF.
open_flows() {
    NF=0
    while [ $NF -lt "$4" ]; do
        NF=$((NF + 1))
        flow "$1$NF" cl $VIP || return 1
        # shellcheck disable=SC2086
        holders "$1$NF" $DIRS >"$W/$1$NF.dir"
        _enough=1
        for _d in $DIRS; do
            _c=$(cat "$W/$1"*.dir | grep -cx "$_d")
            [ "$_c" -ge 1 ] || _enough=
            [ "$_d" = "$2" ] && [ "$_c" -lt "$3" ] && _enough=
        done
        [ -n "$_enough" ] && return 0
    done
    return 1
}
dir_of() { cat "$W/$1.dir" 2>/dev/null; }
summary() { # PREFIX N
    _i=0 _s=
    while [ $_i -lt "$2" ]; do
        _i=$((_i + 1)); _s="$_s $1$_i@$(dir_of "$1$_i")->$(rs_of "$1$_i")"
    done
    echo "${_s# }"
}
# ask_all PREFIX N TAG SECS: a line on each flow; sets SAME (answered by
# its real server), BROKE, MOVED (now held by another director) and TXT.
# The flows are asked grouped by the real server that first answered them
# (those of rs1, then rs2, then rs3): for the rr control, see there.
ask_all() {
    SAME=0 BROKE=0 MOVED=0 TXT=
    for _g in rs1 rs2 rs3; do
        _i=0
        while [ $_i -lt "$2" ]; do
            _i=$((_i + 1))
            [ "$(rs_of "$1$_i")" = $_g ] || continue
            _r=$(ask "$1$_i" "$1$_i-$3" "$4")
            # shellcheck disable=SC2086
            _h=$(holders "$1$_i" $DIRS)
            if [ -n "$_r" ] && [ "$_r" = $_g ]; then SAME=$((SAME + 1)); else BROKE=$((BROKE + 1)); fi
            echo " $_h " | grep -q " $(dir_of "$1$_i") " && [ "$(echo "$_h" | wc -w)" = 1 ] || MOVED=$((MOVED + 1))
            TXT="$TXT $1$_i:${_r:-none}@[$_h]"
        done
    done
}
# fail_rs NS add|del: NS's routes to the real servers prohibited (every
# check of NS fails at once, as when its path to them is lost) or back
fail_rs() {
    for _r in rs1 rs2 rs3; do ip -n "$1" route "$2" prohibit "$(rsip $_r)/32" || return 1; done
}
# diag FLOW: what a failed flow left (information lines)
diag() {
    info "$1's client output: $(tr '\n' ' ' <"$W/$1.out" 2>/dev/null)"
    info "cl's connections to :$P: $(nsx cl cat /proc/net/tcp | awk -v p=":$(printf '%04X' $P)" 'index($3, p) { print $2, $3, $4 }' | tr '\n' ';')"
    info "router: $(ip -n rt route show $VIP/32 | tr -s '\n\t ' ' '); sessions: $(birdc_ rt show protocols | grep BGP | tr -s ' ' | tr '\n' ';')"
    for _d in $DIRS; do
        info "$_d: $(nsx $_d lvsadm -Ln | tr -s '\n ' ' '); conns: $(nsx $_d lvsadm -Lnc | tail -n +3 | tr -s '\n ' ' '); $(nsx $_d ip -o addr show dev lvsvip0 2>&1 | tr -s ' ' | cut -c1-60)"
        info "$_d ip_vs stats: $(nsx $_d cat /proc/net/ip_vs_stats | tail -n 1)"
    done
    for _r in rs1 rs2 rs3; do info "$_r: $(nsx $_r cat /proc/net/tcp | awk -v p=":$(printf '%04X' $P)" 'index($2, p) { print $2, $3, $4 }' | tr '\n' ';')"; done
    info "rt nstat: $(nsx rt cat /proc/net/snmp | grep -A1 '^Ip:' | tail -n 1)"
}
# timed NAME SECS COND...: wait for COND; sets T_NAME to the milliseconds it took
timed() {
    _name=$1 _s=$2; shift 2
    _t0=$(ms)
    wait_fast "$_s" "$@"; _rc=$?
    eval "T_$_name=\$((\$(ms) - _t0))"
    return $_rc
}

# ================================================================ the tests
bgp_tests() {
    check "topology (client, router, three directors with the contrib sysctls and the VIP on lo, three DR real servers)" topology || return
    v=$(for k in net/ipv4/vs/sloppy_tcp net/ipv4/vs/schedule_icmp net/ipv4/vs/conntrack; do nsx d2 cat /proc/sys/$k; done | tr '\n' ' ')
    check "contrib sysctls on a director: sloppy_tcp schedule_icmp conntrack = 1 1 0 ($v)" [ "$v" = "1 1 0 " ]
    bird_conf rt router
    for d in $DIRS; do bird_conf $d director; done
    check "contrib/bird configurations adapted (router: interface lan; timers hold 10 s, keepalive 3 s, BFD 1 s; reconnect after 1 to 3 s)" \
        sh -c "grep -q 'interface \"lan\"' '$W/bird-rt.conf' && grep -q 'hold time 10;' '$W/bird-d2.conf' && grep -q 'router id $NET.3;' '$W/bird-d2.conf' && grep -q 'interval 1000 ms;' '$W/bird-rt.conf' && grep -q 'error wait time 1, 3;' '$W/bird-rt.conf' && grep -q 'connect retry time 2;' '$W/bird-d2.conf'"
    okp=1
    for n in rt $DIRS; do nsx $n bird -p -c "$W/bird-$n.conf" >"$W/log" 2>&1 || { okp=; cat "$W/log"; }; done
    check "bird -p accepts the router's and the directors' configurations" [ -n "$okp" ]
    for n in rt $DIRS; do bird_start $n; done
    for d in $DIRS; do rules $d mh; done
    okc=1
    for d in $DIRS; do lvsadm --check "$W/rules-$d" >"$W/log" 2>&1 || { okc=; cat "$W/log"; }; done
    check "lvsadm --check accepts the rule files with --announce 1" [ -n "$okc" ]
    wait_until 30 sh -c "for n in d1 d2 d3; do birdc -s $W/bird-rt.ctl show protocols \$n | grep -q Established || exit 1; done"; r=$?
    check "BGP sessions of the router with d1, d2, d3 established (no address announced yet: $(hops))" \
        sh -c "[ $r = 0 ] && [ -z '$(hops)' ]"
    info "router: $(birdc_ rt show protocols | tr -s ' ' | tr '\n' ';')"

    # ---- three supervisors announce
    t0=$(ms)
    for d in $DIRS; do sup_start $d; done
    timed start 30 hops_are "d1 d2 d3"
    check "the router learns $VIP from d1, d2 and d3: three ECMP next hops ($(hops)), ${T_start} ms after the supervisors started" \
        hops_are "d1 d2 d3"
    info "router: $(ip -n rt route show $VIP/32 | tr -s '\n\t ' ' ')"
    check "each director holds $VIP on lvsvip0" sh -c "ip -n d1 -o addr show dev lvsvip0 | grep -q ' $VIP/32' && ip -n d2 -o addr show dev lvsvip0 | grep -q ' $VIP/32' && ip -n d3 -o addr show dev lvsvip0 | grep -q ' $VIP/32'"
    check "the supervisor's log says it: announce $VIP (on lvsvip0): -t $VIP:$P has N of 3 real servers up (needs 1)" \
        grep -q "announce $VIP (on lvsvip0): -t $VIP:$P has [123] of 3 real servers up (needs 1)" "$W/sup-d1.log"
    wait_until 5 metric_is d1 lvsadm_supervise_announced 1; r=$?
    check "metrics: lvsadm_supervise_announced{address=\"$VIP\"} 1, lvsadm_supervise_announce_changes_total 1 ($(metrics d1 | grep '^lvsadm_supervise_announce' | tr '\n' ' '))" \
        sh -c "[ $r = 0 ]" && check "metrics: 1 change" metric_is d1 lvsadm_supervise_announce_changes_total 1

    # ---- clients' connections spread over the three
    open_flows f d1 2 24; r=$?
    check "client flows answered and spread over d1, d2, d3 ($NF flows: $(summary f $NF))" [ $r = 0 ] || diag f$NF
    N=$NF

    # ---- every real server behind d1 fails its checks
    t0=$(ms)
    fail_rs d1 add
    wait_fast 30 withdrawn d1
    T_dev=$(($(ms) - t0))
    wait_fast 30 hops_are "d2 d3"
    T_fail=$(($(ms) - t0))
    check "d1's checks fail (interval 1 s, fall 2): d1 withdraws $VIP after ${T_dev} ms; the router keeps d2 d3 after ${T_fail} ms ($(hops))" \
        hops_are "d2 d3" || {
        info "router: $(birdc_ rt show protocols | grep BGP | tr -s ' ' | tr '\n' ';'); $(birdc_ rt show route | tr -s ' ' | tr '\n' ';')"
        info "router's BIRD log:" "$(tail -n 25 "$W/bird-rt.log")"
        info "d2's BIRD log:" "$(tail -n 10 "$W/bird-d2.log")"
    }
    check "d1's log: withdraw $VIP (from lvsvip0): -t $VIP:$P has 0 of 3 real servers up (needs 1)" \
        grep -qF "withdraw $VIP (from lvsvip0): -t $VIP:$P has 0 of 3 real servers up (needs 1)" "$W/sup-d1.log"
    wait_until 5 metric_is d1 lvsadm_supervise_announced 0
    check "metrics of d1: announced 0, 2 changes ($(metrics d1 | grep '^lvsadm_supervise_announce' | tr '\n' ' '))" \
        metric_is d1 lvsadm_supervise_announce_changes_total 2
    ask_all f $N fail 15
    check "mh + sloppy TCP: all $N flows keep their real servers, through d2 and d3 ($SAME/$N, $MOVED changed director:$TXT)" [ $SAME = $N ]
    FAIL_MS=$T_fail FAIL_DEV=$T_dev

    # ---- d1's real servers back
    fail_rs d1 del
    timed back 30 hops_are "d1 d2 d3"
    check "d1's checks pass again (rise 1): the router has three next hops again after ${T_back} ms" hops_are "d1 d2 d3"
    ask_all f $N back 15
    check "all $N flows keep their real servers ($SAME/$N:$TXT)" [ $SAME = $N ]
    BACK_MS=$T_back

    # ---- SIGKILL of d2's supervisor
    p=$(sup_pid d2)
    check "d2's supervisor runs as pid $p ($(cat /proc/$p/comm 2>/dev/null))" [ "$(cat /proc/$p/comm 2>/dev/null)" = lvsadm ]
    kill -KILL "$p"
    timed kill 30 hops_are "d1 d3"
    check "SIGKILL of d2's supervisor: its lvsvip0 is gone and the router keeps d1 d3 after ${T_kill} ms ($(hops))" \
        sh -c "! ip -n d2 link show lvsvip0 >/dev/null 2>&1 && [ '$(hops)' = 'd1 d3' ]"
    check "SIGKILL: d2's IPVS table stays (its service is listed)" sh -c "ip netns exec d2 lvsadm -Ln | grep -q 'TCP  $VIP:$P mh'"
    ask_all f $N kill 15
    check "all $N flows keep their real servers ($SAME/$N, $MOVED changed director:$TXT)" [ $SAME = $N ]
    KILL_MS=$T_kill
    sup_start d2
    timed restart 30 hops_are "d1 d2 d3"
    check "d2's supervisor restarted: announced again, three next hops after ${T_restart} ms ($(hops))" hops_are "d1 d2 d3"
    ask_all f $N restart 15
    check "restart: all $N flows keep their real servers ($SAME/$N, $MOVED changed director:$TXT)" [ $SAME = $N ]
    RESTART_MS=$T_restart

    # ---- SIGTERM of d3's supervisor (what systemctl stop sends)
    p=$(sup_pid d3)
    kill -TERM "$p"
    timed term 30 hops_are "d1 d2"
    wait_until 10 gone "$p"; r=$?
    check "SIGTERM of d3's supervisor: it exited and the router keeps d1 d2 after ${T_term} ms ($(hops))" \
        sh -c "[ '$(hops)' = 'd1 d2' ] && [ $r = 0 ]"
    w=$(grep -n "withdraw $VIP (from lvsvip0): SIGTERM: the supervisor stops" "$W/sup-d3.log" | cut -d: -f1)
    e=$(grep -n "SIGTERM: exiting; the table stays as it is" "$W/sup-d3.log" | cut -d: -f1)
    check "SIGTERM: the log says the withdrawal (line ${w:-none}) before the exit (line ${e:-none})" \
        sh -c "[ -n '$w' ] && [ -n '$e' ] && [ '$w' -lt '$e' ]"
    check "SIGTERM: d3's IPVS table stays" sh -c "ip netns exec d3 lvsadm -Ln | grep -q 'TCP  $VIP:$P mh'"
    ask_all f $N term 15
    check "all $N flows keep their real servers ($SAME/$N, $MOVED changed director:$TXT)" [ $SAME = $N ]
    TERM_MS=$T_term

    # ---- control: rr instead of mh; flows that change director break
    for d in $DIRS; do rules $d rr; done
    kill -HUP "$(sup_pid d1)" "$(sup_pid d2)"
    sup_start d3
    wait_until 30 sh -c "for d in d1 d2 d3; do ip netns exec \$d lvsadm -Ln | grep -q 'TCP  $VIP:$P rr' || exit 1; done"
    timed rr 30 hops_are "d1 d2 d3"; r=$?
    check "control: the three directors schedule with rr (SIGHUP, d3 started again) and announce ($(hops))" [ $r = 0 ]
    # with rr, a director that takes over a flow schedules it as a new one:
    # rr never picks the same real server twice in a row (three up), and
    # existing connections are not scheduled. d1's flows got its real
    # servers in turn, so with 7 of them one real server has 3; asked
    # together (ask_all), they go to d2 or d3, one of which gets two of
    # them in a row: at least one breaks, whatever each rr's position
    open_flows h d1 7 45; ro=$?
    check "control: $NF flows, at least 7 through d1 ($(summary h $NF))" [ $ro = 0 ]
    fail_rs d1 add
    timed rrfail 30 hops_are "d2 d3"
    ask_all h $NF fail 4
    check "control: with rr, flows that change director break when d1 withdraws ($BROKE of $NF broke, $MOVED moved:$TXT)" \
        sh -c "[ $ro = 0 ] && [ $BROKE -ge 1 ]"

    # ---- BFD: d2's link goes down (a director that dies as a whole)
    ip -n d2 link set eth0 down
    timed bfd 30 hops_are "d3"
    # without BFD the router would keep d2 until its hold timer expires:
    # 10 s after the last keepalive (every 3 s), so at least 7 s
    check "d2's link down: BFD (1 s x 3) takes d2 out after ${T_bfd} ms, before the hold timer could (7 to 10 s) ($(hops))" \
        sh -c "[ '$(hops)' = 'd3' ] && [ ${T_bfd} -lt 7000 ]"
    check "the router's BIRD log says why: d2: BFD session down (not a hold timer)" \
        sh -c "grep -q 'd2: BFD session down' '$W/bird-rt.log' && ! grep -q 'd2: .*[Hh]old timer expired' '$W/bird-rt.log'"
    info "router's BFD sessions: $(birdc_ rt show bfd sessions | tail -n +3 | tr -s ' ' | tr '\n' ';')"
    info "router's BIRD log (sessions):" "$(grep -i -e bfd -e established -e down -e error -e closing "$W/bird-rt.log" | tail -n 20)"
    info "BGP sessions of the router that went down during the run: $(grep -c 'State changed to down' "$W/bird-rt.log")"

    # a guest starved by its host stalls BIRD (BFD and BGP sessions then
    # drop for a few seconds, and a timing above includes it): say so
    for n in rt $DIRS; do
        st=$(grep -h 'I/O loop cycle took' "$W/bird-$n.log" | sed 's/.* took \([0-9]*\)\..*/\1/' | sort -n | tail -n 1)
        [ -z "$st" ] || info "$n's BIRD stalled for up to $st ms (its I/O loop warnings): the guest did not get the CPU"
    done
    info "timings (ms): start $T_start; failed checks: device $FAIL_DEV, router $FAIL_MS; recovery $BACK_MS; SIGKILL $KILL_MS; restart $RESTART_MS; SIGTERM $TERM_MS; BFD $T_bfd"
    info "d1's supervisor log:" "$(cat "$W/sup-d1.log")"
}

modprobe bridge || bad "modprobe bridge"
# the tun driver comes in this run's archive (not in the base initramfs)
modprobe tun 2>/dev/null || insmod /job/tun.ko || bad "load the tun module"
modprobe ip_vs || bad "modprobe ip_vs"
T0=$(now)
bgp_tests
info "guest time for the tests: ${T0}s .. $(now)s uptime"
teardown
tap_done
