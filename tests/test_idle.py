"""A project that installs the package pays nothing for it in test runs that collect no scenario."""

from __future__ import annotations

import pytest

from harness import plugin, scaffold
from harness.profiles import DEFAULT_USER_FILE
from harness.wire import DEFAULT_MAX_BODY

UNRELATED_TEST = """
import signal
import sys


def test_nothing_of_the_harness_ran():
    assert "agents" not in sys.modules, "the plugin imported the Agents SDK"
    assert "harness.profiles" not in sys.modules, "the plugin loaded the profiles"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "the plugin installed its SIGTERM handler"
"""


def test_a_run_without_scenarios_imports_no_sdk_and_changes_no_process_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unrelated=UNRELATED_TEST)
    # A fresh interpreter: this one has imported everything already. -p makes sure the plugin is loaded
    # even where the package is not installed (it is a no-op where the entry point registered it).
    result = pytester.runpytest_subprocess("-p", "harness.plugin", "-p", "no:cacheprovider", "-rA")
    result.assert_outcomes(passed=1)
    assert "compatibility matrix" not in result.stdout.str()
    assert "compat-matrix" not in result.stdout.str()
    # pytest-asyncio, which the package brings, would warn in every run of a project whose ini does not set it.
    assert "PytestDeprecationWarning" not in result.stdout.str() + result.stderr.str()


def test_a_run_with_scenarios_turns_tracing_off_and_handles_sigterm(pytester: pytest.Pytester) -> None:
    probe = pytester.makepyfile(
        test_probe="""
import signal

from agents.tracing import trace


def test_session_state():
    assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    assert trace("probe").trace_id == "no-op"  # what the SDK's trace() returns while tracing is off
"""
    )
    result = pytester.runpytest_subprocess(
        "-p", "harness.plugin", "-p", "no:cacheprovider", str(probe), "--pyargs", "suites",
        "--backend", "openai-chat", "-k", "plain_text or session_state",
        "--compat-report-dir", str(pytester.path / "out"),
    )  # fmt: skip
    result.assert_outcomes(passed=2)


def test_the_plugin_spells_out_the_defaults_the_harness_uses() -> None:
    assert plugin.DEFAULT_USER_FILE == DEFAULT_USER_FILE
    assert plugin.DEFAULT_MAX_BODY == DEFAULT_MAX_BODY
    assert plugin.DEFAULT_REPORT_DIR == scaffold.REPORT_DIR
