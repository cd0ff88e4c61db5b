"""Issue 29: a backend that silently drops what a scenario needs must fail a run whose expectations were
accepted from a clean run, and read `ignored` or `broken` from the wire, not `inconclusive`.

The backend is a served emulator (real HTTP) behind a URL profile, so its row is live: a model's miss
there is inconclusive, which alone never failed a run before. Each silent fault (agents_compat/emulators/faults.py)
is what a careless gateway in front of the same backend does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from agents_compat import cli
from agents_compat.accept import accept
from agents_compat.emulators import create, faults
from agents_compat.emulators.faults import Fault
from agents_compat.emulators.serve import make_server
from agents_compat.judging import probes
from agents_compat.judging.classify.common import output_items, reordered_output
from agents_compat.report import cassettes, load
from agents_compat.testing import run_suites
from agents_compat.wire.capture import Exchange

ROOT = Path(__file__).parent.parent
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

# The tool columns and the two that run agents under their own instructions.
FEATURES = "handoffs or agents_as_tools or function_tools or streaming_tool_calls or parallel_tool_calls"


@contextmanager
def served(family: str, model: str, fault: str | None = None, options: dict[str, Any] | None = None) -> Iterator[str]:
    server = make_server(create(family, model, options), fault=Fault(kind=fault) if fault else None)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


MODEL = "qwen3:0.6b"  # both emulators are started with it


def gateway_file(pytester: pytest.Pytester, api: str, model: str = MODEL, key: str = "any") -> Path:
    path = pytester.path / "compat-backends.toml"
    path.write_text(
        f'[profiles.gw]\nfamily = "custom"\napi = "{api}"\nmodel = "{model}"\nreach = "url"\nbase_url_env = "GW_URL"\n'
        f'api_key = "{key}"\nexpect = {{}}\n',  # accept fills this inline table in
        encoding="utf-8",
    )
    return path


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> tuple[Any, dict]:
    monkeypatch.setenv("GW_URL", url)
    result = run_suites(pytester, "-m", "live", "--backend", "gw", "-k", FEATURES, *args)
    return result, json.loads((pytester.path / "out" / "compat-matrix.json").read_text())


def accepted_clean(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, family: str, api: str) -> dict:
    """The issue's set-up: the gateway's expectations accepted from a clean run of the same backend."""
    path = gateway_file(pytester, api)
    with served(family, MODEL) as url:
        result, report = run(pytester, monkeypatch, url)
    assert result.ret == 0, result.stdout.str()[-2000:]
    accept(load(pytester.path / "out" / "compat-matrix.json"), path, [])
    clean = {c["feature"]: c["outcome"] for c in report["cells"]}
    assert clean["handoffs"] == clean["agents_as_tools"] == clean["parallel_tool_calls"] == "supported", clean
    return clean


CASES = [
    # fault, family, api, {feature: what the wire must show}
    ("drop_system", "ollama", "chat_completions", {"handoffs": "ignored", "agents_as_tools": "ignored"}),
    ("drop_system", "openai", "responses", {"handoffs": "ignored", "agents_as_tools": "ignored"}),
    ("drop_tools", "ollama", "chat_completions",
     {"function_tools": "ignored", "handoffs": "ignored", "parallel_tool_calls": "ignored"}),
    ("drop_tools", "openai", "responses", {"function_tools": "ignored", "agents_as_tools": "ignored"}),
    ("drop_second_call", "ollama", "chat_completions", {"parallel_tool_calls": "broken"}),
    ("drop_second_call", "openai", "responses", {"parallel_tool_calls": "broken"}),
]  # fmt: skip


@pytest.mark.parametrize(("fault", "family", "api", "shows"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_a_silent_drop_fails_the_run_from_the_wire(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, fault: str, family: str, api: str, shows: dict
) -> None:
    accepted_clean(pytester, monkeypatch, family, api)
    with served(family, MODEL, fault) as url:
        result, report = run(pytester, monkeypatch, url)
    cells = {c["feature"]: c for c in report["cells"]}
    assert {f: cells[f]["outcome"] for f in shows} == shows, {f: cells[f]["reason"] for f in shows}
    assert all(cells[f]["expected"] == "supported" for f in shows)
    assert not [c for c in report["cells"] if c["outcome"] == "inconclusive"], report["verdict"]
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report["verdict"]["passed"] is False
    assert "compat: FAIL" in result.stdout.str()


def test_a_declared_cell_that_goes_quiet_fails_as_unconfirmed(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the wire shows nothing either way, the cell is inconclusive: declared supported, it still fails."""
    accepted_clean(pytester, monkeypatch, "ollama", "chat_completions")
    with served("ollama", MODEL, "drop_system") as url, _wire_cannot_tell(monkeypatch):
        result, report = run(pytester, monkeypatch, url)
    cells = {c["feature"]: c for c in report["cells"]}
    assert cells["handoffs"]["outcome"] == "inconclusive" and cells["handoffs"]["unconfirmed"] is True
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    line = next(x for x in result.stdout.lines if x.startswith("compat: "))
    assert line.startswith("compat: FAIL: ") and "2 declared but now unconfirmed" in line, line
    result.stdout.fnmatch_lines(
        ["unconfirmed: gw / handoffs: declared supported, now unconfirmed (the answer does not follow*"]
    )
    assert any("declared supported, now unconfirmed" in u for u in report["verdict"]["unconfirmed"])


