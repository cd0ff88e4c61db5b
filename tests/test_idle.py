"""A project that installs the package pays nothing for it in test runs that collect no scenario."""

from __future__ import annotations

import subprocess
import sys

import pytest

from agents_compat import plugin

UNRELATED_TEST = """
import signal
import sys


def test_nothing_of_the_harness_ran():
    assert "agents" not in sys.modules, "the plugin imported the Agents SDK"
    assert "agents_compat.config.profiles" not in sys.modules, "the plugin loaded the profiles"
    assert "agents_compat.session.state" not in sys.modules, "the plugin imported the session"
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL, "the plugin installed its SIGTERM handler"
"""


def test_a_run_without_scenarios_imports_no_sdk_and_changes_no_process_state(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_unrelated=UNRELATED_TEST)
    # A fresh interpreter: this one has imported everything already. -p makes sure the plugin is loaded
    # even where the package is not installed (it is a no-op where the entry point registered it).
    result = pytester.runpytest_subprocess("-p", "agents_compat.plugin", "-p", "no:cacheprovider", "-rA")
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
        "-p", "agents_compat.plugin", "-p", "no:cacheprovider", str(probe), "--pyargs", "agents_compat.scenarios",
        "--backend", "openai-chat", "-k", "plain_text or session_state",
        "--compat-report-dir", str(pytester.path / "out"),
    )  # fmt: skip
    result.assert_outcomes(passed=2)


def test_loading_the_plugin_imports_only_its_options_and_the_xdist_hand_over() -> None:
    """What every pytest run of a project that installs the package pays: the session comes only when asked."""
    code = f"import sys, {plugin.__name__}; print(sorted(m for m in sys.modules if m.startswith('agents_compat')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = ["agents_compat", "agents_compat.plugin", "agents_compat.options"]
    loaded += ["agents_compat.session", "agents_compat.session.workers"]  # the package's __init__ is a docstring
    assert done.stdout.strip() == str(sorted(loaded))
