"""Classifiers: from one scenario's RunRecords (result or exception, captured wire) to an Observation.

A classifier never sees the profile's expectation. It judges from the wire first and from the SDK's
result second, and says why in one line. It never sees the tier either: where the model (not the backend)
failed to cooperate it says so (``model_missed``), and the judge makes that inconclusive on a live row.
"""

from .common import failure
from .core import function_tools, handoffs, plain_text, streaming, structured_output
from .gateway import ErrorCase, error_surfacing, namespaced_model_ids
from .lifecycle import compaction, input_tokens, response_retrieval
from .reasoning import reasoning_roundtrip
from .state import StoreControl, conversations, previous_response_id, session_replay, store_false, usage
from .tools import agents_as_tools, parallel_tool_calls, streaming_tool_calls, tool_choice_named, tool_choice_required
from .toolwire import (
    schema_stopped_call,
    streamed_tool_call_shape,
    strict_call_kept_schema,
    strict_tool_schema,
    structured_output_with_tools,
)

__all__ = [
    "ErrorCase",
    "StoreControl",
    "agents_as_tools",
    "compaction",
    "conversations",
    "error_surfacing",
    "failure",
    "function_tools",
    "handoffs",
    "input_tokens",
    "namespaced_model_ids",
    "parallel_tool_calls",
    "plain_text",
    "previous_response_id",
    "reasoning_roundtrip",
    "response_retrieval",
    "schema_stopped_call",
    "session_replay",
    "store_false",
    "streaming",
    "streamed_tool_call_shape",
    "streaming_tool_calls",
    "strict_call_kept_schema",
    "strict_tool_schema",
    "structured_output",
    "structured_output_with_tools",
    "tool_choice_named",
    "tool_choice_required",
    "usage",
]
