"""The report: its model (``model``), built once per session (``build``), read back from a file (``reader``),
and laid out one module per format: ``terminal``, ``markdown``, ``html``, ``junit``; ``files`` writes them.

Only the model and its reader are named here: a format is imported where it is used.
"""

from __future__ import annotations

from .model import Report
from .reader import ReportError, load

__all__ = ["Report", "ReportError", "load"]
