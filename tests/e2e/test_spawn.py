"""The execution context launchd gives a job, and spawn failures reported with
their exact cause (state "spawn failed", last exit status 78)."""
import os
import stat

from conftest import wait_for


def run_and_capture(g, label, command, **keys):
    """Runs `sh -c command` as a RunAtLoad job; returns its stdout once it exited."""
    out = g.root / f"{label}.out"
    g.write_plist(label, ProgramArguments=["/bin/sh", "-c", command], RunAtLoad=True,
                  StandardOutPath=str(out), **keys)
    g.ctl("bootstrap", g.domain, g.jobs_dir / f"{label}.plist", check=True)
    s = g.wait_state(label, lambda s: s["last_exit_status"] is not None, "exited")
    assert s["last_exit_status"] == 0, f"{label}: {s}"
    return out.read_text()


def test_default_environment_and_variables(gantry):
    out = run_and_capture(gantry, "t.env", "env", EnvironmentVariables={"GREETING": "hi", "PATH": "/usr/bin:/bin"})
    env = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    assert env["XPC_SERVICE_NAME"] == "t.env"
    assert env["GREETING"] == "hi"
    assert env["PATH"] == "/usr/bin:/bin"  # the plist overrides launchd's default
    for key in ("HOME", "USER", "LOGNAME", "SHELL", "TMPDIR"):
        assert key in env


def test_default_path_and_program_lookup(gantry):
    out = run_and_capture(gantry, "t.path", 'echo "$PATH"')
    assert out.strip() == "/usr/bin:/bin:/usr/sbin:/sbin"
    gantry.write_plist("t.lookup", ProgramArguments=["true"], RunAtLoad=True)  # found through PATH
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.lookup.plist", check=True)
    s = gantry.wait_state("t.lookup", lambda s: s["last_exit_status"] is not None, "exited")
    assert s["last_exit_status"] == 0 and s["spawn_failure"] is None


