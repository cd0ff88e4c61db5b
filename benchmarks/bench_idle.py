"""What installing the package costs a project's pytest runs that collect none of the scenario suites.

Run it with ``python benchmarks/bench_idle.py [--runs N]`` (a script, not a test). It times a one-test
pytest run in a fresh process, with the plugin (registered by the ``pytest11`` entry point, as in any
project that installs the package) and without it (``-p no:agents_compat.plugin``), alternating the two so a
drift of the machine's speed hits both, and prints the medians and the overhead. The target is at most
10% (README, "Use it in your own repo"). tests/test_idle.py checks the cause: such a run imports neither
the SDK nor the profiles and changes no process state.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEST = "def test_one():\n    assert 1 + 1 == 2\n"


def one_run(folder: Path, *extra: str) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra, "test_one.py"],
        cwd=folder,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"pytest failed:\n{done.stdout}{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="timed runs of each (default 10, after one warm-up)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_one.py").write_text(TEST)
        one_run(folder), one_run(folder, "-p", "no:agents_compat.plugin")  # warm the file cache
        with_plugin, without = [], []
        for _ in range(args.runs):
            with_plugin.append(one_run(folder))
            without.append(one_run(folder, "-p", "no:agents_compat.plugin"))
    a, b = statistics.median(with_plugin), statistics.median(without)
    ratios = sorted(x / y for x, y in zip(with_plugin, without, strict=True))
    print(f"one-test pytest run, {args.runs} runs each, alternating (median wall seconds):")
    print(f"  with the plugin     {a:.3f} s  (min {min(with_plugin):.3f}, max {max(with_plugin):.3f})")
    print(f"  -p no:agents_compat.plugin {b:.3f} s  (min {min(without):.3f}, max {max(without):.3f})")
    paired = statistics.median(ratios)
    print(f"  overhead            {100 * (a / b - 1):+.1f}% (median of pairwise ratios {paired:.3f})")


if __name__ == "__main__":
    main()
