"""Harness for end-to-end tests: a real launchd under a temporary LAUNCHD_ROOT,
driven by the real launchctl. Every wait polls a condition against a deadline."""
import json
import os
import plistlib
import resource
import shutil
import tempfile
import signal
import subprocess
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("GANTRY_BUILD", REPO / "build"))
LAUNCHD = BUILD / "src/launchd/launchd"
LAUNCHCTL = BUILD / "src/launchctl/launchctl"
DEADLINE = 20.0  # seconds any single condition may take on a loaded CI machine
# Tests that run the system daemon or switch users need root (CI runs as root).
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def wait_for(cond, what, timeout=DEADLINE, interval=0.01):
    """Polls cond() until it returns a truthy value; fails naming what it waited for."""
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # reaped between the two looks
        return False


class Gantry:
    """One launchd instance with its own root directory."""

    def __init__(self, root, mode="user", run_as=None, args=(), nofile=None, wrap=(), login=None):
        self.root = Path(root)
        # a system launchd hosts a user's agents while the user is logged in: nobody (65534) is, graphically,
        # through pam_launchd.so, unless the test is about sessions (login=False)
        self.login = mode == "system" if login is None else login
        self.session = None
        self.restarting = False
        self.wrap = list(wrap)  # a command launchd runs under that execs it (e.g. unshare -n: same pid)
        self.nofile = nofile  # RLIMIT_NOFILE (soft and hard) launchd starts with, or None
        self.mode = mode
        self.args = list(args)  # extra launchd arguments, e.g. --test-clock
        self.run_as = run_as  # (uid, gid) to run launchd and launchctl as, or None
        self.uid = run_as[0] if run_as else os.geteuid()
        self.proc = None
        self.env = dict(os.environ, LAUNCHD_ROOT=str(self.root))
        self.env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")

    # --- directories -----------------------------------------------------
    @property
    def domain(self):
        return "system" if self.mode == "system" else f"gui/{self.uid}"

    @property
    def jobs_dir(self):
        if self.mode == "system":
            return self.root / "etc/launchd/LaunchDaemons"
        return self.root / f"home/{self.uid}/.config/launchd/LaunchAgents"

    @property
    def vendor_dir(self):
        kind = "LaunchDaemons" if self.mode == "system" else "LaunchAgents"
        return self.root / "usr/lib/launchd" / kind

    @property
    def admin_dir(self):
        kind = "LaunchDaemons" if self.mode == "system" else "LaunchAgents"
        return self.root / "etc/launchd" / kind

    @property
    def state_dir(self):
        if self.mode == "system":
            return self.root / "var/lib/launchd"
        return self.root / f"home/{self.uid}/.local/state/launchd"

    @property
    def log(self):
        path = self.state_dir / "launchd.log"
        return path.read_text() if path.exists() else ""

    @property
    def socket(self):
        return self.root / "run/launchd/launchd.sock"

    def write_plist(self, label, directory=None, binary=False, **keys):
        directory = Path(directory or self.jobs_dir)
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{label}.plist"
        data = {"Label": label, **keys}
        with open(path, "wb") as f:
            plistlib.dump(data, f, fmt=plistlib.FMT_BINARY if binary else plistlib.FMT_XML)
        if self.run_as:
            os.chown(path, *self.run_as)
        return path

    def script(self, name, body):
        """An executable shell script in the root, for jobs to run."""
        path = self.root / "bin" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("#!/bin/sh\n" + body + "\n")
        path.chmod(0o755)
        return str(path)

    # --- processes --------------------------------------------------------
    def _preexec(self):
        if self.nofile:
            resource.setrlimit(resource.RLIMIT_NOFILE, (self.nofile, self.nofile))
        if self.run_as:
            os.setgroups([])
            os.setgid(self.run_as[1])
            os.setuid(self.run_as[0])

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        if self.run_as:  # an unprivileged daemon must own its root to create its state
            for dirpath, dirnames, filenames in os.walk(self.root):
                for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                    os.chown(name, *self.run_as)
        self.errfile = open(self.root / "launchd.stderr", "ab")
        self.proc = subprocess.Popen([*self.wrap, str(LAUNCHD), f"--{self.mode}", *self.args], env=self.env,
                                     stdout=self.errfile, stderr=self.errfile,
                                     preexec_fn=self._preexec if self.run_as or self.nofile else None)
        wait_for(lambda: self.socket.exists() or self.proc.poll() is not None, "launchd's control socket")
        assert self.proc.poll() is None, f"launchd exited: {(self.root / 'launchd.stderr').read_text()}"
        wait_for(lambda: "Gantry launchd " in self.ctl("version").stdout,
                 "launchd to answer")
        if self.login and not self.session:
            self.session = PamSession(self, "nobody", env={"XDG_SESSION_TYPE": "x11"})
            wait_for(lambda: "session types = Aqua" in self.ctl("print", "gui/65534").stdout, "nobody's session")
        return self

    def stop(self, timeout=DEADLINE):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        if self.session and not self.restarting:
            self.session.kill()
            self.session = None
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout)
        self.errfile.close()
        return rc

    def restart(self):
        self.restarting = True  # the login session stays open across it
        try:
            assert self.stop() == 0
        finally:
            self.restarting = False
        return self.start()

    def ctl(self, *args, check=False):
        r = subprocess.run([str(LAUNCHCTL), *map(str, args)], env=self.env, capture_output=True, text=True,
                           timeout=DEADLINE * 2, preexec_fn=self._preexec if self.run_as else None)
        if check:
            assert r.returncode == 0, f"launchctl {' '.join(map(str, args))}: {r.returncode}\n{r.stderr}"
        return r

    def service(self, label, domain=None):
        """launchctl print --json of a service, or None if it is not loaded."""
        r = self.ctl("print", f"{domain or self.domain}/{label}", "--json")
        return json.loads(r.stdout) if r.returncode == 0 else None

    def wait_state_in(self, domain, label, predicate, what):
        return wait_for(lambda: (lambda s: s if s and predicate(s) else None)(self.service(label, domain)),
                        f"{domain}/{label}: {what}")

    def wait_state(self, label, predicate, what):
        return self.wait_state_in(self.domain, label, predicate, what)

    def wait_running(self, label, not_pid=None):
        return self.wait_state(label, lambda s: s["pid"] and s["pid"] != not_pid and s["state"] == "running",
                               "running" + (f" with a pid other than {not_pid}" if not_pid else ""))

    def wait_log(self, text):
        return wait_for(lambda: text in self.log, f"log line containing {text!r}")


