#!/bin/sh
# lvsadm's extensions on a real kernel (run in the IPVS guest by
# tests/kernel/features): -j/--json, --check, --apply [--dry-run], --netns,
# and the 10000x4 apply measurement. Prints one `ok - NAME` or `FAIL - NAME`
# line per check and a last line `N passed, M failed`.
# Only documentation addresses are used.
PASS=0
FAIL=0
ok() { echo "ok - $1"; PASS=$((PASS + 1)); }
bad() { echo "FAIL - $1"; FAIL=$((FAIL + 1)); }
# check NAME CMD...: ok if CMD succeeds
check() { n=$1; shift; if "$@"; then ok "$n"; else bad "$n"; fi; }
# same NAME FILE1 FILE2: ok if identical, else show the diff
same() {
    if cmp -s "$2" "$3"; then ok "$1"; else bad "$1"; diff "$2" "$3" | head -20 | sed 's/^/    /'; fi
}
now() { cut -d' ' -f1 /proc/uptime; }
cd /root || exit 1

# Flatten JSON into `path=value` lines (busybox awk): services.0.port=80.
# Exits 1 on anything that is not JSON.
flat() {
    awk '
    function path(   i, p) {
        p = ""
        for (i = 1; i <= d; i++) p = p (i > 1 ? "." : "") (t[i] == "o" ? k[i] : n[i])
        return p
    }
    function val(v) { print path() "=" v; if (t[d] == "o") e[d] = "k" }
    { s = s $0 }
    END {
        d = 0
        while (length(s) > 0) {
            c = substr(s, 1, 1)
            if (c == "{") { d++; t[d] = "o"; e[d] = "k"; s = substr(s, 2) }
            else if (c == "[") { d++; t[d] = "a"; n[d] = 0; s = substr(s, 2) }
            else if (c == "}" || c == "]") { d--; if (d > 0 && t[d] == "o") e[d] = "k"; s = substr(s, 2) }
            else if (c == ":") { e[d] = "v"; s = substr(s, 2) }
            else if (c == ",") { if (t[d] == "a") n[d]++; else e[d] = "k"; s = substr(s, 2) }
            else if (c == "\"") {
                if (!match(s, /^"([^"\\]|\\.)*"/)) exit 1
                v = substr(s, 2, RLENGTH - 2); s = substr(s, RLENGTH + 1)
                if (t[d] == "o" && e[d] == "k") k[d] = v; else val(v)
            }
            else if (match(s, /^(-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?|true|false|null)/)) {
                v = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1); val(v)
            }
            else if (c == " " || c == "\n") s = substr(s, 2)
            else exit 1
        }
        if (d != 0) exit 1
    }'
}
# get FLATFILE PATH: the value at PATH
get() { grep "^$2=" "$1" | head -n1 | cut -d= -f2-; }
# eq NAME FLATFILE PATH EXPECTED
eq() {
    v=$(get "$2" "$3")
    if [ "$v" = "$4" ]; then ok "$1"; else bad "$1 ($3: got '$v', want '$4')"; fi
}

modprobe dummy 2>/dev/null
ip link add dummy0 type dummy 2>/dev/null
ip link set dummy0 up
ip link set lo up

# ------------------------------------------------------------------ JSON
ipvsadm -C
ipvsadm -A -t 192.0.2.1:80 -s rr -p 120 -M 255.255.255.0
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3 -x 50 -y 5
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.2 -i --tun-type gue --tun-port 6080 --tun-csum
ipvsadm -A -u 192.0.2.2:53 -s wlc -o
ipvsadm -a -u 192.0.2.2:53 -r 198.51.100.3:5353 -m -w 0
ipvsadm -A -f 7 -6 -s sh -b sh-port
ipvsadm -a -f 7 -6 -r [2001:db8::10]:0 -m
ipvsadm --set 901 121 301
ipvsadm --start-daemon master --mcast-interface dummy0 --syncid 5
# a connection entry: locally generated traffic to the VIP goes through IPVS
ip addr add 203.0.113.1/24 dev dummy0
ip route add 192.0.2.0/24 dev dummy0 2>/dev/null
(nc -w 1 192.0.2.1 80 </dev/null >/dev/null 2>&1 &)
sleep 1

