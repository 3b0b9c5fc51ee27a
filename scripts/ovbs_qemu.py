#!/usr/bin/env python3
"""ovbs_qemu.py: host-side driver that boots OpenVBS in QEMU (runs on the
build host). Modes: `run` (interactive console, or the lines of a non-tty
stdin), `bench` (deterministic instruction counts to JSON). Also imported by
the integration tests as a library."""
import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

QEMU = "qemu-system-aarch64"
DEFAULT_TIMEOUT = 180

# Linux in VTL0 (docs/linux.md): QEMU's generic loader puts the Image and
# the initramfs in VTL0 RAM before reset, and the hypervisor's boot
# arguments say where; VTL0's own command line follows " -- ". The Image
# must sit 2 MiB-aligned (text_offset is 0); the initramfs after the
# Image's image_size (about 32 MiB for Debian's 6.1).
LINUX_IMAGE_ADDR = 0x48000000
LINUX_INITRD_ADDR = 0x4c000000
LINUX_CMDLINE = "console=ttyAMA0 rdinit=/init"
# What /init prints once the shell reads the console (linux/initramfs/init).
LINUX_READY = "OPENVBS-INIT-READY"


def linux_args(image, initrd, cmdline=LINUX_CMDLINE, image_addr=LINUX_IMAGE_ADDR,
               initrd_addr=LINUX_INITRD_ADDR):
    """QEMU arguments and hypervisor boot arguments for booting `image`
    (and `initrd`, if given) in VTL0."""
    qemu = ["-device", f"loader,file={image},addr={image_addr:#x},force-raw=on"]
    hv = f"vtl0.kernel={image_addr:#x},{os.path.getsize(image)}"
    if initrd:
        qemu += ["-device", f"loader,file={initrd},addr={initrd_addr:#x},force-raw=on"]
        hv += f" vtl0.initrd={initrd_addr:#x},{os.path.getsize(initrd)}"
    return qemu, f"{hv} -- {cmdline}"


def linux_script(commands):
    """Console lines for Linux's scripted mode: /init's `ovbs-script` runs
    each line, prints the test kernel's "console: N failure(s)" summary and
    powers off, so a run has the same convention under both VTL0 kernels."""
    lines = [l for l in commands.splitlines() if l.strip() and l.strip() not in
             ("poweroff", "poweroff -f")]
    return "ovbs-script\n" + "".join(l + "\n" for l in lines) + "__END__\n"


class Boot:
    """Result of one scripted boot."""

    def __init__(self, returncode, output, timed_out, line_times=()):
        self.returncode = returncode
        self.output = output
        self.timed_out = timed_out
        # Host seconds since QEMU started at which each output line arrived.
        self.line_times = list(line_times)

    def wall_time_of(self, text):
        """Host seconds from QEMU's start to the first line containing
        `text`, or None."""
        for line, t in zip(self.output.split("\n"), self.line_times):
            if text in line:
                return t
        return None

    def console_failures(self):
        m = re.search(r"console: (\d+) failure\(s\)", self.output)
        return int(m.group(1)) if m else None

    def ok(self):
        """Clean run: QEMU exited 0 after a power-off with no failed command
        and no fatal report from any layer."""
        return (not self.timed_out and self.returncode == 0
                and self.console_failures() == 0
                and "FATAL" not in self.output and "VTL0 PANIC" not in self.output
                and "Kernel panic" not in self.output)


