#!/bin/sh
# Configures and builds into ./build (idempotent; incremental after the first run): a Release
# build with Debian's usual hardening flags (dpkg-buildflags), as a Debian package would be built.
# SLE_WERROR=ON makes warnings errors (CI sets it; see .ci/run). Arguments name targets to build
# (scripts/run-exporter.sh builds socket_lsm_exporter alone); none builds everything.
set -eu
cd "$(dirname "$0")/.."
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
export CFLAGS CXXFLAGS LDFLAGS
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSLE_WERROR="${SLE_WERROR:-OFF}" >/dev/null
if [ $# -eq 0 ]; then
  cmake --build build -j"$(nproc)"
else
  cmake --build build -j"$(nproc)" --target "$@"
fi
