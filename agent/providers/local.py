"""The `local` model: a GGUF model run in-process by llama.cpp on the CPU, fully offline.

By default Qwen2.5-Coder-1.5B-Instruct Q4_K_M (see weights.py); `[model] gguf` runs any other GGUF.
The prompt is the model's own chat template with the tools (Qwen's writes calls as
`<tool_call>{"name": …, "arguments": …}</tool_call>`). Each reply is one of:

- a tool call, when the model opens a call and, under a grammar, names a callable tool rather than
  the listed pseudo-tool `reply_in_words` (local_prompt.WORDS_TOOL). The call is then generated
  under a grammar built from that tool's JSON schema and the values the conversation supports
  (local_prompt.call_schema), so it always parses, every enum value is valid and a value the user
  never said cannot be written (local_prompt.ground checks again): the server asks for it;
- words, streamed, with `<tool_call>` banned;
- after a tool result (one call per user turn, so a small model cannot loop on a tool): the
  result as the server wrote it, led by one sentence from the model (see _result_reply).

The constant prefix (system prompt and tools) is evaluated once: its KV cache is kept as a
snapshot, restored when a sampling request (another prefix) has replaced it, and saved in the
user cache (`kv/`) so the next session's first turn skips that prefill too.
"""

from __future__ import annotations

import asyncio
import atexit
import hashlib
import importlib.util
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from platformdirs import user_cache_dir
from pydantic import BaseModel
from strands.models.model import Model
from strands.types.content import Messages
from strands.types.exceptions import ContextWindowOverflowException
from strands.types.streaming import StreamEvent
from strands.types.tools import ToolChoice, ToolSpec

from agent.errors import ConfigError, ModelError
from agent.providers import llama_compat, weights
from agent.providers.local_prompt import (
    after_tool_result,
    WORDS_TOOL,
    call_schema,
    chat_messages,
    choice_grammar,
    ground,
    grounded_lead,
    last_result,
    lead_messages,
    template_tools,
    usable_tool_names,
    with_user_language,
)

logger = logging.getLogger(__name__)

T = TypeVar("T", bound=BaseModel)

INSTALL_HINT = "run `scripts/install-local.sh .venv` (`make run` does it), or pass --model bedrock:ID"
# Enough for the system prompt, the tools and a conversation; bounds the KV cache (~230 MB for Qwen 1.5B).
CONTEXT_TOKENS = 8192
_CALL_OPEN = "<tool_call>"
_CALL_FORMAT = '{\\"name\\": <function-name>, \\"arguments\\": <args-json-object>}'
_DOUBLED_CALL_FORMAT = "{" + _CALL_FORMAT + "}"
# A tool call is short: name and a few arguments.
_CALL_TOKENS = 160
# The most likely first tokens of a text reply searched for call openings to ban.
_DECISION_TOKENS = 40
# Enough for `{"name": "list_destinations"`.
_NAME_TOKENS = 16
# Prefix snapshots kept per model: the agent's prompt and the server's sampling prompt, with room to spare.
_SNAPSHOTS = 4
# Compiled grammars kept per model (one per set of values a conversation supports).
_GRAMMARS = 32
# The one-sentence lead before a tool result the reply passes on.
_LEAD_TOKENS = 60
# Every temperature>0 completion starts from this seed: the same request gets the same reply,
# whatever ran before it (llama-cpp-python otherwise derives each call's seed from the previous
# call's, so a sampling answer depended on how many completions the process had made).
_SEED = 0
# Words and sampling answers (not calls or leads, which are greedy and short): at 1.0 the 1.5B model
# sometimes looped ("神社の神社の…") until the token cap; bench/local_sampling.py measures it.
_REPEAT_PENALTY = 1.1


