"""Mount an emulator with respx: the SDK's requests to the profile's base URL never leave the process.

The openai client gets its own ``httpx.AsyncClient`` whose transport is a respx router. openai 3
(openai-agents >= 0.21) sends with httpx2 by default but accepts an httpx client, and openai 2 uses
httpx natively, so this one mount works for both SDK generations, with no global patching.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable

import httpx
import respx
from respx.patterns import M

from ..emulators import ApiError, Emulator, Faults, HttpRequest
from ..emulators.faults import Fault, FaultyEmulator, Pause, Reset

# What httpx raises when the peer resets a connection (ECONNRESET while reading).
CONNECTION_RESET = "[Errno 104] Connection reset by peer"


class _ReplyStream(httpx.AsyncByteStream):
    """Hands a reply to the client one network write at a time, pauses and resets included.

    Single pass, like a socket: openai drains a stream after [DONE] by iterating it again, and a
    re-iterable body would replay every event.
    """

    def __init__(self, writes: Iterable[bytes | Pause | Reset]):
        self._pending = iter(writes)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for write in self._pending:
            if isinstance(write, Pause):
                await asyncio.sleep(write.seconds)  # cancellable: the cell timeout must be able to cut it
                continue
            if isinstance(write, Reset):
                raise httpx.ReadError(CONNECTION_RESET)
            yield write
            await asyncio.sleep(0)


def mount(
    emulator: Emulator, base_url: str, faults: Faults | None = None, fault: Fault | None = None
) -> httpx.AsyncBaseTransport:
    """A transport whose every request under ``base_url``'s host is answered by ``emulator``, through ``fault``."""
    base = httpx.URL(base_url)
    router = respx.Router(assert_all_mocked=True, assert_all_called=False)
    faulty = FaultyEmulator(emulator, fault)

    def answer(request: httpx.Request) -> httpx.Response:
        if faults is not None and faults.pending:
            status, message = faults.pending.pop(0)
            refusal = emulator.error_reply(ApiError(status, message))
            return httpx.Response(refusal.status, headers=refusal.headers, content=refusal.body)
        delivery = faulty.deliver(
            HttpRequest(
                method=request.method,
                path=request.url.path,
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.content,
            )
        )
        reply = delivery.reply
        if reply is None:
            raise httpx.ReadError(CONNECTION_RESET, request=request)
        if reply.streamed or not delivery.plain:
            return httpx.Response(reply.status, headers=reply.headers, stream=_ReplyStream(delivery.writes()))
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

    pattern = M(scheme=base.scheme, host=base.host)
    if base.port is not None:
        pattern &= M(port=base.port)
    router.route(pattern).mock(side_effect=answer)
    return httpx.MockTransport(router.async_handler)
