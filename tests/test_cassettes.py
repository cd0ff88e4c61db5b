"""The emulators against recorded live exchanges (fixtures/cassettes, from `pytest -m live`).

Every recorded request is replayed against its profile's emulator; the status, the kind of body, the
fields of a JSON body and the event types of a stream must match what the real server sent. Where the
real model and the emulator's scripted one chose differently (a tool call against text), the exchange
is counted as not comparable. Re-record after a live run with
``python -m harness cassettes compat-matrix.json fixtures/cassettes``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import cassettes
from harness.profiles import load_profiles
from harness.wire import REDACTED, SECRET_HEADERS

CASSETTES = Path(__file__).parent.parent / "fixtures" / "cassettes"
RECORDED = list(cassettes.load(CASSETTES))
# The four rows built here; GoModel's module is not served by the Go module proxy (README, "Live tier").
RECORDED_PROFILES = {"ollama-chat", "ollama-responses", "llamacpp-chat", "llamacpp-responses"}


def test_every_buildable_live_row_has_cassettes_with_the_version_it_measured() -> None:
    assert {c["profile"] for c in RECORDED} >= RECORDED_PROFILES
    for cassette in RECORDED:
        assert cassette["server_version"] and "pinned" not in cassette["server_version"], cassette["row"]


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
