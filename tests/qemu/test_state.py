"""test_state.py: state at the VTL boundary that VTL0 cannot produce on
QEMU's virt machine by itself (build host), so the hypervisor plants it on a
test-only argument. hv.selftest=vserror starts VTL0 with a virtual SError
pending: it must stay VTL0's and never reach VTL1. hv.selftest=
forge-vtl1-timer hands VTL1 its timer's interrupt with no expiry behind it:
the secure kernel must record it as spurious and not act on it."""
import re

from conftest import boot


def test_virtual_serror_stays_with_its_vtl():
    b = boot("test vtl1_shared_registers\n", append="hv.selftest=vserror", timeout=120)
    assert b.ok(), b.output[-3000:]
    assert "selftest: VTL0 starts with a virtual SError pending" in b.output
    assert "vSError pending: VTL0 1, VTL1 0" in b.output, b.output[-3000:]
    assert "TEST vtl1_shared_registers PASS" in b.output


def test_secure_kernel_ignores_a_timer_interrupt_it_did_not_arm():
    b = boot("test vtl1_watchdog\ntest vtl1_timer_entry\nevents\n",
             append="hv.selftest=forge-vtl1-timer", timeout=120)
    assert b.ok(), b.output[-3000:]
    assert "selftest: VTL1's timer PPI pending for it, its timer not fired" in b.output
    sk = b.output[b.output.index("secure kernel:"):]
    m = re.search(r"^  spurious timer +(\d+)$", sk, re.M)
    assert m and m.group(1) == "1", sk[:2000]
    assert "TEST vtl1_watchdog PASS" in b.output
    assert "TEST vtl1_timer_entry PASS" in b.output
