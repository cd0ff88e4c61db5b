"""The GitHub Actions workflow users copy: valid for actionlint, and wired to the tiers and reports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOW = Path(__file__).parent.parent / ".github" / "workflows" / "compat.yml"
INSTALL = (
    "pip install -e '.[actionlint]' (downloads the binary from github.com) or "
    "GOBIN=.venv/bin go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"
)


def actionlint() -> str | None:
    beside_python = Path(sys.executable).parent / "actionlint"
    return str(beside_python) if beside_python.exists() else shutil.which("actionlint")


def test_actionlint_accepts_the_workflow() -> None:
    found = actionlint()
    if found is None:
        pytest.skip(f"needs actionlint: {INSTALL}")
    done = subprocess.run([found, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mocked_tier_on_every_change_live_on_a_schedule_and_every_report_uploaded() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "github.event_name == 'push' || github.event_name == 'pull_request'" in text
    assert "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'" in text
    assert "python -m harness matrix --report-dir reports" in text
    assert "python -m harness matrix --tier live --report-dir reports" in text
    assert text.count("uses: actions/upload-artifact@") == 2
    for name in ("compat-matrix.json", "compat-matrix.md", "compat-matrix.html"):
        assert text.count(f"reports/{name}") == 2
