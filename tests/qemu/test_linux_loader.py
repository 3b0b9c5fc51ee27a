"""test_linux_loader.py: the hypervisor's checks of a Linux Image and
initramfs named in its boot arguments (hv/loader.c, hv/linux_image.c), with
small crafted files: every misplaced or malformed image stops the boot with
a specific FATAL line before any guest runs (build host, QEMU)."""
import re
import struct

import pytest

from conftest import qemu_args
import ovbs_qemu

MAGIC = 0x644D5241


def fake_image(path, image_size=0x2010000, flags=0xA, text_offset=0, magic=MAGIC, size=4096):
    """A file with an arm64 Image header (booting.rst) and no kernel."""
    header = struct.pack("<IIQQQQQQII", 0x5A4D, 0, text_offset, image_size, flags, 0, 0, 0,
                         magic, 0)
    path.write_bytes(header + b"\0" * (size - len(header)))
    return str(path)


def boot_linux(image, initrd=None, image_addr=ovbs_qemu.LINUX_IMAGE_ADDR,
               initrd_addr=ovbs_qemu.LINUX_INITRD_ADDR, append_hv=None):
    extra, hv = ovbs_qemu.linux_args(image, initrd, image_addr=image_addr,
                                     initrd_addr=initrd_addr)
    return ovbs_qemu.scripted_boot(qemu_args() + extra, "", append=append_hv or hv,
                                   timeout=60)


def refused(boot, why):
    assert re.search(r"^\[hv\] FATAL: .*" + re.escape(why), boot.output, re.M), boot.output[-3000:]
    assert "entering the secure kernel" not in boot.output, boot.output[-3000:]
    assert boot.returncode != 0


def test_image_in_vtl1_memory_is_refused(tmp_path):
    # VTL1's window starts at 0x41000000 on this machine (the boot log's
    # memory layout); the Image is aimed there.
    boot = boot_linux(fake_image(tmp_path / "Image"), image_addr=0x41000000)
    refused(boot, "is not wholly in VTL0 RAM")


def test_image_footprint_running_into_vtl1_is_refused(tmp_path):
    # The file fits in VTL0 RAM, its image_size (BSS) would reach VTL1.
    boot = boot_linux(fake_image(tmp_path / "Image", image_size=0x2000000),
                      image_addr=0x40e00000)
    refused(boot, "Linux Image (with its image_size) [0x40e00000, +0x2000000) is not wholly")


def test_initrd_overlapping_the_kernel_is_refused(tmp_path):
    boot = boot_linux(fake_image(tmp_path / "Image"), fake_image(tmp_path / "initrd"),
                      initrd_addr=ovbs_qemu.LINUX_IMAGE_ADDR + 0x1000000)
    refused(boot, "initramfs [0x49000000, +0x1000) overlaps the kernel")


def test_initrd_in_vtl1_memory_is_refused(tmp_path):
    boot = boot_linux(fake_image(tmp_path / "Image"), fake_image(tmp_path / "initrd"),
                      initrd_addr=0x41800000)
    refused(boot, "initramfs [0x41800000, +0x1000) is not wholly in VTL0 RAM")


@pytest.mark.parametrize("kwargs,why", [
    ({"magic": 0x12345678}, "no ARM\\x64 magic"),
    ({"image_size": 0}, "image_size is 0"),
    ({"flags": 0xB}, "big-endian kernel"),
    ({"flags": 0x2}, "kernel must be placed near the start of RAM"),
    ({"image_size": 0x800}, "image_size smaller than the file"),
])
def test_malformed_image_is_refused(tmp_path, kwargs, why):
    refused(boot_linux(fake_image(tmp_path / "Image", **kwargs)), "Linux Image refused: " + why)


def test_misaligned_image_is_refused(tmp_path):
    boot = boot_linux(fake_image(tmp_path / "Image"), image_addr=ovbs_qemu.LINUX_IMAGE_ADDR + 0x1000)
    refused(boot, "not loaded text_offset bytes past a 2 MiB boundary")


@pytest.mark.parametrize("arg", ["vtl0.kernel=0x48000000", "vtl0.kernel=0x48000000,12z"])
def test_malformed_boot_argument_is_refused(tmp_path, arg):
    boot = boot_linux(fake_image(tmp_path / "Image"), append_hv=f"{arg} -- console=ttyAMA0")
    refused(boot, "vtl0.kernel=: expected ADDR,SIZE")
