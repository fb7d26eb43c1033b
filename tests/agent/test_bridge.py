"""The bridge against the real travel-planner, in-process and over loopback HTTP, in both revisions."""

from __future__ import annotations

import asyncio
import io
import json
import re
import socket

import httpx2
import mcp_types
import pytest
from prompt_toolkit.data_structures import Size
from prompt_toolkit.output.vt100 import Vt100_Output
from strands import Agent

from fastmcp.client.transports import StreamableHttpTransport

from agent.bridge import McpBridge
from agent.mcp_http import http_client
from agent.errors import TripAgentError
from agent.human import AbsentHuman, ScriptedHuman
from agent.providers.playback import PlaybackModel
from agent.toolset import ServerTools
from agent.ui.forms import ElicitationForm
from agent.ui.review import SamplingReview
from agent.ui.terminal_human import FormHuman
from tests.agent.conftest import MODES, PLAYBACK_MODEL, TIPS, Target

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
FINISH_EDIT = "\x1b\r"  # Esc then Enter accepts a multiline prompt
KNOWN = {"destination": "Okinawa", "trip_type": "friends", "nights": 3, "travelers": 3}
EXP_VERSION = {"auto": "2026-07-28", "legacy": "2025-11-25"}


@pytest.fixture
def terminal():
    return io.StringIO()


@pytest.fixture
def output(terminal):
    return Vt100_Output(terminal, lambda: Size(rows=40, columns=200), enable_cpr=False)


def visible(terminal: io.StringIO) -> str:
    return ANSI_ESCAPE.sub("", terminal.getvalue()).replace("\r", "")


def tool_results(agent: Agent) -> list[dict]:
    return [
        block["toolResult"]
        for message in agent.messages
        for block in message["content"]
        if "toolResult" in block
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_plan_and_book_through_the_tool_provider(target, harness, mode):
    human = ScriptedHuman(["Okinawa", "friends", 3, {"action": "accept", "content": {"travelers": 3}}, "Book"], source="test")
    bridge = harness.bridge(target, human, mode=mode)
    before = target.bookings()
    await bridge.start()
    try:
        assert bridge.protocol_version == EXP_VERSION[mode]
        turns = [{"tool_use": {"name": "plan_trip", "input": {}}}, {"text": "Booked your Okinawa trip."}]
        agent = Agent(model=PlaybackModel(turns, []), tools=[ServerTools([bridge])], callback_handler=None)
        assert {"plan_trip", "get_quote", "book_quote", "list_bookings"} <= set(agent.tool_names)
        result = await agent.invoke_async("Plan a trip for three friends")
    finally:
        await bridge.stop()

    assert str(result).strip() == "Booked your Okinawa trip."
    (tool_result,) = tool_results(agent)
    text = tool_result["content"][0]["text"]
    assert tool_result["status"] == "success"
    assert human.errors == []
    reservation = re.search(r"TRV-[\w-]+", text).group(0)
    assert set(target.bookings()) - set(before) == {reservation}
    assert "Visit Churaumi at opening time." in text  # the sampled recommendations reached the result
    assert harness.screen.getvalue().splitlines() == [
        "travel-planner · plan_trip: 1/5 (20%) Looking up the destination…",
        "travel-planner · plan_trip: 2/5 (40%) Comparing transport…",
        "travel-planner · plan_trip: 3/5 (60%) Checking hotels…",
        "travel-planner · plan_trip: 4/5 (80%) Calculating the total…",
        "travel-planner · plan_trip: 5/5 (100%) Saving the quote…",
    ]
    asked = [next(iter(event["schema"]["properties"])) for event in harness.events("elicitation_request")]
    assert asked == ["destination", "trip_type", "nights", "travelers", "decision"]
    assert [event["action"] for event in harness.events("elicitation_response")] == ["accept"] * 5
    assert harness.events("elicitation_response")[2]["content"] == {"nights": 3}
    assert all(event["wait_s"] >= 0 for event in harness.events("elicitation_response"))
    (request,) = harness.events("sampling_request")
    assert request["server"] == "travel-planner" and request["max_tokens"] == 300
    assert request["model_preferences"]["hints"] == [{"name": "claude-haiku"}]
    (response,) = harness.events("sampling_response")
    assert response == {**response, "model": "playback:bridge-test.json", "text": TIPS, "approved": True}
    assert [event["progress"] for event in harness.events("progress")] == [1, 2, 3, 4, 5]
    assert harness.events("progress")[0]["tool"] == "plan_trip"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("policy", "exp_capabilities"),
    [("auto", {"sampling": {}, "elicitation": {"form": {}, "url": {}}}), ("deny", {"elicitation": {"form": {}, "url": {}}})],
)
async def test_the_declared_capabilities_are_exactly_what_the_agent_handles(server, harness, mode, policy, exp_capabilities):
    bridge = harness.bridge(server, AbsentHuman(harness.notes.append), mode=mode, sampler=harness.sampler(policy))
    await bridge.start()
    try:
        seen = []
        original = server.services.owner

        def owner(ctx):
            seen.append(ctx.session.client_capabilities.model_dump(mode="json", by_alias=True, exclude_none=True))
            return original(ctx)

        server.services.owner = owner
        await bridge.call_tool("list_bookings", {})
    finally:
        await bridge.stop()
    assert seen == [exp_capabilities]


