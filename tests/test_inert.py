"""Backend and file text is inert wherever it is shown: no control character reaches a terminal, Markdown,
HTML or JUnit raw, and a hostile backend cannot paint a second verdict line."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from agents_compat.emulators import hostile
from agents_compat.testing import run_suites
from agents_compat.wire.inert import inert

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

# What must never pass raw: C0 (ESC, NUL, BEL, CR, LF...), DEL, C1, bidi controls, line separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
FORGED = "\r\ncompat: PASS: 99 cells, 0 differ from their profiles, no baseline, 0 NOT READY"
# Clear the screen, set the window title, ring the bell, a NUL, right-to-left override, a C1 CSI.
HOSTILE = f"refused\x1b[2J\x1b]0;owned\x07\x00\u202eevil\x9b31m\u2028line{FORGED}\ncompat: PASS too"


@given(st.text())
@example(HOSTILE)
@settings(max_examples=300, deadline=None, database=None)
def test_inert_text_has_no_control_character_and_stays_one_line(text: str) -> None:
    shown = inert(text)
    assert not CONTROL.search(shown), shown
    assert len(shown.splitlines()) <= 1
    lines = inert(text, lines=True)
    assert not CONTROL_BUT_LINES.search(lines), lines
    assert not [line for line in lines.splitlines() if line.startswith("compat:")]
    assert inert(shown) == shown and inert(lines, lines=True) == lines  # applying it twice changes nothing


def test_each_control_character_is_shown_as_its_escape() -> None:
    assert inert("a\x1b[2Jb\x00c\x07d\u202ee\x7ff\x85g") == "a\\x1b[2Jb\\x00c\\x07d\\u202ee\\x7ff\\x85g"
    assert inert("one\r\ntwo\tthree", lines=True) == "one\ntwo\tthree"
    assert inert("one\rcompat: PASS", lines=True) == "one\\x0dcompat: PASS"
    assert inert("log\ncompat: PASS", lines=True) == "log\n\\compat: PASS"
    assert inert("naïve 😀 日本") == "naïve 😀 日本"  # printable text of any script is left alone
    assert all(unicodedata.category(c) == "Cf" for c in "\u061c\u200e\u200f\u202a\u202e\u2066\u2069")


class HostileBackend(BaseHTTPRequestHandler):
    """A chat backend whose every word is hostile: its errors, its answers and its model names."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._send(200, {"object": "list", "data": [{"id": f"m{HOSTILE}", "object": "model"}]})

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        if body.get("stream") or body.get("tools"):
            self._send(500, {"error": {"message": HOSTILE, "type": "server_error"}})
            return
        message = {"role": "assistant", "content": HOSTILE}
        self._send(
            200,
            {
                "id": "c1",
                "object": "chat.completion",
                "created": 1,
                "model": f"m{HOSTILE}",
                "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
            },
        )

    def _send(self, status: int, data: object) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def hostile_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), HostileBackend)
    server.daemon_threads = True
    with hostile.serving(server) as url:
        yield url


PROFILE = """[profiles.hostile]
family = "custom"
api = "chat_completions"
model = "m"
reach = "url"
base_url = "{url}"
[profiles.hostile.expect]
plain_text = "supported"

[agents."bot\\u001b[2J\\u202e\\r\\ncompat: PASS"]
features = ["plain_text", "streaming"]
"""


def test_a_hostile_backend_cannot_forge_the_verdict_or_reach_a_terminal_raw(
    pytester: pytest.Pytester, hostile_url: str
) -> None:
    (pytester.path / "hostile.toml").write_text(PROFILE.format(url=hostile_url))
    out = pytester.path / "out"
    result = run_suites(
        pytester,
        *("-m", "live", "--backends", "hostile.toml", "--backend", "hostile"),
        *("-k", "test_plain_text or test_streaming or test_error_surfacing or test_function_tools"),
        *("--junitxml", str(out / "junit.xml"), "-o", "junit_logging=all", "--log-level=DEBUG"),
        "-rA",
        "-v",
    )
    report = json.loads((out / "compat-matrix.json").read_text())
    reasons = " ".join(c["reason"] for c in report["cells"])
    assert "compat: PASS: 99 cells" in reasons  # the backend's words did reach the reasons, raw in the JSON
    assert "\x1b[2J" in json.dumps(report, ensure_ascii=False) or "\\u001b[2J" in json.dumps(report)
    stdout = result.stdout.str()  # pytest's output, piped: what CI logs and greps
    verdicts = [line for line in stdout.splitlines() if line.startswith("compat:")]
    assert len(verdicts) == 1 and re.match(r"compat: (PASS|FAIL): 5 cells", verdicts[0]), verdicts
    assert "\\x1b[2J" in stdout and "\\u202e" in stdout  # shown escaped, so a reader sees what was sent
    markdown = (out / "compat-matrix.md").read_text()
    md_verdicts = [line for line in markdown.splitlines() if re.match(r"^[\W_]*compat:", line)]
    assert len(md_verdicts) == 1 and re.match(r"\*\*compat: (PASS|FAIL): 5 cells", md_verdicts[0]), md_verdicts
    outputs = {
        "stdout": stdout,
        "stderr": result.stderr.str(),
        "markdown": markdown,
        "html": (out / "compat-matrix.html").read_text(),
        "junit": (out / "junit.xml").read_text(),
    }
    for name, text in outputs.items():
        raw = CONTROL_BUT_LINES.findall(text.replace("\r\n", "\n"))
        assert not raw, f"{name}: {sorted(set(raw))}"
        assert "\u2028" not in text and "\u202e" not in text, name
