#!/bin/sh
# lvsadm's operations extensions with real traffic, run in the IPVS test
# guest by tests/kernel/ops: --drain on -d, -D and --apply, and --metrics
# (printed and served over HTTP).
#
# Topology (direct routing, one segment 192.0.2.0/24 on the bridge lan in
# the namespace sw): client cl1 .100, director dir .2 with the VIP .1,
# real servers rs1..rs3 .11..13 with the VIP on lo. Each real server runs a
# busybox nc server on port 80 that greets with its name and echoes every
# line back prefixed by its name; a line "once" is answered and the
# connection closed. A long-lived client is `tail -f FILE | nc VIP 80`.
# With direct routing the director sees only the client's packets, so a
# connection the client closes ends in FIN_WAIT, whose timeout `--set`
# sets (2 s here).
#
# Output: `ok - ...` / `FAIL - ...` per check, `# ...` information,
# `@@FILE NAME` ... `@@ENDFILE` blocks (metrics text the host checks with
# promtool), and last `N passed, M failed`.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

. /job/tap.sh
. /job/topology.sh
now() { cut -d' ' -f1 /proc/uptime | cut -d. -f1; }
nowms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
quiet() { "$@" >/dev/null 2>&1; }
emit() { # NAME FILE: a file for the host
    echo "@@FILE $1"; cat "$2"; echo "@@ENDFILE"
}

W=/tmp/ops
rm -rf "$W"; mkdir -p "$W"
V=192.0.2.1
lv() { nsx dir lvsadm "$@"; }

# ------------------------------------------------------------------ setup
modprobe bridge || bad "modprobe bridge"
setup() {
    dr_lan "$W" "$V" || return 1
    sleep 1
}
check "topology: namespaces, bridge, nc servers" setup || { tap_done; exit 1; }

# a fresh service with rs1..rs3 (rr, direct routing)
service() {
    sleep 3  # connections closed before have left FIN_WAIT
    lv -C
    lv -A -t $V:80 -s rr && for r in 11 12 13; do lv -a -t $V:80 -r 192.0.2.$r -g -w 1 || return 1; done
}
# short N OUT: N short connections from cl1, the server name of each (or NONE)
short() {
    : >"$2"
    _i=0
    while [ $_i -lt "$1" ]; do
        _r=$(echo once | nsx cl1 timeout 5 nc $V 80 2>/dev/null | head -n 1)
        echo "${_r:-NONE}" >>"$2"
        _i=$((_i + 1))
    done
}
# open_long NAME: a long-lived connection; its server's name in $W/NAME.srv
open_long() {
    : >"$W/$1.in"
    : >"$W/$1.out"
    rm -f "$W/$1.pid"
    nsx cl1 sh -c "tail -f $W/$1.in | nc $V 80 >$W/$1.out & echo \$! >$W/$1.pid; wait" >/dev/null 2>&1 &
    _i=0
    while [ ! -s "$W/$1.out" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    head -n 1 "$W/$1.out" >"$W/$1.srv"
}
# say NAME LINE: send LINE on the long connection, wait for its echo
say() {
    echo "$2" >>"$W/$1.in"
    _i=0
    while ! grep -q " $2\$" "$W/$1.out" && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    grep " $2\$" "$W/$1.out" | head -n 1
}
# close_long NAME: the client ends the connection (normal close)
close_long() {
    kill "$(cat "$W/$1.pid")" 2>/dev/null
    pkill -f "tail -f $W/$1.in" 2>/dev/null
}
ipof() { case $1 in rs1) echo 192.0.2.11 ;; rs2) echo 192.0.2.12 ;; rs3) echo 192.0.2.13 ;; esac; }
# row IP [PORT]: the -Ln row of a real server of $V:PORT (default 80)
row() { lv -Ln -t "$V:${2:-80}" 2>/dev/null | awk -v r="$1:${2:-80}" '$1 == "->" && $2 == r'; }
weight() { row "$@" | awk '{ print $4 }'; }
# wait_exit PID SECS: wait until PID ended (at most SECS), status in $RC
wait_exit() {
    _i=0
    while kill -0 "$1" 2>/dev/null && [ $_i -lt $(($2 * 10)) ]; do sleep 0.1; _i=$((_i + 1)); done
    if kill -0 "$1" 2>/dev/null; then RC=timeout; return 1; fi
    wait "$1"; RC=$?
}

