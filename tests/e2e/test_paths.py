"""WatchPaths and QueueDirectories with real files and processes."""
import os
import subprocess

from conftest import needs_root, wait_for


def runs_of(out):
    return len(out.read_text().splitlines()) if out.exists() else 0


def watch_job(g, watched):
    out = g.root / "watch.runs"
    script = g.script("watch.sh", f"echo run >> {out}")
    path = g.write_plist("t.watch", ProgramArguments=[script], WatchPaths=[str(watched)], ThrottleInterval=1)
    g.ctl("bootstrap", g.domain, path, check=True)
    return out


def test_watch_paths_sees_create_write_rename_symlink_swap_and_delete(gantry):
    d = gantry.root / "conf"
    watched = d / "app.conf"  # neither the file nor its directory exists yet
    out = watch_job(gantry, watched)
    s = gantry.service("t.watch")
    assert s["runs"] == 0 and s["watch_paths"] == [{"path": str(watched),
                                                     "state": "does not exist (watched for creation)"}]
    d.mkdir()
    watched.write_text("v1\n")  # created
    wait_for(lambda: runs_of(out) >= 1, "a run for the creation")
    assert gantry.service("t.watch")["immediate_reason"] == "watch path changed"
    def write_in_place():
        with watched.open("a") as f:
            f.write("v2\n")

    def save_by_rename():  # how editors save atomically
        (d / "tmp").write_text("v3\n")
        os.rename(d / "tmp", watched)

    def swap_symlink():
        (d / "other").write_text("v4\n")
        (d / "link").symlink_to(d / "other")
        os.rename(d / "link", watched)

    steps = [write_in_place, save_by_rename, swap_symlink, watched.unlink]
    for i, step in enumerate(steps):
        before = runs_of(out)
        gantry.wait_state("t.watch", lambda s: s["state"] == "not running", "the previous run to end")
        step()
        wait_for(lambda: runs_of(out) > before, f"a run for change {i + 2}")
    # Changes to other files in the same directory start nothing.
    gantry.wait_state("t.watch", lambda s: s["state"] == "not running", "the last run to end")
    before = runs_of(out)
    (d / "unrelated").write_text("x")
    gantry.ctl("kickstart", f"{gantry.domain}/t.watch", check=True)  # a marker run after the unrelated write
    wait_for(lambda: runs_of(out) == before + 1, "the marker run")
    assert gantry.service("t.watch")["immediate_reason"] == "kickstart"


def queue_job(g, queue, **keys):
    """Each run takes one entry out of the queue (the oldest name) and records it."""
    out = g.root / "queue.runs"
    script = g.script("drain.sh", f"f=$(ls {queue} | head -1); [ -n \"$f\" ] && rm {queue}/$f && echo $f >> {out}")
    path = g.write_plist("t.queue", ProgramArguments=[script], QueueDirectories=[str(queue)], ThrottleInterval=1,
                         **keys)
    g.ctl("bootstrap", g.domain, path, check=True)
    return out


def test_queue_directory_filled_before_load_runs_until_empty(gantry):
    queue = gantry.root / "spool"
    queue.mkdir()
    for name in ("a", "b", "c"):
        (queue / name).write_text(name)
    out = queue_job(gantry, queue)  # already non-empty: starts at load
    wait_for(lambda: runs_of(out) == 3, "three runs, one per entry")
    assert out.read_text().split() == ["a", "b", "c"] and os.listdir(queue) == []
    s = gantry.wait_state("t.queue", lambda s: s["state"] == "not running", "the job to stop once empty")
    assert s["runs"] == 3 and s["queue_directories"] == [{"path": str(queue), "state": "empty"}]


def test_queue_directory_filled_while_the_job_runs(gantry):
    queue = gantry.root / "spool"
    queue.mkdir()
    gate = gantry.root / "gate"
    out = gantry.root / "queue.runs"
    script = gantry.script("slow-drain.sh", f"while [ ! -e {gate} ]; do sleep 0.05; done; rm -f {gate}; "
                                            f"for f in $(ls {queue}); do rm {queue}/$f; echo $f >> {out}; done")
    path = gantry.write_plist("t.queue", ProgramArguments=[script], QueueDirectories=[str(queue)],
                              ThrottleInterval=1)
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    (queue / "first").write_text("1")
    gantry.wait_running("t.queue")
    gate.write_text("")  # the first run lists the queue ...
    wait_for(lambda: runs_of(out) == 1, "the first entry processed")
    (queue / "second").write_text("2")  # ... and this one arrives while it may still run
    gate.write_text("")
    wait_for(lambda: runs_of(out) == 2, "the second entry processed (no lost wake-up)")
    assert sorted(out.read_text().split()) == ["first", "second"]


def test_unreadable_queue_directory_is_shown(gantry):
    queue = gantry.root / "missing-spool"
    queue_job(gantry, queue)
    s = gantry.service("t.queue")
    assert s["queue_directories"][0]["state"] == "No such file or directory"
    assert "missing-spool (No such file or directory)" in gantry.ctl("print", f"{gantry.domain}/t.queue").stdout


@needs_root
def test_start_on_mount(gantry):
    out = gantry.root / "mount.runs"
    script = gantry.script("mounted.sh", f"echo run >> {out}")
    path = gantry.write_plist("t.mount", ProgramArguments=[script], StartOnMount=True, ThrottleInterval=1)
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    assert gantry.service("t.mount")["runs"] == 0
    point = gantry.root / "mnt"
    point.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "gantry-test", str(point)], check=True)
    try:
        wait_for(lambda: runs_of(out) == 1, "a run for the mount")
        assert gantry.service("t.mount")["immediate_reason"] == "filesystem mounted"
    finally:
        subprocess.run(["umount", str(point)], check=True)
