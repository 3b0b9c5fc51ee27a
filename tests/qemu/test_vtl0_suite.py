"""test_vtl0_suite.py: every named test of the VTL0 test kernel, run in one
QEMU boot, becomes one pytest case (build host); every test the threat
model names must exist."""
import os
import re

from test_smp import OWN_BOOT_TESTS, SMP_TESTS

from conftest import suite_boot, vtl0_test_names
from doc_tests import documented_tests, host_test_missing

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_vtl0(vtl0_test, suite):
    m = re.search(rf"^TEST {re.escape(vtl0_test)} (PASS|FAIL)(.*)$", suite.output, re.M)
    assert m, f"{vtl0_test} produced no result line\n{suite.output[-3000:]}"
    assert m.group(1) == "PASS", f"{vtl0_test}:{m.group(2)}\n{suite.output[-3000:]}"


def test_suite_boot_is_clean():
    boot = suite_boot()
    assert boot.ok(), boot.output[-3000:]
    assert "TESTS" in boot.output and ", 0 failed" in boot.output


def test_threat_model_tests_exist():
    # Every test the threat model and the state inventory name must exist:
    # a VTL0 test dropped from vtl0/tests.c's table (or renamed) leaves a row
    # whose attack nothing tries any more, and since each test_vtl0 case
    # comes from the kernel's own list, nothing else would notice. The same
    # for a pytest or host test deleted, renamed or left out of its cmocka
    # list. The floors catch a parser that the docs' markdown outgrew.
    found = documented_tests(ROOT)
    assert len(found.vtl0) >= 60 and len(found.host) >= 25, (len(found.vtl0), len(found.host))
    # The multiprocessor tests run in their own boot (`smp NAME`, test_smp.py,
    # whose test_smp_list_is_complete holds the kernel's `smp list` to it).
    listed = set(vtl0_test_names()) | set(SMP_TESTS) | set(OWN_BOOT_TESTS)
    missing = [f"{where}: VTL0 test `{name}` is not in the kernel's `test list`"
               for name, where in sorted(found.vtl0.items()) if name not in listed]
    for (name, file), where in sorted(found.host.items(), key=str):
        why = host_test_missing(ROOT, name, file)
        if why:
            missing.append(f"{where}: `{name}` ({file}): {why}")
    assert not missing, "\n".join(missing)
