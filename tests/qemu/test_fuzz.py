"""test_fuzz.py: a short `make fuzz` inside `make test` (build host): the
trustlet image verifier and ELF checks under libFuzzer, whose harness
(tests/fuzz/fuzz_tlimage.c) fails on any verdict that breaks the verifier's
promises, starting from seeds signed with this checkout's key."""
import os
import subprocess

# Long enough for the harness to find each mutation in
# tests/mutations/harness.toml (a dropped signature, hash or ELF bound check
# is found in a second or two from the signed seeds; the trustlet address
# window in under ten); `make fuzz` alone runs for a minute.
SECONDS = int(os.environ.get("OVBS_FUZZ_SECONDS", "10"))


def test_fuzz_keeps_the_verifiers_promises():
    r = subprocess.run(["make", "-s", "fuzz", f"FUZZ_SECONDS={SECONDS}"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=SECONDS + 240)
    # the harness's own verdict lines and libFuzzer's report name the problem
    found = [l for l in r.stdout.splitlines()
             if l.startswith(("fuzz_tlimage:", "==", "SUMMARY", "make"))]
    assert r.returncode == 0, "\n".join(found[-20:]) or r.stdout[-3000:]
    assert "Done " in r.stdout and " runs in " in r.stdout
