"""launchctl verbs, exit codes and error messages: every failure names its cause."""
from conftest import needs_root
import json
import os


def test_bad_plist_reports_line(gantry):
    path = gantry.jobs_dir / "t.bad.plist"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('<?xml version="1.0"?>\n<plist version="1.0">\n<dict>\n<key>Label</key>\n'
                    '<string>t.bad</strin>\n</dict>\n</plist>\n')
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 109
    assert "Bootstrap failed: 109: Invalid property list" in r.stderr
    assert f"{path}: line 5, column" in r.stderr and "XML syntax error" in r.stderr


def test_type_error_names_key_path(gantry):
    path = gantry.write_plist("t.type", Program="/bin/true", KeepAlive={"SuccessfulExit": "no"})
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 109
    assert "KeepAlive.SuccessfulExit: expected boolean, found string" in r.stderr


def test_missing_program_key(gantry):
    path = gantry.write_plist("t.noprog", RunAtLoad=True)
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 111 and "neither Program nor a non-empty ProgramArguments" in r.stderr
    path = gantry.write_plist("t.relprog", Program="bin/tool")
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 111 and "Program: must be an absolute path" in r.stderr


@needs_root
def test_bad_ownership(gantry):
    path = gantry.write_plist("t.perm", Program="/bin/true")
    path.chmod(0o666)
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 122
    assert "Path had bad ownership/permissions" in r.stderr
    assert f"{path}: owner root (uid 0), mode 0666" in r.stderr


def test_double_bootstrap(gantry):
    path = gantry.write_plist("t.twice", Program="/bin/true")
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 37
    assert f"{gantry.domain}/t.twice is already loaded from {path}" in r.stderr


def test_multi_path_bootstrap_prints_every_error(gantry):
    good = gantry.write_plist("t.good", Program="/bin/true")
    bad = gantry.write_plist("t.bad2", Program="relative")
    missing = gantry.jobs_dir / "missing.plist"
    r = gantry.ctl("bootstrap", gantry.domain, good, bad, missing)
    assert r.returncode == 133
    assert f"{bad}: 111: Invalid or missing Program/ProgramArguments" in r.stderr
    assert f"{missing}: 2: No such file or directory" in r.stderr
    assert gantry.service("t.good") is not None


def test_bootstrap_directory(gantry):
    for i in range(3):
        gantry.write_plist(f"t.dir{i}", Program="/bin/true")
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir, check=True)
    assert all(gantry.service(f"t.dir{i}") for i in range(3))


def test_unknown_targets(gantry):
    r = gantry.ctl("print", f"{gantry.domain}/t.none")
    assert r.returncode == 113 and f'Could not find service "t.none" in domain {gantry.domain}' in r.stderr
    r = gantry.ctl("print", "login/1")
    assert r.returncode == 112 and "Unrecognized target" in r.stderr
    r = gantry.ctl("print", "system")
    assert r.returncode == 112 and "hosts only" in r.stderr
    r = gantry.ctl("bootout", f"{gantry.domain}/t.none")
    assert r.returncode == 3 and "not loaded" in r.stderr
    r = gantry.ctl("frobnicate")
    assert r.returncode == 64 and "Unrecognized subcommand" in r.stderr


def test_disabled_label_refused_with_hint(gantry):
    path = gantry.write_plist("t.off", Program="/bin/true")
    gantry.ctl("disable", f"{gantry.domain}/t.off", check=True)
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 119 and "Service is disabled" in r.stderr
    assert f"run `launchctl enable {gantry.domain}/t.off` first" in r.stderr
    gantry.ctl("enable", f"{gantry.domain}/t.off", check=True)
    gantry.ctl("bootstrap", gantry.domain, path, check=True)


