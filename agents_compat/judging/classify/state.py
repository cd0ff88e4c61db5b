"""Classifiers for conversation state: previous_response_id, conversations, SDK sessions, store=false, usage."""

from __future__ import annotations

from dataclasses import dataclass

import openai

from ...outcomes import Observation
from ...running.backend import RunRecord
from .. import evidence
from .common import BROKEN, ERROR, IGNORED, SUPPORTED, failure, model_missed, short


def server_state(turn1: RunRecord, turn2: RunRecord, code_word: str, field: str) -> Observation:
    """Turn 2 carried only ``field`` (previous_response_id or conversation) and a new question."""
    if (failed := failure(turn1, "turn 1")) is not None:
        return failed
    dropped = [w for w in turn2.warnings if field.split("_")[0] in w]
    if (failed := failure(turn2, "turn 2")) is not None:
        return failed
    if not turn2.exchanges:
        return Observation(BROKEN, "turn 2 finished without any HTTP request")
    request = turn2.exchanges[0].request_body
    if evidence.mentions(request, code_word):
        return Observation(BROKEN, "turn 2's request repeated turn 1 locally; the scenario is not testing the server")
    if not evidence.request_field(turn2.exchanges[0], field):
        why = f" (SDK warning: {short(dropped[0], 90)})" if dropped else ""
        return Observation(IGNORED, f"{field} never reached the backend{why}")
    answer = str(turn2.final_output or "")
    if code_word in answer:
        return Observation(SUPPORTED, f"the backend resolved {field}: turn 2 answered {code_word!r}")
    used1 = evidence.usage(turn1.exchanges[-1]) if turn1.exchanges else None
    used2 = evidence.usage(turn2.exchanges[0])
    if used1 and used2 and (used1.degenerate or used2.degenerate):
        # 0 >= 0 + 0: a backend that counts nothing would "include" turn 1 by this rule.
        zeros = used1 if used1.degenerate else used2
        return Observation(
            IGNORED,
            f"{field} was accepted, the answer {short(answer, 50)!r} does not use turn 1, and usage reported as "
            f"{zeros.input_tokens}/{zeros.output_tokens}: cannot tell from the token counts",
        )
    if used1 and used2 and used2.input_tokens >= used1.input_tokens + used1.output_tokens:
        return Observation(
            SUPPORTED,
            f"turn 2 input tokens ({used2.input_tokens}) include turn 1 ({used1.input_tokens}+{used1.output_tokens})",
        )
    tokens = f"; input tokens {used2.input_tokens} vs turn 1's {used1.input_tokens}" if used1 and used2 else ""
    return Observation(IGNORED, f"{field} was accepted but turn 1 was not used: answer {short(answer, 50)!r}{tokens}")


def previous_response_id(turn1: RunRecord, turn2: RunRecord, code_word: str) -> Observation:
    return server_state(turn1, turn2, code_word, "previous_response_id")


def conversations(create: RunRecord, turn1: RunRecord, turn2: RunRecord, code_word: str) -> Observation:
    if (failed := failure(create, "POST /v1/conversations")) is not None:
        return failed
    return server_state(turn1, turn2, code_word, "conversation")


def session_replay(turn1: RunRecord, turn2: RunRecord, code_word: str) -> Observation:
    if (failed := failure(turn1, "turn 1")) is not None:
        return failed
    if (failed := failure(turn2, "turn 2")) is not None:
        return failed
    if not turn2.exchanges or not evidence.mentions(turn2.exchanges[0].request_body, code_word):
        return Observation(BROKEN, "the SDK session did not replay turn 1 in turn 2's request")
    if code_word not in str(turn2.final_output):
        return model_missed(f"turn 1 was replayed but the answer does not use it: {short(turn2.final_output, 60)!r}")
    return Observation(SUPPORTED, f"turn 2's request replayed turn 1 and the answer used {code_word!r}")


