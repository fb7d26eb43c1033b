"""agent/providers/llama_compat.py: each reach-in to llama-cpp-python still where it is and still doing
what the local model relies on, with the real default model. A failure names the upstream change."""

from __future__ import annotations

import inspect

import llama_cpp
from llama_cpp import Llama

from agent.providers import llama_compat
from tests.agent.providers.test_local import loaded_model, needs_local  # noqa: F401 (a fixture)
from tests.agent.test_mcp_compat import modules_naming

HEAD = "Hello, traveller. Which city"
OTHER = "A completely different text about trains and mountains."


def completion(llama: Llama, tokens: list[int]) -> str:
    return llama.create_completion(tokens, max_tokens=8, temperature=0.0)["choices"][0]["text"]


def test_the_reached_names_are_where_llama_compat_expects_them():
    assert "self.input_ids" in inspect.getsource(Llama.__init__) and "self.n_tokens" in inspect.getsource(Llama.__init__), (
        "Llama no longer keeps the held tokens in input_ids and n_tokens"
    )
    assert "n_past = self.n_tokens" in inspect.getsource(Llama.eval), "Llama.eval no longer continues at n_tokens"
    assert "exact_prompt_cached and not self._requires_eval" in inspect.getsource(Llama.generate), (
        "Llama.generate no longer decides by _requires_eval whether held logits may be sampled"
    )
    for name in ("llama_state_seq_get_size", "llama_state_seq_get_data", "llama_state_seq_set_data", "llama_memory_clear", "llama_get_memory"):
        assert callable(getattr(llama_cpp, name, None)), f"llama_cpp no longer binds {name}"


def test_the_chat_formatter_renders_the_template_with_the_tools():
    formatter = llama_compat.chat_formatter(
        "{{ bos_token }}{% for m in messages %}{{ m.content }}{% endfor %}{{ tools | length }}{{ eos_token }}", "</s>", "<s>"
    )
    prompt = formatter(messages=[{"role": "user", "content": "hi"}], tools=[{"type": "function"}]).prompt
    assert prompt == "<s>hi1</s>", "Jinja2ChatFormatter(template, eos, bos)(messages=, tools=).prompt changed"


@needs_local
def test_a_saved_sequence_loads_back_into_the_context_and_completes_as_evaluated(loaded_model):  # noqa: F811
    llama = loaded_model.llama
    # Each completion moves the seed of the next one on: put it back, so that later tests of the
    # shared model sample as they would without this one.
    seed = llama._seed
    with loaded_model.lock:
        try:
            check_a_saved_sequence(llama)
        finally:
            llama_compat.keep_tokens(llama, 0)
            llama.set_seed(seed)


def check_a_saved_sequence(llama: Llama) -> None:
    tokens = llama.tokenize(HEAD.encode(), add_bos=False, special=True)
    llama_compat.keep_tokens(llama, 0)
    llama.eval(tokens)
    assert list(llama_compat.held_tokens(llama)) == tokens, "Llama.eval no longer records its tokens in input_ids[:n_tokens]"
    state = llama_compat.save_sequence(llama)
    assert state, "llama_state_seq_get_data saved nothing"
    evaluated = completion(llama, tokens)

    llama_compat.keep_tokens(llama, 0)
    llama.eval(llama.tokenize(OTHER.encode(), add_bos=False, special=True))
    assert llama_compat.load_sequence(llama, state, tokens), "llama_state_seq_set_data no longer loads what get_data saved"
    assert list(llama_compat.held_tokens(llama)) == tokens
    assert completion(llama, tokens) == evaluated, "a loaded sequence state no longer stands for its evaluated tokens"

    assert not llama_compat.load_sequence(llama, b"not a state", tokens), "llama_state_seq_set_data accepts junk"
    assert list(llama_compat.held_tokens(llama)) == []


def test_no_module_of_the_agent_but_llama_compat_reaches_into_llama_cpp_internals():
    names = (".input_ids", ".n_tokens", "._requires_eval", ".ctx", "llama_state_seq_", "llama_memory_clear", "Jinja2ChatFormatter")
    assert modules_naming(names, but="llama_compat.py") == set()
