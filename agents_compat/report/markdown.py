"""The report as Markdown (compat-matrix.md, and the GitHub step summary): the verdict, the matrix as a table,
the differing cells, strict conformance, evidence, readiness, mocked vs live. Symbols come from the one
legend table (agents_compat/outcomes.py); every string from a backend, a report or a profile file is made inert.
"""

from __future__ import annotations

import html
import re

from tabulate import tabulate

from ..judging import agreement, verdict
from ..judging.readiness import AgentReadiness
from ..outcomes import DIFFERS, LEGEND, Cell, Outcome
from ..wire.inert import inert
from .lines import interrupted_line, versions_line
from .merge import disagreements, groups, sdk_changes, sdk_label, sdk_versions
from .model import Report


def render(report: Report) -> str:
    """The whole page: the verdict first (and the warning of an interrupted run), then the matrix."""
    warning = interrupted_line(report)
    markdown = f"> **{md_text(warning)}**\n\n" if warning else ""
    lost = "".join(f"- {md_text(line)}\n" for line in verdict.lost_lines(report.verdict))
    markdown += f"**{md_text(verdict.line(report.verdict))}**\n\n" + (f"{lost}\n" if lost else "")
    markdown += matrix(report) + merged(report) + readiness(report.readiness)
    if report.mocked_vs_live:
        markdown += "\n## Mocked vs live\n\n" + md_block(agreement.render(report.mocked_vs_live))
    return markdown


# Markdown punctuation that could start emphasis, code, links, tables or strike-through inside a line.
_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]|~!#])")


def md_text(text: object) -> str:
    """Untrusted text (a backend's error, a server's version) as one inert line of Markdown.

    HTML is escaped (GitHub renders raw HTML and comments in Markdown, so an unclosed ``<!--`` from a
    backend would hide the rest of the page), punctuation is backslash-escaped, newlines become spaces,
    and other control characters show escaped (``inert``).
    """
    flat = inert(" ".join(str(text).split()))
    return _MARKDOWN_SPECIALS.sub(r"\\\1", html.escape(flat, quote=False))


def md_block(text: str) -> str:
    """Text as a fenced code block whose fence no backtick run inside it can close."""
    text = inert(text, lines=True)
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{text}\n{fence}\n"


def _symbol(cell: Cell | None) -> str:
    if cell is None:
        return ""
    mark = LEGEND[cell.outcome].symbol
    return mark if cell.as_expected else f"{mark}{DIFFERS.symbol}"


def legend() -> str:
    parts = [f"{LEGEND[o].symbol}={o.value}" for o in Outcome]
    return "legend: " + "  ".join(parts) + f"  {DIFFERS.symbol}={DIFFERS.meaning}"


def _rows(report: Report) -> list[list[str]]:
    return [
        [md_text(row.name), row.tier] + [_symbol(report.cell(row.name, f)) for f in report.feature_ids]
        for row in report.backends
    ]


def matrix(report: Report) -> str:
    """The matrix section. Every string that came from a backend, a report or a profile file goes through
    ``md_text``."""
    features = report.feature_ids
    headers = ["backend", "tier"] + [f"`{f}`" for f in features]
    table = tabulate(_rows(report), headers=headers, tablefmt="github", disable_numparse=True)
    produced = f"Produced with {md_text(versions_line(report.versions))}."
    lines = ["## Agents SDK backend compatibility", "", produced, ""]
    lines += [table, "", legend(), ""]
    differing = report.differing()
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
    for name in (row.name for row in report.backends):
        found: dict[str, list[str]] = {}
        for feature in features:
            cell = report.cell(name, feature)
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
    lines += [f"- **{md_text(c.backend)}** `{c.feature}` {c.outcome.value}: {md_text(c.reason)}" for c in report.cells]
    return "\n".join(lines) + "\n"


def readiness(entries: list[AgentReadiness]) -> str:
    """Each agent's verdicts; untrusted words (backend errors) go through ``md_text``."""
    if not entries:
        return ""
    lines = ["## Readiness", ""]
    for entry in entries:
        title = f"Readiness of agent '{entry.agent}' ({', '.join(entry.features)})"
        lines += [f"### {md_text(title)}", ""]
        for b in entry.backends:
            lines.append(f"- **{md_text(b.backend)}**: {b.verdict}")
            lines += [f"  - {md_text(x['feature'])} {x['outcome']}: {md_text(x['reason'])}" for x in b.blockers]
            lines += [f"  - {md_text(x['feature'])} {x['outcome']}: {md_text(x['workaround'])}" for x in b.limitations]
        lines.append("")
    return "\n".join(lines)


def _said(outcome: str, reason: str) -> str:
    return f"**{outcome}**: {md_text(reason)}"


def merged(report: Report) -> str:
    """A merged report's runs, the SDK upgrade changes (only the cells that differ between SDK versions, each
    version's outcomes and reasons) and the cells that runs with the same versions disagree on."""
    if report.sources is None:
        return ""
    lines = [f"## Merged from {len(report.sources)} runs", ""]
    lines += [
        "The matrix shows each cell as the run with the newest openai-agents observed it (the latest such run); "
        "every run's outcome is kept in the JSON (`cell_runs`).",
        "",
    ]
    table = [
        [f"`{s.run}`", md_text(s.generated_at), md_text(sdk_label(s.versions)), str(len(s.backends)),
         "PASS" if s.verdict.passed else "FAIL" + (" (interrupted)" if s.interrupted else "")]
        for s in report.sources
    ]  # fmt: skip
    headers = ["run", "generated", "SDK", "backends", "verdict"]
    lines += [tabulate(table, headers=headers, tablefmt="github", disable_numparse=True), ""]
    changes = sdk_changes(report)
    sdks = {sdk for change in changes for sdk, _ in change.by_sdk}
    lines += ["## SDK upgrade changes", ""]
    used = sdk_versions(report)
    if len(used) < 2:
        lines += [f"Every run used {md_text(used[0])}: merge runs of other SDK versions to compare them.", ""]
    elif not changes:
        lines += [f"No cell differs between {md_text(', '.join(used))}.", ""]
    else:
        order = [sdk for sdk in used if sdk in sdks]
        rows = []
        for change in changes:
            found = dict(change.by_sdk)
            said = [
                "<br>".join(_said(s.cell.outcome.value, s.cell.reason) for s in found[sdk]) if sdk in found else ""
                for sdk in order
            ]
            rows.append([md_text(change.backend), f"`{change.feature}`", *said])
        headers = ["backend", "feature", *(md_text(sdk) for sdk in order)]
        lines += [f"{len(changes)} cell(s) differ between SDK versions, oldest SDK first:", ""]
        lines += [tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True), ""]
    disagree = disagreements(report)
    if disagree:
        lines += ["## Runs that disagree", "", "Same SDK and server versions, different outcomes:", ""]
        for (backend, feature), seen in disagree.items():
            runs = "; ".join(md_text(group.text()) for group in groups(seen))
            server = md_text(seen[0].server or "?")
            lines.append(f"- **{md_text(backend)}** `{feature}` ({md_text(seen[0].sdk)}, server {server}): {runs}")
        lines.append("")
    return "\n".join(lines) + "\n"
