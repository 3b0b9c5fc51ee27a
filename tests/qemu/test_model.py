"""test_model.py: the spin models of the multiprocessor protocols (build host,
no QEMU; model/, docs/smp-model.md). hv/vpstate.c's table and model/vp.pml's
ROW lines must agree, and the 2-CPU / 2-VP checks must hold with every mutant
caught (about 20 s); `make verify` adds the 3-CPU runs. spin missing is a
failure, not a skip: scripts/install-deps.sh installs it."""
import os
import shutil
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
MODEL = os.path.join(ROOT, "model")
BUILD = os.environ.get("OVBS_BUILD", os.path.join(ROOT, "build"))


def run(*args):
    return subprocess.run([sys.executable] + list(args), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True)


def test_model_table_matches_vpstate_c():
    r = run(os.path.join(MODEL, "check_tables.py"))
    assert r.returncode == 0, r.stdout


def test_model_table_check_sees_drift(tmp_path):
    """The comparison itself: a copy of the table with one row dropped and one
    function renamed, and a ROW line whose code goes elsewhere, must fail."""
    (tmp_path / "hv").mkdir()
    (tmp_path / "model").mkdir()
    for rel in ("hv/vpstate.h", "model/protect.pml"):
        shutil.copy(os.path.join(ROOT, rel), tmp_path / rel)
    with open(os.path.join(ROOT, "hv", "vpstate.c")) as f:
        c = f.read()
    with open(os.path.join(ROOT, "model", "vp.pml")) as f:
        pml = f.read()
    c = c.replace('"psci_cpu_off"', '"psci_cpu_offline"')
    c = "\n".join(l for l in c.splitlines() if "VPE_INTERRUPT," not in l)
    pml = pml.replace("e == VPE_RESUME -> state[w] = VTL1_IN_CALL",
                      "e == VPE_RESUME -> state[w] = VTL1_IDLE")
    (tmp_path / "hv" / "vpstate.c").write_text(c)
    (tmp_path / "model" / "vp.pml").write_text(pml)
    r = run(os.path.join(MODEL, "check_tables.py"), "--root", str(tmp_path))
    assert r.returncode == 1, r.stdout
    for what in ("only in hv/vpstate.c: VTL1_IDLE VPE_CPU_OFF VTL1_ENABLED psci_cpu_offline",
                 "only in model/vp.pml: VTL1_IDLE VPE_INTERRUPT VTL1_IN_INTERRUPT",
                 "ROW says VTL1_PREEMPTED VPE_RESUME VTL1_IN_CALL but the code does"):
        assert what in r.stdout, r.stdout


def test_model_spin_checks_and_mutants():
    assert shutil.which("spin"), ("spin is not installed: the model checks cannot run "
                                  "(apt-get install spin, or scripts/install-deps.sh)")
    r = run(os.path.join(MODEL, "verify.py"), "--quick", "--build",
            os.path.join(BUILD, "model-quick"))
    assert r.returncode == 0, r.stdout
    assert "verify: OK" in r.stdout, r.stdout
