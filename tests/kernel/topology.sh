# shellcheck shell=sh
# Network-namespace building blocks for the guest scripts that build a
# topology (e2e.sh, multi.sh; ops.sh and supervise.sh use nsx and dr_lan), sourced from /job/topology.sh (common.sh puts
# it in every run's archive, beside tap.sh, whose `bad` it uses). Each
# script keeps its own teardown of NSLIST.

# nsx NS COMMAND...: COMMAND in namespace NS
nsx() { _n=$1; shift; ip netns exec "$_n" "$@"; }
# mkns NS...: new namespaces with lo up, remembered in NSLIST
NSLIST=
mkns() {
    for _n; do
        ip netns add "$_n" || { bad "create namespace $_n"; return 1; }
        ip -n "$_n" link set lo up
        NSLIST="$NSLIST $_n"
    done
}
# veth NS1 IF1 NS2 IF2: a veth pair, both ends up
veth() {
    ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" &&
        ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}
# switch BR: a bridge in the namespace sw
switch() {
    ip -n sw link add "$1" type bridge && ip -n sw link set "$1" up
}
# plug NS IF BR ADDR/LEN: NS's interface IF on bridge BR with ADDR
PORTN=0
plug() {
    PORTN=$((PORTN + 1))
    veth "$1" "$2" sw "p$PORTN" && ip -n sw link set "p$PORTN" master "$3" &&
        ip -n "$1" addr add "$4" dev "$2"
}

# dr_lan DIR VIP: the direct-routing LAN of ops.sh and supervise.sh: a
# bridge in sw with cl1 (192.0.2.100), dir (192.0.2.2, VIP/32 on eth0) and
# rs1..rs3 (192.0.2.11-13, VIP/32 on lo, arp_ignore/arp_announce set), each
# real server answering on port 80 with nc: its name, then each line it
# reads prefixed with its name ("once" closes); scripts written under DIR
dr_lan() {
    W=$1 V=$2
    for n in sw cl1 dir rs1 rs2 rs3; do
        ip netns add $n && ip -n $n link set lo up || return 1
    done
    ip -n sw link add lan type bridge && ip -n sw link set lan up || return 1
    i=0
    for spec in cl1:192.0.2.100 dir:192.0.2.2 rs1:192.0.2.11 rs2:192.0.2.12 rs3:192.0.2.13; do
        n=${spec%%:*} a=${spec#*:}
        i=$((i + 1))
        ip link add eth0 netns "$n" type veth peer name "p$i" netns sw &&
            ip -n "$n" link set eth0 up && ip -n sw link set "p$i" up &&
            ip -n sw link set "p$i" master lan && ip -n "$n" addr add "$a/24" dev eth0 || return 1
    done
    ip -n dir addr add $V/32 dev eth0 || return 1
    for r in rs1 rs2 rs3; do
        ip -n $r addr add $V/32 dev lo || return 1
        nsx $r sh -c 'cd /proc/sys/net/ipv4/conf && echo 1 >all/arp_ignore && echo 2 >all/arp_announce &&
            echo 1 >lo/arp_ignore && echo 2 >lo/arp_announce' || return 1
        cat >"$W/srv-$r" <<EOF
#!/bin/sh
echo $r
while read -r l; do
    echo "$r \$l"
    [ "\$l" = once ] && exit 0
done
EOF
        chmod 755 "$W/srv-$r"
        nsx $r nc -ll -p 80 -e "$W/srv-$r" </dev/null >/dev/null 2>&1 &
    done
}
