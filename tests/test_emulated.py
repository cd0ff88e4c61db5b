"""agents_compat/launchers/emulated.py: an emulator mounted as the openai client's transport, faults included."""

from __future__ import annotations

import json
import re

import httpx
import pytest
import respx

from agents_compat.emulators import Faults, create
from agents_compat.emulators.faults import Fault
from agents_compat.launchers.emulated import CONNECTION_RESET, mount

BASE = "http://backend.emulated:8080/v1"
CHAT = {"model": "qwen3:0.6b", "messages": [{"role": "user", "content": "Reply with exactly: hi"}]}


def _client(faults: Faults | None = None, fault: Fault | None = None) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=mount(create("ollama", "qwen3:0.6b"), BASE, faults, fault))


async def test_requests_to_the_base_urls_host_are_answered_by_the_emulator() -> None:
    async with _client() as client:
        reply = await client.post(f"{BASE}/chat/completions", json=CHAT)
    assert reply.status_code == 200
    assert reply.json()["choices"][0]["message"]["content"]


async def test_another_host_or_port_is_not_answered() -> None:
    async with _client() as client:
        for url in ("http://elsewhere:8080/v1/models", "http://backend.emulated:9999/v1/models"):
            with pytest.raises(respx.models.AllMockedAssertionError):
                await client.get(url)


async def test_an_injected_error_answers_the_next_request_only_in_the_backends_own_body() -> None:
    faults = Faults()
    faults.inject(429, "slow down")
    async with _client(faults) as client:
        first = await client.post(f"{BASE}/chat/completions", json=CHAT)
        second = await client.post(f"{BASE}/chat/completions", json=CHAT)
    assert first.status_code == 429 and "slow down" in first.text
    assert second.status_code == 200


async def test_a_stream_arrives_in_its_network_writes_and_only_once() -> None:
    async with _client() as client:
        async with client.stream("POST", f"{BASE}/chat/completions", json={**CHAT, "stream": True}) as reply:
            writes = [chunk async for chunk in reply.aiter_raw()]
            again = [chunk async for chunk in reply.stream]  # a socket is read once: nothing is replayed
    assert len(writes) > 2 and writes[-1].endswith(b"data: [DONE]\n\n")
    assert json.loads(writes[0].removeprefix(b"data: "))["choices"][0]["index"] == 0
    assert again == []


@pytest.mark.parametrize(("kind", "arrived"), [("reset_before", False), ("reset_mid", True)])
async def test_a_reset_reaches_the_client_as_a_read_error(kind: str, arrived: bool) -> None:
    received: list[bytes] = []
    async with _client(fault=Fault(kind=kind)) as client:
        with pytest.raises(httpx.ReadError, match=re.escape(CONNECTION_RESET)):
            async with client.stream("POST", f"{BASE}/chat/completions", json={**CHAT, "stream": True}) as reply:
                async for chunk in reply.aiter_raw():
                    received.append(chunk)
    assert bool(received) is arrived
