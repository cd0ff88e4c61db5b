"""The GitHub Actions workflow users copy: valid for actionlint, and wired to the tiers and reports."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKFLOW = Path(__file__).parent.parent / ".github" / "workflows" / "compat.yml"
INSTALL = (
    "pip install -e '.[actionlint]' (downloads the binary from github.com) or "
    "GOBIN=.venv/bin go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12"
)


def actionlint() -> str | None:
    beside_python = Path(sys.executable).parent / "actionlint"
    return str(beside_python) if beside_python.exists() else shutil.which("actionlint")


def test_actionlint_accepts_the_workflow() -> None:
    found = actionlint()
    if found is None:
        pytest.skip(f"needs actionlint: {INSTALL}")
    done = subprocess.run([found, "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mocked_tier_on_every_change_live_on_a_schedule_and_every_report_uploaded() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "github.event_name == 'push' || github.event_name == 'pull_request'" in text
    assert "github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'" in text
    assert "python -m agents_compat matrix --report-dir reports" in text
    assert "python -m agents_compat matrix --tier live --report-dir reports" in text
    assert text.count("uses: actions/upload-artifact@") == 2
    for name in ("compat-matrix.json", "compat-matrix.md", "compat-matrix.html"):
        assert text.count(f"reports/{name}") == 2


ROOT = Path(__file__).parent.parent
PINNED = re.compile(r"uses: [\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def test_every_action_used_is_pinned_by_commit_with_its_release_named() -> None:
    files = [ROOT / "action.yml", *(ROOT / ".github" / "workflows").glob("*.yml")]
    files.append(ROOT / "agents_compat" / "templates" / "agents-compat.yml")
    uses = [
        (path.name, line.strip().removeprefix("- "))
        for path in files
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip().removeprefix("- ").startswith("uses:")
    ]
    # This repository's own action, and the one init fills in (a release tag: tests/test_own_repo.py).
    local = [u for u in uses if u[1] == "uses: ./" or u[1].startswith("uses: {action} ")]
    # action.yml's workflow: one job, the shards and the merge; the template: the shards and the merge.
    assert len(local) == 5, uses
    unpinned = [u for u in uses if u not in local and not PINNED.fullmatch(u[1])]
    assert not unpinned and len(uses) > 6, unpinned


def test_the_action_has_an_artifact_name_unique_per_job_and_the_run_outputs() -> None:
    action = yaml_like_keys((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert {"artifact-name", "report-dir"} <= action["inputs"]
    assert action["outputs"] == {"verdict", "cells", "differ", "lost", "report"}
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    assert (
        "name: ${{ inputs.artifact-name || format('compat-matrix-{0}-{1}', github.job, strategy.job-index) }}" in text
    )


def yaml_like_keys(text: str) -> dict[str, set[str]]:
    """The keys two spaces in under each top-level section (no YAML library in the dependencies)."""
    found: dict[str, set[str]] = {}
    section = ""
    for line in text.splitlines():
        if re.match(r"^[a-z]", line):
            section = line.split(":")[0]
            found[section] = set()
        elif m := re.match(r"^  ([a-z][\w-]*):", line):
            found[section].add(m[1])
    return found


TEMPLATE = ROOT / "agents_compat" / "templates" / "agents-compat.yml"


def test_the_generated_workflow_fans_out_and_a_final_job_merges_every_shard() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    jobs = text.split("\njobs:\n", 1)[1]
    compat, merge_job = jobs.split("\n  merge:\n", 1)
    # One job per backend group x SDK version, the oldest supported SDK and the newest.
    assert "        backends: [" in compat and '        sdk: ["openai-agents==0.17.0 openai==2.26.0", ""]' in compat
    assert "backend: ${{ matrix.backends }}" in compat and "sdk: ${{ matrix.sdk }}" in compat
    assert "workers: auto" in compat and "fail-fast: false" in compat
    assert "artifact-name: compat-shard-${{ strategy.job-index }}" in compat  # unique per shard
    assert "needs: compat" in merge_job and "if: always()" in merge_job
    assert "uses: actions/download-artifact@" in merge_job and "pattern: compat-shard-*" in merge_job
    assert "path: shards" in merge_job and "merge: shards/*/compat-matrix.json" in merge_job


def test_the_action_publishes_the_site_only_when_asked() -> None:
    action = yaml_like_keys((ROOT / "action.yml").read_text(encoding="utf-8"))
    assert {"sdk", "workers", "merge", "pages", "pages-history"} <= action["inputs"]
    text = (ROOT / "action.yml").read_text(encoding="utf-8")
    pages = text.split("  pages:\n", 1)[1].split("\n  pages-history:", 1)[0]
    assert 'default: "false"' in pages
    site = text.split("    - name: Build the site\n", 1)[1]
    assert "if: always() && inputs.pages == 'true'\n" in site
    assert 'agents-compat site "${history[@]}" "${reports[@]}" -o "$SITE/"' in site
    upload = site.split("    - name: Upload the site as the GitHub Pages artifact\n", 1)[1]
    assert "if: always() && inputs.pages == 'true' && steps.site.outcome == 'success'" in upload
    assert re.search(r"uses: actions/upload-pages-artifact@[0-9a-f]{40} # v\d+\.\d+\.\d+\n", upload)


def test_the_documented_fan_out_passes_actionlint(tmp_path: Path) -> None:
    found = actionlint()
    if found is None:
        pytest.skip(f"needs actionlint: {INSTALL}")
    text = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    example = text.split("```yaml\n", 1)[1].split("```", 1)[0]
    assert "merge: shards/*/compat-matrix.json" in example and "pattern: compat-shard-*" in example
    workflow = tmp_path / ".github" / "workflows" / "fan-out.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text(example, encoding="utf-8")
    done = subprocess.run([found, "-no-color", str(workflow)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
