"""Named services (MachServices) with real processes: launched on demand by the
first message, messages sent before check-in delivered in order, lookup and
check-in failures with their reasons, interruption and relaunch."""
import os
import subprocess

from conftest import BUILD, needs_root, wait_for

SERVICE = BUILD / "tests/helpers/xpc-echo-service"
CLIENT = BUILD / "tests/helpers/xpc-client"


def client(g, *args, as_user=None):
    cmd = [str(CLIENT), *map(str, args)]
    if as_user:
        cmd = ["setpriv", f"--reuid={as_user}", f"--regid={as_user}", "--clear-groups", *cmd]
    return subprocess.run(cmd, env=g.env, capture_output=True, text=True, timeout=60)


def echo_job(g, label="t.echo", name="com.test.echo", checkin=None, **keys):
    return g.write_plist(label, ProgramArguments=[str(SERVICE), checkin or name], MachServices={name: True},
                         StandardErrorPath=str(g.root / f"{label}.err"), **keys)


def test_first_message_launches_the_service(gantry):
    gantry.ctl("bootstrap", gantry.domain, echo_job(gantry), check=True)
    assert gantry.service("t.echo")["runs"] == 0  # on demand: nothing runs at load
    r = client(gantry, "com.test.echo", 0)
    assert r.returncode == 0, r.stdout + r.stderr
    s = gantry.service("t.echo")
    assert r.stdout.startswith(f"pid={s['pid']} ")
    assert s["immediate_reason"] == "ipc (mach)" and s["runs"] == 1
    assert s["endpoints"] == [{"name": "com.test.echo", "active": True, "waiting": 0, "connections": 1}]
    text = gantry.ctl("print", f"{gantry.domain}/t.echo").stdout
    assert '"com.test.echo" = {' in text and "active = 1" in text


