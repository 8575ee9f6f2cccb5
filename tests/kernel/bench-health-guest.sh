#!/bin/sh
# Guest side of tests/kernel/bench-health (run as /job/script): lvsadm
# --supervise against keepalived's checkers (keepalived --check), the same
# real servers, services and intervals.
#
# Topology: namespace dir (the director, where the checkers and the IPVS
# table are) and namespace rs (ten real servers 198.51.100.11-20, one
# bench-peer process each on port 8080), joined by a veth pair. Each
# service is 192.0.2.1:PORT with the ten real servers (direct routing,
# weight 1); every real server is checked on port 8080, every second,
# timeout 1 s (INTERVAL in the configuration: another interval), down at the first failure (lvsadm --fall 1, keepalived
# retry 0), quiesced (lvsadm's default, keepalived's inhibit_on_failure).
#
# For each size (services x 10 real servers), check (tcp, http), run
# (REPS of each) and tool, alternating which tool goes first: start the checker with an empty
# table, wait until all real servers are in at weight 1 and WARM more
# seconds, then read the checker's utime+stime (/proc/PID/stat, with its
# children) over WINDOW seconds; then stop the victim's server
# (198.51.100.20) and time until the first and until all of its real
# servers have weight 0 in the kernel's table (read every 5 ms by
# bench-peer watch, whichever tool runs); VmHWM at the end (summed over
# its processes). Also reported: how busy the guest's vCPUs were in the
# window (a checker whose checks come late on a saturated guest), and for
# lvsadm up to 1 000 real servers its log's "down" lines per 100 ms.
#
# The real servers count the connections they accept, so the checks each
# checker really made in the window are known too (a checker that falls
# behind its interval uses less CPU but checks less often).
#
# Output: `RESULT size check tool cpu_ms window_ms hwm_kib first_ms all_ms checks`
# lines, `INFO ...`, `INFO done`.
PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
. /job/bench-health.conf
. /job/topology.sh
. /job/tap.sh
W=/tmp/bh
rm -rf "$W"; mkdir -p "$W"
V=192.0.2.1
info() { echo "INFO $*"; }
lvd() { ip netns exec dir lvsadm "$@"; }
nowms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
TICK=100

mkns dir rs
ip link add vd netns dir type veth peer name vr netns rs
ip -n dir addr add 198.51.100.1/24 dev vd
ip -n dir link set vd up
ip -n rs link set vr up
i=11
while [ $i -le 20 ]; do ip -n rs addr add 198.51.100.$i/24 dev vr; i=$((i + 1)); done
ip netns exec dir sysctl -q -w net.ipv4.ip_local_port_range="10000 65000"
ip netns exec dir sysctl -q -w net.ipv4.tcp_tw_reuse=1
ip netns exec rs sysctl -q -w net.core.somaxconn=4096
ip netns exec rs sysctl -q -w net.ipv4.tcp_max_syn_backlog=4096
modprobe ip_vs
# keepalived logs through syslog (its console logging would go through
# the emulated serial line); lvsadm writes its log lines to a file
busybox syslogd -n -O "$W/keepalived.log" &
# the largest size: the own-port layout's ports 20000.. (one per service)
MAXS=0
for s in $SIZES; do [ "$s" -gt $MAXS ] && MAXS=$s; done
start_peer() { # LAST-OCTET
    ip netns exec rs bench-peer 198.51.100.$1:8080 4 "$W/served-$1" 20000-$((20000 + MAXS - 1)) </dev/null >/dev/null 2>&1 &
    echo $! >"$W/peer-$1.pid"
}
i=11
while [ $i -le 20 ]; do start_peer $i; i=$((i + 1)); done
sleep 1

