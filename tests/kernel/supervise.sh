#!/bin/sh
# lvsadm --supervise with real traffic, run in the IPVS test guest by
# tests/kernel/supervise: HTTP checks that fail and recover (quiesce and
# remove), manual changes undone, the maintenance switch, reloads (a
# broken one, one that removes and adds a real server under a long-lived
# connection, one the kernel refuses), kill -9 and restart without a flap
# (and a control that does change), an operator's drain held and released (with a control),
# -L --health-status, the agent, exec, https and dns checks (each with a
# control that fails), the published state, the
# metrics, SIGTERM.
#
# Topology (direct routing, as tests/kernel/ops.sh): client cl1 .100,
# director dir .2 with the VIP .1, real servers rs1..rs3 .11..13 with the
# VIP on lo. Each real server runs a busybox nc server on port 80 that
# greets with its name and echoes lines (a line "once" closes), and a
# busybox httpd on port 8080 whose /ok the checks fetch: removing the
# file makes the check fail (404).
#
# Output: `ok - ...` / `FAIL - ...` per check, `# ...` information,
# `@@FILE NAME` ... `@@ENDFILE` blocks (metrics text the host checks with
# promtool), and last `N passed, M failed`.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

. /job/tap.sh
. /job/topology.sh
nowms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }
emit() { # NAME FILE: a file for the host
    echo "@@FILE $1"; cat "$2"; echo "@@ENDFILE"
}

W=/tmp/sv
rm -rf "$W"; mkdir -p "$W/state"
V=192.0.2.1
lv() { nsx dir lvsadm "$@"; }

# ------------------------------------------------------------------ setup
modprobe bridge || bad "modprobe bridge"
setup() {
    dr_lan "$W" "$V" || return 1
    for r in rs1 rs2 rs3; do
        mkdir -p "$W/www-$r"
        echo ok >"$W/www-$r/ok"
        nsx $r busybox httpd -p 8080 -h "$W/www-$r" || return 1
    done
    sleep 1
}
check "topology: namespaces, bridge, nc servers, httpd on 8080" setup || { tap_done; exit 1; }

