"""The LiteLLM proxy: /v1/responses bridged onto a chat provider (here, an Ollama upstream).

Quirks modelled (docs/backends.md, "LiteLLM proxy"; "live" is LiteLLM 1.108.7's proxy, no database, in front of
Ollama 0.24.0 on ``ollama_chat/``, measured here 2026-11-26, recorded in fixtures/cassettes/litellm-responses):
- previous_response_id needs the proxy's database to look up earlier turns; without one
  (option ``database = false``, the default) it is silently ignored (live: the same input token count
  with and without it);
- without a database a key other than the master key cannot be looked up: 400 ``no_db_connection``
  "No connected db." (live), not 401; no Authorization header at all is a bare 500 text page (live);
- errors are ``{"error": {"message", "type", "param": null, "code": "<status as a string>"}}`` (live;
  proxy/_types.py ProxyException.to_dict); an unknown model is a 400 whose ``provider_specific_fields``
  repeat the message (live, proxy/route_llm_request.py);
- ``parallel_tool_calls`` next to tools is refused: 400 UnsupportedParamsError, ollama_chat does not
  list it (live; litellm/utils.py get_optional_params, unless ``drop_params``);
- the Responses utilities go through the provider's own Responses API, which ollama_chat does not have:
  compact, GET, DELETE and input_items of a response it issued are 500 "... is not supported for
  ollama_chat"; an id it did not issue names no deployment, 400 "model=None" (live);
  /v1/responses/input_tokens is answered by a local estimate (``litellm_count_source``), which counts
  the text but not the upstream's chat template (live: 24 estimated, 28 used by the same request);
- objects in its own fields (responses/litellm_completion_transformation): ``phase`` on messages, no
  logprobs, usage with ``cost`` and null details, function tools echoed and function_call items with its
  extra null fields, and an empty message before a call (Ollama's content "" beside its tool_calls);
  streams carry the model on every event, other envelopes on created and completed, and end with
  ``data: [DONE]`` (live).
Not modelled: a stop at the upstream's token limit, which it reports as ``incomplete``
(max_output_tokens); the emulated upstream never stops there.

/v1/chat/completions (profile litellm-chat; live: fixtures/cassettes/litellm-chat, the same proxy and Ollama)
is LiteLLM's own answer, built from Ollama's native /api/chat (llms/ollama/chat/transformation.py), not
Ollama's OpenAI endpoint passed through, so Ollama's OpenAI-layer quirks do not apply:
- the same key check, model check, error body and ``parallel_tool_calls`` refusal as /v1/responses
  (``_check``; live: error_surfacing.json, parallel_tool_calls.json; ollama_chat's
  get_supported_openai_params has no parallel_tool_calls);
- ``tool_choice`` is dropped before the upstream call ("causes ollama requests to hang",
  OllamaChatConfig.map_openai_params), so neither "required" nor a named tool is honoured;
  ``response_format`` json_schema becomes Ollama's ``format`` (the same method): enforced upstream;
- every object is written without its null fields (proxy_server.py: ``model_dump_json(exclude_none=True)``):
  no system_fingerprint, no logprobs, no finish_reason on a chunk before the last (live);
- the model is the name the client asked for (proxy/common_request_processing.py,
  _override_openai_response_model); a completion's id is ``chatcmpl-<uuid4>``; a tool call keeps Ollama's
  own id (``call_`` and 8 characters) and its ``content`` is Ollama's ``""`` (live: function_tools.json);
- streams: every chunk has a fresh uuid4 id (OllamaChatCompletionResponseIterator.chunk_parser), the role
  rides on the first delta that carries content or a call, an empty content is left out (chunk_parser sets
  it only when non-empty), a call arrives whole in one delta with a uuid4 id (chunk_parser; Ollama parses it
  after generation), the finish chunk has an empty delta (live: streaming.json, streaming_tool_calls.json);
- ``stream_options.include_usage`` adds one more chunk after the finish chunk, with the finish chunk's id,
  ``choices: [{"index": 0, "delta": {}}]`` (not empty) and usage with ``completion_tokens_details``
  ``{reasoning_tokens: 0, text_tokens}`` (live: usage.json); without it no usage is sent
  (litellm_core_utils/streaming_handler.py strips it from the chunks). On a stream that wrote no text (a tool
  call) the details are left out, as the same chunk builder does under /v1/responses (fixtures/cassettes/
  litellm-responses/streaming_tool_calls.json); not recorded on this route.
"""

