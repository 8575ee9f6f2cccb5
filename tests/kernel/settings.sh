#!/bin/sh
# The kernel's IPVS settings (run in the IPVS guest by tests/kernel/settings):
# lvsadm --sysctl lists every file of /proc/sys/net/ipv4/vs with its value,
# sets each one to another value and back (in the initial namespace and in
# another one, each without touching the other), and refuses bad values and
# unknown names without changing anything. Prints `ok - ...` / `FAIL - ...`
# lines and last `N passed, M failed`.
PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
. /job/tap.sh
W=/tmp/settings
rm -rf "$W"; mkdir -p "$W"
D=/proc/sys/net/ipv4/vs
info "kernel $(uname -r)"

# ------------------------------------------------------------ loading
# the guest's start loads ip_vs and the schedulers: unload them (the
# schedulers come back on demand when a service names one)
for m in $(ls /sys/module/ip_vs/holders 2>/dev/null); do rmmod "$m" 2>/dev/null; done
rmmod ip_vs 2>/dev/null
if [ -d $D ]; then
    info "ip_vs could not be unloaded ($(ls /sys/module/ip_vs/holders 2>/dev/null | tr '\n' ' ')): the loading check is left out"
    lvsadm --sysctl >"$W/list" 2>"$W/err"
else
    ok "control: ip_vs unloaded, $D missing"
    lvsadm --sysctl >"$W/list" 2>"$W/err"
    check "lvsadm --sysctl loads ip_vs and lists (exit $?, $(wc -l <"$W/list") lines; $(head -c 200 "$W/err"))" \
        sh -c "[ -d $D ] && [ -s '$W/list' ]"
fi
# the schedulers' own settings (lblc_expiration...) come with their modules
modprobe ip_vs_lblc; modprobe ip_vs_lblcr
lvsadm --sysctl >"$W/list"
ls $D >"$W/files"
awk '{ print $1 }' "$W/list" >"$W/listed"
same "every file of $D is listed, in order ($(wc -l <"$W/files") settings)" "$W/files" "$W/listed"
bad=
for f in $(cat "$W/files"); do
    want=$(cat $D/$f | tr -s '\t ' '  ')
    got=$(awk -v n="$f" '$1 == n { print $2 ($3 ~ /^[0-9]+$/ ? " " $3 : "") }' "$W/list")
    [ "$got" = "$want" ] || bad="$bad $f($got!=$want)"
done
check "each listed value is the kernel's${bad:+:$bad}" [ -z "$bad" ]
unknown=$(grep -c '(lvsadm does not know this setting)' "$W/list")
info "settings of this kernel lvsadm has no meaning for: $unknown" "$(grep '(lvsadm does not know' "$W/list")"
check "every setting has a one-line meaning" [ "$unknown" = 0 ]
lvsadm -j --sysctl >"$W/json"
n=$(grep -o '"name":"[a-z_0-9]*"' "$W/json" | wc -l)
check "-j lists them too ($n names, one line)" sh -c "[ $n = $(wc -l <"$W/files") ] && [ \$(wc -l <'$W/json') = 1 ] && grep -q '\"name\":\"expire_nodest_conn\",\"value\":\"0\",\"default\":\"0\",\"changed\":false' '$W/json'"

