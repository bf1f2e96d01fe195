"""launchd's own failures: kill -9 and a restart leave exactly one instance of every job, overrides
intact; SIGTERM leaves no process of any job behind, even ones that ignore SIGTERM; the log keeps
going after it rotates."""
import os
import signal
import socket
import subprocess

from conftest import pid_alive, wait_for


def instances(tag):
    r = subprocess.run(["pgrep", "-f", f"^/bin/sleep {tag}$"], capture_output=True, text=True)
    return [int(p) for p in r.stdout.split()]


def test_kill9_and_restart_leave_one_instance_of_every_job(make_gantry):
    g = make_gantry(start=False)
    n = 40
    tags = [str(7_000_000 + os.getpid() % 1000 * 100 + i) for i in range(n)]
    for i, tag in enumerate(tags):
        g.write_plist(f"t.keep{i}", ProgramArguments=["/bin/sleep", tag], KeepAlive=True)
    # a job whose process group holds a child that ignores SIGTERM
    g.write_plist("t.stubborn", ProgramArguments=["/bin/sh", "-c", "trap '' TERM; /bin/sleep 7999999 & wait"],
                  KeepAlive=True, ExitTimeOut=1)
    g.start()
    for tag in tags:
        wait_for(lambda: len(instances(tag)) == 1, f"sleep {tag} running")
    wait_for(lambda: len(instances("7999999")) == 1, "the stubborn child running")
    assert g.ctl("disable", f"{g.domain}/t.keep0").returncode == 0
    for cycle in range(3):
        old = {tag: instances(tag) for tag in tags}
        g.proc.send_signal(signal.SIGKILL)
        g.proc.wait()
        g.errfile.close()
        g.start()
        for tag in tags[1:]:
            wait_for(lambda: len(instances(tag)) == 1 and instances(tag) != old[tag],
                     f"cycle {cycle}: exactly one new sleep {tag}")
        wait_for(lambda: not instances(tags[0]), f"cycle {cycle}: the disabled job's old instance stopped")
        wait_for(lambda: len(instances("7999999")) == 1, f"cycle {cycle}: exactly one stubborn child")
        s = g.service("t.keep1")
        assert s["previous_instance"].startswith(f"pid {old[tags[1]][0]}, left running by a launchd"), s
        assert g.service("t.keep0") is None  # the override survived: a disabled job does not load
        assert '"t.keep0" => disabled' in g.ctl("print-disabled", g.domain).stdout
    assert g.stop() == 0
    for tag in tags:
        wait_for(lambda: not instances(tag), f"sleep {tag} gone after SIGTERM")
    wait_for(lambda: not instances("7999999"), "the stubborn child gone after SIGTERM")


def test_sigterm_leaves_no_process_that_ignores_it(make_gantry):
    g = make_gantry(start=False)
    pidfile = g.root / "child.pid"
    g.write_plist("t.ignore", ProgramArguments=["/bin/sh", "-c", f"trap '' TERM; /bin/sleep 1000 & echo $! > {pidfile}; wait"],
                  RunAtLoad=True, ExitTimeOut=1)
    g.start()
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), "the child's pid")
    child = int(pidfile.read_text())
    assert pid_alive(child)
    assert g.stop() == 0
    wait_for(lambda: not pid_alive(child), "the child that ignores SIGTERM to be gone")


def test_log_keeps_going_after_rotation(make_gantry):
    g = make_gantry(start=False)
    g.state_dir.mkdir(parents=True, exist_ok=True)
    log = g.state_dir / "launchd.log"
    log.write_text("x" * (4 * 1024 * 1024 + 10) + "\n")  # at the limit: launchd's first lines rotate it
    g.start()
    g.write_plist("t.after", Program="/bin/true")
    assert g.ctl("bootstrap", g.domain, g.jobs_dir / "t.after.plist").returncode == 0
    wait_for(lambda: "(gui" in log.read_text() and "t.after) loaded" in log.read_text(),
             "the log line after rotation in the new launchd.log")
    assert (g.state_dir / "launchd.log.1").stat().st_size > 4 * 1024 * 1024


def test_kill9_and_restart_stop_inetd_instances_too(make_gantry):
    g = make_gantry(start=False)
    sock_path = g.root / "echo.sock"
    g.write_plist("t.echo", ProgramArguments=["/bin/sh", "-c", "echo $$; exec /bin/cat"],
                  inetdCompatibility={"Wait": False}, Sockets={"Listeners": {"SockPathName": str(sock_path)}})
    g.start()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(str(sock_path))
    instance = int(conn.makefile("rb").readline())
    assert pid_alive(instance)
    g.proc.send_signal(signal.SIGKILL)
    g.proc.wait()
    g.errfile.close()
    assert pid_alive(instance)  # launchd is gone; its instance is not
    g.start()
    wait_for(lambda: not pid_alive(instance), "the instance left by the killed launchd to be stopped")
    assert g.service("t.echo")["previous_instance"].startswith(f"pid {instance}, left running")
    conn.close()
