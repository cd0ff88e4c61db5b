"""The report in the terminal: the compact table, the strict grid, readiness, and a failed cell's evidence as
text (pytest's failure message); ``summary`` lays them out with the verdict and the baseline diff at the end of
a session. Marks and colours come from the one legend table (agents_compat/outcomes.py). Nothing here writes a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..judging import agreement, verdict
from ..judging.readiness import AgentReadiness
from ..outcomes import DIFFERS, LEGEND, Cell, Outcome
from ..wire.capture import Exchange
from ..wire.inert import inert
from .diff import Diff
from .diff import render as render_diff
from .files import Written
from .merge import disagreements, groups, sdk_changes, sdk_versions
from .model import Report

if TYPE_CHECKING:
    import pytest

# Colours a terminal mark; the outcome is None for the "differs" flag.
Paint = Callable[[str, Outcome | None], str]


class Markup(Protocol):  # pytest's TerminalWriter, which pytest does not export
    def markup(self, text: str, **markup: bool) -> str: ...


def painter(writer: Markup) -> Paint:
    """Colours marks through pytest's writer, which adds none unless the output is a colour terminal."""

    def paint(mark: str, outcome: Outcome | None) -> str:
        colour = (LEGEND[outcome] if outcome is not None else DIFFERS).colour
        return writer.markup(mark, **dict.fromkeys(colour, True)) if colour else mark

    return paint


def _column_keys(count: int) -> list[str]:
    return [chr(ord("a") + i) if i < 26 else str(i) for i in range(count)]


def _plain(mark: str, outcome: Outcome | None) -> str:
    return mark


def terminal(report: Report, *, rows_only: bool = False, paint: Paint = _plain) -> str:
    """A compact table: one character per cell, lettered columns, then the legend and the letters.

    ``rows_only`` keeps one line per backend (``pytest -q``); ``paint`` colours a mark (the plugin
    passes the terminal's markup, which is a no-op unless the output is a colour terminal).
    """
    features = report.feature_ids
    keys = _column_keys(len(features))
    names = {row.name: inert(row.name) for row in report.backends}  # a file's row names, shown inert
    width = max((len(name) for name in names.values()), default=7)
    # One space between name, tier and marks: 24 columns of a 24-character name still fit 80 characters.
    lines = [] if rows_only else [f"{'backend'.ljust(width)} {'tier':<6} " + " ".join(keys)]
    for row in report.backends:
        marks = []
        for feature in features:
            cell = report.cell(row.name, feature)
            mark = " " if cell is None else paint(LEGEND[cell.outcome].mark, cell.outcome)
            differs = cell is not None and not cell.as_expected
            marks.append(mark + (paint(DIFFERS.mark, None) if differs else " "))
        tier = " " if rows_only else f"{row.tier:<6} "
        lines.append(f"{names[row.name].ljust(width)} {tier}" + "".join(marks).rstrip())
    if rows_only:
        return "\n".join(lines)
    words = [f"{LEGEND[o].mark} {o.value}" for o in Outcome] + [f"{DIFFERS.mark} differs from the profile"]
    lines += _wrap(words, 78)
    columns = [f"{key}={feature}" for key, feature in zip(keys, features, strict=True)]
    lines += _wrap(columns, 78)
    return "\n".join(lines)


def strict_grid(report: Report) -> str:
    """Beside the outcome grid: which cells deviate from the published OpenAI types."""
    features = report.feature_ids
    names = [row.name for row in report.backends]
    deviating = [name for name in names if any((c := report.cell(name, f)) and c.strict for f in features)]
    if not deviating:
        return "strict: every cell's wire matches the published OpenAI types"
    width = max(len(inert(name)) for name in names)
    lines = [f"{'strict'.ljust(width)}        " + " ".join(_column_keys(len(features)))]
    for name in deviating:
        marks = ["d" if (c := report.cell(name, f)) and c.strict else "." for f in features]
        lines.append(f"{inert(name).ljust(width)}        " + " ".join(marks))
    lines.append("d: the wire deviates from the published OpenAI types (details in the Markdown and JSON)")
    return "\n".join(lines)


