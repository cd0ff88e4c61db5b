"""agents_compat/wire/capture.py: compressed answers recorded decoded, the cap on decoded bytes, durations to the
body's end, and a bounded excerpt of each answer in the report."""

from __future__ import annotations

import asyncio
import gzip
import json
import tracemalloc
import zlib
from collections.abc import AsyncIterator, Iterable

import httpx
import pytest

from agents_compat.emulators.hostile import gzip_bomb_body
from agents_compat.judging import evidence
from agents_compat.wire.capture import (
    ACCEPT_ENCODING,
    BODY_KEPT,
    EDGE_EVENTS,
    BodyTooLarge,
    CapturingTransport,
    Exchange,
)

URL = "http://backend/v1/chat/completions"
ANSWER = {"id": "c", "object": "chat.completion", "choices": [{"index": 0, "message": {"content": "PONG"}}]}


def _pieces(data: bytes, size: int = 7) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _serving(chunks: Iterable[bytes], headers: dict[str, str], pause: float = 0.0) -> httpx.AsyncBaseTransport:
    async def body() -> AsyncIterator[bytes]:
        for chunk in chunks:
            yield chunk
        await asyncio.sleep(pause)

    return httpx.MockTransport(lambda request: httpx.Response(200, headers=headers, content=body()))


async def _fetch(
    inner: httpx.AsyncBaseTransport, max_body: int = 1_000_000, timeout: float = 5.0
) -> tuple[Exchange, bytes | BaseException]:
    capture = CapturingTransport(inner, max_body=max_body)
    async with httpx.AsyncClient(transport=capture, headers={"Accept-Encoding": ACCEPT_ENCODING}) as client:
        try:
            got: bytes | BaseException = await asyncio.wait_for(client.post(URL, json={}), timeout)
            assert isinstance(got, httpx.Response)
            got = got.content
        except (httpx.HTTPError, TimeoutError) as error:
            got = error
    return capture.exchanges[0], got


@pytest.mark.parametrize(
    ("coding", "squeeze"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),  # RFC 9110's deflate: zlib-wrapped
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw, as some servers send it
    ],
)
async def test_a_compressed_body_is_recorded_and_judged_decoded(coding: str, squeeze: object) -> None:
    assert callable(squeeze)
    plain = json.dumps(ANSWER).encode()
    headers = {"content-type": "application/json", "content-encoding": coding}
    exchange, got = await _fetch(_serving(_pieces(squeeze(plain)), headers))
    assert got == plain  # what the SDK read: httpx decoded it as before
    assert exchange.response_body == ANSWER and exchange.encoding == coding
    assert evidence.defect(exchange) is None
    assert exchange.to_json()["response"]["body"] == ANSWER


async def test_a_compressed_stream_flushed_per_event_is_recorded_as_its_events() -> None:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    events = [json.dumps({"choices": [{"index": 0, "delta": {"content": w}}]}) for w in ("one ", "two")] + ["[DONE]"]
    chunks = [squeeze.compress(f"data: {e}\n\n".encode()) + squeeze.flush(zlib.Z_SYNC_FLUSH) for e in events]
    chunks.append(squeeze.flush())
    headers = {"content-type": "text/event-stream", "content-encoding": "gzip"}
    exchange, _ = await _fetch(_serving(chunks, headers))
    assert [e["data"] for e in exchange.events][-1] == "[DONE]"
    assert evidence.texts(exchange) == ["one two"]
    assert evidence.defect(exchange) is None


