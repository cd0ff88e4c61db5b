"""Keys out of everything the harness writes, in every spelling a backend or a library may give them.

A backend may echo a key raw, JSON-escaped (``\\/``, ``\\\\``, ``\\u00e9``, escaped twice when JSON sits
inside a JSON string), URL-encoded, HTML-escaped, or a library may log it as a Python or bytes repr
(``b'...\\\\...'``). ``scrub`` builds one pattern per key in which every character may take any of those
spellings, so a mix of them (only the slashes escaped, say) is caught as well.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

REDACTED = "***"
# Shorter "keys" are placeholders local servers ignore (Ollama's "ollama"); scrubbing those would
# blank every profile name and model id that contains the word.
MIN_SECRET_LENGTH = 8
_SHORT_ESCAPES = {"\n": "n", "\t": "t", "\r": "r", "\b": "b", "\f": "f"}
_HTML_NAMED = {"&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "(?:apos|#39)"}


def _hex(value: int, width: int) -> str:
    """``value`` in hex of at least ``width`` digits, either case (``\\u00E9`` is ``\\u00e9``)."""
    digits = f"{value:0{width}x}"
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in digits)


def _forms(char: str) -> str:
    """A regex for ``char`` in any spelling; escapes first, so a literal "u" never takes the "u" of "\\u0075"."""
    code = ord(char)
    utf8 = char.encode("utf-8", errors="surrogatepass")
    units = [code] if code < 0x10000 else [0xD800 + ((code - 0x10000) >> 10), 0xDC00 + ((code - 0x10000) & 0x3FF)]
    # Backslash escapes, each with its own run of backslashes (escaped once, or again inside a JSON string).
    escapes = ["".join(rf"\\+u{_hex(unit, 4)}" for unit in units)]  # JSON, JavaScript, Python repr
    if code < 0x100:
        escapes.append(rf"\\+x{_hex(code, 2)}")  # Python repr of a str or of latin-1 bytes
    if code >= 0x80:
        escapes.append("".join(rf"\\+x{_hex(byte, 2)}" for byte in utf8))  # repr of the UTF-8 bytes
    if code >= 0x10000:
        escapes.append(rf"\\+U{_hex(code, 8)}")
    if char in _SHORT_ESCAPES:
        escapes.append(r"\\+" + _SHORT_ESCAPES[char])
    # The rest may follow a run of backslashes too: JSON's \/ and \", repr's \' and \\, an HTML \&quot;.
    plain = [
        "".join(f"%(?:25)*{_hex(byte, 2)}" for byte in utf8),  # URL-encoded, once or more
        f"&#(?:0*{code}|[xX]0*{_hex(code, 1)});",  # an HTML character reference
    ]
    if char == " ":
        plain.append(r"\+")  # form-encoded space
    if char in _HTML_NAMED:
        plain.append(f"&{_HTML_NAMED[char]};")
    plain.append(re.escape(char))
    return "(?:" + "|".join(escapes) + r"|\\*(?:" + "|".join(plain) + "))"


@lru_cache(maxsize=256)
def pattern(secret: str) -> re.Pattern[str]:
    # Every spelling starts with the character itself, a backslash, "%", "&" or "+": the lookahead lets the
    # engine pass over every other position at the cost of one class test (a tenfold speed-up on bodies).
    starts = re.escape(secret[0] + "\\%&+")
    return re.compile(f"(?=[{starts}])" + "".join(_forms(char) for char in secret))


def _worth_scrubbing(secrets: Iterable[str]) -> list[str]:
    return sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in _worth_scrubbing(secrets):
        text = pattern(secret).sub(REDACTED, text)
    return text


def scrub_json(value: Any, secrets: Iterable[str]) -> Any:
    """A decoded JSON value with every string in it (keys too) scrubbed."""
    secrets = _worth_scrubbing(secrets)
    # One search over the value's JSON spelling (the patterns match JSON escapes) settles the usual case:
    # no key anywhere, nothing to copy.
    if not secrets or not any(pattern(s).search(json.dumps(value, default=str)) for s in secrets):
        return value

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            return scrub(item, secrets)
        if isinstance(item, dict):
            return {walk(k): walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)


def scrubbing_log_records(secrets: Iterable[str]) -> Callable[[], None]:
    """Scrub every log record as it is made (library DEBUG logs quote headers as bytes); returns the undo.

    A record factory sees each record before any handler does, whichever handler it goes to (pytest's
    capture, a --log-file, live logs), and only records that will be handled are made at all.
    """
    secrets = _worth_scrubbing(secrets)
    previous = logging.getLogRecordFactory()
    if not secrets:
        return lambda: None

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed format: let logging report it as usual
            return record
        scrubbed = scrub(message, secrets)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return record

    logging.setLogRecordFactory(factory)

    def undo() -> None:
        if logging.getLogRecordFactory() is factory:
            logging.setLogRecordFactory(previous)

    return undo
