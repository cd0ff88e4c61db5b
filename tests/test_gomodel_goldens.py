"""The GoModel emulator against GoModel's own contract goldens and its live recordings, shape by shape.

fixtures/gomodel-golden-shapes.json keeps the key paths and event sequences of GoModel's contract goldens
(tests/contract/testdata/golden at 0a17408, 2026-08-20; regenerate with scripts/gomodel-golden-shapes.py).
Each golden is replayed as a request to the emulator at that release; every difference must be one of
DIFFERENCES below, with its reason, and every listed difference must still be one (so the list cannot rot).
The groq goldens stand for a chat-translated provider: GoModel's ollama-type providers take the same path
(internal/providers/ollama/ollama.go ResponsesViaChat / StreamResponsesViaChat).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agents_compat.config.profiles import load_profiles
from agents_compat.emulators import HttpReply, HttpRequest, create
from agents_compat.emulators.gomodel import RESPONSES_USAGE, typed_usage
from agents_compat.report import cassettes
from agents_compat.wire.capture import parse_sse
from agents_compat.wire.shapes import event_sequence, key_paths

FIXTURES = Path(__file__).parent.parent / "fixtures"
GOLDEN = json.loads((FIXTURES / "gomodel-golden-shapes.json").read_text())
RELEASE = "0a17408"
TRANSLATED, NATIVE = "ollama/qwen3:0.6b", "openai/gpt-4.1-mini"
PARAMS = {"type": "object", "properties": {"location": {"type": "string"}}, "required": ["location"]}
CHAT_TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": PARAMS}}

# golden -> (path or stream request, request body): what GoModel's contract test asked its adapter.
REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    "groq/responses": ("/v1/responses", {"model": TRANSLATED, "input": "hello"}),
    "groq/responses_stream": ("/v1/responses", {"model": TRANSLATED, "input": "stream", "stream": True}),
    "openai/responses": ("/v1/responses", {"model": NATIVE, "input": "hello"}),
    "openai/responses_stream": ("/v1/responses", {"model": NATIVE, "input": "stream", "stream": True}),
    "groq/chat_completion": (
        "/v1/chat/completions",
        {"model": TRANSLATED, "messages": [{"role": "user", "content": "hello"}]},
    ),
    "groq/chat_with_tools": (
        "/v1/chat/completions",
        {
            "model": TRANSLATED,
            "messages": [{"role": "user", "content": "Call get_weather for London"}],
            "tools": [CHAT_TOOL],
        },
    ),
    "groq/chat_completion_stream": (
        "/v1/chat/completions",
        {"model": TRANSLATED, "messages": [{"role": "user", "content": "stream"}], "stream": True},
    ),
    "openai/chat_completion": (
        "/v1/chat/completions",
        {"model": NATIVE, "messages": [{"role": "user", "content": "hello"}]},
    ),
    "openai/chat_completion_stream": (
        "/v1/chat/completions",
        {"model": NATIVE, "messages": [{"role": "user", "content": "stream"}], "stream": True},
    ),
    "openai/models": ("GET /v1/models", {}),
}

GROQ_USAGE = (
    "Groq's own usage timings, kept flat by GoModel (internal/core/usage_json.go); the emulated Ollama sends none"
)
UPSTREAM_OPENAI = (
    "OpenAI's own field, passed through unchanged; the openai emulator (the reference row) does not send it"
)
UPSTREAM_GROQ = "Groq's own stream fields (x_groq, usage without stream_options), passed through; Ollama sends neither"
# (golden, where, key path) -> why; where is "" for a JSON body, else the event name ("chunk" for chat).
# "golden" paths the emulator lacks, "emulator" paths the golden lacks.
DIFFERENCES: dict[tuple[str, str, str, str], str] = {
    **{
        ("groq/responses", "", "golden", f"usage.{k}"): GROQ_USAGE
        for k in ("completion_time", "prompt_time", "queue_time", "total_time")
    },
    **{
        (golden, "", "golden", f"usage.{k}"): GROQ_USAGE
        for golden in ("groq/chat_completion", "groq/chat_with_tools")
        for k in ("completion_time", "prompt_time", "queue_time", "total_time")
    },
    **{
        (golden, where, "golden", "choices[].logprobs"): "Groq sends logprobs: null, the recorded Ollama no logprobs; "
        "GoModel keeps the field only when sent (internal/core/types.go Choice.Logprobs, omitempty)"
        for golden, where in (
            ("groq/chat_completion", ""),
            ("groq/chat_with_tools", ""),
            ("groq/chat_completion_stream", "chunk"),
        )
    },
    **{
        ("groq/chat_completion_stream", "chunk", "golden", path): UPSTREAM_GROQ
        for path in [
            "usage",
            *(f"usage.{k}" for k in ("completion_time", "completion_tokens", "prompt_time", "prompt_tokens")),
            *(f"usage.{k}" for k in ("queue_time", "total_time", "total_tokens")),
            "x_groq",
            "x_groq.id",
            "x_groq.seed",
            "x_groq.usage",
            *(f"x_groq.usage.{k}" for k in ("completion_time", "completion_tokens", "prompt_time", "prompt_tokens")),
            *(f"x_groq.usage.{k}" for k in ("queue_time", "total_time", "total_tokens")),
        ]
    },
    **{
        ("openai/responses_stream", event, "golden", f"response.{k}"): UPSTREAM_OPENAI
        for event in ("response.created", "response.in_progress", "response.completed")
        for k in (
            *("completed_at", "frequency_penalty", "max_tool_calls", "presence_penalty", "prompt_cache_key"),
            *("prompt_cache_retention", "safety_identifier", "service_tier", "text.verbosity", "top_logprobs"),
        )
    },
    ("groq/chat_with_tools", "", "emulator", "choices[].message.tool_calls[].index"): (
        "the emulated upstream's own field: Ollama 0.24.0 puts an index on each call of a non-streamed message "
        "(recorded live: fixtures/cassettes/ollama-chat/function_tools.json), Groq does not, and GoModel keeps "
        "a choice's message as the upstream sent it (agents_compat/emulators/gomodel.py, typed_completion)"
    ),
    ("openai/responses_stream", "response.output_text.delta", "golden", "obfuscation"): UPSTREAM_OPENAI,
    (
        "openai/responses_stream",
        "response.completed",
        "emulator",
        "response.usage.input_tokens_details.cache_write_tokens",
    ): ("the openai emulator's own usage field, passed through unchanged in a native stream"),
    **{
        ("openai/chat_completion", "", "golden", path): UPSTREAM_OPENAI + " (GoModel keeps message fields and "
        "both token detail objects when sent: internal/core/types.go, usage_json.go)"
        for path in [
            "choices[].message.annotations",
            "choices[].message.refusal",
            "usage.completion_tokens_details",
            *(f"usage.completion_tokens_details.{k}" for k in ("accepted_prediction_tokens", "audio_tokens")),
            *(f"usage.completion_tokens_details.{k}" for k in ("reasoning_tokens", "rejected_prediction_tokens")),
            "usage.prompt_tokens_details",
            *(
                f"usage.prompt_tokens_details.{k}"
                for k in ("audio_tokens", "cached_tokens", "image_tokens", "text_tokens")
            ),
        ]
    },
    **{
        ("openai/chat_completion_stream", "chunk", "golden", path): UPSTREAM_OPENAI
        for path in ("choices[].delta.refusal", "obfuscation", "service_tier")
    },
}


def gomodel(model: str, version: str = RELEASE) -> Any:
    upstream = model.split("/", 1)[0]
    return create("gomodel", model, {"upstream": upstream, "master_key": "k", "version": version})


def ask(golden: str, version: str = RELEASE) -> HttpReply:
    path, body = REQUESTS[golden]
    headers = {"authorization": "Bearer k", "content-type": "application/json"}
    model = NATIVE if golden.startswith("openai/") else TRANSLATED
    if path.startswith("GET "):
        return gomodel(model, version).handle(HttpRequest("GET", path[4:], headers))
    return gomodel(model, version).handle(HttpRequest("POST", path, headers, json.dumps(body).encode()))


def shape(reply: HttpReply) -> dict[str, Any]:
    """The same shape scripts/gomodel-golden-shapes.py keeps of a golden."""
    assert reply.status == 200, reply.body
    if not reply.streamed:
        return {"paths": sorted(key_paths(reply.payload()))}
    events = parse_sse(b"".join(reply.chunks or []).decode())
    named = [
        (e["event"] or (e["data"]["type"] if "type" in e["data"] else "chunk"), e["data"])
        for e in events
        if isinstance(e["data"], dict)
    ]
    return {"events": event_sequence(named), "done": bool(events) and events[-1]["data"] == "[DONE]"}


def differences(golden: str, emulated: dict[str, Any]) -> set[tuple[str, str, str, str]]:
    recorded = GOLDEN["shapes"][golden]
    found: set[tuple[str, str, str, str]] = set()
    if "paths" in recorded:
        pairs = [("", set(recorded["paths"]), set(emulated["paths"]))]
    else:
        sequence = [e["event"] for e in recorded["events"]]
        assert [e["event"] for e in emulated["events"]] == sequence, golden
        assert emulated["done"] == recorded["done"], f"{golden}: [DONE]"
        pairs = [
            (g["event"], set(g["paths"]), set(e["paths"]))
            for g, e in zip(recorded["events"], emulated["events"], strict=True)
        ]
    for where, theirs, ours in pairs:
        found |= {(golden, where, "golden", p) for p in theirs - ours}
        found |= {(golden, where, "emulator", p) for p in ours - theirs}
    return found


def test_the_shapes_come_from_the_goldens_release() -> None:
    assert GOLDEN["source"]["commit"].startswith(RELEASE) and GOLDEN["source"]["date"] == "2026-08-20"
    assert set(GOLDEN["shapes"]) == set(REQUESTS)


@pytest.mark.parametrize("golden", sorted(REQUESTS))
def test_the_emulator_answers_in_the_goldens_shape(golden: str) -> None:
    found = differences(golden, shape(ask(golden)))
    explained = {key for key in DIFFERENCES if key[0] == golden}
    assert found - explained == set(), "unexplained differences"
    assert explained - found == set(), "explained differences that are gone: drop them from DIFFERENCES"


def test_before_c0b5d40_the_translated_stream_names_its_usage_like_chat() -> None:
    """The release axis is real: v0.1.59 differs from the goldens exactly where PR #623 changed it."""
    found = differences("groq/responses_stream", shape(ask("groq/responses_stream", "0.1.59")))
    usage = {"usage.input_tokens", "usage.output_tokens", "usage.prompt_tokens", "usage.completion_tokens"}
    assert {(where, side, path.removeprefix("response.")) for _, where, side, path in found} == {
        ("response.completed", "golden", "usage.input_tokens"),
        ("response.completed", "golden", "usage.output_tokens"),
        ("response.completed", "emulator", "usage.prompt_tokens"),
        ("response.completed", "emulator", "usage.completion_tokens"),
    }
    assert {p.removeprefix("response.") for *_, p in found} <= usage


