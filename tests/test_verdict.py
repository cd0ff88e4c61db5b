"""harness/verdict.py: the one line that says whether a session passed, and why not."""

from __future__ import annotations

from typing import Any

from harness import verdict
from harness.diff import Change, Diff

CELLS = [
    {"backend": "ollama-chat", "feature": "plain_text", "as_expected": True},
    {"backend": "ollama-chat", "feature": "usage", "as_expected": True},
]
NOT_READY_ENTRY = {"agent": "support-bot", "backends": [{"backend": "ollama-chat", "verdict": "NOT READY"}]}


def _report(*cells: dict[str, Any], readiness: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"cells": list(cells or CELLS), "readiness": readiness or []}


def test_a_clean_run_passes_and_says_what_it_compared() -> None:
    found = verdict.build(_report(), Diff(), failed=False, fail_not_ready=False)
    assert found["passed"]
    assert verdict.line(found) == (
        "compat: PASS: 2 cells, 0 differ from their profiles, 0 lost against the baseline, 0 NOT READY"
    )
    assert verdict.line(verdict.build(_report(), None, failed=False, fail_not_ready=False)).endswith(
        "0 differ from their profiles, no baseline, 0 NOT READY"
    )


def test_a_differing_cell_or_any_other_failure_fails_it() -> None:
    off = {"backend": "ollama-chat", "feature": "usage", "as_expected": False}
    found = verdict.build(_report(CELLS[0], off), None, failed=True, fail_not_ready=False)
    assert not found["passed"] and found["differing"] == ["ollama-chat / usage"]
    assert not verdict.build(_report(), None, failed=True, fail_not_ready=False)["passed"]  # e.g. a strict wire


def test_a_lost_cell_fails_it_and_gets_its_own_line() -> None:
    lost = Change("ollama-chat", "usage", "supported", "ignored", "usage 0/0")
    found = verdict.build(_report(), Diff(lost=[lost]), failed=False, fail_not_ready=False)
    assert not found["passed"]
    assert "1 lost against the baseline" in verdict.line(found)
    assert verdict.lost_lines(found) == ["lost: ollama-chat / usage: supported -> ignored (usage 0/0)"]


def test_not_ready_is_named_and_fails_only_when_asked() -> None:
    report = _report(readiness=[NOT_READY_ENTRY])
    tolerated = verdict.build(report, None, failed=False, fail_not_ready=False)
    assert tolerated["passed"] and verdict.line(tolerated).endswith("1 NOT READY (support-bot on ollama-chat)")
    assert not verdict.build(report, None, failed=False, fail_not_ready=True)["passed"]
