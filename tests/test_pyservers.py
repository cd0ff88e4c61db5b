"""Python servers (LiteLLM's proxy, llama-cpp-python's server): their recipes and the loopback guard they run under."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path

import pytest

from agents_compat.config.profiles import ServerSpec, load_servers
from agents_compat.launchers import loopback_guard
from agents_compat.launchers.live_servers import Running, ServerPool, launch
from agents_compat.launchers.outbound import attempts_in, is_loopback
from agents_compat.launchers.prerequisites import MissingPrerequisite
from agents_compat.launchers.recipes import litellm, llamacpppython, python, recipe_for

# -- the guard: what it refuses, without sending anything -----------------------------------------


class _Sock:
    def __init__(self, family: int) -> None:
        self.family = family


@pytest.mark.parametrize(
    ("event", "args"),
    [
        ("socket.getaddrinfo", ("raw.githubusercontent.com", 443, 0, 0, 0)),
        ("socket.getaddrinfo", (b"api.openai.com", 443, 0, 0, 0)),
        ("socket.gethostbyname", ("pypi.org",)),
        ("socket.connect", (_Sock(socket.AF_INET), ("192.0.2.7", 443))),
        ("socket.connect", (_Sock(socket.AF_INET6), ("2001:db8::1", 443, 0, 0))),
        ("socket.sendto", (_Sock(socket.AF_INET), ("10.0.0.2", 53))),
        ("socket.bind", (_Sock(socket.AF_INET), ("0.0.0.0", 4000))),
    ],
)
def test_the_guard_refuses_anything_off_loopback_and_says_so(
    event: str, args: tuple, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(OSError, match="compat-harness loopback guard"):
        loopback_guard._hook(event, args)
    [line] = capsys.readouterr().err.splitlines()
    [attempt] = attempts_in("litellm", line)  # the session's outbound check reads the same line
    assert not is_loopback(attempt.target) or attempt.target == "listeners on 0.0.0.0"


@pytest.mark.parametrize(
    ("event", "args"),
    [
        ("socket.getaddrinfo", ("127.0.0.1", 11434, 0, 0, 0)),
        ("socket.getaddrinfo", ("localhost", 80, 0, 0, 0)),
        ("socket.getaddrinfo", (None, 4000, 0, 0, 0)),
        ("socket.connect", (_Sock(socket.AF_INET), ("127.0.0.1", 11434))),
        ("socket.connect", (_Sock(socket.AF_INET6), ("::1", 8080, 0, 0))),
        ("socket.connect", (_Sock(socket.AF_UNIX), "/run/x.sock")),
        ("socket.bind", (_Sock(socket.AF_INET), ("127.0.0.1", 4000))),
        ("socket.bind", (_Sock(socket.AF_INET), ("", 0))),
        ("open", ("/etc/hosts", "r", 0)),
    ],
)
def test_the_guard_lets_loopback_through(event: str, args: tuple, capsys: pytest.CaptureFixture[str]) -> None:
    loopback_guard._hook(event, args)
    assert capsys.readouterr().err == ""


def test_a_guarded_server_listening_on_every_interface_is_stopped_and_reported(tmp_path: Path) -> None:
    """End to end in a child Python: the hook is installed before the server's code runs.

    Binding sends nothing, so this test is safe even if the guard were broken.
    """
    server = tmp_path / "server.py"
    server.write_text("import socket\nsocket.socket().bind(('0.0.0.0', 0))\nprint('listening')\n")
    guard = Path(loopback_guard.__file__)
    done = subprocess.run([sys.executable, str(guard), "--script", str(server)], capture_output=True, text=True)
    assert done.returncode != 0 and "listening" not in done.stdout
    [attempt] = attempts_in("srv", done.stderr)
    assert attempt.target == "listeners on 0.0.0.0"


# -- the recipes ------------------------------------------------------------------------------------


def _venv(cache: Path, name: str, scripts: dict[str, str]) -> None:
    """A stand-in virtualenv: its python is this interpreter, its console scripts are the given bodies."""
    bin_dir = cache / "venvs" / name / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python").symlink_to(sys.executable)
    for script, body in scripts.items():
        (bin_dir / script).write_text(textwrap.dedent(body))


def test_the_litellm_recipe_keeps_its_fetches_off_and_routes_to_the_upstream(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(tmp_path))
    spec = load_servers()["litellm"]
    _venv(tmp_path, spec.binary, {"litellm": ""})
    with ExitStack() as stack:
        upstream = Running("ollama", "http://127.0.0.1:11434", "0.24.0", str, str)
        plan = recipe_for(spec).plan(4000, "smollm2-135m", Path("/m.gguf"), upstream, False, stack)
        args, env = plan.args, plan.env
        config = Path(args[args.index("--config") + 1]).read_text()
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True" and env["LITELLM_TELEMETRY_DISABLED"] == "true"
    assert all(env[f"LITELLM_LOCAL_{name}"] == "True" for name in ("ANTHROPIC_BETA_HEADERS", "BLOG_POSTS"))
    assert args[0] == str(python.GUARD) and args[args.index("--host") + 1] == "127.0.0.1"
    assert f"model: ollama_chat/{spec.upstream_model}" in config and "api_base: http://127.0.0.1:11434" in config
    assert f"master_key: {litellm.MASTER_KEY}" in config
    # an abandoned request must not keep the upstream busy, nor be run again by LiteLLM's router
    assert "cancel_on_disconnect: true" in config and "num_retries: 0" in config
    hosts = re.findall(r"[a-z]+://([^/:\s]+)", " ".join([*args, *env.values(), config]))
    assert hosts and all(is_loopback(h) for h in hosts)


def test_llama_cpp_python_loads_the_linked_library_when_live_setup_made_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(tmp_path))
    spec = load_servers()["llama-cpp-python"]
    _venv(tmp_path, spec.binary, {})
    with ExitStack() as stack:
        plan = recipe_for(spec).plan(8000, "smollm2-135m", Path("/m/s.gguf"), None, False, stack)
        assert plan.env == {}  # a venv from a plain `pip install llama-cpp-python[server]` uses its own build
        library = tmp_path / "venvs" / spec.binary / llamacpppython.LIBRARY_LINK
        library.mkdir()
        (library / "libllama.so").write_bytes(b"")
        plan = recipe_for(spec).plan(8000, "smollm2-135m", Path("/m/s.gguf"), None, False, stack)
    args, env = plan.args, plan.env
    assert env == {"LLAMA_CPP_LIB_PATH": str(library)}
    assert args[args.index("-m") + 1] == "llama_cpp.server" and args[args.index("--host") + 1] == "127.0.0.1"
    assert args[args.index("--model_alias") + 1] == "smollm2-135m"


def test_a_python_server_that_is_not_installed_names_the_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(tmp_path))
    with pytest.raises(MissingPrerequisite, match=r"litellm 1\.108\.7 is not installed at .*: run scripts/live-setup"):
        python.interpreter(load_servers()["litellm"])


# A stand-in LiteLLM: answers /v1/models with the configured model for the master key only, like the proxy.
FAKE_LITELLM = """
import http.server, json, sys
args = sys.argv[1:]
config = open(args[args.index("--config") + 1]).read()
model = config.split("model_name: ")[1].split()[0]
key = config.split("master_key: ")[1].split()[0]
print("fake litellm", config.split("api_base: ")[1].split()[0], flush=True)

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.headers.get("Authorization") == "Bearer " + key
        body = json.dumps({"data": [{"id": model}]} if ok else {"error": "no"}).encode()
        self.send_response(200 if ok else 401)
        self.end_headers()
        self.wfile.write(body)
        if {CHATTY}:  # a server listening beyond loopback; binding sends nothing, so a broken guard leaks nothing
            import socket
            try:
                socket.socket().bind(("0.0.0.0", 0))
            except OSError as exc:
                print("admin listener failed:", exc, flush=True)

