"""test_linux.py: Debian's unmodified arm64 kernel in VTL0 under the
hypervisor (build host, QEMU): it boots on four CPUs with the module, and
vbsctl drives VTL1 from Linux's root shell: the memory map, the measurement
log (which must hash what was booted), protections and locks, trustlets
loaded from Linux's file system (a tampered one refused), and the key holder
signing a challenge that is verified here with its public key."""
import hashlib
import os
import re
import subprocess

import pytest

from conftest import linux_boot, shell_section

BUILD = os.environ.get("OVBS_BUILD", "build")
DTB_PAGE = 0x40800000  # VTL0's device tree (the boot log says where; checked below)
CHALLENGE = "challenge-7d3f"
# Four background loops, one pinned to each CPU, five echo calls each.
PARALLEL = ('for c in 0 1 2 3; do taskset -c $c sh -c "for i in 1 2 3 4 5; do vbsctl tl call '
            '0x0ec40001 0 cpu$c-\\$i; done" > /tmp/tl$c 2>&1 & done; wait; '
            'cat /tmp/tl0 /tmp/tl1 /tmp/tl2 /tmp/tl3')

COMMANDS = f"""
grep -c ^processor /proc/cpuinfo
cat /proc/cmdline
vbsctl info
vbsctl map
vbsctl measurements
vbsctl lock {DTB_PAGE:#x} 1 r
vbsctl prot {DTB_PAGE:#x} 2
vbsctl protect {DTB_PAGE:#x} 1 rwx; echo "protect-locked status $?"
vbsctl protect 0x41000000 1 r; echo "protect-vtl1 status $?"
wc -c < /sys/firmware/fdt
echo 0 > /sys/devices/system/cpu/cpu3/online
echo "online after off: $(cat /sys/devices/system/cpu/online)"
echo 1 > /sys/devices/system/cpu/cpu3/online
echo "online after on: $(cat /sys/devices/system/cpu/online)"
vbsctl tl load /lib/openvbs/echo.tl
vbsctl tl call 0x0ec40001 0 hello from linux
{PARALLEL}
vbsctl tl load /lib/openvbs/echo-tampered.tl; echo "tampered status $?"
vbsctl tl load /lib/openvbs/keyholder.tl
vbsctl tl call 0x0ec40002 0
vbsctl tl call 0x0ec40002 1 {CHALLENGE}
vbsctl tl unload 1
vbsctl tl unload 2
vbsctl tl call 0x0ec40001 0 gone; echo "unloaded status $?"
cat /sys/class/misc/hw_random/rng_current
head -c 32 /dev/hwrng | od -An -tx1
vbsctl stats
vbsctl frobnicate; echo "usage status $?"
dmesg | grep -i openvbs
echo ALIVE
"""

_boot = {}


def boot():
    if "b" not in _boot:
        _boot["b"] = linux_boot(COMMANDS)
    return _boot["b"]


def section(cmd):
    """The shell's output for the scripted line `cmd`."""
    return shell_section(boot().output, cmd)


def tail(n=4000):
    return boot().output[-n:]


def test_linux_boots_on_four_cpus_with_the_module():
    b = boot()
    assert b.ok(), tail()
    assert "console: 0 failure(s)" in b.output, tail()
    assert re.search(r"SMP: Total of 4 processors activated", b.output), tail()
    for vp in range(1, 4):
        assert f"[hv] VP {vp}: VTL1 ready, starting VTL0" in b.output
    assert section("grep -c ^processor /proc/cpuinfo").strip() == "4"
    # VTL0's command line is what followed " -- ", whole.
    assert section("cat /proc/cmdline").strip() == "console=ttyAMA0 rdinit=/init"
    assert "openvbs: OpenVBS hypervisor 0.2 found; /dev/openvbs ready" in b.output, tail()
    assert "ALIVE" in section("echo ALIVE")


