"""Domains and persistence: overrides across restarts, vendor-job replacement,
the system daemon (ownership checks, UserName), and launchd --user run by an
unprivileged user."""
from conftest import PamSession, needs_root
import json
import os
import subprocess

from conftest import LAUNCHCTL, LAUNCHD, wait_for

NOBODY = (65534, 65534)


def test_overrides_survive_restart(make_gantry):
    g = make_gantry(start=False)
    g.write_plist("t.keep", ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    g.start()
    g.wait_running("t.keep")
    g.ctl("disable", f"{g.domain}/t.keep", check=True)
    g.restart()
    assert g.service("t.keep") is None  # a disabled job is not loaded at start
    out = json.loads(g.ctl("print-disabled", g.domain, "--json", check=True).stdout)
    assert out == {"t.keep": True}
    assert "not loading" in g.log and "is disabled by an override" in g.log
    g.ctl("enable", f"{g.domain}/t.keep", check=True)
    g.restart()
    g.wait_running("t.keep")


def test_overrides_edited_by_another_program_are_taken_and_kept(gantry):
    """disabled.plist edited while launchd runs (a configuration tool, an editor): taken at once, and launchd's
    own next write keeps the edit."""
    import plistlib
    path = gantry.state_dir / f"disabled.{gantry.uid}.plist"
    disabled = lambda: json.loads(gantry.ctl("print-disabled", gantry.domain, "--json", check=True).stdout)
    tmp = path.with_name("edit.tmp")
    tmp.write_bytes(plistlib.dumps({"org.example.byhand": True}))
    tmp.rename(path)  # as editors and tools save
    wait_for(lambda: disabled() == {"org.example.byhand": True}, "the edited overrides to be taken")
    gantry.ctl("disable", f"{gantry.domain}/org.example.mine", check=True)
    assert plistlib.loads(path.read_bytes()) == {"org.example.byhand": True, "org.example.mine": True}
    path.write_bytes(plistlib.dumps({"org.example.byhand": False, "org.example.mine": True}))  # in place
    wait_for(lambda: disabled().get("org.example.byhand") is False, "the in-place edit to be taken")
    path.write_text("<plist><dict><key>half-written")  # caught mid-write: launchd keeps what it has
    gantry.wait_log("keeping the 2 overrides launchd has")
    assert disabled() == {"org.example.byhand": False, "org.example.mine": True}
    assert path.exists()  # never moved aside while launchd runs
    gantry.ctl("enable", f"{gantry.domain}/org.example.mine", check=True)  # rewrites it whole
    assert plistlib.loads(path.read_bytes()) == {"org.example.byhand": False, "org.example.mine": False}


def test_corrupt_overrides_file_is_kept_aside(make_gantry):
    g = make_gantry(start=False)
    g.state_dir.mkdir(parents=True)
    (g.state_dir / f"disabled.{g.uid}.plist").write_text("this is not a plist")
    g.start()
    assert "is not a property-list dictionary; moved it to" in g.log
    assert any(p.name.startswith(f"disabled.{g.uid}.plist.corrupt-") for p in g.state_dir.iterdir())
    g.ctl("disable", f"{g.domain}/t.x", check=True)
    assert json.loads(g.ctl("print-disabled", g.domain, "--json").stdout) == {"t.x": True}


def test_vendor_job_replaced_by_admin_job(make_gantry):
    """The classic admin task: disable a vendor job, run a local replacement under its own label."""
    g = make_gantry(start=False)
    g.write_plist("org.postfix.master", directory=g.vendor_dir, ProgramArguments=["/bin/sleep", "1001"],
                  KeepAlive=True)
    g.start()
    vendor_pid = g.wait_running("org.postfix.master")["pid"]
    assert "vendor" in g.service("org.postfix.master")["properties"]
    g.ctl("disable", f"{g.domain}/org.postfix.master", check=True)
    g.ctl("bootout", f"{g.domain}/org.postfix.master", check=True)
    local = g.write_plist("local.postfix.master", directory=g.admin_dir, ProgramArguments=["/bin/sleep", "1002"],
                          KeepAlive=True)
    g.ctl("bootstrap", g.domain, local, check=True)
    g.wait_running("local.postfix.master")
    g.restart()
    g.wait_running("local.postfix.master")
    assert g.service("org.postfix.master") is None
    assert vendor_pid


@needs_root
def test_system_domain_user_name_and_ownership(make_gantry):
    g = make_gantry(mode="system", start=False, public=True)
    out = g.root / "public"
    out.mkdir(parents=True)
    out.chmod(0o777)
    g.write_plist("t.asnobody", ProgramArguments=["/bin/sh", "-c", "id -u; id -g"], RunAtLoad=True,
                  UserName="nobody", StandardOutPath=str(out / "id.out"))
    locked = g.root / "locked"
    locked.mkdir(mode=0o755)
    g.write_plist("t.denied", Program="/bin/true", RunAtLoad=True, UserName="nobody",
                  StandardOutPath=str(locked / "x.log"))
    bad = g.write_plist("t.owned", Program="/bin/true")
    os.chown(bad, *NOBODY)
    g.start()
    wait_for(lambda: (out / "id.out").exists() and (out / "id.out").read_text() == "65534\n65534\n",
             "the job to run as nobody")
    assert (out / "id.out").stat().st_uid == 65534  # created by and owned by the job's user
    s = g.wait_state("t.denied", lambda s: s["state"] == "spawn failed", "spawn failed")
    assert s["spawn_failure"] == f"StandardOutPath {locked}/x.log: Permission denied"
    assert g.service("t.owned") is None
    assert f"{bad}: owner nobody (uid 65534), mode 0644; a system job file must be owned by root" in g.log
    r = g.ctl("bootstrap", "system", bad)
    assert r.returncode == 122
    path = g.write_plist("t.nouser", Program="/bin/true", UserName="no-such-user-xyz")
    r = g.ctl("bootstrap", "system", path)
    assert r.returncode == 114 and 'UserName "no-such-user-xyz": no such user' in r.stderr


@needs_root
def test_system_daemon_hosts_user_domains(make_gantry):
    g = make_gantry(mode="system", public=True, login=False)
    agents = g.root / "home/65534/.config/launchd/LaunchAgents"
    g.write_plist("t.agent", directory=agents, ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    r = g.ctl("print", "gui/65534/t.agent", "--json")  # looking never creates a domain or starts its agents
    assert r.returncode == 112 and "gui/65534 does not exist yet" in r.stderr
    assert subprocess.run(["pgrep", "-u", "65534", "-f", "^/bin/sleep 1000$"]).returncode == 1  # nothing started
    session = PamSession(g, "nobody", env={"XDG_SESSION_TYPE": "x11"})  # the user's login loads its agents
    s = g.wait_state_in("gui/65534", "t.agent", lambda s: s["pid"], "running")
    with open(f"/proc/{s['pid']}/status") as f:
        uids = next(line for line in f if line.startswith("Uid:")).split()[1:]
    assert uids == ["65534"] * 4
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHCTL),
                        "kickstart", "-k", "gui/65534/t.agent"], env=g.env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr  # users may manage their own domains
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHCTL),
                        "disable", "system/t.x"], env=g.env, capture_output=True, text=True)
    assert r.returncode == 1 and "only root may change the system domain (you are uid 65534)" in r.stderr
    session.close()


