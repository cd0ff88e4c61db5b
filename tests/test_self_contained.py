"""The repository is self-contained: it cites no file outside it, and every link in its docs resolves.

A reader of a clone has only the clone. A source named as "the design notes" or a sibling folder cannot be
followed, so a citation must name something here (a docs page, a cassette) or something public (a
server's source file at a release or commit, a documentation URL).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
# Built from parts so that this file does not cite them itself.
OUTSIDE = re.compile("|".join(re.escape(name) for name in ("DESIGN" + ".md", "PLATFORM" + ".md", "../" + "shared")))
SKIPPED_DIRS = {
    ".git",
    ".venv",
    "venv",
    "node_modules",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".tox",
    ".hypothesis",
    "build",
    "dist",
}
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
# A path of this repository written as code (`fixtures/cassettes/x/y.json`): a cited recording or module.
CITED_PATH = re.compile(r"`((?:fixtures|harness|tests|scripts|benchmarks|docs|suites)/[^`\s<>*{}]*)`")


def repository_files(root: Path) -> list[Path]:
    """Every text file of the checkout, leaving out tool caches, virtual environments and build output."""
    found: list[Path] = []
    for path in root.rglob("*"):
        parts = set(path.relative_to(root).parts)
        if parts & SKIPPED_DIRS or any(part.endswith(".egg-info") for part in parts) or not path.is_file():
            continue
        try:
            path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary (a PNG): it cites nothing
        found.append(path)
    return found


def outside_citations(root: Path) -> list[str]:
    hits = []
    for path in repository_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if OUTSIDE.search(line):
                hits.append(f"{path.relative_to(root)}:{number}: {line.strip()[:120]}")
    return hits


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def prose(text: str) -> list[str]:
    """The lines outside fenced code blocks (a link inside a sample is sample output, not a link)."""
    lines, fenced = [], False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


def anchors(page: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in prose(page.read_text(encoding="utf-8")) if re.match(r"#{1,6} ", line)}


def broken_links(page: Path, root: Path) -> list[str]:
    broken = []
    for line in prose(page.read_text(encoding="utf-8")):
        line = re.sub(r"`[^`]*`", "", line)  # code spans are not links
        for target in LINK.findall(line):
            if re.match(r"[a-z]+:", target):
                continue  # https:, mailto: — outside the repository on purpose
            file_part, _, anchor = target.partition("#")
            goal = (page.parent / file_part).resolve() if file_part else page
            if not goal.exists() or root.resolve() not in (goal, *goal.parents):
                broken.append(f"{page.relative_to(root)}: {target} (no such file in the repository)")
            elif anchor and goal.suffix == ".md" and anchor not in anchors(goal):
                broken.append(f"{page.relative_to(root)}: {target} (no heading with that anchor)")
    return broken


def missing_cited_paths(page: Path, root: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    paths = {match.rstrip(".,;:") for match in CITED_PATH.findall(text)}
    return sorted(f"{page.relative_to(root)}: {path}" for path in paths if not (root / path).exists())


def pages(root: Path) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md")), root / "tests" / "README.md"]


def test_no_file_cites_anything_outside_the_repository() -> None:
    hits = outside_citations(ROOT)
    assert not hits, "cite a docs page, a cassette or a public source instead:\n" + "\n".join(hits)


def test_every_relative_link_in_readme_and_docs_resolves() -> None:
    assert len(pages(ROOT)) > 5  # README, docs pages, tests/README.md: the check must have pages to read
    broken = [problem for page in pages(ROOT) for problem in broken_links(page, ROOT)]
    assert not broken, "\n".join(broken)


def test_every_repository_path_the_docs_cite_exists() -> None:
    """A cassette or module named as a source must be there to open."""
    missing = [problem for page in pages(ROOT) for problem in missing_cited_paths(page, ROOT)]
    assert not missing, "\n".join(missing)


def test_the_checks_catch_what_they_look_for(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "README.md").write_text(
        "# Top\n\n## Reading the matrix\n\n[ok](docs/a.md#the-section) [gone](docs/missing.md) "
        "[bad anchor](docs/a.md#nowhere) [self](#reading-the-matrix) [web](https://example.com/x.md)\n"
        "```\n[in a sample](nowhere.md)\n```\n",
        encoding="utf-8",
    )
    (tmp_path / "docs" / "a.md").write_text(
        "# A\n\n## The section\n\nsee " + "DESIGN" + '.md "Backend facts" and [up](../README.md#top)\n',
        encoding="utf-8",
    )
    (tmp_path / ".venv").mkdir()
    (tmp_path / ".venv" / "x.md").write_text("PLATFORM" + ".md", encoding="utf-8")  # not the project's file

    assert outside_citations(tmp_path) == [
        f'{Path("docs", "a.md")}:5: see {"DESIGN"}.md "Backend facts" and [up](../README.md#top)'
    ]
    broken = [problem for page in pages(tmp_path)[:-1] for problem in broken_links(page, tmp_path)]
    assert broken == [
        "README.md: docs/missing.md (no such file in the repository)",
        "README.md: docs/a.md#nowhere (no heading with that anchor)",
    ]
    (tmp_path / "docs" / "b.md").write_text(
        "recorded in `docs/a.md` and `fixtures/cassettes/gone/x.json`.\n", encoding="utf-8"
    )
    assert missing_cited_paths(tmp_path / "docs" / "b.md", tmp_path) == ["docs/b.md: fixtures/cassettes/gone/x.json"]


@pytest.mark.parametrize(
    "heading, anchor",
    [
        ("Use it in your own repo", "use-it-in-your-own-repo"),
        ("Faults, hostile backends and secrets", "faults-hostile-backends-and-secrets"),
        ("`--compat-repeat` runs", "--compat-repeat-runs"),
    ],
)
def test_anchors_follow_githubs_rule(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor
