"""Installing like a Linux library: a build for a private prefix installed under a DESTDIR runs from there with
no library path ($ORIGIN-relative RUNPATH); its pkg-config files build and run programs against it (the run path
included, as for a private prefix); every public function has a man page of its name; launchd's directories
are created with their modes; `ninja uninstall` (make uninstall) removes exactly what was installed. The
private-prefix build is made from the source tree, so this runs once, with the release build's tests."""
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import BUILD, REPO, wait_for
from test_xpc_corpus import CORPUS

PREFIX = "/opt/gantry-test"
ASAN = "-fsanitize=address" in (BUILD / "build.ninja").read_text()
pytestmark = pytest.mark.skipif(ASAN, reason="packaging is tested with the release build")
TARGETS = ["src/libxpc/libxpc.so.0.1.0", "src/libsm/libServiceManagement.so.0.1.0", "src/liblaunch/liblaunch.so.0.1.0",
           "src/launchd/launchd", "src/launchctl/launchctl", "src/pam/pam_launchd.so"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the build directory, DESTDIR, the prefix inside DESTDIR, libdir inside it)."""
    work = tmp_path_factory.mktemp("install")
    build, dest = work / "build", work / "dest"
    subprocess.run(["meson", "setup", str(build), str(REPO), f"--prefix={PREFIX}", "-Dtests=false"], check=True,
                   capture_output=True)
    subprocess.run(["ninja", "-C", str(build), *TARGETS], check=True, capture_output=True)
    r = subprocess.run(["meson", "install", "-C", str(build), "--no-rebuild", "--quiet"], capture_output=True,
                       text=True, env=dict(os.environ, DESTDIR=str(dest)))
    assert r.returncode == 0, r.stdout + r.stderr
    root = dest / PREFIX.lstrip("/")
    libdir = next(p.parent for p in root.rglob("libxpc.so.0"))
    return build, dest, root, libdir


def clean_env():
    return {k: v for k, v in os.environ.items() if not k.startswith("LD_")}


def test_installed_programs_run_from_anywhere(installed, tmp_path):
    build, dest, root, libdir = installed
    for exe in ("bin/launchd", "bin/launchctl"):
        out = subprocess.run(["readelf", "-d", str(root / exe)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"RUNPATH.*\[\$ORIGIN/\.\./lib", out), out
    r = subprocess.run([str(root / "bin/launchctl"), "version"], capture_output=True, text=True, env=clean_env())
    assert r.stdout.startswith("Gantry launchctl 0.1.0"), r.stderr
    env = dict(clean_env(), LAUNCHD_ROOT=str(tmp_path / "root"))
    launchd = subprocess.Popen([str(root / "bin/launchd"), "--user"], env=env, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: (tmp_path / "root/run/launchd/launchd.sock").exists() or launchd.poll() is not None,
                 "the installed launchd's socket")
        r = subprocess.run([str(root / "bin/launchctl"), "print", f"gui/{os.getuid()}"], capture_output=True,
                           text=True, env=env)
        assert r.returncode == 0 and f"gui/{os.getuid()} = {{" in r.stdout, r.stderr
    finally:
        launchd.terminate()
        assert launchd.wait(timeout=20) == 0


def pkg_config(libdir, *args):
    env = dict(clean_env(), PKG_CONFIG_PATH=str(libdir / "pkgconfig"))
    r = subprocess.run(["pkg-config", *args], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr
    return r.stdout.split()


SM_PROGRAM = """#include <ServiceManagement/ServiceManagement.h>
int main(void) { SMAppService *s = SMAppServiceCreateAgent("x.plist"); puts(SMStatusReasonName(SMStatusReasonRecordStale));
                 SMAppServiceRelease(s); return 0; }
