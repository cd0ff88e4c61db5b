"""Benchmark hostile backends (a script, not a test): ``python benchmarks/bench_hostile.py [CASE ...]``.

Each case runs scenarios against a loopback server that misbehaves on purpose (agents_compat/emulators/hostile.py) in a
fresh pytest process, and prints one JSON line: that process's peak RSS, its wall time, the sum of the
cells' seconds, the size of each report and the outcome counts.

- ``huge``, ``huge-responses``: every answer is 50 MB (a JSON body, or an SSE stream when asked to stream),
  a whole chat or Responses row.
- ``bomb``: a 2 MB gzip body that inflates to 2 GiB (one cell: plain text).
- ``stall``: headers and 3 events (or half a JSON body), then nothing; whole row, 5 s cell timeout.
- ``events``: 800,000 one-character text deltas in one stream (about 67 MB, under a 128M cap): streaming.

``--pythonpath DIR`` runs the child pytest on another checkout's harness (to measure "before" on main).
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from agents_compat.emulators.hostile import gzip_bomb, huge_answers, many_events, stalls

PROFILE = """[profiles.hostile]
family = "custom"
api = "{api}"
model = "m"
reach = "url"
base_url = "{url}"
"""

CASES: dict[str, tuple[Callable[[], AbstractContextManager[str]], str, list[str]]] = {
    "huge": (lambda: huge_answers(50 * 1024 * 1024), "chat_completions", ["--compat-timeout", "30"]),
    "huge-responses": (lambda: huge_answers(50 * 1024 * 1024), "responses", ["--compat-timeout", "30"]),
    "bomb": (gzip_bomb, "chat_completions", ["-k", "test_plain_text", "--compat-timeout", "60"]),
    "stall": (stalls, "responses", ["--compat-timeout", "5"]),
    "events": (
        lambda: many_events(800_000),
        "chat_completions",
        ["-k", "test_streaming and not tool", "--compat-max-body", "128M", "--compat-timeout", "1200"],
    ),
}


def run_case(name: str, pythonpath: str | None) -> dict[str, object]:
    server, api, extra = CASES[name]
    env = dict(os.environ, PYTHONPATH=pythonpath) if pythonpath else None
    with tempfile.TemporaryDirectory() as folder, server() as url:
        Path(folder, "hostile.toml").write_text(PROFILE.format(api=api, url=url))
        argv = [sys.executable, "-m", "pytest", "--pyargs", "agents_compat.scenarios", "-m", "live", "-q"]
        argv += ["-p", "no:cacheprovider"]
        argv += ["--backends", "hostile.toml", "--backend", "hostile", "--compat-report-dir", "out"]
        argv += ["-o", "asyncio_default_fixture_loop_scope=function", *extra]
        started = time.perf_counter()
        subprocess.run(argv, cwd=folder, capture_output=True, check=False, env=env)
        wall = time.perf_counter() - started
        # This process runs one case (main), so its children's peak is that case's.
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        out = Path(folder, "out")
        cells = json.loads((out / "compat-matrix.json").read_text())["cells"]
        sizes = {p.name: p.stat().st_size for p in out.iterdir() if p.is_file()}
    return {
        "case": name,
        "api": api,
        "wall_s": round(wall, 1),
        "cells_s": round(sum(c["seconds"] for c in cells), 1),
        "peak_rss_mb": round(peak),
        "report_kb": {k: round(v / 1024) for k, v in sorted(sizes.items())},
        "outcomes": dict(collections.Counter(c["outcome"] for c in cells)),
        "reasons": sorted({c["reason"][:140] for c in cells if c["outcome"] != "skipped"})[:4],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", choices=list(CASES), default=list(CASES))
    parser.add_argument("--pythonpath", help="run the child pytest with this PYTHONPATH (another checkout)")
    args = parser.parse_args()
    if len(args.cases) == 1:
        print(json.dumps(run_case(args.cases[0], args.pythonpath)), flush=True)
        return
    # One process per case: RUSAGE_CHILDREN keeps the largest child's peak, which would hide a smaller one.
    for name in args.cases:
        again = [sys.executable, __file__, name, *(["--pythonpath", args.pythonpath] if args.pythonpath else [])]
        subprocess.run(again, check=False)


if __name__ == "__main__":
    main()
