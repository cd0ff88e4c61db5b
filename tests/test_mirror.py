"""Tests mirror modules: tests/README.md maps every harness module to the test files that exercise it.

The scenarios (agents_compat/scenarios/) are tests themselves, and a package's __init__.py that only names
the package holds nothing to test: neither has a row.

A module is exercised by a test file that imports it or a name defined in it (through a package that
re-exports the name too), creates its emulator by family name (``create("ollama", ...)``), runs it
with ``python -m``, or, for the plugin, takes pytest's ``pytester`` fixture: every pytest run loads the
plugin through its entry point. Read from the source, not from a run: the check costs no scenario.
"""

from __future__ import annotations

import ast
import importlib
import re
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TESTS = ROOT / "tests"
ROW = re.compile(r"^\|\s*`(agents_compat/[^`]+\.py)`\s*\|(.*)\|\s*$")


SCENARIOS = ROOT / "agents_compat" / "scenarios"  # tests themselves: every `pytest` here collects them


def _defines_nothing(path: Path) -> bool:
    """An __init__.py that only names its package (a docstring, or nothing): there is nothing to test in it."""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return path.name == "__init__.py" and all(
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) for node in body
    )


def harness_modules() -> dict[str, str]:
    """'agents_compat/judging/classify/core.py' -> 'agents_compat.judging.classify.core', for every module."""
    found = {}
    for path in sorted((ROOT / "agents_compat").rglob("*.py")):
        if path.is_relative_to(SCENARIOS) or _defines_nothing(path):
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[path.relative_to(ROOT).as_posix()] = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
    return found


def mapping() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in (TESTS / "README.md").read_text(encoding="utf-8").splitlines():
        if found := ROW.match(line):
            rows[found[1]] = re.findall(r"`(test_[^`]+\.py)`", found[2])
    return rows


def _defined_in(obj: Any) -> set[str]:
    classes = obj.__mro__ if isinstance(obj, type) else (obj,)
    where = {getattr(c, "__module__", None) for c in classes}
    return {w for w in where if isinstance(w, str) and w.split(".")[0] == "agents_compat"}


def _resolve(module: str, name: str) -> set[str]:
    """What ``name`` taken from ``module`` stands for: a submodule, or the modules that define the object."""
    try:
        importlib.import_module(f"{module}.{name}")
        return {f"{module}.{name}"}
    except ImportError:
        return {module} | _defined_in(getattr(importlib.import_module(module), name, None))


@cache
def exercised(test_file: str) -> frozenset[str]:
    from agents_compat.emulators import EMULATORS

    tree = ast.parse((TESTS / test_file).read_text(encoding="utf-8"))
    found: set[str] = set()
    modules: dict[str, str] = {}  # local name -> the harness module it is bound to
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "agents_compat":
                    found.add(alias.name)
                    modules[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "agents_compat":
                continue
            found.add(node.module)
            for alias in node.names:
                targets = _resolve(node.module, alias.name)
                found |= targets
                if f"{node.module}.{alias.name}" in targets:
                    modules[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules:
            found |= _resolve(modules[node.value.id], node.attr)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called == "create" and node.args[0].value in EMULATORS:
                found |= _defined_in(EMULATORS[node.args[0].value])
        elif isinstance(node, ast.arg) and node.arg == "pytester":
            found.add("agents_compat.plugin")
        elif isinstance(node, ast.List | ast.Tuple):
            words = [e.value for e in node.elts if isinstance(e, ast.Constant)]
            found |= {f"{words[i + 1]}.__main__" for i in range(len(words) - 1) if words[i] == "-m"}
    return frozenset(found)


def test_every_harness_module_has_a_row_and_every_row_a_module() -> None:
    modules, rows = harness_modules(), mapping()
    missing = [path for path in modules if path not in rows]
    assert not missing, (
        f"no row in tests/README.md for {', '.join(missing)}: "
        "add one each, like | `agents_compat/new.py` | `test_new.py` |"
    )
    gone = [path for path in rows if path not in modules]
    assert not gone, f"tests/README.md maps modules that no longer exist: {', '.join(gone)}"


def test_every_row_names_test_files_that_exist_and_exercise_its_module() -> None:
    modules = harness_modules()
    wrong = []
    for path, files in mapping().items():
        if path not in modules:
            continue  # the test above names it
        if not files:
            wrong.append(f"{path}: no test file named")
        for name in files:
            if not (TESTS / name).is_file():
                wrong.append(f"{path}: {name} does not exist")
            elif modules[path] not in exercised(name):
                wrong.append(f"{path}: {name} does not exercise {modules[path]}")
    assert not wrong, "\n".join(wrong)


def test_every_test_file_is_in_the_readme() -> None:
    listed = set(re.findall(r"`(test_[^`]+\.py)`", (TESTS / "README.md").read_text(encoding="utf-8")))
    unlisted = sorted(p.name for p in TESTS.glob("test_*.py") if p.name not in listed)
    assert not unlisted, f"tests/README.md does not list {', '.join(unlisted)}"


def test_the_check_can_tell_an_unrelated_file() -> None:
    assert "agents_compat.judging.evidence" in exercised("test_evidence.py")
    assert "agents_compat.emulators.vllm" in exercised("test_emulators.py")  # create("vllm", ...)
    assert "agents_compat.__main__" in exercised("test_main.py")  # python -m agents_compat
    assert "agents_compat.plugin" in exercised("test_plugin.py")  # pytester
    assert "agents_compat.judging.evidence" not in exercised("test_options.py")