def test_a_native_stream_is_the_upstreams_own_plus_done() -> None:
    """What makes the openai stream differences the upstream's: GoModel adds [DONE] and nothing else."""
    _, body = REQUESTS["openai/responses_stream"]
    direct = create("openai", "gpt-4.1-mini").handle(
        HttpRequest(
            "POST",
            "/v1/responses",
            {"content-type": "application/json"},
            json.dumps({**body, "model": "gpt-4.1-mini"}).encode(),
        )
    )
    through = ask("openai/responses_stream")
    assert through.chunks is not None and direct.chunks is not None
    assert through.chunks[-1] == b"data: [DONE]\n\n" and direct.chunks[-1] != b"data: [DONE]\n\n"
    assert shape(through)["events"] == shape(direct)["events"]


def test_usage_fields_gomodel_does_not_know_stay_flat() -> None:
    """The Groq timings above would come through: usage_json.go keeps unknown usage fields."""
    usage = typed_usage(
        {"prompt_tokens": 38, "completion_tokens": 4, "total_tokens": 42, "queue_time": 0.09}, RESPONSES_USAGE
    )
    assert usage == {"input_tokens": 38, "output_tokens": 4, "total_tokens": 42, "queue_time": 0.09}


# --- v0.1.22: the live recordings, key path by key path ------------------------------------------


