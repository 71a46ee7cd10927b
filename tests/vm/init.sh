#!/bin/busybox sh
# shellcheck shell=sh
# /init of the VM suite's initramfs (tests/vm/build-initramfs.sh copies it in). Mounts what the
# exporter and the integration test need, runs the integration test once per entry of the kernel
# command line's sle.runs= and reports each on the serial console, then powers off.
#   sle.runs=fentry,auto:fentry    an entry is a backend, auto:X (auto, expecting X everywhere),
#                                  churn:X (the churn test alone, backend X), or stress:X (the
#                                  stress tests alone, backend X, a CPU taken offline and back
#                                  included: boot with two CPUs), denial:X (the tests of calls a
#                                  real LSM refuses alone, backend X), or preempt:MODE (switches the
#                                  kernel's dynamic preemption, none, voluntary or full, for the
#                                  runs after it: PREEMPT_DYNAMIC kernels, 5.12+)
#   sle.stress_calls=N             the stress test's calls per thread, default 20000 (a multiple
#                                  of 200)
#   sle.filter=GTEST_FILTER        default: the tests whose outcome depends on the backend and the
#                                  kernel (counting, restarts, capabilities, stopping); the web
#                                  and config tests run on the host, promtool is not in the VM
#   sle.churn_cgroups=N            the churn runs' cgroups, default 300, expiring after 45 s (the
#                                  host's churn test makes 10,000; under TCG 300 take 3 s alone and
#                                  about 20 s with the host's cores busy with other tests)
#   sle.run_timeout=SECONDS        per run, default 600
#   sle.features=task_btf          the kernel features the exporter must find (the integration
#                                  test's $SLE_EXPECT_FEATURES), e.g. none, task_btf,rdonly_cast
#   sle.bench=lsm,fentry           after the runs, the benchmark (tests/bench/hook_bench, when the
#                                  initramfs has it) once per backend; sle.bench_args=A,B its
#                                  arguments (commas for spaces). Markers: SLE-VM-BENCH-BEGIN
#                                  backend=X, SLE-VM-BENCH-END backend=X rc=N seconds=S
#   sle.scale=A,B                  after those, tests/bench/scale_bench (when the initramfs has
#                                  it) with the arguments A B (commas for spaces, + for a comma
#                                  inside one: --series=1000+100000). Markers: SLE-VM-SCALE-BEGIN
#                                  possible=0-63 online=0-1 (the guest's CPUs, from sysfs),
#                                  SLE-VM-SCALE-END rc=N seconds=S
# Markers read by run.sh: SLE-VM-INIT, SLE-VM-BEGIN run=X, SLE-VM-RESULT run=X rc=N seconds=S,
# SLE-VM-DONE. Only -u, not -e: if /init exited the kernel would panic and every later run (and
# the DONE marker) would be lost, so failures are reported and the script goes on.
set -u

/bin/busybox mkdir -p /proc /sys /dev /tmp /run /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/opt/sle/bin:/usr/sbin:/usr/bin:/sbin:/bin

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true # CONFIG_DEVTMPFS_MOUNT may have done it
exec </dev/console >/dev/console 2>&1
echo "SLE-VM-INIT"
# The tests find the cgroup2 mount in /proc/self/mountinfo; /sys/fs/cgroup as on a normal host.
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security
mkdir -p /sys/fs/bpf
mount -t bpf bpf /sys/fs/bpf
# tracefs is left to the exporter, which mounts it itself when missing.

# Loopback: the kernel gives lo 127.0.0.1/8 and ::1 when it comes up.
ip link set lo up
ip addr show dev lo | grep -q '127.0.0.1' || ip addr add 127.0.0.1/8 dev lo

echo "SLE-VM-KERNEL release=$(uname -r) lsm=$(cat /sys/kernel/security/lsm 2>/dev/null || echo '?')" \
  "cpus=$(cat /sys/devices/system/cpu/online) preempt=$(dmesg | sed -n 's/.*Dynamic Preempt: //p' | head -n 1)"
echo "SLE-VM-CMDLINE $(cat /proc/cmdline)"
ip addr show dev lo

