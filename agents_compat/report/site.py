"""A static site from many runs: the current matrix, each cell's timeline, what changed between runs, evidence.

``build(runs, out)`` writes plain HTML pages and one stylesheet. Nothing is fetched: a page opened from
file:// may not read a local JSON file, so the one page with a script (compare.html) carries its data
inline, and every other page is complete without it. Pages are split so that none grows with the whole
history: the first page shows the latest run and the last few runs; each run's evidence is one page per
backend; each backend's history is one page.

The input is a list of ``Run``: a report and where it came from. A folder of reports gives one run per file
(``build_from_files``); anything else that can say which report a run produced (a merged report split back into
its runs) feeds the same ``build``. Every text a report holds goes through ``html.escape`` (``inert`` first),
as in the one-page HTML report whose helpers render the evidence here too.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from ..outcomes import LEGEND, Cell, Outcome
from ..wire.inert import inert
from . import diff, merge
from .html import _asset, _headers, _legend, _outcome_style, _pretty, _stream, _strict, escape
from .lines import interrupted_line, versions_line
from .model import Report, Source
from .reader import ReportError, load
from .steps import step

SDK = "openai-agents"
RECENT = 10  # runs listed on the first page; runs.html lists them all
EVIDENCE_LIMIT = 20_000  # characters of one request or response body shown on an evidence page
# One letter per outcome for the compare page's inline data; upper case when the cell differs from its profile.
CODES = {
    Outcome.SUPPORTED: "s", Outcome.UNSUPPORTED: "u", Outcome.IGNORED: "i", Outcome.BROKEN: "b",
    Outcome.INCONCLUSIVE: "q", Outcome.ERROR: "e", Outcome.SKIPPED: "k",
}  # fmt: skip


class SiteError(Exception):
    """Reports that could not be read: one line per file, each naming it."""


@dataclass(frozen=True)
class Run:
    """One run: its report, where it came from (a file name, relative), and its page id in the site."""

    id: str
    source: str
    report: Report

    @property
    def at(self) -> str:
        return self.report.generated_at

    @property
    def sdk(self) -> str:
        return self.report.versions.get(SDK, "?")

    def server(self, backend: str) -> str | None:
        return self._servers.get(backend)

    @cached_property
    def _servers(self) -> dict[str, str | None]:
        return {row.name: row.version for row in self.report.backends}


def _when(text: str) -> datetime:
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)  # a report with an unreadable time sorts first, not last
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def page_id(generated_at: str) -> str:
    """A run's folder name, from its time (``-2``, ``-3`` added by ``runs`` when two runs share one)."""
    when = _when(generated_at)
    if when.year > 1:
        return when.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return re.sub(r"[^0-9A-Za-z]+", "-", generated_at).strip("-")[:40] or "run"


def runs(sources: Iterable[tuple[str, Report]]) -> list[Run]:
    """``(source, report)`` pairs as runs, oldest first (by ``generated_at``), each with a unique page id."""
    ordered = sorted(sources, key=lambda pair: (_when(pair[1].generated_at), pair[1].generated_at, pair[0]))
    taken: set[str] = set()
    found = []
    for source, report in ordered:
        base = page_id(report.generated_at)
        page, n = base, 1
        while page in taken:
            n += 1
            page = f"{base}-{n}"
        taken.add(page)
        found.append(Run(page, source, report))
    return found


