"""Provider registry: a SPEC's provider name -> a factory building the Strands model.

Each factory imports its provider inside itself, so a provider's optional package (anthropic,
openai, ollama, llama_cpp) is imported only when that provider is chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from strands.models.model import Model

from agent.config import ModelSettings
from agent.errors import ConfigError

logger = logging.getLogger(__name__)

@contextmanager
def _optional_package(package: str) -> Iterator[None]:
    """Turn a missing optional package into a ConfigError that names the pip install."""
    try:
        yield
    except ModuleNotFoundError as error:
        if error.name != package:
            raise
        raise ConfigError(
            f"the {package} provider needs the '{package}' package, which is not installed",
            hint=f"pip install 'strands-agents[{package}]'",
        ) from error


# Bedrock's Converse API accepts at most 4 stop sequences; callers apply the rest client-side.
_BEDROCK_MAX_STOP_SEQUENCES = 4


def _bedrock(settings: ModelSettings) -> Model:
    from strands.models.bedrock import BedrockModel

    stop_sequences = list(settings.stop_sequences[:_BEDROCK_MAX_STOP_SEQUENCES])
    stop = {"stop_sequences": stop_sequences} if stop_sequences else {}
    return BedrockModel(
        model_id=settings.model_id,
        region_name=settings.region,
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        **stop,
    )


def _anthropic(settings: ModelSettings) -> Model:
    with _optional_package("anthropic"):
        from strands.models.anthropic import AnthropicModel

    params: dict[str, Any] = {"temperature": settings.temperature}
    if settings.stop_sequences:
        params["stop_sequences"] = list(settings.stop_sequences)
    return AnthropicModel(model_id=settings.model_id, max_tokens=settings.max_tokens, params=params)


def _openai(settings: ModelSettings) -> Model:
    with _optional_package("openai"):
        from strands.models.openai import OpenAIModel

    params: dict[str, Any] = {"max_tokens": settings.max_tokens, "temperature": settings.temperature}
    if settings.stop_sequences:
        params["stop"] = list(settings.stop_sequences)
    return OpenAIModel(model_id=settings.model_id, params=params)


def _ollama(settings: ModelSettings) -> Model:
    with _optional_package("ollama"):
        from strands.models.ollama import OllamaModel

    stop = {"stop_sequences": list(settings.stop_sequences)} if settings.stop_sequences else {}
    # host None: the ollama client's own default (OLLAMA_HOST or localhost:11434).
    return OllamaModel(
        None, model_id=settings.model_id, max_tokens=settings.max_tokens, temperature=settings.temperature, **stop
    )


def _local(settings: ModelSettings) -> Model:
    from agent.providers.local import LocalModel, weights_path

    return LocalModel(
        weights_path(settings.gguf),
        max_tokens=settings.max_tokens,
        temperature=settings.temperature,
        stop_sequences=settings.stop_sequences,
    )


# How botocore found the credentials (Credentials.method) -> the words the banner shows.
_CREDENTIAL_SOURCES = {
    "env": "AWS credentials from the environment",
    "shared-credentials-file": "AWS credentials from the shared credentials file",
    "config-file": "AWS credentials from the AWS config file",
    "assume-role": "an assumed role from the AWS config file",
    "sso": "AWS SSO credentials",
    "iam-role": "the instance's IAM role",
    "container-role": "the container's IAM role",
}


AUTO_LOCAL_MAX_TOKENS = 256


def resolve_auto(settings: ModelSettings) -> tuple[ModelSettings, str]:
    """Choose the model behind the `auto` provider: Bedrock when AWS credentials resolve, else `local`.

    Only botocore's credential chain runs (environment, files, SSO cache, and the instance or
    container role); nothing is sent to Bedrock, so expired credentials still choose Bedrock and
    fail on the first request with a hint to pass --model local.

    Args:
        settings: Settings whose provider may be `auto`; any other provider is returned unchanged.

    Returns:
        The settings with a concrete provider, and why it was chosen (for the REPL banner).
    """
    if settings.provider != "auto":
        return settings, f"{settings.provider} chosen in the settings"
    import botocore.session

    credentials = botocore.session.Session().get_credentials()
    if credentials is None:
        # The default max_tokens suits Claude; on a 2-core CPU the local model writes a few tokens a
        # second, so an unbounded reply would hold the terminal for minutes.
        local = replace(settings, provider="local", max_tokens=min(settings.max_tokens, AUTO_LOCAL_MAX_TOKENS))
        return local, "no AWS credentials found"
    reason = _CREDENTIAL_SOURCES.get(credentials.method, f"AWS credentials ({credentials.method})")
    return replace(settings, provider="bedrock"), reason


def _auto(settings: ModelSettings) -> Model:
    return create_model(resolve_auto(settings)[0])


def _playback(settings: ModelSettings) -> Model:
    from agent.providers.playback import PlaybackModel

    return PlaybackModel.from_file(Path(settings.model_id))


PROVIDERS: dict[str, Callable[[ModelSettings], Model]] = {
    "bedrock": _bedrock,
    "anthropic": _anthropic,
    "openai": _openai,
    "ollama": _ollama,
    "local": _local,
    "playback": _playback,
    "auto": _auto,
}


def create_model(settings: ModelSettings) -> Model:
    """Build a fresh Strands model for the settings.

    Args:
        settings: The provider, model id and limits.

    Returns:
        A new model instance, shared with nobody.

    Raises:
        ConfigError: The provider is unknown, unavailable, or its package is missing.
    """
    factory = PROVIDERS.get(settings.provider)
    if factory is None:
        raise ConfigError(f"unknown model provider {settings.provider!r}", hint=f"use one of: {', '.join(PROVIDERS)}")
    logger.debug("provider=<%s>, model_id=<%s> | creating model", settings.provider, settings.model_id)
    return factory(settings)
