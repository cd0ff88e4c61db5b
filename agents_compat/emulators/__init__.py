"""One emulator per backend family. ``create(name, model, options)`` builds one by family name."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import ApiError, Emulator, Faults, HttpReply, HttpRequest
from .gomodel import GoModelEmulator
from .litellm import LiteLLMEmulator
from .llamacpp import LlamaCpp4227c9bEmulator, LlamaCppEmulator
from .llamacpppython import LlamaCppPythonEmulator
from .lmstudio import LMStudioEmulator
from .ollama import OllamaEmulator
from .openai import OpenAIEmulator
from .vllm import VLLMEmulator

EMULATORS: dict[str, type[Emulator]] = {
    cls.family: cls
    for cls in (
        OpenAIEmulator,
        OllamaEmulator,
        GoModelEmulator,
        LlamaCppEmulator,
        LlamaCppPythonEmulator,
        VLLMEmulator,
        LMStudioEmulator,
        LiteLLMEmulator,
    )
}
EMULATORS["llamacpp-4227c9b"] = LlamaCpp4227c9bEmulator  # a release twin, named by its profile's `emulator`


def create(name: str, model: str, options: Mapping[str, Any] | None = None) -> Emulator:
    try:
        cls = EMULATORS[name]
    except KeyError:
        raise ValueError(f"no emulator named {name!r}; known: {', '.join(sorted(EMULATORS))}") from None
    return cls(model, dict(options or {}))


__all__ = ["EMULATORS", "ApiError", "Emulator", "Faults", "HttpReply", "HttpRequest", "create"]
