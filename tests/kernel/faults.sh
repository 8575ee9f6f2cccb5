#!/bin/sh
# Faults, on the real kernel in the IPVS guest (run by tests/kernel/faults):
# lvsadm and the reference ipvsadm meet the same fault in the same state and
# their stdout, stderr, exit status and the resulting table are compared;
# where lvsadm deliberately differs (a write error on stdout), what it does
# is checked on its own. Prints one `ok - ...` / `FAIL - ...` line per check,
# `# ...` lines with measurements, and a last line `N passed, M failed`.
# Needs in the guest: /usr/local/bin/setpriv (util-linux), /usr/local/bin/bench-timer,
# /usr/local/lib/tiny-rcvbuf.so (added by tests/kernel/faults).
# Only documentation addresses are used.
. /job/tap.sh
cd /root || exit 1
# the helpers tests/kernel/faults adds (setpriv: util-linux's, not busybox's)
PATH=/usr/local/bin:$PATH
ip link set lo up
REF=/sbin/ipvsadm
LVS=/usr/sbin/lvsadm
KMOD=/lib/modules/$(uname -r)/kernel/net/netfilter/ipvs
T=/tmp/faults
mkdir -p $T

# run TOOL NAME CMD: CMD (a shell command line) with TOOL's `ipvsadm` first
# in PATH (ref: the reference, lvs: lvsadm); NAME.out, NAME.err, NAME.rc,
# and the table afterwards (reference -Sn) in NAME.state
run() {
    if [ "$1" = ref ]; then p=/opt/ref/bin; else p=/opt/lvs/bin; fi
    PATH=$p:/usr/local/bin:/bin:/sbin:/usr/bin:/usr/sbin timeout 600 /bin/sh -c "$3" >"$T/$2.out" 2>"$T/$2.err" </dev/null
    echo $? >"$T/$2.rc"
    $REF -Sn >"$T/$2.state" 2>&1
}
# reset SETUP: an empty table, then SETUP (run with the reference)
reset() {
    $REF -C
    [ -z "$1" ] || PATH=/opt/ref/bin:/bin:/sbin:/usr/bin:/usr/sbin /bin/sh -c "$1" >/dev/null 2>&1
}
# show NAME: a record's parts, indented (for failures)
show() {
    for x in out err rc state; do
        [ -s "$T/$1.$x" ] && sed "s/^/    $1.$x: /" "$T/$1.$x" | head -n 8
    done
}
# compare NAME CMD [SETUP]: the same fault for both tools, from the same state
compare() {
    reset "${3:-}"; run ref r "$2"
    reset "${3:-}"; run lvs l "$2"
    d=
    for x in out err rc state; do cmp -s "$T/r.$x" "$T/l.$x" || d="$d $x"; done
    if [ -z "$d" ]; then
        ok "$1: as ipvsadm (exit $(cat $T/r.rc)$([ -s $T/r.err ] && printf ', stderr: %s' "$(head -n1 $T/r.err | cut -c1-70)"))"
    else
        bad "$1: differs from ipvsadm in:$d"
        for x in $d; do diff "$T/r.$x" "$T/l.$x" | head -n 6 | sed "s/^/    $x: /"; done
    fi
}
# expect NAME COND...: ok if the test command COND succeeds
expect() { n=$1; shift; if "$@"; then ok "$n"; else bad "$n"; fi; }
# rss RESULTFILE: the peak RSS in KiB that bench-timer recorded last
rss() { tail -n1 "$1" | cut -d' ' -f2; }
wall() { tail -n1 "$1" | cut -d' ' -f1 | cut -d. -f1; }

SETUP1='ipvsadm -A -t 192.0.2.1:80 -s rr; ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.1 -m'
printf -- '-A -t 192.0.2.7:80 -s rr\n-a -t 192.0.2.7:80 -r 198.51.100.7 -m\n' >$T/two.rules

# ------------------------------------------------------------ IPVS not loadable
# No service may exist, then every IPVS module goes, and the module files
# are moved away so that the tools' `modprobe ip_vs` fails.
$REF -C
for m in ip_vs_pe_sip ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh \
    ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs; do
    rmmod $m 2>/dev/null