def test_disable_does_not_stop_and_enable_does_not_load(gantry):
    path = gantry.write_plist("t.run", ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    pid = gantry.wait_running("t.run")["pid"]
    gantry.ctl("disable", f"{gantry.domain}/t.run", check=True)
    s = gantry.service("t.run")
    assert s["pid"] == pid and s["disabled"] is True
    assert "disabled = true" in gantry.ctl("print", f"{gantry.domain}/t.run").stdout
    gantry.ctl("enable", f"{gantry.domain}/t.other", check=True)
    assert gantry.service("t.other") is None
    out = json.loads(gantry.ctl("print-disabled", gantry.domain, "--json", check=True).stdout)
    assert out == {"t.run": True, "t.other": False}
    text = gantry.ctl("print-disabled", gantry.domain, check=True).stdout
    assert '"t.run" => disabled' in text and '"t.other" => enabled' in text


def test_list_and_json_shapes(gantry):
    gantry.write_plist("t.l1", ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    gantry.write_plist("t.l2", Program="/bin/true")
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir, check=True)
    pid = gantry.wait_running("t.l1")["pid"]
    rows = json.loads(gantry.ctl("list", "--json", check=True).stdout)
    assert {"label": "t.l1", "pid": pid, "last_exit_status": None} in rows
    assert {"label": "t.l2", "pid": None, "last_exit_status": None} in rows
    text = gantry.ctl("list", check=True).stdout.splitlines()
    assert text[0] == "PID\tStatus\tLabel" and f"{pid}\t0\tt.l1" in text and "-\t0\tt.l2" in text
    s = gantry.service("t.l1")
    for key in ("label", "domain", "state", "pid", "runs", "last_exit_status", "spawn_failure", "next_start",
                "disabled"):
        assert key in s
    legacy = gantry.ctl("list", "t.l1", check=True).stdout
    assert f'"PID" = {pid};' in legacy and '"Label" = "t.l1";' in legacy
    domain = json.loads(gantry.ctl("print", gantry.domain, "--json", check=True).stdout)
    assert domain["service_count"] == 2 and domain["active_count"] == 1


def test_blame_json(gantry):
    gantry.write_plist("t.b", ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.b.plist", check=True)
    gantry.wait_running("t.b")
    out = json.loads(gantry.ctl("blame", f"{gantry.domain}/t.b", "--json", check=True).stdout)
    assert out == {"label": "t.b", "domain": gantry.domain, "reason": "runatload"}


def test_legacy_verbs(gantry, tmp_path):
    path = gantry.write_plist("t.leg", ProgramArguments=["/bin/sleep", "1000"])
    gantry.ctl("load", path, check=True)
    gantry.ctl("start", "t.leg", check=True)
    pid = gantry.wait_running("t.leg")["pid"]
    gantry.ctl("stop", "t.leg", check=True)
    gantry.wait_state("t.leg", lambda s: s["pid"] is None, "stopped")
    r = gantry.ctl("unload", "-w", path)
    assert r.returncode == 0 and gantry.service("t.leg") is None
    r = gantry.ctl("load", path)  # macOS's contract: printed, exit 0
    assert r.returncode == 0 and "Load failed: 119: Service is disabled" in r.stderr
    assert gantry.service("t.leg") is None
    gantry.ctl("load", "-w", path, check=True)
    assert gantry.service("t.leg") is not None
    gantry.ctl("remove", "t.leg", check=True)
    assert gantry.service("t.leg") is None
    r = gantry.ctl("unload", path)
    assert r.returncode == 0 and "Unload failed: 113" in r.stderr and "is not loaded" in r.stderr
    assert pid


def test_load_force_ignores_disabled_key(gantry):
    path = gantry.write_plist("t.dis", Program="/bin/true", Disabled=True)
    r = gantry.ctl("load", path)
    assert r.returncode == 0 and "by the Disabled key of" in r.stderr and gantry.service("t.dis") is None
    gantry.ctl("load", "-F", path, check=True)
    assert gantry.service("t.dis") is not None


def test_submit(gantry, tmp_path):
    out = tmp_path / "submitted.out"
    gantry.ctl("submit", "-l", "t.sub", "-o", out, "--", "/bin/sh", "-c", "echo submitted; sleep 1000", check=True)
    s = gantry.wait_running("t.sub")
    assert s["type"] == "Submitted" and s["path"] is None
    from conftest import wait_for
    wait_for(lambda: out.exists() and out.read_text() == "submitted\n", "the submitted job's output")


def test_lint(gantry, tmp_path):
    good = gantry.write_plist("t.lint", Program="/bin/true", TimeOut=5)
    bad = gantry.write_plist("t.lint2", Program="/bin/true", Nice=99)
    r = gantry.ctl("lint", good)
    assert r.returncode == 0 and f"{good}: OK (t.lint)" in r.stdout and "TimeOut: never did anything" in r.stderr
    r = gantry.ctl("lint", good, bad)
    assert r.returncode == 109 and "Nice: expected an integer from -20 to 19, found 99" in r.stderr


def test_error_verb_names_the_table(gantry):
    out = gantry.ctl("error", "78", check=True).stdout
    assert out.startswith("78: Function not implemented [errno ENOSYS]")  # launchd's (Darwin) numbering
    assert "78: EX_CONFIG (configuration error) [sysexits" in out
    assert gantry.ctl("error", "37", check=True).stdout.strip() == "37: Operation already in progress [errno EALREADY]"
    assert gantry.ctl("error", "119", check=True).stdout.strip() == "119: Service is disabled [launchd error]"
    assert "Killed [signal SIGKILL" in gantry.ctl("error", "-9", check=True).stdout
    assert gantry.ctl("error", "posix", "2", check=True).stdout.startswith("2: No such file or directory [errno ENOENT]")


@needs_root
def test_permission_denied_for_other_users(make_gantry):
    g = make_gantry(public=True)
    path = g.write_plist("t.mine", Program="/bin/true")
    g.ctl("bootstrap", g.domain, path, check=True)
    import subprocess
    from conftest import LAUNCHCTL
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHCTL),
                        "bootout", f"{g.domain}/t.mine"], env=g.env, capture_output=True, text=True)
    assert r.returncode == 1
    assert f"only root or uid 0 may change {g.domain} (you are uid 65534)" in r.stderr
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHCTL),
                        "print", f"{g.domain}/t.mine"], env=g.env, capture_output=True, text=True)
    assert r.returncode == 0  # anyone may read


