"""The shape of a wire body without its values: key paths, and a stream's event sequence.

Used to compare an emulator with a real server's recorded output where only the structure is kept
(fixtures/gomodel-golden-shapes.json holds GoModel's contract goldens this way).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def key_paths(value: Any, prefix: str = "") -> set[str]:
    """Every key path in ``value``: ``a.b`` for nested objects, ``a[].b`` inside arrays."""
    paths: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            paths.add(path)
            paths |= key_paths(inner, path)
    elif isinstance(value, list):
        for inner in value:
            paths |= key_paths(inner, f"{prefix}[]")
    return paths


def event_sequence(events: Iterable[tuple[str, Any]]) -> list[dict[str, Any]]:
    """(name, payload) pairs as [{event, paths}], runs of one event name folded into one entry.

    A model's words decide how many deltas a stream has; folding keeps the order of kinds, and the
    key paths of a folded run are the union of its events'.
    """
    sequence: list[dict[str, Any]] = []
    for name, payload in events:
        paths = key_paths(payload)
        if sequence and sequence[-1]["event"] == name:
            sequence[-1]["paths"] = sorted(set(sequence[-1]["paths"]) | paths)
        else:
            sequence.append({"event": name, "paths": sorted(paths)})
    return sequence