done
if grep -q '^ip_vs ' /proc/modules; then
    bad "IPVS not loadable: could not unload ip_vs"
else
    mv $KMOD $KMOD.hidden
    for c in '-Ln' '-A -t 192.0.2.1:80 -s rr' '-Sn' '-h' '-C'; do
        run ref r "ipvsadm $c"; run lvs l "ipvsadm $c"
        d=
        for x in out err rc; do cmp -s "$T/r.$x" "$T/l.$x" || d="$d $x"; done
        if [ -z "$d" ]; then ok "IPVS not loadable: ipvsadm $c: as ipvsadm (exit $(cat $T/r.rc), stderr: $(sed -n 2p $T/r.err | cut -c1-60)...)"
        else bad "IPVS not loadable: ipvsadm $c: differs in:$d"; show r; show l; fi
    done
    run ref r "ipvsadm -R <$T/two.rules"; run lvs l "ipvsadm -R <$T/two.rules"
    if cmp -s $T/r.err $T/l.err && cmp -s $T/r.rc $T/l.rc; then ok "IPVS not loadable: ipvsadm -R: as ipvsadm (exit $(cat $T/r.rc))"
    else bad "IPVS not loadable: ipvsadm -R differs"; show r; show l; fi
    run lvs l "lvsadm --apply $T/two.rules"
    expect "IPVS not loadable: lvsadm --apply fails (exit $(cat $T/l.rc)) with ipvsadm's start-up message" \
        grep -q "^Can't initialize ipvs: Protocol not available" $T/l.err
    expect "IPVS not loadable: lvsadm --apply exit status is not 0" [ "$(cat $T/l.rc)" != 0 ]
    expect "IPVS not loadable: still not loaded" sh -c '! grep -q "^ip_vs " /proc/modules'
    mv $KMOD.hidden $KMOD
    # loadable but not loaded: both tools load it (modprobe) and go on
    run ref r "ipvsadm -Ln"
    r_loaded=$(grep -c '^ip_vs ' /proc/modules)
    rmmod ip_vs
    run lvs l "ipvsadm -Ln"
    l_loaded=$(grep -c '^ip_vs ' /proc/modules)
    if cmp -s $T/r.out $T/l.out && cmp -s $T/r.err $T/l.err && cmp -s $T/r.rc $T/l.rc && [ "$r_loaded$l_loaded" = 11 ]; then
        ok "IPVS loadable, not loaded: both load ip_vs and list (exit $(cat $T/l.rc))"
    else
        bad "IPVS loadable, not loaded: loaded $r_loaded/$l_loaded"; show r; show l
    fi
fi
for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_lblc ip_vs_lblcr ip_vs_dh \
    ip_vs_sh ip_vs_sed ip_vs_nq ip_vs_fo ip_vs_ovf ip_vs_mh ip_vs_pe_sip; do
    modprobe $m || bad "reloading $m"
done

# ------------------------------------------------------------ privileges
NOBODY='/usr/local/bin/setpriv --reuid=65534 --regid=65534 --clear-groups'
NOCAP='/usr/local/bin/setpriv --bounding-set=-net_admin'
expect "control: setpriv runs a command as uid 65534" [ "$($NOBODY id -u)" = 65534 ]
capbit() { v=$("$@" awk '/^CapEff:/ { print $2 }' /proc/self/status); echo $(((0x$v >> 12) & 1)); }
expect "control: root has CAP_NET_ADMIN, and not after dropping it from the bounding set" \
    [ "$(capbit):$(capbit $NOCAP)" = "1:0" ]
# denied CMD: compare, and lvsadm must have said why, the table unchanged
denied() {
    for who in "non-root user:$NOBODY" "root without CAP_NET_ADMIN:$NOCAP"; do
        compare "${who%%:*}: ipvsadm $1" "${who#*:} ipvsadm $1" "$SETUP1"
        if grep -q "^Can't initialize ipvs: Permission denied (you must be root)$" $T/l.err &&
            [ "$(grep -c . $T/l.state)" = 2 ]; then
            ok "${who%%:*}: ipvsadm $1: refused with 'Permission denied', table unchanged"
        else
            bad "${who%%:*}: ipvsadm $1: not refused as expected"; show l
        fi
    done
}
for c in '-Ln' '-A -t 192.0.2.9:80 -s rr' '-D -t 192.0.2.1:80' '-C' '-Sn' '-h' '--set 10 10 10'; do
    denied "$c"
