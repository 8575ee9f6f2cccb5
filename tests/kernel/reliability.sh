#!/bin/sh
# --apply's atomicity and the writer lock on a real kernel (run in the IPVS
# guest by tests/kernel/reliability): a change the kernel refuses in the
# middle of an apply, SIGTERM during a long apply, two applies at once, a
# bounded wait on a held lock. Prints one `ok - NAME` or `FAIL - NAME` line
# per check and a last line `N passed, M failed`.
# Only documentation addresses are used.
. /job/tap.sh
differ() { if cmp -s "$2" "$3"; then bad "$1"; else ok "$1"; fi; }
has() { n=$1; f=$2; shift 2; if grep -q -- "$*" "$f"; then ok "$n"; else bad "$n"; sed 's/^/    /' "$f" | head -20; fi; }
cd /root || exit 1

# The whole table, every setting: the saved rules, and the thresholds and
# tunnel settings of each real server (prefixed with its service), sorted
# (a re-created entry is listed elsewhere in the kernel's hash order).
snap() {
    ipvsadm -Sn | sort
    for o in --thresholds --tun-info --persistent-conn; do
        ipvsadm -Ln $o | awk -v o="$o" '/^(TCP|UDP|SCTP|FWM)/ { s = $0; print o, s; next }
                                        /->/ { print o, s, "|", $0 }' | sort
    done
}
LOCK=/run/lvsadm/lock.$(stat -L -c '%d.%i' /proc/self/ns/net)

# ------------------------------------------------ a refusal in the middle
cat >old.rules <<'R'
-A -t 192.0.2.1:80 -s wlc -p 300 -M 255.255.255.0
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 3 -x 500 -y 100
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -i -w 2 -x 40 -y 4 --tun-type gue --tun-port 6080 --tun-csum
-a -t 192.0.2.1:80 -r 198.51.100.3:80 -g -w 1
-A -u 192.0.2.2:5060 -s rr -p 60 --pe sip -o
-a -u 192.0.2.2:5060 -r 198.51.100.4:5060 -m -w 7 -x 9 -y 2
-A -f 9 -s sh -b sh-fallback,sh-port
-a -f 9 -r 198.51.100.9:0 -i -w 5 -x 70 -y 7 --tun-type gre --tun-csum
-A -t 192.0.2.3:443 -s mh -b mh-port
-a -t 192.0.2.3:443 -r 198.51.100.5:443 -g -w 4 -x 11
R
# new.rules: adds, then an edit to the `sed` scheduler (refused: its
# module is gone), then more edits, additions and deletions (pipelined in
# the same batch, so the kernel makes them after the refusal)
cat >new.rules <<'R'
-A -t 192.0.2.4:80 -s lc
-a -t 192.0.2.4:80 -r 198.51.100.7:80 -m -w 1 -x 3 -y 1
-A -t 192.0.2.1:80 -s sed
-a -t 192.0.2.1:80 -r 198.51.100.1:80 -m -w 9 -x 0 -y 0
-a -t 192.0.2.1:80 -r 198.51.100.2:80 -i -w 2 -x 40 -y 4 --tun-type ipip
-a -t 192.0.2.1:80 -r 198.51.100.6:80 -g -w 1
-A -f 9 -s wrr
-a -f 9 -r 198.51.100.9:0 -i -w 6 -x 70 -y 7 --tun-type gre --tun-csum
R
ipvsadm -C
lvsadm --apply old.rules >/dev/null 2>&1
snap >before.txt
check "setup: the old table has 4 services" [ "$(ipvsadm -Sn | grep -c '^-A')" -eq 4 ]
check "setup: thresholds and tunnels are there" grep -q 'gue' before.txt
lvsadm --check new.rules >/dev/null 2>&1
check "--check cannot foresee the refusal (the file is clean)" [ $? -eq 0 ]
# make the sed scheduler unavailable for real: unload it and hide its module
rmmod ip_vs_sed 2>/dev/null
find /lib/modules -name 'ip_vs_sed.ko*' | while read -r f; do mv "$f" "$f.off"; done
ipvsadm -A -t 192.0.2.99:80 -s sed >/dev/null 2>&1
check "control: the kernel really refuses the sed scheduler now" [ $? -ne 0 ]
ipvsadm -D -t 192.0.2.99:80 2>/dev/null
lvsadm --apply new.rules --force >o.txt 2>e.txt; rc=$?
sed 's/^/# /' e.txt
check "refused apply exits 1" [ $rc -eq 1 ]
check "refused apply prints no summary on stdout" [ ! -s o.txt ]
has "the refused change is named as a command line with the kernel's message" e.txt \
    "-E -t 192.0.2.1:80 -s sed: Scheduler or persistence engine not found"