def test_vbsctl_info_and_map():
    info = section("vbsctl info")
    assert "OpenVBS hypervisor revision 0.2" in info
    assert len(re.findall(r"^  VP[0-3] ", info, re.M)) == 4, info
    m = section("vbsctl map")
    # VTL1's window and the hypervisor's image: owned, no VTL0 access.
    assert re.search(r"\[0x0041000000, 0x0042000000\) vtl1\s+----", m), m
    assert re.search(r"\[0x0040200000, 0x[0-9a-f]+\) hv\s+----", m), m
    assert re.search(r"mmio-hv\s+----\s+\d+ KiB\s+smmuv3", m), m


def test_measurements_hash_what_was_booted():
    text = section("vbsctl measurements")
    digests = dict(re.findall(r"^\d+\s+(\S+)\s+\d+\s+([0-9a-f]{64})$", text, re.M))
    for name, path in (("vtl0-kernel", "linux/Image"), ("vtl0-initrd", "linux/initramfs.cpio")):
        with open(os.path.join(BUILD, path), "rb") as f:
            assert digests.get(name) == hashlib.sha256(f.read()).hexdigest(), text
    assert "sk" in digests and "vtl0-dtb" in digests, text


def test_lock_and_protect_from_linux():
    assert f"VTL0 device tree at {DTB_PAGE:#x}" in boot().output
    assert "r--- (done)" in section(f"vbsctl lock {DTB_PAGE:#x} 1 r")
    prot = section(f"vbsctl prot {DTB_PAGE:#x} 2")
    assert f"{DTB_PAGE:#x}: r--- locked" in prot and f"{DTB_PAGE + 0x1000:#x}: rwxu" in prot, prot
    locked = section(f'vbsctl protect {DTB_PAGE:#x} 1 rwx; echo "protect-locked status $?"')
    assert "status 0x6 ACCESS_DENIED" in locked and "protect-locked status 1" in locked, locked
    foreign = section('vbsctl protect 0x41000000 1 r; echo "protect-vtl1 status $?"')
    assert "status 0x5 INVALID_PARAMETER" in foreign and "protect-vtl1 status 1" in foreign
    # Linux still reads its (now read-only) device tree.
    assert int(section("wc -c < /sys/firmware/fdt").strip()) > 4096


def test_trustlets_from_linux_files():
    assert "instance 1" in section("vbsctl tl load /lib/openvbs/echo.tl")
    echo = section("vbsctl tl call 0x0ec40001 0 hello from linux")
    assert "trustlet status 0" in echo and "text: hello from linux" in echo, echo
    bad = section('vbsctl tl load /lib/openvbs/echo-tampered.tl; echo "tampered status $?"')
    assert "TL_BAD_HASH" in bad and "tampered status 1" in bad, bad
    assert "trustlet image refused: image does not match its signed hash" in boot().output
    gone = section('vbsctl tl call 0x0ec40001 0 gone; echo "unloaded status $?"')
    assert "unloaded status 1" in gone and "TL_NO_SUCH" in gone, gone


def test_cpu_hot_unplug_and_back():
    # Linux takes CPU 3 off (PSCI CPU_OFF, allowed: VTL1 is idle there) and
    # brings it back (CPU_ON: VTL1 first, then Linux's secondary entry); the
    # calls pinned to CPU 3 below then run on the restarted VP.
    out = boot().output
    assert "[hv] VP 3: CPU off" in out and "psci: CPU3 killed" in out, tail()
    assert "online after off: 0-2" in section('echo "online after off: $(cat /sys/devices/system/cpu/online)"')
    assert "online after on: 0-3" in section('echo "online after on: $(cat /sys/devices/system/cpu/online)"')
    assert out.count("[hv] VP 3: VTL1 ready, starting VTL0") == 2, tail()


