"""The capability-matrix columns: stable feature ids and what each one verifies.

The ids are the contract between profiles (which declare an expected outcome per id), the scenario
suites (one test per id) and every report. Order here is column order in the matrix.

A feature also says where it applies: the SDK paths (``apis``) and what else its scenario needs from a row.
Where it does not apply, the plugin records ``skipped`` with the reason and the scenario does not run; a
profile on another API needs no line for it (profiles.py fills in ``skipped`` and refuses anything else).
"""

from __future__ import annotations

from dataclasses import dataclass

# The SDK paths a profile's ``api`` names (profiles.Api), as a reason spells them.
API_NAMES: dict[str, str] = {"chat_completions": "Chat Completions", "responses": "Responses API"}
EVERY_API: frozenset[str] = frozenset(API_NAMES)
RESPONSES_ONLY: frozenset[str] = frozenset({"responses"})


@dataclass(frozen=True)
class Feature:
    id: str
    short: str  # column header in narrow tables
    verifies: str
    apis: frozenset[str] = EVERY_API  # the SDK paths it applies to: on another, the plugin records skipped
    # The model id must carry a provider/ namespace. Read at run time, from the model the row really asks for
    # (a URL profile's model_env may change it), so profiles still declare what they expect here.
    needs_namespaced_model: bool = False

    def not_applicable(self, api: str, model: str) -> str | None:
        """Why this feature does not apply to a row on ``api`` asking for ``model``; None when it does."""
        if api not in self.apis:
            paths = " and ".join(API_NAMES[a] for a in sorted(self.apis))
            return f"a {paths} feature; this profile's SDK path is {API_NAMES[api]}"
        if self.needs_namespaced_model and "/" not in model:
            return f"the model id {model!r} has no provider/ namespace"
        return None


