"""Everyday pytest options work with the scenario suites: reports, selection, stopping, re-running, order."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.testing import run_suites

# openai-chat declared wrong on one feature: one failing cell to stop at, re-run and report.
WRONG = '[profiles.openai-chat.expect]\nplain_text = "broken"\n'


def cells(pytester: pytest.Pytester) -> list[dict]:
    return json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]


@pytest.mark.parametrize("flag", ["-ra", "-rs", "-rA"])
def test_summary_flags_report_a_live_skip_whose_reason_held_a_key(pytester: pytest.Pytester, flag: str) -> None:
    # The key is part of the profile's name, so the skip reason is scrubbed: it must keep the shape -rs folds.
    pytester.makefile(
        ".toml",
        mine='[profiles.gw-abcdefgh]\nfamily = "custom"\napi = "responses"\nmodel = "m"\n'
        'reach = "url"\nbase_url_env = "COMPAT_NOT_SET_URL"\napi_key = "abcdefgh"\n',
    )
    result = run_suites(pytester, "-m", "live", "--backends", "mine.toml", "--backend", "gw-*", flag)
    result.assert_outcomes(skipped=len(FEATURE_IDS))
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["SKIPPED [[]*[]] *: gw-***: no base URL: set $COMPAT_NOT_SET_URL*"])
    assert "abcdefgh" not in result.stdout.str()


def test_minus_x_stops_at_the_first_differing_cell_and_still_reports(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", wrong=WRONG)
    result = run_suites(pytester, "-m", "mocked", "--backends", "wrong.toml", "--backend", "openai-chat", "-x")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["openai-chat mocked +[*]", "*stopping after 1 failures*"])
    assert [c["feature"] for c in cells(pytester) if not c["as_expected"]] == ["plain_text"]


def test_minus_k_selects_cells(pytester: pytest.Pytester) -> None:
    result = run_suites(pytester, "-m", "mocked", "-k", "plain_text and (ollama-chat or openai-chat)")
    result.assert_outcomes(passed=2)
    assert sorted(c["backend"] for c in cells(pytester)) == ["ollama-chat", "openai-chat"]


def test_last_failed_reruns_only_the_differing_cell(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", wrong=WRONG)
    args = ("--pyargs", "agents_compat.scenarios", "-m", "mocked")
    args += ("--backends", "wrong.toml", "--backend", "openai-chat")
    out = ("--compat-report-dir", str(pytester.path / "out"))
    first = pytester.runpytest_inprocess(*args, *out)  # the cache provider on: --lf needs it
    first.assert_outcomes(passed=len(FEATURE_IDS) - 1, failed=1)
    again = pytester.runpytest_inprocess(*args, *out, "--lf")
    again.assert_outcomes(failed=1, deselected=len(FEATURE_IDS) - 1)
    again.stdout.fnmatch_lines(["*run-last-failure: rerun previous 1 failure*"])
    assert [(c["feature"], c["outcome"]) for c in cells(pytester)] == [("plain_text", "supported")]


def test_rows_keep_the_profiles_order_whatever_order_tests_run_in(pytester: pytest.Pytester) -> None:
    # What pytest-randomly (or -p no:randomly, or any reordering plugin) does to the test order.
    pytester.makeconftest("def pytest_collection_modifyitems(items):\n    items.reverse()\n")
    result = run_suites(pytester, "-m", "mocked", "--backend", "openai-chat,ollama-chat", "-p", "no:randomly")
    result.assert_outcomes(passed=2 * len(FEATURE_IDS))
    report = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())
    assert [b["name"] for b in report["backends"]] == ["openai-chat", "ollama-chat"]
    assert [c["feature"] for c in report["cells"][: len(FEATURE_IDS)]] == list(FEATURE_IDS)
    text = result.stdout.str()
    assert text.index("\nopenai-chat ") < text.index("\nollama-chat ")


def test_report_dir_is_where_the_option_says(pytester: pytest.Pytester) -> None:
    result = run_suites(pytester, "-m", "mocked", "--backend", "openai-chat", "-k", "plain_text")
    result.assert_outcomes(passed=1)
    assert Path(pytester.path / "out" / "compat-matrix.json").is_file()


BASELINE = Path(__file__).parent.parent / "fixtures" / "baseline" / "mocked.json"


def test_xdist_workers_cells_are_judged_once_in_the_controller(pytester: pytest.Pytester) -> None:
    # A baseline in which ollama-chat honoured tool_choice: the run (which ignores it, as declared) lost it.
    baseline = json.loads(BASELINE.read_text())
    for cell in baseline["cells"]:
        if (cell["backend"], cell["feature"]) == ("ollama-chat", "tool_choice_required"):
            assert cell["outcome"] == "ignored"
            cell["outcome"] = "supported"
    (pytester.path / "baseline.json").write_text(json.dumps(baseline))
    backends = "ollama-chat,openai-chat"
    result = run_suites(
        pytester, "-n", "2", "-m", "mocked", "--backend", backends, "--compat-baseline", "baseline.json", "-p", "xdist"
    )
    result.assert_outcomes(passed=2 * len(FEATURE_IDS))
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the loss fails the session, as without -n
    result.stdout.fnmatch_lines(
        [
            "*Agents SDK compatibility matrix*",
            "ollama-chat *mocked*",
            "openai-chat *mocked*",
            "lost    ollama-chat / tool_choice_required: supported -> ignored*",
            "baseline: 1 lost: the session fails",
        ]
    )
    assert len(cells(pytester)) == 2 * len(FEATURE_IDS)
