"""Keys out of everything the harness writes, in every spelling a backend or a library may give them.

A backend may echo a key raw, JSON-escaped (``\\/``, ``\\\\``, ``\\u00e9``, escaped twice when JSON sits
inside a JSON string), URL-encoded, HTML-escaped, or a library may log it as a Python or bytes repr
(``b'...\\\\...'``). ``scrub`` builds one pattern per key in which every character may take any of those
spellings, so a mix of them (only the slashes escaped, say) is caught as well. A key may also come back
base64- or base64url-encoded (a Basic auth header, a token that embeds it), at any byte offset of a larger
blob; and a streamed answer may split it across events, so a list of events is also searched joined.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
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


def base64_cores(secret: str) -> list[str]:
    """The characters the key alone decides when it is base64- or base64url-encoded inside a larger blob.

    A blob holds the key at one of three offsets modulo 3 bytes; at each, the characters whose six bits
    all come from the key are the same whatever surrounds it. Redacting them leaves at most the few bits
    the neighbouring characters share with the key's first and last bytes.
    """
    data = secret.encode("utf-8", errors="surrogatepass")
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + data).decode()
        first, end = -(-8 * offset // 6), 8 * (offset + len(data)) // 6  # whole characters inside the key
        core = encoded[first:end]
        cores += [core, core.replace("+", "-").replace("/", "_")]
    return list(dict.fromkeys(cores))


def _base64_forms(core: str) -> str:
    # Inside JSON a "/" may come as "\/" (PHP), in a URL "+", "/" and "=" as %2B, %2F: the rest is letters.
    return "".join(_forms(char) if char in "+/" else re.escape(char) for char in core)


@lru_cache(maxsize=256)
def pattern(secret: str) -> re.Pattern[str]:
    # Every spelling starts with the character itself, a backslash, "%", "&" or "+" (or a base64 core's
    # first character): the lookahead lets the engine pass over every other position at the cost of one
    # class test (a tenfold speed-up on bodies).
    cores = base64_cores(secret)
    starts = re.escape("".join(sorted({secret[0], "\\", "%", "&", "+", *(core[0] for core in cores)})))
    spellings = ["".join(_forms(char) for char in secret), *(_base64_forms(core) for core in cores)]
    return re.compile(f"(?=[{starts}])(?:" + "|".join(spellings) + ")")


def _worth_scrubbing(secrets: Iterable[str]) -> list[str]:
    return sorted({s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str]) -> str:
    for secret in _worth_scrubbing(secrets):
        text = pattern(secret).sub(REDACTED, text)
    return text


def scrub_json(value: Any, secrets: Iterable[str]) -> Any:
    """A decoded JSON value with every string in it (keys too) scrubbed; in a list (a stream's events), a
    key split across the items' strings too, as a reader that joins their deltas would see it."""
    secrets = _worth_scrubbing(secrets)
    if not secrets:
        return value
    if isinstance(value, list):
        value = _scrub_across_items(value, secrets)
    # One search over the value's JSON spelling (the patterns match JSON escapes) settles the usual case:
    # no key anywhere, nothing to copy.
    if not any(pattern(s).search(json.dumps(value, default=str)) for s in secrets):
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


# Where a stream's item names which of several interleaved streams a delta belongs to (OpenAI's shapes: a
# chat choice's or tool call's "index"; a Responses event's "type", "item_id", "output_index", "content_index").
_STREAM_KEYS = ("index", "item_id", "output_index", "content_index")

_Address = tuple[int | str, ...]  # the way from an item to one of its strings


def _strings(item: Any) -> list[tuple[_Address, str, str, str]]:
    """Every non-empty string in an item: its address, the two streams it belongs to, and the string.

    The streams are its path with list positions dropped, and that path with each object's stream keys
    (so a delta of call 1 between two of call 0 does not hide a key split across those). A loop, not a
    recursion: this runs over every event of every stream.
    """
    found = []
    stack: list[tuple[Any, _Address, str, str]] = [(item, (), "", "")]
    while stack:
        node, address, plain, named = stack.pop()
        if isinstance(node, str):
            found.append((address, plain, named, node))
        elif isinstance(node, dict):
            keys = _STREAM_KEYS + (("type",) if len(address) <= 1 else ())  # an event's type, not a tool call's
            marks = "".join(f"[{k}={node[k]}]" for k in keys if k in node)
            children = [(k, v) for k, v in node.items() if isinstance(v, dict | list) or (isinstance(v, str) and v)]
            for key, child in reversed(children):
                stack.append((child, (*address, key), f"{plain}/{key}", f"{named}{marks}/{key}"))
        elif isinstance(node, list):
            for position in range(len(node) - 1, -1, -1):
                stack.append((node[position], (*address, position), f"{plain}/#", f"{named}/#"))
    return found


def _cuts(pieces: list[tuple[int, _Address, str]], secrets: list[str]) -> Iterator[tuple[int, _Address, int, int]]:
    """Spans (item, address, start, end) of the keys that the joined ``pieces`` hold across two or more."""
    joined = "".join(text for _, _, text in pieces)
    starts = [0]
    for _, _, text in pieces:
        starts.append(starts[-1] + len(text))
    for secret in secrets:
        for match in pattern(secret).finditer(joined):
            touched = [
                (piece, start)
                for piece, start, end in zip(pieces, starts, starts[1:], strict=False)
                if start < match.end() and match.start() < end
            ]
            if len(touched) < 2:
                continue  # inside one string: the plain scrub takes it
            for (index, address, text), start in touched:
                yield index, address, max(match.start() - start, 0), min(match.end() - start, len(text))


def _scrub_across_items(items: list[Any], secrets: list[str]) -> list[Any]:
    """Redact keys split across the strings of successive items (a key streamed in two deltas): each
    stream's strings are joined in order, and every part of a key found there is cut from its string."""
    streams: dict[tuple[str, str], list[tuple[int, _Address, str]]] = {}
    for index, item in enumerate(items):
        for address, plain, named, text in _strings(item):
            streams.setdefault(("plain", plain), []).append((index, address, text))
            streams.setdefault(("named", named), []).append((index, address, text))
    spans: dict[tuple[int, _Address], list[tuple[int, int]]] = {}
    for pieces in streams.values():
        if len(pieces) > 1:
            for index, address, low, high in _cuts(pieces, secrets):
                spans.setdefault((index, address), []).append((low, high))
    if not spans:
        return items
    copied: list[Any] = json.loads(json.dumps(items, default=str))
    for (index, address), found in spans.items():
        holder: Any = copied
        for step in (index, *address)[:-1]:
            holder = holder[step]
        last = (index, *address)[-1]
        holder[last] = _cut(holder[last], found)
    return copied


def _cut(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with each span replaced by the redaction mark (overlapping spans merged first)."""
    merged: list[list[int]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    for low, high in reversed(merged):
        text = text[:low] + REDACTED + text[high:]
    return text


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
