"""agents_compat/running/health.py: a backend that stopped answering ends its row's remaining cells at once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from agents_compat.running.health import NOT_ANSWERING_AFTER, BackendNotAnswering, GuardedTransport, Health


class Scripted(httpx.AsyncBaseTransport):
    """Answers 200, or fails the way a dead server does, in the order given."""

    def __init__(self, *script: str):
        self.script, self.sent = list(script), 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        step = self.script.pop(0)
        if step == "refused":
            raise httpx.ConnectError("connection refused", request=request)
        if step == "hang":
            await asyncio.sleep(10)
        if step in ("stall", "flood"):
            return httpx.Response(200, request=request, content=_body(step))
        return httpx.Response(200 if step == "ok" else 500, request=request)


async def _body(step: str) -> AsyncIterator[bytes]:
    """Headers came; then one event and silence ("stall"), or an event every 10 ms ("flood")."""
    yield b"data: {}\n\n"
    while True:
        await asyncio.sleep(10 if step == "stall" else 0.01)
        yield b"data: {}\n\n"


async def _read_until_cut(transport: GuardedTransport, seconds: float) -> str:
    async def read() -> str:
        async with httpx.AsyncClient(transport=transport) as client:
            async with client.stream("POST", "http://backend/v1/responses") as response:
                async for _ in response.aiter_bytes():
                    pass
        return "ended"

    try:
        return await asyncio.wait_for(read(), seconds)
    except TimeoutError:
        return "cut"
    except BackendNotAnswering:
        return "not answering"


async def _send(transport: GuardedTransport) -> str:
    async with httpx.AsyncClient(transport=transport) as client:
        try:
            return str((await client.get("http://backend/v1/models")).status_code)
        except BackendNotAnswering:
            return "not answering"
        except httpx.TransportError:
            return "failed"


async def test_after_failures_in_a_row_no_further_request_is_sent() -> None:
    inner, health = Scripted(*["refused"] * NOT_ANSWERING_AFTER, "ok"), Health()
    guarded = GuardedTransport(inner, health)
    assert [await _send(guarded) for _ in range(NOT_ANSWERING_AFTER + 1)] == ["failed"] * NOT_ANSWERING_AFTER + [
        "not answering"
    ]
    assert inner.sent == NOT_ANSWERING_AFTER
    assert health.dead and f"({NOT_ANSWERING_AFTER} requests in a row got no response)" in health.reason


async def test_any_response_resets_the_count_even_an_error_status() -> None:
    inner, health = Scripted("refused", "error", "refused", "ok"), Health()
    guarded = GuardedTransport(inner, health)
    assert [await _send(guarded) for _ in range(4)] == ["failed", "500", "failed", "200"]
    assert (health.failures, health.since, health.dead) == (0, None, False)


async def test_a_request_cancelled_by_the_cell_timeout_counts_as_no_response() -> None:
    health = Health()
    guarded = GuardedTransport(Scripted("hang"), health)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(_send(guarded), 0.05)
    assert health.failures == 1 and health.since is not None


def test_the_reason_names_when_the_first_failure_was_sent() -> None:
    health = Health()
    health.failed(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))
    health.failed(datetime(2026, 1, 2, 3, 9, 0, tzinfo=UTC))
    assert health.reason.startswith("backend not answering since 03:04:05 UTC")


async def test_headers_then_silence_count_as_no_response() -> None:
    health = Health()
    guarded = GuardedTransport(Scripted("stall", "stall", "ok"), health, stall_after=0.1)
    assert [await _read_until_cut(guarded, 0.3) for _ in range(3)] == ["cut", "cut", "not answering"]
    assert health.dead
    assert "2 requests in a row got no complete response; the last: headers and 10 body bytes, then nothing for 0." in (
        health.reason
    )


async def test_a_body_still_flowing_when_cut_is_an_answer() -> None:
    health = Health()
    guarded = GuardedTransport(Scripted("stall", "flood", "stall"), health, stall_after=0.1)
    assert [await _read_until_cut(guarded, 0.3) for _ in range(3)] == ["cut", "cut", "cut"]
    assert health.failures == 1 and not health.dead  # the flood between the stalls reset the count


async def test_headers_alone_no_longer_reset_the_count() -> None:
    health = Health()
    health.failed(datetime.now(UTC))
    guarded = GuardedTransport(Scripted("stall"), health, stall_after=0.1)
    async with httpx.AsyncClient(transport=guarded) as client:
        async with client.stream("POST", "http://backend/v1/responses") as response:
            assert response.status_code == 200 and health.failures == 1  # headers in hand: not yet an answer
    assert health.failures == 0  # closed by the reader before its end, without a stall: an answer


async def test_a_body_silent_for_most_of_a_short_life_counts_too() -> None:
    # Sent just before the cut: 0.3 s of life, silent after its first event, though stall_after is a minute.
    health = Health()
    guarded = GuardedTransport(Scripted("stall"), health, stall_after=60)
    assert await _read_until_cut(guarded, 0.3) == "cut"
    assert health.failures == 1
