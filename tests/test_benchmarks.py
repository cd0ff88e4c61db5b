"""The benchmark scripts still run: a script nothing runs rots silently (bench_mocked's per-cell measurement once)."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from types import ModuleType

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bench_mocked_measures_a_harness_cell_and_a_bare_run() -> None:
    bench = script("bench_mocked")
    bench.set_tracing_disabled(True)  # as its main() does: traces would go to OpenAI's servers
    # Each asserts its own answer (the cell as expected, the bare run's text): a drifted call raises here.
    asyncio.run(bench.harness_cell("openai-chat"))
    asyncio.run(bench.bare_cell("openai-chat"))


def test_bench_merge_merges_tiny_synthetic_reports_with_the_command() -> None:
    bench = script("bench_merge")
    # The child runs `agents-compat merge` and checks the merged file's sources and cells (measure raises if not).
    found = bench.measure(3, rows=2, features=3)
    assert found["count"] == 3 and found["cpu"] > 0 and found["peak_mib"] > 10 and found["json_mib"] > 0


def test_bench_site_builds_a_site_from_a_few_synthetic_reports(tmp_path: Path) -> None:
    bench = script("bench_site")
    row = bench.measure(3, tmp_path)  # the script's own measurement, on a tiny history
    assert row["reports"] == 3 and row["seconds"] > 0 and row["rss_mb"] > 10
    # 4 site pages, the stylesheet, 2 changes pages, 20 timelines, and per run its matrix and 20 evidence pages
    assert row["files"] == 4 + 1 + 2 + 20 + 3 * 21
    assert 20 < row["first_page_kb"] < 1024
    index = (tmp_path / "site-3" / "index.html").read_text(encoding="utf-8")
    assert index.count('class="mark o-') >= 400  # the latest run's 20 x 20 cells, each a link (plus the legend)
