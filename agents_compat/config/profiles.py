"""Backend profiles: what a backend is, how it is reached, and what each feature is expected to do.

Profiles are data. The built-in ones ship in ``agents_compat/config/backends.toml``; a user's TOML file adds
profiles or overrides built-in ones field by field. Any mistake in a file stops the run with one
message naming the file, the profile and the field (``ProfileError``).
"""

from __future__ import annotations

import fnmatch
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..emulators import EMULATORS
from ..emulators.faults import Fault
from ..outcomes import Outcome
from .features import API_NAMES, FEATURE_IDS, FEATURES

Family = Literal["openai", "ollama", "gomodel", "llamacpp", "llama-cpp-python", "vllm", "lmstudio", "litellm", "custom"]
Api = Literal["chat_completions", "responses"]
# emulator: mocked tier; url, process, server: live tier (server = a [servers.NAME] the harness launches)
Reach = Literal["emulator", "url", "process", "server"]
ServerKind = Literal["llama-server", "ollama", "gomodel", "litellm", "llama-cpp-python"]
GATEWAY_KINDS = ("gomodel", "litellm")  # servers in front of another [servers.NAME]
PYTHON_KINDS = ("litellm", "llama-cpp-python")  # processes from their own virtualenv (launchers/recipes/python.py)

PROFILE_NAME = re.compile(r"[A-Za-z0-9._-]+")
FAULTS_FILE = "faults.toml"  # built-in fault profiles, loaded only when asked for
PROCESS_ONLY = ("command", "port", "ready_path", "start_timeout")
LIVE_SUFFIX = "@live"  # the live row of profile X is X@live


class ProfileError(Exception):
    """A profile file is unreadable or invalid; the message names file, profile and field."""


def known_features(value: dict[str, Any]) -> dict[str, Any]:
    """A table keyed by feature id names only known ones."""
    unknown = sorted(set(value) - set(FEATURE_IDS))
    if unknown:
        raise ValueError(f"unknown feature id(s) {unknown}; known: {', '.join(FEATURE_IDS)}")
    return value


class ServerSpec(BaseModel):
    """A real server the harness launches for live rows: in a container, or from a binary on PATH."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: ServerKind = Field(description="what it is: decides its command line, readiness check and set-up")
    version: str = Field(min_length=1, description="the pinned release; the matrix records it")
    launcher: Literal["container", "process"] = "container"
    image: str = Field(default="", description="container: the image, under its upstream name")
    binary: str = Field(
        min_length=1,
        description="process: the executable, found on PATH (Python servers: their virtualenv under the cache)",
    )
    gguf: str = Field(
        default="smollm2-135m",
        description="llama-server, ollama, llama-cpp-python: the [models.NAME] it loads (scripts/live-setup)",
    )
    template: str = Field(
        default="ollama-chatml-json-tools.tmpl",
        description="ollama: the TEMPLATE the model is imported with, a file in agents_compat/templates",
    )
    upstream: str | None = Field(default=None, description="gomodel, litellm: the [servers.NAME] it forwards to")
    upstream_provider: str = Field(default="ollama", description="gomodel: the model-id prefix of that upstream")
    upstream_model: str = Field(
        default="qwen2.5-coder:0.5b",  # the name Ollama gets for [servers.ollama]'s gguf
        description="gomodel: the upstream's model for rows on another provider; litellm: the model it routes to",
    )
    start_timeout: float = Field(default=180.0, gt=0, description="seconds to wait for readiness")
    args: list[str] = Field(default_factory=list, description="extra command-line arguments")
    env_from: dict[str, str] = Field(
        default_factory=dict,
        description="server variable -> the harness's environment variable holding its value (passed when set)",
    )

    @model_validator(mode="after")
    def _upstream(self) -> ServerSpec:
        if (self.kind in GATEWAY_KINDS) != (self.upstream is not None):
            kinds = " and ".join(f'"{k}"' for k in GATEWAY_KINDS)
            raise ValueError(f"'upstream' (the server a gateway forwards to) is required for kind = {kinds} only")
        if self.kind in PYTHON_KINDS and self.launcher != "process":
            raise ValueError(f'kind = "{self.kind}" runs as a process from its virtualenv: set launcher = "process"')
        if self.launcher == "container" and not self.image:
            raise ValueError("launcher = \"container\" needs 'image'")
        return self


class ModelSpec(BaseModel):
    """One GGUF file and the PyPI packages it is shipped in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    packages: list[str] = Field(min_length=1, description="pinned requirements, in the order their parts join")
    members: str = Field(default="*.gguf", description="which files of each wheel are parts (a glob)")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="of the assembled file")