ipof() { case $1 in rs1) echo 192.0.2.11 ;; rs2) echo 192.0.2.12 ;; rs3) echo 192.0.2.13 ;; esac; }
row() { lv -Ln -t "$V:80" 2>/dev/null | awk -v r="$1:80" '$1 == "->" && $2 == r'; }
weight() { row "$1" | awk '{ print $4 }'; }
# weights: "rs1=W rs2=W rs3=W" (- for absent)
weights() {
    for r in rs1 rs2 rs3; do w=$(weight "$(ipof $r)"); printf '%s=%s ' $r "${w:--}"; done
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
open_long() {
    : >"$W/$1.in"; : >"$W/$1.out"; rm -f "$W/$1.pid"
    nsx cl1 sh -c "tail -f $W/$1.in | nc $V 80 >$W/$1.out & echo \$! >$W/$1.pid; wait" >/dev/null 2>&1 &
    _i=0
    while [ ! -s "$W/$1.out" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    head -n 1 "$W/$1.out" >"$W/$1.srv"
}
say() {
    echo "$2" >>"$W/$1.in"
    _i=0
    while ! grep -q " $2\$" "$W/$1.out" && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
    grep " $2\$" "$W/$1.out" | head -n 1
}
close_long() {
    kill "$(cat "$W/$1.pid")" 2>/dev/null
}
# until SECS COMMAND...: poll COMMAND every 0.1 s for at most SECS seconds;
# the milliseconds it took in $MS; status 1 if it never succeeded
until_ok() {
    _s=$1; shift
    _t0=$(nowms)
    while :; do
        if "$@"; then MS=$(($(nowms) - _t0)); return 0; fi
        [ $(($(nowms) - _t0)) -ge $((_s * 1000)) ] && { MS=$(($(nowms) - _t0)); return 1; }
        sleep 0.1
    done
}
is_weight() { [ "$(weight "$(ipof "$1")")" = "$2" ]; }
absent() { [ -z "$(row "$(ipof "$1")")" ]; }

F=$W/director.rules
cat >"$F" <<EOF
# the director: three web servers checked over HTTP on port 8080
-A -t $V:80 -s rr --health http:/ok --health-port 8080 --interval 1 --health-timeout 1 --rise 2 --fall 2
-a -t $V:80 -r 192.0.2.11:80 -g -w 1
-a -t $V:80 -r 192.0.2.12:80 -g -w 1
-a -t $V:80 -r 192.0.2.13:80 -g -w 1 --on-failure remove
EOF
SUP=
start_sup() { # LOG
    lvsadm --netns dir --supervise "$F" --state-dir "$W/state" --listen 127.0.0.1:9100 2>"$1" &
    SUP=$!
}
stop_sup() { kill -TERM "$SUP" 2>/dev/null; wait "$SUP" 2>/dev/null; }

lv --set 0 2 0
nsx dir sysctl -q -w net.ipv4.vs.expire_nodest_conn=1
out=$(lv --check "$F" 2>&1)
check "--check: the health options are valid ($out)" [ "$out" = "$F: OK, 1 service, 3 destinations, 3 health-checked" ]
lv --apply "$F" >/dev/null 2>"$W/apply.err"
check "--apply of the same file sets the table as written and notes the health options ($(weights); $(cat "$W/apply.err"))" \
    sh -c "[ '$(weights)' = 'rs1=1 rs2=1 rs3=1 ' ] && grep -q 'health options are used by --supervise only' '$W/apply.err'"

# ================================================================== start on a healthy table
start_sup "$W/sup1.log"
sleep 4
check "start on a healthy table: nothing changed ($(weights))" [ "$(weights)" = "rs1=1 rs2=1 rs3=1 " ]
check "start: the supervisor runs and says what it supervises ($(head -n 1 "$W/sup1.log"))" \
    sh -c "kill -0 $SUP && grep -q 'supervising $F: 1 service, 3 real servers, 3 checked' '$W/sup1.log'"
check "start: no table change logged (no flap)" sh -c "! grep -q 'table:' '$W/sup1.log'"

# ================================================================== an HTTP check fails
rm "$W/www-rs1/ok"
until_ok 10 is_weight rs1 0
check "http 404 on rs1: quiesced (weight 0) after $MS ms (fall 2 x interval 1 s + timeout 1 s = 3 s; want <= 6000 on TCG)" \
    [ "$MS" -le 6000 ]
check "rs1 down: one log line with the reason ($(grep 'down:' "$W/sup1.log" | head -n 1))" \
    grep -q -- "-t $V:80 -r 192.0.2.11:80: down: http status 404, 2/2 failures" "$W/sup1.log"
short 9 "$W/s1"
check "rs1 down: new connections all answered, none by rs1 ($(sort "$W/s1" | uniq -c | tr '\n' ' '))" \
    sh -c "! grep -q -e NONE -e '^rs1\$' '$W/s1' && [ \$(wc -l <'$W/s1') = 9 ]"
echo ok >"$W/www-rs1/ok"
until_ok 10 is_weight rs1 1
check "rs1 recovers: weight 1 again after $MS ms (rise 2 x 1 s; want <= 5000)" [ "$MS" -le 5000 ]
check "rs1 up: logged ($(grep 'up:' "$W/sup1.log" | head -n 1))" \
    grep -q -- "-r 192.0.2.11:80: up: http status 200, 2/2 successes" "$W/sup1.log"
short 9 "$W/s2"
check "rs1 up: it gets connections again ($(sort "$W/s2" | uniq -c | tr '\n' ' '))" grep -q '^rs1$' "$W/s2"

# ================================================================== --on-failure remove
rm "$W/www-rs3/ok"
until_ok 10 absent rs3
check "remove: rs3 deleted from the service after $MS ms ($(weights))" [ "$MS" -le 6000 ]
echo ok >"$W/www-rs3/ok"
until_ok 10 is_weight rs3 1
check "remove: rs3 added again after it recovers ($MS ms; $(weights))" is_weight rs3 1

# ================================================================== manual change undone
lv -d -t $V:80 -r 192.0.2.12
until_ok 5 is_weight rs2 1
check "a manual -d of rs2 is undone after $MS ms (want <= 3000)" [ "$MS" -le 3000 ]
check "the undo is logged" grep -q -- "table: -a -t $V:80 -r 192.0.2.12:80 -g -w 1" "$W/sup1.log"
lv -e -t $V:80 -r 192.0.2.11 -w 7
until_ok 5 is_weight rs1 1
check "a manual -e -w 7 of rs1 is undone after $MS ms" is_weight rs1 1

# ================================================================== maintenance switch
mkdir -p "$W/state/maintenance"
touch "$W/state/maintenance/192.0.2.12"
until_ok 5 is_weight rs2 0
check "maintenance file for rs2: weight 0 after $MS ms" is_weight rs2 0
sleep 3
check "maintenance: rs2 stays at 0 although its check passes ($(weights))" is_weight rs2 0
rm "$W/state/maintenance/192.0.2.12"
until_ok 5 is_weight rs2 1
check "maintenance released: rs2 back at 1 after $MS ms" is_weight rs2 1

# ================================================================== an operator's drain is held
# control: a drain whose state directory no supervisor publishes records
# no hold, and the supervisor puts the real server back
n0=$(grep -c "table: .* -r 192.0.2.12:80 " "$W/sup1.log")
lv -d --drain=5 --state-dir "$W/nostate" -t $V:80 -r 192.0.2.12:80 >"$W/drain0.out" 2>"$W/drain0.err"
until_ok 5 is_weight rs2 1
n1=$(grep -c "table: .* -r 192.0.2.12:80 " "$W/sup1.log")
check "control: -d --drain without the supervisor's hold is undone ($MS ms; $(weights); $n0 -> $n1 undo lines)" \
    sh -c "[ ! -e '$W/nostate/hold' ] && [ '$(weights)' = 'rs1=1 rs2=1 rs3=1 ' ] && [ $n1 -gt $n0 ]"
open_long L0
D=$(cat "$W/L0.srv")
DIP=$(ipof "$D")
# the drain's limit is well beyond the checks below: it must end because
# the long connection closed (tcpfin 2 s), never by its limit, which would
# delete the real server under the connection (expire_nodest_conn) while
# the short connections are still being made on a slow guest
lv -d --drain=60 --state-dir "$W/state" -t $V:80 -r "$DIP:80" >"$W/drain1.out" 2>"$W/drain1.err" &
DR=$!
sleep 2
short 6 "$W/s3"
r=$(say L0 while-draining)
check "drain of $D with a long connection: weight 0, new connections elsewhere ($(sort "$W/s3" | uniq -c | tr '\n' ' ')), the old one served ($r)" \
    sh -c "[ '$(weight "$DIP")' = 0 ] && ! grep -q -e NONE -e '^$D\$' '$W/s3' && [ '$r' = '$D while-draining' ]"
close_long L0
wait $DR
check "the drain recorded the hold ($(cat "$W/drain1.err"))" \
    sh -c "grep -q 'held out of the supervisor.s table until released' '$W/drain1.err' && ls '$W/state/hold' | grep -q ',$DIP:80\$'"
sleep 3
check "held: $D stays deleted after the drain, the supervisor leaves it out ($(weights))" absent "$D"
check "held: logged" grep -q -- "-r $DIP:80: held out by an operator's drain" "$W/sup1.log"
lv -L --health-status --state-dir "$W/state" >"$W/health.txt" 2>&1
info "health listing:" "$(cat "$W/health.txt")"
check "-L --health-status: a line per real server, $D on hold" \
    sh -c "[ \$(grep -c '^  -> 192.0.2.1[123]:80 ' '$W/health.txt') = 3 ] && grep -q '^  -> $DIP:80 *http *up+hold ' '$W/health.txt' &&
        head -n 1 '$W/health.txt' | grep -q '^lvsadm --supervise $F (pid $SUP, running), state of '"
lv -L --health-status -j --state-dir "$W/state" >"$W/health.json" 2>&1
check "-L --health-status -j: the published state with running and age" \
    sh -c "grep -q '\"running\":true' '$W/health.json' && grep -q '\"hold\":true' '$W/health.json' && grep -q '\"server\":\"$DIP:80\"' '$W/health.json'"
check "-Ln is unchanged by supervision (no health words)" sh -c "! lvsadm --netns dir -Ln | grep -q -e hold -e http"
short 6 "$W/s4"
check "held: new connections never reach $D ($(sort "$W/s4" | uniq -c | tr '\n' ' '))" sh -c "! grep -q -e NONE -e '^$D\$' '$W/s4'"
lv -a -t $V:80 -r "$DIP:80" -g -w 1
until_ok 5 grep -q -- "-r $DIP:80: hold released: weight 1 set by hand" "$W/sup1.log"
check "release: $D added back by hand ends the hold (logged after $MS ms), its file is gone" \
    sh -c "[ -z \"\$(ls '$W/state/hold')\" ]"
is_out() { _w=$(weight "$(ipof "$1")"); [ -z "$_w" ] || [ "$_w" = 0 ]; }
rm "$W/www-$D/ok"
until_ok 8 is_out "$D"
check "released: $D is checked again (out when its check fails, $MS ms)" is_out "$D"
echo ok >"$W/www-$D/ok"
until_ok 8 is_weight "$D" 1
check "released: and back at 1 ($(weights))" is_weight "$D" 1

# ================================================================== state and metrics
sleep 1
check "state published: $W/state/supervise.json names each real server up" \
    sh -c "[ \$(grep -o '\"state\":\"up\"' '$W/state/supervise.json' | wc -l) = 3 ]"
info "state: $(cut -c1-300 "$W/state/supervise.json")"
nsx dir wget -q -O "$W/m1" http://127.0.0.1:9100/metrics
check "metrics on --listen: the table's series and the supervisor's" \
    sh -c "grep -q '^ipvs_' '$W/m1' && grep -q '^lvsadm_supervise_up{.*server_address=\"192.0.2.11\".*} 1\$' '$W/m1' &&
        grep -q '^lvsadm_supervise_transitions_total{.*server_address=\"192.0.2.11\".*} 2\$' '$W/m1'"
emit metrics-supervise "$W/m1"

# ================================================================== reloads
before=$(lv -Sn)
cp "$F" "$W/good.rules"
echo "-a -t $V:80 -r 192.0.2.14:80 --rise zero" >>"$F"
kill -HUP "$SUP"
sleep 3
check "broken reload: the table is unchanged" [ "$(lv -Sn)" = "$before" ]
check "broken reload: the problem is logged as FILE:LINE and the configuration stays" \
    sh -c "grep -q '$F:6: invalid --rise' '$W/sup1.log' && grep -q 'the running configuration stays' '$W/sup1.log'"
cp "$W/good.rules" "$F"
open_long L1
X=$(cat "$W/L1.srv")
# remove another real server than the long connection's
case $X in rs1) Y=rs2 ;; *) Y=rs1 ;; esac
grep -v "$(ipof $Y):80" "$W/good.rules" >"$F"
kill -HUP "$SUP"
until_ok 5 absent $Y
check "reload without $Y: $Y deleted ($(weights))" absent $Y
r=$(say L1 after-reload)
check "reload: the long-lived connection to $X keeps working ($r)" [ "$r" = "$X after-reload" ]
cp "$W/good.rules" "$F"
kill -HUP "$SUP"
# seen at weight 0 by the poll itself: the rise can follow within a few
# hundred milliseconds, so a second look may already find it up
if until_ok 5 is_weight $Y 0; then
    ok "reload adding $Y back: it joins at weight 0 first (seen after $MS ms)"
