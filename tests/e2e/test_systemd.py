"""launchd under systemd: the readiness protocol over $NOTIFY_SOCKET (what systemd's Type=notify waits
for) and the two units `make install` puts under lib/systemd, checked by systemd-analyze."""
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILD, LAUNCHD, DEADLINE, Gantry, wait_for


class Manager:
    """A stand-in for systemd's end of $NOTIFY_SOCKET: a datagram socket that collects states."""

    def __init__(self, address):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.states = []

    def next_state(self, timeout=DEADLINE):
        self.sock.settimeout(timeout)
        data = self.sock.recv(4096).decode()
        self.states.append(data)
        return dict(line.split("=", 1) for line in data.splitlines())

    def close(self):
        self.sock.close()


def start_notified(g, notify_socket):
    """launchd started as systemd starts a Type=notify service, not waited on as the other tests do."""
    g.env["NOTIFY_SOCKET"] = notify_socket
    g.root.mkdir(parents=True, exist_ok=True)
    g.errfile = open(g.root / "launchd.stderr", "ab")
    g.proc = subprocess.Popen([str(LAUNCHD), "--user"], env=g.env, stdout=g.errfile, stderr=g.errfile)
    return g


def test_ready_once_launchd_answers_and_stopping_on_sigterm(tmp_path):
    manager = Manager(str(tmp_path / "notify"))
    g = Gantry(tmp_path / "root")
    g.write_plist("t.env", ProgramArguments=["/bin/sh", "-c", f"env > {tmp_path / 'env'}"], RunAtLoad=True)
    start_notified(g, str(tmp_path / "notify"))
    try:
        ready = manager.next_state()
        assert ready["READY"] == "1"
        assert int(ready["MAINPID"]) == g.proc.pid
        assert ready["STATUS"] == "1 jobs loaded"
        # Ready means answering: launchctl works at once, with no waiting for the socket.
        r = g.ctl("print", f"gui/{os.geteuid()}/t.env")
        assert r.returncode == 0, r.stderr
        env = wait_for(lambda: (tmp_path / "env").exists() and (tmp_path / "env").read_text(), "the job's env")
        assert "XPC_SERVICE_NAME=t.env" in env and "NOTIFY_SOCKET" not in env  # jobs are not systemd's service
        g.proc.send_signal(signal.SIGTERM)
        assert manager.next_state() == {"STOPPING": "1"}
        assert g.proc.wait(timeout=DEADLINE) == 0
    finally:
        if g.proc.poll() is None:
            g.proc.kill()
        manager.close()


def test_abstract_notify_socket(tmp_path):
    name = f"gantry-notify-{os.getpid()}-{time.monotonic_ns()}"
    manager = Manager("\0" + name)
    g = start_notified(Gantry(tmp_path / "root"), "@" + name)
    try:
        assert manager.next_state()["READY"] == "1"
        assert g.stop() == 0
        assert manager.next_state() == {"STOPPING": "1"}
    finally:
        if g.proc.poll() is None:
            g.proc.kill()
        manager.close()


def test_unusable_notify_socket_is_named_and_launchd_runs(tmp_path):
    g = start_notified(Gantry(tmp_path / "root"), "relative/path")
    try:
        wait_for(lambda: g.ctl("print", g.domain).returncode == 0, "launchd to answer")
        assert 'NOTIFY_SOCKET "relative/path" is neither a path nor an abstract name' in g.log
    finally:
        assert g.stop() == 0


systemd_analyze = pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")


def verify(unit_dir, mode, program):
    """systemd-analyze verify on the unit as built, its ExecStart pointed at this build's launchd."""
    unit = (BUILD / "systemd" / mode / "launchd.service").read_text()
    lines = unit.splitlines()
    execs = [line for line in lines if line.startswith("ExecStart=")]
    assert len(execs) == 1 and execs[0].endswith(f"/launchd --{mode}"), execs
    path = unit_dir / "launchd.service"
    path.write_text(unit.replace(execs[0].split()[0], f"ExecStart={program}"))
    args = ["systemd-analyze", *(["--user"] if mode == "user" else []), "verify", "--man=no", str(path)]
    env = dict(os.environ, XDG_RUNTIME_DIR=str(unit_dir), SYSTEMD_LOG_LEVEL="notice")
    return subprocess.run(args, capture_output=True, text=True, env=env)


