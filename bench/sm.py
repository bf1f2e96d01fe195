#!/usr/bin/python3
"""make bench, Service Management part (issue 4 targets), in one run:

  register of an agent to its first instance running: SMAppServiceRegister() in a process of
      the app, until the agent's first byte arrives on a FIFO; each round unregisters again;
  status: SMAppServiceGetStatus() of the registered agent;
  reference: the legacy way to the same result, `launchctl bootstrap` of an equivalent plist
      (an exec of launchctl included, as a packager's script would pay it) until the first byte.
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


def median(values):
    return sorted(values)[len(values) // 2]


def p99(values):
    return sorted(values)[min(len(values) - 1, len(values) * 99 // 100)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=Path(__file__).resolve().parents[1] / "build")
    ap.add_argument("--rounds", type=int, default=200)
    args = ap.parse_args()
    b = args.build
    root = Path(tempfile.mkdtemp(prefix="gantry-smbench-"))
    env = dict(os.environ, LAUNCHD_ROOT=str(root))
    launchd = subprocess.Popen([str(b / "src/launchd/launchd"), "--user"], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    sock = root / "run/launchd/launchd.sock"
    end = time.monotonic() + 10
    while not sock.exists() and time.monotonic() < end:
        time.sleep(0.01)
    try:
        fifo = root / "ping"
        os.mkfifo(fifo)
        app = root / "Bench.app"
        (app / "Contents/MacOS").mkdir(parents=True)
        (app / "Contents/Library/LaunchAgents").mkdir(parents=True)
        shutil.copy2(b / "bench/fifoping", app / "Contents/MacOS/fifoping")
        with open(app / "Contents/Info.plist", "wb") as f:
            plistlib.dump({"CFBundleIdentifier": "com.gantry.bench", "CFBundleExecutable": "fifoping"}, f)
        job = {"Label": "com.gantry.bench.agent", "ProgramArguments": ["fifoping", str(fifo)], "RunAtLoad": True}
        with open(app / "Contents/Library/LaunchAgents/agent.plist", "wb") as f:
            plistlib.dump(dict(job, BundleProgram="Contents/MacOS/fifoping"), f)
        out = subprocess.run([str(b / "tests/helpers/sm-tool"), "-b", str(app), "bench", str(args.rounds), "agent",
                              "agent.plist", str(fifo)], env=env, capture_output=True, text=True, timeout=600)
        if out.returncode:
            sys.exit(f"sm-tool bench failed: {out.stdout}{out.stderr}")
        legacy_plist = root / "legacy.plist"
        with open(legacy_plist, "wb") as f:
            plistlib.dump(dict(job, Label="com.gantry.bench.legacy", Program=str(b / "bench/fifoping")), f)
        ctl = str(b / "src/launchctl/launchctl")
        fd = os.open(fifo, os.O_RDWR)
        legacy = []
        for _ in range(args.rounds):
            t = time.monotonic()
            subprocess.run([ctl, "bootstrap", f"gui/{os.getuid()}", str(legacy_plist)], env=env, check=True)
            os.read(fd, 1)
            legacy.append((time.monotonic() - t) * 1000)
            subprocess.run([ctl, "bootout", f"gui/{os.getuid()}/com.gantry.bench.legacy"], env=env, check=True)
        os.close(fd)
    finally:
        launchd.send_signal(signal.SIGTERM)
        launchd.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    print(f"\nService Management (one run, {args.rounds} rounds, launchd --user)\n")
    for line in out.stdout.strip().splitlines():
        print("  " + line)
    print(f"  launchctl-bootstrap-to-running median={median(legacy):.3f} p99={p99(legacy):.3f} ms (n={len(legacy)})")


if __name__ == "__main__":
    main()