def weights_path(gguf: str) -> Path:
    """The GGUF file to run: `gguf` when given, else the default model, once its sha256 is verified.

    Args:
        gguf: A GGUF file path from the settings, or "" for the default model.

    Returns:
        An existing file.

    Raises:
        ConfigError: llama-cpp-python or the default weights are not installed, the weights fail their
            hash check, or the file is missing.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError("the local model needs llama-cpp-python, which is not installed", hint=INSTALL_HINT)
    if gguf:
        path = Path(gguf).expanduser()
        if not path.is_file():
            raise ConfigError(f"no GGUF file at {path}", hint="fix [model] gguf, or leave it unset for the default model")
        return path
    return weights.verified_path()


@dataclass
class _Loaded:
    """A loaded model, the lock that serialises its use (a llama.cpp context is not thread-safe), its chat
    template, and KV-cache snapshots of prompt prefixes (token tuple -> llama.cpp sequence state)."""

    llama: Any
    path: Path
    lock: threading.Lock
    formatter: Any
    call_token: int
    snapshots: OrderedDict[tuple[int, ...], bytes] = field(default_factory=OrderedDict)
    grammars: OrderedDict[str, Any] = field(default_factory=OrderedDict)


def _formatter(llama: Any, path: Path) -> Any:
    template = llama.metadata.get("tokenizer.chat_template")
    if not template:
        raise ModelError(f"{path} has no chat template", hint="point [model] gguf at an instruction-tuned GGUF")
    # The default GGUF's template shows the call format as `{{"name": …}}` (doubled braces inside a Jinja
    # string, so printed as-is); upstream Qwen2.5's shows `{"name": …}`, which the model then copies.
    template = template.replace(_DOUBLED_CALL_FORMAT, _CALL_FORMAT)

    def token_text(key: str) -> str:
        token = int(llama.metadata.get(key, -1))
        return llama.detokenize([token], special=True).decode(errors="replace") if token >= 0 else ""

    return llama_compat.chat_formatter(
        template, token_text("tokenizer.ggml.eos_token_id"), token_text("tokenizer.ggml.bos_token_id")
    )


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
            ModelError: llama.cpp cannot load the file, or it has no chat template.
        """
        with self._lock:
            if path not in self._loaded:
                from llama_cpp import Llama

                started = time.monotonic()
                try:
                    # llama-cpp-python defaults to half the cores for generation; prefill and generation both use all.
                    threads = os.cpu_count() or 1
                    llama = Llama(
                        model_path=str(path), n_ctx=CONTEXT_TOKENS, n_threads=threads, n_threads_batch=threads, verbose=False
                    )
                except ValueError as error:
                    hint = "point [model] gguf at a GGUF file"
                    raise ModelError(f"llama.cpp cannot load {path}", hint=hint) from error
                call_token = llama.tokenize(_CALL_OPEN.encode(), add_bos=False, special=True)[0]
                self._loaded[path] = _Loaded(llama, path, threading.Lock(), _formatter(llama, path), call_token)
                logger.debug("path=<%s>, seconds=<%.2f> | loaded local model", path, time.monotonic() - started)
            return self._loaded[path]


_MODELS = _ModelCache()


def _tokens(llama: Any, text: str) -> list[int]:
    return llama.tokenize(text.encode(), add_bos=False, special=True)


def _common_length(first: Any, second: Any) -> int:
    common = 0
    for a, b in zip(first, second):
        if a != b:
            break
        common += 1
    return common


def _cached_length(llama: Any, tokens: list[int]) -> int:
    """How many leading `tokens` the context already holds."""
    return _common_length(llama_compat.held_tokens(llama), tokens)


def _restore_prefix(loaded: _Loaded, prefix: list[int]) -> None:
    """Make the context hold `prefix`: kept if it does, restored from a snapshot, or evaluated and snapshotted."""
    llama = loaded.llama
    key = tuple(prefix)
    if not prefix or _cached_length(llama, prefix) == len(prefix):
        return
    state = loaded.snapshots.get(key) or _read_snapshot(loaded, prefix)
    if state is not None:
        loaded.snapshots[key] = state
        loaded.snapshots.move_to_end(key)
        if llama_compat.load_sequence(llama, state, prefix):
            return
        # the snapshot did not load: evaluate the prefix again
    held = _cached_length(llama, prefix)
    llama_compat.keep_tokens(llama, held)
    llama.eval(prefix[held:])
    loaded.snapshots[key] = llama_compat.save_sequence(llama)
    while len(loaded.snapshots) > _SNAPSHOTS:
        loaded.snapshots.popitem(last=False)
    _write_snapshot(loaded, prefix, loaded.snapshots[key])


