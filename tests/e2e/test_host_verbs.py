"""The launchctl verbs people type from habit: the manager's identity, the host, a process's job, every
domain at once, a tool run against launchd — and, for the macOS verbs Linux cannot have, a message saying
why and what to use instead (exit 45, ENOTSUP), never "Unrecognized subcommand"."""
import pytest

from conftest import LAUNCHCTL, needs_root, pid_alive, wait_for

ABSENT = ["attach", "bootshell", "print-cache", "print-token", "resolveport", "uncache", "plist", "bsexec", "bslist",
          "bstree", "dumpjpcategory", "variant"]


def test_manager_identity(gantry):
    assert gantry.ctl("managerpid", check=True).stdout == f"{gantry.proc.pid}\n"
    assert gantry.ctl("manageruid", check=True).stdout == f"{gantry.uid}\n"
    assert gantry.ctl("managername", check=True).stdout == "Aqua\n"  # a user's launchd hosts the Aqua session
    assert gantry.ctl("managerpid", "extra").returncode == 64


def test_procinfo_names_the_job_of_a_process(gantry):
    path = gantry.write_plist("t.proc", ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    gantry.ctl("load", path, check=True)
    pid = gantry.wait_running("t.proc")["pid"]
    out = gantry.ctl("procinfo", pid, check=True).stdout
    assert f"pid = {pid}\n" in out and f"job = {gantry.domain}/t.proc\n" in out
    assert "program = " in out and "Uid:" in out and "Max open files" in out
    out = gantry.ctl("procinfo", gantry.proc.pid, check=True).stdout
    assert "job = (none: " in out
    assert gantry.ctl("procinfo", "notapid").returncode == 64


def test_hostinfo_dumpstate_examine_help(gantry):
    out = gantry.ctl("hostinfo", check=True).stdout
    assert "kernel = Linux" in out and f"pid {gantry.proc.pid}" in out
    assert f"gui/{gantry.uid} = {{" in gantry.ctl("dumpstate", check=True).stdout
    assert gantry.ctl("examine", "echo", "launchd is", "@PID", check=True).stdout == f"launchd is {gantry.proc.pid}\n"
    for flag in ("-h", "--help"):
        out = gantry.ctl(flag, check=True).stdout
        assert "managerpid" in out and "setenv" in out


@pytest.mark.parametrize("verb", ABSENT)
def test_macos_only_verbs_say_why(gantry, verb):
    r = gantry.ctl(verb)
    assert r.returncode == 45, r.stderr
    assert r.stderr.startswith(f"launchctl {verb}: not available on Linux: ") and "Unrecognized" not in r.stderr


@needs_root
def test_asuser_makes_the_users_domain_the_default(make_gantry):
    """An installer's postinstall runs as root: `launchctl asuser UID launchctl load AGENT` loads into that
    user's gui/<uid>, as on macOS, not into system."""
    g = make_gantry(mode="system", public=True)
    agent = g.write_plist("org.example.installed", directory=g.root / "Library/LaunchAgents",
                          ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    r = g.ctl("asuser", "65534", str(LAUNCHCTL), "load", "-w", agent)
    assert r.returncode == 0, r.stderr
    g.wait_state_in("gui/65534", "org.example.installed", lambda s: s["pid"] is not None, "running as nobody's agent")
    assert g.service("org.example.installed", domain="system") is None
    out = g.ctl("asuser", "65534", str(LAUNCHCTL), "list", check=True).stdout
    assert "\torg.example.installed" in out
    assert g.ctl("asuser", "x", "true").returncode == 64


def test_asuser_for_another_user_needs_root(make_gantry):
    g = make_gantry(run_as=(65534, 65534), public=True)
    r = g.ctl("asuser", "0", "true")
    assert r.returncode == 1 and "only root may act for uid 0" in r.stderr


def test_reboot_userspace_restarts_launchd_and_its_jobs(gantry):
    gantry.write_plist("t.survivor", ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    gantry.ctl("load", gantry.jobs_dir / "t.survivor.plist", check=True)
    old_job = gantry.wait_running("t.survivor")["pid"]
    old_pid = gantry.proc.pid
    gantry.ctl("reboot", "userspace", check=True)
    gantry.wait_log("again (reboot userspace)")
    wait_for(lambda: gantry.ctl("managerpid").stdout == f"{old_pid}\n" and gantry.service("t.survivor") and
             gantry.service("t.survivor")["pid"] not in (None, old_job), "launchd back with its job restarted")
    assert gantry.proc.poll() is None  # the same process, running itself again
    assert not pid_alive(old_job)


def test_reboot_modes_say_what_they_do(gantry):
    r = gantry.ctl("reboot")
    assert r.returncode == 45 and "not this machine's init" in r.stderr and "systemctl reboot" in r.stderr
    r = gantry.ctl("reboot", "apps")
    assert r.returncode == 117 and "not launchd's on Linux" in r.stderr
    assert gantry.ctl("reboot", "logout").returncode == 0  # a user's launchd: stops its jobs and exits
    assert gantry.proc.wait(timeout=20) == 0
