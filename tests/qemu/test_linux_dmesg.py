"""test_linux_dmesg.py: Debian's kernel says the same things bare and under
the hypervisor (build host, two QEMU boots). Same machine, kernel and
initramfs; every line of `dmesg` that only one boot has must be one of the
expected differences below, each with its reason (docs/linux.md)."""
import os
import re

import conftest
import ovbs_qemu

BUILD = os.environ.get("OVBS_BUILD", "build")

# (regex over a whole normalised line, the boot it may appear in alone, why).
# Keep it short and specific: a new difference must be looked at, not
# absorbed by a pattern that happens to match.
EXPECTED = [
    # RAM: the hypervisor's image and pool, the boot device tree and VTL1's
    # 16 MiB are not in VTL0's memory map, so the ranges, the holes and
    # every count derived from them differ.
    (r"NUMA: (Faking a node at|NODE_DATA) \[mem .*\]", "both", "RAM map"),
    (r"  DMA      \[mem .*\]", "both", "RAM map"),
    (r"  node   0: \[mem .*\]", "both", "RAM map"),
    (r"Initmem setup node 0 \[mem .*\]", "both", "RAM map"),
    (r"On node 0, zone DMA: \d+ pages in unavailable ranges", "hv", "RAM holes"),
    (r"Built 1 zonelists, mobility grouping on\.  Total pages: \d+", "both", "RAM map"),
    (r"Memory: \d+K/\d+K available \(.*\)", "both", "RAM map"),
    # Firmware: QEMU's PSCI is 1.1 with SMCCC 1.0; the hypervisor answers
    # PSCI itself (1.0) and advertises SMCCC 1.1 (hv/psci.c, hv/smccc_arch.c).
    (r"psci: PSCIv1\.[01] detected in firmware\.", "both", "PSCI"),
    (r"psci: SMC Calling Convention v1\.[01]", "both", "SMCCC"),
    # CPU features the hypervisor keeps from VTL0 (ID registers, TID3): SVE
    # is trapped for both VTLs, and VTL0 gets 2 of the 6 breakpoints and 2
    # of the 4 watchpoints.
    (r"CPU features: detected: Scalable Vector Extension", "bare", "SVE hidden"),
    (r"SVE: (maximum available|default) vector length \d+ bytes per vector", "bare",
     "SVE hidden"),
    (r"hw-breakpoint: found \d+ breakpoint and \d+ watchpoint registers\.", "both",
     "debug registers"),
    # The ITS and the SMMU are the hypervisor's: VTL0 has no LPIs and no
    # MSI domain, so its PCIe port signals PME/AER on a wired interrupt.
    (r"ITS( \[mem .*\]|@0x[0-9a-f]+: allocated \d+ .*)", "bare", "ITS kept"),
    (r"GICv3: (CPU\d: )?using (allocated )?LPI (property|pending) table @0x[0-9a-f]+", "bare",
     "ITS kept"),
    (r"(Platform MSI|PCI/MSI|fsl-mc MSI): \S+ domain created", "bare", "ITS kept"),
    (r"arm-smmu-v3 9050000\.smmuv3: .*", "bare", "SMMU kept"),
    (r"(pcieport|virtio-pci) 0000:0[01]:0[03]\.0: Adding to iommu group \d+", "bare", "SMMU kept"),
    (r"pcieport 0000:00:03\.0: (PME: Signaling|AER: enabled) with IRQ \d+", "both",
     "no MSI"),
    # The module finds the hypervisor, or says why not (no EL2 bare; /init's
    # insmod prints the refusal a second time through the console log).
    (r"openvbs: OpenVBS hypervisor \d+\.\d+ found; /dev/openvbs ready", "hv", "module"),
    (r"openvbs: no OpenVBS hypervisor \(this CPU has no EL2\); not loading", "bare",
     "module"),
    # Printed when the host was too slow for one timer interrupt (TCG on a
    # busy machine), in either boot or neither.
    (r"hrtimer: interrupt took \d+ ns", "both", "host load"),
]

# Values that legitimately differ between any two boots, masked in every
# line before comparing: the printk timestamp, times of day (the RTC reads
# the host's clock), and durations that depend on host speed.
TIMESTAMP = re.compile(r"^\[\s*\d+\.\d+\] ")
MASKS = [
    (re.compile(r"(deferred pages initialised in )\d+ms"), r"\1Nms"),
    (re.compile(r"(setting system clock to )\S+ UTC \(\d+\)"), r"\1DATE"),
    (re.compile(r"(audit\()\d+\.\d+(:\d+\))"), r"\1T\2"),
]


def normalise(line):
    line = TIMESTAMP.sub("", line)
    for rx, repl in MASKS:
        line = rx.sub(repl, line)
    return line


def dmesg_lines(output):
    """The lines `dmesg` printed in a scripted boot, normalised."""
    body = output.split("linux# dmesg", 1)[1].split("console: ", 1)[0]
    lines = []
    for line in body.splitlines():
        if TIMESTAMP.match(line):
            lines.append(normalise(line))
    return lines


def unexpected(only, side):
    """Lines found in one boot only that no EXPECTED entry allows there."""
    bad = []
    for line in only:
        if not any(re.fullmatch(rx, line) and where in (side, "both")
                   for rx, where, _ in EXPECTED):
            bad.append(f"only {side}: {line}")
    return bad


def bare_boot(commands):
    """The same machine, kernel and initramfs with no hypervisor: no EL2
    (Linux at EL1, as in VTL0), QEMU's own -kernel/-initrd loader."""
    args = ovbs_qemu.bare_linux_args(conftest.qemu_args(),
                                     os.path.join(BUILD, "linux", "Image"),
                                     os.path.join(BUILD, "linux", "initramfs.cpio"))
    return ovbs_qemu.scripted_boot(args, ovbs_qemu.linux_script(commands),
                                   append=ovbs_qemu.LINUX_CMDLINE, timeout=300,
                                   wait_for=ovbs_qemu.LINUX_READY)


def test_dmesg_bare_and_under_the_hypervisor():
    hv = conftest.linux_boot("dmesg")
    bare = bare_boot("dmesg")
    assert hv.ok(), hv.output[-3000:]
    assert bare.ok(), bare.output[-3000:]
    hv_lines, bare_lines = dmesg_lines(hv.output), dmesg_lines(bare.output)
    # Most of the boot is the same: a test that compared nothing would pass.
    assert len(set(hv_lines) & set(bare_lines)) > 200
    bad = (unexpected([l for l in hv_lines if l not in set(bare_lines)], "hv")
           + unexpected([l for l in bare_lines if l not in set(hv_lines)], "bare"))
    assert not bad, "dmesg lines not in the expected differences:\n" + "\n".join(bad)
