"""Dependencies: only their public API is used, and constraints.txt pins every one the package asks for.

A private attribute is the first thing a dependency's release removes (tomlkit 0.15.3 removed
``Container._insert_after``, and ``agents-compat accept`` crashed for every new install). The scan reads the
source, not a run: an attribute whose name starts with ``_`` may be read only on ``self``/``cls`` or when
the project itself defines that name; anything else is another project's private.
"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ("agents_compat", "tests", "benchmarks", "scripts")
# Documented public API despite the underscore: os._exit is how a forked child leaves without running the
# parent's clean-up (https://docs.python.org/3/library/os.html#os._exit).
PUBLIC_DESPITE_UNDERSCORE = {"_exit"}


def sources() -> dict[Path, ast.Module]:
    files = [path for folder in SOURCES for path in sorted((ROOT / folder).rglob("*.py"))]
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in [*files, ROOT / "conftest.py"]}


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def defined_names(trees: dict[Path, ast.Module]) -> set[str]:
    """Every name the project defines: functions, classes, assigned names and attributes, parameters."""
    names: set[str] = set()
    for tree in trees.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return names


def foreign_private_uses(trees: dict[Path, ast.Module]) -> list[str]:
    ours = defined_names(trees) | PUBLIC_DESPITE_UNDERSCORE
    found = []
    for path, tree in trees.items():
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Attribute):
                if not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls")):
                    names = [node.attr]
            elif isinstance(node, ast.ImportFrom):
                names = [alias.name for alias in node.names]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("getattr", "setattr", "hasattr", "delattr")
                and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant)
                and isinstance(node.args[1].value, str)
            ):
                names = [node.args[1].value]
            found += [f"{where}:{node.lineno}: {name}" for name in names if private(name) and name not in ours]
    return sorted(found)


def test_no_private_attribute_of_a_dependency_is_used() -> None:
    assert foreign_private_uses(sources()) == []


def test_the_scan_finds_what_broke_accept() -> None:
    # The line accept.py had until tomlkit 0.15.3, and an enum's private map: both must be reported.
    trees = sources()
    trees[ROOT / "agents_compat" / "old_accept.py"] = ast.parse(
        "table.value._insert_after(keys[-1].key, key, value)\n"
        "ok = value in Outcome._value2member_map_\n"
        "from tomlkit.container import _NotSet\n"
    )
    assert foreign_private_uses(trees) == [
        "agents_compat/old_accept.py:1: _insert_after",
        "agents_compat/old_accept.py:2: _value2member_map_",
        "agents_compat/old_accept.py:3: _NotSet",
    ]


def requirement_name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def test_constraints_pin_every_dependency_of_the_package_and_its_dev_extra() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    wanted = {requirement_name(r) for r in [*project["dependencies"], *extras["dev"], *extras["live"]]}
    wanted -= {"agents-compat-harness"}  # the dev extra names the live one through the package itself
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    pins = dict(line.split("==", 1) for line in lines if line and not line.startswith("#"))
    pinned = {name.lower().replace("_", "-") for name in pins}
    assert wanted <= pinned, f"not pinned in constraints.txt: {sorted(wanted - pinned)} (scripts/update-constraints)"
    assert all(re.fullmatch(r"[0-9][0-9A-Za-z.+!-]*", version) for version in pins.values()), pins