done
denied "-R <$T/two.rules"
for who in NOBODY NOCAP; do
    eval "wrap=\$$who"
    reset "$SETUP1"; $REF -Sn >$T/before
    run lvs l "$wrap lvsadm --apply $T/two.rules"
    if [ "$(cat $T/l.rc)" != 0 ] && grep -q 'Permission denied' $T/l.err && cmp -s $T/before $T/l.state; then
        ok "$who: lvsadm --apply refused (exit $(cat $T/l.rc)), table unchanged"
    else
        bad "$who: lvsadm --apply"; show l
    fi
done

# ------------------------------------------------------------ scheduler module missing
rmmod ip_vs_wrr
mv $KMOD/ip_vs_wrr.ko $KMOD/ip_vs_wrr.ko.hidden
compare "scheduler module missing: -A -s wrr" "ipvsadm -A -t 192.0.2.5:80 -s wrr" "$SETUP1"
compare "scheduler module missing: -E to wrr" "ipvsadm -E -t 192.0.2.1:80 -s wrr" "$SETUP1"
printf -- '-A -t 192.0.2.5:80 -s rr\n-A -t 192.0.2.6:80 -s wrr\n-a -t 192.0.2.6:80 -r 198.51.100.6 -m\n-A -t 192.0.2.7:80 -s wlc\n' >$T/wrr.rules
compare "scheduler module missing: -R with a wrr line" "ipvsadm -R <$T/wrr.rules" "$SETUP1"
reset "$SETUP1"; $REF -Sn >$T/before
cat $T/before $T/wrr.rules >$T/wrr-apply.rules
run lvs l "lvsadm --apply $T/wrr-apply.rules"
if [ "$(cat $T/l.rc)" != 0 ] && grep -q 'Scheduler or persistence engine not found' $T/l.err; then
    ok "scheduler module missing: lvsadm --apply reports the kernel's refusal (exit $(cat $T/l.rc))"
else
    bad "scheduler module missing: lvsadm --apply"; show l
fi
if cmp -s $T/before $T/l.state; then info "  lvsadm --apply left the table as it was"
else info "  lvsadm --apply left the table changed: $(tr '\n' ';' <$T/l.state)"; fi
mv $KMOD/ip_vs_wrr.ko.hidden $KMOD/ip_vs_wrr.ko
compare "control: scheduler module back: -A -s wrr" "ipvsadm -A -t 192.0.2.5:80 -s wrr" "$SETUP1"
expect "control: ip_vs_wrr was loaded on demand" grep -q '^ip_vs_wrr ' /proc/modules

# ------------------------------------------------------------ tiny receive buffer
# A large -R whose lines fail and succeed in a known pattern, with every
# receive buffer forced to the kernel's minimum (net.core.rmem_* and an
# LD_PRELOAD library that replaces SO_RCVBUF/SO_RCVBUFFORCE requests).
awk 'BEGIN {
    for (i = 0; i < 1000; i++) {
        v = "192.0.2." (i % 250 + 1) ":" (80 + int(i / 250))
        printf "-A -t %s -s rr\n", v
        if (i % 7 == 0) printf "-A -t %s -s rr\n", v                 # exists
        printf "-a -t %s -r 198.51.100.%d:80 -m\n", v, i % 200 + 1
        if (i % 5 == 0) printf "-a -t %s -r 198.51.100.%d:80 -m\n", v, i % 200 + 1  # exists
        if (i % 9 == 0) printf "-a -t 203.0.113.%d:81 -r 198.51.100.1 -m\n", i % 250 + 1  # no service
        if (i % 11 == 0) printf "-A -t 203.0.113.%d:82 -s nosuch\n", i % 250 + 1     # no scheduler
    }
}' >$T/big.rules
want_errors=$(awk 'BEGIN { n = 0; for (i = 0; i < 1000; i++) n += (i % 7 == 0) + (i % 5 == 0) + (i % 9 == 0) + (i % 11 == 0); print n }')
old_def=$(cat /proc/sys/net/core/rmem_default)
old_max=$(cat /proc/sys/net/core/rmem_max)
sysctl -q -w net.core.rmem_default=4096 net.core.rmem_max=4096
rm -f $T/tiny.*
# the log is tiny.ipvsadm or tiny.lvsadm, after the binary `ipvsadm` is
TINY="env LD_PRELOAD=/usr/local/lib/tiny-rcvbuf.so TINY_RCVBUF=4096 TINY_RCVBUF_LOG=$T/tiny.\$(basename \$(readlink -f \$(command -v ipvsadm)))"
compare "tiny receive buffer: -R of $(wc -l <$T/big.rules) lines, $want_errors refused" "$TINY ipvsadm -R <$T/big.rules"
expect "tiny receive buffer: one error line per refused line ($(wc -l <$T/l.err) lines)" [ "$(wc -l <$T/l.err)" = "$want_errors" ]
expect "tiny receive buffer: the table has every accepted line ($(grep -c . $T/l.state) rules)" \
    [ "$(grep -c . $T/l.state)" = 2000 ]