@systemd_analyze
@pytest.mark.parametrize("mode", ["system", "user"])
def test_units_pass_systemd_analyze_verify(tmp_path, mode):
    unit_dir = tmp_path / "units"
    unit_dir.mkdir(mode=0o700)
    r = verify(unit_dir, mode, LAUNCHD)
    assert r.returncode == 0 and r.stderr == "" and r.stdout == "", r.stdout + r.stderr
    unit = (unit_dir / "launchd.service").read_text()
    for setting in ["Type=notify", "NotifyAccess=main", "KillMode=mixed", "TimeoutStopSec=90"]:
        assert setting + "\n" in unit, setting


@systemd_analyze
def test_verify_would_see_a_broken_unit(tmp_path):
    """The check above can fail: the same unit with a launchd that is not there does not verify."""
    unit_dir = tmp_path / "units"
    unit_dir.mkdir(mode=0o700)
    r = verify(unit_dir, "system", tmp_path / "no-launchd")
    assert r.returncode != 0 and "no-launchd" in r.stderr + r.stdout


def test_under_the_journal_events_go_to_it_with_the_job_label(tmp_path):
    """With $JOURNAL_STREAM (stderr is the journal), launchd logs through the journal's native socket
    (relocated under LAUNCHD_ROOT): each event with its priority, a job's with GANTRY_JOB and GANTRY_LABEL;
    a line the journal refuses (journald gone) goes to stderr instead, not lost."""
    g = Gantry(tmp_path / "root")
    sock = g.root / "run/systemd/journal/socket"
    sock.parent.mkdir(parents=True)
    journal = Manager(str(sock))
    g.write_plist("t.fails", ProgramArguments=["/bin/sh", "-c", "echo bad config >&2; exit 3"], RunAtLoad=True)
    g.env["JOURNAL_STREAM"] = "8:1234"
    g.write_plist("t.env", ProgramArguments=["/bin/sh", "-c", f"env > {tmp_path / 'env'}"], RunAtLoad=True)
    g.start()
    try:
        entries = []
        while not any("Service exited with abnormal code: 3" in e.get("MESSAGE", "") for e in entries):
            entries.append(journal.next_state())
        exit_entry = next(e for e in entries if "abnormal code: 3" in e.get("MESSAGE", ""))
        assert exit_entry["GANTRY_LABEL"] == "t.fails" and exit_entry["GANTRY_JOB"] == f"gui/{os.geteuid()}/t.fails"
        assert exit_entry["PRIORITY"] == "6" and exit_entry["SYSLOG_IDENTIFIER"] == "launchd"
        assert exit_entry["MESSAGE"].endswith("abnormal code: 3 — bad config")
        assert "GANTRY_LABEL" not in entries[0]  # launchd's own start-up line names no job
        assert "Service exited" not in (g.root / "launchd.stderr").read_text()  # not twice (stderr is the journal)
        assert "abnormal code: 3" in g.log  # launchd.log keeps everything as before
        env = wait_for(lambda: (tmp_path / "env").exists() and (tmp_path / "env").read_text(), "the job's env")
        assert "JOURNAL_STREAM" not in env
        journal.close()  # journald stops (its socket still there, nobody reading)
        sock.unlink()      # and goes: every send fails from here on
        g.ctl("kickstart", f"gui/{os.geteuid()}/t.fails", check=True)
        wait_for(lambda: (g.root / "launchd.stderr").read_text().count("abnormal code: 3") == 1,
                 "the event on stderr once the journal refuses it")
    finally:
        assert g.stop() == 0
        journal.close()
