"""The live tier's launchers without a container engine: profiles, engine settings, processes, failures.

A stand-in ``llama-server`` on PATH (the llama.cpp emulator served over HTTP) exercises the same
recipe, readiness wait, logs and teardown that a real binary gets. The container path is exercised by
tests/test_live_containers.py and by `pytest -m live`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.config.profiles import PYTHON_KINDS, ProfileError, ServerSpec, load_profiles, load_servers
from agents_compat.launchers import containers
from agents_compat.launchers.live_servers import LaunchFailed, Running, ServerPool, launch
from agents_compat.launchers.modelfiles import model_file
from agents_compat.launchers.outbound import is_loopback
from agents_compat.launchers.prerequisites import MissingPrerequisite
from agents_compat.launchers.recipes import recipe_for
from agents_compat.outcomes import Outcome
from agents_compat.testing import run_suites

LIVE_ROWS = {"ollama-chat", "ollama-responses", "gomodel-translated", "llamacpp-chat", "llamacpp-responses"}


def test_the_five_required_profiles_have_live_rows_on_pinned_servers() -> None:
    profiles, servers = load_profiles(), load_servers()
    assert {name for name, p in profiles.items() if p.live} >= LIVE_ROWS
    row = profiles["gomodel-translated"].live_row()
    assert (row.name, row.tier, row.reach, row.server, row.twin) == (
        "gomodel-translated@live",
        "live",
        "server",
        "gomodel",
        "gomodel-translated",
    )
    assert servers["gomodel"].upstream == "ollama"
    assert all(s.version and (s.image or s.launcher == "process") for s in servers.values())


def test_a_live_difference_overrides_the_expectation_and_must_say_why(tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_text('[profiles.llamacpp-chat.live.differs.usage]\noutcome = "broken"\nwhy = "measured: 0 tokens"\n')
    row = load_profiles([path])["llamacpp-chat"].live_row()
    assert row.expect["usage"] is Outcome.BROKEN
    assert row.expect["plain_text"] is Outcome.SUPPORTED  # the rest stays the mocked expectation
    path.write_text('[profiles.llamacpp-chat.live.differs.usage]\noutcome = "broken"\n')
    with pytest.raises(ProfileError, match="profile 'llamacpp-chat': field 'live.differs.usage.why' is required"):
        load_profiles([path])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[profiles.llamacpp-chat.live]\nserver = "nope"\n', "unknown server 'nope'; known servers: gomodel, "),
        ('[servers.gomodel]\nupstream = "nope"\n', "server 'gomodel': unknown upstream server 'nope'"),
        ('[servers.ollama]\nkind = "vllm"\n', "server 'ollama': field 'kind' Input should be"),
        ('[servers.ollama]\nupstream = "gomodel"\n', "'upstream' (the server a gateway forwards to) is required for"),
        ('[servers.llama-cpp-python]\nlauncher = "container"\n', 'set launcher = "process"'),
        ('[servers.x]\nkind = "ollama"\nversion = "1"\nbinary = "ollama"\n', "launcher = \"container\" needs 'image'"),
        ('[profiles.x]\nfamily = "custom"\napi = "responses"\nmodel = "m"\nreach = "server"\n', "go together"),
    ],
)
def test_server_and_live_tables_are_validated(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "b.toml"
    path.write_text(text)
    with pytest.raises(ProfileError) as caught:
        load_profiles([path])
    assert message in str(caught.value)


def test_engine_settings_point_testcontainers_at_podman_when_docker_is_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    podman = tmp_path / "podman.sock"
    podman.touch()
    monkeypatch.setattr(containers, "PODMAN_SOCKET", podman)
    monkeypatch.setattr(containers, "DOCKER_SOCKET", tmp_path / "no-docker.sock")
    assert containers.engine_environment({}) == {
        "DOCKER_HOST": f"unix://{podman}",
        "TESTCONTAINERS_RYUK_DISABLED": "true",
        "TESTCONTAINERS_CONNECTION_MODE": "docker_host",
    }
    # A user's own settings are never overridden.
    mine = {"DOCKER_HOST": "tcp://127.0.0.1:2375", "TESTCONTAINERS_CONNECTION_MODE": "bridge_ip"}
    assert containers.engine_environment(mine) == {}


def test_no_engine_is_a_missing_prerequisite_naming_the_setup_script(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/engine.sock")
    with pytest.raises(MissingPrerequisite, match=r"no container engine answers at unix:///nonexistent/engine.sock"):
        containers.docker_client()


class _NoImages:
    class images:  # noqa: N801 (docker-py's attribute name)
        @staticmethod
        def get(name: str) -> None:
            import docker.errors

            raise docker.errors.ImageNotFound(name)


def test_a_missing_image_names_the_setup_or_what_kept_it_from_being_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(tmp_path))
    with pytest.raises(MissingPrerequisite, match=r"x/y:1 is not in the container engine: run scripts/live-setup"):
        containers.require_image(_NoImages(), "x/y:1")
    (tmp_path / "unavailable").mkdir()
    (tmp_path / "unavailable" / "x_y_1").write_text("could not build it here: 403 Forbidden\n")
    with pytest.raises(MissingPrerequisite, match=r"x/y:1 is not in the container engine: could not build it here"):
        containers.require_image(_NoImages(), "x/y:1")


def test_a_missing_model_names_the_command_that_assembles_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(tmp_path))
    with pytest.raises(MissingPrerequisite, match=r"model no-such-model is not assembled at .*: run scripts/"):
        model_file("no-such-model")


# -- a stand-in llama-server on PATH ------------------------------------------------------------------


def _fake_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An assembled model in a cache of its own, as scripts/live-setup leaves it."""
    monkeypatch.setenv("COMPAT_CACHE_DIR", str(tmp_path / "cache"))
    (tmp_path / "cache" / "models").mkdir(parents=True)
    (tmp_path / "cache" / "models" / "qwen2.5-coder-0.5b.gguf").write_bytes(b"GGUF")
    return "qwen2.5-coder-0.5b"


