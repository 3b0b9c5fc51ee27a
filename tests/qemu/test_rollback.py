"""test_rollback.py: the compiled-in minimum version of a trustlet, proved in
a boot of its own (build host). In the full suite, earlier tests have loaded
echo v3, so the floor "at least every version loaded since boot" refuses v1
whether or not the compiled-in minimum (2) is checked. Here `tl_rollback`
runs first in a fresh boot: no echo has loaded, and only the minimum can
refuse v1."""
from conftest import boot


def test_compiled_in_minimum_in_a_fresh_boot():
    b = boot("test tl_rollback\n", timeout=120)
    assert b.ok(), b.output[-3000:]
    assert "v1: refused;" in b.output, b.output[-3000:]
    assert "TEST tl_rollback PASS" in b.output, b.output[-3000:]
