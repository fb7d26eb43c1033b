"""Settings: configs/default.toml < --config FILE < environment < flags, merged key by key.

A config file is a strict pydantic model (`extra="forbid"`): each `[table] key` is one annotated
field, whose type and bounds are what the file is checked against and what an error names. Each
layer is a pydantic-settings source of that same nested document (flags highest), merged table by
table and key by key; the checked document becomes the AgentSettings the agent runs with.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from annotated_types import Ge, Le
from pydantic import ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, InitSettingsSource, SettingsConfigDict

from agent.errors import ConfigError
from agent.file_format import FileFormat
from agent.servers import ServerConfig, parse_servers, read_mcp_config

# The defaults live beside the package in the source tree; the project is run from a checkout
# (`make run`) and pyproject ships no agent package data, so they are not a package resource.
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"

Provider = Literal["auto", "bedrock", "anthropic", "openai", "ollama", "local", "playback"]
PROVIDER_NAMES: tuple[str, ...] = get_args(Provider)
# Providers named by a bare word in a SPEC: they keep the configured model_id (auto may need it).
_BARE_PROVIDERS = ("auto", "local")
SamplingPolicy = Literal["auto", "ask", "deny"]
SAMPLING_POLICIES: tuple[str, ...] = get_args(SamplingPolicy)
VALID_SPECS = (
    "auto, bedrock:MODEL_ID, anthropic:MODEL_ID, openai:MODEL_ID, ollama:MODEL_ID, local, playback:FILE, "
    "or a bare Bedrock model id"
)

# --- what a config file holds -------------------------------------------------------------------


class _Table(FileFormat):
    """A table of a config file: besides unknown keys, coercion is refused (`max_tokens = "5"` is a mistake)."""

    model_config = ConfigDict(strict=True)


Tokens = Annotated[int, Field(ge=1, le=200_000)]


class ModelTable(_Table):
    """[model]: the agent's model."""

    provider: Provider
    model_id: str
    region: str
    max_tokens: Tokens
    temperature: Annotated[float, Field(ge=0.0, le=2.0)]
    gguf: str = ""


class SamplingTable(_Table):
    """[sampling]: how MCP sampling requests are answered; `model` is a SPEC, `hints` hint -> SPEC."""

    policy: SamplingPolicy
    model: str | None = None
    max_tokens_cap: Tokens
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=10_000)]
    hints: dict[str, str] = {}


class ServerTable(_Table):
    """[server]: the MCP server to use; url and agentcore_arn both None means start the bundled trip-server."""

    url: str | None = None
    agentcore_arn: str | None = None
    region: str | None = None
    qualifier: str = "DEFAULT"
    token_command: str | None = None


class AgentTable(_Table):
    """[agent]: the REPL's files and the system prompt."""

    system_prompt: str
    history_file: str | None = None
    transcript: str | None = None
    log_dir: str | None = None


class ConfigDocument(BaseSettings):
    """Every table a config file may hold (besides `[servers.NAME]`, see agent.servers).

    Build it with load_settings, which passes the layers as its sources (`_build_sources`); called
    directly it would read pydantic-settings' default sources (os.environ) instead.
    """

    model_config = SettingsConfigDict(extra="forbid", frozen=True, strict=True)

    model: ModelTable
    sampling: SamplingTable
    server: ServerTable = ServerTable()
    agent: AgentTable


_TABLES: dict[str, type[_Table]] = {name: info.annotation for name, info in ConfigDocument.model_fields.items()}  # type: ignore[misc]
# Every key a config file may hold, `table.key`, in the order the models declare them.
KNOWN_KEYS = tuple(f"{table}.{key}" for table, model in _TABLES.items() for key in model.model_fields)

# --- what the agent runs with -------------------------------------------------------------------


@dataclass(frozen=True)
class ModelSettings:
    """One model to create.

    model_id is the provider's model id; for `playback` the file to replay; `local` ignores it and
    runs `gguf` (empty: the default Qwen2.5-Coder-1.5B); `auto` uses model_id for Bedrock, else `gguf`.
    Not a file table: models are also derived at run time (sampling requests set their own limits).
    """

    provider: str
    model_id: str
    region: str
    max_tokens: int
    temperature: float
    stop_sequences: tuple[str, ...] = ()
    gguf: str = ""

    @property
    def spec(self) -> str:
        """The SPEC form of this model, as the user would write it."""
        return self.provider if self.provider in _BARE_PROVIDERS else f"{self.provider}:{self.model_id}"


