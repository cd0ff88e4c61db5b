"""Text from a backend or a file made inert before a terminal, Markdown, HTML or JUnit shows it.

A backend's error message, an echoed model name, a profile's agent name or a server's log line may hold
control characters: ESC starts terminal sequences (clear the screen, set the window title, move the
cursor), a carriage return or a line separator lets one line paint over another, NUL and BEL upset
readers, and bidi controls (U+202E) make text display in another order than it reads. Each is shown as
an escape (``\\x1b``, ``\\u202e``), so the text says what was sent and does nothing. Every renderer calls
``inert`` on such text where it puts it in its output; this module is the one place the rule lives.
"""

from __future__ import annotations

import re

# C0 (with ESC, NUL, BEL, CR, LF, TAB), DEL and C1; the bidi marks, embeddings, overrides and isolates;
# and the line and paragraph separators, which Python's splitlines (and some terminals) break lines at.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_CONTROL_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
# The harness's own verdict line (agents_compat/judging/verdict.py) starts with this: in multi-line text from elsewhere
# (captured logs, a server's log tail) a line that starts so is shown escaped, so CI greps find one verdict.
VERDICT_PREFIX = "compat:"
_FORGED_VERDICT = re.compile(rf"^(?={re.escape(VERDICT_PREFIX)})", re.MULTILINE)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: object, *, lines: bool = False) -> str:
    """``text`` with every control character shown escaped, on one line.

    With ``lines`` (a log tail, a traceback, a pretty-printed body) newlines and tabs stay, CRLF becomes a
    newline, and a line that would start like the verdict line starts with a backslash instead.
    """
    text = str(text)
    if not lines:
        return _CONTROL.sub(_escape, text)
    text = _CONTROL_BUT_LINES.sub(_escape, text.replace("\r\n", "\n"))
    return _FORGED_VERDICT.sub("\\\\", text)
