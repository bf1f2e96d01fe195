"""Peer identity beyond uid and executable: the "launchd-job", "bundle-identifier" and
"sha256" requirements with real processes, and xpc_main() serving a job's names."""
import hashlib
import os
import plistlib
import shutil
import subprocess

from conftest import BUILD, wait_for

SERVICE = BUILD / "tests/helpers/xpc-echo-service"
CLIENT = BUILD / "tests/helpers/xpc-client"


def run_client(g, exe, *args):
    env = dict(g.env, LD_LIBRARY_PATH=str(BUILD / "src/libxpc"))  # for copies of the client
    return subprocess.run([str(exe), *map(str, args)], env=env, capture_output=True, text=True, timeout=60)


def guarded_echo(g, *require, label="t.guarded", name="com.test.guarded"):
    args = [str(SERVICE), name]
    for r in require:
        args += ["--require", r]
    path = g.write_plist(label, ProgramArguments=args, MachServices={name: True},
                         StandardErrorPath=str(g.root / f"{label}.err"))
    g.ctl("bootstrap", g.domain, path, check=True)


def app_bundle(g, name, bundle_id):
    """A copy of the test client at NAME.app/Contents/MacOS/xpc-client with an Info.plist."""
    contents = g.root / f"{name}.app" / "Contents"
    (contents / "MacOS").mkdir(parents=True)
    exe = contents / "MacOS" / "xpc-client"
    shutil.copy2(CLIENT, exe)
    with open(contents / "Info.plist", "wb") as f:
        plistlib.dump({"CFBundleIdentifier": bundle_id, "CFBundleExecutable": "xpc-client"}, f)
    return exe


def test_launchd_job_requirement(gantry):
    guarded_echo(gantry, "launchd-job=t.caller", f"launchd-domain={gantry.domain}")
    # The same program, started by hand, is not the job: its message never reaches the handler.
    r = run_client(gantry, CLIENT, "-t", "20000", "com.test.guarded", 0)
    assert r.returncode == 1 and "Peer forbidden by code signing requirement" in r.stdout  # told, not timed out
    # Started by launchd as t.caller, it is.
    out = gantry.root / "caller.out"
    path = gantry.write_plist("t.caller", ProgramArguments=[str(CLIENT), "com.test.guarded", "2"], RunAtLoad=True,
                              StandardOutPath=str(out), StandardErrorPath=str(gantry.root / "caller.err"))
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    gantry.wait_state("t.caller", lambda s: s["runs"] == 1 and s["state"] != "running" and
                      s["last_exit_status"] is not None, "the caller job to finish")
    assert gantry.service("t.caller")["last_exit_status"] == 0, (gantry.root / "caller.err").read_text()
    assert out.read_text().split("seqs=")[1].strip() == "0,1"
    # A job of another label is refused.
    path = gantry.write_plist("t.impostor", ProgramArguments=[str(CLIENT), "-t", "20000", "com.test.guarded", "0"],
                              RunAtLoad=True, StandardOutPath=str(gantry.root / "impostor.out"))
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    gantry.wait_state("t.impostor", lambda s: s["runs"] == 1 and s["state"] != "running" and
                      s["last_exit_status"] is not None, "the impostor job to finish")
    assert "Peer forbidden by code signing requirement" in (gantry.root / "impostor.out").read_text()


def test_bundle_identifier_requirement(gantry):
    good = app_bundle(gantry, "Good", "com.test.good")
    bad = app_bundle(gantry, "Bad", "com.test.bad")
    guarded_echo(gantry, "bundle-identifier=com.test.good")
    r = run_client(gantry, good, "com.test.guarded", 1)
    assert r.returncode == 0, r.stdout + r.stderr
    r = run_client(gantry, bad, "-t", "20000", "com.test.guarded", 0)
    assert r.returncode == 1 and "Peer forbidden by code signing requirement" in r.stdout


def test_sha256_requirement_follows_the_file(gantry):
    exe = app_bundle(gantry, "Hashed", "com.test.hashed")
    digest = hashlib.sha256(exe.read_bytes()).hexdigest()
    guarded_echo(gantry, f"sha256={digest}")
    assert run_client(gantry, exe, "com.test.guarded", 1).returncode == 0
    # The same path with other content (an "update" nobody approved) no longer passes.
    with open(exe, "ab") as f:
        f.write(b"\0tampered")
    r = run_client(gantry, exe, "-t", "20000", "com.test.guarded", 0)
    assert r.returncode == 1 and "Peer forbidden by code signing requirement" in r.stdout


def test_xpc_main_serves_every_name_of_the_job(gantry):
    path = gantry.write_plist("t.main", ProgramArguments=[str(SERVICE), "--main"],
                              MachServices={"com.test.main.a": True, "com.test.main.b": True})
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    a = run_client(gantry, CLIENT, "com.test.main.a", 1)
    b = run_client(gantry, CLIENT, "com.test.main.b", 1)
    assert a.returncode == 0 and b.returncode == 0, a.stdout + b.stdout
    assert a.stdout.split()[0] == b.stdout.split()[0]  # one process serves both names
    assert gantry.service("t.main")["runs"] == 1


def test_xpc_main_outside_launchd_says_why(gantry):
    r = subprocess.run([str(SERVICE), "--main"], env=gantry.env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 78
    assert "xpc_main: this process is not a launchd job: pid " in r.stderr


def test_client_side_requirement_on_the_service(gantry):
    guarded_echo(gantry, label="t.real")  # no requirement on clients
    ok = run_client(gantry, CLIENT, "-R", "launchd-job=t.real", "-R", f"launchd-domain={gantry.domain}",
                    "com.test.guarded", 1)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    # A client that expects another job, or the service under another uid, gets no reply from it
    # but XPC_ERROR_PEER_CODE_SIGNING_REQUIREMENT, at once.
    for req in (["-R", "launchd-job=t.other", "-R", f"launchd-domain={gantry.domain}"],
                ["-R", f"uid={gantry.uid + 4242}"]):
        r = run_client(gantry, CLIENT, *req, "com.test.guarded", 1)
        assert r.returncode == 1
        assert r.stdout.startswith("error: Peer forbidden by code signing requirement"), r.stdout
