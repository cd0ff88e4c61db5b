"""``agents-compat init``: a starter backends file and a CI workflow for the user's own repository."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from . import options

# Where the reusable action (action.yml at the root of this harness's repository) lives: OWNER stands for the
# account that hosts it, which this package cannot know; `init --action OWNER/REPO@REF` fills it in. The ref is
# the release tag of the installed package (docs/releasing.md), so CI runs the harness the user ran locally;
# `@vMAJOR` instead follows every release of that major version.
DEFAULT_ACTION = f"OWNER/agents-compat-harness@v{importlib.metadata.version('agents-compat-harness')}"
BACKENDS_FILE = "compat-backends.toml"
WORKFLOW_FILE = ".github/workflows/agents-compat.yml"
GITIGNORE = ".gitignore"
REPORT_DIR = options.DEFAULT_REPORT_DIR  # where a run writes its reports by default


class ScaffoldError(Exception):
    """A file init would write already exists; the message names it."""


@dataclass(frozen=True)
class Written:
    path: Path
    text: str


def template(name: str) -> str:
    return resources.files("agents_compat").joinpath("templates", name).read_text(encoding="utf-8")


def files(action: str = DEFAULT_ACTION) -> dict[str, str]:
    """Relative path -> text of every file init writes."""
    return {
        BACKENDS_FILE: template("compat-backends.toml"),
        WORKFLOW_FILE: template("agents-compat.yml").replace("{action}", action),
    }


def init(root: Path, *, action: str = DEFAULT_ACTION, force: bool = False) -> list[Written]:
    planned = [Written(root / name, text) for name, text in files(action).items()]
    existing = [str(w.path) for w in planned if w.path.exists()]
    if existing and not force:
        raise ScaffoldError(f"init: {', '.join(existing)} already exist(s); --force replaces them")
    for written in planned:
        written.path.parent.mkdir(parents=True, exist_ok=True)
        written.path.write_text(written.text, encoding="utf-8")
    ignored = ignore_reports(root / GITIGNORE)
    return planned + ([ignored] if ignored else [])


def ignore_reports(path: Path) -> Written | None:
    """Add the reports' folder to .gitignore (created if missing); None when a line already ignores it."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if any(line.strip().strip("/") == REPORT_DIR for line in old.splitlines()):
        return None
    line = f"{REPORT_DIR}/\n"
    text = old + ("\n" if old and not old.endswith("\n") else "") + line
    path.write_text(text, encoding="utf-8")
    return Written(path, line)
