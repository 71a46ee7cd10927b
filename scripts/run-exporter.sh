#!/bin/sh
# Installs what building and running need (not the test tools), builds the exporter alone, and
# runs it with its default config as root. Extra arguments go to the exporter, e.g.
#   scripts/run-exporter.sh --log.level=debug
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh --build
scripts/build.sh socket_lsm_exporter
exec ./build/socket_lsm_exporter "$@"
