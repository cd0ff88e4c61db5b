"""Fault profiles: what each fault does to the wire, mocked and served, and how every one is classified."""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from agents_compat.config.profiles import ProfileError, load_profiles
from agents_compat.emulators import HttpReply, HttpRequest, create
from agents_compat.emulators.faults import LOUD_KINDS, RESET, SILENT_KINDS, Delivery, Fault, FaultyEmulator, Pause
from agents_compat.emulators.serve import make_server
from agents_compat.judging import classify
from agents_compat.judging.classify.common import reordered_output
from agents_compat.launchers import endpoint_for
from agents_compat.outcomes import Outcome
from agents_compat.running.backend import Backend
from agents_compat.testing import run_suites
from agents_compat.wire.capture import Exchange, parse_sse

MODEL = "gpt-4.1-mini"
CHAT = {"model": MODEL, "messages": [{"role": "user", "content": "Reply with exactly: one two three four five"}]}
RESPONSES = {"model": MODEL, "input": "Reply with exactly: one two three four five"}

# What each fault's reason must say, whatever feature met it.
NAMED = {
    "truncated_stream": "the stream ended mid-event",
    "no_end_event": "ended without",
    "malformed_json": "malformed JSON",
    "wrong_shape": "wrong shape",
    "html_502": "HTML error page",
    "rate_limited": "rate limited: 429 (Retry-After: 1 s)",
    "server_error": "server error: 500",
    "reset_before": "connection failed",
    "reset_mid": "reset mid-response",
    "slow": "no complete answer within the cell timeout",
}


def post(path: str, body: dict, stream: bool = False) -> HttpRequest:
    payload = {**body, "stream": True} if stream else body
    return HttpRequest("POST", path, {"content-type": "application/json"}, json.dumps(payload).encode())


def deliver(kind: str, request: HttpRequest) -> Delivery:
    return FaultyEmulator(create("openai", MODEL), Fault(kind=kind)).deliver(request)


def events(delivery: Delivery) -> list[dict]:
    return parse_sse(b"".join(delivery.reply.chunks).decode())


# --- what each fault does to a reply ------------------------------------------------------------


def test_every_kind_is_described() -> None:
    assert set(NAMED) == set(LOUD_KINDS)


def test_truncated_stream_stops_inside_a_data_line() -> None:
    delivery = deliver("truncated_stream", post("/v1/chat/completions", CHAT, stream=True))
    whole = create("openai", MODEL).handle(post("/v1/chat/completions", CHAT, stream=True))
    last = delivery.reply.chunks[-1]
    assert len(delivery.reply.chunks) <= len(whole.chunks) // 2 + 1
    assert last.startswith(b"data: {") and not last.endswith(b"\n")
    with pytest.raises(json.JSONDecodeError):
        json.loads(last.removeprefix(b"data: "))


@pytest.mark.parametrize(
    ("path", "body", "end"),
    [("/v1/chat/completions", CHAT, "[DONE]"), ("/v1/responses", RESPONSES, "response.completed")],
)
def test_no_end_event_drops_only_the_end_marker(path: str, body: dict, end: str) -> None:
    whole = parse_sse(b"".join(create("openai", MODEL).handle(post(path, body, stream=True)).chunks).decode())
    cut = events(deliver("no_end_event", post(path, body, stream=True)))
    assert end in json.dumps(whole) and end not in json.dumps(cut)
    assert len(cut) == len(whole) - 1


def test_malformed_json_cuts_a_body_and_one_stream_event() -> None:
    body = deliver("malformed_json", post("/v1/responses", RESPONSES)).reply.body
    with pytest.raises(json.JSONDecodeError):
        json.loads(body)
    broken = [
        e
        for e in events(deliver("malformed_json", post("/v1/responses", RESPONSES, stream=True)))
        if isinstance(e["data"], str)
    ]
    assert len(broken) == 1


def test_wrong_shape_is_valid_json_in_an_envelope() -> None:
    payload = json.loads(deliver("wrong_shape", post("/v1/responses", RESPONSES)).reply.body)
    assert set(payload) == {"data"} and payload["data"]["object"] == "response"
    streamed = events(deliver("wrong_shape", post("/v1/chat/completions", CHAT, stream=True)))
    assert all(set(e["data"]) == {"data"} for e in streamed if isinstance(e["data"], dict))


