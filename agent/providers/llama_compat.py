"""Reach-ins to llama-cpp-python 0.3.36 beyond its public `Llama` API, kept in one place.

tests/agent/providers/test_llama_compat.py checks each against the installed package (and the real
model) and names the upstream change when one moves. llama_cpp is imported inside each function:
creating the local model must not load it (tests/agent/providers/test_local.py).

- `Llama.input_ids[: Llama.n_tokens]`: the tokens the context holds. `Llama.generate` reuses the
  longest common prefix with them; nothing public reads or sets them, and a restored KV state must
  be recorded there or the next completion evaluates the prefix again.
- `Llama._requires_eval`: set after a restored state, as `Llama.load_state` does, so that a prompt
  of exactly the restored tokens is not sampled from the logits of whatever was evaluated before.
- `llama_state_seq_get_size`, `_get_data`, `_set_data` and `llama_memory_clear` on `Llama.ctx`:
  the C API's KV state of sequence 0 alone; `Llama.save_state` also copies the logits and the whole
  token buffer, several times the size, and `load_state` needs its own LlamaState object back.
- `llama_chat_format.Jinja2ChatFormatter`: renders a GGUF's own chat template with `tools`; the
  chat handlers `Llama` exposes publicly return completions, not the prompt text.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence
from typing import Any


def held_tokens(llama: Any) -> Sequence[int]:
    """The tokens the context holds, in order."""
    return llama.input_ids[: llama.n_tokens]


def keep_tokens(llama: Any, count: int) -> None:
    """Forget what the context holds after its first `count` tokens: the next `eval` continues there."""
    llama.n_tokens = count


def save_sequence(llama: Any) -> bytes:
    """The KV state of the tokens the context holds, to give `load_sequence` later."""
    import llama_cpp

    ctx = llama.ctx
    size = llama_cpp.llama_state_seq_get_size(ctx, 0)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(ctx, buffer, size, 0)
    return bytes(buffer)[:written]


def load_sequence(llama: Any, state: bytes, tokens: list[int]) -> bool:
    """Make the context hold `tokens` from their saved state; False when the state did not load
    (the context then holds nothing)."""
    import llama_cpp

    ctx = llama.ctx
    llama_cpp.llama_memory_clear(llama_cpp.llama_get_memory(ctx), True)
    buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
    if llama_cpp.llama_state_seq_set_data(ctx, buffer, len(state), 0) == len(state):
        llama.input_ids[: len(tokens)] = tokens
        llama.n_tokens = len(tokens)
        # As Llama.load_state does: the logits are not these tokens', so a prompt of exactly these
        # tokens must evaluate its last one again rather than sample from them.
        llama._requires_eval = True
        return True
    llama.n_tokens = 0
    return False


def chat_formatter(template: str, eos_token: str, bos_token: str) -> Any:
    """A Jinja chat template as a callable `(messages=..., tools=...)` whose result's `.prompt` is the text."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    return Jinja2ChatFormatter(template, eos_token, bos_token)
