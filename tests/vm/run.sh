#!/bin/bash
# The VM suite, one command: runs the integration test inside Debian cloud kernels under QEMU,
# once per backend, because the development machines' kernel only runs the tracepoint backend
# (docs/backends.md). Three kernels, so that every fast path of the BPF programs is proven
# together with its fallback (bpf/socket_read.bpf.h):
#   6.1  (bookworm)            the backend-dependent tests (init.sh), each backend forced, auto
#                              with and without BPF LSM, the churn test under fentry
#   5.10 (bullseye)            no bpf_get_current_task_btf, no bpf_rdonly_cast: every fallback
#   6.12 (bookworm-backports)  bpf_rdonly_cast, but not yet its cast to void
# On 5.10 and 6.12 the counting tests only (sle.filter), to keep the suite near 10 minutes; then
# 6.1 and 6.12 again with two CPUs and preempt=full for the stress tests (every backend on 6.1,
# the trampoline ones on 6.12), a CPU taken offline and back among them.
#   tests/vm/run.sh [--exporter BIN] [--test BIN] [--out DIR] [--timeout SECONDS] [--boots A,B]
# Defaults: build/socket_lsm_exporter, build/tests/integration/integration_test, build/vm, 900,
# every boot. Console logs go to OUT/<boot>.log. SLE_VM_ACCEL=kvm|tcg skips the KVM probe.
# A boot that fails before its first run begins (TCG has been seen to double-fault in early
# boot) is retried once, and the summary says so; a failure once a run has begun never is.
# Exit 0 when every run passed (or the suite is SKIPPED: not root / no QEMU).
set -eu -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
exporter=$root/build/socket_lsm_exporter
test_bin=$root/build/tests/integration/integration_test
out=$root/build/vm
boot_timeout=900
only=''
while [ $# -gt 0 ]; do
  case $1 in
    --exporter) exporter=$2; shift 2 ;;
    --test) test_bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --timeout) boot_timeout=$2; shift 2 ;;
    --boots) only=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
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
# The AppArmor profile of the tests of refused calls (tests/integration/denial_test.cpp).
parser=$(command -v apparmor_parser) || skip "apparmor_parser not installed (scripts/install-deps.sh)"

mkdir -p "$out"
out=$(cd "$out" && pwd)
initrd=$out/initramfs.cpio.gz
"$here/build-initramfs.sh" --exporter "$exporter" --test "$test_bin" --extra "$parser" --out "$initrd"
declare -A kernels
for dist in bookworm bullseye bookworm-backports; do
  kernels[$dist]=$("$here/fetch-kernel.sh" --dist "$dist" "$out")
  echo "vm: kernel ($dist) ${kernels[$dist]}"
done
kernel=${kernels[bookworm]}

