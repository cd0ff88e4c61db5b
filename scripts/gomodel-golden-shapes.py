#!/usr/bin/env python3
"""Write the shapes of GoModel's contract goldens (key paths and event sequences, no values).

    scripts/gomodel-golden-shapes.py GIT_DIR [COMMIT] > fixtures/gomodel-golden-shapes.json

GIT_DIR is a clone of GoModel with its history (no work tree needed: files are read with git show).
Only the goldens the GoModel emulator can answer are read: groq stands for a chat-translated provider
(GoModel's ollama-type providers take the same path), openai for a native one.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agents_compat.wire.shapes import event_sequence, key_paths  # noqa: E402

GOLDEN_DIR = "tests/contract/testdata/golden"
GOLDENS = {
    "groq/responses": "translated Responses, not streamed (Provider.Responses)",
    "groq/responses_stream": "translated Responses stream (Provider.StreamResponses)",
    "openai/responses": "native Responses, not streamed",
    "openai/responses_stream": "native Responses stream",
    "groq/chat_completion": "chat completion from an OpenAI-compatible chat provider",
    "groq/chat_with_tools": "chat completion with a tool call",
    "groq/chat_completion_stream": "chat stream from an OpenAI-compatible chat provider",
    "openai/chat_completion": "chat completion from OpenAI",
    "openai/chat_completion_stream": "chat stream from OpenAI",
    "openai/models": "model list",
}


def shape(golden: dict) -> dict:
    if "events" in golden:  # a Responses stream: [{Done, Name, Payload}], [DONE] last
        events = [e for e in golden["events"] if not e["Done"]]
        return {
            "events": event_sequence((e["Name"], e["Payload"]) for e in events),
            "done": bool(golden["events"]) and golden["events"][-1]["Done"],
        }
    if "chunks" in golden:  # a chat stream
        return {"events": event_sequence(("chunk", c) for c in golden["chunks"]), "done": golden["done"]}
    return {"paths": sorted(key_paths(golden))}


def main(git_dir: str, commit: str) -> None:
    def show(what: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", git_dir, "show", what], check=True, capture_output=True, text=True
        ).stdout

    full = show(f"{commit}^{{commit}}").split()[1]
    date = subprocess.run(
        ["git", "--git-dir", git_dir, "log", "-1", "--format=%ad", "--date=short", full],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    shapes = {}
    for name, what in GOLDENS.items():
        golden = json.loads(show(f"{full}:{GOLDEN_DIR}/{name}.golden.json"))
        shapes[name] = {"what": what, **shape(golden)}
    out = {
        "source": {
            "repository": "github.com/ENTERPILOT/GoModel",
            "commit": full,
            "date": date,
            "directory": GOLDEN_DIR,
            "recorded_by": "tests/contract/*_test.go: each adapter's output for a recorded upstream reply, "
            "ids and created times normalised (golden_helpers_test.go); provider is stamped later, by the router",
        },
        "kept": "key paths ('a[].b' inside arrays) and event sequences (runs of one event folded); no values",
        "shapes": shapes,
    }
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "HEAD")
