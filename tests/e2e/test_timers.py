"""Timer triggers with real processes: StartInterval, and StartCalendarInterval driven by the
daemon's test clock (launchd --test-clock; the machine's clock is never touched)."""
import time

from conftest import wait_for


def counting_job(g, label, **keys):
    """A job that appends a line to a file each time it runs."""
    out = g.root / f"{label}.runs"
    script = g.script(f"{label}.sh", f"echo run >> {out}")
    path = g.write_plist(label, ProgramArguments=[script], ThrottleInterval=1, **keys)
    g.ctl("bootstrap", g.domain, path, check=True)
    return out


def timers(g, label):
    return g.service(label)["timers"]


def test_start_interval_starts_the_job_repeatedly(gantry):
    out = counting_job(gantry, "t.interval", StartInterval=1)
    assert gantry.service("t.interval")["runs"] == 0  # not at load: no RunAtLoad
    wait_for(lambda: out.exists() and len(out.read_text().splitlines()) >= 2, "two interval runs")
    t = timers(gantry, "t.interval")
    assert t["start_interval"] == 1 and t["last_fire_reason"] == "interval"
    assert gantry.service("t.interval")["immediate_reason"] == "interval"
    assert "start interval = 1 s" in gantry.ctl("print", f"{gantry.domain}/t.interval").stdout


def test_interval_fire_while_running_is_skipped_and_counted(gantry):
    script = gantry.script("slow.sh", "sleep 3")
    path = gantry.write_plist("t.slow", ProgramArguments=[script], StartInterval=1, ThrottleInterval=1)
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    wait_for(lambda: timers(gantry, "t.slow")["skipped_while_running"] >= 1, "a fire skipped while running")
    assert gantry.service("t.slow")["runs"] >= 1


def clock_gantry(make_gantry):
    return make_gantry(args=["--test-clock"])


def test_calendar_fires_at_its_due_time(make_gantry):
    g = clock_gantry(make_gantry)
    out = counting_job(g, "t.daily", StartCalendarInterval={"Hour": 3, "Minute": 0})
    due = timers(g, "t.daily")["next_fire_epoch"]
    assert time.localtime(due).tm_hour == 3 and time.localtime(due).tm_min == 0
    assert g.service("t.daily")["runs"] == 0
    g.ctl("test-clock", due - int(time.time()) - 1, check=True)  # one second before it is due
    wait_for(lambda: out.exists(), "the calendar run")
    t = timers(g, "t.daily")
    assert t["last_fire_reason"] == "calendar"
    assert t["next_fire_epoch"] - due in (86400, 86400 - 3600, 86400 + 3600)  # a day (DST may move it an hour)
    assert g.service("t.daily")["immediate_reason"] == "calendar"


def test_clock_set_forward_coalesces_missed_runs_into_one(make_gantry):
    g = clock_gantry(make_gantry)
    out = counting_job(g, "t.hourly", StartCalendarInterval={"Minute": 0})
    g.ctl("test-clock", 5 * 3600, check=True)  # five occurrences missed at once
    wait_for(lambda: out.exists(), "the catch-up run")
    t = timers(g, "t.hourly")
    assert t["last_fire_reason"].startswith("calendar catch-up")
    assert t["next_fire_epoch"] > time.time() + 5 * 3600  # nothing else is due: no second catch-up
    g.wait_state("t.hourly", lambda s: s["state"] == "not running", "the run to finish")
    assert out.read_text().splitlines() == ["run"] and g.service("t.hourly")["runs"] == 1


def test_clock_set_back_never_fires_a_run_twice(make_gantry):
    g = clock_gantry(make_gantry)
    out = counting_job(g, "t.hourly", StartCalendarInterval={"Minute": 0})
    due = timers(g, "t.hourly")["next_fire_epoch"]
    g.ctl("test-clock", due - int(time.time()) - 1, check=True)
    wait_for(lambda: out.exists(), "the run at the hour")
    g.ctl("test-clock", due - int(time.time()) - 1800, check=True)  # back by half an hour
    # The hour that already ran is not due again: the next fire is the hour after it.
    assert timers(g, "t.hourly")["next_fire_epoch"] == due + 3600
