"""Service Management end to end: one test per row of the field's pain table
(research/xpc-sm.md §2), with a real launchd, real bundles and real processes."""
import json
import os
import plistlib
import shutil
import subprocess

from conftest import BUILD, needs_root, pid_alive, wait_for

SM_TOOL = BUILD / "tests/helpers/sm-tool"
ECHO = BUILD / "tests/helpers/xpc-echo-service"
CLIENT = BUILD / "tests/helpers/xpc-client"
LIBS = f"{BUILD / 'src/libxpc'}:{BUILD / 'src/libsm'}"


def sm(g, *args, bundle=None):
    cmd = [str(SM_TOOL), *(["-b", str(bundle)] if bundle else []), *map(str, args)]
    return subprocess.run(cmd, env=g.env, capture_output=True, text=True, timeout=120)


def status(g, bundle, kind, name):
    out = sm(g, "status", kind, name, bundle=bundle).stdout.strip()
    fields = dict(part.split("=", 1) for part in out.split(" ", 2))
    return int(fields["status"]), fields["reason"], fields["detail"]


def background(g):
    r = g.ctl("background", "list", "--json", check=True)
    return {item["id"]: item for item in json.loads(r.stdout)}


def make_bundle(g, name="Demo", bundle_id="com.demo.app", agents=(), daemons=(), where=None):
    """NAME.app with Info.plist, a copy of /bin/sleep as Contents/MacOS/helper, and the given plists."""
    app = (where or g.root / "Applications") / f"{name}.app"
    (app / "Contents/MacOS").mkdir(parents=True)
    with open(app / "Contents/Info.plist", "wb") as f:
        plistlib.dump({"CFBundleIdentifier": bundle_id, "CFBundleVersion": "1", "CFBundleExecutable": "helper"}, f)
    shutil.copy2("/bin/sleep", app / "Contents/MacOS/helper")
    for kind, plists in (("LaunchAgents", agents), ("LaunchDaemons", daemons)):
        for label, keys in plists:
            write_job(app, kind, label, **keys)
    return app


def write_job(app, kind, label, **keys):
    d = app / "Contents/Library" / kind
    d.mkdir(parents=True, exist_ok=True)
    data = {"Label": label, "BundleProgram": "Contents/MacOS/helper", "ProgramArguments": ["helper", "600"],
            "RunAtLoad": True, **keys}
    with open(d / f"{label}.plist", "wb") as f:
        plistlib.dump(data, f)
    return d / f"{label}.plist"


AGENT = [("com.demo.agent", {})]


def sleeper(path):
    """A program that runs until it is stopped, without arguments (as apps and login items start)."""
    path.write_text("#!/bin/sh\nexec sleep 600\n")
    path.chmod(0o755)


def test_agent_registers_enabled_and_runs_at_once(gantry):
    app = make_bundle(gantry, agents=AGENT)
    assert status(gantry, app, "agent", "com.demo.agent.plist")[:2] == (0, "not-registered")
    r = sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    assert r.stdout.strip() == "ok", r.stdout
    first = gantry.wait_running("com.demo.agent")["pid"]
    assert status(gantry, app, "agent", "com.demo.agent.plist")[:2] == (1, "none")
    item = background(gantry)[f"gui/{gantry.uid}/com.demo.agent"]
    assert item["approval"] == "approved" and item["kind"] == "agent" and item["bundle_identifier"] == "com.demo.app"
    assert item["pid"] == first
    # Registering the same content again is a no-op success, never "already registered".
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    assert gantry.service("com.demo.agent")["pid"] == first
    assert gantry.service("com.demo.agent")["type"] == "Submitted"


def test_register_from_outside_any_bundle_says_so(gantry):
    r = sm(gantry, "register", "agent", "com.demo.agent.plist")  # sm-tool itself lives in build/
    assert r.returncode == 1
    assert r.stdout.startswith(f"error: 5: the calling program {os.path.realpath(SM_TOOL)} is not inside an app "
                               "bundle (Name.app/Contents/MacOS/...)")


