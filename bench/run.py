#!/usr/bin/python3
"""make bench: Gantry's launchd side by side with runit and s6, in one run, on N
trivial `sleep` services (issue #2 targets):

  spawn-all   time from starting the supervisor until all N services run
  pss         supervisor memory (PSS, every supervisor process) with N loaded
  idle        CPU time and context switches (wake-ups) of the supervisor over a window
  list        `launchctl list` (Gantry) / `sv status` (runit) with N loaded
  respawn     SIGKILL of a service that ran longer than its throttle -> its new process
              exec'd (measured by bench/stamp, same monotonic clock), median over R kills

Every service runs the same script under every supervisor: `#!/bin/sh`, then
`exec stamp FILE sleep TAG`, where bench/stamp records the monotonic time at which the
service started; "all running" is the latest of those stamps, so the harness only
counts files (cheaply) instead of scanning /proc while the supervisors work. Nothing here touches the real system: each supervisor gets its own
directory under a temporary root and is stopped at the end.
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

POLL = 0.002  # seconds between /proc scans while waiting for services


def now():
    return time.monotonic()


def procs():
    """pid -> (ppid, argv) for every process."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")[:-1]
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        out[int(d)] = (ppid, [a.decode(errors="replace") for a in argv])
    return out


def count_tag(tag):
    return sum(1 for _, argv in procs().values() if argv == ["sleep", tag])


def descendants(root_pid, names):
    """root_pid and its descendants whose argv[0] basename is in names."""
    table = procs()
    result, frontier = {root_pid}, [root_pid]
    while frontier:
        p = frontier.pop()
        for pid, (ppid, argv) in table.items():
            if ppid == p and pid not in result and argv and os.path.basename(argv[0]) in names:
                result.add(pid)
                frontier.append(pid)
    return sorted(result)


def pss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += sum(int(line.split()[1]) for line in f if line.startswith("Pss:"))
        except FileNotFoundError:
            pass
    return total


def cpu_and_switches(pids):
    ticks = switches = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks += int(fields[11]) + int(fields[12])
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        switches += int(line.split()[1])
        except FileNotFoundError:
            pass
    return ticks, switches


def write_script(path, body):
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(0o755)
    return path


def age(path):
    """runsvdir waits a second for directories modified in the last second; age them for every peer."""
    old = time.time() - 10
    for dirpath, dirnames, filenames in os.walk(path):
        for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
            os.utime(name, (old, old), follow_symlinks=False)


class Supervisor:
    names = ()

    def __init__(self, base, n, tag, stamp):
        self.base, self.n, self.tag, self.stamp = base, n, tag, stamp
        self.stamps = base / "stamps"
        self.stamps.mkdir(parents=True)
        # The service's name is its only argument: the stamp file it writes.
        self.service = write_script(base / "service.sh", f'exec {stamp} {self.stamps}/"$1" sleep {tag}')
        self.stampfile = self.stamps / "s0"  # the service whose respawns are timed

    def pids(self):
        return descendants(self.proc.pid, self.names)

    def list_cmd(self):
        return None


