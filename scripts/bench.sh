#!/bin/bash
# The benchmark, one command (docs/performance.md): what the exporter's hooks cost a process that
# makes socket calls, next to an empty program on the same attach points (the floor), bpftrace's
# count() keyed like the exporter and bpftrace's printf per event (streaming). Prints Markdown:
#   1. this machine, with the backend `auto` picks here (tests/bench/hook_bench);
#   2. the QEMU VM with Debian bookworm's 6.1 cloud kernel, one table per backend (fentry,
#      kprobe, tracepoint; lsm loads fentry's programs), with what counting at the hook's return
#      (the outcome labels) costs against counting at its entry; under TCG only the ratios mean
#      anything;
#   3. memory and reads against the possible CPUs (tests/bench/scale_bench --cpu-axis): on this
#      machine, then in that VM with 2 online CPUs booted with possible_cpus=2, 64 and 256; each
#      exporter (this build and every --baseline) with the default config and 100,000 series.
#
#   scripts/bench.sh [--host-only | --vm-only | --scale-only] [--rounds N] [--vm-rounds N]
#                    [--vm-backends LIST] [--baseline LABEL=EXPORTER_BINARY]... [--features LIST]...
#
# --baseline adds another build of the exporter (e.g. the revision before a change), run as a
# process, to every section; --features adds the exporter with $SLE_BPF_FEATURES=LIST (its
# slower read paths). Needs root, bpftrace, and for the VM sections qemu-system-x86,
# busybox-static and cpio (scripts/install-deps.sh). Builds what it needs into build/. Takes
# about 8 minutes for the host, 15 for the VM (TCG) and 20 for memory and reads.
set -eu -o pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

command=scripts/bench.sh
[ $# -eq 0 ] || command="$command$(printf ' %q' "$@")"
host=true vm=true scale=true rounds=9 vm_rounds=5 vm_backends=fentry,kprobe,tracepoint
extra=()
baselines=()
while [ $# -gt 0 ]; do
  case $1 in
    --host-only) vm=false scale=false; shift ;;
    --vm-only) host=false scale=false; shift ;;
    --scale-only) host=false vm=false; shift ;;
    --rounds) rounds=$2; shift 2 ;;
    --vm-rounds) vm_rounds=$2; shift 2 ;;
    --vm-backends) vm_backends=$2; shift 2 ;;
    --baseline) baselines+=("$2"); shift 2 ;;
    --features) extra+=("--features=$2"); shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench: needs root (BPF)" >&2; exit 1; }
bpftrace=$(command -v bpftrace || echo none)

cmake -S . -B build >/dev/null
cmake --build build -j2 --target hook_bench scale_bench socket_lsm_exporter integration_test >/dev/null
bench=$root/build/tests/bench/hook_bench

echo "# socket-lsm-exporter benchmark"
echo
echo "$(date -u +%Y-%m-%d), revision $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)," \
  "$(nproc) CPUs ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1))," \
  "command: $command"
echo

if $host; then
  args=(--backend=auto --rounds="$rounds" --cpu=$(($(nproc) - 1)) --bpftrace="$bpftrace" --parts --contention "${extra[@]}")
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
    -append "console=ttyS0 panic=-1 lsm=lockdown,capability,landlock,bpf sle.runs= sle.bench=$vm_backends sle.bench_args=$vm_args" \
    </dev/null >"$log" 2>&1 || echo "bench: qemu exited with $? (console: $log)"
  # The console ends lines with CR LF; progress lines end in CR alone.
  tr -d '\r' <"$log" | awk '
    /^SLE-VM-BENCH-BEGIN/ { split($2, b, "="); print "### Backend " b[2] "\n"; on = 1; next }
    /^SLE-VM-BENCH-END/ { on = 0; if ($3 != "rc=0") print "\n(hook_bench: " $3 ")"; print ""; next }
    on { print }'
  echo "(VM run: $(( $(date +%s) - t0 )) s; console log $log)"
