"""llama.cpp's llama-server: the model file on its command line, ready when /health is 200."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from ..prerequisites import cache_dir
from .base import MODEL_DIR, Plan, Recipe, Running, get

LLAMA_TEMPLATE_IN_IMAGE = "/app/templates/chatml-tools.jinja"  # put there by scripts/live-setup


class LlamaServer(Recipe):
    kind = "llama-server"

    def plan(
        self, port: int, model: str, model_file: Path, upstream: Running | None, in_container: bool, stack: ExitStack
    ) -> Plan:
        # No fetch of its own: it downloads only when given -hf/-mu/--model-url, and scripts/live-setup
        # builds it with LLAMA_CURL=OFF, so even those cannot reach out (common/arg.cpp at 0c1e570).
        model_dir = MODEL_DIR if in_container else str(model_file.parent)
        args = ["-m", f"{model_dir}/{model_file.name}", "--host", "127.0.0.1", "--port", str(port)]
        # --temp 0: the same question gets the same answer, so live runs compare run to run;
        # -n 128: a rambling small model cannot hold a cell for minutes (requests are left as the SDK sent them);
        # -t 1: on a busy 2-core machine two threads wait on each other's barrier: measured 0.3-0.5 tokens/s
        # against 6 with one; --no-repack: repacked weights take ggml's AMX path on a CPU that has AMX, and
        # both pinned builds died there with a general protection fault (seen on a Xeon with amx_int8).
        args += ["--alias", model, "--jinja", "-c", "8192", "--temp", "0", "-n", "128", "-t", "1", "--no-repack"]
        template = self._template(in_container)
        if template:
            args += ["--chat-template-file", template]
        mounts = {str(model_file.parent): MODEL_DIR} if in_container else {}
        if in_container and (host_template := self._cached_template()) is not None:
            mounts[str(host_template)] = LLAMA_TEMPLATE_IN_IMAGE  # the upstream image carries no templates
        return Plan(args + self.spec.args, {}, mounts)

    def _template(self, in_container: bool) -> str | None:
        """A ChatML template with tool calls (SmolLM2 speaks ChatML); without one the GGUF's own, tool-less one."""
        if in_container:
            return LLAMA_TEMPLATE_IN_IMAGE
        binary = shutil.which(self.spec.binary)
        beside = Path(binary).parent / "templates" / "chatml-tools.jinja" if binary else None
        return str(beside) if beside and beside.is_file() else None

    def _cached_template(self) -> Path | None:
        """The template scripts/live-setup took from llama.cpp's source, for an image pulled from its registry."""
        found = cache_dir() / "bin" / f"llama-server-{self.spec.version}" / "templates" / "chatml-tools.jinja"
        return found if found.is_file() else None

    def ready(self, url: str, model: str) -> bool:
        return get(f"{url}/health")[0] == 200

    def reported_version(self, url: str, logs: Callable[[], str]) -> str:
        return str((get(f"{url}/props")[1] or {}).get("build_info", ""))
