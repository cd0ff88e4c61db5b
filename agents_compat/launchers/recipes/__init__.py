"""One launch recipe per server kind. ``recipe_for(spec)`` builds the one for ``spec.kind``."""

from __future__ import annotations

from ...config.profiles import ServerSpec
from .base import LaunchFailed, Plan, Recipe, Running
from .gomodel import GoModel
from .litellm import LiteLLM
from .llamacpppython import LlamaCppPython
from .llamaserver import LlamaServer
from .ollama import Ollama

RECIPES: dict[str, type[Recipe]] = {cls.kind: cls for cls in (LlamaServer, Ollama, GoModel, LiteLLM, LlamaCppPython)}


def recipe_for(spec: ServerSpec) -> Recipe:
    try:
        cls = RECIPES[spec.kind]
    except KeyError:
        known = ", ".join(sorted(RECIPES))
        raise ValueError(f"no launch recipe for server kind {spec.kind!r}; known: {known}") from None
    return cls(spec)


__all__ = ["RECIPES", "LaunchFailed", "Plan", "Recipe", "Running", "recipe_for"]
