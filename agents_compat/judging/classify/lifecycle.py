"""Classifiers for the Responses utilities: input token counting, compaction, retrieval."""

from __future__ import annotations

import json

from ...outcomes import Observation
from ...running.backend import RunRecord
from .. import evidence
from .common import BROKEN, IGNORED, SUPPORTED, failure, model_missed, short


def input_tokens(count: RunRecord, run: RunRecord, longer: RunRecord) -> Observation:
    """``longer``: the count of a longer prompt, which must be larger (a constant answer is not a count)."""
    if (failed := failure(count, "POST /v1/responses/input_tokens")) is not None:
        return failed
    counted = getattr(count.result, "input_tokens", None)
    if not isinstance(counted, int) or counted <= 0:
        return Observation(BROKEN, f"the count answer has no positive input_tokens: {short(count.result, 80)}")
    if (failed := failure(longer, "POST /v1/responses/input_tokens (a longer prompt)")) is not None:
        return failed
    more = getattr(longer.result, "input_tokens", None)
    if not isinstance(more, int) or more <= counted:
        return Observation(
            IGNORED, f"a longer prompt counted {more!r} input tokens against {counted}: not a count of the prompt"
        )
    if (failed := failure(run, "the run it is compared with")) is not None:
        return failed
    used = evidence.usage(run.exchanges[0]) if run.exchanges else None
    if used is None or used.degenerate:
        shown = "no usage" if used is None else f"usage as {used.input_tokens}/{used.output_tokens}"
        return Observation(
            SUPPORTED,
            f"counted {counted} input tokens, {more} for a longer prompt (the run reported {shown}: "
            "cannot tell whether the count matches a run)",
        )
    if abs(counted - used.input_tokens) > max(2, used.input_tokens // 10):
        return Observation(BROKEN, f"counted {counted} input tokens, but the same request used {used.input_tokens}")
    return Observation(SUPPORTED, f"counted {counted} input tokens; the same request used {used.input_tokens}")


def compaction(turn1: RunRecord, compact: RunRecord, turn2: RunRecord, code_word: str) -> Observation:
    if (failed := failure(turn1, "turn 1")) is not None:
        return failed
    if (failed := failure(compact, "POST /v1/responses/compact")) is not None:
        return failed
    kinds = [getattr(item, "type", None) for item in getattr(compact.result, "output", None) or []]
    if "compaction" not in kinds:
        return Observation(BROKEN, f"the compact answer holds no compaction item (items: {kinds})")
    if (failed := failure(turn2, "run on the compacted input")) is not None:
        return failed
    if code_word not in str(turn2.final_output):
        return model_missed(f"the run on the compacted input lost turn 1: {short(turn2.final_output, 60)!r}")
    return Observation(SUPPORTED, f"compacted to {kinds}; a run on it still answered {code_word!r}")


def response_retrieval(
    run: RunRecord, fetch: RunRecord, items: RunRecord, prompt: str, attempts: int, never_issued: RunRecord
) -> Observation:
    """``never_issued``: a GET of an id the backend never gave out, which must fail (not echo any response)."""
    if (failed := failure(run)) is not None:
        return failed
    if failed := failure(fetch, f"GET /v1/responses/{{id}} ({attempts} attempt{'s' if attempts > 1 else ''})"):
        return failed
    wanted = run.result.last_response_id
    if getattr(fetch.result, "id", None) != wanted:
        return Observation(BROKEN, f"GET returned {getattr(fetch.result, 'id', None)!r}, not {wanted!r}")
    if getattr(fetch.result, "output_text", None) != run.final_output:
        return Observation(BROKEN, "the fetched response's text differs from the run's answer")
    if (failed := failure(items, "GET /v1/responses/{id}/input_items")) is not None:
        return failed
    listed = json.dumps([i.model_dump() for i in getattr(items.result, "data", [])])
    if prompt not in listed:
        return Observation(BROKEN, "input_items do not hold the run's input")
    if never_issued.ok:
        return Observation(
            BROKEN,
            f"GET of an id never issued answered 200 ({getattr(never_issued.result, 'id', None)!r}): "
            "the backend does not look responses up by id",
        )
    late = f" after {attempts - 1} 404 answer(s) (stored in the background)" if attempts > 1 else ""
    return Observation(SUPPORTED, f"GET returned the response and its input items{late}; an unknown id was refused")
