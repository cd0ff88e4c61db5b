"""Backends that answer far too much, compressed, not at all or not to the end: bounded memory and report size,
verdicts from decoded bytes, and a fast end."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.emulators import create
from agents_compat.emulators.hostile import compressing, gzip_bomb, huge_answers, many_events, serving, silent, stalls
from agents_compat.emulators.serve import make_server
from agents_compat.testing import run_suites

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def url_profile(
    pytester: pytest.Pytester, name: str, base_url: str, api: str = "chat_completions", model: str = "m"
) -> None:
    pytester.makefile(
        ".toml",
        **{
            name: f'[profiles.{name}]\nfamily = "custom"\napi = "{api}"\nmodel = "{model}"\nreach = "url"\n'
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


def _cells(pytester: pytest.Pytester) -> list[dict[str, Any]]:
    cells: list[dict[str, Any]] = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]
    return cells


@contextmanager
def _served(family: str, model: str) -> Iterator[str]:
    with serving(make_server(create(family, model), port=0)) as url:
        yield url


@pytest.mark.parametrize(
    ("family", "api", "coding"), [("ollama", "chat_completions", "gzip"), ("vllm", "responses", "deflate")]
)
def test_a_compressed_backend_gets_the_same_cells_as_the_same_backend_uncompressed(
    pytester: pytest.Pytester, family: str, api: str, coding: str
) -> None:
    model = "qwen3:0.6b"
    rows: dict[str, list[tuple[str, str, str]]] = {}
    for name in ("plain", "squeezed"):
        # A fresh emulator per row: its response ids count from the start again, and reasons name them.
        with _served(family, model) as plain, compressing(plain, coding) as squeezed:
            url_profile(pytester, name, squeezed if name == "squeezed" else plain, api, model)
            run_suites(pytester, *("-m", "live", "--backends", f"{name}.toml", "--backend", name))
        cells = _cells(pytester)
        rows[name] = [(c["feature"], c["outcome"], c["reason"]) for c in cells]
        if name == "squeezed":
            exchanges = [e for c in cells for e in c["exchanges"]]
            encoded = [e for e in exchanges if e["response"]["headers"].get("content-encoding") == coding]
            assert encoded, "the wrapper compressed nothing: the comparison would prove nothing"
            # Evidence is the decoded answer, not compressed bytes.
            assert all("\ufffd" not in json.dumps(e["response"]["body"]) for e in encoded), encoded[0]["response"]
            assert any(isinstance(e["response"]["body"], dict | list) for e in encoded)
            assert all(e["request"]["headers"].get("accept-encoding") == "gzip, deflate" for e in exchanges)
    supported = [feature for feature, outcome, _ in rows["plain"] if outcome == "supported"]
    assert len(supported) >= 5, rows["plain"]
    assert rows["squeezed"] == rows["plain"]


def test_a_gzip_bomb_is_cut_at_the_cap_on_its_decoded_size(pytester: pytest.Pytester) -> None:
    with gzip_bomb(512 * 1024 * 1024) as base_url:
        url_profile(pytester, "bomb", base_url)
        result = run_suites(
            pytester,
            *("-m", "live", "--backends", "bomb.toml", "--backend", "bomb", "--compat-max-body", "1M"),
            *("-k", "test_plain_text"),
        )
    result.assert_outcomes(passed=1)
    (cell,) = _cells(pytester)
    assert cell["outcome"] == "broken", cell["reason"]
    assert "over the 1048576-byte cap once decoded (gzip:" in cell["reason"], cell["reason"]
    assert (pytester.path / "out" / "compat-matrix.json").stat().st_size < 100_000


def test_a_backend_that_stalls_after_its_headers_costs_about_two_cell_timeouts(pytester: pytest.Pytester) -> None:
    timeout = 1.0
    with stalls(events=3) as base_url:
        url_profile(pytester, "stalls", base_url, "responses")
        started = time.perf_counter()
        run_suites(
            pytester,
            *("-m", "live", "--backends", "stalls.toml", "--backend", "stalls", "--compat-timeout", str(timeout)),
        )
        wall = time.perf_counter() - started
    cells = _cells(pytester)
    ran = [c for c in cells if c["outcome"] != "skipped"]
    assert len(ran) > 10 and all(c["outcome"] == "error" for c in ran), [(c["feature"], c["reason"]) for c in ran]
    fast = [c for c in ran if "backend not answering since" in c["reason"]]
    assert len(fast) >= len(ran) - 2, [(c["feature"], c["reason"]) for c in ran]
    assert "got no complete response; the last: headers and " in fast[0]["reason"], fast[0]["reason"]
    slow = [c for c in ran if c not in fast]
    stream = next(c for c in slow if c["feature"] == "plain_text" or "events" in c["reason"])
    assert re.search(
        r"no complete answer within the cell timeout \(1\.0 s\): headers and (3 events \(\d+ bytes\)|\d+ of 1000 body "
        r"bytes), then nothing for (0\.[5-9]|1\.0) s",
        stream["reason"],
    ), stream["reason"]
    stalled, quiet = stream["exchanges"][-1], re.search(r"then nothing for (\d\.\d) s", stream["reason"])
    assert quiet and stalled["seconds"] >= float(quiet[1]) - 0.05, stalled  # to the exchange's end, not its headers
    # As for a silent backend: two cell timeouts, and error_surfacing's SDK retry backoff (~1.5 s, the SDK's own).
    assert sum(c["seconds"] for c in cells) < 2 * timeout + 4.0, [(c["feature"], c["seconds"]) for c in cells]
    assert wall < 2 * timeout + 15, wall


def test_a_stream_still_flowing_at_the_cut_is_named_as_such_and_is_no_dead_backend(pytester: pytest.Pytester) -> None:
    with many_events(end=False) as base_url:
        url_profile(pytester, "flood", base_url)
        run_suites(
            pytester,
            *("-m", "live", "--backends", "flood.toml", "--backend", "flood", "--compat-timeout", "2"),
            *("--compat-max-body", "64M", "-k", "test_streaming or test_plain_text"),
        )
    cells = {c["feature"]: c for c in _cells(pytester)}
    reason = cells["streaming"]["reason"]
    assert re.search(r"headers and [\d,]{3,} events \([\d,]+ bytes\), still arriving when it was cut", reason), reason
    assert "not answering" not in cells["plain_text"]["reason"], cells["plain_text"]["reason"]
    response = cells["streaming"]["exchanges"][-1]["response"]
    assert response["events_total"] > 200 and len(response["body"]) == 200, response["events_total"]


def test_the_evidence_of_a_stream_of_many_events_is_bounded(pytester: pytest.Pytester) -> None:
    count = 50_000  # 800,000 in benchmarks/bench_hostile.py; the bound is the same
    with many_events(count) as base_url:
        url_profile(pytester, "many", base_url)
        run_suites(
            pytester,
            *("-m", "live", "--backends", "many.toml", "--backend", "many", "--compat-max-body", "64M"),
            *("-k", "test_streaming and not tool", "--compat-timeout", "60"),
        )
    (cell,) = _cells(pytester)
    response = cell["exchanges"][-1]["response"]
    assert response["events_total"] == count + 3, response.get("events_total")  # opening, deltas, stop, [DONE]
    assert response["body"][-1]["data"] == "[DONE]" and len(response["body"]) <= 200
    assert response["size"] > count * 50
    for name in ("compat-matrix.json", "compat-matrix.html", "compat-matrix.md"):
        assert (pytester.path / "out" / name).stat().st_size < 400_000, name