# ------------------------------------------------------------ round trips
# another value for each setting (what the kernel accepts and lvsadm too)
other() { # NAME CURRENT
    case $1 in
    am_droprate) echo 20 ;; amemthresh) echo 2048 ;;
    conn_reuse_mode) [ "$2" = 1 ] && echo 2 || echo 1 ;;
    drop_entry | drop_packet | secure_tcp) [ "$2" = 0 ] && echo 1 || echo 0 ;;
    est_nice) echo 5 ;; est_cpulist) echo 0 ;;
    lblc_expiration | lblcr_expiration) echo 3600 ;;
    sync_ports) [ "$2" = 1 ] && echo 2 || echo 1 ;;
    sync_qlen_max) echo 5000 ;; sync_refresh_period) echo 10 ;;
    sync_retries) echo 2 ;; sync_sock_size) echo 65536 ;;
    sync_threshold) echo 4,60 ;; debug_level) echo 1 ;;
    *) [ "$2" = 0 ] && echo 1 || echo 0 ;;
    esac
}
# roundtrip LABEL LVSADM-PREFIX NETNS-PREFIX: each setting to another value
# and back; the other namespace's settings stay as they were
roundtrip() {
    _bad= _n=0
    (cd $D && for f in *; do printf '%s=%s\n' "$f" "$(cat $f | tr -s '\t ' '  ')"; done) >"$W/init-before"
    for f in $(cat "$W/files"); do
        old=$($3 cat $D/$f | tr -s '\t ' '  ')
        new=$(other "$f" "$old")
        shown=$(echo "$new" | tr ',' ' ')
        $2 --sysctl "$f=$new" >"$W/out" 2>&1 || { _bad="$_bad $f(set: $(cat "$W/out"))"; continue; }
        now=$($3 cat $D/$f | tr -s '\t ' '  ')
        [ "$f" = est_cpulist ] || [ "$now" = "$shown" ] || _bad="$_bad $f(kernel shows $now, not $shown)"
        got=$($2 --sysctl "$f" | awk '{ print $2 ($3 ~ /^[0-9]+$/ ? " " $3 : "") }')
        [ "$got" = "$now" ] || _bad="$_bad $f(lvsadm shows $got, kernel $now)"
        $2 --sysctl "$f=$(echo "$old" | tr ' ' ',')" >"$W/out" 2>&1 || _bad="$_bad $f(back: $(cat "$W/out"))"
        back=$($3 cat $D/$f | tr -s '\t ' '  ')
        [ "$back" = "$old" ] || _bad="$_bad $f(back is $back, not $old)"
        _n=$((_n + 1))
    done
    check "$1: $_n settings set to another value and back with lvsadm --sysctl${_bad:+:$_bad}" [ -z "$_bad" ]
}
# a named namespace, its own ip_vs settings
ip netns add s1
roundtrip "initial namespace" "lvsadm" ""
ip netns exec s1 ls $D >"$W/files" 2>/dev/null
info "namespace s1 has $(wc -l <"$W/files") settings"
(cd $D && for f in *; do printf '%s=%s\n' "$f" "$(cat $f | tr -s '\t ' '  ')"; done) >"$W/init-before"
roundtrip "namespace s1 (--netns s1)" "lvsadm --netns s1" "ip netns exec s1"
lvsadm --netns s1 --sysctl expire_nodest_conn=1 sloppy_tcp=1 >"$W/out" 2>&1
(cd $D && for f in *; do printf '%s=%s\n' "$f" "$(cat $f | tr -s '\t ' '  ')"; done) >"$W/init-after"
same "settings made in s1 leave the initial namespace alone" "$W/init-before" "$W/init-after"
check "s1 has them ($(ip netns exec s1 cat $D/expire_nodest_conn $D/sloppy_tcp | tr '\n' ' '))" \
    [ "$(ip netns exec s1 cat $D/expire_nodest_conn $D/sloppy_tcp | tr '\n' ' ')" = "1 1 " ]
check "lvsadm --netns s1 --sysctl -j shows them" sh -c \
    "lvsadm --netns s1 -j --sysctl expire_nodest_conn | grep -q '\"value\":\"1\",\"default\":\"0\",\"changed\":true'"
check "the set command says what changed ($(cat "$W/out" | tr '\n' ' '))" \
    [ "$(cat "$W/out" | tr '\n' ' ')" = "expire_nodest_conn = 1 (was 0) sloppy_tcp = 1 (was 0) " ]
ls $D | grep -q est_nice && HAVE_EST=1 || HAVE_EST=0

# ------------------------------------------------------------ refusals
snap() { (cd $D && for f in *; do printf '%s=%s\n' "$f" "$(cat $f)"; done) >"$1"; }
# refused ARGS... : exit 1, a message naming the problem, nothing changed
refused() {
    _what=$1; shift
    snap "$W/before"
    lvsadm --sysctl "$@" >"$W/out" 2>"$W/err"; _rc=$?
    snap "$W/after"
    check "$_what: exit $_rc, '$(cat "$W/err")', nothing changed" \
        sh -c "[ $_rc = 1 ] && [ -s '$W/err' ] && [ ! -s '$W/out' ] && cmp -s '$W/before' '$W/after'"
}
refused "a bool set to 2" expire_nodest_conn=2
grep -q "invalid value \`2' for expire_nodest_conn: 0 or 1" "$W/err"
check "  its message says what the setting takes" [ $? = 0 ]
refused "sync_ports not a power of two" sync_ports=3
refused "sync_threshold with A >= B" sync_threshold=50,3
refused "not a number" pmtu_disc=yes
refused "a good value then a bad one (all or nothing)" expire_nodest_conn=1 sync_retries=9
refused "an unknown name" no_such_setting=1
grep -q "unknown IPVS setting \`no_such_setting'" "$W/err"
check "  its message says the name is unknown" [ $? = 0 ]
refused "a path for a name" ../../ipv4/ip_forward=1
refused "showing an unknown name" no_such_setting
if [ "$HAVE_EST" = 0 ]; then
    refused "est_nice on a kernel without it" est_nice=0
    grep -q "not in this kernel (it needs Linux 6.2)" "$W/err"
    check "  its message names what it needs" [ $? = 0 ]
