"""GoModel: a gateway in front of an Ollama upstream, ready when its model list has the model."""

from __future__ import annotations

import re
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from .base import Plan, Recipe, Running, lists_model

MASTER_KEY = "change-me"  # GoModel's master key for the harness's own throw-away gateway
START = re.compile(r'"msg":"starting gomodel","version":"([^"]+)"')  # cmd/gomodel/main.go's first log


class GoModel(Recipe):
    kind = "gomodel"

    def plan(
        self, port: int, model: str, model_file: Path, upstream: Running | None, in_container: bool, stack: ExitStack
    ) -> Plan:
        assert upstream is not None  # the validator requires an upstream
        env = {"PORT": str(port), "GOMODEL_MASTER_KEY": MASTER_KEY, "OLLAMA_BASE_URL": f"{upstream.url}/v1"}
        # GoModel fetches a model metadata list from GitHub at start and on refresh (config/cache.go,
        # cache.model_list.url / MODEL_LIST_URL; internal/modeldata/fetcher.go); an empty value is ignored by its
        # loader, so point it at a closed loopback port: nothing leaves 127.0.0.1. Its other outbound clients
        # (semantic-cache vector stores, embeddings, providers) run only when configured, and only the upstream
        # above (and the user's env_from) is.
        env["MODEL_LIST_URL"] = "http://127.0.0.1:9/models.min.json"
        return Plan(list(self.spec.args), env, {})

    def ready(self, url: str, model: str) -> bool:
        return lists_model(url, model, MASTER_KEY)

    def reported_version(self, url: str, logs: Callable[[], str]) -> str:
        # no version route; it logs its version as it starts
        found = START.search(logs())
        return found.group(1).removeprefix("v") if found else ""