def scripted_boot(qemu_args, commands, append="", icount=False, timeout=DEFAULT_TIMEOUT,
                  echo=False, wait_for=None):
    """Boot with `commands` (a string of console lines) fed to the UART.
    A final `poweroff` is added if the script does not end with one. With
    `wait_for`, nothing is sent before that text appears in the output
    (Linux drops console input that arrives before its UART driver and
    shell are up)."""
    lines = [l for l in commands.splitlines() if l.strip()]
    if wait_for is None and (not lines or lines[-1].strip() != "poweroff"):
        lines.append("poweroff")
    args = [QEMU] + list(qemu_args) + ["-serial", "stdio", "-monitor", "none"]
    if append:
        args += ["-append", append]
    if icount:
        # Deterministic runs: one instruction per counter tick, and no random
        # seeds (rng-seed, kaslr-seed) in the device tree the firmware builds.
        args += ["-icount", "shift=0,sleep=off", "-machine", "dtb-randomness=off"]
    started = time.monotonic()
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    timed_out = []

    def kill():
        timed_out.append(True)
        proc.kill()

    timer = threading.Timer(timeout, kill)
    timer.start()
    script = ("\n".join(lines) + "\n").encode()
    try:
        if wait_for is None:
            proc.stdin.write(script)
            proc.stdin.close()
        chunks, times = [], []
        for raw in iter(proc.stdout.readline, b""):
            text = raw.decode("utf-8", "replace").replace("\r", "")
            chunks.append(text)
            times.append(time.monotonic() - started)
            if echo:
                sys.stdout.write(text)
                sys.stdout.flush()
            if wait_for is not None and not proc.stdin.closed and wait_for in text:
                proc.stdin.write(script)
                proc.stdin.close()
        rc = proc.wait()
    finally:
        timer.cancel()
    return Boot(rc, "".join(chunks), bool(timed_out), times)


def cmd_run(qemu_args, append, timeout=DEFAULT_TIMEOUT, linux=None):
    wait_for = None
    if linux:
        extra, hv_append = linux_args(*linux)
        qemu_args = qemu_args + extra
        append = f"{append} {hv_append}".strip()
        wait_for = LINUX_READY
    if sys.stdin.isatty():
        leave = "'poweroff -f'" if linux else "'poweroff'"
        print(f"OpenVBS: booting; the console is VTL0's. {leave} or Ctrl-A x to leave.")
        args = [QEMU] + qemu_args + ["-serial", "mon:stdio"]
        if append:
            args += ["-append", append]
        os.execvp(QEMU, args)
    commands = sys.stdin.read()
    if linux:
        commands = linux_script(commands)
    boot = scripted_boot(qemu_args, commands, append=append, echo=True, timeout=timeout,
                         wait_for=wait_for)
    if boot.timed_out:
        print(f"ovbs_qemu: timed out after {timeout} s", file=sys.stderr)
    elif not boot.ok():
        print(f"ovbs_qemu: run failed (QEMU status {boot.returncode}, "
              f"console failures {boot.console_failures()})", file=sys.stderr)
    return 0 if boot.ok() else 1


def parse_bench(output):
    return {m.group(1): int(m.group(2))
            for m in re.finditer(r"^BENCH (\w+) (\d+)$", output, re.M)}


# The hypervisor's boot line with the SMMU's page counts (hv/smmu.c).
SMMU_PAGES = re.compile(r"SMMU enabled before any guest: (\d+) table pages "
                        r"\(\+(\d+) stream table, (\d+) queue pages\)")
# Metrics measured a second time on a machine without an SMMU, to show what
# keeping the devices' view in step costs.
NOSMMU_METRICS = ("protect_1_page", "protect_512_pages")


def bench_boot(qemu_args):
    boot = scripted_boot(qemu_args, "bench\npoweroff\n", append="hv.bench", icount=True)
    metrics = parse_bench(boot.output)
    if not boot.ok() or not metrics:
        sys.stdout.write(boot.output)
        print("ovbs_qemu: benchmark boot failed", file=sys.stderr)
        return boot, None
    return boot, metrics


# Metrics measured on four CPUs (vtl0/bench.c, bench_4cpu): taken from a
# boot with -smp 4 when the machine of the other metrics has fewer CPUs.
SMP_METRICS = ("vtl_call_null_4cpu", "protect_1_page_4cpu")


def with_smp(qemu_args, n):
    args = list(qemu_args)
    if "-smp" in args:
        args[args.index("-smp") + 1] = str(n)
    else:
        args += ["-smp", str(n)]
    return args


# ---- Linux boot time (docs/performance.md, "Linux: boot to /init") ----
# /init's first line: `vbsctl clock` reads CNTVCT_EL0 (linux/initramfs/init).
LINUX_START = "OPENVBS-INIT-START"
LINUX_START_NS = re.compile(r"^OPENVBS-INIT-START (\d+) ns", re.M)
# /init's last line before the shell (after the kernel lock, if asked for).
LINUX_SHELL_NS = re.compile(r"^OPENVBS-SHELL-START (\d+) ns", re.M)
# The kernel-integrity numbers, in the hypervisor's boot: the same Linux
# timings before and after `vbsctl lock-kernel` (docs/kernel-integrity.md).
# /init runs them itself with openvbs.bench_kernel_lock=1, before any
# console input (linux/initramfs/init says why).
LINUX_LOCK_BENCH = "openvbs.bench_kernel_lock=1"
# Measured twice in that boot: first unlocked, then locked.
LINUX_TWICE = {"linux_context_switch": ("linux_context_switch_unpinned",
                                        "linux_context_switch_pinned"),
               "linux_static_key_flip": ("linux_static_key_flip_unlocked",
                                         "linux_static_key_flip_locked")}