@pytest.fixture
def gantry(tmp_path):
    g = Gantry(tmp_path / "root").start()
    yield g
    rc = g.stop()
    assert rc == 0, f"launchd exited {rc} on SIGTERM:\n{(g.root / 'launchd.stderr').read_text()}"


@pytest.fixture
def make_gantry(tmp_path):
    """Factory for tests that configure the root before launchd starts. public=True puts the
    root where other users can reach it (pytest's own temporary directories are private)."""
    made = []
    public_dirs = []

    def make(mode="user", run_as=None, start=True, public=False, args=(), nofile=None, wrap=(), login=None):
        base = tmp_path
        if public or run_as:
            base = Path(tempfile.mkdtemp(prefix="gantry-e2e-"))
            base.chmod(0o755)
            public_dirs.append(base)
        g = Gantry(base / f"root{len(made)}", mode=mode, run_as=run_as, args=args, nofile=nofile, wrap=wrap,
                   login=login)
        made.append(g)
        return g.start() if start else g

    yield make
    for g in made:
        rc = g.stop()
        assert rc == 0, f"launchd exited {rc} on SIGTERM:\n{(g.root / 'launchd.stderr').read_text()}"
    for d in public_dirs:
        shutil.rmtree(d, ignore_errors=True)


# XPC programs written the macOS way (tests/xpc-corpus), built with clang -fblocks against this build.
CORPUS = REPO / "tests/xpc-corpus"
STRICT = ["-fblocks", "-Wall", "-Werror", "-Werror=incompatible-pointer-types",
          "-Werror=implicit-function-declaration"]


