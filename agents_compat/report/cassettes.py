"""Cassettes: the HTTP exchanges of a live run, kept under fixtures/ to test the emulators against.

``write`` stores each live cell's exchanges (already redacted by the wire capture) as
``<dir>/<profile>/<feature>.json``. ``check`` replays every recorded request against the profile's
emulator and compares what can be compared whatever the model said: the status, the kind of body, and
the nested shape of a JSON body or of every stream event's payload (field names at every depth: usage's
names, output item and content part types, the error object's fields), never the values. Exchanges
where the real model and the emulator's scripted model chose differently (one called a tool, the other
wrote text) are counted as not comparable rather than forced to agree.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from ..config.profiles import LIVE_SUFFIX, Profile
from ..emulators import create
from ..emulators.base import Emulator, HttpReply, HttpRequest
from ..wire.capture import parse_sse
from ..wire.redact import REDACTED
from . import Report, ReportError, atomic

# A report may come from anywhere (a CI artifact, a download): its names become path parts only after this.
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """``name`` as one harmless path part: no separators, no leading dot (so never ``..``), never empty."""
    return _UNSAFE.sub("_", name).lstrip(".") or "_"


def confined(directory: Path, *parts: str) -> Path:
    """``directory/part/...`` with each part made safe, refused if it resolves outside ``directory`` (a symlink)."""
    root = directory.resolve()
    path = root.joinpath(*(safe_name(part) for part in parts))
    if not path.resolve().is_relative_to(root):
        raise ReportError(f"{path} resolves outside {directory} (a symbolic link?): not written")
    return path


def write(directory: Path, report: Report) -> list[Path]:
    """One file per cell of a launched server's row (X@live) in a matrix report; returns the files written."""
    rows = {b.name: b for b in report.backends}
    written = []
    for cell in report.cells:
        row = cell.backend
        if not row.endswith(LIVE_SUFFIX) or not cell.exchanges:
            continue
        if row not in rows:
            raise ReportError(f"cell {row} / {cell.feature}: no backend {row!r} in the report's 'backends'")
        profile = row.removesuffix(LIVE_SUFFIX)
        directory.mkdir(parents=True, exist_ok=True)
        path = confined(directory, profile, f"{cell.feature}.json")
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "profile": profile,
            "row": row,
            "feature": cell.feature,
            "server_version": rows[row].version,
            "model": rows[row].model,
            "sdk": report.versions,
            "outcome": cell.outcome.value,
            "reason": cell.reason,
            "exchanges": cell.exchanges,
        }
        atomic.write_text(path, without_home(json.dumps(record, indent=1)) + "\n")
        written.append(path)
    return written


def without_home(text: str) -> str:
    """Paths under the recording machine's home as ``~/``: a server's traceback names where it is installed,
    and cassettes are committed, so no machine's own paths go with them."""
    home = str(Path.home()).rstrip("/")
    return text.replace(home + "/", "~/") if home else text


def load(directory: Path) -> Iterator[dict[str, Any]]:
    for path in sorted(directory.glob("*/*.json")):
        yield json.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Mismatch:
    where: str  # profile/feature #n METHOD path
    what: str


def _kind(content_type: str) -> str:
    if "event-stream" in content_type:
        return "sse"
    if "json" in content_type:
        return "json"
    return content_type.split(";")[0].strip() or "none"


def _choice(body: Any) -> tuple[bool, bool, bool]:
    """(wrote text, called a tool, ran to the token limit): what the model chose, in either wire format,
    streamed or not. A rambling real model that the server stopped at its cap is reported ``incomplete``
    (LiteLLM does), where the emulator's scripted model stopped on its own."""
    wrote = called = capped = False
    parts = [e["data"] for e in body if isinstance(e.get("data"), dict)] if isinstance(body, list) else [body]
    for part in parts:
        if not isinstance(part, dict):
            continue
        for choice in part.get("choices") or []:  # chat: a completion or a chunk
            message = choice.get("message") or choice.get("delta") or {}
            wrote |= bool(message.get("content"))
            called |= bool(message.get("tool_calls"))
        nested = part.get("response")  # a Responses stream event carries the response object
        response = nested if isinstance(nested, dict) else part
        capped |= (response.get("incomplete_details") or {}).get("reason") == "max_output_tokens"
        for item in part.get("output") or []:  # Responses: a response object
            called |= item.get("type") == "function_call"
            wrote |= any(c.get("text") for c in item.get("content") or [] if isinstance(c, dict))
        kind = str(part.get("type", ""))  # Responses: a stream event
        wrote |= kind == "response.output_text.delta" and bool(part.get("delta"))
        called |= kind.startswith("response.function_call")
    return wrote, called, capped


