"""agents_compat/judging/agreement.py: each live cell beside its profile's mocked cell, every disagreement listed."""

from __future__ import annotations

import pytest

from agents_compat.config.profiles import Difference, Profile, load_profiles
from agents_compat.judging import agreement
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import Cell, Outcome
from tests.reports import report_of


def _profile(differs: dict[str, Difference] | None = None) -> Profile:
    profile = load_profiles()["llamacpp-chat"]
    assert profile.live is not None
    if differs:
        live_spec = profile.live.model_copy(update={"differs": differs})
        profile = profile.model_copy(update={"live": live_spec})
    return profile


def _matrix_with(live: Outcome, mocked: Outcome | None, differs: dict[str, Difference] | None = None) -> Matrix:
    profile = _profile(differs)
    matrix = Matrix()
    if mocked is not None:
        matrix.add(profile, Cell("llamacpp-chat", "usage", "mocked", mocked, "mocked reason", None))
    matrix.add(profile.live_row(), Cell("llamacpp-chat@live", "usage", "live", live, "live reason", None))
    return matrix


@pytest.mark.parametrize(
    ("live", "mocked", "verdict", "why"),
    [
        (Outcome.SUPPORTED, Outcome.SUPPORTED, "agree", ""),
        (Outcome.BROKEN, Outcome.SUPPORTED, "unexplained", "live reason"),
        (Outcome.INCONCLUSIVE, Outcome.SUPPORTED, "not compared", "live reason"),
        (Outcome.ERROR, Outcome.SUPPORTED, "not compared", "live reason"),
    ],
)
def test_agreement_verdicts(live: Outcome, mocked: Outcome, verdict: str, why: str) -> None:
    [found] = agreement.compare(_matrix_with(live, mocked))
    assert (found.profile, found.feature, found.verdict, found.why) == ("llamacpp-chat", "usage", verdict, why)
    assert (found.mocked, found.live) == (mocked, live)


def test_an_explained_difference_and_a_baseline_twin() -> None:
    differs = {"usage": Difference(outcome=Outcome.BROKEN, why="measured")}
    baseline = report_of([{"backend": "llamacpp-chat", "feature": "usage", "tier": "mocked", "outcome": "supported"}])
    [found] = agreement.compare(_matrix_with(Outcome.BROKEN, None, differs), baseline.cells)
    assert (found.verdict, found.why, found.mocked) == ("explained", "measured", Outcome.SUPPORTED)
    assert "1 explained" in agreement.render([found])


def test_a_difference_declared_for_another_outcome_explains_nothing() -> None:
    differs = {"usage": Difference(outcome=Outcome.IGNORED, why="measured")}
    [found] = agreement.compare(_matrix_with(Outcome.BROKEN, Outcome.SUPPORTED, differs))
    assert (found.verdict, found.why) == ("unexplained", "live reason")


def test_the_sessions_mocked_cell_wins_over_the_report_and_only_mocked_report_cells_count() -> None:
    cells = [
        {"backend": "llamacpp-chat", "feature": "usage", "tier": "mocked", "outcome": "broken"},
        {"backend": "llamacpp-chat", "feature": "usage", "tier": "live", "outcome": "ignored"},
    ]
    [found] = agreement.compare(_matrix_with(Outcome.SUPPORTED, Outcome.SUPPORTED), report_of(cells).cells)
    assert (found.mocked, found.verdict) == (Outcome.SUPPORTED, "agree")
    live_only = report_of(cells[1:]).cells
    [found] = agreement.compare(_matrix_with(Outcome.SUPPORTED, None), live_only)
    assert (found.mocked, found.verdict, found.why) == (None, "not compared", "no mocked cell to compare with")


def test_rows_without_a_twin_are_not_compared() -> None:
    matrix = Matrix()
    matrix.add(_profile(), Cell("llamacpp-chat", "usage", "mocked", Outcome.SUPPORTED, "", None))
    assert agreement.compare(matrix) == []


def test_render_counts_first_then_one_line_per_disagreement() -> None:
    comparisons = [
        agreement.Comparison("a", "usage", Outcome.SUPPORTED, Outcome.SUPPORTED, "agree", ""),
        agreement.Comparison("b", "streaming", Outcome.SUPPORTED, Outcome.BROKEN, "unexplained", "cut"),
        agreement.Comparison("c", "usage", None, Outcome.ERROR, "not compared", "no server"),
    ]
    lines = agreement.render(comparisons).splitlines()
    assert lines[0] == "mocked vs live: 1 agree, 0 explained, 1 unexplained, 1 not compared"
    assert len(lines) == 3  # the agreeing cell gets no line
    assert lines[1].split() == ["unexplained", "b", "streaming", "mocked", "supported", "live", "broken:", "cut"]
    assert lines[2].split() == ["not", "compared", "c", "usage", "mocked", "-", "live", "error:", "no", "server"]
    assert agreement.render([]) == ""
