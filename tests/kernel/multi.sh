#!/bin/sh
# More than one director, run inside the IPVS test guest by tests/kernel/multi
# (as /bin/sh = dash). lvsadm is /usr/sbin/lvsadm, Debian's keepalived
# /usr/sbin/keepalived, contrib/keepalived/lvs-sync-role and
# contrib/lvs-ecmp-director are in /usr/sbin, contrib/keepalived's
# keepalived.conf and sysctl-lvs-sync.conf in /etc/lvs.
#
# Each director is a network namespace with its own IPVS table (IPVS state,
# its sysctls and its sync daemon are per namespace). Real servers run a
# line echo server (busybox nc -ll -e) that prefixes each line with its
# name; a client keeps connections open with `tail -f FILE | nc VIP PORT`,
# so each line appended to FILE is one request and its echo names the
# real server that holds the connection.
#
# Output: one "ok - ..." or "FAIL - ..." line per check, "# ..." lines for
# information, and last "N passed, M failed".
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

. /job/tap.sh
. /job/topology.sh

W=/tmp/multi
rm -rf "$W"; mkdir -p "$W"
P=7000              # the service port (the echo servers listen on it)

. /job/directors-lib.sh

# ================================================================ active/backup
# One LAN 192.0.2.0/24 (bridge lan): client cl .100, directors d1 .2 and
# d2 .3, real servers rs1 .11 and rs2 .12 (DR: the VIP on lo), VIP .1 held
# by the VRRP master. keepalived (VRRP only) in d1 (priority 150) and d2
# (100) with contrib/keepalived/keepalived.conf; lvs-sync-role switches the
# sync daemons (multicast on eth0, syncid 51).
NET=192.0.2
VIP=192.0.2.1
PREEMPT=30          # preempt_delay, as in the example

ab_topology() {
    mkns sw cl d1 d2 rs1 rs2 || return 1
    switch lan || return 1
    plug cl eth0 lan $NET.100/24 && plug d1 eth0 lan $NET.2/24 &&
        plug d2 eth0 lan $NET.3/24 && plug rs1 eth0 lan $NET.11/24 &&
        plug rs2 eth0 lan $NET.12/24 || return 1
    realserver rs1 $VIP && realserver rs2 $VIP
}
# ka_conf NS ROUTER_ID PRIORITY: the example configuration for this test
ka_conf() {
    sed -e "s/router_id lvs-a/router_id $2/" -e "s/priority 150/priority $3/" \
        -e "s/preempt_delay 30/preempt_delay $PREEMPT/" \
        -e "s#/usr/local/sbin/lvs-sync-role#/usr/sbin/lvs-sync-role -d $W/run-$1#" \
        -e "s#/etc/lvs/rules#$W/rules#" /etc/lvs/keepalived.conf.example >"$W/ka-$1.conf" &&
        grep -q "priority $3" "$W/ka-$1.conf" && grep -q "preempt_delay $PREEMPT" "$W/ka-$1.conf" &&
        [ "$(grep -c -- "lvs-sync-role -d $W/run-$1" "$W/ka-$1.conf")" = 4 ] &&
        [ "$(grep -c -- "-f $W/rules" "$W/ka-$1.conf")" = 2 ]
}
ka_start() { # NS
    rm -f "$W/ka-$1.pid" "$W/ka-$1-vrrp.pid"
    nsx "$1" keepalived -n -l -G -P -f "$W/ka-$1.conf" -p "$W/ka-$1.pid" \
        -r "$W/ka-$1-vrrp.pid" >>"$W/ka-$1.log" 2>&1 &
    wait_until 20 sh -c "[ -s '$W/ka-$1.pid' ] && [ -s '$W/ka-$1-vrrp.pid' ]"
}
# ka_stop NS: SIGTERM to keepalived's main process, which stops its VRRP
# process (that one runs notify_stop); wait until both are gone
ka_stop() {
    _p=$(cat "$W/ka-$1.pid" 2>/dev/null) _c=$(cat "$W/ka-$1-vrrp.pid" 2>/dev/null)
    [ -n "$_p" ] && kill "$_p" 2>/dev/null || return 1
    wait_until 20 gone "$_p" && { [ -z "$_c" ] || wait_until 10 gone "$_c"; }
}
has_vip() { ip -n "$1" -o -4 addr show dev eth0 | grep -q " inet $VIP/"; }
no_vip() { ! has_vip "$1"; }
role() { sed -n 's/^STATE=//p' "$W/run-$1/lvs-sync-role.state" 2>/dev/null; }
role_is() { [ "$(role "$1")" = "$2" ]; }
# daemons NS: "master", "backup", "master backup" or ""
daemons() { nsx "$1" lvsadm -L --daemon 2>/dev/null | awk '/sync daemon/ { printf "%s%s", s, $1; s = " " }'; }
daemons_are() { [ "$(daemons "$1")" = "$2" ]; }
# the pair settled: NS1 holds the VIP as MASTER with the master daemon, NS2
# is BACKUP with the backup daemon and no VIP
settled() {
    has_vip "$1" && no_vip "$2" && role_is "$1" MASTER && role_is "$2" BACKUP &&
        daemons_are "$1" master && daemons_are "$2" backup
}
ab_state() { # NS...
    for _n; do
        printf '%s: vip=%s role=%s daemons=[%s]\n' "$_n" \
            "$(has_vip "$_n" && echo yes || echo no)" "$(role "$_n")" "$(daemons "$_n")"
    done | tr '\n' ';'
}
sync_status() { # NS: lvs-sync-role status in NS, output in $W/status-NS
    nsx "$1" lvs-sync-role -d "$W/run-$1" status >"$W/status-$1" 2>&1
}
# synced_count NS: the "N synced" number of the status output
synced_count() { sed -n 's/.*, \([0-9]*\) synced from the peer.*/\1/p' "$W/status-$1"; }

