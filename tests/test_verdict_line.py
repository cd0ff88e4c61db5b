"""Every report opens with one line saying whether the run passed and why not, and lists what was lost."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.report.markdown import md_text
from agents_compat.testing import run_suites

BASELINE = Path(__file__).parent.parent / "fixtures" / "baseline" / "mocked.json"


def test_a_loss_is_the_first_line_of_every_report(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    summary = pytester.path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    baseline = json.loads(BASELINE.read_text())
    for cell in baseline["cells"]:
        if (cell["backend"], cell["feature"]) == ("ollama-chat", "tool_choice_required"):
            cell["outcome"] = "supported"  # the baseline had it; this run (ignored, as declared) lost it
    (pytester.path / "baseline.json").write_text(json.dumps(baseline))
    result = run_suites(pytester, "-m", "mocked", "--backend", "ollama-chat", "--compat-baseline", "baseline.json")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    cells = len(FEATURE_IDS)  # the row's every feature, skipped ones included
    line = f"compat: FAIL: {cells} cells, 0 differ from their profiles, 1 lost against the baseline, 0 NOT READY"
    lost = "lost: ollama-chat / tool_choice_required: supported -> ignored ("
    result.stdout.fnmatch_lines([f"{line}"])
    out = pytester.path / "out"
    markdown = (out / "compat-matrix.md").read_text()
    assert markdown.startswith(f"**{line}**\n\n- {md_text(lost)}")  # backend text in Markdown is escaped
    assert summary.read_text().startswith(f"**{line}**")
    report = json.loads((out / "compat-matrix.json").read_text())
    assert list(report)[0] == "verdict"
    assert report["verdict"]["passed"] is False
    assert [c["feature"] for c in report["verdict"]["lost"]] == ["tool_choice_required"]
    html = (out / "compat-matrix.html").read_text()
    body = html[html.index("<body>") :]
    assert body.startswith(f'<body><p class="verdict fail"><b>{line}</b></p><ul><li>{escape(lost)}')


def test_not_ready_fails_the_run_only_when_asked(pytester: pytest.Pytester) -> None:
    # usage is broken on the translated GoModel row (its stream's usage): no workaround holds for a broken feature.
    args = ("-m", "mocked", "--backend", "gomodel-translated", "-k", "usage", "--compat-agent", "meter:usage")
    quiet = run_suites(pytester, *args)
    quiet.assert_outcomes(passed=1)
    assert quiet.ret == pytest.ExitCode.OK
    quiet.stdout.fnmatch_lines(["compat: PASS: 1 cells, *, 1 NOT READY (meter on gomodel-translated)"])
    strict = run_suites(pytester, *args, "--compat-fail-not-ready")
    assert strict.ret == pytest.ExitCode.TESTS_FAILED
    strict.stdout.fnmatch_lines(["compat: FAIL: 1 cells, *, 1 NOT READY (meter on gomodel-translated)"])
    report = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())
    assert report["verdict"]["not_ready"] == ["meter on gomodel-translated"]
