"""The system launchd against an unprivileged local user (nobody): the privilege rule (whatever
launchd does for a user, it does with that user's rights), hostile requests, hostile job files and
hostile clients. Root starts launchd; the attacks run as uid 65534 through setpriv or a raw socket."""
import os
import plistlib
import socket
import struct
import subprocess
import time

import pytest

from conftest import DEADLINE, LAUNCHCTL, LAUNCHD, needs_root, pid_alive, wait_for
from rawxpc import Raw, encode, frame

NOBODY = (65534, 65534)
pytestmark = needs_root


def as_nobody(g, *args):
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", str(LAUNCHCTL),
                           *map(str, args)], env=g.env, capture_output=True, text=True, timeout=60)


def in_nobody(fn):
    """Runs fn() in a child process that is uid 65534 through and through, so every message it sends
    carries nobody's kernel-attested credentials; an assertion failing there fails the test here."""
    import traceback
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            os.close(r)
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            fn()
        except BaseException:
            os.write(w, traceback.format_exc().encode()[-4000:])
            code = 1
        os._exit(code)
    os.close(w)
    with os.fdopen(r) as f:
        why = f.read()
    _, status = os.waitpid(pid, 0)
    assert status == 0, why


def nobody_raw(g):
    """A raw control connection made by uid 65534 (the socket is created in a child that drops to nobody).
    The connection belongs to nobody (SO_PEERCRED: what per-user limits count), but what this process
    sends through it carries this process's credentials: tests of what a user may do use in_nobody()."""
    a, b = socket.socketpair()
    pid = os.fork()
    if pid == 0:  # child: become nobody, connect, hand the connection back
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            r = Raw(g.socket)
            socket.send_fds(b, [b"x"], [r.s.fileno()])
        finally:
            os._exit(0)
    msg, fds, _, _ = socket.recv_fds(a, 1, 1)
    os.waitpid(pid, 0)
    a.close()
    b.close()
    raw = Raw.__new__(Raw)
    raw.s = socket.socket(fileno=fds[0])
    raw.next_id = 1
    return raw


@pytest.fixture
def system(make_gantry):
    g = make_gantry(mode="system", public=True)
    home = g.root / "nobody"
    home.mkdir(mode=0o755)
    os.chown(home, *NOBODY)
    g.nobody_dir = home
    return g


def nobody_plist(g, label, **keys):
    path = g.nobody_dir / f"{label}.plist"
    path.write_bytes(plistlib.dumps({"Label": label, **keys}))
    os.chown(path, *NOBODY)
    return path


def assert_alive(g):
    assert g.proc.poll() is None, (g.root / "launchd.stderr").read_text()
    r = g.ctl("list")
    assert r.returncode == 0, r.stderr


# --- the privilege rule ------------------------------------------------------------------------

def test_agent_cannot_replace_a_root_socket(system):
    g = system
    private = g.root / "private"
    private.mkdir(mode=0o700)
    sock_path = private / "root.sock"
    root_sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    root_sock.bind(str(sock_path))
    root_sock.listen()
    inode = sock_path.stat().st_ino
    path = nobody_plist(g, "t.steal", ProgramArguments=["/bin/sleep", "100"],
                        Sockets={"s": {"SockPathName": str(sock_path)}})
    r = as_nobody(g, "bootstrap", "gui/65534", path)
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
    assert sock_path.stat().st_ino == inode and sock_path.stat().st_uid == 0
    control = g.socket.stat()
    path = nobody_plist(g, "t.control", ProgramArguments=["/bin/sleep", "100"],
                        Sockets={"s": {"SockPathName": str(g.socket)}})
    r = as_nobody(g, "bootstrap", "gui/65534", path)
    assert r.returncode != 0
    assert g.socket.stat().st_ino == control.st_ino
    assert_alive(g)


def test_agent_socket_is_owned_by_its_user(system):
    g = system
    sock_path = g.nobody_dir / "mine.sock"
    path = nobody_plist(g, "t.mine", ProgramArguments=["/bin/sleep", "100"],
                        Sockets={"s": {"SockPathName": str(sock_path)}})
    r = as_nobody(g, "bootstrap", "gui/65534", path)
    assert r.returncode == 0, r.stderr
    assert sock_path.stat().st_uid == 65534


