#!/usr/bin/python3
"""make bench, output capture part (issue 14 targets), side by side in one run:

  throughput  a job writing 100 MiB of 100-byte lines to stdout (cat of a file in the page cache), until
              every line is stored: through launchd's capture (a file with a timestamp, run and stream per
              line), through launchd into an absolute StandardOutPath (unchanged bytes; reopened after a
              rotation), straight into a file by the job's own descriptor (a relative StandardOutPath,
              which launchd leaves to the job), and piped into runit's
              svlogd -tt and s6-log T (a timestamp per line, as each stores them); lines counted in what
              each stored; launchd's CPU per MiB from /proc.
  idle        N jobs each printing one line per second: launchd's CPU and PSS over a window, against N
              svlogd and N s6-log processes fed the same way (their summed CPU and PSS).
"""
import argparse
import os
import plistlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINE = b"x" * 99 + b"\n"


def cpu_seconds(pid):
    """Time on a CPU, in nanoseconds from the scheduler (tick-based utime+stime misses short bursts)."""
    try:
        with open(f"/proc/{pid}/schedstat") as f:
            return int(f.read().split()[0]) / 1e9
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
    except (FileNotFoundError, ProcessLookupError, StopIteration):
        return 0


def wait_until(cond, what, timeout=300, interval=0.005):
    end = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > end:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(interval)


def count_lines(paths):
    n = 0
    for p in paths:
        with open(p, "rb") as f:
            while chunk := f.read(1 << 20):
                n += chunk.count(b"\n")
    return n


class Launchd:
    def __init__(self, build, work, args=()):
        self.root = work / "root"
        self.env = dict(os.environ, LAUNCHD_ROOT=str(self.root))
        self.agents = self.root / f"home/{os.getuid()}/.config/launchd/LaunchAgents"
        self.agents.mkdir(parents=True)
        self.ctl = str(build / "src/launchctl/launchctl")
        self.proc = subprocess.Popen([str(build / "src/launchd/launchd"), "--user", *args], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: subprocess.run([self.ctl, "print", f"gui/{os.getuid()}"], env=self.env,
                                          capture_output=True).returncode == 0, "launchd")

    def load(self, label, **keys):
        path = self.agents / f"{label}.plist"
        with open(path, "wb") as f:
            plistlib.dump({"Label": label, **keys}, f)
        subprocess.run([self.ctl, "bootstrap", f"gui/{os.getuid()}", str(path)], env=self.env, check=True,
                       capture_output=True)

    def kickstart(self, label):
        subprocess.run([self.ctl, "kickstart", f"gui/{os.getuid()}/{label}"], env=self.env, check=True,
                       capture_output=True)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)


