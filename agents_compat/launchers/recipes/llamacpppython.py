"""llama-cpp-python's own server (``python -m llama_cpp.server``): its model is loaded before it listens."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

from .base import Plan, Running, get
from .python import PythonServer, interpreter

LIBRARY_LINK = "llama.cpp-lib"  # scripts/live-setup: the venv's link to the libllama.so it linked


class LlamaCppPython(PythonServer):
    kind = "llama-cpp-python"
    distribution = "llama_cpp_python"

    def plan(
        self, port: int, model: str, model_file: Path, upstream: Running | None, in_container: bool, stack: ExitStack
    ) -> Plan:
        # llama_cpp/llama_cpp.py loads libllama from LLAMA_CPP_LIB_PATH when set (else from its package, as a
        # normal `pip install` builds it). The server fetches only with --hf_model_repo_id
        # (llama_cpp/server/model.py, Llama.from_pretrained), which is never given.
        library = interpreter(self.spec).parent.parent / LIBRARY_LINK
        env = {"LLAMA_CPP_LIB_PATH": str(library)} if (library / "libllama.so").is_file() else {}
        argv = [*self.guard(), "-m", "llama_cpp.server", "--model", str(model_file), "--model_alias", model]
        # One thread for generation and for prompts, as llama-server and Ollama get: on a busy 2-core machine
        # two threads wait on each other's barrier (its defaults are half the cores and all of them).
        # --n_ctx 512: the server has no cap on an answer's length (a request without max_tokens generates until
        # the context is full), and the SDK sends none. Measured here with SmolLM2: with 8192 a rambling answer
        # outlived the 120 s cell timeout, with 2048 one ran to 2017 tokens in 100 s (parallel_tool_calls);
        # the longest prompt of the 20 cells was 65 tokens, so 512 bounds a ramble and still fits every prompt.
        argv += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "512", "--n_threads", "1"]
        argv += ["--n_threads_batch", "1"]
        return Plan([*argv, *self.spec.args], env, {})

    def ready(self, url: str, model: str) -> bool:
        return get(f"{url}/v1/models")[0] == 200  # its model is loaded before uvicorn listens
