#!/bin/sh
# Fetches a Debian cloud kernel the VM suite boots under QEMU and prints the path of its vmlinuz.
#   fetch-kernel.sh [--dist DIST] [CACHE_DIR]      (default: bookworm, build/vm)
# DIST: bookworm (6.1, from the machine's own apt sources), bullseye (5.10) or bookworm-backports
# (6.12). The last two come through a private sources list, package lists and cache under
# CACHE_DIR/apt-DIST, so the machine's apt configuration and lists stay as they are (bookworm).
# Idempotent: a kernel already unpacked in CACHE_DIR is reused without touching apt.
set -eu

dist=bookworm
while [ $# -gt 0 ]; do
  case $1 in
    --dist) dist=$2; shift 2 ;;
    -*) echo "fetch-kernel: unknown argument $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
cache=${1:-build/vm}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# As root into root-owned directories: tell apt so, instead of its _apt sandbox warning.
apt_opts="-o APT::Sandbox::User=root"
case $dist in
  bookworm) sources='' ;;
  bullseye)
    sources="deb http://deb.debian.org/debian bullseye main
deb http://deb.debian.org/debian-security bullseye-security main" ;;
  bookworm-backports) sources="deb http://deb.debian.org/debian bookworm-backports main" ;;
  *) echo "fetch-kernel: unknown --dist $dist (bookworm, bullseye, bookworm-backports)" >&2; exit 2 ;;
esac
if [ -n "$sources" ]; then
  private=$cache/apt-$dist
  mkdir -p "$private/lists/partial" "$private/cache/archives/partial"
  printf '%s\n' "$sources" >"$private/sources.list"
  apt_opts="$apt_opts -o Dir::Etc::sourcelist=$private/sources.list -o Dir::Etc::sourceparts=-
    -o Dir::State::Lists=$private/lists -o Dir::Cache=$private/cache"
fi

# The metapackage names the current image package: linux-image-<ver>-cloud-amd64.
image_package() {
  # shellcheck disable=SC2086 # apt_opts is a list of words
  apt-cache $apt_opts depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *Depends: *\(linux-image-[^ ]*-cloud-amd64\) *$/\1/p' | head -n 1
}

# A kernel of this dist unpacked before (its name recorded then) needs no apt at all.
if [ -f "$cache/kernel-$dist.name" ]; then
  ver=$(cat "$cache/kernel-$dist.name")
  if [ -f "$cache/kernel-$ver/boot/vmlinuz-$ver" ]; then
    echo "$cache/kernel-$ver/boot/vmlinuz-$ver"
    exit 0
  fi
fi

pkg=$(image_package)
if [ -z "$pkg" ]; then
  # A fresh machine (or a fresh private list) has no package lists yet: fetch them once.
  echo "fetch-kernel: apt-cache does not know linux-image-cloud-amd64 ($dist); running apt-get update" >&2
  # shellcheck disable=SC2086
  apt-get $apt_opts update -q >&2
  pkg=$(image_package)
fi
[ -n "$pkg" ] || { echo "fetch-kernel: cannot resolve linux-image-cloud-amd64 ($dist)" >&2; exit 1; }

ver=${pkg#linux-image-}
dest="$cache/kernel-$ver"
vmlinuz="$dest/boot/vmlinuz-$ver"
if [ -f "$vmlinuz" ]; then
  echo "$ver" >"$cache/kernel-$dist.name"
  echo "$vmlinuz"
  exit 0
fi

# apt-get download writes into the current directory; reuse a .deb fetched before.
cached_deb() { find "$cache" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1; }
deb=$(cached_deb)
if [ -z "$deb" ]; then
  # shellcheck disable=SC2086
  (cd "$cache" && apt-get $apt_opts download -q "$pkg" >&2)
  deb=$(cached_deb)
  [ -n "$deb" ] || { echo "fetch-kernel: apt-get download left no ${pkg}_*.deb" >&2; exit 1; }
fi

# Unpack into a temporary directory first so an interrupted run leaves no half kernel behind.
rm -rf "$dest.tmp"
dpkg-deb -x "$deb" "$dest.tmp"
[ -f "$dest.tmp/boot/vmlinuz-$ver" ] || { echo "fetch-kernel: no boot/vmlinuz-$ver in $deb" >&2; exit 1; }
rm -rf "$dest"
mv "$dest.tmp" "$dest"
echo "$ver" >"$cache/kernel-$dist.name"
echo "$vmlinuz"
