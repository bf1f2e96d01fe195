"""launchd as a container's init: PID 1 of a new PID namespace (unshare --pid --fork --mount-proc), as a
container runtime starts it, or a subreaper anywhere. Covers adopting and reaping orphans (each attributed to
its job), double-forking daemons, signals, the exit status (--exit-with), shutdown order and reboot(2)."""
import json
import plistlib
import socket
import os
import signal
import subprocess
import time

import pytest

from conftest import DEADLINE, LAUNCHCTL, LAUNCHD, REPO, Gantry, needs_root, pid_alive, wait_for

pytestmark = needs_root

DAEMONIZE = """
# a classic double fork: a child starts a session, its child is the daemon, the child exits
setsid sh -c 'echo $$ > {pidfile}.session; exec sh -c "echo \\$\\$ > {pidfile}; exec sleep 1000" &
              exit 0' &
wait
"""


class Init(Gantry):
    """launchd --system as PID 1 of its own PID namespace; launchctl runs inside it (nsenter), since the
    namespace's launchd cannot see the credentials of a process outside."""

    def __init__(self, root, args=()):
        super().__init__(root, mode="system", args=args)

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        self.errfile = open(self.root / "launchd.stderr", "ab")
        self.proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", str(LAUNCHD), "--system",
                                      *self.args], env=self.env, stdout=self.errfile, stderr=self.errfile)
        self.pid = wait_for(self._launchd_pid, "launchd to start in its namespace")
        wait_for(lambda: self.socket.exists() or self.proc.poll() is not None, "launchd's control socket")
        assert self.proc.poll() is None, (self.root / "launchd.stderr").read_text()
        wait_for(lambda: self.ctl("print", "system").returncode == 0, "launchd to answer")
        return self

    def _launchd_pid(self):
        try:
            children = open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read().split()
        except FileNotFoundError:
            return None
        return int(children[0]) if children else None

    def ctl(self, *args, check=False):
        r = subprocess.run(["nsenter", "-t", str(self.pid), "-p", "-m", str(LAUNCHCTL.resolve()), *map(str, args)],
                           env=self.env, capture_output=True, text=True, timeout=DEADLINE * 2)
        if check:
            assert r.returncode == 0, f"launchctl {' '.join(map(str, args))}: {r.returncode}\n{r.stderr}"
        return r

    def wait_exit(self):
        return self.proc.wait(timeout=DEADLINE * 4)

    def children(self):
        """launchd's children (outside pids): jobs' main processes and what it adopted."""
        with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
            return [int(p) for p in f.read().split()]


def outer_pid(inner_pidfile, init):
    """A process's pid as the test sees it, from the pid it wrote inside the namespace."""
    inner = int(inner_pidfile.read_text())
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                status = open(f"/proc/{pid}/status").read()
            except (FileNotFoundError, ProcessLookupError):
                continue
            nspid = next((line.split()[1:] for line in status.splitlines() if line.startswith("NSpid:")), [])
            if len(nspid) == 2 and int(nspid[1]) == inner and is_descendant(int(pid), init.pid):
                return int(pid)
    raise AssertionError(f"no process {inner} in launchd's namespace")


def is_descendant(pid, ancestor):
    while pid > 1:
        if pid == ancestor:
            return True
        with open(f"/proc/{pid}/stat") as f:
            pid = int(f.read().rsplit(")", 1)[1].split()[1])
    return False


def zombies_of(pid):
    found = []
    for child in open(f"/proc/{pid}/task/{pid}/children").read().split():
        try:
            if open(f"/proc/{child}/stat").read().rsplit(")", 1)[1].split()[0] == "Z":
                found.append(int(child))
        except FileNotFoundError:
            pass
    return found


@pytest.fixture
def init(tmp_path):
    made = []

    def make(args=(), jobs=()):
        g = Init(tmp_path / f"root{len(made)}", args=args)
        for label, keys in jobs:
            g.write_plist(label, **keys)
        made.append(g)
        return g.start()

    yield make
    for g in made:
        if g.proc.poll() is None:
            os.kill(g.pid, signal.SIGKILL)  # the namespace's init: the kernel kills everything in it
            g.proc.wait()


