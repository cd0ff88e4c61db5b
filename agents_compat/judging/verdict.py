"""The line every report starts with, so a CI page says at once whether the run passed and why not.

``compat: FAIL: 260 cells, 2 differ from their profiles, 1 lost against the baseline, 1 NOT READY``, then
the lost cells, one line each. Built once, at session end, into the report (agents_compat/report/build.py); the
terminal, JSON (``verdict``), Markdown, HTML and the GitHub step summary all show the same.

An inconclusive cell (live only: the model, not the backend, fell short) is an expected failure in pytest,
so it does not count as differing here either: the line names how many there were instead. Unless its
profile declared a capability answer for it: then it is *unconfirmed* (declared supported, now unconfirmed)
and fails the run, as a backend that silently dropped what showed the answer would; a profile's
``unconfirmed`` reason or ``--compat-allow-unconfirmed`` turns that into a warning (``allowed``).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from ..outcomes import Cell, Change, Outcome
from ..wire.inert import inert
from .readiness import NOT_READY, AgentReadiness


class Verdict(BaseModel):
    passed: bool
    cells: int
    differing: list[str]  # "backend / feature" of each cell that differs from its profile
    inconclusive: list[str]  # "backend / feature" of each inconclusive cell that differs and does not fail the run
    unconfirmed: list[str] = []  # "backend / feature: declared X, now unconfirmed (reason)": each fails the run
    allowed: list[str] = []  # the same, for unconfirmed cells allowed to warn, with why
    baseline: bool  # a baseline was compared with
    lost: list[Change]
    not_ready: list[str]  # "agent on backend"
    not_ready_fails: bool
    # A merged report only (agents_compat/report/merge.py): each input run whose own verdict failed, and each
    # declared cell that runs with the same SDK and server versions observed differently. Either fails it.
    failed_runs: list[str] = []
    disagreeing: list[str] = []


def build(
    cells: Sequence[Cell],
    readiness: Sequence[AgentReadiness],
    lost: Sequence[Change] | None,
    *,
    failed: bool,
    fail_not_ready: bool,
) -> Verdict:
    """``lost``: the cells lost against the baseline, None without one.

    ``failed``: the session failed for any reason (a differing cell, a strict wire, a loss, ...).
    """
    off = [c for c in cells if not c.as_expected]
    differing = [f"{c.backend} / {c.feature}" for c in off if c.outcome is not Outcome.INCONCLUSIVE]
    failing = [c for c in off if c.unconfirmed and not c.allowed]
    inconclusive = [f"{c.backend} / {c.feature}" for c in off if c.outcome is Outcome.INCONCLUSIVE and c not in failing]
    unconfirmed = [unconfirmed_text(c) for c in failing]
    allowed = [f"{unconfirmed_text(c)}; allowed: {inert(c.allowed)}" for c in off if c.unconfirmed and c.allowed]
    not_ready = [f"{e.agent} on {b.backend}" for e in readiness for b in e.backends if b.verdict == NOT_READY]
    return Verdict(
        passed=not (failed or differing or unconfirmed or lost or (fail_not_ready and not_ready)),
        cells=len(cells),
        differing=differing,
        inconclusive=inconclusive,
        unconfirmed=unconfirmed,
        allowed=allowed,
        baseline=lost is not None,
        lost=list(lost or []),
        not_ready=not_ready,
        not_ready_fails=fail_not_ready,
    )


def unconfirmed_text(cell: Cell) -> str:
    declared = cell.expected.value if cell.expected is not None else "nothing"
    return f"{inert(cell.backend)} / {cell.feature}: declared {declared}, now unconfirmed ({inert(cell.reason)})"


def line(verdict: Verdict) -> str:
    parts = [f"{verdict.cells} cells", f"{len(verdict.differing)} differ from their profiles"]
    if verdict.unconfirmed:
        parts.append(f"{len(verdict.unconfirmed)} declared but now unconfirmed")
    if verdict.inconclusive:
        parts.append(f"{len(verdict.inconclusive)} inconclusive")
    parts.append(f"{len(verdict.lost)} lost against the baseline" if verdict.baseline else "no baseline")
    not_ready = verdict.not_ready
    parts.append(f"{len(not_ready)} NOT READY" + (f" ({inert(', '.join(not_ready))})" if not_ready else ""))
    if verdict.failed_runs:
        parts.append(f"{len(verdict.failed_runs)} input run(s) failed")
    if verdict.disagreeing:
        parts.append(f"{len(verdict.disagreeing)} declared cell(s) disagree between runs")
    return f"compat: {'PASS' if verdict.passed else 'FAIL'}: {', '.join(parts)}"


def lost_lines(verdict: Verdict) -> list[str]:
    """The lines under the verdict line: lost cells, unconfirmed ones (failing), then those allowed to warn."""
    lost = [f"lost: {inert(c.backend)} / {c.feature}: {c.old} -> {c.new} ({inert(c.reason)})" for c in verdict.lost]
    merged = [f"failed run: {inert(line)}" for line in verdict.failed_runs]
    merged += [f"disagree: {inert(line)}" for line in verdict.disagreeing]
    return lost + unconfirmed_lines(verdict) + merged


def unconfirmed_lines(verdict: Verdict) -> list[str]:
    return [f"unconfirmed: {text}" for text in verdict.unconfirmed] + [
        f"warning: unconfirmed: {text}" for text in verdict.allowed
    ]
