"""Time the live tier (docs/live-tier.md): its set-up command, then `pytest -m live`, and where the run spends its time.

    python benchmarks/bench_live.py                # set-up (cached if it ran before) + the live run
    python benchmarks/bench_live.py --skip-setup   # the live run only

For a cold set-up, point COMPAT_CACHE_DIR (and Go's GOCACHE/GOMODCACHE) at empty folders and remove
the images first (`podman rmi ollama/ollama:0.24.0 ghcr.io/ggml-org/llama.cpp:server-b11312
localhost/compat-harness/llama.cpp:server-4227c9b`).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(argv: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    code = subprocess.call(argv, cwd=ROOT)
    return time.perf_counter() - started, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-setup", action="store_true")
    args = parser.parse_args()
    if not args.skip_setup:
        seconds, code = timed(["scripts/live-setup", "--python", sys.executable])
        print(f"set-up: {seconds:.1f} s (exit {code})")
        if code:
            return code
    with tempfile.TemporaryDirectory() as out:
        seconds, code = timed([sys.executable, "-m", "pytest", "-m", "live", "-q", f"--compat-report-dir={out}"])
        print(f"live run: {seconds:.1f} s (pytest exit {code})")
        report = json.loads((Path(out) / "compat-matrix.json").read_text())
    per_row: dict[str, list[float]] = defaultdict(list)
    for cell in report["cells"]:
        per_row[cell["backend"]].append(cell["seconds"])
    versions = {b["name"]: b["version"] for b in report["backends"]}
    for row, times in per_row.items():
        print(
            f"  {row:<32} {versions.get(row) or '-':<12} {len(times):>2} cells  {sum(times):6.1f} s  "
            f"slowest {max(times):5.1f} s"
        )
    return code


if __name__ == "__main__":
    sys.exit(main())
