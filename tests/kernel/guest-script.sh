# shellcheck shell=bash
# Shared by tests/kernel/faults and tests/kernel/load (bash, sourced): build
# the helpers those guest scripts need, run the script in the IPVS guest via
# tests/kernel/shell, check that its last line is `N passed, M failed`.

# guest_script_main NAME SCRIPT [--lvsadm PATH]
guest_script_main() {
    local name=$1 script=$2 out tmp rc last
    shift 2
    local args=()
    while [ $# -gt 0 ]; do
        case $1 in
        --lvsadm) [ $# -ge 2 ] || { echo "usage: tests/kernel/$name [--lvsadm PATH]" >&2; exit 2; }; args+=(--lvsadm "$2"); shift 2 ;;
        --lvsadm=*) args+=("$1"); shift ;;
        *) echo "usage: tests/kernel/$name [--lvsadm PATH]" >&2; exit 2 ;;
        esac
    done
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/lvsadm-$name.XXXXXX")
    # shellcheck disable=SC2064
    trap "rm -rf '$tmp'" EXIT
    command -v rustc >/dev/null || { echo "ERROR: rustc is needed to build the guest helpers"; echo "0 passed, 1 failed"; exit 1; }
    command -v cc >/dev/null || { echo "ERROR: cc is needed to build the guest helpers"; echo "0 passed, 1 failed"; exit 1; }
    rustc -O --edition 2021 -o "$tmp/bench-timer" "$HERE/bench-timer.rs" &&
        rustc -O --edition 2021 -o "$tmp/json-check" "$HERE/json-check.rs" &&
        cc -shared -fPIC -O2 -o "$tmp/tiny-rcvbuf.so" "$HERE/tiny-rcvbuf.c" -ldl ||
        { echo "ERROR: building the guest helpers failed"; echo "0 passed, 1 failed"; exit 1; }
    out=$tmp/out
    "$HERE/shell" "${args[@]}" \
        --add "$tmp/bench-timer:/usr/local/bin/bench-timer" \
        --add "$tmp/json-check:/usr/local/bin/json-check" \
        --add "$tmp/tiny-rcvbuf.so:/usr/local/lib/tiny-rcvbuf.so" \
        --add "$(command -v setpriv):/usr/local/bin/setpriv" \
        "$script" >"$out" 2>&1
    rc=$?
    last=$(tail -n1 "$out")
    if [[ $last =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        head -n -1 "$out"
        echo "$last"
        [ "$rc" -eq 0 ] && [ "${BASH_REMATCH[2]}" -eq 0 ] && exit 0
        exit 1
    fi
    cat "$out"
    echo "ERROR: the guest did not finish tests/kernel/$name.sh (exit $rc)"
    # count the script's own lines, not their repetition in the console tail
    sed '/^---- last [0-9]* lines of the guest console ----$/,$d' "$out" >"$out.own"
    echo "$(grep -c '^ok - ' "$out.own") passed, $(($(grep -c '^FAIL - ' "$out.own") + 1)) failed"
    exit 1
}