else
    refused "est_nice out of range" est_nice=20
fi
# the control: the kernel itself takes what lvsadm refuses
echo 2 >$D/expire_nodest_conn 2>/dev/null
check "control: the kernel itself takes expire_nodest_conn=2 ($(cat $D/expire_nodest_conn))" [ "$(cat $D/expire_nodest_conn)" = 2 ]
echo 0 >$D/expire_nodest_conn
rc=0; lvsadm --sysctl -n >/dev/null 2>&1 || rc=$?
check "a stray option is a usage error (exit $rc)" [ $rc = 2 ]

# ------------------------------------------------------------ rule files
# a rule file with settings: --check, --apply --dry-run, --apply
cat >"$W/good.rules" <<'R'
# timeouts and settings with the table
--set 1800 90 240
--sysctl expire_nodest_conn=1 sync_threshold=4,60
lvsadm --sysctl conn_reuse_mode=2
-A -u 192.0.2.53:53 -s rr
-a -u 192.0.2.53:53 -r 198.51.100.1:53 -g -w 1
-a -u 192.0.2.53:53 -r 198.51.100.2:53 -g -w 1
R
out=$(lvsadm --check "$W/good.rules" 2>&1); rc=$?
check "--check: a file with --set and --sysctl lines is clean (exit $rc: $out)" \
    [ "$out" = "$W/good.rules: OK, 1 service, 2 destinations, 4 settings" ]
cat >"$W/bad.rules" <<'R'
--set 1800 90
--sysctl expire_nodest_conn=2
-A -u 192.0.2.53:53 -s rr
--sysctl no_such=1 sync_ports=3
R
lvsadm --check "$W/bad.rules" >"$W/out" 2>"$W/err"; rc=$?
info "$(cat "$W/err")"
check "--check: each bad settings line reported as FILE:LINE (exit $rc)" sh -c \
    "[ $rc = 1 ] && grep -q '^$W/bad.rules:1: ' '$W/err' && grep -q '^$W/bad.rules:2: invalid value .2. for expire_nodest_conn: 0 or 1' '$W/err' &&
     grep -q '^$W/bad.rules:4: unknown IPVS setting .no_such.' '$W/err' && grep -q '^$W/bad.rules:4: invalid value .3. for sync_ports' '$W/err' &&
     grep -q '4 problems' '$W/err'"
snap "$W/before"; lvsadm -L --timeout >"$W/t-before"
lvsadm --apply "$W/bad.rules" >/dev/null 2>&1; rc=$?
snap "$W/after"; lvsadm -L --timeout >"$W/t-after"
check "--apply of the bad file: exit $rc, no setting, timeout or service changed" sh -c \
    "[ $rc = 1 ] && cmp -s '$W/before' '$W/after' && cmp -s '$W/t-before' '$W/t-after' && [ -z \"\$(lvsadm -Sn)\" ]"
