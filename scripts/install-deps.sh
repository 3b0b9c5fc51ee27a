#!/bin/sh
# install-deps.sh: installs the Debian packages OpenVBS needs (host tools, QEMU,
# arm64 target libraries, test frameworks). Runs on the build host as root.
# Costs one dpkg query when everything is already there.
set -eu

HOST_ARCH=$(dpkg --print-architecture)
# Libraries for host programs (unit tests, fuzzer) name the build host's
# architecture: their arm64 twins are installed too. The SHA-256 test is a
# static aarch64 Linux program (cross libc, qemu-aarch64 runs it).
HOST_PKGS="make clang lld llvm qemu-system-arm device-tree-compiler \
libcmocka-dev libfdt1:$HOST_ARCH libbearssl0:$HOST_ARCH libclang-rt-14-dev python3 python3-pytest \
gdb-multiarch openssl spin \
qemu-user libc6-dev-arm64-cross libgcc-12-dev-arm64-cross gcc-aarch64-linux-gnu cpio"
ARM64_PKGS="libfdt-dev:arm64 libbearssl-dev:arm64"

missing=""
for p in $HOST_PKGS $ARM64_PKGS; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "install-deps: missing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: need root to apt-get install:$missing" >&2
    exit 1
fi
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    dpkg --add-architecture arm64
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends $missing