def _snapshot_file(loaded: _Loaded, prefix: list[int]) -> Path:
    """Where a prefix's KV state is kept across runs: keyed by the model file, the context size and the tokens."""
    info = loaded.path.stat()
    key = hashlib.sha256(json.dumps([str(loaded.path), info.st_size, info.st_mtime_ns, CONTEXT_TOKENS, prefix]).encode())
    return Path(user_cache_dir("trip-agent")) / "kv" / f"{key.hexdigest()[:32]}.state"


def _read_snapshot(loaded: _Loaded, prefix: list[int]) -> bytes | None:
    """A prefix state saved by an earlier run (so a new session's first turn skips that prefill), or None."""
    try:
        return _snapshot_file(loaded, prefix).read_bytes()
    except OSError:
        return None


def _write_snapshot(loaded: _Loaded, prefix: list[int], state: bytes) -> None:
    """Save a prefix state for later runs, keeping the newest few (each is tens of MB)."""
    target = _snapshot_file(loaded, prefix)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.partial")
        partial.write_bytes(state)
        os.replace(partial, target)  # a concurrent run never reads half a state
        for old in sorted(target.parent.glob("*.state"), key=lambda f: f.stat().st_mtime)[:-_SNAPSHOTS]:
            old.unlink(missing_ok=True)
    except OSError as error:
        logger.debug("error=<%s> | prefix state not saved", error)


def _call_openers(loaded: _Loaded, tokens: Any) -> list[int]:
    """Those of `tokens` that open a tool call: `<tool_call>`, or text starting with `{`, `<` or a backtick."""
    llama = loaded.llama
    return [
        int(token)
        for token in tokens
        if int(token) == loaded.call_token
        or llama.detokenize([int(token)], special=True).decode(errors="replace").lstrip()[:1] in ("{", "<", "`")
    ]


