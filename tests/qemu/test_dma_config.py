"""test_dma_config.py: device configurations whose DMA would bypass the SMMU
(build host). The hypervisor must hide such PCIe functions from VTL0 (they
read as absent through ECAM) and name each one and the reason in its boot
log, while safe functions stay visible (hv/pcie.c, docs/dma-devices.md)."""
import ovbs_qemu
from conftest import qemu_args

# On the root bus, where VTL0 reaches them without numbering any bridge:
# a transitional (legacy) virtio-pci device, a modern one without
# iommu_platform, and a modern one with it (the only safe one).
UNSAFE_AND_SAFE = [
    "-device", "virtio-rng-pci,addr=0x08,disable-legacy=off",
    "-device", "virtio-rng-pci,addr=0x09,disable-legacy=on",
    "-device", "virtio-rng-pci,addr=0x0a,disable-legacy=on,iommu_platform=on",
]


# A second root port with a modern virtio-pci device without iommu_platform
# behind it: when VTL0 gives this bridge the bus the safe one behind rp0
# had, the unsafe function answers at the numbers the safe one was judged at.
UNSAFE_BEHIND_BRIDGE = [
    "-device", "pcie-root-port,id=rp1,bus=pcie.0,chassis=2,addr=0x0b",
    "-device", "virtio-rng-pci,bus=rp1,disable-legacy=on",
]


def boot_with(args, commands):
    return ovbs_qemu.scripted_boot(args, commands, timeout=60)


def test_virtio_pci_without_access_platform_is_hidden():
    b = boot_with(qemu_args() + UNSAFE_AND_SAFE, "test pci_hidden\n")
    assert not b.timed_out
    out = b.output
    assert ("PCIe 00:08.0 [1af4:1005]: hidden from VTL0: legacy virtio-pci never offers "
            "VIRTIO_F_ACCESS_PLATFORM") in out
    assert ("PCIe 00:09.0 [1af4:1044]: hidden from VTL0: virtio-pci without "
            "VIRTIO_F_ACCESS_PLATFORM bypasses the SMMU (start it with "
            "iommu_platform=on,disable-legacy=on)") in out
    assert "PCIe 00:0a.0 [1af4:1044]: given to VTL0: translated by the SMMU" in out
    # VTL0 sees the safe one (and reads its feature bit itself), not the others.
    assert "00:0a.0 [1af4:1044] visible" in out
    assert "00:08.0 [" not in out.replace("PCIe 00:08.0", "")
    assert "00:09.0 [" not in out.replace("PCIe 00:09.0", "")
    assert "TEST pci_hidden PASS" in out


def test_host_bridge_without_smmu_is_kept_from_vtl0():
    """No SMMU in front of the host bridge: none of its functions' DMA would
    be translated, so the whole bridge is the hypervisor's and VTL0's tree
    does not describe it (docs/dma.md)."""
    args = [a.replace(",iommu=smmuv3", "") for a in qemu_args()]
    assert args != qemu_args()
    b = boot_with(args, "info\n")
    assert b.ok(), b.output[-3000:]
    assert "host bridge has no SMMU in front of it" in b.output
    assert "kept from VTL0" in b.output
    assert "PCIe: ECAM" not in b.output  # nothing of it is emulated for VTL0


def test_every_virtio_mmio_device_is_kept():
    b = boot_with(qemu_args() + ["-device", "virtio-rng-device"], "test virtio_mmio_kept\n")
    assert not b.timed_out
    out = b.output
    assert ("virtio-mmio@0x0a003e00: device 4 (entropy) kept: it masters memory outside the "
            "SMMU") in out
    assert "virtio-mmio@0x0a003c00: device 4 (entropy) kept" in out
    assert "32 transport(s), 2 with a device; 8 kept with their pages, 24 empty left to VTL0" in out
    assert "TEST virtio_mmio_kept PASS" in out


def test_renumbered_bridge_does_not_reveal_an_unsafe_function():
    b = boot_with(qemu_args() + UNSAFE_BEHIND_BRIDGE, "test pci_renumber\n")
    assert not b.timed_out
    out = b.output
    assert "PCIe 01:00.0 [1af4:1044]: given to VTL0: translated by the SMMU" in out
    assert ("PCIe 01:00.0 [1af4:1044]: hidden from VTL0: virtio-pci without "
            "VIRTIO_F_ACCESS_PLATFORM") in out
    assert ("bridge 00:0b.0: bus 1 routed, 0 function(s) visible behind it") in out
    assert "bridge 00:03.0: bus 1 routed, 1 function(s) visible behind it" in out
    assert "TEST pci_renumber PASS" in out
