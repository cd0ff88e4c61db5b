"""Renderers: terminal table, Markdown, JUnit properties, the lines they share, and the failure message."""

from __future__ import annotations

import dataclasses

from agents_compat.config.profiles import load_profiles
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import Cell, Outcome
from agents_compat.report import Report, junit, lines, markdown, terminal
from agents_compat.report.build import build
from agents_compat.report.model import Interrupted

EXCHANGE = {
    "request": {"method": "POST", "url": "http://h/v1/responses", "headers": {}, "body": {"model": "m"}},
    "response": {
        "status": 400,
        "headers": {},
        "body": {"error": {"message": "nope"}},
        "streamed": False,
        "complete": True,
    },
    "seconds": 0.01,
}


def report_with(*cells: Cell) -> Report:
    profiles = load_profiles()
    matrix = Matrix()
    for cell in cells:
        matrix.add(profiles[cell.backend], cell)
    return build(matrix)[0]


def cell(backend: str, feature: str, outcome: Outcome, expected: Outcome | None) -> Cell:
    return Cell(backend, feature, "mocked", outcome, f"because {outcome.value}", expected, [EXCHANGE])


def test_terminal_table_is_compact_with_lettered_columns_and_marks_differences() -> None:
    report = report_with(
        cell("ollama-chat", "plain_text", Outcome.SUPPORTED, Outcome.SUPPORTED),
        cell("ollama-chat", "previous_response_id", Outcome.SUPPORTED, Outcome.IGNORED),
        cell("llamacpp-responses", "plain_text", Outcome.BROKEN, Outcome.BROKEN),
    )
    text = terminal.terminal(report)
    lines = text.splitlines()
    assert lines[0].split() == ["backend", "tier", "a", "b"]
    assert lines[1].split() == ["ollama-chat", "mocked", "+", "+*"]
    assert lines[2].split() == ["llamacpp-responses", "mocked", "!"]
    assert "~ ignored" in text and "* differs from the profile" in text
    assert "b=previous_response_id" in text
    assert max(len(line) for line in lines) <= 80


def test_full_matrix_fits_eighty_columns() -> None:
    from agents_compat.config.features import FEATURE_IDS

    profiles = load_profiles()
    matrix = Matrix()
    for profile in profiles.values():
        for feature in FEATURE_IDS:
            matrix.add(profile, cell(profile.name, feature, Outcome.IGNORED, Outcome.SUPPORTED))
    assert max(len(line) for line in terminal.terminal(build(matrix)[0]).splitlines()) <= 80


def test_each_column_key_stands_above_its_marks_in_both_grids() -> None:
    from agents_compat.config.features import FEATURE_IDS

    profiles = load_profiles()
    matrix = Matrix()
    for name in ("openai-chat", "gomodel-store-translated"):
        for i, feature in enumerate(FEATURE_IDS):
            c = cell(name, feature, Outcome.BROKEN if i % 2 else Outcome.IGNORED, Outcome.SUPPORTED)
            matrix.add(profiles[name], dataclasses.replace(c, strict=["deviates"] if i % 2 else []))
    report = build(matrix)[0]
    grids = [terminal.terminal(report).splitlines()[:3], terminal.strict_grid(report).splitlines()[:3]]
    for header, *rows in grids:
        keys = [i for i, ch in enumerate(header) if ch in "ab" and header[i - 1] == " "][:2]
        for row in rows:  # a: ignored or ".", b: broken or "d", right under their keys
            assert (row[keys[0]], row[keys[1]]) in (("~", "!"), (".", "d")), (header, row)


def test_quiet_terminal_keeps_one_line_per_backend() -> None:
    report = report_with(
        cell("ollama-chat", "plain_text", Outcome.SUPPORTED, Outcome.SUPPORTED),
        cell("ollama-chat", "handoffs", Outcome.UNSUPPORTED, Outcome.UNSUPPORTED),
        cell("gomodel-translated", "plain_text", Outcome.BROKEN, Outcome.SUPPORTED),
    )
    lines = terminal.terminal(report, rows_only=True).splitlines()
    assert [line.split() for line in lines] == [["ollama-chat", "+", "x"], ["gomodel-translated", "!*"]]


def test_terminal_paints_marks_and_the_differs_flag() -> None:
    report = report_with(
        cell("ollama-chat", "plain_text", Outcome.SUPPORTED, Outcome.SUPPORTED),
        cell("ollama-chat", "handoffs", Outcome.BROKEN, Outcome.SUPPORTED),
    )
    text = terminal.terminal(report, paint=lambda mark, outcome: f"<{outcome}:{mark}>")
    assert "<supported:+> <broken:!><None:*>" in text.splitlines()[1]


def test_markdown_lists_differences_and_evidence() -> None:
    report = report_with(cell("vllm-responses", "previous_response_id", Outcome.UNSUPPORTED, Outcome.SUPPORTED))
    report.versions = {"openai-agents": "0.24.0", "openai": "3.54.0"}
    page = markdown.matrix(report)
    assert "Produced with openai-agents 0.24.0 · openai 3.54.0." in page
    assert "| vllm-responses | mocked | no!" in page
    assert "expected supported, observed **unsupported**: because unsupported" in page
    assert markdown.render(report).endswith(page)  # the page: the verdict line first, then the matrix


def test_junit_properties_carry_the_cell() -> None:
    differing = cell("vllm-responses", "previous_response_id", Outcome.UNSUPPORTED, Outcome.SUPPORTED)
    assert junit.properties(differing) == [
        ("backend", "vllm-responses"),
        ("feature", "previous_response_id"),
        ("outcome", "unsupported"),
        ("expected", "supported"),
        ("reason", differing.reason),
    ]
    undeclared = cell("ollama-chat", "usage", Outcome.IGNORED, None)
    assert dict(junit.properties(undeclared))["expected"] == ""


def test_failure_message_shows_expected_observed_reason_and_exchange() -> None:
    message = terminal.failure_message(cell("ollama-chat", "handoffs", Outcome.BROKEN, Outcome.SUPPORTED))
    assert "expected: supported" in message
    assert "observed: broken" in message
    assert "reason:   because broken" in message
    assert "POST http://h/v1/responses -> 400" in message
    assert '{"error": {"message": "nope"}}' in message


def test_streamed_exchange_summary_names_the_events() -> None:
    streamed = {
        **EXCHANGE,
        "response": {
            **EXCHANGE["response"],
            "status": 200,
            "streamed": True,
            "body": [
                {"event": "response.created", "data": {"type": "response.created"}},
                {"event": None, "data": "[DONE]"},
            ],
        },
    }
    assert "SSE 2 events: response.created, [DONE]" in terminal.exchange_summary(streamed)


def test_the_lines_every_format_shares() -> None:
    report = report_with(cell("ollama-chat", "plain_text", Outcome.SUPPORTED, Outcome.SUPPORTED))
    assert lines.interrupted_line(report) == ""  # a whole run opens with no warning
    report.interrupted = Interrupted(reason="stopped by Ctrl-C or SIGTERM", cells=1)
    assert lines.interrupted_line(report).startswith("INTERRUPTED RUN: stopped by Ctrl-C or SIGTERM after 1 cells;")
    assert (
        lines.versions_line({"openai-agents": "0.24.0", "python": "3.12.3"}) == "openai-agents 0.24.0 · python 3.12.3"
    )