def test_agent_cannot_listen_on_a_privileged_port(system):
    path = nobody_plist(system, "t.port", ProgramArguments=["/bin/sleep", "100"],
                        Sockets={"s": {"SockServiceName": "81", "SockNodeName": "127.0.0.1"}})
    r = as_nobody(system, "bootstrap", "gui/65534", path)
    assert r.returncode != 0 and "port 81 is privileged" in r.stderr, r.stderr


def test_bootstrap_reads_with_the_callers_rights(system):
    g = system
    secret_dir = g.root / "secret"
    secret_dir.mkdir(mode=0o700)
    secret = secret_dir / "t.secret.plist"
    secret.write_bytes(plistlib.dumps({"Label": "t.secret", "ProgramArguments": ["/bin/true"],
                                       "EnvironmentVariables": {"TOKEN": "hunter2"}}))
    secret.chmod(0o600)
    r = as_nobody(g, "bootstrap", "gui/65534", secret)
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
    assert "hunter2" not in as_nobody(g, "print", "gui/65534").stdout
    # the same through a symlink the user owns
    link = g.nobody_dir / "link.plist"
    os.symlink(secret, link)
    os.lchown(link, *NOBODY)
    r = as_nobody(g, "bootstrap", "gui/65534", link)
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr
    r = as_nobody(g, "bootout", "gui/65534", secret)
    assert r.returncode != 0 and "Permission denied" in r.stderr, r.stderr


@pytest.mark.parametrize("keys, named", [
    ({"RootDirectory": "/"}, "RootDirectory"),
    ({"UserName": "root"}, 'UserName "root"'),
    ({"GroupName": "root"}, 'GroupName "root"'),
    ({"Nice": -5}, "Nice -5"),
    ({"HardResourceLimits": {"NumberOfFiles": 2 ** 40}}, "HardResourceLimits.NumberOfFiles"),
])
def test_privileged_keys_refused_for_a_users_job(system, keys, named):
    path = nobody_plist(system, "t.priv", ProgramArguments=["/bin/true"], **keys)
    r = as_nobody(system, "bootstrap", "gui/65534", path)
    assert r.returncode == 1 and named in r.stderr, r.stderr


def test_glob_expands_with_the_jobs_rights(system):
    g = system
    hidden = g.root / "hidden"
    hidden.mkdir(mode=0o700)
    (hidden / "secret-name").write_text("")
    out = g.nobody_dir / "args.out"
    path = nobody_plist(g, "t.glob", ProgramArguments=["/bin/sh", "-c", f'echo "$@" > {out}', "sh",
                                                       f"{hidden}/*"], EnableGlobbing=True, RunAtLoad=True)
    assert as_nobody(g, "bootstrap", "gui/65534", path).returncode == 0
    wait_for(lambda: out.exists() and out.read_text(), "the job's output")
    assert "secret-name" not in out.read_text()


def test_credentials_are_attested_from_the_first_byte(system):
    """Root requests from a client without SO_PASSCRED, sent before launchd accepts, are root's."""
    for i in range(300):
        r = Raw(system.socket)
        reply = r.call({"routine": "enable", "domain": "system", "label": f"t.cred{i % 3}"})
        r.close()
        assert reply is not None and reply.get("error") in (0, None), reply


def test_reading_never_creates_a_domain(system):
    g = system
    out = g.root / "out"
    out.mkdir(mode=0o1777)
    marker = out / "ran"
    g.write_plist("t.everyone", directory=g.root / "etc/launchd/LaunchAgents",
                  ProgramArguments=["/bin/sh", "-c", f"touch {marker}.$(id -u)"], RunAtLoad=True)
    for args in (("print", "gui/1"), ("print", "user/1"), ("list",), ("print-disabled", "gui/1"),
                 ("blame", "gui/1/t.everyone")):
        r = as_nobody(g, *args)
        assert r.returncode != 0 or args == ("list",), (args, r.stdout)
    assert g.ctl("print", "gui/1").returncode == 112  # root reading does not create it either
    r = as_nobody(g, "kickstart", "gui/1/t.everyone")
    assert r.returncode == 1 and "only root or uid 1 may create it" in r.stderr, r.stderr
    assert not list(out.iterdir())


