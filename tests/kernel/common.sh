# shellcheck shell=bash
# Shared helpers for tests/kernel/run and tests/kernel/shell (bash, sourced).

KHERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$KHERE/../.." && pwd)
CACHE=${LVSADM_VM_CACHE:-$REPO/target/kernel-cache}
VM_TIMEOUT=${LVSADM_VM_TIMEOUT:-1200}
VM_MEM=${LVSADM_VM_MEM:-1024}
VM_SMP=${LVSADM_VM_SMP:-1}

die() { printf '%s: ERROR: %s\n' "$PROG" "$*" >&2; exit 2; }

# run setup (idempotent) and load the paths it wrote
vm_prepare() {
    "$KHERE/setup" || die "tests/kernel/setup failed"
    # shellcheck disable=SC1091
    . "$CACHE/current.env"
    [ -f "$VMLINUZ" ] && [ -f "$BASE_INITRD" ] || die "setup left no kernel/initramfs in $CACHE"
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/lvsadm-vm.XXXXXX")
    trap 'rm -rf "$WORK"' EXIT
}

# start a per-run tree in DIR: JOBDIR=DIR, JOB=DIR/root (the archive's root),
# TOKEN = a fresh marker token
job_new() { # DIR
    JOBDIR=$1
    JOB=$JOBDIR/root
    mkdir -p "$JOB/job"
    TOKEN=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$TOKEN" >"$JOB/job/token"
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
vm_args() { # INITRD
    QEMU_ARGS=(qemu-system-x86_64 -accel tcg -cpu max -m "$VM_MEM" -smp "$VM_SMP"
        -no-reboot -nic none
        -kernel "$VMLINUZ" -initrd "$1"
        -append "console=ttyS0 quiet loglevel=0 panic=-1")
}
