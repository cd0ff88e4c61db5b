"""Compare two matrix reports: which capabilities a backend gained, lost or changed since a baseline.

A cell is *lost* when it was ``supported`` and now is not, *gained* when it became ``supported``, and
*changed* for any other outcome change. Backends, features or single cells missing from the new
report are listed as removed but never count as lost: running a subset of the matrix is normal.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..outcomes import Cell, Change, Outcome
from ..wire.inert import inert
from .model import Report

SUPPORTED = Outcome.SUPPORTED.value


@dataclass
class Diff:
    lost: list[Change] = field(default_factory=list)
    gained: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    new_backends: list[str] = field(default_factory=list)
    removed_backends: list[str] = field(default_factory=list)
    new_features: list[str] = field(default_factory=list)
    removed_features: list[str] = field(default_factory=list)
    new_cells: list[tuple[str, str]] = field(default_factory=list)
    removed_cells: list[tuple[str, str]] = field(default_factory=list)
    versions: list[tuple[str, str, str]] = field(default_factory=list)  # (package, old, new) that differ
    compared: int = 0  # cells present in both reports
    # A session's view (``left_out``): in the baseline and still defined, but not selected this time.
    not_run_backends: list[str] = field(default_factory=list)
    not_run_features: list[str] = field(default_factory=list)
    other_tier: list[str] = field(default_factory=list)  # rows of a tier the baseline has none of: not compared


def as_baseline(report: Report) -> dict[str, Any]:
    """A report kept as a baseline: outcomes and reasons, without the exchanges only the evidence needs."""
    data = report.to_json()
    dropped = ("exchanges", "seconds", "server_logs")
    return {**data, "cells": [{k: v for k, v in c.items() if k not in dropped} for c in data["cells"]]}


def _ordered(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))


def compare(old: Report, new: Report) -> Diff:
    return compare_cells(old.cells, new.cells, old.versions, new.versions)


def compare_cells(
    old: Sequence[Cell], new: Sequence[Cell], old_versions: Mapping[str, str], new_versions: Mapping[str, str]
) -> Diff:
    """``compare`` on the cells and package versions of two reports (a session's own are not a report yet)."""
    before = {(c.backend, c.feature): c for c in old}
    after = {(c.backend, c.feature): c for c in new}
    old_backends, new_backends = (_ordered([b for b, _ in cells]) for cells in (before, after))
    old_features, new_features = (_ordered([f for _, f in cells]) for cells in (before, after))
    diff = Diff(
        new_backends=[b for b in new_backends if b not in old_backends],
        removed_backends=[b for b in old_backends if b not in new_backends],
        new_features=[f for f in new_features if f not in old_features],
        removed_features=[f for f in old_features if f not in new_features],
    )
    for key, cell in after.items():
        if key not in before:
            if key[0] in old_backends and key[1] in old_features:
                diff.new_cells.append(key)
            continue
        diff.compared += 1
        was, now = before[key].outcome.value, cell.outcome.value
        if was == now:
            continue
        change = Change(key[0], key[1], was, now, cell.reason)
        bucket = diff.lost if was == SUPPORTED else diff.gained if now == SUPPORTED else diff.changed
        bucket.append(change)
    diff.removed_cells = [k for k in before if k not in after and k[0] in new_backends and k[1] in new_features]
    diff.versions = [
        (name, str(old_versions[name]), str(new_versions[name]))
        for name in new_versions
        if name in old_versions and old_versions[name] != new_versions[name]
    ]
    return diff


def left_out(found: Diff, defined_backends: Collection[str], defined_features: Collection[str]) -> Diff:
    """``found`` as a session sees it: a baseline row or column that is still defined was left out of this
    run (``--backend``, ``-m live``, ``-k``), not removed. Only what is no longer defined stays removed."""
    return replace(
        found,
        removed_backends=[b for b in found.removed_backends if b not in defined_backends],
        removed_features=[f for f in found.removed_features if f not in defined_features],
        not_run_backends=[b for b in found.removed_backends if b in defined_backends],
        not_run_features=[f for f in found.removed_features if f in defined_features],
    )


def _change_line(kind: str, change: Change) -> str:
    return f"{kind:<8}{inert(change.backend)} / {change.feature}: {change.old} -> {change.new} ({inert(change.reason)})"


def render(diff: Diff) -> str:
    lines = []
    if diff.versions:
        lines.append("versions: " + "; ".join(inert(f"{name} {old} -> {new}") for name, old, new in diff.versions))
    for kind, changes in (("lost", diff.lost), ("gained", diff.gained), ("changed", diff.changed)):
        lines += [_change_line(kind, c) for c in changes]
    for label, names in (
        ("new backends", diff.new_backends),
        ("removed backends", diff.removed_backends),
        ("new features", diff.new_features),
        ("removed features", diff.removed_features),
        ("new cells", [f"{b} / {f}" for b, f in diff.new_cells]),
        ("removed cells", [f"{b} / {f}" for b, f in diff.removed_cells]),
    ):
        if names:
            lines.append(f"{label}: {inert(', '.join(names))}")
    if diff.other_tier:
        other = inert(", ".join(diff.other_tier))
        lines.append(f"not compared with this baseline, which has no rows of their tier: {other}")
    if diff.not_run_backends or diff.not_run_features:
        lines.append(
            f"not run in this session (still defined): {len(diff.not_run_backends)} of the baseline's backends, "
            f"{len(diff.not_run_features)} of its features"
        )
    lines.append(
        f"{len(diff.lost)} lost, {len(diff.gained)} gained, {len(diff.changed)} changed "
        f"of {diff.compared} cells in both"
    )
    return "\n".join(lines)
