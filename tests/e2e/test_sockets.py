"""Socket activation with real sockets and processes: TCP over IPv4 and IPv6, UDP, a Unix socket,
launch_activate_socket(), inetd compatibility served by /bin/cat, and a real Debian daemon
(dbus-daemon, which takes LISTEN_FDS through sd_listen_fds()) started by its first client."""
import os
import signal
import socket
import stat
import subprocess

from conftest import BUILD, pid_alive, wait_for

ECHO = BUILD / "tests/helpers/socket-echo"


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ask(family, address, data=b"hi", kind=socket.SOCK_STREAM):
    with socket.socket(family, kind) as s:
        s.settimeout(20)
        if kind == socket.SOCK_DGRAM:
            s.sendto(data, address)
            return s.recvfrom(2048)[0].decode()
        s.connect(address)
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := s.recv(2048):
            chunks.append(chunk)
        return b"".join(chunks).decode()


def load(g, label, sockets, *args, **keys):
    path = g.write_plist(label, ProgramArguments=[str(ECHO), *args], Sockets=sockets,
                         StandardErrorPath=str(g.root / f"{label}.err"), **keys)
    g.ctl("bootstrap", g.domain, path, check=True)


def test_tcp_over_ipv4_and_ipv6_started_by_the_first_connection(gantry):
    port = free_port()
    load(gantry, "t.tcp", {"Listeners": {"SockServiceName": str(port)}})
    s = gantry.service("t.tcp")
    assert s["runs"] == 0 and {x["state"] for x in s["sockets"]} == {"watching"}
    assert sorted(x["address"] for x in s["sockets"]) == sorted([f"0.0.0.0:{port} tcp", f"[::]:{port} tcp"])
    reply = ask(socket.AF_INET, ("127.0.0.1", port))
    s = gantry.service("t.tcp")
    assert reply == f"pid {s['pid']}: hi" and s["immediate_reason"] == "socket"
    assert ask(socket.AF_INET6, ("::1", port)) == f"pid {s['pid']}: hi"  # the same instance holds both
    assert "LISTEN_FDNAMES=Listeners:Listeners" in (gantry.root / "t.tcp.err").read_text()
    assert {x["state"] for x in gantry.service("t.tcp")["sockets"]} == {"held; the job reads it"}


def test_sockets_survive_restarts_without_refusing_connections(gantry):
    port = free_port()
    load(gantry, "t.tcp", {"Listeners": {"SockServiceName": port, "SockFamily": "IPv4"}}, ThrottleInterval=1)
    first = int(ask(socket.AF_INET, ("127.0.0.1", port)).split()[1].rstrip(":"))
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: not pid_alive(first), "the instance to die")
    # launchd still holds the socket: this connection waits for the next instance instead of being refused
    reply = ask(socket.AF_INET, ("127.0.0.1", port))
    assert reply.startswith("pid ") and int(reply.split()[1].rstrip(":")) != first


def test_udp(gantry):
    port = free_port(socket.SOCK_DGRAM)
    load(gantry, "t.udp", {"Datagrams": {"SockServiceName": port, "SockType": "dgram", "SockFamily": "IPv4",
                                         "SockNodeName": "127.0.0.1"}})
    reply = ask(socket.AF_INET, ("127.0.0.1", port), b"ping", socket.SOCK_DGRAM)
    assert reply == f"pid {gantry.service('t.udp')['pid']}: ping"
    assert gantry.service("t.udp")["sockets"][0]["address"] == f"127.0.0.1:{port} udp"


def test_unix_socket_with_mode_removed_at_unload(gantry):
    path = gantry.root / "echo.sock"
    load(gantry, "t.unix", {"Local": {"SockPathName": str(path), "SockPathMode": 0o600}})
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and gantry.service("t.unix")["runs"] == 0
    assert ask(socket.AF_UNIX, str(path)).startswith("pid ")
    gantry.ctl("bootout", f"{gantry.domain}/t.unix", check=True)
    assert not path.exists()


def test_launch_activate_socket(gantry):
    port = free_port()
    load(gantry, "t.activate", {"Listeners": {"SockServiceName": port, "SockFamily": "IPv4"}},
         "--activate", "Listeners")
    assert ask(socket.AF_INET, ("127.0.0.1", port)).startswith("pid ")
    err = (gantry.root / "t.activate.err").read_text()
    assert "second activation: Operation already in progress" in err  # EALREADY, as launchd says