lvsadm -Ln -j >j.txt; rc=$?
check "json: -Ln -j exits 0" [ $rc -eq 0 ]
check "json: one line" [ "$(wc -l <j.txt)" -eq 1 ]
if flat <j.txt >j.flat; then ok "json: parses"; else bad "json: parses"; fi
eq "json: schema_version" j.flat schema_version 1
eq "json: ipvs_version" j.flat ipvs_version 1.2.1
size=$(ipvsadm -Ln | head -n1 | sed 's/.*size=\([0-9]*\).*/\1/')
eq "json: conn_tab_size = banner size" j.flat conn_tab_size "$size"
# services and destinations, in -Ln order, rebuilt as save-like lines
awk -F= '
    /^services\.[0-9]+\.protocol=/ { p = $2 }
    /^services\.[0-9]+\.address=/ { a = $2 }
    /^services\.[0-9]+\.port=/ { po = $2 }
    /^services\.[0-9]+\.fwmark=/ { fm = $2 }
    /^services\.[0-9]+\.family=/ { fa = $2; p = ""; a = ""; po = ""; fm = "" }
    /^services\.[0-9]+\.scheduler=/ {
        if (fm != "") s = "-f " fm (fa == "inet6" ? " -6" : "")
        else s = (p == "tcp" ? "-t" : p == "udp" ? "-u" : "--sctp-service") " " (fa == "inet6" ? "[" a "]" : a) ":" po
        print "-A " s " -s " $2
    }
    /destinations\.[0-9]+\.family=/ { dfa = $2 }
    /destinations\.[0-9]+\.address=/ { da = $2 }
    /destinations\.[0-9]+\.port=/ { dp = $2 }
    /destinations\.[0-9]+\.forward=/ { f = ($2 == "masq" ? "-m" : $2 == "tunnel" ? "-i" : "-g") }
    /destinations\.[0-9]+\.weight=/ { print "-a " s " -r " (dfa == "inet6" ? "[" da "]" : da) ":" dp " " f " -w " $2 }
' j.flat >j.rules
ipvsadm -Sn | sed 's/ -p .*//; s/ -o$//; s/ -b .*//; s/ --tun-type.*//' >k.rules
same "json: services/destinations = ipvsadm -Sn" k.rules j.rules
eq "json: persistent" j.flat services.0.persistent true
eq "json: timeout" j.flat services.0.timeout 120
eq "json: netmask" j.flat services.0.netmask 255.255.255.0
eq "json: one_packet" j.flat services.1.one_packet true
eq "json: sched_flags" j.flat services.2.sched_flags.0 flag-2
eq "json: prefix_len" j.flat services.2.prefix_len 128
eq "json: tunnel type" j.flat services.0.destinations.1.tunnel.type gue
eq "json: tunnel port" j.flat services.0.destinations.1.tunnel.port 6080
eq "json: tunnel csum" j.flat services.0.destinations.1.tunnel.csum csum
ipvsadm -Ln --tun-info | grep -q 'Tunnel  gue:6080:+c' && ok "json: tun-info agrees" || bad "json: tun-info agrees"

# per-mode numbers: the last columns of each row vs the JSON fields in order
# cols MODE N: last N columns of every service/dest row of `ipvsadm -Ln MODE`
cols() { ipvsadm -Ln $1 | awk -v n="$2" 'NR > 3 { l = ""; for (i = NF - n + 1; i <= NF; i++) l = l " " $i; print l }'; }
dcols() { ipvsadm -Ln $1 | awk -v n="$2" 'NR > 3 && $1 == "->" { l = ""; for (i = NF - n + 1; i <= NF; i++) l = l " " $i; print l }'; }
# jrows FLAT REGEX-OF-FIELDS N: the JSON values of matching paths, N per row
jrows() { grep -E "$2" "$1" | cut -d= -f2 | awk -v n="$3" '{ l = l " " $0 } NR % n == 0 { print l; l = "" }'; }
# (a fresh JSON snapshot next to each text listing: connection states move)
snap() { lvsadm -Ln -j | flat >j.flat; }
snap; cols "--stats --exact" 5 >t.txt
jrows j.flat '(^services\.[0-9]+|destinations\.[0-9]+)\.stats\.(conns|inpkts|outpkts|inbytes|outbytes)=' 5 >u.txt
same "json: --stats --exact numbers" t.txt u.txt
# (the kernel's rate estimator moves every 2 s: retry a few times)
for try in 1 2 3 4 5; do
    snap; cols "--rate" 5 >t.txt
    jrows j.flat '(^services\.[0-9]+|destinations\.[0-9]+)\.rate\.(cps|inpps|outpps|inbps|outbps)=' 5 >u.txt
    cmp -s t.txt u.txt && break
    sleep 1