def test_working_directory_umask_nice_limits(gantry, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    out = run_and_capture(gantry, "t.ctx", "pwd; umask; ulimit -n; ulimit -Hn; ps -o ni= -p $$; touch made",
                          WorkingDirectory=str(work), Umask="027", Nice=7,
                          SoftResourceLimits={"NumberOfFiles": 321}, HardResourceLimits={"NumberOfFiles": 654})
    pwd, umask, soft, hard, nice = out.split()
    assert (pwd, umask, soft, hard, nice) == (str(work), "0027", "321", "654", "7")
    assert stat.S_IMODE((work / "made").stat().st_mode) == 0o640


def test_umask_as_decimal_integer(gantry):
    assert run_and_capture(gantry, "t.umask", "umask", Umask=18).strip() == "0022"


def test_background_process_type_and_low_priority_io(gantry):
    out = run_and_capture(gantry, "t.bg", "ps -o ni= -p $$; ionice -p $$", ProcessType="Background")
    nice, io = out.strip().split("\n")
    assert nice.strip() == "10" and io.startswith("idle")
    assert run_and_capture(gantry, "t.lio", "ionice -p $$", LowPriorityIO=True).startswith("idle")


def test_stdio_paths_created(gantry, tmp_path):
    inp = tmp_path / "in"
    inp.write_text("from stdin\n")
    err = tmp_path / "logs/err.log"
    err.parent.mkdir()
    out = run_and_capture(gantry, "t.io", "cat; echo oops >&2", StandardInPath=str(inp), StandardErrorPath=str(err))
    assert out == "from stdin\n" and err.read_text() == "oops\n"


def test_globbing(gantry, tmp_path):
    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text("")
    gantry.write_plist("t.glob", ProgramArguments=["/bin/sh", "-c", 'echo "$@"', "sh", f"{tmp_path}/*.txt"],
                       EnableGlobbing=True, RunAtLoad=True, StandardOutPath=str(tmp_path / "out"))
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.glob.plist", check=True)
    gantry.wait_state("t.glob", lambda s: s["last_exit_status"] == 0, "exited")
    assert sorted((tmp_path / "out").read_text().split()) == [f"{tmp_path}/a.txt", f"{tmp_path}/b.txt"]


def spawn_failure(g, label, **keys):
    g.write_plist(label, RunAtLoad=True, **keys)
    g.ctl("bootstrap", g.domain, g.jobs_dir / f"{label}.plist", check=True)
    s = g.wait_state(label, lambda s: s["state"] == "spawn failed", "spawn failed")
    assert s["last_exit_status"] == 78 and s["last_exit_description"] == "78: EX_CONFIG"
    return s


def test_missing_program_is_spawn_failure(gantry):
    s = spawn_failure(gantry, "t.nope", Program="/usr/bin/nope")
    assert s["spawn_failure"] == "Program /usr/bin/nope: No such file or directory"
    text = gantry.ctl("print", f"{gantry.domain}/t.nope").stdout
    assert "spawn failure = Program /usr/bin/nope: No such file or directory" in text
    assert "last exit code = 78: EX_CONFIG" in text
    gantry.wait_log("Service could not spawn: Program /usr/bin/nope: No such file or directory")


def test_program_not_in_path(gantry):
    s = spawn_failure(gantry, "t.nopath", ProgramArguments=["no-such-tool-xyz"])
    assert s["spawn_failure"] == "ProgramArguments[0] no-such-tool-xyz: not found in PATH=/usr/bin:/bin:/usr/sbin:/sbin"


def test_unwritable_stdout_path(gantry):
    s = spawn_failure(gantry, "t.out", Program="/bin/true", StandardOutPath="/nonexistent-dir/x.log")
    assert s["spawn_failure"] == "StandardOutPath /nonexistent-dir/x.log: No such file or directory"


def test_bad_working_directory_and_script_without_shebang(gantry):
    s = spawn_failure(gantry, "t.wd", Program="/bin/true", WorkingDirectory="/nonexistent-wd")
    assert s["spawn_failure"] == "WorkingDirectory /nonexistent-wd: No such file or directory"
    script = gantry.root / "bin/noshebang"
    script.parent.mkdir(exist_ok=True)
    script.write_text("echo hi\n")
    script.chmod(0o755)
    s = spawn_failure(gantry, "t.sh", Program=str(script))
    assert "Exec format error (a script needs a #! line)" in s["spawn_failure"]


def test_keepalive_spawn_failure_is_throttled_not_hot(gantry):
    gantry.write_plist("t.loop", Program="/usr/bin/nope", KeepAlive=True, ThrottleInterval=60)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.loop.plist", check=True)
    s = gantry.wait_state("t.loop", lambda s: s["next_start"] is not None, "a throttled retry")
    assert s["state"] == "spawn failed" and s["runs"] == 1 and s["next_start"] > 50


def test_exit_78_by_itself_is_ordinary(gantry):
    gantry.write_plist("t.78", ProgramArguments=["/bin/sh", "-c", "exit 78"], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.78.plist", check=True)
    s = gantry.wait_state("t.78", lambda s: s["last_exit_status"] == 78, "exited 78")
    assert s["state"] == "not running" and s["spawn_failure"] is None


def test_binary_plist_job(gantry, tmp_path):
    marker = tmp_path / "bin-ran"
    path = gantry.write_plist("t.binary", binary=True, ProgramArguments=["/usr/bin/touch", str(marker)],
                              RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    wait_for(marker.exists, "the binary-plist job to run")


def test_job_gets_default_signal_state(gantry):
    out = run_and_capture(gantry, "t.sig", "grep -E '^Sig(Ign|Blk)' /proc/self/status")
    assert out.split() == ["SigBlk:", "0000000000000000", "SigIgn:", "0000000000000000"]


def test_a_descriptor_limit_too_low_for_the_jobs_is_said(make_gantry):
    """Each running job holds a descriptor: loading more jobs than launchd's limit leaves room for says so,
    naming the limit and what to raise, instead of failing spawns silently later."""
    g = make_gantry(start=False, nofile=300)
    for i in range(50):
        g.write_plist(f"t.fd{i}", ProgramArguments=["/bin/true"])
    g.start()
    g.wait_log("jobs are loaded and each running one holds a descriptor, but launchd may open only 300")
    assert "LimitNOFILE=" in g.log
    assert g.log.count("holds a descriptor") == 1  # said once, not per job