def test_error_replies_are_not_corrupted() -> None:
    unknown = post("/v1/responses", {**RESPONSES, "model": "no-such-model"})
    for kind in ("malformed_json", "wrong_shape"):
        reply = deliver(kind, unknown).reply
        assert reply.status == 404 and json.loads(reply.body)["error"]["code"] == "model_not_found"


def test_html_502_rate_limited_and_server_error_replace_the_reply() -> None:
    html = deliver("html_502", post("/v1/responses", RESPONSES)).reply
    assert (html.status, html.headers["content-type"]) == (502, "text/html") and b"<title>502 Bad Gateway" in html.body
    limited = deliver("rate_limited", post("/v1/responses", RESPONSES)).reply
    assert limited.status == 429 and limited.headers["retry-after"] == "1"
    assert json.loads(limited.body)["error"]["type"] == "requests"  # OpenAI's own error body
    failed = deliver("server_error", post("/v1/responses", RESPONSES)).reply
    assert failed.status == 500 and json.loads(failed.body)["error"]["type"] == "server_error"


def test_resets_and_pauses_land_at_their_offsets() -> None:
    assert deliver("reset_before", post("/v1/responses", RESPONSES)).reply is None
    mid = deliver("reset_mid", post("/v1/responses", RESPONSES, stream=True))
    writes = list(mid.writes())
    assert writes[-1] is RESET and sum(len(w) for w in writes[:-1]) == mid.reset_at > 0
    slow = list(deliver("slow", post("/v1/responses", RESPONSES)).writes())
    assert slow[0] == Pause(30.0) and isinstance(slow[1], bytes)  # a plain body stalls after its headers


def test_writes_split_a_piece_at_the_offset() -> None:
    delivery = Delivery(
        create("openai", MODEL).handle(post("/v1/responses", RESPONSES)), pause_at=5, pause=1.0, reset_at=9
    )
    body = delivery.reply.body
    assert list(delivery.writes()) == [body[:5], Pause(1.0), body[5:9], RESET]


def test_gets_pass_untouched() -> None:
    for kind in (*LOUD_KINDS, *SILENT_KINDS):
        delivery = deliver(kind, HttpRequest("GET", "/v1/models", {"authorization": "Bearer k"}))
        assert delivery.plain and delivery.reply.status == 200, kind


# --- profiles --------------------------------------------------------------------------------------

BASE = '[profiles.x]\nfamily = "ollama"\napi = "chat_completions"\nmodel = "qwen3:0.6b"\n'


@pytest.mark.parametrize(
    ("extra", "names"),
    [
        ('fault = "gremlins"\n', ["field 'fault.kind'", "gremlins", "truncated_stream"]),
        ('fault = { kind = "slow", seconds = -1 }\n', ["field 'fault.seconds'", "greater than 0"]),
        ('fault = { kind = "slow", colour = "red" }\n', ["field 'fault.colour'"]),
        (
            'reach = "url"\nbase_url = "http://127.0.0.1:9/v1"\nfault = "slow"\n',
            ["'fault' applies to reach = \"emulator\""],
        ),
        ("timeout = 0\n", ["field 'timeout'", "greater than 0"]),
    ],
    ids=["unknown-kind", "negative-seconds", "unknown-setting", "fault-on-a-url", "zero-timeout"],
)
def test_bad_fault_settings_are_one_clear_message(tmp_path: Path, extra: str, names: list[str]) -> None:
    path = tmp_path / "faulty.toml"
    path.write_text(BASE + extra)
    with pytest.raises(ProfileError) as caught:
        load_profiles([path])
    for name in names:
        assert name in str(caught.value)


def test_fault_profiles_load_only_when_asked() -> None:
    assert not [name for name in load_profiles() if name.startswith("fault-")]
    faulty = {n: p for n, p in load_profiles(include_faults=True).items() if n.startswith("fault-")}
    assert {p.fault.kind for p in faulty.values()} == set(LOUD_KINDS)
    for profile in faulty.values():
        assert set(profile.expect.values()) & {Outcome.BROKEN, Outcome.ERROR}, profile.name


