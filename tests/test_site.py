"""The static site (agents_compat/report/site.py, ``agents-compat site``): pages from many runs, every link
landing on a page and anchor that exist, the first page small whatever the history, hostile text inert;
and in a real browser: screenshots at 1400 and 800 px, the keyboard reaching and opening every cell."""

from __future__ import annotations

import gzip
import json
import pickle
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from agents_compat.cli import main
from agents_compat.outcomes import LEGEND, Outcome
from agents_compat.report import Report, site
from tests.chromium import CHROMIUM, Browser
from tests.reports import report_data

HOSTILE = "</pre></section><script>document.body.setAttribute('data-pwned','1')</script>\x1b[2J<b>&amp;"


def exchange(reply: str, status: int = 200) -> dict[str, Any]:
    return {
        "request": {
            "method": "POST",
            "url": "http://127.0.0.1:8080/v1/chat/completions",
            "headers": {"authorization": "***"},
            "body": {"model": "m", "messages": [{"role": "user", "content": "Say PONG"}]},
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


def report(at: str, outcomes: dict[tuple[str, str], str], *, sdk: str = "0.24.0", server: str = "1.0") -> Report:
    cells = [
        {"backend": b, "feature": f, "outcome": o, "expected": "supported", "reason": f"{b} {f} said {o}",
         "exchanges": [exchange(f"reply of {b} {f}")]}
        for (b, f), o in outcomes.items()
    ]  # fmt: skip
    rows = [{"name": b, "version": server} for b in dict.fromkeys(b for b, _ in outcomes)]
    data = report_data(cells, versions={"openai-agents": sdk, "python": "3.11.7"}, backends=rows)
    data["generated_at"] = at
    return Report.model_validate(data)


def history() -> list[site.Run]:
    """Three runs, given out of order: chat loses streaming in the second; the SDK, then the server, change."""
    s, i, b = "supported", "ignored", "broken"

    def cells(chat: str, resp: str) -> dict[tuple[str, str], str]:
        return {
            ("chat", "plain_text"): s,
            ("chat", "streaming"): chat,
            ("resp", "plain_text"): s,
            ("resp", "streaming"): resp,
        }

    first = report("2026-03-01T10:00:00+00:00", cells(s, i))
    second = report("2026-03-02T10:00:00+00:00", cells(b, i), sdk="0.25.0")
    third = report("2026-03-03T10:00:00+00:00", cells(b, s), sdk="0.25.0", server="1.1")
    return site.runs([("c.json", third), ("a.json", first), ("b.json", second)])


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag in ("a", "link") and found.get("href"):
            self.hrefs.append(str(found["href"]))


def parsed(path: Path) -> Links:
    links = Links()
    links.feed(path.read_text(encoding="utf-8"))
    return links


def test_runs_are_ordered_by_their_time_not_their_file_names() -> None:
    runs = history()
    assert [r.source for r in runs] == ["a.json", "b.json", "c.json"]
    assert [r.id for r in runs] == ["20260301T100000Z", "20260302T100000Z", "20260303T100000Z"]
    twice = site.runs([("x.json", runs[0].report), ("y.json", runs[0].report)])
    assert [r.id for r in twice] == ["20260301T100000Z", "20260301T100000Z-2"]  # same time: still two pages


def links_checked(out: Path) -> int:
    """Every link of every page of the site in ``out`` lands on a file (and anchor) inside it: the count."""
    checked = 0
    for page in out.rglob("*.html"):
        for href in parsed(page).hrefs:
            parts = urlsplit(href)
            assert not parts.scheme and not parts.netloc, f"{page.name} links off the site: {href}"
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            assert target.is_file(), f"{page.relative_to(out)} links to a missing {href}"
            assert out.resolve() in target.parents
            if parts.fragment:
                assert unquote(parts.fragment) in parsed(target).ids, f"{page.relative_to(out)}: no #{parts.fragment}"
            checked += 1
    return checked


def test_every_link_of_every_page_lands_on_a_file_and_anchor_that_exist(tmp_path: Path) -> None:
    out = tmp_path / "site"
    count = site.build(history(), out)
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert count == len(files) == 18  # 4 site pages + style.css + 2 changes + 2 timelines + 3 x (matrix + 2 evidence)
    assert links_checked(out) > 100


def test_the_command_reads_many_files_in_worker_processes_and_keeps_runs_of_the_same_time_apart(
    tmp_path: Path,
) -> None:
    reports = tmp_path / "reports"
    (reports / "nested").mkdir(parents=True)
    runs = history()
    for i in range(9):  # enough for the worker processes; three runs of each time, each its own run
        data = runs[i % 3].report.to_json()
        data["cells"][0]["reason"] += f" (run {i})"  # the same file twice would be one run (next test)
        text = json.dumps(data)
        (reports / ("nested" if i % 2 else ".") / f"run-{i}.json").write_text(text, encoding="utf-8")
    assert main(["site", str(reports), "-o", str(tmp_path / "site")]) == 0
    out = tmp_path / "site"
    folders = sorted(p.name for p in (out / "runs").iterdir())
    assert folders == [f"{r.id}{suffix}" for r in runs for suffix in ("", "-2", "-3")]
    assert not [p for p in (out / "runs").iterdir() if p.name.startswith(".")]  # no worker's folder left
    matrix = (out / "runs" / f"{runs[0].id}-2" / "index.html").read_text(encoding="utf-8")
    assert f'href="../../runs.html#r-{runs[0].id}-2"' in matrix  # a run of the same time names its own id
    assert links_checked(out) > 300


def test_a_merged_report_feeds_the_site_run_by_run_and_a_run_given_twice_is_one_run(tmp_path: Path) -> None:
    runs = history()
    for name, run in zip("abc", runs, strict=True):
        (tmp_path / f"{name}.json").write_text(json.dumps(run.report.to_json()), encoding="utf-8")
    merged = tmp_path / "merged" / "compat-matrix.json"
    assert main(["merge", str(tmp_path / "a.json"), str(tmp_path / "b.json"), "-o", str(merged)]) in (0, 1)
    # The merged report's two runs, the third on its own, and the first again as its own file.
    given = [merged, tmp_path / "c.json", tmp_path / "a.json"]
    assert main(["site", *map(str, given), "-o", str(tmp_path / "site")]) == 0
    out = tmp_path / "site"
    assert sorted(p.name for p in (out / "runs").iterdir()) == sorted(r.id for r in runs)
    second = (out / "runs" / runs[1].id / "chat.html").read_text(encoding="utf-8")
    assert "chat streaming said broken" in second  # that run's own evidence, from inside the merged file
    assert links_checked(out) > 50


def test_the_latest_matrix_links_each_cell_to_its_evidence_in_that_run(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site.build(history(), out)
    index = (out / "index.html").read_text(encoding="utf-8")
    cells = re.findall(r'<a class="mark o-(\w+)( differs)?" href="([^"]+)" aria-label="([^"]+)"', index)
    assert [(o, bool(d), h) for o, d, h, _ in cells] == [
        ("supported", False, "runs/20260303T100000Z/chat.html#f-plain_text"),
        ("broken", True, "runs/20260303T100000Z/chat.html#f-streaming"),
        ("supported", False, "runs/20260303T100000Z/resp.html#f-plain_text"),
        ("supported", False, "runs/20260303T100000Z/resp.html#f-streaming"),
    ]
    assert cells[1][3] == "chat / streaming: broken, differs from the profile"  # the word, not the colour alone
    evidence = (out / "runs/20260303T100000Z/chat.html").read_text(encoding="utf-8")
    section = re.search(r'<section class="cell" id="f-streaming".*?</section>', evidence, re.S)
    assert section, "no evidence for chat / streaming"
    assert "chat streaming said broken" in section.group()
    assert "reply of chat streaming" in section.group()  # the captured exchange
    assert "<dt>server</dt><dd>1.1</dd>" in section.group()


def test_a_cells_timeline_has_a_row_at_each_change_with_the_server_and_sdk_versions(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site.build(history(), out)
    page = (out / "timeline/chat.html").read_text(encoding="utf-8")
    streaming = re.search(r'<section id="f-streaming".*?</section>', page, re.S)
    assert streaming
    rows = [
        [re.sub(r"<[^>]+>", "", td).strip() for td in re.findall(r"<td>(.*?)</td>", row)]
        for row in re.findall(r"<tr><td>.*?</tr>", streaming.group())
    ]
    assert rows == [
        ["2026-03-01T10:00:00+00:00", "first run", "ok supported", "1.0", "0.24.0", "1"],
        ["2026-03-02T10:00:00+00:00", "outcome, SDK", "BRK broken (differs)", "1.0", "0.25.0", "1"],
        ["2026-03-03T10:00:00+00:00", "server", "BRK broken (differs)", "1.1", "0.25.0", "1"],
    ]
    assert 'href="../runs/20260302T100000Z/chat.html#f-streaming"' in streaming.group()


def test_each_consecutive_pair_has_a_changes_page(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site.build(history(), out)
    first = (out / "changes/20260301T100000Z--20260302T100000Z.html").read_text(encoding="utf-8")
    assert "1 lost, 0 gained, 0 changed of 4 cells in both runs" in first
    assert "openai-agents: 0.24.0 → 0.25.0" in first
    second = (out / "changes/20260302T100000Z--20260303T100000Z.html").read_text(encoding="utf-8")
    assert "0 lost, 1 gained, 1 changed" not in second  # resp streaming: ignored -> supported is a gain only
    assert "0 lost, 1 gained, 0 changed of 4 cells" in second
    assert "chat server: 1.0 → 1.1" in second and "resp server: 1.0 → 1.1" in second


def test_the_compare_page_carries_every_runs_outcomes_inline(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site.build(history(), out)
    page = (out / "compare.html").read_text(encoding="utf-8")
    assert "fetch(" not in page and "XMLHttpRequest" not in page  # file:// forbids reading a local JSON file
    data = json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1))
    assert data["backends"] == ["chat", "resp"] and data["features"] == ["plain_text", "streaming"]
    assert data["cells"] == ["sssI", "sBsI", "sBss"]  # upper case: differs from the profile's declaration
    fallback = re.search(r"<noscript>(.*?)</noscript>", page, re.S)
    assert fallback and '<a href="changes/index.html">' in fallback.group(1)  # static pages without the script


def test_everything_a_report_says_is_escaped_on_every_page(tmp_path: Path) -> None:
    data = report_data(
        [{"backend": f"b{HOSTILE}", "feature": f"f{HOSTILE}", "outcome": "ignored", "reason": HOSTILE,
          "exchanges": [exchange(HOSTILE, 500)], "server_logs": HOSTILE}],
        versions={"openai-agents": HOSTILE, HOSTILE: HOSTILE},
        backends=[{"name": f"b{HOSTILE}", "version": HOSTILE, "description": HOSTILE}],
    )  # fmt: skip
    data["generated_at"] = HOSTILE
    hostile = Report.model_validate(data)
    out = tmp_path / "site"
    site.build(site.runs([(HOSTILE, hostile), ("plain.json", history()[0].report)]), out)
    pages = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*.html")}
    assert all(out.resolve() in p.resolve().parents for p in out.rglob("*"))  # no name left the folder
    assert len(pages) == 13
    for name, text in pages.items():
        assert "data-pwned','1')</script>" not in text, name
        assert "\x1b" not in text, name
        assert text.count("<script") == (2 if name == "compare.html" else 0), name  # only the site's own
    assert "&lt;/pre&gt;&lt;/section&gt;&lt;script&gt;" in pages["index.html"]  # shown as text, not dropped
    assert "\\x1b[2J" in pages["index.html"]  # the control character shown as an escape (inert)


@pytest.mark.parametrize("many", [30])
def test_the_first_page_does_not_grow_with_the_history(tmp_path: Path, many: int) -> None:
    one = history()
    base = one[-1].report
    later = [
        (f"r{i}.json", base.model_copy(update={"generated_at": f"2026-04-{1 + i // 24:02d}T{i % 24:02d}:00:00+00:00"}))
        for i in range(many)
    ]
    site.build(site.runs([(r.source, r.report) for r in one]), tmp_path / "few")
    site.build(site.runs([(r.source, r.report) for r in one] + later), tmp_path / "many")
    few, lots = ((tmp_path / name / "index.html").stat().st_size for name in ("few", "many"))
    assert lots < few * 1.6  # only the last ten runs are listed there, and no evidence at all
    index = (tmp_path / "many" / "index.html").read_text(encoding="utf-8")
    assert f"all {many + 3} runs" in index and "reply of chat" not in index
    assert len(list((tmp_path / "many" / "runs").iterdir())) == many + 3


def test_the_command_names_every_bad_report_on_its_own_line_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "reports" / "good.json"
    good.parent.mkdir()
    good.write_text(json.dumps(history()[0].report.to_json()), encoding="utf-8")
    (tmp_path / "reports" / "cut.json").write_text('{"verdict": {', encoding="utf-8")
    (tmp_path / "reports" / "other.json").write_text('{"hello": 1}', encoding="utf-8")
    assert main(["site", str(tmp_path / "reports"), "-o", str(tmp_path / "site")]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("site: ") and "cut.json: not JSON" in lines[0]
    assert "other.json: not a compat matrix report" in lines[1]
    assert not (tmp_path / "site").exists()
    (tmp_path / "reports" / "cut.json").unlink()
    (tmp_path / "reports" / "other.json").unlink()
    assert main(["site", str(tmp_path / "reports"), "-o", str(tmp_path / "site")]) == 0
    assert "site: 1 run, 10 files written" in capsys.readouterr().out
    assert main(["site", str(good), "-o", str(tmp_path)]) == 2  # a folder of other files is never replaced
    assert good.exists()


def test_evidence_is_capped_per_body(tmp_path: Path) -> None:
    big = exchange("x" * 5000)
    data = report_data([{"backend": "chat", "feature": "plain_text", "outcome": "supported", "exchanges": [big]}])
    site.build(site.runs([("big.json", Report.model_validate(data))]), tmp_path / "site", evidence_limit=1000)
    page = (tmp_path / "site/runs/20260101T000000Z/chat.html").read_text(encoding="utf-8")
    assert "x" * 900 in page and "x" * 5000 not in page
    assert re.search(r"… \d+ more characters: the full exchange is in the report", page)
    assert "answered: xxxx" in page  # the step's headline is read from the whole exchange


def test_each_outcome_has_its_own_text_label() -> None:
    """Readable without colour: the symbol differs per outcome, and a differing cell says so in words."""
    symbols = [LEGEND[o].symbol for o in Outcome]
    assert len(set(symbols)) == len(symbols)


# -- in a browser ---------------------------------------------------------------------------------------------

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs a browser: apt-get install chromium")


@needs_chromium
def test_chromium_screenshots_at_1400_and_800_px_and_without_colour(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site.build(history(), out)
    shots = tmp_path / "shots"
    shots.mkdir()
    for width in (1400, 800):
        browser = Browser(tmp_path / f"profile-{width}", width, 900)
        try:
            browser.open((out / "index.html").as_uri())
            # Nothing wider than the window but the grid's own scroller: the page itself never scrolls sideways.
            assert browser.evaluate("document.documentElement.scrollWidth") <= width
            browser.screenshot(shots / f"index-{width}.png")
            browser.screenshot(shots / f"index-{width}-grey.png", grayscale=True)
            # Without colour each cell still reads: its text is the outcome's symbol.
            marks = browser.evaluate("[...document.querySelectorAll('#grid a.mark')].map(a => a.textContent)")
            assert marks == ["ok", "BRK", "ok", "ok"]
        finally:
            browser.close()
        for name in (f"index-{width}.png", f"index-{width}-grey.png"):
            assert (shots / name).stat().st_size > 15_000  # a blank page is about 6 KB


@needs_chromium
def test_the_keyboard_reaches_every_cell_and_enter_opens_its_evidence(tmp_path: Path) -> None:
    out = tmp_path / "site"
    site.build(history(), out)
    browser = Browser(tmp_path / "profile", 800, 900)
    try:
        browser.open((out / "index.html").as_uri())
        cells = browser.evaluate("[...document.querySelectorAll('#grid a.mark')].map(a => a.getAttribute('href'))")
        assert len(cells) == 4
        browser.press("Tab")
        assert browser.evaluate("document.activeElement.className") == "skip"  # the skip link comes first
        reached: list[str] = []
        for _ in range(40):
            browser.press("Tab")
            focused = browser.evaluate(
                "(e => [e.getAttribute('href'), getComputedStyle(e).outlineStyle])(document.activeElement)"
            )
            assert focused[1] != "none", f"focus not visible on {focused[0]}"
            reached.append(focused[0])
            if focused[0] == cells[1]:
                break
        assert cells[0] in reached and reached[-1] == cells[1]
        browser.press("Enter")
        browser.wait_for("Page.loadEventFired")
        assert browser.evaluate("location.href").endswith("runs/20260303T100000Z/chat.html#f-streaming")
        assert browser.evaluate("document.querySelector(':target').id") == "f-streaming"
        assert "chat streaming said broken" in browser.evaluate("document.querySelector(':target').textContent")

        # The compare page's script, any two runs: the first and the last.
        browser.open((out / "compare.html").as_uri() + "?a=20260301T100000Z&b=20260303T100000Z")
        shown = browser.evaluate("document.getElementById('result').textContent")
        assert "2 cells differ: 2026-03-01T10:00:00+00:00 → 2026-03-03T10:00:00+00:00" in shown
        assert "SDK: 0.24.0 → 0.25.0" in shown and "chat server: 1.0 → 1.1" in shown
        links = browser.evaluate("[...document.querySelectorAll('#result a')].map(a => a.getAttribute('href'))")
        assert "runs/20260303T100000Z/chat.html#f-streaming" in links
        assert not browser.evaluate("document.body.hasAttribute('data-pwned')")
    finally:
        browser.close()


SAMPLE = Path(__file__).resolve().parent.parent / "docs" / "sample-site"


def test_the_sample_site_is_what_its_kept_reports_build_today(tmp_path: Path) -> None:
    """docs/sample-site/site is rebuilt from docs/sample-site/reports with the command docs/reports.md gives:
    a change to the site's pages that is not rebuilt into the sample fails here."""
    reports = tmp_path / "reports"
    reports.mkdir()
    for kept in sorted((SAMPLE / "reports").glob("*.json.gz")):
        (reports / kept.name.removesuffix(".gz")).write_bytes(gzip.decompress(kept.read_bytes()))
    assert len(list(reports.iterdir())) == 3
    assert main(["site", str(reports), "-o", str(tmp_path / "site"), "--evidence-limit", "1000"]) == 0
    built = {
        p.relative_to(tmp_path / "site").as_posix(): p.read_bytes()
        for p in (tmp_path / "site").rglob("*")
        if p.is_file()
    }
    kept = {
        p.relative_to(SAMPLE / "site").as_posix(): p.read_bytes() for p in (SAMPLE / "site").rglob("*") if p.is_file()
    }
    assert sorted(built) == sorted(kept)
    stale = [name for name in built if built[name] != kept[name]]
    assert not stale, f"rebuild docs/sample-site (docs/reports.md, 'A site from many runs'): {stale[:5]}"
    for name, data in kept.items():  # no machine path in what the repository publishes
        assert not re.search(rb"/(work|root|home|tmp)/", data), name


def test_a_run_kept_for_the_history_holds_no_exchange() -> None:
    full = history()[0].report
    assert full.cell("chat", "streaming") is not None  # the lookup cache filled, as the run's matrix fills it
    slim = site._slim(full)
    assert all(not c.exchanges for c in slim.cells) and len(slim.cells) == len(full.cells)
    assert b"reply of chat" not in pickle.dumps(slim)  # what a worker sends back to the builder
    assert slim.cell("chat", "streaming") is not None and not slim.cell("chat", "streaming").exchanges