def test_a_double_forked_daemon_is_adopted_attributed_shown_and_booted_out(init, tmp_path):
    pidfile = tmp_path / "daemon.pid"
    g = init(jobs=[("t.forker", dict(ProgramArguments=["/bin/sh", "-c", DAEMONIZE.format(pidfile=pidfile)
                                                         + "exec sleep 1000"], RunAtLoad=True))])
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), "the daemon to write its pid")
    daemon = outer_pid(pidfile, g)
    s = wait_for(lambda: (lambda s: s if s.get("adopted") == 1 else None)(json.loads(
        g.ctl("print", "system/t.forker", "--json", check=True).stdout)), "the daemon adopted")
    assert s["state"] == "running"
    assert "processes = 2 (1 main, 1 adopted)" in g.ctl("print", "system/t.forker", check=True).stdout
    assert daemon in g.children()  # launchd is its parent now
    g.ctl("bootout", "system/t.forker", check=True)
    wait_for(lambda: not pid_alive(daemon), "the adopted daemon to be stopped with its job")
    g.wait_log(f"(system/t.forker) reaped adopted process {pidfile.read_text().strip()} (sleep): "
               "was killed by signal 15 (Terminated)")
    assert zombies_of(g.pid) == []


def test_a_client_outside_the_namespace_is_told_why(init):
    g = init()
    r = subprocess.run([str(LAUNCHCTL), "print", "system"], env=g.env, capture_output=True, text=True, timeout=DEADLINE)
    assert r.returncode != 0
    g.wait_log("a sender outside this process's PID namespace")
    assert g.ctl("print", "system").returncode == 0  # and launchd goes on serving those inside


def test_orphans_are_reaped_one_log_line_each_and_never_linger(init):
    # Twenty background children whose parent subshell exits at once: each is orphaned, adopted, reaped.
    g = init(jobs=[("t.spawner", dict(ProgramArguments=["/bin/sh", "-c",
                                                          "for i in $(seq 20); do (sleep 0.05 &); done; exec sleep 1000"],
                                       RunAtLoad=True))])
    wait_for(lambda: g.log.count("(system/t.spawner) reaped adopted process") == 20, "20 orphans reaped")
    assert g.log.count("(sleep): exited with status 0") == 20
    wait_for(lambda: zombies_of(g.pid) == [], "no zombie under launchd")
    s = json.loads(g.ctl("print", "system/t.spawner", "--json", check=True).stdout)
    assert s["adopted"] == 0 and s["state"] == "running"


def test_other_signals_never_kill_it_and_sigpwr_shuts_down_in_order(init, tmp_path):
    events = tmp_path / "events"
    pidfile = tmp_path / "daemon.pid"
    g = init(jobs=[
        ("t.main", dict(ProgramArguments=["/bin/sh", "-c", f"trap 'echo main TERM >> {events}; exit 0' TERM; "
                                                           "sleep 1000 & wait"], RunAtLoad=True)),
        ("t.forker", dict(ProgramArguments=["/bin/sh", "-c", DAEMONIZE.format(pidfile=pidfile) + "exec sleep 1000"],
                          RunAtLoad=True, AbandonProcessGroup=True)),
    ])
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), "the daemon to write its pid")
    g.wait_running("t.main")
    for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGHUP, signal.SIGALRM, signal.SIGQUIT):
        os.kill(g.pid, sig)
    assert g.ctl("print", "system").returncode == 0 and g.proc.poll() is None
    daemon = outer_pid(pidfile, g)
    os.kill(g.pid, signal.SIGPWR)
    assert g.wait_exit() == 0
    assert events.read_text() == "main TERM\n"  # the job was asked to stop, not killed with the namespace
    log = g.log
    assert log.index("received PWR: stopping 2 jobs") < log.index("(system/t.main) unloaded")
    assert log.index("reaped adopted process") < log.index("all jobs stopped; exiting")
    assert not pid_alive(daemon)


def test_a_job_that_ignores_sigterm_is_killed_after_its_exit_timeout(init):
    g = init(jobs=[("t.stubborn", dict(ProgramArguments=["/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"],
                                       RunAtLoad=True, ExitTimeOut=1))])
    g.wait_running("t.stubborn")
    os.kill(g.pid, signal.SIGTERM)
    assert g.wait_exit() == 0
    assert "Exit timeout elapsed (1 seconds). Killing" in g.log


@pytest.mark.parametrize("script, status", [("exit 7", 7), ("kill -9 $$", 128 + 9), ("exit 0", 0)])
def test_exit_with_a_job_gives_its_status(init, script, status):
    g = init(args=["--exit-with", "t.app"], jobs=[
        ("t.app", dict(ProgramArguments=["/bin/sh", "-c", f"sleep 0.2; {script}"],
                       RunAtLoad=True)),
        ("t.side", dict(ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)),
    ])
    assert g.wait_exit() == status
    assert f"launchd exits with {status}" in g.log and "(system/t.side) unloaded" in g.log


