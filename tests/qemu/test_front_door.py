"""test_front_door.py: the commands a user types, end to end (build host):
`make run` with a script on stdin, the console's commands, bad input."""
import concurrent.futures
import hashlib
import os
import re
import subprocess

from conftest import boot


def make_run(stdin_text):
    return subprocess.run(["make", "-s", "run", "VTL0=test"], input=stdin_text, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)


def test_make_run_scripted_exits_zero():
    r = make_run("help\ninfo\npoweroff\n")
    assert r.returncode == 0, r.stdout[-3000:]
    assert "commands:" in r.stdout and "physical memory map" in r.stdout
    # every command is listed, the last one too (help is not truncated)
    for cmd in ("info", "test", "attack", "protect", "lock", "prot", "fuzz", "tl load",
                "events", "bench", "poweroff        PSCI SYSTEM_OFF"):
        assert "\n  " + cmd in r.stdout, cmd


def test_make_run_fails_on_bad_command():
    r = make_run("no-such-command\npoweroff\n")
    assert r.returncode != 0
    assert "unknown command 'no-such-command'" in r.stdout


def test_info_shows_owners_and_access():
    b = boot("info\n")
    assert b.ok(), b.output[-3000:]
    out = b.output
    for owner in ("hv ", "vtl1", "vtl0", "mmio-vtl0", "mmio-hv"):
        assert owner in out, owner
    # protected ranges carry no VTL0 access at all; VTL0 RAM carries all four
    for line in out.splitlines():
        if line.startswith("  [") and (" hv " in line or " vtl1 " in line or " mmio-hv " in line):
            assert "----" in line, line
    assert any(" vtl0 " in l and "rwxu" in l for l in out.splitlines())


def test_attack_command_shows_block():
    b = boot("attack list\nattack read_hv\nattack no_such_attack\n")
    assert "read_hv" in b.output
    assert "abort injected" in b.output          # the hypervisor's side
    assert "TEST read_hv PASS" in b.output       # VTL0's side
    assert "no such attack: no_such_attack" in b.output
    assert b.console_failures() == 1


def test_hv_log_lines_are_prefixed():
    b = boot("")
    hv_lines = [l for l in b.output.splitlines() if "hypervisor" in l.lower() and "EL2" in l]
    assert hv_lines and all(l.startswith("[hv] ") for l in hv_lines)
    assert "EL2 MMU on" in b.output and "W^X" in b.output
    assert "VTL0 stage 2:" in b.output and "table pages" in b.output


def test_boot_order_and_measurements():
    b = boot("")
    out = b.output
    sk = out.index("entering the secure kernel")
    done = out.index("secure kernel finished booting")
    vtl0 = out.index("VTL0 test kernel at EL1")
    assert sk < out.index("[sk] secure kernel at EL1 of VTL1") < done < vtl0
    for name in ("sk", "vtl0-kernel", "vtl0-dtb"):
        assert f"measured {name}" in out
    assert "VTL protection enabled" in out
    # The digests are the images' own (the SHA-256 instructions under -cpu
    # max, hv/measure.c): the log's first 8 bytes against Python's hashlib
    # over the files the hypervisor carries.
    assert "measuring with the SHA-256 instructions" in out
    build = os.environ.get("OVBS_BUILD", "build")
    for name, path in (("sk", "sk.stripped.elf"), ("vtl0-kernel", "vtl0.stripped.elf")):
        with open(os.path.join(build, path), "rb") as f:
            want = hashlib.sha256(f.read()).hexdigest()[:16]
        m = re.search(rf"measured {re.escape(name)} +\d+ bytes sha256 ([0-9a-f]{{16}})", out)
        assert m and m.group(1) == want, (name, m and m.group(1), want)


def test_intercept_logged_on_both_sides():
    b = boot("attack write_readonly_page\n")
    assert b.ok(), b.output[-3000:]
    assert "breaks VTL1's protection" in b.output and "intercept to VTL1" in b.output
    assert re.search(r"\[sk\] intercept: VP \d VTL0 EL1 write of GPA 0x[0-9a-f]+ \(VA 0x[0-9a-f]+\) "
                     r"at PC 0x[0-9a-f]+, page allows 1 -> abort", b.output), b.output[-3000:]