# --- the cell timeout cuts a stalled backend, and leaves nothing running -------------------------


@pytest.fixture
def stalled() -> load_profiles:
    profile = load_profiles()["openai-responses"]
    return profile.model_copy(update={"fault": Fault(kind="slow", seconds=60), "base_url": None})


@pytest.mark.parametrize("streamed", [False, True], ids=["run", "run_streamed"])
async def test_timeout_bounds_a_stalled_reply(stalled, streamed: bool) -> None:
    async with endpoint_for(stalled) as endpoint:
        backend = Backend(stalled, endpoint.base_url, endpoint.transport, api_key=endpoint.api_key, timeout=0.3)
        agent = backend.agent("a", "Answer briefly.")
        started = time.perf_counter()
        runner = backend.run_streamed if streamed else backend.run
        record = await runner(agent, "Reply with exactly: one two three four five")
        elapsed = time.perf_counter() - started
        await backend.aclose()
    assert record.timed_out and 0.3 <= elapsed < 2.0
    reason = classify.failure(record).reason
    assert re.match(r"no (complete )?answer within the cell timeout \(0\.\d\d s\)", reason), reason
    if streamed and record.exchanges:  # half its events came (unless a loaded machine cut it even sooner)
        assert re.search(r": headers and \d+ events \([\d,]+ bytes\), ", reason), reason
    await asyncio.sleep(0.05)
    left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert left == []


# --- served over real HTTP: the same faults on a real socket --------------------------------------


@pytest.fixture
def serve() -> Iterator:
    servers = []

    def start(kind: str) -> str:
        server = make_server(create("openai", MODEL), fault=Fault(kind=kind, seconds=30))
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        host, port = server.server_address[:2]
        return f"http://{host}:{port}/v1"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("kind", sorted(LOUD_KINDS))
@pytest.mark.parametrize("api", ["chat_completions", "responses"])
async def test_served_fault_is_classified_and_named(serve, kind: str, api: str) -> None:
    profile = load_profiles()["openai-chat" if api == "chat_completions" else "openai-responses"]
    # Only the slow fault should meet the timeout: a first streamed run warms the SDK up for ~0.3 s.
    timeout = 0.5 if kind == "slow" else 10.0
    backend = Backend(profile, serve(kind), httpx.AsyncHTTPTransport(), api_key="k", timeout=timeout)
    runner = backend.run_streamed if kind in ("truncated_stream", "no_end_event") else backend.run
    record = await runner(backend.agent("a", "Answer briefly."), "Reply with exactly: one two three four five")
    await backend.aclose()
    observed = classify.failure(record)
    expected = Outcome.ERROR if kind in ("rate_limited", "reset_before", "slow") else Outcome.BROKEN
    assert observed is not None and observed.outcome is expected, observed
    assert NAMED[kind] in observed.reason


# --- the fault matrix through the plugin ----------------------------------------------------------

pytestmark_plugin = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytestmark_plugin
def test_fault_profiles_become_named_broken_or_error_cells(pytester: pytest.Pytester) -> None:
    # Two features that stream and one that does not: every fault shows; the full fault matrix is
    # `python -m agents_compat matrix --faults --backend 'fault-*'` (docs/robustness.md, "Faults").
    result = run_suites(pytester, "--compat-faults", "--backend", "fault-*", "-k", "test_plain_text or test_streaming")
    profiles = {n: p for n, p in load_profiles(include_faults=True).items() if n.startswith("fault-")}
    result.assert_outcomes(passed=3 * len(profiles))
    cells = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]
    for cell in cells:
        if cell["outcome"] in ("broken", "error"):
            assert NAMED[profiles[cell["backend"]].fault.kind] in cell["reason"], cell
    hit = {(c["backend"]) for c in cells if c["outcome"] in ("broken", "error")}
    assert hit == set(profiles)  # every fault shows in at least one of the three features


# --- silent faults: a 200 with a plausible answer, missing what the model needed -----------------

