#!/bin/sh
# Guest side of tests/kernel/bench (run by dash as /job/script).
#
#   bench-guest.sh               the whole benchmark, sizes and repetitions
#                                from /job/bench.conf (SIZES, REPS)
#   bench-guest.sh one TOOL SIZE REP
#                                one timed sequence inside a fresh network
#                                namespace (called through unshare -n)
#
# Output: lines `RAW size op tool rep ms maxrss_kib exit user_ms sys_ms`, `CHECK ...` and
# `INFO ...`; tests/kernel/bench turns them into the table.
set -u
SELF=/job/script
TIMER=/usr/local/bin/bench-timer
LVS=/usr/sbin/lvsadm
REF=/sbin/ipvsadm
W=/tmp/bench

# gen S D: a rule set of S services with D destinations each, in -R format.
# Services: 60 % TCP and 20 % UDP on IPv4 (192.0.2.x, 198.51.100.x,
# 203.0.113.x with many ports), 10 % IPv6 (2001:db8::/64, TCP or UDP),
# 10 % fwmark; every 7th persistent; schedulers wlc/rr/wrr. Destinations
# cycle through masquerading, direct routing and tunnelling.
gen() {
    awk -v S="$1" -v D="$2" 'BEGIN {
        split("192.0.2 198.51.100 203.0.113", net, " ")
        split("wlc rr wrr", sch, " ")
        split("-m -g -i", fwd, " ")
        for (i = 0; i < S; i++) {
            k = i % 10
            a = i % 762
            if (k < 6) {
                key = sprintf("-t %s.%d:%d", net[int(a / 254) + 1], a % 254 + 1, 1000 + int(i / 762)); v6 = 0
            } else if (k < 8) {
                key = sprintf("-u %s.%d:%d", net[int(a / 254) + 1], a % 254 + 1, 1000 + int(i / 762)); v6 = 0
            } else if (k == 8) {
                key = sprintf("-%s [2001:db8::%x]:%d", (i % 20 == 8) ? "t" : "u", i + 1, 80); v6 = 1
            } else {
                key = sprintf("-f %d", i + 1); v6 = 0
            }
            line = "-A " key " -s " sch[i % 3 + 1]
            if (i % 7 == 0) line = line " -p 300"
            print line
            for (j = 0; j < D; j++) {
                if (v6) r = sprintf("[2001:db8:1::%x]:8080", j + 1)
                else r = sprintf("198.51.100.%d:8080", j + 1)
                print "-a " key " -r " r " " fwd[(i + j) % 3 + 1] " -w " (j % 5 + 1)
            }
        }
    }'
}

# res FILE: the timer's "ms rss exit" line, then remove FILE
res() {
    cat "$1"
    rm -f "$1"
}

# one TOOL SIZE REP, inside a fresh network namespace
one() {
    tool=$1 size=$2 rep=$3
    if [ "$tool" = lvsadm ]; then bin=$LVS; else bin=$REF; fi
    d=$W/$size.$tool
    mkdir -p "$d"
    ip link set lo up
    "$TIMER" "$d/t" "$bin" -R <"$W/rules.$size" >"$d/R.out" 2>"$d/R.err"
    echo "RAW $size R $tool $rep $(res "$d/t")"
    "$TIMER" "$d/t" "$bin" -Ln </dev/null >"$d/Ln.out" 2>"$d/Ln.err"
    echo "RAW $size Ln $tool $rep $(res "$d/t")"
    "$TIMER" "$d/t" "$bin" -Sn </dev/null >"$d/Sn.out" 2>"$d/Sn.err"
    echo "RAW $size Sn $tool $rep $(res "$d/t")"
    "$TIMER" "$d/t" "$bin" -C </dev/null >"$d/C.out" 2>"$d/C.err"
    echo "RAW $size C $tool $rep $(res "$d/t")"
    left=$("$REF" -Sn | wc -l)
    [ "$left" = 0 ] || echo "CHECK $size $tool $rep FAIL: $left lines left after -C"
    for f in R.err Ln.err Sn.err C.err R.out; do
        [ -s "$d/$f" ] && echo "CHECK $size $tool $rep FAIL: $f not empty: $(head -c 200 "$d/$f")"
    done
}

if [ "${1:-}" = one ]; then
    shift
    one "$@"
    exit 0
fi

. /job/bench.conf
mkdir -p "$W"
echo "${ASLR:-2}" >/proc/sys/kernel/randomize_va_space
echo "INFO kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU, randomize_va_space=$(cat /proc/sys/kernel/randomize_va_space)"
for size in $SIZES; do
    S=${size%x*} D=${size#*x}
    gen "$S" "$D" >"$W/rules.$size"
    echo "INFO $size: $(wc -l <"$W/rules.$size") lines"
    rep=1
    while [ "$rep" -le "$REPS" ]; do
        # alternate which tool goes first
        if [ $((rep % 2)) = 1 ]; then order="lvsadm ipvsadm"; else order="ipvsadm lvsadm"; fi
        [ "${ONLY_LVSADM:-0}" = 1 ] && order=lvsadm
        for tool in $order; do
            unshare -n /bin/sh "$SELF" one "$tool" "$size" "$rep"
            sleep 1 # let the old namespace's teardown finish
        done
        # the same file must give the same tables with both tools
        [ "${ONLY_LVSADM:-0}" = 1 ] && { rep=$((rep + 1)); continue; }
        for f in Sn Ln; do
            if cmp -s "$W/$size.lvsadm/$f.out" "$W/$size.ipvsadm/$f.out"; then
                echo "CHECK $size both $rep ok: -$f identical ($(wc -l <"$W/$size.lvsadm/$f.out") lines)"
            else
                echo "CHECK $size both $rep FAIL: -$f differs"
                diff "$W/$size.ipvsadm/$f.out" "$W/$size.lvsadm/$f.out" | head -n 10
            fi
        done
        n=$(wc -l <"$W/$size.lvsadm/Sn.out")
        [ "$n" = "$(wc -l <"$W/rules.$size")" ] ||
            echo "CHECK $size both $rep FAIL: -Sn has $n lines, the rules $(wc -l <"$W/rules.$size")"
        rep=$((rep + 1))
    done
    rm -rf "$W/$size.lvsadm" "$W/$size.ipvsadm"
done
# start-up alone: -C on an empty table, STARTUP runs in a row under one
# timer (a shell loop), ten times per tool, alternating which goes first
if [ "${STARTUP:-0}" -gt 0 ]; then
    rep=1
    while [ "$rep" -le 10 ]; do
        if [ $((rep % 2)) = 1 ]; then order="lvsadm ipvsadm"; else order="ipvsadm lvsadm"; fi
        [ "${ONLY_LVSADM:-0}" = 1 ] && order=lvsadm
        for tool in $order; do
            if [ "$tool" = lvsadm ]; then bin=$LVS; else bin=$REF; fi
            unshare -n /bin/sh -c "ip link set lo up
                $TIMER $W/start.t /bin/sh -c 'i=0; while [ \$i -lt $STARTUP ]; do $bin -C || exit 9; i=\$((i + 1)); done'"
            echo "RAW empty C $tool $rep $(res "$W/start.t")"
        done
        rep=$((rep + 1))
    done
fi
echo "INFO done"
