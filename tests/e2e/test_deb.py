"""The Debian packages: `make deb` builds them (lintian: no errors), they install into a throwaway root — an
overlay of this machine's / in a private mount namespace, chrooted into, so the machine's own / never changes —,
launchd runs from the installed files there and runs a job, a program builds against the -dev packages, and
`dpkg --purge` leaves nothing behind but what policy keeps (dpkg's own records and logs)."""
import os
import re
import subprocess

import pytest

from conftest import BUILD, REPO, needs_root

ASAN = "-fsanitize=address" in (BUILD / "build.ninja").read_text()
pytestmark = [needs_root, pytest.mark.skipif(ASAN, reason="packaging is tested with the release build")]
PACKAGES = ["gantry", "libxpc0", "libservicemanagement0", "liblaunch0", "libxpc-dev", "libservicemanagement-dev",
            "liblaunch-dev"]

# Runs inside the throwaway root as root: install, use, purge. Every step must succeed (set -e).
INSIDE = r"""
set -eu
dpkg -i {debs} >/tmp/dpkg-install.log
echo "installed: $(dpkg-query -W -f='${{Package}} ' {packages})"
if readelf -d /usr/bin/launchd | grep -q RUNPATH; then echo "launchd has a RUNPATH"; exit 1; fi
test -f /lib/systemd/system/launchd.service && test -f /usr/lib/systemd/user/launchd.service
test "$(stat -c %a /etc/launchd/LaunchDaemons)" = 755 && test "$(stat -c %a /var/lib/launchd)" = 755
cat > /etc/launchd/LaunchDaemons/t.hello.plist <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
<key>Label</key><string>t.hello</string>
<key>ProgramArguments</key><array><string>/bin/sh</string><string>-c</string>
<string>echo "hello from $XPC_SERVICE_NAME" > /tmp/hello.out</string></array>
<key>RunAtLoad</key><true/>
</dict></plist>
EOF
/usr/bin/launchd --system 2>/tmp/launchd.err &
launchd=$!
for i in $(seq 400); do [ -s /tmp/hello.out ] && break; sleep 0.05; done
cat /tmp/hello.out
launchctl print system/t.hello | grep -E "^\s+(state|last exit code) ="
mkdir /tmp/pam-before && cp /etc/pam.d/common-* /tmp/pam-before/
pam-auth-update --enable launchd
grep -q "pam_launchd.so" /etc/pam.d/common-session && echo "pam profile enabled"
printf 'auth required pam_permit.so\naccount required pam_permit.so\n@include common-session\n' > /etc/pam.d/gantry-test
XDG_SESSION_TYPE=x11 pamtester gantry-test nobody open_session close_session >/tmp/pamtester.log 2>&1
grep -o "Aqua session [0-9]* of uid 65534 opened (x11 via gantry-test)" /var/lib/launchd/launchd.log
grep -o "Aqua session [0-9]* of uid 65534 ended: closed" /var/lib/launchd/launchd.log
rm /etc/pam.d/gantry-test
kill -TERM $launchd
wait $launchd
echo "launchd exited $?"
cat > /tmp/app.c <<'EOF'
#include <stdio.h>
#include <xpc/xpc.h>
#include <ServiceManagement/ServiceManagement.h>
#include <launch.h>
int main(void)
{{
	xpc_object_t d = xpc_dictionary_create_empty();
	xpc_dictionary_set_string(d, "k", "built against the -dev packages");
	puts(xpc_dictionary_get_string(d, "k"));
	xpc_release(d);
	return 0;
}}
EOF
cc /tmp/app.c -o /tmp/app $(pkg-config --cflags --libs ServiceManagement launch)
/tmp/app
rm /etc/launchd/LaunchDaemons/t.hello.plist
dpkg --purge {packages} >/tmp/dpkg-purge.log
echo "purged"
for f in /tmp/pam-before/*; do cmp "$f" "/etc/pam.d/$(basename "$f")"; done
echo "pam configuration as before"
"""