lv --set 0 2 0
# A real server deleted at a deadline leaves its connections without a
# destination; IPVS drops their packets (the point of draining), and with
# this setting forgets such a connection at its next packet, so that it does
# not stay ESTABLISHED in the table and follow the real server, re-added
# from the kernel's trash, into the next test.
nsx dir sysctl -q -w net.ipv4.vs.expire_nodest_conn=1
info "timeouts: $(lv -L --timeout)"

# ================================================================== -d --drain
drain_d() {
    service || { bad "-d --drain: service set up"; return; }
    open_long L1; open_long L2; open_long L3
    X=$(cat "$W/L1.srv"); XIP=$(ipof "$X")
    check "-d --drain: three long-lived connections, one per real server ($(cat "$W/L1.srv" "$W/L2.srv" "$W/L3.srv" | tr '\n' ' '))" \
        [ "$(cat "$W/L1.srv" "$W/L2.srv" "$W/L3.srv" | sort -u | wc -l)" = 3 ]
    lvsadm --netns dir -d -t $V:80 -r "$XIP" --drain=60 -v >"$W/d.out" 2>"$W/d.err" &
    D=$!
    sleep 2
    check "-d --drain: $X has weight 0 at once and stays in the table ($(row "$XIP"))" [ "$(weight "$XIP")" = 0 ]
    short 12 "$W/short"
    check "-d --drain: new connections meanwhile all answered, none by $X ($(sort "$W/short" | uniq -c | tr '\n' ' '))" \
        sh -c "! grep -q -e NONE -e '^$X\$' '$W/short' && [ \$(wc -l <'$W/short') = 12 ]"
    r=$(say L1 still-there)
    check "-d --drain: the long-lived connection to $X keeps working ($r)" [ "$r" = "$X still-there" ]
    check "-d --drain: lvsadm still draining while the connection is open" kill -0 $D
    info "stderr so far (-v): $(head -n 3 "$W/d.err")"
    close_long L1
    t0=$(nowms)
    wait_exit $D 30
    t1=$(nowms)
    check "-d --drain: exit status 0 ($RC)" [ "$RC" = 0 ]
    # FIN timeout 2 s + one poll + process start-up on a loaded TCG guest;
    # the deadline is 60 s
    check "-d --drain: $X deleted $((t1 - t0)) ms after its last connection closed (FIN timeout 2 s; want <= 8000)" \
        [ $((t1 - t0)) -le 8000 ]
    check "-d --drain: $X is gone from the table" [ -z "$(row "$XIP")" ]
    check "-d --drain: the report says drained ($(cat "$W/d.out"))" \
        grep -q "^-t $V:80 -r $XIP:80: drained after [0-9]* s, deleted\$" "$W/d.out"
    check "-d --drain -v: progress lines on stderr" grep -q "draining 1 real server" "$W/d.err"
    r=$(say L2 other)
    check "-d --drain: the other long-lived connections are untouched ($r)" [ "$r" = "$(cat "$W/L2.srv") other" ]
    close_long L2; close_long L3

    # quiet without -v when not on a terminal
    service
    lv -d -t $V:80 -r 192.0.2.12 --drain >"$W/q.out" 2>"$W/q.err"
    rc=$?
    r=$(row 192.0.2.12)
    check "-d --drain without connections: deleted at once, status 0, nothing on stderr ($rc, $(cat "$W/q.out"))" \
        sh -c "[ $rc = 0 ] && [ ! -s '$W/q.err' ] && [ -z '$r' ]"
    lv -d -t $V:80 -r 192.0.2.99 --drain >"$W/q.out" 2>"$W/q.err"
    rc=$?
    check "-d --drain of a missing real server: ipvsadm's message and status ($rc, $(cat "$W/q.err"))" \
        sh -c "[ $rc = 255 ] && [ \"\$(cat '$W/q.err')\" = 'No such destination' ]"
}