# qemu_boot LOG TIMEOUT ACCEL APPEND [KERNEL] [CPUS]: one boot, console to LOG; returns timeout's/QEMU's
# status. cx16=off: bookworm's QEMU 7.2 emulates CMPXCHG16B under TCG so that EFLAGS comes back
# corrupted now and then; 6.12's SLUB fast path (this_cpu_try_cmpxchg128) then double-faults, in
# early boot or mid-test (4 boots of 6.12 out of 5 here). Without CX16 the kernels take SLUB's
# other path: 3 of 3 boots of 6.12 clean. KVM runs the host CPU as it is.
qemu_boot() {
  local log=$1 limit=$2 accel=$3 append=$4 vmlinuz=${5:-$kernel} smp=${6:-1} cpu=max,cx16=off
  [ "$accel" = tcg ] || cpu=max
  timeout "$limit" qemu-system-x86_64 -machine "accel=$accel" -cpu "$cpu" -m 1024 -smp "$smp" \
    -nographic -no-reboot -nic none -kernel "$vmlinuz" -initrd "$initrd" \
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

# Boot name | kernel (fetch-kernel.sh --dist) | lsm= list | runs (auto:X = auto, expecting X for
# every hook) | gtest filter (empty: init's default, every test but promtool's) | the kernel
# features the exporter must find there (loader/kernel_features.h) | CPUs (default 1) | more of
# the kernel's command line. The stress boots (tests/integration/stress_test.cpp): two CPUs, one
# of them taken offline and back, and preempt=full, so that trampoline programs (lsm, fentry)
# really are preempted midway (the kernels default to voluntary preemption, where they never are).
# kprobe and tracepoint programs never are; but under full preemption the kernel skips them on a
# CPU where a bpf() map call (the exporter's reads) was preempted, counting the skips in
# recursion_misses only from 6.7: on 6.1 they run after switching back to voluntary.
# The lsm backend loads the same programs as fentry with the outcome labels on (fexit): it runs
# the tests of refused calls only (denial:lsm), which are also in every other backend's runs.
# AppArmor (5.10, 6.1, 6.12) and Landlock's network rules (6.12: ABI 4 is 6.7+) refuse calls
# there, so they come before bpf in the lsm= lists, as in distributions' defaults.
counting='*CountsEveryHook*:*Overflow*:*BpfRunStats*:DenialTest.*'
boots=(
  "6.1-bpf-lsm|bookworm|lockdown,capability,landlock,apparmor,bpf|fentry,kprobe,tracepoint,auto:fentry,denial:lsm,churn:fentry||task_btf"
  "6.1-no-bpf-lsm|bookworm|lockdown,capability,landlock,apparmor|auto:fentry,denial:lsm|$counting|task_btf"
  "5.10-bpf-lsm|bullseye|lockdown,capability,apparmor,bpf|fentry,kprobe,tracepoint,auto:fentry,denial:lsm|$counting|none"
  "6.12-bpf-lsm|bookworm-backports|lockdown,capability,landlock,apparmor,bpf|fentry,kprobe,tracepoint,auto:fentry,denial:lsm|$counting|task_btf,rdonly_cast"
  "6.1-stress|bookworm|lockdown,capability,landlock,bpf|stress:fentry,preempt:voluntary,stress:kprobe,stress:tracepoint||task_btf|2|preempt=full"
  "6.12-stress|bookworm-backports|lockdown,capability,landlock,bpf|stress:fentry,stress:kprobe||task_btf,rdonly_cast|2|preempt=full"
)

passed=0 failed=0
summary=()
suite_t0=$(date +%s)
for spec in "${boots[@]}"; do
  IFS='|' read -r boot dist lsm runs filter features smp extra <<<"$spec"
  if [ -n "$only" ] && [[ ",$only," != *",$boot,"* ]]; then continue; fi
  log=$out/$boot.log
  append="lsm=$lsm sle.runs=$runs sle.features=$features${extra:+ $extra}"
  [ -z "$filter" ] || append="$append sle.filter=$filter"
  for attempt in 1 2; do
    echo "vm: boot $boot ($dist kernel, lsm=$lsm, ${smp:-1} CPUs${extra:+, $extra}, runs $runs${filter:+, tests $filter}, timeout ${boot_timeout}s)"
    t0=$(date +%s)
    status=0
    qemu_boot "$log" "$boot_timeout" "$accel" "$append" "${kernels[$dist]}" "${smp:-1}" || status=$?
    elapsed=$(( $(date +%s) - t0 ))
    # The serial console ends lines with CR LF.
    clean=$(tr -d '\r' <"$log")
    # Nothing of ours ran yet: the kernel or init failed on its own (a TCG double fault in early
    # boot was seen once in five boots of 6.12). Such a boot gets one more try; once a run has
    # begun, a failure is the test's and stands.
    if [ "$attempt" -eq 1 ] && ! grep -q '^SLE-VM-BEGIN' <<<"$clean"; then
      why="qemu status $status"
      grep -q '^SLE-VM-INIT' <<<"$clean" || why="$why, init never started"
      echo "vm: boot $boot failed before its first run began ($why, ${elapsed}s); retrying once"
      echo "----- last lines of $log -----"
      tail -n 30 <<<"$clean"
      echo "----- end -----"
      cp "$log" "$log.first-attempt"
      summary+=("vm: $boot: first boot failed before any run began ($why), retried; log $log.first-attempt")
      continue
    fi
    break
  done
  boot_ok=true
  if [ "$status" -eq 124 ]; then
    echo "vm: boot $boot TIMED OUT after ${elapsed}s"; boot_ok=false
  elif [ "$status" -ne 0 ]; then
    echo "vm: boot $boot: qemu exited with $status after ${elapsed}s"; boot_ok=false
  elif ! grep -q '^SLE-VM-DONE' <<<"$clean"; then
    echo "vm: boot $boot ended without SLE-VM-DONE after ${elapsed}s"; boot_ok=false
  fi
  boot_failed=0
  release=$(sed -n 's/^SLE-VM-KERNEL release=\([^ ]*\).*/\1/p' <<<"$clean" | head -n 1)
  for run in ${runs//,/ }; do
    line=$(grep -E "^SLE-VM-RESULT run=$run rc=" <<<"$clean" | tail -n 1 || true)
    rc=$(sed -n 's/.* rc=\([0-9]*\).*/\1/p' <<<"$line")
    secs=$(sed -n 's/.* seconds=\([0-9]*\).*/\1/p' <<<"$line")
    if [ -z "$line" ]; then
      summary+=("vm: $boot/$run: FAILED (no result: the run did not finish)")
      failed=$((failed + 1)); boot_failed=1
    elif [ "$rc" != 0 ]; then
      summary+=("vm: $boot/$run: FAILED (rc=$rc, ${secs}s, kernel $release)")
      failed=$((failed + 1)); boot_failed=1
    else
      summary+=("vm: $boot/$run: passed (${secs}s, kernel $release)")
      passed=$((passed + 1))
    fi
  done
  summary+=("vm: boot $boot took ${elapsed}s")
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
echo "vm: $passed passed, $failed failed, $(( $(date +%s) - suite_t0 ))s of boots"
[ "$failed" -eq 0 ]
