"""The HTML report: self-contained, escaped, every grid cell linked to its evidence; and in a real browser."""

from __future__ import annotations

import json
import re
import struct
import subprocess
from pathlib import Path
from typing import Any

import pytest

from agents_compat.config.profiles import load_profiles
from agents_compat.judging.matrix import Matrix
from agents_compat.outcomes import DIFFERS, LEGEND, Cell, Outcome
from agents_compat.report import Report
from agents_compat.report import html as html_report
from agents_compat.report.build import build

CHROMIUM = Path("/usr/bin/chromium")
HOSTILE = "</pre></details><script>document.body.setAttribute('data-pwned', '1')</script><b>&amp;"


def exchange(reply: str, status: int = 200) -> dict[str, Any]:
    return {
        "request": {
            "method": "POST",
            "url": "http://127.0.0.1:11434/v1/chat/completions",
            "headers": {"authorization": "***", "x-note": HOSTILE},
            "body": {"model": "qwen3:0.6b", "messages": [{"role": "user", "content": "Say " + HOSTILE}]},
        },
        "response": {
            "status": status,
            "headers": {"content-type": "application/json"},
            "body": {"choices": [{"message": {"role": "assistant", "content": reply}}]},
            "streamed": False,
            "complete": True,
        },
        "seconds": 0.01,
    }


def sample_report() -> Report:
    profiles = load_profiles()
    matrix = Matrix()
    cells = [
        Cell("ollama-chat", "plain_text", "mocked", Outcome.SUPPORTED, "final output is PONG-7481", Outcome.SUPPORTED,
             [exchange("PONG-7481")]),
        Cell("ollama-chat", "structured_output", "mocked", Outcome.IGNORED, f"schema dropped {HOSTILE}",
             Outcome.SUPPORTED, [exchange(HOSTILE)]),
        Cell("vllm-responses", "plain_text", "mocked", Outcome.UNSUPPORTED, "refused: 404", Outcome.UNSUPPORTED,
             [exchange("no", 404)]),
        Cell("vllm-responses", "compaction", "mocked", Outcome.SKIPPED, "not applicable", Outcome.SKIPPED),
        Cell("llamacpp-chat", "streaming", "live", Outcome.ERROR, "connection failed", Outcome.SUPPORTED,
             server_logs=f"srv  load_model: failed {HOSTILE}"),
    ]  # fmt: skip
    for cell in cells:
        matrix.add(profiles[cell.backend], cell)
    return build(matrix)[0]


def test_everything_the_backend_sent_is_escaped() -> None:
    page = html_report.render(sample_report())
    assert HOSTILE not in page
    assert "&lt;/pre&gt;&lt;/details&gt;&lt;script&gt;" in page
    assert page.count("<script>") == 1  # only the report's own


def test_a_failed_live_cell_shows_its_server_log() -> None:
    page = html_report.render(sample_report())
    assert "server log (last lines)</summary><pre>srv  load_model: failed &lt;/pre&gt;" in page
    assert page.count("server log (last lines)") == 1  # only the cell that has one


def test_the_page_needs_no_network() -> None:
    page = html_report.render(sample_report())
    tags = re.findall(r"<(?:link|img|iframe|script|style)\b[^>]*>", page)
    assert tags == ["<style>", "<script>"]
    assert "@import" not in page and "url(" not in page


def test_each_outcome_is_painted_with_its_own_colours_from_the_legend_table() -> None:
    """The page's outcome colours come from outcomes.LEGEND, the table the terminal and Markdown read too."""
    page = html_report.render(sample_report())
    paints = [LEGEND[o].paint for o in Outcome]
    assert len(set(paints)) == len(paints)  # no two outcomes look alike
    for outcome in Outcome:
        name, (background, text) = outcome.value, LEGEND[outcome].paint
        assert f"--{name}-bg: {background}; --{name}-fg: {text};" in page
        assert f".o-{name} {{ background: var(--{name}-bg); color: var(--{name}-fg); }}" in page
    assert f"--differs: {DIFFERS.paint[1]};" in page


def test_every_grid_cell_links_to_its_evidence_and_the_differing_cell_is_flagged() -> None:
    report = sample_report()
    page = html_report.render(report)
    links = re.findall(r'<a class="mark o-(\w+)( differs)?" href="#(c\d+)"', page)
    assert [(o, bool(d)) for o, d, _ in links] == [
        ("supported", False),
        ("ignored", True),
        ("unsupported", False),
        ("skipped", False),
        ("error", True),
    ]
    for _, _, anchor in links:
        assert f'<details class="cell" id="{anchor}">' in page
    assert "expected</dt><dd>supported (differs)" in page
    assert f"openai-agents {report.versions['openai-agents']}" in page


def test_a_saved_report_renders_the_same_page() -> None:
    report = sample_report()
    saved = json.loads(json.dumps(report.to_json()))
    assert html_report.render(Report.model_validate(saved)) == html_report.render(report)


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs a browser: apt-get install chromium")
def test_chromium_renders_the_grid_and_opens_a_cells_evidence(tmp_path: Path) -> None:
    page = tmp_path / "compat-matrix.html"
    page.write_text(html_report.render(sample_report()), encoding="utf-8")
    base = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1000",
    ]  # fmt: skip
    png = tmp_path / "shot.png"
    subprocess.run([*base, f"--screenshot={png}", page.as_uri()], check=True, capture_output=True, timeout=60)
    assert png_size(png) == (1400, 1000)
    assert png.stat().st_size > 15_000  # a blank page compresses to about 6 KB; the grid is several times that

    # The URL a grid cell links to: the report's script must open that cell's evidence.
    dom = subprocess.run(
        [*base, "--dump-dom", page.as_uri() + "#c1"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    assert re.search(r'<table class="grid" id="grid">.*ollama-chat.*vllm-responses.*</table>', dom, re.S)
    opened = re.search(r'<details class="cell" id="c1" open="">(.*?)back to the grid', dom, re.S)
    assert opened, "the linked cell's evidence is not open"
    evidence = opened.group(1)
    assert "schema dropped &lt;/pre&gt;" in evidence
    assert "POST /v1/chat/completions" in evidence
    assert "http://127.0.0.1:11434/v1/chat/completions" in evidence
    assert '"model": "qwen3:0.6b"' in evidence
    assert not re.search(r"<body[^>]*data-pwned", dom)  # the escaped script in a body never ran
    assert '<details class="cell" id="c0">' in dom  # cells not linked to stay closed
