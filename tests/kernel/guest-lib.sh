# Scenario runner inside the IPVS test guest (busybox sh), sourced by /init.
#
# /job/scn/NNNN.name  scenario name (one line)
# /job/scn/NNNN.cmds  one command a line: "$ CMD" (compared) or "@ CMD" (setup)
#
# Each scenario runs twice, each time in a fresh network namespace: once with
# the reference ipvsadm first in PATH (/opt/ref/bin), once with lvsadm
# reached through symlinks named ipvsadm, ipvsadm-save, ipvsadm-restore
# (/opt/lvs/bin). The records are compared with diff -u.

BASEPATH=/bin:/sbin:/usr/bin:/usr/sbin
REFPATH=/opt/ref/bin:$BASEPATH
LVSPATH=/opt/lvs/bin:$BASEPATH
CMD_TIMEOUT=20
DIFF_MAX_LINES=${DIFF_MAX_LINES:-80}

# format one captured stream: every line ends with '$' so trailing blanks show
fmt_stream() { # FILE PREFIX
    [ -s "$1" ] || return 0
    sed "s/^/$2/; s/\$/\$/" "$1"
    if [ -n "$(tail -c 1 "$1")" ]; then echo "${2}\\ no newline at end"; fi
}

# run_cmd TOOLPATH NORMALISE CMD -> appends to $REC
run_cmd() {
    _t0=$(date +%s)
    PATH=$1 timeout $CMD_TIMEOUT sh -c "$3" </dev/null >"$W/o" 2>"$W/e"
    _st=$?
    _t1=$(date +%s)
    if [ "$2" = 1 ]; then
        sed -i 's/lvsadm/ipvsadm/g' "$W/o" "$W/e"
    fi
    fmt_stream "$W/o" ""
    fmt_stream "$W/e" "[stderr] "
    if [ $((_t1 - _t0)) -ge $CMD_TIMEOUT ]; then
        echo "[exit $_st] [timed out after ${CMD_TIMEOUT}s]"
    else
        echo "[exit $_st]"
    fi
}

# runs inside the new network namespace: scenario TOOL CMDS OUTDIR
scenario() {
    tool=$1 cmds=$2 out=$3
    W=$out/w; mkdir -p "$W"
    if [ "$tool" = lvs ]; then tp=$LVSPATH norm=1; else tp=$REFPATH norm=0; fi
    ip link set lo up
    : >"$out/cmp"; : >"$out/full"
    while IFS= read -r line; do
        kind=${line%%" "*}
        cmd=${line#?" "}
        case $kind in
        '$')
            r=$(run_cmd "$tp" "$norm" "$cmd"; echo x); r=${r%x}
            printf '$ %s\n%s' "$cmd" "$r" >>"$out/cmp"
            printf '$ %s\n%s' "$cmd" "$r" >>"$out/full"
            ;;
        '@')
            r=$(run_cmd "$REFPATH" 0 "$cmd"; echo x); r=${r%x}
            printf '@ %s\n%s' "$cmd" "$r" >>"$out/full"
            ;;
        esac
    done <"$cmds"
    {
        echo "== final state (reference ipvsadm)"
        for c in "ipvsadm -Sn" "ipvsadm -L -n --timeout" "ipvsadm -L -n --daemon"; do
            echo "\$ $c"
            run_cmd "$REFPATH" 0 "$c"
        done
    } >"$out/final"
    cat "$out/final" >>"$out/cmp"
    cat "$out/final" >>"$out/full"
    rm -rf "$W"
}

run_all() { # MODE (compare|show)
    mode=$1
    n=0
    for f in /job/scn/*.cmds; do
        [ -e "$f" ] || continue
        base=${f%.cmds}
        name=$(cat "$base.name")
        n=$((n + 1))
        d=/tmp/scn/$n
        rm -rf "$d"; mkdir -p "$d/ref" "$d/lvs"
        unshare -n /bin/sh -c '. /guest-lib.sh; scenario "$@"' sh ref "$f" "$d/ref" \
            >"$d/ref.log" 2>&1
        if [ "$mode" = show ]; then
            echo "@@SHOW $name"
            cat "$d/ref/full"
            [ -s "$d/ref.log" ] && sed 's/^/[harness] /' "$d/ref.log"
            rm -rf "$d"
            continue
        fi
        unshare -n /bin/sh -c '. /guest-lib.sh; scenario "$@"' sh lvs "$f" "$d/lvs" \
            >"$d/lvs.log" 2>&1
        if [ -s "$d/ref.log" ] || [ -s "$d/lvs.log" ] || [ ! -f "$d/ref/final" ] || [ ! -f "$d/lvs/final" ]; then
            echo "@@RESULT FAIL $name"
            echo "harness error while running the scenario:"
            sed 's/^/[ref run] /' "$d/ref.log"
            sed 's/^/[lvsadm run] /' "$d/lvs.log"
        elif diff -u -L ipvsadm -L lvsadm "$d/ref/cmp" "$d/lvs/cmp" >"$d/diff" 2>&1; then
            echo "@@RESULT PASS $name"
        else
            echo "@@RESULT FAIL $name"
            total=$(wc -l <"$d/diff")
            head -n "$DIFF_MAX_LINES" "$d/diff"
            if [ "$total" -gt "$DIFF_MAX_LINES" ]; then
                echo "... ($((total - DIFF_MAX_LINES)) more diff lines)"
            fi
        fi
        rm -rf "$d"
    done
    echo "@@DONE $n"
}