def _on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, body: str) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    script = bin_dir / name
    script.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")


FAKE_LLAMA_SERVER = """
import os, sys
args = sys.argv[1:]
print("fake llama-server", " ".join(args), flush=True)
port = args[args.index("--port") + 1]
os.execv(sys.executable, [sys.executable, "-m", "agents_compat", "serve", "llamacpp", "--port", port,
                          "--model", args[args.index("--alias") + 1]])
"""


@pytest.fixture
def fake_llama(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ServerSpec:
    package = _fake_model(tmp_path, monkeypatch)
    _on_path(tmp_path, monkeypatch, "llama-server", FAKE_LLAMA_SERVER)
    spec = load_servers()["llama-server"]
    return spec.model_copy(update={"launcher": "process", "gguf": package, "start_timeout": 30.0})


def test_a_process_server_is_ready_reports_its_version_and_is_stopped(fake_llama: ServerSpec) -> None:
    with ExitStack() as stack:
        running = launch(fake_llama, "smollm2-135m", stack)
        assert running.url.startswith("http://127.0.0.1:")
        assert "(pinned; the server reports none)" in running.version  # the emulator has no /props
        assert "fake llama-server -m " in running.logs() and "--jinja" in running.logs()
        port = int(running.url.rsplit(":", 1)[1])
    import socket

    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_a_server_that_dies_at_start_is_a_launch_failure_with_its_logs(
    fake_llama: ServerSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _on_path(tmp_path, monkeypatch, "llama-server", 'import sys\nprint("error: unknown model file")\nsys.exit(3)\n')
    with ExitStack() as stack, pytest.raises(LaunchFailed) as caught:
        launch(fake_llama, "smollm2-135m", stack)
    assert "llama-server: the server stopped before it was ready" in str(caught.value)
    assert "error: unknown model file" in caught.value.logs


def test_a_binary_not_on_path_is_a_missing_prerequisite(fake_llama: ServerSpec) -> None:
    spec = fake_llama.model_copy(update={"binary": "no-such-llama-server"})
    with ExitStack() as stack, pytest.raises(MissingPrerequisite, match="no-such-llama-server is not on PATH"):
        launch(spec, "m", stack)


def test_the_pool_starts_a_server_once_and_remembers_a_failure(fake_llama: ServerSpec) -> None:
    pool = ServerPool({"llama-server": fake_llama})
    try:
        first = pool.get("llama-server", "smollm2-135m")
        assert pool.get("llama-server", "smollm2-135m") is first
    finally:
        pool.close()
    broken = ServerPool({"llama-server": fake_llama.model_copy(update={"binary": "absent-binary"})})
    for _ in range(2):
        with pytest.raises(MissingPrerequisite):
            broken.get("llama-server", "m")


# -- through pytest: skips, error cells with logs, the mocked-vs-live listing -------------------------


def _process_override(binary: str, package: str) -> str:
    return (
        f'[servers.llama-server]\nlauncher = "process"\nbinary = "{binary}"\ngguf = "{package}"\nstart_timeout = 30\n'
    )


def test_live_rows_without_their_binary_are_skipped_with_what_is_missing(
    pytester: pytest.Pytester, fake_llama: ServerSpec
) -> None:
    pytester.makefile(".toml", servers=_process_override("absent-llama-server", fake_llama.gguf))
    result = run_suites(pytester, "-m", "live", "--backends", "servers.toml", "--backend", "llamacpp-chat", "-rs")
    result.assert_outcomes(skipped=len(FEATURE_IDS))
    result.stdout.fnmatch_lines(["*cannot run here: absent-llama-server is not on PATH: install llama-server*"])


def test_a_server_that_will_not_start_gives_error_cells_with_its_logs(
    pytester: pytest.Pytester, fake_llama: ServerSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dies = 'print("ggml: failed to load model", flush=True)\nraise SystemExit(1)\n'
    _on_path(tmp_path, monkeypatch, "broken-llama", dies)
    pytester.makefile(".toml", servers=_process_override("broken-llama", fake_llama.gguf))
    result = run_suites(
        pytester, "-m", "live", "--backends", "servers.toml", "--backend", "llamacpp-chat", "-k", "plain_text"
    )
    result.assert_outcomes(errors=1)
    report = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())
    cell = next(c for c in report["cells"] if c["backend"] == "llamacpp-chat@live")
    assert cell["outcome"] == "error"
    assert cell["reason"].startswith("server did not start: llama-server: the server stopped before it was ready")
    assert "ggml: failed to load model" in cell["server_logs"]


def test_a_live_row_on_a_stand_in_server_is_compared_with_its_mocked_twin(
    pytester: pytest.Pytester, fake_llama: ServerSpec
) -> None:
    """The stand-in is the emulator itself, so every compared cell must agree: the check can see that.

    Features without a ``live.differs`` (the real server's tool cells differ, and say why)."""
    pytester.makefile(".toml", servers=_process_override("llama-server", fake_llama.gguf))
    result = run_suites(
        pytester, "-m", "mocked or live", "--backends", "servers.toml", "--backend", "llamacpp-chat",
        "-k", "plain_text or usage or (structured_output and not with_tools)",
    )  # fmt: skip
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*mocked vs live: 3 agree, 0 explained, 0 unexplained, 0 not compared*"])
    report = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())
    assert {c["verdict"] for c in report["mocked_vs_live"]} == {"agree"}
    live = next(b for b in report["backends"] if b["name"] == "llamacpp-chat@live")
    assert live["tier"] == "live" and "pinned" in live["version"]


def test_a_native_row_without_its_upstream_is_skipped_naming_the_variables(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOMODEL_OPENAI_BASE_URL", raising=False)
    result = run_suites(pytester, "-m", "live", "--backend", "gomodel-native", "-k", "plain_text", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*live rows that cannot run here: set $GOMODEL_OPENAI_BASE_URL*"])


class _Container:
    def __init__(self, name: str, pid: int):
        self.name, self.labels, self.removed = name, {containers.LABEL: "x", f"{containers.LABEL}.pid": str(pid)}, False

    def remove(self, force: bool) -> None:
        self.removed = force


def test_leftovers_of_a_killed_session_are_removed_and_a_running_sessions_kept() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer runs: a pytest killed before its teardown
    ours, orphan = _Container("ours", os.getpid()), _Container("orphan", gone.pid)

    class Client:
        class containers:  # noqa: N801 (docker-py's attribute name)
            @staticmethod
            def list(all: bool, filters: dict) -> list[_Container]:
                assert filters == {"label": containers.LABEL}
                return [ours, orphan]

    assert containers.remove_leftovers(Client()) == ["orphan"]
    assert orphan.removed and not ours.removed


def test_gomodel_rows_start_their_upstream_with_the_right_model() -> None:
    from agents_compat.launchers.live_servers import _upstream_model

    gomodel = load_servers()["gomodel"]
    assert _upstream_model(gomodel, "ollama/qwen2.5-coder:0.5b") == "qwen2.5-coder:0.5b"
    # the native path: Ollama as usual, under the name of the model its server loads
    assert _upstream_model(gomodel, "openai/gpt-4.1-mini") == "qwen2.5-coder:0.5b"


# -- nothing leaves the machine: each recipe's settings, and the pool's reading of the logs -------------


@pytest.mark.parametrize("launcher", ["container", "process"])
@pytest.mark.parametrize("name", sorted(n for n, s in load_servers().items() if s.kind not in PYTHON_KINDS))
def test_every_recipe_turns_off_its_servers_fetches_and_names_loopback_only(name: str, launcher: str) -> None:
    """Issue 12: Ollama's cloud fetches off, GoModel's model list on a closed loopback port, every URL local."""
    spec = load_servers()[name].model_copy(update={"launcher": launcher})
    upstream = Running("ollama", "http://127.0.0.1:11434", "0.24.0", str, str)
    with ExitStack() as stack:
        plan = recipe_for(spec).plan(8080, "m", Path("/models/m.gguf"), upstream, launcher == "container", stack)
    if spec.kind == "ollama":
        assert plan.env["OLLAMA_NO_CLOUD"] == "1"
    if spec.kind == "gomodel":
        assert plan.env["MODEL_LIST_URL"].startswith("http://127.0.0.1:")
    words = " ".join([*plan.args, *plan.env.values()])
    hosts = re.findall(r"[a-z]+://([^/:\s]+)", words)
    assert all(is_loopback(host) for host in hosts), hosts
    assert "127.0.0.1" in words  # it listens on loopback only


def test_the_pool_reads_each_servers_whole_log_for_outbound_attempts(
    fake_llama: ServerSpec, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chatty = FAKE_LLAMA_SERVER.replace(
        'print("fake llama-server"',
        'print("x" * 9000)\nprint("error: dial tcp: lookup huggingface.co on 10.0.0.2:53: no such host")\n'
        'print("x" * 9000)\nprint("fake llama-server"',
    )
    _on_path(tmp_path, monkeypatch, "llama-server", chatty)
    pool = ServerPool({"llama-server": fake_llama})
    try:
        running = pool.get("llama-server", "smollm2-135m")
        assert "huggingface.co" not in running.logs()  # beyond the tail a failed cell keeps
        [attempt] = pool.outbound_attempts()
        assert (attempt.server, attempt.target) == ("llama-server", "huggingface.co")
    finally:
        pool.close()


def test_a_quiet_server_has_no_outbound_attempts(fake_llama: ServerSpec) -> None:
    pool = ServerPool({"llama-server": fake_llama})
    try:
        pool.get("llama-server", "smollm2-135m")
        assert pool.outbound_attempts() == []
    finally:
        pool.close()


def test_without_the_live_extra_a_container_row_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    from agents_compat.launchers import prerequisites

    found = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "testcontainers" else found(name))
    with pytest.raises(MissingPrerequisite) as missing:
        containers.docker_client()
    assert str(missing.value) == (
        "the live tier's containers need testcontainers, from the live extra: pip install 'agents-compat-harness[live]'"
    )
    # In this checkout the set-up script is there; in a wheel it is not, and the message says where it is.
    assert prerequisites.SETUP_COMMAND == "scripts/live-setup"
