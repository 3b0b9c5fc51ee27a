#!/usr/bin/env python3
"""verify.py: runs the spin model checks of model/*.pml (build host; `make
verify`, and tests/qemu/test_model.py for the quick subset). Each run makes
pan in its own directory under --build, and must end as listed: "holds"
(no assertion violation, no invalid end state, the search complete) or
"violation" (a mutant: spin must find the assertion it breaks). Prints one
line per run and a summary line; exit 0 only if every run ended as listed."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

MODEL_DIR = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(MODEL_DIR)


class Run:
    """quick: also in `make test`; long: only with --long (minutes, GBs)."""

    def __init__(self, name, model, defines, expect, quick, hash_bits=20, long=False):
        self.name, self.model, self.defines = name, model, defines
        self.expect, self.quick, self.hash_bits, self.long = expect, quick, hash_bits, long


P2 = ["-DNCPU=2", "-DPAGES=1", "-DCHANGES=2"]
PROTECT_MUTANTS = ["NO_TLBI", "LOCAL_TLBI", "NO_VMALLE1", "NO_DSB_ISHST", "NO_SYNC_WAIT",
                   "WEAK_DSB", "WEAK_SYNC"]
VP_MUTANTS = ["CROSS_VP", "PREEMPTED_OFF", "ON_WHEN_OFF", "NESTED_DROPS_CALL"]

RUNS = (
    [Run("protect-2cpu", "protect", P2, "holds", True, 22),
     Run("protect-2cpu-2pages", "protect", ["-DNCPU=2", "-DPAGES=2", "-DCHANGES=1"], "holds",
         False, 24),
     Run("protect-3cpu", "protect", ["-DNCPU=3", "-DPAGES=1", "-DCHANGES=1"], "holds", False, 24),
     Run("protect-3cpu-2changes", "protect", ["-DNCPU=3", "-DPAGES=1", "-DCHANGES=2"], "holds",
         False, 26, long=True)]
    + [Run(f"protect-{m}", "protect", P2 + [f"-D{m}"], "violation", True) for m in PROTECT_MUTANTS]
    + [Run("vp-2vp", "vp", ["-DNVP=2"], "holds", True),
       Run("vp-3vp", "vp", ["-DNVP=3"], "holds", False)]
    + [Run(f"vp-{m}", "vp", ["-DNVP=2", f"-D{m}"], "violation", True) for m in VP_MUTANTS]
)


def field(out, pattern):
    m = re.search(pattern, out)
    return m.group(1) if m else "?"


def run_one(run, build):
    """Build and run pan for one run; (ok, line, seconds)."""
    d = os.path.join(build, run.name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    start = time.monotonic()
    # A copy next to pan, so `spin -t -p <the -D options> <model>.pml` there
    # replays a counterexample (spin looks for <file>.trail beside <file>).
    src = run.model + ".pml"
    shutil.copy(os.path.join(MODEL_DIR, src), os.path.join(d, src))

    def step(cmd):
        return subprocess.run(cmd, cwd=d, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)

    spin = step(["spin", "-a"] + run.defines + [src])
    if spin.returncode != 0 or not os.path.exists(os.path.join(d, "pan.c")):
        return False, f"{run.name}: FAIL spin -a: {spin.stdout.strip()}", 0.0
    # Safety properties only (assertions, invalid end states); memory bounded
    # so a run that grows too large stops instead of taking the machine. The
    # small runs (a small hash table) are compiled unoptimised: gcc -O2 takes
    # longer than they do.
    big = run.hash_bits >= 24
    opt = (["-O2"] if big else ["-O0"]) + (["-DCOLLAPSE"] if run.long else [])
    cc = step(["gcc", "-w"] + opt + ["-DSAFETY", "-DMEMLIM=3072", "-o", "pan", "pan.c"])
    if cc.returncode != 0:
        return False, f"{run.name}: FAIL gcc: {cc.stdout.strip()[-400:]}", 0.0
    pan = step(["./pan", "-m200000", f"-w{run.hash_bits}"])
    secs = time.monotonic() - start
    out = pan.stdout
    with open(os.path.join(d, "pan.out"), "w") as f:
        f.write(out)
    states = field(out, r"(\d+) states, stored")
    errors = field(out, r"errors: (\d+)")
    pan_secs = field(out, r"elapsed time ([\d.e+-]+) seconds")
    incomplete = any(s in out for s in ("max search depth too small", "out of memory",
                                        "reached -DMEMLIM bound"))
    what = f"{' '.join(run.defines)}: {states} states, pan {pan_secs} s, {secs:.1f} s in all"
    if run.expect == "holds":
        ok = errors == "0" and not incomplete
        verdict = "holds" if ok else "FAIL (expected to hold)"
    else:
        assertion = re.search(r"assertion violated (.*?) \(at depth", out)
        ok = errors not in ("0", "?") and assertion is not None
        verdict = (f"violation found as expected: {assertion.group(1).strip()}" if ok
                   else "FAIL (mutant not caught)")
    line = f"{run.name:22} {verdict}  [{what}]"
    if not ok:
        line += "\n" + "\n".join("    " + l for l in out.strip().splitlines()[-15:])
    return ok, line, secs


def check_tables():
    r = subprocess.run([sys.executable, os.path.join(MODEL_DIR, "check_tables.py")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0, r.stdout.rstrip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build", "model"))
    ap.add_argument("--quick", action="store_true", help="the 2-CPU/2-VP runs and mutants only")
    ap.add_argument("--long", action="store_true",
                    help="also 3 CPUs with 2 changes each (5-7 minutes, 2.5 GB)")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    a = ap.parse_args()
    if shutil.which("spin") is None:
        print("verify: FAIL: spin is not installed (Debian package spin; "
              "scripts/install-deps.sh installs it)")
        return 1
    runs = [r for r in RUNS if (r.quick or not a.quick) and (a.long or not r.long)]
    os.makedirs(a.build, exist_ok=True)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=a.jobs) as pool:
        results = list(pool.map(lambda r: run_one(r, a.build), runs))
    for _, line, _ in results:
        print(line, flush=True)
    tables_ok, tables_out = check_tables()
    print(tables_out)
    good = sum(ok for ok, _, _ in results)
    holds = sum(1 for (ok, _, _), r in zip(results, runs) if ok and r.expect == "holds")
    caught = good - holds
    mutants = sum(1 for r in runs if r.expect == "violation")
    all_ok = good == len(runs) and tables_ok
    print(f"verify: {'OK' if all_ok else 'FAIL'}: {holds} of {len(runs) - mutants} checks hold, "
          f"{caught} of {mutants} mutants caught, tables {'agree' if tables_ok else 'DIFFER'} "
          f"({time.monotonic() - start:.0f} s)")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
