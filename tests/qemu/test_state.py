"""test_state.py: per-VTL pending-event state that VTL0 cannot cause on
QEMU's virt machine by itself (build host). hv.selftest=vserror starts VTL0
with a virtual SError pending; it must stay VTL0's and never reach VTL1."""
from conftest import boot


def test_virtual_serror_stays_with_its_vtl():
    b = boot("test vtl1_shared_registers\n", append="hv.selftest=vserror", timeout=120)
    assert b.ok(), b.output[-3000:]
    assert "selftest: VTL0 starts with a virtual SError pending" in b.output
    assert "vSError pending: VTL0 1, VTL1 0" in b.output, b.output[-3000:]
    assert "TEST vtl1_shared_registers PASS" in b.output
