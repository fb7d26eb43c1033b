"""Servers from configuration: `[servers.NAME]` TOML tables and the `mcpServers` / VS Code JSON files."""

import json
from pathlib import Path

import pytest

from agent.app import resolve_servers, server_log
from agent.config import load_settings
from agent.errors import ConfigError
from agent.servers import HttpServerConfig, StdioServerConfig, read_mcp_config
from agent.server_process import needs_bundled


def write_json(tmp_path: Path, document, name: str = "mcp.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_claude_desktop_shape_reads_stdio_and_http_servers(tmp_path):
    path = write_json(
        tmp_path,
        {
            "mcpServers": {
                "files": {"command": "npx", "args": ["-y", "some-server", "/tmp"], "env": {"LEVEL": "debug"}},
                "remote": {"url": "https://mcp.example.com/mcp", "headers": {"X-Team": "travel"}},
            }
        },
    )

    servers = read_mcp_config(path)

    assert servers == {
        "files": StdioServerConfig(command="npx", args=["-y", "some-server", "/tmp"], env={"LEVEL": "debug"}),
        "remote": HttpServerConfig(url="https://mcp.example.com/mcp", headers={"X-Team": "travel"}),
    }


def test_the_vs_code_shape_with_types_and_our_per_server_policy(tmp_path):
    path = write_json(
        tmp_path,
        {
            "servers": {
                "local": {"type": "stdio", "command": "node", "args": ["server.js"], "sampling": "ask"},
                "web": {"type": "http", "url": "http://127.0.0.1:9000/mcp", "rate_limit_per_minute": 2},
            }
        },
    )

    servers = read_mcp_config(path)

    assert servers["local"].sampling == "ask" and servers["local"].command == "node"
    assert servers["web"].rate_limit_per_minute == 2 and servers["web"].sampling is None


@pytest.mark.parametrize(
    ("document", "exp_message"),
    [
        ({"mcpServers": {"a": {"command": "x", "argz": []}}}, "server 'a' in {path}: field 'argz': unknown field"),
        ({"mcpServers": {"a": {"command": "x", "args": "y"}}}, "server 'a' in {path}: field 'args': Input should be a valid list"),
        ({"mcpServers": {"a": {"command": "x", "env": {"K": 1}}}}, "server 'a' in {path}: field 'env.K': Input should be a valid string"),
        ({"mcpServers": {"a": {"url": "ftp://x"}}}, "server 'a' in {path}: field 'url': Value error, must be an http:// or https:// URL"),
        ({"mcpServers": {"a": {"url": "http://x", "command": "y"}}}, "server 'a' in {path} has both `command` and `url`; give one"),
        ({"mcpServers": {"a": {"args": []}}}, "server 'a' in {path} needs `command` (a stdio server) or `url`"),
        ({"mcpServers": {"a": {"type": "sse", "url": "http://x"}}}, "server 'a' in {path} type 'sse' (the deprecated HTTP+SSE transport) is not supported"),
        ({"mcpServers": {"a": {"command": "x", "sampling": "maybe"}}}, "server 'a' in {path}: field 'sampling': Input should be 'auto', 'ask' or 'deny'"),
        ({"mcpServers": {"a": {"command": "x", "rate_limit_per_minute": 0}}}, "server 'a' in {path}: field 'rate_limit_per_minute': Input should be greater than or equal to 1"),
        ({"mcpServers": {"a b": {"command": "x"}}}, "server name 'a b' in {path} is invalid"),
        (
            {"mcpServers": {"a": {"url": "http://x", "headers": {"Authorization": "Bearer ${input:token}"}}}},
            "server 'a' in {path}: field 'headers.Authorization': Value error, uses ${{…}} substitution, which trip-agent does not do",
        ),
        ({"servers": {"a": {"command": "x", "args": ["${workspaceFolder}"]}}}, "server 'a' in {path}: field 'args.0': Value error, uses ${{…}}"),
        ({"mcpServers": {"a": "x"}}, "server 'a' in {path} must be a table/object with `command` or `url`"),
        ({"mcpservers": {}}, "MCP config file {path}: field 'mcpservers': unknown field"),
        ({}, "MCP config file {path} needs exactly one of 'mcpServers' or 'servers'"),
        ({"mcpServers": {}, "servers": {}}, "MCP config file {path} needs exactly one of 'mcpServers' or 'servers'"),
    ],
)
def test_a_bad_entry_is_one_line_naming_the_file_the_server_and_the_field(tmp_path, document, exp_message):
    path = write_json(tmp_path, document)

    with pytest.raises(ConfigError) as raised:
        read_mcp_config(path)

    assert raised.value.message.startswith(exp_message.format(path=path))
    assert "\n" not in str(raised.value)


def test_a_file_that_is_not_json_or_missing_says_so(tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{nope", encoding="utf-8")

    with pytest.raises(ConfigError, match=f"MCP config file {broken} is not valid JSON"):
        read_mcp_config(broken)
    with pytest.raises(ConfigError, match=f"cannot read MCP config file {tmp_path / 'none.json'}"):
        read_mcp_config(tmp_path / "none.json")


def test_toml_servers_and_the_json_file_and_server_url_make_one_list(tmp_path):
    toml = tmp_path / "user.toml"
    toml.write_text(
        '[servers.files]\ncommand = "node"\nargs = ["files.js"]\nsampling = "deny"\n'
        '[servers.web]\nurl = "http://127.0.0.1:9000/mcp"\nrate_limit_per_minute = 3\n'
        '[agent]\nlog_dir = "~/trip-logs"\n',
        encoding="utf-8",
    )
    path = write_json(tmp_path, {"mcpServers": {"everything": {"command": "node", "args": ["e.js"]}}})

    settings = load_settings(
        config_file=toml, env={}, flags={"server": "http://127.0.0.1:8000/mcp"}, mcp_config=path
    )
    targets = resolve_servers(settings, {})

    assert [(t.name, t.url, t.sampling, t.rate_limit_per_minute) for t in targets] == [
        ("127.0.0.1:8000", "http://127.0.0.1:8000/mcp", None, None),
        ("files", None, "deny", None),
        ("web", "http://127.0.0.1:9000/mcp", None, 3),
        ("everything", None, None, None),
    ]
    assert targets[1].stdio == StdioServerConfig(command="node", args=["files.js"], sampling="deny")
    assert not any(target.bundled for target in targets) and not needs_bundled(settings)
    assert server_log(settings, "files") == Path("~/trip-logs").expanduser() / "servers" / "files.log"


def test_with_no_server_configured_the_bundled_one_is_used():
    settings = load_settings(config_file=None, env={}, flags={})

    (target,) = resolve_servers(settings, {})

    assert target.name == "trip-server" and target.bundled and needs_bundled(settings)


def test_a_name_in_both_the_toml_and_the_json_file_is_an_error(tmp_path):
    toml = tmp_path / "user.toml"
    toml.write_text('[servers.everything]\ncommand = "node"\n', encoding="utf-8")
    path = write_json(tmp_path, {"mcpServers": {"everything": {"command": "npx"}}})

    with pytest.raises(ConfigError, match=f"server 'everything' is in both {toml} and {path}"):
        load_settings(config_file=toml, env={}, flags={}, mcp_config=path)


def test_a_bad_toml_server_names_the_toml_file(tmp_path):
    toml = tmp_path / "user.toml"
    toml.write_text('[servers.files]\ncommand = "node"\nagrs = ["x"]\n', encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_settings(config_file=toml, env={}, flags={})

    assert raised.value.message == f"server 'files' in {toml}: field 'agrs': unknown field"