def asan_build():
    return "-fsanitize=address" in (BUILD / "build.ninja").read_text()


@pytest.fixture(scope="session")
def corpus(tmp_path_factory):
    """The corpus, built with clang against this build's libxpc; each program's path by name."""
    out = tmp_path_factory.mktemp("corpus")
    lib = BUILD / "src/libxpc"
    built = {}
    for src in sorted(CORPUS.glob("*.c")):
        exe = out / src.stem
        r = subprocess.run(["clang", *STRICT, f"-I{REPO / 'include'}", str(src), "-o", str(exe), f"-L{lib}",
                            "-lxpc", "-lBlocksRuntime", "-lpthread", f"-Wl,-rpath,{lib}"],
                           capture_output=True, text=True)
        assert r.returncode == 0, f"{src.name} does not compile unchanged:\n{r.stderr}"
        built[src.stem] = exe
    return built


def corpus_asan_env():
    """What a corpus program needs in its environment: with an instrumented libxpc (the ASan build) the
    sanitizer's runtime loads with the library, after the uninstrumented program."""
    return {"ASAN_OPTIONS": "abort_on_error=0:detect_leaks=1:verify_asan_link_order=0"} if asan_build() else {}


def env_for(g):
    return dict(g.env, **corpus_asan_env())


# --- login sessions through pam_launchd.so (pamtester under libpam-wrapper: no real login, no /etc/pam.d) ---
# The release build's module even for the ASan run: an instrumented module cannot load into pamtester (libasan
# must come first, and pam_wrapper's deep binding then fails to load it); it is only the client here.
PAM_LAUNCHD = REPO / "build/src/pam/pam_launchd.so"
PAM_WRAPPER_LIB = Path("/usr/lib/x86_64-linux-gnu/libpam_wrapper.so")
PAM_MATRIX = Path("/usr/lib/x86_64-linux-gnu/pam_wrapper/pam_matrix.so")


class PamSession:
    """A login session held open by a real PAM application: pamtester runs open_session, then authenticate —
    pam_matrix prompts for a password and pamtester waits on its stdin — then close_session once close()
    answers. The session's leader is pamtester; kill() ends it without close_session."""

    def __init__(self, g, user, env=(), options="", run_as_nobody=False):
        d = g.root / "pam.d"
        d.mkdir(exist_ok=True)
        (g.root / "passdb").write_text(f"{user}:secret:gantry-session\n")
        (d / "gantry-session").write_text(
            f"auth required {PAM_MATRIX} passdb={g.root / 'passdb'} echo\n"
            f"session required {PAM_LAUNCHD} {options}\n")
        clean = {k: v for k, v in g.env.items() if not k.startswith(("XDG_", "DISPLAY", "WAYLAND", "DBUS_"))}
        self.env = dict(clean, LD_PRELOAD=str(PAM_WRAPPER_LIB), PAM_WRAPPER="1", PAM_WRAPPER_SERVICE_DIR=str(d),
                        **dict(env))
        setpriv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if run_as_nobody else []
        self.proc = subprocess.Popen([*setpriv, "pamtester", "-v", "gantry-session", user, "open_session", "authenticate",
                                      "close_session"], env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.pid = self.proc.pid

    def close(self):
        out, _ = self.proc.communicate("secret\n", timeout=DEADLINE)
        assert self.proc.returncode == 0, out
        return out

    def kill(self):
        self.proc.kill()
        self.proc.communicate(timeout=DEADLINE)
