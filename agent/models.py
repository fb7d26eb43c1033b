"""Provider registry: a SPEC's provider name -> a factory building the Strands model.

Each factory imports its provider inside itself, so a provider's optional package (anthropic,
openai, ollama) is imported only when that provider is chosen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    raise ConfigError("the local model is not available in this build", hint="use --model bedrock:… or playback:FILE")


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
