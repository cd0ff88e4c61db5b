"""The SDK version axis: a profile declares what it does on a range of openai-agents releases."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents_compat.config.profiles import ProfileError, load_profiles
from agents_compat.outcomes import Outcome
from agents_compat.testing import run_suites


def test_a_range_overrides_the_expectations_on_the_releases_it_covers() -> None:
    translated = load_profiles()["gomodel-translated"]
    assert translated.expect["streaming"] is Outcome.SUPPORTED
    old = translated.for_sdk("0.17.0")
    assert old.expect["streaming"] is Outcome.BROKEN and old.expect["streaming_tool_calls"] is Outcome.BROKEN
    assert old.expect["plain_text"] is Outcome.SUPPORTED
    assert translated.for_sdk("0.23.1") is translated and translated.for_sdk("0.24.0") is translated
    assert translated.live_row().for_sdk("0.22.3").expect["streaming"] is Outcome.BROKEN


def test_a_bad_range_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "b.toml").write_text('[profiles.openai-chat.sdk."about 0.2"]\nplain_text = "broken"\n')
    with pytest.raises(ProfileError, match=r"field 'sdk' .*'about 0.2' is not a version range"):
        load_profiles([tmp_path / "b.toml"])
    (tmp_path / "f.toml").write_text('[profiles.openai-chat.sdk."<1"]\nnosuch = "broken"\n')
    with pytest.raises(ProfileError, match="unknown feature id"):
        load_profiles([tmp_path / "f.toml"])


ARGS = ("-m", "mocked", "--backends", "ranged.toml", "--backend", "openai-chat", "-k", "plain_text")


def test_the_session_judges_with_the_installed_releases_expectations(pytester: pytest.Pytester) -> None:
    # A range that covers every release: the installed SDK's run is judged against it.
    pytester.makefile(".toml", ranged='[profiles.openai-chat.sdk.">=0"]\nplain_text = "broken"\n')
    result = run_suites(pytester, *ARGS)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*expected: broken*", "*observed: supported*"])
    pytester.makefile(".toml", ranged='[profiles.openai-chat.sdk."<0.1"]\nplain_text = "broken"\n')
    result = run_suites(pytester, *ARGS)
    result.assert_outcomes(passed=1)
