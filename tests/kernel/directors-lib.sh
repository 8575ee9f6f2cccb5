# shellcheck shell=sh
# Guest helpers shared by the scripts with several directors (multi.sh,
# bgp.sh), sourced from /job/directors-lib.sh after tap.sh and topology.sh
# (their host scripts put it in the run's archive). The script sets W (its
# work directory) and P (the service port) before it uses them; rsip uses
# NET.
#
# Real servers run a line echo server (busybox nc -ll -e) that prefixes
# each line with its name; a client flow keeps a connection open with a
# FIFO feeding nc, so each line written is one request and its echo names
# the real server that holds the connection.

HOLDERS=
teardown() {
    # shellcheck disable=SC2086
    [ -z "$HOLDERS" ] || kill $HOLDERS 2>/dev/null
    HOLDERS=
    for _n in $NSLIST; do
        for _p in $(ip netns pids "$_n" 2>/dev/null); do kill "$_p" 2>/dev/null; done
    done
    sleep 1
    for _n in $NSLIST; do
        for _p in $(ip netns pids "$_n" 2>/dev/null); do kill -9 "$_p" 2>/dev/null; done
        ip netns del "$_n" 2>/dev/null
    done
    NSLIST=
}
# now: the uptime in seconds (two decimals); secs: whole seconds (read by the
# shell itself: no process per poll)
now() { read -r _u _x </proc/uptime; echo "$_u"; }
secs() { read -r _u _x </proc/uptime; echo "${_u%.*}"; }
# wait_every PERIOD SECS COMMAND...: poll COMMAND every PERIOD seconds
# for SECS seconds
wait_every() {
    _we_p=$1 _end=$(($(secs) + $2)); shift 2
    while ! "$@"; do
        [ "$(secs)" -lt "$_end" ] || return 1
        sleep "$_we_p"
    done
}
# wait_until SECS COMMAND...: poll COMMAND every 0.5 s for SECS seconds
wait_until() { wait_every 0.5 "$@"; }

# realserver NS VIP: VIP on lo without ARP for it, and the echo server
realserver() {
    nsx "$1" sh -c 'for c in all lo; do
            echo 1 >/proc/sys/net/ipv4/conf/$c/arp_ignore
            echo 2 >/proc/sys/net/ipv4/conf/$c/arp_announce
        done' &&
        ip -n "$1" addr add "$2/32" dev lo || return 1
    printf '#!/bin/sh\nwhile read -r l; do echo "%s $l"; done\n' "$1" >"$W/echo-$1"
    chmod 755 "$W/echo-$1"
    nsx "$1" nc -ll -p $P -e "$W/echo-$1" >/dev/null 2>&1 &
}
rsip() { case $1 in rs1) echo "$NET.11" ;; rs2) echo "$NET.12" ;; rs3) echo "$NET.13" ;; esac; }

# ---------------------------------------------------------------- flows
# ask NAME MSG SECS: send the line MSG on flow NAME; print the name of the
# real server that echoed it (fails if none did within SECS seconds)
ask() {
    echo "$2" >>"$W/$1.in"
    _end=$(($(secs) + $3))
    while :; do
        _r=$(awk -v m="$2" '$2 == m { print $1; exit }' "$W/$1.out" 2>/dev/null)
        [ -n "$_r" ] && { echo "$_r"; return 0; }
        [ "$(secs)" -lt "$_end" ] || return 1
        sleep 0.25
    done
}
# hexadecimal forms as in /proc/net/tcp: address (little-endian) and port
hexaddr() { _ifs=$IFS; IFS=.; set -- $1; IFS=$_ifs; printf '%02X%02X%02X%02X' "$4" "$3" "$2" "$1"; }
# cports NS VIP: the ports of NS's established connections to VIP:$P
cports() {
    nsx "$1" cat /proc/net/tcp |
        awk -v r="$(hexaddr "$2"):$(printf '%04X' $P)" '$3 == r && $4 == "01" { split($2, a, ":"); print a[2] }' |
        while read -r _h; do printf '%d\n' "0x$_h"; done
}
# flow NAME NS VIP: open a long-lived connection from NS to VIP:$P and send
# a first line; NAME.in takes the lines to send, NAME.out gets the
# answers, NAME.rs is the real server that answered, NAME.cp the
# client's address:port (fails if there was no answer)
flow() {
    # the ports seen so far (grep -f with an empty file matches nothing)
    [ -s "$W/ports.known" ] || echo none >"$W/ports.known"
    : >"$W/$1.out"; : >"$W/$1.cp"
    # nc reads the FIFO NAME.in; a sleeping process holds it open for
    # reading and writing, so that nc never sees its end and writing to it
    # never blocks, even after nc is gone
    rm -f "$W/$1.in"; mkfifo "$W/$1.in" || return 1
    sleep 100000 <>"$W/$1.in" &
    HOLDERS="$HOLDERS $!"
    # shellcheck disable=SC2016
    nsx "$2" /bin/sh -c 'exec nc "$2" "$3" <"$1" >"$4" 2>&1' sh "$W/$1.in" "$3" $P "$W/$1.out" &
    ask "$1" "$1-hello" 10 >"$W/$1.rs" || return 1
    # the client port: the established connection to VIP:P not seen before
    cports "$2" "$3" >"$W/ports.now"
    _port=$(grep -vxF -f "$W/ports.known" "$W/ports.now" | head -n 1)
    [ -n "$_port" ] || return 1
    echo "$_port" >>"$W/ports.known"
    _addr=$(ip -n "$2" -o -4 addr show dev eth0 | sed -n 's/.* inet \([0-9.]*\)\/.*/\1/p' | head -n 1)
    echo "$_addr:$_port" >"$W/$1.cp"
}
rs_of() { cat "$W/$1.rs" 2>/dev/null; }
cp_of() { cat "$W/$1.cp" 2>/dev/null; }
# entry NS FLOW: "STATE DEST" of FLOW's connection in NS's IPVS table
entry() {
    _c=$(cp_of "$2")
    [ -n "$_c" ] || return 0
    nsx "$1" lvsadm -Lnc | awk -v c="$_c" '$4 == c { print $3, $6; exit }'
}
has_entry() { [ -n "$(entry "$1" "$2")" ]; }
no_entry() { [ -z "$(entry "$1" "$2")" ]; }
# holders FLOW NS...: the namespaces whose IPVS table has FLOW
holders() {
    _f=$1; shift; _h=
    for _d; do has_entry "$_d" "$_f" && _h="$_h $_d"; done
    echo "${_h# }"
}
# gone PID: PID has exited (or is a zombie)
gone() { [ ! -e "/proc/$1" ] || grep -q '^[0-9]* ([^)]*) Z' "/proc/$1/stat" 2>/dev/null; }