done
same "json: --rate numbers" t.txt u.txt
snap; dcols "--thresholds" 4 >t.txt
jrows j.flat 'destinations\.[0-9]+\.(u_threshold|l_threshold|active_conns|inactive_conns)=' 4 >u.txt
same "json: --thresholds numbers" t.txt u.txt
# (text order weight persist active inactive; JSON order weight active inactive persistent)
snap; dcols "--persistent-conn" 4 | awk '{ print " " $1, $3, $4, $2 }' >t.txt
jrows j.flat 'destinations\.[0-9]+\.(weight|persistent_conns|active_conns|inactive_conns)=' 4 >u.txt
same "json: --persistent-conn numbers" t.txt u.txt
snap; dcols "" 3 >t.txt
jrows j.flat 'destinations\.[0-9]+\.(weight|active_conns|inactive_conns)=' 3 >u.txt
same "json: -Ln weight/active/inactive" t.txt u.txt
# the listing modes select text columns only: the JSON document is the same
# (apart from the moving connection counters)
stable() { grep -v -e '\.stats\.' -e '\.rate\.' -e '_conns=' "$1" | sort; }
snap; stable j.flat >j.stable
for m in --stats --rate --thresholds --persistent-conn --tun-info --exact; do
    lvsadm -Ln $m -j | flat >m.flat
    stable m.flat >m.stable
    same "json: -Ln $m -j same document" j.stable m.stable
done
lvsadm -Ln --nosort -j | flat >m.flat
check "json: --nosort same services" [ "$(grep -c '^services\.[0-9]*\.scheduler=' m.flat)" -eq 3 ]

lvsadm -Ln -j -u 192.0.2.2:53 | flat >s.flat
eq "json: one service" s.flat services.0.address 192.0.2.2
check "json: one service only" [ -z "$(get s.flat services.1.address)" ]
lvsadm -L -j -t 192.0.2.99:80 >/dev/null 2>e.txt; rc=$?
check "json: missing service exits 1" [ $rc -eq 1 ]
lvsadm -L -j --timeout | flat >s.flat
eq "json: --timeout tcp" s.flat timeouts.tcp 901
eq "json: --timeout tcp_fin" s.flat timeouts.tcp_fin 121
eq "json: --timeout udp" s.flat timeouts.udp 301
lvsadm -L -j --daemon | flat >s.flat
eq "json: --daemon state" s.flat daemons.0.state master
eq "json: --daemon interface" s.flat daemons.0.mcast_interface dummy0
eq "json: --daemon syncid" s.flat daemons.0.syncid 5
lvsadm -Lnc -j | flat >c.flat
nconn=$(ipvsadm -Lnc | awk 'NR > 2' | wc -l)
ncj=$(grep -c '^connections\.[0-9]*\.state=' c.flat)
check "json: -c entries ($nconn) = ipvsadm -Lnc" [ "$nconn" -eq "$ncj" ]
if [ "$nconn" -gt 0 ]; then
    row=$(ipvsadm -Lnc | awk 'NR == 3 { print $3, $5, $6 }')
    jrow="$(get c.flat connections.0.state) $(get c.flat connections.0.virtual_address):$(get c.flat connections.0.virtual_port) $(get c.flat connections.0.dest_address):$(get c.flat connections.0.dest_port)"
    check "json: -c first entry ($row)" [ "$row" = "$jrow" ]
fi
ipvsadm --stop-daemon master

# ------------------------------------------------------------------ check
cat >good.rules <<'R'
# desired state, ipvsadm-save format
-A -t 192.0.2.1:80 -s rr

-a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 1
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -g -w 1
-A -t 192.0.2.2:443 -s wlc -p 300
-a -t 192.0.2.2:443 -r 198.51.100.3:443 -m -w 2
-a -t 192.0.2.2:443 -r 198.51.100.4:8443 -m -w 1
-A -u 192.0.2.3:53 -s rr
-a -u 192.0.2.3:53 -r 198.51.100.5:53 -m -w 1
R
cat >bad.rules <<'R'
-A -t 192.0.2.1:80 -s rr
-A -t 192.0.2.1:80 -s wlc
-a -t 192.0.2.9:80 -r 198.51.100.1
# a comment
-a -t 192.0.2.1:80 -r 198.51.100.1 --bogus
-E -t 192.0.2.1:80 -s rr
R
lvsadm --check good.rules >o.txt 2>&1; rc=$?
check "check: clean file exits 0" [ $rc -eq 0 ]
check "check: clean file summary" grep -q '^good.rules: OK, 3 services, 5 destinations$' o.txt
lvsadm --check bad.rules >o.txt 2>&1; rc=$?
check "check: bad file exits 1" [ $rc -eq 1 ]
for l in 2 3 5 6; do
    check "check: reports line $l" grep -q "^bad.rules:$l: " o.txt
