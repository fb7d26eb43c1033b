"""Server settings: defaults < `--config FILE` ([trip_server] table) < TRIP_SERVER_* variables < flags.

One strict pydantic-settings model: a setting is one annotated field. Its type alias below says
how the value is checked, what the error says, and how a TRIP_SERVER_<KEY> variable's text becomes
it; the layers are pydantic-settings sources, highest first.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from platformdirs import user_data_dir
from pydantic import (
    BeforeValidator,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, InitSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from mcp_server.errors import ConfigError
from mcp_server.keys import MIN_KEY_BYTES
from mcp_server.store import parse_db

ENV_PREFIX = "TRIP_SERVER_"


def default_db_path() -> Path:
    return Path(user_data_dir("trip-agent", appauthor=False)) / "trips.db"


def _must_be(what: str) -> WrapValidator:
    """Any type error of the setting becomes one clause: `must be <what>, not <value>`."""

    def check(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError("server_setting", f"must be {what}, not {{value}}", {"value": repr(value)}) from None

    return WrapValidator(check)


@dataclass(frozen=True)
class FromText:
    """How a TRIP_SERVER_<KEY> variable's text becomes the value (without it: the text itself)."""

    parse: Callable[[str], Any]


def _comma_list(text: str) -> list[str]:
    return [item.strip() for item in text.split(",") if item.strip()]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _path_or_none(value: Any) -> Any:
    if value is None or value == "":
        return None
    if not isinstance(value, str | Path):
        raise ValueError("not a path")
    return Path(value).expanduser()


def _db(value: Any) -> Path | str:
    if not isinstance(value, str | Path) or value == "":
        raise ValueError("not a path or URL")
    return parse_db(value)  # ConfigError (a bad URL) passes through as it is


Text = Annotated[StrictStr, _must_be("a string")]
OptionalText = Annotated[StrictStr | None, _must_be("a string")]
Integer = Annotated[StrictInt, _must_be("an integer"), FromText(int)]
# An integer is a number too (`quote_ttl_hours = 24`), kept as a float; a bool is not.
Number = Annotated[float, Field(strict=True), _must_be("a number"), FromText(float)]
Texts = Annotated[tuple[StrictStr, ...], BeforeValidator(_one_or_many), _must_be("a list of strings"), FromText(_comma_list)]
# Environment words for true and false; any other word is left for the check to refuse.
_BOOLEANS = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
Flag = Annotated[StrictBool, _must_be("true or false"), FromText(lambda text: _BOOLEANS.get(text.strip().lower(), text))]
OptionalPath = Annotated[Path | None, PlainValidator(_path_or_none), _must_be("a file path")]
Database = Annotated[Path | str, PlainValidator(_db), _must_be("a file path or a postgresql:// URL")]


class ServerSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="forbid", frozen=True)

    host: Text = "127.0.0.1"
    port: Integer = 8000
    path: Text = "/mcp"
    # A SQLite file, or a postgresql:// URL (text: see store.parse_db) shared by replicas.
    db: Database = Field(default_factory=default_db_path)
    catalog: OptionalPath = None  # None: the bundled data/catalog.json
    # Extra Host header values and browser Origins to trust (loopback ones always are).
    allowed_hosts: Texts = ()
    allowed_origins: Texts = ()
    container: StrictBool = False  # a mode (with_container_defaults), not a file or environment setting
    search_delay_s: Number = 0.0  # simulated latency per search step, for demos
    quote_ttl_hours: Number = 24.0
    max_attempts: Integer = 3  # invalid answers to one question before the flow stops
    sampling_max_tokens: Integer = 300
    elicitation_style: Text = "steps"  # "steps": one question at a time; "form": all missing fields at once
    # Book goes through a demo payment page served here, on clients that declare URL elicitation.
    payment_step: Flag = False
    session_idle_timeout_s: Number = 900.0
    # What one client can make the server keep: beyond a cap the request is 503 with Retry-After.
    max_sessions: Integer = 1000  # legacy sessions at once
    max_held_calls: Integer = 256  # tool calls in progress on legacy sessions (each holds its session open)
    init_timeout_s: Number = 10.0  # lifetime of a session that sends nothing after its initialize
    max_connections: Integer = 1024  # open HTTP connections; more are answered 503 and closed
    # Key(s) that seal 2026-07-28 requestState; set the same ones on every replica. Empty: one made
    # once and kept in request_state_key_file (None: beside the database; keys.py).
    request_state_keys: Texts = ()
    request_state_key_file: OptionalPath = None
    # How long a 2026-07-28 question may wait for its answer (the sealed state's lifetime).
    request_state_ttl_s: Number = 86400.0
    log_level: Text = "INFO"
    # Bearer-token auth (off unless a key source is set): JWTs of one issuer, signed with its JWKS.
    auth_oidc_discovery_url: OptionalText = None  # .../.well-known/openid-configuration: issuer and jwks_uri
    auth_jwks_url: OptionalText = None  # instead of discovery; then auth_issuer is required
    auth_issuer: OptionalText = None  # with discovery: must equal the document's issuer
    auth_client_ids: Texts = ()  # allowed `client_id` (Cognito access tokens) or `aud`; empty: any
    auth_required_scopes: Texts = ()  # every one must be in the token's `scope`, else 403
    auth_resource_base_url: OptionalText = None  # public base URL in Protected Resource Metadata

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Built directly, the settings are what is passed (like a dataclass); load_settings layers."""
        return (init_settings,)

    @model_validator(mode="after")
    def _consistent(self) -> ServerSettings:
        """Raises ConfigError (not a pydantic error: it passes through as it is) with every problem."""
        problems = self._auth_problems()
        if not self.path.startswith("/"):
            problems.append(f"path must start with '/': {self.path!r}")
        if not 0 <= self.port <= 65535:
            problems.append(f"port must be 0-65535: {self.port}")
        if self.elicitation_style not in ("steps", "form"):
            problems.append(f"elicitation_style must be 'steps' or 'form': {self.elicitation_style!r}")
        if self.max_attempts < 1:
            problems.append("max_attempts must be at least 1")
        if self.search_delay_s < 0 or self.quote_ttl_hours <= 0 or self.sampling_max_tokens < 1:
            problems.append("search_delay_s >= 0, quote_ttl_hours > 0 and sampling_max_tokens >= 1 are required")
        problems += self._limit_problems()
        if problems:
            raise ConfigError("; ".join(problems))
        return self

    def _limit_problems(self) -> list[str]:
        positive = ("session_idle_timeout_s", "init_timeout_s", "request_state_ttl_s")
        problems = [f"{name} must be more than 0 seconds, not {getattr(self, name)!r}" for name in positive if not getattr(self, name) > 0]
        counts = ("max_sessions", "max_held_calls", "max_connections")
        problems += [f"{name} must be at least 1, not {getattr(self, name)!r}" for name in counts if getattr(self, name) < 1]
        short = [str(index) for index, key in enumerate(self.request_state_keys) if len(key.encode()) < MIN_KEY_BYTES]
        if short:
            problems.append(
                f"request_state_keys[{', '.join(short)}] must be at least {MIN_KEY_BYTES} bytes of secret randomness "
                '(make one with: python -c "import secrets; print(secrets.token_hex(32))")'
            )
        if len(set(self.request_state_keys)) < len(self.request_state_keys):
            problems.append("request_state_keys has the same key twice")
        return problems

    @property
    def auth_enabled(self) -> bool:
        return bool(self.auth_oidc_discovery_url or self.auth_jwks_url)

    def _auth_problems(self) -> list[str]:
        if self.auth_oidc_discovery_url and self.auth_jwks_url:
            return ["set auth_oidc_discovery_url or auth_jwks_url, not both"]
        if not self.auth_enabled:
            dependent = [
                name
                for name in ("auth_issuer", "auth_client_ids", "auth_required_scopes", "auth_resource_base_url")
                if getattr(self, name)
            ]
            return [f"{', '.join(dependent)} need(s) auth_oidc_discovery_url or auth_jwks_url"] if dependent else []
        problems = []
        if self.auth_jwks_url and not self.auth_issuer:
            problems.append("auth_jwks_url needs auth_issuer (tokens of any issuer would be accepted)")
        for name in ("auth_oidc_discovery_url", "auth_jwks_url", "auth_issuer", "auth_resource_base_url"):
            value = getattr(self, name)
            if value and not value.startswith(("https://", "http://")):
                problems.append(f"{name} must be an http(s) URL: {value!r}")
        return problems

    @property
    def url(self) -> str:
        return http_url(self.host, self.port, self.path)

    def with_container_defaults(self) -> ServerSettings:
        """AgentCore Runtime: every interface, port 8000, /mcp; any Host (the platform fronts it)."""
        return self.model_copy(update={"host": "0.0.0.0", "port": 8000, "path": "/mcp", "container": True})


def http_url(host: str, port: int, path: str) -> str:
    """`http://host:port/path`, an IPv6 host in brackets."""
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}{path}"


# --container is a mode with its own defaults (with_container_defaults), not a file setting.
FILE_KEYS = [name for name in ServerSettings.model_fields if name != "container"]


class _TomlTable(PydanticBaseSettingsSource):
    """The [trip_server] table of a TOML file.

    Raises:
        ConfigError: unreadable file, not TOML, no table, or an unknown key.
    """

    def __init__(self, settings_cls: type[BaseSettings], config_file: Path) -> None:
        super().__init__(settings_cls)
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError(f"cannot read {config_file}: {error.strerror}") from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{config_file} is not valid TOML: {error}") from error
        if "trip_server" not in data:
            raise ConfigError(f"{config_file} has no [trip_server] table (see configs/server.toml)")
        self.table = data["trip_server"]
        unknown = sorted(set(self.table) - set(FILE_KEYS))
        if unknown:
            raise ConfigError(f"{config_file}: unknown [trip_server] key(s) {', '.join(unknown)}; known: {', '.join(FILE_KEYS)}")

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.table.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.table)


class _Environment(PydanticBaseSettingsSource):
    """TRIP_SERVER_<KEY> variables of `env` (not os.environ: the caller says which), each parsed from
    text as its field's FromText says; an empty variable is unset.

    Raises:
        ConfigError: a number variable that is not a number.
    """

    def __init__(self, settings_cls: type[BaseSettings], env: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env = env

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        raw = self.env.get(ENV_PREFIX + field_name.upper())
        if not raw:
            return None, field_name, False
        parse = next((item.parse for item in field.metadata if isinstance(item, FromText)), str)
        try:
            return parse(raw), field_name, False
        except ValueError as error:
            raise ConfigError(f"{ENV_PREFIX}{field_name.upper()} must be a number, not {raw!r}") from error

    def __call__(self) -> dict[str, Any]:
        values = {}
        for name in FILE_KEYS:
            value, key, _ = self.get_field_value(self.settings_cls.model_fields[name], name)
            if value is not None:
                values[key] = value
        return values


def load_settings(
    config_file: Path | None = None,
    overrides: dict[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
) -> ServerSettings:
    """Settings from an optional TOML file's [trip_server] table, then `env`, then explicit overrides.

    `env` (the CLI passes os.environ) sets any file key as TRIP_SERVER_<KEY>, e.g. TRIP_SERVER_DB or
    TRIP_SERVER_AUTH_CLIENT_IDS="id1,id2": containers are configured by environment.

    Raises:
        ConfigError: unreadable file, unknown key, or a value of the wrong type.
    """
    given = {key: value for key, value in (overrides or {}).items() if value is not None}
    sources: list[PydanticBaseSettingsSource] = [InitSettingsSource(ServerSettings, given), _Environment(ServerSettings, env or {})]
    if config_file is not None:
        sources.append(_TomlTable(ServerSettings, config_file))
    try:
        return ServerSettings(_build_sources=(tuple(sources), given))
    except ValidationError as error:
        clauses = [f"{'.'.join(map(str, item['loc']))} {item['msg']}" for item in error.errors()]
        raise ConfigError(f"invalid server setting: {'; '.join(clauses)}") from None
