"""Mocked and live agree? Each live cell next to its profile's mocked cell, every disagreement listed.

The mocked cell comes from the same session when it ran there, else from a mocked report (the kept
baseline, which the test suite holds equal to what the emulators do). A disagreement is explained when
the profile's ``live.differs`` declares the live outcome and says why; otherwise it is unexplained, and
the live cell's verdict fails too (its expectation is the mocked one). A weak model's inconclusive cell,
and an infrastructure error, say nothing about the protocol and are listed as not compared.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic.dataclasses import dataclass as model_dataclass

from ..outcomes import Cell, Outcome
from ..wire.inert import inert
from .matrix import Matrix

AGREE, EXPLAINED, UNEXPLAINED, NOT_COMPARED = "agree", "explained", "unexplained", "not compared"


@model_dataclass(frozen=True)
class Comparison:  # an entry of the report's mocked_vs_live (agents_compat/report/model.py)
    profile: str  # the mocked profile's name; the live row is profile@live
    feature: str
    mocked: Outcome | None
    live: Outcome
    verdict: str
    why: str


def _mocked_outcomes(matrix: Matrix, mocked: Sequence[Cell]) -> dict[tuple[str, str], Outcome]:
    found = {key: c.outcome for key, c in matrix.cells.items() if c.tier == "mocked"}
    for cell in mocked:
        key = (cell.backend, cell.feature)
        if cell.tier == "mocked" and key not in found:
            found[key] = cell.outcome
    return found


def compare(matrix: Matrix, baseline: Sequence[Cell] = ()) -> list[Comparison]:
    """Each live cell against its twin: this session's mocked cell, else the ``baseline`` report's."""
    mocked = _mocked_outcomes(matrix, baseline)
    found = []
    for (row, feature), cell in matrix.cells.items():
        profile = matrix.profiles[row]
        if profile.twin is None or profile.live is None:
            continue
        twin = mocked.get((profile.twin, feature))
        difference = profile.live.differs.get(feature)
        if cell.outcome in (Outcome.INCONCLUSIVE, Outcome.ERROR):
            verdict, why = NOT_COMPARED, cell.reason
        elif twin is None:
            verdict, why = NOT_COMPARED, "no mocked cell to compare with"
        elif cell.outcome == twin:
            verdict, why = AGREE, ""
        elif difference is not None and difference.outcome == cell.outcome:
            verdict, why = EXPLAINED, difference.why
        else:
            verdict, why = UNEXPLAINED, cell.reason
        found.append(Comparison(profile.twin, feature, twin, cell.outcome, verdict, why))
    return found


def render(comparisons: list[Comparison]) -> str:
    """Counts first, then every cell that does not simply agree, one line each (terminal and Markdown)."""
    if not comparisons:
        return ""
    counts = {v: sum(c.verdict == v for c in comparisons) for v in (AGREE, EXPLAINED, UNEXPLAINED, NOT_COMPARED)}
    lines = ["mocked vs live: " + ", ".join(f"{n} {v}" for v, n in counts.items())]
    for c in comparisons:
        if c.verdict == AGREE:
            continue
        where = f"{inert(c.profile)} {c.feature}"
        mocked = c.mocked.value if c.mocked else "-"
        lines.append(f"  {c.verdict:<12} {where:<42} mocked {mocked:<12} live {c.live.value}: {inert(c.why)}")
    return "\n".join(lines)