def report_files(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    """Every report a path names: a file itself, a folder its ``*.json`` files at any depth (sorted).

    The source shown for each is relative (to the folder given, or the file's own folder and name), so the
    site names no machine path."""
    found: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_dir():
            found += [(f.relative_to(path).as_posix(), f) for f in sorted(path.rglob("*.json")) if f.is_file()]
        else:
            found.append(((Path(path.parent.name) / path.name).as_posix(), path))
    return found


@lru_cache(maxsize=4096)  # called for every link of every grid: a handful of names, hundreds of thousands of links
def slug(name: str) -> str:
    """A file or anchor name for a backend or feature: its own name when that is safe, else a safe one with a
    hash of the name (two names that clean up alike stay apart; ``../x`` cannot leave the folder)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", name)[:60]
    if safe == name and safe:
        return safe
    return f"{safe}-{hashlib.sha1(name.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


# -- pieces ---------------------------------------------------------------------------------------------------


def _mark(cell: Cell, href: str | None = None) -> str:
    """An outcome as its symbol (the word in its label and title): readable without colour."""
    legend = LEGEND[cell.outcome]
    differs = not cell.as_expected
    label = f"{cell.backend} / {cell.feature}: {cell.outcome.value}" + (", differs from the profile" if differs else "")
    classes = f"mark o-{cell.outcome.value}" + (" differs" if differs else "")
    if href is None:
        return f'<span class="{classes}" title="{escape(label)}">{escape(legend.symbol)}</span>'
    tip = escape(f"{label}: {cell.reason}")
    return f'<a class="{classes}" href="{href}" aria-label="{escape(label)}" title="{tip}">{escape(legend.symbol)}</a>'


def _word(cell: Cell | None) -> str:
    if cell is None:
        return '<span class="absent">not run</span>'
    return f"{_mark(cell)} {escape(cell.outcome.value)}{' (differs)' if not cell.as_expected else ''}"


def _evidence_href(run: Run, backend: str, feature: str, up: str) -> str:
    return f"{up}runs/{run.id}/{slug(backend)}.html#f-{slug(feature)}"


def _columns(run_list: Sequence[Run]) -> tuple[list[str], list[str]]:
    """Every backend and feature in these runs: the newest run's order first, then older ones not in it."""
    backends: dict[str, None] = {}
    features: dict[str, None] = {}
    for run in reversed(run_list):
        backends.update((row.name, None) for row in run.report.backends)
        backends.update((c.backend, None) for c in run.report.cells)
        features.update((f.id, None) for f in run.report.features)
        features.update((c.feature, None) for c in run.report.cells)
    return list(backends), list(features)


def _grid(run: Run, up: str, evidence: str) -> str:
    """The run's matrix; a cell links to ``{evidence}BACKEND.html#f-FEATURE``, a backend to its history."""
    report = run.report
    verifies = {f.id: f.verifies for f in report.features}
    features = [f.id for f in report.features] or list(dict.fromkeys(c.feature for c in report.cells))
    head = "".join(
        f'<th scope="col" class="feature" title="{escape(verifies.get(f, ""))}"><div>{escape(f)}</div></th>'
        for f in features
    )
    rows = []
    for row in report.backends:
        tds = []
        for feature in features:
            cell = report.cell(row.name, feature)
            href = f"{evidence}{slug(row.name)}.html#f-{slug(feature)}"
            tds.append("<td></td>" if cell is None else f"<td>{_mark(cell, href)}</td>")
        server = f" <small>{escape(row.version)}</small>" if row.version else ""
        rows.append(
            f'<tr><th scope="row"><a href="{up}timeline/{slug(row.name)}.html" title="the history of '
            f'{escape(row.name)}">{escape(row.name)}</a>{server}</th>'
            f'<td class="tier">{escape(row.tier)}</td>{"".join(tds)}</tr>'
        )
    return (
        '<div class="scroll"><table class="grid" id="grid">'
        f"<caption>run of {escape(run.at)}: a cell opens its evidence, a backend its history</caption>"
        f'<thead><tr><th scope="col">backend <small>server</small></th><th scope="col">tier</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _run_meta(run: Run) -> str:
    report = run.report
    differing = len(report.differing())
    warning = interrupted_line(report)
    alert = f'<p class="interrupted" role="alert"><b>{escape(warning)}</b></p>' if warning else ""
    return (
        f'{alert}<p class="meta">{len(report.cells)} cells, {differing} differ from their profile · '
        f"generated {escape(run.at)} · from {escape(run.source)} · {escape(versions_line(report.versions))}</p>"
    )


NAV = (("index.html", "Latest matrix"), ("runs.html", "All runs"), ("changes/index.html", "Changes"),
       ("compare.html", "Compare two runs"))  # fmt: skip


def _page(title: str, body: str, up: str = "", script: str = "") -> str:
    links = "".join(f'<a href="{up}{href}">{text}</a>' for href, text in NAV)
    tail = f"<script>{script}</script>" if script else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="stylesheet" href="{up}style.css"></head>\n<body>'
        '<a class="skip" href="#main">Skip to content</a>'
        f'<nav aria-label="site">{links}</nav><main id="main" tabindex="-1">{body}</main>{tail}</body></html>\n'
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 'es' if noun.endswith('ch') else 's'}"


def _run_link(run: Run, up: str) -> str:
    return f'<a href="{up}runs/{run.id}/index.html">{escape(run.at)}</a>'


# -- evidence -------------------------------------------------------------------------------------------------


def _block(text: str) -> str:
    """Multi-line text for a ``<pre>``: lines kept, other control characters shown escaped (``inert``), and
    ``<``, ``>``, ``&`` escaped. Quotes need no escaping in an element's text, and a JSON body is full of them:
    left as they are, an evidence page is a fifth smaller."""
    return html.escape(inert(text, lines=True), quote=False)


def _shown(body: Any, streamed: bool, limit: int) -> str:
    """A body as an evidence page shows it: whole up to ``limit`` characters, else its start and what was left
    (each body is laid out once: a site of a thousand runs lays out hundreds of thousands)."""
    text = _stream(body) if streamed and isinstance(body, list) else _pretty(body)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n… {len(text) - limit} more characters: the full exchange is in the report"


def _exchange(data: dict[str, Any], limit: int) -> str:
    request, response = data["request"], data["response"]
    summary = step(data)  # from the whole exchange, not the clipped one shown
    bad = summary.status is None or summary.status >= 400
    said = " · ".join(part for part in (summary.sent, summary.received) if part)
    shown = _shown(response.get("body"), bool(response.get("streamed")), limit)
    head = f"{request['method']} {request['url']}\n{_headers(request.get('headers') or {})}\n"
    status = f"HTTP {response.get('status')}{'' if response.get('complete', True) else ' (body not read to the end)'}\n"
    return (
        '<li><details class="exchange"><summary>'
        f"<code>{escape(summary.request)}</code> → "
        f'<span class="status{" bad" if bad else ""}">{"no response" if summary.status is None else summary.status}'
        f'</span> <span class="said">{escape(said)}</span></summary>'
        f'<div class="wire">request<pre>{_block(head + _shown(request.get("body"), False, limit))}</pre>'
        f"response<pre>{_block(status + _headers(response.get('headers') or {}) + chr(10) + shown)}</pre>"
        "</div></details></li>"
    )


def _evidence_section(run: Run, cell: Cell, verifies: str, limit: int) -> str:
    steps = "".join(_exchange(e, limit) for e in cell.exchanges) or "<li>no HTTP request (nothing to run)</li>"
    expected = cell.expected.value if cell.expected else "not declared"
    logs = (
        f'<details class="exchange"><summary>server log (last lines)</summary><pre>{_block(cell.server_logs)}</pre>'
        "</details>"
        if cell.server_logs
        else ""
    )
    return (
        f'<section class="cell" id="f-{slug(cell.feature)}" tabindex="-1"><h2>{_mark(cell)} '
        f"<code>{escape(cell.feature)}</code>: {escape(cell.reason)}</h2><dl>"
        f"<dt>observed</dt><dd>{escape(cell.outcome.value)}</dd>"
        f"<dt>expected</dt><dd>{escape(expected)}{' (differs)' if not cell.as_expected else ''}</dd>"
        f'<dt>reason</dt><dd class="reason">{escape(cell.reason)}</dd>'
        f"<dt>scenario</dt><dd>{escape(verifies)}</dd>"
        f"<dt>strict</dt><dd>{_strict(cell.strict)}</dd>"
        f"<dt>server</dt><dd>{escape(run.server(cell.backend) or 'not reported')}</dd>"
        f"</dl>steps ({len(cell.exchanges)} HTTP request{'' if len(cell.exchanges) == 1 else 's'}, "
        f'open one for the full exchange)<ol class="steps">{steps}</ol>{logs}'
        f'<p><a href="../../timeline/{slug(cell.backend)}.html#f-{slug(cell.feature)}">this cell\'s history</a> · '
        '<a href="index.html#grid">this run\'s matrix</a></p></section>'
    )


def _evidence_page(run: Run, backend: str, cells: list[Cell], limit: int) -> str:
    verifies = {f.id: f.verifies for f in run.report.features}
    sections = "".join(_evidence_section(run, c, verifies.get(c.feature, ""), limit) for c in cells)
    body = (
        f"<h1>{escape(backend)}: evidence of the run of {escape(run.at)}</h1>{_run_meta(run)}"
        f'<p><a href="index.html">this run\'s matrix</a> · '
        f'<a href="../../timeline/{slug(backend)}.html">{escape(backend)}\'s history</a></p>{sections}'
    )
    return _page(f"{backend}: evidence, {run.at}", body, "../../")


def _run_page(run: Run) -> str:
    """A run's matrix, its cells linked to the evidence pages beside it. It names no other run (the list of
    runs says what changed since the one before), so it is written with the evidence, by a worker."""
    body = (
        f"<h1>The run of {escape(run.at)}</h1>{_run_meta(run)}<p>This run in "
        f'<a href="../../runs.html#r-{run.id}">the list of runs</a>, with what changed since the one before.</p>'
        f"{_legend()}{_grid(run, '../../', '')}"
    )
    return _page(f"Run {run.at}", body, "../../")


# -- history --------------------------------------------------------------------------------------------------


def _timeline(backend: str, features: list[str], run_list: Sequence[Run]) -> str:
    """Per feature, one row per change of the cell's outcome, the backend's server version or the SDK's."""
    parts, summary = [], []
    for feature in features:
        rows: list[list[str]] = []
        last: tuple[str | None, str | None, str] | None = None
        for run in run_list:
            cell = run.report.cell(backend, feature)
            server = run.server(backend)
            if cell is None and server is None:
                continue  # the backend was not in this run at all
            state = (cell.outcome.value if cell else None, server, run.sdk)
            if state == last:
                rows[-1][-1] = str(int(rows[-1][-1]) + 1)
                continue
            what = (
                ["first run"]
                if last is None
                else [name for name, a, b in zip(("outcome", "server", "SDK"), last, state, strict=True) if a != b]
            )
            outcome = (
                f'<a href="{_evidence_href(run, backend, feature, "../")}">{_word(cell)}</a>' if cell else _word(None)
            )
            rows.append(
                [_run_link(run, "../"), escape(", ".join(what)), outcome, escape(server or "not reported"),
                 escape(run.sdk), "1"]
            )  # fmt: skip
            last = state
        if not rows:
            continue
        body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
        parts.append(
            f'<section id="f-{slug(feature)}" tabindex="-1"><h2><code>{escape(feature)}</code></h2>'
            '<div class="scroll"><table class="timeline"><thead><tr><th scope="col">since the run of</th>'
            '<th scope="col">what changed</th><th scope="col">outcome</th><th scope="col">server</th>'
            f'<th scope="col">SDK</th><th scope="col">runs</th></tr></thead><tbody>{body}</tbody></table></div>'
            "</section>"
        )
        changed = sum(1 for row in rows if "outcome" in row[1])
        summary.append(
            f'<li><a href="#f-{slug(feature)}"><code>{escape(feature)}</code></a>: now {rows[-1][2]}; '
            f"{_count(changed, 'outcome change')} in {_count(len(rows), 'stretch')}</li>"
        )
    body = (
        f'<h1>{escape(backend)}: history</h1><p class="meta">Each row starts a stretch of runs in which the '
        "cell's outcome, the backend's server version and the SDK version stayed the same; <i>runs</i> counts "
        f"them. An outcome opens that run's evidence.</p>{_legend()}"
        f'<ul class="features">{"".join(summary)}</ul>{"".join(parts)}'
    )
    return _page(f"{backend}: history", body, "../")


# -- changes --------------------------------------------------------------------------------------------------


def _servers_changed(old: Run, new: Run) -> list[tuple[str, str, str]]:
    before = {row.name: row.version for row in old.report.backends}
    return [
        (row.name, before[row.name] or "not reported", row.version or "not reported")
        for row in new.report.backends
        if row.name in before and before[row.name] != row.version
    ]


def _changes_page(old: Run, new: Run, found: diff.Diff) -> str:
    items = []
    for kind, changes in (("lost", found.lost), ("gained", found.gained), ("changed", found.changed)):
        for change in changes:
            was = old.report.cell(change.backend, change.feature)
            now = new.report.cell(change.backend, change.feature)
            assert was is not None and now is not None  # a change is of a cell in both
            items.append(
                f"<tr><td>{kind}</td><td>{escape(change.backend)} / <code>{escape(change.feature)}</code></td>"
                f'<td><a href="{_evidence_href(old, change.backend, change.feature, "../")}">{_word(was)}</a></td>'
                f'<td><a href="{_evidence_href(new, change.backend, change.feature, "../")}">{_word(now)}</a></td>'
                f"<td>{escape(change.reason)}</td></tr>"
            )
    table = (
        '<div class="scroll"><table class="changes"><thead><tr><th scope="col">kind</th><th scope="col">cell</th>'
        f'<th scope="col">before</th><th scope="col">after</th><th scope="col">why, now</th></tr></thead>'
        f"<tbody>{''.join(items)}</tbody></table></div>"
        if items
        else "<p>No cell in both runs changed its outcome.</p>"
    )
    facts = [f"{escape(name)}: {escape(a)} → {escape(b)}" for name, a, b in found.versions]
    facts += [f"{escape(name)} server: {escape(a)} → {escape(b)}" for name, a, b in _servers_changed(old, new)]
    named = (
        ("new backends", found.new_backends), ("removed backends", found.removed_backends),
        ("new features", found.new_features), ("removed features", found.removed_features),
    )  # fmt: skip
    for label, names in named:
        if names:
            facts.append(f"{label}: {escape(', '.join(names))}")
    body = (
        f"<h1>What changed: {_run_link(old, '../')} → {_run_link(new, '../')}</h1>"
        f'<p class="meta">{len(found.lost)} lost, {len(found.gained)} gained, {len(found.changed)} changed of '
        f"{found.compared} cells in both runs · from {escape(old.source)} to {escape(new.source)}</p>"
        f"<ul>{''.join(f'<li>{f}</li>' for f in facts) or '<li>same package and server versions</li>'}</ul>"
        f'{table}<p><a href="../compare.html?a={old.id}&amp;b={new.id}">compare other runs</a></p>'
    )
    return _page(f"Changes {old.at} → {new.at}", body, "../")


def _pair_rows(run_list: Sequence[Run], diffs: Sequence[diff.Diff], up: str) -> list[str]:
    """Newest first: each run, its SDK, where it came from, and what changed since the run before it."""
    rows = []
    for i in reversed(range(len(run_list))):
        run = run_list[i]
        if i:
            found = diffs[i - 1]
            change = (
                f'<a href="{up}changes/{run_list[i - 1].id}--{run.id}.html">{len(found.lost)} lost, '
                f"{len(found.gained)} gained, {len(found.changed)} changed</a>"
            )
        else:
            change = "the first run"
        rows.append(
            f'<tr id="r-{run.id}"><td>{_run_link(run, up)}</td><td>{escape(run.sdk)}</td><td>{escape(run.source)}</td>'
            f"<td>{len(run.report.cells)}</td><td>{change}</td></tr>"
        )
    return rows


def _runs_table(rows: Sequence[str]) -> str:
    return (
        '<div class="scroll"><table class="runs"><thead><tr><th scope="col">run</th><th scope="col">SDK</th>'
        '<th scope="col">from</th><th scope="col">cells</th><th scope="col">since the run before</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _compare_data(run_list: Sequence[Run]) -> str:
    """The compare page's data: per run one letter per (backend, feature), so 1,000 runs of 400 cells stay
    around half a megabyte. JSON inside a script element: every ``<``, ``>`` and ``&`` escaped, so no text
    from a report can close the element."""
    backends, features = _columns(run_list)
    data = {
        "runs": [{"id": r.id, "at": r.at, "sdk": r.sdk, "source": r.source} for r in run_list],
        "backends": backends,
        "slugs": [slug(b) for b in backends],
        "features": features,
        "fslugs": [slug(f) for f in features],
        "legend": {code: [o.value, LEGEND[o].symbol] for o, code in CODES.items()},
        "cells": ["".join(_code(run.report.cell(b, f)) for b in backends for f in features) for run in run_list],
        "servers": [[run.server(b) for b in backends] for run in run_list],
    }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _code(cell: Cell | None) -> str:
    if cell is None:
        return "."
    code = CODES[cell.outcome]
    return code if cell.as_expected else code.upper()


def _compare_page(run_list: Sequence[Run]) -> str:
    body = (
        "<h1>Compare two runs</h1>"
        "<noscript><p>This page compares any two runs with a small script. Without it, "
        '<a href="changes/index.html">what changed between each run and the next</a> is on static pages.</p></noscript>'
        '<form id="compare"><label>before <select name="a" id="a"></select></label> '
        '<label>after <select name="b" id="b"></select></label> <button type="submit">Compare</button></form>'
        '<div id="result" aria-live="polite"></div>'
        f'<script type="application/json" id="data">{_compare_data(run_list)}</script>'
    )
    return _page("Compare two runs", body, "", _asset("site.js"))


# -- the site -------------------------------------------------------------------------------------------------


def pages(
    run_list: Sequence[Run], evidence_limit: int = EVIDENCE_LIMIT, per_run: bool = True
) -> Iterable[tuple[str, str]]:
    """Every file of the site as (relative path, text), the first page first; ``per_run=False`` leaves out each
    run's own pages, its matrix and evidence (``build_from_files`` writes those as it reads each report)."""
    if not run_list:
        raise SiteError("no runs to build a site from")
    latest = run_list[-1]
    diffs = [diff.compare(a.report, b.report) for a, b in zip(run_list, run_list[1:], strict=False)]
    rows = _pair_rows(run_list, diffs, "")
    recent = _runs_table(rows[:RECENT])
    more = f'<p><a href="runs.html">all {len(run_list)} runs</a></p>' if len(run_list) > RECENT else ""
    yield (
        "index.html",
        _page(
            "Agents SDK backend compatibility",
            f"<h1>Agents SDK backend compatibility</h1><p>The latest of {_count(len(run_list), 'run')}; "
            f'<a href="runs.html">every run</a>, <a href="compare.html">any two compared</a>.</p>{_run_meta(latest)}'
            f"{_legend()}{_grid(latest, '', f'runs/{latest.id}/')}<h2>Recent runs</h2>{recent}{more}",
        ),
    )
    yield "style.css", _outcome_style() + _asset("report.css") + _asset("site.css")
    yield "runs.html", _page("All runs", f"<h1>All {len(run_list)} runs, newest first</h1>{_runs_table(rows)}")
    pairs = [
        f'<li><a href="{a.id}--{b.id}.html">{escape(a.at)} → {escape(b.at)}</a>: {len(d.lost)} lost, '
        f"{len(d.gained)} gained, {len(d.changed)} changed</li>"
        for a, b, d in zip(run_list, run_list[1:], diffs, strict=False)
    ]
    yield (
        "changes/index.html",
        _page(
            "Changes",
            "<h1>What changed between each run and the next</h1>"
            f'<p><a href="../compare.html">Compare any two runs</a>.</p><ol>{"".join(reversed(pairs))}</ol>'
            if pairs
            else "<h1>Changes</h1><p>One run only: nothing to compare yet.</p>",
            "../",
        ),
    )
    yield "compare.html", _compare_page(run_list)
    for old, new, found in zip(run_list, run_list[1:], diffs, strict=False):
        yield f"changes/{old.id}--{new.id}.html", _changes_page(old, new, found)
    backends, features = _columns(run_list)
    for backend in backends:
        yield f"timeline/{slug(backend)}.html", _timeline(backend, features, run_list)
    for run in run_list if per_run else ():
        yield f"runs/{run.id}/index.html", _run_page(run)
        for backend, cells in _by_backend(run.report).items():
            yield f"runs/{run.id}/{slug(backend)}.html", _evidence_page(run, backend, cells, evidence_limit)


def _by_backend(report: Report) -> dict[str, list[Cell]]:
    found: dict[str, list[Cell]] = {}
    for cell in report.cells:
        found.setdefault(cell.backend, []).append(cell)
    return found


def _replaceable(out: Path) -> bool:
    """An earlier site, or an empty folder: never a folder of other files (``-o .`` must not delete a project)."""
    return out.is_dir() and (
        not any(out.iterdir()) or ((out / "index.html").is_file() and (out / "style.css").is_file())
    )


def _written(out: Path, fill: Callable[[Path], int]) -> int:
    """``fill`` a fresh folder beside ``out``, then put it in place of ``out`` whole; the number of files."""
    out = Path(out)
    if out.exists() and not _replaceable(out):
        raise SiteError(
            f"{out}: exists and is not a site this command wrote (no index.html and style.css); not replaced"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    fresh = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        count = fill(fresh)
        fresh.chmod(0o755)  # mkdtemp's folder is private; a published site is not
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            out.rename(old / out.name)
            fresh.rename(out)
            shutil.rmtree(old)
        else:
            fresh.rename(out)
    except BaseException:
        shutil.rmtree(fresh, ignore_errors=True)
        raise
    return count


def _write(folder: Path, files: Iterable[tuple[str, str]]) -> int:
    count = 0
    for name, text in files:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        count += 1
    return count


def build(run_list: Sequence[Run], out: Path, evidence_limit: int = EVIDENCE_LIMIT) -> int:
    """Write the site of runs held in memory to ``out`` (replacing what was there once complete); the number of
    files."""
    return _written(out, lambda fresh: _write(fresh, pages(run_list, evidence_limit)))


def _slim(report: Report) -> Report:
    """A report as the history needs it once its evidence is written: the cells without their exchanges."""
    cells = [dataclasses.replace(c, exchanges=[], server_logs="") for c in report.cells]
    # A new model, not a copy: a copy would keep the lookup of the full cells (``Report.cell``'s cache) and
    # carry every exchange along with it.
    return Report.model_construct(**{**dict(report), "cells": cells})


def _one_run(source: Source) -> Report:
    """One run of a merged report as a report of its own (its readiness and mocked-vs-live were not kept)."""
    return Report.model_construct(
        interrupted=source.interrupted, verdict=source.verdict, generated_at=source.generated_at,
        versions=source.versions, features=source.features, backends=source.backends, cells=source.cells,
        readiness=[], mocked_vs_live=[], sources=None, cell_runs=None,
    )  # fmt: skip


# What a worker gives back for one file: the reader's line on it (None when it was read), and per run in it
# (a merged report holds many) its run id, its name in the site, its slim report and the folder of its pages.
Evidence = tuple[str | None, list[tuple[str, str, Report, Path]]]


def _evidence_of(job: tuple[str, Path, Path, int]) -> Evidence:
    """One report file read and the evidence pages of each run in it written under ``folder`` (in a worker
    process): per run its slim report and where its pages are; or the reader's one line on the file."""
    source, path, folder, limit = job
    try:
        report = load(path)
    except ReportError as exc:
        return str(exc), []
    if report.sources is None:
        parts = [(merge.run_id(report), source, report)]
    else:  # a merged report: each of its runs has its place in the history, under the file's name and its id
        parts = [(s.run, f"{source} (run {s.run})", _one_run(s)) for s in report.sources]
    done = []
    for k, (run_id, name, one) in enumerate(parts):
        place = folder / f".{k}"
        place.mkdir(parents=True)
        # Its id as ``runs`` will give it unless another run has the same time (then its matrix is written again).
        run = Run(page_id(one.generated_at), name, one)
        by_backend = _by_backend(one)
        for backend, cells in by_backend.items():
            (place / f"{slug(backend)}.html").write_text(_evidence_page(run, backend, cells, limit), encoding="utf-8")
        (place / "index.html").write_text(_run_page(run), encoding="utf-8")
        done.append((run_id, name, _slim(one), place))
    return None, done


def workers() -> int:
    return max(1, min(4, len(os.sched_getaffinity(0))))


def build_from_files(paths: Sequence[Path], out: Path, evidence_limit: int = EVIDENCE_LIMIT) -> tuple[int, int]:
    """The site of the reports in these files and folders: each report is read once, its evidence written at
    once (by as many processes as there are CPUs, up to 4) and only its outcomes kept for the history, so memory
    grows with the cells, not the exchanges. ``SiteError`` naming every file that is not a report. Returns the
    numbers of runs and of files."""
    files = report_files(paths)
    if not files:
        raise SiteError(f"no report (*.json) in {', '.join(str(p) for p in paths)}")
    found: list[Run] = []

    def fill(fresh: Path) -> int:
        jobs = [(source, path, fresh / "runs" / f".{i}", evidence_limit) for i, (source, path) in enumerate(files)]
        if len(jobs) < 8 or workers() == 1:
            results = [_evidence_of(job) for job in jobs]
        else:
            with ProcessPoolExecutor(workers()) as pool:
                results = list(pool.map(_evidence_of, jobs, chunksize=4))
        bad = [line for line, _ in results if line is not None]
        if bad:
            raise SiteError("\n".join(bad))
        folder_of, loaded, seen = {}, [], set()
        for _, parts in results:
            for run_id, name, report, place in parts:
                if run_id in seen:  # the same run given twice (its own file and a merged report, say): once
                    continue
                seen.add(run_id)
                folder_of[id(report)] = place
                loaded.append((name, report))
        found.extend(runs(loaded))
        for run in found:
            folder_of[id(run.report)].rename(fresh / "runs" / run.id)
            if run.id != page_id(run.at):  # a second run of the same time: its matrix names its own id
                (fresh / "runs" / run.id / "index.html").write_text(_run_page(run), encoding="utf-8")
        for left in (fresh / "runs").glob(".*"):  # the workers' folders, and the pages of a run given twice
            shutil.rmtree(left)
        kept = sum(len(list((fresh / "runs" / run.id).iterdir())) for run in found)
        return kept + _write(fresh, pages(found, evidence_limit, per_run=False))

    count = _written(out, fill)
    return len(found), count
