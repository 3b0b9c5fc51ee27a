"""test_smp.py: the VTL0 test kernel on four CPUs (build host). One QEMU boot
with -smp 4 runs every multiprocessor test of vtl0/smp_tests.c (`smp all`),
each one a pytest case; a boot with -smp 6 checks that the CPUs beyond the
four VPs the secure kernel enables are refused and the boot goes on, and a
-smp 4 boot of its own races two versions of a trustlet (smp_rollback_race)."""
import re

import pytest

from conftest import qemu_args
import ovbs_qemu

# The tests `smp all` runs (vtl0/smp_tests.c); the kernel's `smp list` must
# name exactly these and OWN_BOOT_TESTS.
SMP_TESTS = (
    "smp_per_cpu", "smp_intercept_vp", "smp_shootdown", "smp_shootdown_reverse",
    "smp_ipi_storm", "smp_reserved_sgi", "smp_cpu_off_on", "smp_resume_other_vp",
    "smp_vtl_return_race", "smp_unload_invoke_race", "smp_tl_busy", "smp_stress",
    "smp_cpu_off_busy", "smp_tl_fp", "smp_preempt_lock_holder", "smp_deferred_yield",
    "smp_sgi_while_active", "smp_sgi_overflow", "smp_protect_race", "smp_protect_record_race",
    "smp_copy_out_race", "smp_nested_intercept_tl",
)
# Listed too, but each run in a boot of its own (not by `smp all`).
OWN_BOOT_TESTS = ("smp_cpu_on_unenabled", "smp_rollback_race")
SMP_TIMEOUT = 1200

_boots = {}


def with_cpus(n):
    """The Makefile's QEMU arguments with -smp n."""
    args = list(qemu_args())
    if "-smp" in args:
        args[args.index("-smp") + 1] = str(n)
    else:
        args += ["-smp", str(n)]
    return args


def smp_boot(cpus, commands):
    key = (cpus, commands)
    if key not in _boots:
        _boots[key] = ovbs_qemu.scripted_boot(with_cpus(cpus), commands, timeout=SMP_TIMEOUT)
    return _boots[key]


def four():
    return smp_boot(4, "smp list\nsmp all\n")


def tail(boot):
    return boot.output[-4000:]


def test_every_vp_comes_up():
    boot = four()
    for cpu in range(4):
        assert re.search(rf"^VTL0: CPU {cpu} \(MPIDR 0x{cpu:x}\) up on VP {cpu}", boot.output,
                         re.M), f"CPU {cpu} did not come up\n{boot.output[:6000]}"
    assert "VTL0: 4 of 4 CPUs online" in boot.output, boot.output[:6000]


def test_smp_list_is_complete():
    listed = re.findall(r"^  (smp_\w+) ", four().output, re.M)
    assert sorted(listed) == sorted(SMP_TESTS + OWN_BOOT_TESTS), listed


@pytest.mark.parametrize("name", SMP_TESTS)
def test_smp(name):
    boot = four()
    m = re.search(rf"^TEST {name} (PASS|FAIL)(.*)$", boot.output, re.M)
    assert m, f"{name} produced no result line\n{tail(boot)}"
    assert m.group(1) == "PASS", f"{name}:{m.group(2)}\n{tail(boot)}"


def test_smp_boot_is_clean():
    boot = four()
    assert boot.ok(), tail(boot)
    assert f"SMP TESTS {len(SMP_TESTS)} passed, 0 failed" in boot.output, tail(boot)


def test_stress_summary():
    m = re.search(r"^STRESS ops (\d+) seed \S+ cpus 4: calls (\d+) answered (\d+) wrong (\d+) "
                  r".* pages-disagreeing (\d+) ", four().output, re.M)
    assert m, tail(four())
    ops, calls, answered, wrong, bad = (int(g) for g in m.groups())
    assert ops == 4000 and calls == answered and wrong == 0 and bad == 0, m.group(0)
    # The echo instance is replaced at least once (on purpose half-way
    # through CPU 0's share, and after every budget kill) while the other
    # CPUs keep invoking it.
    replaced = re.search(r" trustlet-killed \d+ replaced (\d+) ", m.string[m.start():])
    assert replaced and int(replaced.group(1)) >= 1, m.group(0)


def test_cpu_on_unenabled_vp_is_denied():
    # Six CPUs in the device tree, four VPs enabled by the secure kernel:
    # CPUs 4 and 5 are refused with DENIED (-3) at boot and again by the
    # test, and the four others run the secure-call race.
    boot = smp_boot(6, "smp smp_cpu_on_unenabled\nsmp smp_vtl_return_race\n")
    for cpu in (4, 5):
        assert re.search(rf"^VTL0: CPU {cpu} \(MPIDR 0x{cpu:x}\): CPU_ON refused, status -3$",
                         boot.output, re.M), boot.output[:6000]
    assert "VTL0: 4 of 6 CPUs online" in boot.output, boot.output[:6000]
    assert re.search(r"^TEST smp_cpu_on_unenabled PASS", boot.output, re.M), tail(boot)
    assert re.search(r"^TEST smp_vtl_return_race PASS", boot.output, re.M), tail(boot)
    assert boot.ok(), tail(boot)


def test_rollback_race_in_a_fresh_boot():
    # The rollback floor of echo only rises: the race of an older and a
    # newer version needs a boot in which no echo v3 has loaded yet.
    boot = smp_boot(4, "smp smp_rollback_race\n")
    m = re.search(r"^TEST smp_rollback_race (PASS|FAIL)(.*)$", boot.output, re.M)
    assert m, f"smp_rollback_race produced no result line\n{tail(boot)}"
    assert m.group(1) == "PASS", f"smp_rollback_race:{m.group(2)}\n{tail(boot)}"
    assert boot.ok(), tail(boot)
