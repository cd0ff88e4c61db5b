"""The launch recipes' registry: one recipe per server kind, and a clear error for a kind without one."""

from __future__ import annotations

import typing
from contextlib import ExitStack
from pathlib import Path

import pytest

from agents_compat.config.profiles import GATEWAY_KINDS, PYTHON_KINDS, ServerKind, load_servers
from agents_compat.launchers.recipes import RECIPES, Running, recipe_for
from agents_compat.launchers.recipes.gomodel import GoModel
from agents_compat.launchers.recipes.litellm import LiteLLM
from agents_compat.launchers.recipes.llamacpppython import LlamaCppPython
from agents_compat.launchers.recipes.llamaserver import LlamaServer
from agents_compat.launchers.recipes.ollama import Ollama
from agents_compat.launchers.recipes.python import PythonServer


def test_every_server_kind_a_profile_may_name_has_exactly_its_recipe() -> None:
    assert set(RECIPES) == set(typing.get_args(ServerKind))
    assert {cls.kind: cls for cls in (LlamaServer, Ollama, GoModel, LiteLLM, LlamaCppPython)} == RECIPES
    # the Python kinds the profiles validate as processes are the recipes that run under the guard
    assert {kind for kind, cls in RECIPES.items() if issubclass(cls, PythonServer)} == set(PYTHON_KINDS)


@pytest.mark.parametrize("name", sorted(load_servers()))
def test_each_built_in_server_gets_the_recipe_of_its_kind(name: str) -> None:
    spec = load_servers()[name]
    recipe = recipe_for(spec)
    assert recipe.kind == spec.kind and recipe.spec is spec


def test_a_kind_without_a_recipe_is_a_clear_error_listing_the_known_kinds() -> None:
    spec = load_servers()["ollama"].model_copy(update={"kind": "vllm"})  # model_copy does not validate
    with pytest.raises(ValueError) as caught:
        recipe_for(spec)
    assert str(caught.value) == (
        "no launch recipe for server kind 'vllm'; known: gomodel, litellm, llama-cpp-python, llama-server, ollama"
    )


@pytest.mark.parametrize("kind", GATEWAY_KINDS)
def test_a_gateway_recipe_needs_its_upstream(kind: str) -> None:
    spec = next(s for s in load_servers().values() if s.kind == kind)
    upstream = Running("ollama", "http://127.0.0.1:11434", "0.24.0", str, str)
    with ExitStack() as stack, pytest.raises(AssertionError):
        recipe_for(spec).plan(4000, "m", Path("/m.gguf"), None, False, stack)
    if kind == "gomodel":  # litellm's plan needs its virtualenv: tests/test_pyservers.py runs it
        with ExitStack() as stack:
            plan = recipe_for(spec).plan(4000, "m", Path("/m.gguf"), upstream, False, stack)
        assert plan.env["OLLAMA_BASE_URL"] == "http://127.0.0.1:11434/v1"
