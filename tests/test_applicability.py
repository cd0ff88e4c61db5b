"""Where a feature applies (agents_compat/config/features.py), and the judge's one live/mocked rule.

The feature table declares the APIs each feature applies to; profiles need no line for the others
(profiles.py fills in ``skipped``), and the plugin records those cells itself without running the scenario.
A classifier says when the model did not cooperate; the judge makes that inconclusive on a live row.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents_compat.config.features import BY_ID, FEATURES
from agents_compat.config.profiles import Profile, ProfileError, load_profiles
from agents_compat.outcomes import Observation, Outcome
from agents_compat.testing import run_suites  # noqa: F401 (imports the SDK once, before any in-process run)

RESPONSES_ONLY = [f.id for f in FEATURES if f.apis == {"responses"}]
CHAT_REASON = "a Responses API feature; this profile's SDK path is Chat Completions"


def test_the_table_names_the_responses_only_features() -> None:
    assert RESPONSES_ONLY == ["input_tokens", "compaction", "response_retrieval", "store_false"]
    assert BY_ID["input_tokens"].not_applicable("chat_completions", "m") == CHAT_REASON
    assert BY_ID["input_tokens"].not_applicable("responses", "m") is None
    assert BY_ID["plain_text"].not_applicable("chat_completions", "m") is None


def test_a_namespaced_feature_needs_a_provider_in_the_model_id() -> None:
    feature = BY_ID["namespaced_model_ids"]
    why = feature.not_applicable("responses", "gpt-4.1-mini")
    assert why == "the model id 'gpt-4.1-mini' has no provider/ namespace"
    assert feature.not_applicable("chat_completions", "openai/gpt-4.1-mini") is None


def chat_profile() -> Profile:
    return Profile(name="mine", family="ollama", api="chat_completions", model="m")


def test_a_chat_profile_needs_no_line_for_a_responses_feature() -> None:
    assert {f: chat_profile().expect[f] for f in RESPONSES_ONLY} == dict.fromkeys(RESPONSES_ONLY, Outcome.SKIPPED)
    assert "plain_text" not in chat_profile().expect  # only the features that do not apply are filled in
    responses = Profile(name="r", family="ollama", api="responses", model="m")
    assert not set(RESPONSES_ONLY) & set(responses.expect)
    builtin = load_profiles()
    for name in ("openai-chat", "ollama-chat", "llamacpp-chat", "llama-cpp-python-chat", "lmstudio-chat"):
        assert all(builtin[name].expect[f] is Outcome.SKIPPED for f in RESPONSES_ONLY), name


def test_a_users_file_that_still_says_skipped_loads(tmp_path: Path) -> None:
    """Files written before the table declared it (README's "In your own repo", `agents-compat accept`)."""
    lines = "\n".join(f'{f} = "skipped"  # Responses API only' for f in RESPONSES_ONLY)
    path = tmp_path / "compat-backends.toml"
    path.write_text(
        f'[profiles.mine]\nfamily = "custom"\napi = "chat_completions"\nmodel = "m"\nreach = "url"\n'
        f'base_url = "http://127.0.0.1:1/v1"\n[profiles.mine.expect]\nplain_text = "supported"\n{lines}\n'
    )
    mine = load_profiles([path])["mine"]
    assert mine.expect["compaction"] is Outcome.SKIPPED and mine.expect["plain_text"] is Outcome.SUPPORTED


@pytest.mark.parametrize(
    ("table", "where"),
    [
        ('[profiles.mine.expect]\ncompaction = "unsupported"\n', "expect"),
        ('[profiles.mine.sdk."<0.23"]\nstore_false = "ignored"\n', "sdk.'<0.23'"),
    ],
)
def test_another_outcome_for_a_feature_of_another_api_is_a_profile_error(
    tmp_path: Path, table: str, where: str
) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(f'[profiles.mine]\nfamily = "ollama"\napi = "chat_completions"\nmodel = "m"\n{table}')
    with pytest.raises(ProfileError) as raised:
        load_profiles([path])
    message = str(raised.value)
    assert message.startswith(f"{path}: profile 'mine': {where}: ")
    assert 'is a Responses API feature and this profile\'s api is "chat_completions"' in message
    assert 'leave it out (or say "skipped")' in message


def test_a_live_difference_for_a_feature_of_another_api_is_a_profile_error(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(
        '[profiles.ollama-chat.live.differs.input_tokens]\noutcome = "unsupported"\nwhy = "no such route"\n'
    )
    with pytest.raises(ProfileError, match="profile 'ollama-chat': live.differs: input_tokens = 'unsupported'"):
        load_profiles([path])


def test_a_built_in_responses_profile_moved_to_the_chat_path_says_what_to_change(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text('[profiles.ollama-responses]\napi = "chat_completions"\n')
    with pytest.raises(ProfileError, match="input_tokens = 'unsupported', but input_tokens is a Responses API"):
        load_profiles([path])


# -- the judge's rule -------------------------------------------------------------------------------


def test_a_models_miss_is_inconclusive_live_and_ignored_mocked() -> None:
    missed = Observation(Outcome.IGNORED, "no call", model_missed=True)
    assert missed.on_tier("live") == Observation(Outcome.INCONCLUSIVE, "no call", model_missed=True)
    assert missed.on_tier("mocked") is missed
    plain = Observation(Outcome.IGNORED, "tool_choice was not read")  # the backend's doing: the same on both tiers
    assert plain.on_tier("live") is plain and plain.on_tier("mocked") is plain


SCENARIOS = """
import pytest
from agents_compat.judging.classify.common import model_missed

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.feature("input_tokens")
async def test_responses_only(backend, judge):
    raise AssertionError("a Responses-only scenario ran on the chat path")


@pytest.mark.feature("plain_text")
async def test_missed(backend, judge):
    agent = backend.agent("assistant", "Answer briefly.")
    await backend.run(agent, "Reply with exactly: one")
    await backend.run(agent, "Reply with exactly: two")
    judge(model_missed("the model answered something else"))
"""


def run_scenarios(pytester: pytest.Pytester, *args: str) -> tuple[pytest.RunResult, dict[str, dict]]:
    pytester.makepyfile(test_scenarios=SCENARIOS)
    result = pytester.runpytest_inprocess(
        *("-p", "no:cacheprovider", "-rxX"),
        *("--compat-report-dir", str(pytester.path / "out"), *args, "test_scenarios.py"),
    )
    cells = json.loads((pytester.path / "out" / "compat-matrix.json").read_text())["cells"]
    return result, {c["feature"]: c for c in cells}


def test_the_plugin_skips_what_does_not_apply_and_judges_every_exchange(pytester: pytest.Pytester) -> None:
    pytester.makefile(".toml", mine='[profiles.ollama-chat.expect]\nplain_text = "ignored"\n')
    result, cells = run_scenarios(pytester, "-m", "mocked", "--backend", "ollama-chat", "--backends", "mine.toml")
    result.assert_outcomes(passed=2)
    skipped = cells["input_tokens"]
    assert (skipped["outcome"], skipped["expected"], skipped["reason"]) == ("skipped", "skipped", CHAT_REASON)
    assert skipped["exchanges"] == []
    missed = cells["plain_text"]
    assert (missed["outcome"], missed["reason"]) == ("ignored", "the model answered something else")
    # Both runs' exchanges, though the scenario handed the judge only its observation.
    sent = [e["request"]["body"]["messages"][-1]["content"] for e in missed["exchanges"]]
    assert sent == ["Reply with exactly: one", "Reply with exactly: two"]


def test_on_a_live_row_the_judge_makes_a_models_miss_inconclusive(
    pytester: pytest.Pytester, served_ollama: str
) -> None:
    pytester.makefile(
        ".toml",
        live=f'[profiles.served]\nfamily = "ollama"\napi = "chat_completions"\nmodel = "qwen3:0.6b"\n'
        f'reach = "url"\nbase_url = "{served_ollama}"\n[profiles.served.expect]\nplain_text = "supported"\n',
    )
    args = ("-m", "live", "--backends", "live.toml", "--backend", "served")
    # Declared supported, the miss is unconfirmed: it fails the run unless allowed (issue 29, docs/gating.md).
    result, cells = run_scenarios(pytester, *args)
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*served / plain_text: declared supported, now unconfirmed*"])
    assert cells["plain_text"]["unconfirmed"] is True
    result, cells = run_scenarios(pytester, *args, "--compat-allow-unconfirmed")
    result.assert_outcomes(passed=1, xfailed=1)
    result.stdout.fnmatch_lines(["*XFAIL*test_missed*inconclusive: the model answered something else*"])
    assert cells["plain_text"]["outcome"] == "inconclusive" and cells["plain_text"]["tier"] == "live"
    assert cells["plain_text"]["allowed"] == "--compat-allow-unconfirmed"
    assert cells["input_tokens"]["outcome"] == "skipped"
