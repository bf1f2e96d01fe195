"""KeepAlive NetworkState: true while some interface other than loopback is up with an address, watched
through rtnetlink. launchd runs in a network namespace of its own (unshare -n) so the test changes a
network nobody else uses: only loopback, down, at first; then a veth pair with an address."""
import os
import shutil
import signal
import subprocess

import pytest

from conftest import needs_root, pid_alive, wait_for


def netns_ip(pid, *args):
    subprocess.run(["nsenter", "-t", str(pid), "-n", "ip", *args], check=True, capture_output=True)


@needs_root
@pytest.mark.skipif(not shutil.which("ip") or not shutil.which("unshare"), reason="needs iproute2 and unshare")
def test_network_state_follows_the_network(make_gantry):
    g = make_gantry(start=False, wrap=["unshare", "-n"])
    g.write_plist("t.online", ProgramArguments=["/bin/sleep", "1000"], KeepAlive={"NetworkState": True})
    g.write_plist("t.offline", ProgramArguments=["/bin/sleep", "1000"], KeepAlive={"NetworkState": False})
    g.start()
    g.wait_running("t.offline")  # nothing but loopback: the network is down
    assert g.service("t.online")["pid"] is None
    assert g.service("t.online")["keepalive"] == {"NetworkState": True}
    netns_ip(g.proc.pid, "link", "add", "v0", "type", "veth", "peer", "name", "v1")
    netns_ip(g.proc.pid, "addr", "add", "10.9.9.9/24", "dev", "v0")
    netns_ip(g.proc.pid, "link", "set", "v1", "up")
    netns_ip(g.proc.pid, "link", "set", "v0", "up")
    pid = g.wait_running("t.online")["pid"]  # started by the netlink event, not by polling
    assert "network is up" in g.log
    netns_ip(g.proc.pid, "link", "set", "v0", "down")
    netns_ip(g.proc.pid, "link", "set", "v1", "down")
    g.wait_log("network is down")
    os.kill(pid, signal.SIGKILL)  # it dies while the network is down: KeepAlive does not bring it back
    wait_for(lambda: not pid_alive(pid), "the killed instance to be gone")
    s = g.wait_state("t.online", lambda s: s["pid"] is None and s["last_exit_status"] == -9, "exited")
    assert s["state"] == "not running", s["state"]  # not "spawn scheduled": no restart is coming
