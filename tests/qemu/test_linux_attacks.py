"""test_linux_attacks.py: attacks from Debian's Linux in VTL0 by root with
kernel code execution, through the test-only module openvbs_attack.ko
(linux/attack/); build host, three QEMU boots. Each attack must be blocked,
recorded by the hypervisor or VTL1, and leave Linux answering: an oops of
the attacking process is acceptable, a panic or a hang is not."""
import re

import pytest

from conftest import linux_boot

D = "/sys/kernel/debug/openvbs_attack"
INSMOD = "insmod /lib/modules/openvbs_attack.ko"
# The last lines of every boot: the shell still answers, the hypervisor too.
ALIVE = ["vbsctl stats", "vbsctl info", "echo ALIVE-AFTER-ATTACKS"]


def run(commands):
    boot = linux_boot("\n".join([INSMOD] + commands + ALIVE) + "\n")
    out = boot.output
    assert "openvbs_attack: ready:" in out, out[-4000:]
    assert "ALIVE-AFTER-ATTACKS\n" in out.replace("\r", ""), out[-4000:]
    assert "Kernel panic" not in out, out[-4000:]
    # Faulting children are run as `sh -c ...; echo`, so only a failure of
    # the shell itself (or of a command expected to work) counts.
    assert boot.console_failures() == 0, out[-4000:]
    assert boot.ok(), out[-4000:]
    return out.replace("\r", "")


def shell_lines(out, command):
    """What the console showed for `command` (echoed as `linux# command`),
    without the kernel's, the hypervisor's and VTL1's log lines."""
    start = out.index("linux# " + command + "\n") + len("linux# " + command + "\n")
    end = out.find("linux# ", start)
    text = out[start:end if end >= 0 else len(out)]
    return [l for l in text.splitlines() if l and not l.startswith("[")]


def attack(name, target):
    return f"echo {target} > {D}/{name}; cat {D}/{name}"


def result(out, name, target):
    return "\n".join(shell_lines(out, attack(name, target)))


def stat(out, label):
    """A count from `vbsctl stats` (hypervisor's table first, then VTL1's)."""
    return [int(n) for n in re.findall(r"^  " + re.escape(label) + r" +(\d+)$", out, re.M)]


# ---- 1. CPU access to VTL1 and hypervisor memory ---------------------------

# (debugfs file, target, the hypervisor's word for the access, the owner)
MEMORY_ATTACKS = [
    ("read_phys", "canary", "read", "vtl1"),
    ("write_phys", "canary", "write", "vtl1"),
    ("ioread_phys", "canary", "read", "vtl1"),
    ("iowrite_phys", "vtl1", "write", "vtl1"),
    ("read_phys", "hv", "read", "hv"),
    ("write_phys", "hv-last", "write", "hv"),
    ("ioread_phys", "hv-last", "read", "hv"),
    ("iowrite_phys", "hv", "write", "hv"),
]


def child(name, target):
    # A child shell per attack: the oops kills it, not the script. Then the
    # result it left behind.
    return (f"sh -c 'echo {target} > {D}/{name}'; echo \"child {name} {target} status $?\"; "
            f"cat {D}/{name}")


