#!/bin/sh
# Load, on the real kernel in the IPVS guest (run by tests/kernel/load):
# four writers add, edit and delete real servers of two services with single
# lvsadm commands while two readers list the table, as text (-Ln) and as
# JSON (-Ln -j), for LOAD_SECS seconds (60). Then: every command of the
# writers succeeded, every listing is well formed (the text one parsed line
# by line, the JSON one by a strict parser), and the final table is exactly
# what the writers' commands imply. Prints `ok - ...` / `FAIL - ...` per check,
# `# ...` lines with numbers, and a last line `N passed, M failed`.
# Needs /usr/local/bin/json-check (added by tests/kernel/load).
# Only documentation addresses are used.
. /job/tap.sh
cd /root || exit 1
PATH=/usr/local/bin:$PATH
ip link set lo up
T=/tmp/load
rm -rf $T; mkdir -p $T/txt $T/json
SECS=${LOAD_SECS:-60}
POOL=1000       # real servers per writer: 198.51.100.K:10001..11000
SVC_A=192.0.2.10:80
SVC_B=192.0.2.20:80
svc_of() { if [ "$1" -le 2 ]; then echo $SVC_A; else echo $SVC_B; fi; }
uptime_s() { read -r u _ </proc/uptime; echo "${u%.*}"; }

# Each writer K owns the real servers 198.51.100.K:10001.. of its service
# (writers 1 and 2 share service A, 3 and 4 service B). Its commands come
# from a deterministic list that keeps a model of what exists: a server that
# exists is deleted or has its weight edited, one that does not is added;
# at the start every other server exists (weight 1). So every command must
# succeed, and the first N commands of the list imply the final table.
for k in 1 2 3 4; do
    awk -v k=$k -v pool=$POOL 'BEGIN {
        srand(k * 7919)
        for (j = 1; j <= pool; j++) { have[j] = (j % 2 == 0); w[j] = 1 }
        for (n = 0; n < 30000; n++) {
            j = int(rand() * pool) + 1
            if (have[j]) {
                if (rand() < 0.5) { print "d", j, 0; have[j] = 0 }
                else { w[j] = int(rand() * 100); print "e", j, w[j] }
            } else { w[j] = int(rand() * 100); print "a", j, w[j]; have[j] = 1 }
        }
    }' >$T/ops.$k
done
# expect K N: the rules of writer K after its first N commands, as -Sn lines
expect_rules() {
    awk -v k=$1 -v n=$2 -v pool=$POOL -v svc="$(svc_of $1)" '
        BEGIN { for (j = 1; j <= pool; j++) { have[j] = (j % 2 == 0); w[j] = 1 } }
        NR <= n { if ($1 == "d") have[$2] = 0; else { have[$2] = 1; w[$2] = $3 } }
        END { for (j = 1; j <= pool; j++) if (have[j])
            printf "-a -t %s -r 198.51.100.%d:%d -m -w %d\n", svc, k, 10000 + j, w[j] }' $T/ops.$1
}

lvsadm -C
{
    echo "-A -t $SVC_A -s rr"
    echo "-A -t $SVC_B -s wlc"
    for k in 1 2 3 4; do expect_rules $k 0; done
} >$T/initial.rules
lvsadm -R <$T/initial.rules
initial=$(lvsadm -Sn | grep -c '^-a')
if [ "$initial" = $((4 * POOL / 2)) ]; then ok "setup: $initial real servers to start with"
else bad "setup: $initial real servers to start with, want $((4 * POOL / 2))"; fi

END=$(($(uptime_s) + SECS))
writer() { # K
    k=$1 svc=$(svc_of $1) n=0 errs=0
    while read -r op j w; do
        [ "$(uptime_s)" -lt $END ] || break
        rs=198.51.100.$k:$((10000 + j))
        case $op in
        a) lvsadm -a -t $svc -r $rs -m -w $w ;;
        e) lvsadm -e -t $svc -r $rs -m -w $w ;;
        d) lvsadm -d -t $svc -r $rs ;;
        esac 2>>$T/werr.$k || { errs=$((errs + 1)); echo "command $n ($op $rs $w) failed" >>$T/werr.$k; }
        n=$((n + 1))
    done <$T/ops.$k
    echo "$n $errs" >$T/wdone.$k
}
reader() { # KIND DIR ARGS...
    kind=$1 dir=$2 i=0
    shift 2
    while [ "$(uptime_s)" -lt $END ]; do
        i=$((i + 1))
        lvsadm "$@" >$dir/$i 2>$dir/$i.err
        echo $? >$dir/$i.rc
    done
    echo $i >$T/rdone.$kind
}
for k in 1 2 3 4; do writer $k & done
reader text $T/txt -Ln &
reader json $T/json -Ln -j &
wait