def test_trustlet_calls_from_every_cpu_at_once():
    # One echo instance, four CPUs calling it five times each: every call
    # is answered with its own text, or refused at once with BUSY (the
    # instance runs on another VP); none is lost or mixed up.
    out = section(PARALLEL)
    answered = re.findall(r"text: (cpu\d-\d)$", out, re.M)
    busy = re.findall(r"status 0x101 BUSY", out)
    assert len(answered) + len(busy) == 20, out
    assert len(set(answered)) == len(answered) and answered, out
    for c in range(4):
        assert any(a.startswith(f"cpu{c}-") for a in answered) or busy, out


def test_secure_calls_preempted_by_linux_resume():
    # The key holder's key generation takes tens of milliseconds in VTL1,
    # longer than Linux's timer tick: the tick preempts the call, Linux
    # takes its interrupt at the HVC and re-executes it on the same VP (the
    # module keeps preemption off), and the call completes (the key signs,
    # test below).
    stats = section("vbsctl stats")
    preempted = sum(int(n) for n in re.findall(r"calls preempted (\d+)", stats))
    assert preempted > 0, stats
    assert "new P-256 key generated inside VTL1" in boot().output


def reply_hex(text):
    m = re.search(r"hex: ([0-9a-f]+)", text)
    assert m, text
    return bytes.fromhex(m.group(1))


def test_keyholder_signs_a_challenge_verified_with_its_public_key(tmp_path):
    pub = reply_hex(section("vbsctl tl call 0x0ec40002 0"))
    sig = reply_hex(section(f"vbsctl tl call 0x0ec40002 1 {CHALLENGE}"))
    assert len(pub) == 65 and pub[0] == 4 and len(sig) == 64
    # SubjectPublicKeyInfo for an uncompressed P-256 point (RFC 5480), and the
    # raw r||s signature as a DER ECDSA-Sig-Value.
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + pub

    def der_int(b):
        b = b.lstrip(b"\0") or b"\0"
        if b[0] & 0x80:
            b = b"\0" + b
        return b"\x02" + bytes([len(b)]) + b

    body = der_int(sig[:32]) + der_int(sig[32:])
    (tmp_path / "pub.der").write_bytes(spki)
    (tmp_path / "sig.der").write_bytes(b"\x30" + bytes([len(body)]) + body)
    (tmp_path / "msg").write_bytes(CHALLENGE.encode())
    (tmp_path / "bad").write_bytes(CHALLENGE.encode() + b"!")

    def verify(msg):
        return subprocess.run(["openssl", "dgst", "-sha256", "-keyform", "DER", "-verify",
                               str(tmp_path / "pub.der"), "-signature", str(tmp_path / "sig.der"),
                               str(tmp_path / msg)], capture_output=True, text=True)

    ok = verify("msg")
    assert ok.returncode == 0 and "Verified OK" in ok.stdout, ok.stdout + ok.stderr
    assert verify("bad").returncode != 0


def test_virtio_rng_pci_behind_the_smmu():
    # Debian's virtio-pci and virtio-rng modules drive the virtio-rng-pci
    # function the hypervisor gives VTL0: its virtqueue is DMA through the
    # SMMU's identity context, and the entropy arrives.
    assert section("cat /sys/class/misc/hw_random/rng_current").strip() == "virtio_rng.0"
    data = bytes.fromhex(section("head -c 32 /dev/hwrng | od -An -tx1").replace(" ", "")
                         .replace("\n", ""))
    assert len(data) == 32 and len(set(data)) > 8, data
    assert re.search(r"^  DMA fault\s+0$", section("vbsctl stats"), re.M)


def test_vbsctl_stats_and_usage():
    stats = section("vbsctl stats")
    assert re.search(r"^  trustlet refused\s+[1-9]", stats, re.M), stats  # the tampered image
    assert re.search(r"^  protection refused\s+[1-9]", stats, re.M), stats
    usage = section('vbsctl frobnicate; echo "usage status $?"')
    assert "unknown command 'frobnicate'" in usage and "usage status 2" in usage, usage
