"""The structure stays walkable (docs/design.md, "Layers"): who calls whom is read from the built
objects (nm: each object's undefined symbols, resolved to the source file that defines them), so
the check follows real calls, not includes or comments.

- No call cycle between folders: common <- jobspec, libxpc <- ... <- launchd/core <- triggers <-
  control <- sm <- launchd (main.c, hooks.c).
- Inside the daemon, the only cycle is ownership: a domain owns its jobs, a job its endpoints.
- No .c file over 600 lines, no function over 80 (a function is a body from a `{` alone at the
  start of a line to the `}` that starts a line, the house style)."""
import json
import subprocess
from collections import defaultdict
from pathlib import Path

from conftest import BUILD, REPO

MAX_FILE_LINES = 600
MAX_FUNCTION_LINES = 80
# The cycle the daemon keeps on purpose: a domain owns its jobs, a job its endpoints, each points back.
OWNERSHIP_CYCLE = {"src/launchd/core/domain.c", "src/launchd/core/job.c", "src/launchd/core/endpoint.c"}
IGNORED_SYMBOLS = {"main"}  # every program defines its own


def objects():
    """(source path relative to the repository, object path) for every object compiled from src/."""
    commands = json.loads((BUILD / "compile_commands.json").read_text())
    out = []
    for c in commands:
        src = (Path(c["directory"]) / c["file"]).resolve()  # file may be absolute: the join keeps it
        if src.is_relative_to(REPO / "src"):
            out.append((src.relative_to(REPO).as_posix(), Path(c["directory"]) / c["output"]))
    return out


def symbol_tables():
    defined, undefined = defaultdict(set), {}
    for src, obj in objects():
        names = subprocess.run(["nm", "--defined-only", str(obj)], capture_output=True, text=True, check=True).stdout
        for line in names.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDBRC" and parts[2] not in IGNORED_SYMBOLS:
                defined[parts[2]].add(src)
        names = subprocess.run(["nm", "--undefined-only", str(obj)], capture_output=True, text=True, check=True).stdout
        undefined[src] = {line.split()[-1] for line in names.splitlines() if line.strip()}
    return defined, undefined


def call_graph():
    """file -> {file: symbols it uses from there}; a symbol defined in several places (a program's own
    copy) resolves to the definer in the caller's folder tree when there is one."""
    defined, undefined = symbol_tables()
    graph = defaultdict(lambda: defaultdict(set))
    for src, syms in undefined.items():
        top = "/".join(src.split("/")[:2])
        for s in syms:
            where = defined.get(s, set())
            local = {d for d in where if d.startswith(top + "/")}
            for d in (local or where):
                if d != src:
                    graph[src][d].add(s)
    return graph


def cycles(graph):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(comp)

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def explain(graph, comp):
    return "; ".join(f"{a} -> {b} ({', '.join(sorted(graph[a][b])[:3])})"
                     for a in sorted(comp) for b in sorted(graph.get(a, {})) if b in comp)


def folder(path):
    return path.rsplit("/", 1)[0]


def test_no_cycle_between_folders():
    files = call_graph()
    folders = defaultdict(lambda: defaultdict(set))
    for a, targets in files.items():
        for b, syms in targets.items():
            if folder(a) != folder(b):
                folders[folder(a)][folder(b)] |= {f"{a.rsplit('/', 1)[1]}:{s}" for s in syms}
    assert "src/launchd/core" in folders, "no objects found: is GANTRY_BUILD a build tree?"
    found = cycles(folders)
    assert not found, "folders call each other: " + " | ".join(explain(folders, c) for c in found)


def test_daemon_cycles_follow_ownership_only():
    files = call_graph()
    daemon = {a: {b: s for b, s in t.items() if b.startswith("src/launchd/")}
              for a, t in files.items() if a.startswith("src/launchd/")}
    bad = [c for c in cycles(daemon) if not c <= OWNERSHIP_CYCLE]
    assert not bad, "launchd files call each other in a cycle: " + " | ".join(explain(daemon, c) for c in bad)


def test_no_cycle_in_the_libraries():
    files = call_graph()
    for lib in ("src/libxpc/", "src/jobspec/", "src/launchctl/", "src/common/", "src/libsm/"):
        part = {a: {b: s for b, s in t.items() if b.startswith(lib)} for a, t in files.items() if a.startswith(lib)}
        found = cycles(part)
        assert not found, f"{lib} files call each other in a cycle: " + " | ".join(explain(part, c) for c in found)


def function_lengths(path):
    """(first line, length, signature) of each function in a source file."""
    lines = path.read_text().split("\n")
    start = None
    for i, line in enumerate(lines):
        if line == "{":
            start = i
        elif line.startswith("}") and not line.startswith("};") and start is not None:
            yield start + 1, i - start + 1, lines[start - 1].strip()
            start = None


def test_files_and_functions_stay_small():
    too_long = []
    for path in sorted((REPO / "src").rglob("*.c")):
        rel = path.relative_to(REPO).as_posix()
        n = path.read_text().count("\n")
        if n > MAX_FILE_LINES:
            too_long.append(f"{rel}: {n} lines")
        too_long += [f"{rel}:{line}: {sig} is {length} lines" for line, length, sig in function_lengths(path)
                     if length > MAX_FUNCTION_LINES]
    assert not too_long, "over the limits (600 lines a file, 80 a function): " + "; ".join(too_long)
