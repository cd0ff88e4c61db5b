"""What every classifier shares: outcome names, the mapping of a failed run, short reasons."""

from __future__ import annotations

import re
from typing import Any

import openai
from agents.exceptions import AgentsException, ModelBehaviorError

from ..backend import RunRecord
from ..outcomes import Observation, Outcome

# A misconfigured model id is a setup error, not a missing feature (each backend words it its own way).
MODEL_MISSING = re.compile(
    r"unsupported model|invalid model name|model_not_found|model .{0,80}(not found|does not exist)", re.IGNORECASE
)
SUPPORTED, UNSUPPORTED, IGNORED = Outcome.SUPPORTED, Outcome.UNSUPPORTED, Outcome.IGNORED
BROKEN, ERROR, INCONCLUSIVE = Outcome.BROKEN, Outcome.ERROR, Outcome.INCONCLUSIVE


def short(text: Any, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _api_message(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return short(message)
    return short(error.message)


def failure(record: RunRecord, step: str = "") -> Observation | None:
    """What a run that did not finish means, whatever the feature; None if it finished."""
    at = f"{step}: " if step else ""
    if record.timed_out:
        return Observation(ERROR, f"{at}no answer within the cell timeout ({record.seconds:.1f} s)")
    error = record.error
    if error is None:
        return None
    if isinstance(error, openai.APIStatusError):
        status, message = error.status_code, _api_message(error)
        if status in (401, 403):
            return Observation(ERROR, f"{at}credentials rejected: {status} {message}")
        if status == 429:
            return Observation(ERROR, f"{at}rate limited: 429 {message}")
        if MODEL_MISSING.search(message):
            return Observation(ERROR, f"{at}model not available: {status} {message}")
        if status == 501:  # Not Implemented is a clear refusal too (GoModel's unsupported_response_operation)
            return Observation(UNSUPPORTED, f"{at}refused: 501 {message}")
        if 400 <= status < 500 and message:
            return Observation(UNSUPPORTED, f"{at}refused: {status} {message}")
        return Observation(BROKEN, f"{at}{status} {message or 'without a message'}")
    if isinstance(error, openai.APITimeoutError):
        return Observation(ERROR, f"{at}timed out: {short(error)}")
    if isinstance(error, openai.APIConnectionError):
        return Observation(ERROR, f"{at}connection failed: {short(error.__cause__ or error)}")
    if isinstance(error, ModelBehaviorError):
        return Observation(BROKEN, f"{at}SDK could not use the reply: ModelBehaviorError: {short(error.message)}")
    kind = "SDK error" if isinstance(error, AgentsException) else "SDK crashed"
    return Observation(BROKEN, f"{at}{kind}: {type(error).__name__}: {short(error)}")


def model_missed(live: bool, reason: str) -> Observation:
    return Observation(INCONCLUSIVE if live else IGNORED, reason)