def test_job_output_never_follows_another_users_symlink(system):
    g = system
    shared = g.root / "shared"
    shared.mkdir(mode=0o1777)
    target = g.root / "root-owned.log"
    target.write_text("root's\n")
    target.chmod(0o600)
    planted = shared / "daemon.log"
    os.symlink(target, planted)
    os.lchown(planted, *NOBODY)
    g.write_plist("t.out", ProgramArguments=["/bin/echo", "appended"], StandardOutPath=str(planted),
                  RunAtLoad=True)
    r = g.ctl("bootstrap", "system", g.jobs_dir / "t.out.plist")
    assert r.returncode == 0, r.stderr
    s = g.wait_state_in("system", "t.out", lambda s: s["state"] == "spawn failed", "spawn failed")
    assert "owned by uid 65534" in s["spawn_failure"]
    assert target.read_text() == "root's\n"
    # a link of root's own is followed as before
    os.lchown(planted, 0, 0)
    assert g.ctl("kickstart", "system/t.out").returncode == 0
    wait_for(lambda: target.read_text() == "root's\nappended\n", "the job's output through root's own link")


# --- availability ------------------------------------------------------------------------------

ROUTINES = ["bootstrap", "bootout", "enable", "disable", "kickstart", "start", "stop", "kill", "remove", "print",
            "print-disabled", "blame", "list", "submit", "version", "lookup", "checkin", "identify", "sm-register",
            "sm-unregister", "sm-status", "background-list", "background-approve", "background-deny",
            "background-reset", "submit-job", "job-dictionary", "sm-bless", "test-clock", "activate-socket",
            "session_open", "session_close", "linger", "session_env"]
KEYS = ["domain", "label", "paths", "arguments", "signal", "kill", "name", "pid", "kind", "bundle", "plist",
        "job", "program", "stdout", "stderr", "offset", "privileged", "force", "enable", "disable", "identifier",
        "target", "item", "path", "uid", "session_type", "session_desc", "session_id", "environment", "linger"]
WRONG = [7, -1, 2 ** 62, True, "", "x" * 3000, [], [1, None, {}], {"a": 1}, b"\x00\xff", 1.5, None,
         ["../../../../etc/shadow"], "/dev/zero"]


def test_wrongly_typed_requests_get_errors_not_crashes(system):
    g = system

    def attack():
        raw = Raw(g.socket)
        sent = 0
        for routine in ROUTINES:
            for i, wrong in enumerate(WRONG):
                request = {"routine": routine}
                for k, key in enumerate(KEYS):
                    request[key] = WRONG[(i + k) % len(WRONG)]
                request["domain"] = wrong if i % 2 else "gui/65534"
                reply = raw.call(request)
                assert reply is not None, f"launchd closed the connection after {request}"
                sent += 1
        assert sent == len(ROUTINES) * len(WRONG)
        r = raw.call({"routine": "submit", "domain": "gui/65534", "label": "t.int", "arguments": [1, 2]})
        assert r["error"] != 0 and "not a string" in r["error_detail"]
        for routine in ("bootstrap", "bootout"):
            r = raw.call({"routine": routine, "domain": "gui/65534", "paths": [1]})
            assert r["results"][0]["error_detail"] == "paths[0] is not a string", r

    in_nobody(attack)
    assert_alive(g)


def write_bplist(path, objects, top=0):
    out = bytearray(b"bplist00")
    offsets = []
    for o in objects:
        offsets.append(len(out))
        out += o
    table = len(out)
    for o in offsets:
        out += struct.pack(">I", o)
    out += bytes(6) + bytes([4, 4]) + struct.pack(">QQQ", len(objects), top, table)
    path.write_bytes(out)
    os.chown(path, *NOBODY)
    return path


