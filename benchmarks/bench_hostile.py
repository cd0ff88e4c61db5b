"""Benchmark a hostile backend (a script, not a test): ``python benchmarks/bench_hostile.py``.

A loopback server answers every request with 50 MB (a JSON body, or an SSE stream when asked to stream).
One whole row of scenarios runs against it in a fresh pytest process; this prints that process's peak
RSS, its wall time, the size of each report and the outcome counts, for the default cap and a smaller one.
"""

from __future__ import annotations

import argparse
import collections
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness.hostile import huge_answers

PROFILE = """[profiles.huge]
family = "custom"
api = "{api}"
model = "m"
reach = "url"
base_url = "{url}"
"""


def run_row(api: str, cap: str | None, size: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as folder, huge_answers(size) as url:
        Path(folder, "huge.toml").write_text(PROFILE.format(api=api, url=url))
        argv = [sys.executable, "-m", "pytest", "--pyargs", "suites", "-m", "live", "-q", "-p", "no:cacheprovider"]
        argv += ["--backends", "huge.toml", "--backend", "huge", "--compat-report-dir", "out", "--compat-timeout", "30"]
        argv += ["-o", "asyncio_default_fixture_loop_scope=function"]
        argv += ["--compat-max-body", cap] if cap else []
        started = time.perf_counter()
        subprocess.run(argv, cwd=folder, capture_output=True, check=False)
        wall = time.perf_counter() - started
        # Children are waited for one at a time, so the maximum so far is this run's unless an earlier one was larger.
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        out = Path(folder, "out")
        cells = json.loads((out / "compat-matrix.json").read_text())["cells"]
        sizes = {p.suffix: p.stat().st_size for p in out.iterdir()}
    return {
        "api": api,
        "cap": cap or "8M (default)",
        "wall_s": round(wall, 1),
        "peak_rss_mb": round(peak),
        "report_kb": {k: round(v / 1024) for k, v in sorted(sizes.items())},
        "outcomes": dict(collections.Counter(c["outcome"] for c in cells)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size-mb", type=int, default=50)
    args = parser.parse_args()
    # Smallest first: RUSAGE_CHILDREN keeps the largest child's peak, so each line is that run's peak.
    for cap, api in ((None, "chat_completions"), (None, "responses")):
        print(json.dumps(run_row(api, cap, args.size_mb * 1024 * 1024)), flush=True)


if __name__ == "__main__":
    main()