from __future__ import annotations

import re
from typing import Any

from . import brain, bridge
from .base import SSE_DONE, ApiError, Emulator, HttpReply, HttpRequest, sse_data
from .chat import ChatCompletions, ChatQuirks
from .engine import model_list
from .responses import (
    ResponsesQuirks,
    ResponseStore,
    StoredResponse,
    as_input,
    parse_input,
    parse_tools,
    response_events,
)

# litellm_completion_transformation/streaming_iterator.py: full event set with sequence_number, no
# "event:" lines, tool-call arguments re-cut into 10-character deltas; the envelopes as recorded live.
BRIDGED_STREAM = ResponsesQuirks(
    argument_piece=10,
    event_lines=False,
    done_sentinel=True,
    start_envelope=(
        "id", "object", "created_at", "status", "model", "output", "instructions", "parallel_tool_calls",
        "reasoning", "store", "temperature", "tool_choice", "tools", "top_p",
    ),
    end_envelope=(
        "id", "object", "created_at", "status", "model", "output", "instructions", "metadata",
        "parallel_tool_calls", "temperature", "text", "tool_choice", "tools", "usage",
    ),
    text_event_fields=("item_id", "output_index", "content_index"),
    part_fields=("type", "text", "annotations"),
    function_args_done_name=False,
    event_model=True,
)  # fmt: skip
RESPONSE_FIELDS = (
    "id", "object", "created_at", "status", "error", "incomplete_details", "instructions", "max_output_tokens",
    "metadata", "model", "output", "parallel_tool_calls", "previous_response_id", "reasoning", "store",
    "temperature", "text", "tool_choice", "tools", "top_p", "truncation", "usage", "user",
)  # fmt: skip
TOOL_EXTRAS = ("allowed_callers", "async", "defer_loading", "output_schema")  # null on every echoed tool
CALL_EXTRAS = ("async", "caller", "namespace")  # null on every non-streamed function_call item
NO_DEPLOYMENT = "litellm.BadRequestError: You passed in model=None. There are no healthy deployments for this model"
UNSUPPORTED_PARAMS = (
    "litellm.UnsupportedParamsError: ollama_chat does not support parameters: ['parallel_tool_calls'], "
    "for model={model}. To drop these, set `litellm.drop_params=True` or for proxy:\n\n`litellm_settings:\n "
    "drop_params: true`\n. \n If you want to use these params dynamically send "
    "allowed_openai_params=['parallel_tool_calls'] in your request.\n\nLiteLLM: model group '{group}' failed "
    "with the error above. No fallback was attempted."
)


# How the proxy reads a chat request for ollama_chat (OllamaChatConfig in llms/ollama/chat/transformation.py);
# what it writes back is reshaped below (_chat_completion, _chat_stream).
CHAT_QUIRKS = ChatQuirks(
    tool_choice="ignored",  # map_openai_params pops it: "causes ollama requests to hang"
    parallel_tool_calls_false=False,  # never reaches the upstream: refused as an unsupported param (_check)
    response_format="enforced",  # json_schema's schema becomes Ollama's format
    # ...which Ollama applies from the first token, next to tools too (see ollama.py); and Ollama does not
    # constrain a tool's arguments, "strict" or not
    schema_with_tools="forced",
    tool_arguments="never",
    stream_tool_calls="whole",  # Ollama's /api/chat streams a call whole, after generation; passed on as one delta
    usage_chunk="requested",  # only with stream_options.include_usage (streaming_handler.py check_send_stream_usage)
    choice_logprobs=False,
    # ollama_chat remaps Ollama's "thinking" to reasoning_content (llms/ollama/chat/transformation.py,
    # transform_response) and maps reasoning_effort to think (map_openai_params)
    reasoning="reasoning_content",
)
# responses/litellm_completion_transformation/transformation.py _extract_reasoning_output_items (1.108.7):
# reasoning_content becomes a reasoning item whose text parts are typed output_text, and encrypted_content
# is only Anthropic's thinking blocks re-encoded: null for an Ollama upstream, whatever include asked.
BRIDGED_REASONING = ResponsesQuirks(reasoning="content", reasoning_part_type="output_text", encrypted_content="null")