http.server.HTTPServer((args[args.index("--host") + 1], int(args[args.index("--port") + 1])), Handler).serve_forever()
"""


def _fake_litellm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chatty: bool = False) -> ServerSpec:
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "tiny.gguf").write_bytes(b"GGUF")  # where model_file looks, in this cache
    _venv(tmp_path, "litellm-1.108.7", {"litellm": FAKE_LITELLM.replace("{CHATTY}", str(chatty))})
    # the stand-in venv's python is the base interpreter, which has pip but not litellm
    monkeypatch.setattr(litellm.LiteLLM, "distribution", "pip")
    spec = load_servers()["litellm"]
    return spec.model_copy(update={"start_timeout": 30.0, "gguf": "tiny"})


def test_a_launched_litellm_is_ready_once_it_lists_the_model_and_reports_its_installed_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = _fake_litellm(tmp_path, monkeypatch)
    upstream = Running("ollama", "http://127.0.0.1:11434", "0.24.0", str, str)
    with ExitStack() as stack:
        running = launch(spec, "smollm2-135m", stack, upstream)
        assert re.fullmatch(r"\d+(\.\d+)+", running.version)  # the installed package's, as the guard printed it
        assert "fake litellm http://127.0.0.1:11434" in running.logs()
        assert attempts_in("litellm", running.full_logs()) == []


def test_a_guarded_server_that_tries_to_reach_out_is_caught_by_the_sessions_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pool = ServerPool({"litellm": _fake_litellm(tmp_path, monkeypatch, chatty=True)})
    upstream = Running("ollama", "http://127.0.0.1:11434", "0.24.0", str, str)
    pool._running["ollama"] = upstream  # the upstream stands in: only the proxy is launched
    try:
        running = pool.get("litellm", "smollm2-135m")
        assert "servers listen on 127.0.0.1 only" in running.full_logs()  # refused by the guard
        assert {a.target for a in pool.outbound_attempts()} == {"listeners on 0.0.0.0"}
    finally:
        pool.close()
