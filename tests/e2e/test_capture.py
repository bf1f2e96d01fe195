"""Jobs' output captured by default: a job without StandardOutPath/StandardErrorPath has its stdout and stderr
kept by launchd (memory and a capped file per job), shown by `launchctl log`; a failed run's last stderr lines
(the loader's "error while loading shared libraries", a crash and its core) are kept beside its exit status in
print, blame and launchd's log; nothing is lost silently."""
import json
import os
import select
import signal
import subprocess
import time

import pytest

from conftest import DEADLINE, LAUNCHCTL, needs_root, wait_for

MISSING_LIB = "error while loading shared libraries: libgantrymissing.so.1: cannot open shared object file: No such file or directory"


def log_lines(g, target, *args):
    r = g.ctl("log", target, "--json", *args)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_output_is_captured_per_run_and_stream(gantry):
    gantry.write_plist("t.talk", ProgramArguments=["/bin/sh", "-c", "echo to-out; echo to-err >&2; printf no-newline"])
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.talk.plist", check=True)
    target = f"{gantry.domain}/t.talk"
    for run in (1, 2):
        gantry.ctl("kickstart", target, check=True)
        wait_for(lambda: len(log_lines(gantry, target)) == 3 * run, f"run {run}'s three lines")
    lines = log_lines(gantry, target)
    # the two streams are two pipes: their order relative to each other is the order launchd read them in
    assert sorted((l["run"], l["stream"], l["text"]) for l in lines) == sorted(
        (r, s, t) for r in (1, 2) for s, t in (("stdout", "to-out"), ("stdout", "no-newline"), ("stderr", "to-err")))
    assert all(l["time"].endswith("Z") for l in lines)
    text = gantry.ctl("log", target, "--lines", "2", check=True).stdout.splitlines()
    assert len(text) == 2 and all(" run 2 " in line for line in text)
    s = gantry.service("t.talk")
    assert s["dropped_lines"] == 0 and s["output_file"].endswith("/logs/gui." + str(gantry.uid) + "/t.talk.log")
    assert s["last_exit_stderr"] is None  # it exited 0: nothing to explain


def test_a_path_in_the_plist_is_not_captured_and_one_file_keeps_the_streams_order(gantry, tmp_path):
    out = tmp_path / "out.txt"
    gantry.write_plist("t.file", ProgramArguments=["/bin/sh", "-c", "echo direct; echo err >&2"],
                       StandardOutPath=str(out), StandardErrorPath=str(out))
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.file.plist", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.file", check=True)
    wait_for(lambda: out.exists() and out.read_text() == "direct\nerr\n", "the job's own file")
    assert log_lines(gantry, f"{gantry.domain}/t.file") == []
    r = gantry.ctl("log", f"{gantry.domain}/t.file")
    assert r.stderr == f"({gantry.domain}/t.file sends stdout to {out} and stderr to {out}: not captured)\n"
    s = gantry.service("t.file")
    assert s["dropped_lines"] == 0 and s["output_file"] is None


def test_a_missing_shared_library_is_named_beside_the_exit_status(gantry, tmp_path):
    lib, prog = tmp_path / "libgantrymissing.so.1", tmp_path / "needs-lib"
    (tmp_path / "lib.c").write_text("int gantry_missing(void) { return 0; }\n")
    (tmp_path / "prog.c").write_text("int gantry_missing(void);\nint main(void) { return gantry_missing(); }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(lib), "-Wl,-soname,libgantrymissing.so.1",
                    str(tmp_path / "lib.c")], check=True)
    subprocess.run(["cc", "-o", str(prog), str(tmp_path / "prog.c"), str(lib)], check=True)
    lib.unlink()  # the loader now fails, as when a package lost a library
    gantry.write_plist("t.nolib", ProgramArguments=[str(prog)])
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.nolib.plist", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.nolib", check=True)
    s = gantry.wait_state("t.nolib", lambda s: s.get("last_exit_status") == 127, "exit 127")
    assert s["last_exit_stderr"] == f"{prog}: {MISSING_LIB}"
    blame = gantry.ctl("blame", f"{gantry.domain}/t.nolib", check=True).stdout
    assert blame == f"(not running) exited 127: {prog}: {MISSING_LIB}\n"
    assert f"last exit stderr = {prog}: {MISSING_LIB}" in gantry.ctl("print", f"{gantry.domain}/t.nolib").stdout
    gantry.wait_log(f"Service exited with abnormal code: 127 — {prog}: {MISSING_LIB}")


