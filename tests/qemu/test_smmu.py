"""test_smmu.py: the hypervisor owns the SMMUv3 before any guest runs (build
host; docs/dma.md). One boot checks the boot order and the SMMU's report,
one on a machine without an SMMU checks that PCIe is then kept from VTL0."""
import re

import ovbs_qemu
from conftest import boot, qemu_args


def test_smmu_enabled_before_any_guest():
    b = boot("poweroff\n", timeout=60)
    assert b.ok(), b.output
    out = b.output
    found = out.index("SMMU  found at 0x9050000: stage 1 yes")
    enabled = out.index("SMMU enabled before any guest:")
    assert found < enabled < out.index("entering the secure kernel") < out.index("VTL0 test kernel")
    assert "two-level, 65536 StreamIDs -> 1 shared table of 64 STEs" in out
    pages = re.search(r"SMMU enabled before any guest: (\d+) table pages", out)
    assert int(pages.group(1)) == 5  # one per level + two shared 2 MiB blocks
    assert "FATAL" not in out


def test_pcie_without_smmu_is_kept_from_vtl0():
    args = [a.replace("iommu=smmuv3", "iommu=none") for a in qemu_args()]
    b = ovbs_qemu.scripted_boot(args, "info\npoweroff\n", timeout=60)
    assert b.ok(), b.output
    assert "PCIe  host bridge has no SMMU in front of it" in b.output
    assert "SMMU  absent: PCIe is kept from VTL0" in b.output
    # ECAM and both windows are the hypervisor's: absent from VTL0's stage 2.
    for base in ("0x0010000000", "0x4010000000", "0x8000000000"):
        line = next(l for l in b.output.splitlines() if l.strip().startswith(f"[{base},"))
        assert "mmio-hv" in line, line


def test_smmu_command_error_stops_the_machine():
    # A command the SMMU refuses (CERROR_ILL) must never count as done: a
    # protection change could otherwise be reported without reaching it.
    b = boot("", append="hv.selftest=smmu-bad-command", timeout=60)
    assert not b.timed_out
    assert b.returncode != 0
    assert "SMMU command ? at CONS 3 failed: CERROR 1" in b.output, b.output
    assert "FATAL: SMMU: command queue error" in b.output
    assert "accepted an illegal command" not in b.output
    assert "VTL0 test kernel" not in b.output