lvsadm --apply "$W/good.rules" --dry-run >"$W/out" 2>"$W/err"; rc=$?
snap "$W/after"
check "--apply --dry-run: the settings changes are part of the plan, nothing changed (exit $rc: $(cat "$W/out" | tr '\n' '|'))" sh -c \
    "[ $rc = 0 ] && head -3 '$W/out' | tr '\n' '|' | grep -qx -- '--set 1800 90 240|--sysctl expire_nodest_conn=1|--sysctl sync_threshold=4,60|' &&
     grep -qx -- '--sysctl conn_reuse_mode=2' '$W/out' && cmp -s '$W/before' '$W/after' && [ -z \"\$(lvsadm -Sn)\" ]"
lvsadm --apply "$W/good.rules" --verbose >"$W/out" 2>"$W/err"; rc=$?
check "--apply: timeouts, settings and table made (exit $rc; $(lvsadm -L --timeout))" sh -c \
    "[ $rc = 0 ] && lvsadm -L --timeout | grep -q ': 1800 90 240$' &&
     [ \"\$(cat $D/expire_nodest_conn $D/conn_reuse_mode | tr '\n' ' ')\" = '1 2 ' ] &&
     [ \"\$(lvsadm -Sn | wc -l)\" = 3 ]"
lvsadm --apply "$W/good.rules" --dry-run >"$W/out" 2>&1
check "--apply again: nothing left to change ($(head -1 "$W/out"))" sh -c "! grep -q -- '^--s' '$W/out'"
if [ "$HAVE_EST" = 0 ]; then
    printf '%s\n' '--sysctl est_nice=5' '-A -t 192.0.2.80:80 -s rr' >"$W/new.rules"
    snap "$W/before"
    lvsadm --apply "$W/new.rules" >/dev/null 2>"$W/err"; rc=$?
    snap "$W/after"
    check "--apply of a setting this kernel lacks: FILE:LINE, exit $rc, nothing changed ($(tr '\n' ' ' <"$W/err"))" sh -c \
        "[ $rc = 1 ] && grep -q 'new.rules:1: IPVS setting .est_nice. is not in this kernel' '$W/err' && cmp -s '$W/before' '$W/after' &&
         ! lvsadm -Sn | grep -q 192.0.2.80"
fi

# save -> apply in a fresh namespace restores timeouts, settings and table
lvsadm -A -t 192.0.2.80:80 -s wrr -p 600
lvsadm -a -t 192.0.2.80:80 -r 198.51.100.3:80 -m -w 3
lvsadm --sysctl sloppy_tcp=1 >/dev/null
lvsadm -S -n --settings >"$W/saved"
info "lvsadm -S -n --settings:" "$(cat "$W/saved")"
check "-S --settings starts with the --set line and the changed settings" sh -c \
    "head -1 '$W/saved' | grep -qx -- '--set 1800 90 240' && grep -qx -- '--sysctl sloppy_tcp=1' '$W/saved' &&
     grep -qx -- '--sysctl sync_threshold=4,60' '$W/saved' && ! grep -q 'pmtu_disc' '$W/saved'"
# a fresh namespace as a boot leaves it: lo up (the kernel refuses real
# servers while the namespace has no local routing table)
ip netns add s2 && ip -n s2 link set lo up
ip netns exec s2 lvsadm --apply "$W/saved" >"$W/out" 2>&1; rc=$?
info "$(cat "$W/out")"
changed() { lvsadm "$@" -j --sysctl | grep -o '"name":"[a-z_]*","value":"[^"]*","default":"[^"]*","changed":true'; }
changed >"$W/c-init"; changed --netns s2 >"$W/c-s2"
check "save -> --apply in a fresh namespace: exit $rc, $(wc -l <"$W/c-init") changed settings" [ $rc = 0 ]
same "  the same changed settings (--sysctl -j)" "$W/c-init" "$W/c-s2"
lvsadm -L --timeout >"$W/t1"; lvsadm --netns s2 -L --timeout >"$W/t2"
same "  the same timeouts (-L --timeout: $(cat "$W/t1"))" "$W/t1" "$W/t2"
lvsadm -Sn >"$W/s1"; lvsadm --netns s2 -Sn >"$W/s2"
same "  the same table (-Sn, $(wc -l <"$W/s1") lines)" "$W/s1" "$W/s2"
check "  control: a fresh namespace starts with the defaults (sloppy_tcp 0, other timeouts)" \
    sh -c "ip netns add s3 && ip -n s3 link set lo up && [ \$(ip netns exec s3 cat $D/sloppy_tcp) = 0 ] && ! ip netns exec s3 lvsadm -L --timeout | grep -q ': 1800 90 240'"
# ipvsadm -R still takes what plain -S writes
lvsadm -S -n | ip netns exec s3 ipvsadm -R; rc=$?
ip netns exec s3 lvsadm -Sn >"$W/s3"
check "ipvsadm -R takes plain lvsadm -S (exit $rc) and makes the same table" cmp -s "$W/s1" "$W/s3"

# --supervise makes the settings lines of its file too, at start and on
# SIGHUP (namespace s4, a real server without checks)
ip netns add s4 && ip -n s4 link set lo up
printf '%s\n' '--set 1700 0 0' '--sysctl sloppy_tcp=1' '-A -t 192.0.2.90:80 -s rr' '-a -t 192.0.2.90:80 -r 198.51.100.9:80 -m' >"$W/sup.rules"
ip netns exec s4 lvsadm --supervise "$W/sup.rules" --state-dir "$W/sup-state" 2>"$W/sup.err" &
SUP=$!
i=0; while [ $i -lt 50 ] && ! ip netns exec s4 lvsadm -Sn | grep -q 198.51.100.9; do sleep 0.1; i=$((i + 1)); done
check "--supervise: the file's --set and --sysctl lines made at start ($(lvsadm --netns s4 -L --timeout), sloppy_tcp $(ip netns exec s4 cat /proc/sys/net/ipv4/vs/sloppy_tcp))" sh -c \
    "lvsadm --netns s4 -L --timeout | grep -q ': 1700 120 300$' && [ \$(ip netns exec s4 cat /proc/sys/net/ipv4/vs/sloppy_tcp) = 1 ] && grep -q 'setting: --sysctl sloppy_tcp=1' '$W/sup.err'" ||
    info "$(cat "$W/sup.err")"
sed -i 's/sloppy_tcp=1/sloppy_tcp=0 expire_nodest_conn=1/' "$W/sup.rules"
kill -HUP $SUP
i=0; while [ $i -lt 50 ] && ! grep -q reloaded "$W/sup.err"; do sleep 0.1; i=$((i + 1)); done
check "  and again on SIGHUP (sloppy_tcp $(ip netns exec s4 cat /proc/sys/net/ipv4/vs/sloppy_tcp), expire_nodest_conn $(ip netns exec s4 cat /proc/sys/net/ipv4/vs/expire_nodest_conn))" sh -c \
    "[ \$(ip netns exec s4 cat /proc/sys/net/ipv4/vs/sloppy_tcp) = 0 ] && [ \$(ip netns exec s4 cat /proc/sys/net/ipv4/vs/expire_nodest_conn) = 1 ]" ||
    info "$(cat "$W/sup.err")"
# a setting the file gets wrong on reload: the running configuration and the settings stay
sed -i 's/expire_nodest_conn=1/expire_nodest_conn=2/' "$W/sup.rules"
kill -HUP $SUP
i=0; while [ $i -lt 50 ] && ! grep -q 'running configuration stays' "$W/sup.err"; do sleep 0.1; i=$((i + 1)); done
check "  a bad setting on SIGHUP: refused, the settings stay (expire_nodest_conn $(ip netns exec s4 cat /proc/sys/net/ipv4/vs/expire_nodest_conn))" sh -c \
    "grep -q 'running configuration stays' '$W/sup.err' && [ \$(ip netns exec s4 cat /proc/sys/net/ipv4/vs/expire_nodest_conn) = 1 ]" ||
    info "$(cat "$W/sup.err")"
kill $SUP; wait $SUP 2>/dev/null

# ------------------------------------------------------------ --doctor
# the direct-routing LAN of ops.sh (cl1, dir, rs1..rs3 on one bridge, VIP
# 192.0.2.80 on dir's eth0 and on the real servers' lo, ARP hidden there),
# plus a NAT path (ncl -- ndir -- nrs); each trap set, named by --doctor,
# shown to lose the client's connection, fixed with the command --doctor
# printed, then clean and working again
. /job/topology.sh
sysctl -q -w net.core.fb_tunnels_only_for_init_net=0
modprobe ipip
dr_lan "$W" 192.0.2.80 || bad "dr_lan"
# rs1 serves a tunnelling director too: its tunl0 is up
ip -n rs1 link set tunl0 up
Ld() { ip netns exec dir lvsadm "$@"; }
Ld -A -t 192.0.2.80:80 -s rr && Ld -a -t 192.0.2.80:80 -r 192.0.2.11:80 -g
# get ADDR: R = the first line the client reads (empty when nothing comes)
get() { R=$(echo once | ip netns exec cl1 timeout 5 nc "$1" 80 2>/dev/null | head -n1); }
# doc LABEL NS ARGS...: D = --doctor's output, DRC its exit status
doc() { _ns=$1; shift; D=$(ip netns exec "$_ns" lvsadm --doctor "$@" 2>&1); DRC=$?; }
# fix: run the fix line(s) of the finding NAME in D, in namespace NS
fixit() { # NS NAME
    _cmd=$(printf '%s\n' "$D" | awk -v n="PROBLEM $2:" 'index($0, n) == 1 { f = 1; next } f && /^  fix: / { sub(/^  fix: /, ""); print; exit }')
    info "fix for $2 in $1: $_cmd"
    ip netns exec "$1" sh -c "$_cmd"
}
# trap_case NS NAME DOCTOR-ARGS -- ADDR: the finding is named (exit 1),
# the client gets nothing, the printed fix makes it clean and working
trap_case() {
    _ns=$1 _name=$2 _addr=$3; shift 3
    doc "$_ns" "$@"
    check "--doctor $* in $_ns names $_name (exit $DRC)" sh -c "[ $DRC = 1 ] && printf '%s\n' \"\$0\" | grep -q '^PROBLEM $_name: '" "$D" ||
        info "$D"
    get "$_addr"
    check "  $_name: the client gets no answer ($R)" [ -z "$R" ]
    fixit "$_ns" "$_name"
    doc "$_ns" "$@"
    get "$_addr"
    check "  $_name fixed with the printed command: --doctor clean (exit $DRC) and the client answered ($R)" \
        sh -c "[ $DRC = 0 ] && [ '$R' = rs1 ]" || info "$D"
}
doc dir
check "--doctor on a right director: exit 0, 'no problems found' ($DRC: $D)" sh -c "[ $DRC = 0 ] && [ '$D' = 'no problems found' ]"
doc rs1 --real-server 192.0.2.80
check "--doctor --real-server on a right real server: exit 0 ($D)" [ "$DRC" = 0 ]
get 192.0.2.80
check "control: the client is answered by rs1 ($R)" [ "$R" = rs1 ]
# a VIP not on the director
ip -n dir addr del 192.0.2.80/32 dev eth0
trap_case dir vip-not-on-director 192.0.2.80
# DR real server without the VIP
ip -n rs1 addr del 192.0.2.80/32 dev lo
trap_case rs1 vip-not-on-lo 192.0.2.80 --real-server 192.0.2.80
# DR real server answering ARP: named (its traffic effect depends on which
# ARP reply the client keeps, so it is not measured)
nsx rs1 sh -c 'cd /proc/sys/net/ipv4/conf && echo 0 >all/arp_ignore && echo 0 >all/arp_announce && echo 0 >lo/arp_ignore && echo 0 >lo/arp_announce'
doc rs1 --real-server 192.0.2.80
check "--doctor --real-server names arp-not-hidden (exit $DRC)" sh -c "[ $DRC = 1 ] && printf '%s\n' \"\$0\" | grep -q '^PROBLEM arp-not-hidden: '" "$D"
# arp_macs NS VIP: the MACs that answer a broadcast ARP request for VIP
arp_macs() {
    nsx "$1" ip neigh flush dev eth0 >/dev/null 2>&1
    nsx "$1" arping -b -c 2 -w 3 -I eth0 "$2" 2>/dev/null |
        sed -n 's/.*reply from [0-9.]* \[\([0-9a-f:]*\)\].*/\1/p' | sort -u | tr '\n' ' '
}
m_dir=$(nsx dir cat /sys/class/net/eth0/address) m_rs1=$(nsx rs1 cat /sys/class/net/eth0/address)
got=$(arp_macs cl1 192.0.2.80)
check "  arp-not-hidden: rs1 answers the client's ARP request for the VIP too, the LAN's traffic for it can bypass the director (replies from: $got; dir $m_dir, rs1 $m_rs1)" \
    sh -c "echo '$got' | grep -q '$m_rs1'"
fixit rs1 arp-not-hidden
doc rs1 --real-server 192.0.2.80
got=$(arp_macs cl1 192.0.2.80)
get 192.0.2.80
check "  arp-not-hidden fixed: clean (exit $DRC), only the director answers ARP ($got), the client answered ($R)" \
    sh -c "[ $DRC = 0 ] && [ '$got' = '$m_dir ' ] && [ '$R' = rs1 ]"
# TUN: tunl0 down, then strict rp_filter on it
Ld -A -t 192.0.2.82:80 -s rr && Ld -a -t 192.0.2.82:80 -r 192.0.2.11:80 -i
ip -n dir addr add 192.0.2.82/32 dev eth0
ip -n rs1 addr add 192.0.2.82/32 dev lo
ip -n rs1 link set tunl0 down
trap_case rs1 tunl0-down 192.0.2.82 --real-server 192.0.2.82
nsx rs1 sysctl -q -w net.ipv4.conf.all.rp_filter=1 net.ipv4.conf.tunl0.rp_filter=1
trap_case rs1 rp-filter-on-tunl0 192.0.2.82 --real-server 192.0.2.82
# TUN: a full-size packet has no room for the IP-in-IP header on the way
# to rs1 (every interface at MTU 1500)
doc dir
check "--doctor names tunnel-mtu (exit $DRC)" sh -c "[ $DRC = 1 ] && printf '%s\n' \"\$0\" | grep -q '^PROBLEM tunnel-mtu: tunnelling real server 192.0.2.11 of -t 192.0.2.82:80 is reached via eth0 (MTU 1500); a 1500-byte packet from eth0 needs 1520'" "$D" ||
    info "$D"
# big: R = the last line the client reads after a 20000-byte line and `once'
big() { R=$( (head -c 20000 /dev/zero | tr '\0' x; echo; echo once) | ip netns exec cl1 timeout 5 nc 192.0.2.82 80 2>/dev/null | tail -n1); }
# the director drops the client's full-size packets and answers ICMP
# 'fragmentation needed': the client's route to the VIP learns a smaller
# MTU (where that ICMP is filtered, the request hangs instead). The client
# sends one segment per packet, as a client on a real wire does (a veth
# hands over 64 KiB GSO packets, which IPVS leaves to the segmentation)
ip -n cl1 link set eth0 gso_max_segs 1 || info "cannot set gso_max_segs on cl1"
nsx cl1 ip route flush cache
icmp() { nsx dir awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == "OutDestUnreachs") c = i; h = 1 } else print $c }' /proc/net/snmp; }
i0=$(icmp)
big
pm=$(ip -n cl1 route get 192.0.2.82 | grep -o 'mtu [0-9]*')
info "the director sent $(($(icmp) - i0)) ICMP destination-unreachable messages"
check "  tunnel-mtu: the client's full-size packets are dropped with 'fragmentation needed' ($pm learnt for the VIP, then answered: $R)" [ "$pm" = "mtu 1480" ]
# the printed fix (its first command), and the same MTU on the way (the
# bridge ports and rs1's end), as the fix says
_cmd=$(printf '%s\n' "$D" | awk '/^PROBLEM tunnel-mtu:/ { f = 1; next } f && /^  fix: / { sub(/^  fix: /, ""); sub(/ \(.*/, ""); print; exit }')
info "fix for tunnel-mtu in dir: $_cmd"
ip netns exec dir sh -c "$_cmd" && ip -n sw link set p2 mtu 1520 && ip -n sw link set p3 mtu 1520 && ip -n rs1 link set eth0 mtu 1520
doc dir
nsx cl1 ip route flush cache
big
pm=$(ip -n cl1 route get 192.0.2.82 | grep -o 'mtu [0-9]*')
check "  tunnel-mtu fixed with the printed MTU: --doctor clean (exit $DRC) the large request answered ($R) with no smaller MTU learnt ($pm)" \
    sh -c "[ $DRC = 0 ] && [ '$R' = 'rs1 once' ] && [ -z '$pm' ]" || info "$D"
# NAT without forwarding
mkns ncl ndir nrs
veth ncl eth0 ndir ext && veth ndir int nrs eth0
ip -n ncl addr add 203.0.113.100/24 dev eth0 && ip -n ndir addr add 203.0.113.1/24 dev ext
ip -n ndir addr add 203.0.113.80/32 dev ext
ip -n ndir addr add 198.51.100.1/24 dev int && ip -n nrs addr add 198.51.100.11/24 dev eth0
ip -n nrs route add default via 198.51.100.1
nsx nrs nc -ll -p 80 -e "$W/srv-rs1" </dev/null >/dev/null 2>&1 &
ip netns exec ndir lvsadm -A -t 203.0.113.80:80 -s rr && ip netns exec ndir lvsadm -a -t 203.0.113.80:80 -r 198.51.100.11:80 -m
nsx ndir sysctl -q -w net.ipv4.ip_forward=0
getn() { R=$(echo once | ip netns exec ncl timeout 5 nc 203.0.113.80 80 2>/dev/null | head -n1); }
doc ndir
check "--doctor names nat-without-forwarding (exit $DRC)" sh -c "[ $DRC = 1 ] && printf '%s\n' \"\$0\" | grep -q '^PROBLEM nat-without-forwarding: '" "$D"
getn
check "  nat-without-forwarding: the client gets no answer ($R)" [ -z "$R" ]
fixit ndir nat-without-forwarding
doc ndir; getn
check "  nat-without-forwarding fixed: clean (exit $DRC) and the client answered ($R)" sh -c "[ $DRC = 0 ] && [ '$R' = rs1 ]"
# NAT: the real server's default route goes to another router
ip -n nrs route replace default via 198.51.100.254
doc ndir
check "--doctor names nat-route-bypasses-director (exit $DRC)" sh -c "[ $DRC = 1 ] && printf '%s\n' \"\$0\" | grep -q '^PROBLEM nat-route-bypasses-director: NAT real server 198.51.100.11 of -t 203.0.113.80:80 (namespace nrs): its default route is via 198.51.100.254'" "$D" ||
    info "$D"
getn
check "  nat-route-bypasses-director: the client gets no answer ($R)" [ -z "$R" ]
fixit ndir nat-route-bypasses-director
doc ndir; getn
check "  nat-route-bypasses-director fixed with the printed command: clean (exit $DRC), default route $(ip -n nrs route show default | tr -s ' '), the client answered ($R)" \
    sh -c "[ $DRC = 0 ] && [ '$R' = rs1 ]" || info "$D"
# NAT: the default route is right, but the clients' network has a route
# of its own via another router; the client's attempt leaves a connection
# entry, through which --doctor finds the client
ip -n nrs route add 203.0.113.0/24 via 198.51.100.254
getn
check "  a route of its own to the clients' network: the client gets no answer ($R)" [ -z "$R" ]
doc ndir
check "--doctor names nat-route-bypasses-director for the client's route (exit $DRC)" sh -c "[ $DRC = 1 ] && printf '%s\n' \"\$0\" | grep -q '^PROBLEM nat-route-bypasses-director: .*its route to the client 203.0.113.100 of a current connection is via 198.51.100.254'" "$D" ||
    info "$D"
_cmd=$(printf '%s\n' "$D" | awk '/^PROBLEM nat-route-bypasses-director:/ { f = 1; next } f && /^  fix: / { sub(/^  fix: /, ""); sub(/   \(.*/, ""); print; exit }')
info "fix for nat-route-bypasses-director in ndir: $_cmd"
ip netns exec ndir sh -c "$_cmd"
doc ndir; getn
check "  fixed with the printed route: clean (exit $DRC), the client answered ($R)" sh -c "[ $DRC = 0 ] && [ '$R' = rs1 ]" || info "$D"
ip -n nrs route del 203.0.113.0/24 via 198.51.100.254
# conn_reuse_mode=0 (the cure for kernels before 5.9) on this kernel:
# named and fixed (its effect, a reused client port sent to the old real
# server, needs a client that picks its source port, which busybox nc
# cannot)
ip netns exec ndir lvsadm --sysctl conn_reuse_mode=0 >/dev/null
doc ndir
case $(uname -r) in
[0-4].* | 5.[0-8].* | 5.[0-8]-*) want=0 ;;
*) want=1 ;;
esac
if [ $want = 1 ]; then
    check "--doctor names conn-reuse-off on Linux $(uname -r) (exit $DRC)" sh -c "[ $DRC = 1 ] && printf '%s\n' \"\$0\" | grep -q '^PROBLEM conn-reuse-off: conn_reuse_mode=0 on Linux'" "$D" || info "$D"
    fixit ndir conn-reuse-off
    doc ndir
    check "  conn-reuse-off fixed: clean (exit $DRC), conn_reuse_mode $(ip netns exec ndir cat /proc/sys/net/ipv4/vs/conn_reuse_mode)" [ "$DRC" = 0 ]
