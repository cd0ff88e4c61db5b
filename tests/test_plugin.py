"""The pytest plugin end to end, through pytester: verdicts, reports, and bad input."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from xml.etree import ElementTree

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.emulators.ollama import OllamaEmulator
from agents_compat.testing import run_suites

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def test_changing_one_quirk_fails_exactly_that_cell(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    honouring = dataclasses.replace(OllamaEmulator.responses_quirks, previous_response_id="resolve")
    monkeypatch.setattr(OllamaEmulator, "responses_quirks", honouring)
    result = run_suites(pytester, "-m", "mocked", "--backend", "ollama-responses,ollama-chat")
    # Honouring previous_response_id changes two cells of ollama-responses: the feature itself, and
    # store_false (chaining to an unstored response now fails clearly). Nothing else may move.
    result.assert_outcomes(passed=2 * len(FEATURE_IDS) - 2, failed=2)
    result.stdout.fnmatch_lines(
        [
            "*ollama-responses / previous_response_id: observed outcome differs from the profile",
            "*expected: ignored",
            "*observed: supported",
            "*reason:*resolved previous_response_id*",
            "*POST http://127.0.0.1:11434/v1/responses -> 200",
            "*FAILED*test_previous_response_id[[]ollama-responses[]]*",
        ]
    )
    cells = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]
    differing = [(c["backend"], c["feature"]) for c in cells if not c["as_expected"]]
    assert differing == [("ollama-responses", "previous_response_id"), ("ollama-responses", "store_false")]


def test_reports_hold_every_cell_with_evidence(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run_suites(pytester, "-m", "mocked", "--backend", "gomodel-translated,llamacpp-responses")
    result.assert_outcomes(passed=2 * len(FEATURE_IDS))
    result.stdout.fnmatch_lines(
        ["*Agents SDK compatibility matrix*", "gomodel-translated*mocked*+ + +*", "+ supported  x unsupported*"]
    )
    report = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())
    assert report["versions"]["openai-agents"]
    assert len(report["cells"]) == 2 * len(FEATURE_IDS)
    for cell in report["cells"]:
        assert cell["reason"], cell
        assert cell["exchanges"] or cell["outcome"] == "skipped", cell  # a skip sends nothing
        assert cell["outcome"] == cell["expected"]
    markdown = (pytester.path / "out" / "compat-matrix.md").read_text()
    assert "| gomodel-translated |" in markdown
    assert f"openai-agents {report['versions']['openai-agents']}" in markdown
    html = (pytester.path / "out" / "compat-matrix.html").read_text()
    assert html.count('<details class="cell"') == 2 * len(FEATURE_IDS)
    assert summary.read_text() == markdown


def test_api_key_never_reaches_a_report(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", keyed='[profiles.ollama-chat]\napi_key = "sk-planted-secret-0042"\n')
    result = run_suites(pytester, "-m", "mocked", "--backend", "ollama-chat", "--backends", "keyed.toml")
    result.assert_outcomes(passed=len(FEATURE_IDS))
    for name in ("compat-matrix.json", "compat-matrix.md"):
        assert "sk-planted-secret-0042" not in (pytester.path / "out" / name).read_text()
    assert "sk-planted-secret-0042" not in result.stdout.str()
    assert '"authorization": "***"' in (pytester.path / "out" / "compat-matrix.json").read_text()


def test_bad_backends_file_stops_the_run_with_one_message(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", bad='[profiles.x]\nfamily = "nosuch"\napi = "responses"\nmodel = "m"\n')
    result = run_suites(pytester, "--backends", "bad.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*bad.toml: profile 'x': field 'family'*nosuch*"])


def test_unknown_backend_name(pytester: pytest.Pytester) -> None:
    result = run_suites(pytester, "--backend", "nosuch")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown backend(s) nosuch; known: *; backends files read: the built-in ones, no *"])


def test_default_user_file_in_rootdir_is_read(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", **{"compat-backends": '[profiles.openai-chat.expect]\nplain_text = "broken"\n'})
    pytester.makeini("[pytest]\n")
    result = run_suites(pytester, "-m", "mocked", "--backend", "openai-chat", "-k", "plain_text")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected: broken*", "*observed: supported*"])


def test_a_live_url_profile_without_its_url_is_skipped_with_the_reason_unless_named(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MY_GATEWAY_URL", raising=False)
    pytester.makefile(
        ".toml",
        mine='[profiles.mine]\nfamily = "custom"\napi = "responses"\nmodel = "m"\n'
        'reach = "url"\nbase_url_env = "MY_GATEWAY_URL"\n',
    )
    result = run_suites(pytester, "-m", "live", "--backends", "mine.toml", "--backend", "mi*", "-rs")
    result.assert_outcomes(skipped=len(FEATURE_IDS))
    result.stdout.fnmatch_lines(["*live rows that cannot run here: no base URL: set $MY_GATEWAY_URL*"])
    # Named exactly, the row was asked for: a missing variable fails the session, in one line.
    named = run_suites(pytester, "-m", "live", "--backends", "mine.toml", "--backend", "mine")
    assert named.ret == pytest.ExitCode.USAGE_ERROR
    assert named.stderr.lines[0] == "ERROR: --backend mine: cannot run: $MY_GATEWAY_URL not set " + (
        "(see the profile's base_url_env and api_key_env)"
    )


BASELINE = Path(__file__).parent.parent / "fixtures" / "baseline" / "mocked.json"


def test_junit_cases_carry_the_cell_as_properties(pytester: pytest.Pytester) -> None:
    xml = pytester.path / "junit.xml"
    result = run_suites(pytester, "-m", "mocked", "--backend", "llamacpp-responses", f"--junitxml={xml}")
    result.assert_outcomes(passed=len(FEATURE_IDS))
    cells = {
        (c["backend"], c["feature"]): c
        for c in json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]
    }
    cases = ElementTree.parse(xml).getroot().iter("testcase")
    seen = set()
    for case in cases:
        properties = {p.get("name"): p.get("value") for p in case.iter("property")}
        cell = cells[(properties["backend"], properties["feature"])]
        assert properties == {
            "backend": cell["backend"],
            "feature": cell["feature"],
            "outcome": cell["outcome"],
            "expected": cell["expected"],
            "reason": cell["reason"],
        }
        seen.add(properties["feature"])
    assert seen == set(FEATURE_IDS)


def test_a_crashed_scenario_still_carries_its_properties(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_crash="""
        import pytest
        pytestmark = pytest.mark.asyncio(loop_scope="session")

        @pytest.mark.feature("plain_text")
        async def test_crash(backend, judge):
            raise RuntimeError("scenario bug")
        """
    )
    xml = pytester.path / "junit.xml"
    result = pytester.runpytest_inprocess(
        *("-p", "no:cacheprovider"),
        *("-m", "mocked", "--backend", "ollama-chat", f"--junitxml={xml}", "test_crash.py"),
    )
    result.assert_outcomes(failed=1)
    case = next(ElementTree.parse(xml).getroot().iter("testcase"))
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties == {
        "backend": "ollama-chat",
        "feature": "plain_text",
        "outcome": "error",
        "expected": "supported",
        "reason": "scenario crashed: RuntimeError: scenario bug",
    }


def test_quiet_run_prints_one_line_per_backend_and_the_html_report(pytester: pytest.Pytester) -> None:
    result = run_suites(pytester, "-q", "-m", "mocked", "--backend", "ollama-chat,vllm-responses", "-k", "plain_text")
    result.assert_outcomes(passed=2)
    lines = result.stdout.lines
    rows = [line for line in lines if line.startswith(("ollama-chat ", "vllm-responses "))]
    assert [row.split() for row in rows] == [["ollama-chat", "+"], ["vllm-responses", "+"]]
    assert not any("supported" in line or "a=plain_text" in line or "compatibility matrix" in line for line in lines)
    assert "<table" in (pytester.path / "out" / "compat-matrix.html").read_text()


def test_full_matrix_under_quiet_on_request_and_colour_only_when_asked(pytester: pytest.Pytester) -> None:
    args = ("-m", "mocked", "--backend", "ollama-chat", "-k", "plain_text or tool_choice_required")
    plain = run_suites(pytester, "-q", "--compat-matrix", "full", "--color=no", *args)
    plain.stdout.fnmatch_lines(["*Agents SDK compatibility matrix*", "ollama-chat*mocked*+ ~", "+ supported*"])
    assert "\x1b[" not in plain.stdout.str()
    coloured = run_suites(pytester, "--color=yes", *args)
    assert "\x1b[32m+\x1b[0m \x1b[33m~\x1b[0m" in coloured.stdout.str()


def test_baseline_catches_a_lost_capability_even_when_the_profile_agrees(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ollama starts ignoring response_format and the profile is edited to match: every test passes,
    # so only the baseline can notice that structured output was lost.
    monkeypatch.setattr(
        OllamaEmulator, "chat_quirks", dataclasses.replace(OllamaEmulator.chat_quirks, response_format="ignored")
    )
    pytester.makefile(".toml", agree='[profiles.ollama-chat.expect]\nstructured_output = "ignored"\n')
    result = run_suites(
        pytester,
        *("-m", "mocked", "--backend", "ollama-chat", "-k", "structured_output or plain_text"),
        *("--backends", "agree.toml", "--compat-baseline", str(BASELINE)),
    )
    result.assert_outcomes(passed=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [
            "*compared with the baseline*mocked.json*",
            "lost    ollama-chat / structured_output: supported -> ignored (*",
            "1 lost, 0 gained, 0 changed of 2 cells in both",
            "baseline: 1 lost: the session fails",
        ]
    )
    # The rows and features --backend and -k left out are not "removed": they are still defined.
    assert "removed backends" not in result.stdout.str() and "removed features" not in result.stdout.str()
    kept = json.loads(BASELINE.read_text(encoding="utf-8"))  # the session ran one row and two features of it
    left_out = f"{len(kept['backends']) - 1} of the baseline's backends, {len(kept['features']) - 2} of its"
    result.stdout.fnmatch_lines([f"not run in this session (still defined): {left_out}*"])


def test_baseline_reports_a_gain_without_failing(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    honouring = dataclasses.replace(OllamaEmulator.responses_quirks, previous_response_id="resolve")
    monkeypatch.setattr(OllamaEmulator, "responses_quirks", honouring)
    pytester.makefile(".toml", agree='[profiles.ollama-responses.expect]\nprevious_response_id = "supported"\n')
    result = run_suites(
        pytester,
        *("-m", "mocked", "--backend", "ollama-responses", "-k", "previous_response_id"),
        *("--backends", "agree.toml", "--compat-baseline", str(BASELINE)),
    )
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["gained  ollama-responses / previous_response_id: ignored -> supported (*"])


def test_a_bad_baseline_stops_the_run_with_one_message(pytester: pytest.Pytester) -> None:
    result = run_suites(pytester, "--compat-baseline", "nosuch.json")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--compat-baseline: nosuch.json: no such file"])


def test_each_backends_file_is_read_once_per_session(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from agents_compat.config import profiles

    reads: list[str] = []
    read_text, builtin_text = profiles.read_text, profiles.builtin_text
    monkeypatch.setattr(profiles, "read_text", lambda path, *a: reads.append(Path(path).name) or read_text(path, *a))
    monkeypatch.setattr(
        profiles, "builtin_text", lambda *a: reads.append(a[0] if a else "backends.toml") or builtin_text(*a)
    )
    mine = '[agents.bot]\nfeatures = ["plain_text"]\n[profiles.ollama-chat]\ndescription = "x"\n'
    pytester.makefile(".toml", mine=mine)
    result = run_suites(
        pytester, "-m", "mocked", "--backends", "mine.toml", "--backend", "ollama-chat", "-k", "plain_text"
    )
    result.assert_outcomes(passed=1)
    assert sorted(reads) == ["backends.toml", "mine.toml"]  # profiles, servers, models and agents from one read
    report = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())
    assert [entry["agent"] for entry in report["readiness"]] == ["bot"]


def test_one_session_object_holds_the_runs_state(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        from agents_compat.session.state import CompatSession

        def pytest_sessionfinish(session):
            hooks = session.config.pluginmanager.get_plugin("agents-compat")
            assert isinstance(hooks.session, CompatSession) and hooks.session.matrix.cells
        """
    )
    result = run_suites(pytester, "-m", "mocked", "--backend", "ollama-chat", "-k", "plain_text")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK


def test_live_rows_that_cannot_run_skip_with_one_line_per_reason(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A machine without the live set-up: no assembled model, no container engine, no gateway variables.
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(pytester.path / "empty-cache"))
    monkeypatch.setenv("DOCKER_HOST", f"unix://{pytester.path / 'no-engine.sock'}")
    for name in ("GOMODEL_OPENAI_BASE_URL", "GOMODEL_OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    result = run_suites(pytester, "-m", "live", "-k", "plain_text or usage", "-rs")
    skipped = [line for line in result.stdout.lines if line.startswith("SKIPPED [")]
    outcomes = result.parseoutcomes()
    assert outcomes["skipped"] >= 20, result.stdout.str()
    reasons = {line.split(": ", 1)[1] for line in skipped}
    assert len(skipped) == len(reasons) <= 3, "\n".join(skipped)
    assert sum(int(line.split("[", 1)[1].split("]")[0]) for line in skipped) == outcomes["skipped"]
    assert all(line.split(": ", 1)[1].startswith("live rows that cannot run here: ") for line in skipped), skipped
    assert not [line for line in skipped if "@live" in line], skipped