class LiteLLMEmulator(Emulator):
    family = "litellm"

    def __init__(self, model: str, options: dict[str, Any] | None = None):
        from . import create

        super().__init__(model, options)
        self.master_key: str | None = self.options.get("master_key")
        self.database = bool(self.options.get("database", False))
        # model_list entries: the public name maps to an upstream (provider, model)
        self.upstream_model = self.options.get("upstream_model", model)
        self.upstream = create(
            self.options.get("upstream", "ollama"), self.upstream_model, self.options.get("upstream_options", {})
        )
        self.store = ResponseStore()
        self.issued: set[str] = set()
        self.chat = ChatCompletions(CHAT_QUIRKS, self.next_id)
        self.route("POST", r"/v1/chat/completions", self._chat)
        self.route("POST", r"/v1/responses", self._responses)
        self.route("POST", r"/v1/responses/input_tokens", self._input_tokens)
        self.route("POST", r"/v1/responses/compact", self._compact)
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)", self._unsupported("GET responses"))
        self.route("DELETE", r"/v1/responses/(?P<id>[^/]+)", self._unsupported("DELETE responses"))
        self.route("GET", r"/v1/responses/(?P<id>[^/]+)/input_items", self._unsupported("list_input_items"))
        self.route("GET", r"/v1/models", self._models)

    def handle(self, request: HttpRequest) -> HttpReply:
        if self.master_key is not None and not request.bearer() and request.path == "/v1/responses":
            # live: no Authorization header is a 500 text page, not an error object
            return HttpReply(500, b"Internal Server Error", {"content-type": "text/plain; charset=utf-8"})
        return super().handle(request)

    def not_found(self, request: HttpRequest) -> HttpReply:
        return HttpReply.json(404, {"detail": "Not Found"})  # FastAPI's default for an unknown route

    def error_reply(self, error: ApiError) -> HttpReply:
        kind = error.kind or ("internal_server_error" if error.status >= 500 else "invalid_request_error")
        body: dict[str, Any] = {"message": error.message, "type": kind, "param": None, "code": str(error.status)}
        if error.code == "invalid_model":  # route_llm_request.py repeats it for the provider
            body["provider_specific_fields"] = {"error": error.message}
        return HttpReply.json(error.status, {"error": body})

    def _auth(self, request: HttpRequest) -> None:
        if self.master_key is None or request.bearer() == self.master_key:
            return
        if not self.database:  # another key is looked up in the database, and there is none
            raise ApiError(400, "No connected db.", kind="no_db_connection")
        raise ApiError(401, "Authentication Error, Invalid proxy server token passed.", kind="auth_error")

    def _check(self, request: HttpRequest, body: dict[str, Any]) -> None:
        self._auth(request)
        if body.get("model") not in self.models:
            route = request.path.removeprefix("/v1")
            detail = (
                f"{route}: Invalid model name passed in model={body.get('model')}. "
                "Call `/v1/models` to view available models for your key."
            )
            raise ApiError(400, detail, code="invalid_model")
        if "parallel_tool_calls" in body and body.get("tools"):
            raise ApiError(400, UNSUPPORTED_PARAMS.format(model=self.upstream_model, group=body["model"]))

    def _chat(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        self._check(request, body)
        decision, usage = self.chat.decide(body)
        model = str(body["model"])  # the name asked for, not ollama_chat/<upstream model>
        if not body.get("stream"):
            completion = self.chat.completion(decision, model, "chatcmpl-" + self._uuid(), usage)
            return HttpReply.json(200, _chat_completion(completion, self._ollama_call_id))
        include = bool((body.get("stream_options") or {}).get("include_usage"))
        chunks = self.chat.chunk_payloads(decision, model, "", usage, include)
        return HttpReply.sse([sse_data(c) for c in _chat_stream(chunks, self._uuid)] + [SSE_DONE])

    def _uuid(self) -> str:
        """uuid4-shaped, deterministic: LiteLLM's uuid.uuid4() ids (chatcmpl-..., each chunk, streamed calls)."""
        n = int(self.next_id(""))
        return f"{n:08x}-0000-4000-8000-{n:012x}"

    def _ollama_call_id(self) -> str:
        """Ollama's own tool call id, kept by LiteLLM on a non-streamed reply: call_ and 8 of [a-z0-9] (live)."""
        n, digits = int(self.next_id("")), "0123456789abcdefghijklmnopqrstuvwxyz"
        return "call_" + "".join(digits[(n // 36**i) % 36] for i in reversed(range(8)))

    def _responses(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        self._check(request, body)
        own_items = parse_input(body.get("input"))[1]
        history: list[dict[str, Any]] = []
        previous = body.get("previous_response_id")
        if previous and self.database:  # rebuilt from the spend logs; an unknown id yields no history
            found = self.store.get(previous)
            history = found.context_items if found is not None else []
        try:
            translated = bridge.translate(
                {**body, "input": history + own_items},
                self.upstream,
                self.upstream_model,
                body["model"],
                self.next_id,
                reasoning=BRIDGED_REASONING,
            )
        except ApiError as exc:
            raise ApiError(exc.status, f"litellm.APIError: {exc.message}") from None
        response = translated.response
        self.issued.add(response["id"])
        if self.database:
            context = history + own_items + as_input(response["output"])
            self.store.put(StoredResponse(response, context, own_items))
        if translated.plan is None:
            return HttpReply.json(200, _shaped(response, body, self.next_id))
        usage = _streamed_usage(response["usage"], any(i.get("type") == "message" for i in response["output"]))
        streamed = {**_plain(response, streamed=True), "text": body.get("text") or {}, "usage": usage}
        return HttpReply.sse(response_events(streamed, translated.plan, BRIDGED_STREAM))

    def _input_tokens(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        body = self.read_json(request)
        self._auth(request)
        messages = parse_input(body.get("input"))[0]
        texts = [body.get("instructions") or "", *(m.text for m in messages)]
        tools = [t.name + str(t.parameters) for t in parse_tools(body.get("tools"))]
        estimate = sum(brain.count_tokens(t) for t in texts + tools)  # no template: the upstream's own count differs
        return HttpReply.json(
            200, {"object": "response.input_tokens", "input_tokens": estimate, "litellm_count_source": "local_estimate"}
        )

    def _compact(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        self._check(request, self.read_json(request))
        raise ApiError(500, "litellm.APIConnectionError: COMPACT responses is not supported for ollama_chat")

    def _unsupported(self, operation: str) -> Any:
        def handler(request: HttpRequest, match: re.Match[str]) -> HttpReply:
            self._auth(request)
            if match["id"] not in self.issued:  # the model is read out of the id it encodes
                raise ApiError(400, NO_DEPLOYMENT)
            raise ApiError(500, f"litellm.APIConnectionError: {operation} is not supported for ollama_chat")

        return handler

    def _models(self, request: HttpRequest, _: re.Match[str]) -> HttpReply:
        return model_list(self.models, "openai")


def _plain(response: dict[str, Any], streamed: bool = False) -> dict[str, Any]:
    """Output items without logprobs; non-streamed, function tools with LiteLLM's extra null fields."""
    output = [
        {**item, "content": [{k: v for k, v in part.items() if k != "logprobs"} for part in item["content"]]}
        if item.get("type") == "message"
        else item
        for item in response["output"]
    ]
    tools = [
        {**tool, **dict.fromkeys(TOOL_EXTRAS)}
        if isinstance(tool, dict) and tool.get("type") == "function" and not streamed
        else tool  # echoed as sent: the bridge passes only function tools upstream
        for tool in response.get("tools") or []
    ]
    return {**response, "output": output, "tools": tools}


def _shaped(response: dict[str, Any], body: dict[str, Any], next_id: Any) -> dict[str, Any]:
    plain = _plain(response)
    output = [
        {**i, "phase": None}
        if i.get("type") == "message"
        else {**i, **dict.fromkeys(CALL_EXTRAS), "id": "fc_" + i["call_id"]}
        if i.get("type") == "function_call"
        else i
        for i in plain["output"]
    ]
    if output and all(i.get("type") == "function_call" for i in output):
        # live: the upstream's empty content ("" beside Ollama's tool_calls) becomes an empty message first
        empty = {"type": "output_text", "text": "", "annotations": []}
        message = {"type": "message", "id": next_id("msg_"), "status": "completed", "role": "assistant"}
        output = [{**message, "content": [empty], "phase": None}, *output]
    plain["output"] = output
    usage = response.get("usage") or {}
    plain |= {
        "reasoning": None,
        "store": None,
        "text": body.get("text") or {},
        "usage": {
            "input_tokens": usage.get("input_tokens", 0),
            "input_tokens_details": None,
            "output_tokens": usage.get("output_tokens", 0),
            "output_tokens_details": None,
            "total_tokens": usage.get("total_tokens", 0),
            "cost": None,
        },
    }
    return {k: plain.get(k) for k in RESPONSE_FIELDS}


def _text_details(tokens: int) -> dict[str, int]:
    """The output token details LiteLLM's stream builder adds once a stream carried text (live, both routes)."""
    return {"reasoning_tokens": 0, "text_tokens": tokens}


def _streamed_usage(usage: dict[str, Any] | None, wrote: bool) -> dict[str, Any]:
    """Live: the details only on a stream that carried text (a tool call's stream had none)."""
    usage = usage or {}
    out = usage.get("output_tokens", 0)
    found = {"input_tokens": usage.get("input_tokens", 0), "output_tokens": out}
    if wrote:
        found["output_tokens_details"] = _text_details(out)
    return {**found, "total_tokens": usage.get("total_tokens", 0)}


def _without_nulls(value: Any) -> Any:
    """As the proxy writes its objects: ``model_dump_json(exclude_none=True)`` (proxy_server.py)."""
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def _chat_completion(completion: dict[str, Any], call_id: Any) -> dict[str, Any]:
    """A non-streamed completion: Ollama's "" content and call ids beside its calls, no null fields (live)."""
    message = completion["choices"][0]["message"]
    if message.get("tool_calls"):
        ids = {c["id"]: call_id() for c in message["tool_calls"]}
        calls = [{"function": c["function"], "id": ids[c["id"]], "type": c["type"]} for c in message["tool_calls"]]
        reasoning = {k: message[k] for k in ("reasoning_content",) if message.get(k)}
        message = {"content": message.get("content") or "", "role": "assistant", "tool_calls": calls, **reasoning}
    choice = {**completion["choices"][0], "message": message}
    shaped: dict[str, Any] = _without_nulls({**completion, "choices": [choice]})
    return shaped


def _chat_stream(chunks: list[dict[str, Any]], uuid: Any) -> list[dict[str, Any]]:
    """The emulated chunks as LiteLLM's proxy streams them (see the module's docstring, live: litellm-chat)."""
    out: list[dict[str, Any]] = []
    role: str | None = None
    wrote = False
    for chunk in map(_without_nulls, chunks):
        if "usage" in chunk and not chunk["choices"]:  # the include_usage chunk
            usage = dict(chunk["usage"])
            if wrote:
                usage["completion_tokens_details"] = _text_details(usage["completion_tokens"])
            out.append({**chunk, "id": out[-1]["id"], "choices": [{"index": 0, "delta": {}}], "usage": usage})
            continue
        delta = {k: v for k, v in chunk["choices"][0]["delta"].items() if k != "content" or v}
        if set(delta) == {"role"}:  # the emulated role chunk: the role rides on the next delta with something in it
            role = delta["role"]
            continue
        if delta.get("tool_calls"):
            delta["tool_calls"] = [{**c, "id": uuid()} if "id" in c else c for c in delta["tool_calls"]]
        if role is not None and (delta.get("content") or delta.get("tool_calls")):
            delta, role = {"role": role, **delta}, None
        wrote |= bool(delta.get("content"))
        out.append({**chunk, "id": uuid(), "choices": [{**chunk["choices"][0], "delta": delta}]})
    return out