# ------------------------------------------------------------ writers
total=0
for k in 1 2 3 4; do
    read -r n errs <$T/wdone.$k
    total=$((total + n))
    if [ "$errs" = 0 ] && [ ! -s $T/werr.$k ]; then ok "writer $k: $n single commands, every one succeeded"
    else bad "writer $k: $errs of $n commands failed"; head -n 5 $T/werr.$k | sed 's/^/    /'; fi
done
info "  $total writer commands in ${SECS}s"
# (a loaded host slows the emulated guest down a lot: the counts are low
# bars, enough for writes and listings to have overlapped)
nt=$(cat $T/rdone.text) nj=$(cat $T/rdone.json)
if [ $total -ge 40 ] && [ "$nt" -ge 3 ] && [ "$nj" -ge 3 ]; then
    ok "writers and readers overlapped ($total commands, $nt text and $nj JSON listings)"
else
    bad "too little happened in ${SECS}s: $total commands, $nt text and $nj JSON listings"
fi

# ------------------------------------------------------------ final table
{
    echo "-A -t $SVC_A -s rr"
    echo "-A -t $SVC_B -s wlc"
    for k in 1 2 3 4; do expect_rules $k "$(cut -d' ' -f1 $T/wdone.$k)"; done
} | sort >$T/want
lvsadm -Sn | sort >$T/got
if cmp -s $T/want $T/got; then ok "final table: exactly what the writers' commands imply ($(grep -c '^-a' $T/got) real servers)"
else bad "final table differs from what the writers' commands imply"; diff $T/want $T/got | head -n 10 | sed 's/^/    /'; fi
ipvsadm -Sn | sort >$T/got.ref
if cmp -s $T/got $T/got.ref; then ok "final table: lvsadm -Sn = ipvsadm -Sn"
else bad "final table: lvsadm -Sn differs from ipvsadm -Sn"; fi

