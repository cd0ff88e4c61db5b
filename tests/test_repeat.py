"""Repeated live cells: the folding rule, and K runs against a real local HTTP server."""

from __future__ import annotations

import json

import pytest

from agents_compat.judging.repeat import fold, stats
from agents_compat.outcomes import Observation, Outcome
from agents_compat.testing import run_suites

S, INC, BRK, ERR, IGN = (Outcome.SUPPORTED, Outcome.INCONCLUSIVE, Outcome.BROKEN, Outcome.ERROR, Outcome.IGNORED)


def runs(*outcomes: Outcome) -> list[Observation]:
    return [Observation(o, f"run {n} {o.value}") for n, o in enumerate(outcomes, 1)]


def test_the_same_outcome_every_time_is_that_outcome() -> None:
    assert fold(runs(S, S, S)) == Observation(S, "3 of 3 runs: run 3 supported")
    assert fold(runs(BRK)) == Observation(BRK, "run 1 broken")


def test_supported_in_any_run_keeps_it_with_the_rate() -> None:
    """One run the wire shows honoured is the backend's answer; the model missed the others (issue 29)."""
    folded = fold(runs(INC, S, INC))
    assert folded.outcome is S
    assert folded.reason == "supported in 1 of 3 runs (run 2 supported); the model missed the rest: run 1 inconclusive"


def test_inconclusive_in_every_run_stays_inconclusive() -> None:
    assert fold(runs(INC, INC, INC)) == Observation(INC, "3 of 3 runs: run 3 inconclusive")


def test_any_protocol_failure_wins_over_success() -> None:
    assert fold(runs(S, S, BRK)) == Observation(BRK, "broken in 1 of 3 runs: run 3 broken")
    assert fold(runs(IGN, BRK, IGN, S)).outcome is IGN  # the most frequent protocol outcome
    assert fold(runs(IGN, BRK, S)).outcome is BRK  # a tie goes to the more serious one


def test_stats_count_every_outcome() -> None:
    assert stats(runs(S, INC, S)) == {"total": 3, "supported": 2, "outcomes": {"supported": 2, "inconclusive": 1}}


def test_a_live_row_runs_each_cell_k_times(pytester: pytest.Pytester, served_ollama: str) -> None:
    expect = "\n".join(f'{f} = "supported"' for f in ("plain_text", "function_tools"))
    pytester.makefile(
        ".toml",
        live=f'[profiles.served]\nfamily = "ollama"\napi = "chat_completions"\n'
        f'model = "qwen3:0.6b"\nreach = "url"\nbase_url = "{served_ollama}"\n'
        f"[profiles.served.expect]\n{expect}\n",
    )
    result = run_suites(
        pytester,
        "-m",
        "live",
        "--backends",
        "live.toml",
        "--backend",
        "served",
        "--compat-repeat",
        "3",
        "-k",
        "plain_text or function_tools",
        "-v",
    )
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(
        ["*test_plain_text[[]served-run1[]] PASSED*", "*test_plain_text[[]served-run3[]] PASSED*"]
    )
    cells = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]
    assert [(c["feature"], c["runs"]["total"], c["runs"]["supported"]) for c in cells] == [
        ("plain_text", 3, 3),
        ("function_tools", 3, 3),
    ]
    assert all(c["reason"].startswith("3 of 3 runs: ") for c in cells)


def test_repeat_must_be_positive(pytester: pytest.Pytester) -> None:
    result = run_suites(pytester, "--compat-repeat", "0")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--compat-repeat must be 1 or more (got 0)*"])


def test_a_url_profile_takes_its_model_from_the_environment(
    pytester: pytest.Pytester, served_ollama: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SERVED_MODEL", "qwen3:0.6b")
    pytester.makefile(
        ".toml",
        live=f'[profiles.served]\nfamily = "ollama"\napi = "chat_completions"\nmodel = "not-served"\n'
        f'reach = "url"\nbase_url = "{served_ollama}"\nmodel_env = "SERVED_MODEL"\n',
    )
    result = run_suites(pytester, "-m", "live", "--backends", "live.toml", "--backend", "served", "-k", "plain_text")
    result.assert_outcomes(passed=1)
    cell = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"][0]
    assert cell["outcome"] == "supported"
    assert cell["exchanges"][0]["request"]["body"]["model"] == "qwen3:0.6b"
