"""The shared libraries export their public API and nothing else, each symbol versioned: a program
that defines its own connect_to() or deliver() must not replace libxpc's internals."""
import re
import subprocess
from pathlib import Path

import pytest

from conftest import BUILD, REPO

LIBS = [
    ("src/libxpc/libxpc.so", "XPC_0.1", r"^_?xpc_", "include/xpc/xpc.h"),
    ("src/libsm/libServiceManagement.so", "SM_0.1", r"^k?SM", "include/ServiceManagement/ServiceManagement.h"),
    ("src/liblaunch/liblaunch.so", "LAUNCH_0.1", r"^launch_", "include/launch.h"),
]


@pytest.mark.parametrize("lib, version, pattern, header", LIBS)
def test_only_the_public_api_is_exported(lib, version, pattern, header):
    out = subprocess.run(["objdump", "-T", str(BUILD / lib)], capture_output=True, text=True, check=True).stdout
    defined = [line.split() for line in out.splitlines() if " g " in line and "*UND*" not in line and "*ABS*" not in line]
    names = {fields[-1]: fields[-2] for fields in defined}
    assert names, out
    public = (REPO / header).read_text()
    for name, ver in names.items():
        assert re.match(pattern, name), f"{lib} exports {name}, which is not part of its API"
        assert ver == version, f"{name} has version {ver}"
        assert name.lstrip("_") in public or name in public, f"{lib} exports {name}, not declared in {header}"
