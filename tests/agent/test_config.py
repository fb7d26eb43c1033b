from pathlib import Path

import pytest

import re

from agent.config import DEFAULT_CONFIG, KNOWN_KEYS, PROVIDER_NAMES, ConfigDocument, load_settings, parse_model_spec
from agent.errors import ConfigError
from agent.models import PROVIDERS

pytestmark = pytest.mark.usefixtures("isolated_aws")  # no AWS credentials or settings from this machine

HAIKU = "us.anthropic.claude-haiku-4-5-20251001-v1:0"
SONNET = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
PROFILE_ARN = "arn:aws:bedrock:us-east-1:123456789012:inference-profile/x"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "user.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_come_from_configs_default_toml():
    tru = load_settings(config_file=None, env={}, flags={})

    assert DEFAULT_CONFIG.name == "default.toml"
    assert (tru.model.provider, tru.model.model_id, tru.model.region) == ("auto", HAIKU, "us-east-1")
    assert tru.model.gguf == ""
    assert tru.sampling.policy == "auto"
    assert tru.sampling.model is None
    assert tru.sampling.hint_map["claude-sonnet"] == "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    assert tru.server.url is None and tru.server.agentcore_arn is None
    assert "get_quote" in tru.system_prompt
    assert tru.transcript is None


@pytest.mark.parametrize(
    ("use_file", "env", "flags", "exp_model", "exp_policy"),
    [
        (False, {}, {}, "auto", "auto"),
        (True, {}, {}, "bedrock:from-file.model-v1:0", "ask"),
        (True, {"TRIP_AGENT_MODEL": "ollama:qwen3", "TRIP_AGENT_SAMPLING": "deny"}, {}, "ollama:qwen3", "deny"),
        (
            True,
            {"TRIP_AGENT_MODEL": "ollama:qwen3", "TRIP_AGENT_SAMPLING": "deny"},
            {"model": "playback:script.json", "sampling": "auto"},
            "playback:script.json",
            "auto",
        ),
        (True, {"TRIP_AGENT_MODEL": "ollama:qwen3"}, {"model": None, "sampling": None}, "ollama:qwen3", "ask"),
    ],
    ids=["default", "config-over-default", "env-over-config", "flag-over-env", "unset-flags-ignored"],
)
def test_precedence_flag_over_env_over_config_over_default(tmp_path, use_file, env, flags, exp_model, exp_policy):
    config_file = write(
        tmp_path, '[model]\nprovider = "bedrock"\nmodel_id = "from-file.model-v1:0"\n[sampling]\npolicy = "ask"\n'
    )

    tru = load_settings(config_file=config_file if use_file else None, env=env, flags=flags)

    assert tru.model.spec == exp_model
    assert tru.sampling.policy == exp_policy


def test_region_env_order_and_config_keys_kept(tmp_path):
    config_file = write(tmp_path, '[model]\nregion = "ap-northeast-1"\nmax_tokens = 100\n')

    from_file = load_settings(config_file=config_file, env={}, flags={})
    aws_region = load_settings(config_file=config_file, env={"AWS_REGION": "eu-west-1"}, flags={})
    both_env = {"AWS_REGION": "eu-west-1", "TRIP_AGENT_REGION": "us-west-2"}
    both = load_settings(config_file=config_file, env=both_env, flags={})

    assert (from_file.model.region, from_file.model.max_tokens) == ("ap-northeast-1", 100)
    assert (aws_region.model.region, aws_region.model.max_tokens) == ("eu-west-1", 100)
    assert both.model.region == "us-west-2"


def test_server_and_hint_map_merge(tmp_path):
    config_file = write(tmp_path, '[server]\nurl = "http://file/mcp"\n[sampling.hints]\n"gpt" = "openai:gpt-5"\n')

    tru = load_settings(
        config_file=config_file,
        env={"TRIP_AGENT_SERVER": "http://env/mcp"},
        flags={
            "agentcore_arn": "arn:aws:bedrock-agentcore:us-east-1:1:runtime/x",
            "region": "us-east-1",
            "transcript": "t.jsonl",
        },
    )

    assert tru.server.url == "http://env/mcp"
    assert tru.server.agentcore_arn == "arn:aws:bedrock-agentcore:us-east-1:1:runtime/x"
    assert tru.server.region == "us-east-1"
    assert tru.transcript == Path("t.jsonl")
    assert set(tru.sampling.hint_map) == {"claude-haiku", "claude-sonnet", "gpt"}


def test_sampling_model_spec_inherits_region_and_limits(tmp_path):
    config_file = write(tmp_path, '[model]\nregion = "eu-west-1"\n[sampling]\nmodel = "anthropic.claude-x-v1:0"\n')

    tru = load_settings(config_file=config_file, env={}, flags={}).sampling.model

    exp = ("bedrock", "anthropic.claude-x-v1:0", "eu-west-1", 4096)
    assert (tru.provider, tru.model_id, tru.region, tru.max_tokens) == exp


