"""``agents-compat accept``: write a run's observed outcomes into the user's TOML as each profile's expectations.

Like a snapshot tool's update mode: the report of the last run (``compat-matrix.json``) says what each
backend did; accepting records it under ``[profiles.NAME.expect]`` in the user's backends file, through a
TOML library that keeps the file's comments and layout (tomlkit), and prints the change as a diff. Only
cells that differ from (or are missing in) the declared expectations are written. ``error`` and
``inconclusive`` cells are never accepted: a backend that could not be reached, or a model too weak to
tell, is not a capability answer. Live twins (``NAME@live``) declare their differences with a reason,
under ``live.differs``; accept lists them instead of writing them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.container import Container
from tomlkit.items import Table

from .config.profiles import LIVE_SUFFIX
from .outcomes import Outcome
from .report.model import Report

NEVER_ACCEPTED = (Outcome.ERROR, Outcome.INCONCLUSIVE)


@dataclass
class Accepted:
    changes: dict[str, dict[str, str]] = field(default_factory=dict)  # profile -> feature -> outcome
    refused: list[str] = field(default_factory=list)  # one line per cell that was not written, and why
    before: str = ""
    after: str = ""

    def diff(self, path: Path) -> str:
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True), str(path), str(path)
        )
        return "".join(lines)


def observed_changes(report: Report, backends: list[str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    """Cells whose observed outcome is not what the profile declares, per profile, and the ones refused."""
    changes: dict[str, dict[str, str]] = {}
    refused = []
    wanted = set(backends)
    for cell in report.cells:
        name, feature, outcome = cell.backend, cell.feature, cell.outcome.value
        if wanted and name not in wanted:
            continue
        if cell.outcome == cell.expected:
            continue
        if name.endswith(LIVE_SUFFIX):
            refused.append(
                f"{name} / {feature}: {outcome} (a live row: declare it with a reason under "
                f"[profiles.{name.removesuffix(LIVE_SUFFIX)}.live.differs.{feature}])"
            )
        elif cell.outcome in NEVER_ACCEPTED:
            refused.append(f"{name} / {feature}: {outcome} is not a capability answer: {cell.reason}")
        else:
            changes.setdefault(name, {})[feature] = outcome
    return changes, refused


def _expect_table(doc: tomlkit.TOMLDocument, name: str) -> tuple[Any, Any]:
    """The profile table and its [profiles.NAME.expect] (or inline ``expect = {...}``), created where missing."""
    if "profiles" not in doc:
        doc.append("profiles", tomlkit.table(is_super_table=True))
    profiles = doc["profiles"]
    if name not in profiles:
        profiles.append(name, tomlkit.table(is_super_table=True))
    profile = profiles[name]
    if "expect" not in profile:
        profile.append("expect", tomlkit.table())
    return profile, profile["expect"]


def _set(profile: Any, table: Any, key: str, value: str) -> None:
    """Set a key in place, or add it after the table's last key.

    A comment that follows a table's last key (which tomlkit counts as part of the table) usually introduces
    the next table, and must stay there; tomlkit's public API only appends at the end of a table. So a new
    key rebuilds the table from its public ``body`` (keys, then the new key, then the trailing comments and
    blank lines) and replaces it in its parent, which keeps its place there.
    """
    body = table.value.body if isinstance(table, Table) else []
    last = max((i for i, (k, _) in enumerate(body) if k is not None), default=None)
    if key in table or last is None or last == len(body) - 1:
        table[key] = value
        return
    rebuilt = Table(
        Container(), table.trivia.copy(), table.is_aot_element(), table.is_super_table(), table.name, table.display_name
    )
    for k, item in body[: last + 1]:
        rebuilt.raw_append(k, item)  # as they were: raw_append adds no indentation
    rebuilt.append(key, value)  # indented as the table is
    for _, item in body[last + 1 :]:
        rebuilt.raw_append(None, item)
    profile["expect"] = rebuilt


def write_expectations(path: Path, changes: dict[str, dict[str, str]]) -> tuple[str, str]:
    """Record the changes in the TOML file (created if missing); returns its text before and after."""
    before = path.read_text(encoding="utf-8") if path.exists() else ""
    doc = tomlkit.parse(before)
    for name, outcomes in changes.items():
        for feature, outcome in outcomes.items():
            profile, expect = _expect_table(doc, name)
            _set(profile, expect, feature, outcome)
    after = tomlkit.dumps(doc)
    return before, after


def accept(report: Report, path: Path, backends: list[str], *, dry_run: bool = False) -> Accepted:
    changes, refused = observed_changes(report, backends)
    result = Accepted(changes, refused)
    if not changes:
        return result
    result.before, result.after = write_expectations(path, changes)
    if not dry_run:
        path.write_text(result.after, encoding="utf-8")
    return result