"""


def test_pkg_config_builds_programs_that_run_against_a_private_prefix(installed, tmp_path):
    build, dest, root, libdir = installed
    flags = pkg_config(libdir, "--cflags", "--libs", "ServiceManagement")
    paths = {(f[:2] if f[:2] in ("-I", "-L") else "-Wl,-rpath,", os.path.normpath(f.split(",")[-1].lstrip("-IL")))
             for f in flags if f[:2] in ("-I", "-L") or f.startswith("-Wl,-rpath,")}
    # the .pc files are relocatable (prefix=${pcfiledir}/...), so they describe the installation where it lies
    assert {("-I", f"{root}/include"), ("-L", str(libdir))} <= paths
    assert ("-Wl,-rpath,", str(libdir)) in paths  # a private prefix: the run path comes with the flags
    assert "-lServiceManagement" in flags and "-lxpc" in flags
    src = tmp_path / "sm.c"
    src.write_text(SM_PROGRAM)
    subprocess.run(["cc", str(src), "-o", str(tmp_path / "sm"), *flags], check=True)
    r = subprocess.run([str(tmp_path / "sm")], capture_output=True, text=True, env=clean_env())
    assert r.stdout == "record-stale\n", r.stderr
    blocks = pkg_config(libdir, "--cflags", "--libs", "xpc")
    assert "-lBlocksRuntime" in blocks
    subprocess.run(["clang", "-fblocks", str(CORPUS / "activity.c"), "-o", str(tmp_path / "activity"), *blocks],
                   check=True)
    r = subprocess.run([str(tmp_path / "activity")], capture_output=True, text=True, env=clean_env(), timeout=60)
    assert r.returncode == 0 and r.stdout.startswith("once=1 "), r.stdout + r.stderr


def test_every_public_function_has_a_man_page(installed):
    build, dest, root, libdir = installed
    man3 = root / "share/man/man3"
    exported = set()
    for lib in ("libxpc.so.0", "libServiceManagement.so.0", "liblaunch.so.0"):
        out = subprocess.run(["objdump", "-T", str(libdir / lib)], capture_output=True, text=True, check=True).stdout
        exported |= {line.split()[-1] for line in out.splitlines() if " DF " in line and "*UND*" not in line}
    assert len(exported) > 150
    missing = sorted(name for name in exported if not (man3 / f"{name}.3").exists())
    assert not missing, f"no man page for {missing}"
    assert (man3 / "xpc_connection_create_mach_service.3").read_text() == ".so man3/xpc.3\n"
    assert (man3 / "SMAppServiceRegister.3").read_text() == ".so man3/SMAppService.3\n"
    page = subprocess.run(["man", "-l", str(man3 / "xpc.3")], capture_output=True, text=True,
                          env=dict(clean_env(), MANWIDTH="100"))
    if page.returncode == 0:  # man-db may be absent on a minimal machine; groff checks the page elsewhere
        assert "WHERE HANDLERS RUN" in page.stdout
    assert (root / "share/doc/gantry/service-management.md").exists()


def test_launchds_directories_come_with_their_modes(installed):
    build, dest, root, libdir = installed
    for d in ("etc/launchd/LaunchDaemons", "etc/launchd/LaunchAgents", "var/lib/launchd"):
        st = os.stat(dest / d)
        assert oct(st.st_mode & 0o7777) == "0o755", d


def test_systemd_units_run_the_installed_launchd(installed):
    build, dest, root, libdir = installed
    for mode in ("system", "user"):
        unit = (root / "lib/systemd" / mode / "launchd.service").read_text()
        assert f"ExecStart={PREFIX}/bin/launchd --{mode}\n" in unit, unit


def test_uninstall_removes_exactly_what_install_put_there(installed):
    build, dest, root, libdir = installed
    kept = dest / "etc/launchd/LaunchDaemons/local.admin.plist"
    kept.write_text("<plist/>")  # an administrator's job file: not the install's to remove
    r = subprocess.run(["ninja", "-C", str(build), "uninstall"], capture_output=True, text=True,
                       env=dict(os.environ, DESTDIR=str(dest)))
    assert r.returncode == 0, r.stdout + r.stderr
    left = sorted(str(p.relative_to(dest)) for p in dest.rglob("*"))
    assert left == ["etc", "etc/launchd", "etc/launchd/LaunchDaemons", "etc/launchd/LaunchDaemons/local.admin.plist"]
