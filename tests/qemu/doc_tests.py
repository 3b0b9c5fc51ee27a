"""doc_tests.py: reads which tests docs/threat-model.md and
docs/state-inventory.md name (build host, imported by test_vtl0_suite.py),
so the suite can check that every test the threat model relies on exists.

The docs' conventions (threat-model.md, "How to read the tables"): a bare
backticked name such as `read_hv` is a VTL0 test kernel test; `test_*`
followed by a `.py` file is a pytest function in tests/qemu/, followed by a
`.c` file a cmocka test in tests/host/. Text in parentheses after a test is
a note about it, and its backticked words are not tests, except the file
that a note naming one (`(test_owner.c)`, `(test_state.py: ...)`) assigns
to the `test_*` names before it."""
import re

VTL0_NAME = re.compile(r"[a-z][a-z0-9_]*")
HOST_NAME = re.compile(r"test_[a-z0-9_]+")
FILE_REF = re.compile(r"\b(test_[a-z0-9_]+\.(?:py|c))\b")
# "(test `gic_lpi_tables`)" in the prose of the "Not covered yet" list.
PROSE_TEST = re.compile(r"\(tests? `([a-z][a-z0-9_]*)`")


class Found:
    """The tests a document names: VTL0 names, and (name, file) pairs for
    pytest and host tests, each with where it was seen."""

    def __init__(self):
        self.vtl0 = {}   # name -> first place seen
        self.host = {}   # (name, file or None) -> first place seen

    def add_vtl0(self, name, where):
        self.vtl0.setdefault(name, where)

    def add_host(self, name, file, where):
        self.host.setdefault((name, file), where)


def documented_tests(root):
    """Found: the tests named by the threat model and the state inventory."""
    found = Found()
    with open(f"{root}/docs/threat-model.md") as f:
        threat_model_tests(f.read(), found)
    with open(f"{root}/docs/state-inventory.md") as f:
        state_inventory_tests(f.read(), found)
    return found


def host_test_missing(root, name, file):
    """Why the pytest or host test `name` named with `file` does not exist,
    or None if it does. A host binary's own name (`test_events`, with
    test_events.c) counts as the whole binary."""
    if file is None:
        return "no test file named beside it"
    path = f"{root}/tests/{'qemu' if file.endswith('.py') else 'host'}/{file}"
    try:
        with open(path) as f:
            source = f.read()
    except OSError:
        return f"{path} does not exist"
    if file.endswith(".py"):
        defined = re.search(rf"^def {name}\(", source, re.M)
    else:
        # a cmocka test runs only if the binary's list registers it
        defined = name == file[:-2] or re.search(rf"cmocka_unit_test\w*\(\s*{name}\b", source)
    return None if defined else f"not defined in {path}"


def mark_notes(cell):
    """The cell with every parenthesised note (nesting allowed) replaced by
    a marker \x00N\x00, and the list of the notes' texts."""
    text, notes, depth = "", [], 0
    for ch in cell:
        if ch == "(":
            depth += 1
            if depth == 1:
                notes.append("")
                continue
        elif ch == ")" and depth:
            depth -= 1
            if depth == 0:
                text += f"\x00{len(notes) - 1}\x00"
                continue
        if depth:
            notes[-1] += ch
        else:
            text += ch
    return text, notes


TOKEN = re.compile(r"`([^`]+)`|\x00(\d+)\x00")


def add_tests(found, text, notes, default_file, where):
    """Record the backticked names in `text` (notes already taken out):
    a `test_*` name takes the file of the first later note that names one,
    or else the column's file."""
    pending = []  # test_* names waiting for their file
    for m in TOKEN.finditer(text):
        if m.group(1) is not None:
            name = m.group(1).strip()
            if HOST_NAME.fullmatch(name):
                pending.append(name)
            elif VTL0_NAME.fullmatch(name):
                found.add_vtl0(name, where)
            continue
        ref = FILE_REF.search(notes[int(m.group(2))])
        if ref:
            for name in pending:
                found.add_host(name, ref.group(1), where)
            pending = []
    for name in pending:
        found.add_host(name, default_file, where)


def tables(markdown):
    """Each table as (header cells, [(line number, cells)]); a table is a
    header row, a |---| row, and the rows that follow."""
    lines = markdown.splitlines()
    out, i = [], 0
    while i < len(lines):
        if (lines[i].startswith("|") and i + 1 < len(lines)
                and re.match(r"^\|(\s*:?-+:?\s*\|)+\s*$", lines[i + 1])):
            header = cells(lines[i])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append((i + 1, cells(lines[i])))
                i += 1
            out.append((header, rows))
        else:
            i += 1
    return out


def cells(row):
    return [c.strip() for c in row.strip().strip("|").split("|")]


def threat_model_tests(markdown, found, doc="threat-model.md"):
    """Every table whose last column is headed "tests" (perhaps with the
    column's file, "tests (test_fatal.py)"): the names in its last cells
    outside notes; and "(test `name`" in the prose."""
    for header, rows in tables(markdown):
        if not header[-1].startswith("tests"):
            continue
        ref = FILE_REF.search(header[-1])
        default_file = ref.group(1) if ref else None
        for line, row in rows:
            text, notes = mark_notes(row[-1])
            add_tests(found, text, notes, default_file, f"{doc}:{line}")
    for m in PROSE_TEST.finditer(markdown):
        line = markdown.count("\n", 0, m.start()) + 1
        found.add_vtl0(m.group(1), f"{doc}:{line}")
    return found


# In the inventory a cell says the mechanism first, then its tests: a list
# of backticked names (with notes, commas, "and") that starts a sentence.
TEST_LIST = re.compile(r"(?:^|\.\s+)((?:`[a-z][a-z0-9_]*`\s*(?:\x00\d+\x00\s*)*(?:,\s*|and\s+)?)+)")


def state_inventory_tests(markdown, found, doc="state-inventory.md"):
    """Every table whose first column is "state": the test lists in its
    other cells."""
    for header, rows in tables(markdown):
        if header[0] != "state":
            continue
        for line, row in rows:
            for cell in row[1:]:
                text, notes = mark_notes(cell)
                for m in TEST_LIST.finditer(text):
                    add_tests(found, m.group(1), notes, None, f"{doc}:{line}")
    return found
