#!/bin/sh
# Installs what is missing, builds, and runs every test: unit tests, the integration tests on
# this machine's kernel (root), and promtool on a real scrape.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
cd build
ctest --output-on-failure
