"""The GoModel emulator's release axis: what each modelled release does differently (gomodel_releases.py)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from agents_compat.config.profiles import load_profiles
from agents_compat.emulators import HttpReply, HttpRequest, create
from agents_compat.emulators.gomodel_releases import RELEASES, release

TRANSLATED, NATIVE = "ollama/qwen3:0.6b", "openai/gpt-4.1-mini"


def gomodel(version: str, model: str = TRANSLATED) -> Any:
    return create("gomodel", model, {"upstream": model.split("/")[0], "master_key": "k", "version": version})


def call(emulator: Any, method: str, path: str, body: dict[str, Any] | None = None) -> HttpReply:
    headers = {"authorization": "Bearer k", "content-type": "application/json"}
    return emulator.handle(HttpRequest(method, path, headers, json.dumps(body).encode() if body else b""))


def test_every_gomodel_profile_names_a_modelled_release() -> None:
    profiles = [p for p in load_profiles().values() if p.family == "gomodel"]
    assert len(profiles) == 4
    for profile in profiles:
        modelled = release(profile.emulator_options.get("version"))
        assert profile.version and profile.version.startswith(modelled.label), profile.name


def test_an_unknown_release_is_refused() -> None:
    with pytest.raises(ValueError, match="no modelled release '0.1.40'"):
        gomodel("0.1.40")


def test_conversations_api_arrives_after_0122() -> None:
    assert call(gomodel("0.1.22"), "POST", "/v1/conversations", {}).payload() == {"message": "Not Found"}
    created = call(gomodel("0.1.59"), "POST", "/v1/conversations", {})
    assert created.status == 200 and created.payload()["id"].startswith("conv_")


def test_include_is_refused_until_8210cda() -> None:
    body = {"model": TRANSLATED, "input": "hi", "include": ["reasoning.encrypted_content"]}
    refused = call(gomodel("0.1.59"), "POST", "/v1/responses", body)
    assert refused.status == 400 and refused.payload()["error"]["message"].startswith('responses field "include"')
    assert call(gomodel("0a17408"), "POST", "/v1/responses", body).status == 200
    assert call(gomodel("0.1.22"), "POST", "/v1/responses", body).status == 200  # copied upstream, unread


@pytest.mark.parametrize("version", sorted(RELEASES))
def test_non_streamed_replies_are_reencoded_with_provider(version: str) -> None:
    native = call(gomodel(version, NATIVE), "POST", "/v1/responses", {"model": NATIVE, "input": "hi"}).payload()
    assert list(native) == ["id", "object", "created_at", "model", "provider", "status", "output", "usage"]
    assert native["provider"] == "openai"
    assert native["output"][0]["content"] == [
        {"type": "output_text", "text": native["output"][0]["content"][0]["text"]}
    ]
    assert set(native["usage"]["input_tokens_details"]) == {
        "cached_tokens",
        "audio_tokens",
        "text_tokens",
        "image_tokens",
    }
    messages = [{"role": "user", "content": "hi"}]
    completion = call(gomodel(version), "POST", "/v1/chat/completions", {"model": TRANSLATED, "messages": messages})
    assert completion.payload()["provider"] == "ollama"


def test_compaction_items_lose_their_encrypted_content_before_ef333e8() -> None:
    body = {"model": NATIVE, "input": "Remember KIWI-1."}
    old = call(gomodel("0.1.22", NATIVE), "POST", "/v1/responses/compact", body).payload()
    new = call(gomodel("0.1.59", NATIVE), "POST", "/v1/responses/compact", body).payload()
    assert old["output"][0] == {"id": old["output"][0]["id"], "type": "compaction"} and old["provider"] == "openai"
    assert new["output"][0]["encrypted_content"]


@pytest.mark.parametrize("version", sorted(RELEASES))
def test_native_streams_end_with_done(version: str) -> None:
    reply = call(gomodel(version, NATIVE), "POST", "/v1/responses", {"model": NATIVE, "input": "hi", "stream": True})
    assert reply.chunks is not None and reply.chunks[-1] == b"data: [DONE]\n\n"
    assert sum(chunk == b"data: [DONE]\n\n" for chunk in reply.chunks) == 1
