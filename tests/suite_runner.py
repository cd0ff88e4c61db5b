"""Run the scenario suites inside a test, through pytester, as a user's project would."""

from __future__ import annotations

from pathlib import Path

import pytest


def run_suites(pytester: pytest.Pytester, *args: str, report_dir: Path | None = None) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "--pyargs",
        "suites",
        "-p",
        "no:cacheprovider",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
        "--compat-report-dir",
        str(report_dir or pytester.path),
        *args,
    )