else
    check "--doctor: conn_reuse_mode=0 is no problem on Linux $(uname -r) (exit $DRC)" [ "$DRC" = 0 ]
fi
# the table traps, named only (no packet is lost: they are mistakes of intent)
Ld -A -t 192.0.2.80:443 -s sh -p 60
ip netns exec dir lvsadm -a -t 192.0.2.80:443 -r 192.0.2.12:443 -g -w 0
ip link add sx0 netns dir type dummy && ip -n dir link set sx0 up
Ld --start-daemon master --mcast-interface sx0 --syncid 7
ip -n dir link del sx0
doc dir
info "$D"
check "--doctor names persistence-with-hashing" sh -c "printf '%s\n' \"\$0\" | grep -q '^PROBLEM persistence-with-hashing: -t 192.0.2.80:443 is persistent'" "$D"
check "--doctor names weight-0-idle" sh -c "printf '%s\n' \"\$0\" | grep -q '^PROBLEM weight-0-idle: -t 192.0.2.80:443 -r 192.0.2.12:443 has weight 0'" "$D"
if Ld -L --daemon | grep -q sx0; then
    check "--doctor names sync-daemon-interface-missing (its interface deleted)" sh -c "printf '%s\n' \"\$0\" | grep -q '^PROBLEM sync-daemon-interface-missing: '" "$D"
else
    info "the kernel stopped the sync daemon with its interface: sync-daemon-interface-missing not exercised"
fi
Ld --stop-daemon master
dsnap() { ip netns exec dir sh -c 'cat /proc/sys/net/ipv4/vs/* /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/conf/*/arp_* /proc/sys/net/ipv4/conf/*/rp_filter; lvsadm -Sn; lvsadm -L --timeout; ip addr' >"$1" 2>&1; }
dsnap "$W/before"
doc dir
dsnap "$W/after"
check "--doctor changes nothing (table, timeouts, IPVS and interface sysctls, addresses: $(wc -l <"$W/before") lines compared)" cmp -s "$W/before" "$W/after"

info "guest time: $(cut -d' ' -f1 /proc/uptime) s uptime at the end"
tap_done
