#!/usr/bin/python3
"""make bench, triggers part (issue 5 targets), in one run of launchd --user:

  first connection to a socket-activated service: connect -> first reply, spawn included (the
      service answers once and exits, so every round starts it again; rounds are 1.1 s apart,
      past the 1 s respawn floor), against the same service already running;
  1000 jobs each with a StartCalendarInterval and a WatchPaths: launchd's CPU ticks and
      context switches over an idle minute, and its memory per trigger (PSS with those 1000
      jobs minus PSS with 1000 identical jobs without triggers, over 2000 triggers);
  timer accuracy: how far from due StartInterval (1 s) and StartCalendarInterval (every minute)
      starts happen, measured as the job's first instruction (`date +%s.%N`).
"""
import argparse
import os
import plistlib
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median(v):
    return sorted(v)[len(v) // 2]


def p99(v):
    return sorted(v)[min(len(v) - 1, len(v) * 99 // 100)]


class Launchd:
    def __init__(self, build):
        self.build = build
        self.root = Path(tempfile.mkdtemp(prefix="gantry-trigbench-"))
        self.env = dict(os.environ, LAUNCHD_ROOT=str(self.root))
        self.agents = self.root / f"home/{os.getuid()}/.config/launchd/LaunchAgents"
        self.agents.mkdir(parents=True)
        self.proc = subprocess.Popen([str(build / "src/launchd/launchd"), "--user"], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        sock = self.root / "run/launchd/launchd.sock"
        end = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < end:
            time.sleep(0.01)
        self.domain = f"gui/{os.getuid()}"

    def ctl(self, *args):
        return subprocess.run([str(self.build / "src/launchctl/launchctl"), *map(str, args)], env=self.env,
                              capture_output=True, text=True, check=True)

    def load(self, label, **keys):
        path = self.agents / f"{label}.plist"
        with open(path, "wb") as f:
            plistlib.dump({"Label": label, **keys}, f)
        return path

    def pss_kib(self):
        with open(f"/proc/{self.proc.pid}/smaps_rollup") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("Pss:"))

    def cpu_and_switches(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = int(fields[11]) + int(fields[12])
        with open(f"/proc/{self.proc.pid}/status") as f:
            sw = sum(int(line.split()[1]) for line in f if "ctxt_switches" in line)
        return ticks, sw

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)


def ask(path):
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(b"x")
        s.shutdown(socket.SHUT_WR)
        return s.recv(100)


def socket_latency(build, rounds):
    ld = Launchd(build)
    try:
        echo = str(build / "tests/helpers/socket-echo")
        once, kept = str(ld.root / "once.sock"), str(ld.root / "kept.sock")
        for label, sock, count in (("b.once", once, "1"), ("b.kept", kept, "-1")):
            ld.ctl("bootstrap", ld.domain, ld.load(label, ProgramArguments=[echo, "--count", count],
                                                   Sockets={"L": {"SockPathName": sock}}, ThrottleInterval=0))
        cold, warm = [], []
        for _ in range(rounds):
            t = time.perf_counter()
            ask(once)
            cold.append((time.perf_counter() - t) * 1000)
            time.sleep(1.1)  # past the 1 s respawn floor, so the next round is not throttled
        ask(kept)  # started once; from now on it runs
        for _ in range(rounds * 5):
            t = time.perf_counter()
            ask(kept)
            warm.append((time.perf_counter() - t) * 1000)
    finally:
        ld.stop()
    return (f"socket-first-connection median={median(cold):.3f} p99={p99(cold):.3f} ms (n={len(cold)})",
            f"socket-already-running median={median(warm):.3f} p99={p99(warm):.3f} ms (n={len(warm)})")


def idle_and_memory(build, jobs, idle_s):
    ld = Launchd(build)
    try:
        watched = ld.root / "watched"
        watched.mkdir()
        for i in range(jobs):  # the same jobs without triggers, for the baseline
            ld.load(f"b.plain.{i}", ProgramArguments=["/bin/true"])
        ld.ctl("bootstrap", ld.domain, ld.agents)
        plain = ld.pss_kib()
        ld.ctl("bootout", ld.domain, ld.agents)
        for p in ld.agents.iterdir():
            p.unlink()
        for i in range(jobs):
            ld.load(f"b.trig.{i}", ProgramArguments=["/bin/true"], StartCalendarInterval={"Hour": 3, "Minute": i % 60},
                    WatchPaths=[str(watched / f"f{i}")])
        ld.ctl("bootstrap", ld.domain, ld.agents)
        triggered = ld.pss_kib()
        before = ld.cpu_and_switches()
        time.sleep(idle_s)
        after = ld.cpu_and_switches()
    finally:
        ld.stop()
    per = (triggered - plain) * 1024 / (2 * jobs)
    return (f"idle-{idle_s}s-with-{jobs}-calendar+watch-jobs cpu_ticks={after[0] - before[0]} "
            f"context_switches={after[1] - before[1]}",
            f"memory-per-trigger {per:.0f} bytes (PSS {plain} KiB plain, {triggered} KiB with triggers)")


def accuracy(build, interval_fires, calendar_fires):
    ld = Launchd(build)
    try:
        out_i, out_c = ld.root / "interval.times", ld.root / "calendar.times"
        for label, out, keys in (("b.interval", out_i, {"StartInterval": 1}),
                                 ("b.calendar", out_c, {"StartCalendarInterval": {}})):
            ld.ctl("bootstrap", ld.domain, ld.load(label, ProgramArguments=["/bin/sh", "-c", f"date +%s.%N >> {out}"],
                                                   ThrottleInterval=0, **keys))
        end = time.monotonic() + 70 * calendar_fires
        while time.monotonic() < end:
            n = len(out_c.read_text().split()) if out_c.exists() else 0
            if n >= calendar_fires:
                break
            time.sleep(1)
        iv = [float(x) for x in out_i.read_text().split()][: interval_fires + 1]
        cal = [float(x) for x in out_c.read_text().split()] if out_c.exists() else []
    finally:
        ld.stop()
    # interval: lateness of each start against the first start plus whole periods
    late_i = [abs(t - iv[0] - round(t - iv[0])) * 1000 for t in iv[1:]]
    late_c = [(t % 60) * 1000 for t in cal]  # due on the minute
    return (f"interval-deviation median={median(late_i):.1f} p99={p99(late_i):.1f} ms (n={len(late_i)})",
            f"calendar-lateness median={median(late_c):.1f} max={max(late_c):.1f} ms (n={len(late_c)})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=Path(__file__).resolve().parents[1] / "build")
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--idle", type=int, default=60)
    ap.add_argument("--calendar-fires", type=int, default=2)
    args = ap.parse_args()
    lines = [*socket_latency(args.build, args.rounds), *idle_and_memory(args.build, args.jobs, args.idle),
             *accuracy(args.build, 30, args.calendar_fires)]
    print("\nTriggers (one run, launchd --user)\n")
    for line in lines:
        print("  " + line)


if __name__ == "__main__":
    sys.exit(main())