done
check "check: 4 problems" grep -q '^bad.rules: 4 problems$' o.txt

# ------------------------------------------------------------------ apply
grep -v '^#' good.rules | grep -v '^$' >good.canon
ipvsadm -C
lvsadm --apply good.rules >o.txt 2>&1; rc=$?
check "apply: from empty exits 0" [ $rc -eq 0 ]
check "apply: from empty 8 changes" grep -q '^8 changes$' o.txt
ipvsadm -Sn >k.txt
same "apply: from empty = file" good.canon k.txt
lvsadm --apply good.rules >o.txt 2>&1; rc=$?
check "apply: twice, second run 0 changes" [ $rc -eq 0 ] && check "apply: second output" grep -qx '0 changes' o.txt
ipvsadm -Sn >k2.txt
same "apply: second run leaves table" k.txt k2.txt
# from a different table
ipvsadm -C
ipvsadm -A -t 192.0.2.1:80 -s wlc
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 5
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.9:80 -g -w 1
ipvsadm -A -t 192.0.2.2:443 -s wlc -p 300
ipvsadm -a -t 192.0.2.2:443 -r 198.51.100.3:443 -m -w 2
ipvsadm -A -t 192.0.2.50:80 -s rr
ipvsadm -a -t 192.0.2.50:80 -r 198.51.100.50:80 -g -w 1
ipvsadm -Sn >before.txt
lvsadm --apply good.rules --dry-run >plan.txt 2>o.txt; rc=$?
ipvsadm -Sn >after.txt
check "dry-run: exits 0" [ $rc -eq 0 ]
same "dry-run: table untouched" before.txt after.txt
check "dry-run: summary on stderr" grep -q '^8 changes (dry run, nothing changed)$' o.txt
ipvsadm -R <plan.txt; rc=$?
ipvsadm -Sn >k.txt
check "dry-run: plan accepted by ipvsadm -R" [ $rc -eq 0 ]
same "dry-run: plan through ipvsadm -R gives the file" good.canon k.txt
ipvsadm -C
ipvsadm -R <before.txt
lvsadm --apply good.rules --verbose >o.txt 2>&1; rc=$?
ipvsadm -Sn >k.txt
check "apply: from different table exits 0" [ $rc -eq 0 ]
same "apply: from different table = file" good.canon k.txt
same "apply: --verbose lines = dry-run plan" plan.txt "$(grep -v -e changes -e added -e '^services' -e '^destinations' o.txt >v.txt; echo v.txt)"
check "apply: ordering (adds before deletes)" awk '/^-d|^-D/ { del = 1 } /^-a|^-A|^-e|^-E/ && del { exit 1 }' plan.txt
lvsadm --apply good.rules | grep -qx '0 changes'
check "apply: then 0 changes" [ $? -eq 0 ]
# thresholds from the file are applied
printf -- '-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1 -g -x 100 -y 10\n' >thr.rules
lvsadm --apply thr.rules >/dev/null
check "apply: thresholds applied" sh -c "ipvsadm -Ln --thresholds | grep -q '198.51.100.1:80 *100 *10 '"
lvsadm --apply thr.rules | grep -qx '0 changes'
check "apply: thresholds idempotent" [ $? -eq 0 ]
# a bad file is refused, nothing changes
ipvsadm -Sn >before.txt
lvsadm --apply bad.rules >o.txt 2>&1; rc=$?
ipvsadm -Sn >after.txt
check "apply: bad file exits 1" [ $rc -eq 1 ]
check "apply: bad file lists every line" [ "$(grep -c '^bad.rules:[2356]: ' o.txt)" -eq 4 ]
same "apply: bad file leaves table" before.txt after.txt
# stdin
ipvsadm -C
lvsadm --apply - <good.rules >/dev/null
ipvsadm -Sn >k.txt
same "apply: from stdin" good.canon k.txt

