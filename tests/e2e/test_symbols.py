"""The shared libraries export their public API and nothing else, each symbol versioned: a program
that defines its own connect_to() or deliver() must not replace libxpc's internals."""
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, REPO

LIBS = [
    ("src/libxpc/libxpc.so", "XPC_0.1", r"^_?xpc_", "include/xpc/*.h"),
    ("src/libsm/libServiceManagement.so", "SM_0.1", r"^k?SM", "include/ServiceManagement/ServiceManagement.h"),
    ("src/liblaunch/liblaunch.so", "LAUNCH_0.1", r"^launch_", "include/launch.h"),
]


@pytest.mark.parametrize("lib, version, pattern, header", LIBS)
def test_only_the_public_api_is_exported(lib, version, pattern, header):
    out = subprocess.run(["objdump", "-T", str(BUILD / lib)], capture_output=True, text=True, check=True).stdout
    defined = [line.split() for line in out.splitlines() if " g " in line and "*UND*" not in line and "*ABS*" not in line]
    names = {fields[-1]: fields[-2] for fields in defined}
    assert names, out
    public = "".join(path.read_text() for path in sorted(REPO.glob(header)))  # <xpc/xpc.h> and what it includes
    for name, ver in names.items():
        assert re.match(pattern, name), f"{lib} exports {name}, which is not part of its API"
        assert ver == version, f"{name} has version {ver}"
        assert name.lstrip("_") in public or name in public, f"{lib} exports {name}, not declared in {header}"


@pytest.mark.parametrize("header", ["xpc/base.h", "xpc/connection.h", "xpc/endpoint.h", "xpc/xpc.h"])
def test_xpc_headers_stand_alone_as_apples_do(header, tmp_path):
    """Each header compiles on its own, as Apple lays them out; <xpc/xpc.h> brings in the standard headers
    Apple's does (stdio, stdlib, string, unistd ...), which ported code relies on."""
    body = '#include <%s>\n' % header
    if header == "xpc/xpc.h":
        body += 'int f(void) { char *s = strdup("x"); printf("%s", s); free(s); return (int)getpid(); }\n'
    src = tmp_path / "t.c"
    src.write_text(body)
    r = subprocess.run(["cc", "-std=gnu11", "-Wall", "-Werror", "-fsyntax-only", f"-I{REPO / 'include'}", str(src)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
