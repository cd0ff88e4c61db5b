"""Classifiers for what gateways change: model ids, and how errors reach the user."""

from __future__ import annotations

import json
from dataclasses import dataclass

import openai

from ...outcomes import Observation
from ...running.backend import RunRecord
from .. import evidence
from .common import BROKEN, IGNORED, SUPPORTED, failure, short


def _default_provider(record: RunRecord) -> str:
    sent = evidence.request_field(record.exchanges[0], "model") if record.exchanges else None
    if record.ok:
        return f"the default MultiProvider sent {sent!r} and it worked"
    if not record.exchanges:
        return f"the default MultiProvider raises {type(record.error).__name__}: {short(record.error, 60)}"
    return f"the default MultiProvider sent {sent!r}: {short(record.error, 70)}"


def namespaced_model_ids(
    default: RunRecord, passthrough: RunRecord, model_id: str, unknown: RunRecord | None = None
) -> Observation:
    """``unknown``: the same pass-through run with a namespaced id the backend does not serve.

    A backend that answers any model id gets the namespaced one through as well, without reading it.
    """
    if (failed := failure(passthrough, "pass-through")) is not None:
        return Observation(failed.outcome, f"{failed.reason}; {_default_provider(default)}")
    sent = evidence.request_field(passthrough.exchanges[0], "model")
    if sent != model_id:
        return Observation(BROKEN, f"pass-through mode sent {sent!r}, not {model_id!r}")
    if unknown is not None and unknown.ok:
        bogus = evidence.request_field(unknown.exchanges[0], "model") if unknown.exchanges else None
        return Observation(
            IGNORED,
            f"{model_id!r} reached the backend unchanged, but so did {bogus!r} and it was answered too: "
            "the backend answers any model id, so cannot tell whether it read the namespace",
        )
    return Observation(SUPPORTED, f"{model_id!r} reached the backend unchanged; {_default_provider(default)}")


@dataclass(frozen=True)
class ErrorCase:
    label: str  # "unknown model", "wrong API key", "429", "500"
    record: RunRecord | None  # None: the case could not be produced here (a live backend)
    expected: tuple[type[openai.APIStatusError], ...]


def _not_the_backend_speaking(record: RunRecord, error: openai.APIStatusError, case: ErrorCase) -> bool:
    """An unasked-for 429, a proxy's page or a cut body: not an answer to judge."""
    if error.status_code == 429 and not issubclass(openai.RateLimitError, case.expected):
        return True
    last = record.exchanges[-1] if record.exchanges else None
    return last is not None and evidence.html_page(last) is not None


def _judge_case(case: ErrorCase, record: RunRecord) -> Observation:
    """One error case: SUPPORTED (refused clearly), IGNORED (accepted what it should refuse) or what broke."""
    if record.ok:
        return Observation(IGNORED, f"{case.label}: accepted, where it should be refused")
    error = record.error
    # a timeout or a dropped connection is no status error: not an answer to judge either
    if not isinstance(error, openai.APIStatusError) or _not_the_backend_speaking(record, error, case):
        return failure(record, case.label) or Observation(BROKEN, f"{case.label}: no error and no result")
    last = record.exchanges[-1]
    if not evidence.json_error_body(last):
        return Observation(
            BROKEN, f"{case.label}: {error.status_code} with a non-JSON body ({short(last.response_body, 50)!r})"
        )
    if not isinstance(error, case.expected):
        wanted = " or ".join(c.__name__ for c in case.expected)
        return Observation(
            BROKEN, f"{case.label} reached the user as {type(error).__name__} ({error.status_code}), not {wanted}"
        )
    said = evidence.error_message(last)
    if not said:
        return Observation(BROKEN, f"{case.label}: refused ({error.status_code}) with no usable message")
    where = "message"
    if said not in str(error):
        if said not in json.dumps(error.body):
            return Observation(BROKEN, f"{case.label}: the backend's message {short(said, 50)!r} is lost")
        where = "message only in .body"
    if error.status_code < 500 and error.status_code != 429 and len(record.exchanges) > 1:
        return Observation(
            BROKEN, f"{case.label}: a {error.status_code} was retried {len(record.exchanges) - 1} time(s)"
        )
    return Observation(SUPPORTED, f"{case.label}: {type(error).__name__} ({where})")


def error_surfacing(cases: list[ErrorCase]) -> Observation:
    """Supported only if every case was refused clearly; an accepted case is ignored, a bad refusal broken."""
    judged: list[Observation] = []
    notes = []
    for case in cases:
        if case.record is None:
            notes.append(f"{case.label}: not producible on this backend")
            continue
        judged.append(_judge_case(case, case.record))
        if judged[-1].outcome not in (SUPPORTED, IGNORED):
            return judged[-1]
    accepted = [j.reason for j in judged if j.outcome is IGNORED]
    if accepted:
        return Observation(IGNORED, "; ".join(accepted + [j.reason for j in judged if j.outcome is SUPPORTED]))
    return Observation(SUPPORTED, "; ".join([j.reason for j in judged] + notes))
