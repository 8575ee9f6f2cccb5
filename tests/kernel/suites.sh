# shellcheck shell=bash
# The real-kernel suites of tests/run, discovered rather than listed by
# hand (bash, sourced by tests/run and tests/kernel/suites-selftest).
#
# A suite is one executable file in tests/kernel/suites/ whose header
# carries two lines:
#
#   # suite: TITLE      what the suite checks (its `== TITLE` and
#                       `-- TITLE: exit N, S s` lines use it)
#   # lane: LANE        `first` (runs alone, before the others) or a lane
#                       name such as `a` or `b`: the lanes run side by side,
#                       each running its suites one after the other
#
# or, instead of `# lane:`, for a suite that runs on several kernel lines:
#
#   # lines: LINE=LANE ...   one run per kernel line (6.1, 6.12, unstable:
#                       see tests/kernel/setup), with LVSADM_KERNEL=LINE,
#                       in the lane given for it; its title ends ` [LINE]`
#
# Within a lane, suites run in the order of their file names. tests/run
# runs each file from the repository's top directory with standard input
# /dev/null, SUITE_LVSADM set to the lvsadm binary under test and
# SUITE_LANE to the lane it runs in; its exit
# status is the suite's result. A file without both lines, with an invalid
# lane, or not executable is an error, so that a suite cannot be dropped
# silently.

