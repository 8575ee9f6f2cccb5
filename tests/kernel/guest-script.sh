# shellcheck shell=bash
# Shared by the host sides of the suites that run one script in the IPVS
# guest through tests/kernel/shell (bash, sourced): faults, load, features,
# reliability, examples, netlink-live.
PROG=${PROG:-tests/kernel/$(basename "$0")}
# shellcheck source=tests/kernel/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# suite_lvsadm_args ARGS...: SUITE_ARGS, the tests/kernel/shell arguments
# for the suite's own (--lvsadm PATH); anything else is a usage error
SUITE_ARGS=()
suite_lvsadm_args() {
    while [ $# -gt 0 ]; do
        case $1 in
        --lvsadm) [ $# -ge 2 ] || suite_usage; SUITE_ARGS+=(--lvsadm "$2"); shift 2 ;;
        --lvsadm=*) SUITE_ARGS+=("$1"); shift ;;
        *) suite_usage ;;
        esac
    done
}
suite_usage() { echo "usage: $PROG [--lvsadm PATH]" >&2; exit 2; }

# shell_suite WHAT SHELL-ARGS...: runs a guest script (tests/kernel/tap.sh)
# with tests/kernel/shell, prints its check lines and last `N passed, M
# failed` (tap_report), and exits: 0 only if the script finished, exited 0
# and no check failed. A script that did not finish is one more failure,
# reported with the end of the guest's console.
shell_suite() { # WHAT SHELL-ARGS...
    local what=$1 out rc
    shift
    out=$(mktemp "${TMPDIR:-/tmp}/lvsadm-suite.XXXXXX")
    "$KHERE/shell" "$@" >"$out" 2>&1
    rc=$?
    if [[ $(tail -n 1 "$out") =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]]; then
        tap_report "$out"
        rm -f "$out"
        echo "$pass passed, $fail failed"
        [ "$rc" = 0 ] && [ "$fail" = 0 ] && exit 0
        exit 1
    fi
    # not finished: the script's own lines come before the console's tail
    sed '/^---- last [0-9]* lines of the guest console ----$/,$d' "$out" >"$out.own"
    tap_report "$out.own" 0 >/dev/null
    cat "$out"
    rm -f "$out" "$out.own"
    echo "ERROR: the guest did not finish $what (exit $rc)"
    echo "$pass passed, $((fail + 1)) failed"
    exit 1
}

# guest_script_main NAME SCRIPT [--lvsadm PATH]: faults and load; builds
# the helpers those scripts need (bench-timer, json-check, tiny-rcvbuf.so)
# and adds them and util-linux's setpriv to the guest
guest_script_main() {
    local name=$1 script=$2 tmp
    shift 2
    suite_lvsadm_args "$@"
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/lvsadm-$name.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    command -v rustc >/dev/null || { echo "ERROR: rustc is needed to build the guest helpers"; echo "0 passed, 1 failed"; exit 1; }
    command -v cc >/dev/null || { echo "ERROR: cc is needed to build the guest helpers"; echo "0 passed, 1 failed"; exit 1; }
    rustc -O --edition 2021 -o "$tmp/bench-timer" "$KHERE/bench-timer.rs" &&
        rustc -O --edition 2021 -o "$tmp/json-check" "$KHERE/json-check.rs" &&
        cc -shared -fPIC -O2 -o "$tmp/tiny-rcvbuf.so" "$KHERE/tiny-rcvbuf.c" -ldl ||
        { echo "ERROR: building the guest helpers failed"; echo "0 passed, 1 failed"; exit 1; }
    shell_suite "tests/kernel/$name.sh" "${SUITE_ARGS[@]}" \
        --add "$tmp/bench-timer:/usr/local/bin/bench-timer" \
        --add "$tmp/json-check:/usr/local/bin/json-check" \
        --add "$tmp/tiny-rcvbuf.so:/usr/local/lib/tiny-rcvbuf.so" \
        --add "$(command -v setpriv):/usr/local/bin/setpriv" \
        "$script"
}
