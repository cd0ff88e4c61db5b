"""Property-based tests: any profile file loads or fails with one ProfileError; any request body gets the
backend's own 4xx error body (or an answer), never a 5xx or an exception from our code."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents_compat.config.profiles import Profile, ProfileError, load_profiles
from agents_compat.emulators import ApiError, HttpRequest, create

SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False, width=32) | st.text(max_size=12)
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def keyed(keys: list[str], values: st.SearchStrategy[Any] = json_values) -> st.SearchStrategy[dict[str, Any]]:
    """Objects whose keys are mostly ones the reader looks for, so fuzzing reaches past the first check."""
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=6), values, max_size=len(keys) + 1)


# --- profile files ---------------------------------------------------------------------------------

FIELDS = [*Profile.model_fields, "kind", "seconds"]
VALID = {"family": "ollama", "api": "chat_completions", "model": "m"}


def toml_value(value: Any) -> str:
    if value is None:
        return '""'  # TOML has no null
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value) if value == value and abs(value) != float("inf") else "0"
    if isinstance(value, str):
        return json.dumps(value)  # JSON string escapes are TOML basic-string escapes (or TOML rejects them)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {toml_value(v)}" for k, v in value.items()) + "}"


profile_tables = st.fixed_dictionaries({}, optional={k: st.just(v) for k, v in VALID.items()}).flatmap(
    lambda base: keyed(FIELDS, json_values | st.sampled_from(["url", "process", "emulator", "slow", "supported"])).map(
        lambda extra: {**base, **extra}
    )
)


def load_text(text: str) -> dict[str, Profile]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.toml"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return load_profiles([path], include_builtin=False)


@SETTINGS
@given(name=st.text(min_size=1, max_size=8), table=profile_tables)
def test_any_profile_table_loads_or_is_one_profile_error(name: str, table: dict[str, Any]) -> None:
    text = f"[profiles.{json.dumps(name)}]\n" + "".join(
        f"{json.dumps(k)} = {toml_value(v)}\n" for k, v in table.items()
    )
    try:
        profiles = load_text(text)
    except ProfileError as exc:
        assert "\n" not in str(exc) or "not valid TOML" in str(exc)
    else:
        assert list(profiles) == [name] and isinstance(profiles[name], Profile)


@SETTINGS
@given(
    text=st.text(max_size=80) | st.sampled_from(["profiles = 3", "profiles = []", "[profiles]\nx = 1", "[[profiles]]"])
)
def test_any_text_loads_or_is_one_profile_error(text: str) -> None:
    try:
        load_text(text)
    except ProfileError:
        pass


# --- emulator request parsing ---------------------------------------------------------------------

BUILTIN = load_profiles()
MESSAGE_KEYS = ["role", "content", "tool_calls", "tool_call_id", "name", "type", "call_id", "arguments", "output"]
messages = st.lists(
    keyed(MESSAGE_KEYS, json_values | st.sampled_from(["user", "assistant", "tool", "system", "message"])) | scalars,
    max_size=3,
)
tools = st.lists(
    keyed(["type", "function", "name", "parameters"], json_values | st.just("function")) | scalars, max_size=2
)
CHAT_KEYS = ["messages", "tools", "tool_choice", "response_format", "stream", "stream_options", "parallel_tool_calls"]
RESPONSES_KEYS = [
    "input",
    "instructions",
    "tools",
    "tool_choice",
    "text",
    "stream",
    "previous_response_id",
    "conversation",
    "store",
    "parallel_tool_calls",
]
INPUT_TYPES = ["message", "function_call", "function_call_output", "compaction", "reasoning", "item_reference"]
inputs = st.text(max_size=10) | st.lists(
    keyed(MESSAGE_KEYS + ["encrypted_content"], json_values | st.sampled_from(INPUT_TYPES + ["user", "assistant"]))
    | scalars,
    max_size=3,
)


def bodies(model: str, keys: list[str], known: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[bytes]:
    fields = st.fixed_dictionaries({}, optional={k: known.get(k, json_values) for k in keys})
    shaped = fields.map(lambda body: json.dumps({"model": model, **body}).encode())
    return shaped | json_values.map(lambda v: json.dumps(v).encode()) | st.binary(max_size=20)


def check(profile: Profile, path: str, body: bytes) -> None:
    emulator = create(profile.emulator_name, profile.model, profile.emulator_options)
    headers = {"content-type": "application/json", "authorization": f"Bearer {profile.api_key}"}
    reply = emulator.handle(HttpRequest("POST", path, headers, body))
    # a server whose refusals are all 500s (llama-cpp-python) may answer 500, as an error body of its own shape
    assert reply.status < 500 or reply.status == getattr(emulator, "invalid_request_status", None), (
        reply.status,
        reply.body[:200],
    )
    if reply.status >= 400 and reply.body.startswith(b"{"):
        own = emulator.error_reply(ApiError(reply.status, "m"))
        assert set(json.loads(reply.body)) == set(json.loads(own.body)), reply.body[:200]
    if reply.streamed:
        assert b"".join(reply.chunks)


@pytest.mark.parametrize(
    "name", [n for n, p in BUILTIN.items() if p.api == "chat_completions" or p.family == "gomodel"]
)
def test_chat_completions_parse_any_body(name: str) -> None:
    profile = BUILTIN[name]
    known = {"messages": messages, "tools": tools}

    @SETTINGS
    @given(body=bodies(profile.model, CHAT_KEYS, known))
    def fuzz(body: bytes) -> None:
        check(profile, "/v1/chat/completions", body)

    fuzz()


@pytest.mark.parametrize("name", [n for n, p in BUILTIN.items() if p.api == "responses"])
def test_responses_parse_any_body(name: str) -> None:
    profile = BUILTIN[name]
    known = {"input": inputs, "tools": tools, "text": keyed(["format"], keyed(["type", "schema", "name"]))}

    @SETTINGS
    @given(body=bodies(profile.model, RESPONSES_KEYS, known))
    def fuzz(body: bytes) -> None:
        check(profile, "/v1/responses", body)

    fuzz()


@pytest.mark.parametrize(
    ("name", "path", "body"),
    [
        ("llamacpp-chat", "/v1/chat/completions", {"messages": [{"role": "user", "tool_calls": "user"}]}),
        ("gomodel-translated", "/v1/responses", {"input": "", "tools": [None]}),
        ("litellm-responses", "/v1/responses", {"input": "", "tools": [None]}),
        ("openai-chat", "/v1/chat/completions", {"messages": [{"role": "user", "content": [{"text": 3}]}]}),
        ("openai-responses", "/v1/responses", {"input": "x", "previous_response_id": ["resp_1"]}),
        (
            "openai-responses",
            "/v1/responses",
            {
                "input": "x",
                "text": {
                    "format": {
                        "type": "json_schema",
                        "schema": {"$ref": "#/$defs/a", "$defs": {"a": {"$ref": "#/$defs/a"}}},
                    }
                },
            },
        ),
    ],
    ids=[
        "tool-calls-not-a-list",
        "null-tool-through-a-gateway",
        "null-tool-echoed-by-litellm",
        "non-text-part",
        "unhashable-previous-id",
        "ref-cycle",
    ],
)
def test_bodies_the_fuzzer_found(name: str, path: str, body: dict[str, Any]) -> None:
    profile = BUILTIN[name]
    check(profile, path, json.dumps({"model": profile.model, **body}).encode())