@dataclass(frozen=True)
class SamplingSettings:
    """How MCP sampling requests are answered. model None means the agent's own model."""

    policy: SamplingPolicy
    model: ModelSettings | None
    max_tokens_cap: int
    rate_limit_per_minute: int
    hint_map: dict[str, str]


@dataclass(frozen=True)
class AgentSettings:
    """servers: the `[servers.NAME]` tables and `--mcp-config` entries, by name (empty: see `server`)."""

    model: ModelSettings
    sampling: SamplingSettings
    server: ServerTable
    system_prompt: str
    history_file: Path | None
    transcript: Path | None
    servers: dict[str, ServerConfig] = field(default_factory=dict)
    log_dir: Path | None = None


# --- the layers ---------------------------------------------------------------------------------

# What one environment variable or flag sets: (table, key, value) entries of the document.
Setter = Callable[[str], list[tuple[str, str, Any]]]


def _key(table: str, key: str) -> Setter:
    return lambda value: [(table, key, value)]


def _model_spec(value: str) -> list[tuple[str, str, Any]]:
    provider, model_id = parse_model_spec(value)
    return [("model", "provider", provider), *([("model", "model_id", model_id)] if model_id else [])]


# Environment variables and the keys they set, strongest first where two set the same key.
_ENV_KEYS: tuple[tuple[str, Setter], ...] = (
    ("TRIP_AGENT_MODEL", _model_spec),
    ("TRIP_AGENT_REGION", _key("model", "region")),
    ("AWS_REGION", _key("model", "region")),
    ("TRIP_AGENT_SAMPLING", _key("sampling", "policy")),
    ("TRIP_AGENT_SERVER", _key("server", "url")),
)

# Command-line flags (argparse dest names) and the keys they set.
_FLAG_KEYS: dict[str, Setter] = {
    "model": _model_spec,
    "server": _key("server", "url"),
    "agentcore_arn": _key("server", "agentcore_arn"),
    "region": _key("server", "region"),
    "sampling": _key("sampling", "policy"),
    "transcript": _key("agent", "transcript"),
}

# A bare Bedrock id is vendor.model[...] (maybe with a geography prefix and a :version) or an ARN.
_BARE_BEDROCK_ID = re.compile(r"arn:aws[\w-]*:bedrock:\S+|[a-z0-9-]+\.[\w.:-]+")


def parse_model_spec(spec: str) -> tuple[str, str]:
    """Split a --model SPEC into (provider, model_id).

    Args:
        spec: `auto`, `bedrock:ID`, `anthropic:ID`, `openai:ID`, `ollama:ID`, `local`, `playback:FILE` or a
            bare Bedrock id.

    Returns:
        The provider name and model id (the file for playback, "" for auto and local).

    Raises:
        ConfigError: The spec is empty, names an unknown provider or lacks its id.
    """
    spec = spec.strip()
    if spec in _BARE_PROVIDERS:
        return spec, ""
    provider, sep, model_id = spec.partition(":")
    if sep and provider in PROVIDER_NAMES and provider not in _BARE_PROVIDERS:
        if not model_id:
            raise ConfigError(
                f"model spec {spec!r} has no model id after '{provider}:'", hint=f"use one of: {VALID_SPECS}"
            )
        return provider, model_id
    if not _BARE_BEDROCK_ID.fullmatch(spec):
        raise ConfigError(f"invalid model spec {spec!r}", hint=f"use one of: {VALID_SPECS}")
    return "bedrock", spec


class _TomlFile(InitSettingsSource):
    """A config file's tables, each key checked on its own: a file need not hold every key, and an
    error names the file (its `[servers.NAME]` tables are in `servers`).

    Raises:
        ConfigError: The file is unreadable or not TOML, or holds an unknown key or a wrong value.
    """

    def __init__(self, path: Path) -> None:
        try:
            with path.open("rb") as file:
                document = tomllib.load(file)
        except OSError as error:
            message = f"cannot read config file {path}: {error.strerror}"
            raise ConfigError(message, hint="check the --config path") from error
        except tomllib.TOMLDecodeError as error:
            message = f"config file {path} is not valid TOML: {error}"
            raise ConfigError(message, hint="fix the syntax at that line") from error
        self.servers = parse_servers(document.pop("servers"), str(path)) if "servers" in document else {}
        _check_file(document, str(path))
        # What is left outside the known tables is empty (see _check_file).
        super().__init__(ConfigDocument, {table: body for table, body in document.items() if table in _TABLES})