FEATURES: tuple[Feature, ...] = (
    Feature(
        "plain_text",
        "text",
        "Runner.run returns the model's text, that text is what the backend sent, and it is the word asked for "
        "(not an echo of the prompt).",
    ),
    Feature(
        "function_tools",
        "tools",
        "The model calls a function tool, the SDK runs it, the result goes back in the next request, "
        "and the final answer uses it.",
    ),
    Feature(
        "handoffs",
        "handoff",
        "A triage agent hands off (a transfer_to_<agent> tool call); last_agent is the specialist, the "
        "final request carried the specialist's instructions, and the answer follows them (a marker they ask for).",
    ),
    Feature(
        "structured_output",
        "struct",
        "A Pydantic output_type: the request carried the JSON schema and the result is a validated instance, "
        "including a field only the schema names (so a model that writes JSON unasked cannot pass).",
    ),
    Feature(
        "streaming",
        "stream",
        "Runner.run_streamed: text deltas arrive in order and join to the final output (a many-token answer "
        "in one delta is buffered, not streamed); a streamed tool call completes and its result reaches the "
        "final answer.",
    ),
    Feature(
        "previous_response_id",
        "prev_id",
        "Turn 2 sends only previous_response_id and a new question; supported only if the backend used "
        "turn 1 (it answered from turn 1's context, or turn 2's input tokens include turn 1).",
    ),
    Feature(
        "streaming_tool_calls",
        "st_tool",
        "A streamed tool call: its arguments arrive in pieces (whole in one delta is buffered, not streamed), "
        "the SDK assembles them, runs the tool and reports a tool_call_item stream event.",
    ),
    Feature(
        "agents_as_tools",
        "as_tool",
        "agent.as_tool(...) inside another agent's run: the inner agent's request carries its own "
        "instructions, its answer follows them (a marker they ask for), and comes back as the outer tool's result.",
    ),
    Feature(
        "tool_choice_required",
        "tc_req",
        'ModelSettings(tool_choice="required") with a question that names no tool: the request carries it '
        "and the backend answers with a tool call.",
    ),
    Feature(
        "tool_choice_named",
        "tc_named",
        'ModelSettings(tool_choice="get_time") (sent as {"type": "function", ...}) with a question asking for '
        "get_weather: the request carries the named choice and the backend calls get_time.",
    ),
    Feature(
        "parallel_tool_calls",
        "par_tool",
        "Two tool calls in one model turn: both run, both results go back in one request, the answer uses both.",
    ),
    Feature(
        "structured_output_with_tools",
        "so_tool",
        "An agent with a tool and an output_type: the first request carried both, the backend called the tool, its "
        "result went back, and the final object validates and carries a value only the tool knew.",
    ),
    Feature(
        "strict_tool_schema",
        "strict",
        "A strict function tool (strict: true, additionalProperties: false) asked for an argument it lacks: the "
        "backend enforces the schema (the call leaves it out while a non-strict control keeps it), ignores it, "
        "or refuses it with a clear error.",
    ),
    Feature(
        "streamed_tool_call_shape",
        "tc_shape",
        "Streamed tool calls: every delta carries its index (Responses: output_index), ids are non-empty and "
        "unique across the run's calls, and arguments arrive as JSON strings; a break names each property.",
    ),
    Feature(
        "usage",
        "usage",
        "result.context_wrapper.usage carries input and output tokens equal to the non-zero counts the wire "
        "reported, for a plain and a streamed run (with ModelSettings(include_usage=True)).",
    ),
    Feature(
        "session_replay",
        "session",
        "An SDK SQLiteSession replays turn 1 locally in turn 2's request, and the answer uses it.",
    ),
    Feature(
        "conversations",
        "conv",
        "POST /v1/conversations, then two runs with conversation_id: turn 2 answers from turn 1, which "
        "turn 2's request did not carry.",
    ),
    Feature(
        "input_tokens",
        "in_tok",
        "POST /v1/responses/input_tokens counts a prompt, a longer prompt counts more, and the count is the "
        "input_tokens a real run of the same prompt reports.",
        apis=RESPONSES_ONLY,
    ),
    Feature(
        "compaction",
        "compact",
        "POST /v1/responses/compact returns a compaction item, and a run given the compacted output "
        "still answers from the earlier turns.",
        apis=RESPONSES_ONLY,
    ),
    Feature(
        "response_retrieval",
        "retrieve",
        "GET /v1/responses/{id} and /input_items after a run return that response and its input; an id "
        "never issued is refused.",
        apis=RESPONSES_ONLY,
    ),
    Feature(
        "store_false",
        "no_store",
        "With ModelSettings(store=False) the response is not retrievable and previous_response_id to it "
        "fails with a clear JSON error, while a store=true response is kept (else: cannot tell).",
        apis=RESPONSES_ONLY,
    ),
    Feature(
        "namespaced_model_ids",
        "ns_ids",
        'MultiProvider(unknown_prefix_mode="model_id", openai_prefix_mode="model_id") sends a '
        "provider/model id unchanged, the run works and an unserved id of that namespace is refused; the "
        "reason says what the default MultiProvider does.",
        needs_namespaced_model=True,
    ),
    Feature(
        "error_surfacing",
        "errors",
        "An unknown model, a wrong API key, a 429 and a 500 are refused and reach the user as the right openai "
        "exception with the backend's own message from a JSON error body, and no 4xx is retried.",
    ),
    Feature(
        "reasoning_roundtrip",
        "reason",
        "A tool run asking for reasoning (low effort; on Responses store=False with include="
        "['reasoning.encrypted_content']): every turn's reasoning arrives apart from the text (reasoning_content, "
        "reasoning or a reasoning item, not <think> tags), becomes SDK reasoning items, survives the tool turn "
        "(sent back, its encrypted_content on Responses, or not needed) and never reaches the final text.",
    ),
)

FEATURE_IDS: tuple[str, ...] = tuple(f.id for f in FEATURES)
BY_ID: dict[str, Feature] = {f.id: f for f in FEATURES}
