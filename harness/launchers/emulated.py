"""Mount an emulator with respx: the SDK's requests to the profile's base URL never leave the process.

The openai client gets its own ``httpx.AsyncClient`` whose transport is a respx router. openai 3
(openai-agents >= 0.21) sends with httpx2 by default but accepts an httpx client, and openai 2 uses
httpx natively, so this one mount works for both SDK generations, with no global patching.
"""

from __future__ import annotations

import asyncio

import httpx
import respx

from ..emulators import ApiError, Emulator, HttpRequest


class _ReplyStream(httpx.AsyncByteStream):
    """Hands an SSE reply to the client one chunk at a time, like a network would.

    Single pass, like a socket: openai drains a stream after [DONE] by iterating it again, and a
    re-iterable body would replay every event.
    """

    def __init__(self, chunks: list[bytes]):
        self._pending = iter(chunks)

    async def __aiter__(self):
        for chunk in self._pending:
            yield chunk
            await asyncio.sleep(0)


class Faults:
    """Errors a scenario asks for (a 429, a 500): the next request gets one, in the backend's own error body.

    Real backends cannot be made to rate-limit on demand; the emulator's ``error_reply`` still shapes the
    body exactly as that backend would, so what reaches the SDK is what the backend would send.
    """

    def __init__(self) -> None:
        self.pending: list[tuple[int, str]] = []

    def inject(self, status: int, message: str) -> None:
        self.pending.append((status, message))


def mount(emulator: Emulator, base_url: str, faults: Faults | None = None) -> httpx.AsyncBaseTransport:
    """A transport whose every request under ``base_url``'s host is answered by ``emulator``."""
    base = httpx.URL(base_url)
    router = respx.Router(assert_all_mocked=True, assert_all_called=False)

    def answer(request: httpx.Request) -> httpx.Response:
        if faults is not None and faults.pending:
            status, message = faults.pending.pop(0)
            reply = emulator.error_reply(ApiError(status, message))
            return httpx.Response(reply.status, headers=reply.headers, content=reply.body)
        reply = emulator.handle(
            HttpRequest(
                method=request.method,
                path=request.url.path,
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.content,
            )
        )
        if reply.streamed:
            return httpx.Response(reply.status, headers=reply.headers, stream=_ReplyStream(reply.chunks or []))
        return httpx.Response(reply.status, headers=reply.headers, content=reply.body)

    pattern = {"scheme": base.scheme, "host": base.host}
    if base.port is not None:
        pattern["port"] = base.port
    router.route(**pattern).mock(side_effect=answer)
    return httpx.MockTransport(router.async_handler)