def _deep_shape(body: Any) -> dict[str, set[str]]:
    """A JSON body's key paths under "", a stream's under each event type and item type (a union)."""
    if not isinstance(body, list):
        return {"": key_paths(body)}
    shapes: dict[str, set[str]] = {}
    for event in body:
        data = event.get("data")
        kind = data.get("type", "chunk") if isinstance(data, dict) else f"raw:{data}"
        if isinstance(data, dict) and isinstance(data.get("item"), dict):
            kind += "/" + str(data["item"].get("type"))
        shapes.setdefault(kind, set()).update(key_paths(data))
    return shapes


def test_the_0122_emulator_matches_its_live_recordings_key_path_by_key_path() -> None:
    """Like tests/test_cassettes.py, and where the real model chose differently (text against a tool call)
    the events both streams have still compare: the v0.1.22 tool-call events are only in such exchanges."""
    profile = load_profiles()["gomodel-0122-translated"]
    compared, mismatches = 0, []
    recorded = [c for c in cassettes.load(FIXTURES / "cassettes") if c["profile"] == "gomodel-0122-translated"]
    for cassette in recorded:
        emulator = create(profile.emulator_name, profile.model, profile.emulator_options)
        ids: dict[str, str] = {}
        for n, exchange in enumerate(cassette["exchanges"], 1):
            live = exchange["response"]
            if not live.get("complete"):
                continue
            reply = cassettes._emulated(emulator, exchange, cassette.get("model"), ids)
            emulated = cassettes._reply_body(reply)
            cassettes._remember_ids(live.get("body"), emulated, ids)
            theirs, ours = _deep_shape(live.get("body")), _deep_shape(emulated)
            kinds = theirs.keys() | ours.keys()
            if cassettes._choice(live.get("body")) != cassettes._choice(emulated):
                # the real model wrote text where the scripted one called a tool (or also did): the events
                # both streams have still compare
                kinds = theirs.keys() & ours.keys() if isinstance(emulated, list) else set()
            compared += bool(kinds)
            for kind in kinds:
                if theirs.get(kind, set()) != ours.get(kind, set()):
                    only_live = sorted(theirs.get(kind, set()) - ours.get(kind, set()))
                    only_ours = sorted(ours.get(kind, set()) - theirs.get(kind, set()))
                    mismatches.append(
                        f"{cassette['feature']} #{n} {kind}: live only {only_live}, emulated only {only_ours}"
                    )
    assert compared >= 20
    assert not mismatches, "\n".join(mismatches)
