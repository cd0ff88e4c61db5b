"""Emulator mutations: each one a change a backend release (or a gateway in front of it) could make.

A mutation patches an emulator while one profile's cells run, and names the cause a cell must report.
tests/test_mutations.py runs each one: it is killed when at least one of its cells differs from the
profile's declared outcome and that cell's reason names the cause. A mutation that survives means a
real regression (or an unrecorded improvement) would go unnoticed: a test failure.

To add one: append a ``Mutation`` with the profile, the features it should show in, a fragment the
reason must contain, and a ``patch`` returning context managers (``unittest.mock.patch``) that make
the change. Keep it a realistic backend change, small, and on the emulator side only (never the
classifiers or the expectations).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any
from unittest import mock

from agents_compat.emulators import brain, bridge, chat, gomodel_releases, litellm, responses
from agents_compat.emulators.base import ApiError, HttpReply
from agents_compat.emulators.engine import ModelServer
from agents_compat.emulators.gomodel import GoModelEmulator
from agents_compat.emulators.llamacpp import LlamaCppEmulator
from agents_compat.emulators.ollama import OllamaEmulator
from agents_compat.emulators.openai import OpenAIEmulator
from agents_compat.emulators.responses import ConversationStore, Responses

Patches = Callable[[], Iterable[AbstractContextManager[Any]]]


@dataclass(frozen=True)
class Mutation:
    name: str
    profile: str
    features: tuple[str, ...]
    cause: str  # a fragment the reason of a cell that differs must contain
    patch: Patches
    why: str  # the backend change it stands for


# --- small patch helpers -----------------------------------------------------------------------


def quirks(cls: type, attribute: str, **changes: Any) -> Patches:
    return lambda: [mock.patch.object(cls, attribute, replace(getattr(cls, attribute), **changes))]


def wrap_chat_request(edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Patches:
    """A gateway that rewrites the messages it sends upstream when it translates Responses to chat."""
    original = bridge.chat_request

    def rewritten(*args: Any, **kwargs: Any) -> dict[str, Any]:
        request = original(*args, **kwargs)
        return {**request, "messages": edit(request["messages"])}

    return lambda: [mock.patch.object(bridge, "chat_request", rewritten)]


def _without_system(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["role"] != "system"]


def _system_last(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return _without_system(messages) + [m for m in messages if m["role"] == "system"]


def _system_twice(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    system = [m for m in messages if m["role"] == "system"]
    return system + messages


def _without_tool_results(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in messages if m["role"] != "tool"]


def _tool_results_twice(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [copy for m in messages for copy in ([m, m] if m["role"] == "tool" else [m])]


def _last_user_only(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    last = max(i for i, m in enumerate(messages) if m["role"] == "user")
    return [m for m in messages[:last] if m["role"] == "system"] + messages[last:]


def _zero_chat_usage(turn: brain.Turn, decision: brain.Decision) -> dict[str, int]:
    return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def _error_without_message(self: Any, error: ApiError) -> HttpReply:
    return HttpReply.json(error.status, {"error": {"type": "invalid_request_error", "code": error.code}})


def _plain_text_error(self: Any, error: ApiError) -> HttpReply:
    return HttpReply(error.status, f"error: {error.message}".encode(), {"content-type": "text/plain"})


def _any_model(self: GoModelEmulator, body: dict[str, Any]) -> str:
    return self.models[0].split("/", 1)[1]


def _latest_for_any_id(self: ModelServer, request: Any, response_id: str) -> Any:
    found = self.responses.store.get(response_id)
    return found if found is not None else list(self.responses.store._items.values())[-1]


def _lossy_compact(self: Responses, body: dict[str, Any], model: str) -> dict[str, Any]:
    compacted = ORIGINAL_COMPACT(self, body, model)
    empty = base64.b64encode(json.dumps([]).encode()).decode()
    compacted["output"] = [{**item, "encrypted_content": empty} for item in compacted["output"]]
    return compacted


ORIGINAL_COMPACT = Responses.compact
ORIGINAL_CHOOSE = brain._choose_tools


def _one_call_per_turn(turn: brain.Turn, last_user: str) -> list[brain.ToolSpec]:
    return ORIGINAL_CHOOSE(turn, last_user)[:1]


ORIGINAL_DECIDE = brain.decide


def _same_call_id(turn: brain.Turn, call_id_prefix: str = "call_") -> brain.Decision:
    decision = ORIGINAL_DECIDE(turn, call_id_prefix)
    return replace(decision, tool_calls=tuple(replace(c, id=f"{call_id_prefix}0") for c in decision.tool_calls))


def _store_everything(self: OpenAIEmulator, body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "store": True}


def _unknown_model_422(self: OpenAIEmulator, model: Any) -> ApiError:
    return ApiError(422, f"model {model!r}: validation error", code="unprocessable_entity")


def _system_dropped(body: Any) -> list[brain.Message]:
    return [m for m in ORIGINAL_PARSE_MESSAGES(body) if m.role != "system"]


def _second_call_dropped(self: chat.ChatCompletions, decision: brain.Decision, *args: Any) -> dict[str, Any]:
    """The model wrote both calls (its usage counts them); only the first goes out."""
    completion = ORIGINAL_COMPLETION(self, decision, *args)
    message = completion["choices"][0]["message"]
    if message.get("tool_calls"):
        message["tool_calls"] = message["tool_calls"][:1]
    return completion


def _reasoning_reshaped(rename: str | None) -> Callable[..., dict[str, Any]]:
    """A server that writes the reasoning field in another shape: as an object, or under another name."""

    def completion(self: chat.ChatCompletions, decision: brain.Decision, *args: Any) -> dict[str, Any]:
        answer = ORIGINAL_COMPLETION(self, decision, *args)
        message = answer["choices"][0]["message"]
        field = self.reasoning_field
        if field in message:
            text = message.pop(field)
            message[rename or field] = text if rename else {"text": text}
        return answer

    return completion


def _output_reversed(*args: Any, **kwargs: Any) -> dict[str, Any]:
    response = ORIGINAL_LITELLM_SHAPED(*args, **kwargs)
    return {**response, "output": list(reversed(response["output"]))}


# --- the tool-wire columns (structured_output_with_tools, strict_tool_schema, streamed_tool_call_shape) ---------

ORIGINAL_CHAT_TURN = chat.ChatCompletions.turn
ORIGINAL_CHUNK_PAYLOADS = chat.ChatCompletions.chunk_payloads
ORIGINAL_RESPONSES_PARSE_TOOLS = responses.parse_tools


def _tools_dropped_beside_schema(self: chat.ChatCompletions, body: dict[str, Any]) -> brain.Turn:
    turn = ORIGINAL_CHAT_TURN(self, body)
    return replace(turn, tools=[]) if turn.schema is not None else turn


def _schema_only_before_results(self: chat.ChatCompletions, body: dict[str, Any]) -> brain.Turn:
    turn = ORIGINAL_CHAT_TURN(self, body)
    return replace(turn, schema=None) if any(m.role == "tool" for m in turn.messages) else turn


def _pair_refused(self: chat.ChatCompletions, body: dict[str, Any]) -> brain.Turn:
    turn = ORIGINAL_CHAT_TURN(self, body)
    if turn.schema is not None and turn.tools:
        raise ApiError(400, "response_format json_schema cannot be combined with tools", param="response_format")
    return turn


def _strict_refused(self: Responses, body: dict[str, Any]) -> Any:
    if any(isinstance(t, dict) and t.get("strict") for t in body.get("tools") or []):
        raise ApiError(400, "Unsupported parameter: 'tools[0].strict'", param="tools")
    return ORIGINAL_RESPONSES_PARSE(self, body)


def _strict_stripped(tools: Any, arguments: str = "strict") -> list[brain.ToolSpec]:
    stripped = [{k: v for k, v in t.items() if k != "strict"} if isinstance(t, dict) else t for t in tools or []]
    return ORIGINAL_RESPONSES_PARSE_TOOLS(stripped, arguments)


def _reshaped_call_deltas(edit: Callable[[int, dict[str, Any]], dict[str, Any]]) -> Patches:
    """A chat server whose streamed tool-call deltas are rewritten by ``edit(position, delta)``."""

    def payloads(self: chat.ChatCompletions, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        out = ORIGINAL_CHUNK_PAYLOADS(self, *args, **kwargs)
        for chunk_ in out:
            for choice in chunk_.get("choices") or []:
                delta = choice.get("delta") or {}
                if delta.get("tool_calls"):
                    delta["tool_calls"] = [edit(n, dict(c)) for n, c in enumerate(delta["tool_calls"])]
        return out

    return lambda: [mock.patch.object(chat.ChatCompletions, "chunk_payloads", payloads)]


def _no_index(position: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in delta.items() if k != "index"}


def _index_zero(position: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {**delta, "index": 0}


def _arguments_as_object(position: int, delta: dict[str, Any]) -> dict[str, Any]:
    function = dict(delta.get("function") or {})
    if isinstance(function.get("arguments"), str) and function["arguments"]:
        function["arguments"] = json.loads(function["arguments"])
    return {**delta, "function": function}


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "responses-usage-zeros",
        "openai-responses",
        ("usage",),
        "usage reported as 0/0: cannot tell",
        lambda: [mock.patch.object(responses, "usage_of", lambda i, o: ORIGINAL_USAGE_OF(0, 0))],
        "a release stops counting tokens and reports 0/0",
    ),
    Mutation(
        "chat-usage-zeros",
        "ollama-chat",
        ("usage",),
        "usage reported as 0/0: cannot tell",
        lambda: [mock.patch.object(chat, "_usage", _zero_chat_usage)],
        "a chat server reports prompt_tokens and completion_tokens as 0",
    ),
    Mutation(
        "responses-usage-constant",
        "vllm-responses",
        ("usage",),
        "prompts of different length: cannot tell",
        lambda: [mock.patch.object(responses, "usage_of", lambda i, o: ORIGINAL_USAGE_OF(10, 5))],
        "a server reports a fixed usage object whatever the prompt",
    ),
    Mutation(
        "chat-stream-buffered",
        "openai-chat",
        ("streaming",),
        "arrived in one delta: buffered, not streamed",
        lambda: [mock.patch.object(chat, "split_text", lambda text: [text])],
        "a proxy buffers the completion and sends the text in one chunk",
    ),
    Mutation(
        "responses-stream-buffered",
        "gomodel-native",
        ("streaming",),
        "arrived in one delta: buffered, not streamed",
        lambda: [mock.patch.object(responses, "split_text", lambda text: [text])],
        "the upstream sends output_text.delta once, with the whole text",
    ),
    Mutation(
        "responses-arguments-whole",
        "openai-responses",
        ("streaming_tool_calls",),
        "whole in one delta: buffered, not streamed",
        quirks(OpenAIEmulator, "responses_quirks", argument_piece=0),
        "tool-call arguments parsed after generation and sent in one function_call_arguments.delta",
    ),
    Mutation(
        "chat-arguments-whole",
        "llamacpp-chat",
        ("streaming_tool_calls",),
        "whole in one delta: buffered, not streamed",
        quirks(LlamaCppEmulator, "chat_quirks", stream_tool_calls="whole"),
        "the server's tool-call parser moves to after generation (as Ollama's)",
    ),
    Mutation(
        "gateway-drops-system-prompt",
        "gomodel-translated",
        ("handoffs", "agents_as_tools"),
        "does not follow the",
        wrap_chat_request(_without_system),
        "a gateway drops instructions/system messages when it translates Responses to chat",
    ),
    Mutation(
        "gateway-moves-system-prompt",
        "litellm-responses",
        ("handoffs",),
        "does not follow the specialist's instructions",
        wrap_chat_request(_system_last),
        "a gateway appends the system message after the conversation instead of before it",
    ),
    Mutation(
        "gateway-repeats-system-prompt",
        "gomodel-store-translated",
        ("handoffs",),
        "instructions reached the model 2 times",
        wrap_chat_request(_system_twice),
        "a gateway prepends the instructions although the messages already start with them",
    ),
    Mutation(
        "gateway-drops-tool-results",
        "litellm-responses",
        ("function_tools",),
        # LiteLLM puts an empty message before a call (recorded live), so the run ends on it, not in a loop
        "the final answer does not use it",
        wrap_chat_request(_without_tool_results),
        "a gateway forgets to translate function_call_output items into tool messages",
    ),
    Mutation(
        "gateway-repeats-tool-results",
        "gomodel-translated",
        ("function_tools",),
        "reached the model 2 times",
        wrap_chat_request(_tool_results_twice),
        "a gateway translates each function_call_output twice",
    ),
    Mutation(
        "gateway-truncates-history",
        "gomodel-0122-translated",
        ("session_replay",),
        "does not use it",
        wrap_chat_request(_last_user_only),
        "a gateway keeps only the newest user turn to save context",
    ),
    Mutation(
        "previous-response-id-dropped",
        "openai-responses",
        ("previous_response_id",),
        "turn 1 was not used",
        quirks(OpenAIEmulator, "responses_quirks", previous_response_id="ignore"),
        "a release stops reading previous_response_id",
    ),
    Mutation(
        "conversation-items-not-kept",
        "openai-responses",
        ("conversations",),
        "turn 1 was not used",
        lambda: [mock.patch.object(ConversationStore, "append", lambda self, cid, items: None)],
        "conversations are created but responses no longer append to them",
    ),
    Mutation(
        "wrong-key-accepted",
        "openai-responses",
        ("error_surfacing",),
        "wrong API key: accepted",
        lambda: [mock.patch.object(OpenAIEmulator, "authorize", lambda self, request: None)],
        "key checking is switched off",
    ),
    Mutation(
        "unknown-model-routed",
        "gomodel-native",
        ("error_surfacing", "namespaced_model_ids"),
        "accepted, where it should be refused",
        lambda: [mock.patch.object(GoModelEmulator, "_route_model", _any_model)],
        "the gateway routes an unknown model id to its default model",
    ),
    Mutation(
        "errors-without-message",
        "openai-chat",
        ("error_surfacing",),
        "no usable message",
        lambda: [mock.patch.object(OpenAIEmulator, "error_reply", _error_without_message)],
        "error bodies keep their type and code but lose the message",
    ),
    Mutation(
        "errors-as-plain-text",
        "gomodel-translated",
        ("error_surfacing",),
        "non-JSON body",
        lambda: [mock.patch.object(GoModelEmulator, "error_reply", _plain_text_error)],
        "errors come back as text/plain from a new middleware",
    ),
    Mutation(
        "refusals-as-plain-text",
        "llamacpp-responses",
        ("store_false",),
        "non-JSON body, not a clear refusal",
        lambda: [mock.patch.object(LlamaCppEmulator, "error_reply", _plain_text_error)],
        "a reverse proxy replaces the server's 4xx JSON bodies with text",
    ),
    Mutation(
        "unknown-model-422",
        "openai-chat",
        ("error_surfacing",),
        "reached the user as UnprocessableEntityError",
        lambda: [mock.patch.object(OpenAIEmulator, "unknown_model", _unknown_model_422)],
        "an unknown model is refused by request validation (422) instead of 404",
    ),
    Mutation(
        "named-tool-choice-ignored",
        "openai-responses",
        ("tool_choice_named",),
        "tool_choice named get_time but the backend called get_weather",
        quirks(OpenAIEmulator, "responses_quirks", tool_choice="strings"),
        'only "auto"/"none"/"required" are read; an object tool_choice is dropped',
    ),
    Mutation(
        "tool-choice-ignored",
        "openai-chat",
        ("tool_choice_required", "tool_choice_named"),
        "but the backend answered without a tool call",
        quirks(OpenAIEmulator, "chat_quirks", tool_choice="ignored"),
        "tool_choice is no longer read at all",
    ),
    Mutation(
        "ollama-reads-tool-choice",
        "ollama-chat",
        ("tool_choice_required",),
        "forced a call",
        quirks(OllamaEmulator, "chat_quirks", tool_choice="all"),
        "an Ollama release starts honouring tool_choice (an improvement nobody recorded)",
    ),
    Mutation(
        "text-format-ignored",
        "openai-responses",
        ("structured_output",),
        "did not follow it",
        quirks(OpenAIEmulator, "responses_quirks", text_format="ignored"),
        "text.format is no longer passed to the model",
    ),
    Mutation(
        "response-format-ignored",
        "openai-chat",
        ("structured_output",),
        "did not follow it",
        quirks(OpenAIEmulator, "chat_quirks", response_format="ignored"),
        "response_format json_schema is no longer enforced",
    ),
    Mutation(
        "empty-output",
        "openai-responses",
        ("plain_text", "function_tools"),
        "an empty output",
        lambda: [mock.patch.object(responses, "output_items", lambda *args, **kwargs: [])],
        "a release answers 200 with output: []",
    ),
    Mutation(
        "prompt-echoed",
        "llamacpp-chat",
        ("plain_text",),
        "repeats the request",
        lambda: [mock.patch.object(brain, "_text_reply", lambda turn, last_user: last_user)],
        "a broken chat template makes the model echo the prompt",
    ),
    Mutation(
        "store-false-ignored",
        "openai-responses",
        ("store_false",),
        "created with store=false",
        lambda: [mock.patch.object(OpenAIEmulator, "prepare_responses", _store_everything)],
        "store: false is no longer honoured",
    ),
    Mutation(
        "response-store-off",
        "openai-responses",
        ("store_false",),
        "nothing is kept at all",
        lambda: [mock.patch.object(responses.ResponseStore, "put", lambda self, stored: None)],
        "a release ships with its response store off (as vLLM without VLLM_ENABLE_RESPONSES_API_STORE)",
    ),
    Mutation(
        "retrieval-answers-any-id",
        "openai-responses",
        ("response_retrieval",),
        "never issued",
        lambda: [mock.patch.object(ModelServer, "stored", _latest_for_any_id)],
        "GET /v1/responses/{id} falls back to the latest response",
    ),
    Mutation(
        "input-tokens-constant",
        "openai-responses",
        ("input_tokens",),
        "not a count of the prompt",
        lambda: [
            mock.patch.object(
                Responses,
                "count_input_tokens",
                lambda self, body: {"object": "response.input_tokens", "input_tokens": 42},
            )
        ],
        "the counting endpoint answers a placeholder",
    ),
    Mutation(
        "compaction-lossy",
        "gomodel-native",
        ("compaction",),
        "lost turn 1",
        lambda: [mock.patch.object(Responses, "compact", _lossy_compact)],
        "compaction returns an item that no longer holds the history",
    ),
    Mutation(
        "one-call-per-turn",
        "vllm-responses",
        ("parallel_tool_calls",),
        "asked for get_weather and get_time, the backend called ['get_weather']",
        lambda: [mock.patch.object(brain, "_choose_tools", _one_call_per_turn)],
        "the tool-call parser keeps only the first call of a turn",
    ),
    Mutation(
        "call-ids-repeat",
        "openai-chat",
        ("parallel_tool_calls",),
        "reused a tool call ID",  # the SDK itself refuses it (older SDKs did not: the classifier checks too)
        lambda: [mock.patch.object(brain, "decide", _same_call_id)],
        "a server gives every tool call of a turn the same id (a counter that is never advanced)",
    ),
    Mutation(
        "litellm-passes-tool-choice",
        "litellm-chat",
        ("tool_choice_required",),
        "forced a call",
        lambda: [mock.patch.object(litellm, "CHAT_QUIRKS", replace(litellm.CHAT_QUIRKS, tool_choice="all"))],
        "a LiteLLM release stops dropping tool_choice for ollama_chat (an improvement nobody recorded)",
    ),
    Mutation(
        "litellm-usage-chunk-dropped",
        "litellm-chat",
        ("usage",),
        "sent no usage although asked",
        lambda: [mock.patch.object(litellm, "CHAT_QUIRKS", replace(litellm.CHAT_QUIRKS, usage_chunk="never"))],
        "the proxy stops sending its include_usage chunk",
    ),
    Mutation(
        "usage-chunk-dropped",
        "ollama-chat",
        ("usage",),
        "sent no usage although asked",
        quirks(OllamaEmulator, "chat_quirks", usage_chunk="never"),
        "stream_options.include_usage is no longer honoured",
    ),
    Mutation(
        "gomodel-usage-fixed",
        "gomodel-translated",
        ("usage",),
        "SDK usage equals the wire's",
        lambda: [
            mock.patch.dict(
                gomodel_releases.RELEASES,
                {"0.1.59": replace(gomodel_releases.RELEASES["0.1.59"], completed_usage="responses")},
            )
        ],
        "GoModel v0.1.59 sends Responses usage names (as c0b5d40 later did: an improvement nobody recorded)",
    ),
    Mutation(
        "drop-system",
        "ollama-chat",
        ("handoffs", "agents_as_tools"),
        "the instructions never reached the model's prompt",
        lambda: [mock.patch.object(chat, "parse_messages", _system_dropped)],
        "a server drops the system prompt before the model (its own token counts show it)",
    ),
    Mutation(
        "drop-tools",
        "ollama-chat",
        ("function_tools", "parallel_tool_calls"),
        "the tool definitions never reached the model's prompt",
        lambda: [mock.patch.object(chat, "parse_tools", lambda tools, *rest: [])],
        "a server drops the tool definitions before the model",
    ),
    Mutation(
        "drop-second-call",
        "ollama-chat",
        ("parallel_tool_calls",),
        "a tool call was dropped from the answer",
        lambda: [mock.patch.object(chat.ChatCompletions, "completion", _second_call_dropped)],
        "a server returns only the first of the calls its model wrote in one turn (usage still counts both)",
    ),
    Mutation(
        "reorder-output",
        "litellm-responses",
        ("function_tools",),
        "out of the order a model writes them",
        lambda: [mock.patch.object(litellm, "_shaped", _output_reversed)],
        "a proxy builds a Responses output with its calls before the message that came with them",
    ),
    # reasoning_roundtrip: one that drops, one that leaks, and ones that reshape (docs/scenarios.md)
    Mutation(
        "reasoning-dropped",
        "ollama-chat",
        ("reasoning_roundtrip",),
        "no reasoning on the wire in any of 2 turns",
        quirks(OllamaEmulator, "chat_quirks", reasoning="hidden"),
        "a release stops passing the parsed thinking on (no reasoning field, nothing in the text)",
    ),
    Mutation(
        "reasoning-in-text",
        "litellm-chat",
        ("reasoning_roundtrip",),
        "inside the message content as <think> tags",
        lambda: [mock.patch.object(litellm, "CHAT_QUIRKS", replace(litellm.CHAT_QUIRKS, reasoning="content"))],
        "a proxy merges reasoning into the text (LiteLLM's merge_reasoning_content_in_choices writes <think> tags)",
    ),
    Mutation(
        "reasoning-as-object",
        "ollama-chat",
        ("reasoning_roundtrip",),
        "`reasoning` is an object, not a string",
        lambda: [mock.patch.object(chat.ChatCompletions, "completion", _reasoning_reshaped(None))],
        'a server sends the reasoning as an object ({"text": ...}), which the SDK drops',
    ),
    Mutation(
        "reasoning-field-renamed",
        "llamacpp-4227c9b-chat",
        ("reasoning_roundtrip",),
        "`thinking`, a field the SDK does not read",
        lambda: [mock.patch.object(chat.ChatCompletions, "completion", _reasoning_reshaped("thinking"))],
        "a server names the field as Ollama's native API does (thinking), which the SDK does not read",
    ),
    Mutation(
        "reasoning-encrypted-dropped",
        "ollama-responses",
        ("reasoning_roundtrip",),
        "carried no encrypted_content",
        quirks(OllamaEmulator, "responses_quirks", encrypted_content="absent"),
        "a release stops writing encrypted_content: with store=false the reasoning cannot come back",
    ),
    Mutation(
        "tools-dropped-beside-schema",
        "openai-chat",
        ("structured_output_with_tools",),
        "with the tools alone the backend called lookup_order",
        lambda: [mock.patch.object(chat.ChatCompletions, "turn", _tools_dropped_beside_schema)],
        "a server drops the tools when response_format is set (each alone still works)",
    ),
    Mutation(
        "schema-loosened-after-tools",
        "openai-chat",
        ("structured_output_with_tools",),
        "did not follow the output schema",
        lambda: [mock.patch.object(chat.ChatCompletions, "turn", _schema_only_before_results)],
        "response_format is no longer enforced on the answer that follows a tool result",
    ),
    Mutation(
        "schema-and-tools-refused",
        "lmstudio-chat",
        ("structured_output_with_tools",),
        "refused: 400 response_format json_schema cannot be combined with tools",
        lambda: [mock.patch.object(chat.ChatCompletions, "turn", _pair_refused)],
        "a release refuses tools and response_format in one request",
    ),
    Mutation(
        "ollama-format-after-calls",
        "ollama-chat",
        ("structured_output_with_tools",),
        "the final object validates",
        quirks(OllamaEmulator, "chat_quirks", schema_with_tools="after_calls"),
        "an Ollama release applies format only after the tool calls (an improvement nobody recorded)",
    ),
    Mutation(
        "strict-not-enforced",
        "openai-chat",
        ("strict_tool_schema",),
        "strict: true was accepted but not enforced",
        quirks(OpenAIEmulator, "chat_quirks", tool_arguments="never"),
        "strict function tools are accepted but their arguments are no longer constrained",
    ),
    Mutation(
        "gateway-strips-strict",
        "gomodel-native",
        ("strict_tool_schema",),
        "the extra argument 'note'",
        lambda: [mock.patch.object(responses, "parse_tools", _strict_stripped)],
        "a gateway loosens the tool definitions it forwards: 'strict' is left out",
    ),
    Mutation(
        "strict-refused",
        "openai-responses",
        ("strict_tool_schema",),
        "refused: 400 Unsupported parameter: 'tools[0].strict'",
        lambda: [mock.patch.object(Responses, "parse", _strict_refused)],
        "a server refuses the strict field on a tool definition",
    ),
    Mutation(
        "stream-call-index-dropped",
        "ollama-chat",
        ("streamed_tool_call_shape",),
        "without an integer index",
        _reshaped_call_deltas(_no_index),
        "streamed tool calls without index, as Ollama before v0.4.7 (issue #7881)",
    ),
    Mutation(
        "stream-call-index-always-zero",
        "litellm-chat",
        ("streamed_tool_call_shape",),
        "share index 0",
        _reshaped_call_deltas(_index_zero),
        "every streamed call numbered 0, as Ollama's built-in parsers before v0.17.4 (issue #15457)",
    ),
    Mutation(
        "stream-call-ids-repeat",
        "llamacpp-chat",
        ("streamed_tool_call_shape",),
        "calls share the id",
        lambda: [mock.patch.object(brain, "decide", _same_call_id)],
        "a server gives every streamed call of a turn the same id",
    ),
    Mutation(
        "stream-arguments-as-object",
        "openai-chat",
        ("streamed_tool_call_shape",),
        "arguments as a JSON dict, not a string",
        lambda: [
            *quirks(OpenAIEmulator, "chat_quirks", stream_tool_calls="whole")(),
            *_reshaped_call_deltas(_arguments_as_object)(),
        ],
        "a server streams a call's arguments as a JSON object (its native API's shape) instead of a string",
    ),
)

ORIGINAL_USAGE_OF = responses.usage_of
ORIGINAL_PARSE_MESSAGES = chat.parse_messages
ORIGINAL_COMPLETION = chat.ChatCompletions.completion
ORIGINAL_LITELLM_SHAPED = litellm._shaped
ORIGINAL_RESPONSES_PARSE = Responses.parse


@dataclass(frozen=True)
class HarnessMutation:
    """A change to the harness's own verdict rules (not an emulator): ``check`` must fail under it."""

    name: str
    patch: Patches
    check: Callable[[], bool]  # True while the rule holds
    why: str


def _unconfirmed_fails() -> bool:
    """A live cell declared supported that came back inconclusive fails the verdict (issue 29)."""
    from agents_compat.judging import verdict
    from agents_compat.outcomes import Cell, Outcome

    quiet = Cell("gw", "handoffs", "live", Outcome.INCONCLUSIVE, "no marker", Outcome.SUPPORTED)
    return verdict.build([quiet], [], None, failed=False, fail_not_ready=False).passed is False


def _inconclusive_is_never_unconfirmed() -> Patches:
    from agents_compat.outcomes import Cell

    return lambda: [mock.patch.object(Cell, "unconfirmed", property(lambda self: False))]


HARNESS_MUTATIONS: tuple[HarnessMutation, ...] = (
    HarnessMutation(
        "treat-inconclusive-as-pass",
        _inconclusive_is_never_unconfirmed(),
        _unconfirmed_fails,
        "an inconclusive cell passes whatever its profile declared: a backend that goes quiet passes the run",
    ),
)
