#!/usr/bin/python3
"""Prints "NAME PAGE" for every function a public header declares (arguments: PAGE HEADER..., repeated as
--page PAGE HEADER...), so that meson installs NAME.3 as a link to the page that lists it:
`man xpc_dictionary_get_string` opens xpc(3). tests/e2e/test_install.py checks the pages list them all."""
import re
import sys

DECLARATION = re.compile(r"^[A-Za-z_][\w \t*]*?\b((?:xpc|launch)_\w+|SM[A-Z]\w+)\s*\(", re.M)

page = None
for arg in sys.argv[1:]:
    if arg.startswith("--page="):
        page = arg.split("=", 1)[1]
        continue
    text = re.sub(r"/\*.*?\*/", "", open(arg).read(), flags=re.S)
    for name in sorted(set(DECLARATION.findall(text))):
        if name + ".3" != page:
            print(name, page)