def test_linux_cpu_access_to_vtl1_and_hv_memory():
    commands = [attack("read_phys", "self")]  # the control: our own page reads
    for name, target, _, _ in MEMORY_ATTACKS:
        commands += [child(name, target)]
    commands += [attack("check", "canary")]
    out = run(commands)

    assert re.search(r"^read_phys 0x[0-9a-f]+ \(self\) via memremap\(WB\): value 0x[0-9a-f]{16}",
                     out, re.M), out[-4000:]
    # Every access stopped at stage 2: one line each, in order, naming the
    # address the module mapped.
    aborts = re.findall(r"^\[hv\] VP \d+: VTL0 EL1 (read|write) at IPA (0x[0-9a-f]+) \(VA 0x[0-9a-f]+, "
                        r"PC 0x[0-9a-f]+\): translation fault, page owner (\w+) -> abort injected$",
                        out, re.M)
    assert len(aborts) == len(MEMORY_ATTACKS), aborts
    for (name, target, access, owner), (got_access, ipa, got_owner) in zip(MEMORY_ATTACKS, aborts):
        shown = "\n".join(shell_lines(out, child(name, target)))
        # The child was killed by the oops (SIGSEGV: status 128 + 11) ...
        assert f"child {name} {target} status 139" in shown, shown
        # ... before the access completed: the result is the one left behind.
        how = "ioremap" if name.startswith("io") else r"memremap\(WB\)"
        m = re.search(rf"^{name} (0x[0-9a-f]+) \({re.escape(target)}\) via {how} at [0-9a-f]+: "
                      r"started, not completed \(no value\)$", shown, re.M)
        assert m, shown
        assert (got_access, int(ipa, 16), got_owner) == (access, int(m.group(1), 16), owner)
    # Linux saw the injected synchronous external abort (FSC 0x10; WnR for
    # the writes) and oopsed only the attacking thread.
    esrs = re.findall(r"Internal error: synchronous external abort: ([0-9a-f]{16})", out)
    assert [int(e, 16) for e in esrs] == [0x96000010 if a == "read" else 0x96000050
                                          for _, _, a, _ in MEMORY_ATTACKS], esrs
    assert "LEAKED" not in out and "(WRITTEN)" not in out
    assert "VTL1's canary intact" in result(out, "check", "canary")
    assert stat(out, "stage-2 abort") == [len(MEMORY_ATTACKS)]


# ---- 2 and 3. Secure calls: foreign buffers, racing buffers, protections ---

def test_linux_secure_calls_foreign_buffers_races_and_protections():
    foreign = ["canary", "hv-last"]
    protect_targets = ["vtl1", "hv-last", "mmio-hv", "mmio-vtl0"]
    commands = [attack("sc_buffers", t) for t in foreign + ["locked"]]
    commands += [attack("race_checksum", "5"), attack("race_tl_load", "/lib/openvbs/echo.tl 4")]
    commands += [attack("protect", t) for t in protect_targets + ["locked"]]
    commands += ["vbsctl map"]
    out = run(commands)

    # Confused deputy: VTL1 refuses each buffer outside VTL0 RAM before
    # touching it (INVALID_PARAMETER 0x5; an image it cannot read is
    # TL_BUFFER 0x212), and the target is as it was.
    after = {"canary": "VTL1's canary intact", "hv-last": "hypervisor answers"}
    for t in foreign:
        assert result(out, "sc_buffers", t).split("\n")[1:] == [
            "SC_QUERY_RANGE out=target: status 0x5",
            "SC_CHECKSUM in=target: status 0x5",
            "SC_CHECKSUM progress=target: status 0x5",
            "SC_TL_LOAD image=target: status 0x212",
            "after: " + after[t],
        ], out[-6000:]
    # A page VTL1 locked read-only: no output lands there (ACCESS_DENIED
    # 0x6); reading it is allowed (the checksum, and the image VTL1 could
    # read but finds no header in: TL_BAD_HEADER 0x200).
    assert result(out, "sc_buffers", "locked").split("\n")[1:] == [
        "SC_QUERY_RANGE out=target: status 0x6",
        "SC_CHECKSUM in=target: status 0x0",
        "SC_CHECKSUM progress=target: status 0x6",
        "SC_TL_LOAD image=target: status 0x200",
        "after: locked page unchanged",
    ], out[-6000:]
    assert out.count("[sk] trustlet image refused: image not in VTL0 memory VTL0 may read") == 2

    # TOCTOU: another CPU inverts the buffer once VTL1 says it has its copy;
    # the checksum is the buffer's before the flip.
    race = result(out, "race_checksum", "5")
    m = re.search(r"flipped by CPU (\d+) during the call on CPU (\d+): yes\n"
                  r"status 0x0, checksum (0x[0-9a-f]+)\n"
                  r"before the flip (0x[0-9a-f]+), after (0x[0-9a-f]+): "
                  r"the snapshot before the flip$", race)
    assert m and m.group(1) != m.group(2), race
    assert m.group(3) == m.group(4) != m.group(5)
    # A trustlet image whose last byte another CPU keeps toggling: each
    # load is one snapshot, the signed image (loaded) or the changed one.
    tl = result(out, "race_tl_load", "/lib/openvbs/echo.tl 4")
    m = re.search(r"last byte toggled (\d+) times by CPU \d+\n4 loads: (\d+) loaded \(genuine "
                  r"snapshot\), (\d+) TL_BAD_HASH \(changed snapshot\), 0 other", tl)
    assert m and int(m.group(1)) > 0 and int(m.group(2)) + int(m.group(3)) == 4, tl
    assert out.count("[sk] trustlet echo v3 loaded") == int(m.group(2))
    assert out.count("[sk] trustlet image refused: image does not match its signed hash") == \
        int(m.group(3))

    # Protection changes of memory that is not VTL0 RAM: refused, nothing set.
    for t in protect_targets:
        lines = result(out, "protect", t).split("\n")
        base = int(re.match(r"target (0x[0-9a-f]+)", lines[0]).group(1), 16)
        assert lines[1:] == ["SC_PROTECT r: status 0x5", "SC_PROTECT rwxu: status 0x5",
                             "SC_LOCK r: status 0x5", "SC_QUERY: status 0x5, protection 0x0"], lines
        for mask in ("1", "f", "1 (lock)"):
            assert f"[sk] protect [{base:#x}, +1 pages) mask {mask} refused: status 5" in out
    # The lock holds: no write access again (ACCESS_DENIED), read-only still
    # allowed, and SC_QUERY shows read | locked.
    assert result(out, "protect", "locked").split("\n")[1:] == [
        "SC_PROTECT r: status 0x0", "SC_PROTECT rwxu: status 0x6", "SC_LOCK r: status 0x0",
        "SC_QUERY: status 0x0, protection 0x101"]
    memmap = "\n".join(shell_lines(out, "vbsctl map"))
    assert re.search(r"^  \[0x[0-9a-f]+, 0x[0-9a-f]+\) vtl1 +---- ", memmap, re.M), memmap
    assert not re.search(r"\) (vtl1|hv|mmio-hv) +[rwxu]", memmap), memmap
    # VTL1's record: twelve refused secure calls (three buffers for each
    # foreign target, two for the locked page, four SC_QUERYs) and thirteen
    # refused protections (three for each foreign target, one on the lock).
    assert stat(out, "secure call refused") == [12]
    assert stat(out, "protection refused") == [13]


