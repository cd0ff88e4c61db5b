"""The report model: built once at session finish, its JSON checked against its schema, every output from it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from agents_compat.config.profiles import load_profiles
from agents_compat.judging import readiness
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import DIFFERS, LEGEND, Cell, Outcome
from agents_compat.report import Report
from agents_compat.report.build import build
from agents_compat.report.diff import render
from agents_compat.testing import run_suites
from tests.reports import report_of

ROOT = Path(__file__).parent.parent
SCHEMA_FILE = ROOT / "docs" / "compat-matrix.schema.json"
BASELINE = ROOT / "fixtures" / "baseline" / "mocked.json"


def closed(schema: Any) -> Any:
    """The schema with every object that lists its properties closed to others: a renamed key fails too."""
    schema = copy.deepcopy(schema)

    def close(node: Any) -> None:
        if isinstance(node, dict):
            if "properties" in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


def validate(data: dict[str, Any]) -> None:
    jsonschema.validate(data, closed(Report.json_schema()))


def test_the_published_schema_is_the_models() -> None:
    assert json.loads(SCHEMA_FILE.read_text()) == Report.json_schema(), (
        "docs/compat-matrix.schema.json is stale: regenerate it with "
        "python -c 'import json; from agents_compat.report import Report; "
        "print(json.dumps(Report.json_schema(), indent=2))'"
    )


def test_a_sessions_json_file_matches_the_schema(pytester: pytest.Pytester) -> None:
    result = run_suites(
        pytester,
        *("-m", "mocked", "--backend", "ollama-chat,gomodel-translated", "-k", "plain_text or usage or handoffs"),
        *("--compat-agent", "meter:usage,handoffs", "--compat-baseline", str(BASELINE)),
    )
    result.assert_outcomes(passed=6)
    data = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())
    assert data["readiness"] and data["verdict"]["baseline"]
    validate(data)
    assert Report.model_validate(data).to_json() == data  # the file reads back into the same model


def _live_matrix(live: Outcome) -> Matrix:
    profile = load_profiles()["llamacpp-chat"]
    matrix = Matrix()
    matrix.add(profile, Cell("llamacpp-chat", "usage", "mocked", Outcome.SUPPORTED, "mocked", Outcome.SUPPORTED))
    matrix.add(profile.live_row(), Cell("llamacpp-chat@live", "usage", "live", live, "live", Outcome.SUPPORTED))
    return matrix


def test_an_interrupted_report_with_a_live_comparison_matches_the_schema() -> None:
    agents = [readiness.AgentSpec("meter", ("usage",))]
    report, found = build(_live_matrix(Outcome.SUPPORTED), agents=agents, interrupted=True)
    data = report.to_json()
    assert list(data)[:2] == ["interrupted", "verdict"] and found is None
    assert data["mocked_vs_live"] == [
        {"profile": "llamacpp-chat", "feature": "usage", "mocked": "supported", "live": "supported",
         "verdict": "agree", "why": ""},
    ]  # fmt: skip
    validate(data)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["cells"][0].pop("as_expected"), "as_expected"),
        (lambda d: d["cells"][0].update(outcome="fine"), "fine"),
        (lambda d: d["verdict"].update(passes=True), "passes"),
        (lambda d: d.pop("mocked_vs_live"), "mocked_vs_live"),
    ],
)
def test_the_schema_check_can_fail(change: Any, where: str) -> None:
    data = build(_live_matrix(Outcome.SUPPORTED))[0].to_json()
    change(data)
    with pytest.raises(jsonschema.ValidationError, match=where):
        validate(data)


def test_a_cells_json_keeps_the_order_reports_always_had() -> None:
    cell = Cell("ollama-chat", "usage", "mocked", Outcome.IGNORED, "why", None, seconds=0.123456)
    assert list(cell.to_json()) == [
        "backend", "feature", "tier", "outcome", "expected", "as_expected", "unconfirmed", "allowed", "reason",
        "strict", "runs", "server_logs", "seconds", "exchanges",
    ]  # fmt: skip
    assert cell.to_json()["seconds"] == 0.1235 and cell.to_json()["as_expected"] is True
    assert Cell.from_json(cell.to_json()).to_json() == cell.to_json()


def test_one_legend_table_for_every_outcome() -> None:
    assert set(LEGEND) == set(Outcome)
    marks = [entry.mark for entry in LEGEND.values()] + [DIFFERS.mark]
    symbols = [entry.symbol for entry in LEGEND.values()]
    assert all(len(mark) == 1 and mark.isascii() for mark in marks)  # one column per cell in the terminal
    assert len(set(marks)) == len(marks) and len(set(symbols)) == len(symbols)


def test_reports_are_written_without_the_terminal_plugin(pytester: pytest.Pytester) -> None:
    """The files are written at session finish, not by the terminal summary: -p no:terminal still gets them."""
    result = run_suites(pytester, "-p", "no:terminal", "-m", "mocked", "--backend", "ollama-chat", "-k", "plain_text")
    assert result.ret == pytest.ExitCode.OK
    out = pytester.path / "out"
    data = json.loads((out / "compat-matrix.json").read_text())
    assert [c["feature"] for c in data["cells"]] == ["plain_text"] and data["verdict"]["passed"] is True
    assert (out / "compat-matrix.md").read_text().startswith("**compat: PASS: 1 cells")
    assert (out / "compat-matrix.html").read_text().rstrip().endswith("</html>")


def _baseline_of(*rows: tuple[str, str, str]) -> Report:
    """A kept baseline: (row, tier, usage outcome) per row."""
    return report_of(
        [{"backend": name, "feature": "usage", "tier": tier, "outcome": outcome} for name, tier, outcome in rows],
        backends=[{"name": name, "tier": tier} for name, tier, _ in rows],
    )


def test_live_rows_meet_a_mocked_baseline_in_the_mocked_vs_live_list_not_as_new_backends() -> None:
    _, found = build(_live_matrix(Outcome.UNSUPPORTED), baseline=_baseline_of(("llamacpp-chat", "mocked", "supported")))
    assert found is not None and found.compared == 1 and found.lost == []
    assert found.new_backends == [] and found.other_tier == ["llamacpp-chat@live"]
    assert "not compared with this baseline, which has no rows of their tier: llamacpp-chat@live" in render(found)


def test_a_baseline_with_live_rows_compares_them() -> None:
    kept = _baseline_of(("llamacpp-chat", "mocked", "supported"), ("llamacpp-chat@live", "live", "supported"))
    _, found = build(_live_matrix(Outcome.UNSUPPORTED), baseline=kept)
    assert found is not None and found.compared == 2 and found.other_tier == []
    assert [(c.backend, c.new) for c in found.lost] == [("llamacpp-chat@live", "unsupported")]
