#!/bin/sh
# Builds the VM suite's initramfs: busybox-static, the exporter, the integration test, every
# shared library they load (at the paths ldd names, with the dynamic loader) and /init.
# Usage: build-initramfs.sh --exporter BIN --test BIN --out FILE.cpio.gz [--source DIR]
#                           [--extra BIN]... [--tree DIR]...
# DIR/config (default: this repository's) goes in at the same absolute path: the integration
# test reads the shipped config through the source path compiled into it (SLE_SOURCE_DIR).
# --extra puts another program in /opt/sle/bin with its libraries (the benchmark, bpftrace);
# --tree copies a directory to the same path (clang's headers, which bpftrace parses).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
exporter='' test_bin='' out='' extras='' trees=''
source_dir=$(cd "$here/../.." && pwd)
while [ $# -gt 0 ]; do
  case $1 in
    --extra) extras="$extras $2"; shift 2 ;;
    --tree) trees="$trees $2"; shift 2 ;;
    --exporter) exporter=$2; shift 2 ;;
    --test) test_bin=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --source) source_dir=$(cd "$2" && pwd); shift 2 ;;
    *) echo "build-initramfs: unknown argument $1" >&2; exit 2 ;;
  esac
done
if [ -z "$exporter" ] || [ -z "$test_bin" ] || [ -z "$out" ]; then
  echo "usage: $0 --exporter BIN --test BIN --out FILE.cpio.gz [--source DIR]" >&2
  exit 2
fi
# shellcheck disable=SC2086 # lists of paths without spaces
for f in "$exporter" "$test_bin" /bin/busybox $extras; do
  [ -x "$f" ] || { echo "build-initramfs: $f is missing or not executable" >&2; exit 1; }
done
# A dynamic busybox would need its own libraries: insist on busybox-static's.
if ldd /bin/busybox >/dev/null 2>&1; then
  echo "build-initramfs: /bin/busybox is dynamically linked; install busybox-static" >&2
  exit 1
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/sbin" "$stage/usr/bin" "$stage/usr/sbin" "$stage/opt/sle/bin" \
  "$stage/proc" "$stage/sys" "$stage/dev" "$stage/tmp" "$stage/run" "$stage/etc"
chmod 1777 "$stage/tmp"
cp /bin/busybox "$stage/bin/busybox"
cp "$exporter" "$stage/opt/sle/bin/socket_lsm_exporter"
cp "$test_bin" "$stage/opt/sle/bin/integration_test"
for f in $extras; do cp -L "$f" "$stage/opt/sle/bin/$(basename "$f")"; done
for d in $trees; do
  mkdir -p "$stage$(dirname "$d")"
  cp -RL "$d" "$stage$d"
done
cp "$here/init.sh" "$stage/init"
chmod 755 "$stage/init"
mkdir -p "$stage$source_dir"
cp -R "$source_dir/config" "$stage$source_dir/config"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$stage/etc/hosts"
printf 'root:x:0:0:root:/:/bin/sh\n' >"$stage/etc/passwd"
printf 'root:x:0:\n' >"$stage/etc/group"

# Every library ldd resolves ("name => /path (addr)") and the loader ("/lib64/ld-... (addr)"),
# copied dereferenced to the same path, where the loader's default search finds them.
# (With two files ldd also prints a "FILE:" header per file, which has no "(0x" address.)
# shellcheck disable=SC2086
libs=$(ldd "$exporter" "$test_bin" $extras |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $2 ~ /^\(0x/ { print $1 }' | sort -u)
# shellcheck disable=SC2086
missing=$(ldd "$exporter" "$test_bin" $extras | grep 'not found' || true)
[ -z "$missing" ] || { echo "build-initramfs: unresolved libraries:$missing" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$stage$(dirname "$lib")"
  cp -L "$lib" "$stage$lib"
done

mkdir -p "$(dirname "$out")"
(cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "build-initramfs: $out ($(du -h "$out" | cut -f1), $(echo "$libs" | wc -l) libraries)" >&2