def test_missing_plist_and_program_are_named(gantry):
    app = make_bundle(gantry, agents=[("com.demo.agent", {"BundleProgram": "Contents/MacOS/nothere"})])
    r = sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    assert r.stdout.startswith(f"error: 5: BundleProgram not found at {app}/Contents/MacOS/nothere"), r.stdout
    r = sm(gantry, "register", "agent", "com.demo.other.plist", bundle=app)
    assert r.stdout.startswith(f"error: 8: no plist at {app}/Contents/Library/LaunchAgents/com.demo.other.plist")
    assert status(gantry, app, "agent", "com.demo.other.plist")[:2] == (3, "plist-missing")
    write_job(app, "LaunchAgents", "com.demo.bad", KeepAlive="yes")
    r = sm(gantry, "register", "agent", "com.demo.bad.plist", bundle=app)
    assert r.stdout.startswith("error: 10: ") and "KeepAlive: expected boolean or dictionary" in r.stdout, r.stdout


def test_changed_plist_is_picked_up_by_register(gantry):
    app = make_bundle(gantry, agents=AGENT)
    sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    old = gantry.wait_running("com.demo.agent")["pid"]
    write_job(app, "LaunchAgents", "com.demo.agent", ProgramArguments=["helper", "700"])
    st, reason, detail = status(gantry, app, "agent", "com.demo.agent.plist")
    assert (st, reason) == (1, "record-stale") and "changed since it was registered" in detail
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    new = gantry.wait_running("com.demo.agent", not_pid=old)
    assert new["arguments"] == ["helper", "700"] and not pid_alive(old)
    assert status(gantry, app, "agent", "com.demo.agent.plist")[:2] == (1, "none")


def test_thousand_register_update_unregister_cycles_end_consistent(gantry):
    app = make_bundle(gantry, agents=AGENT)
    plist = app / "Contents/Library/LaunchAgents/com.demo.agent.plist"
    alt = write_job(app, "LaunchAgents", "com.demo.agent", ProgramArguments=["helper", "601"]).with_name("alt.plist")
    shutil.copy2(plist, alt)
    write_job(app, "LaunchAgents", "com.demo.agent")  # plist and alt now differ
    r = sm(gantry, "cycles", 1000, "agent", "com.demo.agent.plist", plist, alt, bundle=app)
    assert r.stdout.strip() == "cycles=1000", r.stdout + r.stderr
    # Registry, launchd's job table and the processes agree: nothing is left.
    assert background(gantry) == {}
    assert gantry.service("com.demo.agent") is None
    helper = str(app / "Contents/MacOS/helper")
    assert subprocess.run(["pgrep", "-f", helper], capture_output=True).returncode == 1
    assert "BackgroundItems.plist" in os.listdir(gantry.state_dir)


def test_approval_revoked_while_running(gantry):
    app = make_bundle(gantry, agents=AGENT)
    sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    pid = gantry.wait_running("com.demo.agent")["pid"]
    label = f"gui/{gantry.uid}/com.demo.agent"
    r = gantry.ctl("background", "deny", label, check=True)  # returns once the process is gone
    assert "requiresApproval (approval-revoked)" in r.stdout
    assert not pid_alive(pid) and gantry.service("com.demo.agent") is None
    assert status(gantry, app, "agent", "com.demo.agent.plist")[:2] == (2, "approval-revoked")
    r = sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    assert r.stdout.startswith("error: 11: an administrator denied " + label)
    gantry.ctl("background", "approve", "com.demo.agent", check=True)
    gantry.wait_running("com.demo.agent")
    assert status(gantry, app, "agent", "com.demo.agent.plist")[:2] == (1, "none")


def test_bundle_moved_or_deleted_leaves_no_orphan(gantry):
    app = make_bundle(gantry, agents=AGENT)
    sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    pid = gantry.wait_running("com.demo.agent")["pid"]
    moved = app.parent.parent / "Elsewhere" / "Demo.app"
    moved.parent.mkdir()
    app.rename(moved)
    wait_for(lambda: not pid_alive(pid), "the orphaned helper to be booted out")  # launchd watches the bundle
    assert gantry.service("com.demo.agent") is None
    item = background(gantry)[f"gui/{gantry.uid}/com.demo.agent"]
    assert item["reason"] == "bundle-missing" and str(app) in item["detail"]
    assert "booted out: bundle " + str(app) in gantry.log
    # Registering from the new place takes the record over (same bundle identifier).
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=moved).stdout.strip() == "ok"
    assert gantry.wait_running("com.demo.agent")["program"] == str(moved / "Contents/MacOS/helper")
    assert background(gantry)[f"gui/{gantry.uid}/com.demo.agent"]["bundle"] == str(moved)