fi

if $scale; then
  out=$root/build/vm-scale
  mkdir -p "$out"
  initrd=$out/initramfs.cpio.gz
  # The exporters compared: this build, and each --baseline.
  axis_here="new=$root/build/socket_lsm_exporter"
  axis_vm="new=/opt/sle/bin/socket_lsm_exporter"
  scale_extra=(--extra "$root/build/tests/bench/scale_bench")
  for b in "${baselines[@]}"; do
    label=${b%%=*} binary=${b#*=}
    cp "$binary" "$out/exporter-$label"
    scale_extra+=(--extra "$out/exporter-$label")
    axis_here="$axis_here,$label=$binary"
    axis_vm="$axis_vm+$label=/opt/sle/bin/exporter-$label"
  done
  tests/vm/build-initramfs.sh --exporter build/socket_lsm_exporter \
    --test build/tests/integration/integration_test --out "$initrd" "${scale_extra[@]}" >&2
  kernel=$(tests/vm/fetch-kernel.sh --dist bookworm "$root/build/vm")
  echo "## Memory and reads against the possible CPUs"
  echo
  echo "\`tests/bench/scale_bench --cpu-axis=...\` for each exporter (new: this build;" \
    "others: --baseline), with the default config and with a 100,000-series one (setsockopt's" \
    "capacity 100,000, 99,000 series in both generations, read every 1 s): the drop of" \
    "MemAvailable once the exporter runs (what its maps and its process take; caches dropped" \
    "before each reading, the median of three), the growth of the kernel's per-CPU allocations" \
    "(Percpu in /proc/meminfo), the exporter's resident size (its own part), the memlock its" \
    "maps report (fdinfo: real usage from 6.4, an estimate from the maps' sizes before), and" \
    "the read cycle of the 100,000 series (median of nine). On this machine, then in QEMU" \
    "guests (TCG, no KVM here) of Debian's $(basename "$kernel" | sed 's/^vmlinuz-//') with" \
    "2 online CPUs and" \
    "3072 MiB, booted with possible_cpus=2, 64 and 256 (6.9+ kernels ignore it), and of" \
    "bookworm-backports' 6.12 with 32 online CPUs (memlock as real usage). Under TCG every" \
    "instruction is emulated: the guests' times compare with each other, this machine's are" \
    "real."
  echo
  echo "| where | possible CPUs | exporter | default: MemAvailable drop MiB | default: Percpu MiB |" \
    "default: memlock MiB | 100k: MemAvailable drop MiB | 100k: Percpu MiB | 100k: RSS MiB |" \
    "100k: memlock MiB | 100k: read ms | 100k: CPU ms per read |"
  echo "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"
  t0=$(date +%s)
  rows=$out/rows.txt
  : >"$rows"
  # The cpu-axis lines of one place, as table rows, kept in $rows as "where possible exporter
  # config drop memlock read cpu" for the verdicts.
  print_axis() {
    local where=$1
    awk -v where="$where" '
      /^cpu-axis / {
        for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = substr($i, length(kv[1]) + 2) }
        key = v["exporter"]
        possible[key] = v["possible_cpus"]
        if (v["config"] == "default") { d_drop[key] = v["mem_available_drop_mib"]; d_pcpu[key] = v["percpu_mib"]; d_lock[key] = v["maps_memlock_mib"] }
        else { h_drop[key] = v["mem_available_drop_mib"]; h_pcpu[key] = v["percpu_mib"]; h_rss[key] = v["rss_mib"]; h_lock[key] = v["maps_memlock_mib"]; h_read[key] = v["read_ms"]; h_cpu[key] = v["cpu_ms_per_read"] }
        if (!(key in seen)) { order[n++] = key; seen[key] = 1 }
      }
      END {
        for (i = 0; i < n; i++) {
          k = order[i]
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", where, possible[k], k, d_drop[k], d_pcpu[k], d_lock[k], h_drop[k], h_pcpu[k], h_rss[k], h_lock[k], h_read[k], h_cpu[k]
          printf "%s %s %s %s %s %s %s %s\n", where, possible[k], k, d_drop[k], h_drop[k], h_read[k], d_lock[k], h_lock[k] >> "/dev/stderr"
        }
      }' 2>>"$rows"
  }
  "$root/build/tests/bench/scale_bench" --cpu-axis="$axis_here" | print_axis "this machine"
  # axis_boot LOG KERNEL SMP APPEND: one guest's cpu-axis run, its console to LOG; a boot that
  # ends before the run (TCG has been seen to fault in early boot) is tried once more.
  axis_boot() {
    for attempt in 1 2; do
      timeout 5400 qemu-system-x86_64 -machine accel=tcg -cpu max,cx16=off -m 3072 -smp "$3" \
        -nographic -no-reboot -nic none -kernel "$2" -initrd "$initrd" \
        -append "console=ttyS0 panic=-1 lsm=lockdown,capability,landlock,bpf sle.runs= sle.scale=--cpu-axis=$axis_vm $4" \
        </dev/null >"$1" 2>&1 || echo "bench: qemu exited with $? (console: $1)" >&2
      grep -q '^SLE-VM-SCALE-END' <(tr -d '\r' <"$1") && return
      echo "bench: no result in $1 (attempt $attempt)" >&2
    done
  }
  for possible in 2 64 256; do
    log=$out/console-possible-$possible.log
    axis_boot "$log" "$kernel" 2 "possible_cpus=$possible"
    tr -d '\r' <"$log" | print_axis "VM"
  done
  # memlock as real usage needs 6.4+, which ignores possible_cpus=: 32 online CPUs instead.
  kernel_612=$(tests/vm/fetch-kernel.sh --dist bookworm-backports "$root/build/vm")
  log=$out/console-6.12-online-32.log
  axis_boot "$log" "$kernel_612" 32 ""
  tr -d '\r' <"$log" | print_axis "VM $(basename "$kernel_612" | sed 's/^vmlinuz-//'), 32 online"
  echo
  # Verdicts for this build against the issue's targets, from the guests' rows.
  awk '
    $1 == "VM" && $2 ~ /^[0-9]+$/ && $3 == "new" { drop_d[$2] = $4; drop_h[$2] = $5; read[$2] = $6 }
    $1 == "VM" && $2 ~ /^[0-9]+$/ && $3 != "new" && $2 == 2 { old_d = $4; old_h = $5; old = $3 }
    END {
      if (!(2 in drop_d) || !(256 in drop_d)) { print "(no verdicts: a guest gave no figures)"; exit }
      printf "Targets (the guests, this build): memory at 256 possible CPUs at most 32 MiB more than at 2: default config +%.1f MiB (%s), 100,000 series +%.1f MiB (%s); ", drop_d[256] - drop_d[2], (drop_d[256] - drop_d[2] <= 32 ? "met" : "missed"), drop_h[256] - drop_h[2], (drop_h[256] - drop_h[2] <= 32 ? "met" : "missed")
      if (old != "") printf "at 2 no more than %s: %.1f vs %.1f MiB (%s), 100,000 series %.1f vs %.1f MiB (%s); ", old, drop_d[2], old_d, (drop_d[2] <= old_d ? "met" : "missed"), drop_h[2], old_h, (drop_h[2] <= old_h ? "met" : "missed")
      printf "the read of 100,000 series at 256 possible CPUs within 1.5 x of that at 2: %.2f x (%s).\n", read[256] / read[2], (read[256] <= 1.5 * read[2] ? "met" : "missed")
    }' "$rows"
  echo
  echo "(Memory and reads: $(( $(date +%s) - t0 )) s; console logs $out/console-possible-*.log)"
fi
