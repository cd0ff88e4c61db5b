"""Which GoModel release behaves how: the facts the GoModel emulator switches on, each with its source.

Read from GoModel's history (github.com/ENTERPILOT/GoModel; tags up to v0.1.22, and a mirror with its
upstream history to 0a17408, 2026-08-20). Releases after v0.1.22 carry no tags in that history; a
release is placed by what GoModel's own files say about it:

- v0.1.44 was out by 2026-06-29 (commit c8b6a80 covers "the features shipped since v0.1.44");
- v0.1.51 was out before 2026-07-13 (docs/dev/2026-07-15_release-qa-findings.md lists the module rename,
  PR #522 of 2026-07-13, as "merged since v0.1.51");
- v0.1.54 shipped the per-user data directories of 4f44402 (2026-07-19; docs/about/faq.mdx);
- v0.1.59 was out by 2026-07-25 (docs/advanced/configuration.mdx at fbe18ff, 2026-07-25: "Upgrading a
  PostgreSQL deployment past v0.1.59" for a change made in that commit), so it predates c0b5d40.

The changes that decide verdicts, on chat-translated providers (ollama-type and others):

- a26fbd1 v0.1.22 (2026-04-28): previous_response_id and conversation copied upstream as unknown
  fields (silently dropped); text.format not translated; no /v1/conversations; response.completed
  usage in chat names; an unknown model is 400 invalid_request_error.
- 581cf4a (2026-05-21, PR #347): /v1/conversations endpoints.
- b31d3f8 (2026-06-08, PR #353): previous_response_id, conversation, include, prompt, truncation, ...
  rejected with 400 (internal/providers/responses_adapter.go validateResponsesRequestForChatTranslation);
  text.format translated to response_format. First release with it: between v0.1.22 and v0.1.44, not
  pinned.
- e4373a9 (2026-06-11, PR #386): conversations resolved from GoModel's own store before dispatch
  (internal/server/conversation_responses.go), so the adapter no longer sees the field; an unknown model
  is 404 not_found_error with code model_not_found (internal/core/errors.go NewModelNotFoundError).
  Before v0.1.44; not pinned.
- cf0a8d5 (2026-07-13, PR #522): go.mod's module path became github.com/enterpilot/gomodel; v0.1.22 and
  every release up to v0.1.51 declare ``module gomodel``, so no Go tool can fetch them by that path.
- ef333e8 (2026-07-22, PR #576): unknown fields of an output item (a compaction item's
  encrypted_content, reasoning) kept when GoModel re-encodes a response (internal/core/responses_json.go
  ResponsesOutputItem.UnmarshalJSON); before it they were dropped. In fbe18ff, so counted in v0.1.59.
- 8210cda (2026-07-25, PR #589): a non-empty include accepted and ignored (after v0.1.59).
- c0b5d40 (2026-07-31, PR #623): translated response.completed usage renamed to input_tokens /
  output_tokens (internal/providers/responses_converter.go chatUsageToResponsesUsage), streamed output
  indexes kept unique. After v0.1.59; the first release with it is not in the history read.
- previous_response_id resolved from GoModel's own response store (internal/server/previous_response.go,
  read in ENTERPILOT/GoModel at 669ab36): not in the history up to 0a17408 (2026-08-20), so later than
  that; no date or release found.

What did not change across these releases (read at a26fbd1 and 0a17408 alike): the translated stream's
event set, the [DONE] after every Responses stream (internal/providers/responses_done_wrapper.go, since
8149ab0, 2026-03-06), non-streamed responses and chat completions decoded into GoModel's own types with
``provider`` stamped (internal/core/responses.go, types.go; internal/providers/router.go stampProvider),
the error envelope (internal/core/errors.go ToJSON), and 501 unsupported_response_operation for
input_tokens and compact behind a translated provider.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# responses_adapter.go validateResponsesRequestForChatTranslation (b31d3f8 .. fbe18ff): fields a
# chat-translated provider refuses; previous_response_id and conversation are handled separately.
REFUSED_FIELDS = (
    "include",
    "prompt",
    "truncation",
    "prompt_cache_retention",
    "context_management",
    "top_logprobs",
    "safety_identifier",
)


@dataclass(frozen=True)
class Release:
    label: str  # what the profile's ``version`` says
    read_at: str  # the commit whose source this row follows
    previous_response_id: Literal["drop", "reject", "resolve"]
    conversations: Literal["absent", "local"]  # absent: no /v1/conversations, the field dropped
    text_format: bool  # text.format translated into response_format
    completed_usage: Literal["chat", "responses"]  # names of the translated response.completed usage
    unknown_model_status: Literal[400, 404]
    refused_fields: tuple[str, ...]  # 400 on a translated provider when present (and not empty)
    item_extra_fields: bool  # unknown output item fields (encrypted_content, ...) survive re-encoding


RELEASES: dict[str, Release] = {
    "0.1.22": Release("0.1.22", "a26fbd1", "drop", "absent", False, "chat", 400, (), False),
    "0.1.59": Release("0.1.59", "fbe18ff", "reject", "local", True, "chat", 404, REFUSED_FIELDS, True),
    # the contract goldens' commit: usage renamed (c0b5d40), include accepted (8210cda)
    "0a17408": Release("0a17408", "0a17408", "reject", "local", True, "responses", 404, REFUSED_FIELDS[1:], True),
    "669ab36": Release("669ab36", "669ab36", "resolve", "local", True, "responses", 404, REFUSED_FIELDS[1:], True),
}
DEFAULT_RELEASE = "0.1.59"


def release(version: object) -> Release:
    name = str(version or DEFAULT_RELEASE).removeprefix("v")
    if name not in RELEASES:
        raise ValueError(f"gomodel: no modelled release {name!r} (known: {', '.join(RELEASES)})")
    return RELEASES[name]