# What may differ from the machine's own / after the purge: dpkg's records and logs, the library and manual
# page caches (rebuilt by triggers), and the test's own files in /tmp.
# pam-auth-update rewrites /etc/pam.d/common-* (compared with their first contents inside) and records its
# choices under /var/lib/pam.
KEPT = re.compile(r"^(var/lib/dpkg|var/log|var/cache/(debconf|ldconfig|man)|etc/ld\.so\.cache|tmp|var/lib/pam|"
                  r"etc/pam\.d/common-[a-z-]+)(/|$)")


@pytest.fixture(scope="module")
def debs():
    r = subprocess.run(["make", "deb"], cwd=REPO, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    out = REPO / "build-deb"
    files = {p.name.split("_")[0]: p for p in out.glob("*.deb") if "-dbgsym" not in p.name}
    assert sorted(files) == sorted(PACKAGES)
    return files, r.stdout + r.stderr


def test_lintian_reports_no_errors(debs):
    files, log = debs
    assert re.search(r"^E: ", log, re.M) is None, log[-4000:]


def test_libraries_carry_symbols_files(debs):
    files, log = debs
    for lib, soname in [("libxpc0", "libxpc.so.0"), ("libservicemanagement0", "libServiceManagement.so.0"),
                        ("liblaunch0", "liblaunch.so.0")]:
        symbols = subprocess.run(["dpkg-deb", "-I", str(files[lib]), "symbols"], capture_output=True, text=True,
                                 check=True).stdout
        assert symbols.startswith(f"{soname} {lib} #MINVER#")
        exported = subprocess.run(f"dpkg-deb --fsys-tarfile {files[lib]} | tar -xO --wildcards '*/{soname}.*' "
                                  "> /dev/null", shell=True)
        assert exported.returncode == 0
    assert "xpc_connection_create_mach_service@XPC_0.1" in subprocess.run(
        ["dpkg-deb", "-I", str(files["libxpc0"]), "symbols"], capture_output=True, text=True).stdout


def test_install_run_a_job_build_against_and_purge_in_a_throwaway_root(debs, tmp_path):
    files, log = debs
    script = tmp_path / "inside.sh"
    script.write_text(INSIDE.format(debs=" ".join(str(files[p]) for p in PACKAGES), packages=" ".join(PACKAGES)))
    # A private mount namespace: / overlaid (writes go to a tmpfs), /proc of a new PID namespace, chroot.
    setup = f"""
set -eu
mount --make-rprivate /
top=$(mktemp -d /tmp/gantry-deb-root.XXXXXX)
mount -t tmpfs tmpfs "$top"
mkdir "$top/upper" "$top/work" "$top/root"
mount -t overlay overlay -o lowerdir=/,upperdir="$top/upper",workdir="$top/work" "$top/root"
mount -t proc proc "$top/root/proc"
mount --rbind /dev "$top/root/dev"
mount -t tmpfs tmpfs "$top/root/run"
chroot "$top/root" /bin/sh {script}
umount -l "$top/root/dev" "$top/root/proc" "$top/root/run"
echo "changed:"
cd "$top/upper" && find . -mindepth 1 \\( -type f -o -type l -o -type c \\) | sed 's|^\\./||' | sort
"""
    r = subprocess.run(["unshare", "--mount", "--pid", "--fork", "/bin/sh", "-c", setup], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-4000:]
    out = r.stdout
    assert sorted(out.split("installed: ", 1)[1].split("\n", 1)[0].split()) == sorted(PACKAGES)
    assert "hello from t.hello" in out
    assert re.search(r"state = (not running|waiting)", out) and "last exit code = 0" in out
    assert "launchd exited 0" in out
    assert "built against the -dev packages" in out
    assert "pam profile enabled" in out
    assert "Aqua session 1 of uid 65534 opened (x11 via gantry-test)" in out  # the installed module, no RUNPATH
    assert "Aqua session 1 of uid 65534 ended: closed" in out
    assert "purged" in out and "pam configuration as before" in out  # the prerm took the module out again
    changed = out.split("changed:\n", 1)[1].split()
    left = [path for path in changed if not KEPT.match(path)]
    assert left == [], f"dpkg --purge left these behind: {left}"
    # the machine's own / is untouched
    assert subprocess.run(["dpkg", "-s", "gantry"], capture_output=True).returncode != 0
    assert not os.path.exists("/etc/launchd/LaunchDaemons/t.hello.plist")
