# shellcheck shell=sh
# Network-namespace building blocks for the guest scripts that build a
# topology (e2e.sh, multi.sh; ops.sh uses nsx), sourced from /job/topology.sh (common.sh puts
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