def test_hostile_job_files_are_refused_quickly(system):
    g = system
    d = g.nobody_dir
    nested = write_bplist(d / "nested.plist", [b"\xa1" + struct.pack(">I", i + 1) for i in range(110000)] + [b"\xa0"])
    dag = write_bplist(d / "dag.plist", [b"\xa2" + struct.pack(">II", i + 1, i + 1) for i in range(40)] + [b"\x50"])
    cycle = write_bplist(d / "cycle.plist", [b"\xa1" + struct.pack(">I", 0)])
    fifo = d / "fifo.plist"
    os.mkfifo(fifo)
    os.chown(fifo, *NOBODY)
    deep_xml = d / "deep.plist"
    deep_xml.write_text("<plist><dict><key>Label</key><string>x</string><key>A</key>" + "<array>" * 50000 +
                        "</array>" * 50000 + "</dict></plist>")
    os.chown(deep_xml, *NOBODY)
    for path, why in ((nested, "nested deeper than 64"), (dag, "more than 100000 objects"),
                      (cycle, "contains itself"), (fifo, "a FIFO"), (deep_xml, "nested deeper than 64")):
        r = as_nobody(g, "bootstrap", "gui/65534", path)
        assert r.returncode != 0 and why in r.stderr, (path, r.stderr)
    r = as_nobody(g, "bootout", "gui/65534", fifo)
    assert r.returncode != 0 and "a FIFO" in r.stderr, r.stderr
    assert_alive(g)


def test_many_arguments_load_in_linear_time(system):
    path = system.nobody_dir / "t.args.plist"
    path.write_bytes(plistlib.dumps({"Label": "t.args", "ProgramArguments": [f"a{i}" for i in range(30000)]},
                                    fmt=plistlib.FMT_BINARY))
    os.chown(path, *NOBODY)
    r = as_nobody(system, "bootstrap", "gui/65534", path)
    assert r.returncode == 0, r.stderr
    assert as_nobody(system, "print", "gui/65534/t.args").returncode == 0


def sanitized():
    """An ASan build holds freed memory in its quarantine: its RSS says nothing about launchd's."""
    return "libasan" in subprocess.run(["ldd", str(LAUNCHD)], capture_output=True, text=True).stdout


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))


def test_one_user_cannot_exhaust_connections(system):
    g = system
    held = [nobody_raw(g) for _ in range(3)]
    # more connections by the same user: launchd closes those past its per-user limit
    extra = []
    for _ in range(100):
        extra.append(nobody_raw(g))
    closed = 0
    for r in extra:
        r.s.settimeout(DEADLINE_SHORT)
        try:
            r.send({"routine": "version"})
            if r.recv() is None:
                closed += 1
        except (BrokenPipeError, ConnectionResetError):
            closed += 1
    assert closed >= 100 + 3 - 64, closed
    assert_alive(g)  # root is never refused
    for r in held + extra:
        r.close()


DEADLINE_SHORT = 10.0


def test_clients_that_never_read_are_bounded(system):
    g = system
    for i in range(300):  # large replies: every print of the system domain describes 300 jobs
        g.write_plist(f"t.many{i}", ProgramArguments=["/bin/true"])  # loaded, never started
    assert g.ctl("bootstrap", "system", g.jobs_dir).returncode in (0, 133)
    assert len(g.ctl("print", "system").stdout) > 10000
    before = rss_kib(g.proc.pid)
    clients = [nobody_raw(g) for _ in range(20)]
    request = frame(encode({"routine": "print", "domain": "system"}), 1)
    for c in clients:
        c.s.setblocking(False)
        for _ in range(5000):  # until the socket is full: launchd stopped reading it
            try:
                c.s.send(request)
            except BlockingIOError:
                break
    assert_alive(g)
    grown = rss_kib(g.proc.pid) - before
    assert sanitized() or grown < 16 * 1024, f"launchd grew by {grown} KiB for 20 clients that do not read"
    for c in clients:
        c.close()


def test_unfinished_large_messages_are_refused(system):
    g = system
    clients = []
    for _ in range(32):
        c = nobody_raw(g)
        c.s.send(frame(b"\x0c" + b"\x00" * 60000, 1, total=16 * 1024 * 1024, more=True))
        clients.append(c)
    for c in clients:
        assert c.recv(timeout=DEADLINE_SHORT) is None  # launchd dropped it: larger than a request may be
        c.close()
    assert_alive(g)


# --- the client side ---------------------------------------------------------------------------

