#!/bin/bash
# The benchmark, one command (README, Performance): what the exporter's hooks cost a process that
# makes socket calls, next to an empty program on the same attach points (the floor), bpftrace's
# count() keyed like the exporter and bpftrace's printf per event (streaming). Prints Markdown:
#   1. this machine, with the backend `auto` picks here (tests/bench/hook_bench);
#   2. the QEMU VM with Debian bookworm's 6.1 cloud kernel, one table per backend (lsm, fentry,
#      kprobe, tracepoint); under TCG only the ratios mean anything.
#
#   scripts/bench.sh [--host-only | --vm-only] [--rounds N] [--vm-rounds N]
#                    [--baseline LABEL=EXPORTER_BINARY]... [--features LIST]...
#
# --baseline adds another build of the exporter (e.g. the revision before a change), run as a
# process, to both sections; --features adds the exporter with $SLE_BPF_FEATURES=LIST (its slower
# read paths). Needs root, bpftrace, and for the VM section qemu-system-x86, busybox-static and
# cpio (scripts/install-deps.sh). Builds what it needs into build/. Takes about 6 minutes for
# the host and 15 for the VM (TCG).
set -eu -o pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

command=scripts/bench.sh
[ $# -eq 0 ] || command="$command$(printf ' %q' "$@")"
host=true vm=true rounds=9 vm_rounds=5
extra=()
baselines=()
while [ $# -gt 0 ]; do
  case $1 in
    --host-only) vm=false; shift ;;
    --vm-only) host=false; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    --vm-rounds) vm_rounds=$2; shift 2 ;;
    --baseline) baselines+=("$2"); shift 2 ;;
    --features) extra+=("--features=$2"); shift 2 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (BPF)" >&2; exit 1; }
bpftrace=$(command -v bpftrace || echo none)

cmake -S . -B build >/dev/null
cmake --build build -j2 --target hook_bench socket_lsm_exporter integration_test >/dev/null
bench=$root/build/tests/bench/hook_bench

echo "# socket-lsm-exporter benchmark"
echo
echo "$(date -u +%Y-%m-%d), revision $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)," \
  "$(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1))," \
  "command: $command"
echo

if $host; then
  args=(--backend=auto --rounds="$rounds" --cpu=$(($(nproc) - 1)) --bpftrace="$bpftrace" --parts "${extra[@]}")
  for b in "${baselines[@]}"; do args+=(--baseline="$b"); done
  echo "## This machine"
  echo
  echo "Figures: the calling thread's CPU time per call (ns), medians over $rounds rounds."
  echo
  "$bench" "${args[@]}"
  echo
fi

if $vm; then
  out=$root/build/vm-bench
  mkdir -p "$out"
  initrd=$out/initramfs.cpio.gz
  vm_extra=(--extra "$bench")
  vm_args="--rounds=$vm_rounds,--ms=40,--quiet,--target-floor=1.5"
  for f in "${extra[@]}"; do vm_args="$vm_args,$f"; done
  for b in "${baselines[@]}"; do
    label=${b%%=*} binary=${b#*=}
    cp "$binary" "$out/exporter-$label"
    vm_extra+=(--extra "$out/exporter-$label")
    vm_args="$vm_args,--baseline=$label=/opt/sle/bin/exporter-$label"
  done
  bpftrace_note=''
  if [ "$bpftrace" != none ]; then
    # bpftrace and its ~200 MB of libraries (LLVM, clang), and clang's headers, which it parses.
    vm_extra+=(--extra "$bpftrace" --tree /usr/lib/llvm-14/lib/clang)
    vm_args="$vm_args,--bpftrace=/opt/sle/bin/bpftrace"
  else
    vm_args="$vm_args,--bpftrace=none"
    bpftrace_note=' (no bpftrace installed on this machine)'
  fi
  tests/vm/build-initramfs.sh --exporter build/socket_lsm_exporter \
    --test build/tests/integration/integration_test --out "$initrd" "${vm_extra[@]}" >&2
  kernel=$(tests/vm/fetch-kernel.sh --dist bookworm "$root/build/vm")
  log=$out/console.log
  echo "## QEMU VM (TCG), Debian bookworm cloud kernel$bpftrace_note"
  echo
  echo "Kernel $(basename "$kernel" | sed 's/^vmlinuz-//'), booted with lsm=...,bpf, 1 CPU, TCG" \
    "(no KVM here): every instruction is emulated, so absolute figures mean nothing; compare" \
    "ratios within a table. $vm_rounds rounds; the calling thread's CPU time per call."
  echo
  t0=$(date +%s)
  timeout 5400 qemu-system-x86_64 -machine accel=tcg -cpu max,cx16=off -m 2048 -smp 1 -nographic \
    -no-reboot -nic none -kernel "$kernel" -initrd "$initrd" \
    -append "console=ttyS0 panic=-1 lsm=lockdown,capability,landlock,bpf sle.runs= sle.bench=lsm,fentry,kprobe,tracepoint sle.bench_args=$vm_args" \
    </dev/null >"$log" 2>&1 || echo "bench: qemu exited with $? (console: $log)"
  # The console ends lines with CR LF; progress lines end in CR alone.
  tr -d '\r' <"$log" | awk '
    /^SLE-VM-BENCH-BEGIN/ { split($2, b, "="); print "### Backend " b[2] "\n"; on = 1; next }
    /^SLE-VM-BENCH-END/ { on = 0; if ($3 != "rc=0") print "\n(hook_bench: " $3 ")"; print ""; next }
    on { print }'
  echo "(VM run: $(( $(date +%s) - t0 )) s; console log $log)"
fi
