"""The backend a scenario talks to: an SDK client and model bound to one profile, with wire capture.

A scenario builds agents with ``backend.agent(...)`` and runs them with ``backend.run(...)`` or
``backend.run_streamed(...)``. Each run returns a ``RunRecord``: the SDK's result or the exception it
raised, the HTTP exchanges of that run, and the SDK's warnings. Classifiers judge from that alone.
The backend keeps its records too (``records``): the judge takes a cell's exchanges from them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import httpx
from agents import Agent, Model, ModelSettings, OpenAIChatCompletionsModel, OpenAIResponsesModel, Runner
from openai import AsyncOpenAI

from ..config.profiles import Profile
from ..emulators import Faults
from ..options import DEFAULT_MAX_BODY
from ..wire.capture import ACCEPT_ENCODING, CapturingTransport, Exchange

if TYPE_CHECKING:
    import httpx2

SDK_LOGGER = "openai.agents"
# Every scenario needs 2 model turns at most (a call, then the answer to its result; a handoff, then the
# specialist's answer), and the second turn's request and usage already show what the backend did with the
# result. A small live model that calls its tool again after each result (Qwen2.5-Coder-0.5B did, on
# llama-server and Ollama alike) would otherwise hold a cell for the SDK's 10 turns, 5-10 s each here.
LIVE_MAX_TURNS = 2


@dataclass
class RunRecord:
    """Everything observed during one SDK run."""

    result: Any = None  # RunResult / RunResultStreaming, or None if the run raised
    error: BaseException | None = None
    exchanges: list[Exchange] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    stream_events: list[Any] = field(default_factory=list)
    seconds: float = 0.0
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None and not self.timed_out

    @property
    def final_output(self) -> Any:
        return getattr(self.result, "final_output", None)

    def requests_to(self, suffix: str) -> list[Exchange]:
        return [e for e in self.exchanges if e.path.endswith(suffix)]


@dataclass(frozen=True, slots=True)
class _RawData:
    type: str
    delta: str | None


@dataclass(frozen=True, slots=True)
class _RawEvent:
    """What the classifiers read of a raw response event (its type and text delta): the SDK's own object costs
    about a kilobyte, and a backend may stream hundreds of thousands of them (tests/test_hostile_backends.py)."""

    data: _RawData
    type: str = "raw_response_event"


def _kept(event: Any, seen: dict[tuple[str, str | None], _RawEvent]) -> Any:
    """``event`` as a run record keeps it: a raw response event shrunk to ``_RawEvent``, shared between equal
    ones; every other event (run items, agent updates: a few per turn) as the SDK made it."""
    if getattr(event, "type", None) != "raw_response_event":
        return event
    data = getattr(event, "data", None)
    delta = getattr(data, "delta", None)
    key = (str(getattr(data, "type", "")), delta if isinstance(delta, str) else None)
    found = seen.get(key)
    if found is None:
        found = seen[key] = _RawEvent(_RawData(*key))
    return found


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class Backend:
    def __init__(
        self,
        profile: Profile,
        base_url: str,
        transport: httpx.AsyncBaseTransport,
        *,
        api_key: str,
        timeout: float,
        faults: Faults | None = None,
        server_logs: Callable[[], str] | None = None,
        max_body: int = DEFAULT_MAX_BODY,
    ):
        self.profile = profile
        self.server_logs = server_logs  # a launched server's output, read when a cell fails
        self.faults = faults
        self.base_url = base_url
        self.api_key = api_key
        self.timeout = timeout
        self.capture = CapturingTransport(transport, secrets=[api_key], max_body=max_body)
        # Only the encodings the capture decodes: an answer is judged from its decoded bytes
        # (agents_compat/wire/capture.py).
        self._http = httpx.AsyncClient(
            transport=self.capture, timeout=timeout, headers={"Accept-Encoding": ACCEPT_ENCODING}
        )
        self._client: AsyncOpenAI | None = None
        self.records: list[RunRecord] = []  # every run and call of the scenario, in order: the cell's evidence

    @property
    def _sdk_http(self) -> httpx2.AsyncClient:
        """The httpx client, typed as openai 3 annotates ``http_client``; mypy checks against openai 3.

        openai 3 also takes an httpx client (``is_legacy_httpx_async_client`` in its _base_client), which
        respx can mock, and openai 2 takes nothing else: at run time this stays httpx's client.
        """
        return cast("httpx2.AsyncClient", self._http)

    @property
    def exchanges(self) -> list[Exchange]:
        return self.capture.exchanges

    async def call_until_stored(
        self, operation: Callable[[AsyncOpenAI], Awaitable[Any]], *, tries: int = 10, pause: float = 0.02
    ) -> tuple[RunRecord, int]:
        """A call on a response a gateway may store in the background (GoModel): retried on 404, as a user would.

        Returns the last try and how many tries it took. Only the last try stays in ``records``: the
        404s before it are counted, not kept, so a cassette replayed on an emulator (whose store has its
        own timing) compares the answer, not how long the store took.
        """
        for attempt in range(1, tries + 1):
            record = await self.call(operation)
            if record.ok or getattr(record.error, "status_code", None) != 404 or attempt == tries:
                return record, attempt
            self.records.remove(record)
            await asyncio.sleep(pause)
        raise ValueError(f"tries must be 1 or more (got {tries})")

    def client(self) -> AsyncOpenAI:
        if self._client is None:
            # max_retries=0: a retry would hide what the backend answered first and cost ~1.4 s each.
            self._client = AsyncOpenAI(
                base_url=self.base_url,
                api_key=self.api_key,
                max_retries=0,
                http_client=self._sdk_http,
                timeout=self.timeout,
            )
        return self._client

    def other_client(self, *, api_key: str | None = None, max_retries: int = 0) -> AsyncOpenAI:
        """A second client on the same captured transport (a wrong key, the SDK's default retries)."""
        return AsyncOpenAI(
            base_url=self.base_url,
            api_key=api_key or self.api_key,
            max_retries=max_retries,
            http_client=self._sdk_http,
            timeout=self.timeout,
        )

    @property
    def uses_responses(self) -> bool:
        return self.profile.api == "responses"

    def model(self, model_id: str | None = None, client: AsyncOpenAI | None = None) -> Model:
        name = model_id or self.profile.model
        if self.profile.api == "chat_completions":
            return OpenAIChatCompletionsModel(model=name, openai_client=client or self.client())
        return OpenAIResponsesModel(model=name, openai_client=client or self.client())

    def agent(self, name: str, instructions: str, **kwargs: Any) -> Agent[Any]:
        """An agent on this backend's model (never the SDK's default model).

        On a live row the agent asks for temperature 0 unless the scenario set one: repeatable answers,
        and Ollama's OpenAI endpoints otherwise sample at 1.0 whatever the Modelfile says
        (ollama v0.24.0 openai/openai.go and openai/responses.go), where a 135M model writes noise.
        """
        settings = kwargs.get("model_settings") or ModelSettings()
        if self.profile.tier == "live" and settings.temperature is None:
            kwargs["model_settings"] = settings.resolve(ModelSettings(temperature=0))
        return Agent(name=name, instructions=instructions, model=self.model(), **kwargs)

    def _turns(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.profile.tier == "live":
            kwargs.setdefault("max_turns", LIVE_MAX_TURNS)
        return kwargs

    async def run(self, agent: Agent[Any], input: Any, **kwargs: Any) -> RunRecord:
        kwargs = self._turns(kwargs)
        with self._recording() as record:
            try:
                record.result = await asyncio.wait_for(Runner.run(agent, input, **kwargs), self.timeout)
            except TimeoutError:
                record.timed_out = True
            except Exception as exc:  # the classifier decides what it means
                record.error = exc
        return record

    async def call(self, operation: Callable[[AsyncOpenAI], Awaitable[Any]]) -> RunRecord:
        """A direct API call (conversations, input token counting, retrieval), recorded like a run."""
        with self._recording() as record:
            try:
                record.result = await asyncio.wait_for(operation(self.client()), self.timeout)
            except TimeoutError:
                record.timed_out = True
            except Exception as exc:
                record.error = exc
        return record

    async def run_streamed(self, agent: Agent[Any], input: Any, **kwargs: Any) -> RunRecord:
        kwargs = self._turns(kwargs)
        seen: dict[tuple[str, str | None], _RawEvent] = {}
        with self._recording() as record:

            async def consume() -> None:
                streamed = Runner.run_streamed(agent, input, **kwargs)
                record.result = streamed
                async for event in streamed.stream_events():
                    record.stream_events.append(_kept(event, seen))

            try:
                await asyncio.wait_for(consume(), self.timeout)
            except TimeoutError:
                record.timed_out = True
                # The run loop is a task of its own: stop it, or it waits on the stalled backend after the cell.
                if record.result is not None:
                    record.result.cancel()
            except Exception as exc:
                record.error = exc
        return record

    @contextmanager
    def _recording(self) -> Iterator[RunRecord]:
        record = RunRecord()
        self.records.append(record)
        first = len(self.capture.exchanges)
        collector = _WarningCollector()
        logger = logging.getLogger(SDK_LOGGER)
        logger.addHandler(collector)
        started = time.perf_counter()
        try:
            yield record
        finally:
            logger.removeHandler(collector)
            record.seconds = time.perf_counter() - started
            record.exchanges = self.capture.exchanges[first:]
            record.warnings = collector.messages

    async def aclose(self) -> None:
        await self._http.aclose()