def paths(value: Any, prefix: str = "") -> set[str]:
    """The nested shape of a JSON value, as paths: ``usage.prompt_tokens``, ``output[message].content[output_text]``.

    Field names and nesting, not values: a list element is named by its ``type`` where it has one, scalars
    and nulls end a path, and an empty list or null compares equal to anything (nothing to compare), so
    what the model said never matters but a renamed usage field or a new item type does.
    """
    found = {prefix} if prefix else set()
    if isinstance(value, dict):
        for key, sub in value.items():
            found |= paths(sub, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for item in value:
            kind = item.get("type") if isinstance(item, dict) and isinstance(item.get("type"), str) else ""
            found |= paths(item, f"{prefix}[{kind}]")
    return found


def _stream_shape(events: list[dict[str, Any]]) -> set[str]:
    """Every event's payload paths under its type (Responses) or as a chunk (chat); the model's words left out."""
    shape = set()
    for event in events:
        data = event["data"]
        if isinstance(data, dict):
            head = f"type={data['type']}" if "type" in data else "chunk"
            item = data.get("item")
            if isinstance(item, dict) and isinstance(item.get("type"), str):
                head += f"({item['type']})"  # output_item.added of a message and of a call differ rightly
            shape |= {f"{head}:{path}" for path in paths(data)}
        else:
            shape.add(f"raw:{data}")
    return shape


def _diff(what: str, live: set[str], emulated: set[str], limit: int = 12) -> str | None:
    if live == emulated:
        return None
    only_live, only_emulated = sorted(live - emulated), sorted(emulated - live)
    return f"{what}: live only {only_live[:limit]}, emulated only {only_emulated[:limit]}"


def _emulated(emulator: Emulator, exchange: dict[str, Any], live_model: str | None, ids: dict[str, str]) -> HttpReply:
    request = exchange["request"]
    body = request.get("body")
    headers = {k.lower(): v for k, v in (request.get("headers") or {}).items() if v != REDACTED}
    key = emulator.options.get("api_key") or emulator.options.get("master_key")
    if key and "authorization" in {k.lower() for k in request.get("headers") or {}}:
        headers["authorization"] = f"Bearer {key}"  # the recorded key was redacted
    if isinstance(body, dict) and live_model and body.get("model") == live_model:
        body = {**body, "model": emulator.models[0]}  # the emulator serves the mocked profile's model id
    text, path = json.dumps(body) if body is not None else "", httpx.URL(request["url"]).path
    for live_id, emulated_id in ids.items():
        text, path = text.replace(live_id, emulated_id), path.replace(live_id, emulated_id)
    if request["method"] == "GET":
        time.sleep(STORE_DELAY)
    return emulator.handle(HttpRequest(request["method"], path, headers, text.encode()))


# A gateway that stores responses in the background (GoModel) is modelled with a short delay before a
# response can be fetched; the SDK's next call comes later than that, so the replay waits it out too.
STORE_DELAY = 0.05


def _remember_ids(live: Any, emulated: Any, ids: dict[str, str]) -> None:
    if isinstance(live, dict) and isinstance(emulated, dict):
        if isinstance(live.get("id"), str) and isinstance(emulated.get("id"), str):
            ids[live["id"]] = emulated["id"]
    elif isinstance(live, list) and isinstance(emulated, list):  # a stream: the ids in its final event
        finals = [_final(events) for events in (live, emulated)]
        if all(finals):
            _remember_ids(finals[0], finals[1], ids)


def _final(events: list[dict[str, Any]]) -> dict[str, Any] | None:
    for event in reversed(events):
        data = event.get("data")
        response = data.get("response") if isinstance(data, dict) else None
        if isinstance(response, dict):
            return response
    return None


def _reply_body(reply: HttpReply) -> Any:
    if reply.streamed:
        return parse_sse(b"".join(reply.chunks or []).decode())
    try:
        return json.loads(reply.body) if reply.body else None
    except ValueError:
        return reply.body.decode(errors="replace")


def check(cassette: dict[str, Any], profile: Profile) -> tuple[int, int, list[Mismatch]]:
    """(exchanges compared, exchanges not comparable, mismatches) for one cassette.

    The exchanges are replayed in order on one emulator, with the ids the real server handed out
    replaced by the emulator's own, so a retrieval or a chained request finds what it refers to.
    """
    compared = skipped = 0
    mismatches = []
    emulator = create(profile.emulator_name, profile.model, profile.emulator_options)
    ids: dict[str, str] = {}
    for n, exchange in enumerate(cassette["exchanges"], 1):
        live = exchange["response"]
        if live.get("status") is None or not live.get("complete"):
            skipped += 1  # the connection failed: nothing to compare with
            continue
        reply = _emulated(emulator, exchange, cassette.get("model"), ids)
        emulated_body = _reply_body(reply)
        _remember_ids(live.get("body"), emulated_body, ids)
        if _choice(live.get("body")) != _choice(emulated_body):
            skipped += 1
            continue
        compared += 1
        where = f"{cassette['profile']}/{cassette['feature']} #{n} {exchange['request']['method']} "
        where += httpx.URL(exchange["request"]["url"]).path
        found = _compare(live, reply, emulated_body)
        mismatches += [Mismatch(where, what) for what in found]
    return compared, skipped, mismatches


def _compare(live: dict[str, Any], reply: HttpReply, emulated_body: Any) -> list[str]:
    found = []
    if live["status"] != reply.status:
        found.append(f"status: live {live['status']}, emulated {reply.status}")
    live_kind = _kind((live.get("headers") or {}).get("content-type", ""))
    emulated_kind = _kind(reply.headers.get("content-type", ""))
    if live_kind != emulated_kind:
        found.append(f"body: live {live_kind}, emulated {emulated_kind}")
        return found
    body = live.get("body")
    if live_kind == "json" and isinstance(body, dict) and isinstance(emulated_body, dict):
        if (found_fields := _diff("fields", paths(body), paths(emulated_body))) is not None:
            found.append(found_fields)
    if live_kind == "sse" and isinstance(body, list) and isinstance(emulated_body, list):
        if (found_stream := _diff("stream", _stream_shape(body), _stream_shape(emulated_body))) is not None:
            found.append(found_stream)
    return found