def _check_file(document: dict[str, Any], source: str) -> None:
    """Raise the document's first problem in the file's order. Keys it lacks, and words outside a
    closed set (provider, policy), are judged once every layer is merged."""
    try:
        ConfigDocument.model_validate(document)
    except ValidationError as error:
        problems = [
            problem
            for problem in error.errors()
            if problem["type"] != "missing"
            and not (problem["type"] == "literal_error" and isinstance(problem["input"], str))
            # An empty known table sets nothing; an empty unknown one ([weathr]) is still a typo to name.
            and not (problem["input"] == {} and problem["loc"][0] in _TABLES)
        ]
        if problems:
            keys = [(table, key) for table, body in document.items() for key in (body if isinstance(body, dict) and body else [None])]
            first = min(problems, key=lambda problem: _position(problem["loc"][:2], keys))
            raise _file_problem(first, document, source) from None


def _position(loc: tuple[int | str, ...], keys: list[tuple[Any, ...]]) -> int:
    """Where in the file the key at `loc` (or its table) is written."""
    return next((index for index, where in enumerate(keys) if where[: len(loc)] == loc[: len(where)]), len(keys))


def _file_problem(problem: ErrorDetails, document: dict[str, Any], source: str) -> ConfigError:
    """One pydantic error of a file as today's one line: the key, the file, and the fix."""
    loc = tuple(str(part) for part in problem["loc"])
    table = _TABLES.get(loc[0])
    body = document.get(loc[0])
    if table is None or not isinstance(body, dict):
        if body == {}:  # an empty table: only its name can be wrong
            tables = [*_TABLES, "servers"]
            close = difflib.get_close_matches(loc[0], tables, n=1, cutoff=0.6)
            hint = f"did you mean [{close[0]}]?" if close else f"known tables: {', '.join(f'[{t}]' for t in tables)}"
            return ConfigError(f"unknown config table [{loc[0]}] in {source}", hint=hint)
        # An unknown table is named by its first key, as the user would look for it.
        name = f"{loc[0]}.{next(iter(body))}" if isinstance(body, dict) and body else loc[0]
        return ConfigError(f"unknown config key {name!r} in {source}", hint=_known_keys_hint(name))
    name = ".".join(loc[:2])
    if problem["type"] == "extra_forbidden":
        return ConfigError(f"unknown config key {name!r} in {source}", hint=_known_keys_hint(name))
    if len(loc) > 2:  # an entry of a table of its own: [sampling.hints]
        return ConfigError(f"[{name}] in {source} must map names to model specs", hint='e.g. "claude-haiku" = "bedrock:ID"')
    info = table.model_fields[loc[1]]
    if problem["type"] in ("greater_than_equal", "less_than_equal"):
        low = next(item.ge for item in info.metadata if isinstance(item, Ge))
        high = next(item.le for item in info.metadata if isinstance(item, Le))
        return ConfigError(
            f"config key {name!r} in {source} is {problem['input']}, outside {low:g}–{high:g}",
            hint=f"set {loc[1]} between {low:g} and {high:g}",
        )
    return ConfigError(f"config key {name!r} in {source} has the wrong type", hint=f"give it {_kind(info.annotation)}")


def _kind(annotation: Any) -> str:
    """What a value of the field's type is called in a config file."""
    if get_origin(annotation) is Literal:
        return "a string"
    if get_origin(annotation) in (Union, UnionType):  # optional: what it holds when set
        annotation = next(part for part in get_args(annotation) if part is not type(None))
    return {str: "a string", int: "an integer", float: "a number", dict: "a table"}[get_origin(annotation) or annotation]


def _known_keys_hint(name: str) -> str:
    close = difflib.get_close_matches(name, KNOWN_KEYS, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(KNOWN_KEYS)}"


def _layer(settings: list[tuple[str, str, Any]]) -> InitSettingsSource:
    """Entries set by the environment or flags, the first of each key kept, as a source."""
    document: dict[str, dict[str, Any]] = {}
    for table, key, value in settings:
        document.setdefault(table, {}).setdefault(key, value)
    return InitSettingsSource(ConfigDocument, document)


def _env_layer(env: Mapping[str, str]) -> InitSettingsSource:
    return _layer([entry for name, setter in _ENV_KEYS if env.get(name) for entry in setter(env[name])])


