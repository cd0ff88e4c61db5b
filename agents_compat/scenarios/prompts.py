"""Prompts shared by the scenario suites: a code word told in one turn and asked for in a later one.

No model can guess the code word, so an answer holding it shows the earlier turn reached the model.
"""

from __future__ import annotations

CODE_WORD = "KIWI-4817"
REMEMBER = f"Remember this: the code word is {CODE_WORD}."
ASK = "What is the code word?"