def test_a_crash_shows_its_signal_stderr_and_core(gantry, tmp_path):
    wd = tmp_path / "wd"
    wd.mkdir()
    gantry.write_plist("t.crash", ProgramArguments=["/bin/sh", "-c", "echo going down >&2; kill -SEGV $$"],
                       WorkingDirectory=str(wd), SoftResourceLimits={"Core": 1 << 30},
                       HardResourceLimits={"Core": 1 << 30})
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.crash.plist", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.crash", check=True)
    s = gantry.wait_state("t.crash", lambda s: s.get("last_exit_status") == -signal.SIGSEGV, "killed by SIGSEGV")
    blame = gantry.ctl("blame", f"{gantry.domain}/t.crash", check=True).stdout
    assert blame.startswith("(not running) killed by signal 11 (Segmentation fault): going down")
    pattern = open("/proc/sys/kernel/core_pattern").read().strip()
    cores = [p for p in wd.iterdir() if p.name.startswith(pattern.split("%")[0] or "core")]
    if not pattern.startswith("|") and cores:  # the kernel wrote a core where core_pattern says
        assert s["last_exit_stderr"] == f"going down; core dumped: {wd}/{pattern} (kernel.core_pattern, in the " \
                                         "working directory)"
    else:
        assert s["last_exit_stderr"].startswith("going down")


def readline_within(stream, seconds):
    """A line of a child's output, or a failure naming the wait once the deadline passed."""
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"no line within {seconds}s"
    return stream.readline()


def test_follow_shows_lines_as_they_come(gantry):
    gantry.write_plist("t.tick", ProgramArguments=["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo tick $i; "
                                                                     "sleep 0.1; done"], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.tick.plist", check=True)
    f = subprocess.Popen([str(LAUNCHCTL), "log", f"{gantry.domain}/t.tick", "--follow", "--lines", "1"],
                         env=gantry.env, stdout=subprocess.PIPE, text=True)
    try:
        seen = [readline_within(f.stdout, DEADLINE) for _ in range(5)]
        numbers = [int(line.rsplit(" ", 1)[1]) for line in seen]
        assert numbers == list(range(numbers[0], numbers[0] + 5)), seen  # in order, none missing
        assert all(" run 1 stdout: tick " in line for line in seen)
    finally:
        f.terminate()
        f.wait(timeout=DEADLINE)


def test_the_file_is_capped_and_rotated_and_log_reads_across(make_gantry):
    g = make_gantry(args=["--capture-file", "4096"], start=False)
    g.write_plist("t.many", ProgramArguments=["/bin/sh", "-c", "i=0; while [ $i -lt 300 ]; do i=$((i+1)); "
                                                               "echo line-$i-0123456789012345678901234567890; done"])
    g.start()
    g.ctl("kickstart", f"{g.domain}/t.many", check=True)
    path = wait_for(lambda: (g.service("t.many") or {}).get("output_file"), "the output file")
    wait_for(lambda: log_lines(g, f"{g.domain}/t.many", "--lines", "1")[-1:] and
             log_lines(g, f"{g.domain}/t.many", "--lines", "1")[-1]["text"].startswith("line-300-"), "the last line")
    assert os.path.getsize(path) <= 4096 and os.path.getsize(path + ".1") <= 4096
    lines = log_lines(g, f"{g.domain}/t.many", "--lines", "60")
    assert [l["text"].split("-")[1] for l in lines] == [str(i) for i in range(241, 301)]  # .1 and the current file


def test_a_full_disk_drops_lines_and_says_so(make_gantry, tmp_path):
    """The capture files on a 64 KiB tmpfs (in launchd's own mount namespace): what does not fit is counted."""
    g = make_gantry(start=False)
    logs = g.state_dir / "logs"
    logs.mkdir(parents=True)
    g.wrap = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
              f"mount -t tmpfs -o size=64k tmpfs {logs} && exec \"$0\" \"$@\""]
    g.write_plist("t.flood", ProgramArguments=["/bin/sh", "-c", "head -c 300000 /dev/zero | tr '\\0' 'x' | "
                                                                "fold -w 99"])
    g.start()
    g.ctl("kickstart", f"{g.domain}/t.flood", check=True)
    s = g.wait_state("t.flood", lambda s: s.get("last_exit_status") == 0 and s.get("dropped_lines", 0) > 0,
                     "lines dropped")
    written = sum(1 for _ in log_lines(g, f"{g.domain}/t.flood", "--lines", "100000"))
    assert written + s["dropped_lines"] == 3031  # every line is either in the file or counted
    assert "dropped lines = %d" % s["dropped_lines"] in g.ctl("print", f"{g.domain}/t.flood").stdout
    g.wait_log("(%s/t.flood) output capture: cannot write" % g.domain)