else
    bad "reload adding $Y back: it joins at weight 0 first ($(weights))"
fi
until_ok 8 is_weight $Y 1
check "reload adding $Y back: weight 1 after rise good checks ($MS ms)" is_weight $Y 1
r=$(say L1 after-second-reload)
check "reloads: the long-lived connection to $X still works ($r)" [ "$r" = "$X after-second-reload" ]
close_long L1

# ================================================================== a kernel refusal
# A reload adds a service whose scheduler the kernel no longer has (the
# module unloaded and hidden): its rounds are refused and rolled back, the
# supervisor runs on, and a failing real server of the other service is
# still quiesced meanwhile (its state change reconciles its own service).
# Control: with the module back, a later round adds the service.
has81() { lv -Ln -t "$V:81" >/dev/null 2>&1; }
no81() { ! has81; }
rmmod ip_vs_sed 2>/dev/null
find /lib/modules -name 'ip_vs_sed.ko*' | while read -r f; do mv "$f" "$f.off"; done
lv -A -t "$V:99" -s sed >/dev/null 2>&1
check "control: the kernel really refuses the sed scheduler now" [ $? -ne 0 ]
lv -D -t "$V:99" >/dev/null 2>&1
before=$(lv -Sn)
{ cat "$W/good.rules"; echo "-A -t $V:81 -s sed"; echo "-a -t $V:81 -r 192.0.2.11:80 -g -w 1"; } >"$F"
kill -HUP "$SUP"
sleep 3
check "kernel refusal: the supervisor runs on" kill -0 "$SUP"
check "kernel refusal: the table is unchanged" [ "$(lv -Sn)" = "$before" ]
check "kernel refusal: the kernel's message is logged" \
    grep -q -- "$V:81 .*Scheduler or persistence engine not found" "$W/sup1.log"
