#!/bin/sh
# Every C and C++ file under version control is formatted as its nearest .clang-format says
# (./.clang-format: Google style; bpf/.clang-format: kernel style). Prints the offending lines and
# how to fix them. Run from the repository root.
set -eu
command -v clang-format >/dev/null || { echo "clang-format not installed (scripts/install-deps.sh)"; exit 1; }
files=$(git ls-files '*.c' '*.h' '*.cpp')
if ! out=$(clang-format --dry-run --Werror $files 2>&1); then
  printf '%s\n' "$out" | head -n 60
  echo "lint.format: not formatted; fix with: clang-format -i \$(git ls-files '*.c' '*.h' '*.cpp')"
  exit 1
fi
echo "lint.format: $(echo "$files" | wc -l) files formatted"
