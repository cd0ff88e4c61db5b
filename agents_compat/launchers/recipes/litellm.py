"""LiteLLM's proxy: one public model routed to the Ollama upstream, ready when it lists the model."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack
from pathlib import Path

from .base import Plan, Running, lists_model
from .python import PythonServer, interpreter

# LiteLLM refuses to start with its documented example key sk-1234 (proxy/auth/master_key_boot_check.py,
# PUBLICLY_KNOWN_MASTER_KEY_SHA256_DIGESTS); this one guards a throw-away proxy on 127.0.0.1.
MASTER_KEY = "sk-compat-harness-local"


class LiteLLM(PythonServer):
    kind = "litellm"
    distribution = "litellm"

    def plan(
        self, port: int, model: str, model_file: Path, upstream: Running | None, in_container: bool, stack: ExitStack
    ) -> Plan:
        assert upstream is not None  # the validator requires an upstream for litellm
        python = interpreter(self.spec)
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="compat-litellm-")))
        config = folder / "config.yaml"
        config.write_text(_config(model, self.spec.upstream_model, upstream.url), encoding="utf-8")
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
        argv = [*self.guard(), "--script", str(script), "--config", str(config)]
        argv += ["--host", "127.0.0.1", "--port", str(port)]
        return Plan([*argv, *self.spec.args], env, {})

    def ready(self, url: str, model: str) -> bool:
        return lists_model(url, model, MASTER_KEY)


def _config(model: str, upstream_model: str, upstream_url: str) -> str:
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
        f"  master_key: {MASTER_KEY}\n"
        # proxy/_types.py ConfigGeneralSettings.cancel_on_disconnect; proxy/common_request_processing.py
        "  cancel_on_disconnect: true\n"
    )
