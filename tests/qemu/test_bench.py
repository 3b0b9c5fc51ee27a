"""test_bench.py: `make bench` is deterministic (build host): two runs write
byte-identical JSON, and every metric the project promises sits inside its
budget, a band just around today's count."""
import json
import os
import re
import subprocess

BUILD = os.environ.get("OVBS_BUILD", "build")
ROOT = os.path.join(os.path.dirname(__file__), "..", "..")

# metric: (floor, ceiling), in instructions; the counts are exact under
# icount, so the band can be tight. The ceiling is a little above today's
# count (about +3%, or the project's stated budget where it has one: 800 for
# a VTL call, 2,000 for a trustlet call), so 20 or 50 instructions slipped
# into a hot path (a second ISB, a register saved twice, a lookup) fail
# here instead of going unnoticed until someone reads the docs. The floor is
# about 10% below: a count far under it means the measurement no longer
# measures the operation (the PMU stopped counting at EL2 or in VTL1, the
# hvc timed against itself, a call refused early and counted as done).
# When a change moves a number on purpose, the budget here and the table in
# docs/performance.md (the numbers' source of truth) move with it, in the
# same commit; test_budgets_cover_the_documented_numbers keeps the two from
# drifting apart. trustlet_load_verify and boot_to_vtl0 vary by a few dozen
# instructions with each checkout's signing key, far inside their bands.
BUDGETS = {
    "hypercall_null_roundtrip": (108, 124),               # 120
    "vtl_call_null_roundtrip": (720, 800),                # 796, budget 800
    "protect_1_page": (3_050, 3_650),                     # 3,546 (SMMU tables, TLBI, locks)
    "protect_512_pages": (15_200, 17_450),                # 17,086
    "protect_1_page_nosmmu": (2_040, 2_450),              # 2,378 (iommu=none)
    "protect_512_pages_nosmmu": (14_400, 16_500),         # 16,127
    "trustlet_load_verify": (8_800_000, 10_100_000),      # 9,786,850
    "trustlet_call_null_roundtrip": (1_760, 2_000),       # 1,991, budget 2,000
    "trustlet_call_fp_roundtrip": (1_950, 2_300),         # 2,216
    "boot_to_vtl0": (17_700_000, 20_300_000),             # 19,763,888 (four VPs, SHA-256 instructions)
    # Four CPUs at once (vtl0/bench.c, bench_4cpu; each CPU's own
    # instruction event, not the cycle counter, which under -icount follows
    # the one clock all vCPUs share).
    "vtl_call_null_4cpu": (720, 820),                     # 795
    "protect_1_page_4cpu": (3_050, 3_650),                # 3,386 (others busy in VTL0)
    # Pages, not instructions: the SMMU's translation tables for VTL0 RAM
    # (5 is the floor: one per level plus two last-level tables for the
    # 2 MiB blocks the hypervisor shares with VTL0), its stream table and
    # context descriptor, its two queues.
    "smmu_table_pages": (5, 6),                            # 5
    "smmu_stream_pages": (3, 4),                           # 4
    "smmu_queue_pages": (9, 9),                            # 9
    # Debian's Linux in VTL0 (scripts/ovbs_qemu.py, linux_bench): virtual
    # ns under -icount shift=0,sleep=off from reset to /init's first line,
    # under the hypervisor and bare on the same machine; their ratio in
    # per-mille (the goal is 1,050, today's is above: docs/performance.md);
    # the null secure call timed from the module (OVBS_IOC_BENCH).
    "linux_boot_to_init_hv": (870_000_000, 1_000_000_000),   # 969,668,656
    "linux_boot_to_init_bare": (810_000_000, 932_000_000),   # 906,030,624
    "linux_boot_ratio_permille": (1_000, 1_107),            # 1,070
    "linux_vtl_call_null": (720, 880),                      # 800
    # The kernel lock (docs/kernel-integrity.md, "Numbers"), in the same
    # boots: reset to /init's last line before the shell, without and with
    # the lock at the start of the initramfs; the lock itself (vbsctl
    # lock-kernel, System.map read included); a static-key flip (Linux's
    # kernel.sched_schedstats) before and after it; a pipe round trip
    # between two processes on one CPU before and after a lock with the
    # EL1 registers pinned (--pin-el1).
    "linux_boot_to_shell": (885_000_000, 1_013_000_000),     # 982,608,448
    "linux_boot_to_shell_locked": (920_000_000, 1_055_000_000),  # 1,027,906,992
    "linux_lock_kernel": (25_500_000, 29_300_000),          # 28,401,360
    "linux_static_key_flip_unlocked": (39_500, 45_400),      # 43,984
    "linux_static_key_flip_locked": (191_000, 219_700),      # 213,152
    "linux_context_switch_unpinned": (11_300, 12_950),       # 12,571
    "linux_context_switch_pinned": (12_650, 14_510),         # 14,083
}

