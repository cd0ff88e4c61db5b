"""What every classifier shares: outcome names, the mapping of a failed run, short reasons."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import openai
import pydantic
from agents.exceptions import AgentsException, MaxTurnsExceeded, ModelBehaviorError

from ...outcomes import Observation, Outcome
from ...running.backend import RunRecord
from ...wire.capture import Exchange
from .. import evidence

# A misconfigured model id is a setup error, not a missing feature (each backend words it its own way).
MODEL_MISSING = re.compile(
    r"unsupported model|invalid model name|model_not_found|model .{0,80}(not found|does not exist)", re.IGNORECASE
)
SUPPORTED, UNSUPPORTED, IGNORED = Outcome.SUPPORTED, Outcome.UNSUPPORTED, Outcome.IGNORED
BROKEN, ERROR, INCONCLUSIVE = Outcome.BROKEN, Outcome.ERROR, Outcome.INCONCLUSIVE


def short(text: Any, limit: int = 160) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def api_message(error: openai.APIStatusError) -> str:
    """The backend's own words: its error message, or the text of a non-JSON body; "" when it gave none.

    Never the SDK's "Error code: N - {...}" wrapper nor the whole JSON body: with those as a fallback a
    refusal without a usable message would read as a clear one.
    """
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message", inner.get("detail")) if isinstance(inner, dict) else inner
        return short(message) if isinstance(message, str) and message.strip() else ""
    return short(body) if isinstance(body, str) and body.strip() else ""


def wire_defect(record: RunRecord) -> str | None:
    """The first response of the run whose bytes were cut, malformed, misshapen or reordered, named."""
    return next((found for e in record.exchanges if (found := evidence.defect(e) or reordered_output(e))), None)


TERMINAL = ("response.completed", "response.incomplete", "response.failed")


# The order a model writes an answer's items in: its reasoning, then its text, then its calls. OpenAI's
# reasoning guide shows the reasoning item first in `output`; a chat template renders a message's content
# before its tool calls, and every recorded answer of two kinds keeps that order (LiteLLM's empty message
# before its call: fixtures/cassettes/litellm-responses/function_tools.json).
WRITTEN_ORDER = {"reasoning": 0, "message": 1, "function_call": 2}


def output_items(exchange: Exchange) -> list[dict[str, Any]]:
    body = exchange.response_body
    if not exchange.streamed:
        output = body.get("output") if isinstance(body, dict) and body.get("object") == "response" else None
        return [i for i in output if isinstance(i, dict)] if isinstance(output, list) else []
    for event in exchange.events:
        data = event.get("data")
        if isinstance(data, dict) and data.get("type") in TERMINAL and isinstance(data.get("response"), dict):
            output = data["response"].get("output")
            return [i for i in output if isinstance(i, dict)] if isinstance(output, list) else []
    return []


def _streamed_order(exchange: Exchange) -> list[str]:
    """The item ids in the places ``response.output_item.added`` gave them (``output_index``: "the index of
    the output item in the response's output array", OpenAI API reference, Responses streaming events)."""
    placed: dict[int, str] = {}
    for event in exchange.events:
        data = event.get("data")
        item = data.get("item") if isinstance(data, dict) else None
        if isinstance(data, dict) and data.get("type") == "response.output_item.added" and isinstance(item, dict):
            index = data.get("output_index")
            if isinstance(index, int) and isinstance(item.get("id"), str):
                placed[index] = item["id"]
    return [placed[i] for i in sorted(placed)]


def reordered_output(exchange: Exchange) -> str | None:
    """A Responses answer of two or more items whose ``output`` lists them out of order: the SDK builds its run
    items in that order. Read two ways: against the places the stream gave the items, and against the order a
    model writes them in (``WRITTEN_ORDER``). One item, or none, shows nothing."""
    final = output_items(exchange)
    if len(final) < 2:
        return None
    kinds = [str(i.get("type")) for i in final]
    ids = [i.get("id") for i in final]
    streamed = _streamed_order(exchange) if exchange.streamed else []
    if len(streamed) == len(ids) and sorted(streamed) == sorted(map(str, ids)) and streamed != ids:
        by_id = dict(zip(ids, kinds, strict=True))
        return (
            f"the output lists its items out of the order the stream placed them: streamed "
            f"{[by_id[i] for i in streamed]}, final {kinds}"
        )
    ranks = [WRITTEN_ORDER.get(kind) for kind in kinds]
    known = [r for r in ranks if r is not None]
    if known != sorted(known):
        return f"the output lists its items out of the order a model writes them (reasoning, message, calls): {kinds}"
    return None


def _error_name(error: BaseException) -> str:
    """``ReadError: [Errno 104] ...``; just the type when the message is empty (httpx's resets often are)."""
    message = short(error, 120)
    return f"{type(error).__name__}: {message}" if message else type(error).__name__


def _mid_response(record: RunRecord) -> bool:
    """The failed exchange got its status line but not its whole body: the connection broke mid-response."""
    last = record.exchanges[-1] if record.exchanges else None
    return last is not None and last.status is not None and not last.complete


def _status_failure(error: openai.APIStatusError, record: RunRecord, at: str) -> Observation:
    status, message = error.status_code, api_message(error)
    last = record.exchanges[-1] if record.exchanges else None
    page = evidence.html_page(last) if last is not None else None
    if page is not None:
        return Observation(BROKEN, f"{at}{status} with an HTML error page ({short(page, 60)!r}), not the API's JSON")
    if status in (401, 403):
        return Observation(ERROR, f"{at}credentials rejected: {status} {message}")
    if status == 429:
        retry_after = last.response_headers.get("retry-after") if last is not None else None
        wait = f" (Retry-After: {retry_after} s)" if retry_after else ""
        return Observation(ERROR, f"{at}rate limited: 429{wait} {message}")
    if MODEL_MISSING.search(message):
        return Observation(ERROR, f"{at}model not available: {status} {message}")
    if status == 501:  # Not Implemented is a clear refusal too (GoModel's unsupported_response_operation)
        return Observation(UNSUPPORTED, f"{at}refused: 501 {message}")
    if 400 <= status < 500 and message:
        return Observation(UNSUPPORTED, f"{at}refused: {status} {message}")
    if status >= 500:
        return Observation(BROKEN, f"{at}server error: {status} {message or 'with no usable message'}")
    return Observation(BROKEN, f"{at}{status} {message or 'refused with no usable message'}")


def failure(record: RunRecord, step: str = "") -> Observation | None:
    """What a run that did not finish means, whatever the feature; None if it finished.

    A run that finished on a cut or malformed response did not really finish: the SDK used what
    arrived without a word, which is what the matrix exists to catch.
    """
    at = f"{step}: " if step else ""
    if record.timed_out:
        seconds = f"{record.seconds:.1f}" if record.seconds >= 1 else f"{record.seconds:.2f}"
        if _mid_response(record):  # the headers came, the end did not: say what did (a stall, or a flood)
            arrived = record.exchanges[-1].arrived
            return Observation(ERROR, f"{at}no complete answer within the cell timeout ({seconds} s): {arrived}")
        return Observation(ERROR, f"{at}no answer within the cell timeout ({seconds} s)")
    error = record.error
    defect = wire_defect(record)
    if error is None:
        return Observation(BROKEN, f"{at}{defect}; the SDK accepted it without an error") if defect else None
    if defect is not None:
        return Observation(BROKEN, f"{at}{defect}: {_error_name(error)}")
    if isinstance(error, openai.APIStatusError):
        return _status_failure(error, record, at)
    if isinstance(error, openai.APITimeoutError):
        return Observation(ERROR, f"{at}timed out: {short(error)}")
    if isinstance(error, openai.APIConnectionError):
        cause = _error_name(error.__cause__ or error)
        if _mid_response(record):
            return Observation(BROKEN, f"{at}the connection was reset mid-response: {cause}")
        return Observation(ERROR, f"{at}connection failed: {cause}")
    if isinstance(error, json.JSONDecodeError):
        return Observation(BROKEN, f"{at}malformed JSON from the backend: {_error_name(error)}")
    if isinstance(error, pydantic.ValidationError):
        return Observation(BROKEN, f"{at}a reply of the wrong shape: {_error_name(error)}")
    if isinstance(error, httpx.HTTPError) or type(error).__module__.startswith(("httpx", "httpcore")):
        return Observation(BROKEN, f"{at}HTTP transport error: {_error_name(error)}")
    spent = evidence.capped_answer(record.exchanges[-1]) if record.exchanges else None
    if isinstance(error, ModelBehaviorError) and spent:
        # The SDK refuses a truncated response, as it should; the truncation was the server's cap meeting a
        # rambling model (seen live: LiteLLM reports Ollama's num_predict stop as incomplete), not the feature.
        return Observation(
            INCONCLUSIVE,
            f"{at}the answer ran into the server's output cap ({spent} tokens; incomplete: max_output_tokens, "
            "the request set no limit) and the SDK refuses a truncated response",
        )
    if isinstance(error, ModelBehaviorError):
        return Observation(BROKEN, f"{at}SDK could not use the reply: ModelBehaviorError: {short(error.message)}")
    kind = "SDK error" if isinstance(error, AgentsException) else "SDK crashed"
    return Observation(BROKEN, f"{at}{kind}: {type(error).__name__}: {short(error)}")


def looped(record: RunRecord) -> bool:
    """The SDK stopped a model that kept calling tools (MaxTurnsExceeded) while every answer came whole and 2xx.

    The wire held: the run's exchanges are evidence like a finished run's, only the model never answered.
    """
    return (
        isinstance(record.error, MaxTurnsExceeded)
        and not record.timed_out
        and wire_defect(record) is None
        and all(e.status is not None and 200 <= e.status < 300 for e in record.exchanges)
    )


def model_missed(reason: str) -> Observation:
    """The model did not cooperate: ignored as it stands, inconclusive once the judge sees a live row."""
    return Observation(IGNORED, reason, model_missed=True)
