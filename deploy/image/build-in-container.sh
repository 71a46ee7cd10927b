#!/bin/sh
# Builds socket_lsm_exporter inside the image's builder stage (deploy/image/Containerfile).
#   build-in-container.sh SRC BUILD_DIR REVISION
# The build context has no .git, so CMake's `git rev-parse` (the revision in
# socket_lsm_exporter_build_info) is answered by a one-line stand-in that prints REVISION.
set -eu
src=$1 build=$2 revision=$3
shim=$(mktemp -d)
cat >"$shim/git" <<SHIM
#!/bin/sh
echo "$revision"
SHIM
chmod +x "$shim/git"
PATH="$shim:$PATH" cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
rm -rf "$shim"
cmake --build "$build" --target socket_lsm_exporter -j"$(nproc)"
