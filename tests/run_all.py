#!/usr/bin/env python3
"""run_all.py: the `make test` driver (runs on the build host). Runs every
host unit-test binary (cmocka, TAP output) and the QEMU integration tests
(pytest), prints one line per test, and ends with `N passed, N failed`."""
import argparse
import glob
import os
import subprocess
import sys
import xml.etree.ElementTree as ET


def run_host_tests(build):
    passed = failed = 0
    binaries = sorted(glob.glob(os.path.join(build, "host", "test_*")))
    if not binaries:
        print("host: no unit-test binaries found", flush=True)
        return 0, 1
    env = dict(os.environ, CMOCKA_MESSAGE_OUTPUT="TAP",
               OVBS_VIRT_DTB=os.path.join(build, "host", "virt.dtb"))
    for binary in binaries:
        if not os.access(binary, os.X_OK) or binary.endswith((".d", ".o")):
            continue
        name = os.path.basename(binary)
        proc = subprocess.run([binary], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=300)
        seen = 0
        for line in proc.stdout.splitlines():
            if line.startswith("ok "):
                passed += 1
                seen += 1
                print(f"host {name}: PASS {line.split(' - ', 1)[-1]}")
            elif line.startswith("not ok "):
                failed += 1
                seen += 1
                print(f"host {name}: FAIL {line.split(' - ', 1)[-1]}")
        if proc.returncode != 0 and (seen == 0 or failed == 0):
            failed += 1
            print(f"host {name}: FAIL (exit status {proc.returncode})")
            print(proc.stdout)
        elif failed:
            print(proc.stdout)
    return passed, failed


def run_qemu_tests(build, qemu_args):
    xml = os.path.join(build, "pytest.xml")
    env = dict(os.environ, OVBS_QEMU_ARGS="\x1f".join(qemu_args), OVBS_BUILD=build)
    cmd = [sys.executable, "-m", "pytest", "-q", "-rfE", "-p", "no:cacheprovider",
           f"--junitxml={xml}", "tests/qemu"]
    subprocess.run(cmd, env=env)
    if not os.path.exists(xml):
        print("qemu: pytest produced no report")
        return 0, 1
    root = ET.parse(xml).getroot()
    passed = failed = 0
    for case in root.iter("testcase"):
        bad = case.find("failure") is not None or case.find("error") is not None
        skipped = case.find("skipped") is not None
        status = "FAIL" if bad else ("SKIP" if skipped else "PASS")
        print(f"qemu {case.get('name')}: {status}")
        if bad or skipped:  # a skipped test is not a passed one
            failed += 1
        else:
            passed += 1
    return passed, failed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    a = ap.parse_args(argv[:split])
    qemu_args = argv[split + 1:]
    hp, hf = run_host_tests(a.build)
    qp, qf = run_qemu_tests(a.build, qemu_args)
    total_p, total_f = hp + qp, hf + qf
    print(f"host unit tests: {hp} passed, {hf} failed; QEMU integration tests: {qp} passed, {qf} failed")
    print(f"{total_p} passed, {total_f} failed")
    return 0 if total_f == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