def _flag_layer(flags: Mapping[str, Any]) -> InitSettingsSource:
    unknown = next((name for name in flags if name not in _FLAG_KEYS), None)
    if unknown is not None:
        raise ConfigError(f"unknown flag {unknown!r}", hint=f"known flags: {', '.join(_FLAG_KEYS)}")
    # argparse leaves flags that were not given as None
    return _layer([entry for name, value in flags.items() if value is not None for entry in _FLAG_KEYS[name](str(value))])


# A word outside its closed set, once every layer is merged: the message and its fix.
_UNKNOWN_WORDS = {
    ("model", "provider"): ("unknown model provider", f"use one of: {', '.join(PROVIDER_NAMES)}"),
    ("sampling", "policy"): ("unknown sampling policy", "use auto, ask or deny"),
}


def _merged_problem(error: ValidationError) -> ConfigError:
    """The merged document's problem: required keys no layer set, else a provider or policy unknown."""
    missing = []
    for problem in error.errors():
        if problem["type"] == "missing":
            table, *key = problem["loc"]
            model = _TABLES[str(table)]
            keys = key or [name for name, info in model.model_fields.items() if info.is_required()]
            missing += [f"{table}.{name}" for name in keys]
    if missing:
        return ConfigError(f"required config keys missing: {', '.join(missing)}", hint=f"restore them in {DEFAULT_CONFIG}")
    problem = error.errors()[0]
    message, hint = _UNKNOWN_WORDS[(str(problem["loc"][0]), str(problem["loc"][1]))]
    return ConfigError(f"{message} {problem['input']!r}", hint=hint)


def load_settings(
    *, config_file: Path | None, env: Mapping[str, str], flags: Mapping[str, Any], mcp_config: Path | None = None
) -> AgentSettings:
    """Build the settings from the defaults, an optional config file, the environment and the flags.

    Args:
        config_file: The --config FILE, or None.
        env: The environment (os.environ in production).
        flags: Parsed command-line flags by argparse dest name; None values mean "not given".
        mcp_config: The --mcp-config FILE (`mcpServers` JSON), or None.

    Returns:
        The merged, validated settings.

    Raises:
        ConfigError: A file is unreadable or holds an unknown key, or a value is invalid.
    """
    files = [_TomlFile(DEFAULT_CONFIG), *([_TomlFile(config_file)] if config_file is not None else [])]
    servers = {name: server for file in files for name, server in file.servers.items()}
    if mcp_config is not None:
        for name, server in read_mcp_config(mcp_config).items():
            if name in servers:
                raise ConfigError(
                    f"server {name!r} is in both {config_file} and {mcp_config}", hint="rename or remove one of them"
                )
            servers[name] = server
    environment = _env_layer(env)
    sources = (_flag_layer(flags), environment, *reversed(files))  # highest first
    try:
        document = ConfigDocument(_build_sources=(sources, {}))
    except ValidationError as error:
        raise _merged_problem(error) from None
    return _settings(document, servers)


def _settings(document: ConfigDocument, servers: dict[str, ServerConfig]) -> AgentSettings:
    """What the agent runs with, from the merged document.

    Raises:
        ConfigError: [sampling] model is not a valid SPEC.
    """
    table = document.model
    model = ModelSettings(
        table.provider, table.model_id, table.region, table.max_tokens, float(table.temperature), gguf=table.gguf
    )
    sampling = document.sampling
    agent = document.agent
    return AgentSettings(
        model=model,
        sampling=SamplingSettings(
            policy=sampling.policy,
            model=model_from_spec(sampling.model, model) if sampling.model is not None else None,
            max_tokens_cap=sampling.max_tokens_cap,
            rate_limit_per_minute=sampling.rate_limit_per_minute,
            hint_map=dict(sampling.hints),
        ),
        server=document.server,
        system_prompt=agent.system_prompt.strip(),
        history_file=_path(agent.history_file),
        transcript=_path(agent.transcript),
        servers=servers,
        log_dir=_path(agent.log_dir),
    )


def model_from_spec(spec: str, base: ModelSettings) -> ModelSettings:
    """The model a SPEC names, with region and limits taken from `base`.

    Args:
        spec: A --model SPEC.
        base: The settings whose region, max_tokens and temperature the new model keeps.

    Returns:
        The settings of the named model.

    Raises:
        ConfigError: The spec is invalid.
    """
    provider, model_id = parse_model_spec(spec)
    # auto and local name no model id: keep the base's, which auto needs when it picks Bedrock.
    model_id = model_id or base.model_id
    return ModelSettings(provider, model_id, base.region, base.max_tokens, base.temperature, gguf=base.gguf)


def _path(value: str | None) -> Path | None:
    return Path(value).expanduser() if value else None