def bench_once():
    r = subprocess.run(["make", "-s", "bench"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    assert r.returncode == 0, r.stdout
    with open(os.path.join(BUILD, "bench.json"), "rb") as f:
        return f.read()


def outside_budget(metrics, budgets=BUDGETS):
    """One line per metric that is missing or outside its band."""
    bad = []
    for name, (floor, ceiling) in budgets.items():
        value = metrics.get(name)
        if not isinstance(value, int):
            bad.append(f"{name}: missing ({value!r})")
        elif not floor <= value <= ceiling:
            bad.append(f"{name}: {value} outside its budget [{floor}, {ceiling}]")
    return bad


def test_bench_is_deterministic_and_complete():
    first, second = bench_once(), bench_once()
    assert first == second
    metrics = json.loads(first)
    assert not outside_budget(metrics), "\n".join(outside_budget(metrics))
    # The relations the numbers must keep whatever the budgets say: a VTL
    # call is two traps and two switches, a protect is a VTL call plus table
    # work, a trustlet call is a VTL call plus two EL0 <-> EL1 crossings, and
    # a call whose trustlet uses FP right after another one did pays one save
    # and one load of the register file on top.
    assert metrics["hypercall_null_roundtrip"] < metrics["vtl_call_null_roundtrip"]
    assert metrics["vtl_call_null_roundtrip"] < metrics["protect_1_page"] < metrics["protect_512_pages"]
    # Keeping the devices' view in step (SMMU tables, TLBI, CMD_SYNC) costs
    # something on top of the CPU's stage 2, never nothing.
    assert metrics["protect_1_page_nosmmu"] < metrics["protect_1_page"]
    assert metrics["protect_512_pages_nosmmu"] < metrics["protect_512_pages"]
    assert metrics["vtl_call_null_roundtrip"] < metrics["trustlet_call_null_roundtrip"]
    assert metrics["trustlet_call_null_roundtrip"] < metrics["trustlet_call_fp_roundtrip"]
    assert metrics["trustlet_call_null_roundtrip"] < metrics["trustlet_load_verify"]
    # Four CPUs: every metric there, and a null call on each of four CPUs at
    # once costs at most 10% more than on one (no lock the calls share is
    # held long enough to make them wait).
    assert metrics["vtl_call_null_4cpu"] <= 1.1 * metrics["vtl_call_null_roundtrip"]
    # The same call from Linux's module: the same path through the
    # hypervisor and VTL1, so within 10% of the test kernel's.
    assert metrics["linux_vtl_call_null"] <= 1.1 * metrics["vtl_call_null_roundtrip"]
    assert metrics["linux_boot_to_init_bare"] < metrics["linux_boot_to_init_hv"]
    # The lock costs the boot at least its own time; a validated patch costs
    # more than a plain write; pinning costs context switches something.
    assert metrics["linux_boot_to_init_hv"] < metrics["linux_boot_to_shell"]
    assert (metrics["linux_boot_to_shell"] + metrics["linux_lock_kernel"] <=
            metrics["linux_boot_to_shell_locked"] + metrics["linux_lock_kernel"] // 10)
    assert metrics["linux_static_key_flip_unlocked"] < metrics["linux_static_key_flip_locked"]
    assert metrics["linux_context_switch_unpinned"] < metrics["linux_context_switch_pinned"]


def documented_numbers():
    """metric -> count from the table in docs/performance.md."""
    with open(os.path.join(ROOT, "docs", "performance.md")) as f:
        text = f.read()
    return {m.group(1): int(m.group(2).replace(",", ""))
            for m in re.finditer(r"^\| `(\w+)` \| ([\d,]+) \|", text, re.M)}


def test_budgets_cover_the_documented_numbers():
    # A budget moved without the docs (or the reverse) leaves the documented
    # number outside the band.
    documented = documented_numbers()
    assert set(documented) == set(BUDGETS), sorted(set(documented) ^ set(BUDGETS))
    assert not outside_budget(documented), "\n".join(outside_budget(documented))
