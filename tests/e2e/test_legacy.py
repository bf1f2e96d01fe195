"""The legacy launchctl verbs keep macOS's contract, exactly: load and unload exit 0 for whatever happens to a
job (the cause is printed) and non-zero only for misuse, what Gantry cannot do, or no launchd; `list LABEL`
prints the NeXTSTEP dictionary with LastExitStatus as the raw wait status; the table keeps the decoded value."""
import os
import re
import signal

import subprocess

from conftest import LAUNCHCTL, wait_for


def legacy_dict(g, label):
    """`launchctl list LABEL` parsed with the regular expressions configuration-management tools use."""
    out = g.ctl("list", label, check=True).stdout
    assert out.startswith("{\n") and out.endswith("};\n"), out
    return out, {k: v for k, v in re.findall(r'^\t"(\w+)" = ([^\n]*?);?$', out, re.M)}


def test_load_and_unload_exit_0_whatever_happens_to_the_job(gantry, tmp_path):
    path = gantry.write_plist("t.once", ProgramArguments=["/bin/sleep", "1000"])
    assert gantry.ctl("load", path).returncode == 0
    r = gantry.ctl("load", path)  # already loaded
    assert r.returncode == 0
    assert "Load failed: 37: Operation already in progress" in r.stderr and "is already loaded" in r.stderr
    missing = tmp_path / "missing.plist"
    r = gantry.ctl("load", missing)
    assert r.returncode == 0 and str(missing) in r.stderr
    bad = tmp_path / "bad.plist"
    bad.write_text("<plist><dict><key>Label</key><string>t.bad</strin></dict></plist>")
    r = gantry.ctl("load", bad)
    assert r.returncode == 0 and "Invalid property list" in r.stderr
    assert gantry.ctl("unload", path).returncode == 0
    r = gantry.ctl("unload", path)  # not loaded
    assert r.returncode == 0 and "is not loaded" in r.stderr


def test_load_is_non_zero_only_for_misuse_unsupported_sessions_and_no_launchd(gantry, tmp_path):
    path = gantry.write_plist("t.misuse", Program="/bin/true")
    assert gantry.ctl("load", "-x", path).returncode == 64
    assert gantry.ctl("load").returncode == 64
    r = gantry.ctl("load", "-S", "LoginWindow", path)
    assert r.returncode == 125 and "LoginWindow and StandardIO sessions are not hosted yet" in r.stderr
    env = dict(gantry.env, LAUNCHD_ROOT=str(tmp_path / "nowhere"))
    r = subprocess.run([str(LAUNCHCTL), "load", str(path)], env=env, capture_output=True, text=True)
    assert r.returncode == 3 and "cannot reach launchd" in r.stderr


def test_load_session_and_search_domain(gantry):
    path = gantry.write_plist("t.bg", Program="/bin/true", LimitLoadToSessionType="Background")
    gantry.ctl("load", "-S", "Background", path, check=True)
    assert gantry.service("t.bg", domain=f"user/{gantry.uid}") is not None
    assert gantry.service("t.bg") is None  # not in gui/<uid>
    gantry.write_plist("t.user1", ProgramArguments=["/bin/sleep", "1000"])
    gantry.write_plist("t.user2", Program="/bin/true")
    r = gantry.ctl("load", "-D", "user")
    assert r.returncode == 0
    assert gantry.service("t.user1") is not None and gantry.service("t.user2") is not None
    r = gantry.ctl("load", "-D", "network")
    assert r.returncode == 0 and "no network search domain" in r.stderr


def test_list_label_is_the_nextstep_dictionary(gantry):
    fails = gantry.write_plist("t.exit3", ProgramArguments=["/bin/sh", "-c", "exit 3"])
    gantry.ctl("load", fails, check=True)
    out, d = legacy_dict(gantry, "t.exit3")
    assert d["LastExitStatus"] == "0" and "PID" not in d  # never ran: 0, no PID
    assert d["Label"] == '"t.exit3"' and d["LimitLoadToSessionType"] == '"Aqua"' and d["OnDemand"] == "true"
    assert d["Program"] == '"/bin/sh"'
    assert '\t"ProgramArguments" = (\n\t\t"/bin/sh";\n\t\t"-c";\n\t\t"exit 3";\n\t);\n' in out
    gantry.ctl("start", "t.exit3", check=True)
    gantry.wait_state("t.exit3", lambda s: s["last_exit_status"] == 3, "exited 3")
    assert legacy_dict(gantry, "t.exit3")[1]["LastExitStatus"] == "768"  # the raw wait status
    rows = gantry.ctl("list", check=True).stdout.splitlines()
    assert "-\t3\tt.exit3" in rows  # the table keeps the decoded value

    sock = gantry.root / "t.sock"
    svc = gantry.write_plist("t.svc", ProgramArguments=["/bin/sleep", "1000"], KeepAlive=True,
                             MachServices={"org.example.t": True}, Sockets={"Listeners": {"SockPathName": str(sock)}})
    gantry.ctl("load", svc, check=True)
    pid = gantry.wait_running("t.svc")["pid"]
    out, d = legacy_dict(gantry, "t.svc")
    assert d["PID"] == str(pid) and d["OnDemand"] == "false"
    assert '\t"MachServices" = {\n\t\t"org.example.t" = mach-port-object;\n\t};\n' in out
    assert '\t"Sockets" = {\n\t\t"Listeners" = (\n\t\t\tfile-descriptor-object;\n\t\t);\n\t};\n' in out
    gantry.ctl("unload", svc, check=True)


