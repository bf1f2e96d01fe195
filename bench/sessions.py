#!/usr/bin/python3
"""make bench, login sessions (issue 14): a system launchd with three Aqua agents in
/etc/launchd/LaunchAgents; 100 times, a real PAM application (pamtester under libpam-wrapper, running
pam_launchd.so) opens a graphical session for nobody and holds it, then closes it:

  open   from starting the PAM application until all three agents' processes run (includes pamtester's
         start and the PAM stack: what a login pays)
  close  from answering pamtester (which then calls pam_close_session) until all three are gone

Median, p90 and max over the runs. Processes are found by scanning /proc every 0.2 ms.
No peer runs here: systemd's user@.service needs systemd as PID 1 and logind, which this machine lacks.
"""
import argparse
import os
import plistlib
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
AGENTS = 3
MARK = "gantry-session-bench"


def agents_running():
    n = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    n += MARK.encode() in f.read()
            except OSError:
                pass
    return n


def wait(cond, limit=20.0):
    end = time.monotonic() + limit
    while not cond():
        if time.monotonic() > end:
            raise SystemExit("timed out")
        time.sleep(0.0002)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=REPO / "build")
    ap.add_argument("--runs", type=int, default=100)
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="gantry-sessions-"))
    agents = root / "etc/launchd/LaunchAgents"
    agents.mkdir(parents=True)
    for i in range(AGENTS):
        with open(agents / f"bench.s{i}.plist", "wb") as f:
            plistlib.dump({"Label": f"bench.s{i}", "RunAtLoad": True,
                           "ProgramArguments": ["/bin/sh", "-c", f"sleep 600; : {MARK}"]}, f)
    pam = root / "pam.d"
    pam.mkdir()
    (root / "passdb").write_text("nobody:secret:bench\n")
    (pam / "bench").write_text(f"auth required /usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so "
                               f"passdb={root / 'passdb'} echo\nsession required "
                               f"{args.build / 'src/pam/pam_launchd.so'}\n")
    env = dict(os.environ, LAUNCHD_ROOT=str(root))
    launchd = subprocess.Popen([str(args.build / "src/launchd/launchd"), "--system"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait(lambda: (root / "run/launchd/launchd.sock").exists())
    penv = dict(env, LD_PRELOAD="/usr/lib/x86_64-linux-gnu/libpam_wrapper.so", PAM_WRAPPER="1",
                PAM_WRAPPER_SERVICE_DIR=str(pam), XDG_SESSION_TYPE="x11")
    opens, closes = [], []
    try:
        for _ in range(args.runs):
            t = time.monotonic()
            p = subprocess.Popen(["pamtester", "bench", "nobody", "open_session", "authenticate", "close_session"],
                                 env=penv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            wait(lambda: agents_running() == AGENTS)
            opens.append(time.monotonic() - t)
            t = time.monotonic()
            p.stdin.write(b"secret\n")
            p.stdin.flush()
            wait(lambda: agents_running() == 0)
            closes.append(time.monotonic() - t)
            p.wait()
    finally:
        launchd.terminate()
        launchd.wait()
    load = os.getloadavg()[0]
    print(f"\nLogin sessions, {args.runs} runs, {AGENTS} Aqua agents (load average at the end: {load:.2f}, "
          f"{os.cpu_count()} CPUs)\n")
    print("| | median | p90 | max |\n|---|---|---|---|")
    for name, xs in (("session open → agents running", opens), ("session closed → agents gone", closes)):
        xs = sorted(xs)
        print(f"| {name} | {statistics.median(xs) * 1000:.2f} ms | {xs[int(len(xs) * 0.9)] * 1000:.2f} ms | "
              f"{xs[-1] * 1000:.2f} ms |")


if __name__ == "__main__":
    sys.exit(main())