@needs_root
def test_only_root_and_the_domains_user_read_its_output(make_gantry):
    g = make_gantry(mode="system", public=True)
    g.write_plist("t.secret", ProgramArguments=["/bin/sh", "-c", "echo s3cret"])
    g.ctl("bootstrap", "system", g.jobs_dir / "t.secret.plist", check=True)
    g.ctl("kickstart", "system/t.secret", check=True)
    wait_for(lambda: log_lines(g, "system/t.secret"), "the line")

    def as_nobody():
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)

    for target in ("system/t.secret", "system"):
        r = subprocess.run([str(LAUNCHCTL), "log", target], env=g.env, capture_output=True, text=True,
                           preexec_fn=as_nobody, timeout=DEADLINE)
        assert r.returncode != 0 and "s3cret" not in r.stdout
        assert "only root may read what system's jobs print and log (you are uid 65534)" in r.stderr


def test_domain_events(gantry):
    gantry.write_plist("t.ev", ProgramArguments=["/bin/sh", "-c", "exit 3"])
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.ev.plist", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.ev", check=True)
    wait_for(lambda: any("(%s/t.ev [" % gantry.domain in l["text"] and "abnormal code: 3" in l["text"]
                         for l in log_lines(gantry, gantry.domain)), "the exit event")
    events = [l["text"] for l in log_lines(gantry, gantry.domain)]
    assert all(l["stream"] == "launchd" for l in log_lines(gantry, gantry.domain))
    spawned = next(i for i, t in enumerate(events) if "(%s/t.ev) spawned with pid" % gantry.domain in t)
    exited = next(i for i, t in enumerate(events) if "(%s/t.ev [" % gantry.domain in t and "abnormal code: 3" in t)
    assert spawned < exited  # one line per event: loaded, spawned with its pid, exited with its status


def test_a_long_line_is_kept_in_pieces(gantry):
    gantry.write_plist("t.long", ProgramArguments=["/bin/sh", "-c", "head -c 10000 /dev/zero | tr '\\0' a; echo; "
                                                                     "echo after"])
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.long.plist", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.long", check=True)
    wait_for(lambda: [l["text"] for l in log_lines(gantry, f"{gantry.domain}/t.long")][-1:] == ["after"], "the end")
    texts = [l["text"] for l in log_lines(gantry, f"{gantry.domain}/t.long")]
    assert [len(t) for t in texts] == [4096, 4096, 1808, 5] and "".join(texts[:3]) == "a" * 10000


