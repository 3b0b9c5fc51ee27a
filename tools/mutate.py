#!/usr/bin/env python3
"""mutate.py: mutation testing of the trusted code (runs on the build host).
Applies each mutation of tests/mutations/*.toml alone to a scratch copy of
the tree, rebuilds, runs the tests the mutation names and reports KILLED,
SURVIVED, EXPECTED (survivor), UNEXPECTEDLY KILLED, STALE or BROKEN; then
checks that every row of the threat model's attack tables is guarded by a
mutation. Exits non-zero unless the list runs clean. Format and rules:
tests/mutations/README.md. `--check` only parses: stale entries and
unguarded rows, no builds (fast enough for `make test`)."""
import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "scripts"))
import ovbs_qemu  # noqa: E402

PYTHON = "/usr/bin/python3"
BOOT_TIMEOUT = 120  # a suite boot takes about 20 s; a mutant may hang
REQUIRED = ("name", "file", "find", "replace", "tests")
EXPECT_KILLED, EXPECT_SURVIVES = "killed", "survives"


# ---- the list ---------------------------------------------------------------

class ListError(Exception):
    pass


def load_mutations(root):
    """Every [[mutation]] of tests/mutations/*.toml, checked for shape."""
    muts, names = [], set()
    for path in sorted(glob.glob(os.path.join(root, "tests", "mutations", "*.toml"))):
        with open(path, "rb") as f:
            try:
                data = tomllib.load(f)
            except tomllib.TOMLDecodeError as e:
                raise ListError(f"{os.path.relpath(path, root)}: {e}") from e
        for m in data.get("mutation", []):
            where = f"{os.path.relpath(path, root)}: {m.get('name', '?')}"
            for key in REQUIRED:
                if key not in m:
                    raise ListError(f"{where}: missing '{key}'")
            if m["name"] in names:
                raise ListError(f"{where}: name used twice")
            names.add(m["name"])
            expect = m.get("expect", EXPECT_KILLED)
            if expect not in (EXPECT_KILLED, EXPECT_SURVIVES):
                raise ListError(f"{where}: expect must be 'killed' or 'survives'")
            if expect == EXPECT_SURVIVES and not (m.get("reason") and
                                                  (m.get("issue") or m.get("equivalent"))):
                raise ListError(f"{where}: an expected survivor needs 'reason' and 'issue' "
                                "(or 'equivalent = true' if no test can ever tell)")
            if not m["tests"] or not all(parse_selector(t) for t in m["tests"]):
                raise ListError(f"{where}: bad tests selector in {m['tests']}")
            m["hunks"] = hunks_of(m, where)
            m["guards"] = as_list(m.get("guards"))
            m["source"] = os.path.relpath(path, root)
            m["expect"] = expect
            muts.append(m)
    return muts


def as_list(v):
    return [] if v is None else [v] if isinstance(v, str) else list(v)


def hunks_of(m, where):
    """find/replace: two strings, or two lists of the same length (several
    changes in one file, applied in order)."""
    finds, repls = as_list(m["find"]), as_list(m["replace"])
    if not finds or len(finds) != len(repls):
        raise ListError(f"{where}: find and replace must pair up")
    return list(zip(finds, repls))


def load_unmutable(root):
    """[[unmutable]] rows: a threat-model row whose mechanism is the
    architecture (or a trustlet's own design), with no trusted code to
    mutate; each names the row (guards) and says why."""
    rows = []
    for path in sorted(glob.glob(os.path.join(root, "tests", "mutations", "*.toml"))):
        with open(path, "rb") as f:
            for u in tomllib.load(f).get("unmutable", []):
                if not (u.get("guards") and u.get("reason")):
                    raise ListError(f"{os.path.relpath(path, root)}: [[unmutable]] needs "
                                    "guards and reason")
                rows.append(u)
    return rows


