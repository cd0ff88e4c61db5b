"""A live backend that stopped answering: after a few failures in a row, its remaining cells end at once.

Against a server that accepts connections and never answers, every cell would wait out its whole
timeout (a 19-cell row at the 120 s live default: about an hour). ``GuardedTransport`` counts requests
that got no response at all (a refused or reset connection, a timeout, a request cancelled by the cell
timeout) and resets the count on any response; after ``NOT_ANSWERING_AFTER`` in a row it fails every
further request of that row at once, and the plugin records those cells as ``error`` with the reason.
A row whose backend is dead therefore costs at most about two cell timeouts.

A response is counted once its body ended, not when its headers came: a backend that sends headers
(and perhaps a few events) and then nothing is as dead as one that sends nothing. A body cut while
bytes were still arriving (a slow model streaming past the cell timeout) is an answer; one cut with no
body byte at all, or after a silence of ``stall_after`` seconds or of most of its life, is not.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

NOT_ANSWERING_AFTER = 2  # consecutive requests without any response


class BackendNotAnswering(httpx.ConnectError):
    """Raised instead of sending a request to a backend that stopped answering."""


@dataclass
class Health:
    failures: int = 0  # requests in a row that got no response
    since: datetime | None = None  # when the first of them was sent
    stalled: str = ""  # what the last of them got before it went quiet ("" when it got nothing)

    @property
    def dead(self) -> bool:
        return self.failures >= NOT_ANSWERING_AFTER

    @property
    def reason(self) -> str:
        when = self.since.strftime("%H:%M:%S UTC") if self.since else "?"
        if self.stalled:
            got = f"got no complete response; the last: {self.stalled}"
        else:
            got = "got no response"
        return f"backend not answering since {when} ({self.failures} requests in a row {got})"

    def failed(self, sent: datetime, stalled: str = "") -> None:
        if self.failures == 0:
            self.since = sent
        self.failures += 1
        self.stalled = stalled

    def answered(self) -> None:
        self.failures, self.since, self.stalled = 0, None, ""


class _WatchedBody(httpx.AsyncByteStream):
    """A response body that reports to ``Health`` how it ended: whole, or cut after a stall."""

    def __init__(self, inner: httpx.AsyncByteStream, health: Health, sent: datetime, stall_after: float):
        self._inner, self._health, self._sent, self._stall_after = inner, health, sent, stall_after
        self._settled = False

    def _settle(self, stalled: str | None) -> None:
        if not self._settled:
            self._settled = True
            if stalled is None:
                self._health.answered()
            else:
                self._health.failed(self._sent, stalled)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        opened = last = time.monotonic()
        received = 0
        try:
            async for chunk in self._inner:
                last, received = time.monotonic(), received + len(chunk)
                yield chunk
        except (httpx.TransportError, asyncio.CancelledError):
            now = time.monotonic()
            quiet = now - last
            # Silent for half its life: a request sent just before the cut is judged on the time it had.
            silent = received == 0 or quiet >= min(self._stall_after, (now - opened) / 2)
            self._settle(f"headers and {received:,} body bytes, then nothing for {quiet:.1f} s" if silent else None)
            raise
        self._settle(None)

    async def aclose(self) -> None:
        self._settle(None)  # closed by the reader before the end (after [DONE], say): it was answered
        await self._inner.aclose()


class GuardedTransport(httpx.AsyncBaseTransport):
    """``inner``, failing fast once ``health`` is dead; ``stall_after``: seconds without a byte that make a
    cut body count as no response (half the cell timeout, say)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, health: Health, stall_after: float = 60.0):
        self.inner, self.health, self.stall_after = inner, health, stall_after

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.health.dead:
            raise BackendNotAnswering(self.health.reason, request=request)
        sent = datetime.now(UTC)
        try:
            response = await self.inner.handle_async_request(request)
        except (httpx.TransportError, asyncio.CancelledError):  # cancelled: the cell timeout ran out first
            self.health.failed(sent)
            raise
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        return httpx.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_WatchedBody(stream, self.health, sent, self.stall_after),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self.inner.aclose()