def usage(plain: RunRecord, streamed: RunRecord) -> Observation:
    counted = []
    inputs = []
    for label, record in (("run", plain), ("streamed run", streamed)):
        if (failed := failure(record, label)) is not None:
            return failed
        wire = [evidence.usage(e) for e in record.exchanges]
        if not wire or any(w is None for w in wire):
            asked = any(evidence.mentions(e.request_body, "include_usage") for e in record.exchanges)
            return Observation(IGNORED, f"{label}: the backend sent no usage" + (" although asked" if asked else ""))
        zeros = next((w for w in wire if w and w.degenerate), None)
        if zeros is not None:
            # An SDK that reads 0 from a backend that sends 0 "agrees" with it: that proves nothing.
            return Observation(
                IGNORED, f"{label}: usage reported as {zeros.input_tokens}/{zeros.output_tokens}: cannot tell"
            )
        tokens_in = sum(w.input_tokens for w in wire if w)
        tokens_out = sum(w.output_tokens for w in wire if w)
        sdk = record.result.context_wrapper.usage
        if (sdk.input_tokens, sdk.output_tokens) != (tokens_in, tokens_out):
            return Observation(
                BROKEN,
                f"{label}: the wire reported {tokens_in} in / {tokens_out} out, the SDK "
                f"counted {sdk.input_tokens} / {sdk.output_tokens}",
            )
        inputs.append(tokens_in)
        counted.append(f"{label} {tokens_in}/{tokens_out}")
    if inputs[0] == inputs[1]:
        # The two prompts differ in length; the same count for both is a constant, not a count.
        return Observation(
            IGNORED, f"both runs reported {inputs[0]} input tokens for prompts of different length: cannot tell"
        )
    return Observation(SUPPORTED, f"SDK usage equals the wire's (in/out tokens): {', '.join(counted)}")


def _refused(record: RunRecord) -> str | None:
    """A clear refusal: a 4xx whose JSON error body says why. A proxy's page or bare text is not one."""
    error = record.error
    if not isinstance(error, openai.APIStatusError) or not 400 <= error.status_code < 500 or not record.exchanges:
        return None
    said = evidence.error_message(record.exchanges[-1])
    return f"{error.status_code} {short(said, 70)}" if said else None


def _unclear(record: RunRecord, step: str) -> Observation:
    """A failure that is not a clear refusal, named: a non-JSON or message-less error, or whatever failure() says."""
    error = record.error
    last = record.exchanges[-1] if record.exchanges else None
    if isinstance(error, openai.APIStatusError) and last is not None and evidence.html_page(last) is None:
        if 400 <= error.status_code < 500:
            shape = "a JSON error without a message" if evidence.json_error_body(last) else "a non-JSON body"
            return Observation(BROKEN, f"{step}: {error.status_code} with {shape}, not a clear refusal")
    return failure(record, step) or Observation(ERROR, f"{step} failed without a status")


@dataclass(frozen=True)
class StoreControl:
    """A response made with store=true, fetched by id, and (if that failed) chained to."""

    run: RunRecord
    fetch: RunRecord
    chain: RunRecord | None


def _kept(control: StoreControl, code_word: str) -> str | None:
    """How the backend showed it keeps a store=true response, or None if it kept nothing at all."""
    if not control.run.ok:
        return None
    if control.fetch.ok:
        return "a store=true response was retrievable"
    chain = control.chain
    if chain is not None and chain.ok and code_word in str(chain.final_output):
        return "previous_response_id to a store=true response resolved"
    return None


def store_false(
    run: RunRecord, fetch: RunRecord, turn2: RunRecord, code_word: str, control: StoreControl | None = None
) -> Observation:
    if (failed := failure(run, "store=false run")) is not None:
        return failed
    if fetch.ok:
        return Observation(IGNORED, "GET /v1/responses/{id} returned a response created with store=false")
    not_kept = _refused(fetch)
    if turn2.ok:
        if code_word in str(turn2.final_output):
            return Observation(IGNORED, "previous_response_id resolved a response created with store=false")
        fetched = f"not retrievable ({not_kept})" if not_kept else "GET failed"
        return Observation(IGNORED, f"{fetched}, but previous_response_id to it was accepted without an error")
    if not_kept is None:
        return _unclear(fetch, "GET /v1/responses/{id}")
    refused = _refused(turn2)
    if refused is None:
        return _unclear(turn2, "turn 2")
    found = f"not retrievable ({not_kept}); chaining to it refused ({refused})"
    if control is None:
        return Observation(SUPPORTED, found)
    if (kept := _kept(control, code_word)) is None:
        # A backend that keeps nothing refuses both whatever store says: the refusals prove nothing.
        return Observation(
            IGNORED,
            f"{found}, but a store=true response is neither retrievable nor chainable either: nothing is kept "
            "at all, so cannot tell whether store=false is read",
        )
    return Observation(SUPPORTED, f"{found}, while {kept}")
