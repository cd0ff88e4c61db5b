"""Backends that answer far too much, or not at all: bounded memory and report size, and a fast end."""

from __future__ import annotations

import json
import re
import time

import pytest

from harness.features import FEATURE_IDS
from harness.hostile import huge_answers, silent
from harness.testing import run_suites

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def url_profile(pytester: pytest.Pytester, name: str, base_url: str, api: str = "chat_completions") -> None:
    pytester.makefile(
        ".toml",
        **{
            name: f'[profiles.{name}]\nfamily = "custom"\napi = "{api}"\nmodel = "m"\nreach = "url"\n'
            f'base_url = "{base_url}"\n'
        },
    )


@pytest.mark.parametrize("api", ["chat_completions", "responses"])
def test_a_50_mb_answer_is_cut_at_the_cap_and_the_cell_is_broken_with_its_size(
    pytester: pytest.Pytester, api: str
) -> None:
    with huge_answers() as base_url:
        url_profile(pytester, "huge", base_url, api)
        result = run_suites(
            pytester,
            *("-m", "live", "--backends", "huge.toml", "--backend", "huge", "--compat-max-body", "1M"),
            *("-k", "test_plain_text or test_streaming"),
        )
    result.assert_outcomes(passed=3)
    report_file = pytester.path / "out" / "compat-matrix.json"
    cells = json.loads(report_file.read_text())["cells"]
    assert len(cells) == 3
    for cell in cells:
        assert cell["outcome"] == "broken", cell["reason"]
        assert "over the 1048576-byte cap" in cell["reason"], cell["reason"]
        body = cell["exchanges"][0]["response"]["body"]
        assert isinstance(body, str) and body.startswith("[a response body over the 1048576-byte cap"), body[:200]
    for name in ("compat-matrix.json", "compat-matrix.html", "compat-matrix.md"):
        assert (pytester.path / "out" / name).stat().st_size < 400_000, name


def test_max_body_must_be_a_size(pytester: pytest.Pytester) -> None:
    result = run_suites(pytester, "--compat-max-body", "lots")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--compat-max-body: expected a positive size such as 8M*"])


def test_a_backend_that_never_answers_costs_about_two_cell_timeouts(pytester: pytest.Pytester) -> None:
    timeout = 1.0
    with silent() as base_url:
        url_profile(pytester, "silent", base_url)
        started = time.perf_counter()
        result = run_suites(
            pytester,
            *("-m", "live", "--backends", "silent.toml", "--backend", "silent", "--compat-timeout", str(timeout)),
        )
        wall = time.perf_counter() - started
    cells = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]
    assert len(cells) == len(FEATURE_IDS)
    ran = [c for c in cells if c["outcome"] != "skipped"]
    assert all(c["outcome"] == "error" for c in ran), [(c["feature"], c["reason"]) for c in ran]
    fast = [c for c in ran if "backend not answering since" in c["reason"]]
    assert len(fast) >= len(ran) - 2, [(c["feature"], c["reason"]) for c in ran]
    result.assert_outcomes(passed=len(cells) - len(ran), failed=len(ran))  # an error is never green
    assert re.search(r"backend not answering since \d\d:\d\d:\d\d UTC", fast[0]["reason"])
    # error_surfacing asks with the SDK's default two retries: its backoff (~1.5 s) is the SDK's own.
    assert sum(c["seconds"] for c in cells) < 2 * timeout + 4.0, "; ".join(
        f"{c['feature']} {c['seconds']} {c['reason'][:60]}" for c in cells
    )
    assert wall < 2 * timeout + 15, wall  # imports and the session's own start included
