"""Renderers: the matrix as a terminal table and as Markdown; one cell's evidence as text."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

from tabulate import tabulate

from .matrix import Matrix
from .outcomes import SYMBOLS, Cell, Outcome
from .wire import Exchange

# One ASCII character per outcome keeps 19 columns inside an 80-column terminal.
TERMINAL_MARKS: dict[Outcome, str] = {
    Outcome.SUPPORTED: "+",
    Outcome.UNSUPPORTED: "x",
    Outcome.IGNORED: "~",
    Outcome.BROKEN: "!",
    Outcome.INCONCLUSIVE: "?",
    Outcome.ERROR: "E",
    Outcome.SKIPPED: "-",
}
DIFFERS = "*"

# Colours a terminal mark; the outcome is None for the "differs" flag.
Paint = Callable[[str, Outcome | None], str]


def _symbol(cell: Cell | None) -> str:
    if cell is None:
        return ""
    mark = SYMBOLS[cell.outcome]
    return mark if cell.as_expected else f"{mark}!"


def legend() -> str:
    parts = [f"{SYMBOLS[o]}={o.value}" for o in Outcome]
    return "legend: " + "  ".join(parts) + "  !=differs from the profile's declared outcome"


# Markdown punctuation that could start emphasis, code, links, tables or strike-through inside a line.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]|~!#])")


def md_text(text: object) -> str:
    """Untrusted text (a backend's error, a server's version) as one inert line of Markdown.

    HTML is escaped (GitHub renders raw HTML and comments in Markdown, so an unclosed ``<!--`` from a
    backend would hide the rest of the page), punctuation is backslash-escaped, newlines become spaces.
    """
    flat = " ".join(str(text).split())
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(flat, quote=False))


def md_block(text: str) -> str:
    """Text as a fenced code block whose fence no backtick run inside it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}\n"


def _rows(matrix: Matrix) -> list[list[str]]:
    return [
        [md_text(name), matrix.profiles[name].tier] + [_symbol(matrix.cells.get((name, f))) for f in matrix.features]
        for name in matrix.backends
    ]


def _column_keys(count: int) -> list[str]:
    return [chr(ord("a") + i) if i < 26 else str(i) for i in range(count)]


def _plain(mark: str, outcome: Outcome | None) -> str:
    return mark


def terminal(matrix: Matrix, *, rows_only: bool = False, paint: Paint = _plain) -> str:
    """A compact table: one character per cell, lettered columns, then the legend and the letters.

    ``rows_only`` keeps one line per backend (``pytest -q``); ``paint`` colours a mark (the plugin
    passes the terminal's markup, which is a no-op unless the output is a colour terminal).
    """
    features = matrix.features
    keys = _column_keys(len(features))
    width = max((len(name) for name in matrix.backends), default=7)
    lines = [] if rows_only else [f"{'backend'.ljust(width)}  tier    " + " ".join(keys)]
    for name in matrix.backends:
        marks = []
        for feature in features:
            cell = matrix.cells.get((name, feature))
            mark = " " if cell is None else paint(TERMINAL_MARKS[cell.outcome], cell.outcome)
            differs = cell is not None and not cell.as_expected
            marks.append(mark + (paint(DIFFERS, None) if differs else " "))
        tier = "" if rows_only else f"{matrix.profiles[name].tier:<6}  "
        lines.append(f"{name.ljust(width)}  {tier}" + "".join(marks).rstrip())
    if rows_only:
        return "\n".join(lines)
    lines += _wrap([f"{TERMINAL_MARKS[o]} {o.value}" for o in Outcome] + [f"{DIFFERS} differs from the profile"], 78)
    columns = [f"{key}={feature}" for key, feature in zip(keys, features, strict=True)]
    lines += _wrap(columns, 78)
    return "\n".join(lines)


def strict_grid(matrix: Matrix) -> str:
    """Beside the outcome grid: which cells deviate from the published OpenAI types."""
    features = matrix.features
    deviating = [
        name
        for name in matrix.backends
        if any(matrix.cells[(name, f)].strict for f in features if (name, f) in matrix.cells)
    ]
    if not deviating:
        return "strict: every cell's wire matches the published OpenAI types"
    width = max(len(name) for name in matrix.backends)
    lines = [f"{'strict'.ljust(width)}          " + " ".join(_column_keys(len(features)))]
    for name in deviating:
        marks = ["d" if (name, f) in matrix.cells and matrix.cells[(name, f)].strict else "." for f in features]
        lines.append(f"{name.ljust(width)}          " + " ".join(marks))
    lines.append("d: the wire deviates from the published OpenAI types (details in the Markdown and JSON)")
    return "\n".join(lines)


def strict_failure_message(cell: Cell) -> str:
    lines = [f"{cell.backend} / {cell.feature}: the profile is declared strict-clean, but the wire deviates:"]
    lines += [f"  - {line}" for line in cell.strict]
    lines.append(f"  exchange ({len(cell.exchanges)} HTTP requests):")
    lines += [f"    {exchange_summary(e)}" for e in cell.exchanges]
    return "\n".join(lines)