def _words_first(loaded: _Loaded) -> Any:
    """A logits processor that bans `<tool_call>`, and call openings as a reply's first token: after a tool
    result the model otherwise writes another call as text."""
    import numpy as np
    from llama_cpp import LogitsProcessorList

    first = [True]

    def ban(input_ids: Any, scores: Any) -> Any:
        scores[loaded.call_token] = -np.inf
        if first[0]:
            first[0] = False
            top = np.argpartition(-scores, _DECISION_TOKENS)[:_DECISION_TOKENS]
            scores[_call_openers(loaded, top)] = -np.inf
        return scores

    return LogitsProcessorList([ban])


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

        def work() -> str:
            with loaded.lock:
                text_prompt = loaded.formatter(messages=chat_messages(prompt, system_prompt)).prompt
                schema = output_model.model_json_schema()
                response = loaded.llama.create_completion(
                    _tokens(loaded.llama, text_prompt),
                    grammar=self._grammar(loaded, schema),
                    max_tokens=self.config["max_tokens"],
                    temperature=self.config["temperature"],
                    seed=_SEED,
                )
                return response["choices"][0]["text"]

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
                    self._reply(loaded, messages, tool_specs or [], system_prompt, tool_choice, emit, stopped)
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

    def _callable(
        self, tool_specs: list[ToolSpec], messages: Messages, tool_choice: ToolChoice | None
    ) -> tuple[list[ToolSpec], bool]:
        """The tools this reply may call, and whether it must call one."""
        if tool_choice and "tool" in tool_choice:
            return [spec for spec in tool_specs if spec["name"] == tool_choice["tool"]["name"]], True
        if tool_choice and "any" in tool_choice:
            return tool_specs, True
        if after_tool_result(messages):
            return [], False
        usable = usable_tool_names(tool_specs, messages)
        return [spec for spec in tool_specs if spec["name"] in usable], False

    def _reply(
        self,
        loaded: _Loaded,
        messages: Messages,
        tool_specs: list[ToolSpec],
        system_prompt: str | None,
        tool_choice: ToolChoice | None,
        emit: Callable[[StreamEvent | None], None],
        stopped: Callable[[], bool],
    ) -> None:
        started = time.monotonic()
        llama = loaded.llama
        emit({"messageStart": {"role": "assistant"}})
        callable_specs, must_call = self._callable(tool_specs, messages, tool_choice)
        usage = {"inputTokens": 0, "outputTokens": 0}
        if not callable_specs and after_tool_result(messages):
            stop_reason = self._result_reply(loaded, messages, tool_specs, emit, stopped, usage)
        else:
            # Every tool is listed in every prompt, so that prefix (and its KV cache) stays the same.
            tools = [*template_tools(tool_specs), WORDS_TOOL] if tool_specs else None
            chat = chat_messages(messages, system_prompt)
            prompt = _tokens(llama, loaded.formatter(messages=chat, tools=tools).prompt)
            system = [entry for entry in chat[:1] if entry["role"] == "system"]
            if system:
                # The system turn alone, rendered the same way, is where the prompt stops being constant.
                head = _tokens(llama, loaded.formatter(messages=[*system, {"role": "user", "content": ""}], tools=tools).prompt)
                _restore_prefix(loaded, prompt[: _common_length(prompt, head)])
            usage["inputTokens"] = len(prompt)
            chosen = self._choose(loaded, prompt, callable_specs, must_call, usage)
            if chosen is not None:
                self._tool_call(loaded, prompt, template_tools([chosen]), messages, emit, usage)
                stop_reason = "tool_use"
            else:
                stop_reason = self._text(loaded, prompt, emit, stopped, usage)
        emit({"messageStop": {"stopReason": stop_reason}})
        usage["totalTokens"] = usage["inputTokens"] + usage["outputTokens"]
        latency = int((time.monotonic() - started) * 1000)
        emit({"metadata": {"usage": usage, "metrics": {"latencyMs": latency}}})  # type: ignore[typeddict-item]

    def _choose(
        self, loaded: _Loaded, prompt: list[int], specs: list[ToolSpec], must_call: bool, usage: dict[str, int]
    ) -> ToolSpec | None:
        """The tool this reply calls, or None for words: the name the model writes first in a call, under a
        grammar allowing the callable tools and (unless a call is required) WORDS_TOOL."""
        if not specs or (must_call and len(specs) == 1):
            return specs[0] if specs else None
        names = [spec["name"] for spec in specs] + ([] if must_call else [WORDS_TOOL["function"]["name"]])
        response = loaded.llama.create_completion(
            prompt + _tokens(loaded.llama, f"{_CALL_OPEN}\n"),
            grammar=self._grammar(loaded, choice_grammar(names)),
            max_tokens=_NAME_TOKENS,
            temperature=0.0,
        )
        usage["outputTokens"] += response["usage"]["completion_tokens"]
        text = response["choices"][0]["text"]
        logger.debug("choice=<%s> | local model: call or words", text)
        return next((spec for spec in specs if text.endswith(f'"{spec["name"]}"')), None)

    def _grammar(self, loaded: _Loaded, schema: dict[str, Any] | str) -> Any:
        """A compiled grammar for a JSON schema, or for GBNF text."""
        from llama_cpp import LlamaGrammar

        key = schema if isinstance(schema, str) else json.dumps(schema)  # not sorted: properties keep this order
        if key not in loaded.grammars:
            compiled = isinstance(schema, str) and LlamaGrammar.from_string(key, verbose=False)
            loaded.grammars[key] = compiled or LlamaGrammar.from_json_schema(key, verbose=False)
            while len(loaded.grammars) > _GRAMMARS:  # call grammars follow the conversation's values
                loaded.grammars.popitem(last=False)
        loaded.grammars.move_to_end(key)
        return loaded.grammars[key]

    def _tool_call(
        self,
        loaded: _Loaded,
        prompt: list[int],
        tools: list[dict[str, Any]],
        messages: Messages,
        emit: Callable[[StreamEvent | None], None],
        usage: dict[str, int],
    ) -> None:
        llama = loaded.llama
        response = llama.create_completion(
            prompt + _tokens(llama, f"{_CALL_OPEN}\n"),
            grammar=self._grammar(loaded, call_schema(tools, messages)),
            max_tokens=_CALL_TOKENS,
            temperature=0.0,
        )
        usage["outputTokens"] += response["usage"]["completion_tokens"]
        text = response["choices"][0]["text"]
        try:
            call = json.loads(text)
            name, arguments = call["name"], call["arguments"]
        except (json.JSONDecodeError, KeyError, TypeError):
            # Cut off by the token cap: call the first tool with no arguments and let the server ask.
            logger.debug("text=<%s> | tool call cut off, calling without arguments", text)
            name, arguments = tools[0]["function"]["name"], {}
        tool = next((tool for tool in tools if tool["function"]["name"] == name), tools[0])
        arguments, dropped = ground(arguments, messages, tool["function"]["parameters"])
        if dropped:
            logger.debug("tool=<%s>, dropped=<%s> | arguments the user never gave", name, dropped)
        arguments = with_user_language(arguments, messages, tool["function"]["parameters"])
        tool_use_id = f"local-{time.monotonic_ns()}"
        emit({"contentBlockStart": {"start": {"toolUse": {"name": name, "toolUseId": tool_use_id}}}})
        emit({"contentBlockDelta": {"delta": {"toolUse": {"input": json.dumps(arguments, ensure_ascii=False)}}}})
        emit({"contentBlockStop": {}})

    def _result_reply(
        self,
        loaded: _Loaded,
        messages: Messages,
        tool_specs: list[ToolSpec],
        emit: Callable[[StreamEvent | None], None],
        stopped: Callable[[], bool],
        usage: dict[str, int],
    ) -> str:
        """The words after a tool result: one sentence by the model on what happened, then the result itself.

        Retelling a result, the 1.5B model dropped what mattered (answered "Booked: reservation TRV-…"
        with the price summary alone; a ¥38,000 quote with how to call a tool). The server already writes
        its result for people, in the conversation's language, so it is passed on as written; the model
        only leads into it, from a short prompt of the result alone, and a lead whose figures or
        identifiers are not in the result is dropped.
        """
        result = last_result(messages)
        llama = loaded.llama
        prompt = _tokens(llama, loaded.formatter(messages=lead_messages(messages, tool_specs)).prompt)
        usage["inputTokens"] = len(prompt)
        response = llama.create_completion(
            prompt,
            max_tokens=min(_LEAD_TOKENS, self.config["max_tokens"]),
            temperature=0.0,
            stop=["\n"],
            logits_processor=_words_first(loaded),
        )
        lead = response["choices"][0]["text"].strip()
        usage["outputTokens"] += response["usage"]["completion_tokens"]
        if response["choices"][0]["finish_reason"] == "length" or not grounded_lead(lead, result):
            logger.debug("lead=<%s> | lead not grounded in the result, dropped", lead)
            lead = ""
        emit({"contentBlockStart": {"start": {}}})
        if not stopped():
            emit({"contentBlockDelta": {"delta": {"text": f"{lead}\n\n{result}" if lead else result}}})
        emit({"contentBlockStop": {}})
        return "end_turn"

    def _text(
        self,
        loaded: _Loaded,
        prompt: list[int],
        emit: Callable[[StreamEvent | None], None],
        stopped: Callable[[], bool],
        usage: dict[str, int],
    ) -> str:
        """Stream a text reply; returns the Strands stop reason."""
        emit({"contentBlockStart": {"start": {}}})
        parts: list[str] = []
        finish = None
        chunks = loaded.llama.create_completion(
            prompt,
            max_tokens=self.config["max_tokens"],
            temperature=self.config["temperature"],
            seed=_SEED,
            repeat_penalty=_REPEAT_PENALTY,
            stop=list(self.config["stop_sequences"]),
            # Not logit_bias too: llama-cpp-python 0.3.36 drops both when given both (list.extend returns None).
            logits_processor=_words_first(loaded),
            stream=True,
        )
        for chunk in chunks:
            if stopped():
                break
            choice = chunk["choices"][0]
            text = choice["text"] if parts else choice["text"].lstrip()
            if text:
                parts.append(text)
                emit({"contentBlockDelta": {"delta": {"text": text}}})
            finish = choice["finish_reason"] or finish
        emit({"contentBlockStop": {}})
        usage["outputTokens"] += len(_tokens(loaded.llama, "".join(parts)))
        # llama.cpp reports a stop sequence and the end of turn alike ("stop").
        return "max_tokens" if finish == "length" else "end_turn"
