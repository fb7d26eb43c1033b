"""Settings: configs/default.toml < --config FILE < environment < flags, merged key by key."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent.errors import ConfigError
from agent.servers import ServerConfig, parse_servers, read_mcp_config

# The defaults live beside the package in the source tree; the project is run from a checkout
# (`make run`) and pyproject ships no agent package data, so they are not a package resource.
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"

PROVIDER_NAMES = ("auto", "bedrock", "anthropic", "openai", "ollama", "local", "playback")
# Providers named by a bare word in a SPEC: they keep the configured model_id (auto may need it).
_BARE_PROVIDERS = ("auto", "local")
SAMPLING_POLICIES = ("auto", "ask", "deny")
VALID_SPECS = (
    "auto, bedrock:MODEL_ID, anthropic:MODEL_ID, openai:MODEL_ID, ollama:MODEL_ID, local, playback:FILE, "
    "or a bare Bedrock model id"
)

SamplingPolicy = Literal["auto", "ask", "deny"]


@dataclass(frozen=True)
class ModelSettings:
    """One model to create.

    model_id is the provider's model id; for `playback` the file to replay; `local` ignores it and
    runs `gguf` (empty: the default Qwen2.5-Coder-1.5B); `auto` uses model_id for Bedrock, else `gguf`.
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
class ServerSettings:
    """The MCP server to use; url and agentcore_arn both None means start the bundled trip-server."""

    url: str | None
    agentcore_arn: str | None
    region: str | None
    qualifier: str
    token_command: str | None


@dataclass(frozen=True)
class AgentSettings:
    """servers: the `[servers.NAME]` tables and `--mcp-config` entries, by name (empty: see `server`)."""

    model: ModelSettings
    sampling: SamplingSettings
    server: ServerSettings
    system_prompt: str
    history_file: Path | None
    transcript: Path | None
    servers: dict[str, ServerConfig] = field(default_factory=dict)
    log_dir: Path | None = None


# Every key a config file may hold, with the type its value must have.
_SCHEMA: dict[str, type | tuple[type, ...]] = {
    "model.provider": str,
    "model.model_id": str,
    "model.region": str,
    "model.max_tokens": int,
    "model.temperature": (int, float),
    "model.gguf": str,
    "sampling.policy": str,
    "sampling.model": str,
    "sampling.max_tokens_cap": int,
    "sampling.rate_limit_per_minute": int,
    "sampling.hints": dict,
    "server.url": str,
    "server.agentcore_arn": str,
    "server.region": str,
    "server.qualifier": str,
    "server.token_command": str,
    "agent.system_prompt": str,
    "agent.history_file": str,
    "agent.transcript": str,
    "agent.log_dir": str,
}

# Inclusive bounds of numeric keys: a value outside is a mistake, not a wish.
_RANGES: dict[str, tuple[float, float]] = {
    "model.max_tokens": (1, 200_000),
    "model.temperature": (0.0, 2.0),
    "sampling.max_tokens_cap": (1, 200_000),
    "sampling.rate_limit_per_minute": (1, 10_000),
}

_REQUIRED = (
    "model.provider",
    "model.model_id",
    "model.region",
    "model.max_tokens",
    "model.temperature",
    "sampling.policy",
    "sampling.max_tokens_cap",
    "sampling.rate_limit_per_minute",
    "agent.system_prompt",
)

Setter = Callable[[str], dict[str, Any]]


def _key(name: str) -> Setter:
    return lambda value: {name: value}


def _model_spec(value: str) -> dict[str, Any]:
    provider, model_id = parse_model_spec(value)
    return {"model.provider": provider, **({"model.model_id": model_id} if model_id else {})}


# Environment variables and the keys they set, strongest first where two set the same key.
_ENV_KEYS: tuple[tuple[str, Setter], ...] = (
    ("TRIP_AGENT_MODEL", _model_spec),
    ("TRIP_AGENT_REGION", _key("model.region")),
    ("AWS_REGION", _key("model.region")),
    ("TRIP_AGENT_SAMPLING", _key("sampling.policy")),
    ("TRIP_AGENT_SERVER", _key("server.url")),
)

