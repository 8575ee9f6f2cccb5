#!/bin/sh
# lvsadm's extensions on a real kernel (run in the IPVS guest by
# tests/kernel/features): -j/--json, --check, --apply [--dry-run], --netns,
# and the 10000x4 apply measurement. Prints one `ok - NAME` or `FAIL - NAME`
# line per check and a last line `N passed, M failed`.
# Only documentation addresses are used.
. /job/tap.sh
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
eq "json: sched_flags" j.flat services.2.sched_flags.0 sh-port
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
lvsadm --check bad.rules -j >o.txt 2>e.txt; rc=$?
check "check -j: exit 1, nothing on stderr ($rc)" sh -c "[ $rc -eq 1 ] && [ ! -s e.txt ]"
grep -o '"line":[0-9]*' o.txt | tr '\n' ' ' >lines.txt
check "check -j: one JSON line, the 4 problems' lines ($(cat o.txt))" \
    sh -c "[ \$(wc -l <o.txt) -eq 1 ] && grep -q '^{\"destinations\":0,\"file\":\"bad.rules\",\"ok\":false,\"problems\":' o.txt &&
           [ \"\$(cat lines.txt)\" = '\"line\":2 \"line\":3 \"line\":5 \"line\":6 ' ]"
lvsadm -j --check good.rules >o.txt 2>&1; rc=$?
check "check -j: a clean file ($(cat o.txt))" \
    sh -c "[ $rc -eq 0 ] && grep -qx '{\"destinations\":5,\"file\":\"good.rules\",\"ok\":true,\"problems\":\[\],\"services\":3,\"warnings\":\[\]}' o.txt"

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
same "apply: --verbose lines = dry-run plan" plan.txt "$(grep -v -e changes -e added -e '^services' -e '^destinations' -e '^deleted service ' o.txt >v.txt; echo v.txt)"
check "apply: ordering (adds before deletes)" awk '/^-d|^-D/ { del = 1 } /^-a|^-A|^-e|^-E/ && del { exit 1 }' plan.txt
lvsadm --apply good.rules | grep -qx '0 changes'
check "apply: then 0 changes" [ $? -eq 0 ]
# thresholds from the file are applied
printf -- '-A -t 192.0.2.1:80 -s rr\n-a -t 192.0.2.1:80 -r 198.51.100.1 -g -x 100 -y 10\n' >thr.rules
lvsadm --apply thr.rules --force >/dev/null
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

# ================================================================== issue 15
# Safety of --apply: empty rule sets, --scope, the deletion guard, kept
# thresholds, kernel scheduler names, the summary of what was done, scheduler
# flag names, rule-file words.
ipvsadm -C
ipvsadm -R <good.canon
ipvsadm -Sn >before.txt
: >empty.rules
lvsadm --apply empty.rules >o.txt 2>e.txt; rc=$?
ipvsadm -Sn >after.txt
check "i15 empty: --apply of an empty file exits 1" [ $rc -eq 1 ]
check "i15 empty: says why and how" grep -q 'empty.rules: no services: refusing to apply an empty rule set.*--allow-empty' e.txt
same "i15 empty: table untouched" before.txt after.txt
printf '# only comments\n\n' >comments.rules
lvsadm --apply comments.rules --dry-run >o.txt 2>e.txt; rc=$?
check "i15 empty: comments only, also with --dry-run, exits 1" [ $rc -eq 1 ]
lvsadm --apply - </dev/null >o.txt 2>e.txt; rc=$?
ipvsadm -Sn >after.txt
check "i15 empty: --apply - from /dev/null exits 1" [ $rc -eq 1 ]
check "i15 empty: names standard input" grep -q 'standard input: no services' e.txt
same "i15 empty: stdin, table untouched" before.txt after.txt
lvsadm --check empty.rules >o.txt 2>e.txt; rc=$?
check "i15 empty: --check exits 0" [ $rc -eq 0 ]
check "i15 empty: --check summary" grep -qx 'empty.rules: OK, 0 services, 0 destinations' o.txt
check "i15 empty: --check warns" grep -q '^empty.rules: warning: no services: --apply refuses' e.txt
# --allow-empty alone still meets the guard (3 of 3 services); with --force it empties
lvsadm --apply empty.rules --allow-empty >o.txt 2>e.txt; rc=$?
ipvsadm -Sn >after.txt
check "i15 empty: --allow-empty alone is stopped by the guard" [ $rc -eq 1 ]
same "i15 empty: guard, table untouched" before.txt after.txt
lvsadm --apply empty.rules --allow-empty --force >o.txt 2>e.txt; rc=$?
check "i15 empty: --allow-empty --force exits 0" [ $rc -eq 0 ]
check "i15 empty: table now empty" [ -z "$(ipvsadm -Sn)" ]
check "i15 empty: summary lists the deletions" [ "$(grep -c '^deleted service ' o.txt)" -eq 3 ]
check "i15 empty: summary 3 changes" grep -qx '3 changes' o.txt

# scope: services of another owner are left alone
ipvsadm -C
ipvsadm -R <good.canon
ipvsadm -A -t 192.0.2.9:80 -s rr            # keepalived's
ipvsadm -a -t 192.0.2.9:80 -r 198.51.100.9:80 -g -w 1
ipvsadm -A -f 5 -s rr                       # by hand
ipvsadm -A -u 192.0.2.1:53 -s rr            # same VIP, other service
printf -- '-A -t 192.0.2.1:80 -s wrr\n-a -t 192.0.2.1:80 -r 198.51.100.7:80 -g -w 4\n' >web.rules
ipvsadm -Sn >before.txt
lvsadm --apply web.rules --scope tcp:192.0.2.1:80 >o.txt 2>e.txt; rc=$?
ipvsadm -Sn >after.txt
check "i15 scope: tcp:VIP:PORT apply exits 0" [ $rc -eq 0 ]
grep -v '192.0.2.1:80 ' before.txt >b.txt; grep -v '192.0.2.1:80 ' after.txt >a.txt
same "i15 scope: services outside the scope untouched" b.txt a.txt
check "i15 scope: the service in scope is the file's" sh -c "grep -- '192.0.2.1:80 ' after.txt | tr '\n' '|' | grep -qx -- '-A -t 192.0.2.1:80 -s wrr|-a -t 192.0.2.1:80 -r 198.51.100.7:80 -g -w 4|'"
# address scope: the UDP service on the same VIP is in scope and goes
lvsadm --apply web.rules --scope 192.0.2.1 --dry-run >plan.txt 2>e.txt; rc=$?
check "i15 scope: ADDR scope plans the VIP's other service's deletion" grep -qx -- '-D -u 192.0.2.1:53' plan.txt
check "i15 scope: dry-run names it" grep -qx 'would delete service -u 192.0.2.1:53 (0 destinations)' e.txt
check "i15 scope: nothing else deleted" [ "$(grep -c '^-D' plan.txt)" -eq 1 ]
# without a scope everything else would go: the guard stops it
lvsadm --apply web.rules >o.txt 2>e.txt; rc=$?
ipvsadm -Sn >a2.txt
check "i15 guard: deleting 5 of 6 services exits 1" [ $rc -eq 1 ]
check "i15 guard: says how many and how to allow it" grep -q 'refusing to delete 5 of 6 live services (84%, more than the 50% allowed): give --force, or --max-delete 84' e.txt
check "i15 guard: lists what would go" [ "$(grep -c '^would delete service ' e.txt)" -eq 5 ]
check "i15 guard: says refused, nothing changed (not a dry run) ($(grep changes e.txt))" \
    sh -c "grep -qE '^[0-9]+ changes planned \(refused, nothing changed\)\$' e.txt && ! grep -q 'dry run' e.txt"
same "i15 guard: table untouched" after.txt a2.txt
lvsadm --apply web.rules --max-delete 80 >o.txt 2>e.txt; rc=$?
check "i15 guard: --max-delete 80 still refuses 84%" [ $rc -eq 1 ]
# a file service outside the scope is refused
lvsadm --apply good.rules --scope 192.0.2.1 >o.txt 2>e.txt; rc=$?
ipvsadm -Sn >a3.txt
check "i15 scope: file service outside the scope exits 1" [ $rc -eq 1 ]
check "i15 scope: names its lines" sh -c "grep -qx 'good.rules:6: service -t 192.0.2.2:443 is outside every --scope' e.txt && grep -qx 'good.rules:9: service -u 192.0.2.3:53 is outside every --scope' e.txt"
same "i15 scope: outside, table untouched" after.txt a3.txt
lvsadm --apply web.rules --scope 192.0.2.300 >o.txt 2>e.txt; rc=$?
check "i15 scope: bad scope exits 2" [ $rc -eq 2 ]
check "i15 scope: bad scope message" grep -q 'invalid --scope 192.0.2.300' e.txt
# fwmark scope, repeatable
printf -- '-A -f 5 -s wlc\n-a -f 5 -r 198.51.100.5:0 -g -w 1\n-A -t 192.0.2.9:80 -s rr\n' >mark.rules
lvsadm --apply mark.rules --scope fwmark:5 --scope 192.0.2.9 >o.txt 2>e.txt; rc=$?
ipvsadm -Sn >a4.txt
check "i15 scope: fwmark:N + ADDR exits 0" [ $rc -eq 0 ]
check "i15 scope: fwmark service changed" grep -qx -- '-a -f 5 -r 198.51.100.5:0 -g -w 1' a4.txt
check "i15 scope: 192.0.2.9's destination removed" sh -c "! grep -q '198.51.100.9' a4.txt"
check "i15 scope: others kept" [ "$(grep -c '^-A' a4.txt)" -eq 6 ]
lvsadm --apply web.rules --force >o.txt 2>e.txt; rc=$?
check "i15 guard: --force deletes 5 of 6" [ $rc -eq 0 ] && check "i15 guard: one service left" [ "$(ipvsadm -Sn | grep -c '^-A')" -eq 1 ]

# thresholds: save -> apply is 0 changes and keeps them
ipvsadm -C
ipvsadm -A -t 192.0.2.1:80 -s rr
ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 3 -x 500 -y 100
ipvsadm -A -t 192.0.2.2:80 -s mh -b mh-port
ipvsadm -a -t 192.0.2.2:80 -r 198.51.100.2:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
ipvsadm -A -t 192.0.2.3:80 -s sh -b sh-fallback,sh-port -p 60 -M 255.255.255.0
ipvsadm -A -f 9 -6 -s wlc -p 30 -M 64
ipvsadm -a -f 9 -6 -r [2001:db8::9]:0 -m -w 2 -x 7
ipvsadm -A -u 192.0.2.4:5060 -s rr -p 60 --pe sip -o
lvsadm -Sn >saved.rules
ipvsadm -Ln --thresholds >thr.before
lvsadm --apply saved.rules --dry-run >plan.txt 2>e.txt; rc=$?
check "i15 thresholds: save -> apply --dry-run exits 0" [ $rc -eq 0 ]
check "i15 thresholds: save -> apply plans 0 changes" grep -qx '0 changes (dry run, nothing changed)' e.txt
check "i15 thresholds: empty plan" [ ! -s plan.txt ]
lvsadm --apply saved.rules >o.txt 2>&1; rc=$?
ipvsadm -Ln --thresholds >thr.after
check "i15 thresholds: save -> apply is 0 changes" grep -qx '0 changes' o.txt
same "i15 thresholds: thresholds kept" thr.before thr.after
sed 's/198.51.100.1:80 -g -w 3/198.51.100.1:80 -g -w 5/' saved.rules >w5.rules
lvsadm --apply w5.rules --dry-run >plan.txt 2>e.txt
check "i15 thresholds: the plan line shows what it sets" grep -qx -- '-e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 5 -x 500 -y 100' plan.txt
lvsadm --apply w5.rules >o.txt 2>&1
check "i15 thresholds: weight edit keeps them" sh -c "ipvsadm -Ln --thresholds | grep -q '198.51.100.1:80 *500 *100 '"
sed 's/198.51.100.1:80 -g -w 5/198.51.100.1:80 -g -w 5 -x 800/' w5.rules >x8.rules
lvsadm --apply x8.rules --dry-run >plan.txt 2>e.txt
check "i15 thresholds: -x given, -y kept: both show in the plan" grep -qx -- '-e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 5 -x 800 -y 100' plan.txt
lvsadm --apply x8.rules >o.txt 2>&1
check "i15 thresholds: -x 800 applied, -y kept" sh -c "ipvsadm -Ln --thresholds | grep -q '198.51.100.1:80 *800 *100 '"
sed 's/198.51.100.1:80 -g -w 5/198.51.100.1:80 -g -w 5 -x 0 -y 0/' w5.rules >x0.rules
lvsadm --apply x0.rules --dry-run >plan.txt 2>e.txt
check "i15 thresholds: -x 0 -y 0 show in the plan" grep -qx -- '-e -t 192.0.2.1:80 -r 198.51.100.1:80 -g -w 5 -x 0 -y 0' plan.txt
lvsadm --apply x0.rules >o.txt 2>&1
check "i15 thresholds: -x 0 -y 0 applied" sh -c "ipvsadm -Ln --thresholds | grep -q '198.51.100.1:80 *0 *0 '"

# scheduler flags by name in --dry-run, --verbose and JSON
ipvsadm -C
printf -- '-A -t 192.0.2.1:80 -s sh -b sh-fallback,sh-port\n-A -t 192.0.2.2:80 -s mh -b mh-port\n' >fl.rules
lvsadm --apply fl.rules --dry-run >plan.txt 2>/dev/null
check "i15 flags: --dry-run names sh flags" grep -qx -- '-A -t 192.0.2.1:80 -s sh -b sh-fallback,sh-port' plan.txt
check "i15 flags: --dry-run names mh flags" grep -qx -- '-A -t 192.0.2.2:80 -s mh -b mh-port' plan.txt
lvsadm --apply fl.rules --verbose >o.txt 2>&1
check "i15 flags: --verbose names them" grep -qx -- '-A -t 192.0.2.1:80 -s sh -b sh-fallback,sh-port' o.txt
lvsadm -Ln -j | flat >fl.flat
eq "i15 flags: JSON sh" fl.flat services.0.sched_flags.0 sh-fallback
eq "i15 flags: JSON sh port" fl.flat services.0.sched_flags.1 sh-port
eq "i15 flags: JSON mh" fl.flat services.1.sched_flags.0 mh-port
check "i15 flags: plan = -Sn" sh -c "lvsadm -Sn | cmp -s - plan.txt"

# kernel scheduler and persistence-engine names
ipvsadm -C
printf -- '-A -t 192.0.2.1:80 -s wrrr\n-a -t 192.0.2.1:80 -r 198.51.100.1\n-A -u 192.0.2.1:5060 -s rr -p --pe nosuch\n' >names.rules
lvsadm --check names.rules >o.txt 2>e.txt; rc=$?
check "i15 names: --check rejects -s wrrr and --pe nosuch" [ $rc -eq 1 ]
check "i15 names: ipvsadm's wording, scheduler" grep -q '^names.rules:1: Scheduler or persistence engine not found: no scheduler wrrr' e.txt
check "i15 names: ipvsadm's wording, engine" grep -q '^names.rules:3: Scheduler or persistence engine not found: no persistence engine nosuch' e.txt
check "i15 names: no 'not defined' for the -a line of a refused -A" sh -c "! grep -q 'not defined' e.txt"
check "i15 names: 2 problems" grep -qx 'names.rules: 2 problems' e.txt
lvsadm --apply names.rules >o.txt 2>e.txt; rc=$?
check "i15 names: --apply refuses it, nothing changed" [ $rc -eq 1 ] && check "i15 names: table still empty" [ -z "$(ipvsadm -Sn)" ]
# a kernel refusal midway: reported as a command line with the kernel's
# words, what was made is undone (atomic apply), the table is as before
if ipvsadm -A -t 203.0.113.99:1 -s twos 2>/dev/null; then
    ipvsadm -D -t 203.0.113.99:1
    echo "# i15: this kernel has twos: the refused-change check is skipped"
else
    printf -- '-A -t 192.0.2.1:80 -s twos\n-a -t 192.0.2.1:80 -r 198.51.100.1\n-A -t 192.0.2.2:80 -s rr\n-a -t 192.0.2.2:80 -r 198.51.100.2\n' >twos.rules
    lvsadm --apply twos.rules >o.txt 2>e.txt; rc=$?
    check "i15 done: kernel refusal exits 1" [ $rc -eq 1 ]
    check "i15 done: no summary of changes kept" [ ! -s o.txt ]
    check "i15 done: the refused change as a command line" grep -q '^-A -t 192.0.2.1:80 -s twos: Scheduler or persistence engine not found' e.txt
    check "i15 done: 2 of 4 refused, the 2 made undone" grep -q 'the kernel refused 2 of 4 planned changes: undoing the 2 changes made' e.txt
    check "i15 done: rolled back" grep -q 'rolled back: the table is as it was' e.txt
    check "i15 done: the table as before (empty)" [ -z "$(ipvsadm -Sn)" ]
fi

# rule-file words
ipvsadm -C
printf -- 'lvsadm -A -t 192.0.2.1:80 -s rr  # web\n-a -t 192.0.2.1:80 -r 198.51.100.1 -g -w 2 # first\nipvsadm -A -t 192.0.2.2:80 -s rr\n' >words.rules
lvsadm --check words.rules >o.txt 2>e.txt; rc=$?
check "i15 words: leading lvsadm and trailing comments accepted" [ $rc -eq 0 ]
check "i15 words: 'OK, 2 services, 1 destination'" grep -qx 'words.rules: OK, 2 services, 1 destination' o.txt
head -n 2 words.rules >one.rules
lvsadm --check one.rules >o.txt 2>&1
check "i15 words: 'OK, 1 service, 1 destination'" grep -qx 'one.rules: OK, 1 service, 1 destination' o.txt
printf -- '-A -t 192.0.2.1:80 -s rr --bogus\n-a -t 192.0.2.1:80 -r 198.51.100.1\n' >bogus.rules
lvsadm --check bogus.rules >o.txt 2>e.txt
check "i15 words: a broken -A line is one problem" grep -qx 'bogus.rules: 1 problem' e.txt
ipvsadm -C

tap_done