def test_socket_directory_made_by_another_user_is_not_trusted(make_gantry):
    g = make_gantry(start=False, public=True)
    run = g.root / "run/launchd"
    run.mkdir(parents=True)
    run.chmod(0o1777)
    os.chown(run, *NOBODY)
    proc = subprocess.run([str(LAUNCHD), "--user"], env=g.env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "owned by uid 65534 with mode 1777" in proc.stderr, proc.stderr
    # a socket served by another user is never sent a request
    fake = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        os.setgid(65534)
        os.setuid(65534)
        fake.bind(str(g.socket))
        fake.listen()
        conn, _ = fake.accept()
        os._exit(0 if conn.recv(100) == b"" else 3)  # launchctl must close without sending anything
    wait_for(lambda: g.socket.exists(), "the fake socket")
    r = g.ctl("list")
    assert r.returncode == 13 and "served by uid 65534, which is neither root nor you" in r.stderr, r.stderr
    assert os.waitpid(pid, 0)[1] == 0


def test_thousands_of_watched_paths_do_not_stall_launchd(system):
    g = system
    base = g.nobody_dir / "w"
    for i in range(4000):
        (base / f"d{i}").mkdir(parents=True)
    for p in [base, *base.iterdir()]:
        os.chown(p, *NOBODY)
    path = nobody_plist(g, "t.many", ProgramArguments=["/bin/true"],
                        WatchPaths=[f"{base}/d{i}/f" for i in range(4000)],
                        QueueDirectories=[f"{base}/d{i}" for i in range(500)])
    assert as_nobody(g, "bootstrap", "gui/65534", path).returncode == 0
    assert_alive(g)
    (base / "d3999/f").write_text("x")  # a watched path changes: the job runs
    g.wait_state_in("gui/65534", "t.many", lambda s: s["runs"] >= 1, "the job started by its watch path")
    assert as_nobody(g, "bootout", "gui/65534/t.many").returncode == 0
    assert_alive(g)


def test_requests_waiting_for_jobs_are_bounded_per_connection(system):
    g = system
    path = nobody_plist(g, "t.slow", ProgramArguments=["/bin/sh", "-c", "trap '' TERM; while :; do sleep 1; done"],
                        RunAtLoad=True, ExitTimeOut=600)
    assert as_nobody(g, "bootstrap", "gui/65534", path).returncode == 0
    g.wait_state_in("gui/65534", "t.slow", lambda s: s["pid"], "running")
    raw = nobody_raw(g)  # the limit is per connection; the connection is nobody's
    for _ in range(40):  # each bootout waits for the process, which ignores SIGTERM
        raw.send({"routine": "bootout", "domain": "gui/65534", "label": "t.slow"})
    busy = [raw.recv() for _ in range(8)]
    assert all(r["error"] == 16 and "already wait for jobs" in r["error_detail"] for r in busy), busy
    assert g.ctl("kill", "SIGKILL", "gui/65534/t.slow").returncode == 0
    done = [raw.recv() for _ in range(32)]
    assert all(r.get("error", 0) == 0 for r in done), done
    assert_alive(g)


def test_service_management_reads_bundles_with_the_callers_rights(system):
    from conftest import BUILD
    g = system
    secret_dir = g.root / "secret"
    secret_dir.mkdir(mode=0o700)
    secret = secret_dir / "com.x.agent.plist"
    secret.write_bytes(plistlib.dumps({"Label": "com.x.agent", "ProgramArguments": ["/bin/sleep", "100"],
                                       "EnvironmentVariables": {"TOKEN": "hunter2"}}))
    secret.chmod(0o600)
    app = g.nobody_dir / "X.app"
    agents = app / "Contents/Library/LaunchAgents"
    agents.mkdir(parents=True)
    (app / "Contents/Info.plist").write_bytes(plistlib.dumps({"CFBundleIdentifier": "com.x"}))
    os.symlink(secret, agents / "com.x.agent.plist")
    for p in [app, app / "Contents", app / "Contents/Library", agents, app / "Contents/Info.plist"]:
        os.chown(p, *NOBODY)
    os.lchown(agents / "com.x.agent.plist", *NOBODY)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                        str(BUILD / "tests/helpers/sm-tool"), "-b", str(app), "register", "agent", "com.x.agent.plist"],
                       env=g.env, capture_output=True, text=True, timeout=60)
    assert r.stdout.startswith("error:") and "Permission denied" in r.stdout, r.stdout + r.stderr
    assert "hunter2" not in as_nobody(g, "print", "gui/65534").stdout


