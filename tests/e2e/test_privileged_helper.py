"""The privileged-helper example (examples/privileged-helper): a root daemon launched on demand,
serving only its own client program inside its own app bundle."""
import shutil
import subprocess

from conftest import BUILD, needs_root

EXAMPLE = BUILD / "examples/privileged-helper"
XPC_CLIENT = BUILD / "tests/helpers/xpc-client"
NAME = "com.example.privileged-helper"


def as_nobody(g, *cmd):
    env = dict(g.env, LD_LIBRARY_PATH=str(BUILD / "src/libxpc"))  # for the client copied into the bundle
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *map(str, cmd)],
                          env=env, capture_output=True, text=True, timeout=60)


def install_app(g):
    """Example.app: the client and its Info.plist, root-owned like an installed app."""
    contents = g.root / "Applications/Example.app/Contents"
    (contents / "MacOS").mkdir(parents=True)
    shutil.copy2(EXAMPLE / "example-client", contents / "MacOS/example-client")
    shutil.copy2(EXAMPLE.parents[2] / "examples/privileged-helper/Info.plist", contents / "Info.plist")
    for d in (g.root / "Applications", contents.parent, contents, contents / "MacOS"):
        d.chmod(0o755)
    return contents / "MacOS/example-client"


@needs_root
def test_privileged_helper(make_gantry):
    g = make_gantry(mode="system", start=False, public=True)
    notes = g.root / "notes"
    notes.mkdir(parents=True)
    notes.chmod(0o700)  # only root can write here
    client = install_app(g)
    template = (EXAMPLE.parents[2] / "examples/privileged-helper/com.example.privileged-helper.plist").read_text()
    g.admin_dir.mkdir(parents=True)
    (g.admin_dir / f"{NAME}.plist").write_text(
        template.replace("@HELPER@", str(EXAMPLE / "example-helper"))
        .replace("@CLIENT@", str(client)).replace("@NOTES@", str(notes)))
    g.start()
    assert g.service(NAME)["runs"] == 0  # nothing runs until a client asks

    r = as_nobody(g, client, NAME, "note", "hello", "written as root")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"helper uid 0 served client uid 65534; wrote {notes}/hello"
    assert (notes / "hello").read_text() == "written as root" and (notes / "hello").stat().st_uid == 0
    assert g.service(NAME)["immediate_reason"] == "ipc (mach)"

    r = as_nobody(g, client, NAME, "note", "../escape", "x")
    assert r.returncode == 1 and "a note needs a plain name" in r.stderr

    # Another program is not the allowed client: its message never reaches the helper.
    r = as_nobody(g, XPC_CLIENT, "-p", "-t", "20000", NAME, 0)
    assert r.returncode == 1 and "Peer forbidden by code signing requirement" in r.stdout
    assert g.service(NAME)["runs"] == 1  # the same helper still serves the real client
    assert as_nobody(g, client, NAME, "whoami").returncode == 0
