"""XPC programs written the macOS way (tests/xpc-corpus: blocks, NULL target queues, a listener's peer as an
xpc_object_t, xpc_main, Apple's error constants compared with ==) compile unchanged with clang -fblocks and
strict pointer checks against Gantry's <xpc/xpc.h>, and run end to end under launchd as MachServices, their
handlers on libxpc's thread."""
import os
import subprocess

from conftest import CORPUS, corpus_asan_env, env_for


def run_client(g, corpus, *args):
    return subprocess.run([str(corpus["async-client"]), *map(str, args)], env=env_for(g), capture_output=True,
                          text=True, timeout=60)


def service_job(g, corpus, program, label, name, *args):
    path = g.write_plist(label, ProgramArguments=[str(corpus[program]), *args], MachServices={name: True},
                         EnvironmentVariables=corpus_asan_env(),
                         StandardErrorPath=str(g.root / f"{label}.err"))
    g.ctl("bootstrap", g.domain, path, check=True)


def test_the_corpus_uses_apples_api_as_written(corpus):
    """What makes these programs 'the macOS way' is in their source, not only in their build."""
    listener = (CORPUS / "echo-listener.c").read_text()
    assert "xpc_connection_create_mach_service(name, NULL," in listener  # a NULL target queue
    assert "^(xpc_object_t peer)" in listener and "xpc_connection_set_event_handler(peer," in listener
    assert "xpc_main(event_handler)" in (CORPUS / "main-service.c").read_text()
    assert "== XPC_ERROR_CONNECTION_INVALID" in (CORPUS / "async-client.c").read_text()
    assert set(corpus) == {"activity", "async-client", "bundle-app", "echo-listener", "main-service"}


def test_a_blocks_listener_serves_an_async_client(gantry, corpus):
    service_job(gantry, corpus, "echo-listener", "t.listener", "com.example.echo", "com.example.echo")
    r = run_client(gantry, corpus, "com.example.echo", 200)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].startswith('missing: XPC_ERROR_CONNECTION_INVALID (no service named '
                               '"com.example.nobody-advertises-this"'), lines[0]
    pid = gantry.service("t.listener")["pid"]
    assert lines[1] == f"replies=200 in-order=1 server={pid} served-by=listener sync-echo=sync"
    assert lines[2] == "cancelled: XPC_ERROR_CONNECTION_INVALID; handlers on main thread: 0"


def test_an_xpc_main_service_serves_the_same_client(gantry, corpus):
    service_job(gantry, corpus, "main-service", "t.main", "com.example.main")
    r = run_client(gantry, corpus, "com.example.main", 50)
    assert r.returncode == 0, r.stdout + r.stderr
    pid = gantry.service("t.main")["pid"]
    assert r.stdout.splitlines()[1] == f"replies=50 in-order=1 server={pid} served-by=xpc_main sync-echo=-"


def test_many_clients_at_once_each_get_their_own_replies(gantry, corpus):
    service_job(gantry, corpus, "echo-listener", "t.listener", "com.example.echo", "com.example.echo")
    clients = [subprocess.Popen([str(corpus["async-client"]), "com.example.echo", "100"], env=env_for(gantry),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(8)]
    for c in clients:
        out, err = c.communicate(timeout=60)
        assert c.returncode == 0, out + err
        assert "replies=100 in-order=1 " in out
    assert gantry.service("t.listener")["runs"] == 1


def test_activities_run_when_due_and_as_their_handlers_say(corpus, tmp_path):
    """A one-shot activity runs, one registered with XPC_ACTIVITY_CHECK_IN takes its criteria in its handler and
    runs, and a repeating one whose first run the handler left open (CONTINUE) runs again only after the main
    thread set DONE; a finished run refuses a second DONE."""
    r = subprocess.run([str(corpus["activity"])], env=dict(os.environ, **corpus_asan_env()), capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout == "once=1 checkin-calls=1 checkin-runs=1 held-open=1 set-done=1 set-done-again=0 defer=0\n"
