"""The person at the terminal as the core's Human: the form answers questions, the consent prompt web pages."""

from __future__ import annotations

from agent.human import ElicitationOutcome
from agent.ui.forms import ElicitationForm
from agent.ui.url_prompt import UrlPrompt
from agent.url_elicitation import Action, UrlRequest


class FormHuman:
    """The person at the terminal, through the prompt-toolkit form and the URL consent prompt."""

    def __init__(self, form: ElicitationForm, url_prompt: UrlPrompt | None = None) -> None:
        self._form = form
        self._url_prompt = url_prompt or UrlPrompt()

    async def elicit(self, server: str, message: str, schema: dict) -> ElicitationOutcome:
        return await self._form.ask(server, message, schema)

    async def open_url(self, request: UrlRequest) -> Action:
        return await self._url_prompt.ask(request)