# ------------------------------------------------------------------ netns
ipvsadm -C
ipvsadm -A -t 192.0.2.200:80 -s rr
ipvsadm -Sn >init.txt
ip netns add t1 && ip netns add t2
ip netns exec t1 ip link set lo up
ip netns exec t2 ip link set lo up
check "netns: created" [ -e /run/netns/t1 ]
lvsadm --netns t1 -A -t 192.0.2.1:80 -s rr; rc=$?
check "netns: add in t1 exits 0" [ $rc -eq 0 ]
check "netns: t1 has it" sh -c "ip netns exec t1 /sbin/ipvsadm -Sn | grep -qx -- '-A -t 192.0.2.1:80 -s rr'"
check "netns: t2 empty" [ -z "$(ip netns exec t2 /sbin/ipvsadm -Sn)" ]
ipvsadm -Sn >k.txt
same "netns: initial namespace untouched" init.txt k.txt
lvsadm -Ln --netns=/run/netns/t1 -j | flat >n.flat
eq "netns: path form, -j listing" n.flat services.0.address 192.0.2.1
lvsadm --netns t2 --apply good.rules >/dev/null
ip netns exec t2 /sbin/ipvsadm -Sn >k.txt
same "netns: --apply in t2" good.canon k.txt
check "netns: t1 still one service" [ "$(ip netns exec t1 /sbin/ipvsadm -Sn | wc -l)" -eq 1 ]
lvsadm --netns nosuch -Ln >/dev/null 2>o.txt; rc=$?
check "netns: unknown namespace exits 2" [ $rc -eq 2 ]
ip netns del t1; ip netns del t2

# ------------------------------------------------------------------ scale
# 10000 services x 4 destinations; the target differs in ~1%:
# 100 dest weights, 10 schedulers, 10 services replaced by 10 new (4 dests each)
gen() { # VARIANT
    awk -v v="$1" 'BEGIN {
        for (i = 0; i < 10000; i++) {
            a = "192.0.2." (i % 200 + 1); p = 10000 + i; s = "rr"
            if (v == "target" && i % 1000 == 2) { a = "203.0.113." int(i / 1000 + 1) }
            if (v == "target" && i % 1000 == 1) s = "wrr"
            print "-A -t " a ":" p " -s " s
            for (d = 1; d <= 4; d++) {
                w = 1
                if (v == "target" && i % 100 == 0 && d == 4) w = 2
                print "-a -t " a ":" p " -r 198.51.100." d ":" p " -m -w " w
            }
        }
    }'
}
gen base >base.rules
gen target >target.rules
ipvsadm -C
lvsadm -R <base.rules
t0=$(now)
lvsadm --apply target.rules >o.txt 2>&1; rc=$?
t1=$(now)
check "scale: apply exits 0" [ $rc -eq 0 ]
nch=$(tail -n1 o.txt)
check "scale: only the difference is sent (170 changes, got '$nch')" [ "$nch" = "170 changes" ]
ipvsadm -Sn | sort >k.txt
ta=$(now)
lvsadm -Sn >/dev/null
tb=$(now)
lvsadm --check target.rules >/dev/null
tc=$(now)
t2=$(now)
lvsadm --apply target.rules >o.txt 2>&1
t3=$(now)
check "scale: second apply 0 changes" grep -qx '0 changes' o.txt
ipvsadm -C
lvsadm -R <base.rules
t4=$(now)
lvsadm -C
t45=$(now)
lvsadm -R <target.rules
t5=$(now)
ipvsadm -Sn | sort >k2.txt
same "scale: apply result = flush+restore result" k.txt k2.txt
if [ "${FEATURES_REF_TIMING:-0}" = 1 ]; then
    ipvsadm -C
    ipvsadm -R <base.rules
    t6=$(now)
    ipvsadm -C
    ipvsadm -R <target.rules
    t7=$(now)
fi
echo "# timing (guest seconds, 10000 services x 4 dests, 170 changes):"
echo "#   lvsadm --apply (diff)          $(echo "$t1 $t0" | awk '{ printf "%.2f", $1 - $2 }')"
echo "#   lvsadm --apply (no change)     $(echo "$t3 $t2" | awk '{ printf "%.2f", $1 - $2 }')"
echo "#   lvsadm -Sn (dump only)         $(echo "$tb $ta" | awk '{ printf "%.2f", $1 - $2 }')"
echo "#   lvsadm --check (parse only)    $(echo "$tc $tb" | awk '{ printf "%.2f", $1 - $2 }')"
echo "#   lvsadm -C alone                $(echo "$t45 $t4" | awk '{ printf "%.2f", $1 - $2 }')"
echo "#   lvsadm -C + lvsadm -R          $(echo "$t5 $t4" | awk '{ printf "%.2f", $1 - $2 }')"
if [ "${FEATURES_REF_TIMING:-0}" = 1 ]; then
    echo "#   ipvsadm -C + ipvsadm -R        $(echo "$t7 $t6" | awk '{ printf "%.2f", $1 - $2 }')"
fi
ipvsadm -C

echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ]
