"""A live backend that stopped answering: after a few failures in a row, its remaining cells end at once.

Against a server that accepts connections and never answers, every cell would wait out its whole
timeout (a 19-cell row at the 120 s live default: about an hour). ``GuardedTransport`` counts requests
that got no response at all (a refused or reset connection, a timeout, a request cancelled by the cell
timeout) and resets the count on any response; after ``NOT_ANSWERING_AFTER`` in a row it fails every
further request of that row at once, and the plugin records those cells as ``error`` with the reason.
A row whose backend is dead therefore costs at most about two cell timeouts.
"""

from __future__ import annotations

import asyncio
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

    @property
    def dead(self) -> bool:
        return self.failures >= NOT_ANSWERING_AFTER

    @property
    def reason(self) -> str:
        when = self.since.strftime("%H:%M:%S UTC") if self.since else "?"
        return f"backend not answering since {when} ({self.failures} requests in a row got no response)"

    def failed(self, sent: datetime) -> None:
        if self.failures == 0:
            self.since = sent
        self.failures += 1

    def answered(self) -> None:
        self.failures, self.since = 0, None


class GuardedTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, health: Health):
        self.inner, self.health = inner, health

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.health.dead:
            raise BackendNotAnswering(self.health.reason, request=request)
        sent = datetime.now(UTC)
        try:
            response = await self.inner.handle_async_request(request)
        except (httpx.TransportError, asyncio.CancelledError):  # cancelled: the cell timeout ran out first
            self.health.failed(sent)
            raise
        self.health.answered()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
