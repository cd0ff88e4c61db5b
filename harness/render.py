"""Renderers: the matrix as a terminal table and as Markdown; one cell's evidence as text."""

from __future__ import annotations

import json
from typing import Any

from tabulate import tabulate

from .features import BY_ID
from .matrix import Matrix
from .outcomes import SYMBOLS, Cell, Outcome
from .wire import Exchange


def _symbol(cell: Cell | None) -> str:
    if cell is None:
        return ""
    mark = SYMBOLS[cell.outcome]
    return mark if cell.as_expected else f"{mark}!"


def legend() -> str:
    parts = [f"{SYMBOLS[o]}={o.value}" for o in Outcome]
    return "legend: " + "  ".join(parts) + "  !=differs from the profile's declared outcome"


def _rows(matrix: Matrix) -> list[list[str]]:
    return [
        [name, matrix.profiles[name].tier] + [_symbol(matrix.cells.get((name, f))) for f in matrix.features]
        for name in matrix.backends
    ]


def terminal(matrix: Matrix) -> str:
    headers = ["backend", "tier"] + [BY_ID[f].short for f in matrix.features]
    table = tabulate(_rows(matrix), headers=headers, tablefmt="simple")
    columns = "  ".join(f"{BY_ID[f].short}={f}" for f in matrix.features)
    return f"{table}\n{legend()}\ncolumns: {columns}"


def markdown(matrix: Matrix) -> str:
    headers = ["backend", "tier"] + [f"`{f}`" for f in matrix.features]
    table = tabulate(_rows(matrix), headers=headers, tablefmt="github")
    lines = ["## Agents SDK backend compatibility", "", table, "", legend(), ""]
    differing = matrix.unexpected()
    if differing:
        lines += ["### Cells that differ from their profile", ""]
        lines += [
            f"- **{c.backend}** `{c.feature}`: expected {c.expected.value if c.expected else '-'}, "
            f"observed **{c.outcome.value}**: {c.reason}"
            for c in differing
        ]
        lines.append("")
    lines += ["### Evidence", ""]
    lines += [
        f"- **{c.backend}** `{c.feature}` {c.outcome.value}: {c.reason}"
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


def failure_message(cell: Cell) -> str:
    expected = cell.expected.value if cell.expected else "(not declared)"
    lines = [
        f"{cell.backend} / {cell.feature}: observed outcome differs from the profile",
        f"  expected: {expected}",
        f"  observed: {cell.outcome.value}",
        f"  reason:   {cell.reason}",
        f"  exchange ({len(cell.exchanges)} HTTP request{'s' if len(cell.exchanges) != 1 else ''}):",
    ]
    lines += [f"    {exchange_summary(e)}" for e in cell.exchanges]
    return "\n".join(lines)