ab_tests() {
    check "A/B: topology (LAN, two directors, two DR real servers with echo servers)" ab_topology || return
    mkdir -p "$W/run-d1" "$W/run-d2"
    printf '%s\n' "-A -t $VIP:$P -s rr" "-a -t $VIP:$P -r $NET.11:$P -g -w 1" \
        "-a -t $VIP:$P -r $NET.12:$P -g -w 1" >"$W/rules"
    okap=1
    for d in d1 d2; do
        nsx $d lvsadm --apply "$W/rules" >"$W/log" 2>&1 || { okap=; cat "$W/log"; }
        nsx $d sysctl -q -p /etc/lvs/sysctl-lvs-sync.conf >"$W/log" 2>&1 || { okap=; cat "$W/log"; }
    done
    check "A/B: lvsadm --apply of one rules file and sysctl-lvs-sync.conf on both directors" [ -n "$okap" ]
    check "A/B: both directors have the same non-empty table (lvsadm -Sn)" \
        sh -c '[ -n "$1" ] && [ "$1" = "$2" ]' sh "$(nsx d1 lvsadm -Sn)" "$(nsx d2 lvsadm -Sn)"
    th=$(nsx d1 cat /proc/sys/net/ipv4/vs/sync_threshold | tr -s '\t ' ' ')
    check "A/B: sync_threshold from sysctl-lvs-sync.conf is '3 0' ($th)" [ "$th" = "3 0" ]

    ka_conf d1 lvs-a 150 && ka_conf d2 lvs-b 100
    check "A/B: keepalived.conf example adapted for d1 (150) and d2 (100)" [ $? = 0 ]
    nsx d1 keepalived -t -f "$W/ka-d1.conf" >"$W/log" 2>&1
    check "A/B: keepalived --config-test accepts the configuration" [ $? = 0 ] || cat "$W/log"

    t0=$(now)
    ka_start d1; ka_start d2
    # poll cheap things first (the guest has one slow CPU)
    wait_until 40 role_is d1 MASTER
    wait_until 20 role_is d2 BACKUP
    wait_until 10 settled d1 d2
    check "A/B: keepalived started: d1 MASTER with VIP and master sync daemon, d2 BACKUP with backup daemon ($(ab_state d1 d2) since ${t0}s, now $(now)s)" \
        settled d1 d2 || { info "$(cat "$W/ka-d1.log" "$W/ka-d2.log" | tail -n 30)"; return; }
    info "keepalived on d1:" "$(grep -e STATE -e VIPs "$W/ka-d1.log")" "lvs-sync-role state on d1: $(cat "$W/run-d1/lvs-sync-role.state" | tr '\n' ' ')"

    # a long-lived connection through d1, synced to d2
    flow a1 cl $VIP
    check "A/B: long-lived connection a1 through the VIP answered by $(rs_of a1) (client $(cp_of a1))" [ -s "$W/a1.cp" ] || return
    wait_until 10 has_entry d2 a1
    e=$(entry d2 a1)
    check "A/B: before failover the standby d2's lvsadm -Lnc shows a1 ($e), to the same real server" \
        [ "$e" = "ESTABLISHED $(rsip "$(rs_of a1)"):$P" ]
    sync_status d1; r1=$?; sync_status d2; r2=$?
    info "lvs-sync-role status on d1:" "$(cat "$W/status-d1")" "lvs-sync-role status on d2:" "$(cat "$W/status-d2")"
    s2=$(synced_count d2) s1=$(synced_count d1)
    check "A/B: lvs-sync-role status: d1 MASTER (exit $r1), d2 BACKUP (exit $r2), d2 counts $s2 synced connection(s), d1 $s1" \
        sh -c "[ $r1 = 0 ] && [ $r2 = 0 ] && grep -q '^state: MASTER' '$W/status-d1' && grep -q '^state: BACKUP' '$W/status-d2' && [ '${s2:-0}' -ge 1 ] && [ '${s1:-x}' = 0 ]"

    # control: a connection made while d2's backup daemon is stopped is not
    # on d2, and must break at the failover. The daemon stays stopped until
    # then: once it runs again, the master's periodic refresh
    # (sync_refresh_period) would teach d2 the connection after all.
    nsx d2 lvsadm --stop-daemon backup
    flow c1 cl $VIP
    check "A/B control: connection c1 made while d2's sync daemon is stopped answered by $(rs_of c1)" [ -s "$W/c1.cp" ]
    sleep 2
    check "A/B control: d2's backup daemon is stopped ($(daemons d2)) and d2 does not know c1" \
        sh -c "[ -z '$(daemons d2)' ] && [ -z '$(entry d2 c1)' ]"

    # failover: stop keepalived on d1
    t0=$(now)
    ka_stop d1
    check "A/B failover: keepalived on d1 stopped (SIGTERM; both its processes gone)" [ $? = 0 ]
    wait_until 20 role_is d2 MASTER
    wait_until 10 role_is d1 STOP
    wait_until 10 daemons_are d2 master
    check "A/B failover: VIP moved to d2, d2 MASTER with the master sync daemon ($(ab_state d1 d2) from ${t0}s to $(now)s)" \
        sh -c "$(has_vip d2 && no_vip d1 && role_is d2 MASTER && daemons_are d2 master && echo true || echo false)"
    wait_until 10 role_is d1 STOP
    info "d1 after keepalived stopped: $(ab_state d1)"
    r=$(ask a1 a1-after-failover 15)
    check "A/B failover: the same connection a1 carries data both ways after the failover (answer from ${r:-nobody}, before $(rs_of a1))" \
        [ -n "$r" ] && [ "$r" = "$(rs_of a1)" ]
    r=$(ask c1 c1-after-failover 6)
    check "A/B control: c1, unknown to d2, breaks at the failover (answer from: ${r:-nobody})" [ -z "$r" ]
    flow b1 cl $VIP
    check "A/B failover: a new connection b1 works through d2 (answered by $(rs_of b1)), in d2's table: $(entry d2 b1)" \
        sh -c "[ -s '$W/b1.cp' ] && [ -n '$(entry d2 b1)' ]"

    # failback: keepalived on d1 again; it is BACKUP for PREEMPT s, learns b1
    # by sync, then takes the VIP back
    t0=$(now)
    ka_start d1
    wait_until 40 role_is d1 BACKUP
    check "A/B failback: d1 restarted as BACKUP with the backup daemon ($(ab_state d1))" \
        sh -c "$(role_is d1 BACKUP && daemons_are d1 backup && no_vip d1 && echo true || echo false)"
    # b1 carries a line now and then: the master re-sends it when it carries
    # a packet sync_refresh_period (10 s) after it was last sent
    i=0 seen=
    : >"$W/failback.log"
    while [ $i -lt 30 ] && no_vip d1; do
        i=$((i + 1))
        r=$(ask b1 "b1-ping$i" 5)
        e=$(entry d1 b1)
        echo "$(now)s ping$i answer=$r d1 entry=[$e] $(ab_state d1)" >>"$W/failback.log"
        if [ -n "$e" ] && no_vip d1; then seen=$e; break; fi
        sleep 0.5
    done
    check "A/B failback: before it takes the VIP back, d1's lvsadm -Lnc shows b1 (made on d2 while d1 was down): ${seen:-not seen}" \
        [ "$seen" = "ESTABLISHED $(rsip "$(rs_of b1)"):$P" ] ||
        info "$(cat "$W/failback.log")" "b1 is $(cp_of b1); lvsadm -Lnc on d1:" "$(nsx d1 lvsadm -Lnc)"
    sync_status d1
    info "lvs-sync-role status on d1 while BACKUP:" "$(cat "$W/status-d1")"
    wait_until $((PREEMPT + 30)) role_is d1 MASTER
    wait_until 20 role_is d2 BACKUP
    wait_until 10 settled d1 d2
    check "A/B failback: after preempt_delay d1 is MASTER with the VIP again, d2 BACKUP ($(ab_state d1 d2) from ${t0}s to $(now)s)" settled d1 d2
    r=$(ask b1 b1-after-failback 15)
    check "A/B failback: b1 carries data both ways after the failback (answer from ${r:-nobody}, before $(rs_of b1))" \
        [ -n "$r" ] && [ "$r" = "$(rs_of b1)" ]
    r=$(ask a1 a1-after-failback 15)
    check "A/B failback: a1 still works too (answer from ${r:-nobody}, before $(rs_of a1))" \
        [ -n "$r" ] && [ "$r" = "$(rs_of a1)" ]
    flow n1 cl $VIP
    check "A/B failback: a new connection n1 works through d1 (answered by $(rs_of n1)), in d1's table: $(entry d1 n1)" \
        sh -c "[ -s '$W/n1.cp' ] && [ -n '$(entry d1 n1)' ]"
    sync_status d1; r1=$?; sync_status d2; r2=$?
    info "lvs-sync-role status on d1:" "$(cat "$W/status-d1")" "lvs-sync-role status on d2:" "$(cat "$W/status-d2")"
    check "A/B failback: lvs-sync-role status exits 0 on both (d1 $r1, d2 $r2)" [ "$r1 $r2" = "0 0" ]
    ka_stop d1; ka_stop d2
    check "A/B: keepalived stopped on both: the VIP is gone ($(ab_state d1 d2))" \
        sh -c "$(no_vip d1 && no_vip d2 && echo true || echo false)"
    # notify_stop, when keepalived ran it; else by hand, as docs/directors.md says
    for d in d1 d2; do
        wait_until 10 role_is $d STOP ||
            { info "$d: no STOP from notify_stop; lvs-sync-role stop by hand"; nsx $d lvs-sync-role -d "$W/run-$d" stop 2>/dev/null; }
    done
    check "A/B: after lvs-sync-role stop no sync daemon runs ($(ab_state d1 d2))" \
        sh -c "$(daemons_are d1 '' && daemons_are d2 '' && role_is d1 STOP && role_is d2 STOP && echo true || echo false)"
}