for t in lvsadm ipvsadm; do
    now=$(grep -o 'asked=[0-9]* forced=[0-9]* now=[0-9]*' $T/tiny.$t 2>/dev/null | sort | uniq -c | tr -s ' \n' '  ')
    expect "control: the receive buffer of $t's sockets really was tiny (count, request, result:$now)" \
        sh -c "grep -q 'now=' $T/tiny.$t && ! grep -q 'now=[0-9]\{5,\}' $T/tiny.$t"
done
compare "tiny receive buffer: -Ln of the result" "$TINY ipvsadm -Ln" "ipvsadm -R <$T/big.rules"
sysctl -q -w net.core.rmem_default="$old_def" net.core.rmem_max="$old_max"
$REF -C

# ------------------------------------------------------------ stdout closed or full
# ipvsadm does not check its writes: exit 0, the output lost. lvsadm says
# so and exits 1.
SETUP300="ipvsadm -A -t 192.0.2.1:80 -s rr; i=1; while [ \$i -le 300 ]; do echo \"-a -t 192.0.2.1:80 -r 198.51.100.\$((i % 250 + 1)):\$((1000 + i)) -m\"; i=\$((i + 1)); done | ipvsadm -R"
for c in '-Ln' '-Sn' '-h' '-Ln --stats' ; do
    for where in '>/dev/full' '>&-'; do
        case $where in *full) why='No space left on device' ;; *) why='Bad file descriptor' ;; esac
        reset "$SETUP300"
        run ref r "ipvsadm $c $where"
        run lvs l "ipvsadm $c $where"
        if [ "$(cat $T/r.rc)" = 0 ] && [ ! -s $T/r.err ]; then ref_says="ipvsadm: exit 0, no message"
        else ref_says="ipvsadm: exit $(cat $T/r.rc), $(head -n1 $T/r.err)"; fi
        if [ "$(cat $T/l.rc)" = 1 ] && [ "$(cat $T/l.err)" = "ipvsadm: write error on standard output: $why" ] &&
            cmp -s $T/r.state $T/l.state; then
            ok "stdout $where: ipvsadm $c: '$(cat $T/l.err)', exit 1 ($ref_says)"
        else
            bad "stdout $where: ipvsadm $c"; show l
        fi
    done
done
reset "$SETUP300"
run lvs l "lvsadm -Ln -j >/dev/full"
expect "stdout >/dev/full: lvsadm -Ln -j: message and exit 1" \
    [ "$(cat $T/l.rc):$(cat $T/l.err)" = "1:lvsadm: write error on standard output: No space left on device" ]
compare "stdout >/dev/full: a command without output succeeds" "ipvsadm -A -t 192.0.2.2:80 -s rr >/dev/full"
compare "stdout closed: a command without output succeeds" "ipvsadm -a -t 192.0.2.1:80 -r 198.51.100.1 -m >&-" "ipvsadm -A -t 192.0.2.1:80"
compare "control: -Ln to a working stdout" "ipvsadm -Ln" "$SETUP300"
$REF -C

