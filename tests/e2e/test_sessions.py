"""Login sessions: pam_launchd.so (in a real PAM application, pamtester, under libpam-wrapper) opens and closes
sessions in the system launchd; a user's gui/<uid> hosts its Aqua and LoginWindow sessions, user/<uid> the
Background session (and StandardIO while a tty or ssh session is open); agents start with the sessions they are
limited to, get the session's environment, and stop when it ends — by close_session or by its leader's exit."""
import os
import subprocess

import pytest

from conftest import DEADLINE, LAUNCHCTL, PamSession, needs_root, wait_for

pytestmark = needs_root
NOBODY = 65534


def agent(g, label, script, **keys):
    g.write_plist(label, directory=g.root / "etc/launchd/LaunchAgents", ProgramArguments=["/bin/sh", "-c", script], RunAtLoad=True, **keys)


def running(g, domain, label):
    s = g.service(label, domain)
    return s and s["pid"]


def gone(g, domain, label):
    return g.ctl("print", f"{domain}/{label}").returncode != 0


def read_until(proc, text, timeout=DEADLINE):
    """What proc printed until text appeared (raw reads under a deadline: proc does not end)."""
    import select
    import time
    out, end = b"", time.monotonic() + timeout
    while text.encode() not in out:
        left = end - time.monotonic()
        assert left > 0, f"timed out waiting for {text!r} in: {out[-2000:]!r}"
        if select.select([proc.stdout], [], [], left)[0]:
            chunk = os.read(proc.stdout.fileno(), 65536)
            assert chunk, f"the process ended before {text!r}: {out[-2000:]!r}"
            out += chunk
    return out.decode(errors="replace")


def out_lines(g, domain, label):
    r = g.ctl("log", f"{domain}/{label}")
    return r.stdout if r.returncode == 0 else ""


@pytest.fixture
def system(make_gantry):
    return make_gantry(mode="system", public=True, start=False, login=False)


def test_a_graphical_session_starts_its_agents_with_its_environment_and_its_end_stops_them(system):
    agent(system, "t.aqua", "echo display=$DISPLAY bus=$DBUS_SESSION_BUS_ADDRESS; exec sleep 600")
    agent(system, "t.bg", "exec sleep 600", LimitLoadToSessionType="Background")
    system.start()
    assert gone(system, f"gui/{NOBODY}", "t.aqua")  # no session: nothing of nobody's runs
    s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "x11", "DISPLAY": ":5", "XDG_SEAT": "seat0",
                                          "DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent/bus"})
    wait_for(lambda: running(system, f"gui/{NOBODY}", "t.aqua"), "the Aqua agent")
    wait_for(lambda: running(system, f"user/{NOBODY}", "t.bg"), "the Background agent in user/<uid>")
    wait_for(lambda: "display=:5 bus=unix:path=/nonexistent/bus" in out_lines(system, f"gui/{NOBODY}", "t.aqua"),
             "the session's environment in the agent")
    text = system.ctl("print", f"gui/{NOBODY}", check=True).stdout
    assert "session types = Aqua" in text
    assert f"=> Aqua: x11 seat0 via gantry-session (leader {s.pid}, since " in text
    s.close()
    wait_for(lambda: gone(system, f"gui/{NOBODY}", "t.aqua"), "the Aqua agent booted out")
    wait_for(lambda: gone(system, f"user/{NOBODY}", "t.bg"), "the Background agent gone with the last session")
    assert f"(gui/{NOBODY}/t.aqua) booted out: Aqua session 1 of uid {NOBODY} ended: closed" in system.log
    assert "session types = no session" in system.ctl("print", f"gui/{NOBODY}", check=True).stdout