# ------------------------------------------------------------ text listings
# Structure: the three header lines, then per service a service line and its
# real servers; every real server one of its service's writers' servers, a
# weight 0..99, no server twice.
badrc=0 badfmt=0 dup=0 rows=0
for i in $(seq 1 "$nt"); do
    [ "$(cat $T/txt/$i.rc)" = 0 ] && [ ! -s $T/txt/$i.err ] || { badrc=$((badrc + 1)); continue; }
    out=$(awk -v a=$SVC_A -v b=$SVC_B '
        NR == 1 { if ($0 !~ /^IP Virtual Server version [0-9.]+ \(size=[0-9]+\)$/) { print "line 1: " $0; bad = 1 } next }
        NR == 2 { if ($0 != "Prot LocalAddress:Port Scheduler Flags") { print "line 2: " $0; bad = 1 } next }
        NR == 3 { if ($0 != "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn") { print "line 3: " $0; bad = 1 } next }
        /^TCP  / {
            if ($0 == "TCP  " a " rr") { svc = "a" } else if ($0 == "TCP  " b " wlc") { svc = "b" }
            else { print "line " NR ": " $0; bad = 1; svc = "" }
            if (seen[svc]++) { print "service twice: " $0; bad = 1 }
            next
        }
        /^  -> / {
            if (svc == "" || !match($0, /^  -> 198\.51\.100\.[1-4]:1[0-9][0-9][0-9][0-9] +Masq +[0-9]+ +0 +0 +$/)) {
                print "line " NR ": " $0; bad = 1; next
            }
            split($2, hp, ":"); split(hp[1], o, ".")
            if ((svc == "a") != (o[4] <= 2) || hp[2] < 10001 || hp[2] > 11000 || $4 > 99) { print "line " NR ": " $0; bad = 1 }
            if (d[$2]++) dups++
            rows++
            next
        }
        { print "line " NR ": " $0; bad = 1 }
        END { if (NR < 3 || !seen["a"] || !seen["b"]) { print "incomplete listing"; bad = 1 }
              printf "%d %d\n", rows, dups; exit bad }' $T/txt/$i)
    if [ $? != 0 ]; then
        badfmt=$((badfmt + 1))
        [ $badfmt -le 3 ] && printf '%s\n' "$out" | head -n 3 | sed "s/^/    listing $i: /"
    else
        set -- $(printf '%s\n' "$out" | tail -n1)
        rows=$((rows + $1)) dup=$((dup + $2))
    fi
done
if [ "$nt" -gt 0 ] && [ $badrc = 0 ] && [ $badfmt = 0 ]; then
    ok "text listings: all $nt well formed (exit 0, nothing on stderr; $rows real-server rows)"
else
    bad "text listings: $badrc of $nt failed, $badfmt malformed"
fi
if [ $dup = 0 ]; then ok "text listings: no real server listed twice"
else bad "text listings: $dup real servers listed twice"; fi

# ------------------------------------------------------------ JSON listings
# (the real servers come from one netlink dump per service; the kernel
# resumes a dump by position, so one added during it could be listed twice)
badrc=0
for i in $(seq 1 "$nj"); do
    [ "$(cat $T/json/$i.rc)" = 0 ] && [ ! -s $T/json/$i.err ] || badrc=$((badrc + 1))
done
files=$(for i in $(seq 1 "$nj"); do echo $T/json/$i; done)
# shellcheck disable=SC2086
json-check $files >$T/json.check
nok=$(grep -c ': ok$' $T/json.check)
if [ "$nj" -gt 0 ] && [ $badrc = 0 ] && [ "$nok" = "$nj" ]; then
    ok "JSON listings: all $nj parse (strict parser; exit 0, nothing on stderr)"
else
    bad "JSON listings: $badrc of $nj failed, $((nj - nok)) do not parse"
    grep -v ': ok$' $T/json.check | head -n 3 | sed 's/^/    /'
fi
# their content: the two services, each real server one of its writers'
badc=0 dup=0 rows=0
for i in $(seq 1 "$nj"); do
    json-check --flat $T/json/$i >$T/flat 2>/dev/null || continue
    set -- $(awk -F= -v a=${SVC_A%:*} -v b=${SVC_B%:*} '
        /^services\.[0-9]+\.address=/ { split($1, p, "."); s[p[2]] = ($2 == a) ? "a" : ($2 == b) ? "b" : "?"; if (s[p[2]] == "?") bad++; ns++ }
        /^services\.[0-9]+\.destinations\.[0-9]+\.address=/ {
            split($1, p, "."); split($2, o, ".")
            if (o[1] "." o[2] "." o[3] != "198.51.100" || o[4] < 1 || o[4] > 4 || (s[p[2]] == "a") != (o[4] <= 2)) bad++
            addr = $2
        }
        /^services\.[0-9]+\.destinations\.[0-9]+\.port=/ {
            if ($2 < 10001 || $2 > 11000) bad++
            if (d[addr ":" $2]++) dups++
            rows++
        }
        /^services\.[0-9]+\.destinations\.[0-9]+\.forward=/ { if ($2 != "masq") bad++ }
        /^services\.[0-9]+\.destinations\.[0-9]+\.weight=/ { if ($2 < 0 || $2 > 99) bad++ }
        END { if (ns != 2) bad++; print bad + 0, dups + 0, rows + 0 }' $T/flat)
    [ "$1" = 0 ] || badc=$((badc + 1))
    dup=$((dup + $2)) rows=$((rows + $3))
done
if [ $badc = 0 ]; then ok "JSON listings: the two services and only their writers' real servers ($rows real-server entries)"
else bad "JSON listings: $badc with unexpected content"; fi
if [ $dup = 0 ]; then ok "JSON listings: no real server listed twice"
else bad "JSON listings: $dup real servers listed twice"; fi
info "  $nt text and $nj JSON listings during the ${SECS}s"
lvsadm -C
tap_done
