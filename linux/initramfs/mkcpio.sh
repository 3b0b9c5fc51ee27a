#!/bin/sh
# mkcpio.sh: builds the Linux initramfs on the build host (runs as root for
# the console device node).
#
#   linux/initramfs/mkcpio.sh LINUX_BUILD_DIR OUT.cpio TRUSTLET.tl...
#
# Uncompressed newc, reproducible: staged files with one fixed mtime, a
# sorted file list, owner 0:0 (cpio --reproducible -R 0:0). Holds busybox
# (its applet links are made by /init at boot: the arm64 binary cannot run
# here to list them), /init, the modules, vbsctl, the trustlet images and
# the lines of the kernel's System.map the kernel lock needs.
set -eu
L=$1
OUT=$2
shift 2
S=$L/initramfs
rm -rf "$S"
mkdir -p "$S/bin" "$S/dev" "$S/proc" "$S/sys" "$S/tmp" "$S/root" "$S/lib/modules" \
    "$S/lib/openvbs"
cp "$L/root/bin/busybox" "$S/bin/busybox"
ln -s busybox "$S/bin/sh"
cp linux/initramfs/init "$S/init"
cp linux/initramfs/ovbs-script "$S/bin/ovbs-script"
chmod 0755 "$S/init" "$S/bin/busybox" "$S/bin/ovbs-script"
cp "$L/openvbs.ko" "$S/lib/modules/openvbs.ko"
# Debian's own modules for the virtio-pci devices VTL0 gets behind the SMMU
# (virtio-pci and virtio-rng are =m in Debian's config), in load order.
mkdir -p "$S/lib/modules/debian"
for m in drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev \
         drivers/virtio/virtio_pci drivers/char/hw_random/virtio-rng; do
    cp "$L"/root/lib/modules/*/kernel/$m.ko "$S/lib/modules/debian/"
done
printf '%s\n' virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio-rng \
    > "$S/lib/modules/debian/order"
# Test-only (tests/qemu/test_linux_attacks.py insmods it; /init does not).
cp "$L/openvbs_attack.ko" "$S/lib/modules/openvbs_attack.ko"
# A Debian module /init never loads: after the kernel lock, insmod of it
# must be refused (tests/qemu/test_linux_kernel_lock.py).
mkdir -p "$S/lib/modules/debian/extra"
cp "$L"/root/lib/modules/*/kernel/lib/crc-itu-t.ko "$S/lib/modules/debian/extra/"
# The kernel lock reads the kernel's layout from /boot/System.map-RELEASE
# (docs/linux.md). Debian's full map is 4.7 MB; the module needs only the
# symbols it names with KL_SYM(...) (and KL_SYM_OPT) in linux/module/kernel_lock.c, so only
# their lines ship (same format: the module reads either file alike).
mkdir -p "$S/boot"
SYMS=$(grep -v '#define' linux/module/kernel_lock.c | grep -o 'KL_SYM\(_OPT\)\{0,1\}([A-Za-z0-9_]*)' |
    sed 's/^[^(]*(\(.*\))$/\1/' | sort -u | paste -sd'|')
[ -n "$SYMS" ] || { echo "mkcpio: no KL_SYM names in linux/module/kernel_lock.c" >&2; exit 1; }
grep -E " ($SYMS)\$" "$L/System.map" > "$S/boot/System.map-$(cat "$L/kernel-release.txt")"
cp "$L/vbsctl" "$S/bin/vbsctl"
for tl in "$@"; do
    cp "$tl" "$S/lib/openvbs/"
done
# The kernel opens /dev/console for init before anything is mounted.
mknod -m 0600 "$S/dev/console" c 5 1
# One mtime for everything, links included, so the archive depends only on
# its contents.
find "$S" -exec touch -h -d @0 {} +
(cd "$S" && find . -mindepth 1 | LC_ALL=C sort |
    cpio -o -H newc --reproducible -R 0:0 --quiet) > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
# The staging tree goes: its console node blocks anything that copies the
# build tree by reading files (make mutate's scratch copy did).
rm -rf "$S"
echo "mkcpio: $OUT ($(wc -c < "$OUT") bytes)"
