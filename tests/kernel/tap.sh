# shellcheck shell=sh
# Check helpers for the scripts that run inside the IPVS test guest (sourced
# by /bin/sh = dash from /job/tap.sh; tests/kernel/common.sh puts it in every
# per-run archive). A script prints one `ok - WHAT` or `FAIL - WHAT` line per
# check, `# ...` lines for information, and ends with `tap_done`: the last
# line `N passed, M failed`, and exit status 0 only if nothing failed. The
# host side (tap_report in common.sh) counts the lines again and checks the
# two agree.
PASS=0
FAIL=0
ok() { echo "ok - $*"; PASS=$((PASS + 1)); }
bad() { echo "FAIL - $*"; FAIL=$((FAIL + 1)); }
# check WHAT COMMAND...: ok if COMMAND succeeds; else bad, and status 1
check() {
    _what=$1
    shift
    if "$@"; then ok "$_what"; else bad "$_what"; return 1; fi
}
# same WHAT FILE1 FILE2: ok if the files are identical, else bad and the diff
same() {
    if cmp -s "$2" "$3"; then ok "$1"; else bad "$1"; diff "$2" "$3" | head -20 | sed 's/^/    /'; fi
}
# info LINE...: each argument (each of its lines) as a `# ` line
info() { printf '%s\n' "$@" | sed 's/^/# /'; }
# the last line, and the exit status
tap_done() {
    echo "$PASS passed, $FAIL failed"
    [ "$FAIL" = 0 ]
}
