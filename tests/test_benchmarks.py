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
