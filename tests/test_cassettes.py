"""The emulators against recorded live exchanges (fixtures/cassettes, from `pytest -m live`).

Every recorded request is replayed against its profile's emulator; the status, the kind of body, the
nested shape of a JSON body (field names at every depth: usage, output items and content parts, error
objects) and of every stream event's payload must match what the real server sent. Where the
real model and the emulator's scripted one chose differently (a tool call against text), the exchange
is counted as not comparable. Re-record after a live run with
``python -m agents_compat cassettes compat-matrix.json fixtures/cassettes``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest

from agents_compat.config.profiles import load_profiles
from agents_compat.report import cassettes
from agents_compat.wire.capture import REDACTED, SECRET_HEADERS
from tests.reports import report_of

CASSETTES = Path(__file__).parent.parent / "fixtures" / "cassettes"
RECORDED = list(cassettes.load(CASSETTES))
# The rows built here; GoModel's module is not served by the Go module proxy (docs/live-tier.md).
RECORDED_PROFILES = {
    "ollama-chat",
    "ollama-responses",
    "llamacpp-chat",
    "llamacpp-responses",
    "llamacpp-4227c9b-chat",
    "llama-cpp-python-chat",
    "litellm-responses",
    "litellm-chat",
}


def test_every_buildable_live_row_has_cassettes_with_the_version_it_measured() -> None:
    assert {c["profile"] for c in RECORDED} >= RECORDED_PROFILES
    for cassette in RECORDED:
        assert cassette["server_version"] and "pinned" not in cassette["server_version"], cassette["row"]


def test_no_machine_path_is_kept_in_a_cassette(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for folder in CASSETTES.iterdir():  # what is committed: no recording machine's home (e.g. /root/, /home/x/)
        for path in folder.glob("*.json"):
            assert not re.search(r'"/(root|home/[^/"]+)/', path.read_text()), path
    monkeypatch.setenv("HOME", "/home/recorder")
    body = 'File "/home/recorder/.cache/compat-harness/venvs/x/app.py", line 376'
    exchange = {"request": {"headers": {}}, "response": {"headers": {}, "body": body}}
    report = report_of(
        [{"backend": "llama-cpp-python-chat@live", "feature": "plain_text", "outcome": "broken", "reason": "500",
          "exchanges": [exchange]}],
        backends=[{"name": "llama-cpp-python-chat@live", "version": "0.3.36", "model": "m"}],
    )  # fmt: skip
    [written] = cassettes.write(tmp_path, report)
    text = written.read_text()
    assert "/home/recorder" not in text and 'File \\"~/.cache/compat-harness/venvs/x/app.py\\"' in text


def test_no_key_is_kept_in_a_cassette() -> None:
    for cassette in RECORDED:
        for exchange in cassette["exchanges"]:
            headers = exchange["request"]["headers"] | exchange["response"]["headers"]
            for name, value in headers.items():
                if name.lower() in SECRET_HEADERS:
                    assert value == REDACTED, (cassette["row"], name)


@pytest.mark.parametrize("cassette", RECORDED, ids=[f"{c['profile']}-{c['feature']}" for c in RECORDED])
def test_the_emulator_answers_like_the_recorded_server(cassette: dict) -> None:
    profile = load_profiles()[cassette["profile"]]
    _, _, mismatches = cassettes.check(cassette, profile)
    assert not mismatches, "\n".join(f"{m.where}: {m.what}" for m in mismatches)


def test_enough_exchanges_are_comparable() -> None:
    """Guards the check itself: skipping most exchanges as 'not comparable' would make it pass vacuously."""
    totals = [cassettes.check(c, load_profiles()[c["profile"]])[:2] for c in RECORDED]
    compared = sum(c for c, _ in totals)
    skipped = sum(s for _, s in totals)
    assert compared >= 2 * skipped, f"{compared} compared, {skipped} not comparable"


def _recorded(profile: str, feature: str) -> dict:
    return next(c for c in RECORDED if c["profile"] == profile and c["feature"] == feature)


def _mismatches_after(cassette: dict, change) -> list[str]:
    """The check run on a copy of ``cassette`` whose first exchange's live response ``change`` edited."""
    edited = copy.deepcopy(cassette)
    change(edited["exchanges"][0]["response"]["body"])
    return [m.what for m in cassettes.check(edited, load_profiles()[edited["profile"]])[2]]


def test_nested_usage_field_names_are_compared() -> None:
    def rename(body: dict) -> None:
        usage = body["usage"]
        usage["input_tokens"] = usage.pop("prompt_tokens")

    found = _mismatches_after(_recorded("llamacpp-chat", "plain_text"), rename)
    assert any("usage.input_tokens" in m and "usage.prompt_tokens" in m for m in found), found


def test_nested_output_item_types_are_compared() -> None:
    def retype(body: dict) -> None:
        body["output"][0]["content"][0]["type"] = "text"

    found = _mismatches_after(_recorded("llamacpp-responses", "plain_text"), retype)
    assert any("output[message].content[text]" in m for m in found), found


def test_stream_event_payload_keys_are_compared() -> None:
    def drop_usage(events: list) -> None:
        for event in events:
            data = event["data"]
            if isinstance(data, dict) and data.get("usage"):
                data["usage"] = {"tokens": 1}

    found = _mismatches_after(_recorded("llamacpp-chat", "usage"), lambda body: None)
    assert not found, found
    cassette = _recorded("llamacpp-chat", "usage")
    edited = copy.deepcopy(cassette)
    drop_usage(edited["exchanges"][1]["response"]["body"])
    found = [m.what for m in cassettes.check(edited, load_profiles()["llamacpp-chat"])[2]]
    assert any("chunk:usage.tokens" in m for m in found), found


def test_error_shapes_are_compared() -> None:
    def json_error(exchange: dict) -> bool:
        response = exchange["response"]
        return (response.get("status") or 0) >= 400 and isinstance(response.get("body"), dict)

    cassette = next(c for c in RECORDED if any(json_error(e) for e in c["exchanges"]))
    edited = copy.deepcopy(cassette)
    next(e for e in edited["exchanges"] if json_error(e))["response"]["body"] = {"error": {"detail": "x"}}
    found = [m.what for m in cassettes.check(edited, load_profiles()[edited["profile"]])[2]]
    assert any("error.detail" in m for m in found), found
