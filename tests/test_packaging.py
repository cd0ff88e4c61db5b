"""The wheel is what other projects install: it must hold every module and data file of the checkout."""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent
PACKAGES = ("agents_compat",)


def shipped_files() -> set[str]:
    """Every file under the packages that git tracks or would track (no caches)."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_the_wheel_holds_every_module_and_data_file(tmp_path: Path) -> None:
    # From a clean copy: setuptools reuses a checkout's build/lib, whose stale files would hide a missing package.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = tmp_path.glob("*.whl")
    # README's own-repo block installs it by this pattern (and .ci/run runs that block with this wheel).
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "pip install agents_compat_harness-*.whl" in readme and fnmatch.fnmatch(
        wheel.name, "agents_compat_harness-*.whl"
    )
    with zipfile.ZipFile(wheel) as archive:
        inside = {name for name in archive.namelist() if not name.split("/")[0].endswith(".dist-info")}
        entry_points = next(n for n in archive.namelist() if n.endswith(".dist-info/entry_points.txt"))
        assert "agents_compat.plugin = agents_compat.plugin" in archive.read(entry_points).decode()
    missing = sorted(shipped_files() - inside)
    assert not missing, f"left out of the wheel: {missing}"
    assert "agents_compat/judging/classify/__init__.py" in inside