rm "$W/www-rs2/ok"
until_ok 8 is_weight rs2 0
check "kernel refusal: rs2's failing check still quiesces it meanwhile ($MS ms; $(weights))" is_weight rs2 0
echo ok >"$W/www-rs2/ok"
until_ok 8 is_weight rs2 1
check "kernel refusal: and it comes back ($(weights))" is_weight rs2 1
check "kernel refusal: the service is still not there" no81
find /lib/modules -name 'ip_vs_sed.ko*.off' | while read -r f; do mv "$f" "${f%.off}"; done
until_ok 8 has81
check "control: with the module back a later round adds the service ($MS ms)" has81
cp "$W/good.rules" "$F"
kill -HUP "$SUP"
until_ok 5 no81
check "the reload without it deletes it again" no81

# ================================================================== kill -9 and restart
kill -9 "$SUP"; wait "$SUP" 2>/dev/null
before=$(weights)
start_sup "$W/sup2.log"
sleep 4
check "kill -9 and restart on a healthy table: no weight changed ($before -> $(weights))" [ "$(weights)" = "$before" ]
check "restart: no table change logged" sh -c "! grep -q 'table:' '$W/sup2.log'"
kill -9 "$SUP"; wait "$SUP" 2>/dev/null
rm "$W/www-rs2/ok"
start_sup "$W/sup3.log"
until_ok 10 is_weight rs2 0
check "control: a real server that died while the supervisor was down is quiesced after the restart ($MS ms; $(weights))" is_weight rs2 0
echo ok >"$W/www-rs2/ok"
until_ok 8 is_weight rs2 1
stop_sup