# ------------------------------------------------------------ 100 MiB on -R
MIB100=104857600
# random bytes: the first line is not a command, so the restore ends there
# (ipvsadm's behaviour); a reader of the whole input first would hold it all
head -c $MIB100 /dev/urandom >$T/random
compare "100 MiB of random bytes on -R" "ipvsadm -R <$T/random"
rm -f $T/rss
bench-timer $T/rss $LVS -R <$T/random >/dev/null 2>&1
info "  lvsadm -R <100 MiB of random bytes: $(wall $T/rss) ms, max RSS $(rss $T/rss) KiB"
expect "100 MiB of random bytes: lvsadm's memory stays bounded (max RSS $(rss $T/rss) KiB < 32 MiB)" [ "$(rss $T/rss)" -lt 32768 ]
rm -f $T/random
# an endless stream: ipvsadm stops at the first line; so must lvsadm
run ref r "timeout 20 ipvsadm -R </dev/urandom"
run lvs l "timeout 20 ipvsadm -R </dev/urandom"
if [ "$(cat $T/l.rc)" = "$(cat $T/r.rc)" ] && [ "$(cat $T/l.rc)" != 143 ]; then
    ok "endless random input on -R: ends like ipvsadm (exit $(cat $T/l.rc))"
else
    bad "endless random input on -R: exit $(cat $T/l.rc), ipvsadm $(cat $T/r.rc) (143: stopped after 20 s)"
fi

# valid-looking lines: 4 KiB each (blanks inside; fewer lines keep the
# run short); one in 50 a real change (accepted, or refused by the kernel),
# the others a popt error on a later option, which ipvsadm reports and goes
# on from
awk -v size=$MIB100 'BEGIN {
    pad = sprintf("%4000s", "")
    n = 0; i = 0
    while (n < size) {
        if (i % 50 == 0) {
            k = i / 50
            if (k % 3 == 0) l = sprintf("-A -t 192.0.2.%d:%d -s rr", k % 250 + 1, 80 + int(k / 250) % 100)
            else l = sprintf("-a -t 192.0.2.%d:%d -r 198.51.100.%d:%d -m -w 2", k % 250 + 1, 80 + int(k / 250) % 100, k % 200 + 1, 1000 + k % 7)
        } else {
            l = sprintf("-a -t 192.0.2.%d:80 -r 198.51.100.%d:80 -m %s --wieght %d", i % 250 + 1, i % 200 + 1, pad, i % 100)
        }
        print l; n += length(l) + 1; i++
    }
}' >$T/valid
lines=$(wc -l <$T/valid)
reset ""
PATH=/opt/ref/bin:$PATH bench-timer $T/rref ipvsadm -R <$T/valid >$T/r.out 2>$T/r.err
echo $? >$T/r.rc; $REF -Sn >$T/r.state
reset ""
PATH=/opt/lvs/bin:$PATH bench-timer $T/rlvs ipvsadm -R <$T/valid >$T/l.out 2>$T/l.err
echo $? >$T/l.rc; $REF -Sn >$T/l.state
info "  100 MiB of valid-looking lines ($lines lines): ipvsadm $(wall $T/rref) ms, max RSS $(rss $T/rref) KiB; lvsadm $(wall $T/rlvs) ms, max RSS $(rss $T/rlvs) KiB"
d=
for x in out err rc state; do cmp -s "$T/r.$x" "$T/l.$x" || d="$d $x"; done
if [ -z "$d" ]; then
    ok "100 MiB of valid-looking lines on -R: as ipvsadm ($(wc -l <$T/l.err) error lines, $(grep -c . $T/l.state) rules, exit $(cat $T/l.rc))"
else
    bad "100 MiB of valid-looking lines on -R: differs from ipvsadm in:$d"
    for x in out err rc state; do cmp "$T/r.$x" "$T/l.$x" 2>&1 | head -n 2 | sed 's/^/    /'; done
fi
expect "100 MiB of valid-looking lines: one error line per refused line" \
    [ "$(wc -l <$T/l.err)" -ge $((lines - lines / 50)) ]
expect "100 MiB of valid-looking lines: lvsadm's memory stays bounded (max RSS $(rss $T/rlvs) KiB < 32 MiB)" \
    [ "$(rss $T/rlvs)" -lt 32768 ]
