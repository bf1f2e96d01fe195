"""The shared libraries export their public API and nothing else, each symbol versioned: a program
that defines its own connect_to() or deliver() must not replace libxpc's internals."""
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, REPO

LIBS = [
    ("src/libxpc/libxpc.so", "XPC_0.1", r"^(_?xpc_|XPC_ACTIVITY_)", "include/xpc/*.h"),
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


@pytest.mark.parametrize("header", ["xpc/base.h", "xpc/connection.h", "xpc/endpoint.h", "xpc/activity.h", "xpc/xpc.h"])
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


def test_xpc_man_page_lists_every_function_and_what_is_absent():
    """xpc(3) names every function libxpc exports, and what it lists as absent is indeed not there."""
    out = subprocess.run(["objdump", "-T", str(BUILD / "src/libxpc/libxpc.so")], capture_output=True, text=True,
                         check=True).stdout
    functions = {line.split()[-1] for line in out.splitlines() if " g " in line and " DF " in line and "*UND*" not in line}
    page = (REPO / "docs/man/xpc.3").read_text()
    listed = set(re.findall(r"\b(xpc_[a-z0-9_]+)\b", page))
    assert functions, out
    assert not functions - listed, f"xpc(3) does not list {sorted(functions - listed)}"
    absent = page[page.index(".SH ABSENT"):page.index(".SH NOTES")].splitlines()
    tags = [absent[i + 1] for i, line in enumerate(absent) if line == ".TP"]  # each entry's names
    named_absent = {name for tag in tags if "with a name" not in tag
                    for name in re.findall(r"\b(xpc_[a-z0-9_]+)\b", tag) if not name.endswith("_")}
    assert len(named_absent) >= 6, tags
    assert not named_absent & functions, f"xpc(3) calls {sorted(named_absent & functions)} absent, but libxpc has them"
    r = subprocess.run(["groff", "-man", "-ww", "-z", str(REPO / "docs/man/xpc.3")], capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr, r.stderr
