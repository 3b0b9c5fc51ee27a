"""test_gic.py: interrupt ownership seen from outside (build host). The
hypervisor acts on a timer PPI only when that timer fired: with both timer
PPIs set pending in hardware and no timer behind them (what VTL0 could do
if it reached the SGI/PPI page), each is dropped as forged and VTL1's timer
still works."""
from conftest import boot


def test_forged_timer_ppis_are_dropped():
    b = boot("test vtl1_watchdog\ntest vtl1_timer_entry\n", append="hv.selftest=forge-timer",
             timeout=60)
    assert b.ok(), b.output[-3000:]
    assert "timer PPI 26 pending while VTL1 ran but its timer did not fire" in b.output
    assert "timer PPI 27 pending while VTL1 ran but its timer did not fire" in b.output
    assert "TEST vtl1_watchdog PASS" in b.output
    assert "TEST vtl1_timer_entry PASS" in b.output