has "the rollback is reported" e.txt "rolled back: the table is as it was"
snap >after.txt
same "after a refusal the table is exactly the old one (rules, thresholds, tunnels)" before.txt after.txt
# control: with the module back, the same file applies and the table changes
find /lib/modules -name 'ip_vs_sed.ko*.off' | while read -r f; do mv "$f" "${f%.off}"; done
lvsadm --apply new.rules --force >o.txt 2>e.txt; rc=$?
check "control: with the module back the same apply exits 0" [ $rc -eq 0 ]
snap >after.txt
differ "control: and changes the table" before.txt after.txt
check "control: the edit is in" sh -c "ipvsadm -Sn | grep -q -- '-A -t 192.0.2.1:80 -s sed'"

# ------------------------------------------------ SIGTERM during an apply
# a long apply: 1000 services x 100 real servers (101 000 changes), from a
# small table that it partly deletes
awk 'BEGIN {
    for (s = 0; s < 1000; s++) {
        v = sprintf("192.0.2.%d:%d", 1 + s % 200, 1000 + s)
        printf "-A -t %s -s rr\n", v
        for (d = 0; d < 100; d++)
            printf "-a -t %s -r 198.51.100.%d:80 -m -w 1\n", v, 1 + d
    }
}' >big.rules
ipvsadm -C
lvsadm --apply old.rules >/dev/null 2>&1
snap >old.txt
# Reading and checking 101 000 lines takes a while under emulation: the
# signal is sent once the first batch is in (the first new service is
# listed), then after further delays.
rolled=0
completed=0
new_sum=
for delay in 0 0.5 2 5; do
    ipvsadm -C
    lvsadm --apply old.rules >/dev/null 2>&1
    lvsadm --apply big.rules --force >o.txt 2>e.txt &
    pid=$!
    i=0
    while [ $i -lt 3000 ] && ! ipvsadm -Ln -t 192.0.2.1:1000 >/dev/null 2>&1; do
        sleep 0.1; i=$((i + 1))
    done
    sleep $delay
    kill -TERM $pid 2>/dev/null
    wait $pid
    rc=$?
    if [ $rc -eq 143 ]; then
        grep -q "interrupted by SIGTERM" e.txt && rolled=$((rolled + 1))
        snap >now.txt
        same "SIGTERM ${delay}s after the first batch: exactly the old table" old.txt now.txt
        has "SIGTERM ${delay}s after the first batch: says it was interrupted and rolled back" e.txt "rolled back: the table is as it was"
    elif [ $rc -eq 0 ]; then
        completed=$((completed + 1))
        sum=$(ipvsadm -Sn | sort | md5sum)
        [ -n "$new_sum" ] || { ipvsadm -C; lvsadm --apply big.rules --force >/dev/null 2>&1; new_sum=$(ipvsadm -Sn | sort | md5sum); }
        check "SIGTERM ${delay}s after the first batch: the apply had finished: the new table" [ "$sum" = "$new_sum" ]
    else
        bad "SIGTERM ${delay}s after the first batch: exit $rc (want 143 or 0)"
        sed 's/^/    /' e.txt | head
    fi