@pytest.mark.parametrize("mode", MODES)
async def test_sampling_deny_books_with_the_catalogue_recommendations(target, harness, mode):
    bridge = harness.bridge(target, ScriptedHuman(["Book"], source="test"), mode=mode, sampler=harness.sampler("deny"))
    before = target.bookings()
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", KNOWN)
    finally:
        await bridge.stop()
    data = result.structured_content
    assert data["status"] == "booked" and data["recommendations_source"] == "catalogue"
    assert set(target.bookings()) - set(before) == {data["reservation_id"]}
    assert "did not declare sampling" in harness.events("elicitation_request")[0]["message"]
    assert harness.events("sampling_request") == []  # never asked: the capability was not declared


@pytest.mark.parametrize("mode", MODES)
async def test_ask_approved_request_and_edited_answer_reach_the_server(server, harness, pipe, output, terminal, mode):
    review = SamplingReview(input=pipe, output=output)
    sampler = harness.sampler("ask", review=review, sampling=["Visit Churaumi at opening time."], max_tokens_cap=200)
    bridge = harness.bridge(server, ScriptedHuman(["Book"], source="test"), mode=mode, sampler=sampler)
    pipe.send_text("a\r" + "e\r" + "\nWatch the sunset at Cape Manzamo.\nTry soki soba in Naha." + FINISH_EDIT + "s\r")
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", KNOWN)
    finally:
        await bridge.stop()
    data = result.structured_content
    assert data["status"] == "booked" and data["recommendations_source"] == "sampling"
    # Three lines: the server accepts sampled text only as three real recommendations.
    assert data["recommendations"] == ["Visit Churaumi at opening time.", "Watch the sunset at Cape Manzamo.", "Try soki soba in Naha."]
    shown = visible(terminal)
    assert "── travel-planner asks to use your model (sampling)" in shown
    assert "Okinawa (沖縄)" in shown  # the full request was shown before approval
    assert "max_tokens: 200\n" in shown  # what is sent: the server asked for 300, the cap is 200
    assert harness.events("sampling_request")[0]["max_tokens"] == 300  # the transcript keeps the server's ask
    assert f"── edited by you: {PLAYBACK_MODEL.spec}'s answer to travel-planner" in shown
    assert harness.events("sampling_response")[0]["text"].endswith("Watch the sunset at Cape Manzamo.\nTry soki soba in Naha.")


async def test_ask_request_can_be_edited_before_approval(server, harness, pipe, output, terminal):
    review = SamplingReview(input=pipe, output=output)
    sampler = harness.sampler("ask", review=review)
    bridge = harness.bridge(server, ScriptedHuman(["Book"], source="test"), mode="legacy", sampler=sampler)
    pipe.send_text("e\r" + "\x15Be brief." + FINISH_EDIT + " Only onsen." + FINISH_EDIT + "a\r" + "s\r")
    await bridge.start()
    try:
        await bridge.call_tool("plan_trip", KNOWN)
    finally:
        await bridge.stop()
    # The request is shown again with the edits before it is approved; the transcript keeps the server's.
    assert "System prompt:\n  Be brief.\n" in visible(terminal)
    assert "Only onsen." in visible(terminal).split("System prompt:\n  Be brief.")[1]
    assert harness.events("sampling_request")[0]["system_prompt"] != "Be brief."
    assert harness.events("sampling_response")[0]["approved"] is True