# Reads name=value from the kernel command line (the kernel keeps dotted names there only).
param() {
  # No globbing: a gtest filter's * must reach the test as it is.
  set -f
  # shellcheck disable=SC2013 # the command line is one line of words
  for word in $(cat /proc/cmdline); do
    case $word in "$1="*) echo "${word#*=}"; set +f; return ;; esac
  done
  set +f
  echo "$2"
}
runs=$(param sle.runs "")
filter=$(param sle.filter "ExporterTest.*:RestartTest.*:ServingTest.EveryThreadRuns*:SigtermAndSigint/*:DenialTest.*-*Promtool*")
churn_cgroups=$(param sle.churn_cgroups 300)
run_timeout=$(param sle.run_timeout 600)
features=$(param sle.features "")
stress_calls=$(param sle.stress_calls 20000)

for entry in $(echo "$runs" | tr ',' ' '); do
  if [ "${entry%%:*}" = preempt ]; then
    mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
    echo "${entry#preempt:}" >/sys/kernel/debug/sched/preempt
    mode=$(cat /sys/kernel/debug/sched/preempt)
    echo "SLE-VM-BEGIN run=$entry"
    echo "preemption now: $mode"
    case $mode in *"(${entry#preempt:})"*) rc=0 ;; *) rc=1 ;; esac
    echo "SLE-VM-RESULT run=$entry rc=$rc seconds=0"
    continue
  fi
  case $entry in
    auto:*) backend=auto expect=${entry#auto:} tests=$filter ;;
    churn:*) backend=${entry#churn:} expect='' tests='ChurnTest.*' ;;
    stress:*) backend=${entry#stress:} expect='' tests='StressTest.*' ;;
    denial:*) backend=${entry#denial:} expect='' tests='DenialTest.*' ;;
    *) backend=$entry expect='' tests=$filter ;;
  esac
  echo "SLE-VM-BEGIN run=$entry"
  start=$(date +%s)
  dmesg_before=$(dmesg | wc -l)
  (
    export SLE_EXPORTER=/opt/sle/bin/socket_lsm_exporter SLE_TEST_BACKEND="$backend"
    export GTEST_COLOR=no # the console is a tty, the log is read as text
    if [ -n "$expect" ]; then export SLE_EXPECT_BACKEND="$expect"; else unset SLE_EXPECT_BACKEND; fi
    if [ -n "$features" ]; then export SLE_EXPECT_FEATURES="$features"; fi
    export SLE_CHURN_CGROUPS="$churn_cgroups" SLE_CHURN_EXPIRE_AFTER_SECONDS=45
    export SLE_STRESS_CALLS="$stress_calls" SLE_TEST_HOTPLUG=1
    cd /tmp && exec timeout "$run_timeout" integration_test --gtest_filter="$tests"
  )
  rc=$?
  end=$(date +%s)
  # Kernel complaints (verifier, WARN) logged during a failed run explain it better than the test.
  if [ "$rc" -ne 0 ]; then
    echo "--- kernel messages during run=$entry ---"
    dmesg | tail -n +"$((dmesg_before + 1))" | tail -n 60
    echo "--- end of kernel messages ---"
  fi
  echo "SLE-VM-RESULT run=$entry rc=$rc seconds=$((end - start))"
done

bench=$(param sle.bench "")
bench_args=$(param sle.bench_args "" | tr ',' ' ')
if [ -n "$bench" ]; then
  # bpftrace reads tracepoint formats from tracefs (the exporter would mount it itself).
  mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || true
  for backend in $(echo "$bench" | tr ',' ' '); do
    echo "SLE-VM-BENCH-BEGIN backend=$backend"
    start=$(date +%s)
    # shellcheck disable=SC2086 # bench_args is a list of words
    (cd /tmp && exec hook_bench --backend="$backend" $bench_args)
    echo "SLE-VM-BENCH-END backend=$backend rc=$? seconds=$(($(date +%s) - start))"
  done
fi

scale=$(param sle.scale "" | tr ',+' ' ,')
if [ -n "$scale" ]; then
  # Possible CPUs set the size of every per-CPU map value a read copies out (-smp N,maxcpus=M).
  echo "SLE-VM-SCALE-BEGIN possible=$(cat /sys/devices/system/cpu/possible)" \
    "online=$(cat /sys/devices/system/cpu/online)"
  start=$(date +%s)
  # shellcheck disable=SC2086 # scale is a list of words
  (cd /tmp && SLE_EXPORTER=/opt/sle/bin/socket_lsm_exporter exec scale_bench $scale)
  echo "SLE-VM-SCALE-END rc=$? seconds=$(($(date +%s) - start))"
fi

echo "SLE-VM-DONE"
sync
poweroff -f
# Only reached if power-off did not work (no ACPI): the host's timeout ends QEMU.
echo o >/proc/sysrq-trigger
sleep 3600
