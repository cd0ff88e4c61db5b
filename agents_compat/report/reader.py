"""The one reader of a saved report (``compat-matrix.json``, or a baseline kept from one): ``load(path)``.

The file is validated by the report model itself, so whatever reads it (diff, accept, the baseline, the
cassettes) gets a ``Report`` or a ``ReportError`` whose message is one line naming the file and the first
thing wrong with it: a missing file, bytes that are not JSON (a truncated write), or JSON that is not a
matrix report (the field, by its path, and what it should be).
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from .model import Report


class ReportError(Exception):
    """A report file is missing or is not a matrix report; the message names the file."""


def _first_problem(error: ValidationError) -> str:
    problems = error.errors(include_url=False, include_input=False)
    first = problems[0]
    where = ".".join(str(part) for part in first["loc"]) or "the top level"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return " ".join(f"{where}: {first['msg']}{more}".split())  # one line, whatever the message holds


def load(path: str | Path) -> Report:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read: {exc}") from None
    except (ValueError, RecursionError) as exc:
        raise ReportError(f"{path}: not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a compat matrix report: a JSON {type(data).__name__}, not an object")
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        raise ReportError(f"{path}: not a compat matrix report: {_first_problem(exc)}") from None