def _with_reasons(value: dict[str, str]) -> dict[str, str]:
    empty = sorted(feature for feature, why in value.items() if not why.strip())
    if empty:
        raise ValueError(f"give each feature the reason its unconfirmed cell may only warn (empty: {empty})")
    return value


class Difference(BaseModel):
    """A live cell that differs from the mocked expectation, and why (the mocked-vs-live check reads it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outcome: Outcome
    why: str = Field(min_length=1)


class LiveSpec(BaseModel):
    """How a profile runs live: on which launched server, with which model, and where it differs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    server: str = Field(min_length=1, description="a [servers.NAME] table")
    model: str = Field(min_length=1, description="the model id the live server knows")
    needs_env: list[str] = Field(
        default_factory=list, description="environment variables this row needs (else it is skipped, naming them)"
    )
    differs: dict[str, Difference] = Field(default_factory=dict)
    unconfirmed: dict[str, str] = Field(
        default_factory=dict,
        description="feature -> why a weak model may leave its declared cell inconclusive: a warning, not a failure",
    )

    _known_features = field_validator("differs", "unconfirmed")(known_features)
    _reasons = field_validator("unconfirmed")(_with_reasons)


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    family: Family
    api: Api = Field(description="which SDK model class talks to it: chat_completions or responses")
    model: str = Field(min_length=1)
    description: str = ""
    version: str | None = Field(default=None, description="backend release this profile describes")
    reach: Reach = "emulator"
    base_url: str | None = None
    base_url_env: str | None = None
    api_key: str | None = Field(default=None, repr=False)  # repr=False: never in a traceback's locals
    api_key_env: str | None = None
    model_env: str | None = Field(default=None, description='reach = "url": a variable that, when set, names the model')
    emulator: str | None = Field(default=None, description="emulator module; defaults to the family")
    emulator_options: dict[str, Any] = Field(default_factory=dict)
    fault: Fault | None = Field(default=None, description="emulators only: what a broken server does to replies")
    timeout: float | None = Field(default=None, gt=0, description="per-run seconds (default 10 emulated, 120 live)")
    command: list[str] = Field(default_factory=list, description='process: argv; "{port}" is replaced by the port')
    port: int | None = Field(default=None, ge=1, le=65535, description="process: port (default: a free one)")
    ready_path: str = Field(default="/v1/models", description="process: GET path that answers 200 once ready")
    start_timeout: float = Field(default=30.0, gt=0, description="process: seconds to wait for readiness")
    expect: dict[str, Outcome] = Field(default_factory=dict)
    unconfirmed: dict[str, str] = Field(
        default_factory=dict,
        description="live rows: feature -> why a weak model may leave its declared cell inconclusive (a warning, "
        "not a failure; docs/gating.md)",
    )
    live: LiveSpec | None = Field(default=None, description="also run this profile live, on a launched server")
    server: str | None = Field(default=None, description='reach = "server": the [servers.NAME] to launch')
    twin: str | None = Field(default=None, description="a live row made from a profile: that profile's name")
    strict: Literal["clean"] | None = Field(
        default=None, description='"clean": any deviation from the published OpenAI types fails the cell'
    )
    sdk: dict[str, dict[str, Outcome]] = Field(
        default_factory=dict,
        description='openai-agents releases (a PEP 440 range such as "<0.23") -> what this profile does on them',
    )

    _known_features = field_validator("expect", "unconfirmed")(known_features)
    _reasons = field_validator("unconfirmed")(_with_reasons)

    @field_validator("sdk")
    @classmethod
    def _sdk_ranges(cls, value: dict[str, dict[str, Outcome]]) -> dict[str, dict[str, Outcome]]:
        for spec, outcomes in value.items():
            try:
                SpecifierSet(spec)
            except InvalidSpecifier:
                raise ValueError(f'{spec!r} is not a version range such as "<0.23" or ">=0.17,<0.21"') from None
            known_features(outcomes)
        return value

    def for_sdk(self, release: str) -> Profile:
        """The profile as it behaves with this openai-agents release: each matching range overrides ``expect``."""
        matching = [outcomes for spec, outcomes in self.sdk.items() if Version(release) in SpecifierSet(spec)]
        if not matching:
            return self
        expect = dict(self.expect)
        for outcomes in matching:
            expect.update(outcomes)
        return self.model_copy(update={"expect": expect})

    @model_validator(mode="after")
    def _reach_fields(self) -> Profile:
        if self.reach == "process" and not self.command:
            raise ValueError("reach = \"process\" needs 'command', the server's command line as a list of strings")
        given = sorted(name for name in PROCESS_ONLY if name in self.model_fields_set)
        if given and self.reach != "process":
            raise ValueError(f'{", ".join(repr(n) for n in given)} only apply to reach = "process"')
        if (self.reach == "server") != (self.server is not None):
            raise ValueError("reach = \"server\" and 'server' (a [servers.NAME] table) go together")
        if self.reach == "emulator" and self.emulator_name not in EMULATORS:
            # Found here, not by each of the row's cells erroring one by one.
            field = "emulator" if self.emulator else "family"
            raise ValueError(
                f"{field} {self.emulator_name!r} names no emulator; known: {', '.join(sorted(EMULATORS))} "
                '(reach = "emulator" needs one)'
            )
        if self.unconfirmed and self.reach == "emulator":
            raise ValueError(
                "'unconfirmed' applies to live rows (an emulator's row is never inconclusive); "
                "for this profile's live row it goes under [profiles.NAME.live.unconfirmed]"
            )
        if self.fault is not None and self.reach != "emulator":
            raise ValueError(
                "'fault' applies to reach = \"emulator\"; a served emulator takes it as `serve NAME --fault KIND`"
            )
        return self

    @model_validator(mode="after")
    def _applicable(self) -> Profile:
        """A feature of another API is skipped, by the plugin: declared so or not at all, never anything else."""
        for feature in FEATURES:
            if self.api in feature.apis:
                continue
            declared = [("expect", self.expect.get(feature.id))]
            declared += [(f"sdk.{spec!r}", outcomes.get(feature.id)) for spec, outcomes in self.sdk.items()]
            if self.live is not None and feature.id in self.live.differs:
                declared.append(("live.differs", self.live.differs[feature.id].outcome))
            wrong = [(where, outcome) for where, outcome in declared if outcome not in (None, Outcome.SKIPPED)]
            if wrong:
                where, outcome = wrong[0]
                paths = " and ".join(API_NAMES[a] for a in sorted(feature.apis))
                raise ValueError(
                    f"{where}: {feature.id} = {outcome.value!r}, but {feature.id} is a {paths} feature and this "
                    f'profile\'s api is "{self.api}": the harness records it skipped; leave it out (or say "skipped")'
                )
            self.expect.setdefault(feature.id, Outcome.SKIPPED)  # its cell's declaration, as if written out
        return self

    @property
    def tier(self) -> str:
        return "mocked" if self.reach == "emulator" else "live"

    @property
    def emulator_name(self) -> str:
        return self.emulator or self.family

    def live_row(self) -> Profile:
        """The live twin of a profile with a ``live`` table: same scenarios, a launched server, its own row."""
        assert self.live is not None
        expect = {**self.expect, **{f: d.outcome for f, d in self.live.differs.items()}}
        return Profile(
            name=f"{self.name}{LIVE_SUFFIX}",
            family=self.family,
            api=self.api,
            model=self.live.model,
            description=self.description,
            reach="server",
            server=self.live.server,
            api_key=self.api_key,
            timeout=self.timeout,
            expect=expect,
            unconfirmed=self.live.unconfirmed,
            twin=self.name,
            sdk=self.sdk,
            live=self.live,
        )


