# Scenario runner inside the IPVS test guest, sourced by /init. /bin/sh in the
# guest is dash (as on Debian): Debian's static busybox ash runs its own
# applets before searching PATH, so `ip` would be busybox's, not iproute2's.
#
# /job/scn/NNNN.name  scenario name (one line)
# /job/scn/NNNN.cmds  one command a line: "$ CMD" (compared), "@ CMD" (setup)
#                     or "= CMD" (compared in the same state, see run_same)
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

# format one captured stream: every line ends with '$' so trailing blanks
# show; SED (optional) is applied first (the lvsadm run's renaming)
fmt_stream() { # FILE PREFIX [SED]
    [ -s "$1" ] || return 0
    sed "${3:-}s/^/$2/; s/\$/\$/" "$1"
    # the last line had no newline: end it, and say so
    if [ -n "$(tail -c 1 "$1")" ]; then printf '\n%s\\ no newline at end\n' "$2"; fi
}

# run_cmd TOOLPATH NORMALISE CMD... : prints the record of one command.
# With a single CMD argument it is a shell command line (run by /bin/sh -c),
# otherwise CMD... is run directly.
run_cmd() {
    _tp=$1 _norm=$2; shift 2
    read -r _t0 _ </proc/uptime
    if [ $# = 1 ]; then
        PATH=$_tp timeout $CMD_TIMEOUT /bin/sh -c "$1" </dev/null >"$W/o" 2>"$W/e"
    else
        PATH=$_tp timeout $CMD_TIMEOUT "$@" </dev/null >"$W/o" 2>"$W/e"
    fi
    _st=$?
    read -r _t1 _ </proc/uptime
    # the lvsadm run's program name is ipvsadm's (renamed as the streams
    # are formatted: one sed a stream)
    _sub=
    [ "$_norm" = 1 ] && _sub='s/lvsadm/ipvsadm/g; '
    fmt_stream "$W/o" "" "$_sub"
    fmt_stream "$W/e" "[stderr] " "$_sub"
    if [ $((${_t1%.*} - ${_t0%.*})) -ge $CMD_TIMEOUT ]; then
        echo "[exit $_st] [timed out after ${CMD_TIMEOUT}s]"
    else
        echo "[exit $_st]"
    fi
}

# run_same TOOLPATH NORMALISE CMD : the '= CMD' kind, for output that changes
# over time (counters, rates, connection timers). In the same namespace and
# state: the reference, then the tool of this run, then the reference again.
# If the two reference records are identical, prints '[same]' when the
# tool's record equals them, else '[differs]' and the diff. If the reference
# changed in between (a timer ticked), retries; after 8 such attempts the
# tool's record must equal one of the two reference records of the last
# attempt ('[same]'), else '[reference unstable in the TOOL run]' (never the
# same in both runs, so the scenario fails). In the reference run the middle
# run is the reference too, so its record is '[same]': the scenario passes
# only if lvsadm's is.
run_same() {
    _i=0
    while :; do
        run_cmd "$REFPATH" 0 "$3" >"$W/s1"
        run_cmd "$1" "$2" "$3" >"$W/s2"
        run_cmd "$REFPATH" 0 "$3" >"$W/s3"
        if cmp -s "$W/s1" "$W/s3"; then
            if cmp -s "$W/s1" "$W/s2"; then
                echo "[same]"
            else
                echo "[differs]"
                diff -u -L reference -L tool "$W/s1" "$W/s2" | tail -n +3
            fi
            return 0
        fi
        _i=$((_i + 1))
        [ $_i -lt 8 ] || break
        sleep 0.2
    done
    if cmp -s "$W/s1" "$W/s2" || cmp -s "$W/s3" "$W/s2"; then
        echo "[same]"
    else
        echo "[reference unstable in the $tool run]"
        sed 's/^/[last reference] /' "$W/s3"
    fi
}

# runs inside the new network namespace: scenario TOOL CMDS OUTDIR
# writes OUTDIR/cmp, the records compared ('$' and '=' commands and the
# final state); with SCN_MODE=show, OUTDIR/full instead, which also holds
# the '@' commands' records and the reference's record of each '=' command.
# (Each record is appended where it belongs as it is made: under TCG every
# process counts, and a compare run does not record the '@' commands it
# only runs.)
scenario() {
    tool=$1 cmds=$2 out=$3
    W=$out/w; mkdir -p "$W"
    if [ "$tool" = lvs ]; then tp=$LVSPATH norm=1; else tp=$REFPATH norm=0; fi
    if [ "${SCN_MODE:-compare}" = show ]; then show=1 rec=$out/full; else show=0 rec=$out/cmp; fi
    ip link set lo up
    : >"$rec"
    while IFS= read -r line; do
        kind=${line%%" "*}
        cmd=${line#?" "}
        case $kind in
        '$')
            { printf '$ %s\n' "$cmd"; run_cmd "$tp" "$norm" "$cmd"; } >>"$rec"
            ;;
        '@')
            if [ $show = 1 ]; then
                { printf '@ %s\n' "$cmd"; run_cmd "$REFPATH" 0 "$cmd"; } >>"$rec"
            else
                PATH=$REFPATH timeout $CMD_TIMEOUT /bin/sh -c "$cmd" </dev/null >/dev/null 2>&1
            fi
            ;;
        '=')
            { printf '= %s\n' "$cmd"; run_same "$tp" "$norm" "$cmd"; } >>"$rec"
            # for --show: the first reference record of the last attempt
            [ $show = 1 ] && sed 's/^/[reference] /' "$W/s1" >>"$rec"
            ;;
        esac
    done <"$cmds"
    # The final state is the table's content: -Sn's lines sorted. Its order
    # is checked by the scenarios' own commands; on kernels that seed their
    # service hash per namespace (7.x) services that ipvsadm's sort ranks
    # equal come in an order that differs from one namespace to the next,
    # so the two runs' final listings may list the same table differently.
    {
        echo "== final state (reference ipvsadm)"
        echo "\$ ipvsadm -Sn | sort"
        # read until two reads agree (at most four reads): on a loaded host
        # the reference's listing of a few hundred services has come back
        # short once in a while, the scenario's own commands unaffected
        run_cmd "$REFPATH" 0 "ipvsadm -Sn | LC_ALL=C sort" >"$W/f1"
        _i=0
        while [ $_i -lt 3 ]; do
            run_cmd "$REFPATH" 0 "ipvsadm -Sn | LC_ALL=C sort" >"$W/f2"
            if cmp -s "$W/f1" "$W/f2"; then break; fi
            mv "$W/f2" "$W/f1"
            _i=$((_i + 1))
        done
        cat "$W/f1"
        echo "\$ ipvsadm -L -n --timeout"
        run_cmd "$REFPATH" 0 ipvsadm -L -n --timeout
        echo "\$ ipvsadm -L -n --daemon"
        run_cmd "$REFPATH" 0 ipvsadm -L -n --daemon
    } >>"$rec"
    # (run_all's sign that the scenario got this far)
    : >"$out/final"
    # Empty the table before leaving the namespace. Up to 6.x the kernel
    # keeps every namespace's services in one hash table, and a namespace's
    # go only when it is torn down, asynchronously, after its last process
    # (busybox timeout's watcher lives up to a second longer than its
    # command). Meanwhile they shift the next run's listings: a netlink dump
    # resumes at a position counted over all namespaces' services (a
    # deletion between two parts skips services), and /proc/net/ip_vs counts
    # the others' services when it moves on but not when a read resumes
    # (services skipped). Seen: the reference's -Sn of 200 services giving
    # 56 lines; lvsadm's -Ln not seeing an IPv4 and an IPv6 fwmark service
    # share a mark (one of them skipped in the proc table).
    PATH=$REFPATH ipvsadm -C >/dev/null 2>&1
    rm -rf "$W"
}

