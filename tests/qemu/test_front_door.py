"""test_front_door.py: the commands a user types, end to end (build host):
`make run` with a script on stdin, the console's commands, bad input."""
import subprocess

from conftest import boot


def make_run(stdin_text):
    return subprocess.run(["make", "-s", "run"], input=stdin_text, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)


def test_make_run_scripted_exits_zero():
    r = make_run("help\ninfo\npoweroff\n")
    assert r.returncode == 0, r.stdout[-3000:]
    assert "commands:" in r.stdout and "physical memory map" in r.stdout


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