# ================================================================== deadline
drain_deadline() {
    service
    open_long L1
    X=$(cat "$W/L1.srv"); XIP=$(ipof "$X")
    t0=$(nowms)
    lv -d -t $V:80 -r "$XIP" --drain=3 >"$W/dl.out" 2>"$W/dl.err"
    rc=$?
    t1=$(nowms)
    # not before the deadline; and it ends although the connection stays
    # open (the upper bound leaves room for a loaded TCG guest)
    check "--drain=3 with an open connection: status 0 after $((t1 - t0)) ms (want 3000..10000)" \
        sh -c "[ $rc = 0 ] && [ $((t1 - t0)) -ge 3000 ] && [ $((t1 - t0)) -le 10000 ]"
    check "--drain=3: $X deleted at the deadline" [ -z "$(row "$XIP")" ]
    check "--drain=3: the report names the deadline and the connection left ($(cat "$W/dl.out"))" \
        grep -q "^-t $V:80 -r $XIP:80: deadline reached after [34] s with 1 active and 0 inactive connections, deleted\$" "$W/dl.out"
    close_long L1
}

# ================================================================== interrupted
drain_interrupted() { # SIGNAL (TERM or INT)
    service
    open_long L1
    X=$(cat "$W/L1.srv"); XIP=$(ipof "$X")
    lvsadm --netns dir -d -t $V:80 -r "$XIP" --drain=60 >"$W/i.out" 2>"$W/i.err" &
    D=$!
    sleep 2
    kill -"$1" $D
    wait_exit $D 10
    check "interrupted drain (SIG$1): status 1 ($RC)" [ "$RC" = 1 ]
    check "interrupted drain (SIG$1): $X still present with weight 0 ($(row "$XIP"))" [ "$(weight "$XIP")" = 0 ]
    check "interrupted drain (SIG$1): says so on stderr ($(cat "$W/i.err"))" \
        grep -q "drain interrupted by SIG$1: weights left at 0, 1 real server not deleted" "$W/i.err"
    check "interrupted drain (SIG$1): the report ($(cat "$W/i.out"))" \
        grep -q "^-t $V:80 -r $XIP:80: interrupted with 1 active and 0 inactive connections; weight left at 0, not deleted\$" "$W/i.out"
    r=$(say L1 after-interrupt)
    check "interrupted drain (SIG$1): the connection still works ($r)" [ "$r" = "$X after-interrupt" ]
    undo=$(sed -n "s/^lvsadm: -t $V:80 -r $XIP:80 had weight 1; to restore it: //p" "$W/i.err")
    check "interrupted drain (SIG$1): names the old weight and the command that restores it ($undo)" \
        [ "$undo" = "lvsadm --netns dir -e -t $V:80 -r $XIP:80 -g -w 1" ]
    $undo
    check "interrupted drain (SIG$1): that command gives $X its weight back ($(row "$XIP"))" \
        [ "$(weight "$XIP")" = 1 ]
    close_long L1
}

# ================================================================== -D --drain
drain_D() {
    service
    open_long L1
    lvsadm --netns dir -D -t $V:80 --drain=30 >"$W/D.out" 2>"$W/D.err" &
    D=$!
    sleep 2
    X=$(cat "$W/L1.srv"); XIP=$(ipof "$X")
    w=$(lv -Ln -t $V:80 | awk '$1 == "->" && $2 != "RemoteAddress:Port" { print $2, $4 }' | tr '\n' ' ')
    check "-D --drain: service kept with only $X (open connection) at weight 0, the idle real servers deleted at once ($w)" \
        [ "$w" = "$XIP:80 0 " ]
    close_long L1
    wait_exit $D 20
    check "-D --drain: status 0 ($RC)" [ "$RC" = 0 ]
    check "-D --drain: service deleted" [ -z "$(lv -Sn)" ]
    check "-D --drain: report per real server and the service ($(tr '\n' '|' <"$W/D.out"))" \
        sh -c "[ \$(grep -c 'drained after' '$W/D.out') = 3 ] && grep -qx -- '-t $V:80: deleted' '$W/D.out'"
}