# ================================================================ active/active
# client cl 198.51.100.100 -- router rt 198.51.100.254 (veth)
# rt 192.0.2.254 --[bridge lan]-- directors d1 .2, d2 .3, d3 .4 and real
# servers rs1..rs3 .11..13 (DR, default route via rt). VIP 203.0.113.1 is
# routed by rt over the three directors (ECMP, L4 hash).
EVIP=203.0.113.1
DIRS="d1 d2 d3"
ecmp_topology() {
    mkns sw cl rt d1 d2 d3 rs1 rs2 rs3 || return 1
    switch lan || return 1
    veth cl eth0 rt cl && ip -n cl addr add 198.51.100.100/24 dev eth0 &&
        ip -n rt addr add 198.51.100.254/24 dev cl && ip -n cl route add default via 198.51.100.254 || return 1
    plug rt lan lan $NET.254/24 || return 1
    nsx rt sysctl -q -w net.ipv4.ip_forward=1 net.ipv4.fib_multipath_hash_policy=1 || return 1
    n=1
    for d in $DIRS; do
        n=$((n + 1))
        plug $d eth0 lan $NET.$n/24 && ip -n $d route add default via $NET.254 || return 1
    done
    for r in rs1 rs2 rs3; do
        plug $r eth0 lan "$(rsip $r)/24" && ip -n $r route add default via $NET.254 &&
            realserver $r $EVIP || return 1
    done
}
dirip() { case $1 in d1) echo $NET.2 ;; d2) echo $NET.3 ;; d3) echo $NET.4 ;; esac; }
# route_via DIR...: the VIP's route on rt over these directors (hash-threshold)
route_via() {
    _a=
    for _d; do _a="$_a nexthop via $(dirip "$_d") dev lan"; done
    # shellcheck disable=SC2086
    ip -n rt route replace $EVIP/32 $_a
}
ecmp_dir() { # NS...: run lvs-ecmp-director with a per-namespace run dir
    _d=$1; shift
    nsx "$_d" env LVS_RUN_DIR="$W/run-$_d" lvs-ecmp-director "$@"
}
sysctl_of() { nsx "$1" cat "/proc/sys/$2"; }
# open_flows PREFIX N: flows PREFIX1..PREFIXN from cl; PREFIXi.dir is the
# director whose table has it. Fails if one is not answered.
open_flows() {
    _i=0 _ok=0
    while [ $_i -lt "$2" ]; do
        _i=$((_i + 1))
        flow "$1$_i" cl $EVIP || _ok=1
        holders "$1$_i" $DIRS >"$W/$1$_i.dir"
    done
    return $_ok
}
dir_of() { cat "$W/$1.dir" 2>/dev/null; }
flows_summary() { # PREFIX N
    _i=0 _s=
    while [ $_i -lt "$2" ]; do
        _i=$((_i + 1)); _s="$_s $1$_i@$(dir_of "$1$_i")->$(rs_of "$1$_i")"
    done
    echo "${_s# }"
}

