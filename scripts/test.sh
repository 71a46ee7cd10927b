#!/bin/sh
# Installs what is missing, builds, and runs every ctest test (README, Quick start): unit tests,
# format and layering checks, the integration tests on this machine's kernel (root), the QEMU
# suite on three Debian kernels, the deploy checks, the sanitizer build and the fuzzers.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
# -j2: the QEMU suite (one core, its BPF in the guest) beside the sanitizer build and the fuzzers;
# every test that loads BPF or makes cgroups on this machine is RUN_SERIAL and runs alone.
ctest --output-on-failure -j2
