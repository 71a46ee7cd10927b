#!/bin/sh
# Stages the runtime image's root filesystem: the exporter and nothing it does not use.
#   stage-rootfs.sh BINARY SRC_DIR ROOTFS
# - BINARY, stripped, as /usr/bin/socket_lsm_exporter;
# - every shared library `ldd BINARY` resolves, and the ELF interpreter, at their Debian paths
#   (merged /usr: /lib and /lib64 are symlinks into /usr, as on Debian), with the Debian
#   copyright file of the package each comes from;
# - SRC_DIR/config/socket-lsm-exporter.yaml as /etc/socket-lsm-exporter/config.yaml (the
#   built-in defaults; the DaemonSet mounts its ConfigMap over that directory);
# - /etc/ssl/certs/ca-certificates.crt (package ca-certificates);
# - /etc/passwd and /etc/group with root and nobody, an empty /tmp.
# Runs in the image's builder stage, or on a Debian bookworm host for a prebuilt binary
# (scripts/build-image.sh --binary). Needs ldd, readelf, strip (binutils), dpkg.
set -eu
bin=$1 src=$2 root=$3

[ -x "$bin" ] || { echo "stage-rootfs: $bin is not an executable" >&2; exit 1; }
[ -f /etc/ssl/certs/ca-certificates.crt ] || {
  echo "stage-rootfs: /etc/ssl/certs/ca-certificates.crt missing: apt-get install ca-certificates" >&2
  exit 1
}
rm -rf "$root"
mkdir -p "$root/usr/bin" "$root/usr/lib/x86_64-linux-gnu" "$root/usr/lib64" \
  "$root/etc/socket-lsm-exporter" "$root/etc/ssl/certs" "$root/tmp" "$root/usr/share/doc"
chmod 1777 "$root/tmp"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"
ln -s usr/bin "$root/bin"

strip --strip-unneeded -o "$root/usr/bin/socket_lsm_exporter" "$bin"
chmod 0755 "$root/usr/bin/socket_lsm_exporter"

# copy_lib PATH: the file PATH resolves to, under PATH's own name, inside /usr.
pkgs=""
copy_lib() {
  real=$(readlink -f "$1")
  dir=$(dirname "$real")
  case "$dir" in
    /usr/*) ;;
    *) dir="/usr$dir" ;; # /lib/x86_64-linux-gnu on a host without merged /usr
  esac
  mkdir -p "$root$dir"
  cp "$real" "$root$dir/$(basename "$1")"
  pkg=$(dpkg -S "$real" 2>/dev/null || dpkg -S "$1" 2>/dev/null || true)
  pkg=${pkg%%:*}
  [ -n "$pkg" ] && pkgs="$pkgs $pkg"
}

libs=$(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }')
[ -n "$libs" ] || { echo "stage-rootfs: ldd found no libraries for $bin" >&2; exit 1; }
if ldd "$bin" | grep -q 'not found'; then
  ldd "$bin" | grep 'not found' >&2
  exit 1
fi
for lib in $libs; do
  copy_lib "$lib"
done

interp=$(readelf -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
[ -n "$interp" ] || { echo "stage-rootfs: no ELF interpreter in $bin" >&2; exit 1; }
copy_lib "$interp"
interp_real=$(readlink -f "$interp")
case "$interp" in
  /lib64/*)
    ln -sf "../lib/x86_64-linux-gnu/$(basename "$interp_real")" "$root/usr/lib64/$(basename "$interp")"
    [ -e "$root/usr/lib/x86_64-linux-gnu/$(basename "$interp_real")" ] ||
      cp "$interp_real" "$root/usr/lib/x86_64-linux-gnu/$(basename "$interp_real")"
    ;;
esac

# Debian copyright files of the packages the libraries come from (licences travel with them).
for pkg in $(echo "$pkgs" ca-certificates | tr ' ' '\n' | sort -u); do
  if [ -f "/usr/share/doc/$pkg/copyright" ]; then
    mkdir -p "$root/usr/share/doc/$pkg"
    cp "/usr/share/doc/$pkg/copyright" "$root/usr/share/doc/$pkg/copyright"
  fi
done

cp "$src/config/socket-lsm-exporter.yaml" "$root/etc/socket-lsm-exporter/config.yaml"
cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' \
  >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

# The staged binary must start with nothing but what was staged.
if ! chroot "$root" /usr/bin/socket_lsm_exporter --version >/dev/null 2>&1; then
  echo "stage-rootfs: the staged binary does not run in $root:" >&2
  chroot "$root" /usr/bin/socket_lsm_exporter --version >&2 || true
  exit 1
fi
echo "stage-rootfs: $(du -sk "$root" | cut -f1) KiB in $root"
