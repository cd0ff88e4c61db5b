"""Outbound attempts read from server logs: real lines from real servers, flagged or let through."""

from __future__ import annotations

import json
import shlex
import sys

import pytest

from agents_compat.launchers.outbound import attempts_in, is_loopback, render
from agents_compat.testing import run_suites

# Lines servers really print when they try to reach out (the Ollama one is from a live run of v0.24.0
# without OLLAMA_NO_CLOUD, issue 12), and the host each one names.
# Recorded here from the Ollama v0.24.0 image scripts/live-setup builds, started without OLLAMA_NO_CLOUD and
# with the loopback resolv.conf the launcher mounts: both cloud fetches tried, and failed on 127.0.0.1:53.
RECORDED_WITHOUT_NO_CLOUD = [
    'time=2026-11-26T01:41:56.229Z level=WARN source=model_show_cache.go:152 msg="model show cloud cache hydration '
    'failed" error="Get \\"https://ollama.com:443/api/tags?ts=1795657316\\": dial tcp: lookup ollama.com on '
    '127.0.0.1:53: read udp 127.0.0.1:36438->127.0.0.1:53: read: connection refused"',
    'time=2026-11-26T01:41:56.231Z level=WARN source=model_recommendations.go:168 msg="model recommendations refresh '
    'failed" error="Get \\"https://ollama.com/api/experimental/model-recommendations\\": dial tcp: lookup ollama.com '
    'on 127.0.0.1:53: read udp 127.0.0.1:36438->127.0.0.1:53: read: connection refused"',
]

OUTBOUND = [
    *[(line, "ollama.com") for line in RECORDED_WITHOUT_NO_CLOUD],
    (
        'time=2026-11-25T10:00:01Z level=WARN source=model_recommendations.go:168 msg="model recommendations refresh '
        'failed" error="Get \\"https://ollama.com/api/experimental/model-recommendations\\": dial tcp: lookup '
        'ollama.com on 10.0.0.2:53: no such host"',
        "ollama.com",
    ),
    (
        'error="dial tcp: lookup ollama.com on 127.0.0.1:53: read udp 127.0.0.1:40000->127.0.0.1:53: connection '
        'refused"',
        "ollama.com",
    ),  # resolv.conf on loopback: the look-up still names a host off the machine
    (
        '{"level":"WARN","msg":"model list fetch failed","error":"Get \\"https://raw.githubusercontent.com/x/models.json'
        '\\": dial tcp 185.199.108.133:443: connect: network is unreachable"}',
        "raw.githubusercontent.com",
    ),
    ("dial tcp 10.88.0.1:8080: connect: connection refused", "10.88.0.1"),
    ("common_download_file: Could not resolve host: huggingface.co", "huggingface.co"),
    ("curl: (7) Failed to connect to 192.168.1.10 port 443 after 3 ms", "192.168.1.10"),
    (
        "LiteLLM: Failed to fetch remote model cost map from https://raw.githubusercontent.com/BerriAI/litellm/main/"
        "model_prices_and_context_window.json: HTTPSConnectionPool(host='raw.githubusercontent.com', port=443)",
        "raw.githubusercontent.com",
    ),
    ("NameResolutionError: Failed to resolve 'api.openai.com' ([Errno -3] Temporary failure)", "api.openai.com"),
    ("socket.gaierror: [Errno -3] Temporary failure in name resolution", "a name server (the line names no host)"),
    ("ClientConnectorError: Cannot connect to host example.org:443 ssl:default [Connect call failed]", "example.org"),
]

# Lines that name hosts or URLs without an attempt, or attempts on loopback: never flagged.
QUIET = [
    # GoModel's start-up fetch, pointed by the launcher at a closed loopback port
    '{"level":"WARN","msg":"failed to fetch model list","error":"Get \\"http://127.0.0.1:9/models.min.json\\": '
    'dial tcp 127.0.0.1:9: connect: connection refused"}',
    # Ollama's configuration dump lists origins and remote hosts it never contacts
    'msg="server config" env="map[OLLAMA_HOST:http://127.0.0.1:11434 OLLAMA_NO_CLOUD:true OLLAMA_ORIGINS:[http://'
    'localhost https://localhost http://0.0.0.0 app://* file://*] OLLAMA_REMOTES:[ollama.com]]"',
    'msg="Listening on 127.0.0.1:11434 (version 0.24.0)"',
    "main: server is listening on http://127.0.0.1:8080 - starting the main loop",
    'msg="model lookup failed" model=smollm2',
    "dial tcp [::1]:8080: connect: connection refused",
    "dial tcp localhost:8080: connect: connection refused",
    "srv  log_server_r: request: GET /health 127.0.0.1 200",
    'Post "http://127.0.0.1:41234/v1/chat/completions": context canceled',
]


@pytest.mark.parametrize(("line", "target"), OUTBOUND)
def test_an_attempt_off_the_machine_is_found_with_its_host(line: str, target: str) -> None:
    [attempt] = attempts_in("srv", f"starting\n{line}\nready\n")
    assert attempt.target == target
    assert attempt.server == "srv"
    assert attempt.line == " ".join(line.split())


@pytest.mark.parametrize("line", QUIET)
def test_mentions_and_loopback_attempts_pass(line: str) -> None:
    assert attempts_in("srv", line) == []


def test_each_offending_line_is_reported_once() -> None:
    log = "\n".join([OUTBOUND[2][0], QUIET[0], OUTBOUND[5][0]])
    found = attempts_in("ollama", log)
    assert [a.target for a in found] == ["ollama.com", "10.88.0.1"]
    text = render(found)
    assert "2 attempt(s)" in text
    assert "ollama: tried to reach ollama.com: " in text


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("10.88.0.1", False),
        ("ollama.com", False),
        ("::ffff:1.2.3.4", False),
    ],
)
def test_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


# -- a live session against a stand-in server that logs an outbound attempt -----------------------------

SERVE = [sys.executable, "-m", "agents_compat", "serve", "ollama", "--port", "{port}"]


def _stand_in_session(pytester: pytest.Pytester, logged: str) -> pytest.RunResult:
    """A live run of one cell against a served emulator that first prints ``logged``, as a server would."""
    command = ["sh", "-c", f"printf '%s\\n' {shlex.quote(logged)}; exec {shlex.join(SERVE)}"]
    pytester.makefile(
        ".toml",
        standin='[profiles.stand-in]\nfamily = "ollama"\napi = "chat_completions"\nmodel = "qwen3:0.6b"\n'
        f'reach = "process"\ncommand = {json.dumps(command)}\n[profiles.stand-in.expect]\nplain_text = "supported"\n',
    )
    return run_suites(pytester, "-m", "live", "--backends", "standin.toml", "--backend", "stand-in", "-k", "plain_text")


def test_a_session_whose_server_reaches_out_fails_with_the_line(pytester: pytest.Pytester) -> None:
    result = _stand_in_session(pytester, OUTBOUND[2][0])
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.assert_outcomes(passed=1)  # the cell itself is fine: the session fails for the attempt alone
    output = result.stdout.str()
    assert "launched servers tried to reach off this machine: the session fails" in output
    assert "stand-in: tried to reach ollama.com: " in output
    assert "model recommendations refresh failed" in output


def test_a_session_whose_server_stays_on_loopback_passes(pytester: pytest.Pytester) -> None:
    result = _stand_in_session(pytester, QUIET[0])  # GoModel's fetch, pointed at a closed loopback port
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(passed=1)
    assert "tried to reach" not in result.stdout.str()