# suites_discover DIR: fills SUITE_IDS (file names, sorted), SUITE_TITLE,
# SUITE_LANE and SUITE_PATH (indexed by id) and SUITE_LANES (the lanes
# other than `first`, sorted). Prints every problem to stderr and returns
# 1 if there is one, or if DIR holds no suite.
suites_discover() {
    local dir=$1 f id title lane bad=0
    SUITE_IDS=() SUITE_LANES=()
    unset SUITE_TITLE SUITE_LANE SUITE_PATH SUITE_KERNEL
    declare -gA SUITE_TITLE=() SUITE_LANE=() SUITE_PATH=() SUITE_KERNEL=()
    if [ ! -d "$dir" ]; then
        echo "suites: no directory $dir" >&2
        return 1
    fi
    for f in "$dir"/*; do
        [ -e "$f" ] || continue
        id=${f##*/}
        if ! [[ $id =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
            echo "suites: $f: a suite's file name is letters, digits, '.', '_' and '-'" >&2
            bad=1
            continue
        fi
        if [ ! -f "$f" ] || [ ! -x "$f" ]; then
            echo "suites: $f: not an executable file" >&2
            bad=1
            continue
        fi
        title=$(sed -n 's/^# suite: *//p' "$f")
        lane=$(sed -n 's/^# lane: *//p' "$f")
        lines=$(sed -n 's/^# lines: *//p' "$f")
        if [ -z "$title" ] || [ "$(printf '%s\n' "$title" | wc -l)" -ne 1 ]; then
            echo "suites: $f: needs exactly one '# suite: TITLE' line" >&2
            bad=1
            continue
        fi
        if [ -n "$lines" ]; then
            suites_add_lines "$f" "$id" "$title" "$lane" "$lines" || bad=1
            continue
        fi
        if ! [[ $lane =~ ^[a-z0-9]+$ ]]; then
            echo "suites: $f: needs exactly one '# lane: LANE' line (first, or a lane name of letters and digits)" >&2
            bad=1
            continue
        fi
        SUITE_IDS+=("$id")
        SUITE_TITLE[$id]=$title
        SUITE_LANE[$id]=$lane
        SUITE_PATH[$id]=$f
    done
    if [ "$bad" = 0 ] && [ ${#SUITE_IDS[@]} = 0 ]; then
        echo "suites: no suite in $dir" >&2
        bad=1
    fi
    mapfile -t SUITE_LANES < <(for id in "${SUITE_IDS[@]}"; do
        [ "${SUITE_LANE[$id]}" = first ] || echo "${SUITE_LANE[$id]}"
    done | sort -u)
    [ "$bad" = 0 ]
}

# suites_add_lines FILE ID TITLE LANE LINES: one suite per kernel line of
# a `# lines:` header (ids ID@LINE); 1 and a message if the header is bad
suites_add_lines() {
    local f=$1 id=$2 title=$3 lane=$4 spec kline klane seen=" "
    if [ -n "$lane" ]; then
        echo "suites: $f: '# lines:' gives each line its lane: no '# lane:' line with it" >&2
        return 1
    fi
    if [ "$(printf '%s\n' "$5" | wc -l)" -ne 1 ]; then
        echo "suites: $f: at most one '# lines:' line" >&2
        return 1
    fi
    for spec in $5; do
        kline=${spec%%=*} klane=${spec#*=}
        case $kline in
        6.1 | 6.12 | unstable) ;;
        *)
            echo "suites: $f: '$spec': the kernel lines are 6.1, 6.12 and unstable (LINE=LANE)" >&2
            return 1
            ;;
        esac
        if [ "$klane" = "$spec" ] || ! [[ $klane =~ ^[a-z0-9]+$ ]]; then
            echo "suites: $f: '$spec': LINE=LANE, the lane first or a name of letters and digits" >&2
            return 1
        fi
        case $seen in *" $kline "*)
            echo "suites: $f: kernel line $kline named twice" >&2
            return 1
            ;;
        esac
        seen="$seen$kline "
        SUITE_IDS+=("$id@$kline")
        SUITE_TITLE[$id@$kline]="$title [$kline]"
        SUITE_LANE[$id@$kline]=$klane
        SUITE_PATH[$id@$kline]=$f
        SUITE_KERNEL[$id@$kline]=$kline
    done
}

# suites_in_lane LANE: the ids of the lane's suites, in order
suites_in_lane() {
    local id
    for id in "${SUITE_IDS[@]}"; do
        [ "${SUITE_LANE[$id]}" != "$1" ] || echo "$id"
    done
}

# suites_list DIR: prints the discovered suites by lane (tests/run --list)
suites_list() {
    local lane id
    suites_discover "$1" || return 1
    for lane in first "${SUITE_LANES[@]}"; do
        for id in $(suites_in_lane "$lane"); do
            printf '%-6s %-26s %s\n' "$lane" "$id" "${SUITE_TITLE[$id]}"
        done
    done
    echo "${#SUITE_IDS[@]} suites, lanes: first ${SUITE_LANES[*]}"
}

# suites_run DIR: runs every suite of DIR (the `first` lane alone, then
# the other lanes side by side), each even when one before it failed;
# prints each suite's output whole when it ends (`== TITLE` first,
# `-- TITLE: exit N, S s` last), then `FAILED suite: TITLE` per failure
# and `suites: N passed, M failed`. A suite that reported no status (its
# lane died before or while running it) counts as failed. Returns 0 only
# if every discovered suite passed.
suites_run() {
    local dir=$1 logs lane id pids=() passed=0 failed=0 ran=0
    suites_discover "$dir" || return 1
    logs=$(mktemp -d "${TMPDIR:-/tmp}/lvsadm-suites.XXXXXX")
    for id in $(suites_in_lane first); do
        suites_run_one "$logs" "$id"
    done
    for lane in "${SUITE_LANES[@]}"; do
        (
            for id in $(suites_in_lane "$lane"); do
                suites_run_one "$logs" "$id"
            done
        ) &
        pids+=($!)
    done
    [ ${#pids[@]} = 0 ] || wait "${pids[@]}" || true
    for id in "${SUITE_IDS[@]}"; do
        if [ -f "$logs/$id.rc" ]; then
            ran=$((ran + 1))
            if [ "$(cat "$logs/$id.rc")" = 0 ]; then
                passed=$((passed + 1))
                continue
            fi
            echo "FAILED suite: ${SUITE_TITLE[$id]}"
        else
            [ ! -f "$logs/$id.log" ] || cat "$logs/$id.log"
            echo "FAILED suite (no status: its lane ${SUITE_LANE[$id]} died): ${SUITE_TITLE[$id]}"
        fi
        failed=$((failed + 1))
    done
    if [ "$ran" -ne ${#SUITE_IDS[@]} ]; then
        echo "FAILED: only $ran of ${#SUITE_IDS[@]} suites reported a status"
    fi
    rm -rf "$logs"
    echo "suites: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# suites_run_one LOGS ID: runs one suite into LOGS/ID.log and records its
# exit status in LOGS/ID.rc, then prints the log (one suite's output at a
# time, whichever lane ends first)
suites_run_one() {
    local logs=$1 id=$2 title=${SUITE_TITLE[$2]} start rc
    start=$(date +%s)
    {
        echo "== $title"
        if [ -n "${SUITE_KERNEL[$id]:-}" ]; then
            SUITE_LANE=${SUITE_LANE[$id]} LVSADM_KERNEL=${SUITE_KERNEL[$id]} \
                "${SUITE_PATH[$id]}" && rc=0 || rc=$?
        else
            SUITE_LANE=${SUITE_LANE[$id]} "${SUITE_PATH[$id]}" && rc=0 || rc=$?
        fi
        echo "-- $title: exit $rc, $(($(date +%s) - start)) s"
    } >"$logs/$id.log" 2>&1 </dev/null
    echo "$rc" >"$logs/$id.rc"
    (flock 9; cat "$logs/$id.log") 9>"$logs/print.lock"
}