def test_a_tty_session_is_standardio_and_gui_without_a_desktop_says_to_use_user(system):
    agent(system, "t.stdio", "exec sleep 600", LimitLoadToSessionType="StandardIO")
    agent(system, "t.aqua", "exec sleep 600")
    system.start()
    s = PamSession(system, "nobody")  # no XDG_SESSION_TYPE: a console or ssh login
    wait_for(lambda: running(system, f"user/{NOBODY}", "t.stdio"), "the StandardIO agent")
    assert gone(system, f"gui/{NOBODY}", "t.aqua")
    system.write_plist("t.mine", ProgramArguments=["/bin/true"])
    r = system.ctl("bootstrap", f"gui/{NOBODY}", system.jobs_dir / "t.mine.plist")
    assert r.returncode == 125, r.stderr  # Domain does not support specified action, as macOS says over SSH
    assert f"gui/{NOBODY} has no graphical login session" in r.stderr and f"into user/{NOBODY}" in r.stderr
    s.close()
    wait_for(lambda: gone(system, f"user/{NOBODY}", "t.stdio"), "the StandardIO agent gone")
    s = PamSession(system, "nobody", options="type=aqua")  # the module's option, for a display manager that
    wait_for(lambda: running(system, f"gui/{NOBODY}", "t.aqua"), "the Aqua agent")  # sets no XDG_ variables
    assert gone(system, f"user/{NOBODY}", "t.stdio")
    s.close()


def test_the_greeter_is_a_loginwindow_session(system):
    agent(system, "t.greeter", "exec sleep 600", LimitLoadToSessionType=["LoginWindow"])
    agent(system, "t.aqua", "exec sleep 600")
    system.start()
    s = PamSession(system, "nobody", env={"XDG_SESSION_CLASS": "greeter", "XDG_SESSION_TYPE": "wayland"})
    wait_for(lambda: running(system, f"gui/{NOBODY}", "t.greeter"), "the LoginWindow agent")
    assert gone(system, f"gui/{NOBODY}", "t.aqua")  # the greeter is no desktop of the user's
    s.close()
    wait_for(lambda: gone(system, f"gui/{NOBODY}", "t.greeter"), "the LoginWindow agent gone")


def test_a_leader_that_dies_without_closing_ends_its_session(system):
    agent(system, "t.aqua", "exec sleep 600")
    system.start()
    s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "x11"})
    pid = wait_for(lambda: running(system, f"gui/{NOBODY}", "t.aqua"), "the agent")
    s.kill()
    wait_for(lambda: gone(system, f"gui/{NOBODY}", "t.aqua"), "the agent gone with its session's leader")
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), "its process gone")
    assert f"its leader (pid {s.pid}) exited without closing it" in system.log


def test_outliving_logout_and_lingering(system):
    agent(system, "t.stays", "exec sleep 600", GantryOutlivesLogout=True)
    agent(system, "t.bg", "exec sleep 600", LimitLoadToSessionType="Background")
    system.start()
    s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "x11"})
    pid = wait_for(lambda: running(system, f"gui/{NOBODY}", "t.stays"), "the agent")
    s.close()
    wait_for(lambda: gone(system, f"user/{NOBODY}", "t.bg"), "the Background agent gone")
    assert running(system, f"gui/{NOBODY}", "t.stays") == pid  # GantryOutlivesLogout
    r = system.ctl("linger", "nobody", "on", check=True)
    assert "lingers" in r.stdout
    wait_for(lambda: running(system, f"user/{NOBODY}", "t.bg"), "the Background agent of a lingering user")
    system.restart()  # lingering is kept in the state directory
    wait_for(lambda: running(system, f"user/{NOBODY}", "t.bg"), "the Background agent after a restart")
    system.ctl("linger", str(NOBODY), "off", check=True)
    wait_for(lambda: gone(system, f"user/{NOBODY}", "t.bg"), "the Background agent gone when lingering ends")
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHCTL), "linger",
                        "nobody", "on"], env=system.env, capture_output=True, text=True, timeout=DEADLINE)
    assert r.returncode == 1 and "root's" in r.stderr  # EPERM


def test_sessions_survive_a_launchd_restart(system):
    agent(system, "t.aqua", "exec sleep 600")
    system.start()
    s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "x11", "DISPLAY": ":7"})
    wait_for(lambda: running(system, f"gui/{NOBODY}", "t.aqua"), "the agent")
    system.restart()
    wait_for(lambda: running(system, f"gui/{NOBODY}", "t.aqua"), "the agent again, its session restored")
    assert "=> Aqua: x11 via gantry-session" in system.ctl("print", f"gui/{NOBODY}", check=True).stdout
    s.close()  # the session id the module kept still names it
    wait_for(lambda: gone(system, f"gui/{NOBODY}", "t.aqua"), "the agent gone at close_session")


