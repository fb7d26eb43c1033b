"""MCP servers from configuration: `[servers.NAME]` TOML tables and `--mcp-config FILE`.

The JSON file is the `{"mcpServers": {NAME: {...}}}` shape Claude Desktop, Cursor and Claude Code
read, or VS Code's `{"servers": {NAME: {"type": "stdio" | "http", ...}}}`. An entry with `command`
is a stdio server the agent starts; one with `url` a Streamable HTTP server. Besides the standard
keys an entry may carry trip-agent's own `sampling` and `rate_limit_per_minute`, which override the
`[sampling]` defaults for that server.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError, field_validator

from agent.errors import ConfigError
from agent.file_format import FileFormat

SERVER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_FORMAT_HINT = (
    '{"mcpServers": {"NAME": {"command": "...", "args": [...], "env": {...}}}} '
    'or {"mcpServers": {"NAME": {"url": "https://...", "headers": {...}}}}'
)


def _no_substitution(value: str) -> str:
    # VS Code's ${input:…}/${workspaceFolder} and Claude Code's ${VAR} would reach the server as
    # written, a failure far from its cause.
    if "${" in value:
        raise ValueError("uses ${…} substitution, which trip-agent does not do; write the value itself")
    return value


Plain = Annotated[str, AfterValidator(_no_substitution)]


class _ServerBase(FileFormat):
    sampling: Literal["auto", "ask", "deny"] | None = None
    rate_limit_per_minute: Annotated[int, Field(ge=1, le=10_000, strict=True)] | None = None


class StdioServerConfig(_ServerBase):
    """A local server the agent starts and talks to over its stdin/stdout."""

    type: Literal["stdio"] = "stdio"
    command: Annotated[Plain, Field(min_length=1)]
    args: list[Plain] = []
    env: dict[str, Plain] = {}
    cwd: Plain | None = None


class HttpServerConfig(_ServerBase):
    """A running server reached over Streamable HTTP."""

    type: Literal["http"] = "http"
    url: Plain
    headers: dict[str, Plain] = {}

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str) -> str:
        if not re.match(r"https?://[^/\s]+", url):
            raise ValueError("must be an http:// or https:// URL")
        return url


ServerConfig = StdioServerConfig | HttpServerConfig


def parse_server(entry: Any) -> ServerConfig:
    """One server entry, stdio (`command`) or HTTP (`url`); `type` may say which.

    Raises:
        ValueError: The entry is not a table, names neither or both kinds, or has a bad key.
        ValidationError: A key is unknown or a value has the wrong type.
    """
    if not isinstance(entry, dict):
        raise ValueError("must be a table/object with `command` or `url`")
    kind = entry.get("type")
    if kind == "sse":
        raise ValueError("type 'sse' (the deprecated HTTP+SSE transport) is not supported; use a Streamable HTTP url")
    if kind is None:
        if "command" in entry and "url" in entry:
            raise ValueError("has both `command` and `url`; give one")
        kind = "http" if "url" in entry else "stdio"
        if "command" not in entry and "url" not in entry:
            raise ValueError("needs `command` (a stdio server) or `url` (a Streamable HTTP server)")
    model = {"stdio": StdioServerConfig, "http": HttpServerConfig}.get(kind)
    if model is None:
        raise ValueError(f"type {kind!r} is unknown; use 'stdio' or 'http'")
    return model.model_validate(entry)


class _McpFile(FileFormat):
    mcp_servers: dict[str, Any] | None = Field(default=None, alias="mcpServers")
    servers: dict[str, Any] | None = None


def parse_servers(table: Any, source: str) -> dict[str, ServerConfig]:
    """The servers of a `{NAME: entry}` table, read from `source` (named in every error).

    Raises:
        ConfigError: A name or entry is invalid; the message names the file, the server and the field.
    """
    if not isinstance(table, dict):
        raise ConfigError(f"servers in {source} must be a table of NAME = {{...}}", hint=_FORMAT_HINT)
    servers: dict[str, ServerConfig] = {}
    for name, entry in table.items():
        if not SERVER_NAME.fullmatch(name):
            raise ConfigError(
                f"server name {name!r} in {source} is invalid",
                hint="use letters, digits, '-', '_' or '.' (at most 64), starting with a letter or digit",
            )
        try:
            servers[name] = parse_server(entry)
        except ValidationError as error:
            raise ConfigError(f"server {name!r} in {source}: {_first_problem(error)}", hint=_FORMAT_HINT) from None
        except ValueError as error:
            raise ConfigError(f"server {name!r} in {source} {error}", hint=_FORMAT_HINT) from None
    return servers


def read_mcp_config(path: Path) -> dict[str, ServerConfig]:
    """The servers of an `mcpServers` (or VS Code `servers`) JSON file.

    Raises:
        ConfigError: The file is unreadable, not JSON, or not in either shape.
    """
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read MCP config file {path}: {error.strerror}", hint="check the --mcp-config path") from error
    except json.JSONDecodeError as error:
        raise ConfigError(f"MCP config file {path} is not valid JSON: {error}", hint="fix the syntax there") from error
    try:
        shape = _McpFile.model_validate(document)
    except ValidationError as error:
        raise ConfigError(f"MCP config file {path}: {_first_problem(error)}", hint=_FORMAT_HINT) from None
    if (shape.mcp_servers is None) == (shape.servers is None):
        raise ConfigError(f"MCP config file {path} needs exactly one of 'mcpServers' or 'servers'", hint=_FORMAT_HINT)
    return parse_servers(shape.mcp_servers if shape.mcp_servers is not None else shape.servers, str(path))


def _first_problem(error: ValidationError) -> str:
    """Pydantic's first error as one line: `field 'args.0': Input should be a valid string`."""
    problem = error.errors()[0]
    where = ".".join(str(part) for part in problem["loc"])
    message = "unknown field" if problem["type"] == "extra_forbidden" else problem["msg"]
    return f"field {where!r}: {message}" if where else message