done
check "SIGTERM: at least one run was stopped midway and rolled back ($rolled of 4, $completed completed)" [ $rolled -ge 1 ]
grep '^lvsadm:' e.txt | sed 's/^/# /'

# ------------------------------------------------- two writers at a time
ipvsadm -C
lvsadm --apply old.rules >/dev/null 2>&1
lvsadm --apply big.rules --force >a.txt 2>ae.txt &
apid=$!
# wait until the first run holds the lock (it writes its pid into the file)
i=0
while [ $i -lt 200 ] && ! grep -qx "$apid" "$LOCK" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
lvsadm --apply new.rules --force --wait 600 >b.txt 2>be.txt
brc=$?
wait $apid
arc=$?
check "two applies at once: the first exits 0" [ $arc -eq 0 ]
check "two applies at once: the second exits 0" [ $brc -eq 0 ]
has "the second says what it waits for (file and pid)" be.txt "waiting for the lock $LOCK (held by pid $apid)"
snap >now.txt
ipvsadm -C
lvsadm --apply new.rules --force >/dev/null 2>&1
snap >want.txt
same "two applies at once: the final table is the second one's" want.txt now.txt
lvsadm --apply old.rules --force >/dev/null 2>free.txt
check "no lock message when the lock is free" [ ! -s free.txt ]

# ------------------------------------------------- a bounded wait
ipvsadm -C
lvsadm --apply old.rules >/dev/null 2>&1
snap >held_before.txt
flock -x "$LOCK" sleep 6 &
fpid=$!
sleep 0.5
start=$(cut -d' ' -f1 /proc/uptime)
lvsadm --apply new.rules --force --wait 1 >o.txt 2>e.txt; rc=$?
end=$(cut -d' ' -f1 /proc/uptime)
check "--wait 1 against a held lock exits 4" [ $rc -eq 4 ]
has "--wait 1: a clear error" e.txt "gave up after 1s waiting for the lock $LOCK"
check "--wait 1: gave up after about 1 s" awk -v a="$start" -v b="$end" 'BEGIN { exit !(b - a >= 1 && b - a < 5) }'
printf -- '-A -t 192.0.2.77:80 -s rr\n' | lvsadm -R --wait 1 >o.txt 2>e2.txt; rc=$?
check "-R --wait 1 against a held lock exits 4" [ $rc -eq 4 ]
has "-R --wait 1: a clear error" e2.txt "gave up after 1s waiting for the lock"
snap >held_after.txt
same "a run that gave up changed nothing" held_before.txt held_after.txt
wait $fpid
lvsadm --apply new.rules --force --wait 1 >o.txt 2>e.txt; rc=$?
check "control: once the lock is released the same apply exits 0" [ $rc -eq 0 ]
check "control: and says nothing about a lock" sh -c "! grep -q lock e.txt"
flock -x "$LOCK" sleep 5 &
fpid=$!
sleep 0.5
timeout 2 lvsadm -A -t 192.0.2.78:80 -s rr
check "single commands take no lock (added at once while the lock is held)" [ $? -eq 0 ]
check "single command: the service is in" sh -c "ipvsadm -Ln | grep -q 192.0.2.78:80"
wait $fpid
# ipvsadm-restore (flush, then restore) waits for the lock before the flush
mkdir -p /tmp/w && ln -sf /usr/sbin/lvsadm /tmp/w/ipvsadm-restore
snap >r_before.txt
flock -x "$LOCK" sleep 10 &
fpid=$!
sleep 0.5
printf -- '-A -t 192.0.2.79:80 -s rr\n' | timeout 2 /tmp/w/ipvsadm-restore >/dev/null 2>e3.txt
rc=$?
check "ipvsadm-restore against a held lock is still waiting after 2 s" [ $rc -ne 0 ]
has "ipvsadm-restore says what it waits for" e3.txt "waiting for the lock $LOCK"
snap >r_after.txt
same "ipvsadm-restore did not flush while waiting" r_before.txt r_after.txt
wait $fpid

tap_done