def numbers(path):
    return [int(x) for x in path.read_text().split()] if path.exists() else []


def test_standard_out_path_survives_a_rotation(gantry, tmp_path):
    """logrotate renames the file (no copytruncate, no signal to the job): launchd opens the path again and
    the job's lines go on into the new file, none lost."""
    out = tmp_path / "job.log"
    gantry.write_plist("t.rot", ProgramArguments=["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; "
                                                                    "sleep 0.02; done"],
                       StandardOutPath=str(out), RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.rot.plist", check=True)
    wait_for(lambda: len(numbers(out)) >= 10, "lines in the file")
    out.rename(tmp_path / "job.log.1")  # what logrotate does
    wait_for(lambda: len(numbers(out)) >= 10, "a new file at the path, with the job's lines")
    gantry.ctl("bootout", f"{gantry.domain}/t.rot", check=True)
    old, new = numbers(tmp_path / "job.log.1"), numbers(out)
    assert old + new == list(range(1, len(old) + len(new) + 1))  # in order, none lost, none twice
    gantry.wait_log(f"(gui/{gantry.uid}/t.rot) {out} reopened")


def test_reopen_verb_for_postrotate(gantry, tmp_path):
    out = tmp_path / "quiet.log"
    gantry.write_plist("t.quiet", ProgramArguments=["/bin/sh", "-c", "echo started; sleep 1000"],
                       StandardOutPath=str(out), RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.quiet.plist", check=True)
    wait_for(lambda: out.exists() and out.read_text() == "started\n", "the first line")
    out.rename(tmp_path / "quiet.log.1")
    gantry.ctl("reopen", f"{gantry.domain}/t.quiet", check=True)
    assert out.exists() and out.read_text() == ""  # opened again at once, though the job wrote nothing since
    r = gantry.ctl("reopen", f"{gantry.domain}/t.nope")
    assert r.returncode != 0 and 'Could not find service "t.nope"' in r.stderr


@needs_root
def test_a_passed_through_path_is_opened_with_the_jobs_rights(make_gantry, tmp_path):
    """The system launchd opens a nobody job's StandardOutPath as nobody: a root-only directory refuses it,
    with the cause the job's own open would have given, and a file it creates belongs to nobody."""
    g = make_gantry(mode="system", public=True)
    private = g.root / "private"
    private.mkdir(mode=0o700)
    shared = g.root / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    for label, path in [("t.denied", private / "out.log"), ("t.ok", shared / "out.log")]:
        g.write_plist(label, ProgramArguments=["/bin/sh", "-c", "echo hi"], UserName="nobody",
                      StandardOutPath=str(path))
        g.ctl("bootstrap", "system", g.jobs_dir / f"{label}.plist", check=True)
        g.ctl("kickstart", f"system/{label}")
    s = g.wait_state_in("system", "t.denied", lambda s: s.get("spawn_failure"), "the spawn failure")
    assert s["spawn_failure"] == f"StandardOutPath {private / 'out.log'}: Permission denied"
    wait_for(lambda: (shared / "out.log").exists() and (shared / "out.log").read_text() == "hi\n", "nobody's file")
    assert (shared / "out.log").stat().st_uid == 65534


def test_fifos_terminals_and_dev_null_are_the_jobs_to_open_and_never_block_launchd(gantry, tmp_path):
    """launchd waits for a child until it execs: a FIFO nobody reads must fail the spawn, not hang launchd
    (and every user's jobs with it); anything but a regular file is not passed through."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    gantry.write_plist("t.fifo", ProgramArguments=["/bin/echo", "hi"], StandardOutPath=str(fifo))
    gantry.write_plist("t.stdin", ProgramArguments=["/bin/sh", "-c", "read x; echo got $x"],
                       StandardInPath=str(fifo), StandardOutPath=str(tmp_path / "got"))
    gantry.write_plist("t.null", ProgramArguments=["/bin/echo", "hi"], StandardOutPath="/dev/null")
    for label in ("t.fifo", "t.stdin", "t.null"):
        gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / f"{label}.plist", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.fifo")
    s = gantry.wait_state("t.fifo", lambda s: s.get("spawn_failure"), "the spawn failure")
    assert s["spawn_failure"] == f"StandardOutPath {fifo}: a FIFO with no reader (launchd does not wait for one)"
    # a FIFO with no writer as stdin: the job starts at once and reads end-of-file; launchd goes on
    gantry.ctl("kickstart", f"{gantry.domain}/t.stdin", check=True)
    wait_for(lambda: (tmp_path / "got").exists() and (tmp_path / "got").read_text() == "got\n", "the job's line")
    assert gantry.service("t.stdin")["last_exit_status"] == 0
    gantry.ctl("kickstart", f"{gantry.domain}/t.null", check=True)
    s = gantry.wait_state("t.null", lambda s: s.get("last_exit_status") == 0, "exit 0")
    assert s["output_file"] is None and s.get("spawn_failure") is None


def test_a_throttled_crash_loop_says_why_in_blame(gantry):
    gantry.write_plist("t.loop", ProgramArguments=["/bin/sh", "-c", "echo cannot reach the server >&2; exit 1"],
                       KeepAlive=True, ThrottleInterval=60)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.loop.plist", check=True)
    gantry.wait_state("t.loop", lambda s: s["state"] == "spawn scheduled" and s["runs"] >= 1, "throttled")
    blame = gantry.ctl("blame", f"{gantry.domain}/t.loop", check=True).stdout
    assert blame.endswith("; the last run exited 1: cannot reach the server\n"), blame


def test_gantry_output_rotation_caps_the_file(gantry, tmp_path):
    """The Gantry extension key: launchd renames the file to .1, .2 (Keep) before a write would take it past
    MaxBytes; whole lines only, none lost among the files kept, the oldest dropped."""
    out = tmp_path / "capped.log"
    gantry.write_plist("t.cap", ProgramArguments=["/bin/sh", "-c", "i=0; while [ $i -lt 400 ]; do i=$((i+1)); "
                                                                    "echo $i-0123456789012345678901234567890123456789; "
                                                                    "done"],
                       StandardOutPath=str(out), GantryOutputRotation={"MaxBytes": 4096, "Keep": 2})
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.cap.plist", check=True)
    gantry.ctl("kickstart", f"{gantry.domain}/t.cap", check=True)
    gantry.wait_state("t.cap", lambda s: s.get("last_exit_status") == 0, "exit 0")
    files = [tmp_path / "capped.log.2", tmp_path / "capped.log.1", out]
    assert all(0 < f.stat().st_size <= 4096 for f in files)
    assert not (tmp_path / "capped.log.3").exists()
    kept = [int(line.split("-")[0]) for f in files for line in f.read_text().splitlines()]
    assert kept == list(range(kept[0], 401)) and kept[0] > 1  # contiguous to the last line; the oldest rotated away
    assert gantry.service("t.cap")["warnings"] == []


def test_short_of_descriptors_jobs_run_uncaptured_rather_than_fail(make_gantry):
    """A pidfd per loaded job and launchd's reserve come before capture's pipes: with a descriptor limit that
    leaves room for some pipes, the first jobs are captured, the rest run with their output not captured —
    every one runs, print says which, and launchd's log says why once."""
    g = make_gantry(start=False, nofile=400)  # 256 reserved + 100 pidfds: room for about ten jobs' pipes
    for i in range(100):
        g.write_plist(f"t.fd{i}", KeepAlive=True, ProgramArguments=["/bin/sh", "-c", f"echo hello-{i}; exec sleep 600"])
    g.start()
    services = {}
    for i in range(100):
        services[i] = wait_for(lambda: (s := g.service(f"t.fd{i}")) and s["pid"] and s, f"t.fd{i} running")
    captured = [i for i, s in services.items() if not s["output_not_captured"]]
    skipped = [i for i, s in services.items() if s["output_not_captured"]]
    assert 0 < len(captured) < 100 and len(skipped) == 100 - len(captured)
    for i in captured:
        wait_for(lambda: [l["text"] for l in log_lines(g, f"{g.domain}/t.fd{i}")] == [f"hello-{i}"], f"t.fd{i}'s line")
    text = g.ctl("print", f"{g.domain}/t.fd{skipped[0]}", check=True).stdout
    assert "output = not captured in this run (launchd was short of descriptors: see its log)" in text
    assert g.log.count("output not captured, nor that of jobs started while launchd is this short") == 1
    assert "Too many open files" not in g.log


@needs_root
def test_a_reopen_or_rotation_the_job_may_not_do_keeps_writing_to_the_open_file(make_gantry):
    """launchd reopens and rotates a passed-through path with the job's rights. When the job's user may not
    create the new file (its directory became read-only to it), the old file keeps the lines — none lost —
    and launchd's log says why; once allowed, `launchctl reopen` moves on to a new file. A rotation the job
    may not do writes on past MaxBytes, said once."""
    g = make_gantry(mode="system", public=True)
    d = g.root / "logs"
    d.mkdir()
    os.chown(d, 65534, 65534)
    out, capped = d / "out.log", d / "capped.log"
    g.write_plist("t.ro", UserName="nobody", StandardOutPath=str(out), RunAtLoad=True,
                  ProgramArguments=["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo $i; sleep 0.02; done"])
    g.write_plist("t.cap", UserName="nobody", StandardOutPath=str(capped), RunAtLoad=True,
                  GantryOutputRotation={"MaxBytes": 4096, "Keep": 1},
                  ProgramArguments=["/bin/sh", "-c", "i=0; while :; do i=$((i+1)); echo $i-0123456789012345678901; "
                                                     "sleep 0.002; done"])
    for label in ("t.ro", "t.cap"):
        g.ctl("bootstrap", "system", g.jobs_dir / f"{label}.plist", check=True)
    wait_for(lambda: len(numbers(out)) >= 5 and capped.exists(), "lines in both files")
    d.chmod(0o555)  # nobody may no longer create or rename in it (root still may)
    out.rename(d / "out.log.1")
    g.wait_log(f"(system/t.ro) cannot reopen {out}: ")
    assert "writing on to the file it had" in g.log and "Permission denied" in g.log
    before = len(numbers(d / "out.log.1"))
    wait_for(lambda: len(numbers(d / "out.log.1")) >= before + 10, "lines still going to the renamed file")
    assert not out.exists()
    g.wait_log("(system/t.cap) GantryOutputRotation: ")
    wait_for(lambda: capped.stat().st_size > 8192, "the capped file growing past MaxBytes")
    assert g.log.count("GantryOutputRotation: ") == 1  # said once per streak (it once looped, logging)
    assert g.log.count("cannot reopen") == 1  # tried every second, said once
    d.chmod(0o755)
    g.ctl("reopen", "system/t.ro", check=True)
    wait_for(lambda: len(numbers(out)) >= 5, "lines in the new file")
    g.ctl("bootout", "system/t.ro", check=True)
    g.ctl("bootout", "system/t.cap", check=True)
    old, new = numbers(d / "out.log.1"), numbers(out)
    assert old + new == list(range(1, len(old) + len(new) + 1))  # in order, none lost, none twice
    kept = [int(line.split("-")[0]) for f in (d / "capped.log.1", capped) if f.exists() for line in
            f.read_text().splitlines()]
    assert kept == list(range(kept[0], kept[0] + len(kept)))  # none lost while rotation failed