def throughput(build, work, mib):
    data = work / "lines.txt"
    with open(data, "wb") as f:
        f.write(LINE * (mib * 1024 * 1024 // len(LINE)))
    lines = mib * 1024 * 1024 // len(LINE)
    subprocess.run(["cat", str(data)], stdout=subprocess.DEVNULL, check=True)  # in the page cache
    results = []
    g = Launchd(build, work / "gantry", ["--capture-file", str(4 << 30)])
    try:
        g.load("bench.capture", ProgramArguments=["/bin/cat", str(data)])
        g.load("bench.through", ProgramArguments=["/bin/cat", str(data)], StandardOutPath=str(work / "through.out"))
        g.load("bench.direct", ProgramArguments=["/bin/cat", str(data)], WorkingDirectory=str(work),
               StandardOutPath="direct.out")
        log = g.root / f"home/{os.getuid()}/.local/state/launchd/logs/gui.{os.getuid()}/bench.capture.log"
        per_line = len("2026-11-30T18:30:00.123Z 1 stdout ") + len(LINE)
        cpu0, t0 = cpu_seconds(g.proc.pid), time.monotonic()
        g.kickstart("bench.capture")
        wait_until(lambda: log.exists() and log.stat().st_size >= lines * per_line, "capture to store every line")
        secs, cpu = time.monotonic() - t0, cpu_seconds(g.proc.pid) - cpu0
        results.append(("Gantry capture", secs, count_lines([log]), cpu / mib * 1000))
        for label, name, out in [("bench.through", "StandardOutPath", work / "through.out"),
                                 ("bench.direct", "job's descriptor", work / "direct.out")]:
            cpu0, t0 = cpu_seconds(g.proc.pid), time.monotonic()
            g.kickstart(label)
            wait_until(lambda: out.exists() and out.stat().st_size >= lines * len(LINE), f"{name}: the file")
            secs, cpu = time.monotonic() - t0, cpu_seconds(g.proc.pid) - cpu0
            results.append((name, secs, count_lines([out]), cpu / mib * 1000 if label == "bench.through" else None))
    finally:
        g.stop()
    for name, argv in [("runit svlogd -tt", ["svlogd", "-tt"]), ("s6-log T", ["s6-log", "-b", "T", "s268435455"])]:
        d = work / name.split()[0]
        d.mkdir()
        if name.startswith("runit"):
            (d / "config").write_text("s2000000000\n")
        t0 = time.monotonic()
        subprocess.run(f"cat {data} | {' '.join(argv)} {d}", shell=True, check=True)
        results.append((name, time.monotonic() - t0, count_lines([*d.glob("@*"), d / "current"]), None))
    return lines, results


def idle(build, work, n, window):
    g = Launchd(build, work / "idle-gantry")
    tick = ["/bin/sh", "-c", "while :; do echo tick; sleep 1; done"]
    pss_before = pss_kib(g.proc.pid)
    try:
        for i in range(n):
            with open(g.agents / f"bench.tick{i}.plist", "wb") as f:
                plistlib.dump({"Label": f"bench.tick{i}", "ProgramArguments": tick, "RunAtLoad": True}, f)
        subprocess.run([g.ctl, "bootstrap", f"gui/{os.getuid()}", str(g.agents)], env=g.env, capture_output=True)
        time.sleep(3)
        cpu0 = cpu_seconds(g.proc.pid)
        time.sleep(window)
        gantry = (cpu_seconds(g.proc.pid) - cpu0, pss_kib(g.proc.pid), pss_before)
    finally:
        g.stop()
    peers = {}
    for name, logger in [("svlogd", "svlogd -tt"), ("s6-log", "s6-log T")]:
        procs = []
        for i in range(n):
            d = work / f"idle-{name}/{i}"
            d.mkdir(parents=True)
            procs.append(subprocess.Popen(f"while :; do echo tick; sleep 1; done | exec {logger} {d}", shell=True,
                                          start_new_session=True))
        time.sleep(3)
        pids = [int(p) for pr in procs for p in open(f"/proc/{pr.pid}/task/{pr.pid}/children").read().split()
                if open(f"/proc/{p}/comm").read().strip() in ("svlogd", "s6-log")]
        cpu0 = sum(cpu_seconds(p) for p in pids)
        time.sleep(window)
        peers[name] = (sum(cpu_seconds(p) for p in pids) - cpu0, sum(pss_kib(p) for p in pids), len(pids))
        for pr in procs:
            os.killpg(pr.pid, signal.SIGKILL)
            pr.wait()
    return gantry, peers


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=Path(__file__).resolve().parents[1] / "build")
    ap.add_argument("--mib", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--window", type=int, default=30)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="gantry-capbench-"))
    try:
        lines, results = throughput(args.build, work, args.mib)
        gantry, peers = idle(args.build, work, args.jobs, args.window)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nOutput capture (one run)\n\n  {args.mib} MiB, {lines} lines to stdout, until all stored")
    for name, secs, stored, cpu in results:
        extra = f", launchd {cpu:.1f} ms CPU per MiB" if cpu is not None else ""
        print(f"    {name:<18} {secs * 1000:8.0f} ms  {args.mib / secs:7.1f} MiB/s  lines stored {stored}"
              f" (lost {lines - stored}){extra}")
    cpu, pss, pss_before = gantry
    print(f"  {args.jobs} jobs, a line a second each, over {args.window} s")
    print(f"    Gantry launchd     CPU {cpu:6.2f} s  PSS {pss / 1024:6.1f} MiB ({(pss - pss_before) / 1024:.1f} MiB "
          "more than with no job)")
    for name, (cpu, pss, count) in peers.items():
        print(f"    {count} x {name:<12} CPU {cpu:6.2f} s  PSS {pss / 1024:6.1f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