def test_watched_paths_are_looked_at_with_the_jobs_rights(system):
    g = system
    hidden = g.root / "hidden"
    hidden.mkdir(mode=0o700)
    (hidden / "entry").write_text("root's")
    queue, state = g.nobody_dir / "q", g.nobody_dir / "s"
    for d in (queue, state):
        d.mkdir()
        os.chown(d, *NOBODY)
    out = g.nobody_dir / "ran"
    path = nobody_plist(g, "t.q", ProgramArguments=["/bin/sh", "-c", f"touch {out}"],
                        QueueDirectories=[str(queue)], KeepAlive={"PathState": {f"{state}/entry": True}})
    r = as_nobody(g, "bootstrap", "gui/65534", path)
    assert r.returncode == 0, r.stderr
    for d in (queue, state):  # the user's directories now lead into root's
        d.rmdir()
        os.symlink(hidden, d)
        os.lchown(d, *NOBODY)
    (g.nobody_dir / "poke").write_text("")  # an event in the watched directory
    assert_alive(g)
    s = g.service("t.q", "gui/65534")
    assert s["queue_directories"][0]["state"] != "not empty", s["queue_directories"]
    assert s["runs"] == 0 and not out.exists()


def test_working_directory_never_follows_another_users_symlink(system):
    g = system
    shared = g.root / "shared"
    shared.mkdir(mode=0o1777)
    protected = g.root / "protected"
    protected.mkdir(mode=0o755)
    planted = shared / "work"
    os.symlink(protected, planted)
    os.lchown(planted, *NOBODY)
    path = g.write_plist("t.wd", ProgramArguments=["/bin/sh", "-c", "echo x > out"], WorkingDirectory=str(planted),
                         RunAtLoad=True)
    assert g.ctl("bootstrap", "system", path).returncode == 0
    s = g.wait_state_in("system", "t.wd", lambda s: s["state"] == "spawn failed", "spawn failed")
    assert s["spawn_failure"].startswith(f"WorkingDirectory {planted}: a symbolic link on the way is owned by uid 65534")
    assert not (protected / "out").exists()
    searchable = g.root / "searchable"  # search permission is all a working directory needs
    searchable.mkdir(mode=0o711)
    path = g.write_plist("t.wd2", ProgramArguments=["/bin/sh", "-c", "pwd > /dev/null"], WorkingDirectory=str(searchable),
                         RunAtLoad=True, UserName="nobody")
    assert g.ctl("bootstrap", "system", path).returncode == 0
    g.wait_state_in("system", "t.wd2", lambda s: s["last_exit_status"] == 0, "the job to run in a search-only directory")


def test_random_wire_messages_from_a_user(system):
    """Valid, mutated, fragmented and random packets, 3,000 of them from a fixed seed, as uid 65534."""
    import random
    g = system
    rnd = random.Random(9)
    values = [0, 1, -1, 2 ** 63 - 1, "", "gui/65534", "system", "x" * 300, [], ["a", 1], True, b"\x00", None, 3.5,
              {"Label": "x", "ProgramArguments": ["/bin/true"]}]

    def request():
        d = {"routine": rnd.choice(ROUTINES)}
        for k in rnd.sample(KEYS, rnd.randint(0, 8)):
            d[k] = rnd.choice(values)
        return encode(d)

    def mutate(b):
        b = bytearray(b)
        for _ in range(rnd.randint(1, 4)):
            b[rnd.randrange(len(b))] = rnd.randrange(256)
        return bytes(b)

    def attack():
        sent = 0
        while sent < 3000:
            raw = Raw(g.socket)
            raw.s.settimeout(0.05)
            try:
                for _ in range(rnd.randint(1, 20)):
                    body, kind, mid = request(), rnd.random(), rnd.randint(1, 5)
                    if kind < 0.3:
                        packets = [frame(body, mid)]
                    elif kind < 0.6:
                        packets = [mutate(frame(body, mid))]
                    elif kind < 0.8:  # a message in two fragments, each part possibly inconsistent
                        cut, total = rnd.randint(0, len(body)), max(0, len(body) + rnd.randint(-5, 5))
                        packets = [frame(body[:cut], mid, total=total, more=True),
                                   frame(body[cut:], rnd.choice([mid, mid + 1]), total=total,
                                         more=rnd.random() < 0.3)]
                    else:
                        packets = [os.urandom(rnd.randint(0, 200))]
                    for p in packets:
                        raw.s.send(p)
                        sent += 1
                    try:
                        raw.s.recv(70000)
                    except (socket.timeout, OSError):
                        pass
            except OSError:
                pass  # launchd dropped the connection for a protocol error
            raw.close()

    in_nobody(attack)
    assert_alive(g)


