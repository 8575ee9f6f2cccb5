#!/bin/sh
# lvsadm --top with real traffic, run in the IPVS test guest by
# tests/kernel/top. The view runs in a tmux pane (100x30, then resized to
# 80x24); keys go in with `tmux send-keys`, the screen comes out with
# `tmux capture-pane -p`.
#
# Topology: tests/kernel/topology.sh's dr_lan (client cl1 .100, director
# dir .2 with the VIP .1, real servers rs1..rs3 .11..13, direct routing).
# Table: TCP VIP:80 (rr: rs1 and rs2 weight 1, rs3 weight 0) with two
# long-lived connections, UDP VIP:53 (rs1, rs2) fed by datagram streams
# from cl1, each one datagram every 0.1 s from bash's /dev/udp (with
# direct routing the director sees the client's packets only).
#
# Output: `ok - ...` / `FAIL - ...` per check, `# ...` information (the
# captured screens among it), and last `N passed, M failed`.
PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
umask 022

. /job/tap.sh
. /job/topology.sh

W=/tmp/top
rm -rf "$W"; mkdir -p "$W"
V=192.0.2.1
lv() { nsx dir lvsadm "$@"; }
# the tmux of the test, its own server socket
tm() { LC_ALL=C.UTF-8 tmux -u -S "$W/tmux.sock" "$@"; }
screen() { tm capture-pane -p -t top; }
show() { info "screen ($1):"; screen | sed 's/^/    /' | sed 's/^/# /'; }
# the PPS column of the service PROTO ADDR:PORT on the screen
pps() { screen | awk -v p="$1" -v a="$2" '($1 == "-" || $1 == "+") && $2 == p && $3 == a { print $8; exit }'; }
# a number as shown (9.8, 120, 1.2K) in plain units, in tenths
tenths() {
    awk -v v="$1" 'BEGIN {
        m = 1
        if (v ~ /K$/) { m = 1000; sub(/K$/, "", v) }
        if (v !~ /^[0-9.]+$/) { print -1; exit }
        printf "%d\n", v * m * 10 + 0.5 }'
}
# wait_screen TEXT SECS: until the screen shows TEXT
wait_screen() {
    _i=0
    while ! screen | grep -qF -- "$1" && [ $_i -lt $(($2 * 10)) ]; do sleep 0.1; _i=$((_i + 1)); done
    screen | grep -qF -- "$1"
}

# ------------------------------------------------------------------ setup
modprobe bridge || bad "modprobe bridge"
setup() {
    dr_lan "$W" "$V" || return 1
    lv -A -t $V:80 -s rr &&
        lv -a -t $V:80 -r 192.0.2.11 -g -w 1 &&
        lv -a -t $V:80 -r 192.0.2.12 -g -w 1 &&
        lv -a -t $V:80 -r 192.0.2.13 -g -w 0 &&
        lv -A -u $V:53 -s rr &&
        lv -a -u $V:53 -r 192.0.2.11 -g -w 1 &&
        lv -a -u $V:53 -r 192.0.2.12 -g -w 1 || return 1
    sleep 1
}
check "topology and table: dr_lan, TCP $V:80 (rs3 at weight 0), UDP $V:53" setup || { tap_done; exit 1; }

# two long-lived TCP connections (to rs1 and rs2)
for n in 1 2; do
    : >"$W/L$n.in"
    nsx cl1 sh -c "tail -f $W/L$n.in | nc $V 80 >$W/L$n.out" >/dev/null 2>&1 &
done
# stream N: one UDP datagram every 0.1 s to $V:53 from cl1; bash waits
# with `read -t` on a FIFO nobody writes (no process per datagram, so two
# streams on the guest's one CPU send twice as much as one)
mkfifo "$W/never"
stream() {
    nsx cl1 bash -c "exec 3>/dev/udp/$V/53 4<>$W/never; while :; do echo x >&3; read -r -t 0.1 -u 4 _; done" >/dev/null 2>&1 &
    echo $! >"$W/stream$1.pid"
}
# column N of the UDP service's exact counters (3: connections, each
# stream one; 4: packets in)
udp_col() { lv -Ln --stats --exact -u $V:53 | awk -v c="$1" '$1 == "UDP" { print $c }'; }
udp_conns() { udp_col 3; }
stop_stream() { kill "$(cat "$W/stream$1.pid")" 2>/dev/null; pkill -f "dev/udp/$V/53" 2>/dev/null; }
stream 1
sleep 2
info "table: $(lv -Ln | tr '\n' '|')"

