"""The session's parts, one by one: parametrizing by row, connecting a row, judging a cell, the xdist
hand-over, the terminal's paths, and the scrubbing of test reports. tests/test_plugin.py runs them together."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from agents_compat.config.profiles import Profile, load_profiles
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import Cell, Observation, Outcome
from agents_compat.report import terminal
from agents_compat.running.backend import Backend
from agents_compat.session import collection, connect, judge, state, workers


def profile(name: str = "mine", **extra: Any) -> Profile:
    return Profile(name=name, family="ollama", api="chat_completions", model="m", **extra)


def test_a_workers_cells_reach_the_controllers_matrix_with_their_model_and_versions() -> None:
    row = profile()
    worker = Matrix(profiles={row.name: row.model_copy(update={"model": "told-by-env"})})
    worker.add(worker.profiles[row.name], Cell(row.name, "usage", "mocked", Outcome.SUPPORTED, "why", None))
    worker.versions[row.name] = "1.2.3"
    config = SimpleNamespace(workeroutput={})
    workers.send(config, worker, "tried 1.1.1.1")  # type: ignore[arg-type]
    sent = workers.sent_by(SimpleNamespace(workeroutput=config.workeroutput))
    assert sent is not None
    controller = Matrix(profiles={row.name: row})
    assert workers.merge(controller, sent) == "tried 1.1.1.1"
    assert controller.has(row.name, "usage") and controller.versions == {row.name: "1.2.3"}
    assert controller.profiles[row.name].model == "told-by-env"


def test_a_worker_with_no_cells_sends_nothing() -> None:
    config = SimpleNamespace(workeroutput={})
    workers.send(config, Matrix(), "")  # type: ignore[arg-type]
    assert config.workeroutput == {}
    assert workers.sent_by(SimpleNamespace()) is None  # a node that is no xdist worker


def test_a_rows_timeout_is_the_option_then_the_profile_then_the_tiers_default() -> None:
    def config(given: float | None) -> Any:
        return SimpleNamespace(getoption=lambda name: given)

    assert connect.timeout(config(3.0), profile(timeout=7.0)) == 3.0
    assert connect.timeout(config(None), profile(timeout=7.0)) == 7.0
    assert connect.timeout(config(None), profile()) == 10.0
    assert connect.timeout(config(None), load_profiles()["ollama-chat"].live_row()) == 120.0


def _item(row: Profile) -> Any:
    return SimpleNamespace(callspec=SimpleNamespace(params={"backend": row}))


def test_a_named_row_that_the_mark_expression_left_out_is_a_usage_error() -> None:
    builtin = load_profiles()["ollama-chat"]
    rows = [builtin, builtin.live_row()]
    config: Any = SimpleNamespace(option=SimpleNamespace(markexpr="mocked"))
    with pytest.raises(pytest.UsageError, match=r"--backend ollama-chat@live: -m 'mocked' leaves out this live row"):
        collection.check_left_out(config, [_item(rows[0])], rows, {"ollama-chat@live"})
    collection.check_left_out(config, [_item(rows[0])], rows, {"ollama-chat"})  # the named row ran
    live: Any = SimpleNamespace(option=SimpleNamespace(markexpr="live"))
    collection.check_left_out(live, [_item(rows[1])], rows, {"ollama-chat"})  # `-m live --backend X` runs X@live
    no_mark: Any = SimpleNamespace(option=SimpleNamespace(markexpr=""))
    collection.check_left_out(no_mark, [], rows, {"ollama-chat"})  # no -m: nothing was left out by it


def test_a_feature_that_does_not_apply_is_judged_skipped_without_running_the_scenario() -> None:
    seen: list[Observation] = []
    transport = httpx.MockTransport(lambda r: httpx.Response(500))
    backend = Backend(profile(), "http://127.0.0.1:1/v1", transport, api_key="k", timeout=1.0)
    marker = pytest.mark.feature("input_tokens").mark

    def item(feature_marker: Any) -> Any:
        funcargs = {"judge": seen.append, "backend": backend}
        return SimpleNamespace(funcargs=funcargs, get_closest_marker=lambda name: feature_marker)

    assert judge.not_applicable(item(marker)) is True
    assert [(o.outcome, o.reason) for o in seen] == [
        (Outcome.SKIPPED, "a Responses API feature; this profile's SDK path is Chat Completions")
    ]
    assert judge.not_applicable(item(pytest.mark.feature("plain_text").mark)) is None  # it applies: run it
    assert len(seen) == 1


def test_paths_are_shown_relative_to_the_working_directory_when_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert terminal.shown(tmp_path / "out") == "out"
    assert terminal.shown(Path("/elsewhere/out")) == "/elsewhere/out"


class Lines:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def write_sep(self, sep: str, title: str, **markup: bool) -> None:
        self.lines.append(f"{sep} {title}")

    def write_line(self, line: str, **markup: bool) -> None:
        self.lines.append(line)


def test_a_session_without_a_report_shows_only_its_outbound_attempts() -> None:
    shown = Lines()
    parts: dict[str, Any] = dict(written=None, cassettes=0, cassettes_failed="", held=[], found=None, baseline=None)
    terminal.summary(shown, SimpleNamespace(), None, outbound="tried 1.1.1.1:443", **parts)  # type: ignore[arg-type]
    assert shown.lines == ["! launched servers tried to reach off this machine: the session fails", "tried 1.1.1.1:443"]
    quiet = Lines()
    terminal.summary(quiet, SimpleNamespace(), None, outbound="", **parts)  # type: ignore[arg-type]
    assert quiet.lines == []


def test_a_scenarios_test_report_loses_the_rows_keys() -> None:
    key = "sk-secret-123456"
    report = pytest.TestReport(
        "scenarios/x.py::t", ("x", 1, "t"), {}, "skipped", ("x.py", 3, f"refused {key}"), "call", [("out", f"k={key}")]
    )
    state._scrub_report(report, (key,))
    assert key not in str(report.longrepr) and key not in report.sections[0][1]
    assert report.longrepr == ("x.py", 3, "refused ***")


def test_the_rows_named_with_backend_are_split_on_commas() -> None:
    config: Any = SimpleNamespace(getoption=lambda name: ["a, b", "c", " "])
    assert state.row_names(config) == ["a", "b", "c"]
