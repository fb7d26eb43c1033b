"""Human review of a server's sampling request (policy `ask`) and of the answer.

A sampling request spends the user's model on a server's prompt, so the human
sees all of it, may edit what the model reads and what the server receives,
or deny either step.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from prompt_toolkit.input import Input
from prompt_toolkit.output import Output

from agent.sampling_review import RequestDecision, ResponseDecision
from agent.ui.checked_prompt import CheckedPrompt
from agent.ui.choices import ask_choice, leave_bindings

if TYPE_CHECKING:
    from agent.sampling import SamplingRequest

REQUEST_CHOICES = {"a": "approve", "e": "edit", "d": "deny"}
RESPONSE_CHOICES = {"s": "send", "e": "edit", "d": "deny"}
KEYS_HINT = "Ctrl-C or Ctrl-X: deny · when editing, Esc then Enter finishes"


class _Denied(Exception):
    """Ctrl-C or Ctrl-X at any review prompt."""


class SamplingReview:
    """The terminal's SamplingReviewer: asks the human to approve, edit or deny sampling requests and answers."""

    def __init__(self, *, input: Input | None = None, output: Output | None = None) -> None:
        self._input = input
        self._output = output

    async def review_request(self, server: str, request: SamplingRequest) -> RequestDecision:
        """Show the full request and return the human's decision, edits applied.

        A closed input counts as a denial: no consent was given.
        """
        prompt = self._prompt()
        system_prompt = request.system_prompt
        messages = [dict(message) for message in request.messages]
        try:
            while True:
                _show_request(prompt, server, replace(request, system_prompt=system_prompt, messages=messages))
                choice = await _choose(prompt, "[a]pprove / [e]dit / [d]eny > ", REQUEST_CHOICES)
                if choice != "edit":
                    return RequestDecision(choice == "approve", system_prompt, messages)
                system_prompt, messages = await _edit_request(prompt, system_prompt, messages)
        except (_Denied, EOFError):
            return RequestDecision(False, system_prompt, messages)

    async def review_response(self, server: str, text: str, model: str) -> ResponseDecision:
        """Show the model's answer before it goes to the server; return the decision.

        A closed input counts as a denial.
        """
        prompt = self._prompt()
        title = f"{model} answered the request from {server}"
        try:
            while True:
                prompt.say(f"── {title} ({KEYS_HINT}) ──")
                prompt.say(_indent(text))
                choice = await _choose(prompt, "[s]end / [e]dit / [d]eny > ", RESPONSE_CHOICES)
                if choice != "edit":
                    return ResponseDecision(choice == "send", text)
                text = await _edit(prompt, "Answer", text)
                title = f"edited by you: {model}'s answer to {server}"
        except (_Denied, EOFError):
            return ResponseDecision(False, text)

    def _prompt(self) -> CheckedPrompt:
        return CheckedPrompt(input=self._input, output=self._output, key_bindings=leave_bindings(ctrl_x=_Denied, ctrl_c=_Denied))


def _show_request(prompt: CheckedPrompt, server: str, request: SamplingRequest) -> None:
    prompt.say(f"── {server} asks to use your model (sampling) ({KEYS_HINT}) ──")
    prompt.say("System prompt:")
    prompt.say(_indent(request.system_prompt) if request.system_prompt else "  (none)")
    prompt.say("Messages:")
    for message in request.messages:
        prompt.say(f"  [{message['role']}]")
        prompt.say(_indent(message["text"], "    "))
    temperature = request.temperature
    prompt.say(f"max_tokens: {request.max_tokens}")
    prompt.say(f"temperature: {'model default' if temperature is None else temperature}")
    prompt.say(f"stop sequences: {_listing(request.stop_sequences)}")
    prompt.say(f"model hints: {_listing(request.model_hints)}")


async def _edit_request(
    prompt: CheckedPrompt, system_prompt: str | None, messages: list[dict]
) -> tuple[str | None, list[dict]]:
    edited_system = await _edit(prompt, "System prompt", system_prompt or "")
    last_user = next((index for index in reversed(range(len(messages))) if messages[index]["role"] == "user"), None)
    if last_user is not None:
        edited_text = await _edit(prompt, "Last user message", messages[last_user]["text"])
        messages = [*messages[:last_user], {**messages[last_user], "text": edited_text}, *messages[last_user + 1 :]]
    # An emptied system prompt means "send none", not an empty instruction.
    return edited_system or None, messages


async def _edit(prompt: CheckedPrompt, label: str, text: str) -> str:
    prompt.say(f"Edit {label.lower()} (Esc then Enter to finish):")
    return await prompt.edit(f"{label}> ", text)


async def _choose(prompt: CheckedPrompt, message: str, choices: dict[str, str]) -> str:
    return await ask_choice(prompt, message, choices, refusal=f"type one of: {', '.join(choices)}")


def _indent(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line for line in text.splitlines()) or prefix


def _listing(items: list[str] | None) -> str:
    return ", ".join(repr(item) for item in items) if items else "none"