def test_inetd_nowait_runs_cat_per_connection(gantry):
    port = free_port()
    path = gantry.write_plist("t.inetd", ProgramArguments=["/bin/cat"], inetdCompatibility={"Wait": False},
                              Sockets={"Listeners": {"SockServiceName": port, "SockFamily": "IPv4"}})
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    # Two connections at once: two instances of cat, each echoing its own connection.
    a = socket.create_connection(("127.0.0.1", port), timeout=20)
    b = socket.create_connection(("127.0.0.1", port), timeout=20)
    for s, text in ((a, b"first\n"), (b, b"second\n")):
        s.sendall(text)
        s.shutdown(socket.SHUT_WR)
    assert a.makefile("rb").read() == b"first\n" and b.makefile("rb").read() == b"second\n"
    a.close()
    b.close()
    s = gantry.service("t.inetd")
    assert s["inetd_accepted"] == 2 and s["inetd_wait"] is False
    wait_for(lambda: gantry.service("t.inetd")["inetd_instances"] == 0, "both instances to be reaped")


def test_dbus_daemon_socket_activated_by_its_first_client(gantry):
    path = gantry.root / "bus.sock"
    job = gantry.write_plist("t.dbus", ProgramArguments=["/usr/bin/dbus-daemon", "--session", "--nofork",
                                                         "--nopidfile", "--address=systemd:"],
                             Sockets={"Bus": {"SockPathName": str(path)}},
                             StandardErrorPath=str(gantry.root / "dbus.err"))
    gantry.ctl("bootstrap", gantry.domain, job, check=True)
    assert gantry.service("t.dbus")["runs"] == 0
    r = subprocess.run(["dbus-send", f"--bus=unix:path={path}", "--print-reply", "--dest=org.freedesktop.DBus",
                        "/org/freedesktop/DBus", "org.freedesktop.DBus.ListNames"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr + (gantry.root / "dbus.err").read_text()
    assert '"org.freedesktop.DBus"' in r.stdout
    assert gantry.service("t.dbus")["immediate_reason"] == "socket"


def test_bad_socket_specs_are_refused_with_the_key(gantry):
    path = gantry.write_plist("t.bad", ProgramArguments=[str(ECHO)], Sockets={"L": {"SockType": "raw"}})
    r = gantry.ctl("bootstrap", gantry.domain, path)
    assert r.returncode == 109 and "Sockets.L.SockType: expected stream, dgram or seqpacket" in r.stderr
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("0.0.0.0", port))
        taken.listen()
        path = gantry.write_plist("t.busy", ProgramArguments=[str(ECHO)],
                                  Sockets={"L": {"SockServiceName": port, "SockFamily": "IPv4"}})
        r = gantry.ctl("bootstrap", gantry.domain, path)
        assert r.returncode != 0 and f"Sockets.L: bind 0.0.0.0:{port}: Address already in use" in r.stderr


def test_secure_socket_with_key(gantry):
    load(gantry, "t.secure", {"Private": {"SecureSocketWithKey": "ECHO_SOCKET"}})
    path = gantry.service("t.secure")["sockets"][0]["address"]
    directory = os.path.dirname(path)
    assert directory.startswith("/tmp/launch-") and stat.S_IMODE(os.stat(directory).st_mode) == 0o700
    assert ask(socket.AF_UNIX, path).startswith("pid ")
    gantry.ctl("bootout", f"{gantry.domain}/t.secure", check=True)
    assert not os.path.exists(directory)  # the private directory goes with the job


def test_receive_packet_info(gantry, tmp_path):
    """ReceivePacketInfo: the job's datagram socket reports each datagram's destination (IP_PKTINFO)."""
    port = free_port(socket.SOCK_DGRAM)
    out = tmp_path / "pktinfo"
    script = ("import socket; s = socket.socket(fileno=3); "
              f"open('{out}', 'w').write(str(s.getsockopt(socket.IPPROTO_IP, 8)))")  # 8: IP_PKTINFO
    path = gantry.write_plist("t.pktinfo", ProgramArguments=["/usr/bin/python3", "-c", script],
                              Sockets={"D": {"SockServiceName": port, "SockType": "dgram", "SockFamily": "IPv4",
                                             "SockNodeName": "127.0.0.1", "ReceivePacketInfo": True}})
    gantry.ctl("bootstrap", gantry.domain, path, check=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as c:
        c.sendto(b"x", ("127.0.0.1", port))
    wait_for(lambda: out.exists() and out.read_text() == "1", "the job to see IP_PKTINFO on")
