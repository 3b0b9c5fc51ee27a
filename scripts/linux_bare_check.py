#!/usr/bin/env python3
"""linux_bare_check.py: boots Debian's arm64 kernel with our initramfs in
QEMU *without* the hypervisor (runs on the build host) and checks what can be
checked there: /init's marker, the module refusing to load with ENODEV and
its reason, `vbsctl --help`, and `vbsctl info` failing with exit 3 when
/dev/openvbs is absent. Exits 0 only if every check passed.

    scripts/linux_bare_check.py [--build build] [--machine virt,gic-version=3]

With --machine virt,virtualization=on,gic-version=3 Linux itself runs at EL2,
the other case the module must refuse without making a hypercall."""
import argparse
import os
import select
import subprocess
import sys
import time


class Console:
    """The guest's serial console on QEMU's stdio, read without blocking."""

    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT)
        self.buf = b""
        self.log = b""

    def expect(self, needle, timeout):
        """Everything up to and including `needle`, or None on timeout."""
        end = time.monotonic() + timeout
        needle = needle.encode()
        while needle not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                return None
            ready, _, _ = select.select([self.proc.stdout], [], [], left)
            if ready:
                chunk = os.read(self.proc.stdout.fileno(), 4096)
                if not chunk:
                    return None
                self.buf += chunk
                self.log += chunk
        i = self.buf.index(needle) + len(needle)
        out, self.buf = self.buf[:i], self.buf[i:]
        return out.decode(errors="replace")

    def run(self, line, timeout=30):
        """A shell command's output and exit status. The status marker is
        printed by printf from pieces, so the console's echo of the typed
        line never contains it."""
        self.proc.stdin.write(f"{line}; printf '%s=%d@@\\n' '@@rc' $?\n".encode())
        self.proc.stdin.flush()
        out = self.expect("@@rc=", timeout)
        tail = self.expect("@@", 5)
        if out is None or tail is None:
            return None, None
        return out[:-len("@@rc=")], int(tail[:-2])

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--machine", default="virt,gic-version=3")
    ap.add_argument("--timeout", type=float, default=120)
    opts = ap.parse_args()
    lb = os.path.join(opts.build, "linux")
    args = ["qemu-system-aarch64", "-M", opts.machine, "-cpu", "max,pauth-impdef=on",
            "-smp", "4", "-m", "512M", "-display", "none", "-nic", "none", "-no-reboot",
            "-kernel", os.path.join(lb, "Image"), "-initrd", os.path.join(lb, "initramfs.cpio"),
            "-append", "console=ttyAMA0 rdinit=/init", "-serial", "stdio", "-monitor", "none"]
    con = Console(args)
    results = []

    def check(name, ok, detail=""):
        results.append(ok)
        print(f"{'PASS' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}")

    try:
        t0 = time.monotonic()
        boot = con.expect("OPENVBS-INIT-READY", opts.timeout)
        check("init marker", boot is not None,
              f"after {time.monotonic() - t0:.1f} s" if boot else "not seen")
        if boot is None:
            return 1
        loaded = con.expect("openvbs: module", 30)
        rest = con.expect("linux# ", 30) or ""
        text = (loaded or "") + rest
        check("insmod refused with ENODEV", loaded is not None and "not loaded" in rest
              and ("No such device" in text or "errno=-19" in text or "-19" in text),
              next((l.strip() for l in text.splitlines() if "insmod:" in l), "no insmod line"))
        out, rc = con.run("dmesg | grep openvbs")
        check("module's reason in dmesg", rc == 0 and "no OpenVBS hypervisor" in (out or ""),
              (out or "").strip().splitlines()[-1] if out and out.strip() else "")
        out, rc = con.run("vbsctl --help")
        check("vbsctl --help", rc == 0 and "usage: vbsctl" in (out or ""), f"exit {rc}")
        out, rc = con.run("vbsctl info")
        check("vbsctl info without /dev/openvbs: exit 3", rc == 3 and "/dev/openvbs" in (out or ""),
              f"exit {rc}, " + " | ".join(l.strip() for l in (out or "").splitlines()[1:]))
        out, rc = con.run("vbsctl protect 0x40001000 1 rq")
        check("vbsctl usage error: exit 2", rc == 2, f"exit {rc}")
        out, rc = con.run("ls /lib/openvbs")
        check("trustlet images present",
              rc == 0 and all(n in (out or "") for n in ("echo.tl", "keyholder.tl",
                                                          "echo-tampered.tl")))
    finally:
        sys.stdout.flush()
        with open(os.path.join(lb, "bare-check.log"), "wb") as f:
            f.write(con.log)
        con.close()
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
