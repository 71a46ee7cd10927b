#!/bin/sh
# Runs a test binary of the sanitizer build: run.sh <test binary> [args...].
# First checks that it, and the exporter in $SLE_EXPORTER when that is set, really carry the
# sanitizer runtime (a plain binary here would pass without checking anything).
set -eu

instrumented() {
  # The ASan runtime answers help=1 with its flag list before main runs.
  ASAN_OPTIONS=help=1 "$@" 2>&1 | grep -q 'Available flags for AddressSanitizer'
}

test_binary=$1
shift
if ! instrumented "$test_binary" --gtest_list_tests; then
  echo "sanitize: $test_binary is not built with AddressSanitizer" >&2
  exit 1
fi
if [ -n "${SLE_EXPORTER:-}" ] && ! instrumented "$SLE_EXPORTER" --version; then
  echo "sanitize: the exporter $SLE_EXPORTER is not built with AddressSanitizer" >&2
  exit 1
fi
echo "sanitize: ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-}"
exec "$test_binary" "$@"
