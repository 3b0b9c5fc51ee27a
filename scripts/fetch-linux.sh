#!/bin/sh
# fetch-linux.sh: fetches Debian's arm64 kernel, its headers and busybox for
# the Linux-in-VTL0 build (runs on the build host; installs nothing there).
#
#   scripts/fetch-linux.sh [BUILD_DIR]     (default: build)
#
# Downloads with `apt-get download` into BUILD/linux/debs/, unpacks each
# package with `dpkg-deb -x` into BUILD/linux/root/, points the arm64
# headers' Makefile at the unpacked common headers, and copies the kernel
# Image to BUILD/linux/Image. A stamp file makes a rerun free; delete
# BUILD/linux/.fetched (or `make clean`) to pick up a newer kernel.
set -eu

B=${1:-build}
L=$B/linux
STAMP=$L/.fetched
[ -f "$STAMP" ] && [ -f "$L/Image" ] && exit 0

HOST_ARCH=$(dpkg --print-architecture)

# The package a Depends: line of `apt-cache depends PKG` names, matching a
# pattern; without the architecture suffix apt adds for foreign packages.
dep() {
    apt-cache depends "$1" 2>/dev/null |
        sed -n "s/^ *Depends: <\{0,1\}\($2\)\(:[a-z0-9]*\)\{0,1\}>\{0,1\}$/\1/p" | head -n 1
}

# The arm64 package lists exist only once the architecture was added and
# `apt-get update` ran (scripts/install-deps.sh does both).
IMAGE=$(dep linux-image-arm64:arm64 'linux-image-[0-9][^ :<>]*')
if [ -z "$IMAGE" ]; then
    echo "fetch-linux: no linux-image-arm64:arm64 in apt's lists; running apt-get update" >&2
    dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64
    apt-get update -q >&2
    IMAGE=$(dep linux-image-arm64:arm64 'linux-image-[0-9][^ :<>]*')
fi
[ -n "$IMAGE" ] || { echo "fetch-linux: cannot resolve linux-image-arm64:arm64" >&2; exit 1; }

# linux-image-6.1.0-57-arm64 -> ABI 6.1.0-57; the headers follow the same name.
ABI=${IMAGE#linux-image-}
ABI=${ABI%-arm64}
HEADERS=linux-headers-$ABI-arm64
COMMON=$(dep "$HEADERS:arm64" 'linux-headers-[^ :<>]*-common')
KBUILD=$(dep "$HEADERS:arm64" 'linux-kbuild-[^ :<>]*')
[ -n "$COMMON" ] && [ -n "$KBUILD" ] ||
    { echo "fetch-linux: cannot resolve the dependencies of $HEADERS:arm64" >&2; exit 1; }

# The kbuild tools (fixdep, modpost...) run on the build host: Debian ships
# them Multi-Arch: foreign, so the host's own architecture satisfies the
# arm64 headers. The common headers are Architecture: all.
PKGS="$IMAGE:arm64 $HEADERS:arm64 $COMMON $KBUILD:$HOST_ARCH busybox-static:arm64"
echo "fetch-linux: $PKGS"

rm -rf "$L/debs" "$L/root"
mkdir -p "$L/debs" "$L/root"
# apt-get download writes into the current directory.
(cd "$L/debs" && apt-get download -q $PKGS)
for deb in "$L"/debs/*.deb; do
    dpkg-deb -x "$deb" "$L/root"
done

# The arm64 headers' Makefile includes the common one by its installed,
# absolute path: point it at the unpacked tree instead.
MK=$L/root/usr/src/$HEADERS/Makefile
ROOT_ABS=$(cd "$L/root" && pwd)
grep -q "^include /usr/src/$COMMON/Makefile" "$MK" ||
    { echo "fetch-linux: unexpected $MK (no include of $COMMON)" >&2; exit 1; }
sed -i "s|^include /usr/src/$COMMON/Makefile|include $ROOT_ABS/usr/src/$COMMON/Makefile|" "$MK"

# Debian's arm64 vmlinuz is the raw Image (EFI stub "MZ", ARM\x64 at 56), not
# compressed: QEMU's -kernel and the hypervisor take it as it is.
cp "$L/root/boot/vmlinuz-$ABI-arm64" "$L/Image"
echo "$ABI-arm64" > "$L/kernel-release.txt"
echo "$PKGS" > "$STAMP"
echo "fetch-linux: kernel $ABI-arm64 in $L/Image, headers in $L/root/usr/src/$HEADERS"
