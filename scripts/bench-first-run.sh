#!/bin/sh
# How long the README's first command takes: ./scripts/run-exporter.sh from a fresh clone of this
# repository until /metrics first answers 200. As root.
#
#   scripts/bench-first-run.sh           # on this machine, the packages already installed
#   scripts/bench-first-run.sh --fresh   # in a fresh minbase Debian bookworm (mmdebstrap, made
#                                        # before the clock starts), apt-get included
#
# Prints one line: "first run (<where>): <seconds> s to the first scrape". The clone is of the
# committed HEAD; the exporter listens on 127.0.0.1:10199 and is stopped afterwards.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-}
port=10199
work=$(mktemp -d /tmp/sle-first-run.XXXXXX)
root=""

cleanup() {
  pkill -f "socket_lsm_exporter --web.listen-address=127.0.0.1:$port" 2>/dev/null || true
  sleep 1
  if [ -n "$root" ]; then
    umount -R "$root/proc" "$root/sys" "$root/dev" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

case $mode in
  --fresh)
    root=$work/root
    echo "making a minbase bookworm with git (not timed)..." >&2
    mmdebstrap --quiet --variant=minbase --include=git,ca-certificates bookworm "$root" >&2
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    git clone --quiet "$repo" "$root/root/sle"
    where="fresh Debian bookworm minbase chroot, apt included"
    set -- chroot "$root" /bin/sh -c "cd /root/sle && exec ./scripts/run-exporter.sh --web.listen-address=127.0.0.1:$port"
    ;;
  "")
    git clone --quiet "$repo" "$work/sle"
    where="fresh clone, packages installed"
    set -- /bin/sh -c "cd $work/sle && exec ./scripts/run-exporter.sh --web.listen-address=127.0.0.1:$port"
    ;;
  *) echo "usage: $0 [--fresh]" >&2; exit 2 ;;
esac

start=$(date +%s.%N)
"$@" >"$work/run.log" 2>&1 &
pid=$!
until curl -sf -o /dev/null "http://127.0.0.1:$port/metrics"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "run-exporter.sh stopped before serving; its output:" >&2
    tail -n 30 "$work/run.log" >&2
    exit 1
  fi
  sleep 0.2
done
end=$(date +%s.%N)
echo "first run ($where): $(awk "BEGIN { printf \"%.0f\", $end - $start }") s to the first scrape"