# ================================================================== agent and exec
cat >"$F" <<EOF
-A -t $V:80 -s rr --health exec:$W/chk --interval 1 --rise 1 --fall 1
-a -t $V:80 -r 192.0.2.11:80 -g -w 4 --agent 8000
-a -t $V:80 -r 192.0.2.12:80 -g -w 4
-a -t $V:80 -r 192.0.2.13:80 -g -w 4 --health tcp
EOF
cat >"$W/chk" <<EOF
#!/bin/sh
# VIP VPORT RIP RPORT: down when a file names the real server
echo "\$@" >"$W/chk.args"
[ ! -e "$W/down-\$3" ]
EOF
chmod 755 "$W/chk"
echo "50%" >"$W/agent-reply"
printf '#!/bin/sh\ncat %s\n' "$W/agent-reply" >"$W/agent.sh"
chmod 755 "$W/agent.sh"
nsx rs1 nc -ll -p 8000 -e "$W/agent.sh" </dev/null >/dev/null 2>&1 &
AG=$!
start_sup "$W/sup4.log"
until_ok 8 is_weight rs1 2
check "agent 50%: rs1's weight 4 becomes 2 ($(weights))" is_weight rs1 2
echo "drain" >"$W/agent-reply"
until_ok 5 is_weight rs1 0
check "agent drain: rs1 at weight 0 ($(weights))" is_weight rs1 0
echo "up ready 100%" >"$W/agent-reply"
until_ok 5 is_weight rs1 4
check "agent up ready 100%: rs1 back at 4 ($(weights))" is_weight rs1 4
check "exec: the check got VIP VPORT RIP RPORT ($(cat "$W/chk.args"))" grep -q "^$V 80 192.0.2.1[123] 80\$" "$W/chk.args"
touch "$W/down-192.0.2.12"
until_ok 5 is_weight rs2 0
check "exec exit 1 for rs2: quiesced ($(weights))" is_weight rs2 0
check "exec: rs3 (tcp check) stays ($(weights))" is_weight rs3 4
rm -f "$W/down-192.0.2.12"
until_ok 5 is_weight rs2 4
check "exec exit 0 again: rs2 back at 4" is_weight rs2 4
# the tcp check: rs3's server on port 80 stops
# (no pkill in the guest: the nc process found by its command line)
for p in /proc/[0-9]*; do
    case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
    "nc -ll -p 80 -e $W/srv-rs3 ") kill "${p#/proc/}" ;;
    esac
