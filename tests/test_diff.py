"""Diffing two matrix reports: what counts as lost, gained and changed, and the command's exit codes."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from agents_compat import cli
from agents_compat.report import Report, diff
from tests.reports import report_data


def data(*cells: tuple[str, str, str], versions: dict[str, str] | None = None) -> dict[str, Any]:
    found = [{"backend": b, "feature": f, "outcome": o, "reason": f"{b} {f} is {o}"} for b, f, o in cells]
    return report_data(found, versions=versions)


def report(*cells: tuple[str, str, str], versions: dict[str, str] | None = None) -> Report:
    return Report.model_validate(data(*cells, versions=versions))


BEFORE_DATA = data(
    ("ollama-chat", "plain_text", "supported"),
    ("ollama-chat", "function_tools", "supported"),
    ("vllm-responses", "plain_text", "supported"),
    ("vllm-responses", "previous_response_id", "unsupported"),
    ("vllm-responses", "function_tools", "ignored"),
)
BEFORE = Report.model_validate(BEFORE_DATA)


def write(path: Path, data: Any) -> str:
    path.write_text(json.dumps(data), encoding="utf-8")
    return str(path)


def test_a_supported_cell_that_is_no_longer_supported_is_lost_and_others_are_gained_or_changed() -> None:
    after = report(
        ("ollama-chat", "plain_text", "supported"),
        ("ollama-chat", "function_tools", "broken"),
        ("vllm-responses", "plain_text", "supported"),
        ("vllm-responses", "previous_response_id", "supported"),
        ("vllm-responses", "function_tools", "unsupported"),
        versions={"openai-agents": "0.20.0"},
    )
    found = diff.compare(BEFORE, after)
    assert [(c.backend, c.feature, c.old, c.new) for c in found.lost] == [
        ("ollama-chat", "function_tools", "supported", "broken")
    ]
    assert [(c.feature, c.new) for c in found.gained] == [("previous_response_id", "supported")]
    assert [(c.feature, c.old, c.new) for c in found.changed] == [("function_tools", "ignored", "unsupported")]
    assert found.versions == [("openai-agents", "0.24.0", "0.20.0")]
    text = diff.render(found)
    assert "lost    ollama-chat / function_tools: supported -> broken (ollama-chat function_tools is broken)" in text
    assert text.splitlines()[-1] == "1 lost, 1 gained, 1 changed of 5 cells in both"


def test_new_and_removed_backends_features_and_cells_are_listed_but_not_lost() -> None:
    after = report(
        ("ollama-chat", "plain_text", "supported"),
        ("ollama-chat", "usage", "supported"),
        ("ollama-chat", "previous_response_id", "ignored"),
        ("my-gateway", "plain_text", "supported"),
        ("vllm-responses", "plain_text", "supported"),
        ("vllm-responses", "previous_response_id", "unsupported"),
        ("vllm-responses", "function_tools", "ignored"),
    )
    found = diff.compare(BEFORE, after)
    assert found.lost == [] and found.gained == [] and found.changed == []
    assert found.new_backends == ["my-gateway"]
    assert found.removed_backends == []
    assert found.new_features == ["usage"]
    assert found.removed_features == []
    assert found.removed_cells == [("ollama-chat", "function_tools")]
    assert found.new_cells == [("ollama-chat", "previous_response_id")]
    shrunk = diff.compare(BEFORE, report(("vllm-responses", "plain_text", "supported")))
    assert shrunk.removed_backends == ["ollama-chat"]
    assert shrunk.removed_features == ["function_tools", "previous_response_id"]
    assert "removed backends: ollama-chat" in diff.render(shrunk)


def test_a_session_lists_rows_and_columns_it_left_out_as_not_run_not_removed() -> None:
    shrunk = diff.compare(BEFORE, report(("vllm-responses", "plain_text", "supported")))
    # ollama-chat is still a profile and function_tools still a feature; previous_response_id is "gone".
    seen = diff.left_out(shrunk, {"ollama-chat", "vllm-responses"}, {"plain_text", "function_tools"})
    assert seen.removed_backends == [] and seen.not_run_backends == ["ollama-chat"]
    assert seen.removed_features == ["previous_response_id"] and seen.not_run_features == ["function_tools"]
    text = diff.render(seen)
    assert "removed backends" not in text and "removed features: previous_response_id" in text
    assert "not run in this session (still defined): 1 of the baseline's backends, 1 of its features" in text
    assert "not run" not in diff.render(shrunk)  # two reports compared by `harness diff`: no session, no catalog


def test_diff_command_exits_one_and_prints_the_loss(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = copy.deepcopy(BEFORE_DATA)
    after["cells"][0]["outcome"] = "unsupported"
    code = cli.main(["diff", write(tmp_path / "old.json", BEFORE_DATA), write(tmp_path / "new.json", after)])
    out = capsys.readouterr().out
    assert code == 1
    assert "lost    ollama-chat / plain_text: supported -> unsupported" in out


def test_diff_command_exits_zero_on_a_gain(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    after = copy.deepcopy(BEFORE_DATA)
    after["cells"][3]["outcome"] = "supported"
    code = cli.main(["diff", write(tmp_path / "old.json", BEFORE_DATA), write(tmp_path / "new.json", after)])
    assert code == 0
    assert "gained  vllm-responses / previous_response_id: unsupported -> supported" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not JSON"),
        ('{"cells": [{"backend": "b", "feature": "f", "outc', "not JSON: Unterminated string"),  # a truncated write
        ("[]", "not a compat matrix report: a JSON list, not an object"),
        ('{"cells": 3}', "not a compat matrix report: verdict: Field required (and 7 more)"),
        (json.dumps({**BEFORE_DATA, "cells": 3}), "not a compat matrix report: cells: Input should be a valid list"),
        (
            json.dumps({**BEFORE_DATA, "cells": [{"backend": "b"}]}),
            "not a compat matrix report: cells.0.feature: Field",
        ),
        (
            json.dumps({**BEFORE_DATA, "cells": [{**BEFORE_DATA["cells"][0], "outcome": "great"}]}),
            "not a compat matrix report: cells.0.outcome: Input should be 'supported', 'unsupported', ",
        ),
    ],
)
def test_a_bad_report_gives_one_message_and_exit_two(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None, message: str
) -> None:
    bad = tmp_path / "bad.json"
    if content is not None:
        bad.write_text(content, encoding="utf-8")
    code = cli.main(["diff", str(bad), write(tmp_path / "new.json", BEFORE_DATA)])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith(f"error: {bad}: {message}")
    assert len(captured.err.splitlines()) == 1


def test_baseline_command_keeps_outcomes_without_exchanges(tmp_path: Path) -> None:
    full = report(("ollama-chat", "plain_text", "supported")).to_json()
    full["cells"][0] |= {"exchanges": [{"request": {}, "response": {}}], "seconds": 1.5, "server_logs": "log"}
    out = tmp_path / "baseline.json"
    assert cli.main(["baseline", write(tmp_path / "full.json", full), str(out)]) == 0
    kept = json.loads(out.read_text())
    assert kept["cells"] == [
        {
            "backend": "ollama-chat",
            "feature": "plain_text",
            "tier": "mocked",
            "outcome": "supported",
            "expected": None,
            "as_expected": True,
            "unconfirmed": False,
            "allowed": "",
            "reason": full["cells"][0]["reason"],
            "strict": [],
            "runs": None,
        }
    ]
    assert {k: v for k, v in kept.items() if k != "cells"} == {k: v for k, v in full.items() if k != "cells"}
    assert diff.compare(Report.model_validate(kept), Report.model_validate(full)).compared == 1  # still a report
