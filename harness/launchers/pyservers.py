"""Python servers from PyPI for live rows: LiteLLM's proxy and llama-cpp-python's own server.

Each runs as a process from its own virtualenv (scripts/live-setup makes ``$COMPAT_CACHE_DIR/venvs/NAME``;
their pins clash with the harness's and with each other's), under ``loopback_guard.py``: a process cannot
get the loopback resolv.conf a container gets, so the guard refuses, inside the interpreter, every look-up,
connection and bind that is not loopback, and prints each refusal for harness/launchers/outbound.py.
On top of that each recipe turns off the server's own fetches, citing where in its source they are.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from ..prerequisites import SETUP_COMMAND, MissingPrerequisite, cache_dir
from ..profiles import ServerSpec

KINDS = frozenset({"litellm", "llama-cpp-python"})
GUARD = Path(__file__).with_name("loopback_guard.py")
# LiteLLM refuses to start with its documented example key sk-1234 (proxy/auth/master_key_boot_check.py,
# PUBLICLY_KNOWN_MASTER_KEY_SHA256_DIGESTS); this one guards a throw-away proxy on 127.0.0.1.
LITELLM_MASTER_KEY = "sk-compat-harness-local"
RUNNING = re.compile(r"compat-harness loopback guard: running (\S+) (\S+)")  # loopback_guard.py's first line
DISTRIBUTIONS = {"litellm": "litellm", "llama-cpp-python": "llama_cpp_python"}


def interpreter(spec: ServerSpec) -> Path:
    """The Python of the server's virtualenv: ``binary`` names it under the cache's venvs/, or is a path."""
    given = Path(spec.binary)
    python = given if given.is_absolute() else cache_dir() / "venvs" / spec.binary / "bin" / "python"
    if not python.is_file():
        raise MissingPrerequisite(
            f"{spec.kind} {spec.version} is not installed at {python.parent.parent}: run {SETUP_COMMAND}"
        )
    return python


LIBRARY_LINK = "llama.cpp-lib"  # scripts/live-setup: the venv's link to the libllama.so it linked


def command(
    spec: ServerSpec, port: int, model: str, model_file: Path, upstream_url: str | None, stack: ExitStack
) -> tuple[list[str], dict[str, str]]:
    """The guarded command line (after the interpreter, ``interpreter(spec)``) and the environment."""
    python = interpreter(spec)
    guard = [str(GUARD), "--version-of", DISTRIBUTIONS[spec.kind]]
    if spec.kind == "litellm":
        assert upstream_url is not None  # the validator requires an upstream for litellm
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="compat-litellm-")))
        config = folder / "config.yaml"
        config.write_text(_litellm_config(model, spec.upstream_model, upstream_url), encoding="utf-8")
        env = {
            # The model cost map is fetched from GitHub at import unless this is true
            # (litellm/litellm_core_utils/get_model_cost_map.py, get_model_cost_map and the runtime reload).
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            # Usage telemetry: off unless consented, and this vetoes it outright (litellm/proxy/telemetry/
            # settings.py, TelemetrySettings.disabled). tiktoken's encodings come from the package's own
            # folder (litellm/litellm_core_utils/default_encoding.py sets TIKTOKEN_CACHE_DIR), not the web.
            "LITELLM_TELEMETRY_DISABLED": "true",
            # Its other remote JSON/RSS files, each with a bundled copy, are fetched on demand only (the
            # Anthropic beta-header map by the HTTP handler, the rest by UI and management routes the harness
            # never calls): anthropic_beta_headers_manager.py, get_blog_posts.py, public_endpoints.py,
            # policy_endpoints/endpoints.py. Pinned to the bundled copies all the same.
            "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
            "LITELLM_LOCAL_BLOG_POSTS": "True",
            "LITELLM_LOCAL_AUTOROUTER_PRESETS": "True",
            "LITELLM_LOCAL_POLICY_TEMPLATES": "True",
        }
        script = python.parent / "litellm"  # the console script pip made: litellm.proxy.proxy_cli:run_server
        argv = [*guard, "--script", str(script), "--config", str(config), "--host", "127.0.0.1", "--port", str(port)]
        return [*argv, *spec.args], env
    # llama-cpp-python: llama_cpp/llama_cpp.py loads libllama from LLAMA_CPP_LIB_PATH when set (else from
    # its package, as a normal `pip install` builds it). The server fetches only with --hf_model_repo_id
    # (llama_cpp/server/model.py, Llama.from_pretrained), which is never given.
    library = python.parent.parent / LIBRARY_LINK
    env = {"LLAMA_CPP_LIB_PATH": str(library)} if (library / "libllama.so").is_file() else {}
    argv = [*guard, "-m", "llama_cpp.server", "--model", str(model_file), "--model_alias", model]
    # One thread for generation and for prompts, as llama-server and Ollama get (servers.py): on a busy 2-core
    # machine two threads wait on each other's barrier (its defaults are half the cores and all of them).
    # --n_ctx 512: the server has no cap on an answer's length (a request without max_tokens generates until
    # the context is full), and the SDK sends none. Measured here with SmolLM2: with 8192 a rambling answer
    # outlived the 120 s cell timeout, with 2048 one ran to 2017 tokens in 100 s (parallel_tool_calls);
    # the longest prompt of the 20 cells was 65 tokens, so 512 bounds a ramble and still fits every prompt.
    argv += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "512", "--n_threads", "1"]
    argv += ["--n_threads_batch", "1"]
    return [*argv, *spec.args], env


def _litellm_config(model: str, upstream_model: str, upstream_url: str) -> str:
    """One public model on the Ollama upstream's native chat API; no database, so no key management.

    Two settings keep an abandoned request from holding the upstream (measured here with LiteLLM 1.108.7
    and Ollama 0.24.0): without ``cancel_on_disconnect`` a non-streamed request whose client hung up (a
    cell's timeout) ran on in Ollama to its last token while the next cells queued behind it, and Ollama
    serves one request at a time on CPU: that cascade is what timed the row out under load. Client cuts
    after 2 s: the next request waited 6.5 s behind them (0.2 s straight to Ollama, which stops a
    generation whose client left). ``num_retries: 0``: the router retries a failed call twice by default
    (router.py, ``openai.DEFAULT_MAX_RETRIES``), which would re-run a slow generation and hide the
    upstream's first answer, as the harness's own client does not retry either.
    """
    return (
        "model_list:\n"
        f"  - model_name: {model}\n"
        "    litellm_params:\n"
        f"      model: ollama_chat/{upstream_model}\n"
        f"      api_base: {upstream_url}\n"
        "router_settings:\n"
        "  num_retries: 0\n"
        "general_settings:\n"
        f"  master_key: {LITELLM_MASTER_KEY}\n"
        # proxy/_types.py ConfigGeneralSettings.cancel_on_disconnect; proxy/common_request_processing.py
        "  cancel_on_disconnect: true\n"
    )


def reported_version(logs: Callable[[], str]) -> str:
    """The installed version the guard printed as the server started."""
    found = RUNNING.search(logs())
    return found.group(2) if found else ""
