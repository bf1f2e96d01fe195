"""The privileged-helper example (examples/privileged-helper): a root daemon launched on demand,
serving only its own client program."""
import os
import subprocess

from conftest import BUILD, needs_root

EXAMPLE = BUILD / "examples/privileged-helper"
XPC_CLIENT = BUILD / "tests/helpers/xpc-client"
NAME = "com.example.privileged-helper"


def as_nobody(g, *cmd):
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *map(str, cmd)],
                          env=g.env, capture_output=True, text=True, timeout=60)


@needs_root
def test_privileged_helper(make_gantry):
    g = make_gantry(mode="system", start=False, public=True)
    notes = g.root / "notes"
    notes.mkdir(parents=True)
    notes.chmod(0o700)  # only root can write here
    template = (EXAMPLE.parents[2] / "examples/privileged-helper/com.example.privileged-helper.plist").read_text()
    g.admin_dir.mkdir(parents=True)
    (g.admin_dir / f"{NAME}.plist").write_text(
        template.replace("@HELPER@", str(EXAMPLE / "example-helper"))
        .replace("@CLIENT@", os.path.realpath(EXAMPLE / "example-client")).replace("@NOTES@", str(notes)))
    g.start()
    assert g.service(NAME)["runs"] == 0  # nothing runs until a client asks

    r = as_nobody(g, EXAMPLE / "example-client", NAME, "note", "hello", "written as root")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"helper uid 0 served client uid 65534; wrote {notes}/hello"
    assert (notes / "hello").read_text() == "written as root" and (notes / "hello").stat().st_uid == 0
    assert g.service(NAME)["immediate_reason"] == "ipc (mach)"

    r = as_nobody(g, EXAMPLE / "example-client", NAME, "note", "../escape", "x")
    assert r.returncode == 1 and "a note needs a plain name" in r.stderr

    # Another program is not the allowed client: its message never reaches the helper.
    r = as_nobody(g, XPC_CLIENT, "-p", "-t", "1500", NAME, 0)
    assert r.returncode == 1 and "Reply timed out" in r.stdout
    assert g.service(NAME)["runs"] == 1  # the same helper still serves the real client
    assert as_nobody(g, EXAMPLE / "example-client", NAME, "whoami").returncode == 0
