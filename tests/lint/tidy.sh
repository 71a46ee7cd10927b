#!/bin/sh
# clang-tidy with the repository's .clang-tidy on every C++ source the build compiles (exporter/
# and tests/, as compile_commands.json of BUILD_DIR lists them), two at a time. Any finding fails.
#   tests/lint/tidy.sh BUILD_DIR
set -eu
build=${1:?usage: tidy.sh BUILD_DIR}
command -v clang-tidy >/dev/null || { echo "clang-tidy not installed (scripts/install-deps.sh)"; exit 1; }
[ -f "$build/compile_commands.json" ] || { echo "no $build/compile_commands.json: configure first"; exit 1; }
root=$(pwd)
files=$(python3 -c '
import json, os, sys
root = sys.argv[2]
seen = set()
for e in json.load(open(sys.argv[1])):
    f = os.path.realpath(os.path.join(e["directory"], e["file"]))
    if f.startswith((root + "/exporter/", root + "/tests/")) and f not in seen:
        seen.add(f)
        print(f)
' "$build/compile_commands.json" "$root")
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# shellcheck disable=SC2086 # one file per word
if ! printf '%s\n' $files | xargs -P2 -n4 clang-tidy -p "$build" --quiet \
  --extra-arg=-Wno-gnu-statement-expression --extra-arg=-Wno-c99-extensions >"$out" 2>&1; then
  grep -E "(warning|error):" "$out" | sed "s|$root/||" | sort -u | head -n 80
  echo "lint.tidy: findings above (.clang-tidy says which checks run and why some do not)"
  exit 1
fi
echo "lint.tidy: $(printf "%s\n" "$files" | wc -l) files, no findings"
