"""conftest.py: pytest fixtures for the QEMU integration tests (build host).
Boots the images `make` built with the QEMU arguments the Makefile passes in
OVBS_QEMU_ARGS, and shares one full test-suite boot between tests."""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "scripts"))
import ovbs_qemu  # noqa: E402


def qemu_args():
    raw = os.environ.get("OVBS_QEMU_ARGS")
    if not raw:
        pytest.exit("OVBS_QEMU_ARGS not set: run through `make test`", returncode=2)
    return raw.split("\x1f")


def boot(commands, append="", icount=False, timeout=ovbs_qemu.DEFAULT_TIMEOUT):
    return ovbs_qemu.scripted_boot(qemu_args(), commands, append=append, icount=icount,
                                   timeout=timeout)


def linux_boot(commands, append="", timeout=300, icount=False, cmdline=""):
    """Boot Debian's Linux in VTL0 (make linux built it) and run `commands`,
    one shell command a line, through /init's ovbs-script: the output ends
    with "console: N failure(s)" and Boot.ok() holds only if none failed.
    `cmdline` is added to Linux's own command line."""
    build = os.environ.get("OVBS_BUILD", "build")
    extra, hv = ovbs_qemu.linux_args(os.path.join(build, "linux", "Image"),
                                     os.path.join(build, "linux", "initramfs.cpio"),
                                     cmdline=f"{ovbs_qemu.LINUX_CMDLINE} {cmdline}".strip())
    return ovbs_qemu.scripted_boot(qemu_args() + extra, ovbs_qemu.linux_script(commands),
                                   append=f"{append} {hv}".strip(), icount=icount,
                                   timeout=timeout, wait_for=ovbs_qemu.LINUX_READY)


def shell_section(output, cmd):
    """The Linux shell's output for the scripted line `cmd` in a linux_boot's
    output: up to the next echoed line, hypervisor, secure-kernel and
    kernel log lines left out."""
    text = output.replace("\r", "")
    start = text.find(f"linux# {cmd}\n")
    assert start >= 0, f"no output for {cmd!r}\n" + text[-4000:]
    start += len(f"linux# {cmd}\n")
    end = text.find("linux# ", start)
    end = text.find("console: ", start) if end < 0 else end
    return "\n".join(l for l in text[start:end].splitlines()
                     if not l.startswith(("[hv]", "[sk]", "[ ")))


_suite = {}


def suite_boot():
    """One boot that runs every VTL0 test; shared by all parametrized cases."""
    if "boot" not in _suite:
        _suite["boot"] = boot("test all\n")
    return _suite["boot"]


def vtl0_test_names():
    """The names the kernel's `test list` prints (one boot, kept)."""
    if "names" not in _suite:
        listing = boot("test list\n")
        names = []
        for line in listing.output.splitlines():
            parts = line.split()
            if line.startswith("  ") and parts and parts[0].islower() and "[" not in parts[0]:
                names.append(parts[0])
        _suite["names"] = names
    return _suite["names"]


def pytest_generate_tests(metafunc):
    if "vtl0_test" in metafunc.fixturenames:
        metafunc.parametrize("vtl0_test", vtl0_test_names())


@pytest.fixture
def suite():
    return suite_boot()