done
until_ok 5 is_weight rs3 0
check "tcp connect refused on rs3: quiesced after $MS ms ($(weights))" is_weight rs3 0
check "tcp: logged with the reason" grep -q -- "-r 192.0.2.13:80: down: tcp connect: Connection refused, 1/1 failure" "$W/sup4.log"
kill "$AG" 2>/dev/null

# ================================================================== sorry server and slow start
cat >"$F" <<EOF
-A -t $V:80 -s rr --health exec:$W/chk --interval 1 --rise 1 --fall 1 --sorry 192.0.2.14:80
-a -t $V:80 -r 192.0.2.11:80 -g -w 10 --slow-start 5
-a -t $V:80 -r 192.0.2.12:80 -g -w 1
EOF
has_sorry() { lv -Ln -t $V:80 | grep -q '192.0.2.14:80'; }
no_sorry() { ! has_sorry; }
reloaded() { [ "$(weights)" = "rs1=10 rs2=1 rs3=- " ]; }
kill -HUP "$SUP"
until_ok 5 reloaded
check "reload: rs3 left the file and the table, rs1 at its new weight ($(weights))" reloaded
touch "$W/down-192.0.2.11" "$W/down-192.0.2.12"
until_ok 5 has_sorry
check "sorry server: added when no real server is up ($MS ms; $(lv -Ln -t $V:80 | awk '$1 == "->" { print $2, $4 }' | tr '\n' ' '))" has_sorry
rm -f "$W/down-192.0.2.12"
until_ok 5 no_sorry
check "sorry server: removed when a real server is up again ($MS ms; $(weights))" no_sorry
rm -f "$W/down-192.0.2.11"
: >"$W/ramp"
i=0
while [ $i -lt 40 ]; do weight 192.0.2.11 >>"$W/ramp"; sleep 0.25; i=$((i + 1)); done
ramp=$(uniq "$W/ramp" | tr '\n' ' ')
rising() {
    uniq "$W/ramp" | awk 'NR == 1 { prev = $1 } $1 < prev { bad = 1 } $1 > 0 && $1 < 10 { mid++ } { prev = $1 } END { exit !(!bad && mid >= 2 && prev == 10) }'
}
check "slow start: rs1's weight climbs to 10 through values between ($ramp)" rising

# ================================================================== SIGTERM leaves the table
before=$(lv -Sn)
kill -TERM "$SUP"
wait "$SUP"; rc=$?
check "SIGTERM: exit status 0 ($rc) and the log says so" sh -c "[ $rc = 0 ] && grep -q 'SIGTERM: exiting; the table stays as it is' '$W/sup4.log'"
check "SIGTERM: the table is left as it was" [ "$(lv -Sn)" = "$before" ]
info "last lines of the log:" "$(tail -n 8 "$W/sup4.log")"

# ================================================================== https and dns checks
# https: openssl s_server on port 443 of each real server (a certificate
# for good.example made by the host for this run), answering only that
# server name (a fatal alert otherwise); dns: dns-peer (built by the
# host) on rs1 and rs3 knows www.example.org, on rs2 another name
# (NXDOMAIN)
for r in rs1 rs2 rs3; do
    (cd "$W/www-$r" && nsx $r openssl s_server -quiet -accept 443 -cert /job/tls/cert.pem -key /job/tls/key.pem \
        -cert2 /job/tls/cert.pem -key2 /job/tls/key.pem -servername good.example -servername_fatal -WWW) \
        </dev/null >"$W/tls-$r.log" 2>&1 &
