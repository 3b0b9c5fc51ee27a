#!/usr/bin/env python3
"""check_tables.py: the per-VP state machine's table in the C (hv/vpstate.c,
hv/vpstate.h) and in the Promela model (model/vp.pml) must not drift apart
(build host). Exit 0 if they agree, 1 with what differs.

Checked: the same set of rows (from, event, to, function); each ROW comment
sits on the Promela line that implements exactly that row; model/vp.pml
changes state[] nowhere else (mutant lines excepted: they are not rows);
the model's state and event numbers are the enums' names in the enums'
order. Noted but not an error: C functions (and the lock) the models name
that no code under hv/ or lib/ has yet, outside the table itself."""
import os
import re
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

C_ROW = re.compile(r'\{\s*(VTL1_\w+)\s*,\s*(VPE_\w+)\s*,\s*(VTL1_\w+)\s*,\s*"(\w+)"\s*\}')
MODEL_ROW = re.compile(r"/\*\s*ROW:\s*(VTL1_\w+)\s+(VPE_\w+)\s+(VTL1_\w+)\s+(\w+)\s*\*/")
# The code a ROW line must carry: the guard on (from, event) and the new state.
MODEL_CODE = re.compile(r"::\s*prev\s*==\s*(VTL1_\w+)\s*&&\s*e\s*==\s*(VPE_\w+)\s*->\s*"
                        r"state\[w\]\s*=\s*(VTL1_\w+)")
STATE_WRITE = re.compile(r"\bstate\[[^\]]*\]\s*=(?!=)")
DEFINE = re.compile(r"^#define\s+((?:VTL1|VPE)_\w+)\s+(\d+)", re.M)
# protect.pml's step comments: "/* [file] function [-> [file] function]: what */",
# and the lock, "spin_lock(&name)".
STEP_COMMENT = re.compile(r"/\*\s*((?:[\w/.]+\s+)?\w+(?:\s*->\s*(?:[\w/.]+\s+)?\w+)*)\s*:")
LOCK_NAME = re.compile(r"spin_(?:un)?lock\(&(\w+)\)")


def read(rel):
    with open(os.path.join(ROOT, rel)) as f:
        return f.read()


def strip_c_comments(text):
    return re.sub(r"/\*.*?\*/", " ", text, flags=re.S)


def c_rows(src):
    m = re.search(r"vp_transitions\[\]\s*=\s*\{(.*?)\n\};", src, re.S)
    if not m:
        return None
    return [tuple(r) for r in C_ROW.findall(strip_c_comments(m.group(1)))]


def c_enum(header, name):
    m = re.search(r"enum\s+%s\s*\{(.*?)\};" % name, strip_c_comments(header), re.S)
    if not m:
        return None
    return [n.strip() for n in m.group(1).split(",") if n.strip()]


def model_rows(model, problems):
    rows = []
    for no, line in enumerate(model.splitlines(), 1):
        row = MODEL_ROW.search(line)
        if STATE_WRITE.search(line) and not row and "MUTANT:" not in line:
            problems.append(f"model/vp.pml:{no}: changes state[] outside a ROW line: {line.strip()}")
        if not row:
            continue
        rows.append(row.groups())
        code = MODEL_CODE.search(line)
        if not code:
            problems.append(f"model/vp.pml:{no}: ROW line without the guard/assignment it names")
        elif code.groups() != row.groups()[:3]:
            problems.append(f"model/vp.pml:{no}: ROW says {' '.join(row.groups()[:3])} "
                            f"but the code does {' '.join(code.groups())}")
    return rows


def protect_names(model):
    """The C functions (and the lock) protect.pml's step comments name."""
    names = set(LOCK_NAME.findall(model))
    for m in STEP_COMMENT.finditer(model):
        for word in re.split(r"\s*->\s*|\s+", m.group(1)):
            if "_" in word and word.islower() and "/" not in word and "." not in word:
                names.add(word)
    return names


def check():
    problems = []
    src, header, model = read("hv/vpstate.c"), read("hv/vpstate.h"), read("model/vp.pml")

    crows = c_rows(src)
    if crows is None:
        return ["hv/vpstate.c: no vp_transitions[] table found"], []
    mrows = model_rows(model, problems)
    for label, rows in (("hv/vpstate.c", crows), ("model/vp.pml", mrows)):
        dups = {r for r in rows if rows.count(r) > 1}
        for r in sorted(dups):
            problems.append(f"{label}: row listed twice: {' '.join(r)}")
    for r in sorted(set(crows) - set(mrows)):
        problems.append(f"only in hv/vpstate.c: {' '.join(r)}")
    for r in sorted(set(mrows) - set(crows)):
        problems.append(f"only in model/vp.pml: {' '.join(r)}")

    defines = dict((n, int(v)) for n, v in DEFINE.findall(model))
    for enum, prefix in (("vtl1_state", "VTL1_"), ("vp_event", "VPE_")):
        names = c_enum(header, enum)
        if names is None:
            problems.append(f"hv/vpstate.h: enum {enum} not found")
            continue
        names = [n for n in names if not n.endswith("_COUNT")]
        model_names = sorted((v, n) for n, v in defines.items() if n.startswith(prefix))
        if [n for _, n in model_names] != names or [v for v, _ in model_names] != list(range(len(names))):
            problems.append(f"enum {enum}: hv/vpstate.h has {' '.join(names)}; model/vp.pml "
                            f"defines {' '.join(f'{n}={v}' for v, n in model_names)}")

    # The C functions (and the lock) the models name, looked for in the C.
    c_text = ""
    for d in ("hv", "lib"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, d)):  # absent in a test copy: fine
            for f in files:
                if f.endswith((".c", ".h", ".S")):
                    with open(os.path.join(dirpath, f)) as fh:
                        c_text += fh.read()
    c_code = strip_c_comments(c_text.replace(src, ""))
    named = {r[3] for r in mrows} | protect_names(read("model/protect.pml"))
    notes = [n for n in sorted(named) if not re.search(r"\b%s\b" % re.escape(n), c_code)]
    return problems, notes


def main():
    global ROOT
    if len(sys.argv) == 3 and sys.argv[1] == "--root":  # a copy of the tree (the tests)
        ROOT = sys.argv[2]
    elif len(sys.argv) != 1:
        print("usage: check_tables.py [--root TREE]")
        return 2
    problems, notes = check()
    if notes:
        print("check_tables: note: named by the models but not (yet) in hv/ or lib/ outside "
              "the table: " + ", ".join(notes))
    for p in problems:
        print("check_tables: " + p)
    if problems:
        print(f"check_tables: FAIL ({len(problems)} difference(s) between hv/vpstate.c and model/vp.pml)")
        return 1
    print("check_tables: OK (hv/vpstate.c and model/vp.pml have the same rows, "
          "functions and enums)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
