#!/bin/bash
# Measures the capabilities each backend needs, on the Debian bookworm cloud kernel under QEMU
# (the development machines' own kernel loads only the tracepoint backend). Not part of ctest
# (TCG is slow); docs/deploy.md quotes its result.
#
#   tests/deploy/vm_capabilities.sh [--exporter BIN] [--out DIR]
#
# One boot with `bpf` in the LSM list. tracefs, securityfs, bpffs and cgroup2 are mounted
# beforehand (as the DaemonSet's host paths are), then for each backend (lsm, fentry, kprobe,
# tracepoint) the exporter is started by util-linux setpriv as uid 0 with the bounding set
# {BPF, PERFMON}, {BPF} and {PERFMON} (kprobe and tracepoint also with SYS_ADMIN added, and with
# kernel.perf_event_paranoid=2 instead of Debian's 3), no inheritable or ambient capabilities
# and no_new_privs, and the result is whether every hook attached with that backend.
# Prints one line per run: "caps backend=B set=S result=attached|failed (...)".
set -eu -o pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
exporter=$root/build/socket_lsm_exporter
out=$root/build/vm-caps
while [ $# -gt 0 ]; do
  case $1 in
    --exporter) exporter=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--exporter BIN] [--out DIR]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
kernel=$("$root/tests/vm/fetch-kernel.sh" "$root/build/vm")

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
"$root/tests/vm/build-initramfs.sh" --exporter "$exporter" --test "$exporter" --out "$stage/base.cpio.gz"
mkdir "$stage/root"
(cd "$stage/root" && gzip -dc "$stage/base.cpio.gz" | cpio -idm --quiet)
# Called by its path: busybox sh prefers its own setpriv applet, which has no --bounding-set.
cp /usr/bin/setpriv "$stage/root/opt/sle/bin/setpriv"
for lib in $(ldd /usr/bin/setpriv | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
  mkdir -p "$stage/root$(dirname "$lib")"
  cp -L "$lib" "$stage/root$lib"
done
cat >"$stage/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/opt/sle/bin:/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t securityfs securityfs /sys/kernel/security
mount -t tracefs tracefs /sys/kernel/tracing
mkdir -p /sys/fs/bpf && mount -t bpf bpf /sys/fs/bpf
ip link set lo up
echo "caps kernel $(uname -r) lsm=$(cat /sys/kernel/security/lsm)"
default_paranoid=$(cat /proc/sys/kernel/perf_event_paranoid)
echo "caps kernel.perf_event_paranoid=$default_paranoid"
# backend:capabilities:perf_event_paranoid ("-": the kernel's default)
runs="lsm:bpf,perfmon:- lsm:bpf:- lsm:perfmon:-
fentry:bpf,perfmon:- fentry:bpf:- fentry:perfmon:-
kprobe:bpf,perfmon:- kprobe:bpf:- kprobe:perfmon:- kprobe:bpf,perfmon,sys_admin:- kprobe:bpf,perfmon:2
tracepoint:bpf,perfmon:- tracepoint:bpf:- tracepoint:perfmon:- tracepoint:bpf,perfmon,sys_admin:- tracepoint:bpf,perfmon:2"
for run in $runs; do
    backend=${run%%:*}; rest=${run#*:}; set=${rest%%:*}; paranoid=${rest#*:}
    [ "$paranoid" = - ] && paranoid=$default_paranoid
    echo "$paranoid" >/proc/sys/kernel/perf_event_paranoid
    bset=-all
    for c in $(echo $set | tr , ' '); do bset="$bset,+$c"; done
    /opt/sle/bin/setpriv --bounding-set=$bset --inh-caps=-all --ambient-caps=-all --no-new-privs -- \
      socket_lsm_exporter --bpf.backend=$backend --web.listen-address=127.0.0.1:10142 >/tmp/log 2>&1 &
    pid=$!
    result=failed
    i=0
    while [ $i -lt 120 ]; do
      if ! kill -0 $pid 2>/dev/null; then break; fi
      if wget -q -O /tmp/m http://127.0.0.1:10142/metrics 2>/dev/null; then
        n=$(grep -c "^socket_lsm_exporter_hook_attached{.*backend=\"$backend\".* 1\$" /tmp/m)
        [ "$n" = 6 ] && result=attached
        break
      fi
      sleep 0.5; i=$((i + 1))
    done
    kill $pid 2>/dev/null; wait $pid 2>/dev/null
    why=$(grep -o 'err="[^"]*' /tmp/log | head -1 | cut -c6-200)
    echo "caps backend=$backend set=$set perf_event_paranoid=$paranoid result=$result${why:+ ($why)}"
    [ $result = attached ] || [ -n "$why" ] || tail -n 5 /tmp/log | sed "s/^/caps   log: /"
done
echo "caps done"
poweroff -f
INIT
chmod 755 "$stage/root/init"
(cd "$stage/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out/initramfs.cpio.gz"
timeout 1200 qemu-system-x86_64 -machine accel=tcg -cpu max -m 1024 -smp 1 -nographic -no-reboot \
  -nic none -kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
  -append "console=ttyS0 panic=-1 lsm=lockdown,capability,landlock,bpf" </dev/null >"$out/console.log" 2>&1 || true
tr -d '\r' <"$out/console.log" | grep '^caps '
grep -q '^caps done' <(tr -d '\r' <"$out/console.log")
