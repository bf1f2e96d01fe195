"""docs/design.md stays true: its component list names every source file under src/ (a new file
that is not described there fails this test)."""
import re

from conftest import REPO


def test_design_lists_every_source_file():
    design = (REPO / "docs/design.md").read_text()
    components = design[design.index("## Components"):design.index("## ", design.index("## Components") + 5)]
    missing = []
    for path in sorted((REPO / "src").rglob("*.c")):
        folder = path.parent.relative_to(REPO).as_posix() + "/"
        block = re.search(re.escape(folder) + r"(.*?)(?=\nsrc/|\ninclude/|\n```)", components, re.S)
        if not block or not re.search(r"\b" + re.escape(path.name) + r"\b", block.group(1)):
            missing.append(path.relative_to(REPO).as_posix())
    assert not missing, f"docs/design.md does not describe: {', '.join(missing)}"
