#!/usr/bin/python3
"""make bench, init part (issue 13 targets), side by side in one run, each init as PID 1 of its own PID
namespace (unshare --pid --fork --mount-proc), as a container runtime starts it:

  shutdown   N services (`sleep`) running; SIGTERM to PID 1 -> the namespace gone (its init exited).
             Gantry: launchd --system stops every job (SIGTERM, reaps it) and exits. s6-svscan: brings
             every service down through its s6-supervise and exits. tini + runsvdir: tini forwards the
             TERM to runsvdir, which exits at once (runit's documented TERM); the services die with the
             namespace (SIGKILL from the kernel), so that number is the floor, not a graceful stop.
  reaping    K orphans (a service's background children whose parent exited, so PID 1 adopted them);
             each in turn gets SIGKILL from this harness, and the time until it is reaped (its /proc
             entry gone) is taken; median and p99.
"""
import argparse
import os
import plistlib
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERVICE_TAG = "100001"  # sleep's argument: tells the services' processes from every other sleep
ORPHAN_TAG = "100002"


def sleepers(tag):
    """Pids of `sleep TAG` processes, with their parents."""
    found = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    argv = f.read().split(b"\0")
                if argv[1:] != [tag.encode(), b""] or not argv[0].endswith(b"sleep"):
                    continue
                with open(f"/proc/{d}/stat") as f:
                    found[int(d)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


def wait_until(cond, what, timeout=120):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


class Init:
    """One init as PID 1 of a new PID namespace."""

    def __init__(self, name, argv, env=None):
        self.name = name
        self.proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", *argv], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(self._pid1, f"{name} to start")
        self.pid1 = self._pid1()

    def _pid1(self):
        try:
            with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
                children = f.read().split()
        except FileNotFoundError:
            return None
        return int(children[0]) if children else None

    def shutdown_seconds(self):
        t0 = time.monotonic()
        os.kill(self.pid1, signal.SIGTERM)
        self.proc.wait(timeout=120)
        return time.monotonic() - t0

    def kill(self):
        if self.proc.poll() is None:
            os.kill(self.pid1, signal.SIGKILL)
            self.proc.wait()


def gantry(build, work, scripts):
    """launchd --system as PID 1 with one job per script (label -> argv)."""
    root = work / "gantry"
    daemons = root / "etc/launchd/LaunchDaemons"
    daemons.mkdir(parents=True)
    for label, argv in scripts.items():
        with open(daemons / f"{label}.plist", "wb") as f:
            plistlib.dump({"Label": label, "ProgramArguments": argv, "RunAtLoad": True}, f)
    return Init("Gantry", [str(build / "src/launchd/launchd"), "--system"],
                env=dict(os.environ, LAUNCHD_ROOT=str(root)))


def service_dirs(base, scripts):
    for label, argv in scripts.items():
        d = base / label
        d.mkdir(parents=True)
        (d / "run").write_text("#!/bin/sh\nexec " + " ".join(f"'{a}'" for a in argv) + "\n")
        (d / "run").chmod(0o755)
    return base


def s6(work, scripts):
    # -c: room for every service (s6-svscan supervises at most 500 by default)
    return Init("s6-svscan", ["s6-svscan", "-c", str(2 * len(scripts) + 10), str(service_dirs(work / "s6", scripts))])


def tini_runit(work, scripts):
    return Init("tini + runsvdir", ["tini", "--", "runsvdir", "-P", str(service_dirs(work / "runit", scripts))])


def measure_shutdown(make, n):
    scripts = {f"bench.svc{i}": ["/bin/sleep", SERVICE_TAG] for i in range(n)}
    init = make(scripts)
    try:
        wait_until(lambda: len(sleepers(SERVICE_TAG)) == n, f"{init.name}: {n} services running")
        return init.name, init.shutdown_seconds()
    finally:
        init.kill()


def measure_reaping(make, k):
    spawn = f"for i in $(seq {k}); do (exec sleep {ORPHAN_TAG} &); done; exec sleep {SERVICE_TAG}"
    init = make({"bench.orphans": ["/bin/sh", "-c", spawn]})
    try:
        wait_until(lambda: sum(1 for ppid in sleepers(ORPHAN_TAG).values() if ppid == init.pid1) == k,
                   f"{init.name}: {k} orphans adopted by PID 1")
        samples = []
        for pid in sleepers(ORPHAN_TAG):
            proc = f"/proc/{pid}"
            t0 = time.perf_counter_ns()
            os.kill(pid, signal.SIGKILL)
            while os.path.exists(proc):  # a zombie keeps its /proc entry until PID 1 reaps it
                pass
            samples.append((time.perf_counter_ns() - t0) / 1000)
        return init.name, statistics.median(samples), sorted(samples)[len(samples) * 99 // 100]
    finally:
        init.kill()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=Path(__file__).resolve().parents[1] / "build")
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--orphans", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("init bench: needs root (PID namespaces); skipped")
        return 0
    work = Path(tempfile.mkdtemp(prefix="gantry-initbench-"))
    try:
        makers = [lambda s: gantry(args.build, work / f"g{time.monotonic_ns()}", s),
                  lambda s: s6(work / f"s{time.monotonic_ns()}", s),
                  lambda s: tini_runit(work / f"r{time.monotonic_ns()}", s)]
        shutdown = {}
        for _ in range(args.rounds):  # interleaved, so a slow moment of the machine hits every init alike
            for make in makers:
                name, secs = measure_shutdown(make, args.jobs)
                shutdown.setdefault(name, []).append(secs)
        reaping = [measure_reaping(make, args.orphans) for make in makers]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nInit (one run; each as PID 1 of a PID namespace; median of {args.rounds} rounds)\n")
    print(f"  shutdown with {args.jobs} services running: SIGTERM to PID 1 -> init exited")
    for name, v in shutdown.items():
        print(f"    {name:<16} {statistics.median(v) * 1000:8.1f} ms   (rounds: "
              + ", ".join(f"{x * 1000:.1f}" for x in v) + ")")
    print(f"  orphan reaping, {args.orphans} orphans: SIGKILL -> reaped")
    for name, med, p99 in reaping:
        print(f"    {name:<16} median {med:7.1f} us   p99 {p99:7.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
