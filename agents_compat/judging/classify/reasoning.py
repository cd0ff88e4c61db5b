"""The reasoning round trip: reasoning surfaced apart from the text, on every turn of a tool run, and back.

Read from the wire first: which field or item carried the reasoning on which turn, how long it was, whether
it came inside the text as ``<think>`` tags, and what the next request sent back. The SDK's run items then
show whether it reached the user as reasoning; the final text must hold none of it.
"""

from __future__ import annotations

from typing import Any

from ...outcomes import Observation
from ...running.backend import RunRecord
from ...wire.capture import Exchange
from .. import evidence
from .common import BROKEN, IGNORED, SUPPORTED, UNSUPPORTED, failure, looped, model_missed, short
from .textcalls import call_as_text

# Said in every reason the prompt explains: a model that does not reason by itself wrote the tags because
# the instructions asked it to, and the server's parser did (or did not) take them out of the text.
PROMPTED = "the instructions asked for <think> tags"
MODEL_CALLS = ("/chat/completions", "/responses")


def _turns(record: RunRecord) -> list[Exchange]:
    return [e for e in record.exchanges if e.method == "POST" and e.path.endswith(MODEL_CALLS)]


def _sdk_reasoning(record: RunRecord) -> list[str]:
    """The text of every reasoning item among the run's items, as the SDK surfaced it."""
    found = []
    # a run the SDK stopped at its turn cap keeps its items on the exception (RunErrorDetails)
    ran = record.result if record.result is not None else getattr(record.error, "run_data", None)
    for item in getattr(ran, "new_items", None) or []:
        if getattr(item, "type", None) != "reasoning_item":
            continue
        raw: Any = item.raw_item
        parts = [*(getattr(raw, "summary", None) or []), *(getattr(raw, "content", None) or [])]
        found.append("\n".join(str(getattr(p, "text", "")) for p in parts))
    return found


def _where(found: list[evidence.WireReasoning]) -> str:
    return " + ".join(sorted({r.where for r in found}))


def _tagged(turns: list[Exchange]) -> tuple[int, str] | None:
    """The first turn whose text holds <think> tags, and that text."""
    for number, exchange in enumerate(turns, 1):
        text = next((t for t in evidence.texts(exchange) if evidence.THINK_TAG.search(t)), None)
        if text is not None:
            return number, text
    return None


def reasoning_roundtrip(record: RunRecord, tool: str, marker: str, include_encrypted: bool) -> Observation:
    """A tool run that asked for reasoning (and, on Responses with store=false, for its encrypted_content).

    ``include_encrypted``: the run sent store=false and include=["reasoning.encrypted_content"].
    """
    turns = _turns(record)
    seen = [evidence.reasoning(e) for e in turns]
    for number, found in enumerate(seen, 1):
        if bad := next((r.defect for r in found if r.defect), None):
            return Observation(BROKEN, f"turn {number}: {bad}")
    if (failed := failure(record)) is not None and not looped(record):
        if failed.outcome is UNSUPPORTED and len(turns) > 1 and turns[0].status == 200:
            refused = f"turn {len(turns)} (the {tool} result going back) was refused after turn 1 answered"
            return Observation(BROKEN, f"{refused}: {failed.reason}")
        return Observation(failed.outcome, f"asked for reasoning, turn {max(len(turns), 1)}: {failed.reason}")
    if (tagged := _tagged(turns)) is not None:
        number, text = tagged
        left = "; the final text carries them" if evidence.THINK_TAG.search(str(record.final_output)) else ""
        return Observation(
            IGNORED,
            f"the reasoning came inside the message content as <think> tags (turn {number}, {len(text)} chars: "
            f"{short(text, 50)!r}), not in a reasoning field{left} ({PROMPTED}; the server parsed none out)",
        )
    fielded = {n: found for n, found in enumerate(seen, 1) if any(r.text for r in found)}
    if not fielded:
        return model_missed(
            f"no reasoning on the wire in any of {len(turns)} turns: no reasoning_content or reasoning field, "
            f"no reasoning item, no <think> tags ({PROMPTED})"
        )
    called = [n for n, e in enumerate(turns, 1) if any(c.name == tool for c in evidence.tool_calls(e))]
    if not called:
        return call_as_text(record) or model_missed(f"{tool} was offered but never called (reasoning came)")
    missing = [n for n in range(1, len(turns) + 1) if n not in fielded]
    if missing:
        shown = ", ".join(f"turn {n} ({_where(fielded[n])}, {len(fielded[n][0].text)} chars)" for n in fielded)
        return model_missed(
            f"reasoning came on {shown} but not on turn {', '.join(map(str, missing))} of the {tool} run ({PROMPTED})"
        )
    surfaced = _sdk_reasoning(record)
    for number, found in fielded.items():
        for wire in found:
            if wire.text and not any(wire.text in item for item in surfaced):
                return Observation(
                    BROKEN, f"turn {number}'s {wire.where} ({len(wire.text)} chars) never became an SDK reasoning item"
                )
    final = str(record.final_output or "")
    for number, found in fielded.items():
        if leaked := next((r for r in found if len(r.text) >= 12 and r.text in final), None):
            return Observation(
                BROKEN, f"the final text repeats turn {number}'s {leaked.where} ({len(leaked.text)} chars)"
            )
    counts = ", ".join(f"turn {n}: {_where(f)}, {sum(len(r.text) for r in f)} chars" for n, f in fielded.items())
    sent = evidence.sent_reasoning(turns[called[0]]) if called[0] < len(turns) else []
    if include_encrypted:
        first = next((r for r in fielded[called[0]] if r.where == "reasoning item"), None)
        sealed = first.encrypted if first is not None else None
        if not sealed:
            what = "an empty" if sealed == "" else "no"
            return Observation(
                IGNORED,
                f"store=false with include=['reasoning.encrypted_content']: turn {called[0]}'s reasoning item carried "
                f"{what} encrypted_content, so it cannot come back without the store ({counts})",
            )
        if sealed not in sent:
            return Observation(BROKEN, f"turn {called[0]}'s encrypted_content never went back in the next request")
        plain = ", the reasoning in plain text, not encrypted" if first is not None and sealed == first.text else ""
        back = f"its encrypted_content ({len(sealed)} chars{plain}) went back with the {tool} result"
    elif sent:
        back = f"sent back in the {tool} result's request ({len(sent[0])} chars)"
    else:
        back = "not sent back (the SDK replays reasoning_content only to DeepSeek models) and not needed by the backend"
    used = f"; the answer uses the {tool} result" if marker in final else ""
    return Observation(
        SUPPORTED,
        f"reasoning apart from the text on every turn ({counts}), {len(surfaced)} SDK reasoning items, none of it "
        f"in the final text; {back}{used}",
    )
