"""Cassettes: the HTTP exchanges of a live run, kept under fixtures/ to test the emulators against.

``write`` stores each live cell's exchanges (already redacted by the wire capture) as
``<dir>/<profile>/<feature>.json``. ``check`` replays every recorded request against the profile's
emulator and compares what can be compared whatever the model said: the status, the kind of body, the
fields of a JSON body, and the event types of a stream. Exchanges where the real model and the
emulator's scripted model chose differently (one called a tool, the other wrote text) are counted as
not comparable rather than forced to agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from .emulators import create
from .emulators.base import HttpReply, HttpRequest
from .profiles import LIVE_SUFFIX, Profile
from .wire import REDACTED, parse_sse


def write(directory: Path, report: dict[str, Any]) -> list[Path]:
    """One file per cell of a launched server's row (X@live) in a matrix report; returns the files written."""
    rows = {b["name"]: b for b in report["backends"]}
    written = []
    for cell in report["cells"]:
        row = cell["backend"]
        if not row.endswith(LIVE_SUFFIX) or not cell["exchanges"]:
            continue
        profile = row.removesuffix(LIVE_SUFFIX)
        path = directory / profile / f"{cell['feature']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "profile": profile,
            "row": row,
            "feature": cell["feature"],
            "server_version": rows[row].get("version"),
            "model": rows[row].get("model"),
            "sdk": report.get("versions", {}),
            "outcome": cell["outcome"],
            "reason": cell["reason"],
            "exchanges": cell["exchanges"],
        }
        path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        written.append(path)
    return written


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


def _called_a_tool(body: Any) -> bool:
    """Did this response carry a tool call, in either wire format, streamed or not?"""
    return '"tool_calls": [{' in json.dumps(body) or '"type": "function_call"' in json.dumps(body)


def _stream_shape(events: list[dict[str, Any]]) -> set[str]:
    """Responses: the event types; chat: the chunk fields (both without the model's words)."""
    shape = set()
    for event in events:
        data = event["data"]
        if isinstance(data, dict):
            shape.add(f"type={data['type']}" if "type" in data else "chunk:" + ",".join(sorted(data)))
        else:
            shape.add(f"raw:{data}")
    return shape


def _emulated(profile: Profile, exchange: dict[str, Any], live_model: str | None) -> HttpReply:
    request = exchange["request"]
    emulator = create(profile.emulator_name, profile.model, profile.emulator_options)
    body = request.get("body")
    headers = {k.lower(): v for k, v in (request.get("headers") or {}).items() if v != REDACTED}
    if profile.api_key:
        headers["authorization"] = f"Bearer {profile.api_key}"
    if isinstance(body, dict) and live_model and body.get("model") == live_model:
        body = {**body, "model": profile.model}  # the emulator serves the mocked profile's model id
    raw = json.dumps(body).encode() if body is not None else b""
    return emulator.handle(HttpRequest(request["method"], httpx.URL(request["url"]).path, headers, raw))


def _reply_body(reply: HttpReply) -> Any:
    if reply.streamed:
        return parse_sse(b"".join(reply.chunks or []).decode())
    try:
        return json.loads(reply.body) if reply.body else None
    except ValueError:
        return reply.body.decode(errors="replace")


def check(cassette: dict[str, Any], profile: Profile) -> tuple[int, int, list[Mismatch]]:
    """(exchanges compared, exchanges not comparable, mismatches) for one cassette."""
    compared = skipped = 0
    mismatches = []
    for n, exchange in enumerate(cassette["exchanges"], 1):
        live = exchange["response"]
        if live.get("status") is None or not live.get("complete"):
            skipped += 1  # the connection failed: nothing to compare with
            continue
        reply = _emulated(profile, exchange, cassette.get("model"))
        emulated_body = _reply_body(reply)
        if _called_a_tool(live.get("body")) != _called_a_tool(emulated_body):
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
        missing, extra = sorted(set(body) - set(emulated_body)), sorted(set(emulated_body) - set(body))
        if missing or extra:
            found.append(f"fields: live only {missing}, emulated only {extra}")
    if live_kind == "sse" and isinstance(body, list) and isinstance(emulated_body, list):
        live_shape, emulated_shape = _stream_shape(body), _stream_shape(emulated_body)
        if live_shape != emulated_shape:
            found.append(
                f"stream: live only {sorted(live_shape - emulated_shape)}, "
                f"emulated only {sorted(emulated_shape - live_shape)}"
            )
    return found