run_all() { # MODE (compare|show)
    mode=$1
    n=0
    T0=$(cut -d' ' -f1 /proc/uptime)
    for f in /job/scn/*.cmds; do
        [ -e "$f" ] || continue
        base=${f%.cmds}
        name=$(cat "$base.name")
        n=$((n + 1))
        ts=$(cut -d' ' -f1 /proc/uptime)
        d=/tmp/scn/$n
        rm -rf "$d"; mkdir -p "$d/ref" "$d/lvs"
        SCN_MODE=$mode unshare -n /bin/busybox sh -c '. /guest-lib.sh; scenario "$@"' sh ref "$f" "$d/ref" \
            >"$d/ref.log" 2>&1
        if [ "$mode" = show ]; then
            printf '@@SHOW %s\n' "$name"
            cat "$d/ref/full"
            [ -s "$d/ref.log" ] && sed 's/^/[harness] /' "$d/ref.log"
            rm -rf "$d"
            continue
        fi
        unshare -n /bin/busybox sh -c '. /guest-lib.sh; scenario "$@"' sh lvs "$f" "$d/lvs" \
            >"$d/lvs.log" 2>&1
        if [ -s "$d/ref.log" ] || [ -s "$d/lvs.log" ] || [ ! -f "$d/ref/final" ] || [ ! -f "$d/lvs/final" ]; then
            printf '@@RESULT FAIL %s\n' "$name"
            echo "harness error while running the scenario:"
            sed 's/^/[ref run] /' "$d/ref.log"
            sed 's/^/[lvsadm run] /' "$d/lvs.log"
        elif diff -u -L ipvsadm -L lvsadm "$d/ref/cmp" "$d/lvs/cmp" >"$d/diff" 2>&1; then
            printf '@@RESULT PASS %s\n' "$name"
        else
            printf '@@RESULT FAIL %s\n' "$name"
            total=$(wc -l <"$d/diff")
            head -n "$DIFF_MAX_LINES" "$d/diff"
            if [ "$total" -gt "$DIFF_MAX_LINES" ]; then
                echo "... ($((total - DIFF_MAX_LINES)) more diff lines)"
            fi
        fi
        rm -rf "$d"
        printf '@@TIME %s %s\n' "$ts" "$(cut -d' ' -f1 /proc/uptime)"
    done
    printf '@@STATS %s %s\n' "$T0" "$(cut -d' ' -f1 /proc/uptime)"
    echo "@@DONE $n"
}
