"""test_vtl0_suite.py: every named test of the VTL0 test kernel, run in one
QEMU boot, becomes one pytest case (build host)."""
import re

from conftest import suite_boot, vtl0_test_names


def test_vtl0(vtl0_test, suite):
    m = re.search(rf"^TEST {re.escape(vtl0_test)} (PASS|FAIL)(.*)$", suite.output, re.M)
    assert m, f"{vtl0_test} produced no result line\n{suite.output[-3000:]}"
    assert m.group(1) == "PASS", f"{vtl0_test}:{m.group(2)}\n{suite.output[-3000:]}"


def test_suite_boot_is_clean():
    boot = suite_boot()
    assert boot.ok(), boot.output[-3000:]
    assert "TESTS" in boot.output and ", 0 failed" in boot.output


def test_enough_tests_listed():
    assert len(vtl0_test_names()) >= 30
