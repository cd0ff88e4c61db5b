"""agents_compat/judging/verdict.py: the one line that says whether a session passed, and why not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_compat.judging import verdict
from agents_compat.judging.readiness import NOT_READY, AgentReadiness, BackendReadiness
from agents_compat.outcomes import Cell, Change, Outcome

BASELINE = Path(__file__).parent.parent / "fixtures" / "baseline" / "mocked.json"


def _cell(feature: str, outcome: Outcome = Outcome.SUPPORTED, expected: Outcome | None = Outcome.SUPPORTED) -> Cell:
    return Cell("ollama-chat", feature, "mocked", outcome, "why", expected)


CELLS = [_cell("plain_text"), _cell("usage")]
NOT_READY_ENTRY = AgentReadiness(
    agent="support-bot", description="", features=["usage"], backends=[BackendReadiness("ollama-chat", NOT_READY)]
)


def test_a_clean_run_passes_and_says_what_it_compared() -> None:
    found = verdict.build(CELLS, [], [], failed=False, fail_not_ready=False)
    assert found.passed
    assert verdict.line(found) == (
        "compat: PASS: 2 cells, 0 differ from their profiles, 0 lost against the baseline, 0 NOT READY"
    )
    assert verdict.line(verdict.build(CELLS, [], None, failed=False, fail_not_ready=False)).endswith(
        "0 differ from their profiles, no baseline, 0 NOT READY"
    )


def test_a_differing_cell_or_any_other_failure_fails_it() -> None:
    off = _cell("usage", Outcome.IGNORED)
    found = verdict.build([CELLS[0], off], [], None, failed=True, fail_not_ready=False)
    assert not found.passed and found.differing == ["ollama-chat / usage"]
    assert not verdict.build(CELLS, [], None, failed=True, fail_not_ready=False).passed  # e.g. a strict wire


def test_a_lost_cell_fails_it_and_gets_its_own_line() -> None:
    lost = Change("ollama-chat", "usage", "supported", "ignored", "usage 0/0")
    found = verdict.build(CELLS, [], [lost], failed=False, fail_not_ready=False)
    assert not found.passed
    assert "1 lost against the baseline" in verdict.line(found)
    assert verdict.lost_lines(found) == ["lost: ollama-chat / usage: supported -> ignored (usage 0/0)"]


def test_not_ready_is_named_and_fails_only_when_asked() -> None:
    tolerated = verdict.build(CELLS, [NOT_READY_ENTRY], None, failed=False, fail_not_ready=False)
    assert tolerated.passed and verdict.line(tolerated).endswith("1 NOT READY (support-bot on ollama-chat)")
    assert not verdict.build(CELLS, [NOT_READY_ENTRY], None, failed=False, fail_not_ready=True).passed


def test_inconclusive_cells_are_named_not_counted_as_differing() -> None:
    """pytest reports a weak model's inconclusive cell as xfailed (exit 0): the verdict must not say FAIL."""
    weak = Cell(
        "ollama-chat@live", "function_tools", "live", Outcome.INCONCLUSIVE, "wrote text", Outcome.SUPPORTED,
        allowed="--compat-allow-unconfirmed",
    )  # fmt: skip
    found = verdict.build([weak, *CELLS], [], None, failed=False, fail_not_ready=False)
    assert (found.passed, found.differing, found.unconfirmed) == (True, [], [])
    assert found.inconclusive == ["ollama-chat@live / function_tools"]
    assert verdict.line(found) == (
        "compat: PASS: 3 cells, 0 differ from their profiles, 1 inconclusive, no baseline, 0 NOT READY"
    )


@pytest.mark.parametrize("declared", [Outcome.SUPPORTED, Outcome.IGNORED, Outcome.UNSUPPORTED, Outcome.BROKEN])
def test_a_declared_answer_now_inconclusive_fails_as_unconfirmed(declared: Outcome) -> None:
    """Issue 29: a backend that drops what shows the answer reads inconclusive; declared, that is a failure."""
    quiet = Cell("gw", "handoffs", "live", Outcome.INCONCLUSIVE, "the answer does not follow ...", declared)
    assert quiet.unconfirmed and not quiet.as_expected
    found = verdict.build([quiet, *CELLS], [], None, failed=False, fail_not_ready=False)
    assert found.passed is False and found.differing == []
    assert found.unconfirmed == [
        f"gw / handoffs: declared {declared.value}, now unconfirmed (the answer does not follow ...)"
    ]
    assert verdict.line(found) == (
        "compat: FAIL: 3 cells, 0 differ from their profiles, 1 declared but now unconfirmed, no baseline, 0 NOT READY"
    )
    assert verdict.lost_lines(found) == [f"unconfirmed: {found.unconfirmed[0]}"]


def test_an_allowed_unconfirmed_cell_warns_and_passes() -> None:
    quiet = Cell("gw", "handoffs", "live", Outcome.INCONCLUSIVE, "no marker", Outcome.SUPPORTED, allowed="a 0.5B model")
    found = verdict.build([quiet, *CELLS], [], None, failed=False, fail_not_ready=False)
    assert (found.passed, found.unconfirmed) == (True, [])
    assert verdict.unconfirmed_lines(found) == [
        "warning: unconfirmed: gw / handoffs: declared supported, now unconfirmed (no marker); allowed: a 0.5B model"
    ]


def test_an_error_or_skipped_declaration_is_not_a_capability_answer() -> None:
    for declared in (Outcome.ERROR, Outcome.SKIPPED, None):
        assert not Cell("gw", "usage", "live", Outcome.INCONCLUSIVE, "r", declared).unconfirmed
    declared = _cell("usage", Outcome.INCONCLUSIVE, Outcome.INCONCLUSIVE)  # declared so: as expected, not named
    assert verdict.build([declared], [], None, failed=False, fail_not_ready=False).inconclusive == []


def test_the_mocked_baseline_line_is_unchanged() -> None:
    cells = [Cell.from_json(c) for c in json.loads(BASELINE.read_text())["cells"]]
    found = verdict.build(cells, [], [], failed=False, fail_not_ready=False)
    assert verdict.line(found) == (
        f"compat: PASS: {len(cells)} cells, 0 differ from their profiles, 0 lost against the baseline, 0 NOT READY"
    )
