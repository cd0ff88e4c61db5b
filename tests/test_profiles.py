"""Profile loading: built-ins, user overrides, and one clear message for every kind of bad file."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents_compat.config.features import FEATURE_IDS
from agents_compat.config.profiles import ProfileError, load_profiles, select
from agents_compat.outcomes import Outcome

REQUIRED_PROFILES = {
    "openai-responses",
    "openai-chat",
    "ollama-chat",
    "ollama-responses",
    "gomodel-native",
    "gomodel-translated",
    "llamacpp-chat",
    "llamacpp-responses",
    "vllm-responses",
    "lmstudio-chat",
    "litellm-responses",
    "litellm-chat",
}


BASE = '[profiles.x]\nfamily = "ollama"\napi = "responses"\nmodel = "m"\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "backends.toml"
    path.write_text(text)
    return path


def test_builtin_profiles_cover_every_feature() -> None:
    profiles = load_profiles()
    assert REQUIRED_PROFILES <= set(profiles)
    for profile in profiles.values():
        assert set(profile.expect) == set(FEATURE_IDS), profile.name
        assert profile.reach == "emulator"


def test_user_file_overrides_field_by_field_and_adds(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[profiles.ollama-chat]
model = "llama3.2:1b"
[profiles.ollama-chat.expect]
structured_output = "ignored"

[profiles.my-gateway]
family = "custom"
api = "responses"
model = "gpt-x"
reach = "url"
base_url_env = "MY_GATEWAY_URL"
""",
    )
    profiles = load_profiles([path])
    ollama = profiles["ollama-chat"]
    assert ollama.model == "llama3.2:1b"
    assert ollama.expect["structured_output"] is Outcome.IGNORED
    assert ollama.expect["function_tools"] is Outcome.SUPPORTED  # untouched fields stay
    assert ollama.family == "ollama"
    assert profiles["my-gateway"].tier == "live"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        (
            '[profiles.x]\nfamily = "nosuch"\napi = "responses"\nmodel = "m"\n',
            ["profile 'x'", "field 'family'", "nosuch"],
        ),
        (
            BASE + '[profiles.x.expect]\nteleport = "supported"\n',
            ["profile 'x'", "field 'expect'", "teleport"],
        ),
        ('[profiles.x]\nfamily = "ollama"\napi = "responses"\nmodel = 3\n', ["profile 'x'", "field 'model'", "string"]),
        ('[profiles.x]\nfamily = "ollama"\napi = "responses"\n', ["profile 'x'", "field 'model'", "is required"]),
        (
            BASE + '[profiles.x.expect]\nplain_text = "great"\n',
            ["profile 'x'", "field 'expect.plain_text'", "great"],
        ),
        (
            '[profiles.x]\nfamily = "ollama"\napi = "responses"\nmodel = "m"\ncolour = "red"\n',
            ["profile 'x'", "field 'colour'", "not a known profile field"],
        ),
        (
            '[profiles.x]\nfamily = "ollama"\napi = "websocket"\nmodel = "m"\n',
            ["profile 'x'", "field 'api'", "websocket"],
        ),
    ],
    ids=[
        "unknown-family",
        "unknown-feature",
        "wrong-type",
        "missing-model",
        "unknown-outcome",
        "unknown-field",
        "bad-api",
    ],
)
def test_bad_profile_is_one_clear_message(tmp_path: Path, text: str, names: list[str]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileError) as caught:
        load_profiles([path])
    message = str(caught.value)
    assert message.startswith(str(path))
    for name in names:
        assert name in message
    assert "\n" not in message


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[profiles.x\nfamily = ")
    with pytest.raises(ProfileError, match=r"backends.toml: not valid TOML"):
        load_profiles([path])


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="cannot read backends file"):
        load_profiles([tmp_path / "absent.toml"])


def test_unknown_top_level_table(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"unknown top-level table\(s\) \['backends'\]"):
        load_profiles([write(tmp_path, "[backends.x]\nfamily = 'ollama'\n")])


def test_select_keeps_order_and_rejects_unknown_names() -> None:
    profiles = load_profiles()
    assert [p.name for p in select(profiles, ["ollama-chat", "openai-chat"])] == ["ollama-chat", "openai-chat"]
    assert len(select(profiles, [])) == len(profiles)
    with pytest.raises(ProfileError, match="unknown backend\\(s\\) olama-chat; known: "):
        select(profiles, ["olama-chat"])


URL_ROW = '[profiles.gw]\nfamily = "custom"\napi = "chat_completions"\nmodel = "m"\nreach = "url"\nbase_url = "http://127.0.0.1:1/v1"\n'


@pytest.mark.parametrize(
    ("table", "names"),
    [
        ('[profiles.gw.unconfirmed]\nhandoffs = " "\n', ["'gw'", "reason", "handoffs"]),
        ('[profiles.gw.unconfirmed]\nhandofs = "weak"\n', ["'gw'", "unknown feature id", "handofs"]),
    ],
)
def test_an_unconfirmed_allowance_names_known_features_with_reasons(
    tmp_path: Path, table: str, names: list[str]
) -> None:
    path = tmp_path / "b.toml"
    path.write_text(URL_ROW + table)
    with pytest.raises(ProfileError) as caught:
        load_profiles([path])
    assert all(name in str(caught.value) for name in names), caught.value


def test_unconfirmed_is_for_live_rows_and_a_live_table_passes_it_to_its_row(tmp_path: Path) -> None:
    mocked = tmp_path / "m.toml"
    mocked.write_text('[profiles.ollama-chat.unconfirmed]\nhandoffs = "weak"\n')
    with pytest.raises(ProfileError, match="applies to live rows"):
        load_profiles([mocked])
    url = tmp_path / "u.toml"
    url.write_text(URL_ROW + '[profiles.gw.unconfirmed]\nhandoffs = "weak"\n')
    assert load_profiles([url])["gw"].unconfirmed == {"handoffs": "weak"}
    live = load_profiles()["llamacpp-4227c9b-chat"]
    assert set(live.live_row().unconfirmed) == {"handoffs", "parallel_tool_calls", "reasoning_roundtrip"}
    assert all(why.strip() for why in live.live_row().unconfirmed.values())