def parse_selector(sel):
    """('vtl0', name, append) | ('host', binary, '') | ('pytest', node, '')."""
    kind, _, rest = sel.partition(":")
    if not rest:
        return None
    if kind == "vtl0":
        name, _, append = rest.partition("@")
        return ("vtl0", name, append) if re.fullmatch(r"[a-z0-9_]+", name) else None
    if kind == "host":
        return ("host", rest, "") if re.fullmatch(r"test_[a-z0-9_]+", rest) else None
    if kind == "pytest":
        return ("pytest", rest, "") if "::" in rest else None
    return None


def occurrences(root, m):
    """1 if each of the mutation's find texts occurs exactly once in its
    file, else how often the first one that does not occurs."""
    path = os.path.join(root, m["file"])
    if not os.path.exists(path):
        return 0
    with open(path) as f:
        text = f.read()
    wrong = [n for n in (text.count(find) for find, _ in m["hunks"]) if n != 1]
    return wrong[0] if wrong else 1


# ---- threat-model coverage ---------------------------------------------------

def normalise(text):
    return re.sub(r"\s+", " ", text.replace("`", "").lower()).strip()


def threat_rows(root, with_tests=False):
    """First cells of the rows of every '| attack | ...' table (with their
    tests cells if asked)."""
    rows, in_table = [], False
    with open(os.path.join(root, "docs", "threat-model.md")) as f:
        for line in f:
            if line.startswith("| attack |"):
                in_table = True
                continue
            if not line.startswith("|"):
                in_table = False
                continue
            if in_table and not line.startswith("|---"):
                cells = line.split("|")
                rows.append((cells[1].strip(), cells[-2].strip()) if with_tests
                            else cells[1].strip())
    return rows


def killer_name(detail):
    """The test name a threat-model tests cell would use for a selector."""
    sel = detail.split(" ")[0]
    kind, _, rest = sel.partition(":")
    if kind == "vtl0":
        return rest.split("@")[0]
    if kind == "pytest":
        return rest.split("::")[-1]
    return rest  # host binary: the row names its cases or the file


def rows_not_named(root, muts, results):
    """Rows none of whose killed mutations was killed by a test the row's
    tests cell names: the column would not be true."""
    killed = {r["name"]: r["detail"] for r in results if r["verdict"] == "KILLED"}
    bad = []
    for attack, tests in threat_rows(root, with_tests=True):
        guarding = [m for m in muts if any(normalise(g) in normalise(attack) for g in m["guards"])]
        if not guarding or not any(m["name"] in killed for m in guarding):
            continue  # unguarded, unmutable or expected: reported elsewhere
        names = [killer_name(killed[m["name"]]) for m in guarding if m["name"] in killed]
        cell = tests.replace("`", "")
        if not any(n in cell or n.replace("test_", "", 1) + ".c" in cell for n in names):
            bad.append((attack, names))
    return bad


def unguarded_rows(root, muts, unmutable):
    guards = [normalise(g) for m in muts + unmutable for g in as_list(m["guards"])]
    return [r for r in threat_rows(root) if not any(g in normalise(r) for g in guards)]


def unknown_guards(root, entries):
    rows = [normalise(r) for r in threat_rows(root)]
    return [e.get("name", e["guards"]) for e in entries for g in as_list(e["guards"])
            if not any(normalise(g) in r for r in rows)]


# ---- the scratch tree ----------------------------------------------------------

def make_scratch(root, scratch):
    """A copy of the tree (with its build, for a warm start) to mutate."""
    if os.path.exists(scratch):
        shutil.rmtree(scratch)
    shutil.copytree(root, scratch, symlinks=True,
                    ignore=shutil.ignore_patterns(".git", "mutate.json", "pytest.xml"))