# Nothing host-dependent may reach the guest before the marker: a fixed
# seed for QEMU's guest randomness (RNDR, which seeds KASLR when the device
# tree has no kaslr-seed, and the virtio-rng devices' builtin backend), and
# an RTC that starts at a fixed date and follows the virtual clock.
LINUX_DETERMINISM = ["-seed", "1", "-rtc", "base=2024-01-01T00:00:00,clock=vm"]


def bare_linux_args(qemu_args, image, initrd):
    """The same machine without the hypervisor: no EL2 (virtualization=off,
    so Linux boots at EL1 as it does in VTL0, not at EL2 with VHE and KVM),
    and QEMU's own loader for the Image and the initramfs."""
    args = list(qemu_args)
    if "-kernel" in args:
        i = args.index("-kernel")
        del args[i:i + 2]
    args = [a.replace("virtualization=on", "virtualization=off") for a in args]
    return args + ["-kernel", image, "-initrd", initrd]


def linux_start_boot(qemu_args, append, commands="", marker=LINUX_START_NS):
    """A deterministic Linux boot (icount) whose script runs after /init's
    marker; returns the boot and the marker's virtual nanoseconds."""
    boot = scripted_boot(qemu_args + LINUX_DETERMINISM, linux_script(commands), append=append,
                         icount=True, wait_for=LINUX_READY, timeout=300)
    m = marker.search(boot.output)
    if not boot.ok() or not m:
        sys.stdout.write(boot.output)
        print("ovbs_qemu: Linux benchmark boot failed", file=sys.stderr)
        return boot, None
    return boot, int(m.group(1))


def lock_metrics(output):
    """The kernel-integrity metrics of the hypervisor's boot, or None."""
    found = re.findall(r"^BENCH (\w+) (\d+)$", output, re.M)
    metrics = {}
    for name, (first, second) in LINUX_TWICE.items():
        values = [int(v) for n, v in found if n == name]
        if len(values) != 2:
            return None
        metrics[first], metrics[second] = values
    lock = [int(v) for n, v in found if n == "linux_lock_kernel"]
    if len(lock) != 1:
        return None
    metrics["linux_lock_kernel"] = lock[0]
    return metrics


# The hypervisor's bench boots of Linux leave the virtio-pci drivers out
# (linux/initramfs/init says why): everything after /init's start then
# counts the same in every run.
LINUX_BENCH_CMDLINE = f"{LINUX_CMDLINE} openvbs.no_virtio_modules=1"


