#!/usr/bin/python3
"""make bench, libxpc part (issue 3 targets), all in one run:

  round trip of a 64-byte message with reply: raw AF_UNIX SOCK_SEQPACKET ping-pong, libxpc,
      and sd-bus peer to peer (median and p99), each pinned to one CPU, because a wake-up
      across CPUs costs ~90 us on this VM and would drown the differences; the three run
      interleaved for --rounds rounds (runs on this VM drift by up to 30 %), and the ratios
      use the median over rounds of each one's median;
  one-way throughput on one connection: raw and libxpc;
  user-space memory per idle connection in a service;
  first message to a launchd service that is not running, spawn and check-in included;
  round trips with the client's handlers on libxpc's thread (a synchronous send libxpc's thread
      answers, and a reply handler there that wakes the waiting caller), beside the caller-driven one;
  first message from an app to the XPC service in its bundle (one app process per sample: the
      pid domain, the bundle read, the spawn and the check-in included).
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


def run(build, *args, pin=True):
    cmd = [str(build / "bench/xpc_bench"), *map(str, args)]
    if pin:
        cmd = ["taskset", "-c", "0", *cmd]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode:
        sys.exit(f"{' '.join(cmd)} failed: {out.stderr}")
    return out.stdout.strip()


def first_message(build, rounds):
    """A launchd --user with one on-demand echo service; xpc_bench stops it between rounds."""
    root = Path(tempfile.mkdtemp(prefix="gantry-xpcbench-"))
    agents = root / f"home/{os.getuid()}/.config/launchd/LaunchAgents"
    agents.mkdir(parents=True)
    with open(agents / "bench.echo.plist", "wb") as f:
        plistlib.dump({"Label": "bench.echo", "ProgramArguments": [str(build / "tests/helpers/xpc-echo-service"),
                       "com.gantry.bench.echo"], "MachServices": {"com.gantry.bench.echo": True},
                       "ThrottleInterval": 0}, f)
    env = dict(os.environ, LAUNCHD_ROOT=str(root))
    launchd = subprocess.Popen([str(build / "src/launchd/launchd"), "--user"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (root / "run/launchd/launchd.sock").exists():
            if time.monotonic() > deadline:
                sys.exit("launchd did not start")
            time.sleep(0.01)
        out = subprocess.run([str(build / "bench/xpc_bench"), "first", "com.gantry.bench.echo", str(rounds)],
                             env=env, capture_output=True, text=True, timeout=600)
        if out.returncode:
            sys.exit(f"first-message failed: {out.stderr}")
        return out.stdout.strip()
    finally:
        launchd.send_signal(signal.SIGTERM)
        launchd.wait(timeout=60)


def first_bundled(build, rounds):
    """An app bundle whose executable is xpc_bench and whose XPC service is the echo service (xpc_main)."""
    root = Path(tempfile.mkdtemp(prefix="gantry-xpcbundle-"))
    build = build.resolve()  # the service starts in /
    app = root / "Bench.app"
    (app / "Contents/MacOS").mkdir(parents=True)
    shutil.copy(build / "bench/xpc_bench", app / "Contents/MacOS/bench")
    svc = app / "Contents/XPCServices/com.gantry.bench.helper.xpc/Contents"
    (svc / "MacOS").mkdir(parents=True)
    shutil.copy(build / "tests/helpers/xpc-echo-service", svc / "MacOS/helper")
    with open(svc / "Info.plist", "wb") as f:
        plistlib.dump({"CFBundleIdentifier": "com.gantry.bench.helper", "CFBundleExecutable": "helper",
                       "XPCService": {"ServiceType": "Application",
                                      "EnvironmentVariables": {"LD_LIBRARY_PATH": str(build / "src/libxpc")}}}, f)
    env = dict(os.environ, LAUNCHD_ROOT=str(root))
    launchd = subprocess.Popen([str(build / "src/launchd/launchd"), "--user"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not (root / "run/launchd/launchd.sock").exists():
            if time.monotonic() > deadline:
                sys.exit("launchd did not start")
            time.sleep(0.01)
        # the copies' build-tree RUNPATH ($ORIGIN/...) does not hold inside the bundle
        app_env = dict(env, LD_LIBRARY_PATH=str(build / "src/libxpc"))
        samples = []
        for _ in range(rounds):
            out = subprocess.run([str(app / "Contents/MacOS/bench"), "first-bundled", "com.gantry.bench.helper"],
                                 env=app_env, capture_output=True, text=True, timeout=60)
            if out.returncode:
                sys.exit(f"first-bundled failed: {out.stderr}")
            samples.append(float(out.stdout) / 1000)
        samples.sort()
        return (f"first-bundled median={samples[len(samples) // 2]:.2f} "
                f"p99={samples[min(len(samples) - 1, int(len(samples) * 0.99))]:.2f} ms")
    finally:
        launchd.send_signal(signal.SIGTERM)
        launchd.wait(timeout=60)
        shutil.rmtree(root, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=Path(__file__).resolve().parents[1] / "build")
    ap.add_argument("--round-trips", type=int, default=20000)
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--first-rounds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    if not (args.build / "bench/xpc_bench").exists():
        sys.exit("bench/xpc_bench was not built: it needs libsystemd-dev (make bench installs it)")
    modes = ("rtt-raw", "rtt-xpc", "rtt-xpc-thread", "rtt-xpc-thread-async", "rtt-sdbus")
    rounds = [[run(args.build, mode, args.round_trips) for mode in modes] for _ in range(args.rounds)]
    lines = [line for r in rounds for line in r]
    lines += [run(args.build, mode, args.messages) for mode in ("tput-raw", "tput-xpc")]
    lines.append(run(args.build, "idle-mem", 1000, pin=False))
    lines.append(first_message(args.build, args.first_rounds))
    lines.append(first_bundled(args.build, args.first_rounds * 3))
    print("\nlibxpc (one run; round trips pinned to one CPU)\n")
    for line in lines:
        print("  " + line)
    def median(values):
        return sorted(values)[len(values) // 2]
    med = {m: median([float(r[i].split("median=")[1].split()[0]) for r in rounds]) for i, m in enumerate(modes)}
    print("\n  median over %d rounds: " % args.rounds + ", ".join(f"{m} {med[m]:.2f} us" for m in modes))
    print(f"\nround trip: libxpc {med['rtt-xpc'] / med['rtt-raw']:.2f}x the raw socket, "
          f"{med['rtt-sdbus'] / med['rtt-xpc']:.2f}x faster than sd-bus")
    print(f"handlers on libxpc's thread: +{med['rtt-xpc-thread'] - med['rtt-xpc']:.2f} us synchronous, "
          f"+{med['rtt-xpc-thread-async'] - med['rtt-xpc']:.2f} us with a reply handler, over caller-driven; "
          f"{med['rtt-sdbus'] / med['rtt-xpc-thread-async']:.2f}x sd-bus's time")


if __name__ == "__main__":
    main()
