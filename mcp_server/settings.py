"""Server settings: defaults < `--config FILE` ([trip_server] table) < command-line flags."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from platformdirs import user_data_dir

from mcp_server.errors import ConfigError


def default_db_path() -> Path:
    return Path(user_data_dir("trip-agent", appauthor=False)) / "trips.db"


@dataclass(frozen=True)
class ServerSettings:
    host: str = "127.0.0.1"
    port: int = 8000
    path: str = "/mcp"
    db: Path = field(default_factory=default_db_path)
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
    # Key(s) that seal 2026-07-28 requestState; set the same ones on every replica. Empty: per process.
    request_state_keys: tuple[str, ...] = ()
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        problems = []
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
        if problems:
            raise ConfigError("; ".join(problems))

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


def load_settings(config_file: Path | None = None, overrides: dict[str, Any] | None = None) -> ServerSettings:
    """Settings from an optional TOML file's [trip_server] table, then explicit overrides.

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
    values.update({key: value for key, value in (overrides or {}).items() if value is not None})
    try:
        converted = {key: _convert(key, value) for key, value in values.items()}
        return ServerSettings(**converted)
    except (TypeError, ValueError) as error:
        raise ConfigError(f"invalid server setting: {error}") from error


def _convert(key: str, value: Any) -> Any:
    kind = str(_TYPES[key])
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
    return value