@pytest.mark.parametrize(
    ("spec", "exp"),
    [
        (f"bedrock:{SONNET}", ("bedrock", SONNET)),
        ("anthropic:claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        ("openai:gpt-5", ("openai", "gpt-5")),
        ("ollama:qwen3:8b", ("ollama", "qwen3:8b")),
        ("local", ("local", "")),
        ("auto", ("auto", "")),
        ("playback:/tmp/script.json", ("playback", "/tmp/script.json")),
        (HAIKU, ("bedrock", HAIKU)),
        (PROFILE_ARN, ("bedrock", PROFILE_ARN)),
    ],
)
def test_parse_model_spec(spec, exp):
    assert parse_model_spec(spec) == exp


@pytest.mark.parametrize("spec", ["", "bedrok:foo", "gpt-5", "openai:", "playback:", "local:x", "two words"])
def test_bad_spec_lists_the_valid_forms(spec):
    with pytest.raises(ConfigError) as caught:
        parse_model_spec(spec)

    assert "playback:FILE" in caught.value.hint
    assert "bedrock:MODEL_ID" in str(caught.value)


@pytest.mark.parametrize("spec", ["auto", "local"])
def test_bare_provider_spec_keeps_the_configured_model_id(spec):
    tru = load_settings(config_file=None, env={}, flags={"model": spec})

    assert (tru.model.provider, tru.model.model_id, tru.model.spec) == (spec, HAIKU, spec)


def test_bad_spec_in_environment_is_a_config_error():
    with pytest.raises(ConfigError, match="invalid model spec 'gpt-5'"):
        load_settings(config_file=None, env={"TRIP_AGENT_MODEL": "gpt-5"}, flags={})


@pytest.mark.parametrize(
    ("text", "exp_message", "exp_hint"),
    [
        ('[model]\nmodle_id = "x"\n', "unknown config key 'model.modle_id' in {}", "did you mean 'model.model_id'?"),
        ("[model]\nmax_token = 5\n", "unknown config key 'model.max_token' in {}", "did you mean 'model.max_tokens'?"),
        ('[weather]\nunit = "C"\n', "unknown config key 'weather.unit' in {}", "known keys: model.provider, "),
        ('debug = true\n', "unknown config key 'debug' in {}", "known keys: model.provider, "),
        ("[sampling]\n[samplng]\n", "unknown config table [samplng] in {}", "did you mean [sampling]?"),
        ("[weathr]\n", "unknown config table [weathr] in {}", "known tables: [model], "),
        ("[model]\nmax_tokens = -5\n", "config key 'model.max_tokens' in {} is -5, outside 1–200000", "set max_tokens between 1 and 200000"),
        ("[model]\ntemperature = 7.0\n", "config key 'model.temperature' in {} is 7.0, outside 0–2", "set temperature between 0 and 2"),
        ("[sampling]\nmax_tokens_cap = 0\n", "config key 'sampling.max_tokens_cap' in {} is 0, outside 1–200000", "set max_tokens_cap between 1 and 200000"),
        ("[sampling]\nrate_limit_per_minute = -1\n", "config key 'sampling.rate_limit_per_minute' in {} is -1, outside 1–10000", "set rate_limit_per_minute between 1 and 10000"),
    ],
)
def test_unknown_keys_and_values_out_of_range_name_the_key_the_file_and_the_fix(tmp_path, text, exp_message, exp_hint):
    config_file = write(tmp_path, text)

    with pytest.raises(ConfigError) as caught:
        load_settings(config_file=config_file, env={}, flags={})

    assert caught.value.message == exp_message.format(config_file)
    assert caught.value.hint.startswith(exp_hint)


@pytest.mark.parametrize(
    ("text", "exp_message"),
    [
        ("[model]\nmax_tokens = true\n", "config key 'model.max_tokens'"),
        ('[sampling]\npolicy = "always"\n', "unknown sampling policy 'always'"),
        ('[model]\nprovider = "gemini"\n', "unknown model provider 'gemini'"),
        ("[model\n", "is not valid TOML"),
    ],
)
def test_invalid_values_are_config_errors(tmp_path, text, exp_message):
    with pytest.raises(ConfigError, match=exp_message):
        load_settings(config_file=write(tmp_path, text), env={}, flags={})


def test_missing_config_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(config_file=tmp_path / "absent.toml", env={}, flags={})


@pytest.mark.parametrize("profile", ["bedrock-haiku.toml", "bedrock-sonnet.toml"])
def test_shipped_profiles_load(profile):
    tru = load_settings(config_file=DEFAULT_CONFIG.parent / profile, env={}, flags={})

    assert tru.model.provider == "bedrock"
    assert tru.sampling.model is not None and tru.sampling.model.model_id == HAIKU


def test_every_provider_name_has_a_factory():
    assert set(PROVIDER_NAMES) == set(PROVIDERS)


def test_every_table_of_a_config_file_refuses_unknown_keys_and_coercion():
    tables = [ConfigDocument, *(info.annotation for info in ConfigDocument.model_fields.values())]
    assert all(table.model_config.get("extra") == "forbid" and table.model_config.get("strict") for table in tables)


def test_every_config_key_of_the_models_is_in_the_readme_table_and_the_defaults_file():
    readme = (DEFAULT_CONFIG.parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Configuration", 1)[1].split("\n### ", 1)[0]
    defaults = DEFAULT_CONFIG.read_text(encoding="utf-8")
    undocumented = []
    for name in KNOWN_KEYS:
        table, key = name.split(".")
        rows = [line.split("|")[1] for line in section.splitlines() if line.startswith(f"| `[{table}")]
        in_defaults = re.search(rf"^(# )?{key} = |^\[{table}\.{key}\]", defaults, re.MULTILINE)
        if not any(key in row for row in rows) or not in_defaults:
            undocumented.append(name)
    assert undocumented == []
