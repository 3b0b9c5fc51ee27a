#!/bin/sh
# fetch-linux.sh: fetches Debian's arm64 kernel, its headers and busybox for
# the Linux-in-VTL0 build (runs on the build host; installs nothing there).
#
#   scripts/fetch-linux.sh [BUILD_DIR]     (default: build)
#
# Downloads with `apt-get download` into BUILD/linux/debs/, unpacks each
# package with `dpkg-deb -x` into BUILD/linux/root/, points the arm64
# headers' Makefile at the unpacked common headers, and copies the kernel
# Image to BUILD/linux/Image. The kernel's System.map (only in Debian's
# -dbg package) goes to BUILD/linux/System.map: the kernel integrity lock
# reads the link-time layout from it (docs/linux.md). A stamp file makes a
# rerun free; delete BUILD/linux/.fetched (or `make clean`) to pick up a
# newer kernel.
set -eu

B=${1:-build}
L=$B/linux
STAMP=$L/.fetched
[ -f "$STAMP" ] && [ -f "$L/Image" ] && [ -f "$L/System.map" ] && exit 0

# apt-get download, run as root, fetches as the user _apt, who cannot write
# into a build tree owned by someone else: apt then warns and downloads as
# root anyway. Say so up front instead (the files are only unpacked here,
# never installed).
apt_download() {
    if [ "$(id -u)" = 0 ]; then
        apt-get download -q -o APT::Sandbox::User=root "$@"
    else
        apt-get download -q "$@"
    fi
}

# Debian ships System.map only in linux-image-ABI-arm64-dbg (about 800 MB of
# debug info): download it, take the one file out of its data archive and
# drop the rest at once, so build/ stays small.
fetch_system_map() {
    abi=$1
    dbg=linux-image-$abi-arm64-dbg:arm64
    tmp=$L/dbg.tmp
    echo "fetch-linux: $dbg (for System.map only)"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    (cd "$tmp" && apt_download "$dbg")
    dpkg-deb --fsys-tarfile "$tmp"/*.deb |
        tar -xO "./usr/lib/debug/boot/System.map-$abi-arm64" > "$tmp/System.map"
    # A map of this kernel names _stext as a text symbol; an empty or
    # truncated extraction does not.
    grep -q ' [Tt] _stext$' "$tmp/System.map" ||
        { echo "fetch-linux: no usable System.map in $dbg" >&2; exit 1; }
    mv "$tmp/System.map" "$L/System.map"
    rm -rf "$tmp"
}

# Fetched before this script knew about System.map: only the map is missing.
if [ -f "$STAMP" ] && [ -f "$L/Image" ]; then
    fetch_system_map "$(sed 's/-arm64$//' "$L/kernel-release.txt")"
    exit 0
fi

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
(cd "$L/debs" && apt_download $PKGS)
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
fetch_system_map "$ABI"
echo "$PKGS" > "$STAMP"
echo "fetch-linux: kernel $ABI-arm64 in $L/Image, headers in $L/root/usr/src/$HEADERS"
