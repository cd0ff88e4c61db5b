"""How merging scales: `agents-compat merge` over 100, 300 and 1,000 reports of 20 rows x 20 features.

Run it with ``python benchmarks/bench_merge.py [--sizes 100,300,1000]`` (a script, not a test). For each size
it writes that many synthetic reports (each a valid ``Report``: the same 20 rows run again and again, over
two SDK versions and two server versions, one cell in 25 flipping between runs, each cell with a reason and
one small exchange), then times `agents-compat merge` on them in a fresh process per size: read every file,
merge, render and write the merged JSON, Markdown and HTML. It prints the wall and CPU seconds (CPU is steadier
on a shared machine), peak RSS and the merged JSON's size per size, and the growth per report against the
smallest size (1.0 is linear). The target:
well under a minute at 1,000 on a 2-core machine (issue #28). tests/test_benchmarks.py runs it once on
tiny input so it cannot rot.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROWS, FEATURES = 20, 20
SDKS = ({"openai-agents": "0.17.0", "openai": "2.26.0"}, {"openai-agents": "0.24.0", "openai": "3.63.0"})
OUTCOMES = ("supported", "ignored", "unsupported", "broken")
START = datetime(2026, 1, 1, tzinfo=UTC)  # one run an hour


def exchange(row: int, feature: int) -> dict[str, Any]:
    request = {"method": "POST", "url": "http://127.0.0.1:8000/v1/chat/completions", "headers": {}}
    request["body"] = {"model": "m", "messages": [{"role": "user", "content": f"row {row} feature {feature}"}]}
    body = {"choices": [{"message": {"role": "assistant", "content": "PONG"}}]}
    return {"request": request, "response": {"status": 200, "headers": {}, "body": body, "streamed": False}}


def report(index: int, rows: int = ROWS, features: int = FEATURES) -> dict[str, Any]:
    """Run ``index`` of the history: a whole, valid report (checked by the model when it is read)."""
    sdk = SDKS[index % 2]
    names = [f"backend-{r:02d}" for r in range(rows)]
    ids = [f"feature_{f:02d}" for f in range(features)]
    cells = []
    for r, name in enumerate(names):
        for f, feature in enumerate(ids):
            flips = (r * features + f) % 25 == 0  # one cell in 25 changes from run to run
            outcome = OUTCOMES[(index if flips else r + f) % len(OUTCOMES)]
            cells.append(
                {
                    "backend": name, "feature": feature, "tier": "mocked", "outcome": outcome, "expected": None,
                    "reason": f"{name} {feature}: {outcome} in run {index}", "exchanges": [exchange(r, f)],
                }
            )  # fmt: skip
    verdict = {"passed": True, "cells": len(cells), "differing": [], "inconclusive": [], "baseline": False}
    return {
        "verdict": verdict | {"lost": [], "not_ready": [], "not_ready_fails": False},
        "generated_at": (START + timedelta(hours=index)).isoformat(timespec="seconds"),
        "versions": {**sdk, "python": "3.11.7"},
        "features": [{"id": f, "short": f[-2:], "verifies": ""} for f in ids],
        "backends": [
            {
                "name": n,
                "family": "custom",
                "api": "chat_completions",
                "model": "m",
                "tier": "mocked",
                "version": f"1.{index // 500}",
                "description": "",
            }
            for n in names
        ],  # fmt: skip
        "cells": cells,
        "readiness": [],
        "mocked_vs_live": [],
    }


def write_reports(folder: Path, count: int, rows: int = ROWS, features: int = FEATURES) -> list[Path]:
    paths = []
    for index in range(count):
        path = folder / f"run-{index:04d}.json"
        path.write_text(json.dumps(report(index, rows, features)), encoding="utf-8")
        paths.append(path)
    return paths


def child(folder: Path) -> None:
    """The measured process: `agents-compat merge` on the folder's reports; prints this process's CPU seconds
    and peak RSS (the command's own output goes to /dev/null)."""
    from agents_compat import cli

    paths = sorted(str(p) for p in folder.glob("run-*.json"))
    out = folder / "merged" / "compat-matrix.json"
    with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet):
        code = cli.main(["merge", *paths, "-o", str(out)])
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"code": code, "peak_kib": used.ru_maxrss, "cpu": used.ru_utime + used.ru_stime}))


def measure(count: int, rows: int = ROWS, features: int = FEATURES) -> dict[str, Any]:
    """One size in a fresh process (its imports included): wall and CPU seconds, peak RSS, the merged JSON."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_reports(folder, count, rows, features)
        started = time.perf_counter()
        # Not a CI step's: the command would append its Markdown to the step summary and its outputs.
        env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")}
        command = [sys.executable, __file__, "--child", tmp]
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
        wall = time.perf_counter() - started
        found = json.loads(done.stdout or "{}")
        # Exit 1 is a failed merged verdict (this history's flipping cells are undeclared: it passes), 2 bad input.
        if done.returncode or found.get("code") != 0:
            raise SystemExit(f"merging {count} reports failed ({done.returncode}, {found}):\n{done.stderr[-2000:]}")
        merged = json.loads((folder / "merged" / "compat-matrix.json").read_text(encoding="utf-8"))
        assert len(merged["sources"]) == count and len(merged["cells"]) == rows * features
        size = (folder / "merged" / "compat-matrix.json").stat().st_size
    return {
        "count": count,
        "wall": wall,
        "cpu": found["cpu"],
        "peak_mib": found["peak_kib"] / 1024,
        "json_mib": size / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000", help="how many reports to merge, ascending")
    parser.add_argument("--child", default=None, metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(Path(args.child))
    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"merging N reports of {ROWS} rows x {FEATURES} features (fresh process per size; {os.cpu_count()} CPUs):")
    results = [measure(n) for n in sizes]
    base = results[0]
    for r in results:
        growth = (r["wall"] / r["count"]) / (base["wall"] / base["count"])
        cpu_growth = (r["cpu"] / r["count"]) / (base["cpu"] / base["count"])
        print(
            f"  {r['count']:>5}: {r['wall']:6.2f} s wall, {r['cpu']:6.2f} s CPU, peak RSS "
            f"{r['peak_mib']:.0f} MiB, merged JSON {r['json_mib']:.0f} MiB; per report x{growth:.2f} wall, "
            f"x{cpu_growth:.2f} CPU of N={base['count']}'s"
        )


if __name__ == "__main__":
    main()