def build(scratch):
    # `linux` too: a mutation of the module or vbsctl (linux/) must reach the
    # initramfs; with nothing of theirs changed it rebuilds nothing.
    r = subprocess.run(["make", "-s", "-j2", "all", "host-tests", "linux"], cwd=scratch,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return r.returncode == 0, r.stdout[-2000:]


def qemu_args(scratch):
    r = subprocess.run(["make", "-s", "--no-print-directory", "print-qemu-args"], cwd=scratch,
                       stdout=subprocess.PIPE, text=True, check=True)
    return r.stdout.split()


# ---- running the tests a mutation names ---------------------------------------

def run_vtl0(scratch, qargs, names, append):
    """One boot running `test NAME` for each; the first failure, or None."""
    cwd = os.getcwd()
    os.chdir(scratch)
    try:
        boot = ovbs_qemu.scripted_boot(qargs, "".join(f"test {n}\n" for n in names),
                                       append=append, timeout=BOOT_TIMEOUT)
    finally:
        os.chdir(cwd)
    suffix = f"@{append}" if append else ""
    for n in names:
        m = re.search(rf"^TEST {re.escape(n)} (PASS|FAIL)", boot.output, re.M)
        if not m:
            return f"vtl0:{n}{suffix} (no result: {'timed out' if boot.timed_out else 'crashed'})"
        if m.group(1) == "FAIL":
            return f"vtl0:{n}{suffix}"
    if not boot.ok():
        return f"vtl0:{names[0]}{suffix} (boot did not end cleanly)"
    return None


def run_host(scratch, binary):
    env = dict(os.environ, OVBS_VIRT_DTB=os.path.join(scratch, "build", "host", "virt.dtb"))
    try:
        r = subprocess.run([os.path.join(scratch, "build", "host", binary)], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    except subprocess.TimeoutExpired:
        return f"host:{binary} (timed out)"
    return None if r.returncode == 0 else f"host:{binary}"


def run_pytest(scratch, qargs, node):
    env = dict(os.environ, OVBS_QEMU_ARGS="\x1f".join(qargs), OVBS_BUILD="build")
    r = subprocess.run([PYTHON, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                        f"tests/qemu/{node}"], cwd=scratch, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return None if r.returncode == 0 else f"pytest:{node}"


def first_failure(scratch, qargs, selectors):
    """Run the selectors (vtl0 ones grouped by boot arguments, one boot per
    group); the first that fails, or None if all pass."""
    groups = {}
    for kind, what, append in selectors:
        if kind == "vtl0":
            groups.setdefault(append, []).append(what)
    for append, names in groups.items():
        failed = run_vtl0(scratch, qargs, names, append)
        if failed:
            return failed
    for kind, what, _ in selectors:
        failed = (run_host(scratch, what) if kind == "host" else
                  run_pytest(scratch, qargs, what) if kind == "pytest" else None)
        if failed:
            return failed
    return None


def mutate_one(scratch, qargs, m):
    path = os.path.join(scratch, m["file"])
    with open(path) as f:
        original = f.read()
    if occurrences(scratch, m) != 1:
        return "STALE", f"a find text does not occur exactly once in {m['file']}"
    mutant = original
    for find, repl in m["hunks"]:
        mutant = mutant.replace(find, repl)
    try:
        with open(path, "w") as f:
            f.write(mutant)
        ok, log = build(scratch)
        if not ok:
            return "BROKEN", log.strip().splitlines()[-1] if log.strip() else "build failed"
        failed = first_failure(scratch, qargs, [parse_selector(t) for t in m["tests"]])
    finally:
        with open(path, "w") as f:
            f.write(original)
    if m["expect"] == EXPECT_SURVIVES:
        return ("UNEXPECTEDLY KILLED", failed) if failed else ("EXPECTED", None)
    return ("KILLED", failed) if failed else ("SURVIVED", None)


# ---- main ---------------------------------------------------------------------

def report_list_problems(root, muts, unmutable):
    bad = 0
    for m in muts:
        n = occurrences(root, m)
        if n != 1:
            print(f"STALE     {m['name']}: a find text occurs {n} times in {m['file']}")
            bad += 1
    for name in unknown_guards(root, muts + unmutable):
        print(f"GUARDS    {name}: its 'guards' matches no threat-model row")
        bad += 1
    rows = unguarded_rows(root, muts, unmutable)
    for r in rows:
        print(f"UNGUARDED threat-model row: {r[:100]}")
    total = len(threat_rows(root))
    print(f"threat-model rows: {total - len(rows)}/{total} guarded ({len(unmutable)} of them by "
          "the architecture or a trustlet's design, [[unmutable]])")
    return bad + len(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=os.path.normpath(os.path.join(HERE, "..")))
    ap.add_argument("--only", help="comma-separated names (or parts of names) to run")
    ap.add_argument("--check", action="store_true", help="only check the list, run nothing")
    ap.add_argument("--scratch", default=None,
                    help="where the mutated copy lives (default: one per tree, in /tmp)")
    ap.add_argument("--out", default=None, help="JSON results (default build/mutate.json)")
    a = ap.parse_args()
    root = os.path.abspath(a.root)
    try:
        muts = load_mutations(root)
        unmutable = load_unmutable(root)
    except ListError as e:
        print(f"mutate: {e}")
        return 2
    print(f"mutate: {len(muts)} mutations in tests/mutations/*.toml")
    problems = report_list_problems(root, muts, unmutable)
    if a.check:
        return 1 if problems else 0
    if a.only:
        parts = a.only.split(",")
        muts = [m for m in muts if any(p in m["name"] for p in parts)]
    scratch = a.scratch or "/tmp/ovbs-mutate-" + hashlib.sha256(root.encode()).hexdigest()[:12]
    return run_all(root, os.path.abspath(scratch), muts, problems,
                   a.out or os.path.join(root, "build", "mutate.json"))


def run_all(root, scratch, muts, problems, out):
    start = time.time()
    make_scratch(root, scratch)
    ok, log = build(scratch)
    if not ok:
        print("mutate: the unmutated tree does not build:\n" + log)
        return 2
    qargs = qemu_args(scratch)
    runnable = [m for m in muts if occurrences(scratch, m) == 1]
    selectors = sorted({parse_selector(t) for m in runnable for t in m["tests"]})
    failed = first_failure(scratch, qargs, selectors)
    if failed:
        # Once more, alone: a test that fails only beside the others, or on
        # a loaded host, is reported but does not stop the run.
        alone = first_failure(scratch, qargs, [parse_selector(failed.split(" ")[0])])
        if alone:
            print(f"mutate: {failed} fails on the unmutated tree: it cannot kill anything")
            return 2
        print(f"mutate: {failed} failed once on the unmutated tree and passed alone (flaky?)")
    results, counts = [], {}
    for i, m in enumerate(muts, 1):
        verdict, detail = mutate_one(scratch, qargs, m)
        counts[verdict] = counts.get(verdict, 0) + 1
        extra = f"by {detail}" if verdict in ("KILLED", "UNEXPECTEDLY KILLED") else (detail or "")
        if verdict == "EXPECTED":
            why = f"issue {m['issue']}" if m.get("issue") else "equivalent"
            extra = f"({why}: {m['reason']})"
        print(f"[{i}/{len(muts)}] {verdict:9} {m['name']} {extra}".rstrip(), flush=True)
        results.append({"name": m["name"], "file": m["file"], "verdict": verdict,
                        "detail": detail, "expect": m["expect"], "source": m["source"]})
    build(scratch)  # leave the scratch build unmutated for the next run
    if len(muts) == len(load_mutations(root)):
        for attack, names in rows_not_named(root, muts, results):
            print(f"NOT NAMED threat-model row '{attack[:70]}': killed by {', '.join(names)}, "
                  "which its tests column does not name")
            problems += 1
    bad = sum(counts.get(v, 0) for v in ("SURVIVED", "UNEXPECTEDLY KILLED", "STALE", "BROKEN"))
    summary = ", ".join(f"{counts.get(v, 0)} {v.lower()}" for v in
                        ("KILLED", "EXPECTED", "SURVIVED", "UNEXPECTEDLY KILLED", "STALE",
                         "BROKEN"))
    print(f"mutate: {len(muts)} mutations: {summary} ({time.time() - start:.0f} s)")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w") as f:
        json.dump({"results": results, "counts": counts}, f, indent=2, sort_keys=True)
    return 1 if bad or problems else 0


if __name__ == "__main__":
    sys.exit(main())