TOOLS = [{"type": "function", "name": n, "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}
         for n in ("get_weather", "get_time")]  # fmt: skip
BOTH = {"model": MODEL, "input": "Use get_weather and get_time for Paris.", "tools": TOOLS}


def _exchange(delivery: Delivery, request: dict, streamed: bool = False) -> Exchange:
    raw = b"".join(delivery.reply.chunks) if streamed else delivery.reply.body
    content_type = "text/event-stream" if streamed else "application/json"
    ex = Exchange("POST", "http://backend/v1/responses", {}, request, status=200, streamed=streamed, complete=True)
    ex.response_headers = {"content-type": content_type}
    ex.raw_response.extend(raw)
    return ex


def test_drop_system_and_drop_tools_change_only_what_reaches_the_model() -> None:
    system = "Begin every answer with MARK-1."
    chat = {"model": MODEL, "messages": [{"role": "system", "content": system}, {"role": "user", "content": "hi"}]}
    kept = deliver("drop_tools", post("/v1/chat/completions", chat)).reply.payload()
    dropped = deliver("drop_system", post("/v1/chat/completions", chat)).reply.payload()
    assert kept["choices"][0]["message"]["content"] == "MARK-1 You said: hi"
    assert dropped["choices"][0]["message"]["content"] == "You said: hi"
    assert dropped["usage"]["prompt_tokens"] < kept["usage"]["prompt_tokens"]  # the backend's count shows it
    responses = deliver("drop_system", post("/v1/responses", {**RESPONSES, "instructions": system})).reply.payload()
    assert not responses["output"][0]["content"][0]["text"].startswith("MARK-1")
    no_tools = deliver("drop_tools", post("/v1/responses", BOTH)).reply.payload()
    assert [i["type"] for i in no_tools["output"]] == ["message"]


@pytest.mark.parametrize("streamed", [False, True])
def test_drop_second_call_returns_the_first_and_keeps_the_models_count(streamed: bool) -> None:
    clean = FaultyEmulator(create("openai", MODEL)).deliver(post("/v1/responses", BOTH)).reply.payload()
    delivery = deliver("drop_second_call", post("/v1/responses", BOTH, stream=streamed))
    final = events(delivery)[-1]["data"]["response"] if streamed else delivery.reply.payload()
    assert [i["name"] for i in clean["output"]] == ["get_weather", "get_time"]
    assert [i["name"] for i in final["output"]] == ["get_weather"]
    assert final["usage"]["output_tokens"] == clean["usage"]["output_tokens"]
    if streamed:  # the dropped item's events are gone too, not just its place in the final object
        assert {e["data"].get("output_index") for e in events(delivery)} <= {None, 0}
    functions = [{"type": "function", "function": {k: v for k, v in t.items() if k != "type"}} for t in TOOLS]
    chat = {"model": MODEL, "messages": [{"role": "user", "content": BOTH["input"]}], "tools": functions}
    message = deliver("drop_second_call", post("/v1/chat/completions", chat)).reply.payload()["choices"][0]["message"]
    assert [c["function"]["name"] for c in message["tool_calls"]] == ["get_weather"]


def test_reorder_output_is_read_from_the_stream_and_from_the_written_order() -> None:
    clean = FaultyEmulator(create("openai", MODEL)).deliver(post("/v1/responses", BOTH, stream=True))
    assert reordered_output(_exchange(clean, BOTH, streamed=True)) is None
    streamed = deliver("reorder_output", post("/v1/responses", BOTH, stream=True))
    found = reordered_output(_exchange(streamed, BOTH, streamed=True))
    assert found is not None and "out of the order the stream placed them" in found
    # Two calls alone have no written order: reversed without a stream, nothing shows.
    assert reordered_output(_exchange(deliver("reorder_output", post("/v1/responses", BOTH)), BOTH)) is None
    mixed = {"object": "response", "output": [{"type": "function_call", "id": "fc_1"}, {"type": "message", "id": "m"}]}
    body = Delivery(HttpReply.json(200, mixed))
    assert "order a model writes them" in (reordered_output(_exchange(body, BOTH)) or "")
    mixed["output"].reverse()
    assert reordered_output(_exchange(Delivery(HttpReply.json(200, mixed)), BOTH)) is None