def linux_bench(qemu_args, image, initrd):
    """linux_boot_to_init_{hv,bare}, their ratio and linux_vtl_call_null;
    None if a boot failed. Prints the wall-clock ratio of the same boots."""
    extra, hv = linux_args(image, initrd, cmdline=f"{LINUX_BENCH_CMDLINE} {LINUX_LOCK_BENCH}")
    # hv.bench: the call bench counts EL2 and VTL1. It changes nothing on
    # the boot path but what the PMU counts (hv/loader.c, hv/vtl.c).
    hv_boot, hv_ns = linux_start_boot(qemu_args + extra, f"hv.bench {hv}", "vbsctl bench 1000")
    if hv_ns is None:
        return None
    locked = lock_metrics(hv_boot.output)
    shell = LINUX_SHELL_NS.search(hv_boot.output)
    if locked is None or not shell:
        sys.stdout.write(hv_boot.output)
        print("ovbs_qemu: no kernel-lock metrics from the hypervisor's boot", file=sys.stderr)
        return None
    # The same boot with the kernel locked at the start of the initramfs.
    extra_l, hv_l = linux_args(image, initrd,
                               cmdline=f"{LINUX_BENCH_CMDLINE} openvbs.lock_kernel=1")
    lock_boot, lock_shell_ns = linux_start_boot(qemu_args + extra_l, f"hv.bench {hv_l}",
                                                marker=LINUX_SHELL_NS)
    if lock_shell_ns is None or "OPENVBS-KERNEL-LOCKED" not in lock_boot.output:
        sys.stdout.write(lock_boot.output)
        print("ovbs_qemu: the locked boot did not lock", file=sys.stderr)
        return None
    bare_boot, bare_ns = linux_start_boot(bare_linux_args(qemu_args, image, initrd),
                                          LINUX_BENCH_CMDLINE)
    if bare_ns is None:
        return None
    metrics = parse_bench(hv_boot.output)
    if "linux_vtl_call_null" not in metrics:
        sys.stdout.write(hv_boot.output)
        print("ovbs_qemu: no linux_vtl_call_null from vbsctl bench", file=sys.stderr)
        return None
    for name in LINUX_TWICE:
        metrics.pop(name, None)
    metrics.update(locked)
    metrics["linux_boot_to_shell"] = int(shell.group(1))
    metrics["linux_boot_to_shell_locked"] = lock_shell_ns
    metrics["linux_boot_to_init_hv"] = hv_ns
    metrics["linux_boot_to_init_bare"] = bare_ns
    metrics["linux_boot_ratio_permille"] = (hv_ns * 1000 + bare_ns // 2) // bare_ns
    check = re.search(r"^bench: .*$", hv_boot.output, re.M)
    if check:
        print(check.group(0))
    hv_wall = hv_boot.wall_time_of(LINUX_START)
    bare_wall = bare_boot.wall_time_of(LINUX_START)
    print(f"Linux boot to /init, host wall clock: under the hypervisor {hv_wall:.2f} s, "
          f"bare {bare_wall:.2f} s, ratio {hv_wall / bare_wall:.2f} (not in the JSON: it "
          f"depends on the host)")
    return metrics


def cmd_bench(qemu_args, out, linux=None):
    boot, metrics = bench_boot(qemu_args)
    if metrics is None:
        return 1
    if linux:
        extra = linux_bench(qemu_args, *linux)
        if extra is None:
            return 1
        metrics.update(extra)
    smp = int(qemu_args[qemu_args.index("-smp") + 1]) if "-smp" in qemu_args else 1
    if smp < 4 and any(name not in metrics for name in SMP_METRICS):
        _, four = bench_boot(with_smp(qemu_args, 4))
        if four is None:
            return 1
        for name in SMP_METRICS:
            if name in four:
                metrics[name] = four[name]
    pages = SMMU_PAGES.search(boot.output)
    if pages:
        metrics["smmu_table_pages"] = int(pages.group(1))
        metrics["smmu_stream_pages"] = int(pages.group(2))
        metrics["smmu_queue_pages"] = int(pages.group(3))
        # The same bench on the same machine without its SMMU.
        _, plain = bench_boot([a.replace("iommu=smmuv3", "iommu=none") for a in qemu_args])
        if plain is None:
            return 1
        for name in NOSMMU_METRICS:
            metrics[f"{name}_nosmmu"] = plain[name]
    print("metric                          instructions")
    for name in sorted(metrics):
        print(f"{name:<32}{metrics[name]:>12}")
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as f:
        json.dump(metrics, f, indent=2, sort_keys=True)
        f.write("\n")
    print(f"wrote {out}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mode", choices=["run", "bench"])
    ap.add_argument("--out", default="build/bench.json")
    ap.add_argument("--append", default=os.environ.get("OVBS_APPEND", ""))
    # Long scripted runs (make stress) need more than the default.
    ap.add_argument("--timeout", type=int, default=DEFAULT_TIMEOUT)
    # Linux in VTL0: the Image and the initramfs (cpio) to load.
    ap.add_argument("--linux", nargs=2, metavar=("IMAGE", "INITRD"))
    argv = sys.argv[1:]
    split = argv.index("--") if "--" in argv else len(argv)
    a = ap.parse_args(argv[:split])
    qemu_args = argv[split + 1:]
    if a.mode == "run":
        return cmd_run(qemu_args, a.append, a.timeout, a.linux)
    return cmd_bench(qemu_args, a.out, a.linux)


if __name__ == "__main__":
    sys.exit(main())
