"""The report as one self-contained HTML page: a coloured grid, a legend, and every cell's evidence.

Rendered from the report model (agents_compat/report/model.py), so a saved ``compat-matrix.json``, validated back into
a ``Report``, renders the same page. Everything the backends sent is escaped here; the stylesheet and script
are inlined from ``agents_compat/report/assets`` so the file opens offline.
"""

from __future__ import annotations

import html
import json
from collections.abc import Collection
from importlib import resources
from typing import Any

from ..judging import verdict
from ..judging.readiness import AgentReadiness
from ..outcomes import DIFFERS, LEGEND, Cell, Outcome
from ..wire.inert import inert
from ..wire.redact import scrub
from .lines import interrupted_line, versions_line
from .merge import Seen, disagreements, groups, observations, sdk_changes, sdk_label, sdk_versions
from .model import Report
from .steps import step


def escape(text: object) -> str:
    """Text for the page: control characters shown escaped (``inert``), then HTML-escaped."""
    return html.escape(inert(text))


def _block(text: str) -> str:
    """Multi-line text for a ``<pre>``: its lines kept, every other control character shown escaped."""
    return html.escape(inert(text, lines=True))


def _asset(name: str) -> str:
    return resources.files("agents_compat.report").joinpath("assets", name).read_text(encoding="utf-8")


def _mark(outcome: Outcome, differs: bool, tag: str = "span", attrs: str = "") -> str:
    classes = f"mark o-{outcome.value}" + (" differs" if differs else "")
    return f'<{tag} class="{classes}"{attrs}>{escape(LEGEND[outcome].symbol)}</{tag}>'


def _outcome_style() -> str:
    """Each outcome's colours, from the one table every renderer reads, as CSS variables and classes."""
    colours = [f"--{o.value}-bg: {LEGEND[o].paint[0]}; --{o.value}-fg: {LEGEND[o].paint[1]};" for o in Outcome]
    classes = [f".o-{o.value} {{ background: var(--{o.value}-bg); color: var(--{o.value}-fg); }}" for o in Outcome]
    return "\n".join([":root { " + " ".join(colours) + f" --differs: {DIFFERS.paint[1]}; }}", *classes]) + "\n"


def _legend(merged: bool = False) -> str:
    items = [f"<span>{_mark(o, False)} {escape(o.value)}: {escape(LEGEND[o].meaning)}</span>" for o in Outcome]
    items.append(f"<span>{_mark(Outcome.SUPPORTED, True)} outlined: {DIFFERS.meaning}</span>")
    items.append(
        '<span><span class="deviates-key">d</span> in the corner: the wire deviates from the published '
        "OpenAI types (strict tier)</span>"
    )
    if merged:
        key = f'<span class="varies-key">{_mark(Outcome.SUPPORTED, False)}</span>'
        items.append(f"<span>{key} underlined: the runs merged here observed more than one outcome</span>")
    return '<div class="legend">' + "".join(items) + "</div>"