# files S CHECK: $W/lvsadm.rules and $W/keepalived.conf for S services.
# CHECK tcp or http: every service checks its real servers the same way
# (port 8080, http path /ok), so lvsadm makes one check per real server
# for all the services (keepalived one per service); tcp-own and
# http-own: each service checks its own port (20000 + i) or path
# (/ok/PORT), so no check answers for another service.
files() {
    awk -v S="$1" -v C="$2" -v V="$V" -v I="${INTERVAL:-1}" -v L="$W/lvsadm.rules" -v K="$W/keepalived.conf" 'BEGIN {
        print "global_defs {\n    router_id bench\n}" > K
        for (i = 0; i < S; i++) {
            p = 1000 + i
            cp = (C == "tcp-own") ? 20000 + i : 8080
            path = (C == "http-own") ? "/ok/" p : "/ok"
            h = (C ~ /^http/) ? "http:" path : "tcp"
            printf "-A -t %s:%d -s rr --health %s --health-port %d --interval %d --health-timeout 1 --rise 1 --fall 1\n", V, p, h, cp, I > L
            printf "virtual_server %s %d {\n    delay_loop %d\n    lb_algo rr\n    lb_kind DR\n    protocol TCP\n", V, p, I > K
            for (r = 11; r <= 20; r++) {
                printf "-a -t %s:%d -r 198.51.100.%d:%d -g -w 1\n", V, p, r, p > L
                printf "    real_server 198.51.100.%d %d {\n        weight 1\n        inhibit_on_failure\n", r, p > K
                if (C ~ /^http/)
                    printf "        HTTP_GET {\n            url {\n                path %s\n                status_code 200\n            }\n            connect_port %d\n            connect_timeout 1\n            retry 0\n        }\n", path, cp > K
                else
                    printf "        TCP_CHECK {\n            connect_port %d\n            connect_timeout 1\n            retry 0\n        }\n", cp > K
                print "    }" > K
            }
            print "}" > K
        }
    }'
}

