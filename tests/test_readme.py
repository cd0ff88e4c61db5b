"""README says what the code does: its sample matrix is the kept baseline, its commands are what CI runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from agents_compat.config.profiles import load_profiles
from agents_compat.config.selection import all_rows
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import Cell
from agents_compat.report import terminal
from agents_compat.report.build import build

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BASELINE = json.loads((ROOT / "fixtures" / "baseline" / "mocked.json").read_text(encoding="utf-8"))
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -q -c constraints.txt -e '.[dev]'"
COMMANDS = (f"{INSTALL} && .venv/bin/python -m agents_compat matrix", f"{INSTALL} && .venv/bin/python -m pytest")
OWN_REPO = "In your own repo"


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


def test_the_own_repo_block_is_on_the_first_screen_and_ci_runs_it_as_written() -> None:
    first_screen = README[: README.index("\n## ")]
    quickstart = next(b for b in code_blocks(first_screen) if "agents-compat init" in b)
    commands = [line.split("#")[0].split() for line in quickstart.splitlines()]
    assert [words[:3] for words in commands] == [
        ["pip", "install", "agents_compat_harness-*.whl"],  # the name `pip wheel` gives it, any version
        ["agents-compat", "init"],
        ["agents-compat", "serve", "ollama-chat"],  # the stand-in backend, on the port the URL names
        ["export", "MY_GATEWAY_URL=http://127.0.0.1:11434/v1", "MY_GATEWAY_KEY=any"],
        ["agents-compat", "matrix", "--backend"],
        ["agents-compat", "accept"],
        ["agents-compat", "matrix", "--backend"],
    ]
    assert commands[2][3:] == ["--port", "11434", "--detach"]  # returns once it listens: the next line can use it
    # .ci/run takes the block from here with scripts/readme-block and runs it, not a copy of it.
    extracted = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "readme-block"), OWN_REPO], capture_output=True, text=True, check=True
    ).stdout
    assert extracted == quickstart
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f'scripts/readme-block "{OWN_REPO}"' in ci
    assert "agents-compat accept" not in ci  # no hand-copied flow beside it


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