def _wrap(words: list[str], width: int) -> list[str]:
    lines, current = [], ""
    for word in words:
        if current and len(current) + 2 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current}  {word}" if current else word
    return lines + ([current] if current else [])


def interrupted_line(report: dict[str, Any]) -> str:
    """The warning every format opens with when the session was stopped before its end."""
    stopped = report.get("interrupted")
    if not stopped:
        return ""
    return (
        f"INTERRUPTED RUN: {stopped['reason']} after {stopped['cells']} cells; "
        "this report is partial (cells that did not run are missing)"
    )


def versions_line(versions: dict[str, str]) -> str:
    return " · ".join(f"{name} {value}" for name, value in versions.items())


def markdown(matrix: Matrix, versions: dict[str, str]) -> str:
    """Every string that came from a backend, a report or a profile file goes through ``md_text``."""
    headers = ["backend", "tier"] + [f"`{f}`" for f in matrix.features]
    table = tabulate(_rows(matrix), headers=headers, tablefmt="github", disable_numparse=True)
    lines = ["## Agents SDK backend compatibility", "", f"Produced with {md_text(versions_line(versions))}.", ""]
    lines += [table, "", legend(), ""]
    differing = matrix.unexpected()
    if differing:
        lines += ["### Cells that differ from their profile", ""]
        lines += [
            f"- **{md_text(c.backend)}** `{c.feature}`: expected {c.expected.value if c.expected else '-'}, "
            f"observed **{c.outcome.value}**: {md_text(c.reason)}"
            for c in differing
        ]
        lines.append("")
    lines += ["### Strict conformance", ""]
    lines += [
        "Each object on the wire validated against the `openai` package's published types; the SDK "
        "parses leniently, so a supported cell can still deviate.",
        "",
    ]
    for name in matrix.backends:
        found: dict[str, list[str]] = {}
        for feature in matrix.features:
            cell = matrix.cells.get((name, feature))
            for line in cell.strict if cell else []:
                found.setdefault(line, []).append(feature)
        if not found:
            lines.append(f"- **{md_text(name)}**: clean")
            continue
        lines.append(f"- **{md_text(name)}**: {len(found)} deviation(s)")
        lines += [
            f"  - {md_text(line)} (in {', '.join(f'`{f}`' for f in features)})" for line, features in found.items()
        ]
    lines.append("")
    lines += ["### Evidence", ""]
    lines += [
        f"- **{md_text(c.backend)}** `{c.feature}` {c.outcome.value}: {md_text(c.reason)}"
        for c in (matrix.cells[k] for k in sorted(matrix.cells, key=matrix._order))
    ]
    return "\n".join(lines) + "\n"


def _clip(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def exchange_summary(exchange: Exchange | dict[str, Any], limit: int = 400) -> str:
    data = exchange.to_json() if isinstance(exchange, Exchange) else exchange
    request, response = data["request"], data["response"]
    head = f"{request['method']} {request['url']} -> {response['status']}"
    body = response["body"]
    if response.get("streamed") and isinstance(body, list):
        names = [
            e.get("event") or (e.get("data") or {}).get("type", "data")
            if isinstance(e.get("data"), dict)
            else (e.get("event") or str(e.get("data"))[:12])
            for e in body
        ]
        shown = f"SSE {len(body)} events: {', '.join(names[:12])}{' …' if len(names) > 12 else ''}"
    else:
        shown = _clip(body, limit)
    return f"{head}\n      request:  {_clip(request['body'], limit)}\n      response: {shown}"


ACCEPT_HINT = (
    'declare them under [profiles.{name}.expect] (feature = "outcome"), '
    "or record what was observed with `agents-compat accept --backend {name}`"
)


def failure_message(cell: Cell) -> str:
    expected = cell.expected.value if cell.expected else "(not declared)"
    headline = f"{cell.backend} / {cell.feature}: observed outcome differs from the profile"
    if cell.expected is None and cell.outcome is Outcome.ERROR:
        headline = (
            f"{cell.backend} / {cell.feature}: an error cell fails unless the profile declares "
            f'{cell.feature} = "error" (infrastructure failing is not a capability answer)'
        )
    lines = [
        headline,
        f"  expected: {expected}",
        f"  observed: {cell.outcome.value}",
        f"  reason:   {cell.reason}",
        f"  exchange ({len(cell.exchanges)} HTTP request{'s' if len(cell.exchanges) != 1 else ''}):",
    ]
    lines += [f"    {exchange_summary(e)}" for e in cell.exchanges]
    return "\n".join(lines)


def undeclared(matrix: Matrix) -> list[str]:
    """One line per profile with cells its profile declares no outcome for, and how to declare them."""
    lines = []
    for name in matrix.backends:
        features = [f for f in matrix.features if (c := matrix.cells.get((name, f))) is not None and c.expected is None]
        if features:
            lines.append(
                f"{name}: {len(features)} feature(s) without a declared outcome, reported as observed, "
                f"not judged ({', '.join(features)}); {ACCEPT_HINT.format(name=name)}"
            )
    return lines
