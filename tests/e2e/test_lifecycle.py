"""Lifecycle keys with real processes: RunAtLoad, KeepAlive and its conditions,
ThrottleInterval, ExitTimeOut, AbandonProcessGroup, LaunchOnlyOnce, kickstart."""
import os
import signal

from conftest import pid_alive, wait_for


def test_run_at_load_runs_once(gantry, tmp_path):
    marker = tmp_path / "ran"
    gantry.write_plist("t.once", ProgramArguments=["/bin/sh", "-c", f"echo run >> {marker}"], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.once.plist", check=True)
    s = gantry.wait_state("t.once", lambda s: s["last_exit_status"] == 0, "exited 0")
    assert s["state"] == "not running" and s["runs"] == 1 and s["pid"] is None
    assert marker.read_text() == "run\n"


def test_without_run_at_load_nothing_starts(gantry, tmp_path):
    gantry.write_plist("t.idle", ProgramArguments=["/bin/sleep", "100"])
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.idle.plist", check=True)
    s = gantry.service("t.idle")
    assert s["state"] == "not running" and s["runs"] == 0 and s["last_exit_status"] is None


def test_keepalive_respawns_with_throttle_log(gantry):
    gantry.write_plist("t.ka", ProgramArguments=["/bin/sleep", "1000"], KeepAlive=True, ThrottleInterval=1)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.ka.plist", check=True)
    first = gantry.wait_running("t.ka")["pid"]
    os.kill(first, signal.SIGKILL)
    s = gantry.wait_running("t.ka", not_pid=first)
    assert s["runs"] == 2 and s["last_exit_status"] == -9
    assert s["last_exit_description"] == "-9: Killed"
    gantry.wait_log("(gui/%d/t.ka) Service only ran for 0 seconds. Pushing respawn out by 1 seconds." % gantry.uid)


def test_throttled_start_is_visible(gantry):
    gantry.write_plist("t.fast", ProgramArguments=["/bin/false"], KeepAlive=True, ThrottleInterval=30)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.fast.plist", check=True)
    s = gantry.wait_state("t.fast", lambda s: s["state"] == "spawn scheduled", "throttled")
    assert 25 < s["next_start"] <= 30 and s["last_exit_status"] == 1 and s["runs"] == 1
    text = gantry.ctl("print", f"{gantry.domain}/t.fast").stdout
    assert "state = spawn scheduled" in text and "next start = in" in text
    assert "last exit code = 1" in text


def test_successful_exit_false_restarts_until_success(gantry, tmp_path):
    count = tmp_path / "count"
    script = gantry.script("flaky", f'n=$(cat {count} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {count}; '
                                    '[ $n -ge 2 ] && exit 0; exit 1')
    gantry.write_plist("t.se", ProgramArguments=[script], KeepAlive={"SuccessfulExit": False}, ThrottleInterval=1)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.se.plist", check=True)
    s = gantry.wait_state("t.se", lambda s: s["runs"] == 2 and s["state"] == "not running", "second run done")
    assert s["last_exit_status"] == 0 and count.read_text() == "2\n"


def test_crashed_true_restarts_after_crash(gantry, tmp_path):
    count = tmp_path / "count"
    script = gantry.script("crasher", f'n=$(cat {count} 2>/dev/null || echo 0); n=$((n+1)); echo $n > {count}; '
                                      '[ $n -ge 2 ] && exit 0; kill -SEGV $$')
    gantry.write_plist("t.crash", ProgramArguments=[script], KeepAlive={"Crashed": True}, ThrottleInterval=1)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.crash.plist", check=True)
    s = gantry.wait_state("t.crash", lambda s: s["runs"] == 2 and s["state"] == "not running", "restart after crash")
    assert s["last_exit_status"] == 0


def test_other_job_enabled(gantry):
    gantry.write_plist("t.follower", ProgramArguments=["/bin/sleep", "1000"],
                       KeepAlive={"OtherJobEnabled": {"t.leader": True}})
    gantry.write_plist("t.leader", ProgramArguments=["/bin/sleep", "1000"])
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.follower.plist", check=True)
    assert gantry.service("t.follower")["state"] == "not running"
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.leader.plist", check=True)
    gantry.wait_running("t.follower")


def test_after_initial_demand(gantry):
    gantry.write_plist("t.aid", ProgramArguments=["/bin/sleep", "1000"], ThrottleInterval=1,
                       KeepAlive={"AfterInitialDemand": True, "SuccessfulExit": False})
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.aid.plist", check=True)
    assert gantry.service("t.aid")["runs"] == 0
    r = gantry.ctl("kickstart", "-p", f"{gantry.domain}/t.aid", check=True)
    pid = int(r.stdout.strip())
    os.kill(pid, signal.SIGKILL)
    gantry.wait_running("t.aid", not_pid=pid)


def test_exit_timeout_and_synchronous_bootout(gantry):
    script = gantry.script("stubborn", "trap '' TERM; while :; do sleep 1; done")
    gantry.write_plist("t.stub", ProgramArguments=[script], RunAtLoad=True, ExitTimeOut=1)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.stub.plist", check=True)
    pid = gantry.wait_running("t.stub")["pid"]
    gantry.ctl("bootout", f"{gantry.domain}/t.stub", check=True)
    assert not pid_alive(pid), "bootout returned before the process was gone"
    assert "Exit timeout elapsed (1 seconds). Killing" in gantry.log
    assert gantry.service("t.stub") is None


def _child_pid(tmp_path):
    f = tmp_path / "child"
    wait_for(lambda: f.exists() and f.read_text().strip(), "the background child's pid")
    return int(f.read_text())


def test_process_group_killed_after_exit(gantry, tmp_path):
    script = gantry.script("parent", f"sleep 1000 & echo $! > {tmp_path}/child; exit 0")
    gantry.write_plist("t.pg", ProgramArguments=[script], RunAtLoad=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.pg.plist", check=True)
    child = _child_pid(tmp_path)
    wait_for(lambda: not pid_alive(child), "the job's leftover child to be killed")


def test_abandon_process_group_keeps_children(gantry, tmp_path):
    script = gantry.script("parent", f"sleep 1000 & echo $! > {tmp_path}/child; exit 0")
    gantry.write_plist("t.ab", ProgramArguments=[script], RunAtLoad=True, AbandonProcessGroup=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.ab.plist", check=True)
    child = _child_pid(tmp_path)
    gantry.wait_state("t.ab", lambda s: s["last_exit_status"] == 0, "parent exited")
    assert pid_alive(child)
    os.kill(child, signal.SIGKILL)


def test_launch_only_once(gantry):
    gantry.write_plist("t.lo", ProgramArguments=["/bin/true"], RunAtLoad=True, LaunchOnlyOnce=True)
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.lo.plist", check=True)
    wait_for(lambda: gantry.service("t.lo") is None, "the job to be unloaded after its one run")
    gantry.wait_log("(gui/%d/t.lo) Exited. Was only configured to run once." % gantry.uid)


def test_kickstart_and_kill(gantry):
    gantry.write_plist("t.k", ProgramArguments=["/bin/sleep", "1000"])
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.k.plist", check=True)
    pid = int(gantry.ctl("kickstart", "-p", f"{gantry.domain}/t.k", check=True).stdout)
    assert gantry.service("t.k")["pid"] == pid and gantry.service("t.k")["immediate_reason"] == "kickstart"
    new = int(gantry.ctl("kickstart", "-k", "-p", f"{gantry.domain}/t.k", check=True).stdout)
    assert new != pid and not pid_alive(pid)
    assert gantry.ctl("blame", f"{gantry.domain}/t.k").stdout.strip() == "kickstart"
    gantry.ctl("kill", "TERM", f"{gantry.domain}/t.k", check=True)
    s = gantry.wait_state("t.k", lambda s: s["state"] == "not running", "stopped by kill TERM")
    assert s["last_exit_status"] == -15
    r = gantry.ctl("kill", "TERM", f"{gantry.domain}/t.k")
    assert r.returncode == 3 and "is not running" in r.stderr


def test_sigterm_stops_every_job_and_exits_zero(make_gantry):
    g = make_gantry(start=False)
    script = g.script("stubborn", "trap '' TERM; while :; do sleep 1; done")
    g.write_plist("t.a", ProgramArguments=["/bin/sleep", "1000"], KeepAlive=True)
    g.write_plist("t.b", ProgramArguments=[script], KeepAlive=True, ExitTimeOut=1)
    g.start()
    pids = [g.wait_running("t.a")["pid"], g.wait_running("t.b")["pid"]]
    assert g.stop() == 0
    assert not any(pid_alive(p) for p in pids)


def test_path_state_starts_job_when_path_appears(gantry, tmp_path):
    flag = tmp_path / "not-yet" / "flag"  # neither the file nor its directory exists yet
    gantry.write_plist("t.ps", ProgramArguments=["/bin/sleep", "1000"], KeepAlive={"PathState": {str(flag): True}})
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.ps.plist", check=True)
    assert gantry.service("t.ps")["runs"] == 0
    flag.parent.mkdir()
    flag.write_text("")
    s = gantry.wait_running("t.ps")
    assert s["immediate_reason"] == "keepalive condition"


def test_path_state_false_keeps_alive_while_absent(gantry, tmp_path):
    stop = tmp_path / "stop"
    gantry.write_plist("t.psf", ProgramArguments=["/bin/sleep", "1000"], ThrottleInterval=1,
                       KeepAlive={"PathState": {str(stop): False}})
    gantry.ctl("bootstrap", gantry.domain, gantry.jobs_dir / "t.psf.plist", check=True)
    pid = gantry.wait_running("t.psf")["pid"]  # the path is absent: the condition holds at load
    stop.write_text("")
    os.kill(pid, signal.SIGKILL)
    s = gantry.wait_state("t.psf", lambda s: s["state"] == "not running", "not restarted once the path exists")
    assert s["runs"] == 1