# ================================================================== --apply --drain
drain_apply() {
    service
    lv -A -t $V:81 -s rr && lv -a -t $V:81 -r 192.0.2.11 -g
    open_long L1; open_long L2; open_long L3
    X=rs3
    cat >"$W/rules" <<EOF
-A -t $V:80 -s rr
-a -t $V:80 -r 192.0.2.11:80 -g -w 5
-a -t $V:80 -r 192.0.2.12:80 -g -w 1
-A -t $V:8080 -s wlc
-a -t $V:8080 -r 192.0.2.12:8080 -g -w 1
EOF
    lvsadm --netns dir --apply "$W/rules" --drain=60 >"$W/a.out" 2>"$W/a.err" &
    D=$!
    sleep 2
    check "--apply --drain: edits applied at once (rs1 weight $(weight 192.0.2.11))" [ "$(weight 192.0.2.11)" = 5 ]
    check "--apply --drain: new service added at once" quiet lv -Ln -t $V:8080
    check "--apply --drain: empty service $V:81 removed at once" sh -c "! ip netns exec dir lvsadm -Ln -t $V:81 >/dev/null 2>&1"
    check "--apply --drain: rs3 (open connection) kept with weight 0 ($(row 192.0.2.13))" [ "$(weight 192.0.2.13)" = 0 ]
    short 6 "$W/short"
    check "--apply --drain: new connections avoid rs3 ($(sort "$W/short" | uniq -c | tr '\n' ' '))" \
        sh -c "! grep -q -e NONE -e '^rs3\$' '$W/short'"
    for l in L1 L2 L3; do [ "$(cat "$W/$l.srv")" = rs3 ] && R=$l; done
    r=$(say "$R" via-apply)
    check "--apply --drain: rs3's connection keeps working ($r)" [ "$r" = "rs3 via-apply" ]
    close_long "$R"
    wait_exit $D 20
    check "--apply --drain: status 0 ($RC; $(tr '\n' '|' <"$W/a.err"))" [ "$RC" = 0 ]
    check "--apply --drain: rs3 deleted after its connection ended" [ -z "$(row 192.0.2.13)" ]
    lv -Sn >"$W/after"
    check "--apply --drain: the table now matches the file (--apply --dry-run has nothing to do)" \
        sh -c "ip netns exec dir lvsadm --apply '$W/rules' --dry-run 2>&1 | grep -qx '0 changes (dry run, nothing changed)'"
    info "--apply --drain output:" "$(cat "$W/a.out")"
    # the summary comes after the drain and counts what the run did, as
    # --apply without --drain counts it: the drained rs3 and the deleted
    # service (with its one real server) included
    printf '%s\n' '              added  edited  deleted' 'services      1      0       1' \
        'destinations  1      1       1' "deleted service -t $V:81 (1 destination)" '5 changes' >"$W/sum.want"
    tail -n 5 "$W/a.out" >"$W/sum.got"
    same "--apply --drain: the summary, after the drain, counts what the run did" "$W/sum.want" "$W/sum.got"
    for l in L1 L2 L3; do close_long $l; done
}

