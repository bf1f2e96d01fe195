"""Launch constraints: SpawnConstraint (what the executable must be at every spawn) and
ResponsibleProcessConstraint (what the process whose connection launches or reaches a job must be), Apple's
keys mapped onto facts Linux attests. A violation refuses the spawn or the connection, and print, the log and
the client's error name the failing clause; Service Management items get a SpawnConstraint derived from the
registered bundle, so a helper swapped on disk without register() cannot start."""
import hashlib
import shutil
import subprocess

from conftest import BUILD
from test_service_management import AGENT, make_bundle, sm

CLIENT = BUILD / "tests/helpers/xpc-client"
SERVICE = BUILD / "tests/helpers/xpc-echo-service"


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def program(g, name="prog"):
    path = g.root / "bin" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy("/bin/sleep", path)
    return path


def test_spawn_constraint_refuses_a_changed_executable(gantry):
    prog = program(gantry)
    gantry.ctl("bootstrap", gantry.domain, gantry.write_plist("t.c", ProgramArguments=[str(prog), "600"],
               SpawnConstraint={"sha256": sha256(prog).upper(), "owner": 0 if gantry.uid == 0 else gantry.uid}),
               check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.c", check=True)
    gantry.wait_running("t.c")
    text = gantry.ctl("print", f"{gantry.domain}/t.c").stdout
    assert f"spawn constraint = owner={gantry.uid} sha256={sha256(prog)}" in text
    gantry.ctl("kill", "TERM", f"{gantry.domain}/t.c", check=True)
    gantry.wait_state("t.c", lambda s: not s["pid"], "the first instance to stop")
    shutil.copy("/bin/true", prog)  # swapped on disk
    r = gantry.ctl("kickstart", f"{gantry.domain}/t.c")
    assert r.returncode != 0
    assert f"SpawnConstraint.sha256: {prog} has SHA-256 {sha256(prog)[:12]}..., not" in r.stderr
    s = gantry.service("t.c")
    assert s["spawn_failure"].startswith("SpawnConstraint.sha256:") and not s["pid"]
    assert "SpawnConstraint.sha256" in gantry.log


def test_spawn_constraint_owner_and_bundle_facts(gantry):
    prog = program(gantry)
    gantry.ctl("bootstrap", gantry.domain, gantry.write_plist("t.owner", ProgramArguments=[str(prog), "600"],
               SpawnConstraint={"owner": 4242}), check=True)
    r = gantry.ctl("kickstart", f"{gantry.domain}/t.owner")
    assert f"SpawnConstraint.owner: {prog} is owned by uid {gantry.uid}, not uid 4242" in r.stderr
    gantry.ctl("bootstrap", gantry.domain, gantry.write_plist("t.bundle", ProgramArguments=[str(prog), "600"],
               SpawnConstraint={"in-bundle": str(gantry.root / "Other.app")}), check=True)
    r = gantry.ctl("kickstart", f"{gantry.domain}/t.bundle")
    assert f"SpawnConstraint.in-bundle: {prog} is not inside {gantry.root / 'Other.app'}" in r.stderr


def test_constraints_are_checked_as_written(gantry):
    prog = program(gantry)
    bad = gantry.write_plist("t.bad", ProgramArguments=[str(prog)], SpawnConstraint={"team-identifier": "X"},
                             ResponsibleProcessConstraint={"sha256": "abc"})
    r = gantry.ctl("bootstrap", gantry.domain, bad)
    assert r.returncode != 0
    assert ('SpawnConstraint.team-identifier: is not a fact Gantry checks (SpawnConstraint: owner, sha256, '
            'in-bundle, bundle-identifier)') in r.stderr
    assert 'ResponsibleProcessConstraint.sha256: expected 64 hexadecimal digits, found "abc"' in r.stderr
    relative = gantry.write_plist("t.rel", ProgramArguments=["sleep", "1"], SpawnConstraint={"owner": 0})
    r = gantry.ctl("bootstrap", gantry.domain, relative)
    assert "SpawnConstraint: checks a file: ProgramArguments[0] must then be an absolute path" in r.stderr


def service_job(g, label, constraint):
    g.ctl("bootstrap", g.domain, g.write_plist(label, ProgramArguments=[str(SERVICE), "com.test.c"],
          MachServices={"com.test.c": True}, ResponsibleProcessConstraint=constraint), check=True)


def client(g):
    return subprocess.run([str(CLIENT), "com.test.c", "1"], env=g.env, capture_output=True, text=True, timeout=60)


def test_responsible_process_constraint_admits_only_the_named_client(gantry):
    service_job(gantry, "t.rpc", {"executable": "/bin/true"})
    r = client(gantry)
    assert r.returncode == 1
    assert (f"{gantry.domain}/t.rpc refuses pid" in r.stdout and
            f"ResponsibleProcessConstraint.executable: the process runs {CLIENT.resolve()}, not /bin/true" in r.stdout)
    assert gantry.service("t.rpc")["runs"] == 0  # the refused client launched nothing
    assert "refused a connection from pid" in gantry.log
    gantry.ctl("bootout", f"{gantry.domain}/t.rpc", check=True)
    service_job(gantry, "t.rpc2", {"executable": str(CLIENT.resolve()), "sha256": sha256(CLIENT),
                                   "uid": gantry.uid})
    r = client(gantry)
    assert r.returncode == 0, r.stdout + r.stderr
    text = gantry.ctl("print", f"{gantry.domain}/t.rpc2").stdout
    assert f"responsible process constraint = uid={gantry.uid} executable={CLIENT.resolve()} sha256=" in text


def test_a_registered_helper_swapped_on_disk_cannot_start_until_registered_again(gantry):
    app = make_bundle(gantry, agents=AGENT)
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    first = gantry.wait_running("com.demo.agent")["pid"]
    text = gantry.ctl("print", f"{gantry.domain}/com.demo.agent").stdout
    assert f"in-bundle={app} (derived from {app} when it was registered; register() again" in text
    helper = app / "Contents/MacOS/helper"
    helper.unlink()
    helper.write_text("#!/bin/sh\nexec sleep 600\n")  # another program in its place
    helper.chmod(0o755)
    r = gantry.ctl("kickstart", "-k", f"{gantry.domain}/com.demo.agent")  # stops the old one, starts anew
    assert r.returncode != 0 and "SpawnConstraint.sha256" in r.stderr
    s = gantry.service("com.demo.agent")
    assert s["pid"] != first and s["spawn_failure"].startswith(f"SpawnConstraint.sha256: {helper} has SHA-256")
    assert "register() again to accept a changed executable" in s["spawn_failure"]
    assert sm(gantry, "register", "agent", "com.demo.agent.plist", bundle=app).stdout.strip() == "ok"
    gantry.wait_running("com.demo.agent")