def test_exit_with_gives_the_status_of_the_job_stopped_at_shutdown(init):
    g = init(args=["--exit-with", "t.app"], jobs=[("t.app", dict(ProgramArguments=["/bin/sleep", "1000"],
                                                                  RunAtLoad=True))])
    g.wait_running("t.app")
    os.kill(g.pid, signal.SIGTERM)
    assert g.wait_exit() == 128 + signal.SIGTERM


@pytest.mark.parametrize("mode, sig", [("halt", signal.SIGINT), ("poweroff", signal.SIGINT),
                                       ("system", signal.SIGHUP)])
def test_reboot_stops_every_job_then_calls_reboot(init, tmp_path, mode, sig):
    events = tmp_path / "events"
    g = init(jobs=[("t.main", dict(ProgramArguments=["/bin/sh", "-c", f"trap 'echo TERM >> {events}; exit 0' TERM; "
                                                                      "sleep 1000 & wait"], RunAtLoad=True))])
    g.wait_running("t.main")
    r = g.ctl("reboot", mode)
    # launchctl runs inside the namespace it shuts down: it has its reply, and exits 0 unless it is still
    # exiting when init ends every process left (SIGTERM), as any process would be on a real machine.
    assert r.returncode in (0, -signal.SIGTERM) and r.stderr == "", r
    # reboot(2) by a PID namespace's init ends it as the kernel documents: killed by SIGHUP (restart) or
    # SIGINT (halt, power off); unshare reports that as its own death by the same signal.
    rc = g.wait_exit()
    assert rc in (-sig, 128 + sig), rc
    assert events.read_text() == "TERM\n"
    assert f"every job stopped: {'reboot' if mode == 'system' else mode}" in g.log


def test_reboot_is_refused_where_launchd_is_not_init(make_gantry):
    g = make_gantry(mode="system")
    r = g.ctl("reboot", "halt")
    assert r.returncode != 0 and "is not this machine's init" in r.stderr
    assert g.proc.poll() is None


def test_subreaper_outside_pid1_adopts_for_a_user_launchd(make_gantry, tmp_path):
    g = make_gantry(args=["--subreaper"], start=False)
    pidfile = tmp_path / "daemon.pid"
    g.write_plist("t.forker", ProgramArguments=["/bin/sh", "-c", DAEMONIZE.format(pidfile=pidfile) + "exec sleep 1000"],
                  RunAtLoad=True)
    g.start()
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), "the daemon to write its pid")
    daemon = int(pidfile.read_text())
    wait_for(lambda: (g.service("t.forker") or {}).get("adopted") == 1, "the daemon adopted")
    assert "subreaper: adopting and reaping the orphans of jobs" in g.log
    assert g.stop() == 0
    assert not pid_alive(daemon)
    assert f"(gui/{os.geteuid()}/t.forker) reaped adopted process {daemon} (sleep)" in g.log


def test_without_a_subreaper_print_shows_no_adoption(gantry):
    gantry.write_plist("t.plain", ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.plain.plist", check=True)
    gantry.wait_running("t.plain")
    assert "adopted" not in gantry.service("t.plain")
    assert "processes =" not in gantry.ctl("print", f"{gantry.domain}/t.plain").stdout


def test_the_container_example_runs_as_pid1(init, tmp_path):
    """examples/container: its jobs and its ENTRYPOINT, run as PID 1 as an image runtime would run them."""
    example = REPO / "examples/container"
    entry = json.loads(next(line for line in (example / "Containerfile").read_text().splitlines()
                            if line.startswith("ENTRYPOINT "))[len("ENTRYPOINT "):])
    assert entry[:2] == ["/usr/bin/launchd", "--system"]
    jobs = [(p.stem, plistlib.loads(p.read_bytes())) for p in sorted((example / "LaunchDaemons").glob("*.plist"))]
    assert [label for label, _ in jobs] == ["org.example.echo", "org.example.legacy", "org.example.worker"]
    g = init(args=entry[2:], jobs=[(label, {k: v for k, v in keys.items() if k != "Label"}) for label, keys in jobs])
    with socket.create_connection(("127.0.0.1", 7007), timeout=DEADLINE) as c:
        c.sendall(b"ping\n")
        assert c.recv(16) == b"ping\n"
    g.wait_running("org.example.worker")
    wait_for(lambda: "processes = 2 (1 main, 1 adopted)" in g.ctl("print", "system/org.example.legacy").stdout,
             "the legacy daemon adopted")
    os.kill(g.pid, signal.SIGTERM)  # the image's STOPSIGNAL
    assert g.wait_exit() == 0
    assert "(system/org.example.legacy) reaped adopted process" in g.log
