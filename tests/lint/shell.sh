#!/bin/sh
# Every shell script under version control passes shellcheck at warning level (infos are style
# advice). Run from the repository root.
set -eu
command -v shellcheck >/dev/null || { echo "shellcheck not installed (scripts/install-deps.sh)"; exit 1; }
git ls-files -z '*.sh' | xargs -0 shellcheck --severity=warning