def test_stale_record_after_a_bundle_swap(gantry):
    app = make_bundle(gantry, agents=AGENT)
    sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    old = gantry.wait_running("com.demo.agent")["pid"]
    # An updater swaps in a new build of the whole bundle (a different executable).
    new = make_bundle(gantry, name="Demo-new", agents=AGENT)
    shutil.copy2("/bin/true", new / "Contents/MacOS/helper")
    write_job(new, "LaunchAgents", "com.demo.agent", ProgramArguments=["helper"], RunAtLoad=True,
              KeepAlive={"SuccessfulExit": False})
    app.rename(app.with_name("Demo-old.app"))
    new.rename(app)
    st, reason, detail = status(gantry, app, "agent", "com.demo.agent.plist")
    assert (st, reason) == (1, "record-stale"), detail
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    wait_for(lambda: not pid_alive(old), "the old build to be stopped")
    gantry.wait_state("com.demo.agent", lambda s: s["runs"] >= 1 and s["last_exit_status"] == 0,
                      "the new build to run")
    item = background(gantry)[f"gui/{gantry.uid}/com.demo.agent"]
    assert item["executable_sha256"] == subprocess.run(["sha256sum", "/bin/true"], capture_output=True,
                                                       text=True).stdout.split()[0]


def test_legacy_label_migration_in_one_command(gantry):
    legacy = gantry.write_plist("com.demo.agent", ProgramArguments=["/bin/sleep", "900"], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, legacy, check=True)
    old = gantry.wait_running("com.demo.agent")["pid"]
    app = make_bundle(gantry, agents=AGENT)
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    s = gantry.wait_running("com.demo.agent", not_pid=old)
    assert s["program"] == str(app / "Contents/MacOS/helper") and not pid_alive(old)
    # After a restart the registered definition still wins over the legacy file.
    gantry.restart()
    s = gantry.wait_running("com.demo.agent")
    assert s["program"] == str(app / "Contents/MacOS/helper")
    assert "is registered through Service Management, which replaces this legacy definition" in gantry.log


def test_helper_exiting_ex_config_is_reported(gantry):
    app = make_bundle(gantry, agents=[("com.demo.agent", {"BundleProgram": "Contents/MacOS/fail",
                                                         "ProgramArguments": ["fail"]})])
    fail = app / "Contents/MacOS/fail"
    fail.write_text("#!/bin/sh\nexit 78\n")
    fail.chmod(0o755)
    sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    gantry.wait_state("com.demo.agent", lambda s: s["last_exit_status"] == 78, "the helper to exit 78")
    st, reason, detail = status(gantry, app, "agent", "com.demo.agent.plist")
    assert (st, reason) == (1, "launch-failed") and "78" in detail and "EX_CONFIG" in detail, detail
    r = sm(gantry, "copy", "user", "com.demo.agent")
    assert '"LastExitStatus" => <int64: 78>' in r.stdout and '"PID"' not in r.stdout


def test_legacy_calls(gantry):
    r = sm(gantry, "copy", "user", "com.nothing")
    assert r.returncode == 1 and r.stdout.startswith("error: 6: launchd: 113: no job \"com.nothing\" in gui/")
    assert sm(gantry, "submit", "user", "com.demo.submitted", "/bin/sleep", "600").returncode == 0
    gantry.ctl("kickstart", f"{gantry.domain}/com.demo.submitted", check=True)
    pid = gantry.wait_running("com.demo.submitted")["pid"]
    assert f'"PID" => <int64: {pid}>' in sm(gantry, "copy", "user", "com.demo.submitted").stdout
    assert sm(gantry, "copy-all", "user").stdout.strip() == "jobs=1"
    assert sm(gantry, "remove", "user", "com.demo.submitted").returncode == 0
    assert not pid_alive(pid)  # remove waited for the process to exit


def test_unregister_async_completes_after_the_process_is_gone(gantry):
    app = make_bundle(gantry, agents=[("com.demo.agent", {"ExitTimeOut": 1})])
    sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    pid = gantry.wait_running("com.demo.agent")["pid"]
    r = sm(gantry, "unregister-async", "agent", "com.demo.agent.plist", bundle=app)
    assert r.stdout.split() == ["returned", "completion=-1"], r.stdout
    assert not pid_alive(pid)