def strict_failure_message(cell: Cell) -> str:
    lines = [f"{inert(cell.backend)} / {cell.feature}: the profile is declared strict-clean, but the wire deviates:"]
    lines += [f"  - {inert(line)}" for line in cell.strict]
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


def _clip(value: Any, limit: int) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def exchange_summary(exchange: Exchange | dict[str, Any], limit: int = 400) -> str:
    """An exchange in three lines, each piece of it inert: it reaches the terminal and the JUnit XML."""
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
    request_body = _clip(request["body"], limit)
    return f"{inert(head)}\n      request:  {inert(request_body)}\n      response: {inert(shown)}"


ACCEPT_HINT = (
    'declare them under [profiles.{name}.expect] (feature = "outcome"), '
    "or record what was observed with `agents-compat accept --backend {name}`"
)


def failure_message(cell: Cell) -> str:
    expected = cell.expected.value if cell.expected else "(not declared)"
    headline = f"{inert(cell.backend)} / {cell.feature}: observed outcome differs from the profile"
    if cell.expected is None and cell.outcome is Outcome.ERROR:
        headline = (
            f"{inert(cell.backend)} / {cell.feature}: an error cell fails unless the profile declares "
            f'{cell.feature} = "error" (infrastructure failing is not a capability answer)'
        )
    if cell.unconfirmed:
        headline = (
            f"{cell.backend} / {cell.feature}: declared {expected}, now unconfirmed (a weak model, or a backend "
            "that dropped what would show it; a profile's `unconfirmed` reason or --compat-allow-unconfirmed "
            "makes it a warning)"
        )
    lines = [
        headline,
        f"  expected: {expected}",
        f"  observed: {cell.outcome.value}",
        f"  reason:   {inert(cell.reason)}",  # a backend's words: one line, nothing a terminal obeys
        f"  exchange ({len(cell.exchanges)} HTTP request{'s' if len(cell.exchanges) != 1 else ''}):",
    ]
    lines += [f"    {exchange_summary(e)}" for e in cell.exchanges]
    return "\n".join(lines)


def undeclared(report: Report) -> list[str]:
    """One line per profile with cells its profile declares no outcome for, and how to declare them."""
    lines = []
    for name in (row.name for row in report.backends):
        features = [f for f in report.feature_ids if (c := report.cell(name, f)) is not None and c.expected is None]
        if features:
            lines.append(
                f"{inert(name)}: {len(features)} feature(s) without a declared outcome, reported as observed, "
                f"not judged ({', '.join(features)}); {ACCEPT_HINT.format(name=inert(name))}"
            )
    return lines


def readiness_lines(entry: AgentReadiness) -> list[str]:
    """One agent's verdicts, one line per backend, then its blockers and limitations (a file's agent name
    and a backend's reasons shown inert)."""
    lines = [inert(f"Readiness of agent '{entry.agent}' ({', '.join(entry.features)})")]
    width = max((len(inert(b.backend)) for b in entry.backends), default=0)
    for b in entry.backends:
        lines.append(f"  {inert(b.backend).ljust(width)}  {b.verdict}")
        lines += [f"      {x['feature']} {x['outcome']}: {inert(x['reason'])}" for x in b.blockers]
        lines += [f"      {x['feature']} {x['outcome']}: {inert(x['workaround'])}" for x in b.limitations]
    return lines


