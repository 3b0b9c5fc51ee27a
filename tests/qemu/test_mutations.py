"""test_mutations.py: the mutation list stays current (build host). Running
every mutation takes `make mutate`; this only checks, in well under a
second, that each listed mutation still applies to the code (none is stale)
and that every row of the threat model's attack tables names a mutation
or an architectural reason (tools/mutate.py --check)."""
import os
import subprocess
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")


def test_mutation_list_is_current_and_covers_the_threat_model():
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "mutate.py"), "--check"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert r.returncode == 0, r.stdout