def test_messages_sent_before_checkin_arrive_in_order(gantry):
    gantry.ctl("bootstrap", gantry.domain, echo_job(gantry), check=True)
    r = client(gantry, "com.test.echo", 300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split("seqs=")[1].strip() == ",".join(str(i) for i in range(300))


def test_unknown_service_names_the_reason(gantry):
    r = client(gantry, "com.test.nothing", 1)
    assert r.returncode == 1
    assert r.stdout.startswith('error: Connection invalid: no service named "com.test.nothing" in '
                               f"{gantry.domain}: no loaded job advertises it in MachServices")
    assert "identity: XPC_ERROR_CONNECTION_INVALID\n" in r.stderr  # Apple's object itself: `==` works


def test_checkin_for_a_name_not_advertised_is_refused(gantry):
    gantry.ctl("bootstrap", gantry.domain, echo_job(gantry, checkin="com.test.other"), check=True)
    r = client(gantry, "com.test.echo", 0)  # launches the job, which checks in under the wrong name
    err = gantry.root / "t.echo.err"
    wait_for(lambda: err.exists() and "does not advertise" in err.read_text(), "the refused check-in")
    assert 'gui/%d/t.echo does not advertise "com.test.other" in its MachServices' % gantry.uid in err.read_text()
    gantry.wait_state("t.echo", lambda s: s["last_exit_status"] == 3, "the service exits on the refusal")
    assert r.returncode == 1  # the waiting client is told why, at once
    assert (f"error: Connection interrupted: {gantry.domain}/t.echo, which provides com.test.echo, "
            "exited with status 3 before checking in") in r.stdout
    assert "identity: XPC_ERROR_CONNECTION_INTERRUPTED\n" in r.stderr


def test_spawn_failure_reaches_the_waiting_client(gantry):
    path = gantry.write_plist("t.broken", Program="/nonexistent/helper", MachServices={"com.test.broken": True})
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    r = client(gantry, "com.test.broken", 0)  # one request: a second would wait for the throttled retry
    assert r.returncode == 1
    assert ("failed to spawn (Program /nonexistent/helper: No such file or directory) before checking in"
            in r.stdout)


def test_non_job_cannot_listen(gantry):
    r = subprocess.run([str(SERVICE), "com.test.echo"], env=gantry.env, capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 3
    assert "is not a launchd job" in r.stderr


def test_interrupted_then_relaunched_on_next_message(gantry):
    gantry.ctl("bootstrap", gantry.domain, echo_job(gantry, ThrottleInterval=1), check=True)
    r = client(gantry, "-r", "com.test.echo", 2)
    assert r.returncode == 0, r.stdout + r.stderr
    first, interrupted, second = r.stdout.splitlines()
    assert interrupted == "interrupted=1"
    assert first.split()[0] != second.split()[0]  # a new process answered
    s = gantry.service("t.echo")
    assert s["runs"] == 2 and second.startswith(f"pid={s['pid']} ")


def test_unloaded_service_refuses_lookups(gantry):
    gantry.ctl("bootstrap", gantry.domain, echo_job(gantry), check=True)
    assert client(gantry, "com.test.echo", 0).returncode == 0
    gantry.ctl("bootout", f"{gantry.domain}/t.echo", check=True)
    r = client(gantry, "com.test.echo", 0)
    assert r.returncode == 1 and "no service named" in r.stdout


@needs_root
def test_system_daemons_are_visible_to_every_user(make_gantry):
    g = make_gantry(mode="system", start=False, public=True)
    echo_job(g, label="t.helper", name="com.test.helper")
    g.start()
    r = client(g, "-p", "com.test.helper", 3, as_user=65534)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.split("seqs=")[1].strip() == "0,1,2"
    # As macOS: without PRIVILEGED a name not in the user's own domains is looked up in system too
    r = client(g, "com.test.helper", 2, as_user=65534)
    assert r.returncode == 0, r.stdout + r.stderr
    r = client(g, "-p", "com.test.nothing", 0, as_user=65534)  # PRIVILEGED only looks in system
    assert r.returncode == 1 and 'no service named "com.test.nothing" in system' in r.stdout
    r = client(g, "com.test.nothing", 0, as_user=65534)
    assert r.returncode == 1 and 'no service named "com.test.nothing" in gui/65534 or system' in r.stdout
    assert os.path.exists(g.socket)


def test_termination_imminent_before_stop(gantry):
    path = gantry.write_plist("t.term", ProgramArguments=[str(SERVICE), "com.test.term", "--ignore-term"],
                              MachServices={"com.test.term": True}, ExitTimeOut=1,
                              StandardErrorPath=str(gantry.root / "term.err"))
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    assert client(gantry, "com.test.term", 0).returncode == 0
    gantry.ctl("bootout", f"{gantry.domain}/t.term", check=True)  # SIGTERM ignored: SIGKILL after 1 s
    assert "termination imminent" in (gantry.root / "term.err").read_text()


def test_hidden_until_checkin(gantry):
    path = gantry.write_plist("t.hidden", ProgramArguments=[str(SERVICE), "com.test.hidden"],
                              MachServices={"com.test.hidden": {"HideUntilCheckIn": True}})
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    r = client(gantry, "com.test.hidden", 0)
    assert r.returncode == 1 and r.stdout.startswith("error: Connection invalid: com.test.hidden is hidden until")
    assert gantry.service("t.hidden")["runs"] == 0  # not started on demand
    gantry.ctl("kickstart", f"{gantry.domain}/t.hidden", check=True)
    wait_for(lambda: gantry.service("t.hidden")["endpoints"][0]["active"], "the service to check in")
    assert client(gantry, "com.test.hidden", 1).returncode == 0


def test_a_thousand_concurrent_clients(gantry):
    gantry.ctl("bootstrap", gantry.domain, echo_job(gantry), check=True)
    r = client(gantry, "-c", 1000, "com.test.echo")  # one process, 1000 connections in flight
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.strip() == "replies=1000 other_pids=0"  # one service process answered all
    s = gantry.service("t.echo")
    assert s["runs"] == 1 and s["endpoints"][0]["connections"] == 1000


def test_waiting_connections_are_bounded(gantry):
    # A job that never checks in: launchd queues at most 1024 connections for it, then refuses.
    path = gantry.write_plist("t.busy", ProgramArguments=["/bin/sleep", "600"],
                              MachServices={"com.test.busy": True})
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    r = client(gantry, "-c", 1025, "-t", 60000, "com.test.busy")
    assert r.returncode == 1
    assert r.stdout.startswith("error: Connection invalid: com.test.busy: 1024 connections already wait for "
                               f"{gantry.domain}/t.busy to check in"), r.stdout
    s = gantry.service("t.busy")
    assert s["runs"] == 1 and s["endpoints"][0]["waiting"] == 1024


def lookup_raw(g, name):
    """Looks a service up with hand-made wire bytes (docs/wire-format.md); returns the service socket."""
    import socket
    import struct

    def string(text):
        data = text.encode()
        return b"\x08" + struct.pack("<I", len(data)) + data

    entries = {"routine": string("lookup"), "name": string(name)}
    body = b"\x0c" + struct.pack("<I", len(entries)) + b"".join(
        struct.pack("<I", len(k)) + k.encode() + v for k, v in entries.items())
    header = struct.pack("<IBBHQQII", 0x31505847, 1, 0x02, 32, 1, 0, len(body), 0)
    ctl = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    ctl.connect(str(g.socket))
    ctl.send(header + body)
    _, fds, _, _ = socket.recv_fds(ctl, 65536, 4)
    ctl.close()
    assert len(fds) == 1, "the lookup reply carries the service socket"
    return socket.socket(fileno=fds[0])


def test_garbage_from_a_client_does_not_hurt_the_service(gantry):
    gantry.ctl("bootstrap", gantry.domain, echo_job(gantry), check=True)
    assert client(gantry, "com.test.echo", 0).returncode == 0
    pid = gantry.service("t.echo")["pid"]
    for junk in (b"garbage", b"GXP1" + b"\xff" * 60, b"\x00" * 4096):
        s = lookup_raw(gantry, "com.test.echo")
        s.send(junk)
        s.close()
    r = client(gantry, "com.test.echo", 3)  # the same process still serves everyone else
    assert r.returncode == 0 and r.stdout.startswith(f"pid={pid} ")
    assert gantry.service("t.echo")["runs"] == 1


@needs_root
def test_a_users_own_launchd_falls_back_to_the_system_one(make_gantry):
    """A client served by its user's own launchd reaches a system daemon's name through the system launchd."""
    system = make_gantry(mode="system", start=False, public=True)
    echo_job(system, label="t.sysecho", name="com.test.sysecho")
    system.start()
    user = make_gantry()  # another root: its socket is not the system one
    env = dict(system.env, LAUNCHD_SOCKET=str(user.socket))  # as in a job of the user's launchd
    r = subprocess.run([str(CLIENT), "com.test.sysecho", "2"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    r = subprocess.run([str(CLIENT), "com.test.none", "0"], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1 and "nor does the system launchd have it" in r.stdout, r.stdout


def test_a_disabled_jobs_name_says_it_is_disabled(make_gantry):
    g = make_gantry(start=False)
    echo_job(g, label="t.off", name="com.test.off", Disabled=True)
    g.start()
    r = client(g, "com.test.off", 0)
    assert r.returncode == 1
    assert f'"com.test.off" is advertised by {g.domain}/t.off, which is disabled: `launchctl enable ' \
           f"{g.domain}/t.off`, then load it" in r.stdout, r.stdout