class Gantry(Supervisor):
    name = "gantry launchd"
    names = ("launchd",)

    def __init__(self, base, n, tag, stamp, build):
        super().__init__(base, n, tag, stamp)
        self.build = build
        self.env = dict(os.environ, LAUNCHD_ROOT=str(base / "root"))
        agents = base / f"root/home/{os.getuid()}/.config/launchd/LaunchAgents"
        agents.mkdir(parents=True)
        plist = ('<?xml version="1.0" encoding="UTF-8"?>\n<plist version="1.0"><dict>'
                 "<key>Label</key><string>{label}</string>"
                 "<key>ProgramArguments</key><array><string>{prog}</string><string>s{i}</string></array>"
                 "<key>KeepAlive</key><true/><key>ThrottleInterval</key><integer>1</integer>"
                 "</dict></plist>\n")
        for i in range(n):
            (agents / f"bench.{i}.plist").write_text(plist.format(label=f"bench.{i}", prog=self.service, i=i))
        age(base)

    def start(self):
        self.proc = subprocess.Popen([str(self.build / "src/launchd/launchd"), "--user"], env=self.env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def list_cmd(self):
        return [str(self.build / "src/launchctl/launchctl"), "list"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


class Runit(Supervisor):
    name = "runit"
    names = ("runsvdir", "runsv")

    def __init__(self, base, n, tag, stamp):
        super().__init__(base, n, tag, stamp)
        self.svdir = base / "service"
        for i in range(n):  # runsvdir supervises at most 1000 services
            d = self.svdir / f"s{i}"
            d.mkdir(parents=True)
            write_script(d / "run", f"exec {self.service} s{i}")
        age(base)

    def start(self):
        self.proc = subprocess.Popen(["runsvdir", "-P", str(self.svdir)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def list_cmd(self):
        return ["sh", "-c", f"sv status {self.svdir}/*"]

    def stop(self):
        self.proc.send_signal(signal.SIGHUP)  # runsvdir: TERM every runsv, which stops its service
        self.proc.wait(timeout=60)


class S6(Runit):
    name = "s6"
    names = ("s6-svscan", "s6-supervise")

    def start(self):
        self.proc = subprocess.Popen(["s6-svscan", "-c", str(4 * self.n + 16), str(self.svdir)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)

    def list_cmd(self):
        return None

    def stop(self):
        subprocess.run(["s6-svscanctl", "-t", str(self.svdir)], check=False)
        self.proc.wait(timeout=60)


class Floor(Supervisor):
    """Not a supervisor: a bare posix_spawn loop, the floor for starting N services here."""
    name = "posix_spawn loop (floor)"
    names = ("spawnfloor",)

    def __init__(self, base, n, tag, stamp, build):
        super().__init__(base, n, tag, stamp)
        self.build = build

    def start(self):
        self.proc = subprocess.Popen([str(self.build / "bench/spawnfloor"), str(self.n), str(self.service)])

    def stop(self):
        subprocess.run(["pkill", "-TERM", "-f", f"sleep {self.tag}"], check=False)
        self.proc.wait(timeout=60)


def read_stamp(path):
    try:
        pid, ns = path.read_text().split()
        return int(pid), int(ns)
    except (FileNotFoundError, ValueError):
        return None


def measure_respawn(sup, rounds):
    samples = []
    deadline = now() + 30
    while not read_stamp(sup.stampfile) and now() < deadline:
        time.sleep(POLL)
    for _ in range(rounds):
        time.sleep(1.2)  # longer than every peer's throttle (1 s) since the last start
        pid, _ = read_stamp(sup.stampfile)
        t_kill = time.monotonic_ns()
        os.kill(pid, signal.SIGKILL)
        end = now() + 10
        while now() < end:
            s = read_stamp(sup.stampfile)
            if s and s[0] != pid:
                samples.append((s[1] - t_kill) / 1e6)
                break
            time.sleep(0.0005)
    return samples


def measure_list(sup, rounds=20):
    cmd = sup.list_cmd()
    if not cmd:
        return None
    times = []
    for _ in range(rounds):
        t = now()
        subprocess.run(cmd, env=getattr(sup, "env", None), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append((now() - t) * 1000)
    return statistics.median(times)


def wait_stamps(sup, n, timeout):
    """Waits for n stamp files; returns the latest start time among them (monotonic ns)."""
    end = now() + timeout
    while now() < end:
        names = [e.name for e in os.scandir(sup.stamps) if "." not in e.name]
        if len(names) >= n:
            return max(read_stamp(sup.stamps / name)[1] for name in names)
        time.sleep(0.05 if n <= 1000 else 0.25)  # the stamps hold the times: polling less only spares the CPUs
    return None


def time_start(sup, args):
    """Starts the supervisor; returns seconds until all N services ran (None if they did not)."""
    for f in sup.stamps.iterdir():
        f.unlink()
    t0 = time.monotonic_ns()
    sup.start()
    last = wait_stamps(sup, args.jobs, timeout=120)
    return (last - t0) / 1e9 if last else None


def stop(sup):
    sup.stop()
    subprocess.run(["pkill", "-KILL", "-f", f"sleep {sup.tag}"], check=False)


def run_one(sup, args):
    """Spawn-all is the median of --starts cold starts; the other figures come from the last one."""
    starts = []
    for k in range(args.starts):
        starts.append(time_start(sup, args))
        if k < args.starts - 1:
            stop(sup)
    result = {"name": sup.name, "spawn_all_s": statistics.median(t for t in starts if t) if all(starts) else None,
              "spawn_all_runs": starts, "running": count_tag(sup.tag)}
    if isinstance(sup, Floor):
        result.update(processes=1, pss_kib=0, idle_cpu_ticks=None, idle_switches=None, list_ms=None,
                      respawn_ms_median=None, respawn_ms_all=[])
        stop(sup)
        return result
    time.sleep(3)  # let start-up settle
    pids = sup.pids()
    result["processes"] = len(pids)
    result["pss_kib"] = pss_kib(pids)
    c0, w0 = cpu_and_switches(pids)
    time.sleep(args.idle_seconds)
    c1, w1 = cpu_and_switches(sup.pids())
    result["idle_cpu_ticks"] = c1 - c0
    result["idle_switches"] = w1 - w0
    result["list_ms"] = measure_list(sup)
    samples = measure_respawn(sup, args.respawns)
    result["respawn_ms_median"] = statistics.median(samples) if samples else None
    result["respawn_ms_all"] = samples
    stop(sup)
    return result


def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", type=Path, default=Path(__file__).resolve().parents[1] / "build")
    ap.add_argument("--jobs", type=int, default=1000)
    ap.add_argument("--idle-seconds", type=float, default=60)
    ap.add_argument("--respawns", type=int, default=15)
    ap.add_argument("--starts", type=int, default=3, help="cold starts timed per supervisor (median reported)")
    ap.add_argument("--only", choices=["gantry", "runit", "s6", "floor"], action="append")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    stamp = args.build / "bench/stamp"
    tmp = Path(tempfile.mkdtemp(prefix="gantry-bench-"))
    todo = args.only or ["floor", "gantry", "runit", "s6"]
    results = []
    try:
        for i, which in enumerate(todo):
            tag = f"86400.{i + 1}"
            base = tmp / which
            sup = (Gantry(base, args.jobs, tag, stamp, args.build) if which == "gantry" else
                   Floor(base, args.jobs, tag, stamp, args.build) if which == "floor" else
                   Runit(base, args.jobs, tag, stamp) if which == "runit" else S6(base, args.jobs, tag, stamp))
            print(f"== {sup.name}: {args.jobs} services ...", file=sys.stderr, flush=True)
            results.append(run_one(sup, args))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"\nN = {args.jobs} services, spawn-all median of {args.starts} cold starts, idle window "
          f"{args.idle_seconds:g} s, {args.respawns} respawns each\n")
    print("| supervisor | all running after | running | processes | PSS total | idle CPU ticks | idle wake-ups "
          "| list | respawn median |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['name']} | {fmt(r['spawn_all_s'], '.3f')} s | {r['running']} | {r['processes']} | "
              f"{r['pss_kib'] / 1024:.2f} MiB | {fmt(r['idle_cpu_ticks'], 'd')} | {fmt(r['idle_switches'], 'd')} | "
              f"{fmt(r['list_ms'], '.2f')} ms | {fmt(r['respawn_ms_median'], '.2f')} ms |")
    g = next((r for r in results if r["name"].startswith("gantry")), None)
    peers = [r for r in results if r is not g and r["spawn_all_s"] and "floor" not in r["name"]]
    if g and peers and g["spawn_all_s"]:
        fastest = min(peers, key=lambda r: r["spawn_all_s"])
        print(f"\nspawn-all: {fastest['spawn_all_s'] / g['spawn_all_s']:.1f}x faster than {fastest['name']}")
        for r in peers:
            if r["respawn_ms_median"] and g["respawn_ms_median"]:
                print(f"respawn: {g['respawn_ms_median']:.2f} ms vs {r['name']} {r['respawn_ms_median']:.2f} ms "
                      f"({r['respawn_ms_median'] / g['respawn_ms_median']:.2f}x)")
            print(f"memory: {r['pss_kib'] / max(g['pss_kib'], 1):.0f}x less than {r['name']}")
    floor = next((r for r in results if "floor" in r["name"]), None)
    if g and floor and floor["spawn_all_s"] and g["spawn_all_s"]:
        print(f"spawn-all: {g['spawn_all_s'] / floor['spawn_all_s']:.2f}x the bare posix_spawn floor of this machine")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
