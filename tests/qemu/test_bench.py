"""test_bench.py: `make bench` is deterministic (build host): two runs write
byte-identical JSON with every metric the project promises."""
import json
import os
import subprocess

BUILD = os.environ.get("OVBS_BUILD", "build")


def bench_once():
    r = subprocess.run(["make", "-s", "bench"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    assert r.returncode == 0, r.stdout
    with open(os.path.join(BUILD, "bench.json"), "rb") as f:
        return f.read()


def test_bench_is_deterministic_and_complete():
    first, second = bench_once(), bench_once()
    assert first == second
    metrics = json.loads(first)
    for name in ("hypercall_null_roundtrip", "boot_to_vtl0", "vtl_call_null_roundtrip",
                 "protect_1_page", "protect_512_pages", "trustlet_load_verify",
                 "trustlet_call_null_roundtrip", "trustlet_call_fp_roundtrip"):
        assert isinstance(metrics[name], int) and metrics[name] > 0
    # a trap to EL2 and back cannot be free, and must stay cheap
    assert 20 < metrics["hypercall_null_roundtrip"] < 1000
    # VTL0 -> VTL1 -> VTL0 is two traps and two full VTL switches: the
    # project's budget is 1000 instructions
    assert metrics["hypercall_null_roundtrip"] < metrics["vtl_call_null_roundtrip"] < 1000
    assert metrics["protect_1_page"] > metrics["vtl_call_null_roundtrip"]
    # a trustlet call is a VTL call plus two EL0 <-> EL1 crossings
    assert metrics["trustlet_call_null_roundtrip"] > metrics["vtl_call_null_roundtrip"]
    assert metrics["trustlet_load_verify"] > metrics["trustlet_call_null_roundtrip"]
    # per-trustlet FP/SIMD switching: the null call stays within its budget;
    # a call whose trustlet uses FP right after another one did pays one
    # save and one load of the register file on top
    assert metrics["trustlet_call_null_roundtrip"] <= 2000
    assert metrics["vtl_call_null_roundtrip"] <= 800
    assert metrics["trustlet_call_fp_roundtrip"] > metrics["trustlet_call_null_roundtrip"]