# ------------------------------------------------------------ not a terminal
lv --top </dev/null >"$W/nt.out" 2>"$W/nt.err"
rc=$?
check "not a terminal: exit status 1 ($rc)" [ "$rc" = 1 ]
check "not a terminal: the message suggests -Ln --rate and --metrics ($(cat "$W/nt.err"))" \
    sh -c "grep -q -- '--top needs a terminal' '$W/nt.err' && grep -q -- '-Ln --rate' '$W/nt.err' && grep -q -- '--metrics' '$W/nt.err'"
check "not a terminal: nothing on standard output" [ ! -s "$W/nt.out" ]

# ------------------------------------------------------------ the view
cat >"$W/pane" <<EOF
#!/bin/sh
stty -a >$W/stty.before
lvsadm --netns dir --top --interval 2
echo \$? >$W/rc
stty -a >$W/stty.after
echo LEFT-THE-VIEW
exec sleep 600
EOF
chmod 755 "$W/pane"
export TERM=screen
# The kernel adds its per-CPU counters into the totals a read returns only
# at its estimator's two-second tick, and the view refreshes every 2 s: a
# refresh next to a tick can see no tick in one interval and two in the
# next (docs/top.md, known problem; once seen as 9 then 0 packets a second
# here). The view starts a second after the UDP counter moved, so that its
# refreshes fall between ticks and the rate checks below test the rates,
# not that phase.
_c=$(udp_col 4) _i=0
while [ "$(udp_col 4)" = "$_c" ] && [ $_i -lt 30 ]; do sleep 0.1; _i=$((_i + 1)); done
info "the UDP counter moved after $_i tenths of a second; the view starts 1 s later"
sleep 1
tm new-session -d -s top -x 100 -y 30 "$W/pane"
check "the view comes up in a 100x30 pane" wait_screen "lvsadm --top" 20
sleep 5
show "100x30, one UDP stream"
screen >"$W/s1"
s=$(cat "$W/s1")
check "services on screen: TCP $V:80 and UDP $V:53" \
    sh -c "grep -q '^- TCP  $V:80 ' '$W/s1' && grep -q '^- UDP  $V:53 ' '$W/s1'"
check "real servers on screen: 192.0.2.11:80, 192.0.2.12:80, 192.0.2.11:53" \
    sh -c "for r in 192.0.2.11:80 192.0.2.12:80 192.0.2.11:53; do grep -q \"^  -> \$r \" '$W/s1' || exit 1; done"
# the two long-lived connections: ActConn 2 on the TCP service
act=$(printf '%s\n' "$s" | awk -v a="$V:80" '$2 == "TCP" && $3 == a { print $5 }')
check "the TCP service shows its 2 active connections ($act)" [ "$act" = 2 ]
# weight 0 apart: rs3 after the heading, rs1 and rs2 before it
apart=$(printf '%s\n' "$s" | awk '/weight 0 or out of service:/ { h = NR } /^  -> 192.0.2.1[123]:80 / { print ($0 ~ /192.0.2.13:80/ ? "rs3" : "rs"), (h ? "after" : "before") }' | tr '\n' ' ')
check "weight 0 apart: rs3 after the heading, rs1 and rs2 before it ($apart)" [ "$apart" = "rs before rs before rs3 after " ]
# the control: the same test on a screen where rs3 is not apart fails
ctl=$(printf '%s\n' "$s" | sed '/weight 0 or out of service:/d' | awk '/weight 0 or out of service:/ { h = NR } /^  -> 192.0.2.1[123]:80 / { print ($0 ~ /192.0.2.13:80/ ? "rs3" : "rs"), (h ? "after" : "before") }' | tr '\n' ' ')
check "control: without the heading the weight-0 check fails ($ctl)" sh -c "[ -n '$ctl' ] && [ '$ctl' != 'rs before rs before rs3 after ' ]"