done
nsx rs1 dns-peer 192.0.2.11:53 www.example.org </dev/null >"$W/dns-rs1.log" 2>&1 &
nsx rs2 dns-peer 192.0.2.12:53 other.example.org </dev/null >"$W/dns-rs2.log" 2>&1 &
DNS2=$!
nsx rs3 dns-peer 192.0.2.13:53 www.example.org </dev/null >"$W/dns-rs3.log" 2>&1 &
DNS3=$!
cat >"$F" <<EOF
-A -t $V:443 -s rr --health https:/ok --health-host good.example --interval 1 --health-timeout 1 --rise 1 --fall 1
-a -t $V:443 -r 192.0.2.11:443 -g -w 1
-a -t $V:443 -r 192.0.2.12:443 -g -w 1 --health-host bad.example
-a -t $V:443 -r 192.0.2.13:443 -g -w 1 --expect 300-399
-A -u $V:53 -s rr --health dns:www.example.org --interval 1 --health-timeout 1 --rise 1 --fall 1
-a -u $V:53 -r 192.0.2.11:53 -g -w 1
-a -u $V:53 -r 192.0.2.12:53 -g -w 1
-a -u $V:53 -r 192.0.2.13:53 -g -w 1
EOF
lv -C
sleep 1
start_sup "$W/sup5.log"
w443() { lv -Ln -t $V:443 | awk '$1 == "->" && $2 != "RemoteAddress:Port" { printf "%s=%s ", $2, $4 }'; }
w53() { lv -Ln -u $V:53 | awk '$1 == "->" && $2 != "RemoteAddress:Port" { printf "%s=%s ", $2, $4 }'; }
# the -L --health-status line of a real server
hs() { lv -L --health-status --state-dir "$W/state" | grep "^  -> $1 "; }
tls_ok() { [ "$(w443)" = "192.0.2.11:443=1 192.0.2.12:443=0 192.0.2.13:443=0 " ]; }
until_ok 10 tls_ok
check "https: rs1 (SNI and Host good.example, 200) joins; controls stay out: rs2 (SNI bad.example refused) and rs3 (200 not in --expect 300-399) ($MS ms; $(w443))" tls_ok
# (a first result is in the state file at the next second; rs3's first
# check may end after rs1's)
tls_why() {
    hs 192.0.2.11:443 | grep -q ' up .*https status 200' && hs 192.0.2.13:443 | grep -q ' down .*https status 200' &&
        hs 192.0.2.12:443 | grep -q ' down .*https handshake'
}
until_ok 5 tls_why
check "https: the controls' last results say why, in the state file $MS ms later ($(hs 192.0.2.12:443 | cut -c 30-); $(hs 192.0.2.13:443 | cut -c 30-))" \
    tls_why
dns_ok() { [ "$(w53)" = "192.0.2.11:53=1 192.0.2.12:53=0 192.0.2.13:53=1 " ]; }
until_ok 10 dns_ok
check "dns: rs1 and rs3 (NOERROR) join, rs2 (NXDOMAIN) stays out ($MS ms; $(w53); $(hs 192.0.2.12:53 | cut -c 30-))" dns_ok
# (the pid of a backgrounded nsx is its subshell's: the server found by
# its command line)
for p in /proc/[0-9]*; do
    case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
    "dns-peer 192.0.2.11:53 www.example.org ") kill "${p#/proc/}" ;;
    esac
done
rs1_dns_out() { [ "$(w53)" = "192.0.2.11:53=0 192.0.2.12:53=0 192.0.2.13:53=1 " ]; }
until_ok 8 rs1_dns_out
check "dns: rs1's server stopped (no answer): quiesced after $MS ms ($(w53); $(hs 192.0.2.11:53 | cut -c 30-))" rs1_dns_out
info "dns:" "$(lv -L --health-status --state-dir "$W/state" | grep ':53 ')" "$(cat "$W"/dns-rs*.log)"
stop_sup
for p in /proc/[0-9]*; do
    case $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) in
    "dns-peer "*) kill "${p#/proc/}" ;;
    esac
done

# an empty file is refused
: >"$W/empty.rules"
lv --supervise "$W/empty.rules" 2>"$W/empty.err"; rc=$?
check "an empty file is refused ($rc: $(cat "$W/empty.err"))" \
    sh -c "[ $rc = 1 ] && grep -q 'no services: refusing to supervise an empty rule file' '$W/empty.err'"

tap_done
