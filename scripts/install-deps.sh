#!/bin/sh
# Installs everything socket-lsm-exporter builds, runs and tests with, from Debian bookworm's
# packages. Idempotent: packages already there are left alone. Run as root.
#
#   scripts/install-deps.sh           # build and test (a development machine, CI)
#   scripts/install-deps.sh --build   # only what building the exporter needs (the image's
#                                     # builder stage, deploy/image/Containerfile)
set -eu

# libmicrohttpd (HTTP with epoll) and GnuTLS (its TLS): the web server. libcap: dropping the
# capabilities after start. libcrypt-dev: crypt(3) for the bcrypt basic-auth hashes of
# --web.config.file. openssl, curl: the TLS integration tests.
# ca-certificates: copied into the container image. GoogleTest: the top-level CMakeLists.txt
# requires it even to build the exporter alone. nlohmann-json: the state kept across restarts.
# libclang-rt-14-dev: clang's sanitizer and libFuzzer runtimes, for the fuzz targets (tests/fuzz);
# the sanitizer build (tests/sanitize) uses GCC's, which come with g++.
BUILD_PACKAGES="
  build-essential cmake pkg-config git ca-certificates
  clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev libclang-rt-14-dev
  prometheus-cpp-dev libmicrohttpd-dev libgnutls28-dev libcap-dev
  libyaml-cpp-dev libspdlog-dev libfmt-dev libcli11-dev
  libgtest-dev libgmock-dev
  libcrypt-dev nlohmann-json3-dev
"

# Tests. prometheus: promtool, and the server the dashboard test queries. mmdebstrap, buildah:
# the container image (tests/deploy). util-linux (unshare, setpriv), libcap2-bin (capsh): the
# image run with the DaemonSet's capabilities. python3, python3-yaml: test scripts, workloads,
# scripts/gen-prometheusrule.py. bpftrace: what the benchmark compares the exporter with
# (scripts/bench.sh). shellcheck, clang-format: the lint (tests/lint/). containerd (with its CRI
# plugin), runc, python3-grpcio: the pods of tests/deploy/cri_test.py, run through the CRI API by
# a private containerd (where systemd runs, the package also starts the system's containerd; the
# test's own does not touch it). busybox-static: the QEMU suite's initramfs and that test's image.
# apparmor (apparmor_parser): the profile that refuses calls in the QEMU suite's guests.
TEST_PACKAGES="
  openssl curl bpftrace shellcheck clang-format clang-tidy
  prometheus python3 util-linux
  qemu-system-x86 busybox-static cpio apparmor
  mmdebstrap buildah python3-yaml libcap2-bin
  containerd runc python3-grpcio
"

case "${1:-}" in
  --build) PACKAGES=$BUILD_PACKAGES ;;
  "") PACKAGES="$BUILD_PACKAGES $TEST_PACKAGES" ;;
  *) echo "usage: $0 [--build]" >&2; exit 2 ;;
esac

if [ -z "${1:-}" ]; then
  # kubectl (its built-in kustomize renders deploy/kubernetes): any kubectl 1.21 or newer is
  # used as it is. Debian's package is kubernetes-client (1.20 in bookworm, whose kustomize
  # predates components: deploy.kustomize then says SKIPPED and why).
  command -v kubectl >/dev/null 2>&1 || PACKAGES="$PACKAGES kubernetes-client"
  # Node.js and npm (tests/deploy/schema: the Kubernetes schema validation). Debian's nodejs and
  # npm, unless a Node.js with its own npm is already installed.
  command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs"
  command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"
fi

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing
fi