def _format_validation_error(source: str, name: str, error: ValidationError, kind: str = "profile") -> str:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    message = first["msg"]
    if first["type"] == "missing":
        message = "is required"
    elif first["type"] == "extra_forbidden":
        message = "is not a known profile field"
    elif "input" in first and first["type"].startswith(("literal", "enum")):
        message = f"{first['msg']} (got {first['input']!r})"
    more = len(error.errors()) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    if not field:  # a rule across fields (reach and its fields): the message names them
        return f"{source}: {kind} '{name}': {message.removeprefix('Value error, ')}{suffix}"
    return f"{source}: {kind} '{name}': field '{field}' {message}{suffix}"


def parse_toml(source: str, text: str) -> dict[str, Any]:
    """A TOML document, or one ProfileError naming ``source`` (tomllib recurses: deep nesting is refused too)."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ProfileError(f"{source}: not valid TOML: nested too deeply") from None


def read_text(path: Path, what: str = "backends file") -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"{path}: cannot read {what}: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None


def _read_toml(source: str, data: dict[str, Any], table: str = "profiles") -> dict[str, dict[str, Any]]:
    # agents: see agents_compat/judging/readiness.py
    unexpected = sorted(set(data) - {"profiles", "servers", "models", "agents"})
    if unexpected:
        raise ProfileError(
            f"{source}: unknown top-level table(s) {unexpected}; profiles go under [profiles.NAME], "
            "live servers under [servers.NAME], their GGUF models under [models.NAME], "
            "agent descriptions under [agents.NAME]"
        )
    entries = data.get(table, {})
    kind = table.removesuffix("s")
    if not isinstance(entries, dict):
        raise ProfileError(f"{source}: '{table}' must be tables: [{table}.NAME]")
    for name, entry in entries.items():
        if not PROFILE_NAME.fullmatch(name):
            # names become pytest ids, table rows and file-level messages: one printable word
            raise ProfileError(f"{source}: {kind} {name!r}: a name holds only letters, digits, '.', '_' and '-'")
        if not isinstance(entry, dict):
            raise ProfileError(f"{source}: {kind} '{name}': must be a table ([{table}.{name}])")
    return entries


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def builtin_text(name: str = "backends.toml") -> str:
    return resources.files("agents_compat.config").joinpath(name).read_text(encoding="utf-8")


Layer = tuple[str, dict[str, Any]]  # where a backends file came from, and its TOML document


def _layers(user_files: Iterable[Path], include_builtin: bool, include_faults: bool) -> list[Layer]:
    """Each file read and parsed once."""
    texts: list[tuple[str, str]] = []
    if include_builtin:
        texts.append(("agents_compat/config/backends.toml", builtin_text()))
    if include_faults:
        texts.append((f"agents_compat/{FAULTS_FILE}", builtin_text(FAULTS_FILE)))
    for path in user_files:
        texts.append((str(path), read_text(path)))
    return [(source, parse_toml(source, text)) for source, text in texts]


M = TypeVar("M", bound=BaseModel)


def _validated(kind: str, model: type[M], raw: dict[str, dict[str, Any]], sources: dict[str, str]) -> dict[str, M]:
    found: dict[str, M] = {}
    for name, table in raw.items():
        try:
            found[name] = model(name=name, **table)
        except ValidationError as exc:
            raise ProfileError(_format_validation_error(sources[name], name, exc, kind)) from None
        except TypeError as exc:  # e.g. a 'name' key inside the table
            raise ProfileError(f"{sources[name]}: {kind} '{name}': {exc}") from None
    return found


def _merged(layers: list[Layer], table: str) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    raw: dict[str, dict[str, Any]] = {}
    sources: dict[str, str] = {}
    for source, data in layers:
        for name, entry in _read_toml(source, data, table).items():
            raw[name] = _merge(raw.get(name, {}), entry)
            sources[name] = source
    return raw, sources


@dataclass(frozen=True)
class Catalog:
    """Everything the backends files declare, each file read and parsed once (a session loads this once)."""

    profiles: dict[str, Profile]
    servers: dict[str, ServerSpec]
    # the user files: their [agents.NAME] tables are read by agents_compat/judging/readiness.py
    user_documents: list[Layer]


def load_profiles(
    user_files: Iterable[Path] = (), *, include_builtin: bool = True, include_faults: bool = False
) -> dict[str, Profile]:
    """Built-in profiles (and fault profiles if asked), then each user file in order.

    A later layer overrides a known name field by field. A profile's live table must name a known server.
    """
    return load_catalog(user_files, include_builtin=include_builtin, include_faults=include_faults).profiles


def load_catalog(
    user_files: Iterable[Path] = (), *, include_builtin: bool = True, include_faults: bool = False
) -> Catalog:
    """The profiles (as ``load_profiles``), the servers they launch, and the user files' documents."""
    user_files = list(user_files)
    layers = _layers(user_files, include_builtin, include_faults)
    profiles: dict[str, Profile] = _validated("profile", Profile, *_merged(layers, "profiles"))
    servers = _validated("server", ServerSpec, *_merged(layers, "servers"))
    for profile in profiles.values():
        wanted = profile.live.server if profile.live else profile.server
        if wanted is not None and wanted not in servers:
            known = ", ".join(sorted(servers)) or "none"
            raise ProfileError(f"profile '{profile.name}': unknown server {wanted!r}; known servers: {known}")
    models = _validated("model", ModelSpec, *_merged(layers, "models"))
    for server in servers.values():
        if server.upstream is not None and server.upstream not in servers:
            raise ProfileError(f"server '{server.name}': unknown upstream server {server.upstream!r}")
        if server.kind != "gomodel" and server.gguf not in models:
            known = ", ".join(sorted(models)) or "none"
            raise ProfileError(f"server '{server.name}': unknown model {server.gguf!r}; known models: {known}")
    return Catalog(profiles, servers, layers[len(layers) - len(user_files) :])