def summary(
    terminalreporter: Any,
    config: pytest.Config,
    report: Report | None,
    *,
    outbound: str,
    written: Written | None,
    cassettes: int,
    cassettes_failed: str,
    held: list[str],
    found: Diff | None,
    baseline: Path | None,
) -> None:
    """The pytest_terminal_summary of a session that ran scenarios: its report, and what came with it."""
    if outbound:
        terminalreporter.write_sep("!", "launched servers tried to reach off this machine: the session fails", red=True)
        terminalreporter.write_line(inert(outbound, lines=True), red=True)
    if report is None:
        return
    style = config.getoption("compat_matrix")
    rows_only = style == "rows" or (style == "auto" and config.option.verbose < 0)
    if not rows_only:
        terminalreporter.write_sep("=", "Agents SDK compatibility matrix")
    paint = painter(config.get_terminal_writer())
    terminalreporter.write_line(terminal(report, rows_only=rows_only, paint=paint))
    for line in undeclared(report):
        terminalreporter.write_line(f"undeclared: {line}", yellow=True)
    if not rows_only:
        terminalreporter.write_line(strict_grid(report))
        for entry in report.readiness:
            terminalreporter.write_line("\n".join(readiness_lines(entry)))
    cassette_dir = config.getoption("compat_cassettes")
    if cassette_dir and not cassettes_failed:
        terminalreporter.write_line(f"cassettes: {cassettes} live cells written under {cassette_dir}")
    if report.mocked_vs_live:
        terminalreporter.write_sep("-", "mocked vs live")
        terminalreporter.write_line(agreement.render(report.mocked_vs_live))
    files = "compat-matrix.json, .md and .html"
    if written is not None and written.folder is not None:
        terminalreporter.write_line(f"matrix: {len(report.cells)} cells written to {written.folder}: {files}")
    problems = "; ".join(filter(None, [written.problem if written else "", cassettes_failed]))
    if problems:  # one line: what could not be written, why, and where it went instead
        terminalreporter.write_line(f"reports: {inert(problems)}", red=True, bold=True)
    if held:
        terminalreporter.write_line(f"{held[0]} while the reports were written: they were finished first", red=True)
    if found is not None and baseline is not None:
        terminalreporter.write_sep("-", f"compared with the baseline {shown(baseline)}")
        for line in render_diff(found).splitlines():
            terminalreporter.write_line(line, red=line.startswith("lost"), green=line.startswith("gained"))
        if found.lost:
            terminalreporter.write_line(
                f"baseline: {len(found.lost)} lost: the session fails", red=True, bold=True
            )
    passed = report.verdict.passed
    terminalreporter.write_line(verdict.line(report.verdict), green=passed, red=not passed, bold=True)
    for line in verdict.unconfirmed_lines(report.verdict):
        terminalreporter.write_line(line, red=line.startswith("unconfirmed"), yellow=line.startswith("warning"))


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when under it (no machine paths)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _seen(outcome: str, reason: str, limit: int = 160) -> str:
    return f"{outcome} ({inert(_clip(reason, limit))})"


def merged_lines(report: Report) -> list[str]:
    """A merged report's runs, what the SDK upgrade changes (only the cells that differ between SDK versions,
    with each version's outcome and reason), and the cells that runs with the same versions disagree on."""
    if report.sources is None:
        return []
    lines = [f"merged from {len(report.sources)} run(s):"]
    lines += [
        f"  {s.run}  {s.generated_at}  {inert(versions_text(s.versions))}  {'PASS' if s.verdict.passed else 'FAIL'}"
        f"{'  interrupted' if s.interrupted else ''}"
        for s in report.sources
    ]
    changes = sdk_changes(report)
    used = sdk_versions(report)
    if len(used) > 1 and not changes:
        lines.append(f"SDK upgrade changes: none (no cell differs between {inert('; '.join(used))})")
    if changes:
        lines.append(f"SDK upgrade changes ({len(changes)} cell(s) differ between SDK versions):")
        for change in changes:
            lines.append(f"  {inert(change.backend)} / {change.feature}:")
            for sdk, seen in change.by_sdk:
                said = "; ".join(_seen(s.cell.outcome.value, s.cell.reason) for s in seen)
                lines.append(f"    {inert(sdk)}: {said}")
    disagree = disagreements(report)
    if disagree:
        lines.append(f"runs disagree ({len(disagree)} cell(s), same SDK and server versions, different outcomes):")
        for (backend, feature), seen in disagree.items():
            server = inert(seen[0].server or "?")
            lines.append(f"  {inert(backend)} / {feature} ({inert(seen[0].sdk)}, server {server}):")
            lines += [f"    {inert(_clip(group.text(), 200))}" for group in groups(seen)]
    return lines


def versions_text(versions: dict[str, str]) -> str:
    return f"openai-agents {versions.get('openai-agents', '?')}, openai {versions.get('openai', '?')}"


def verdict_text(report: Report) -> str:
    """The verdict line and the lines under it (lost, unconfirmed, failed runs, disagreements)."""
    return "\n".join([verdict.line(report.verdict), *verdict.lost_lines(report.verdict)])