def test_console_events_command():
    b = boot("attack unlock_locked\nevents 4\nevents 99\n")
    assert not b.timed_out and b.returncode == 0, b.output[-3000:]
    hv = b.output.index("hypervisor: ")
    sk = b.output.index("secure kernel: ", hv)
    # both records hold the write to the locked page, caused by VTL0
    assert "VTL0 VP0  intercept  a=0x" in b.output[hv:sk]
    assert "VTL0 VP0  intercept  a=0x" in b.output[sk:]
    # unlock_locked's refused requests: protect RWX, lock with write, a
    # two-page protect whose second page is locked
    assert "protection refused     3" in b.output[sk:]
    assert "usage: events [N]" in b.output
    assert b.console_failures() == 1


def test_console_protect_and_prot_commands():
    b = boot("prot 0x50000000 2\nprotect 0x50000000 1 1\nprot 0x50000000 2\n"
             "lock 0x50001000 1 5\nprot 0x50001000 1\nprotect 0x50001000 1 15\n")
    lines = b.output.splitlines()
    assert "  0x50000000: rwxu" in lines
    assert "  0x50000000: r---" in lines
    assert "  0x50001000: r-x- locked" in lines
    assert "protect: status 6 (refused)" in b.output  # unlocking: ACCESS_DENIED
    assert b.console_failures() == 1
    info = boot("protect 0x50000000 1 1\ninfo\n")
    assert any("[0x0050000000, 0x0050001000) vtl0       r---" in l for l in info.output.splitlines())


def fuzz_runs(output):
    """(seed, calls, secure calls, statuses digest) of each `fuzz` run; the
    hypervisor's and the secure kernel's log lines come in between."""
    starts = re.findall(r"^    fuzz seed (0x[0-9a-f]+), (\d+) calls$", output, re.M)
    ends = re.findall(r"^    (\d+) secure calls among them; hypervisor and secure kernel "
                      r"still answer\n    statuses digest (0x[0-9a-f]+)$", output, re.M)
    assert len(starts) == len(ends), output[-3000:]
    return [start + end for start, end in zip(starts, ends)]


def test_fuzz_command_reproducible_seed():
    # A seed reproduces a run: two boots running the same seeds from the
    # same state must see the same status from every call (the digest covers
    # each call's function ID and x0). It fails when a result depends on
    # something other than the calls made (time, uninitialised memory, state
    # left by an earlier boot), which would make a fuzz finding impossible
    # to replay, and when the command stops making the calls its seed picks
    # or stops reporting them. A second seed must give a different digest
    # and count: a digest that no longer follows the calls (a constant, the
    # seed's first call only) would pass the first check too.
    script = "fuzz 0x1234 10000\nfuzz 0x4321 10000\n"
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        first, second = pool.map(boot, [script, script])
    for b in (first, second):
        assert b.ok(), b.output[-3000:]
    runs = fuzz_runs(first.output)
    assert [r[:2] for r in runs] == [("0x1234", "10000"), ("0x4321", "10000")], first.output[-3000:]
    assert fuzz_runs(second.output) == runs
    assert runs[0][3] != runs[1][3] and runs[0][2] != runs[1][2]


def test_console_trustlet_commands():
    b = boot("tl load echo\ntl call 0x0ec40001 0 hello trustlet\n"
             "tl call 0x0ec40001 3\ntl call 0x0ec40001 0 hi\ntl unload 1\n")
    out = b.output
    assert "[sk] trustlet echo v3 loaded" in out
    assert "reply (14 bytes): hello trustlet" in out
    assert "[sk] trustlet echo killed: data abort from lower EL at FAR 0x41000000" in out
    assert "status 0x211 (trustlet dead)" in out
    assert "tl call: trustlet dead" in out
    assert b.console_failures() == 2