def test_only_root_opens_sessions(system):
    system.start()
    s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "x11"}, run_as_nobody=True)
    out, _ = s.proc.communicate("secret\n", timeout=DEADLINE)
    assert s.proc.returncode != 0 and "open_session" in out
    assert system.ctl("print", f"gui/{NOBODY}").returncode == 112  # no session: the domain was never made


def test_asuser_joins_the_session_and_an_agent_reaches_its_session_bus(system):
    system.start()
    rundir = system.root / "run/user-65534"  # the bus's directory, the user's own
    rundir.mkdir(parents=True)
    os.chown(rundir, NOBODY, NOBODY)
    bus = rundir / "bus"
    daemon = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "dbus-daemon",
                               "--session", "--nofork", "--nopidfile", f"--address=unix:path={bus}",
                               "--print-address=1"], stdout=subprocess.PIPE, text=True)
    try:
        address = daemon.stdout.readline().strip()
        assert address.startswith("unix:path="), "dbus-daemon did not start"
        monitor = subprocess.Popen(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "dbus-monitor",
                                    "--address", address, "interface='org.freedesktop.Notifications'"],
                                   stdout=subprocess.PIPE)
        read_until(monitor, "member=NameLost")  # the bus took its name: it monitors from here on
        bus_id = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "gdbus", "call",
                                 "--address", address, "--dest", "org.freedesktop.DBus", "--object-path",
                                 "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.GetId"],
                                capture_output=True, text=True).stdout.strip()
        agent(system, "t.bus", "gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus "
                               "--method org.freedesktop.DBus.GetId; notify-send --expire-time=1 gantry-agent-says-hi")
        s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "wayland", "DBUS_SESSION_BUS_ADDRESS": address})
        wait_for(lambda: bus_id in out_lines(system, f"gui/{NOBODY}", "t.bus"), "the bus's id, read by the agent")
        # notify-send's first call, on the session's bus (no notification server runs here: it goes no further)
        seen = read_until(monitor, "interface=org.freedesktop.Notifications; member=GetServerInformation")
        assert "destination=org.freedesktop.Notifications" in seen
        monitor.kill()
        monitor.wait()
        r = subprocess.run([str(LAUNCHCTL), "asuser", str(NOBODY), "/bin/sh", "-c", "echo $DBUS_SESSION_BUS_ADDRESS"],
                           env={k: v for k, v in system.env.items() if not k.startswith("DBUS")}, capture_output=True,
                           text=True, timeout=DEADLINE)
        assert r.stdout.strip() == address and f"uid {NOBODY}: Aqua session" in r.stderr
        s.close()
    finally:
        daemon.kill()
        daemon.wait()


def test_malformed_session_requests_get_errors_naming_the_cause(system):
    """Even root's requests (pam_launchd.so's) are checked: each wrong one gets an error, none a domain."""
    from rawxpc import Raw
    system.start()
    raw = Raw(system.socket, passcred=True)
    cases = [
        ({"uid": "65534", "session_type": "Aqua"}, "needs the session's uid"),
        ({"uid": 2 ** 40, "session_type": "Aqua"}, "needs the session's uid"),
        ({"uid": 4242424, "session_type": "Aqua"}, "no user has uid 4242424"),
        ({"uid": NOBODY, "session_type": "Background"}, "Background is the user's domain itself"),
        ({"uid": NOBODY}, 'session type "(none)"'),
        ({"uid": NOBODY, "session_type": "Aqua", "environment": "DISPLAY=:0"}, "a dictionary of at most 64"),
        ({"uid": NOBODY, "session_type": "Aqua", "environment": {f"V{i}": "x" for i in range(65)}},
         "a dictionary of at most 64"),
        ({"uid": NOBODY, "session_type": "Aqua", "environment": {"DISPLAY": 0}}, "not a string"),
    ]
    for request, cause in cases:
        r = raw.call(dict(request, routine="session_open"))
        assert r["error"] != 0 and cause in r["error_detail"], (request, r)
    r = raw.call({"routine": "session_close", "session_id": "1"})
    assert r["error"] == 22 and "the session's id (a positive integer)" in r["error_detail"]
    r = raw.call({"routine": "session_close", "session_id": 99})
    assert r["error"] == 3 and "no session 99 is open" in r["error_detail"]
    r = raw.call({"routine": "linger", "uid": NOBODY, "linger": "yes"})
    assert r["error"] == 22 and "linger must be true or false" in r["error_detail"]
    assert raw.call({"routine": "linger", "uid": NOBODY})["linger"] is False
    raw.close()
    assert system.ctl("print", f"gui/{NOBODY}").returncode == 112  # nothing was created
    assert system.ctl("version").returncode == 0


