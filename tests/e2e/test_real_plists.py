"""Real-world job files load as they are (tests/e2e/plists: the shapes of Apple's open-source daemons —
OpenSSH, postfix, cron, cups, ntp, rsync, bootp, tftp, mDNSResponder, locate, periodic, newsyslog,
ftp-proxy — and of what third-party installers write). Every one lints; every one whose program exists on
this machine bootstraps and runs. Apple's daemons are lint-only here: their programs are not installed,
and bootstrapping them would bind real ports and create real sockets."""
import os
import plistlib
from pathlib import Path

import pytest

CORPUS = sorted((Path(__file__).parent / "plists").glob("*.plist"))


def program_of(path):
    d = plistlib.loads(path.read_bytes())
    return d.get("Program") or d["ProgramArguments"][0], d


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_every_real_plist_lints(gantry, path):
    r = gantry.ctl("lint", path)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"OK ({path.stem})" in r.stdout


def test_macos_shapes_are_translated_with_warnings(gantry):
    corpus = Path(__file__).parent / "plists"
    out = gantry.ctl("lint", corpus / "org.cups.cupsd.plist", check=True).stderr
    assert "SockPathMode: 49663 is 0140777, a socket's whole mode; using its permission bits, 0777" in out
    if not os.path.exists("/private"):
        assert "Sockets.Listeners.SockPathName: /private/var/run/cupsd: macOS's /private does not exist here; " \
               "using /var/run/cupsd" in out
    out = gantry.ctl("lint", corpus / "com.openssh.sshd.plist", check=True).stderr
    assert "Bonjour registration is not supported on Linux; ignored" in out  # every ignored key says why


def test_those_whose_program_exists_bootstrap_and_run(gantry):
    ran = 0
    for path in CORPUS:
        program, d = program_of(path)
        if not os.path.isabs(program) or not os.access(program, os.X_OK) or d.get("Sockets") or d.get("UserName"):
            continue
        r = gantry.ctl("bootstrap", gantry.domain, path)
        assert r.returncode == 0, f"{path.name}: {r.stderr}"
        if d.get("RunAtLoad"):
            gantry.wait_running(d["Label"])
            ran += 1
    assert ran >= 3  # the third-party shapes run with what every Debian machine has
