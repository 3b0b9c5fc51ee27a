"""test_fatal.py: the hypervisor's fatal paths (build host). A deliberate
fault at EL2, selected on the command line, must print a decoded report and
stop QEMU with a non-zero status, never hang."""
from conftest import boot


def test_stack_overflow_hits_guard_page():
    b = boot("", append="hv.selftest=stack-overflow", timeout=60)
    assert not b.timed_out
    assert b.returncode != 0
    assert "FATAL: unexpected synchronous exception taken at EL2 from EL2" in b.output
    assert "data abort from same EL" in b.output
    assert "stack overflow: FAR is in the guard page below CPU 0's stack" in b.output
    assert "VTL0 test kernel" not in b.output


def test_data_is_never_executable_at_el2():
    b = boot("", append="hv.selftest=exec-data", timeout=60)
    assert not b.timed_out
    assert b.returncode != 0
    assert "instruction abort from same EL" in b.output
    assert "permission fault" in b.output


def test_text_is_never_writable_at_el2():
    b = boot("", append="hv.selftest=write-text", timeout=60)
    assert not b.timed_out
    assert b.returncode != 0
    assert "data abort from same EL" in b.output
    assert "permission fault" in b.output
