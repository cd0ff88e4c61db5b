"""Running the scenario suites inside a test, through pytest's ``pytester`` (the harness's own tests use it).

Reports go to ``<pytester.path>/out``; the run is in-process, so a test may monkeypatch an emulator first.
"""

from __future__ import annotations

import pytest

# pytester forgets the modules an in-process run imported; the SDK imported first inside a run would come
# back as a second copy in the next one, with exception classes that no longer match. Import it all now:
# the session and what runs a scenario import the rest.
from .session import collection, connect, judge, state  # noqa: F401


def run_suites(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest_inprocess(
        "--pyargs", "agents_compat.scenarios",
        "-p",
        "no:cacheprovider",
        "--compat-report-dir",
        str(pytester.path / "out"),
        *args,
    )
