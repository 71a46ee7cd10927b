#!/bin/sh
# Installs what is missing, builds, and runs the exporter with its default config as root.
# Extra arguments go to the exporter, e.g. scripts/run-exporter.sh --log.level=debug
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh
exec ./build/socket_lsm_exporter "$@"