async def test_a_gzip_bomb_is_cut_at_the_cap_on_decoded_bytes_in_bounded_memory() -> None:
    bomb = gzip_bomb_body(256 * 1024 * 1024)  # 256 MiB inflated, 260 kB on the wire
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    tracemalloc.start()
    try:
        exchange, got = await _fetch(_serving(_pieces(bomb, 65536), headers), max_body=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(got, BodyTooLarge), got
    assert peak < 40 * 1024 * 1024, peak  # the SDK's own decoder never saw the chunk that passes the cap
    assert exchange.oversize > 1024 * 1024 and exchange.wire_bytes < len(bomb)
    reason = evidence.defect(exchange)
    assert reason is not None and "over the 1048576-byte cap once decoded (gzip:" in reason, reason
    assert len(json.dumps(exchange.to_json())) < 10_000


@pytest.mark.parametrize("coding", ["br", "zstd", "x-gzip", "gzip, gzip"])
async def test_an_encoding_the_request_did_not_accept_is_named_not_judged_as_text(coding: str) -> None:
    # x-gzip too: httpx leaves it undecoded, so the SDK reads the compressed bytes.
    headers = {"content-type": "application/json", "content-encoding": coding}
    exchange, _ = await _fetch(_serving([gzip.compress(b"{}")], headers))
    assert evidence.defect(exchange) == f"a body in Content-Encoding {coding!r}; the request accepted gzip, deflate"


async def test_compressed_bytes_that_do_not_inflate_are_a_named_defect() -> None:
    headers = {"content-type": "application/json", "content-encoding": "gzip"}
    exchange, got = await _fetch(_serving([b"\x1f\x8b\x08\x00not gzip at all"], headers))
    assert isinstance(got, httpx.DecodingError)
    found = evidence.defect(exchange)
    assert found is not None and found.startswith("a gzip body that does not decode ("), found


async def test_the_exchange_lasts_until_its_body_ends_however_it_ends() -> None:
    headers = {"content-type": "text/event-stream"}
    finished, _ = await _fetch(_serving([b'data: {"a": 1}\n\n'], headers, pause=0.3))
    assert finished.complete and finished.seconds >= 0.3 and finished.quiet >= 0.3

    stalled, got = await _fetch(
        _serving([b'data: {"a": 1}\n\n', b'data: {"a": 2}\n\n'], headers, pause=10), timeout=0.6
    )
    assert isinstance(got, TimeoutError) and not stalled.complete
    assert stalled.seconds >= 0.55, stalled.seconds  # not the moment the headers came
    assert stalled.arrived.startswith("headers and 2 events (32 bytes), then nothing for 0."), stalled.arrived


def test_an_answer_still_arriving_at_the_cut_says_so_whatever_its_length() -> None:
    exchange = Exchange("POST", URL, {}, {}, status=200, streamed=True, seconds=120.0, quiet=0.01)
    exchange.response_headers = {"content-type": "text/event-stream"}
    exchange.raw_response.extend(b'data: {"a": 1}\n\n' * 70_000)
    assert exchange.arrived == "headers and 70,000 events (1,120,000 bytes), still arriving when it was cut"


def test_a_long_stream_keeps_its_first_and_last_events_and_their_count() -> None:
    exchange = Exchange("POST", URL, {}, {}, status=200, streamed=True, complete=True)
    exchange.response_headers = {"content-type": "text/event-stream"}
    for number in range(50_000):
        exchange.raw_response.extend(b'data: {"n": %d}\n\n' % number)
    exchange.raw_response.extend(b"data: [DONE]\n\n")
    response = exchange.to_json()["response"]
    kept = [e["data"] for e in response["body"]]
    assert kept[:3] == [{"n": 0}, {"n": 1}, {"n": 2}] and kept[-2:] == [{"n": 49_999}, "[DONE]"]
    assert len(kept) == 2 * EDGE_EVENTS and response["events_total"] == 50_001
    assert response["size"] == len(exchange.raw_response)
    back = Exchange.from_json(exchange.to_json())
    assert back.events_total == 50_001 and back.received == len(exchange.raw_response)


def test_a_short_stream_and_a_small_body_are_kept_whole() -> None:
    stream = Exchange("POST", URL, {}, {}, status=200, streamed=True, complete=True)
    stream.response_headers = {"content-type": "text/event-stream"}
    stream.raw_response.extend(b'data: {"n": 1}\n\ndata: [DONE]\n\n')
    assert stream.to_json()["response"] == {
        "status": 200,
        "headers": {"content-type": "text/event-stream"},
        "body": [{"event": None, "data": {"n": 1}}, {"event": None, "data": "[DONE]"}],
        "streamed": True,
        "complete": True,
    }
    plain = Exchange("POST", URL, {}, {}, status=200, complete=True, response_headers={"content-type": "json"})
    plain.raw_response.extend(json.dumps(ANSWER).encode())
    assert plain.to_json()["response"]["body"] == ANSWER and "size" not in plain.to_json()["response"]


def test_a_large_body_or_event_is_kept_as_an_excerpt_with_its_size() -> None:
    plain = Exchange("POST", URL, {}, {}, status=200, complete=True, response_headers={"content-type": "json"})
    plain.raw_response.extend(json.dumps({"content": "a" * 3 * BODY_KEPT}).encode())
    response = plain.to_json()["response"]
    assert response["size"] == len(plain.raw_response) and len(response["body"]) < 2 * BODY_KEPT // 10
    assert response["body"].startswith(f"[a {len(plain.raw_response)}-byte body; its first 2000 characters:] ")

    stream = Exchange("POST", URL, {}, {}, status=200, streamed=True, complete=True)
    stream.response_headers = {"content-type": "text/event-stream"}
    for _ in range(5):
        stream.raw_response.extend(b'data: {"delta": "%s"}\n\n' % (b"a" * BODY_KEPT))
    body = stream.to_json()["response"]["body"]
    assert len(json.dumps(body)) < BODY_KEPT and all(isinstance(e["data"], str) for e in body)
    assert body[0]["data"].startswith(f"[a {BODY_KEPT + 13}-character event; its first 2000:] ")


def test_a_key_split_across_the_cut_of_a_long_stream_is_scrubbed_before_the_cut() -> None:
    key = "sk-canary-split-4d2e"
    exchange = Exchange("POST", URL, {}, {}, status=200, streamed=True, complete=True, secrets=(key,))
    exchange.response_headers = {"content-type": "text/event-stream"}
    deltas = ["x"] * (EDGE_EVENTS - 1) + [key[:10], key[10:]] + ["y"] * 500
    for delta in deltas:
        exchange.raw_response.extend(
            b'data: {"choices": [{"index": 0, "delta": {"content": "%s"}}]}\n\n' % delta.encode()
        )
    text = json.dumps(exchange.to_json())
    assert key[:10] not in text and key[10:] not in text
    plain = Exchange("POST", URL, {}, {}, status=200, complete=True, secrets=(key,))
    plain.response_headers = {"content-type": "application/json"}
    plain.raw_response.extend(json.dumps({"content": "a" * 1995 + key + "a" * BODY_KEPT}).encode())
    assert key[:5] not in json.dumps(plain.to_json())
