"""Ollama: ``ollama serve`` with its own model store; the model is imported through its API once it answers."""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from importlib import resources
from pathlib import Path
from typing import Any

from .base import LaunchFailed, Plan, Recipe, Running, get, post


class Ollama(Recipe):
    kind = "ollama"

    def plan(
        self, port: int, model: str, model_file: Path, upstream: Running | None, in_container: bool, stack: ExitStack
    ) -> Plan:
        env = {"OLLAMA_HOST": f"127.0.0.1:{port}", "OLLAMA_NOPRUNE": "1"}
        # Ollama v0.24.0 fetches model recommendations from its website at start and about every 17 min
        # (server/model_recommendations.go, refresh), and hydrates a cloud model cache at start
        # (server/model_show_cache.go, hydrateCloud); both stop when OLLAMA_NO_CLOUD is set
        # (envconfig/config.go, NoCloud). Pulls reach its registry too, and the harness never pulls.
        env["OLLAMA_NO_CLOUD"] = "1"
        return Plan(["serve", *self.spec.args], env, {})

    def process_env(self, stack: ExitStack) -> dict[str, str]:
        # its own model store, not the user's ~/.ollama, removed afterwards
        return {"OLLAMA_MODELS": stack.enter_context(tempfile.TemporaryDirectory(prefix="compat-ollama-"))}

    def container(self) -> Any:
        # testcontainers' own Ollama module: it also waits for "Listening on" in the log.
        from testcontainers.community.ollama import OllamaContainer

        return OllamaContainer(image=self.spec.image)

    def ready(self, url: str, model: str) -> bool:
        return get(f"{url}/api/version")[0] == 200

    def reported_version(self, url: str, logs: Callable[[], str]) -> str:
        return str((get(f"{url}/api/version")[1] or {}).get("version", ""))

    def prepare(self, url: str, model: str, model_file: Path) -> None:
        try:
            _import(url, model, model_file, self.spec.template)
        except LaunchFailed as exc:
            raise LaunchFailed(f"importing {model}: {exc}") from None


def _import(url: str, model: str, model_file: Path, template_name: str) -> None:
    """Create ``model`` in Ollama from the packaged GGUF, with a ChatML template that has tool calls.

    Through the API (upload the blob, then create), so a pulled upstream image works the same way.
    """
    if _has(url, model):
        return
    weights = model_file.read_bytes()
    digest = "sha256:" + hashlib.sha256(weights).hexdigest()
    post(f"{url}/api/blobs/{digest}", weights, content_type="application/octet-stream")
    template = resources.files("agents_compat").joinpath("templates", template_name).read_text(encoding="utf-8")
    request = {
        "model": model,
        "files": {model_file.name: digest},
        "template": template,
        # as for llama-server: temperature 0 for repeatable answers, num_predict caps a rambling model
        "parameters": {
            "stop": ["<|im_start|>", "<|im_end|>"],
            "temperature": 0,
            "num_ctx": 8192,
            "num_predict": 128,
            "num_thread": 1,  # as for llama-server: one thread is the faster on a busy 2-core machine
        },
        "stream": False,
    }
    post(f"{url}/api/create", json.dumps(request).encode())
    if not _has(url, model):  # readiness: Ollama answers *and* lists the model
        raise LaunchFailed(f"{model} is not in /api/tags after /api/create")


def _has(url: str, model: str) -> bool:
    tagged = model if ":" in model else f"{model}:latest"  # Ollama lists an untagged name as name:latest
    return tagged in {m.get("name") for m in (get(f"{url}/api/tags")[1] or {}).get("models", [])}