def test_list_reports_a_signal_as_macos_does(gantry):
    path = gantry.write_plist("t.killed", ProgramArguments=["/bin/sleep", "1000"])
    gantry.ctl("load", path, check=True)
    gantry.ctl("start", "t.killed", check=True)
    pid = gantry.wait_running("t.killed")["pid"]
    os.kill(pid, signal.SIGTERM)  # not launchd's stop: the job was killed
    gantry.wait_state("t.killed", lambda s: s["pid"] is None and s["last_exit_status"] == -15, "killed")
    assert legacy_dict(gantry, "t.killed")[1]["LastExitStatus"] == "15"
    assert "-\t-15\tt.killed" in gantry.ctl("list", check=True).stdout.splitlines()


def test_setenv_applies_to_jobs_started_afterwards(gantry, tmp_path):
    out = tmp_path / "env.out"
    path = gantry.write_plist("t.env", ProgramArguments=["/bin/sh", "-c", f'echo "$GREETING $WHO" > {out}'],
                              EnvironmentVariables={"WHO": "from the plist"})
    gantry.ctl("setenv", "GREETING", "hello", "WHO", "from the domain", check=True)
    assert gantry.ctl("getenv", "GREETING", check=True).stdout == "hello\n"
    assert gantry.ctl("getenv", "UNSET_THING", check=True).stdout == ""  # nothing, as macOS
    gantry.ctl("load", path, check=True)
    gantry.ctl("start", "t.env", check=True)
    wait_for(lambda: out.exists() and out.read_text() == "hello from the plist\n", "the job to see both layers")
    gantry.ctl("unsetenv", "GREETING", check=True)
    assert gantry.ctl("getenv", "GREETING", check=True).stdout == ""
    text = gantry.ctl("print", gantry.domain, check=True).stdout
    assert '"WHO" => from the domain' in text or "WHO => from the domain" in text
    r = gantry.ctl("setenv", "BAD=NAME", "x")
    assert r.returncode == 22 and "without '='" in r.stderr  # EINVAL, naming the rule
    assert gantry.ctl("setenv", "ODD").returncode == 64


def test_limit_sets_what_jobs_start_with(gantry, tmp_path):
    out = gantry.ctl("limit", check=True).stdout.splitlines()
    assert [line.split()[0] for line in out] == ["cpu", "filesize", "data", "stack", "core", "rss", "memlock",
                                                 "maxproc", "maxfiles"]
    assert re.fullmatch(r"\tcpu {9}\S+ +\S+ +", out[0])  # macOS's columns
    gantry.ctl("limit", "maxfiles", "1000", "2000", check=True)
    assert gantry.ctl("limit", "maxfiles", check=True).stdout.split() == ["maxfiles", "1000", "2000"]
    plain, own = tmp_path / "plain", tmp_path / "own"
    gantry.write_plist("t.lim1", ProgramArguments=["/bin/sh", "-c", f"echo $(ulimit -n) $(ulimit -Hn) > {plain}"])
    gantry.write_plist("t.lim2", ProgramArguments=["/bin/sh", "-c", f"echo $(ulimit -n) $(ulimit -Hn) > {own}"],
                       SoftResourceLimits={"NumberOfFiles": 500})
    for label in ("t.lim1", "t.lim2"):
        gantry.ctl("load", gantry.jobs_dir / f"{label}.plist", check=True)
        gantry.ctl("start", label, check=True)
    wait_for(lambda: plain.exists() and plain.read_text() == "1000 2000\n", "the default limits")
    wait_for(lambda: own.exists() and own.read_text() == "500 2000\n", "the job's own soft limit over them")
    r = gantry.ctl("limit", "maxfiles", "9", "3")
    assert r.returncode == 22 and "soft limit (9) is above the hard one (3)" in r.stderr
    assert gantry.ctl("limit", "nosuch").returncode == 117


def test_config_umask_and_path_for_jobs_started_afterwards(gantry, tmp_path):
    out = tmp_path / "cfg"
    path = gantry.write_plist("t.cfg", ProgramArguments=["/bin/sh", "-c", f'echo "$(umask) $PATH" > {out}'])
    gantry.ctl("config", "user", "umask", "027", check=True)
    gantry.ctl("config", "user", "path", "/opt/tools/bin:/usr/bin:/bin", check=True)
    gantry.ctl("load", path, check=True)
    gantry.ctl("start", "t.cfg", check=True)
    wait_for(lambda: out.exists() and out.read_text() == "0027 /opt/tools/bin:/usr/bin:/bin\n", "the configured umask and PATH")
    assert gantry.restart()  # kept across a restart: the next run sees the same
    out.unlink()
    gantry.ctl("load", path, check=True)
    gantry.ctl("start", "t.cfg", check=True)
    wait_for(lambda: out.exists() and out.read_text() == "0027 /opt/tools/bin:/usr/bin:/bin\n", "it after a restart")
    r = gantry.ctl("config", "user", "umask", "999")
    assert r.returncode == 22 and "expected an octal value" in r.stderr
    assert gantry.ctl("config", "user", "colour", "blue").returncode == 22
    assert gantry.ctl("config", "nowhere", "umask", "022").returncode == 64


def test_an_agent_for_another_session_type_is_refused_naming_why(gantry):
    path = gantry.write_plist("t.lw", Program="/bin/true", LimitLoadToSessionType="LoginWindow")
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 134, r.stderr  # Service cannot load in requested session
    assert f"LimitLoadToSessionType LoginWindow does not fit {gantry.domain}, which hosts Aqua now" in r.stderr
    r = gantry.ctl("lint", path)
    assert r.returncode == 0 and r.stderr == ""
    path = gantry.write_plist("t.typo", Program="/bin/true", LimitLoadToSessionType=["Aqau"])
    assert 'session type "Aqau" does not exist' in gantry.ctl("lint", path).stderr
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 134 and "names no session type that exists" in r.stderr
