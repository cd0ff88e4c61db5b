"""API keys planted in a profile and in the environment appear in no output the harness writes."""

from __future__ import annotations

import pytest

from agents_compat.emulators.base import ApiError, HttpRequest
from agents_compat.emulators.openai import OpenAIEmulator
from agents_compat.testing import run_suites
from agents_compat.wire.capture import scrub

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

# Canaries of our own making: recognisable, and not shaped like a real OpenAI key.
FILE_KEY = "sk-canary-7f3a9b"
ENV_KEY = "sk-canary-env-51c2"

PROFILES = f"""
[profiles.canary-file]
family = "openai"
api = "chat_completions"
model = "gpt-4.1-mini"
api_key = "{FILE_KEY}"
emulator_options = {{ api_key = "{FILE_KEY}" }}
[profiles.canary-file.expect]
plain_text = "broken"  # wrong on purpose: a failing verdict prints every exchange of the cell

[profiles.canary-env]
family = "openai"
api = "responses"
model = "gpt-4.1-mini"
api_key_env = "HARNESS_CANARY_KEY"
emulator_options = {{ api_key = "sk-the-key-the-server-wants" }}
[profiles.canary-env.expect]
plain_text = "supported"  # wrong: every call is refused with a 401 that echoes the key
streaming = "error"  # right: the same 401 (an undeclared error cell would fail)
streaming_tool_calls = "error"
"""


def echo_the_key(self: OpenAIEmulator, request: HttpRequest) -> None:
    """A backend that quotes a refused key in full (OpenAI masks its middle; not every gateway does).

    It also logs it, as servers do: in-process, an emulator's output is the test's captured output.
    """
    if request.bearer() != self.api_key:
        print(f"refused key {request.bearer()}")
        raise ApiError(401, f"Incorrect API key provided: {request.bearer()}.", code="invalid_api_key")


def test_planted_keys_reach_no_report_log_or_terminal(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HARNESS_CANARY_KEY", ENV_KEY)
    monkeypatch.setattr(OpenAIEmulator, "authorize", echo_the_key)
    pytester.makefile(".toml", canary=PROFILES)
    out = pytester.path / "out"
    result = run_suites(
        pytester,
        *("--backends", "canary.toml", "--backend", "canary-*"),
        *("-k", "test_plain_text or test_streaming or test_error_surfacing"),
        *("--junitxml", str(out / "junit.xml"), "-o", "junit_logging=all"),  # captured output goes into the XML
        "--log-level=DEBUG",  # the SDK's and openai's debug logs land in the captured sections
        "-rA",
        "-v",
    )
    result.assert_outcomes(passed=6, failed=2)  # the two wrong declarations, and only those
    written = {path.name: path.read_text() for path in out.iterdir()}
    assert set(written) == {"compat-matrix.json", "compat-matrix.md", "compat-matrix.html", "junit.xml"}
    # The runs happened and were reported: the refusal, the exchanges, the captured logs.
    assert "credentials rejected: 401 Incorrect API key provided: ***." in written["compat-matrix.json"]
    assert '"authorization": "***"' in written["compat-matrix.json"]
    assert "HTTP Request: POST http://canary-env.emulated/v1/responses" in result.stdout.str()  # captured logs
    assert "credentials rejected" in written["junit.xml"]
    assert "refused key ***" in result.stdout.str() and "refused key ***" in written["junit.xml"]
    outputs = {**written, "stdout": result.stdout.str(), "stderr": result.stderr.str()}
    for name, text in outputs.items():
        for key in (FILE_KEY, ENV_KEY):
            assert key not in text, f"{key} leaked into {name}"


def test_scrub_leaves_short_placeholders_alone() -> None:
    assert scrub(f"key {FILE_KEY} and ollama", [FILE_KEY, "ollama"]) == "key *** and ollama"
