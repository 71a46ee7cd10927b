#!/bin/bash
# The VM suite, one command: runs the integration test inside the Debian bookworm cloud kernel
# under QEMU, once per backend, because the development machines' kernel only runs the
# tracepoint backend (README, "Backends").
#   tests/vm/run.sh [--exporter BIN] [--test BIN] [--out DIR] [--timeout SECONDS]
# Defaults: build/socket_lsm_exporter, build/tests/integration/integration_test, build/vm, 900.
# Two boots: one with `bpf` in the LSM list (lsm, fentry, kprobe, tracepoint, auto -> lsm), one
# without it (auto -> fentry). Console logs go to OUT/<boot>.log. SLE_VM_ACCEL=kvm|tcg skips the
# KVM probe. Exit 0 when every run passed (or the suite is SKIPPED: not root / no QEMU).
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
exporter=$root/build/socket_lsm_exporter
test_bin=$root/build/tests/integration/integration_test
out=$root/build/vm
boot_timeout=900
while [ $# -gt 0 ]; do
  case $1 in
    --exporter) exporter=$2; shift 2 ;;
    --test) test_bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --timeout) boot_timeout=$2; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "vm: unknown argument $1" >&2; exit 2 ;;
  esac
done

skip() {
  # In CI everything is installed (scripts/install-deps.sh): a skip there would hide a broken
  # setup behind a green run, so it fails instead.
  if [ "${CI:-}" = true ]; then
    echo "vm: FAILED: $1 (CI=true, the VM suite must run)"
    echo "vm: 0 passed, 1 failed"
    exit 1
  fi
  echo "SKIPPED: $1"
  exit 0
}
[ "$(id -u)" -eq 0 ] || skip "the VM suite needs root (apt-get download of the kernel)"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 not installed (scripts/install-deps.sh)"
[ -x /bin/busybox ] || skip "busybox-static not installed (scripts/install-deps.sh)"
command -v cpio >/dev/null || skip "cpio not installed (scripts/install-deps.sh)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
initrd=$out/initramfs.cpio.gz
"$here/build-initramfs.sh" --exporter "$exporter" --test "$test_bin" --out "$initrd"
kernel=$("$here/fetch-kernel.sh" "$out")
echo "vm: kernel $kernel"

# qemu_boot LOG TIMEOUT ACCEL APPEND: one boot, console to LOG; returns timeout's/QEMU's status.
qemu_boot() {
  local log=$1 limit=$2 accel=$3 append=$4
  timeout "$limit" qemu-system-x86_64 -machine "accel=$accel" -cpu max -m 1024 -smp 1 \
    -nographic -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 $append" </dev/null >"$log" 2>&1
}

# KVM only where it really works: on the development machines /dev/kvm exists but a boot fails
# (MSR error) or hangs, so a tiny boot with no runs must reach init's DONE marker first; a
# working KVM gets there in a few seconds, so 30 s is plenty.
accel=${SLE_VM_ACCEL:-}
if [ -z "$accel" ]; then
  accel=tcg
  if [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    t0=$(date +%s)
    if qemu_boot "$out/kvm-probe.log" 30 kvm "sle.runs=" && grep -q '^SLE-VM-DONE' <(tr -d '\r' <"$out/kvm-probe.log"); then
      accel=kvm
    fi
    echo "vm: KVM probe $( [ $accel = kvm ] && echo works || echo 'failed, using TCG' ) ($(( $(date +%s) - t0 )) s, $out/kvm-probe.log)"
  fi
fi
echo "vm: accel=$accel"

# Boot name | lsm= list | runs (auto:X = auto, expecting X for every hook).
boots=(
  "bpf-lsm|lockdown,capability,landlock,bpf|lsm,fentry,kprobe,tracepoint,auto:lsm"
  "no-bpf-lsm|lockdown,capability,landlock,apparmor|auto:fentry"
)

passed=0 failed=0
summary=()
for spec in "${boots[@]}"; do
  IFS='|' read -r boot lsm runs <<<"$spec"
  log=$out/$boot.log
  echo "vm: boot $boot (lsm=$lsm, runs $runs, timeout ${boot_timeout}s)"
  t0=$(date +%s)
  status=0
  qemu_boot "$log" "$boot_timeout" "$accel" "lsm=$lsm sle.runs=$runs" || status=$?
  elapsed=$(( $(date +%s) - t0 ))
  # The serial console ends lines with CR LF.
  clean=$(tr -d '\r' <"$log")
  boot_ok=true
  if [ "$status" -eq 124 ]; then
    echo "vm: boot $boot TIMED OUT after ${elapsed}s"; boot_ok=false
  elif [ "$status" -ne 0 ]; then
    echo "vm: boot $boot: qemu exited with $status after ${elapsed}s"; boot_ok=false
  elif ! grep -q '^SLE-VM-DONE' <<<"$clean"; then
    echo "vm: boot $boot ended without SLE-VM-DONE after ${elapsed}s"; boot_ok=false
  fi
  boot_failed=0
  for run in ${runs//,/ }; do
    line=$(grep -E "^SLE-VM-RESULT run=$run rc=" <<<"$clean" | tail -n 1 || true)
    rc=$(sed -n 's/.* rc=\([0-9]*\).*/\1/p' <<<"$line")
    secs=$(sed -n 's/.* seconds=\([0-9]*\).*/\1/p' <<<"$line")
    if [ -z "$line" ]; then
      summary+=("vm: $boot/$run: FAILED (no result: the run did not finish)")
      failed=$((failed + 1)); boot_failed=1
    elif [ "$rc" != 0 ]; then
      summary+=("vm: $boot/$run: FAILED (rc=$rc, ${secs}s)")
      failed=$((failed + 1)); boot_failed=1
    else
      summary+=("vm: $boot/$run: passed (${secs}s)")
      passed=$((passed + 1))
    fi
  done
  echo "vm: boot $boot took ${elapsed}s (qemu status $status), log $log"
  if [ "$boot_failed" -eq 0 ] && $boot_ok; then
    # Success: init's part of the console is enough (the kernel's boot messages are in the log).
    sed -n '/^SLE-VM-INIT/,$p' <<<"$clean"
  else
    echo "----- $log -----"
    printf '%s\n' "$clean"
    echo "----- end of $log -----"
  fi
done

printf '%s\n' "${summary[@]}"
echo "vm: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
