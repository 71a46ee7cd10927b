#!/bin/sh
# Runs a test binary of a sanitizer build: run.sh ON|thread <test binary> [args...].
# First checks that it, and the exporter in $SLE_EXPORTER when that is set, really carry the
# sanitizer's runtime (a plain binary here would pass without checking anything).
set -eu

sanitize=$1
test_binary=$2
shift 2
case "$sanitize" in
  thread) name=ThreadSanitizer options=TSAN_OPTIONS ;;
  *) name=AddressSanitizer options=ASAN_OPTIONS ;;
esac

instrumented() {
  # The runtime answers help=1 with its flag list before main runs.
  env "$options=help=1" "$@" 2>&1 | grep -q "Available flags for $name"
}

if ! instrumented "$test_binary" --gtest_list_tests; then
  echo "sanitize: $test_binary is not built with $name" >&2
  exit 1
fi
if [ -n "${SLE_EXPORTER:-}" ] && ! instrumented "$SLE_EXPORTER" --version; then
  echo "sanitize: the exporter $SLE_EXPORTER is not built with $name" >&2
  exit 1
fi
echo "sanitize: ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-} TSAN_OPTIONS=${TSAN_OPTIONS:-}"
if [ "$sanitize" = thread ]; then
  # ThreadSanitizer's runtime of GCC 12 maps its shadow memory at fixed places, which a kernel
  # with more address randomization (vm.mmap_rnd_bits above 28) can already have given away
  # ("unexpected memory mapping"): run without randomization, which children inherit.
  exec setarch "$(uname -m)" -R "$test_binary" "$@"
fi
exec "$test_binary" "$@"
