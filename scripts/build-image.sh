#!/bin/bash
# Builds the socket-lsm-exporter container image from deploy/image/Containerfile with buildah,
# on a machine that reaches Debian's package archive but no container registry: the Debian
# base image comes from mmdebstrap and is imported as a local image.
#
#   scripts/build-image.sh [--tag NAME:TAG] [--binary FILE] [--export-rootfs DIR]
#                          [--oci-archive FILE]
#
#   --tag            image name (default localhost/socket-lsm-exporter:<git revision>, also
#                    tagged :latest)
#   --binary FILE    do not compile in the builder stage: stage FILE, an exporter already built
#                    on this Debian bookworm host (scripts/build.sh), into the same runtime stage.
#                    Faster (the test uses it); the runtime image is built the same way.
#   --export-rootfs DIR   also unpack the image's root filesystem into DIR, and write its
#                    entrypoint and command (JSON) to DIR.config.json (tests/deploy/image_test.sh)
#   --oci-archive FILE    also save the image as an OCI archive (podman load / skopeo copy it to
#                    your registry)
#
# Prints the image's size. Run as root (buildah with chroot isolation: no OCI runtime, which
# cannot start containers on every machine, e.g. crun where RLIMIT_NPROC cannot be set).
# Needs mmdebstrap and buildah (scripts/install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

revision=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
tag="localhost/socket-lsm-exporter:$revision"
binary=""
export_rootfs=""
oci_archive=""
while [ $# -gt 0 ]; do
  case "$1" in
    --tag) tag=$2; shift 2 ;;
    --binary) binary=$(realpath "$2"); shift 2 ;;
    --export-rootfs) export_rootfs=$2; shift 2 ;;
    --oci-archive) oci_archive=$2; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

for tool in buildah mmdebstrap; do
  command -v "$tool" >/dev/null || { echo "build-image.sh: $tool not found: run scripts/install-deps.sh" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "build-image.sh: run as root" >&2; exit 1; }

export BUILDAH_ISOLATION=chroot
work=$(mktemp -d /tmp/sle-image.XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- the Debian base image: mmdebstrap, imported once and reused --------------------------
# The name carries the date of the Debian archive snapshot it was made from (one per day), so a
# new day's build picks up security updates; older ones can be removed with buildah rmi.
base="localhost/socket-lsm-exporter-debian:bookworm-$(date -u +%Y%m%d)"
if ! buildah inspect --type image "$base" >/dev/null 2>&1; then
  echo "== base image $base (mmdebstrap bookworm, minbase)"
  mirror=http://deb.debian.org/debian
  mmdebstrap --quiet --variant=minbase --format=tar \
    --include=ca-certificates \
    --aptopt='APT::Install-Recommends "false"' \
    bookworm "$work/base.tar" \
    "deb $mirror bookworm main" \
    "deb $mirror bookworm-updates main" \
    "deb http://deb.debian.org/debian-security bookworm-security main"
  ctr=$(buildah from scratch)
  mnt=$(buildah mount "$ctr")
  tar -C "$mnt" -xf "$work/base.tar"
  buildah umount "$ctr" >/dev/null
  buildah config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --cmd /bin/bash "$ctr"
  buildah commit --quiet "$ctr" "$base" >/dev/null
  buildah rm "$ctr" >/dev/null
  rm -f "$work/base.tar"
fi

# --- the image -----------------------------------------------------------------------------
# The build context: the files git tracks or would (not ignored), as in the work tree, so stray
# build trees and node_modules never enter it; plus the prebuilt binary with --binary.
echo "== context"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [ -e "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -C "$work" --one-top-level=context -xf -
containerfile=deploy/image/Containerfile
if [ -n "$binary" ]; then
  # Same runtime stage, with the builder's compile step replaced by the given binary.
  mkdir -p "$work/context/prebuilt"
  cp "$binary" "$work/context/prebuilt/socket_lsm_exporter"
  containerfile="$work/Containerfile.prebuilt"
  sed -e 's|^RUN /src/deploy/image/build-in-container.sh .*\\$|RUN install -D -m 0755 /src/prebuilt/socket_lsm_exporter /build/socket_lsm_exporter \\|' \
    deploy/image/Containerfile >"$containerfile"
  grep -q 'prebuilt/socket_lsm_exporter' "$containerfile" ||
    { echo "build-image.sh: could not derive the prebuilt Containerfile" >&2; exit 1; }
fi

# build STAGE TAG: buildah build up to STAGE, tagged TAG; quiet unless it fails.
build() {
  buildah build --layers --isolation chroot --target "$1" \
    -f "$containerfile" \
    --build-arg "DEBIAN_IMAGE=$base" \
    --build-arg "REVISION=$revision" \
    -t "$2" "$work/context" >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    echo "build-image.sh: buildah build --target $1 failed" >&2
    exit 1
  }
}
untagged() { buildah images --noheading --filter dangling=true --format '{{.ID}}' | sort -u; }
before=$(untagged)
start=$(date +%s)
# The build dependencies, named after the base image: reused by every later build.
deps="localhost/socket-lsm-exporter-build-deps:${base##*:}"
echo "== buildah build $deps"
build build-deps "$deps"
echo "== buildah build $tag"
build runtime "$tag"
grep -E '^stage-rootfs' "$work/build.log" || true
# Drop the intermediate images this build left behind (the builder stage is over 1 GB);
# the named base and build-deps images keep the cache that matters.
for id in $(comm -13 <(echo "$before") <(untagged)); do
  buildah rmi "$id" >/dev/null 2>&1 || true
done
case "$tag" in
  *:latest) ;;
  *) buildah tag "$tag" "${tag%:*}:latest" ;;
esac
echo "built $tag in $(($(date +%s) - start)) s"

# --- size ------------------------------------------------------------------------------------
ctr=$(buildah from --quiet "$tag")
mnt=$(buildah mount "$ctr")
rootfs_kib=$(du -sk "$mnt" | cut -f1)
if [ -n "$export_rootfs" ]; then
  rm -rf "$export_rootfs"
  mkdir -p "$export_rootfs"
  cp -a "$mnt/." "$export_rootfs/"
  buildah inspect --type image "$tag" | python3 -c '
import json, sys
c = json.load(sys.stdin)["OCIv1"]["config"]
json.dump({"entrypoint": c.get("Entrypoint"), "cmd": c.get("Cmd"), "user": c.get("User")}, sys.stdout)
' >"$export_rootfs.config.json"
fi
buildah umount "$ctr" >/dev/null
buildah rm "$ctr" >/dev/null
if [ -n "$oci_archive" ]; then
  buildah push --quiet "$tag" "oci-archive:$oci_archive:${tag##*/}"
  echo "saved $oci_archive"
fi
size=$(buildah images --noheading --format '{{.Size}}' "$tag" | head -1)
layers=$(buildah inspect --type image "$tag" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["OCIv1"]["rootfs"]["diff_ids"]))')
echo "image $tag: $layers layer(s), root filesystem $((rootfs_kib / 1024)) MiB ($rootfs_kib KiB), image size $size (buildah images)"
