#!/bin/sh
# Fetches the Debian bookworm cloud kernel (the one the VM suite boots under QEMU) and prints the
# path of its vmlinuz. Usage: fetch-kernel.sh [CACHE_DIR]   (default: build/vm)
# Idempotent: a kernel already unpacked in CACHE_DIR is reused without touching apt.
set -eu

cache=${1:-build/vm}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# The metapackage names the current image package: linux-image-<ver>-cloud-amd64.
image_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *Depends: *\(linux-image-[^ ]*-cloud-amd64\) *$/\1/p' | head -n 1
}

pkg=$(image_package)
if [ -z "$pkg" ]; then
  # A fresh machine has no package lists yet: fetch them once and ask again.
  echo "fetch-kernel: apt-cache does not know linux-image-cloud-amd64; running apt-get update" >&2
  apt-get update -q >&2
  pkg=$(image_package)
fi
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-cloud-amd64" >&2; exit 1; }

ver=${pkg#linux-image-}
dest="$cache/kernel-$ver"
vmlinuz="$dest/boot/vmlinuz-$ver"
if [ -f "$vmlinuz" ]; then
  echo "$vmlinuz"
  exit 0
fi

# apt-get download writes into the current directory; reuse a .deb fetched before.
cached_deb() { find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1; }
deb=$(cached_deb)
if [ -z "$deb" ]; then
  # As root into a root-owned directory: tell apt so, instead of its _apt sandbox warning.
  (cd "$cache" && apt-get download -q -o APT::Sandbox::User=root "$pkg" >&2)
  deb=$(cached_deb)
  [ -n "$deb" ] || { echo "fetch-kernel: apt-get download left no ${pkg}_*.deb" >&2; exit 1; }
fi

# Unpack into a temporary directory first so an interrupted run leaves no half kernel behind.
rm -rf "$dest.tmp"
dpkg-deb -x "$deb" "$dest.tmp"
[ -f "$dest.tmp/boot/vmlinuz-$ver" ] || { echo "fetch-kernel: no boot/vmlinuz-$ver in $deb" >&2; exit 1; }
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$vmlinuz"