def test_the_flag_or_the_profile_makes_an_unconfirmed_cell_a_warning(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    accepted_clean(pytester, monkeypatch, "ollama", "chat_completions")
    with served("ollama", MODEL, "drop_system") as url, _wire_cannot_tell(monkeypatch):
        flagged, report = run(pytester, monkeypatch, url, "--compat-allow-unconfirmed")
        assert flagged.ret == 0, flagged.stdout.str()[-2000:]
        assert report["verdict"]["passed"] is True and report["verdict"]["unconfirmed"] == []
        assert len(report["verdict"]["allowed"]) == 2
        flagged.stdout.fnmatch_lines(["warning: unconfirmed: gw / handoffs: declared supported, now unconfirmed*"])
        # Per feature, with the reason, in the profile: only the named feature warns; the other still fails.
        path = pytester.path / "compat-backends.toml"
        path.write_text(path.read_text() + '\n[profiles.gw.unconfirmed]\nhandoffs = "a 0.5B model skips the marker"\n')
        per_row, report = run(pytester, monkeypatch, url)
    assert per_row.ret == pytest.ExitCode.TESTS_FAILED
    assert [u.split(":")[0] for u in report["verdict"]["unconfirmed"]] == ["gw / agents_as_tools"]
    assert report["verdict"]["allowed"][0].endswith("allowed: a 0.5B model skips the marker")


@contextmanager
def _wire_cannot_tell(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A backend without usable token counts: the probes learn nothing, so a miss stays inconclusive."""
    monkeypatch.setattr(probes, "_usage", lambda record: None)
    yield


@pytest.mark.parametrize(("dropped_runs", "passes"), [((2,), True), ((1, 2), False)], ids=["one-of-two", "none"])
def test_repeat_decides_an_unconfirmed_cell(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, dropped_runs: tuple[int, ...], passes: bool
) -> None:
    """--compat-repeat k: supported in any of the k runs keeps a declared cell; supported in none fails it."""
    accepted_clean(pytester, monkeypatch, "ollama", "chat_completions")
    seen = 0
    original = faults._request_without

    def sometimes(request: Any, kind: str) -> Any:
        nonlocal seen
        body = request.json()
        specialist = "billing specialist" in json.dumps(body.get("messages", [])[:1])
        if not (specialist and any(m.get("role") == "tool" for m in body["messages"])):
            return request  # a probe, or the triage turn: untouched
        seen += 1
        return original(request, kind) if seen in dropped_runs else request

    monkeypatch.setattr(faults, "_request_without", sometimes)
    with served("ollama", MODEL, "drop_system") as url, _wire_cannot_tell(monkeypatch):
        monkeypatch.setenv("GW_URL", url)
        result = run_suites(pytester, "-m", "live", "--backend", "gw", "-k", "handoffs", "--compat-repeat", "2")
    cell = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"][0]
    assert seen == 2 and cell["runs"]["total"] == 2
    assert (result.ret == 0) is passes, result.stdout.str()[-2000:]
    assert cell["outcome"] == ("supported" if passes else "inconclusive"), cell["reason"]


# LiteLLM's proxy answers a call on /v1/responses with an empty message first, then the call (recorded:
# fixtures/cassettes/litellm-responses/function_tools.json): a real answer of two item kinds.
LITELLM = {"upstream": "ollama", "upstream_model": MODEL, "master_key": "sk-l", "database": False}


def test_reordered_output_items_read_broken(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    path = gateway_file(pytester, "responses", "qwen3", key="sk-l")
    wanted = "streaming_tool_calls or function_tools"
    with served("litellm", "qwen3", options=LITELLM) as url:
        monkeypatch.setenv("GW_URL", url)
        clean = run_suites(pytester, "-m", "live", "--backend", "gw", "-k", wanted)
        assert clean.ret == 0, clean.stdout.str()[-2000:]
        accept(load(pytester.path / "out" / "compat-matrix.json"), path, [])
    with served("litellm", "qwen3", "reorder_output", LITELLM) as url:
        monkeypatch.setenv("GW_URL", url)
        result = run_suites(pytester, "-m", "live", "--backend", "gw", "-k", wanted)
    cells = {c["feature"]: c for c in json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]}
    called = cells["function_tools"]
    assert (called["expected"], called["outcome"]) == ("supported", "broken"), called["reason"]
    assert (
        "out of the order a model writes them (reasoning, message, calls): ['function_call', 'message']"
        in (called["reason"])
    )
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_matrix_allow_unconfirmed_reaches_the_plugin(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr(pytest, "main", lambda argv: seen.append(list(argv)) or 0)
    monkeypatch.chdir(tmp_path)
    assert cli.main(["matrix", "--allow-unconfirmed"]) == 0
    assert cli.main(["matrix"]) == 0
    assert "--compat-allow-unconfirmed" in seen[0] and "--compat-allow-unconfirmed" not in seen[1]


def _recorded_exchange(recorded: dict[str, Any]) -> Exchange:
    """A cassette's exchange back as the wire captured it (events re-framed as SSE)."""
    request, response = recorded["request"], recorded["response"]
    body = response.get("body")
    streamed = isinstance(body, list)
    exchange = Exchange(request["method"], request["url"], {}, request.get("body"), status=response.get("status"),
                        streamed=streamed, complete=True)  # fmt: skip
    exchange.response_headers = {"content-type": "text/event-stream" if streamed else "application/json"}
    if streamed:
        raw = "".join(f"data: {e['data'] if isinstance(e['data'], str) else json.dumps(e['data'])}\n\n" for e in body)
    else:
        raw = body if isinstance(body, str) else json.dumps(body)
    exchange.raw_response.extend(raw.encode())
    return exchange


def test_no_recorded_real_answer_reads_as_reordered() -> None:
    """The order rule against every exchange real servers sent (fixtures/cassettes): none may trip it."""
    recorded = [_recorded_exchange(e) for c in cassettes.load(ROOT / "fixtures" / "cassettes") for e in c["exchanges"]]
    several = [e for e in recorded if len(output_items(e)) >= 2]
    assert len(recorded) > 200 and several  # LiteLLM's message-and-call answers among them
    assert [found for e in recorded if (found := reordered_output(e))] == []
