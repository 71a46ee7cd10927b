#!/bin/sh
# The exporter's folders depend on each other one way (docs/architecture.md, "The source tree"):
# a folder may include only the folders listed for it below. main.cpp may include everything. Run
# from the repository root; prints every include that points the wrong way.
set -eu
allowed() {
  case $1 in
    common) echo "common" ;;
    hooks) echo "common hooks" ;;
    config) echo "common hooks cgroups config" ;;
    cgroups) echo "common cgroups" ;;
    loader) echo "common hooks config cgroups loader" ;;
    metrics) echo "common hooks config cgroups loader metrics" ;;
    web) echo "common hooks config metrics web" ;;
    *) echo "" ;;
  esac
}
bad=0
for dir in exporter/*/; do
  folder=$(basename "$dir")
  ok=$(allowed "$folder")
  [ -n "$ok" ] || { echo "exporter/$folder: not in layering.sh's table; add it"; bad=1; continue; }
  for f in $(git ls-files "exporter/$folder"); do
    for inc in $(sed -n 's/^#include "\([a-z_]*\)\/.*"/\1/p' "$f"); do
      case " $ok " in
        *" $inc "*) ;;
        *) echo "$f includes $inc/: $folder may include only: $ok"; bad=1 ;;
      esac
    done
  done
done
[ "$bad" -eq 0 ] && echo "lint.layering: every include points one way"
exit "$bad"
