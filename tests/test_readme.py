"""README says what the code does: its sample matrix is the kept baseline, its commands are what CI runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

from harness.matrix import Matrix
from harness.outcomes import Cell
from harness.profiles import load_profiles
from harness.report import terminal
from harness.report.build import build
from harness.selection import all_rows

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BASELINE = json.loads((ROOT / "fixtures" / "baseline" / "mocked.json").read_text(encoding="utf-8"))
COMMANDS = (
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m harness matrix",
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[dev]' && .venv/bin/python -m pytest",
)


def code_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_the_sample_matrix_is_the_current_baseline() -> None:
    rows = all_rows(load_profiles())
    matrix = Matrix(profiles={name: rows[name] for name in dict.fromkeys(c["backend"] for c in BASELINE["cells"])})
    for data in BASELINE["cells"]:
        matrix.add(rows[data["backend"]], Cell.from_json(data))
    expected = terminal.terminal(build(matrix)[0])
    sample = next(block for block in code_blocks(README) if "\nbackend " in block)
    assert expected in sample, "README's sample matrix differs from fixtures/baseline/mocked.json:\n" + expected


def test_the_two_commands_open_the_readme_and_ci_runs_them() -> None:
    first_block = code_blocks(README)[0]
    assert first_block.splitlines() == list(COMMANDS)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert COMMANDS[1] in ci
    assert any(line.startswith(COMMANDS[0] + " ") for line in ci)


def test_the_own_repo_quickstart_is_five_lines_on_the_first_screen() -> None:
    first_screen = README[: README.index("\n## ")]
    quickstart = next(b for b in code_blocks(first_screen) if "agents-compat init" in b).splitlines()
    assert len(quickstart) == 5
    assert [line.split()[:2] for line in quickstart] == [
        ["pip", "install"],
        ["agents-compat", "init"],
        ["export", "MY_GATEWAY_URL=http://127.0.0.1:11434/v1"],
        ["agents-compat", "matrix"],
        ["agents-compat", "accept"],
    ]


def test_no_machine_paths_in_sample_output() -> None:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    assert len(pages) > 5  # the docs pages hold most samples now
    for page in pages:
        for block in code_blocks(page.read_text(encoding="utf-8")):
            assert not re.search(r"(?<![\\w.])/(?:work|tmp|home|root|Users)/", block), f"{page.name}:\n{block}"


def test_the_readme_stays_short() -> None:
    """The README is the first screen, the matrix and the own-repo quickstart; the rest lives in docs/."""
    lines = README.count("\n")
    assert lines <= 260, f"README.md has {lines} lines: move a section into a docs/ page and link it"
