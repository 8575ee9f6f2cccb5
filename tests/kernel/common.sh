# shellcheck shell=bash
# Shared helpers for tests/kernel/run and tests/kernel/shell (bash, sourced).

KHERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$KHERE/../.." && pwd)
CACHE=${LVSADM_VM_CACHE:-$REPO/target/kernel-cache}
# optional wall-clock limit per guest in seconds (0: none); the guests are
# watched for progress instead (LVSADM_VM_WATCHDOG, see vm_wait)
VM_TIMEOUT=${LVSADM_VM_TIMEOUT:-0}
VM_MEM=${LVSADM_VM_MEM:-1024}
VM_SMP=${LVSADM_VM_SMP:-1}
# more kernel command-line words for the guests
VM_APPEND=${LVSADM_VM_APPEND:-}

die() { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 2; }

# run setup (idempotent) and load the paths it wrote
vm_prepare() {
    "$KHERE/setup" || die "tests/kernel/setup failed"
    # shellcheck disable=SC1091
    . "$CACHE/current-${LVSADM_KERNEL:-6.1}.env"
    [ -f "$VMLINUZ" ] && [ -f "$BASE_INITRD" ] || die "setup left no kernel/initramfs in $CACHE"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/lvsadm-vm.XXXXXX")
    trap 'vm_cleanup' EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# on exit: stop the guests still running, remove the work tree
vm_cleanup() {
    local f
    for f in "$WORK"/*/qemu.pid "$WORK"/qemu.pid; do
        [ -f "$f" ] && [ ! -f "${f%.pid}.rc" ] && kill -KILL "$(cat "$f")" 2>/dev/null
    done
    rm -rf "$WORK" ${EXTRA_CLEANUP:+"$EXTRA_CLEANUP"}
}

# start a per-run tree in DIR: JOBDIR=DIR, JOB=DIR/root (the archive's root),
# TOKEN = a fresh marker token
job_new() { # DIR
    JOBDIR=$1
    JOB=$JOBDIR/root
    mkdir -p "$JOB/job"
    TOKEN=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$TOKEN" >"$JOB/job/token"
    # the check and namespace helpers the guest scripts source
    cp "$KHERE/tap.sh" "$JOB/job/tap.sh"
    cp "$KHERE/topology.sh" "$JOB/job/topology.sh"
}

# job_script FILE: the run executes FILE (as /job/script), then powers off
job_script() { # FILE
    echo script >"$JOB/job/mode"
    cp "$1" "$JOB/job/script"
}

# copy a binary to DEST inside the per-run tree, with its ldd libraries
job_add_bin() { # SRC DEST
    local src=$1 dst=$2 lib
    mkdir -p "$JOB$(dirname "$dst")"
    cp -L "$src" "$JOB$dst"
    chmod 755 "$JOB$dst"
    if ldd "$src" >/dev/null 2>&1; then
        for lib in $(ldd "$src" | grep -o '/[^ ]*'); do
            [ -f "$lib" ] || continue
            mkdir -p "$JOB$(dirname "$lib")"
            cp -L "$lib" "$JOB$lib"
        done
    fi
}

# install the binary under test as /usr/sbin/lvsadm
job_add_lvsadm() { # PATH
    local bin=$1
    [ -f "$bin" ] && [ -x "$bin" ] ||
        die "binary under test not found or not executable: $bin (build it: cargo build --release, or pass --lvsadm PATH)"
    job_add_bin "$bin" /usr/sbin/lvsadm
    mkdir -p "$JOB/opt/lvs/bin"
    ln -s /usr/sbin/lvsadm "$JOB/opt/lvs/bin/ipvsadm"
    if cmp -s "$bin" /usr/sbin/ipvsadm; then
        # self-test with the reference standing in: it has no save/restore
        # entry points, so use Debian's scripts as the reference run does
        if [ "$PROG" = tests/kernel/run ] && [ -z "${NOTE_DONE:-}" ]; then
            NOTE_DONE=1
            printf '%s: note: --lvsadm is the reference ipvsadm; ipvsadm-save/-restore are Debian'"'"'s scripts in both runs\n' "$PROG" >&2
        fi
        ln -s /sbin/ipvsadm-save "$JOB/opt/lvs/bin/ipvsadm-save"
        ln -s /sbin/ipvsadm-restore "$JOB/opt/lvs/bin/ipvsadm-restore"
    else
        ln -s /usr/sbin/lvsadm "$JOB/opt/lvs/bin/ipvsadm-save"
        ln -s /usr/sbin/lvsadm "$JOB/opt/lvs/bin/ipvsadm-restore"
    fi
}

# build $JOBDIR/initrd = cached base + per-run archive
job_pack() {
    ( cd "$JOB" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1 ) \
        >"$JOBDIR/job.cpio.gz" || die "cpio of the per-run archive failed"
    cat "$BASE_INITRD" "$JOBDIR/job.cpio.gz" >"$JOBDIR/initrd"
    rm -f "$JOBDIR/job.cpio.gz"
}

QEMU_ARGS=()
# no_timer_check: on a loaded host the emulated CPU can be so slow that the
# kernel's boot-time check of the timer interrupt fails and it panics
# (silently, with loglevel=0: the guest just powers off)
vm_args() { # INITRD
    QEMU_ARGS=(qemu-system-x86_64 -accel tcg -cpu max -m "$VM_MEM" -smp "$VM_SMP"
        -no-reboot -nic none
        -kernel "$VMLINUZ" -initrd "$1"
        -append "console=ttyS0 quiet loglevel=0 panic=-1 no_timer_check${VM_APPEND:+ $VM_APPEND}")
}

# Guests run in the background and are watched for progress, not against a
# fixed wall-clock limit: a slow (loaded) machine makes a run slower, a guest
# that stops making progress is stopped.

# vm_start DIR: boots DIR/initrd in the background, the serial console going
# to DIR/console.log; DIR/qemu.pid is qemu's pid, DIR/qemu.rc its exit
# status once it has ended
vm_start() { # DIR
    local d=$1
    rm -f "$d/qemu.pid" "$d/qemu.rc" "$d/stopped"
    : >"$d/console.log"
    vm_args "$d/initrd"
    (
        "${QEMU_ARGS[@]}" -display none -monitor none -serial "file:$d/console.log" \
            </dev/null >"$d/qemu.out" 2>&1 &
        echo $! >"$d/qemu.pid"
        wait $! 2>/dev/null
        echo $? >"$d/qemu.rc.tmp"
        mv "$d/qemu.rc.tmp" "$d/qemu.rc"
    ) &
}

# progress measures (print a value that changes when the guest progresses):
# the number of results on the console (and the run's start marker) ...
progress_results() { # DIR
    grep -a -c -e '^@@RESULT ' -e '^@@SHOW ' -e '^@@BEGIN ' "$1/console.log" 2>/dev/null
}
# ... or the amount of console output
progress_output() { # DIR
    stat -c %s "$1/console.log" 2>/dev/null || echo 0
}

# vm_wait PROGRESS WATCHDOG DIR...: waits until the guests started with
# vm_start DIR have ended. A guest that has not started its run (the
# `@@BEGIN` marker on the console) after BOOT_WATCHDOG seconds, whose
# PROGRESS value (a function above) has then not changed for WATCHDOG
# seconds, or that runs longer than VM_TIMEOUT seconds (if not 0), is
# killed; DIR/stopped then says why.
BOOT_WATCHDOG=${LVSADM_VM_BOOT_WATCHDOG:-600}
vm_wait() { # PROGRESS WATCHDOG DIR...
    local fn=$1 wd=$2 d p running pid
    shift 2
    local -A last=() since=() booted=()
    local start=$SECONDS
    for d; do last[$d]=; since[$d]=$SECONDS; booted[$d]=; done
    while :; do
        running=0
        for d; do
            [ -f "$d/qemu.rc" ] && continue
            running=1
            [ -f "$d/stopped" ] && continue
            [ -f "$d/qemu.pid" ] || continue
            pid=$(cat "$d/qemu.pid")
            if [ -z "${booted[$d]}" ]; then
                if grep -aq '^@@BEGIN ' "$d/console.log"; then
                    booted[$d]=1 since[$d]=$SECONDS
                elif [ $((SECONDS - since[$d])) -ge "$BOOT_WATCHDOG" ]; then
                    echo "it did not start its run within ${BOOT_WATCHDOG}s of booting (LVSADM_VM_BOOT_WATCHDOG)" >"$d/stopped"
                    kill -KILL "$pid" 2>/dev/null
                    continue
                fi
            fi
            if [ -n "${booted[$d]}" ]; then
                p=$("$fn" "$d")
                if [ "$p" != "${last[$d]}" ]; then
                    last[$d]=$p since[$d]=$SECONDS
                elif [ $((SECONDS - since[$d])) -ge "$wd" ]; then
                    echo "no progress for ${wd}s" >"$d/stopped"
                    kill -KILL "$pid" 2>/dev/null
                    continue
                fi
            fi
            if [ "$VM_TIMEOUT" -gt 0 ] && [ $((SECONDS - start)) -ge "$VM_TIMEOUT" ]; then
                echo "still running after ${VM_TIMEOUT}s (LVSADM_VM_TIMEOUT)" >"$d/stopped"
                kill -KILL "$pid" 2>/dev/null
            fi
        done
        [ $running = 1 ] || break
        sleep 1
    done
    wait
}

# vm_run_one DIR WATCHDOG: boots the guest of DIR (a script-mode run with
# marker token TOKEN) and waits for it, watching its console output; a guest
# that did not get as far as starting its script (nothing has run yet:
# e.g. it did not boot) is booted again, at most LVSADM_VM_RETRIES times.
# Sets qrc to qemu's exit status.
vm_run_one() { # DIR WATCHDOG
    local d=$1 wd=$2 try retries=${LVSADM_VM_RETRIES:-2}
    vm_check_secs LVSADM_VM_RETRIES "$retries"
    for ((try = 0; ; try++)); do
        vm_start "$d"
        vm_wait progress_output "$wd" "$d"
        qrc=$(cat "$d/qemu.rc" 2>/dev/null || echo '?')
        tr -d '\r' <"$d/console.log" | grep -qx "@@BEGIN $TOKEN" && break
        [ "$try" -lt "$retries" ] || break
        echo "$PROG: the guest did not start its script ($(cat "$d/stopped" 2>/dev/null || echo "qemu exit $qrc")); booting it again" >&2
    done
}

# vm_script_run DIR WATCHDOG: runs the script-mode guest of DIR (vm_run_one)
# and leaves the lines its script printed in $WORK/out.txt, the run's markers
# taken off; SCRIPT_STATUS is the script's exit status. With LVSADM_VM_LOG
# set, the console is copied there. Returns 1 if the script did not finish;
# VM_WHY then says why (vm_console_tail shows the end of the console).
vm_script_run() { # DIR WATCHDOG
    local d=$1 wd=$2 finished=0
    vm_run_one "$d" "$wd"
    [ -z "${LVSADM_VM_LOG:-}" ] || cp "$d/console.log" "$LVSADM_VM_LOG"
    tr -d '\r' <"$d/console.log" | awk -v tok="$TOKEN" '
        $0 == "@@BEGIN " tok { on = 1; next }
        $0 == "@@END " tok { print "@@END"; exit }
        on { print }' >"$WORK/out.txt"
    SCRIPT_STATUS=$(sed -n 's/^@@EXIT //p' "$WORK/out.txt" | tail -n 1)
    grep -qx '@@END' "$WORK/out.txt" && [ -n "$SCRIPT_STATUS" ] && finished=1
    sed -i -e '/^@@END$/d' -e '/^@@EXIT /d' "$WORK/out.txt"
    [ "$finished" = 1 ] && return 0
    if [ -f "$d/stopped" ]; then
        case $(cat "$d/stopped") in
        'no progress'*) VM_WHY="the guest hangs: no console output for ${wd}s (LVSADM_VM_WATCHDOG); stopped it" ;;
        *) VM_WHY="the guest was stopped: $(cat "$d/stopped")" ;;
        esac
    else
        VM_WHY="the guest did not finish its script (qemu exit $qrc)"
    fi
    return 1
}

# vm_console_tail DIR: the last 30 lines of the guest's console and 10 of
# qemu's own output
vm_console_tail() { # DIR
    tr -d '\r' <"$1/console.log" | tail -n 30
    [ ! -s "$1/qemu.out" ] || tail -n 10 "$1/qemu.out"
}

# tap_report FILE [FINISHED]: prints the lines of a guest script's output
# (tests/kernel/tap.sh) but its last line `N passed, M failed`, and sets
# pass and fail, counted from the `ok - ` and `FAIL - ` lines. A script that
# finished (FINISHED 1, the default) must have printed that last line, and it
# must agree with the lines: if not, one more failure.
tap_report() { # FILE [FINISHED]
    local summary
    grep -v -E '^[0-9]+ passed, [0-9]+ failed$' "$1"
    pass=$(grep -c '^ok - ' "$1")
    fail=$(grep -c '^FAIL - ' "$1")
    [ "${2:-1}" = 1 ] || return 0
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$1" | tail -n 1)
    if [ -z "$summary" ]; then
        echo "ERROR: the guest script printed no last line 'N passed, M failed'"
        fail=$((fail + 1))
    elif [ "$summary" != "$pass passed, $fail failed" ]; then
        echo "ERROR: the guest's summary '$summary' does not match its $pass ok / $fail FAIL lines"
        fail=$((fail + 1))
    fi
}

# check a watchdog setting
vm_check_secs() { # NAME VALUE
    case $2 in '' | *[!0-9]*) die "$1 must be a number of seconds" ;; esac
}
vm_check_secs LVSADM_VM_TIMEOUT "$VM_TIMEOUT"
vm_check_secs LVSADM_VM_BOOT_WATCHDOG "$BOOT_WATCHDOG"

# keepalived for the guest (tests/kernel/multi, tests/kernel/bench-health)
# keepalived_prepare: sets KA_ROOT, a tree with usr/sbin/keepalived and the
# libraries (from Debian packages) the host does not have
keepalived_prepare() {
    local dir=$CACHE/keepalived deb
    mkdir -p "$dir"
    exec 8>"$dir/.lock"
    flock 8
    if [ ! -x "$dir/root/usr/sbin/keepalived" ]; then
        echo "$PROG: downloading keepalived (Debian package) into $dir" >&2
        rm -rf "$dir/debs" "$dir/root" "$dir/root.tmp"
        mkdir -p "$dir/debs/partial"
        # apt resolves the dependencies the host lacks; download only
        if ! apt-get -q -o Dir::Cache::archives="$dir/debs" -o APT::Sandbox::User=root \
            install -d -y --no-install-recommends keepalived >"$dir/apt.log" 2>&1; then
            apt-get update -qq >&2 || true
            apt-get -q -o Dir::Cache::archives="$dir/debs" -o APT::Sandbox::User=root \
                install -d -y --no-install-recommends keepalived >"$dir/apt.log" 2>&1 ||
                { cat "$dir/apt.log" >&2; die "apt-get cannot download keepalived"; }
        fi
        for deb in "$dir"/debs/*.deb; do
            dpkg -x "$deb" "$dir/root.tmp" || die "dpkg -x $deb failed"
        done
        [ -x "$dir/root.tmp/usr/sbin/keepalived" ] || die "no usr/sbin/keepalived in the downloaded packages"
        rm -rf "$dir/debs"
        mv "$dir/root.tmp" "$dir/root"
    fi
    flock -u 8
    KA_ROOT=$dir/root
}

# job_add_keepalived: /usr/sbin/keepalived and its libraries, from KA_ROOT
# where the host has no copy
job_add_keepalived() {
    local libpath lib rel missing
    libpath=$KA_ROOT/usr/lib/x86_64-linux-gnu:$KA_ROOT/lib/x86_64-linux-gnu
    missing=$(LD_LIBRARY_PATH=$libpath ldd "$KA_ROOT/usr/sbin/keepalived" | grep 'not found')
    [ -z "$missing" ] || die "keepalived needs libraries found neither on the host nor in $KA_ROOT: $missing"
    mkdir -p "$JOB/usr/sbin"
    cp "$KA_ROOT/usr/sbin/keepalived" "$JOB/usr/sbin/keepalived"
    for lib in $(LD_LIBRARY_PATH=$libpath ldd "$KA_ROOT/usr/sbin/keepalived" | grep -o '/[^ ]*'); do
        [ -f "$lib" ] || continue
        rel=${lib#"$KA_ROOT"}
        [ -e "$JOB$rel" ] && continue
        mkdir -p "$JOB$(dirname "$rel")"
        cp -L "$lib" "$JOB$rel"
    done
}
