#!/bin/sh
# Runs one libFuzzer target for a bounded time (the fuzz.<target> ctest tests):
#   run.sh <fuzzer> <seed corpus> <scratch dir> <artifact dir> <seconds>
# The seed corpus (tests/fuzz/corpus/<target>, in the repository) is copied to <scratch
# dir>/corpus first, so what the fuzzer adds stays in the build tree. A crash, a leak, a failed
# property, a timeout or running out of memory fails the test and names the reproducer, kept in
# <artifact dir>. A dictionary in tests/fuzz/dict/<target>.dict is passed to the fuzzer.
set -eu

fuzzer=$1
seeds=$2
scratch=$3
artifacts=$4
seconds=$5

[ -x "$fuzzer" ] || { echo "fuzz: $fuzzer is missing (fuzz.build failed?)" >&2; exit 1; }
[ -d "$seeds" ] || { echo "fuzz: no seed corpus at $seeds" >&2; exit 1; }
rm -rf "$scratch"
mkdir -p "$scratch/corpus" "$artifacts"
cp -R "$seeds"/. "$scratch/corpus/"
before=$(ls "$artifacts" | wc -l)

# The target's dictionary, when it has one: tests/fuzz/dict/<target>.dict.
target=$(basename "$seeds")
dict=$(dirname "$0")/dict/$target.dict
set --
[ -f "$dict" ] && set -- -dict="$dict"

rc=0
(cd "$scratch" && "$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="$artifacts/" "$@" "$scratch/corpus") \
  >"$scratch/fuzz.log" 2>&1 || rc=$?
# The log without libFuzzer's per-input progress lines.
grep -v -E '^(#[0-9]+[[:space:]]+(NEW|REDUCE|pulse|RELOAD)|[[:space:]]+NEW_FUNC)' "$scratch/fuzz.log" ||
  true

if [ "$rc" -ne 0 ]; then
  echo "fuzz: $(basename "$fuzzer") failed (exit code $rc); full log: $scratch/fuzz.log"
  ls -t "$artifacts" | head -n $(( $(ls "$artifacts" | wc -l) - before )) | while read -r f; do
    echo "fuzz: reproducer $artifacts/$f; rerun with: $fuzzer $artifacts/$f"
  done
  exit 1
fi
echo "fuzz: $(basename "$fuzzer"): no failure in ${seconds}s (corpus: $(ls "$seeds" | wc -l) seeds, $(ls "$scratch/corpus" | wc -l) inputs after the run)"