@needs_root
def test_unprivileged_user_daemon(make_gantry):
    g = make_gantry(run_as=NOBODY, start=False)
    out = g.root / "id.out"
    g.write_plist("t.mine", ProgramArguments=["/bin/sh", "-c", f"id -u > {out}"], RunAtLoad=True)
    g.start()
    wait_for(lambda: out.exists() and out.read_text() == "65534\n", "the job to run as the daemon's user")
    assert g.domain == "gui/65534"
    assert g.ctl("list", check=True).stdout.startswith("PID\tStatus\tLabel")
    with open(f"/proc/{g.proc.pid}/status") as f:
        assert next(line for line in f if line.startswith("Uid:")).split()[1] == "65534"
    r = g.ctl("print", "system")
    assert r.returncode == 112 and "hosts only gui/65534 and user/65534" in r.stderr


@needs_root
def test_launchd_refuses_system_mode_for_non_root(tmp_path):
    from conftest import LAUNCHD
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHD), "--system"],
                       capture_output=True, text=True, env=dict(os.environ, LAUNCHD_ROOT=str(tmp_path)))
    assert r.returncode == 77 and "--system needs root (you are uid 65534)" in r.stderr


@needs_root
def test_launchd_user_refuses_domains_the_system_launchd_owns(make_gantry):
    """One owner per domain: beside a running system launchd, `launchd --user` would host gui/<uid> a second
    time; it refuses, naming the launchd that owns them and what to do. Without one it starts (every other test)."""
    g = make_gantry(mode="system", public=True)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHD), "--user"],
                       env=g.env, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert r.stderr == (f"launchd: the system launchd (pid {g.proc.pid}, {g.socket}) hosts gui/65534 and user/65534: "
                        "load your agents there (launchctl bootstrap gui/65534 PATH), or stop it before running "
                        "launchd --user\n")
    assert g.ctl("print", "system").returncode == 0  # the system launchd is untouched
