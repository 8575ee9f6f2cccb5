#!/bin/sh
# The library's examples on a real kernel (run in the IPVS guest by
# tests/kernel/examples): each example's effect is checked against what the
# reference ipvsadm lists. Prints `ok - NAME` / `FAIL - NAME` per check and a
# last line `N passed, M failed`. Documentation addresses only.
. /job/tap.sh
X=/opt/examples
cd /root || exit 1
ipvsadm -C

# add_remove: the service and its two real servers, as ipvsadm sees them
$X/add_remove add 192.0.2.1:80 198.51.100.1:8080 198.51.100.2:8080 >out 2>err
[ $? -eq 0 ] && [ "$(cat out)" = "added -t 192.0.2.1:80 with 2 real servers" ] &&
    ok "add_remove add: exit 0 and its report" || { bad "add_remove add"; cat out err; }
ipvsadm -Sn >got
cat >want <<'W'
-A -t 192.0.2.1:80 -s rr
-a -t 192.0.2.1:80 -r 198.51.100.1:8080 -m -w 1
-a -t 192.0.2.1:80 -r 198.51.100.2:8080 -m -w 2
W
same "add_remove add: ipvsadm -Sn shows the service and both real servers" want got
# adding it again: the kernel's refusal in ipvsadm's words, table unchanged
$X/add_remove add 192.0.2.1:80 198.51.100.1:8080 198.51.100.2:8080 >out 2>err
rc=$?
[ $rc -eq 1 ] && [ "$(cat err)" = "add_remove: Service already exists" ] &&
    ok "add_remove add twice: exit 1, 'Service already exists'" || { bad "add_remove add twice (exit $rc)"; cat err; }
ipvsadm -Sn >got2
same "add_remove add twice: table unchanged" want got2

# list_json: the same table, as JSON, agrees with ipvsadm's listing
$X/list_json >json 2>err || bad "list_json exit status"
for pat in '"address":"192.0.2.1"' '"port":80' '"scheduler":"rr"' \
    '"address":"198.51.100.1","port":8080,"forward":"masq","weight":1' \
    '"address":"198.51.100.2","port":8080,"forward":"masq","weight":2'; do
    if grep -q "$pat" json; then ok "list_json has $pat"; else bad "list_json lacks $pat"; cat json; fi
done
n=$(grep -o '"destinations":\[' json | wc -l)
[ "$n" -eq "$(ipvsadm -Sn | grep -c '^-A')" ] && ok "list_json: one service per ipvsadm -A line" || bad "list_json: $n services"

# watch_rates: counters equal ipvsadm's exact counters. Local traffic: the
# VIP on lo, a local real server (the kernel's local forwarding).
ip link set lo up
ip addr add 192.0.2.9/32 dev lo
mkdir -p www && echo hello >www/index.html
httpd -p 192.0.2.9:8080 -h www
ipvsadm -A -t 192.0.2.9:80 -s rr
ipvsadm -a -t 192.0.2.9:80 -r 192.0.2.9:8080 -m
for i in 1 2 3; do wget -q -O /dev/null http://192.0.2.9:80/ || bad "request $i through IPVS"; done
sleep 3
$X/watch_rates 192.0.2.9:80 1 1 >rates 2>err || bad "watch_rates exit status"
want_conns=$(ipvsadm -L -n --stats --exact -t 192.0.2.9:80 | awk 'NR == 3 { print $3 }')
got_conns=$(sed -n 's/^conns=\([0-9]*\) .*/\1/p' rates)
[ -n "$got_conns" ] && [ "$got_conns" = "$want_conns" ] && [ "$got_conns" -ge 3 ] &&
    ok "watch_rates: conns=$got_conns, as ipvsadm --stats --exact" || { bad "watch_rates conns '$got_conns' vs '$want_conns'"; cat rates err; }
$X/watch_rates 192.0.2.99:80 1 1 >/dev/null 2>err
[ $? -eq 1 ] && grep -q "No such process\|No such service" err && ok "watch_rates: a missing service is an error" || { bad "watch_rates missing service"; cat err; }

# add_remove remove: gone from ipvsadm's listing; removing again fails
$X/add_remove remove 192.0.2.1:80 >out 2>err && ok "add_remove remove: exit 0" || bad "add_remove remove"
ipvsadm -Sn | grep -q '192.0.2.1:80' && bad "add_remove remove: still listed" || ok "add_remove remove: ipvsadm no longer lists it"
$X/add_remove remove 192.0.2.1:80 >out 2>err
[ $? -eq 1 ] && [ "$(cat err)" = "add_remove: No such service" ] && ok "add_remove remove twice: 'No such service'" || { bad "remove twice"; cat err; }
tap_done