rm -f $T/valid $T/r.err $T/l.err
$REF -C

# ------------------------------------------------------------ a 1 MiB line
MIB=1048576
{ echo '-A -t 192.0.2.1:80 -s rr'; head -c $MIB /dev/zero | tr '\0' x; echo; echo '-A -t 192.0.2.2:80 -s rr'; } >$T/long1
{ echo '-A -t 192.0.2.1:80 -s rr'; printf -- '-A -t 192.0.2.3:80 -s rr'; head -c $MIB /dev/zero | tr '\0' ' '; echo ' --bogus'; echo '-A -t 192.0.2.2:80 -s rr'; } >$T/long2
{ echo '-A -t 192.0.2.1:80 -s rr'; printf -- '-a -t 192.0.2.1:80 -r 198.51.100.1 -m -w '; head -c $MIB /dev/zero | tr '\0' 7; echo; echo '-A -t 192.0.2.2:80 -s rr'; } >$T/long3
{ echo '-A -t 192.0.2.1:80 -s rr'; printf -- '-A -t 192.0.2.4:80 -s '; head -c $MIB /dev/zero | tr '\0' r; echo; echo '-A -t 192.0.2.2:80 -s rr'; } >$T/long4
compare "1 MiB line of 'x' on -R" "ipvsadm -R <$T/long1"
compare "1 MiB of blanks inside a line on -R" "ipvsadm -R <$T/long2"
compare "1 MiB weight on -R" "ipvsadm -R <$T/long3"
compare "1 MiB scheduler name on -R" "ipvsadm -R <$T/long4"
for f in long1 long3 long4; do
    reset ""
    run lvs l "lvsadm --apply $T/$f"
    if [ "$(cat $T/l.rc)" != 0 ] && [ -s $T/l.err ] && [ "$(wc -c <$T/l.err)" -lt 8192 ] && [ ! -s $T/l.state ]; then
        ok "1 MiB line in --apply ($f): refused before any change (exit $(cat $T/l.rc), $(wc -c <$T/l.err) bytes of message)"
    else
        bad "1 MiB line in --apply ($f)"; show l
    fi
done
rm -f $T/long*

# ------------------------------------------------------------ --apply of 200 000 rules
# 20 000 services with 9 real servers each, in -Sn's own format
awk 'BEGIN {
    for (s = 0; s < 20000; s++) {
        v = sprintf("192.0.2.%d:%d", s % 250 + 1, 1000 + int(s / 250))
        printf "-A -t %s -s wlc\n", v
        for (d = 1; d <= 9; d++) printf "-a -t %s -r 198.51.100.%d:80 -m -w 1\n", v, d
    }
}' >$T/200k.rules
reset ""
rm -f $T/ap
bench-timer $T/ap $LVS --apply $T/200k.rules >$T/l.out 2>$T/l.err
rc=$?
info "  lvsadm --apply of $(wc -l <$T/200k.rules) rules on an empty table: $(wall $T/ap) ms, max RSS $(rss $T/ap) KiB"
rss1=$(rss $T/ap)
expect "--apply of 200 000 rules: exit 0, nothing on stderr" [ "$rc:$(wc -c <$T/l.err)" = 0:0 ]
# (lvsadm's -Sn: ipvsadm's opens a socket per service, minutes for 20 000)
$LVS -Sn | sort >$T/got
sort $T/200k.rules >$T/want
expect "--apply of 200 000 rules: the table is exactly the file ($(wc -l <$T/got) rules)" cmp -s $T/got $T/want
bench-timer $T/ap $LVS --apply $T/200k.rules >$T/l.out 2>$T/l.err
rc=$?
info "  lvsadm --apply of the same file again (no change): $(wall $T/ap) ms, max RSS $(rss $T/ap) KiB"
expect "--apply again: exit 0, nothing on stderr" [ "$rc:$(wc -c <$T/l.err)" = 0:0 ]
rss2=$(rss $T/ap)
expect "--apply of 200 000 rules: memory bounded (max RSS $rss1 and $rss2 KiB < 256 MiB)" \
    [ "$((rss1 > rss2 ? rss1 : rss2))" -lt 262144 ]
$REF -C
rm -f $T/200k.rules $T/got $T/want

tap_done