def load_servers(user_files: Iterable[Path] = (), *, include_builtin: bool = True) -> dict[str, ServerSpec]:
    """The [servers.NAME] tables: built-in ones, then each user file's overrides, field by field."""
    return _validated("server", ServerSpec, *_merged(_layers(user_files, include_builtin, False), "servers"))


def load_models(user_files: Iterable[Path] = (), *, include_builtin: bool = True) -> dict[str, ModelSpec]:
    """The [models.NAME] tables: which PyPI packages make up each GGUF file, and its checksum."""
    return _validated("model", ModelSpec, *_merged(_layers(user_files, include_builtin, False), "models"))


def files_read(user_files: Iterable[Path], default_file: Path) -> str:
    """Which backends files a run read, for an error about a name none of them defines: the usual mistake is a
    ``compat-backends.toml`` that is not where the run looked for it."""
    shown = [_shown(path) for path in user_files]
    if Path(default_file).resolve() not in {Path(path).resolve() for path in user_files}:
        shown.append(f"no {_shown(default_file)}")
    return "backends files read: the built-in ones, " + ", ".join(shown)


def _shown(path: Path) -> str:
    """A path as the user would type it: relative to the working directory when under it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def select(profiles: Mapping[str, Profile], names: Iterable[str], read: str = "") -> list[Profile]:
    """The profiles asked for by name or glob (``fault-*``), in the order asked; an unmatched name is an error,
    which says ``read``: the files the profiles came from."""
    chosen: dict[str, Profile] = {}
    unknown = []
    for wanted in (n for n in names if n):
        matched = fnmatch.filter(profiles, wanted) if any(c in wanted for c in "*?[") else [wanted]
        matched = [m for m in matched if m in profiles]
        if not matched:
            unknown.append(wanted)
        chosen.update((m, profiles[m]) for m in matched)
    if unknown:
        known = f"unknown backend(s) {', '.join(unknown)}; known: {', '.join(sorted(profiles))}"
        raise ProfileError(f"{known}; {read}" if read else known)
    return list(chosen.values()) if chosen else list(profiles.values())