# ================================================================== metrics
# stat_of LISTING SERVICE-OR-RIP FIELD: from -Ln --stats --exact
metrics_tests() {
    service
    lv -A -f 5 -s rr && lv -a -f 5 -r 192.0.2.11:80 -g
    short 9 "$W/short"
    sleep 3
    i=0
    while :; do
        lv -Ln --stats --exact >"$W/st1"
        lv --metrics >"$W/m1"
        rc=$?
        lv -Ln --stats --exact >"$W/st2"
        if cmp -s "$W/st1" "$W/st2" || [ $i -ge 5 ]; then break; fi
        sleep 1; i=$((i + 1))
    done
    check "--metrics: status 0" [ "$rc" = 0 ]
    emit metrics-table "$W/m1"
    sl='family="ipv4",protocol="tcp",address="192.0.2.1",port="80",fwmark=""'
    fl='family="ipv4",protocol="",address="",port="",fwmark="5"'
    mval() { grep -F "$1{$2}" "$W/m1" | head -n 1 | awk '{ print $NF }'; }
    # service VIP:80 row of --stats: Conns InPkts OutPkts InBytes OutBytes
    # shellcheck disable=SC2046 # five numbers
    set -- $(awk -v s="$V:80" '$1 == "TCP" && $2 == s { print $3, $4, $5, $6, $7 }' "$W/st1")
    [ $# = 5 ] || set -- none
    got="$(mval ipvs_service_connections_total "$sl") $(mval ipvs_service_packets_total "$sl,direction=\"in\"") $(mval ipvs_service_packets_total "$sl,direction=\"out\"") $(mval ipvs_service_bytes_total "$sl,direction=\"in\"") $(mval ipvs_service_bytes_total "$sl,direction=\"out\"")"
    check "--metrics: service counters equal -Ln --stats --exact ($got / $*)" [ "$got" = "$*" ]
    okd=1 txt=
    for r in 11 12 13; do
        # shellcheck disable=SC2046 # five numbers
        set -- $(awk -v v="$V:80" -v s="192.0.2.$r:80" '$1 != "->" { cur = $2 } $1 == "->" && cur == v && $2 == s { print $3, $4, $5, $6, $7 }' "$W/st1")
        [ $# = 5 ] || set -- none
        dl="$sl,server_address=\"192.0.2.$r\",server_port=\"80\",forward=\"route\""
        g="$(mval ipvs_real_server_connections_total "$dl") $(mval ipvs_real_server_packets_total "$dl,direction=\"in\"") $(mval ipvs_real_server_packets_total "$dl,direction=\"out\"") $(mval ipvs_real_server_bytes_total "$dl,direction=\"in\"") $(mval ipvs_real_server_bytes_total "$dl,direction=\"out\"")"
        [ "$g" = "$*" ] || okd=
        txt="$txt .$r: $g / $*;"
    done
    check "--metrics: real server counters equal -Ln --stats --exact ($txt)" [ -n "$okd" ]
    check "--metrics: connections were counted (service conns $(mval ipvs_service_connections_total "$sl") >= 9)" \
        [ "$(mval ipvs_service_connections_total "$sl")" -ge 9 ]
    check "--metrics: weight gauge (rs1: $(mval ipvs_real_server_weight "$sl,server_address=\"192.0.2.11\",server_port=\"80\",forward=\"route\""))" \
        [ "$(mval ipvs_real_server_weight "$sl,server_address=\"192.0.2.11\",server_port=\"80\",forward=\"route\"")" = 1 ]
    check "--metrics: TCP and fwmark service on the same address are distinct series" \
        sh -c "grep -qF 'ipvs_service_connections_total{$sl}' '$W/m1' && grep -qF 'ipvs_service_connections_total{$fl}' '$W/m1'"
    d=$(grep -v '^#' "$W/m1" | sed 's/ [^ ]*$//' | sort | uniq -d | head -n 3)
    check "--metrics: every series appears once${d:+ (duplicates: $d)}" [ -z "$d" ]
    lv --metrics --services-only >"$W/m2"
    check "--metrics --services-only: no real server series, service series kept" \
        sh -c "! grep -q ipvs_real_server '$W/m2' && grep -qF 'ipvs_service_connections_total{$sl}' '$W/m2'"
    emit metrics-services-only "$W/m2"

    # sync daemon and connection table
    lv --start-daemon master --mcast-interface eth0 --syncid 7
    open_long L1
    lv --metrics >"$W/m3"
    n=$(lv -Lnc | tail -n +3 | wc -l)
    check "--metrics: master sync daemon running, with its interface and syncid" \
        sh -c "grep -qx 'ipvs_sync_daemon_running{role=\"master\"} 1' '$W/m3' && grep -qx 'ipvs_sync_daemon_running{role=\"backup\"} 0' '$W/m3' && grep -q 'ipvs_sync_daemon_info{role=\"master\",interface=\"eth0\",syncid=\"7\"' '$W/m3'"
    check "--metrics: connection entries ($(grep '^ipvs_connection_entries ' "$W/m3")) equal the lines of -Lnc ($n)" \
        grep -qx "ipvs_connection_entries $n" "$W/m3"
    check "--metrics: the open connection counted as tcp ESTABLISHED" \
        sh -c "grep -q '^ipvs_connections{protocol=\"tcp\",state=\"ESTABLISHED\"} [1-9]' '$W/m3'"
    emit metrics-daemon "$W/m3"
    close_long L1
    lv --stop-daemon master

    # --netns
    lvsadm --netns dir --metrics >"$W/m4"
    check "--netns dir --metrics reads the namespace's table" grep -qF "ipvs_service_connections_total{$sl}" "$W/m4"
    check "--metrics in the root namespace shows no service" sh -c "! lvsadm --metrics | grep -q ipvs_service_connections_total"

    # HTTP
    lvsadm --netns dir --metrics --listen 127.0.0.1:9100 2>"$W/http.err" &
    H=$!
    i=0
    while ! grep -q serving "$W/http.err" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    nsx cl1 sh -c "i=0; while [ \$i -lt 40 ]; do echo once | timeout 5 nc $V 80 >/dev/null 2>&1; i=\$((i + 1)); done" &
    T=$!
    nsx dir wget -q -O "$W/h1" http://127.0.0.1:9100/metrics
    rc=$?
    check "HTTP: a scrape while traffic flows answers (status $rc)" \
        sh -c "[ $rc = 0 ] && grep -qF 'ipvs_service_connections_total{$sl}' '$W/h1'"
    wait $T
    sleep 3
    c1=$(grep -F "ipvs_service_connections_total{$sl}" "$W/h1" | awk '{ print $NF }')
    nsx dir wget -q -O "$W/h2" http://127.0.0.1:9100/metrics
    c2=$(grep -F "ipvs_service_connections_total{$sl}" "$W/h2" | awk '{ print $NF }')
    c3=$(lv -Ln --stats --exact | awk -v s="$V:80" '$1 == "TCP" && $2 == s { print $3 }')
    check "HTTP: the next scrape reflects the new connections ($c1 -> $c2; -Ln --stats says $c3)" \
        sh -c "[ '$c2' -gt '$c1' ] && [ '$c2' = '$c3' ]"
    emit metrics-http "$W/h2"
    s404=$(printf 'GET / HTTP/1.0\r\n\r\n' | nsx dir timeout 5 nc 127.0.0.1 9100 | head -n 1 | tr -d '\r')
    check "HTTP: other paths get 404 ($s404)" [ "$s404" = "HTTP/1.1 404 Not Found" ]
    s405=$(printf 'POST /metrics HTTP/1.0\r\n\r\n' | nsx dir timeout 5 nc 127.0.0.1 9100 | head -n 1 | tr -d '\r')
    check "HTTP: other methods get 405 ($s405)" [ "$s405" = "HTTP/1.1 405 Method Not Allowed" ]
    { printf 'GET /metrics HTTP/1.0\r\nX-Big: '; head -c 20000 /dev/zero | tr '\0' a; printf '\r\n\r\n'; } >"$W/big"
    s431=$(nsx dir timeout 5 nc 127.0.0.1 9100 <"$W/big" | head -n 1 | tr -d '\r')
    check "HTTP: an oversized request is refused ($s431)" [ "$s431" = "HTTP/1.1 431 Request Header Fields Too Large" ]
    pids=
    for j in 0 1 2 3 4 5 6 7; do
        ip netns exec dir wget -q -O "$W/p$j" http://127.0.0.1:9100/metrics &
        pids="$pids $!"
    done
    for p in $pids; do wait "$p"; done
    okp=1
    for j in 0 1 2 3 4 5 6 7; do grep -qF "ipvs_service_connections_total{$sl}" "$W/p$j" || okp=; done
    check "HTTP: 8 concurrent scrapes all answered" [ -n "$okp" ]
    check "HTTP: still serving after them" kill -0 $H
    kill -TERM $H
    wait_exit $H 10
    check "HTTP: SIGTERM ends the server with status 0 ($RC)" [ "$RC" = 0 ]
    check "HTTP: the port is closed afterwards" sh -c "! ip netns exec dir wget -q -O /dev/null http://127.0.0.1:9100/metrics 2>/dev/null"
    lv -C
}

drain_d
drain_deadline
drain_interrupted TERM
drain_interrupted INT
drain_D
drain_apply
metrics_tests

tap_done