# Command-line flags (argparse dest names) and the keys they set.
_FLAG_KEYS: dict[str, Setter] = {
    "model": _model_spec,
    "server": _key("server.url"),
    "agentcore_arn": _key("server.agentcore_arn"),
    "region": _key("server.region"),
    "sampling": _key("sampling.policy"),
    "transcript": _key("agent.transcript"),
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


def _flatten(document: Mapping[str, Any], source: str) -> dict[str, Any]:
    """Turn a TOML document into {"table.key": value}, rejecting keys and types the schema lacks."""
    flat: dict[str, Any] = {}
    for table, body in document.items():
        if not isinstance(body, dict):
            raise ConfigError(f"unknown config key {table!r} in {source}", hint=_known_keys_hint(table))
        for key, value in body.items():
            name = f"{table}.{key}"
            expected = _SCHEMA.get(name)
            if expected is None:
                raise ConfigError(f"unknown config key {name!r} in {source}", hint=_known_keys_hint(name))
            # bool is an int subclass in Python, but `max_tokens = true` is a mistake.
            if isinstance(value, bool) or not isinstance(value, expected):
                raise ConfigError(
                    f"config key {name!r} in {source} has the wrong type", hint=f"give it a {_type_name(expected)}"
                )
            low, high = _RANGES.get(name, (float("-inf"), float("inf")))
            if name in _RANGES and not low <= value <= high:
                raise ConfigError(
                    f"config key {name!r} in {source} is {value}, outside {low:g}–{high:g}",
                    hint=f"set {key} between {low:g} and {high:g}",
                )
            flat[name] = value
    if "sampling.hints" in flat and not all(isinstance(v, str) for v in flat["sampling.hints"].values()):
        raise ConfigError(
            f"[sampling.hints] in {source} must map names to model specs", hint='e.g. "claude-haiku" = "bedrock:ID"'
        )
    return flat


def _known_keys_hint(name: str) -> str:
    close = difflib.get_close_matches(name, _SCHEMA, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(_SCHEMA)}"


def _type_name(expected: type | tuple[type, ...]) -> str:
    return "number" if isinstance(expected, tuple) else {str: "string", int: "integer", dict: "table"}[expected]


def _read_toml(path: Path) -> tuple[dict[str, Any], dict[str, ServerConfig]]:
    """The file's keys, flattened, and its `[servers.NAME]` tables."""
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except OSError as error:
        message = f"cannot read config file {path}: {error.strerror}"
        raise ConfigError(message, hint="check the --config path") from error
    except tomllib.TOMLDecodeError as error:
        message = f"config file {path} is not valid TOML: {error}"
        raise ConfigError(message, hint="fix the syntax at that line") from error
    servers = parse_servers(document.pop("servers"), str(path)) if "servers" in document else {}
    return _flatten(document, str(path)), servers


def _env_layer(env: Mapping[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name, setter in reversed(_ENV_KEYS):  # weakest first, so the stronger variable overwrites
        if env.get(name):
            layer.update(setter(env[name]))
    return layer


def _flag_layer(flags: Mapping[str, Any]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name, value in flags.items():
        if name not in _FLAG_KEYS:
            raise ConfigError(f"unknown flag {name!r}", hint=f"known flags: {', '.join(_FLAG_KEYS)}")
        if value is not None:  # argparse leaves flags that were not given as None
            layer.update(_FLAG_KEYS[name](str(value)))
    return layer


def _merge(layers: list[dict[str, Any]]) -> dict[str, Any]:
    """Later layers win key by key; tables (the hint map) merge entry by entry."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            merged[key] = {**merged[key], **value} if isinstance(value, dict) and key in merged else value
    return merged


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
    defaults, servers = _read_toml(DEFAULT_CONFIG)
    layers = [defaults]
    if config_file is not None:
        values, file_servers = _read_toml(config_file)
        layers.append(values)
        servers.update(file_servers)
    if mcp_config is not None:
        for name, server in read_mcp_config(mcp_config).items():
            if name in servers:
                raise ConfigError(
                    f"server {name!r} is in both {config_file} and {mcp_config}", hint="rename or remove one of them"
                )
            servers[name] = server
    layers += [_env_layer(env), _flag_layer(flags)]
    values = _merge(layers)

    missing = [key for key in _REQUIRED if key not in values]
    if missing:
        message = f"required config keys missing: {', '.join(missing)}"
        raise ConfigError(message, hint=f"restore them in {DEFAULT_CONFIG}")
    if values["model.provider"] not in PROVIDER_NAMES:
        message = f"unknown model provider {values['model.provider']!r}"
        raise ConfigError(message, hint=f"use one of: {', '.join(PROVIDER_NAMES)}")
    if values["sampling.policy"] not in SAMPLING_POLICIES:
        raise ConfigError(f"unknown sampling policy {values['sampling.policy']!r}", hint="use auto, ask or deny")

    model = ModelSettings(
        provider=values["model.provider"],
        model_id=values["model.model_id"],
        region=values["model.region"],
        max_tokens=values["model.max_tokens"],
        temperature=float(values["model.temperature"]),
        gguf=values.get("model.gguf", ""),
    )
    return AgentSettings(
        model=model,
        sampling=SamplingSettings(
            policy=values["sampling.policy"],
            model=model_from_spec(values["sampling.model"], model) if "sampling.model" in values else None,
            max_tokens_cap=values["sampling.max_tokens_cap"],
            rate_limit_per_minute=values["sampling.rate_limit_per_minute"],
            hint_map=dict(values.get("sampling.hints", {})),
        ),
        server=ServerSettings(
            url=values.get("server.url"),
            agentcore_arn=values.get("server.agentcore_arn"),
            region=values.get("server.region"),
            qualifier=values.get("server.qualifier", "DEFAULT"),
            token_command=values.get("server.token_command"),
        ),
        system_prompt=values["agent.system_prompt"].strip(),
        history_file=_path(values.get("agent.history_file")),
        transcript=_path(values.get("agent.transcript")),
        servers=servers,
        log_dir=_path(values.get("agent.log_dir")),
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