# the pids of PID and its descendants
tree() {
    _all=" $1 "
    _more=1
    while [ $_more = 1 ]; do
        _more=0
        for _s in /proc/[0-9]*/stat; do
            read -r _p _c _st _pp _rest <"$_s" 2>/dev/null || continue
            case $_all in *" $_pp "*) case $_all in *" $_p "*) ;; *) _all="$_all$_p "; _more=1 ;; esac ;; esac
        done
    done
    echo $_all
}
# cpu PIDS: utime+stime in ms, summed (the command name has no spaces)
cpu() {
    _t=0
    for _p; do
        _v=$(awk '{ print $14 + $15 }' /proc/$_p/stat 2>/dev/null)
        _t=$((_t + ${_v:-0}))
    done
    echo $((_t * 1000 / TICK))
}
# busy: the guest's non-idle jiffies and all jiffies so far (all vCPUs)
busy() { awk '$1 == "cpu" { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat; }
hwm() {
    _t=0
    for _p; do
        _v=$(awk '$1 == "VmHWM:" { print $2 }' /proc/$_p/status 2>/dev/null)
        _t=$((_t + ${_v:-0}))
    done
    echo $_t
}
# served: the connections the ten real servers have accepted so far (the
# checks really made; each bench-peer writes its count every 100 ms)
served() {
    _t=0
    for _f in "$W"/served-*[0-9]; do
        read -r _v <"$_f" 2>/dev/null || _v=0
        _t=$((_t + ${_v:-0}))
    done
    echo $_t
}
# rows at weight 1, and the victim's rows at weight above 0
up_rows() { lvd -Ln | awk '$1 == "->" && $4 == 1' | wc -l; }
victim_up() { lvd -Ln | awk '$1 == "->" && $2 ~ /^198\.51\.100\.20:/ && $4 != 0' | wc -l; }

# stamp: each line of standard input with /proc/uptime's seconds first
stamp() {
    while IFS= read -r _l; do
        read -r _up _rest </proc/uptime
        echo "$_up $_l"
    done
}

one() { # SIZE CHECK TOOL
    _n=$(($1 * 10))
    lvd -C
    files "$1" "$2"
    case $3 in
    lvsadm)
        rm -rf "$W/state" "$W/lvsadm.fifo"
        # up to 1 000 real servers, each log line stamped with the guest's
        # uptime by a shell loop of builtins (no process per line), outside
        # lvsadm's process tree; at 10 000 the loop could not keep up with
        # the log and would slow lvsadm down; --no-stamp (STAMP=0): not at
        # all (the loop competes with lvsadm for the vCPUs when a failure
        # logs two hundred lines at once; the detection clock does not
        # need it)
        _log=$W/lvsadm.log
        if [ "$1" -le 100 ] && [ "${STAMP:-1}" = 1 ]; then
            mkfifo "$W/lvsadm.fifo"
            stamp <"$W/lvsadm.fifo" >"$W/lvsadm.log" &
            _log=$W/lvsadm.fifo
        fi
        lvsadm --netns dir --supervise "$W/lvsadm.rules" --state-dir "$W/state" 2>"$_log" &
        _pid=$!
        ;;
    keepalived)
        rm -f "$W/ka.pid" "$W/kc.pid"
        ip netns exec dir keepalived --dont-fork --check --use-file "$W/keepalived.conf" \
            --pid "$W/ka.pid" --checkers_pid "$W/kc.pid" >/dev/null 2>&1 &
        _pid=$!
        ;;
    esac
    _t0=$(nowms)
    while [ "$(up_rows)" -lt $_n ]; do
        if [ $(($(nowms) - _t0)) -gt $((STARTUP * 1000)) ]; then
            info "$3 $2 $1x10: only $(up_rows) of $_n real servers up after $STARTUP s"
            break
        fi
        sleep 1
    done
    info "$3 $2 $1x10: $(up_rows)/$_n up after $(($(nowms) - _t0)) ms"
    sleep "$WARM"
    _pids=$(tree $_pid)
    _c0=$(cpu $_pids)
    _ba0=$(busy)
    _s0=$(served)
    _w0=$(nowms)
    sleep "$WINDOW"
    _c1=$(cpu $_pids)
    _ba1=$(busy)
    _s1=$(served)
    info "$3 $2 $1x10: the guest's vCPUs were $(echo "$_ba0 $_ba1" | awk '{ printf "%d", ($3 - $1) * 100 / ($4 - $2 + 1) }') % busy in the window (all processes)"
    _w1=$(nowms)
    # the detection clock, the same for both tools (bench-peer watch reads
    # the kernel's table every 5 ms): the guest's uptime at the kill and
    # when the first and the last of the victim's entries were seen at 0
    ip netns exec dir bench-peer watch 198.51.100.20 "$1" $((30000 + 3000 * ${INTERVAL:-1})) >"$W/watch.out" &
    _wp=$!
    sleep 0.5
    kill "$(cat "$W/peer-20.pid")"
    read -r _kup _rest </proc/uptime
    wait $_wp
    read -r _f _a <"$W/watch.out"
    _first=$(awk -v k="$_kup" -v t="$_f" 'BEGIN { print t < 0 ? -1 : int((t - k) * 1000 + 0.5) }')
    _all=$(awk -v k="$_kup" -v t="$_a" 'BEGIN { print t < 0 ? -1 : int((t - k) * 1000 + 0.5) }')
    _h=$(hwm $_pids)
    if [ "$3" = lvsadm ] && [ "$1" -le 100 ] && [ "${STAMP:-1}" = 1 ]; then
        # lvsadm's own times, from its stamped log: the victim's first and
        # last "down" and weight-0 change after the kill (10 ms steps)
        info "$3 $2 $1x10: from its log: $(awk -v k="$_kup" '
            $1 >= k && /198\.51\.100\.20:/ && / down: / { if (!d1) d1 = $1; d2 = $1; nd++ }
            $1 >= k && /table: -e .*198\.51\.100\.20:.* -w 0$/ { if (!t1) t1 = $1; t2 = $1; nt++ }
            END { printf "%d downs %.2f..%.2f s, %d weight-0 changes %.2f..%.2f s after the kill", nd, d1 - k, d2 - k, nt, t1 - k, t2 - k }' "$W/lvsadm.log")"
        info "$3 $2 $1x10: downs per 100 ms after the kill: $(awk -v k="$_kup" '
            $1 >= k && /198\.51\.100\.20:/ && / down: / { b[int(($1 - k) * 10)]++; if (int(($1 - k) * 10) > m) m = int(($1 - k) * 10) }
            END { for (i = 0; i <= m; i++) printf "%d ", b[i] }' "$W/lvsadm.log")"
    fi
    echo "RESULT $1 $2 $3 $((_c1 - _c0)) $((_w1 - _w0)) $_h $_first $_all $((_s1 - _s0))"
    info "$3 $2 $1x10: pids $_pids; lines logged: $(wc -l <"$W/$3.log" 2>/dev/null)"
    info "$3 $2 $1x10: reasons of downs: $(grep -o 'down: [^,]*\|Timeout[^.]*\|Connection refused' "$W/$3.log" | sort | uniq -c | sort -rn | head -n 4 | tr '\n' ';')"
    kill -TERM $_pid 2>/dev/null
    wait $_pid 2>/dev/null
    for _p in $_pids; do kill -9 $_p 2>/dev/null; done
    start_peer 20
    sleep 1
}

info "keepalived: $(keepalived --version 2>&1 | head -n 1); lvsadm: $(lvsadm --version 2>&1 | head -n 1); CPUs: $(grep -c ^processor /proc/cpuinfo)"
k=0
for s in $SIZES; do
    for c in $CHECKS; do
        r=0
        while [ $r -lt "${REPS:-1}" ]; do
            if [ $((k % 2)) = 0 ]; then order="lvsadm keepalived"; else order="keepalived lvsadm"; fi
            for t in $order; do one "$s" "$c" "$t"; done
            k=$((k + 1))
            r=$((r + 1))
        done
    done
done
info done
