#!/bin/sh
# Installs everything socket-lsm-exporter builds, runs and tests with, from Debian bookworm's
# packages. Idempotent: packages already there are left alone. Run as root.
set -eu

# libcrypt-dev: crypt(3) for the bcrypt basic-auth hashes of --web.config.file. libssl-dev: civetweb
# dlopens OpenSSL by the unversioned names libssl.so and libcrypto.so, which only this package
# provides (needed at run time for TLS). openssl, curl: the web config integration tests.
# libclang-rt-14-dev: clang's sanitizer and libFuzzer runtimes, for the fuzz targets (tests/fuzz);
# the sanitizer build (tests/sanitize) uses GCC's, which come with g++.

PACKAGES="
  build-essential cmake pkg-config git
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libclang-rt-14-dev
  prometheus-cpp-dev libcivetweb-dev libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev
  libcrypt-dev libssl-dev openssl curl
  prometheus python3
  qemu-system-x86 busybox-static cpio
"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
fi