def test_getenv_reads_the_session_and_bootstrap_into_an_inactive_user_domain_says_why(system):
    agent(system, "t.both", "exec sleep 600", LimitLoadToSessionType=["Aqua", "Background"])
    system.start()
    system.write_plist("t.bg", ProgramArguments=["/bin/true"], LimitLoadToSessionType="Background")
    r = system.ctl("bootstrap", f"user/{NOBODY}", system.jobs_dir / "t.bg.plist")
    assert r.returncode == 125 and f"uid {NOBODY} has no login session and does not linger" in r.stderr
    s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "x11", "DISPLAY": ":9"})
    wait_for(lambda: running(system, f"gui/{NOBODY}", "t.both"), "the agent in gui/<uid>")
    wait_for(lambda: running(system, f"user/{NOBODY}", "t.both"), "and in user/<uid>: every type it names")
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHCTL)]
    r = subprocess.run([*nobody, "getenv", "DISPLAY"], env=system.env, capture_output=True, text=True)
    assert r.stdout == ":9\n", r.stderr
    s.close()
    wait_for(lambda: gone(system, f"gui/{NOBODY}", "t.both"), "the agent gone")
    r = subprocess.run([*nobody, "getenv", "DISPLAY"], env=system.env, capture_output=True, text=True)
    assert (r.returncode, r.stdout) == (0, "")  # the session's variable left with it


def test_an_agent_registered_without_a_session_waits_for_the_login_and_says_so(system):
    """SMAppService: an agent registered while its user is logged out is not "enabled" — nothing runs — but
    awaiting-login; the login loads it, the logout boots it out and it waits again."""
    from test_service_management import SM_TOOL, make_bundle
    system.start()
    app = make_bundle(system, agents=[("com.demo.agent", {})])
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(SM_TOOL), "-b", str(app)]

    def status():
        out = subprocess.run([*nobody, "status", "agent", "com.demo.agent.plist"], env=system.env,
                             capture_output=True, text=True, timeout=DEADLINE).stdout.strip()
        fields = dict(part.split("=", 1) for part in out.split(" ", 2))
        return int(fields["status"]), fields["reason"], fields["detail"]

    r = subprocess.run([*nobody, "register", "agent", "com.demo.agent.plist"], env=system.env, capture_output=True,
                       text=True, timeout=DEADLINE)
    assert r.stdout.strip() == "ok", r.stdout + r.stderr
    st, reason, detail = status()
    assert (st, reason) == (3, "awaiting-login") and f"uid {NOBODY} logs in" in detail, detail
    s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "x11"})
    wait_for(lambda: running(system, f"gui/{NOBODY}", "com.demo.agent"), "the registered agent at login")
    assert status()[:2] == (1, "none")
    s.close()
    wait_for(lambda: gone(system, f"gui/{NOBODY}", "com.demo.agent"), "the agent gone at logout")
    assert status()[:2] == (3, "awaiting-login")


def test_a_corrupt_session_or_linger_file_is_named_and_launchd_starts_without_it(system):
    system.start()
    system.stop()
    (system.root / "run/launchd/sessions.plist").write_text("<plist><dict>")  # a crash mid-write, a bad disk
    (system.state_dir / "linger.plist").write_bytes(b"\x00garbage")
    system.start()
    system.wait_log("sessions.plist: not a list of sessions")
    system.wait_log("linger.plist: not a list of uids")
    assert "the sessions it held are forgotten" in system.log and "nobody lingers" in system.log
    s = PamSession(system, "nobody", env={"XDG_SESSION_TYPE": "x11"})  # and sessions work as before
    wait_for(lambda: "session types = Aqua" in system.ctl("print", f"gui/{NOBODY}").stdout, "a new session")
    s.close()
