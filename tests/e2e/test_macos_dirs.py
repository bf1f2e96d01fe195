"""macOS's job directories, as tools that install launchd jobs use them: /Library/LaunchDaemons (system),
/Library/LaunchAgents and ~/Library/LaunchAgents (each user's agents) load at launchd's start, with the
same ownership rules as Gantry's own directories and a precedence when a label is in two of them — Gantry's
admin directory wins; the conflict is logged and shown in `print`. And a configuration-management client
that knows only macOS: legacy verbs, `list` parsed as such tools parse it, launchd restarted in between."""
import os
import re

from conftest import needs_root, wait_for


def test_library_and_home_library_agents_load_at_start(make_gantry):
    g = make_gantry(start=False)
    g.write_plist("org.example.local", directory=g.root / "Library/LaunchAgents",
                  ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    g.write_plist("org.example.mine", directory=g.root / f"home/{g.uid}/Library/LaunchAgents",
                  ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    writable = g.write_plist("org.example.writable", directory=g.root / "Library/LaunchAgents", Program="/bin/true")
    writable.chmod(0o666)
    g.start()
    local = g.wait_running("org.example.local")
    assert local["path"] == str(g.root / "Library/LaunchAgents/org.example.local.plist")
    g.wait_running("org.example.mine")
    assert g.service("org.example.writable") is None  # the same ownership rules as everywhere
    assert f"{writable}: owner" in g.log and "not writable by group or others" in g.log


def test_admin_directory_wins_and_the_conflict_is_shown(make_gantry):
    g = make_gantry(start=False)
    kept = g.write_plist("org.example.dup", directory=g.admin_dir, ProgramArguments=["/bin/sleep", "1001"],
                         RunAtLoad=True)
    library = g.write_plist("org.example.dup", directory=g.root / "Library/LaunchAgents",
                            ProgramArguments=["/bin/sleep", "1002"], RunAtLoad=True)
    vendor = g.write_plist("org.example.dup", directory=g.vendor_dir, ProgramArguments=["/bin/sleep", "1003"],
                           RunAtLoad=True)
    g.start()
    s = g.wait_running("org.example.dup")
    assert s["path"] == str(kept) and s["arguments"] == ["/bin/sleep", "1001"]
    assert s["shadowed"] == [str(library), str(vendor)]
    text = g.ctl("print", f"{g.domain}/org.example.dup", check=True).stdout
    assert "shadowed (same label, lower precedence, not loaded)" in text and str(library) in text
    assert f"not loading {library}: org.example.dup is loaded from {kept}, whose directory takes precedence" in g.log


@needs_root
def test_library_launchdaemons_in_the_system_domain(make_gantry):
    g = make_gantry(mode="system", start=False, public=True)
    g.write_plist("org.example.daemon", directory=g.root / "Library/LaunchDaemons",
                  ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    g.write_plist("org.example.agent", directory=g.root / "Library/LaunchAgents",
                  ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    g.start()
    g.wait_running("org.example.daemon")
    assert g.service("org.example.agent") is None  # agents go to users' domains, never to system


# What configuration-management modules and installers parse (three tab-separated columns; the dictionary
# with regular expressions).
LIST_ROW = re.compile(r"^(-|\d+)\t(-?\d+)\t(\S+)$")
PID_KEY = re.compile(r'"PID" = (\d+);')
STATUS_KEY = re.compile(r'"LastExitStatus" = (\d+);')


def rows(g):
    out = g.ctl("list", check=True).stdout.splitlines()
    assert out[0] == "PID\tStatus\tLabel"
    return {m.group(3): (m.group(1), int(m.group(2))) for m in map(LIST_ROW.match, out[1:]) if m}


@needs_root
def test_a_configuration_management_client_cannot_tell(make_gantry):
    """Install a daemon as a macOS module would, manage it with legacy verbs only, restart launchd."""
    g = make_gantry(mode="system", start=False, public=True)
    daemons = g.root / "Library/LaunchDaemons"
    daemons.mkdir(parents=True)
    g.start()
    path = g.write_plist("com.example.managed", directory=daemons, ProgramArguments=["/bin/sleep", "1000"],
                         KeepAlive=True)
    for _ in range(2):  # a module's "ensure loaded" runs twice; the second load must not fail the run
        r = g.ctl("load", "-w", path)
        assert r.returncode == 0, r.stderr
    wait_for(lambda: rows(g).get("com.example.managed", ("-", 0))[0] != "-", "the daemon to run")
    detail = g.ctl("list", "com.example.managed", check=True).stdout
    pid = int(PID_KEY.search(detail).group(1))
    assert STATUS_KEY.search(detail).group(1) == "0"
    assert g.stop() == 0  # launchd restarted: the daemon comes back from /Library/LaunchDaemons
    wait_for(lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z",
             "the old instance to be gone")
    g.start()
    wait_for(lambda: rows(g).get("com.example.managed", ("-", 0))[0] not in ("-", str(pid)), "it to run again")
    for _ in range(2):  # "ensure unloaded", twice
        r = g.ctl("unload", "-w", path)
        assert r.returncode == 0, r.stderr
    assert "com.example.managed" not in rows(g)
    g.stop()
    g.start()  # disabled by unload -w: stays out across the restart
    assert "com.example.managed" not in rows(g)
