#!/usr/bin/python3
"""make bench, hardening part (issue 9 targets), against one system launchd (needs root):

  hostile clients, each run by uid 65534 while root runs `launchctl list` 200 times (its latency,
      p50 and p99, is the number): 2,000 idle connections held open, 20 clients that send
      requests and never read the replies, 20,000 connection attempts in a row; and launchd's
      RSS before the attacks and after the attackers left;
  kill -9 / restart cycles with 1,000 KeepAlive jobs and 10 overrides: after each restart,
      jobs with no instance, jobs with two, overrides lost, and the time until all run again.
"""
import argparse
import os
import plistlib
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests/e2e"))
from rawxpc import Raw, encode, frame  # noqa: E402


def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, len(v) * p // 100)]


class System:
    def __init__(self, build, jobs=0):
        self.build = build
        self.root = Path(tempfile.mkdtemp(prefix="gantry-hostile-"))
        self.root.chmod(0o755)
        self.env = dict(os.environ, LAUNCHD_ROOT=str(self.root))
        self.daemons = self.root / "etc/launchd/LaunchDaemons"
        self.daemons.mkdir(parents=True)
        self.socket = self.root / "run/launchd/launchd.sock"
        for i in range(jobs):
            with open(self.daemons / f"b.keep{i}.plist", "wb") as f:
                plistlib.dump({"Label": f"b.keep{i}", "ProgramArguments": ["/bin/sleep", str(8_000_000 + i)],
                               "KeepAlive": True}, f)

    def start(self):
        self.proc = subprocess.Popen([str(self.build / "src/launchd/launchd"), "--system"], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        end = time.monotonic() + 30
        while time.monotonic() < end and self.ctl("version").returncode != 0:
            time.sleep(0.01)
        return self

    def ctl(self, *args):
        return subprocess.run([str(self.build / "src/launchctl/launchctl"), *map(str, args)], env=self.env,
                              capture_output=True, text=True)

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)


def as_nobody_connections(path, n, keep):
    """n raw connections made by uid 65534 (in a child), handed back over a socket pair."""
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
        for _ in range(n):
            try:
                r = Raw(path)
            except OSError:
                continue
            if keep:
                socket.send_fds(b, [b"x"], [r.s.fileno()])
            r.close()
        os._exit(0)
    fds = []
    if keep:
        a.settimeout(30)
        try:
            while len(fds) < n:
                _, got, _, _ = socket.recv_fds(a, 1, 1)
                fds += got
        except (socket.timeout, OSError):
            pass
    os.waitpid(pid, 0)
    return [socket.socket(fileno=fd) for fd in fds]


def list_latency(g, rounds=200):
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        r = g.ctl("list")
        times.append((time.perf_counter() - t) * 1000)
        assert r.returncode == 0, r.stderr
    return times


def attack(name, g, during):
    stop = threading.Event()
    t = threading.Thread(target=during, args=(stop,))
    t.start()
    time.sleep(0.5)
    lat = list_latency(g)
    stop.set()
    t.join()
    print(f"| {name} | {pct(lat, 50):.2f} | {pct(lat, 99):.2f} | {g.rss_kib()} |")


def hostile_clients(build):
    g = System(build).start()
    lat = list_latency(g)
    before = g.rss_kib()
    print("| attack by uid 65534 | root's `launchctl list` p50 ms | p99 ms | launchd RSS KiB during |")
    print("|---|---|---|---|")
    print(f"| none | {pct(lat, 50):.2f} | {pct(lat, 99):.2f} | {before} |")

    def idle(stop):
        conns = as_nobody_connections(g.socket, 2000, keep=True)
        stop.wait()
        for c in conns:
            c.close()

    def non_readers(stop):
        conns = as_nobody_connections(g.socket, 20, keep=True)
        body = frame(encode({"routine": "print", "domain": "system"}), 1)
        for c in conns:
            c.setblocking(False)
        while not stop.is_set():
            for c in conns:
                try:
                    c.send(body)
                except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                    pass
            time.sleep(0.001)
        for c in conns:
            c.close()

    def flood(stop):
        as_nobody_connections(g.socket, 20000, keep=False)
        stop.wait()

    attack("2,000 idle connections held", g, idle)
    attack("20 clients that never read", g, non_readers)
    attack("20,000 connection attempts", g, flood)
    time.sleep(1)
    after = g.rss_kib()
    print(f"\nlaunchd RSS before the attacks {before} KiB, after the attackers left {after} KiB "
          f"({after - before:+d} KiB)")
    g.stop()


def instances():
    """sleep tag -> pids, from one pass over /proc."""
    found = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if len(args) >= 2 and args[0] == b"/bin/sleep" and args[1].startswith(b"8"):
            found.setdefault(args[1].decode(), []).append(int(pid))
    return found


def restart_cycles(build, jobs=1000, cycles=3):
    g = System(build, jobs=jobs).start()
    tags = {str(8_000_000 + i) for i in range(jobs)}
    disabled = {f"b.keep{i}" for i in range(0, jobs, jobs // 10)}
    for label in disabled:
        assert g.ctl("disable", f"system/{label}").returncode == 0
    end = time.monotonic() + 120
    while time.monotonic() < end and len(instances()) < jobs:
        time.sleep(0.1)
    print("\n| cycle | jobs with no instance | jobs with two or more | overrides lost | all running again after s |")
    print("|---|---|---|---|---|")
    expect = {str(8_000_000 + i) for i in range(jobs) if f"b.keep{i}" not in disabled}
    for cycle in range(1, cycles + 1):
        g.proc.send_signal(signal.SIGKILL)
        g.proc.wait()
        t = time.monotonic()
        g.start()
        end = t + 120
        while time.monotonic() < end:
            now = instances()
            if set(now) == expect and all(len(p) == 1 for p in now.values()):
                break
            time.sleep(0.05)
        took = time.monotonic() - t
        now = instances()
        time.sleep(2)  # anything late (a second copy) shows up now
        now = instances()
        missing = len(expect - set(now))
        doubled = sum(1 for p in now.values() if len(p) > 1) + len(set(now) - expect)
        out = g.ctl("print-disabled", "system").stdout
        lost = sum(1 for label in disabled if f'"{label}" => disabled' not in out)
        print(f"| {cycle} | {missing} | {doubled} | {lost} | {took:.2f} |")
    g.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", type=Path, required=True)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench/hostile.py needs root (it runs the system launchd and attacks it as uid 65534); skipped")
        return
    print("## Hardening: hostile clients and crash-restart (one system launchd)\n")
    with open("/proc/loadavg") as f:
        print(f"load average at start: {f.read().split()[0]}\n")
    hostile_clients(args.build)
    restart_cycles(args.build)


if __name__ == "__main__":
    main()