ecmp_tests() {
    check "ECMP: topology (client, router, three directors, three DR real servers)" ecmp_topology || return
    okst=1
    for d in $DIRS; do
        ecmp_dir $d -P $P start $EVIP $NET.11 $NET.12 $NET.13 >"$W/log" 2>&1 || { okst=; cat "$W/log"; }
    done
    check "ECMP: lvs-ecmp-director start on d1, d2, d3" [ -n "$okst" ]
    info "lvs-ecmp-director -P $P start $EVIP $NET.11 $NET.12 $NET.13 (on d3):" "$(cat "$W/log")"
    t=$(nsx d1 lvsadm -Sn)
    check "ECMP: the three tables are equal and use mh with mh-port ($(echo "$t" | head -n 1))" \
        sh -c '[ "$1" = "$2" ] && [ "$1" = "$3" ] && printf "%s\n" "$1" | grep -q -- "-s mh -b mh-port"' \
        sh "$t" "$(nsx d2 lvsadm -Sn)" "$(nsx d3 lvsadm -Sn)"
    v=$(for k in net/ipv4/vs/sloppy_tcp net/ipv4/vs/schedule_icmp net/ipv4/vs/conntrack net/ipv4/conf/eth0/rp_filter; do
        sysctl_of d2 $k; done | tr '\n' ' ')
    check "ECMP: sloppy_tcp schedule_icmp conntrack eth0/rp_filter on a director: 1 1 0 0|2 ($v)" \
        sh -c "[ '$v' = '1 1 0 0 ' ] || [ '$v' = '1 1 0 2 ' ]"
    check "ECMP: the VIP is on the directors' lo" \
        sh -c "ip -n d1 -o addr show dev lo | grep -q ' $EVIP/32' && ip -n d3 -o addr show dev lo | grep -q ' $EVIP/32'"
    ecmp_dir d1 status >"$W/log" 2>&1
    check "ECMP: lvs-ecmp-director status exits 0 while running" [ $? = 0 ]
    info "lvs-ecmp-director status (on d1):" "$(cat "$W/log")"

    # ---- hash-threshold multipath route, sloppy TCP + mh: flows survive
    route_via d1 d2 d3
    info "router: $(ip -n rt route show $EVIP | tr -s '\n\t ' ' ')"
    open_flows f 5
    check "ECMP: five long-lived flows answered, each held by one director ($(flows_summary f 5))" \
        sh -c "for i in 1 2 3 4 5; do [ \$(wc -w <'$W/f'\$i.dir) = 1 ] || exit 1; done"
    X=$(dir_of f1)
    rest=$(echo $DIRS | tr ' ' '\n' | grep -vx "$X" | tr '\n' ' ')
    # shellcheck disable=SC2086
    route_via $rest
    info "removed $X's next hop: $(ip -n rt route show $EVIP | tr -s '\n\t ' ' ')"
    i=0 same=0 moved=0 moved_other=0 txt=
    while [ $i -lt 5 ]; do
        i=$((i + 1))
        r=$(ask f$i f$i-after 15)
        # shellcheck disable=SC2086
        h=$(holders f$i $DIRS)
        [ -n "$r" ] && [ "$r" = "$(rs_of f$i)" ] && same=$((same + 1))
        [ "$h" != "$(dir_of f$i)" ] && { moved=$((moved + 1)); [ "$(dir_of f$i)" != "$X" ] && moved_other=$((moved_other + 1)); }
        txt="$txt f$i:${r:-none}@[$h]"
        [ $i = 1 ] && r1=$r h1=$h
    done
    check "ECMP: flow f1, whose director $X lost its next hop, keeps its real server $(rs_of f1) (answer from ${r1:-nobody})" \
        [ -n "$r1" ] && [ "$r1" = "$(rs_of f1)" ]
    check "ECMP: f1 now passes through another director (tables holding it: $h1)" \
        sh -c "[ \$(echo '$h1' | wc -w) = 2 ] && echo ' $h1 ' | grep -q ' $X '"
    check "ECMP: all five flows keep their real servers ($same/5:$txt)" [ $same = 5 ]
    info "hash-threshold: $moved flow(s) changed director, $moved_other of them from a director that kept its next hop"

    # ---- resilient next-hop group: only the lost director's flows move
    route_via d1 d2 d3
    n=0
    for d in $DIRS; do
        n=$((n + 1)); ip -n rt nexthop add id $n via "$(dirip $d)" dev lan || break
    done
    ip -n rt nexthop add id 100 group 1/2/3 type resilient buckets 64 &&
        ip -n rt route replace $EVIP/32 nhid 100
    check "ECMP resilient: nexthop group 1/2/3 type resilient for the VIP" [ $? = 0 ]
    open_flows g 5
    check "ECMP resilient: five more flows answered, each held by one director ($(flows_summary g 5))" \
        sh -c "for i in 1 2 3 4 5; do [ \$(wc -w <'$W/g'\$i.dir) = 1 ] || exit 1; done"
    X=$(dir_of g1)
    case $X in d1) id=1 ;; d2) id=2 ;; d3) id=3 ;; *) id=0 ;; esac
    ip -n rt nexthop del id $id
    info "removed next hop $id ($X): $(ip -n rt nexthop show | tr '\n' ';')"
    i=0 same=0 stayed=0 others=0 txt=
    while [ $i -lt 5 ]; do
        i=$((i + 1))
        r=$(ask g$i g$i-after 15)
        # shellcheck disable=SC2086
        h=$(holders g$i $DIRS)
        [ -n "$r" ] && [ "$r" = "$(rs_of g$i)" ] && same=$((same + 1))
        if [ "$(dir_of g$i)" != "$X" ]; then
            others=$((others + 1)); [ "$h" = "$(dir_of g$i)" ] && stayed=$((stayed + 1))
        fi
        txt="$txt g$i:${r:-none}@[$h]"
    done
    check "ECMP resilient: all five flows keep their real servers ($same/5:$txt)" [ $same = 5 ]
    check "ECMP resilient: the $others flow(s) of the other directors did not move ($stayed stayed)" [ $stayed = $others ]

    # ---- control: the same without sloppy TCP; a moved flow breaks
    route_via d1 d2 d3
    ip -n rt nexthop flush >/dev/null 2>&1
    for d in $DIRS; do nsx $d sysctl -q -w net.ipv4.vs.sloppy_tcp=0; done
    open_flows h 2
    check "ECMP control: sloppy_tcp=0 on all directors; two flows answered ($(flows_summary h 2))" \
        [ -s "$W/h1.cp" ] && [ -s "$W/h2.cp" ]
    X=$(dir_of h1)
    rest=$(echo $DIRS | tr ' ' '\n' | grep -vx "$X" | tr '\n' ' ')
    # shellcheck disable=SC2086
    route_via $rest
    r=$(ask h1 h1-after 8)
    check "ECMP control: without sloppy TCP, flow h1 breaks when its director $X loses its next hop (answer from: ${r:-nobody})" \
        [ -z "$r" ]
    check "ECMP control: h1 is in no other director's table ($(holders h1 $DIRS))" \
        [ "$(holders h1 $DIRS)" = "$X" ]
    for d in $DIRS; do nsx $d sysctl -q -w net.ipv4.vs.sloppy_tcp=1; done

    okst=1
    for d in $DIRS; do ecmp_dir $d stop $EVIP >"$W/log" 2>&1 || { okst=; cat "$W/log"; }; done
    v=$(for k in net/ipv4/vs/sloppy_tcp net/ipv4/vs/schedule_icmp; do sysctl_of d2 $k; done | tr '\n' ' ')
    check "ECMP: lvs-ecmp-director stop on all: empty tables, VIP gone, sloppy_tcp schedule_icmp restored to 0 0 ($v)" \
        sh -c "[ -n '$okst' ] && [ -z '$(nsx d1 lvsadm -Sn)$(nsx d2 lvsadm -Sn)' ] && ! ip -n d2 -o addr show dev lo | grep -q ' $EVIP/' && [ '$v' = '0 0 ' ]"
    ecmp_dir d1 status >/dev/null 2>&1
    check "ECMP: lvs-ecmp-director status exits 3 when stopped" [ $? = 3 ]
}

