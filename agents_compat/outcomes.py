"""Outcomes of one (backend, feature) cell, how every report shows them, and the evidence each cell carries."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from typing import Any

from pydantic import (
    ConfigDict,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    computed_field,
    field_serializer,
    model_serializer,
)
from pydantic.dataclasses import dataclass as model_dataclass


class Outcome(enum.StrEnum):
    SUPPORTED = "supported"  # works, and the wire shows the backend honored it
    UNSUPPORTED = "unsupported"  # refused with a clear 4xx error and message
    IGNORED = "ignored"  # accepted but silently not honored
    BROKEN = "broken"  # answered something the SDK cannot consume, or the SDK crashed on it
    INCONCLUSIVE = "inconclusive"  # live only: the model was too weak to show it either way
    ERROR = "error"  # infrastructure failed: could not start, connect, or timed out
    SKIPPED = "skipped"  # not applicable to this profile


@dataclasses.dataclass(frozen=True)
class Legend:
    """How one outcome is shown: every renderer reads this table, so the formats cannot drift apart."""

    symbol: str  # Markdown and HTML
    mark: str  # terminal: one ASCII character keeps 23 columns inside an 80-column terminal
    colour: tuple[str, ...]  # terminal markup (pytest's TerminalWriter names); none for a plain mark
    meaning: str  # the HTML legend
    paint: tuple[str, str]  # HTML: the cell's background and text colours


LEGEND: dict[Outcome, Legend] = {
    Outcome.SUPPORTED: Legend(
        "ok", "+", ("green",), "works, and the wire shows the backend honoured it", ("#cdeed8", "#0c5a2b")
    ),
    Outcome.UNSUPPORTED: Legend("no", "x", (), "refused with a clear error", ("#dfe3e8", "#3a4553")),
    Outcome.IGNORED: Legend("ign", "~", ("yellow",), "accepted, silently not honoured", ("#ffe9a8", "#6e5000")),
    Outcome.BROKEN: Legend("BRK", "!", ("red",), "an answer the SDK cannot use", ("#f9c4c4", "#8f1515")),
    Outcome.INCONCLUSIVE: Legend(
        "?", "?", ("purple",), "live only: the model was too weak to tell", ("#e4d9fb", "#4b2f8f")
    ),
    Outcome.ERROR: Legend("ERR", "E", ("red", "bold"), "infrastructure or setup failed", ("#f6c6e6", "#7d0f55")),
    Outcome.SKIPPED: Legend("-", "-", (), "not applicable to this profile", ("#f3f4f6", "#9aa3ad")),
}
# Declared outcomes a capability answer gave: a cell declared so that comes back inconclusive is unconfirmed.
DECIDED = frozenset({Outcome.SUPPORTED, Outcome.UNSUPPORTED, Outcome.IGNORED, Outcome.BROKEN})
# A cell whose outcome differs from its profile's declaration: a suffix on its symbol or mark.
DIFFERS = Legend("!", "*", ("red", "bold"), "differs from the profile's declared outcome", ("", "#d0021b"))


@dataclasses.dataclass(frozen=True)
class Observation:
    """What a classifier concluded from one run: the outcome and a one-line reason.

    ``model_missed``: the model, not the backend, fell short (no call to an offered tool, an answer that does
    not use the result). The classifier cannot tell a weak model from a backend that dropped the feature;
    the tier can, and ``on_tier`` is that one rule, applied by the ``judge`` fixture.
    """

    outcome: Outcome
    reason: str
    model_missed: bool = False

    def on_tier(self, tier: str) -> Observation:
        """Live: a model's miss shows nothing either way (inconclusive). Mocked: the emulator's scripted model
        always cooperates with a backend that honours the feature, so a miss is the backend ignoring it."""
        if self.model_missed and tier == "live":
            return Observation(Outcome.INCONCLUSIVE, self.reason, model_missed=True)
        return self


@model_dataclass(config=ConfigDict(json_schema_serialization_defaults_required=True))
class Cell:
    """One matrix cell: the observation, what the profile declared, and the captured exchange.

    Part of the report model (agents_compat/report/model.py): its JSON form is its pydantic dump, keys in
    ``JSON_ORDER``.
    """

    backend: str
    feature: str
    tier: str
    outcome: Outcome
    reason: str
    expected: Outcome | None
    exchanges: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    seconds: float = 0.0
    strict: list[str] = dataclasses.field(default_factory=list)  # deviations from the published OpenAI types
    runs: dict[str, Any] | None = None  # a repeated live cell: total, supported, outcomes
    server_logs: str = ""  # a launched server's log tail, for a failed live cell
    allowed: str = ""  # an unconfirmed cell that only warns: why (the profile's reason, or the flag)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def as_expected(self) -> bool:
        """Observed what the profile declares; an undeclared cell passes, unless it is an error.

        An error is infrastructure failing (a closed port, a rejected key), never a capability answer:
        green only where the profile declares ``error`` for that feature.
        """
        if self.expected is None:
            return self.outcome is not Outcome.ERROR
        return self.expected == self.outcome

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unconfirmed(self) -> bool:
        """Declared a capability answer (supported, ignored, ...) and came back inconclusive.

        A weak model is one explanation; a backend that silently dropped what showed the answer is another,
        so this fails the run unless ``allowed`` says why it may only warn (docs/gating.md).
        """
        return self.outcome is Outcome.INCONCLUSIVE and self.expected in DECIDED

    @field_serializer("seconds")
    def _seconds(self, seconds: float) -> float:
        return round(seconds, 4)

    @model_serializer(mode="wrap")
    def _in_report_order(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        # No return annotation: pydantic then documents the fields in the JSON schema, not a bare object.
        data = handler(self)
        return {key: data[key] for key in JSON_ORDER}

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = _CELL.dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Cell:
        """The inverse of ``to_json`` (extra keys such as ``as_expected`` are recomputed, not read)."""
        return _CELL.validate_python(data)


@model_dataclass(frozen=True)
# A cell whose outcome differs between two reports (agents_compat/report/diff.py); also the verdict's lost cells.
class Change:
    backend: str
    feature: str
    old: str
    new: str
    reason: str  # the new cell's reason: why it is what it is now


_CELL = TypeAdapter(Cell)
# The order of a cell's keys in compat-matrix.json, kept from the reports written before this model.
JSON_ORDER = (
    "backend", "feature", "tier", "outcome", "expected", "as_expected", "unconfirmed", "allowed", "reason", "strict",
    "runs", "server_logs", "seconds", "exchanges",
)  # fmt: skip


# The ``judge`` fixture a scenario gets (agents_compat/session/judge.py): it records the cell for the observation.
Judge = Callable[[Observation], Cell]
