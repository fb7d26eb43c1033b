"""Server settings: defaults < `--config FILE` ([trip_server] table) < TRIP_SERVER_* variables < flags."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from mcp_server.errors import ConfigError
from mcp_server.keys import MIN_KEY_BYTES
from mcp_server.store import parse_db


def default_db_path() -> Path:
    return Path(user_data_dir("trip-agent", appauthor=False)) / "trips.db"


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/mcp"
    # A SQLite file, or a postgresql:// URL (text: see store.parse_db) shared by replicas.
    db: Path | str = field(default_factory=default_db_path)
    catalog: Path | None = None  # None: the bundled data/catalog.json
    # Extra Host header values and browser Origins to trust (loopback ones always are).
    allowed_hosts: tuple[str, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    container: bool = False
    search_delay_s: float = 0.0  # simulated latency per search step, for demos
    quote_ttl_hours: float = 24.0
    max_attempts: int = 3  # invalid answers to one question before the flow stops
    sampling_max_tokens: int = 300
    elicitation_style: str = "steps"  # "steps": one question at a time; "form": all missing fields at once
    session_idle_timeout_s: float = 900.0
    # What one client can make the server keep: beyond a cap the request is 503 with Retry-After.
    max_sessions: int = 1000  # legacy sessions at once
    max_held_calls: int = 256  # tool calls in progress on legacy sessions (each holds its session open)
    init_timeout_s: float = 10.0  # lifetime of a session that sends nothing after its initialize
    max_connections: int = 1024  # open HTTP connections; more are answered 503 and closed
    # Key(s) that seal 2026-07-28 requestState; set the same ones on every replica. Empty: one made
    # once and kept in request_state_key_file (None: beside the database; keys.py).
    request_state_keys: tuple[str, ...] = ()
    request_state_key_file: Path | None = None
    # How long a 2026-07-28 question may wait for its answer (the sealed state's lifetime).
    request_state_ttl_s: float = 86400.0
    log_level: str = "INFO"
    # Bearer-token auth (off unless a key source is set): JWTs of one issuer, signed with its JWKS.
    auth_oidc_discovery_url: str | None = None  # .../.well-known/openid-configuration: issuer and jwks_uri
    auth_jwks_url: str | None = None  # instead of discovery; then auth_issuer is required
    auth_issuer: str | None = None  # with discovery: must equal the document's issuer
    auth_client_ids: tuple[str, ...] = ()  # allowed `client_id` (Cognito access tokens) or `aud`; empty: any
    auth_required_scopes: tuple[str, ...] = ()  # every one must be in the token's `scope`, else 403
    auth_resource_base_url: str | None = None  # public base URL in Protected Resource Metadata

    def __post_init__(self) -> None:
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
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.path}"

    def with_container_defaults(self) -> ServerSettings:
        """AgentCore Runtime: every interface, port 8000, /mcp; any Host (the platform fronts it)."""
        return replace(self, host="0.0.0.0", port=8000, path="/mcp", container=True)


_TYPES = {f.name: f.type for f in fields(ServerSettings)}
# --container is a mode with its own defaults (with_container_defaults), not a file setting.
_FILE_KEYS = [name for name in _TYPES if name != "container"]


ENV_PREFIX = "TRIP_SERVER_"


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
    values: dict[str, Any] = {}
    if config_file is not None:
        try:
            data = tomllib.loads(Path(config_file).read_text(encoding="utf-8"))
        except OSError as error:
            raise ConfigError(f"cannot read {config_file}: {error.strerror}") from error
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{config_file} is not valid TOML: {error}") from error
        if "trip_server" not in data:
            raise ConfigError(f"{config_file} has no [trip_server] table (see configs/server.toml)")
        table = data["trip_server"]
        unknown = sorted(set(table) - set(_FILE_KEYS))
        if unknown:
            raise ConfigError(f"{config_file}: unknown [trip_server] key(s) {', '.join(unknown)}; known: {', '.join(_FILE_KEYS)}")
        values.update(table)
    values.update(_from_env(env or {}))
    values.update({key: value for key, value in (overrides or {}).items() if value is not None})
    try:
        converted = {key: _convert(key, value) for key, value in values.items()}
        return ServerSettings(**converted)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"invalid server setting: {error}") from error


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """File keys from TRIP_SERVER_<KEY> variables, parsed from text by the key's type.

    Raises:
        ConfigError: a number variable that is not a number.
    """
    values: dict[str, Any] = {}
    for key in _FILE_KEYS:
        raw = env.get(ENV_PREFIX + key.upper())
        if not raw:
            continue
        kind = str(_TYPES[key])
        try:
            if "tuple" in kind:
                values[key] = [item.strip() for item in raw.split(",") if item.strip()]
            elif kind in ("int", "float"):
                values[key] = int(raw) if kind == "int" else float(raw)
            else:
                values[key] = raw
        except ValueError as error:
            raise ConfigError(f"{ENV_PREFIX}{key.upper()} must be a number, not {raw!r}") from error
    return values


def _convert(key: str, value: Any) -> Any:
    kind = str(_TYPES[key])
    if key == "db":
        if not isinstance(value, str | Path) or value == "":
            raise ValueError(f"db must be a file path or a postgresql:// URL, not {value!r}")
        return parse_db(value)
    if "Path" in kind:
        return Path(value).expanduser() if value not in (None, "") else None
    if "tuple" in kind:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"{key} must be a list of strings")
        return tuple(value)
    if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        raise ValueError(f"{key} must be an integer, not {value!r}")
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"{key} must be a number, not {value!r}")
        return float(value)
    if kind in ("str", "bool") and type(value).__name__ != kind:
        raise ValueError(f"{key} must be a {kind}, not {value!r}")
    if kind == "str | None" and not isinstance(value, str):
        raise ValueError(f"{key} must be a string, not {value!r}")
    return value
