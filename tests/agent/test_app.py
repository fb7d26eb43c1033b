"""agent/app.py: one conversation turn against the real server, recorded in the transcript."""

import io
import json

from strands.models.model import Model

from agent.app import open_session
from agent.config import load_settings
from agent.human import ScriptedHuman
from agent.tool_progress import UnshownProgress
from agent.transcript import Transcript
from agent.ui.progress import ProgressView
from tests.agent.conftest import BOOK_SCRIPT


class CutModel(Model):
    """A provider whose reply stops at max_tokens, as Bedrock's does when the limit is low."""

    def update_config(self, **config):
        pass

    def get_config(self):
        return {"model_id": "cut"}

    async def structured_output(self, *args, **kwargs):
        raise NotImplementedError

    async def stream(self, messages, tool_specs=None, system_prompt=None, **kwargs):
        yield {"messageStart": {"role": "assistant"}}
        yield {"contentBlockStart": {"start": {}}}
        yield {"contentBlockDelta": {"delta": {"text": "Kyoto in autumn is"}}}
        yield {"contentBlockStop": {}}
        yield {"messageStop": {"stopReason": "max_tokens"}}


class Collect:
    def __init__(self):
        self.text = ""

    def assistant_text(self, delta):
        self.text += delta

    def tool_call(self, name, input):
        pass

    def tool_result(self, outcome):
        pass


async def test_a_reply_cut_at_max_tokens_is_a_notice_and_written_once(tmp_path, http_server):
    script = tmp_path / "unused.json"
    script.write_text(json.dumps({"turns": []}))
    settings = load_settings(config_file=None, env={}, flags={"model": f"playback:{script}", "server": http_server.url})
    log = io.StringIO()
    session = await open_session(
        settings,
        human=ScriptedHuman([], source="test"),
        review=None,
        progress=ProgressView(io.StringIO(), interactive=False),
        transcript=Transcript(log),
        notify=lambda text: None,
    )
    try:
        session.agent.model = CutModel()
        shown = Collect()
        result = await session.run_turn("Tell me about Kyoto", shown)
    finally:
        await session.close()
    notice = f"\n(reply cut off at max_tokens={settings.model.max_tokens})"
    assert result.completed and result.text == shown.text == "Kyoto in autumn is" + notice
    assistant = [event for event in map(json.loads, log.getvalue().splitlines()) if event["type"] == "assistant"]
    assert [event["text"] for event in assistant] == ["Kyoto in autumn is"]


async def test_after_a_model_switch_the_new_playback_script_answers_sampling(tmp_path, http_server):
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps({"turns": [], "sampling": ["not this one"]}))
    second.write_text(json.dumps(BOOK_SCRIPT))
    settings = load_settings(config_file=None, env={}, flags={"model": f"playback:{first}", "server": http_server.url})
    log = io.StringIO()
    session = await open_session(
        settings,
        human=ScriptedHuman([{"action": "accept", "content": {"trip_type": "solo"}}, 2, "Book"], source="test"),
        review=None,
        progress=UnshownProgress(),
        transcript=Transcript(log),
        notify=lambda text: None,
    )
    try:
        session.switch_model(f"playback:{second}")
        result = await session.run_turn("Plan Kyoto", Collect())
    finally:
        await session.close()
    assert result.completed and result.text == "Booked!"
    sampled = [event for event in map(json.loads, log.getvalue().splitlines()) if event["type"] == "sampling_response"]
    assert [(event["model"], event["text"]) for event in sampled] == [(f"playback:{second}", BOOK_SCRIPT["sampling"][0])]