# On 2026-07-28 this needs the server half of the contract (serverux): a retry that no longer
# declares sampling means "go on with the catalogue's recommendations".
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("step", ["request", "response"])
async def test_ask_denied_still_books_with_the_catalogue_recommendations(target, harness, pipe, output, step, mode):
    review = SamplingReview(input=pipe, output=output)
    sampler = harness.sampler("ask", review=review)
    bridge = harness.bridge(target, ScriptedHuman(["Book"], source="test"), mode=mode, sampler=sampler)
    pipe.send_text("d\r" if step == "request" else "a\rd\r")
    before = target.bookings()
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", KNOWN)
    finally:
        await bridge.stop()
    data = result.structured_content
    assert data["status"] == "booked" and data["recommendations_source"] == "catalogue"
    assert set(target.bookings()) - set(before) == {data["reservation_id"]}
    assert [event["approved"] for event in harness.events("sampling_response")] == [False]
    assert not any("allow sampling" in note for note in harness.notes)


@pytest.mark.parametrize("mode", MODES)
async def test_elicitation_through_the_terminal_form(target, harness, pipe, output, terminal, mode):
    human = FormHuman(ElicitationForm(input=pipe, output=output))
    bridge = harness.bridge(target, human, mode=mode)
    before = target.bookings()
    # 1 traveller does not fit a friends trip: the form refuses it live and the human retypes.
    pipe.send_text("1\r" + "\x154\r" + "Book\r")  # one field per question: Enter sends, no review
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", {"destination": "Kyoto", "trip_type": "friends", "nights": 2})
    finally:
        await bridge.stop()
    data = result.structured_content
    assert data["status"] == "booked" and data["quote"]["travelers"] == 4
    assert set(target.bookings()) - set(before) == {data["reservation_id"]}
    shown = visible(terminal)
    assert shown.count("── travel-planner asks ──") == 2
    assert "How many travellers (2-8)?" in shown  # the refused 1 never reached the server (below)
    assert [event["content"] for event in harness.events("elicitation_response")] == [{"travelers": 4}, {"decision": "Book"}]


@pytest.mark.parametrize("mode", MODES)
async def test_a_question_with_one_possible_answer_is_answered_for_the_human_and_recorded(server, harness, pipe, output, terminal, mode):
    human = FormHuman(ElicitationForm(input=pipe, output=output))
    bridge = harness.bridge(server, human, mode=mode)
    pipe.send_text("Book\r")  # one traveller leaves one trip type: the booking is the only question typed
    await bridge.start()
    try:
        result = await asyncio.wait_for(bridge.call_tool("plan_trip", {"destination": "Kyoto", "nights": 2, "travelers": 1}), 60)
    finally:
        await bridge.stop()
    data = result.structured_content
    assert data["status"] == "booked" and data["quote"]["trip_type"] == "solo"
    assert "? Choose one of: solo. → Trip type: Solo (1 traveller) — the only choice, answered for you\n" in visible(terminal)
    responses = [(event["action"], event["content"]) for event in harness.events("elicitation_response")]
    assert responses == [("accept", {"trip_type": "solo"}), ("accept", {"decision": "Book"})]


@pytest.mark.parametrize("mode", MODES)
async def test_invalid_scripted_answer_is_not_sent(server, harness, mode):
    human = ScriptedHuman(["Atlantis"], source="answers.json")
    bridge = harness.bridge(server, human, mode=mode)
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", {})
    finally:
        await bridge.stop()
    assert result.structured_content["status"] == "cancelled"
    assert [event["action"] for event in harness.events("elicitation_response")] == ["cancel"]
    (error,) = human.errors
    assert error.startswith("answers file answers.json: answer 1 does not fit travel-planner's question")
    assert "destination: must be one of: Kyoto" in error
    assert await server.services.store.list_bookings("local") == []


@pytest.mark.parametrize("mode", MODES)
async def test_exhausted_answers_cancel_and_are_recorded(server, harness, mode):
    human = ScriptedHuman(["Kyoto"], source="answers.json")
    bridge = harness.bridge(server, human, mode=mode)
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", {})
    finally:
        await bridge.stop()
    assert result.structured_content["status"] == "cancelled"
    assert [event["action"] for event in harness.events("elicitation_response")] == ["accept", "cancel"]
    assert human.errors == [
        "answers file answers.json: no answer left after 1 for travel-planner's question "
        f"{harness.events('elicitation_request')[1]['message']!r}; cancelled"
    ]


@pytest.mark.parametrize("mode", MODES)
async def test_absent_human_cancels_and_says_so(server, harness, mode):
    bridge = harness.bridge(server, AbsentHuman(harness.notes.append), mode=mode)
    await bridge.start()
    try:
        result = await bridge.call_tool("plan_trip", {"destination": "Kyoto"})
    finally:
        await bridge.stop()
    assert result.structured_content["status"] == "cancelled"
    (note,) = harness.notes
    assert note.startswith("travel-planner asked ") and "no --answers file; cancelled" in note