# ---------------------------------------------------------------- usage
usage_tests() {
    lvs-sync-role >/dev/null 2>&1; r1=$?
    lvs-sync-role master >/dev/null 2>&1; r2=$?
    lvs-sync-role -i eth0 -s 300 backup >/dev/null 2>&1; r3=$?
    lvs-sync-role bogus >/dev/null 2>&1; r4=$?
    lvs-ecmp-director -s rr start 192.0.2.1 192.0.2.11 >/dev/null 2>&1; r5=$?
    lvs-ecmp-director -m start 192.0.2.1 192.0.2.11 >/dev/null 2>&1; r6=$?
    lvs-ecmp-director start 192.0.2.1 >/dev/null 2>&1; r7=$?
    check "usage: bad input exits 2 (no command, master without -i, syncid 300, bad state, ecmp with rr, ecmp NAT, no RIP: $r1 $r2 $r3 $r4 $r5 $r6 $r7)" \
        [ "$r1 $r2 $r3 $r4 $r5 $r6 $r7" = "2 2 2 2 2 2 2" ]
}

modprobe bridge || bad "modprobe bridge"
T0=$(now)
usage_tests
ab_tests; teardown
info "active/backup done at $(now)s uptime"
ecmp_tests; teardown
info "active/active done at $(now)s uptime"
info "guest time for the tests: ${T0}s .. $(now)s uptime"
tap_done