# ---- 4. DMA past the SMMU ----------------------------------------------------

def test_linux_dma_into_vtl1_hv_and_locked_memory():
    blocked = [("dma_write", "canary", "VTL1's canary intact"),
               ("dma_write", "locked", "locked page unchanged"),
               ("dma_write", "hv-last", "hypervisor answers"),
               ("dma_read", "canary", None),
               ("dma_read", "hv", None)]
    commands = [attack("dma_write", "self")]
    # A second between attacks: the hypervisor's DMA log lines have a
    # per-second budget, and each attack should show its own.
    for name, target, _ in blocked:
        commands += ["sleep 1", attack(name, target)]
    commands += [attack("dma_read", "locked")]
    out = run(commands)

    def faults(text):
        m = re.search(r"^DMA faults (\d+) -> (\d+)$", text, re.M)
        return int(m.group(1)), int(m.group(2))

    control = result(out, "dma_write", "self")
    assert "after: our page holds the data" in control, control
    before, now = faults(control)
    assert before == now == 0, control
    total = 0
    for name, target, state in blocked:
        text = result(out, name, target)
        m = re.search(r"edu DMA of 1024 bytes (?:to|from) (0x[0-9a-f]+) \(", text)
        assert m, text
        before, now = faults(text)
        assert now > before == total, text
        total = now
        if state:
            assert "after: " + state in text, text
        else:
            # Nothing of the target reached the device: it holds our
            # pattern, or the zeros QEMU gives a refused read.
            assert re.search(r"after: the device (kept our pattern|read zeros)$", text), text
        word = "write" if name == "dma_write" else "read"
        assert re.search(rf"^\[hv\] DMA {word} by StreamID 0x[0-9a-f]+ \(PCI [0-9a-f:.]+\) at "
                         rf"{m.group(1)} blocked by the SMMU \(F_\w+\)$", out, re.M), \
            (name, target, out[-6000:])
    # Reading a locked page is allowed: the device gets its bytes.
    locked_read = result(out, "dma_read", "locked")
    assert "after: the device got the target's bytes" in locked_read, locked_read
    assert faults(locked_read) == (total, total)
    assert stat(out, "DMA fault") == [total]