async def test_expired_legacy_session_is_reinitialised_once(http_server, harness):
    target = Target(http_server.url, None, http_server.db)
    bridge = harness.bridge(target, AbsentHuman(harness.notes.append), mode="legacy")
    await bridge.start()
    try:
        session_id = bridge._client.transport.get_session_id()
        async with httpx2.AsyncClient() as http:
            ended = await http.delete(
                http_server.url, headers={"mcp-session-id": session_id, "mcp-protocol-version": "2025-11-25"}
            )
        assert ended.status_code == 200
        result = await bridge.call_tool("list_destinations", {})
        assert bridge._client.transport.get_session_id() != session_id
    finally:
        await bridge.stop()
    assert "Kyoto" in result.content[0].text
    assert harness.notes == ["travel-planner: the server restarted or ended our session; reconnected, the conversation goes on"]


async def test_unreachable_server_is_one_clear_error(harness):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/mcp"
    bridge = McpBridge(
        "travel-planner",
        url,
        human=AbsentHuman(harness.notes.append),
        sampler=harness.sampler(),
        progress=harness.progress,
        transcript=harness.transcript,
        notify=harness.notes.append,
    )
    with pytest.raises(TripAgentError) as raised:
        await bridge.start()
    assert raised.value.message.startswith(f"cannot reach the MCP server at {url}")
    assert raised.value.hint == "start it with `trip-server` or pass --server URL"


async def test_rate_limit_refuses_with_a_clear_error(harness):
    sampler = harness.sampler(rate_limit=1, sampling=["one", "two"])
    params = mcp_types.CreateMessageRequestParams(
        messages=[mcp_types.SamplingMessage(role="user", content=mcp_types.TextContent(type="text", text="tips"))],
        max_tokens=50,
    )
    first = await sampler.handle("travel-planner", params)
    second = await sampler.handle("travel-planner", params)
    other = await sampler.handle("other-server", params)
    assert first.content.text == "one" and other.content.text == "two"
    assert second.message == "sampling rate limit reached: at most 1 requests per minute from travel-planner"
    assert harness.notes == ["sampling request from travel-planner failed: " + second.message]


class WireLog:
    """The tools/call requests the bridge sends over HTTP, and the requestState each response carries."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.states: list[str | None] = []

    def client(self, **kwargs) -> httpx2.AsyncClient:
        client = http_client(**kwargs)
        client.event_hooks["request"].append(self._request)
        client.event_hooks["response"].append(self._response)
        return client

    async def _request(self, request: httpx2.Request) -> None:
        body = json.loads(request.content) if request.content else {}
        if body.get("method") == "tools/call":
            self.calls.append(body["params"])

    async def _response(self, response: httpx2.Request) -> None:
        body = json.loads(response.request.content) if response.request.content else {}
        if body.get("method") != "tools/call":
            return
        # A 2026-07-28 tools/call stream ends with its result, so reading it whole here is safe.
        text = (await response.aread()).decode()
        data = [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:") and line[5:].strip()]
        results = [item["result"] for item in data if "result" in item] or ([json.loads(text)["result"]] if text.startswith("{") else [])
        self.states.extend(result.get("requestState") for result in results)


@pytest.mark.parametrize("refusal", ["review", "rate limit"])
async def test_a_refused_sampling_request_is_retried_without_sampling_and_the_same_state(
    http_server, harness, pipe, output, refusal
):
    wire = WireLog()
    transport = StreamableHttpTransport(http_server.url, httpx_client_factory=wire.client)
    if refusal == "review":
        pipe.send_text("d\r")
        sampler = harness.sampler("ask", review=SamplingReview(input=pipe, output=output))
    else:
        sampler = harness.sampler(rate_limit=0)
    bridge = harness.bridge(transport, ScriptedHuman(["Book"], source="test"), mode="auto", sampler=sampler)
    await bridge.start()
    try:
        await bridge.call_tool("plan_trip", KNOWN)
    finally:
        await bridge.stop()
    first, retry = wire.calls[:2]
    capabilities = "io.modelcontextprotocol/clientCapabilities"
    assert first["_meta"][capabilities] == {"sampling": {}, "elicitation": {"form": {}, "url": {}}}
    assert retry["_meta"][capabilities] == {"elicitation": {"form": {}, "url": {}}}  # no sampling on the retry
    assert "recommendations" not in (retry.get("inputResponses") or {})  # the refused request gets no entry
    assert retry["requestState"] == wire.states[0]  # the same round, retried
    assert [event["approved"] for event in harness.events("sampling_response")] == ([False] if refusal == "review" else [])