def root_owned_daemon_bundle(g):
    app = make_bundle(g, name="Daemon", bundle_id="com.demo.daemon", where=g.root / "Library")
    shutil.copy2(ECHO, app / "Contents/MacOS/echo")
    write_job(app, "LaunchDaemons", "com.demo.daemon", BundleProgram="Contents/MacOS/echo",
              ProgramArguments=["echo", "com.demo.daemon"], RunAtLoad=False,
              MachServices={"com.demo.daemon": True}, EnvironmentVariables={"LD_LIBRARY_PATH": LIBS})
    for p in (app, *app.rglob("*")):
        os.chown(p, 0, 0)
        p.chmod(0o755 if p.is_dir() or p.suffix != ".plist" else 0o644)
    for p in (g.root, g.root / "Library"):
        p.chmod(0o755)
    return app


@needs_root
def test_daemon_waits_for_approval_then_starts_for_its_client(make_gantry):
    g = make_gantry(mode="system", public=True)
    app = root_owned_daemon_bundle(g)
    assert sm(g, "register", "daemon", "com.demo.daemon.plist", bundle=app).stdout.strip() == "ok"
    assert status(g, app, "daemon", "com.demo.daemon.plist")[:2] == (2, "awaiting-approval")
    r = subprocess.run([str(CLIENT), "-p", "com.demo.daemon", "0"], env=g.env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 1 and '"com.demo.daemon" is advertised by system/com.demo.daemon, registered through ' \
        f"Service Management by {app}, which is not running: an administrator must approve it: " \
        "launchctl background approve system/com.demo.daemon" in r.stdout, r.stdout
    r = g.ctl("background", "approve", "system/com.demo.daemon", check=True)
    assert "enabled (none)" in r.stdout
    assert g.service("com.demo.daemon")["runs"] == 0  # on demand: not started yet
    r = subprocess.run([str(CLIENT), "-p", "com.demo.daemon", "1"], env=g.env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert g.service("com.demo.daemon")["runs"] == 1
    # The approval survives a restart, and so does the item.
    g.restart()
    assert status(g, app, "daemon", "com.demo.daemon.plist")[:2] == (1, "none")


@needs_root
def test_daemon_bundle_writable_by_a_user_is_refused(make_gantry):
    g = make_gantry(mode="system", public=True)
    app = root_owned_daemon_bundle(g)
    exe = app / "Contents/MacOS/echo"
    os.chown(exe, 65534, 65534)
    r = sm(g, "register", "daemon", "com.demo.daemon.plist", bundle=app)
    assert r.stdout.startswith(f"error: 3: {exe} is owned by uid 65534, not root"), r.stdout
    os.chown(exe, 0, 0)
    (app / "Contents").chmod(0o777)
    r = sm(g, "register", "daemon", "com.demo.daemon.plist", bundle=app)
    assert r.stdout.startswith(f"error: 3: {app / 'Contents'} is writable by everyone (mode 0777)"), r.stdout
    (app / "Contents").chmod(0o755)
    assert sm(g, "register", "daemon", "com.demo.daemon.plist", bundle=app).stdout.strip() == "ok"
    # Becoming writable after registration: the item stops being trusted and says why.
    (app / "Contents/MacOS").chmod(0o777)
    st, reason, detail = status(g, app, "daemon", "com.demo.daemon.plist")
    assert (st, reason) == (3, "unsafe-ownership") and "writable by everyone" in detail


@needs_root
def test_preapproval_rules_approve_matching_daemons(make_gantry):
    g = make_gantry(mode="system", public=True)
    app = root_owned_daemon_bundle(g)
    rules = g.root / "etc/launchd/ServiceManagementRules.plist"
    rules.parent.mkdir(parents=True, exist_ok=True)
    with open(rules, "wb") as f:
        plistlib.dump({"Rules": [{"RuleType": "BundleIdentifierPrefix", "RuleValue": "com.demo."}]}, f)
    assert sm(g, "register", "daemon", "com.demo.daemon.plist", bundle=app).stdout.strip() == "ok"
    assert status(g, app, "daemon", "com.demo.daemon.plist")[:2] == (1, "none")


def test_login_item_runs_and_is_relaunched_after_a_crash(gantry):
    app = make_bundle(gantry)
    login = app / "Contents/Library/LoginItems/com.demo.login.app"
    (login / "Contents/MacOS").mkdir(parents=True)
    sleeper(login / "Contents/MacOS/login")
    with open(login / "Contents/Info.plist", "wb") as f:
        plistlib.dump({"CFBundleIdentifier": "com.demo.login", "CFBundleExecutable": "login"}, f)
    assert sm(gantry, "register", "login-item", "com.demo.login", bundle=app).stdout.strip() == "ok"
    pid = gantry.wait_running("com.demo.login")["pid"]
    os.kill(pid, 9)  # "if the helper crashes ... it will be relaunched"
    gantry.wait_running("com.demo.login", not_pid=pid)
    r = sm(gantry, "register", "login-item", "com.demo.other", bundle=app)
    assert r.stdout.startswith(f"error: 8: {app}/Contents/Library/LoginItems/com.demo.other.app/Contents/Info.plist")


def test_main_app_starts_at_the_next_login_not_now(gantry):
    app = make_bundle(gantry)
    sleeper(app / "Contents/MacOS/helper")  # an app runs without arguments
    assert sm(gantry, "register", "main-app", "", bundle=app).stdout.strip() == "ok"
    assert gantry.service("com.demo.app")["state"] == "not running"
    gantry.restart()  # the user's next session
    assert gantry.wait_running("com.demo.app")["program"] == str(app / "Contents/MacOS/helper")


def bless_bundle(g, claim=True):
    app = g.root / "Library/Bless.app"
    services = app / "Contents/Library/LaunchServices"
    services.mkdir(parents=True)
    (app / "Contents/MacOS").mkdir()
    shutil.copy2(SM_TOOL, app / "Contents/MacOS/installer")
    info = {"CFBundleIdentifier": "com.demo.bless", "CFBundleExecutable": "installer"}
    if claim:
        info["SMPrivilegedExecutables"] = {"com.demo.blessed": "owner root"}
    with open(app / "Contents/Info.plist", "wb") as f:
        plistlib.dump(info, f)
    shutil.copy2(ECHO, services / "com.demo.blessed")
    with open(services / "com.demo.blessed.plist", "wb") as f:
        plistlib.dump({"Label": "com.demo.blessed", "ProgramArguments": ["overwritten", "com.demo.blessed"],
                       "MachServices": {"com.demo.blessed": True}, "EnvironmentVariables": {"LD_LIBRARY_PATH": LIBS}}, f)
    for p in (g.root, g.root / "Library", app, *app.rglob("*")):
        os.chown(p, 0, 0)
        p.chmod(0o644 if p.suffix == ".plist" else 0o755)
    return app


@needs_root
def test_smjobbless_installs_updates_and_refuses_with_reasons(make_gantry):
    g = make_gantry(mode="system", public=True)
    app = bless_bundle(g)
    installer = [str(app / "Contents/MacOS/installer"), "bless", "com.demo.blessed"]
    env = dict(g.env, LD_LIBRARY_PATH=LIBS)
    r = subprocess.run(installer, env=env, capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "ok", r.stdout + r.stderr
    installed = g.state_dir / "PrivilegedHelperTools/com.demo.blessed"
    s = g.service("com.demo.blessed")
    assert s["program"] == str(installed) and s["arguments"] == [str(installed), "com.demo.blessed"]
    r = subprocess.run([str(CLIENT), "-p", "com.demo.blessed", "1"], env=g.env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stdout
    # The same helper again: success, nothing replaced.
    assert subprocess.run(installer, env=env, capture_output=True, text=True).stdout.strip() == "ok"
    assert g.service("com.demo.blessed")["runs"] == 1
    # A new version of the helper replaces the installed one.
    with open(app / "Contents/Library/LaunchServices/com.demo.blessed", "ab") as f:
        f.write(b"\0v2")
    assert subprocess.run(installer, env=env, capture_output=True, text=True).stdout.strip() == "ok"
    assert installed.read_bytes().endswith(b"\0v2") and g.service("com.demo.blessed")["runs"] == 0
    # Not root: refused, with the reason.
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *installer], env=env,
                       capture_output=True, text=True)
    assert r.stdout.startswith("error: 4: SMJobBless installs a helper that runs as root, so only root"), r.stdout


@needs_root
def test_smjobbless_needs_the_app_to_claim_the_helper(make_gantry):
    g = make_gantry(mode="system", public=True)
    app = bless_bundle(g, claim=False)
    r = subprocess.run([str(app / "Contents/MacOS/installer"), "bless", "com.demo.blessed"],
                       env=dict(g.env, LD_LIBRARY_PATH=LIBS), capture_output=True, text=True)
    assert r.stdout.startswith(f"error: 3: {app}/Contents/Info.plist has no SMPrivilegedExecutables entry for "
                               "com.demo.blessed"), r.stdout


def test_corrupt_registry_is_moved_aside_and_apps_register_again(gantry):
    app = make_bundle(gantry, agents=AGENT)
    sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app)
    gantry.wait_running("com.demo.agent")
    assert "managed by Service Management" in gantry.ctl("print", f"{gantry.domain}/com.demo.agent").stdout
    gantry.stop()
    (gantry.state_dir / "BackgroundItems.plist").write_bytes(b"bplist00\x00garbage")
    gantry.start()
    assert "background-item registry unreadable" in gantry.log
    assert any(p.startswith("BackgroundItems.plist.corrupt-") for p in os.listdir(gantry.state_dir))
    assert background(gantry) == {}
    assert status(gantry, app, "agent", "com.demo.agent.plist")[:2] == (0, "not-registered")
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    gantry.wait_running("com.demo.agent")


def test_legacy_jobs_are_listed_with_their_apps(gantry):
    path = gantry.write_plist("com.demo.legacy", ProgramArguments=["/bin/sleep", "600"],
                              AssociatedBundleIdentifiers=["com.demo.app"])
    gantry.restart()  # loaded from the job directory, as at login
    item = background(gantry)[f"gui/{gantry.uid}/com.demo.legacy"]
    assert item["kind"] == "legacy-agent" and item["associated_bundle_identifiers"] == ["com.demo.app"]
    assert item["plist"] == str(path)
    text = gantry.ctl("background", "list", check=True).stdout
    assert f"gui/{gantry.uid}/com.demo.legacy (legacy-agent) {path} for com.demo.app" in text


def test_never_enabled_while_nothing_runs(gantry):
    """An item booted out (executable removed) and then restored says so until register() loads it again."""
    app = make_bundle(gantry, agents=AGENT)
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    gantry.wait_running("com.demo.agent")
    helper = app / "Contents/MacOS/helper"
    saved = helper.read_bytes()
    helper.unlink()
    assert status(gantry, app, "agent", "com.demo.agent.plist")[1] == "executable-missing"
    wait_for(lambda: gantry.service("com.demo.agent") is None, "the job booted out")
    helper.write_bytes(saved)
    helper.chmod(0o755)
    st, reason, detail = status(gantry, app, "agent", "com.demo.agent.plist")
    assert (st, reason) == (3, "not-loaded") and "register() again loads it" in detail
    assert gantry.service("com.demo.agent") is None  # looking did not start it
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    gantry.wait_running("com.demo.agent")
    assert status(gantry, app, "agent", "com.demo.agent.plist")[:2] == (1, "none")


@needs_root
def test_failed_registry_write_leaves_nothing_half_done(make_gantry):
    g = make_gantry(start=False)
    g.state_dir.mkdir(parents=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(g.state_dir)], check=True)
    try:
        g.start()
        app = make_bundle(g, agents=AGENT)
        filler = g.state_dir / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:  # the disk is full
            while os.write(fd, b"x" * 4096):
                pass
        except OSError:
            pass
        os.close(fd)
        for attempt in range(2):
            r = sm(g, "register", "agent", "com.demo.agent.plist", bundle=app)
            assert r.stdout.startswith("error:") and "nothing was registered" in r.stdout, (attempt, r.stdout)
            assert status(g, app, "agent", "com.demo.agent.plist")[:2] == (0, "not-registered")
            assert g.service("com.demo.agent") is None
        filler.unlink()
        assert sm(g, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
        g.wait_running("com.demo.agent")
        g.restart()
        assert status(g, app, "agent", "com.demo.agent.plist")[:2] == (1, "none")
        assert g.stop() == 0
    finally:
        g.stop()
        subprocess.run(["umount", "-l", str(g.state_dir)])
