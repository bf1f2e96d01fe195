"""XPC services inside app bundles: an app (tests/xpc-corpus/bundle-app) calls xpc_connection_create() with
the identifier of the service in its own Contents/XPCServices, and launchd starts that service on demand —
one instance per app process in a pid/<PID> domain that ends with the process (ServiceType Application), or
one per user (User) — reachable only from the app's own processes; a crash interrupts the app's connection
and the next message relaunches it; every failure names the bundle and what is wrong."""
import os
import plistlib
import shutil
import subprocess

from conftest import corpus_asan_env, env_for, pid_alive, wait_for

SERVICE = "com.example.app.helper"


def make_app(root, corpus, name="App", service_type=None, info=None, exe=True):
    """root/NAME.app with the corpus app as its executable and the corpus xpc_main service inside."""
    app = root / f"{name}.app"
    (app / "Contents/MacOS").mkdir(parents=True)
    shutil.copy(corpus["bundle-app"], app / "Contents/MacOS/app")
    with open(app / "Contents/Info.plist", "wb") as f:
        plistlib.dump({"CFBundleIdentifier": f"com.example.{name.lower()}", "CFBundleExecutable": "app"}, f)
    svc = app / f"Contents/XPCServices/{SERVICE}.xpc/Contents"
    (svc / "MacOS").mkdir(parents=True)
    if exe:
        shutil.copy(corpus["main-service"], svc / "MacOS/helper")
    xpc = {"EnvironmentVariables": {"GREETING": "hi", **corpus_asan_env()}}
    if service_type:
        xpc["ServiceType"] = service_type
    with open(svc / "Info.plist", "wb") as f:
        plistlib.dump(info if info is not None else
                      {"CFBundleIdentifier": SERVICE, "CFBundleExecutable": "helper", "XPCService": xpc}, f)
    return app


def run_app(g, app, *args):
    return subprocess.run([str(app / "Contents/MacOS/app"), *map(str, args)], env=env_for(g), capture_output=True,
                          text=True, timeout=60)


def start_app(g, app, *args):
    p = subprocess.Popen([str(app / "Contents/MacOS/app"), *map(str, args), "hold"], env=env_for(g),
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline()
    assert first.startswith("server="), first + p.stderr.read()
    assert p.stdout.readline() == "ready\n"
    return p, int(first.split()[0].split("=")[1])


def test_an_app_reaches_the_service_in_its_bundle(gantry, corpus, tmp_path):
    app = make_app(tmp_path, corpus)
    r = run_app(gantry, app, SERVICE, 3)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("server=") and r.stdout.endswith(" sum=55 greeting=hi\n")  # Info.plist's environment


def test_each_app_process_gets_its_own_instance_in_a_pid_domain_gone_with_it(gantry, corpus, tmp_path):
    app = make_app(tmp_path, corpus)
    a, server_a = start_app(gantry, app, SERVICE, 1)
    b, server_b = start_app(gantry, app, SERVICE, 1)
    assert server_a != server_b
    s = gantry.service(SERVICE, domain=f"pid/{a.pid}")
    assert s["pid"] == server_a and s["state"] == "running"
    text = gantry.ctl("print", f"pid/{a.pid}").stdout
    assert f"pid/{a.pid} = {{" in text and SERVICE in text
    assert gantry.ctl("print", f"pid/{b.pid}/{SERVICE}").returncode == 0
    a.stdin.close()
    assert a.wait(timeout=20) == 0
    wait_for(lambda: not pid_alive(server_a), "the app's service to stop with the app")
    wait_for(lambda: gantry.ctl("print", f"pid/{a.pid}").returncode != 0, "the pid domain to go")
    r = gantry.ctl("print", f"pid/{a.pid}")
    assert "does not exist" in r.stderr
    assert pid_alive(server_b)  # the other app's instance is untouched
    b.stdin.close()
    assert b.wait(timeout=20) == 0
    wait_for(lambda: not pid_alive(server_b), "the second service to stop with its app")


def test_a_crash_interrupts_and_the_next_message_relaunches(gantry, corpus, tmp_path):
    app = make_app(tmp_path, corpus)
    r = run_app(gantry, app, SERVICE, 1, "crash")
    assert r.returncode == 0, r.stdout + r.stderr
    first, second = r.stdout.splitlines()
    assert second.startswith("interrupted; relaunched server=") and second.endswith(" sum=10")
    assert first.split()[0].split("=")[1] != second.split("server=")[1].split()[0]


def test_user_type_is_one_instance_per_user_and_only_for_its_app(gantry, corpus, tmp_path):
    app = make_app(tmp_path, corpus, service_type="User")
    a, server_a = start_app(gantry, app, SERVICE, 1)
    r = run_app(gantry, app, SERVICE, 1)
    assert r.returncode == 0 and r.stdout == f"server={server_a} sum=55 greeting=hi\n", r.stdout + r.stderr
    assert gantry.service(SERVICE)["pid"] == server_a  # in the user's gui domain
    other = make_app(tmp_path / "other", corpus, name="Other", service_type="User")
    r = run_app(gantry, other, SERVICE, 1)  # the same identifier in another app: not this service
    assert r.returncode == 1 and f"is the XPC service of {app}, not the XPC service of {other}" in r.stdout
    a.stdin.close()
    a.wait(timeout=20)


def test_a_named_lookup_cannot_reach_an_apps_service(gantry, corpus, tmp_path):
    app = make_app(tmp_path, corpus, service_type="User")
    assert run_app(gantry, app, SERVICE, 1).returncode == 0
    r = subprocess.run([str(corpus["async-client"]), SERVICE, "1"], env=env_for(gantry), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode != 0
    assert f'no service named "{SERVICE}"' in r.stdout + r.stderr


def test_failures_name_the_bundle_and_what_is_wrong(gantry, corpus, tmp_path):
    app = make_app(tmp_path, corpus)
    r = run_app(gantry, app, "com.example.app.nothing", 1)
    assert r.returncode == 1
    assert (f'no XPC service named "com.example.app.nothing" in {app} (Contents/XPCServices holds: '
            f"{SERVICE}.xpc ({SERVICE}))") in r.stdout
    broken = make_app(tmp_path / "b", corpus, info={"CFBundleIdentifier": SERVICE})
    r = run_app(gantry, broken, SERVICE, 1)
    assert f"XPC service {broken}/Contents/XPCServices/{SERVICE}.xpc: Info.plist has no CFBundleExecutable" in r.stdout
    missing = make_app(tmp_path / "m", corpus, exe=False)
    r = run_app(gantry, missing, SERVICE, 1)
    assert f"its executable {missing}/Contents/XPCServices/{SERVICE}.xpc/Contents/MacOS/helper is missing" in r.stdout
    loose = tmp_path / "loose"
    shutil.copy(corpus["bundle-app"], loose)
    r = subprocess.run([str(loose), SERVICE, "1"], env=env_for(gantry), capture_output=True, text=True, timeout=60)
    assert f"runs {loose}, which is not inside an app bundle" in r.stdout
    assert os.path.exists(loose)
