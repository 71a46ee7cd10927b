#!/bin/sh
# Configures and builds into ./build (idempotent; incremental after the first run): a Release
# build with Debian's usual hardening flags (dpkg-buildflags), as a Debian package would be built.
# SLE_WERROR=ON makes warnings errors (CI sets it; see .ci/run).
set -eu
cd "$(dirname "$0")/.."
CFLAGS="$(dpkg-buildflags --get CFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
CXXFLAGS="$(dpkg-buildflags --get CXXFLAGS) $(dpkg-buildflags --get CPPFLAGS)"
LDFLAGS="$(dpkg-buildflags --get LDFLAGS)"
export CFLAGS CXXFLAGS LDFLAGS
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSLE_WERROR="${SLE_WERROR:-OFF}" >/dev/null
cmake --build build -j"$(nproc)"
