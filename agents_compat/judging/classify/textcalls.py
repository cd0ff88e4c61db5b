"""A tool call left as text: the model wrote a call, the server returned it as content, not as a call.

Small models often write a call as bare JSON (``{"name": "get_weather", "arguments": {...}}``) or in a
```json fence instead of the tags their template asks for; whether the server still turns that into a
``tool_calls`` entry depends on its parser (llama.cpp's Hermes-style handler did, its auto-parser does
not; Ollama looks only for the tag its template writes). That is the server's answer, not a model that
never tried, so the tool classifiers report it as its own finding.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ...outcomes import Observation
from ...running.backend import RunRecord
from .. import evidence
from .common import IGNORED, short

PREFIX = "tool call returned as text"
FENCE = re.compile(r"```[A-Za-z]*\s*\n(.*?)(?:```|$)", re.DOTALL)
_DECODER = json.JSONDecoder()


def offered_tools(request_body: Any) -> set[str]:
    """Tool names a request offered, in chat (``function.name``) or Responses (``name``) form."""
    tools = request_body.get("tools") if isinstance(request_body, dict) else None
    names = set()
    for tool in tools or []:
        if isinstance(tool, dict):
            name = (tool.get("function") or {}).get("name") or tool.get("name")
            if isinstance(name, str):
                names.add(name)
    return names


def _objects(text: str) -> list[Any]:
    """Every JSON value that starts at a '{' in ``text`` and parses."""
    found = []
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, _ = _DECODER.raw_decode(text, start)
        except ValueError:
            continue
        found.append(value)
    return found


def _call_in(text: str, tools: set[str]) -> tuple[str, str] | None:
    """(tool name, 'bare' or 'fenced') for the first JSON call naming an offered tool."""
    fenced = [m.group(1) for m in FENCE.finditer(text)]
    for kind, pieces in (("fenced", fenced), ("bare", [FENCE.sub("", text)])):
        for piece in pieces:
            for value in _objects(piece):
                if not isinstance(value, dict):
                    continue
                name = value.get("name") or value.get("function")
                if isinstance(name, str) and name in tools and ("arguments" in value or "parameters" in value):
                    return name, kind
    return None


def call_as_text(record: RunRecord) -> Observation | None:
    """IGNORED with the evidence if any response's text holds a call to a tool its request offered."""
    for exchange in record.exchanges:
        tools = offered_tools(exchange.request_body)
        if not tools:
            continue
        for text in evidence.texts(exchange):
            found = _call_in(text, tools)
            if found is not None:
                name, kind = found
                return Observation(
                    IGNORED,
                    f"{PREFIX}: the model wrote a {name} call as {kind} JSON ({short(text, 70)!r}); "
                    "the server left it in the content, not tool_calls",
                )
    return None