def _grid(report: Report, ids: dict[tuple[str, str], str]) -> str:
    head = "".join(
        f'<th class="feature" title="{escape(f.verifies)}"><div>{escape(f.id)}</div></th>' for f in report.features
    )
    # A merged report: the cells whose runs observed more than one outcome, each run's outcome in the tip.
    varied = {
        key: ", ".join(f"{g.outcome} in {len(g.runs)} run(s)" for g in found)
        for key, seen in (observations(report).items() if report.sources is not None else ())
        if len(found := groups(seen)) > 1
    }
    rows = []
    for backend in report.backends:
        name = backend.name
        tds = []
        for feature in report.feature_ids:
            cell = report.cell(name, feature)
            if cell is None:
                tds.append("<td></td>")
                continue
            tip = f"{name} / {feature}: {cell.outcome.value}: {cell.reason}"
            strict = f" · strict: {len(cell.strict)} deviation(s)" if cell.strict else ""
            runs = f" · runs differ: {varied[(name, feature)]}" if (name, feature) in varied else ""
            link = f' href="#{ids[(name, feature)]}" title="{escape(tip + strict + runs)}"'
            mark = _mark(cell.outcome, not cell.as_expected, "a", link)
            classes = " ".join(c for c, on in (("deviates", strict), ("varies", runs)) if on)
            tds.append(f'<td class="{classes}">{mark}</td>' if classes else f"<td>{mark}</td>")
        rows.append(
            f'<tr><th scope="row" title="{escape(backend.description or "")}">{escape(name)}</th>'
            f'<td class="tier">{escape(backend.tier)}</td>{"".join(tds)}</tr>'
        )
    return (
        f'<table class="grid" id="grid"><thead><tr><th>backend</th><th>tier</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _differing(report: Report, ids: dict[tuple[str, str], str]) -> str:
    items = [
        f'<li><a href="#{ids[(c.backend, c.feature)]}">{escape(c.backend)} / '
        f"<code>{escape(c.feature)}</code></a>: expected {escape(c.expected.value if c.expected else '-')}, "
        f"observed <b>{escape(c.outcome.value)}</b>: {escape(c.reason)}</li>"
        for c in report.differing()
    ]
    if not items:
        return ""
    return f'<h2>Cells that differ from their profile</h2><ul class="differing">{"".join(items)}</ul>'


def _pretty(body: Any) -> str:
    if isinstance(body, str):
        return body
    return json.dumps(body, indent=2, ensure_ascii=False)


def _stream(events: list[Any]) -> str:
    lines = []
    for event in events:
        if isinstance(event, dict) and "data" in event:
            name = f"event: {event['event']}\n" if event.get("event") else ""
            data = event["data"]
            lines.append(f"{name}data: {data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)}")
        else:
            lines.append(_pretty(event))
    return "\n\n".join(lines)


def _headers(headers: dict[str, str]) -> str:
    return "".join(f"{name}: {value}\n" for name, value in headers.items())


def _exchange(data: dict[str, Any], secrets: Collection[str]) -> str:
    request, response = data["request"], data["response"]
    summary = step(data)
    bad = summary.status is None or summary.status >= 400
    status_text = "no response" if summary.status is None else str(summary.status)
    # The step joins a stream's deltas: a key split across two of them is whole here, so this is scrubbed too.
    said = scrub(" · ".join(part for part in (summary.sent, summary.received) if part), secrets)
    body = response.get("body")
    shown = _stream(body) if response.get("streamed") and isinstance(body, list) else _pretty(body)
    head = f"{request['method']} {request['url']}\n{_headers(request.get('headers') or {})}\n"
    status = f"HTTP {response.get('status')}{'' if response.get('complete', True) else ' (body not read to the end)'}\n"
    return (
        '<li><details class="exchange"><summary>'
        f"<code>{escape(summary.request)}</code> → "
        f'<span class="status{" bad" if bad else ""}">{status_text}</span> '
        f'<span class="said">{escape(said)}</span></summary>'
        f'<div class="wire">request<pre>{_block(head + _pretty(request.get("body")))}</pre>'
        f"response<pre>{_block(status + _headers(response.get('headers') or {}) + chr(10) + shown)}</pre>"
        "</div></details></li>"
    )


def _other_runs(seen: list[Seen], shown: Cell, secrets: Collection[str]) -> str:
    """A merged cell's runs, grouped by SDK, server version and outcome (a long history stays a few lines): each
    group's count, first and last run and last reason, and the steps of its last run unless shown above."""
    if len(seen) < 2:
        return ""
    grouped: dict[tuple[str, str | None, str], list[Seen]] = {}
    for s in seen:
        grouped.setdefault((s.sdk, s.server, s.cell.outcome.value), []).append(s)
    items = []
    for (sdk, server, _), runs in grouped.items():
        first, last = runs[0], runs[-1]
        own = any(s.cell is shown for s in runs)
        steps = "" if own else "".join(_exchange(e, secrets) for e in last.cell.exchanges)
        when = escape(first.source.generated_at) + (f" to {escape(last.source.generated_at)}" if len(runs) > 1 else "")
        count = f"{len(runs)} runs" if len(runs) > 1 else f"run <code>{escape(last.source.run)}</code>"
        items.append(
            f"<li>{_mark(last.cell.outcome, not last.cell.as_expected)} {count} ({when}, {escape(sdk)}, server "
            f"{escape(server or '?')}){' (shown above)' if own else ''}: {escape(last.cell.reason)}"
            f"{f'<ol class=steps>{steps}</ol>' if steps else ''}</li>"
        )
    return f'<div class="runs">every run of this cell<ul>{"".join(items)}</ul></div>'


def _evidence(
    cell: Cell, anchor: str, verifies: str, secrets: Collection[str], seen: list[Seen] | None = None
) -> str:
    differs = not cell.as_expected
    steps = "".join(_exchange(e, secrets) for e in cell.exchanges) or "<li>no HTTP request (nothing to run)</li>"
    expected = cell.expected.value if cell.expected else "not declared"
    return (
        f'<details class="cell" id="{anchor}"><summary>{_mark(cell.outcome, differs)} '
        f"<b>{escape(cell.backend)}</b> / <code>{escape(cell.feature)}</code>: "
        f"{escape(cell.reason)}</summary>"
        '<div class="cell-body"><dl>'
        f"<dt>observed</dt><dd>{escape(cell.outcome.value)}</dd>"
        f"<dt>expected</dt><dd>{escape(expected)}{' (differs)' if differs else ''}</dd>"
        f'<dt>reason</dt><dd class="reason">{escape(cell.reason)}</dd>'
        f"<dt>scenario</dt><dd>{escape(verifies)}</dd>"
        f"<dt>strict</dt><dd>{_strict(cell.strict)}</dd>"
        f"</dl>steps ({len(cell.exchanges)} HTTP request{'' if len(cell.exchanges) == 1 else 's'}, "
        f'open one for the full exchange)<ol class="steps">{steps}</ol>{_server_logs(cell)}'
        f"{_other_runs(seen or [], cell, secrets)}"
        '<a class="up" href="#grid">back to the grid</a></div></details>'
    )


def _server_logs(cell: Cell) -> str:
    """A launched server's log tail, kept with a failed live cell."""
    logs = cell.server_logs
    if not logs:
        return ""
    return f'<details class="exchange"><summary>server log (last lines)</summary><pre>{_block(logs)}</pre></details>'


def _strict(deviations: list[str]) -> str:
    if not deviations:
        return "the wire matches the published OpenAI types"
    return '<ul class="strict">' + "".join(f"<li>{escape(line)}</li>" for line in deviations) + "</ul>"


def _readiness(entries: list[AgentReadiness]) -> str:
    """The agents the user described, answered per backend (see agents_compat/judging/readiness.py)."""
    if not entries:
        return ""
    parts = ['<h2 id="readiness">Readiness</h2>']
    for entry in entries:
        rows = []
        for b in entry.backends:
            notes = [f"{x['feature']} {x['outcome']}: {x['reason']}" for x in b.blockers]
            notes += [f"{x['feature']} {x['outcome']}: {x['workaround']}" for x in b.limitations]
            verdict = b.verdict.lower().replace(" ", "-")
            rows.append(
                f'<tr><td>{escape(b.backend)}</td><td class="verdict v-{verdict}">{escape(b.verdict)}'
                f"</td><td>{'<br>'.join(escape(n) for n in notes)}</td></tr>"
            )
        parts.append(
            f"<h3>{escape(entry.agent)} <small>({escape(', '.join(entry.features))})</small></h3>"
            f'<table class="readiness">{"".join(rows)}</table>'
        )
    return "".join(parts)


def _interrupted(report: Report) -> str:
    warning = interrupted_line(report)
    return f'<p class="interrupted" role="alert"><b>{escape(warning)}</b></p>' if warning else ""


def _verdict(report: Report) -> str:
    found = report.verdict
    lost = "".join(f"<li>{escape(line)}</li>" for line in verdict.lost_lines(found))
    status = "pass" if found.passed else "fail"
    listed = f"<ul>{lost}</ul>" if lost else ""
    return f'<p class="verdict {status}"><b>{escape(verdict.line(found))}</b></p>{listed}'


def _said(seen: list[Seen]) -> str:
    return "<br>".join(f"{_mark(s.cell.outcome, False)} {escape(s.cell.reason)}" for s in seen)


def _merged(report: Report, ids: dict[tuple[str, str], str]) -> str:
    """A merged report's runs, its SDK upgrade changes (only the cells that differ between SDK versions, each
    version's outcomes and reasons) and the cells that runs with the same versions disagree on."""
    if report.sources is None:
        return ""
    rows = "".join(
        f"<tr><td><code>{escape(s.run)}</code></td><td>{escape(s.generated_at)}</td>"
        f"<td>{escape(sdk_label(s.versions))}</td><td>{len(s.backends)}</td>"
        f"<td>{'PASS' if s.verdict.passed else 'FAIL'}{' (interrupted)' if s.interrupted else ''}</td></tr>"
        for s in report.sources
    )
    parts = [
        f'<h2 id="runs">Merged from {len(report.sources)} runs</h2><p class="meta">The grid shows each cell as the '
        "run with the newest openai-agents observed it (the latest such run); each cell's evidence lists every run."
        '</p><table class="runs"><thead><tr><th>run</th><th>generated</th><th>SDK</th><th>backends</th>'
        f"<th>verdict</th></tr></thead><tbody>{rows}</tbody></table>"
    ]
    changes = sdk_changes(report)
    parts.append('<h2 id="sdk-changes">SDK upgrade changes</h2>')
    used = sdk_versions(report)
    if len(used) < 2:
        parts.append(f"<p>Every run used {escape(used[0])}: merge runs of other SDK versions to compare them.</p>")
    elif not changes:
        parts.append(f"<p>No cell differs between {escape(', '.join(used))}.</p>")
    else:
        shown = {sdk for change in changes for sdk, _ in change.by_sdk}
        order = [sdk for sdk in used if sdk in shown]
        head = "".join(f"<th>{escape(sdk)}</th>" for sdk in order)
        body = []
        for change in changes:
            found = dict(change.by_sdk)
            tds = "".join(f"<td>{_said(found.get(sdk, []))}</td>" for sdk in order)
            link = ids[(change.backend, change.feature)]
            body.append(
                f'<tr><td><a href="#{link}">{escape(change.backend)} / <code>{escape(change.feature)}</code></a>'
                f"</td>{tds}</tr>"
            )
        parts.append(
            f'<p class="meta">{len(changes)} cell(s) differ between SDK versions, oldest SDK first.</p>'
            f'<table class="runs sdk"><thead><tr><th>cell</th>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
        )
    disagree = disagreements(report)
    if disagree:
        items = [
            f'<li><a href="#{ids[key]}">{escape(key[0])} / <code>{escape(key[1])}</code></a> '
            f"({escape(seen[0].sdk)}, server {escape(seen[0].server or '?')}): "
            + "; ".join(f"{_mark(g.runs[-1].cell.outcome, False)} {escape(g.text())}" for g in groups(seen))
            + "</li>"
            for key, seen in disagree.items()
        ]
        parts.append(
            '<h2 id="disagree">Runs that disagree</h2><p class="meta">Same SDK and server versions, different '
            f'outcomes.</p><ul class="differing">{"".join(items)}</ul>'
        )
    return "".join(parts)


def render(report: Report, secrets: Collection[str] = ()) -> str:
    """The page; ``secrets`` are scrubbed from the text it derives from the evidence (a stream's joined
    deltas), which the report itself does not hold."""
    ids = {(c.backend, c.feature): f"c{i}" for i, c in enumerate(report.cells)}
    verifies = {f.id: f.verifies for f in report.features}
    seen = observations(report) if report.sources is not None else {}
    sections = []
    by_backend: dict[str, list[Cell]] = {}
    for c in report.cells:
        by_backend.setdefault(c.backend, []).append(c)
    for backend in report.backends:
        cells = by_backend.get(backend.name, [])
        sections.append(f"<h3>{escape(backend.name)}</h3>")
        for c in cells:
            key = (c.backend, c.feature)
            sections.append(_evidence(c, ids[key], verifies.get(c.feature, ""), secrets, seen.get(key)))
    differing = len(report.differing())
    deviating = sum(1 for c in report.cells if c.strict)
    meta = (
        f"{len(report.cells)} cells, {differing} differ from their profile, {deviating} deviate from the "
        "published OpenAI types · generated "
        f"{escape(report.generated_at)} · {escape(versions_line(report.versions))}"
    )
    style = _outcome_style() + _asset("report.css")
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Agents SDK backend compatibility</title><style>{style}</style></head>\n"
        f"<body>{_interrupted(report)}{_verdict(report)}"
        f'<h1>Agents SDK backend compatibility</h1><p class="meta">{meta}</p>'
        f"{_legend(report.sources is not None)}{_grid(report, ids)}{_differing(report, ids)}"
        f"{_merged(report, ids)}{_readiness(report.readiness)}"
        '<h2 id="evidence">Evidence</h2><p class="meta">Click a cell in the grid, or open one below.</p>'
        f"{''.join(sections)}\n<script>{_asset('report.js')}</script></body></html>\n"
    )