def test_launchd_not_running(tmp_path):
    import subprocess
    from conftest import LAUNCHCTL
    env = dict(os.environ, LAUNCHD_ROOT=str(tmp_path))
    r = subprocess.run([str(LAUNCHCTL), "list"], env=env, capture_output=True, text=True)
    assert r.returncode == 3
    assert "cannot reach launchd" in r.stderr and "No such file or directory" in r.stderr


def test_help_and_version(gantry):
    r = gantry.ctl("help", check=True)
    for verb in ("bootstrap", "bootout", "kickstart", "print-disabled", "blame", "lint", "submit", "load"):
        assert f"\t{verb} " in r.stdout
    r = gantry.ctl("help", "kickstart", check=True)
    assert r.stdout.startswith("Usage: launchctl kickstart [-kp] service-target")
    r = gantry.ctl("version", check=True)
    assert r.stdout.startswith("Gantry launchctl ") and f"(user mode, pid {gantry.proc.pid})" in r.stdout
    r = gantry.ctl("kickstart")
    assert r.returncode == 64 and "Usage: launchctl kickstart" in r.stderr


def test_hostile_clients_do_not_disturb_launchd(gantry):
    import socket
    import struct
    path = gantry.write_plist("t.alive", ProgramArguments=["/bin/sleep", "1000"], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    pid = gantry.wait_running("t.alive")["pid"]
    socks = []
    for payload in (b"garbage", b"GXP1" * 8, b"",
                    # a valid header announcing 16 MiB in fragments that never come
                    struct.pack("<IBBHQQII", 0x31505847, 1, 1, 32, 1, 0, 16 << 20, 0) + b"\x0c"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(str(gantry.socket))
        if payload:
            s.send(payload)
        socks.append(s)
    for _ in range(50):  # many idle connections that never send
        s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        s.connect(str(gantry.socket))
        socks.append(s)
    assert gantry.service("t.alive")["pid"] == pid
    for s in socks:
        s.close()
    assert gantry.ctl("list", check=True).stdout.count("t.alive") == 1
    gantry.wait_log("dropped a control connection: protocol error from pid")


def test_binary_plist_with_nul_in_a_key_is_refused_not_fatal(gantry):
    """libplist 2.2 aborts on such keys; launchd must refuse the file and keep running (found by fuzz_spec)."""
    import plistlib
    path = gantry.jobs_dir / "t.nul.plist"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        plistlib.dump({"Label": "t.nul", "Program": "/bin/true", "Env\x00ironmentVariables": {}}, f,
                      fmt=plistlib.FMT_BINARY)
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 109 and "contains a NUL character" in r.stderr
    assert gantry.ctl("list").returncode == 0


def test_debug_overrides_the_next_instance_only(gantry, tmp_path):
    plain, debugged = tmp_path / "plain.out", tmp_path / "debug.out"
    path = gantry.write_plist("t.dbg", ProgramArguments=["/bin/sh", "-c", 'echo "run $MODE"'],
                              StandardOutPath=str(plain), EnvironmentVariables={"MODE": "plain"})
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    gantry.ctl("debug", f"{gantry.domain}/t.dbg", "--stdout", debugged, "--environment", "MODE=debug", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.dbg", check=True)
    from conftest import wait_for
    wait_for(lambda: debugged.exists() and debugged.read_text() == "run debug\n", "the debugged instance's output")
    gantry.wait_state("t.dbg", lambda s: s["pid"] is None and s["runs"] == 1, "the first run to end")
    gantry.ctl("kickstart", f"{gantry.domain}/t.dbg", check=True)  # the next one runs as the plist says
    wait_for(lambda: plain.exists() and plain.read_text() == "run plain\n", "the plain instance's output")
    gantry.ctl("debug", f"{gantry.domain}/t.dbg", "--", "/bin/sh", "-c", f"echo argv > {debugged}", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.dbg", check=True)
    wait_for(lambda: debugged.read_text() == "argv\n", "the replaced arguments to run")
    r = gantry.ctl("debug", f"{gantry.domain}/t.dbg", "--guard-malloc")
    assert r.returncode == 64 and "macOS's" in r.stderr
    r = gantry.ctl("debug", f"{gantry.domain}/t.dbg", "--program", "relative")
    assert r.returncode == 117 and "absolute paths" in r.stderr
    assert gantry.ctl("debug", f"{gantry.domain}/no.such").returncode == 113