# ------------------------------------------------------------ rates
r1=$(pps UDP $V:53); sleep 2; r1b=$(pps UDP $V:53)
c0=$(udp_conns)
stream 2
# from the second stream's first datagram (a new connection), two
# refreshes (2 s each): the shown rate has doubled
_i=0
while [ "$(udp_conns)" = "$c0" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
info "second stream's first datagram after $_i tenths of a second"
sleep 4.3
r2=$(pps UDP $V:53)
show "two UDP streams"
kern=$(lv -Ln --rate -u $V:53 | awk '$1 == "UDP" { print $4 }')
info "UDP $V:53 PPS shown: one stream $r1 then $r1b, two streams $r2; the kernel's own --rate estimate now: InPPS $kern"
t1=$(tenths "$r1b") t2=$(tenths "$r2") t0=$(tenths "$r1")
# doubled A B: B is 1.6 to 2.4 times A (both in tenths, A > 0)
doubled() { [ "$1" -gt 0 ] && [ $(($2 * 10)) -ge $(($1 * 16)) ] && [ $(($2 * 10)) -le $(($1 * 24)) ]; }
check "one stream: a rate is shown (${r1b}/s, want 3 to 11)" sh -c "[ '$t1' -ge 30 ] && [ '$t1' -le 110 ]"
check "two streams: the shown rate doubles within two refreshes ($r1b -> $r2, want x1.6 to x2.4)" doubled "$t1" "$t2"
check "control: two reads of one stream are not a doubling ($r1 -> $r1b)" sh -c "[ $t0 -gt 0 ] && [ $t1 -gt 0 ] && [ $((t1 * 10)) -lt $((t0 * 16)) ]"
stop_stream 2

# ------------------------------------------------------------ sort keys
first() { screen | awk '$1 == "-" || $1 == "+" { print $2; exit }'; }
f0=$(first)
check "sort by name: TCP first (as -Ln) ($f0)" [ "$f0" = TCP ]
tm send-keys -t top p
sleep 0.5
f1=$(first)
check "key p sorts by packets, largest first: UDP first ($f1)" [ "$f1" = UDP ]
screen >"$W/s-p"
check "the PPS title is marked" grep -q 'PPS↓' "$W/s-p"
tm send-keys -t top p
sleep 0.5
check "p again reverses: TCP first ($(first))" [ "$(first)" = TCP ]
tm send-keys -t top n
sleep 0.5

# ------------------------------------------------------------ filter
tm send-keys -t top / 1 9 2 . 0 . 2 . 1 3 Enter
sleep 0.5
show "filter 192.0.2.13"
screen >"$W/s2"
check "filter 192.0.2.13: its service and it alone" \
    sh -c "grep -q '^  -> 192.0.2.13:80 ' '$W/s2' && ! grep -q -e '192.0.2.11' -e '^- UDP' '$W/s2'"
check "filter shown in the header" sh -c "head -n 1 '$W/s2' | grep -q 'filter \"192.0.2.13\"'"
tm send-keys -t top Escape
sleep 0.5
screen >"$W/s-esc"
check "Esc clears the filter: UDP back" grep -q "^- UDP  $V:53 " "$W/s-esc"

# ------------------------------------------------------------ collapse
tm send-keys -t top Home Enter
sleep 0.5
screen >"$W/s3"
check "Enter collapses the selected service" \
    sh -c "grep -q '^+ TCP  $V:80 ' '$W/s3' && ! grep -q '^  -> 192.0.2.12:80 ' '$W/s3'"
tm send-keys -t top Enter
sleep 0.5

# ------------------------------------------------------------ pause
tm send-keys -t top Space
sleep 0.5
screen >"$W/s-pause"
check "space pauses" sh -c "head -n 1 '$W/s-pause' | grep -q PAUSED"
tm send-keys -t top Space
sleep 0.5

# ------------------------------------------------------------ resize
screen | sed -n 2p >"$W/wide"
tm resize-window -t top -x 80 -y 24
sleep 1
show "after resizing to 80x24"
screen | sed -n 2p >"$W/narrow"
# columns: each non-ASCII character on screen (arrows, bars) is 3 bytes
longest=$(screen | LC_ALL=C sed 's/[^ -~][^ -~][^ -~]/x/g' | LC_ALL=C awk '{ n = length($0); if (n > m) m = n } END { print m + 0 }')
check "resize redraws: the titles follow the width ($(cat "$W/narrow"))" \
    sh -c "grep -q 'last minute' '$W/wide' && ! grep -q 'last minute' '$W/narrow' && grep -q 'PPS' '$W/narrow'"
check "at 80x24 no line is wider than 80 and the widest fills it ($longest)" [ "$longest" = 80 ]
screen >"$W/s-80"
check "at 80x24 the services are still there" grep -q "^- UDP  $V:53 " "$W/s-80"

# ------------------------------------------------------------ q
tm send-keys -t top q
check "q leaves the view" wait_screen LEFT-THE-VIEW 10
check "exit status 0 after q ($(cat "$W/rc" 2>/dev/null))" [ "$(cat "$W/rc" 2>/dev/null)" = 0 ]
# the test resized the window meanwhile: rows and columns aside
sed 's/rows [0-9]*; columns [0-9]*;//' "$W/stty.before" >"$W/stty.before.n"
sed 's/rows [0-9]*; columns [0-9]*;//' "$W/stty.after" >"$W/stty.after.n"
same "q: stty -a after equals stty -a before (but the size the test changed)" "$W/stty.before.n" "$W/stty.after.n"
tm kill-server

# ------------------------------------------------------------ SIGTERM
cat >"$W/pane2" <<EOF
#!/bin/sh
stty -a >$W/stty2.before
echo BEFORE-THE-VIEW
# a background job's standard input is /dev/null unless given: the pane's
exec 3<&0
lvsadm --netns dir --top <&3 &
echo \$! >$W/top2.pid
wait \$!
echo \$? >$W/rc2
stty -a >$W/stty2.after
echo LEFT-THE-VIEW
exec sleep 600
EOF
chmod 755 "$W/pane2"
tm new-session -d -s top -x 80 -y 24 "$W/pane2"
wait_screen "lvsadm --top" 20
# raw mode while the view runs: the control for the stty comparisons
tty=$(tm display-message -p -t top '#{pane_tty}')
stty -a <"$tty" >"$W/stty2.during"
check "control: stty -a while the view runs differs from before (raw mode)" \
    sh -c "[ -s '$W/stty2.before' ] && [ -s '$W/stty2.during' ] && ! cmp -s '$W/stty2.before' '$W/stty2.during'"
kill -TERM "$(cat "$W/top2.pid")"
check "SIGTERM leaves the view" wait_screen LEFT-THE-VIEW 10
check "exit status 0 after SIGTERM ($(cat "$W/rc2" 2>/dev/null))" [ "$(cat "$W/rc2" 2>/dev/null)" = 0 ]
same "SIGTERM: stty -a after equals stty -a before" "$W/stty2.before" "$W/stty2.after"
screen >"$W/s-term"
check "SIGTERM: the main screen is back (the text printed before the view)" grep -q BEFORE-THE-VIEW "$W/s-term"
tm kill-server

# ------------------------------------------------------------ bench row
# 1 000 services: the CPU of one refresh of the view (its process's
# utime+stime over 20 refreshes at --interval 0.5) against one run of the
# reference `ipvsadm -Ln --rate` (20 runs, CPU of the processes). Not a
# timed check: the figures and their ratio are printed.
stop_stream 1
pkill -f "tail -f $W/L" 2>/dev/null
lv -C
awk 'BEGIN { for (i = 0; i < 1000; i++) printf "-A -t 198.51.100.%d:%d -s rr\n-a -t 198.51.100.%d:%d -r 192.0.2.11 -g -w 1\n", i % 250 + 1, 1000 + int(i / 250), i % 250 + 1, 1000 + int(i / 250) }' >"$W/1000.rules"
lv -R <"$W/1000.rules"
info "bench: $(lv -Ln | grep -c '^TCP') services"
tm new-session -d -s bench -x 100 -y 30 "lvsadm --netns dir --top --interval 0.5"
wait_screen "1000 services" 30 || true
sleep 2
bpid=$(for p in /proc/[0-9]*; do
    tr '\0' ' ' 2>/dev/null <"$p/cmdline" | grep -q '^lvsadm --netns dir --top --interval 0.5' && echo "${p#/proc/}"
done | head -n 1)
if [ -n "$bpid" ]; then
    c0=$(awk '{ print $14 + $15 }' "/proc/$bpid/stat")
    sleep 10
    c1=$(awk '{ print $14 + $15 }' "/proc/$bpid/stat")
    top_ms=$(( (c1 - c0) * 10 / 20 ))
    ref=$(nsx dir bash -c 'TIMEFORMAT="%3U %3S"; { time for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do /sbin/ipvsadm -Ln --rate >/dev/null; done; } 2>&1 | tail -n 1')
    ref_ms=$(echo "$ref" | awk '{ printf "%d\n", ($1 + $2) * 1000 / 20 }')
    info "bench: 1000 services: one --top refresh ${top_ms} ms of CPU, one ipvsadm -Ln --rate ${ref_ms} ms (ratio $(awk -v a="$top_ms" -v b="$ref_ms" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'))"
else
    info "bench: the view did not start"
fi
tm kill-server
for n in sw cl1 dir rs1 rs2 rs3; do ip netns del $n 2>/dev/null; done
tap_done
