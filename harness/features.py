"""The capability-matrix columns: stable feature ids and what each one verifies.

The ids are the contract between profiles (which declare an expected outcome per id), the scenario
suites (one test per id) and every report. Order here is column order in the matrix.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feature:
    id: str
    short: str  # column header in narrow tables
    verifies: str


FEATURES: tuple[Feature, ...] = (
    Feature("plain_text", "text", "Runner.run returns the model's text, and that text is what the backend sent."),
    Feature(
        "function_tools",
        "tools",
        "The model calls a function tool, the SDK runs it, the result goes back in the next request, "
        "and the final answer uses it.",
    ),
    Feature(
        "handoffs",
        "handoff",
        "A triage agent hands off (a transfer_to_<agent> tool call); last_agent is the specialist and the "
        "final answer came from a request carrying the specialist's instructions.",
    ),
    Feature(
        "structured_output",
        "struct",
        "A Pydantic output_type: the request carried the JSON schema and the result is a validated instance.",
    ),
    Feature(
        "streaming",
        "stream",
        "Runner.run_streamed: text deltas arrive in order and join to the final output; a streamed "
        "tool call completes and its result reaches the final answer.",
    ),
    Feature(
        "previous_response_id",
        "prev_id",
        "Turn 2 sends only previous_response_id and a new question; supported only if the backend used "
        "turn 1 (it answered from turn 1's context, or turn 2's input tokens include turn 1).",
    ),
)

FEATURE_IDS: tuple[str, ...] = tuple(f.id for f in FEATURES)
BY_ID: dict[str, Feature] = {f.id: f for f in FEATURES}
