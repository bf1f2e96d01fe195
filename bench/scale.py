#!/usr/bin/python3
"""make bench: how Gantry's launchd scales from 1,000 to 10,000 jobs, in one run (issue #10 targets:
start-all at 10,000 within 10.5x the 1,000-job figure, `launchctl list` within 50 ms, PSS within
20 MiB). The same trivial KeepAlive `sleep` agents as bench/run.py, one launchd --user each size:

  start-all   time from starting launchd until every job's process ran (bench/stamp)
  list        `launchctl list`, median of 10
  pss         launchd's PSS with every job running
  stop        SIGTERM to launchd until it exited, every job stopped

10,000 jobs need 10,000 pids, and descriptors: launchd raises its own soft limit to the hard limit
and says so in its log when that is too low for the jobs it runs.
"""
import argparse
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run  # noqa: E402  (bench/run.py: the Gantry supervisor, stamps, PSS, list timing)


def measure(n, build, stamp, tag, tmp):
    sup = run.Gantry(tmp / f"n{n}", n, tag, stamp, build)
    args = argparse.Namespace(jobs=n)
    start_all = run.time_start(sup, args)
    time.sleep(2)  # let start-up settle
    result = {"jobs": n, "start_all_s": start_all, "running": run.count_tag(tag),
              "pss_kib": run.pss_kib(sup.pids()), "list_ms": run.measure_list(sup, rounds=10)}
    t = time.monotonic()
    sup.stop()
    result["stop_s"] = time.monotonic() - t
    run.stop(sup)  # anything left (nothing should be)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=Path(__file__).resolve().parents[1] / "build")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = max(args.sizes) + 512  # a pidfd per running job, and launchd's own
    if hard < need:
        print(f"RLIMIT_NOFILE hard limit {hard} is below the {need} this run needs; raise it (ulimit -Hn)",
              file=sys.stderr)
        sys.exit(1)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by launchd, as from a service manager
    stamp = args.build / "bench/stamp"
    tmp = Path(tempfile.mkdtemp(prefix="gantry-scale-"))
    results = []
    try:
        for i, n in enumerate(args.sizes):
            print(f"== gantry launchd: {n} jobs ...", file=sys.stderr, flush=True)
            results.append(measure(n, args.build, stamp, f"86400.{90 + i}", tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nScaling (load average at the end: {os.getloadavg()[0]:.2f}, {os.cpu_count()} CPUs)\n")
    print("| jobs | all running after | running | launchctl list | launchd PSS | stop all |")
    print("|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['jobs']} | {run.fmt(r['start_all_s'], '.3f')} s | {r['running']} | {r['list_ms']:.2f} ms | "
              f"{r['pss_kib'] / 1024:.2f} MiB | {r['stop_s']:.2f} s |")
    if len(results) == 2 and all(r["start_all_s"] for r in results):
        a, b = results
        print(f"\nstart-all {b['jobs']} / {a['jobs']}: {b['start_all_s'] / a['start_all_s']:.1f}x for "
              f"{b['jobs'] / a['jobs']:.0f}x the jobs (target <= 10.5x); list at {b['jobs']}: {b['list_ms']:.1f} ms "
              f"(target <= 50); PSS {b['pss_kib'] / 1024:.1f} MiB (target <= 20)")


if __name__ == "__main__":
    main()