def test_an_agents_fifo_cannot_stop_the_system_launchd(system):
    """launchd waits for a job's child until it execs: an agent naming a FIFO nobody reads as its output
    must fail to spawn, not hang the system launchd for every user."""
    g = system
    fifo = g.nobody_dir / "trap"
    os.mkfifo(fifo)
    os.chown(fifo, *NOBODY)
    path = nobody_plist(g, "t.trap", ProgramArguments=["/bin/echo", "hi"], StandardOutPath=str(fifo))
    assert as_nobody(g, "bootstrap", "gui/65534", path).returncode == 0
    as_nobody(g, "kickstart", "gui/65534/t.trap")
    s = g.wait_state_in("gui/65534", "t.trap", lambda s: s.get("spawn_failure"), "the spawn failure")
    assert s["spawn_failure"] == f"StandardOutPath {fifo}: a FIFO with no reader (launchd does not wait for one)"
    assert_alive(g)


def test_out_of_descriptors_launchd_sheds_connections_instead_of_hanging_them(make_gantry):
    """At its descriptor limit launchd cannot accept a client; a pending connection used to stay in the
    backlog unanswered while epoll woke launchd for it again and again. Now each is accepted on a spare
    descriptor and closed: the client sees the end at once, the ones accepted are answered, and launchd
    serves again as soon as descriptors are free. (Root's connections are not limited per uid.)"""
    g = make_gantry(nofile=64)
    clients = []
    for _ in range(100):
        c = Raw(g.socket, passcred=True)
        c.send({"routine": "version"})
        clients.append(c)
    def reply(c):
        try:
            return c.recv(timeout=DEADLINE)  # a reply, or None: closed by launchd
        except ConnectionResetError:  # closed with the request unread
            return None

    replies = [reply(c) for c in clients]
    answered = [r for r in replies if r is not None]
    assert answered and all(r["mode"] == "user" for r in answered)
    assert len(answered) < 100  # past the limit: shed, not left hanging (recv would time out)
    for c in clients:
        c.close()
    wait_for(lambda: g.ctl("print", g.domain).returncode == 0, "launchd serving again")


def test_a_user_cannot_open_sessions_change_lingering_or_read_another_users_session(system):
    """Sessions are root's (pam_launchd.so runs in login and sshd as root); a user may ask whether someone
    lingers and read its own session's environment, nothing more."""
    g = system

    def attack():
        raw = Raw(g.socket, passcred=True)
        r = raw.call({"routine": "session_open", "uid": 65534, "session_type": "Aqua"})
        assert r["error"] == 1 and "opening a login session is root's" in r["error_detail"], r
        r = raw.call({"routine": "session_close", "session_id": 1})
        assert r["error"] == 1 and "closing a login session is root's" in r["error_detail"], r
        r = raw.call({"routine": "linger", "uid": 65534, "linger": True})
        assert r["error"] == 1 and "changing whether a user lingers" in r["error_detail"], r
        assert raw.call({"routine": "linger", "uid": 0})["linger"] is False  # asking is anyone's
        r = raw.call({"routine": "session_env", "uid": 0})
        assert r["error"] == 1 and "root's and uid 0's to read (you are uid 65534)" in r["error_detail"], r
        assert raw.call({"routine": "session_env", "uid": 65534})["sessions"]  # its own: the harness's login

    in_nobody(attack)
    assert "session types = Aqua" in g.ctl("print", "gui/65534", check=True).stdout  # its session still open
